//! Exactly-once across a broker restart: the broker started by `scripts/test.sh` is stopped and
//! started again (same ports and data, `scripts/kafka.sh restart`) while a worker consumes a
//! stream. The worker must ride it out — retrying transactional calls, pausing consumption — and
//! every input message must still appear exactly once in the read_committed outputs and in audit.
//! Its own test binary, so no other test shares the broker while it is down.

pub mod common;

use std::time::{Duration, Instant};

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_restart_mid_stream() {
    let broker = TestBroker::from_env();
    let rounds: u64 = std::env::var("SYNTH_REVIEW_FAULT_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    for r in 0..rounds {
        let started = Instant::now();
        let prefix = unique("restart");
        let topics = TestTopics::new(&prefix);
        let group = format!("{prefix}-group");
        let dir = tempfile::tempdir().unwrap();
        let pipeline = write_pipeline_with(
            dir.path(),
            &topics,
            &group,
            "delivery = \"exactly_once\"\ntransaction_timeout_ms = 10000\nbatch_max_events = 500",
        );
        create_topics(&topics, 4).await;
        let clean = clean_paragraphs(&pipeline);
        let msgs = generate(20_000, 2, &clean, 900 + r);
        let (first, second) = msgs.split_at(msgs.len() / 2);
        produce_all(&topics.input, first).await;

        let mut worker = Worker::start(&pipeline);
        wait_for("progress before the restart", Duration::from_secs(300))
            .watching(&worker)
            .watching(&broker)
            .until(|| worker.events_done() >= 3_000);
        broker.kafka_sh("restart");
        assert!(
            worker.exit_status().is_none(),
            "the worker survives the broker restart"
        );
        produce_all(&topics.input, second).await;

        wait_for(
            "committed offsets to cover the input",
            Duration::from_secs(600),
        )
        .watching(&worker)
        .watching(&broker)
        .until(|| committed_covers(&group, &topics.input, 4, msgs.len()));
        let status = terminate(&mut worker, Duration::from_secs(30));
        assert!(status.success(), "{status:?}");
        let out = collect_complete(&topics, Duration::from_secs(300));
        assert_exactly_once(&msgs, &out);
        eprintln!(
            "restart round {r}: {} messages, {:?}",
            msgs.len(),
            started.elapsed()
        );
    }

    // Stopping while the broker is down: the worker is retrying a transactional call, and SIGTERM
    // must still end it within drain_timeout_ms + 5 s (exit 0 if it drained, 1 if the watchdog
    // ended it) — not only once the broker is back.
    let prefix = unique("stop-while-down");
    let topics = TestTopics::new(&prefix);
    let dir = tempfile::tempdir().unwrap();
    let pipeline = write_pipeline_with(
        dir.path(),
        &topics,
        &format!("{prefix}-group"),
        "delivery = \"exactly_once\"\ntransaction_timeout_ms = 10000\nbatch_max_events = 500\ndrain_timeout_ms = 2000",
    );
    create_topics(&topics, 4).await;
    let clean = clean_paragraphs(&pipeline);
    produce_all(&topics.input, &generate(20_000, 0, &clean, 77)).await;
    let mut worker = Worker::start(&pipeline);
    wait_for("progress before the broker stops", Duration::from_secs(300))
        .watching(&worker)
        .watching(&broker)
        .until(|| worker.events_done() >= 1_000);
    let down = broker.stopped();
    let stopped = Instant::now();
    // Bounded: `terminate` kills the worker and fails the test if it is still running after 60 s.
    let status = terminate(&mut worker, Duration::from_secs(60));
    eprintln!(
        "stop while the broker is down: {status:?} after {:?}",
        stopped.elapsed()
    );
    drop(down);
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "exit code 0 or 1 expected: {status:?}"
    );
}
