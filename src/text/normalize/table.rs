//! The folding table: [`Normalizer::new`] folds every code point of planes 0–1 once, ahead of
//! time, into an [`Entry`]; planes 2–16 need only the few rules of
//! [`Normalizer::entry_beyond_table`].

use std::collections::HashMap;

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

use super::chars::{
    is_default_ignorable, is_greek_or_cyrillic_letter, is_ideograph, is_variation_selector,
    is_word_char,
};
use super::steps::{decorated_alnum, fold_char, look_alikes, split_pairs, t2s_map, LookAlikes};
use super::{CharFlags, Normalizer};

/// Code points below this have a precomputed table entry: planes 0–1. Above it, the few rules
/// in [`Normalizer::entry_beyond_table`] decide.
pub(super) const TABLE_LEN: u32 = 0x2_0000;

/// What one original character folds to. Eight bytes (a test checks): the table has 128 Ki of
/// them, and the fold loop reads one per character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Entry {
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
pub(super) const SEP_DOT: u8 = 8;
/// Skip-entry class: a dash or hyphen (`-`, `‐`, `–`, `—`, `―`). Alone it is a weak separator;
/// two in a row (`--`, the Chinese dash `——`) are clause punctuation.
pub(super) const SEP_DASH: u8 = 16;
/// Skip-entry class: whitespace other than a line break.
pub(super) const SEP_SPACE: u8 = 32;
/// The bits of a skip entry that become [`CharFlags`] of the next folded character.
pub(super) const FLAG_BITS: u8 = CharFlags::GAP_BEFORE | CharFlags::CLAUSE_BREAK_BEFORE;

/// Entry bit (not a [`CharFlags`] bit): the folded character is an ASCII lower-case letter,
/// which the look-alike rule looks for next to a run of Greek and Cyrillic letters.
pub(super) const LATIN: u8 = 8;
/// Entry bit (not a [`CharFlags`] bit; the position of `CLAUSE_BREAK_BEFORE`, which a folded
/// character's own bits never carry): a *soft separator*, a character Unicode counts as a
/// letter or digit that evaders put between ideographs (`丶 丨 丿 〇 ー 々`, decorated digits
/// `①❶１`, regional indicators `🇨🇳`). [`Normalizer::fold_into`] drops a run of them between
/// two ideographs and keeps it anywhere else (see [`is_soft_separator`]).
pub(super) const SOFT: u8 = 4;
/// Entry bit (not a [`CharFlags`] bit): the folded character comes from a decorated form
/// ([`decorated_alnum`]).
pub(super) const DECORATED: u8 = 128;
/// The bits of a precomputed entry that become [`CharFlags`] of the folded character itself.
pub(super) const CHAR_BITS: u8 =
    CharFlags::WORD | CharFlags::DIGIT | CharFlags::ASCII_ALNUM | CharFlags::IDEOGRAPH;

/// One folded character of a multi-character entry (`Entry::Many`), with its precomputed
/// [`char_bits`] and, for a Greek or Cyrillic letter, its look-alike (as in [`Entry::Greek`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct PoolChar {
    pub(super) ch: char,
    pub(super) bits: u8,
    pub(super) greek: Option<u8>,
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
            split: split_pairs(),
            split_first: Vec::new(),
            split_mask: 0,
        };
        normalizer.split_first = normalizer.split.keys().map(|k| k.0).collect();
        normalizer.split_first.sort_unstable();
        normalizer.split_first.dedup();
        for &c in &normalizer.split_first {
            normalizer.split_mask |= 1u64 << (c as u32 & 63);
        }
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

    #[inline]
    pub(super) fn entry(&self, c: char) -> Entry {
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
        let soft = if is_soft_separator(c, buf) { SOFT } else { 0 };
        match buf.as_slice() {
            [] => Entry::Skip(bits),
            &[ch] if is_greek_or_cyrillic_letter(ch) => Entry::Greek {
                ch,
                latin: look_alikes.get(&ch).copied().unwrap_or(0),
            },
            &[ch] => Entry::One {
                ch,
                bits: char_bits(ch) | soft | if decorated { DECORATED } else { 0 },
            },
            many => {
                let start = self.pool.len() as u32;
                self.pool.extend(many.iter().map(|&ch| PoolChar {
                    ch,
                    bits: char_bits(ch) | soft,
                    greek: None, // filled in by `new`, once the table is complete
                }));
                self.many.push((start, self.pool.len() as u32));
                Entry::Many(self.many.len() as u32 - 1, decorated)
            }
        }
    }
}

/// Whether original `c`, folded to `folded`, is a soft separator ([`SOFT`]): one of the
/// ideograph-like strokes and marks `丶 丨 丿 〇 ー 々` (U+4E36, U+4E28, U+4E3F, U+3007,
/// U+30FC, U+3005), a regional indicator (U+1F1E6..U+1F1FF), or a decorated form of digits
/// (full-width, enclosed, dingbat, parenthesized, superscript/subscript, mathematical) that
/// folds to ASCII digits only.
pub(super) fn is_soft_separator(c: char, folded: &[char]) -> bool {
    if matches!(c, '丶' | '丨' | '丿' | '〇' | 'ー' | '々') {
        return true;
    }
    let cp = c as u32;
    if (0x1F1E6..=0x1F1FF).contains(&cp) {
        return true;
    }
    let decorated_block = matches!(cp,
        0xB2 | 0xB3 | 0xB9 | 0x2070..=0x2089 | 0x2460..=0x24FF | 0x2776..=0x2793
        | 0x3251..=0x325F | 0x32B1..=0x32BF | 0xFF10..=0xFF19 | 0x1D7CE..=0x1D7FF
        | 0x1F100..=0x1F10C | 0x1F51F);
    decorated_block && !folded.is_empty() && folded.iter().all(char::is_ascii_digit)
}

/// The precomputed bits of folded character `c` (see [`Entry::One`]): its [`CharFlags`] bits
/// `WORD` and `DIGIT` ([`word_bit`]), `ASCII_ALNUM` or `IDEOGRAPH`, and [`LATIN`] for an ASCII
/// lower-case letter.
pub(super) fn char_bits(c: char) -> u8 {
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
pub(super) fn word_bit(c: char) -> u8 {
    if is_word_char(c) {
        CharFlags::WORD | digit_bit(c)
    } else {
        0
    }
}

/// `DIGIT` for an ASCII digit (every digit of a word script is one after NFKC), else 0.
#[inline]
pub(super) fn digit_bit(c: char) -> u8 {
    if c.is_ascii_digit() {
        CharFlags::DIGIT
    } else {
        0
    }
}
