//! [`CharFlags`]: what the matching rules need to know about one folded character.

/// Facts about one folded character that matching rules need (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CharFlags(pub(super) u8);

impl CharFlags {
    pub(super) const WORD: u8 = 1;
    pub(super) const GAP_BEFORE: u8 = 2;
    pub(super) const CLAUSE_BREAK_BEFORE: u8 = 4;
    /// Set together with `WORD` on a digit (`0`–`9` after NFKC).
    pub(super) const DIGIT: u8 = 64;
    /// An ASCII letter or digit (after folding).
    pub(super) const ASCII_ALNUM: u8 = 16;
    /// A CJK ideograph.
    pub(super) const IDEOGRAPH: u8 = 32;

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
