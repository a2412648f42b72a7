//! `news_source` stage (Art. 6(2), Art. 11; DESIGN §4). Three rules:
//!
//! 1. **`news_source_unverified`** (hold, Art. 6(2)). Applies only to *news-like* events:
//!    `news.is_news == true`, or `content.title`/`content.text` carries a cue that Chinese news
//!    copy really uses ([`NewsDetector`]: datelines such as `新华社北京１月５日电`, `本报讯`,
//!    `据…报道`, `…消息：`, bylines and photo credits such as `本报记者`, `电（记者…）`,
//!    `新华社记者兰红光摄`, source lines such as `来源：…网`), or names a listed unit in an
//!    attribution context (rule 2). Such an event needs a source that is a listed unit:
//!    `news.source.name` resolves through [`NewsSources::unit_by_name`] (aliases first) **or**
//!    the host of `news.source.url` through [`NewsSources::unit_by_host`]. Whether the name and
//!    the URL agree is `reprint_source`'s business, not this rule's. A producer's
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
//! 3. **`known_false_news`** (reject, Art. 11). Applies to **every** event, news-like or not: a
//!    rumour is as harmful in a chat post as in a news item. Each text field is checked against
//!    the [`RumourLibrary`] (near-duplicate matching, see [`crate::rumours`]). A match in a text that
//!    also calls something a rumour or asks about the claim ([`RumourMatch::hedged`], e.g. a
//!    debunking that quotes it) is proposed as **hold** instead, so a person decides; a
//!    pipeline's per-code action, if set, overrides both.
//!
//! Evidence offsets are code points into the original field value (DESIGN §3).
//!
//! Listed names that are ordinary words (rows of the list such as `办公室`, `联合会`,
//! `中华人民共和国`, which are government accounts whose names the list cut short, see
//! [`GENERIC_NAMES`]) are never taken as attributions, and two-character names (`红网`, `央视`)
//! must start at a word boundary (text start, a non-Han character, or `据`).

use std::collections::HashSet;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;
use serde::Deserialize;

use super::reprint_source::url_host;
use super::{BuildStage, Finding, Stage, StageContext, StageOutput};
use crate::config::ConfigError;
use crate::decision::{reason_codes, Action, Evidence, ReasonCode, StageKind};
use crate::event::PublishEvent;
use crate::news_sources::NewsSources;
use crate::rumours::{RumourLibrary, RumourMatch};

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
    /// [`crate::rumours::DEFAULT_THRESHOLD`]).
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
        let library = match &config.rumours {
            Some(rel) => {
                let file = ctx.read(rel)?;
                RumourLibrary::parse(&file.name, &file.bytes, config.rumour_threshold)?
            }
            None => RumourLibrary::empty(),
        };
        let sources =
            super::build::read_news_sources(ctx, &config.sources, config.aliases.as_deref())?;
        Ok(NewsSource::new(sources, Arc::new(library)))
    }
}

/// Listed names that occur as ordinary words and are never taken as attributions. They come from
/// the government-platform part of the CAC list, whose account names the source parse cut short,
/// plus 2–4 character names that are common phrases. Found by counting every listed name in the
/// People's Daily and review corpora (see `docs/news-detection.md`).
pub const GENERIC_NAMES: &[&str] = &[
    "办公室",
    "联合会",
    "中华人民共和国",
    "北京时间",
    "党的历史",
    "中国的航天",
    "共产党员",
    "中国中医",
];

/// Characters after a dated `…日电` that make it another word (`５月１日电话预订`).
const NOT_DATELINE_AFTER_DATE_DIAN: &str = "话视";

/// Characters after a date-less `…电` that make it part of another word (电话, 电视, 电脑…), not
/// a dateline.
const NOT_DATELINE_AFTER_DIAN: &str =
    "话视脑影子器池力台梯站网信商源缆线路气车邮报灯扇磁费表厂价筒饭风热动压流工焊炉暖钻量竞玩瓶容阻极荷离波码击疗烤蚊冰眼教大机板能文讯";

/// After `据`, these start hearsay (据说, 据悉, 据我所知…), not a news citation.
const HEARSAY_AFTER_JU: &[&str] = &["说", "悉", "我", "了解", "称", "理", "实", "此", "传"];

/// "Photographers" that make `（…摄）` a personal photo rather than a press photo credit.
const NOT_PHOTOGRAPHERS: &[&str] = &[
    "自己", "本人", "自摄", "楼主", "网友", "朋友", "手机", "我", "笔者", "作者", "实拍",
];

/// Date forms in datelines: `１月５日`, `1月5日`, `十二月三十一日`, `５日`, `1998年1月5日`.
const DATE: &str = r"(?:(?:[0-9０-９]{4}|[〇零○一二三四五六七八九]{4})年)?(?:(?:[0-9０-９]{1,2}|[〇零○一二三四五六七八九十]{1,3}|元)月)?(?:[0-9０-９]{1,2}|[〇零○一二三四五六七八九十廿卅]{1,3})日";

/// A news organisation as datelines name it: `…社`, `…网`, `…报`, `…台`, `本报`…
const AGENCY: &str = r"(?:\p{Han}{1,10}?(?:社|网|报|台|站|刊)|客户端)";

/// A person's name in a byline: 2–4 Han characters, several separated by `、` or spaces.
const NAMES: &str = r"[\s　]*\p{Han}{2,4}(?:[、\s　]+\p{Han}{2,4})*[\s　]*";

/// What kind of news cue was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CueKind {
    /// `新华社北京１月５日电`, `本报北京１月１５日讯`, `中新网1月5日电`.
    Dateline,
    /// Date-less agency tags: `本报讯`, `新京报讯`, `新华社华盛顿电（记者…）`.
    AgencyTag,
    /// `央视网消息：`, `新华社消息（…）`.
    Message,
    /// `据新华社报道`, `据外媒报道`, `综合…报道`.
    ReportedBy,
    /// `本报记者`, `记者张三报道：`, `（记者 张三）`, a byline line `新华社记者刘水玉`,
    /// `记者从…获悉`.
    Byline,
    /// `新华社记者兰红光摄`, `记者 张三 摄`.
    PhotoCredit,
    /// `来源：人民网`, `责任编辑：`, `原标题：`.
    SourceLine,
}

impl CueKind {
    /// A short snake_case name, used in details and the corpus measurement.
    pub fn as_str(self) -> &'static str {
        match self {
            CueKind::Dateline => "dateline",
            CueKind::AgencyTag => "agency_tag",
            CueKind::Message => "message",
            CueKind::ReportedBy => "reported_by",
            CueKind::Byline => "byline",
            CueKind::PhotoCredit => "photo_credit",
            CueKind::SourceLine => "source_line",
        }
    }
}

/// A news cue in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    /// What it is.
    pub kind: CueKind,
    /// Start, in code points into the text.
    pub start: usize,
    /// End (exclusive), in code points into the text.
    pub end: usize,
    /// The text at `start..end`.
    pub matched: String,
}

/// Detects the datelines, attributions and bylines of Chinese news copy. Patterns accept ASCII
/// and full-width digits, Chinese numerals and both widths of brackets and colons, and run on the
/// original text, so offsets need no mapping.
#[derive(Debug, Clone)]
pub struct NewsDetector {
    patterns: Vec<(CueKind, Regex)>,
}

impl Default for NewsDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl NewsDetector {
    /// Compiles the patterns.
    pub fn new() -> Self {
        let p = |kind, re: String| (kind, Regex::new(&re).expect("news cue pattern compiles"));
        NewsDetector {
            patterns: vec![
                p(
                    CueKind::Dateline,
                    format!(r"{AGENCY}(?:驻\p{{Han}}{{1,8}}?)?\p{{Han}}{{0,10}}?{DATE}(?:专电|电|讯)"),
                ),
                p(
                    CueKind::AgencyTag,
                    r"(?:\p{Han}{1,10}?(?:社|网|报|台|刊)|本报|本台|本刊|本网)讯".to_string(),
                ),
                p(
                    CueKind::AgencyTag,
                    r"\p{Han}{0,12}?(?:专电|电)[\s　]*[（(][\s　]*(?:特约记者|记者|通讯员)".to_string(),
                ),
                p(
                    CueKind::AgencyTag,
                    r"(?m)(?:^|据|综合|[（(])\p{Han}{0,10}?(?:社|网|报)\p{Han}{0,6}?(?:专电|电)".to_string(),
                ),
                p(
                    CueKind::Message,
                    format!(
                        r"(?:\p{{Han}}{{1,10}}?(?:社|网|台|报|刊)|客户端|新闻|频道|微博|公众号)(?:{DATE})?消息[\s　]*[（(：:]"
                    ),
                ),
                p(
                    CueKind::ReportedBy,
                    r"据[\p{Han}《》「」“”·\s　A-Za-z0-9０-９]{0,24}?(?:报道|报导)".to_string(),
                ),
                p(
                    CueKind::ReportedBy,
                    format!(r"据\p{{Han}}{{1,10}}?(?:社|网|台|报|刊)\p{{Han}}{{0,10}}?{DATE}(?:专电|电)"),
                ),
                p(
                    CueKind::ReportedBy,
                    r"据[\p{Han}《》「」“”]{1,16}?消息[\s　]*[，,：:]".to_string(),
                ),
                p(
                    CueKind::ReportedBy,
                    r"综合[\p{Han}、《》\s　]{1,24}?(?:报道|报导|消息)".to_string(),
                ),
                p(
                    CueKind::PhotoCredit,
                    format!(
                        r"[（(]?(?:\p{{Han}}{{0,10}}?(?:社|网|报|台))?(?:特约|首席|实习)?记者{NAMES}(?:/[\s　]*)?摄"
                    ),
                ),
                p(
                    CueKind::PhotoCredit,
                    format!(r"[（(]{NAMES}(?:/[\s　]*)?摄[）)]"),
                ),
                p(
                    CueKind::PhotoCredit,
                    r"[（(]\p{Han}{1,10}?社(?:记者\p{Han}{2,4})?发\p{Han}{0,12}?[）)]".to_string(),
                ),
                p(
                    CueKind::Byline,
                    r"本报(?:驻\p{Han}{1,8}?)?(?:特约|首席|实习)?记者".to_string(),
                ),
                p(
                    CueKind::Byline,
                    format!(r"记者{NAMES}报道[：:]"),
                ),
                p(
                    CueKind::Byline,
                    r"[（(【][\s　]*(?:\p{Han}{0,10}?(?:社|网|报|台))?(?:特约|首席|实习)?记者[\s　]*\p{Han}{2,4}".to_string(),
                ),
                p(
                    CueKind::Byline,
                    r"(?m)^(?:[\s　]*\p{Han}{0,8}?(?:社|网|报|台)(?:驻\p{Han}{1,8}?)?(?:特约|首席|实习)?记者[\s　]*\p{Han}{2,12}(?:[、\s　]+\p{Han}{2,4})*)+[\s　]*$".to_string(),
                ),
                p(CueKind::Byline, r"(?m)^[\s　]*记者[\s　]*[：:]".to_string()),
                p(
                    CueKind::Byline,
                    r"记者(?:[0-9０-９]{1,2}日|近日|日前|今天|昨天|今日|昨日|初次|再次|随后)?(?:前往|来到|走访|采访了|实地|随机采访|注意到|在现场)".to_string(),
                ),
                p(
                    CueKind::Byline,
                    r"记者(?:[0-9０-９]{1,2}日|近日|日前|今天|昨天|今日|昨日)?(?:从\p{Han}{2,20}?)?(?:获悉|了解到|得知)".to_string(),
                ),
                p(
                    CueKind::SourceLine,
                    r"(?:来源|稿源)[\s　]*[：:][\s　]*[《「“@]?\p{Han}{1,12}?(?:社|网|报|台|刊|客户端|新闻|频道)".to_string(),
                ),
                p(
                    CueKind::SourceLine,
                    r"(?:转自|转载自|摘自)[\s　]*[：:]?[\s　]*[《「“@]?\p{Han}{1,12}?(?:社|网|报|台|刊|客户端|新闻|频道)".to_string(),
                ),
                p(
                    CueKind::SourceLine,
                    r"(?:责任编辑|[（(【\[]原标题)[\s　]*[：:]".to_string(),
                ),
            ],
        }
    }

    /// The earliest cue in `text` (on ties, the first pattern: datelines before bylines), if any.
    pub fn find(&self, text: &str) -> Option<Cue> {
        let mut best: Option<(usize, usize, CueKind)> = None;
        for (kind, re) in &self.patterns {
            let Some(m) = re
                .find_iter(text)
                .find(|m| plausible(text, m.start(), m.end()))
            else {
                continue;
            };
            let better = match best {
                None => true,
                Some((s, _, _)) => m.start() < s,
            };
            if better {
                best = Some((m.start(), m.end(), *kind));
            }
        }
        best.map(|(s, e, kind)| Cue {
            kind,
            start: cp(text, s),
            end: cp(text, e),
            matched: text[s..e].to_string(),
        })
    }

    /// Whether `text` carries any news cue.
    pub fn is_news_like(&self, text: &str) -> bool {
        self.find(text).is_some()
    }
}

/// Post-checks that a regex cannot express without look-around.
fn plausible(text: &str, start: usize, end: usize) -> bool {
    let m = &text[start..end];
    if m.ends_with('电') {
        if let Some(next) = text[end..].chars().next() {
            // After a date the body follows directly (`…５日电大会…`, `…５日电子工业部…`), so
            // only `日电话` / `日电视` are words; after a date-less `…电` many words are.
            let words = if m.ends_with("日电") {
                NOT_DATELINE_AFTER_DATE_DIAN
            } else {
                NOT_DATELINE_AFTER_DIAN
            };
            if words.contains(next) {
                return false;
            }
        }
    }
    if let Some(rest) = m.strip_prefix('据') {
        // 据说 / 据悉 / 据我所知…, and chains such as 据朋友说…报道过.
        if HEARSAY_AFTER_JU.iter().any(|h| rest.starts_with(h))
            || (m.ends_with("报道") && (rest.contains('说') || rest.contains('听')))
        {
            return false;
        }
    }
    if m.ends_with('摄') || m.ends_with("摄）") || m.ends_with("摄)") {
        // A personal photo (（自己摄）, （手机摄）) is no press photo credit.
        if NOT_PHOTOGRAPHERS.iter().any(|w| m.contains(w)) {
            return false;
        }
    }
    true
}

/// Code points before byte offset `byte`.
fn cp(text: &str, byte: usize) -> usize {
    text[..byte].chars().count()
}

/// How a text attributes itself to a listed unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributionKind {
    /// The unit's dateline, `…消息`, byline, photo credit or source line: the text presents itself
    /// as that unit's copy.
    Own,
    /// `据…报道` / `据…电`: the text cites the unit.
    Cited,
}

/// A listed unit named in an attribution context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    /// The listed unit's name (`新华网` for the alias `新华社`).
    pub unit: String,
    /// The name or alias as written in the text.
    pub name: String,
    /// Own copy or citation.
    pub kind: AttributionKind,
    /// Start of the whole attribution (`据…`, `来源：…`, the dateline), in code points.
    pub start: usize,
    /// End (exclusive), in code points.
    pub end: usize,
    /// The text at `start..end`.
    pub matched: String,
}

/// Regexes for the context around a listed name (anchored at the name's end, or ending at its start).
#[derive(Debug, Clone)]
struct Contexts {
    dateline: Regex,
    message: Regex,
    byline: Regex,
    byline_line: Regex,
    dateline_bare: Regex,
    report: Regex,
    source_label: Regex,
    colon: Regex,
    ju: Regex,
    line_start: Regex,
}

impl Contexts {
    fn new() -> Self {
        let re = |s: String| Regex::new(&s).expect("attribution pattern compiles");
        Contexts {
            dateline: re(format!(
                r"^(?:(?:驻\p{{Han}}{{1,8}}?)?\p{{Han}}{{0,10}}?{DATE}(?:专电|电|讯)|\p{{Han}}{{0,8}}?(?:专电|电)[\s　]*[（(：:]|讯[\s　]*[（(：:])"
            )),
            message: re(format!(
                r"^[》」”]?(?:新闻客户端|客户端|网站|官网|官方微博|微博|微信公众号|新媒体|新闻|App|APP)?(?:\p{{Han}}{{1,8}}?{DATE})?消息[\s　]*[（(：:，,]"
            )),
            byline: re(format!(
                r"^(?:驻\p{{Han}}{{1,8}}?)?(?:特约|首席|实习)?记者{NAMES}(?:/[\s　]*)?(?:摄|报道)"
            )),
            byline_line: re(
                r"^(?:驻\p{Han}{1,8}?)?(?:特约|首席|实习)?记者[\s　]*\p{Han}{2,4}(?:[、\s　]+\p{Han}{2,4})*[\s　]*(?:[）)]|(?m:$))"
                    .to_string(),
            ),
            dateline_bare: re(r"^\p{Han}{0,6}?(?:专电|电)".to_string()),
            report: re(format!(
                r"^[》」”]?(?:新闻客户端|客户端|网站|官网|官方微博|微博|微信公众号|新闻|记者)?(?:报道|报导|消息|发布|\p{{Han}}{{0,10}}?(?:{DATE})?(?:专电|电))"
            )),
            source_label: re(
                r"(?:(?P<strong>(?:来源|稿源|出处)[\s　]*[：:]|转自|转载自|摘自|(?:转载|转)[\s　]*[：:])|(?P<weak>转载|转))[\s　]*[《「“@]?$"
                    .to_string(),
            ),
            colon: re(r"^[》」”]?[\s　]*[：:]".to_string()),
            ju: re(r"据[\s　]*[《「“]?$".to_string()),
            line_start: re(r"(?:^|[\n（(【\[])[\s　]*$".to_string()),
        }
    }
}

/// News source checks (see the module docs for the three rules).
pub struct NewsSource {
    sources: Arc<NewsSources>,
    rumours: Arc<RumourLibrary>,
    detector: NewsDetector,
    names: Option<AhoCorasick>,
    /// Per automaton pattern: (name as listed, unit name).
    patterns: Vec<(String, String)>,
    contexts: Contexts,
}

impl NewsSource {
    /// A stage over a loaded source list and rumour library. Builds the attribution automaton over
    /// every listed name and alias of at least two characters, except [`GENERIC_NAMES`].
    pub fn new(sources: Arc<NewsSources>, rumours: Arc<RumourLibrary>) -> Self {
        let mut patterns: Vec<(String, String)> = sources
            .names_and_aliases()
            .filter(|(n, _)| n.chars().count() >= 2 && !GENERIC_NAMES.contains(n))
            .map(|(n, u)| (n.to_string(), u.name.clone()))
            .collect();
        patterns.sort();
        let names = (!patterns.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .build(patterns.iter().map(|(n, _)| n))
                .expect("name automaton builds")
        });
        NewsSource {
            sources,
            rumours,
            detector: NewsDetector::new(),
            names,
            patterns,
            contexts: Contexts::new(),
        }
    }

    /// Every listed unit that `text` attributes itself to, in text order.
    pub fn attributions(&self, text: &str) -> Vec<Attribution> {
        let Some(ac) = &self.names else {
            return Vec::new();
        };
        let c = &self.contexts;
        let mut out = Vec::new();
        for m in ac.find_iter(text) {
            let (name, unit) = &self.patterns[m.pattern().as_usize()];
            let before = &text[..m.start()];
            let after = &text[m.end()..];
            if name.chars().count() == 2 {
                let prev = before.chars().next_back();
                let boundary = match prev {
                    None => true,
                    Some(ch) => ch == '据' || !is_han(ch),
                };
                if !boundary {
                    continue;
                }
            }
            // Look back at most 12 characters for `据` / `来源：`.
            let tail_start = before.char_indices().rev().nth(11).map_or(0, |(i, _)| i);
            let tail = &before[tail_start..];
            let found = if let Some(ju) = c.ju.find(tail) {
                c.report
                    .find(after)
                    .or_else(|| c.dateline.find(after))
                    .or_else(|| c.message.find(after))
                    .map(|a| (AttributionKind::Cited, tail_start + ju.start(), a.end()))
            } else {
                None
            };
            let found = found.or_else(|| {
                c.dateline
                    .find(after)
                    .or_else(|| c.message.find(after))
                    .or_else(|| c.byline.find(after))
                    .or_else(|| {
                        // `新华社记者刘水玉` as a line of its own, `（新华社记者周家国）`, a
                        // date-less `新华社北京电…` opening a paragraph, `（本报开罗电）`.
                        c.line_start
                            .is_match(tail)
                            .then(|| {
                                c.byline_line
                                    .find(after)
                                    .or_else(|| c.dateline_bare.find(after))
                            })
                            .flatten()
                    })
                    .map(|a| (AttributionKind::Own, m.start(), a.end()))
            });
            let found = found.or_else(|| {
                let label = c.source_label.captures(tail)?;
                let start = tail_start + label.get(0)?.start();
                if label.name("weak").is_some() {
                    // A bare `转人民日报` counts only as `转人民日报：`.
                    let colon = c.colon.find(after)?;
                    Some((AttributionKind::Own, start, colon.end()))
                } else {
                    Some((AttributionKind::Own, start, 0))
                }
            });
            let Some((kind, start, after_len)) = found else {
                continue;
            };
            let end = m.end() + after_len;
            if !plausible(text, start, end) {
                continue;
            }
            out.push(Attribution {
                unit: unit.clone(),
                name: name.clone(),
                kind,
                start: cp(text, start),
                end: cp(text, end),
                matched: text[start..end].to_string(),
            });
        }
        out
    }

    /// The detector this stage uses.
    pub fn detector(&self) -> &NewsDetector {
        &self.detector
    }
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
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
                Err(why) => problems.push(why),
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

    fn rumour_finding(&self, field: &str, text: &str, m: &RumourMatch<'_>) -> Finding {
        let r = m.rumour;
        let when = r
            .refuted_at
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        let mut detail = format!(
            "repeats the known rumour 「{}」 (similarity {:.2} ≥ {:.2}), refuted by {}{when}",
            r.claim,
            m.score,
            self.rumours.threshold(),
            r.refuted_by
        );
        let mut finding = Finding::new(ReasonCode::KnownFalseNews);
        if m.hedged {
            detail.push_str(
                "; the text questions or refutes it (谣言/辟谣/吗/？), so it is held for a person instead of rejected",
            );
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
        for (field, text) in event.text_fields() {
            if cue.is_none() {
                cue = self.detector.find(text).map(|c| (field, c));
            }
            attributions.extend(self.attributions(text).into_iter().map(|a| (field, a)));
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
        let mut seen: HashSet<*const crate::rumours::Rumour> = HashSet::new();
        for (field, text) in event.text_fields() {
            for m in self.rumours.find(text) {
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

    #[test]
    fn detector_finds_real_cues_and_offsets_are_code_points() {
        let d = NewsDetector::new();
        let cases: &[(&str, Option<(CueKind, &str)>)] = &[
            // Real lines of the sample, and modern forms.
            (
                pd_line("新华社北京１月"),
                Some((CueKind::Dateline, "新华社北京１月")),
            ),
            (pd_line("本报讯"), Some((CueKind::AgencyTag, "本报讯"))),
            (
                "（新华社记者兰红光摄）",
                Some((CueKind::PhotoCredit, "记者兰红光摄")),
            ),
            (
                "新华社北京1月5日电（记者 张三）今天",
                Some((CueKind::Dateline, "新华社北京1月5日电")),
            ),
            (
                "本报北京十二月三十一日讯　记者",
                Some((CueKind::Dateline, "本报北京十二月三十一日讯")),
            ),
            (
                "央视网消息（新闻联播）：今天",
                Some((CueKind::Message, "央视网消息（")),
            ),
            (
                "据外媒报道，某国发生地震",
                Some((CueKind::ReportedBy, "据外媒报道")),
            ),
            (
                "据《人民日报》报道，今年",
                Some((CueKind::ReportedBy, "据《人民日报》报道")),
            ),
            (
                "新华社华盛顿电（记者李红旗）在",
                Some((CueKind::AgencyTag, "新华社华盛顿电（记者")),
            ),
            (
                "本报驻俄罗斯记者许宏治",
                Some((CueKind::Byline, "本报驻俄罗斯记者")),
            ),
            (
                "新华社记者刘水玉",
                Some((CueKind::Byline, "新华社记者刘水玉")),
            ),
            (
                "记者从市教育局获悉，今年",
                Some((CueKind::Byline, "记者从市教育局获悉")),
            ),
            (
                "来源：人民网　责任编辑：张三",
                Some((CueKind::SourceLine, "来源：人民网")),
            ),
            (
                "转自新浪网：明天全市放假",
                Some((CueKind::SourceLine, "转自新浪网")),
            ),
            (
                "据新浪网消息，明天全市放假",
                Some((CueKind::ReportedBy, "据新浪网消息")),
            ),
            // Not news: reviews, hearsay, 电 as part of a word, a mere mention of a paper.
            ("我5月1日电话预订的房间，到了却说没有", None),
            ("据说这本书被很多媒体报道过，买来一看很一般", None),
            ("我每天都看人民日报和新闻联播", None),
            ("在今天的记者招待会上，他回答了记者的提问", None),
            ("房间很干净，服务员态度好，早餐一般。", None),
            ("据朋友说这家酒店被电视台报道过，果然不错", None),
            ("西湖边的日落（自己摄）", None),
            ("网上买的电饭煲很好用，淘宝网买的电热水壶也不错", None),
            ("5月1日电视上播了这部片子", None),
        ];
        for (text, want) in cases {
            let got = d.find(text);
            match want {
                None => assert!(got.is_none(), "{text}: {got:?}"),
                Some((kind, contains)) => {
                    let cue = got.unwrap_or_else(|| panic!("{text}: no cue"));
                    assert_eq!(cue.kind, *kind, "{text}: {cue:?}");
                    assert!(cue.matched.contains(contains), "{text}: {cue:?}");
                    assert_eq!(py_slice(text, cue.start, cue.end), cue.matched, "{text}");
                }
            }
        }
    }

    #[test]
    fn attributions_need_context_and_prefer_the_longest_name() {
        let s = stage();
        type Want = Option<(&'static str, AttributionKind, &'static str)>;
        let cases: &[(&str, Want)] = &[
            (
                "新华社北京１月５日电　今天",
                Some(("新华网", AttributionKind::Own, "新华社北京１月５日电")),
            ),
            (
                "谢谢！（新华社北京１２月３１日电",
                Some(("新华网", AttributionKind::Own, "新华社北京１２月３１日电")),
            ),
            (
                "据新华社莫斯科１２月３０日电　俄罗斯",
                Some((
                    "新华网",
                    AttributionKind::Cited,
                    "据新华社莫斯科１２月３０日电",
                )),
            ),
            (
                "据人民日报海外版报道，今年",
                Some((
                    "人民日报海外版",
                    AttributionKind::Cited,
                    "据人民日报海外版报道",
                )),
            ),
            (
                "据《人民日报》报道，今年",
                Some(("人民网", AttributionKind::Cited, "据《人民日报》报道")),
            ),
            (
                "（新华社记者周家国摄）",
                Some(("新华网", AttributionKind::Own, "新华社记者周家国摄")),
            ),
            (
                "央视网消息：今天",
                Some(("央视网", AttributionKind::Own, "央视网消息：")),
            ),
            (
                "来源：人民日报",
                Some(("人民网", AttributionKind::Own, "来源：")),
            ),
            (
                "（央视记者张三）",
                Some(("央视网", AttributionKind::Own, "央视记者张三）")),
            ),
            (
                "据央视新闻客户端消息，今天",
                Some(("央视网", AttributionKind::Cited, "据央视新闻客户端消息")),
            ),
            (
                "转人民日报：请立即停止使用微波炉",
                Some(("人民网", AttributionKind::Own, "转人民日报：")),
            ),
            ("这个网红网消息：明天上新", None),
            ("我看了人民日报，很受启发", None),
            ("他在接受新华社记者采访时说", None),
            ("在中央电视台举办的晚会上", None),
            ("办公室里新来了一位同事，消息：明天开会", None),
        ];
        for (text, want) in cases {
            let got = s.attributions(text);
            match want {
                None => assert!(got.is_empty(), "{text}: {got:?}"),
                Some((unit, kind, contains)) => {
                    assert_eq!(got.len(), 1, "{text}: {got:?}");
                    let a = &got[0];
                    assert_eq!((a.unit.as_str(), a.kind), (*unit, *kind), "{text}: {a:?}");
                    assert!(a.matched.contains(contains), "{text}: {a:?}");
                    assert_eq!(py_slice(text, a.start, a.end), a.matched, "{text}");
                }
            }
        }
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
                "debunking quote is held",
                text("网传“吃碘盐可以防核辐射”，这是谣言。"),
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
            vec![(ReasonCode::KnownFalseNews, "吃碘盐可以防核辐射".to_string())],
            "a citation by a listed source is fine; the rumour is not"
        );
        let f = &out.findings[0];
        assert!(f.detail.as_deref().unwrap().contains("卫生部"), "{f:?}");
        assert_eq!(
            f.evidence.as_ref().unwrap().term.as_deref(),
            Some("吃碘盐可以防核辐射")
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
        );
        assert_eq!(
            codes(&s, json!({"content": {"text": "新华社北京１月５日电"}})),
            vec![(ReasonCode::NewsSourceUnverified, Action::Hold)]
        );
        assert!(codes(&s, json!({"content": {"text": "吃碘盐可以防核辐射"}})).is_empty());
    }
}
