//! The `synth-review` command line (DESIGN §6): arguments, logging and exit codes (0 ok, 2 usage
//! or configuration error, 1 runtime failure); each command is a function of [`synth_review::app`].

use std::io::{self, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use synth_review::app::{self, AppError};

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
    Review(app::ReviewOptions),
    /// Zero set-up demo on librdkafka's in-process mock cluster with the embedded default pipeline.
    Demo {
        /// Address for /metrics, /healthz and /readyz while the demo runs.
        #[arg(long, default_value = "127.0.0.1:9464")]
        listen: SocketAddr,
        /// Then serve the moderation console on the demo's held items (until Ctrl-C).
        #[arg(long)]
        console: bool,
        /// The console's web address (with --console).
        #[arg(long, default_value = "127.0.0.1:8080", requires = "console")]
        console_listen: SocketAddr,
        /// The console's /metrics address (with --console).
        #[arg(long, default_value = "127.0.0.1:9465", requires = "console")]
        console_metrics_listen: SocketAddr,
    },
    /// The moderation console: hold queue store, intake, relay, web application (DESIGN §8).
    Console {
        /// Console file (TOML; see docs/console.md).
        #[arg(long)]
        config: PathBuf,
        /// Serve the web application here instead of `[console] listen`.
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Serve /metrics and /healthz here instead of `[console] metrics_listen`.
        #[arg(long)]
        metrics_listen: Option<SocketAddr>,
        /// Manage the console's accounts instead of serving.
        #[command(subcommand)]
        action: Option<ConsoleAction>,
    },
    /// Validate a pipeline and all its data files.
    Check {
        /// Pipeline file (TOML).
        #[arg(long)]
        pipeline: PathBuf,
    },
}

#[derive(Subcommand)]
enum ConsoleAction {
    /// Console accounts.
    #[command(subcommand)]
    User(UserAction),
}

#[derive(Subcommand)]
enum UserAction {
    /// Add an account. The password is read from the first line of standard input, or from
    /// SYNTH_REVIEW_CONSOLE_PASSWORD when that is set (never from the command line).
    Add {
        /// The login name (1 to 64 characters, no spaces).
        name: String,
        /// `moderator` or `lead` (leads see everyone's work and the stats, and decide escalations).
        #[arg(long, value_enum, default_value = "moderator")]
        role: RoleArg,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Moderator,
    Lead,
}

/// The new account's password: `SYNTH_REVIEW_CONSOLE_PASSWORD`, else standard input — on a
/// terminal asked twice without echo (two different answers: exit 2), else one line (a pipe).
fn read_password() -> Result<String, AppError> {
    if let Ok(p) = std::env::var("SYNTH_REVIEW_CONSOLE_PASSWORD") {
        return Ok(p);
    }
    if io::stdin().is_terminal() {
        let ask = |prompt: &str| {
            rpassword::prompt_password(prompt).map_err(|e| {
                AppError::Io(format!("cannot read the password from the terminal: {e}"))
            })
        };
        let password = ask("Password: ")?;
        if ask("Password again: ")? != password {
            return Err(AppError::Usage(
                "the two passwords differ: nothing was changed".into(),
            ));
        }
        return Ok(password);
    }
    let mut line = String::new();
    io::stdin()
        .read_line(&mut line)
        .map_err(|e| AppError::Io(format!("cannot read the password from standard input: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// The console's web and metrics addresses, refused (exit 2) when they are the same port
/// ([`synth_review::config::console::check_addresses`]).
fn check_addresses(
    web: SocketAddr,
    metrics: SocketAddr,
    web_flag: &str,
    metrics_flag: &str,
) -> Result<(), AppError> {
    synth_review::config::console::check_addresses(web, metrics).map_err(|why| {
        AppError::Usage(format!(
            "the web application ({web_flag}) and /metrics ({metrics_flag}) need addresses of \
             their own: {why}"
        ))
    })
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !io::stderr().is_terminal(),
    };
    // A log line that cannot be written (standard error closed or full) is dropped: the
    // subscriber's own report of it goes through `eprintln!`, which would panic.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
        .log_internal_errors(false);
    if json {
        builder.json().with_current_span(true).init();
    } else {
        builder.init();
    }
}

async fn command(command: Command) -> Result<(), AppError> {
    match command {
        Command::Check { pipeline } => app::print_out(&format!("{}\n", app::check(&pipeline)?))?,
        Command::Review(options) => app::review(&options).map(|_counts| ())?,
        Command::Run { pipeline, listen } => {
            let (loaded, listener) = (app::load(&pipeline)?, app::listen(listen).await?);
            let run = app::Run {
                pipeline,
                loaded,
                listener,
                progress: None,
            };
            let stop = app::shutdown::on_signal_with_watchdog(run.shutdown_grace());
            app::run(run, stop).await?;
        }
        Command::Console {
            config,
            action: Some(ConsoleAction::User(UserAction::Add { name, role })),
            ..
        } => {
            let file = synth_review::config::console::load_console_file(&config, std::env::vars())?;
            let role = match role {
                RoleArg::Moderator => synth_review::console::Role::Moderator,
                RoleArg::Lead => synth_review::console::Role::Lead,
            };
            let added = app::add_user(&file, &name, role, &read_password()?).await?;
            app::print_out(&format!("{added}\n"))?;
        }
        Command::Console {
            config,
            listen,
            metrics_listen,
            action: None,
        } => {
            let file = synth_review::config::console::load_console_file(&config, std::env::vars())?;
            let (web, metrics) = (
                listen.unwrap_or(file.console.listen),
                metrics_listen.unwrap_or(file.console.metrics_listen),
            );
            // Before anything is bound: the second bind would fail with the first one served.
            check_addresses(web, metrics, "--listen", "--metrics-listen")?;
            let listener = app::listen(web).await?;
            let metrics_listener = app::listen(metrics).await?;
            let run = app::ConsoleRun {
                file,
                listener,
                metrics_listener,
            };
            let stop = app::shutdown::on_signal_with_watchdog(Duration::from_secs(15));
            app::console(run, stop).await?;
        }
        Command::Demo {
            listen,
            console,
            console_listen,
            console_metrics_listen,
        } => {
            // The console's addresses first: with --console, a taken port is an error at once.
            let console = if console {
                check_addresses(
                    console_listen,
                    console_metrics_listen,
                    "--console-listen",
                    "--console-metrics-listen",
                )?;
                Some(app::demo::DemoConsole {
                    listener: app::listen(console_listen).await?,
                    metrics_listener: app::listen(console_metrics_listen).await?,
                    // SIGHUP too: a closed terminal stops the demo and removes its
                    // temporary directory, as Ctrl-C does.
                    shutdown: {
                        let stop = app::shutdown::on_signal_with_watchdog(Duration::from_secs(15));
                        Box::pin(async move {
                            tokio::select! {
                                _ = stop => {}
                                _ = app::shutdown::hangup() => {
                                    tracing::info!("SIGHUP: stopping the demo.");
                                }
                            }
                        })
                    },
                })
            } else {
                None
            };
            // The demo goes on without /metrics when the address cannot be bound, and says so.
            let listener = app::listen(listen)
                .await
                .inspect_err(|error| {
                    tracing::warn!(%error, "Cannot serve /metrics; the demo goes on without it.")
                })
                .ok();
            app::print_out(&app::demo::demo_then(listener, console).await?)?
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    let result = match tokio::runtime::Runtime::new() {
        Ok(rt) => {
            let result = rt.block_on(command(cli.command));
            // A librdkafka call the worker gave up on as stuck may still block a thread: exit anyway.
            rt.shutdown_timeout(Duration::from_secs(1));
            result
        }
        Err(e) => Err(AppError::Io(format!("cannot start the runtime: {e}"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Not `eprintln!`: with standard error gone it would panic (exit 101).
            let _ = writeln!(
                io::stderr(),
                "error: {}",
                synth_review::app::printable(&e.to_string())
            );
            ExitCode::from(e.exit_code())
        }
    }
}
