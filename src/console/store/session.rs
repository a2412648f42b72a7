//! Login sessions (migration 0002), the login rate limit's count, and the leads' operations:
//! releasing a claim and the decision statistics.
//!
//! A session is known to the store only by the SHA-256 of its id: the id (the cookie's value) is
//! handed out once by [`Store::create_session`] and never stored.

use std::time::Duration;

use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;
use time::OffsetDateTime;

use super::{
    audit, ms, summary, time, AccountId, AuditAction, ItemId, ItemSummary, Role, Store, StoreError,
    ITEM_COLUMNS,
};

/// The longest a session may live.
pub const MAX_SESSION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// A session as handed out by [`Store::create_session`]: the secret id for the cookie and the
/// session's CSRF token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// The session id (256 random bits from the OS, 64 hex digits): the cookie's value. The store
    /// keeps only its SHA-256.
    pub id: String,
    /// The session's CSRF token (256 random bits, 64 hex digits).
    pub csrf_token: String,
    /// When it runs out.
    pub expires_at: OffsetDateTime,
}

/// A live session as found by [`Store::session`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The account.
    pub account_id: AccountId,
    /// The account's name (the actor in leases, verdicts and the audit).
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// When it runs out.
    pub expires_at: OffsetDateTime,
}

/// One moderator's decisions in a period ([`Store::moderator_stats`]). Times in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeratorStats {
    /// The moderator (or lead) who gave the verdicts.
    pub moderator: String,
    /// Verdicts given.
    pub decisions: i64,
    /// Of which approvals.
    pub approved: i64,
    /// Of which rejections.
    pub rejected: i64,
    /// Mean time from the (last) claim to the verdict, ms.
    pub mean_claim_to_verdict_ms: i64,
    /// Longest time from the claim to the verdict, ms.
    pub max_claim_to_verdict_ms: i64,
    /// Mean time from the worker's hold to the verdict, ms.
    pub mean_held_to_verdict_ms: i64,
    /// Longest time from the hold to the verdict, ms.
    pub max_held_to_verdict_ms: i64,
}

/// 256 random bits from the operating system's generator, as 64 hex digits.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// The SHA-256 of a session id as stored (64 hex digits).
pub fn session_hash(id: &str) -> String {
    hex(&Sha256::digest(id.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Opens a session for `account_id` living `ttl` from `now`; returns its id (for the cookie,
    /// not stored: the store keeps its SHA-256) and its CSRF token. Sessions of any account that
    /// expired before `now` are deleted on the way.
    ///
    /// Errors: [`StoreError::InvalidInput`] for a zero `ttl` or one over [`MAX_SESSION_TTL`],
    /// [`StoreError::Database`] (also for an unknown account: the foreign key).
    pub async fn create_session(
        &self,
        account_id: AccountId,
        ttl: Duration,
        now: OffsetDateTime,
    ) -> Result<NewSession, StoreError> {
        if ttl.is_zero() || ttl > MAX_SESSION_TTL {
            return Err(StoreError::InvalidInput(format!(
                "session lifetime of {ttl:?}: more than zero and at most {MAX_SESSION_TTL:?}"
            )));
        }
        let expires_at = time(ms(now) + ttl.as_millis() as i64)?;
        let id = random_secret();
        let csrf_token = random_secret();
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (session_hash, account_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(session_hash(&id))
        .bind(account_id)
        .bind(csrf_token.as_str())
        .bind(ms(now))
        .bind(ms(expires_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(NewSession {
            id,
            csrf_token,
            expires_at,
        })
    }

    /// The live session whose id is `id` (the cookie's value), with its account; `None` when
    /// there is none, or it expired at or before `now`, or its account is disabled.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn session(
        &self,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Session>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT s.account_id, a.name, a.role, s.csrf_token, s.expires_at \
             FROM sessions s JOIN accounts a ON a.account_id = s.account_id \
             WHERE s.session_hash = $1 AND s.expires_at > $2 AND a.disabled_at IS NULL",
        )
        .bind(session_hash(id))
        .bind(ms(now))
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(Session {
            account_id: row.try_get("account_id")?,
            name: row.try_get("name")?,
            role: Role::parse(&row.try_get::<String, _>("role")?)?,
            csrf_token: row.try_get("csrf_token")?,
            expires_at: time(row.try_get("expires_at")?)?,
        }))
    }

    /// Ends the session whose id is `id` (logout); `false` when there was none.
    ///
    /// Errors: [`StoreError::Database`].
    pub async fn delete_session(&self, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let deleted = sqlx::query("DELETE FROM sessions WHERE session_hash = $1")
            .bind(session_hash(id))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(deleted > 0)
    }

    /// The failed logins (audit rows `login_failed`) for the name `actor` since `since` and
    /// after its last successful login: what the console's login rate limit counts. Read from
    /// the audit table, so it holds across console replicas on one database.
    ///
    /// Errors: [`StoreError::Database`].
    pub async fn failed_logins_since(
        &self,
        actor: &str,
        since: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM audit WHERE actor = $1 AND action = 'login_failed' \
             AND occurred_at >= $2 AND audit_id > COALESCE( \
               (SELECT MAX(audit_id) FROM audit WHERE actor = $1 AND action = 'login'), 0)",
        )
        .bind(actor)
        .bind(ms(since))
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// A lead ends someone's unexpired lease on `item_id` (reassignment: the moderator went
    /// home, or the lead wants someone else on it). The item returns to the queue it came from
    /// (an escalated one to the leads'); the holder's token becomes stale, so their page's
    /// verdict is refused ([`StoreError::StaleToken`]). Audited as a `skip` by `lead`, naming the
    /// holder. Returns the holder whose lease ended.
    ///
    /// Errors: [`StoreError::UnknownItem`], [`StoreError::AlreadyDecided`],
    /// [`StoreError::NotClaimed`] (no unexpired lease to end), [`StoreError::Database`]. The
    /// caller checks that `lead` is a lead.
    pub async fn release_claim(
        &self,
        item_id: ItemId,
        lead: &str,
        now: OffsetDateTime,
    ) -> Result<String, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT state, lease_holder FROM queue_items WHERE item_id = $1")
            .bind(item_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Err(StoreError::UnknownItem(item_id));
        };
        let state: String = row.try_get("state")?;
        let holder: Option<String> = row.try_get("lease_holder")?;
        // The conditional update decides (the read above only names the holder; on SQLite the
        // write lock is held already, on PostgreSQL the update re-checks the row).
        let updated = sqlx::query(
            "UPDATE queue_items SET \
             state = CASE WHEN escalated_at IS NULL THEN 'queued' ELSE 'escalated' END, \
             lease_holder = NULL, lease_token = NULL, lease_expires_at = NULL, claimed_at = NULL \
             WHERE item_id = $1 AND state = 'claimed' AND lease_expires_at > $2 \
             AND lease_holder = $3",
        )
        .bind(item_id)
        .bind(ms(now))
        .bind(holder.as_deref())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let holder = match (updated, holder) {
            (1, Some(holder)) => holder,
            _ => {
                tx.rollback().await?;
                return Err(if state == "decided" {
                    StoreError::AlreadyDecided(item_id)
                } else {
                    StoreError::NotClaimed(item_id)
                });
            }
        };
        let detail = format!("lead released the lease of {holder}");
        audit(
            &mut tx,
            now,
            lead,
            AuditAction::Skip,
            Some(item_id),
            None,
            Some(&detail),
        )
        .await?;
        tx.commit().await?;
        Ok(holder)
    }

    /// Every unexpired lease as at `now` (moderators' and leads' queues), the soonest to expire
    /// first: the leads' claims page.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn claims(&self, now: OffsetDateTime) -> Result<Vec<ItemSummary>, StoreError> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM queue_items q \
             WHERE q.state = 'claimed' AND q.lease_expires_at > $1 \
             ORDER BY q.lease_expires_at, q.item_id"
        );
        let rows = sqlx::query(&sql)
            .bind(ms(now))
            .fetch_all(&self.pool)
            .await?;
        let mut items = rows
            .iter()
            .map(|row| summary(row, now))
            .collect::<Result<Vec<_>, _>>()?;
        self.attach_reasons(&mut items).await?;
        Ok(items)
    }

    /// Decisions per moderator for verdicts given at or after `since`, by name: counts and the
    /// mean and longest times from claim to verdict and from hold to verdict (the leads' stats
    /// page).
    ///
    /// Errors: [`StoreError::Database`].
    pub async fn moderator_stats(
        &self,
        since: OffsetDateTime,
    ) -> Result<Vec<ModeratorStats>, StoreError> {
        // COUNT and MAX of BIGINT are BIGINT on PostgreSQL; AVG is NUMERIC there, hence the casts.
        let rows = sqlx::query(
            "SELECT v.moderator, COUNT(*) AS decisions, \
             COUNT(CASE WHEN v.decision = 'approve' THEN 1 END) AS approved, \
             COUNT(CASE WHEN v.decision = 'reject' THEN 1 END) AS rejected, \
             CAST(AVG(v.created_at - COALESCE(q.claimed_at, v.created_at)) AS BIGINT) AS mean_claim, \
             MAX(v.created_at - COALESCE(q.claimed_at, v.created_at)) AS max_claim, \
             CAST(AVG(v.created_at - q.held_at) AS BIGINT) AS mean_held, \
             MAX(v.created_at - q.held_at) AS max_held \
             FROM verdicts v JOIN queue_items q ON q.item_id = v.item_id \
             WHERE v.created_at >= $1 GROUP BY v.moderator ORDER BY v.moderator",
        )
        .bind(ms(since))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| -> Result<ModeratorStats, StoreError> {
                Ok(ModeratorStats {
                    moderator: row.try_get("moderator")?,
                    decisions: row.try_get("decisions")?,
                    approved: row.try_get("approved")?,
                    rejected: row.try_get("rejected")?,
                    mean_claim_to_verdict_ms: row.try_get("mean_claim")?,
                    max_claim_to_verdict_ms: row.try_get("max_claim")?,
                    mean_held_to_verdict_ms: row.try_get("mean_held")?,
                    max_held_to_verdict_ms: row.try_get("max_held")?,
                })
            })
            .collect()
    }
}
