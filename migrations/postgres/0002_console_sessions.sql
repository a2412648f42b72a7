-- The console's login sessions (docs/console.md, "Sessions & CSRF"); the same in both flavours
-- (migrations/sqlite/, migrations/postgres/: no generated keys here). Times are integer
-- milliseconds since the Unix epoch, UTC.
--
-- The session id itself (the cookie's value, 256 random bits) is never stored: only its SHA-256
-- (64 hex digits), so a read of this table does not give anyone a session. csrf_token is the
-- session's CSRF token (256 random bits, hex), checked on every state-changing request.
CREATE TABLE sessions (
    session_hash TEXT   PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (account_id),
    csrf_token   TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);
