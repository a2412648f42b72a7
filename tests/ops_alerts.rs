//! The Prometheus alert rules (`dashboards/alerts.yml`) and the Prometheus config, checked with
//! the real `promtool`: both pass `promtool check`; every alert carries a severity, a summary and an
//! inline runbook; and each alert fires on synthetic series of the situation it describes
//! (`promtool test rules`), and not before its `for` nor on a healthy neighbour. The rules come in
//! two groups named after the scrape job they select: `synth-review` (the workers) and
//! `synth-review-console` (the moderation console).
//!
//! Needs `SYNTH_REVIEW_PROMTOOL`, set by `scripts/test.sh` (which installs Debian's `prometheus`
//! package when it is missing).

pub mod common;

use std::process::Command;

use common::ops::{ALERTS, CONSOLE_JOB};
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

/// Every rule, with the name of its group (which is the scrape job its expression selects).
fn alert_rules() -> Vec<(String, Value)> {
    let doc = read_yaml("dashboards/alerts.yml");
    doc["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| {
            let group = g["name"].as_str().unwrap().to_string();
            g["rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |r| (group.clone(), r.clone()))
        })
        .collect()
}

#[test]
fn alerts_have_a_summary_and_an_inline_runbook() {
    let grouped = alert_rules();
    let mut groups: Vec<&str> = grouped.iter().map(|(g, _)| g.as_str()).collect();
    groups.dedup();
    assert_eq!(groups, ["synth-review", CONSOLE_JOB], "rule groups");
    let names: Vec<&str> = grouped
        .iter()
        .map(|(_, r)| r["alert"].as_str().expect("alerting rules only"))
        .collect();
    assert_eq!(names, ALERTS);
    for (group, r) in &grouped {
        let name = r["alert"].as_str().unwrap();
        let expr = r["expr"].as_str().unwrap();
        // Every selector names the group's job (so a worker rule never matches the console's
        // series, nor the other way round).
        let job = format!(r#"job="{group}""#);
        assert!(expr.contains(&job), "{name}: select {job}");
        assert_eq!(
            expr.matches("job=").count(),
            expr.matches(&job).count(),
            "{name}: every selector names {job}"
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
    let rules: Vec<&Value> = grouped.iter().map(|(_, r)| r).collect();
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
    assert!(by_name("SynthReviewConsoleDown").contains("up{job=\"synth-review-console\"} == 0"));
    // The queue-age threshold is the one docs/metrics.md and the runbook name: 2 hours.
    let aging = rules
        .iter()
        .find(|r| r["alert"] == "SynthReviewConsoleQueueAging")
        .unwrap();
    assert!(by_name("SynthReviewConsoleQueueAging").contains("> 7200"));
    assert_eq!(aging["for"], "10m");
    assert!(aging["annotations"]["summary"]
        .as_str()
        .unwrap()
        .contains("2h"));
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

/// A situation close to an alert's in which it must stay quiet, at each time of `at`.
struct HealthyCase {
    alert: &'static str,
    series: &'static [(&'static str, &'static str)],
    at: &'static [&'static str],
}

/// Each alert fires on the situation it describes (and not before its `for`, nor on a healthy
/// neighbour, nor in the healthy situations listed next to some alerts), run by `promtool test
/// rules` on a copy of `dashboards/alerts.yml` with the annotations left out (their templates are
/// checked by `promtool check rules`).
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
        AlertCase {
            alert: "SynthReviewConsoleQueueAging",
            series: &[
                // The oldest undecided item was held 100 minutes ago and nobody decides it; both
                // replicas of the store report it (one alert, not one per replica).
                (
                    r#"synth_review_console_oldest_item_age_seconds{job="synth-review-console",instance="c1:9465"}"#,
                    "6000+60x40",
                ),
                (
                    r#"synth_review_console_oldest_item_age_seconds{job="synth-review-console",instance="c2:9465"}"#,
                    "6000+60x40",
                ),
            ],
            quiet_at: "25m", // above 2 h since minute 21, not yet for 10m
            at: "35m",
            fires: &[&[("severity", "warning")]],
        },
        AlertCase {
            alert: "SynthReviewConsoleRelayStuck",
            series: &[
                // Verdicts relayed until minute 5; then 12 wait in the outbox and none is relayed.
                (
                    r#"synth_review_console_outbox_pending{job="synth-review-console",instance="c1:9465"}"#,
                    "0x5 12x40",
                ),
                (
                    r#"synth_review_console_relayed_verdicts_total{job="synth-review-console",instance="c1:9465",decision="approve"}"#,
                    "0+3x5 15x40",
                ),
                (
                    r#"synth_review_console_relayed_verdicts_total{job="synth-review-console",instance="c1:9465",decision="reject"}"#,
                    "0x45",
                ),
                (
                    r#"synth_review_console_relay_restarts_total{job="synth-review-console",instance="c1:9465"}"#,
                    "0x45",
                ),
            ],
            quiet_at: "20m", // nothing relayed in 10m since minute 15, not yet for 10m
            at: "30m",
            fires: &[&[("severity", "critical")]],
        },
        AlertCase {
            alert: "SynthReviewConsoleRelayStuck",
            series: &[
                // The relay fails and starts again every minute from minute 6 on, relaying a
                // little in between.
                (
                    r#"synth_review_console_outbox_pending{job="synth-review-console",instance="c1:9465"}"#,
                    "0x5 3x30",
                ),
                (
                    r#"synth_review_console_relayed_verdicts_total{job="synth-review-console",instance="c1:9465",decision="approve"}"#,
                    "0+3x35",
                ),
                (
                    r#"synth_review_console_relay_restarts_total{job="synth-review-console",instance="c1:9465"}"#,
                    "0x5 1+1x30",
                ),
            ],
            quiet_at: "15m", // more than 2 restarts in 10m since minute 8, not yet for 10m
            at: "25m",
            fires: &[&[("severity", "critical")]],
        },
        AlertCase {
            alert: "SynthReviewConsoleDown",
            series: &[
                (
                    r#"up{job="synth-review-console",instance="c1:9465"}"#,
                    "1 1 0x20",
                ),
                (
                    r#"up{job="synth-review-console",instance="c2:9465"}"#,
                    "1x22",
                ),
            ],
            quiet_at: "3m", // down for 1m only
            at: "10m",
            fires: &[&[
                ("instance", "c1:9465"),
                ("job", "synth-review-console"),
                ("severity", "critical"),
            ]],
        },
        AlertCase {
            alert: "SynthReviewComplaintsOverdue",
            series: &[(
                r#"synth_review_console_complaint_cases{job="synth-review-console",instance="c1:9465",state="overdue"}"#,
                "0x5 1x30",
            )],
            quiet_at: "8m", // overdue for 3m only
            at: "15m",
            fires: &[&[("severity", "warning")]],
        },
        AlertCase {
            alert: "SynthReviewAppealsOverdue",
            series: &[(
                r#"synth_review_console_appeals{job="synth-review-console",instance="c1:9465",state="overdue"}"#,
                "0x5 2x30",
            )],
            quiet_at: "8m", // overdue for 3m only
            at: "15m",
            fires: &[&[("severity", "warning")]],
        },
    ];
    // Situations next to an alert's that must not fire it, at each time of `at`.
    let healthy = [
        HealthyCase {
            alert: "SynthReviewConsoleQueueAging",
            // An item older than 2 h for 5 minutes, then decided: the queue is young again.
            series: &[(
                r#"synth_review_console_oldest_item_age_seconds{job="synth-review-console",instance="c1:9465"}"#,
                "6600+60x15 0+60x30",
            )],
            at: &["14m", "30m"],
        },
        HealthyCase {
            alert: "SynthReviewConsoleRelayStuck",
            // Two replicas on one store: both report the pending verdicts, one relays them (the
            // other's relay waits its turn), and one relay restart after a broker blip.
            series: &[
                (
                    r#"synth_review_console_outbox_pending{job="synth-review-console",instance="c1:9465"}"#,
                    "2x40",
                ),
                (
                    r#"synth_review_console_outbox_pending{job="synth-review-console",instance="c2:9465"}"#,
                    "2x40",
                ),
                (
                    r#"synth_review_console_relayed_verdicts_total{job="synth-review-console",instance="c1:9465",decision="approve"}"#,
                    "0+5x40",
                ),
                (
                    r#"synth_review_console_relayed_verdicts_total{job="synth-review-console",instance="c2:9465",decision="approve"}"#,
                    "0x40",
                ),
                (
                    r#"synth_review_console_relay_restarts_total{job="synth-review-console",instance="c2:9465"}"#,
                    "0x10 1x30",
                ),
            ],
            at: &["15m", "30m"],
        },
        HealthyCase {
            alert: "SynthReviewConsoleRelayStuck",
            // A quiet night: no verdict given, none pending, nothing relayed.
            series: &[
                (
                    r#"synth_review_console_outbox_pending{job="synth-review-console",instance="c1:9465"}"#,
                    "0x40",
                ),
                (
                    r#"synth_review_console_relayed_verdicts_total{job="synth-review-console",instance="c1:9465",decision="approve"}"#,
                    "7x40",
                ),
                (
                    r#"synth_review_console_relay_restarts_total{job="synth-review-console",instance="c1:9465"}"#,
                    "0x40",
                ),
            ],
            at: &["30m"],
        },
        HealthyCase {
            alert: "SynthReviewConsoleDown",
            // One failed scrape (a restart), then up again.
            series: &[(
                r#"up{job="synth-review-console",instance="c1:9465"}"#,
                "1 1 0 1x20",
            )],
            at: &["3m", "10m"],
        },
        HealthyCase {
            alert: "SynthReviewComplaintsOverdue",
            // Open complaint cases within their time limit, and an overdue one decided within
            // minutes.
            series: &[
                (
                    r#"synth_review_console_complaint_cases{job="synth-review-console",instance="c1:9465",state="open"}"#,
                    "3x40",
                ),
                (
                    r#"synth_review_console_complaint_cases{job="synth-review-console",instance="c1:9465",state="overdue"}"#,
                    "0x10 1 1 0x28",
                ),
            ],
            at: &["15m", "30m"],
        },
        HealthyCase {
            alert: "SynthReviewAppealsOverdue",
            // Open appeals within their time limit, and an overdue one decided within minutes.
            series: &[
                (
                    r#"synth_review_console_appeals{job="synth-review-console",instance="c1:9465",state="open"}"#,
                    "4x40",
                ),
                (
                    r#"synth_review_console_appeals{job="synth-review-console",instance="c1:9465",state="overdue"}"#,
                    "0x10 1 1 1 0x27",
                ),
            ],
            at: &["15m", "30m"],
        },
    ];
    let mut covered: Vec<&str> = cases.iter().map(|c| c.alert).collect();
    covered.dedup();
    assert_eq!(
        covered, ALERTS,
        "a case (or more, one after the other) per alert"
    );

    // The rules without annotations, as JSON (which YAML readers accept).
    let mut doc = read_yaml("dashboards/alerts.yml");
    for g in doc["groups"].as_array_mut().unwrap() {
        for r in g["rules"].as_array_mut().unwrap() {
            r.as_object_mut().unwrap().remove("annotations");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.json"), doc.to_string()).unwrap();
    let series = |series: &[(&str, &str)]| -> Vec<Value> {
        series
            .iter()
            .map(|(s, v)| serde_json::json!({"series": s, "values": v}))
            .collect()
    };
    let mut tests: Vec<Value> = cases
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
                "input_series": series(c.series),
                "alert_rule_test": [
                    {"eval_time": c.quiet_at, "alertname": c.alert, "exp_alerts": []},
                    {"eval_time": c.at, "alertname": c.alert, "exp_alerts": exp},
                ],
            })
        })
        .collect();
    tests.extend(healthy.iter().map(|h| {
        serde_json::json!({
            "name": format!("{} (healthy)", h.alert),
            "interval": "1m",
            "input_series": series(h.series),
            "alert_rule_test": h.at.iter().map(|t| serde_json::json!(
                {"eval_time": t, "alertname": h.alert, "exp_alerts": []}
            )).collect::<Vec<_>>(),
        })
    }));
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
