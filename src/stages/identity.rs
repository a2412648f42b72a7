//! `identity` stage (Art. 9): a platform must verify a user's real identity — by mobile number,
//! ID card number, unified social credit code or the national network identity service — before
//! providing any information-publishing service.

use serde::Deserialize;

use super::{BuildStage, Finding, Stage, StageContext, StageOutput};
use crate::config::ConfigError;
use crate::decision::{reason_codes, Evidence, ReasonCode, StageKind};
use crate::event::PublishEvent;

reason_codes! {
    /// `user.identity_verified` is not true.
    IdentityUnverified = "identity_unverified", Identity, Reject, "Art. 9";
}

/// `[[stages]] kind = "identity"`: no settings besides `actions`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {}

/// Rejects events whose `user.identity_verified` is not true (`identity_unverified`, Art. 9).
#[derive(Debug, Default, Clone, Copy)]
pub struct Identity;

impl BuildStage for Identity {
    type Config = IdentityConfig;

    fn build(_: IdentityConfig, _: &mut StageContext<'_>) -> Result<Self, ConfigError> {
        Ok(Identity)
    }
}

impl Stage for Identity {
    fn kind(&self) -> StageKind {
        StageKind::Identity
    }

    fn review(&self, event: &PublishEvent, out: &mut StageOutput) {
        if !event.user.identity_verified {
            out.findings.push(
                Finding::new(ReasonCode::IdentityUnverified)
                    .detail("the publishing user has not passed real-identity verification")
                    .evidence(Evidence {
                        field: "user.identity_verified".into(),
                        start: None,
                        end: None,
                        matched: Some("false".into()),
                        term: None,
                    }),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::test_support::event;
    use serde_json::json;

    #[test]
    fn table() {
        let cases = [
            (
                "verified",
                json!({"user": {"identity_verified": true}}),
                false,
            ),
            (
                "verified with method",
                json!({"user": {"identity_verified": true, "verification_method": "id_card"}}),
                false,
            ),
            (
                "unverified",
                json!({"user": {"identity_verified": false}}),
                true,
            ),
            (
                "unverified despite method",
                json!({"user": {"identity_verified": false, "verification_method": "mobile"}}),
                true,
            ),
        ];
        for (name, patch, flagged) in cases {
            let mut out = StageOutput::default();
            Identity.review(&event(patch), &mut out);
            assert_eq!(!out.findings.is_empty(), flagged, "{name}");
            if flagged {
                assert_eq!(out.findings[0].code, ReasonCode::IdentityUnverified);
            }
        }
    }
}
