//! Pipeline files (DESIGN §5): the one place where configuration is read and validated.
//!
//! A pipeline is a TOML file with `[pipeline]`, optional `[kafka]`, `[topics]` and `[limits]`
//! sections, and an ordered `[[stages]]` list. Relative data paths resolve against the pipeline
//! file's folder. Kafka connection settings can be overridden by `SYNTH_REVIEW_*` environment
//! variables (see [`KafkaConfig::apply_env`]) so that secrets never live in the file.
//!
//! Every error names its file and, where the file has lines, the line: `file:line: reason`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::decision::{Action, ReasonCode, StageKind};
use crate::event::Limits;

/// A configuration error: `location` is `file` or `file:line`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// `path` or `path:line`.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl ConfigError {
    /// An error about a whole file.
    pub fn file(path: impl fmt::Display, message: impl Into<String>) -> Self {
        ConfigError {
            location: path.to_string(),
            message: message.into(),
        }
    }
    /// An error at a 1-based line of a file.
    pub fn line(path: impl fmt::Display, line: u64, message: impl Into<String>) -> Self {
        ConfigError {
            location: format!("{path}:{line}"),
            message: message.into(),
        }
    }
}

/// Where pipeline and data files are read from: the file system, or the files embedded in the
/// binary for `demo`.
pub trait FileSource: Send + Sync {
    /// Reads a whole file.
    ///
    /// # Errors
    /// The I/O error, e.g. not found.
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>>;
}

/// Reads from the local file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct Disk;

impl FileSource for Disk {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(path)
    }
}

/// An in-memory set of files keyed by path (used for the embedded default pipeline).
#[derive(Debug, Default, Clone)]
pub struct Embedded(pub HashMap<PathBuf, &'static [u8]>);

impl FileSource for Embedded {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        let norm = normalize_path(path);
        self.0.get(&norm).map(|b| b.to_vec()).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} is not embedded", path.display()),
            )
        })
    }
}

/// Resolves `.` and `..` components lexically (no file system access).
pub fn normalize_path(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The whole pipeline file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineFile {
    /// Name and version.
    pub pipeline: PipelineMeta,
    /// Kafka client settings (optional; defaults suit a local broker).
    #[serde(default)]
    pub kafka: KafkaConfig,
    /// Topic names (optional; defaults from DESIGN §1).
    #[serde(default)]
    pub topics: Topics,
    /// Input limits (optional; defaults from DESIGN §2).
    #[serde(default)]
    pub limits: Limits,
    /// The review stages, run in this order.
    pub stages: Vec<toml::Spanned<StageConfig>>,
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

/// `[kafka]`: the consumer group and client settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaConfig {
    /// `bootstrap.servers`, comma-separated `host:port`. Env: `SYNTH_REVIEW_BROKERS`.
    pub brokers: String,
    /// Consumer group id. Env: `SYNTH_REVIEW_GROUP_ID`.
    pub group_id: String,
    /// Client id prefix; the worker appends `-hostname-pid`.
    pub client_id: String,
    /// Records produced but not yet acknowledged, at most; the consumer pauses beyond it.
    pub max_in_flight: usize,
    /// On shutdown, how long in-flight records may take to be acknowledged, in milliseconds.
    pub drain_timeout_ms: u64,
    /// How often stored offsets are committed, in milliseconds (`auto.commit.interval.ms`).
    pub commit_interval_ms: u64,
    /// Delivery guarantee: `exactly_once` (default; Kafka transactions, KIP-447) or
    /// `at_least_once` (for brokers without transactions; a crash may duplicate outputs).
    pub delivery: Delivery,
    /// Exactly-once: a transaction commits after at most this many input messages…
    pub batch_max_events: usize,
    /// …or this many input bytes (bounds the memory of one batch)…
    pub batch_max_bytes: usize,
    /// …or this many milliseconds after its first message, whichever comes first.
    pub batch_max_ms: u64,
    /// Exactly-once: threads that review a batch (0 = one per CPU). Outputs are produced in
    /// consumption order whatever the count.
    pub review_threads: usize,
    /// Exactly-once: `transaction.timeout.ms`. After a crash, the broker aborts the dead
    /// instance's open transaction after this long, and only then can its partitions move on.
    pub transaction_timeout_ms: u64,
    /// Exactly-once: `transactional.id`. Default `<client_id>-<hostname>-<pid>`, unique per process;
    /// KIP-447 fencing through the consumer group generation makes a stable id unnecessary.
    pub transactional_id: Option<String>,
    /// Further librdkafka properties passed through unchanged, e.g. `"security.protocol" = "SASL_SSL"`.
    /// Keys that the delivery guarantee depends on are refused (see [`RESERVED_KAFKA_KEYS`]).
    /// Env: `SYNTH_REVIEW_LIBRDKAFKA_<KEY>` with dots written as underscores, e.g.
    /// `SYNTH_REVIEW_LIBRDKAFKA_SASL_PASSWORD` for `sasl.password`.
    pub options: BTreeMap<String, String>,
}

/// The delivery guarantee of `run` (see `docs/delivery.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Outputs and consumed offsets commit in one Kafka transaction: with `read_committed`
    /// consumers, every input appears exactly once in the outputs, also across crashes.
    ExactlyOnce,
    /// Offsets are committed after outputs are acknowledged; a crash between the two duplicates
    /// outputs. For brokers without transaction support.
    AtLeastOnce,
}

/// librdkafka keys the worker sets itself because delivery correctness depends on them.
pub const RESERVED_KAFKA_KEYS: &[&str] = &[
    "bootstrap.servers",
    "group.id",
    "enable.auto.commit",
    "enable.auto.offset.store",
    "auto.commit.interval.ms",
    "enable.idempotence",
    "acks",
    "isolation.level",
    "transactional.id",
    "transaction.timeout.ms",
];

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig {
            brokers: "127.0.0.1:9092".into(),
            group_id: "synth-review".into(),
            client_id: "synth-review".into(),
            max_in_flight: 10_000,
            drain_timeout_ms: 10_000,
            commit_interval_ms: 1_000,
            delivery: Delivery::ExactlyOnce,
            batch_max_events: 5_000,
            batch_max_bytes: 64 << 20,
            batch_max_ms: 200,
            transaction_timeout_ms: 10_000,
            review_threads: 0,
            transactional_id: None,
            options: BTreeMap::new(),
        }
    }
}

impl KafkaConfig {
    /// Applies `SYNTH_REVIEW_BROKERS`, `SYNTH_REVIEW_GROUP_ID` and `SYNTH_REVIEW_LIBRDKAFKA_*` overrides
    /// from `vars` (pass `std::env::vars()`).
    ///
    /// # Errors
    /// A reserved key set through `SYNTH_REVIEW_LIBRDKAFKA_*`.
    pub fn apply_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        for (k, v) in vars {
            if k == "SYNTH_REVIEW_BROKERS" {
                self.brokers = v;
            } else if k == "SYNTH_REVIEW_GROUP_ID" {
                self.group_id = v;
            } else if let Some(rest) = k.strip_prefix("SYNTH_REVIEW_LIBRDKAFKA_") {
                let key = rest.to_ascii_lowercase().replace('_', ".");
                if RESERVED_KAFKA_KEYS.contains(&key.as_str()) {
                    return Err(ConfigError::file(
                        format!("environment variable {k}"),
                        format!("`{key}` is set by the worker and cannot be overridden"),
                    ));
                }
                self.options.insert(key, v);
            }
        }
        Ok(())
    }
}

/// `[topics]` (DESIGN §1).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Topics {
    /// Publish events are consumed from here.
    pub input: String,
    /// Approved decision records.
    pub approved: String,
    /// Held decision records: the moderators' hold queue.
    pub held: String,
    /// Rejected decision records.
    pub rejected: String,
    /// Unreadable messages, original bytes with `dlq.*` headers.
    pub dead_letter: String,
    /// Compact audit records, one per input message.
    pub audit: String,
}

impl Default for Topics {
    fn default() -> Self {
        Topics {
            input: "synth.publish.v1".into(),
            approved: "synth.approved.v1".into(),
            held: "synth.held.v1".into(),
            rejected: "synth.rejected.v1".into(),
            dead_letter: "synth.dlq.v1".into(),
            audit: "synth.audit.v1".into(),
        }
    }
}

/// One `[[stages]]` entry; `kind` selects the stage (DESIGN §4). Every stage takes an optional
/// `[stages.actions]` table overriding the default action per reason code.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StageConfig {
    /// Art. 9 identity check.
    Identity {
        /// Per-code action overrides.
        #[serde(default)]
        actions: BTreeMap<ReasonCode, Action>,
    },
    /// Art. 10 feature library.
    Prohibited {
        /// Lexicon CSV files (`term,category,action[,note]`).
        lexicons: Vec<String>,
        /// Per-code action overrides.
        #[serde(default)]
        actions: BTreeMap<ReasonCode, Action>,
    },
    /// Art. 6(2), Art. 11 news source checks: news-like detection, attribution, known rumours.
    NewsSource {
        /// News-source CSV (`name,domain`, others ignored).
        sources: String,
        /// Alias CSV (`alias,name[,domain]`) mapping common names to listed units.
        #[serde(default)]
        aliases: Option<String>,
        /// Known-rumour CSV (`claim,refuted_by[,refuted_at]`).
        #[serde(default)]
        rumours: Option<String>,
        /// Similarity at or above which a text is taken to repeat a known rumour (0 < t ≤ 1).
        #[serde(default)]
        rumour_threshold: Option<f64>,
        /// Per-code action overrides.
        #[serde(default)]
        actions: BTreeMap<ReasonCode, Action>,
    },
    /// Art. 6(2) reprint source validation.
    ReprintSource {
        /// News-source CSV (`name,domain`, others ignored).
        sources: String,
        /// Alias CSV (`alias,name[,domain]`) mapping common names to listed units.
        #[serde(default)]
        aliases: Option<String>,
        /// Per-code action overrides.
        #[serde(default)]
        actions: BTreeMap<ReasonCode, Action>,
    },
    /// Art. 16–18 AI labels (labelling measures Art. 6; GB 45438-2025).
    Labels {
        /// Per-code action overrides.
        #[serde(default)]
        actions: BTreeMap<ReasonCode, Action>,
    },
    /// Art. 14 biometric editing consent.
    BiometricConsent {
        /// Per-code action overrides.
        #[serde(default)]
        actions: BTreeMap<ReasonCode, Action>,
    },
}

impl StageConfig {
    /// The stage kind.
    pub fn kind(&self) -> StageKind {
        match self {
            StageConfig::Identity { .. } => StageKind::Identity,
            StageConfig::Prohibited { .. } => StageKind::Prohibited,
            StageConfig::NewsSource { .. } => StageKind::NewsSource,
            StageConfig::ReprintSource { .. } => StageKind::ReprintSource,
            StageConfig::Labels { .. } => StageKind::Labels,
            StageConfig::BiometricConsent { .. } => StageKind::BiometricConsent,
        }
    }
    /// The per-code overrides.
    pub fn actions(&self) -> &BTreeMap<ReasonCode, Action> {
        match self {
            StageConfig::Identity { actions }
            | StageConfig::Prohibited { actions, .. }
            | StageConfig::NewsSource { actions, .. }
            | StageConfig::ReprintSource { actions, .. }
            | StageConfig::Labels { actions }
            | StageConfig::BiometricConsent { actions } => actions,
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

/// Parses and validates a pipeline file's text (no data files are read here).
///
/// # Errors
/// `path:line: reason` for TOML syntax, unknown keys, stage kinds, reason codes or actions, a code
/// that the stage does not emit, an empty stage list or a reserved `[kafka.options]` key.
pub fn parse_pipeline(path: &Path, text: &str) -> Result<PipelineFile, ConfigError> {
    let shown = path.display();
    let file: PipelineFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
        ConfigError::line(&shown, line, e.message().trim().to_string())
    })?;
    if file.pipeline.name.trim().is_empty() {
        return Err(ConfigError::file(
            &shown,
            "[pipeline] name must not be empty",
        ));
    }
    if file.stages.is_empty() {
        return Err(ConfigError::file(
            &shown,
            "no [[stages]]: a pipeline needs at least one stage",
        ));
    }
    let mut seen = HashMap::new();
    for stage in &file.stages {
        let line = line_of(text, stage.span().start);
        let kind = stage.get_ref().kind();
        if let Some(first) = seen.insert(kind, line) {
            return Err(ConfigError::line(
                &shown,
                line,
                format!(
                    "stage `{}` appears twice (first at line {first})",
                    kind.as_str()
                ),
            ));
        }
        for code in stage.get_ref().actions().keys() {
            if code.stage() != kind {
                return Err(ConfigError::line(
                    &shown,
                    line,
                    format!(
                        "stage `{}` does not emit `{}` (it comes from stage `{}`)",
                        kind.as_str(),
                        code.as_str(),
                        code.stage().as_str()
                    ),
                ));
            }
        }
    }
    for stage in &file.stages {
        if let StageConfig::NewsSource {
            rumour_threshold: Some(t),
            ..
        } = stage.get_ref()
        {
            if !(*t > 0.0 && *t <= 1.0) {
                return Err(ConfigError::line(
                    &shown,
                    line_of(text, stage.span().start),
                    format!("rumour_threshold must be greater than 0 and at most 1, found {t}"),
                ));
            }
        }
    }
    for key in file.kafka.options.keys() {
        if RESERVED_KAFKA_KEYS.contains(&key.as_str()) {
            return Err(ConfigError::file(
                &shown,
                format!("[kafka.options] `{key}` is set by the worker and cannot be overridden"),
            ));
        }
    }
    let k = &file.kafka;
    if k.batch_max_events == 0
        || k.batch_max_bytes == 0
        || k.max_in_flight == 0
        || k.transaction_timeout_ms < 1_000
    {
        return Err(ConfigError::file(
            &shown,
            "[kafka] batch_max_events, batch_max_bytes and max_in_flight must be > 0 and transaction_timeout_ms ≥ 1000",
        ));
    }
    let limits = file.limits;
    if limits.max_event_bytes == 0 || limits.max_text_chars == 0 || limits.max_event_id_bytes == 0 {
        return Err(ConfigError::file(
            &shown,
            "[limits] values must be greater than zero",
        ));
    }
    let t = &file.topics;
    let outs = [&t.approved, &t.held, &t.rejected, &t.dead_letter, &t.audit];
    for (i, a) in outs.iter().enumerate() {
        if a.is_empty() || *a == &t.input || outs[i + 1..].contains(a) {
            return Err(ConfigError::file(
                &shown,
                format!("[topics] `{a}` must be non-empty and differ from every other topic"),
            ));
        }
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let last = p.stages[1].get_ref();
        assert_eq!(
            last.actions().get(&ReasonCode::ReprintSourceMismatch),
            Some(&Action::Reject)
        );
    }

    #[test]
    fn errors_name_file_and_line() {
        let cases = [
            ("[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"teleport\"\n", "p.toml:4", "teleport"),
            ("[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"identity\"\nbogus = 1\n", "p.toml:3", "bogus"),
            ("[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"identity\"\n[stages.actions]\nno_such_code = \"hold\"\n", "p.toml:", "no_such_code"),
            ("[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"identity\"\n[stages.actions]\nidentity_unverified = \"explode\"\n", "p.toml:", "explode"),
            ("[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"identity\"\n[stages.actions]\nlabel_missing = \"hold\"\n", "p.toml:3", "does not emit"),
            ("[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"prohibited\"\n", "p.toml:3", "lexicons"),
            ("[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"identity\"\n[[stages]]\nkind = \"identity\"\n", "p.toml:5", "twice"),
            ("[pipeline]\nname = \"x\"\n", "p.toml", "stages"),
            ("[pipeline]\nname = \"x\"\nstages = [\n", "p.toml:", ""),
            ("[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"news_source\"\nsources = \"s.csv\"\nrumour_threshold = 1.5\n", "p.toml:3", "rumour_threshold"),
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

    #[test]
    fn env_overrides_kafka_settings() {
        let mut k = KafkaConfig::default();
        k.apply_env([
            ("SYNTH_REVIEW_BROKERS".to_string(), "b:1".to_string()),
            (
                "SYNTH_REVIEW_LIBRDKAFKA_SASL_PASSWORD".to_string(),
                "s3cret".to_string(),
            ),
            ("UNRELATED".to_string(), "x".to_string()),
        ])
        .unwrap();
        assert_eq!(k.brokers, "b:1");
        assert_eq!(
            k.options.get("sasl.password").map(String::as_str),
            Some("s3cret")
        );
        let err = k
            .apply_env([(
                "SYNTH_REVIEW_LIBRDKAFKA_ENABLE_AUTO_COMMIT".into(),
                "false".into(),
            )])
            .unwrap_err();
        assert!(err.to_string().contains("enable.auto.commit"));
    }

    #[test]
    fn embedded_paths_resolve_dot_dot() {
        assert_eq!(
            normalize_path(Path::new("pipelines/../data/x.csv")),
            PathBuf::from("data/x.csv")
        );
    }
}
