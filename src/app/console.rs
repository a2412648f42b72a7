//! `console`: the moderation console (DESIGN §8, `docs/console.md`) — the store, the intake of
//! the held topic, the relay of verdicts, the web application and the console's own `/metrics`
//! and `/healthz`, in one process until shutdown.

use std::future::{Future, IntoFuture};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use prometheus::{Encoder, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::AppError;
use crate::config::console::ConsoleFile;
use crate::console::ledger_reader::{
    run_ledger, AppealSettings, ComplaintSettings, LedgerMetrics, LedgerSettings,
};
use crate::console::relay::DEFAULT_REFUTED_CLAIMS_TOPIC;
use crate::console::web::{self, WebSettings, WebState};
use crate::console::{
    run_intake, run_relay, ConsoleMetrics, IntakeMetrics, IntakeSettings, RelayMetrics,
    RelaySettings, Store,
};

/// What `console` needs.
pub struct ConsoleRun {
    /// The console file, loaded ([`crate::config::console::load_console_file`]).
    pub file: ConsoleFile,
    /// Where the web application is served (`[console] listen`; port 0 in tests).
    pub listener: TcpListener,
    /// Where `/metrics` and `/healthz` are served (`[console] metrics_listen`).
    pub metrics_listener: TcpListener,
}

/// The gauges read from the store at every scrape.
#[derive(Clone)]
struct Gauges {
    items: IntGaugeVec,
    claims: IntGauge,
    oldest: IntGauge,
    outbox: IntGauge,
    complaints: IntGaugeVec,
    appeals: IntGaugeVec,
}

impl Gauges {
    fn new(registry: &Registry) -> prometheus::Result<Gauges> {
        let items = IntGaugeVec::new(
            Opts::new(
                "synth_review_console_queue_items",
                "Undecided items waiting, by queue: moderators, or leads (escalated). An item whose lease expired waits again.",
            ),
            &["queue"],
        )?;
        let claims = IntGauge::new(
            "synth_review_console_claims_in_flight",
            "Items under an unexpired lease (a moderator has them open).",
        )?;
        let oldest = IntGauge::new(
            "synth_review_console_oldest_item_age_seconds",
            "Seconds since the oldest undecided item was held (0 when none waits).",
        )?;
        let outbox = IntGauge::new(
            "synth_review_console_outbox_pending",
            "Verdicts given that the relay has not yet produced to Kafka.",
        )?;
        let complaints = IntGaugeVec::new(
            Opts::new(
                "synth_review_console_complaint_cases",
                "Complaint cases (Art. 12) not yet decided, by state: open (within the time limit) or overdue (past their deadline).",
            ),
            &["state"],
        )?;
        let appeals = IntGaugeVec::new(
            Opts::new(
                "synth_review_console_appeals",
                "Appeals (Art. 12) not yet decided (waiting for their reject included), by state: open (within the time limit) or overdue (past their deadline).",
            ),
            &["state"],
        )?;
        for state in ["open", "overdue"] {
            complaints.with_label_values(&[state]);
            appeals.with_label_values(&[state]);
        }
        registry.register(Box::new(complaints.clone()))?;
        registry.register(Box::new(appeals.clone()))?;
        registry.register(Box::new(items.clone()))?;
        registry.register(Box::new(claims.clone()))?;
        registry.register(Box::new(oldest.clone()))?;
        registry.register(Box::new(outbox.clone()))?;
        Ok(Gauges {
            items,
            claims,
            oldest,
            outbox,
            complaints,
            appeals,
        })
    }
}

#[derive(Clone)]
struct MetricsState {
    store: Store,
    registry: Registry,
    gauges: Gauges,
}

async fn metrics_handler(State(s): State<MetricsState>) -> impl IntoResponse {
    let now = OffsetDateTime::now_utc();
    match s.store.queue_stats(now).await {
        Ok(q) => {
            let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            s.gauges
                .items
                .with_label_values(&["moderators"])
                .set(count(q.queued));
            s.gauges
                .items
                .with_label_values(&["leads"])
                .set(count(q.escalated));
            s.gauges.claims.set(count(q.claimed));
            s.gauges.outbox.set(count(q.outbox_pending));
            s.gauges.oldest.set(
                q.oldest_held_at
                    .map_or(0, |t| (now - t).whole_seconds().max(0)),
            );
        }
        Err(error) => {
            // The store-derived gauges keep their last values; the scrape still answers.
            tracing::warn!(%error, "Queue gauges not updated: the store did not answer.");
        }
    }
    match s.store.complaint_stats(now).await {
        Ok(c) => {
            let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            s.gauges
                .complaints
                .with_label_values(&["open"])
                .set(count(c.open.saturating_sub(c.overdue)));
            s.gauges
                .complaints
                .with_label_values(&["overdue"])
                .set(count(c.overdue));
        }
        Err(error) => {
            tracing::warn!(%error, "Queue gauges not updated: the store did not answer.");
        }
    }
    match s.store.appeal_stats(now).await {
        Ok((open, overdue)) => {
            let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            let g = &s.gauges.appeals;
            g.with_label_values(&["open"])
                .set(count(open.saturating_sub(overdue)));
            g.with_label_values(&["overdue"]).set(count(overdue));
        }
        Err(error) => {
            tracing::warn!(%error, "Appeal gauges not updated: the store did not answer.");
        }
    }
    let mut body = Vec::new();
    if let Err(error) = TextEncoder::new().encode(&s.registry.gather(), &mut body) {
        return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response();
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// The console's id in audit records: `[console] console_id`, else `console-<host>:<pid>`.
fn console_id(file: &ConsoleFile) -> String {
    file.console.console_id.clone().unwrap_or_else(|| {
        let host = hostname::get()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "unknown".into());
        format!("console-{host}:{}", std::process::id())
    })
}

/// `console`: runs until `shutdown` resolves or a part fails for good.
///
/// # Errors
/// [`AppError::Console`] when the store cannot be opened, a metric cannot be registered, the
/// intake stops on a fatal Kafka error or the relay's settings cannot work.
pub async fn console(run: ConsoleRun, shutdown: impl Future<Output = ()>) -> Result<(), AppError> {
    let ConsoleRun {
        file,
        listener,
        metrics_listener,
    } = run;
    let mut store = Store::open_within(&file.console.store, file.console.store_connect_timeout())
        .await
        .map_err(|e| open_error(&file.console.store, &e))?;
    if file.ledger.enabled {
        // An upheld appeal's verdict recomputes the user's measures by the ledger's rules.
        let policy = file
            .ledger
            .policy()
            .map_err(|e| AppError::Console(format!("[ledger]: {e}")))?;
        store = store.with_ledger(policy, &console_id(&file));
    }
    let console_metrics = Arc::new(ConsoleMetrics::new());
    let registry = console_metrics.registry().clone();
    let register = |e: prometheus::Error| AppError::Console(format!("metrics: {e}"));
    let intake_metrics = IntakeMetrics::new();
    intake_metrics.register(&registry).map_err(register)?;
    let relay_metrics = RelayMetrics::new();
    relay_metrics.register(&registry).map_err(register)?;
    let ledger_metrics = LedgerMetrics::new();
    ledger_metrics.register(&registry).map_err(register)?;
    let gauges = Gauges::new(&registry).map_err(register)?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };

    let metrics_app = Router::new()
        .route("/metrics", get(metrics_handler))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(MetricsState {
            store: store.clone(),
            registry: registry.clone(),
            gauges,
        });
    let metrics_addr = metrics_listener.local_addr().ok();
    let metrics_server = tokio::spawn(
        axum::serve(metrics_listener, metrics_app)
            .with_graceful_shutdown(stopped(stop_rx.clone()))
            .into_future(),
    );
    let web_addr = listener.local_addr().ok();
    let web_server = tokio::spawn(
        axum::serve(
            listener,
            web::router(WebState::new(
                store.clone(),
                WebSettings {
                    lease: file.console.lease(),
                    session_ttl: file.console.session_ttl(),
                    secure_cookies: file.console.secure_cookies,
                    console_id: console_id(&file),
                    ..WebSettings::default()
                },
                console_metrics,
            )),
        )
        .with_graceful_shutdown(stopped(stop_rx.clone()))
        .into_future(),
    );
    tracing::info!(
        web = ?web_addr,
        metrics = ?metrics_addr,
        store = ?store.backend(),
        "Console serving."
    );

    let intake = file.intake.enabled.then(|| {
        let settings = IntakeSettings {
            kafka: file.kafka.clone(),
            group_id: file.intake.group_id.clone(),
            topic: file.topics.held.clone(),
        };
        let (store, metrics, stop) = (
            store.clone(),
            intake_metrics.clone(),
            stopped(stop_rx.clone()),
        );
        tokio::spawn(async move { run_intake(store, &settings, metrics, stop).await })
    });
    let relay = file.relay.enabled.then(|| {
        let settings = RelaySettings {
            kafka: file.kafka.clone(),
            transactional_id: file.relay.transactional_id.clone(),
            checkpoint_group: file.relay.checkpoint_group.clone(),
            approved_topic: file.topics.approved.clone(),
            rejected_topic: file.topics.rejected.clone(),
            audit_topic: file.topics.audit.clone(),
            user_actions_topic: file.ledger.user_actions_topic.clone(),
            complaint_results_topic: file.complaints.results_topic.clone(),
            refuted_claims_topic: file
                .topics
                .refuted_claims
                .clone()
                .unwrap_or_else(|| DEFAULT_REFUTED_CLAIMS_TOPIC.to_owned()),
            console_id: console_id(&file),
            batch_max: file.relay.batch_max,
            poll_interval: Duration::from_millis(file.relay.poll_interval_ms),
        };
        let (store, metrics, stop) = (
            store.clone(),
            relay_metrics.clone(),
            stopped(stop_rx.clone()),
        );
        tokio::spawn(async move { run_relay(store, &settings, metrics, stop).await })
    });

    let ledger = if file.ledger.enabled {
        let settings = LedgerSettings {
            kafka: file.kafka.clone(),
            rejected_topic: file.topics.rejected.clone(),
            user_actions_topic: file.ledger.user_actions_topic.clone(),
            policy: file
                .ledger
                .policy()
                .map_err(|e| AppError::Console(format!("[ledger]: {e}")))?,
            console_id: console_id(&file),
            batch_max: file.ledger.batch_max,
            complaints: file.complaints.enabled.then(|| ComplaintSettings {
                topic: file.complaints.topic.clone(),
                time_limit: file.complaints.time_limit(),
                approved_topic: file
                    .complaints
                    .index_published
                    .then(|| file.topics.approved.clone()),
            }),
            appeals: file.appeals.enabled.then(|| AppealSettings {
                topic: file.appeals.topic.clone(),
                time_limit: file.appeals.time_limit(),
            }),
        };
        let (store, metrics, stop) = (
            store.clone(),
            ledger_metrics.clone(),
            stopped(stop_rx.clone()),
        );
        Some(tokio::spawn(async move {
            run_ledger(store, &settings, metrics, stop).await
        }))
    } else {
        None
    };

    // Until shutdown, or until the intake, the relay or the ledger stops on its own (a fatal
    // error).
    let mut intake = intake;
    let mut relay = relay;
    let mut ledger = ledger;
    let failure = tokio::select! {
        () = shutdown => None,
        r = async { intake.as_mut().expect("guarded").await }, if intake.is_some() => {
            intake = None;
            Some(match r {
                Ok(Ok(_)) => "the intake stopped".to_string(),
                Ok(Err(e)) => e.to_string(),
                Err(e) => format!("the intake panicked: {e}"),
            })
        }
        r = async { relay.as_mut().expect("guarded").await }, if relay.is_some() => {
            relay = None;
            Some(match r {
                Ok(Ok(_)) => "the relay stopped".to_string(),
                Ok(Err(e)) => e.to_string(),
                Err(e) => format!("the relay panicked: {e}"),
            })
        }
        r = async { ledger.as_mut().expect("guarded").await }, if ledger.is_some() => {
            ledger = None;
            Some(match r {
                Ok(Ok(_)) => "the ledger reader stopped".to_string(),
                Ok(Err(e)) => e.to_string(),
                Err(e) => format!("the ledger reader panicked: {e}"),
            })
        }
    };
    let _ = stop_tx.send(true);
    if let Some(t) = intake {
        let _ = t.await;
    }
    if let Some(t) = relay {
        let _ = t.await;
    }
    if let Some(t) = ledger {
        let _ = t.await;
    }
    let _ = web_server.await;
    let _ = metrics_server.await;
    store.close().await;
    match failure {
        Some(why) => {
            tracing::error!(why, "Console stopped.");
            Err(AppError::Console(why))
        }
        None => {
            tracing::info!("Console stopped.");
            Ok(())
        }
    }
}

/// The shortest password `console user add` accepts, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// `console user add`: creates an account of `role` named `name` with `password` (hashed with
/// argon2, [`crate::console::auth::hash_password`]) in the console file's store; returns the line
/// the binary prints.
///
/// # Errors
/// [`AppError::Usage`] for a password shorter than [`MIN_PASSWORD_CHARS`] or longer than the
/// hasher takes, a bad name or a name that is taken; [`AppError::Console`] when the store cannot
/// be opened or fails.
pub async fn add_user(
    file: &ConsoleFile,
    name: &str,
    role: crate::console::Role,
    password: &str,
) -> Result<String, AppError> {
    use crate::console::StoreError;
    // Before the store is opened (and, for SQLite, created): a refusal changes nothing.
    crate::console::store::check_account_name(name).map_err(|e| AppError::Usage(e.to_string()))?;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::Usage(format!(
            "the password must have at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password.trim().is_empty() {
        return Err(AppError::Usage(
            "the password must not be all spaces".into(),
        ));
    }
    let hash = crate::console::auth::hash_password(password)
        .map_err(|e| AppError::Usage(format!("password: {e}")))?;
    let store = Store::open_within(&file.console.store, file.console.store_connect_timeout())
        .await
        .map_err(|e| open_error(&file.console.store, &e))?;
    let added = store
        .add_account(name, role, Some(&hash), OffsetDateTime::now_utc())
        .await;
    store.close().await;
    match added {
        Ok(id) => Ok(format!(
            "added {} `{name}` (account {id}) to {}",
            role.as_str(),
            redact(&file.console.store)
        )),
        Err(e @ (StoreError::InvalidInput(_) | StoreError::DuplicateAccount(_))) => {
            Err(AppError::Usage(e.to_string()))
        }
        Err(e) => Err(AppError::Console(e.to_string())),
    }
}

/// Why the store at `url` did not open, naming it (without a password); a missing SQLite file
/// is only created with `mode=rwc`.
fn open_error(url: &str, e: &crate::console::StoreError) -> AppError {
    let hint = if url.starts_with("sqlite:") && !url.contains("mode=rwc") {
        " (a new SQLite file needs ?mode=rwc)"
    } else {
        ""
    };
    AppError::Console(format!("cannot open the store {}: {e}{hint}", redact(url)))
}

/// A store URL without its password, for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
