//! `news_source` stage (Art. 6(2), Art. 11; DESIGN §4). Three rules:
//!
//! 1. **`news_source_unverified`** (hold, Art. 6(2)). Applies only to *news-like* events:
//!    `news.is_news == true`, or `content.title`/`content.text` carries a cue that Chinese news
//!    copy really uses ([`NewsDetector`]: datelines such as `新华社北京１月５日电`, `本报讯`,
//!    `据…报道`, `…消息：`, bylines and photo credits such as `本报记者`, `电（记者…）`,
//!    `新华社记者兰红光摄`, source lines such as `来源：…网`), or names a listed unit in an
//!    attribution context (rule 2). Such an event needs a source that is a listed unit:
//!    `news.source.name` resolves through [`NewsSources::unit_by_name`] (aliases first) **or**
//!    the host of `news.source.url` through [`NewsSources::unit_by_host`]. A producer's
//!    `is_news: false` does not switch detection off: undeclared news is what detection is for.
//!    `is_reprint` alone does not make an event news-like here (the `reprint_source` stage
//!    reviews reprints).
//!
//! 2. **`news_attribution_mismatch`** (hold, Art. 6(2)). The text attributes itself to a listed
//!    unit: a listed name or alias (longest first, so `人民日报海外版` beats `人民日报`) in an
//!    attribution context, not a mere mention (`我看了人民日报` is no attribution):
//!    - *self-attribution*: the unit's dateline (`新华社北京１月５日电`, `新华社华盛顿电（记者…）`),
//!      its `…消息：` tag, a byline or photo credit (`新华社记者兰红光摄`, `（央视记者张三）`), or a
//!      source line (`来源：人民日报`, `转自…`);
//!    - *citation*: `据人民日报报道`, `据新华社北京１２月３０日电`, `据央视新闻客户端消息`.
//!
//!    A self-attribution mismatches when the event's source (name or URL, as in rule 1) is missing
//!    or resolves to other units only. A citation mismatches only when the event has no listed
//!    source at all: a listed unit citing another listed unit (`据新华社…电` in a People's Daily
//!    article) is ordinary reporting, but an unsourced text that lends itself a listed unit's
//!    authority is what Art. 6(2) is about. One finding per attributed unit. Since every
//!    attribution context is also a news cue, this rule implies rule 1's news-likeness.
//!
//!    The declared source itself must agree with itself too: on a news-like event that gives
//!    both `news.source.name` and `news.source.url`, the URL's host must belong to the named unit
//!    ([`NewsSources::name_and_host_agree`]; subdomains count, `news.cn..`, IP addresses and
//!    userinfo tricks do not), else `news_attribution_mismatch` with evidence `news.source.url`
//!    (`新华网` + `https://evil.example/`, `某自媒体` + `https://www.news.cn/`). A listed name
//!    does not vouch for any URL, nor a listed URL for any name.
//!
//! 3. **`known_false_news`** (reject, Art. 11). Applies to **every** event, news-like or not: a
//!    rumour is as harmful in a chat post as in a news item. Each text field is checked against
//!    the [`RumourLibrary`] (near-duplicate matching with a stance, see
//!    [`crate::sources::rumours`]). A text that denies the claim by scope (`吃碘盐不能防核辐射`) or
//!    directs a refutation at it (`网传…，经查系谣言`, `辟谣：…`) is what Art. 11's 辟谣
//!    mechanism publishes and passes; one that asks about it or calls something else a rumour
//!    ([`RumourMatch::hedged`]) is proposed as **hold**, so a person decides; one that asserts it
//!    is rejected. The detail names the claim, the similarity, the stance and its cue word, and
//!    the refuting body; the evidence covers the matched sentence. A pipeline's per-code action,
//!    if set, overrides both.
//!
//! Evidence offsets are code points into the original field value (DESIGN §3).
//!
//! Listed names that are ordinary words (rows of the list such as `办公室`, `联合会`,
//! `中华人民共和国`, which are government accounts whose names the list cut short, see
//! [`GENERIC_NAMES`](crate::sources::attribution::GENERIC_NAMES)) are never taken as
//! attributions, and two-character names (`红网`, `央视`) must start at a word boundary (text
//! start, a non-Han character, or `据`).
//!
//! The detector, the attribution rules, the news-source list and the rumour library live in
//! [`crate::sources`]; this module applies them to an event.

use std::collections::HashSet;
use std::sync::Arc;

use serde::Deserialize;

use super::{BuildStage, Finding, Stage, StageContext, StageOutput};
use crate::config::{ConfigError, ConfigErrorKind};
use crate::decision::{reason_codes, Action, Evidence, ReasonCode, StageKind};
use crate::event::PublishEvent;
use crate::sources::attribution::{Attribution, AttributionError, AttributionKind, Attributor};
use crate::sources::news_detector::{Cue, NewsDetector};
use crate::sources::news_text::NewsText;
use crate::sources::news_units::NewsSources;
use crate::sources::rumours::{Rumour, RumourLibrary, RumourMatch, Stance, WORD_THRESHOLD};
use crate::sources::url::url_host;
use crate::text::normalize::{Folded, Normalizer};

reason_codes! {
    /// News-like content whose source is not a listed news unit.
    NewsSourceUnverified = "news_source_unverified", NewsSource, Hold, "Art. 6(2)";
    /// Text attributes itself to a listed unit other than the event's source.
    NewsAttributionMismatch = "news_attribution_mismatch", NewsSource, Hold, "Art. 6(2)";
    /// Text matches a known refuted rumour.
    KnownFalseNews = "known_false_news", NewsSource, Reject, "Art. 11";
}

/// `[[stages]] kind = "news_source"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewsSourceConfig {
    /// News-source CSV (`name,domain`, others ignored).
    pub sources: String,
    /// Alias CSV (`alias,name[,domain]`) mapping common names to listed units.
    #[serde(default)]
    pub aliases: Option<String>,
    /// Known-rumour CSV (`claim,refuted_by[,refuted_at]`).
    #[serde(default)]
    pub rumours: Option<String>,
    /// Similarity at or above which a text is taken to repeat a known rumour (0 < t ≤ 1; default
    /// [`crate::sources::rumours::DEFAULT_THRESHOLD`]).
    #[serde(default)]
    pub rumour_threshold: Option<f64>,
}

impl BuildStage for NewsSource {
    type Config = NewsSourceConfig;

    fn build(config: NewsSourceConfig, ctx: &mut StageContext<'_>) -> Result<Self, ConfigError> {
        if let Some(t) = config.rumour_threshold {
            if !(t > 0.0 && t <= 1.0) {
                return Err(ctx.invalid(
                    "rumour_threshold",
                    format!("rumour_threshold must be greater than 0 and at most 1, found {t}"),
                ));
            }
        }
        let extra = ctx.extra_rumours();
        let (library, skipped) = match &config.rumours {
            Some(rel) => {
                let file = ctx.read(rel)?;
                RumourLibrary::with_extra(
                    &file.name,
                    Some(&file.bytes),
                    config.rumour_threshold,
                    extra,
                )?
            }
            None if extra.is_empty() => (RumourLibrary::empty(), Vec::new()),
            None => {
                RumourLibrary::with_extra("refuted claims", None, config.rumour_threshold, extra)?
            }
        };
        if !extra.is_empty() {
            let mut bytes = Vec::new();
            for r in extra {
                bytes.extend_from_slice(r.claim.as_bytes());
                bytes.push(0);
                bytes.extend_from_slice(r.refuted_by.as_bytes());
                bytes.push(0);
                bytes.extend_from_slice(r.refuted_at.as_deref().unwrap_or("").as_bytes());
                bytes.push(b'\n');
            }
            ctx.record_data(bytes);
        }
        for reason in &skipped {
            tracing::warn!(
                reason = reason.as_str(),
                "A refuted claim is not in the rumour library."
            );
        }
        let sources =
            super::build::read_news_sources(ctx, &config.sources, config.aliases.as_deref())?;
        NewsSource::new(sources, Arc::new(library)).map_err(|e| {
            ctx.table()
                .error_at(ConfigErrorKind::DataFile, "sources", e.to_string())
        })
    }
}

/// News source checks (see the module docs for the three rules).
pub struct NewsSource {
    sources: Arc<NewsSources>,
    rumours: Arc<RumourLibrary>,
    detector: NewsDetector,
    attributor: Attributor,
}

impl NewsSource {
    /// A stage over a loaded source list and rumour library. Builds the attribution automaton
    /// ([`Attributor::new`]) over the list's names and aliases.
    ///
    /// # Errors
    /// [`AttributionError`] when the names do not fit in the attribution automaton.
    pub fn new(
        sources: Arc<NewsSources>,
        rumours: Arc<RumourLibrary>,
    ) -> Result<Self, AttributionError> {
        Ok(NewsSource {
            attributor: Attributor::new(&sources)?,
            sources,
            rumours,
            detector: NewsDetector::new(),
        })
    }

    /// Every listed unit that `text` attributes itself to, in text order (see [`Attributor`]).
    pub fn attributions(&self, text: &str) -> Vec<Attribution> {
        self.attributor.find(text)
    }

    /// The detector this stage uses.
    pub fn detector(&self) -> &NewsDetector {
        &self.detector
    }
}

/// What the event says about its source, resolved against the list.
struct SourceInfo {
    /// Listed units the source name or URL resolves to (0, 1 or 2 names).
    units: Vec<String>,
    /// Why the source is not verified, when `units` is empty.
    problem: String,
    /// Evidence pointing at the declared source value, if there is one.
    evidence: Option<Evidence>,
}

fn source_evidence(field: &str, value: &str) -> Evidence {
    Evidence {
        field: field.into(),
        start: None,
        end: None,
        matched: Some(value.chars().take(512).collect()),
        term: None,
    }
}

impl NewsSource {
    fn source_info(&self, event: &PublishEvent) -> SourceInfo {
        let (name, url) = event
            .news
            .as_ref()
            .map_or((None, None), |n| n.source_name_and_url());
        let mut units = Vec::new();
        let mut problems = Vec::new();
        if let Some(name) = name {
            match self.sources.unit_by_name(name) {
                Some(u) => units.push(u.name.clone()),
                None => problems.push(format!("`{name}` is not a listed news source unit")),
            }
        }
        if let Some(url) = url {
            match url_host(url) {
                Ok(host) => match self.sources.unit_by_host(&host) {
                    Some(u) => {
                        if !units.contains(&u.name) {
                            units.push(u.name.clone());
                        }
                    }
                    None => problems.push(format!(
                        "`{host}` is not a domain of a listed news source unit"
                    )),
                },
                Err(why) => problems.push(why.to_string()),
            }
        }
        let problem = if name.is_none() && url.is_none() {
            "no source is given (news.source.name / news.source.url)".to_string()
        } else {
            problems.join("; ")
        };
        let evidence = match (name, url) {
            (Some(n), _) => Some(source_evidence("news.source.name", n)),
            (None, Some(u)) => Some(source_evidence("news.source.url", u)),
            (None, None) => None,
        };
        SourceInfo {
            units,
            problem,
            evidence,
        }
    }

    /// `news_attribution_mismatch` when the event gives both a source name and a URL and they do
    /// not name the same listed unit ([`NewsSources::name_and_host_agree`]), or the URL has no
    /// listed host (an IP address, `news.cn..`) next to a listed name. Both unlisted is rule 1's
    /// `news_source_unverified` alone.
    fn name_url_disagreement(&self, event: &PublishEvent) -> Option<Finding> {
        let (Some(name), Some(url)) = event
            .news
            .as_ref()
            .map_or((None, None), |n| n.source_name_and_url())
        else {
            return None;
        };
        let why = match url_host(url) {
            Ok(host) => {
                if self.sources.unit_by_name(name).is_none()
                    && self.sources.unit_by_host(&host).is_none()
                {
                    return None;
                }
                self.sources.name_and_host_agree(name, &host).err()?
            }
            Err(e) => {
                let named = self.sources.unit_by_name(name)?;
                format!(
                    "source name `{}` is the listed unit `{}`, but its URL names no listed \
                     domain ({e})",
                    name.trim(),
                    named.name
                )
            }
        };
        Some(
            Finding::new(ReasonCode::NewsAttributionMismatch)
                .detail(format!(
                    "{why}: the declared source name and URL must name the same listed unit"
                ))
                .evidence(source_evidence("news.source.url", url)),
        )
    }

    fn rumour_finding(&self, field: &str, text: &str, m: &RumourMatch<'_>) -> Finding {
        let r = m.rumour;
        let when = r
            .refuted_at
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        let cue = m
            .cue
            .as_deref()
            .map(|c| format!(", cue `{c}`"))
            .unwrap_or_default();
        let mut detail = format!(
            "repeats the known rumour 「{}」 ({} similarity {:.2} ≥ {:.2}, stance {}{cue}), refuted by {}{when}",
            r.claim,
            if m.basis == "words" { "word" } else { "character" },
            m.score,
            if m.basis == "words" {
                WORD_THRESHOLD
            } else {
                self.rumours.threshold()
            },
            m.stance.as_str(),
            r.refuted_by
        );
        let mut finding = Finding::new(ReasonCode::KnownFalseNews);
        finding.refutation = Some(crate::decision::Refutation {
            claim: r.claim.clone(),
            refuted_by: r.refuted_by.clone(),
            refuted_at: r.refuted_at.clone(),
        });
        if m.hedged {
            detail.push_str(match m.stance {
                Stance::Asked => "; the text asks whether it is true, so it is held for a person instead of rejected",
                _ => "; the text calls something a rumour elsewhere (not this claim), so it is held for a person instead of rejected",
            });
            finding.action = Action::Hold;
        }
        finding.detail(detail).evidence(Evidence {
            field: field.into(),
            start: Some(m.start),
            end: Some(m.end),
            matched: Some(text.chars().skip(m.start).take(m.end - m.start).collect()),
            term: Some(r.claim.clone()),
        })
    }
}

fn cue_evidence(field: &str, start: usize, end: usize, matched: &str) -> Evidence {
    Evidence {
        field: field.into(),
        start: Some(start),
        end: Some(end),
        matched: Some(matched.to_string()),
        term: None,
    }
}

impl Stage for NewsSource {
    fn kind(&self) -> StageKind {
        StageKind::NewsSource
    }

    fn review(&self, event: &PublishEvent, out: &mut StageOutput) {
        let declared = event.news.as_ref().and_then(|n| n.is_news) == Some(true);
        let mut cue: Option<(&'static str, Cue)> = None;
        let mut attributions: Vec<(&'static str, Attribution)> = Vec::new();
        // Each field is folded once, for the news views and the rumour check.
        let folded: Vec<(&'static str, &str, Folded)> = event
            .text_fields()
            .map(|(field, text)| (field, text, Normalizer::shared().fold_text(text)))
            .collect();
        for (field, text, fold) in &folded {
            let (field, text) = (*field, *text);
            // One pair of folded views per field, read by the detector and the attributor.
            let (keep, joined) = NewsText::views_of_folded(text, fold);
            if cue.is_none() {
                cue = self
                    .detector
                    .find_in_views(text, &keep, joined.as_ref())
                    .map(|c| (field, c));
            }
            attributions.extend(
                self.attributor
                    .find_in_views(text, &keep, joined.as_ref())
                    .into_iter()
                    .map(|a| (field, a)),
            );
        }
        let news_like = declared || cue.is_some() || !attributions.is_empty();
        if news_like {
            let info = self.source_info(event);
            if info.units.is_empty() {
                let why = match (&cue, attributions.first()) {
                    (Some((_, c)), _) => format!("news-like content ({})", c.kind.as_str()),
                    (None, Some(_)) => "news-like content (attribution)".to_string(),
                    (None, None) => "content declared as news".to_string(),
                };
                let evidence = match (&cue, attributions.first()) {
                    (Some((f, c)), _) => Some(cue_evidence(f, c.start, c.end, &c.matched)),
                    (None, Some((f, a))) => Some(cue_evidence(f, a.start, a.end, &a.matched)),
                    (None, None) => info.evidence.clone(),
                };
                let mut finding = Finding::new(ReasonCode::NewsSourceUnverified).detail(format!(
                    "{why} without a listed news source: {}",
                    info.problem
                ));
                finding.evidence = evidence;
                out.findings.push(finding);
            }
            if let Some(finding) = self.name_url_disagreement(event) {
                out.findings.push(finding);
            }
            let mut reported: HashSet<&str> = HashSet::new();
            for (field, a) in &attributions {
                if info.units.contains(&a.unit) || reported.contains(a.unit.as_str()) {
                    continue;
                }
                let mismatch = match a.kind {
                    AttributionKind::Own => true,
                    AttributionKind::Cited => info.units.is_empty(),
                };
                if !mismatch {
                    continue;
                }
                reported.insert(&a.unit);
                let declared_source = if info.units.is_empty() {
                    "the event has no listed source".to_string()
                } else {
                    format!("the event's source is `{}`", info.units.join("` / `"))
                };
                let how = match a.kind {
                    AttributionKind::Own => "presents itself as copy of",
                    AttributionKind::Cited => "cites",
                };
                out.findings.push(
                    Finding::new(ReasonCode::NewsAttributionMismatch)
                        .detail(format!(
                            "the text {how} `{}` (listed unit `{}`) but {declared_source}",
                            a.name, a.unit
                        ))
                        .evidence(cue_evidence(field, a.start, a.end, &a.matched)),
                );
            }
        }
        let mut seen: HashSet<*const Rumour> = HashSet::new();
        for (field, text, fold) in &folded {
            let (field, text) = (*field, *text);
            for m in self.rumours.find_folded(text, fold) {
                if seen.insert(m.rumour as *const _) {
                    out.findings.push(self.rumour_finding(field, text, &m));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::test_support::event;
    use serde_json::json;

    const PEOPLES_DAILY: &str = include_str!("../../data/corpus/peoples-daily-199801.sample.txt");
    const REVIEWS: &str = include_str!("../../data/corpus/reviews.sample.txt");
    const UNITS: &str = include_str!("../../data/news-sources/cac-news-source-units.csv");
    const ALIASES: &str = include_str!("../../data/news-sources/aliases.csv");
    const RUMOURS: &str = include_str!("../../data/rumours/known-rumours.csv");

    fn sources() -> Arc<NewsSources> {
        let mut s = NewsSources::parse("units.csv", UNITS.as_bytes()).unwrap();
        s.add_aliases("aliases.csv", ALIASES.as_bytes()).unwrap();
        Arc::new(s)
    }

    fn stage() -> NewsSource {
        NewsSource::new(
            sources(),
            Arc::new(RumourLibrary::parse("r.csv", RUMOURS.as_bytes(), None).unwrap()),
        )
        .unwrap()
    }

    /// The first People's Daily sample line containing `needle` (real corpus text).
    fn pd_line(needle: &str) -> &'static str {
        PEOPLES_DAILY
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no sample line contains {needle}"))
    }

    fn py_slice(text: &str, start: usize, end: usize) -> String {
        text.chars().skip(start).take(end - start).collect()
    }

    fn codes(s: &NewsSource, patch: serde_json::Value) -> Vec<(ReasonCode, Action)> {
        let mut out = StageOutput::default();
        s.review(&event(patch), &mut out);
        out.findings.iter().map(|f| (f.code, f.action)).collect()
    }

    #[test]
    fn table() {
        let s = stage();
        let dateline = pd_line("新华社北京１月");
        let review = REVIEWS.lines().next().unwrap();
        let text = |t: &str| json!({"content": {"text": t}});
        let with = |t: &str, news: serde_json::Value| json!({"content": {"text": t}, "news": news});
        type Case = (&'static str, serde_json::Value, Vec<(ReasonCode, Action)>);
        let cases: Vec<Case> = vec![
            // news_source_unverified
            ("review line, not news", text(review), vec![]),
            (
                "declared news, no source",
                json!({"news": {"is_news": true}}),
                vec![(NewsSourceUnverified, Action::Hold)],
            ),
            (
                "declared news, listed source by alias",
                json!({"news": {"is_news": true, "source": {"name": "新华社"}}}),
                vec![],
            ),
            (
                "declared news, unlisted name",
                json!({"news": {"is_news": true, "source": {"name": "野鸡新闻"}}}),
                vec![(NewsSourceUnverified, Action::Hold)],
            ),
            (
                "declared news, look-alike URL",
                json!({"news": {"is_news": true, "source": {"url": "https://news.cn.example.org/a"}}}),
                vec![(NewsSourceUnverified, Action::Hold)],
            ),
            (
                "declared news, listed URL, unlisted name",
                json!({"news": {"is_news": true, "source": {"name": "某自媒体", "url": "https://www.news.cn/a"}}}),
                vec![(NewsAttributionMismatch, Action::Hold)],
            ),
            (
                "declared news, listed name, unlisted URL",
                json!({"news": {"is_news": true, "source": {"name": "新华网", "url": "https://evil.example/a.html"}}}),
                vec![(NewsAttributionMismatch, Action::Hold)],
            ),
            (
                "declared news, listed name, IP URL",
                json!({"news": {"is_news": true, "source": {"name": "新华网", "url": "http://1.2.3.4/a"}}}),
                vec![(NewsAttributionMismatch, Action::Hold)],
            ),
            (
                "declared news, alias and subdomain agree",
                json!({"news": {"is_news": true, "source": {"name": "新华社", "url": "https://M.News.CN./a"}}}),
                vec![],
            ),
            (
                "undeclared People's Daily dateline, no source",
                text(dateline),
                vec![
                    (NewsSourceUnverified, Action::Hold),
                    (NewsAttributionMismatch, Action::Hold),
                ],
            ),
            (
                "本报讯 line with listed source",
                with(pd_line("本报讯"), json!({"source": {"name": "人民日报"}})),
                vec![],
            ),
            (
                "is_news false does not switch detection off",
                with(pd_line("本报讯"), json!({"is_news": false})),
                vec![(NewsSourceUnverified, Action::Hold)],
            ),
            // news_attribution_mismatch
            (
                "Xinhua dateline, source Xinhua by URL",
                with(
                    dateline,
                    json!({"source": {"url": "http://www.xinhuanet.com/x"}}),
                ),
                vec![],
            ),
            (
                "Xinhua dateline, source People's Daily",
                with(dateline, json!({"source": {"name": "人民网"}})),
                vec![(NewsAttributionMismatch, Action::Hold)],
            ),
            (
                "citation by a listed unit is not a mismatch",
                with(
                    "据新华社报道，今年全国粮食总产量再创新高。",
                    json!({"source": {"name": "人民网"}}),
                ),
                vec![],
            ),
            (
                "citation without a source",
                text("据人民日报报道，今年全国粮食总产量再创新高。"),
                vec![
                    (NewsSourceUnverified, Action::Hold),
                    (NewsAttributionMismatch, Action::Hold),
                ],
            ),
            (
                "mere mention is no attribution",
                with(
                    "我每天都看人民日报，觉得很有收获。",
                    json!({"is_news": true, "source": {"name": "光明日报"}}),
                ),
                vec![],
            ),
            // known_false_news (any event, news or not)
            (
                "rumour in a chat post",
                text("紧急扩散！吃碘盐可以防核辐射，大家赶快去超市囤盐"),
                vec![(KnownFalseNews, Action::Reject)],
            ),
            (
                "rumour attributed to a paper that never printed it",
                with(
                    "转人民日报：请立即停止使用微波炉！",
                    json!({"is_news": false}),
                ),
                vec![
                    (NewsSourceUnverified, Action::Hold),
                    (NewsAttributionMismatch, Action::Hold),
                    (KnownFalseNews, Action::Reject),
                ],
            ),
            (
                "debunking quote passes (Art. 11 辟谣)",
                text("网传“吃碘盐可以防核辐射”，这是谣言。"),
                vec![],
            ),
            (
                "dismissed refutation is rejected",
                text("别听专家说是谣言，吃碘盐可以防核辐射"),
                vec![(KnownFalseNews, Action::Reject)],
            ),
            (
                "a negation elsewhere in the sentence does not cancel",
                text("吃碘盐不会错，可以防核辐射，快囤！"),
                vec![(KnownFalseNews, Action::Reject)],
            ),
            (
                "question is held",
                text("吃碘盐可以防核辐射吗？"),
                vec![(KnownFalseNews, Action::Hold)],
            ),
            (
                "negated claim passes",
                text("吃碘盐不能防核辐射，不要盲目抢购食盐。"),
                vec![],
            ),
            (
                "topic words only",
                text("超市的碘盐最近卖得很好，核电站附近的居民很关心辐射。"),
                vec![],
            ),
        ];
        for (name, patch, want) in cases {
            assert_eq!(codes(&s, patch), want, "{name}");
        }
    }

    #[test]
    fn evidence_points_into_the_original_field() {
        let s = stage();
        let title = "🙂重要";
        let body = "😀转发：吃碘盐可以防核辐射！据新华社北京１月５日电";
        let mut out = StageOutput::default();
        s.review(
            &event(json!({"content": {"title": title, "text": body}, "news": {"source": {"name": "人民网"}}})),
            &mut out,
        );
        let mut seen = Vec::new();
        for f in &out.findings {
            let e = f.evidence.as_ref().unwrap();
            assert_eq!(e.field, "content.text");
            let got = py_slice(body, e.start.unwrap(), e.end.unwrap());
            assert_eq!(Some(&got), e.matched.as_ref(), "{f:?}");
            seen.push((f.code, got));
        }
        assert_eq!(
            seen,
            vec![(
                ReasonCode::KnownFalseNews,
                "转发：吃碘盐可以防核辐射".to_string()
            )],
            "a citation by a listed source is fine; the rumour is not (evidence: its sentence)"
        );
        let f = &out.findings[0];
        let detail = f.detail.as_deref().unwrap();
        for want in [
            "卫生部",
            "「吃碘盐可以防核辐射」",
            "similarity 1.00",
            "stance asserted",
        ] {
            assert!(detail.contains(want), "{want}: {f:?}");
        }
        assert_eq!(
            f.evidence.as_ref().unwrap().term.as_deref(),
            Some("吃碘盐可以防核辐射")
        );
        let r = f
            .refutation
            .as_ref()
            .expect("the library entry, for Art. 11 records");
        assert_eq!(
            (
                r.claim.as_str(),
                r.refuted_by.as_str(),
                r.refuted_at.as_deref()
            ),
            ("吃碘盐可以防核辐射", "卫生部", Some("2011-03"))
        );
    }

    #[test]
    fn corpus_samples() {
        let s = stage();
        let d = s.detector();
        let pd = PEOPLES_DAILY.lines().filter(|l| d.is_news_like(l)).count();
        let rv: Vec<&str> = REVIEWS.lines().filter(|l| d.is_news_like(l)).collect();
        // Measured shares are in docs/news-detection.md; these bounds catch regressions.
        assert!(
            pd >= 400,
            "People's Daily sample: only {pd} of 4000 lines detected"
        );
        assert!(
            rv.len() <= 4,
            "reviews sample: {} lines detected: {rv:?}",
            rv.len()
        );
        for line in REVIEWS.lines() {
            assert!(s.attributions(line).is_empty(), "{line}");
        }
    }

    #[test]
    fn empty_lists_are_harmless() {
        let s = NewsSource::new(
            Arc::new(NewsSources::default()),
            Arc::new(RumourLibrary::empty()),
        )
        .unwrap();
        assert_eq!(
            codes(&s, json!({"content": {"text": "新华社北京１月５日电"}})),
            vec![(ReasonCode::NewsSourceUnverified, Action::Hold)]
        );
        assert!(codes(&s, json!({"content": {"text": "吃碘盐可以防核辐射"}})).is_empty());
    }
}
