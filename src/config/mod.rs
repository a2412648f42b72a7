//! Pipeline files (DESIGN §5): what a pipeline file says and how it is checked.
//!
//! A pipeline is a TOML file with `[pipeline]`, optional `[kafka]`, `[topics]` and `[limits]`
//! sections, and an ordered `[[stages]]` list. Relative data paths resolve against the pipeline
//! file's folder. Kafka connection settings can be overridden by `SYNTH_REVIEW_*` environment
//! variables (see [`KafkaConfig::apply_env`]) so that secrets never live in the file.
//!
//! [`parse_pipeline`] reads the file's text with the positions of every key and value, so that
//! every error names its file and line, `file:line: reason`: a misspelt key or a bad value at its
//! own line, a `[kafka.options]` key that librdkafka refuses at the key. Each stage's own keys are
//! read by the stage's config type ([`StageTable::settings`]) when the stage is built; the whole
//! of loading — file, environment, data files — is [`crate::engine::load`].
//!
//! Submodules: [`error`] ([`ConfigError`]), [`files`] (where files are read from: [`Disk`],
//! [`Embedded`]), [`kafka`] (`[kafka]`, the librdkafka options and their environment overrides),
//! [`topics`] (`[topics]`), [`stage_table`] (one `[[stages]]` table).

pub mod console;
pub mod error;
pub mod files;
pub mod kafka;
pub mod stage_table;
pub mod topics;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::de::IntoDeserializer;
use serde::Deserialize;
use toml_edit::{Item, Table, TableLike, Value};

pub use self::error::{ConfigError, ConfigErrorKind};
pub use self::files::{
    normalize_path, read_regular_file, Disk, Embedded, FileSource, MAX_FILE_BYTES,
};
pub use self::kafka::{
    check_option, Delivery, KafkaConfig, OptionError, MAX_EVENT_BYTES, RESERVED_KAFKA_KEYS,
};
use self::stage_table::Origin;
pub use self::stage_table::StageTable;
pub use self::topics::Topics;
use crate::event::Limits;

/// The whole pipeline file, as written.
#[derive(Debug, Clone)]
pub struct PipelineFile {
    /// Name and version.
    pub pipeline: PipelineMeta,
    /// Kafka client settings (optional; defaults suit a local broker).
    pub kafka: KafkaConfig,
    /// Topic names (optional; defaults from DESIGN §1).
    pub topics: Topics,
    /// Input limits (optional; defaults from DESIGN §2).
    pub limits: Limits,
    /// The review stages, run in this order.
    pub stages: Vec<StageTable>,
}

/// `[pipeline]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineMeta {
    /// Pipeline name, written into every decision record (`pipeline`).
    pub name: String,
    /// Version string written into every decision record; when absent, a digest of the file.
    #[serde(default)]
    pub version: Option<String>,
    /// Free text for humans.
    #[serde(default)]
    pub description: Option<String>,
}

/// Every section but `[[stages]]`, which is read table by table ([`StageTable`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sections {
    pipeline: PipelineMeta,
    #[serde(default)]
    kafka: KafkaConfig,
    #[serde(default)]
    topics: Topics,
    #[serde(default)]
    limits: Limits,
}

/// A setting that a section's own check refused: the key, to find its line, and why.
#[derive(Debug)]
pub(crate) struct Invalid {
    key: &'static str,
    message: String,
}

impl Invalid {
    pub(crate) fn new(key: &'static str, message: impl Into<String>) -> Self {
        Invalid {
            key,
            message: message.into(),
        }
    }
}

/// 1-based line of a byte offset in `text`.
pub fn line_of(text: &str, byte: usize) -> u64 {
    text.as_bytes()[..byte.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
        + 1
}

/// Parses a TOML file's `text` with the positions of its keys and values, for `file:line`
/// errors (the pipeline file, the console file).
fn parse_toml<'t>(
    path: &Path,
    text: &'t str,
) -> Result<(Arc<Origin>, toml_edit::ImDocument<&'t str>), ConfigError> {
    let origin = Arc::new(Origin {
        path: path.display().to_string(),
        text: text.to_string(),
    });
    let doc = toml_edit::ImDocument::parse(text).map_err(|e| {
        origin.error(
            ConfigErrorKind::Syntax,
            e.span(),
            Some(1),
            e.message().trim().to_string(),
        )
    })?;
    Ok((origin, doc))
}

/// Checks every `[kafka.options]` key of `root` with librdkafka ([`check_option`]), at its line.
fn check_kafka_options(
    origin: &Origin,
    root: &Table,
    kafka: &KafkaConfig,
) -> Result<(), ConfigError> {
    let Some(options) = table_at(root, &["kafka", "options"]) else {
        return Ok(());
    };
    for (key, _) in options.iter() {
        let value = kafka.options.get(key).map_or("", String::as_str);
        check_option(key, value).map_err(|e| {
            origin.error(
                ConfigErrorKind::KafkaOption,
                options.key(key).and_then(|k| k.span()),
                None,
                format!("[kafka.options] {e}"),
            )
        })?;
    }
    Ok(())
}

/// The table at `path` below `root` (e.g. `["kafka", "options"]`), if it is written.
fn table_at<'a>(root: &'a Table, path: &[&str]) -> Option<&'a dyn TableLike> {
    let mut t: &dyn TableLike = root;
    for key in path {
        t = t.get(key)?.as_table_like()?;
    }
    Some(t)
}

/// The span of `key` in the table at `path`, if it is written.
fn key_span(root: &Table, path: &[&str], key: &str) -> Option<std::ops::Range<usize>> {
    table_at(root, path)?.key(key)?.span()
}

/// Parses and validates a pipeline file's text (no data files are read here; each stage's own
/// keys are read when the stage is built, see [`StageTable::settings`]).
///
/// # Errors
/// `path:line: reason` at the line concerned: TOML syntax ([`ConfigErrorKind::Syntax`]), unknown
/// keys, missing keys, values of the wrong type or range, unknown stage kinds, reason codes or
/// actions, a code that the stage does not emit, a stage listed twice, a `[kafka.options]` key
/// that is reserved or that librdkafka refuses ([`ConfigErrorKind::KafkaOption`]), clashing topic
/// names; `path: reason` for an empty stage list or a missing section.
pub fn parse_pipeline(path: &Path, text: &str) -> Result<PipelineFile, ConfigError> {
    let (origin, doc) = parse_toml(path, text)?;
    let root = doc.as_table();
    let mut sections = root.clone();
    let stages = sections.remove("stages");
    let sections =
        Sections::deserialize(Value::InlineTable(sections.into_inline_table()).into_deserializer())
            .map_err(|e| origin.de_error(e, None))?;
    let invalid_at = |section: &[&str], key: &str, message: String| {
        origin.error(
            ConfigErrorKind::InvalidValue,
            key_span(root, section, key),
            None,
            message,
        )
    };

    if sections.pipeline.name.trim().is_empty() {
        return Err(invalid_at(
            &["pipeline"],
            "name",
            "[pipeline] name must not be empty".into(),
        ));
    }
    // The version goes into every record (`pipeline_version`): blank names no version.
    if sections
        .pipeline
        .version
        .as_deref()
        .is_some_and(|v| v.trim().is_empty())
    {
        return Err(invalid_at(
            &["pipeline"],
            "version",
            "[pipeline] version must not be empty".into(),
        ));
    }
    check_kafka_options(&origin, root, &sections.kafka)?;
    sections
        .kafka
        .check()
        .map_err(|e| invalid_at(&["kafka"], e.key, e.message))?;
    let l = &sections.limits;
    let zero = [
        ("max_event_bytes", l.max_event_bytes),
        ("max_text_chars", l.max_text_chars),
        ("max_event_id_bytes", l.max_event_id_bytes),
    ]
    .into_iter()
    .find(|(_, v)| *v == 0);
    if let Some((key, _)) = zero {
        return Err(invalid_at(
            &["limits"],
            key,
            "[limits] values must be greater than zero".into(),
        ));
    }
    if l.max_event_bytes > MAX_EVENT_BYTES {
        return Err(invalid_at(
            &["limits"],
            "max_event_bytes",
            format!("[limits] max_event_bytes must be at most {MAX_EVENT_BYTES} (the producer's message.max.bytes, 2 × max_event_bytes + 1 MiB, must stay within librdkafka's 1000000000)"),
        ));
    }
    sections
        .topics
        .check()
        .map_err(|e| invalid_at(&["topics"], e.key, e.message))?;

    let tables: Vec<(Table, Option<std::ops::Range<usize>>)> = match stages {
        None => Vec::new(),
        Some(Item::ArrayOfTables(list)) => list
            .into_iter()
            .map(|t| {
                let span = t.span();
                (t, span)
            })
            .collect(),
        Some(Item::Value(Value::Array(list))) => list
            .into_iter()
            .map(|v| match v {
                Value::InlineTable(t) => {
                    let span = t.span();
                    Ok((t.into_table(), span))
                }
                other => Err(origin.error(
                    ConfigErrorKind::InvalidValue,
                    other.span(),
                    None,
                    "each entry of `stages` must be a table",
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(origin.error(
                ConfigErrorKind::InvalidValue,
                other.span().or_else(|| key_span(root, &[], "stages")),
                None,
                "`stages` must be a list of tables ([[stages]])",
            ))
        }
    };
    if tables.is_empty() {
        return Err(ConfigError::new(
            ConfigErrorKind::MissingKey,
            &origin.path,
            "no [[stages]]: a pipeline needs at least one stage",
        ));
    }
    let mut stages = Vec::with_capacity(tables.len());
    let mut seen = HashMap::new();
    for (table, span) in tables {
        let line = span.map_or(1, |s| origin.line(s.start));
        let stage = StageTable::parse(table, line, origin.clone())?;
        if let Some(first) = seen.insert(stage.kind(), line) {
            return Err(ConfigError::at_line(
                ConfigErrorKind::InvalidValue,
                &origin.path,
                line,
                format!(
                    "stage `{}` appears twice (first at line {first})",
                    stage.kind().as_str()
                ),
            ));
        }
        stages.push(stage);
    }
    Ok(PipelineFile {
        pipeline: sections.pipeline,
        kafka: sections.kafka,
        topics: sections.topics,
        limits: sections.limits,
        stages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{Action, ReasonCode};

    fn parse(text: &str) -> Result<PipelineFile, ConfigError> {
        parse_pipeline(Path::new("p.toml"), text)
    }

    #[test]
    fn minimal_file_is_valid_and_gets_defaults() {
        let p = parse("[pipeline]\nname = \"x\"\n\n[[stages]]\nkind = \"identity\"\n").unwrap();
        assert_eq!(p.topics, Topics::default());
        assert_eq!(p.limits, Limits::default());
        assert_eq!(p.stages.len(), 1);
    }

    #[test]
    fn actions_override_parses_into_the_last_stage() {
        let p = parse(
            "[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"identity\"\n[[stages]]\nkind = \"reprint_source\"\nsources = \"s.csv\"\n[stages.actions]\nreprint_source_mismatch = \"reject\"\n",
        )
        .unwrap();
        let last = &p.stages[1];
        assert_eq!(
            last.actions().get(&ReasonCode::ReprintSourceMismatch),
            Some(&Action::Reject)
        );
        assert_eq!(last.line(), 5);
        // Inline tables and dotted keys say the same.
        let p = parse(
            "stages = [{ kind = \"identity\", actions = { identity_unverified = \"hold\" } }]\n[pipeline]\nname = \"x\"\n",
        )
        .unwrap();
        assert_eq!(
            p.stages[0].actions().get(&ReasonCode::IdentityUnverified),
            Some(&Action::Hold)
        );
        let p = parse(
            "[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"identity\"\nactions.identity_unverified = \"hold\"\n",
        )
        .unwrap();
        assert_eq!(
            p.stages[0].actions().get(&ReasonCode::IdentityUnverified),
            Some(&Action::Hold)
        );
    }

    /// Stage settings (misspelt keys, missing `lexicons`, `rumour_threshold` out of range) are read
    /// by each stage's config type: see `engine::tests::stage_setting_errors_name_their_line`.
    #[test]
    fn errors_name_file_and_line() {
        let cases = [
            ("[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"teleport\"\n", "p.toml:4", "teleport"),
            ("[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"identity\"\n[stages.actions]\nno_such_code = \"hold\"\n", "p.toml:", "no_such_code"),
            ("[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"identity\"\n[stages.actions]\nidentity_unverified = \"explode\"\n", "p.toml:", "explode"),
            // The line of the code, no longer the `[[stages]]` line 3.
            ("[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"identity\"\n[stages.actions]\nlabel_missing = \"hold\"\n", "p.toml:6", "does not emit"),
            ("[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"identity\"\n[[stages]]\nkind = \"identity\"\n", "p.toml:5", "twice"),
            ("[pipeline]\nname = \"x\"\n", "p.toml", "stages"),
            ("[pipeline]\nname = \"x\"\nstages = [\n", "p.toml:", ""),
            ("[pipeline]\nname = \"x\"\n[kafka.options]\n\"enable.auto.commit\" = \"true\"\n[[stages]]\nkind = \"identity\"\n", "p.toml", "enable.auto.commit"),
            ("[pipeline]\nname = \"x\"\n[topics]\nheld = \"synth.approved.v1\"\n[[stages]]\nkind = \"identity\"\n", "p.toml", "differ"),
        ];
        for (text, loc, needle) in cases {
            let err = parse(text).unwrap_err();
            let shown = err.to_string();
            assert!(shown.starts_with(loc), "{text:?} -> {shown}");
            assert!(shown.contains(needle), "{text:?} -> {shown}");
        }
    }

    /// Each error at exactly its own line, with its kind.
    #[test]
    fn errors_name_their_exact_line_and_kind() {
        use ConfigErrorKind::*;
        let head = "[pipeline]\nname = \"x\"\n";
        let cases: &[(&str, &str, ConfigErrorKind, &str)] = &[
            // A bad action value on line 6 (was reported at the `[[stages]]` line 3).
            (
                "[[stages]]\nkind = \"identity\"\n[stages.actions]\nidentity_unverified = \"explode\"\n",
                "p.toml:6",
                InvalidValue,
                "explode",
            ),
            (
                "[[stages]]\nkind = \"identity\"\n\n[stages.actions]\nno_such_code = \"hold\"\n",
                "p.toml:7",
                UnknownKey,
                "unknown reason code `no_such_code`",
            ),
            (
                "[[stages]]\nkind = \"identity\"\n[[stages]]\nkind = \"labels\"\n[[stages]]\n\nkind = \"identity\"\n",
                "p.toml:7",
                InvalidValue,
                "stage `identity` appears twice (first at line 3)",
            ),
            (
                "[[stages]]\n\nkind = \"teleport\"\n",
                "p.toml:5",
                InvalidValue,
                "unknown stage kind `teleport`, expected one of `identity`, `prohibited`",
            ),
            ("[[stages]]\nkind = 7\n", "p.toml:4", InvalidValue, "`kind` must be a string"),
            ("[[stages]]\nactions = {}\n", "p.toml:3", MissingKey, "missing field `kind`"),
            // Sections.
            (
                "[kafka]\nbrokers = \"b:1\"\nmax_in_flihgt = 5\n[[stages]]\nkind = \"identity\"\n",
                "p.toml:5",
                UnknownKey,
                "unknown field `max_in_flihgt`",
            ),
            (
                "[kafka]\n\nmax_in_flight = \"many\"\n[[stages]]\nkind = \"identity\"\n",
                "p.toml:5",
                InvalidValue,
                "invalid type: string \"many\"",
            ),
            (
                "[kafka]\ndelivery = \"twice\"\n[[stages]]\nkind = \"identity\"\n",
                "p.toml:4",
                InvalidValue,
                "twice",
            ),
            (
                "[kafka]\nbrokers = \"b:1\"\nmax_in_flight = 0\n[[stages]]\nkind = \"identity\"\n",
                "p.toml:5",
                InvalidValue,
                "max_in_flight must be > 0",
            ),
            (
                "[limits]\nmax_text_chars = 10\nmax_event_bytes = 0\n[[stages]]\nkind = \"identity\"\n",
                "p.toml:5",
                InvalidValue,
                "[limits] values must be greater than zero",
            ),
            // Was refused by librdkafka when the producer settings were checked, without a line.
            (
                "[limits]\nmax_event_bytes = 499475713\n[[stages]]\nkind = \"identity\"\n",
                "p.toml:4",
                InvalidValue,
                "max_event_bytes must be at most 499475712",
            ),
            (
                "[topics]\ninput = \"in\"\nheld = \"synth.approved.v1\"\n[[stages]]\nkind = \"identity\"\n",
                "p.toml:5",
                InvalidValue,
                "differ",
            ),
            // An unknown librdkafka option, at its key (was reported without a line).
            (
                "[kafka.options]\n\"security.protocol\" = \"plaintext\"\n\"no.such.option\" = \"1\"\n[[stages]]\nkind = \"identity\"\n",
                "p.toml:5",
                KafkaOption,
                "[kafka.options] librdkafka refuses `no.such.option`: No such configuration property",
            ),
            (
                "[kafka.options]\n\"linger.ms\" = \"soon\"\n[[stages]]\nkind = \"identity\"\n",
                "p.toml:4",
                KafkaOption,
                "linger.ms",
            ),
            // A reserved option, at its key.
            (
                "[kafka]\nbrokers = \"b:1\"\n[kafka.options]\n\"enable.auto.commit\" = \"true\"\n[[stages]]\nkind = \"identity\"\n",
                "p.toml:6",
                KafkaOption,
                "[kafka.options] `enable.auto.commit` is set by the worker and cannot be overridden",
            ),
            ("[pipeline.extra]\n", "p.toml:3", UnknownKey, "unknown field `extra`"),
            ("[[stages]]\nkind = \"identity\"\n[[stages]\n", "p.toml:5", Syntax, ""),
        ];
        for (body, loc, kind, needle) in cases {
            let text = format!("{head}{body}");
            let err = parse(&text).unwrap_err();
            let shown = err.to_string();
            assert!(
                shown.starts_with(&format!("{loc}: ")),
                "{text:?} -> {shown}"
            );
            assert!(shown.contains(needle), "{text:?} -> {shown}");
            assert_eq!(err.kind, *kind, "{text:?} -> {shown}");
        }
        let err = parse("stages = 3\n[pipeline]\nname = \"x\"\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("p.toml:1: `stages` must be a list of tables"),
            "{err}"
        );
        let err = parse("[pipeline]\nname = \" \"\n[[stages]]\nkind = \"identity\"\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "p.toml:2: [pipeline] name must not be empty"
        );
        let err = parse("[[stages]]\nkind = \"identity\"\n").unwrap_err();
        assert_eq!(err.to_string(), "p.toml: missing field `pipeline`");
        assert_eq!(err.kind, ConfigErrorKind::MissingKey);
    }

    #[test]
    fn stage_tables_keep_the_positions_of_their_keys() {
        let p = parse(
            "[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"prohibited\"\nlexicons = [\n  \"a.csv\",\n  \"b.csv\",\n]\n\nnote = 1\n",
        )
        .unwrap();
        let s = &p.stages[0];
        assert_eq!(s.line(), 3);
        assert_eq!(s.key_line("lexicons"), 5);
        assert_eq!(s.key_line("note"), 10);
        assert_eq!(s.key_line("absent"), 3);
        assert_eq!(s.value_line("b.csv"), 7);
        assert_eq!(s.value_line("c.csv"), 3);
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Lexicons {
            lexicons: Vec<String>,
        }
        let err = s.settings::<Lexicons>().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("p.toml:10: unknown field `note`"),
            "{err}"
        );
        assert_eq!(err.kind, ConfigErrorKind::UnknownKey);
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Needs {
            sources: String,
        }
        let err = s.settings::<Needs>().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("p.toml:3: missing field `sources`"),
            "{err}"
        );
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Typed {
            lexicons: Vec<u32>,
        }
        let err = s.settings::<Typed>().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("p.toml:6: invalid type: string \"a.csv\""),
            "{err}"
        );
    }
}
