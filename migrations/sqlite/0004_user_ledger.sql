-- The per-user ledger (docs/console.md, "Ledger"; Art. 10), SQLite flavour. The PostgreSQL
-- flavour (migrations/postgres/0004_user_ledger.sql) is the same but for the generated key.
-- Times are integer milliseconds since the Unix epoch, UTC.

-- One row per reject on the rejected topic (the worker's and the moderators'): strike_key is
-- `worker:EVENT_ID` or `verdict:VERDICT_ID`. reversed_at is set by an upheld appeal.
CREATE TABLE ledger_strikes (
    strike_key   TEXT    PRIMARY KEY,
    user_id      TEXT    NOT NULL,
    event_id     TEXT    NOT NULL,
    source       TEXT    NOT NULL CHECK (source IN ('worker', 'moderator')),
    moderator    TEXT,
    verdict_id   BIGINT,
    reason_code  TEXT    NOT NULL,
    category     TEXT,
    articles     TEXT    NOT NULL,
    weight       BIGINT  NOT NULL,
    struck_at    BIGINT  NOT NULL,
    recorded_at  BIGINT  NOT NULL,
    reversed_at  BIGINT,
    reversed_by  TEXT,
    reversal_note TEXT
);
CREATE INDEX ledger_strikes_user ON ledger_strikes (user_id, struck_at);

-- The measures the ladder issued (measure_id `L{level}@{strike_key}`, unique per user), their
-- state, and who lifted or changed them and why (changed_to: the new measure, JSON).
CREATE TABLE user_measures (
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
                 CHECK (state IN ('in_force', 'lifted', 'changed')),
    changed_to   TEXT,
    changed_by   TEXT,
    changed_at   BIGINT,
    change_note  TEXT,
    PRIMARY KEY (user_id, measure_id)
);

-- The outbox of synth.user-actions.v1: one row per record (a measure, a lift, a change), taken
-- by the relay in the same numbered batches as the verdicts. action_key is the record's
-- action_id, unique: a record read back from the topic on a rebuild is stored relayed.
CREATE TABLE user_action_outbox (
    action_seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    action_key   TEXT    NOT NULL UNIQUE,
    user_id      TEXT    NOT NULL,
    record       TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    relay_batch  BIGINT,
    relayed_at   BIGINT
);
CREATE INDEX user_action_outbox_pending ON user_action_outbox (action_seq) WHERE relayed_at IS NULL;

-- Where the ledger's reader of the rejected and user-actions topics is: the next offset of each
-- partition, written in the transaction that applied the records before it (the offsets live in
-- the store, not in a consumer group, so that a lost store is rebuilt from the topics' start).
CREATE TABLE ledger_offsets (
    topic        TEXT    NOT NULL,
    partition_id BIGINT  NOT NULL,
    next_offset  BIGINT  NOT NULL,
    PRIMARY KEY (topic, partition_id)
);
