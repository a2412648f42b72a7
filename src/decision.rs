//! Decisions, reasons and the records written to Kafka (DESIGN §1, §3).

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The outcome of a review (DESIGN §3). Ordered by severity: `Approve < Hold < Reject`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Publish.
    Approve,
    /// Route to the hold queue for a moderator.
    Hold,
    /// Do not publish.
    Reject,
}

impl Decision {
    /// Every decision, for pre-registering metric series.
    pub const ALL: [Decision; 3] = [Decision::Approve, Decision::Hold, Decision::Reject];

    /// `approve`, `hold` or `reject`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Hold => "hold",
            Decision::Reject => "reject",
        }
    }
}

/// What a reason asks for; the decision is the most severe action of all reasons (DESIGN §3).
/// In a pipeline file: `"hold"` or `"reject"` (`[stages.actions]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Send to human review.
    Hold,
    /// Refuse publication.
    Reject,
}

impl Action {
    /// The decision this action alone leads to.
    pub fn decision(self) -> Decision {
        match self {
            Action::Hold => Decision::Hold,
            Action::Reject => Decision::Reject,
        }
    }
}

pub use crate::stages::StageKind;

/// A reason code (DESIGN §4): the rule a finding reports. Each code is declared, with its doc, the
/// stage that emits it, its default action and the provision it enforces, by the module of that
/// stage in a `reason_codes!` table (one row per code) and is reached as an associated constant,
/// e.g. [`ReasonCode::IdentityUnverified`]. [`ReasonCode::ALL`] lists the codes of every registered
/// stage. Pipeline files, records and metric labels name a code by its snake_case string
/// ([`ReasonCode::as_str`]); codes compare, order and hash by that string.
#[derive(Clone, Copy)]
pub struct ReasonCode(pub(crate) &'static ReasonRow);

/// One row of a `reason_codes!` table.
#[derive(Debug)]
pub(crate) struct ReasonRow {
    /// The constant's name, e.g. `IdentityUnverified` (for `Debug`).
    pub(crate) ident: &'static str,
    /// The snake_case contract name, e.g. `identity_unverified`.
    pub(crate) name: &'static str,
    /// The stage kind that emits the code.
    pub(crate) stage: StageKind,
    /// The action when the pipeline does not override it.
    pub(crate) default_action: Action,
    /// The provision cited in decision records, e.g. `Art. 9`.
    pub(crate) article: &'static str,
}

/// Declares the reason codes a stage emits, one row per code with its doc comment (DESIGN §4):
///
/// ```text
/// /// `user.identity_verified` is not true.
/// IdentityUnverified = "identity_unverified", Identity, Reject, "Art. 9";
/// ```
///
/// that is `Constant = "contract_name", StageKind variant, default Action, "article";`. Each row
/// becomes a constant of the stage's module and the associated constant `ReasonCode::Constant`;
/// the module gets `REASON_CODES`, the list that the stage registry (`crate::stages`) gathers into
/// [`ReasonCode::ALL`].
macro_rules! reason_codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $stage:ident, $action:ident, $article:literal; )*) => {
        $(
            $(#[$doc])*
            #[allow(non_upper_case_globals)]
            pub const $variant: $crate::decision::ReasonCode =
                $crate::decision::ReasonCode(&$crate::decision::ReasonRow {
                    ident: stringify!($variant),
                    name: $name,
                    stage: $crate::decision::StageKind::$stage,
                    default_action: $crate::decision::Action::$action,
                    article: $article,
                });
        )*

        impl $crate::decision::ReasonCode {
            $(
                $(#[$doc])*
                #[allow(non_upper_case_globals)]
                pub const $variant: $crate::decision::ReasonCode = $variant;
            )*
        }

        /// The reason codes this stage emits, in the order of its `reason_codes!` table.
        pub const REASON_CODES: &[$crate::decision::ReasonCode] = &[$($variant),*];
    };
}
pub(crate) use reason_codes;

impl ReasonCode {
    /// The snake_case contract name, e.g. `prohibited_term`.
    pub fn as_str(self) -> &'static str {
        self.0.name
    }
    /// The stage kind that emits this code.
    pub fn stage(self) -> StageKind {
        self.0.stage
    }
    /// The default action (DESIGN §4); a pipeline may override it per code.
    pub fn default_action(self) -> Action {
        self.0.default_action
    }
    /// The article cited in the decision record.
    pub fn article(self) -> &'static str {
        self.0.article
    }
    /// The code with this contract name, if any stage declares one.
    pub fn from_name(name: &str) -> Option<ReasonCode> {
        ReasonCode::ALL.iter().copied().find(|c| c.as_str() == name)
    }
}

/// `N` codes out of the per-stage lists, in order: builds [`ReasonCode::ALL`] at compile time.
///
/// # Panics
/// At compile time, when the lists do not hold exactly `N` codes together.
pub(crate) const fn concat_codes<const N: usize>(lists: &[&[ReasonCode]]) -> [ReasonCode; N] {
    let mut out = [lists[0][0]; N];
    let mut n = 0;
    let mut i = 0;
    while i < lists.len() {
        let mut j = 0;
        while j < lists[i].len() {
            out[n] = lists[i][j];
            n += 1;
            j += 1;
        }
        i += 1;
    }
    assert!(n == N, "the code lists do not add up to N");
    out
}

impl std::fmt::Debug for ReasonCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.ident)
    }
}

impl PartialEq for ReasonCode {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for ReasonCode {}

impl PartialOrd for ReasonCode {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ReasonCode {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for ReasonCode {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl Serialize for ReasonCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ReasonCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl serde::de::Visitor<'_> for Name {
            type Value = ReasonCode;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a reason code")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ReasonCode, E> {
                ReasonCode::from_name(v).ok_or_else(|| E::custom(unknown_code(v)))
            }
        }
        deserializer.deserialize_str(Name)
    }
}

/// `unknown reason code `x`, expected one of `a`, `b`, …`.
pub(crate) fn unknown_code(name: &str) -> String {
    let all: Vec<String> = ReasonCode::ALL
        .iter()
        .map(|c| format!("`{}`", c.as_str()))
        .collect();
    format!(
        "unknown reason code `{name}`, expected one of {}",
        all.join(", ")
    )
}

/// Where in the event a reason was found. Offsets are Unicode scalar values (code points) into the
/// original field value, end exclusive: `original[start:end]` in Python equals `matched`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Field path, e.g. `content.text`.
    pub field: String,
    /// Start offset in code points.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub start: Option<usize>,
    /// End offset in code points (exclusive).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub end: Option<usize>,
    /// The original text at `start..end`, or the offending field value.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub matched: Option<String>,
    /// The lexicon term (as written in the lexicon) that matched.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub term: Option<String>,
}

/// One reason in a decision record (DESIGN §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// The stage kind that found it.
    pub stage: StageKind,
    /// The reason code.
    pub code: ReasonCode,
    /// Lexicon category for `prohibited_term`, e.g. `gambling`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub category: Option<String>,
    /// The action after pipeline policy.
    pub action: Action,
    /// The article it enforces.
    pub article: String,
    /// Where it was found.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub evidence: Option<Evidence>,
    /// A short explanation for the moderator (no content text beyond the evidence).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<String>,
    /// For `known_false_news`: the refuted claim of the rumour library and who refuted it
    /// (Art. 11 records). An addition to DESIGN §3.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub refutation: Option<Refutation>,
}

/// The rumour-library entry a `known_false_news` reason matched (Art. 11): a claim already
/// refuted, who refuted it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refutation {
    /// The claim as the library words it (the CSV's `claim`).
    pub claim: String,
    /// The body that refuted it (the CSV's `refuted_by`; several separated by `；`).
    pub refuted_by: String,
    /// When: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, when the library knows it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub refuted_at: Option<String>,
}

/// Something the platform must do when it publishes (labelling measures Art. 6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PublishAction {
    /// Show a conspicuous label with this text around the content.
    AddLabel {
        /// The label text, e.g. `AI生成`.
        text: String,
    },
    /// Write the propagation elements (`ContentPropagator`, `PropagateID`) into the file metadata.
    AddPropagationMetadata {
        /// The `Label` value to write (`1`, `2` or `3`).
        label: String,
    },
}

/// The record written to the approved/held/rejected topic and printed by `review` (DESIGN §3).
#[derive(Debug, Serialize)]
pub struct DecisionRecord<'a> {
    /// The event id.
    pub event_id: &'a str,
    /// The combined decision.
    pub decision: Decision,
    /// Every reason found, in stage order.
    pub reasons: &'a [Reason],
    /// Actions the platform must take when publishing.
    pub actions: &'a [PublishAction],
    /// Pipeline name.
    pub pipeline: &'a str,
    /// Pipeline version (the `[pipeline] version`, else a digest of the file).
    pub pipeline_version: &'a str,
    /// Digest of every data file in use (lexicons, news sources, aliases, rumours).
    pub lexicon_version: &'a str,
    /// RFC 3339 UTC time of the review.
    pub reviewed_at: &'a str,
    /// The original event, minified ([`crate::event::minify_json`]): every key and value as sent,
    /// no whitespace between tokens, so the record is one line.
    pub event: &'a RawValue,
}

/// The compact audit record (DESIGN §1): no content text and no user id.
#[derive(Debug, Serialize, Deserialize)]
pub struct AuditRecord {
    /// The event id (`null` when a dead letter had none).
    pub event_id: Option<String>,
    /// `approve`, `hold`, `reject` or `dead_letter`.
    pub decision: String,
    /// Reason codes (for dead letters: the dead-letter reason).
    pub reasons: Vec<String>,
    /// Pipeline name.
    pub pipeline: String,
    /// Pipeline version.
    pub pipeline_version: String,
    /// Lexicon version.
    pub lexicon_version: String,
    /// Producer timestamp of the input record, ms since the Unix epoch, when known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source_timestamp_ms: Option<i64>,
    /// RFC 3339 UTC time of the review.
    pub reviewed_at: String,
    /// Input coordinates `topic/partition/offset`, when read from Kafka.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source: Option<String>,
    /// The worker instance (`hostname:pid`).
    pub worker_id: String,
}

/// Combines reasons into a decision: any `reject` → reject, else any `hold` → hold, else approve.
pub fn combine(reasons: &[Reason]) -> Decision {
    reasons
        .iter()
        .map(|r| r.action.decision())
        .max()
        .unwrap_or(Decision::Approve)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(action: Action) -> Reason {
        Reason {
            stage: StageKind::Identity,
            code: ReasonCode::IdentityUnverified,
            category: None,
            action,
            article: "Art. 9".into(),
            evidence: None,
            detail: None,
            refutation: None,
        }
    }

    #[test]
    fn combination_takes_the_most_severe_action() {
        assert_eq!(combine(&[]), Decision::Approve);
        assert_eq!(combine(&[reason(Action::Hold)]), Decision::Hold);
        assert_eq!(
            combine(&[
                reason(Action::Hold),
                reason(Action::Reject),
                reason(Action::Hold)
            ]),
            Decision::Reject
        );
    }

    #[test]
    fn reason_code_names_round_trip_through_serde() {
        for code in ReasonCode::ALL {
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: ReasonCode = serde_json::from_str(&json).unwrap();
            assert_eq!(back, *code);
        }
        for kind in StageKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }

    #[test]
    fn publish_actions_serialize_with_kind_tag() {
        let a = PublishAction::AddLabel {
            text: "AI生成".into(),
        };
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"kind":"add_label","text":"AI生成"}"#
        );
    }
}
