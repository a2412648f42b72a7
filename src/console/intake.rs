//! Intake: the console's consumer of the held topic (`synth.held.v1`), which stores every held
//! decision record as a queue item (`docs/console.md`, "Intake").
//!
//! For each message, in partition order:
//! 1. the value is read as a decision record ([`HeldItem::from_record`], review round 0: the
//!    worker's hold);
//! 2. [`Store::insert_item`] stores it; [`Inserted::New`] and [`Inserted::Duplicate`] (a
//!    redelivery) are both success. A store failure (database down) is retried with backoff
//!    (100 ms doubling to 5 s) for as long as it takes: the message is never skipped, and the
//!    partition waits;
//! 3. only then is the message's offset stored (`enable.auto.offset.store=false`), and stored
//!    offsets are committed asynchronously at most every `commit_interval_ms` (and when the
//!    consumer goes idle), synchronously before partitions are revoked and on shutdown
//!    (`enable.auto.commit=false`).
//!
//! So a committed offset never passes a message the store does not have: a crash between the
//! insert and the commit redelivers messages, which the store answers as duplicates (one item
//! per event id and review round). A record that is not a held decision record (not JSON, no
//! `event_id`, a decision other than `hold`, an unreadable `reviewed_at`) stores nothing: it is
//! logged at error level with its topic, partition, offset and reason, counted in
//! `synth_review_console_intake_invalid_total{reason}`, and its offset is committed like any
//! other, so it does not stall the partition. (The store has no dead-letter table yet; the held
//! topic keeps the record for inspection until its retention ends.)

use std::future::Future;
use std::time::{Duration, Instant};

use prometheus::{IntCounter, IntCounterVec, Opts, Registry};
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::StreamConsumer;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use time::OffsetDateTime;

use super::item::{HeldItem, RecordError};
use super::store::{Inserted, Store};
use crate::config::KafkaConfig;
use crate::kafka::client::{backoff, consumer_config, LogContext, LogLimiter, ERROR_LOG_INTERVAL};

/// The review round the intake stores a held record as: the worker's hold.
pub const INTAKE_ROUND: i64 = 0;

/// Where the intake reads from and as which consumer group.
#[derive(Debug, Clone)]
pub struct IntakeSettings {
    /// The brokers, client id prefix, `commit_interval_ms` and `[kafka.options]` pass-through
    /// options (security settings …); its `group_id` and `delivery` are not used.
    pub kafka: KafkaConfig,
    /// The console's consumer group (not the worker's): its committed offsets say which held
    /// records the store has.
    pub group_id: String,
    /// The held topic (`[topics] held`, `synth.held.v1` by default).
    pub topic: String,
}

/// The intake's counters, registered in a [`Registry`] with [`IntakeMetrics::register`]. Cheap
/// to clone (the counters are shared).
#[derive(Debug, Clone)]
pub struct IntakeMetrics {
    records: IntCounterVec,
    invalid: IntCounterVec,
    store_retries: IntCounter,
}

impl Default for IntakeMetrics {
    fn default() -> Self {
        IntakeMetrics::new()
    }
}

impl IntakeMetrics {
    /// Fresh counters at zero (every label value present), not registered anywhere.
    ///
    /// # Panics
    /// Never in practice: the metric names and labels are fixed and valid.
    pub fn new() -> Self {
        let records = IntCounterVec::new(
            Opts::new(
                "synth_review_console_intake_records_total",
                "Held decision records the console's intake stored, by result: new (a new queue item) or duplicate (a redelivery of an item the store had).",
            ),
            &["result"],
        )
        .expect("metric");
        let invalid = IntCounterVec::new(
            Opts::new(
                "synth_review_console_intake_invalid_total",
                "Messages of the held topic that are not held decision records (nothing stored, offset committed), by reason: malformed, not_held or reviewed_at.",
            ),
            &["reason"],
        )
        .expect("metric");
        let store_retries = IntCounter::new(
            "synth_review_console_intake_store_retries_total",
            "Failed inserts into the console's store that the intake retried (the partition waits meanwhile).",
        )
        .expect("metric");
        for r in ["new", "duplicate"] {
            records.with_label_values(&[r]);
        }
        for r in ["malformed", "not_held", "reviewed_at"] {
            invalid.with_label_values(&[r]);
        }
        IntakeMetrics {
            records,
            invalid,
            store_retries,
        }
    }

    /// Registers the counters in `registry` (one without a namespace: the names carry
    /// `synth_review_`).
    ///
    /// # Errors
    /// A counter of the same name is registered already.
    pub fn register(&self, registry: &Registry) -> prometheus::Result<()> {
        registry.register(Box::new(self.records.clone()))?;
        registry.register(Box::new(self.invalid.clone()))?;
        registry.register(Box::new(self.store_retries.clone()))
    }

    /// Records stored as new queue items.
    pub fn new_items(&self) -> u64 {
        self.records.with_label_values(&["new"]).get()
    }

    /// Records the store had already (redeliveries).
    pub fn duplicates(&self) -> u64 {
        self.records.with_label_values(&["duplicate"]).get()
    }

    /// Messages that were not held decision records, of every reason.
    pub fn invalid(&self) -> u64 {
        ["malformed", "not_held", "reviewed_at"]
            .iter()
            .map(|r| self.invalid.with_label_values(&[r]).get())
            .sum()
    }

    /// Inserts retried after a store failure.
    pub fn store_retries(&self) -> u64 {
        self.store_retries.get()
    }
}

/// Why the intake stopped.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The consumer could not be created or could not subscribe to the held topic.
    #[error("cannot start the intake's Kafka consumer: {0}")]
    Consumer(KafkaError),
    /// Consuming failed for good (authorization, authentication, a fatal client error).
    #[error("consuming the held topic failed: {0}")]
    Consume(KafkaError),
    /// The offsets stored on shutdown could not be committed; the records after the last
    /// committed offset are delivered again (and stored as duplicates) after a restart.
    #[error("final offset commit failed: {0}")]
    Commit(KafkaError),
}

/// The intake's consumer context: librdkafka logs as [`LogContext`], and the stored offsets are
/// committed before partitions are revoked, so that their next owner does not read again what
/// this consumer has stored.
struct IntakeContext {
    logs: LogContext,
}

impl ClientContext for IntakeContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        self.logs.log(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.logs.error(error, reason);
    }

    // The intake has no use for librdkafka's statistics (the worker's `consumer_config` asks
    // for them every 5 s); rdkafka's default would log each, several KB, at info level.
    fn stats(&self, _statistics: rdkafka::statistics::Statistics) {}
}

impl ConsumerContext for IntakeContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(_) = rebalance {
            if let Err(e) = commit(consumer, CommitMode::Sync) {
                // Their next owner reads them again; the store answers duplicates.
                tracing::warn!(error = %e, "Offsets not committed before the revocation.");
            }
        }
    }
}

type IntakeConsumer = StreamConsumer<IntakeContext>;

/// Commits the stored offsets; nothing stored since the last commit is not an error.
fn commit<C: Consumer<X>, X: ConsumerContext>(
    consumer: &C,
    mode: CommitMode,
) -> Result<(), KafkaError> {
    match consumer.commit_consumer_state(mode) {
        Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Consumer settings of the intake: the worker's ([`consumer_config`]: `read_committed`,
/// `enable.auto.offset.store=false`, `auto.offset.reset=earliest` unless configured), with the
/// console's group and `enable.auto.commit=false` (the intake commits itself).
pub fn intake_consumer_config(settings: &IntakeSettings) -> rdkafka::ClientConfig {
    let mut c = consumer_config(&settings.kafka);
    c.set("group.id", &settings.group_id)
        .set(
            "client.id",
            format!("{}-console-intake", settings.kafka.client_id),
        )
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("isolation.level", "read_committed");
    c
}

/// What the intake did until it stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IntakeSummary {
    /// Records stored as new queue items.
    pub new_items: u64,
    /// Records the store had already (redeliveries).
    pub duplicates: u64,
    /// Messages that were not held decision records.
    pub invalid: u64,
}

/// Runs the intake until `shutdown` resolves: consumes `settings.topic` as `settings.group_id`
/// and stores every held decision record in `store` (see the module documentation for the
/// order of insert and commit). On shutdown the stored offsets are committed synchronously and
/// the consumer leaves the group. An insert still being retried when `shutdown` resolves is
/// abandoned without storing its offset: that message is delivered again after a restart.
///
/// # Errors
/// [`IntakeError::Consumer`] when the consumer cannot start, [`IntakeError::Consume`] on a fatal
/// consume error, [`IntakeError::Commit`] when the final commit fails. Store failures are never
/// an error: they are retried.
pub async fn run_intake(
    store: Store,
    settings: &IntakeSettings,
    metrics: IntakeMetrics,
    shutdown: impl Future<Output = ()>,
) -> Result<IntakeSummary, IntakeError> {
    let context = IntakeContext {
        logs: LogContext::new("consumer"),
    };
    let consumer: IntakeConsumer = intake_consumer_config(settings)
        .create_with_context(context)
        .map_err(IntakeError::Consumer)?;
    consumer
        .subscribe(&[settings.topic.as_str()])
        .map_err(IntakeError::Consumer)?;
    tracing::info!(
        topic = settings.topic,
        group = settings.group_id,
        "Console intake started."
    );
    let result = consume(&consumer, &store, settings, &metrics, shutdown).await;
    let committed = commit(&consumer, CommitMode::Sync);
    // Leave the group off the async threads (librdkafka's close blocks).
    let _ = tokio::task::spawn_blocking(move || {
        consumer.unsubscribe();
        drop(consumer);
    })
    .await;
    let summary = result?;
    committed.map_err(IntakeError::Commit)?;
    tracing::info!(
        new_items = summary.new_items,
        duplicates = summary.duplicates,
        invalid = summary.invalid,
        "Console intake stopped."
    );
    Ok(summary)
}

async fn consume(
    consumer: &IntakeConsumer,
    store: &Store,
    settings: &IntakeSettings,
    metrics: &IntakeMetrics,
    shutdown: impl Future<Output = ()>,
) -> Result<IntakeSummary, IntakeError> {
    let mut shutdown = std::pin::pin!(shutdown);
    let interval = Duration::from_millis(settings.kafka.commit_interval_ms.max(1));
    let consume_errors = LogLimiter::new(ERROR_LOG_INTERVAL);
    let mut summary = IntakeSummary::default();
    // Offsets stored but not yet committed, and when they were last committed.
    let mut pending = false;
    let mut last_commit = Instant::now();
    loop {
        let idle_commit = tokio::time::sleep(if pending {
            interval.saturating_sub(last_commit.elapsed())
        } else {
            Duration::from_secs(3600)
        });
        let message = tokio::select! {
            biased;
            () = &mut shutdown => return Ok(summary),
            () = idle_commit, if pending => {
                async_commit(consumer);
                pending = false;
                last_commit = Instant::now();
                continue;
            }
            m = consumer.recv() => m,
        };
        let message = match message {
            Ok(m) => m,
            Err(e) if crate::kafka::error::is_fatal_consume_error(&e) => {
                return Err(IntakeError::Consume(e))
            }
            Err(e) => {
                if let Some(suppressed) = consume_errors.allow() {
                    tracing::warn!(error = %e, suppressed, "Consuming the held topic failed; retrying.");
                }
                continue;
            }
        };
        let (topic, partition, offset) = (message.topic(), message.partition(), message.offset());
        match HeldItem::from_record(message.payload().unwrap_or_default(), INTAKE_ROUND) {
            Ok(item) => match insert(store, &item, metrics, &mut shutdown).await {
                Some(Inserted::New(id)) => {
                    summary.new_items += 1;
                    metrics.records.with_label_values(&["new"]).inc();
                    tracing::debug!(
                        topic,
                        partition,
                        offset,
                        item_id = id,
                        event_id = item.event_id,
                        "Held record stored."
                    );
                }
                Some(Inserted::Duplicate(id)) => {
                    summary.duplicates += 1;
                    metrics.records.with_label_values(&["duplicate"]).inc();
                    tracing::debug!(
                        topic,
                        partition,
                        offset,
                        item_id = id,
                        event_id = item.event_id,
                        "Held record redelivered; the store has it."
                    );
                }
                // Shut down while the store was failing: the offset is not stored.
                None => return Ok(summary),
            },
            Err(e) => {
                summary.invalid += 1;
                let reason = match e {
                    RecordError::Malformed(_) => "malformed",
                    RecordError::NotHeld { .. } => "not_held",
                    RecordError::ReviewedAt { .. } => "reviewed_at",
                };
                metrics.invalid.with_label_values(&[reason]).inc();
                tracing::error!(topic, partition, offset, reason, error = %e, "Not a held decision record: nothing stored, offset committed.");
            }
        }
        // The store has it (or there is nothing to store): the offset may be committed.
        if let Err(e) = consumer.store_offset(topic, partition, offset) {
            // The partition was revoked meanwhile; its next owner reads the message again.
            tracing::debug!(error = %e, topic, partition, offset, "Offset not stored.");
        }
        pending = true;
        if last_commit.elapsed() >= interval {
            async_commit(consumer);
            pending = false;
            last_commit = Instant::now();
        }
    }
}

fn async_commit(consumer: &IntakeConsumer) {
    if let Err(e) = commit(consumer, CommitMode::Async) {
        // The next commit carries the same offsets (or later ones).
        tracing::warn!(error = %e, "Offset commit failed; retried with the next one.");
    }
}

/// Inserts `item`, retrying store failures with backoff until it succeeds; `None` when
/// `shutdown` resolved first.
async fn insert(
    store: &Store,
    item: &HeldItem,
    metrics: &IntakeMetrics,
    shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
) -> Option<Inserted> {
    let errors = LogLimiter::new(ERROR_LOG_INTERVAL);
    let mut attempt = 0u32;
    loop {
        match store.insert_item(item, OffsetDateTime::now_utc()).await {
            Ok(inserted) => return Some(inserted),
            Err(e) => {
                metrics.store_retries.inc();
                let wait = backoff(attempt);
                if let Some(suppressed) = errors.allow() {
                    tracing::error!(error = %e, event_id = item.event_id, attempt, suppressed, retry_in_ms = wait.as_millis() as u64, "Storing a held record failed; retrying (the partition waits, nothing is committed).");
                }
                attempt = attempt.saturating_add(1);
                tokio::select! {
                    biased;
                    () = shutdown.as_mut() => return None,
                    () = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_consumer_reads_committed_and_commits_itself() {
        // At-least-once would turn the worker's auto commit on; the intake turns it off.
        let kafka = KafkaConfig {
            delivery: crate::config::Delivery::AtLeastOnce,
            ..KafkaConfig::default()
        };
        let c = intake_consumer_config(&IntakeSettings {
            kafka,
            group_id: "console".into(),
            topic: "synth.held.v1".into(),
        });
        assert_eq!(c.get("group.id"), Some("console"));
        assert_eq!(c.get("isolation.level"), Some("read_committed"));
        assert_eq!(c.get("enable.auto.commit"), Some("false"));
        assert_eq!(c.get("enable.auto.offset.store"), Some("false"));
        c.create_native_config().unwrap();
    }

    #[test]
    fn backoff_doubles_to_five_seconds() {
        assert_eq!(backoff(0), Duration::from_millis(100));
        assert_eq!(backoff(1), Duration::from_millis(200));
        assert_eq!(backoff(10), Duration::from_secs(5));
    }

    #[test]
    fn metrics_count_by_label() {
        let m = IntakeMetrics::new();
        m.invalid.with_label_values(&["malformed"]).inc();
        m.invalid.with_label_values(&["not_held"]).inc();
        assert_eq!(m.invalid(), 2);
        let registry = Registry::new();
        m.register(&registry).unwrap();
        let names: Vec<String> = registry
            .gather()
            .iter()
            .map(|f| f.name().to_owned())
            .collect();
        assert!(names.contains(&"synth_review_console_intake_invalid_total".to_owned()));
    }
}
