//! The one way the tests wait: [`wait_for`] polls a condition until it holds, within a deadline,
//! and meanwhile watches the processes the condition depends on.
//!
//! ```ignore
//! let offsets = wait_for("committed offsets to cover the input", Duration::from_secs(600))
//!     .watching(&worker)
//!     .until(|| committed_covers(&group, &topic, 4, total));
//! ```
//!
//! A condition returns `bool`, `Option<T>` (the value it waited for) or `Result<T, E>` (`Err`
//! says why it does not hold yet; the last reason is reported on timeout). When a watched
//! process has exited, the wait fails at once with its exit status; on a timeout it fails too.
//! Both failures show the tail ([`LOG_TAIL_LINES`]) of every watched process's log and of the
//! broker log (`$SYNTH_REVIEW_TEST_KAFKA_DIR/logs/server.log`, what `scripts/kafka.sh logs`
//! prints). No test sleeps for a fixed time instead of waiting on a condition.

use std::fmt::{Display, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Lines of each log a failure report shows.
pub const LOG_TAIL_LINES: usize = 40;

/// How often a condition is polled unless [`Wait::every`] says otherwise.
const DEFAULT_INTERVAL: Duration = Duration::from_millis(100);

/// Waits taking at least this long are logged (to the test's captured stderr) with their time.
const LOG_WAITS_OVER: Duration = Duration::from_secs(1);

/// A process a wait depends on: a worker, Prometheus, the broker.
pub trait Watched {
    /// Names it in reports, e.g. `worker on 127.0.0.1:40123 (pid 4711)`.
    fn describe(&self) -> String;
    /// How it ended (e.g. `exit status: 1`) once it is gone; `None` while it runs.
    fn ended(&self) -> Option<String>;
    /// Its log files, whose tails a failure report shows.
    fn logs(&self) -> Vec<PathBuf>;
}

/// What a condition of [`Wait::until`] returns.
pub trait Condition {
    /// What the wait returns once the condition holds.
    type Output;
    /// `Ok` once the condition holds; `Err(why not, if known)` while it does not.
    fn check(self) -> Result<Self::Output, Option<String>>;
}

impl Condition for bool {
    type Output = ();
    fn check(self) -> Result<(), Option<String>> {
        if self {
            Ok(())
        } else {
            Err(None)
        }
    }
}

impl<T> Condition for Option<T> {
    type Output = T;
    fn check(self) -> Result<T, Option<String>> {
        self.ok_or(None)
    }
}

impl<T, E: Display> Condition for Result<T, E> {
    type Output = T;
    fn check(self) -> Result<T, Option<String>> {
        self.map_err(|e| Some(e.to_string()))
    }
}

/// A wait being set up: see [`wait_for`].
#[must_use = "a wait does nothing until `until` or `until_or_timeout`"]
pub struct Wait<'a> {
    what: String,
    timeout: Duration,
    every: Duration,
    watched: Vec<&'a dyn Watched>,
}

/// Starts setting up a wait for `what` (a description for reports: "the worker to be ready")
/// of at most `timeout`.
pub fn wait_for<'a>(what: impl Into<String>, timeout: Duration) -> Wait<'a> {
    Wait {
        what: what.into(),
        timeout,
        every: DEFAULT_INTERVAL,
        watched: Vec::new(),
    }
}

impl<'a> Wait<'a> {
    /// Also watches `process`: if it exits before the condition holds, the wait fails at once.
    pub fn watching(mut self, process: &'a dyn Watched) -> Self {
        self.watched.push(process);
        self
    }

    /// Polls every `interval` (default 100 ms). `Duration::ZERO` for conditions that block on
    /// their own, such as a consumer poll.
    pub fn every(mut self, interval: Duration) -> Self {
        self.every = interval;
        self
    }

    /// Polls `condition` until it holds and returns its value.
    ///
    /// # Panics
    /// On timeout, or as soon as a watched process has exited, with a report of both and the
    /// tails of the logs.
    pub fn until<C: Condition>(self, condition: impl FnMut() -> C) -> C::Output {
        let start = Instant::now();
        match self.run(start, condition) {
            Ok(v) => v,
            Err(last) => panic!(
                "{}",
                report(
                    &format!(
                        "timed out after {:?} waiting for {}",
                        self.timeout, self.what
                    ),
                    last.as_deref(),
                    &self.watched
                )
            ),
        }
    }

    /// Like [`until`](Self::until), but a timeout gives `None` instead of a panic: for things
    /// whose absence a later assertion reports better. A watched process that exits still fails
    /// the wait at once.
    pub fn until_or_timeout<C: Condition>(self, condition: impl FnMut() -> C) -> Option<C::Output> {
        let start = Instant::now();
        match self.run(start, condition) {
            Ok(v) => Some(v),
            Err(last) => {
                eprintln!(
                    "gave up after {:?} waiting for {}{}",
                    self.timeout,
                    self.what,
                    last.map(|l| format!(" (last: {l})")).unwrap_or_default()
                );
                None
            }
        }
    }

    /// The polling loop: `Ok(value)`, or `Err(last reason)` on timeout.
    fn run<C: Condition>(
        &self,
        start: Instant,
        mut condition: impl FnMut() -> C,
    ) -> Result<C::Output, Option<String>> {
        let deadline = start + self.timeout;
        loop {
            let why_not = match condition().check() {
                Ok(v) => {
                    if start.elapsed() >= LOG_WAITS_OVER {
                        eprintln!("waited {:?} for {}", start.elapsed(), self.what);
                    }
                    return Ok(v);
                }
                Err(why_not) => why_not,
            };
            for p in &self.watched {
                if let Some(end) = p.ended() {
                    panic!(
                        "{}",
                        report(
                            &format!(
                                "{} ended ({end}) after {:?} of waiting for {}",
                                p.describe(),
                                start.elapsed(),
                                self.what
                            ),
                            why_not.as_deref(),
                            &self.watched
                        )
                    );
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(why_not);
            }
            std::thread::sleep(self.every.min(deadline - now));
        }
    }
}

/// A failure report: `headline`, the condition's last reason, the state of every watched
/// process, the tails of their logs and of the broker log.
pub fn report(headline: &str, last: Option<&str>, watched: &[&dyn Watched]) -> String {
    let mut out = headline.to_string();
    if let Some(last) = last {
        let _ = write!(out, "\nlast: {last}");
    }
    let mut logs: Vec<PathBuf> = Vec::new();
    for p in watched {
        let state = p.ended().unwrap_or_else(|| "still running".to_string());
        let _ = write!(out, "\n{}: {state}", p.describe());
        logs.extend(p.logs());
    }
    logs.extend(broker_log());
    logs.dedup();
    for log in logs {
        let _ = write!(
            out,
            "\n--- last {LOG_TAIL_LINES} lines of {} ---\n{}",
            log.display(),
            log_tail(&log, LOG_TAIL_LINES)
        );
    }
    out
}

/// The last `lines` lines of a text file (or why it cannot be read).
pub fn log_tail(path: &Path, lines: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(cannot read: {e})"),
    }
}

/// The log of the broker started by `scripts/test.sh`, where known.
pub fn broker_log() -> Option<PathBuf> {
    let dir = std::env::var_os("SYNTH_REVIEW_TEST_KAFKA_DIR")?;
    let log = Path::new(&dir).join("logs/server.log");
    log.is_file().then_some(log)
}
