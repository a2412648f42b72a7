//! Lexicon hot reload under load, against the real broker: while the worker consumes a stream of
//! events that contain a new term, the lexicon file gains that term and the worker gets SIGHUP.
//! Every event must still be decided exactly once, each decision must match the lexicon version it
//! names (old version → approve, new version → reject), both versions must occur, and a later bad
//! lexicon file must leave the new version serving.

pub mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;

const NEW_TERM: &str = "量子速读速成班";
const PHASE: usize = 3_000;

fn events(from: usize, n: usize, clean: &[String]) -> Vec<Generated> {
    (from..from + n)
        .map(|i| {
            let para = &clean[i % clean.len()];
            let v = serde_json::json!({
                "event_id": format!("reload-{i:05}"),
                "user": {"id": "u", "identity_verified": true},
                "content": {"kind": "text", "text": format!("{para}\n报名{NEW_TERM}，一周读完百本书。")},
                "synthesis": {"technique": "text_generation"}
            });
            Generated { key: format!("reload-{i:05}"), payload: serde_json::to_vec(&v).unwrap(), expected: String::new() }
        })
        .collect()
}

/// Waits until `series` on the worker's /metrics reaches `at_least`.
fn wait_metric(worker: &Worker, series: &str, at_least: f64) {
    wait_for(
        format!("{series} to reach {at_least}"),
        Duration::from_secs(60),
    )
    .watching(worker)
    .every(Duration::from_millis(50))
    .until(|| {
        worker_metrics(worker.port())
            .is_some_and(|text| metric(&text, series).unwrap_or(0.0) >= at_least)
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lexicon_reload_under_load_loses_nothing() {
    let prefix = unique("reload");
    let topics = TestTopics::new(&prefix);
    let group = format!("{prefix}-group");
    let dir = tempfile::tempdir().unwrap();
    let lexicon = dir.path().join("lexicon.csv");
    let base = "term,category,action,note\n网络赌场,gambling,reject,\n";
    std::fs::write(&lexicon, base).unwrap();
    let pipeline = dir.path().join("pipeline.toml");
    std::fs::write(
        &pipeline,
        format!(
            "[pipeline]\nname = \"reload\"\n[kafka]\nbrokers = \"{}\"\ngroup_id = \"{group}\"\nmax_in_flight = 200\n[topics]\ninput = \"{}\"\napproved = \"{}\"\nheld = \"{}\"\nrejected = \"{}\"\ndead_letter = \"{}\"\naudit = \"{}\"\n[[stages]]\nkind = \"prohibited\"\nlexicons = [\"lexicon.csv\"]\n",
            brokers(), topics.input, topics.approved, topics.held, topics.rejected, topics.dead_letter, topics.audit
        ),
    )
    .unwrap();
    create_topics(&topics, 3).await;
    let clean: Vec<String> = corpus()
        .into_iter()
        .filter(|l| l.chars().count() < 300)
        .take(500)
        .collect();

    let first = events(0, PHASE, &clean);
    produce_all(&topics.input, &first).await;
    let port = free_port();
    let mut worker = spawn_worker(&pipeline, port);
    wait_metric(
        &worker,
        "synth_review_events_total{decision=\"approve\"}",
        500.0,
    );

    // Reload while the rest of phase one and all of phase two are being consumed.
    // A producer keeps the stream going (chunks of 100) through the reload and stops only once
    // PHASE more events were produced after the reload took effect: the reload happens under load,
    // and both lexicon versions must serve.
    let produced = Arc::new(AtomicUsize::new(PHASE));
    let stop = Arc::new(AtomicBool::new(false));
    let producer = {
        let (input, clean, produced, stop) = (
            topics.input.clone(),
            clean.clone(),
            produced.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let from = produced.load(Ordering::SeqCst);
                produce_all(&input, &events(from, 100, &clean)).await;
                produced.store(from + 100, Ordering::SeqCst);
            }
        })
    };
    std::fs::write(
        &lexicon,
        format!("{base}{NEW_TERM},education_fraud,reject,added at run time\n"),
    )
    .unwrap();
    worker.sighup();
    wait_metric(
        &worker,
        "synth_review_config_reloads_total{result=\"success\"}",
        1.0,
    );
    let at_reload = produced.load(Ordering::SeqCst);
    wait_for("more events after the reload", Duration::from_secs(300))
        .watching(&worker)
        .until(|| produced.load(Ordering::SeqCst) >= at_reload + PHASE);
    stop.store(true, Ordering::SeqCst);
    producer.await.unwrap();
    let total = produced.load(Ordering::SeqCst);
    let wait =
        wait_for("every decision and audit record", Duration::from_secs(300)).watching(&worker);
    let out = collect(&topics, wait, |o| {
        o.total_decisions >= total && o.total_audit >= total
    });

    // A broken file later: the error is counted and the new version keeps serving.
    std::fs::write(&lexicon, "term,category,action\n量子,x,explode\n").unwrap();
    worker.sighup();
    wait_metric(
        &worker,
        "synth_review_config_reloads_total{result=\"error\"}",
        1.0,
    );
    let (_, text) = http_get(port, "/metrics").unwrap();
    assert_eq!(
        metric(&text, "synth_review_lexicon_terms{lexicon=\"reload\"}"),
        Some(2.0),
        "old-but-valid lexicon still loaded"
    );
    let status = terminate(&mut worker, Duration::from_secs(30));
    assert!(status.success(), "{status:?}");

    assert_eq!(
        out.total_decisions, total,
        "every event decided exactly once"
    );
    let mut versions: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for (id, records) in &out.decisions {
        assert_eq!(records.len(), 1, "{id}");
        assert!(seen.insert(id.clone()));
        let r = &records[0].1;
        let version = r["lexicon_version"].as_str().unwrap().to_string();
        if !versions.contains(&version) {
            versions.push(version.clone());
        }
        let rejected = r["decision"] == "reject";
        let found_new_term = r["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["evidence"]["term"] == NEW_TERM);
        assert_eq!(
            rejected, found_new_term,
            "{id}: decision follows the lexicon it was reviewed with"
        );
    }
    assert_eq!(
        versions.len(),
        2,
        "both lexicon versions served: {versions:?}"
    );
    let by_version = |v: &str| {
        out.decisions
            .values()
            .filter(|r| r[0].1["lexicon_version"] == v)
            .collect::<Vec<_>>()
    };
    let (a, b) = (by_version(&versions[0]), by_version(&versions[1]));
    let (old, new) = if a.iter().all(|r| r[0].1["decision"] == "approve") {
        (a, b)
    } else {
        (b, a)
    };
    assert!(
        old.iter().all(|r| r[0].1["decision"] == "approve"),
        "old lexicon never knew the term"
    );
    assert!(
        new.iter().all(|r| r[0].1["decision"] == "reject"),
        "new lexicon catches it every time"
    );
    assert!(!old.is_empty() && !new.is_empty());
    eprintln!(
        "reload: {} events under the old lexicon, {} under the new one",
        old.len(),
        new.len()
    );
}
