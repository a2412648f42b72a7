//! The per-user ledger and its strike ladder (Art. 10: measures against users who publish
//! illegal or harmful information; `docs/console.md`, "Ledger"). Pure: no store, no Kafka.
//!
//! - Every reject on the rejected topic — the worker's own and the moderators' verdicts, which
//!   the relay puts there with `reviewed_by` — is one [`Strike`] against the event's author
//!   ([`Strike::from_rejected`]), weighted by the [`LedgerPolicy`] (per reason code, else per
//!   category, else a default; a warning-only policy weighs 0), and expiring after the policy's
//!   window.
//! - [`ladder`] turns a user's strikes into measures: walking the strikes in time order, the
//!   points of the strikes still in their window at each strike select the highest step of the
//!   ladder reached; a step above every measure issued within the window is issued, once. A
//!   measure's id is derived from its step and the strike that reached it
//!   ([`MeasureDue::measure_id`]). Strikes may arrive out of time order (the rejected topic is
//!   keyed by event, not by user): the measures issued already are taken into account, so a
//!   late earlier strike never issues a step twice; a ledger rebuilt from the topics reads the
//!   issued measures back from the user-actions topic before any strike, and so has the same
//!   ones.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// What a step of the ladder does to the user (DESIGN §8, `synth.user-actions.v1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeasureKind {
    /// A warning.
    Warn,
    /// A function is taken away (e.g. `publish_synthetic_media`), for a duration or until lifted.
    Restrict {
        /// The function, as the platform names it.
        function: String,
        /// How long; `None`: until a lead lifts it.
        duration: Option<Duration>,
    },
    /// The service is suspended for a duration.
    Suspend {
        /// How long.
        duration: Duration,
    },
    /// The account is closed.
    Close,
}

impl MeasureKind {
    /// `warn`, `restrict`, `suspend` or `close`.
    pub fn as_str(&self) -> &'static str {
        match self {
            MeasureKind::Warn => "warn",
            MeasureKind::Restrict { .. } => "restrict",
            MeasureKind::Suspend { .. } => "suspend",
            MeasureKind::Close => "close",
        }
    }

    /// The function a `restrict` names.
    pub fn function(&self) -> Option<&str> {
        match self {
            MeasureKind::Restrict { function, .. } => Some(function),
            _ => None,
        }
    }

    /// How long the measure lasts, when it has an end.
    pub fn duration(&self) -> Option<Duration> {
        match self {
            MeasureKind::Restrict { duration, .. } => *duration,
            MeasureKind::Suspend { duration } => Some(*duration),
            _ => None,
        }
    }

    /// Builds a kind from its parts (as stored or configured).
    ///
    /// # Errors
    /// An unknown kind, a `restrict` without a function, a `suspend` without a duration.
    pub fn from_parts(
        kind: &str,
        function: Option<&str>,
        duration: Option<Duration>,
    ) -> Result<MeasureKind, String> {
        match kind {
            "warn" => Ok(MeasureKind::Warn),
            "close" => Ok(MeasureKind::Close),
            "restrict" => match function.map(str::trim) {
                Some(f) if !f.is_empty() => Ok(MeasureKind::Restrict {
                    function: f.to_owned(),
                    duration,
                }),
                _ => Err("a restrict measure names its function".into()),
            },
            "suspend" => match duration {
                Some(d) if !d.is_zero() => Ok(MeasureKind::Suspend { duration: d }),
                _ => Err("a suspend measure has a duration".into()),
            },
            other => Err(format!(
                "unknown measure {other:?} (warn, restrict, suspend or close)"
            )),
        }
    }
}

/// One step of the ladder: at `points` or more active points, `measure`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LadderStep {
    /// The threshold (1 or more; steps strictly increasing).
    pub points: u32,
    /// What is done.
    pub measure: MeasureKind,
}

/// How rejects weigh and what the points lead to (`[ledger]` of the console file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerPolicy {
    /// A strike counts for this long after it was given.
    pub window: Duration,
    /// The weight of a reject whose reason code and category have none of their own.
    pub default_weight: u32,
    /// Weights by reason code (the worker's reason codes and the moderators' reason codes).
    pub reason_weights: BTreeMap<String, u32>,
    /// Weights by lexicon category (`gambling`, `weapons`, …), used when the code has none.
    pub category_weights: BTreeMap<String, u32>,
    /// The steps, lowest first.
    pub ladder: Vec<LadderStep>,
}

impl Default for LedgerPolicy {
    /// 90 days; weight 1; warn at 3, restrict `publish_synthetic_media` for 30 days at 6,
    /// suspend for 7 days at 10, close at 15.
    fn default() -> Self {
        LedgerPolicy {
            window: Duration::from_secs(90 * 86_400),
            default_weight: 1,
            reason_weights: BTreeMap::new(),
            category_weights: BTreeMap::new(),
            ladder: vec![
                LadderStep {
                    points: 3,
                    measure: MeasureKind::Warn,
                },
                LadderStep {
                    points: 6,
                    measure: MeasureKind::Restrict {
                        function: "publish_synthetic_media".into(),
                        duration: Some(Duration::from_secs(30 * 86_400)),
                    },
                },
                LadderStep {
                    points: 10,
                    measure: MeasureKind::Suspend {
                        duration: Duration::from_secs(7 * 86_400),
                    },
                },
                LadderStep {
                    points: 15,
                    measure: MeasureKind::Close,
                },
            ],
        }
    }
}

impl LedgerPolicy {
    /// Checks the ladder: at least one step, thresholds of 1 or more and strictly increasing,
    /// a window of at least a second.
    ///
    /// # Errors
    /// What is wrong, in words.
    pub fn check(&self) -> Result<(), String> {
        if self.window < Duration::from_secs(1) {
            return Err("the strike window must be at least a second".into());
        }
        if self.ladder.is_empty() {
            return Err("the ladder needs at least one step".into());
        }
        let mut last = 0;
        for (i, step) in self.ladder.iter().enumerate() {
            if step.points <= last {
                return Err(format!(
                    "step {} of the ladder: points must be 1 or more and above the step before",
                    i + 1
                ));
            }
            last = step.points;
        }
        Ok(())
    }

    /// The weight of a reject for `code` and `categories` (of its reasons): the code's own
    /// weight, else the highest weight among the categories that have one, else the default.
    pub fn weight(&self, code: &str, categories: &[String]) -> u32 {
        if let Some(w) = self.reason_weights.get(code) {
            return *w;
        }
        categories
            .iter()
            .filter_map(|c| self.category_weights.get(c))
            .max()
            .copied()
            .unwrap_or(self.default_weight)
    }
}

/// Who gave a reject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StrikeSource {
    /// The worker's review.
    Worker,
    /// A moderator's verdict.
    Moderator {
        /// The moderator's account name.
        id: String,
        /// The verdict id.
        verdict_id: i64,
    },
}

/// One reject against a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strike {
    /// Unique per reject: `worker:EVENT_ID` or `verdict:VERDICT_ID`.
    pub key: String,
    /// The author.
    pub user_id: String,
    /// The rejected event.
    pub event_id: String,
    /// Who rejected it.
    pub source: StrikeSource,
    /// The deciding reason code (the worker's first rejecting reason, or the moderator's).
    pub reason_code: String,
    /// The category of the reasons (lexicon categories), first one.
    pub category: Option<String>,
    /// The articles the reasons cite, in order, without repeats.
    pub articles: Vec<String>,
    /// Its points under the policy in force when it was recorded.
    pub weight: u32,
    /// When the reject was given (the record's `reviewed_at`, or the verdict's `decided_at`).
    pub at: OffsetDateTime,
    /// Where the reject is in the rejected topic (partition, offset), when read from it: an
    /// appeal of a reject the console never held reopens it with that record.
    pub record_at: Option<(i32, i64)>,
    /// For a reject as false information ([`FALSE_INFORMATION_CODES`]): the rumour-library
    /// entry of the record's `known_false_news` reason (Art. 11 records); `None` otherwise or
    /// when no reason carries one.
    ///
    /// [`FALSE_INFORMATION_CODES`]: crate::console::store::FALSE_INFORMATION_CODES
    pub refutation: Option<crate::decision::Refutation>,
}

/// Why a record on the rejected topic gives no strike.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrikeError {
    /// Not a JSON object.
    #[error("not a JSON decision record: {0}")]
    Malformed(String),
    /// Its decision is not `reject`.
    #[error("decision {0:?}, not reject")]
    NotRejected(String),
    /// No `event_id`, no user id (the embedded event was left out), or no readable time.
    #[error("{0}")]
    Missing(&'static str),
}

impl StrikeError {
    /// The metric label: `malformed`, `not_rejected` or `missing`.
    pub fn label(&self) -> &'static str {
        match self {
            StrikeError::Malformed(_) => "malformed",
            StrikeError::NotRejected(_) => "not_rejected",
            StrikeError::Missing(_) => "missing",
        }
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(*k))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn time_at(v: &Value, path: &[&str]) -> Option<OffsetDateTime> {
    str_at(v, path).and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
}

impl Strike {
    /// Reads a decision record of the rejected topic into a strike weighted by `policy`.
    ///
    /// The user is `event.user.id` (a record without its event carries `event.user` too, see
    /// [`crate::console::VerdictRecords::without_event`]). A moderator's record
    /// (`reviewed_by.kind = "moderator"`) strikes with the moderator's reason code at the
    /// verdict's `decided_at`; the worker's with its first reason whose action is `reject` (else
    /// the first reason) at `reviewed_at`. Categories and articles come from the reasons.
    ///
    /// # Errors
    /// [`StrikeError`] for a record that is not a rejected decision record.
    pub fn from_rejected(payload: &[u8], policy: &LedgerPolicy) -> Result<Strike, StrikeError> {
        let v: Value =
            serde_json::from_slice(payload).map_err(|e| StrikeError::Malformed(e.to_string()))?;
        if !v.is_object() {
            return Err(StrikeError::Malformed("not an object".into()));
        }
        match v.get("decision").and_then(Value::as_str) {
            Some("reject") => {}
            other => {
                return Err(StrikeError::NotRejected(
                    other.unwrap_or("(none)").to_owned(),
                ))
            }
        }
        let event_id = str_at(&v, &["event_id"]).ok_or(StrikeError::Missing("no event_id"))?;
        let user_id =
            str_at(&v, &["event", "user", "id"]).ok_or(StrikeError::Missing("no event.user.id"))?;
        let reasons: Vec<&Value> = v
            .get("reasons")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let mut articles: Vec<String> = Vec::new();
        let mut categories: Vec<String> = Vec::new();
        for r in &reasons {
            if let Some(a) = str_at(r, &["article"]) {
                if !articles.iter().any(|x| x == a) {
                    articles.push(a.to_owned());
                }
            }
            if let Some(c) = str_at(r, &["category"]) {
                if !categories.iter().any(|x| x == c) {
                    categories.push(c.to_owned());
                }
            }
        }
        let moderator = v
            .get("reviewed_by")
            .filter(|r| str_at(r, &["kind"]) == Some("moderator"));
        let (key, source, code, at) = match moderator {
            Some(r) => {
                let verdict_id = r
                    .get("verdict_id")
                    .and_then(Value::as_i64)
                    .ok_or(StrikeError::Missing("no reviewed_by.verdict_id"))?;
                let id = str_at(r, &["id"]).ok_or(StrikeError::Missing("no reviewed_by.id"))?;
                let code = str_at(r, &["reason_code"]).unwrap_or("moderator_reject");
                let at = time_at(r, &["decided_at"])
                    .ok_or(StrikeError::Missing("no readable reviewed_by.decided_at"))?;
                (
                    format!("verdict:{verdict_id}"),
                    StrikeSource::Moderator {
                        id: id.to_owned(),
                        verdict_id,
                    },
                    code.to_owned(),
                    at,
                )
            }
            None => {
                let deciding = reasons
                    .iter()
                    .find(|r| str_at(r, &["action"]) == Some("reject"))
                    .or(reasons.first());
                let code = deciding
                    .and_then(|r| str_at(r, &["code"]))
                    .unwrap_or("reject");
                let at = time_at(&v, &["reviewed_at"])
                    .ok_or(StrikeError::Missing("no readable reviewed_at"))?;
                (
                    format!("worker:{event_id}"),
                    StrikeSource::Worker,
                    code.to_owned(),
                    at,
                )
            }
        };
        // The verdict of an appeal's review round rejects again what was appealed: it is the
        // appealed strike, not a second one (`super::appeal`).
        let key = str_at(&v, &["appeal", "strike_key"])
            .map(str::to_owned)
            .unwrap_or(key);
        let weight = policy.weight(&code, &categories);
        let false_information =
            crate::console::store::FALSE_INFORMATION_CODES.contains(&code.as_str());
        // A moderator's reject as false information enforces Art. 11 alone (the item's other
        // reasons were not what was decided); the worker's cites Art. 11 with its reasons'.
        if false_information && matches!(source, StrikeSource::Moderator { .. }) {
            articles = vec!["Art. 11".to_owned()];
        } else if false_information && !articles.iter().any(|a| a == "Art. 11") {
            articles.insert(0, "Art. 11".to_owned());
        }
        let refutation = if false_information {
            reasons
                .iter()
                .filter(|r| str_at(r, &["code"]) == Some(crate::console::store::FALSE_NEWS_CODE))
                .find_map(|r| {
                    serde_json::from_value::<crate::decision::Refutation>(
                        r.get("refutation")?.clone(),
                    )
                    .ok()
                })
        } else {
            None
        };
        Ok(Strike {
            key,
            user_id: user_id.to_owned(),
            event_id: event_id.to_owned(),
            source,
            reason_code: code,
            category: categories.first().cloned(),
            articles,
            weight,
            at,
            record_at: None,
            refutation,
        })
    }
}

/// A strike as the ladder sees it: its key, points, time and articles, and whether an upheld
/// appeal reversed it (a reversed strike counts nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerStrike {
    /// [`Strike::key`].
    pub key: String,
    /// [`Strike::weight`].
    pub weight: u32,
    /// [`Strike::at`].
    pub at: OffsetDateTime,
    /// [`Strike::articles`].
    pub articles: Vec<String>,
    /// Reversed (it counts 0).
    pub reversed: bool,
}

/// A measure the ladder calls for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasureDue {
    /// The step reached (1 = the first step of the ladder).
    pub level: u32,
    /// What is done.
    pub kind: MeasureKind,
    /// The active points when it was reached.
    pub points: u32,
    /// The step's threshold.
    pub threshold: u32,
    /// The strike that reached it.
    pub trigger: String,
    /// The strikes whose points counted (keys, oldest first).
    pub strikes: Vec<String>,
    /// The articles those strikes cite, without repeats.
    pub articles: Vec<String>,
    /// When it was reached: the triggering strike's time.
    pub issued_at: OffsetDateTime,
    /// When it ends, for a measure with a duration.
    pub until: Option<OffsetDateTime>,
}

impl MeasureDue {
    /// The measure's id, `L{level}@{trigger}`: the same strikes give the same id (unique per
    /// user: a strike key names one event, an event has one author).
    pub fn measure_id(&self) -> String {
        format!("L{}@{}", self.level, self.trigger)
    }
}

/// The measures `strikes` call for under `policy` (see the module documentation) beyond those
/// `issued` already (level, issued at), in the order they were reached. Reversed strikes count
/// nothing; strikes are ordered by time, then key. A step is not issued again while a measure of
/// that step or higher was issued within the window on either side of the strike: strikes can
/// arrive out of time order (the rejected topic is keyed by event, not by user), and a late
/// earlier strike must not make the ladder issue a step a second time.
pub fn ladder(
    strikes: &[LedgerStrike],
    issued: &[(u32, OffsetDateTime)],
    policy: &LedgerPolicy,
) -> Vec<MeasureDue> {
    let mut active: Vec<&LedgerStrike> = strikes.iter().filter(|s| !s.reversed).collect();
    active.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.key.cmp(&b.key)));
    let mut out: Vec<MeasureDue> = Vec::new();
    for (i, s) in active.iter().enumerate() {
        let start = s.at - policy.window;
        let counted: Vec<&LedgerStrike> = active[..=i]
            .iter()
            .copied()
            .filter(|x| x.at > start)
            .collect();
        let points: u32 = counted.iter().map(|x| x.weight).sum();
        let Some((level, step)) = policy
            .ladder
            .iter()
            .enumerate()
            .rev()
            .find(|(_, step)| step.points <= points)
        else {
            continue;
        };
        let level = level as u32 + 1;
        let end = s.at + policy.window;
        let current = issued
            .iter()
            .filter(|(_, at)| *at > start && *at < end)
            .map(|(level, _)| *level)
            .chain(out.iter().filter(|m| m.issued_at > start).map(|m| m.level))
            .max()
            .unwrap_or(0);
        if level <= current {
            continue;
        }
        let mut articles: Vec<String> = Vec::new();
        for a in counted.iter().flat_map(|x| &x.articles) {
            if !articles.contains(a) {
                articles.push(a.clone());
            }
        }
        out.push(MeasureDue {
            level,
            kind: step.measure.clone(),
            points,
            threshold: step.points,
            trigger: s.key.clone(),
            strikes: counted
                .iter()
                .filter(|x| x.weight > 0)
                .map(|x| x.key.clone())
                .collect(),
            articles,
            issued_at: s.at,
            until: step.measure.duration().map(|d| s.at + d),
        });
    }
    out
}

/// RFC 3339 text of `t` (seconds since the epoch if it cannot be formatted).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// The `synth.user-actions.v1` record of a measure (`schema/user-action.v1.json`):
/// `{"action_id", "action": "measure", "user_id", "measure": {"measure_id", "kind", "level",
/// "function", "until", "duration_seconds"}, "points", "threshold", "strikes": [keys],
/// "articles", "issued_at", "issued_by": {"kind": "console", "id"}}`.
pub fn measure_record(user_id: &str, m: &MeasureDue, console_id: &str) -> Value {
    json!({
        "action_id": format!("measure:{}", m.measure_id()),
        "action": "measure",
        "user_id": user_id,
        "measure": {
            "measure_id": m.measure_id(),
            "kind": m.kind.as_str(),
            "level": m.level,
            "function": m.kind.function(),
            "duration_seconds": m.kind.duration().map(|d| d.as_secs()),
            "until": m.until.map(rfc3339),
        },
        "points": m.points,
        "threshold": m.threshold,
        "strikes": m.strikes,
        "articles": m.articles,
        "issued_at": rfc3339(m.issued_at),
        "issued_by": {"kind": "console", "id": console_id},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(days: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap() + time::Duration::days(days)
    }

    fn strike(key: &str, weight: u32, day: i64) -> LedgerStrike {
        LedgerStrike {
            key: key.into(),
            weight,
            at: t(day),
            articles: vec!["Art. 10".into()],
            reversed: false,
        }
    }

    #[test]
    fn each_step_is_reached_once() {
        let p = LedgerPolicy::default();
        let strikes: Vec<_> = (0..16).map(|i| strike(&format!("s{i:02}"), 1, i)).collect();
        let m = ladder(&strikes, &[], &p);
        let kinds: Vec<_> = m
            .iter()
            .map(|m| (m.kind.as_str(), m.trigger.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("warn", "s02"),
                ("restrict", "s05"),
                ("suspend", "s09"),
                ("close", "s14")
            ]
        );
        assert_eq!(m[1].kind.function(), Some("publish_synthetic_media"));
        assert_eq!(m[2].until, Some(t(9) + time::Duration::days(7)));
        assert_eq!(m[3].strikes.len(), 15);
    }

    #[test]
    fn the_order_of_arrival_does_not_matter() {
        let p = LedgerPolicy::default();
        let mut strikes: Vec<_> = (0..7).map(|i| strike(&format!("s{i}"), 1, i)).collect();
        let a = ladder(&strikes, &[], &p);
        strikes.reverse();
        assert_eq!(a, ladder(&strikes, &[], &p));
    }

    #[test]
    fn a_late_earlier_strike_does_not_issue_a_step_twice() {
        let p = LedgerPolicy::default();
        let all: Vec<_> = (0..6).map(|i| strike(&format!("s{i}"), 1, i)).collect();
        // Strikes 0, 2, 4 arrive first: the warning is reached at s4.
        let first: Vec<_> = all.iter().step_by(2).cloned().collect();
        let warned = ladder(&first, &[], &p);
        assert_eq!(warned[0].measure_id(), "L1@s4");
        // Then all six: the restriction at s5, not a second warning at s2.
        let issued: Vec<_> = warned.iter().map(|m| (m.level, m.issued_at)).collect();
        let next = ladder(&all, &issued, &p);
        let ids: Vec<_> = next.iter().map(MeasureDue::measure_id).collect();
        assert_eq!(ids, ["L2@s5"]);
    }

    #[test]
    fn strikes_expire_and_reversed_ones_count_nothing() {
        let p = LedgerPolicy {
            window: Duration::from_secs(10 * 86_400),
            ..LedgerPolicy::default()
        };
        // Two strikes, then a third 20 days later: the first two have expired.
        let strikes = [strike("a", 1, 0), strike("b", 1, 1), strike("c", 1, 21)];
        assert!(ladder(&strikes, &[], &p).is_empty());
        let mut close = [strike("a", 1, 0), strike("b", 1, 1), strike("c", 1, 2)];
        assert_eq!(ladder(&close, &[], &p)[0].measure_id(), "L1@c");
        close[1].reversed = true;
        assert!(ladder(&close, &[], &p).is_empty());
        // After the window, the same step can be reached again.
        let again: Vec<_> = [0, 1, 2, 30, 31, 32]
            .iter()
            .map(|d| strike(&format!("d{d:02}"), 1, *d))
            .collect();
        let m = ladder(&again, &[], &p);
        assert_eq!(m.len(), 2, "{m:?}");
        assert_eq!(m[1].strikes, ["d30", "d31", "d32"]);
    }

    #[test]
    fn a_heavy_strike_skips_steps_and_a_warning_only_policy_counts_zero() {
        let p = LedgerPolicy::default();
        let m = ladder(&[strike("x", 12, 0)], &[], &p);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].kind.as_str(), "suspend");
        let zero: Vec<_> = (0..30).map(|i| strike(&format!("z{i}"), 0, i)).collect();
        assert!(ladder(&zero, &[], &p).is_empty());
    }

    #[test]
    fn weights_by_code_then_category_then_default() {
        let mut p = LedgerPolicy {
            default_weight: 2,
            ..LedgerPolicy::default()
        };
        p.reason_weights.insert("prohibited_term".into(), 5);
        p.category_weights.insert("terrorism".into(), 9);
        p.category_weights.insert("gambling".into(), 3);
        assert_eq!(p.weight("prohibited_term", &["terrorism".into()]), 5);
        assert_eq!(
            p.weight("other", &["gambling".into(), "terrorism".into()]),
            9
        );
        assert_eq!(p.weight("other", &[]), 2);
    }

    #[test]
    fn strikes_read_from_worker_and_moderator_records() {
        let p = LedgerPolicy::default();
        let worker = br#"{"event_id":"e1","decision":"reject","reviewed_at":"2027-01-15T08:00:00Z",
            "reasons":[{"code":"label_missing","action":"hold","article":"Art. 17"},
                       {"code":"prohibited_term","action":"reject","category":"weapons","article":"Art. 6"}],
            "event":{"user":{"id":"u1"}}}"#;
        let s = Strike::from_rejected(worker, &p).unwrap();
        assert_eq!(s.key, "worker:e1");
        assert_eq!(s.reason_code, "prohibited_term");
        assert_eq!(s.category.as_deref(), Some("weapons"));
        assert_eq!(s.articles, ["Art. 17", "Art. 6"]);
        assert_eq!(s.user_id, "u1");
        let moderator = br#"{"event_id":"e2","decision":"reject","reviewed_at":"2027-01-15T08:00:00Z",
            "reasons":[],"event":{"user":{"id":"u1"}},
            "reviewed_by":{"kind":"moderator","id":"m","verdict_id":4,"reason_code":"fraud","decided_at":"2027-01-16T08:00:00Z"}}"#;
        let s = Strike::from_rejected(moderator, &p).unwrap();
        assert_eq!(s.key, "verdict:4");
        assert_eq!(s.reason_code, "fraud");
        assert_eq!(
            s.at,
            OffsetDateTime::parse("2027-01-16T08:00:00Z", &Rfc3339).unwrap()
        );
        for (bad, label) in [
            (&b"nope"[..], "malformed"),
            (br#"{"event_id":"e","decision":"approve"}"#, "not_rejected"),
            (
                br#"{"event_id":"e","decision":"reject","reviewed_at":"2027-01-15T08:00:00Z"}"#,
                "missing",
            ),
        ] {
            assert_eq!(Strike::from_rejected(bad, &p).unwrap_err().label(), label);
        }
    }

    #[test]
    fn a_false_information_strike_keeps_the_refutation_it_repeats() {
        let p = LedgerPolicy::default();
        let worker = r#"{"event_id":"e1","decision":"reject","reviewed_at":"2027-01-15T08:00:00Z",
            "reasons":[{"code":"known_false_news","action":"reject","article":"Art. 11",
                        "refutation":{"claim":"吃碘盐可以防核辐射","refuted_by":"卫生部","refuted_at":"2011-03"}}],
            "event":{"user":{"id":"u1"}}}"#;
        let r = Strike::from_rejected(worker.as_bytes(), &p)
            .unwrap()
            .refutation
            .unwrap();
        assert_eq!(
            (
                r.claim.as_str(),
                r.refuted_by.as_str(),
                r.refuted_at.as_deref()
            ),
            ("吃碘盐可以防核辐射", "卫生部", Some("2011-03"))
        );
        // A moderator confirming the worker's hold of a hedged repeat keeps it too; one who
        // rejects for something else does not record a refutation.
        let confirmed = |code: &str| {
            format!(
                r#"{{"event_id":"e2","decision":"reject","reviewed_at":"2027-01-15T08:00:00Z",
                "reasons":[{{"code":"known_false_news","action":"hold","article":"Art. 11",
                             "refutation":{{"claim":"c1","refuted_by":"b1"}}}}],
                "event":{{"user":{{"id":"u1"}}}},
                "reviewed_by":{{"kind":"moderator","id":"m","verdict_id":4,"reason_code":"{code}",
                                "decided_at":"2027-01-16T08:00:00Z"}}}}"#
            )
        };
        let s = Strike::from_rejected(confirmed("false_information").as_bytes(), &p).unwrap();
        assert_eq!(s.refutation.unwrap().claim, "c1");
        let s = Strike::from_rejected(confirmed("confirmed_violation").as_bytes(), &p).unwrap();
        assert_eq!(s.refutation, None);
        // No library entry in the record (a moderator's own finding).
        let bare = br#"{"event_id":"e3","decision":"reject","reviewed_at":"2027-01-15T08:00:00Z",
            "reasons":[],"event":{"user":{"id":"u1"}},
            "reviewed_by":{"kind":"moderator","id":"m","verdict_id":5,"reason_code":"false_information","decided_at":"2027-01-16T08:00:00Z"}}"#;
        let s = Strike::from_rejected(bare, &p).unwrap();
        assert_eq!(s.articles, ["Art. 11"], "what the moderator decided");
        assert_eq!(
            (s.reason_code.as_str(), s.refutation),
            ("false_information", None)
        );
    }

    #[test]
    fn policies_are_checked() {
        assert!(LedgerPolicy::default().check().is_ok());
        let mut p = LedgerPolicy::default();
        p.ladder[1].points = 3;
        assert!(p.check().unwrap_err().contains("step 2"));
        assert!(MeasureKind::from_parts("restrict", Some(" "), None).is_err());
        assert!(MeasureKind::from_parts("suspend", None, None).is_err());
        assert!(MeasureKind::from_parts("ban", None, None).is_err());
    }
}
