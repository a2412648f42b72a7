//! The fold loop: one table lookup per original character, a few bit operations per folded
//! character, and the look-alike rule for runs of Greek and Cyrillic letters off the hot path.

use super::markup::{markup_at, Markup};
#[cfg(doc)]
use super::table::char_bits;
use super::table::{
    Entry, CHAR_BITS, DECORATED, FLAG_BITS, LATIN, SEP_DASH, SEP_DOT, SEP_SPACE, SOFT,
};
use super::{CharFlags, FoldSink, Normalizer};

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
    /// Soft separators are waiting in [`SoftRun`].
    in_soft: bool,
    /// The last folded character pushed (`'\0'` before the first).
    last_ch: char,
}

/// Soft separators ([`SOFT`]) waiting for the next folded character, off the hot path: dropped
/// when an ideograph stands on both sides (`赌丨博`, `枪🇨🇳支`, `赌①博`), kept otherwise.
#[derive(Default)]
struct SoftRun {
    /// `(ch, start, end, pending bits, entry bits)` per buffered folded character.
    chars: Vec<(char, u32, u32, u8, u8)>,
    /// The last folded character before the run is an ideograph, and which one.
    before: Option<char>,
}

/// Chinese numerals next to which `〇` is the digit zero (`二〇二六年`), never a separator.
fn is_numeral(c: char) -> bool {
    matches!(
        c,
        '〇' | '零'
            | '一'
            | '二'
            | '三'
            | '四'
            | '五'
            | '六'
            | '七'
            | '八'
            | '九'
            | '十'
            | '百'
            | '千'
            | '万'
            | '亿'
            | '年'
            | '0'..='9'
    )
}

/// The current run of Greek and Cyrillic letters, off the hot path; and the [`SoftRun`].
#[derive(Default)]
struct GreekRun {
    /// Soft separators waiting for the next folded character.
    soft: SoftRun,
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
        if bits & SOFT != 0 {
            self.push_soft(out, greek, ch, at, bits);
            return;
        }
        if self.in_soft {
            self.resolve_soft(out, greek, Some((ch, bits)));
        }
        self.push_plain(out, greek, ch, at, bits);
    }

    /// Buffers a soft separator ([`SOFT`]) until the next folded character shows whether an
    /// ideograph stands on both sides of it.
    #[cold]
    fn push_soft(
        &mut self,
        out: &impl FoldSink,
        greek: &mut GreekRun,
        ch: char,
        at: u32,
        bits: u8,
    ) {
        let run = &mut greek.soft;
        if !self.in_soft {
            let after_ideograph = out.folded_len() > 0 && self.last & CharFlags::IDEOGRAPH != 0;
            run.before = after_ideograph.then_some(self.last_ch);
        }
        run.chars.push((ch, at, at + 1, self.pending, bits & !SOFT));
        self.pending = 0;
        self.last_class = 0;
        self.attach = true;
        self.in_soft = true;
    }

    /// Ends a run of soft separators before folded character `next` (`None`: the text ends).
    /// Between two ideographs the run is dropped as a visible separator, unless it holds `〇`
    /// next to a numeral (`二〇二六年`); anywhere else its characters are kept.
    #[cold]
    fn resolve_soft(
        &mut self,
        out: &mut impl FoldSink,
        greek: &mut GreekRun,
        next: Option<(char, u8)>,
    ) {
        self.in_soft = false;
        let mut run = std::mem::take(&mut greek.soft.chars);
        let drop = match (greek.soft.before, next) {
            (Some(before), Some((next, bits))) if bits & CharFlags::IDEOGRAPH != 0 => {
                !(run.iter().any(|r| r.0 == '〇') && (is_numeral(before) || is_numeral(next)))
            }
            _ => false,
        };
        if drop {
            let skipped = run.iter().fold(CharFlags::GAP_BEFORE, |b, r| b | r.3);
            self.pending |= skipped;
        } else {
            let after = self.pending;
            for &(ch, start, end, pending, bits) in &run {
                self.pending = pending;
                self.push_plain(out, greek, ch, start, bits);
                if end > start + 1 {
                    out.extend_last_span(end);
                }
            }
            self.pending = after;
            self.attach = false;
        }
        run.clear();
        greek.soft.chars = run;
    }

    /// [`push`](Self::push) of a character that is not a soft separator, with none waiting.
    #[inline(always)]
    fn push_plain(
        &mut self,
        out: &mut impl FoldSink,
        greek: &mut GreekRun,
        ch: char,
        at: u32,
        bits: u8,
    ) {
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
            in_soft: false,
            last_ch: ch,
        };
    }

    /// Like [`push`](Self::push), for a Greek or Cyrillic letter whose look-alike is `latin`
    /// (as in [`Entry::Greek`]): it joins the current run of such letters or starts one.
    #[cold]
    #[must_use]
    fn push_greek(
        mut self,
        out: &mut impl FoldSink,
        greek: &mut GreekRun,
        ch: char,
        at: u32,
        bits: u8,
        latin: u8,
    ) -> Self {
        if self.in_soft {
            self.resolve_soft(out, greek, Some((ch, bits)));
        }
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
            in_soft: false,
            last_ch: ch,
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
        let bytes = text.as_bytes();
        let mut chars = text.char_indices();
        let mut at = 0u32;
        while let Some((byte, c)) = chars.next() {
            let mut entry = self.entry(c);
            let mut width = 1;
            if c == '<' || c == '&' {
                // HTML inside text: a tag is skipped, an entity folds as the character it
                // stands for, with a span over the whole entity.
                if let Some((len, markup)) = markup_at(&text[byte..]) {
                    for _ in 1..len {
                        chars.next();
                    }
                    width = len;
                    entry = match markup {
                        Markup::Tag(bits) => Entry::Skip(bits),
                        Markup::Char(ch) => self.entry(ch),
                    };
                }
            } else if let Some(whole) = self.split_pair(c, &text[byte + c.len_utf8()..]) {
                // A split character (`贝者` for `赌`): the two components fold as the whole,
                // with a span over both.
                chars.next();
                width = 2;
                entry = self.entry(whole);
            } else if c.is_ascii_digit() && is_keycap(&bytes[byte + 1..]) {
                // A keycap (`1️⃣`) is a decorated digit: a soft separator.
                if let Entry::One { ch, bits } = entry {
                    entry = Entry::One {
                        ch,
                        bits: bits | SOFT,
                    };
                }
            }
            let before = out.folded_len();
            match entry {
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
                        if state.in_soft {
                            if let Some(last) = greek.soft.chars.last_mut() {
                                last.2 = at + 1;
                            }
                        } else {
                            out.extend_last_span(at + 1);
                        }
                    }
                }
                Entry::Skip(bits) => state.skip(bits),
            }
            if width > 1 {
                // An entity's folded characters span the whole entity.
                if state.in_soft {
                    if let Some(last) = greek.soft.chars.last_mut() {
                        last.2 = at + width;
                    }
                } else if out.folded_len() > before {
                    out.extend_last_span(at + width);
                }
            }
            at += width;
        }
        if state.in_soft {
            state.resolve_soft(out, &mut greek, None);
        }
        greek.end(out, false);
        assert!(
            u32::try_from(out.folded_len()).is_ok(),
            "text folds to too many characters: {}",
            out.folded_len()
        );
    }
}

/// Whether the bytes after an ASCII digit make it a keycap: U+FE0F (optional) then U+20E3.
#[inline]
fn is_keycap(rest: &[u8]) -> bool {
    const VS16: &[u8] = "\u{FE0F}".as_bytes();
    const KEYCAP: &[u8] = "\u{20E3}".as_bytes();
    let rest = rest.strip_prefix(VS16).unwrap_or(rest);
    rest.starts_with(KEYCAP)
}

impl Normalizer {
    /// The character that `first` and the first character of `rest` spell together
    /// (`data/normalize/split.tsv`: `贝` + `者` → `赌`), if any. Cheap for every other `first`:
    /// a bit test, then a search of the sorted first components.
    #[inline]
    fn split_pair(&self, first: char, rest: &str) -> Option<char> {
        if self.split_mask & (1u64 << (first as u32 & 63)) == 0
            || self.split_first.binary_search(&first).is_err()
        {
            return None;
        }
        let second = rest.chars().next()?;
        self.split.get(&(first, second)).copied()
    }
}
