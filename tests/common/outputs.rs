//! What the worker wrote: the output topics read back (`isolation.level=read_committed`), and the
//! exactly-once check over them.

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use super::broker::{brokers, unique, TestTopics};
use super::events::Generated;
use super::wait::{wait_for, Wait};

/// One dead letter as read back: its `dlq.reason` and every header.
pub type DeadLetterSeen = (String, HashMap<String, String>);

/// What the worker wrote.
#[derive(Default, Debug)]
pub struct Outputs {
    /// event id → (decision topic, decision record JSON), every occurrence.
    pub decisions: HashMap<String, Vec<(String, serde_json::Value)>>,
    /// key → (dlq.reason, every header), every occurrence.
    pub dead_letters: HashMap<String, Vec<DeadLetterSeen>>,
    /// `source` coordinate → audit records.
    pub audit: HashMap<String, Vec<serde_json::Value>>,
    /// (audit partition, input `topic/partition`) → input offsets in the order they were read.
    pub audit_order: HashMap<(i32, String), Vec<i64>>,
    pub total_decisions: usize,
    pub total_dead_letters: usize,
    pub total_audit: usize,
}

/// The configuration of a reader of output topics as a platform reads them: a fresh group named
/// after `group`, `isolation.level=read_committed`, nothing committed, records up to 8 MiB,
/// from the earliest offset. (If resolving `Offset::Beginning` fails for a moment, a topic just
/// created or a busy broker, librdkafka resets to `auto.offset.reset`; its default `latest`
/// would skip the whole partition and a read would look complete: seen once under load.)
pub fn read_committed_config(group: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers())
        .set("group.id", unique(group))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("isolation.level", "read_committed")
        .set("fetch.message.max.bytes", "8388608");
    config
}

/// Reads the output topics with `isolation.level=read_committed` until `done(outputs)` holds or
/// `wait` times out (then what was read so far is returned, for the caller's assertions). `wait`
/// names what is awaited and the processes it watches: a watched worker that exits ends the wait
/// at once, with its log.
pub fn collect(topics: &TestTopics, wait: Wait<'_>, done: impl Fn(&Outputs) -> bool) -> Outputs {
    let consumer: BaseConsumer = read_committed_config("collector")
        .create()
        .expect("consumer");
    consumer.subscribe(&topics.outputs()).expect("subscribe");
    let mut out = Outputs::default();
    // The consumer's poll blocks for up to 200 ms itself.
    wait.every(Duration::ZERO).until_or_timeout(|| {
        if done(&out) {
            return true;
        }
        if let Some(msg) = consumer.poll(Duration::from_millis(200)) {
            record_output(topics, &mut out, &msg.expect("consume"));
        }
        false
    });
    out
}

/// Reads every output topic from the beginning with `isolation.level=read_committed` until each
/// partition's position reaches its high watermark, i.e. everything committed so far has been seen
/// (aborted records and transaction markers are skipped by the client). Call after the workers
/// stopped, so no transaction is open.
///
/// # Panics
/// If that takes longer than `timeout`.
pub fn collect_complete(topics: &TestTopics, timeout: Duration) -> Outputs {
    let consumer: BaseConsumer = read_committed_config("complete")
        .create()
        .expect("consumer");
    // The ends to read to are the log-end offsets, asked by a `read_uncommitted` client: a
    // `read_committed` one gets the last stable offset, and right after a transaction commits
    // the broker may not have written its markers yet, so that offset can still be 0 and an
    // output partition full of committed records would look empty (seen once under load: a
    // first read found none of 300 decisions, a second read all of them).
    let ends_client: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("group.id", unique("complete-ends"))
        .set("isolation.level", "read_uncommitted")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    let mut ends: HashMap<(String, i32), i64> = HashMap::new();
    for t in topics.outputs() {
        let md = ends_client
            .fetch_metadata(Some(t), Duration::from_secs(10))
            .expect("metadata");
        for p in md.topics()[0].partitions() {
            let (_, high) = ends_client
                .fetch_watermarks(t, p.id(), Duration::from_secs(10))
                .expect("watermarks");
            ends.insert((t.to_string(), p.id()), high);
            tpl.add_partition_offset(t, p.id(), Offset::Beginning)
                .unwrap();
        }
    }
    consumer.assign(&tpl).expect("assign");
    let behind = |c: &BaseConsumer| -> Vec<String> {
        let pos = c.position().expect("position");
        ends.iter()
            .filter(|((t, p), high)| {
                **high != 0
                    && !matches!(pos.find_partition(t, *p).map(|e| e.offset()), Some(Offset::Offset(o)) if o >= **high)
            })
            .map(|((t, p), high)| format!("{t}/{p} (end {high})"))
            .collect()
    };
    let all = TestTopics {
        input: String::new(),
        ..topics.clone()
    };
    let mut out = Outputs::default();
    wait_for("the output topics to be read to their end", timeout)
        .every(Duration::ZERO)
        .until(|| {
            let behind = behind(&consumer);
            if behind.is_empty() {
                return Ok(());
            }
            if let Some(msg) = consumer.poll(Duration::from_millis(200)) {
                record_output(&all, &mut out, &msg.expect("consume"));
            }
            Err(format!("not read to the end: {behind:?}"))
        });
    out
}

fn record_output(
    topics: &TestTopics,
    out: &mut Outputs,
    msg: &rdkafka::message::BorrowedMessage<'_>,
) {
    let topic = msg.topic().to_string();
    let key = msg
        .key()
        .map(|k| String::from_utf8_lossy(k).to_string())
        .unwrap_or_default();
    if topic == topics.dead_letter {
        let mut headers = HashMap::new();
        if let Some(h) = msg.headers() {
            for h in h.iter() {
                headers.insert(
                    h.key.to_string(),
                    h.value
                        .map(|v| String::from_utf8_lossy(v).to_string())
                        .unwrap_or_default(),
                );
            }
        }
        let reason = headers.get("dlq.reason").cloned().unwrap_or_default();
        out.dead_letters
            .entry(key)
            .or_default()
            .push((reason, headers));
        out.total_dead_letters += 1;
    } else if topic == topics.audit {
        let v: serde_json::Value =
            serde_json::from_slice(msg.payload().unwrap_or_default()).expect("audit JSON");
        let source = v["source"].as_str().unwrap_or_default().to_string();
        if let Some((input, offset)) = source.rsplit_once('/') {
            out.audit_order
                .entry((msg.partition(), input.to_string()))
                .or_default()
                .push(offset.parse().unwrap_or(-1));
        }
        out.audit.entry(source).or_default().push(v);
        out.total_audit += 1;
    } else {
        let v: serde_json::Value =
            serde_json::from_slice(msg.payload().unwrap_or_default()).expect("decision JSON");
        let id = v["event_id"].as_str().unwrap_or_default().to_string();
        assert_eq!(id, key, "decision records are keyed by event_id");
        out.decisions.entry(id).or_default().push((topic, v));
        out.total_decisions += 1;
    }
}

/// Asserts that every generated message appears exactly once across approved/held/rejected/
/// dead-letter with its expected outcome, and exactly once in audit.
pub fn assert_exactly_once(msgs: &[Generated], out: &Outputs) {
    let expected_decisions = msgs
        .iter()
        .filter(|m| !m.expected.starts_with("dead_letter"))
        .count();
    let mut problems = Vec::new();
    for m in msgs {
        if let Some(reason) = m.expected.strip_prefix("dead_letter:") {
            match out.dead_letters.get(&m.key).map(Vec::as_slice) {
                Some([(r, _)]) if r == reason => {}
                other => problems.push(format!(
                    "{}: dead letter {:?}",
                    m.key,
                    other.map(|o| o.len())
                )),
            }
        } else {
            match out.decisions.get(&m.key).map(Vec::as_slice) {
                Some([(_, r)]) if r["decision"] == m.expected.as_str() => {}
                Some([(_, r)]) => problems.push(format!(
                    "{}: expected {}, got {}",
                    m.key, m.expected, r["decision"]
                )),
                other => problems.push(format!(
                    "{}: {} decision records",
                    m.key,
                    other.map_or(0, |o| o.len())
                )),
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems, e.g. {:?}",
        problems.len(),
        &problems[..problems.len().min(10)]
    );
    assert_eq!(
        out.total_decisions, expected_decisions,
        "no extra decision records"
    );
    assert_eq!(
        out.total_dead_letters,
        msgs.len() - expected_decisions,
        "no extra dead letters"
    );
    assert_eq!(
        out.total_audit,
        msgs.len(),
        "one audit record per input message"
    );
    // Per input partition, outputs are written in offset order.
    for ((audit_partition, input), offsets) in &out.audit_order {
        assert!(
            offsets.windows(2).all(|w| w[0] < w[1]),
            "audit partition {audit_partition}: records of {input} out of offset order"
        );
    }
    let dup: Vec<_> = out
        .audit
        .iter()
        .filter(|(_, r)| r.len() > 1)
        .map(|(s, _)| s)
        .take(5)
        .collect();
    assert!(
        dup.is_empty(),
        "input messages audited more than once: {dup:?}"
    );
    assert_eq!(
        out.audit.len(),
        msgs.len(),
        "every input coordinate audited"
    );
}
