//! The console's store: the hold queue, leases, verdicts with their outbox, accounts and the
//! audit trail, on SQLite or PostgreSQL (`docs/console.md`).
//!
//! One [`Store`] runs the same SQL on both through `sqlx`'s `Any` driver: `$N` placeholders
//! (SQLite reads them too), `ON CONFLICT … DO NOTHING`, `RETURNING`. The schema is one migration
//! per backend (`migrations/sqlite/`, `migrations/postgres/`, compiled in), equal but for the
//! generated keys, and is brought up to date when the store is opened. Times are stored as
//! integer milliseconds since the Unix epoch (UTC) on both.
//!
//! Every state change that must not happen twice (a claim, a verdict) is a *conditional update*:
//! an `UPDATE … WHERE` that names the state it expects (queued, or the current unexpired lease
//! token), so of two concurrent attempts the database lets exactly one change the row; the other
//! updates 0 rows and is told why ([`StoreError`]). A write transaction starts with
//! `BEGIN IMMEDIATE` on SQLite (the write lock first, waited for up to the busy timeout) and with
//! `BEGIN` (read committed) on PostgreSQL, where the second of two concurrent updates of a row
//! waits for the first and evaluates its `WHERE` again on the row the first one left.

mod appeals;
mod complaints;
mod error;
mod lease;
mod ledger;
mod outbox;
mod refuted;
mod report;
mod session;
mod types;

use std::borrow::Cow;
use std::time::Duration;
use unicode_normalization::UnicodeNormalization as _;

use futures::future::BoxFuture;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{AnyPool, ConnectOptions, Executor, Row};
use time::OffsetDateTime;

pub use appeals::{AppealCase, AppealsApplied};
pub use complaints::{ComplaintCase, ComplaintStats, ComplaintsApplied};
pub use error::StoreError;
pub use lease::MAX_LEASE;
pub use ledger::{
    LedgerUser, MeasureChange, MeasureState, StoredMeasure, StoredStrike, StrikesApplied,
    UserLedger, MAX_USER_ID_CHARS,
};
pub use outbox::{OutboxTopic, RecordEntry, RelayBatch, RelayEpoch, Settled, TakenBatch};
pub use refuted::{refuted_claim_record, NewRefutedClaim, RefutedClaim, MAX_CLAIM_CHARS};
pub use report::{
    AppealLine, ComplaintLine, MeasureLine, RefutationLine, Report, ViolationCount,
    FALSE_INFORMATION_CODES, FALSE_NEWS_CODE, MAX_REPORT_DAYS,
};
pub use session::{
    random_secret, session_hash, ModeratorStats, NewSession, Session, MAX_SESSION_TTL,
};
pub use types::{
    Account, AuditAction, AuditEntry, DecidedVerdict, Escalation, HistoryEntry, Inserted, Item,
    ItemState, ItemSummary, Lease, OutboxEntry, QueueFilter, QueueStats, Role, Verdict,
    VerdictInput,
};

use super::item::{HeldItem, ReasonTag};

/// A queue item's id (one per event id and review round).
pub type ItemId = i64;
/// A verdict's id: the outbox key, unique in the store, never reused; receivers can dedupe by it.
pub type VerdictId = i64;
/// An account's id.
pub type AccountId = i64;

/// How long SQLite waits for another connection's write lock before failing with `SQLITE_BUSY`.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long [`Store::open`] waits for the database's first connection before it gives up
/// ([`StoreError::ConnectTimeout`]); `[console] store_connect_timeout_seconds`.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The most connections a store opens (per console process).
pub const MAX_CONNECTIONS: u32 = 8;
/// The longest note a verdict or an escalation may carry, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;
/// The longest reason code a verdict may carry, in characters (`[a-z0-9_]`).
pub const MAX_REASON_CODE_CHARS: usize = 64;

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One SQLite file in WAL mode: the embedded default, for one console process.
    Sqlite,
    /// A PostgreSQL database: for several console replicas.
    Postgres,
}

/// The hold queue's store. Cheap to clone (a connection pool).
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The ladder's rules and the console's id, for the measures an upheld appeal recomputes
    /// ([`Store::with_ledger`]); without them an upheld appeal revokes but issues nothing.
    ledger: Option<std::sync::Arc<(crate::console::ledger::LedgerPolicy, String)>>,
}

// The schema, one migration per backend, compiled in.
const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "console store",
        include_str!("../../../migrations/sqlite/0001_console_store.sql"),
    ),
    (
        2,
        "console sessions",
        include_str!("../../../migrations/sqlite/0002_console_sessions.sql"),
    ),
    (
        3,
        "relay batches",
        include_str!("../../../migrations/sqlite/0003_relay_batches.sql"),
    ),
    (
        4,
        "user ledger",
        include_str!("../../../migrations/sqlite/0004_user_ledger.sql"),
    ),
    (
        5,
        "complaints",
        include_str!("../../../migrations/sqlite/0005_complaints.sql"),
    ),
    (
        6,
        "appeals",
        include_str!("../../../migrations/sqlite/0006_appeals.sql"),
    ),
    (
        7,
        "refutations",
        include_str!("../../../migrations/sqlite/0007_refutations.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "console store",
        include_str!("../../../migrations/postgres/0001_console_store.sql"),
    ),
    (
        2,
        "console sessions",
        include_str!("../../../migrations/postgres/0002_console_sessions.sql"),
    ),
    (
        3,
        "relay batches",
        include_str!("../../../migrations/postgres/0003_relay_batches.sql"),
    ),
    (
        4,
        "user ledger",
        include_str!("../../../migrations/postgres/0004_user_ledger.sql"),
    ),
    (
        5,
        "complaints",
        include_str!("../../../migrations/postgres/0005_complaints.sql"),
    ),
    (
        6,
        "appeals",
        include_str!("../../../migrations/postgres/0006_appeals.sql"),
    ),
    (
        7,
        "refutations",
        include_str!("../../../migrations/postgres/0007_refutations.sql"),
    ),
];

#[derive(Debug)]
struct Embedded(&'static [(i64, &'static str, &'static str)]);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, sqlx::error::BoxDynError>> {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|&(version, description, sql)| {
                    Migration::new(
                        version,
                        Cow::Borrowed(description),
                        MigrationType::Simple,
                        Cow::Borrowed(sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

// The columns every item query reads, as `q`.
const ITEM_COLUMNS: &str = "q.item_id, q.event_id, q.review_round, q.user_id, q.severity, \
     q.held_at, q.state, q.lease_holder, q.lease_expires_at, q.escalated_at";

/// Whether `name` may name an account: 1 to 64 characters, no control characters or spaces
/// ([`Store::add_account`] checks it; callers may check first, before opening anything).
///
/// Errors: [`StoreError::InvalidInput`].
pub fn check_account_name(name: &str) -> Result<(), StoreError> {
    let chars = name.chars().count();
    if chars == 0 || chars > 64 || name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(StoreError::InvalidInput(format!(
            "account name {name:?}: 1 to 64 characters without spaces or control characters"
        )));
    }
    // Names a moderator cannot tell apart from another on screen: invisible characters
    // (zero-width, bidi controls and marks), forms that NFKC folds (`ａｌｉｃｅ`), and Latin
    // letters mixed with Cyrillic or Greek ones (`аlice` with a Cyrillic а).
    let invisible = name
        .chars()
        .any(crate::text::normalize::is_default_ignorable);
    let folded = !name.nfkc().eq(name.chars());
    let latin = name
        .chars()
        .any(|c| c.is_ascii_alphabetic() || ('\u{00C0}'..='\u{024F}').contains(&c));
    let lookalike = name
        .chars()
        .any(|c| ('\u{0370}'..='\u{03FF}').contains(&c) || ('\u{0400}'..='\u{052F}').contains(&c));
    if invisible || folded || (latin && lookalike) {
        return Err(StoreError::InvalidInput(format!(
            "account name {name:?}: invisible characters, compatibility forms (full-width letters) and Latin mixed with Cyrillic or Greek letters are refused, so that no name looks like another"
        )));
    }
    Ok(())
}

impl Store {
    /// Opens the store at `url` and brings its schema up to date (the migrations run in a
    /// transaction; on PostgreSQL under an advisory lock, so replicas may start together).
    ///
    /// - `sqlite://PATH?mode=rwc` (creates the file; `sqlite://PATH` wants it to exist): WAL
    ///   journal mode, busy timeout [`SQLITE_BUSY_TIMEOUT`], foreign keys on.
    /// - `postgres://USER[:PASSWORD]@HOST[:PORT]/DB` (or `postgresql://`): the database must
    ///   exist.
    ///
    /// The first connection is tried once and waited for at most [`CONNECT_TIMEOUT`]
    /// ([`Store::open_within`] for another bound), so that a database that refuses or does not
    /// answer is an error within seconds, not after the pool's retries.
    ///
    /// Errors: [`StoreError::Url`] for another scheme, [`StoreError::Database`] when the database
    /// cannot be opened (refused, unknown host, bad password), [`StoreError::ConnectTimeout`]
    /// when it does not answer in time, [`StoreError::Migrate`] when the schema cannot be
    /// brought up to date (e.g. it was migrated by a newer build).
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_within(url, CONNECT_TIMEOUT).await
    }

    /// [`Store::open`], waiting at most `connect_timeout` for the database's first connection
    /// (and again at most that long for the pool's).
    ///
    /// Errors: as [`Store::open`].
    pub async fn open_within(url: &str, connect_timeout: Duration) -> Result<Store, StoreError> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Url(url.to_owned()));
        };
        sqlx::any::install_default_drivers();
        let options: AnyConnectOptions = url.parse()?;
        let options = options.disable_statement_logging();
        let timed_out = || StoreError::ConnectTimeout(connect_timeout);
        // One attempt first, bounded: the pool would retry a refused connection until its
        // acquire timeout (30 s) and then say only that it timed out.
        let mut conn = tokio::time::timeout(connect_timeout, options.connect())
            .await
            .map_err(|_| timed_out())??;
        let mut pool = AnyPoolOptions::new().max_connections(MAX_CONNECTIONS);
        if backend == Backend::Sqlite {
            // The journal mode is the file's, set once (it needs the file to itself); the busy
            // timeout is each connection's.
            conn.execute("PRAGMA journal_mode = WAL").await?;
            sqlx::Connection::close(conn).await?;
            pool = pool.after_connect(|conn, _| {
                Box::pin(async move {
                    let ms = SQLITE_BUSY_TIMEOUT.as_millis();
                    conn.execute(format!("PRAGMA busy_timeout = {ms}").as_str())
                        .await?;
                    Ok(())
                })
            });
        } else {
            sqlx::Connection::close(conn).await?;
        }
        // A connection that comes back still inside a transaction (its `Transaction` was lost
        // between BEGIN and its creation) is closed, not pooled: that ends the transaction and
        // frees its locks. A rollback queued by a dropped `Transaction` is let through first.
        let pool = pool.after_release(|conn, _| {
            Box::pin(async move {
                if sqlx::Connection::is_in_transaction(&*conn) {
                    sqlx::Connection::ping(conn).await?;
                }
                let pooled = !sqlx::Connection::is_in_transaction(&*conn);
                if !pooled {
                    tracing::warn!("A store connection came back inside a transaction; closed.");
                }
                Ok(pooled)
            })
        });
        let pool = tokio::time::timeout(connect_timeout, pool.connect_with(options))
            .await
            .map_err(|_| timed_out())??;
        let migrations = match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        Migrator::new(Embedded(migrations))
            .await?
            .run(&pool)
            .await?;
        Ok(Store {
            pool,
            backend,
            ledger: None,
        })
    }

    /// This store, with the ladder's rules and the console's id (`issued_by` of measures) for
    /// the measures an upheld appeal recomputes: the ledger reader's [`LedgerPolicy`] and id.
    ///
    /// [`LedgerPolicy`]: crate::console::ledger::LedgerPolicy
    pub fn with_ledger(
        mut self,
        policy: crate::console::ledger::LedgerPolicy,
        console_id: &str,
    ) -> Store {
        self.ledger = Some(std::sync::Arc::new((policy, console_id.to_owned())));
        self
    }

    /// Which database this store is on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection (waits for the ones in use to come back).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// SQLite's journal mode (`wal` for a file store); `None` on PostgreSQL.
    ///
    /// Errors: [`StoreError::Database`].
    pub async fn sqlite_journal_mode(&self) -> Result<Option<String>, StoreError> {
        if self.backend != Backend::Sqlite {
            return Ok(None);
        }
        let row = sqlx::query("PRAGMA journal_mode")
            .fetch_one(&self.pool)
            .await?;
        Ok(Some(row.try_get::<String, _>(0)?))
    }

    // A write transaction: on SQLite the write lock first (BEGIN IMMEDIATE), so a transaction
    // never has to upgrade a read lock (which fails at once with SQLITE_BUSY instead of waiting).
    //
    // The begin runs in a task of its own, so that a caller dropped meanwhile (a web client that
    // hung up, an aborted intake) cannot cut it in half: sqlx 0.8's SQLite `begin_with` awaits
    // again after its BEGIN has run and before the `Transaction` exists, and a future dropped
    // there leaves the connection in the pool inside a transaction that nothing rolls back,
    // holding SQLite's write lock for good ("database is locked" for every later write).
    // Finished, the task hands over the `Transaction`; if nobody awaits it any more, it is
    // dropped there and rolls back.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        let (pool, backend) = (self.pool.clone(), self.backend);
        let begun = tokio::spawn(async move {
            match backend {
                Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
                Backend::Postgres => pool.begin().await,
            }
        })
        .await;
        match begun {
            Ok(tx) => Ok(tx?),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // The runtime is shutting down.
            Err(_) => Err(StoreError::Database(sqlx::Error::PoolClosed)),
        }
    }

    /// Stores a held item in the hold queue, once per event id and review round: a second insert
    /// of the same pair (a redelivered message) changes nothing and answers
    /// [`Inserted::Duplicate`] with the stored item's id, whatever the record says. The item, its
    /// reasons and `now` (as its storage time) are written in one transaction.
    ///
    /// Errors: [`StoreError::Database`].
    pub async fn insert_item(
        &self,
        item: &HeldItem,
        now: OffsetDateTime,
    ) -> Result<Inserted, StoreError> {
        let mut tx = self.begin_write().await?;
        let inserted = insert_item_in(&mut tx, item, now).await?;
        tx.commit().await?;
        Ok(inserted)
    }

    /// Up to `limit` undecided items of the moderators' queue (or, with `filter.escalated`, the
    /// leads' queue of escalated items), most urgent first: higher severity, then more reasons,
    /// then the oldest hold, then the lower item id. Each filter that is set must be met by some
    /// reason of the item (each by its own reason). States and leases are as at `now`: an
    /// expired lease shows as no lease.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn queue(
        &self,
        filter: &QueueFilter,
        limit: u32,
        now: OffsetDateTime,
    ) -> Result<Vec<ItemSummary>, StoreError> {
        let mut sql = format!(
            "SELECT {ITEM_COLUMNS} FROM queue_items q WHERE q.state <> 'decided' AND q.escalated_at IS {} NULL",
            if filter.escalated { "NOT" } else { "" }
        );
        let mut binds: Vec<&str> = Vec::new();
        for (column, value) in [
            ("stage", &filter.stage),
            ("code", &filter.reason_code),
            ("category", &filter.category),
        ] {
            if let Some(value) = value {
                binds.push(value);
                sql.push_str(&format!(
                    " AND EXISTS (SELECT 1 FROM item_reasons r WHERE r.item_id = q.item_id AND r.{column} = ${})",
                    binds.len()
                ));
            }
        }
        if let Some(me) = &filter.not_appealed_from {
            binds.push(me);
            sql.push_str(&format!(
                " AND NOT EXISTS (SELECT 1 FROM appeals a WHERE a.item_id = q.item_id \
                 AND a.state = 'open' AND a.original_decider = ${})",
                binds.len()
            ));
        }
        let n = binds.len();
        if filter.available_only {
            sql.push_str(&format!(
                " AND NOT (q.state = 'claimed' AND q.lease_expires_at > ${})",
                n + 1
            ));
        }
        sql.push_str(&format!(
            " ORDER BY q.severity DESC, q.reason_count DESC, q.held_at, q.item_id LIMIT ${}",
            n + 2
        ));
        let mut query = sqlx::query(&sql);
        for b in binds {
            query = query.bind(b);
        }
        let rows = query
            .bind(ms(now))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        let mut items = rows
            .iter()
            .map(|row| summary(row, now))
            .collect::<Result<Vec<_>, _>>()?;
        self.attach_reasons(&mut items).await?;
        Ok(items)
    }

    async fn attach_reasons(&self, items: &mut [ItemSummary]) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        let placeholders: Vec<String> = (1..=items.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT item_id, stage, code, category FROM item_reasons WHERE item_id IN ({}) \
             ORDER BY item_id, position",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for item in items.iter() {
            query = query.bind(item.item_id);
        }
        for row in query.fetch_all(&self.pool).await? {
            let id: ItemId = row.try_get("item_id")?;
            if let Some(item) = items.iter_mut().find(|i| i.item_id == id) {
                item.reasons.push(ReasonTag {
                    stage: row.try_get("stage")?,
                    code: row.try_get("code")?,
                    category: row.try_get("category")?,
                });
            }
        }
        Ok(())
    }

    /// The item `item_id` with its record, claim, escalation and verdict, as at `now`; `None` for
    /// an unknown id.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn item(
        &self,
        item_id: ItemId,
        now: OffsetDateTime,
    ) -> Result<Option<Item>, StoreError> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS}, q.record, q.claimed_at, q.escalated_by, q.escalation_note \
             FROM queue_items q WHERE q.item_id = $1"
        );
        let Some(row) = sqlx::query(&sql)
            .bind(item_id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let mut lines = [summary(&row, now)?];
        self.attach_reasons(&mut lines).await?;
        let [line] = lines;
        let claimed = match (
            row.try_get::<Option<String>, _>("lease_holder")?,
            row.try_get::<Option<i64>, _>("claimed_at")?,
        ) {
            (Some(holder), Some(at)) => Some((holder, time(at)?)),
            _ => None,
        };
        let escalation = match row.try_get::<Option<i64>, _>("escalated_at")? {
            Some(at) => Some(Escalation {
                at: time(at)?,
                by: row
                    .try_get::<Option<String>, _>("escalated_by")?
                    .unwrap_or_default(),
                note: row.try_get("escalation_note")?,
            }),
            None => None,
        };
        let verdict = sqlx::query(
            "SELECT verdict_id, decision, moderator, reason_code, note, created_at \
             FROM verdicts WHERE item_id = $1",
        )
        .bind(item_id)
        .fetch_optional(&self.pool)
        .await?
        .map(|row| decided_verdict(&row))
        .transpose()?;
        Ok(Some(Item {
            summary: line,
            record: row.try_get("record")?,
            claimed,
            escalation,
            verdict,
        }))
    }

    /// The user's items in this console, newest hold first (at most `limit`), each with its
    /// verdict if it has one: the item view's per-user history.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn history(
        &self,
        user_id: &str,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT q.item_id, q.event_id, q.review_round, q.held_at, v.verdict_id, v.decision, \
             v.moderator, v.reason_code, v.note, v.created_at \
             FROM queue_items q LEFT JOIN verdicts v ON v.item_id = q.item_id \
             WHERE q.user_id = $1 ORDER BY q.held_at DESC, q.item_id DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| -> Result<HistoryEntry, StoreError> {
                let verdict = match row.try_get::<Option<i64>, _>("verdict_id")? {
                    Some(_) => Some(decided_verdict(row)?),
                    None => None,
                };
                Ok(HistoryEntry {
                    item_id: row.try_get("item_id")?,
                    event_id: row.try_get("event_id")?,
                    round: row.try_get("review_round")?,
                    held_at: time(row.try_get("held_at")?)?,
                    verdict,
                })
            })
            .collect()
    }

    /// The numbers the console's gauges show, as at `now`: items waiting in the moderators'
    /// queue and in the leads' one (an expired lease counts as waiting), unexpired claims, the
    /// hold time of the oldest undecided item, and verdicts the relay has still to produce.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn queue_stats(&self, now: OffsetDateTime) -> Result<QueueStats, StoreError> {
        let row = sqlx::query(
            "SELECT \
               COALESCE(SUM(CASE WHEN escalated_at IS NULL AND (state = 'queued' OR \
                 (state = 'claimed' AND lease_expires_at <= $1)) THEN 1 ELSE 0 END), 0) AS queued, \
               COALESCE(SUM(CASE WHEN escalated_at IS NOT NULL AND (state = 'escalated' OR \
                 (state = 'claimed' AND lease_expires_at <= $1)) THEN 1 ELSE 0 END), 0) AS escalated, \
               COALESCE(SUM(CASE WHEN state = 'claimed' AND lease_expires_at > $1 \
                 THEN 1 ELSE 0 END), 0) AS claimed, \
               MIN(held_at) AS oldest \
             FROM queue_items WHERE state <> 'decided'",
        )
        .bind(ms(now))
        .fetch_one(&self.pool)
        .await?;
        let pending = sqlx::query("SELECT COUNT(*) FROM verdicts WHERE relayed_at IS NULL")
            .fetch_one(&self.pool)
            .await?;
        let count = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(QueueStats {
            queued: count(row.try_get("queued")?),
            escalated: count(row.try_get("escalated")?),
            claimed: count(row.try_get("claimed")?),
            oldest_held_at: row
                .try_get::<Option<i64>, _>("oldest")?
                .map(time)
                .transpose()?,
            outbox_pending: count(pending.try_get(0)?),
        })
    }

    // `column` with its ASCII letters in lower case, on either backend (SQLite's built-in
    // `lower` folds only ASCII; PostgreSQL's would fold every script, by the database's locale).
    fn ascii_fold(&self, column: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("lower({column})"),
            Backend::Postgres => format!(
                "translate({column}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
            ),
        }
    }

    /// Creates an account. `name`: 1 to 64 characters, no control characters or spaces, and
    /// unlike every existing name ignoring ASCII case (`Ann` is taken when `ann` exists; accounts
    /// are few, so the check reads the table). `password_hash`: an argon2 PHC string, or `None`
    /// until a password is set. Concurrent additions are serialized (SQLite's write lock; a
    /// table lock on PostgreSQL that readers do not wait for), so of `Ann` and `ann` added at once
    /// one is refused.
    ///
    /// Errors: [`StoreError::InvalidInput`] for a bad name, [`StoreError::DuplicateAccount`]
    /// (with the existing account's name) when the name is taken, [`StoreError::Database`].
    pub async fn add_account(
        &self,
        name: &str,
        role: Role,
        password_hash: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<AccountId, StoreError> {
        check_account_name(name)?;
        let mut tx = self.begin_write().await?;
        if self.backend == Backend::Postgres {
            // Conflicts with itself (two additions wait for each other), not with reads.
            sqlx::query("LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
        }
        let taken = sqlx::query(&format!(
            "SELECT name FROM accounts WHERE {} = $1 ORDER BY account_id LIMIT 1",
            self.ascii_fold("name")
        ))
        .bind(name.to_ascii_lowercase())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = taken {
            tx.rollback().await?;
            return Err(StoreError::DuplicateAccount(row.try_get("name")?));
        }
        let row = sqlx::query(
            "INSERT INTO accounts (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO NOTHING RETURNING account_id",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(ms(now))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::DuplicateAccount(name.to_owned()));
        };
        let id = row.try_get(0)?;
        tx.commit().await?;
        Ok(id)
    }

    /// The account named `name` ignoring ASCII case (`ANN` finds `ann`), if there is one. Of
    /// accounts whose names differ only in case (made before names were compared so), the one
    /// named exactly `name` is found, and none when there is no such one.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT account_id, name, role, password_hash, created_at FROM accounts \
             WHERE {} = $1 ORDER BY account_id",
            self.ascii_fold("name")
        ))
        .bind(name.to_ascii_lowercase())
        .fetch_all(&self.pool)
        .await?;
        let mut names = Vec::with_capacity(rows.len());
        for row in &rows {
            names.push(row.try_get::<String, _>("name")?);
        }
        let row = match names.iter().position(|n| n == name) {
            Some(i) => &rows[i],
            None if rows.len() == 1 => &rows[0],
            None => return Ok(None),
        };
        Ok(Some(Account {
            account_id: row.try_get("account_id")?,
            name: row.try_get("name")?,
            role: Role::parse(&row.try_get::<String, _>("role")?)?,
            password_hash: row.try_get("password_hash")?,
            created_at: time(row.try_get("created_at")?)?,
        }))
    }

    /// Writes a login attempt to the audit: [`AuditAction::Login`] when it `succeeded`, else
    /// [`AuditAction::LoginFailed`] (`actor` is the name given, known or not).
    ///
    /// Errors: [`StoreError::Database`].
    pub async fn record_login(
        &self,
        actor: &str,
        succeeded: bool,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let action = if succeeded {
            AuditAction::Login
        } else {
            AuditAction::LoginFailed
        };
        let mut tx = self.begin_write().await?;
        audit(&mut tx, now, actor, action, None, None, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Audit rows in the order written, of one item and/or one actor when given, at most
    /// `limit`.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn audit_log(
        &self,
        item_id: Option<ItemId>,
        actor: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut sql = String::from(
            "SELECT audit_id, occurred_at, actor, action, item_id, verdict_id, detail FROM audit \
             WHERE 1 = 1",
        );
        let mut n = 0;
        if item_id.is_some() {
            n += 1;
            sql.push_str(&format!(" AND item_id = ${n}"));
        }
        if actor.is_some() {
            n += 1;
            sql.push_str(&format!(" AND actor = ${n}"));
        }
        sql.push_str(&format!(" ORDER BY audit_id LIMIT ${}", n + 1));
        let mut query = sqlx::query(&sql);
        if let Some(id) = item_id {
            query = query.bind(id);
        }
        if let Some(actor) = actor {
            query = query.bind(actor);
        }
        let rows = query.bind(i64::from(limit)).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| -> Result<AuditEntry, StoreError> {
                Ok(AuditEntry {
                    audit_id: row.try_get("audit_id")?,
                    occurred_at: time(row.try_get("occurred_at")?)?,
                    actor: row.try_get("actor")?,
                    action: AuditAction::parse(&row.try_get::<String, _>("action")?)?,
                    item_id: row.try_get("item_id")?,
                    verdict_id: row.try_get("verdict_id")?,
                    detail: row.try_get("detail")?,
                })
            })
            .collect()
    }
}

// One audit row, in the caller's transaction.
/// [`Store::insert_item`] in the caller's transaction.
pub(super) async fn insert_item_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    item: &HeldItem,
    now: OffsetDateTime,
) -> Result<Inserted, StoreError> {
    let row = sqlx::query(
        "INSERT INTO queue_items (event_id, review_round, user_id, record, severity, \
         reason_count, held_at, stored_at, state) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued') \
         ON CONFLICT (event_id, review_round) DO NOTHING RETURNING item_id",
    )
    .bind(item.event_id.as_str())
    .bind(item.round)
    .bind(item.user_id.as_str())
    .bind(item.record.as_str())
    .bind(item.severity)
    .bind(item.reasons.len() as i64)
    .bind(ms(item.held_at))
    .bind(ms(now))
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        let id: i64 = sqlx::query(
            "SELECT item_id FROM queue_items WHERE event_id = $1 AND review_round = $2",
        )
        .bind(item.event_id.as_str())
        .bind(item.round)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
        return Ok(Inserted::Duplicate(id));
    };
    let id: ItemId = row.try_get(0)?;
    for (position, r) in item.reasons.iter().enumerate() {
        sqlx::query(
            "INSERT INTO item_reasons (item_id, position, stage, code, category) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(position as i64)
        .bind(r.stage.as_str())
        .bind(r.code.as_str())
        .bind(r.category.as_deref())
        .execute(&mut **tx)
        .await?;
    }
    Ok(Inserted::New(id))
}

async fn audit(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    now: OffsetDateTime,
    actor: &str,
    action: AuditAction,
    item_id: Option<ItemId>,
    verdict_id: Option<VerdictId>,
    detail: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit (occurred_at, actor, action, item_id, verdict_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(ms(now))
    .bind(actor)
    .bind(action.as_str())
    .bind(item_id)
    .bind(verdict_id)
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

// An ItemSummary from ITEM_COLUMNS (reasons attached later), the state as at `now`.
fn summary(row: &AnyRow, now: OffsetDateTime) -> Result<ItemSummary, StoreError> {
    let stored = ItemState::parse(&row.try_get::<String, _>("state")?)?;
    let expires = row.try_get::<Option<i64>, _>("lease_expires_at")?;
    let escalated = row.try_get::<Option<i64>, _>("escalated_at")?.is_some();
    let live = stored == ItemState::Claimed && expires.is_some_and(|e| e > ms(now));
    let state = match stored {
        ItemState::Claimed if !live && escalated => ItemState::Escalated,
        ItemState::Claimed if !live => ItemState::Queued,
        s => s,
    };
    let lease = match (
        live,
        row.try_get::<Option<String>, _>("lease_holder")?,
        expires,
    ) {
        (true, Some(holder), Some(e)) => Some((holder, time(e)?)),
        _ => None,
    };
    Ok(ItemSummary {
        item_id: row.try_get("item_id")?,
        event_id: row.try_get("event_id")?,
        round: row.try_get("review_round")?,
        user_id: row.try_get("user_id")?,
        severity: row.try_get("severity")?,
        held_at: time(row.try_get("held_at")?)?,
        state,
        lease,
        reasons: Vec::new(),
    })
}

// A DecidedVerdict from a row with verdict_id, decision, moderator, reason_code, note,
// created_at.
fn decided_verdict(row: &AnyRow) -> Result<DecidedVerdict, StoreError> {
    Ok(DecidedVerdict {
        verdict_id: row.try_get("verdict_id")?,
        verdict: Verdict::parse(&row.try_get::<String, _>("decision")?)?,
        moderator: row.try_get("moderator")?,
        reason_code: row.try_get("reason_code")?,
        note: row.try_get("note")?,
        decided_at: time(row.try_get("created_at")?)?,
    })
}

/// A time as the console shows it to people (pages, refusals, audit details): RFC 3339 in UTC,
/// whole seconds, `2026-12-07T11:03:08Z`.
pub fn utc_text(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| format!("{}s since the Unix epoch", t.unix_timestamp()))
}

/// A time as stored: milliseconds since the Unix epoch (UTC), sub-millisecond parts dropped.
pub fn ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

// A stored time back.
fn time(ms: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|_| StoreError::Corrupt(format!("time {ms} ms out of range")))
}

#[cfg(test)]
mod account_name_tests {
    use super::check_account_name;

    #[test]
    fn names_that_look_like_another_are_refused() {
        for ok in [
            "alice",
            "Bob_2",
            "张三",
            "moderator-7",
            "team/lead",
            "Zoë",
            "Ελένη",
            "Иван",
        ] {
            assert!(check_account_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "al\u{200B}ice",
            "\u{202E}ecila",
            "ali\u{200F}ce",
            "\u{0430}lice",
            "ａｌｉｃｅ",
            "al ice",
            "",
        ] {
            assert!(check_account_name(bad).is_err(), "{bad:?}");
        }
    }
}
