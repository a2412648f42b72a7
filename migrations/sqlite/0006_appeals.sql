-- Appeals (docs/console.md, "Appeals"; Art. 12), SQLite flavour. The PostgreSQL flavour
-- (migrations/postgres/0006_appeals.sql) is the same but for the change of user_measures' check.
-- Times are integer milliseconds since the Unix epoch, UTC.

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

-- A measure an upheld appeal took back is `revoked` (SQLite cannot change a CHECK: the table is
-- made again with the same rows).
CREATE TABLE user_measures_v6 (
    user_id      TEXT    NOT NULL,
    measure_id   TEXT    NOT NULL,
    level        BIGINT  NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('warn', 'restrict', 'suspend', 'close')),
    function     TEXT,
    until        BIGINT,
    points       BIGINT  NOT NULL,
    threshold    BIGINT  NOT NULL,
    strikes      TEXT    NOT NULL,
    articles     TEXT    NOT NULL,
    issued_at    BIGINT  NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'in_force'
                 CHECK (state IN ('in_force', 'lifted', 'changed', 'revoked')),
    changed_to   TEXT,
    changed_by   TEXT,
    changed_at   BIGINT,
    change_note  TEXT,
    PRIMARY KEY (user_id, measure_id)
);
INSERT INTO user_measures_v6 SELECT user_id, measure_id, level, kind, function, until, points,
    threshold, strikes, articles, issued_at, state, changed_to, changed_by, changed_at,
    change_note FROM user_measures;
DROP TABLE user_measures;
ALTER TABLE user_measures_v6 RENAME TO user_measures;
