//! Claims and what a lease allows: renew, skip, escalate, decide. Each is one write transaction
//! whose conditional update decides; when it updates no row, the row is read again in the same
//! transaction to say why, and the transaction is rolled back (nothing changes).

use std::time::Duration;

use rand::RngCore;
use sqlx::Row;
use time::OffsetDateTime;

use super::{
    audit, ms, time, utc_text, AuditAction, Backend, ItemId, Lease, Role, Store, StoreError,
    VerdictId, VerdictInput, MAX_NOTE_CHARS, MAX_REASON_CODE_CHARS,
};

/// The longest lease a claim or renewal may ask for.
pub const MAX_LEASE: Duration = Duration::from_secs(24 * 3600);

// 128 random bits from the operating system's generator, as 32 hex digits.
fn new_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn expiry(now: OffsetDateTime, lease: Duration) -> Result<OffsetDateTime, StoreError> {
    if lease.is_zero() || lease > MAX_LEASE {
        return Err(StoreError::InvalidInput(format!(
            "lease of {lease:?}: more than zero and at most {MAX_LEASE:?}"
        )));
    }
    // Whole milliseconds, as stored.
    super::time(ms(now) + lease.as_millis() as i64)
}

fn check_note(note: Option<&str>) -> Result<(), StoreError> {
    match note {
        Some(n) if n.chars().count() > MAX_NOTE_CHARS => Err(StoreError::InvalidInput(format!(
            "note of {} characters: at most {MAX_NOTE_CHARS}",
            n.chars().count()
        ))),
        _ => Ok(()),
    }
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

impl Store {
    /// Claims item `item_id` for `moderator` (of `role`) with a lease of `lease` from `now`.
    ///
    /// Granted when the item is queued, when its lease has expired (the expired lease is taken
    /// over: the item went back to the queue when it ran out), or when `moderator` holds the
    /// lease already (a new token replaces the old one, which becomes stale). An escalated item
    /// is granted to a lead only. The grant is a conditional update, so of concurrent claims
    /// exactly one wins; it is written to the audit with the time.
    ///
    /// Errors: [`StoreError::UnknownItem`], [`StoreError::AlreadyDecided`],
    /// [`StoreError::Claimed`] (someone else's unexpired lease), [`StoreError::Escalated`] (a
    /// moderator claiming an escalated item), [`StoreError::InvalidInput`] for a zero lease or
    /// one longer than [`MAX_LEASE`], [`StoreError::Database`].
    pub async fn claim(
        &self,
        item_id: ItemId,
        moderator: &str,
        role: Role,
        lease: Duration,
        now: OffsetDateTime,
    ) -> Result<Lease, StoreError> {
        self.claim_for(item_id, moderator, role, lease, now, None)
            .await
    }

    /// A lead (`lead`) assigns item `item_id` to `moderator` (of `role`): a claim in the
    /// moderator's name with a lease of `lease` from `now`, granted by the rules of
    /// [`Store::claim`] (a queued item or an expired lease; an escalated item only to a lead).
    /// Nobody else can claim it until the lease runs out; when the moderator opens it, their
    /// claim is granted (a new token: the lease is theirs). Audited as a claim by the lead,
    /// naming the moderator. The returned lease's token is not for the lead to use.
    ///
    /// Errors: as [`Store::claim`]. The caller checks that `lead` is a lead and that
    /// `moderator` is an account of `role`.
    pub async fn assign(
        &self,
        item_id: ItemId,
        lead: &str,
        moderator: &str,
        role: Role,
        lease: Duration,
        now: OffsetDateTime,
    ) -> Result<Lease, StoreError> {
        self.claim_for(item_id, moderator, role, lease, now, Some(lead))
            .await
    }

    async fn claim_for(
        &self,
        item_id: ItemId,
        moderator: &str,
        role: Role,
        lease: Duration,
        now: OffsetDateTime,
        assigned_by: Option<&str>,
    ) -> Result<Lease, StoreError> {
        let expires_at = expiry(now, lease)?;
        let token = new_token();
        let mut tx = self.begin_write().await?;
        // What the claim replaces, for the audit. The update below decides, not this read; on
        // PostgreSQL the read locks the row (SQLite's BEGIN IMMEDIATE holds the write lock
        // already), so that a refusal's reason is read from the row the update saw.
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let before = sqlx::query(&format!(
            "SELECT state, lease_holder, lease_expires_at FROM queue_items WHERE item_id = $1{lock}"
        ))
        .bind(item_id)
        .fetch_optional(&mut *tx)
        .await?;
        super::appeals::check_not_decider(&mut tx, item_id, moderator).await?;
        let lead = role == Role::Lead;
        let sql = format!(
            "UPDATE queue_items SET state = 'claimed', lease_holder = $2, lease_token = $3, \
             lease_expires_at = $4, claimed_at = $5 \
             WHERE item_id = $1 AND ( \
               (state = 'queued') \
               OR (state = 'claimed' AND lease_holder = $2) \
               OR (state = 'claimed' AND lease_expires_at <= $5 {}) \
               {})",
            if lead { "" } else { "AND escalated_at IS NULL" },
            if lead { "OR (state = 'escalated')" } else { "" },
        );
        let updated = sqlx::query(&sql)
            .bind(item_id)
            .bind(moderator)
            .bind(token.as_str())
            .bind(ms(expires_at))
            .bind(ms(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if updated == 0 {
            let refusal = claim_refusal(&mut tx, item_id, now).await?;
            tx.rollback().await?;
            return Err(refusal);
        }
        let detail = match before {
            Some(row) => {
                let state: String = row.try_get("state")?;
                let holder: Option<String> = row.try_get("lease_holder")?;
                let expires: Option<i64> = row.try_get("lease_expires_at")?;
                match (state.as_str(), holder, expires) {
                    ("claimed", Some(h), Some(e)) if h != moderator => Some(format!(
                        "took over the lease of {h}, expired at {}",
                        utc_text(time(e)?)
                    )),
                    ("claimed", Some(_), _) => Some("renewed by a new claim".to_owned()),
                    ("escalated", _, _) => Some("escalated item".to_owned()),
                    _ => None,
                }
            }
            None => None,
        };
        let mut detail = match detail {
            Some(d) => format!("until {}; {d}", utc_text(expires_at)),
            None => format!("until {}", utc_text(expires_at)),
        };
        if assigned_by.is_some() {
            detail = format!("assigned to {moderator} {detail}");
        }
        audit(
            &mut tx,
            now,
            assigned_by.unwrap_or(moderator),
            AuditAction::Claim,
            Some(item_id),
            None,
            Some(&detail),
        )
        .await?;
        tx.commit().await?;
        Ok(Lease {
            item_id,
            holder: moderator.to_owned(),
            token,
            expires_at,
        })
    }

    /// Extends the lease `token` of `moderator` on `item_id` to `lease` from `now` (the page is
    /// still open). Not audited (a claim is).
    ///
    /// Errors: as [`Store::decide`] for the lease ([`StoreError::UnknownItem`],
    /// [`StoreError::AlreadyDecided`], [`StoreError::StaleToken`],
    /// [`StoreError::NotLeaseHolder`], [`StoreError::LeaseExpired`]: an expired lease is not
    /// renewed, claim again), [`StoreError::InvalidInput`] for a bad duration,
    /// [`StoreError::Database`].
    pub async fn renew(
        &self,
        item_id: ItemId,
        token: &str,
        moderator: &str,
        lease: Duration,
        now: OffsetDateTime,
    ) -> Result<Lease, StoreError> {
        let expires_at = expiry(now, lease)?;
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE queue_items SET lease_expires_at = $4 \
             WHERE item_id = $1 AND state = 'claimed' AND lease_token = $2 \
             AND lease_holder = $3 AND lease_expires_at > $5",
        )
        .bind(item_id)
        .bind(token)
        .bind(moderator)
        .bind(ms(expires_at))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(refuse(tx, item_id, token, moderator, now).await);
        }
        tx.commit().await?;
        Ok(Lease {
            item_id,
            holder: moderator.to_owned(),
            token: token.to_owned(),
            expires_at,
        })
    }

    /// Gives the lease back: the item returns to the queue (an escalated one to the leads'
    /// queue) for someone else. Audited.
    ///
    /// Errors: the lease refusals of [`Store::decide`], [`StoreError::Database`].
    pub async fn skip(
        &self,
        item_id: ItemId,
        token: &str,
        moderator: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE queue_items SET \
             state = CASE WHEN escalated_at IS NULL THEN 'queued' ELSE 'escalated' END, \
             lease_holder = NULL, lease_token = NULL, lease_expires_at = NULL, claimed_at = NULL \
             WHERE item_id = $1 AND state = 'claimed' AND lease_token = $2 \
             AND lease_holder = $3 AND lease_expires_at > $4",
        )
        .bind(item_id)
        .bind(token)
        .bind(moderator)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(refuse(tx, item_id, token, moderator, now).await);
        }
        audit(
            &mut tx,
            now,
            moderator,
            AuditAction::Skip,
            Some(item_id),
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sends the item to the leads with an optional `note` (at most [`MAX_NOTE_CHARS`]
    /// characters): the lease ends and the item leaves the moderators' queue for the leads'
    /// ([`super::QueueFilter::escalated`]), where only a lead can claim it. Audited with the note.
    ///
    /// Errors: the lease refusals of [`Store::decide`], [`StoreError::InvalidInput`] for a long
    /// note, [`StoreError::Database`].
    pub async fn escalate(
        &self,
        item_id: ItemId,
        token: &str,
        moderator: &str,
        note: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        check_note(note)?;
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE queue_items SET state = 'escalated', escalated_at = $4, escalated_by = $3, \
             escalation_note = $5, \
             lease_holder = NULL, lease_token = NULL, lease_expires_at = NULL, claimed_at = NULL \
             WHERE item_id = $1 AND state = 'claimed' AND lease_token = $2 \
             AND lease_holder = $3 AND lease_expires_at > $4",
        )
        .bind(item_id)
        .bind(token)
        .bind(moderator)
        .bind(ms(now))
        .bind(note)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(refuse(tx, item_id, token, moderator, now).await);
        }
        audit(
            &mut tx,
            now,
            moderator,
            AuditAction::Escalate,
            Some(item_id),
            None,
            note,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Gives `moderator`'s verdict on `item_id`, accepted only with the item's current,
    /// unexpired lease token held by `moderator`. In one transaction: the conditional update
    /// that marks the item decided (so of two attempts at most one succeeds, whatever their
    /// tokens), the verdict's row — which is also the relay's outbox row
    /// ([`Store::pending_outbox`]) — and the audit row. Returns the verdict's id.
    ///
    /// Errors (each leaves the store unchanged):
    /// - [`StoreError::UnknownItem`]: no such item;
    /// - [`StoreError::AlreadyDecided`]: it has its verdict;
    /// - [`StoreError::StaleToken`]: not the current token (released, or claimed again);
    /// - [`StoreError::NotLeaseHolder`]: the current token, but someone else's lease;
    /// - [`StoreError::LeaseExpired`]: the current token, but the lease ran out;
    /// - [`StoreError::InvalidInput`]: a reason code that is empty, too long or not `[a-z0-9_]`,
    ///   or a note longer than [`MAX_NOTE_CHARS`];
    /// - [`StoreError::Database`].
    pub async fn decide(
        &self,
        item_id: ItemId,
        token: &str,
        moderator: &str,
        verdict: &VerdictInput<'_>,
        now: OffsetDateTime,
    ) -> Result<VerdictId, StoreError> {
        let code = verdict.reason_code;
        if code.is_empty()
            || code.len() > MAX_REASON_CODE_CHARS
            || !code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::InvalidInput(format!(
                "reason code {code:?}: 1 to {MAX_REASON_CODE_CHARS} of [a-z0-9_]"
            )));
        }
        check_note(verdict.note)?;
        let mut tx = self.begin_write().await?;
        super::appeals::check_not_decider(&mut tx, item_id, moderator).await?;
        let updated = sqlx::query(
            "UPDATE queue_items SET state = 'decided', decided_verdict = $4, decided_by = $3, \
             decided_at = $5, lease_token = NULL, lease_expires_at = NULL \
             WHERE item_id = $1 AND state = 'claimed' AND lease_token = $2 \
             AND lease_holder = $3 AND lease_expires_at > $5",
        )
        .bind(item_id)
        .bind(token)
        .bind(moderator)
        .bind(verdict.verdict.as_str())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(refuse(tx, item_id, token, moderator, now).await);
        }
        let verdict_id: VerdictId = sqlx::query(
            "INSERT INTO verdicts (item_id, moderator, decision, reason_code, note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING verdict_id",
        )
        .bind(item_id)
        .bind(moderator)
        .bind(verdict.verdict.as_str())
        .bind(code)
        .bind(verdict.note)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        sqlx::query("UPDATE queue_items SET verdict_id = $2 WHERE item_id = $1")
            .bind(item_id)
            .bind(verdict_id)
            .execute(&mut *tx)
            .await?;
        super::complaints::close_case(
            &mut tx,
            item_id,
            moderator,
            verdict.verdict,
            verdict_id,
            now,
        )
        .await?;
        super::appeals::close_appeal(
            &mut tx,
            self.ledger.as_deref(),
            item_id,
            moderator,
            verdict.verdict,
            verdict_id,
            verdict.note,
            now,
        )
        .await?;
        let detail = format!("{} {code}", verdict.verdict.as_str());
        audit(
            &mut tx,
            now,
            moderator,
            AuditAction::Verdict,
            Some(item_id),
            Some(verdict_id),
            Some(&detail),
        )
        .await?;
        tx.commit().await?;
        Ok(verdict_id)
    }
}

// Why a claim updated no row.
async fn claim_refusal(
    tx: &mut Tx,
    item_id: ItemId,
    now: OffsetDateTime,
) -> Result<StoreError, StoreError> {
    let Some(row) = sqlx::query(
        "SELECT state, lease_holder, lease_expires_at, escalated_at FROM queue_items \
         WHERE item_id = $1",
    )
    .bind(item_id)
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(StoreError::UnknownItem(item_id));
    };
    let state: String = row.try_get("state")?;
    let holder: Option<String> = row.try_get("lease_holder")?;
    let expires: Option<i64> = row.try_get("lease_expires_at")?;
    let escalated = row.try_get::<Option<i64>, _>("escalated_at")?.is_some();
    Ok(match (state.as_str(), holder, expires) {
        ("decided", _, _) => StoreError::AlreadyDecided(item_id),
        ("claimed", Some(holder), Some(e)) if e > ms(now) => StoreError::Claimed {
            item_id,
            holder,
            expires_at: time(e)?,
        },
        _ if escalated => StoreError::Escalated(item_id),
        (other, _, _) => StoreError::Corrupt(format!(
            "item {item_id}: a claim was refused in state {other:?}"
        )),
    })
}

// Why a lease operation (renew, skip, escalate, decide) updated no row; rolls the transaction
// back. A failure while finding out is returned instead.
async fn refuse(
    mut tx: Tx,
    item_id: ItemId,
    token: &str,
    moderator: &str,
    now: OffsetDateTime,
) -> StoreError {
    let why = lease_refusal(&mut tx, item_id, token, moderator, now).await;
    let rolled_back = tx.rollback().await;
    match (why, rolled_back) {
        (Ok(why), Ok(())) => why,
        (Err(e), _) => e,
        (Ok(_), Err(e)) => e.into(),
    }
}

async fn lease_refusal(
    tx: &mut Tx,
    item_id: ItemId,
    token: &str,
    moderator: &str,
    now: OffsetDateTime,
) -> Result<StoreError, StoreError> {
    let Some(row) = sqlx::query(
        "SELECT state, lease_holder, lease_token, lease_expires_at FROM queue_items \
         WHERE item_id = $1",
    )
    .bind(item_id)
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(StoreError::UnknownItem(item_id));
    };
    let state: String = row.try_get("state")?;
    let holder: Option<String> = row.try_get("lease_holder")?;
    let current: Option<String> = row.try_get("lease_token")?;
    let expires: Option<i64> = row.try_get("lease_expires_at")?;
    Ok(if state == "decided" {
        StoreError::AlreadyDecided(item_id)
    } else if state != "claimed" || current.as_deref() != Some(token) {
        StoreError::StaleToken(item_id)
    } else if holder.as_deref() != Some(moderator) {
        StoreError::NotLeaseHolder(item_id)
    } else {
        match expires {
            Some(e) if e <= ms(now) => StoreError::LeaseExpired {
                item_id,
                expired_at: time(e)?,
            },
            // Changed between the update and this read (cannot happen inside the write
            // transaction); the token is as good as stale.
            _ => StoreError::StaleToken(item_id),
        }
    })
}
