//! The Grafana dashboard (`dashboards/synth-review.json`): current Grafana schema with the agreed
//! rows, a `${datasource}` variable and `$__rate_interval` in every range; and, with the real
//! broker and the real `prometheus` binary scraping a `synth-review run` worker and a
//! `synth-review console` (taking the worker's held records into its queue, relaying verdicts
//! given in its store) every second, every dashboard expression returns data, and every alert
//! rule loads, evaluates healthy and parses, using only metric names the worker (rows Traffic …
//! Configuration, group `synth-review`) or the console (row Console, group
//! `synth-review-console`) exports. The console's web-application families
//! ([`CONSOLE_WEB_FAMILIES`]) are not in this console yet: panels that need them are checked to
//! parse and to name only those, and to return data once the console exports them. Key panels'
//! series are written to `target/observability/panels.json` for
//! `scripts/render-dashboard-preview.py`.
//!
//! Needs `SYNTH_REVIEW_TEST_BROKERS` and `SYNTH_REVIEW_PROMETHEUS`, set by `scripts/test.sh`
//! (which installs Debian's `prometheus` package when it is missing).

pub mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::ops::{
    dashboard, Live, ALERTS, CONSOLE_JOB, CONSOLE_WEB_FAMILIES, LAG_HINT, LIVE_DELIVERY,
};
use common::prometheus::Prometheus;
use common::promql::{dashboard_targets, metric_names, substitute};
use common::*;
use serde_json::Value;
use synth_review::console::{Role, Verdict, VerdictInput};
use time::OffsetDateTime;

/// What `$__rate_interval` becomes in instant queries: with 1 s scrapes, a window that still holds
/// the last batch when the expressions are evaluated.
const RATE_WINDOW: &str = "30s";
/// What it becomes in the preview's range queries (Grafana would pick about 4 scrape intervals).
const PREVIEW_RATE_WINDOW: &str = "5s";
/// Rows of the dashboard, in order.
const ROWS: [&str; 7] = [
    "Traffic",
    "Review outcomes",
    "Latency",
    "Kafka",
    "Process",
    "Configuration",
    "Console",
];
/// The row of the console's panels (the last one): they select job `synth-review-console`.
const CONSOLE_ROW: &str = "Console";
/// Exactly-once transactions: the Kafka row must chart them.
const TRANSACTIONS: &str = "synth_review_transactions_total";

/// Titles of the panels of the Console row (those after its row panel).
fn console_titles(d: &Value) -> BTreeSet<String> {
    d["panels"]
        .as_array()
        .unwrap()
        .iter()
        .skip_while(|p| !(p["type"] == "row" && p["title"] == CONSOLE_ROW))
        .skip(1)
        .take_while(|p| p["type"] != "row")
        .map(|p| p["title"].as_str().unwrap().to_string())
        .collect()
}

/// The family of a series name the dashboard uses: a histogram's `…_bucket` series is its
/// family's.
fn family_of(name: &str) -> &str {
    name.strip_suffix("_bucket").unwrap_or(name)
}

/// Family names plus histogram series suffixes of an exposition, and `up` (written by Prometheus
/// for every scrape target).
fn series_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::from(["up".to_string()]);
    for (f, t) in families(text) {
        if t == "histogram" {
            for s in ["_bucket", "_sum", "_count"] {
                names.insert(format!("{f}{s}"));
            }
        }
        names.insert(f);
    }
    names
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[test]
fn dashboard_is_current_grafana_schema_with_the_agreed_rows() {
    let d = dashboard();
    assert!(d["schemaVersion"].as_i64().unwrap() >= 39, "schemaVersion");
    assert_eq!(d["uid"], "synth-review");
    assert!(
        d["id"].is_null(),
        "provisioned dashboards carry no numeric id"
    );
    let vars = d["templating"]["list"].as_array().unwrap();
    let ds = vars
        .iter()
        .find(|v| v["name"] == "datasource")
        .expect("a `datasource` template variable");
    assert_eq!(ds["type"], "datasource");
    assert_eq!(ds["query"], "prometheus");

    let panels = d["panels"].as_array().unwrap();
    let rows: Vec<&str> = panels
        .iter()
        .filter(|p| p["type"] == "row")
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(rows, ROWS);
    let mut ids = BTreeSet::new();
    let mut cells = BTreeSet::new();
    for p in panels {
        assert!(
            ids.insert(p["id"].as_i64().unwrap()),
            "duplicate panel id {}",
            p["id"]
        );
        let g = &p["gridPos"];
        let (x, y, w, h) = (
            g["x"].as_i64().unwrap(),
            g["y"].as_i64().unwrap(),
            g["w"].as_i64().unwrap(),
            g["h"].as_i64().unwrap(),
        );
        assert!(
            x >= 0 && w > 0 && x + w <= 24 && h > 0,
            "{} outside the 24-column grid",
            p["title"]
        );
        for cx in x..x + w {
            for cy in y..y + h {
                assert!(
                    cells.insert((cx, cy)),
                    "{} overlaps another panel",
                    p["title"]
                );
            }
        }
        if matches!(p["type"].as_str(), Some("row" | "text")) {
            continue;
        }
        assert_eq!(p["datasource"]["uid"], "${datasource}", "{}", p["title"]);
        let targets = p["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "{} has no query", p["title"]);
        for t in targets {
            assert_eq!(t["datasource"]["uid"], "${datasource}", "{}", p["title"]);
        }
        assert!(
            p["description"].as_str().is_some_and(|s| !s.is_empty()),
            "{} has no description",
            p["title"]
        );
    }

    let targets = dashboard_targets(&d);
    let mut used = BTreeSet::new();
    for (title, _, expr) in &targets {
        // Every range is Grafana's rate interval, so panels follow the scrape interval.
        for (i, _) in expr.match_indices('[') {
            assert!(
                expr[i..].starts_with("[$__rate_interval]"),
                "{title}: use [$__rate_interval] in {expr}"
            );
        }
        used.extend(metric_names(&substitute(expr, RATE_WINDOW)));
    }
    for m in [
        "synth_review_events_total",
        "synth_review_reasons_total",
        "synth_review_dead_letters_total",
        "synth_review_stage_duration_seconds_bucket",
        "synth_review_review_latency_seconds_bucket",
        "synth_review_consumer_lag",
        "synth_review_consumer_assigned_partitions",
        "synth_review_kafka_produce_errors_total",
        "synth_review_config_reloads_total",
        "synth_review_lexicon_terms",
        "synth_review_process_cpu_seconds_total",
        "synth_review_process_resident_memory_bytes",
        "synth_review_process_open_fds",
    ] {
        assert!(used.contains(m), "no panel shows {m}");
    }
    // The console row: its own job, no worker variable, every console metric family charted
    // (the web application's too), and the worker rows show no console metric.
    let console = console_titles(&d);
    assert!(console.len() >= 8, "console panels: {console:?}");
    let mut console_used = BTreeSet::new();
    for (title, _, expr) in &targets {
        let names = metric_names(&substitute(expr, RATE_WINDOW));
        if console.contains(title) {
            assert!(
                expr.contains(&format!(r#"job="{CONSOLE_JOB}""#)) && !expr.contains("$instance"),
                "{title}: select job=\"{CONSOLE_JOB}\" (and not $instance) in {expr}"
            );
            assert!(
                names
                    .iter()
                    .all(|m| m.starts_with("synth_review_console_") || m == "up"),
                "{title}: console metrics only in {expr}"
            );
            console_used.extend(names.iter().map(|m| family_of(m).to_string()));
        } else {
            assert!(
                !names.iter().any(|m| m.starts_with("synth_review_console_")),
                "{title}: a console metric outside the Console row: {expr}"
            );
        }
    }
    for m in [
        "synth_review_console_queue_items",
        "synth_review_console_oldest_item_age_seconds",
        "synth_review_console_claims_in_flight",
        "synth_review_console_outbox_pending",
        "synth_review_console_relay_transactions_total",
        "synth_review_console_relayed_verdicts_total",
        "synth_review_console_verdicts_total",
        "synth_review_console_held_to_verdict_seconds",
    ] {
        assert!(console_used.contains(m), "no console panel shows {m}");
    }
    // Held to verdict: p50, p90 and p99 of the histogram's buckets.
    for q in ["0.5", "0.9", "0.99"] {
        assert!(
            targets.iter().any(|(_, _, e)| e.starts_with(&format!(
                "histogram_quantile({q}, sum by (le) (rate(synth_review_console_held_to_verdict_seconds_bucket{{"
            ))),
            "no held-to-verdict p{q}"
        );
    }

    // Exactly-once transactions are charted (committed vs aborted).
    assert!(
        targets
            .iter()
            .any(|(_, _, expr)| expr.contains(TRANSACTIONS)),
        "no panel shows {TRANSACTIONS}"
    );
}

#[test]
fn metric_name_tokenizer() {
    let e = r#"sum by (decision, le) (rate(synth_review_events_total{decision!="a b (c)",instance=~"$x"}[5m] offset 1d)) / ignoring(decision) group_left (x) clamp_min(foo:bar, 1e-9) > 2 * up and on() vector(0.5)"#;
    let got: Vec<String> = metric_names(e).into_iter().collect();
    assert_eq!(got, ["foo:bar", "synth_review_events_total", "up"]);
}

/// Fills `{{label}}` of a legend format from a series' labels.
fn legend(format: &str, metric: &Value) -> String {
    let mut s = format.to_string();
    if let Some(m) = metric.as_object() {
        for (k, v) in m {
            s = s.replace(&format!("{{{{{k}}}}}"), v.as_str().unwrap_or_default());
        }
    }
    s
}

/// A wait of the live test: it watches the worker, the console and Prometheus, polling every
/// 200 ms.
fn watched<'a>(
    what: impl Into<String>,
    timeout_secs: u64,
    worker: &'a Worker,
    console: &'a ConsoleProcess,
    prom: &'a Prometheus,
) -> Wait<'a> {
    wait_for(what, Duration::from_secs(timeout_secs))
        .watching(worker)
        .watching(console)
        .watching(prom)
        .every(Duration::from_millis(200))
}

/// The real Prometheus scrapes a real worker every second while it reviews waves of corpus
/// events and poison messages and reloads once, and a real console that takes the worker's held
/// records into its queue and relays verdicts given in its store; then every dashboard expression
/// must return data, and every alert rule must load, evaluate healthy and parse, using only
/// exported metric names (the console's web-application families excepted while it lacks them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_and_alert_expressions_evaluate_against_a_real_worker() {
    let started = Instant::now();
    let live = Live::new("obs", 3).await;
    // The console over the worker's held topic (its verdicts to the worker's approved, rejected
    // and audit topics), on a SQLite store of its own.
    let db = TestDb::sqlite().await;
    let console_dir = tempfile::tempdir().unwrap();
    let console_file = ConsoleConfig {
        store: db.url.clone(),
        held: live.topics.held.clone(),
        approved: live.topics.approved.clone(),
        rejected: live.topics.rejected.clone(),
        audit: live.topics.audit.clone(),
        prefix: unique("obs-console"),
        intake: true,
        batch_max: 5,
        user_actions: None,
    }
    .write(console_dir.path());
    let console = ConsoleProcess::start(&console_file);
    let port = free_port();
    let prom =
        Prometheus::start_jobs(&[("synth-review", port), (CONSOLE_JOB, console.metrics_port)]);
    let range_start = unix_now();
    let mut worker = spawn_worker(&live.pipeline, port);
    // Successful scrapes of the worker so far (`up` would count failed ones too).
    let scrapes = |p: &Prometheus| {
        p.scalar(r#"count_over_time(synth_review_build_info{job="synth-review"}[10m])"#)
            .unwrap_or(0.0)
    };
    let seen = |p: &Prometheus| {
        p.scalar(r#"sum(synth_review_events_total{job="synth-review"})"#)
            .unwrap_or(-1.0)
    };

    // An idle baseline first: the worker is in the group and Prometheus has its zero counters.
    watched("the worker to be ready", 120, &worker, &console, &prom)
        .until(|| matches!(http_get(port, "/readyz"), Ok((200, _))));
    watched(
        "the console to answer /healthz",
        60,
        &worker,
        &console,
        &prom,
    )
    .until(|| matches!(http_get(console.metrics_port, "/healthz"), Ok((200, _))));
    watched("3 scrapes of the idle worker", 60, &worker, &console, &prom)
        .until(|| seen(&prom) == 0.0 && scrapes(&prom) >= 3.0);

    // Traffic in waves, each reviewed by the worker and scraped before the next one is produced,
    // so that rates have several points; poison in every other wave.
    const WAVES: usize = 6;
    let mut n = 0.0;
    for wave in 0..WAVES {
        let msgs = generate(400, wave % 2, &live.clean, 1129 + wave as u64);
        produce_all(&live.topics.input, &msgs).await;
        n += msgs.len() as f64;
        watched(
            format!("the worker to review wave {wave}"),
            180,
            &worker,
            &console,
            &prom,
        )
        .until(|| worker_metrics(port).filter(|t| events_seen(t) == n));
        watched(
            format!("Prometheus to scrape wave {wave}"),
            30,
            &worker,
            &console,
            &prom,
        )
        .until(|| seen(&prom) == n);
    }

    // A backlog the worker needs a few seconds for, so that a statistics report and a scrape
    // catch a positive consumer lag (the waves above may each be reviewed within one statistics
    // interval). Larger backlogs until Prometheus has seen one; if none shows, the check of the
    // lag panel below says so.
    for (i, size) in [4_000usize, 16_000, 48_000].into_iter().enumerate() {
        let msgs = generate(size, 0, &live.clean, 4242 + i as u64);
        produce_all(&live.topics.input, &msgs).await;
        n += msgs.len() as f64;
        watched(
            format!("the worker to review backlog {i} ({size} events)"),
            300,
            &worker,
            &console,
            &prom,
        )
        .until(|| worker_metrics(port).filter(|t| events_seen(t) == n));
        watched(
            format!("Prometheus to scrape backlog {i}"),
            30,
            &worker,
            &console,
            &prom,
        )
        .until(|| seen(&prom) == n);
        let lag_seen = prom
            .scalar(r#"max(max_over_time(synth_review_consumer_lag{job="synth-review"}[10m]))"#)
            .is_some_and(|v| v > 0.0);
        eprintln!("backlog {i} ({size} events): positive lag scraped: {lag_seen}");
        if lag_seen {
            break;
        }
    }

    // A reload (SIGHUP), so that the reload panel has a series.
    worker.sighup();
    let metrics_text =
        watched("the reload to be counted", 30, &worker, &console, &prom).until(|| {
            worker_metrics(port)
                .filter(|t| t.contains("synth_review_config_reloads_total{result=\"success\"} 1"))
        });
    watched(
        "Prometheus to scrape the reload",
        60,
        &worker,
        &console,
        &prom,
    )
    .until(|| {
        prom.scalar(r#"sum(synth_review_config_reloads_total{job="synth-review"})"#) == Some(1.0)
    });
    // Lag comes with librdkafka statistics (every second here); if it never does, the check of
    // the lag panel below says so.
    watched(
        "Prometheus to have consumer lag",
        15,
        &worker,
        &console,
        &prom,
    )
    .until_or_timeout(|| !prom.vector("synth_review_consumer_lag").is_empty());

    // The console: every held record of the worker in its queue; then verdicts given in its
    // store (as the web application gives them), which the relay produces, and claims left open.
    const DECIDED: usize = 10;
    const CLAIMED: usize = 3;
    let holds = metric(
        &metrics_text,
        r#"synth_review_events_total{decision="hold"}"#,
    )
    .unwrap_or(0.0);
    assert!(holds >= (DECIDED + CLAIMED) as f64, "held events: {holds}");
    let console_metric =
        |series: &str| worker_metrics(console.metrics_port).and_then(|t| metric(&t, series));
    watched(
        format!("the console's intake to store the {holds} held records"),
        180,
        &worker,
        &console,
        &prom,
    )
    .until(|| {
        console_metric(r#"synth_review_console_intake_records_total{result="new"}"#)
            .filter(|n| *n == holds)
    });
    let now = OffsetDateTime::now_utc();
    let items = db.store.queue(&Default::default(), 100, now).await.unwrap();
    assert!(items.len() >= DECIDED + CLAIMED, "{} queued", items.len());
    for (i, item) in items.iter().take(DECIDED + CLAIMED).enumerate() {
        let lease = db
            .store
            .claim(
                item.item_id,
                "obs-moderator",
                Role::Moderator,
                Duration::from_secs(600),
                now,
            )
            .await
            .unwrap();
        if i < DECIDED {
            let verdict = if i % 2 == 0 {
                Verdict::Approve
            } else {
                Verdict::Reject
            };
            db.store
                .decide(
                    item.item_id,
                    &lease.token,
                    "obs-moderator",
                    &VerdictInput {
                        verdict,
                        reason_code: "checked",
                        note: None,
                    },
                    now,
                )
                .await
                .unwrap();
        }
    }
    let relayed = |p: &Prometheus| {
        p.scalar(r#"sum(synth_review_console_relayed_verdicts_total{job="synth-review-console"})"#)
    };
    watched(
        "the relay to produce the verdicts",
        120,
        &worker,
        &console,
        &prom,
    )
    .until(|| {
        let (a, r) = (
            console_metric(r#"synth_review_console_relayed_verdicts_total{decision="approve"}"#)?,
            console_metric(r#"synth_review_console_relayed_verdicts_total{decision="reject"}"#)?,
        );
        (a + r == DECIDED as f64
            && console_metric("synth_review_console_outbox_pending") == Some(0.0))
        .then_some(())
    });
    watched(
        "Prometheus to scrape the console's verdicts",
        30,
        &worker,
        &console,
        &prom,
    )
    .until(|| {
        relayed(&prom) == Some(DECIDED as f64)
            && prom
                .scalar(r#"max(synth_review_console_claims_in_flight{job="synth-review-console"})"#)
                == Some(CLAIMED as f64)
    });
    let queued = prom.scalar(
        r#"max(synth_review_console_queue_items{job="synth-review-console",queue="moderators"})"#,
    );
    assert_eq!(
        queued,
        Some(holds - (DECIDED + CLAIMED) as f64),
        "the moderators' queue after {DECIDED} verdicts and {CLAIMED} claims"
    );
    let console_text = worker_metrics(console.metrics_port).expect("the console's /metrics");

    let base = scrapes(&prom);
    watched("3 more scrapes", 30, &worker, &console, &prom).until(|| scrapes(&prom) >= base + 3.0);

    // What the worker and the console export: family names plus histogram series suffixes.
    let names = series_names(&metrics_text);
    let console_names = series_names(&console_text);
    // The web application's families this console does not export yet.
    let pending: BTreeSet<&str> = CONSOLE_WEB_FAMILIES
        .into_iter()
        .filter(|f| !families(&console_text).contains_key(*f))
        .collect();

    // Every dashboard expression parses and returns data.
    let d = dashboard();
    let targets = dashboard_targets(&d);
    assert!(
        targets.len() >= 20,
        "{} dashboard expressions",
        targets.len()
    );
    let console_panels = console_titles(&d);
    let mut empty = Vec::new();
    let mut unknown = BTreeSet::new();
    let mut waiting = Vec::new();
    for (title, _, expr) in &targets {
        let q = substitute(expr, RATE_WINDOW);
        let exported = if console_panels.contains(title) {
            &console_names
        } else {
            &names
        };
        let mut needs_web = false;
        for m in metric_names(&q) {
            if pending.contains(family_of(&m)) {
                needs_web = true;
            } else if !exported.contains(&m) {
                unknown.insert(format!("{m} (panel {title})"));
            }
        }
        let v = prom.query(&q);
        assert_eq!(v["status"], "success", "{title}: {q}: {v}");
        if needs_web {
            // Parses and evaluates; no data until the console exports the family.
            waiting.push(format!("{title}: {q}"));
        } else if v["data"]["result"].as_array().is_none_or(|r| r.is_empty()) {
            empty.push(format!("{title}: {q}"));
        }
    }
    if !waiting.is_empty() {
        eprintln!(
            "NOTICE: the console does not export {pending:?} (the web application's), so these \
             expressions were checked to parse and evaluate, not for data:\n{}",
            waiting.join("\n")
        );
    }
    let hint = if !names.contains("synth_review_consumer_lag") {
        LAG_HINT
    } else {
        ""
    };
    assert!(
        empty.is_empty() && unknown.is_empty(),
        "worker with delivery = {LIVE_DELIVERY} and console:\nmetrics used by the dashboard but not exported: \
         {unknown:?}\ndashboard expressions without data:\n{}\n{hint}",
        empty.join("\n")
    );

    // Every alert rule is loaded from dashboards/alerts.yml, evaluates without error, parses as a
    // query on its own, and uses only metrics exported by the worker (group synth-review) or
    // the console (group synth-review-console).
    let rules = watched("every rule evaluated", 30, &worker, &console, &prom).until(|| {
        let v = prom.api("/api/v1/rules");
        let rules: Vec<(String, Value)> = v["data"]["groups"]
            .as_array()?
            .iter()
            .flat_map(|g| {
                let group = g["name"].as_str().unwrap_or_default().to_string();
                g["rules"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(move |r| (group.clone(), r))
            })
            .collect();
        (rules.len() == ALERTS.len() && rules.iter().all(|(_, r)| r["health"] != "unknown"))
            .then_some(rules)
    });
    for (group, r) in &rules {
        let name = r["name"].as_str().unwrap();
        assert!(ALERTS.contains(&name), "{name}");
        assert_eq!(r["health"], "ok", "{name}: {}", r["lastError"]);
        let expr = r["query"].as_str().unwrap();
        let v = prom.query(expr);
        assert_eq!(v["status"], "success", "{name}: {expr}: {v}");
        let used = metric_names(expr);
        assert!(!used.is_empty(), "{name}: no metric in {expr}");
        let (exported, by) = if group == CONSOLE_JOB {
            (&console_names, "the console")
        } else {
            (&names, "the worker")
        };
        for m in used {
            assert!(
                exported.contains(&m),
                "{name}: {m} is not exported by {by} ({expr})"
            );
        }
        // A healthy console: its rules' conditions do not hold (not even pending).
        if group == CONSOLE_JOB {
            assert!(
                v["data"]["result"].as_array().is_some_and(|r| r.is_empty()),
                "{name} holds on a healthy console: {expr}: {v}"
            );
        }
    }
    // A healthy worker: not down, not stalled.
    let firing: Vec<String> = prom
        .vector(r#"ALERTS{alertstate="firing"}"#)
        .iter()
        .map(|a| {
            a["metric"]["alertname"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    for a in [
        "SynthReviewWorkerDown",
        "SynthReviewStalled",
        "SynthReviewProduceErrors",
    ] {
        assert!(
            !firing.iter().any(|f| f == a),
            "{a} fires on a healthy worker"
        );
    }

    // Key panels over the run, for scripts/render-dashboard-preview.py.
    let range_end = unix_now();
    let key = [
        "Events / s by decision",
        "Hold rate and reject rate",
        "Top reason codes (reasons / s)",
        "Dead letters / s by reason",
        "Review latency p50 / p95 / p99 (consumed → acknowledged)",
        "Consumer lag by partition",
    ];
    let mut panels_out = Vec::new();
    for title in key {
        let panel = d["panels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["title"] == title)
            .unwrap();
        let mut series = Vec::new();
        for (t_title, fmt, expr) in &targets {
            if t_title != title {
                continue;
            }
            let q = substitute(expr, PREVIEW_RATE_WINDOW);
            let v = prom.query_range(&q, range_start, range_end, 1.0);
            assert_eq!(v["status"], "success", "{title}: {q}: {v}");
            for s in v["data"]["result"].as_array().unwrap() {
                let points: Vec<(f64, f64)> = s["values"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        (
                            p[0].as_f64().unwrap() - range_start,
                            p[1].as_str().unwrap().parse().unwrap(),
                        )
                    })
                    .collect();
                series.push(
                    serde_json::json!({"legend": legend(fmt, &s["metric"]), "points": points}),
                );
            }
        }
        let finite = series.iter().any(|s| {
            s["points"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p[1].as_f64().is_some_and(|v| v.is_finite() && v > 0.0))
        });
        assert!(finite, "{title}: no positive value over the run");
        panels_out.push(serde_json::json!({
            "title": title,
            "unit": panel["fieldConfig"]["defaults"]["unit"],
            "stacked": panel["fieldConfig"]["defaults"]["custom"]["stacking"]["mode"] == "normal",
            "series": series,
        }));
    }
    let out_dir = repo().join("target/observability");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(
        out_dir.join("panels.json"),
        serde_json::to_vec_pretty(&serde_json::json!({
            "messages": n,
            "waves": WAVES,
            "delivery": LIVE_DELIVERY,
            "scrape_interval_seconds": 1,
            "rate_window": PREVIEW_RATE_WINDOW,
            "seconds": range_end - range_start,
            "panels": panels_out,
        }))
        .unwrap(),
    )
    .unwrap();

    let status = worker.terminate(Duration::from_secs(30));
    assert!(status.success(), "worker exit status {status:?}");
    assert!(console.terminate(), "the console stops cleanly");
    drop(prom);
    db.finish().await;
    eprintln!(
        "observability: {} messages ({holds} held, {DECIDED} decided in the console), {} dashboard expressions and {} alert rules checked on real Prometheus in {:?}",
        n,
        targets.len(),
        rules.len(),
        started.elapsed()
    );
}
