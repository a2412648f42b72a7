//! The `synth-review` command line (DESIGN §6). Exit codes: 0 ok, 2 usage or configuration error,
//! 1 runtime failure.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, IsTerminal};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use arc_swap::ArcSwap;
use clap::{Parser, Subcommand, ValueEnum};
use synth_review::config::{ConfigError, Disk};
use synth_review::engine::LoadedPipeline;
use synth_review::http::{serve, Readiness};
use synth_review::kafka::worker::{run, WorkerSettings};
use synth_review::metrics::Metrics;
use synth_review::reload::Reloader;

#[derive(Parser)]
#[command(
    name = "synth-review",
    version,
    about = "Release review of deep-synthesis content (CAC/MIIT/MPS Order No. 12) as a Kafka stream worker."
)]
struct Cli {
    /// Log format: `auto` is human-readable on a terminal and JSON otherwise. Logs go to stderr;
    /// the filter comes from RUST_LOG (default `info`).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Auto)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Auto,
    Json,
    Text,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Kafka worker: consume publish events, review, route, commit.
    Run {
        /// Pipeline file (TOML).
        #[arg(long)]
        pipeline: PathBuf,
        /// Address for /metrics, /healthz and /readyz.
        #[arg(long, default_value = "127.0.0.1:9464")]
        listen: SocketAddr,
    },
    /// Review JSONL offline: one decision record per input line, in order.
    Review {
        /// Pipeline file (TOML); [pipeline], [limits] and [[stages]] are used, Kafka settings are not.
        #[arg(long)]
        pipeline: PathBuf,
        /// Input JSONL file, or `-` for standard input.
        #[arg(long, default_value = "-")]
        input: String,
        /// Output file, or `-` for standard output.
        #[arg(long, default_value = "-")]
        output: String,
    },
    /// Zero set-up demo on librdkafka's in-process mock cluster with the embedded default pipeline.
    Demo {
        /// Address for /metrics, /healthz and /readyz while the demo runs.
        #[arg(long, default_value = "127.0.0.1:9464")]
        listen: SocketAddr,
    },
    /// Validate a pipeline and all its data files.
    Check {
        /// Pipeline file (TOML).
        #[arg(long)]
        pipeline: PathBuf,
    },
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr);
    if json {
        builder.json().with_current_span(true).init();
    } else {
        builder.init();
    }
}

fn load(path: &Path) -> Result<LoadedPipeline, ConfigError> {
    synth_review::engine::load(path, &Disk, std::env::vars())
}

fn config_error(e: ConfigError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(2)
}

/// Watches for SIGINT/SIGTERM in a task of its own and returns a future that resolves on the first
/// one. From then on a watchdog bounds the shutdown: a second signal, or `grace` passing without
/// the worker having stopped (e.g. the broker is down and a transactional call is being retried),
/// ends the process with exit code 1. The signals are watched apart from the worker loop, so they
/// work even while the loop is busy retrying. Nothing is lost that way: whatever was not committed
/// is reviewed again by the partitions' next owner, and an open transaction is aborted by the
/// broker.
fn shutdown_with_watchdog(grace: std::time::Duration) -> impl std::future::Future<Output = ()> {
    let (tx, mut rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!(
            grace_ms = grace.as_millis() as u64,
            "Stopping; a second signal forces exit."
        );
        let _ = tx.send(true);
        tokio::select! {
            _ = shutdown_signal() => {
                eprintln!("error: second signal; exiting without finishing the shutdown");
            }
            _ = tokio::time::sleep(grace) => {
                eprintln!("error: shutdown did not finish within {} ms; exiting (uncommitted work is reviewed again after restart)", grace.as_millis());
            }
        }
        std::process::exit(1);
    });
    async move {
        let _ = rx.wait_for(|stop| *stop).await;
    }
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match cli.command {
        Command::Check { pipeline } => match load(&pipeline) {
            Ok(l) => {
                let stages: Vec<_> = l.engine.stage_kinds().iter().map(|k| k.as_str()).collect();
                println!(
                    "ok: pipeline `{}` version {} — stages: {}; {} lexicon terms (lexicon {})",
                    l.engine.name(),
                    l.engine.version(),
                    stages.join(", "),
                    l.engine.lexicon_terms(),
                    l.engine.lexicon_version()
                );
                ExitCode::SUCCESS
            }
            Err(e) => config_error(e),
        },
        Command::Review { pipeline, input, output } => {
            let loaded = match load(&pipeline) {
                Ok(l) => l,
                Err(e) => return config_error(e),
            };
            let metrics = Metrics::new();
            if input != "-" && output != "-" {
                let same = match (std::fs::canonicalize(&input), std::fs::canonicalize(&output)) {
                    (Ok(a), Ok(b)) => a == b,
                    _ => false,
                };
                if same {
                    eprintln!("error: --input and --output are the same file ({input}); it would be truncated before it is read");
                    return ExitCode::from(2);
                }
            }
            if input != "-" && Path::new(&input).is_dir() {
                eprintln!("error: --input {input} is a directory");
                return ExitCode::from(2);
            }
            let mut reader: Box<dyn io::BufRead> = if input == "-" {
                Box::new(BufReader::new(io::stdin().lock()))
            } else {
                match File::open(&input) {
                    Ok(f) => Box::new(BufReader::with_capacity(1 << 16, f)),
                    Err(e) => {
                        eprintln!("error: cannot open input {input}: {e}");
                        return ExitCode::from(2);
                    }
                }
            };
            // Reading a stream (stdin): one output line as soon as each input line is reviewed,
            // so `review` works as a filter between processes; reading a file: large writes.
            let streaming = input == "-";
            let mut writer: Box<dyn io::Write> = if output == "-" {
                if streaming {
                    Box::new(io::LineWriter::new(io::stdout().lock()))
                } else {
                    Box::new(BufWriter::new(io::stdout().lock()))
                }
            } else {
                match File::create(&output) {
                    Ok(f) if streaming => Box::new(io::LineWriter::new(f)),
                    Ok(f) => Box::new(BufWriter::new(f)),
                    Err(e) => {
                        eprintln!("error: cannot create output {output}: {e}");
                        return ExitCode::from(2);
                    }
                }
            };
            match synth_review::review::review_jsonl(&loaded.engine, &metrics, &mut reader, &mut writer) {
                Ok(c) => {
                    tracing::info!(lines = c.lines, approve = c.approve, hold = c.hold, reject = c.reject, dead_letter = c.dead_letter, "Review finished.");
                    ExitCode::SUCCESS
                }
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: reviewing {input} into {output}: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Run { pipeline, listen } => {
            let loaded = match load(&pipeline) {
                Ok(l) => l,
                Err(e) => return config_error(e),
            };
            rt.block_on(async move {
                let metrics = Metrics::new();
                let ready = Arc::new(Readiness::default());
                let (stop_http, http_stopped) = tokio::sync::oneshot::channel::<()>();
                match serve(listen, metrics.clone(), ready.clone(), async { let _ = http_stopped.await; }).await {
                    Ok(addr) => tracing::info!(%addr, "Serving /metrics, /healthz, /readyz."),
                    Err(e) => {
                        eprintln!("error: cannot listen on {listen}: {e}");
                        return ExitCode::from(2);
                    }
                }
                let settings = WorkerSettings {
                    kafka: loaded.file.kafka.clone(),
                    topics: loaded.file.topics.clone(),
                    metrics: metrics.clone(),
                    ready,
                    progress: None,
                    read_topic_limits: true,
                };
                let grace = std::time::Duration::from_millis(loaded.file.kafka.drain_timeout_ms + 5_000);
                let slot = Arc::new(ArcSwap::from_pointee(loaded.engine));
                let reloader = Reloader::new(pipeline.clone(), Arc::new(Disk), slot.clone(), metrics, loaded.file);
                let hup = tokio::spawn(reloader.reload_on_sighup());
                let result = run(slot, settings, shutdown_with_watchdog(grace)).await;
                hup.abort();
                let _ = stop_http.send(());
                match result {
                    Ok(_) => ExitCode::SUCCESS,
                    Err(e) => {
                        tracing::error!(error = %e, "Worker failed.");
                        eprintln!("error: {e}");
                        ExitCode::from(1)
                    }
                }
            })
        }
        Command::Demo { listen } => rt.block_on(async move {
            let metrics = Metrics::new();
            let ready = Arc::new(Readiness::default());
            let (stop_http, http_stopped) = tokio::sync::oneshot::channel::<()>();
            match serve(listen, metrics.clone(), ready.clone(), async { let _ = http_stopped.await; }).await {
                Ok(addr) => tracing::info!(%addr, "Serving /metrics, /healthz, /readyz during the demo."),
                Err(e) => tracing::warn!(error = %e, %listen, "Cannot serve /metrics; the demo goes on without it (use --listen)."),
            }
            let result = synth_review::demo::demo(metrics, ready).await;
            let _ = stop_http.send(());
            match result {
                Ok(summary) => {
                    print!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: demo failed: {e:#}");
                    ExitCode::from(1)
                }
            }
        }),
    }
}
