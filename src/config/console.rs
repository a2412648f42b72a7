//! The console's file (DESIGN §8, `synth-review console --config FILE`; `docs/console.md`,
//! "Running it"): `[console]` (store, addresses, leases, sessions), `[intake]`, `[relay]`, and the
//! worker's own `[kafka]` and `[topics]` sections, so that one set of topic names serves both.
//!
//! ```toml
//! [console]
//! store = "sqlite://console.db?mode=rwc"   # or postgres://USER:PASSWORD@HOST:PORT/DB
//! store_connect_timeout_seconds = 5         # a store that does not answer: an error after this
//! listen = "127.0.0.1:8080"                 # the web application
//! metrics_listen = "127.0.0.1:9465"         # /metrics and /healthz (no session needed)
//! lease_seconds = 300
//! session_hours = 12
//! secure_cookies = false                    # true behind TLS
//!
//! [intake]
//! enabled = true
//! group_id = "synth-review-console"
//!
//! [ledger]                                  # strikes and measures (Art. 10), see LedgerSection
//! enabled = true
//! user_actions_topic = "synth.user-actions.v1"
//!
//! [complaints]                              # Art. 12, see ComplaintsSection
//! time_limit_hours = 72
//!
//! [appeals]                                 # Art. 12, see AppealsSection
//! time_limit_hours = 72
//!
//! [relay]
//! enabled = true
//! transactional_id = "synth-review-console-relay"
//! checkpoint_group = "synth-review-console-relay"
//! batch_max = 100
//! poll_interval_ms = 100
//!
//! [kafka]
//! brokers = "localhost:9092"
//! ```
//!
//! A relative SQLite path (`sqlite://REL` or `sqlite:REL`) resolves against the file's folder.
//! The store URL can be overridden by `SYNTH_REVIEW_CONSOLE_STORE` (so that a PostgreSQL
//! password need not live in the file), the Kafka settings by the worker's `SYNTH_REVIEW_*`
//! variables ([`KafkaConfig::apply_env`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::IntoDeserializer;
use serde::Deserialize;
use toml_edit::Value;

use crate::console::ledger::{LadderStep, LedgerPolicy, MeasureKind};

use super::{
    check_kafka_options, key_span, parse_toml, ConfigError, ConfigErrorKind, KafkaConfig, Topics,
};

/// The whole console file, checked.
#[derive(Debug, Clone)]
pub struct ConsoleFile {
    /// `[console]`.
    pub console: ConsoleSection,
    /// `[intake]`.
    pub intake: IntakeSection,
    /// `[relay]`.
    pub relay: RelaySection,
    /// `[ledger]`.
    pub ledger: LedgerSection,
    /// `[complaints]`.
    pub complaints: ComplaintsSection,
    /// `[appeals]`.
    pub appeals: AppealsSection,
    /// `[kafka]`: brokers, client id and the pass-through options, as for the worker.
    pub kafka: KafkaConfig,
    /// `[topics]`: the held topic is read, the approved, rejected and audit topics written.
    pub topics: Topics,
}

/// `[console]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleSection {
    /// The store URL: `sqlite://PATH[?mode=rwc]` or `postgres://…`
    /// ([`crate::console::Store::open`]). Env: `SYNTH_REVIEW_CONSOLE_STORE`.
    pub store: String,
    /// How long opening the store waits for its first connection, in seconds (1 to 300;
    /// [`crate::console::Store::open_within`]).
    pub store_connect_timeout_seconds: u64,
    /// The web application's address.
    pub listen: SocketAddr,
    /// `/metrics` and `/healthz`, on an address of their own (Prometheus needs no session).
    pub metrics_listen: SocketAddr,
    /// A claim's lease, in seconds (renewed while the item's page is open).
    pub lease_seconds: u64,
    /// How long a login lasts, in hours.
    pub session_hours: u64,
    /// Mark cookies `Secure` (set when the console is served over TLS, e.g. behind a proxy).
    pub secure_cookies: bool,
    /// The console's name in the audit records (`worker_id`); default `console-<host>:<pid>`.
    pub console_id: Option<String>,
}

impl Default for ConsoleSection {
    fn default() -> Self {
        ConsoleSection {
            store: "sqlite://console.db?mode=rwc".into(),
            store_connect_timeout_seconds: crate::console::store::CONNECT_TIMEOUT.as_secs(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            metrics_listen: SocketAddr::from(([127, 0, 0, 1], 9465)),
            lease_seconds: 300,
            session_hours: 12,
            secure_cookies: false,
            console_id: None,
        }
    }
}

impl ConsoleSection {
    /// The lease of a claim.
    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_seconds)
    }

    /// How long opening the store waits for its first connection.
    pub fn store_connect_timeout(&self) -> Duration {
        Duration::from_secs(self.store_connect_timeout_seconds)
    }

    /// How long a session lasts.
    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.session_hours * 3600)
    }
}

/// `[intake]`: the consumer of the held topic.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntakeSection {
    /// Run the intake in this process (one per console cluster is enough; more share the
    /// partitions as one consumer group).
    pub enabled: bool,
    /// The console's consumer group of the held topic (not the worker's).
    pub group_id: String,
}

impl Default for IntakeSection {
    fn default() -> Self {
        IntakeSection {
            enabled: true,
            group_id: "synth-review-console".into(),
        }
    }
}

/// `[relay]`: verdicts from the outbox to the topics ([`crate::console::relay`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RelaySection {
    /// Run the relay in this process (one replica is enough; see the relay's documentation).
    pub enabled: bool,
    /// The relay's `transactional.id`, stable across restarts.
    pub transactional_id: String,
    /// The consumer group that holds the relay's checkpoint.
    pub checkpoint_group: String,
    /// Verdicts per Kafka transaction, at most.
    pub batch_max: u32,
    /// How often an empty outbox is read again, in milliseconds.
    pub poll_interval_ms: u64,
}

impl Default for RelaySection {
    fn default() -> Self {
        RelaySection {
            enabled: true,
            transactional_id: "synth-review-console-relay".into(),
            checkpoint_group: "synth-review-console-relay".into(),
            batch_max: 100,
            poll_interval_ms: 100,
        }
    }
}

/// `[ledger]`: the per-user ledger and its strike ladder ([`crate::console::ledger`]).
///
/// ```toml
/// [ledger]
/// enabled = true
/// user_actions_topic = "synth.user-actions.v1"
/// window_days = 90          # a strike counts for this long
/// default_weight = 1        # 0 everywhere: a warning-only policy
/// [ledger.reason_weights]   # by reason code (the worker's or a moderator's)
/// prohibited_term = 3
/// [ledger.category_weights] # by lexicon category, where the code has none
/// terrorism = 15
/// [[ledger.ladder]]         # lowest first; without any, the default ladder
/// points = 3
/// measure = "warn"
/// [[ledger.ladder]]
/// points = 6
/// measure = "restrict"
/// function = "publish_synthetic_media"
/// duration_days = 30
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LedgerSection {
    /// Run the ledger reader in this process (replicas may all run it).
    pub enabled: bool,
    /// Measures, lifts and changes go here, keyed by user id.
    pub user_actions_topic: String,
    /// How long a strike counts, in days (1 to 3650).
    pub window_days: u64,
    /// The weight of a reject whose code and categories have none.
    pub default_weight: u32,
    /// Weights by reason code.
    pub reason_weights: BTreeMap<String, u32>,
    /// Weights by lexicon category.
    pub category_weights: BTreeMap<String, u32>,
    /// The ladder; `None`: [`LedgerPolicy::default`]'s.
    pub ladder: Option<Vec<LadderStepSection>>,
    /// Records per store transaction.
    pub batch_max: usize,
}

/// One `[[ledger.ladder]]` step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LadderStepSection {
    /// The threshold.
    pub points: u32,
    /// `warn`, `restrict`, `suspend` or `close`.
    pub measure: String,
    /// The function a `restrict` takes away.
    pub function: Option<String>,
    /// How long a `restrict` (optional) or a `suspend` (required) lasts, in days.
    pub duration_days: Option<u64>,
}

impl Default for LedgerSection {
    fn default() -> Self {
        let p = LedgerPolicy::default();
        LedgerSection {
            enabled: true,
            user_actions_topic: "synth.user-actions.v1".into(),
            window_days: p.window.as_secs() / 86_400,
            default_weight: p.default_weight,
            reason_weights: BTreeMap::new(),
            category_weights: BTreeMap::new(),
            ladder: None,
            batch_max: 256,
        }
    }
}

impl LedgerSection {
    /// The policy the section describes.
    ///
    /// # Errors
    /// A step that cannot work (a `restrict` without a function, a `suspend` without a
    /// duration, thresholds not increasing), in words.
    pub fn policy(&self) -> Result<LedgerPolicy, String> {
        let mut policy = LedgerPolicy {
            window: Duration::from_secs(self.window_days.saturating_mul(86_400)),
            default_weight: self.default_weight,
            reason_weights: self.reason_weights.clone(),
            category_weights: self.category_weights.clone(),
            ..LedgerPolicy::default()
        };
        if let Some(steps) = &self.ladder {
            policy.ladder = steps
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let duration = s
                        .duration_days
                        .map(|d| Duration::from_secs(d.saturating_mul(86_400)));
                    MeasureKind::from_parts(&s.measure, s.function.as_deref(), duration)
                        .map(|measure| LadderStep {
                            points: s.points,
                            measure,
                        })
                        .map_err(|e| format!("[[ledger.ladder]] step {}: {e}", i + 1))
                })
                .collect::<Result<_, _>>()?;
        }
        policy.check()?;
        Ok(policy)
    }
}

/// `[complaints]`: complaints and their results (Art. 12, [`crate::console::complaint`]); read
/// by the ledger reader, so `[ledger] enabled` must be on for them to be read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ComplaintsSection {
    /// Read complaints.
    pub enabled: bool,
    /// The platform's complaints (`synth.complaints.v1`, keyed by event id).
    pub topic: String,
    /// Their results for the reporters (`synth.complaint-results.v1`, keyed by complaint id).
    pub results_topic: String,
    /// A case must be decided within this many hours of its first complaint (1 to 2160; the
    /// platform publishes it, Art. 12).
    pub time_limit_hours: u64,
    /// Index the approved topic, so that a complaint about an event the console never held
    /// reopens it with its published record.
    pub index_published: bool,
}

impl Default for ComplaintsSection {
    fn default() -> Self {
        ComplaintsSection {
            enabled: true,
            topic: "synth.complaints.v1".into(),
            results_topic: "synth.complaint-results.v1".into(),
            time_limit_hours: 72,
            index_published: true,
        }
    }
}

impl ComplaintsSection {
    /// The time limit.
    pub fn time_limit(&self) -> Duration {
        Duration::from_secs(self.time_limit_hours * 3600)
    }
}

/// `[appeals]`: users' appeals of rejects and measures (Art. 12, [`crate::console::appeal`]);
/// read by the ledger reader, so `[ledger] enabled` must be on for them to be read. Outcomes go
/// to the user-actions topic.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AppealsSection {
    /// Read appeals.
    pub enabled: bool,
    /// The platform's appeals (`synth.appeals.v1`, keyed by user id).
    pub topic: String,
    /// An appeal must be decided within this many hours of its receipt (1 to 2160; the
    /// platform publishes it, Art. 12).
    pub time_limit_hours: u64,
}

impl Default for AppealsSection {
    fn default() -> Self {
        AppealsSection {
            enabled: true,
            topic: "synth.appeals.v1".into(),
            time_limit_hours: 72,
        }
    }
}

impl AppealsSection {
    /// The time limit.
    pub fn time_limit(&self) -> Duration {
        Duration::from_secs(self.time_limit_hours * 3600)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sections {
    #[serde(default)]
    console: ConsoleSection,
    #[serde(default)]
    intake: IntakeSection,
    #[serde(default)]
    relay: RelaySection,
    #[serde(default)]
    ledger: LedgerSection,
    #[serde(default)]
    complaints: ComplaintsSection,
    #[serde(default)]
    appeals: AppealsSection,
    #[serde(default)]
    kafka: KafkaConfig,
    #[serde(default)]
    topics: Topics,
}

/// Reads and checks the console file at `path`, then applies the environment overrides of
/// `vars` (pass `std::env::vars()`).
///
/// # Errors
/// `path: reason` when the file cannot be read; `path:line: reason` for invalid TOML, unknown
/// keys, values of the wrong type or range (a zero lease or session, a relay batch of 0, an
/// empty group or transactional id), clashing topics, a refused `[kafka.options]` key; an
/// environment variable's name for a refused override.
pub fn load_console_file(
    path: &Path,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<ConsoleFile, ConfigError> {
    // A regular file of at most 16 MiB, like the pipeline's files: a FIFO would block the
    // start for ever and /dev/zero fill the memory.
    let text = super::read_regular_file(path, super::MAX_FILE_BYTES)
        .and_then(|bytes| {
            String::from_utf8(bytes).map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, "not valid UTF-8")
            })
        })
        .map_err(|e| {
            ConfigError::new(
                ConfigErrorKind::Io,
                path.display(),
                format!("cannot read: {e}"),
            )
        })?;
    let mut file = parse_console_file(path, &text)?;
    let vars: Vec<(String, String)> = vars.into_iter().collect();
    if let Some((_, url)) = vars.iter().find(|(k, _)| k == "SYNTH_REVIEW_CONSOLE_STORE") {
        check_store_url(url).map_err(|why| {
            ConfigError::new(
                ConfigErrorKind::InvalidValue,
                "environment variable SYNTH_REVIEW_CONSOLE_STORE",
                why,
            )
        })?;
        file.console.store = url.clone();
    }
    file.kafka.apply_env(vars)?;
    Ok(file)
}

/// Parses and checks the console file's `text` (see [`load_console_file`]); a relative SQLite
/// path resolves against `path`'s folder.
///
/// # Errors
/// As [`load_console_file`], but for reading and the environment.
pub fn parse_console_file(path: &Path, text: &str) -> Result<ConsoleFile, ConfigError> {
    let (origin, doc) = parse_toml(path, text)?;
    let root = doc.as_table();
    let s = Sections::deserialize(
        Value::InlineTable(root.clone().into_inline_table()).into_deserializer(),
    )
    .map_err(|e| origin.de_error(e, None))?;
    let invalid_at = |section: &str, key: &str, message: &str| {
        origin.error(
            ConfigErrorKind::InvalidValue,
            key_span(root, &[section], key).or_else(|| root.key(section).and_then(|k| k.span())),
            None,
            message,
        )
    };
    check_kafka_options(&origin, root, &s.kafka)?;
    s.kafka
        .check()
        .map_err(|e| invalid_at("kafka", e.key, &e.message))?;
    s.topics
        .check()
        .map_err(|e| invalid_at("topics", e.key, &e.message))?;
    let c = &s.console;
    if c.store.trim().is_empty() {
        return Err(invalid_at(
            "console",
            "store",
            "[console] store must not be empty",
        ));
    }
    if let Err(why) = check_store_url(&c.store) {
        return Err(invalid_at(
            "console",
            "store",
            &format!("[console] store: {why}"),
        ));
    }
    if c.store_connect_timeout_seconds == 0 || c.store_connect_timeout_seconds > 300 {
        return Err(invalid_at(
            "console",
            "store_connect_timeout_seconds",
            "[console] store_connect_timeout_seconds must be 1 to 300",
        ));
    }
    if c.lease_seconds == 0 || c.lease_seconds > 24 * 3600 {
        return Err(invalid_at(
            "console",
            "lease_seconds",
            "[console] lease_seconds must be 1 to 86400",
        ));
    }
    if c.session_hours == 0 || c.session_hours > 24 * 30 {
        return Err(invalid_at(
            "console",
            "session_hours",
            "[console] session_hours must be 1 to 720",
        ));
    }
    if let Err(why) = check_addresses(c.listen, c.metrics_listen) {
        return Err(invalid_at(
            "console",
            "metrics_listen",
            &format!("[console] metrics_listen must differ from listen: {why}"),
        ));
    }
    if s.intake.group_id.trim().is_empty() {
        return Err(invalid_at(
            "intake",
            "group_id",
            "[intake] group_id must not be empty",
        ));
    }
    let r = &s.relay;
    for (key, v) in [
        ("transactional_id", &r.transactional_id),
        ("checkpoint_group", &r.checkpoint_group),
    ] {
        if v.trim().is_empty() {
            return Err(invalid_at(
                "relay",
                key,
                &format!("[relay] {key} must not be empty"),
            ));
        }
    }
    if r.checkpoint_group == s.intake.group_id {
        return Err(invalid_at(
            "relay",
            "checkpoint_group",
            "[relay] checkpoint_group must differ from [intake] group_id",
        ));
    }
    if r.batch_max == 0 || r.batch_max > 10_000 {
        return Err(invalid_at(
            "relay",
            "batch_max",
            "[relay] batch_max must be 1 to 10000",
        ));
    }
    if r.poll_interval_ms == 0 {
        return Err(invalid_at(
            "relay",
            "poll_interval_ms",
            "[relay] poll_interval_ms must be at least 1",
        ));
    }
    let l = &s.ledger;
    if l.window_days == 0 || l.window_days > 3650 {
        return Err(invalid_at(
            "ledger",
            "window_days",
            "[ledger] window_days must be 1 to 3650",
        ));
    }
    if l.batch_max == 0 || l.batch_max > 10_000 {
        return Err(invalid_at(
            "ledger",
            "batch_max",
            "[ledger] batch_max must be 1 to 10000",
        ));
    }
    let topic = l.user_actions_topic.trim();
    if topic.is_empty()
        || [
            &s.topics.input,
            &s.topics.approved,
            &s.topics.held,
            &s.topics.rejected,
            &s.topics.dead_letter,
            &s.topics.audit,
        ]
        .iter()
        .any(|t| t.as_str() == topic)
    {
        return Err(invalid_at(
            "ledger",
            "user_actions_topic",
            "[ledger] user_actions_topic must be set and differ from every topic of [topics]",
        ));
    }
    if let Err(e) = l.policy() {
        return Err(invalid_at("ledger", "ladder", &e));
    }
    let c = &s.complaints;
    if c.time_limit_hours == 0 || c.time_limit_hours > 2160 {
        return Err(invalid_at(
            "complaints",
            "time_limit_hours",
            "[complaints] time_limit_hours must be 1 to 2160",
        ));
    }
    let worker_topics = [
        s.topics.input.as_str(),
        s.topics.approved.as_str(),
        s.topics.held.as_str(),
        s.topics.rejected.as_str(),
        s.topics.dead_letter.as_str(),
        s.topics.audit.as_str(),
        l.user_actions_topic.trim(),
    ];
    for (key, t) in [("topic", &c.topic), ("results_topic", &c.results_topic)] {
        let t = t.trim();
        if t.is_empty() || worker_topics.contains(&t) || c.topic.trim() == c.results_topic.trim() {
            return Err(invalid_at(
                "complaints",
                key,
                &format!(
                    "[complaints] {key} must be set and differ from the other topics of this file"
                ),
            ));
        }
    }
    let a = &s.appeals;
    if a.time_limit_hours == 0 || a.time_limit_hours > 2160 {
        return Err(invalid_at(
            "appeals",
            "time_limit_hours",
            "[appeals] time_limit_hours must be 1 to 2160",
        ));
    }
    let t = a.topic.trim();
    if t.is_empty()
        || worker_topics.contains(&t)
        || t == c.topic.trim()
        || t == c.results_topic.trim()
    {
        return Err(invalid_at(
            "appeals",
            "topic",
            "[appeals] topic must be set and differ from the other topics of this file",
        ));
    }
    for (section, key, t) in [
        ("ledger", "user_actions_topic", &l.user_actions_topic),
        ("complaints", "topic", &c.topic),
        ("complaints", "results_topic", &c.results_topic),
        ("appeals", "topic", &a.topic),
    ] {
        if let Some(e) = crate::config::topics::topic_name_error(t.trim()) {
            return Err(invalid_at(section, key, &format!("[{section}] {key}: {e}")));
        }
    }
    let mut console = s.console;
    console.store = resolve_sqlite(&console.store, path.parent());
    Ok(ConsoleFile {
        console,
        intake: s.intake,
        relay: s.relay,
        ledger: s.ledger,
        complaints: s.complaints,
        appeals: s.appeals,
        kafka: s.kafka,
        topics: s.topics,
    })
}

/// Why the web application (`listen`) and `/metrics` (`metrics_listen`) cannot both be served
/// at these addresses: the same port (but 0, a port of the system's choice) on the same address,
/// or on any address when either is unspecified (`0.0.0.0`, `[::]`: every address). Checked
/// before anything is bound, for the file's and the command line's addresses.
///
/// # Errors
/// The clash in words: `127.0.0.1:8080 and 127.0.0.1:8080 are the same port`.
pub fn check_addresses(listen: SocketAddr, metrics_listen: SocketAddr) -> Result<(), String> {
    let (a, b) = (listen, metrics_listen);
    let overlap = a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified();
    if a.port() != 0 && a.port() == b.port() && overlap {
        return Err(format!("{a} and {b} are the same port"));
    }
    Ok(())
}

/// Why `url` is not a store URL [`crate::console::Store::open`] takes: `sqlite:` with a file
/// path, or `postgres://` / `postgresql://`.
fn check_store_url(url: &str) -> Result<(), String> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest
            .trim_start_matches("//")
            .split('?')
            .next()
            .unwrap_or_default();
        if path.is_empty() {
            return Err(format!("{url:?} names no file: sqlite://PATH?mode=rwc"));
        }
        Ok(())
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(())
    } else {
        Err(format!(
            "unsupported store URL {url:?}: sqlite://PATH?mode=rwc or postgres://USER@HOST/DB"
        ))
    }
}

/// `sqlite://REL?…` or `sqlite:REL?…` (sqlx reads both) with a relative path becomes
/// `sqlite://DIR/REL?…`; an absolute path, `:memory:` and other URLs stay.
fn resolve_sqlite(url: &str, dir: Option<&Path>) -> String {
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return url.to_owned();
    };
    let (file, query) = rest
        .split_once('?')
        .map_or((rest, None), |(f, q)| (f, Some(q)));
    let p = PathBuf::from(file);
    match dir {
        Some(dir) if p.is_relative() && !file.is_empty() && file != ":memory:" => {
            let joined = dir.join(p);
            match query {
                Some(q) => format!("sqlite://{}?{q}", joined.display()),
                None => format!("sqlite://{}", joined.display()),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConsoleFile, ConfigError> {
        parse_console_file(Path::new("/etc/sr/console.toml"), text)
    }

    #[test]
    fn an_empty_file_gives_the_defaults() {
        let f = parse("").unwrap();
        assert_eq!(f.console.store, "sqlite:///etc/sr/console.db?mode=rwc");
        assert_eq!(f.console.lease(), Duration::from_secs(300));
        assert!(f.intake.enabled && f.relay.enabled);
        assert_eq!(f.topics.held, "synth.held.v1");
    }

    #[test]
    fn bad_values_name_their_line() {
        let e = parse("[console]\nstore = \"sqlite://x.db\"\nlease_seconds = 0\n").unwrap_err();
        assert_eq!(e.location, "/etc/sr/console.toml:3", "{e}");
        let e = parse("[relay]\n\nbatch_max = 0\n").unwrap_err();
        assert_eq!(e.location, "/etc/sr/console.toml:3", "{e}");
        let e = parse("[console]\nlisten_addr = \"x\"\n").unwrap_err();
        assert_eq!(e.kind, ConfigErrorKind::UnknownKey, "{e}");
        let e =
            parse("[intake]\ngroup_id = \"g\"\n[relay]\ncheckpoint_group = \"g\"\n").unwrap_err();
        assert!(e.message.contains("differ"), "{e}");
    }

    #[test]
    fn the_ledger_section_gives_a_policy() {
        let f = parse("").unwrap();
        assert_eq!(f.ledger.policy().unwrap(), LedgerPolicy::default());
        let f = parse(
            "[ledger]\nwindow_days = 30\ndefault_weight = 0\n[ledger.reason_weights]\nfraud = 4\n\
             [[ledger.ladder]]\npoints = 4\nmeasure = \"suspend\"\nduration_days = 2\n",
        )
        .unwrap();
        let p = f.ledger.policy().unwrap();
        assert_eq!(p.window, Duration::from_secs(30 * 86_400));
        assert_eq!(p.weight("fraud", &[]), 4);
        assert_eq!(p.weight("other", &[]), 0);
        assert_eq!(p.ladder.len(), 1);
        let e = parse("[[ledger.ladder]]\npoints = 4\nmeasure = \"suspend\"\n").unwrap_err();
        assert!(e.message.contains("duration"), "{e}");
        let e = parse("[ledger]\nuser_actions_topic = \"synth.rejected.v1\"\n").unwrap_err();
        assert_eq!(e.location, "/etc/sr/console.toml:2", "{e}");
    }

    #[test]
    fn store_urls_are_checked_on_load() {
        for (url, want) in [
            ("x", "unsupported store URL"),
            ("mysql://u@h/db", "unsupported store URL"),
            ("sqlite://", "names no file"),
            ("sqlite://?mode=rwc", "names no file"),
        ] {
            let e = parse(&format!("[console]\n\nstore = \"{url}\"\n")).unwrap_err();
            assert_eq!(e.location, "/etc/sr/console.toml:3", "{url}: {e}");
            assert!(e.message.contains(want), "{url}: {e}");
        }
        for url in ["sqlite://c.db", "sqlite::memory:", "postgresql://u@h/db"] {
            parse(&format!("[console]\nstore = \"{url}\"\n")).unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "").unwrap();
        let env = [("SYNTH_REVIEW_CONSOLE_STORE".to_string(), String::new())];
        let e = load_console_file(&p, env).unwrap_err();
        assert!(e.location.contains("SYNTH_REVIEW_CONSOLE_STORE"), "{e}");
    }

    #[test]
    fn sqlite_paths_resolve_against_the_folder() {
        let d = Some(Path::new("/srv"));
        assert_eq!(resolve_sqlite("sqlite://c.db", d), "sqlite:///srv/c.db");
        assert_eq!(
            resolve_sqlite("sqlite:///abs/c.db?mode=rwc", d),
            "sqlite:///abs/c.db?mode=rwc"
        );
        assert_eq!(resolve_sqlite("postgres://u@h/db", d), "postgres://u@h/db");
        // Without `//` alike: against the folder, not the current directory.
        assert_eq!(
            resolve_sqlite("sqlite:rel.db?mode=rwc", d),
            "sqlite:///srv/rel.db?mode=rwc"
        );
        assert_eq!(
            resolve_sqlite("sqlite:sub/c.db", d),
            "sqlite:///srv/sub/c.db"
        );
        assert_eq!(resolve_sqlite("sqlite:/abs/c.db", d), "sqlite:/abs/c.db");
        assert_eq!(resolve_sqlite("sqlite::memory:", d), "sqlite::memory:");
        let f = parse("[console]\nstore = \"sqlite:rel.db?mode=rwc\"\n").unwrap();
        assert_eq!(f.console.store, "sqlite:///etc/sr/rel.db?mode=rwc");
    }

    #[test]
    fn the_environment_overrides_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "").unwrap();
        let f = load_console_file(
            &p,
            [(
                "SYNTH_REVIEW_CONSOLE_STORE".to_string(),
                "postgres://a@b/c".to_string(),
            )],
        )
        .unwrap();
        assert_eq!(f.console.store, "postgres://a@b/c");
    }
}
