//! The text the news detector and attribution read: the original with its letters and digits
//! folded as the feature library folds them ([`Normalizer::fold_text`]: NFKC, so full-width
//! digits become ASCII; traditional → simplified; case), zero-width and format characters and
//! `*` dropped, and the punctuation the cue patterns need (colons, brackets, line breaks) kept as
//! written. A second view also drops spaces between two Han characters, or a Han character and
//! a digit (`新 华 社 1 月 5 日 电`). Each
//! character of a view maps back to its code-point span in the original, so cue offsets stay
//! code-point offsets into the original field.

use crate::text::normalize::{is_default_ignorable, Folded, Normalizer};

/// One folded view of a text.
#[derive(Debug, Clone, Default)]
pub struct NewsText {
    /// The view's text.
    pub text: String,
    /// Byte offset in `text` of each of its characters, plus `text.len()` at the end.
    starts: Vec<u32>,
    /// Per character of `text`: its `(start, end)` code-point span in the original.
    spans: Vec<(u32, u32)>,
    /// Byte offset of each code point of the original, plus its length at the end (shared by
    /// the two views).
    original_starts: std::sync::Arc<[u32]>,
}

impl NewsText {
    /// The two views of `original`: spaces kept, and spaces between Han characters dropped.
    /// The second is `None` when it would equal the first.
    pub fn views(original: &str) -> (NewsText, Option<NewsText>) {
        let folded = Normalizer::shared().fold_text(original);
        Self::views_of_folded(original, &folded)
    }

    /// [`NewsText::views`] of `original` folded already by [`Normalizer::shared`] (the
    /// `news_source` stage folds each field once for the views and the rumour check).
    pub fn views_of_folded(original: &str, folded: &Folded) -> (NewsText, Option<NewsText>) {
        let original_starts: std::sync::Arc<[u32]> = original
            .char_indices()
            .map(|(b, _)| b as u32)
            .chain(std::iter::once(original.len() as u32))
            .collect();
        let chars: Vec<char> = original.chars().collect();
        let keep = build(&chars, folded, false, &original_starts);
        // Without a space inside a line there is nothing to join.
        if !chars.iter().any(|&c| is_space(c)) {
            return (keep, None);
        }
        let joined = build(&chars, folded, true, &original_starts);
        let joined = (joined.text.len() != keep.text.len()).then_some(joined);
        (keep, joined)
    }

    /// The original code-point span of the view's bytes `start..end` (char boundaries of
    /// `self.text`, `start < end`).
    pub fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        let i = self.char_index(start);
        let j = self.char_index(end);
        if i >= j || j > self.spans.len() {
            let at = self.spans.get(i).map_or(0, |s| s.0 as usize);
            return (at, at);
        }
        (self.spans[i].0 as usize, self.spans[j - 1].1 as usize)
    }

    /// The original text at code points `start..end`.
    pub fn original_slice<'a>(&self, original: &'a str, start: usize, end: usize) -> &'a str {
        let b = self.original_starts[start] as usize;
        let e = self.original_starts[end] as usize;
        &original[b..e]
    }

    /// Character index of byte offset `byte` of the view (a char boundary).
    fn char_index(&self, byte: usize) -> usize {
        self.starts
            .binary_search(&(byte as u32))
            .unwrap_or_else(|i| i)
    }
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// A space inside a line (not a line break).
fn is_space(c: char) -> bool {
    c.is_whitespace() && c != '\n' && c != '\r'
}

/// One view: folded letters and digits, kept punctuation, dropped ignorables (and, with
/// `join`, spaces between Han characters).
fn build(
    chars: &[char],
    folded: &Folded,
    join: bool,
    original_starts: &std::sync::Arc<[u32]>,
) -> NewsText {
    let mut out = NewsText {
        text: String::with_capacity(chars.len() * 3),
        starts: Vec::with_capacity(chars.len() + 1),
        spans: Vec::with_capacity(chars.len()),
        original_starts: original_starts.clone(),
    };
    let push = |out: &mut NewsText, c: char, span: (u32, u32)| {
        out.starts.push(out.text.len() as u32);
        out.text.push(c);
        out.spans.push(span);
    };
    // Whether the next character after `i` that is neither a space nor dropped is Han, or a
    // digit (`新 华 社 1 月 5 日 电`).
    let mut next_solid = vec![(false, false); if join { chars.len() } else { 0 }];
    let mut ahead = (false, false);
    for (k, &c) in chars.iter().enumerate().rev().take(next_solid.len()) {
        next_solid[k] = ahead;
        if !(is_space(c) || is_default_ignorable(c) || c == '*' || c == '＊') {
            ahead = (is_han(c), c.is_ascii_digit() || ('０'..='９').contains(&c));
        }
    }
    let mut f = folded
        .text
        .chars()
        .zip(folded.spans.iter().copied())
        .peekable();
    let mut i = 0usize;
    while i < chars.len() {
        let at = i as u32;
        // Skip folded characters that started before (expansions already emitted).
        while f.peek().is_some_and(|(_, s)| s.0 < at) {
            f.next();
        }
        if f.peek().is_some_and(|(_, s)| s.0 == at) {
            let mut end = at + 1;
            while let Some((c, s)) = f.next_if(|(_, s)| s.0 == at) {
                push(&mut out, c, s);
                end = end.max(s.1);
            }
            i = end as usize;
            continue;
        }
        let c = chars[i];
        let drop = is_default_ignorable(c)
            || c == '*'
            || c == '＊'
            || (join
                && is_space(c)
                && out.text.chars().next_back().is_some_and(|p| {
                    let (next_han, next_digit) = next_solid[i];
                    (is_han(p) && (next_han || next_digit)) || (p.is_ascii_digit() && next_han)
                }));
        if !drop {
            // The feature library drops decorated digits between ideographs as separators (a
            // disguise there); a news cue needs them as digits (`北京１月５日电`).
            let c = match c {
                '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                _ => c,
            };
            push(&mut out, c, (at, at + 1));
        }
        i += 1;
    }
    out.starts.push(out.text.len() as u32);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_fold_and_map_back() {
        let s = "新華社北京1月5日電 國務院今天";
        let (v, j) = NewsText::views(s);
        assert_eq!(v.text, "新华社北京1月5日电 国务院今天");
        let j = j.unwrap();
        assert_eq!(j.text, "新华社北京1月5日电国务院今天");
        let b = j.text.find("电").unwrap();
        assert_eq!(j.original_span(0, b + '电'.len_utf8()), (0, 10));
        let s = "新\u{200B}华 社*北京１月５日电";
        let (v, j) = NewsText::views(s);
        assert_eq!(v.text, "新华 社北京1月5日电");
        assert_eq!(j.unwrap().text, "新华社北京1月5日电");
        assert_eq!(v.original_slice(s, 0, 4), "新\u{200B}华 ");
    }
}
