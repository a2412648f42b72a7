//! Unit tests of the matcher, and the reference implementation of the filler scan the property
//! tests compare [`Matcher::find`] with.

use super::find::{FillerScan, Scratch};
use super::rules::PatternInfo;
use super::*;
use crate::text::normalize::tests::shared;
use crate::text::normalize::CharFlags;

/// The filler scan as it was before [`FillerWindows`](super::find::FillerWindows): the whole
/// text, whenever it has a filler.
struct WholeText;

impl FillerScan for WholeText {
    fn scan(
        matcher: &Matcher,
        codes: &[u32],
        flags: &[CharFlags],
        consumed: &mut Vec<u32>,
        skip: impl Fn(usize) -> bool + Copy,
        report: impl FnMut(usize, usize, u32, PatternInfo),
    ) {
        let n = flags.len();
        if (1..n - 1).any(skip) {
            matcher
                .plain
                .scan_skipping(codes, 0..n, consumed, skip, report);
        }
    }
}

/// [`Matcher::find`] with the whole-text filler scan: the reference the property tests
/// compare `find` with.
fn find_reference<'a>(m: &'a Matcher, text: &'a str) -> Vec<Hit<'a>> {
    if m.is_empty() {
        return Vec::new();
    }
    m.find_with::<WholeText>(text, false, &mut Scratch::default())
}

fn entry(term: &str, category: &str, action: TermAction, line: usize) -> LexiconEntry {
    LexiconEntry {
        term: term.to_string(),
        category: category.to_string(),
        action,
        source: format!("t.csv:{line}"),
    }
}

fn matcher(rows: &[(&str, &str, TermAction)]) -> Result<Matcher, MatcherError> {
    let entries = rows
        .iter()
        .enumerate()
        .map(|(i, &(t, c, a))| entry(t, c, a, i + 2))
        .collect();
    Matcher::new(shared(), entries)
}

fn lexicon() -> Matcher {
    use TermAction::*;
    matcher(&[
        ("赌博", "gambling", Reject),
        ("daikai", "illegal_goods", Hold),
        ("123", "digits", Hold),
        ("网络赌场", "gambling", Reject),
        ("赌场", "gambling", Hold),
        ("打擊賭博", "news", Allow),
        ("禁止 daikai", "news", Allow),
    ])
    .expect("test lexicon builds")
}

type Want = &'static [(usize, usize, &'static str, &'static str)];

/// Asserts `hits` are exactly `want` = (start, end, matched, term) and that each hit's
/// offsets slice the original text to its `matched`, as Python's `text[start:end]` would.
fn check(name: &str, text: &str, hits: &[Hit], want: Want) {
    let got: Vec<_> = hits
        .iter()
        .map(|h| (h.start, h.end, h.matched, h.term))
        .collect();
    assert_eq!(got, want, "{name}: {text:?}");
    assert_valid(text, hits);
}

fn assert_valid(text: &str, hits: &[Hit]) {
    // Byte offset of every code point, and of the end: slicing by code points is then O(1).
    let bytes: Vec<usize> = text
        .char_indices()
        .map(|(b, _)| b)
        .chain([text.len()])
        .collect();
    for h in hits {
        assert!(h.start < h.end && h.end < bytes.len(), "{h:?} in {text:?}");
        assert_eq!(
            &text[bytes[h.start]..bytes[h.end]],
            h.matched,
            "offsets must slice the original: {text:?}"
        );
    }
    assert!(
        hits.windows(2).all(|w| w[0].end <= w[1].start),
        "sorted, no overlap: {hits:?}"
    );
}

#[test]
fn finds_evasions() {
    let m = lexicon();
    let cases: &[(&str, &str, Want)] = &[
        ("plain", "来赌博吧", &[(1, 3, "赌博", "赌博")]),
        ("traditional", "賭博", &[(0, 2, "賭博", "赌博")]),
        ("star", "赌*博", &[(0, 3, "赌*博", "赌博")]),
        ("space", "赌 博", &[(0, 3, "赌 博", "赌博")]),
        ("dot", "赌.博", &[(0, 3, "赌.博", "赌博")]),
        (
            "zero width",
            "赌\u{200B}博",
            &[(0, 3, "赌\u{200B}博", "赌博")],
        ),
        ("emoji", "赌😀博", &[(0, 3, "赌😀博", "赌博")]),
        (
            "variation selector",
            "赌\u{FE0F}博",
            &[(0, 3, "赌\u{FE0F}博", "赌博")],
        ),
        (
            "several separators",
            "赌 * \u{200D}🎲 博",
            &[(0, 8, "赌 * \u{200D}🎲 博", "赌博")],
        ),
        ("context", "一起去赌*博吧", &[(3, 6, "赌*博", "赌博")]),
        (
            "full width",
            "找ＤＡＩＫＡＩ",
            &[(1, 7, "ＤＡＩＫＡＩ", "daikai")],
        ),
        ("mixed case", "DaiKai", &[(0, 6, "DaiKai", "daikai")]),
        (
            "dotted latin",
            "d.a.i.k.a.i",
            &[(0, 11, "d.a.i.k.a.i", "daikai")],
        ),
        (
            "latin after separator",
            "x. daikai!",
            &[(3, 9, "daikai", "daikai")],
        ),
        (
            "latin next to cjk",
            "专业daikai发票",
            &[(2, 8, "daikai", "daikai")],
        ),
        ("math bold", "𝐝𝐚𝐢𝐤𝐚𝐢", &[(0, 6, "𝐝𝐚𝐢𝐤𝐚𝐢", "daikai")]),
        ("accented", "dàikāi", &[(0, 6, "dàikāi", "daikai")]),
        ("circled digits", "电话①②③", &[(2, 5, "①②③", "123")]),
        ("full width digits", "１２３", &[(0, 3, "１２３", "123")]),
        (
            "keycaps",
            "1\u{FE0F}\u{20E3}2\u{FE0F}\u{20E3}3\u{FE0F}\u{20E3}",
            &[(
                0,
                9,
                "1\u{FE0F}\u{20E3}2\u{FE0F}\u{20E3}3\u{FE0F}\u{20E3}",
                "123",
            )],
        ),
        (
            "two hits",
            "赌博和賭 博",
            &[(0, 2, "赌博", "赌博"), (3, 6, "賭 博", "赌博")],
        ),
        (
            "longest wins",
            "网络赌场",
            &[(0, 4, "网络赌场", "网络赌场")],
        ),
        ("astral neighbours", "𠀀赌博𠀀", &[(1, 3, "赌博", "赌博")]),
    ];
    for (name, text, want) in cases {
        check(name, text, &m.find(text), want);
    }
}

#[test]
fn negative_controls() {
    let m = lexicon();
    let long_clean = "一九九八年新年讲话。".repeat(100_000); // 1 MB
    let cases: &[(&str, &str)] = &[
        ("latin term inside a longer word", "daikaixyz"),
        ("latin term at the end of a word", "xdaikai"),
        ("zero width inside a word still joins it", "x\u{200B}daikai"),
        ("digits inside a number", "41234"),
        ("allow phrase", "公安打击赌博行动"),
        ("allow phrase in traditional text", "公安打擊賭博行動"),
        ("allow phrase with separators", "打 击 赌*博"),
        ("latin allow phrase", "禁止DAIKAI"),
        ("no term", "一九九八年新年讲话"),
        ("empty", ""),
        ("lone combining marks", "\u{301}\u{302}\u{20E3}"),
        ("only separators", " *。\u{200B}😀\u{FE0F}\n"),
        ("astral only", "𠀀𝄞🀄\u{E0001}\u{10FFFF}"),
        ("one char of a term", "赌"),
        ("1 MB without terms", &long_clean),
    ];
    for (name, text) in cases {
        check(name, text, &m.find(text), &[]);
    }
}

#[test]
fn long_text_with_hits() {
    let m = lexicon();
    let text = "今天天气很好，赌*博不好。".repeat(40_000); // ~1 MB
    let hits = m.find(&text);
    assert_eq!(hits.len(), 40_000);
    assert_eq!(
        (hits[1].start, hits[1].end, hits[1].matched),
        (20, 23, "赌*博")
    );
    assert_valid(&text, &hits);
}

#[test]
fn overlap_and_allow_rules() {
    use TermAction::*;
    let m = matcher(&[
        ("赌博", "gambling", Hold),
        ("博彩", "gambling", Reject),
        ("彩票", "lottery", Hold),
        ("打击赌博", "news", Allow),
    ])
    .unwrap();
    let cases: &[(&str, &str, Want)] = &[
        (
            "reject not hidden by an earlier hold",
            "赌博彩",
            &[(1, 3, "博彩", "博彩")],
        ),
        (
            "same action: leftmost wins",
            "博彩票",
            &[(0, 2, "博彩", "博彩")],
        ),
        (
            "allow suppresses only what it contains",
            "打击赌博彩",
            &[(3, 5, "博彩", "博彩")],
        ),
        (
            "hold after an allow",
            "打击赌博彩票",
            &[(3, 5, "博彩", "博彩")],
        ),
        (
            "hold elsewhere survives",
            "打击赌博，买彩票",
            &[(6, 8, "彩票", "彩票")],
        ),
    ];
    for (name, text, want) in cases {
        check(name, text, &m.find(text), want);
    }
}

#[test]
fn duplicates_merge_to_the_strongest_action() {
    use TermAction::*;
    let m = matcher(&[
        ("赌博", "gambling", Hold),
        ("賭博", "gambling_hard", Reject),
        ("赌 博", "other", Reject),
        ("打击赌博", "news", Allow),
        ("打擊賭博", "news", Allow),
    ])
    .unwrap();
    assert_eq!(m.len(), 1);
    let hits = m.find("赌博");
    assert_eq!(hits.len(), 1);
    assert_eq!(
        (hits[0].term, hits[0].category, hits[0].action),
        ("賭博", "gambling_hard", Reject)
    );
}

#[test]
fn build_errors_name_the_rows() {
    use TermAction::*;
    type Rows = &'static [(&'static str, &'static str, TermAction)];
    let cases: &[(Rows, &str)] = &[
            (&[("赌博", "g", Reject), (" *。", "g", Hold)], "t.csv:3: term ` *。` is empty after normalization"),
            (&[("\u{200B}", "g", Allow)], "t.csv:2: term `\u{200B}` is empty"),
            (
                &[("赌博", "g", Reject), ("賭博", "news", Allow)],
                "t.csv:3: allow phrase `賭博` and t.csv:2: reject term `赌博` are the same after normalization (`赌博`)",
            ),
            (
                &[("打击赌博", "news", Allow), ("打擊 賭博", "g", Hold)],
                "t.csv:2: allow phrase `打击赌博` and t.csv:3: hold term `打擊 賭博` are the same",
            ),
        ];
    for (rows, want) in cases {
        let err = matcher(rows).unwrap_err().to_string();
        assert!(err.starts_with(want), "{want}\n{err}");
    }
}

#[test]
fn empty_and_allow_only_lexicons() {
    let m = matcher(&[]).unwrap();
    assert!(m.is_empty());
    assert!(m.find("赌博").is_empty());
    let m = matcher(&[("打击赌博", "news", TermAction::Allow)]).unwrap();
    assert_eq!(m.len(), 0);
    assert!(m.find("打击赌博").is_empty());
}

#[test]
fn clause_punctuation_does_not_join_words() {
    use TermAction::*;
    let m = matcher(&[
        ("黄播", "porn", Hold),
        ("赌博", "gambling", Reject),
        ("网络赌场", "gambling", Reject),
        ("赌场", "gambling", Hold),
        ("daikai", "goods", Hold),
    ])
    .unwrap();
    let cases: &[(&str, &str, Want)] = &[
        ("comma between clauses", "金黄，播种", &[]),
        ("ascii comma", "金黄,播种", &[]),
        ("full stop", "赌。博", &[]),
        ("colon", "赌：博", &[]),
        ("ellipsis", "赌…博", &[]),
        ("midline ellipsis", "赌⋯⋯博", &[]),
        ("two dots", "赌..博", &[]),
        ("dot and space", "赌. 博", &[]),
        ("chinese dash", "赌——博", &[]),
        ("double hyphen", "赌--博", &[]),
        ("line break", "赌\n博", &[]),
        ("crlf", "赌\r\n博", &[]),
        (
            "lone dot is an evasion",
            "赌.博",
            &[(0, 3, "赌.博", "赌博")],
        ),
        ("full-width dot", "赌．博", &[(0, 3, "赌．博", "赌博")]),
        ("dot, invisible, dot", "赌.\u{200B}.博", &[]),
        ("dot then star", "赌.*博", &[(0, 4, "赌.*博", "赌博")]),
        ("space then dot", "赌 .博", &[(0, 4, "赌 .博", "赌博")]),
        ("lone dash", "赌-博", &[(0, 3, "赌-博", "赌博")]),
        ("lone em dash", "赌—博", &[(0, 3, "赌—博", "赌博")]),
        (
            "dot between latin",
            "dai.kai",
            &[(0, 7, "dai.kai", "daikai")],
        ),
        (
            "consistent commas",
            "网，络，赌，场",
            &[(0, 7, "网，络，赌，场", "网络赌场")],
        ),
        (
            "every gap separated, mixed",
            "网 络，赌*场",
            &[(0, 7, "网 络，赌*场", "网络赌场")],
        ),
        (
            "line per character",
            "网\n络\n赌\n场",
            &[(0, 7, "网\n络\n赌\n场", "网络赌场")],
        ),
        (
            "one clause break, other gaps empty",
            "网络，赌场",
            &[(3, 5, "赌场", "赌场")],
        ),
        (
            "latin, consistent commas",
            "d,a,i,k,a,i",
            &[(0, 11, "d,a,i,k,a,i", "daikai")],
        ),
        ("latin across a sentence", "daik, ai", &[]),
        ("english sentence end", "dai. kai", &[]),
    ];
    for (name, text, want) in cases {
        check(name, text, &m.find(text), want);
    }
}

#[test]
fn digits_next_to_a_latin_term_are_a_boundary() {
    use TermAction::*;
    let m = matcher(&[
        ("daikai", "goods", Hold),
        ("123", "digits", Hold),
        ("pk10", "lottery", Hold),
        ("3d打印枪", "weapons", Hold),
    ])
    .unwrap();
    let cases: &[(&str, &str, Want)] = &[
        ("digits after", "daikai888", &[(0, 6, "daikai", "daikai")]),
        ("digits before", "888daikai", &[(3, 9, "daikai", "daikai")]),
        (
            "digits both sides",
            "加V888daikai666",
            &[(5, 11, "daikai", "daikai")],
        ),
        (
            "full-width digits",
            "ＤＡＩＫＡＩ８８８",
            &[(0, 6, "ＤＡＩＫＡＩ", "daikai")],
        ),
        ("circled digit", "①daikai", &[(1, 7, "daikai", "daikai")]),
        ("digit term after letters", "qq123", &[(2, 5, "123", "123")]),
        (
            "digit term between letters",
            "a123b",
            &[(1, 4, "123", "123")],
        ),
        (
            "term ending in a digit",
            "pk10期",
            &[(0, 4, "pk10", "pk10")],
        ),
        (
            "term ending in a digit, letter after",
            "pk10x",
            &[(0, 4, "pk10", "pk10")],
        ),
        (
            "term starting with a digit",
            "abc3d打印枪",
            &[(3, 8, "3d打印枪", "3d打印枪")],
        ),
        // Negative controls: letters next to letters, digits next to digits stay glued.
        ("letters after", "daikaixyz", &[]),
        ("letters before", "xdaikai888", &[]),
        ("digits inside a number", "41234", &[]),
        ("longer number after a digit term", "pk100", &[]),
        ("letters before a term starting with a letter", "apk10", &[]),
        (
            "digit before a term starting with a digit",
            "13d打印枪",
            &[],
        ),
        ("invisible character still glues", "888x\u{200B}daikai", &[]),
    ];
    for (name, text, want) in cases {
        check(name, text, &m.find(text), want);
    }
}

#[test]
fn decorated_forms_and_look_alikes() {
    use TermAction::*;
    let m = matcher(&[
        ("daikai", "goods", Hold),
        ("123", "digits", Hold),
        ("goip", "fraud", Hold),
        ("av", "probe", Hold),
    ])
    .unwrap();
    let cases: &[(&str, &str, Want)] = &[
        (
            "negative squared",
            "加🅳🅰🅸🅺🅰🅸",
            &[(1, 7, "🅳🅰🅸🅺🅰🅸", "daikai")],
        ),
        (
            "regional indicators",
            "🇩🇦🇮🇰🇦🇮",
            &[(0, 6, "🇩🇦🇮🇰🇦🇮", "daikai")],
        ),
        (
            "negative circled digits",
            "电话❶❷❸",
            &[(2, 5, "❶❷❸", "123")],
        ),
        ("mixed decorations", "Ⓓ🅰𝐢🄺aⅰ", &[(0, 6, "Ⓓ🅰𝐢🄺aⅰ", "daikai")]),
        (
            "parking sign before",
            "🅿\u{FE0F}daikai",
            &[(2, 8, "daikai", "daikai")],
        ),
        ("flag before", "🇨🇳daikai", &[(2, 8, "daikai", "daikai")]),
        (
            "cyrillic a",
            "d\u{0430}ik\u{0430}i",
            &[(0, 6, "d\u{0430}ik\u{0430}i", "daikai")],
        ),
        (
            "cyrillic capitals",
            "找D\u{0410}IK\u{0410}I",
            &[(1, 7, "D\u{0410}IK\u{0410}I", "daikai")],
        ),
        (
            "komi de",
            "\u{0501}aikai",
            &[(0, 6, "\u{0501}aikai", "daikai")],
        ),
        (
            "greek omicron",
            "g\u{03BF}ip",
            &[(0, 4, "g\u{03BF}ip", "goip")],
        ),
        // Negative controls.
        ("decorated run continues", "🅳🅰🅸🅺🅰🅸🆇", &[]),
        ("decorated digits continue", "❶❷❸❹", &[]),
        (
            "all-cyrillic word",
            "\u{0501}\u{0430}\u{0456}\u{043A}\u{0430}\u{0456}",
            &[],
        ),
        ("greek word", "\u{03B1}\u{03BD}", &[]),
        ("greek word in chinese", "希腊语\u{03B1}\u{03BD}的意思", &[]),
        (
            "look-alike makes a longer word",
            "d\u{0430}ik\u{0430}ix",
            &[],
        ),
    ];
    for (name, text, want) in cases {
        check(name, text, &m.find(text), want);
    }
}

#[test]
fn single_fillers_between_ideographs() {
    use TermAction::*;
    let m = matcher(&[
        ("赌博", "gambling", Reject),
        ("网络赌场", "gambling", Reject),
        ("枪支", "weapons", Hold),
        ("出售k粉", "drugs", Reject),
        ("打击赌博", "news", Allow),
    ])
    .unwrap();
    let cases: &[(&str, &str, Want)] = &[
        ("letter", "来赌a博", &[(1, 4, "赌a博", "赌博")]),
        ("capital letter", "赌X博", &[(0, 3, "赌X博", "赌博")]),
        ("full-width letter", "赌ａ博", &[(0, 3, "赌ａ博", "赌博")]),
        (
            "every gap",
            "网x络x赌x场",
            &[(0, 7, "网x络x赌x场", "网络赌场")],
        ),
        ("traditional", "賭b博", &[(0, 3, "賭b博", "赌博")]),
        ("digit, hold term", "枪1支", &[(0, 3, "枪1支", "枪支")]),
        (
            "a term's own letter still matches",
            "出售k粉",
            &[(0, 4, "出售k粉", "出售k粉")],
        ),
        // Negative controls.
        ("digit, reject term", "赌1博", &[]),
        ("two letters", "赌ab博", &[]),
        ("letter with a separator", "赌 a博", &[]),
        ("letter before a separator", "赌a 博", &[]),
        ("latin neighbour", "赌a博x", &[(0, 3, "赌a博", "赌博")]),
        ("letter after clause punctuation", "赌，a博", &[]),
        ("allow phrase with a filler", "打击赌a博", &[]),
        ("only at the edge", "a赌博b", &[(1, 3, "赌博", "赌博")]),
    ];
    for (name, text, want) in cases {
        check(name, text, &m.find(text), want);
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// Random texts, mostly the ideographs of the lexicons below (one with a traditional
    /// form) and ASCII letters and digits between them (fillers), with some separators and
    /// clause punctuation, Greek and Cyrillic look-alikes and a letter without one,
    /// decorated and full-width digits and letters, and date characters (`年1月5日`).
    fn text() -> impl Strategy<Value = String> {
        let select = |s: &str| prop::sample::select(s.chars().collect::<Vec<char>>());
        let c = prop_oneof![
            6 => select("赌博賭网络场枪支出售粉打击彩票手年月日"),
            3 => select("akxdiA0159ａ１"),
            1 => select(" ，。.*\u{200B}аοлα❶🅰"),
        ];
        prop::collection::vec(c, 0..80).prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        /// The windowed filler scan of `find` gives exactly the hits of the whole-text
        /// scan, with the unit tests' lexicon of fillers.
        #[test]
        fn find_matches_the_reference(text in text()) {
            use TermAction::*;
            let m = matcher(&[
                ("赌博", "gambling", Reject),
                ("网络赌场", "gambling", Reject),
                ("赌场", "gambling", Hold),
                ("枪支", "weapons", Hold),
                ("手枪", "weapons", Hold),
                ("出售k粉", "drugs", Reject),
                ("彩票", "lottery", Hold),
                ("daikai", "goods", Hold),
                ("1年", "probe", Hold),
                ("月5日", "probe", Reject),
                ("赌+博彩", "gambling", Hold),
                ("打击赌博", "news", Allow),
                ("打击网络赌场", "news", Allow),
            ])
            .unwrap();
            prop_assert_eq!(m.find(&text), find_reference(&m, &text));
        }

        /// The same with random lexicons: terms of 1 to 9 characters, so that windows of
        /// every size meet, overlap and end at the text's edges, and one of the terms
        /// written into the text with fillers in some of its gaps.
        #[test]
        fn find_matches_the_reference_any_lexicon(
            terms in prop::collection::vec(("[赌博网络场枪支年月日ak1]{1,9}", 0..3usize), 1..8),
            pick in any::<prop::sample::Index>(),
            fillers in prop::collection::vec(prop::option::of(prop::sample::select(vec!['a', 'x', '1', '5', 'ａ'])), 9),
            before in text(),
            after in text(),
        ) {
            let actions = [TermAction::Reject, TermAction::Hold, TermAction::Allow];
            let rows: Vec<(&str, &str, TermAction)> = terms
                .iter()
                .map(|(t, a)| (t.as_str(), "c", actions[*a]))
                .collect();
            let mut text = before;
            for (i, c) in pick.get(&terms).0.chars().enumerate() {
                if i > 0 {
                    text.extend(fillers[i - 1]);
                }
                text.push(c);
            }
            text.push_str(&after);
            if let Ok(m) = matcher(&rows) {
                prop_assert_eq!(m.find(&text), find_reference(&m, &text));
            }
        }
    }
}

#[test]
fn repeated_characters_per_term() {
    use TermAction::*;
    let m = matcher(&[
        ("赌+博", "gambling", Reject),
        ("哈哈+", "laugh", Hold),
        ("a+bc", "latin", Hold),
        ("彩票", "lottery", Hold),
        ("天天", "daily", Hold),
        ("dubo", "latin", Hold),
        ("打+击赌+博", "news", Allow),
    ])
    .unwrap();
    let cases: &[(&str, &str, Want)] = &[
        ("once", "赌博", &[(0, 2, "赌博", "赌+博")]),
        ("repeated", "赌赌赌博", &[(0, 4, "赌赌赌博", "赌+博")]),
        (
            "repeated, traditional and separated",
            "來賭 赌*賭博吧",
            &[(1, 7, "賭 赌*賭博", "赌+博")],
        ),
        (
            "only the marked character repeats",
            "赌博博",
            &[(0, 2, "赌博", "赌+博")],
        ),
        ("at least two", "哈", &[]),
        ("two", "哈哈", &[(0, 2, "哈哈", "哈哈+")]),
        ("many", "哈哈哈哈哈", &[(0, 5, "哈哈哈哈哈", "哈哈+")]),
        ("latin repeat", "aaaabc", &[(0, 6, "aaaabc", "a+bc")]),
        ("latin boundary still applies", "xaabc", &[]),
        (
            "unmarked terms fold repeats by default",
            "彩彩票票",
            &[(0, 3, "彩彩票", "彩票")],
        ),
        (
            "default repeat folding inside a longer text",
            "买彩彩彩票票吗",
            &[(1, 5, "彩彩彩票", "彩票")],
        ),
        (
            "a term with its own repeat matches exactly",
            "天天天上",
            &[(0, 2, "天天", "天天")],
        ),
        ("no repeat folding for Latin terms", "ddubo", &[]),
        (
            "no repeat folding across a clause break",
            "彩，彩票",
            &[(2, 4, "彩票", "彩票")],
        ),
        ("allow phrase with repeats", "打打击赌赌博", &[]),
        (
            "runs stop at clause punctuation",
            "赌，赌博",
            &[(2, 4, "赌博", "赌+博")],
        ),
        (
            "two runs of laughter",
            "哈哈，哈哈哈",
            &[(0, 2, "哈哈", "哈哈+"), (3, 6, "哈哈哈", "哈哈+")],
        ),
    ];
    for (name, text, want) in cases {
        check(name, text, &m.find(text), want);
    }
}

#[test]
fn repeat_marks_parse() {
    use TermAction::*;
    // `c++`: the second `+` follows a `+`, not a character, so it is a separator.
    let m = matcher(&[("c++", "lang", Hold), ("哈 +", "laugh", Hold)]).unwrap();
    check("c+", "ccc", &m.find("ccc"), &[(0, 3, "ccc", "c++")]);
    check(
        "space before +",
        "哈哈",
        &m.find("哈哈"),
        &[(0, 1, "哈", "哈 +"), (1, 2, "哈", "哈 +")],
    );
    // Marks fold like the rest: `賭+博` and `赌+博` are one pattern, `赌博` another.
    let m = matcher(&[
        ("賭+博", "g", Hold),
        ("赌+博", "g", Reject),
        ("赌博", "g", Hold),
        ("赌+赌博", "g", Hold),
    ])
    .unwrap();
    assert_eq!(m.len(), 3);
    // Same span from two patterns: the stronger action reports.
    let hits = m.find("赌博");
    assert_eq!((hits[0].term, hits[0].action), ("赌+博", Reject));
    // `赌+赌博` needs two 赌; leftmost-longest among the reject hits is still `赌+博`.
    let hits = m.find("赌赌赌博");
    assert_eq!((hits[0].start, hits[0].end, hits[0].term), (0, 4, "赌+博"));
    let err = matcher(&[("赌+博", "g", Reject), ("賭+ 博", "news", Allow)])
        .unwrap_err()
        .to_string();
    assert!(err.contains("(`赌+博`)"), "{err}");
}

#[test]
fn allow_phrases_suppress_when_written_with_evasions() {
    use TermAction::*;
    let m = matcher(&[
        ("网络赌场", "gambling", Reject),
        ("赌场", "gambling", Hold),
        ("打击网络赌场", "gambling", Allow),
        ("daikai", "goods", Hold),
        ("禁止daikai", "goods", Allow),
    ])
    .unwrap();
    for text in [
        "公安打击网络赌场",
        "公安打擊網絡賭場",
        "公安打*击 网.络\u{200B}赌😀场",
        "公安打，击，网，络，赌，场",
        "公安打擊 網絡 賭場",
        "禁止ＤＡＩＫＡＩ",
        "禁止 d.a.i.k.a.i",
        "禁 止 Ｄ Ａ Ｉ ｋ ａ ｉ",
    ] {
        check("suppressed", text, &m.find(text), &[]);
    }
    // Written so that the allow phrase itself does not match: the terms come back.
    check(
        "allow split by a clause break",
        "打击，网络赌场",
        &m.find("打击，网络赌场"),
        &[(3, 7, "网络赌场", "网络赌场")],
    );
}
