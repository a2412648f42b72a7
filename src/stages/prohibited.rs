//! `prohibited` stage (Art. 6(1), Art. 10): matches the feature library (lexicon) against the
//! event's text fields after normalization (see [`crate::text::normalize`]) and reports every hit with
//! its evidence span in code points of the original field value.

use std::sync::Arc;

use serde::Deserialize;

use super::{BuildStage, Finding, Stage, StageContext, StageOutput};
use crate::config::ConfigError;
use crate::decision::{reason_codes, Action, Evidence, ReasonCode, StageKind};
use crate::event::PublishEvent;
use crate::text::bidi;
use crate::text::context::{Cue, FieldContext, Verdict};
use crate::text::lexicon::{parse_lexicon, parse_word_list, WordListFormat};
use crate::text::matcher::{Hit, Matcher, TermAction};
use crate::text::normalize::Normalizer;
use crate::text::sound::{SoundAlikes, SoundHit, Spelling};
use crate::text::words;

reason_codes! {
    /// A feature-library term was found; the action comes from the lexicon row.
    ProhibitedTerm = "prohibited_term", Prohibited, Hold, "Art. 10";
}

/// `[[stages]] kind = "prohibited"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProhibitedConfig {
    /// Lexicon CSV files (`term,category,action[,note]`); their terms are matched together with
    /// those of `word_lists`. At least one file in `lexicons` or `word_lists`.
    #[serde(default)]
    pub lexicons: Vec<String>,
    /// Word lists (one term a line) with the category and action of all their terms.
    #[serde(default)]
    pub word_lists: Vec<WordListConfig>,
}

/// One entry of `word_lists`: `{ path = "…", category = "gambling", action = "reject",
/// format = "plain" }` (`docs/matching.md` §1.1).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordListConfig {
    /// The file, relative to the pipeline file.
    pub path: String,
    /// Category reported with every hit of the list.
    pub category: String,
    /// `reject`, `hold` or `allow` for every term of the list.
    pub action: String,
    /// `plain` (default) or `sensitive-word`.
    #[serde(default)]
    pub format: WordListFormat,
}

/// At most this many hits are reported per field; a longer list is cut and the last reason says
/// how many were left out (keeps decision records bounded for adversarial texts).
pub const MAX_HITS_PER_FIELD: usize = 50;

/// Hits per field that the context rules judge at most; later ones stand as matched.
pub const MAX_JUDGED: usize = 1024;

/// The feature-library stage.
pub struct Prohibited {
    matcher: Arc<Matcher>,
    sounds: Arc<SoundAlikes>,
}

impl Prohibited {
    /// A stage over a built matcher and the sound-alike finder of the same lexicon.
    pub fn new(matcher: Arc<Matcher>, sounds: Arc<SoundAlikes>) -> Self {
        Prohibited { matcher, sounds }
    }
}

impl BuildStage for Prohibited {
    type Config = ProhibitedConfig;

    fn build(config: ProhibitedConfig, ctx: &mut StageContext<'_>) -> Result<Self, ConfigError> {
        if config.lexicons.is_empty() && config.word_lists.is_empty() {
            return Err(ctx.invalid(
                "lexicons",
                "stage `prohibited` needs at least one file in `lexicons` or `word_lists`",
            ));
        }
        let mut entries = Vec::new();
        for rel in &config.lexicons {
            let file = ctx.read(rel)?;
            entries.extend(parse_lexicon(&file.name, &file.bytes)?);
        }
        for list in &config.word_lists {
            let action = match list.action.as_str() {
                "reject" => TermAction::Reject,
                "hold" => TermAction::Hold,
                "allow" => TermAction::Allow,
                other => {
                    return Err(ctx.invalid(
                        "word_lists",
                        format!(
                            "unknown action `{other}` for `{}`: expected reject, hold or allow",
                            list.path
                        ),
                    ))
                }
            };
            if list.category.trim().is_empty() {
                return Err(
                    ctx.invalid("word_lists", format!("empty category for `{}`", list.path))
                );
            }
            let file = ctx.read(&list.path)?;
            entries.extend(parse_word_list(
                &file.name,
                &file.bytes,
                list.format,
                list.category.trim(),
                action,
            )?);
        }
        if !entries.iter().any(|e| e.action != TermAction::Allow) {
            return Err(ctx.invalid(
                "lexicons",
                "the lexicons of stage `prohibited` contain no reject or hold term",
            ));
        }
        let sounds = SoundAlikes::new(&entries);
        let matcher = Matcher::new(Normalizer::shared(), entries).map_err(|e| {
            ConfigError::new(
                crate::config::ConfigErrorKind::DataFile,
                ctx.table().pipeline(),
                e.to_string(),
            )
        })?;
        // The context rules' segmenter, built now rather than on the first event with a hit.
        crate::text::words::warm_up();
        Ok(Prohibited::new(Arc::new(matcher), Arc::new(sounds)))
    }
}

impl Stage for Prohibited {
    fn kind(&self) -> StageKind {
        StageKind::Prohibited
    }

    fn lexicon_terms(&self) -> usize {
        self.matcher.len()
    }

    fn review(&self, event: &PublishEvent, out: &mut StageOutput) {
        for (field, text) in event.visible_text_fields() {
            // With the hits an allow phrase covers: those come back only with a solicitation
            // cue (an allow phrase cannot hide a term that is being sold, issue 11 item 3).
            // A field with bidi controls is read a second time as it is displayed
            // (`\u{202E}支枪售出` shows `出售枪支`); its hits map back to the stored text.
            let visual = bidi::visual(text);
            let hits = self.matcher.find_with_allowed(text);
            let visual_hits = visual
                .as_ref()
                .map(|v| self.matcher.find_with_allowed(&v.text))
                .unwrap_or_default();
            let sounds = self.sounds.find(text);
            if hits.is_empty() && visual_hits.is_empty() && sounds.is_empty() {
                continue;
            }
            // The context rules (crate::text::context) read the original text around each
            // hit: word boundaries, negation, reporting and solicitation cues.
            let chars: Vec<char> = text.chars().collect();
            let mut kept = Vec::with_capacity(hits.len().min(MAX_HITS_PER_FIELD + 1));
            // Bounded work per field: judging stops once one more hit than is listed stands,
            // and after MAX_JUDGED hits the rest stand unjudged (never a silent approve).
            let mut unjudged = 0usize;
            // Read once for all hits of the field (lowercased, every cue found), and only when
            // something in stored order is to be judged.
            let context =
                (!hits.is_empty() || !sounds.is_empty()).then(|| FieldContext::new(&chars));
            if let Some(context) = &context {
                judge_hits(context, hits, &mut kept, &mut unjudged, &Cue::describe);
            }
            if let Some(v) = visual.as_ref().filter(|_| !visual_hits.is_empty()) {
                // Judged in display order (the context as a reader sees it), then reported at
                // the stored code points they cover.
                let visual_chars: Vec<char> = v.text.chars().collect();
                let mut shown = Vec::new();
                let mut shown_unjudged = 0usize;
                // Cue places back in stored code points.
                let stored_place = |c: &Cue| {
                    let (s, e) = v
                        .logical_span(c.range.start, c.range.end)
                        .unwrap_or((c.range.start, c.range.end));
                    format!("{} cue `{}` at {s}..{e}", c.kind.as_str(), c.text)
                };
                judge_hits(
                    &FieldContext::new(&visual_chars),
                    visual_hits,
                    &mut shown,
                    &mut shown_unjudged,
                    &stored_place,
                );
                unjudged += shown_unjudged;
                let starts: Vec<usize> = text
                    .char_indices()
                    .map(|(b, _)| b)
                    .chain(std::iter::once(text.len()))
                    .collect();
                for (mut hit, cue) in shown {
                    let Some((start, end)) = v.logical_span(hit.start, hit.end) else {
                        continue;
                    };
                    // Already found in stored order, where it overlaps: nothing new.
                    if kept
                        .iter()
                        .any(|(k, _)| k.start < end && start < k.end && k.term == hit.term)
                    {
                        continue;
                    }
                    hit.start = start;
                    hit.end = end;
                    hit.matched = &text[starts[start]..starts[end]];
                    let note = Some(
                        cue.map_or_else(|| BIDI_NOTE.to_string(), |c| format!("{c}; {BIDI_NOTE}")),
                    );
                    kept.push((hit, note));
                }
            }
            let total = kept.len() + unjudged;
            for (i, (hit, cue)) in kept.into_iter().enumerate().take(MAX_HITS_PER_FIELD) {
                let more = (i + 1 == MAX_HITS_PER_FIELD && total > MAX_HITS_PER_FIELD).then(|| {
                    format!(
                        "{} further matches in {field} not listed",
                        total - MAX_HITS_PER_FIELD
                    )
                });
                let matched = hit.matched.to_string();
                let span = (hit.start, hit.end);
                out.findings
                    .push(term_finding(&hit, field, span, matched, detail(cue, more)));
            }
            if let (false, Some(context)) = (sounds.is_empty(), &context) {
                judge_sounds(field, context, &chars, sounds, out);
            }
        }
        // A term split across the title and the text (`出售` | `冰毒，私聊`): a reader reads the
        // title on into the text (issue 11 item 5).
        if let (Some(title), Some(text)) = (
            event.content.title.as_deref(),
            event.content.text.as_deref(),
        ) {
            self.review_across(title, text, out);
        }
    }
}

impl Prohibited {
    /// Reports the hits that start in `title` and end in `text` when the two are read as one
    /// (the last and first [`ACROSS_WINDOW`] characters of each), judged by the context rules on
    /// that joined stretch. The evidence points into `content.title` (from the hit's start to the
    /// title's end) and the detail names the part in `content.text`. A hit of the same term
    /// already reported in the title alone, overlapping, is not repeated.
    fn review_across(&self, title: &str, text: &str, out: &mut StageOutput) {
        let title_chars = title.chars().count();
        let from = title_chars - window(title, true);
        let tail: String = title.chars().skip(from).collect();
        let head: String = text.chars().take(window(text, false)).collect();
        let boundary = title_chars - from;
        let joined = format!("{tail}{head}");
        let hits: Vec<Hit> = self
            .matcher
            .find_with_allowed(&joined)
            .into_iter()
            .filter(|h| h.start < boundary && h.end > boundary)
            .collect();
        if hits.is_empty() {
            return;
        }
        let chars: Vec<char> = joined.chars().collect();
        let mut kept = Vec::new();
        let mut unjudged = 0usize;
        // Cue places in the field they stand in.
        let field_place = |c: &Cue| {
            let (s, e) = (c.range.start, c.range.end);
            let place = if e <= boundary {
                format!("content.title {}..{}", from + s, from + e)
            } else if s >= boundary {
                format!("content.text {}..{}", s - boundary, e - boundary)
            } else {
                format!(
                    "content.title {}.. to content.text ..{}",
                    from + s,
                    e - boundary
                )
            };
            format!("{} cue `{}` at {place}", c.kind.as_str(), c.text)
        };
        judge_hits(
            &FieldContext::new(&chars),
            hits,
            &mut kept,
            &mut unjudged,
            &field_place,
        );
        for (hit, cue) in kept.into_iter().take(MAX_HITS_PER_FIELD) {
            let start = from + hit.start;
            let seen = out.findings.iter().any(|f| {
                f.code == ReasonCode::ProhibitedTerm
                    && f.evidence.as_ref().is_some_and(|e| {
                        e.field == "content.title"
                            && e.term.as_deref() == Some(hit.term)
                            && e.end.is_some_and(|end| end > start)
                    })
            });
            if seen {
                continue;
            }
            let in_title: String = title.chars().skip(start).collect();
            let in_text: String = text.chars().take(hit.end - boundary).collect();
            let across = format!(
                "the term runs on from content.title into content.text (code points 0..{}: `{in_text}`)",
                hit.end - boundary
            );
            out.findings.push(term_finding(
                &hit,
                "content.title",
                (start, title_chars),
                in_title,
                detail(cue, Some(across)),
            ));
        }
    }
}

/// The `prohibited_term` finding of `hit`, its evidence at `span` (code points) of `field`
/// with `matched` the field's text there. Reject terms reject; anything else holds (allow
/// entries never come back as hits).
fn term_finding(
    hit: &Hit,
    field: &str,
    span: (usize, usize),
    matched: String,
    detail: Option<String>,
) -> Finding {
    Finding {
        code: ReasonCode::ProhibitedTerm,
        action: match hit.action {
            TermAction::Reject => Action::Reject,
            _ => Action::Hold,
        },
        category: Some(hit.category.to_string()),
        evidence: Some(Evidence {
            field: field.to_string(),
            start: Some(span.0),
            end: Some(span.1),
            matched: Some(matched),
            term: Some(hit.term.to_string()),
        }),
        detail,
        refutation: None,
    }
}

/// How many visible characters at the end of the title and the start of the text are read as
/// one ([`Prohibited::review_across`]): far more than any term with separators spans.
const ACROSS_WINDOW: usize = 256;

/// How many characters at the end (`from_end`) or the start of `text` hold [`ACROSS_WINDOW`]
/// visible ones (characters left after folding: padding of spaces, zero-width characters or
/// HTML comments does not use the window up). Folds a stretch twice as long each time until it
/// has enough, so the work is linear in the stretch finally taken.
fn window(text: &str, from_end: bool) -> usize {
    let total = text.chars().count();
    let mut take = (ACROSS_WINDOW * 2).min(total);
    loop {
        let stretch: String = if from_end {
            text.chars().skip(total - take).collect()
        } else {
            text.chars().take(take).collect()
        };
        let visible = Normalizer::shared()
            .fold_text(&stretch)
            .text
            .chars()
            .count();
        if visible >= ACROSS_WINDOW || take == total {
            return take;
        }
        take = (take * 2).min(total);
    }
}

/// What a hit found only in display order says (`crate::text::bidi`).
const BIDI_NOTE: &str =
    "found as the text is displayed: bidi control characters reorder the stored text";

/// Judges `hits` of one text (`chars`, the text the hits' offsets index) by the context rules
/// and appends the ones that stand to `kept`, each with the description of the cue that
/// decided it, if any. Judging stops once one more hit than is listed stands (the rest are
/// counted in `unjudged`), and after [`MAX_JUDGED`] hits the rest stand unjudged: bounded work,
/// never a silent approve.
///
/// `describe` writes a cue for the detail, its place in the field's own code points (the hits of
/// a display-order or joined reading index another text).
fn judge_hits<'a>(
    context: &FieldContext<'_>,
    hits: Vec<Hit<'a>>,
    kept: &mut Vec<(Hit<'a>, Option<String>)>,
    unjudged: &mut usize,
    describe: &dyn Fn(&Cue) -> String,
) {
    for (n, hit) in hits.into_iter().enumerate() {
        if kept.len() > MAX_HITS_PER_FIELD {
            *unjudged += 1;
            continue;
        }
        if n >= MAX_JUDGED {
            if !hit.under_allow_phrase {
                kept.push((hit, None));
            }
            continue;
        }
        let ideographic = hit.matched.chars().any(is_ideograph);
        match context.judge(hit.start..hit.end, ideographic) {
            Verdict::Stands(Some(cue)) if hit.under_allow_phrase => {
                let why = format!(
                    "{}; it overrides the allow phrase around the term",
                    describe(&cue)
                );
                kept.push((hit, Some(why)))
            }
            Verdict::Stands(_) if hit.under_allow_phrase => {}
            Verdict::Stands(cue) => kept.push((hit, cue.as_ref().map(describe))),
            Verdict::Dropped(_) => {}
        }
    }
}

/// Reports the sound-alikes of `text` (field `field`, `chars` its characters) that stand
/// (`docs/matching.md` §2.6): one whose ideographs are themselves a dictionary word (`读博`,
/// `强制`) never counts; the rest are judged by the context rules like any hit (boundary,
/// negation, reporting; the word boundary rule where ideographs are involved), and stand at
/// most as `hold` unless a solicitation cue is beside them. One inside a term already
/// reported in the field is left out.
fn judge_sounds(
    field: &str,
    context: &FieldContext<'_>,
    chars: &[char],
    sounds: Vec<SoundHit<'_>>,
    out: &mut StageOutput,
) {
    let reported: Vec<(usize, usize)> = out
        .findings
        .iter()
        .filter_map(|f| f.evidence.as_ref())
        .filter(|e| e.field == field)
        .filter_map(|e| Some((e.start?, e.end?)))
        .collect();
    let mut listed = 0usize;
    for hit in sounds {
        if listed == MAX_HITS_PER_FIELD {
            break;
        }
        // Already reported as a term covering it; a longer sound-alike (`shua dan fan li`
        // around the pinyin term `shuadan`) still counts.
        if reported
            .iter()
            .any(|&(s, e)| s <= hit.start && hit.end <= e)
        {
            continue;
        }
        // Homophone characters that are a word themselves (`读博`, `强制`) are that word. Only
        // for characters written side by side: in a mixed spelling the pinyin stands between
        // them (`迷jian药` joins to `迷药` only when the pinyin is dropped).
        if hit.spelling == Spelling::Homophone
            && hit.ideographs.chars().count() >= 2
            && words::is_word(&hit.ideographs)
        {
            continue;
        }
        // A character put in for one of the term's that makes a word with its neighbours is
        // read as that word (`有失身份` for `失身粉`, `美元较为` for `援交`).
        if in_a_word(chars, &hit.substituted) {
            continue;
        }
        // Characters that only sound like the term, none of them its own (`越跑` for `约炮`),
        // are what ordinary text is full of: they count only beside a solicitation cue.
        // So is pinyin written as a name (`Professor Yuan Jiao`), and so are initials (`bjz`):
        // three letters are also many an abbreviation.
        let stranger = (hit.spelling == Spelling::Homophone && hit.own == 0)
            || hit.name_like
            || hit.spelling == Spelling::Initials;
        let boundary = !matches!(hit.spelling, Spelling::Pinyin | Spelling::Initials);
        let verdict = context.judge(hit.start..hit.end, boundary);
        let (action, why) = match verdict {
            Verdict::Dropped(_) => continue,
            Verdict::Stands(Some(cue)) if stranger => (
                TermAction::Hold,
                format!(
                    "{}; held: {}",
                    cue.describe(),
                    if hit.name_like {
                        "written as a name"
                    } else if hit.spelling == Spelling::Initials {
                        "initials only"
                    } else {
                        "none of its characters is the term's own"
                    }
                ),
            ),
            Verdict::Stands(None) if stranger => continue,
            Verdict::Stands(Some(cue)) => (hit.action, cue.describe()),
            Verdict::Stands(None) => (
                TermAction::Hold,
                "held: a sound-alike rejects only beside a solicitation cue".to_string(),
            ),
        };
        let matched: String = chars[hit.start..hit.end].iter().collect();
        let as_hit = Hit {
            start: hit.start,
            end: hit.end,
            matched: &matched,
            term: hit.term,
            category: hit.category,
            action,
            under_allow_phrase: false,
        };
        let detail = format!(
            "sound-alike of `{}` ({}, written in {}); {why}",
            hit.term,
            hit.reading,
            hit.spelling.as_str()
        );
        out.findings.push(term_finding(
            &as_hit,
            field,
            (hit.start, hit.end),
            matched.clone(),
            Some(detail),
        ));
        listed += 1;
    }
}

/// How far on each side of a character [`in_a_word`] segments the text.
const WORD_REACH: usize = 7;

/// True when one of the characters at `places` (code points of `chars`) belongs to a
/// dictionary word of two or more characters in the best segmentation around it.
fn in_a_word(chars: &[char], places: &[usize]) -> bool {
    places.iter().any(|&at| {
        let from = at.saturating_sub(WORD_REACH);
        let to = (at + 1 + WORD_REACH).min(chars.len());
        let window: String = chars[from..to].iter().collect();
        words::cut(&window)
            .into_iter()
            .any(|w| w.start <= at - from && at - from < w.end && w.len() >= 2)
    })
}

/// CJK ideographs (the scripts the word boundary rule applies to).
fn is_ideograph(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3134F}')
}

/// Joins the cue description and the truncation note, either of which may be absent.
fn detail(cue: Option<String>, more: Option<String>) -> Option<String> {
    match (cue, more) {
        (Some(c), Some(m)) => Some(format!("{c}; {m}")),
        (c, m) => c.or(m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::test_support::event;
    use crate::text::lexicon::parse_lexicon;
    use crate::text::normalize::Normalizer;
    use serde_json::json;

    fn stage() -> Prohibited {
        let csv = "term,category,action\n网络赌场,gambling,reject\n代开发票,illegal_goods,hold\ndaikai,illegal_goods,hold\n打击网络赌场,gambling,allow\n";
        let entries = parse_lexicon("t.csv", csv.as_bytes()).unwrap();
        let sounds = Arc::new(SoundAlikes::new(&entries));
        Prohibited::new(
            Arc::new(Matcher::new(Arc::new(Normalizer::new()), entries).unwrap()),
            sounds,
        )
    }

    /// `(name, title, text, expected (field, start, end, matched, action) list)`.
    #[test]
    fn table() {
        let s = stage();
        type Want = Vec<(&'static str, usize, usize, &'static str, Action)>;
        let cases: Vec<(&str, Option<&str>, &str, Want)> = vec![
            (
                "plain",
                None,
                "来网络赌场玩",
                vec![("content.text", 1, 5, "网络赌场", Action::Reject)],
            ),
            (
                "traditional",
                None,
                "來網絡賭場玩",
                vec![("content.text", 1, 5, "網絡賭場", Action::Reject)],
            ),
            (
                "separators",
                None,
                "网*络 赌.场",
                vec![("content.text", 0, 7, "网*络 赌.场", Action::Reject)],
            ),
            (
                "zero width",
                None,
                "网\u{200B}络赌\u{FEFF}场",
                vec![(
                    "content.text",
                    0,
                    6,
                    "网\u{200B}络赌\u{FEFF}场",
                    Action::Reject,
                )],
            ),
            (
                "emoji",
                None,
                "网😀络赌🎲场",
                vec![("content.text", 0, 6, "网😀络赌🎲场", Action::Reject)],
            ),
            (
                "full width latin",
                None,
                "找ＤＡＩＫＡＩ",
                vec![("content.text", 1, 7, "ＤＡＩＫＡＩ", Action::Hold)],
            ),
            (
                "title field",
                Some("代开发票"),
                "",
                vec![("content.title", 0, 4, "代开发票", Action::Hold)],
            ),
            (
                "allow phrase suppresses",
                None,
                "公安机关打击网络赌场",
                vec![],
            ),
            ("latin inside a word", None, "daikaixyz", vec![]),
            (
                // Read on from the title into the text: evidence in the title, up to its end.
                "a term split across title and text",
                Some("快来网络"),
                "赌场玩",
                vec![("content.title", 2, 4, "网络", Action::Reject)],
            ),
            (
                "title and text that join into no term",
                Some("网络"),
                "安全",
                vec![],
            ),
            (
                "a term in the title is not repeated across",
                Some("网络赌场"),
                "赌场",
                vec![("content.title", 0, 4, "网络赌场", Action::Reject)],
            ),
            (
                // Stored backwards, displayed `网络赌场` (U+202E RLO): found in display order,
                // reported at the stored code points.
                "bidi override",
                None,
                "来\u{202E}场赌络网\u{202C}玩",
                vec![("content.text", 2, 6, "场赌络网", Action::Reject)],
            ),
            (
                // A display-order hit that overlaps a stored-order hit of the same term adds
                // nothing.
                "bidi override and the term in stored order",
                None,
                "\u{202E}网络赌场\u{202C}网络赌场",
                vec![
                    ("content.text", 1, 5, "网络赌场", Action::Reject),
                    ("content.text", 6, 10, "网络赌场", Action::Reject),
                ],
            ),
            ("negative control", None, "一九九八年新年讲话", vec![]),
        ];
        // Every visible text field is reviewed, evidence naming it.
        let ev = event(json!({"content": {"title": "t", "text": "x"},
            "labels": {"explicit": {"present": true, "text": "AI生成 网络赌场"}},
            "news": {"source": {"name": "网络赌场日报"}}}));
        let mut out = StageOutput::default();
        s.review(&ev, &mut out);
        let fields: Vec<_> = out
            .findings
            .iter()
            .map(|f| f.evidence.as_ref().unwrap().field.clone())
            .collect();
        assert_eq!(fields, ["labels.explicit.text", "news.source.name"]);
        for (name, title, text, want) in cases {
            let ev = event(json!({"content": {"title": title, "text": text}}));
            let mut out = StageOutput::default();
            s.review(&ev, &mut out);
            let got: Vec<_> = out
                .findings
                .iter()
                .map(|f| {
                    let e = f.evidence.as_ref().unwrap();
                    (
                        e.field.as_str(),
                        e.start.unwrap(),
                        e.end.unwrap(),
                        e.matched.clone().unwrap(),
                        f.action,
                    )
                })
                .collect();
            let want: Vec<_> = want
                .into_iter()
                .map(|(f, s, e, m, a)| (f, s, e, m.to_string(), a))
                .collect();
            assert_eq!(got, want, "{name}");
            for f in &out.findings {
                let e = f.evidence.as_ref().unwrap();
                let original = if e.field == "content.title" {
                    title.unwrap()
                } else {
                    text
                };
                let slice: String = original
                    .chars()
                    .skip(e.start.unwrap())
                    .take(e.end.unwrap() - e.start.unwrap())
                    .collect();
                assert_eq!(
                    Some(slice),
                    e.matched,
                    "{name}: evidence must slice the original"
                );
            }
        }
    }
}
