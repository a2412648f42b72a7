//! One `[[stages]]` table as written: its kind, its `[stages.actions]` overrides and the rest of
//! its keys, which the stage's own config type reads ([`StageTable::settings`]) — with the
//! positions of everything, so that each error names the pipeline line it is about.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::de::{DeserializeOwned, IntoDeserializer};
use toml_edit::{Item, Value};

use super::{line_of, ConfigError, ConfigErrorKind};
use crate::decision::{Action, ReasonCode, StageKind};

/// The pipeline file a table came from: its name in messages and its text, for line numbers.
pub(crate) struct Origin {
    /// The path as shown in messages.
    pub(crate) path: String,
    /// The whole file.
    pub(crate) text: String,
}

impl std::fmt::Debug for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Origin")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Origin {
    /// The 1-based line of a byte offset.
    pub(crate) fn line(&self, byte: usize) -> u64 {
        line_of(&self.text, byte)
    }

    /// An error of `kind` at the line of `span`, else at `fallback` (a line), else about the file.
    pub(crate) fn error(
        &self,
        kind: ConfigErrorKind,
        span: Option<std::ops::Range<usize>>,
        fallback: Option<u64>,
        message: impl Into<String>,
    ) -> ConfigError {
        match span.map(|s| self.line(s.start)).or(fallback) {
            Some(line) => ConfigError::at_line(kind, &self.path, line, message),
            None => ConfigError::new(kind, &self.path, message),
        }
    }

    /// A serde error of the TOML deserializer, at its own line when it has one.
    pub(crate) fn de_error(&self, e: toml_edit::de::Error, fallback: Option<u64>) -> ConfigError {
        let message = e.message().trim().to_string();
        let kind = if message.starts_with("unknown field") {
            ConfigErrorKind::UnknownKey
        } else if message.starts_with("missing field") {
            ConfigErrorKind::MissingKey
        } else {
            ConfigErrorKind::InvalidValue
        };
        self.error(kind, e.span(), fallback, message)
    }
}

/// One `[[stages]]` entry: `kind` selects the stage (DESIGN §4); every stage takes an optional
/// `[stages.actions]` table overriding the default action per reason code; the other keys belong
/// to the stage (its config type, see [`crate::stages::BuildStage`]).
#[derive(Debug, Clone)]
pub struct StageTable {
    kind: StageKind,
    line: u64,
    actions: BTreeMap<ReasonCode, Action>,
    settings: toml_edit::Table,
    origin: Arc<Origin>,
}

impl StageTable {
    /// Reads one `[[stages]]` table starting at `line`: `kind` and `actions` are checked here, the
    /// other keys are kept for the stage.
    ///
    /// # Errors
    /// A missing, non-string or unknown `kind`; an unknown reason code, a code of another stage or
    /// a bad action in `actions` — each at its own line.
    pub(crate) fn parse(
        mut table: toml_edit::Table,
        line: u64,
        origin: Arc<Origin>,
    ) -> Result<StageTable, ConfigError> {
        let kind = match table.get("kind") {
            None => {
                return Err(origin.error(
                    ConfigErrorKind::MissingKey,
                    None,
                    Some(line),
                    "missing field `kind`",
                ))
            }
            Some(item) => {
                let name = item.as_str().ok_or_else(|| {
                    origin.error(
                        ConfigErrorKind::InvalidValue,
                        item.span(),
                        Some(line),
                        "`kind` must be a string naming a stage",
                    )
                })?;
                StageKind::from_name(name).ok_or_else(|| {
                    let all: Vec<String> = StageKind::ALL
                        .iter()
                        .map(|k| format!("`{}`", k.as_str()))
                        .collect();
                    origin.error(
                        ConfigErrorKind::InvalidValue,
                        item.span(),
                        Some(line),
                        format!(
                            "unknown stage kind `{name}`, expected one of {}",
                            all.join(", ")
                        ),
                    )
                })?
            }
        };
        let mut actions = BTreeMap::new();
        if let Some(item) = table.get("actions") {
            let overrides = item.as_table_like().ok_or_else(|| {
                origin.error(
                    ConfigErrorKind::InvalidValue,
                    item.span(),
                    Some(line),
                    "`actions` must be a table of `reason_code = \"hold\" | \"reject\"`",
                )
            })?;
            for (name, value) in overrides.iter() {
                let key_span = overrides.key(name).and_then(|k| k.span());
                let code = ReasonCode::from_name(name).ok_or_else(|| {
                    origin.error(
                        ConfigErrorKind::UnknownKey,
                        key_span.clone(),
                        Some(line),
                        crate::decision::unknown_code(name),
                    )
                })?;
                if code.stage() != kind {
                    return Err(origin.error(
                        ConfigErrorKind::InvalidValue,
                        key_span,
                        Some(line),
                        format!(
                            "stage `{}` does not emit `{}` (it comes from stage `{}`)",
                            kind.as_str(),
                            code.as_str(),
                            code.stage().as_str()
                        ),
                    ));
                }
                let action = match value.as_value() {
                    Some(v) => serde::Deserialize::deserialize(v.clone().into_deserializer())
                        .map_err(|e| {
                            origin.de_error(e, value.span().map(|s| origin.line(s.start)))
                        }),
                    None => Err(origin.error(
                        ConfigErrorKind::InvalidValue,
                        key_span,
                        Some(line),
                        format!("`{name}` must be \"hold\" or \"reject\""),
                    )),
                }?;
                actions.insert(code, action);
            }
        }
        table.remove("kind");
        table.remove("actions");
        Ok(StageTable {
            kind,
            line,
            actions,
            settings: table,
            origin,
        })
    }

    /// The stage kind.
    pub fn kind(&self) -> StageKind {
        self.kind
    }

    /// The 1-based line of the table's `[[stages]]` header.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The per-code overrides of `[stages.actions]`.
    pub fn actions(&self) -> &BTreeMap<ReasonCode, Action> {
        &self.actions
    }

    /// The pipeline file, as shown in messages.
    pub fn pipeline(&self) -> &str {
        &self.origin.path
    }

    /// Reads the stage's own keys (all but `kind` and `actions`) into its config type `C`
    /// (serde, `deny_unknown_fields`).
    ///
    /// # Errors
    /// A misspelt key, a value of the wrong type or a missing key, at the line of the key or value
    /// concerned (a missing key: at the `[[stages]]` line).
    pub fn settings<C: DeserializeOwned>(&self) -> Result<C, ConfigError> {
        let value = Value::InlineTable(self.settings.clone().into_inline_table());
        C::deserialize(value.into_deserializer())
            .map_err(|e| self.origin.de_error(e, Some(self.line)))
    }

    /// The line where `key` is written in this table (the `[[stages]]` line if it is not).
    pub fn key_line(&self, key: &str) -> u64 {
        self.settings
            .key(key)
            .and_then(|k| k.span())
            .map_or(self.line, |s| self.origin.line(s.start))
    }

    /// The line where the string `value` is written in this table, searching arrays too (the
    /// `[[stages]]` line if it is not): where a data file is named.
    pub fn value_line(&self, value: &str) -> u64 {
        fn find(v: &Value, want: &str) -> Option<std::ops::Range<usize>> {
            match v {
                Value::String(s) if s.value() == want => s.span(),
                Value::Array(a) => a.iter().find_map(|v| find(v, want)),
                Value::InlineTable(t) => t.iter().find_map(|(_, v)| find(v, want)),
                _ => None,
            }
        }
        self.settings
            .iter()
            .find_map(|(_, item)| match item {
                Item::Value(v) => find(v, value),
                _ => None,
            })
            .map_or(self.line, |s| self.origin.line(s.start))
    }

    /// An error of `kind` at the line of `key` (see [`StageTable::key_line`]).
    pub fn error_at(
        &self,
        kind: ConfigErrorKind,
        key: &str,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::at_line(kind, &self.origin.path, self.key_line(key), message)
    }
}
