//! News-like detection: the datelines, attributions, bylines and source lines of Chinese news copy
//! (see the `news_source` stage, [`crate::stages::news_source`], and `docs/news-detection.md`).

use regex::Regex;

use super::news_text::NewsText;

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
pub(super) const DATE: &str = r"(?:(?:[0-9０-９]{4}|[〇零○一二三四五六七八九]{4})年)?(?:(?:[0-9０-９]{1,2}|[〇零○一二三四五六七八九十]{1,3}|元)月)?(?:[0-9０-９]{1,2}|[〇零○一二三四五六七八九十廿卅]{1,3})日";

/// A news organisation as datelines name it: `…社`, `…网`, `…报`, `…台`, `本报`…
const AGENCY: &str = r"(?:\p{Han}{1,10}?(?:社|网|报|台|站|刊)|客户端)";

/// A person's name in a byline: 2–4 Han characters, several separated by `、` or spaces.
pub(super) const NAMES: &str = r"[\s　]*\p{Han}{2,4}(?:[、\s　]+\p{Han}{2,4})*[\s　]*";

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
/// folded views of the text ([`NewsText`]); offsets map back to the original.
#[derive(Debug, Clone)]
pub struct NewsDetector {
    patterns: Vec<Pattern>,
    /// Every character that is a trigger of some pattern, each once; bit `i` of a
    /// [`Pattern::mask`] stands for `triggers[i]`.
    triggers: Vec<char>,
}

/// A cue pattern with the characters one of which every match of it contains: it runs only on
/// a text that has one of them (most texts have none of most patterns'), so ordinary text costs
/// one substring search per trigger character instead of a regex search per pattern.
#[derive(Debug, Clone)]
struct Pattern {
    kind: CueKind,
    re: Regex,
    /// The pattern's trigger characters as bits of [`NewsDetector::triggers`].
    mask: u32,
}

impl Default for NewsDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl NewsDetector {
    /// Compiles the patterns.
    ///
    /// # Panics
    /// Never: the patterns are constants of this module, and the unit tests compile them.
    pub fn new() -> Self {
        let p = |kind, re: String| (kind, Regex::new(&re).expect("news cue pattern compiles"));
        // The characters one of which every match of the pattern at the same place in the list
        // holds (test `triggers_are_in_every_match`).
        const TRIGGERS: [&str; 22] = [
            "电讯", "讯", "电", "电", "消", "据", "据", "据", "综", "摄", "摄", "发", "记", "记",
            "记", "记", "记", "记", "记", "源", "自", "编标",
        ];
        let patterns: Vec<(CueKind, Regex)> = vec![
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
        ];
        assert_eq!(
            patterns.len(),
            TRIGGERS.len(),
            "one trigger set per pattern"
        );
        let mut all: Vec<char> = TRIGGERS.iter().flat_map(|t| t.chars()).collect();
        all.sort_unstable();
        all.dedup();
        assert!(all.len() <= 32, "a trigger mask has 32 bits");
        let mask = |t: &str| {
            t.chars()
                .map(|c| 1u32 << all.binary_search(&c).expect("listed"))
                .fold(0, |m, b| m | b)
        };
        NewsDetector {
            patterns: patterns
                .into_iter()
                .zip(TRIGGERS)
                .map(|((kind, re), triggers)| Pattern {
                    kind,
                    re,
                    mask: mask(triggers),
                })
                .collect(),
            triggers: all,
        }
    }

    /// The earliest cue in `text` (on ties, the first pattern: datelines before bylines), if any.
    ///
    /// The patterns read the folded views of `text` ([`NewsText::views`]: traditional script,
    /// full-width digits, zero-width characters, `*` and spaces between Han characters folded
    /// away); the cue's offsets and `matched` are those of the original `text`.
    pub fn find(&self, text: &str) -> Option<Cue> {
        let (keep, joined) = NewsText::views(text);
        self.find_in_views(text, &keep, joined.as_ref())
    }

    /// [`NewsDetector::find`] over views of `text` made already by [`NewsText::views`].
    pub fn find_in_views(
        &self,
        text: &str,
        keep: &NewsText,
        joined: Option<&NewsText>,
    ) -> Option<Cue> {
        let mut best: Option<(usize, usize, CueKind)> = None;
        for view in std::iter::once(keep).chain(joined) {
            let Some((s, e, kind)) = self.find_in(&view.text) else {
                continue;
            };
            let (s, e) = view.original_span(s, e);
            if best.is_none_or(|(b, _, _)| s < b) {
                best = Some((s, e, kind));
            }
        }
        best.map(|(start, end, kind)| Cue {
            kind,
            start,
            end,
            matched: keep.original_slice(text, start, end).to_string(),
        })
    }

    /// The earliest cue in `text` as it is, in byte offsets: `(start, end, kind)`. Each pattern
    /// runs one left-to-right search over the text, so this is linear in its length.
    fn find_in(&self, text: &str) -> Option<(usize, usize, CueKind)> {
        self.find_in_filtered(text, true)
    }

    /// [`NewsDetector::find_in`], skipping the patterns whose trigger characters `text` lacks
    /// when `filter` (always, but for the test that shows the filter changes nothing).
    fn find_in_filtered(&self, text: &str, filter: bool) -> Option<(usize, usize, CueKind)> {
        let mut best: Option<(usize, usize, CueKind)> = None;
        // Which trigger characters the text has.
        let present = self
            .triggers
            .iter()
            .enumerate()
            .filter(|(_, c)| text.contains(**c))
            .fold(0u32, |m, (i, _)| m | 1 << i);
        for Pattern { kind, re, mask, .. } in &self.patterns {
            if filter && mask & present == 0 {
                continue;
            }
            let Some(m) = re
                .find_iter(text)
                .find(|m| plausible(text, m.start(), m.end()))
            else {
                continue;
            };
            if best.is_none_or(|(s, _, _)| m.start() < s) {
                best = Some((m.start(), m.end(), *kind));
            }
        }
        best
    }

    /// Whether `text` carries any news cue.
    pub fn is_news_like(&self, text: &str) -> bool {
        self.find(text).is_some()
    }
}

/// Post-checks that a regex cannot express without look-around.
pub(super) fn plausible(text: &str, start: usize, end: usize) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    const PEOPLES_DAILY: &str = include_str!("../../data/corpus/peoples-daily-199801.sample.txt");

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

    /// Every match of every pattern holds one of its trigger characters, so skipping a pattern
    /// whose triggers a text lacks changes no result: checked on every line of both corpus
    /// samples and the news red-team events, folded as the detector reads them, and on each
    /// pattern's own matches.
    #[test]
    fn triggers_are_in_every_match() {
        let d = NewsDetector::new();
        let redteam = include_str!("../../tests/redteam/cases/news_cues.jsonl");
        let reviews = include_str!("../../data/corpus/reviews.sample.txt");
        let mut matches = 0;
        for line in PEOPLES_DAILY
            .lines()
            .chain(reviews.lines())
            .chain(redteam.lines())
        {
            let (keep, joined) = NewsText::views(line);
            for view in std::iter::once(&keep).chain(joined.as_ref()) {
                let text = view.text.as_str();
                for Pattern { kind, re, mask } in &d.patterns {
                    let triggers: String = (d.triggers.iter().enumerate())
                        .filter(|(b, _)| mask & (1 << b) != 0)
                        .map(|(_, c)| *c)
                        .collect();
                    for m in re.find_iter(text) {
                        matches += 1;
                        assert!(
                            m.as_str().contains(|c| triggers.contains(c)),
                            "{kind:?} matched `{}` without any of `{triggers}`",
                            m.as_str()
                        );
                    }
                }
                assert_eq!(
                    d.find_in_filtered(text, true),
                    d.find_in_filtered(text, false)
                );
            }
        }
        assert!(matches > 1_000, "{matches}");
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
}

#[cfg(test)]
mod folded_tests {
    use super::*;

    #[test]
    fn cues_behind_script_width_and_separators_are_found_with_original_offsets() {
        let d = NewsDetector::new();
        for text in [
            "新華社北京1月5日電 國務院今天",
            "看这里：新\u{200B}华社北京１月５日电 国务院今天",
            "新 华 社 北 京 1 月 5 日 电 国务院今天",
            "据新*华*社报道，今天",
        ] {
            let cue = d.find(text).unwrap_or_else(|| panic!("{text}: no cue"));
            let slice: String = text
                .chars()
                .skip(cue.start)
                .take(cue.end - cue.start)
                .collect();
            assert_eq!(slice, cue.matched, "{text}");
            assert!(cue.matched.starts_with(['新', '据']), "{text}: {cue:?}");
        }
    }
}
