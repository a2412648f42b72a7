//! Every reason code of DESIGN §4 over a real Kafka broker, with the shipped default pipeline's
//! stages and data: one event per reason code (its positive case) plus negative controls that
//! differ from a positive case only in the one field that suppresses the reason. Text cases use
//! real People's Daily (1998) lines from the committed corpus sample.

pub mod common;

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use common::*;
use synth_review::decision::ReasonCode;

/// The default pipeline with this test's topics and group.
fn write_default_pipeline(
    dir: &std::path::Path,
    topics: &TestTopics,
    group: &str,
) -> std::path::PathBuf {
    let text = std::fs::read_to_string(repo().join("pipelines/default.toml")).unwrap();
    let data = repo().join("data");
    let mut text = text.replace("../data/", &format!("{}/", data.display()));
    text = text.replace(
        "brokers = \"127.0.0.1:9092\"",
        &format!("brokers = \"{}\"", brokers()),
    );
    text = text.replace(
        "group_id = \"synth-review\"",
        &format!("group_id = \"{group}\""),
    );
    for (from, to) in [
        ("synth.publish.v1", &topics.input),
        ("synth.approved.v1", &topics.approved),
        ("synth.held.v1", &topics.held),
        ("synth.rejected.v1", &topics.rejected),
        ("synth.dlq.v1", &topics.dead_letter),
        ("synth.audit.v1", &topics.audit),
    ] {
        text = text.replace(&format!("\"{from}\""), &format!("\"{to}\""));
    }
    let path = dir.join("default.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A real corpus line that starts with `prefix`.
fn corpus_line(prefix: &str) -> String {
    corpus()
        .into_iter()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no corpus line starts with {prefix}"))
}

/// A plain labelled text event; `patch` is merged over it.
fn event(id: &str, patch: serde_json::Value) -> serde_json::Value {
    let mut v = serde_json::json!({
        "event_id": id,
        "user": {"id": "u-1", "identity_verified": true, "verification_method": "mobile"},
        "content": {"kind": "text", "text": "今天天气很好，我们一起去公园散步。"},
        "synthesis": {"technique": "text_generation"},
        "labels": {"explicit": {"present": true, "text": "AI生成", "position": "start"}}
    });
    merge(&mut v, &patch);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reason_code_over_kafka() {
    use serde_json::json;
    let dateline = corpus_line("新华社北京１２月３１日电");
    // A real news body paragraph that names no unit, under a 本报讯 lead.
    let body = corpus()
        .into_iter()
        .find(|l| {
            (40..200).contains(&l.chars().count())
                && ["新华", "记者", "报", "电", "社", "台", "网", "讯"]
                    .iter()
                    .all(|w| !l.contains(w))
        })
        .expect("a plain corpus paragraph");
    let benbao = format!("本报讯　{body}");
    let aigc_ok = json!({"AIGC": {"Label": "1", "ContentProducer": "001191110102MAD55U9H0F10002", "ProduceID": "p-1"}});
    let image = |labels: serde_json::Value, meta: Option<serde_json::Value>, technique: &str| {
        let mut media = json!({"url": "https://cdn.example/x.png", "mime": "image/png"});
        if let Some(m) = meta {
            media["metadata"] = m;
        }
        json!({"content": {"kind": "image", "text": null, "media": [media]}, "synthesis": {"technique": technique}, "labels": labels,
               // An invented face: Art. 14 consent is not in question in the label cases.
               "subject": {"real_person": false}})
    };
    // (id, event, expected decision, expected reason codes)
    let cases: Vec<(&str, serde_json::Value, &str, Vec<ReasonCode>)> = vec![
        ("clean", json!({}), "approve", vec![]),
        (
            "identity_unverified",
            json!({"user": {"identity_verified": false}}),
            "reject",
            vec![ReasonCode::IdentityUnverified],
        ),
        (
            "prohibited_term",
            json!({"content": {"text": "欢迎来到网*络*赌*场，注册就送"}}),
            "reject",
            vec![ReasonCode::ProhibitedTerm],
        ),
        (
            "prohibited_allowed",
            json!({"content": {"text": "公安机关严厉打击网络赌场"}}),
            "approve",
            vec![],
        ),
        (
            "news_source_unverified",
            json!({"content": {"text": benbao.clone()}}),
            "hold",
            vec![ReasonCode::NewsSourceUnverified],
        ),
        (
            "news_source_verified",
            json!({"content": {"text": benbao.clone()}, "news": {"is_news": true, "source": {"name": "人民网", "url": "http://www.people.com.cn/n/1.html"}}}),
            "approve",
            vec![],
        ),
        (
            "news_attribution_mismatch",
            json!({"content": {"text": dateline.clone()}, "news": {"is_news": true, "source": {"name": "人民网", "url": "http://www.people.com.cn/n/1.html"}}}),
            "hold",
            vec![ReasonCode::NewsAttributionMismatch],
        ),
        (
            "news_attribution_matches",
            json!({"content": {"text": dateline.clone()}, "news": {"is_news": true, "source": {"name": "新华网", "url": "https://www.news.cn/a.htm"}}}),
            "approve",
            vec![],
        ),
        (
            "known_false_news",
            json!({"content": {"text": "朋友圈都在传：吃碘盐可以防核辐射！赶紧去超市囤盐。"}}),
            "reject",
            vec![ReasonCode::KnownFalseNews],
        ),
        (
            "rumour_topic_only",
            json!({"content": {"text": "碘盐是日常生活中常见的调味品，适量食用有益健康。"}}),
            "approve",
            vec![],
        ),
        (
            "reprint_source_missing",
            json!({"news": {"is_reprint": true}}),
            "reject",
            vec![ReasonCode::ReprintSourceMissing],
        ),
        (
            "reprint_source_unlicensed",
            json!({"news": {"is_reprint": true, "source": {"name": "新华网", "url": "https://xinhuanet.com.example.org/a"}}}),
            "reject",
            vec![ReasonCode::ReprintSourceUnlicensed],
        ),
        (
            "reprint_source_mismatch",
            json!({"news": {"is_reprint": true, "source": {"name": "人民网", "url": "https://www.news.cn/a.htm"}}}),
            "hold",
            vec![ReasonCode::ReprintSourceMismatch],
        ),
        (
            "reprint_source_ok",
            json!({"news": {"is_reprint": true, "source": {"name": "新华社", "url": "https://www.news.cn/a.htm"}}}),
            "approve",
            vec![],
        ),
        (
            "label_missing",
            image(json!(null), None, "face_swap"),
            "hold",
            vec![ReasonCode::LabelMissing],
        ),
        (
            "label_from_metadata",
            image(json!(null), Some(aigc_ok.clone()), "face_swap"),
            "approve",
            vec![],
        ),
        (
            "label_metadata_invalid",
            image(
                json!({"explicit": {"present": true, "text": "AI生成"}}),
                Some(json!({"AIGC": {"Label": 1, "ContentProducer": "x", "ProduceID": "y"}})),
                "image_generation",
            ),
            "hold",
            vec![ReasonCode::LabelMetadataInvalid],
        ),
        (
            "label_nonconforming",
            image(
                json!({"explicit": {"present": true, "text": "机器作品"}}),
                None,
                "image_generation",
            ),
            "hold",
            vec![ReasonCode::LabelNonconforming],
        ),
        (
            "label_tampered",
            image(
                json!({"explicit": {"present": true, "text": "真实拍摄"}}),
                Some(aigc_ok.clone()),
                "face_swap",
            ),
            "reject",
            vec![ReasonCode::LabelTampered],
        ),
        (
            "biometric_consent_missing",
            json!({"synthesis": {"technique": "face_swap"}, "subject": {"real_person": true, "consent": "not_obtained"}}),
            "hold",
            vec![ReasonCode::BiometricConsentMissing],
        ),
        (
            "biometric_consent_unknown",
            json!({"synthesis": {"technique": "voice_conversion"}}),
            "hold",
            vec![ReasonCode::BiometricConsentMissing],
        ),
        (
            "biometric_consent_obtained",
            json!({"synthesis": {"technique": "face_swap"}, "subject": {"real_person": true, "consent": "obtained"}}),
            "approve",
            vec![],
        ),
    ];
    let covered: BTreeSet<ReasonCode> = cases.iter().flat_map(|c| c.3.iter().copied()).collect();
    assert_eq!(
        covered.len(),
        ReasonCode::ALL.len(),
        "every reason code has a positive case"
    );

    let prefix = unique("reasons");
    let topics = TestTopics::new(&prefix);
    let group = format!("{prefix}-group");
    let dir = tempfile::tempdir().unwrap();
    let pipeline = write_default_pipeline(dir.path(), &topics, &group);
    create_topics(&topics, 2).await;
    let msgs: Vec<Generated> = cases
        .iter()
        .map(|(id, patch, expected, _)| Generated {
            key: id.to_string(),
            payload: serde_json::to_vec(&event(id, patch.clone())).unwrap(),
            expected: expected.to_string(),
        })
        .collect();
    produce_all(&topics.input, &msgs).await;
    let mut worker = spawn_worker(&pipeline, free_port());
    let started = Instant::now();
    let wait =
        wait_for("every decision and audit record", Duration::from_secs(120)).watching(&worker);
    let out = collect(&topics, wait, |o| {
        o.total_decisions >= msgs.len() && o.total_audit >= msgs.len()
    });
    let status = terminate(&mut worker, Duration::from_secs(30));
    assert!(status.success(), "{status:?}");
    eprintln!("reasons: {} events in {:?}", msgs.len(), started.elapsed());

    let mut failures = Vec::new();
    for (id, _, expected, codes) in &cases {
        let records = out
            .decisions
            .get(*id)
            .unwrap_or_else(|| panic!("{id}: no decision"));
        assert_eq!(records.len(), 1, "{id}: exactly one decision");
        let record = &records[0].1;
        let got_codes: Vec<String> = record["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].as_str().unwrap().to_string())
            .collect();
        let want_codes: Vec<String> = codes.iter().map(|c| c.as_str().to_string()).collect();
        let got_set: BTreeSet<_> = got_codes.iter().collect();
        let want_set: BTreeSet<_> = want_codes.iter().collect();
        if record["decision"] != *expected || got_set != want_set {
            failures.push(format!(
                "{id}: expected {expected} {want_codes:?}, got {} {got_codes:?} ({})",
                record["decision"], record["reasons"]
            ));
        }
        for r in record["reasons"].as_array().unwrap() {
            let code: ReasonCode = serde_json::from_value(r["code"].clone()).unwrap();
            assert_eq!(r["article"], code.article(), "{id}: article cited");
            assert_eq!(r["stage"], code.stage().as_str(), "{id}: stage named");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let by_topic: HashMap<String, usize> =
        out.decisions.values().fold(HashMap::new(), |mut acc, v| {
            *acc.entry(v[0].0.clone()).or_default() += 1;
            acc
        });
    assert_eq!(by_topic.values().sum::<usize>(), cases.len());
}
