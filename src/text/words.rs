//! Chinese words: one shared segmenter (the `jieba-rs` crate, MIT, with its bundled dictionary)
//! for the rules that need word boundaries rather than characters.
//!
//! Offsets are code points (Unicode scalar values), never bytes. The segmenter is built once,
//! lazily, on first use (a fraction of a second and some tens of MiB for the dictionary), behind a
//! [`std::sync::OnceLock`]; after that every call only reads it and may run on any thread.
//!
//! The feature-library work (branch `lexicon`) adds the same module with more functions (word
//! boundary checks for lexicon hits); this file keeps to the part both share, [`cut`].

use std::ops::Range;
use std::sync::OnceLock;

use jieba_rs::Jieba;

fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

/// Segments `text` into words (jieba's default mode, dictionary only, no HMM guessing, so the
/// result depends only on the dictionary): consecutive ranges in code points that cover the
/// whole text, punctuation and spaces as words of their own.
pub fn cut(text: &str) -> Vec<Range<usize>> {
    jieba()
        .cut(text, false)
        .into_iter()
        .map(|t| t.start..t.end)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_covers_the_text_in_code_points() {
        let text = "吃碘盐可以防核辐射，🙂快转！";
        let words = cut(text);
        assert_eq!(words.first().map(|r| r.start), Some(0));
        assert_eq!(words.last().map(|r| r.end), Some(text.chars().count()));
        assert!(words.windows(2).all(|w| w[0].end == w[1].start));
        let chars: Vec<char> = text.chars().collect();
        let as_text: Vec<String> = words
            .iter()
            .map(|r| chars[r.clone()].iter().collect())
            .collect();
        assert!(as_text.contains(&"碘盐".to_string()), "{as_text:?}");
        assert!(as_text.contains(&"核辐射".to_string()), "{as_text:?}");
    }
}
