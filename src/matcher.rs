//! Lexicon ("feature library", Art. 10) matching over folded text (DESIGN §4, "Prohibited-
//! information matching"). `docs/matching.md` explains every rule and the reasons for it.
//!
//! [`Matcher::new`] folds every lexicon term with the shared [`Normalizer`], merges terms that
//! fold alike, gives every distinct folded character a small symbol id, and builds an
//! Aho-Corasick automaton over symbols (one step per folded character, not per UTF-8 byte).
//! Terms that mark a character as repeatable (`赌+博`, see below) go into a second automaton
//! that runs over the text with runs of equal characters collapsed. [`Matcher::find`] folds the
//! text, collects every match of every term, overlaps included, and applies, in order:
//!
//! 1. **Latin word boundaries.** When a term starts (ends) with a letter or digit of a
//!    space-separated script, the folded character before (after) the match must not be one
//!    of the same kind (letter next to letter, digit next to digit), unless a visible
//!    separator stands between them in the original. So `daikai` is found in `找daikai`,
//!    `x. daikai` and `daikai888`, but not in `daikaixyz`, `xdaikai` or `x\u{200B}daikai`;
//!    `123` is not found in `41234`.
//! 2. **Clause breaks.** Separators are skipped, but clause punctuation (`。，、；：！？`, an
//!    ellipsis, `. `, `——`, a line break; see [`CharFlags::clause_break_before`]) between two
//!    matched characters is only accepted when the separators look deliberate: the match has
//!    at least 3 characters and **every** pair of neighbouring characters in it is separated
//!    (`网，络，赌，场`). So `金黄，播种` does not contain `黄播`, and `赌。博` is not `赌博`,
//!    while `赌.博`, `赌 博` and `赌*博` are (a lone `.` is not clause punctuation).
//!    A single ASCII letter or digit glued between two ideographs (`赌a博`, `网x络x赌x场`) may
//!    be skipped: a second scan passes over such fillers and keeps the matches with one inside.
//!    Digit fillers count for `hold` terms and allow phrases only (`手枪1支` is a quantity).
//! 3. **Allow phrases.** A blocking match whose folded span lies entirely inside an allow
//!    phrase's match is dropped. A partial overlap does not suppress it. Allow phrases match
//!    under the same folding and rules 1–2, so `打擊 賭博` suppresses like `打击赌博`.
//! 4. **Overlaps.** The result holds no two hits that overlap in folded text. Stronger actions
//!    pick first: `reject` matches are chosen leftmost-longest, then the `hold` matches that
//!    overlap no chosen hit, again leftmost-longest. So an overlapping `hold` term never hides
//!    a `reject` term (`赌博` hold, `博彩` reject, text `赌博彩` → `博彩`, reject).
//!
//! # Repeated characters (per-term opt-in)
//! A `+` written directly after a character of a term means "this character, one or more
//! times": `赌+博` matches `赌博`, `赌赌赌博` and `賭 賭博`; `哈哈+` needs at least two `哈`.
//! Without a `+` a term matches exactly its characters, as before. A `+` that does not follow
//! a letter, digit or ideograph directly (`c++`'s second `+`, `赌 +`) is an ordinary separator,
//! as every `+` used to be: separators never match anything, so no existing lexicon changes
//! meaning except that a term with `+` now also matches repeats.
//!
//! Offsets in [`Hit`] are code points of the original text. The span runs from the first
//! matched character to the last, with the separators between them.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::hash_map::Entry as MapEntry;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::normalize::{next_ascii_alnum, CharFlags, FoldBuf, FoldSink, Normalizer};

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
    /// The term as written in the file. It is folded before matching. A `+` right after a
    /// character lets that character repeat (see the module docs).
    pub term: String,
    /// Category reported with each hit (e.g. `gambling`).
    pub category: String,
    /// What a hit does.
    pub action: TermAction,
    /// Where the row came from, as `file.csv:LINE`. Errors use it.
    pub source: String,
}

/// One lexicon term found in a text. It borrows the text (`matched`) and the matcher (`term`,
/// `category`), so finding allocates nothing per hit; copy what you keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit<'a> {
    /// Start offset in code points (Unicode scalar values) of the original text.
    pub start: usize,
    /// End offset in code points of the original text, exclusive.
    pub end: usize,
    /// The original text between `start` and `end`: the evidence a moderator sees, separators
    /// and all (`赌*博`).
    pub matched: &'a str,
    /// The lexicon term as written in the file (`赌博`).
    pub term: &'a str,
    /// The term's category.
    pub category: &'a str,
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
        /// The folded form both share (with `+` marks for repeatable characters).
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
    /// The automaton would need more than `u32::MAX` states or terms.
    #[error("lexicon too large: {0} automaton states or terms")]
    TooLarge(usize),
}

/// The compiled feature library: folded terms in Aho-Corasick automata over symbol ids.
///
/// Build it once at startup and share it (`Arc<Matcher>`). `find` takes `&self`; each thread
/// keeps its own scratch buffers, so concurrent calls do not contend.
pub struct Matcher {
    normalizer: Arc<Normalizer>,
    /// Folded character → symbol id (0: in no term).
    symbols: SymbolMap,
    /// Terms without repeat marks, over the folded symbols.
    plain: Automaton,
    /// Terms with repeat marks, over the run-collapsed symbols. `None` when there are none.
    repeat: Option<Automaton>,
    /// What a hit reports, indexed by pattern id.
    reported: Vec<Reported>,
    /// Every pattern's term as written, one after the other (see `Reported::term`).
    terms: String,
    /// Distinct categories (see `Reported::category`).
    categories: Vec<Box<str>>,
    /// `(min, at_least)` per character run of the repeat patterns; see `Reported::runs`.
    run_specs: Vec<(u32, bool)>,
    /// Number of patterns whose action is not `Allow`.
    blocking: usize,
    /// Where a filler can matter (rule 3): every pair of symbols that stand next to each other
    /// in a plain pattern, as `first << 32 | second`, sorted. A filler between two characters
    /// that form no such pair is inside no match of the filler scan.
    filler_pairs: Vec<u64>,
    /// The same for the plain `hold` terms and allow phrases only: a digit filler inside a
    /// `reject` match is ignored.
    digit_filler_pairs: Vec<u64>,
    /// The longest plain pattern, in symbols.
    max_plain_len: usize,
}

/// What a hit of one pattern reports, kept compact: a dictionary-sized lexicon has hundreds of
/// thousands of patterns, and every hit reads one of these.
#[derive(Clone, Copy, Debug)]
struct Reported {
    /// The term as written: `terms[term.0..term.1]`.
    term: (u32, u32),
    /// Index into `categories`.
    category: u32,
    action: TermAction,
    /// For a repeat pattern, its runs' specs are `run_specs[runs.0..runs.1]`; else empty.
    runs: (u32, u32),
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Matcher")
            .field("patterns", &self.reported.len())
            .field("blocking", &self.blocking)
            .field("plain_states", &self.plain.fail.len())
            .field("repeat_states", &self.repeat.as_ref().map(|a| a.fail.len()))
            .finish()
    }
}

/// The facts about a pattern that every match needs: kept small and together for the cache.
#[derive(Clone, Copy, Debug)]
struct PatternInfo {
    /// Plain pattern: length in folded chars. Repeat pattern: number of character runs.
    len: u32,
    /// `WORD_START | WORD_END` and the action's strength in the low two bits.
    bits: u8,
}

impl PatternInfo {
    const WORD_START: u8 = 4;
    const WORD_END: u8 = 8;

    fn action(self) -> TermAction {
        match self.bits & 3 {
            2 => TermAction::Reject,
            1 => TermAction::Hold,
            _ => TermAction::Allow,
        }
    }

    /// Rule 1 of the module docs, for a match at folded chars `start..end`.
    #[inline]
    fn boundaries_ok(self, flags: &[CharFlags], start: usize, end: usize) -> bool {
        if self.bits & (Self::WORD_START | Self::WORD_END) == 0 {
            return true;
        }
        // The folded char at `i` continues the word of the one before it: both are letters or
        // both are digits, with no visible separator between them. A change between letters
        // and digits is a boundary (`daikai888`, `888daikai`), as is a separator.
        let glued = |i: usize| {
            let (prev, this) = (flags[i - 1], flags[i]);
            prev.is_word()
                && this.is_word()
                && !this.gap_before()
                && prev.is_digit() == this.is_digit()
        };
        let bad_start = self.bits & Self::WORD_START != 0 && start > 0 && glued(start);
        let bad_end = self.bits & Self::WORD_END != 0 && end < flags.len() && glued(end);
        !bad_start && !bad_end
    }
}

/// Rule 2 of the module docs, for a match at folded chars `start..end`: clause punctuation
/// inside a match is accepted only when at least 3 characters are all separated.
#[inline]
fn clause_ok(flags: &[CharFlags], start: usize, end: usize) -> bool {
    let inner = &flags[start + 1..end];
    !inner.iter().any(|f| f.clause_break_before())
        || (end - start >= 3 && inner.iter().all(|f| f.gap_before()))
}

/// One distinct folded term while the matcher is built, with the lexicon row it reports.
#[derive(Debug)]
struct Pattern {
    action: TermAction,
    term: String,
    category: String,
    location: String,
}

/// A match in folded char indices.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    start: u32,
    end: u32,
    pattern: u32,
}

impl Candidate {
    /// The order rule 4 picks in: leftmost, then longest, then lowest pattern id.
    #[inline]
    fn key(self) -> (u32, Reverse<u32>, u32) {
        (self.start, Reverse(self.end), self.pattern)
    }
}

/// A folded term before it becomes a pattern: its folded characters and, per character,
/// whether a `+` follows it in the term as written.
struct ParsedTerm {
    chars: Vec<char>,
    repeat: Vec<bool>,
    word_start: bool,
    word_end: bool,
}

impl ParsedTerm {
    fn new(normalizer: &Normalizer, term: &str) -> Self {
        let folded = normalizer.fold_text(term);
        let original: Vec<char> = term.chars().collect();
        let chars: Vec<char> = folded.text.chars().collect();
        let repeat = (0..chars.len())
            .map(|i| {
                let span = folded.spans[i];
                // The last folded char of its original character (`ﬁ+` repeats the `i`), with
                // a `+` directly after that character and its combining marks.
                let last_of_char = folded.spans.get(i + 1) != Some(&span);
                last_of_char && original.get(span.1 as usize) == Some(&'+')
            })
            .collect();
        ParsedTerm {
            chars,
            repeat,
            word_start: folded.flags.first().is_some_and(|f| f.is_word()),
            word_end: folded.flags.last().is_some_and(|f| f.is_word()),
        }
    }

    fn is_repeat(&self) -> bool {
        self.repeat.contains(&true)
    }

    /// Runs of equal characters: `(char, min count, at least)`. `赌+赌博` → `赌`×2+, `博`×1.
    fn runs(&self) -> Vec<(char, u32, bool)> {
        let mut runs: Vec<(char, u32, bool)> = Vec::new();
        for (&c, &rep) in self.chars.iter().zip(&self.repeat) {
            match runs.last_mut() {
                Some(last) if last.0 == c => {
                    last.1 += 1;
                    last.2 |= rep;
                }
                _ => runs.push((c, 1, rep)),
            }
        }
        runs
    }

    /// The merge key: the folded text, with a repeat pattern written in its canonical form
    /// (each run as its minimum count of characters, then `+` if it may repeat). Folded text
    /// never contains `+`, so the two kinds never collide.
    fn key(&self) -> String {
        if !self.is_repeat() {
            return self.chars.iter().collect();
        }
        let mut key = String::new();
        for (c, min, at_least) in self.runs() {
            key.extend(std::iter::repeat_n(c, min as usize));
            if at_least {
                key.push('+');
            }
        }
        key
    }
}

impl Matcher {
    /// Folds `entries` and builds the automata.
    ///
    /// Rows whose terms fold alike (`赌博`, `賭博`, `赌 博`) become one pattern. Among blocking
    /// duplicates, the strongest action wins (reject > hold). The earliest row with that action
    /// supplies the reported term and category. Duplicate allow phrases are harmless.
    ///
    /// # Errors
    /// [`MatcherError::EmptyTerm`] for a term that folds to nothing.
    /// [`MatcherError::AllowConflict`] when an allow phrase and a blocking term fold alike.
    /// [`MatcherError::TooLarge`] past `u32::MAX` states.
    pub fn new(
        normalizer: Arc<Normalizer>,
        entries: Vec<LexiconEntry>,
    ) -> Result<Self, MatcherError> {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut parsed: Vec<ParsedTerm> = Vec::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        for entry in entries {
            let term = ParsedTerm::new(&normalizer, &entry.term);
            if term.chars.is_empty() {
                return Err(MatcherError::EmptyTerm {
                    term: entry.term,
                    location: entry.source,
                });
            }
            match index.entry(term.key()) {
                MapEntry::Vacant(slot) => {
                    slot.insert(patterns.len());
                    patterns.push(Pattern {
                        action: entry.action,
                        term: entry.term,
                        category: entry.category,
                        location: entry.source,
                    });
                    parsed.push(term);
                }
                MapEntry::Occupied(slot) => {
                    let pattern = &mut patterns[*slot.get()];
                    merge_duplicate(slot.key(), pattern, entry)?
                }
            }
        }
        drop(index);
        if u32::try_from(patterns.len()).is_err() {
            return Err(MatcherError::TooLarge(patterns.len()));
        }

        // Symbols: every distinct folded character of every term, numbered from 1.
        let mut symbols = SymbolMap::default();
        for term in &parsed {
            for &c in &term.chars {
                symbols.intern(c);
            }
        }
        let alphabet = symbols.len() + 1;

        let mut info = Vec::with_capacity(patterns.len());
        let mut reported = Vec::with_capacity(patterns.len());
        let mut terms = String::new();
        let mut category_ids: HashMap<String, u32> = HashMap::new();
        let mut categories: Vec<Box<str>> = Vec::new();
        let mut run_specs: Vec<(u32, bool)> = Vec::new();
        let mut plain_seqs: Vec<(Vec<u32>, u32)> = Vec::new();
        let mut repeat_seqs: Vec<(Vec<u32>, u32)> = Vec::new();
        let mut filler_pairs: Vec<u64> = Vec::new();
        let mut digit_filler_pairs: Vec<u64> = Vec::new();
        let mut max_plain_len = 0;
        for (id, (term, pattern)) in parsed.iter().zip(patterns).enumerate() {
            let from = terms.len() as u32;
            terms.push_str(&pattern.term);
            let category = *category_ids
                .entry(pattern.category)
                .or_insert_with_key(|c| {
                    categories.push(c.as_str().into());
                    categories.len() as u32 - 1
                });
            let mut report = Reported {
                term: (from, terms.len() as u32),
                category,
                action: pattern.action,
                runs: (0, 0),
            };
            let mut bits = pattern.action.strength();
            if term.word_start {
                bits |= PatternInfo::WORD_START;
            }
            if term.word_end {
                bits |= PatternInfo::WORD_END;
            }
            if term.is_repeat() {
                let runs = term.runs();
                let from = run_specs.len() as u32;
                run_specs.extend(runs.iter().map(|&(_, min, at_least)| (min, at_least)));
                report.runs = (from, run_specs.len() as u32);
                info.push(PatternInfo {
                    len: runs.len() as u32,
                    bits,
                });
                let seq = runs.iter().map(|r| symbols.get(r.0)).collect();
                repeat_seqs.push((seq, id as u32));
            } else {
                info.push(PatternInfo {
                    len: term.chars.len() as u32,
                    bits,
                });
                let seq: Vec<u32> = term.chars.iter().map(|&c| symbols.get(c)).collect();
                for pair in seq.windows(2) {
                    let key = u64::from(pair[0]) << 32 | u64::from(pair[1]);
                    filler_pairs.push(key);
                    if pattern.action != TermAction::Reject {
                        digit_filler_pairs.push(key);
                    }
                }
                max_plain_len = max_plain_len.max(seq.len());
                plain_seqs.push((seq, id as u32));
            }
            reported.push(report);
        }
        if u32::try_from(terms.len()).is_err() {
            return Err(MatcherError::TooLarge(terms.len()));
        }
        drop(parsed);
        let plain = Automaton::build(plain_seqs, &info, alphabet)?;
        let repeat = if repeat_seqs.is_empty() {
            None
        } else {
            Some(Automaton::build(repeat_seqs, &info, alphabet)?)
        };
        for pairs in [&mut filler_pairs, &mut digit_filler_pairs] {
            pairs.sort_unstable();
            pairs.dedup();
            pairs.shrink_to_fit();
        }
        let blocking = reported
            .iter()
            .filter(|p| p.action != TermAction::Allow)
            .count();
        terms.shrink_to_fit();
        Ok(Matcher {
            normalizer,
            symbols,
            plain,
            repeat,
            reported,
            terms,
            categories,
            run_specs,
            blocking,
            filler_pairs,
            digit_filler_pairs,
            max_plain_len,
        })
    }

    /// All blocking (`reject`/`hold`) hits in `text`, sorted by start. The hits never overlap.
    /// See the module docs for the boundary, clause, allow-phrase and overlap rules. Offsets are
    /// code points of `text`.
    pub fn find<'a>(&'a self, text: &'a str) -> Vec<Hit<'a>> {
        if self.blocking == 0 {
            return Vec::new();
        }
        let run = |scratch: &mut Scratch| self.find_with::<false>(text, scratch);
        SCRATCH
            .try_with(|cell| match cell.try_borrow_mut() {
                Ok(mut scratch) => {
                    let hits = run(&mut scratch);
                    scratch.shrink_if_huge();
                    hits
                }
                Err(_) => run(&mut Scratch::default()),
            })
            .unwrap_or_else(|_| run(&mut Scratch::default()))
    }

    /// [`find`](Self::find) with the straightforward filler scan of rule 3 (the whole text,
    /// whenever it has a filler): the reference the property tests compare `find` with.
    #[cfg(test)]
    fn find_reference<'a>(&'a self, text: &'a str) -> Vec<Hit<'a>> {
        if self.blocking == 0 {
            return Vec::new();
        }
        self.find_with::<true>(text, &mut Scratch::default())
    }

    /// True when a filler between folded symbols `before` and `after` can be inside a match
    /// of the filler scan that rule 3 keeps: the two stand next to each other in some plain
    /// pattern (a `hold` term or allow phrase for a digit filler).
    #[inline]
    fn filler_may_join(&self, before: u32, after: u32, digit: bool) -> bool {
        if before == 0 || after == 0 {
            return false;
        }
        let key = u64::from(before) << 32 | u64::from(after);
        let pairs = if digit {
            &self.digit_filler_pairs
        } else {
            &self.filler_pairs
        };
        pairs.binary_search(&key).is_ok()
    }

    fn find_with<'a, const REFERENCE: bool>(
        &'a self,
        text: &'a str,
        scratch: &mut Scratch,
    ) -> Vec<Hit<'a>> {
        let Scratch {
            fold,
            consumed,
            run_syms,
            run_starts,
            rejects,
            holds,
            allows,
            chosen,
        } = scratch;
        self.normalizer.fold_into(
            text,
            &mut SymbolFold {
                buf: fold,
                symbols: &self.symbols,
            },
        );
        rejects.clear();
        holds.clear();
        allows.clear();
        let flags = &fold.flags[..];

        // Plain terms. Matches arrive in order of their end, and at one end longest first, so
        // inserting each into its sorted list moves it past the few matches nested in it.
        self.plain.scan(&fold.codes, |end, pattern, info| {
            let start = end - info.len as usize;
            if !info.boundaries_ok(flags, start, end) || !clause_ok(flags, start, end) {
                return;
            }
            let list = match info.action() {
                TermAction::Reject => &mut *rejects,
                TermAction::Hold => &mut *holds,
                TermAction::Allow => &mut *allows,
            };
            insert_sorted(
                list,
                Candidate {
                    start: start as u32,
                    end: end as u32,
                    pattern,
                },
            );
        });

        // Rule 3 (fillers): a single ASCII letter or digit glued between two ideographs may be
        // an insertion (`赌a博`, `网x络x赌x场`). A second scan skips every such filler and keeps
        // the matches that have one inside; a digit filler counts for `hold` terms (and allow
        // phrases) only, since quantities stand there in ordinary text (`手枪1支`).
        let is_filler = |i: usize| {
            flags[i].is_ascii_alnum()
                && flags[i - 1].is_ideograph()
                && flags[i + 1].is_ideograph()
                && !flags[i].gap_before()
                && !flags[i + 1].gap_before()
        };
        let n = flags.len();
        if n >= 3 {
            let skip = |i: usize| i > 0 && i + 1 < n && is_filler(i);
            let mut report = |start: usize, end: usize, pattern: u32, info: PatternInfo| {
                let digit_inside = (start + 1..end - 1).any(|i| skip(i) && flags[i].is_digit());
                if digit_inside && info.action() == TermAction::Reject {
                    return;
                }
                if !info.boundaries_ok(flags, start, end) || !clause_ok(flags, start, end) {
                    return;
                }
                let list = match info.action() {
                    TermAction::Reject => &mut *rejects,
                    TermAction::Hold => &mut *holds,
                    TermAction::Allow => &mut *allows,
                };
                insert_sorted(
                    list,
                    Candidate {
                        start: start as u32,
                        end: end as u32,
                        pattern,
                    },
                );
            };
            if REFERENCE {
                if (1..n - 1).any(is_filler) {
                    let codes = &fold.codes;
                    self.plain
                        .scan_skipping(codes, 0..n, consumed, skip, &mut report);
                }
            } else {
                // Only the windows around the fillers that can be inside a kept match: its two
                // neighbours stand next to each other in a pattern (see `filler_may_join`).
                // Such a match has at most `max_plain_len` symbols and a filler between any
                // two of them, so it lies within `2 * max_plain_len` of each of its fillers.
                // Overlapping windows are merged and scanned once: every match is found in
                // exactly one of them, as the whole-text scan finds it.
                let reach = 2 * self.max_plain_len;
                let codes = &fold.codes;
                let mut window: Option<(usize, usize)> = None;
                let mut i = 0;
                loop {
                    i = next_ascii_alnum(flags, i + 1);
                    if i + 1 >= n {
                        break;
                    }
                    if !is_filler(i)
                        || !self.filler_may_join(codes[i - 1], codes[i + 1], flags[i].is_digit())
                    {
                        continue;
                    }
                    let (from, to) = (i.saturating_sub(reach), (i + reach + 1).min(n));
                    match &mut window {
                        Some((_, end)) if from <= *end => *end = to,
                        _ => {
                            if let Some((a, b)) = window.replace((from, to)) {
                                self.plain
                                    .scan_skipping(codes, a..b, consumed, skip, &mut report);
                            }
                        }
                    }
                }
                if let Some((a, b)) = window {
                    self.plain
                        .scan_skipping(codes, a..b, consumed, skip, &mut report);
                }
            }
        }

        // Repeat terms, over runs of equal folded characters.
        if let Some(repeat) = &self.repeat {
            run_syms.clear();
            run_starts.clear();
            // A run never crosses clause punctuation: `哈哈，哈哈哈` is two runs.
            for (i, &sym) in fold.codes.iter().enumerate() {
                if i == 0 || sym == 0 || sym != fold.codes[i - 1] || flags[i].clause_break_before()
                {
                    run_syms.push(sym);
                    run_starts.push(i as u32);
                }
            }
            run_starts.push(fold.codes.len() as u32);
            repeat.scan(run_syms, |end_run, pattern, info| {
                let first_run = end_run - info.len as usize;
                let Some((start, end)) = self.repeat_span(pattern, run_starts, first_run) else {
                    return;
                };
                if !info.boundaries_ok(flags, start, end) || !clause_ok(flags, start, end) {
                    return;
                }
                let list = match info.action() {
                    TermAction::Reject => &mut *rejects,
                    TermAction::Hold => &mut *holds,
                    TermAction::Allow => &mut *allows,
                };
                list.push(Candidate {
                    start: start as u32,
                    end: end as u32,
                    pattern,
                });
            });
            for list in [&mut *rejects, &mut *holds, &mut *allows] {
                list.sort_unstable_by_key(|c| c.key());
            }
        }

        // Rules 3 and 4. All lists are sorted by (start, longest first, pattern), so allow
        // coverage and overlaps are checked with cursors that only move forward.
        chosen.clear();
        let mut allowed = AllowCursor::new(allows);
        let mut last_end = 0;
        for &c in rejects.iter() {
            if c.start >= last_end && !allowed.covers(c) {
                chosen.push(c);
                last_end = c.end;
            }
        }
        let reject_count = chosen.len();
        let mut allowed = AllowCursor::new(allows);
        let mut next_reject = 0;
        let mut last_end = 0;
        for &c in holds.iter() {
            if c.start < last_end || allowed.covers(c) {
                continue;
            }
            while next_reject < reject_count && chosen[next_reject].end <= c.start {
                next_reject += 1;
            }
            if next_reject < reject_count && chosen[next_reject].start < c.end {
                continue; // overlaps a chosen reject
            }
            chosen.push(c);
            last_end = c.end;
        }
        if reject_count > 0 && chosen.len() > reject_count {
            chosen.sort_unstable_by_key(|c| c.start);
        }

        let mut cursor = Cursor::default();
        let mut hits = Vec::with_capacity(chosen.len());
        for c in chosen.iter() {
            let start = fold.spans[c.start as usize].0 as usize;
            let end = fold.spans[c.end as usize - 1].1 as usize;
            let from = cursor.byte_at_char(text.as_bytes(), start);
            let to = cursor.byte_at_char(text.as_bytes(), end);
            let report = self.reported[c.pattern as usize];
            hits.push(Hit {
                start,
                end,
                matched: &text[from..to],
                term: &self.terms[report.term.0 as usize..report.term.1 as usize],
                category: &self.categories[report.category as usize],
                action: report.action,
            });
        }
        hits
    }

    /// The folded char span of a repeat pattern whose runs matched the text's runs
    /// `first_run..`, or `None` when the text's run lengths do not fit the pattern's counts.
    /// The first and last runs may be longer in the text than an exact count asks for: the
    /// match then takes the characters nearest the middle, as a plain term would.
    fn repeat_span(
        &self,
        pattern: u32,
        run_starts: &[u32],
        first_run: usize,
    ) -> Option<(usize, usize)> {
        let (from, to) = self.reported[pattern as usize].runs;
        let specs = &self.run_specs[from as usize..to as usize];
        let last = specs.len() - 1;
        let (mut start, mut end) = (0, 0);
        for (r, &(min, at_least)) in specs.iter().enumerate() {
            let run_start = run_starts[first_run + r] as usize;
            let run_end = run_starts[first_run + r + 1] as usize;
            let len = (run_end - run_start) as u32;
            let edge = r == 0 || r == last;
            if len < min || (!edge && !at_least && len != min) {
                return None;
            }
            if r == 0 {
                start = if at_least {
                    run_start
                } else {
                    run_end - min as usize
                };
            }
            if r == last {
                end = if at_least {
                    run_end
                } else {
                    run_start + min as usize
                };
            }
        }
        Some((start, end))
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

/// Inserts `c` into `list`, which is sorted by [`Candidate::key`]. Cheap when `c` belongs near
/// the end, as it does for matches that arrive in order of their end.
#[inline]
fn insert_sorted(list: &mut Vec<Candidate>, c: Candidate) {
    list.push(c);
    let mut i = list.len() - 1;
    while i > 0 && c.key() < list[i - 1].key() {
        list[i] = list[i - 1];
        i -= 1;
    }
    list[i] = c;
}

/// Answers "is this candidate inside an allow match" for candidates in start order.
struct AllowCursor<'a> {
    allows: &'a [Candidate],
    /// Allows with `start <= ` the last candidate's start.
    seen: usize,
    /// The greatest end among them.
    reach: u32,
}

impl<'a> AllowCursor<'a> {
    fn new(allows: &'a [Candidate]) -> Self {
        AllowCursor {
            allows,
            seen: 0,
            reach: 0,
        }
    }

    /// `c.start` must not decrease from one call to the next.
    #[inline]
    fn covers(&mut self, c: Candidate) -> bool {
        while self.seen < self.allows.len() && self.allows[self.seen].start <= c.start {
            self.reach = self.reach.max(self.allows[self.seen].end);
            self.seen += 1;
        }
        self.seen > 0 && self.reach >= c.end
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

/// Folding straight into symbol ids: the sink [`Matcher::find`] folds text with.
struct SymbolFold<'a> {
    buf: &'a mut FoldBuf,
    symbols: &'a SymbolMap,
}

impl FoldSink for SymbolFold<'_> {
    fn reset(&mut self, hint: usize) {
        self.buf.reset(hint);
    }

    #[inline]
    fn push(&mut self, ch: char, at: u32, flags: u8) {
        self.buf.push(self.symbols.get(ch), at, flags);
    }

    #[inline]
    fn extend_last_span(&mut self, end: u32) {
        self.buf.extend_last_span(end);
    }

    fn folded_len(&self) -> usize {
        self.buf.codes.len()
    }

    fn replace(&mut self, _from: usize, fixes: &[(usize, char)]) {
        for &(i, ch) in fixes {
            self.buf.codes[i] = self.symbols.get(ch);
        }
    }
}

/// Per-thread buffers of [`Matcher::find`], reused from call to call.
#[derive(Default)]
struct Scratch {
    fold: FoldBuf,
    /// Folded indices the filler scan consumed (rule 3).
    consumed: Vec<u32>,
    run_syms: Vec<u32>,
    run_starts: Vec<u32>,
    rejects: Vec<Candidate>,
    holds: Vec<Candidate>,
    allows: Vec<Candidate>,
    chosen: Vec<Candidate>,
}

impl Scratch {
    /// Buffers that grew past this many folded characters are freed after use, so one huge
    /// text does not pin its memory in every worker thread. Review limits (256 Ki characters
    /// per field) stay below it.
    const KEEP: usize = 1 << 19;

    fn shrink_if_huge(&mut self) {
        if self.fold.capacity() > Self::KEEP || self.rejects.capacity() > Self::KEEP {
            *self = Scratch::default();
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// Folded character → symbol id, for every character of every term (1, 2, …); 0 for all other
/// characters. Two levels (a page per 256 code points) keep it small and fast.
struct SymbolMap {
    /// Page index per 256 code points; page 0 is all zeros.
    pages: Vec<u16>,
    /// `data[page * 256 + (cp & 0xFF)]`.
    data: Vec<u32>,
    len: usize,
}

impl Default for SymbolMap {
    fn default() -> Self {
        SymbolMap {
            pages: vec![0; (char::MAX as usize >> 8) + 1],
            data: vec![0; 256],
            len: 0,
        }
    }
}

impl SymbolMap {
    #[inline]
    fn get(&self, c: char) -> u32 {
        let cp = c as usize;
        let page = self.pages[cp >> 8] as usize;
        self.data[page << 8 | (cp & 0xFF)]
    }

    fn intern(&mut self, c: char) {
        let cp = c as usize;
        if self.pages[cp >> 8] == 0 {
            // At most 0x1100 pages (all of Unicode), so the index fits in u16.
            self.pages[cp >> 8] = (self.data.len() >> 8) as u16;
            self.data.resize(self.data.len() + 256, 0);
        }
        let slot = (self.pages[cp >> 8] as usize) << 8 | (cp & 0xFF);
        if self.data[slot] == 0 {
            self.len += 1;
            self.data[slot] = self.len as u32;
        }
    }

    /// Number of symbols (the greatest id).
    fn len(&self) -> usize {
        self.len
    }
}

/// An Aho-Corasick automaton over symbol ids: a trie with failure and dictionary-suffix links.
///
/// State 0 is the root. A state id carries [`Automaton::EMITS`] in its top bit when the state
/// ends a term or has one along its failure chain, so the search loads a state's output record
/// only when there is something to report. The root's transitions are a dense table indexed by
/// symbol; all others are in one hash table, so a transition costs one probe however many
/// continuations a character has (`中` has hundreds in a dictionary-sized lexicon).
struct Automaton {
    /// `root[symbol]`: the state after the root reads `symbol` (0 when no term starts with it).
    root: Vec<u32>,
    /// Every other transition.
    edges: EdgeTable,
    /// Failure link of each state (by index): its longest proper suffix that is a state.
    fail: Vec<u32>,
    /// Output record of each state (by index).
    emit: Vec<Emit>,
    /// Pattern ids: `outputs[emit.out.0..emit.out.1]` end at a state.
    outputs: Vec<Output>,
}

/// What a state reports: its own terms, then those of `dict`.
#[derive(Clone, Copy, Default)]
struct Emit {
    /// Nearest state along the failure chain that ends a term (0: none), with its flag.
    dict: u32,
    /// This state's own terms: `outputs[out.0..out.1]`.
    out: (u32, u32),
}

/// A term that ends at a state, with what every match of it needs.
#[derive(Clone, Copy)]
struct Output {
    pattern: u32,
    info: PatternInfo,
}

/// Open-addressing hash table from `(state, symbol)` to the next state, with linear probing and
/// a load factor of at most 1/2.
///
/// When states and symbols fit in 21 bits each (up to ~2 M trie states: jieba's whole
/// dictionary needs 0.5 M), a slot is one `u64` holding state, symbol and next state, which
/// halves the table and keeps a 50k-term lexicon's transitions in a core's L2 cache. Larger
/// automata use 16-byte slots.
enum EdgeTable {
    /// `state << 43 | symbol << 22 | next` (next: 21-bit index and the `EMITS` flag).
    Packed {
        slots: Vec<u64>,
        mask: usize,
    },
    Wide {
        slots: Vec<Slot>,
        mask: usize,
    },
}

#[derive(Clone, Copy)]
struct Slot {
    /// `state << 32 | symbol`, or [`EdgeTable::EMPTY`].
    key: u64,
    next: u32,
}

impl EdgeTable {
    const EMPTY: u64 = u64::MAX;
    /// Largest state index or symbol of the packed form (all ones is left for `EMPTY`).
    const PACKED_MAX: u32 = (1 << 21) - 2;

    fn new(edges: usize, states: usize, alphabet: usize) -> Self {
        let size = (edges * 2).next_power_of_two().max(2);
        let max = Self::PACKED_MAX as usize;
        if states <= max && alphabet <= max {
            EdgeTable::Packed {
                slots: vec![Self::EMPTY; size],
                mask: size - 1,
            }
        } else {
            EdgeTable::Wide {
                slots: vec![
                    Slot {
                        key: Self::EMPTY,
                        next: 0
                    };
                    size
                ],
                mask: size - 1,
            }
        }
    }

    #[inline]
    fn hash(state: u32, sym: u32, mask: usize) -> usize {
        let key = (state as u64) << 32 | sym as u64;
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & mask
    }

    /// Packs `next` (21-bit index plus the `EMITS` flag) into 22 bits.
    #[inline]
    fn pack_next(next: u32) -> u64 {
        u64::from(next & !Automaton::EMITS) | u64::from(next >> 31) << 21
    }

    #[inline]
    fn unpack_next(slot: u64) -> u32 {
        (slot & 0x1F_FFFF) as u32 | ((slot >> 21 & 1) as u32) << 31
    }

    fn insert(&mut self, state: u32, sym: u32, next: u32) {
        match self {
            EdgeTable::Packed { slots, mask } => {
                let mut i = Self::hash(state, sym, *mask);
                while slots[i] != Self::EMPTY {
                    i = (i + 1) & *mask;
                }
                slots[i] = u64::from(state) << 43 | u64::from(sym) << 22 | Self::pack_next(next);
            }
            EdgeTable::Wide { slots, mask } => {
                let mut i = Self::hash(state, sym, *mask);
                while slots[i].key != Self::EMPTY {
                    i = (i + 1) & *mask;
                }
                slots[i] = Slot {
                    key: (state as u64) << 32 | sym as u64,
                    next,
                };
            }
        }
    }

    /// Replaces every stored next state `n` with `f(n)`.
    fn map_next(&mut self, f: impl Fn(u32) -> u32) {
        match self {
            EdgeTable::Packed { slots, .. } => {
                for slot in slots.iter_mut().filter(|s| **s != Self::EMPTY) {
                    let next = f(Self::unpack_next(*slot));
                    *slot = *slot & !0x3F_FFFF | Self::pack_next(next);
                }
            }
            EdgeTable::Wide { slots, .. } => {
                for slot in slots.iter_mut().filter(|s| s.key != Self::EMPTY) {
                    slot.next = f(slot.next);
                }
            }
        }
    }

    #[inline]
    fn get(&self, state: u32, sym: u32) -> Option<u32> {
        match self {
            EdgeTable::Packed { slots, mask } => {
                let key = u64::from(state) << 43 | u64::from(sym) << 22;
                let mut i = Self::hash(state, sym, *mask);
                loop {
                    let slot = slots[i];
                    if slot & !0x3F_FFFF == key {
                        return Some(Self::unpack_next(slot));
                    }
                    if slot == Self::EMPTY {
                        return None;
                    }
                    i = (i + 1) & *mask;
                }
            }
            EdgeTable::Wide { slots, mask } => {
                let key = (state as u64) << 32 | sym as u64;
                let mut i = Self::hash(state, sym, *mask);
                loop {
                    let slot = slots[i];
                    if slot.key == key {
                        return Some(slot.next);
                    }
                    if slot.key == Self::EMPTY {
                        return None;
                    }
                    i = (i + 1) & *mask;
                }
            }
        }
    }
}

impl Automaton {
    /// Top bit of a state id: the state has something to report (see [`Automaton`]).
    const EMITS: u32 = 1 << 31;

    /// Builds the automaton over `seqs`: each a symbol sequence and its pattern id.
    fn build(
        mut seqs: Vec<(Vec<u32>, u32)>,
        info: &[PatternInfo],
        alphabet: usize,
    ) -> Result<Self, MatcherError> {
        // The trie, built from the sequences in sorted order: the previous sequence's path is
        // the only one a new sequence can share.
        seqs.sort_unstable();
        let mut trie: Vec<(u32, u32, u32)> = Vec::new(); // (parent, symbol, child)
        let mut ends: Vec<(u32, u32)> = Vec::new(); // (state, pattern)
        let mut path: Vec<u32> = vec![0];
        let mut states = 1usize;
        let mut prev: &[u32] = &[];
        for (seq, pattern) in &seqs {
            let shared = seq.iter().zip(prev).take_while(|(a, b)| a == b).count();
            path.truncate(shared + 1);
            for &sym in &seq[shared..] {
                let child = states as u32;
                states += 1;
                trie.push((*path.last().expect("root"), sym, child));
                path.push(child);
            }
            ends.push((*path.last().expect("root"), *pattern));
            prev = seq;
        }
        if states >= Self::EMITS as usize {
            return Err(MatcherError::TooLarge(states));
        }
        drop(seqs);

        // Outputs, grouped by state.
        ends.sort_unstable();
        let mut emit = vec![Emit::default(); states];
        let mut outputs = Vec::with_capacity(ends.len());
        for (i, &(state, pattern)) in ends.iter().enumerate() {
            let e = &mut emit[state as usize];
            if i == 0 || ends[i - 1].0 != state {
                e.out = (outputs.len() as u32, outputs.len() as u32);
            }
            outputs.push(Output {
                pattern,
                info: info[pattern as usize],
            });
            e.out.1 += 1;
        }
        drop(ends);

        // Children of each state, for the breadth-first pass below (counting sort by parent).
        let mut first = vec![0u32; states + 1];
        for &(parent, _, _) in &trie {
            first[parent as usize + 1] += 1;
        }
        for i in 1..first.len() {
            first[i] += first[i - 1];
        }
        let mut children = vec![(0u32, 0u32); trie.len()];
        let mut fill = first.clone();
        for &(parent, sym, child) in &trie {
            children[fill[parent as usize] as usize] = (sym, child);
            fill[parent as usize] += 1;
        }
        drop(fill);
        drop(trie);

        // Failure and dictionary links, breadth first; then every id gets its EMITS flag.
        let mut fail = vec![0u32; states];
        let mut order: Vec<u32> = Vec::with_capacity(states);
        order.push(0);
        let mut head = 0;
        let mut automaton = Automaton {
            root: vec![0; alphabet],
            edges: EdgeTable::new(children.len(), states, alphabet),
            fail: Vec::new(),
            emit,
            outputs,
        };
        // Transitions are inserted unflagged first, so that `next` works during the pass.
        while head < order.len() {
            let u = order[head];
            head += 1;
            for &(sym, v) in &children[first[u as usize] as usize..first[u as usize + 1] as usize] {
                let f = if u == 0 {
                    0
                } else {
                    automaton.next_unflagged(&fail, fail[u as usize], sym)
                };
                fail[v as usize] = f;
                let fe = automaton.emit[f as usize];
                automaton.emit[v as usize].dict = if fe.out.0 < fe.out.1 { f } else { fe.dict };
                if u == 0 {
                    automaton.root[sym as usize] = v;
                } else {
                    automaton.edges.insert(u, sym, v);
                }
                order.push(v);
            }
        }
        drop(children);
        let emits = |e: &Emit| e.out.0 < e.out.1 || e.dict != 0;
        let flags: Vec<u32> = automaton
            .emit
            .iter()
            .map(|e| if emits(e) { Self::EMITS } else { 0 })
            .collect();
        let flag = |s: u32| s | flags[s as usize];
        for s in automaton.root.iter_mut() {
            *s = flag(*s);
        }
        automaton.edges.map_next(flag);
        for e in automaton.emit.iter_mut() {
            e.dict = flag(e.dict);
        }
        automaton.fail = fail.into_iter().map(flag).collect();
        Ok(automaton)
    }

    /// [`next`](Self::next) while the automaton is being built: ids are not flagged yet and
    /// the failure links are in `fail`.
    fn next_unflagged(&self, fail: &[u32], mut state: u32, sym: u32) -> u32 {
        loop {
            if state == 0 {
                return self.root[sym as usize];
            }
            if let Some(next) = self.edges.get(state, sym) {
                return next;
            }
            state = fail[state as usize];
        }
    }

    /// The state after `state` reads `sym`, following failure links. Ids carry their flag.
    #[inline]
    fn next(&self, mut state: u32, sym: u32) -> u32 {
        loop {
            let index = state & !Self::EMITS;
            if index == 0 {
                return self.root[sym as usize];
            }
            if let Some(next) = self.edges.get(index, sym) {
                return next;
            }
            state = self.fail[index as usize];
        }
    }

    /// Calls `found(end, pattern, info)` for every term occurrence in `syms`, `end` being the
    /// index just past its last symbol: in order of `end`, and at one `end` longest first.
    #[inline]
    fn scan(&self, syms: &[u32], mut found: impl FnMut(usize, u32, PatternInfo)) {
        let mut state = 0u32;
        for (i, &sym) in syms.iter().enumerate() {
            if sym == 0 {
                // A character in no term: every partial match ends here.
                state = 0;
                continue;
            }
            state = self.next(state, sym);
            let mut out = state;
            while out & Self::EMITS != 0 {
                let e = self.emit[(out & !Self::EMITS) as usize];
                for o in &self.outputs[e.out.0 as usize..e.out.1 as usize] {
                    found(i + 1, o.pattern, o.info);
                }
                out = e.dict;
            }
        }
    }
}

impl Automaton {
    /// Like [`scan`](Self::scan), but the positions where `skip` is true are passed over
    /// without changing the automaton's state, and only matches with a skipped position inside
    /// are reported, as `found(start, end, pattern, info)` in folded indices of `syms`. Only
    /// `syms[range]` is scanned (from the root state), so the matches reported are those that
    /// lie inside it. `consumed` is scratch space.
    fn scan_skipping(
        &self,
        syms: &[u32],
        range: std::ops::Range<usize>,
        consumed: &mut Vec<u32>,
        skip: impl Fn(usize) -> bool,
        mut found: impl FnMut(usize, usize, u32, PatternInfo),
    ) {
        consumed.clear();
        let mut state = 0u32;
        let mut last_skip = None;
        for i in range {
            let sym = syms[i];
            if skip(i) {
                last_skip = Some(i);
                continue;
            }
            consumed.push(i as u32);
            if sym == 0 {
                state = 0;
                continue;
            }
            state = self.next(state, sym);
            let Some(last_skip) = last_skip else {
                continue;
            };
            let mut out = state;
            while out & Self::EMITS != 0 {
                let e = self.emit[(out & !Self::EMITS) as usize];
                for o in &self.outputs[e.out.0 as usize..e.out.1 as usize] {
                    let len = o.info.len as usize;
                    let start = consumed[consumed.len() - len] as usize;
                    if start < last_skip {
                        found(start, i + 1, o.pattern, o.info);
                    }
                }
                out = e.dict;
            }
        }
    }
}

/// Keeps a byte offset and a char index of a UTF-8 string in step, so converting a series of
/// increasing char indices to byte offsets costs only the distance between them.
#[derive(Default)]
struct Cursor {
    byte: usize,
    chars: usize,
}

impl Cursor {
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
                prop_assert_eq!(m.find(&text), m.find_reference(&text));
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
                    prop_assert_eq!(m.find(&text), m.find_reference(&text));
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
                "unmarked terms match exactly",
                "彩彩票票",
                &[(1, 3, "彩票", "彩票")],
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
}
