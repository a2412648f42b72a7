//! Complaints (Art. 12: a convenient way for users and the public to complain, handled in
//! time; `docs/console.md`, "Complaints"). Pure: the complaint record, the reopened item's
//! record, reporters' credibility and the result record. The store side is
//! [`crate::console::Store::apply_complaints`]; the Kafka side the ledger reader.
//!
//! A complaint (`synth.complaints.v1`, `schema/complaint.v1.json`) names an event. Complaints
//! about an event whose review is not open are a new **case**: the event goes back into the hold
//! queue as a new review round (its record as the console last had it, or as it was published,
//! with a `complaint` reason), with a deadline from the configured time limit. Complaints about
//! an event with an open case join it. The case's verdict is its outcome: a reject makes every
//! complaint of the case `founded`, an approve `unfounded`; each reporter gets a result record
//! on `synth.complaint-results.v1`.

use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The longest complaint id, event id, reporter or category, in characters.
pub const MAX_ID_CHARS: usize = 256;
/// The longest complaint text kept, in characters (longer text is cut, and says so).
pub const MAX_TEXT_CHARS: usize = 4000;

/// A complaint as read from the complaints topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complaint {
    /// Unique per complaint (the platform's id).
    pub complaint_id: String,
    /// The event complained about.
    pub event_id: String,
    /// The reason category the reporter chose (free text of the platform's list).
    pub category: String,
    /// Who complained (the platform's user id or a public reporter's id).
    pub reporter: String,
    /// What they wrote (at most [`MAX_TEXT_CHARS`]).
    pub text: String,
    /// When the platform received it.
    pub received_at: OffsetDateTime,
}

/// Why a record of the complaints topic is not a complaint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComplaintError {
    /// Not a JSON object.
    #[error("not a JSON complaint: {0}")]
    Malformed(String),
    /// A required field is missing, empty, too long or of the wrong type.
    #[error("{0}")]
    Field(String),
}

impl ComplaintError {
    /// The metric label: `malformed` or `field`.
    pub fn label(&self) -> &'static str {
        match self {
            ComplaintError::Malformed(_) => "malformed",
            ComplaintError::Field(_) => "field",
        }
    }
}

impl Complaint {
    /// Reads a complaint record: `complaint_id`, `event_id`, `category`, `reporter` (strings
    /// of 1 to [`MAX_ID_CHARS`] characters), `text` (a string, cut to [`MAX_TEXT_CHARS`]),
    /// `received_at` (RFC 3339).
    ///
    /// # Errors
    /// [`ComplaintError`] naming the field.
    pub fn from_record(payload: &[u8]) -> Result<Complaint, ComplaintError> {
        let v: Value = serde_json::from_slice(payload)
            .map_err(|e| ComplaintError::Malformed(e.to_string()))?;
        let Value::Object(m) = v else {
            return Err(ComplaintError::Malformed("not an object".into()));
        };
        let id = |k: &str| -> Result<String, ComplaintError> {
            match m.get(k).and_then(Value::as_str).map(str::trim) {
                Some(s) if !s.is_empty() && s.chars().count() <= MAX_ID_CHARS => Ok(s.to_owned()),
                _ => Err(ComplaintError::Field(format!(
                    "{k}: a string of 1 to {MAX_ID_CHARS} characters"
                ))),
            }
        };
        let text = match m.get("text") {
            Some(Value::String(s)) => {
                if s.chars().count() > MAX_TEXT_CHARS {
                    let cut: String = s.chars().take(MAX_TEXT_CHARS).collect();
                    format!("{cut}… [cut at {MAX_TEXT_CHARS} characters]")
                } else {
                    s.clone()
                }
            }
            None | Some(Value::Null) => String::new(),
            _ => return Err(ComplaintError::Field("text: a string".into())),
        };
        let received_at = m
            .get("received_at")
            .and_then(Value::as_str)
            .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
            .ok_or_else(|| ComplaintError::Field("received_at: an RFC 3339 time".into()))?;
        Ok(Complaint {
            complaint_id: id("complaint_id")?,
            event_id: id("event_id")?,
            category: id("category")?,
            reporter: id("reporter")?,
            text,
            received_at,
        })
    }
}

/// A reporter's credibility from their record: `(founded + 1) / (founded + unfounded + 2)`, so
/// a new reporter has 0.5 and every reporter stays above 0.
pub fn credibility(founded: u64, unfounded: u64) -> f64 {
    (founded as f64 + 1.0) / ((founded + unfounded) as f64 + 2.0)
}

/// The queue severity of a case ([`crate::console::item::severity`] runs 0 to 2): 3, above
/// every held item, while its most credible reporter has a credibility of at least 0.3; else 1.
/// Reporters whose complaints keep being unfounded are ranked lower, never dropped.
pub fn case_severity(best_credibility: f64) -> i64 {
    if best_credibility >= 0.3 {
        3
    } else {
        1
    }
}

/// The record of the reopened item: `base` (the event's decision record as the console last had
/// it, or as published; without one, a stub naming the event), with `decision` `hold`, a
/// `complaint` reason (Art. 12) per complaint, `complaints` (the complaints without their
/// text's evidence) and `review_round`. The item's author is `base`'s `event.user.id`, else
/// `unknown`.
pub fn reopened_record(
    base: Option<&str>,
    event_id: &str,
    round: i64,
    complaints: &[Complaint],
    now: OffsetDateTime,
) -> String {
    let mut reasons = Vec::new();
    let mut listed = Vec::new();
    for c in complaints {
        reasons.push(json!({
            "stage": "complaint",
            "code": "complaint",
            "category": c.category,
            "action": "hold",
            "article": "Art. 12",
            "cue": c.text,
            "complaint_id": c.complaint_id,
        }));
        listed.push(json!({
            "complaint_id": c.complaint_id,
            "category": c.category,
            "reporter": c.reporter,
            "text": c.text,
            "received_at": c.received_at.format(&Rfc3339).unwrap_or_default(),
        }));
    }
    reopen(
        base,
        event_id,
        round,
        reasons,
        ("complaints", Value::Array(listed)),
        now,
    )
}

/// A decision record reopened as a new review round: `base` (else a stub naming the event,
/// author `unknown`) with `decision` `hold`, `reasons` extended by `new_reasons`, `extra`
/// set (`complaints`, `appeal`), `review_round` and `reviewed_at` = `now`. The author
/// (`event.user.id`) is kept, else `unknown`.
pub(crate) fn reopen(
    base: Option<&str>,
    event_id: &str,
    round: i64,
    new_reasons: Vec<Value>,
    extra: (&str, Value),
    now: OffsetDateTime,
) -> String {
    let mut m = match base.map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(m))) => m,
        _ => {
            let mut m = Map::new();
            m.insert("event_id".into(), json!(event_id));
            m.insert(
                "event".into(),
                json!({"event_id": event_id, "user": {"id": "unknown"},
                       "omitted": "the console has no record of this event (not held, not in \
                                   the approved topic's index)"}),
            );
            m
        }
    };
    let mut reasons: Vec<Value> = m
        .get("reasons")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    reasons.extend(new_reasons);
    // A verdict's own fields do not carry over into the new round.
    m.remove("reviewed_by");
    m.insert("decision".into(), json!("hold"));
    m.insert("reasons".into(), Value::Array(reasons));
    m.insert(extra.0.into(), extra.1);
    m.insert("review_round".into(), json!(round));
    m.insert(
        "reviewed_at".into(),
        json!(now.format(&Rfc3339).unwrap_or_default()),
    );
    if !m.get("event").is_some_and(Value::is_object) {
        m.insert("event".into(), json!({"event_id": event_id}));
    }
    if let Some(Value::Object(event)) = m.get_mut("event") {
        if !event
            .get("user")
            .and_then(|u| u.get("id"))
            .is_some_and(Value::is_string)
        {
            event.insert("user".into(), json!({"id": "unknown"}));
        }
    }
    Value::Object(m).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::item::HeldItem;

    fn complaint(id: &str) -> Complaint {
        Complaint::from_record(
            format!(
                r#"{{"complaint_id":"{id}","event_id":"e1","category":"rumour","reporter":"r1",
                "text":"这是谣言 <b>x</b>","received_at":"2027-01-15T08:00:00Z"}}"#
            )
            .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn complaints_are_read_and_checked() {
        let c = complaint("c1");
        assert_eq!((c.event_id.as_str(), c.reporter.as_str()), ("e1", "r1"));
        for (bad, label) in [
            (&b"[]"[..], "malformed"),
            (br#"{"complaint_id":"","event_id":"e","category":"c","reporter":"r","received_at":"2027-01-15T08:00:00Z"}"#, "field"),
            (br#"{"complaint_id":"c","event_id":"e","category":"c","reporter":"r","received_at":"yesterday"}"#, "field"),
            (br#"{"complaint_id":"c","event_id":"e","category":"c","reporter":"r","text":5,"received_at":"2027-01-15T08:00:00Z"}"#, "field"),
        ] {
            assert_eq!(Complaint::from_record(bad).unwrap_err().label(), label);
        }
        let long = format!(
            r#"{{"complaint_id":"c","event_id":"e","category":"c","reporter":"r","text":"{}","received_at":"2027-01-15T08:00:00Z"}}"#,
            "长".repeat(MAX_TEXT_CHARS + 10)
        );
        let c = Complaint::from_record(long.as_bytes()).unwrap();
        assert!(c.text.ends_with("characters]"));
    }

    #[test]
    fn credibility_ranks_unfounded_reporters_lower_but_never_zero() {
        assert_eq!(credibility(0, 0), 0.5);
        assert!(credibility(0, 3) < 0.3 && credibility(0, 100) > 0.0);
        assert_eq!(case_severity(credibility(0, 0)), 3);
        assert_eq!(case_severity(credibility(0, 3)), 1);
    }

    #[test]
    fn the_reopened_record_is_a_held_item_of_the_new_round() {
        let base = r#"{"event_id":"e1","decision":"approve","reasons":[],"reviewed_at":"2027-01-14T08:00:00Z","event":{"event_id":"e1","user":{"id":"u9"},"content":{"text":"吃碘盐防辐射"}}}"#;
        let now = OffsetDateTime::parse("2027-01-15T09:00:00Z", &Rfc3339).unwrap();
        let r = reopened_record(
            Some(base),
            "e1",
            1,
            &[complaint("c1"), complaint("c2")],
            now,
        );
        let item = HeldItem::from_record(r.as_bytes(), 1).unwrap();
        assert_eq!(item.user_id, "u9");
        assert_eq!(item.reasons.len(), 2);
        assert_eq!(item.reasons[0].code, "complaint");
        let v: Value = serde_json::from_str(&r).unwrap();
        assert_eq!(v["event"]["content"]["text"], "吃碘盐防辐射");
        assert_eq!(v["complaints"][1]["complaint_id"], "c2");
        let stub = reopened_record(None, "e1", 1, &[complaint("c1")], now);
        let item = HeldItem::from_record(stub.as_bytes(), 1).unwrap();
        assert_eq!(item.user_id, "unknown");
    }
}
