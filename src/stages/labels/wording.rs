//! Explicit-label wording (GB 45438-2025 5.x; Art. 18): whether a label states the AI and the
//! generation elements, and whether it denies synthesis ([`assess_wording`]).
//!
//! # Denial by scope
//! The label is folded exactly as the feature library folds text ([`Normalizer`]: NFKC, case,
//! traditional → simplified, separators and zero-width characters skipped, with a map back to
//! the original code points) and cut into tokens: one per Han character, one per ASCII word
//! (runs of single letters split only by separators join up, so `A I` and `A.I.` are `ai`).
//! Clause punctuation (`，。；：！？`, line breaks) ends a scope. Then:
//!
//! - an **AI element** (`AI`, `AIGC`, `人工智能`, camel-case `OpenAI`) or a **generation element**
//!   (`生成`, `合成`; for the scope also `generated`, `synthesized`, …) is *negated* when a
//!   negator (`非`, `不是`, `并非`, `未`, `没有`, `无`, `拒绝`, `not`, `no`, `without`, …) stands before
//!   it in the same clause with only linking words between (`由`, `经`, `使用`, `任何`, `深度`, `by`,
//!   `any`, …: `不是由AI生成`, `未由AI合成`, `没有使用任何AI`), or when a negating predicate closes
//!   the clause after it (`与AI生成无关`, `AI生成（并非）`, `AI-free`). A negated element followed
//!   by a marking noun (`无AIGC标识`: no AIGC *mark*) negates the mark, not the synthesis;
//! - a **reality claim** (`真实拍摄`, `实拍`, `纯手工`, `真人出镜`, `real footage`, …) that is not
//!   itself negated (`非实拍`) denies synthesis unless the label also says, un-negated, both the
//!   AI and the generation element (`实拍素材经AI合成`, `本视频含AI生成内容`).
//!
//! A negated element is reported before a reality claim; the evidence spans the negator and the
//! element it governs (or the claim), and [`Wording::Denies::cue`] names the rule and the word.

use std::sync::Arc;

use crate::text::normalize::{Folded, Normalizer};

/// How explicit-label wording fares under GB 45438-2025 and Art. 18.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wording {
    /// Has the AI element and the generation element and denies nothing.
    Conforming,
    /// Blank or absent wording.
    Empty,
    /// Lacks the AI element (`ai == true`) and/or the generation element (`generation == true`).
    Lacks {
        /// The AI element (`AI`/`人工智能`) is missing.
        ai: bool,
        /// The generation element (`生成`/`合成`) is missing.
        generation: bool,
    },
    /// Denies synthesis; `start..end` are code-point offsets of the denial in the original text.
    Denies {
        /// Start offset in code points.
        start: usize,
        /// End offset in code points (exclusive).
        end: usize,
        /// The original text at `start..end`.
        matched: String,
        /// What decided it, for the finding's detail: e.g. ``negator `不是` governs the AI
        /// element`` or ``reality claim `实拍` without an un-negated AI and generation element``.
        cue: String,
    },
}

/// Negators that govern a following element or reality claim (folded: lower case, simplified).
const NEG_PRE: &[&str] = &[
    "非",
    "不",
    "不是",
    "并非",
    "并不是",
    "绝非",
    "绝不是",
    "决非",
    "没",
    "没有",
    "无",
    "毫无",
    "未",
    "未经",
    "未曾",
    "从未",
    "从没",
    "不曾",
    "拒绝",
    "杜绝",
    "否认",
    "不含",
    "不涉及",
    "不属于",
    "零",
    "免",
    "not",
    "no",
    "non",
    "never",
    "without",
    "zero",
    "isnt",
    "wasnt",
    "nor",
    "free of",
];

/// Negating predicates that close a clause after an element (`与AI生成无关`, `AI生成（并非）`).
const NEG_POST: &[&str] = &[
    "无关",
    "无涉",
    "无关系",
    "没关系",
    "没有关系",
    "毫无关系",
    "不相关",
    "并非",
    "不是",
    "非",
    "否",
    "没有",
    "除外",
    "free",
    "not",
];

/// Linking words allowed between a negator and what it governs.
const BRIDGE: &[&str] = &[
    "由", "经", "经过", "被", "用", "使用", "通过", "是", "为", "属于", "含", "含有", "包含",
    "涉及", "采用", "借助", "利用", "以", "了", "过", "任何", "所谓", "深度", "的", "有", "参与",
    "加工", "技术", "工具", "介入", "进行", "做", "制作", "by", "with", "using", "use", "used",
    "made", "been", "is", "was", "are", "an", "a", "any", "the", "of", "created", "produced",
    "through", "via", "fully",
];

/// Words allowed between an element and a closing negator, and after it.
const POST_BRIDGE: &[&str] = &[
    "的", "内容", "技术", "作品", "成分", "参与", "了", "哦", "啊", "呢", "content", "at", "all",
];

/// Marking nouns: a negated element right before one negates the mark (`无AIGC标识`).
const MARK_NOUNS: &[&str] = &[
    "标识",
    "标签",
    "水印",
    "标志",
    "字样",
    "标记",
    "提示",
    "logo",
    "mark",
    "watermark",
    "label",
    "tag",
];

/// Phrases that claim the content is real or hand-made (folded).
const REALITY_CLAIMS: &[&str] = &[
    "真实拍摄",
    "实拍",
    "真人实拍",
    "真人出镜",
    "真人拍摄",
    "原创拍摄",
    "现场拍摄",
    "真实录音",
    "真实录制",
    "真人录制",
    "真人原声",
    "真实影像",
    "真实照片",
    "真实画面",
    "纯手工",
    "纯手绘",
    "纯人工",
    "人工创作",
    "真人创作",
    "亲手拍摄",
    "手机拍摄",
    "相机拍摄",
    "原图直出",
    "无修图",
    "real footage",
    "genuine footage",
    "real photo",
    "real video",
    "unedited",
    "human made",
    "handmade",
    "100 human",
    "shot on camera",
    "real recording",
];

/// The AI element (conformity and scope).
const AI_ELEMENT: &[&str] = &["ai", "aigc", "人工智能", "artificial intelligence"];
/// The generation element GB 45438-2025 asks for.
const GEN_ELEMENT: &[&str] = &["生成", "合成"];
/// English generation words: they count for the denial scope, not for conformity.
const GEN_PREFIXES_EN: &[&str] = &["generat", "synthes", "synthet"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ai,
    Gen,
    /// An English generation word (scope only).
    GenEn,
    NegPre,
    NegPost,
    Bridge,
    PostBridge,
    Mark,
    Reality,
    Other,
}

/// A run of tokens matched as one phrase; `start..end` are folded character indices.
#[derive(Debug, Clone, Copy)]
struct Item {
    start: usize,
    end: usize,
    /// A clause break comes before this item.
    break_before: bool,
}

/// One token: a Han (or other non-ASCII) character or an ASCII word, as folded indices.
#[derive(Debug, Clone)]
struct Token {
    text: String,
    start: usize,
    end: usize,
    break_before: bool,
    ascii: bool,
    /// A single letter, or single letters joined (`a` + `i`).
    letters: bool,
}

fn tokens(folded: &Folded) -> Vec<Token> {
    let chars: Vec<char> = folded.text.chars().collect();
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let f = folded.flags[i];
        if chars[i].is_ascii_alphanumeric() {
            let mut j = i + 1;
            while j < chars.len()
                && chars[j].is_ascii_alphanumeric()
                && !folded.flags[j].gap_before()
            {
                j += 1;
            }
            out.push(Token {
                text: chars[i..j].iter().collect(),
                start: i,
                end: j,
                break_before: f.clause_break_before(),
                ascii: true,
                letters: false,
            });
            i = j;
        } else {
            out.push(Token {
                text: chars[i].to_string(),
                start: i,
                end: i + 1,
                break_before: f.clause_break_before(),
                ascii: false,
                letters: false,
            });
            i += 1;
        }
    }
    // Single letters split only by separators are one word: `A I`, `A.I.`.
    let mut merged: Vec<Token> = Vec::with_capacity(out.len());
    for t in out {
        let single =
            t.ascii && t.text.len() == 1 && t.text.chars().all(|c| c.is_ascii_alphabetic());
        if let Some(last) = merged.last_mut() {
            if single && last.letters && !t.break_before {
                last.text.push_str(&t.text);
                last.end = t.end;
                continue;
            }
        }
        merged.push(Token {
            letters: single,
            ..t
        });
    }
    merged
}

/// Phrase lists as token sequences: Han phrases split per character, ASCII phrases per word.
fn split_phrase(p: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in p.split(' ') {
        if word.is_ascii() {
            out.push(word.to_string());
        } else {
            out.extend(word.chars().map(|c| c.to_string()));
        }
    }
    out
}

struct Lists {
    /// Every phrase (as tokens) with its kind, grouped by its first token; within a group in
    /// the order of the kinds and then of the phrases, which decides ties. A label's tokens
    /// are then matched only against the phrases that start with them.
    by_first: std::collections::HashMap<String, Vec<(Kind, Vec<String>)>>,
}

fn lists() -> &'static Lists {
    static L: std::sync::OnceLock<Lists> = std::sync::OnceLock::new();
    L.get_or_init(|| {
        let mk = |k: Kind, l: &[&str]| {
            (
                k,
                l.iter()
                    .map(|p| split_phrase(p))
                    .collect::<Vec<Vec<String>>>(),
            )
        };
        // Order decides ties between equally long matches.
        let kinds: Vec<(Kind, Vec<Vec<String>>)> = vec![
            mk(Kind::Reality, REALITY_CLAIMS),
            mk(Kind::Ai, AI_ELEMENT),
            mk(Kind::Gen, GEN_ELEMENT),
            mk(Kind::NegPost, NEG_POST),
            mk(Kind::NegPre, NEG_PRE),
            mk(Kind::Mark, MARK_NOUNS),
            mk(Kind::Bridge, BRIDGE),
            mk(Kind::PostBridge, POST_BRIDGE),
        ];
        let mut by_first: std::collections::HashMap<String, Vec<(Kind, Vec<String>)>> =
            std::collections::HashMap::new();
        for (kind, phrases) in kinds {
            for p in phrases {
                let first = p.first().expect("no phrase of the lists is empty").clone();
                by_first.entry(first).or_default().push((kind, p));
            }
        }
        Lists { by_first }
    })
}

/// Tokens `i..` match `phrase` without a clause break inside: the end token index.
fn match_at(toks: &[Token], i: usize, phrase: &[String]) -> Option<usize> {
    if i + phrase.len() > toks.len() {
        return None;
    }
    for (k, p) in phrase.iter().enumerate() {
        let t = &toks[i + k];
        if t.text != *p || (k > 0 && t.break_before) {
            return None;
        }
    }
    Some(i + phrase.len())
}

/// The items of a label: leftmost-longest phrase matches, other tokens as `Other`. A word may be
/// several kinds (`not` negates before and after; `非` too): `kinds` lists every kind that
/// matched the longest phrase at that place.
fn items(toks: &[Token], original: &[char], folded: &Folded) -> Vec<(Item, Vec<Kind>)> {
    let lists = lists();
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let mut best: Option<(usize, Vec<Kind>)> = None;
        let candidates = lists
            .by_first
            .get(&toks[i].text)
            .map_or(&[][..], Vec::as_slice);
        for (kind, p) in candidates {
            if let Some(e) = match_at(toks, i, p) {
                match &mut best {
                    Some((be, ks)) if *be == e => {
                        if !ks.contains(kind) {
                            ks.push(*kind);
                        }
                    }
                    Some((be, _)) if *be > e => {}
                    _ => best = Some((e, vec![*kind])),
                }
            }
        }
        let t = &toks[i];
        let (end, kinds) = match best {
            Some(b) => b,
            None if t.ascii && GEN_PREFIXES_EN.iter().any(|p| t.text.starts_with(p)) => {
                (i + 1, vec![Kind::GenEn])
            }
            None if t.ascii && camel_ai(t, original, folded) => (i + 1, vec![Kind::Ai]),
            None => (i + 1, vec![Kind::Other]),
        };
        out.push((
            Item {
                start: toks[i].start,
                end: toks[end - 1].end,
                break_before: toks[i].break_before,
            },
            kinds,
        ));
        i = end;
    }
    out
}

/// A word ending in upper-case `AI` after a lower-case letter in the original: `OpenAI`, `xAI`.
fn camel_ai(t: &Token, original: &[char], folded: &Folded) -> bool {
    let n = t.end - t.start;
    if n < 3 || !t.text.ends_with("ai") {
        return false;
    }
    let at = |k: usize| -> Option<char> {
        let (s, e) = folded.spans[k];
        (e == s + 1)
            .then(|| original.get(s as usize).copied())
            .flatten()
    };
    matches!(
        (at(t.end - 3), at(t.end - 2), at(t.end - 1)),
        (Some(p), Some('A' | 'Ａ'), Some('I' | 'Ｉ')) if p.is_lowercase()
    )
}

/// How far a scope looks past linking words, in items (keeps long labels linear).
const MAX_SCOPE: usize = 8;

/// Classifies explicit-label wording: denial first (Art. 18), then the GB 45438-2025 elements.
/// See the module documentation for the scope rules.
pub fn assess_wording(text: &str) -> Wording {
    if text.trim().is_empty() {
        return Wording::Empty;
    }
    let normalizer: Arc<Normalizer> = Normalizer::shared();
    let folded = normalizer.fold_text(text);
    let original: Vec<char> = text.chars().collect();
    let toks = tokens(&folded);
    let items = items(&toks, &original, &folded);
    let has = |k: Kind| items.iter().any(|(_, ks)| ks.contains(&k));
    let is = |i: usize, k: Kind| items[i].1.contains(&k);
    let element = |i: usize| is(i, Kind::Ai) || is(i, Kind::Gen) || is(i, Kind::GenEn);

    // The negator governing item `i`, looking back over linking words and other elements.
    let negator_before = |i: usize| -> Option<usize> {
        let mut j = i;
        let mut steps = 0;
        while j > 0 && steps < MAX_SCOPE && !items[j].0.break_before {
            j -= 1;
            steps += 1;
            if is(j, Kind::NegPre) {
                return Some(j);
            }
            if !(is(j, Kind::Bridge) || element(j)) {
                return None;
            }
        }
        None
    };
    // A negating predicate closing the scope after element `i`.
    let negator_after = |i: usize| -> Option<usize> {
        let mut j = i + 1;
        let mut steps = 0;
        while j < items.len() && steps < MAX_SCOPE {
            if is(j, Kind::NegPost) {
                // It must close its clause: only particles until a break or the end.
                let mut k = j + 1;
                while k < items.len() && !items[k].0.break_before && is(k, Kind::PostBridge) {
                    k += 1;
                }
                if k == items.len() || items[k].0.break_before {
                    return Some(j);
                }
                return None;
            }
            if !(is(j, Kind::PostBridge) || element(j)) || (items[j].0.break_before && steps > 0) {
                return None;
            }
            j += 1;
            steps += 1;
        }
        None
    };
    let followed_by_mark = |i: usize| -> bool {
        let mut j = i + 1;
        while j < items.len() && !items[j].0.break_before && element(j) {
            j += 1;
        }
        j < items.len() && !items[j].0.break_before && is(j, Kind::Mark)
    };

    let mut negated_cue: Option<(usize, usize, String)> = None;
    let mut affirmative_ai = false;
    let mut affirmative_gen = false;
    for i in 0..items.len() {
        if !element(i) {
            continue;
        }
        let what = if is(i, Kind::Ai) { "AI" } else { "generation" };
        let marked = followed_by_mark(i);
        let hit = if marked {
            None
        } else if let Some(n) = negator_before(i) {
            Some((n, i, true))
        } else {
            negator_after(i).map(|n| (i, n, false))
        };
        match hit {
            Some((a, b, before)) => {
                if negated_cue.is_none() {
                    let neg = if before { items[a].0 } else { items[b].0 };
                    let cue = if before {
                        format!(
                            "negator `{}` governs the {what} element",
                            folded_slice(&folded, neg)
                        )
                    } else {
                        format!(
                            "`{}` after the {what} element denies it",
                            folded_slice(&folded, neg)
                        )
                    };
                    negated_cue = Some((items[a].0.start, items[b].0.end, cue));
                }
            }
            None if marked => {}
            None => {
                if is(i, Kind::Ai) {
                    affirmative_ai = true;
                }
                if is(i, Kind::Gen) || is(i, Kind::GenEn) {
                    affirmative_gen = true;
                }
            }
        }
    }
    let denial = negated_cue.or_else(|| {
        if affirmative_ai && affirmative_gen {
            return None;
        }
        (0..items.len())
            .filter(|&i| is(i, Kind::Reality) && negator_before(i).is_none())
            .map(|i| {
                (
                    items[i].0.start,
                    items[i].0.end,
                    format!(
                        "reality claim `{}` without an un-negated AI and generation element",
                        folded_slice(&folded, items[i].0)
                    ),
                )
            })
            .next()
    });
    if let Some((s, e, cue)) = denial {
        let (start, end) = folded
            .original_span(s..e)
            .map(|(a, b)| (a as usize, b as usize))
            .unwrap_or((0, 0));
        return Wording::Denies {
            start,
            end,
            matched: original[start..end].iter().collect(),
            cue,
        };
    }
    let ai = has(Kind::Ai);
    let generation = has(Kind::Gen);
    if ai && generation {
        Wording::Conforming
    } else {
        Wording::Lacks {
            ai: !ai,
            generation: !generation,
        }
    }
}

fn folded_slice(folded: &Folded, item: Item) -> String {
    folded
        .text
        .chars()
        .skip(item.start)
        .take(item.end - item.start)
        .collect()
}
