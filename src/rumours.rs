//! Known-rumour library (Art. 11): CSV `claim,refuted_by[,refuted_at]`. PLACEHOLDER: near-duplicate
//! matching is being implemented.

use crate::config::ConfigError;

/// Default similarity threshold.
pub const DEFAULT_THRESHOLD: f64 = 0.6;

/// The loaded library.
#[derive(Debug, Default, Clone)]
pub struct RumourLibrary {
    threshold: f64,
}

impl RumourLibrary {
    /// An empty library (no rumours configured).
    pub fn empty() -> Self {
        RumourLibrary {
            threshold: DEFAULT_THRESHOLD,
        }
    }

    /// Parses a rumour CSV.
    ///
    /// # Errors
    /// `file:line: reason`.
    pub fn parse(_file: &str, _bytes: &[u8], threshold: Option<f64>) -> Result<Self, ConfigError> {
        Ok(RumourLibrary {
            threshold: threshold.unwrap_or(DEFAULT_THRESHOLD),
        })
    }

    /// The threshold in use.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }
}
