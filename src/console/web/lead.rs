//! The leads' pages (403 for a moderator, [`super::session::require_lead`]): the escalations
//! queue, the claims in flight with their release and assignment to a named account
//! (reassignment), and the decision statistics.

use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::{Deserialize, Serialize};

use super::pages::{queue_page, rows, show_duration, Filters, Me};
use super::templates::render;
use super::{WebError, WebState};
use crate::console::store::{ItemId, NewRefutedClaim, Session};

/// `GET /lead/escalations`: the escalated items, most urgent first; opening one claims it for
/// the lead, who decides it.
pub async fn escalations(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    filters: Result<Query<Filters>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(filters) =
        filters.map_err(|e| WebError::bad_request(format!("bad filter: {}", e.body_text())))?;
    queue_page(&state, &session, &filters, true).await
}

/// `GET /lead/claims`: every unexpired lease (moderators' and leads' queues), soonest to expire
/// first, with a button that releases it, and a form that assigns an item to a named account.
pub async fn claims(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
) -> Result<Response, WebError> {
    let now = state.now();
    let items = state.store.claims(now).await?;
    Ok(render(
        "claims.html",
        minijinja::context! {
            me => Me::of(&session),
            rows => rows(&items, now),
            assign_minutes => state.settings.assign_lease.as_secs() / 60,
        },
    )
    .into_response())
}

/// The assignment form.
#[derive(Debug, Deserialize)]
pub struct AssignForm {
    item_id: ItemId,
    moderator: String,
}

/// `POST /lead/assign`: claims `item_id` in the name of the account `moderator` for
/// `WebSettings::assign_lease` (nobody else can take it meanwhile; when they open it, it is
/// theirs); then the claims page. Refused like a claim when someone holds the item or it is
/// decided; 404 for an unknown account.
pub async fn assign(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    f: Result<Form<AssignForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = super::pages::form(f)?;
    let name = f.moderator.trim();
    let Some(account) = state.store.account(name).await? else {
        return Err(WebError::new(
            StatusCode::NOT_FOUND,
            format!("no account named {name:?}: nothing was changed"),
        ));
    };
    state
        .store
        .assign(
            f.item_id,
            &session.name,
            &account.name,
            account.role,
            state.settings.assign_lease,
            state.now(),
        )
        .await?;
    Ok(Redirect::to("/lead/claims").into_response())
}

/// The release form.
#[derive(Debug, Deserialize)]
pub struct ReleaseForm {
    item_id: ItemId,
}

/// `POST /lead/release`: ends the lease on `item_id` (the holder's page can no longer decide
/// it), back to its queue for anyone; then the claims page.
pub async fn release(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    f: Result<Form<ReleaseForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = super::pages::form(f)?;
    state
        .store
        .release_claim(f.item_id, &session.name, state.now())
        .await?;
    Ok(Redirect::to("/lead/claims").into_response())
}

/// The stats page's query: the period in days (default 7, 1 to 366).
#[derive(Debug, Deserialize)]
pub struct StatsQuery {
    #[serde(default)]
    days: Option<u32>,
}

#[derive(Debug, Serialize)]
struct StatsRow {
    moderator: String,
    decisions: i64,
    approved: i64,
    rejected: i64,
    mean_claim: String,
    max_claim: String,
    mean_held: String,
    max_held: String,
}

/// `GET /lead/stats?days=N`: decisions per moderator in the last N days, with the mean and
/// longest times from claim to verdict and from hold to verdict.
pub async fn stats(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    q: Result<Query<StatsQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(q) = q.map_err(|e| WebError::bad_request(format!("bad query: {}", e.body_text())))?;
    let days = q.days.unwrap_or(7);
    if !(1..=366).contains(&days) {
        return Err(WebError::bad_request(format!("days={days}: 1 to 366 days")));
    }
    let since = state.now() - time::Duration::days(i64::from(days));
    let rows: Vec<StatsRow> = state
        .store
        .moderator_stats(since)
        .await?
        .into_iter()
        .map(|s| StatsRow {
            moderator: s.moderator,
            decisions: s.decisions,
            approved: s.approved,
            rejected: s.rejected,
            mean_claim: show_duration(s.mean_claim_to_verdict_ms),
            max_claim: show_duration(s.max_claim_to_verdict_ms),
            mean_held: show_duration(s.mean_held_to_verdict_ms),
            max_held: show_duration(s.max_held_to_verdict_ms),
        })
        .collect();
    let total: i64 = rows.iter().map(|r| r.decisions).sum();
    Ok(render(
        "stats.html",
        minijinja::context! { me => Me::of(&session), rows => rows, days => days, total => total },
    )
    .into_response())
}

/// The records page's query: the period `from` (included) to `to` (excluded), dates
/// `YYYY-MM-DD` in UTC (default: the last 30 days up to tomorrow), and `format` `html`
/// (default), `json` or `csv`.
#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    format: Option<String>,
}

fn report_date(name: &str, v: &str) -> Result<time::OffsetDateTime, WebError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(v.trim(), &format)
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| WebError::bad_request(format!("{name}={v:?}: a date YYYY-MM-DD (UTC)")))
}

/// `GET /lead/report?from=YYYY-MM-DD&to=YYYY-MM-DD&format=html|json|csv`: the records for the
/// regulator (Art. 10, 11, 12) of the period ([`crate::console::store::Report`]): violations
/// by category and article, measures, complaints and appeals with their time to outcome, and
/// the rejects as false information. `html` shows them with bar charts (`<meter>`, no script);
/// `json` and `csv` are downloads (`Content-Disposition: attachment`). A bad date, a period
/// that ends before it starts or spans more than `MAX_REPORT_DAYS`, another format: 400.
pub async fn report(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(q) = q.map_err(|e| WebError::bad_request(format!("bad query: {}", e.body_text())))?;
    let now = state.now();
    let today = now.date().midnight().assume_utc();
    let to = match q.to.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(v) => report_date("to", v)?,
        None => today + time::Duration::days(1),
    };
    let from = match q.from.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(v) => report_date("from", v)?,
        None => to - time::Duration::days(30),
    };
    let report = state.store.regulator_report(from, to, now).await?;
    let day = |t: time::OffsetDateTime| t.date().to_string();
    let name = format!("synth-review-records-{}-{}", day(from), day(to));
    match q.format.as_deref().unwrap_or("html") {
        "json" => {
            let body = serde_json::to_string_pretty(&report)
                .map_err(|e| WebError::bad_request(e.to_string()))?;
            Ok((
                [
                    (
                        axum::http::header::CONTENT_TYPE,
                        "application/json".to_owned(),
                    ),
                    (
                        axum::http::header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}.json\""),
                    ),
                ],
                body,
            )
                .into_response())
        }
        "csv" => {
            let body = report.to_csv().map_err(WebError::bad_request)?;
            Ok((
                [
                    (
                        axum::http::header::CONTENT_TYPE,
                        "text/csv; charset=utf-8".to_owned(),
                    ),
                    (
                        axum::http::header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}.csv\""),
                    ),
                ],
                body,
            )
                .into_response())
        }
        "html" => {
            let max_violations = report
                .violations
                .iter()
                .map(|v| v.rejects)
                .max()
                .unwrap_or(0);
            let max_measures = report.measures_by_kind.values().copied().max().unwrap_or(0);
            let complaint_outcomes = tally(report.complaints.iter().map(|c| c.outcome.as_str()));
            let appeal_states = tally(report.appeals.iter().map(|a| a.state.as_str()));
            let mean = |v: Vec<i64>| -> String {
                if v.is_empty() {
                    "–".into()
                } else {
                    show_duration(v.iter().sum::<i64>() * 1000 / v.len() as i64)
                }
            };
            let complaint_mean = mean(
                report
                    .complaints
                    .iter()
                    .filter_map(|c| c.time_to_outcome_seconds)
                    .collect(),
            );
            let appeal_mean = mean(
                report
                    .appeals
                    .iter()
                    .filter_map(|a| a.time_to_outcome_seconds)
                    .collect(),
            );
            let missed =
                |v: &mut dyn Iterator<Item = Option<bool>>| v.filter(|m| *m == Some(false)).count();
            Ok(render(
                "report.html",
                minijinja::context! {
                    me => Me::of(&session),
                    from => day(from),
                    to => day(to),
                    report => report,
                    max_violations => max_violations,
                    max_measures => max_measures,
                    complaint_outcomes => complaint_outcomes,
                    appeal_states => appeal_states,
                    complaint_mean => complaint_mean,
                    appeal_mean => appeal_mean,
                    complaints_missed => missed(&mut report.complaints.iter().map(|c| c.met_deadline)),
                    appeals_missed => missed(&mut report.appeals.iter().map(|a| a.met_deadline)),
                    max_days => crate::console::store::MAX_REPORT_DAYS,
                },
            )
            .into_response())
        }
        other => Err(WebError::bad_request(format!(
            "format={other:?}: html, json or csv"
        ))),
    }
}

/// (value, count) of `values`, most first.
fn tally<'a>(values: impl Iterator<Item = &'a str>) -> Vec<(String, usize)> {
    let mut m: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for v in values {
        *m.entry(v).or_default() += 1;
    }
    let mut out: Vec<(String, usize)> = m.into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
    out.sort_by_key(|o| std::cmp::Reverse(o.1));
    out
}

/// The form adding a refuted claim from an item.
#[derive(Debug, Deserialize)]
pub struct RefutedClaimForm {
    claim: String,
    refuted_by: String,
    #[serde(default)]
    refuted_at: String,
}

/// `POST /lead/items/{id}/refuted-claims` (with the CSRF token): a lead adds `claim` (worded as
/// the rumour is spread), `refuted_by` and optionally `refuted_at` (`YYYY[-MM[-DD]]`) to the
/// rumour library from item `id` ([`Store::add_refuted_claim`]: the claim goes through the
/// outbox to the refuted-claims topic the worker reads); then back to the item (303). A claim
/// the rumour library's rules refuse (too short, a repeat, a bad date) or an empty field: 400
/// with the library's reason; an unknown item: 404. Nothing is changed by a refusal.
///
/// [`Store::add_refuted_claim`]: crate::console::Store::add_refuted_claim
pub async fn add_refuted_claim(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    path: Result<Path<ItemId>, PathRejection>,
    f: Result<Form<RefutedClaimForm>, FormRejection>,
) -> Result<Response, WebError> {
    let id = super::pages::item_id(path)?;
    let f = super::pages::form(f)?;
    state
        .store
        .add_refuted_claim(
            id,
            &session.name,
            &NewRefutedClaim {
                claim: &f.claim,
                refuted_by: &f.refuted_by,
                refuted_at: Some(&f.refuted_at),
            },
            state.now(),
        )
        .await
        .map_err(super::ledger::refusal)?;
    Ok(Redirect::to(&format!("/item/{id}#refuted-claims")).into_response())
}
