//! The Grafana dashboard (`dashboards/synth-review.json`): current Grafana schema with the agreed
//! rows, a `${datasource}` variable and `$__rate_interval` in every range; and, with the real
//! broker and the real `prometheus` binary scraping a `synth-review run` worker every second,
//! every dashboard expression returns data, and every alert rule loads, evaluates healthy and
//! parses, using only metric names the worker exports. Key panels' series are written to
//! `target/observability/panels.json` for `scripts/render-dashboard-preview.py`.
//!
//! Needs `SYNTH_REVIEW_TEST_BROKERS` and `SYNTH_REVIEW_PROMETHEUS`, set by `scripts/test.sh`
//! (which installs Debian's `prometheus` package when it is missing).

pub mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::ops::{dashboard, Live, ALERTS, LAG_HINT, LIVE_DELIVERY};
use common::prometheus::Prometheus;
use common::promql::{dashboard_targets, metric_names, substitute};
use common::*;
use serde_json::Value;

/// What `$__rate_interval` becomes in instant queries: with 1 s scrapes, a window that still holds
/// the last batch when the expressions are evaluated.
const RATE_WINDOW: &str = "30s";
/// What it becomes in the preview's range queries (Grafana would pick about 4 scrape intervals).
const PREVIEW_RATE_WINDOW: &str = "5s";
/// Rows of the dashboard, in order.
const ROWS: [&str; 6] = [
    "Traffic",
    "Review outcomes",
    "Latency",
    "Kafka",
    "Process",
    "Configuration",
];
/// Exactly-once transactions: the Kafka row must chart them.
const TRANSACTIONS: &str = "synth_review_transactions_total";

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

/// A wait of the live test: it watches the worker and Prometheus, polling every 200 ms.
fn watched<'a>(
    what: impl Into<String>,
    timeout_secs: u64,
    worker: &'a Worker,
    prom: &'a Prometheus,
) -> Wait<'a> {
    wait_for(what, Duration::from_secs(timeout_secs))
        .watching(worker)
        .watching(prom)
        .every(Duration::from_millis(200))
}

/// The real Prometheus scrapes a real worker every second while it reviews two batches of corpus
/// events and poison messages and reloads once; then every dashboard expression must return data,
/// and every alert rule must load, evaluate healthy and parse, using only exported metric names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_and_alert_expressions_evaluate_against_a_real_worker() {
    let started = Instant::now();
    let live = Live::new("obs", 3).await;
    let port = free_port();
    let prom = Prometheus::start(port);
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
    watched("the worker to be ready", 120, &worker, &prom)
        .until(|| matches!(http_get(port, "/readyz"), Ok((200, _))));
    watched("3 scrapes of the idle worker", 60, &worker, &prom)
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
            &prom,
        )
        .until(|| worker_metrics(port).filter(|t| events_seen(t) == n));
        watched(
            format!("Prometheus to scrape wave {wave}"),
            30,
            &worker,
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
            &prom,
        )
        .until(|| worker_metrics(port).filter(|t| events_seen(t) == n));
        watched(
            format!("Prometheus to scrape backlog {i}"),
            30,
            &worker,
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
    let metrics_text = watched("the reload to be counted", 30, &worker, &prom).until(|| {
        worker_metrics(port)
            .filter(|t| t.contains("synth_review_config_reloads_total{result=\"success\"} 1"))
    });
    watched("Prometheus to scrape the reload", 60, &worker, &prom).until(|| {
        prom.scalar(r#"sum(synth_review_config_reloads_total{job="synth-review"})"#) == Some(1.0)
    });
    // Lag comes with librdkafka statistics (every second here); if it never does, the check of
    // the lag panel below says so.
    watched("Prometheus to have consumer lag", 15, &worker, &prom)
        .until_or_timeout(|| !prom.vector("synth_review_consumer_lag").is_empty());
    let base = scrapes(&prom);
    watched("3 more scrapes", 30, &worker, &prom).until(|| scrapes(&prom) >= base + 3.0);

    // What the worker exports: family names plus histogram series suffixes.
    let exported = families(&metrics_text);
    let mut names: BTreeSet<String> = BTreeSet::new();
    for (f, t) in &exported {
        names.insert(f.clone());
        if t == "histogram" {
            for s in ["_bucket", "_sum", "_count"] {
                names.insert(format!("{f}{s}"));
            }
        }
    }
    names.insert("up".into()); // written by Prometheus for every scrape target

    // Every dashboard expression parses and returns data.
    let d = dashboard();
    let targets = dashboard_targets(&d);
    assert!(
        targets.len() >= 20,
        "{} dashboard expressions",
        targets.len()
    );
    let mut empty = Vec::new();
    let mut unknown = BTreeSet::new();
    for (title, _, expr) in &targets {
        let q = substitute(expr, RATE_WINDOW);
        for m in metric_names(&q) {
            if !names.contains(&m) {
                unknown.insert(format!("{m} (panel {title})"));
            }
        }
        let v = prom.query(&q);
        assert_eq!(v["status"], "success", "{title}: {q}: {v}");
        if v["data"]["result"].as_array().is_none_or(|r| r.is_empty()) {
            empty.push(format!("{title}: {q}"));
        }
    }
    let hint = if !names.contains("synth_review_consumer_lag") {
        LAG_HINT
    } else {
        ""
    };
    assert!(
        empty.is_empty() && unknown.is_empty(),
        "worker with delivery = {LIVE_DELIVERY}:\nmetrics used by the dashboard but not exported: \
         {unknown:?}\ndashboard expressions without data:\n{}\n{hint}",
        empty.join("\n")
    );

    // Every alert rule is loaded from dashboards/alerts.yml, evaluates without error, parses as a
    // query on its own, and uses only exported metrics.
    let rules = watched("every rule evaluated", 30, &worker, &prom).until(|| {
        let v = prom.api("/api/v1/rules");
        let rules: Vec<Value> = v["data"]["groups"]
            .as_array()?
            .iter()
            .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
            .collect();
        (rules.len() == ALERTS.len() && rules.iter().all(|r| r["health"] != "unknown"))
            .then_some(rules)
    });
    for r in &rules {
        let name = r["name"].as_str().unwrap();
        assert!(ALERTS.contains(&name), "{name}");
        assert_eq!(r["health"], "ok", "{name}: {}", r["lastError"]);
        let expr = r["query"].as_str().unwrap();
        let v = prom.query(expr);
        assert_eq!(v["status"], "success", "{name}: {expr}: {v}");
        let used = metric_names(expr);
        assert!(!used.is_empty(), "{name}: no metric in {expr}");
        for m in used {
            assert!(
                names.contains(&m),
                "{name}: {m} is not exported by the worker ({expr})"
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
    drop(prom);
    eprintln!(
        "observability: {} messages, {} dashboard expressions and {} alert rules checked on real Prometheus in {:?}",
        n,
        targets.len(),
        rules.len(),
        started.elapsed()
    );
}
