//! The Unicode character classes that folding is built from.

use super::table::{SEP_DASH, SEP_DOT, SEP_SPACE};
#[cfg(doc)]
use super::{CharFlags, Normalizer};

/// CJK ideographs: Unified Ideographs, Extension A, the Compatibility Ideographs and planes 2–3.
#[inline]
pub(super) fn is_ideograph(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x2_0000..=0x3_FFFF)
}

/// A Greek or Cyrillic letter (Unicode Script property), after folding: lower case.
pub(super) fn is_greek_or_cyrillic_letter(c: char) -> bool {
    use unicode_script::{Script, UnicodeScript};
    c.is_alphabetic() && matches!(c.script(), Script::Greek | Script::Cyrillic)
}

/// Default_Ignorable_Code_Point, from UAX #44 DerivedCoreProperties.txt (these ranges as Perl's
/// Unicode::UCD lists them for Unicode 14.0). It covers the format
/// characters used to split words invisibly (U+200B..U+200F, U+2060.., U+FEFF, bidi controls,
/// tags), the variation selectors and the Hangul fillers.
pub(super) fn is_default_ignorable(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
}

/// Variation selectors (Unicode blocks Variation Selectors and Variation Selectors Supplement,
/// and the Mongolian free variation selectors). They belong to the character before them.
pub(super) fn is_variation_selector(c: char) -> bool {
    matches!(c as u32, 0x180B..=0x180D | 0x180F | 0xFE00..=0xFE0F | 0xE0100..=0xE01EF)
}

/// Clause punctuation and line breaks, in their NFKC forms: full-width `！？；，：` have become
/// ASCII by now, `。、` and the half-width `｡､` have become U+3002 and U+3001, and `…` has become
/// `...` (which [`separator_class`] handles). `⋯` (U+22EF, the ellipsis many Chinese texts use)
/// and the vertical `︙` have no NFKC mapping, so they are listed. The ASCII full stop is not
/// here: see [`separator_class`] and the module docs.
pub(super) fn is_clause_break(c: char) -> bool {
    const CLAUSE_BREAKS: &[char] = &[
        '。', '、', '!', '?', ';', ',', ':', '⋯', '︙', '\n', '\r', '\u{0B}', '\u{0C}', '\u{85}',
        '\u{2028}', '\u{2029}',
    ];
    CLAUSE_BREAKS.contains(&c)
}

/// The run class of a visible separator that is weak alone and clause punctuation when doubled
/// (see [`Normalizer::fold_into`]): [`SEP_DOT`], [`SEP_DASH`], [`SEP_SPACE`], or 0.
pub(super) fn separator_class(c: char) -> u8 {
    match c {
        '.' => SEP_DOT,
        '-' | '\u{2010}' | '\u{2013}' | '\u{2014}' | '\u{2015}' => SEP_DASH,
        c if c.is_whitespace() => SEP_SPACE,
        _ => 0,
    }
}

/// Latin, Greek, Cyrillic (and IPA) letters, whose diacritics step 3 removes.
pub(super) fn strips_diacritics(c: char) -> bool {
    matches!(c as u32, 0..=0x058F | 0x1E00..=0x1FFF)
}

/// Letters and digits of scripts that separate words with spaces. These are Latin, Greek,
/// Cyrillic and Armenian, with their extension blocks. See [`CharFlags::is_word`].
pub(super) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        && matches!(c as u32,
            0..=0x058F | 0x1C80..=0x1C8F | 0x1D00..=0x1FFF | 0x2C60..=0x2C7F | 0x2DE0..=0x2DFF
            | 0xA640..=0xA69F | 0xA720..=0xA7FF | 0xAB30..=0xAB6F)
}
