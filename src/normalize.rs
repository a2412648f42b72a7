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
//!   clause rule (see [`crate::matcher`]) uses this flag.
//! - [`CharFlags::is_word`]: a letter or digit of a script that separates words with spaces.
//!   The matcher uses it to reject a Latin term inside a longer Latin word.
//!
//! Separators inside one character's own NFKC expansion (the parentheses of `㈠` → `(一)`, the
//! dot of `⒈` → `1.`) set no flag.
//!
//! # Repeated characters
//! Folding keeps repeats (`赌赌博` folds to `赌赌博`). The matcher collapses runs of equal folded
//! characters itself, for the terms that ask for it (`赌+博`; see [`crate::matcher`]).
//!
//! `docs/matching.md` explains each step and the reasons for it.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use ferrous_opencc::config::BuiltinConfig;
use ferrous_opencc::OpenCC;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Code points below this have a precomputed table entry: planes 0–1. Above it, the few rules
/// in [`Normalizer::entry_beyond_table`] decide.
const TABLE_LEN: u32 = 0x2_0000;

/// Code point blocks whose ideographs go through OpenCC `t2s` in [`Normalizer::new`]: CJK
/// Unified Ideographs Extension A, CJK Unified Ideographs and CJK Compatibility Ideographs.
const T2S_RANGES: [Range<u32>; 3] = [0x3400..0x4DC0, 0x4E00..0xA000, 0xF900..0xFB00];

/// Folds text for matching and keeps a map back to the original code points.
///
/// Build it once at startup ([`Normalizer::new`]) and share it (`Arc<Normalizer>`).
/// [`fold_text`](Self::fold_text) does one table lookup per character, never calls OpenCC and
/// allocates only its output.
pub struct Normalizer {
    /// One entry per code point below [`TABLE_LEN`].
    table: Box<[Entry]>,
    /// Folded characters of every character that folds to two or more.
    pool: Vec<PoolChar>,
    /// `Entry::Many(i, _)` folds to `pool[many[i].0 .. many[i].1]`.
    many: Vec<(u32, u32)>,
}

/// Greek and Cyrillic letters that look like an ASCII Latin letter: the confusables data of
/// UTS #39 (through the `unicode-security` crate), kept to letters whose skeleton, or whose
/// capital's skeleton, is one ASCII letter (`а` → `a`, `ο` → `o`, `ԁ` → `d`, `в` → `b`, since
/// `В` looks like `B` and case is folded anyway). Keys and values are lower case.
type LookAlikes = HashMap<char, u8>;

/// What one original character folds to. Eight bytes (a test checks): the table has 128 Ki of
/// them, and the fold loop reads one per character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    /// One folded character `ch`, with `bits` precomputed by [`char_bits`] (the [`CharFlags`]
    /// bits that depend on `ch` alone, plus [`LATIN`]), and [`DECORATED`] when only
    /// [`decorated_alnum`] folds the original (see [`Normalizer::fold_into`]).
    One { ch: char, bits: u8 },
    /// Two or more folded characters: an index into `Normalizer::many`, and `decorated` as for
    /// `One`.
    Many(u32, bool),
    /// A Greek or Cyrillic letter `ch` (a word character). `latin` is the ASCII letter it looks
    /// like ([`LookAlikes`]), or 0 when it looks like none. [`Normalizer::fold_into`] folds it
    /// to `latin` only inside a Latin word (see the module docs).
    Greek { ch: char, latin: u8 },
    /// Skipped, and the span of the folded character just before it grows over it: a combining
    /// mark or a variation selector.
    Attach,
    /// Skipped. The value holds the [`CharFlags`] bits it gives the next folded character:
    /// 0 (invisible), `GAP_BEFORE`, or `GAP_BEFORE | CLAUSE_BREAK_BEFORE`, plus at most one of
    /// the separator classes [`SEP_DOT`], [`SEP_DASH`], [`SEP_SPACE`] that the run rule in
    /// [`Normalizer::fold_into`] looks at.
    Skip(u8),
}

/// Skip-entry class: a full stop `.` (ASCII, or a form NFKC maps to it: `．`, `﹒`). Alone it is
/// a weak separator (`赌.博`, `d.a.i`); `..` or `. ` is clause punctuation.
const SEP_DOT: u8 = 8;
/// Skip-entry class: a dash or hyphen (`-`, `‐`, `–`, `—`, `―`). Alone it is a weak separator;
/// two in a row (`--`, the Chinese dash `——`) are clause punctuation.
const SEP_DASH: u8 = 16;
/// Skip-entry class: whitespace other than a line break.
const SEP_SPACE: u8 = 32;
/// The bits of a skip entry that become [`CharFlags`] of the next folded character.
const FLAG_BITS: u8 = CharFlags::GAP_BEFORE | CharFlags::CLAUSE_BREAK_BEFORE;

/// Entry bit (not a [`CharFlags`] bit): the folded character is an ASCII lower-case letter,
/// which the look-alike rule looks for next to a run of Greek and Cyrillic letters.
const LATIN: u8 = 8;
/// Entry bit (not a [`CharFlags`] bit): the folded character comes from a decorated form
/// ([`decorated_alnum`]).
const DECORATED: u8 = 128;
/// The bits of a precomputed entry that become [`CharFlags`] of the folded character itself.
const CHAR_BITS: u8 =
    CharFlags::WORD | CharFlags::DIGIT | CharFlags::ASCII_ALNUM | CharFlags::IDEOGRAPH;

/// One folded character of a multi-character entry (`Entry::Many`), with its precomputed
/// [`char_bits`] and, for a Greek or Cyrillic letter, its look-alike (as in [`Entry::Greek`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PoolChar {
    ch: char,
    bits: u8,
    greek: Option<u8>,
}

/// Facts about one folded character that matching rules need (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CharFlags(u8);

impl CharFlags {
    const WORD: u8 = 1;
    const GAP_BEFORE: u8 = 2;
    const CLAUSE_BREAK_BEFORE: u8 = 4;
    /// Set together with `WORD` on a digit (`0`–`9` after NFKC).
    const DIGIT: u8 = 64;
    /// An ASCII letter or digit (after folding).
    const ASCII_ALNUM: u8 = 16;
    /// A CJK ideograph.
    const IDEOGRAPH: u8 = 32;

    /// True for a letter or digit of a script that separates words with spaces: Latin, Greek,
    /// Cyrillic, Armenian. Full-width forms count, because NFKC has already made them ASCII.
    /// False for ideographs, kana, Hangul and other scripts.
    pub fn is_word(self) -> bool {
        self.0 & Self::WORD != 0
    }

    /// True for a word character ([`is_word`](Self::is_word)) that is a digit `0`–`9` (after
    /// NFKC, so `１` and `①` count). The matcher's word-boundary rule treats a change between
    /// digits and letters as a boundary (`daikai888`).
    pub fn is_digit(self) -> bool {
        self.0 & Self::DIGIT != 0
    }

    /// True for an ASCII letter or digit, after folding (`ａ`, `①`, `А` in a Latin word).
    pub fn is_ascii_alnum(self) -> bool {
        self.0 & Self::ASCII_ALNUM != 0
    }

    /// True for a CJK ideograph (the blocks of CJK Unified Ideographs, its extensions and the
    /// compatibility ideographs).
    pub fn is_ideograph(self) -> bool {
        self.0 & Self::IDEOGRAPH != 0
    }

    /// True when a visible separator was skipped between the previous folded character and
    /// this one. That is whitespace, punctuation, a symbol, an emoji or a control, but not an
    /// invisible format character, a variation selector or a combining mark.
    pub fn gap_before(self) -> bool {
        self.0 & Self::GAP_BEFORE != 0
    }

    /// True when the separators skipped before this character include clause punctuation: one
    /// of `。！？；，、：` (and every form that NFKC maps to one of them, ASCII `!?;,:` included),
    /// an ellipsis (`…`, `⋯`, `..`), a full stop followed by whitespace (`. `), a doubled dash
    /// (`——`, `--`) or a line break. A lone `.` or `-` is not: see the module docs. Implies
    /// [`gap_before`](Self::gap_before).
    pub fn clause_break_before(self) -> bool {
        self.0 & Self::CLAUSE_BREAK_BEFORE != 0
    }
}

/// The first index at or after `from` whose folded character is an ASCII letter or digit
/// ([`CharFlags::is_ascii_alnum`]), or `flags.len()`. Looks at 16 characters at a time, so
/// that text without ASCII (most Chinese text) costs little.
#[inline]
pub(crate) fn next_ascii_alnum(flags: &[CharFlags], from: usize) -> usize {
    let mut i = from;
    while let Some(chunk) = flags.get(i..i + 16) {
        if chunk.iter().fold(0, |any, f| any | f.0) & CharFlags::ASCII_ALNUM != 0 {
            break;
        }
        i += 16;
    }
    flags[i.min(flags.len())..]
        .iter()
        .position(|f| f.is_ascii_alnum())
        .map_or(flags.len(), |p| i + p)
}

/// Text folded by [`Normalizer::fold_text`], with its way back to the original.
///
/// `text`, `spans` and `flags` run in parallel. The n-th `char` of `text` has `spans[n]` and
/// `flags[n]`. All offsets are in code points (Unicode scalar values) of the original text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Folded {
    /// The folded text.
    pub text: String,
    /// One entry per `char` of `text`: the `(start, end)` code-point offsets in the **original**
    /// text of the characters this folded character came from (end exclusive). That is one
    /// original character, plus any combining marks or variation selectors right after it.
    /// Several folded characters share a span when one original character expands, as `ﬁ` →
    /// `fi` does. Starts and ends never decrease along the text.
    pub spans: Vec<(u32, u32)>,
    /// One entry per `char` of `text`; see [`CharFlags`].
    pub flags: Vec<CharFlags>,
}

impl Folded {
    /// Number of folded characters (`text.chars().count()`).
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when nothing was left after folding.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The original code-point span `(start, end)` covered by the folded characters in `range`
    /// (folded character indices, end exclusive). This is from the start of the first character
    /// to the end of the last, so separators between them are included. Returns `None` for an
    /// empty or out-of-bounds range.
    pub fn original_span(&self, range: Range<usize>) -> Option<(u32, u32)> {
        if range.start >= range.end || range.end > self.spans.len() {
            return None;
        }
        Some((self.spans[range.start].0, self.spans[range.end - 1].1))
    }
}

/// Where [`Normalizer::fold_into`] writes: [`Folded`] (the folded `String`), or the matcher's
/// reusable buffer of symbol ids.
pub(crate) trait FoldSink {
    /// Empties the sink; about `hint` characters will follow.
    fn reset(&mut self, hint: usize);
    /// Appends folded character `ch`, from original code point `at`, with [`CharFlags`] bits.
    fn push(&mut self, ch: char, at: u32, flags: u8);
    /// Extends the last folded character's span to end at `end` (an attached mark).
    fn extend_last_span(&mut self, end: u32);
    /// Number of folded characters so far.
    fn folded_len(&self) -> usize;
    /// Replaces folded characters: `(index, char)` for each, every index at least `from`.
    /// `from` is near the end, so this costs the length of the tail.
    fn replace(&mut self, from: usize, fixes: &[(usize, char)]);
}

impl FoldSink for Folded {
    fn reset(&mut self, hint: usize) {
        self.text.clear();
        self.spans.clear();
        self.flags.clear();
        self.text.reserve(hint);
        self.spans.reserve(hint);
        self.flags.reserve(hint);
    }

    #[inline]
    fn push(&mut self, ch: char, at: u32, flags: u8) {
        self.text.push(ch);
        self.spans.push((at, at + 1));
        self.flags.push(CharFlags(flags));
    }

    #[inline]
    fn extend_last_span(&mut self, end: u32) {
        if let Some(last) = self.spans.last_mut() {
            last.1 = end;
        }
    }

    fn folded_len(&self) -> usize {
        self.spans.len()
    }

    fn replace(&mut self, from: usize, fixes: &[(usize, char)]) {
        let byte = self
            .text
            .char_indices()
            .rev()
            .nth(self.spans.len() - from - 1)
            .map_or(0, |(b, _)| b);
        let mut tail: Vec<char> = self.text[byte..].chars().collect();
        for &(i, ch) in fixes {
            tail[i - from] = ch;
        }
        self.text.truncate(byte);
        self.text.extend(tail);
    }
}

/// Reusable folding output for the matcher: like [`Folded`], with each folded character
/// stored as a `u32` code (the matcher's symbol id) instead of in a `String`.
#[derive(Clone, Debug, Default)]
pub(crate) struct FoldBuf {
    /// One code per folded character.
    pub(crate) codes: Vec<u32>,
    /// As [`Folded::spans`].
    pub(crate) spans: Vec<(u32, u32)>,
    /// As [`Folded::flags`].
    pub(crate) flags: Vec<CharFlags>,
}

impl FoldBuf {
    /// Empties the buffer, keeping its allocations; about `n` characters will follow.
    pub(crate) fn reset(&mut self, n: usize) {
        self.codes.clear();
        self.spans.clear();
        self.flags.clear();
        self.codes.reserve(n);
        self.spans.reserve(n);
        self.flags.reserve(n);
    }

    /// The allocated size in folded characters (to drop buffers that grew very large).
    pub(crate) fn capacity(&self) -> usize {
        self.codes.capacity()
    }

    /// Appends a folded character as `code`; see [`FoldSink::push`].
    #[inline]
    pub(crate) fn push(&mut self, code: u32, at: u32, flags: u8) {
        self.codes.push(code);
        self.spans.push((at, at + 1));
        self.flags.push(CharFlags(flags));
    }

    /// See [`FoldSink::extend_last_span`].
    #[inline]
    pub(crate) fn extend_last_span(&mut self, end: u32) {
        if let Some(last) = self.spans.last_mut() {
            last.1 = end;
        }
    }
}

/// What [`Normalizer::fold_into`] carries from one original character to the next, on the
/// hot path: a small `Copy` value, never passed by reference to a call that is not inlined,
/// so that it lives in registers.
#[derive(Clone, Copy, Default)]
struct FoldState {
    /// [`CharFlags`] bits owed to the next folded character by the separators skipped since the
    /// last one.
    pending: u8,
    /// The last visible separator skipped was a lone `.` (SEP_DOT) or dash (SEP_DASH): with
    /// the next one it may make clause punctuation (`..`, `. `, `——`).
    last_class: u8,
    /// Whether an attaching mark here would extend the last folded character's span.
    attach: bool,
    /// The entry bits of the last folded character: [`DECORATED`] and [`LATIN`] are looked
    /// at (0 before the first).
    last: u8,
    /// A run of Greek and Cyrillic letters is open ([`GreekRun`]).
    in_run: bool,
}

/// The current run of Greek and Cyrillic letters, off the hot path.
#[derive(Default)]
struct GreekRun {
    /// Its first folded index, whether an ASCII letter came right before it, and whether every
    /// letter in it has a look-alike.
    run: Option<(usize, bool, bool)>,
    /// The look-alike folds of the run, while every letter has one.
    fixes: Vec<(usize, char)>,
}

impl FoldState {
    /// Appends folded `ch` from original character `at`. `bits`: its [`char_bits`], plus
    /// [`DECORATED`] for a decorated original. The hot path: a few bit operations, and a
    /// branch for the rare decorated characters and Greek and Cyrillic runs.
    #[inline(always)]
    fn push(&mut self, out: &mut impl FoldSink, greek: &mut GreekRun, ch: char, at: u32, bits: u8) {
        let mut flags = self.pending | (bits & CHAR_BITS);
        if (bits ^ self.last) & DECORATED != 0 && out.folded_len() > 0 {
            // Switching between decorated and plain characters is a visible break:
            // `🅿️daikai` and `🇨🇳daikai` keep `daikai` a word of its own.
            flags |= CharFlags::GAP_BEFORE;
        }
        if self.in_run {
            greek.end(out, bits & LATIN != 0);
        }
        out.push(ch, at, flags);
        *self = FoldState {
            pending: 0,
            last_class: 0,
            attach: true,
            last: bits,
            in_run: false,
        };
    }

    /// Like [`push`](Self::push), for a Greek or Cyrillic letter whose look-alike is `latin`
    /// (as in [`Entry::Greek`]): it joins the current run of such letters or starts one.
    #[cold]
    #[must_use]
    fn push_greek(
        self,
        out: &mut impl FoldSink,
        greek: &mut GreekRun,
        ch: char,
        at: u32,
        bits: u8,
        latin: u8,
    ) -> Self {
        let index = out.folded_len();
        let mut flags = self.pending | (bits & CHAR_BITS);
        if (bits ^ self.last) & DECORATED != 0 && index > 0 {
            flags |= CharFlags::GAP_BEFORE;
        }
        let latin_before = self.last & LATIN != 0;
        let (_, _, all) = greek.run.get_or_insert((index, latin_before, true));
        if latin == 0 {
            *all = false;
            greek.fixes.clear();
        } else if *all {
            greek.fixes.push((index, latin as char));
        }
        out.push(ch, at, flags);
        FoldState {
            pending: 0,
            last_class: 0,
            attach: true,
            last: bits,
            in_run: true,
        }
    }

    /// A skipped character, with its [`Entry::Skip`] bits.
    #[inline(always)]
    fn skip(&mut self, bits: u8) {
        if bits & CharFlags::GAP_BEFORE != 0 {
            let class = bits & (SEP_DOT | SEP_DASH | SEP_SPACE);
            let doubled = self.last_class != 0 && class == self.last_class;
            let dot_space = self.last_class == SEP_DOT && class == SEP_SPACE;
            if doubled || dot_space {
                self.pending |= CharFlags::CLAUSE_BREAK_BEFORE;
            }
            self.last_class = class & (SEP_DOT | SEP_DASH);
        }
        // Invisible characters change nothing: `.\u{200B}.` is still `..`.
        self.pending |= bits & FLAG_BITS;
        self.attach = false;
    }
}

impl GreekRun {
    /// Ends the current run of Greek and Cyrillic letters; `latin_after`: an ASCII letter
    /// follows it. A run whose letters all look like Latin letters, next to a Latin letter, is
    /// folded to those letters (`dаikаi` with Cyrillic `а`).
    #[cold]
    fn end(&mut self, out: &mut impl FoldSink, latin_after: bool) {
        if let Some((from, latin_before, all)) = self.run.take() {
            if all && (latin_before || latin_after) {
                out.replace(from, &self.fixes);
            }
            self.fixes.clear();
        }
    }
}

impl Normalizer {
    /// Builds the folding table. Every code point below U+20000 is folded once, and OpenCC `t2s`
    /// is called once for each of the 28,000 ideographs in CJK Unified Ideographs, Extension A
    /// and the Compatibility Ideographs. This takes about 30 ms in a release build (0.25 s in
    /// a debug build) and 1 MiB of memory.
    ///
    /// # Panics
    /// If ferrous-opencc cannot load its built-in, compiled-in `t2s` configuration. That would
    /// be a broken build, not something input can cause.
    pub fn new() -> Self {
        let t2s = t2s_map();
        let look_alikes = look_alikes();
        let mut normalizer = Normalizer {
            table: Box::default(),
            pool: Vec::new(),
            many: Vec::new(),
        };
        let mut table = Vec::with_capacity(TABLE_LEN as usize);
        let mut buf = Vec::new();
        for cp in 0..TABLE_LEN {
            let entry = match char::from_u32(cp) {
                Some(c) => normalizer.build_entry(c, &t2s, &look_alikes, &mut buf),
                None => Entry::Skip(0), // surrogate code points never occur in a `str`
            };
            table.push(entry);
        }
        normalizer.table = table.into_boxed_slice();
        // Every folded character is its own table entry (the table is idempotent): a Greek or
        // Cyrillic letter among them takes part in the look-alike rule.
        for i in 0..normalizer.pool.len() {
            if let Entry::Greek { latin, .. } = normalizer.entry(normalizer.pool[i].ch) {
                normalizer.pool[i].greek = Some(latin);
            }
        }
        normalizer
    }

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

    /// Folds `text` into `out` (emptied first), reusing its allocations: with the matcher's
    /// sink, which stores symbol ids, this is the matcher's hot path.
    ///
    /// # Panics
    /// If `text` is 4 GiB or longer, or folds to 4 Gi characters or more, since offsets and
    /// indices are `u32`.
    #[inline]
    pub(crate) fn fold_into(&self, text: &str, out: &mut impl FoldSink) {
        assert!(
            u32::try_from(text.len()).is_ok(),
            "text too long to fold: {} bytes",
            text.len()
        );
        // A CJK text needs a third of this, a Latin one more (`push` absorbs that).
        out.reset(text.len() / 2 + 16);
        let mut state = FoldState::default();
        let mut greek = GreekRun::default();
        for (at, c) in (0u32..).zip(text.chars()) {
            match self.entry(c) {
                Entry::One { ch, bits } => state.push(out, &mut greek, ch, at, bits),
                Entry::Greek { ch, latin } => {
                    state = state.push_greek(out, &mut greek, ch, at, CharFlags::WORD, latin);
                }
                Entry::Many(i, decorated) => {
                    let (start, end) = self.many[i as usize];
                    let decorated = if decorated { DECORATED } else { 0 };
                    for p in &self.pool[start as usize..end as usize] {
                        let bits = p.bits | decorated;
                        match p.greek {
                            None => state.push(out, &mut greek, p.ch, at, bits),
                            Some(latin) => {
                                state = state.push_greek(out, &mut greek, p.ch, at, bits, latin)
                            }
                        }
                    }
                }
                Entry::Attach => {
                    if state.attach {
                        out.extend_last_span(at + 1);
                    }
                }
                Entry::Skip(bits) => state.skip(bits),
            }
        }
        greek.end(out, false);
        assert!(
            u32::try_from(out.folded_len()).is_ok(),
            "text folds to too many characters: {}",
            out.folded_len()
        );
    }

    #[inline]
    fn entry(&self, c: char) -> Entry {
        match self.table.get(c as usize) {
            Some(&entry) => entry,
            None => self.entry_beyond_table(c),
        }
    }

    /// Entry for a code point at or above [`TABLE_LEN`], computed at match time without
    /// allocating. Above plane 1 there are no case mappings or diacritics. The only
    /// decompositions are the canonical singletons of the CJK Compatibility Ideographs
    /// Supplement, and they point at ideographs that the table covers. Planes 4–13 are
    /// unassigned. Plane 14 holds tag characters and variation selectors, and planes 15–16 are
    /// private use. A test checks these facts against the NFKC data.
    #[cold]
    fn entry_beyond_table(&self, c: char) -> Entry {
        if is_combining_mark(c) || is_variation_selector(c) {
            return Entry::Attach;
        }
        if is_default_ignorable(c) {
            return Entry::Skip(0);
        }
        if !c.is_alphanumeric() {
            return Entry::Skip(CharFlags::GAP_BEFORE);
        }
        let mut decomposed = c;
        decompose_canonical(c, |d| decomposed = d);
        match self.table.get(decomposed as usize) {
            Some(&entry) => entry,
            None => Entry::One {
                ch: decomposed,
                bits: char_bits(decomposed),
            },
        }
    }

    /// Folds `c` through steps 1–5 and turns the result into a table entry. Multi-character
    /// results go into `self.pool`.
    fn build_entry(
        &mut self,
        c: char,
        t2s: &HashMap<char, char>,
        look_alikes: &LookAlikes,
        buf: &mut Vec<char>,
    ) -> Entry {
        if is_combining_mark(c) || is_variation_selector(c) {
            return Entry::Attach;
        }
        if is_default_ignorable(c) {
            return Entry::Skip(0);
        }
        let bits = fold_char(c, t2s, buf);
        // Fold a changed result again until it is stable, so `fold(fold(x)) == fold(x)`. Four
        // rounds are more than the data needs: one is the usual number.
        if !(buf.len() == 1 && buf[0] == c) {
            let (mut next, mut tmp) = (Vec::new(), Vec::new());
            for _ in 0..4 {
                next.clear();
                for &ch in buf.iter() {
                    fold_char(ch, t2s, &mut tmp);
                    next.extend_from_slice(&tmp);
                }
                if next == *buf {
                    break;
                }
                std::mem::swap(buf, &mut next);
            }
        }
        let decorated = decorated_alnum(c).is_some();
        match buf.as_slice() {
            [] => Entry::Skip(bits),
            &[ch] if is_greek_or_cyrillic_letter(ch) => Entry::Greek {
                ch,
                latin: look_alikes.get(&ch).copied().unwrap_or(0),
            },
            &[ch] => Entry::One {
                ch,
                bits: char_bits(ch) | if decorated { DECORATED } else { 0 },
            },
            many => {
                let start = self.pool.len() as u32;
                self.pool.extend(many.iter().map(|&ch| PoolChar {
                    ch,
                    bits: char_bits(ch),
                    greek: None, // filled in by `new`, once the table is complete
                }));
                self.many.push((start, self.pool.len() as u32));
                Entry::Many(self.many.len() as u32 - 1, decorated)
            }
        }
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

/// Steps 1–5 for one character: writes the kept characters to `out` and returns the
/// [`CharFlags`] bits of the separators it dropped.
fn fold_char(c: char, t2s: &HashMap<char, char>, out: &mut Vec<char>) -> u8 {
    out.clear();
    let mut bits = 0;
    // Steps 4 and 5 for one character that steps 1-3 produced.
    let mut keep = |ch: char| {
        let ch = t2s.get(&ch).copied().unwrap_or(ch);
        if is_combining_mark(ch) || is_default_ignorable(ch) {
            // invisible: dropped without a gap
        } else if ch.is_alphanumeric() {
            out.push(ch);
        } else if is_clause_break(ch) {
            bits |= CharFlags::GAP_BEFORE | CharFlags::CLAUSE_BREAK_BEFORE;
        } else {
            let class = separator_class(ch);
            if class != 0 && bits & class != 0 {
                // Two dots or dashes from one character (`…` is `...` under NFKC, `‥` is `..`).
                bits |= CharFlags::CLAUSE_BREAK_BEFORE;
            }
            bits |= CharFlags::GAP_BEFORE | class;
        }
    };
    if let Some(shown) = decorated_alnum(c) {
        // Step 0: what NFKC does not do for enclosed and decorated digits and letters.
        for ch in shown.chars() {
            keep(ch.to_ascii_lowercase());
        }
        return bits;
    }
    if let Some(latin) = latin_variant(c) {
        keep(latin);
        return bits;
    }
    let unchanged_by_steps_1_to_3 = is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes
        && !strips_diacritics(c)
        && c.to_uppercase().eq(std::iter::once(c))
        && c.to_lowercase().eq(std::iter::once(c));
    if unchanged_by_steps_1_to_3 {
        // Most code points (ideographs, unassigned): the fast way to the same result.
        keep(c);
        return bits;
    }
    for d in std::iter::once(c).nfkc() {
        for upper in d.to_uppercase() {
            for lower in upper.to_lowercase() {
                if strips_diacritics(lower) {
                    decompose_canonical(lower, &mut keep);
                } else {
                    keep(lower);
                }
            }
        }
    }
    bits
}

/// Single-character traditional → simplified pairs from OpenCC `t2s` (`TSPhrases` +
/// `TSCharacters`, Apache-2.0, compiled into ferrous-opencc), for the ideographs in
/// [`T2S_RANGES`]. Each character is converted on its own, so only `TSCharacters` can apply.
fn t2s_map() -> HashMap<char, char> {
    let opencc = OpenCC::from_config(BuiltinConfig::T2s)
        .expect("ferrous-opencc's built-in t2s configuration loads");
    let mut map = HashMap::new();
    let mut buf = [0u8; 4];
    for cp in T2S_RANGES.into_iter().flatten() {
        let Some(c) = char::from_u32(cp) else {
            continue;
        };
        if !c.is_alphabetic() {
            continue; // unassigned
        }
        let converted = opencc.convert(c.encode_utf8(&mut buf));
        let mut chars = converted.chars();
        if let (Some(s), None) = (chars.next(), chars.next()) {
            if s != c {
                map.insert(c, s);
            }
        }
    }
    map
}

/// The digits or the letter that an enclosed or decorated character shows, for those that NFKC
/// leaves alone because Unicode gives them no compatibility decomposition (NFKC already folds
/// `①`, `⑴`, `⒈`, `Ⓐ`, `🄰`, `🄐` and the mathematical alphanumerics `𝐝`). Letters come back
/// upper case. A test checks that NFKC leaves every one of these unchanged.
fn decorated_alnum(c: char) -> Option<String> {
    let cp = c as u32;
    let number = |first: u32, value: u32| Some((cp - first + value).to_string());
    let letter = |first: u32| char::from_u32('A' as u32 + cp - first).map(String::from);
    match cp {
        0x2776..=0x277F => number(0x2776, 1), // ❶..❿ dingbat negative circled digits
        0x2780..=0x2789 => number(0x2780, 1), // ➀..➉ dingbat circled sans-serif digits
        0x278A..=0x2793 => number(0x278A, 1), // ➊..➓ dingbat negative circled sans-serif
        0x24EB..=0x24F4 => number(0x24EB, 11), // ⓫..⓴ negative circled numbers
        0x24F5..=0x24FE => number(0x24F5, 1), // ⓵..⓾ double circled digits
        0x24FF | 0x1F10B | 0x1F10C => Some("0".to_string()), // ⓿ 🄋 🄌
        0x1F150..=0x1F169 => letter(0x1F150), // 🅐..🅩 negative circled letters
        0x1F170..=0x1F189 => letter(0x1F170), // 🅰..🆉 negative squared letters
        0x1F1E6..=0x1F1FF => letter(0x1F1E6), // 🇦..🇿 regional indicator symbols
        0x1F51F => Some("10".to_string()),    // 🔟 keycap ten
        _ => None,
    }
}

/// Latin letters that NFKC keeps and that read as one ASCII letter:
/// - the pinyin letters of GB 2312, U+0251 `ɑ` and U+0261 `ɡ` (Chinese input methods and pinyin
///   tables produce them);
/// - small capitals (`ᴅᴀɪᴋᴀɪ`, U+1D00 block and IPA) and letters with a hook (`ɗ`, `ɓ`, `ƙ`),
///   which evaders pick from symbol pickers and which no Chinese text needs as themselves.
fn latin_variant(c: char) -> Option<char> {
    Some(match c {
        '\u{0251}' | '\u{2C6D}' => 'a', // ɑ, Ɑ
        '\u{0261}' => 'g',              // ɡ
        // small capitals
        '\u{1D00}' => 'a', // ᴀ
        '\u{0299}' => 'b', // ʙ
        '\u{1D04}' => 'c', // ᴄ
        '\u{1D05}' => 'd', // ᴅ
        '\u{1D07}' => 'e', // ᴇ
        '\u{A730}' => 'f', // ꜰ
        '\u{0262}' => 'g', // ɢ
        '\u{029C}' => 'h', // ʜ
        '\u{026A}' => 'i', // ɪ
        '\u{1D0A}' => 'j', // ᴊ
        '\u{1D0B}' => 'k', // ᴋ
        '\u{029F}' => 'l', // ʟ
        '\u{1D0D}' => 'm', // ᴍ
        '\u{0274}' => 'n', // ɴ
        '\u{1D0F}' => 'o', // ᴏ
        '\u{1D18}' => 'p', // ᴘ
        '\u{0280}' => 'r', // ʀ
        '\u{A731}' => 's', // ꜱ
        '\u{1D1B}' => 't', // ᴛ
        '\u{1D1C}' => 'u', // ᴜ
        '\u{1D20}' => 'v', // ᴠ
        '\u{1D21}' => 'w', // ᴡ
        '\u{028F}' => 'y', // ʏ
        '\u{1D22}' => 'z', // ᴢ
        // letters with a hook
        '\u{0253}' => 'b', // ɓ
        '\u{0188}' => 'c', // ƈ
        '\u{0257}' => 'd', // ɗ
        '\u{0260}' => 'g', // ɠ
        '\u{0266}' => 'h', // ɦ
        '\u{0199}' => 'k', // ƙ
        '\u{0271}' => 'm', // ɱ
        '\u{0272}' => 'n', // ɲ
        '\u{01A5}' => 'p', // ƥ
        '\u{0282}' => 's', // ʂ
        '\u{01AD}' => 't', // ƭ
        '\u{028B}' => 'v', // ʋ
        '\u{0290}' => 'z', // ʐ
        _ => return None,
    })
}

/// CJK ideographs: Unified Ideographs, Extension A, the Compatibility Ideographs and planes 2–3.
#[inline]
fn is_ideograph(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x2_0000..=0x3_FFFF)
}

/// A Greek or Cyrillic letter (Unicode Script property), after folding: lower case.
fn is_greek_or_cyrillic_letter(c: char) -> bool {
    use unicode_script::{Script, UnicodeScript};
    c.is_alphabetic() && matches!(c.script(), Script::Greek | Script::Cyrillic)
}

/// Builds [`LookAlikes`] from the UTS #39 confusables data of the `unicode-security` crate.
fn look_alikes() -> LookAlikes {
    use unicode_security::confusable_detection::skeleton;
    let ascii_letter = |c: char| {
        let mut buf = [0; 4];
        let mut s = skeleton(c.encode_utf8(&mut buf)).flat_map(char::to_lowercase);
        match (s.next(), s.next()) {
            (Some(l), None) if l.is_ascii_lowercase() => Some(l as u8),
            _ => None,
        }
    };
    let mut map = LookAlikes::new();
    for cp in (0x0370..0x0530).chain(0x1C80..0x1C90).chain(0xA640..0xA6A0) {
        let Some(c) = char::from_u32(cp) else {
            continue;
        };
        let mut lower = c.to_lowercase();
        let (Some(lower), None) = (lower.next(), lower.next()) else {
            continue;
        };
        if lower != c || !is_greek_or_cyrillic_letter(c) {
            continue; // capitals are reached through their lower case
        }
        let mut upper = c.to_uppercase();
        let capital = match (upper.next(), upper.next()) {
            (Some(u), None) => ascii_letter(u),
            _ => None,
        };
        if let Some(latin) = ascii_letter(lower).or(capital) {
            map.insert(lower, latin);
        }
    }
    map
}

/// Default_Ignorable_Code_Point, from UAX #44 DerivedCoreProperties.txt (these ranges as Perl's
/// Unicode::UCD lists them for Unicode 14.0). It covers the format
/// characters used to split words invisibly (U+200B..U+200F, U+2060.., U+FEFF, bidi controls,
/// tags), the variation selectors and the Hangul fillers.
fn is_default_ignorable(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
}

/// Variation selectors (Unicode blocks Variation Selectors and Variation Selectors Supplement,
/// and the Mongolian free variation selectors). They belong to the character before them.
fn is_variation_selector(c: char) -> bool {
    matches!(c as u32, 0x180B..=0x180D | 0x180F | 0xFE00..=0xFE0F | 0xE0100..=0xE01EF)
}

/// Clause punctuation and line breaks, in their NFKC forms: full-width `！？；，：` have become
/// ASCII by now, `。、` and the half-width `｡､` have become U+3002 and U+3001, and `…` has become
/// `...` (which [`separator_class`] handles). `⋯` (U+22EF, the ellipsis many Chinese texts use)
/// and the vertical `︙` have no NFKC mapping, so they are listed. The ASCII full stop is not
/// here: see [`separator_class`] and the module docs.
fn is_clause_break(c: char) -> bool {
    const CLAUSE_BREAKS: &[char] = &[
        '。', '、', '!', '?', ';', ',', ':', '⋯', '︙', '\n', '\r', '\u{0B}', '\u{0C}', '\u{85}',
        '\u{2028}', '\u{2029}',
    ];
    CLAUSE_BREAKS.contains(&c)
}

/// The run class of a visible separator that is weak alone and clause punctuation when doubled
/// (see [`Normalizer::fold_into`]): [`SEP_DOT`], [`SEP_DASH`], [`SEP_SPACE`], or 0.
fn separator_class(c: char) -> u8 {
    match c {
        '.' => SEP_DOT,
        '-' | '\u{2010}' | '\u{2013}' | '\u{2014}' | '\u{2015}' => SEP_DASH,
        c if c.is_whitespace() => SEP_SPACE,
        _ => 0,
    }
}

/// Latin, Greek, Cyrillic (and IPA) letters, whose diacritics step 3 removes.
fn strips_diacritics(c: char) -> bool {
    matches!(c as u32, 0..=0x058F | 0x1E00..=0x1FFF)
}

/// Letters and digits of scripts that separate words with spaces. These are Latin, Greek,
/// Cyrillic and Armenian, with their extension blocks. See [`CharFlags::is_word`].
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        && matches!(c as u32,
            0..=0x058F | 0x1C80..=0x1C8F | 0x1D00..=0x1FFF | 0x2C60..=0x2C7F | 0x2DE0..=0x2DFF
            | 0xA640..=0xA69F | 0xA720..=0xA7FF | 0xAB30..=0xAB6F)
}

/// The precomputed bits of folded character `c` (see [`Entry::One`]): its [`CharFlags`] bits
/// `WORD` and `DIGIT` ([`word_bit`]), `ASCII_ALNUM` or `IDEOGRAPH`, and [`LATIN`] for an ASCII
/// lower-case letter.
fn char_bits(c: char) -> u8 {
    let class = if c.is_ascii_alphanumeric() {
        CharFlags::ASCII_ALNUM
    } else if is_ideograph(c) {
        CharFlags::IDEOGRAPH
    } else {
        0
    };
    let latin = if c.is_ascii_lowercase() { LATIN } else { 0 };
    word_bit(c) | class | latin
}

/// The [`CharFlags`] word bits of folded character `c`: `WORD`, plus `DIGIT` for `0`–`9`.
fn word_bit(c: char) -> u8 {
    if is_word_char(c) {
        CharFlags::WORD | digit_bit(c)
    } else {
        0
    }
}

/// `DIGIT` for an ASCII digit (every digit of a word script is one after NFKC), else 0.
#[inline]
fn digit_bit(c: char) -> u8 {
    if c.is_ascii_digit() {
        CharFlags::DIGIT
    } else {
        0
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::{Arc, OnceLock};

    /// One normalizer for all tests in the crate: building it is the slow part.
    pub(crate) fn shared() -> Arc<Normalizer> {
        static N: OnceLock<Arc<Normalizer>> = OnceLock::new();
        N.get_or_init(|| Arc::new(Normalizer::new())).clone()
    }

    #[test]
    fn entries_stay_small() {
        assert_eq!(std::mem::size_of::<Entry>(), 8);
    }

    #[test]
    fn precomputed_bits_match_the_folded_characters() {
        let n = shared();
        let expect = |ch: char| {
            let mut bits = word_bit(ch);
            if ch.is_ascii_alphanumeric() {
                bits |= CharFlags::ASCII_ALNUM;
            } else if is_ideograph(ch) {
                bits |= CharFlags::IDEOGRAPH;
            }
            if ch.is_ascii_lowercase() {
                bits |= LATIN;
            }
            bits
        };
        for cp in 0..TABLE_LEN {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let decorated = if decorated_alnum(c).is_some() {
                DECORATED
            } else {
                0
            };
            match n.entry(c) {
                Entry::One { ch, bits } => {
                    assert_eq!(bits, expect(ch) | decorated, "U+{cp:04X}")
                }
                Entry::Many(i, d) => {
                    assert_eq!(d, decorated != 0, "U+{cp:04X}");
                    let (start, end) = n.many[i as usize];
                    for p in &n.pool[start as usize..end as usize] {
                        assert_eq!(p.bits, expect(p.ch), "U+{cp:04X}");
                        let greek = match n.entry(p.ch) {
                            Entry::Greek { latin, .. } => Some(latin),
                            _ => None,
                        };
                        assert_eq!(p.greek, greek, "U+{cp:04X}");
                    }
                }
                Entry::Greek { .. } | Entry::Attach | Entry::Skip(_) => {}
            }
        }
    }

    /// The fold loop as it was before the table carried precomputed bits (commit 7273f60),
    /// classifying each folded character as it goes: the reference that
    /// `fold_matches_the_reference` compares the fast loop with.
    fn fold_reference(n: &Normalizer, text: &str) -> Folded {
        #[derive(Default)]
        struct State {
            pending: u8,
            last_class: u8,
            attach: bool,
            last_decorated: bool,
            last_latin: bool,
            run: Option<(usize, bool, bool)>,
            fixes: Vec<(usize, char)>,
        }
        impl State {
            fn push(
                &mut self,
                out: &mut Folded,
                ch: char,
                at: u32,
                word: u8,
                decorated: bool,
                greek: Option<u8>,
            ) {
                let index = out.folded_len();
                let mut flags = self.pending | word;
                if ch.is_ascii_alphanumeric() {
                    flags |= CharFlags::ASCII_ALNUM;
                } else if is_ideograph(ch) {
                    flags |= CharFlags::IDEOGRAPH;
                }
                if decorated != self.last_decorated && index > 0 {
                    flags |= CharFlags::GAP_BEFORE;
                }
                match greek {
                    Some(latin) => {
                        let (_, _, all) = self.run.get_or_insert((index, self.last_latin, true));
                        if latin == 0 {
                            *all = false;
                            self.fixes.clear();
                        } else if *all {
                            self.fixes.push((index, latin as char));
                        }
                    }
                    None if self.run.is_some() => self.end_run(out, ch.is_ascii_lowercase()),
                    None => {}
                }
                out.push(ch, at, flags);
                self.pending = 0;
                self.last_class = 0;
                self.attach = true;
                self.last_decorated = decorated;
                self.last_latin = ch.is_ascii_lowercase();
            }
            fn end_run(&mut self, out: &mut Folded, latin_after: bool) {
                if let Some((from, latin_before, all)) = self.run.take() {
                    if all && (latin_before || latin_after) {
                        out.replace(from, &self.fixes);
                    }
                    self.fixes.clear();
                }
            }
            fn skip(&mut self, bits: u8) {
                if bits & CharFlags::GAP_BEFORE != 0 {
                    let class = bits & (SEP_DOT | SEP_DASH | SEP_SPACE);
                    let doubled = self.last_class != 0 && class == self.last_class;
                    let dot_space = self.last_class == SEP_DOT && class == SEP_SPACE;
                    if doubled || dot_space {
                        self.pending |= CharFlags::CLAUSE_BREAK_BEFORE;
                    }
                    self.last_class = class & (SEP_DOT | SEP_DASH);
                }
                self.pending |= bits & FLAG_BITS;
                self.attach = false;
            }
        }
        let mut out = Folded::default();
        let mut state = State::default();
        for (at, c) in (0u32..).zip(text.chars()) {
            match n.entry(c) {
                Entry::One { ch, bits } => {
                    let word = if is_word_char(ch) {
                        CharFlags::WORD | digit_bit(ch)
                    } else {
                        0
                    };
                    state.push(&mut out, ch, at, word, bits & DECORATED != 0, None);
                }
                Entry::Greek { ch, latin } => {
                    state.push(&mut out, ch, at, CharFlags::WORD, false, Some(latin));
                }
                Entry::Many(i, decorated) => {
                    let (start, end) = n.many[i as usize];
                    for p in &n.pool[start as usize..end as usize] {
                        let greek = match n.entry(p.ch) {
                            Entry::Greek { latin, .. } => Some(latin),
                            _ => None,
                        };
                        state.push(&mut out, p.ch, at, word_bit(p.ch), decorated, greek);
                    }
                }
                Entry::Attach => {
                    if state.attach {
                        out.extend_last_span(at + 1);
                    }
                }
                Entry::Skip(bits) => state.skip(bits),
            }
        }
        state.end_run(&mut out, false);
        out
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2048))]

            /// The fast fold loop gives exactly what the straightforward one gives: text,
            /// spans and flags, over text dense in what the new rules look at.
            #[test]
            fn fold_matches_the_reference(
                text in prop_oneof![
                    "[a-dA-D0-9\u{0430}\u{0410}\u{0435}\u{043B}\u{0501}\u{03B1}\u{03BD}\u{03BF}\u{10140}🅰🇦❶Ⓐ⒈㈠ﬁ１ａ .,。\\-赌博賭网\u{200B}\u{301}\u{FE0F}😀]{0,40}",
                    any::<String>(),
                ],
            ) {
                let n = shared();
                prop_assert_eq!(n.fold_text(&text), fold_reference(&n, &text));
            }
        }
    }

    #[test]
    fn fold_term_table() {
        let n = shared();
        let cases: &[(&str, &str, &str)] = &[
            ("full-width latin", "ＤＡＩＫＡＩ", "daikai"),
            ("mixed case", "DaiKai", "daikai"),
            ("dotted", "d.a.i.k.a.i", "daikai"),
            ("circled digits", "①②③", "123"),
            ("parenthesized ideograph", "㈠", "一"),
            ("math bold", "𝐝𝐚𝐢", "dai"),
            ("ligature", "ﬁ", "fi"),
            ("sharp s", "Straße", "strasse"),
            ("final sigma", "ΟΔΟΣ", "οδοσ"),
            ("precomposed accent", "ÉCOLE", "ecole"),
            ("combining accent", "e\u{301}cole", "ecole"),
            ("pinyin tones", "dǔ bó", "dubo"),
            ("traditional", "賭博", "赌博"),
            ("traditional gun", "槍", "枪"),
            ("extension b", "𠀀𡻕", "𠀀𡻕"),
            ("compatibility supplement", "\u{2F800}\u{2F8B2}", "丽成"),
            ("compatibility ideograph", "\u{F907}", "龟"),
            ("star", "赌*博", "赌博"),
            ("space", "赌 博", "赌博"),
            ("ideographic space", "赌\u{3000}博", "赌博"),
            ("dot", "赌.博", "赌博"),
            ("zero width space", "赌\u{200B}博", "赌博"),
            ("bom and bidi", "赌\u{FEFF}\u{202E}博", "赌博"),
            ("emoji", "赌😀博", "赌博"),
            ("zwj family", "赌👨\u{200D}👩\u{200D}👧博", "赌博"),
            ("skin tone", "赌👍🏽博", "赌博"),
            ("variation selector", "赌\u{FE0F}博", "赌博"),
            ("keycap", "1\u{FE0F}\u{20E3}2\u{FE0F}\u{20E3}", "12"),
            ("tag sequence", "赌🏴\u{E0067}\u{E0062}\u{E007F}博", "赌博"),
            ("hangul filler", "赌\u{3164}博", "赌博"),
            ("clause punctuation", "赌。博！", "赌博"),
            ("hangul kept", "도박", "도박"),
            ("kana kept", "ギャンブル", "ギャンブル"),
            ("only separators", " *。\u{200B}😀", ""),
            ("lone marks", "\u{301}\u{302}", ""),
            ("empty", "", ""),
        ];
        for (name, input, want) in cases {
            assert_eq!(n.fold_term(input), *want, "{name}: {input:?}");
        }
    }

    #[test]
    fn spans_point_into_the_original() {
        let n = shared();
        type Spans = &'static [(u32, u32)];
        // (input, folded, spans)
        let cases: &[(&str, &str, Spans)] = &[
            ("賭博", "赌博", &[(0, 1), (1, 2)]),
            ("x赌*博", "x赌博", &[(0, 1), (1, 2), (3, 4)]),
            ("ﬁx", "fix", &[(0, 1), (0, 1), (1, 2)]),
            ("e\u{301}a", "ea", &[(0, 2), (2, 3)]),
            ("1\u{FE0F}\u{20E3}2", "12", &[(0, 3), (3, 4)]),
            ("\u{301}a", "a", &[(1, 2)]),
            ("a\u{200B}\u{301}b", "ab", &[(0, 1), (3, 4)]),
            ("𠀀a", "𠀀a", &[(0, 1), (1, 2)]),
        ];
        for (input, folded, spans) in cases {
            let f = n.fold_text(input);
            assert_eq!(f.text, *folded, "{input:?}");
            assert_eq!(f.spans, *spans, "{input:?}");
            assert_eq!(f.flags.len(), f.len());
        }
    }

    #[test]
    fn flags() {
        let n = shared();
        // (input, per folded char: (word, gap_before, clause_break_before))
        type Want = &'static [(bool, bool, bool)];
        let cases: &[(&str, Want)] = &[
            ("ab", &[(true, false, false), (true, false, false)]),
            ("a b", &[(true, false, false), (true, true, false)]),
            ("a\u{200B}b", &[(true, false, false), (true, false, false)]),
            ("ａ，ｂ", &[(true, false, false), (true, true, true)]),
            ("赌*博", &[(false, false, false), (false, true, false)]),
            ("赌。博", &[(false, false, false), (false, true, true)]),
            ("赌\n博", &[(false, false, false), (false, true, true)]),
            ("赌😀、博", &[(false, false, false), (false, true, true)]),
            ("é1", &[(true, false, false), (true, false, false)]),
            // A lone full stop or dash is a weak separator; doubled, or `. `, it ends a clause.
            ("a.b", &[(true, false, false), (true, true, false)]),
            ("a．b", &[(true, false, false), (true, true, false)]),
            ("a..b", &[(true, false, false), (true, true, true)]),
            ("a.\u{200B}.b", &[(true, false, false), (true, true, true)]),
            ("a. b", &[(true, false, false), (true, true, true)]),
            ("a .b", &[(true, false, false), (true, true, false)]),
            ("a.*.b", &[(true, false, false), (true, true, false)]),
            ("a…b", &[(true, false, false), (true, true, true)]),
            ("a‥b", &[(true, false, false), (true, true, true)]),
            ("赌⋯博", &[(false, false, false), (false, true, true)]),
            ("a-b", &[(true, false, false), (true, true, false)]),
            ("赌—博", &[(false, false, false), (false, true, false)]),
            ("赌——博", &[(false, false, false), (false, true, true)]),
            ("a--b", &[(true, false, false), (true, true, true)]),
            ("a-.b", &[(true, false, false), (true, true, false)]),
            ("赌：博", &[(false, false, false), (false, true, true)]),
            ("a:b", &[(true, false, false), (true, true, true)]),
            ("赌\r\n博", &[(false, false, false), (false, true, true)]),
            ("赌\t博", &[(false, false, false), (false, true, false)]),
            // A dot inside one character's own NFKC expansion (`⒈` is `1.`) sets nothing.
            ("⒈a", &[(true, false, false), (true, false, false)]),
            ("Жa", &[(true, false, false), (true, false, false)]),
        ];
        for (input, want) in cases {
            let f = n.fold_text(input);
            let got: Vec<_> = f
                .flags
                .iter()
                .map(|f| (f.is_word(), f.gap_before(), f.clause_break_before()))
                .collect();
            assert_eq!(got, *want, "{input:?}");
        }
    }

    #[test]
    fn digit_flags() {
        let n = shared();
        // (input, per folded char: is_digit)
        let cases: &[(&str, &[bool])] = &[
            ("a1", &[false, true]),
            ("１①²", &[true, true, true]),
            ("x9\u{FE0F}\u{20E3}", &[false, true]),
            ("赌3", &[false, true]),
            ("٣", &[false]), // Arabic-Indic three: not a word character, so not a digit here
        ];
        for (input, want) in cases {
            let f = n.fold_text(input);
            let got: Vec<bool> = f.flags.iter().map(|f| f.is_digit()).collect();
            assert_eq!(got, *want, "{input:?}");
            assert!(f.flags.iter().all(|f| !f.is_digit() || f.is_word()));
        }
    }

    #[test]
    fn decorated_digits_and_letters() {
        let n = shared();
        let cases: &[(&str, &str, &str)] = &[
            // What NFKC already folds.
            ("circled digits", "①②⑩", "1210"),
            ("parenthesized digits", "⑴⑵", "12"),
            ("digits with full stop", "⒈⒉", "12"),
            ("circled letters", "ⒹⒶⒾ", "dai"),
            ("parenthesized letters", "⒟⒜⒤", "dai"),
            ("squared letters", "🄳🄰🄸", "dai"),
            ("math bold", "𝐝𝐚𝐢𝐤𝐚𝐢", "daikai"),
            ("math double-struck digits", "𝟙𝟚𝟛", "123"),
            ("keycaps", "1\u{FE0F}\u{20E3}8\u{20E3}", "18"),
            // What only the decorated table folds.
            ("negative circled digits", "❶❷❸❿", "12310"),
            ("circled sans-serif digits", "➀➁➉", "1210"),
            ("negative circled sans-serif", "➊➋➓", "1210"),
            ("negative circled numbers", "⓫⓴⓿", "11200"),
            ("double circled digits", "⓵⓶⓾", "1210"),
            ("negative circled letters", "🅓🅐🅘", "dai"),
            ("negative squared letters", "🅳🅰🅸🅺🅰🅸", "daikai"),
            ("with emoji presentation", "🅰\u{FE0F}🅱\u{FE0F}", "ab"),
            ("regional indicators", "🇩🇦🇮🇰🇦🇮", "daikai"),
            ("keycap ten", "🔟", "10"),
            ("pinyin letters of GB 2312", "dɑikɑi ɡ", "daikaig"),
            ("small capitals", "ᴅᴀɪᴋᴀɪ 3ᴅ", "daikai3d"),
            ("letters with a hook", "ɗaikai ɓƙ", "daikaibk"),
        ];
        for (name, input, want) in cases {
            assert_eq!(n.fold_term(input), *want, "{name}: {input:?}");
        }
        // NFKC leaves every character of the decorated table alone: the table is needed.
        for cp in (0x2000..0x2800).chain(0x1F100..0x1F600) {
            let c = char::from_u32(cp).unwrap();
            if decorated_alnum(c).is_some() {
                assert!(std::iter::once(c).nfkc().eq([c]), "U+{cp:04X}");
            }
        }
    }

    #[test]
    fn decorated_and_plain_characters_are_separate_words() {
        let n = shared();
        // (input, per folded char: (word, gap_before))
        type Want = &'static [(bool, bool)];
        let cases: &[(&str, Want)] = &[
            ("🅿\u{FE0F}ab", &[(true, false), (true, true), (true, false)]),
            ("🇨🇳a", &[(true, false), (true, false), (true, true)]),
            ("a🅰b", &[(true, false), (true, true), (true, true)]),
            ("❶❷", &[(true, false), (true, false)]),
            ("赌❶博", &[(false, false), (true, true), (false, true)]),
        ];
        for (input, want) in cases {
            let f = n.fold_text(input);
            let got: Vec<_> = f
                .flags
                .iter()
                .map(|f| (f.is_word(), f.gap_before()))
                .collect();
            assert_eq!(got, *want, "{input:?}");
        }
    }

    #[test]
    fn look_alike_table() {
        let table = look_alikes();
        // Cyrillic, then Greek, then capitals that look like Latin capitals.
        for (c, latin) in [
            ('\u{0430}', 'a'), // а
            ('\u{0435}', 'e'), // е
            ('\u{043E}', 'o'), // о
            ('\u{0440}', 'p'), // р
            ('\u{0441}', 'c'), // с
            ('\u{0445}', 'x'), // х
            ('\u{0443}', 'y'), // у
            ('\u{0456}', 'i'), // і
            ('\u{0458}', 'j'), // ј
            ('\u{0455}', 's'), // ѕ
            ('\u{04BB}', 'h'), // һ
            ('\u{0501}', 'd'), // ԁ
            ('\u{03BF}', 'o'), // ο
            ('\u{03B9}', 'i'), // ι
            ('\u{03BD}', 'v'), // ν
            ('\u{03C1}', 'p'), // ρ
            ('\u{043A}', 'k'), // к (К)
            ('\u{043C}', 'm'), // м (М)
            ('\u{0442}', 't'), // т (Т)
            ('\u{0432}', 'b'), // в (В)
            ('\u{043D}', 'h'), // н (Н)
            ('\u{03BA}', 'k'), // κ (Κ)
        ] {
            assert_eq!(table.get(&c).map(|&b| b as char), Some(latin), "{c:?}");
        }
        // Letters with no Latin look-alike.
        for c in ['\u{043B}', '\u{0434}', '\u{0436}', '\u{03BB}', '\u{03C0}'] {
            assert_eq!(table.get(&c), None, "{c:?}"); // л д ж λ π
        }
        assert!(table
            .keys()
            .all(|&c| is_greek_or_cyrillic_letter(c) && c.to_lowercase().eq([c])));
        assert!(table.values().all(u8::is_ascii_lowercase));
    }

    #[test]
    fn look_alikes_fold_only_next_to_latin_letters() {
        let n = shared();
        let cases: &[(&str, &str, &str)] = &[
            ("cyrillic a inside", "d\u{0430}ik\u{0430}i", "daikai"),
            ("cyrillic capitals", "D\u{0410}IK\u{0410}I", "daikai"),
            (
                "run of look-alikes",
                "\u{0501}\u{0430}\u{0456}k\u{0430}\u{0456}",
                "daikai",
            ),
            ("greek", "g\u{03BF}\u{03B9}p", "goip"),
            ("across separators", "d.\u{0430}.i k\u{0430}i", "daikai"),
            ("after latin only", "ka\u{0456}", "kai"),
            // Negative controls: not next to a Latin letter, or a letter without a look-alike.
            (
                "russian word",
                "\u{0441}\u{043E}\u{0441}\u{043D}\u{0430}",
                "сосна",
            ),
            ("greek word", "\u{03B1}\u{03BD}", "αν"),
            ("next to ideographs", "出售\u{043A}粉", "出售к粉"),
            ("next to digits", "1\u{0430}2", "1а2"),
            (
                "run with a letter without look-alike",
                "d\u{043B}\u{0430}i",
                "dлаi",
            ),
            ("greek word between chinese", "用\u{03B1}粒子", "用α粒子"),
        ];
        for (name, input, want) in cases {
            assert_eq!(n.fold_term(input), *want, "{name}: {input:?}");
            // Spans and flags stay in step with the folded text.
            let f = n.fold_text(input);
            assert_eq!(f.text.chars().count(), f.spans.len(), "{name}");
            assert_eq!(n.fold_term(want), *want, "idempotent: {name}");
        }
    }

    #[test]
    fn original_span_covers_separators() {
        let f = shared().fold_text("来赌*博吧");
        assert_eq!(f.original_span(1..3), Some((1, 4)));
        assert_eq!(f.original_span(0..0), None);
        assert_eq!(f.original_span(3..5), None);
    }

    #[test]
    fn table_is_idempotent_and_keeps_only_matchable_chars() {
        let n = shared();
        let mut buf = [0u8; 4];
        for cp in (0..TABLE_LEN).step_by(7).chain(0x4E00..0xA000) {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let once = n.fold_term(c.encode_utf8(&mut buf));
            assert_eq!(n.fold_term(&once), once, "U+{cp:04X}");
            assert!(
                once.chars().all(char::is_alphanumeric),
                "U+{cp:04X} -> {once:?}"
            );
        }
    }

    #[test]
    fn beyond_the_table_only_canonical_singletons_decompose() {
        for cp in (TABLE_LEN..0x4_0000).chain(0xE_0000..0xE_1000) {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let nfkc: Vec<char> = std::iter::once(c).nfkc().collect();
            let mut canonical = Vec::new();
            decompose_canonical(c, |d| canonical.push(d));
            assert_eq!(nfkc, canonical, "U+{cp:04X}");
            assert!(
                nfkc.len() == 1 && c.to_lowercase().eq([c]) && c.to_uppercase().eq([c]),
                "U+{cp:04X}"
            );
        }
    }

    #[test]
    fn odd_input_does_not_panic() {
        let n = shared();
        for input in [
            "\u{10FFFF}\u{E0001}\u{F0000}",
            "\u{301}",
            "\u{FE0F}",
            &"赌博。".repeat(100_000),
        ] {
            let f = n.fold_text(input);
            let total = input.chars().count() as u32;
            assert!(f.spans.iter().all(|&(s, e)| s < e && e <= total));
        }
    }
}
