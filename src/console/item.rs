//! A held decision record as the hold queue stores it: the record's JSON as received, plus what
//! the queue orders and filters by (severity, reasons, user, time of the hold).

use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::decision::{Action, Decision, ReasonCode};

/// One reason of a held item as the queue's filters see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonTag {
    /// The stage kind that found it (`prohibited`, `labels` …).
    pub stage: String,
    /// The reason code (`prohibited_term` …).
    pub code: String,
    /// The lexicon category, for `prohibited_term`.
    pub category: Option<String>,
}

/// A decision record from the held topic, ready for [`super::Store::insert_item`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldItem {
    /// The event id (the record's `event_id`).
    pub event_id: String,
    /// The review round: 0 for the worker's hold; a complaint reopening an item is a later round.
    pub round: i64,
    /// The author (`event.user.id`), for the per-user history.
    pub user_id: String,
    /// When the worker held it (the record's `reviewed_at`).
    pub held_at: OffsetDateTime,
    /// The reasons in record order.
    pub reasons: Vec<ReasonTag>,
    /// How severe the reasons are (see [`severity`]); higher first in the queue.
    pub severity: i64,
    /// The decision record exactly as received (JSON text).
    pub record: String,
}

/// Why a record cannot be a queue item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Not UTF-8, not JSON, or a field missing or of the wrong type.
    #[error("not a decision record: {0}")]
    Malformed(String),
    /// A decision record, but its decision is not `hold`.
    #[error("decision record of event {event_id} is `{decision}`, not `hold`")]
    NotHeld {
        /// The record's event id.
        event_id: String,
        /// The record's decision.
        decision: &'static str,
    },
    /// `reviewed_at` is not an RFC 3339 time.
    #[error("decision record of event {event_id}: reviewed_at {value:?} is not an RFC 3339 time")]
    ReviewedAt {
        /// The record's event id.
        event_id: String,
        /// The value found.
        value: String,
    },
}

// The parts of a decision record (DESIGN §3) the queue needs. Reasons are read loosely (codes as
// strings), so a record from a newer worker with a code this build does not know is still queued.
#[derive(Deserialize)]
struct RecordView {
    event_id: String,
    decision: Decision,
    reasons: Vec<ReasonView>,
    reviewed_at: String,
    event: EventView,
}

#[derive(Deserialize)]
struct ReasonView {
    stage: String,
    code: String,
    #[serde(default)]
    category: Option<String>,
}

#[derive(Deserialize)]
struct EventView {
    user: UserView,
}

#[derive(Deserialize)]
struct UserView {
    id: String,
}

impl HeldItem {
    /// Reads a decision record (the value of a `synth.held.v1` message) as review round `round`.
    ///
    /// Errors: [`RecordError::Malformed`] when the bytes are not a decision record,
    /// [`RecordError::NotHeld`] when its decision is not `hold`, [`RecordError::ReviewedAt`] when
    /// its time cannot be read.
    pub fn from_record(bytes: &[u8], round: i64) -> Result<HeldItem, RecordError> {
        let text = std::str::from_utf8(bytes).map_err(|e| RecordError::Malformed(e.to_string()))?;
        let view: RecordView =
            serde_json::from_str(text).map_err(|e| RecordError::Malformed(e.to_string()))?;
        if view.decision != Decision::Hold {
            return Err(RecordError::NotHeld {
                event_id: view.event_id,
                decision: view.decision.as_str(),
            });
        }
        let held_at = OffsetDateTime::parse(&view.reviewed_at, &Rfc3339).map_err(|_| {
            RecordError::ReviewedAt {
                event_id: view.event_id.clone(),
                value: view.reviewed_at.clone(),
            }
        })?;
        let reasons: Vec<ReasonTag> = view
            .reasons
            .into_iter()
            .map(|r| ReasonTag {
                stage: r.stage,
                code: r.code,
                category: r.category,
            })
            .collect();
        Ok(HeldItem {
            event_id: view.event_id,
            round,
            user_id: view.event.user.id,
            held_at,
            severity: severity(&reasons),
            reasons,
            record: text.to_owned(),
        })
    }
}

/// The severity of a held item's reasons, the queue's first sort key (higher first; then more
/// reasons, then the oldest hold):
/// - 2 when a reason's code rejects by default (the pipeline's policy lowered it to hold: the
///   content is closest to a reject),
/// - 1 for any other reason (codes this build does not know included),
/// - 0 without reasons.
///
/// Stored with the item when it is inserted, so a change here applies to items stored afterwards.
pub fn severity(reasons: &[ReasonTag]) -> i64 {
    reasons
        .iter()
        .map(
            |r| match ReasonCode::from_name(&r.code).map(ReasonCode::default_action) {
                Some(Action::Reject) => 2,
                _ => 1,
            },
        )
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(decision: &str, reasons: &str) -> String {
        format!(
            r#"{{"event_id":"e1","decision":"{decision}","reasons":[{reasons}],"actions":[],"pipeline":"p","pipeline_version":"1","lexicon_version":"x","reviewed_at":"2026-12-03T10:00:00.250Z","event":{{"event_id":"e1","user":{{"id":"u7","identity_verified":true}}}}}}"#
        )
    }

    #[test]
    fn reads_a_held_record() {
        let r = r#"{"stage":"prohibited","code":"prohibited_term","category":"gambling","action":"hold","article":"Art. 6"},{"stage":"mystery","code":"not_a_code_yet","action":"hold","article":"-"}"#;
        let item = HeldItem::from_record(record("hold", r).as_bytes(), 0).unwrap();
        assert_eq!(item.event_id, "e1");
        assert_eq!(item.user_id, "u7");
        assert_eq!(item.round, 0);
        assert_eq!(
            item.held_at.unix_timestamp_nanos(),
            1_796_292_000_250_000_000
        );
        assert_eq!(item.reasons.len(), 2);
        assert_eq!(item.reasons[0].category.as_deref(), Some("gambling"));
        assert_eq!(item.reasons[1].code, "not_a_code_yet");
        assert_eq!(item.record, record("hold", r));
    }

    #[test]
    fn refuses_what_is_not_a_held_record() {
        assert!(matches!(
            HeldItem::from_record(record("approve", "").as_bytes(), 0),
            Err(RecordError::NotHeld { .. })
        ));
        assert!(matches!(
            HeldItem::from_record(b"{}", 0),
            Err(RecordError::Malformed(_))
        ));
        assert!(matches!(
            HeldItem::from_record(b"\xff", 0),
            Err(RecordError::Malformed(_))
        ));
        let bad_time = record("hold", "").replace("2026-12-03T10:00:00.250Z", "yesterday");
        assert!(matches!(
            HeldItem::from_record(bad_time.as_bytes(), 0),
            Err(RecordError::ReviewedAt { .. })
        ));
    }

    #[test]
    fn severity_ranks_reject_by_default_codes_first() {
        let tag = |code: &str| ReasonTag {
            stage: "s".into(),
            code: code.into(),
            category: None,
        };
        assert_eq!(severity(&[]), 0);
        assert_eq!(severity(&[tag("not_a_code_yet")]), 1);
        let reject_code = ReasonCode::ALL
            .iter()
            .find(|c| c.default_action() == Action::Reject)
            .expect("a code that rejects by default");
        assert_eq!(severity(&[tag("x"), tag(reject_code.as_str())]), 2);
    }
}
