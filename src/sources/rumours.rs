//! Known-rumour library (Art. 11): CSV `claim,refuted_by[,refuted_at][,…]` (DESIGN §5), an
//! inverted index of the claims' key bigrams, and a matcher that finds a known, already refuted
//! rumour in a text even when the text changes punctuation, spacing, width or script, swaps a
//! function word or a common synonym (`就能防住` for `可以防`), or wraps the claim in text of its
//! own, and that tells a text **repeating** the rumour from one **refuting** it.
//!
//! # Keys
//!
//! Claims and texts go through the same two steps:
//!
//! 1. **Folding** by the feature library's [`Normalizer`] (NFKC, case, traditional → simplified,
//!    separators, look-alikes; see [`crate::text::normalize`]): letters and digits only, each
//!    with its code-point span in the original and whether clause punctuation was skipped before
//!    it.
//! 2. **Canonical key** ([`THESAURUS`]): leftmost-longest replacement of common variants by one
//!    form (`预防`/`防止`/`防住` → `防`, `杀灭`/`杀死` → `杀`, `新型冠状病毒`/`武汉肺炎` → `新冠`,
//!    `喝`/`服用` → `吃`, `引发癌症` → `致癌`…) and removal of function words that paraphrases
//!    add, drop or swap freely (`可以`, `能`, `就`, `会`, `是`, `的`, `了`, `真的`…). Negations
//!    are never removed, so a negated text keeps a lower score and its negation is seen by the
//!    stance rules below.
//!
//! # Matching
//!
//! A claim is the set of its key's character bigrams. Its score in one **sentence** of a text is
//! its containment in the best window of that sentence: the largest share of the claim's distinct
//! bigrams that occur within a stretch of at most [`WINDOW_SLACK`] times the claim's key length
//! (at least [`WINDOW_EXTRA`] characters more than it).
//! Containment, not Jaccard, because a post adds its own text around a rumour; the window keeps a
//! long sentence that merely uses the claim's words here and there from adding up to a match. A
//! sentence repeats the claim's wording when the score is at least the threshold (default
//! [`DEFAULT_THRESHOLD`]; pipeline option `rumour_threshold`, 0 < t ≤ 1) and the window holds at
//! least half of the bigrams of the claim's last third — its predicate, in the subject–predicate
//! claims of the library — so that a sentence about the subject alone (`用微波炉加热了食物`) is
//! no match for `微波炉加热的食物会致癌`.
//!
//! A sentence within [`WORD_MARGIN`] of the threshold (or failing the predicate guard) is also
//! compared **word by word** ([`WORD_THRESHOLD`]): the shared segmenter ([`crate::text::words`])
//! cuts claim and sentence, the thesaurus canonicalizes each word, and the claim's content words
//! must be found, its first and last among them. The match's [`RumourMatch::basis`] says which
//! comparison measured its score.
//!
//! The index is built for prefix filtering: each claim is listed under only its
//! `n − ⌈t × n⌉ + 2` rarest bigrams (of `n`; `t` the lowest similarity still compared), of which a
//! window that can match holds at least two (one of `n − ⌈t × n⌉ + 1` where `⌈t × n⌉ = 1`). Checking a text costs one hash look-up per key
//! bigram; only the claims for which two different such bigrams stand within a window's reach are
//! scored (one pass over the text's key near those places); a sentence whose best window stays
//! below `t` is dropped before the word-by-word comparison, and sentence boundaries and stance
//! cues are read only when some claim survives. The cost per event grows with the text and with the
//! claims that share a rare bigram with it, not with the number of claims in the library.
//!
//! # Stance
//!
//! A text that states the claim and a text that refutes it share most of their words, so every
//! sentence that reaches the threshold is given a [`Stance`] by the rules in
//! [`crate::sources::rumour_stance`]:
//! - **negated by scope**: a negation (`不能`, `无法`, `不会`, `并不`, `没有`, `防不住`…) inside the
//!   clause that holds the claim's predicate, before its last matched character and not part of
//!   the claim itself; a negation elsewhere in the sentence (`吃碘盐不会错，可以防核辐射`) does not
//!   count, nor do words that only look negative (`不仅`, `不错`, `没想到`, `非常`);
//! - **refuted**: a refutation frame directed at the claim — `谣言`, `不实`, `辟谣`, `假的`, `经查`,
//!   `没有科学依据`, `别信…` in the claim's sentence, in the sentence right after it, or in a short
//!   header sentence before it — unless that frame is itself dismissed (`别听专家说是谣言`, `这不是
//!   谣言`, `有人说是谣言，其实…`);
//! - **asked**: `吗`, `是否`, `会不会`, `？` right after the claim;
//! - **hedged**: a refutation word elsewhere in the text, not directed at the claim;
//! - otherwise **asserted**.
//!
//! When several sentences repeat the claim, the last one that asserts, denies or refutes it
//! decides ([`RumourLibrary::analyze`]); [`RumourLibrary::find`] returns only what the stage acts on: asserted (reject),
//! asked and hedged (hold for a person).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use rustc_hash::FxHashMap;

use crate::config::ConfigError;
pub use crate::sources::rumour_stance::Stance;
use crate::sources::rumour_stance::{self, Structure};
use crate::text::normalize::{Folded, Normalizer};

/// Default similarity threshold: at least 70 % of a claim's distinct key bigrams must occur in one
/// window of one sentence. Chosen on the shipped library and the red-team set (see
/// `docs/news-detection.md`): with the canonical key, paraphrases that swap function words and
/// common synonyms score 0.8–1.0, texts that share the claim's topic words but not the claim
/// score 0.3–0.6, and no line of the People's Daily or review corpora reaches it.
pub const DEFAULT_THRESHOLD: f64 = 0.7;

/// The shortest accepted claim, in folded letters or digits: shorter claims (a bare topic word
/// such as `5G基站`) would match ordinary text.
pub const MIN_CLAIM_CHARS: usize = 6;

/// The shortest accepted canonical key of a claim (after function words are removed).
pub const MIN_KEY_CHARS: usize = 4;

/// The longest claim and `refuted_by` of an extra claim ([`RumourLibrary::with_extra`]: the
/// refuted-claims topic, `schema/refuted-claim.v1.json`; the console's form has the same limit),
/// in characters. A longer claim is no rumour as spread; it is left out, so that one huge record
/// on the topic cannot make every reload of the worker's pipeline take seconds.
pub const MAX_EXTRA_CHARS: usize = 200;

/// The fewest distinct character pairs an accepted claim's key must have: a claim is matched as
/// the set of its distinct pairs, so a key that repeats one or two characters (`哈哈哈哈哈哈`,
/// `111111`) would otherwise match any text with `哈哈` or `11` in it, however long it is.
pub const MIN_KEY_BIGRAMS: usize = MIN_KEY_CHARS - 1;

/// A matching window may be at most this many times the claim's key length, so that words
/// inserted into the claim still match but words scattered over a long sentence do not.
pub const WINDOW_SLACK: f64 = 1.5;

/// A window may in any case be this many characters longer than the claim's key (short keys,
/// whose 1.5× leaves no room for a word or two inserted: `紫菜其实是用黑色塑料袋做成的`).
pub const WINDOW_EXTRA: usize = 4;

/// A sentence whose character similarity falls short of the threshold by at most this much is
/// compared word by word ([`WORD_THRESHOLD`]).
pub const WORD_MARGIN: f64 = 0.2;

/// Word similarity at or above which a sentence repeats a claim: the share of the claim's
/// content words (segmented by [`crate::text::words`], put through the [`THESAURUS`], function
/// words dropped) that occur among the sentence's words, the claim's first and last content
/// words (subject and predicate) always among them; at least the pipeline's threshold if that is
/// higher. The stance then reads the stretch from the first to the last claim word. Catches retellings that change a character inside a word
/// (`万病之源` for `百病之源`) or reorder words, which break character pairs.
pub const WORD_THRESHOLD: f64 = 0.75;

/// The canonical key table: `(variant, canonical form)`, applied leftmost-longest to folded
/// letters and digits, in claims and texts alike. An empty form removes the variant (a function
/// word). No entry contains a negation character except where the negation is part of the
/// content word (`不孕`), so negations always reach the stance rules.
pub const THESAURUS: &[(&str, &str)] = &[
    // Protect / prevent.
    ("预防", "防"),
    ("防止", "防"),
    ("防御", "防"),
    ("抵御", "防"),
    ("抵抗", "防"),
    ("防住", "防"),
    ("防范", "防"),
    ("对抗", "防"),
    ("抗击", "防"),
    ("防得住", "防"),
    ("避免", "防"),
    ("阻挡", "防"),
    ("挡住", "防"),
    // Kill.
    ("杀灭", "杀"),
    ("杀死", "杀"),
    ("杀掉", "杀"),
    ("消灭", "杀"),
    ("灭活", "杀"),
    ("灭杀", "杀"),
    ("干掉", "杀"),
    // The new coronavirus, however it is named.
    ("新型冠状病毒肺炎", "新冠"),
    ("新型冠状病毒", "新冠"),
    ("新冠状病毒", "新冠"),
    ("新冠病毒肺炎", "新冠"),
    ("新冠肺炎病毒", "新冠"),
    ("新冠肺炎", "新冠"),
    ("新冠病毒", "新冠"),
    ("新型肺炎", "新冠"),
    ("武汉肺炎", "新冠"),
    ("冠状病毒", "新冠"),
    ("新冠疫情", "新冠"),
    ("covid19", "新冠"),
    ("covid", "新冠"),
    // Eat / drink / take.
    ("喝下", "吃"),
    ("吃下", "吃"),
    ("喝", "吃"),
    ("饮用", "吃"),
    ("服用", "吃"),
    ("食用", "吃"),
    ("吞服", "吃"),
    ("常吃", "吃"),
    ("多吃", "吃"),
    ("多喝", "吃"),
    // Cause (cancer).
    ("引发癌症", "致癌"),
    ("导致癌症", "致癌"),
    ("引起癌症", "致癌"),
    ("诱发癌症", "致癌"),
    ("致癌症", "致癌"),
    ("得癌症", "致癌"),
    ("患癌症", "致癌"),
    ("得癌", "致癌"),
    ("患癌", "致癌"),
    ("癌症", "癌"),
    ("导致", "致"),
    ("引发", "致"),
    ("引起", "致"),
    ("造成", "致"),
    ("诱发", "致"),
    ("致使", "致"),
    // Made of.
    ("制成", "做"),
    ("做成", "做"),
    ("制造", "做"),
    ("制作", "做"),
    ("造", "做"),
    ("塑胶", "塑料"),
    // Spread.
    ("传染", "传播"),
    ("散播", "传播"),
    // Infertility.
    ("不孕不育", "不孕"),
    ("不育", "不孕"),
    // Nuclear wastewater.
    ("核污染水", "核污水"),
    ("核废水", "核污水"),
    ("核处理水", "核污水"),
    // Spirits.
    ("高度白酒", "酒"),
    ("高度酒", "酒"),
    ("烈酒", "酒"),
    ("白酒", "酒"),
    // Modal negations: one form, so `无法传播` keeps the bigrams of `不能传播`. The negation
    // itself stays (and the stance rules read the folded text, not this key).
    ("不能够", "不"),
    ("不能", "不"),
    ("不可以", "不"),
    ("不会", "不"),
    ("无法", "不"),
    ("没法", "不"),
    ("没办法", "不"),
    // Treat / cure.
    ("治愈", "治"),
    ("治好", "治"),
    ("治疗", "治"),
    ("医治", "治"),
    ("根治", "治"),
    // Replace.
    ("替代", "代替"),
    ("取代", "代替"),
    ("顶替", "代替"),
    // At once.
    ("马上", "立即"),
    ("立刻", "立即"),
    ("立马", "立即"),
    ("赶紧", "立即"),
    ("赶快", "立即"),
    ("尽快", "立即"),
    // From now on.
    ("今后", "以后"),
    ("往后", "以后"),
    ("将来", "以后"),
    ("之后", "以后"),
    // Inside the body.
    ("身体里面", "体内"),
    ("身体里", "体内"),
    ("身体内", "体内"),
    ("人体内", "体内"),
    // Source / root.
    ("的根源", "源"),
    ("根源", "源"),
    ("之源", "源"),
    // Vaccination.
    ("接种", "打"),
    ("注射", "打"),
    ("打完", "打"),
    ("打过", "打"),
    // Salt.
    ("食盐", "盐"),
    // Function words that paraphrases add, drop or swap freely.
    ("受到", ""),
    ("遭到", ""),
    ("开始", ""),
    ("可以", ""),
    ("能够", ""),
    ("能", ""),
    ("可", ""),
    ("就", ""),
    ("会", ""),
    ("都", ""),
    ("也", ""),
    ("还", ""),
    ("真的", ""),
    ("确实", ""),
    ("的确", ""),
    ("绝对", ""),
    ("一定", ""),
    ("肯定", ""),
    ("有效", ""),
    ("竟然", ""),
    ("居然", ""),
    ("原来", ""),
    ("已经", ""),
    ("完全", ""),
    ("直接", ""),
    ("是", ""),
    ("的", ""),
    ("了", ""),
    ("地", ""),
    ("很", ""),
    ("将", ""),
    ("用", ""),
    ("被", ""),
    ("把", ""),
    ("给", ""),
    ("这些", ""),
    ("那些", ""),
    ("这", ""),
    ("那", ""),
    ("呢", ""),
    ("啊", ""),
    ("呀", ""),
    ("吧", ""),
    ("哦", ""),
    ("啦", ""),
    ("嘛", ""),
];

/// One known rumour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rumour {
    /// The rumour's own wording, as written in the CSV.
    pub claim: String,
    /// Who refuted it, e.g. `中国互联网联合辟谣平台`.
    pub refuted_by: String,
    /// When it was refuted (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`), if known.
    pub refuted_at: Option<String>,
}

/// A known rumour found in a text, with what the text does with it.
#[derive(Debug, Clone, PartialEq)]
pub struct RumourMatch<'a> {
    /// The rumour.
    pub rumour: &'a Rumour,
    /// Containment score of the claim's key bigrams in the deciding sentence, `threshold..=1.0`.
    pub score: f64,
    /// Start of the deciding sentence, in code points into the original text.
    pub start: usize,
    /// End (exclusive) of the deciding sentence, in code points into the original text.
    pub end: usize,
    /// The stretch of that sentence that matched the claim, `(start, end)` in code points.
    pub claim_span: (usize, usize),
    /// What the text does with the claim (see the module docs).
    pub stance: Stance,
    /// The cue word that decided the stance (`不能`, `谣言`, `吗`, `不是谣言`…), if any.
    pub cue: Option<String>,
    /// The stance is [`Stance::Asked`] or [`Stance::Hedged`]: a person should decide.
    pub hedged: bool,
    /// `characters` (key bigrams) or `words` (the word-level comparison): what `score` measures.
    pub basis: &'static str,
}

#[derive(Debug, Clone)]
struct Indexed {
    /// Its distinct bigrams, sorted.
    shingles: Vec<u64>,
    /// The bigram id (order of first occurrence in the key) of each of `shingles`.
    sids: Vec<u32>,
    /// Bigram ids (in key order) from which on a bigram belongs to the claim's last third, its
    /// predicate in the subject–predicate claims of the library.
    tail_from: usize,
    /// The claim's own negations (`…不能传播`, `…没有感染`): for each, the claim bigrams that
    /// hold it, and the word. A window that matches none of a negation's bigrams states the
    /// opposite of the claim.
    negations: Vec<(Vec<u64>, &'static str)>,
    /// Canonical content words, in claim order (see [`WORD_THRESHOLD`]).
    words: Vec<String>,
    /// The longest window, in key characters: [`WINDOW_SLACK`] × the key's length, at least
    /// [`WINDOW_EXTRA`] more than it.
    max_chars: usize,
    /// How many different prefix bigrams a window that can match holds at least, 1 or 2
    /// ([`RumourLibrary::build_prefix_index`]).
    prefix_meet: usize,
}

impl Indexed {
    /// The share of the claim's content words among the sentence's, or `None` when its first
    /// (the subject) or last content word (the predicate) is missing, or the claim has fewer
    /// than two content words.
    fn word_score(&self, spans: &[(String, std::ops::Range<usize>)]) -> Option<f64> {
        let has = |w: &String| spans.iter().any(|(x, _)| x == w);
        let (first, last) = (self.words.first()?, self.words.last()?);
        if self.words.len() < 2 || !has(first) || !has(last) {
            return None;
        }
        let found = self.words.iter().filter(|w| has(w)).count();
        Some(found as f64 / self.words.len() as f64)
    }

    /// The longest window, in key characters (computed once: it is read for every candidate).
    fn max_chars(&self) -> usize {
        self.max_chars
    }

    fn tail_from(&self) -> usize {
        self.tail_from
    }

    /// The predicate guard: a window must hold at least half of the claim's last-third bigrams,
    /// so that a sentence about the claim's subject (`用微波炉加热食物`) is no match without its
    /// predicate (`致癌`).
    fn predicate_ok(&self, w: &Window) -> bool {
        let n = self.shingles.len() - self.tail_from;
        2 * w.tail >= n
    }
}

/// The loaded library.
#[derive(Clone)]
pub struct RumourLibrary {
    threshold: f64,
    rumours: Vec<Rumour>,
    indexed: Vec<Indexed>,
    /// bigram → (claim index, bigram id within the claim).
    index: FxHashMap<u64, Vec<(u32, u32)>>,
    /// bigram → the claims indexed under it by prefix filtering ([`Self::build_prefix_index`]).
    prefix: FxHashMap<u64, Vec<u32>>,
    normalizer: Option<Arc<Normalizer>>,
}

impl fmt::Debug for RumourLibrary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RumourLibrary")
            .field("threshold", &self.threshold)
            .field("rumours", &self.rumours.len())
            .field("shingles", &self.index.len())
            .finish()
    }
}

impl Default for RumourLibrary {
    fn default() -> Self {
        Self::empty()
    }
}

fn thesaurus() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(THESAURUS.iter().map(|(w, _)| w))
            .expect("thesaurus builds")
    })
}

/// A canonical key: characters and, for each, the folded character index it came from.
struct Key {
    chars: Vec<char>,
    at: Vec<usize>,
}

/// The canonical content words of folded text: segmented by [`crate::text::words::cut`], each
/// word put through the [`THESAURUS`] (`打完` → `打`, `食盐` → `盐`), function words (those the
/// thesaurus removes) dropped; repeats dropped, order kept.
fn canonical_words(folded: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (w, _) in canonical_word_spans(folded) {
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// Every canonical content word of folded text with its range of folded characters.
fn canonical_word_spans(folded: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let chars: Vec<char> = folded.chars().collect();
    let replacements: Vec<&str> = THESAURUS.iter().map(|(_, r)| *r).collect();
    crate::text::words::cut(folded)
        .into_iter()
        .filter_map(|r| {
            let word: String = chars[r.clone()].iter().collect();
            let canon = thesaurus().replace_all(&word, &replacements);
            (!canon.is_empty()).then_some((canon, r))
        })
        .collect()
}

fn key_of(folded: &Folded) -> Key {
    let text = folded.text.as_str();
    let mut chars = Vec::with_capacity(folded.len());
    let mut at = Vec::with_capacity(folded.len());
    // Folded index and byte offset of the first character not yet copied.
    let (mut idx, mut byte) = (0usize, 0usize);
    for m in thesaurus().find_iter(text) {
        for c in text[byte..m.start()].chars() {
            chars.push(c);
            at.push(idx);
            idx += 1;
        }
        let n = text[m.start()..m.end()].chars().count();
        for (j, c) in THESAURUS[m.pattern().as_usize()].1.chars().enumerate() {
            chars.push(c);
            at.push(idx + j.min(n - 1));
        }
        idx += n;
        byte = m.end();
    }
    for c in text[byte..].chars() {
        chars.push(c);
        at.push(idx);
        idx += 1;
    }
    Key { chars, at }
}

impl RumourLibrary {
    /// An empty library (no rumours configured): never matches.
    pub fn empty() -> Self {
        RumourLibrary {
            threshold: DEFAULT_THRESHOLD,
            rumours: Vec::new(),
            indexed: Vec::new(),
            index: FxHashMap::default(),
            prefix: FxHashMap::default(),
            normalizer: None,
        }
    }

    /// Parses a rumour CSV: header with the columns `claim` and `refuted_by`, optionally
    /// `refuted_at`; other columns are ignored. `file` is how errors name the file; `threshold`
    /// is the pipeline's `rumour_threshold` (default [`DEFAULT_THRESHOLD`]).
    ///
    /// # Errors
    /// `file:line: reason` for invalid UTF-8, a missing column, an empty `claim` or `refuted_by`,
    /// a claim shorter than [`MIN_CLAIM_CHARS`] letters or digits, a claim that normalizes to the
    /// same key as an earlier row, or a `refuted_at` that is not `YYYY[-MM[-DD]]`; `file: reason`
    /// for a threshold outside 0 < t ≤ 1.
    pub fn parse(file: &str, bytes: &[u8], threshold: Option<f64>) -> Result<Self, ConfigError> {
        let threshold = threshold.unwrap_or(DEFAULT_THRESHOLD);
        if !(threshold > 0.0 && threshold <= 1.0) {
            return Err(ConfigError::file(
                file,
                format!("rumour_threshold must be greater than 0 and at most 1, got {threshold}"),
            ));
        }
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        let headers = reader.headers().map_err(|e| csv_error(file, &e))?.clone();
        let col = |c: &str| {
            headers
                .iter()
                .position(|h| h.trim().trim_start_matches('\u{feff}') == c)
        };
        let (Some(claim_col), Some(by_col)) = (col("claim"), col("refuted_by")) else {
            return Err(ConfigError::line(
                file,
                1,
                "header must contain the columns `claim` and `refuted_by` (optionally `refuted_at`)",
            ));
        };
        let at_col = col("refuted_at");
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| csv_error(file, &e))?;
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            let get = |c: usize| record.get(c).unwrap_or("").trim();
            let claim = get(claim_col);
            let refuted_by = get(by_col);
            if claim.is_empty() {
                return Err(ConfigError::line(file, line, "empty `claim`"));
            }
            if refuted_by.is_empty() {
                return Err(ConfigError::line(
                    file,
                    line,
                    "empty `refuted_by`: name the body that refuted the claim",
                ));
            }
            let refuted_at = at_col.map(get).filter(|s| !s.is_empty());
            if let Some(at) = refuted_at {
                if !is_partial_date(at) {
                    return Err(ConfigError::line(
                        file,
                        line,
                        format!("`refuted_at` `{at}` is not a date YYYY, YYYY-MM or YYYY-MM-DD"),
                    ));
                }
            }
            rows.push((
                line,
                Rumour {
                    claim: claim.to_string(),
                    refuted_by: refuted_by.to_string(),
                    refuted_at: refuted_at.map(str::to_string),
                },
            ));
        }
        let mut lib = RumourLibrary {
            threshold,
            normalizer: (!rows.is_empty()).then(Normalizer::shared),
            ..RumourLibrary::empty()
        };
        let mut seen: HashMap<Vec<char>, String> = HashMap::new();
        for (line, rumour) in rows {
            lib.admit(rumour, format!("line {line}"), &mut seen)
                .map_err(|reason| ConfigError::line(file, line, reason))?;
        }
        lib.build_prefix_index();
        Ok(lib)
    }

    /// [`RumourLibrary::parse`] of the CSV, plus `extra` claims that came from elsewhere (the
    /// console's refuted-claims topic: claims a lead added from an item). An extra claim the
    /// CSV would refuse (too short, no `refuted_by`, a bad `refuted_at`, the same key as a
    /// claim before it), or one longer than [`MAX_EXTRA_CHARS`], is left out, and its reason returned, instead of failing the load: one
    /// bad record must not keep the worker from starting. `bytes: None` is a library of the
    /// extra claims alone.
    ///
    /// # Errors
    /// As [`RumourLibrary::parse`], for the CSV only.
    pub fn with_extra(
        file: &str,
        bytes: Option<&[u8]>,
        threshold: Option<f64>,
        extra: &[Rumour],
    ) -> Result<(Self, Vec<String>), ConfigError> {
        let mut lib = match bytes {
            Some(b) => RumourLibrary::parse(file, b, threshold)?,
            None => RumourLibrary::parse(file, b"claim,refuted_by\n", threshold)?,
        };
        if extra.is_empty() {
            return Ok((lib, Vec::new()));
        }
        if lib.normalizer.is_none() {
            lib.normalizer = Some(Normalizer::shared());
        }
        let mut seen: HashMap<Vec<char>, String> = HashMap::new();
        for (i, r) in lib.rumours.iter().enumerate() {
            let folded = lib.fold(&r.claim);
            seen.insert(key_of(&folded).chars, format!("{file} row {}", i + 1));
        }
        let mut skipped = Vec::new();
        for r in extra {
            let too_long = [("claim", &r.claim), ("refuted_by", &r.refuted_by)]
                .into_iter()
                .find(|(_, v)| v.chars().count() > MAX_EXTRA_CHARS);
            let checked = if let Some((what, v)) = too_long {
                Err(format!(
                    "`{what}` has {} characters; at most {MAX_EXTRA_CHARS}",
                    v.chars().count()
                ))
            } else if r.refuted_by.trim().is_empty() {
                Err("empty `refuted_by`".to_owned())
            } else if r
                .refuted_at
                .as_deref()
                .is_some_and(|at| !is_partial_date(at))
            {
                Err("`refuted_at` is not a date YYYY, YYYY-MM or YYYY-MM-DD".to_owned())
            } else {
                lib.admit(r.clone(), format!("refuted claim {:?}", r.claim), &mut seen)
            };
            if let Err(reason) = checked {
                let shown: String = r.claim.chars().take(60).collect();
                let more = if r.claim.chars().count() > 60 {
                    "…"
                } else {
                    ""
                };
                skipped.push(format!("refuted claim {shown:?}{more} left out: {reason}"));
            }
        }
        lib.build_prefix_index();
        Ok((lib, skipped))
    }

    /// Checks one rumour as the CSV's rules say and indexes it; `origin` names it in the
    /// message of a later rumour with the same key (`seen`: key → origin).
    fn admit(
        &mut self,
        rumour: Rumour,
        origin: String,
        seen: &mut HashMap<Vec<char>, String>,
    ) -> Result<(), String> {
        let folded = self.fold(&rumour.claim);
        if folded.len() < MIN_CLAIM_CHARS {
            return Err(format!(
                "claim has {} letters or digits after normalization; at least {MIN_CLAIM_CHARS} are needed so that it does not match ordinary text",
                folded.len()
            ));
        }
        let key = key_of(&folded);
        if key.chars.len() < MIN_KEY_CHARS {
            return Err(format!(
                "claim has {} characters left without its function words (`{}`); at least {MIN_KEY_CHARS} are needed",
                key.chars.len(),
                key.chars.iter().collect::<String>()
            ));
        }
        let distinct: std::collections::HashSet<(char, char)> =
            key.chars.windows(2).map(|w| (w[0], w[1])).collect();
        if distinct.len() < MIN_KEY_BIGRAMS {
            return Err(format!(
                "claim has {} distinct character pairs in `{}`; at least {MIN_KEY_BIGRAMS} are needed so that it does not match ordinary text",
                distinct.len(),
                key.chars.iter().collect::<String>()
            ));
        }
        if let Some(first) = seen.get(&key.chars) {
            return Err(format!(
                "claim repeats {first} (the same after normalization)"
            ));
        }
        seen.insert(key.chars.clone(), origin);
        let negations = rumour_stance::negations(&folded)
            .into_iter()
            .map(|(s, e, word)| {
                let bigrams = key
                    .at
                    .windows(2)
                    .zip(key.chars.windows(2))
                    .filter(|(at, _)| (s..e).contains(&at[0]) || (s..e).contains(&at[1]))
                    .map(|(_, c)| shingle(c[0], c[1]))
                    .collect();
                (bigrams, word)
            })
            .collect();
        let words = canonical_words(&folded.text);
        self.add(rumour, key.chars, negations, words);
        Ok(())
    }

    /// Prefix filtering: a window with at least `t × n` of a claim's `n` distinct bigrams
    /// contains at least two of any `n − ⌈t × n⌉ + 2` of them (when `⌈t × n⌉ ≥ 2`, as for every
    /// claim at the default threshold; else one of `n − ⌈t × n⌉ + 1`). So each claim is indexed under only
    /// that many of its bigrams, the rarest in the library; a text is checked only against the
    /// claims two of whose listed bigrams it holds within a window's reach ([`two_within`]). A
    /// common bigram (`新冠`) then costs nothing per event however many claims share it, one
    /// rare bigram shared by chance costs no scoring, and no match is lost.
    fn build_prefix_index(&mut self) {
        let mut prefix: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
        for cid in 0..self.indexed.len() {
            let claim = &self.indexed[cid];
            let n = claim.shingles.len();
            let need = ((self.low_threshold() * n as f64) - 1e-9).ceil().max(1.0) as usize;
            // `n − need + k`: a window that reaches `need` then holds at least `k` of them, so
            // with `k = 2` a text is scored against a claim only where two of its prefix bigrams
            // meet (`k = 1` only when one bigram can be enough: a low threshold, a short claim).
            let k = need.min(2);
            let take = (n + k).saturating_sub(need).clamp(1, n);
            self.indexed[cid].prefix_meet = k;
            let mut by_rarity: Vec<(usize, u64)> = self.indexed[cid]
                .shingles
                .iter()
                .map(|s| (self.index.get(s).map_or(0, Vec::len), *s))
                .collect();
            by_rarity.sort_unstable();
            for &(_, s) in by_rarity.iter().take(take) {
                prefix.entry(s).or_default().push(cid as u32);
            }
        }
        self.prefix = prefix;
    }

    fn add(
        &mut self,
        rumour: Rumour,
        key: Vec<char>,
        negations: Vec<(Vec<u64>, &'static str)>,
        words: Vec<String>,
    ) {
        let cid = self.rumours.len() as u32;
        let mut ids: HashMap<u64, u32> = HashMap::new();
        for w in key.windows(2) {
            let sh = shingle(w[0], w[1]);
            let next = ids.len() as u32;
            if let std::collections::hash_map::Entry::Vacant(e) = ids.entry(sh) {
                e.insert(next);
                self.index.entry(sh).or_default().push((cid, next));
            }
        }
        let n = ids.len();
        let mut pairs: Vec<(u64, u32)> = ids.into_iter().collect();
        pairs.sort_unstable();
        let (shingles, sids) = pairs.into_iter().unzip();
        let max_chars =
            (((key.len() as f64) * WINDOW_SLACK).ceil() as usize).max(key.len() + WINDOW_EXTRA);
        self.indexed.push(Indexed {
            max_chars,
            prefix_meet: 1,
            shingles,
            sids,
            tail_from: n - n.div_ceil(3),
            negations,
            words,
        });
        self.rumours.push(rumour);
    }

    fn fold(&self, text: &str) -> Folded {
        match &self.normalizer {
            Some(n) => n.fold_text(text),
            None => Folded::default(),
        }
    }

    /// The threshold in use.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The lowest character similarity that is still compared word by word.
    fn low_threshold(&self) -> f64 {
        (self.threshold - WORD_MARGIN).max(0.3).min(self.threshold)
    }

    /// The loaded rumours, in file order.
    pub fn rumours(&self) -> &[Rumour] {
        &self.rumours
    }

    /// Number of rumours.
    pub fn len(&self) -> usize {
        self.rumours.len()
    }

    /// Whether no rumour is loaded.
    pub fn is_empty(&self) -> bool {
        self.rumours.is_empty()
    }

    /// The canonical key of `text` (folded, thesaurus applied, function words removed), as
    /// claims and texts are compared. For tests, tuning and the documentation.
    pub fn key(&self, text: &str) -> String {
        key_of(&self.fold(text)).chars.into_iter().collect()
    }

    /// The best score of every claim in any one sentence of `text` (0 for claims with no bigram
    /// in it), in file order, ignoring the threshold and the stance. For tuning and the corpus
    /// measurement.
    pub fn scores(&self, text: &str) -> Vec<f64> {
        let mut out = vec![0.0; self.rumours.len()];
        let Some(scan) = self.scan(text, 0.0) else {
            return out;
        };
        for (cid, windows) in &scan.windows {
            for w in windows {
                let s = w.distinct as f64 / self.indexed[*cid].shingles.len() as f64;
                if s > out[*cid] {
                    out[*cid] = s;
                }
            }
        }
        out
    }

    /// Every known rumour that `text` repeats and does not deny or refute, ordered by position:
    /// [`Stance::Asserted`] (the stage rejects), [`Stance::Asked`] and [`Stance::Hedged`] (held).
    /// At most one match per rumour.
    pub fn find<'a>(&'a self, text: &str) -> Vec<RumourMatch<'a>> {
        let mut out = self.analyze(text);
        out.retain(|m| m.stance.is_flagged());
        out
    }

    /// [`RumourLibrary::find`] over `text` folded already by
    /// [`Normalizer::shared`] (`folded` must be `Normalizer::shared().fold_text(text)`; the
    /// `news_source` stage folds each field once for the news views and this check).
    pub fn find_folded<'a>(&'a self, text: &str, folded: &Folded) -> Vec<RumourMatch<'a>> {
        let mut out =
            self.analyze_scan(self.scan_folded(text, Cow::Borrowed(folded), self.low_threshold()));
        out.retain(|m| m.stance.is_flagged());
        out
    }

    /// Every known rumour whose wording `text` repeats in some sentence (score ≥ threshold),
    /// with the text's stance towards it, refutations included; ordered by position, one entry
    /// per rumour: the sentence that decides. That is the **last** sentence that asserts,
    /// denies or refutes the claim (a debunking quotes the rumour and then refutes it; a spreader
    /// who quotes a refutation and then asserts the claim has the last word too); if there is
    /// none, the question (before a hedge) with the higher score.
    pub fn analyze<'a>(&'a self, text: &str) -> Vec<RumourMatch<'a>> {
        self.analyze_scan(self.scan(text, self.low_threshold()))
    }

    /// [`RumourLibrary::analyze`] of a text's scan.
    fn analyze_scan<'a>(&'a self, scan: Option<Scan<'_>>) -> Vec<RumourMatch<'a>> {
        let Some(scan) = scan else {
            return Vec::new();
        };
        // Canonical words per sentence, segmented on first need.
        let mut sentence_words: HashMap<usize, Vec<(String, std::ops::Range<usize>)>> =
            HashMap::new();
        let Scan {
            folded,
            key,
            structure,
            windows,
        } = scan;
        let mut out: Vec<RumourMatch<'a>> = Vec::new();
        for (cid, windows) in windows {
            let claim = &self.indexed[cid];
            // The last sentence that asserts, denies or refutes the claim; else the strongest
            // question or hedge.
            let (mut decisive, mut soft): (Option<RumourMatch<'a>>, Option<RumourMatch<'a>>) =
                (None, None);
            for w in windows {
                let mut score = w.distinct as f64 / claim.shingles.len() as f64;
                let mut basis = "characters";
                let (mut fa, mut fb) = (key.at[w.first], key.at[w.last + 1]);
                if score + 1e-9 < self.threshold || !claim.predicate_ok(&w) {
                    // Word by word, for a sentence that came close.
                    let s = structure.sentence_of(key.at[w.last + 1]);
                    let (s0, s1) = structure.sentence(s);
                    let spans = sentence_words.entry(s).or_insert_with(|| {
                        let text: String = folded.text.chars().skip(s0).take(s1 - s0).collect();
                        canonical_word_spans(&text)
                    });
                    let Some(ws) = claim.word_score(spans) else {
                        continue;
                    };
                    if ws + 1e-9 < WORD_THRESHOLD.max(self.threshold) {
                        continue;
                    }
                    // The stance reads the stretch from the first to the last claim word.
                    let mut hit = spans.iter().filter(|(w, _)| claim.words.contains(w));
                    if let Some((_, first)) = hit.next() {
                        fa = s0 + first.start;
                        fb = s0 + hit.next_back().map_or(first.end, |(_, r)| r.end) - 1;
                    }
                    score = ws;
                    basis = "words";
                }
                // Folded characters that are part of the matched claim.
                let mut covered: Vec<usize> = Vec::new();
                for p in w.first..=w.last {
                    if claim
                        .shingles
                        .binary_search(&shingle(key.chars[p], key.chars[p + 1]))
                        .is_ok()
                    {
                        covered.push(key.at[p]);
                        covered.push(key.at[p + 1]);
                    }
                }
                covered.sort_unstable();
                covered.dedup();
                let matched = |b: &u64| {
                    (w.first..=w.last).any(|p| shingle(key.chars[p], key.chars[p + 1]) == *b)
                };
                let lost = claim
                    .negations
                    .iter()
                    .find(|(bigrams, _)| !bigrams.iter().any(matched));
                let (stance, cue) = match lost {
                    // The claim's own negation is not there: the text says the opposite.
                    Some((_, word)) => (
                        Stance::Negated,
                        Some(format!("without the claim's `{word}`")),
                    ),
                    None => structure.stance(fa, fb, |i| covered.binary_search(&i).is_ok()),
                };
                let (s0, s1) = structure.sentence(structure.sentence_of(fb));
                let (start, end) = folded.original_span(s0..s1).unwrap_or((0, 0));
                let claim_span = folded.original_span(fa..fb + 1).unwrap_or((0, 0));
                let m = RumourMatch {
                    rumour: &self.rumours[cid],
                    score,
                    start: start as usize,
                    end: end as usize,
                    claim_span: (claim_span.0 as usize, claim_span.1 as usize),
                    stance,
                    cue,
                    hedged: matches!(stance, Stance::Asked | Stance::Hedged),
                    basis,
                };
                if m.stance.rank() >= 3 {
                    // The last word counts: a later sentence overrides an earlier one.
                    decisive = Some(m);
                } else if soft
                    .as_ref()
                    .is_none_or(|b| (m.stance.rank(), m.score) > (b.stance.rank(), b.score))
                {
                    soft = Some(m);
                }
            }
            out.extend(decisive.or(soft));
        }
        out.sort_by_key(|m| (m.start, m.end));
        out
    }

    /// Folds `text`, finds its key bigrams in the index and, for every claim whose hits could
    /// reach `min_score`, the best window in each sentence. `None` when no claim is a candidate.
    fn scan(&self, text: &str, min_score: f64) -> Option<Scan<'static>> {
        if self.rumours.is_empty() {
            return None;
        }
        self.scan_folded(text, Cow::Owned(self.fold(text)), min_score)
    }

    /// [`RumourLibrary::scan`] of `text` folded already.
    fn scan_folded<'f>(
        &self,
        text: &str,
        folded: Cow<'f, Folded>,
        min_score: f64,
    ) -> Option<Scan<'f>> {
        if self.rumours.is_empty() {
            return None;
        }
        let key = key_of(&folded);
        if key.chars.len() < 2 {
            return None;
        }
        // claim → hits (key bigram position, bigram id), positions ascending.
        let mut hits: FxHashMap<u32, Vec<(usize, u32)>> = FxHashMap::default();
        if min_score + 1e-9 >= self.low_threshold() {
            // Candidates from the prefix index, with where they were named; then each
            // candidate's hits from the text, only within a window's reach of those places.
            let mut named: Vec<(u32, usize, u64)> = Vec::new();
            for (pos, w) in key.chars.windows(2).enumerate() {
                let sh = shingle(w[0], w[1]);
                if let Some(cids) = self.prefix.get(&sh) {
                    named.extend(cids.iter().map(|&c| (c, pos, sh)));
                }
            }
            named.sort_unstable();
            let last = key.chars.len() - 2;
            for group in named.chunk_by(|a, b| a.0 == b.0) {
                let cid = group[0].0;
                let claim = &self.indexed[cid as usize];
                let reach = claim.max_chars();
                if claim.prefix_meet >= 2 && !two_within(group, reach) {
                    continue;
                }
                let mut h: Vec<(usize, u32)> = Vec::new();
                let mut next = 0usize; // first position not yet scanned
                for &(_, p, _) in group {
                    let from = p.saturating_sub(reach).max(next);
                    let to = (p + reach).min(last);
                    for pos in from..=to {
                        let sh = shingle(key.chars[pos], key.chars[pos + 1]);
                        if let Ok(i) = claim.shingles.binary_search(&sh) {
                            h.push((pos, claim.sids[i]));
                        }
                    }
                    next = next.max(to + 1);
                }
                hits.insert(cid, h);
            }
        } else {
            for (pos, w) in key.chars.windows(2).enumerate() {
                if let Some(postings) = self.index.get(&shingle(w[0], w[1])) {
                    for &(cid, sid) in postings {
                        hits.entry(cid).or_default().push((pos, sid));
                    }
                }
            }
        }
        // Quick reject: not even all hits together could reach the threshold.
        hits.retain(|cid, h| {
            h.len() as f64 >= min_score * self.indexed[*cid as usize].shingles.len() as f64 - 1e-9
        });
        if hits.is_empty() {
            return None;
        }
        let structure = Structure::new(text, &folded);
        let sentence = |p: usize| structure.sentence_of(key.at[p]);
        let mut windows: Vec<(usize, Vec<Window>)> = Vec::with_capacity(hits.len());
        for (cid, mut hits) in hits {
            let claim = &self.indexed[cid as usize];
            // A bigram across a sentence boundary is no evidence.
            hits.retain(|&(p, _)| sentence(p) == sentence(p + 1));
            let max_chars = claim.max_chars();
            let mut counts = vec![0u32; claim.shingles.len()];
            let tail_from = claim.tail_from();
            let (mut distinct, mut tail) = (0usize, 0usize);
            let mut out: Vec<Window> = Vec::new();
            let mut best = Window::default();
            let mut lo = 0;
            for hi in 0..hits.len() {
                let (pos, sid) = hits[hi];
                if hi > 0 && sentence(hits[hi - 1].0) != sentence(pos) {
                    // A new sentence: keep the last one's best window, start afresh.
                    if best.distinct > 0 {
                        out.push(best);
                    }
                    best = Window::default();
                    counts.iter_mut().for_each(|c| *c = 0);
                    (distinct, tail) = (0, 0);
                    lo = hi;
                }
                if counts[sid as usize] == 0 {
                    distinct += 1;
                    tail += usize::from(sid as usize >= tail_from);
                }
                counts[sid as usize] += 1;
                while pos + 2 - hits[lo].0 > max_chars {
                    let s = hits[lo].1 as usize;
                    counts[s] -= 1;
                    if counts[s] == 0 {
                        distinct -= 1;
                        tail -= usize::from(s >= tail_from);
                    }
                    lo += 1;
                }
                if distinct > best.distinct {
                    best = Window {
                        distinct,
                        tail,
                        first: hits[lo].0,
                        last: pos,
                    };
                }
            }
            if best.distinct > 0 {
                out.push(best);
            }
            // A sentence whose best window shares too few of the claim's bigrams is no
            // candidate, not even for the word-by-word comparison.
            let need = min_score * claim.shingles.len() as f64 - 1e-9;
            out.retain(|w| w.distinct as f64 >= need);
            if !out.is_empty() {
                windows.push((cid as usize, out));
            }
        }
        windows.sort_by_key(|(cid, _)| *cid);
        Some(Scan {
            folded,
            key,
            structure,
            windows,
        })
    }
}

/// What [`RumourLibrary::scan`] found in one text.
struct Scan<'f> {
    folded: Cow<'f, Folded>,
    key: Key,
    structure: Structure,
    /// Per candidate claim (ascending): its best window in each sentence that has hits.
    windows: Vec<(usize, Vec<Window>)>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Window {
    distinct: usize,
    /// How many of them are among the claim's predicate bigrams ([`Indexed::tail_from`]).
    tail: usize,
    /// Key bigram position of the first hit.
    first: usize,
    /// Key bigram position of the last hit.
    last: usize,
}

/// Whether two different bigrams of `named` (one claim's prefix bigrams found in a text, as
/// `(claim, key position, bigram)` in ascending position) stand within `reach` key positions of
/// each other, as two of them must in any window that can match ([`RumourLibrary::build_prefix_index`]).
fn two_within(named: &[(u32, usize, u64)], reach: usize) -> bool {
    // If two different bigrams stand within reach, so do two neighbours in position order
    // somewhere between them.
    named
        .windows(2)
        .any(|w| w[0].2 != w[1].2 && w[1].1 - w[0].1 <= reach)
}

fn shingle(a: char, b: char) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

fn csv_error(file: &str, e: &csv::Error) -> ConfigError {
    let line = e.position().map(|p| p.line()).unwrap_or(1);
    let why = if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
        "invalid UTF-8".to_string()
    } else {
        e.to_string()
    };
    ConfigError::line(file, line, why)
}

fn is_partial_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let num = |p: &str, len: usize, lo: u32, hi: u32| {
        p.len() == len
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|v| (lo..=hi).contains(&v))
    };
    match parts.as_slice() {
        [y] => num(y, 4, 1900, 2999),
        [y, m] => num(y, 4, 1900, 2999) && num(m, 2, 1, 12),
        [y, m, d] => {
            num(y, 4, 1900, 2999)
                && num(m, 2, 1, 12)
                && num(d, 2, 1, 31)
                // A day the month has (no 2020-02-31).
                && time::Month::try_from(m.parse::<u8>().unwrap_or(0)).is_ok_and(|month| {
                    time::Date::from_calendar_date(
                        y.parse().unwrap_or(0),
                        month,
                        d.parse().unwrap_or(0),
                    )
                    .is_ok()
                })
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../data/rumours/known-rumours.csv");

    fn shipped() -> RumourLibrary {
        RumourLibrary::parse("known-rumours.csv", SHIPPED.as_bytes(), None).unwrap()
    }

    fn cp_slice(text: &str, start: usize, end: usize) -> String {
        text.chars().skip(start).take(end - start).collect()
    }

    #[test]
    fn shipped_library_loads() {
        let lib = shipped();
        assert!(lib.len() >= 20, "{}", lib.len());
        assert_eq!(lib.threshold(), DEFAULT_THRESHOLD);
        assert!(lib.rumours().iter().all(|r| !r.refuted_by.is_empty()));
    }

    /// (name, text, the claim that must match or None).
    #[test]
    fn near_duplicates_match_and_controls_pass() {
        let lib = shipped();
        let cases: &[(&str, &str, Option<&str>)] = &[
            // Positives: the rumour as the refuting pages quote it, and the evasions users use.
            ("verbatim", "吃碘盐可以防核辐射", Some("吃碘盐可以防核辐射")),
            (
                "one character inserted",
                "吃碘盐可以预防核辐射",
                Some("吃碘盐可以防核辐射"),
            ),
            (
                "text around, punctuation",
                "紧急扩散！！专家说：吃碘盐，可以防核辐射，大家赶快去超市囤盐吧",
                Some("吃碘盐可以防核辐射"),
            ),
            (
                "full-width and spaces",
                "ｗｈｏ说的：吃 碘 盐 可 以 防 核 辐 射！",
                Some("吃碘盐可以防核辐射"),
            ),
            (
                "traditional script",
                "轉發：吃碘鹽可以防核輻射，快去買鹽",
                Some("吃碘盐可以防核辐射"),
            ),
            (
                "zero-width and emoji separators",
                "网络上热传视频称肉松饼\u{200b}是😱棉花做的",
                Some("肉松是棉花做的"),
            ),
            (
                "words changed",
                "她称这些紫菜是用废旧的黑塑料袋做的",
                Some("紫菜是塑料袋做的"),
            ),
            (
                "word dropped",
                "网传无籽葡萄是避孕药培育出来的，吃了会不孕",
                Some("无籽葡萄是用避孕药培育出来的"),
            ),
            (
                "paraphrased verb",
                "用微波炉加热过的食物吃了会致癌",
                Some("微波炉加热的食物会致癌"),
            ),
            (
                "5G rumour in a longer post",
                "我表哥在电信上班，他说5G网络传播新冠病毒，所以武汉最先爆发，转给家人",
                Some("5G会传播新冠病毒"),
            ),
            (
                "reordered place and time",
                "春节后上班第一天，安徽淮南市出现了离婚潮",
                Some("淮南春节后上班第一天出现离婚潮"),
            ),
            (
                "function words and synonyms swapped",
                "吃碘盐就能防住核辐射",
                Some("吃碘盐可以防核辐射"),
            ),
            (
                "modal dropped",
                "吃碘盐能防核辐射",
                Some("吃碘盐可以防核辐射"),
            ),
            (
                "other name of the virus",
                "喝板蓝根、熏醋可以预防武汉肺炎",
                Some("喝板蓝根可以预防新冠肺炎"),
            ),
            // Negative controls: the same topic words, not the claim, or the claim denied.
            ("negated", "吃碘盐不能防核辐射，别去抢盐", None),
            ("potential complement", "吃碘盐防不住核辐射", None),
            ("topic only", "今天用微波炉加热了食物，味道还不错", None),
            (
                "topic only 2",
                "超市的碘盐最近卖得很好，核电站附近的居民很关心辐射",
                None,
            ),
            ("topic only 3", "我家楼顶新装了5G基站，网速快多了", None),
            (
                "same frame, other disease",
                "蚊子叮咬会传播疟疾和登革热",
                None,
            ),
            ("true neighbour", "医用酒精可以杀死新冠病毒", None),
            (
                "refutation in own words",
                "癌细胞的代谢需要葡萄糖，但不吃饭饿不死癌细胞",
                None,
            ),
            ("the truth", "无籽西瓜是用三倍体杂交培育的", None),
            (
                "unrelated",
                "房间干净，服务周到，早餐品种丰富，下次还来。",
                None,
            ),
        ];
        for (name, text, want) in cases {
            let got = lib.find(text);
            match want {
                Some(claim) => {
                    assert_eq!(got.len(), 1, "{name}: {got:?}");
                    assert_eq!(got[0].rumour.claim, *claim, "{name}");
                    let m = &got[0];
                    let ev = cp_slice(text, m.start, m.end);
                    assert!(!ev.is_empty() && text.contains(&ev), "{name}: {ev}");
                }
                None => assert!(
                    got.is_empty(),
                    "{name}: {:?}",
                    got.iter()
                        .map(|m| (&m.rumour.claim, m.score))
                        .collect::<Vec<_>>()
                ),
            }
        }
    }

    #[test]
    fn evidence_offsets_are_code_points_into_the_original() {
        let lib = shipped();
        let text = "🙂转发：紧急通知，吃碘盐可以防核辐射！转给家人";
        let m = &lib.find(text)[0];
        assert_eq!(
            cp_slice(text, m.start, m.end),
            "转发：紧急通知，吃碘盐可以防核辐射"
        );
        assert_eq!(
            cp_slice(text, m.claim_span.0, m.claim_span.1),
            "吃碘盐可以防核辐射"
        );
        assert_eq!(m.stance, Stance::Asserted);
        assert!(!m.hedged);
    }

    /// (text, stance towards 吃碘盐可以防核辐射 or the named claim, cue).
    #[test]
    fn stance_by_scope_and_frame() {
        let lib = shipped();
        let cases: &[(&str, Stance, Option<&str>)] = &[
            ("吃碘盐不会错，可以防核辐射，快囤！", Stance::Asserted, None),
            (
                "别听专家说是谣言，吃碘盐可以防核辐射",
                Stance::Asserted,
                None,
            ),
            (
                "这不是谣言！吃碘盐可以防核辐射",
                Stance::Asserted,
                Some("不是谣言"),
            ),
            (
                "专家说是谣言，其实吃碘盐真的可以防核辐射",
                Stance::Asserted,
                None,
            ),
            ("不仅吃碘盐可以防核辐射，喝碘酒也行", Stance::Asserted, None),
            (
                "吃碘盐不能防核辐射，这是谣言",
                Stance::Negated,
                Some("不能"),
            ),
            ("吃碘盐，根本无法防核辐射", Stance::Negated, Some("无法")),
            ("吃碘盐并不能防住核辐射", Stance::Negated, Some("不能")),
            (
                "网传“吃碘盐可以防核辐射”，这是谣言。",
                Stance::Refuted,
                Some("谣言"),
            ),
            ("辟谣：吃碘盐可以防核辐射？", Stance::Refuted, Some("辟谣")),
            ("吃碘盐可以防核辐射？不能！", Stance::Refuted, Some("不能")),
            ("别信吃碘盐能防核辐射", Stance::Refuted, Some("别信")),
            (
                "吃碘盐可以防核辐射的说法没有科学依据",
                Stance::Refuted,
                Some("没有科学依据"),
            ),
            (
                "吃碘盐可以防核辐射，是真的吗",
                Stance::Asked,
                Some("是真的吗"),
            ),
            ("板蓝根可以预防新冠肺炎？", Stance::Asked, Some("？")),
            (
                "吃碘盐可以防核辐射。另外，网上关于地震的谣言很多",
                Stance::Hedged,
                Some("谣言"),
            ),
            (
                "网传吃碘盐可以防核辐射。经查，吃碘盐不能防核辐射。",
                Stance::Negated,
                Some("不能"),
            ),
            (
                "吃碘盐不能防核辐射？谁信啊。多吃碘盐就能防核辐射！",
                Stance::Asserted,
                None,
            ),
            (
                "新冠病毒在炎热潮湿的地方也能传播",
                Stance::Negated,
                Some("without the claim's `不`"),
            ),
        ];
        for (text, want, cue) in cases {
            let got = lib.analyze(text);
            assert_eq!(got.len(), 1, "{text}: {got:?}");
            assert_eq!(got[0].stance, *want, "{text}: {got:?}");
            assert_eq!(got[0].cue.as_deref(), *cue, "{text}");
            assert_eq!(
                lib.find(text).len(),
                usize::from(want.is_flagged()),
                "{text}"
            );
        }
        let m = lib.find("吃碘盐可以防核辐射！转发给家人");
        assert!(!m[0].hedged);
    }

    #[test]
    fn corpus_samples_never_match() {
        let lib = shipped();
        for corpus in [
            include_str!("../../data/corpus/peoples-daily-199801.sample.txt"),
            include_str!("../../data/corpus/reviews.sample.txt"),
        ] {
            for line in corpus.lines() {
                let got = lib.find(line);
                assert!(got.is_empty(), "{line}: {:?}", got[0].rumour.claim);
            }
        }
    }

    /// The prefix index (two listed bigrams within reach) finds exactly what the full postings
    /// find, at three thresholds, for the red-team texts and corpus lines, with the shipped
    /// claims plus 2,000 newspaper clauses as claims (which ordinary text shares bigrams with).
    #[test]
    fn the_prefix_index_loses_no_match() {
        let shipped_csv = include_str!("../../data/rumours/known-rumours.csv");
        let pd = include_str!("../../data/corpus/peoples-daily-199801.sample.txt");
        let reviews = include_str!("../../data/corpus/reviews.sample.txt");
        let redteam = include_str!("../../tests/redteam/cases/rumours.jsonl");
        let base = shipped();
        let mut csv = shipped_csv.to_string();
        let mut seen: std::collections::HashSet<String> =
            base.rumours().iter().map(|r| base.key(&r.claim)).collect();
        let mut added = 0;
        for clause in pd.lines().flat_map(|l| l.split(['，', '。', '；', '：'])) {
            let n = clause.chars().count();
            let key = base.key(clause);
            if (8..=20).contains(&n)
                && !clause.contains([',', '"'])
                && key.chars().count() >= 6
                && seen.insert(key)
            {
                csv.push_str(&format!("{clause},filler,\n"));
                added += 1;
            }
            if added == 2_000 {
                break;
            }
        }
        let mut texts: Vec<String> = redteam
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["text"].as_str().map(str::to_string))
            .collect();
        texts.extend(
            pd.lines()
                .chain(reviews.lines())
                .step_by(7)
                .map(str::to_string),
        );
        let mut compared = 0;
        for threshold in [0.5, 0.7, 0.9] {
            let lib = RumourLibrary::parse("scale.csv", csv.as_bytes(), Some(threshold)).unwrap();
            let low = lib.low_threshold();
            for text in &texts {
                let got = lib.analyze(text);
                // Just below the prefix index's threshold, the scan reads the full postings.
                let full = lib.analyze_scan(lib.scan(text, low - 1e-6));
                let key = |m: &RumourMatch<'_>| (m.rumour.claim.clone(), m.start, m.stance);
                assert_eq!(
                    got.iter().map(key).collect::<Vec<_>>(),
                    full.iter().map(key).collect::<Vec<_>>(),
                    "threshold {threshold}: {text}"
                );
                compared += full.len();
            }
        }
        assert!(compared > 500, "{compared}");
    }

    #[test]
    fn two_listed_bigrams_must_meet_within_reach() {
        let at = |v: &[(usize, u64)]| v.iter().map(|&(p, b)| (0u32, p, b)).collect::<Vec<_>>();
        assert!(!two_within(&at(&[(0, 1)]), 10));
        assert!(
            !two_within(&at(&[(0, 1), (5, 1), (9, 1)]), 10),
            "one bigram, repeated"
        );
        assert!(two_within(&at(&[(0, 1), (5, 2)]), 10));
        assert!(!two_within(&at(&[(0, 1), (11, 2)]), 10), "out of reach");
        assert!(two_within(&at(&[(0, 2), (8, 1), (12, 1)]), 10));
        assert!(!two_within(&at(&[(0, 2), (11, 1), (12, 1)]), 10));
        assert!(two_within(&at(&[(0, 1), (30, 1), (31, 2)]), 10));
    }

    #[test]
    fn threshold_is_validated_and_used() {
        for bad in [0.0, -0.1, 1.01, f64::NAN] {
            let err = RumourLibrary::parse("r.csv", SHIPPED.as_bytes(), Some(bad))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("r.csv: rumour_threshold"), "{err}");
        }
        let strict = RumourLibrary::parse("r.csv", SHIPPED.as_bytes(), Some(1.0)).unwrap();
        assert!(strict.find("告诉家里人，微波炉热过的饭菜会致癌").is_empty());
        assert_eq!(strict.find("吃碘盐可以防核辐射").len(), 1);
    }

    #[test]
    fn extra_claims_join_the_file_and_bad_ones_are_left_out() {
        let extra = |claim: &str, at: Option<&str>| Rumour {
            claim: claim.into(),
            refuted_by: "某机构".into(),
            refuted_at: at.map(str::to_owned),
        };
        let (lib, skipped) = RumourLibrary::with_extra(
            "known.csv",
            Some(SHIPPED.as_bytes()),
            None,
            &[
                extra("喝柠檬水可以治愈癌症", Some("2026-11")),
                extra("柠檬水", None),
                extra("吃碘盐，就能防核辐射！", None),
                extra("手机充电时接电话会爆炸", Some("2026-13")),
                extra("喝柠檬水能治愈癌症", None),
                extra(&"谣言".repeat(101), None),
            ],
        )
        .unwrap();
        assert_eq!(skipped.len(), 5, "{skipped:?}");
        assert!(skipped[4].contains("at most 200"), "{skipped:?}");
        for (i, want) in [
            "letters or digits",
            "known.csv row 1",
            "refuted_at",
            "refuted claim \"喝柠檬水可以治愈癌症\"",
        ]
        .iter()
        .enumerate()
        {
            assert!(skipped[i].contains(want), "{i}: {want}: {skipped:?}");
        }
        let (_, long) = RumourLibrary::with_extra(
            "x",
            None,
            None,
            &[
                extra(&"喝柠檬水可以治愈癌症".repeat(30), None),
                Rumour {
                    refuted_by: "某".repeat(201),
                    ..extra("喝柠檬水可以治愈癌症", None)
                },
            ],
        )
        .unwrap();
        assert_eq!(long.len(), 2, "{long:?}");
        assert!(
            long[0].contains("`claim` has 300 characters; at most 200"),
            "{long:?}"
        );
        assert!(
            long[0].chars().count() < 300,
            "the message does not repeat a huge claim"
        );
        assert!(
            long[1].contains("`refuted_by` has 201 characters"),
            "{long:?}"
        );
        let found = lib.find("群里都在转：喝柠檬水能治愈癌症，别再去医院做化疗了！");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rumour.refuted_at.as_deref(), Some("2026-11"));
        assert_eq!(
            lib.find("吃碘盐可以防核辐射").len(),
            1,
            "the file's claims stay"
        );
        // Extra claims alone, and a bad file is still an error.
        let (alone, none) =
            RumourLibrary::with_extra("x", None, None, &[extra("喝柠檬水可以治愈癌症", None)])
                .unwrap();
        assert!(none.is_empty());
        assert_eq!(alone.find("喝柠檬水可以治愈癌症").len(), 1);
        assert!(RumourLibrary::with_extra("bad.csv", Some(b"claim\n"), None, &[]).is_err());
    }

    #[test]
    fn claims_of_repeated_characters_are_refused() {
        let extra = |claim: &str| Rumour {
            claim: claim.into(),
            refuted_by: "某机构".into(),
            refuted_at: None,
        };
        let claims = [
            "哈哈哈哈哈哈",
            "111111",
            "aaaaaa",
            "的的的的的的的好好好好",
            "哈哈哈哈哈哈哈哈哈嘿",
        ];
        let (lib, skipped) = RumourLibrary::with_extra(
            "x",
            None,
            None,
            &claims.iter().map(|c| extra(c)).collect::<Vec<_>>(),
        )
        .unwrap();
        assert_eq!(skipped.len(), claims.len(), "{skipped:?}");
        assert!(
            skipped
                .iter()
                .all(|s| s.contains("distinct character pairs")),
            "{skipped:?}"
        );
        for text in [
            "哈哈，今天真开心",
            "11月的天气真好",
            "I saw a baaad movie",
            "好好学习，天天向上",
        ] {
            assert!(lib.find(text).is_empty(), "{text}");
        }
        assert!(RumourLibrary::parse(
            "r.csv",
            "claim,refuted_by\n哈哈哈哈哈哈,x\n".as_bytes(),
            None
        )
        .is_err());
    }

    #[test]
    fn bad_rows_name_file_and_line() {
        let cases = [
            ("claim,source\nx,y\n", "r.csv:1: header"),
            ("claim,refuted_by\n,某机构\n", "r.csv:2: empty `claim`"),
            (
                "claim,refuted_by\n吃碘盐可以防核辐射,\n",
                "r.csv:2: empty `refuted_by`",
            ),
            ("claim,refuted_by\n5G基站,某机构\n", "r.csv:2: claim has 4"),
            (
                "claim,refuted_by\n吃碘盐可以防核辐射,甲\n吃碘盐，可以防核辐射！,乙\n",
                "r.csv:3: claim repeats line 2",
            ),
            (
                "claim,refuted_by,refuted_at\n吃碘盐可以防核辐射,甲,2011/03\n",
                "r.csv:2: `refuted_at`",
            ),
            (
                "claim,refuted_by,refuted_at\n吃碘盐可以防核辐射,甲,2011-13\n",
                "r.csv:2: `refuted_at`",
            ),
        ];
        for (csv, want) in cases {
            let err = RumourLibrary::parse("r.csv", csv.as_bytes(), None)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(want), "{want} vs {err}");
        }
        let mut bytes = b"claim,refuted_by\n".to_vec();
        bytes.extend_from_slice(b"\xff\xfe,x\n");
        let err = RumourLibrary::parse("r.csv", &bytes, None)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("r.csv:2: invalid UTF-8"), "{err}");
        // Optional column, BOM, extra columns.
        let ok = RumourLibrary::parse(
            "r.csv",
            "\u{feff}claim,refuted_by,note\n吃碘盐可以防核辐射,卫生部,x\n".as_bytes(),
            None,
        )
        .unwrap();
        assert_eq!(ok.rumours()[0].refuted_at, None);
        assert!(RumourLibrary::empty().find("吃碘盐可以防核辐射").is_empty());
    }
}
