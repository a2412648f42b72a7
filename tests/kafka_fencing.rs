//! Fencing in exactly-once mode, on a real broker. Another producer calls `init_transactions` with
//! the worker's `transactional.id`, which bumps the epoch and aborts the worker's open transaction —
//! what the broker itself does when a transaction outlives `transaction.timeout.ms` (KIP-360), for
//! example across a broker restart.
//!
//! - With the default id (unique to the worker process) no zombie can exist, so the worker replaces
//!   its producer and goes on: every event exactly once, no exit.
//! - With a configured id (which two processes could share), a fence means a zombie: the worker
//!   exits with code 1, and a new worker finishes the stream, exactly once.

mod common;

use std::time::Duration;

use common::*;
use rdkafka::producer::{FutureProducer, Producer};
use rdkafka::ClientConfig;

/// The `transactional_id` the worker logged at start-up.
fn logged_transactional_id(port: u16) -> Option<String> {
    let log = std::fs::read_to_string(worker_log(port)).ok()?;
    log.lines()
        .filter(|l| l.contains("Transactions initialised."))
        .find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            v["fields"]["transactional_id"].as_str().map(str::to_string)
        })
}

/// Fences `id`: a producer with that transactional id initialises transactions.
fn fence(id: &str) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("transactional.id", id)
        .create()
        .expect("fencing producer");
    producer
        .init_transactions(Duration::from_secs(60))
        .expect("init_transactions of the fencing producer");
}

async fn setup(
    name: &str,
    kafka_extra: &str,
) -> (
    TestTopics,
    String,
    tempfile::TempDir,
    std::path::PathBuf,
    Vec<Generated>,
) {
    let prefix = unique(name);
    let topics = TestTopics::new(&prefix);
    let group = format!("{prefix}-group");
    let dir = tempfile::tempdir().unwrap();
    let pipeline = write_pipeline_with(
        dir.path(),
        &topics,
        &group,
        &format!("delivery = \"exactly_once\"\nbatch_max_events = 200\n{kafka_extra}"),
    );
    create_topics(&topics, 3).await;
    let clean = clean_paragraphs(&pipeline);
    let msgs = generate(6_000, 1, &clean, 4711);
    (topics, group, dir, pipeline, msgs)
}

fn wait_committed(group: &str, topics: &TestTopics, total: usize) {
    wait_until(
        "committed offsets to cover the input",
        Duration::from_secs(300),
        || {
            let o = committed_vs_end(group, &topics.input, 3);
            o.iter().all(|(c, e)| c == e) && o.iter().map(|(_, e)| e).sum::<i64>() == total as i64
        },
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_fenced_under_its_own_transactional_id_replaces_its_producer() {
    let (topics, group, _dir, pipeline, msgs) = setup("fence-own", "").await;
    let (first, second) = msgs.split_at(msgs.len() / 2);
    produce_all(&topics.input, first).await;
    let port = free_port();
    let mut worker = spawn_worker(&pipeline, port);
    wait_until("progress", Duration::from_secs(120), || {
        events_done(port).unwrap_or(0) >= 500
    });
    let id = logged_transactional_id(port).expect("transactional_id in the worker log");
    fence(&id);
    produce_all(&topics.input, second).await;
    wait_committed(&group, &topics, msgs.len());
    assert!(
        worker.try_wait().unwrap().is_none(),
        "the worker keeps running after the fence"
    );
    let status = terminate(&mut worker, Duration::from_secs(30));
    assert!(status.success(), "{status:?}");
    let log = std::fs::read_to_string(worker_log(port)).unwrap();
    assert!(
        log.contains("Replacing the producer"),
        "the fence was noticed and the producer replaced"
    );
    let out = collect_complete(&topics, Duration::from_secs(120));
    assert_exactly_once(&msgs, &out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_fenced_under_a_configured_transactional_id_exits_and_nothing_is_lost() {
    let id = unique("fixed-txn");
    let (topics, group, _dir, pipeline, msgs) =
        setup("fence-fixed", &format!("transactional_id = \"{id}\"")).await;
    produce_all(&topics.input, &msgs).await;
    let port = free_port();
    let mut worker = spawn_worker(&pipeline, port);
    wait_until("progress", Duration::from_secs(120), || {
        events_done(port).unwrap_or(0) >= 500
    });
    fence(&id);
    // The zombie notices at its next transactional call and stops with exit code 1.
    let mut status = None;
    wait_until(
        "the fenced worker to exit",
        Duration::from_secs(120),
        || {
            status = worker.try_wait().unwrap();
            status.is_some()
        },
    );
    let status = status.unwrap();
    assert_eq!(status.code(), Some(1), "{status:?}");
    let log = std::fs::read_to_string(worker_log(port)).unwrap();
    assert!(log.contains("fenced"), "the exit names the fence");

    // A new worker with the same id finishes the stream.
    let port = free_port();
    let mut worker = spawn_worker(&pipeline, port);
    wait_committed(&group, &topics, msgs.len());
    let status = terminate(&mut worker, Duration::from_secs(30));
    assert!(status.success(), "{status:?}");
    let out = collect_complete(&topics, Duration::from_secs(120));
    assert_exactly_once(&msgs, &out);
}
