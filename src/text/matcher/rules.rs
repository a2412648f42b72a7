//! The rules every match must pass (1: Latin word boundaries, 2: clause breaks) and the sorted
//! candidate lists that rules 3 (allow phrases) and 4 (overlaps) choose hits from. See the
//! module docs of [`super`].

use std::cmp::Reverse;

use super::TermAction;
use crate::text::normalize::CharFlags;

/// The facts about a pattern that every match needs: kept small and together for the cache.
#[derive(Clone, Copy, Debug)]
pub(super) struct PatternInfo {
    /// Plain pattern: length in folded chars. Repeat pattern: number of character runs.
    pub(super) len: u32,
    /// `WORD_START | WORD_END` and the action's strength in the low two bits.
    pub(super) bits: u8,
}

impl PatternInfo {
    pub(super) const WORD_START: u8 = 4;
    pub(super) const WORD_END: u8 = 8;
    /// A plain pattern whose characters never repeat and are not letters of a spaced script:
    /// it also matches with its characters doubled (`赌赌博博`, the repeat scan of `find`).
    pub(super) const FOLD_REPEATS: u8 = 16;

    pub(super) fn action(self) -> TermAction {
        match self.bits & 3 {
            2 => TermAction::Reject,
            1 => TermAction::Hold,
            _ => TermAction::Allow,
        }
    }

    /// Rule 1 of the module docs, for a match at folded chars `start..end`.
    #[inline]
    pub(super) fn boundaries_ok(self, flags: &[CharFlags], start: usize, end: usize) -> bool {
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
pub(super) fn clause_ok(flags: &[CharFlags], start: usize, end: usize) -> bool {
    let inner = &flags[start + 1..end];
    !inner.iter().any(|f| f.clause_break_before())
        || (end - start >= 3 && inner.iter().all(|f| f.gap_before()))
}

/// A match in folded char indices.
#[derive(Clone, Copy, Debug)]
pub(super) struct Candidate {
    pub(super) start: u32,
    pub(super) end: u32,
    pub(super) pattern: u32,
}

impl Candidate {
    /// The order rule 4 picks in: leftmost, then longest, then lowest pattern id.
    #[inline]
    pub(super) fn key(self) -> (u32, Reverse<u32>, u32) {
        (self.start, Reverse(self.end), self.pattern)
    }
}

/// Inserts `c` into `list`, which is sorted by [`Candidate::key`]. Cheap when `c` belongs near
/// the end, as it does for matches that arrive in order of their end.
#[inline]
pub(super) fn insert_sorted(list: &mut Vec<Candidate>, c: Candidate) {
    list.push(c);
    let mut i = list.len() - 1;
    while i > 0 && c.key() < list[i - 1].key() {
        list[i] = list[i - 1];
        i -= 1;
    }
    list[i] = c;
}

/// Answers "is this candidate inside an allow match" for candidates in start order.
pub(super) struct AllowCursor<'a> {
    allows: &'a [Candidate],
    /// Allows with `start <= ` the last candidate's start.
    seen: usize,
    /// The greatest end among them.
    reach: u32,
}

impl<'a> AllowCursor<'a> {
    pub(super) fn new(allows: &'a [Candidate]) -> Self {
        AllowCursor {
            allows,
            seen: 0,
            reach: 0,
        }
    }

    /// `c.start` must not decrease from one call to the next.
    #[inline]
    pub(super) fn covers(&mut self, c: Candidate) -> bool {
        while self.seen < self.allows.len() && self.allows[self.seen].start <= c.start {
            self.reach = self.reach.max(self.allows[self.seen].end);
            self.seen += 1;
        }
        self.seen > 0 && self.reach >= c.end
    }
}
