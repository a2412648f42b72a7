//! The context of a hit (`docs/matching.md`, "Context"): the cue lists of
//! `data/lexicon/cues/` (compiled in, versioned with the lexicon) and the word boundary rule
//! ([`crate::text::words`]), applied to the original text around a hit, so clean text (no
//! hit) pays nothing.
//!
//! [`judge`] decides, in this order:
//! 1. **Solicitation** (`solicitation.txt`, digit runs of 5+, URLs) anywhere in the hit's
//!    sentence or the next one, outside the hit: the text sells the thing; the hit stands and nothing below can cancel it.
//! 2. **Word boundary**: a word of the best segmentation crosses the hit's first or last
//!    character (`相约|炮台`): not a hit.
//! 3. **Negation** (`negation.txt`) ending at most [`NEGATION_REACH`] characters before the
//!    hit, in the same clause: the text warns against it; not a hit.
//! 4. **Reporting** (`reporting.txt`) anywhere in the sentence: the text reports on it; not a
//!    hit.
//!
//! Offsets are code points of the original text. Sentences end at `。！？!?；;` and line
//! breaks; clauses also at `，,、：:`.

use rustc_hash::FxHashMap;
use std::ops::Range;
use std::sync::OnceLock;

use crate::text::words;

const NEGATION: &str = include_str!("../../data/lexicon/cues/negation.txt");
const REPORTING: &str = include_str!("../../data/lexicon/cues/reporting.txt");
const SOLICITATION: &str = include_str!("../../data/lexicon/cues/solicitation.txt");

/// How many characters may stand between a negation cue's end and the hit (`严禁在校园内出售`).
pub const NEGATION_REACH: usize = 6;

/// Shortest digit run that counts as a contact number (solicitation).
pub const DIGIT_RUN: usize = 5;

/// What a cue list a [`Cue`] came from, or the rule that produced it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CueKind {
    /// `solicitation.txt`, a digit run or a URL.
    Solicitation,
    /// `negation.txt`.
    Negation,
    /// `reporting.txt`.
    Reporting,
    /// A word of the segmenter crossing the hit's boundary.
    Boundary,
}

impl CueKind {
    /// `solicitation`, `negation`, `reporting` or `word boundary`.
    pub fn as_str(self) -> &'static str {
        match self {
            CueKind::Solicitation => "solicitation",
            CueKind::Negation => "negation",
            CueKind::Reporting => "reporting",
            CueKind::Boundary => "word boundary",
        }
    }
}

/// The cue or word that decided a hit, with its place in code points of the original text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cue {
    /// Which list or rule.
    pub kind: CueKind,
    /// The cue as found in the text (original spelling).
    pub text: String,
    /// Its place, code points of the original text.
    pub range: Range<usize>,
}

impl Cue {
    /// `solicitation cue `私聊` at 10..12`: for a finding's `detail`.
    pub fn describe(&self) -> String {
        format!(
            "{} cue `{}` at {}..{}",
            self.kind.as_str(),
            self.text,
            self.range.start,
            self.range.end
        )
    }
}

/// The verdict on one hit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The hit stands; `Some` names the solicitation cue that makes it stand regardless.
    Stands(Option<Cue>),
    /// The hit is dropped; the cue or word that decided it.
    Dropped(Cue),
}

struct Cues {
    negation: CueList,
    reporting: CueList,
    solicitation: CueList,
}

/// One cue list, lowercased, longest cue first, indexed by first character so that a scan
/// looks at each character of the text once instead of trying every cue at every place.
struct CueList {
    cues: Vec<Vec<char>>,
    /// Whether the cue is ASCII letters and digits only (then it needs a word boundary).
    ascii: Vec<bool>,
    /// First character → indices into `cues`, in list order (longest first).
    by_first: FxHashMap<char, Vec<u32>>,
    /// Bit `c` set when a cue starts with the Basic Multilingual Plane character `c`: most
    /// characters of a text start no cue, and this answers for them without a hash lookup.
    bmp_first: Box<[u64; 1024]>,
}

impl CueList {
    fn new(cues: Vec<Vec<char>>) -> Self {
        let mut by_first: FxHashMap<char, Vec<u32>> = FxHashMap::default();
        let mut bmp_first = Box::new([0u64; 1024]);
        for (i, c) in cues.iter().enumerate() {
            if let Some(&first) = c.first() {
                by_first.entry(first).or_default().push(i as u32);
                let u = first as usize;
                if u < 0x1_0000 {
                    bmp_first[u >> 6] |= 1 << (u & 63);
                }
            }
        }
        CueList {
            ascii: cues
                .iter()
                .map(|c| c.iter().all(char::is_ascii_alphanumeric))
                .collect(),
            cues,
            by_first,
            bmp_first,
        }
    }

    /// The cues that start with `c`, in list order (longest first).
    #[inline]
    fn starting_with(&self, c: char) -> Option<&Vec<u32>> {
        let u = c as usize;
        if u < 0x1_0000 && self.bmp_first[u >> 6] & (1 << (u & 63)) == 0 {
            return None;
        }
        self.by_first.get(&c)
    }
}

fn parse(list: &str) -> CueList {
    let mut v: Vec<Vec<char>> = list
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| l.chars().flat_map(char::to_lowercase).collect())
        .collect();
    // Longest first, so the reported cue is the most specific one.
    v.sort_by_key(|c| std::cmp::Reverse(c.len()));
    CueList::new(v)
}

fn cues() -> &'static Cues {
    static CUES: OnceLock<Cues> = OnceLock::new();
    CUES.get_or_init(|| Cues {
        negation: parse(NEGATION),
        reporting: parse(REPORTING),
        solicitation: parse(SOLICITATION),
    })
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?' | '；' | ';' | '\n' | '\r')
}

fn is_clause_end(c: char) -> bool {
    is_sentence_end(c) || matches!(c, '，' | ',' | '、' | '：' | ':')
}

fn span(chars: &[char], at: Range<usize>, end: fn(char) -> bool) -> Range<usize> {
    let start = chars[..at.start]
        .iter()
        .rposition(|&c| end(c))
        .map_or(0, |i| i + 1);
    let stop = chars[at.end..]
        .iter()
        .position(|&c| end(c))
        .map_or(chars.len(), |i| at.end + i);
    start..stop
}

/// Finds the first cue of `list` in `lower[range]`: the earliest place, and at one place the
/// longest cue (the list's order). An ASCII cue must not touch an ASCII letter or digit on
/// either side (`vx` is not found in `vxyz`).
#[cfg(test)]
fn find_cue(lower: &[char], range: Range<usize>, list: &CueList) -> Option<Range<usize>> {
    Found::new(lower, list).first(range)
}

/// Every place of a list's cues in a text, found once per field: `(start, end)` code points,
/// sorted by start and at one start longest first.
struct Found(Vec<(u32, u32)>);

impl Found {
    fn new(lower: &[char], list: &CueList) -> Self {
        let mut places = Vec::new();
        for (at, c) in lower.iter().enumerate() {
            let Some(candidates) = list.starting_with(*c) else {
                continue;
            };
            for &i in candidates {
                let cue = &list.cues[i as usize];
                let end = at + cue.len();
                if end > lower.len() || lower[at..end] != cue[..] {
                    continue;
                }
                if list.ascii[i as usize] {
                    let before = at.checked_sub(1).map(|j| lower[j]);
                    let after = lower.get(end).copied();
                    if before.is_some_and(|c| c.is_ascii_alphanumeric())
                        || after.is_some_and(|c| c.is_ascii_alphanumeric())
                    {
                        continue;
                    }
                }
                places.push((at as u32, end as u32));
            }
        }
        Found(places)
    }

    /// The first place inside `range` (earliest start, then longest).
    fn first(&self, range: Range<usize>) -> Option<Range<usize>> {
        let from = self.0.partition_point(|&(s, _)| (s as usize) < range.start);
        self.0[from..]
            .iter()
            .take_while(|&&(s, _)| (s as usize) < range.end)
            .find(|&&(_, e)| e as usize <= range.end)
            .map(|&(s, e)| s as usize..e as usize)
    }
}

/// `c` lowercased to one character as `char::to_lowercase` does (its first character), without
/// the table lookup for ASCII and for the ideographs and CJK punctuation that fill Chinese text
/// (they have no case).
fn lower_char(c: char) -> char {
    match c {
        '\0'..='\x7F' => c.to_ascii_lowercase(),
        // Blocks without cased letters: CJK punctuation and ideographs, General Punctuation
        // (the zero-width and bidi marks an evader inserts), the full-width forms but their
        // letters.
        '\u{2000}'..='\u{206F}'
        | '\u{3000}'..='\u{303F}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{FF00}'..='\u{FF20}'
        | '\u{FF3B}'..='\u{FFEF}' => c,
        _ => c.to_lowercase().next().unwrap_or(c),
    }
}

fn solicitation(w: &Window<'_>, sentence: Range<usize>) -> Option<Range<usize>> {
    let (chars, lower) = (w.chars, w.lower);
    if let Some(r) = w.cue(Kind::Solicitation, sentence.clone()) {
        return Some(r);
    }
    // A digit run (phone, QQ number, price), ASCII or full width.
    let mut run = 0;
    for i in sentence.clone() {
        if chars[i].is_ascii_digit() || ('０'..='９').contains(&chars[i]) {
            run += 1;
            if run >= DIGIT_RUN {
                // Extend to the end of the run.
                let mut e = i + 1;
                while e < sentence.end
                    && (chars[e].is_ascii_digit() || ('０'..='９').contains(&chars[e]))
                {
                    e += 1;
                }
                return Some(e - (run + e - i - 1)..e);
            }
        } else {
            run = 0;
        }
    }
    let url: [&[char]; 3] = [
        &['h', 't', 't', 'p', ':', '/', '/'],
        &['h', 't', 't', 'p', 's', ':', '/', '/'],
        &['w', 'w', 'w', '.'],
    ];
    for u in url {
        let hay = &lower[sentence.clone()];
        if let Some(i) = hay.windows(u.len()).position(|w| w == u) {
            let s = sentence.start + i;
            let e = (s..sentence.end)
                .find(|&j| chars[j].is_whitespace() || !chars[j].is_ascii())
                .unwrap_or(sentence.end);
            return Some(s..e);
        }
    }
    None
}

fn cue(kind: CueKind, chars: &[char], range: Range<usize>) -> Cue {
    Cue {
        kind,
        text: chars[range.clone()].iter().collect(),
        range,
    }
}

/// How far (code points) on each side of a hit the context rules read: a "sentence" (and the
/// next one) ends here at the latest. It bounds the work per hit, so a field of 256 Ki code
/// points without a sentence break, full of hits, reviews in linear time (issue 12 item 6).
pub const CONTEXT_REACH: usize = 256;

/// Judges the hit at `hit` (code points) in `chars` (the original text's characters).
/// `boundary` turns the word boundary rule on (it is off for Latin-script terms, which have
/// their own boundary rule in the matcher). An empty or out-of-range hit stands. Only the
/// [`CONTEXT_REACH`] characters on each side of the hit are read; cue ranges are code points of
/// `chars`. For many hits in one field, [`FieldContext::judge`] gives the same verdicts
/// without reading the field again per hit.
pub fn judge(chars: &[char], hit: Range<usize>, boundary: bool) -> Verdict {
    if hit.start >= hit.end || hit.end > chars.len() {
        return Verdict::Stands(None);
    }
    let from = hit.start.saturating_sub(CONTEXT_REACH);
    let to = (hit.end + CONTEXT_REACH).min(chars.len());
    FieldContext::new(&chars[from..to])
        .judge(hit.start - from..hit.end - from, boundary)
        .shifted(from)
}

impl Verdict {
    /// The same verdict with its cue's range moved `by` code points on (from a window's code
    /// points to the text's).
    fn shifted(self, by: usize) -> Verdict {
        let shift = |mut c: Cue| {
            c.range = c.range.start + by..c.range.end + by;
            c
        };
        match self {
            Verdict::Stands(c) => Verdict::Stands(c.map(shift)),
            Verdict::Dropped(c) => Verdict::Dropped(shift(c)),
        }
    }
}

/// The cue lists of [`Cues`], by name, for [`Window::cue`].
#[derive(Clone, Copy)]
enum Kind {
    Negation = 0,
    Reporting = 1,
    Solicitation = 2,
}

/// One field read once for the context rules of all its hits: its characters lowercased and
/// every place of every cue. Build it when a field has hits ([`FieldContext::new`], linear in
/// the field) and judge each hit with [`FieldContext::judge`].
pub struct FieldContext<'a> {
    chars: &'a [char],
    lower: Vec<char>,
    /// Per [`Kind`]: the places of that list's cues in `lower`.
    found: [Found; 3],
}

impl<'a> FieldContext<'a> {
    /// Reads `chars` (a field's characters): O(length).
    pub fn new(chars: &'a [char]) -> Self {
        let lower: Vec<char> = chars.iter().map(|&c| lower_char(c)).collect();
        let c = cues();
        let found = [&c.negation, &c.reporting, &c.solicitation].map(|l| Found::new(&lower, l));
        FieldContext {
            chars,
            lower,
            found,
        }
    }

    /// As [`judge`] for the hit `hit` (code points of the field): the same window of
    /// [`CONTEXT_REACH`] characters on each side, cue ranges in code points of the field. An
    /// ASCII cue at the very edge of the window is checked for a word boundary against the
    /// character beyond it, which [`judge`] does not see.
    pub fn judge(&self, hit: Range<usize>, boundary: bool) -> Verdict {
        if hit.start >= hit.end || hit.end > self.chars.len() {
            return Verdict::Stands(None);
        }
        let from = hit.start.saturating_sub(CONTEXT_REACH);
        let to = (hit.end + CONTEXT_REACH).min(self.chars.len());
        let w = Window {
            chars: &self.chars[from..to],
            lower: &self.lower[from..to],
            found: &self.found,
            offset: from,
        };
        judge_window(&w, hit.start - from..hit.end - from, boundary).shifted(from)
    }
}

/// The part of a [`FieldContext`] around one hit; ranges are code points of the window.
struct Window<'w> {
    chars: &'w [char],
    lower: &'w [char],
    found: &'w [Found; 3],
    /// Code point of the field where the window starts.
    offset: usize,
}

impl Window<'_> {
    /// The first cue of list `kind` inside `range` (earliest, then longest).
    fn cue(&self, kind: Kind, range: Range<usize>) -> Option<Range<usize>> {
        let o = self.offset;
        self.found[kind as usize]
            .first(range.start + o..range.end + o)
            .map(|r| r.start - o..r.end - o)
    }
}

/// [`judge`] on the window around the hit.
fn judge_window(w: &Window<'_>, hit: Range<usize>, boundary: bool) -> Verdict {
    let chars = w.chars;
    let sentence = span(chars, hit.clone(), is_sentence_end);
    // Solicitation counts in the hit's sentence and the one after it: `不出售枪支？加微信详谈`
    // puts the contact right behind a question mark.
    let reach = if sentence.end < chars.len() {
        sentence.start..span(chars, sentence.end + 1..sentence.end + 1, is_sentence_end).end
    } else {
        sentence.clone()
    };
    // Only outside the hit: `出售微信号` is a term, not a contact channel.
    if let Some(r) =
        solicitation(w, reach.start..hit.start).or_else(|| solicitation(w, hit.end..reach.end))
    {
        return Verdict::Stands(Some(cue(CueKind::Solicitation, chars, r)));
    }
    if boundary {
        if let Some(x) = words::crossing_word(chars, hit.clone()) {
            return Verdict::Dropped(Cue {
                kind: CueKind::Boundary,
                text: x.word,
                range: x.range,
            });
        }
    }
    let clause = span(chars, hit.clone(), is_clause_end);
    let from = hit
        .start
        .saturating_sub(NEGATION_REACH + 8)
        .max(clause.start);
    if let Some(r) = w.cue(Kind::Negation, from..hit.start) {
        if hit.start - r.end <= NEGATION_REACH {
            return Verdict::Dropped(cue(CueKind::Negation, chars, r));
        }
    }
    if let Some(r) = w
        .cue(Kind::Reporting, sentence.start..hit.start)
        .or_else(|| w.cue(Kind::Reporting, hit.end..sentence.end))
    {
        return Verdict::Dropped(cue(CueKind::Reporting, chars, r));
    }
    Verdict::Stands(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scan [`find_cue`] replaced: every cue at every place, the earliest kept.
    fn find_cue_naive(lower: &[char], range: Range<usize>, list: &CueList) -> Option<Range<usize>> {
        let hay = &lower[range.clone()];
        let mut best: Option<Range<usize>> = None;
        for (k, cue) in list.cues.iter().enumerate() {
            if cue.len() > hay.len() {
                continue;
            }
            for i in 0..=hay.len() - cue.len() {
                if hay[i..i + cue.len()] != cue[..] {
                    continue;
                }
                let at = range.start + i;
                if list.ascii[k] {
                    let before = at.checked_sub(1).map(|j| lower[j]);
                    let after = lower.get(at + cue.len()).copied();
                    if before.is_some_and(|c| c.is_ascii_alphanumeric())
                        || after.is_some_and(|c| c.is_ascii_alphanumeric())
                    {
                        continue;
                    }
                }
                if best.as_ref().is_none_or(|b| at < b.start) {
                    best = Some(at..at + cue.len());
                }
                break;
            }
        }
        best
    }

    proptest::proptest! {
        /// The indexed scan finds what trying every cue at every place finds, over text made
        /// of the cues' own characters, letters, digits and punctuation.
        #[test]
        fn find_cue_agrees_with_the_naive_scan(
            picks in proptest::collection::vec(0usize..3000, 0..60),
            from in 0usize..200,
            to in 0usize..200,
        ) {
            let c = cues();
            let mut alphabet: Vec<char> = [&c.negation, &c.reporting, &c.solicitation]
                .iter()
                .flat_map(|l| l.cues.iter().flatten().copied())
                .collect();
            alphabet.extend("avxq19 ，。x".chars());
            alphabet.sort();
            alphabet.dedup();
            // Every third pick a whole cue (so cues occur, overlap and touch), else one character.
            let all: Vec<&Vec<char>> = [&c.negation, &c.reporting, &c.solicitation]
                .iter()
                .flat_map(|l| l.cues.iter())
                .collect();
            let text: Vec<char> = picks
                .iter()
                .flat_map(|&i| {
                    if i % 3 == 0 {
                        all[i / 3 % all.len()].clone()
                    } else {
                        vec![alphabet[i % alphabet.len()]]
                    }
                })
                .collect();
            let (from, to) = (from.min(text.len()), to.min(text.len()));
            let range = from.min(to)..from.max(to);
            for list in [&c.negation, &c.reporting, &c.solicitation] {
                proptest::prop_assert_eq!(
                    find_cue(&text, range.clone(), list),
                    find_cue_naive(&text, range.clone(), list)
                );
            }
        }
    }

    fn at(text: &str, term: &str) -> (Vec<char>, Range<usize>) {
        let c: Vec<char> = text.chars().collect();
        let t: Vec<char> = term.chars().collect();
        let s = (0..=c.len() - t.len())
            .find(|&i| c[i..i + t.len()] == t[..])
            .unwrap();
        (c, s..s + t.len())
    }

    fn kind(text: &str, term: &str) -> (bool, Option<CueKind>, String) {
        let (c, r) = at(text, term);
        match judge(&c, r, true) {
            Verdict::Stands(x) => (
                true,
                x.as_ref().map(|x| x.kind),
                x.map(|x| x.text).unwrap_or_default(),
            ),
            Verdict::Dropped(x) => (false, Some(x.kind), x.text),
        }
    }

    #[test]
    fn lower_char_is_the_first_character_of_to_lowercase() {
        for c in (0u32..=0x3_0000).filter_map(char::from_u32) {
            assert_eq!(lower_char(c), c.to_lowercase().next().unwrap(), "{c:?}");
        }
    }

    #[test]
    fn issue_targets() {
        let (stands, k, t) = kind("我们非法出售枪支，需要的私聊", "出售枪支");
        assert!(
            stands && k == Some(CueKind::Solicitation) && t == "需要的",
            "{t}"
        );
        assert_eq!(
            kind("警方捣毁一个网络赌场，抓获犯罪嫌疑人12名。", "网络赌场"),
            (false, Some(CueKind::Reporting), "警方".into())
        );
        assert_eq!(
            kind("不出租、不出借、不出售银行卡和电话卡。", "出售银行卡"),
            (false, Some(CueKind::Negation), "不".into())
        );
        assert_eq!(
            kind("周末我们相约炮台公园见面。", "约炮"),
            (false, Some(CueKind::Boundary), "相约".into())
        );
    }

    #[test]
    fn solicitation_beats_every_cancellation() {
        for text in [
            "严禁出售枪支，加微信详谈",
            "警方提醒：出售枪支 vx 123",
            "不要错过，出售枪支 13800138000",
            "打击出售枪支 www.example.com",
        ] {
            let (stands, k, _) = kind(text, "出售枪支");
            assert!(stands && k == Some(CueKind::Solicitation), "{text}");
        }
        // An ASCII cue is a word of its own.
        assert_eq!(kind("出售枪支vxyz", "出售枪支").1, None);
    }

    #[test]
    fn plain_hit_stands_and_bounds_are_safe() {
        assert_eq!(
            kind("这里有网络赌场", "网络赌场"),
            (true, None, String::new())
        );
        let c: Vec<char> = "赌博".chars().collect();
        assert_eq!(judge(&c, 0..5, true), Verdict::Stands(None));
        assert_eq!(judge(&c, 1..1, true), Verdict::Stands(None));
    }
}
