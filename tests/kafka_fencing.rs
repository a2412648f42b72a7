//! Fencing in exactly-once mode, on a real broker. Another producer calls `init_transactions` with
//! the worker's `transactional.id`, which bumps the epoch and aborts the worker's open transaction —
//! what the broker itself does when a transaction outlives `transaction.timeout.ms` (KIP-360), for
//! example across a broker restart.
//!
//! - With the default id (unique to the worker process) no zombie can exist, so the worker replaces
//!   its producer and goes on: every event exactly once, no exit.
//! - With a configured id (which two processes could share), a fence means a zombie: the worker
//!   exits with code 1, and a new worker finishes the stream, exactly once.

pub mod common;

use std::time::Duration;

use common::*;
use rdkafka::producer::{FutureProducer, Producer};
use rdkafka::ClientConfig;

/// The `transactional_id` the worker logged at start-up.
fn logged_transactional_id(worker: &Worker) -> Option<String> {
    let log = std::fs::read_to_string(worker.log()).ok()?;
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

fn wait_committed(group: &str, topics: &TestTopics, total: usize, worker: &Worker) {
    wait_for(
        "committed offsets to cover the input",
        Duration::from_secs(300),
    )
    .watching(worker)
    .until(|| committed_covers(group, &topics.input, 3, total));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_fenced_under_its_own_transactional_id_replaces_its_producer() {
    let (topics, group, _dir, pipeline, msgs) = setup("fence-own", "").await;
    let (first, second) = msgs.split_at(msgs.len() / 2);
    produce_all(&topics.input, first).await;
    let mut worker = Worker::start(&pipeline);
    wait_for("progress", Duration::from_secs(120))
        .watching(&worker)
        .until(|| worker.events_done() >= 500);
    let id = logged_transactional_id(&worker).expect("transactional_id in the worker log");
    fence(&id);
    produce_all(&topics.input, second).await;
    wait_committed(&group, &topics, msgs.len(), &worker);
    assert!(
        worker.exit_status().is_none(),
        "the worker keeps running after the fence"
    );
    let status = terminate(&mut worker, Duration::from_secs(30));
    assert!(status.success(), "{status:?}");
    let log = worker.log_text();
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
    let worker = Worker::start(&pipeline);
    wait_for("progress", Duration::from_secs(120))
        .watching(&worker)
        .until(|| worker.events_done() >= 500);
    fence(&id);
    // The zombie notices at its next transactional call and stops with exit code 1.
    let status = wait_for("the fenced worker to exit", Duration::from_secs(120))
        .until(|| worker.exit_status());
    assert_eq!(status.code(), Some(1), "{status:?}");
    let log = worker.log_text();
    assert!(log.contains("fenced"), "the exit names the fence");

    // A new worker with the same id finishes the stream.
    let mut worker = Worker::start(&pipeline);
    wait_committed(&group, &topics, msgs.len(), &worker);
    let status = terminate(&mut worker, Duration::from_secs(30));
    assert!(status.success(), "{status:?}");
    let out = collect_complete(&topics, Duration::from_secs(120));
    assert_exactly_once(&msgs, &out);
}
