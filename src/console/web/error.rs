//! Refusals and failures as HTTP responses: [`WebError`], and the one mapping of
//! [`StoreError`] to a status.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::console::store::StoreError;

/// A refusal (nothing was changed) or a failure, answered with `status` and a plain message
/// (an HTML page for a browser; the message is escaped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What happened and what to do, for the moderator.
    pub message: String,
}

impl WebError {
    /// A refusal with `status`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> WebError {
        WebError {
            status,
            message: message.into(),
        }
    }

    /// 400: malformed input.
    pub fn bad_request(message: impl Into<String>) -> WebError {
        WebError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 403: not allowed.
    pub fn forbidden(message: impl Into<String>) -> WebError {
        WebError::new(StatusCode::FORBIDDEN, message)
    }
}

/// The status of each store refusal, in one place:
///
/// | error | status |
/// |---|---|
/// | `UnknownItem` | 404 |
/// | `AlreadyDecided`, `Claimed`, `StaleToken`, `LeaseExpired`, `NotClaimed`, `Conflict`, `DuplicateAccount` | 409 |
/// | `NotLeaseHolder`, `Escalated`, `AppealByDecider` | 403 |
/// | `InvalidInput`, `Record` | 400 |
/// | `Url`, `Corrupt`, `Migrate`, `Database`, `ConnectTimeout` | 500 (details logged, not shown) |
pub fn store_status(e: &StoreError) -> StatusCode {
    match e {
        StoreError::UnknownItem(_) => StatusCode::NOT_FOUND,
        StoreError::AlreadyDecided(_)
        | StoreError::Claimed { .. }
        | StoreError::StaleToken(_)
        | StoreError::LeaseExpired { .. }
        | StoreError::NotClaimed(_)
        | StoreError::Conflict(_)
        | StoreError::DuplicateAccount(_) => StatusCode::CONFLICT,
        StoreError::NotLeaseHolder(_)
        | StoreError::Escalated(_)
        | StoreError::AppealByDecider { .. } => StatusCode::FORBIDDEN,
        StoreError::InvalidInput(_) | StoreError::Record(_) => StatusCode::BAD_REQUEST,
        StoreError::Url(_)
        | StoreError::Corrupt(_)
        | StoreError::Migrate(_)
        | StoreError::Database(_)
        | StoreError::ConnectTimeout(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> WebError {
        let status = store_status(&e);
        let message = match &e {
            StoreError::StaleToken(_) | StoreError::LeaseExpired { .. } => {
                format!("{e}. Nothing was changed; open the item again to claim it.")
            }
            StoreError::AlreadyDecided(_)
            | StoreError::NotLeaseHolder(_)
            | StoreError::AppealByDecider { .. } => {
                format!("{e}. Nothing was changed.")
            }
            _ if status == StatusCode::INTERNAL_SERVER_ERROR => {
                tracing::error!(error = %e, "console store failure");
                "the console's store failed; nothing was changed, try again".to_owned()
            }
            _ => format!("{e}."),
        };
        WebError { status, message }
    }
}

/// `s` with `&`, `<`, `>`, `"` and `'` escaped for HTML text and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let reason = self.status.canonical_reason().unwrap_or("Error");
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{code} {reason}</title>\
             <link rel=\"stylesheet\" href=\"/static/console.css\"></head><body>\
             <main class=\"refusal\"><h1>{code} {reason}</h1><p id=\"message\">{message}</p>\
             <p><a href=\"/queue\">Back to the queue</a></p></main></body></html>",
            code = self.status.as_u16(),
            message = escape_html(&self.message),
        );
        (
            self.status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response()
    }
}
