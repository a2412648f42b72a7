//! Refuted claims a lead adds to the rumour library from an item (Art. 11; `docs/console.md`,
//! "Refuted claims"): stored with who added them and from which item, given to the refutation
//! records of the item's false-information rejects that had no library entry, and written
//! through the outbox to the refuted-claims topic, which the worker reads into its rumour
//! library ([`crate::kafka::refuted_claims`]).

use serde_json::json;
use sqlx::Row;
use time::OffsetDateTime;

use super::outbox::{add_record, OutboxTopic};
use super::{ms, time as from_ms, ItemId, Store, StoreError, FALSE_INFORMATION_CODES};
use crate::console::ledger::rfc3339;
use crate::sources::rumours::{Rumour, RumourLibrary};

/// The longest claim and `refuted_by`, in characters (what the worker takes from the topic).
pub const MAX_CLAIM_CHARS: usize = crate::sources::rumours::MAX_EXTRA_CHARS;

/// The rumour library the worker ships (`data/rumours/known-rumours.csv`): a claim it has
/// already is refused here, as the worker would leave it out.
const SHIPPED_LIBRARY: &[u8] = include_bytes!("../../../data/rumours/known-rumours.csv");
const SHIPPED_NAME: &str = "the shipped rumour library (data/rumours/known-rumours.csv)";

/// A claim as a lead enters it.
#[derive(Debug, Clone, Copy)]
pub struct NewRefutedClaim<'a> {
    /// The rumour's own wording, as it is spread (not the refutation).
    pub claim: &'a str,
    /// The body that refuted it.
    pub refuted_by: &'a str,
    /// When: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; empty or `None` when unknown.
    pub refuted_at: Option<&'a str>,
}

/// A claim in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefutedClaim {
    /// Its id (`refuted_claim:<id>` is its record's id).
    pub claim_id: i64,
    /// The claim.
    pub claim: String,
    /// Who refuted it.
    pub refuted_by: String,
    /// When, if known.
    pub refuted_at: Option<String>,
    /// The item it was added from.
    pub item_id: Option<ItemId>,
    /// That item's event.
    pub event_id: Option<String>,
    /// The lead who added it.
    pub added_by: String,
    /// When.
    pub added_at: OffsetDateTime,
}

/// The record of `c` on the refuted-claims topic (`schema/refuted-claim.v1.json`), keyed by the
/// claim.
pub fn refuted_claim_record(c: &RefutedClaim) -> serde_json::Value {
    json!({
        "claim_id": format!("refuted_claim:{}", c.claim_id),
        "claim": c.claim,
        "refuted_by": c.refuted_by,
        "refuted_at": c.refuted_at,
        "event_id": c.event_id,
        "item_id": c.item_id,
        "added_by": {"kind": "lead", "id": c.added_by},
        "added_at": rfc3339(c.added_at),
    })
}

fn claim_of(r: &sqlx::any::AnyRow) -> Result<RefutedClaim, StoreError> {
    Ok(RefutedClaim {
        claim_id: r.try_get("claim_id")?,
        claim: r.try_get("claim")?,
        refuted_by: r.try_get("refuted_by")?,
        refuted_at: r.try_get("refuted_at")?,
        item_id: r.try_get("item_id")?,
        event_id: r.try_get("event_id")?,
        added_by: r.try_get("added_by")?,
        added_at: from_ms(r.try_get("added_at")?)?,
    })
}

const COLUMNS: &str =
    "claim_id, claim, refuted_by, refuted_at, item_id, event_id, added_by, added_at";

/// Gives the false-information strikes of `event_id` that have no library entry the first
/// refuted claim a lead added from that event, if any: after a claim is added (the rejects
/// before it), and after a strike is recorded (a reject after its claim).
pub(super) async fn fill_refutations(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    event_id: &str,
) -> Result<(), StoreError> {
    let codes = FALSE_INFORMATION_CODES
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let first = |column: &str| {
        format!(
            "(SELECT c.{column} FROM refuted_claims c WHERE c.event_id = ledger_strikes.event_id \
             ORDER BY c.claim_id LIMIT 1)"
        )
    };
    sqlx::query(&format!(
        "UPDATE ledger_strikes SET refuted_claim = {}, refuted_by = {}, refuted_at = {} \
         WHERE event_id = $1 AND refuted_claim IS NULL AND reason_code IN ({codes}) \
         AND EXISTS (SELECT 1 FROM refuted_claims c WHERE c.event_id = ledger_strikes.event_id)",
        first("claim"),
        first("refuted_by"),
        first("refuted_at"),
    ))
    .bind(event_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Adds a refuted claim from item `item_id`, by the lead `lead`, at `now`: checked by the
    /// rumour library's own rules (what the worker would refuse is refused here, with the
    /// library's reason), stored, given to the refutation records of the item's event that have
    /// no library entry, and queued in the outbox for the refuted-claims topic — in one
    /// transaction.
    ///
    /// Errors: [`StoreError::UnknownItem`]; [`StoreError::InvalidInput`] for a claim or
    /// `refuted_by` that is empty or longer than [`MAX_CLAIM_CHARS`], a bad `refuted_at`, a claim
    /// the library's rules refuse (too short; the same after normalization as a claim added
    /// before); [`StoreError::Database`].
    pub async fn add_refuted_claim(
        &self,
        item_id: ItemId,
        lead: &str,
        new: &NewRefutedClaim<'_>,
        now: OffsetDateTime,
    ) -> Result<RefutedClaim, StoreError> {
        let rumour = Rumour {
            claim: new.claim.trim().to_owned(),
            refuted_by: new.refuted_by.trim().to_owned(),
            refuted_at: new
                .refuted_at
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        };
        for (what, v) in [("claim", &rumour.claim), ("refuted_by", &rumour.refuted_by)] {
            let n = v.chars().count();
            if n == 0 || n > MAX_CLAIM_CHARS {
                return Err(StoreError::InvalidInput(format!(
                    "{what}: 1 to {MAX_CLAIM_CHARS} characters"
                )));
            }
        }
        // Not refuted in the future: the date, as far as it goes, is at most today's.
        if let Some(at) = &rumour.refuted_at {
            let today = now.date().to_string();
            if at.len() <= today.len() && at.as_str() > &today[..at.len()] {
                return Err(StoreError::InvalidInput(format!(
                    "refuted_at {at:?} is after today ({today})"
                )));
            }
        }
        let mut tx = self.begin_write().await?;
        let event_id: String = sqlx::query("SELECT event_id FROM queue_items WHERE item_id = $1")
            .bind(item_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::UnknownItem(item_id))?
            .try_get("event_id")?;
        // The library's rules, with the claims added before (a repeat is refused by name).
        let mut claims: Vec<Rumour> = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM refuted_claims ORDER BY claim_id"
        ))
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            claim_of(r).map(|c| Rumour {
                claim: c.claim,
                refuted_by: c.refuted_by,
                refuted_at: c.refuted_at,
            })
        })
        .collect::<Result<_, _>>()?;
        // With the shipped library first, as the worker loads them: the new claim is the last,
        // so it is refused when the list of left-out claims grows with it.
        let check = |claims: &[Rumour]| {
            RumourLibrary::with_extra(SHIPPED_NAME, Some(SHIPPED_LIBRARY), None, claims)
                .map(|(_, refused)| refused)
                .map_err(|e| StoreError::InvalidInput(e.to_string()))
        };
        let refused_before = check(&claims)?.len();
        claims.push(rumour.clone());
        let refused = check(&claims)?;
        if refused.len() > refused_before {
            // The library's reason, without its "refuted claim … left out:" (the worker's words).
            let reason = refused.last().cloned().unwrap_or_default();
            let reason = reason
                .split_once(" left out: ")
                .map_or(reason.as_str(), |(_, r)| r);
            return Err(StoreError::InvalidInput(reason.to_owned()));
        }
        let row = sqlx::query(&format!(
            "INSERT INTO refuted_claims (claim, refuted_by, refuted_at, item_id, event_id, \
             added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (claim) DO NOTHING RETURNING {COLUMNS}"
        ))
        .bind(rumour.claim.as_str())
        .bind(rumour.refuted_by.as_str())
        .bind(rumour.refuted_at.as_deref())
        .bind(item_id)
        .bind(event_id.as_str())
        .bind(lead)
        .bind(ms(now))
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| {
            StoreError::InvalidInput("the rumour library has this claim already".into())
        })?;
        let added = claim_of(&row)?;
        fill_refutations(&mut tx, &event_id).await?;
        add_record(
            &mut tx,
            OutboxTopic::RefutedClaims,
            &format!("refuted_claim:{}", added.claim_id),
            &added.claim,
            &refuted_claim_record(&added),
            now,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(added)
    }

    /// The refuted claims added from item `item_id`, oldest first.
    ///
    /// Errors: [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn item_refuted_claims(
        &self,
        item_id: ItemId,
    ) -> Result<Vec<RefutedClaim>, StoreError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM refuted_claims WHERE item_id = $1 ORDER BY claim_id"
        ))
        .bind(item_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(claim_of)
        .collect()
    }
}
