-- Refutation records and refuted claims (docs/console.md, "Records for the regulator" and
-- "Refuted claims"; Art. 11), SQLite flavour. The PostgreSQL flavour
-- (migrations/postgres/0007_refutations.sql) is the same but for the outbox check and the id.
-- Times are integer milliseconds since the Unix epoch, UTC.

-- A strike of a reject as false information (the worker's `known_false_news`, a moderator's
-- `known_false_news` or `false_information`) keeps the rumour-library entry that refuted it:
-- the claim as the library words it, who refuted it and when (`YYYY[-MM[-DD]]`). NULL: not
-- false information, or no library entry yet (a lead's refuted claim from the item fills it).
ALTER TABLE ledger_strikes ADD COLUMN refuted_claim TEXT;
ALTER TABLE ledger_strikes ADD COLUMN refuted_by TEXT;
ALTER TABLE ledger_strikes ADD COLUMN refuted_at TEXT;

-- Claims a lead added to the rumour library from an item: written to the refuted-claims topic
-- through the outbox (record_key `refuted_claim:<claim_id>`, kafka_key the claim), which the
-- worker reads into its rumour library. claim unique (exact text; the worker also leaves out a
-- claim whose key repeats another's).
CREATE TABLE refuted_claims (
    claim_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    claim        TEXT    NOT NULL UNIQUE,
    refuted_by   TEXT    NOT NULL,
    refuted_at   TEXT,
    item_id      BIGINT  REFERENCES queue_items (item_id),
    event_id     TEXT,
    added_by     TEXT    NOT NULL,
    added_at     BIGINT  NOT NULL
);

-- The outbox takes refuted claims too (SQLite cannot change a check: the table is rebuilt).
CREATE TABLE record_outbox_new (
    record_seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    record_key   TEXT    NOT NULL UNIQUE,
    topic_kind   TEXT    NOT NULL
                 CHECK (topic_kind IN ('user_actions', 'complaint_results', 'refuted_claims')),
    kafka_key    TEXT    NOT NULL,
    record       TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    relay_batch  BIGINT,
    relayed_at   BIGINT
);
INSERT INTO record_outbox_new (record_seq, record_key, topic_kind, kafka_key, record, created_at,
                               relay_batch, relayed_at)
    SELECT record_seq, record_key, topic_kind, kafka_key, record, created_at, relay_batch, relayed_at
    FROM record_outbox;
DROP TABLE record_outbox;
ALTER TABLE record_outbox_new RENAME TO record_outbox;
CREATE INDEX record_outbox_pending ON record_outbox (record_seq) WHERE relayed_at IS NULL;
