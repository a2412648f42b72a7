//! Review stages (DESIGN §4): one module per stage, each behind the small [`Stage`] trait.
//!
//! A stage is synchronous and pure: it reads a [`PublishEvent`] and appends [`Finding`]s and
//! [`PublishAction`]s. It never decides; the [`Engine`](crate::engine::Engine) applies the
//! pipeline's policy to each finding's action and combines them (Reject > Hold > Approve).

use crate::decision::{Action, Evidence, PublishAction, ReasonCode, StageKind};
use crate::event::PublishEvent;

pub mod biometric_consent;
pub mod identity;
pub mod labels;
pub mod news_source;
pub mod prohibited;
pub mod reprint_source;

/// One thing a stage found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The reason code.
    pub code: ReasonCode,
    /// The action the stage proposes (usually `code.default_action()`; for lexicon hits, the
    /// term's action). A pipeline's `[stages.actions]` entry for the code replaces it.
    pub action: Action,
    /// Lexicon category, for `prohibited_term`.
    pub category: Option<String>,
    /// Where it was found.
    pub evidence: Option<Evidence>,
    /// A short explanation for the moderator.
    pub detail: Option<String>,
}

impl Finding {
    /// A finding with the code's default action and nothing else.
    pub fn new(code: ReasonCode) -> Self {
        Finding {
            code,
            action: code.default_action(),
            category: None,
            evidence: None,
            detail: None,
        }
    }

    /// Adds a detail text.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds evidence.
    pub fn evidence(mut self, evidence: Evidence) -> Self {
        self.evidence = Some(evidence);
        self
    }
}

/// What a stage appends to.
#[derive(Debug, Default)]
pub struct StageOutput {
    /// Findings, in the order found.
    pub findings: Vec<Finding>,
    /// Actions the platform must take on publication.
    pub actions: Vec<PublishAction>,
}

/// A review stage.
pub trait Stage: Send + Sync {
    /// The stage kind: the `stage` of its reasons and the `stage` metric label.
    fn kind(&self) -> StageKind;
    /// Reviews one event. Must not panic on any event that parsed.
    fn review(&self, event: &PublishEvent, out: &mut StageOutput);
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::event::{parse_event, Limits, PublishEvent};

    /// Builds an event from a JSON object literal merged over a valid base event.
    pub fn event(patch: serde_json::Value) -> PublishEvent {
        let mut base = serde_json::json!({
            "event_id": "t-1",
            "user": {"id": "u-1", "identity_verified": true},
            "content": {"kind": "text", "text": ""},
            "synthesis": {"technique": "text_generation"}
        });
        merge(&mut base, patch);
        parse_event(base.to_string().as_bytes(), &Limits::default())
            .expect("test event must parse")
            .event
    }

    fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
        match (base, patch) {
            (serde_json::Value::Object(b), serde_json::Value::Object(p)) => {
                for (k, v) in p {
                    merge(b.entry(k).or_insert(serde_json::Value::Null), v);
                }
            }
            (b, p) => *b = p,
        }
    }
}
