//! Known-rumour library (Art. 11): CSV `claim,refuted_by[,refuted_at]` (DESIGN §5) and a
//! near-duplicate matcher that finds a known, already refuted rumour inside a text even when the
//! text changes its punctuation, spacing, width or script, words a few characters differently, or
//! wraps the claim in text of its own.
//!
//! # Matching
//!
//! Claims and texts are normalized the same way, character by character so that every normalized
//! character keeps the code-point offset of the original character it came from: NFKC (full-width
//! forms, compatibility characters), lower case, traditional → simplified Chinese (OpenCC `t2s`,
//! used only when it keeps the character count, which it does for ordinary text), and every
//! character that is not a letter or digit dropped (punctuation, white space, emoji, format
//! characters such as U+200B).
//!
//! A claim is the set of its character bigrams ("shingles"). The score of a claim against a text is
//! its **containment** in the best window of the text: the largest share of the claim's distinct
//! shingles that occur in one stretch of the text at most [`WINDOW_SLACK`] times the claim's length.
//! Containment, not Jaccard, because a post adds its own text around a rumour; the window keeps a
//! long text that merely uses the claim's words here and there from adding up to a match. A text
//! repeats the claim when the score is at least the threshold (default [`DEFAULT_THRESHOLD`];
//! pipeline option `rumour_threshold`, 0 < t ≤ 1).
//!
//! Shingles are indexed in a `HashMap` from shingle to (claim, shingle) postings, so checking a
//! text costs one hash look-up per text character plus the postings that hit, then one linear
//! sliding-window pass per claim that was hit.
//!
//! Two guards keep the truth from being rejected as the rumour:
//! - **negation**: a window that contains a negation the claim does not (不会, 不能, 并非, 没有…)
//!   states the opposite or asks the question (`微波炉加热食物会不会致癌`), and is not a match;
//! - **hedging**: a text that calls something a rumour (谣言, 辟谣, 不实…) may be a debunking that
//!   quotes the claim, and a claim followed by a question (`…是真的吗`, `…？`) is asked, not
//!   asserted; the match is still reported but [`RumourMatch::hedged`] is set so the stage can hold
//!   it for a person instead of rejecting it.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

use crate::config::ConfigError;

/// Default similarity threshold: at least 70 % of a claim's distinct character bigrams must occur
/// in one window of the text. Chosen on the shipped library (see `docs/news-detection.md`): it
/// keeps a claim with a changed or inserted character or two (a 10-character claim with one
/// substituted character scores 7/9 = 0.78), while texts that share the claim's topic words but
/// not the claim score 0.3–0.6, and no line of the People's Daily or review corpora reaches it.
pub const DEFAULT_THRESHOLD: f64 = 0.7;

/// The shortest accepted claim, in normalized characters: shorter claims (a bare topic word such as
/// `5G基站`) would match ordinary text.
pub const MIN_CLAIM_CHARS: usize = 6;

/// A matching window may be at most this many times the claim's normalized length, so that words
/// inserted into the claim still match but words scattered over a long text do not.
pub const WINDOW_SLACK: f64 = 1.5;

/// How far after a match `吗` still makes it a question (`…，是真的吗`).
const QUESTION_LOOKAHEAD: usize = 5;

/// Negations that, found inside the matched window but not in the claim, mean the text says the
/// opposite of the claim (or asks whether it is true).
const NEGATIONS: &[&str] = &[
    "不会",
    "不能",
    "不可能",
    "不可以",
    "并不",
    "并非",
    "不是",
    "没有",
    "没法",
    "无法",
    "不致",
    "不存在",
    "未能",
    "从未",
    "毫无",
    "不含",
    "别信",
    "勿信",
];

/// Words that mark a text as discussing a rumour as a rumour (a debunking, or a spreader's
/// "这不是谣言"): a match in such a text is reported with `hedged`.
const REFUTATION_MARKERS: &[&str] = &[
    "谣言",
    "辟谣",
    "不实",
    "谣传",
    "假消息",
    "假新闻",
    "流言",
    "伪科学",
    "无稽之谈",
    "没有科学依据",
    "没有依据",
    "毫无根据",
    "纯属",
    "造谣",
    "传谣",
    "误区",
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

/// A known rumour found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct RumourMatch<'a> {
    /// The rumour.
    pub rumour: &'a Rumour,
    /// Containment score in `threshold..=1.0`.
    pub score: f64,
    /// Start of the matched stretch, in code points into the original text.
    pub start: usize,
    /// End (exclusive) of the matched stretch, in code points into the original text.
    pub end: usize,
    /// The text calls something a rumour (谣言, 辟谣…) or asks about the claim (`吗`, `？` right
    /// after it): it may be a debunking or a question, so a person should decide.
    pub hedged: bool,
}

#[derive(Debug, Clone)]
struct Indexed {
    /// Normalized claim characters.
    norm: Vec<char>,
    /// Number of distinct shingles.
    shingles: usize,
}

/// The loaded library.
#[derive(Clone)]
pub struct RumourLibrary {
    threshold: f64,
    rumours: Vec<Rumour>,
    indexed: Vec<Indexed>,
    /// shingle → (claim index, shingle id within the claim).
    index: HashMap<u64, Vec<(u32, u32)>>,
    t2s: Option<Arc<ferrous_opencc::OpenCC>>,
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

impl RumourLibrary {
    /// An empty library (no rumours configured): never matches.
    pub fn empty() -> Self {
        RumourLibrary {
            threshold: DEFAULT_THRESHOLD,
            rumours: Vec::new(),
            indexed: Vec::new(),
            index: HashMap::new(),
            t2s: None,
        }
    }

    /// Parses a rumour CSV: header with the columns `claim` and `refuted_by`, optionally
    /// `refuted_at`; other columns are ignored. `file` is how errors name the file; `threshold`
    /// is the pipeline's `rumour_threshold` (default [`DEFAULT_THRESHOLD`]).
    ///
    /// # Errors
    /// `file:line: reason` for invalid UTF-8, a missing column, an empty `claim` or `refuted_by`,
    /// a claim shorter than [`MIN_CLAIM_CHARS`] letters or digits, a claim that normalizes to the
    /// same text as an earlier row, or a `refuted_at` that is not `YYYY[-MM[-DD]]`; `file: reason`
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
        let t2s = if rows.is_empty() {
            None
        } else {
            Some(Arc::new(
                ferrous_opencc::OpenCC::from_config(ferrous_opencc::config::BuiltinConfig::T2s)
                    .map_err(|e| ConfigError::file(file, format!("cannot load OpenCC t2s: {e}")))?,
            ))
        };
        let mut lib = RumourLibrary {
            threshold,
            t2s,
            ..RumourLibrary::empty()
        };
        let mut seen: HashMap<Vec<char>, u64> = HashMap::new();
        for (line, rumour) in rows {
            let norm = lib.normalize(&rumour.claim).chars;
            if norm.len() < MIN_CLAIM_CHARS {
                return Err(ConfigError::line(
                    file,
                    line,
                    format!(
                        "claim has {} letters or digits after normalization; at least {MIN_CLAIM_CHARS} are needed so that it does not match ordinary text",
                        norm.len()
                    ),
                ));
            }
            if let Some(first) = seen.insert(norm.clone(), line) {
                return Err(ConfigError::line(
                    file,
                    line,
                    format!("claim repeats line {first} (the same after normalization)"),
                ));
            }
            lib.add(rumour, norm);
        }
        Ok(lib)
    }

    fn add(&mut self, rumour: Rumour, norm: Vec<char>) {
        let cid = self.rumours.len() as u32;
        let mut ids: HashMap<u64, u32> = HashMap::new();
        for w in norm.windows(2) {
            let key = shingle(w[0], w[1]);
            let next = ids.len() as u32;
            if let std::collections::hash_map::Entry::Vacant(e) = ids.entry(key) {
                e.insert(next);
                self.index.entry(key).or_default().push((cid, next));
            }
        }
        self.indexed.push(Indexed {
            norm,
            shingles: ids.len(),
        });
        self.rumours.push(rumour);
    }

    /// The threshold in use.
    pub fn threshold(&self) -> f64 {
        self.threshold
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

    /// The best score of every claim against `text` (0 for claims with no shingle in it), in file
    /// order, ignoring the threshold and the negation guard. For tuning and the corpus measurement.
    pub fn scores(&self, text: &str) -> Vec<f64> {
        let norm = self.normalize(text);
        let mut out = vec![0.0; self.rumours.len()];
        for (cid, best) in self.best_windows(&norm.chars, 0.0) {
            out[cid] = best.distinct as f64 / self.indexed[cid].shingles as f64;
        }
        out
    }

    /// Every known rumour that `text` repeats (score ≥ threshold, no contradicting negation),
    /// ordered by position in the text. At most one match per rumour: its best window.
    pub fn find<'a>(&'a self, text: &str) -> Vec<RumourMatch<'a>> {
        if self.rumours.is_empty() {
            return Vec::new();
        }
        let norm = self.normalize(text);
        let mut refuted: Option<bool> = None;
        let mut out = Vec::new();
        for (cid, best) in self.best_windows(&norm.chars, self.threshold) {
            let claim = &self.indexed[cid];
            let score = best.distinct as f64 / claim.shingles as f64;
            if score + 1e-9 < self.threshold {
                continue;
            }
            // The window spans the shingles' characters: first..=last+1.
            let window = &norm.chars[best.first..=best.last + 1];
            if NEGATIONS
                .iter()
                .any(|n| contains(window, n) && !contains(&claim.norm, n))
            {
                continue;
            }
            let refuted = *refuted
                .get_or_insert_with(|| REFUTATION_MARKERS.iter().any(|m| contains(&norm.chars, m)));
            let end = norm.orig[best.last + 1] + 1;
            let hedged = refuted || is_question(&norm.chars[best.last + 2..], text, end);
            out.push(RumourMatch {
                rumour: &self.rumours[cid],
                score,
                start: norm.orig[best.first],
                end,
                hedged,
            });
        }
        out.sort_by_key(|m| (m.start, m.end));
        out
    }

    /// For every claim with at least one shingle in `chars`: the window with the most distinct
    /// claim shingles (earliest on ties). Claims whose hits cannot reach `min_score` are skipped.
    fn best_windows(&self, chars: &[char], min_score: f64) -> Vec<(usize, Window)> {
        if chars.len() < 2 || self.index.is_empty() {
            return Vec::new();
        }
        // claim → hits (text shingle position, shingle id), positions ascending.
        let mut hits: HashMap<u32, Vec<(usize, u32)>> = HashMap::new();
        for (pos, w) in chars.windows(2).enumerate() {
            if let Some(postings) = self.index.get(&shingle(w[0], w[1])) {
                for &(cid, sid) in postings {
                    hits.entry(cid).or_default().push((pos, sid));
                }
            }
        }
        let mut out = Vec::with_capacity(hits.len());
        for (cid, hits) in hits {
            let claim = &self.indexed[cid as usize];
            // Quick reject: not even all hits together could reach the threshold.
            if (hits.len() as f64) < min_score * claim.shingles as f64 - 1e-9 {
                continue;
            }
            // A window covers the characters first..=last+1, at most `max_chars` of them.
            let max_chars = ((claim.norm.len() as f64) * WINDOW_SLACK).ceil() as usize;
            let mut counts = vec![0u32; claim.shingles];
            let mut distinct = 0usize;
            let mut best = Window::default();
            let mut lo = 0;
            for hi in 0..hits.len() {
                let (pos, sid) = hits[hi];
                if counts[sid as usize] == 0 {
                    distinct += 1;
                }
                counts[sid as usize] += 1;
                while pos + 2 - hits[lo].0 > max_chars {
                    let s = hits[lo].1 as usize;
                    counts[s] -= 1;
                    if counts[s] == 0 {
                        distinct -= 1;
                    }
                    lo += 1;
                }
                if distinct > best.distinct {
                    best = Window {
                        distinct,
                        first: hits[lo].0,
                        last: pos,
                    };
                }
            }
            out.push((cid as usize, best));
        }
        out.sort_by_key(|(cid, _)| *cid);
        out
    }

    /// Normalizes `text` as described in the module docs, keeping for every output character the
    /// code-point index of the input character it came from.
    fn normalize(&self, text: &str) -> Normalized {
        let mut chars = Vec::with_capacity(text.len() / 2);
        let mut orig = Vec::with_capacity(text.len() / 2);
        let mut buf = String::new();
        for (i, c) in text.chars().enumerate() {
            let mut push = |c: char| {
                for l in c.to_lowercase() {
                    if l.is_alphanumeric() {
                        chars.push(l);
                        orig.push(i);
                    }
                }
            };
            if is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes {
                push(c);
            } else {
                buf.clear();
                buf.extend(std::iter::once(c).nfkc());
                buf.chars().for_each(&mut push);
            }
        }
        if let Some(t2s) = &self.t2s {
            if chars.iter().any(|c| !c.is_ascii()) {
                let s: String = chars.iter().collect();
                let converted: Vec<char> = t2s.convert(&s).chars().collect();
                if converted.len() == chars.len() {
                    chars = converted;
                }
            }
        }
        Normalized { chars, orig }
    }
}

struct Normalized {
    chars: Vec<char>,
    orig: Vec<usize>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Window {
    distinct: usize,
    /// Text shingle position of the first hit.
    first: usize,
    /// Text shingle position of the last hit.
    last: usize,
}

/// Whether the claim is asked rather than asserted: `吗` within the next [`QUESTION_LOOKAHEAD`]
/// letters or digits (`…是真的吗`), or a question mark as the next non-space character of the
/// original text (`end` is a code-point offset into `text`).
fn is_question(after: &[char], text: &str, end: usize) -> bool {
    after.iter().take(QUESTION_LOOKAHEAD).any(|&c| c == '吗')
        || text
            .chars()
            .skip(end)
            .find(|c| !c.is_whitespace())
            .is_some_and(|c| matches!(c, '?' | '？'))
}

fn shingle(a: char, b: char) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

fn contains(hay: &[char], needle: &str) -> bool {
    let n: Vec<char> = needle.chars().collect();
    hay.windows(n.len()).any(|w| w == n.as_slice())
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
        [y, m, d] => num(y, 4, 1900, 2999) && num(m, 2, 1, 12) && num(d, 2, 1, 31),
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
                Some("紫菜是废旧塑料袋做的"),
            ),
            (
                "word dropped",
                "网传无籽葡萄是避孕药培育出来的，吃了会不孕",
                Some("无籽葡萄是用避孕药培育出来的"),
            ),
            (
                "paraphrased verb",
                "长期吃微波炉处理过的食物会致癌",
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
            // Negative controls: the same topic words, not the claim.
            ("negated", "吃碘盐不能防核辐射，别去抢盐", None),
            ("negated question", "微波炉加热的食物会不会致癌", None),
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
        let text = "🙂转发：紧急通知，吃碘盐可以防核辐射！";
        let m = &lib.find(text)[0];
        assert_eq!(cp_slice(text, m.start, m.end), "吃碘盐可以防核辐射");
        assert!(!m.hedged);
    }

    #[test]
    fn debunkings_and_questions_are_hedged() {
        let lib = shipped();
        for text in [
            "网传“吃碘盐可以防核辐射”，这是谣言，碘盐里的碘含量太低。",
            "吃碘盐可以防核辐射，是真的吗",
            "板蓝根可以预防新冠肺炎？",
        ] {
            let m = lib.find(text);
            assert_eq!(m.len(), 1, "{text}");
            assert!(m[0].hedged, "{text}");
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

    #[test]
    fn threshold_is_validated_and_used() {
        for bad in [0.0, -0.1, 1.01, f64::NAN] {
            let err = RumourLibrary::parse("r.csv", SHIPPED.as_bytes(), Some(bad))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("r.csv: rumour_threshold"), "{err}");
        }
        let strict = RumourLibrary::parse("r.csv", SHIPPED.as_bytes(), Some(1.0)).unwrap();
        assert!(strict
            .find("告诉家里人，微波炉加热过的食物会致癌")
            .is_empty());
        assert_eq!(strict.find("吃碘盐可以防核辐射").len(), 1);
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
