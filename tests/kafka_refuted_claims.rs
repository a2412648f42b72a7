//! Refuted claims that leads add in the console reach the worker's rumour library, against the
//! real broker started by `scripts/test.sh`: the worker reads the refuted-claims topic
//! (`[topics] refuted_claims`, `schema/refuted-claim.v1.json`) from the beginning and keeps up
//! with it, and reviews nothing before it has read what the topic held at its start. A claim on
//! the topic before the worker starts (with an event repeating it already waiting) and one added
//! while it runs both make events that repeat them rejects (`known_false_news`) whose reason names the claim and
//! who refuted it; a record that is not a claim is skipped; an event that only mentions the
//! subject is still approved.

pub mod common;

use std::time::Duration;

use common::*;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::ClientConfig;

fn pipeline(
    dir: &std::path::Path,
    topics: &TestTopics,
    claims: &str,
    group: &str,
) -> std::path::PathBuf {
    let data = repo().join("data");
    let text = format!(
        r#"[pipeline]
name = "claims"
version = "test"

[kafka]
brokers = "{brokers}"
group_id = "{group}"
commit_interval_ms = 200

[topics]
input = "{input}"
approved = "{approved}"
held = "{held}"
rejected = "{rejected}"
dead_letter = "{dlq}"
audit = "{audit}"
refuted_claims = "{claims}"

[[stages]]
kind = "news_source"
sources = "{sources}"
rumours = "{rumours}"
"#,
        brokers = brokers(),
        input = topics.input,
        approved = topics.approved,
        held = topics.held,
        rejected = topics.rejected,
        dlq = topics.dead_letter,
        audit = topics.audit,
        sources = data
            .join("news-sources/cac-news-source-units.csv")
            .display(),
        rumours = data.join("rumours/known-rumours.csv").display(),
    );
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, text).unwrap();
    path
}

async fn create(topic: &str) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .unwrap();
    let res =
        admin
            .create_topics(
                &[NewTopic::new(topic, 1, TopicReplication::Fixed(1))
                    .set("cleanup.policy", "compact")],
                &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
            )
            .await
            .unwrap();
    for r in res {
        r.unwrap();
    }
}

fn message(key: &str, value: &[u8]) -> Generated {
    Generated {
        key: key.to_owned(),
        payload: value.to_vec(),
        expected: String::new(),
    }
}

fn claim_record(n: u32, claim: &str, by: &str) -> Generated {
    let v = serde_json::json!({
        "claim_id": format!("refuted_claim:{n}"), "claim": claim, "refuted_by": by,
        "refuted_at": "2026-11", "event_id": format!("evt-{n}"), "item_id": n,
        "added_by": {"kind": "lead", "id": "lee"}, "added_at": "2026-12-01T08:00:00Z",
    });
    message(claim, &serde_json::to_vec(&v).unwrap())
}

fn event(id: &str, text: &str) -> Generated {
    let v = serde_json::json!({
        "event_id": id,
        "user": {"id": "u1", "identity_verified": true},
        "content": {"kind": "text", "text": text},
        "synthesis": {"technique": "text_generation"},
    });
    message(id, &serde_json::to_vec(&v).unwrap())
}

fn wait_metric(worker: &Worker, series: &str, at_least: f64) {
    wait_for(
        format!("{series} to reach {at_least}"),
        Duration::from_secs(90),
    )
    .watching(worker)
    .every(Duration::from_millis(100))
    .until(|| {
        worker_metrics(worker.port())
            .is_some_and(|text| metric(&text, series).unwrap_or(0.0) >= at_least)
    });
}

/// The decision of `event_id`: (topic, record).
fn decision(topics: &TestTopics, worker: &Worker, event_id: &str) -> (String, serde_json::Value) {
    let out = collect(
        topics,
        wait_for(
            format!("the decision of {event_id}"),
            Duration::from_secs(90),
        )
        .watching(worker),
        |o| o.decisions.contains_key(event_id),
    );
    let d = out
        .decisions
        .get(event_id)
        .unwrap_or_else(|| panic!("no decision for {event_id}"));
    assert_eq!(d.len(), 1, "{d:?}");
    d[0].clone()
}

fn refutation(record: &serde_json::Value) -> Option<&serde_json::Value> {
    record["reasons"]
        .as_array()?
        .iter()
        .find(|r| r["code"] == "known_false_news")
        .map(|r| &r["refutation"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_from_the_console_reach_the_rumour_library() {
    let prefix = unique("claims");
    let topics = TestTopics::new(&prefix);
    let claims_topic = format!("{prefix}.refuted-claims");
    create_topics(&topics, 1).await;
    create(&claims_topic).await;
    // Before the worker starts: one claim, and a record that is not one.
    produce_all(
        &claims_topic,
        &[
            claim_record(1, "喝柠檬水可以治愈癌症", "中国抗癌协会"),
            message("junk", b"not json"),
        ],
    )
    .await;
    // Events waiting before the start too: the worker reads the claims before it reviews.
    produce_all(
        &topics.input,
        &[
            event("e1", "群里都在转：喝柠檬水能治愈癌症，别再去医院做化疗了！"),
            event("e2", "柠檬水是一种清爽的饮品，夏天很受欢迎。"),
        ],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline(
        dir.path(),
        &topics,
        &claims_topic,
        &format!("{prefix}-group"),
    );
    let worker = Worker::start(&pipeline);
    let (topic, record) = decision(&topics, &worker, "e1");
    assert_eq!(topic, topics.rejected, "{record}");
    let r = refutation(&record).expect("a known_false_news reason");
    assert_eq!(r["claim"], "喝柠檬水可以治愈癌症", "{record}");
    assert_eq!(r["refuted_by"], "中国抗癌协会");
    assert_eq!(r["refuted_at"], "2026-11");
    let (topic, record) = decision(&topics, &worker, "e2");
    assert_eq!(topic, topics.approved, "{record}");
    wait_metric(&worker, "synth_review_refuted_claims", 1.0);
    wait_metric(
        &worker,
        "synth_review_config_reloads_total{result=\"success\"}",
        1.0,
    );

    // While it runs: a second claim.
    produce_all(
        &claims_topic,
        &[claim_record(2, "手机充电时接电话会爆炸", "中国消费者协会")],
    )
    .await;
    wait_metric(&worker, "synth_review_refuted_claims", 2.0);
    wait_metric(
        &worker,
        "synth_review_config_reloads_total{result=\"success\"}",
        2.0,
    );
    produce_all(
        &topics.input,
        &[event(
            "e3",
            "紧急提醒：手机充电时接电话会爆炸，已经有人出事了！",
        )],
    )
    .await;
    let (topic, record) = decision(&topics, &worker, "e3");
    assert_eq!(topic, topics.rejected, "{record}");
    assert_eq!(refutation(&record).unwrap()["refuted_by"], "中国消费者协会");
    // The shipped library still works alongside.
    produce_all(
        &topics.input,
        &[event("e4", "朋友圈都在传：吃碘盐可以防核辐射！")],
    )
    .await;
    let (topic, record) = decision(&topics, &worker, "e4");
    assert_eq!(topic, topics.rejected, "{record}");
    assert_eq!(refutation(&record).unwrap()["refuted_by"], "卫生部");
}
