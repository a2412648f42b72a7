//! Appeals in the store ([`crate::console::appeal`] for the rules): the appeals read from
//! `synth.appeals.v1`, their review rounds in the hold queue, the rule that the decider of what
//! is appealed does not decide the appeal, and the outcomes — the reversed strike, the revoked
//! measures and the outcome records in the outbox — written in the verdict's transaction.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;

use super::ledger::{issue_measures, write_offsets};
use super::outbox::{add_record, OutboxTopic};
use super::{
    insert_item_in, ms, time as from_ms, Inserted, ItemId, Store, StoreError, Verdict,
    MAX_NOTE_CHARS,
};
use crate::console::appeal::{
    outcome_record, reopened_record, Appeal, AppealOutcome, AppealTarget, OutcomeDetail,
};
use crate::console::item::HeldItem;
use crate::console::ledger::{rfc3339, LedgerPolicy};

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The queue severity of an appeal's review round: above every held item
/// ([`crate::console::item::severity`] runs 0 to 2), like a credible complaint.
pub const APPEAL_SEVERITY: i64 = 3;

/// What [`Store::apply_appeals`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppealsApplied {
    /// Appeals the store did not have.
    pub new: u64,
    /// Appeals it had (a record read again).
    pub duplicates: u64,
    /// Appeals of rejects opened as a review round: (appeal id, item id).
    pub opened: Vec<(String, ItemId)>,
    /// Appeals of measures opened for the leads.
    pub for_leads: u64,
    /// Appeals of rejects the ledger has no strike of yet (they open when it does).
    pub waiting: u64,
    /// Appeals refused: (appeal id, why), each with its outcome record.
    pub refused: Vec<(String, String)>,
}

/// An appeal as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppealCase {
    /// The appeal.
    pub appeal: Appeal,
    /// The strike appealed (an appeal of a reject, once the ledger has it).
    pub strike_key: Option<String>,
    /// Who decided what is appealed (`worker`, `console`, or an account name).
    pub original_decider: Option<String>,
    /// When it must be decided by.
    pub deadline: OffsetDateTime,
    /// The review round of an appeal of a reject.
    pub item_id: Option<ItemId>,
    /// `waiting`, `open`, `upheld`, `dismissed` or `refused`.
    pub state: String,
    /// Why it was refused.
    pub refusal: Option<String>,
    /// Who decided it and when.
    pub decided: Option<(String, OffsetDateTime)>,
    /// The decider's note.
    pub note: Option<String>,
}

fn appeal_of(row: &AnyRow) -> Result<Appeal, StoreError> {
    let kind: String = row.try_get("kind")?;
    let target = match kind.as_str() {
        "reject" => AppealTarget::Reject {
            event_id: row
                .try_get::<Option<String>, _>("event_id")?
                .unwrap_or_default(),
        },
        _ => AppealTarget::Measure {
            measure_id: row
                .try_get::<Option<String>, _>("measure_id")?
                .unwrap_or_default(),
        },
    };
    Ok(Appeal {
        appeal_id: row.try_get("appeal_id")?,
        user_id: row.try_get("user_id")?,
        target,
        text: row.try_get("text")?,
        received_at: from_ms(row.try_get("received_at")?)?,
    })
}

fn case_of(row: &AnyRow) -> Result<AppealCase, StoreError> {
    let decided = match (
        row.try_get::<Option<String>, _>("decided_by")?,
        row.try_get::<Option<i64>, _>("decided_at")?,
    ) {
        (Some(by), Some(at)) => Some((by, from_ms(at)?)),
        _ => None,
    };
    Ok(AppealCase {
        appeal: appeal_of(row)?,
        strike_key: row.try_get("strike_key")?,
        original_decider: row.try_get("original_decider")?,
        deadline: from_ms(row.try_get("deadline")?)?,
        item_id: row.try_get("item_id")?,
        state: row.try_get("state")?,
        refusal: row.try_get("refusal")?,
        decided,
        note: row.try_get("note")?,
    })
}

impl Store {
    /// Of `appeals`, the appeals of rejects whose event the console holds no item of and whose
    /// strike records where the reject is: (event id, partition, offset) of the rejected topic,
    /// for the reader to fetch the record the appeal's review round shows.
    ///
    /// Errors: [`StoreError::Database`].
    pub async fn appeal_records_needed(
        &self,
        appeals: &[Appeal],
    ) -> Result<Vec<(String, i32, i64)>, StoreError> {
        let mut out = Vec::new();
        for a in appeals {
            let AppealTarget::Reject { event_id } = &a.target else {
                continue;
            };
            if self.knows_event(event_id).await? {
                continue;
            }
            let row = sqlx::query(
                "SELECT record_partition, record_offset FROM ledger_strikes \
                 WHERE event_id = $1 AND user_id = $2 AND record_offset IS NOT NULL \
                 ORDER BY struck_at DESC LIMIT 1",
            )
            .bind(event_id.as_str())
            .bind(a.user_id.as_str())
            .fetch_optional(&self.pool)
            .await?;
            if let Some(r) = row {
                let p: i64 = r.try_get(0)?;
                out.push((
                    event_id.clone(),
                    i32::try_from(p).unwrap_or(0),
                    r.try_get(1)?,
                ));
            }
        }
        Ok(out)
    }

    /// Stores `appeals` (read from `topic`, the offsets after them in `next`; or waiting
    /// appeals examined again, with no offsets) in one transaction. An appeal the store has
    /// changes nothing (unless it is waiting). An appeal of a reject opens the event as a new
    /// review round ([`crate::console::appeal::reopened_record`], its record the event's
    /// latest item's, else `records[event_id]` as read from the rejected topic, else a stub),
    /// or waits while the ledger has no strike of it, or is refused (the reject was reversed or
    /// appealed already). An appeal of a measure opens for the leads, or is refused (no such
    /// measure in force). Deadline: `received_at + time_limit`.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn apply_appeals(
        &self,
        topic: &str,
        next: &[(i32, i64)],
        appeals: &[Appeal],
        records: &BTreeMap<String, String>,
        time_limit: Duration,
        now: OffsetDateTime,
    ) -> Result<AppealsApplied, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut applied = AppealsApplied::default();
        for a in appeals {
            let state: Option<String> =
                sqlx::query("SELECT state FROM appeals WHERE appeal_id = $1")
                    .bind(a.appeal_id.as_str())
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.try_get(0))
                    .transpose()?;
            match state.as_deref() {
                None => {
                    applied.new += 1;
                    let (event_id, measure_id) = match &a.target {
                        AppealTarget::Reject { event_id } => (Some(event_id.as_str()), None),
                        AppealTarget::Measure { measure_id } => (None, Some(measure_id.as_str())),
                    };
                    sqlx::query(
                        "INSERT INTO appeals (appeal_id, user_id, kind, event_id, measure_id, \
                         text, received_at, stored_at, deadline, state) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'waiting')",
                    )
                    .bind(a.appeal_id.as_str())
                    .bind(a.user_id.as_str())
                    .bind(a.target.kind())
                    .bind(event_id)
                    .bind(measure_id)
                    .bind(a.text.as_str())
                    .bind(ms(a.received_at))
                    .bind(ms(now))
                    .bind(ms(a.received_at + time_limit))
                    .execute(&mut *tx)
                    .await?;
                }
                Some("waiting") => {}
                Some(_) => {
                    applied.duplicates += 1;
                    continue;
                }
            }
            let deadline = a.received_at + time_limit;
            let opened = match &a.target {
                AppealTarget::Reject { event_id } => {
                    open_reject_appeal(&mut tx, a, event_id, records, now).await?
                }
                AppealTarget::Measure { measure_id } => {
                    open_measure_appeal(&mut tx, a, measure_id).await?
                }
            };
            match opened {
                Opened::Item(item_id) => applied.opened.push((a.appeal_id.clone(), item_id)),
                Opened::ForLeads => applied.for_leads += 1,
                Opened::Waiting => applied.waiting += 1,
                Opened::Refused(why, strike_key) => {
                    sqlx::query(
                        "UPDATE appeals SET state = 'refused', refusal = $2, decided_by = 'console', \
                         decided_at = $3 WHERE appeal_id = $1",
                    )
                    .bind(a.appeal_id.as_str())
                    .bind(why.as_str())
                    .bind(ms(now))
                    .execute(&mut *tx)
                    .await?;
                    let record = outcome_record(
                        a,
                        &OutcomeDetail {
                            outcome: AppealOutcome::Refused,
                            refusal: Some(&why),
                            strike_key: strike_key.as_deref(),
                            decided_by: ("console", "console"),
                            original_decider: None,
                            revoked: &[],
                            verdict_id: None,
                            decided_at: now,
                            deadline,
                        },
                    );
                    outcome_row(&mut tx, a, &record, now).await?;
                    applied.refused.push((a.appeal_id.clone(), why));
                }
            }
        }
        write_offsets(&mut tx, topic, next).await?;
        tx.commit().await?;
        Ok(applied)
    }

    /// Waiting appeals of rejects whose strike the ledger now has (at most `limit`), to be
    /// applied again ([`Store::apply_appeals`]).
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn ready_appeals(&self, limit: u32) -> Result<Vec<Appeal>, StoreError> {
        sqlx::query(
            "SELECT * FROM appeals a WHERE a.state = 'waiting' AND a.kind = 'reject' AND EXISTS \
             (SELECT 1 FROM ledger_strikes s WHERE s.event_id = a.event_id \
              AND s.user_id = a.user_id) ORDER BY a.received_at, a.appeal_id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(appeal_of)
        .collect()
    }

    /// The appeal whose review round item `item_id` is.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn item_appeal(&self, item_id: ItemId) -> Result<Option<AppealCase>, StoreError> {
        sqlx::query("SELECT * FROM appeals WHERE item_id = $1")
            .bind(item_id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(case_of)
            .transpose()
    }

    /// A user's appeals, newest first.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn user_appeals(&self, user_id: &str) -> Result<Vec<AppealCase>, StoreError> {
        sqlx::query("SELECT * FROM appeals WHERE user_id = $1 ORDER BY received_at DESC, appeal_id")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(case_of)
            .collect()
    }

    /// Appeals open at `now` and those of them past their deadline (waiting ones included).
    ///
    /// Errors: [`StoreError::Database`].
    pub async fn appeal_stats(&self, now: OffsetDateTime) -> Result<(u64, u64), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN deadline < $1 THEN 1 ELSE 0 END), 0) \
             FROM appeals WHERE state IN ('open', 'waiting')",
        )
        .bind(ms(now))
        .fetch_one(&self.pool)
        .await?;
        let n = |i: usize| -> Result<u64, StoreError> {
            Ok(u64::try_from(row.try_get::<i64, _>(i)?).unwrap_or(0))
        };
        Ok((n(0)?, n(1)?))
    }

    /// The deadlines of the items that are open complaint cases or open appeals (Art. 12), by
    /// item id.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn open_deadlines(&self) -> Result<BTreeMap<ItemId, OffsetDateTime>, StoreError> {
        let rows = sqlx::query(
            "SELECT item_id, deadline FROM complaint_cases WHERE state = 'open' UNION ALL \
             SELECT item_id, deadline FROM appeals WHERE state = 'open' AND item_id IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = BTreeMap::new();
        for r in &rows {
            let id: ItemId = r.try_get(0)?;
            let d = from_ms(r.try_get(1)?)?;
            out.entry(id)
                .and_modify(|e: &mut OffsetDateTime| *e = (*e).min(d))
                .or_insert(d);
        }
        Ok(out)
    }

    /// A lead's decision of an open appeal of a measure: `upheld` revokes the measure (its
    /// `revoke` record in the outbox); either way the appeal's outcome record goes to the
    /// outbox, in one transaction.
    ///
    /// Errors: [`StoreError::AppealByDecider`] when `lead` changed the measure;
    /// [`StoreError::InvalidInput`] for an unknown appeal, one not of a measure, one decided
    /// already, or an empty or overlong note; [`StoreError::Database`].
    pub async fn decide_measure_appeal(
        &self,
        appeal_id: &str,
        lead: &str,
        upheld: bool,
        note: &str,
        now: OffsetDateTime,
    ) -> Result<AppealOutcome, StoreError> {
        let note = note.trim();
        if note.is_empty() || note.chars().count() > MAX_NOTE_CHARS {
            return Err(StoreError::InvalidInput(format!(
                "an appeal's decision needs a note of 1 to {MAX_NOTE_CHARS} characters"
            )));
        }
        let mut tx = self.begin_write().await?;
        let Some(row) = sqlx::query("SELECT * FROM appeals WHERE appeal_id = $1")
            .bind(appeal_id)
            .fetch_optional(&mut *tx)
            .await?
        else {
            tx.rollback().await?;
            return Err(StoreError::InvalidInput(format!("no appeal {appeal_id:?}")));
        };
        let case = case_of(&row)?;
        let AppealTarget::Measure { measure_id } = &case.appeal.target else {
            tx.rollback().await?;
            return Err(StoreError::InvalidInput(format!(
                "appeal {appeal_id} is of a reject: it is decided on its item"
            )));
        };
        if case.state != "open" {
            tx.rollback().await?;
            return Err(StoreError::InvalidInput(format!(
                "appeal {appeal_id} is {}",
                case.state
            )));
        }
        if case.original_decider.as_deref() == Some(lead) {
            tx.rollback().await?;
            return Err(StoreError::AppealByDecider {
                what: format!("appeal {appeal_id}"),
                decider: lead.to_owned(),
            });
        }
        let outcome = if upheld {
            AppealOutcome::Upheld
        } else {
            AppealOutcome::Dismissed
        };
        let mut revoked = Vec::new();
        if upheld {
            let by = ("lead", lead);
            if revoke(&mut tx, &case.appeal, measure_id, by, now).await? {
                revoked.push(measure_id.clone());
            }
        }
        finish(
            &mut tx,
            &case,
            outcome,
            ("lead", lead),
            &revoked,
            None,
            Some(note),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(outcome)
    }
}

/// What became of an appeal on arrival.
enum Opened {
    Item(ItemId),
    ForLeads,
    Waiting,
    /// Why, and the strike when known.
    Refused(String, Option<String>),
}

async fn open_reject_appeal(
    tx: &mut Tx,
    a: &Appeal,
    event_id: &str,
    records: &BTreeMap<String, String>,
    now: OffsetDateTime,
) -> Result<Opened, StoreError> {
    let Some(strike) = sqlx::query(
        "SELECT strike_key, moderator, reversed_at FROM ledger_strikes \
         WHERE event_id = $1 AND user_id = $2 ORDER BY struck_at DESC LIMIT 1",
    )
    .bind(event_id)
    .bind(a.user_id.as_str())
    .fetch_optional(&mut **tx)
    .await?
    else {
        // The event's reject struck someone else: not this user's to appeal (waiting would
        // only run into its deadline).
        let other = sqlx::query("SELECT 1 FROM ledger_strikes WHERE event_id = $1 LIMIT 1")
            .bind(event_id)
            .fetch_optional(&mut **tx)
            .await?
            .is_some();
        if other {
            return Ok(Opened::Refused(
                format!(
                    "the reject of event {event_id} is of another user's content, not {}'s",
                    a.user_id
                ),
                None,
            ));
        }
        return Ok(Opened::Waiting);
    };
    let strike_key: String = strike.try_get(0)?;
    let decider = strike
        .try_get::<Option<String>, _>(1)?
        .unwrap_or_else(|| "worker".to_owned());
    if strike.try_get::<Option<i64>, _>(2)?.is_some() {
        return Ok(Opened::Refused(
            format!("the reject of event {event_id} was reversed already"),
            Some(strike_key),
        ));
    }
    let earlier: Option<String> = sqlx::query(
        "SELECT appeal_id FROM appeals WHERE strike_key = $1 AND appeal_id <> $2 \
         AND state IN ('open', 'upheld', 'dismissed') LIMIT 1",
    )
    .bind(strike_key.as_str())
    .bind(a.appeal_id.as_str())
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| r.try_get(0))
    .transpose()?;
    if let Some(earlier) = earlier {
        return Ok(Opened::Refused(
            format!("the reject of event {event_id} was appealed already (appeal {earlier})"),
            Some(strike_key),
        ));
    }
    let latest = sqlx::query(
        "SELECT review_round, record FROM queue_items WHERE event_id = $1 \
         ORDER BY review_round DESC LIMIT 1",
    )
    .bind(event_id)
    .fetch_optional(&mut **tx)
    .await?;
    let (round, base) = match &latest {
        Some(r) => (
            r.try_get::<i64, _>(0)? + 1,
            Some(r.try_get::<String, _>(1)?),
        ),
        None => (1, records.get(event_id).cloned()),
    };
    let record = reopened_record(
        base.as_deref(),
        a,
        event_id,
        round,
        &strike_key,
        &decider,
        now,
    );
    let mut item = match HeldItem::from_record(record.as_bytes(), round) {
        Ok(item) => item,
        // A base the item cannot be read from (not an object with its event): a stub instead.
        Err(_) => HeldItem::from_record(
            reopened_record(None, a, event_id, round, &strike_key, &decider, now).as_bytes(),
            round,
        )?,
    };
    item.severity = APPEAL_SEVERITY;
    let item_id = match insert_item_in(tx, &item, now).await? {
        Inserted::New(id) | Inserted::Duplicate(id) => id,
    };
    sqlx::query(
        "UPDATE appeals SET state = 'open', item_id = $2, strike_key = $3, \
         original_decider = $4 WHERE appeal_id = $1",
    )
    .bind(a.appeal_id.as_str())
    .bind(item_id)
    .bind(strike_key.as_str())
    .bind(decider.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(Opened::Item(item_id))
}

async fn open_measure_appeal(
    tx: &mut Tx,
    a: &Appeal,
    measure_id: &str,
) -> Result<Opened, StoreError> {
    let Some(m) = sqlx::query(
        "SELECT state, changed_by FROM user_measures WHERE user_id = $1 AND measure_id = $2",
    )
    .bind(a.user_id.as_str())
    .bind(measure_id)
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(Opened::Refused(
            format!("user {} has no measure {measure_id}", a.user_id),
            None,
        ));
    };
    let state: String = m.try_get(0)?;
    if state != "in_force" && state != "changed" {
        return Ok(Opened::Refused(
            format!("measure {measure_id} is {state}"),
            None,
        ));
    }
    let earlier: Option<String> = sqlx::query(
        "SELECT appeal_id FROM appeals WHERE kind = 'measure' AND user_id = $1 \
         AND measure_id = $2 AND appeal_id <> $3 AND state IN ('open', 'upheld', 'dismissed') \
         LIMIT 1",
    )
    .bind(a.user_id.as_str())
    .bind(measure_id)
    .bind(a.appeal_id.as_str())
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| r.try_get(0))
    .transpose()?;
    if let Some(earlier) = earlier {
        return Ok(Opened::Refused(
            format!("measure {measure_id} was appealed already (appeal {earlier})"),
            None,
        ));
    }
    let decider = m
        .try_get::<Option<String>, _>(1)?
        .unwrap_or_else(|| "console".to_owned());
    sqlx::query("UPDATE appeals SET state = 'open', original_decider = $2 WHERE appeal_id = $1")
        .bind(a.appeal_id.as_str())
        .bind(decider.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(Opened::ForLeads)
}

/// The outcome record of `appeal` into the outbox (user actions, keyed by the user).
async fn outcome_row(
    tx: &mut Tx,
    appeal: &Appeal,
    record: &Value,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    add_record(
        tx,
        OutboxTopic::UserActions,
        &format!("appeal:{}", appeal.appeal_id),
        &appeal.user_id,
        record,
        now,
        None,
    )
    .await
}

/// Revokes `measure_id` of the appeal's user when it is in force or changed, with its `revoke`
/// record in the outbox; `false` when it was not (lifted, revoked).
async fn revoke(
    tx: &mut Tx,
    appeal: &Appeal,
    measure_id: &str,
    by: (&str, &str),
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let note = format!("appeal {} upheld", appeal.appeal_id);
    let updated = sqlx::query(
        "UPDATE user_measures SET state = 'revoked', changed_by = $3, changed_at = $4, \
         change_note = $5 WHERE user_id = $1 AND measure_id = $2 \
         AND state IN ('in_force', 'changed')",
    )
    .bind(appeal.user_id.as_str())
    .bind(measure_id)
    .bind(by.1)
    .bind(ms(now))
    .bind(note.as_str())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Ok(false);
    }
    let record = json!({
        "action_id": format!("revoke:{measure_id}"),
        "action": "revoke",
        "user_id": appeal.user_id,
        "measure_id": measure_id,
        "appeal_id": appeal.appeal_id,
        "by": {"kind": by.0, "id": by.1},
        "note": note,
        "at": rfc3339(now),
    });
    add_record(
        tx,
        OutboxTopic::UserActions,
        &format!("revoke:{measure_id}"),
        &appeal.user_id,
        &record,
        now,
        None,
    )
    .await?;
    Ok(true)
}

/// Marks the appeal decided and writes its outcome record.
#[allow(clippy::too_many_arguments)]
async fn finish(
    tx: &mut Tx,
    case: &AppealCase,
    outcome: AppealOutcome,
    by: (&str, &str),
    revoked: &[String],
    verdict_id: Option<i64>,
    note: Option<&str>,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let updated = sqlx::query(
        "UPDATE appeals SET state = $2, decided_by = $3, decided_at = $4, note = $5 \
         WHERE appeal_id = $1 AND state = 'open'",
    )
    .bind(case.appeal.appeal_id.as_str())
    .bind(outcome.as_str())
    .bind(by.1)
    .bind(ms(now))
    .bind(note)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(StoreError::Conflict(format!(
            "appeal {} was decided meanwhile",
            case.appeal.appeal_id
        )));
    }
    let record = outcome_record(
        &case.appeal,
        &OutcomeDetail {
            outcome,
            refusal: None,
            strike_key: case.strike_key.as_deref(),
            decided_by: by,
            original_decider: case.original_decider.as_deref(),
            revoked,
            verdict_id,
            decided_at: now,
            deadline: case.deadline,
        },
    );
    outcome_row(tx, &case.appeal, &record, now).await?;
    Ok(())
}

/// Refuses a claim or verdict of `moderator` on `item_id` when it is an open appeal's review
/// round and `moderator` decided what is appealed.
pub(super) async fn check_not_decider(
    tx: &mut Tx,
    item_id: ItemId,
    moderator: &str,
) -> Result<(), StoreError> {
    let decider: Option<Option<String>> =
        sqlx::query("SELECT original_decider FROM appeals WHERE item_id = $1 AND state = 'open'")
            .bind(item_id)
            .fetch_optional(&mut **tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
    match decider.flatten() {
        Some(d) if d == moderator => Err(StoreError::AppealByDecider {
            what: format!("item {item_id}"),
            decider: d,
        }),
        _ => Ok(()),
    }
}

/// Decides the appeal whose review round `item_id` is, if one is open, in the verdict's
/// transaction: an approve upholds it (the strike is reversed; every measure in force whose
/// strikes included it and whose remaining points fall below its threshold is revoked; then,
/// with `ledger`'s rules, the ladder issues what the remaining strikes call for), a reject
/// dismisses it. The outcome record (and each revocation's and measure's) goes to the outbox.
#[allow(clippy::too_many_arguments)]
pub(super) async fn close_appeal(
    tx: &mut Tx,
    ledger: Option<&(LedgerPolicy, String)>,
    item_id: ItemId,
    moderator: &str,
    verdict: Verdict,
    verdict_id: i64,
    note: Option<&str>,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let Some(row) = sqlx::query("SELECT * FROM appeals WHERE item_id = $1 AND state = 'open'")
        .bind(item_id)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(());
    };
    let case = case_of(&row)?;
    let mut revoked = Vec::new();
    let outcome = match verdict {
        Verdict::Reject => AppealOutcome::Dismissed,
        Verdict::Approve => {
            if let Some(key) = &case.strike_key {
                reverse_strike(tx, key, now, Some(moderator), &case.appeal.appeal_id).await?;
                for measure_id in measures_undone(tx, &case.appeal.user_id, key).await? {
                    if revoke(tx, &case.appeal, &measure_id, ("moderator", moderator), now).await? {
                        revoked.push(measure_id);
                    }
                }
                if let (false, Some((policy, console_id))) = (revoked.is_empty(), ledger) {
                    issue_measures(tx, &case.appeal.user_id, policy, console_id, now).await?;
                }
            }
            AppealOutcome::Upheld
        }
    };
    finish(
        tx,
        &case,
        outcome,
        ("moderator", moderator),
        &revoked,
        Some(verdict_id),
        note,
        now,
    )
    .await
}

/// The user's measures in force (or changed) whose strikes include `strike_key` and whose
/// strikes not reversed fall below their threshold.
async fn measures_undone(
    tx: &mut Tx,
    user_id: &str,
    strike_key: &str,
) -> Result<Vec<String>, StoreError> {
    let measures = sqlx::query(
        "SELECT measure_id, threshold, strikes FROM user_measures WHERE user_id = $1 \
         AND state IN ('in_force', 'changed') ORDER BY level DESC",
    )
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await?;
    let weights: BTreeMap<String, (i64, bool)> = sqlx::query(
        "SELECT strike_key, weight, reversed_at FROM ledger_strikes WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get::<String, _>(0)?,
            (
                r.try_get::<i64, _>(1)?,
                r.try_get::<Option<i64>, _>(2)?.is_some(),
            ),
        ))
    })
    .collect::<Result<_, StoreError>>()?;
    let mut out = Vec::new();
    for m in &measures {
        let strikes: Vec<String> = serde_json::from_str(&m.try_get::<String, _>("strikes")?)
            .map_err(|e| StoreError::Corrupt(format!("a measure's strikes: {e}")))?;
        if !strikes.iter().any(|s| s == strike_key) {
            continue;
        }
        let points: i64 = strikes
            .iter()
            .filter_map(|s| weights.get(s))
            .filter(|(_, reversed)| !reversed)
            .map(|(w, _)| *w)
            .sum();
        if points < m.try_get::<i64, _>("threshold")? {
            out.push(m.try_get("measure_id")?);
        }
    }
    Ok(out)
}

/// Stores an appeal read back from its outcome record (a store rebuilt from the user-actions
/// topic), decided as the record says; an upheld appeal reverses its strike when the ledger has
/// it (and [`Store::apply_strikes`] reverses it when it arrives later).
pub(super) async fn import_outcome(
    tx: &mut Tx,
    record: &Value,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let Some((a, outcome)) = crate::console::appeal::from_outcome_record(record) else {
        return Ok(());
    };
    let s = |k: &str| record.get(k).and_then(Value::as_str).map(str::to_owned);
    let at = |k: &str| {
        s(k).and_then(|t| {
            OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339).ok()
        })
    };
    let (event_id, measure_id) = match &a.target {
        AppealTarget::Reject { event_id } => (Some(event_id.clone()), None),
        AppealTarget::Measure { measure_id } => (None, Some(measure_id.clone())),
    };
    let decided_at = at("decided_at").unwrap_or(now);
    sqlx::query(
        "INSERT INTO appeals (appeal_id, user_id, kind, event_id, measure_id, strike_key, \
         original_decider, text, received_at, stored_at, deadline, state, refusal, decided_by, \
         decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (appeal_id) DO NOTHING",
    )
    .bind(a.appeal_id.as_str())
    .bind(a.user_id.as_str())
    .bind(a.target.kind())
    .bind(event_id)
    .bind(measure_id)
    .bind(s("strike_key"))
    .bind(s("original_decider"))
    .bind(a.text.as_str())
    .bind(ms(a.received_at))
    .bind(ms(now))
    .bind(ms(at("deadline").unwrap_or(decided_at)))
    .bind(outcome.as_str())
    .bind(s("refusal"))
    .bind(record.pointer("/decided_by/id").and_then(Value::as_str))
    .bind(ms(decided_at))
    .execute(&mut **tx)
    .await?;
    if let (AppealOutcome::Upheld, Some(key)) = (outcome, s("strike_key")) {
        let by = record.pointer("/decided_by/id").and_then(Value::as_str);
        reverse_strike(tx, &key, decided_at, by, &a.appeal_id).await?;
    }
    Ok(())
}

/// Reverses strike `strike_key` (if not reversed already) at `at` by `by`, for the upheld
/// appeal `appeal_id`.
async fn reverse_strike(
    tx: &mut Tx,
    strike_key: &str,
    at: OffsetDateTime,
    by: Option<&str>,
    appeal_id: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE ledger_strikes SET reversed_at = $2, reversed_by = $3, reversal_note = $4 \
         WHERE strike_key = $1 AND reversed_at IS NULL",
    )
    .bind(strike_key)
    .bind(ms(at))
    .bind(by)
    .bind(format!("appeal {appeal_id} upheld"))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Reverses a strike just recorded when an upheld appeal names it (a ledger rebuilt from the
/// topics reads the appeal's outcome before the reject).
pub(super) async fn reverse_if_upheld(tx: &mut Tx, strike_key: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE ledger_strikes SET reversed_at = (SELECT decided_at FROM appeals \
         WHERE strike_key = $1 AND state = 'upheld' LIMIT 1), \
         reversed_by = (SELECT decided_by FROM appeals WHERE strike_key = $1 AND state = 'upheld' \
         LIMIT 1), reversal_note = 'appeal upheld' \
         WHERE strike_key = $1 AND reversed_at IS NULL AND EXISTS \
         (SELECT 1 FROM appeals WHERE strike_key = $1 AND state = 'upheld')",
    )
    .bind(strike_key)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
