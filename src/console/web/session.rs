//! Sessions, CSRF and login.
//!
//! - The session cookie `synth_console_session` holds the session id (256 random bits); the
//!   store keeps only its SHA-256 ([`Store::create_session`](crate::console::Store)). It is
//!   `HttpOnly`, `SameSite=Strict` (opening an item claims it, so even a top-level navigation
//!   from another site must not carry the cookie), `Path=/`, `Max-Age` = the session's life,
//!   and `Secure` when [`super::WebSettings::secure_cookies`].
//! - Every request but `/login` and `/static/…` needs a live session ([`require_session`]);
//!   every POST also the session's CSRF token (form field `csrf` or header [`CSRF_HEADER`]),
//!   compared in constant time; without it: 403, nothing changed.
//! - The login form has a CSRF token of its own: a random value in a short-lived cookie
//!   (`synth_console_login`, `Path=/login`) that the form repeats (double submit).
//! - Logins are refused (429) once a name has [`super::WebSettings::max_failed_logins`] failed
//!   logins within [`super::WebSettings::login_window`] since its last successful one, counted
//!   in the audit table (so across replicas); every attempt, the refused ones included, is
//!   written to the audit with `record_login`. The refusal names the time (RFC 3339 UTC) after
//!   which the name is free again.

use axum::body::{to_bytes, Body};
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::templates::render;
use super::{WebError, WebState};
use crate::console::auth::{dummy_hash, verify_password};
use crate::console::store::{random_secret, utc_text, Role, Session};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "synth_console_session";
/// The login form's CSRF cookie.
pub const LOGIN_COOKIE: &str = "synth_console_login";
/// The header a `fetch()` call carries the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The largest request body accepted, bytes (a note of 2,000 CJK characters, URL-encoded, is
/// about 18 KB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn set_cookie(name: &str, value: &str, path: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; HttpOnly; SameSite=Strict; Path={path}; Max-Age={max_age_secs}{secure}"
    ))
    .expect("cookie values are hex")
}

/// Whether `given` is `expected`, in constant time (for equal lengths).
pub fn tokens_match(given: Option<&str>, expected: &str) -> bool {
    match given {
        Some(g) if !expected.is_empty() => g.as_bytes().ct_eq(expected.as_bytes()).into(),
        _ => false,
    }
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

// A form field (key or value) as it decodes: percent escapes and `+` for a space.
fn decode_field(part: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut bytes = Vec::with_capacity(part.len());
    let mut i = 0;
    while i < part.len() {
        let escaped = part
            .get(i + 1..i + 3)
            .and_then(|h| Some(hex(h[0])? << 4 | hex(h[1])?));
        let (b, len) = match (part[i], escaped) {
            (b'%', Some(b)) => (b, 3),
            (b'+', _) => (b' ', 1),
            (b, _) => (b, 1),
        };
        bytes.push(b);
        i += len;
    }
    bytes
}

/// Whether `c` is an invisible format character that can disguise text: the bidirectional
/// embeddings and overrides (U+202A..U+202E) and isolates (U+2066..U+2069), which reorder what
/// follows them (a note could read as the opposite of what it says), the zero-width characters
/// and marks (U+200B..U+200F), the line and paragraph separators (U+2028, U+2029) and the
/// byte-order mark / zero-width no-break space (U+FEFF).
pub fn is_disguising(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// The first character of `t` that [`is_disguising`] refuses, but for a zero-width joiner
/// (U+200D) that joins two emoji (`👨‍👩‍👧`, `🏳️‍🌈`: after an emoji or its variation selector
/// U+FE0F, before an emoji; ASCII digits, `#` and `*` do not count as emoji here).
fn disguising_char(t: &str) -> Option<char> {
    use unicode_properties::UnicodeEmoji;
    let emoji = |c: char| !c.is_ascii() && c.is_emoji_char();
    let chars: Vec<char> = t.chars().collect();
    chars.iter().enumerate().find_map(|(i, &c)| {
        let joins_emoji = c == '\u{200D}'
            && i > 0
            && (emoji(chars[i - 1]) || chars[i - 1] == '\u{FE0F}')
            && chars.get(i + 1).is_some_and(|&n| emoji(n));
        (is_disguising(c) && !joins_emoji).then_some(c)
    })
}

/// Why `s` (a query string or form body, `application/x-www-form-urlencoded`) cannot be a
/// console user's input, naming the field: a key or value that is not UTF-8 once decoded (it
/// would be stored as U+FFFD silently), that has a control character other than tab, CR and
/// LF (PostgreSQL refuses NUL), or an invisible format character ([`is_disguising`], named as
/// `U+XXXX`).
fn unclean_field(s: &[u8]) -> Option<String> {
    for pair in s.split(|&b| b == b'&') {
        let mut kv = pair.splitn(2, |&b| b == b'=');
        let key = decode_field(kv.next().unwrap_or_default());
        let name: String = String::from_utf8_lossy(&key).chars().take(64).collect();
        let value = decode_field(kv.next().unwrap_or_default());
        for bytes in [&key, &value] {
            match std::str::from_utf8(bytes) {
                Err(_) => return Some(format!("field {name:?} is not UTF-8")),
                Ok(t)
                    if t.chars()
                        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) =>
                {
                    return Some(format!("field {name:?} has a control character"))
                }
                Ok(t) => {
                    if let Some(c) = disguising_char(t) {
                        return Some(format!(
                            "field {name:?} has U+{:04X}, an invisible or bidirectional format \
                             character that can disguise text",
                            u32::from(c)
                        ));
                    }
                }
            }
        }
    }
    None
}

/// The middleware of every route: a request whose query string or body (at most
/// [`MAX_BODY_BYTES`], else 413) has a field that [`unclean_field`] refuses is answered 400,
/// before any handler or the store sees it.
pub async fn clean_input(req: Request, next: Next) -> Response {
    let refuse =
        |why: String| WebError::bad_request(format!("{why}: nothing was changed")).into_response();
    if let Some(why) = req.uri().query().and_then(|q| unclean_field(q.as_bytes())) {
        return refuse(why);
    }
    if req.method() == Method::GET || req.method() == Method::HEAD {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        return WebError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body over {MAX_BODY_BYTES} bytes: nothing was changed"),
        )
        .into_response();
    };
    if let Some(why) = unclean_field(&bytes) {
        return refuse(why);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The middleware of every route but `/login` and `/static/…`: finds the live session of the
/// request's cookie (else a GET is redirected to `/login?next=PATH`, anything else refused with
/// 401), checks the CSRF token of every request that is not GET or HEAD (else 403), and hands
/// the [`Session`] to the handler as an extension.
pub async fn require_session(State(state): State<WebState>, req: Request, next: Next) -> Response {
    let safe = req.method() == Method::GET || req.method() == Method::HEAD;
    let session = match cookie(req.headers(), SESSION_COOKIE) {
        Some(id) => match state.store.session(&id, state.now()).await {
            Ok(s) => s,
            Err(e) => return WebError::from(e).into_response(),
        },
        None => None,
    };
    let Some(session) = session else {
        if safe {
            let path = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".to_owned());
            let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
            return Redirect::to(&format!("/login?next={next}")).into_response();
        }
        return WebError::new(
            StatusCode::UNAUTHORIZED,
            "no session: log in first (nothing was changed)",
        )
        .into_response();
    };
    let mut req = req;
    if !safe {
        let header_token = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (parts, body) = req.into_parts();
        let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
            return WebError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body over {MAX_BODY_BYTES} bytes: nothing was changed"),
            )
            .into_response();
        };
        let given = header_token.or_else(|| form_field(&bytes, "csrf"));
        if !tokens_match(given.as_deref(), &session.csrf_token) {
            let what = if given.is_some() { "wrong" } else { "missing" };
            return WebError::forbidden(format!(
                "CSRF token {what}: this request did not come from a console page of this \
                 session. Nothing was changed; reload the page and try again."
            ))
            .into_response();
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }
    req.extensions_mut().insert(session);
    next.run(req).await
}

/// The middleware of the lead pages: 403 for anyone but a lead (after [`require_session`]).
pub async fn require_lead(
    Extension(session): Extension<Session>,
    req: Request,
    next: Next,
) -> Response {
    if session.role != Role::Lead {
        return WebError::forbidden(format!(
            "{} is a moderator: this page is for leads only",
            session.name
        ))
        .into_response();
    }
    next.run(req).await
}

/// `next` if it is a path of this site (`/…`, not `//…`), else `/queue`. A control character
/// is refused too: browsers drop tabs and line breaks from a URL (`/\t/evil.example` becomes
/// `//evil.example`, another site), and CR or LF cannot be in a `Location` header at all.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.chars().any(char::is_control) =>
        {
            p.to_owned()
        }
        _ => "/queue".to_owned(),
    }
}

/// The login page's query.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

// The login form's token: the browser's login cookie when it has a well-formed one (so that a
// second login page in the same browser — another tab, a favicon fetch redirected here — does
// not invalidate the first form), else a new one.
fn login_response(
    state: &WebState,
    headers: &HeaderMap,
    status: StatusCode,
    next: &str,
    message: Option<&str>,
    name: &str,
) -> Response {
    let token = cookie(headers, LOGIN_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(random_secret);
    let page = render(
        "login.html",
        minijinja::context! { csrf => token, next => next, message => message, name => name },
    );
    let mut response = (status, page).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LOGIN_COOKIE,
            &token,
            "/login",
            3600,
            state.settings.secure_cookies,
        ),
    );
    response
}

/// `GET /login`: the form (or, with a live session, a redirect to the queue).
pub async fn login_page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        if let Ok(Some(_)) = state.store.session(&id, state.now()).await {
            return Redirect::to(&local_path(q.next.as_deref())).into_response();
        }
    }
    login_response(
        &state,
        &headers,
        StatusCode::OK,
        &local_path(q.next.as_deref()),
        None,
        "",
    )
}

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /login`: checks the form's CSRF token, the rate limit and the password of the account
/// named `name` ignoring ASCII case ([`crate::console::Store::account`]); on success a new
/// session (cookie) and a redirect to `next`.
pub async fn login(
    State(state): State<WebState>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Form(form) = match form {
        Ok(f) => f,
        Err(e) => {
            return WebError::bad_request(format!("malformed login form: {}", e.body_text()))
                .into_response()
        }
    };
    let next = local_path(form.next.as_deref());
    if form.name.chars().count() > 64 {
        // No account has such a name (`Store::add_account`); not worth an audit row.
        return WebError::bad_request("a name has at most 64 characters").into_response();
    }
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if !tokens_match(Some(&form.csrf), &expected) {
        return WebError::forbidden(
            "login form CSRF token missing or wrong: reload the login page and try again",
        )
        .into_response();
    }
    let now = state.now();
    let settings = &state.settings;
    let window = time::Duration::try_from(settings.login_window).unwrap_or(time::Duration::ZERO);
    // Names are found ignoring ASCII case; the rate limit and the audit count the account's
    // own name, so that `ANN`, `Ann` and `ann` share one limit.
    let account = match state.store.account(&form.name).await {
        Ok(a) => a,
        Err(e) => return WebError::from(e).into_response(),
    };
    let actor = account
        .as_ref()
        .map_or(form.name.clone(), |a| a.name.clone());
    let failed = match state.store.failed_logins_since(&actor, now - window).await {
        Ok(n) => n,
        Err(e) => return WebError::from(e).into_response(),
    };
    if failed >= settings.max_failed_logins {
        if let Err(e) = state.store.record_login(&actor, false, now).await {
            return WebError::from(e).into_response();
        }
        state.metrics.login("rate_limited");
        // This refused attempt counts too: the name is free again one window after it.
        return login_response(
            &state,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            Some(&format!(
                "too many failed logins for this name: try again after {} (each attempt \
                 until then starts the wait again)",
                utc_text(now + window)
            )),
            &form.name,
        );
    }
    let phc = account
        .as_ref()
        .and_then(|a| a.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_owned());
    let password = form.password.clone();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .unwrap_or(false);
    let account = match account {
        Some(a) if ok && a.password_hash.is_some() => a,
        _ => {
            if let Err(e) = state.store.record_login(&actor, false, now).await {
                return WebError::from(e).into_response();
            }
            state.metrics.login("failure");
            return login_response(
                &state,
                &headers,
                StatusCode::UNAUTHORIZED,
                &next,
                Some("wrong name or password"),
                &form.name,
            );
        }
    };
    let created = state
        .store
        .create_session(account.account_id, settings.session_ttl, now)
        .await;
    let session = match created {
        Ok(s) => s,
        Err(e) => return WebError::from(e).into_response(),
    };
    if let Err(e) = state.store.record_login(&account.name, true, now).await {
        return WebError::from(e).into_response();
    }
    state.metrics.login("success");
    let mut response = Redirect::to(&next).into_response();
    let h = response.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            &session.id,
            "/",
            settings.session_ttl.as_secs(),
            settings.secure_cookies,
        ),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, "", "/login", 0, settings.secure_cookies),
    );
    response
}

/// `POST /logout`: ends the session and clears its cookie.
pub async fn logout(State(state): State<WebState>, headers: HeaderMap) -> Response {
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        if let Err(e) = state.store.delete_session(&id).await {
            return WebError::from(e).into_response();
        }
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", "/", 0, state.settings.secure_cookies),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_joiner_inside_an_emoji_sequence_is_not_refused() {
        for fine in [
            "👨\u{200D}👩\u{200D}👧",
            "🏳\u{FE0F}\u{200D}🌈",
            "好的 👍🏽",
            "plain",
        ] {
            assert_eq!(disguising_char(fine), None, "{fine:?}");
        }
        for (bad, c) in [
            ("赌\u{200D}博", '\u{200D}'),
            ("1\u{200D}2", '\u{200D}'),
            ("👨\u{200D}", '\u{200D}'),
            ("\u{200D}👩", '\u{200D}'),
            ("👨\u{200D}👩\u{200B}", '\u{200B}'),
            ("ok\u{202E}", '\u{202E}'),
        ] {
            assert_eq!(disguising_char(bad), Some(c), "{bad:?}");
        }
    }
}
