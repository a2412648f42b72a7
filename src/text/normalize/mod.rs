//! Text folding for prohibited-information matching (DESIGN §4, "Prohibited-information
//! matching").
//!
//! Users evade a lexicon with full-width and compatibility forms, letter case, traditional
//! characters and separators pushed between characters. [`Normalizer`] folds all of these away,
//! in lexicon terms and in reviewed text alike. Each folded character remembers which original
//! code points it came from, so evidence offsets always point into the original text.
//!
//! # How one character folds
//! Folding looks at one original character (Unicode scalar value) at a time. [`Normalizer::new`]
//! folds every code point of planes 0–1 once, ahead of time, into a table. Planes 2–16 need only
//! a few rules (see `Normalizer::entry_beyond_table`). The steps are:
//!
//! 1. **NFKC** (UAX #15, from the `unicode-normalization` crate): `ｄａｉｋａｉ` → `daikai`,
//!    `①` → `1`, `㈠` → `(一)`, `𝐝` → `d`, CJK compatibility ideographs → unified ideographs.
//!    A character whose NFKC form has several characters gives several folded characters, all
//!    with that character's span.
//! 2. **Case**: `char::to_uppercase`, then `char::to_lowercase`. Lower-casing the upper case
//!    comes close to Unicode full case folding (`ß` → `ss`, `ς` → `σ`) with std alone.
//! 3. **Diacritics**: letters of Latin, Greek and Cyrillic (below U+0590, and U+1E00..U+1FFF)
//!    are reduced to their canonical decomposition (NFD, UAX #15). The combining marks this
//!    produces are then dropped in step 5, so `é`, `e` + U+0301 and `e` all fold alike. Other
//!    scripts keep their precomposed letters: Hangul syllables stay whole, and `が` stays `が`.
//! 4. **Traditional → simplified**: OpenCC's `TSCharacters` data, through ferrous-opencc's
//!    built-in `t2s` configuration. Each ideograph in CJK Unified Ideographs, Extension A and
//!    the Compatibility Ideographs is converted once, on its own. Only single character → single
//!    character results are kept (`賭` → `赌`, `槍` → `枪`). The few hundred rare traditional
//!    forms that OpenCC lists in Extensions B onwards (planes 2–3) are left out: converting
//!    those planes would double the startup time for characters that almost never occur.
//!    No phrase conversion happens, and OpenCC is never called while matching.
//! 5. **Separators are skipped.** A character is kept only if it is alphanumeric (Rust's
//!    `char::is_alphanumeric`: the UAX #44 derived property Alphabetic, or general category
//!    Nd/Nl/No). Combining marks (General_Category=Mark, from `unicode-normalization`) and
//!    Default_Ignorable_Code_Point characters are always skipped. Everything else is skipped
//!    too: whitespace, punctuation, symbols, emoji (their ZWJ, skin-tone modifiers and keycap
//!    marks too), controls, private-use and unassigned code points. Default_Ignorable_Code_Point
//!    comes from UAX #44 DerivedCoreProperties; it covers the format characters, variation
//!    selectors and Hangul fillers. So `赌*博`, `赌 博`, `赌.博`, `赌\u{200B}博` and `赌😀博` all fold
//!    to `赌博`.
//!
//! Two more folds come from tables of our own (`docs/matching.md` §2.1a, §2.3a):
//!
//! - **Decorated digits and letters** that NFKC leaves alone (`❶`, `⓫`, `🅰`, `🅐`, `🇦`, `🔟`)
//!   fold, before step 1, to the digits or letter they show, and the GB 2312 pinyin letters
//!   `ɑ`, `ɡ`, small capitals (`ᴅ`) and hooked letters (`ɗ`) to the ASCII letter. A switch between such a decorated character and a plain one sets
//!   [`CharFlags::gap_before`], so `🅿️daikai` keeps `daikai` a word of its own.
//! - **Greek and Cyrillic look-alikes** (UTS #39 confusables via `unicode-security`, kept to
//!   letters that look like one ASCII letter) fold to that letter only when a whole run of
//!   Greek and Cyrillic letters consists of look-alikes and touches an ASCII letter (separators
//!   ignored): `dаikаi` with Cyrillic `а` folds to `daikai`, while `αν` and `сосна` stay.
//!
//! And four more that look beyond one character or come from data files (`docs/matching.md`
//! §2.4a, §2.5a–c):
//!
//! - **Radicals and variants**: CJK Radicals Supplement look-alikes (`⻩` → `黄`,
//!   `data/normalize/radicals.tsv`, from the UCD's EquivalentUnifiedIdeograph.txt) and variant
//!   ideographs t2s leaves alone (`躶` → `裸`, `data/normalize/variants.tsv`), in step 4.
//! - **Soft separators**: `丶 丨 丿 〇 ー 々`, regional indicators, keycaps and decorated digits are
//!   dropped (as a visible separator) when an ideograph stands on both sides, and kept elsewhere
//!   (`二〇二六年`, `ラーメン`).
//! - **HTML**: tags and comments are skipped, character references fold as their character
//!   with a span over the whole reference (`markup.rs`).
//! - **Split characters**: two components side by side fold to the character they spell
//!   (`贝者` → `赌`, `data/normalize/split.tsv`), with a span over both.
//!
//! A step may produce a character that a step before it would change. To catch that, the table
//! folds each result again until it stops changing. So `fold(fold(x)) == fold(x)`.
//!
//! # What a folded character records
//! - Its span (`Folded::spans`) is the original character it came from, and also the combining
//!   marks and variation selectors right after it. So evidence never cuts `e` + U+0301 or
//!   `1️⃣` in two.
//! - [`CharFlags::gap_before`]: a visible separator was skipped right before this character.
//!   That is whitespace, punctuation, a symbol or an emoji, but not a zero-width or format
//!   character.
//! - [`CharFlags::clause_break_before`]: the skipped separators included clause punctuation:
//!   `。！？；，、：` in any width (NFKC makes the full-width ones ASCII), an ellipsis (`…`, `⋯`,
//!   `..`), a full stop followed by whitespace (`. `), a doubled dash (`——`, `--`) or a line
//!   break. A lone `.` or dash is **not** clause punctuation: it is how `赌.博` and
//!   `d.a.i.k.a.i` are written, Chinese ends sentences with `。`, and the reviews corpus uses
//!   a lone `.` between ideographs about as often as `!` (so it cannot be both). The matcher's
//!   clause rule (see [`crate::text::matcher`]) uses this flag.
//! - [`CharFlags::is_word`]: a letter or digit of a script that separates words with spaces.
//!   The matcher uses it to reject a Latin term inside a longer Latin word.
//!
//! Separators inside one character's own NFKC expansion (the parentheses of `㈠` → `(一)`, the
//! dot of `⒈` → `1.`) set no flag.
//!
//! # Repeated characters
//! Folding keeps repeats (`赌赌博` folds to `赌赌博`). The matcher collapses runs of equal folded
//! characters itself, for the terms that ask for it (`赌+博`; see [`crate::text::matcher`]).
//!
//! `docs/matching.md` explains each step and the reasons for it.
//!
//! # Files
//! - `mod.rs`: [`Normalizer`] and its public entry points.
//! - `table.rs`: the precomputed per-code-point table ([`Normalizer::new`]) and what an entry holds.
//! - `steps.rs`: the folding steps for one character and the data they use (OpenCC `t2s`,
//!   decorated forms, Latin variants, look-alikes).
//! - `chars.rs`: the Unicode character classes the steps and flags are built from.
//! - `fold.rs`: the fold loop over a text (the matcher's hot path), soft separators and split
//!   characters.
//! - `markup.rs`: HTML tags and character references inside text.
//! - `flags.rs`: [`CharFlags`], the facts about one folded character.
//! - `folded.rs`: where folding writes: [`Folded`], and the matcher's reusable buffer.

use std::fmt;

mod chars;
mod flags;
mod fold;
mod folded;
mod markup;
mod steps;
mod table;
#[cfg(test)]
pub(crate) mod tests;

pub(crate) use flags::next_ascii_alnum;
pub use flags::CharFlags;
pub use folded::Folded;
pub(crate) use folded::{FoldBuf, FoldSink};
use table::{Entry, PoolChar};

/// Folds text for matching and keeps a map back to the original code points.
///
/// Build it once at startup ([`Normalizer::new`]) and share it (`Arc<Normalizer>`).
/// [`fold_text`](Self::fold_text) does one table lookup per character, never calls OpenCC and
/// allocates only its output.
pub struct Normalizer {
    /// One entry per code point below [`TABLE_LEN`](table::TABLE_LEN).
    table: Box<[Entry]>,
    /// Folded characters of every character that folds to two or more.
    pool: Vec<PoolChar>,
    /// `Entry::Many(i, _)` folds to `pool[many[i].0 .. many[i].1]`.
    many: Vec<(u32, u32)>,
    /// Split characters: `(first, second)` component → the character (`data/normalize/split.tsv`).
    split: std::collections::HashMap<(char, char), char>,
    /// The first components of `split`, sorted.
    split_first: Vec<char>,
    /// Bit `c % 64` is set for every first component `c`: a quick filter before the search.
    split_mask: u64,
}

impl Normalizer {
    /// Folds a lexicon term exactly as [`fold_text`](Self::fold_text) folds text, so every
    /// separator is removed. An empty result means the term has nothing matchable in it.
    pub fn fold_term(&self, term: &str) -> String {
        self.fold_text(term).text
    }

    /// Folds `text` (see the module docs). Returns the folded string and, for each folded
    /// `char`, its original code-point span and its [`CharFlags`].
    ///
    /// # Panics
    /// If `text` is 4 GiB or longer, since offsets are `u32`. Review limits keep fields far
    /// below that.
    pub fn fold_text(&self, text: &str) -> Folded {
        let mut folded = Folded::default();
        self.fold_into(text, &mut folded);
        folded
    }
}

impl Normalizer {
    /// One process-wide normalizer, built on first use (building the table takes a moment): for
    /// the libraries that fold outside a lexicon's matcher (the `labels` wording rules, the news
    /// texts, the rumour library), so the process holds one table for all of them.
    pub fn shared() -> std::sync::Arc<Normalizer> {
        static SHARED: std::sync::OnceLock<std::sync::Arc<Normalizer>> = std::sync::OnceLock::new();
        SHARED
            .get_or_init(|| std::sync::Arc::new(Normalizer::new()))
            .clone()
    }
}

impl Default for Normalizer {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Normalizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Normalizer")
            .field("table_len", &self.table.len())
            .field("multi_char_entries", &self.many.len())
            .finish()
    }
}

/// Whether `c` is a Default_Ignorable_Code_Point (UAX #44: zero-width characters, format
/// characters, variation selectors, Hangul fillers), which folding always skips without a gap.
pub fn is_default_ignorable(c: char) -> bool {
    chars::is_default_ignorable(c)
}
