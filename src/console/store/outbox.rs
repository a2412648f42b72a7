//! The outbox: verdicts the relay has still to produce. A verdict's row is written in the
//! verdict's transaction ([`Store::decide`]); the relay reads the pending ones in verdict order,
//! produces each in a Kafka transaction, and marks it relayed afterwards. A crash between the two
//! leaves it pending: the relay must recognise it as already produced (by its verdict id) on
//! start, which is the relay's part, not the store's.

use sqlx::Row;
use time::OffsetDateTime;

use super::{decided_verdict, ms, OutboxEntry, Store, StoreError, VerdictId};

impl Store {
    /// Up to `limit` verdicts not yet marked relayed, oldest (lowest verdict id) first, each
    /// with the item's event id, round and held record.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn pending_outbox(&self, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT v.verdict_id, v.decision, v.moderator, v.reason_code, v.note, v.created_at, \
             q.item_id, q.event_id, q.review_round, q.record \
             FROM verdicts v JOIN queue_items q ON q.item_id = v.item_id \
             WHERE v.relayed_at IS NULL ORDER BY v.verdict_id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| -> Result<OutboxEntry, StoreError> {
                Ok(OutboxEntry {
                    verdict: decided_verdict(row)?,
                    item_id: row.try_get("item_id")?,
                    event_id: row.try_get("event_id")?,
                    round: row.try_get("review_round")?,
                    record: row.try_get("record")?,
                })
            })
            .collect()
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
