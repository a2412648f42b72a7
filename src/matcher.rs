//! Lexicon ("feature library", Art. 10) matching over folded text (DESIGN §4, "Prohibited-
//! information matching").
//!
//! [`Matcher::new`] folds every lexicon term with the shared [`Normalizer`]. It merges terms
//! that fold alike and builds one Aho-Corasick automaton over both the blocking terms
//! (`reject`, `hold`) and the `allow` phrases. [`Matcher::find`] folds the text and collects
//! every match, overlaps included (`MatchKind::Standard`, `find_overlapping_iter`). Then it
//! applies, in order:
//!
//! 1. **Latin word boundaries.** When a term starts (ends) with a letter or digit of a
//!    space-separated script, the folded character before (after) the match must not be one
//!    too, unless a visible separator stands between them in the original. So `daikai` is
//!    found in `找daikai` and `x. daikai`, but not in `daikaixyz`, `xdaikai` or
//!    `x\u{200B}daikai`.
//! 2. **Allow phrases.** A blocking match whose folded span lies entirely inside an allow
//!    phrase's match is dropped. A partial overlap does not suppress it.
//! 3. **Overlaps.** The result holds no two hits that overlap in folded text. Stronger actions
//!    pick first: `reject` matches are chosen leftmost-longest, then the `hold` matches that
//!    overlap no chosen hit, again leftmost-longest. So an overlapping `hold` term never hides
//!    a `reject` term (`赌博` hold, `博彩` reject, text `赌博彩` → `博彩`, reject).
//!
//! Offsets in [`Hit`] are code points of the original text. The span runs from the first
//! matched character to the last, with the separators between them.

use std::cmp::Reverse;
use std::collections::hash_map::Entry as MapEntry;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::normalize::{CharFlags, Normalizer};

/// What a lexicon row asks for when its term is found (DESIGN §5 `action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TermAction {
    /// `reject`: the event is rejected.
    Reject,
    /// `hold`: the event goes to human review.
    Hold,
    /// `allow`: a phrase whose matches suppress the blocking terms found inside it. It is never
    /// reported itself.
    Allow,
}

impl TermAction {
    /// The lexicon CSV spelling: `reject`, `hold` or `allow`.
    pub fn as_str(self) -> &'static str {
        match self {
            TermAction::Reject => "reject",
            TermAction::Hold => "hold",
            TermAction::Allow => "allow",
        }
    }

    /// Precedence for merging duplicates and resolving overlaps: reject > hold > allow.
    fn strength(self) -> u8 {
        match self {
            TermAction::Reject => 2,
            TermAction::Hold => 1,
            TermAction::Allow => 0,
        }
    }
}

impl fmt::Display for TermAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One lexicon row (DESIGN §5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexiconEntry {
    /// The term as written in the file. It is folded before matching.
    pub term: String,
    /// Category reported with each hit (e.g. `gambling`).
    pub category: String,
    /// What a hit does.
    pub action: TermAction,
    /// Where the row came from, as `file.csv:LINE`. Errors use it.
    pub source: String,
}

/// One lexicon term found in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Start offset in code points (Unicode scalar values) of the original text.
    pub start: usize,
    /// End offset in code points of the original text, exclusive.
    pub end: usize,
    /// The original text between `start` and `end`: the evidence a moderator sees, separators
    /// and all (`赌*博`).
    pub matched: String,
    /// The lexicon term as written in the file (`赌博`).
    pub term: String,
    /// The term's category.
    pub category: String,
    /// `Reject` or `Hold`. Allow phrases are never reported.
    pub action: TermAction,
}

/// Why a lexicon cannot be built. Each message names the `file:line` of the rows involved.
#[derive(Debug, thiserror::Error)]
pub enum MatcherError {
    /// The term has no letter, digit or ideograph left after folding, so it would match
    /// everywhere or nowhere.
    #[error("{location}: term `{term}` is empty after normalization (only separators, punctuation, symbols or invisible characters)")]
    EmptyTerm {
        /// The term as written.
        term: String,
        /// `file:line` of the row.
        location: String,
    },
    /// An allow phrase and a blocking term fold to the same text, so the lexicon contradicts
    /// itself.
    #[error("{allow_location}: allow phrase `{allow_term}` and {location}: {action} term `{term}` are the same after normalization (`{folded}`); remove one of them")]
    AllowConflict {
        /// The folded form both share.
        folded: String,
        /// The allow phrase as written.
        allow_term: String,
        /// `file:line` of the allow row.
        allow_location: String,
        /// The blocking term as written.
        term: String,
        /// `file:line` of the blocking row.
        location: String,
        /// The blocking row's action.
        action: TermAction,
    },
    /// aho-corasick refused the pattern set (for example, it is too large).
    #[error("building the lexicon automaton: {0}")]
    Build(#[from] aho_corasick::BuildError),
}

/// The compiled feature library: folded terms in one Aho-Corasick automaton.
///
/// Build it once at startup and share it (`Arc<Matcher>`). `find` takes `&self`.
#[derive(Debug)]
pub struct Matcher {
    normalizer: Arc<Normalizer>,
    automaton: AhoCorasick,
    /// Indexed by aho-corasick `PatternID`.
    patterns: Vec<Pattern>,
    /// Number of patterns whose action is not `Allow`.
    blocking: usize,
}

/// One distinct folded term, with the lexicon row it reports.
#[derive(Debug)]
struct Pattern {
    /// Length of the folded term in chars.
    chars: usize,
    /// Whether the folded term starts with a word character (see [`CharFlags::is_word`]).
    word_start: bool,
    /// Whether the folded term ends with a word character.
    word_end: bool,
    action: TermAction,
    term: String,
    category: String,
    location: String,
}

impl Pattern {
    /// Rule 1 of the module docs, for a match of this pattern at folded chars `start..end`.
    fn boundaries_ok(&self, flags: &[CharFlags], start: usize, end: usize) -> bool {
        // The folded char at `i` continues a word from the one before it.
        let glued = |i: usize| flags[i].is_word() && !flags[i].gap_before();
        let bad_start = self.word_start && start > 0 && flags[start - 1].is_word() && glued(start);
        let bad_end = self.word_end && end < flags.len() && glued(end);
        !bad_start && !bad_end
    }
}

/// A blocking match in folded char indices.
#[derive(Clone, Copy)]
struct Candidate {
    start: usize,
    end: usize,
    pattern: usize,
}

impl Matcher {
    /// Folds `entries` and builds the automaton.
    ///
    /// Rows whose terms fold alike (`赌博`, `賭博`, `赌 博`) become one pattern. Among blocking
    /// duplicates, the strongest action wins (reject > hold). The earliest row with that action
    /// supplies the reported term and category. Duplicate allow phrases are harmless.
    ///
    /// # Errors
    /// [`MatcherError::EmptyTerm`] for a term that folds to nothing.
    /// [`MatcherError::AllowConflict`] when an allow phrase and a blocking term fold alike.
    /// [`MatcherError::Build`] if aho-corasick refuses the patterns.
    pub fn new(
        normalizer: Arc<Normalizer>,
        entries: Vec<LexiconEntry>,
    ) -> Result<Self, MatcherError> {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut folded_terms: Vec<String> = Vec::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        for entry in entries {
            let folded = normalizer.fold_text(&entry.term);
            if folded.is_empty() {
                return Err(MatcherError::EmptyTerm {
                    term: entry.term,
                    location: entry.source,
                });
            }
            match index.entry(folded.text) {
                MapEntry::Vacant(slot) => {
                    folded_terms.push(slot.key().clone());
                    slot.insert(patterns.len());
                    patterns.push(Pattern {
                        chars: folded.spans.len(),
                        word_start: folded.flags.first().is_some_and(|f| f.is_word()),
                        word_end: folded.flags.last().is_some_and(|f| f.is_word()),
                        action: entry.action,
                        term: entry.term,
                        category: entry.category,
                        location: entry.source,
                    });
                }
                MapEntry::Occupied(slot) => {
                    merge_duplicate(slot.key(), &mut patterns[*slot.get()], entry)?
                }
            }
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&folded_terms)?;
        let blocking = patterns
            .iter()
            .filter(|p| p.action != TermAction::Allow)
            .count();
        Ok(Matcher {
            normalizer,
            automaton,
            patterns,
            blocking,
        })
    }

    /// All blocking (`reject`/`hold`) hits in `text`, sorted by start. The hits never overlap.
    /// See the module docs for the boundary, allow-phrase and overlap rules. Offsets are code
    /// points of `text`.
    pub fn find(&self, text: &str) -> Vec<Hit> {
        if self.blocking == 0 {
            return Vec::new();
        }
        let folded = self.normalizer.fold_text(text);
        let mut blocks: Vec<Candidate> = Vec::new();
        let mut allows: Vec<(usize, usize)> = Vec::new();
        // Overlapping matches arrive in order of their end, so one cursor converts every end
        // byte offset to a char index in time linear in the text. The start follows from the
        // pattern's length in chars.
        let mut cursor = Cursor::default();
        for m in self.automaton.find_overlapping_iter(folded.text.as_str()) {
            let pattern = &self.patterns[m.pattern().as_usize()];
            let end = cursor.char_at_byte(folded.text.as_bytes(), m.end());
            let start = end - pattern.chars;
            if !pattern.boundaries_ok(&folded.flags, start, end) {
                continue;
            }
            if pattern.action == TermAction::Allow {
                allows.push((start, end));
            } else {
                blocks.push(Candidate {
                    start,
                    end,
                    pattern: m.pattern().as_usize(),
                });
            }
        }
        if !allows.is_empty() {
            let allowed = AllowSpans::new(allows);
            blocks.retain(|c| !allowed.covers(c.start, c.end));
        }

        // Rule 3: strongest action first, then leftmost, then longest (pattern id: a total order).
        blocks.sort_unstable_by_key(|c| {
            (
                Reverse(self.patterns[c.pattern].action.strength()),
                c.start,
                Reverse(c.end),
                c.pattern,
            )
        });
        // Folded chars already covered by a chosen hit. Checking a candidate costs its length.
        let mut taken = vec![false; folded.len()];
        let mut chosen: Vec<Candidate> = Vec::new();
        for c in blocks {
            if taken[c.start..c.end].contains(&true) {
                continue;
            }
            taken[c.start..c.end].fill(true);
            chosen.push(c);
        }
        chosen.sort_unstable_by_key(|c| c.start);

        let mut original = Cursor::default();
        chosen
            .into_iter()
            .filter_map(|c| {
                let (start, end) = folded.original_span(c.start..c.end)?;
                let (start, end) = (start as usize, end as usize);
                let from = original.byte_at_char(text.as_bytes(), start);
                let to = original.byte_at_char(text.as_bytes(), end);
                let pattern = &self.patterns[c.pattern];
                Some(Hit {
                    start,
                    end,
                    matched: text[from..to].to_string(),
                    term: pattern.term.clone(),
                    category: pattern.category.clone(),
                    action: pattern.action,
                })
            })
            .collect()
    }

    /// Number of distinct blocking (`reject`/`hold`) terms after folding and merging duplicates.
    /// Allow phrases are not counted.
    pub fn len(&self) -> usize {
        self.blocking
    }

    /// True when the lexicon has no blocking term, so `find` always returns nothing.
    pub fn is_empty(&self) -> bool {
        self.blocking == 0
    }
}

/// Folds a second row into the pattern that an earlier row with the same folded term created.
fn merge_duplicate(
    folded: &str,
    pattern: &mut Pattern,
    entry: LexiconEntry,
) -> Result<(), MatcherError> {
    let conflict =
        |allow: (&str, &str), block: (&str, &str, TermAction)| MatcherError::AllowConflict {
            folded: folded.to_string(),
            allow_term: allow.0.to_string(),
            allow_location: allow.1.to_string(),
            term: block.0.to_string(),
            location: block.1.to_string(),
            action: block.2,
        };
    match (pattern.action, entry.action) {
        (TermAction::Allow, TermAction::Allow) => Ok(()),
        (TermAction::Allow, action) => Err(conflict(
            (&pattern.term, &pattern.location),
            (&entry.term, &entry.source, action),
        )),
        (action, TermAction::Allow) => Err(conflict(
            (&entry.term, &entry.source),
            (&pattern.term, &pattern.location, action),
        )),
        (old, new) => {
            if new.strength() > old.strength() {
                pattern.action = new;
                pattern.term = entry.term;
                pattern.category = entry.category;
                pattern.location = entry.source;
            }
            Ok(())
        }
    }
}

/// Allow-phrase matches, for "is `start..end` inside one of them" queries in O(log n).
struct AllowSpans {
    /// Starts, ascending.
    starts: Vec<usize>,
    /// `reach[i]`: the greatest end among the first `i + 1` spans by start.
    reach: Vec<usize>,
}

impl AllowSpans {
    fn new(mut spans: Vec<(usize, usize)>) -> Self {
        spans.sort_unstable();
        let starts = spans.iter().map(|s| s.0).collect();
        let reach = spans
            .iter()
            .scan(0, |max, s| {
                *max = s.1.max(*max);
                Some(*max)
            })
            .collect();
        AllowSpans { starts, reach }
    }

    /// Whether some span has `span.start <= start` and `end <= span.end`.
    fn covers(&self, start: usize, end: usize) -> bool {
        let n = self.starts.partition_point(|&s| s <= start);
        n > 0 && self.reach[n - 1] >= end
    }
}

/// Keeps a byte offset and a char index of a UTF-8 string in step. Converting a series of
/// nearby offsets then costs only the distance between them, in either direction.
#[derive(Default)]
struct Cursor {
    byte: usize,
    chars: usize,
}

impl Cursor {
    /// Char index of the char boundary at byte offset `byte` of `s`.
    fn char_at_byte(&mut self, s: &[u8], byte: usize) -> usize {
        let count = |bytes: &[u8]| bytes.iter().filter(|&&b| is_char_start(b)).count();
        if byte >= self.byte {
            self.chars += count(&s[self.byte..byte]);
        } else {
            self.chars -= count(&s[byte..self.byte]);
        }
        self.byte = byte;
        self.chars
    }

    /// Byte offset of char index `index` of `s` (`s.len()` for the index just past the end).
    fn byte_at_char(&mut self, s: &[u8], index: usize) -> usize {
        while self.chars < index && self.byte < s.len() {
            self.byte += 1;
            while self.byte < s.len() && !is_char_start(s[self.byte]) {
                self.byte += 1;
            }
            self.chars += 1;
        }
        while self.chars > index {
            self.byte -= 1;
            while !is_char_start(s[self.byte]) {
                self.byte -= 1;
            }
            self.chars -= 1;
        }
        self.byte
    }
}

/// True for the first byte of a UTF-8 sequence (not a continuation byte `10xxxxxx`).
fn is_char_start(b: u8) -> bool {
    b & 0xC0 != 0x80
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::tests::shared;

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
            .map(|h| (h.start, h.end, h.matched.as_str(), h.term.as_str()))
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
            (hits[1].start, hits[1].end, hits[1].matched.as_str()),
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
            (
                hits[0].term.as_str(),
                hits[0].category.as_str(),
                hits[0].action
            ),
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

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Term characters: ASCII letters and digits, and CJK ideographs. Hangul is kept out
        /// so the Hangul padding around a term can never be part of a match.
        fn term_char() -> impl Strategy<Value = char> {
            prop_oneof![
                prop::char::range('a', 'z'),
                prop::char::range('0', '9'),
                prop::char::range('\u{4E00}', '\u{9FA5}'),
            ]
        }

        /// One way of writing `c` that should fold back to it (for CJK: itself).
        fn disguise(c: char, pick: u8) -> String {
            match (c, pick % 3) {
                ('a'..='z', 1) => c.to_ascii_uppercase().to_string(),
                ('a'..='z', 2) | ('0'..='9', 2) => {
                    char::from_u32(c as u32 + 0xFEE0).unwrap().to_string()
                }
                ('1'..='9', 1) => char::from_u32(c as u32 - '1' as u32 + 0x2460)
                    .unwrap()
                    .to_string(),
                _ => c.to_string(),
            }
        }

        const SEPARATORS: &[&str] = &[
            "", "", "", " ", "*", ".", "-", "\u{200B}", "\u{200D}", "\u{FEFF}", "\u{FE0F}", "😀",
            "👍🏽", "\u{3000}", "。", "，", "\u{301}", "__",
        ];

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn disguises_never_hide_a_term(
                term in prop::collection::vec(term_char(), 1..6),
                picks in prop::collection::vec((any::<u8>(), 0..SEPARATORS.len()), 6),
                pad in prop::sample::select(vec![("", ""), ("가나 ", " 다라"), ("가", "나"), ("- ", " -")]),
            ) {
                let term: String = term.into_iter().collect();
                let m = matcher(&[(&term, "c", TermAction::Reject)]).unwrap();
                let mut written = String::new();
                for (i, (c, (pick, sep))) in term.chars().zip(picks).enumerate() {
                    if i > 0 {
                        written.push_str(SEPARATORS[sep]);
                    }
                    written.push_str(&disguise(c, pick));
                }
                let text = format!("{}{written}{}", pad.0, pad.1);
                let hits = m.find(&text);
                assert_valid(&text, &hits);
                let start = pad.0.chars().count();
                let end = start + written.chars().count();
                prop_assert!(
                    hits.iter().any(|h| h.start == start && h.end == end && h.term == term),
                    "term {:?} not found at {}..{} in {:?}: {:?}", term, start, end, text, hits
                );
            }

            #[test]
            fn any_text_gives_valid_spans(
                text in prop_oneof![
                    any::<String>(),
                    // Dense in term characters, separators and their disguises, so hits,
                    // overlaps and allow phrases occur.
                    "[a-cA-C0-2\u{4E00}-\u{4E03} *.\u{200B}\u{301}\u{FE0F}😀。ａ①ﬁ]{0,40}",
                ],
                term in "[a-c0-2\u{4E00}-\u{4E03}]{1,3}",
            ) {
                let m = matcher(&[(&term, "c", TermAction::Hold), ("一丁七丁", "c", TermAction::Allow)]).unwrap();
                assert_valid(&text, &m.find(&text));
            }

            #[test]
            fn folding_is_idempotent(text in any::<String>()) {
                let n = shared();
                let once = n.fold_term(&text);
                prop_assert_eq!(n.fold_term(&once), once);
            }
        }
    }
}
