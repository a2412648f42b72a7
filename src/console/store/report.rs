//! Records for the regulator (Art. 10 and 11: keep records of the measures taken and report;
//! `docs/console.md`, "Records for the regulator"): for a period, the violations by category
//! and article, the measures taken, the complaints with their time to outcome, the appeals, and
//! the rejects as false information ([`Report`]), from the store, as JSON or CSV.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::Row;
use time::OffsetDateTime;

use super::{ms, time as from_ms, Store, StoreError};
use crate::console::ledger::rfc3339;

/// The reason code of the worker's rejects of known false news (the rumour library's matches).
pub const FALSE_NEWS_CODE: &str = "known_false_news";

/// The reason codes of a reject as false information (Art. 11): the worker's
/// [`FALSE_NEWS_CODE`] (also a moderator's, confirming it), and `false_information`, the code a
/// moderator rejects with for false information the rumour library does not know yet.
pub const FALSE_INFORMATION_CODES: &[&str] = &[FALSE_NEWS_CODE, "false_information"];

/// The longest period one report covers, in days.
pub const MAX_REPORT_DAYS: i64 = 3660;

/// Violations of one category and article in the period: the rejects (strikes) not reversed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ViolationCount {
    /// The reasons' first category (`none` without one).
    pub category: String,
    /// An article the reasons cite (`none` without one); a reject citing two counts in both.
    pub article: String,
    /// Rejects.
    pub rejects: u64,
    /// Of those, the worker's.
    pub by_worker: u64,
    /// Of those, moderators'.
    pub by_moderators: u64,
}

/// A measure issued in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureLine {
    /// The user.
    pub user_id: String,
    /// `L{level}@{strike}`.
    pub measure_id: String,
    /// `warn`, `restrict`, `suspend`, `close`.
    pub kind: String,
    /// The function a restriction names.
    pub function: Option<String>,
    /// When it ends (RFC 3339).
    pub until: Option<String>,
    /// `in_force`, `lifted`, `changed`, `revoked`.
    pub state: String,
    /// The articles behind it.
    pub articles: Vec<String>,
    /// When it was issued (RFC 3339).
    pub issued_at: String,
}

/// A complaint received in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComplaintLine {
    /// The complaint.
    pub complaint_id: String,
    /// The event.
    pub event_id: String,
    /// The reporter's category.
    pub category: String,
    /// Received (RFC 3339).
    pub received_at: String,
    /// `founded`, `unfounded`, or `open`.
    pub outcome: String,
    /// Decided (RFC 3339).
    pub decided_at: Option<String>,
    /// From receipt to outcome.
    pub time_to_outcome_seconds: Option<i64>,
    /// Decided by the deadline (an open case past it: `false`).
    pub met_deadline: Option<bool>,
}

/// An appeal received in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppealLine {
    /// The appeal.
    pub appeal_id: String,
    /// The user.
    pub user_id: String,
    /// `reject` or `measure`.
    pub kind: String,
    /// The event or the measure.
    pub target: String,
    /// Received (RFC 3339).
    pub received_at: String,
    /// `waiting`, `open`, `upheld`, `dismissed`, `refused`.
    pub state: String,
    /// Decided (RFC 3339).
    pub decided_at: Option<String>,
    /// From receipt to outcome.
    pub time_to_outcome_seconds: Option<i64>,
    /// Decided by the deadline (an undecided one past it: `false`).
    pub met_deadline: Option<bool>,
}

/// A reject as false information in the period (Art. 11): the worker's `known_false_news`
/// matches of the rumour library, and moderators' rejects with that reason code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefutationLine {
    /// The event.
    pub event_id: String,
    /// The author.
    pub user_id: String,
    /// The strike (`worker:…` or `verdict:…`).
    pub strike_key: String,
    /// Who rejected (`worker` or the moderator).
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
    /// Reversed by an upheld appeal.
    pub reversed: bool,
    /// The deciding reason code ([`FALSE_INFORMATION_CODES`]).
    pub reason_code: String,
    /// The refuted claim of the rumour library it repeats; `None` when the library has none
    /// (a moderator's `false_information`): a lead can add one from the item.
    pub claim: Option<String>,
    /// Who refuted the claim (the library's `refuted_by`).
    pub refuted_by: Option<String>,
    /// When the claim was refuted (`YYYY[-MM[-DD]]`), when the library knows it.
    pub refuted_at: Option<String>,
}

/// What the console did in a period, for the regulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The period's start, included (RFC 3339).
    pub from: String,
    /// The period's end, excluded (RFC 3339).
    pub to: String,
    /// When the report was made.
    pub generated_at: String,
    /// Violations by category and article, most first.
    pub violations: Vec<ViolationCount>,
    /// Rejects in the period (each once, however many articles), not reversed.
    pub rejects: u64,
    /// Rejects reversed by upheld appeals.
    pub reversed: u64,
    /// Measures issued.
    pub measures: Vec<MeasureLine>,
    /// Measures by kind.
    pub measures_by_kind: BTreeMap<String, u64>,
    /// Complaints received.
    pub complaints: Vec<ComplaintLine>,
    /// Appeals received.
    pub appeals: Vec<AppealLine>,
    /// Rejects as false information.
    pub refutations: Vec<RefutationLine>,
}

fn opt_time(v: Option<i64>) -> Result<Option<String>, StoreError> {
    v.map(|t| from_ms(t).map(rfc3339)).transpose()
}

impl Store {
    /// The report of `[from, to)` at `now`.
    ///
    /// Errors: [`StoreError::InvalidInput`] for an empty or reversed period or one longer than
    /// [`MAX_REPORT_DAYS`]; [`StoreError::Database`], [`StoreError::Corrupt`].
    pub async fn regulator_report(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Report, StoreError> {
        if to <= from || to - from > time::Duration::days(MAX_REPORT_DAYS) {
            return Err(StoreError::InvalidInput(format!(
                "the period must end after it starts and span at most {MAX_REPORT_DAYS} days"
            )));
        }
        let (f, t) = (ms(from), ms(to));
        let strikes = sqlx::query(
            "SELECT strike_key, user_id, event_id, source, moderator, reason_code, category, \
             articles, struck_at, reversed_at, refuted_claim, refuted_by, refuted_at \
             FROM ledger_strikes \
             WHERE struck_at >= $1 AND struck_at < $2 ORDER BY struck_at, strike_key",
        )
        .bind(f)
        .bind(t)
        .fetch_all(&self.pool)
        .await?;
        let mut counts: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
        let (mut rejects, mut reversed) = (0, 0);
        let mut refutations = Vec::new();
        for r in &strikes {
            let is_reversed = r.try_get::<Option<i64>, _>("reversed_at")?.is_some();
            let worker = r.try_get::<String, _>("source")? == "worker";
            let code: String = r.try_get("reason_code")?;
            if FALSE_INFORMATION_CODES.contains(&code.as_str()) {
                refutations.push(RefutationLine {
                    event_id: r.try_get("event_id")?,
                    user_id: r.try_get("user_id")?,
                    strike_key: r.try_get("strike_key")?,
                    by: r
                        .try_get::<Option<String>, _>("moderator")?
                        .unwrap_or_else(|| "worker".into()),
                    at: rfc3339(from_ms(r.try_get("struck_at")?)?),
                    reversed: is_reversed,
                    reason_code: code,
                    claim: r.try_get("refuted_claim")?,
                    refuted_by: r.try_get("refuted_by")?,
                    refuted_at: r.try_get("refuted_at")?,
                });
            }
            if is_reversed {
                reversed += 1;
                continue;
            }
            rejects += 1;
            let category = r
                .try_get::<Option<String>, _>("category")?
                .unwrap_or_else(|| "none".into());
            let mut articles: Vec<String> =
                serde_json::from_str(&r.try_get::<String, _>("articles")?)
                    .map_err(|e| StoreError::Corrupt(format!("a strike's articles: {e}")))?;
            if articles.is_empty() {
                articles.push("none".into());
            }
            for a in articles {
                let c = counts.entry((category.clone(), a)).or_default();
                if worker {
                    c.0 += 1;
                } else {
                    c.1 += 1;
                }
            }
        }
        let mut violations: Vec<ViolationCount> = counts
            .into_iter()
            .map(|((category, article), (w, m))| ViolationCount {
                category,
                article,
                rejects: w + m,
                by_worker: w,
                by_moderators: m,
            })
            .collect();
        violations.sort_by_key(|v| std::cmp::Reverse(v.rejects));

        let mut measures = Vec::new();
        let mut measures_by_kind = BTreeMap::new();
        for r in sqlx::query(
            "SELECT user_id, measure_id, kind, function, until, state, articles, issued_at \
             FROM user_measures WHERE issued_at >= $1 AND issued_at < $2 \
             ORDER BY issued_at, user_id, measure_id",
        )
        .bind(f)
        .bind(t)
        .fetch_all(&self.pool)
        .await?
        .iter()
        {
            let kind: String = r.try_get("kind")?;
            *measures_by_kind.entry(kind.clone()).or_insert(0) += 1;
            measures.push(MeasureLine {
                user_id: r.try_get("user_id")?,
                measure_id: r.try_get("measure_id")?,
                kind,
                function: r.try_get("function")?,
                until: opt_time(r.try_get("until")?)?,
                state: r.try_get("state")?,
                articles: serde_json::from_str(&r.try_get::<String, _>("articles")?)
                    .map_err(|e| StoreError::Corrupt(format!("a measure's articles: {e}")))?,
                issued_at: rfc3339(from_ms(r.try_get("issued_at")?)?),
            });
        }

        let now_ms = ms(now);
        let mut complaints = Vec::new();
        for r in sqlx::query(
            "SELECT c.complaint_id, c.event_id, c.category, c.received_at, k.outcome, \
             k.decided_at, k.met_deadline, k.deadline FROM complaints c \
             JOIN complaint_cases k ON k.case_id = c.case_id \
             WHERE c.received_at >= $1 AND c.received_at < $2 \
             ORDER BY c.received_at, c.complaint_id",
        )
        .bind(f)
        .bind(t)
        .fetch_all(&self.pool)
        .await?
        .iter()
        {
            let received: i64 = r.try_get("received_at")?;
            let decided: Option<i64> = r.try_get("decided_at")?;
            let deadline: i64 = r.try_get("deadline")?;
            complaints.push(ComplaintLine {
                complaint_id: r.try_get("complaint_id")?,
                event_id: r.try_get("event_id")?,
                category: r.try_get("category")?,
                received_at: rfc3339(from_ms(received)?),
                outcome: r
                    .try_get::<Option<String>, _>("outcome")?
                    .unwrap_or_else(|| "open".into()),
                decided_at: opt_time(decided)?,
                time_to_outcome_seconds: decided.map(|d| (d - received).max(0) / 1000),
                met_deadline: match decided {
                    Some(_) => r.try_get::<Option<i64>, _>("met_deadline")?.map(|m| m != 0),
                    None if now_ms > deadline => Some(false),
                    None => None,
                },
            });
        }

        let mut appeals = Vec::new();
        for r in sqlx::query(
            "SELECT appeal_id, user_id, kind, event_id, measure_id, received_at, state, \
             decided_at, deadline FROM appeals WHERE received_at >= $1 AND received_at < $2 \
             ORDER BY received_at, appeal_id",
        )
        .bind(f)
        .bind(t)
        .fetch_all(&self.pool)
        .await?
        .iter()
        {
            let received: i64 = r.try_get("received_at")?;
            let decided: Option<i64> = r.try_get("decided_at")?;
            let deadline: i64 = r.try_get("deadline")?;
            let kind: String = r.try_get("kind")?;
            let target: Option<String> = if kind == "reject" {
                r.try_get("event_id")?
            } else {
                r.try_get("measure_id")?
            };
            appeals.push(AppealLine {
                appeal_id: r.try_get("appeal_id")?,
                user_id: r.try_get("user_id")?,
                kind,
                target: target.unwrap_or_default(),
                received_at: rfc3339(from_ms(received)?),
                state: r.try_get("state")?,
                decided_at: opt_time(decided)?,
                time_to_outcome_seconds: decided.map(|d| (d - received).max(0) / 1000),
                met_deadline: match decided {
                    Some(d) => Some(d <= deadline),
                    None if now_ms > deadline => Some(false),
                    None => None,
                },
            });
        }
        Ok(Report {
            from: rfc3339(from),
            to: rfc3339(to),
            generated_at: rfc3339(now),
            violations,
            rejects,
            reversed,
            measures,
            measures_by_kind,
            complaints,
            appeals,
            refutations,
        })
    }
}

impl Report {
    /// The report as CSV: one row per line of every section, with the columns `section`,
    /// `id`, `user_id`, `category`, `article`, `kind`, `state`, `count`, `at`, `decided_at`,
    /// `time_to_outcome_seconds`, `met_deadline`, `claim`, `refuted_by`, `refuted_at` (empty
    /// where a section has none). Sections: `violation` (category, article, count = rejects;
    /// kind = worker/moderators counts as `worker=N moderators=M`), `measure`, `complaint`,
    /// `appeal`, `refutation` (kind = its reason code; claim, refuted_by, refuted_at = the
    /// rumour-library entry).
    ///
    /// # Errors
    /// Never in practice (writing to memory); a CSV error's text otherwise.
    pub fn to_csv(&self) -> Result<String, String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let e = |e: csv::Error| e.to_string();
        w.write_record([
            "section",
            "id",
            "user_id",
            "category",
            "article",
            "kind",
            "state",
            "count",
            "at",
            "decided_at",
            "time_to_outcome_seconds",
            "met_deadline",
            "claim",
            "refuted_by",
            "refuted_at",
        ])
        .map_err(e)?;
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        let n = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        let b = |v: Option<bool>| v.map(|b| b.to_string()).unwrap_or_default();
        for v in &self.violations {
            w.write_record([
                "violation",
                "",
                "",
                &v.category,
                &v.article,
                &format!("worker={} moderators={}", v.by_worker, v.by_moderators),
                "",
                &v.rejects.to_string(),
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ])
            .map_err(e)?;
        }
        for m in &self.measures {
            w.write_record([
                "measure",
                &m.measure_id,
                &m.user_id,
                "",
                &m.articles.join(" "),
                &m.kind,
                &m.state,
                "",
                &m.issued_at,
                &s(&m.until),
                "",
                "",
                "",
                "",
                "",
            ])
            .map_err(e)?;
        }
        for c in &self.complaints {
            w.write_record([
                "complaint",
                &c.complaint_id,
                "",
                &c.category,
                "Art. 12",
                &c.event_id,
                &c.outcome,
                "",
                &c.received_at,
                &s(&c.decided_at),
                &n(c.time_to_outcome_seconds),
                &b(c.met_deadline),
                "",
                "",
                "",
            ])
            .map_err(e)?;
        }
        for a in &self.appeals {
            w.write_record([
                "appeal",
                &a.appeal_id,
                &a.user_id,
                &a.kind,
                "Art. 12",
                &a.target,
                &a.state,
                "",
                &a.received_at,
                &s(&a.decided_at),
                &n(a.time_to_outcome_seconds),
                &b(a.met_deadline),
                "",
                "",
                "",
            ])
            .map_err(e)?;
        }
        for r in &self.refutations {
            w.write_record([
                "refutation",
                &r.strike_key,
                &r.user_id,
                &r.reason_code,
                "Art. 11",
                &r.event_id,
                if r.reversed { "reversed" } else { "rejected" },
                "",
                &r.at,
                "",
                "",
                "",
                &s(&r.claim),
                &s(&r.refuted_by),
                &s(&r.refuted_at),
            ])
            .map_err(e)?;
        }
        let bytes = w.into_inner().map_err(|e| e.to_string())?;
        String::from_utf8(bytes).map_err(|e| e.to_string())
    }
}
