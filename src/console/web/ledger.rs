//! The leads' ledger pages (403 for a moderator, like every `/lead/…` page): the users with
//! measures, one user's strikes and measures, and a lead's lift or change of a measure
//! ([`Store::change_measure`](crate::console::Store::change_measure)).
//!
//! User ids and measure ids are path segments, percent-encoded ([`path_segment`]) wherever a
//! page links to them: an id may hold `/`, `?`, `#`, `@` or anything else. The templates write
//! the literal part of a path and the encoded segment (the HTML escape leaves `%` and the
//! unreserved characters alone).

use std::time::Duration;

use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::pages::{show_time, Me};
use super::templates::render;
use super::{WebError, WebState};
use crate::console::appeal::AppealTarget;
use crate::console::ledger::MeasureKind;
use crate::console::store::{
    MeasureChange, MeasureState, Session, StoreError, StoredMeasure, StoredStrike, MAX_NOTE_CHARS,
    MAX_USER_ID_CHARS,
};

/// Users the list shows at most.
pub const USERS_PAGE: u32 = 200;

/// The longest duration a change takes, in days (about ten years).
pub const MAX_DURATION_DAYS: u64 = 3650;

/// `s` as one path segment: every byte but ASCII letters, digits, `-`, `_` and `~`
/// percent-encoded (`/` and `.` too, so that an id is never read as a separator or a dot
/// segment).
pub fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The user page's path, `/lead/users/{user_id}` (encoded).
pub fn user_path(user_id: &str) -> String {
    format!("/lead/users/{}", path_segment(user_id))
}

fn check_user_id(user_id: &str) -> Result<(), WebError> {
    let n = user_id.chars().count();
    if n > MAX_USER_ID_CHARS {
        return Err(WebError::bad_request(format!(
            "a user id of {n} characters: at most {MAX_USER_ID_CHARS}. Nothing was changed."
        )));
    }
    Ok(())
}

#[derive(Debug, Serialize)]
struct UserRow {
    user_id: String,
    /// The user id as a path segment.
    seg: String,
    strikes: u64,
    level: Option<u32>,
    latest_kind: Option<String>,
    latest_at: Option<String>,
}

/// `GET /lead/users`: the users with measures (at most [`USERS_PAGE`]), latest measure first:
/// strikes, the highest level in force, the latest measure; each links to the user's page.
pub async fn users(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
) -> Result<Response, WebError> {
    let mut users = state.store.ledger_users(USERS_PAGE + 1).await?;
    let more = users.len() > USERS_PAGE as usize;
    users.truncate(USERS_PAGE as usize);
    let rows: Vec<UserRow> = users
        .into_iter()
        .map(|u| UserRow {
            seg: path_segment(&u.user_id),
            strikes: u.strikes,
            level: u.level,
            latest_kind: u.latest.as_ref().map(|(k, _)| k.clone()),
            latest_at: u.latest.as_ref().map(|(_, t)| show_time(*t)),
            user_id: u.user_id,
        })
        .collect();
    Ok(render(
        "users.html",
        minijinja::context! {
            me => Me::of(&session),
            rows => rows,
            more => more,
            limit => USERS_PAGE,
        },
    )
    .into_response())
}

#[derive(Debug, Serialize)]
struct StrikeRow {
    key: String,
    event_id: String,
    reason_code: String,
    category: Option<String>,
    articles: String,
    weight: u32,
    at: String,
    moderator: Option<String>,
    reversed_at: Option<String>,
}

impl StrikeRow {
    fn of(s: StoredStrike) -> StrikeRow {
        StrikeRow {
            articles: s.articles.join(", "),
            at: show_time(s.at),
            reversed_at: s.reversed_at.map(show_time),
            key: s.key,
            event_id: s.event_id,
            reason_code: s.reason_code,
            category: s.category,
            weight: s.weight,
            moderator: s.moderator,
        }
    }
}

#[derive(Debug, Serialize)]
struct MeasureRow {
    measure_id: String,
    /// The measure id as a path segment.
    seg: String,
    level: u32,
    kind: String,
    function: Option<String>,
    until: Option<String>,
    points: u32,
    strikes: String,
    articles: String,
    issued_at: String,
    state: &'static str,
    changed_by: Option<String>,
    changed_at: Option<String>,
    note: Option<String>,
    changed_to: Option<String>,
    can_lift: bool,
    can_change: bool,
}

// What a change replaced a measure with: `restrict publish_x until T`.
fn show_changed_to(v: &Value) -> String {
    let text = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let mut out = text("kind").unwrap_or("?").to_owned();
    if let Some(f) = text("function") {
        out.push(' ');
        out.push_str(f);
    }
    if let Some(u) = text("until") {
        out.push_str(" until ");
        out.push_str(u);
    }
    out
}

impl MeasureRow {
    fn of(m: StoredMeasure) -> MeasureRow {
        let (changed_by, changed_at, note) = match m.changed {
            Some((by, at, note)) => (Some(by), Some(show_time(at)), Some(note)),
            None => (None, None, None),
        };
        MeasureRow {
            seg: path_segment(&m.measure_id),
            measure_id: m.measure_id,
            level: m.level,
            kind: m.kind,
            function: m.function,
            until: m.until.map(show_time),
            points: m.points,
            strikes: m.strikes.join(", "),
            articles: m.articles.join(", "),
            issued_at: show_time(m.issued_at),
            state: m.state.as_str(),
            changed_by,
            changed_at,
            note,
            changed_to: m.changed_to.as_ref().map(show_changed_to),
            can_lift: matches!(m.state, MeasureState::InForce | MeasureState::Changed),
            can_change: m.state == MeasureState::InForce,
        }
    }
}

fn user_id(path: Result<Path<String>, PathRejection>) -> Result<String, WebError> {
    let Path(id) =
        path.map_err(|e| WebError::bad_request(format!("not a user id: {}", e.body_text())))?;
    check_user_id(&id)?;
    Ok(id)
}

/// `GET /lead/users/{user_id}`: the user's strikes and measures, newest first, with a form to
/// lift each measure not lifted and to change each one in force. 400 for a user id over
/// [`MAX_USER_ID_CHARS`]; a user without strikes or measures gets a page that says so.
pub async fn user(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, WebError> {
    let user_id = user_id(path)?;
    let ledger = state.store.user_ledger(&user_id).await?;
    let strikes: Vec<StrikeRow> = ledger.strikes.into_iter().map(StrikeRow::of).collect();
    let measures: Vec<MeasureRow> = ledger.measures.into_iter().map(MeasureRow::of).collect();
    let points: u32 = strikes
        .iter()
        .filter(|s| s.reversed_at.is_none())
        .map(|s| s.weight)
        .sum();
    let now = state.now();
    let appeals: Vec<_> = state
        .store
        .user_appeals(&user_id)
        .await?
        .into_iter()
        .map(|c| {
            let (kind, target) = match &c.appeal.target {
                AppealTarget::Reject { event_id } => ("reject", event_id.clone()),
                AppealTarget::Measure { measure_id } => ("measure", measure_id.clone()),
            };
            minijinja::context! {
                appeal_id => c.appeal.appeal_id,
                seg => path_segment(&c.appeal.appeal_id),
                kind => kind,
                target => target,
                text => c.appeal.text,
                received_at => show_time(c.appeal.received_at),
                deadline => show_time(c.deadline),
                overdue => matches!(c.state.as_str(), "open" | "waiting") && c.deadline < now,
                state => c.state,
                refusal => c.refusal,
                original_decider => c.original_decider,
                decided_by => c.decided.as_ref().map(|d| d.0.clone()),
                decided_at => c.decided.as_ref().map(|d| show_time(d.1)),
                note => c.note,
                item_id => c.item_id,
                can_decide => kind == "measure" && c.state == "open"
                    && c.original_decider.as_deref() != Some(session.name.as_str()),
            }
        })
        .collect();
    Ok(render(
        "user.html",
        minijinja::context! {
            me => Me::of(&session),
            user_seg => path_segment(&user_id),
            user_id => user_id,
            strikes => strikes,
            measures => measures,
            points => points,
            appeals => appeals,
            max_note => MAX_NOTE_CHARS,
            max_days => MAX_DURATION_DAYS,
        },
    )
    .into_response())
}

/// Lift or change, as the form sends it.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MeasureAction {
    /// `lift`.
    Lift,
    /// `change`.
    Change,
}

/// The lift or change form. `kind`, `function` and `duration_days` are read for a change.
#[derive(Debug, Deserialize)]
pub struct MeasureForm {
    action: MeasureAction,
    #[serde(default)]
    note: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    function: String,
    #[serde(default)]
    duration_days: String,
}

// The duration of a change: empty for none, else 1 to MAX_DURATION_DAYS whole days.
fn duration(days: &str) -> Result<Option<Duration>, WebError> {
    let days = days.trim();
    if days.is_empty() {
        return Ok(None);
    }
    match days.parse::<u64>() {
        Ok(d) if (1..=MAX_DURATION_DAYS).contains(&d) => Ok(Some(Duration::from_secs(d * 86_400))),
        _ => Err(WebError::bad_request(format!(
            "duration_days={days:?}: a whole number of days from 1 to {MAX_DURATION_DAYS}, or \
             empty. Nothing was changed."
        ))),
    }
}

fn measure_change(f: &MeasureForm) -> Result<MeasureChange, WebError> {
    match f.action {
        MeasureAction::Lift => Ok(MeasureChange::Lift),
        MeasureAction::Change => {
            let function = Some(f.function.trim()).filter(|s| !s.is_empty());
            let kind =
                MeasureKind::from_parts(f.kind.trim(), function, duration(&f.duration_days)?)
                    .map_err(|e| WebError::bad_request(format!("{e}. Nothing was changed.")))?;
            Ok(MeasureChange::To(kind))
        }
    }
}

/// A store refusal of a lead's write as the page answers it: a 400 says nothing was changed.
pub(super) fn refusal(e: StoreError) -> WebError {
    let w = WebError::from(e);
    if w.status == StatusCode::BAD_REQUEST {
        WebError::bad_request(format!("{} Nothing was changed.", w.message))
    } else {
        w
    }
}

/// `POST /lead/users/{user_id}/measures/{measure_id}` (with the CSRF token): `action=lift`, or
/// `action=change` with `kind` (`warn`, `restrict`, `suspend`, `close`), `function` (for a
/// restriction) and `duration_days` (for a suspension; optional for a restriction), and a
/// `note` (required) — recorded with the lead's name and written to the user-actions outbox;
/// then back to the user's page (303). An unknown measure, one lifted already, a change of a
/// changed one, an empty note or a malformed kind: 400, nothing changed.
pub async fn change(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    path: Result<Path<(String, String)>, PathRejection>,
    f: Result<Form<MeasureForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Path((user_id, measure_id)) = path.map_err(|e| {
        WebError::bad_request(format!("not a user and measure id: {}", e.body_text()))
    })?;
    check_user_id(&user_id)?;
    let f = super::pages::form(f)?;
    let change = measure_change(&f)?;
    state
        .store
        .change_measure(
            &user_id,
            &measure_id,
            &session.name,
            &change,
            &f.note,
            &state.settings.console_id,
            state.now(),
        )
        .await
        .map_err(refusal)?;
    Ok(Redirect::to(&user_path(&user_id)).into_response())
}

/// The form deciding an appeal of a measure: `decision` `uphold` or `dismiss`, and a `note`.
#[derive(Debug, Deserialize)]
pub struct AppealForm {
    decision: String,
    #[serde(default)]
    note: String,
}

/// `POST /lead/users/{user_id}/appeals/{appeal_id}` (with the CSRF token): a lead decides an
/// open appeal of a measure — `decision=uphold` revokes the measure, `dismiss` keeps it — with
/// a `note` (required); the outcome goes to the user-actions outbox; then back to the user's
/// page (303). The lead who changed the measure: 403. An unknown appeal, one of a reject (it is
/// decided on its item), one decided already, an empty note, another decision: 400. Nothing is
/// changed by a refusal.
pub async fn decide_appeal(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    path: Result<Path<(String, String)>, PathRejection>,
    f: Result<Form<AppealForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Path((user_id, appeal_id)) = path.map_err(|e| {
        WebError::bad_request(format!("not a user and appeal id: {}", e.body_text()))
    })?;
    check_user_id(&user_id)?;
    let f = super::pages::form(f)?;
    let upheld = match f.decision.as_str() {
        "uphold" => true,
        "dismiss" => false,
        other => {
            return Err(WebError::bad_request(format!(
                "decision={other:?}: uphold or dismiss. Nothing was changed."
            )))
        }
    };
    let of_user = state
        .store
        .user_appeals(&user_id)
        .await?
        .iter()
        .any(|c| c.appeal.appeal_id == appeal_id);
    if !of_user {
        return Err(WebError::bad_request(format!(
            "user {user_id:?} has no appeal {appeal_id:?}. Nothing was changed."
        )));
    }
    state
        .store
        .decide_measure_appeal(&appeal_id, &session.name, upheld, &f.note, state.now())
        .await
        .map_err(refusal)?;
    Ok(Redirect::to(&user_path(&user_id)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_one_path_segment() {
        assert_eq!(path_segment("u-1_x~"), "u-1_x~");
        assert_eq!(path_segment("a/b?c#d"), "a%2Fb%3Fc%23d");
        assert_eq!(path_segment(".."), "%2E%2E");
        assert_eq!(path_segment("L1@worker:e 1"), "L1%40worker%3Ae%201");
        assert_eq!(path_segment("用户"), "%E7%94%A8%E6%88%B7");
        assert_eq!(user_path("<b>"), "/lead/users/%3Cb%3E");
    }

    #[test]
    fn durations_are_whole_days_in_range() {
        assert_eq!(duration(" ").unwrap(), None);
        assert_eq!(
            duration("7").unwrap(),
            Some(Duration::from_secs(7 * 86_400))
        );
        for bad in ["0", "-1", "1.5", "x", "3651"] {
            assert_eq!(duration(bad).unwrap_err().status, StatusCode::BAD_REQUEST);
        }
    }

    #[test]
    fn changes_are_read_from_the_form() {
        let form = |action, kind: &str, function: &str, days: &str| MeasureForm {
            action,
            note: "n".into(),
            kind: kind.into(),
            function: function.into(),
            duration_days: days.into(),
        };
        assert_eq!(
            measure_change(&form(MeasureAction::Lift, "bogus", "", "x")).unwrap(),
            MeasureChange::Lift
        );
        assert_eq!(
            measure_change(&form(MeasureAction::Change, "suspend", "", "3")).unwrap(),
            MeasureChange::To(MeasureKind::Suspend {
                duration: Duration::from_secs(3 * 86_400)
            })
        );
        assert_eq!(
            measure_change(&form(MeasureAction::Change, "restrict", "comment", "")).unwrap(),
            MeasureChange::To(MeasureKind::Restrict {
                function: "comment".into(),
                duration: None
            })
        );
        for (kind, function, days) in [("suspend", "", ""), ("restrict", " ", "2"), ("ban", "", "")]
        {
            let e = measure_change(&form(MeasureAction::Change, kind, function, days)).unwrap_err();
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{kind}");
        }
    }

    #[test]
    fn changed_to_reads_the_stored_json() {
        let v = serde_json::json!({"kind": "restrict", "function": "comment", "until": "2027-01-01T00:00:00Z"});
        assert_eq!(
            show_changed_to(&v),
            "restrict comment until 2027-01-01T00:00:00Z"
        );
        assert_eq!(
            show_changed_to(&serde_json::json!({"kind": "warn", "function": null})),
            "warn"
        );
    }
}
