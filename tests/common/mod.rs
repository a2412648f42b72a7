//! Helpers shared by the integration tests: the real broker started by `scripts/test.sh`, unique
//! topic names, a seeded event generator over the real corpus, and output collection.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

/// The broker started by `scripts/test.sh`.
pub fn brokers() -> String {
    std::env::var("SYNTH_REVIEW_TEST_BROKERS").expect(
        "SYNTH_REVIEW_TEST_BROKERS is not set: run the tests through scripts/test.sh, which starts a real Kafka broker",
    )
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary under test: `SYNTH_REVIEW_BIN` (e.g. a release build, for benchmarks) or the one
/// cargo built for this test run.
pub fn bin() -> PathBuf {
    std::env::var_os("SYNTH_REVIEW_BIN")
        .map(PathBuf::from)
        .or_else(|| option_env!("CARGO_BIN_EXE_synth-review").map(PathBuf::from))
        .expect("SYNTH_REVIEW_BIN is not set (examples have no CARGO_BIN_EXE_*)")
}

/// A unique prefix for this test's topics and group.
pub fn unique(name: &str) -> String {
    let n: u64 = rand::thread_rng().gen();
    format!("{name}-{n:016x}")
}

/// Topic names of one test run.
#[derive(Clone, Debug)]
pub struct TestTopics {
    pub input: String,
    pub approved: String,
    pub held: String,
    pub rejected: String,
    pub dead_letter: String,
    pub audit: String,
}

impl TestTopics {
    pub fn new(prefix: &str) -> Self {
        TestTopics {
            input: format!("{prefix}.publish"),
            approved: format!("{prefix}.approved"),
            held: format!("{prefix}.held"),
            rejected: format!("{prefix}.rejected"),
            dead_letter: format!("{prefix}.dlq"),
            audit: format!("{prefix}.audit"),
        }
    }
    pub fn outputs(&self) -> [&str; 5] {
        [
            &self.approved,
            &self.held,
            &self.rejected,
            &self.dead_letter,
            &self.audit,
        ]
    }
}

/// Creates the topics (input with `partitions`, outputs with 3) and waits until they exist.
pub async fn create_topics(topics: &TestTopics, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .expect("admin client");
    let mut new = vec![NewTopic::new(
        &topics.input,
        partitions,
        TopicReplication::Fixed(1),
    )];
    for t in topics.outputs() {
        new.push(
            NewTopic::new(t, 3, TopicReplication::Fixed(1)).set("max.message.bytes", "8388608"),
        );
    }
    new[0] = NewTopic::new(&topics.input, partitions, TopicReplication::Fixed(1))
        .set("max.message.bytes", "8388608");
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

/// Writes a pipeline file for these topics into `dir`, pointing at the repository's data files.
pub fn write_pipeline(dir: &Path, topics: &TestTopics, group: &str) -> PathBuf {
    write_pipeline_with(dir, topics, group, "")
}

/// Like [`write_pipeline`], with extra `key = value` lines in `[kafka]`.
pub fn write_pipeline_with(
    dir: &Path,
    topics: &TestTopics,
    group: &str,
    kafka_extra: &str,
) -> PathBuf {
    let data = repo().join("data");
    let lexicons: Vec<String> = [
        "fraud",
        "gambling",
        "illegal_goods",
        "weapons",
        "pornography",
        "drugs",
    ]
    .iter()
    .map(|c| {
        format!(
            "\"{}\"",
            data.join("lexicon").join(format!("{c}.csv")).display()
        )
    })
    .collect();
    let text = format!(
        r#"[pipeline]
name = "e2e"
version = "test"

[kafka]
brokers = "{brokers}"
group_id = "{group}"
commit_interval_ms = 500
{kafka_extra}

[topics]
input = "{input}"
approved = "{approved}"
held = "{held}"
rejected = "{rejected}"
dead_letter = "{dlq}"
audit = "{audit}"

[[stages]]
kind = "identity"

[[stages]]
kind = "prohibited"
lexicons = [{lexicons}]

[[stages]]
kind = "reprint_source"
sources = "{sources}"
"#,
        brokers = brokers(),
        input = topics.input,
        approved = topics.approved,
        held = topics.held,
        rejected = topics.rejected,
        dlq = topics.dead_letter,
        audit = topics.audit,
        lexicons = lexicons.join(", "),
        sources = data
            .join("news-sources/cac-news-source-units.csv")
            .display(),
    );
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, text).expect("write pipeline");
    path
}

/// One generated input message and what must become of it.
#[derive(Clone, Debug)]
pub struct Generated {
    pub key: String,
    pub payload: Vec<u8>,
    /// `approve`, `hold`, `reject` or `dead_letter:<reason>`.
    pub expected: String,
}

/// Corpus paragraphs on which the pipeline's engine finds nothing, so that a seeded violation
/// alone decides an event. Asserts that most real paragraphs pass (the lexicon is not broken).
pub fn clean_paragraphs(pipeline: &Path) -> Vec<String> {
    use synth_review::decision::Decision;
    use synth_review::event::{parse_event, Limits};
    let engine = synth_review::engine::load_pipeline(pipeline, &synth_review::config::Disk)
        .expect("pipeline")
        .engine;
    let all = corpus();
    let total = all.len();
    let clean: Vec<String> = all
        .into_iter()
        .filter(|p| {
            let json = serde_json::json!({"event_id": "probe", "user": {"id": "u", "identity_verified": true},
                "content": {"kind": "text", "text": p}, "synthesis": {"technique": "text_generation"}});
            let ev = parse_event(json.to_string().as_bytes(), &Limits::default()).unwrap().event;
            engine.review(&ev).unwrap().decision == Decision::Approve
        })
        .collect();
    assert!(
        clean.len() * 10 >= total * 9,
        "most real paragraphs must pass: {} of {total}",
        clean.len()
    );
    clean
}

/// Real text paragraphs from the committed corpus sample (People's Daily 1998 and product reviews).
pub fn corpus() -> Vec<String> {
    let mut out = Vec::new();
    for f in ["peoples-daily-199801.sample.txt", "reviews.sample.txt"] {
        let text =
            std::fs::read_to_string(repo().join("data/corpus").join(f)).expect("corpus sample");
        out.extend(
            text.lines()
                .filter(|l| l.chars().count() >= 20)
                .map(str::to_string),
        );
    }
    out
}

/// Lexicon terms by action (`reject` / `hold`), read from the shipped CSVs.
pub fn lexicon_terms() -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for entry in std::fs::read_dir(repo().join("data/lexicon")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("csv") {
            continue;
        }
        let mut r = csv::Reader::from_path(&path).unwrap();
        for rec in r.records() {
            let rec = rec.unwrap();
            out.entry(rec[2].to_string())
                .or_default()
                .push(rec[0].to_string());
        }
    }
    out
}

/// Writes a term the way evaders do: separators, zero-width characters, emoji or full width.
pub fn evade(term: &str, rng: &mut ChaCha8Rng) -> String {
    let seps = ["*", " ", ".", "\u{200B}", "😀", "·", "\u{FEFF}", "-"];
    match rng.gen_range(0..4) {
        0 => term.to_string(),
        1 => {
            let sep = seps.choose(rng).unwrap();
            let chars: Vec<String> = term.chars().map(String::from).collect();
            chars.join(sep)
        }
        2 => term
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap()
                } else {
                    c
                }
            })
            .collect(),
        _ => term.chars().map(|c| c.to_ascii_uppercase()).collect(),
    }
}

fn event_json(id: &str, verified: bool, text: &str, news: Option<serde_json::Value>) -> Vec<u8> {
    let mut v = serde_json::json!({
        "event_id": id,
        "occurred_at": "2026-11-29T08:00:00Z",
        "platform": "e2e",
        "user": {"id": format!("u-{id}"), "identity_verified": verified, "verification_method": "mobile"},
        "content": {"kind": "text", "title": "", "text": text},
        "synthesis": {"technique": "text_generation", "provider": "p", "model": "m"},
        "x_passthrough": {"kept": true}
    });
    if let Some(n) = news {
        v["news"] = n;
    }
    serde_json::to_vec(&v).unwrap()
}

/// The unreadable messages, one per dead-letter kind: `(payload, reason)`.
pub fn poison(i: usize) -> Vec<(Vec<u8>, &'static str)> {
    let big_text = "字".repeat(262_145);
    vec![
        (format!("{{\"event_id\": \"bad-{i}\", \"user\": ").into_bytes(), "malformed_json"),
        (b"[1, 2, 3]".to_vec(), "schema"),
        (format!(r#"{{"event_id":"bad-{i}","user":{{"id":"u","identity_verified":"yes"}},"content":{{"kind":"text"}},"synthesis":{{"technique":"tts"}}}}"#).into_bytes(), "schema"),
        (format!(r#"{{"event_id":"bad-{i}","user":{{"id":"u","identity_verified":true}},"content":{{"kind":"text"}},"synthesis":{{"technique":"mind_control"}}}}"#).into_bytes(), "schema"),
        (format!(r#"{{"event_id":"bad-{i}","user":{{"id":"u","identity_verified":true}}}}"#).into_bytes(), "schema"),
        (b"{\"event_id\": \"\xff\xfe\"}".to_vec(), "invalid_utf8"),
        (Vec::new(), "malformed_json"),
        (format!(r#"{{"event_id":"bad-{i}","user":{{"id":"u","identity_verified":true}},"content":{{"kind":"text","text":"{big_text}"}},"synthesis":{{"technique":"tts"}}}}"#).into_bytes(), "too_large"),
        ([b"{\"event_id\":\"".as_slice(), &vec![b'x'; 1_100_000], b"\"}"].concat(), "too_large"),
    ]
}

/// Generates `n` events over the clean corpus paragraphs with a seeded mix of violations, plus
/// `poison_rounds` rounds of every unreadable kind, shuffled. `clean` must only hold paragraphs
/// on which the engine finds nothing.
pub fn generate(n: usize, poison_rounds: usize, clean: &[String], seed: u64) -> Vec<Generated> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let terms = lexicon_terms();
    let reject_terms = &terms["reject"];
    let hold_terms = &terms["hold"];
    let mut out = Vec::with_capacity(n + poison_rounds * 9);
    for i in 0..n {
        let id = format!("ev-{seed}-{i:06}");
        let para = clean.choose(&mut rng).unwrap();
        let roll = rng.gen_range(0..100);
        let (payload, expected) = match roll {
            0..=59 => (event_json(&id, true, para, None), "approve"),
            60..=67 => (event_json(&id, false, para, None), "reject"),
            68..=77 => {
                let t = evade(reject_terms.choose(&mut rng).unwrap(), &mut rng);
                (
                    event_json(&id, true, &format!("{t}。{para}"), None),
                    "reject",
                )
            }
            78..=87 => {
                let t = evade(hold_terms.choose(&mut rng).unwrap(), &mut rng);
                (event_json(&id, true, &format!("{para}\n{t}"), None), "hold")
            }
            88..=92 => {
                let n = serde_json::json!({"is_news": true, "is_reprint": true, "source": {"name": "新华网", "url": "https://www.news.cn/politics/2026-11/29/c_1.htm"}});
                (event_json(&id, true, para, Some(n)), "approve")
            }
            93..=95 => (
                event_json(
                    &id,
                    true,
                    para,
                    Some(serde_json::json!({"is_reprint": true})),
                ),
                "reject",
            ),
            _ => {
                let n = serde_json::json!({"is_reprint": true, "source": {"name": "新华网", "url": "https://news.cn.example.org/a"}});
                (event_json(&id, true, para, Some(n)), "reject")
            }
        };
        out.push(Generated {
            key: id,
            payload,
            expected: expected.to_string(),
        });
    }
    for r in 0..poison_rounds {
        for (j, (payload, reason)) in poison(r).into_iter().enumerate() {
            out.push(Generated {
                key: format!("bad-{seed}-{r}-{j}"),
                payload,
                expected: format!("dead_letter:{reason}"),
            });
        }
    }
    out.shuffle(&mut rng);
    out
}

/// Produces every message (key = `key`) and waits for all acknowledgements.
pub async fn produce_all(topic: &str, msgs: &[Generated]) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("message.max.bytes", "8000000")
        .set("linger.ms", "20")
        .create()
        .expect("producer");
    let futures: Vec<_> = msgs
        .iter()
        .map(|m| {
            producer
                .send_result(FutureRecord::to(topic).key(&m.key).payload(&m.payload))
                .expect("enqueue")
        })
        .collect();
    for f in futures {
        f.await.expect("not canceled").expect("delivered");
    }
}

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

/// Reads the output topics with `isolation.level=read_committed` until `done(outputs)` holds or
/// `timeout` passes.
pub fn collect(topics: &TestTopics, timeout: Duration, done: impl Fn(&Outputs) -> bool) -> Outputs {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("group.id", unique("collector"))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("isolation.level", "read_committed")
        .set("fetch.message.max.bytes", "8388608")
        .create()
        .expect("consumer");
    consumer.subscribe(&topics.outputs()).expect("subscribe");
    let mut out = Outputs::default();
    let deadline = Instant::now() + timeout;
    while !done(&out) && Instant::now() < deadline {
        let Some(msg) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let msg = msg.expect("consume");
        record_output(topics, &mut out, &msg);
    }
    out
}

/// Reads every output topic from the beginning with `isolation.level=read_committed` until each
/// partition's position reaches its high watermark, i.e. everything committed so far has been seen
/// (aborted records and transaction markers are skipped by the client). Call after the workers
/// stopped, so no transaction is open.
pub fn collect_complete(topics: &TestTopics, timeout: Duration) -> Outputs {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("group.id", unique("complete"))
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("fetch.message.max.bytes", "8388608")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    let mut ends: HashMap<(String, i32), i64> = HashMap::new();
    for t in topics.outputs() {
        let md = consumer
            .fetch_metadata(Some(t), Duration::from_secs(10))
            .expect("metadata");
        for p in md.topics()[0].partitions() {
            let (_, high) = consumer
                .fetch_watermarks(t, p.id(), Duration::from_secs(10))
                .expect("watermarks");
            ends.insert((t.to_string(), p.id()), high);
            tpl.add_partition_offset(t, p.id(), Offset::Beginning)
                .unwrap();
        }
    }
    consumer.assign(&tpl).expect("assign");
    let done = |c: &BaseConsumer| -> bool {
        let pos = c.position().expect("position");
        ends.iter().all(|((t, p), high)| {
            *high == 0
                || matches!(pos.find_partition(t, *p).map(|e| e.offset()), Some(Offset::Offset(o)) if o >= *high)
        })
    };
    let all = TestTopics {
        input: String::new(),
        ..topics.clone()
    };
    let mut out = Outputs::default();
    let deadline = Instant::now() + timeout;
    while !done(&consumer) {
        assert!(
            Instant::now() < deadline,
            "output topics not read to their end within {timeout:?}"
        );
        let Some(msg) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let msg = msg.expect("consume");
        record_output(&all, &mut out, &msg);
    }
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

/// Sum of `synth_review_events_total` over all decisions on a worker's /metrics, if it answers.
pub fn events_done(port: u16) -> Option<u64> {
    let (code, text) = http_get(port, "/metrics").ok()?;
    if code != 200 {
        return None;
    }
    let sum: f64 = ["approve", "hold", "reject", "dead_letter"]
        .iter()
        .filter_map(|d| {
            metric(
                &text,
                &format!("synth_review_events_total{{decision=\"{d}\"}}"),
            )
        })
        .sum();
    Some(sum as u64)
}

/// Waits (bounded) until `cond()` holds, polling every 20 ms.
pub fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
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

/// Committed offsets of `group` on every partition of `topic`, and the partitions' end offsets.
/// Transient broker errors (e.g. `NotCoordinator` right after a broker restart) are retried for
/// up to a minute.
pub fn committed_vs_end(group: &str, topic: &str, partitions: i32) -> Vec<(i64, i64)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match try_committed_vs_end(&consumer, topic, partitions) {
            Ok(v) => return v,
            Err(e) if Instant::now() < deadline => {
                eprintln!("committed offsets not available yet ({e}); retrying");
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => panic!("committed offsets: {e}"),
        }
    }
}

fn try_committed_vs_end(
    consumer: &BaseConsumer,
    topic: &str,
    partitions: i32,
) -> rdkafka::error::KafkaResult<Vec<(i64, i64)>> {
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let committed = consumer.committed_offsets(tpl, Duration::from_secs(10))?;
    (0..partitions)
        .map(|p| {
            let c = match committed.find_partition(topic, p).map(|e| e.offset()) {
                Some(Offset::Offset(o)) => o,
                _ => -1,
            };
            let (_, high) = consumer.fetch_watermarks(topic, p, Duration::from_secs(10))?;
            Ok((c, high))
        })
        .collect()
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET http://127.0.0.1:{port}{path}` → (status code, body). Plain HTTP/1.0 over a socket.
pub fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut buf = String::new();
    s.read_to_string(&mut buf)?;
    let status = buf
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = buf
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// The value of one sample line `name{labels} value` in a Prometheus text exposition.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Starts `synth-review run` on a pipeline, serving /metrics on `port`. Its log goes to
/// [`worker_log`]`(port)` (a file, so a chatty worker can never block on a full pipe).
pub fn spawn_worker(pipeline: &Path, port: u16) -> Child {
    let log = std::fs::File::create(worker_log(port)).expect("worker log file");
    Command::new(bin())
        .args(["--log-format", "json", "run", "--pipeline"])
        .arg(pipeline)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn worker")
}

/// Where the worker serving `port` writes its log.
pub fn worker_log(port: u16) -> PathBuf {
    std::env::temp_dir().join(format!("synth-review-worker-{port}.log"))
}

/// Sends SIGTERM and waits (bounded) for the exit status.
pub fn terminate(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("worker did not exit within {timeout:?} of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
