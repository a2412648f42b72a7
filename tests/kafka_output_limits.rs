//! Output topics with a small `max.message.bytes`, on a real broker: the worker reads the limits
//! (DescribeConfigs) and never produces a record a topic would refuse. An event whose decision
//! record does not fit its topic becomes a dead letter `too_large`, a dead letter that does not fit
//! the dead-letter topic is cut to fit, and the messages after them are reviewed as usual — no
//! stalled partition, in both delivery modes. Without the check the broker refuses the records
//! (`MESSAGE_TOO_LARGE`) and this test times out.

pub mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::ClientConfig;

/// `max.message.bytes` of the decision topics and of the dead-letter topic.
const DECISION_LIMIT: usize = 64 * 1024;
const DLQ_LIMIT: usize = 32 * 1024;

async fn create_small_topics(topics: &TestTopics) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .expect("admin client");
    let decision = DECISION_LIMIT.to_string();
    let dlq = DLQ_LIMIT.to_string();
    let new = [
        NewTopic::new(&topics.input, 1, TopicReplication::Fixed(1))
            .set("max.message.bytes", "8388608"),
        NewTopic::new(&topics.approved, 1, TopicReplication::Fixed(1))
            .set("max.message.bytes", &decision),
        NewTopic::new(&topics.held, 1, TopicReplication::Fixed(1))
            .set("max.message.bytes", &decision),
        NewTopic::new(&topics.rejected, 1, TopicReplication::Fixed(1))
            .set("max.message.bytes", &decision),
        NewTopic::new(&topics.dead_letter, 1, TopicReplication::Fixed(1))
            .set("max.message.bytes", &dlq),
        // The audit topic keeps the broker default (about 1 MiB).
        NewTopic::new(&topics.audit, 1, TopicReplication::Fixed(1)),
    ];
    let res = admin
        .create_topics(
            &new,
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
        )
        .await
        .expect("create topics");
    for r in res {
        r.expect("topic created");
    }
}

/// A verified text event whose text is real corpus lines joined to at least `bytes` bytes.
fn event(id: &str, verified: bool, clean: &[String], bytes: usize) -> Vec<u8> {
    let mut text = String::new();
    for line in clean.iter().cycle() {
        if text.len() >= bytes {
            break;
        }
        text.push_str(line);
        text.push('\n');
    }
    serde_json::json!({"event_id": id, "user": {"id": "u-1", "identity_verified": verified},
        "content": {"kind": "text", "text": text}, "synthesis": {"technique": "text_generation"}})
    .to_string()
    .into_bytes()
}

/// One record read from an output topic.
struct Record {
    topic: String,
    value: Vec<u8>,
    headers: HashMap<String, String>,
}

/// Reads the decision and dead-letter topics (read_committed) until `n` records were seen,
/// watching `worker`.
fn read_outputs(
    topics: &TestTopics,
    n: usize,
    timeout: Duration,
    worker: &Worker,
) -> HashMap<String, Vec<Record>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("group.id", unique("limits-reader"))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("isolation.level", "read_committed")
        .create()
        .expect("consumer");
    consumer
        .subscribe(&[
            &topics.approved,
            &topics.held,
            &topics.rejected,
            &topics.dead_letter,
        ])
        .expect("subscribe");
    let mut out: HashMap<String, Vec<Record>> = HashMap::new();
    let mut seen = 0;
    wait_for(format!("{n} output records"), timeout)
        .watching(worker)
        .every(Duration::ZERO)
        .until(|| {
            if let Some(msg) = consumer.poll(Duration::from_millis(200)) {
                let msg = msg.expect("consume");
                let headers = msg
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|h| {
                                (
                                    h.key.to_string(),
                                    String::from_utf8_lossy(h.value.unwrap_or_default())
                                        .into_owned(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let key = String::from_utf8_lossy(msg.key().unwrap_or_default()).into_owned();
                out.entry(key).or_default().push(Record {
                    topic: msg.topic().to_string(),
                    value: msg.payload().unwrap_or_default().to_vec(),
                    headers,
                });
                seen += 1;
            }
            if seen >= n {
                Ok(())
            } else {
                Err(format!(
                    "only {seen} of {n} output records within {timeout:?}: {:?}",
                    out.keys().collect::<Vec<_>>()
                ))
            }
        });
    out
}

async fn oversized_outputs(delivery: &str) {
    let prefix = unique(&format!("limits-{}", delivery.replace('_', "-")));
    let topics = TestTopics::new(&prefix);
    let group = format!("{prefix}-group");
    let dir = tempfile::tempdir().unwrap();
    let pipeline = write_pipeline_with(
        dir.path(),
        &topics,
        &group,
        &format!("delivery = \"{delivery}\""),
    );
    create_small_topics(&topics).await;
    let clean = clean_paragraphs(&pipeline);

    // (key, payload, what becomes of it)
    let big_malformed = [b"{\"event_id\": \"broken".as_slice(), &vec![b'x'; 50_000]].concat();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("small-before", event("small-before", true, &clean, 2_000)),
        ("big-approve", event("big-approve", true, &clean, 80_000)),
        ("big-reject", event("big-reject", false, &clean, 70_000)),
        (
            "mid-malformed",
            [b"{\"event_id\": \"x".as_slice(), &vec![b'y'; 10_000]].concat(),
        ),
        ("big-malformed", big_malformed.clone()),
        ("small-after", event("small-after", true, &clean, 2_000)),
    ];
    let msgs: Vec<Generated> = cases
        .iter()
        .map(|(k, p)| Generated {
            key: k.to_string(),
            payload: p.clone(),
            expected: String::new(),
        })
        .collect();
    produce_all(&topics.input, &msgs).await;

    let mut worker = spawn_worker(&pipeline, free_port());
    let out = read_outputs(&topics, cases.len(), Duration::from_secs(120), &worker);
    let status = terminate(&mut worker, Duration::from_secs(30));
    assert!(status.success(), "{delivery}: worker exit {status:?}");

    let one = |key: &str| -> &Record {
        let records = &out[key];
        assert_eq!(records.len(), 1, "{delivery}: {key}: exactly one output");
        &records[0]
    };
    for key in ["small-before", "small-after"] {
        assert_eq!(one(key).topic, topics.approved, "{delivery}: {key}");
    }
    for (key, decision, topic, code) in [
        ("big-approve", "approve", &topics.approved, None),
        (
            "big-reject",
            "reject",
            &topics.rejected,
            Some("identity_unverified"),
        ),
    ] {
        let r = one(key);
        let payload = &cases.iter().find(|(k, _)| *k == key).unwrap().1;
        assert_eq!(r.topic, topics.dead_letter, "{delivery}: {key}");
        assert_eq!(r.headers["dlq.reason"], "too_large", "{delivery}: {key}");
        let detail = &r.headers["dlq.detail"];
        assert!(
            detail.contains(&format!("the {decision} decision record"))
                && detail.contains(&format!("topic `{topic}`"))
                && detail.contains(&DECISION_LIMIT.to_string()),
            "{delivery}: {key}: {detail}"
        );
        if let Some(code) = code {
            assert!(detail.contains(code), "{delivery}: {key}: {detail}");
        }
        if payload.len() > DLQ_LIMIT {
            assert_eq!(
                r.headers.get("dlq.truncated"),
                Some(&payload.len().to_string()),
                "{delivery}: {key}"
            );
            assert!(payload.starts_with(&r.value), "{delivery}: {key}: a prefix");
            assert!(
                r.value.len() > DLQ_LIMIT / 2,
                "{delivery}: {key}: {}",
                r.value.len()
            );
        } else {
            assert_eq!(&r.value, payload, "{delivery}: {key}: original bytes");
        }
    }
    let mid = one("mid-malformed");
    assert_eq!(mid.topic, topics.dead_letter);
    assert_eq!(mid.headers["dlq.reason"], "malformed_json");
    assert_eq!(mid.headers.get("dlq.truncated"), None, "{delivery}: fits");
    assert_eq!(mid.value, cases[3].1, "{delivery}: original bytes");
    let big = one("big-malformed");
    assert_eq!(big.headers["dlq.reason"], "malformed_json");
    assert_eq!(
        big.headers.get("dlq.truncated"),
        Some(&big_malformed.len().to_string())
    );
    assert!(big_malformed.starts_with(&big.value) && big.value.len() <= DLQ_LIMIT);

    // Every input offset is committed.
    let committed = committed_vs_end(&group, &topics.input, 1);
    assert_eq!(
        committed,
        vec![(cases.len() as i64, cases.len() as i64)],
        "{delivery}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_outputs_exactly_once() {
    oversized_outputs("exactly_once").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_outputs_at_least_once() {
    oversized_outputs("at_least_once").await;
}

/// An output topic below the worker's minimum (8 KiB) is refused at start-up with a clear error
/// and exit code 1: bounded audit records and dead-letter keys/headers could not be guaranteed to
/// fit, and a refused record would stall its partition.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_topics_below_the_minimum_are_refused_at_start_up() {
    let prefix = unique("limits-min");
    let topics = TestTopics::new(&prefix);
    let dir = tempfile::tempdir().unwrap();
    let pipeline = write_pipeline_with(dir.path(), &topics, &format!("{prefix}-group"), "");
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .expect("admin client");
    let mut new = vec![NewTopic::new(&topics.input, 1, TopicReplication::Fixed(1))];
    for t in [
        &topics.approved,
        &topics.held,
        &topics.rejected,
        &topics.dead_letter,
    ] {
        new.push(NewTopic::new(t, 1, TopicReplication::Fixed(1)));
    }
    new.push(
        NewTopic::new(&topics.audit, 1, TopicReplication::Fixed(1))
            .set("max.message.bytes", "1000"),
    );
    for r in admin
        .create_topics(
            &new,
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
        )
        .await
        .expect("create topics")
    {
        r.expect("topic created");
    }
    let port = free_port();
    let worker = spawn_worker(&pipeline, port);
    let status = wait_for("the worker to refuse to start", Duration::from_secs(60))
        .until(|| worker.exit_status());
    assert_eq!(status.code(), Some(1));
    let log = worker.log_text();
    assert!(
        log.contains(&format!("`{}`: 1000 bytes", topics.audit)) && log.contains("at least 8192"),
        "the error names the topic, its limit and the minimum"
    );
}
