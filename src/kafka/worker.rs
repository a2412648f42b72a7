//! The Kafka worker loop (`synth-review run`).
//!
//! For each consumed message: parse ([`crate::event::parse_event`]), review
//! ([`Engine::review`]), produce exactly one record to approved/held/rejected — or the original
//! bytes to the dead-letter topic — plus one audit record, and only when both are acknowledged by
//! the broker store the message's offset for commit. Acknowledgements are awaited in consumption
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

use futures::stream::{FuturesOrdered, StreamExt};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::util::Timeout;
use arc_swap::ArcSwap;
use tokio::sync::watch;
use tracing::Instrument;

use super::{consumer_config, producer_config, worker_id, WorkerContext};
use crate::config::{KafkaConfig, Topics};
use crate::decision::{AuditRecord, Decision};
use crate::engine::{now_rfc3339, Engine};
use crate::event::{parse_event, salvage_event_id, EventError};
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
}

type Completed = Result<InFlight, WorkerError>;

/// The acknowledgement of one produced record.
type Ack = Pin<Box<dyn Future<Output = Result<(), KafkaError>> + Send>>;

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

/// Runs the worker until `shutdown` resolves or a fatal error occurs.
///
/// # Errors
/// A [`WorkerError`]; stored offsets of acknowledged messages are committed on the way out where possible.
pub async fn run(
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
    } = settings;
    let context = WorkerContext::new(metrics.clone(), ready.clone());
    let consumer: StreamConsumer<WorkerContext> = consumer_config(&kafka)
        .create_with_context(context)
        .map_err(|source| WorkerError::Client {
            what: "consumer",
            source,
        })?;
    let max_event_bytes = engine.load().limits().max_event_bytes;
    let producer: FutureProducer = producer_config(&kafka, max_event_bytes)
        .create()
        .map_err(|source| WorkerError::Client {
            what: "producer",
            source,
        })?;
    consumer
        .subscribe(&[&topics.input])
        .map_err(|source| WorkerError::Client {
            what: "consumer",
            source,
        })?;
    ready.producer_ready.store(true, Ordering::Relaxed);
    {
        let e = engine.load();
        metrics.set_lexicon_terms(e.name(), e.lexicon_terms());
        tracing::info!(
            pipeline = e.name(),
            version = e.version(),
            lexicon_version = e.lexicon_version(),
            input = %topics.input,
            group = %kafka.group_id,
            "Worker started."
        );
    }
    let worker = worker_id();

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
                    Err(error) => { tracing::warn!(%error, "Consume error; continuing."); continue; }
                };
                let consumed_at = Instant::now();
                let span = tracing::debug_span!("event", topic = msg.topic(), partition = msg.partition(), offset = msg.offset(), event_id = tracing::field::Empty);
                // One engine per message: a reload applies from the next message on.
                let current = engine.load_full();
                let outputs = route(&current, &producer, &topics, &metrics, &worker, &msg).instrument(span).await;
                let f = InFlight {
                    topic: msg.topic().to_string(),
                    partition: msg.partition(),
                    offset: msg.offset(),
                    consumed_at,
                    outputs,
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

fn is_fatal_consume_error(e: &KafkaError) -> bool {
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

/// Reviews one message and enqueues its output records; returns their delivery futures.
async fn route(
    engine: &Engine,
    producer: &FutureProducer,
    topics: &Topics,
    metrics: &Metrics,
    worker: &str,
    msg: &rdkafka::message::BorrowedMessage<'_>,
) -> Vec<(String, Ack)> {
    let payload = msg.payload().unwrap_or(&[]);
    let reviewed_at = now_rfc3339();
    let source = format!("{}/{}/{}", msg.topic(), msg.partition(), msg.offset());
    let source_timestamp_ms = msg.timestamp().to_millis();
    let mut outputs = Vec::with_capacity(2);
    match parse_event(payload, engine.limits()) {
        Ok(parsed) => {
            tracing::Span::current().record("event_id", parsed.event.event_id.as_str());
            let review = engine.review(&parsed.event);
            metrics.reviewed(&review);
            let record = engine.record(&parsed.event.event_id, &review, &parsed.raw, &reviewed_at);
            let value = serde_json::to_vec(&record).unwrap_or_default();
            let topic = match review.decision {
                Decision::Approve => &topics.approved,
                Decision::Hold => &topics.held,
                Decision::Reject => &topics.rejected,
            };
            let headers = OwnedHeaders::new().insert(Header {
                key: "decision",
                value: Some(review.decision.as_str()),
            });
            let key = parsed.event.event_id.as_bytes();
            outputs.push((
                topic.clone(),
                send(producer, topic, Some(key), &value, Some(headers)).await,
            ));
            let audit = AuditRecord {
                event_id: Some(parsed.event.event_id.clone()),
                decision: review.decision.as_str().to_string(),
                reasons: review
                    .reasons
                    .iter()
                    .map(|r| r.code.as_str().to_string())
                    .collect(),
                pipeline: engine.name().to_string(),
                pipeline_version: engine.version().to_string(),
                lexicon_version: engine.lexicon_version().to_string(),
                source_timestamp_ms,
                reviewed_at,
                source: Some(source),
                worker_id: worker.to_string(),
            };
            let audit_value = serde_json::to_vec(&audit).unwrap_or_default();
            outputs.push((
                topics.audit.clone(),
                send(producer, &topics.audit, Some(key), &audit_value, None).await,
            ));
        }
        Err(EventError { kind, message }) => {
            metrics.dead_letter(kind);
            tracing::warn!(reason = kind.as_str(), detail = %message, "Dead letter.");
            let partition = msg.partition().to_string();
            let offset = msg.offset().to_string();
            let headers = OwnedHeaders::new()
                .insert(Header {
                    key: "dlq.reason",
                    value: Some(kind.as_str()),
                })
                .insert(Header {
                    key: "dlq.detail",
                    value: Some(message.as_str()),
                })
                .insert(Header {
                    key: "dlq.source.topic",
                    value: Some(msg.topic()),
                })
                .insert(Header {
                    key: "dlq.source.partition",
                    value: Some(partition.as_str()),
                })
                .insert(Header {
                    key: "dlq.source.offset",
                    value: Some(offset.as_str()),
                });
            let headers = copy_headers(msg, headers);
            outputs.push((
                topics.dead_letter.clone(),
                send(
                    producer,
                    &topics.dead_letter,
                    msg.key(),
                    payload,
                    Some(headers),
                )
                .await,
            ));
            let event_id = salvage_event_id(payload, engine.limits().max_event_id_bytes);
            let audit = AuditRecord {
                event_id: event_id.clone(),
                decision: "dead_letter".into(),
                reasons: vec![kind.as_str().to_string()],
                pipeline: engine.name().to_string(),
                pipeline_version: engine.version().to_string(),
                lexicon_version: engine.lexicon_version().to_string(),
                source_timestamp_ms,
                reviewed_at,
                source: Some(source),
                worker_id: worker.to_string(),
            };
            let audit_value = serde_json::to_vec(&audit).unwrap_or_default();
            let key = event_id.as_deref().map(str::as_bytes).or(msg.key());
            outputs.push((
                topics.audit.clone(),
                send(producer, &topics.audit, key, &audit_value, None).await,
            ));
        }
    }
    outputs
}

/// Keeps the producer's own headers on a dead letter, after the `dlq.*` ones.
fn copy_headers(
    msg: &rdkafka::message::BorrowedMessage<'_>,
    mut out: OwnedHeaders,
) -> OwnedHeaders {
    if let Some(h) = msg.headers() {
        for header in h.iter() {
            if !header.key.starts_with("dlq.") {
                out = out.insert(Header {
                    key: header.key,
                    value: header.value,
                });
            }
        }
    }
    out
}

/// Enqueues one record. When librdkafka's local queue is full, waits briefly while its delivery
/// thread drains the queue (backpressure) rather than dropping or buffering without bound.
async fn send(
    producer: &FutureProducer,
    topic: &str,
    key: Option<&[u8]>,
    value: &[u8],
    headers: Option<OwnedHeaders>,
) -> Ack {
    let mut headers = headers;
    loop {
        let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic).payload(value);
        if let Some(k) = key {
            record = record.key(k);
        }
        if let Some(h) = headers.take() {
            record = record.headers(h);
        }
        match producer.send_result(record) {
            Ok(fut) => {
                return Box::pin(async move {
                    match fut.await {
                        Ok(Ok(_)) => Ok(()),
                        Ok(Err((error, _))) => Err(error),
                        Err(_canceled) => Err(KafkaError::Canceled),
                    }
                })
            }
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), rec)) => {
                headers = rec.headers;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            // Not retriable locally (e.g. message too large): reported through the ordered
            // completion path as a delivery failure.
            Err((error, _)) => return Box::pin(async move { Err(error) }),
        }
    }
}
