//! Where folding writes: [`Folded`] (a `String` with spans and flags), or [`FoldBuf`], the
//! matcher's reusable buffer of symbol ids. Both implement [`FoldSink`].

use std::ops::Range;

use super::CharFlags;
#[cfg(doc)]
use super::Normalizer;

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
