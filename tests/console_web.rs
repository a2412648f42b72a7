//! The console's web application (`src/console/web/`) over real HTTP: the router served on
//! 127.0.0.1:0, a cookie-keeping client per user, every test on SQLite (a temp file) and on
//! PostgreSQL (a database of its own in the server `SYNTH_REVIEW_TEST_POSTGRES` names;
//! `scripts/test.sh` starts one; under CI a missing variable fails the PostgreSQL variants).
//!
//! Leases and sessions expire by moving the application's clock ([`App::clock`]), never by
//! sleeping. Every refusal is checked to change nothing in the store.

pub mod console_support;

use std::time::Duration;

use console_support::{accounts, insert, record, standard, App, TestDb, PASSWORD, TEXT};
use reqwest::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};
use reqwest::{Client, StatusCode};
use synth_review::console::ledger::{LedgerPolicy, Strike, StrikeSource};
use synth_review::console::store::{MeasureState, UserLedger, MAX_USER_ID_CHARS};
use synth_review::console::web::{ledger, WebSettings};
use synth_review::console::{AuditAction, ItemId, ItemState, Store};

// ------------------------------------------------------------------ helpers --

fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// The value of the hidden input `name` (the first one) in a page.
fn hidden(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html.find(&needle)? + needle.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

fn meta_csrf(html: &str) -> String {
    let needle = "<meta name=\"csrf-token\" content=\"";
    let start = html.find(needle).expect("csrf meta tag") + needle.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

/// The time that follows `prefix` in `text`, which must be RFC 3339 in UTC with whole seconds
/// (`2026-12-07T11:03:08Z`, the console's one way of showing a time).
fn utc_time_after(text: &str, prefix: &str) -> time::OffsetDateTime {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix:?} in {text}"))
        + prefix.len();
    let t: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '+'))
        .collect();
    let shape = t.len() == 20
        && t.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            19 => b == b'Z',
            _ => b.is_ascii_digit(),
        });
    assert!(
        shape,
        "{prefix:?} is followed by {t:?}, not YYYY-MM-DDTHH:MM:SSZ"
    );
    time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339).unwrap()
}

/// A logged-in user: the client with its session cookie, and the session's CSRF token.
struct User {
    name: &'static str,
    http: Client,
    csrf: String,
}

async fn login_attempt(app: &App, http: &Client, name: &str, password: &str) -> reqwest::Response {
    let page = http.get(app.url("/login")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let csrf = hidden(&html, "csrf").expect("login form csrf");
    http.post(app.url("/login"))
        .form(&[
            ("name", name),
            ("password", password),
            ("csrf", &csrf),
            ("next", "/queue"),
        ])
        .send()
        .await
        .unwrap()
}

async fn login(app: &App, name: &'static str) -> User {
    let http = client();
    let r = login_attempt(app, &http, name, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "login of {name}");
    assert_eq!(r.headers()[LOCATION], "/queue");
    let html = get_ok(app, &http, "/queue").await;
    User {
        name,
        csrf: meta_csrf(&html),
        http,
    }
}

async fn get(app: &App, http: &Client, path: &str) -> (StatusCode, String) {
    let r = http.get(app.url(path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn get_ok(app: &App, http: &Client, path: &str) -> String {
    let (status, body) = get(app, http, path).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    body
}

async fn post(app: &App, user: &User, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let mut fields: Vec<(&str, &str)> = form.to_vec();
    fields.push(("csrf", &user.csrf));
    user.http
        .post(app.url(path))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

/// Opens item `id` as `user`: the status, the page and the lease token (when claimed).
async fn open(app: &App, user: &User, id: ItemId) -> (StatusCode, String, Option<String>) {
    let (status, html) = get(app, &user.http, &format!("/item/{id}")).await;
    let token = hidden(&html, "token");
    (status, html, token)
}

async fn decide(
    app: &App,
    user: &User,
    id: ItemId,
    token: &str,
    verdict: &str,
    code: &str,
    note: &str,
) -> reqwest::Response {
    post(
        app,
        user,
        &format!("/item/{id}/decide"),
        &[
            ("token", token),
            ("verdict", verdict),
            ("reason_code", code),
            ("note", note),
        ],
    )
    .await
}

/// What a refusal must leave as it was: the item's state, lease holder and verdict, and the
/// audit's length.
async fn snapshot(store: &Store, id: ItemId) -> (ItemState, Option<String>, bool, usize) {
    let now = time::OffsetDateTime::now_utc();
    let item = store.item(id, now).await.unwrap();
    let audit = store.audit_log(None, None, 100_000).await.unwrap().len();
    match item {
        Some(i) => (
            i.summary.state,
            i.summary.lease.map(|(h, _)| h),
            i.verdict.is_some(),
            audit,
        ),
        None => (ItemState::Queued, None, false, audit),
    }
}

fn counter(vec: &prometheus::IntCounterVec, label: &str) -> u64 {
    vec.with_label_values(&[label]).get()
}

async fn app(db: &TestDb) -> App {
    accounts(&db.store).await;
    App::start(&db.store, WebSettings::default()).await
}

// ------------------------------------------------------------------ the tests --

/// Login with the right password gives a session cookie (HttpOnly, SameSite=Strict, Path=/);
/// a wrong one is refused; both are audited and counted; logout ends the session.
async fn login_and_logout(db: &TestDb) {
    let app = app(db).await;
    let http = client();
    let r = login_attempt(&app, &http, "ann", "wrong").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("wrong name or password"));
    let r = login_attempt(&app, &http, "nobody", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // A second login page in the same browser keeps the form token (the first form still works).
    let first = hidden(&get_ok(&app, &http, "/login").await, "csrf").unwrap();
    let second = hidden(&get_ok(&app, &http, "/login?next=/queue").await, "csrf").unwrap();
    assert_eq!(first, second);
    let r = login_attempt(&app, &http, "ann", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookies: Vec<String> = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("synth_console_session=") && !c.contains("Max-Age=0"))
        .expect("session cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(attr), "{session} lacks {attr}");
    }
    assert!(
        !session.contains("Secure"),
        "no Secure without TLS: {session}"
    );
    let html = get_ok(&app, &http, "/queue").await;
    assert!(html.contains("<span id=\"me\">ann</span>"));
    // Names are found ignoring ASCII case: `ANN` logs in as ann.
    let other = client();
    let r = login_attempt(&app, &other, "ANN", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = get_ok(&app, &other, "/queue").await;
    assert!(page.contains("<span id=\"me\">ann</span>"), "{page}");

    let audit = app.store.audit_log(None, Some("ann"), 10).await.unwrap();
    let actions: Vec<AuditAction> = audit.iter().map(|a| a.action).collect();
    assert_eq!(
        actions,
        [
            AuditAction::LoginFailed,
            AuditAction::Login,
            AuditAction::Login
        ]
    );
    assert_eq!(
        app.store.audit_log(None, Some("nobody"), 10).await.unwrap()[0].action,
        AuditAction::LoginFailed
    );
    assert_eq!(counter(&app.metrics.logins, "success"), 2);
    assert_eq!(counter(&app.metrics.logins, "failure"), 2);

    let user = User {
        name: "ann",
        csrf: meta_csrf(&html),
        http,
    };
    let r = post(&app, &user, "/logout", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/login");
    let r = user.http.get(app.url("/queue")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()[LOCATION]
        .to_str()
        .unwrap()
        .starts_with("/login"));

    // Behind TLS the cookies are Secure.
    let tls = App::start(
        &db.store,
        WebSettings {
            secure_cookies: true,
            ..WebSettings::default()
        },
    )
    .await;
    let r = login_attempt(&tls, &client(), "bob", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let secure = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter(|c| c.to_str().unwrap().starts_with("synth_console_session="))
        .all(|c| c.to_str().unwrap().contains("; Secure"));
    assert!(secure);
}

/// After 5 failed logins for a name within 15 minutes, logins for it are refused (429), even
/// with the right password, and audited; other names are not affected; after the window the
/// right password works again. The limit is counted in the store, so a second application
/// (replica) on the same store refuses too.
async fn login_rate_limit(db: &TestDb) {
    let app = app(db).await;
    let http = client();
    // One limit for the name in any ASCII case (else 5 tries per spelling).
    for name in ["ann", "Ann", "aNn", "anN", "ANN"] {
        let r = login_attempt(&app, &http, name, "wrong").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let asked = app.now();
    let r = login_attempt(&app, &http, "AnN", PASSWORD).await;
    let answered = app.now();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let text = r.text().await.unwrap();
    assert!(text.contains("too many failed logins"), "{text}");
    // When the name is free again: one window after this attempt, RFC 3339 UTC.
    let window = time::Duration::try_from(WebSettings::default().login_window).unwrap();
    let after = utc_time_after(&text, "try again after ");
    assert!(
        after > asked + window - time::Duration::SECOND && after <= answered + window,
        "{after} not one window after {asked}..{answered}"
    );
    let replica = App::start(&db.store, WebSettings::default()).await;
    let r = login_attempt(&replica, &client(), "ann", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(counter(&app.metrics.logins, "rate_limited"), 1);
    let failed = app
        .store
        .audit_log(None, Some("ann"), 100)
        .await
        .unwrap()
        .iter()
        .filter(|a| a.action == AuditAction::LoginFailed)
        .count();
    assert_eq!(failed, 7, "5 wrong passwords and 2 refused attempts");
    // Bob is not limited by Ann's failures.
    login(&app, "bob").await;
    // After the window (from the last failure), Ann's right password works again.
    app.clock.advance(Duration::from_secs(16 * 60));
    login(&app, "ann").await;
}

/// Without a session nothing but the login page and the static files answers: a GET is
/// redirected to /login (with the path to come back to), anything else refused with 401, and
/// nothing is claimed; an expired session is no session.
async fn session_required(db: &TestDb) {
    let app = app(db).await;
    let id = insert(&app.store, &standard("e1", "u1", 60)).await;
    let http = client();
    for path in [
        "/",
        "/queue",
        "/next",
        &format!("/item/{id}"),
        "/lead/stats",
        "/lead/claims",
        "/nowhere",
    ] {
        let r = http.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "GET {path}");
        assert!(r.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/login?next="));
    }
    let before = snapshot(&app.store, id).await;
    for path in [
        format!("/item/{id}/decide"),
        format!("/item/{id}/renew"),
        format!("/item/{id}/skip"),
        "/lead/release".to_owned(),
        "/logout".to_owned(),
    ] {
        let r = http
            .post(app.url(&path))
            .form(&[
                ("token", "x"),
                ("verdict", "approve"),
                ("reason_code", "ok"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "POST {path}");
    }
    assert_eq!(snapshot(&app.store, id).await, before);
    assert_eq!(before.0, ItemState::Queued);
    for path in ["/login", "/static/console.js", "/static/console.css"] {
        get_ok(&app, &http, path).await;
    }
    let (status, _) = get(&app, &http, "/favicon.ico").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // A session ends with its lifetime.
    let ann = login(&app, "ann").await;
    get_ok(&app, &ann.http, "/queue").await;
    app.clock.advance(app.settings.session_ttl);
    let r = ann.http.get(app.url("/queue")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// Every POST needs the session's CSRF token: missing, forged, or another session's → 403 and
/// nothing changes; the header works for fetch() calls; the login form has its own.
async fn csrf_is_checked(db: &TestDb) {
    let app = app(db).await;
    let id = insert(&app.store, &standard("e1", "u1", 60)).await;
    let ann = login(&app, "ann").await;
    let bob = login(&app, "bob").await;
    let (status, _, token) = open(&app, &ann, id).await;
    assert_eq!(status, StatusCode::OK);
    let token = token.expect("lease token on the page");
    let before = snapshot(&app.store, id).await;
    let path = format!("/item/{id}/decide");
    let fields = [
        ("token", token.as_str()),
        ("verdict", "approve"),
        ("reason_code", "no_violation"),
    ];
    let forged = "0".repeat(64);
    let cases: [(&str, Option<&str>); 3] = [
        ("missing", None),
        ("forged", Some(&forged)),
        ("bob's", Some(&bob.csrf)),
    ];
    for (what, csrf) in cases {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        if let Some(c) = csrf {
            form.push(("csrf", c));
        }
        let r = ann
            .http
            .post(app.url(&path))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{what} token");
        let body = r.text().await.unwrap();
        assert!(body.contains("CSRF token"), "{what}: {body}");
        assert!(body.contains("Nothing was changed"));
        assert_eq!(snapshot(&app.store, id).await, before, "{what} token");
    }
    // A wrong header is refused too (a right form field does not rescue it).
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf", &ann.csrf));
    let r = ann
        .http
        .post(app.url(&path))
        .header("X-CSRF-Token", &bob.csrf)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Logout needs it as well.
    let r = ann.http.post(app.url("/logout")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    get_ok(&app, &ann.http, "/queue").await;
    assert_eq!(snapshot(&app.store, id).await, before);
    // The renewal call with the header.
    let r = ann
        .http
        .post(app.url(&format!("/item/{id}/renew")))
        .header("X-CSRF-Token", &ann.csrf)
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let json: serde_json::Value = r.json().await.unwrap();
    assert!(json["expires_in_ms"].as_i64().unwrap() > 299_000, "{json}");
    // The login form: without its cookie (a cross-site form), 403.
    let r = client()
        .post(app.url("/login"))
        .form(&[("name", "ann"), ("password", PASSWORD), ("csrf", "abc")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // And with the right token the verdict goes through.
    let r = decide(&app, &ann, id, &token, "approve", "no_violation", "").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// Opening an item claims it; a second moderator sees who holds it (409) and cannot decide it;
/// of two moderators racing to open one item, one gets it; only one verdict is stored; the
/// verdict is counted and the next item follows.
async fn one_item_one_verdict(db: &TestDb) {
    let app = app(db).await;
    let first = insert(&app.store, &standard("e1", "u1", 120)).await;
    let second = insert(&app.store, &standard("e2", "u2", 60)).await;
    let ann = login(&app, "ann").await;
    let bob = login(&app, "bob").await;

    let (status, html, token) = open(&app, &ann, first).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"lease\""), "countdown on the page");
    let token = token.unwrap();
    let item = app.store.item(first, app.now()).await.unwrap().unwrap();
    assert_eq!(item.summary.state, ItemState::Claimed);
    assert_eq!(item.summary.lease.clone().unwrap().0, "ann");
    let queue = get_ok(&app, &bob.http, "/queue").await;
    assert!(queue.contains("ann ("), "the queue shows the lease holder");

    let (status, html, bob_token) = open(&app, &bob, first).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("claimed by ann"), "{html}");
    let (_, expires) = item.summary.lease.clone().unwrap();
    assert_eq!(
        utc_time_after(&html, "claimed by ann until ").unix_timestamp(),
        expires.unix_timestamp(),
        "{html}"
    );
    assert_eq!(bob_token, None, "no verdict form without the lease");
    // Bob with Ann's token (someone else's lease).
    let before = snapshot(&app.store, first).await;
    let r = decide(&app, &bob, first, &token, "reject", "prohibited_term", "").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("belongs to another moderator"));
    assert_eq!(snapshot(&app.store, first).await, before);

    let r = decide(
        &app,
        &ann,
        first,
        &token,
        "reject",
        "prohibited_term",
        "gambling ad",
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/next");
    let r = ann.http.get(app.url("/next")).send().await.unwrap();
    assert_eq!(r.headers()[LOCATION], format!("/item/{second}").as_str());
    let verdict = app
        .store
        .item(first, app.now())
        .await
        .unwrap()
        .unwrap()
        .verdict
        .unwrap();
    assert_eq!(
        (verdict.moderator.as_str(), verdict.reason_code.as_str()),
        ("ann", "prohibited_term")
    );
    assert_eq!(counter(&app.metrics.verdicts, "reject"), 1);
    let histogram = app.metrics.held_to_verdict.get_sample_count();
    assert_eq!(histogram, 1);

    // The race: both open the second item at once; exactly one gets the lease.
    let (a, b) = tokio::join!(open(&app, &ann, second), open(&app, &bob, second));
    let statuses = [a.0, b.0];
    assert!(
        statuses.contains(&StatusCode::OK) && statuses.contains(&StatusCode::CONFLICT),
        "{statuses:?}"
    );
    let (winner, winner_token, loser) = if a.0 == StatusCode::OK {
        (&ann, a.2.unwrap(), &bob)
    } else {
        (&bob, b.2.unwrap(), &ann)
    };
    // Both submit at once, the loser with the winner's token: one verdict.
    let (w, l) = tokio::join!(
        decide(
            &app,
            winner,
            second,
            &winner_token,
            "approve",
            "no_violation",
            ""
        ),
        decide(
            &app,
            loser,
            second,
            &winner_token,
            "reject",
            "prohibited_term",
            ""
        )
    );
    assert_eq!(w.status(), StatusCode::SEE_OTHER);
    // Refused as someone else's lease (before the verdict) or as decided (after).
    assert!(
        [StatusCode::FORBIDDEN, StatusCode::CONFLICT].contains(&l.status()),
        "{}",
        l.status()
    );
    let v = app
        .store
        .item(second, app.now())
        .await
        .unwrap()
        .unwrap()
        .verdict
        .unwrap();
    assert_eq!(v.moderator, winner.name);
    assert_eq!(app.store.pending_outbox(10).await.unwrap().len(), 2);
}

/// Each bad input gets a clear refusal and changes nothing.
async fn bad_input_is_refused(db: &TestDb) {
    let app = app(db).await;
    let id = insert(&app.store, &standard("e1", "u1", 60)).await;
    let ann = login(&app, "ann").await;
    let bob = login(&app, "bob").await;
    let (_, _, token) = open(&app, &ann, id).await;
    let token = token.unwrap();
    let before = snapshot(&app.store, id).await;
    let decide_path = format!("/item/{id}/decide");
    let long_note = "注".repeat(2001);
    // (what, form, status, message part)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, StatusCode, &'a str);
    let cases: Vec<Case> = vec![
        (
            "oversized note",
            vec![
                ("token", &token),
                ("verdict", "reject"),
                ("reason_code", "prohibited_term"),
                ("note", &long_note),
            ],
            StatusCode::BAD_REQUEST,
            "at most 2000",
        ),
        (
            "unknown verdict",
            vec![
                ("token", &token),
                ("verdict", "maybe"),
                ("reason_code", "prohibited_term"),
            ],
            StatusCode::BAD_REQUEST,
            "malformed form",
        ),
        (
            "no token",
            vec![("verdict", "approve"), ("reason_code", "no_violation")],
            StatusCode::BAD_REQUEST,
            "malformed form",
        ),
        (
            "bad reason code",
            vec![
                ("token", &token),
                ("verdict", "approve"),
                ("reason_code", "Not A Code"),
            ],
            StatusCode::BAD_REQUEST,
            "reason code",
        ),
        (
            "made-up token",
            vec![
                ("token", "feedface"),
                ("verdict", "approve"),
                ("reason_code", "no_violation"),
            ],
            StatusCode::CONFLICT,
            "stale lease token",
        ),
    ];
    for (what, form, status, message) in cases {
        let r = post(&app, &ann, &decide_path, &form).await;
        assert_eq!(r.status(), status, "{what}");
        let body = r.text().await.unwrap();
        assert!(body.contains(message), "{what}: {body}");
        assert_eq!(snapshot(&app.store, id).await, before, "{what}");
    }
    // An oversized escalation note.
    let r = post(
        &app,
        &ann,
        &format!("/item/{id}/escalate"),
        &[("token", &token), ("note", &long_note)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(snapshot(&app.store, id).await, before);
    // Someone else's token (Bob with Ann's).
    let r = decide(&app, &bob, id, &token, "approve", "no_violation", "").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(snapshot(&app.store, id).await, before);
    // A body over 64 KiB.
    let huge = "x".repeat(70 * 1024);
    let r = post(&app, &ann, &decide_path, &[("note", &huge)]).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(snapshot(&app.store, id).await, before);
    // Unknown and malformed item ids.
    let (status, body) = get(&app, &ann.http, "/item/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("unknown item 999999"));
    let r = decide(&app, &ann, 999_999, &token, "approve", "no_violation", "").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (status, body) = get(&app, &ann.http, "/item/abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("not an item id"));
    assert_eq!(snapshot(&app.store, id).await, before);
    // An expired lease: refused, the page tells to open the item again.
    app.clock
        .advance(app.settings.lease + Duration::from_secs(1));
    let r = decide(&app, &ann, id, &token, "approve", "no_violation", "").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body = r.text().await.unwrap();
    assert!(body.contains("expired"), "{body}");
    assert!(body.contains("open the item again"));
    let expired = utc_time_after(&body, &format!("the lease on item {id} expired at "));
    assert!(
        expired < app.now() && expired > app.now() - app.settings.lease * 2,
        "{expired}: {body}"
    );
    let r = post(
        &app,
        &ann,
        &format!("/item/{id}/renew"),
        &[("token", &token)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let after_expiry = snapshot(&app.store, id).await;
    assert!(!after_expiry.2, "no verdict");
    assert_eq!(after_expiry.3, before.3, "nothing audited");
    // Bob takes the expired item over and decides it; Ann's old token is stale, and a verdict
    // for the decided item is refused.
    let (status, _, bob_token) = open(&app, &bob, id).await;
    assert_eq!(status, StatusCode::OK);
    let r = decide(&app, &ann, id, &token, "approve", "no_violation", "").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let bob_token = bob_token.unwrap();
    let r = decide(&app, &bob, id, &bob_token, "approve", "no_violation", "").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let decided = snapshot(&app.store, id).await;
    let r = decide(&app, &bob, id, &bob_token, "reject", "prohibited_term", "").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("already decided"));
    assert_eq!(snapshot(&app.store, id).await, decided);
    // Opening a decided item shows its verdict, read-only.
    let (status, html, t) = open(&app, &ann, id).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"verdict\""));
    assert_eq!(t, None);
    // Bad filters and queries.
    let (status, _) = get(&app, &ann.http, "/next?exclude=notanumber").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// Hostile bytes in a field (a NUL, which PostgreSQL refuses; another control character; a
/// percent escape that is not UTF-8, which would be stored as U+FFFD) are refused with 400
/// naming the field and change nothing, in forms and query strings alike; tabs and line
/// breaks in a note are kept. Login names over 64 characters are refused without an audit row,
/// login bodies over 64 KiB with 413.
async fn hostile_bytes_are_refused(db: &TestDb) {
    let app = app(db).await;
    let id = insert(&app.store, &standard("e1", "u1", 60)).await;
    let ann = login(&app, "ann").await;
    let (_, _, token) = open(&app, &ann, id).await;
    let token = token.unwrap();
    let before = snapshot(&app.store, id).await;
    let raw_post = |path: String, body: String| {
        ann.http
            .post(app.url(&path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    for (action, note, why) in [
        ("decide", "a%00b", "control character"),
        ("decide", "%1B%5B31m", "control character"),
        ("decide", "%FF%FE", "not UTF-8"),
        ("escalate", "a%00b", "control character"),
        ("escalate", "caf%E9", "not UTF-8"),
        // Format characters that disguise text: a right-to-left override, an isolate, a
        // zero-width space, a line separator, a byte-order mark.
        ("decide", "%E6%89%B9%E5%87%86%E2%80%AEok", "U+202E"),
        ("escalate", "%E2%81%A7x", "U+2067"),
        ("decide", "a%E2%80%8Bb", "U+200B"),
        // A zero-width joiner between two Chinese characters (not an emoji sequence).
        ("decide", "%E8%B5%8C%E2%80%8D%E5%8D%9A", "U+200D"),
        ("decide", "a%E2%80%A8b", "U+2028"),
        ("escalate", "%EF%BB%BFa", "U+FEFF"),
    ] {
        let body = format!(
            "csrf={}&token={token}&verdict=approve&reason_code=no_violation&note={note}",
            ann.csrf
        );
        let r = raw_post(format!("/item/{id}/{action}"), body)
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{action} {note}");
        let text = r.text().await.unwrap();
        assert!(
            text.contains("note") && text.contains(why),
            "{action} {note}: {text}"
        );
        assert_eq!(snapshot(&app.store, id).await, before, "{action} {note}");
    }
    for query in ["stage=%00", "code=x%07", "category=%C3"] {
        let (status, body) = get(&app, &ann.http, &format!("/queue?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
    }
    for (query, field, code) in [
        ("code=x%E2%80%AE", "code", "U+202E"),
        ("stage=%E2%80%8F", "stage", "U+200F"),
        ("category=a%E2%81%A9", "category", "U+2069"),
    ] {
        let (status, body) = get(&app, &ann.http, &format!("/queue?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(
            body.contains(&format!("field &quot;{field}&quot; has {code}")),
            "{query}: {body}"
        );
    }

    let audit = || async {
        app.store
            .audit_log(None, None, 100_000)
            .await
            .unwrap()
            .len()
    };
    let audited = audit().await;
    let r = login_attempt(&app, &client(), "ann\0", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = login_attempt(&app, &client(), "ann\u{202E}", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let text = r.text().await.unwrap();
    assert!(text.contains("field &quot;name&quot; has U+202E"), "{text}");
    let r = login_attempt(&app, &client(), &"n".repeat(65), PASSWORD).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("at most 64 characters"));
    let r = login_attempt(&app, &client(), "ann", &"x".repeat(70 * 1024)).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(audit().await, audited, "refused logins are not audited");

    // Only the reason codes the page offers: approve's, reject's and the item's own.
    for (verdict, code) in [
        ("approve", "made_up_code"),
        ("approve", "prohibited_term"),
        ("reject", "no_violation"),
        ("reject", "label_missing"),
    ] {
        let r = decide(&app, &ann, id, &token, verdict, code, "").await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{verdict} {code}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains("not one the item page offers"),
            "{verdict} {code}: {body}"
        );
        assert_eq!(snapshot(&app.store, id).await, before, "{verdict} {code}");
    }
    let (status, body) = get(&app, &ann.http, "/next?queue=junk").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // A note may have tabs and line breaks, in any script.
    let text = "核实来源：\t新华社\r\n标注“AI生成”，予以通过。";
    let r = decide(&app, &ann, id, &token, "approve", "no_violation", text).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let item = app
        .store
        .item(id, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let note = item.unwrap().verdict.unwrap().note;
    assert_eq!(note.as_deref(), Some(text));
}

/// `next` leads only to a path of this site: not `//host`, and not a path with a control
/// character — browsers drop tabs and line breaks, so `/\t/evil.example` is another site, and
/// CR or LF cannot be in a `Location` header (it was a 500). A wrong HTTP method gets a 405
/// with a message, after the session and CSRF checks.
async fn redirects_and_methods(db: &TestDb) {
    let app = app(db).await;
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\nSet-Cookie: x=1",
        "//evil.example",
    ] {
        let http = client();
        let html = get_ok(&app, &http, "/login").await;
        let csrf = hidden(&html, "csrf").unwrap();
        let form = [
            ("name", "ann"),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", next),
        ];
        let r = http
            .post(app.url("/login"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(r.headers()[LOCATION], "/queue", "{next:?}");
        // With the session, the login page redirects to `next` at once: the same rule.
        let query: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
        let r = http
            .get(app.url(&format!("/login?next={query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(r.headers()[LOCATION], "/queue", "{next:?}");
    }

    let ann = login(&app, "ann").await;
    let r = client().put(app.url("/queue")).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "no session comes first"
    );
    let r = ann.http.put(app.url("/queue")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "then the CSRF token");
    for (method, path) in [
        (reqwest::Method::PUT, "/queue"),
        (reqwest::Method::DELETE, "/item/1"),
        (reqwest::Method::GET, "/item/1/decide"),
        (reqwest::Method::PATCH, "/lead/claims"),
    ] {
        let r = ann
            .http
            .request(method.clone(), app.url(path))
            .header("x-csrf-token", &ann.csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        let body = r.text().await.unwrap();
        assert!(
            body.contains("does not take that HTTP method"),
            "{method} {path}: {body}"
        );
    }
    let r = client().put(app.url("/login")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
}

/// Leads only: the escalations queue, the claims with their release, the stats (403 for a
/// moderator, also for POST); a lead decides an escalated item and releases a claim.
async fn lead_pages(db: &TestDb) {
    let app = app(db).await;
    let escalated = insert(&app.store, &standard("e1", "u1", 300)).await;
    let claimed = insert(&app.store, &standard("e2", "u2", 200)).await;
    let ann = login(&app, "ann").await;
    let lee = login(&app, "lee").await;
    for path in [
        "/lead/escalations",
        "/lead/claims",
        "/lead/stats",
        "/next?queue=escalated",
    ] {
        let (status, body) = get(&app, &ann.http, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(body.contains("lead"), "{path}: {body}");
    }
    let (_, _, token) = open(&app, &ann, claimed).await;
    let ann_token = token.unwrap();
    let before = snapshot(&app.store, claimed).await;
    let id = claimed.to_string();
    let r = post(&app, &ann, "/lead/release", &[("item_id", &id)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(snapshot(&app.store, claimed).await, before);
    assert!(!get_ok(&app, &ann.http, "/queue")
        .await
        .contains("Escalations</a>"));

    // Ann escalates the first item with a note; it leaves her queue for the leads'.
    let (_, _, token) = open(&app, &ann, escalated).await;
    let r = post(
        &app,
        &ann,
        &format!("/item/{escalated}/escalate"),
        &[
            ("token", &token.unwrap()),
            ("note", "real person? <b>check</b>"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let esc = get_ok(&app, &lee.http, "/lead/escalations").await;
    assert!(esc.contains(">e1<"));
    let (status, html) = get(&app, &ann.http, &format!("/item/{escalated}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a moderator cannot claim it");
    assert!(html.contains("only a lead"));
    let (status, html, token) = open(&app, &lee, escalated).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("real person? &lt;b&gt;check&lt;"),
        "the note, escaped"
    );
    assert!(!html.contains("<b>check"));
    let r = decide(
        &app,
        &lee,
        escalated,
        &token.unwrap(),
        "reject",
        "prohibited_term",
        "",
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/next?queue=escalated");

    // Claims: Lee sees Ann's lease and releases it; Ann's page can no longer decide.
    let claims = get_ok(&app, &lee.http, "/lead/claims").await;
    assert!(claims.contains("<td class=\"holder\">ann</td>"), "{claims}");
    let forged = lee
        .http
        .post(app.url("/lead/release"))
        .form(&[("item_id", id.as_str()), ("csrf", ann.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.status(),
        StatusCode::FORBIDDEN,
        "another session's CSRF token"
    );
    let holder = app.store.item(claimed, app.now()).await.unwrap().unwrap();
    assert_eq!(holder.summary.lease.unwrap().0, "ann");
    let r = post(&app, &lee, "/lead/release", &[("item_id", &id)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = decide(
        &app,
        &ann,
        claimed,
        &ann_token,
        "approve",
        "no_violation",
        "",
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = post(&app, &lee, "/lead/release", &[("item_id", &id)]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "nothing to release");
    let r = post(&app, &lee, "/lead/release", &[("item_id", "x")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Assignment: Lee gives the released item to Bob; Ann cannot take it, Bob can.
    let bob = login(&app, "bob").await;
    let r = post(
        &app,
        &lee,
        "/lead/assign",
        &[("item_id", &id), ("moderator", "bob")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, html, _) = open(&app, &ann, claimed).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("claimed by bob"));
    let (status, _, token) = open(&app, &bob, claimed).await;
    assert_eq!(status, StatusCode::OK);
    assert!(token.is_some());
    let before = snapshot(&app.store, claimed).await;
    for (form, status) in [
        (
            vec![("item_id", id.as_str()), ("moderator", "nobody")],
            StatusCode::NOT_FOUND,
        ),
        (
            vec![("item_id", id.as_str()), ("moderator", "ann")],
            StatusCode::CONFLICT,
        ),
        (
            vec![("item_id", "999999"), ("moderator", "ann")],
            StatusCode::NOT_FOUND,
        ),
        (vec![("moderator", "ann")], StatusCode::BAD_REQUEST),
    ] {
        let r = post(&app, &lee, "/lead/assign", &form).await;
        assert_eq!(r.status(), status, "{form:?}");
    }
    let r = post(
        &app,
        &ann,
        "/lead/assign",
        &[("item_id", &id), ("moderator", "ann")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(snapshot(&app.store, claimed).await, before);

    // Stats: Lee's one decision.
    let stats = get_ok(&app, &lee.http, "/lead/stats?days=1").await;
    assert!(
        stats.contains("<tr data-moderator=\"lee\"><td>lee</td><td class=\"decisions\">1</td>"),
        "{stats}"
    );
    let (status, _) = get(&app, &lee.http, "/lead/stats?days=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Nothing left in the escalations queue.
    let html = get_ok(&app, &lee.http, "/next?queue=escalated").await;
    assert!(
        html.contains("No item is waiting in the escalations queue"),
        "{html}"
    );
}

/// HTML and script in the event (text, title, label, user id, media URL) render as text: no
/// element is created from them, and the pages forbid inline script (CSP) besides.
async fn html_in_content_is_inert(db: &TestDb) {
    let app = app(db).await;
    let evil = "<script>alert('x')</script><img src=x onerror=alert(1)>";
    let rec = record(
        "e\"><script>alert(2)</script>",
        "u<script>",
        60,
        "<b>title</b>",
        evil,
        "<i>AI</i>",
        &[(
            "prohibited",
            "prohibited_term",
            Some("<svg onload=alert(3)>"),
            Some(("content.text", 0, 8, "<script>")),
        )],
    );
    let id = insert(&app.store, &rec).await;
    let ann = login(&app, "ann").await;
    for path in [format!("/item/{id}"), "/queue".to_owned()] {
        let r = ann.http.get(app.url(&path)).send().await.unwrap();
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        let html = r.text().await.unwrap();
        for raw in [
            "<script>alert",
            "<img src=x",
            "<b>title",
            "<i>AI",
            "<svg",
            "<script>\"",
        ] {
            assert!(!html.contains(raw), "{path}: {raw} unescaped");
        }
        assert!(
            html.contains("&lt;script&gt;"),
            "{path}: escaped text is shown"
        );
    }
    let html = get_ok(&app, &ann.http, &format!("/item/{id}")).await;
    assert!(html.contains("<mark class=\"ev\" data-reasons=\"0\">&lt;script&gt;</mark>"));
    // The only script elements are the console's own.
    assert_eq!(html.matches("<script").count(), 1);
}

/// The item page: every evidence span highlighted by code points (an emoji before it), the
/// reasons with article and cue, actions, media with AIGC metadata, the user's history.
async fn item_page_shows_the_record(db: &TestDb) {
    let app = app(db).await;
    let old = insert(&app.store, &standard("old", "u1", 600)).await;
    let id = insert(&app.store, &standard("new", "u1", 60)).await;
    let ann = login(&app, "ann").await;
    let (_, _, token) = open(&app, &ann, old).await;
    let r = decide(
        &app,
        &ann,
        old,
        &token.unwrap(),
        "approve",
        "no_violation",
        "",
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, html, _) = open(&app, &ann, id).await;
    assert_eq!(status, StatusCode::OK);
    assert!(TEXT.contains("赌博"));
    assert!(
        html.contains("<mark class=\"ev\" data-reasons=\"0\">赌博</mark>"),
        "{html}"
    );
    assert!(html.contains("<mark class=\"ev\" data-reasons=\"1\">博彩</mark>"));
    assert!(html.contains("<mark class=\"ev\" data-reasons=\"2\">AI</mark>"));
    assert!(html.contains("<td class=\"article\">Art. 10</td>"));
    assert!(html.contains("<mark class=\"cue\">赌博</mark>"));
    assert!(html.contains("<code>add_label</code> AI生成"));
    assert!(
        html.contains("&quot;ContentProducer&quot;: &quot;p-1&quot;"),
        "AIGC metadata"
    );
    assert!(
        html.contains("approve (no_violation)"),
        "history with the earlier verdict"
    );
    assert!(html.contains("<kbd>a</kbd> approve"), "shortcuts shown");
}

/// The queue: priority order, filters by stage, reason code and category, at most a page of
/// rows with 1,000 items queued, quickly; skip goes on to another item.
async fn queue_filters_and_size(db: &TestDb) {
    let app = app(db).await;
    let gambling = insert(&app.store, &standard("gamble", "u1", 100)).await;
    let label_only = record(
        "news",
        "u2",
        50,
        "t",
        "x",
        "AI",
        &[("news_source", "news_source_missing", None, None)],
    );
    let label = insert(&app.store, &label_only).await;
    let ann = login(&app, "ann").await;
    let html = get_ok(&app, &ann.http, "/queue").await;
    let (a, b) = (html.find(">gamble<").unwrap(), html.find(">news<").unwrap());
    assert!(a < b, "more reasons first");
    for (query, shows, hides) in [
        ("stage=news_source", "news", "gamble"),
        ("code=news_source_missing", "news", "gamble"),
        ("category=gambling", "gamble", "news"),
        ("stage=prohibited&code=prohibited_term", "gamble", "news"),
    ] {
        let html = get_ok(&app, &ann.http, &format!("/queue?{query}")).await;
        assert!(html.contains(&format!(">{shows}<")), "{query}");
        assert!(!html.contains(&format!(">{hides}<")), "{query}");
    }
    let html = get_ok(&app, &ann.http, "/queue?code=nothing").await;
    assert!(html.contains("with these filters"));

    // Skip: back to the queue, and the next item is another one.
    let (_, _, token) = open(&app, &ann, gambling).await;
    let r = post(
        &app,
        &ann,
        &format!("/item/{gambling}/skip"),
        &[("token", &token.unwrap())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let next = r.headers()[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(next, format!("/next?exclude={gambling}"));
    let r = ann.http.get(app.url(&next)).send().await.unwrap();
    assert_eq!(r.headers()[LOCATION], format!("/item/{label}").as_str());

    for n in 0..1000 {
        insert(
            &app.store,
            &standard(&format!("bulk{n}"), &format!("u{}", n % 37), n),
        )
        .await;
    }
    let started = std::time::Instant::now();
    let html = get_ok(&app, &ann.http, "/queue").await;
    let took = started.elapsed();
    assert_eq!(html.matches("<tr class=\"row\"").count(), 200);
    assert!(html.contains("The first 200 items are shown"));
    // Generous for a loaded 2-core machine in a debug build; typically tens of milliseconds.
    assert!(took < Duration::from_secs(10), "queue page took {took:?}");
}

// ------------------------------------------------------------------ the ledger pages --

/// `count` strikes of weight 1 against `user`, a day apart ending an hour ago, the first one a
/// moderator's (`ann`), the rest the worker's, with reason code `code`.
fn strikes(user: &str, count: usize, code: &str) -> Vec<Strike> {
    let now = time::OffsetDateTime::now_utc();
    (0..count)
        .map(|i| Strike {
            key: if i == 0 {
                format!("verdict:{user}")
            } else {
                format!("worker:{user}-{i}")
            },
            user_id: user.to_owned(),
            event_id: format!("ev-{user}-{i}"),
            source: if i == 0 {
                StrikeSource::Moderator {
                    id: "ann".into(),
                    verdict_id: 7,
                }
            } else {
                StrikeSource::Worker
            },
            reason_code: code.to_owned(),
            category: Some("gambling".into()),
            articles: vec!["Art. 10".into()],
            weight: 1,
            at: now - time::Duration::days((count - i) as i64) - time::Duration::hours(1),
            record_at: None,
            refutation: None,
        })
        .collect()
}

/// Records `strikes` under the default policy (3 points: warn; 6: restrict).
async fn seed(store: &Store, strikes: &[Strike]) {
    let applied = store
        .apply_strikes(
            "synth.rejected.v1",
            &[(0, strikes.len() as i64)],
            strikes,
            &LedgerPolicy::default(),
            "test-console",
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert!(!applied.measures.is_empty(), "{applied:?}");
}

/// The measure ids of `user`, oldest first.
async fn measure_ids(store: &Store, user: &str) -> Vec<String> {
    let ledger = store.user_ledger(user).await.unwrap();
    ledger
        .measures
        .iter()
        .rev()
        .map(|m| m.measure_id.clone())
        .collect()
}

async fn measure_state(store: &Store, user: &str, id: &str) -> MeasureState {
    let ledger = store.user_ledger(user).await.unwrap();
    ledger
        .measures
        .iter()
        .find(|m| m.measure_id == id)
        .unwrap_or_else(|| panic!("no measure {id}"))
        .state
}

/// What a refused lift or change must leave as it was: the user's ledger and the outbox.
async fn ledger_snapshot(store: &Store, user: &str) -> (UserLedger, Vec<serde_json::Value>) {
    (
        store.user_ledger(user).await.unwrap(),
        store.pending_user_actions(1000).await.unwrap(),
    )
}

/// The path of `user`'s measure `id` as the pages encode it.
fn measure_path(user: &str, id: &str) -> String {
    format!(
        "{}/measures/{}",
        ledger::user_path(user),
        ledger::path_segment(id)
    )
}

/// A lead sees the users with measures and each user's strikes and measures; HTML in a user
/// id or a reason code renders as text; the item page links the author's ledger for a lead
/// only; an overlong user id is refused.
async fn ledger_pages(db: &TestDb) {
    let app = app(db).await;
    let evil = "u/<script>alert(1)</script>\"?#";
    let evil_code = "<img src=x onerror=alert(2)>";
    seed(&app.store, &strikes("u1", 3, "prohibited_term")).await;
    seed(&app.store, &strikes(evil, 6, evil_code)).await;
    let lee = login(&app, "lee").await;
    let queue = get_ok(&app, &lee.http, "/queue").await;
    assert!(queue.contains("<a href=\"/lead/users\">Users</a>"));

    let html = get_ok(&app, &lee.http, "/lead/users").await;
    assert_eq!(html.matches("<tr data-user=").count(), 2, "{html}");
    assert!(html.contains("<a href=\"/lead/users/u1\" class=\"user\">u1</a>"));
    let evil_path = ledger::user_path(evil);
    assert!(!evil_path[12..].contains('/'), "{evil_path}");
    assert!(html.contains(&format!("href=\"{evil_path}\"")), "{html}");
    assert!(html.contains("<td class=\"strikes\">6</td>"));
    assert!(html.contains("<td class=\"latest\">restrict</td>"));
    assert!(html.contains("<td class=\"level\">1</td>"));

    let html = get_ok(&app, &lee.http, "/lead/users/u1").await;
    assert_eq!(html.matches("<tr data-strike=").count(), 3);
    assert!(html.contains("<code>verdict:u1</code>"));
    assert!(html.contains("ev-u1-2"));
    assert!(html.contains("<td>ann</td>"), "the moderator of a strike");
    assert_eq!(html.matches("<tr data-measure=").count(), 1);
    let ids = measure_ids(&app.store, "u1").await;
    assert_eq!(ids, ["L1@worker:u1-2"]);
    assert!(html.contains("<tr data-measure=\"L1@worker:u1-2\">"));
    assert!(html.contains("<td class=\"kind\">warn</td>"));
    assert!(html.contains("<td class=\"state\">in_force</td>"));
    assert!(html.contains(&format!("action=\"{}\"", measure_path("u1", &ids[0]))));

    let r = lee.http.get(app.url(&evil_path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    let html = r.text().await.unwrap();
    assert_eq!(html.matches("<tr data-strike=").count(), 6);
    assert_eq!(html.matches("<tr data-measure=").count(), 2);
    assert!(html.contains("<td class=\"kind\">restrict</td>"));
    assert!(html.contains("publish_synthetic_media"));
    for raw in ["<script>alert", "<img src=x"] {
        assert!(!html.contains(raw), "{raw} unescaped");
    }
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert_eq!(html.matches("<script").count(), 1);
    let html = get_ok(&app, &lee.http, "/lead/users").await;
    for raw in ["<script>alert", "<img src=x"] {
        assert!(!html.contains(raw), "users list: {raw} unescaped");
    }

    // A user the ledger does not know: a page that says so. An overlong id: 400.
    let html = get_ok(&app, &lee.http, "/lead/users/nobody").await;
    assert!(html.contains("id=\"no-measures\"") && html.contains("id=\"no-strikes\""));
    let long = "x".repeat(MAX_USER_ID_CHARS + 1);
    let (status, body) = get(&app, &lee.http, &format!("/lead/users/{long}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("at most 256"), "{body}");
    let ok = "x".repeat(MAX_USER_ID_CHARS);
    get_ok(&app, &lee.http, &format!("/lead/users/{ok}")).await;

    // The item page links the author's ledger, for a lead only.
    let id = insert(&app.store, &standard("e1", evil, 60)).await;
    let other = insert(&app.store, &standard("e2", "u1", 60)).await;
    let html = get_ok(&app, &lee.http, &format!("/item/{id}")).await;
    assert!(html.contains(&format!("<a href=\"{evil_path}\" id=\"user-ledger\">")));
    assert!(html.contains("id=\"history-ledger\""));
    let ann = login(&app, "ann").await;
    let html = get_ok(&app, &ann.http, &format!("/item/{other}")).await;
    assert!(!html.contains("user-ledger") && !html.contains("/lead/users"));
}

/// A lead lifts a measure and changes another: the state, who, when and the note are stored
/// and the `lift` / `change` records wait in the outbox; every refusal (empty note, a second
/// lift, an unknown measure, a bad kind, a missing or forged CSRF token) changes nothing.
async fn lead_changes_measures(db: &TestDb) {
    let app = app(db).await;
    let user = "u/1 @x";
    seed(&app.store, &strikes(user, 6, "prohibited_term")).await;
    let ids = measure_ids(&app.store, user).await;
    assert_eq!(ids.len(), 2, "{ids:?}");
    let (warn, restrict) = (ids[0].as_str(), ids[1].as_str());
    let lee = login(&app, "lee").await;
    let page = ledger::user_path(user);

    // Refusals first: each leaves the ledger and the outbox as they were.
    let before = ledger_snapshot(&app.store, user).await;
    let forged = "0".repeat(64);
    for (what, csrf) in [("missing", None), ("forged", Some(forged.as_str()))] {
        let mut form = vec![("action", "lift"), ("note", "appeal upheld")];
        if let Some(c) = csrf {
            form.push(("csrf", c));
        }
        let r = lee
            .http
            .post(app.url(&measure_path(user, warn)))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{what} token");
        assert!(r.text().await.unwrap().contains("CSRF token"));
        assert_eq!(ledger_snapshot(&app.store, user).await, before, "{what}");
    }
    type Case<'a> = (&'a str, String, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "empty note",
            measure_path(user, warn),
            vec![("action", "lift"), ("note", "  ")],
            "needs a note",
        ),
        (
            "no note",
            measure_path(user, warn),
            vec![("action", "lift")],
            "needs a note",
        ),
        (
            "unknown measure",
            measure_path(user, "L9@nothing"),
            vec![("action", "lift"), ("note", "n")],
            "has no measure",
        ),
        (
            "another user's measure",
            measure_path("u2", warn),
            vec![("action", "lift"), ("note", "n")],
            "has no measure",
        ),
        (
            "unknown action",
            measure_path(user, warn),
            vec![("action", "delete"), ("note", "n")],
            "malformed form",
        ),
        (
            "unknown kind",
            measure_path(user, warn),
            vec![("action", "change"), ("kind", "ban"), ("note", "n")],
            "unknown measure",
        ),
        (
            "suspend without days",
            measure_path(user, warn),
            vec![("action", "change"), ("kind", "suspend"), ("note", "n")],
            "has a duration",
        ),
        (
            "bad days",
            measure_path(user, warn),
            vec![
                ("action", "change"),
                ("kind", "suspend"),
                ("duration_days", "0"),
                ("note", "n"),
            ],
            "duration_days",
        ),
    ];
    for (what, path, form, message) in cases {
        let r = post(&app, &lee, &path, &form).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{what}");
        let body = r.text().await.unwrap();
        assert!(body.contains(message), "{what}: {body}");
        assert!(body.contains("Nothing was changed"), "{what}: {body}");
        assert_eq!(ledger_snapshot(&app.store, user).await, before, "{what}");
    }

    // The lift.
    let r = post(
        &app,
        &lee,
        &measure_path(user, warn),
        &[("action", "lift"), ("note", "appeal <b>upheld</b>")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], page.as_str());
    assert_eq!(
        measure_state(&app.store, user, warn).await,
        MeasureState::Lifted
    );
    let pending = app.store.pending_user_actions(100).await.unwrap();
    let lifts: Vec<&serde_json::Value> = pending.iter().filter(|r| r["action"] == "lift").collect();
    assert_eq!(lifts.len(), 1, "{pending:?}");
    assert_eq!(lifts[0]["measure_id"], warn);
    assert_eq!(lifts[0]["user_id"], user);
    assert_eq!(lifts[0]["by"]["id"], "lee");
    assert_eq!(lifts[0]["note"], "appeal <b>upheld</b>");
    assert_eq!(lifts[0]["issued_by"]["id"], "console");
    let html = get_ok(&app, &lee.http, &page).await;
    assert!(html.contains("<td class=\"state\">lifted</td>"));
    assert!(html.contains("<td class=\"changed-by\">lee</td>"));
    assert!(
        html.contains("appeal &lt;b&gt;upheld&lt;&#x2f;b&gt;")
            || html.contains("appeal &lt;b&gt;upheld&lt;/b&gt;"),
        "{html}"
    );
    assert_eq!(
        html.matches("class=\"inline lift-form\"").count(),
        1,
        "only the restriction can be lifted"
    );

    // A second lift: refused, nothing changed.
    let before = ledger_snapshot(&app.store, user).await;
    let r = post(
        &app,
        &lee,
        &measure_path(user, warn),
        &[("action", "lift"), ("note", "again")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.unwrap();
    assert!(body.contains("is lifted"), "{body}");
    assert_eq!(ledger_snapshot(&app.store, user).await, before);

    // The change of the restriction to a suspension, then its lift.
    let r = post(
        &app,
        &lee,
        &measure_path(user, restrict),
        &[
            ("action", "change"),
            ("kind", "suspend"),
            ("function", ""),
            ("duration_days", "3"),
            ("note", "milder"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let ledger = app.store.user_ledger(user).await.unwrap();
    let m = ledger
        .measures
        .iter()
        .find(|m| m.measure_id == restrict)
        .unwrap();
    assert_eq!(m.state, MeasureState::Changed);
    assert_eq!(m.changed_to.as_ref().unwrap()["kind"], "suspend");
    assert_eq!(
        m.changed_to.as_ref().unwrap()["duration_seconds"],
        3 * 86_400
    );
    assert_eq!(m.changed.as_ref().unwrap().0, "lee");
    let pending = app.store.pending_user_actions(100).await.unwrap();
    let change = pending.iter().find(|r| r["action"] == "change").unwrap();
    assert_eq!(change["note"], "milder");
    let html = get_ok(&app, &lee.http, &page).await;
    assert!(html.contains("<td class=\"changed-to\">suspend until "));
    assert_eq!(html.matches("class=\"inline change-form\"").count(), 0);
    let r = post(
        &app,
        &lee,
        &measure_path(user, restrict),
        &[("action", "change"), ("kind", "warn"), ("note", "again")],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "a changed measure is not changed again"
    );
    let r = post(
        &app,
        &lee,
        &measure_path(user, restrict),
        &[("action", "lift"), ("note", "done")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        measure_state(&app.store, user, restrict).await,
        MeasureState::Lifted
    );
}

/// A moderator gets the lead-only refusal on every ledger route (the POST with a valid CSRF
/// token too), and nothing changes.
async fn ledger_pages_are_for_leads(db: &TestDb) {
    let app = app(db).await;
    seed(&app.store, &strikes("u1", 3, "prohibited_term")).await;
    let warn = measure_ids(&app.store, "u1").await.remove(0);
    let ann = login(&app, "ann").await;
    let before = ledger_snapshot(&app.store, "u1").await;
    for path in ["/lead/users", "/lead/users/u1", "/lead/users/nobody"] {
        let (status, body) = get(&app, &ann.http, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(body.contains("for leads only"), "{path}: {body}");
    }
    let r = post(
        &app,
        &ann,
        &measure_path("u1", &warn),
        &[("action", "lift"), ("note", "mine")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("for leads only"));
    assert_eq!(ledger_snapshot(&app.store, "u1").await, before);
    assert_eq!(
        measure_state(&app.store, "u1", &warn).await,
        MeasureState::InForce
    );
    // Without a session: the login page, or 401.
    let http = client();
    let r = http.get(app.url("/lead/users/u1")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = http
        .post(app.url(&measure_path("u1", &warn)))
        .form(&[("action", "lift"), ("note", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(ledger_snapshot(&app.store, "u1").await, before);
}

// ------------------------------------------------------------------ harness --

/// Appeals on the pages: the moderator who rejected is refused the appeal's item (403, nothing
/// claimed), another moderator sees the appeal and upholds it with a verdict (the strike
/// reversed); the queue shows the appeal's deadline; a lead decides an appeal of a measure on
/// the user's page, except one of a measure they changed (403); bad decisions change nothing.
async fn appeals_on_the_pages(db: &TestDb) {
    use synth_review::console::appeal::{Appeal, AppealTarget};
    use synth_review::console::ledger::MeasureKind;
    use synth_review::console::store::MeasureChange;
    let app = app(db).await;
    let now = time::OffsetDateTime::now_utc();
    seed(&app.store, &strikes("u7", 6, "prohibited_term")).await;
    let (warn, restrict) = ("L1@worker:u7-2", "L2@worker:u7-5");
    app.store
        .change_measure(
            "u7",
            warn,
            "lee",
            &MeasureChange::To(MeasureKind::Warn),
            "复核",
            "test-console",
            now,
        )
        .await
        .unwrap();
    let appeal = |id: &str, target: AppealTarget| Appeal {
        appeal_id: id.into(),
        user_id: "u7".into(),
        target,
        text: "我没有违规 <b>bold</b>".into(),
        received_at: now,
    };
    let applied = app
        .store
        .apply_appeals(
            "synth.appeals.v1",
            &[(0, 3)],
            &[
                appeal(
                    "r1",
                    AppealTarget::Reject {
                        event_id: "ev-u7-0".into(),
                    },
                ),
                appeal(
                    "m1",
                    AppealTarget::Measure {
                        measure_id: warn.into(),
                    },
                ),
                appeal(
                    "m2",
                    AppealTarget::Measure {
                        measure_id: restrict.into(),
                    },
                ),
            ],
            &Default::default(),
            Duration::from_secs(72 * 3600),
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        (applied.opened.len(), applied.for_leads),
        (1, 2),
        "{applied:?}"
    );
    let item = applied.opened[0].1;
    // Another user appealing u7's reject: refused at once, not left waiting for its deadline.
    let mut stranger = appeal(
        "x1",
        AppealTarget::Reject {
            event_id: "ev-u7-1".into(),
        },
    );
    stranger.user_id = "u8".into();
    let refused = app
        .store
        .apply_appeals(
            "synth.appeals.v1",
            &[(0, 4)],
            &[stranger],
            &Default::default(),
            Duration::from_secs(72 * 3600),
            now,
        )
        .await
        .unwrap();
    assert_eq!(refused.waiting, 0, "{refused:?}");
    assert_eq!(refused.refused.len(), 1, "{refused:?}");
    assert!(refused.refused[0].1.contains("another user"), "{refused:?}");

    // ann rejected ev-u7-0: refused its appeal.
    let ann = login(&app, "ann").await;
    let before = snapshot(&app.store, item).await;
    let (status, html, token) = open(&app, &ann, item).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    assert!(html.contains("someone else decides the appeal"), "{html}");
    assert!(token.is_none());
    assert_eq!(snapshot(&app.store, item).await, before);
    // The queue shows the appeal's deadline.
    let queue = get_ok(&app, &ann.http, "/queue").await;
    assert!(queue.contains("<td class=\"deadline\">20"), "{queue}");
    // `/next` does not send ann to it; it sends bob.
    let r = ann.http.get(app.url("/next")).send().await.unwrap();
    let to_item = format!("/item/{item}");
    assert!(
        r.headers()
            .get("location")
            .is_none_or(|l| l != to_item.as_str()),
        "{:?}",
        r.headers()
    );
    let bob = login(&app, "bob").await;
    let r = bob.http.get(app.url("/next")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], to_item.as_str());

    // The lead: one form (m2); m1 is of a measure lee changed.
    let lee = login(&app, "lee").await;
    let page = get_ok(&app, &lee.http, "/lead/users/u7").await;
    assert_eq!(page.matches("<tr data-appeal=").count(), 3, "{page}");
    assert_eq!(
        page.matches("<tr class=\"appeal-forms\"").count(),
        1,
        "{page}"
    );
    assert!(
        page.contains("&lt;b&gt;bold&lt;&#x2f;b&gt;") || page.contains("&lt;b&gt;bold&lt;/b&gt;")
    );
    let pending = app.store.pending_user_actions(1000).await.unwrap().len();
    let r = post(
        &app,
        &lee,
        "/lead/users/u7/appeals/m1",
        &[("decision", "uphold"), ("note", "x")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    for bad in [
        [("decision", "maybe"), ("note", "x")],
        [("decision", "uphold"), ("note", " ")],
    ] {
        let r = post(&app, &lee, "/lead/users/u7/appeals/m2", &bad).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad:?}");
    }
    let r = post(
        &app,
        &lee,
        "/lead/users/u9/appeals/m2",
        &[("decision", "uphold"), ("note", "x")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "another user's appeal");
    assert_eq!(
        app.store.pending_user_actions(1000).await.unwrap().len(),
        pending
    );
    assert_eq!(
        measure_state(&app.store, "u7", restrict).await,
        MeasureState::InForce
    );
    let r = post(
        &app,
        &lee,
        "/lead/users/u7/appeals/m2",
        &[("decision", "uphold"), ("note", "申诉成立")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        measure_state(&app.store, "u7", restrict).await,
        MeasureState::Revoked
    );
    let page = get_ok(&app, &lee.http, "/lead/users/u7").await;
    assert_eq!(
        page.matches("<tr class=\"appeal-forms\"").count(),
        0,
        "{page}"
    );

    // bob upholds r1 with an approve: the strike is reversed.
    let bob = login(&app, "bob").await;
    let (status, html, token) = open(&app, &bob, item).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"appeal\""), "{html}");
    assert!(html.contains("<b id=\"appeal-decider\">ann</b>"), "{html}");
    let r = decide(
        &app,
        &bob,
        item,
        &token.unwrap(),
        "approve",
        "no_violation",
        "",
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let ledger = app.store.user_ledger("u7").await.unwrap();
    let s = ledger
        .strikes
        .iter()
        .find(|s| s.key == "verdict:u7")
        .unwrap();
    assert!(s.reversed_at.is_some(), "{s:?}");
    let case = app.store.item_appeal(item).await.unwrap().unwrap();
    assert_eq!(case.state, "upheld");
    assert_eq!(case.decided.unwrap().0, "bob");
}

/// The records page: a lead sees the period's violations, measures, complaints and appeals
/// (charts without script), downloads them as JSON and CSV with the same counts; a moderator
/// is refused; bad dates and formats are 400.
async fn records_page(db: &TestDb) {
    let app = app(db).await;
    seed(&app.store, &strikes("u3", 6, "prohibited_term")).await;
    // Three rejects as false information: the moderator's (`false_information`) has no library
    // entry, the worker's two repeat a refuted claim.
    let mut false_news = strikes("u4", 3, "known_false_news");
    false_news[0].reason_code = "false_information".into();
    for s in &mut false_news[1..] {
        s.refutation = Some(synth_review::decision::Refutation {
            claim: "吃碘盐可以防核辐射".into(),
            refuted_by: "卫生部".into(),
            refuted_at: Some("2011-03".into()),
        });
    }
    seed(&app.store, &false_news).await;
    let lee = login(&app, "lee").await;
    let html = get_ok(&app, &lee.http, "/lead/report").await;
    assert!(html.contains("<p id=\"rejects\">9 rejects"), "{html}");
    assert!(
        html.contains(
            "<td>known_false_news</td><td>吃碘盐可以防核辐射</td><td>卫生部</td><td>2011-03</td>"
        ),
        "{html}"
    );
    assert!(
        html.contains("<td>false_information</td><td><em>not in the rumour library</em></td>"),
        "{html}"
    );
    assert!(
        html.contains("<tr data-violation=\"gambling/Art. 10\">"),
        "{html}"
    );
    assert!(html.contains("<meter"), "{html}");
    assert!(html.contains("<tr data-kind=\"restrict\">"), "{html}");
    let r = lee
        .http
        .get(app.url("/lead/report?format=json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"synth-review-records-"));
    let json: serde_json::Value = r.json().await.unwrap();
    assert_eq!(json["rejects"], 9);
    assert_eq!(json["violations"][0]["by_moderators"], 2);
    assert_eq!(json["violations"][0]["by_worker"], 7);
    // u3's warning and restriction, u4's warning.
    assert_eq!(json["measures"].as_array().unwrap().len(), 3);
    let refutations = json["refutations"].as_array().unwrap();
    assert_eq!(refutations.len(), 3, "{refutations:?}");
    assert_eq!(
        refutations
            .iter()
            .filter(|r| r["refuted_by"] == "卫生部" && r["claim"] == "吃碘盐可以防核辐射")
            .count(),
        2,
        "{refutations:?}"
    );
    let (status, csv) = get(&app, &lee.http, "/lead/report?format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        csv.starts_with("section,id,user_id,category,article,kind,state,count,"),
        "{csv}"
    );
    assert_eq!(csv.lines().filter(|l| l.starts_with("measure,")).count(), 3);
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",claim,refuted_by,refuted_at"),
        "{csv}"
    );
    assert_eq!(
        csv.lines()
            .filter(|l| l.starts_with("refutation,")
                && l.ends_with(",吃碘盐可以防核辐射,卫生部,2011-03"))
            .count(),
        2,
        "{csv}"
    );
    // A period that misses the strikes (they are days old, up to an hour ago).
    let future = (time::OffsetDateTime::now_utc() + time::Duration::days(3)).date();
    let after = future.next_day().unwrap();
    let html = get_ok(
        &app,
        &lee.http,
        &format!("/lead/report?from={future}&to={after}"),
    )
    .await;
    assert!(html.contains("<p id=\"rejects\">0 rejects"), "{html}");
    for bad in [
        "/lead/report?from=2027-13-01",
        "/lead/report?from=2027-02-01&to=2027-01-01",
        "/lead/report?from=1990-01-01&to=2030-01-01",
        "/lead/report?format=xml",
    ] {
        let (status, body) = get(&app, &lee.http, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let ann = login(&app, "ann").await;
    let (status, _) = get(&app, &ann.http, "/lead/report").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// A lead adds the claim an item spreads to the rumour library: the form suggests the sentence
/// of the worker's held repeat; the claim is stored with the lead's name, listed on the item,
/// queued for the refuted-claims topic, and given to the refutation record of the item's
/// `false_information` reject. A claim the library's rules refuse, a repeat, a bad date and a
/// moderator are refused, with nothing changed.
async fn lead_adds_a_refuted_claim(db: &TestDb) {
    use synth_review::console::store::OutboxTopic;
    let app = app(db).await;
    let text = "群里都在转：喝绿豆汤能治好糖尿病，别再吃药了。";
    let sentence = "群里都在转：喝绿豆汤能治好糖尿病";
    let rec = record(
        "rumour-1",
        "u9",
        60,
        "健康提醒",
        text,
        "AI生成",
        &[(
            "news_source",
            "known_false_news",
            None,
            Some(("content.text", 0, sentence.chars().count(), sentence)),
        )],
    );
    let id = insert(&app.store, &rec).await;
    let mut strike = strikes("u9", 1, "false_information").remove(0);
    strike.event_id = "rumour-1".into();
    app.store
        .apply_strikes(
            "synth.rejected.v1",
            &[(0, 1)],
            &[strike],
            &LedgerPolicy::default(),
            "test-console",
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();

    let lee = login(&app, "lee").await;
    let (status, html, _) = open(&app, &lee, id).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("name=\"claim\" id=\"claim\" value=\"{sentence}\"")),
        "{html}"
    );
    let path = format!("/lead/items/{id}/refuted-claims");
    let before = app.store.item_refuted_claims(id).await.unwrap();
    for (form, want) in [
        (
            vec![("claim", "板蓝根"), ("refuted_by", "国家卫健委")],
            "letters or digits",
        ),
        (
            vec![("claim", "喝绿豆汤能治好糖尿病"), ("refuted_by", " ")],
            "refuted_by",
        ),
        (
            vec![
                ("claim", "喝绿豆汤能治好糖尿病"),
                ("refuted_by", "国家卫健委"),
                ("refuted_at", "2020-13"),
            ],
            "refuted_at",
        ),
        // The worker's shipped library has it already.
        (
            vec![("claim", "吃碘盐就能防核辐射"), ("refuted_by", "卫生部")],
            "claim repeats the shipped rumour library (data/rumours/known-rumours.csv) row 1",
        ),
        // A date that does not exist, or one in the future.
        (
            vec![
                ("claim", "喝绿豆汤能治好糖尿病"),
                ("refuted_by", "国家卫健委"),
                ("refuted_at", "2020-02-31"),
            ],
            "refuted_at",
        ),
        (
            vec![
                ("claim", "喝绿豆汤能治好糖尿病"),
                ("refuted_by", "国家卫健委"),
                ("refuted_at", "2999-01"),
            ],
            "refuted_at",
        ),
    ] {
        let r = post(&app, &lee, &path, &form).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{form:?}");
        let body = r.text().await.unwrap();
        assert!(body.contains(want), "{form:?}: {body}");
    }
    assert_eq!(app.store.item_refuted_claims(id).await.unwrap(), before);

    let r = post(
        &app,
        &lee,
        &path,
        &[
            ("claim", "喝绿豆汤能治好糖尿病"),
            ("refuted_by", "国家卫健委"),
            ("refuted_at", "2020-02"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        format!("/item/{id}#refuted-claims")
    );
    let added = app.store.item_refuted_claims(id).await.unwrap();
    assert_eq!(added.len(), 1);
    assert_eq!(
        (
            added[0].claim.as_str(),
            added[0].refuted_by.as_str(),
            added[0].added_by.as_str()
        ),
        ("喝绿豆汤能治好糖尿病", "国家卫健委", "lee")
    );
    let (_, html, _) = open(&app, &lee, id).await;
    assert!(
        html.contains("「喝绿豆汤能治好糖尿病」 refuted by 国家卫健委 (2020-02): added by lee"),
        "{html}"
    );
    let records = app
        .store
        .pending_records(OutboxTopic::RefutedClaims, 10)
        .await
        .unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["claim"], "喝绿豆汤能治好糖尿病");
    assert_eq!(records[0]["refuted_at"], "2020-02");
    assert_eq!(records[0]["added_by"]["id"], "lee");
    assert_eq!(records[0]["event_id"], "rumour-1");
    // The reject's refutation record now names it.
    let now = time::OffsetDateTime::now_utc();
    let report = app
        .store
        .regulator_report(
            now - time::Duration::days(30),
            now + time::Duration::days(1),
            now,
        )
        .await
        .unwrap();
    let line = report
        .refutations
        .iter()
        .find(|r| r.event_id == "rumour-1")
        .unwrap();
    assert_eq!(
        (line.claim.as_deref(), line.refuted_by.as_deref()),
        (Some("喝绿豆汤能治好糖尿病"), Some("国家卫健委"))
    );
    // The claim first, the reject after it (the natural order): the reject's record names it
    // too, under Art. 11 alone.
    let rec2 = record(
        "rumour-2",
        "u9",
        30,
        "健康提醒",
        "吃大蒜可以杀死癌细胞，快转发。",
        "AI生成",
        &[],
    );
    let id2 = insert(&app.store, &rec2).await;
    let r = post(
        &app,
        &lee,
        &format!("/lead/items/{id2}/refuted-claims"),
        &[
            ("claim", "吃大蒜可以杀死癌细胞"),
            ("refuted_by", "中国抗癌协会"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut strike = strikes("u9", 1, "false_information").remove(0);
    strike.key = "verdict:u9-2".into();
    strike.event_id = "rumour-2".into();
    strike.articles = vec!["Art. 11".into()];
    app.store
        .apply_strikes(
            "synth.rejected.v1",
            &[(0, 2)],
            &[strike],
            &LedgerPolicy::default(),
            "test-console",
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    let report = app
        .store
        .regulator_report(
            now - time::Duration::days(30),
            now + time::Duration::days(1),
            now,
        )
        .await
        .unwrap();
    let line = report
        .refutations
        .iter()
        .find(|r| r.event_id == "rumour-2")
        .unwrap();
    assert_eq!(
        line.claim.as_deref(),
        Some("吃大蒜可以杀死癌细胞"),
        "{line:?}"
    );
    // The same claim again, even worded a little differently: refused.
    for claim in ["喝绿豆汤能治好糖尿病", "喝绿豆汤可以治好糖尿病！"] {
        let r = post(
            &app,
            &lee,
            &path,
            &[("claim", claim), ("refuted_by", "卫健委")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{claim}");
    }
    assert_eq!(app.store.item_refuted_claims(id).await.unwrap().len(), 1);
    // Moderators neither see the form nor may post it.
    let ann = login(&app, "ann").await;
    let (_, html, _) = open(&app, &ann, id).await;
    assert!(!html.contains("refuted-claim-form"), "{html}");
    let r = post(
        &app,
        &ann,
        &path,
        &[
            ("claim", "吃大蒜能杀死新冠病毒"),
            ("refuted_by", "世卫组织"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post(
        &app,
        &lee,
        "/lead/items/999999/refuted-claims",
        &[
            ("claim", "吃大蒜能杀死新冠病毒"),
            ("refuted_by", "世卫组织"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.store
            .pending_records(OutboxTopic::RefutedClaims, 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

crate::backend_tests! {
    2;
    login_and_logout,
    login_rate_limit,
    session_required,
    csrf_is_checked,
    one_item_one_verdict,
    bad_input_is_refused,
    hostile_bytes_are_refused,
    redirects_and_methods,
    lead_pages,
    html_in_content_is_inert,
    item_page_shows_the_record,
    queue_filters_and_size,
    ledger_pages,
    lead_changes_measures,
    ledger_pages_are_for_leads,
    appeals_on_the_pages,
    records_page,
    lead_adds_a_refuted_claim,
}
