//! The real broker started by `scripts/test.sh`: its address and state dir, unique topic names,
//! topic creation, producing, committed offsets.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use rand::Rng;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use super::events::Generated;
use super::files::repo;
use super::wait::{wait_for, Watched};

/// The bootstrap address every helper of this test process uses, once [`use_brokers`] set it.
static BROKERS: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The brokers the helpers talk to: the ones given to [`use_brokers`] (a test's own cluster,
/// [`TestCluster`](super::cluster::TestCluster)), else the broker started by `scripts/test.sh`.
pub fn brokers() -> String {
    if let Some(b) = BROKERS.get() {
        return b.clone();
    }
    std::env::var("SYNTH_REVIEW_TEST_BROKERS").expect(
        "SYNTH_REVIEW_TEST_BROKERS is not set: run the tests through scripts/test.sh, which starts a real Kafka broker",
    )
}

/// Points every helper of this process (pipelines, topic creation, producing, reading back,
/// committed offsets) at `bootstrap` (`host:port,host:port,…`) instead of the broker of
/// `scripts/test.sh`.
///
/// # Panics
/// If another address was set before.
pub fn use_brokers(bootstrap: &str) {
    let set = BROKERS.get_or_init(|| bootstrap.to_string());
    assert_eq!(set, bootstrap, "use_brokers: already pointed at {set}");
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
    /// `{prefix}.publish`, `{prefix}.approved`, … .
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

    /// The five output topics.
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
    create_topics_replicated(topics, partitions, 1).await
}

/// Like [`create_topics`], every topic with `replication` replicas (3 on a
/// [`TestCluster`](super::cluster::TestCluster); its `min.insync.replicas` is 2).
pub async fn create_topics_replicated(topics: &TestTopics, partitions: i32, replication: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .expect("admin client");
    let mut new = vec![NewTopic::new(
        &topics.input,
        partitions,
        TopicReplication::Fixed(replication),
    )];
    for t in topics.outputs() {
        new.push(
            NewTopic::new(t, 3, TopicReplication::Fixed(replication))
                .set("max.message.bytes", "8388608"),
        );
    }
    new[0] = NewTopic::new(
        &topics.input,
        partitions,
        TopicReplication::Fixed(replication),
    )
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
    wait_for(
        format!("the committed offsets of group {group} on {topic}"),
        Duration::from_secs(60),
    )
    .every(Duration::from_millis(200))
    .until(|| try_committed_vs_end(&consumer, topic, partitions))
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

/// A condition for [`wait_for`]: `Ok(committed vs end offsets)` once the committed offsets of
/// `group` reach the end of every partition of `topic` and the partitions hold `total` messages
/// in all; `Err(the offsets seen)` until then.
pub fn committed_covers(
    group: &str,
    topic: &str,
    partitions: i32,
    total: usize,
) -> Result<Vec<(i64, i64)>, String> {
    let o = committed_vs_end(group, topic, partitions);
    if o.iter().all(|(c, e)| c == e) && o.iter().map(|(_, e)| e).sum::<i64>() == total as i64 {
        Ok(o)
    } else {
        Err(format!(
            "(committed, end) per partition {o:?}, {total} messages expected"
        ))
    }
}

/// The state dir of the broker started by `scripts/test.sh`.
pub fn kafka_dir() -> PathBuf {
    std::env::var_os("SYNTH_REVIEW_TEST_KAFKA_DIR")
        .map(PathBuf::from)
        .expect("SYNTH_REVIEW_TEST_KAFKA_DIR is not set: run the tests through scripts/test.sh")
}

/// The broker started by `scripts/test.sh`, for a test that stops and starts it (with
/// `scripts/kafka.sh`) and for waits that watch it.
pub struct TestBroker {
    dir: PathBuf,
}

impl TestBroker {
    /// The broker of `$SYNTH_REVIEW_TEST_KAFKA_DIR`.
    pub fn from_env() -> TestBroker {
        TestBroker { dir: kafka_dir() }
    }

    /// Runs `scripts/kafka.sh CMD DIR` (`stop`, `start`, `restart`).
    ///
    /// # Panics
    /// If the script fails.
    pub fn kafka_sh(&self, cmd: &str) {
        let status = Command::new("bash")
            .arg(repo().join("scripts/kafka.sh"))
            .arg(cmd)
            .arg(&self.dir)
            .status()
            .expect("run scripts/kafka.sh");
        assert!(status.success(), "kafka.sh {cmd} failed: {status}");
    }

    /// The pid `scripts/kafka.sh start` wrote.
    fn pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.join("pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

/// Whether `pid` is a live process (not gone, not a zombie).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // `pid (comm) S ...`: the state follows the last `)`.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_some_and(|state| state != 'Z' && state != 'X'),
        Err(_) => false,
    }
}

impl Watched for TestBroker {
    fn describe(&self) -> String {
        format!("Kafka broker of {}", self.dir.display())
    }

    fn ended(&self) -> Option<String> {
        match self.pid() {
            Some(pid) if alive(pid) => None,
            Some(pid) => Some(format!("pid {pid} is not running")),
            None => Some("no pid file".to_string()),
        }
    }

    /// None of its own: every report shows the broker log.
    fn logs(&self) -> Vec<PathBuf> {
        Vec::new()
    }
}

/// Keeps the broker running for later tests: `scripts/kafka.sh start` when dropped, also when the
/// test fails while the broker is stopped. Returned by [`TestBroker::stopped`].
pub struct StoppedBroker<'a>(&'a TestBroker);

impl TestBroker {
    /// Stops the broker until the returned guard is dropped.
    pub fn stopped(&self) -> StoppedBroker<'_> {
        self.kafka_sh("stop");
        StoppedBroker(self)
    }
}

impl Drop for StoppedBroker<'_> {
    fn drop(&mut self) {
        let started = Command::new("bash")
            .arg(repo().join("scripts/kafka.sh"))
            .arg("start")
            .arg(&self.0.dir)
            .status();
        let ok = started.as_ref().is_ok_and(|s| s.success());
        if !ok && !std::thread::panicking() {
            panic!("kafka.sh start failed: {started:?}");
        }
    }
}
