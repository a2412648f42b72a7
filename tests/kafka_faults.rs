//! Exactly-once under faults, against the real broker. Each test streams real-corpus events
//! (with every kind of poison message interleaved) through `synth-review run` processes, injects a
//! fault, and asserts that every input message appears exactly once across
//! approved ∪ held ∪ rejected ∪ dead-letter (read with `isolation.level=read_committed`), with its
//! expected outcome, and exactly once in audit.
//!
//! Each test runs `SYNTH_REVIEW_FAULT_ROUNDS` rounds (default 3) with different seeds and fresh
//! topics. Every wait is on a condition with a deadline; nothing sleeps for a fixed time.

mod common;

use std::process::Child;
use std::time::{Duration, Instant};

use common::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn rounds() -> u64 {
    std::env::var("SYNTH_REVIEW_FAULT_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

struct Worker {
    child: Child,
    port: u16,
}

impl Worker {
    fn start(pipeline: &std::path::Path) -> Worker {
        let port = free_port();
        Worker {
            child: spawn_worker(pipeline, port),
            port,
        }
    }
    fn done(&self) -> u64 {
        events_done(self.port).unwrap_or(0)
    }
    fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
    fn sigterm(mut self, timeout: Duration) -> (std::process::ExitStatus, Duration) {
        let t = Instant::now();
        let status = terminate(&mut self.child, timeout);
        (status, t.elapsed())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A round's topics, pipeline and messages, with the messages being produced in the background.
struct Round {
    topics: TestTopics,
    group: String,
    pipeline: std::path::PathBuf,
    msgs: Vec<Generated>,
    partitions: i32,
    producer: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

async fn round(name: &str, seed: u64, events: usize, partitions: i32) -> Round {
    let prefix = unique(name);
    let topics = TestTopics::new(&prefix);
    let group = format!("{prefix}-group");
    let dir = tempfile::tempdir().unwrap();
    let pipeline = write_pipeline_with(
        dir.path(),
        &topics,
        &group,
        "delivery = \"exactly_once\"\ntransaction_timeout_ms = 10000\nbatch_max_events = 500\nbatch_max_ms = 100\ndrain_timeout_ms = 10000",
    );
    create_topics(&topics, partitions).await;
    let clean = clean_paragraphs(&pipeline);
    let msgs = generate(events, 2, &clean, seed);
    let (input, to_send) = (topics.input.clone(), msgs.clone());
    // A stream, not a backlog: production runs while the workers consume.
    let producer = tokio::spawn(async move {
        for chunk in to_send.chunks(5_000) {
            produce_all(&input, chunk).await;
        }
    });
    Round {
        topics,
        group,
        pipeline,
        msgs,
        partitions,
        producer: Some(producer),
        _dir: dir,
    }
}

impl Round {
    async fn produced(&mut self) {
        if let Some(p) = self.producer.take() {
            p.await.expect("producer task");
        }
    }
    /// Waits until the group's committed offsets cover every input message.
    fn wait_committed(&self, timeout: Duration) {
        let total = self.msgs.len() as i64;
        wait_until("committed offsets to cover the input", timeout, || {
            let o = committed_vs_end(&self.group, &self.topics.input, self.partitions);
            o.iter().all(|(c, e)| c == e) && o.iter().map(|(_, e)| e).sum::<i64>() == total
        });
    }
    fn verify(&self) {
        let out = collect_complete(&self.topics, Duration::from_secs(300));
        assert_exactly_once(&self.msgs, &out);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_points_then_restart() {
    for r in 0..rounds() {
        let seed = 500 + r;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let started = Instant::now();
        let mut round = round("kill9", seed, 100_000, 4).await;
        let mut kills = 0;
        for _ in 0..3 {
            let w = Worker::start(&round.pipeline);
            let at = rng.gen_range(3_000..20_000);
            wait_until("progress before the kill", Duration::from_secs(300), || {
                w.done() >= at
            });
            w.kill9();
            kills += 1;
        }
        let w = Worker::start(&round.pipeline);
        round.produced().await;
        round.wait_committed(Duration::from_secs(600));
        let (status, _) = w.sigterm(Duration::from_secs(30));
        assert!(status.success(), "{status:?}");
        round.verify();
        eprintln!(
            "kill9 round {r}: {} messages, {kills} kill -9s, {:?}",
            round.msgs.len(),
            started.elapsed()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_one_killed_mid_stream() {
    for r in 0..rounds() {
        let seed = 600 + r;
        let started = Instant::now();
        let mut round = round("rebalance", seed, 30_000, 6).await;
        let a = Worker::start(&round.pipeline);
        let b = Worker::start(&round.pipeline);
        wait_until("both workers busy", Duration::from_secs(300), || {
            a.done() >= 2_000 && b.done() >= 2_000
        });
        a.kill9();
        round.produced().await;
        round.wait_committed(Duration::from_secs(600));
        let (status, _) = b.sigterm(Duration::from_secs(30));
        assert!(status.success(), "{status:?}");
        round.verify();
        eprintln!(
            "rebalance round {r}: {} messages, {:?}",
            round.msgs.len(),
            started.elapsed()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn third_worker_joins_mid_stream() {
    for r in 0..rounds() {
        let seed = 700 + r;
        let started = Instant::now();
        let mut round = round("join", seed, 30_000, 6).await;
        let a = Worker::start(&round.pipeline);
        let b = Worker::start(&round.pipeline);
        wait_until("progress before the join", Duration::from_secs(300), || {
            a.done() + b.done() >= 6_000
        });
        let c = Worker::start(&round.pipeline);
        wait_until(
            "the new worker takes work",
            Duration::from_secs(300),
            || c.done() >= 500,
        );
        round.produced().await;
        round.wait_committed(Duration::from_secs(600));
        for w in [a, b, c] {
            let (status, _) = w.sigterm(Duration::from_secs(30));
            assert!(status.success(), "{status:?}");
        }
        round.verify();
        eprintln!(
            "join round {r}: {} messages, {:?}",
            round.msgs.len(),
            started.elapsed()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_drains_within_the_timeout() {
    for r in 0..rounds() {
        let seed = 800 + r;
        let started = Instant::now();
        let mut round = round("sigterm", seed, 30_000, 4).await;
        let a = Worker::start(&round.pipeline);
        wait_until("progress before SIGTERM", Duration::from_secs(300), || {
            a.done() >= 5_000
        });
        let (status, took) = a.sigterm(Duration::from_secs(30));
        assert!(status.success(), "clean exit on SIGTERM: {status:?}");
        assert!(
            took < Duration::from_secs(10 + 5),
            "drained within drain_timeout_ms: {took:?}"
        );
        let b = Worker::start(&round.pipeline);
        round.produced().await;
        round.wait_committed(Duration::from_secs(600));
        let (status, _) = b.sigterm(Duration::from_secs(30));
        assert!(status.success(), "{status:?}");
        round.verify();
        eprintln!(
            "sigterm round {r}: {} messages, exit took {took:?}, {:?}",
            round.msgs.len(),
            started.elapsed()
        );
    }
}
