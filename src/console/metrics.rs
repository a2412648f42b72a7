//! The console's Prometheus metrics, on a registry of their own ([`ConsoleMetrics::registry`]),
//! which the console's HTTP server exposes. The web handlers count verdicts, the time from hold
//! to verdict and logins; more (queue depth, oldest item age, claims in flight) are added here
//! and registered in [`ConsoleMetrics::new`].

use prometheus::{Histogram, HistogramOpts, IntCounterVec, Opts, Registry};

use super::store::Verdict;

/// The console's metrics. Create once per process and share (`Arc`).
#[derive(Debug, Clone)]
pub struct ConsoleMetrics {
    registry: Registry,
    /// `synth_review_console_verdicts_total{decision="approve"|"reject"}`: verdicts accepted by
    /// the store.
    pub verdicts: IntCounterVec,
    /// `synth_review_console_held_to_verdict_seconds`: from the worker's hold (the record's
    /// `reviewed_at`) to the accepted verdict, in seconds.
    pub held_to_verdict: Histogram,
    /// `synth_review_console_logins_total{outcome="success"|"failure"|"rate_limited"}`.
    pub logins: IntCounterVec,
}

/// Buckets of the hold-to-verdict histogram, seconds: 10 s to 2 days.
pub const HELD_TO_VERDICT_BUCKETS: &[f64] = &[
    10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0,
    172800.0,
];

impl ConsoleMetrics {
    /// The metrics, registered in a new registry.
    pub fn new() -> Self {
        let registry = Registry::new();
        let verdicts = IntCounterVec::new(
            Opts::new(
                "synth_review_console_verdicts_total",
                "Verdicts given in the console and accepted by the store, by decision.",
            ),
            &["decision"],
        )
        .expect("valid metric");
        let held_to_verdict = Histogram::with_opts(
            HistogramOpts::new(
                "synth_review_console_held_to_verdict_seconds",
                "Time from the worker's hold of an item to its accepted verdict, seconds.",
            )
            .buckets(HELD_TO_VERDICT_BUCKETS.to_vec()),
        )
        .expect("valid metric");
        let logins = IntCounterVec::new(
            Opts::new(
                "synth_review_console_logins_total",
                "Console login attempts by outcome (success, failure, rate_limited).",
            ),
            &["outcome"],
        )
        .expect("valid metric");
        for c in [
            Box::new(verdicts.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(held_to_verdict.clone()),
            Box::new(logins.clone()),
        ] {
            registry.register(c).expect("metric registered once");
        }
        for d in ["approve", "reject"] {
            verdicts.with_label_values(&[d]);
        }
        for o in ["success", "failure", "rate_limited"] {
            logins.with_label_values(&[o]);
        }
        ConsoleMetrics {
            registry,
            verdicts,
            held_to_verdict,
            logins,
        }
    }

    /// The registry the metrics are registered in (to expose, or to register more in).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Counts an accepted verdict and observes its time since the hold (`held_to_verdict`,
    /// seconds; a negative time — clocks apart — counts as 0).
    pub fn verdict(&self, verdict: Verdict, held_to_verdict: time::Duration) {
        self.verdicts.with_label_values(&[verdict.as_str()]).inc();
        self.held_to_verdict
            .observe(held_to_verdict.as_seconds_f64().max(0.0));
    }

    /// Counts a login attempt: `outcome` is `success`, `failure` or `rate_limited`.
    pub fn login(&self, outcome: &str) {
        self.logins.with_label_values(&[outcome]).inc();
    }
}

impl Default for ConsoleMetrics {
    fn default() -> Self {
        Self::new()
    }
}
