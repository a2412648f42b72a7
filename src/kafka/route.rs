//! Routing one consumed message: parse, review, and enqueue its output records — the decision
//! record (or the original bytes to the dead-letter topic) plus the audit record. Shared by the
//! at-least-once and the exactly-once loops; neither metrics nor offsets are touched here, because
//! only the loop knows when the outputs are durable.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::config::Topics;
use crate::decision::{AuditRecord, Decision};
use crate::engine::{now_rfc3339, Engine, Review};
use crate::event::{parse_event, salvage_event_id, EventError, EventErrorKind};
use crate::metrics::Metrics;

/// The acknowledgement of one produced record.
pub type Ack = Pin<Box<dyn Future<Output = Result<(), KafkaError>> + Send>>;

/// What became of one message, for the metrics once its outputs are durable.
#[derive(Debug)]
pub enum Outcome {
    /// Reviewed with this result.
    Reviewed(Review),
    /// Sent to the dead-letter topic for this reason.
    DeadLetter(EventErrorKind),
}

impl Outcome {
    /// Counts the outcome in `metrics` (call once the outputs are durable).
    pub fn count(&self, metrics: &Metrics) {
        match self {
            Outcome::Reviewed(review) => metrics.reviewed(review),
            Outcome::DeadLetter(kind) => metrics.dead_letter(*kind),
        }
    }
}

/// An output record, built off the async threads and produced later in input order.
#[derive(Debug)]
pub struct OutRecord {
    /// Destination topic.
    pub topic: String,
    /// Record key.
    pub key: Option<Vec<u8>>,
    /// Record value.
    pub value: Vec<u8>,
    /// Record headers, in order.
    pub headers: Vec<(String, Vec<u8>)>,
}

/// Parses and reviews one message and builds its output records: the decision record (or the
/// original bytes for the dead-letter topic, with `dlq.*` headers) and the audit record. Pure CPU
/// work with no I/O, so batches can be prepared on several threads.
pub fn prepare<M: Message>(
    engine: &Engine,
    topics: &Topics,
    worker: &str,
    msg: &M,
) -> (Vec<OutRecord>, Outcome) {
    let span = tracing::debug_span!(
        "event",
        topic = msg.topic(),
        partition = msg.partition(),
        offset = msg.offset(),
        event_id = tracing::field::Empty
    );
    let _entered = span.enter();
    let payload = msg.payload().unwrap_or(&[]);
    let reviewed_at = now_rfc3339();
    let source = format!("{}/{}/{}", msg.topic(), msg.partition(), msg.offset());
    let source_timestamp_ms = msg.timestamp().to_millis();
    let audit = |event_id: Option<String>, decision: &str, reasons: Vec<String>| AuditRecord {
        event_id,
        decision: decision.to_string(),
        reasons,
        pipeline: engine.name().to_string(),
        pipeline_version: engine.version().to_string(),
        lexicon_version: engine.lexicon_version().to_string(),
        source_timestamp_ms,
        reviewed_at: reviewed_at.clone(),
        source: Some(source.clone()),
        worker_id: worker.to_string(),
    };
    match parse_event(payload, engine.limits()) {
        Ok(parsed) => {
            span.record("event_id", parsed.event.event_id.as_str());
            let review = engine.review(&parsed.event);
            let record = engine.record(&parsed.event.event_id, &review, &parsed.raw, &reviewed_at);
            let topic = match review.decision {
                Decision::Approve => &topics.approved,
                Decision::Hold => &topics.held,
                Decision::Reject => &topics.rejected,
            };
            let key = parsed.event.event_id.as_bytes().to_vec();
            let reasons = review
                .reasons
                .iter()
                .map(|r| r.code.as_str().to_string())
                .collect();
            let audit = audit(
                Some(parsed.event.event_id.clone()),
                review.decision.as_str(),
                reasons,
            );
            let records = vec![
                OutRecord {
                    topic: topic.clone(),
                    key: Some(key.clone()),
                    value: serde_json::to_vec(&record).unwrap_or_default(),
                    headers: vec![(
                        "decision".into(),
                        review.decision.as_str().as_bytes().to_vec(),
                    )],
                },
                OutRecord {
                    topic: topics.audit.clone(),
                    key: Some(key),
                    value: serde_json::to_vec(&audit).unwrap_or_default(),
                    headers: Vec::new(),
                },
            ];
            (records, Outcome::Reviewed(review))
        }
        Err(EventError { kind, message }) => {
            tracing::warn!(reason = kind.as_str(), detail = %message, "Dead letter.");
            let mut headers: Vec<(String, Vec<u8>)> = vec![
                ("dlq.reason".into(), kind.as_str().as_bytes().to_vec()),
                ("dlq.detail".into(), message.into_bytes()),
                ("dlq.source.topic".into(), msg.topic().as_bytes().to_vec()),
                (
                    "dlq.source.partition".into(),
                    msg.partition().to_string().into_bytes(),
                ),
                (
                    "dlq.source.offset".into(),
                    msg.offset().to_string().into_bytes(),
                ),
            ];
            // Keep the producer's own headers, after the `dlq.*` ones.
            if let Some(h) = msg.headers() {
                for header in h.iter() {
                    if !header.key.starts_with("dlq.") {
                        headers.push((
                            header.key.to_string(),
                            header.value.unwrap_or_default().to_vec(),
                        ));
                    }
                }
            }
            let event_id = salvage_event_id(payload, engine.limits().max_event_id_bytes);
            let audit_key = event_id
                .as_deref()
                .map(|k| k.as_bytes().to_vec())
                .or_else(|| msg.key().map(<[u8]>::to_vec));
            let audit = audit(event_id, "dead_letter", vec![kind.as_str().to_string()]);
            // The original bytes, unless they could not be produced at all (the producer accepts
            // 2 × max_event_bytes + 1 MiB): then the first max_event_bytes bytes, and the
            // original size in `dlq.truncated`, so one huge message cannot stop the partition.
            let limit = engine.limits().max_event_bytes;
            let value = if payload.len() > 2 * limit {
                headers.push((
                    "dlq.truncated".into(),
                    payload.len().to_string().into_bytes(),
                ));
                payload[..limit].to_vec()
            } else {
                payload.to_vec()
            };
            let records = vec![
                OutRecord {
                    topic: topics.dead_letter.clone(),
                    key: msg.key().map(<[u8]>::to_vec),
                    value,
                    headers,
                },
                OutRecord {
                    topic: topics.audit.clone(),
                    key: audit_key,
                    value: serde_json::to_vec(&audit).unwrap_or_default(),
                    headers: Vec::new(),
                },
            ];
            (records, Outcome::DeadLetter(kind))
        }
    }
}

/// Prepares a batch on up to `threads` threads; the result is in input order.
pub fn prepare_all<M: Message + Sync>(
    engine: &Engine,
    topics: &Topics,
    worker: &str,
    msgs: &[M],
    threads: usize,
) -> Vec<(Vec<OutRecord>, Outcome)> {
    if threads <= 1 || msgs.len() < 2 * threads {
        return msgs
            .iter()
            .map(|m| prepare(engine, topics, worker, m))
            .collect();
    }
    let chunk = msgs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = msgs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|m| prepare(engine, topics, worker, m))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        // Chunks are contiguous and joined in order, so the output keeps the input order.
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// Enqueues prepared records, in order; returns their acknowledgements.
pub async fn produce(producer: &FutureProducer, records: Vec<OutRecord>) -> Vec<(String, Ack)> {
    let mut acks = Vec::with_capacity(records.len());
    for r in records {
        let mut headers = OwnedHeaders::new_with_capacity(r.headers.len());
        for (k, v) in &r.headers {
            headers = headers.insert(Header {
                key: k,
                value: Some(v),
            });
        }
        let ack = send(
            producer,
            &r.topic,
            r.key.as_deref(),
            &r.value,
            Some(headers),
        )
        .await;
        acks.push((r.topic, ack));
    }
    acks
}

/// Prepares one message and enqueues its output records; returns their acknowledgements.
pub async fn route(
    engine: &Engine,
    producer: &FutureProducer,
    topics: &Topics,
    worker: &str,
    msg: &BorrowedMessage<'_>,
) -> (Vec<(String, Ack)>, Outcome) {
    let (records, outcome) = prepare(engine, topics, worker, msg);
    (produce(producer, records).await, outcome)
}

/// Enqueues one record. When librdkafka's local queue is full, waits briefly while its delivery
/// thread drains the queue (backpressure) rather than dropping or buffering without bound.
pub async fn send(
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
