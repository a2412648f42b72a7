//! `labels` stage (Art. 16–18; labelling measures Art. 6; GB 45438-2025). PLACEHOLDER: the rules
//! of DESIGN §4 are being implemented.

use super::{Stage, StageOutput};
use crate::decision::StageKind;
use crate::event::PublishEvent;

/// AI-label checks.
#[derive(Debug, Default, Clone)]
pub struct Labels;

impl Stage for Labels {
    fn kind(&self) -> StageKind {
        StageKind::Labels
    }
    fn review(&self, _event: &PublishEvent, _out: &mut StageOutput) {}
}
