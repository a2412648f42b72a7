-- The relay's batches (docs/console.md, "Relay"): before the relay produces a set of pending
-- verdicts in one Kafka transaction it writes the batch's number here; the transaction commits,
-- with the verdicts' records, the batch number as the relay's checkpoint (a transactional offset
-- commit of the relay's consumer group). On start the relay reads the checkpoint and marks every
-- verdict of a batch at or below it relayed, and releases the verdicts of later batches, whose
-- transactions never committed.
ALTER TABLE verdicts ADD COLUMN relay_batch BIGINT;
CREATE INDEX verdicts_relay_batch ON verdicts (relay_batch) WHERE relayed_at IS NULL;

-- One row: the epoch of the relay session that may take batches (a new session bumps it, so a
-- relay that another has fenced in Kafka cannot take batches in the store any more either), and
-- the next batch number (numbers are never reused).
CREATE TABLE relay_state (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    epoch      BIGINT NOT NULL,
    next_batch BIGINT NOT NULL
);
INSERT INTO relay_state (id, epoch, next_batch) VALUES (1, 0, 1);
