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

-- The outbox of the console's records besides verdicts: synth.user-actions.v1 (a measure, a
-- lift, a change; kafka_key = the user id) and synth.complaint-results.v1 (kafka_key = the
-- complaint id), taken by the relay in the same numbered batches as the verdicts. record_key is
-- the record's own id (action_id, result_id), unique: a record read back from its topic on a
-- rebuild is stored relayed.
CREATE TABLE record_outbox (
    record_seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    record_key   TEXT    NOT NULL UNIQUE,
    topic_kind   TEXT    NOT NULL CHECK (topic_kind IN ('user_actions', 'complaint_results')),
    kafka_key    TEXT    NOT NULL,
    record       TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    relay_batch  BIGINT,
    relayed_at   BIGINT
);
CREATE INDEX record_outbox_pending ON record_outbox (record_seq) WHERE relayed_at IS NULL;

-- Where the ledger's reader of the rejected and user-actions topics is: the next offset of each
-- partition, written in the transaction that applied the records before it (the offsets live in
-- the store, not in a consumer group, so that a lost store is rebuilt from the topics' start).
CREATE TABLE ledger_offsets (
    topic        TEXT    NOT NULL,
    partition_id BIGINT  NOT NULL,
    next_offset  BIGINT  NOT NULL,
    PRIMARY KEY (topic, partition_id)
);
