//! Unit tests of the normalizer, and `shared()`, the one normalizer all tests in the crate use.

use std::sync::{Arc, OnceLock};

use unicode_normalization::char::decompose_canonical;
use unicode_normalization::UnicodeNormalization;

use super::chars::*;
use super::steps::*;
use super::table::*;
use super::*;

/// One normalizer for all tests in the crate: building it is the slow part.
pub(crate) fn shared() -> Arc<Normalizer> {
    static N: OnceLock<Arc<Normalizer>> = OnceLock::new();
    N.get_or_init(|| Arc::new(Normalizer::new())).clone()
}

#[test]
fn entries_stay_small() {
    assert_eq!(std::mem::size_of::<Entry>(), 8);
}

#[test]
fn precomputed_bits_match_the_folded_characters() {
    let n = shared();
    let expect = |ch: char| {
        let mut bits = word_bit(ch);
        if ch.is_ascii_alphanumeric() {
            bits |= CharFlags::ASCII_ALNUM;
        } else if is_ideograph(ch) {
            bits |= CharFlags::IDEOGRAPH;
        }
        if ch.is_ascii_lowercase() {
            bits |= LATIN;
        }
        bits
    };
    for cp in 0..TABLE_LEN {
        let Some(c) = char::from_u32(cp) else {
            continue;
        };
        let decorated = if decorated_alnum(c).is_some() {
            DECORATED
        } else {
            0
        };
        let folded: Vec<char> = match n.entry(c) {
            Entry::One { ch, .. } => vec![ch],
            Entry::Many(i, _) => {
                let (start, end) = n.many[i as usize];
                n.pool[start as usize..end as usize]
                    .iter()
                    .map(|p| p.ch)
                    .collect()
            }
            _ => Vec::new(),
        };
        let soft = if is_soft_separator(c, &folded) {
            SOFT
        } else {
            0
        };
        match n.entry(c) {
            Entry::One { ch, bits } => {
                assert_eq!(bits, expect(ch) | decorated | soft, "U+{cp:04X}")
            }
            Entry::Many(i, d) => {
                assert_eq!(d, decorated != 0, "U+{cp:04X}");
                let (start, end) = n.many[i as usize];
                for p in &n.pool[start as usize..end as usize] {
                    assert_eq!(p.bits, expect(p.ch) | soft, "U+{cp:04X}");
                    let greek = match n.entry(p.ch) {
                        Entry::Greek { latin, .. } => Some(latin),
                        _ => None,
                    };
                    assert_eq!(p.greek, greek, "U+{cp:04X}");
                }
            }
            Entry::Greek { .. } | Entry::Attach | Entry::Skip(_) => {}
        }
    }
}

/// The fold loop as it was before the table carried precomputed bits (commit 7273f60),
/// classifying each folded character as it goes: the reference that
/// `fold_matches_the_reference` compares the fast loop with.
fn fold_reference(n: &Normalizer, text: &str) -> Folded {
    #[derive(Default)]
    struct State {
        pending: u8,
        last_class: u8,
        attach: bool,
        last_decorated: bool,
        last_latin: bool,
        run: Option<(usize, bool, bool)>,
        fixes: Vec<(usize, char)>,
    }
    impl State {
        fn push(
            &mut self,
            out: &mut Folded,
            ch: char,
            at: u32,
            word: u8,
            decorated: bool,
            greek: Option<u8>,
        ) {
            let index = out.folded_len();
            let mut flags = self.pending | word;
            if ch.is_ascii_alphanumeric() {
                flags |= CharFlags::ASCII_ALNUM;
            } else if is_ideograph(ch) {
                flags |= CharFlags::IDEOGRAPH;
            }
            if decorated != self.last_decorated && index > 0 {
                flags |= CharFlags::GAP_BEFORE;
            }
            match greek {
                Some(latin) => {
                    let (_, _, all) = self.run.get_or_insert((index, self.last_latin, true));
                    if latin == 0 {
                        *all = false;
                        self.fixes.clear();
                    } else if *all {
                        self.fixes.push((index, latin as char));
                    }
                }
                None if self.run.is_some() => self.end_run(out, ch.is_ascii_lowercase()),
                None => {}
            }
            out.push(ch, at, flags);
            self.pending = 0;
            self.last_class = 0;
            self.attach = true;
            self.last_decorated = decorated;
            self.last_latin = ch.is_ascii_lowercase();
        }
        fn end_run(&mut self, out: &mut Folded, latin_after: bool) {
            if let Some((from, latin_before, all)) = self.run.take() {
                if all && (latin_before || latin_after) {
                    out.replace(from, &self.fixes);
                }
                self.fixes.clear();
            }
        }
        fn skip(&mut self, bits: u8) {
            if bits & CharFlags::GAP_BEFORE != 0 {
                let class = bits & (SEP_DOT | SEP_DASH | SEP_SPACE);
                let doubled = self.last_class != 0 && class == self.last_class;
                let dot_space = self.last_class == SEP_DOT && class == SEP_SPACE;
                if doubled || dot_space {
                    self.pending |= CharFlags::CLAUSE_BREAK_BEFORE;
                }
                self.last_class = class & (SEP_DOT | SEP_DASH);
            }
            self.pending |= bits & FLAG_BITS;
            self.attach = false;
        }
    }
    let mut out = Folded::default();
    let mut state = State::default();
    for (at, c) in (0u32..).zip(text.chars()) {
        match n.entry(c) {
            Entry::One { ch, bits } => {
                let word = if is_word_char(ch) {
                    CharFlags::WORD | digit_bit(ch)
                } else {
                    0
                };
                state.push(&mut out, ch, at, word, bits & DECORATED != 0, None);
            }
            Entry::Greek { ch, latin } => {
                state.push(&mut out, ch, at, CharFlags::WORD, false, Some(latin));
            }
            Entry::Many(i, decorated) => {
                let (start, end) = n.many[i as usize];
                for p in &n.pool[start as usize..end as usize] {
                    let greek = match n.entry(p.ch) {
                        Entry::Greek { latin, .. } => Some(latin),
                        _ => None,
                    };
                    state.push(&mut out, p.ch, at, word_bit(p.ch), decorated, greek);
                }
            }
            Entry::Attach => {
                if state.attach {
                    out.extend_last_span(at + 1);
                }
            }
            Entry::Skip(bits) => state.skip(bits),
        }
    }
    state.end_run(&mut out, false);
    out
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// The fast fold loop gives exactly what the straightforward one gives: text,
        /// spans and flags, over text dense in what the new rules look at.
        #[test]
        fn fold_matches_the_reference(
            text in prop_oneof![
                "[a-dA-D0-9\u{0430}\u{0410}\u{0435}\u{043B}\u{0501}\u{03B1}\u{03BD}\u{03BF}\u{10140}🅰🇦❶Ⓐ⒈㈠ﬁ１ａ .,。\\-赌博賭网\u{200B}\u{301}\u{FE0F}😀]{0,40}",
                any::<String>(),
            ],
        ) {
            let n = shared();
            // The reference predates soft separators between ideographs and HTML markup.
            let soft = text.chars().any(|c| {
                let folded: Vec<char> = n.fold_text(&c.to_string()).text.chars().collect();
                is_soft_separator(c, &folded)
            });
            let ideograph = fold_reference(&n, &text).text.chars().any(is_ideograph);
            if (soft && ideograph) || text.contains(['<', '&', '\u{20E3}']) {
                // Covered by `soft_separators_between_ideographs` and `html_inside_text`.
                return Ok(());
            }
            prop_assert_eq!(n.fold_text(&text), fold_reference(&n, &text));
        }
    }
}

#[test]
fn fold_term_table() {
    let n = shared();
    let cases: &[(&str, &str, &str)] = &[
        ("full-width latin", "ＤＡＩＫＡＩ", "daikai"),
        ("mixed case", "DaiKai", "daikai"),
        ("dotted", "d.a.i.k.a.i", "daikai"),
        ("circled digits", "①②③", "123"),
        ("parenthesized ideograph", "㈠", "一"),
        ("math bold", "𝐝𝐚𝐢", "dai"),
        ("ligature", "ﬁ", "fi"),
        ("sharp s", "Straße", "strasse"),
        ("final sigma", "ΟΔΟΣ", "οδοσ"),
        ("precomposed accent", "ÉCOLE", "ecole"),
        ("combining accent", "e\u{301}cole", "ecole"),
        ("pinyin tones", "dǔ bó", "dubo"),
        ("traditional", "賭博", "赌博"),
        ("traditional gun", "槍", "枪"),
        ("extension b", "𠀀𡻕", "𠀀𡻕"),
        ("compatibility supplement", "\u{2F800}\u{2F8B2}", "丽成"),
        ("compatibility ideograph", "\u{F907}", "龟"),
        ("star", "赌*博", "赌博"),
        ("space", "赌 博", "赌博"),
        ("ideographic space", "赌\u{3000}博", "赌博"),
        ("dot", "赌.博", "赌博"),
        ("zero width space", "赌\u{200B}博", "赌博"),
        ("bom and bidi", "赌\u{FEFF}\u{202E}博", "赌博"),
        ("emoji", "赌😀博", "赌博"),
        ("zwj family", "赌👨\u{200D}👩\u{200D}👧博", "赌博"),
        ("skin tone", "赌👍🏽博", "赌博"),
        ("variation selector", "赌\u{FE0F}博", "赌博"),
        ("keycap", "1\u{FE0F}\u{20E3}2\u{FE0F}\u{20E3}", "12"),
        ("tag sequence", "赌🏴\u{E0067}\u{E0062}\u{E007F}博", "赌博"),
        ("hangul filler", "赌\u{3164}博", "赌博"),
        ("clause punctuation", "赌。博！", "赌博"),
        ("hangul kept", "도박", "도박"),
        ("kana kept", "ギャンブル", "ギャンブル"),
        ("only separators", " *。\u{200B}😀", ""),
        ("lone marks", "\u{301}\u{302}", ""),
        ("empty", "", ""),
    ];
    for (name, input, want) in cases {
        assert_eq!(n.fold_term(input), *want, "{name}: {input:?}");
    }
}

#[test]
fn spans_point_into_the_original() {
    let n = shared();
    type Spans = &'static [(u32, u32)];
    // (input, folded, spans)
    let cases: &[(&str, &str, Spans)] = &[
        ("賭博", "赌博", &[(0, 1), (1, 2)]),
        ("x赌*博", "x赌博", &[(0, 1), (1, 2), (3, 4)]),
        ("ﬁx", "fix", &[(0, 1), (0, 1), (1, 2)]),
        ("e\u{301}a", "ea", &[(0, 2), (2, 3)]),
        ("1\u{FE0F}\u{20E3}2", "12", &[(0, 3), (3, 4)]),
        ("\u{301}a", "a", &[(1, 2)]),
        ("a\u{200B}\u{301}b", "ab", &[(0, 1), (3, 4)]),
        ("𠀀a", "𠀀a", &[(0, 1), (1, 2)]),
    ];
    for (input, folded, spans) in cases {
        let f = n.fold_text(input);
        assert_eq!(f.text, *folded, "{input:?}");
        assert_eq!(f.spans, *spans, "{input:?}");
        assert_eq!(f.flags.len(), f.len());
    }
}

#[test]
fn flags() {
    let n = shared();
    // (input, per folded char: (word, gap_before, clause_break_before))
    type Want = &'static [(bool, bool, bool)];
    let cases: &[(&str, Want)] = &[
        ("ab", &[(true, false, false), (true, false, false)]),
        ("a b", &[(true, false, false), (true, true, false)]),
        ("a\u{200B}b", &[(true, false, false), (true, false, false)]),
        ("ａ，ｂ", &[(true, false, false), (true, true, true)]),
        ("赌*博", &[(false, false, false), (false, true, false)]),
        ("赌。博", &[(false, false, false), (false, true, true)]),
        ("赌\n博", &[(false, false, false), (false, true, true)]),
        ("赌😀、博", &[(false, false, false), (false, true, true)]),
        ("é1", &[(true, false, false), (true, false, false)]),
        // A lone full stop or dash is a weak separator; doubled, or `. `, it ends a clause.
        ("a.b", &[(true, false, false), (true, true, false)]),
        ("a．b", &[(true, false, false), (true, true, false)]),
        ("a..b", &[(true, false, false), (true, true, true)]),
        ("a.\u{200B}.b", &[(true, false, false), (true, true, true)]),
        ("a. b", &[(true, false, false), (true, true, true)]),
        ("a .b", &[(true, false, false), (true, true, false)]),
        ("a.*.b", &[(true, false, false), (true, true, false)]),
        ("a…b", &[(true, false, false), (true, true, true)]),
        ("a‥b", &[(true, false, false), (true, true, true)]),
        ("赌⋯博", &[(false, false, false), (false, true, true)]),
        ("a-b", &[(true, false, false), (true, true, false)]),
        ("赌—博", &[(false, false, false), (false, true, false)]),
        ("赌——博", &[(false, false, false), (false, true, true)]),
        ("a--b", &[(true, false, false), (true, true, true)]),
        ("a-.b", &[(true, false, false), (true, true, false)]),
        ("赌：博", &[(false, false, false), (false, true, true)]),
        ("a:b", &[(true, false, false), (true, true, true)]),
        ("赌\r\n博", &[(false, false, false), (false, true, true)]),
        ("赌\t博", &[(false, false, false), (false, true, false)]),
        // A dot inside one character's own NFKC expansion (`⒈` is `1.`) sets nothing.
        ("⒈a", &[(true, false, false), (true, false, false)]),
        ("Жa", &[(true, false, false), (true, false, false)]),
    ];
    for (input, want) in cases {
        let f = n.fold_text(input);
        let got: Vec<_> = f
            .flags
            .iter()
            .map(|f| (f.is_word(), f.gap_before(), f.clause_break_before()))
            .collect();
        assert_eq!(got, *want, "{input:?}");
    }
}

#[test]
fn digit_flags() {
    let n = shared();
    // (input, per folded char: is_digit)
    let cases: &[(&str, &[bool])] = &[
        ("a1", &[false, true]),
        ("１①²", &[true, true, true]),
        ("x9\u{FE0F}\u{20E3}", &[false, true]),
        ("赌3", &[false, true]),
        ("٣", &[false]), // Arabic-Indic three: not a word character, so not a digit here
    ];
    for (input, want) in cases {
        let f = n.fold_text(input);
        let got: Vec<bool> = f.flags.iter().map(|f| f.is_digit()).collect();
        assert_eq!(got, *want, "{input:?}");
        assert!(f.flags.iter().all(|f| !f.is_digit() || f.is_word()));
    }
}

#[test]
fn decorated_digits_and_letters() {
    let n = shared();
    let cases: &[(&str, &str, &str)] = &[
        // What NFKC already folds.
        ("circled digits", "①②⑩", "1210"),
        ("parenthesized digits", "⑴⑵", "12"),
        ("digits with full stop", "⒈⒉", "12"),
        ("circled letters", "ⒹⒶⒾ", "dai"),
        ("parenthesized letters", "⒟⒜⒤", "dai"),
        ("squared letters", "🄳🄰🄸", "dai"),
        ("math bold", "𝐝𝐚𝐢𝐤𝐚𝐢", "daikai"),
        ("math double-struck digits", "𝟙𝟚𝟛", "123"),
        ("keycaps", "1\u{FE0F}\u{20E3}8\u{20E3}", "18"),
        // What only the decorated table folds.
        ("negative circled digits", "❶❷❸❿", "12310"),
        ("circled sans-serif digits", "➀➁➉", "1210"),
        ("negative circled sans-serif", "➊➋➓", "1210"),
        ("negative circled numbers", "⓫⓴⓿", "11200"),
        ("double circled digits", "⓵⓶⓾", "1210"),
        ("negative circled letters", "🅓🅐🅘", "dai"),
        ("negative squared letters", "🅳🅰🅸🅺🅰🅸", "daikai"),
        ("with emoji presentation", "🅰\u{FE0F}🅱\u{FE0F}", "ab"),
        ("regional indicators", "🇩🇦🇮🇰🇦🇮", "daikai"),
        ("keycap ten", "🔟", "10"),
        ("pinyin letters of GB 2312", "dɑikɑi ɡ", "daikaig"),
        ("small capitals", "ᴅᴀɪᴋᴀɪ 3ᴅ", "daikai3d"),
        ("letters with a hook", "ɗaikai ɓƙ", "daikaibk"),
    ];
    for (name, input, want) in cases {
        assert_eq!(n.fold_term(input), *want, "{name}: {input:?}");
    }
    // NFKC leaves every character of the decorated table alone: the table is needed.
    for cp in (0x2000..0x2800).chain(0x1F100..0x1F600) {
        let c = char::from_u32(cp).unwrap();
        if decorated_alnum(c).is_some() {
            assert!(std::iter::once(c).nfkc().eq([c]), "U+{cp:04X}");
        }
    }
}

#[test]
fn decorated_and_plain_characters_are_separate_words() {
    let n = shared();
    // (input, per folded char: (word, gap_before))
    type Want = &'static [(bool, bool)];
    let cases: &[(&str, Want)] = &[
        ("🅿\u{FE0F}ab", &[(true, false), (true, true), (true, false)]),
        ("🇨🇳a", &[(true, false), (true, false), (true, true)]),
        ("a🅰b", &[(true, false), (true, true), (true, true)]),
        ("❶❷", &[(true, false), (true, false)]),
        // Between ideographs a decorated digit is a soft separator: dropped, leaving a gap.
        ("赌❶博", &[(false, false), (false, true)]),
        ("a❶博", &[(true, false), (true, true), (false, true)]),
    ];
    for (input, want) in cases {
        let f = n.fold_text(input);
        let got: Vec<_> = f
            .flags
            .iter()
            .map(|f| (f.is_word(), f.gap_before()))
            .collect();
        assert_eq!(got, *want, "{input:?}");
    }
}

#[test]
fn look_alike_table() {
    let table = look_alikes();
    // Cyrillic, then Greek, then capitals that look like Latin capitals.
    for (c, latin) in [
        ('\u{0430}', 'a'), // а
        ('\u{0435}', 'e'), // е
        ('\u{043E}', 'o'), // о
        ('\u{0440}', 'p'), // р
        ('\u{0441}', 'c'), // с
        ('\u{0445}', 'x'), // х
        ('\u{0443}', 'y'), // у
        ('\u{0456}', 'i'), // і
        ('\u{0458}', 'j'), // ј
        ('\u{0455}', 's'), // ѕ
        ('\u{04BB}', 'h'), // һ
        ('\u{0501}', 'd'), // ԁ
        ('\u{03BF}', 'o'), // ο
        ('\u{03B9}', 'i'), // ι
        ('\u{03BD}', 'v'), // ν
        ('\u{03C1}', 'p'), // ρ
        ('\u{043A}', 'k'), // к (К)
        ('\u{043C}', 'm'), // м (М)
        ('\u{0442}', 't'), // т (Т)
        ('\u{0432}', 'b'), // в (В)
        ('\u{043D}', 'h'), // н (Н)
        ('\u{03BA}', 'k'), // κ (Κ)
    ] {
        assert_eq!(table.get(&c).map(|&b| b as char), Some(latin), "{c:?}");
    }
    // Letters with no Latin look-alike.
    for c in ['\u{043B}', '\u{0434}', '\u{0436}', '\u{03BB}', '\u{03C0}'] {
        assert_eq!(table.get(&c), None, "{c:?}"); // л д ж λ π
    }
    assert!(table
        .keys()
        .all(|&c| is_greek_or_cyrillic_letter(c) && c.to_lowercase().eq([c])));
    assert!(table.values().all(u8::is_ascii_lowercase));
}

#[test]
fn look_alikes_fold_only_next_to_latin_letters() {
    let n = shared();
    let cases: &[(&str, &str, &str)] = &[
        ("cyrillic a inside", "d\u{0430}ik\u{0430}i", "daikai"),
        ("cyrillic capitals", "D\u{0410}IK\u{0410}I", "daikai"),
        (
            "run of look-alikes",
            "\u{0501}\u{0430}\u{0456}k\u{0430}\u{0456}",
            "daikai",
        ),
        ("greek", "g\u{03BF}\u{03B9}p", "goip"),
        ("across separators", "d.\u{0430}.i k\u{0430}i", "daikai"),
        ("after latin only", "ka\u{0456}", "kai"),
        // Negative controls: not next to a Latin letter, or a letter without a look-alike.
        (
            "russian word",
            "\u{0441}\u{043E}\u{0441}\u{043D}\u{0430}",
            "сосна",
        ),
        ("greek word", "\u{03B1}\u{03BD}", "αν"),
        ("next to ideographs", "出售\u{043A}粉", "出售к粉"),
        ("next to digits", "1\u{0430}2", "1а2"),
        (
            "run with a letter without look-alike",
            "d\u{043B}\u{0430}i",
            "dлаi",
        ),
        ("greek word between chinese", "用\u{03B1}粒子", "用α粒子"),
    ];
    for (name, input, want) in cases {
        assert_eq!(n.fold_term(input), *want, "{name}: {input:?}");
        // Spans and flags stay in step with the folded text.
        let f = n.fold_text(input);
        assert_eq!(f.text.chars().count(), f.spans.len(), "{name}");
        assert_eq!(n.fold_term(want), *want, "idempotent: {name}");
    }
}

#[test]
fn original_span_covers_separators() {
    let f = shared().fold_text("来赌*博吧");
    assert_eq!(f.original_span(1..3), Some((1, 4)));
    assert_eq!(f.original_span(0..0), None);
    assert_eq!(f.original_span(3..5), None);
}

#[test]
fn table_is_idempotent_and_keeps_only_matchable_chars() {
    let n = shared();
    let mut buf = [0u8; 4];
    for cp in (0..TABLE_LEN).step_by(7).chain(0x4E00..0xA000) {
        let Some(c) = char::from_u32(cp) else {
            continue;
        };
        let once = n.fold_term(c.encode_utf8(&mut buf));
        assert_eq!(n.fold_term(&once), once, "U+{cp:04X}");
        assert!(
            once.chars().all(char::is_alphanumeric),
            "U+{cp:04X} -> {once:?}"
        );
    }
}

#[test]
fn beyond_the_table_only_canonical_singletons_decompose() {
    for cp in (TABLE_LEN..0x4_0000).chain(0xE_0000..0xE_1000) {
        let Some(c) = char::from_u32(cp) else {
            continue;
        };
        let nfkc: Vec<char> = std::iter::once(c).nfkc().collect();
        let mut canonical = Vec::new();
        decompose_canonical(c, |d| canonical.push(d));
        assert_eq!(nfkc, canonical, "U+{cp:04X}");
        assert!(
            nfkc.len() == 1 && c.to_lowercase().eq([c]) && c.to_uppercase().eq([c]),
            "U+{cp:04X}"
        );
    }
}

#[test]
fn odd_input_does_not_panic() {
    let n = shared();
    for input in [
        "\u{10FFFF}\u{E0001}\u{F0000}",
        "\u{301}",
        "\u{FE0F}",
        &"赌博。".repeat(100_000),
    ] {
        let f = n.fold_text(input);
        let total = input.chars().count() as u32;
        assert!(f.spans.iter().all(|&(s, e)| s < e && e <= total));
    }
}

#[test]
fn soft_separators_between_ideographs() {
    let n = shared();
    let cases: &[(&str, &str)] = &[
        ("赌丶博", "赌博"),
        ("赌丨博", "赌博"),
        ("枪丿支", "枪支"),
        ("赌〇博", "赌博"),
        ("赌ー博", "赌博"),
        ("赌々博", "赌博"),
        ("枪🇨🇳支", "枪支"),
        ("赌1\u{FE0F}\u{20E3}博", "赌博"),
        ("赌①②博", "赌博"),
        ("赌❶博", "赌博"),
        ("赌１博", "赌博"),
        ("赌 丨 博", "赌博"),
        // Real text keeps them.
        ("二〇二六年", "二〇二六年"),
        ("一九九〇年代", "一九九〇年代"),
        ("ラーメン", "ラーメン"),
        ("人々が", "人々が"),
        ("第①条", "第条"),
        ("①赌博", "1赌博"),
        ("x丨y", "x丨y"),
        ("1\u{FE0F}\u{20E3}", "1"),
    ];
    for (text, want) in cases {
        assert_eq!(n.fold_text(text).text, *want, "{text}");
    }
    // The span of a dropped run belongs to nobody; the kept characters point at themselves.
    let f = n.fold_text("赌1\u{FE0F}\u{20E3}博");
    assert_eq!(f.spans, vec![(0, 1), (4, 5)]);
    assert!(f.flags[1].gap_before());
    let f = n.fold_text("a1\u{FE0F}\u{20E3}b");
    assert_eq!(f.text, "a1b");
    assert_eq!(f.spans, vec![(0, 1), (1, 4), (4, 5)]);
}

#[test]
fn html_inside_text() {
    let n = shared();
    let cases: &[(&str, &str)] = &[
        ("赌<b>博</b>", "赌博"),
        ("赌<span style=\"color:red\">博</span>", "赌博"),
        ("赌&nbsp;博", "赌博"),
        ("&#36172;&#x535A;", "赌博"),
        ("赌<!-- x -->博", "赌博"),
        ("a<b", "ab"),
        ("AT&T", "att"),
        ("1 < 2 > 0", "120"),
        ("&bogus;x", "bogusx"),
    ];
    for (text, want) in cases {
        assert_eq!(n.fold_text(text).text, *want, "{text}");
    }
    let f = n.fold_text("x&#36172;<i>博</i>");
    assert_eq!(f.text, "x赌博");
    assert_eq!(f.spans, vec![(0, 1), (1, 9), (12, 13)]);
    let f = n.fold_text("赌<br>博");
    assert!(f.flags[1].clause_break_before());
}

#[test]
fn radicals_and_variants() {
    let n = shared();
    for (text, want) in [
        ("⻩色", "黄色"),
        ("⻜机", "飞机"),
        ("⻋", "车"),
        ("⼈", "人"),
        ("躶聊", "裸聊"),
        ("鎗", "枪"),
        ("约砲", "约炮"),
    ] {
        assert_eq!(n.fold_text(text).text, want, "{text}");
    }
    // Every table row is two single characters.
    for table in [RADICALS, VARIANTS] {
        let rows = table
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .count();
        assert_eq!(data_pairs(table).count(), rows);
    }
}

#[test]
fn split_characters() {
    let n = shared();
    for (text, want) in [
        ("贝者博", "赌博"),
        ("出售钅仓支", "出售枪支"),
        ("衤果聊", "裸聊"),
        ("贝", "贝"),
        ("者", "者"),
    ] {
        assert_eq!(n.fold_text(text).text, want, "{text}");
    }
    let f = n.fold_text("x贝者博");
    assert_eq!(f.spans, vec![(0, 1), (1, 3), (3, 4)]);
    let rows = SPLIT
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count();
    assert_eq!(split_pairs().len(), rows);
}
