//! What the `ops_*` tests (dashboard, alert rules, metrics catalogue) share: the alert list, the
//! delivery mode of their live workers and fresh topics for one.

use std::path::PathBuf;

use serde_json::Value;

use super::broker::{create_topics, unique, TestTopics};
use super::events::clean_paragraphs;
use super::files::read;
use super::worker::write_pipeline_with;

/// Alerts the dashboards folder must define (the list, plus two), then the console's
/// (group `synth-review-console`).
pub const ALERTS: [&str; 15] = [
    "SynthReviewWorkerDown",
    "SynthReviewConsumerLagGrowing",
    "SynthReviewDeadLetters",
    "SynthReviewHoldRateSpike",
    "SynthReviewLatencyHigh",
    "SynthReviewStalled",
    "SynthReviewProduceErrors",
    "SynthReviewWorkerRestarting",
    "SynthReviewReloadFailed",
    "SynthReviewTransactionsAborting",
    "SynthReviewConsoleQueueAging",
    "SynthReviewConsoleRelayStuck",
    "SynthReviewConsoleDown",
    "SynthReviewComplaintsOverdue",
    "SynthReviewAppealsOverdue",
];
/// The scrape job of the moderation console's `/metrics` (`[console] metrics_listen`).
pub const CONSOLE_JOB: &str = "synth-review-console";
/// Console metric families the web application exports (verdicts given, the held-to-verdict
/// histogram, logins), which the console of this branch does not have yet: the dashboard, the
/// catalogue and the tests name them, and the tests check them by name only while a console does
/// not export them (and like every other family once it does).
pub const CONSOLE_WEB_FAMILIES: [&str; 3] = [
    "synth_review_console_verdicts_total",
    "synth_review_console_held_to_verdict_seconds",
    "synth_review_console_logins_total",
];
/// The delivery guarantee of the live workers: the shipped default, which is what SREs watch.
/// (`at_least_once` is the other choice; the catalogue marks the families only one mode exports.)
pub const LIVE_DELIVERY: &str = "exactly_once";
/// Why `synth_review_consumer_lag` may be missing, for the failure messages.
pub const LAG_HINT: &str = "synth_review_consumer_lag comes from librdkafka statistics (src/kafka/mod.rs, \
     WorkerContext::stats), which report consumer_lag = -1 for partitions whose committed offset the \
     consumer does not know; with exactly-once delivery the offsets are committed through the \
     producer's transaction (send_offsets_to_transaction), so the consumer never learns them";

/// `dashboards/synth-review.json`.
pub fn dashboard() -> Value {
    serde_json::from_str(&read("dashboards/synth-review.json")).expect("dashboard JSON")
}

/// A worker of its own on fresh topics, with librdkafka statistics (hence consumer lag) every
/// second instead of every 5 s.
pub struct Live {
    pub topics: TestTopics,
    pub pipeline: PathBuf,
    /// Corpus paragraphs on which the engine finds nothing.
    pub clean: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Live {
    /// Fresh topics (`partitions` input partitions) and a pipeline for them.
    pub async fn new(name: &str, partitions: i32) -> Live {
        let prefix = unique(name);
        let topics = TestTopics::new(&prefix);
        let dir = tempfile::tempdir().unwrap();
        let pipeline = write_pipeline_with(
            dir.path(),
            &topics,
            &format!("{prefix}-group"),
            &format!("delivery = \"{LIVE_DELIVERY}\""),
        );
        let text = std::fs::read_to_string(&pipeline).unwrap().replacen(
            "[topics]",
            "[kafka.options]\n\"statistics.interval.ms\" = \"1000\"\n\n[topics]",
            1,
        );
        std::fs::write(&pipeline, text).unwrap();
        create_topics(&topics, partitions).await;
        let clean = clean_paragraphs(&pipeline);
        assert!(
            clean.len() > 100,
            "clean corpus paragraphs: {}",
            clean.len()
        );
        Live {
            topics,
            pipeline,
            clean,
            _dir: dir,
        }
    }
}
