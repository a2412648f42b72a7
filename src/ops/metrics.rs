//! Prometheus metrics (DESIGN §7): the only place that names metrics. Every series of a bounded
//! label set is created at zero on start-up so dashboards and alerts see it before it first moves.
//!
//! Names follow the Prometheus naming conventions: prefix `synth_review_`, counters end in
//! `_total`, durations are `_seconds` histograms, label values come from closed enums only.

use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::decision::{Decision, ReasonCode, StageKind};
use crate::event::EventErrorKind;

const NS: &str = "synth_review";

/// Why the worker replaced one of its Kafka clients: the labels of
/// `synth_review_client_replacements_total{client,cause}`. A replacement is how the worker
/// recovers from a broker restart or a network cut by itself, without exiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replacement {
    /// A transactional call still blocked long after its own timeout (librdkafka#5456).
    ProducerStuckCall,
    /// A transactional call kept timing out, retry after retry (librdkafka#5511).
    ProducerCallTimeouts,
    /// The broker fenced the producer itself (it aborted a transaction that outlived
    /// `transaction.timeout.ms`); only with the default, per-process `transactional.id`.
    ProducerFenced,
    /// `begin_transaction` failed: the producer was left in an error state.
    ProducerBeginFailed,
    /// librdkafka put the producer in a fatal state other than a fence (e.g. `INVALID_TXN_STATE`
    /// answered to an abort right after a broker restart).
    ProducerFatalError,
    /// The group coordinator did not answer for the committed offsets for a bounded time.
    ConsumerOffsetsUnreachable,
}

impl Replacement {
    /// Every replacement, for pre-registering the series at zero.
    pub const ALL: [Replacement; 6] = [
        Replacement::ProducerStuckCall,
        Replacement::ProducerCallTimeouts,
        Replacement::ProducerFenced,
        Replacement::ProducerBeginFailed,
        Replacement::ProducerFatalError,
        Replacement::ConsumerOffsetsUnreachable,
    ];

    /// The `client` label: `producer` or `consumer`.
    pub fn client(self) -> &'static str {
        match self {
            Replacement::ConsumerOffsetsUnreachable => "consumer",
            _ => "producer",
        }
    }

    /// The `cause` label.
    pub fn cause(self) -> &'static str {
        match self {
            Replacement::ProducerStuckCall => "stuck_call",
            Replacement::ProducerCallTimeouts => "call_timeouts",
            Replacement::ProducerFenced => "fenced",
            Replacement::ProducerBeginFailed => "begin_failed",
            Replacement::ProducerFatalError => "fatal_error",
            Replacement::ConsumerOffsetsUnreachable => "offsets_unreachable",
        }
    }
}

/// All metrics of one worker, registered on its own [`Registry`].
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    events: IntCounterVec,
    reasons: IntCounterVec,
    stage_duration: HistogramVec,
    review_latency: Histogram,
    batch_commit: Histogram,
    dead_letters: IntCounterVec,
    consumer_lag: IntGaugeVec,
    assigned_partitions: IntGauge,
    produce_errors: IntCounter,
    lexicon_terms: IntGaugeVec,
    refuted_claims: IntGauge,
    config_reloads: IntCounterVec,
    transactions: IntCounterVec,
    replacements: IntCounterVec,
    batches_cut: IntCounter,
    lag_series: std::sync::Arc<std::sync::Mutex<Vec<(String, i32)>>>,
}

impl Metrics {
    /// Registers every metric on a fresh registry and creates the bounded series at zero.
    ///
    /// # Panics
    /// Never in practice: registration fails only on duplicate names, which this function controls.
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some(NS.into()), None).expect("valid namespace");
        let events = IntCounterVec::new(
            Opts::new(
                "events_total",
                "Input messages by outcome: approve, hold, reject or dead_letter.",
            ),
            &["decision"],
        )
        .expect("metric");
        let reasons = IntCounterVec::new(
            Opts::new("reasons_total", "Reasons found, by stage and reason code."),
            &["stage", "code"],
        )
        .expect("metric");
        let stage_duration = HistogramVec::new(
            HistogramOpts::new(
                "stage_duration_seconds",
                "Time one stage spent on one event, in seconds.",
            )
            .buckets(vec![
                0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001,
                0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1,
            ]),
            &["stage"],
        )
        .expect("metric");
        let review_latency = Histogram::with_opts(
            HistogramOpts::new("review_latency_seconds", "Time from consuming an event to the acknowledgement of its output records, in seconds.")
                .buckets(vec![0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
        ).expect("metric");
        let batch_commit = Histogram::with_opts(
            HistogramOpts::new(
                "batch_commit_seconds",
                "Time from a reviewed batch's last record being produced until the batch was durable (exactly-once: offsets sent and transaction committed; at-least-once: every record acknowledged), in seconds.",
            )
            .buckets(vec![
                0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
        )
        .expect("metric");
        let dead_letters = IntCounterVec::new(
            Opts::new(
                "dead_letters_total",
                "Messages sent to the dead-letter topic, by reason.",
            ),
            &["reason"],
        )
        .expect("metric");
        let consumer_lag = IntGaugeVec::new(Opts::new("consumer_lag", "Messages between the committed offset and the high watermark, per assigned partition (librdkafka statistics)."), &["topic", "partition"]).expect("metric");
        let assigned_partitions = IntGauge::new(
            "consumer_assigned_partitions",
            "Partitions currently assigned to this worker.",
        )
        .expect("metric");
        let produce_errors = IntCounter::new(
            "kafka_produce_errors_total",
            "Output records whose delivery failed for good in at-least-once mode (the worker then stops); in exactly-once mode a failed delivery aborts the transaction instead (transactions_total{result=\"aborted\"}).",
        )
        .expect("metric");
        let lexicon_terms = IntGaugeVec::new(
            Opts::new(
                "lexicon_terms",
                "Distinct reject and hold terms loaded in the feature library; the lexicon label is the pipeline name, whose lexicon set it is.",
            ),
            &["lexicon"],
        )
        .expect("metric");
        let refuted_claims = IntGauge::new(
            "refuted_claims",
            "Refuted claims read from the refuted-claims topic (added by leads in the console) and handed to the rumour library; claims its rules refuse are logged and left out.",
        )
        .expect("metric");
        let config_reloads = IntCounterVec::new(
            Opts::new(
                "config_reloads_total",
                "Pipeline reloads (SIGHUP), by result: success or error.",
            ),
            &["result"],
        )
        .expect("metric");
        let transactions = IntCounterVec::new(
            Opts::new(
                "transactions_total",
                "Kafka transactions (exactly-once delivery), by result: committed or aborted.",
            ),
            &["result"],
        )
        .expect("metric");
        let replacements = IntCounterVec::new(
            Opts::new(
                "client_replacements_total",
                "Kafka clients the worker replaced to recover by itself (broker restarts, network cuts), by client (producer, consumer) and cause.",
            ),
            &["client", "cause"],
        )
        .expect("metric");
        let batches_cut = IntCounter::new(
            "batches_cut_total",
            "Batches whose review outlasted its budget (half the smaller of transaction.timeout.ms and max.poll.interval.ms): the reviewed part was committed, the rest read again.",
        )
        .expect("metric");
        let build_info = IntGaugeVec::new(
            Opts::new(
                "build_info",
                "Always 1; the version label carries the build version.",
            ),
            &["version"],
        )
        .expect("metric");
        for c in [
            Box::new(events.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(reasons.clone()),
            Box::new(stage_duration.clone()),
            Box::new(review_latency.clone()),
            Box::new(batch_commit.clone()),
            Box::new(dead_letters.clone()),
            Box::new(consumer_lag.clone()),
            Box::new(assigned_partitions.clone()),
            Box::new(produce_errors.clone()),
            Box::new(lexicon_terms.clone()),
            Box::new(refuted_claims.clone()),
            Box::new(build_info.clone()),
            Box::new(config_reloads.clone()),
            Box::new(transactions.clone()),
            Box::new(replacements.clone()),
            Box::new(batches_cut.clone()),
        ] {
            registry.register(c).expect("unique metric names");
        }
        // Process metrics (CPU seconds, resident memory, open fds, start time) from /proc. The
        // registry's prefix applies to them too: `synth_review_process_resident_memory_bytes`.
        #[cfg(target_os = "linux")]
        {
            let pc = prometheus::process_collector::ProcessCollector::for_self();
            let _ = registry.register(Box::new(pc));
        }
        for d in Decision::ALL {
            events.with_label_values(&[d.as_str()]);
        }
        events.with_label_values(&["dead_letter"]);
        for code in ReasonCode::ALL {
            reasons.with_label_values(&[code.stage().as_str(), code.as_str()]);
        }
        for s in StageKind::ALL {
            stage_duration.with_label_values(&[s.as_str()]);
        }
        for k in EventErrorKind::ALL {
            dead_letters.with_label_values(&[k.as_str()]);
        }
        for r in ["success", "error"] {
            config_reloads.with_label_values(&[r]);
        }
        for r in ["committed", "aborted"] {
            transactions.with_label_values(&[r]);
        }
        for r in Replacement::ALL {
            replacements.with_label_values(&[r.client(), r.cause()]);
        }
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        Metrics {
            registry,
            events,
            reasons,
            stage_duration,
            review_latency,
            batch_commit,
            dead_letters,
            consumer_lag,
            assigned_partitions,
            produce_errors,
            lexicon_terms,
            refuted_claims,
            config_reloads,
            transactions,
            replacements,
            batches_cut,
            lag_series: Default::default(),
        }
    }

    /// Counts one reviewed event: its decision, its reasons and its stage timings.
    pub fn reviewed(&self, review: &crate::engine::Review) {
        self.events
            .with_label_values(&[review.decision.as_str()])
            .inc();
        for r in &review.reasons {
            self.reasons
                .with_label_values(&[r.stage.as_str(), r.code.as_str()])
                .inc();
        }
        for (stage, d) in &review.timings {
            self.stage_duration
                .with_label_values(&[stage.as_str()])
                .observe(d.as_secs_f64());
        }
    }

    /// Counts one dead letter.
    pub fn dead_letter(&self, kind: EventErrorKind) {
        self.events.with_label_values(&["dead_letter"]).inc();
        self.dead_letters.with_label_values(&[kind.as_str()]).inc();
    }

    /// Observes consumed → acknowledged latency.
    pub fn latency(&self, d: Duration) {
        self.review_latency.observe(d.as_secs_f64());
    }

    /// Observes how long a durable batch's commit step took (`batch_commit_seconds`).
    pub fn batch_commit(&self, d: Duration) {
        self.batch_commit.observe(d.as_secs_f64());
    }

    /// Counts a failed delivery.
    pub fn produce_error(&self) {
        self.produce_errors.inc();
    }

    /// Sets the number of assigned partitions.
    pub fn set_assigned_partitions(&self, n: usize) {
        self.assigned_partitions.set(n as i64);
    }

    /// Sets one partition's lag.
    pub fn set_consumer_lag(&self, topic: &str, partition: i32, lag: i64) {
        self.consumer_lag
            .with_label_values(&[topic, &partition.to_string()])
            .set(lag);
    }

    /// Drops the lag series of partitions not in `keep` (those no longer assigned).
    pub fn retain_consumer_lag(&self, keep: &[(String, i32)]) {
        let mut known = self.lag_series.lock().unwrap_or_else(|e| e.into_inner());
        for (topic, partition) in known.iter() {
            if !keep.iter().any(|(t, p)| t == topic && p == partition) {
                let _ = self
                    .consumer_lag
                    .remove_label_values(&[topic, &partition.to_string()]);
            }
        }
        *known = keep.to_vec();
    }

    /// Sets the number of refuted claims read from the refuted-claims topic.
    pub fn set_refuted_claims(&self, n: usize) {
        self.refuted_claims.set(n as i64);
    }

    /// Sets the loaded term count.
    pub fn set_lexicon_terms(&self, lexicon: &str, n: usize) {
        self.lexicon_terms
            .with_label_values(&[lexicon])
            .set(n as i64);
    }

    /// Counts a reload attempt.
    pub fn config_reload(&self, success: bool) {
        self.config_reloads
            .with_label_values(&[if success { "success" } else { "error" }])
            .inc();
    }

    /// Counts a transaction outcome.
    pub fn transaction(&self, committed: bool) {
        self.transactions
            .with_label_values(&[if committed { "committed" } else { "aborted" }])
            .inc();
    }

    /// Counts a batch cut short by its review budget (see `kafka::worker`).
    pub fn batch_cut(&self) {
        self.batches_cut.inc();
    }

    /// Counts a replaced Kafka client.
    pub fn client_replaced(&self, why: Replacement) {
        self.replacements
            .with_label_values(&[why.client(), why.cause()])
            .inc();
    }

    /// Current value of `events_total{decision}` (tests and the demo summary).
    pub fn events(&self, decision: &str) -> u64 {
        self.events.with_label_values(&[decision]).get()
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn encode(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_series_exist_at_zero() {
        let m = Metrics::new();
        let text = m.encode();
        for needle in [
            "synth_review_events_total{decision=\"approve\"} 0",
            "synth_review_events_total{decision=\"dead_letter\"} 0",
            "synth_review_reasons_total{code=\"identity_unverified\",stage=\"identity\"} 0",
            "synth_review_dead_letters_total{reason=\"invalid_utf8\"} 0",
            "synth_review_stage_duration_seconds_count{stage=\"prohibited\"} 0",
            "synth_review_build_info{version=",
            "synth_review_consumer_assigned_partitions 0",
            "synth_review_kafka_produce_errors_total 0",
            "synth_review_config_reloads_total{result=\"error\"} 0",
            "synth_review_transactions_total{result=\"aborted\"} 0",
        ] {
            assert!(text.contains(needle), "missing {needle}\n{text}");
        }
        #[cfg(target_os = "linux")]
        for needle in [
            "process_resident_memory_bytes ",
            "process_cpu_seconds_total ",
            "process_open_fds ",
        ] {
            let series = format!("synth_review_{needle}");
            assert!(
                text.lines().any(|l| l.starts_with(&series)),
                "missing {series}"
            );
        }
        m.dead_letter(EventErrorKind::Schema);
        assert_eq!(m.events("dead_letter"), 1);
        assert!(m
            .encode()
            .contains("synth_review_dead_letters_total{reason=\"schema\"} 1"));
    }
}
