//! The order a reader sees. Bidi controls (U+202A–U+202E embeddings and overrides, U+2066–U+2069
//! isolates) make a renderer show characters in another order than they are stored:
//! `\u{202E}支枪售出` is displayed `出售枪支`. The feature library reads such a field a second time
//! in display order, computed by the Unicode Bidirectional Algorithm (UAX #9, the `unicode-bidi`
//! crate), and maps every hit back to code points of the stored text.

use std::sync::OnceLock;

use unicode_bidi::data_source::BidiDataSource;
use unicode_bidi::{BidiClass, BidiInfo, HardcodedBidiData};

/// The crate's own bidi classes (`HardcodedBidiData`), with the two kinds of character that fill
/// Chinese text looked up without its binary search: ASCII from a table built from the crate's
/// data, and CJK Unified Ideographs (U+4E00–U+9FFF), all class L in the UCD.
struct Classes;

impl BidiDataSource for Classes {
    #[inline]
    fn bidi_class(&self, c: char) -> BidiClass {
        static ASCII: OnceLock<[BidiClass; 128]> = OnceLock::new();
        match c as u32 {
            0..=0x7F => ASCII.get_or_init(|| {
                std::array::from_fn(|b| HardcodedBidiData.bidi_class(char::from(b as u8)))
            })[c as usize],
            0x4E00..=0x9FFF => BidiClass::L,
            _ => HardcodedBidiData.bidi_class(c),
        }
    }
}

/// Whether `c` is an explicit bidi formatting character (UAX #9 §2: LRE, RLE, PDF, LRO, RLO,
/// LRI, RLI, FSI, PDI).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A text in display order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisualText {
    /// The characters in the order they are displayed, bidi controls left out.
    pub text: String,
    /// Per character of `text`: its index (in code points) in the stored text.
    pub logical: Vec<usize>,
}

impl VisualText {
    /// The stored text's code-point span `(start, end)` covering the displayed characters
    /// `start..end` (`start < end ≤ text.chars().count()`); `None` for an empty or out-of-range
    /// span.
    pub fn logical_span(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        let chars = self.logical.get(start..end)?;
        let lo = chars.iter().min()?;
        let hi = chars.iter().max()?;
        Some((*lo, hi + 1))
    }
}

/// Whether `c` can make a renderer reorder a line: an explicit bidi control, the right-to-left
/// and Arabic letter marks (U+200F RLM, U+061C ALM), or a right-to-left letter (Hebrew, Arabic,
/// Syriac, Thaana, N'Ko, … and their presentation forms). With the paragraph direction taken
/// from the first strong character, one such character at a paragraph's start lays out the
/// left-to-right runs after it from right to left: `\u{200F}赌场\u{200F}网络` shows `网络赌场`.
pub fn may_reorder(c: char) -> bool {
    is_bidi_control(c)
        || matches!(c, '\u{200F}' | '\u{061C}'
            | '\u{0590}'..='\u{08FF}' | '\u{FB1D}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}'
            | '\u{10800}'..='\u{10FFF}' | '\u{1E800}'..='\u{1EFFF}')
}

/// A paragraph separator (bidi class B): each paragraph is laid out on its own.
fn is_paragraph_separator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{1C}'..='\u{1E}' | '\u{85}' | '\u{2029}')
}

/// `text` in display order, if some paragraph of it can be reordered ([`may_reorder`]) and is;
/// `None` otherwise (then the stored order is what a reader sees). Each paragraph is laid out
/// as one line, its direction from its first strong character (UAX #9 P2–P3). Only the
/// paragraphs with such characters go through the algorithm, each on its own, so this is linear
/// in the length of the text.
pub fn visual(text: &str) -> Option<VisualText> {
    if !text.chars().any(may_reorder) {
        return None;
    }
    let mut out = VisualText {
        text: String::with_capacity(text.len()),
        logical: Vec::with_capacity(text.chars().count()),
    };
    let mut reordered = false;
    // Code-point index of the next paragraph's first character.
    let mut first = 0usize;
    // Paragraphs that need the algorithm, gathered into chunks of about CHUNK_BYTES: one
    // `BidiInfo` per chunk instead of one per paragraph (a text of 87k three-character
    // paragraphs took 40 ms in allocations), while each paragraph's layout still copies no more
    // than its chunk's levels (`visual_runs` clones the levels of the whole text it was given).
    let mut chunk: Option<(usize, usize, usize)> = None; // (byte start, byte end, first code point)
    let mut flush = |chunk: &mut Option<(usize, usize, usize)>, out: &mut VisualText| {
        if let Some((from, to, at)) = chunk.take() {
            reordered |= lay_out(&text[from..to], at, out);
        }
    };
    let mut at_byte = 0usize;
    while at_byte < text.len() {
        let rest = &text[at_byte..];
        let end = rest
            .char_indices()
            .find(|&(_, c)| is_paragraph_separator(c))
            .map_or(rest.len(), |(i, c)| i + c.len_utf8());
        let para = &rest[..end];
        let count = para.chars().count();
        if para.chars().any(may_reorder) {
            match &mut chunk {
                Some((_, to, _)) => *to = at_byte + end,
                None => chunk = Some((at_byte, at_byte + end, first)),
            }
            if chunk.is_some_and(|(from, to, _)| to - from >= CHUNK_BYTES) {
                flush(&mut chunk, &mut out);
            }
        } else {
            flush(&mut chunk, &mut out);
            out.text.push_str(para);
            out.logical.extend(first..first + count);
        }
        first += count;
        at_byte += end;
    }
    flush(&mut chunk, &mut out);
    reordered.then_some(out)
}

/// Paragraphs to reorder are laid out together up to about this many bytes
/// ([`visual`]); a longer paragraph is a chunk of its own.
const CHUNK_BYTES: usize = 256;

/// Appends the paragraphs of `para` (starting at code point `first` of the text) in display
/// order; whether any character moved.
fn lay_out(para: &str, first: usize, out: &mut VisualText) -> bool {
    // Byte offset of each character: a run's first character is found by binary search, the
    // rest of the run counts on from it.
    let starts: Vec<u32> = para.char_indices().map(|(b, _)| b as u32).collect();
    let info = BidiInfo::new_with_data_source(&Classes, para, None);
    let mut reordered = false;
    for p in &info.paragraphs {
        let (levels, runs) = info.visual_runs(p, p.range.clone());
        for run in runs {
            let rtl = levels[run.start].is_rtl();
            let at = first + starts.partition_point(|&b| (b as usize) < run.start);
            let run_text = &para[run.clone()];
            let mut push = |i: usize, c: char| {
                if is_bidi_control(c) {
                    return;
                }
                reordered |= out.logical.last().is_some_and(|&last| i < last);
                out.text.push(c);
                out.logical.push(i);
            };
            if rtl {
                let n = run_text.chars().count();
                for (k, c) in run_text.chars().rev().enumerate() {
                    push(at + n - 1 - k, c);
                }
            } else {
                for (k, c) in run_text.chars().enumerate() {
                    push(at + k, c);
                }
            }
        }
    }
    reordered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_is_read_as_displayed() {
        let v = visual("我们\u{202E}支枪售出\u{202C}，私聊").unwrap();
        assert_eq!(v.text, "我们出售枪支，私聊");
        // `出售枪支` is displayed at 2..6 and stored at 3..7 (after the RLO at 2).
        assert_eq!(v.logical_span(2, 6), Some((3, 7)));
    }

    #[test]
    fn a_right_to_left_mark_turns_the_paragraph() {
        let v = visual("\u{200F}赌场\u{200F}网络").unwrap();
        assert_eq!(v.text.replace('\u{200F}', ""), "网络赌场");
    }

    #[test]
    fn many_paragraphs_stay_linear_and_exact() {
        let text = "\u{202E}博赌\n".repeat(20_000);
        let v = visual(&text).unwrap();
        assert_eq!(v.text, "赌博\n".repeat(20_000));
        assert_eq!(v.logical_span(0, 2), Some((1, 3)));
    }

    #[test]
    fn the_fast_classes_agree_with_the_crate() {
        for c in (0u32..0x80)
            .chain(0x4E00..=0x9FFF)
            .filter_map(char::from_u32)
        {
            assert_eq!(
                Classes.bidi_class(c),
                HardcodedBidiData.bidi_class(c),
                "{c:?}"
            );
        }
    }

    #[test]
    fn no_controls_or_no_reordering_is_none() {
        assert_eq!(visual("出售枪支"), None);
        // An isolate around left-to-right text changes nothing.
        assert_eq!(visual("出售\u{2066}枪支\u{2069}"), None);
    }

    #[test]
    fn only_the_overridden_paragraph_is_reordered() {
        // An RTL isolate does not reverse left-to-right ideographs; an override does.
        let v = visual("a\u{2067}支枪\u{2069}b\n\u{202E}博赌").unwrap();
        assert_eq!(v.text, "a支枪b\n赌博");
        assert_eq!(v.logical.len(), v.text.chars().count());
        assert_eq!(v.logical_span(5, 7), Some((8, 10)));
    }
}
