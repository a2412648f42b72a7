//! The console's web application (issue 13 items 3, 4, 6, 7; `docs/console.md`, "The web
//! application"): server-rendered pages over the [`Store`], a session cookie and a CSRF token
//! on every state-changing request, lead-only pages.
//!
//! [`router`] gives the whole application as an [`axum::Router`]; serve it with
//! `axum::serve(listener, router(state))`. Nothing but `/login` and `/static/…` answers
//! without a session: a GET is redirected to `/login`, anything else refused with 401. Every
//! POST with a session must carry the session's CSRF token, as the form field `csrf` or the
//! header `X-CSRF-Token`, else 403 and nothing changes.
//!
//! - [`session`]: cookies, CSRF, login (rate limited) and logout.
//! - [`pages`]: the queue, the item (claim on open, lease renewal, verdicts, skip, escalate).
//! - [`lead`]: the escalations queue, claims in flight and their release, statistics.
//! - [`ledger`]: the users with measures, a user's strikes and measures, a lead's lift or
//!   change of a measure.
//! - [`view`]: a held record as the item page shows it (evidence highlighted).
//! - [`error`]: [`WebError`] and the mapping of store refusals to statuses.

mod clock;
pub mod error;
pub mod lead;
pub mod ledger;
pub mod pages;
pub mod session;
mod templates;
pub mod view;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderValue};
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use time::OffsetDateTime;

pub use clock::Clock;
pub use error::{store_status, WebError};
pub use session::{CSRF_HEADER, SESSION_COOKIE};

use super::metrics::ConsoleMetrics;
use super::store::Store;

/// How the web application behaves.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// The lease an opened item gets, and each renewal (the page renews at half of it).
    pub lease: Duration,
    /// The lease a lead's assignment of an item to a named account gives (`/lead/assign`).
    pub assign_lease: Duration,
    /// How long a login session lives (it is not extended by use).
    pub session_ttl: Duration,
    /// Mark cookies `Secure` (the console is behind TLS).
    pub secure_cookies: bool,
    /// Failed logins for one name within [`WebSettings::login_window`] after which logins for
    /// it are refused (429).
    pub max_failed_logins: i64,
    /// The window of the login rate limit.
    pub login_window: Duration,
    /// Rows the queue pages show at most (the rest: refine the filters).
    pub queue_page: u32,
    /// Items of the user's history on the item page.
    pub history_limit: u32,
    /// The console's id, in the `issued_by` of the user-action records a lead's lift or change
    /// of a measure writes (`[console] console_id`, else `console-<host>:<pid>`).
    pub console_id: String,
    /// The clock (the system's; tests move it).
    pub clock: Clock,
}

impl Default for WebSettings {
    /// A lease of 5 minutes, assignments of 30 minutes, sessions of 12 hours, no `Secure` flag, 5 failed logins in 15
    /// minutes, 200 queue rows, 50 history entries, console id `console`, the system clock.
    fn default() -> Self {
        WebSettings {
            lease: Duration::from_secs(300),
            assign_lease: Duration::from_secs(30 * 60),
            session_ttl: Duration::from_secs(12 * 3600),
            secure_cookies: false,
            max_failed_logins: 5,
            login_window: Duration::from_secs(15 * 60),
            queue_page: 200,
            history_limit: 50,
            console_id: "console".to_owned(),
            clock: Clock::system(),
        }
    }
}

/// What every handler shares. Cheap to clone.
#[derive(Debug, Clone)]
pub struct WebState {
    /// The store.
    pub store: Store,
    /// The settings.
    pub settings: Arc<WebSettings>,
    /// The console's metrics (the handlers count verdicts and logins).
    pub metrics: Arc<ConsoleMetrics>,
}

impl WebState {
    /// The state of a web application over `store`.
    pub fn new(store: Store, settings: WebSettings, metrics: Arc<ConsoleMetrics>) -> WebState {
        WebState {
            store,
            settings: Arc::new(settings),
            metrics,
        }
    }

    /// Now, by the settings' clock.
    pub fn now(&self) -> OffsetDateTime {
        self.settings.clock.now()
    }
}

/// The console's web application. Routes:
///
/// | route | what |
/// |---|---|
/// | `GET /login`, `POST /login` | the login form; a login (rate limited) |
/// | `GET /static/console.js`, `GET /static/console.css` | the page script and style |
/// | `GET /favicon.ico` | 204 (none) |
/// | `POST /logout` | ends the session |
/// | `GET /` | redirect to `/queue` |
/// | `GET /queue?stage=&code=&category=` | the queue, most urgent first |
/// | `GET /next?queue=escalated&exclude=ID` | redirect to the first available item |
/// | `GET /item/{id}` | opens (claims) the item |
/// | `POST /item/{id}/renew` | renews the lease (JSON answer) |
/// | `POST /item/{id}/decide`, `/skip`, `/escalate` | verdict, skip, escalation |
/// | `GET /lead/escalations`, `GET /lead/claims`, `POST /lead/release`, `POST /lead/assign`, `GET /lead/stats` | lead only |
/// | `GET /lead/users`, `GET /lead/users/{user_id}`, `POST /lead/users/{user_id}/measures/{measure_id}`, `POST /lead/users/{user_id}/appeals/{appeal_id}` | lead only: the ledger and appeals of measures ([`ledger`]) |
/// | `GET /lead/report` | lead only: the records for the regulator, HTML, JSON or CSV ([`lead::report`]) |
/// | `POST /lead/items/{id}/refuted-claims` | lead only: a refuted claim from the item to the rumour library ([`lead::add_refuted_claim`]) |
pub fn router(state: WebState) -> Router {
    let lead = Router::new()
        .route("/escalations", get(lead::escalations))
        .route("/claims", get(lead::claims))
        .route("/release", post(lead::release))
        .route("/assign", post(lead::assign))
        .route("/stats", get(lead::stats))
        .route("/report", get(lead::report))
        .route("/users", get(ledger::users))
        .route("/users/{user_id}", get(ledger::user))
        .route(
            "/users/{user_id}/measures/{measure_id}",
            post(ledger::change),
        )
        .route(
            "/users/{user_id}/appeals/{appeal_id}",
            post(ledger::decide_appeal),
        )
        .route("/items/{id}/refuted-claims", post(lead::add_refuted_claim))
        .route_layer(middleware::from_fn(session::require_lead));
    let protected = Router::new()
        .route("/", get(|| async { Redirect::to("/queue") }))
        .route("/logout", post(session::logout))
        .route("/queue", get(pages::queue))
        .route("/next", get(pages::next))
        .route("/item/{id}", get(pages::item))
        .route("/item/{id}/renew", post(pages::renew))
        .route("/item/{id}/decide", post(pages::decide))
        .route("/item/{id}/skip", post(pages::skip))
        .route("/item/{id}/escalate", post(pages::escalate))
        .nest("/lead", lead)
        // Before the session layer, so that a wrong method without a session is still 401.
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::require_session,
        ));
    Router::new()
        .route("/login", get(session::login_page).post(session::login))
        .route("/static/console.js", get(static_js))
        .route("/static/console.css", get(static_css))
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
        .method_not_allowed_fallback(method_not_allowed)
        .merge(protected)
        .layer(middleware::from_fn(session::clean_input))
        .layer(middleware::map_response(security_headers))
        .with_state(state)
}

async fn not_found() -> WebError {
    WebError::new(axum::http::StatusCode::NOT_FOUND, "no such page")
}

async fn method_not_allowed() -> WebError {
    WebError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "this page does not take that HTTP method: nothing was changed",
    )
}

async fn static_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        templates::CONSOLE_JS,
    )
        .into_response()
}

async fn static_css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        templates::CONSOLE_CSS,
    )
        .into_response()
}

// Every answer: no inline script or style runs (content text cannot become code even if
// escaping failed), no framing, no caching of pages, no referrer.
async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
             connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}
