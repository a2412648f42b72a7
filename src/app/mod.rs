//! The commands of `synth-review` as library functions (DESIGN §6), one per command, each taking
//! its settings and — for the long-running ones — a shutdown future, so that tests and embedders
//! run exactly what the binary runs (the binary keeps only argument parsing, logging set-up and
//! exit codes):
//!
//! - [`run`]: the Kafka worker, with `/metrics`, `/healthz`, `/readyz` and reload on SIGHUP;
//! - [`review()`]: the engine over JSONL, no Kafka;
//! - [`check`]: validate a pipeline and its data files;
//! - [`demo()`]: zero set-up, on librdkafka's mock cluster;
//! - [`console()`]: the moderation console (store, intake, relay, web, metrics).
//!
//! [`load`] reads a pipeline the way every command does; [`shutdown`] turns SIGINT/SIGTERM into
//! the shutdown future, with a watchdog.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::{ConfigError, Disk};
use crate::engine::LoadedPipeline;
use crate::kafka::{RunSummary, WorkerError, WorkerSettings};
use crate::ops::http::{self, Readiness};
use crate::ops::metrics::Metrics;
use crate::ops::reload::Reloader;

pub mod console;
pub mod demo;
pub mod review;
pub mod shutdown;

pub use console::{add_user, console, ConsoleRun};
pub use demo::demo;
pub use review::{review, ReviewOptions};

/// Why a command failed; [`AppError::exit_code`] maps it to the exit codes of DESIGN §6.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The pipeline or a data file is invalid (`file:line: reason`).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The command line names something unusable (an input that is a directory, say).
    #[error("{0}")]
    Usage(String),
    /// The operations endpoint cannot listen.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address asked for.
        addr: String,
        /// The bind error.
        source: std::io::Error,
    },
    /// Reading or writing the data of `review` failed.
    #[error("{0}")]
    Io(String),
    /// The worker stopped on a fatal error.
    #[error(transparent)]
    Worker(#[from] WorkerError),
    /// The demo failed.
    #[error("demo failed: {0:#}")]
    Demo(anyhow::Error),
    /// The console failed (its store, its intake, its relay).
    #[error("console: {0}")]
    Console(String),
}

impl AppError {
    /// `2` for usage and configuration errors, `1` for runtime failures.
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Config(_) | AppError::Usage(_) | AppError::Listen { .. } => 2,
            AppError::Io(_) | AppError::Worker(_) | AppError::Demo(_) | AppError::Console(_) => 1,
        }
    }
}

/// `message` as it can be printed to a terminal: control characters (but line feed and tab),
/// the line and paragraph separators, and Default_Ignorable_Code_Point characters (zero-width
/// characters, the bidi controls and marks, the BOM; UAX #44) are written as `\u{…}` escapes, so that an error quoting a user's value
/// neither hides nor reorders what it says nor moves the terminal's cursor; a message longer than
/// [`MAX_PRINTED_CHARS`] is cut there with a note of how much was left out.
pub fn printable(message: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars();
    for c in chars.by_ref().take(MAX_PRINTED_CHARS) {
        let hidden = (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{2028}' | '\u{2029}')
            || crate::text::normalize::is_default_ignorable(c);
        if hidden {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    let left = chars.count();
    if left > 0 {
        let _ = write!(out, "… ({left} more characters)");
    }
    out
}

/// Writes `text` to standard output and flushes it. A closed pipe (`check … | head -0`) ends the
/// output quietly, as `yes | head` does; any other failure (a full disk, `>/dev/full`) is an
/// [`AppError::Io`] (exit 1) instead of the panic of `print!`.
///
/// # Errors
/// [`AppError::Io`] naming standard output and the OS error.
pub fn print_out(text: &str) -> Result<(), AppError> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(AppError::Io(format!(
            "cannot write to standard output: {e}"
        ))),
        _ => Ok(()),
    }
}

/// The longest error message [`printable`] prints whole, in characters.
pub const MAX_PRINTED_CHARS: usize = 4096;

/// Reads a pipeline file from disk with all its data files and the `SYNTH_REVIEW_*` environment —
/// what every command starts with ([`engine::load`](crate::engine::load), which also checks every
/// librdkafka option).
///
/// # Errors
/// A [`ConfigError`] naming `file:line` (or the environment variable).
pub fn load(path: &Path) -> Result<LoadedPipeline, ConfigError> {
    crate::engine::load(path, &Disk, std::env::vars())
}

/// `check`: the one-line summary of a valid pipeline (stages, terms, data version).
///
/// # Errors
/// The pipeline's [`ConfigError`].
pub fn check(path: &Path) -> Result<String, AppError> {
    let l = load(path)?;
    let e = &l.engine;
    let stages: Vec<_> = e.stage_kinds().iter().map(|k| k.as_str()).collect();
    Ok(format!(
        "ok: pipeline `{}` version {} — stages: {}; {} lexicon terms (lexicon {})",
        e.name(),
        e.version(),
        stages.join(", "),
        e.lexicon_terms(),
        e.lexicon_version()
    ))
}

/// Binds the operations endpoint's address (`--listen`).
///
/// # Errors
/// [`AppError::Listen`], e.g. the address is in use.
pub async fn listen(addr: std::net::SocketAddr) -> Result<TcpListener, AppError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| AppError::Listen {
            addr: addr.to_string(),
            source,
        })
}

/// What `run` needs.
pub struct Run {
    /// The pipeline file, read again on SIGHUP.
    pub pipeline: PathBuf,
    /// The pipeline as loaded at start-up (see [`load`]).
    pub loaded: LoadedPipeline,
    /// Where `/metrics`, `/healthz` and `/readyz` are served (bind it with port 0 in tests).
    pub listener: TcpListener,
    /// If set, receives the number of input messages committed so far.
    pub progress: Option<watch::Sender<u64>>,
}

impl Run {
    /// How long a shutdown may take before the watchdog of [`shutdown::on_signal_with_watchdog`]
    /// ends the process: `drain_timeout_ms` + 5 s (README, exit codes).
    pub fn shutdown_grace(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.loaded.file.kafka.drain_timeout_ms + 5_000)
    }
}

/// How long `run` waits at start-up for the refuted-claims topic to be read before reviewing.
pub const REFUTED_CLAIMS_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// `run`: the Kafka worker until `shutdown` resolves or a fatal error, serving the operations
/// endpoints and reloading the pipeline on SIGHUP meanwhile; with `[topics] refuted_claims`,
/// the claims already on that topic are in the rumour library before the first review (waited
/// for at most [`REFUTED_CLAIMS_WAIT`]).
///
/// # Errors
/// [`AppError::Worker`] for a fatal Kafka error (see [`WorkerError`]).
pub async fn run(cmd: Run, shutdown: impl Future<Output = ()>) -> Result<RunSummary, AppError> {
    let Run {
        pipeline,
        loaded,
        listener,
        progress,
    } = cmd;
    let metrics = Metrics::new();
    let ready = Arc::new(Readiness::default());
    let server =
        http::Server::start(listener, metrics.clone(), ready.clone()).map_err(|source| {
            AppError::Listen {
                addr: "the given listener".into(),
                source,
            }
        })?;
    tracing::info!(addr = %server.addr(), "Serving /metrics, /healthz, /readyz.");
    let settings = WorkerSettings {
        kafka: loaded.file.kafka.clone(),
        topics: loaded.file.topics.clone(),
        metrics: metrics.clone(),
        ready,
        progress,
        read_topic_limits: true,
    };
    let slot = Arc::new(ArcSwap::from_pointee(loaded.engine));
    let refuted_claims = loaded.file.topics.refuted_claims.clone();
    let kafka = loaded.file.kafka.clone();
    let reloader = Arc::new(Reloader::new(
        pipeline,
        Arc::new(Disk),
        slot.clone(),
        metrics,
        loaded.file,
    ));
    let hup = tokio::spawn(reloader.clone().reload_on_sighup());
    let stop_follower = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Review nothing before the claims already on the topic are in the rumour library (bounded:
    // a broker that does not answer must not keep the worker from starting).
    let follower = match refuted_claims {
        Some(topic) => {
            let reloader = reloader.clone();
            let (caught_up, first) = std::sync::mpsc::channel();
            let thread = crate::kafka::refuted_claims::spawn(
                &kafka,
                topic,
                stop_follower.clone(),
                caught_up,
                move |claims| {
                    let _ = reloader.set_refuted_claims(claims);
                },
            );
            let waited = tokio::task::spawn_blocking(move || {
                first.recv_timeout(REFUTED_CLAIMS_WAIT).is_ok()
            })
            .await
            .unwrap_or(false);
            if !waited {
                tracing::warn!(
                    wait_ms = REFUTED_CLAIMS_WAIT.as_millis() as u64,
                    "The refuted-claims topic was not read in time; reviewing with the files' rumour library until it is."
                );
            }
            Some(thread)
        }
        None => None,
    };
    let result = crate::kafka::run(slot, settings, shutdown).await;
    hup.abort();
    stop_follower.store(true, std::sync::atomic::Ordering::Relaxed);
    if let Some(f) = follower {
        let _ = tokio::task::spawn_blocking(move || f.join()).await;
    }
    server.stop();
    if let Err(error) = &result {
        tracing::error!(%error, "Worker failed.");
    }
    Ok(result?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_what_a_terminal_would_hide_or_obey() {
        assert_eq!(
            printable("lex.csv:2: term `a\u{0}b\u{200B}c\u{202E}d\u{1b}[2J` is bad\nnext\tline"),
            "lex.csv:2: term `a\\u{0}b\\u{200b}c\\u{202e}d\\u{1b}[2J` is bad\nnext\tline"
        );
        // Chinese, Hebrew and emoji stay as they are.
        assert_eq!(printable("词 שלום 😀"), "词 שלום 😀");
        let long = "名".repeat(MAX_PRINTED_CHARS + 10);
        let p = printable(&long);
        assert!(p.starts_with(&"名".repeat(MAX_PRINTED_CHARS)));
        assert!(p.ends_with("… (10 more characters)"), "{p}");
    }
}
