//! End to end against a real Apache Kafka broker (KRaft, started by `scripts/test.sh`):
//! ≥10,000 events built from the real corpus, with a seeded mix of violations and every kind of
//! unreadable message, go through the `synth-review run` binary. Asserts: every input message is
//! in exactly one of approved/held/rejected/dead-letter with the decision it should have, once in
//! audit; dead letters carry their reason headers; the group's committed offsets cover the input;
//! SIGTERM exits cleanly; and `synth-review review` on the same messages as JSONL decides the same.

pub mod common;

use std::collections::HashMap;
use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

const EVENTS: usize = 10_000;
const POISON_ROUNDS: usize = 4;
const PARTITIONS: i32 = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_corpus_events_route_exactly_once() {
    let prefix = unique("e2e");
    let topics = TestTopics::new(&prefix);
    let group = format!("{prefix}-group");
    let dir = tempfile::tempdir().unwrap();
    let pipeline = write_pipeline(dir.path(), &topics, &group);
    create_topics(&topics, PARTITIONS).await;

    let clean = clean_paragraphs(&pipeline);
    let msgs = generate(EVENTS, POISON_ROUNDS, &clean, 20261129);
    let total = msgs.len();
    produce_all(&topics.input, &msgs).await;

    let started = Instant::now();
    let port = free_port();
    let mut worker = spawn_worker(&pipeline, port);
    let expected_decisions = msgs
        .iter()
        .filter(|m| !m.expected.starts_with("dead_letter"))
        .count();
    let expected_dlq = total - expected_decisions;
    let wait = wait_for("every output record", Duration::from_secs(600)).watching(&worker);
    let out = collect(&topics, wait, |o| {
        o.total_decisions >= expected_decisions
            && o.total_dead_letters >= expected_dlq
            && o.total_audit >= total
    });
    let elapsed = started.elapsed();
    eprintln!(
        "e2e: {total} messages ({EVENTS} events + {} poison) reviewed and routed in {elapsed:?}",
        total - EVENTS
    );

    // Committed offsets reach the end of every input partition while the worker still runs.
    let offsets = wait_for(
        "committed offsets to cover the input",
        Duration::from_secs(60),
    )
    .watching(&worker)
    .until(|| {
        let offsets = committed_vs_end(&group, &topics.input, PARTITIONS);
        if offsets.iter().all(|(c, end)| c == end) {
            Ok(offsets)
        } else {
            Err(format!(
                "committed offsets {offsets:?} do not cover the input"
            ))
        }
    });
    assert_eq!(offsets.iter().map(|(_, e)| e).sum::<i64>() as usize, total);
    // The operations endpoints agree with what was routed.
    let (code, _) = http_get(port, "/healthz").expect("/healthz");
    assert_eq!(code, 200);
    let (code, _) = http_get(port, "/readyz").expect("/readyz");
    assert_eq!(
        code, 200,
        "assigned partitions and a producer make the worker ready"
    );
    let (code, text) = http_get(port, "/metrics").expect("/metrics");
    assert_eq!(code, 200);
    let m = |s: &str| metric(&text, s).unwrap_or_else(|| panic!("{s} missing from /metrics"));
    let routed = m("synth_review_events_total{decision=\"approve\"}")
        + m("synth_review_events_total{decision=\"hold\"}")
        + m("synth_review_events_total{decision=\"reject\"}")
        + m("synth_review_events_total{decision=\"dead_letter\"}");
    assert_eq!(routed as usize, total);
    for (reason, want) in [
        ("malformed_json", 2),
        ("schema", 4),
        ("too_large", 2),
        ("invalid_utf8", 1),
    ] {
        assert_eq!(
            m(&format!(
                "synth_review_dead_letters_total{{reason=\"{reason}\"}}"
            )) as usize,
            want * POISON_ROUNDS,
            "{reason}"
        );
    }
    assert!(m("synth_review_reasons_total{code=\"identity_unverified\",stage=\"identity\"}") > 0.0);
    assert!(m("synth_review_review_latency_seconds_count") as usize >= total);
    // One observation per durable batch: at least one, at most one per message.
    let commits = m("synth_review_batch_commit_seconds_count") as usize;
    assert!((1..=total).contains(&commits), "{commits} batch commits");
    assert!(
        m("synth_review_stage_duration_seconds_count{stage=\"prohibited\"}") as usize
            >= expected_decisions
    );
    assert_eq!(
        m("synth_review_consumer_assigned_partitions") as i32,
        PARTITIONS
    );
    assert!(m("synth_review_lexicon_terms{lexicon=\"e2e\"}") > 200.0);
    assert!(text.contains("synth_review_build_info{version="));

    let status = terminate(&mut worker, Duration::from_secs(30));
    assert!(status.success(), "worker exit status {status:?}");

    // Exactly once across approved/held/rejected/dead-letter, with the expected outcome.
    assert_eq!(
        out.total_decisions, expected_decisions,
        "no duplicate decision records"
    );
    assert_eq!(
        out.total_dead_letters, expected_dlq,
        "no duplicate dead letters"
    );
    let mut wrong = Vec::new();
    for m in &msgs {
        if let Some(reason) = m.expected.strip_prefix("dead_letter:") {
            let dl = out
                .dead_letters
                .get(&m.key)
                .unwrap_or_else(|| panic!("{} missing from the dead-letter topic", m.key));
            assert_eq!(dl.len(), 1, "{} dead-lettered once", m.key);
            let (got, headers) = &dl[0];
            assert_eq!(got, reason, "dead-letter reason of {}", m.key);
            assert!(!headers["dlq.detail"].is_empty());
            assert_eq!(headers["dlq.source.topic"], topics.input);
            assert!(headers["dlq.source.partition"].parse::<i32>().unwrap() < PARTITIONS);
            assert!(headers["dlq.source.offset"].parse::<i64>().is_ok());
            continue;
        }
        let d = out
            .decisions
            .get(&m.key)
            .unwrap_or_else(|| panic!("{} has no decision", m.key));
        assert_eq!(d.len(), 1, "{} decided once", m.key);
        let (topic, record) = &d[0];
        let decision = record["decision"].as_str().unwrap();
        let want_topic = match decision {
            "approve" => &topics.approved,
            "hold" => &topics.held,
            "reject" => &topics.rejected,
            other => panic!("unknown decision {other}"),
        };
        assert_eq!(topic, want_topic, "routed by decision");
        if decision != m.expected {
            wrong.push(format!(
                "{}: expected {}, got {} ({})",
                m.key, m.expected, decision, record["reasons"]
            ));
        }
        // The original event is embedded unchanged, unknown fields included.
        let original: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
        assert_eq!(record["event"], original);
        assert_eq!(record["event"]["x_passthrough"]["kept"], true);
    }
    assert!(
        wrong.is_empty(),
        "{} wrong decisions, e.g. {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );

    // Once in audit per input message, and never with content text.
    assert_eq!(out.total_audit, total);
    assert_eq!(
        out.audit.len(),
        total,
        "one audit record per input coordinate"
    );
    for records in out.audit.values() {
        assert_eq!(records.len(), 1);
        assert!(records[0].get("event").is_none() && records[0].get("text").is_none());
    }
    let counts: HashMap<&str, usize> = msgs.iter().fold(HashMap::new(), |mut acc, m| {
        *acc.entry(m.expected.split(':').next().unwrap())
            .or_default() += 1;
        acc
    });
    eprintln!("e2e: expected outcome counts {counts:?}");

    // `review` on the same messages as JSONL gives the same decisions as the Kafka path.
    let jsonl = dir.path().join("events.jsonl");
    let mut f = std::fs::File::create(&jsonl).unwrap();
    for m in &msgs {
        f.write_all(&m.payload).unwrap();
        f.write_all(b"\n").unwrap();
    }
    drop(f);
    let output = Command::new(bin())
        .args(["review", "--pipeline"])
        .arg(&pipeline)
        .arg("--input")
        .arg(&jsonl)
        .output()
        .expect("run review");
    assert!(
        output.status.success(),
        "review failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<serde_json::Value> = output
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("review output is JSON"))
        .collect();
    assert_eq!(lines.len(), total, "one output line per input line");
    for (i, (m, line)) in msgs.iter().zip(&lines).enumerate() {
        if let Some(reason) = m.expected.strip_prefix("dead_letter:") {
            assert_eq!(line["decision"], "dead_letter", "line {}", i + 1);
            assert_eq!(line["line"], i + 1);
            assert_eq!(line["error"]["kind"], reason, "line {}", i + 1);
        } else {
            let kafka = &out.decisions[&m.key][0].1;
            assert_eq!(line["event_id"], kafka["event_id"]);
            assert_eq!(line["decision"], kafka["decision"], "{}", m.key);
            assert_eq!(line["reasons"], kafka["reasons"], "{}", m.key);
        }
    }
}
