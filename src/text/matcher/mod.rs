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
//! **Repeats fold by default** where a term's own characters do not repeat: a plain term of
//! two or more characters, none of them a Latin (Greek, Cyrillic) letter or digit and no two
//! neighbours equal, also matches with any of its characters doubled or tripled
//! (`赌赌博博`, `出出售枪枪支`). A scan that passes over every character equal to the one before
//! it (never across clause punctuation) finds these, and only around such repeats, so text
//! without repeats pays nothing. The hit's span takes the characters nearest the middle, as
//! for `+` terms (`赌赌博博` → `赌赌博`). `docs/matching.md` §2.6 has the corpus measurement.
//!
//! Offsets in [`Hit`] are code points of the original text. The span runs from the first
//! matched character to the last, with the separators between them.
//!
//! # Files
//! - `mod.rs`: the lexicon row, hit and error types, and [`Matcher`] itself.
//! - `build.rs`: [`Matcher::new`]: terms folded, duplicates merged, symbols and automata built.
//! - `find.rs`: [`Matcher::find`]: the scans over a text and rules 1–4, with per-thread buffers.
//! - `rules.rs`: the per-match rules (boundaries, clause breaks) and the candidate lists that
//!   rules 3 and 4 choose from.
//! - `automaton.rs`, `edges.rs`: the Aho-Corasick automaton over symbol ids and its transition
//!   table; `symbols.rs`: folded character → symbol id.

use std::fmt;
use std::sync::Arc;

use crate::text::normalize::Normalizer;

mod automaton;
mod build;
mod edges;
mod find;
mod regional;
mod rules;
mod symbols;
#[cfg(test)]
mod tests;

#[cfg(doc)]
use crate::text::normalize::CharFlags;
use automaton::Automaton;
use symbols::SymbolMap;

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
    /// True when an allow phrase covers the hit: only [`Matcher::find_with_allowed`] returns
    /// such hits, [`Matcher::find`] leaves them out.
    pub under_allow_phrase: bool,
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
    /// Some plain pattern folds repeats by default (`PatternInfo::FOLD_REPEATS`).
    fold_repeats: bool,
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

impl Matcher {
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
