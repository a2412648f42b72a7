//! A batch that reviews slower than its deadlines, on a real broker (issue 12, item 6).
//!
//! Every event within the limits reviews quickly in a release build, but a batch of the heaviest
//! events can still take longer than `transaction.timeout.ms` or the consumer's
//! `max.poll.interval.ms` (a debug build, a loaded machine, a large `batch_max_events`). Past
//! `max.poll.interval.ms` the consumer is put out of its group and the batch's offsets are refused;
//! aborting and reviewing the same batch again would fail the same way, forever. The worker bounds
//! each batch's review to half the smaller deadline, commits what it reviewed and reads the rest
//! again (`synth_review_batches_cut_total`). This test makes the batch's review take about three
//! times `max.poll.interval.ms` and checks that every event still comes out exactly once.

pub mod common;

use std::time::{Duration, Instant};

use common::*;
use synth_review::event::parse_event;

/// `max.poll.interval.ms` of the worker under test (the broker's smallest session timeout is
/// 6 s, and librdkafka wants `max.poll.interval.ms` ≥ `session.timeout.ms`).
const MAX_POLL_MS: u64 = 6_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_slower_than_its_deadlines_commits_in_parts_exactly_once() {
    let prefix = unique("slow-review");
    let topics = TestTopics::new(&prefix);
    let group = format!("{prefix}-group");
    let dir = tempfile::tempdir().unwrap();
    let pipeline = write_pipeline_with(
        dir.path(),
        &topics,
        &group,
        &format!(
            "delivery = \"exactly_once\"\nreview_threads = 1\nbatch_max_ms = 3000\n\
             transaction_timeout_ms = 5000\n\n[kafka.options]\n\
             \"max.poll.interval.ms\" = \"{MAX_POLL_MS}\"\n\"session.timeout.ms\" = \"6000\"\n"
        ),
    );
    create_topics(&topics, 2).await;

    // Heavy events: one prohibited term repeated to near the event size limit.
    let engine = synth_review::engine::load_pipeline(&pipeline, &synth_review::config::Disk)
        .expect("pipeline")
        .engine;
    let text = "出售冰毒".repeat(60_000);
    let heavy = |i: usize| event_json(&format!("heavy-{i:03}"), true, &text, None);
    let probe = heavy(0);
    let started = Instant::now();
    let parsed = parse_event(&probe, engine.limits()).expect("the heavy event parses");
    let decision = engine.review(&parsed.event).expect("review").decision;
    let per_event = started.elapsed().max(Duration::from_millis(1));
    // Enough heavy events that one batch of them reviews for ~3 × max.poll.interval.ms.
    let count = ((3 * MAX_POLL_MS) as u128 / per_event.as_millis().max(1)).clamp(8, 200) as usize;
    eprintln!("one heavy event reviews in {per_event:?} here; producing {count} of them");

    let clean = clean_paragraphs(&pipeline);
    let mut msgs = generate(300, 1, &clean, 977);
    msgs.extend((0..count).map(|i| Generated {
        key: format!("heavy-{i:03}"),
        payload: heavy(i),
        expected: decision.as_str().to_string(),
    }));
    // Heavy and light events interleaved on both partitions.
    msgs.sort_by_key(|m| {
        (m.key.len() * 7919 + m.key.bytes().map(usize::from).sum::<usize>()) % 101
    });
    produce_all(&topics.input, &msgs).await;

    let mut worker = Worker::start(&pipeline);
    wait_for(
        "committed offsets to cover the input",
        Duration::from_secs(900),
    )
    .watching(&worker)
    .until(|| committed_covers(&group, &topics.input, 2, msgs.len()));
    let metrics = worker_metrics(worker.port()).expect("/metrics");
    let cut = metric(&metrics, "synth_review_batches_cut_total").unwrap_or(0.0);
    let status = terminate(&mut worker, Duration::from_secs(60));
    assert!(status.success(), "{status:?}");
    assert!(
        cut >= 1.0,
        "the slow batch was cut at its review budget (batches_cut_total = {cut})"
    );
    let out = collect_complete(&topics, Duration::from_secs(300));
    assert_exactly_once(&msgs, &out);
}
