//! `biometric_consent` stage (Art. 14). PLACEHOLDER: the rule of DESIGN §4 is being implemented.

use super::{Stage, StageOutput};
use crate::decision::StageKind;
use crate::event::PublishEvent;

/// Biometric editing consent check.
#[derive(Debug, Default, Clone, Copy)]
pub struct BiometricConsent;

impl Stage for BiometricConsent {
    fn kind(&self) -> StageKind {
        StageKind::BiometricConsent
    }
    fn review(&self, _event: &PublishEvent, _out: &mut StageOutput) {}
}
