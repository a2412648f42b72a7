//! `news_source` stage (Art. 6(2), Art. 11). PLACEHOLDER: the rules of DESIGN §4 are being implemented.

use std::sync::Arc;

use super::{Stage, StageOutput};
use crate::decision::StageKind;
use crate::event::PublishEvent;
use crate::news_sources::NewsSources;
use crate::rumours::RumourLibrary;

/// News source checks.
pub struct NewsSource {
    #[allow(dead_code)]
    sources: Arc<NewsSources>,
    #[allow(dead_code)]
    rumours: Arc<RumourLibrary>,
}

impl NewsSource {
    /// A stage over a loaded source list and rumour library.
    pub fn new(sources: Arc<NewsSources>, rumours: Arc<RumourLibrary>) -> Self {
        NewsSource { sources, rumours }
    }
}

impl Stage for NewsSource {
    fn kind(&self) -> StageKind {
        StageKind::NewsSource
    }
    fn review(&self, _event: &PublishEvent, _out: &mut StageOutput) {}
}
