//! Stance of a sentence towards a known rumour it repeats (Art. 11): does it assert the claim,
//! ask about it, or refute it? Used by [`crate::sources::rumours`]; the rules are listed in its
//! module docs and in `docs/news-detection.md`.
//!
//! Everything here works on the feature library's folded text ([`Folded`]: letters and digits,
//! with spans into the original and clause-break flags). Sentence and clause boundaries come from
//! the punctuation that folding skipped, read back from the original text; cue words are found
//! with one leftmost-longest Aho–Corasick pass over the folded text, so a longer cue (`不仅`,
//! `不是谣言`, `会不会`) always wins over the shorter one inside it (`不`, `谣言`).

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::text::normalize::Folded;

/// What a text does with a known rumour it contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stance {
    /// States the claim: the stage rejects (`known_false_news`).
    Asserted,
    /// Asks whether the claim is true (`…吗`, `是否…`, `…？`): held for a person.
    Asked,
    /// Calls something a rumour elsewhere in the text, not directed at this claim: held.
    Hedged,
    /// A negation governs the claim's predicate (`吃碘盐不能防核辐射`): the text denies it.
    Negated,
    /// A refutation frame is directed at the claim (`网传…，经查系谣言`, `辟谣：…`): the text
    /// debunks it, which is what Art. 11's 辟谣 mechanism publishes.
    Refuted,
}

impl Stance {
    /// Stable name for details and reports: `asserted`, `asked`, `hedged`, `negated`, `refuted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stance::Asserted => "asserted",
            Stance::Asked => "asked",
            Stance::Hedged => "hedged",
            Stance::Negated => "negated",
            Stance::Refuted => "refuted",
        }
    }

    /// Whether the stage acts on it (reject or hold): everything except negated and refuted.
    pub fn is_flagged(self) -> bool {
        !matches!(self, Stance::Negated | Stance::Refuted)
    }

    /// Precedence among sentences: 3 and above decide (the last such sentence wins); between a
    /// question and a hedge, the question.
    pub(crate) fn rank(self) -> u8 {
        match self {
            Stance::Refuted | Stance::Negated | Stance::Asserted => 3,
            Stance::Asked => 2,
            Stance::Hedged => 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A negation (`不`, `没`, `无`, `未`, `非`, `别`…).
    Neg,
    /// Looks like a negation but is not one (`不仅`, `不错`, `没想到`, `非常`, `无论`).
    NotNeg,
    /// A refutation word or verdict (`谣言`, `不实`, `假的`, `经查`, `没有科学依据`, `没用`).
    Marker,
    /// Dismisses a refutation word in its clause (`别听…说是谣言`, `所谓辟谣`, `我不信`).
    Dismiss,
    /// `别信…`, `谁说…`: refutes a claim right after it, dismisses a refutation word after it.
    DontBelieve,
    /// Turns from what was said before (`但是`, `其实`, `真相是`).
    Contrast,
    /// Vouches for the text (`不是谣言`, `千真万确`, `亲测有效`).
    Affirm,
    /// A question (`吗`, `是否`, `会不会`, `是真的吗`).
    Question,
}

/// Cue table: `(word, kind)` over folded text (simplified, lower case, no punctuation).
const CUES: &[(&str, Kind)] = &[
    // Negations.
    ("不", Kind::Neg),
    ("没", Kind::Neg),
    ("无", Kind::Neg),
    ("未", Kind::Neg),
    ("非", Kind::Neg),
    ("别", Kind::Neg),
    ("勿", Kind::Neg),
    ("莫", Kind::Neg),
    ("甭", Kind::Neg),
    ("否", Kind::Neg),
    ("难以", Kind::Neg),
    // Not negations.
    ("不仅", Kind::NotNeg),
    ("不但", Kind::NotNeg),
    ("不光", Kind::NotNeg),
    ("不只", Kind::NotNeg),
    ("不止", Kind::NotNeg),
    ("不管", Kind::NotNeg),
    ("不论", Kind::NotNeg),
    ("无论", Kind::NotNeg),
    ("非常", Kind::NotNeg),
    ("不少", Kind::NotNeg),
    ("不久", Kind::NotNeg),
    ("不断", Kind::NotNeg),
    ("不停", Kind::NotNeg),
    ("不错", Kind::NotNeg),
    ("不会错", Kind::NotNeg),
    ("没有错", Kind::NotNeg),
    ("没错", Kind::NotNeg),
    ("错不了", Kind::NotNeg),
    ("不假", Kind::NotNeg),
    ("没骗", Kind::NotNeg),
    ("不骗", Kind::NotNeg),
    ("不妨", Kind::NotNeg),
    ("不得不", Kind::NotNeg),
    ("不用说", Kind::NotNeg),
    ("不得了", Kind::NotNeg),
    ("了不起", Kind::NotNeg),
    ("不愧", Kind::NotNeg),
    ("不由得", Kind::NotNeg),
    ("忍不住", Kind::NotNeg),
    ("不禁", Kind::NotNeg),
    ("不然", Kind::NotNeg),
    ("不如", Kind::NotNeg),
    ("不同", Kind::NotNeg),
    ("不一样", Kind::NotNeg),
    ("不知道", Kind::NotNeg),
    ("不要等", Kind::NotNeg),
    ("别等", Kind::NotNeg),
    ("别急", Kind::NotNeg),
    ("别怕", Kind::NotNeg),
    ("别担心", Kind::NotNeg),
    ("不用怕", Kind::NotNeg),
    ("不用担心", Kind::NotNeg),
    ("别犹豫", Kind::NotNeg),
    ("不要犹豫", Kind::NotNeg),
    ("没想到", Kind::NotNeg),
    ("无数", Kind::NotNeg),
    ("无比", Kind::NotNeg),
    ("无非", Kind::NotNeg),
    ("无奈", Kind::NotNeg),
    ("无不", Kind::NotNeg),
    ("不无", Kind::NotNeg),
    ("未来", Kind::NotNeg),
    ("莫非", Kind::NotNeg),
    ("非得", Kind::NotNeg),
    ("除非", Kind::NotNeg),
    ("是非", Kind::NotNeg),
    ("非洲", Kind::NotNeg),
    ("别人", Kind::NotNeg),
    ("别的", Kind::NotNeg),
    ("别处", Kind::NotNeg),
    ("分别", Kind::NotNeg),
    ("区别", Kind::NotNeg),
    ("特别", Kind::NotNeg),
    ("差别", Kind::NotNeg),
    ("性别", Kind::NotNeg),
    ("级别", Kind::NotNeg),
    ("类别", Kind::NotNeg),
    ("识别", Kind::NotNeg),
    ("告别", Kind::NotNeg),
    ("无线", Kind::NotNeg),
    ("无人", Kind::NotNeg),
    ("无籽", Kind::NotNeg),
    ("无糖", Kind::NotNeg),
    ("无菌", Kind::NotNeg),
    ("不锈钢", Kind::NotNeg),
    ("不孕", Kind::NotNeg),
    ("不育", Kind::NotNeg),
    ("不适", Kind::NotNeg),
    ("不良", Kind::NotNeg),
    ("不法", Kind::NotNeg),
    ("不明", Kind::NotNeg),
    ("不少于", Kind::NotNeg),
    // Refutation words and verdicts.
    ("谣言", Kind::Marker),
    ("辟谣", Kind::Marker),
    ("谣传", Kind::Marker),
    ("造谣", Kind::Marker),
    ("传谣", Kind::Marker),
    ("不信谣", Kind::Marker),
    ("不传谣", Kind::Marker),
    ("流言", Kind::Marker),
    ("不实", Kind::Marker),
    ("不属实", Kind::Marker),
    ("假消息", Kind::Marker),
    ("假新闻", Kind::Marker),
    ("假的", Kind::Marker),
    ("是假", Kind::Marker),
    ("虚假", Kind::Marker),
    ("伪科学", Kind::Marker),
    ("无稽之谈", Kind::Marker),
    ("子虚乌有", Kind::Marker),
    ("没有科学依据", Kind::Marker),
    ("没有科学根据", Kind::Marker),
    ("缺乏科学依据", Kind::Marker),
    ("没有依据", Kind::Marker),
    ("没有根据", Kind::Marker),
    ("毫无根据", Kind::Marker),
    ("毫无依据", Kind::Marker),
    ("缺乏依据", Kind::Marker),
    ("经查", Kind::Marker),
    ("经核实", Kind::Marker),
    ("经核查", Kind::Marker),
    ("经调查", Kind::Marker),
    ("经证实", Kind::Marker),
    ("查证", Kind::Marker),
    ("核查", Kind::Marker),
    ("纯属", Kind::Marker),
    ("误传", Kind::Marker),
    ("误读", Kind::Marker),
    ("误解", Kind::Marker),
    ("误区", Kind::Marker),
    ("谬论", Kind::Marker),
    ("谬误", Kind::Marker),
    ("证伪", Kind::Marker),
    ("不成立", Kind::Marker),
    ("站不住脚", Kind::Marker),
    ("不科学", Kind::Marker),
    ("不靠谱", Kind::Marker),
    ("不可信", Kind::Marker),
    ("不可能", Kind::Marker),
    ("没用", Kind::Marker),
    ("没有用", Kind::Marker),
    ("无效", Kind::Marker),
    ("不管用", Kind::Marker),
    ("没效果", Kind::Marker),
    ("没有效果", Kind::Marker),
    ("没有作用", Kind::Marker),
    ("不对", Kind::Marker),
    ("错误", Kind::Marker),
    ("是错的", Kind::Marker),
    ("瞎说", Kind::Marker),
    ("胡说", Kind::Marker),
    ("胡扯", Kind::Marker),
    ("骗局", Kind::Marker),
    ("智商税", Kind::Marker),
    ("不要转发", Kind::Marker),
    ("请勿转发", Kind::Marker),
    ("别再转", Kind::Marker),
    ("别转了", Kind::Marker),
    // Dismissing a refutation.
    ("别听", Kind::Dismiss),
    ("不要听", Kind::Dismiss),
    ("不信", Kind::Dismiss),
    ("所谓", Kind::Dismiss),
    ("哪是", Kind::Dismiss),
    ("哪里是", Kind::Dismiss),
    ("才不是", Kind::Dismiss),
    ("并不是", Kind::Dismiss),
    ("并非", Kind::Dismiss),
    ("不是", Kind::Dismiss),
    ("绝不是", Kind::Dismiss),
    ("怎么会是", Kind::Dismiss),
    ("收钱", Kind::Dismiss),
    ("洗地", Kind::Dismiss),
    // Don't believe / who says.
    ("别信", Kind::DontBelieve),
    ("勿信", Kind::DontBelieve),
    ("莫信", Kind::DontBelieve),
    ("不要信", Kind::DontBelieve),
    ("不要相信", Kind::DontBelieve),
    ("别相信", Kind::DontBelieve),
    ("切勿相信", Kind::DontBelieve),
    ("谁说", Kind::DontBelieve),
    // Contrast.
    ("但", Kind::Contrast),
    ("但是", Kind::Contrast),
    ("可是", Kind::Contrast),
    ("然而", Kind::Contrast),
    ("其实", Kind::Contrast),
    ("实际上", Kind::Contrast),
    ("事实上", Kind::Contrast),
    ("却", Kind::Contrast),
    ("不过", Kind::Contrast),
    ("真相", Kind::Contrast),
    // Vouching.
    ("不是谣言", Kind::Affirm),
    ("并非谣言", Kind::Affirm),
    ("并不是谣言", Kind::Affirm),
    ("绝不是谣言", Kind::Affirm),
    ("不是假的", Kind::Affirm),
    ("不是假新闻", Kind::Affirm),
    ("不是瞎说", Kind::Affirm),
    ("千真万确", Kind::Affirm),
    ("毫无疑问", Kind::Affirm),
    ("确有其事", Kind::Affirm),
    ("亲测有效", Kind::Affirm),
    ("是真的", Kind::Affirm),
    // Questions.
    ("吗", Kind::Question),
    ("么", Kind::Question),
    ("是否", Kind::Question),
    ("能否", Kind::Question),
    ("可否", Kind::Question),
    ("会否", Kind::Question),
    ("有没有", Kind::Question),
    ("是不是", Kind::Question),
    ("会不会", Kind::Question),
    ("能不能", Kind::Question),
    ("可不可以", Kind::Question),
    ("是真的吗", Kind::Question),
    ("真的假的", Kind::Question),
    ("是真是假", Kind::Question),
];

/// Folded character ranges of the negations in `folded` (a claim's own `不能`, `没有`…), words
/// that only look negative (`不孕`, `无籽`) left out.
pub(crate) fn negations(folded: &Folded) -> Vec<(usize, usize, &'static str)> {
    let mut starts: Vec<usize> = folded.text.char_indices().map(|(b, _)| b).collect();
    starts.push(folded.text.len());
    let at = |b: usize| starts.binary_search(&b).unwrap_or_else(|i| i);
    cues()
        .find_iter(&folded.text)
        .filter_map(|m| {
            let (word, kind) = CUES[m.pattern().as_usize()];
            (kind == Kind::Neg).then(|| (at(m.start()), at(m.end()), word))
        })
        .collect()
}

/// Dismissing cues that are also negations of what follows (`紫菜不是塑料袋做的`).
const NEGATING_DISMISSALS: &[&str] = &[
    "不是",
    "并不是",
    "并非",
    "才不是",
    "绝不是",
    "哪是",
    "哪里是",
];

/// How many folded characters after a claim a question word still asks about it (`…是真的吗`).
const QUESTION_LOOKAHEAD: usize = 5;
/// How close (folded characters) `别信`/`谁说` must come before the claim to refute it.
const DONT_BELIEVE_REACH: usize = 4;
/// How far into the next sentence (folded characters) a refutation word still refers back to the
/// claim (`……。这纯属谣言。`).
const NEXT_SENTENCE_REACH: usize = 6;
/// A sentence before the claim this short or shorter is a header (`辟谣：`, `【谣言】`).
const HEADER_CHARS: usize = 6;

fn cues() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(CUES.iter().map(|(w, _)| w))
            .expect("cue table builds")
    })
}

#[derive(Debug, Clone, Copy)]
struct Cue {
    /// Folded character index of the cue's first character.
    start: usize,
    /// Folded index one past its last character.
    end: usize,
    kind: Kind,
    word: &'static str,
}

/// Sentences, clauses and cues of one folded text, built once per text that has a candidate
/// match.
pub(crate) struct Structure {
    /// Sentence id per folded character.
    sent: Vec<u32>,
    /// Clause id per folded character (ids increase along the text, across sentences).
    clause: Vec<u32>,
    /// Per sentence: folded range, end exclusive.
    sentences: Vec<(usize, usize)>,
    /// Per clause: folded range, end exclusive.
    clauses: Vec<(usize, usize)>,
    /// Per sentence: the punctuation after it has a question mark.
    question_end: Vec<bool>,
    /// Cues, ordered by start.
    cues: Vec<Cue>,
    /// The folded characters.
    chars: Vec<char>,
}

/// Sentence-ending punctuation (after the folded character before it was skipped).
fn ends_sentence(c: char) -> bool {
    matches!(
        c,
        '。' | '｡' | '.' | '!' | '！' | '?' | '？' | ';' | '；' | '\n' | '\r'
    )
}

impl Structure {
    /// Reads the boundaries from the original `text` between folded characters and finds the cues.
    pub(crate) fn new(text: &str, folded: &Folded) -> Structure {
        let n = folded.len();
        let orig: Vec<char> = text.chars().collect();
        let gap = |from: u32, to: u32| {
            orig.get(from as usize..(to as usize).min(orig.len()))
                .unwrap_or(&[])
        };
        let mut sent = Vec::with_capacity(n);
        let mut clause = Vec::with_capacity(n);
        let mut sentences = Vec::new();
        let mut clauses = Vec::new();
        let mut question_end = Vec::new();
        let (mut s_start, mut c_start) = (0usize, 0usize);
        for i in 0..n {
            if i > 0 && folded.flags[i].clause_break_before() {
                let g = gap(folded.spans[i - 1].1, folded.spans[i].0);
                clauses.push((c_start, i));
                c_start = i;
                if g.iter().any(|&c| ends_sentence(c)) {
                    sentences.push((s_start, i));
                    question_end.push(g.iter().any(|&c| c == '?' || c == '？'));
                    s_start = i;
                }
            }
            sent.push(sentences.len() as u32);
            clause.push(clauses.len() as u32);
        }
        clauses.push((c_start, n));
        sentences.push((s_start, n));
        let tail = folded
            .spans
            .last()
            .map_or(&[][..], |s| gap(s.1, orig.len() as u32));
        question_end.push(tail.iter().any(|&c| c == '?' || c == '？'));

        let mut starts: Vec<usize> = folded.text.char_indices().map(|(b, _)| b).collect();
        starts.push(folded.text.len());
        let at = |b: usize| starts.binary_search(&b).unwrap_or_else(|i| i);
        let found = cues()
            .find_iter(&folded.text)
            .map(|m| {
                let (word, kind) = CUES[m.pattern().as_usize()];
                Cue {
                    start: at(m.start()),
                    end: at(m.end()),
                    kind,
                    word,
                }
            })
            .collect();
        Structure {
            sent,
            clause,
            sentences,
            clauses,
            question_end,
            cues: found,
            chars: folded.text.chars().collect(),
        }
    }

    /// Sentence id of folded character `i`.
    pub(crate) fn sentence_of(&self, i: usize) -> usize {
        self.sent[i] as usize
    }

    /// Folded range of sentence `s`, end exclusive.
    pub(crate) fn sentence(&self, s: usize) -> (usize, usize) {
        self.sentences[s]
    }

    fn cues_in(&self, from: usize, to: usize) -> impl Iterator<Item = &Cue> {
        let lo = self.cues.partition_point(|c| c.start < from);
        self.cues[lo..].iter().take_while(move |c| c.start < to)
    }

    fn clause_range(&self, i: usize) -> (usize, usize) {
        self.clauses[self.clause[i] as usize]
    }

    /// Whether the refutation word `m` is dismissed: a dismissing cue in its clause or the next
    /// clause of its sentence (`别听专家说是谣言`, `有人说是谣言，我不信`).
    fn dismissed(&self, m: &Cue) -> bool {
        let (c0, c1) = self.clause_range(m.start);
        let (_, s1) = self.sentence(self.sentence_of(m.start));
        let next_end = if c1 < s1 { self.clause_range(c1).1 } else { c1 };
        self.cues_in(c0, next_end)
            .any(|c| matches!(c.kind, Kind::Dismiss | Kind::DontBelieve))
    }

    /// Whether the refutation word `m`, before the claim starting at `fa`, is one the text then
    /// turns from (`专家说是谣言，其实…`).
    fn turned_from(&self, m: &Cue, fa: usize) -> bool {
        m.end <= fa
            && self.sentence_of(m.start) + 1 >= self.sentence_of(fa)
            && self
                .cues_in(m.end, fa + 1)
                .any(|c| c.kind == Kind::Contrast)
    }

    /// The word a cue shows in a detail: the cue, and for a one-character negation the character
    /// it negates (`不能`, `没有`, `无法`).
    fn shown(&self, c: &Cue, chars: &[char]) -> String {
        if c.start == c.end {
            return c.word.to_string();
        }
        let end = if c.kind == Kind::Neg && c.end - c.start == 1 {
            (c.end + 1).min(chars.len())
        } else {
            c.end
        };
        chars[c.start..end].iter().collect()
    }

    /// The stance of the sentence whose claim window runs from folded character `fa` to `fb`
    /// (inclusive); `covered(i)` says whether folded character `i` is part of the matched claim.
    /// Returns the stance and the cue word that decided it (none for a plain assertion), as
    /// folded text.
    pub(crate) fn stance(
        &self,
        fa: usize,
        fb: usize,
        covered: impl Fn(usize) -> bool,
    ) -> (Stance, Option<String>) {
        let (stance, cue) = self.decide(fa, fb, covered);
        (stance, cue.map(|c| self.shown(&c, &self.chars)))
    }

    fn decide(
        &self,
        fa: usize,
        fb: usize,
        covered: impl Fn(usize) -> bool,
    ) -> (Stance, Option<Cue>) {
        let s = self.sentence_of(fb);
        let (s0, s1) = self.sentence(s);
        let (r0, _) = self.clause_range(fb);
        let r0 = r0.max(s0);
        let uncovered = |c: &Cue| (c.start..c.end).any(|i| !covered(i));
        // 1. The text vouches for itself, in the claim's sentence or the ones beside it.
        let near0 = if s > 0 { self.sentence(s - 1).0 } else { s0 };
        let near1 = if s + 1 < self.sentences.len() {
            self.sentence(s + 1).1
        } else {
            s1
        };
        if let Some(c) = self.cues_in(near0, near1).find(|c| c.kind == Kind::Affirm) {
            return (Stance::Asserted, Some(*c));
        }
        let mut asked = None;
        // 2. Negation by scope: in the predicate's clause, before the claim's last character.
        for c in self.cues_in(r0, fb + 1) {
            if !uncovered(c) {
                continue;
            }
            match c.kind {
                Kind::Neg => return (Stance::Negated, Some(*c)),
                Kind::Dismiss if NEGATING_DISMISSALS.contains(&c.word) => {
                    return (Stance::Negated, Some(*c))
                }
                Kind::Question => asked = asked.or(Some(*c)),
                _ => {}
            }
        }
        // `别信…`, `谁说…`, `我不信…`, `所谓…` right before the claim, in its clause, with no
        // refutation word of its own.
        let (fa_clause, _) = self.clause_range(fa);
        for c in self.cues_in(fa_clause.max(s0), fa) {
            if matches!(c.kind, Kind::DontBelieve | Kind::Dismiss)
                && c.end <= fa
                && fa - c.end <= DONT_BELIEVE_REACH
                && !self.cues_in(c.end, fa).any(|m| m.kind == Kind::Marker)
            {
                return (Stance::Refuted, Some(*c));
            }
        }
        // 3. A question right after the claim.
        if asked.is_none() {
            asked = self
                .cues_in(fb + 1, (fb + 1 + QUESTION_LOOKAHEAD).min(s1))
                .find(|c| c.kind == Kind::Question)
                .copied();
        }
        if asked.is_none() && self.question_end[s] && s1 - fb <= 2 * QUESTION_LOOKAHEAD {
            asked = Some(Cue {
                start: fb,
                end: fb,
                kind: Kind::Question,
                word: "？",
            });
        }
        // 4. A refutation frame directed at the claim: its sentence, the next one, a header.
        let mut frames: Vec<(usize, usize)> = vec![(s0, s1)];
        if s + 1 < self.sentences.len() {
            // The next sentence, where it opens with the verdict (`这是谣言。`, `纯属谣言`).
            let (n0, n1) = self.sentence(s + 1);
            frames.push((n0, n1.min(n0 + NEXT_SENTENCE_REACH)));
        }
        if s > 0 {
            let (h0, h1) = self.sentence(s - 1);
            if h1 - h0 <= HEADER_CHARS {
                frames.push((h0, h1));
            }
        }
        for (f0, f1) in frames {
            for m in self.cues_in(f0, f1) {
                if m.kind != Kind::Marker || !uncovered(m) || self.dismissed(m) {
                    continue;
                }
                // A refutation word before the claim that the text then turns from
                // (`专家说是谣言，其实…`) is dismissed.
                if self.turned_from(m, fa) {
                    continue;
                }
                return (Stance::Refuted, Some(*m));
            }
        }
        // An answer right after a question: `…？不能！`, `…吗？假的。`
        if asked.is_some() && s + 1 < self.sentences.len() {
            let (n0, _) = self.sentence(s + 1);
            if let Some(c) = self
                .cues_in(n0, n0 + 3)
                .find(|c| matches!(c.kind, Kind::Neg | Kind::Marker))
            {
                return (Stance::Refuted, Some(*c));
            }
        }
        if let Some(q) = asked {
            return (Stance::Asked, Some(q));
        }
        // 5. A refutation word elsewhere.
        if let Some(m) = self
            .cues
            .iter()
            .find(|m| m.kind == Kind::Marker && !self.dismissed(m) && !self.turned_from(m, fa))
        {
            return (Stance::Hedged, Some(*m));
        }
        (Stance::Asserted, None)
    }
}
