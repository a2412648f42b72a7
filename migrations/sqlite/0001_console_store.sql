-- The console's store (docs/console.md), SQLite flavour. The PostgreSQL flavour
-- (migrations/postgres/0001_console_store.sql) has the same tables, columns and constraints;
-- only the generated keys differ. Times are integer milliseconds since the Unix epoch, UTC.

-- The hold queue: one row per held decision record and review round.
CREATE TABLE queue_items (
    item_id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id         TEXT    NOT NULL,
    review_round     BIGINT  NOT NULL,
    user_id          TEXT    NOT NULL,
    record           TEXT    NOT NULL,
    severity         BIGINT  NOT NULL,
    reason_count     BIGINT  NOT NULL,
    held_at          BIGINT  NOT NULL,
    stored_at        BIGINT  NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'claimed', 'escalated', 'decided')),
    lease_holder     TEXT,
    lease_token      TEXT,
    lease_expires_at BIGINT,
    claimed_at       BIGINT,
    escalated_at     BIGINT,
    escalated_by     TEXT,
    escalation_note  TEXT,
    verdict_id       BIGINT,
    decided_verdict  TEXT    CHECK (decided_verdict IN ('approve', 'reject')),
    decided_by       TEXT,
    decided_at       BIGINT,
    UNIQUE (event_id, review_round)
);
CREATE INDEX queue_items_order ON queue_items (state, severity DESC, reason_count DESC, held_at, item_id);
CREATE INDEX queue_items_user ON queue_items (user_id, held_at);

-- The reasons of an item, for the queue's filters (stage, reason code, category).
CREATE TABLE item_reasons (
    item_id  BIGINT NOT NULL REFERENCES queue_items (item_id),
    position BIGINT NOT NULL,
    stage    TEXT   NOT NULL,
    code     TEXT   NOT NULL,
    category TEXT,
    PRIMARY KEY (item_id, position)
);
CREATE INDEX item_reasons_stage ON item_reasons (stage, item_id);
CREATE INDEX item_reasons_code ON item_reasons (code, item_id);
CREATE INDEX item_reasons_category ON item_reasons (category, item_id);

-- Verdicts, and the outbox of the relay: a row is pending until relayed_at is set.
-- One verdict per item (item = event id + review round).
CREATE TABLE verdicts (
    verdict_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id     BIGINT  NOT NULL UNIQUE REFERENCES queue_items (item_id),
    moderator   TEXT    NOT NULL,
    decision    TEXT    NOT NULL CHECK (decision IN ('approve', 'reject')),
    reason_code TEXT    NOT NULL,
    note        TEXT,
    created_at  BIGINT  NOT NULL,
    relayed_at  BIGINT
);
CREATE INDEX verdicts_pending ON verdicts (verdict_id) WHERE relayed_at IS NULL;

-- People: moderators and leads. password_hash is an argon2 PHC string (set by `console user add`).
CREATE TABLE accounts (
    account_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL UNIQUE,
    role          TEXT    NOT NULL CHECK (role IN ('moderator', 'lead')),
    password_hash TEXT,
    created_at    BIGINT  NOT NULL,
    disabled_at   BIGINT
);

-- Every claim, skip, escalation, verdict and login, with its time and actor.
CREATE TABLE audit (
    audit_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at BIGINT  NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL
                CHECK (action IN ('claim', 'skip', 'escalate', 'verdict', 'login', 'login_failed')),
    item_id     BIGINT  REFERENCES queue_items (item_id),
    verdict_id  BIGINT  REFERENCES verdicts (verdict_id),
    detail      TEXT
);
CREATE INDEX audit_item ON audit (item_id, audit_id);
CREATE INDEX audit_actor ON audit (actor, occurred_at);
