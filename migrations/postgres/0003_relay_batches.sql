-- The relay's batches (docs/console.md, "Relay"): before the relay produces a set of pending
-- verdicts in one Kafka transaction it writes the batch's number here; the transaction commits,
-- with the verdicts' records, the batch number as the relay's checkpoint (a transactional offset
-- commit of the relay's consumer group). On start the relay reads the checkpoint and marks every
-- verdict of a batch at or below it relayed, and releases the verdicts of later batches, whose
-- transactions never committed.
ALTER TABLE verdicts ADD COLUMN relay_batch BIGINT;
CREATE INDEX verdicts_relay_batch ON verdicts (relay_batch) WHERE relayed_at IS NULL;
