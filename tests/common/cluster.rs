//! A real three-broker cluster of the test's own (`scripts/kafka.sh cluster-start`: KRaft,
//! combined broker+controller nodes, replication factor 3, `min.insync.replicas` 2), what the
//! cluster tests do to it (restart, `kill -9`, SIGSTOP a node), a steady producer, and the
//! worker's progress over time (committed transactions), from which the time without progress
//! around each fault is read.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;

use super::events::{generate, Generated};
use super::files::repo;
use super::metrics::{metric, worker_metrics};
use super::wait::{wait_for, Watched};

/// Nodes of a [`TestCluster`], numbered 1..=3 (also their `node.id`).
pub const NODES: u8 = 3;

/// A three-node cluster in a temporary directory, stopped and removed when dropped (kept with
/// `SYNTH_REVIEW_KEEP_KAFKA_DIR=1`).
pub struct TestCluster {
    dir: PathBuf,
    bootstrap: String,
}

impl TestCluster {
    /// `scripts/kafka.sh cluster-start` in a new temporary directory (the jars must have been
    /// fetched, as `scripts/test.sh` does).
    ///
    /// # Panics
    /// If the cluster does not start.
    pub fn start() -> TestCluster {
        let dir = tempfile::Builder::new()
            .prefix("synth-review-cluster.")
            .tempdir()
            .expect("temp dir")
            .keep();
        // Dropped (the nodes stopped, the dir removed) also if cluster-start fails half-way.
        let mut cluster = TestCluster {
            dir,
            bootstrap: String::new(),
        };
        let out = cluster.kafka_sh_output(&["cluster-start"]);
        let bootstrap = out.lines().last().unwrap_or_default().trim().to_string();
        assert!(
            bootstrap.split(',').count() == NODES as usize,
            "cluster-start printed {out:?}"
        );
        eprintln!(
            "cluster of {NODES} brokers at {bootstrap} (state in {})",
            cluster.dir.display()
        );
        cluster.bootstrap = bootstrap;
        cluster
    }

    /// `127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3`.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// The state dir (`node1/`, `node2/`, `node3/`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn kafka_sh_output(&self, args: &[&str]) -> String {
        let (cmd, rest) = args.split_first().expect("a kafka.sh command");
        let out = Command::new("bash")
            .arg(repo().join("scripts/kafka.sh"))
            .arg(cmd)
            .arg(&self.dir)
            .args(rest)
            .stderr(std::process::Stdio::inherit())
            .output()
            .expect("run scripts/kafka.sh");
        assert!(
            out.status.success(),
            "kafka.sh {} failed: {}",
            args.join(" "),
            out.status
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `scripts/kafka.sh CMD DIR N`: `node-start`, `node-stop`, `node-restart`, `node-kill`,
    /// `node-pause`, `node-resume`.
    ///
    /// # Panics
    /// If the script fails.
    pub fn node(&self, cmd: &str, n: u8) {
        self.kafka_sh_output(&[cmd, &n.to_string()]);
    }

    /// Restarts node `n` (SIGTERM: a controlled shutdown, then a start on the same ports and
    /// data; returns once it serves again).
    pub fn restart(&self, n: u8) {
        self.node("node-restart", n);
    }

    /// `kill -9` node `n` (returns once the process is gone).
    pub fn kill9(&self, n: u8) {
        self.node("node-kill", n);
    }

    /// Starts node `n` again (returns once it serves).
    pub fn start_node(&self, n: u8) {
        self.node("node-start", n);
    }

    /// Every partition of every topic (the internal ones too) has a leader and all of its
    /// replicas in sync: `Err(the partitions that do not)` until then.
    pub fn fully_replicated(&self) -> Result<(), String> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .create()
            .map_err(|e| e.to_string())?;
        let md = consumer
            .fetch_metadata(None, Duration::from_secs(10))
            .map_err(|e| format!("metadata: {e}"))?;
        let mut lagging = Vec::new();
        for t in md.topics() {
            for p in t.partitions() {
                if p.leader() < 0
                    || p.isr().len() < p.replicas().len()
                    || p.replicas().len() < NODES as usize
                {
                    lagging.push(format!(
                        "{}/{} leader {} replicas {:?} isr {:?}",
                        t.name(),
                        p.id(),
                        p.leader(),
                        p.replicas(),
                        p.isr()
                    ));
                }
            }
        }
        if md.brokers().len() < NODES as usize {
            lagging.push(format!("{} brokers in the metadata", md.brokers().len()));
        }
        if lagging.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{} partitions not fully replicated, e.g. {:?}",
                lagging.len(),
                &lagging[..lagging.len().min(3)]
            ))
        }
    }

    /// Waits (at most `timeout`) until [`fully_replicated`](Self::fully_replicated) holds, so
    /// that the next fault leaves every partition with 2 in-sync replicas.
    pub fn await_fully_replicated(&self, timeout: Duration, watching: &[&dyn Watched]) {
        let mut wait = wait_for("every partition fully replicated", timeout)
            .every(Duration::from_millis(500))
            .watching(self);
        for w in watching {
            wait = wait.watching(*w);
        }
        wait.until(|| self.fully_replicated());
    }

    /// The leader of `topic`/`partition` now.
    pub fn leader(&self, topic: &str, partition: i32) -> Option<u8> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .create()
            .ok()?;
        let md = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .ok()?;
        let leader = md
            .topics()
            .first()?
            .partitions()
            .iter()
            .find(|p| p.id() == partition)?
            .leader();
        u8::try_from(leader)
            .ok()
            .filter(|l| (1..=NODES).contains(l))
    }

    /// The node that is the group coordinator of `group` (Kafka's ConsumerGroupCommand
    /// `--describe --state`, column `COORDINATOR (ID)`).
    pub fn group_coordinator(&self, group: &str) -> Result<u8, String> {
        let out = Command::new("bash")
            .arg(repo().join("scripts/kafka.sh"))
            .arg("tool")
            .arg(self.dir.join("node1"))
            .arg("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand")
            .args([
                "--bootstrap-server",
                &self.bootstrap,
                "--describe",
                "--state",
                "--group",
                group,
            ])
            .output()
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines()
            .filter(|l| l.starts_with(group))
            .find_map(|l| {
                let open = l.find('(')?;
                let close = l[open..].find(')')? + open;
                l[open + 1..close].trim().parse::<u8>().ok()
            })
            .ok_or_else(|| {
                format!(
                    "no coordinator in {text:?} {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            })
    }

    /// The server logs of the nodes.
    pub fn node_logs(&self) -> Vec<PathBuf> {
        (1..=NODES)
            .map(|n| self.dir.join(format!("node{n}/logs/server.log")))
            .collect()
    }
}

impl Watched for TestCluster {
    fn describe(&self) -> String {
        format!("Kafka cluster in {}", self.dir.display())
    }

    /// A cluster never "ends" by itself while a test runs (nodes are stopped on purpose);
    /// it is watched for its logs.
    fn ended(&self) -> Option<String> {
        None
    }

    fn logs(&self) -> Vec<PathBuf> {
        self.node_logs()
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo().join("scripts/kafka.sh"))
            .arg("cluster-stop")
            .arg(&self.dir)
            .status();
        if std::env::var("SYNTH_REVIEW_KEEP_KAFKA_DIR").as_deref() == Ok("1") {
            eprintln!("cluster state kept in {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// What a [`SteadyProducer`] produced once it is stopped.
pub struct Produced {
    /// Every message, each acknowledged by the cluster (acks=all, idempotent producer).
    pub messages: Vec<Generated>,
}

/// Produces generated events to a topic at a steady rate, in a task of its own, until stopped.
/// Idempotent (`enable.idempotence`), `acks=all`, deliveries retried for up to 10 minutes: a
/// broker restart delays messages but never loses or duplicates one.
pub struct SteadyProducer {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Result<Vec<Generated>, String>>,
    sent: Arc<std::sync::atomic::AtomicU64>,
}

impl SteadyProducer {
    /// Starts producing `per_tick` events every `tick` to `topic` (bootstrap `brokers`), event
    /// ids `ev-{seed+k}-…` over the `clean` paragraphs.
    pub fn start(
        brokers: &str,
        topic: &str,
        clean: Vec<String>,
        per_tick: usize,
        tick: Duration,
        seed: u64,
    ) -> SteadyProducer {
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("message.timeout.ms", "600000")
            .set("linger.ms", "20")
            .create()
            .expect("producer");
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let topic = topic.to_string();
        let (stop2, sent2) = (stop.clone(), sent.clone());
        let task = tokio::spawn(async move {
            let mut all = Vec::new();
            let mut deliveries = Vec::new();
            let mut ticks = tokio::time::interval(tick);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut k = 0u64;
            while !stop2.load(Ordering::SeqCst) {
                ticks.tick().await;
                let chunk = generate(per_tick, 0, &clean, seed + k);
                k += 1;
                for m in &chunk {
                    let f = producer
                        .send_result(FutureRecord::to(&topic).key(&m.key).payload(&m.payload))
                        .map_err(|(e, _)| format!("enqueue {}: {e}", m.key))?;
                    deliveries.push(f);
                }
                sent2.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                all.extend(chunk);
            }
            for (i, f) in deliveries.into_iter().enumerate() {
                match f.await {
                    Ok(Ok(_)) => {}
                    Ok(Err((e, _))) => {
                        return Err(format!("delivery of {} failed: {e}", all[i].key))
                    }
                    Err(_) => return Err(format!("delivery of {} canceled", all[i].key)),
                }
            }
            Ok(all)
        });
        SteadyProducer { stop, task, sent }
    }

    /// Messages handed to the producer so far.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    /// Stops producing and waits for every acknowledgement.
    ///
    /// # Panics
    /// If a delivery failed.
    pub async fn stop(self) -> Produced {
        self.stop.store(true, Ordering::SeqCst);
        let messages = self
            .task
            .await
            .expect("producer task")
            .unwrap_or_else(|e| panic!("steady producer: {e}"));
        Produced { messages }
    }
}

/// The worker's progress over time: a thread reads `synth_review_transactions_total{result=
/// "committed"}` from its /metrics every 100 ms and records when it grew. Progress means
/// committed transactions (exactly-once), not events reviewed: a batch whose transaction is
/// aborted and reviewed again is no progress.
pub struct Progress {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<(Instant, u64)>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The metric series [`Progress`] follows.
const COMMITTED: &str = "synth_review_transactions_total{result=\"committed\"}";

impl Progress {
    /// Starts following the worker serving /metrics on `port`.
    pub fn start(port: u16) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (stop2, seen2) = (stop.clone(), seen.clone());
        let thread = std::thread::spawn(move || {
            let mut last = 0u64;
            while !stop2.load(Ordering::SeqCst) {
                if let Some(v) = worker_metrics(port).and_then(|t| metric(&t, COMMITTED)) {
                    let v = v as u64;
                    if v > last {
                        last = v;
                        seen2.lock().unwrap().push((Instant::now(), v));
                    }
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Progress {
            stop,
            seen,
            thread: Some(thread),
        }
    }

    /// Committed transactions so far.
    pub fn committed(&self) -> u64 {
        self.seen.lock().unwrap().last().map_or(0, |(_, v)| *v)
    }

    /// When the worker last committed, if ever.
    pub fn last_progress(&self) -> Option<Instant> {
        self.seen.lock().unwrap().last().map(|(t, _)| *t)
    }

    /// The first commit seen after `t`, if any.
    pub fn progress_after(&self, t: Instant) -> Option<Instant> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|(at, _)| *at)
            .find(|at| *at > t)
    }

    /// The longest time without a commit in the window from `from` until the first commit after
    /// `to` (or until now, if there is none yet): from the last commit before `from` (or `from`)
    /// to each next commit.
    pub fn max_stall(&self, from: Instant, to: Instant) -> Duration {
        let seen = self.seen.lock().unwrap();
        let mut prev = seen
            .iter()
            .map(|(at, _)| *at)
            .rfind(|at| *at <= from)
            .unwrap_or(from);
        let mut max = Duration::ZERO;
        let mut closed = false;
        for at in seen.iter().map(|(at, _)| *at).filter(|at| *at > from) {
            max = max.max(at - prev);
            prev = at;
            if at > to {
                closed = true;
                break;
            }
        }
        if !closed {
            max = max.max(prev.elapsed());
        }
        max
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// An integer from the environment variable `name`, else `default`.
pub fn env_or(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not {v:?}")),
        Err(_) => default,
    }
}

/// What the cluster test and the soak both start from: a fresh [`TestCluster`], topics of
/// `partitions` input partitions replicated three times, an exactly-once worker (transaction
/// timeout 30 s, batches of up to 500) under a [`SteadyProducer`] of 200 clean events a second
/// (`producer_seed` numbers them), and its [`Progress`], returned once it has committed five
/// transactions.
pub struct ClusterRun {
    /// The cluster.
    pub cluster: TestCluster,
    /// The worker's topics.
    pub topics: super::broker::TestTopics,
    /// Its consumer group.
    pub group: String,
    /// The producer feeding the input topic.
    pub producer: SteadyProducer,
    /// The worker.
    pub worker: super::worker::Worker,
    /// Its committed transactions over time.
    pub progress: Progress,
    /// Holds the worker's pipeline file.
    pub dir: tempfile::TempDir,
}

impl ClusterRun {
    /// Starts it all, names prefixed with `prefix`.
    ///
    /// # Panics
    /// If the cluster, the topics or the worker do not come up (the first commits are waited
    /// for up to 300 s, watching the worker and the cluster).
    pub async fn start(prefix: &str, partitions: i32, producer_seed: u64) -> ClusterRun {
        let cluster = TestCluster::start();
        super::broker::use_brokers(cluster.bootstrap());
        let prefix = super::broker::unique(prefix);
        let topics = super::broker::TestTopics::new(&prefix);
        let group = format!("{prefix}-group");
        let dir = tempfile::tempdir().unwrap();
        let pipeline = super::worker::write_pipeline_with(
            dir.path(),
            &topics,
            &group,
            "delivery = \"exactly_once\"\ntransaction_timeout_ms = 30000\nbatch_max_events = 500",
        );
        super::broker::create_topics_replicated(&topics, partitions, 3).await;
        cluster.await_fully_replicated(Duration::from_secs(120), &[]);
        let clean = super::events::clean_paragraphs(&pipeline);
        // 200 events a second.
        let producer = SteadyProducer::start(
            cluster.bootstrap(),
            &topics.input,
            clean,
            50,
            Duration::from_millis(250),
            producer_seed,
        );
        let worker = super::worker::Worker::start(&pipeline);
        let progress = Progress::start(worker.port());
        wait_for("the worker's first commits", Duration::from_secs(300))
            .watching(&worker)
            .watching(&cluster)
            .until(|| progress.committed() >= 5);
        ClusterRun {
            cluster,
            topics,
            group,
            producer,
            worker,
            progress,
            dir,
        }
    }
}
