//! [`ConfigError`]: what is wrong with a configuration, and where.

use std::fmt;

/// What kind of problem a [`ConfigError`] reports. Callers may branch on it (e.g. a reload that
/// failed on a data file); users read the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigErrorKind {
    /// A file cannot be read (missing, unreadable) — the pipeline file or a data file it names.
    Io,
    /// The pipeline file is not valid UTF-8 or not valid TOML.
    Syntax,
    /// A key that its table does not have: a misspelt setting, an unknown reason code in
    /// `[stages.actions]`.
    UnknownKey,
    /// A required key is missing, e.g. `[pipeline] name` or a stage's `lexicons`.
    MissingKey,
    /// A value of the wrong type or outside its range, an unknown stage kind or action, a stage
    /// listed twice, a reason code in a stage that does not emit it, clashing topic names.
    InvalidValue,
    /// A data file (lexicon, news-source list, aliases, rumours) has a wrong row or header.
    DataFile,
    /// A librdkafka option that librdkafka refuses or that the worker sets itself, in
    /// `[kafka.options]` or a `SYNTH_REVIEW_LIBRDKAFKA_*` variable.
    KafkaOption,
}

/// A configuration error: `location` is `file`, `file:line`, or `environment variable NAME`.
/// Displayed as `location: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ConfigError {
    /// What kind of problem it is.
    pub kind: ConfigErrorKind,
    /// `path`, `path:line` or `environment variable NAME`.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    /// An error of `kind` at `location` (`path`, `path:line`, …).
    pub fn new(
        kind: ConfigErrorKind,
        location: impl fmt::Display,
        message: impl Into<String>,
    ) -> Self {
        ConfigError {
            kind,
            location: location.to_string(),
            message: message.into(),
        }
    }
    /// An error of `kind` at a 1-based line of a file.
    pub fn at_line(
        kind: ConfigErrorKind,
        path: impl fmt::Display,
        line: u64,
        message: impl Into<String>,
    ) -> Self {
        ConfigError::new(kind, format!("{path}:{line}"), message)
    }
    /// An error about a whole data file ([`ConfigErrorKind::DataFile`]).
    pub fn file(path: impl fmt::Display, message: impl Into<String>) -> Self {
        ConfigError::new(ConfigErrorKind::DataFile, path, message)
    }
    /// An error at a 1-based line of a data file ([`ConfigErrorKind::DataFile`]).
    pub fn line(path: impl fmt::Display, line: u64, message: impl Into<String>) -> Self {
        ConfigError::at_line(ConfigErrorKind::DataFile, path, line, message)
    }
}
