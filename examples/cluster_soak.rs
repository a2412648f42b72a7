//! Soak: the worker (`run`, exactly-once) against a real three-broker cluster for a given time,
//! with a steady producer, while brokers are restarted, killed and cut off at random (seeded);
//! then exactly-once is verified. Run through `scripts/soak.sh MINUTES [SEED]`, which builds the
//! release worker and starts this driver:
//!
//! ```sh
//! SYNTH_REVIEW_BIN=target/release/synth-review cargo run --example cluster_soak -- 30 42
//! ```
//!
//! The cluster is `scripts/kafka.sh cluster-start` in a temporary directory (KRaft, combined
//! broker+controller nodes, replication factor 3, `min.insync.replicas` 2). After a first
//! commit, until MINUTES have passed, the driver waits a random 10–40 s and then applies one
//! fault to a random node:
//!
//! - `restart`: SIGTERM (controlled shutdown) and start again;
//! - `kill9`: SIGKILL, down for 0–20 s, start again;
//! - `partition`: SIGSTOP for 5–30 s, then SIGCONT. A stopped JVM answers nobody — clients, the
//!   other brokers, the controller quorum — so the rest of the cluster sees exactly what a
//!   network partition isolating that node shows: its sessions time out, leadership moves, and
//!   it rejoins when it answers again. (Not simulated: a node that still hears some peers.)
//!
//! After each fault it waits until every partition is in sync again and the worker has committed
//! since, and records the longest time without a committed transaction around the fault. Bounds:
//! no commit for [`MAX_STALL`] fails the soak. At the end: the producer stops, the group's
//! committed offsets must cover the input, the worker stops (SIGTERM, exit 0), and every input
//! must appear exactly once across the output topics (`read_committed`) and in audit. Prints a
//! summary (messages, faults by kind, stalls, the worker's client replacements and
//! transactions) and exits 0, or panics with what failed.

#[path = "../tests/common/mod.rs"]
pub mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use common::*;

/// No committed transaction for this long fails the soak.
const MAX_STALL: Duration = Duration::from_secs(120);
/// Input partitions.
const PARTITIONS: i32 = 4;

struct Done {
    kind: &'static str,
    node: u8,
    at: Duration,
    took: Duration,
    stall: Duration,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: cluster_soak MINUTES [SEED]";
    let minutes: f64 = args
        .get(1)
        .and_then(|m| m.parse().ok())
        .filter(|m: &f64| *m > 0.0)
        .unwrap_or_else(|| panic!("{usage}"));
    let seed: u64 = args
        .get(2)
        .map_or(42, |s| s.parse().unwrap_or_else(|_| panic!("{usage}")));
    let run_for = Duration::from_secs_f64(minutes * 60.0);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    eprintln!(
        "soak: {minutes} min, seed {seed}, worker {}",
        bin().display()
    );

    let started = Instant::now();
    let ClusterRun {
        cluster,
        topics,
        group,
        producer,
        mut worker,
        progress,
        dir: _dir,
    } = ClusterRun::start("soak", PARTITIONS, seed * 1_000_000).await;
    let soak_start = Instant::now();

    let mut done: Vec<Done> = Vec::new();
    while soak_start.elapsed() < run_for {
        let pause = Duration::from_secs(rng.gen_range(10..=40));
        // The time between faults is the soak's schedule, not a wait for a condition; the worker
        // is watched meanwhile.
        let until = Instant::now() + pause.min(run_for.saturating_sub(soak_start.elapsed()));
        wait_for("the next fault's time", pause + Duration::from_secs(1))
            .every(Duration::from_millis(500))
            .watching(&worker)
            .until(|| Instant::now() >= until);
        if soak_start.elapsed() >= run_for {
            break;
        }
        let node: u8 = rng.gen_range(1..=NODES);
        let roll = rng.gen_range(0..100);
        let at = soak_start.elapsed();
        let t0 = Instant::now();
        let kind = match roll {
            0..=39 => {
                cluster.restart(node);
                "restart"
            }
            40..=69 => {
                let down = Duration::from_secs(rng.gen_range(0..=20));
                cluster.kill9(node);
                let back = Instant::now() + down;
                wait_for("the node's time down", down + Duration::from_secs(1))
                    .every(Duration::from_millis(200))
                    .watching(&worker)
                    .until(|| Instant::now() >= back);
                cluster.start_node(node);
                "kill9"
            }
            _ => {
                let cut = Duration::from_secs(rng.gen_range(5..=30));
                cluster.node("node-pause", node);
                let back = Instant::now() + cut;
                wait_for("the partition's length", cut + Duration::from_secs(1))
                    .every(Duration::from_millis(200))
                    .watching(&worker)
                    .until(|| Instant::now() >= back);
                cluster.node("node-resume", node);
                "partition"
            }
        };
        cluster.await_fully_replicated(Duration::from_secs(600), &[&worker]);
        let t1 = Instant::now();
        wait_for(format!("a commit after {kind} of broker {node}"), MAX_STALL)
            .watching(&worker)
            .watching(&cluster)
            .until(|| progress.progress_after(t1).is_some());
        let stall = progress.max_stall(t0, t1);
        eprintln!(
            "[{:>7.1?}] {kind:<9} broker {node}: handled in {:.1?}, longest time without a commit {:.1?} ({} sent, {} transactions committed)",
            at,
            t1 - t0,
            stall,
            producer.sent(),
            progress.committed()
        );
        assert!(
            stall <= MAX_STALL,
            "{kind} of broker {node}: no commit for {stall:?}\n{}",
            log_tail(worker.log(), LOG_TAIL_LINES)
        );
        done.push(Done {
            kind,
            node,
            at,
            took: t1 - t0,
            stall,
        });
    }
    let soaked = soak_start.elapsed();

    let produced = producer.stop().await.messages;
    let total = produced.len();
    wait_for(
        "committed offsets to cover the input",
        Duration::from_secs(900),
    )
    .watching(&worker)
    .watching(&cluster)
    .until(|| committed_covers(&group, &topics.input, PARTITIONS, total));
    let metrics = worker_metrics(worker.port()).unwrap_or_default();
    let status = terminate(&mut worker, Duration::from_secs(60));
    assert!(status.success(), "worker exit: {status:?}");
    let out = collect_complete(&topics, Duration::from_secs(600));
    assert_exactly_once(&produced, &out);

    let mut by_kind: BTreeMap<&str, (usize, Duration)> = BTreeMap::new();
    for d in &done {
        let e = by_kind.entry(d.kind).or_default();
        e.0 += 1;
        e.1 = e.1.max(d.stall);
    }
    let mut stalls: Vec<Duration> = done.iter().map(|d| d.stall).collect();
    stalls.sort();
    let median = stalls.get(stalls.len() / 2).copied().unwrap_or_default();
    let worst = done.iter().max_by_key(|d| d.stall);
    println!(
        "soak result: PASSED (seed {seed}, {minutes} min of faults, {:.0?} in all)",
        started.elapsed()
    );
    println!(
        "  messages: {total} produced, each exactly once in the outputs ({} decisions, {} dead letters, {} audit records)",
        out.total_decisions, out.total_dead_letters, out.total_audit
    );
    println!("  faults over {:.0?}: {}", soaked, done.len());
    for (kind, (n, max)) in &by_kind {
        println!("    {kind:<9} {n:>3}, longest time without a commit {max:.1?}");
    }
    println!(
        "  time without a commit per fault: median {median:.1?}, max {:.1?}{}",
        worst.map_or(Duration::ZERO, |w| w.stall),
        worst.map_or(String::new(), |w| format!(
            " ({} of broker {} at {:.0?}, handled in {:.1?})",
            w.kind, w.node, w.at, w.took
        ))
    );
    for line in metrics.lines().filter(|l| {
        l.starts_with("synth_review_client_replacements_total")
            || l.starts_with("synth_review_transactions_total")
    }) {
        println!("  {line}");
    }
}
