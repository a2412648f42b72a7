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

/// Finds the listed units a text attributes itself to.
#[derive(Debug, Clone)]
pub struct Attributor {
    names: Option<AhoCorasick>,
    /// Per automaton pattern: (name as listed, unit name).
    patterns: Vec<(String, String)>,
    contexts: Contexts,
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
        Ok(Attributor {
            names,
            patterns,
            contexts: Contexts::new(),
        })
    }

    /// Every listed unit that `text` attributes itself to, in text order.
    ///
    /// Reads the folded views of `text` ([`NewsText::views`]), as the news detector does, so
    /// traditional script, full-width digits, zero-width characters, `*` and spaces between Han
    /// characters do not hide an attribution; offsets and `matched` are the original's.
    pub fn find(&self, text: &str) -> Vec<Attribution> {
        if self.names.is_none() {
            return Vec::new();
        }
        let (keep, joined) = NewsText::views(text);
        let mut out: Vec<Attribution> = Vec::new();
        let mut seen: std::collections::HashSet<(String, usize)> = std::collections::HashSet::new();
        for (n, view) in std::iter::once(&keep).chain(joined.as_ref()).enumerate() {
            for (unit, name, kind, s, e) in self.find_in(&view.text) {
                let (start, end) = view.original_span(s, e);
                let fresh = seen.insert((unit.clone(), start));
                if n > 0 && !fresh {
                    continue;
                }
                out.push(Attribution {
                    matched: keep.original_slice(text, start, end).to_string(),
                    unit,
                    name,
                    kind,
                    start,
                    end,
                });
            }
        }
        if joined.is_some() {
            out.sort_by_key(|a| (a.start, a.end));
        }
        out
    }

    /// The attributions in `text` as it is: `(unit, name, kind, start byte, end byte)`.
    /// Every check after a name match looks at a bounded window around it, so this is linear
    /// in the length of `text`.
    fn find_in(&self, text: &str) -> Vec<(String, String, AttributionKind, usize, usize)> {
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
            out.push((unit.clone(), name.clone(), kind, start, end));
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
