-- Refutation records and refuted claims (docs/console.md, "Records for the regulator" and
-- "Refuted claims"; Art. 11), PostgreSQL flavour; see migrations/sqlite/0007_refutations.sql.

ALTER TABLE ledger_strikes ADD COLUMN refuted_claim TEXT;
ALTER TABLE ledger_strikes ADD COLUMN refuted_by TEXT;
ALTER TABLE ledger_strikes ADD COLUMN refuted_at TEXT;

CREATE TABLE refuted_claims (
    claim_id     BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    claim        TEXT    NOT NULL UNIQUE,
    refuted_by   TEXT    NOT NULL,
    refuted_at   TEXT,
    item_id      BIGINT  REFERENCES queue_items (item_id),
    event_id     TEXT,
    added_by     TEXT    NOT NULL,
    added_at     BIGINT  NOT NULL
);

ALTER TABLE record_outbox DROP CONSTRAINT record_outbox_topic_kind_check;
ALTER TABLE record_outbox ADD CONSTRAINT record_outbox_topic_kind_check
    CHECK (topic_kind IN ('user_actions', 'complaint_results', 'refuted_claims'));
