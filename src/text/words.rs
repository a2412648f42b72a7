//! Chinese words: one shared segmenter (the `jieba-rs` crate, MIT, with its bundled
//! dictionary of about 349k words plus the few of `data/lexicon/words.txt`) for the rules that
//! need to know where words are.
//!
//! Every offset here is in code points (Unicode scalar values), never bytes. The segmenter is
//! built once, lazily, on first use (about 0.3 s and ~60 MiB for the dictionary), behind a
//! [`std::sync::OnceLock`]; after that every call only reads it and may run on any thread.
//!
//! - [`cut`]: segment a text into words (dictionary only, no HMM guessing, so the result
//!   depends only on the dictionary).
//! - [`is_word`]: is this string a dictionary word?
//! - [`crossing_word`] / [`crossing_words`]: the word boundary rule of `docs/matching.md`:
//!   which words of the best segmentation cover the first or last character of a hit and
//!   reach outside it (`相约|炮台` for `约炮`). Only a window of [`MAX_WORD_CHARS`] characters on either side of
//!   the hit is segmented, so the cost is per candidate hit, not per text.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::OnceLock;

use jieba_rs::Jieba;

/// The curated additions (one word a line, `#` comments), compiled in.
const EXTRA_WORDS: &str = include_str!("../../data/lexicon/words.txt");

/// The longest word, in code points, that [`crossing_words`] looks for. Longer dictionary
/// words exist (idioms, names) but none crosses a hit meaningfully.
pub const MAX_WORD_CHARS: usize = 8;

struct Words {
    jieba: Jieba,
    /// The words of `data/lexicon/words.txt`: they may veto a hit they contain whole.
    curated: HashSet<String>,
}

fn words() -> &'static Words {
    static WORDS: OnceLock<Words> = OnceLock::new();
    WORDS.get_or_init(|| {
        let mut jieba = Jieba::new();
        let mut curated = HashSet::new();
        for line in EXTRA_WORDS.lines() {
            let word = line.split('#').next().unwrap_or("").trim();
            if word.is_empty() {
                continue;
            }
            jieba.add_word(word, None, None);
            curated.insert(word.to_owned());
        }
        Words { jieba, curated }
    })
}

/// The shared segmenter, built on first use. For uses beyond this module's functions.
pub fn segmenter() -> &'static Jieba {
    &words().jieba
}

/// Builds the segmenter now (it is otherwise built on first use), e.g. at startup so the first
/// event does not pay for it.
pub fn warm_up() {
    let _ = words();
}

/// True when `word` is a word of the dictionary (bundled or curated). Single characters that
/// the dictionary lists count too.
pub fn is_word(word: &str) -> bool {
    words().jieba.has_word(word)
}

/// True when `word` is one of the curated words of `data/lexicon/words.txt`.
pub fn is_curated(word: &str) -> bool {
    words().curated.contains(word)
}

/// Segments `text` into words (jieba's default mode, dictionary only): consecutive ranges in
/// code points that cover the whole text, punctuation and spaces as words of their own.
pub fn cut(text: &str) -> Vec<Range<usize>> {
    words()
        .jieba
        .cut(text, false)
        .into_iter()
        .map(|t| t.start..t.end)
        .collect()
}

/// Which end of a hit a [`Crossing`] word covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The word covers the hit's first character and starts before it (`相约` for `约炮`).
    Start,
    /// The word covers the hit's last character and ends after it (`炮台` for `约炮`).
    End,
}

/// A dictionary word that covers the first or last character of a hit and reaches outside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crossing {
    /// The word's place, code points into the `chars` given to [`crossing_words`].
    pub range: Range<usize>,
    /// The word.
    pub word: String,
    /// Which end of the hit it covers (a word covering both and reaching out on both sides
    /// is reported as `Start`).
    pub side: Side,
    /// True when the word contains the whole hit (`手枪式` ⊃ `手枪`): an extension, not a
    /// partial crossing.
    pub contains_hit: bool,
    /// True when the word is one of the curated words of `data/lexicon/words.txt`.
    pub curated: bool,
}

impl Crossing {
    /// Whether this word decides that the hit is not a hit (the boundary rule): a partial
    /// crossing always does; a word that contains the whole hit only when it is curated
    /// (the bundled dictionary holds violations such as `赌博机` ⊃ `赌博`).
    pub fn vetoes(&self) -> bool {
        !self.contains_hit || self.curated
    }
}

/// The words of 2 to [`MAX_WORD_CHARS`] code points that cover `chars[hit.start]` or
/// `chars[hit.end - 1]` and reach outside `hit`, in the segmenter's best segmentation
/// ([`cut`]) of the window `chars[hit.start - MAX_WORD_CHARS + 1 .. hit.end + MAX_WORD_CHARS
/// - 1]`; longest first (ties: leftmost first). The best segmentation, not every dictionary
/// word: `一把手枪` is `一把|手枪` (a pistol), although `一把手` (a leader) is a word too.
/// An empty or out-of-range `hit` gives an empty list.
pub fn crossing_words(chars: &[char], hit: Range<usize>) -> Vec<Crossing> {
    if hit.start >= hit.end || hit.end > chars.len() {
        return Vec::new();
    }
    let lo = hit.start.saturating_sub(MAX_WORD_CHARS - 1);
    let hi = (hit.end + MAX_WORD_CHARS - 1).min(chars.len());
    let window: String = chars[lo..hi].iter().collect();
    let w = words();
    let mut out: Vec<Crossing> = Vec::new();
    for token in w.jieba.cut(&window, false) {
        let (s, e) = (lo + token.start, lo + token.end);
        let len = e - s;
        if !(2..=MAX_WORD_CHARS).contains(&len) {
            continue;
        }
        let covers_start = s <= hit.start && hit.start < e;
        let covers_end = s < hit.end && hit.end <= e;
        let side = if covers_start && s < hit.start {
            Side::Start
        } else if covers_end && e > hit.end {
            Side::End
        } else {
            continue;
        };
        out.push(Crossing {
            range: s..e,
            word: token.word.to_owned(),
            side,
            contains_hit: s <= hit.start && hit.end <= e,
            curated: w.curated.contains(token.word),
        });
    }
    out.sort_by(|a, b| (b.range.len(), a.range.start).cmp(&(a.range.len(), b.range.start)));
    out
}

/// The longest word of [`crossing_words`] that [vetoes](Crossing::vetoes) the hit, if any:
/// the word a moderator is shown as the reason a hit was dropped.
pub fn crossing_word(chars: &[char], hit: Range<usize>) -> Option<Crossing> {
    crossing_words(chars, hit)
        .into_iter()
        .find(Crossing::vetoes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    fn find(text: &str, term: &str) -> Range<usize> {
        let c = chars(text);
        let t = chars(term);
        let start = (0..=c.len() - t.len())
            .find(|&i| c[i..i + t.len()] == t[..])
            .unwrap();
        start..start + t.len()
    }

    #[test]
    fn partial_crossings_veto() {
        for (text, term, word) in [
            ("周末我们相约炮台公园见面", "约炮", "炮台"),
            ("救援交通很快恢复", "援交", "交通"),
            ("教学楼凤凰花开", "楼凤", "教学楼"),
            ("代开发票务系统", "开发票", "代开发"),
        ] {
            let c = chars(text);
            let hit = find(text, term);
            let all: Vec<String> = crossing_words(&c, hit.clone())
                .into_iter()
                .map(|x| x.word)
                .collect();
            assert!(all.contains(&word.to_owned()), "{text}: {all:?}");
            assert!(crossing_word(&c, hit).is_some(), "{text}");
        }
    }

    #[test]
    fn curated_extension_vetoes_but_bundled_compound_does_not() {
        let c = chars("一把手枪式打火机");
        let x = crossing_word(&c, find("一把手枪式打火机", "手枪")).unwrap();
        assert_eq!(x.word, "手枪式");
        assert!(x.contains_hit && x.curated);
        // 赌博机 is a bundled word containing 赌博: reported, but it does not veto.
        let c = chars("出售赌博机");
        let hit = find("出售赌博机", "赌博");
        // 一把手 is a word, but the best segmentation is 一把|手枪.
        let c2 = chars("卖一把手枪");
        assert_eq!(crossing_word(&c2, find("卖一把手枪", "手枪")), None);
        assert!(crossing_words(&c, hit.clone())
            .iter()
            .any(|x| x.word == "赌博机"));
        assert_eq!(crossing_word(&c, hit), None);
    }

    #[test]
    fn standalone_term_has_no_crossing() {
        let c = chars("网上赌博害人");
        assert_eq!(crossing_word(&c, find("网上赌博害人", "赌博")), None);
        assert!(crossing_words(&c, 5..9).is_empty());
        assert!(crossing_words(&c, 3..3).is_empty());
    }

    #[test]
    fn cut_and_is_word_use_code_points() {
        assert!(is_word("炮台") && !is_word("约炮"));
        assert!(is_curated("手枪式") && is_word("手枪式"));
        let r = cut("a相约炮台");
        assert_eq!(r.first(), Some(&(0..1)));
        assert_eq!(r.last().map(|r| r.end), Some(5));
        assert!(r.contains(&(1..3)) && r.contains(&(3..5)), "{r:?}");
    }
}
