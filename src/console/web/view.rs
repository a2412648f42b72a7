//! What the item page shows of a held decision record: the texts with their evidence spans
//! cut out (code-point offsets, as `src/decision.rs` writes them), the reasons, the publish
//! actions and the media with their AIGC metadata.

use serde::Serialize;
use serde_json::Value;

/// The fields whose evidence is highlighted in the text, with the page's caption.
pub const TEXT_FIELDS: &[(&str, &str)] = &[
    ("content.title", "Title"),
    ("content.text", "Text"),
    ("labels.explicit.text", "Label text"),
];

/// A run of a text: highlighted (`mark`) when some reasons' evidence covers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// The text of the run.
    pub text: String,
    /// Whether evidence covers it.
    pub mark: bool,
    /// The reasons (their 0-based positions in the record) whose evidence covers it,
    /// space-separated.
    pub reasons: String,
}

/// One text field with its segments.
#[derive(Debug, Clone, Serialize)]
pub struct TextView {
    /// The field path (`content.text` …).
    pub field: &'static str,
    /// The caption.
    pub caption: &'static str,
    /// The runs.
    pub segments: Vec<Segment>,
}

/// One reason as the page lists it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReasonView {
    /// 0-based position in the record.
    pub index: usize,
    /// Stage kind.
    pub stage: String,
    /// Reason code.
    pub code: String,
    /// Lexicon category.
    pub category: Option<String>,
    /// The action after policy.
    pub action: String,
    /// The article it enforces.
    pub article: String,
    /// The evidence's field.
    pub field: Option<String>,
    /// `start–end` in code points, when given.
    pub offsets: Option<String>,
    /// The text that matched (the cue or word).
    pub matched: Option<String>,
    /// The lexicon term.
    pub term: Option<String>,
    /// The explanation.
    pub detail: Option<String>,
    /// Whether the span is highlighted in one of [`TEXT_FIELDS`].
    pub highlighted: bool,
    /// Why it is not, when it has offsets but they do not fit the field.
    pub offsets_problem: Option<String>,
}

/// A publish action.
#[derive(Debug, Clone, Serialize)]
pub struct ActionView {
    /// `add_label`, `add_propagation_metadata` …
    pub kind: String,
    /// Its argument (label text, metadata label), if any.
    pub value: Option<String>,
}

/// A media entry.
#[derive(Debug, Clone, Serialize)]
pub struct MediaView {
    /// Its URL, as text (never a link: it is the submitter's).
    pub url: Option<String>,
    /// Its MIME type.
    pub mime: Option<String>,
    /// The AIGC implicit label, pretty JSON (a JSON string value decoded first), if any.
    pub aigc: Option<String>,
    /// The rest of the metadata, compact JSON.
    pub other_metadata: Option<String>,
}

/// Everything of a record the item page shows.
#[derive(Debug, Clone, Serialize)]
pub struct RecordView {
    /// The texts present, in [`TEXT_FIELDS`] order.
    pub texts: Vec<TextView>,
    /// The reasons in record order.
    pub reasons: Vec<ReasonView>,
    /// The publish actions.
    pub actions: Vec<ActionView>,
    /// The media entries.
    pub media: Vec<MediaView>,
    /// `content.kind`.
    pub content_kind: Option<String>,
    /// `synthesis.technique`.
    pub technique: Option<String>,
    /// The pipeline and its version.
    pub pipeline: Option<String>,
}

fn at<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(v, |v, key| v.get(key))
}

fn string(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_owned)
}

/// Cuts `text` into runs at the code-point offsets of `spans` (`(start, end, reason)`, end
/// exclusive, in Unicode scalar values — not bytes, not UTF-16 units). Spans may overlap; each
/// run lists every reason covering it. Spans that do not fit (`start < end <= chars`) are left
/// out ([`RecordView::from_record`] tells the moderator about them).
pub fn highlight(text: &str, spans: &[(usize, usize, usize)]) -> Vec<Segment> {
    let chars: Vec<char> = text.chars().collect();
    let spans: Vec<(usize, usize, usize)> = spans
        .iter()
        .copied()
        .filter(|&(s, e, _)| s < e && e <= chars.len())
        .collect();
    let mut cuts: Vec<usize> = vec![0, chars.len()];
    for &(s, e, _) in &spans {
        cuts.push(s);
        cuts.push(e);
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut out: Vec<Segment> = Vec::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        if a >= b {
            continue;
        }
        let mut covering: Vec<usize> = spans
            .iter()
            .filter(|&&(s, e, _)| s <= a && b <= e)
            .map(|&(_, _, r)| r)
            .collect();
        covering.sort_unstable();
        covering.dedup();
        let reasons = covering
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        let piece: String = chars[a..b].iter().collect();
        match out.last_mut() {
            // Unmarked runs next to each other stay one.
            Some(last) if !last.mark && covering.is_empty() => last.text.push_str(&piece),
            _ => out.push(Segment {
                text: piece,
                mark: !covering.is_empty(),
                reasons,
            }),
        }
    }
    out
}

impl RecordView {
    /// Reads a held decision record (JSON text). Unknown or missing parts are left out, never an
    /// error: the record was checked when it was queued, and the page must show what it can.
    /// Evidence offsets that do not fit their field (start ≥ end, or past its code points) are
    /// not highlighted, and the reason says so.
    pub fn from_record(record: &str) -> RecordView {
        let v: Value = serde_json::from_str(record).unwrap_or(Value::Null);
        let event = v.get("event").unwrap_or(&Value::Null);
        let mut reasons: Vec<ReasonView> = Vec::new();
        let mut spans: Vec<Vec<(usize, usize, usize)>> = vec![Vec::new(); TEXT_FIELDS.len()];
        for (index, r) in v
            .get("reasons")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let ev = r.get("evidence");
            let field = string(ev.and_then(|e| e.get("field")));
            let start = ev
                .and_then(|e| e.get("start"))
                .and_then(Value::as_u64)
                .map(|n| n as usize);
            let end = ev
                .and_then(|e| e.get("end"))
                .and_then(Value::as_u64)
                .map(|n| n as usize);
            let mut view = ReasonView {
                index,
                stage: string(r.get("stage")).unwrap_or_default(),
                code: string(r.get("code")).unwrap_or_default(),
                category: string(r.get("category")),
                action: string(r.get("action")).unwrap_or_default(),
                article: string(r.get("article")).unwrap_or_default(),
                field: field.clone(),
                offsets: match (start, end) {
                    (Some(s), Some(e)) => Some(format!("{s}–{e}")),
                    _ => None,
                },
                matched: string(ev.and_then(|e| e.get("matched"))),
                term: string(ev.and_then(|e| e.get("term"))),
                detail: string(r.get("detail")),
                ..ReasonView::default()
            };
            if let (Some(field), Some(s), Some(e)) = (&field, start, end) {
                if let Some(f) = TEXT_FIELDS.iter().position(|(p, _)| p == field) {
                    let len = string(at(event, field)).map(|t| t.chars().count());
                    match len {
                        Some(len) if s < e && e <= len => {
                            spans[f].push((s, e, index));
                            view.highlighted = true;
                        }
                        Some(len) => {
                            view.offsets_problem = Some(format!(
                                "offsets {s}–{e} do not fit the field's {len} code points"
                            ))
                        }
                        None => view.offsets_problem = Some(format!("the event has no {field}")),
                    }
                }
            }
            reasons.push(view);
        }
        let texts = TEXT_FIELDS
            .iter()
            .zip(spans)
            .filter_map(|(&(field, caption), spans)| {
                string(at(event, field)).map(|text| TextView {
                    field,
                    caption,
                    segments: highlight(&text, &spans),
                })
            })
            .collect();
        let actions = v
            .get("actions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|a| ActionView {
                kind: string(a.get("kind")).unwrap_or_default(),
                value: string(a.get("text")).or_else(|| string(a.get("label"))),
            })
            .collect();
        let media = at(event, "content.media")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|m| {
                let metadata = m.get("metadata").and_then(Value::as_object);
                let aigc = metadata.and_then(|md| md.get("AIGC")).map(|a| match a {
                    Value::String(s) => match serde_json::from_str::<Value>(s) {
                        Ok(parsed) => serde_json::to_string_pretty(&parsed).unwrap_or_default(),
                        Err(_) => s.clone(),
                    },
                    other => serde_json::to_string_pretty(other).unwrap_or_default(),
                });
                let other = metadata.map(|md| {
                    md.iter()
                        .filter(|(k, _)| k.as_str() != "AIGC")
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect::<serde_json::Map<_, _>>()
                });
                MediaView {
                    url: string(m.get("url")),
                    mime: string(m.get("mime")),
                    aigc,
                    other_metadata: other
                        .filter(|o| !o.is_empty())
                        .map(|o| Value::Object(o).to_string()),
                }
            })
            .collect();
        RecordView {
            texts,
            reasons,
            actions,
            media,
            content_kind: string(at(event, "content.kind")),
            technique: string(at(event, "synthesis.technique")),
            pipeline: match (string(v.get("pipeline")), string(v.get("pipeline_version"))) {
                (Some(p), Some(version)) => Some(format!("{p} v{version}")),
                (p, _) => p,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(segments: &[Segment], reason: usize) -> String {
        segments
            .iter()
            .filter(|s| s.reasons.split(' ').any(|r| r == reason.to_string()))
            .map(|s| s.text.as_str())
            .collect()
    }

    #[test]
    fn offsets_are_code_points() {
        // 😀 is one code point but two UTF-16 units and four bytes; 赌 three bytes.
        let text = "😀 在线赌博 and 😀博彩";
        let segments = highlight(text, &[(4, 6, 0), (12, 14, 1), (13, 99, 2)]);
        assert_eq!(marked(&segments, 0), "赌博");
        assert_eq!(marked(&segments, 1), "博彩");
        assert_eq!(marked(&segments, 2), "", "a span past the end is left out");
        let all: String = segments.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(all, text);
    }

    #[test]
    fn overlapping_spans_split_runs() {
        let segments = highlight("abcdef", &[(1, 4, 0), (3, 5, 1)]);
        let shape: Vec<(&str, &str)> = segments
            .iter()
            .map(|s| (s.text.as_str(), s.reasons.as_str()))
            .collect();
        assert_eq!(
            shape,
            [("a", ""), ("bc", "0"), ("d", "0 1"), ("e", "1"), ("f", "")]
        );
        assert_eq!(marked(&segments, 0), "bcd");
        assert_eq!(marked(&segments, 1), "de");
    }

    #[test]
    fn record_view_checks_offsets() {
        let record = serde_json::json!({
            "reasons": [
                {"stage": "prohibited", "code": "prohibited_term", "action": "hold", "article": "Art. 6",
                 "evidence": {"field": "content.text", "start": 2, "end": 4, "matched": "赌博", "term": "赌博"}},
                {"stage": "prohibited", "code": "prohibited_term", "action": "hold", "article": "Art. 6",
                 "evidence": {"field": "content.text", "start": 3, "end": 99}},
                {"stage": "labels", "code": "label_missing", "action": "hold", "article": "Art. 17",
                 "evidence": {"field": "labels.explicit"}}
            ],
            "actions": [{"kind": "add_label", "text": "AI生成"}],
            "event": {"content": {"kind": "text", "text": "在线赌博", "media": [
                {"url": "https://x/y.png", "mime": "image/png",
                 "metadata": {"AIGC": "{\"Label\":\"1\"}", "width": 3}}]}}
        })
        .to_string();
        let view = RecordView::from_record(&record);
        assert_eq!(view.texts.len(), 1);
        assert_eq!(marked(&view.texts[0].segments, 0), "赌博");
        assert!(view.reasons[0].highlighted);
        assert!(!view.reasons[1].highlighted);
        assert!(view.reasons[1].offsets_problem.is_some());
        assert!(view.reasons[2].offsets_problem.is_none());
        assert_eq!(view.actions[0].value.as_deref(), Some("AI生成"));
        assert!(view.media[0]
            .aigc
            .as_deref()
            .unwrap()
            .contains("\"Label\": \"1\""));
        assert_eq!(
            view.media[0].other_metadata.as_deref(),
            Some(r#"{"width":3}"#)
        );
    }
}
