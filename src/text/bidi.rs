//! The order a reader sees. Bidi controls (U+202A–U+202E embeddings and overrides, U+2066–U+2069
//! isolates) make a renderer show characters in another order than they are stored:
//! `\u{202E}支枪售出` is displayed `出售枪支`. The feature library reads such a field a second time
//! in display order, computed by the Unicode Bidirectional Algorithm (UAX #9, the `unicode-bidi`
//! crate), and maps every hit back to code points of the stored text.

use std::sync::OnceLock;

use unicode_bidi::data_source::BidiDataSource;
use unicode_bidi::{BidiClass, BidiInfo, HardcodedBidiData};

/// The crate's own bidi classes (`HardcodedBidiData`), with the characters that fill Chinese text
/// looked up without its binary search: CJK Unified Ideographs (U+4E00–U+9FFF, all class L in
/// the UCD), and from tables built once from the crate's data, ASCII, General Punctuation
/// (U+2000–U+206F: the marks, zero-width characters and bidi controls an evader inserts), CJK
/// punctuation (U+3000–U+303F), the full-width forms (U+FF00–U+FFEF) and Hebrew and Arabic
/// (U+0590–U+06FF: the right-to-left letters an evader inserts, and the [`proxy`]'s).
struct Classes;

/// The blocks [`Classes`] reads from a table: (first code point, number of code points).
const TABLED: [(u32, usize); 5] = [
    (0, 0x80),
    (0x0590, 0x170),
    (0x2000, 0x70),
    (0x3000, 0x40),
    (0xFF00, 0xF0),
];

impl BidiDataSource for Classes {
    #[inline]
    fn bidi_class(&self, c: char) -> BidiClass {
        static TABLES: OnceLock<[Vec<BidiClass>; 5]> = OnceLock::new();
        let tables = || {
            TABLES.get_or_init(|| {
                TABLED.map(|(first, len)| {
                    (first..first + len as u32)
                        .map(|u| {
                            char::from_u32(u)
                                .map_or(BidiClass::L, |c| HardcodedBidiData.bidi_class(c))
                        })
                        .collect()
                })
            })
        };
        let u = c as u32;
        match u {
            0x4E00..=0x9FFF => BidiClass::L,
            0..=0x7F => tables()[0][u as usize],
            0x0590..=0x06FF => tables()[1][(u - 0x0590) as usize],
            0x2000..=0x206F => tables()[2][(u - 0x2000) as usize],
            0x3000..=0x303F => tables()[3][(u - 0x3000) as usize],
            0xFF00..=0xFFEF => tables()[4][(u - 0xFF00) as usize],
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
    let flush = |chunk: &mut Option<(usize, usize, usize)>, out: &mut VisualText| {
        chunk
            .take()
            .is_some_and(|(from, to, at)| lay_out(&text[from..to], at, out))
    };
    let mut memo = Memo::default();
    // The characters of a paragraph laid out from the memo.
    let mut para_chars: Vec<char> = Vec::new();
    let mut at_byte = 0usize;
    while at_byte < text.len() {
        let rest = &text[at_byte..];
        // One pass: where the paragraph ends, its characters, whether it may reorder.
        let (mut end, mut count, mut reorders) = (rest.len(), 0usize, false);
        for (i, c) in rest.char_indices() {
            count += 1;
            reorders |= may_reorder(c);
            if is_paragraph_separator(c) {
                end = i + c.len_utf8();
                break;
            }
        }
        let para = &rest[..end];
        let known = (reorders && para.len() <= MEMO_MAX_BYTES)
            .then(|| memo.order(para))
            .flatten();
        if let Some((order, moved)) = known {
            // A short paragraph whose class sequence was laid out before (or is now).
            reordered |= flush(&mut chunk, &mut out);
            para_chars.clear();
            para_chars.extend(para.chars());
            for &i in order {
                out.text.push(para_chars[i as usize]);
                out.logical.push(first + i as usize);
            }
            reordered |= *moved;
        } else if reorders {
            match &mut chunk {
                Some((_, to, _)) => *to = at_byte + end,
                None => chunk = Some((at_byte, at_byte + end, first)),
            }
            if chunk.is_some_and(|(from, to, _)| to - from >= CHUNK_BYTES) {
                reordered |= flush(&mut chunk, &mut out);
            }
        } else {
            reordered |= flush(&mut chunk, &mut out);
            out.text.push_str(para);
            out.logical.extend(first..first + count);
        }
        first += count;
        at_byte += end;
    }
    reordered |= flush(&mut chunk, &mut out);
    reordered.then_some(out)
}

/// Paragraphs of at most this many bytes are laid out through the [`Memo`].
const MEMO_MAX_BYTES: usize = 256;

/// The memo holds at most this many class sequences; paragraphs of other sequences are then
/// laid out in chunks.
const MEMO_MAX_ENTRIES: usize = 1024;

/// Display orders of short paragraphs by their class sequence (their [`proxy`]): the layout
/// depends on nothing else, so a text of many paragraphs alike (`\u{202E}博赌\n` repeated, or
/// Chinese lines of one length after an override) runs the algorithm once per sequence instead
/// of once per paragraph.
#[derive(Default)]
struct Memo {
    /// Proxy of a paragraph → per shown character, its index in the paragraph (controls left
    /// out), and whether any character moved.
    orders: rustc_hash::FxHashMap<String, (Vec<u32>, bool)>,
    /// The proxy of the paragraph last asked about.
    key: String,
}

impl Memo {
    /// The display order of `para` (per shown character its index in the paragraph, and
    /// whether any character moved), laid out and kept when new and there is room; `None` when
    /// the memo is full and lacks it.
    fn order(&mut self, para: &str) -> Option<&(Vec<u32>, bool)> {
        self.key.clear();
        push_proxy(para, &mut self.key);
        if !self.orders.contains_key(&self.key) {
            if self.orders.len() >= MEMO_MAX_ENTRIES {
                return None;
            }
            let mut laid = VisualText {
                text: String::new(),
                logical: Vec::new(),
            };
            let moved = lay_out_via(&self.key, &self.key, 0, &mut laid);
            let order = laid.logical.iter().map(|&i| i as u32).collect();
            self.orders.insert(self.key.clone(), (order, moved));
        }
        self.orders.get(&self.key)
    }
}

/// Paragraphs to reorder are laid out together up to about this many bytes
/// ([`visual`]); a longer paragraph is a chunk of its own.
const CHUNK_BYTES: usize = 256;

/// Appends the paragraphs of `para` (starting at code point `first` of the text) in display
/// order; whether any character moved.
fn lay_out(para: &str, first: usize, out: &mut VisualText) -> bool {
    lay_out_via(para, &proxy(para), first, out)
}

/// `text` with each character replaced by a character of the same bidi class and the fewest
/// UTF-8 bytes (`a` for L, `א` for R, `0` for EN, …). The algorithm reads a character only for
/// its class (and, for class ON, its paired bracket; those are kept, as are explicit controls,
/// paragraph separators and marks), while `unicode-bidi` keeps its classes and levels per byte:
/// Chinese text, three bytes a character, is laid out a third the size.
fn proxy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_proxy(text, &mut out);
    out
}

/// Appends the [`proxy`] of `text` to `out`.
fn push_proxy(text: &str, out: &mut String) {
    for c in text.chars() {
        out.push(match Classes.bidi_class(c) {
            BidiClass::L => 'a',
            BidiClass::R => '\u{05D0}',
            BidiClass::AL => '\u{0627}',
            BidiClass::EN => '0',
            BidiClass::ES => '+',
            BidiClass::ET => '$',
            BidiClass::AN => '\u{0660}',
            BidiClass::CS => ',',
            BidiClass::BN => '\u{1}',
            BidiClass::S => '\t',
            BidiClass::WS => ' ',
            _ => c,
        });
    }
}

/// [`lay_out`] with the layout computed on `proxy`, a text of the same length in characters
/// whose every character has the bidi class of the one at its place in `para`.
fn lay_out_via(para: &str, proxy: &str, first: usize, out: &mut VisualText) -> bool {
    let stored: Vec<char> = para.chars().collect();
    let info = BidiInfo::new_with_data_source(&Classes, proxy, None);
    let mut reordered = false;
    // A run's first code point: from the run shown before it when the two are neighbours in
    // the stored text too (the common case, also for a right-to-left line, whose runs come in
    // reverse), else from an index of the paragraph, built on first need.
    let mut index: Option<CharsBefore> = None;
    let mut previous: Option<(std::ops::Range<usize>, usize, usize)> = None; // (bytes, first cp, chars)
    for p in &info.paragraphs {
        let (levels, runs) = info.visual_runs(p, p.range.clone());
        for run in runs {
            let n = proxy[run.clone()].chars().count();
            let at = match &previous {
                Some((r, at, _)) if run.end == r.start => at - n,
                Some((r, at, count)) if run.start == r.end => at + count,
                _ => index
                    .get_or_insert_with(|| CharsBefore::new(proxy))
                    .at(run.start),
            };
            previous = Some((run.clone(), at, n));
            let chars = &stored[at..at + n];
            let at = first + at;
            let rtl = levels[run.start].is_rtl();
            if !rtl && !chars.iter().any(|&c| is_bidi_control(c)) {
                // Shown as stored: copied whole.
                reordered |= n > 0 && out.logical.last().is_some_and(|&last| at < last);
                out.text.extend(chars);
                out.logical.extend(at..at + n);
                continue;
            }
            let mut push = |i: usize, c: char| {
                if is_bidi_control(c) {
                    return;
                }
                reordered |= out.logical.last().is_some_and(|&last| i < last);
                out.text.push(c);
                out.logical.push(i);
            };
            if rtl {
                for (k, &c) in chars.iter().enumerate().rev() {
                    push(at + k, c);
                }
            } else {
                for (k, &c) in chars.iter().enumerate() {
                    push(at + k, c);
                }
            }
        }
    }
    reordered
}

/// Code-point index of a byte offset in O(1): the number of characters that start in each
/// 64-byte block before it, then a count of the character starts (bytes that are not UTF-8
/// continuation bytes) in its own block. The table is a 64th of the text's length, so it stays
/// in cache where a per-character table would not (a run-per-character text has 262k runs).
struct CharsBefore<'a> {
    bytes: &'a [u8],
    /// Per 64-byte block: the characters that start before it.
    blocks: Vec<u32>,
}

impl<'a> CharsBefore<'a> {
    const BLOCK: usize = 64;

    fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let mut blocks = Vec::with_capacity(bytes.len() / Self::BLOCK + 2);
        let mut count = 0u32;
        for block in bytes.chunks(Self::BLOCK) {
            blocks.push(count);
            count += count_starts(block) as u32;
        }
        // For the text's length when it ends on a block boundary.
        blocks.push(count);
        Self { bytes, blocks }
    }

    /// Characters of the text before byte `at` (a character boundary, at most the text's length).
    fn at(&self, at: usize) -> usize {
        let block = at / Self::BLOCK;
        self.blocks[block] as usize + count_starts(&self.bytes[block * Self::BLOCK..at])
    }
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

fn count_starts(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| !is_continuation(b)).count()
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
    fn every_shown_character_maps_to_its_stored_character() {
        // Runs whose neighbours on screen are not neighbours in store (`ab`, then `hg`), nested
        // embeddings, right-to-left letters, several paragraphs.
        for text in [
            "ab\u{202E}cd\u{202A}ef\u{202C}gh\u{202C}ij",
            "\u{200F}赌场\u{200F}网络\n前\u{202E}支枪\u{202C}后",
            "שלום 出售 עולם 枪支 123",
            "x\u{2067}א b ג\u{2069}y\u{202B}d\u{202D}e\u{202C}ש\u{202C}f",
        ] {
            let stored: Vec<char> = text.chars().collect();
            let v = visual(text).unwrap_or_else(|| panic!("{text:?} is not reordered"));
            let shown: Vec<char> = v.text.chars().collect();
            assert_eq!(shown.len(), v.logical.len(), "{text:?}");
            for (k, c) in shown.iter().enumerate() {
                assert_eq!(stored[v.logical[k]], *c, "{text:?} at {k}");
            }
            let mut seen = v.logical.clone();
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(
                seen.len(),
                v.logical.len(),
                "{text:?}: a character shown twice"
            );
        }
    }

    /// The layout of `text` by the crate on the text itself.
    fn visual_direct(text: &str) -> VisualText {
        let mut out = VisualText {
            text: String::new(),
            logical: Vec::new(),
        };
        lay_out_via(text, text, 0, &mut out);
        out
    }

    #[test]
    fn the_proxy_text_lays_out_as_the_text() {
        // Characters of every class, brackets (paired by character, so kept), controls, marks
        // and separators, in pseudo-random strings (a fixed-seed linear congruential generator).
        let alphabet: Vec<char> =
            "赌场a1+$,\u{0660}\u{05D0}\u{0627}\u{0300} \t\n\u{2029}!。，「」()[]{}〈〉《》\
             \u{200B}\u{200E}\u{200F}\u{061C}\u{202A}\u{202B}\u{202C}\u{202D}\u{202E}\
             \u{2066}\u{2067}\u{2068}\u{2069}\u{00A0}\u{3000}%#\u{FF10}Ａ"
                .chars()
                .collect();
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for len in (1..40).chain([200, 600]) {
            for _ in 0..200 {
                let text: String = (0..len)
                    .map(|_| {
                        seed = seed
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        alphabet[(seed >> 33) as usize % alphabet.len()]
                    })
                    .collect();
                let direct = visual_direct(&text);
                let mut via = VisualText {
                    text: String::new(),
                    logical: Vec::new(),
                };
                lay_out(&text, 0, &mut via);
                assert_eq!(via, direct, "{text:?}");
                // And `visual` (memo, chunks, paragraphs copied as stored) agrees with the
                // crate laying out the whole text.
                match visual(&text) {
                    Some(v) => assert_eq!(v, direct, "{text:?}"),
                    None => assert!(
                        direct.logical.windows(2).all(|w| w[0] < w[1]),
                        "{text:?} reorders"
                    ),
                }
            }
        }
    }

    #[test]
    fn more_paragraph_kinds_than_the_memo_holds_are_laid_out_in_chunks() {
        let text: String = (0..MEMO_MAX_ENTRIES + 100)
            .map(|k| {
                format!(
                    "\u{202E}{}{}赌博\n",
                    "支".repeat(k % 20 + 1),
                    " ".repeat(k / 20 + 1)
                )
            })
            .collect();
        assert_eq!(visual(&text).unwrap(), visual_direct(&text));
    }

    #[test]
    fn chars_before_counts_code_points() {
        let text = "a中\u{200F}b𝄞".repeat(40);
        let index = CharsBefore::new(&text);
        for (cp, (byte, _)) in text.char_indices().enumerate() {
            assert_eq!(index.at(byte), cp, "byte {byte}");
        }
        assert_eq!(index.at(text.len()), text.chars().count());
        let exact = "ab".repeat(64);
        assert_eq!(CharsBefore::new(&exact).at(exact.len()), 128);
        assert_eq!(CharsBefore::new("").at(0), 0);
    }

    #[test]
    fn the_fast_classes_agree_with_the_crate() {
        for c in TABLED
            .iter()
            .flat_map(|&(first, len)| first..first + len as u32)
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
