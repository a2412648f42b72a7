//! Complaints in the store ([`crate::console::complaint`] for the rules): cases, the reopened
//! items, reporters' records, the index of published records, and the results written to the
//! outbox when a case's item is decided.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;
use sqlx::Row;
use time::OffsetDateTime;

use super::ledger::write_offsets;
use super::outbox::{add_record, OutboxTopic};
use super::{insert_item_in, ms, time as from_ms, Inserted, ItemId, Store, StoreError, Verdict};
use crate::console::complaint::{case_severity, credibility, reopened_record, Complaint};
use crate::console::item::HeldItem;
use crate::console::ledger::rfc3339;

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// What [`Store::apply_complaints`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComplaintsApplied {
    /// Complaints the store did not have.
    pub new: u64,
    /// Of those, merged into an open case.
    pub merged: u64,
    /// Complaints it had (a record read again).
    pub duplicates: u64,
    /// Items reopened: (event id, item id).
    pub reopened: Vec<(String, ItemId)>,
}

/// A case as the item view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintCase {
    /// The case.
    pub case_id: i64,
    /// Its deadline.
    pub deadline: OffsetDateTime,
    /// `open` or `decided`.
    pub state: String,
    /// `founded` / `unfounded`, once decided.
    pub outcome: Option<String>,
    /// Decided by the deadline, once decided.
    pub met_deadline: Option<bool>,
    /// Its complaints: (complaint id, category, reporter, text, received at), oldest first.
    pub complaints: Vec<(String, String, String, String, OffsetDateTime)>,
}

/// The console's gauges of complaints ([`Store::complaint_stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ComplaintStats {
    /// Open cases.
    pub open: u64,
    /// Open cases past their deadline.
    pub overdue: u64,
}

impl Store {
    /// Records where each published (approved) decision record is: `entries` of (event id,
    /// partition, offset, user id) read from `topic`, the offsets after them in `next`.
    ///
    /// Errors: [`StoreError::Database`].
    pub async fn index_published(
        &self,
        topic: &str,
        next: &[(i32, i64)],
        entries: &[(String, i32, i64, Option<String>)],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for (event_id, partition, offset, user) in entries {
            sqlx::query(
                "INSERT INTO published_index (event_id, partition_id, record_offset, user_id, \
                 indexed_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO UPDATE SET \
                 partition_id = excluded.partition_id, record_offset = excluded.record_offset, \
                 user_id = excluded.user_id, indexed_at = excluded.indexed_at",
            )
            .bind(event_id.as_str())
            .bind(i64::from(*partition))
            .bind(*offset)
            .bind(user.as_deref())
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        }
        write_offsets(&mut tx, topic, next).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Where the published record of `event_id` is in the approved topic (partition, offset).
    ///
    /// Errors: [`StoreError::Database`].
    pub async fn published_at(&self, event_id: &str) -> Result<Option<(i32, i64)>, StoreError> {
        let row = sqlx::query(
            "SELECT partition_id, record_offset FROM published_index WHERE event_id = $1",
        )
        .bind(event_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let p: i64 = r.try_get(0)?;
            Ok((i32::try_from(p).unwrap_or(0), r.try_get(1)?))
        })
        .transpose()
    }

    /// Whether the store has an item of `event_id` (any round) or an open case of it: then a
    /// complaint needs no published record.
    ///
    /// Errors: [`StoreError::Database`].
    pub async fn knows_event(&self, event_id: &str) -> Result<bool, StoreError> {
        Ok(
            sqlx::query("SELECT 1 FROM queue_items WHERE event_id = $1 LIMIT 1")
                .bind(event_id)
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }

    /// Stores `complaints` (read from `topic`, the offsets after them in `next`) in one
    /// transaction: a complaint the store has changes nothing; one about an event with an open
    /// case joins it (and can raise the item's priority); any other opens a case, reopening the
    /// event as a new review round in the hold queue — its record the event's latest item's,
    /// else `published[event_id]` (the approved record), else a stub — with the deadline
    /// `received_at + time_limit` and the severity of its most credible reporter
    /// ([`case_severity`]).
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`], [`StoreError::Record`] (a
    /// published record that cannot be read as an item).
    pub async fn apply_complaints(
        &self,
        topic: &str,
        next: &[(i32, i64)],
        complaints: &[Complaint],
        published: &BTreeMap<String, String>,
        time_limit: Duration,
        now: OffsetDateTime,
    ) -> Result<ComplaintsApplied, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut applied = ComplaintsApplied::default();
        for c in complaints {
            let known = sqlx::query("SELECT 1 FROM complaints WHERE complaint_id = $1")
                .bind(c.complaint_id.as_str())
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            if known {
                applied.duplicates += 1;
                continue;
            }
            applied.new += 1;
            let weight = reporter_credibility(&mut tx, &c.reporter).await?;
            let open = sqlx::query(
                "SELECT case_id, item_id FROM complaint_cases WHERE event_id = $1 AND state = 'open'",
            )
            .bind(c.event_id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let case_id = match open {
                Some(row) => {
                    applied.merged += 1;
                    let (case_id, item_id): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
                    sqlx::query(
                        "UPDATE queue_items SET severity = $2, reason_count = reason_count + 1 \
                         WHERE item_id = $1 AND severity < $2",
                    )
                    .bind(item_id)
                    .bind(case_severity(weight))
                    .execute(&mut *tx)
                    .await?;
                    case_id
                }
                None => {
                    let latest = sqlx::query(
                        "SELECT review_round, record FROM queue_items WHERE event_id = $1 \
                         ORDER BY review_round DESC LIMIT 1",
                    )
                    .bind(c.event_id.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                    let (round, base) = match &latest {
                        Some(r) => (
                            r.try_get::<i64, _>(0)? + 1,
                            Some(r.try_get::<String, _>(1)?),
                        ),
                        None => (1, published.get(&c.event_id).cloned()),
                    };
                    let record = reopened_record(
                        base.as_deref(),
                        &c.event_id,
                        round,
                        std::slice::from_ref(c),
                        now,
                    );
                    let mut item = HeldItem::from_record(record.as_bytes(), round)?;
                    item.severity = case_severity(weight);
                    let item_id = match insert_item_in(&mut tx, &item, now).await? {
                        Inserted::New(id) | Inserted::Duplicate(id) => id,
                    };
                    applied.reopened.push((c.event_id.clone(), item_id));
                    sqlx::query(
                        "INSERT INTO complaint_cases (event_id, item_id, opened_at, deadline) \
                         VALUES ($1, $2, $3, $4) RETURNING case_id",
                    )
                    .bind(c.event_id.as_str())
                    .bind(item_id)
                    .bind(ms(now))
                    .bind(ms(c.received_at + time_limit))
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?
                }
            };
            sqlx::query(
                "INSERT INTO complaints (complaint_id, event_id, category, reporter, text, \
                 received_at, stored_at, case_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(c.complaint_id.as_str())
            .bind(c.event_id.as_str())
            .bind(c.category.as_str())
            .bind(c.reporter.as_str())
            .bind(c.text.as_str())
            .bind(ms(c.received_at))
            .bind(ms(now))
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        }
        write_offsets(&mut tx, topic, next).await?;
        tx.commit().await?;
        Ok(applied)
    }

    /// The case of item `item_id`, if a complaint opened it.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn complaint_case(
        &self,
        item_id: ItemId,
    ) -> Result<Option<ComplaintCase>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT case_id, deadline, state, outcome, met_deadline FROM complaint_cases \
             WHERE item_id = $1",
        )
        .bind(item_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let case_id: i64 = row.try_get(0)?;
        let complaints = sqlx::query(
            "SELECT complaint_id, category, reporter, text, received_at FROM complaints \
             WHERE case_id = $1 ORDER BY received_at, complaint_id",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                from_ms(r.try_get(4)?)?,
            ))
        })
        .collect::<Result<_, StoreError>>()?;
        Ok(Some(ComplaintCase {
            case_id,
            deadline: from_ms(row.try_get(1)?)?,
            state: row.try_get(2)?,
            outcome: row.try_get(3)?,
            met_deadline: row.try_get::<Option<i64>, _>(4)?.map(|m| m != 0),
            complaints,
        }))
    }

    /// Open cases and those past their deadline at `now`.
    ///
    /// Errors: [`StoreError::Database`].
    pub async fn complaint_stats(&self, now: OffsetDateTime) -> Result<ComplaintStats, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN deadline < $1 THEN 1 ELSE 0 END), 0) \
             FROM complaint_cases WHERE state = 'open'",
        )
        .bind(ms(now))
        .fetch_one(&self.pool)
        .await?;
        let n = |i: usize| -> Result<u64, StoreError> {
            Ok(u64::try_from(row.try_get::<i64, _>(i)?).unwrap_or(0))
        };
        Ok(ComplaintStats {
            open: n(0)?,
            overdue: n(1)?,
        })
    }

    /// A reporter's record: (founded, unfounded).
    ///
    /// Errors: [`StoreError::Database`].
    pub async fn reporter_record(&self, reporter: &str) -> Result<(u64, u64), StoreError> {
        let row = sqlx::query("SELECT founded, unfounded FROM reporters WHERE reporter = $1")
            .bind(reporter)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => (
                u64::try_from(r.try_get::<i64, _>(0)?).unwrap_or(0),
                u64::try_from(r.try_get::<i64, _>(1)?).unwrap_or(0),
            ),
            None => (0, 0),
        })
    }
}

async fn reporter_credibility(tx: &mut Tx, reporter: &str) -> Result<f64, StoreError> {
    let row = sqlx::query("SELECT founded, unfounded FROM reporters WHERE reporter = $1")
        .bind(reporter)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(match row {
        Some(r) => credibility(
            u64::try_from(r.try_get::<i64, _>(0)?).unwrap_or(0),
            u64::try_from(r.try_get::<i64, _>(1)?).unwrap_or(0),
        ),
        None => credibility(0, 0),
    })
}

/// Closes the case of `item_id`, if one is open, in the verdict's transaction: its outcome
/// (`founded` for a reject, `unfounded` for an approve), whether the deadline was met, every
/// reporter's record, and one `synth.complaint-results.v1` record per complaint in the outbox
/// (`result_id` `complaint:COMPLAINT_ID`).
pub(super) async fn close_case(
    tx: &mut Tx,
    item_id: ItemId,
    moderator: &str,
    verdict: Verdict,
    verdict_id: i64,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let Some(row) = sqlx::query(
        "SELECT case_id, event_id, deadline FROM complaint_cases \
         WHERE item_id = $1 AND state = 'open'",
    )
    .bind(item_id)
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(());
    };
    let (case_id, event_id, deadline): (i64, String, i64) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    let outcome = match verdict {
        Verdict::Reject => "founded",
        Verdict::Approve => "unfounded",
    };
    let met = ms(now) <= deadline;
    sqlx::query(
        "UPDATE complaint_cases SET state = 'decided', outcome = $2, decided_by = $3, \
         decided_at = $4, met_deadline = $5 WHERE case_id = $1",
    )
    .bind(case_id)
    .bind(outcome)
    .bind(moderator)
    .bind(ms(now))
    .bind(i64::from(met))
    .execute(&mut **tx)
    .await?;
    let complaints = sqlx::query(
        "SELECT complaint_id, reporter, category, received_at FROM complaints WHERE case_id = $1",
    )
    .bind(case_id)
    .fetch_all(&mut **tx)
    .await?;
    for c in &complaints {
        let (id, reporter, category, received): (String, String, String, i64) =
            (c.try_get(0)?, c.try_get(1)?, c.try_get(2)?, c.try_get(3)?);
        let column = if verdict == Verdict::Reject {
            "founded"
        } else {
            "unfounded"
        };
        sqlx::query(&format!(
            "INSERT INTO reporters (reporter, {column}) VALUES ($1, 1) \
             ON CONFLICT (reporter) DO UPDATE SET {column} = reporters.{column} + 1"
        ))
        .bind(reporter.as_str())
        .execute(&mut **tx)
        .await?;
        let received_at = from_ms(received)?;
        let record = json!({
            "result_id": format!("complaint:{id}"),
            "complaint_id": id,
            "event_id": event_id,
            "category": category,
            "reporter": reporter,
            "outcome": outcome,
            "verdict": verdict.as_str(),
            "verdict_id": verdict_id,
            "decided_by": {"kind": "moderator", "id": moderator},
            "received_at": rfc3339(received_at),
            "decided_at": rfc3339(now),
            "deadline": rfc3339(from_ms(deadline)?),
            "met_deadline": met,
            "time_to_outcome_seconds": (now - received_at).whole_seconds().max(0),
        });
        add_record(
            tx,
            OutboxTopic::ComplaintResults,
            &format!("complaint:{id}"),
            &id,
            &record,
            now,
            None,
        )
        .await?;
    }
    Ok(())
}
