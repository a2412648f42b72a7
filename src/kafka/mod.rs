//! Kafka plumbing, kept apart from the review engine: client configuration, the consumer context
//! (rebalances, statistics) and the worker loop ([`worker::run`]).

pub mod limits;
pub mod route;
pub mod transactional;
pub mod worker;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use rdkafka::client::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::statistics::Statistics;

use crate::config::KafkaConfig;
use crate::http::Readiness;
use crate::metrics::Metrics;

/// The worker's instance id, `hostname:pid`, written into audit records.
pub fn worker_id() -> String {
    let host = hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "unknown-host".into());
    format!("{host}:{}", std::process::id())
}

/// Consumer settings. At-least-once (STYLE-ANCHORS §6): offsets are stored by the worker only after
/// the output records of a message are acknowledged (`enable.auto.offset.store=false`), and the
/// stored offsets are committed periodically and on shutdown.
pub fn consumer_config(k: &KafkaConfig) -> ClientConfig {
    let mut c = ClientConfig::new();
    for (key, value) in &k.options {
        c.set(key, value);
    }
    c.set("bootstrap.servers", &k.brokers)
        .set("group.id", &k.group_id)
        .set("client.id", format!("{}-consumer", k.client_id))
        .set("enable.auto.commit", "true")
        .set("auto.commit.interval.ms", k.commit_interval_ms.to_string())
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "false")
        // Never review records of an upstream transaction that may still abort.
        .set("isolation.level", "read_committed");
    if !k.options.contains_key("auto.offset.reset") {
        c.set("auto.offset.reset", "earliest");
    }
    if !k.options.contains_key("statistics.interval.ms") {
        c.set("statistics.interval.ms", "5000");
    }
    // Bounded prefetch: librdkafka's default is 64 MiB per consumer (docs/delivery.md).
    if !k.options.contains_key("queued.max.messages.kbytes") {
        c.set("queued.max.messages.kbytes", "16384");
    }
    c
}

/// Producer settings: idempotent, `acks=all`, so a retried send never duplicates or reorders
/// records within a partition.
pub fn producer_config(k: &KafkaConfig, max_event_bytes: usize) -> ClientConfig {
    let mut c = ClientConfig::new();
    for (key, value) in &k.options {
        if !key.starts_with("auto.") && !key.starts_with("statistics.") {
            c.set(key, value);
        }
    }
    let max_message = producer_max_message_bytes(max_event_bytes);
    c.set("bootstrap.servers", &k.brokers)
        .set("client.id", format!("{}-producer", k.client_id))
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("message.max.bytes", max_message.to_string());
    if !k.options.contains_key("linger.ms") {
        c.set("linger.ms", "5");
    }
    // Bounded producer queue (default 1 GiB): a full queue makes `send` wait (docs/delivery.md).
    if !k.options.contains_key("queue.buffering.max.kbytes") {
        c.set("queue.buffering.max.kbytes", "262144");
    }
    c
}

/// The producer's `message.max.bytes` for an input limit of `max_event_bytes`: a decision record
/// embeds the whole event, so twice the limit plus 1 MiB for reasons and headers (at least
/// librdkafka's default, 1,000,000 bytes).
pub fn producer_max_message_bytes(max_event_bytes: usize) -> usize {
    (max_event_bytes * 2 + (1 << 20)).max(1_000_000)
}

/// The output topics' limits (read first: the producer's batches must fit the smallest, see
/// [`limits`]) and the producer settings with `batch.size` capped accordingly — the common start of
/// both delivery loops.
///
/// # Errors
/// The admin client cannot be created, or an output topic is below
/// [`limits::MIN_OUTPUT_LIMIT`].
pub(crate) async fn output_limits_and_producer_config(
    kafka: &KafkaConfig,
    topics: &crate::config::Topics,
    max_event_bytes: usize,
    read_topic_limits: bool,
) -> Result<
    (
        std::sync::Arc<arc_swap::ArcSwap<limits::OutputLimits>>,
        ClientConfig,
    ),
    worker::WorkerError,
> {
    let limits = limits::watch(
        kafka,
        topics,
        producer_max_message_bytes(max_event_bytes),
        read_topic_limits,
    )
    .await
    .map_err(|source| worker::WorkerError::Client {
        what: "admin client",
        source,
    })?;
    limits::check_minimum(&limits.load()).map_err(worker::WorkerError::TopicLimits)?;
    let mut pc = producer_config(kafka, max_event_bytes);
    limits.load().cap_batch_size(&mut pc);
    Ok((limits, pc))
}

/// Checks that librdkafka accepts every client property (typos in `[kafka.options]` or a
/// `SYNTH_REVIEW_LIBRDKAFKA_*` variable), without connecting to anything.
///
/// # Errors
/// librdkafka's message, e.g. `No such configuration property: "no.such.option"`.
pub fn validate_client_options(k: &KafkaConfig, max_event_bytes: usize) -> Result<(), String> {
    consumer_config(k)
        .create_native_config()
        .map_err(|e| format!("[kafka] consumer settings: {e}"))?;
    let mut p = producer_config(k, max_event_bytes);
    p.set("transactional.id", "validate");
    p.create_native_config()
        .map_err(|e| format!("[kafka] producer settings: {e}"))?;
    Ok(())
}

/// Subscribes to the input topic, marks the producer ready and logs the start-up line — the
/// common last step of both delivery loops.
///
/// # Errors
/// The subscription error.
pub(crate) fn subscribe_and_announce(
    consumer: &rdkafka::consumer::StreamConsumer<WorkerContext>,
    engine: &crate::engine::Engine,
    input: &str,
    group: &str,
    ready: &Readiness,
    metrics: &Metrics,
    mode: &str,
) -> rdkafka::error::KafkaResult<()> {
    consumer.subscribe(&[input])?;
    ready.producer_ready.store(true, Ordering::Relaxed);
    metrics.set_lexicon_terms(engine.name(), engine.lexicon_terms());
    tracing::info!(
        pipeline = engine.name(),
        version = engine.version(),
        lexicon_version = engine.lexicon_version(),
        input,
        group,
        delivery = mode,
        "Worker started."
    );
    Ok(())
}

/// Lets an error log through at most once per interval and counts what it held back, so a
/// broker outage logs a line every few seconds instead of thousands.
#[derive(Debug)]
pub struct LogLimiter {
    interval: std::time::Duration,
    last: std::sync::Mutex<Option<std::time::Instant>>,
    suppressed: std::sync::atomic::AtomicU64,
}

impl LogLimiter {
    /// A limiter letting one log through per `interval`.
    pub fn new(interval: std::time::Duration) -> Self {
        LogLimiter {
            interval,
            last: std::sync::Mutex::new(None),
            suppressed: Default::default(),
        }
    }

    /// `Some(n)` if this log may be written (`n` = logs suppressed since the last one), else `None`.
    pub fn allow(&self) -> Option<u64> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = std::time::Instant::now();
        if last.is_some_and(|t| now.duration_since(t) < self.interval) {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        *last = Some(now);
        Some(self.suppressed.swap(0, Ordering::Relaxed))
    }
}

/// Consumer context: tracks assignment for `/readyz` and `consumer_assigned_partitions`, and turns
/// librdkafka statistics into `consumer_lag{topic,partition}`.
pub struct WorkerContext {
    metrics: Metrics,
    ready: Arc<Readiness>,
    errors: LogLimiter,
    rebalances: std::sync::atomic::AtomicU64,
}

impl WorkerContext {
    /// How many rebalances this consumer has gone through. A transactional batch that saw the
    /// count change is aborted: after a rebalance the consumer rejoins with a *new* generation, so
    /// an offset commit sent with the new group metadata would be accepted by the broker even for
    /// partitions that moved to another worker meanwhile (KIP-447 checks the generation, not the
    /// partition ownership) — and that worker is already reviewing them again.
    pub fn rebalances(&self) -> u64 {
        self.rebalances.load(Ordering::SeqCst)
    }

    /// A context reporting into `metrics` and `ready`.
    pub fn new(metrics: Metrics, ready: Arc<Readiness>) -> Self {
        WorkerContext {
            metrics,
            ready,
            errors: LogLimiter::new(std::time::Duration::from_secs(10)),
            rebalances: Default::default(),
        }
    }
}

impl ClientContext for WorkerContext {
    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        if let Some(suppressed) = self.errors.allow() {
            tracing::error!(%error, reason, suppressed, "librdkafka error (similar errors are logged at most every 10 s).");
        }
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
        // `transactional::run`.
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
