//! TEMPORARY stub; replaced by the real matcher.
#![allow(missing_docs)]
use crate::normalize::Normalizer;
use std::sync::Arc;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermAction {
    Reject,
    Hold,
    Allow,
}
#[derive(Debug, Clone)]
pub struct LexiconEntry {
    pub term: String,
    pub category: String,
    pub action: TermAction,
    pub source: String,
}
pub struct Hit {
    pub start: usize,
    pub end: usize,
    pub matched: String,
    pub term: String,
    pub category: String,
    pub action: TermAction,
}
#[derive(Debug, thiserror::Error)]
pub enum MatcherError {
    #[error("x")]
    X,
}
pub struct Matcher {
    entries: Vec<LexiconEntry>,
}
impl Matcher {
    pub fn new(_n: Arc<Normalizer>, entries: Vec<LexiconEntry>) -> Result<Self, MatcherError> {
        Ok(Matcher { entries })
    }
    pub fn find(&self, text: &str) -> Vec<Hit> {
        let mut out = Vec::new();
        for e in &self.entries {
            if e.action != TermAction::Allow {
                if let Some(b) = text.find(&e.term) {
                    let start = text[..b].chars().count();
                    let n = e.term.chars().count();
                    out.push(Hit {
                        start,
                        end: start + n,
                        matched: e.term.clone(),
                        term: e.term.clone(),
                        category: e.category.clone(),
                        action: e.action,
                    });
                }
            }
        }
        out
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}
