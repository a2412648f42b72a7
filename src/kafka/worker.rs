//! The Kafka worker (`synth-review run`): [`run`] picks the loop for the configured delivery
//! guarantee — [`super::transactional`] for exactly-once (default) or the at-least-once loop here.
//!
//! At-least-once: for each consumed message, route it ([`super::route::route`]: parse, review,
//! produce the decision or dead-letter record plus the audit record), and only when both are
//! acknowledged by the broker store the message's offset for commit. Acknowledgements are awaited in consumption
//! order (a `FuturesOrdered`), so the stored offset of a partition never passes a message whose
//! output is not yet durable, and never moves backwards. At most `max_in_flight` messages are
//! unacknowledged at once; beyond that the loop stops reading (backpressure).
//!
//! Shutdown (the `shutdown` future, wired to SIGINT/SIGTERM by the binary): stop reading, wait up
//! to `drain_timeout_ms` for in-flight acknowledgements, store their offsets, commit synchronously,
//! leave the group.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use futures::stream::{FuturesOrdered, StreamExt};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, Producer};
use rdkafka::util::Timeout;
use tokio::sync::watch;
use tracing::Instrument;

use super::route::{route, Ack, Outcome};
use super::{consumer_config, worker_id, WorkerContext};
use crate::config::{Delivery, KafkaConfig, Topics};
use crate::engine::Engine;
use crate::http::Readiness;
use crate::metrics::Metrics;

/// Errors that stop the worker (exit code 1).
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// A client could not be created or subscribed (bad settings, unknown option).
    #[error("cannot create the Kafka {what}: {source}")]
    Client {
        /// `consumer` or `producer`.
        what: &'static str,
        /// The librdkafka error.
        source: KafkaError,
    },
    /// An output topic's `max.message.bytes` is below [`super::limits::MIN_OUTPUT_LIMIT`].
    #[error("output topics accept records of at most {0}; the worker needs at least {min} bytes (raise max.message.bytes)", min = super::limits::MIN_OUTPUT_LIMIT)]
    TopicLimits(String),
    /// Consuming failed with a non-retriable error.
    #[error("consuming failed: {0}")]
    Consume(KafkaError),
    /// An output record could not be delivered: its input offset is not committed, so a restart
    /// reviews the message again (at-least-once).
    #[error("delivery to `{topic}` failed for input {source_topic}/{partition}@{offset}: {error}")]
    Delivery {
        /// The output topic.
        topic: String,
        /// Input topic.
        source_topic: String,
        /// Input partition.
        partition: i32,
        /// Input offset.
        offset: i64,
        /// The error.
        error: KafkaError,
    },
    /// In-flight records were not acknowledged within the drain timeout.
    #[error("{0} records still unacknowledged after the drain timeout; their offsets were not committed")]
    DrainTimeout(usize),
    /// The final offset commit failed.
    #[error("final offset commit failed: {0}")]
    Commit(KafkaError),
    /// A transaction failed fatally: the producer was fenced by another instance with the same
    /// `transactional.id`, or the broker reported a fatal error. The open transaction is aborted
    /// by the broker; its records never become visible to `read_committed` consumers.
    #[error("transaction failed fatally: {0}")]
    Transaction(KafkaError),
}

/// Everything the worker needs besides the engine.
pub struct WorkerSettings {
    /// Client settings (after environment overrides).
    pub kafka: KafkaConfig,
    /// Topic names.
    pub topics: Topics,
    /// Operational metrics.
    pub metrics: Metrics,
    /// Readiness flags for `/readyz`.
    pub ready: Arc<Readiness>,
    /// If set, receives the number of input messages fully acknowledged so far (used by `demo`
    /// and tests to wait on a condition rather than on time).
    pub progress: Option<watch::Sender<u64>>,
    /// Whether to read the output topics' `max.message.bytes` from the broker (DescribeConfigs,
    /// see [`super::limits`]). `false` only for librdkafka's mock cluster (`demo`), which does not
    /// serve that request; records are then checked against the producer's limit only.
    pub read_topic_limits: bool,
}

/// Counts of a finished run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    /// Input messages whose outputs were acknowledged and offsets stored.
    pub acknowledged: u64,
}

struct InFlight {
    topic: String,
    partition: i32,
    offset: i64,
    consumed_at: Instant,
    outputs: Vec<(String, Ack)>,
    outcome: Outcome,
}

type Completed = Result<InFlight, WorkerError>;

type InFlightQueue = FuturesOrdered<Pin<Box<dyn Future<Output = Completed> + Send>>>;

async fn await_outputs(mut f: InFlight) -> Completed {
    for (topic, fut) in std::mem::take(&mut f.outputs) {
        let Err(error) = fut.await else { continue };
        return Err(WorkerError::Delivery {
            topic,
            source_topic: f.topic.clone(),
            partition: f.partition,
            offset: f.offset,
            error,
        });
    }
    Ok(f)
}

/// Runs the worker until `shutdown` resolves or a fatal error occurs, with the delivery guarantee
/// of `settings.kafka.delivery`.
///
/// # Errors
/// A [`WorkerError`]; what is durable is committed on the way out where possible.
pub async fn run(
    engine: Arc<ArcSwap<Engine>>,
    settings: WorkerSettings,
    shutdown: impl Future<Output = ()>,
) -> Result<RunSummary, WorkerError> {
    match settings.kafka.delivery {
        Delivery::ExactlyOnce => super::transactional::run(engine, settings, shutdown).await,
        Delivery::AtLeastOnce => run_at_least_once(engine, settings, shutdown).await,
    }
}

async fn run_at_least_once(
    engine: Arc<ArcSwap<Engine>>,
    settings: WorkerSettings,
    shutdown: impl Future<Output = ()>,
) -> Result<RunSummary, WorkerError> {
    let WorkerSettings {
        kafka,
        topics,
        metrics,
        ready,
        progress,
        read_topic_limits,
    } = settings;
    let context = WorkerContext::new(metrics.clone(), ready.clone());
    let consumer: StreamConsumer<WorkerContext> = consumer_config(&kafka)
        .create_with_context(context)
        .map_err(|source| WorkerError::Client {
            what: "consumer",
            source,
        })?;
    let max_event_bytes = engine.load().limits().max_event_bytes;
    let (limits, pc) = super::output_limits_and_producer_config(
        &kafka,
        &topics,
        max_event_bytes,
        read_topic_limits,
    )
    .await?;
    let producer: FutureProducer = pc.create().map_err(|source| WorkerError::Client {
        what: "producer",
        source,
    })?;
    super::subscribe_and_announce(
        &consumer,
        &engine.load(),
        &topics.input,
        &kafka.group_id,
        &ready,
        &metrics,
        "at_least_once",
    )
    .map_err(|source| WorkerError::Client {
        what: "consumer",
        source,
    })?;
    let worker = worker_id();
    let consume_errors = super::LogLimiter::new(Duration::from_secs(10));

    let mut in_flight: InFlightQueue = FuturesOrdered::new();
    let mut summary = RunSummary::default();
    let mut fatal: Option<WorkerError> = None;
    tokio::pin!(shutdown);

    loop {
        tokio::select! {
            biased;
            _ = &mut shutdown => {
                tracing::info!(in_flight = in_flight.len(), "Shutdown requested; draining.");
                break;
            }
            Some(done) = in_flight.next(), if !in_flight.is_empty() => {
                if let Err(e) = complete(&consumer, &metrics, &progress, &mut summary, done) {
                    fatal = Some(e);
                    break;
                }
            }
            msg = consumer.recv(), if in_flight.len() < kafka.max_in_flight => {
                let msg = match msg {
                    Ok(m) => m,
                    Err(e) if is_fatal_consume_error(&e) => { fatal = Some(WorkerError::Consume(e)); break; }
                    Err(error) => { if let Some(suppressed) = consume_errors.allow() { tracing::warn!(%error, suppressed, "Consume error; continuing (logged at most every 10 s)."); }; continue; }
                };
                let consumed_at = Instant::now();
                let span = tracing::debug_span!("event", topic = msg.topic(), partition = msg.partition(), offset = msg.offset(), event_id = tracing::field::Empty);
                // One engine per message: a reload applies from the next message on.
                let current = engine.load_full();
                let (outputs, outcome) = route(&current, &producer, &topics, &limits.load(), &worker, &msg).instrument(span).await;
                let f = InFlight {
                    topic: msg.topic().to_string(),
                    partition: msg.partition(),
                    offset: msg.offset(),
                    consumed_at,
                    outputs,
                    outcome,
                };
                in_flight.push_back(Box::pin(await_outputs(f)));
            }
        }
    }

    // Drain: everything already produced gets its acknowledgement (or the deadline passes).
    let deadline = tokio::time::sleep(Duration::from_millis(kafka.drain_timeout_ms));
    tokio::pin!(deadline);
    while fatal.is_none() && !in_flight.is_empty() {
        tokio::select! {
            _ = &mut deadline => { fatal = Some(WorkerError::DrainTimeout(in_flight.len())); }
            Some(done) = in_flight.next() => {
                if let Err(e) = complete(&consumer, &metrics, &progress, &mut summary, done) {
                    fatal = Some(e);
                }
            }
        }
    }
    // Commit what is stored (only acknowledged messages ever are), then leave the group.
    let commit = match consumer.commit_consumer_state(CommitMode::Sync) {
        Ok(()) => Ok(()),
        // Nothing stored since the last commit is not an error.
        Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => Ok(()),
        Err(e) => Err(WorkerError::Commit(e)),
    };
    let _ = producer.flush(Timeout::After(Duration::from_secs(5)));
    consumer.unsubscribe();
    ready.assigned.store(false, Ordering::Relaxed);
    tracing::info!(acknowledged = summary.acknowledged, "Worker stopped.");
    match (fatal, commit) {
        (Some(e), _) => Err(e),
        (None, Err(e)) => Err(e),
        (None, Ok(())) => Ok(summary),
    }
}

pub(super) fn is_fatal_consume_error(e: &KafkaError) -> bool {
    matches!(
        e.rdkafka_error_code(),
        Some(RDKafkaErrorCode::Fatal)
            | Some(RDKafkaErrorCode::TopicAuthorizationFailed)
            | Some(RDKafkaErrorCode::GroupAuthorizationFailed)
            | Some(RDKafkaErrorCode::SaslAuthenticationFailed)
    )
}

fn complete(
    consumer: &StreamConsumer<WorkerContext>,
    metrics: &Metrics,
    progress: &Option<watch::Sender<u64>>,
    summary: &mut RunSummary,
    done: Completed,
) -> Result<(), WorkerError> {
    let f = match done {
        Ok(f) => f,
        Err(e) => {
            metrics.produce_error();
            return Err(e);
        }
    };
    metrics.latency(f.consumed_at.elapsed());
    f.outcome.count(metrics);
    if let Err(error) = consumer.store_offset(&f.topic, f.partition, f.offset) {
        // The partition was revoked meanwhile; its new owner reviews the message again.
        tracing::debug!(%error, topic = %f.topic, partition = f.partition, offset = f.offset, "Offset not stored.");
    }
    summary.acknowledged += 1;
    if let Some(tx) = progress {
        tx.send_replace(summary.acknowledged);
    }
    Ok(())
}
