//! Exactly-once across a broker restart: the broker started by `scripts/test.sh` is stopped and
//! started again (same ports and data, `scripts/kafka.sh restart`) while a worker consumes a
//! stream. The worker must ride it out — retrying transactional calls, pausing consumption — and
//! every input message must still appear exactly once in the read_committed outputs and in audit.
//! Then the shutdown contract while the broker is down. Its own test binary, so no other test
//! shares the broker while it is down.
//!
//! `SYNTH_REVIEW_RESTART_ROUNDS` (else `SYNTH_REVIEW_FAULT_ROUNDS`, else 3) sets the rounds of
//! `broker_restart_mid_stream`; `SYNTH_REVIEW_STRESS=1 scripts/test.sh --test
//! kafka_broker_restart` runs it under `scripts/stress.sh` load.

pub mod common;

use std::time::{Duration, Instant};

use common::*;

/// `drain_timeout_ms` of the stop-while-down worker.
const DRAIN_TIMEOUT_MS: u64 = 2_000;
/// The shutdown watchdog's grace after SIGTERM: `drain_timeout_ms` + 5 s (README "Exit codes",
/// `shutdown_with_watchdog` in `src/main.rs`).
const WATCHDOG_GRACE: Duration = Duration::from_millis(DRAIN_TIMEOUT_MS + 5_000);
/// Between the watchdog's deadline and this test seeing the exit: signal delivery, the runtime
/// noticing it, `process::exit` and the test's 20 ms polling of the exit status, on a machine as
/// loaded as CI machines get (load 5–7 on 2 cores).
const EXIT_MARGIN: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_restart_mid_stream() {
    let broker = TestBroker::from_env();
    let rounds = env_or(
        "SYNTH_REVIEW_RESTART_ROUNDS",
        env_or("SYNTH_REVIEW_FAULT_ROUNDS", 3),
    );
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
            "restart round {r}: {} messages, {:?} (load average {})",
            msgs.len(),
            started.elapsed(),
            std::fs::read_to_string("/proc/loadavg")
                .unwrap_or_default()
                .split(' ')
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        );
    }

    // Stopping while the broker is down, with an open batch: the worker is retrying a
    // transactional call, and SIGTERM must still end it — not only once the broker is back. The
    // batch cannot commit without a broker, so the shutdown cannot finish, and the watchdog ends
    // the process with exit code 1 once drain_timeout_ms + 5 s have passed since the signal.
    let prefix = unique("stop-while-down");
    let topics = TestTopics::new(&prefix);
    let dir = tempfile::tempdir().unwrap();
    let pipeline = write_pipeline_with(
        dir.path(),
        &topics,
        &format!("{prefix}-group"),
        &format!("delivery = \"exactly_once\"\ntransaction_timeout_ms = 10000\nbatch_max_events = 500\ndrain_timeout_ms = {DRAIN_TIMEOUT_MS}"),
    );
    create_topics(&topics, 4).await;
    let clean = clean_paragraphs(&pipeline);
    let msgs = generate(20_000, 0, &clean, 77);
    produce_all(&topics.input, &msgs).await;
    let mut worker = Worker::start(&pipeline);
    wait_for("progress before the broker stops", Duration::from_secs(300))
        .watching(&worker)
        .watching(&broker)
        .until(|| worker.events_done() >= 1_000);
    // Started again when this guard is dropped, also if an assertion below fails.
    let down = broker.stopped();
    let reviewed = worker.events_done();
    assert!(
        reviewed < msgs.len() as u64,
        "the worker still has input when the broker is down (reviewed {reviewed} of {})",
        msgs.len()
    );
    let stopping = Instant::now();
    // Bounded well beyond the contract, so that a late exit is measured rather than killed.
    let status = terminate(&mut worker, Duration::from_secs(60));
    let took = stopping.elapsed();
    eprintln!("stop while the broker is down: {status:?} after {took:?}");
    drop(down);
    assert_eq!(
        status.code(),
        Some(1),
        "the watchdog ends a shutdown that cannot commit with exit code 1: {status:?}\n{}",
        log_tail(worker.log(), LOG_TAIL_LINES)
    );
    assert!(
        took <= WATCHDOG_GRACE + EXIT_MARGIN,
        "exit within drain_timeout_ms + 5 s ({WATCHDOG_GRACE:?}, plus {EXIT_MARGIN:?} margin) of \
         SIGTERM, took {took:?}\n{}",
        log_tail(worker.log(), LOG_TAIL_LINES)
    );

    // Stopping while the broker is down with nothing to commit (an idle worker): prompt, exit 0 —
    // not after the watchdog's drain_timeout_ms + 5 s. Leaving the group is bounded (5 s) when the
    // coordinator cannot be reached.
    let prefix = unique("idle-stop-while-down");
    let topics = TestTopics::new(&prefix);
    let dir = tempfile::tempdir().unwrap();
    let pipeline = write_pipeline(dir.path(), &topics, &format!("{prefix}-group"));
    create_topics(&topics, 2).await;
    let mut worker = Worker::start(&pipeline);
    let port = worker.port();
    wait_for("the idle worker to be ready", Duration::from_secs(120))
        .watching(&worker)
        .watching(&broker)
        .until(|| matches!(http_get(port, "/readyz"), Ok((200, _))));
    let down = broker.stopped();
    let stopping = Instant::now();
    let status = terminate(&mut worker, Duration::from_secs(60));
    let took = stopping.elapsed();
    drop(down);
    eprintln!("idle stop while the broker is down: {status:?} after {took:?}");
    assert!(
        status.success(),
        "nothing to commit: exit 0: {status:?}\n{}",
        log_tail(worker.log(), LOG_TAIL_LINES)
    );
    assert!(
        took <= Duration::from_secs(5) + EXIT_MARGIN,
        "an idle worker stops promptly while the broker is down, took {took:?}\n{}",
        log_tail(worker.log(), LOG_TAIL_LINES)
    );
}
