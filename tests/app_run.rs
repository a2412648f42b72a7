//! The worker in-process: `synth_review::app::run` — what `synth-review run` runs — against the
//! real broker, stopped through its shutdown future. A stage that panics on a marker (injected
//! with `Engine::push_stage`) makes those events dead letters `internal_error`, logged with the
//! stage name and no content, while every other event is reviewed and the partitions move on:
//! the offsets are committed past the marked events, so a restarted worker would not meet them
//! again.

mod common;

use std::time::Duration;

use common::{create_topics, unique, write_pipeline, Generated, TestTopics};
use synth_review::decision::StageKind;
use synth_review::event::PublishEvent;
use synth_review::stages::{Stage, StageOutput};

const MARKER: &str = "PANIC-MARKER";

/// Panics on any event whose text holds [`MARKER`], with the text in the panic message (which
/// must not reach the logs or the dead letter).
struct PanicOnMarker;

impl Stage for PanicOnMarker {
    fn kind(&self) -> StageKind {
        StageKind::Labels
    }

    fn review(&self, event: &PublishEvent, _out: &mut StageOutput) {
        if let Some(text) = event.content.text.as_deref() {
            if text.contains(MARKER) {
                panic!("injected fault on {text}");
            }
        }
    }
}

fn event(id: &str, text: &str) -> Vec<u8> {
    serde_json::json!({"event_id": id, "user": {"id": "u", "identity_verified": true},
        "content": {"kind": "text", "text": text}, "synthesis": {"technique": "text_generation"}})
    .to_string()
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_run_in_process_sets_a_panicking_event_aside_and_moves_on() {
    let prefix = unique("app-run");
    let topics = TestTopics::new(&prefix);
    let partitions = 2;
    create_topics(&topics, partitions).await;
    let dir = tempfile::tempdir().unwrap();
    let group = format!("{prefix}-group");
    let pipeline = write_pipeline(dir.path(), &topics, &group);
    let mut loaded = synth_review::app::load(&pipeline).expect("pipeline");
    loaded.engine.push_stage(Box::new(PanicOnMarker));

    let msgs: Vec<Generated> = (0..300)
        .map(|i| {
            let id = format!("ev-{i}");
            let marked = i % 97 == 13;
            let text = if marked {
                format!("第{i}条。{MARKER} 今天天气很好。")
            } else {
                format!("第{i}条。今天天气很好，我们一起去公园散步。")
            };
            Generated {
                key: id.clone(),
                payload: event(&id, &text),
                expected: if marked {
                    "dead_letter:internal_error".into()
                } else {
                    "approve".into()
                },
            }
        })
        .collect();
    let expected = msgs.clone();
    let marked = msgs
        .iter()
        .filter(|m| m.expected.starts_with("dead"))
        .count();
    assert!(marked >= 3);
    common::produce_all(&topics.input, &msgs).await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (progress, mut done) = tokio::sync::watch::channel(0u64);
    let seen = done.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = synth_review::app::Run {
        pipeline: pipeline.clone(),
        loaded,
        listener,
        progress: Some(progress),
    };
    let mut worker = tokio::spawn(synth_review::app::run(run, async {
        let _ = stopped.await;
    }));
    let total = msgs.len() as u64;
    tokio::select! {
        r = done.wait_for(|n| *n >= total) => { r.expect("progress channel open"); }
        r = &mut worker => panic!("the worker stopped before committing every message: {r:?}"),
        _ = tokio::time::sleep(Duration::from_secs(180)) => {
            panic!("not every message committed within 180 s: {} of {total}", *seen.borrow())
        }
    }
    let metrics = tokio::task::spawn_blocking(move || common::http_get(port, "/metrics"))
        .await
        .unwrap()
        .expect("/metrics answers");
    let internal = common::metric(
        &metrics.1,
        "synth_review_dead_letters_total{reason=\"internal_error\"}",
    );
    assert_eq!(internal, Some(marked as f64), "{}", metrics.1);
    let _ = stop.send(());
    let summary = tokio::time::timeout(Duration::from_secs(30), worker)
        .await
        .expect("the worker stops on its shutdown future")
        .expect("no panic escaped")
        .expect("a clean stop");
    assert_eq!(summary.acknowledged, total);

    let (out, committed) = tokio::task::spawn_blocking(move || {
        let out = common::collect_complete(&topics, Duration::from_secs(60));
        let missing = msgs.len() - out.decisions.len() - out.dead_letters.len();
        if missing > 0 {
            // Diagnostics for a rare failure seen once under load: does a second read see them?
            let again = common::collect_complete(&topics, Duration::from_secs(60));
            eprintln!(
                "{missing} events missing in the first read; a second read sees {} decisions, {} dead letters",
                again.decisions.len(),
                again.dead_letters.len()
            );
        }
        let committed = common::committed_vs_end(&group, &topics.input, partitions);
        (out, committed)
    })
    .await
    .unwrap();
    common::assert_exactly_once(&expected, &out);
    for (key, seen) in &out.dead_letters {
        let (reason, headers) = &seen[0];
        assert_eq!(reason, "internal_error", "{key}");
        let detail = &headers["dlq.detail"];
        assert!(detail.contains("stage `labels`"), "{detail}");
        assert!(
            !detail.contains(MARKER),
            "no content in the detail: {detail}"
        );
    }
    for (c, end) in committed {
        assert_eq!(
            c, end,
            "offsets committed past every message, marked ones included"
        );
    }
}
