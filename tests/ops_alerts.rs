//! The Prometheus alert rules (`dashboards/alerts.yml`) and the Prometheus config, checked with
//! the real `promtool`: both pass `promtool check`; every alert carries a severity, a summary and an
//! inline runbook; and each alert fires on synthetic series of the situation it describes
//! (`promtool test rules`), and not before its `for` nor on a healthy neighbour.
//!
//! Needs `SYNTH_REVIEW_PROMTOOL`, set by `scripts/test.sh` (which installs Debian's `prometheus`
//! package when it is missing).

pub mod common;

use std::process::Command;

use common::ops::ALERTS;
use common::prometheus::promtool;
use common::yaml::read_yaml;
use common::*;
use serde_json::Value;

#[test]
fn promtool_accepts_the_config_and_the_rules() {
    for args in [
        vec!["check", "config", "dashboards/prometheus.yml"],
        vec!["check", "rules", "dashboards/alerts.yml"],
    ] {
        let out = Command::new(promtool())
            .args(&args)
            .current_dir(repo())
            .output()
            .expect("run promtool");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "promtool {args:?} failed:\n{text}");
        assert!(text.contains("SUCCESS"), "promtool {args:?}:\n{text}");
    }
}

fn alert_rules() -> Vec<Value> {
    let doc = read_yaml("dashboards/alerts.yml");
    doc["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap().clone())
        .collect()
}

#[test]
fn alerts_have_a_summary_and_an_inline_runbook() {
    let rules = alert_rules();
    let names: Vec<&str> = rules
        .iter()
        .map(|r| r["alert"].as_str().expect("alerting rules only"))
        .collect();
    assert_eq!(names, ALERTS);
    for r in &rules {
        let name = r["alert"].as_str().unwrap();
        let expr = r["expr"].as_str().unwrap();
        assert!(
            expr.contains(r#"job="synth-review""#),
            "{name}: select job=\"synth-review\""
        );
        assert!(
            matches!(
                r["labels"]["severity"].as_str(),
                Some("critical" | "warning")
            ),
            "{name}: severity"
        );
        assert!(
            r["annotations"]["summary"]
                .as_str()
                .is_some_and(|s| s.len() > 10),
            "{name}: summary"
        );
        let runbook = r["annotations"]["runbook"].as_str().unwrap_or_default();
        for part in ["Meaning:", "First checks:", "Mitigate:"] {
            assert!(runbook.contains(part), "{name}: the runbook needs `{part}`");
        }
    }
    let by_name = |n: &str| {
        rules.iter().find(|r| r["alert"] == n).unwrap()["expr"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(by_name("SynthReviewWorkerDown").contains("up{job=\"synth-review\"} == 0"));
    assert_eq!(
        rules
            .iter()
            .find(|r| r["alert"] == "SynthReviewConsumerLagGrowing")
            .unwrap()["for"],
        "10m"
    );
    assert!(by_name("SynthReviewStalled").contains("synth_review_consumer_lag"));
}

/// One `promtool test rules` case: input series (1-minute samples, promtool's expanding
/// notation), and at `at` the alerts of `alert` that must fire, as label sets beyond `alertname`.
struct AlertCase {
    alert: &'static str,
    series: &'static [(&'static str, &'static str)],
    quiet_at: &'static str,
    at: &'static str,
    fires: &'static [&'static [(&'static str, &'static str)]],
}

/// Each alert fires on the situation it describes (and not before its `for`, nor on a healthy
/// neighbour), run by `promtool test rules` on a copy of `dashboards/alerts.yml` with the
/// annotations left out (their templates are checked by `promtool check rules`).
#[test]
fn alert_rules_fire_on_synthetic_series() {
    let cases = [
        AlertCase {
            alert: "SynthReviewWorkerDown",
            series: &[
                (r#"up{job="synth-review",instance="w1:9464"}"#, "1 1 0x20"),
                (r#"up{job="synth-review",instance="w2:9464"}"#, "1x22"),
            ],
            quiet_at: "3m", // down for 1m only
            at: "10m",
            fires: &[&[
                ("instance", "w1:9464"),
                ("job", "synth-review"),
                ("severity", "critical"),
            ]],
        },
        AlertCase {
            alert: "SynthReviewConsumerLagGrowing",
            series: &[
                // Grows by 200 a minute on one topic; high but flat on another.
                (
                    r#"synth_review_consumer_lag{job="synth-review",instance="w1:9464",topic="in",partition="0"}"#,
                    "0+200x40",
                ),
                (
                    r#"synth_review_consumer_lag{job="synth-review",instance="w1:9464",topic="flat",partition="0"}"#,
                    "5000x40",
                ),
            ],
            quiet_at: "12m", // above 1000 since minute 6, not yet for 10m
            at: "30m",
            fires: &[&[("severity", "warning"), ("topic", "in")]],
        },
        AlertCase {
            alert: "SynthReviewDeadLetters",
            series: &[
                // 100 messages/s of which 2/s are dead letters (2 %).
                (
                    r#"synth_review_events_total{job="synth-review",instance="w1:9464",decision="approve"}"#,
                    "0+5880x40",
                ),
                (
                    r#"synth_review_events_total{job="synth-review",instance="w1:9464",decision="dead_letter"}"#,
                    "0+120x40",
                ),
                (
                    r#"synth_review_dead_letters_total{job="synth-review",instance="w1:9464",reason="schema"}"#,
                    "0+120x40",
                ),
            ],
            quiet_at: "5m", // true from the second minute on, not yet for 10m
            at: "30m",
            fires: &[&[("severity", "warning")]],
        },
        AlertCase {
            alert: "SynthReviewHoldRateSpike",
            series: &[
                // A day at 1 hold/s of 20/s, then 10 holds/s.
                (
                    r#"synth_review_events_total{job="synth-review",instance="w1:9464",decision="approve"}"#,
                    "0+1140x1500",
                ),
                (
                    r#"synth_review_events_total{job="synth-review",instance="w1:9464",decision="hold"}"#,
                    "0+60x1440 86460+600x60",
                ),
            ],
            quiet_at: "1440m",
            at: "1480m",
            fires: &[&[("severity", "warning")]],
        },
        AlertCase {
            alert: "SynthReviewLatencyHigh",
            series: &[
                // Every message takes between 1 s and 2.5 s.
                (
                    r#"synth_review_review_latency_seconds_bucket{job="synth-review",instance="w1:9464",le="0.1"}"#,
                    "0x40",
                ),
                (
                    r#"synth_review_review_latency_seconds_bucket{job="synth-review",instance="w1:9464",le="1"}"#,
                    "0x40",
                ),
                (
                    r#"synth_review_review_latency_seconds_bucket{job="synth-review",instance="w1:9464",le="2.5"}"#,
                    "0+600x40",
                ),
                (
                    r#"synth_review_review_latency_seconds_bucket{job="synth-review",instance="w1:9464",le="+Inf"}"#,
                    "0+600x40",
                ),
            ],
            quiet_at: "10m",
            at: "25m",
            fires: &[&[("severity", "warning")]],
        },
        AlertCase {
            alert: "SynthReviewStalled",
            series: &[
                // Counted 5000 events, then nothing more while 700 wait.
                (
                    r#"synth_review_events_total{job="synth-review",instance="w1:9464",decision="approve"}"#,
                    "0+500x10 5000x30",
                ),
                (
                    r#"synth_review_consumer_lag{job="synth-review",instance="w1:9464",topic="in",partition="0"}"#,
                    "0x10 700x30",
                ),
            ],
            quiet_at: "12m",
            at: "25m",
            fires: &[&[("severity", "critical")]],
        },
        AlertCase {
            alert: "SynthReviewProduceErrors",
            series: &[
                (
                    r#"synth_review_kafka_produce_errors_total{job="synth-review",instance="w1:9464"}"#,
                    "0 0 0 1 1 1 1",
                ),
                (
                    r#"synth_review_kafka_produce_errors_total{job="synth-review",instance="w2:9464"}"#,
                    "0x6",
                ),
            ],
            quiet_at: "2m",
            at: "5m",
            fires: &[&[("instance", "w1:9464"), ("severity", "warning")]],
        },
        AlertCase {
            alert: "SynthReviewWorkerRestarting",
            series: &[
                (
                    r#"synth_review_process_start_time_seconds{job="synth-review",instance="w1:9464"}"#,
                    "100 100 220 340 460 460 460",
                ),
                (
                    r#"synth_review_process_start_time_seconds{job="synth-review",instance="w2:9464"}"#,
                    "100x6",
                ),
            ],
            quiet_at: "3m", // two restarts so far
            at: "5m",
            fires: &[&[
                ("instance", "w1:9464"),
                ("job", "synth-review"),
                ("severity", "warning"),
            ]],
        },
        AlertCase {
            alert: "SynthReviewReloadFailed",
            series: &[
                (
                    r#"synth_review_config_reloads_total{job="synth-review",instance="w1:9464",result="error"}"#,
                    "0 0 0 1 1 1",
                ),
                (
                    r#"synth_review_config_reloads_total{job="synth-review",instance="w1:9464",result="success"}"#,
                    "0 1 1 1 1 1",
                ),
            ],
            quiet_at: "2m",
            at: "5m",
            fires: &[&[("instance", "w1:9464"), ("severity", "warning")]],
        },
        AlertCase {
            alert: "SynthReviewTransactionsAborting",
            series: &[
                // w1 aborts every batch (one a minute, nothing committed) from minute 5 on;
                // w2 aborts as often but keeps committing (rebalances): no alert for w2.
                (
                    r#"synth_review_transactions_total{job="synth-review",instance="w1:9464",result="aborted"}"#,
                    "0x5 1+1x30",
                ),
                (
                    r#"synth_review_transactions_total{job="synth-review",instance="w1:9464",result="committed"}"#,
                    "0+10x5 50x30",
                ),
                (
                    r#"synth_review_transactions_total{job="synth-review",instance="w2:9464",result="aborted"}"#,
                    "0+1x35",
                ),
                (
                    r#"synth_review_transactions_total{job="synth-review",instance="w2:9464",result="committed"}"#,
                    "0+10x35",
                ),
            ],
            quiet_at: "12m", // commits of minutes 0-5 still inside the 10m window until minute 15
            at: "30m",
            fires: &[&[("instance", "w1:9464"), ("severity", "critical")]],
        },
    ];
    let covered: Vec<&str> = cases.iter().map(|c| c.alert).collect();
    assert_eq!(covered, ALERTS, "one case per alert");

    // The rules without annotations, as JSON (which YAML readers accept).
    let mut doc = read_yaml("dashboards/alerts.yml");
    for g in doc["groups"].as_array_mut().unwrap() {
        for r in g["rules"].as_array_mut().unwrap() {
            r.as_object_mut().unwrap().remove("annotations");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.json"), doc.to_string()).unwrap();
    let tests: Vec<Value> = cases
        .iter()
        .map(|c| {
            let exp: Vec<Value> = c
                .fires
                .iter()
                .map(|labels| {
                    let m: serde_json::Map<String, Value> = labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), Value::from(*v)))
                        .collect();
                    serde_json::json!({ "exp_labels": m })
                })
                .collect();
            serde_json::json!({
                "name": c.alert,
                "interval": "1m",
                "input_series": c.series.iter().map(|(s, v)| serde_json::json!({"series": s, "values": v})).collect::<Vec<_>>(),
                "alert_rule_test": [
                    {"eval_time": c.quiet_at, "alertname": c.alert, "exp_alerts": []},
                    {"eval_time": c.at, "alertname": c.alert, "exp_alerts": exp},
                ],
            })
        })
        .collect();
    let test_file = dir.path().join("alerts.test.json");
    std::fs::write(
        &test_file,
        serde_json::json!({"rule_files": ["rules.json"], "evaluation_interval": "1m", "tests": tests}).to_string(),
    )
    .unwrap();
    let out = Command::new(promtool())
        .args(["test", "rules"])
        .arg(&test_file)
        .current_dir(dir.path())
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "promtool test rules:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
