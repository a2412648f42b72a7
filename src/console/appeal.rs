//! Appeals (Art. 12: users can appeal, and each case is handled in time; `docs/console.md`,
//! "Appeals"). Pure: the appeal record, the reopened item's record and the outcome record. The
//! store side is [`crate::console::Store::apply_appeals`] and the verdict's transaction
//! ([`crate::console::Store::decide`]); the Kafka side the ledger reader.
//!
//! A user appeals a reject (`kind` `reject`, naming the event) or a measure (`kind` `measure`,
//! naming the measure) on `synth.appeals.v1` (`schema/appeal.v1.json`).
//!
//! - An appeal of a reject reopens the event as a new review round in the hold queue, with an
//!   `appeal` reason (Art. 12) and the record's `appeal` object naming the strike and the
//!   moderator who rejected (`worker` for the worker's reject). That moderator can neither claim
//!   nor decide it ([`crate::console::StoreError::AppealByDecider`]). An approve **upholds**
//!   the appeal: the approve verdict goes to the approved topic like any other, the strike is
//!   reversed, and every measure in force whose strikes included it and whose points fall below
//!   its threshold without it is revoked. A reject **dismisses** it: the reject goes to the
//!   rejected topic naming the appeal's strike, so the ledger counts no second strike.
//! - An appeal of a measure is decided by a lead on the user's ledger page (not the lead who
//!   changed the measure): upheld, the measure is revoked.
//!
//! Each outcome is a `synth.user-actions.v1` record (`action` `appeal`, [`outcome_record`])
//! for the platform to tell the user, and each revocation one more (`action` `revoke`), written
//! through the console's outbox exactly once.

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::complaint::{reopen, MAX_ID_CHARS, MAX_TEXT_CHARS};
use super::ledger::rfc3339;

/// What an appeal is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppealTarget {
    /// The reject of this event (the user's own).
    Reject {
        /// The rejected event.
        event_id: String,
    },
    /// This measure of the ledger (`L{level}@{strike key}`).
    Measure {
        /// The measure.
        measure_id: String,
    },
}

impl AppealTarget {
    /// `reject` or `measure`.
    pub fn kind(&self) -> &'static str {
        match self {
            AppealTarget::Reject { .. } => "reject",
            AppealTarget::Measure { .. } => "measure",
        }
    }
}

/// An appeal as read from the appeals topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appeal {
    /// Unique per appeal (the platform's id).
    pub appeal_id: String,
    /// Who appeals (the author of the event, the user of the measure).
    pub user_id: String,
    /// What is appealed.
    pub target: AppealTarget,
    /// What the user wrote (at most [`MAX_TEXT_CHARS`]).
    pub text: String,
    /// When the platform received it.
    pub received_at: OffsetDateTime,
}

/// Why a record of the appeals topic is not an appeal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppealError {
    /// Not a JSON object.
    #[error("not a JSON appeal: {0}")]
    Malformed(String),
    /// A required field is missing, empty, too long or of the wrong type.
    #[error("{0}")]
    Field(String),
}

impl AppealError {
    /// The metric label: `malformed` or `field`.
    pub fn label(&self) -> &'static str {
        match self {
            AppealError::Malformed(_) => "malformed",
            AppealError::Field(_) => "field",
        }
    }
}

impl Appeal {
    /// Reads an appeal record: `appeal_id`, `user_id` (strings of 1 to [`MAX_ID_CHARS`]
    /// characters), `kind` `reject` with `event_id` or `measure` with `measure_id` (the same),
    /// `text` (a string, cut to [`MAX_TEXT_CHARS`]; may be absent), `received_at` (RFC 3339).
    ///
    /// # Errors
    /// [`AppealError`] naming the field.
    pub fn from_record(payload: &[u8]) -> Result<Appeal, AppealError> {
        let v: Value =
            serde_json::from_slice(payload).map_err(|e| AppealError::Malformed(e.to_string()))?;
        let Value::Object(m) = v else {
            return Err(AppealError::Malformed("not an object".into()));
        };
        let id = |k: &str| -> Result<String, AppealError> {
            match m.get(k).and_then(Value::as_str).map(str::trim) {
                Some(s) if !s.is_empty() && s.chars().count() <= MAX_ID_CHARS => Ok(s.to_owned()),
                _ => Err(AppealError::Field(format!(
                    "{k}: a string of 1 to {MAX_ID_CHARS} characters"
                ))),
            }
        };
        let target = match m.get("kind").and_then(Value::as_str) {
            Some("reject") => AppealTarget::Reject {
                event_id: id("event_id")?,
            },
            Some("measure") => AppealTarget::Measure {
                measure_id: id("measure_id")?,
            },
            _ => return Err(AppealError::Field("kind: \"reject\" or \"measure\"".into())),
        };
        let text = match m.get("text") {
            Some(Value::String(s)) if s.chars().count() > MAX_TEXT_CHARS => {
                let cut: String = s.chars().take(MAX_TEXT_CHARS).collect();
                format!("{cut}… [cut at {MAX_TEXT_CHARS} characters]")
            }
            Some(Value::String(s)) => s.clone(),
            None | Some(Value::Null) => String::new(),
            _ => return Err(AppealError::Field("text: a string".into())),
        };
        let received_at = m
            .get("received_at")
            .and_then(Value::as_str)
            .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
            .ok_or_else(|| AppealError::Field("received_at: an RFC 3339 time".into()))?;
        Ok(Appeal {
            appeal_id: id("appeal_id")?,
            user_id: id("user_id")?,
            target,
            text,
            received_at,
        })
    }
}

/// The record of the appeal's review round: `base` (the rejected record: the console's last
/// item of the event, or the record read from the rejected topic; else a stub) with `decision`
/// `hold`, an `appeal` reason (Art. 12, the user's text as its cue), `review_round`, and
/// `appeal`: `{"appeal_id", "user_id", "strike_key", "original_decider", "text",
/// "received_at"}`. The relay carries `appeal` into the verdict's record, where
/// [`crate::console::ledger::Strike::from_rejected`] reads `strike_key`.
pub fn reopened_record(
    base: Option<&str>,
    appeal: &Appeal,
    event_id: &str,
    round: i64,
    strike_key: &str,
    original_decider: &str,
    now: OffsetDateTime,
) -> String {
    let reason = json!({
        "stage": "appeal",
        "code": "appeal",
        "action": "hold",
        "article": "Art. 12",
        "cue": appeal.text,
        "appeal_id": appeal.appeal_id,
    });
    let about = json!({
        "appeal_id": appeal.appeal_id,
        "user_id": appeal.user_id,
        "strike_key": strike_key,
        "original_decider": original_decider,
        "text": appeal.text,
        "received_at": rfc3339(appeal.received_at),
    });
    reopen(base, event_id, round, vec![reason], ("appeal", about), now)
}

/// How an appeal ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppealOutcome {
    /// The decision was taken back.
    Upheld,
    /// The decision stands.
    Dismissed,
    /// Not an appeal the console can take (nothing to appeal, appealed already).
    Refused,
}

impl AppealOutcome {
    /// `upheld`, `dismissed` or `refused`.
    pub fn as_str(self) -> &'static str {
        match self {
            AppealOutcome::Upheld => "upheld",
            AppealOutcome::Dismissed => "dismissed",
            AppealOutcome::Refused => "refused",
        }
    }
}

/// What an outcome record says beyond the appeal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeDetail<'a> {
    /// How it ended.
    pub outcome: AppealOutcome,
    /// Why a refused appeal was refused.
    pub refusal: Option<&'a str>,
    /// The strike appealed, when known.
    pub strike_key: Option<&'a str>,
    /// Who decided it (`moderator`, `lead` or `console` for a refusal) and their id.
    pub decided_by: (&'a str, &'a str),
    /// The moderator or lead who decided the appealed decision.
    pub original_decider: Option<&'a str>,
    /// Measures revoked because of it.
    pub revoked: &'a [String],
    /// The verdict of the appeal's review round.
    pub verdict_id: Option<i64>,
    /// When it was decided.
    pub decided_at: OffsetDateTime,
    /// Its deadline.
    pub deadline: OffsetDateTime,
}

/// The `synth.user-actions.v1` record of an appeal's outcome (`schema/user-action.v1.json`,
/// `action` `appeal`, `action_id` `appeal:APPEAL_ID`, keyed by the user): the appeal (id, kind,
/// event or measure, text, received at), `outcome`, `refusal`, `strike_key`, `revoked`,
/// `verdict_id`, `decided_by`, `original_decider`, `decided_at`, `deadline`, `met_deadline`
/// and `time_to_outcome_seconds`.
pub fn outcome_record(appeal: &Appeal, d: &OutcomeDetail<'_>) -> Value {
    let (event_id, measure_id) = match &appeal.target {
        AppealTarget::Reject { event_id } => (Some(event_id.as_str()), None),
        AppealTarget::Measure { measure_id } => (None, Some(measure_id.as_str())),
    };
    json!({
        "action_id": format!("appeal:{}", appeal.appeal_id),
        "action": "appeal",
        "user_id": appeal.user_id,
        "appeal_id": appeal.appeal_id,
        "kind": appeal.target.kind(),
        "event_id": event_id,
        "measure_id": measure_id,
        "text": appeal.text,
        "received_at": rfc3339(appeal.received_at),
        "outcome": d.outcome.as_str(),
        "refusal": d.refusal,
        "strike_key": d.strike_key,
        "original_decider": d.original_decider,
        "revoked": d.revoked,
        "verdict_id": d.verdict_id,
        "decided_by": {"kind": d.decided_by.0, "id": d.decided_by.1},
        "decided_at": rfc3339(d.decided_at),
        "deadline": rfc3339(d.deadline),
        "met_deadline": d.decided_at <= d.deadline,
        "time_to_outcome_seconds": (d.decided_at - appeal.received_at).whole_seconds().max(0),
    })
}

/// Reads an appeal back from its outcome record (a store rebuilt from the user-actions topic).
pub fn from_outcome_record(r: &Value) -> Option<(Appeal, AppealOutcome)> {
    let s = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_owned);
    let target = match s("kind")?.as_str() {
        "reject" => AppealTarget::Reject {
            event_id: s("event_id")?,
        },
        "measure" => AppealTarget::Measure {
            measure_id: s("measure_id")?,
        },
        _ => return None,
    };
    let outcome = match s("outcome")?.as_str() {
        "upheld" => AppealOutcome::Upheld,
        "dismissed" => AppealOutcome::Dismissed,
        "refused" => AppealOutcome::Refused,
        _ => return None,
    };
    Some((
        Appeal {
            appeal_id: s("appeal_id")?,
            user_id: s("user_id")?,
            target,
            text: s("text").unwrap_or_default(),
            received_at: OffsetDateTime::parse(&s("received_at")?, &Rfc3339).ok()?,
        },
        outcome,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::item::HeldItem;

    fn appeal(kind: &str) -> Appeal {
        let target = if kind == "reject" {
            r#""event_id":"e1""#
        } else {
            r#""measure_id":"L1@worker:e1""#
        };
        Appeal::from_record(
            format!(
                r#"{{"appeal_id":"a1","user_id":"u9","kind":"{kind}",{target},
                "text":"这不是谣言","received_at":"2027-01-15T08:00:00Z"}}"#
            )
            .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn appeals_are_read_and_checked() {
        assert_eq!(
            appeal("reject").target,
            AppealTarget::Reject {
                event_id: "e1".into()
            }
        );
        assert_eq!(appeal("measure").target.kind(), "measure");
        for (bad, label) in [
            (&b"7"[..], "malformed"),
            (br#"{"appeal_id":"a","user_id":"u","kind":"other","received_at":"2027-01-15T08:00:00Z"}"#, "field"),
            (br#"{"appeal_id":"a","user_id":"u","kind":"reject","received_at":"2027-01-15T08:00:00Z"}"#, "field"),
            (br#"{"appeal_id":"a","user_id":"","kind":"reject","event_id":"e","received_at":"2027-01-15T08:00:00Z"}"#, "field"),
            (br#"{"appeal_id":"a","user_id":"u","kind":"reject","event_id":"e","received_at":"soon"}"#, "field"),
        ] {
            assert_eq!(Appeal::from_record(bad).unwrap_err().label(), label);
        }
    }

    #[test]
    fn the_reopened_record_names_the_strike_and_the_decider() {
        let base = r#"{"event_id":"e1","decision":"reject","reasons":[{"stage":"lexicon","code":"prohibited_term","action":"reject","article":"Art. 6"}],"reviewed_by":{"kind":"moderator","id":"mod-a","verdict_id":3},"reviewed_at":"2027-01-14T08:00:00Z","event":{"event_id":"e1","user":{"id":"u9"},"content":{"text":"x"}}}"#;
        let now = OffsetDateTime::parse("2027-01-15T09:00:00Z", &Rfc3339).unwrap();
        let a = appeal("reject");
        let r = reopened_record(Some(base), &a, "e1", 2, "verdict:3", "mod-a", now);
        let item = HeldItem::from_record(r.as_bytes(), 2).unwrap();
        assert_eq!(item.user_id, "u9");
        assert_eq!(item.reasons.last().unwrap().code, "appeal");
        let v: Value = serde_json::from_str(&r).unwrap();
        assert_eq!(v["appeal"]["strike_key"], "verdict:3");
        assert_eq!(v["appeal"]["original_decider"], "mod-a");
        assert!(v.get("reviewed_by").is_none(), "{v}");
    }

    #[test]
    fn outcome_records_read_back() {
        let a = appeal("reject");
        let at = OffsetDateTime::parse("2027-01-15T10:00:00Z", &Rfc3339).unwrap();
        let d = OutcomeDetail {
            outcome: AppealOutcome::Upheld,
            refusal: None,
            strike_key: Some("verdict:3"),
            decided_by: ("moderator", "mod-b"),
            original_decider: Some("mod-a"),
            revoked: &["L1@verdict:3".to_owned()],
            verdict_id: Some(9),
            decided_at: at,
            deadline: at + time::Duration::hours(70),
        };
        let r = outcome_record(&a, &d);
        assert_eq!(r["time_to_outcome_seconds"], 7200);
        assert_eq!(r["met_deadline"], true);
        assert_eq!(from_outcome_record(&r), Some((a, AppealOutcome::Upheld)));
    }
}
