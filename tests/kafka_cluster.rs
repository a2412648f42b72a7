//! Exactly-once on a real three-broker cluster (`scripts/kafka.sh cluster-start`: KRaft,
//! combined broker+controller nodes, every topic with replication factor 3 and
//! `min.insync.replicas` 2, `__transaction_state` and `__consumer_offsets` too), started by this
//! test, while a steady producer keeps feeding the worker (`run`, exactly-once):
//!
//! 1. a rolling restart: each broker in turn is restarted (controlled shutdown, start, then every
//!    partition back in sync before the next one). Zero unavailability: the worker keeps
//!    committing; the longest time without a committed transaction per restart is printed and
//!    bounded by [`MAX_STALL`];
//! 2. `kill -9` of the group coordinator of the worker's group, and then of the leader of input
//!    partition 0; the worker goes on with two brokers and the node is brought back;
//! 3. at the end every input message appears exactly once across the output topics
//!    (`read_committed`) and in audit, and the group's committed offsets cover the input.
//!
//! `SYNTH_REVIEW_CLUSTER_ROUNDS` (default 1) repeats 1 and 2. `scripts/test.sh` runs this binary
//! as a step of its own, under `scripts/stress.sh` load unless `SYNTH_REVIEW_STRESS=0`.

pub mod common;

use std::time::{Duration, Instant};

use common::*;

/// The longest time without a committed transaction allowed around one fault.
const MAX_STALL: Duration = Duration::from_secs(60);
/// Input partitions.
const PARTITIONS: i32 = 4;

/// One fault and the worker's longest time without progress around it.
struct Fault {
    what: String,
    took: Duration,
    stall: Duration,
}

/// Runs `fault`, waits until the cluster is fully replicated again and the worker has committed
/// since, and measures the longest time without a committed transaction from the fault's start
/// to that commit.
fn fault(
    cluster: &TestCluster,
    worker: &Worker,
    progress: &Progress,
    what: String,
    fault: impl FnOnce(),
) -> Fault {
    let start = Instant::now();
    fault();
    cluster.await_fully_replicated(Duration::from_secs(300), &[worker]);
    let done = Instant::now();
    wait_for(format!("a commit after: {what}"), MAX_STALL)
        .watching(worker)
        .watching(cluster)
        .until(|| progress.progress_after(done).is_some());
    let stall = progress.max_stall(start, done);
    let f = Fault {
        what,
        took: done - start,
        stall,
    };
    eprintln!(
        "{}: done in {:.1?}, longest time without a commit {:.1?}",
        f.what, f.took, f.stall
    );
    assert!(
        f.stall <= MAX_STALL,
        "{}: no committed transaction for {:?} (bound {MAX_STALL:?})\n{}",
        f.what,
        f.stall,
        log_tail(worker.log(), LOG_TAIL_LINES)
    );
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_rolling_restart_and_kill9_exactly_once() {
    let rounds = env_or("SYNTH_REVIEW_CLUSTER_ROUNDS", 1);
    let started = Instant::now();
    let ClusterRun {
        cluster,
        topics,
        group,
        producer,
        mut worker,
        progress,
        dir: _dir,
    } = ClusterRun::start("cluster", PARTITIONS, 7_000).await;

    let mut faults = Vec::new();
    for r in 0..rounds {
        for n in 1..=NODES {
            faults.push(fault(
                &cluster,
                &worker,
                &progress,
                format!("round {r}: rolling restart of broker {n}"),
                || cluster.restart(n),
            ));
        }
        let coordinator = wait_for("the group coordinator", Duration::from_secs(120))
            .every(Duration::from_secs(1))
            .watching(&worker)
            .until(|| cluster.group_coordinator(&group));
        faults.push(fault(
            &cluster,
            &worker,
            &progress,
            format!("round {r}: kill -9 of broker {coordinator} (group coordinator)"),
            || {
                cluster.kill9(coordinator);
                // The worker goes on with two brokers, before the third is back.
                let killed = Instant::now();
                wait_for("a commit with the coordinator dead", MAX_STALL)
                    .watching(&worker)
                    .until(|| progress.progress_after(killed).is_some());
                cluster.start_node(coordinator);
            },
        ));
        let leader = wait_for("the leader of input partition 0", Duration::from_secs(60))
            .watching(&worker)
            .until(|| cluster.leader(&topics.input, 0));
        faults.push(fault(
            &cluster,
            &worker,
            &progress,
            format!("round {r}: kill -9 of broker {leader} (leader of input partition 0)"),
            || {
                cluster.kill9(leader);
                let killed = Instant::now();
                wait_for("a commit with the leader dead", MAX_STALL)
                    .watching(&worker)
                    .until(|| progress.progress_after(killed).is_some());
                cluster.start_node(leader);
            },
        ));
    }

    let produced = producer.stop().await.messages;
    let total = produced.len();
    wait_for(
        "committed offsets to cover the input",
        Duration::from_secs(600),
    )
    .watching(&worker)
    .watching(&cluster)
    .until(|| committed_covers(&group, &topics.input, PARTITIONS, total));
    let status = terminate(&mut worker, Duration::from_secs(60));
    assert!(status.success(), "{status:?}");
    let out = collect_complete(&topics, Duration::from_secs(300));
    assert_exactly_once(&produced, &out);
    eprintln!(
        "cluster: {total} messages exactly once, {} faults in {rounds} round(s), {:.0?} in all; \
         longest time without a commit per fault:",
        faults.len(),
        started.elapsed()
    );
    for f in &faults {
        eprintln!(
            "  {:<70} {:>6.1?} (fault handled in {:.1?})",
            f.what, f.stall, f.took
        );
    }
}
