//! `[kafka]`: the consumer group, the delivery guarantee and librdkafka pass-through options, with
//! their `SYNTH_REVIEW_*` environment overrides (so that secrets never live in the file).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{ConfigError, ConfigErrorKind, Invalid};

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
    /// Keys that the delivery guarantee depends on are refused (see [`RESERVED_KAFKA_KEYS`]), and
    /// every key and value is checked by librdkafka when the pipeline is loaded ([`check_option`]).
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

/// The largest `[limits] max_event_bytes` the clients can carry: a decision record embeds the
/// whole event, so the producer's `message.max.bytes` is 2 × `max_event_bytes` + 1 MiB
/// (`kafka::client::producer_max_message_bytes`), and librdkafka accepts at most 1,000,000,000.
pub const MAX_EVENT_BYTES: usize = (1_000_000_000 - (1 << 20)) / 2;

/// Why a librdkafka option is refused ([`check_option`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    /// One of [`RESERVED_KAFKA_KEYS`].
    #[error("`{0}` is set by the worker and cannot be overridden")]
    Reserved(String),
    /// librdkafka does not accept the key or its value; librdkafka's own words, e.g.
    /// `No such configuration property: "no.such.option"`.
    #[error("librdkafka refuses `{key}`: {reason}")]
    Refused {
        /// The property.
        key: String,
        /// librdkafka's message.
        reason: String,
    },
}

/// Checks one librdkafka property the way the clients will be configured with it: not one of
/// [`RESERVED_KAFKA_KEYS`], and accepted by librdkafka (`rd_kafka_conf_set`; nothing connects).
///
/// # Errors
/// [`OptionError::Reserved`] or [`OptionError::Refused`].
pub fn check_option(key: &str, value: &str) -> Result<(), OptionError> {
    if RESERVED_KAFKA_KEYS.contains(&key) {
        return Err(OptionError::Reserved(key.to_string()));
    }
    rdkafka::ClientConfig::new()
        .set(key, value)
        .create_native_config()
        .map_err(|e| OptionError::Refused {
            key: key.to_string(),
            reason: match e {
                rdkafka::error::KafkaError::ClientConfig(_, reason, _, _) => reason,
                other => other.to_string(),
            },
        })?;
    Ok(())
}

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
    /// from `vars` (pass `std::env::vars()`), checking each librdkafka option with [`check_option`].
    ///
    /// # Errors
    /// [`ConfigErrorKind::KafkaOption`] naming the environment variable: a reserved key, or one
    /// that librdkafka refuses.
    pub fn apply_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        for (k, v) in vars {
            if matches!(k.as_str(), "SYNTH_REVIEW_BROKERS" | "SYNTH_REVIEW_GROUP_ID")
                && v.trim().is_empty()
            {
                return Err(ConfigError::new(
                    ConfigErrorKind::KafkaOption,
                    format!("environment variable {k}"),
                    "is empty (unset it to use the pipeline file's value)".to_string(),
                ));
            }
            if k == "SYNTH_REVIEW_BROKERS" {
                self.brokers = v;
            } else if k == "SYNTH_REVIEW_GROUP_ID" {
                self.group_id = v;
            } else if let Some(rest) = k.strip_prefix("SYNTH_REVIEW_LIBRDKAFKA_") {
                let key = rest.to_ascii_lowercase().replace('_', ".");
                check_option(&key, &v).map_err(|e| {
                    ConfigError::new(
                        ConfigErrorKind::KafkaOption,
                        format!("environment variable {k}"),
                        e.to_string(),
                    )
                })?;
                self.options.insert(key, v);
            }
        }
        Ok(())
    }

    /// Checks the numeric settings.
    ///
    /// # Errors
    /// The first setting out of range, with its key.
    pub(crate) fn check(&self) -> Result<(), Invalid> {
        let positive = [
            ("batch_max_events", self.batch_max_events),
            ("batch_max_bytes", self.batch_max_bytes),
            ("max_in_flight", self.max_in_flight),
        ];
        let bad = positive
            .iter()
            .find(|(_, v)| *v == 0)
            .map(|(k, _)| *k)
            .or((self.transaction_timeout_ms < 1_000).then_some("transaction_timeout_ms"));
        if self.brokers.split(',').all(|b| b.trim().is_empty()) {
            return Err(Invalid::new(
                "brokers",
                "[kafka] brokers must name at least one broker (`host:port`, comma-separated)",
            ));
        }
        if self.group_id.trim().is_empty() {
            return Err(Invalid::new(
                "group_id",
                "[kafka] group_id must not be empty",
            ));
        }
        match bad {
            Some(key) => Err(Invalid::new(
                key,
                "[kafka] batch_max_events, batch_max_bytes and max_in_flight must be > 0 and transaction_timeout_ms ≥ 1000",
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_brokers_or_group_id_are_refused() {
        let blank = |brokers: &str, group: &str| KafkaConfig {
            brokers: brokers.into(),
            group_id: group.into(),
            ..KafkaConfig::default()
        };
        assert_eq!(blank("", "g").check().unwrap_err().key, "brokers");
        assert_eq!(blank(" , ", "g").check().unwrap_err().key, "brokers");
        assert_eq!(blank("b:1", " ").check().unwrap_err().key, "group_id");
        assert!(blank("b:1", "g").check().is_ok());
        for var in ["SYNTH_REVIEW_BROKERS", "SYNTH_REVIEW_GROUP_ID"] {
            let e = KafkaConfig::default()
                .apply_env([(var.to_string(), " ".to_string())])
                .unwrap_err();
            assert!(e.to_string().contains(var), "{e}");
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
    fn env_options_are_checked_by_librdkafka_and_name_the_variable() {
        let mut k = KafkaConfig::default();
        let err = k
            .apply_env([("SYNTH_REVIEW_LIBRDKAFKA_NO_SUCH_OPTION".into(), "1".into())])
            .unwrap_err();
        assert_eq!(err.kind, ConfigErrorKind::KafkaOption);
        assert_eq!(
            err.location,
            "environment variable SYNTH_REVIEW_LIBRDKAFKA_NO_SUCH_OPTION"
        );
        assert!(err.message.contains("no.such.option"), "{err}");
        let err = k
            .apply_env([("SYNTH_REVIEW_LIBRDKAFKA_LINGER_MS".into(), "soon".into())])
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("environment variable SYNTH_REVIEW_LIBRDKAFKA_LINGER_MS: "),
            "{err}"
        );
        let err = k
            .apply_env([("SYNTH_REVIEW_LIBRDKAFKA_ACKS".into(), "1".into())])
            .unwrap_err();
        assert_eq!(err.kind, ConfigErrorKind::KafkaOption);
        assert!(err.message.contains("set by the worker"), "{err}");
    }

    #[test]
    fn check_option_accepts_known_properties() {
        check_option("security.protocol", "plaintext").unwrap();
        check_option("socket.timeout.ms", "5000").unwrap();
        check_option("auto.offset.reset", "latest").unwrap();
        check_option("linger.ms", "20").unwrap();
        assert!(matches!(
            check_option("linger.ms", "soon"),
            Err(OptionError::Refused { .. })
        ));
        assert_eq!(
            check_option("group.id", "g"),
            Err(OptionError::Reserved("group.id".into()))
        );
    }
}
