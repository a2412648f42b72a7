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

/// Reviews one message and enqueues its output records; returns their delivery futures.
pub async fn route(
    engine: &Engine,
    producer: &FutureProducer,
    topics: &Topics,
    worker: &str,
    msg: &BorrowedMessage<'_>,
) -> (Vec<(String, Ack)>, Outcome) {
    let payload = msg.payload().unwrap_or(&[]);
    let reviewed_at = now_rfc3339();
    let source = format!("{}/{}/{}", msg.topic(), msg.partition(), msg.offset());
    let source_timestamp_ms = msg.timestamp().to_millis();
    let mut outputs = Vec::with_capacity(2);
    match parse_event(payload, engine.limits()) {
        Ok(parsed) => {
            tracing::Span::current().record("event_id", parsed.event.event_id.as_str());
            let review = engine.review(&parsed.event);
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
            (outputs, Outcome::Reviewed(review))
        }
        Err(EventError { kind, message }) => {
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
            (outputs, Outcome::DeadLetter(kind))
        }
    }
}

/// Keeps the producer's own headers on a dead letter, after the `dlq.*` ones.
fn copy_headers(msg: &BorrowedMessage<'_>, mut out: OwnedHeaders) -> OwnedHeaders {
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
