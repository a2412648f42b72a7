//! The metrics catalogue: `docs/metrics.md` lists exactly the metric families (name, type, labels)
//! a running `synth-review run` worker exports on /metrics (section "Catalogue"), and those a
//! running `synth-review console` exports (section "Console"; the web application's families,
//! [`CONSOLE_WEB_FAMILIES`], are checked by name only while the console lacks them), against the
//! real broker.
//!
//! Needs `SYNTH_REVIEW_TEST_BROKERS`, set by `scripts/test.sh`.

pub mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::ops::{Live, CONSOLE_WEB_FAMILIES, LAG_HINT, LIVE_DELIVERY};
use common::*;

/// Catalogue rows whose meaning carries this note are exported only under exactly-once delivery.
const EXACTLY_ONCE_ONLY: &str = "exactly-once delivery only";

/// The section of `docs/metrics.md` whose table lists the worker's families.
const WORKER_SECTION: &str = "## Catalogue";
/// The section whose table lists the console's.
const CONSOLE_SECTION: &str = "## Console";

/// The catalogue rows of one section of `docs/metrics.md` (from its `## ` heading to the next):
/// name → (type, labels, exported only under exactly-once).
fn catalogue(section: &str) -> BTreeMap<String, (String, BTreeSet<String>, bool)> {
    let mut out = BTreeMap::new();
    let text = read("docs/metrics.md");
    let lines: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != section)
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .collect();
    assert!(
        !lines.is_empty(),
        "docs/metrics.md has no section {section}"
    );
    for l in lines {
        if !l.starts_with("| `synth_review_") {
            continue;
        }
        let cols: Vec<&str> = l.split('|').map(str::trim).collect();
        // | name | type | labels | meaning | unit |
        assert_eq!(cols.len(), 7, "catalogue row with 5 columns: {l}");
        let name = cols[1].trim_matches('`').to_string();
        let labels: BTreeSet<String> = cols[3]
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
        assert!(
            !cols[4].is_empty() && !cols[5].is_empty(),
            "{name}: meaning and unit"
        );
        assert!(
            out.insert(
                name.clone(),
                (
                    cols[2].to_string(),
                    labels,
                    cols[4].contains(EXACTLY_ONCE_ONLY)
                )
            )
            .is_none(),
            "{name} listed twice"
        );
    }
    out
}

/// `docs/metrics.md` lists exactly the metric families a running worker exports, with their types
/// and label names (a histogram is one family).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_catalogue_matches_the_worker() {
    let live = Live::new("obs-cat", 2).await;
    let msgs = generate(40, 1, &live.clean, 7);
    produce_all(&live.topics.input, &msgs).await;
    let port = free_port();
    let mut worker = spawn_worker(&live.pipeline, port);
    wait_for(
        "the worker to review every message",
        Duration::from_secs(120),
    )
    .watching(&worker)
    .until(|| worker_metrics(port).filter(|t| events_seen(t) as usize == msgs.len()));
    worker.sighup();
    // Families with no series before their first value: reloads (SIGHUP) and lag (statistics,
    // every second here; its absence is reported by the comparison below).
    wait_for("the reload series", Duration::from_secs(30))
        .watching(&worker)
        .until(|| {
            worker_metrics(port).filter(|t| t.contains("synth_review_config_reloads_total{"))
        });
    wait_for("the consumer lag series", Duration::from_secs(15))
        .watching(&worker)
        .until_or_timeout(|| {
            worker_metrics(port).is_some_and(|t| t.contains("synth_review_consumer_lag{"))
        });
    let text = worker_metrics(port).expect("/metrics");
    let exported = families(&text);
    let labels = family_labels(&text);
    let listed = catalogue(WORKER_SECTION);
    let listed_names: BTreeSet<&String> = listed
        .iter()
        .filter(|(_, (_, _, eos_only))| LIVE_DELIVERY == "exactly_once" || !eos_only)
        .map(|(n, _)| n)
        .collect();
    let exported_names: BTreeSet<&String> = exported.keys().collect();
    let hint = if exported.contains_key("synth_review_consumer_lag") {
        ""
    } else {
        LAG_HINT
    };
    assert_eq!(
        listed_names, exported_names,
        "docs/metrics.md vs the /metrics of a worker with delivery = {LIVE_DELIVERY} \
         (left: listed, right: exported). {hint}"
    );
    for name in exported_names {
        let (ty, ls, _) = &listed[name];
        assert_eq!(ty, &exported[name], "{name}: type");
        assert_eq!(ls, &labels[name], "{name}: labels");
    }
    let status = worker.terminate(Duration::from_secs(30));
    assert!(status.success(), "worker exit status {status:?}");
}

/// `docs/metrics.md`'s Console section lists exactly the metric families a running console
/// exports, with their types and label names, plus the web application's families while the
/// console does not export them (listed by name, type and labels, checked by name only).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_catalogue_matches_the_console() {
    let prefix = unique("obs-console-cat");
    let topics = TestTopics::new(&prefix);
    create_topics(&topics, 1).await;
    let db = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let config = ConsoleConfig {
        store: db.url.clone(),
        held: topics.held.clone(),
        approved: topics.approved.clone(),
        rejected: topics.rejected.clone(),
        audit: topics.audit.clone(),
        prefix,
        intake: true,
        batch_max: 5,
        user_actions: None,
    }
    .write(dir.path());
    let console = ConsoleProcess::start(&config);
    // Every family has its series from start-up (the gauges once the store answered a scrape).
    let text = wait_for("the console's /metrics", Duration::from_secs(60))
        .watching(&console)
        .until(|| {
            worker_metrics(console.metrics_port)
                .filter(|t| t.contains("synth_review_console_queue_items{"))
        });
    let exported = families(&text);
    let labels = family_labels(&text);
    let listed = catalogue(CONSOLE_SECTION);
    for f in CONSOLE_WEB_FAMILIES {
        assert!(listed.contains_key(f), "docs/metrics.md does not list {f}");
    }
    let waiting: BTreeSet<&str> = CONSOLE_WEB_FAMILIES
        .into_iter()
        .filter(|f| !exported.contains_key(*f))
        .collect();
    if !waiting.is_empty() {
        eprintln!(
            "NOTICE: the console does not export {waiting:?} yet (the web application's): \
             checked by name only"
        );
    }
    let listed_names: BTreeSet<&str> = listed
        .keys()
        .map(String::as_str)
        .filter(|n| !waiting.contains(n))
        .collect();
    let exported_names: BTreeSet<&str> = exported.keys().map(String::as_str).collect();
    assert_eq!(
        listed_names, exported_names,
        "docs/metrics.md, section Console, vs the console's /metrics (left: listed, right: \
         exported)"
    );
    for name in exported_names {
        let (ty, ls, _) = &listed[name];
        assert_eq!(ty, &exported[name], "{name}: type");
        assert_eq!(ls, &labels[name], "{name}: labels");
    }
    assert!(console.terminate(), "the console stops cleanly");
    db.finish().await;
}
