//! Review stages (DESIGN §4): one module per stage, each behind the small [`Stage`] trait.
//!
//! A stage is synchronous and pure: it reads a [`PublishEvent`] and appends [`Finding`]s and
//! [`PublishAction`]s. It never decides; the [`Engine`](crate::engine::Engine) applies the
//! pipeline's policy to each finding's action and combines them (Reject > Hold > Approve).
//!
//! Each stage module owns everything about its stage: its reason codes (a `reason_codes!` table),
//! its config type and constructor ([`BuildStage`]) and its review ([`Stage`]). The `stages!`
//! list below registers the modules: it makes their [`StageKind`]s (named after the module),
//! gathers their codes into [`ReasonCode::ALL`] and builds a stage from its `[[stages]]` table.
//! Adding a stage is a new module plus its line in that list (`docs/DESIGN.md`, "Adding a stage").

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;
use crate::decision::{concat_codes, Action, Evidence, PublishAction, ReasonCode};
use crate::event::PublishEvent;

pub mod build;

pub mod biometric_consent;
pub mod identity;
pub mod labels;
pub mod news_source;
pub mod prohibited;
pub mod reprint_source;

pub use build::{BuildStage, DataFile, StageContext};

/// Registers the stage modules: `module::StageType,` in the order of [`StageKind::ALL`] (the
/// order of metric pre-registration, not the order stages run in: that is the pipeline's).
macro_rules! stages {
    ($($module:ident :: $stage:ident),+ $(,)?) => {
        /// Stage kinds (DESIGN §4), one per registered stage. The names — the stage modules'
        /// names — are part of the contract and the `stage` metric label.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum StageKind {
            $(
                #[doc = concat!("The [`", stringify!($module), "`] stage.")]
                $stage,
            )+
        }

        impl StageKind {
            /// Every stage kind, in registration order.
            pub const ALL: [StageKind; [$(stringify!($module)),+].len()] = [$(StageKind::$stage),+];

            /// The snake_case contract name (the stage module's name), e.g. `news_source`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(StageKind::$stage => stringify!($module),)+
                }
            }
        }

        /// Every registered stage kind with the reason codes its module declares.
        #[cfg(test)]
        const CODES_BY_STAGE: [(StageKind, &[ReasonCode]); StageKind::ALL.len()] =
            [$((StageKind::$stage, $module::REASON_CODES)),+];

        const ALL_CODES: [ReasonCode; 0 $(+ $module::REASON_CODES.len())+] =
            concat_codes(&[$($module::REASON_CODES),+]);

        /// Builds the stage of `ctx`'s table: reads its settings into the stage's config type
        /// and calls its constructor.
        ///
        /// # Errors
        /// The [`ConfigError`] of the settings or of the constructor.
        pub(crate) fn build(ctx: &mut StageContext<'_>) -> Result<Box<dyn Stage>, ConfigError> {
            match ctx.table().kind() {
                $(StageKind::$stage => build::build_stage::<$module::$stage>(ctx),)+
            }
        }
    };
}

stages! {
    identity::Identity,
    prohibited::Prohibited,
    news_source::NewsSource,
    reprint_source::ReprintSource,
    labels::Labels,
    biometric_consent::BiometricConsent,
}

impl ReasonCode {
    /// Every reason code of every registered stage, in registration order, for metrics
    /// pre-registration and documentation.
    pub const ALL: &'static [ReasonCode] = &ALL_CODES;
}

impl StageKind {
    /// The stage kind with this contract name, if one is registered.
    pub fn from_name(name: &str) -> Option<StageKind> {
        StageKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl Serialize for StageKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for StageKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        StageKind::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown stage kind `{name}`")))
    }
}

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
    /// The rumour-library entry of a `known_false_news` finding.
    pub refutation: Option<crate::decision::Refutation>,
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
            refutation: None,
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
    /// Feature-library terms this stage matches (reject and hold rows), for the
    /// `synth_review_lexicon_terms` gauge; 0 for stages without a lexicon.
    fn lexicon_terms(&self) -> usize {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_declares_codes_of_its_own_stage_with_unique_names() {
        for (kind, codes) in CODES_BY_STAGE {
            assert!(!codes.is_empty(), "{kind:?} declares no reason code");
            for code in codes {
                assert_eq!(code.stage(), kind, "{code:?} is declared by {kind:?}");
            }
        }
        let mut names: Vec<&str> = ReasonCode::ALL.iter().map(|c| c.as_str()).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "reason code names are unique");
        assert_eq!(n, 13);
        for kind in StageKind::ALL {
            assert_eq!(StageKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(StageKind::from_name("teleport"), None);
    }
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
