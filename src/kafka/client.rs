//! Kafka client configuration, built in one place: which `[kafka.options]` reach which client,
//! the settings the delivery guarantee depends on, and the client contexts (rebalances,
//! statistics, rate-limited librdkafka logs).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::producer::FutureProducer;
use rdkafka::statistics::Statistics;

use crate::config::{Delivery, KafkaConfig};
use crate::ops::http::Readiness;
use crate::ops::metrics::Metrics;

/// The worker's producer: librdkafka's future producer with rate-limited logs.
pub type Producer = FutureProducer<LogContext>;

/// The wait before the `attempt`-th retry (0-based) of a failed Kafka or store call: 100 ms
/// doubling to 5 s. The worker's delivery modes, the console's intake and its relay use it.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((100u64 << attempt.min(6)).min(5_000))
}

/// The worker's instance id, `hostname:pid`, written into audit records.
pub fn worker_id() -> String {
    let host = hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "unknown-host".into());
    format!("{host}:{}", std::process::id())
}

/// The three clients the worker creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Consumer,
    Producer,
    Admin,
}

/// Whether a `[kafka.options]` key reaches a client: the consumer gets every option; the
/// producer every option but the consumer's `auto.*` settings and the statistics (it reports
/// none); the admin client, which only reads topic limits, the connection and security settings.
fn passes_to(role: Role, key: &str) -> bool {
    const CONNECTION: &[&str] = &[
        "security.",
        "sasl.",
        "ssl.",
        "socket.",
        "broker.",
        "client.dns",
    ];
    match role {
        Role::Consumer => true,
        Role::Producer => !key.starts_with("auto.") && !key.starts_with("statistics."),
        Role::Admin => CONNECTION.iter().any(|p| key.starts_with(p)),
    }
}

fn base(k: &KafkaConfig, role: Role, suffix: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    for (key, value) in k.options.iter().filter(|(key, _)| passes_to(role, key)) {
        c.set(key, value);
    }
    c.set("bootstrap.servers", &k.brokers)
        .set("client.id", format!("{}-{suffix}", k.client_id));
    c
}

fn set_default(c: &mut ClientConfig, k: &KafkaConfig, key: &str, value: &str) {
    if !k.options.contains_key(key) {
        c.set(key, value);
    }
}

/// Consumer settings for a delivery guarantee.
///
/// Exactly-once: offsets are committed only through the producer's transactions
/// (`enable.auto.commit=false`). At-least-once (STYLE-ANCHORS §6): offsets are stored by the
/// worker only after the output records of a message are acknowledged
/// (`enable.auto.offset.store=false`), and the stored offsets are committed every
/// `commit_interval_ms` and on shutdown. Both read only committed upstream records.
pub fn consumer_config(k: &KafkaConfig) -> ClientConfig {
    let mut c = base(k, Role::Consumer, "consumer");
    c.set("group.id", &k.group_id)
        .set(
            "enable.auto.commit",
            (k.delivery == Delivery::AtLeastOnce).to_string(),
        )
        .set("auto.commit.interval.ms", k.commit_interval_ms.to_string())
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "false")
        // Never review records of an upstream transaction that may still abort.
        .set("isolation.level", "read_committed");
    set_default(&mut c, k, "auto.offset.reset", "earliest");
    set_default(&mut c, k, "statistics.interval.ms", "5000");
    // Bounded prefetch: librdkafka's default is 64 MiB per consumer (docs/delivery.md).
    set_default(&mut c, k, "queued.max.messages.kbytes", "16384");
    c
}

/// Producer settings: idempotent, `acks=all`, so a retried send never duplicates or reorders
/// records within a partition. `max_event_bytes` is the input limit (see
/// [`producer_max_message_bytes`]). The caller adds `transactional.id` for exactly-once and caps
/// `batch.size` to the output topics (see [`super::limits::OutputLimits::cap_batch_size`]).
pub fn producer_config(k: &KafkaConfig, max_event_bytes: usize) -> ClientConfig {
    let mut c = base(k, Role::Producer, "producer");
    c.set("enable.idempotence", "true").set("acks", "all").set(
        "message.max.bytes",
        producer_max_message_bytes(max_event_bytes).to_string(),
    );
    set_default(&mut c, k, "linger.ms", "5");
    // Bounded producer queue (default 1 GiB): a full queue makes `send` wait (docs/delivery.md).
    set_default(&mut c, k, "queue.buffering.max.kbytes", "262144");
    c
}

/// Admin client settings (DescribeConfigs of the output topics, [`super::limits`]).
pub fn admin_config(k: &KafkaConfig) -> ClientConfig {
    base(k, Role::Admin, "admin")
}

/// The producer's `message.max.bytes` for an input limit of `max_event_bytes`: a decision record
/// embeds the whole event, so twice the limit plus 1 MiB for reasons and headers (at least
/// librdkafka's default, 1,000,000 bytes).
pub fn producer_max_message_bytes(max_event_bytes: usize) -> usize {
    (max_event_bytes * 2 + (1 << 20)).max(1_000_000)
}

/// Lets an error log through at most once per interval and counts what it held back, so a
/// broker outage logs a line every few seconds instead of thousands.
#[derive(Debug)]
pub struct LogLimiter {
    interval: Duration,
    last: Mutex<Option<Instant>>,
    suppressed: AtomicU64,
}

impl LogLimiter {
    /// A limiter letting one log through per `interval`.
    pub fn new(interval: Duration) -> Self {
        LogLimiter {
            interval,
            last: Mutex::new(None),
            suppressed: AtomicU64::new(0),
        }
    }

    /// `Some(n)` if this log may be written (`n` = logs suppressed since the last one), else `None`.
    pub fn allow(&self) -> Option<u64> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if last.is_some_and(|t| now.duration_since(t) < self.interval) {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        *last = Some(now);
        Some(self.suppressed.swap(0, Ordering::Relaxed))
    }
}

/// How often an error-level log of one client gets through while errors repeat.
pub const ERROR_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Client context of the producer (and the base of the consumer's): librdkafka's log lines and
/// error callbacks reach `tracing`, errors and warnings at most once per
/// [`ERROR_LOG_INTERVAL`] each (with the count held back), so a broker outage does not flood the
/// log.
#[derive(Debug)]
pub struct LogContext {
    client: &'static str,
    errors: LogLimiter,
    warnings: LogLimiter,
}

impl LogContext {
    /// A context for the client named `client` (`producer`, `consumer`).
    pub fn new(client: &'static str) -> Self {
        LogContext {
            client,
            errors: LogLimiter::new(ERROR_LOG_INTERVAL),
            warnings: LogLimiter::new(ERROR_LOG_INTERVAL),
        }
    }
}

impl ClientContext for LogContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        let client = self.client;
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error => {
                if let Some(suppressed) = self.errors.allow() {
                    tracing::error!(client, fac, suppressed, "librdkafka: {log_message}");
                }
            }
            RDKafkaLogLevel::Warning => {
                if let Some(suppressed) = self.warnings.allow() {
                    tracing::warn!(client, fac, suppressed, "librdkafka: {log_message}");
                }
            }
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::info!(client, fac, "librdkafka: {log_message}")
            }
            RDKafkaLogLevel::Debug => tracing::debug!(client, fac, "librdkafka: {log_message}"),
        }
    }

    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        // The end of a partition (`enable.partition.eof`) is an event for the consumer, not an
        // error.
        use rdkafka::error::{KafkaError, RDKafkaErrorCode};
        if matches!(
            error,
            KafkaError::PartitionEOF(_) | KafkaError::Global(RDKafkaErrorCode::PartitionEOF)
        ) {
            return;
        }
        if let Some(suppressed) = self.errors.allow() {
            let client = self.client;
            tracing::error!(%error, reason, client, suppressed, "librdkafka error (similar errors are logged at most every 10 s).");
        }
    }

    // A client that only logs has no use for librdkafka's statistics (`consumer_config` asks
    // for them every 5 s, for the worker's lag metric); rdkafka's default would log each, a
    // line of several KB, at info level.
    fn stats(&self, _statistics: Statistics) {}
}

/// A consumer that only logs (partition assignment by the application, e.g. the console's
/// ledger reader).
impl rdkafka::consumer::ConsumerContext for LogContext {}

/// Consumer context: tracks assignment for `/readyz` and `consumer_assigned_partitions`, counts
/// rebalances, turns librdkafka statistics into `consumer_lag{topic,partition}`, and logs like
/// [`LogContext`].
pub struct WorkerContext {
    metrics: Metrics,
    ready: Arc<Readiness>,
    logs: LogContext,
    rebalances: AtomicU64,
}

impl WorkerContext {
    /// A context reporting into `metrics` and `ready`.
    pub fn new(metrics: Metrics, ready: Arc<Readiness>) -> Self {
        WorkerContext {
            metrics,
            ready,
            logs: LogContext::new("consumer"),
            rebalances: AtomicU64::new(0),
        }
    }

    /// How many rebalances this consumer has gone through. A transactional batch that saw the
    /// count change is aborted: after a rebalance the consumer rejoins with a *new* generation, so
    /// an offset commit sent with the new group metadata would be accepted by the broker even for
    /// partitions that moved to another worker meanwhile (KIP-447 checks the generation, not the
    /// partition ownership) — and that worker is already reviewing them again.
    pub fn rebalances(&self) -> u64 {
        self.rebalances.load(Ordering::SeqCst)
    }
}

impl ClientContext for WorkerContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        self.logs.log(level, fac, log_message);
    }

    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        self.logs.error(error, reason);
    }

    fn stats(&self, statistics: Statistics) {
        let mut seen = Vec::new();
        for (name, topic) in &statistics.topics {
            for (id, p) in &topic.partitions {
                // Committed lag; in exactly-once mode offsets are committed through the producer's
                // transaction, so the consumer only knows the offsets it stored after each commit.
                let lag = if p.consumer_lag >= 0 {
                    p.consumer_lag
                } else {
                    p.consumer_lag_stored
                };
                if *id >= 0 && p.desired && lag >= 0 {
                    self.metrics.set_consumer_lag(name, *id, lag);
                    seen.push((name.clone(), *id));
                }
            }
        }
        // Drop series of partitions no longer assigned, without a window where none exist.
        self.metrics.retain_consumer_lag(&seen);
    }
}

impl ConsumerContext for WorkerContext {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, _rebalance: &Rebalance<'_>) {
        // Any rebalance (revoke or assign) invalidates the batch in progress: see
        // `exactly_once`.
        self.rebalances.fetch_add(1, Ordering::SeqCst);
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let n = consumer.assignment().map(|a| a.count()).unwrap_or(0);
        match rebalance {
            Rebalance::Assign(tpl) => tracing::info!(
                partitions = tpl.count(),
                assigned = n,
                "Partitions assigned."
            ),
            Rebalance::Revoke(tpl) => tracing::info!(
                partitions = tpl.count(),
                assigned = n,
                "Partitions revoked."
            ),
            Rebalance::Error(error) => tracing::warn!(%error, "Rebalance failed."),
        }
        self.metrics.set_assigned_partitions(n);
        self.ready.assigned.store(n > 0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_reach_the_clients_they_apply_to() {
        let mut k = KafkaConfig::default();
        for (key, v) in [
            ("security.protocol", "SASL_SSL"),
            ("auto.offset.reset", "latest"),
            ("statistics.interval.ms", "1000"),
            ("linger.ms", "20"),
        ] {
            k.options.insert(key.into(), v.into());
        }
        let c = consumer_config(&k);
        let p = producer_config(&k, 1 << 20);
        let a = admin_config(&k);
        assert_eq!(c.get("security.protocol"), Some("SASL_SSL"));
        assert_eq!(p.get("security.protocol"), Some("SASL_SSL"));
        assert_eq!(a.get("security.protocol"), Some("SASL_SSL"));
        assert_eq!(c.get("auto.offset.reset"), Some("latest"));
        assert_eq!(p.get("auto.offset.reset"), None);
        assert_eq!(a.get("auto.offset.reset"), None);
        assert_eq!(c.get("statistics.interval.ms"), Some("1000"));
        assert_eq!(p.get("statistics.interval.ms"), None);
        assert_eq!(p.get("linger.ms"), Some("20"));
        assert_eq!(a.get("linger.ms"), None);
        assert_eq!(c.get("enable.auto.commit"), Some("false"), "exactly-once");
        k.delivery = Delivery::AtLeastOnce;
        assert_eq!(consumer_config(&k).get("enable.auto.commit"), Some("true"));
    }

    /// `[limits] max_event_bytes` is bounded by the config checks so that the producer settings
    /// derived from it stay acceptable to librdkafka.
    #[test]
    fn producer_settings_are_accepted_up_to_the_largest_event_limit() {
        let k = KafkaConfig::default();
        let max = crate::config::MAX_EVENT_BYTES;
        producer_config(&k, max).create_native_config().unwrap();
        assert!(producer_config(&k, max + 1).create_native_config().is_err());
        consumer_config(&k).create_native_config().unwrap();
    }
}
