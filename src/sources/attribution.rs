//! Attribution: a text that presents itself as a listed unit's copy (its dateline, `…消息`,
//! byline, photo credit or source line) or cites one (`据…报道`). See the `news_source` stage,
//! [`crate::stages::news_source`], for what it does with them.
//!
//! Listed names that are ordinary words ([`GENERIC_NAMES`]) are never taken as attributions, and
//! two-character names (`红网`, `央视`) must start at a word boundary (text start, a non-Han
//! character, or `据`).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;

use super::news_detector::{plausible, DATE, NAMES};
use super::news_text::NewsText;
use super::news_units::NewsSources;

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

/// How a text attributes itself to a listed unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// The listed name or alias found (in the folded text: `新華社` is found as `新华社`).
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
                r"^[》」”]?(?:新闻客户端|客户端|网站|官网|官方微博|微博|微信公众号|新媒体|新闻|(?i:app))?(?:\p{{Han}}{{1,8}}?{DATE})?消息[\s　]*[（(：:，,]"
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

/// How far after a name (in characters) the context patterns can read before the `电` or `讯`
/// or [`AFTER_NEEDS_PAIRS`] word they need, with room to spare: `驻` + 8 + 10 Han characters +
/// a date of at most 13 characters in `dateline` (32), `》` + `新闻客户端` + 8 + 13 in `message`
/// (27), `》` + `微信公众号` + 10 + 13 in `report` (29), `驻` + 8 + `特约` in `byline` and
/// `byline_line` (11), 6 in `dateline_bare`.
const AFTER_WINDOW: usize = 48;

/// What every context pattern after a name needs (one of): `电` or `讯` (datelines, `report`'s
/// `…电`), or one of these words: `消息`, `记者`, `报道`, `报导`, `发布`.
const AFTER_NEEDS_PAIRS: [(char, char); 5] = [
    ('消', '息'),
    ('记', '者'),
    ('报', '道'),
    ('报', '导'),
    ('发', '布'),
];

/// The characters one of which `source_label` needs (`来源`/`稿源`, `出处`, `转…`, `摘自`).
const LABEL_NEEDS: [char; 4] = ['源', '处', '转', '摘'];

/// How many characters before a name `ju` and `source_label` read.
const TAIL_CHARS: usize = 12;

/// Byte offsets of the characters the context patterns need, in text order (see
/// `电`, `讯` or an [`AFTER_NEEDS_PAIRS`] word, [`LABEL_NEEDS`]).
struct Marks {
    after: Vec<usize>,
    ju: Vec<usize>,
    label: Vec<usize>,
}

impl Marks {
    /// One pass over `text`.
    fn new(text: &str) -> Self {
        let mut marks = Marks {
            after: Vec::new(),
            ju: Vec::new(),
            label: Vec::new(),
        };
        let mut chars = text.char_indices().peekable();
        while let Some((i, ch)) = chars.next() {
            let next = chars.peek().map(|&(_, c)| c);
            if matches!(ch, '电' | '讯') || AFTER_NEEDS_PAIRS.contains(&(ch, next.unwrap_or('\0')))
            {
                marks.after.push(i);
            } else if ch == '据' {
                marks.ju.push(i);
            } else if LABEL_NEEDS.contains(&ch) {
                marks.label.push(i);
            }
        }
        marks
    }

    /// Whether an offset of `marks` lies in `from..to`.
    fn any_in(marks: &[usize], from: usize, to: usize) -> bool {
        let i = marks.partition_point(|&p| p < from);
        marks.get(i).is_some_and(|&p| p < to)
    }
}

/// Finds the listed units a text attributes itself to.
#[derive(Debug, Clone)]
pub struct Attributor {
    names: Option<AhoCorasick>,
    /// Per automaton pattern: (name as listed, unit name).
    patterns: Vec<(String, String)>,
    /// Per automaton pattern: the index of its unit (patterns naming one unit share it).
    unit_of: Vec<usize>,
    /// How many distinct units the patterns name.
    units: usize,
    contexts: Contexts,
}

/// What one view has found for a unit so far ([`Attributor::find_in`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Nothing,
    Cited,
    Own,
}

/// The attribution automaton over the listed names cannot be built (aho-corasick refuses
/// automata past its size limits). A load-time error: the list is not used.
#[derive(Debug, thiserror::Error)]
#[error("the {names} listed names and aliases do not fit in the attribution automaton: {source}")]
pub struct AttributionError {
    /// How many names and aliases were to be compiled.
    pub names: usize,
    /// What aho-corasick reported.
    #[source]
    pub source: aho_corasick::BuildError,
}

impl Attributor {
    /// Builds the attribution automaton over every listed name and alias of `sources` of at
    /// least two characters, except [`GENERIC_NAMES`].
    ///
    /// # Errors
    /// [`AttributionError`] when the automaton cannot be built.
    ///
    /// # Panics
    /// Never: the context patterns are constants of this module, and the unit tests compile
    /// them.
    pub fn new(sources: &NewsSources) -> Result<Self, AttributionError> {
        let mut patterns: Vec<(String, String)> = sources
            .names_and_aliases()
            .filter(|(n, _)| n.chars().count() >= 2 && !GENERIC_NAMES.contains(n))
            .map(|(n, u)| (n.to_string(), u.name.clone()))
            .collect();
        patterns.sort();
        let names = if patterns.is_empty() {
            None
        } else {
            let automaton = AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .ascii_case_insensitive(true)
                .build(patterns.iter().map(|(n, _)| n))
                .map_err(|source| AttributionError {
                    names: patterns.len(),
                    source,
                })?;
            Some(automaton)
        };
        let mut ids: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        let unit_of: Vec<usize> = patterns
            .iter()
            .map(|(_, u)| {
                let next = ids.len();
                *ids.entry(u.as_str()).or_insert(next)
            })
            .collect();
        let units = ids.len();
        Ok(Attributor {
            names,
            patterns,
            unit_of,
            units,
            contexts: Contexts::new(),
        })
    }

    /// Every listed unit that `text` attributes itself to, in text order: per unit its first
    /// attribution, and its first [`AttributionKind::Own`] one too when a citation comes first
    /// (at most two per unit, so a text repeating one attribution to the size limit yields one).
    ///
    /// Reads the folded views of `text` ([`NewsText::views`]), as the news detector does, so
    /// traditional script, full-width digits, zero-width characters, `*` and spaces between Han
    /// characters do not hide an attribution; offsets and `matched` are the original's.
    pub fn find(&self, text: &str) -> Vec<Attribution> {
        if self.names.is_none() {
            return Vec::new();
        }
        let (keep, joined) = NewsText::views(text);
        self.find_in_views(text, &keep, joined.as_ref())
    }

    /// [`Attributor::find`] over views of `text` made already by [`NewsText::views`] (the
    /// `news_source` stage makes them once per field for the detector and the attributor).
    pub fn find_in_views(
        &self,
        text: &str,
        keep: &NewsText,
        joined: Option<&NewsText>,
    ) -> Vec<Attribution> {
        // Per (unit, kind): the earliest `(start, end, pattern)` over both views, in code points
        // of the original.
        let mut first: std::collections::HashMap<(usize, AttributionKind), (usize, usize, usize)> =
            std::collections::HashMap::new();
        for view in std::iter::once(keep).chain(joined) {
            for (pattern, kind, s, e) in self.find_in(&view.text) {
                let (start, end) = view.original_span(s, e);
                let key = (self.unit_of[pattern], kind);
                let entry = first.entry(key).or_insert((start, end, pattern));
                if (start, end) < (entry.0, entry.1) {
                    *entry = (start, end, pattern);
                }
            }
        }
        let mut found: Vec<(usize, usize, usize, AttributionKind)> = first
            .into_iter()
            .map(|((_, kind), (start, end, pattern))| (start, end, pattern, kind))
            .collect();
        found.sort_by_key(|&(start, end, pattern, _)| (start, end, pattern));
        found
            .into_iter()
            .map(|(start, end, pattern, kind)| {
                let (name, unit) = &self.patterns[pattern];
                Attribution {
                    matched: keep.original_slice(text, start, end).to_string(),
                    unit: unit.clone(),
                    name: name.clone(),
                    kind,
                    start,
                    end,
                }
            })
            .collect()
    }

    /// The attributions in `text` as it is: `(pattern, kind, start byte, end byte)`, per unit
    /// its first and, when that is a citation, its first own one (later ones cannot change
    /// what [`Attributor::find`] reports, and a unit with an own attribution is not looked at
    /// again). Every check after a name match looks at a bounded window around it, so this is
    /// linear in the length of `text`.
    fn find_in(&self, text: &str) -> Vec<(usize, AttributionKind, usize, usize)> {
        let Some(ac) = &self.names else {
            return Vec::new();
        };
        let c = &self.contexts;
        let mut seen = vec![Seen::Nothing; self.units];
        let mut out = Vec::new();
        let marks = Marks::new(text);
        for m in ac.find_iter(text) {
            let pattern = m.pattern().as_usize();
            let unit = self.unit_of[pattern];
            if seen[unit] == Seen::Own {
                continue;
            }
            // Every context pattern read after the name needs `电`, `讯` or an `AFTER_NEEDS_PAIRS` word
            // within its first `AFTER_WINDOW` characters (at most 4 bytes each), `ju` a `据` and
            // `source_label` a `LABEL_NEEDS` character in the 12 before it: without them no
            // pattern can match, and a text repeating a bare name is not searched at every match.
            let tail_from = m.start().saturating_sub(4 * TAIL_CHARS);
            let may_follow = Marks::any_in(&marks.after, m.end(), m.end() + 4 * AFTER_WINDOW);
            let may_cite = may_follow && Marks::any_in(&marks.ju, tail_from, m.start());
            let may_label = Marks::any_in(&marks.label, tail_from, m.start());
            if !may_follow && !may_label {
                continue;
            }
            let (name, _) = &self.patterns[pattern];
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
            let tail_start = before
                .char_indices()
                .rev()
                .nth(TAIL_CHARS - 1)
                .map_or(0, |(i, _)| i);
            let tail = &before[tail_start..];
            let found = if let Some(ju) = may_cite.then(|| c.ju.find(tail)).flatten() {
                c.report
                    .find(after)
                    .or_else(|| c.dateline.find(after))
                    .or_else(|| c.message.find(after))
                    .map(|a| (AttributionKind::Cited, tail_start + ju.start(), a.end()))
            } else {
                None
            };
            let found = found.or_else(|| {
                if !may_follow {
                    return None;
                }
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
                if !may_label {
                    return None;
                }
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
            match (seen[unit], kind) {
                (Seen::Cited, AttributionKind::Cited) => continue,
                (_, AttributionKind::Cited) => seen[unit] = Seen::Cited,
                (_, AttributionKind::Own) => seen[unit] = Seen::Own,
            }
            out.push((pattern, kind, start, end));
        }
        out
    }
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNITS: &str = include_str!("../../data/news-sources/cac-news-source-units.csv");
    const ALIASES: &str = include_str!("../../data/news-sources/aliases.csv");

    fn attributor() -> Attributor {
        let mut s = NewsSources::parse("units.csv", UNITS.as_bytes()).unwrap();
        s.add_aliases("aliases.csv", ALIASES.as_bytes()).unwrap();
        Attributor::new(&s).unwrap()
    }

    fn py_slice(text: &str, start: usize, end: usize) -> String {
        text.chars().skip(start).take(end - start).collect()
    }

    #[test]
    fn a_repeated_attribution_is_reported_once_per_unit_and_kind() {
        let s = attributor();
        let text = "据新华社报道，".repeat(5_000) + &"新华社北京1月5日电 ".repeat(5_000);
        let got = s.find(&text);
        let kinds: Vec<_> = got
            .iter()
            .map(|a| (a.unit.as_str(), a.kind, a.start))
            .collect();
        assert_eq!(
            kinds,
            [
                ("新华网", AttributionKind::Cited, 0),
                ("新华网", AttributionKind::Own, 5_000 * 7)
            ]
        );
    }

    #[test]
    fn the_longest_dateline_is_within_the_window_after_the_name() {
        // `驻` + 8 + 10 Han characters + the longest date: `电` is the 33rd character after the
        // name, inside `AFTER_WINDOW`.
        let after = "驻阿拉木图哈萨克斯坦国阿拉木图市区郊外二〇二四年十二月三十一日电";
        assert!(after.chars().count() <= AFTER_WINDOW);
        let text = format!("新华社{after} 大会今天开幕");
        let got = s_find_one(&text);
        assert_eq!(got.kind, AttributionKind::Own, "{got:?}");
        assert!(got.matched.ends_with("日电"), "{got:?}");
    }

    fn s_find_one(text: &str) -> Attribution {
        let got = attributor().find(text);
        assert_eq!(got.len(), 1, "{text}: {got:?}");
        got.into_iter().next().unwrap()
    }

    #[test]
    fn attributions_need_context_and_prefer_the_longest_name() {
        let s = attributor();
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
            let got = s.find(text);
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
}
