//! The folding steps for one character (see the module docs of [`super`]), and the data they
//! use: OpenCC `t2s`, the decorated digits and letters, Latin variants and look-alikes.

use std::collections::HashMap;
use std::ops::Range;

use ferrous_opencc::config::BuiltinConfig;
use ferrous_opencc::OpenCC;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

use super::chars::{
    is_clause_break, is_default_ignorable, is_greek_or_cyrillic_letter, separator_class,
    strips_diacritics,
};
use super::CharFlags;
#[cfg(doc)]
use super::Normalizer;

/// Code point blocks whose ideographs go through OpenCC `t2s` in [`Normalizer::new`]: CJK
/// Unified Ideographs Extension A, CJK Unified Ideographs and CJK Compatibility Ideographs.
pub(super) const T2S_RANGES: [Range<u32>; 3] = [0x3400..0x4DC0, 0x4E00..0xA000, 0xF900..0xFB00];

/// Greek and Cyrillic letters that look like an ASCII Latin letter: the confusables data of
/// UTS #39 (through the `unicode-security` crate), kept to letters whose skeleton, or whose
/// capital's skeleton, is one ASCII letter (`а` → `a`, `ο` → `o`, `ԁ` → `d`, `в` → `b`, since
/// `В` looks like `B` and case is folded anyway). Keys and values are lower case.
pub(super) type LookAlikes = HashMap<char, u8>;

/// Steps 1–5 for one character: writes the kept characters to `out` and returns the
/// [`CharFlags`] bits of the separators it dropped.
pub(super) fn fold_char(c: char, t2s: &HashMap<char, char>, out: &mut Vec<char>) -> u8 {
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
pub(super) fn t2s_map() -> HashMap<char, char> {
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
    // Our own tables, applied in the same step: CJK Radicals Supplement look-alikes (⻩ → 黄)
    // and variant ideographs t2s leaves alone (躶 → 裸). A target is itself converted, so the
    // table can name a traditional form (鎗 → 槍 → 枪).
    for (from, to) in data_pairs(RADICALS).chain(data_pairs(VARIANTS)) {
        let to = map.get(&to).copied().unwrap_or(to);
        map.insert(from, to);
    }
    map
}

/// `data/normalize/radicals.tsv`: CJK Radicals Supplement → unified ideograph, curated from the
/// UCD's EquivalentUnifiedIdeograph.txt (the file names its source and licence).
pub(super) const RADICALS: &str = include_str!("../../../data/normalize/radicals.tsv");
/// `data/normalize/variants.tsv`: variant ideographs that OpenCC t2s does not map.
pub(super) const VARIANTS: &str = include_str!("../../../data/normalize/variants.tsv");

/// The `from<TAB>to` rows of one of the tables above: `#` comments and blank lines skipped,
/// and a row that is not two single characters skipped too (a test checks there is none).
pub(super) fn data_pairs(table: &str) -> impl Iterator<Item = (char, char)> + '_ {
    table.lines().filter_map(|line| {
        let line = line.split('#').next()?.trim();
        let mut fields = line.split('\t').map(str::trim);
        let (from, to) = (fields.next()?, fields.next()?);
        let (mut f, mut t) = (from.chars(), to.chars());
        match (f.next(), f.next(), t.next(), t.next()) {
            (Some(a), None, Some(b), None) if a != b => Some((a, b)),
            _ => None,
        }
    })
}

/// The digits or the letter that an enclosed or decorated character shows, for those that NFKC
/// leaves alone because Unicode gives them no compatibility decomposition (NFKC already folds
/// `①`, `⑴`, `⒈`, `Ⓐ`, `🄰`, `🄐` and the mathematical alphanumerics `𝐝`). Letters come back
/// upper case. A test checks that NFKC leaves every one of these unchanged.
pub(super) fn decorated_alnum(c: char) -> Option<String> {
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
pub(super) fn latin_variant(c: char) -> Option<char> {
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

/// Builds [`LookAlikes`] from the UTS #39 confusables data of the `unicode-security` crate.
pub(super) fn look_alikes() -> LookAlikes {
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

/// `data/normalize/split.tsv`: split characters, `first<TAB>second<TAB>whole`.
pub(super) const SPLIT: &str = include_str!("../../../data/normalize/split.tsv");

/// The rows of [`SPLIT`] as `(first, second) → whole`; `#` comments and malformed rows skipped
/// (a test checks there is none).
pub(super) fn split_pairs() -> HashMap<(char, char), char> {
    let one = |s: &str| {
        let mut c = s.trim().chars();
        match (c.next(), c.next()) {
            (Some(a), None) => Some(a),
            _ => None,
        }
    };
    SPLIT
        .lines()
        .filter_map(|line| {
            let line = line.split('#').next()?;
            let mut f = line.split('\t');
            Some(((one(f.next()?)?, one(f.next()?)?), one(f.next()?)?))
        })
        .collect()
}
