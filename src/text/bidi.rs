//! The order a reader sees. Bidi controls (U+202A–U+202E embeddings and overrides, U+2066–U+2069
//! isolates) make a renderer show characters in another order than they are stored:
//! `\u{202E}支枪售出` is displayed `出售枪支`. The feature library reads such a field a second time
//! in display order, computed by the Unicode Bidirectional Algorithm (UAX #9, the `unicode-bidi`
//! crate), and maps every hit back to code points of the stored text.

use unicode_bidi::BidiInfo;

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

/// `text` in display order, if it has bidi controls and they change the order; `None`
/// otherwise (then the stored order is what a reader sees). Each paragraph is laid out as one
/// line. Linear in the length of the text.
pub fn visual(text: &str) -> Option<VisualText> {
    if !text.chars().any(is_bidi_control) {
        return None;
    }
    // Code-point index of each byte offset that starts a character.
    let mut index_of = vec![0usize; text.len() + 1];
    for (i, (b, _)) in text.char_indices().enumerate() {
        index_of[b] = i;
    }
    let info = BidiInfo::new(text, None);
    let mut out = VisualText {
        text: String::with_capacity(text.len()),
        logical: Vec::with_capacity(text.len()),
    };
    let mut reordered = false;
    for para in &info.paragraphs {
        let (levels, runs) = info.visual_runs(para, para.range.clone());
        for run in runs {
            let rtl = levels[run.start].is_rtl();
            let chars = text[run.clone()]
                .char_indices()
                .map(|(b, c)| (run.start + b, c))
                .filter(|&(_, c)| !is_bidi_control(c));
            let mut push = |(b, c): (usize, char)| {
                let i = index_of[b];
                reordered |= out.logical.last().is_some_and(|&last| i < last);
                out.text.push(c);
                out.logical.push(i);
            };
            if rtl {
                chars.rev().for_each(&mut push);
            } else {
                chars.for_each(&mut push);
            }
        }
    }
    reordered.then_some(out)
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
