//! Explicit-label wording (GB 45438-2025 5.x; Art. 18): whether a label states the AI and the
//! generation elements, and whether it denies synthesis ([`assess_wording`]).

use unicode_normalization::UnicodeNormalization;

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
    },
}

/// Phrases that negate AI or synthesis: always a denial. Written normalized (lower case, one space
/// between ASCII words); separators and spaces between CJK characters in the label are skipped.
const NEGATIONS: &[&str] = &[
    "非ai",
    "非aigc",
    "非人工智能",
    "不是ai",
    "并非ai",
    "无ai",
    "没有ai",
    "未用ai",
    "没用ai",
    "未使用ai",
    "没有使用ai",
    "不含ai",
    "未经ai",
    "零ai",
    "非合成",
    "非生成",
    "未经合成",
    "未合成",
    "没有合成",
    "不是合成",
    "并非合成",
    "不是生成",
    "并非生成",
    "非深度合成",
    "not ai",
    "not aigc",
    "no ai",
    "non ai",
    "zero ai",
    "ai free",
    "without ai",
    "not generated",
    "not synthesized",
    "not synthesised",
    "not synthetic",
];

/// Phrases that claim the content is real or hand-made: a denial unless negated (`非实拍`) or the
/// label also states the AI and generation elements (`基于实拍素材AI合成` discloses synthesis).
const REALITY_CLAIMS: &[&str] = &[
    "真实拍摄",
    "实拍",
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
    "real footage",
    "genuine footage",
    "real photo",
    "real video",
    "unedited",
    "human made",
    "handmade",
    "100 human",
];

/// Words that negate a following reality claim (`非实拍`, `并非真实拍摄`, `not real footage`).
const CJK_NEGATORS: &[&str] = &["非", "不是", "并非", "不属于", "没有", "无", "未"];
const ASCII_NEGATORS: &[&str] = &["not", "non", "no", "never"];

/// Classifies explicit-label wording: denial first (Art. 18), then the GB 45438-2025 elements.
///
/// Matching is on an NFKC, lower-cased form (full-width `ＡＩ` is `AI`) in which punctuation and
/// spaces are separators and format characters (zero-width space, …) are dropped; offsets are
/// mapped back to the original text. `AI` counts as the AI element when it stands alone
/// (`AI生成`, `AI-generated`, `AIGC`) or as the upper-case end of a camel-case name (`OpenAI`),
/// not inside a word (`email`, `MAIN`, `AIR`).
pub fn assess_wording(text: &str) -> Wording {
    if text.trim().is_empty() {
        return Wording::Empty;
    }
    let norm = Norm::new(text);
    let ai = has_ai_element(text, &norm);
    let generation = norm.find("生成").is_some() || norm.find("合成").is_some();

    let denial = norm.earliest(NEGATIONS).or_else(|| {
        if ai && generation {
            return None;
        }
        norm.all(REALITY_CLAIMS)
            .into_iter()
            .find(|&(s, _)| !norm.negated_before(s))
    });
    if let Some((s, e)) = denial {
        let (start, end) = norm.original_span(s, e);
        return Wording::Denies {
            start,
            end,
            matched: text.chars().skip(start).take(end - start).collect(),
        };
    }
    if ai && generation {
        Wording::Conforming
    } else {
        Wording::Lacks {
            ai: !ai,
            generation: !generation,
        }
    }
}

fn has_ai_element(text: &str, norm: &Norm) -> bool {
    if norm.find("人工智能").is_some() || norm.find("ai").is_some() || norm.find("aigc").is_some()
    {
        return true;
    }
    // An upper-case `AI` ending a camel-case name: `OpenAI`, `xAI`; not `EMAIL`, `MAIN`, `AIR`.
    let s: Vec<char> = text.nfkc().collect();
    s.windows(2).enumerate().any(|(i, w)| {
        w == ['A', 'I']
            && i > 0
            && s[i - 1].is_ascii_lowercase()
            && s.get(i + 2).is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

/// Normalized text with, for each normalized character, its code-point index in the original.
struct Norm {
    chars: Vec<char>,
    origin: Vec<usize>,
}

impl Norm {
    fn new(text: &str) -> Norm {
        let mut chars = Vec::new();
        let mut origin = Vec::new();
        for (i, c) in text.chars().enumerate() {
            if is_format(c) {
                continue;
            }
            for n in std::iter::once(c).nfkc() {
                for l in n.to_lowercase() {
                    if l.is_alphanumeric() {
                        chars.push(l);
                        origin.push(i);
                    } else if chars.last().is_some_and(|&last| last != ' ') {
                        chars.push(' ');
                        origin.push(i);
                    }
                }
            }
        }
        Norm { chars, origin }
    }

    /// The normalized end index of `phrase` matched at `start`, if it matches there.
    fn match_at(&self, start: usize, phrase: &[char]) -> Option<usize> {
        let c = &self.chars;
        if phrase.is_empty() || c.get(start) != Some(&phrase[0]) {
            return None;
        }
        let mut ti = start;
        for (pi, &pc) in phrase.iter().enumerate() {
            if pc == ' ' {
                if c.get(ti) == Some(&' ') {
                    ti += 1;
                    continue;
                }
                return None;
            }
            let prev = if pi > 0 { phrase[pi - 1] } else { ' ' };
            if prev != ' ' && !(prev.is_ascii_alphanumeric() && pc.is_ascii_alphanumeric()) {
                while c.get(ti) == Some(&' ') {
                    ti += 1;
                }
            }
            if c.get(ti) == Some(&pc) {
                ti += 1;
            } else {
                return None;
            }
        }
        let first = phrase[0];
        let last = phrase[phrase.len() - 1];
        if first.is_ascii_alphanumeric() && start > 0 && c[start - 1].is_ascii_alphanumeric() {
            return None;
        }
        if last.is_ascii_alphanumeric() && c.get(ti).is_some_and(|n| n.is_ascii_alphanumeric()) {
            return None;
        }
        Some(ti)
    }

    fn find(&self, phrase: &str) -> Option<(usize, usize)> {
        let phrase: Vec<char> = phrase.chars().collect();
        (0..self.chars.len()).find_map(|s| self.match_at(s, &phrase).map(|e| (s, e)))
    }

    /// Leftmost-longest, non-overlapping matches of any phrase, in text order (so `实拍` inside
    /// a negated `非真实拍摄` is not matched again on its own).
    fn all(&self, phrases: &[&str]) -> Vec<(usize, usize)> {
        let phrases: Vec<Vec<char>> = phrases.iter().map(|p| p.chars().collect()).collect();
        let mut hits = Vec::new();
        let mut s = 0;
        while s < self.chars.len() {
            match phrases.iter().filter_map(|p| self.match_at(s, p)).max() {
                Some(e) => {
                    hits.push((s, e));
                    s = e;
                }
                None => s += 1,
            }
        }
        hits
    }

    fn earliest(&self, phrases: &[&str]) -> Option<(usize, usize)> {
        self.all(phrases).into_iter().next()
    }

    /// Whether the normalized text just before `start` negates what follows.
    fn negated_before(&self, start: usize) -> bool {
        // Negators are short: a bounded window keeps long adversarial labels linear.
        let before: String = self.chars[start.saturating_sub(16)..start].iter().collect();
        let before = before.trim_end();
        if CJK_NEGATORS.iter().any(|n| before.ends_with(n)) {
            return true;
        }
        let word = before
            .rsplit(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or("");
        ASCII_NEGATORS.contains(&word)
    }

    /// Code-point span in the original text of normalized `s..e`.
    fn original_span(&self, s: usize, e: usize) -> (usize, usize) {
        // A match never starts or ends on a separator, so both ends map to real characters.
        (self.origin[s], self.origin[e - 1] + 1)
    }
}

/// Unicode format characters that hide inside words (zero-width space/joiners, bidi marks, BOM…).
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}
