//! The output records of one consumed message: parse, review, and build the decision record (or
//! the original bytes for the dead-letter topic) plus the audit record; then enqueue them.
//! Neither metrics nor offsets are touched here, because only the delivery mode knows when the
//! outputs are durable.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::FutureRecord;

use super::client::Producer;
use super::limits::OutputLimits;
use crate::config::Topics;
use crate::decision::{AuditRecord, Decision};
use crate::engine::{now_rfc3339, Engine, Review};
use crate::event::{parse_event, salvage_event_id, EventError, EventErrorKind};
use crate::ops::metrics::Metrics;

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
///
/// Every record is checked against `limits` (the output topics' `max.message.bytes`, see
/// [`super::limits`]): a decision record too large for its topic makes the event a dead letter
/// `too_large` (the decision and its reasons named in `dlq.detail`), and a dead letter too large
/// for the dead-letter topic is cut to fit, so no record is ever refused for its size.
pub fn prepare<M: Message>(
    engine: &Engine,
    topics: &Topics,
    limits: &OutputLimits,
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
    let dead_letter = |kind: EventErrorKind, message: String| {
        let event_id = salvage_event_id(payload, engine.limits().max_event_id_bytes);
        let audit = audit(event_id, "dead_letter", vec![kind.as_str().to_string()]);
        dead_letter_records(engine, topics, limits, msg, kind, message, &audit)
    };
    match parse_event(payload, engine.limits()) {
        Ok(parsed) => {
            span.record("event_id", parsed.event.event_id.as_str());
            let review = match engine.review(&parsed.event) {
                Ok(review) => review,
                // A stage panicked (logged with the stage name by the engine): the event is
                // a dead letter, and the partition moves on.
                Err(e) => return dead_letter(EventErrorKind::InternalError, e.to_string()),
            };
            let record = engine.record(&parsed.event.event_id, &review, &parsed.raw, &reviewed_at);
            let topic = match review.decision {
                Decision::Approve => &topics.approved,
                Decision::Hold => &topics.held,
                Decision::Reject => &topics.rejected,
            };
            let key = parsed.event.event_id.as_bytes().to_vec();
            // The audit record names each reason code once (the decision record has them all),
            // which keeps it small whatever the text.
            let mut reasons: Vec<String> = Vec::new();
            for r in &review.reasons {
                if !reasons.iter().any(|c| c == r.code.as_str()) {
                    reasons.push(r.code.as_str().to_string());
                }
            }
            let value = match crate::event::to_line_json(&record) {
                Ok(v) => v,
                Err(e) => {
                    let message = format!("cannot serialize the decision record: {e}");
                    return dead_letter(EventErrorKind::InternalError, message);
                }
            };
            let headers = vec![(
                "decision".to_string(),
                review.decision.as_str().as_bytes().to_vec(),
            )];
            if !limits.fits(topic, Some(&key), value.len(), &headers) {
                let message = format!(
                    "the {} decision record (reasons: [{}]) is {} bytes; topic `{topic}` accepts \
                     records of at most {} bytes (max.message.bytes)",
                    review.decision.as_str(),
                    reason_counts(&review),
                    value.len(),
                    limits.limit(topic),
                );
                return dead_letter(EventErrorKind::TooLarge, message);
            }
            let audit = audit(
                Some(parsed.event.event_id.clone()),
                review.decision.as_str(),
                reasons,
            );
            let records = vec![
                OutRecord {
                    topic: topic.clone(),
                    key: Some(key.clone()),
                    value,
                    headers,
                },
                OutRecord {
                    topic: topics.audit.clone(),
                    key: Some(key),
                    value: audit_json(&audit),
                    headers: Vec::new(),
                },
            ];
            (records, Outcome::Reviewed(review))
        }
        Err(EventError { kind, message }) => dead_letter(kind, message),
    }
}

/// The audit record as JSON. Serializing it cannot fail (strings, numbers and lists only); should
/// it ever, a minimal record still says what happened, rather than an empty one.
fn audit_json(audit: &AuditRecord) -> Vec<u8> {
    crate::event::to_line_json(audit).unwrap_or_else(|error| {
        tracing::error!(%error, "Cannot serialize an audit record; writing a minimal one.");
        serde_json::json!({"decision": audit.decision, "reasons": ["internal_error"],
            "worker_id": audit.worker_id})
        .to_string()
        .into_bytes()
    })
}

/// The longest `dlq.detail`, in bytes: details are one-line explanations, and a bounded header
/// keeps every dead letter within [`super::limits::MIN_OUTPUT_LIMIT`].
pub const MAX_DETAIL_BYTES: usize = 1024;
/// The longest record key the worker writes to the dead-letter and audit topics when a key has to
/// be cut to fit (the original length is then in `dlq.key_truncated`).
pub const MAX_CUT_KEY_BYTES: usize = 1024;

/// Each reason code once, with its count when it occurs more than once: `prohibited_term×52`.
fn reason_counts(review: &Review) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for r in &review.reasons {
        match counts.iter_mut().find(|(c, _)| *c == r.code.as_str()) {
            Some((_, n)) => *n += 1,
            None => counts.push((r.code.as_str(), 1)),
        }
    }
    counts
        .iter()
        .map(|(c, n)| {
            if *n > 1 {
                format!("{c}×{n}")
            } else {
                c.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `s` cut to at most `max` bytes at a character boundary, with `…` when cut.
fn cut_str(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max.saturating_sub('…'.len_utf8());
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

/// The dead-letter record (the original key and bytes with the `dlq.*` headers of DESIGN §1, then
/// the producer's own headers) and the audit record of a message that could not be reviewed.
fn dead_letter_records<M: Message>(
    engine: &Engine,
    topics: &Topics,
    limits: &OutputLimits,
    msg: &M,
    kind: EventErrorKind,
    message: String,
    audit: &AuditRecord,
) -> (Vec<OutRecord>, Outcome) {
    tracing::warn!(reason = kind.as_str(), detail = %message, "Dead letter.");
    let payload = msg.payload().unwrap_or(&[]);
    let mut headers: Vec<(String, Vec<u8>)> = vec![
        ("dlq.reason".into(), kind.as_str().as_bytes().to_vec()),
        (
            "dlq.detail".into(),
            cut_str(message, MAX_DETAIL_BYTES).into_bytes(),
        ),
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
    let own_headers = headers.len();
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
    let dlq = &topics.dead_letter;
    let mut key = msg.key();
    // Room for the header that says the value was cut (its value: the original size).
    let truncated_header = (
        "dlq.truncated".to_string(),
        payload.len().to_string().into_bytes(),
    );
    let with_truncated = |h: &[(String, Vec<u8>)]| {
        let mut h = h.to_vec();
        h.push(truncated_header.clone());
        h
    };
    // If the producer's headers alone leave no room, they are dropped (and counted).
    if !limits.fits(dlq, key, 0, &with_truncated(&headers)) && headers.len() > own_headers {
        let dropped = headers.len() - own_headers;
        headers.truncate(own_headers);
        headers.push((
            "dlq.headers_dropped".into(),
            dropped.to_string().into_bytes(),
        ));
    }
    // A key too long for the topic is cut (an oversized key cannot be produced at all).
    if let Some(k) = key.filter(|k| k.len() > MAX_CUT_KEY_BYTES) {
        if !limits.fits(dlq, key, 0, &with_truncated(&headers)) {
            headers.push(("dlq.key_truncated".into(), k.len().to_string().into_bytes()));
            key = Some(&k[..MAX_CUT_KEY_BYTES]);
        }
    }
    // The original bytes, unless they could not be produced at all (the producer accepts
    // 2 × max_event_bytes + 1 MiB) or do not fit the dead-letter topic: then as many of the first
    // bytes as fit (at most max_event_bytes), and the original size in `dlq.truncated`, so one
    // huge message cannot stop the partition.
    let max_event = engine.limits().max_event_bytes;
    let value = if payload.len() > 2 * max_event || !limits.fits(dlq, key, payload.len(), &headers)
    {
        headers.push(truncated_header.clone());
        let room = limits.room_for_value(dlq, key, &headers);
        payload[..payload.len().min(max_event).min(room)].to_vec()
    } else {
        payload.to_vec()
    };
    // The audit key: the event id (at most max_event_id_bytes), else the message key, cut to
    // MAX_CUT_KEY_BYTES.
    let audit_key = audit
        .event_id
        .as_deref()
        .map(|k| k.as_bytes().to_vec())
        .or_else(|| {
            msg.key()
                .map(|k| k[..k.len().min(MAX_CUT_KEY_BYTES)].to_vec())
        });
    let records = vec![
        OutRecord {
            topic: dlq.clone(),
            key: key.map(<[u8]>::to_vec),
            value,
            headers,
        },
        OutRecord {
            topic: topics.audit.clone(),
            key: audit_key,
            value: audit_json(audit),
            headers: Vec::new(),
        },
    ];
    (records, Outcome::DeadLetter(kind))
}

/// Prepares a batch on the threads of `pool` (on the calling thread when `None`); the result is
/// in input order.
///
/// The batch is cut into one contiguous chunk per pool thread (none for fewer than two messages
/// per thread), so the chunks' results, joined in order, keep the input order. The pool is the
/// worker's, made once ([`review_pool`]): the same threads review every batch, so their
/// allocator arenas and stacks are reused rather than made anew per batch.
///
/// `deadline` bounds the review: a message is not started once it has passed (the first message
/// of `msgs` always is; the worker calls this only for a batch's first messages, or before the
/// deadline, so every batch makes progress), and its slot is `None`. The caller commits
/// the reviewed messages before the first `None` and reads the rest again (see
/// [`super::worker`]): a batch that reviews slowly is cut rather than outliving
/// `transaction.timeout.ms` or `max.poll.interval.ms`.
pub fn prepare_all<M: Message + Sync>(
    engine: &Engine,
    topics: &Topics,
    limits: &OutputLimits,
    worker: &str,
    msgs: &[M],
    pool: Option<&rayon::ThreadPool>,
    deadline: Option<Instant>,
) -> Vec<Option<(Vec<OutRecord>, Outcome)>> {
    use rayon::prelude::*;
    let in_time = |first: bool| first || deadline.is_none_or(|d| Instant::now() < d);
    let review = |part: &[M], first: bool| {
        part.iter()
            .enumerate()
            .map(|(i, m)| {
                in_time(first && i == 0).then(|| prepare(engine, topics, limits, worker, m))
            })
            .collect::<Vec<_>>()
    };
    let threads = pool.map_or(1, rayon::ThreadPool::current_num_threads);
    let Some(pool) = pool.filter(|_| threads > 1 && msgs.len() >= 2 * threads) else {
        return review(msgs, true);
    };
    let chunk = msgs.len().div_ceil(threads);
    // A panic in a chunk propagates out of `install` to the caller, as from a joined thread.
    pool.install(|| {
        msgs.par_chunks(chunk)
            .enumerate()
            .map(|(n, part)| review(part, n == 0))
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

/// The worker's review thread pool: `threads` threads (`[kafka] review_threads`, 0 = one per
/// CPU), named `review-N`, made once per worker; `None` for one thread (the batch is reviewed on
/// the calling thread).
///
/// # Errors
/// The operating system refused to start the threads.
pub fn review_pool(
    threads: usize,
) -> Result<Option<rayon::ThreadPool>, rayon::ThreadPoolBuildError> {
    if threads <= 1 {
        return Ok(None);
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("review-{i}"))
        .build()
        .map(Some)
}

/// Enqueues prepared records, in order; returns their acknowledgements.
pub async fn produce(producer: &Producer, records: Vec<OutRecord>) -> Vec<(String, Ack)> {
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

/// Enqueues one record. When librdkafka's local queue is full, waits briefly while its delivery
/// thread drains the queue (backpressure) rather than dropping or buffering without bound.
pub async fn send(
    producer: &Producer,
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use rdkafka::message::{OwnedMessage, Timestamp};

    use super::*;
    use crate::embedded::{default_files, DEFAULT_PIPELINE};
    use crate::engine::load_pipeline;

    fn engine_and_topics() -> (Engine, Topics) {
        let loaded = load_pipeline(Path::new(DEFAULT_PIPELINE), &default_files()).unwrap();
        (loaded.engine, loaded.file.topics)
    }

    fn message(payload: &[u8], headers: Option<OwnedHeaders>) -> OwnedMessage {
        OwnedMessage::new(
            Some(payload.to_vec()),
            Some(b"k-1".to_vec()),
            "in".into(),
            Timestamp::CreateTime(1),
            0,
            7,
            headers,
        )
    }

    /// A clean event whose text repeats a plain sentence to about `bytes` bytes.
    fn event(id: &str, verified: bool, bytes: usize) -> Vec<u8> {
        let sentence = "今天天气很好，我们一起去公园散步。";
        let text = sentence.repeat(bytes / sentence.len() + 1);
        serde_json::json!({"event_id": id, "user": {"id": "u", "identity_verified": verified},
            "content": {"kind": "text", "text": text}, "synthesis": {"technique": "text_generation"}})
        .to_string()
        .into_bytes()
    }

    /// The decision the engine takes on `payload`, and its topic.
    fn decision_topic(engine: &Engine, topics: &Topics, payload: &[u8]) -> (&'static str, String) {
        let parsed = parse_event(payload, engine.limits()).unwrap();
        let d = engine.review(&parsed.event).unwrap().decision;
        let t = match d {
            Decision::Approve => &topics.approved,
            Decision::Hold => &topics.held,
            Decision::Reject => &topics.rejected,
        };
        (d.as_str(), t.clone())
    }

    fn header<'a>(r: &'a OutRecord, key: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| std::str::from_utf8(v).unwrap())
    }

    fn limits(topics: &Topics, decision: usize, dlq: usize) -> OutputLimits {
        OutputLimits::with_topics(
            10 << 20,
            HashMap::from([
                (topics.approved.clone(), decision),
                (topics.held.clone(), decision),
                (topics.rejected.clone(), decision),
                (topics.dead_letter.clone(), dlq),
                (topics.audit.clone(), 1 << 20),
            ]),
        )
    }

    #[test]
    fn the_review_pool_keeps_input_order_and_its_threads() {
        let (engine, topics) = engine_and_topics();
        let l = limits(&topics, 64 << 10, 32 << 10);
        let msgs: Vec<OwnedMessage> = (0..37)
            .map(|i| {
                let payload = if i % 5 == 0 {
                    b"{".to_vec()
                } else {
                    event(&format!("e-{i}"), i % 2 == 0, 200)
                };
                message(&payload, None)
            })
            .collect();
        let serial = prepare_all(&engine, &topics, &l, "w", &msgs, None, None);
        let pool = review_pool(3).unwrap().expect("a pool of 3");
        let names = |pool: &rayon::ThreadPool| {
            let mut n: Vec<String> = pool.broadcast(|_| {
                std::thread::current()
                    .name()
                    .unwrap_or_default()
                    .to_string()
            });
            n.sort();
            n
        };
        let before = names(&pool);
        for _ in 0..3 {
            let pooled = prepare_all(&engine, &topics, &l, "w", &msgs, Some(&pool), None);
            // Each message's first record: its topic and value, without the review time.
            let values = |v: &[Option<(Vec<OutRecord>, Outcome)>]| -> Vec<(String, String)> {
                v.iter()
                    .map(|p| {
                        let r = &p.as_ref().unwrap().0[0];
                        let value = match serde_json::from_slice::<serde_json::Value>(&r.value) {
                            Ok(serde_json::Value::Object(mut m)) => {
                                m.remove("reviewed_at");
                                serde_json::Value::Object(m).to_string()
                            }
                            _ => String::from_utf8_lossy(&r.value).into_owned(),
                        };
                        (r.topic.clone(), value)
                    })
                    .collect()
            };
            assert_eq!(
                values(&pooled),
                values(&serial),
                "the same records, in input order"
            );
        }
        assert_eq!(names(&pool), before, "the same threads review every batch");
        assert_eq!(before, ["review-0", "review-1", "review-2"]);
        // A deadline already passed: the first message of the batch is still reviewed, the
        // first message of every later chunk is not.
        let past = Instant::now() - std::time::Duration::from_secs(1);
        let cut = prepare_all(&engine, &topics, &l, "w", &msgs, Some(&pool), Some(past));
        assert!(cut[0].is_some());
        assert!(cut[1..].iter().all(Option::is_none), "nothing else starts");
        assert!(review_pool(1).unwrap().is_none(), "one thread: no pool");
    }

    #[test]
    fn records_that_fit_are_produced_as_they_are() {
        let (engine, topics) = engine_and_topics();
        let l = limits(&topics, 64 << 10, 32 << 10);
        let (records, outcome) = prepare(
            &engine,
            &topics,
            &l,
            "w",
            &message(&event("e", true, 20_000), None),
        );
        assert!(matches!(outcome, Outcome::Reviewed(_)), "{outcome:?}");
        assert_eq!(
            records[0].topic,
            decision_topic(&engine, &topics, &event("e", true, 20_000)).1
        );
        let (records, outcome) =
            prepare(&engine, &topics, &l, "w", &message(&[b'{'; 20_000], None));
        assert!(
            matches!(outcome, Outcome::DeadLetter(EventErrorKind::MalformedJson)),
            "{outcome:?}"
        );
        assert_eq!(records[0].value.len(), 20_000);
        assert_eq!(header(&records[0], "dlq.truncated"), None);
    }

    #[test]
    fn a_decision_record_too_large_for_its_topic_becomes_a_dead_letter() {
        let (engine, topics) = engine_and_topics();
        let l = limits(&topics, 64 << 10, 32 << 10);
        for verified in [true, false] {
            let payload = event("big", verified, 70_000);
            let (decision, topic) = decision_topic(&engine, &topics, &payload);
            let (records, outcome) = prepare(&engine, &topics, &l, "w", &message(&payload, None));
            assert!(
                matches!(outcome, Outcome::DeadLetter(EventErrorKind::TooLarge)),
                "{outcome:?}"
            );
            assert_eq!(records.len(), 2);
            let dlq = &records[0];
            assert_eq!(dlq.topic, topics.dead_letter);
            assert_eq!(header(dlq, "dlq.reason"), Some("too_large"));
            let detail = header(dlq, "dlq.detail").unwrap();
            assert!(
                detail.contains(&format!("the {decision} decision record")),
                "{detail}"
            );
            assert!(detail.contains(&format!("topic `{topic}`")), "{detail}");
            assert!(detail.contains(&(64 << 10).to_string()), "{detail}");
            if !verified {
                assert!(detail.contains("identity_unverified"), "{detail}");
            }
            // The dead-letter topic is smaller still: the original bytes are cut to fit.
            assert_eq!(
                header(dlq, "dlq.truncated"),
                Some(payload.len().to_string().as_str())
            );
            assert!(payload.starts_with(&dlq.value));
            assert!(l.fits(
                &dlq.topic,
                dlq.key.as_deref(),
                dlq.value.len(),
                &dlq.headers
            ));
            assert!(!l.fits(
                &dlq.topic,
                dlq.key.as_deref(),
                dlq.value.len() + 1,
                &dlq.headers
            ));
            let audit: serde_json::Value = serde_json::from_slice(&records[1].value).unwrap();
            assert_eq!(audit["decision"], "dead_letter");
            assert_eq!(audit["reasons"], serde_json::json!(["too_large"]));
            assert_eq!(audit["event_id"], "big");
        }
    }

    #[test]
    fn a_dead_letter_whose_headers_alone_do_not_fit_keeps_only_the_dlq_headers() {
        let (engine, topics) = engine_and_topics();
        let l = limits(&topics, 64 << 10, 4 << 10);
        let big = vec![b'x'; 8 << 10];
        let headers = OwnedHeaders::new()
            .insert(Header {
                key: "trace",
                value: Some(&big),
            })
            .insert(Header {
                key: "other",
                value: Some(b"1".as_slice()),
            });
        let (records, outcome) = prepare(
            &engine,
            &topics,
            &l,
            "w",
            &message(b"not json", Some(headers)),
        );
        assert!(
            matches!(outcome, Outcome::DeadLetter(EventErrorKind::MalformedJson)),
            "{outcome:?}"
        );
        let dlq = &records[0];
        assert_eq!(header(dlq, "dlq.headers_dropped"), Some("2"));
        assert_eq!(header(dlq, "trace"), None);
        assert_eq!(dlq.value, b"not json");
        assert!(l.fits(
            &dlq.topic,
            dlq.key.as_deref(),
            dlq.value.len(),
            &dlq.headers
        ));
    }

    /// Every record `prepare` builds fits its topic when every output topic is at the smallest
    /// limit the worker accepts — whatever the input: many reasons, escaped ids, huge keys and
    /// headers, huge payloads.
    #[test]
    fn every_record_fits_topics_at_the_minimum_limit() {
        use crate::kafka::limits::MIN_OUTPUT_LIMIT;
        let (engine, topics) = engine_and_topics();
        let l = limits(&topics, MIN_OUTPUT_LIMIT, MIN_OUTPUT_LIMIT);
        let l = OutputLimits::with_topics(
            10 << 20,
            [
                &topics.approved,
                &topics.held,
                &topics.rejected,
                &topics.dead_letter,
                &topics.audit,
            ]
            .into_iter()
            .map(|t| (t.clone(), l.limit(t)))
            .collect(),
        );
        let many_reasons = serde_json::json!({"event_id": "many", "user": {"id": "u", "identity_verified": false},
            "content": {"kind": "text", "title": "网络赌场。".repeat(120), "text": "网络赌场。".repeat(120)},
            "synthesis": {"technique": "text_generation"}})
        .to_string();
        let escaped_id = format!(
            r#"{{"event_id":"{}","user":{{"id":"u","identity_verified":true}},"content":{{"kind":"text","text":"你好"}},"synthesis":{{"technique":"tts"}}}}"#,
            "\\u0001".repeat(256)
        );
        let big_header = vec![b'h'; 20_000];
        // (name, payload, key, headers)
        type Case<'a> = (&'a str, Vec<u8>, Option<Vec<u8>>, Option<OwnedHeaders>);
        let cases: Vec<Case> = vec![
            ("many reasons", many_reasons.into_bytes(), None, None),
            ("escaped id", escaped_id.into_bytes(), None, None),
            (
                "huge key",
                b"not json".to_vec(),
                Some(vec![b'K'; 20_000]),
                None,
            ),
            (
                "huge key, huge payload",
                vec![b'{'; 300_000],
                Some(vec![b'K'; 20_000]),
                None,
            ),
            (
                "huge header",
                b"not json".to_vec(),
                None,
                Some(OwnedHeaders::new().insert(Header {
                    key: "h",
                    value: Some(&big_header),
                })),
            ),
            ("big clean event", event("big", true, 100_000), None, None),
            (
                "big rejected event",
                event("big", false, 100_000),
                None,
                None,
            ),
        ];
        for (name, payload, key, headers) in cases {
            let original_key = key.clone();
            let msg = OwnedMessage::new(
                Some(payload),
                key,
                "in".into(),
                Timestamp::CreateTime(1),
                0,
                7,
                headers,
            );
            let (records, _) = prepare(&engine, &topics, &l, "w", &msg);
            assert_eq!(records.len(), 2, "{name}");
            for r in &records {
                assert!(
                    l.fits(&r.topic, r.key.as_deref(), r.value.len(), &r.headers),
                    "{name}: record for {} does not fit: key {} value {} headers {}",
                    r.topic,
                    r.key.as_ref().map_or(0, Vec::len),
                    r.value.len(),
                    r.headers
                        .iter()
                        .map(|(k, v)| k.len() + v.len())
                        .sum::<usize>()
                );
            }
            if let Some(k) = original_key.filter(|k| k.len() > MAX_CUT_KEY_BYTES) {
                let dlq = &records[0];
                assert_eq!(
                    header(dlq, "dlq.key_truncated"),
                    Some(k.len().to_string().as_str()),
                    "{name}"
                );
                assert!(k.starts_with(dlq.key.as_deref().unwrap()), "{name}");
            }
        }
    }

    #[test]
    fn audit_records_name_each_reason_code_once_and_details_count_them() {
        let (engine, topics) = engine_and_topics();
        let payload =
            serde_json::json!({"event_id": "many", "user": {"id": "u", "identity_verified": false},
            "content": {"kind": "text", "text": "网络赌场。".repeat(60)},
            "synthesis": {"technique": "text_generation"}})
            .to_string()
            .into_bytes();
        let roomy = limits(&topics, 10 << 20, 10 << 20);
        let (records, _) = prepare(&engine, &topics, &roomy, "w", &message(&payload, None));
        let audit: serde_json::Value = serde_json::from_slice(&records[1].value).unwrap();
        let codes: Vec<&str> = audit["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let mut unique = codes.clone();
        unique.dedup();
        assert_eq!(codes, unique, "each code once");
        assert!(
            codes.contains(&"prohibited_term") && codes.contains(&"identity_unverified"),
            "{codes:?}"
        );
        // Too large for its topic: the detail counts the codes instead of listing each.
        let tight = limits(&topics, 8 << 10, 8 << 10);
        let big =
            serde_json::json!({"event_id": "many", "user": {"id": "u", "identity_verified": false},
            "content": {"kind": "text", "text": "网络赌场。".repeat(600)},
            "synthesis": {"technique": "text_generation"}})
            .to_string()
            .into_bytes();
        let (records, _) = prepare(&engine, &topics, &tight, "w", &message(&big, None));
        let detail = header(&records[0], "dlq.detail").unwrap();
        assert!(detail.contains("prohibited_term×"), "{detail}");
        assert!(detail.len() <= MAX_DETAIL_BYTES, "{}", detail.len());
    }
}
