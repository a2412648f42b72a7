//! HTML inside text: tags and comments are skipped, character references (`&nbsp;`, `&amp;`,
//! `&#36172;`, `&#x8D4C;`) fold as the character they stand for. [`Normalizer::fold_into`]
//! asks [`markup_at`] at every `<` and `&`; the folded characters keep spans into the
//! original text, over the whole tag or entity.
//!
//! Only well-formed markup is taken: a tag is `<`, an optional `/`, an ASCII letter, then
//! anything but `<` and `>` up to `>` within 512 bytes; a comment is `<!--` … `-->` within
//! 4096 bytes; a named reference is one of the names below, a numeric one is `&#` digits `;`
//! or `&#x` hex digits `;` naming a scalar value. Anything else is an ordinary `<` or `&` (a
//! separator), so `a<b`, `1 < 2 > 0` and `AT&T` stay as they were.
//!
//! Block-level tags (`<br>`, `<p>`, `<div>`, `<li>`, `<tr>`, `<td>`, headings, …) count as a
//! line break (a clause break); inline tags (`<b>`, `<span>`, `<a …>`, …) are invisible, as
//! they are to a reader: `赌<b>博</b>` is `赌博`.

use super::CharFlags;
#[cfg(doc)]
use super::Normalizer;

/// What a piece of markup folds as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Markup {
    /// A tag or comment: skipped, giving the next folded character these [`CharFlags`] bits.
    Tag(u8),
    /// A character reference: folds as this character.
    Char(char),
}

/// The markup at the start of `s` (which starts with `<` or `&`): its length in code points
/// and what it folds as, or `None` when it is not markup.
pub(super) fn markup_at(s: &str) -> Option<(u32, Markup)> {
    let bytes = s.as_bytes();
    let (len, markup) = match bytes.first()? {
        b'<' => tag(bytes)?,
        b'&' => entity(bytes)?,
        _ => return None,
    };
    Some((s[..len].chars().count() as u32, markup))
}

/// A tag or comment at the start of `b`: its length in bytes.
fn tag(b: &[u8]) -> Option<(usize, Markup)> {
    if b.starts_with(b"<!--") {
        let window = &b[4..b.len().min(4096)];
        let end = window.windows(3).position(|w| w == b"-->")?;
        return Some((4 + end + 3, Markup::Tag(0)));
    }
    let name_from = if b.get(1) == Some(&b'/') { 2 } else { 1 };
    if !b.get(name_from)?.is_ascii_alphabetic() {
        return None;
    }
    let window = &b[..b.len().min(512)];
    let end = window[1..].iter().position(|&c| c == b'>' || c == b'<')? + 1;
    if window[end] != b'>' {
        return None;
    }
    let name: Vec<u8> = b[name_from..end]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .map(u8::to_ascii_lowercase)
        .collect();
    const BLOCK: &[&[u8]] = &[
        b"br",
        b"p",
        b"div",
        b"li",
        b"ul",
        b"ol",
        b"tr",
        b"td",
        b"th",
        b"table",
        b"h1",
        b"h2",
        b"h3",
        b"h4",
        b"h5",
        b"h6",
        b"hr",
        b"section",
        b"article",
        b"blockquote",
        b"pre",
        b"header",
        b"footer",
        b"dd",
        b"dt",
    ];
    let bits = if BLOCK.contains(&name.as_slice()) {
        CharFlags::GAP_BEFORE | CharFlags::CLAUSE_BREAK_BEFORE
    } else {
        0
    };
    Some((end + 1, Markup::Tag(bits)))
}

/// A character reference at the start of `b`: its length in bytes and its character.
fn entity(b: &[u8]) -> Option<(usize, Markup)> {
    let window = &b[..b.len().min(12)];
    let end = window.iter().position(|&c| c == b';')?;
    let body = std::str::from_utf8(&b[1..end]).ok()?;
    let ch = if let Some(num) = body.strip_prefix('#') {
        let value = match num.strip_prefix(['x', 'X']) {
            Some(hex) if !hex.is_empty() && hex.bytes().all(|c| c.is_ascii_hexdigit()) => {
                u32::from_str_radix(hex, 16).ok()?
            }
            _ if !num.is_empty() && num.bytes().all(|c| c.is_ascii_digit()) => num.parse().ok()?,
            _ => return None,
        };
        char::from_u32(value)?
    } else {
        match body {
            "nbsp" | "ensp" | "emsp" | "thinsp" => ' ',
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "shy" | "zwj" | "zwnj" => '\u{200B}',
            "middot" => '·',
            "hellip" => '…',
            "mdash" => '—',
            "ndash" => '–',
            "ldquo" => '“',
            "rdquo" => '”',
            "lsquo" => '‘',
            "rsquo" => '’',
            "times" => '×',
            "copy" => '©',
            "reg" => '®',
            _ => return None,
        }
    };
    Some((end + 1, Markup::Char(ch)))
}
