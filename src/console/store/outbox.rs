//! The outbox: verdicts the relay has still to produce. A verdict's row is written in the
//! verdict's transaction ([`Store::decide`]). The relay ([`crate::console::relay`]) takes the
//! pending ones in verdict order as a numbered batch ([`Store::take_relay_batch`]), produces
//! them in one Kafka transaction that also commits the batch number as its checkpoint, and marks
//! the batch relayed afterwards ([`Store::mark_batch_relayed`]). A crash between the Kafka commit
//! and the mark leaves the batch's verdicts pending with their batch number: on start the relay
//! reads its checkpoint and settles them ([`Store::settle_relay_batches`]).

use sqlx::Row;
use time::OffsetDateTime;

use super::{decided_verdict, ms, OutboxEntry, Store, StoreError, VerdictId};

/// A relay batch's number: 1, 2, … in the order the relay took them, never reused; the relay's
/// Kafka checkpoint is the number of the last batch whose transaction committed.
pub type RelayBatch = i64;

/// A relay session's epoch in the store ([`Store::begin_relay_epoch`]).
pub type RelayEpoch = i64;

/// Which topic an outbox record goes to (`record_outbox.topic_kind`); the relay knows the
/// names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxTopic {
    /// `synth.user-actions.v1`: measures, lifts, changes ([`crate::console::ledger`]).
    UserActions,
    /// `synth.complaint-results.v1`: a complaint's outcome for its reporter.
    ComplaintResults,
    /// `synth.refuted-claims.v1`: a claim a lead added to the rumour library.
    RefutedClaims,
}

impl OutboxTopic {
    /// `user_actions`, `complaint_results` or `refuted_claims`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxTopic::UserActions => "user_actions",
            OutboxTopic::ComplaintResults => "complaint_results",
            OutboxTopic::RefutedClaims => "refuted_claims",
        }
    }

    fn parse(s: &str) -> Result<OutboxTopic, StoreError> {
        match s {
            "user_actions" => Ok(OutboxTopic::UserActions),
            "complaint_results" => Ok(OutboxTopic::ComplaintResults),
            "refuted_claims" => Ok(OutboxTopic::RefutedClaims),
            other => Err(StoreError::Corrupt(format!("outbox topic {other:?}"))),
        }
    }
}

/// A record waiting in the outbox besides the verdicts: a user action or a complaint result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordEntry {
    /// Its place in the outbox (the order of production).
    pub record_seq: i64,
    /// Its own id (`action_id`, `result_id`), unique; also its header.
    pub record_key: String,
    /// Where it goes.
    pub topic: OutboxTopic,
    /// Its Kafka key (the user id, the complaint id).
    pub kafka_key: String,
    /// The record, JSON text.
    pub record: String,
}

/// Adds a record to the outbox in `tx`; relayed already when `relayed_at` is given (a record
/// read back from its topic). `false` when its key exists (nothing changed).
pub(super) async fn add_record(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    topic: OutboxTopic,
    record_key: &str,
    kafka_key: &str,
    record: &serde_json::Value,
    now: OffsetDateTime,
    relayed_at: Option<OffsetDateTime>,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO record_outbox (record_key, topic_kind, kafka_key, record, created_at, \
         relayed_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (record_key) DO NOTHING",
    )
    .bind(record_key)
    .bind(topic.as_str())
    .bind(kafka_key)
    .bind(record.to_string())
    .bind(ms(now))
    .bind(relayed_at.map(ms))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// What [`Store::take_relay_batch`] took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenBatch {
    /// The batch's number.
    pub batch: RelayBatch,
    /// Its verdicts, oldest first.
    pub verdicts: Vec<OutboxEntry>,
    /// Its other records (user actions, complaint results), oldest first (the room the
    /// verdicts leave under the limit, at least one).
    pub records: Vec<RecordEntry>,
}

/// What [`Store::settle_relay_batches`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settled {
    /// Verdicts and other records of batches at or below the checkpoint (their
    /// transaction committed) that were
    /// still pending, now marked relayed.
    pub marked: u64,
    /// Verdicts and other records of batches above the checkpoint (their transaction
    /// never committed), released
    /// to be taken again.
    pub released: u64,
}

const OUTBOX_COLUMNS: &str = "v.verdict_id, v.decision, v.moderator, v.reason_code, v.note, \
     v.created_at, q.item_id, q.event_id, q.review_round, q.record";

fn outbox_entry(row: &sqlx::any::AnyRow) -> Result<OutboxEntry, StoreError> {
    Ok(OutboxEntry {
        verdict: decided_verdict(row)?,
        item_id: row.try_get("item_id")?,
        event_id: row.try_get("event_id")?,
        round: row.try_get("review_round")?,
        record: row.try_get("record")?,
    })
}

impl Store {
    /// Up to `limit` verdicts not yet marked relayed, oldest (lowest verdict id) first, each
    /// with the item's event id, round and held record.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn pending_outbox(&self, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} \
             FROM verdicts v JOIN queue_items q ON q.item_id = v.item_id \
             WHERE v.relayed_at IS NULL ORDER BY v.verdict_id LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(outbox_entry).collect()
    }

    /// Starts a relay session: bumps the store's relay epoch and returns it. Only the session
    /// of the current epoch may take batches ([`Store::take_relay_batch`]); the relay calls this
    /// after its `init_transactions` fenced every earlier relay in Kafka and before it settles,
    /// so that a fenced relay can neither commit in Kafka nor take batches in the store.
    ///
    /// Errors: [`StoreError::Database`].
    pub async fn begin_relay_epoch(&self) -> Result<RelayEpoch, StoreError> {
        let mut tx = self.begin_write().await?;
        let epoch: i64 =
            sqlx::query("UPDATE relay_state SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        tx.commit().await?;
        Ok(epoch)
    }

    /// Takes up to `limit` pending verdicts that belong to no batch yet, oldest first, as a new
    /// batch of relay session `epoch`, numbered at least `min_batch` and above every number
    /// given before; returns the number and the verdicts with what the relay produces, or
    /// `None` when nothing is pending. Verdicts already in a batch (taken before a crash and not
    /// yet settled) are not taken again. Pending user-action and complaint-result
    /// records ([`RecordEntry`]) join the batch in the room the verdicts leave (at least one).
    ///
    /// The relay state's row is locked for the transaction, so takes, epoch changes and
    /// settling are serialized on both backends: a relay of an older epoch is refused.
    ///
    /// Errors: [`StoreError::Conflict`] when `epoch` is not the current relay epoch (another
    /// relay session started since), [`StoreError::InvalidInput`] for a zero limit,
    /// [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn take_relay_batch(
        &self,
        epoch: RelayEpoch,
        min_batch: RelayBatch,
        limit: u32,
    ) -> Result<Option<TakenBatch>, StoreError> {
        if limit == 0 {
            return Err(StoreError::InvalidInput(
                "a relay batch of at least one verdict".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let lock = match self.backend {
            super::Backend::Postgres => " FOR UPDATE",
            super::Backend::Sqlite => "",
        };
        let state = sqlx::query(&format!(
            "SELECT epoch, next_batch FROM relay_state WHERE id = 1{lock}"
        ))
        .fetch_one(&mut *tx)
        .await?;
        let (current, next): (i64, i64) = (state.try_get(0)?, state.try_get(1)?);
        if current != epoch {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!(
                "relay epoch {epoch} is over: a relay of epoch {current} has started"
            )));
        }
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} \
             FROM verdicts v JOIN queue_items q ON q.item_id = v.item_id \
             WHERE v.relayed_at IS NULL AND v.relay_batch IS NULL \
             ORDER BY v.verdict_id LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let entries = rows
            .iter()
            .map(outbox_entry)
            .collect::<Result<Vec<_>, _>>()?;
        // At least one user action per batch, so that a steady stream of verdicts cannot starve
        // them.
        let room = (i64::from(limit) - entries.len() as i64).max(1);
        let records = sqlx::query(
            "SELECT record_seq, record_key, topic_kind, kafka_key, record FROM record_outbox \
             WHERE relayed_at IS NULL AND relay_batch IS NULL ORDER BY record_seq LIMIT $1",
        )
        .bind(room)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            Ok(RecordEntry {
                record_seq: r.try_get(0)?,
                record_key: r.try_get(1)?,
                topic: OutboxTopic::parse(&r.try_get::<String, _>(2)?)?,
                kafka_key: r.try_get(3)?,
                record: r.try_get(4)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        if entries.is_empty() && records.is_empty() {
            tx.rollback().await?;
            return Ok(None);
        }
        let batch = next.max(min_batch);
        if !records.is_empty() {
            let seqs = records
                .iter()
                .map(|a| a.record_seq.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            sqlx::query(&format!(
                "UPDATE record_outbox SET relay_batch = $1 \
                 WHERE record_seq IN ({seqs}) AND relayed_at IS NULL AND relay_batch IS NULL"
            ))
            .bind(batch)
            .execute(&mut *tx)
            .await?;
        }
        // The update names the ids read, not a range: a PostgreSQL transaction that commits a
        // lower id late would put a row into the range that was never read.
        let ids = entries
            .iter()
            .map(|e| e.verdict.verdict_id.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        if !ids.is_empty() {
            sqlx::query(&format!(
                "UPDATE verdicts SET relay_batch = $1 \
                 WHERE verdict_id IN ({ids}) AND relayed_at IS NULL AND relay_batch IS NULL"
            ))
            .bind(batch)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE relay_state SET next_batch = $1 WHERE id = 1")
            .bind(batch + 1)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(TakenBatch {
            batch,
            verdicts: entries,
            records,
        }))
    }

    /// Marks every pending verdict of batch `batch` relayed at `now` (its Kafka transaction
    /// committed), and its other records. Returns how many were marked.
    ///
    /// Errors: [`StoreError::Database`].
    pub async fn mark_batch_relayed(
        &self,
        batch: RelayBatch,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let marked = sqlx::query(
            "UPDATE verdicts SET relayed_at = $2 WHERE relay_batch = $1 AND relayed_at IS NULL",
        )
        .bind(batch)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let actions = sqlx::query(
            "UPDATE record_outbox SET relayed_at = $2 \
             WHERE relay_batch = $1 AND relayed_at IS NULL",
        )
        .bind(batch)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(marked + actions)
    }

    /// Settles the batches of an earlier relay against its Kafka checkpoint (the number of the
    /// last batch whose transaction committed; 0 when none ever did): the pending verdicts of
    /// batches up to `checkpoint` are marked relayed at `now` (they are in the topics), those of
    /// later batches are released (their transaction aborted or never began) and are taken
    /// again by the next batch. The caller must hold the relay's transactional id (fenced every
    /// earlier relay) before reading the checkpoint.
    ///
    /// Errors: [`StoreError::Database`].
    pub async fn settle_relay_batches(
        &self,
        checkpoint: RelayBatch,
        now: OffsetDateTime,
    ) -> Result<Settled, StoreError> {
        let mut tx = self.begin_write().await?;
        // Serialized with the takes (the relay state's row lock): a take of an older session
        // either committed before (and is settled here) or is refused after.
        let lock = match self.backend {
            super::Backend::Postgres => " FOR UPDATE",
            super::Backend::Sqlite => "",
        };
        sqlx::query(&format!("SELECT epoch FROM relay_state WHERE id = 1{lock}"))
            .fetch_one(&mut *tx)
            .await?;
        let marked = sqlx::query(
            "UPDATE verdicts SET relayed_at = $2 \
             WHERE relay_batch IS NOT NULL AND relay_batch <= $1 AND relayed_at IS NULL",
        )
        .bind(checkpoint)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let released = sqlx::query(
            "UPDATE verdicts SET relay_batch = NULL WHERE relay_batch > $1 AND relayed_at IS NULL",
        )
        .bind(checkpoint)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let marked = marked
            + sqlx::query(
                "UPDATE record_outbox SET relayed_at = $2 \
                 WHERE relay_batch IS NOT NULL AND relay_batch <= $1 AND relayed_at IS NULL",
            )
            .bind(checkpoint)
            .bind(ms(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let released = released
            + sqlx::query(
                "UPDATE record_outbox SET relay_batch = NULL \
                 WHERE relay_batch > $1 AND relayed_at IS NULL",
            )
            .bind(checkpoint)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Settled { marked, released })
    }

    /// Marks verdict `verdict_id` relayed at `now`. Returns `true` when it was pending, `false`
    /// when it was marked already (marking twice is harmless).
    ///
    /// Errors: [`StoreError::InvalidInput`] for an unknown verdict id, [`StoreError::Database`].
    pub async fn mark_relayed(
        &self,
        verdict_id: VerdictId,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE verdicts SET relayed_at = $2 WHERE verdict_id = $1 AND relayed_at IS NULL",
        )
        .bind(verdict_id)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            let known = sqlx::query("SELECT 1 FROM verdicts WHERE verdict_id = $1")
                .bind(verdict_id)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            tx.rollback().await?;
            return if known {
                Ok(false)
            } else {
                Err(StoreError::InvalidInput(format!(
                    "unknown verdict {verdict_id}"
                )))
            };
        }
        tx.commit().await?;
        Ok(true)
    }
}
