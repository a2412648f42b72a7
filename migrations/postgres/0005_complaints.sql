-- Complaints (docs/console.md, "Complaints"; Art. 12), PostgreSQL flavour. The SQLite flavour
-- (migrations/sqlite/0005_complaints.sql) is the same but for the generated key. Times are
-- integer milliseconds since the Unix epoch, UTC.

-- One row per complaint read from synth.complaints.v1 (complaint_id unique: a redelivery
-- changes nothing). case_id: the case it was merged into.
CREATE TABLE complaints (
    complaint_id TEXT    PRIMARY KEY,
    event_id     TEXT    NOT NULL,
    category     TEXT    NOT NULL,
    reporter     TEXT    NOT NULL,
    text         TEXT    NOT NULL,
    received_at  BIGINT  NOT NULL,
    stored_at    BIGINT  NOT NULL,
    case_id      BIGINT  NOT NULL
);
CREATE INDEX complaints_case ON complaints (case_id);

-- The complaints about one event while its review is open are one case: one queue item (a new
-- review round of the event), one deadline. outcome: founded (the item was rejected) or
-- unfounded (approved); met: decided by the deadline.
CREATE TABLE complaint_cases (
    case_id      BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     TEXT    NOT NULL,
    item_id      BIGINT  NOT NULL UNIQUE REFERENCES queue_items (item_id),
    opened_at    BIGINT  NOT NULL,
    deadline     BIGINT  NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'decided')),
    outcome      TEXT    CHECK (outcome IN ('founded', 'unfounded')),
    decided_by   TEXT,
    decided_at   BIGINT,
    met_deadline BIGINT
);
CREATE INDEX complaint_cases_open ON complaint_cases (event_id, state);
CREATE INDEX complaint_cases_deadline ON complaint_cases (state, deadline);

-- Reporters' record: complaints founded and unfounded (their credibility orders the queue).
CREATE TABLE reporters (
    reporter     TEXT    PRIMARY KEY,
    founded      BIGINT  NOT NULL DEFAULT 0,
    unfounded    BIGINT  NOT NULL DEFAULT 0
);

-- Where each published (approved) decision record is in the approved topic, so that a
-- complaint can reopen an item with the content as it was published.
CREATE TABLE published_index (
    event_id     TEXT    PRIMARY KEY,
    partition_id BIGINT  NOT NULL,
    record_offset BIGINT NOT NULL,
    user_id      TEXT,
    indexed_at   BIGINT  NOT NULL
);
