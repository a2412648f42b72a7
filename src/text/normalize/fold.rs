//! The fold loop: one table lookup per original character, a few bit operations per folded
//! character, and the look-alike rule for runs of Greek and Cyrillic letters off the hot path.

#[cfg(doc)]
use super::table::char_bits;
use super::table::{Entry, CHAR_BITS, DECORATED, FLAG_BITS, LATIN, SEP_DASH, SEP_DOT, SEP_SPACE};
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
}
