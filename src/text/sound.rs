//! Sound-alikes of the feature library's terms (issue 11 item 4, `docs/matching.md` §2.6):
//! a term written in pinyin (`dubo`, `du bo`, `du4bo2`, `dǔ bó`, `DuBo`), in pinyin mixed with
//! its characters (`du博`, `赌bo`), in other characters that sound the same (`堵博`), or, for
//! terms of [`MIN_INITIALS`] or more characters, as its initials (`bjz` for 办假证: one whole
//! lowercase Latin word, not beside `@`, `.`, `_` and the like of an address or file name).
//!
//! Both sides become sequences of toneless syllables, read from the `pinyin` crate (MIT, data
//! from pinyin-data, itself from the Unihan database):
//! - **terms** (at build time): every ideographic `reject`/`hold` term of two or more
//!   characters, each character in its most common reading (`约炮` is `yue pao`);
//! - **text** (per field): each ideograph gives its most common reading; each run of Latin
//!   letters (ASCII, full-width, tone-marked vowels) is split into syllables, tone digits 1–5
//!   ending a syllable; a run that is not entirely pinyin is no syllable at all (`hello`,
//!   `db`). Spaces, zero-width characters and `*._-~·/\|'` between syllables are skipped; any
//!   other character (punctuation, digits, emoji, other scripts) ends a sequence.
//!
//! Syllables are folded further: `ü` is `u` (`lv`, `lu`, `lü` alike). Syllable sequences are
//! matched by one Aho–Corasick automaton (the `aho-corasick` crate) over 2-byte syllable ids.
//!
//! A match is a [`SoundHit`] unless its characters are the term's own (the matcher finds
//! those). Latin syllables must cover whole Latin runs (`dubo` in `dubox` is not a match). The
//! guards that decide whether a sound hit counts (dictionary words, context, at most `hold`)
//! live in the `prohibited` stage, which has the context rules; this module only finds.
//!
//! Offsets are code points of the original text.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use aho_corasick::{AhoCorasick, MatchKind};
use pinyin::{ToPinyin, ToPinyinMulti};

use super::matcher::{LexiconEntry, TermAction};
use super::normalize::{is_default_ignorable, Normalizer};

/// Terms shorter than this many syllables get no sound-alike (one syllable sounds like too
/// much ordinary text).
pub const MIN_SYLLABLES: usize = 2;

/// Words of the lexicon's terms whose characters are not said in their most common reading
/// there (`行` is `xing`, but `hang` in `银行`; `重` is `zhong`, but `chong` in `重庆`): a term
/// containing one gets a second syllable sequence with the word's reading, so `yin hang ka`
/// matches `银行卡` as `yin xing ka` still matches `yin行卡` (each character of a text is read in
/// its most common reading). Only these few, from the default lexicon's terms read one by one:
/// every reading of every character made innocent words sound like terms (`要保`, `yao bao`, for
/// `约炮`).
pub const WORD_READINGS: &[(&str, &str)] = &[("银行", "yin hang"), ("重庆", "chong qing")];

/// Terms shorter than this many characters get no initials: two letters (`db`, `yp`) are
/// everyday abbreviations. `examples/initials_corpus.rs` found none of the default lexicon's
/// initials of any length among the 14,934 Latin words of the corpora (`docs/matching.md`).
pub const MIN_INITIALS: usize = 3;

/// How a sound hit was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spelling {
    /// Latin letters only (`dubo`, `du4 bo2`).
    Pinyin,
    /// Ideographs only, at least one not the term's own (`堵博`).
    Homophone,
    /// Latin letters and ideographs (`du博`).
    Mixed,
    /// The initials of the term's syllables as one lowercase Latin word (`bjz` for 办假证).
    Initials,
}

impl Spelling {
    /// `pinyin`, `homophone` or `pinyin and characters`: for a finding's detail.
    pub fn as_str(self) -> &'static str {
        match self {
            Spelling::Pinyin => "pinyin",
            Spelling::Homophone => "homophone characters",
            Spelling::Mixed => "pinyin and characters",
            Spelling::Initials => "pinyin initials",
        }
    }
}

/// One sound-alike of a term in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SoundHit<'a> {
    /// First code point of the match in the original text.
    pub start: usize,
    /// One past its last code point.
    pub end: usize,
    /// The lexicon term it sounds like, as written in the lexicon.
    pub term: &'a str,
    /// The term's category.
    pub category: &'a str,
    /// The term's action (`reject` or `hold`).
    pub action: TermAction,
    /// The syllables matched, space-separated (`du bo`).
    pub reading: &'a str,
    /// How it was written.
    pub spelling: Spelling,
    /// The match's ideographs, in order, folded (traditional → simplified; empty for
    /// [`Spelling::Pinyin`]): what the dictionary word guard looks up.
    pub ideographs: String,
    /// How many of the match's ideographs are the term's own character at that place
    /// (`堵博` for `赌博`: 1).
    pub own: usize,
    /// Code points of the match's ideographs that are not the term's own (`堵` in `堵博`).
    pub substituted: Vec<usize>,
    /// Pinyin written as a name is: two or more words, each capitalized (`Yuan Jiao`).
    pub name_like: bool,
}

/// One term's syllable sequence (an automaton pattern).
struct SoundTerm {
    term: String,
    category: String,
    action: TermAction,
    reading: String,
    /// The term's characters folded (`Normalizer::fold_term`), to tell its own apart.
    folded: Vec<char>,
}

/// The sound-alike finder of a lexicon. Build once per lexicon ([`SoundAlikes::new`]).
pub struct SoundAlikes {
    /// Syllable (toneless, `ü` → `u`) → id (1-based; 0 ends a sequence in the stream). Fx hashing:
    /// a Latin run is looked up once per letter and syllable length, and the keys are the fixed
    /// pinyin syllables (nothing from an event is inserted).
    ids: FxHashMap<String, u16>,
    /// Longest syllable, in letters.
    longest: usize,
    /// Most common reading's id of each code point U+3400..=U+9FFF (0: none).
    basic: Vec<u16>,
    automaton: Option<AhoCorasick>,
    terms: Vec<SoundTerm>,
    /// Initials (`bjz`) of terms of [`MIN_INITIALS`] or more characters → index into `terms`
    /// (the first term with those initials).
    initials: HashMap<String, usize>,
}

const BASIC_FROM: u32 = 0x3400;
const BASIC_TO: u32 = 0x9FFF;

/// `ü` → `u`, the toneless spelling the ids use.
fn fold_syllable(s: &str) -> String {
    s.replace('ü', "u")
}

impl SoundAlikes {
    /// The finder for the `reject`/`hold` entries of `entries` whose terms are ideographs only
    /// (repeat marks `+` removed) and have at least [`MIN_SYLLABLES`] characters with a reading.
    pub fn new(entries: &[LexiconEntry]) -> Self {
        let mut ids: FxHashMap<String, u16> = FxHashMap::default();
        let mut basic = vec![0u16; (BASIC_TO - BASIC_FROM + 1) as usize];
        let id_of = |s: &str, ids: &mut FxHashMap<String, u16>| -> u16 {
            let s = fold_syllable(s);
            let next = ids.len() as u16 + 1;
            *ids.entry(s).or_insert(next)
        };
        for cp in BASIC_FROM..=BASIC_TO {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            if let Some(multi) = c.to_pinyin_multi() {
                for p in multi {
                    id_of(p.plain(), &mut ids);
                }
            }
            if let Some(p) = c.to_pinyin() {
                basic[(cp - BASIC_FROM) as usize] = id_of(p.plain(), &mut ids);
            }
        }
        let longest = ids.keys().map(|s| s.len()).max().unwrap_or(0);
        let normalizer = Normalizer::shared();
        let mut terms = Vec::new();
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut initials = HashMap::new();
        for e in entries {
            if e.action == TermAction::Allow {
                continue;
            }
            let plain: String = e.term.chars().filter(|&c| c != '+').collect();
            let chars: Vec<char> = plain.chars().collect();
            if chars.len() < MIN_SYLLABLES || !chars.iter().all(|&c| is_ideograph(c)) {
                continue;
            }
            // Each character's most common reading: how the term is said, and so what an
            // evader writes. (Rarer readings of the characters made innocent words sound like
            // terms: 约 read yao and 炮 read bao gave `要保`.)
            let Some(seq) = chars
                .iter()
                .map(|c| c.to_pinyin().map(|p| fold_syllable(p.plain())))
                .collect::<Option<Vec<String>>>()
            else {
                continue;
            };
            let mut said = seq.clone();
            for (word, reading) in WORD_READINGS {
                for (at, _) in plain.match_indices(word) {
                    let first = plain[..at].chars().count();
                    for (k, syl) in reading.split(' ').enumerate() {
                        said[first + k] = syl.to_string();
                    }
                }
            }
            let mut sequences = vec![seq.iter().map(String::as_str).collect::<Vec<&str>>()];
            if said != seq {
                sequences.push(said.iter().map(String::as_str).collect());
            }
            let folded: Vec<char> = normalizer.fold_term(&plain).chars().collect();
            if folded.len() != chars.len() {
                continue;
            }
            for seq in sequences {
                let reading = seq.join(" ");
                if !seen.insert((e.term.clone(), reading.clone())) {
                    continue;
                }
                let mut bytes = Vec::with_capacity(seq.len() * 2);
                for syl in &seq {
                    push_id(&mut bytes, ids[*syl]);
                }
                patterns.push(bytes);
                if chars.len() >= MIN_INITIALS {
                    let letters: String = seq.iter().filter_map(|s| s.chars().next()).collect();
                    initials.entry(letters).or_insert(terms.len());
                }
                terms.push(SoundTerm {
                    term: e.term.clone(),
                    category: e.category.clone(),
                    action: e.action,
                    reading,
                    folded: folded.clone(),
                });
            }
        }
        let automaton = (!patterns.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&patterns)
                .expect("syllable patterns are small")
        });
        SoundAlikes {
            ids,
            longest,
            basic,
            automaton,
            terms,
            initials,
        }
    }

    /// Number of syllable sequences (automaton patterns).
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// True when no term has a sound-alike.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The syllable id of ideograph `c`'s most common reading, if it has one.
    fn ideograph_id(&self, c: char) -> Option<u16> {
        let cp = c as u32;
        if (BASIC_FROM..=BASIC_TO).contains(&cp) {
            let id = self.basic[(cp - BASIC_FROM) as usize];
            return (id != 0).then_some(id);
        }
        c.to_pinyin()
            .and_then(|p| self.ids.get(&fold_syllable(p.plain())).copied())
    }

    /// Every sound hit in `text`, sorted by start, not overlapping (leftmost-longest). Hits
    /// whose characters are the term's own (after folding) are left out.
    pub fn find(&self, text: &str) -> Vec<SoundHit<'_>> {
        let Some(automaton) = &self.automaton else {
            return Vec::new();
        };
        let stream = self.stream(text);
        let mut hits = Vec::new();
        for &(start, end, index) in &stream.initials {
            let term = &self.terms[index as usize];
            hits.push(SoundHit {
                start: start as usize,
                end: end as usize,
                term: &term.term,
                category: &term.category,
                action: term.action,
                reading: &term.reading,
                spelling: Spelling::Initials,
                ideographs: String::new(),
                own: 0,
                substituted: Vec::new(),
                name_like: false,
            });
        }
        if stream.tokens.len() < MIN_SYLLABLES {
            return hits;
        }
        let normalizer = Normalizer::shared();
        let chars: Vec<char> = if stream.has_ideographs {
            text.chars().collect()
        } else {
            Vec::new()
        };
        for m in automaton.find_iter(&stream.bytes) {
            // Patterns start with a high-bit byte: a match begins on a token.
            let (first, last) = (m.start() / 2, m.end() / 2 - 1);
            let (a, b) = (&stream.tokens[first], &stream.tokens[last]);
            if (a.latin && !a.run_start) || (b.latin && !b.run_end) {
                continue;
            }
            let toks = &stream.tokens[first..=last];
            let latin = toks.iter().filter(|t| t.latin).count();
            let spelling = match latin {
                0 => Spelling::Homophone,
                n if n == toks.len() => Spelling::Pinyin,
                _ => Spelling::Mixed,
            };
            let term = &self.terms[m.pattern().as_usize()];
            // Characters written as the term has them need no folding, and a match of the
            // term's own characters (most matches in text full of the term) is dropped before
            // anything is allocated for it.
            if spelling == Spelling::Homophone
                && toks
                    .iter()
                    .zip(&term.folded)
                    .all(|(t, &f)| chars[t.start as usize] == f)
            {
                continue;
            }
            let mut ideographs = String::new();
            let mut own = 0;
            let mut substituted = Vec::new();
            for (i, t) in toks.iter().enumerate() {
                if t.latin {
                    continue;
                }
                let c = chars[t.start as usize];
                if c == term.folded[i] {
                    own += 1;
                    ideographs.push(c);
                    continue;
                }
                let folded = normalizer.fold_term(c.encode_utf8(&mut [0; 4]));
                if folded.chars().eq(std::iter::once(term.folded[i])) {
                    own += 1;
                } else {
                    substituted.push(t.start as usize);
                }
                ideographs.push_str(&folded);
            }
            if spelling == Spelling::Homophone && own == toks.len() {
                continue;
            }
            let runs = toks.iter().filter(|t| t.run_start).count();
            let name_like = spelling == Spelling::Pinyin
                && runs >= 2
                && toks.iter().all(|t| !t.run_start || t.capitalized);
            hits.push(SoundHit {
                start: a.start as usize,
                end: b.end as usize,
                term: &term.term,
                category: &term.category,
                action: term.action,
                reading: &term.reading,
                spelling,
                ideographs,
                own,
                substituted,
                name_like,
            });
        }
        hits.sort_by_key(|h| h.start);
        hits
    }

    /// The term whose initials the run spells, when the run is [`MIN_INITIALS`] or more
    /// lowercase letters and nothing else.
    fn initials_of(&self, run: &[(char, u32)], lower: bool) -> Option<usize> {
        if !lower || run.len() < MIN_INITIALS || self.initials.is_empty() {
            return None;
        }
        let word: String = run.iter().map(|&(c, _)| c).collect();
        self.initials.get(&word).copied()
    }

    /// `text` as a syllable stream.
    fn stream(&self, text: &str) -> Stream {
        let mut s = Stream::default();
        let mut run: Vec<(char, u32)> = Vec::new(); // the current Latin run: (folded, code point)
        let mut case = Case::default();
        let mut lower = true; // the run is lowercase letters a–z (ASCII or full-width) only
        let mut before = None; // the character before the current run
        let mut last = None;
        for (at, c) in (0u32..).zip(text.chars()) {
            let previous = last.replace(c);
            if let Some(l) = latin(c) {
                if run.is_empty() {
                    before = previous;
                }
                case.see(run.is_empty(), c);
                lower =
                    (run.is_empty() || lower) && matches!(c, 'a'..='z' | '\u{FF41}'..='\u{FF5A}');
                run.push((l, at));
            } else {
                if !run.is_empty() {
                    let word = !before.is_some_and(in_address) && !in_address(c);
                    if let Some(i) = self.initials_of(&run, lower && word) {
                        s.initials.push((run[0].1, at, i as u32));
                    }
                    self.push_run(&run, case.capitalized(), &mut s);
                    run.clear();
                    case = Case::default();
                }
                if is_ideograph(c) {
                    match self.ideograph_id(c) {
                        Some(id) => {
                            s.push(id, at, at + 1, false);
                            s.has_ideographs = true;
                        }
                        None => s.push_break(),
                    }
                } else if !is_transparent(c) {
                    s.push_break();
                }
            }
        }
        if !run.is_empty() {
            let word = !before.is_some_and(in_address);
            if let Some(i) = self.initials_of(&run, lower && word) {
                s.initials
                    .push((run[0].1, run[run.len() - 1].1 + 1, i as u32));
            }
            self.push_run(&run, case.capitalized(), &mut s);
        }
        s
    }

    /// Splits one Latin run into syllables and appends them, or a break when the run is not
    /// pinyin throughout.
    fn push_run(&self, run: &[(char, u32)], capitalized: bool, s: &mut Stream) {
        // Pieces between tone digits; a digit must follow a letter and be 1–5.
        let mut pieces: Vec<&[(char, u32)]> = Vec::new();
        let mut from = 0;
        for (i, &(c, _)) in run.iter().enumerate() {
            if c.is_ascii_digit() {
                if i == from || !('1'..='5').contains(&c) {
                    s.push_break();
                    return;
                }
                pieces.push(&run[from..=i]);
                from = i + 1;
            }
        }
        if from < run.len() {
            pieces.push(&run[from..]);
        }
        let mut out: Vec<(u16, u32, u32)> = Vec::new();
        for piece in pieces {
            let letters: Vec<char> = piece
                .iter()
                .map(|&(c, _)| c)
                .filter(|c| !c.is_ascii_digit())
                .collect();
            let Some(cuts) = self.segment(&letters) else {
                s.push_break();
                return;
            };
            let mut i = 0;
            let mut syl = String::with_capacity(self.longest);
            for (n, &end) in cuts.iter().enumerate() {
                syl.clear();
                syl.extend(&letters[i..end]);
                let last = n + 1 == cuts.len();
                // A tone digit belongs to the piece's last syllable.
                let end_cp = if last {
                    piece[piece.len() - 1].1 + 1
                } else {
                    piece[end].1
                };
                out.push((self.ids[syl.as_str()], piece[i].1, end_cp));
                i = end;
            }
        }
        let n = out.len();
        for (k, (id, a, b)) in out.into_iter().enumerate() {
            s.push(id, a, b, true);
            let t = s.tokens.last_mut().expect("just pushed");
            t.run_start = k == 0;
            t.run_end = k + 1 == n;
            t.capitalized = k == 0 && capitalized;
        }
    }

    /// The ends of the fewest syllables that spell `letters` exactly, if any.
    fn segment(&self, letters: &[char]) -> Option<Vec<usize>> {
        let n = letters.len();
        if n == 0 {
            return None;
        }
        // best[i]: fewest syllables spelling letters[..i], with the start of the last one.
        let mut best: Vec<Option<(usize, usize)>> = vec![None; n + 1];
        best[0] = Some((0, 0));
        let mut buf = String::with_capacity(self.longest);
        for i in 0..n {
            let Some((count, _)) = best[i] else { continue };
            buf.clear();
            for j in i..n.min(i + self.longest) {
                buf.push(letters[j]);
                if self.ids.contains_key(buf.as_str())
                    && best[j + 1].is_none_or(|(c, _)| count + 1 < c)
                {
                    best[j + 1] = Some((count + 1, i));
                }
            }
        }
        best[n]?;
        let mut cuts = Vec::new();
        let mut end = n;
        while end > 0 {
            cuts.push(end);
            end = best[end].expect("on the path").1;
        }
        cuts.reverse();
        Some(cuts)
    }
}

/// The letter case of a Latin run, seen one character at a time.
#[derive(Default)]
struct Case {
    first_upper: bool,
    rest_lower: bool,
}

impl Case {
    fn see(&mut self, first: bool, c: char) {
        if first {
            self.first_upper = c.is_uppercase();
            self.rest_lower = true;
        } else if c.is_uppercase() {
            self.rest_lower = false;
        }
    }

    fn capitalized(&self) -> bool {
        self.first_upper && self.rest_lower
    }
}

/// A text as syllable ids (2 bytes each, [`push_id`]) with each token's place.
#[derive(Default)]
struct Stream {
    bytes: Vec<u8>,
    tokens: Vec<Token>,
    has_ideographs: bool,
    /// Runs that spell a term's initials: (first code point, one past the last, term index).
    initials: Vec<(u32, u32, u32)>,
}

#[derive(Clone, Copy)]
struct Token {
    start: u32,
    end: u32,
    latin: bool,
    run_start: bool,
    run_end: bool,
    /// On a run's first token: the run is an uppercase letter and then lowercase ones.
    capitalized: bool,
}

impl Stream {
    fn push(&mut self, id: u16, start: u32, end: u32, latin: bool) {
        push_id(&mut self.bytes, id);
        self.tokens.push(Token {
            start,
            end,
            latin,
            run_start: true,
            run_end: true,
            capitalized: false,
        });
    }

    /// Id 0, in no pattern: no match runs across it.
    fn push_break(&mut self) {
        if self.bytes.last_chunk::<2>() != Some(&[0x80, 0]) {
            self.push(0, 0, 0, false);
        }
    }
}

/// Syllable id `id` (< 2¹⁴) as two bytes, the first with its high bit set and the second
/// without, so a pattern can only match from a token's first byte.
fn push_id(bytes: &mut Vec<u8>, id: u16) {
    bytes.push(0x80 | (id >> 7) as u8);
    bytes.push((id & 0x7F) as u8);
}

/// The lowercase ASCII letter or digit `c` stands for in pinyin writing: ASCII and full-width
/// letters and digits, tone-marked vowels (`ǎ`, `ǘ`), `ü`/`v`, and the GB 2312 pinyin letters
/// `ɑ` `ɡ`.
fn latin(c: char) -> Option<char> {
    let c = match c {
        '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
            char::from_u32(c as u32 - 0xFEE0)?
        }
        _ => c,
    };
    if c.is_ascii_alphanumeric() {
        let l = c.to_ascii_lowercase();
        // `v` is how keyboards write `ü`.
        return Some(if l == 'v' { 'u' } else { l });
    }
    Some(match c {
        'ā' | 'á' | 'ǎ' | 'à' | 'Ā' | 'Á' | 'Ǎ' | 'À' | 'ɑ' => 'a',
        'ē' | 'é' | 'ě' | 'è' | 'Ē' | 'É' | 'Ě' | 'È' | 'ê' | 'Ê' => 'e',
        'ī' | 'í' | 'ǐ' | 'ì' | 'Ī' | 'Í' | 'Ǐ' | 'Ì' => 'i',
        'ō' | 'ó' | 'ǒ' | 'ò' | 'Ō' | 'Ó' | 'Ǒ' | 'Ò' => 'o',
        'ū' | 'ú' | 'ǔ' | 'ù' | 'Ū' | 'Ú' | 'Ǔ' | 'Ù' => 'u',
        'ü' | 'ǖ' | 'ǘ' | 'ǚ' | 'ǜ' | 'Ü' | 'Ǖ' | 'Ǘ' | 'Ǚ' | 'Ǜ' => 'u',
        'ń' | 'ň' | 'ǹ' | 'Ń' | 'Ň' | 'Ǹ' => 'n',
        'ḿ' | 'Ḿ' => 'm',
        'ɡ' => 'g',
        _ => return None,
    })
}

/// Characters skipped between syllables: whitespace, zero-width and other default-ignorable
/// characters, and the light separators evaders put between pinyin syllables.
fn is_transparent(c: char) -> bool {
    c.is_whitespace()
        || is_default_ignorable(c)
        || matches!(
            c,
            '*' | '.'
                | '_'
                | '-'
                | '~'
                | '·'
                | '/'
                | '\\'
                | '|'
                | '\''
                | '’'
                | '＊'
                | '．'
                | '＿'
                | '－'
                | '～'
                | '・'
        )
}

/// Characters that join Latin letters into an address, a handle or a file name
/// (`scj@example.com`, `a.scj`, `scj_01`): a run beside one is no word of initials.
fn in_address(c: char) -> bool {
    matches!(
        c,
        '@' | '.' | '/' | '\\' | '_' | '-' | ':' | '#' | '%' | '&' | '=' | '?' | '+' | '~'
    )
}

/// CJK ideographs with readings (Unified, Extension A, compatibility, planes 2–3).
fn is_ideograph(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3134F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finder() -> SoundAlikes {
        let entry = |t: &str, a: TermAction| LexiconEntry {
            term: t.into(),
            category: "gambling".into(),
            action: a,
            source: "t.csv:1".into(),
        };
        SoundAlikes::new(&[
            entry("赌博", TermAction::Reject),
            entry("百家乐", TermAction::Reject),
            entry("枪支", TermAction::Reject),
            entry("出售枪支", TermAction::Reject),
            entry("出售银行卡", TermAction::Reject),
            entry("打击赌博", TermAction::Allow),
        ])
    }

    fn found(text: &str) -> Vec<(usize, usize, String, Spelling)> {
        finder()
            .find(text)
            .into_iter()
            .map(|h| (h.start, h.end, h.term.to_string(), h.spelling))
            .collect()
    }

    #[test]
    fn pinyin_in_every_writing() {
        for text in [
            "dubo",
            "du bo",
            "du4bo2",
            "dǔ bó",
            "DuBo",
            "ｄｕｂｏ",
            "du*bo",
            "du\u{200B}bo",
            "du4 bo2",
        ] {
            let n = text.chars().count();
            assert_eq!(
                found(text),
                vec![(0, n, "赌博".into(), Spelling::Pinyin)],
                "{text:?}"
            );
        }
        assert_eq!(
            found("来玩bǎi jiā lè吧"),
            vec![(2, 12, "百家乐".into(), Spelling::Pinyin)]
        );
    }

    #[test]
    fn a_word_in_its_own_reading() {
        let n = "chu shou yin hang ka".chars().count();
        assert_eq!(
            found("chu shou yin hang ka"),
            vec![(0, n, "出售银行卡".into(), Spelling::Pinyin)]
        );
        // The characters of a text are read in their most common reading: `行` is `xing`.
        assert_eq!(
            found("出售yin行卡"),
            vec![(0, 7, "出售银行卡".into(), Spelling::Mixed)]
        );
        assert_eq!(
            found("出售银杭卡"),
            vec![(0, 5, "出售银行卡".into(), Spelling::Homophone)]
        );
    }

    #[test]
    fn initials_as_a_whole_lowercase_word() {
        assert_eq!(
            found("要bjl吗"),
            vec![(1, 4, "百家乐".into(), Spelling::Initials)]
        );
        assert_eq!(
            found("cs qz，ｃｓｑｚ"),
            vec![(6, 10, "出售枪支".into(), Spelling::Initials)]
        );
        // Too short (`db`), uppercase, longer words, digits, addresses and handles.
        for text in [
            "db",
            "BJL",
            "Bjl",
            "bjlx",
            "bjl2",
            "a@bjl.com",
            "bjl.zip",
            "@bjl",
            "bjl_1",
        ] {
            assert!(
                found(text).iter().all(|h| h.3 != Spelling::Initials),
                "{text:?}: {:?}",
                found(text)
            );
        }
    }

    #[test]
    fn mixed_and_homophones() {
        assert_eq!(found("du博"), vec![(0, 3, "赌博".into(), Spelling::Mixed)]);
        assert_eq!(found("赌bo"), vec![(0, 3, "赌博".into(), Spelling::Mixed)]);
        assert_eq!(
            found("堵博"),
            vec![(0, 2, "赌博".into(), Spelling::Homophone)]
        );
        // The longest term wins: 出售枪支 over 枪支.
        assert_eq!(
            found("出受qiang支"),
            vec![(0, 8, "出售枪支".into(), Spelling::Mixed)]
        );
        // The term's own characters are the matcher's business.
        assert_eq!(found("赌博"), vec![]);
        assert_eq!(found("賭博"), vec![]);
    }

    #[test]
    fn not_pinyin_is_no_match() {
        // Inside a longer Latin word, a run that is not pinyin, punctuation between.
        for text in [
            "dubox",
            "xdubo",
            "dubo1x",
            "du，bo",
            "du😀bo",
            "du7bo",
            "hello dubox",
        ] {
            assert_eq!(found(text), vec![], "{text:?}");
        }
        // Allow rows have no sound-alikes; one-syllable terms neither.
        assert_eq!(found("da ji"), vec![]);
    }

    #[test]
    fn names_are_marked() {
        let f = finder();
        let name = |t: &str| f.find(t).iter().map(|h| h.name_like).collect::<Vec<_>>();
        assert_eq!(name("Du Bo"), vec![true]);
        assert_eq!(name("DuBo"), vec![false]);
        assert_eq!(name("du bo"), vec![false]);
        assert_eq!(name("DU BO"), vec![false]);
    }

    #[test]
    fn segmentation_takes_the_fewest_syllables() {
        let f = finder();
        let letters: Vec<char> = "baijiale".chars().collect();
        assert_eq!(f.segment(&letters), Some(vec![3, 6, 8]));
        assert_eq!(f.segment(&"hello".chars().collect::<Vec<_>>()), None);
    }
}
