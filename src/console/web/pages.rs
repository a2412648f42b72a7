//! The moderators' pages: the queue, the item (opening it claims it), lease renewal, verdicts,
//! skip and escalation.

use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::templates::render;
use super::view::RecordView;
use super::{WebError, WebState};
use crate::console::store::{
    ItemId, ItemState, ItemSummary, QueueFilter, Role, Session, StoreError, Verdict, VerdictInput,
};

/// The signed-in user as the templates see it.
#[derive(Debug, Serialize)]
pub(super) struct Me {
    name: String,
    role: &'static str,
    lead: bool,
    csrf: String,
}

impl Me {
    pub(super) fn of(s: &Session) -> Me {
        Me {
            name: s.name.clone(),
            role: s.role.as_str(),
            lead: s.role == Role::Lead,
            csrf: s.csrf_token.clone(),
        }
    }
}

/// A time as the pages show it: RFC 3339, whole seconds, UTC.
pub(super) fn show_time(t: OffsetDateTime) -> String {
    crate::console::store::utc_text(t)
}

/// A duration as the pages show it: `2d 3h`, `4h 5m`, `6m 7s`, `8s`.
pub(super) fn show_duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (d, h, m, sec) = (s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {sec}s")
    } else {
        format!("{sec}s")
    }
}

/// A queue row as the templates see it.
#[derive(Debug, Serialize)]
pub(super) struct Row {
    rank: usize,
    item_id: ItemId,
    event_id: String,
    user_id: String,
    severity: i64,
    held_at: String,
    age: String,
    state: &'static str,
    holder: Option<String>,
    lease_left: Option<String>,
    reasons: Vec<Tag>,
    /// The deadline of the complaint case or appeal the item is the review round of (Art. 12).
    deadline: Option<String>,
    overdue: bool,
}

#[derive(Debug, Serialize)]
struct Tag {
    stage: String,
    code: String,
    category: Option<String>,
}

fn state_name(s: ItemState) -> &'static str {
    match s {
        ItemState::Queued => "queued",
        ItemState::Claimed => "claimed",
        ItemState::Escalated => "escalated",
        ItemState::Decided => "decided",
    }
}

// The reasons of a queue row, each (stage, code, category) once.
fn tags(reasons: &[crate::console::ReasonTag]) -> Vec<Tag> {
    let mut out: Vec<Tag> = Vec::new();
    for r in reasons {
        if !out
            .iter()
            .any(|t| t.stage == r.stage && t.code == r.code && t.category == r.category)
        {
            out.push(Tag {
                stage: r.stage.clone(),
                code: r.code.clone(),
                category: r.category.clone(),
            });
        }
    }
    out
}

pub(super) fn rows(items: &[ItemSummary], now: OffsetDateTime) -> Vec<Row> {
    items
        .iter()
        .enumerate()
        .map(|(i, it)| Row {
            rank: i + 1,
            item_id: it.item_id,
            event_id: it.event_id.clone(),
            user_id: it.user_id.clone(),
            severity: it.severity,
            held_at: show_time(it.held_at),
            age: show_duration((now - it.held_at).whole_milliseconds() as i64),
            state: state_name(it.state),
            holder: it.lease.as_ref().map(|(h, _)| h.clone()),
            lease_left: it
                .lease
                .as_ref()
                .map(|(_, e)| show_duration((*e - now).whole_milliseconds() as i64)),
            reasons: tags(&it.reasons),
            deadline: None,
            overdue: false,
        })
        .collect()
}

/// [`rows`] with the deadlines of the items that are complaint cases or appeals.
pub(super) async fn rows_with_deadlines(
    state: &WebState,
    items: &[ItemSummary],
    now: OffsetDateTime,
) -> Result<Vec<Row>, WebError> {
    let deadlines = state.store.open_deadlines().await?;
    let mut out = rows(items, now);
    for r in &mut out {
        if let Some(d) = deadlines.get(&r.item_id) {
            r.deadline = Some(show_time(*d));
            r.overdue = *d < now;
        }
    }
    Ok(out)
}

/// The queue's filters (query string); empty values are no filter.
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    stage: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    category: Option<String>,
}

impl Filters {
    pub(super) fn filter(&self, escalated: bool) -> QueueFilter {
        let set = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        QueueFilter {
            stage: set(&self.stage),
            reason_code: set(&self.code),
            category: set(&self.category),
            escalated,
            available_only: false,
            not_appealed_from: None,
        }
    }
}

/// The queue page (moderators' queue, or the leads' with `escalated`): at most
/// `queue_page` rows, most urgent first.
pub(super) async fn queue_page(
    state: &WebState,
    session: &Session,
    filters: &Filters,
    escalated: bool,
) -> Result<Response, WebError> {
    let now = state.now();
    let limit = state.settings.queue_page;
    let filter = filters.filter(escalated);
    let mut items = state.store.queue(&filter, limit + 1, now).await?;
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let html = render(
        "queue.html",
        minijinja::context! {
            me => Me::of(session),
            escalated => escalated,
            rows => rows_with_deadlines(state, &items, now).await?,
            more => more,
            limit => limit,
            stage => filter.stage,
            code => filter.reason_code,
            category => filter.category,
        },
    );
    Ok(html.into_response())
}

/// `GET /queue`.
pub async fn queue(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    filters: Result<Query<Filters>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let Query(filters) =
        filters.map_err(|e| WebError::bad_request(format!("bad filter: {}", e.body_text())))?;
    queue_page(&state, &session, &filters, false).await
}

/// `GET /next`'s query.
#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    queue: Option<String>,
    #[serde(default)]
    exclude: Option<ItemId>,
}

/// `GET /next`: a redirect to the most urgent item nobody holds (of the leads' queue with
/// `queue=escalated`, for a lead), leaving out `exclude` (the item just skipped); a page saying
/// the queue is empty when there is none.
pub async fn next(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    q: Result<Query<NextQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let Query(q) = q.map_err(|e| WebError::bad_request(format!("bad query: {}", e.body_text())))?;
    let escalated = match q.queue.as_deref() {
        None | Some("") => false,
        Some("escalated") => true,
        Some(other) => {
            return Err(WebError::bad_request(format!(
                "queue={other:?}: the only queue to name is `escalated`"
            )))
        }
    };
    if escalated && session.role != Role::Lead {
        return Err(WebError::forbidden(
            "the escalations queue is for leads only",
        ));
    }
    // Not an appeal of one's own reject: its page would only say so.
    let filter = QueueFilter {
        escalated,
        available_only: true,
        not_appealed_from: Some(session.name.clone()),
        ..QueueFilter::default()
    };
    let items = state.store.queue(&filter, 2, state.now()).await?;
    match items.iter().find(|i| Some(i.item_id) != q.exclude) {
        Some(item) => Ok(Redirect::to(&format!("/item/{}", item.item_id)).into_response()),
        None => Ok(render(
            "empty.html",
            minijinja::context! { me => Me::of(&session), escalated => escalated },
        )
        .into_response()),
    }
}

pub(super) fn item_id(path: Result<Path<ItemId>, PathRejection>) -> Result<ItemId, WebError> {
    match path {
        Ok(Path(id)) => Ok(id),
        Err(e) => Err(WebError::bad_request(format!(
            "not an item id: {}",
            e.body_text()
        ))),
    }
}

/// The form of a POST, or 400 "malformed form: … Nothing was changed.".
pub(super) fn form<T>(form: Result<Form<T>, FormRejection>) -> Result<T, WebError> {
    match form {
        Ok(Form(f)) => Ok(f),
        Err(e) => Err(WebError::bad_request(format!(
            "malformed form: {}. Nothing was changed.",
            e.body_text()
        ))),
    }
}

#[derive(Debug, Serialize)]
struct HistoryRow {
    item_id: ItemId,
    event_id: String,
    round: i64,
    held_at: String,
    verdict: Option<String>,
    moderator: Option<String>,
    reason_code: Option<String>,
    current: bool,
}

#[derive(Debug, Serialize)]
struct AuditRow {
    at: String,
    actor: String,
    action: &'static str,
    detail: Option<String>,
}

/// The reason codes offered for a verdict: approve's, and reject's (the item's own codes
/// first).
pub const APPROVE_CODES: &[&str] = &["no_violation", "label_sufficient", "source_verified"];
/// Reject codes offered besides the item's own reason codes.
///
/// `false_information` marks false information the rumour library does not know yet (Art. 11): the
/// reject is recorded as a refutation, and a lead can add the refuted claim from the item.
pub const REJECT_CODES: &[&str] = &[
    "confirmed_violation",
    "false_information",
    "other_violation",
];

/// `GET /item/{id}`: opens the item and claims it (a lease of `WebSettings::lease`). When the
/// claim is refused the item is shown read-only with why: 409 when someone else holds it, 403
/// for a moderator on an escalated item, 200 for a decided one (its verdict shown); 404 for an
/// unknown id.
pub async fn item(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    path: Result<Path<ItemId>, PathRejection>,
) -> Result<Response, WebError> {
    let id = item_id(path)?;
    let now = state.now();
    let claim = state
        .store
        .claim(id, &session.name, session.role, state.settings.lease, now)
        .await;
    let (lease, refusal, status) = match claim {
        Ok(lease) => (Some(lease), None, StatusCode::OK),
        Err(StoreError::AlreadyDecided(_)) => (None, None, StatusCode::OK),
        Err(
            e @ (StoreError::Claimed { .. }
            | StoreError::Escalated(_)
            | StoreError::NotClaimed(_)
            | StoreError::AppealByDecider { .. }),
        ) => {
            let w = WebError::from(e);
            (None, Some(w.message), w.status)
        }
        Err(e) => return Err(e.into()),
    };
    let Some(item) = state.store.item(id, now).await? else {
        return Err(StoreError::UnknownItem(id).into());
    };
    let view = RecordView::from_record(&item.record);
    let history = state
        .store
        .history(&item.summary.user_id, state.settings.history_limit)
        .await?
        .into_iter()
        .map(|h| HistoryRow {
            item_id: h.item_id,
            event_id: h.event_id,
            round: h.round,
            held_at: show_time(h.held_at),
            verdict: h.verdict.as_ref().map(|v| v.verdict.as_str().to_owned()),
            moderator: h.verdict.as_ref().map(|v| v.moderator.clone()),
            reason_code: h.verdict.as_ref().map(|v| v.reason_code.clone()),
            current: h.item_id == id,
        })
        .collect::<Vec<_>>();
    let audit = state
        .store
        .audit_log(Some(id), None, 100)
        .await?
        .into_iter()
        .map(|a| AuditRow {
            at: show_time(a.occurred_at),
            actor: a.actor,
            action: a.action.as_str(),
            detail: a.detail,
        })
        .collect::<Vec<_>>();
    let mut reject_codes: Vec<String> = Vec::new();
    for c in view
        .reasons
        .iter()
        .map(|r| r.code.as_str())
        .chain(REJECT_CODES.iter().copied())
    {
        if !c.is_empty() && !reject_codes.iter().any(|k| k == c) {
            reject_codes.push(c.to_owned());
        }
    }
    let verdict = item.verdict.as_ref().map(|v| {
        minijinja::context! {
            decision => v.verdict.as_str(),
            moderator => v.moderator,
            reason_code => v.reason_code,
            note => v.note,
            at => show_time(v.decided_at),
        }
    });
    let escalation = item.escalation.as_ref().map(|e| {
        minijinja::context! { by => e.by, note => e.note, at => show_time(e.at) }
    });
    let lease_ctx = lease.as_ref().map(|l| {
        minijinja::context! {
            token => l.token,
            expires_at => show_time(l.expires_at),
            expires_in_ms => (l.expires_at - now).whole_milliseconds() as i64,
            lease_ms => state.settings.lease.as_millis() as i64,
        }
    });
    let appeal = state.store.item_appeal(id).await?.map(|c| {
        minijinja::context! {
            appeal_id => c.appeal.appeal_id,
            text => c.appeal.text,
            received_at => show_time(c.appeal.received_at),
            deadline => show_time(c.deadline),
            overdue => c.state == "open" && c.deadline < now,
            strike_key => c.strike_key,
            original_decider => c.original_decider,
            state => c.state,
        }
    });
    let complaint_case = state.store.complaint_case(id).await?.map(|c| {
        let complaints = c
            .complaints
            .iter()
            .map(|(cid, category, reporter, text, at)| {
                minijinja::context! { id => cid, category => category, reporter => reporter,
                text => text, at => show_time(*at) }
            })
            .collect::<Vec<_>>();
        minijinja::context! {
            case_id => c.case_id,
            deadline => show_time(c.deadline),
            overdue => c.state == "open" && c.deadline < now,
            state => c.state,
            outcome => c.outcome,
            complaints => complaints,
        }
    });
    // Leads add refuted claims from the item (Art. 11): the ones added, and the claim the
    // worker's evidence suggests (the sentence of a held repeat), else empty.
    let refuted_claims = if session.role == Role::Lead {
        state
            .store
            .item_refuted_claims(id)
            .await?
            .into_iter()
            .map(|c| {
                minijinja::context! {
                    claim => c.claim, refuted_by => c.refuted_by, refuted_at => c.refuted_at,
                    added_by => c.added_by, added_at => show_time(c.added_at),
                }
            })
            .collect::<Vec<_>>()
    } else {
        Vec::new()
    };
    let claim_suggestion = view
        .reasons
        .iter()
        .find(|r| r.code == crate::console::store::FALSE_NEWS_CODE)
        .and_then(|r| r.matched.clone())
        .unwrap_or_default();
    let s = &item.summary;
    let html = render(
        "item.html",
        minijinja::context! {
            me => Me::of(&session),
            item_id => id,
            event_id => s.event_id,
            round => s.round,
            user_id => s.user_id,
            user_seg => super::ledger::path_segment(&s.user_id),
            severity => s.severity,
            held_at => show_time(s.held_at),
            age => show_duration((now - s.held_at).whole_milliseconds() as i64),
            state => state_name(s.state),
            lease => lease_ctx,
            refusal => refusal,
            view => view,
            history => history,
            audit => audit,
            verdict => verdict,
            escalation => escalation,
            appeal => appeal,
            complaint_case => complaint_case,
            refuted_claims => refuted_claims,
            claim_suggestion => claim_suggestion,
            max_claim => crate::console::store::MAX_CLAIM_CHARS,
            approve_codes => APPROVE_CODES,
            reject_codes => reject_codes,
            max_note => crate::console::store::MAX_NOTE_CHARS,
        },
    );
    Ok((status, html).into_response())
}

/// A form that carries a lease token.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    token: String,
}

/// `POST /item/{id}/renew` (the page's script, with the `X-CSRF-Token` header): extends the
/// lease by `WebSettings::lease`; answers `{"expires_in_ms": N, "expires_at": "RFC 3339"}`.
pub async fn renew(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    path: Result<Path<ItemId>, PathRejection>,
    f: Result<Form<TokenForm>, FormRejection>,
) -> Result<Response, WebError> {
    let id = item_id(path)?;
    let f = form(f)?;
    let now = state.now();
    let lease = state
        .store
        .renew(id, &f.token, &session.name, state.settings.lease, now)
        .await?;
    Ok(Json(serde_json::json!({
        "expires_in_ms": (lease.expires_at - now).whole_milliseconds() as i64,
        "expires_at": show_time(lease.expires_at),
    }))
    .into_response())
}

/// Approve or reject, as the form sends it.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerdictField {
    /// `approve`.
    Approve,
    /// `reject`.
    Reject,
}

/// The verdict form.
#[derive(Debug, Deserialize)]
pub struct DecideForm {
    token: String,
    verdict: VerdictField,
    reason_code: String,
    #[serde(default)]
    note: String,
}

fn note(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|n| !n.is_empty())
}

/// `POST /item/{id}/decide`: the verdict, accepted only with the current lease token of this
/// moderator (else a refusal that changes nothing); then a redirect to the next item.
pub async fn decide(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    path: Result<Path<ItemId>, PathRejection>,
    f: Result<Form<DecideForm>, FormRejection>,
) -> Result<Response, WebError> {
    let id = item_id(path)?;
    let f = form(f)?;
    let verdict = match f.verdict {
        VerdictField::Approve => Verdict::Approve,
        VerdictField::Reject => Verdict::Reject,
    };
    let now = state.now();
    let code = f.reason_code.trim();
    // Only a code the item page offers: approve's, or reject's and the item's own codes.
    let offered = match verdict {
        Verdict::Approve => APPROVE_CODES.contains(&code),
        Verdict::Reject if REJECT_CODES.contains(&code) => true,
        Verdict::Reject => match state.store.item(id, now).await? {
            Some(item) => RecordView::from_record(&item.record)
                .reasons
                .iter()
                .any(|r| r.code == code),
            None => return Err(StoreError::UnknownItem(id).into()),
        },
    };
    if !offered {
        return Err(WebError::bad_request(format!(
            "reason code {code:?} is not one the item page offers for {}: nothing was changed",
            verdict.as_str()
        )));
    }
    let input = VerdictInput {
        verdict,
        reason_code: code,
        note: note(&f.note),
    };
    state
        .store
        .decide(id, &f.token, &session.name, &input, now)
        .await?;
    // The verdict is stored: a failure to read the item back now must not answer as if it
    // were refused, so it only costs the metric (logged) and the escalations queue redirect.
    let mut then = "/next".to_owned();
    match state.store.item(id, now).await {
        Ok(Some(item)) => {
            state.metrics.verdict(verdict, now - item.summary.held_at);
            if item.escalation.is_some() && session.role == Role::Lead {
                then = "/next?queue=escalated".to_owned();
            }
        }
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(item = id, error = %e, "verdict stored; reading the item back failed")
        }
    }
    Ok(Redirect::to(&then).into_response())
}

/// `POST /item/{id}/skip`: gives the lease back; then the next item (not this one).
pub async fn skip(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    path: Result<Path<ItemId>, PathRejection>,
    f: Result<Form<TokenForm>, FormRejection>,
) -> Result<Response, WebError> {
    let id = item_id(path)?;
    let f = form(f)?;
    let now = state.now();
    let escalated = state
        .store
        .item(id, now)
        .await?
        .is_some_and(|i| i.escalation.is_some());
    state.store.skip(id, &f.token, &session.name, now).await?;
    let queue = if escalated && session.role == Role::Lead {
        "queue=escalated&"
    } else {
        ""
    };
    Ok(Redirect::to(&format!("/next?{queue}exclude={id}")).into_response())
}

/// The escalation form.
#[derive(Debug, Deserialize)]
pub struct EscalateForm {
    token: String,
    #[serde(default)]
    note: String,
}

/// `POST /item/{id}/escalate`: sends the item to the leads with a note; then the next item.
pub async fn escalate(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    path: Result<Path<ItemId>, PathRejection>,
    f: Result<Form<EscalateForm>, FormRejection>,
) -> Result<Response, WebError> {
    let id = item_id(path)?;
    let f = form(f)?;
    state
        .store
        .escalate(id, &f.token, &session.name, note(&f.note), state.now())
        .await?;
    Ok(Redirect::to("/next").into_response())
}
