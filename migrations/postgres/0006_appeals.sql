-- Appeals (docs/console.md, "Appeals"; Art. 12), PostgreSQL flavour of
-- migrations/sqlite/0006_appeals.sql. Times are integer milliseconds since the Unix epoch, UTC.

-- One row per appeal read from synth.appeals.v1 (appeal_id unique: a redelivery changes
-- nothing), or read back from an `appeal` record of synth.user-actions.v1 on a rebuild.
-- kind reject: the appeal of the reject of event_id (strike_key: its strike, once the ledger has
-- it; item_id: the appeal's review round in the hold queue). kind measure: the appeal of
-- measure_id, decided by a lead on the user's ledger page. original_decider: the moderator who
-- rejected (`worker` for the worker's reject) or, for a measure, the lead who changed it
-- (`console` for the ladder's): it may not decide the appeal. state: waiting (the reject is not
-- in the ledger yet), open, upheld, dismissed, refused (refusal says why).
CREATE TABLE appeals (
    appeal_id        TEXT    PRIMARY KEY,
    user_id          TEXT    NOT NULL,
    kind             TEXT    NOT NULL CHECK (kind IN ('reject', 'measure')),
    event_id         TEXT,
    measure_id       TEXT,
    strike_key       TEXT,
    original_decider TEXT,
    text             TEXT    NOT NULL,
    received_at      BIGINT  NOT NULL,
    stored_at        BIGINT  NOT NULL,
    deadline         BIGINT  NOT NULL,
    item_id          BIGINT  UNIQUE REFERENCES queue_items (item_id),
    state            TEXT    NOT NULL DEFAULT 'open'
                     CHECK (state IN ('waiting', 'open', 'upheld', 'dismissed', 'refused')),
    refusal          TEXT,
    decided_by       TEXT,
    decided_at       BIGINT,
    note             TEXT
);
CREATE INDEX appeals_strike ON appeals (strike_key);
CREATE INDEX appeals_user ON appeals (user_id, received_at);
CREATE INDEX appeals_waiting ON appeals (state, event_id);

-- Where each strike's reject is in the rejected topic, so that an appeal of a reject the
-- console never held reopens it with its record.
ALTER TABLE ledger_strikes ADD COLUMN record_partition BIGINT;
ALTER TABLE ledger_strikes ADD COLUMN record_offset BIGINT;
CREATE INDEX ledger_strikes_event ON ledger_strikes (event_id, user_id);

-- A measure an upheld appeal took back is `revoked`.
ALTER TABLE user_measures DROP CONSTRAINT user_measures_state_check;
ALTER TABLE user_measures ADD CONSTRAINT user_measures_state_check
    CHECK (state IN ('in_force', 'lifted', 'changed', 'revoked'));
