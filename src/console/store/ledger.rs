//! The per-user ledger in the store ([`crate::console::ledger`] for the rules): strikes,
//! the measures the ladder issued with the outbox of `synth.user-actions.v1`, the ledger
//! reader's offsets, and the leads' lifts and changes.
//!
//! Every write that follows from a Kafka record commits, in the same transaction, the offset
//! after it ([`Store::apply_strikes`], [`Store::import_user_actions`]): the ledger applies each
//! record once, and a store that is lost has no offsets and is rebuilt from the topics' start.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;

use super::outbox::OutboxTopic;
use super::{ms, time as from_ms, Store, StoreError, MAX_NOTE_CHARS};
use crate::console::ledger::{
    ladder, measure_record, rfc3339, LedgerPolicy, LedgerStrike, MeasureKind, Strike, StrikeSource,
};

/// The longest user id the ledger pages take, in characters.
pub const MAX_USER_ID_CHARS: usize = 256;

/// What [`Store::apply_strikes`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StrikesApplied {
    /// Strikes the store did not have.
    pub new_strikes: u64,
    /// Strikes it had (a record read again).
    pub duplicates: u64,
    /// Measures issued now: (user id, measure id, kind), each with its outbox record.
    pub measures: Vec<(String, String, &'static str)>,
}

/// A strike as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStrike {
    /// `worker:EVENT_ID` or `verdict:VERDICT_ID`.
    pub key: String,
    /// The rejected event.
    pub event_id: String,
    /// The moderator, for a moderator's reject.
    pub moderator: Option<String>,
    /// The deciding reason code.
    pub reason_code: String,
    /// The first category of the reasons.
    pub category: Option<String>,
    /// The articles cited.
    pub articles: Vec<String>,
    /// Its points.
    pub weight: u32,
    /// When the reject was given.
    pub at: OffsetDateTime,
    /// Reversed by an upheld appeal, when.
    pub reversed_at: Option<OffsetDateTime>,
}

/// Where a measure stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeasureState {
    /// As the ladder issued it.
    InForce,
    /// Lifted by a lead.
    Lifted,
    /// Replaced by a lead with another measure ([`StoredMeasure::changed_to`]).
    Changed,
    /// Taken back by an upheld appeal ([`crate::console::appeal`]).
    Revoked,
}

impl MeasureState {
    /// `in_force`, `lifted`, `changed`, `revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            MeasureState::InForce => "in_force",
            MeasureState::Lifted => "lifted",
            MeasureState::Changed => "changed",
            MeasureState::Revoked => "revoked",
        }
    }
}

/// A measure as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMeasure {
    /// `L{level}@{strike key}`.
    pub measure_id: String,
    /// The ladder's step.
    pub level: u32,
    /// `warn`, `restrict`, `suspend`, `close`.
    pub kind: String,
    /// The function a restriction names.
    pub function: Option<String>,
    /// When it ends.
    pub until: Option<OffsetDateTime>,
    /// The points when it was reached.
    pub points: u32,
    /// The strikes behind it.
    pub strikes: Vec<String>,
    /// The articles behind it.
    pub articles: Vec<String>,
    /// When it was reached.
    pub issued_at: OffsetDateTime,
    /// In force, lifted or changed.
    pub state: MeasureState,
    /// The measure it was changed to (`{"kind", "function", "until"}`), for a changed one.
    pub changed_to: Option<Value>,
    /// Who lifted or changed it, when, and why.
    pub changed: Option<(String, OffsetDateTime, String)>,
}

/// A user's ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserLedger {
    /// Every strike, newest first.
    pub strikes: Vec<StoredStrike>,
    /// Every measure, newest first.
    pub measures: Vec<StoredMeasure>,
}

/// A lead's change to a measure ([`Store::change_measure`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeasureChange {
    /// Lift it.
    Lift,
    /// Replace it by another measure, starting from the change.
    To(MeasureKind),
}

/// A line of the leads' list of users with measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerUser {
    /// The user.
    pub user_id: String,
    /// Strikes recorded.
    pub strikes: u64,
    /// The highest level among the measures in force.
    pub level: Option<u32>,
    /// The latest measure's kind and time.
    pub latest: Option<(String, OffsetDateTime)>,
}

fn json_list(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("a JSON list: {e}")))
}

fn stored_strike(row: &AnyRow) -> Result<StoredStrike, StoreError> {
    Ok(StoredStrike {
        key: row.try_get("strike_key")?,
        event_id: row.try_get("event_id")?,
        moderator: row.try_get("moderator")?,
        reason_code: row.try_get("reason_code")?,
        category: row.try_get("category")?,
        articles: json_list(&row.try_get::<String, _>("articles")?)?,
        weight: u32::try_from(row.try_get::<i64, _>("weight")?).unwrap_or(0),
        at: from_ms(row.try_get("struck_at")?)?,
        reversed_at: row
            .try_get::<Option<i64>, _>("reversed_at")?
            .map(from_ms)
            .transpose()?,
    })
}

fn stored_measure(row: &AnyRow) -> Result<StoredMeasure, StoreError> {
    let state = match row.try_get::<String, _>("state")?.as_str() {
        "in_force" => MeasureState::InForce,
        "lifted" => MeasureState::Lifted,
        "changed" => MeasureState::Changed,
        "revoked" => MeasureState::Revoked,
        other => return Err(StoreError::Corrupt(format!("measure state {other:?}"))),
    };
    let changed = match (
        row.try_get::<Option<String>, _>("changed_by")?,
        row.try_get::<Option<i64>, _>("changed_at")?,
    ) {
        (Some(by), Some(at)) => Some((
            by,
            from_ms(at)?,
            row.try_get::<Option<String>, _>("change_note")?
                .unwrap_or_default(),
        )),
        _ => None,
    };
    Ok(StoredMeasure {
        measure_id: row.try_get("measure_id")?,
        level: u32::try_from(row.try_get::<i64, _>("level")?).unwrap_or(0),
        kind: row.try_get("kind")?,
        function: row.try_get("function")?,
        until: row
            .try_get::<Option<i64>, _>("until")?
            .map(from_ms)
            .transpose()?,
        points: u32::try_from(row.try_get::<i64, _>("points")?).unwrap_or(0),
        strikes: json_list(&row.try_get::<String, _>("strikes")?)?,
        articles: json_list(&row.try_get::<String, _>("articles")?)?,
        issued_at: from_ms(row.try_get("issued_at")?)?,
        state,
        changed_to: row
            .try_get::<Option<String>, _>("changed_to")?
            .and_then(|t| serde_json::from_str(&t).ok()),
        changed,
    })
}

/// Writes the offsets `next` (partition, next offset) of `topic`, never moving one back.
pub(super) async fn write_offsets(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    topic: &str,
    next: &[(i32, i64)],
) -> Result<(), StoreError> {
    for (partition, offset) in next {
        sqlx::query(
            "INSERT INTO ledger_offsets (topic, partition_id, next_offset) VALUES ($1, $2, $3) \
             ON CONFLICT (topic, partition_id) DO UPDATE SET next_offset = CASE \
             WHEN excluded.next_offset > ledger_offsets.next_offset THEN excluded.next_offset \
             ELSE ledger_offsets.next_offset END",
        )
        .bind(topic)
        .bind(i64::from(*partition))
        .bind(*offset)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Adds an outbox row for `record` (its `action_id` is the key) to the user-actions topic,
/// keyed by `user_id`; relayed already when `relayed_at` is given (a record read back from the
/// topic). `false` when the key exists.
async fn outbox_row(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user_id: &str,
    record: &Value,
    now: OffsetDateTime,
    relayed_at: Option<OffsetDateTime>,
) -> Result<bool, StoreError> {
    let key = record
        .get("action_id")
        .and_then(Value::as_str)
        .ok_or_else(|| StoreError::InvalidInput("a user action without action_id".into()))?;
    super::outbox::add_record(
        tx,
        OutboxTopic::UserActions,
        key,
        user_id,
        record,
        now,
        relayed_at,
    )
    .await
}

impl Store {
    /// The ledger reader's next offset of every partition of `topic` it has read from.
    ///
    /// Errors: [`StoreError::Database`].
    pub async fn ledger_offsets(&self, topic: &str) -> Result<Vec<(i32, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT partition_id, next_offset FROM ledger_offsets WHERE topic = $1 \
             ORDER BY partition_id",
        )
        .bind(topic)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let p: i64 = r.try_get(0)?;
                Ok((i32::try_from(p).unwrap_or(0), r.try_get(1)?))
            })
            .collect()
    }

    /// Records `strikes` (read from `topic`; the offsets after them in `next`), and for every
    /// user with a new strike issues the measures the ladder now calls for that the store does
    /// not have, each with its `synth.user-actions.v1` record in the outbox. All in one
    /// transaction with the offsets: a record is applied once, a measure issued once.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn apply_strikes(
        &self,
        topic: &str,
        next: &[(i32, i64)],
        strikes: &[Strike],
        policy: &LedgerPolicy,
        console_id: &str,
        now: OffsetDateTime,
    ) -> Result<StrikesApplied, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut applied = StrikesApplied::default();
        let mut users = BTreeSet::new();
        for s in strikes {
            let (source, moderator, verdict_id) = match &s.source {
                StrikeSource::Worker => ("worker", None, None),
                StrikeSource::Moderator { id, verdict_id } => {
                    ("moderator", Some(id.as_str()), Some(*verdict_id))
                }
            };
            let inserted = sqlx::query(
                "INSERT INTO ledger_strikes (strike_key, user_id, event_id, source, moderator, \
                 verdict_id, reason_code, category, articles, weight, struck_at, recorded_at, \
                 record_partition, record_offset, refuted_claim, refuted_by, refuted_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $17) \
                 ON CONFLICT (strike_key) DO NOTHING",
            )
            .bind(s.key.as_str())
            .bind(s.user_id.as_str())
            .bind(s.event_id.as_str())
            .bind(source)
            .bind(moderator)
            .bind(verdict_id)
            .bind(s.reason_code.as_str())
            .bind(s.category.as_deref())
            .bind(json!(s.articles).to_string())
            .bind(i64::from(s.weight))
            .bind(ms(s.at))
            .bind(ms(now))
            .bind(s.record_at.map(|(p, _)| i64::from(p)))
            .bind(s.record_at.map(|(_, o)| o))
            .bind(s.refutation.as_ref().map(|r| r.claim.as_str()))
            .bind(s.refutation.as_ref().map(|r| r.refuted_by.as_str()))
            .bind(s.refutation.as_ref().and_then(|r| r.refuted_at.as_deref()))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 1 && s.refutation.is_none() {
                // A lead may have added the item's refuted claim before this reject reached
                // the ledger (a claim first, then the moderator's `false_information` verdict).
                super::refuted::fill_refutations(&mut tx, &s.event_id).await?;
            }
            if inserted == 1 {
                super::appeals::reverse_if_upheld(&mut tx, &s.key).await?;
                applied.new_strikes += 1;
                users.insert(s.user_id.as_str());
            } else {
                applied.duplicates += 1;
            }
        }
        for user in users {
            for m in issue_measures(&mut tx, user, policy, console_id, now).await? {
                applied.measures.push((user.to_owned(), m.0, m.1));
            }
        }
        write_offsets(&mut tx, topic, next).await?;
        tx.commit().await?;
        Ok(applied)
    }

    /// Applies records read back from the user-actions topic (`topic`; offsets after them in
    /// `next`): a measure, lift or change the store does not know (a store rebuilt from the
    /// topics) is stored as relayed, so that it is never produced again, and measures take the
    /// state the records give. Records the store has change nothing. Returns how many were new.
    ///
    /// Errors: [`StoreError::Database`].
    pub async fn import_user_actions(
        &self,
        topic: &str,
        next: &[(i32, i64)],
        records: &[Value],
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut new = 0;
        for r in records {
            let Some(user) = r.get("user_id").and_then(Value::as_str) else {
                continue;
            };
            if !outbox_row(&mut tx, user, r, now, Some(now)).await? {
                continue;
            }
            new += 1;
            match r.get("action").and_then(Value::as_str) {
                Some("measure") => import_measure(&mut tx, user, r).await?,
                Some("appeal") => super::appeals::import_outcome(&mut tx, r, now).await?,
                Some("revoke") => {
                    sqlx::query(
                        "UPDATE user_measures SET state = 'revoked', changed_by = $3, \
                         changed_at = $4, change_note = $5 WHERE user_id = $1 AND measure_id = $2",
                    )
                    .bind(user)
                    .bind(r.get("measure_id").and_then(Value::as_str).unwrap_or(""))
                    .bind(
                        r.pointer("/by/id")
                            .and_then(Value::as_str)
                            .unwrap_or("unknown"),
                    )
                    .bind(ms(r
                        .get("at")
                        .and_then(Value::as_str)
                        .and_then(|s| {
                            OffsetDateTime::parse(
                                s,
                                &::time::format_description::well_known::Rfc3339,
                            )
                            .ok()
                        })
                        .unwrap_or(now)))
                    .bind(r.get("note").and_then(Value::as_str))
                    .execute(&mut *tx)
                    .await?;
                }
                Some(action @ ("lift" | "change")) => {
                    let measure_id = r.get("measure_id").and_then(Value::as_str).unwrap_or("");
                    let by = r
                        .pointer("/by/id")
                        .and_then(Value::as_str)
                        .unwrap_or("unknown");
                    let at = r
                        .get("at")
                        .and_then(Value::as_str)
                        .and_then(|s| {
                            OffsetDateTime::parse(
                                s,
                                &::time::format_description::well_known::Rfc3339,
                            )
                            .ok()
                        })
                        .unwrap_or(now);
                    let state = if action == "lift" {
                        "lifted"
                    } else {
                        "changed"
                    };
                    sqlx::query(
                        "UPDATE user_measures SET state = $3, changed_to = $4, changed_by = $5, \
                         changed_at = $6, change_note = $7 WHERE user_id = $1 AND measure_id = $2",
                    )
                    .bind(user)
                    .bind(measure_id)
                    .bind(state)
                    .bind(r.get("measure").map(Value::to_string))
                    .bind(by)
                    .bind(ms(at))
                    .bind(r.get("note").and_then(Value::as_str))
                    .execute(&mut *tx)
                    .await?;
                }
                _ => {}
            }
        }
        write_offsets(&mut tx, topic, next).await?;
        tx.commit().await?;
        Ok(new)
    }

    /// A user's strikes and measures, newest first.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn user_ledger(&self, user_id: &str) -> Result<UserLedger, StoreError> {
        let strikes = sqlx::query(
            "SELECT * FROM ledger_strikes WHERE user_id = $1 ORDER BY struck_at DESC, strike_key",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        let measures = sqlx::query(
            "SELECT * FROM user_measures WHERE user_id = $1 ORDER BY issued_at DESC, level DESC",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(UserLedger {
            strikes: strikes
                .iter()
                .map(stored_strike)
                .collect::<Result<_, _>>()?,
            measures: measures
                .iter()
                .map(stored_measure)
                .collect::<Result<_, _>>()?,
        })
    }

    /// Up to `limit` users with measures, latest measure first.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn ledger_users(&self, limit: u32) -> Result<Vec<LedgerUser>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.user_id, MAX(m.issued_at) AS latest_at, \
             MAX(CASE WHEN m.state = 'in_force' THEN m.level END) AS level, \
             (SELECT COUNT(*) FROM ledger_strikes s WHERE s.user_id = m.user_id) AS strikes \
             FROM user_measures m GROUP BY m.user_id ORDER BY latest_at DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut users = Vec::new();
        for r in &rows {
            let user_id: String = r.try_get("user_id")?;
            let latest_at: i64 = r.try_get("latest_at")?;
            let kind: Option<String> = sqlx::query(
                "SELECT kind FROM user_measures WHERE user_id = $1 AND issued_at = $2 \
                 ORDER BY level DESC LIMIT 1",
            )
            .bind(user_id.as_str())
            .bind(latest_at)
            .fetch_optional(&self.pool)
            .await?
            .map(|k| k.try_get(0))
            .transpose()?;
            users.push(LedgerUser {
                strikes: u64::try_from(r.try_get::<i64, _>("strikes")?).unwrap_or(0),
                level: r
                    .try_get::<Option<i64>, _>("level")?
                    .and_then(|l| u32::try_from(l).ok()),
                latest: kind
                    .map(|k| Ok::<_, StoreError>((k, from_ms(latest_at)?)))
                    .transpose()?,
                user_id,
            });
        }
        Ok(users)
    }

    /// A lead's lift or change of a measure in force (or a change's lift), recorded with who,
    /// when and why, and its `synth.user-actions.v1` record (`action` `lift` or `change`,
    /// `action_id` `lift:MEASURE_ID` or `change:MEASURE_ID`) in the outbox, in one transaction.
    ///
    /// Errors: [`StoreError::InvalidInput`] for an empty or overlong note, an unknown measure,
    /// a measure lifted already, or a change of a changed measure; [`StoreError::Database`].
    #[allow(clippy::too_many_arguments)]
    pub async fn change_measure(
        &self,
        user_id: &str,
        measure_id: &str,
        lead: &str,
        change: &MeasureChange,
        note: &str,
        console_id: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let note = note.trim();
        if note.is_empty() || note.chars().count() > MAX_NOTE_CHARS {
            return Err(StoreError::InvalidInput(format!(
                "a lift or change needs a note of 1 to {MAX_NOTE_CHARS} characters"
            )));
        }
        let mut tx = self.begin_write().await?;
        let (action, new_state, allowed, to) = match change {
            MeasureChange::Lift => ("lift", "lifted", "'in_force', 'changed'", None),
            MeasureChange::To(kind) => (
                "change",
                "changed",
                "'in_force'",
                Some(json!({
                    "kind": kind.as_str(),
                    "function": kind.function(),
                    "duration_seconds": kind.duration().map(|d| d.as_secs()),
                    "until": kind.duration().map(|d| rfc3339(now + d)),
                })),
            ),
        };
        let updated = sqlx::query(&format!(
            "UPDATE user_measures SET state = $3, changed_to = COALESCE($4, changed_to), \
             changed_by = $5, changed_at = $6, change_note = $7 \
             WHERE user_id = $1 AND measure_id = $2 AND state IN ({allowed})"
        ))
        .bind(user_id)
        .bind(measure_id)
        .bind(new_state)
        .bind(to.as_ref().map(Value::to_string))
        .bind(lead)
        .bind(ms(now))
        .bind(note)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            let state: Option<String> = sqlx::query(
                "SELECT state FROM user_measures WHERE user_id = $1 AND measure_id = $2",
            )
            .bind(user_id)
            .bind(measure_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
            tx.rollback().await?;
            return Err(StoreError::InvalidInput(match state {
                None => format!("user {user_id:?} has no measure {measure_id:?}"),
                Some(s) => format!("measure {measure_id} is {s}: it cannot be {new_state} now"),
            }));
        }
        let mut record = json!({
            "action_id": format!("{action}:{measure_id}"),
            "action": action,
            "user_id": user_id,
            "measure_id": measure_id,
            "by": {"kind": "lead", "id": lead},
            "note": note,
            "at": rfc3339(now),
            "issued_by": {"kind": "console", "id": console_id},
        });
        if let Some(to) = to {
            record["measure"] = to;
        }
        outbox_row(&mut tx, user_id, &record, now, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `synth.user-actions.v1` records not yet relayed (oldest first), at most `limit`.
    ///
    /// Errors: [`StoreError::Database`].
    pub async fn pending_user_actions(&self, limit: u32) -> Result<Vec<Value>, StoreError> {
        self.pending_records(super::OutboxTopic::UserActions, limit)
            .await
    }

    /// Up to `limit` records of `topic` still in the outbox, oldest first.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn pending_records(
        &self,
        topic: super::OutboxTopic,
        limit: u32,
    ) -> Result<Vec<Value>, StoreError> {
        let rows = sqlx::query(
            "SELECT record FROM record_outbox WHERE relayed_at IS NULL \
             AND topic_kind = $1 ORDER BY record_seq LIMIT $2",
        )
        .bind(topic.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let t: String = r.try_get(0)?;
                serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect()
    }
}

/// Issues the measures the ladder calls for on `user`'s strikes that the store lacks.
pub(super) async fn issue_measures(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user: &str,
    policy: &LedgerPolicy,
    console_id: &str,
    now: OffsetDateTime,
) -> Result<Vec<(String, &'static str)>, StoreError> {
    let rows = sqlx::query(
        "SELECT strike_key, weight, struck_at, articles, reversed_at FROM ledger_strikes \
         WHERE user_id = $1",
    )
    .bind(user)
    .fetch_all(&mut **tx)
    .await?;
    let strikes = rows
        .iter()
        .map(|r| {
            Ok(LedgerStrike {
                key: r.try_get("strike_key")?,
                weight: u32::try_from(r.try_get::<i64, _>("weight")?).unwrap_or(0),
                at: from_ms(r.try_get("struck_at")?)?,
                articles: json_list(&r.try_get::<String, _>("articles")?)?,
                reversed: r.try_get::<Option<i64>, _>("reversed_at")?.is_some(),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    // A measure an upheld appeal revoked does not count as issued: the ladder may reach its
    // step again on later strikes.
    let before = sqlx::query(
        "SELECT level, issued_at FROM user_measures WHERE user_id = $1 AND state <> 'revoked'",
    )
    .bind(user)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| {
        Ok((
            u32::try_from(r.try_get::<i64, _>(0)?).unwrap_or(0),
            from_ms(r.try_get(1)?)?,
        ))
    })
    .collect::<Result<Vec<_>, StoreError>>()?;
    let mut issued = Vec::new();
    for m in ladder(&strikes, &before, policy) {
        let id = m.measure_id();
        let inserted = sqlx::query(
            "INSERT INTO user_measures (user_id, measure_id, level, kind, function, until, \
             points, threshold, strikes, articles, issued_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (user_id, measure_id) DO NOTHING",
        )
        .bind(user)
        .bind(id.as_str())
        .bind(i64::from(m.level))
        .bind(m.kind.as_str())
        .bind(m.kind.function())
        .bind(m.until.map(ms))
        .bind(i64::from(m.points))
        .bind(i64::from(m.threshold))
        .bind(json!(m.strikes).to_string())
        .bind(json!(m.articles).to_string())
        .bind(ms(m.issued_at))
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            outbox_row(tx, user, &measure_record(user, &m, console_id), now, None).await?;
            issued.push((id, m.kind.as_str()));
        }
    }
    Ok(issued)
}

/// Stores a measure read back from the topic, when the store lacks it.
async fn import_measure(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user: &str,
    r: &Value,
) -> Result<(), StoreError> {
    let m = r.get("measure").cloned().unwrap_or(Value::Null);
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let at = |v: Option<String>| {
        v.and_then(|s| {
            OffsetDateTime::parse(&s, &::time::format_description::well_known::Rfc3339).ok()
        })
    };
    let (Some(measure_id), Some(kind)) = (text(&m, "measure_id"), text(&m, "kind")) else {
        return Ok(());
    };
    if !["warn", "restrict", "suspend", "close"].contains(&kind.as_str()) {
        return Ok(());
    }
    let num = |v: &Value, k: &str| v.get(k).and_then(Value::as_i64).unwrap_or(0);
    sqlx::query(
        "INSERT INTO user_measures (user_id, measure_id, level, kind, function, until, points, \
         threshold, strikes, articles, issued_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (user_id, measure_id) DO NOTHING",
    )
    .bind(user)
    .bind(measure_id)
    .bind(num(&m, "level"))
    .bind(kind)
    .bind(text(&m, "function"))
    .bind(at(text(&m, "until")).map(ms))
    .bind(num(r, "points"))
    .bind(num(r, "threshold"))
    .bind(r.get("strikes").cloned().unwrap_or(json!([])).to_string())
    .bind(r.get("articles").cloned().unwrap_or(json!([])).to_string())
    .bind(ms(
        at(text(r, "issued_at")).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    ))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
