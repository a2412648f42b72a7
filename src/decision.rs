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

/// Stage kinds (DESIGN §4); the names are part of the contract and the `stage` metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// Real-identity check (Art. 9).
    Identity,
    /// Feature-library (lexicon) matching (Art. 6(1), Art. 10).
    Prohibited,
    /// News source checks (Art. 6(2), Art. 11).
    NewsSource,
    /// Reprint source validation (Art. 6(2)).
    ReprintSource,
    /// AI labels (Art. 16–18; labelling measures Art. 6; GB 45438-2025).
    Labels,
    /// Biometric editing consent (Art. 14).
    BiometricConsent,
}

impl StageKind {
    /// Every stage kind.
    pub const ALL: [StageKind; 6] = [
        StageKind::Identity,
        StageKind::Prohibited,
        StageKind::NewsSource,
        StageKind::ReprintSource,
        StageKind::Labels,
        StageKind::BiometricConsent,
    ];

    /// The snake_case contract name.
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Identity => "identity",
            StageKind::Prohibited => "prohibited",
            StageKind::NewsSource => "news_source",
            StageKind::ReprintSource => "reprint_source",
            StageKind::Labels => "labels",
            StageKind::BiometricConsent => "biometric_consent",
        }
    }
}

macro_rules! reason_codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $stage:ident, $action:ident, $article:literal; )*) => {
        /// Every reason code of DESIGN §4, with the stage that emits it, its default action and
        /// the provision it enforces. Pipeline files name codes by their snake_case string.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ReasonCode { $( $(#[$doc])* $variant, )* }

        impl ReasonCode {
            /// Every code, for metrics pre-registration and documentation.
            pub const ALL: &'static [ReasonCode] = &[ $( ReasonCode::$variant, )* ];

            /// The snake_case contract name, e.g. `prohibited_term`.
            pub fn as_str(self) -> &'static str {
                match self { $( ReasonCode::$variant => $name, )* }
            }
            /// The stage kind that emits this code.
            pub fn stage(self) -> StageKind {
                match self { $( ReasonCode::$variant => StageKind::$stage, )* }
            }
            /// The default action (DESIGN §4); a pipeline may override it per code.
            pub fn default_action(self) -> Action {
                match self { $( ReasonCode::$variant => Action::$action, )* }
            }
            /// The article cited in the decision record.
            pub fn article(self) -> &'static str {
                match self { $( ReasonCode::$variant => $article, )* }
            }
        }
    };
}

reason_codes! {
    /// `user.identity_verified` is not true.
    IdentityUnverified = "identity_unverified", Identity, Reject, "Art. 9";
    /// A feature-library term was found; the action comes from the lexicon row.
    ProhibitedTerm = "prohibited_term", Prohibited, Hold, "Art. 10";
    /// News-like content whose source is not a listed news unit.
    NewsSourceUnverified = "news_source_unverified", NewsSource, Hold, "Art. 6(2)";
    /// Text attributes itself to a listed unit other than the event's source.
    NewsAttributionMismatch = "news_attribution_mismatch", NewsSource, Hold, "Art. 6(2)";
    /// Text matches a known refuted rumour.
    KnownFalseNews = "known_false_news", NewsSource, Reject, "Art. 11";
    /// A reprint with no source.
    ReprintSourceMissing = "reprint_source_missing", ReprintSource, Reject, "Art. 6(2)";
    /// A reprint whose source is not on the news-source list.
    ReprintSourceUnlicensed = "reprint_source_unlicensed", ReprintSource, Reject, "Art. 6(2)";
    /// Source name and source domain name different units.
    ReprintSourceMismatch = "reprint_source_mismatch", ReprintSource, Hold, "Art. 6(2)";
    /// An Art. 17(1) technique with neither a conforming label, implicit metadata nor a user declaration.
    LabelMissing = "label_missing", Labels, Hold, "Art. 17";
    /// `AIGC` implicit-label metadata that cannot be read.
    LabelMetadataInvalid = "label_metadata_invalid", Labels, Hold, "Art. 16";
    /// Explicit label wording lacks the AI or the generation element (GB 45438-2025).
    LabelNonconforming = "label_nonconforming", Labels, Hold, "Art. 17";
    /// Explicit label denies synthesis while metadata or technique says synthesized.
    LabelTampered = "label_tampered", Labels, Reject, "Art. 18";
    /// Face or voice editing of a real person without consent.
    BiometricConsentMissing = "biometric_consent_missing", BiometricConsent, Hold, "Art. 14";
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
    /// The original event, byte for byte.
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
