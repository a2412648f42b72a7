//! `labels` stage: AI-content labels under Art. 16–18 of the Deep Synthesis Provisions, the
//! AI-content labelling measures (LM, 国信办通字〔2025〕2号) Art. 6 and GB 45438-2025.
//!
//! # What it checks
//!
//! 1. **Implicit label** (Art. 16; LM Art. 5; GB 45438-2025 6.1 and Annex E). Every key, at any depth
//!    of `content.media[i].metadata`, whose name contains `AIGC` (ASCII case-insensitive, see below)
//!    carries one implicit-label block. A block is accepted as a JSON object or as a JSON string
//!    (XML-escaped `&quot;` too), with or without the outer `{"AIGC": …}` wrapper; see
//!    [`parse_implicit_label`] for the exact rules. A block that breaks them, or two blocks in one
//!    file (6.1 c) allows exactly one), → `label_metadata_invalid` (hold, Art. 16) with the block's
//!    path as evidence (e.g. `content.media[0].metadata.AIGC`) and a detail naming every problem.
//!    An invalid block is never relied on afterwards.
//! 2. **Explicit label wording** (Art. 17; LM Art. 4; GB 45438-2025 5.x), for an explicit label that is
//!    present (`labels.explicit.present == true`, or `present` absent with non-blank `text`;
//!    `present == false` means no label whatever `text` says). See [`assess_wording`]:
//!    - wording that denies synthesis (真实拍摄, 非AI, 实拍, not AI, real footage, …) →
//!      `label_tampered` (**reject**, Art. 18). Every event is deep synthesis by definition (its
//!      `synthesis.technique` is required), so a denial is tampering whatever the technique and
//!      whatever the metadata says. The denial check runs first: `非AI生成` is tampered, not
//!      conforming;
//!    - wording without the AI element (`AI`, also full-width `ＡＩ`, or `人工智能`) or without the
//!      generation element (`生成` / `合成`) → `label_nonconforming` (hold, Art. 17), for any
//!      technique: any explicit AI label shown to the public must meet the mandatory standard
//!      (LM Art. 11). English-only wording such as `AI-generated` lacks 生成/合成 and is
//!      nonconforming;
//!    - a label marked present but with no wording → `label_nonconforming` ("no wording given"): the
//!      stage cannot verify what the public sees, so a moderator looks.
//! 3. **Missing label** (Art. 17(1)): a technique in the Art. 17(1) list (table below) with **no**
//!    explicit label at all, no valid implicit label and no user declaration → `label_missing`
//!    (hold). A present but nonconforming or denying label is reported by its own code instead.
//!    Techniques under Art. 17(2) (only a labelling *function* is required) never get `label_missing`.
//! 4. **Platform actions** (LM Art. 6, a duty of the disseminating platform for *all* generated
//!    content, not only Art. 17(1) services). The most certain of these signals decides the case:
//!
//!    | signal | LM Art. 6 case | `Label` |
//!    |---|---|---|
//!    | a valid implicit label | (1), or as written when it says "2"/"3" | as written |
//!    | `labels.user_declared_ai == true` | (2) 可能 | `"2"` |
//!    | an explicit label that is present and does not deny synthesis (conforming or not) | (3) 疑似 | `"3"` |
//!
//!    ("1" is more certain than "2", "2" more than "3"; across several media files the most certain
//!    label wins.) For any case the stage emits `add_propagation_metadata {label}` (LM Art. 6, final
//!    paragraph: cases 1–3 require the propagation elements). When the content has **no conforming**
//!    explicit label it also emits `add_label` with [`PROMPT_GENERATED`] (`AI生成`),
//!    [`PROMPT_POSSIBLY`] (`可能为AI生成内容`) or [`PROMPT_SUSPECTED`] (`疑似AI生成内容`); with a
//!    conforming explicit label the public is already told and no second prompt is added. Actions
//!    are emitted even when a reason holds or rejects the event, so a moderator who releases it
//!    knows what to add.
//!
//! # Art. 17(1) techniques
//!
//! | technique | Art. 17 | reasoning |
//! |---|---|---|
//! | `text_generation` | 17(1)(1) | intelligent writing: simulates a natural person writing text |
//! | `dialogue` | 17(1)(1) | intelligent dialogue |
//! | `text_style_transfer` | 17(1)(1) | text *editing* that imitates a person's writing style (Art. 23(1) 文本风格转换) |
//! | `tts` | 17(1)(2) | synthetic human voice (合成人声) |
//! | `voice_conversion` | 17(1)(2) | voice imitation (仿声) |
//! | `voice_editing` | 17(1)(2) | voice-attribute editing changes personal identity features; the event cannot say whether the change is "significant", so the stricter reading |
//! | `music_generation` | 17(1)(5) | generates new information content |
//! | `audio_scene_editing` | 17(2) | edits ambient/scene sound; neither generates content nor changes identity features |
//! | `face_generation`, `face_swap`, `face_attribute_editing`, `face_manipulation`, `pose_manipulation` | 17(1)(3) | named in the item (人脸生成、人脸替换、人脸操控、姿态操控; attribute editing changes identity features) |
//! | `digital_human` | 17(1)(3) | generation of person images/video |
//! | `image_generation` | 17(1)(5) | generates new information content |
//! | `image_enhancement`, `image_restoration` | 17(2) | improve or repair existing images without generating or significantly altering the content |
//! | `3d_reconstruction`, `virtual_scene` | 17(1)(4) | immersive realistic scenes (沉浸式拟真场景) |
//! | `other` | 17(1)(5) | unknown technique: it cannot be shown to fall under 17(2), so it fails safe to a moderator when unlabelled |
//!
//! # Key names
//! Annex E a) requires the metadata field name to *contain* `AIGC` (`AIGC`, `TC260:AIGC`,
//! `XMP-TC260:AIGC`, …). Metadata extractors (ffprobe, some EXIF/XMP tools) change key case, so
//! the match is ASCII case-insensitive (`aigc` counts). Inside a block the format is fixed: the
//! wrapper key must be exactly `AIGC` and the element names exactly as in Annex E.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

use super::{BuildStage, Finding, Stage, StageContext, StageOutput};
use crate::config::ConfigError;
use crate::decision::{reason_codes, Evidence, PublishAction, ReasonCode, StageKind};
use crate::event::{ExplicitLabel, PublishEvent, Technique};

reason_codes! {
    /// An Art. 17(1) technique with neither a conforming label, implicit metadata nor a user declaration.
    LabelMissing = "label_missing", Labels, Hold, "Art. 17";
    /// `AIGC` implicit-label metadata that cannot be read.
    LabelMetadataInvalid = "label_metadata_invalid", Labels, Hold, "Art. 16";
    /// Explicit label wording lacks the AI or the generation element (GB 45438-2025).
    LabelNonconforming = "label_nonconforming", Labels, Hold, "Art. 17";
    /// Explicit label denies synthesis while metadata or technique says synthesized.
    LabelTampered = "label_tampered", Labels, Reject, "Art. 18";
}

/// `[[stages]] kind = "labels"`: no settings besides `actions`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelsConfig {}

impl BuildStage for Labels {
    type Config = LabelsConfig;

    fn build(_: LabelsConfig, _: &mut StageContext<'_>) -> Result<Self, ConfigError> {
        Ok(Labels)
    }
}

/// The prompt added for LM Art. 6 case (1): the content **is** AI-generated (`Label` "1").
pub const PROMPT_GENERATED: &str = "AI生成";
/// The prompt added for LM Art. 6 case (2): the content **may be** AI-generated (`Label` "2").
pub const PROMPT_POSSIBLY: &str = "可能为AI生成内容";
/// The prompt added for LM Art. 6 case (3): the content is **suspected** AI-generated (`Label` "3").
pub const PROMPT_SUSPECTED: &str = "疑似AI生成内容";

/// At most this many `label_metadata_invalid` reasons per event; the last one says how many more.
pub const MAX_INVALID_REASONS: usize = 16;

/// Metadata is searched for `AIGC` keys down to this depth; deeper levels are not looked at.
const MAX_SEARCH_DEPTH: usize = 32;

/// Longest evidence value and longest key shown in a path or detail, in characters.
const MAX_SHOWN: usize = 512;
const MAX_KEY_SHOWN: usize = 64;

/// AI-label checks (Art. 16–18; LM Art. 6; GB 45438-2025). See the module documentation.
#[derive(Debug, Default, Clone)]
pub struct Labels;

/// The `Label` element of an implicit label (GB 45438-2025 Annex E). Ordered by certainty:
/// `Generated < Possibly < Suspected`, so the minimum of several is the most certain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AigcLabel {
    /// `"1"`: the content is AI-generated/synthesized (属于).
    Generated,
    /// `"2"`: the content may be AI-generated (可能), e.g. on a user's declaration.
    Possibly,
    /// `"3"`: the content is suspected AI-generated (疑似), e.g. an explicit label was detected.
    Suspected,
}

impl AigcLabel {
    /// The Annex E value: `"1"`, `"2"` or `"3"`.
    pub fn as_str(self) -> &'static str {
        match self {
            AigcLabel::Generated => "1",
            AigcLabel::Possibly => "2",
            AigcLabel::Suspected => "3",
        }
    }

    /// Parses an Annex E `Label` value.
    pub fn from_value(value: &str) -> Option<AigcLabel> {
        match value {
            "1" => Some(AigcLabel::Generated),
            "2" => Some(AigcLabel::Possibly),
            "3" => Some(AigcLabel::Suspected),
            _ => None,
        }
    }

    /// The conspicuous prompt a platform adds for this case (LM Art. 6(1)–(3)).
    pub fn prompt(self) -> &'static str {
        match self {
            AigcLabel::Generated => PROMPT_GENERATED,
            AigcLabel::Possibly => PROMPT_POSSIBLY,
            AigcLabel::Suspected => PROMPT_SUSPECTED,
        }
    }
}

/// A valid implicit label (GB 45438-2025 Annex E). All values are strings of Annex E j) characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImplicitLabel {
    /// `Label` (required).
    pub label: AigcLabel,
    /// `ContentProducer` (required, non-empty).
    pub content_producer: String,
    /// `ProduceID` (required, non-empty).
    pub produce_id: String,
    /// `ReservedCode1` (optional, may be empty).
    pub reserved_code1: Option<String>,
    /// `ContentPropagator` (optional: Annex E note 1 lets the producer fill it and the platform
    /// rewrites it, so its absence is not an error).
    pub content_propagator: Option<String>,
    /// `PropagateID` (optional, like `ContentPropagator`).
    pub propagate_id: Option<String>,
    /// `ReservedCode2` (optional, may be empty).
    pub reserved_code2: Option<String>,
}

/// The Art. 17 item a technique falls under: `Some("Art. 17(1)(n)")` for the services that need a
/// conspicuous label, `None` for Art. 17(2) services. The mapping and its reasons are in the module
/// documentation.
pub fn article_17_1_item(technique: Technique) -> Option<&'static str> {
    use Technique::*;
    match technique {
        TextGeneration | Dialogue | TextStyleTransfer => Some("Art. 17(1)(1)"),
        Tts | VoiceConversion | VoiceEditing => Some("Art. 17(1)(2)"),
        FaceGeneration | FaceSwap | FaceAttributeEditing | FaceManipulation | PoseManipulation
        | DigitalHuman => Some("Art. 17(1)(3)"),
        ThreeDReconstruction | VirtualScene => Some("Art. 17(1)(4)"),
        MusicGeneration | ImageGeneration | Other => Some("Art. 17(1)(5)"),
        AudioSceneEditing | ImageEnhancement | ImageRestoration => None,
    }
}

/// The contract name of a technique (DESIGN §2), e.g. `face_swap`.
pub(crate) fn technique_name(technique: Technique) -> &'static str {
    use Technique::*;
    match technique {
        TextGeneration => "text_generation",
        Dialogue => "dialogue",
        TextStyleTransfer => "text_style_transfer",
        Tts => "tts",
        VoiceConversion => "voice_conversion",
        VoiceEditing => "voice_editing",
        MusicGeneration => "music_generation",
        AudioSceneEditing => "audio_scene_editing",
        FaceGeneration => "face_generation",
        FaceSwap => "face_swap",
        FaceAttributeEditing => "face_attribute_editing",
        FaceManipulation => "face_manipulation",
        PoseManipulation => "pose_manipulation",
        ImageGeneration => "image_generation",
        ImageEnhancement => "image_enhancement",
        ImageRestoration => "image_restoration",
        ThreeDReconstruction => "3d_reconstruction",
        DigitalHuman => "digital_human",
        VirtualScene => "virtual_scene",
        Other => "other",
    }
}

impl Stage for Labels {
    fn kind(&self) -> StageKind {
        StageKind::Labels
    }

    fn review(&self, event: &PublishEvent, out: &mut StageOutput) {
        let technique = event.synthesis.technique;
        let implicit = review_implicit_labels(event, out);

        let labels = event.labels.as_ref();
        let declared = labels.and_then(|l| l.user_declared_ai) == Some(true);
        let explicit = labels
            .and_then(|l| l.explicit.as_ref())
            .filter(|e| is_present(e));

        let mut conforming = false;
        let mut detected = false; // an explicit label that does not deny synthesis (LM Art. 6(3))
        if let Some(explicit) = explicit {
            let text = explicit.text.as_deref().unwrap_or("");
            match assess_wording(text) {
                Wording::Conforming => {
                    conforming = true;
                    detected = true;
                }
                Wording::Empty => {
                    detected = true;
                    out.findings.push(
                        Finding::new(ReasonCode::LabelNonconforming)
                            .detail(
                                "an explicit label is marked present but no wording was given \
                                 (labels.explicit.text); its GB 45438-2025 AI and generation \
                                 elements cannot be checked",
                            )
                            .evidence(field_evidence("labels.explicit.text", None)),
                    );
                }
                Wording::Lacks { ai, generation } => {
                    detected = true;
                    let missing = match (ai, generation) {
                        (true, true) => {
                            "the AI element (\"AI\" or \"人工智能\") and the generation \
                                         element (\"生成\" or \"合成\")"
                        }
                        (true, false) => "the AI element (\"AI\" or \"人工智能\")",
                        _ => "the generation element (\"生成\" or \"合成\")",
                    };
                    out.findings.push(
                        Finding::new(ReasonCode::LabelNonconforming)
                            .detail(format!(
                                "explicit label wording lacks {missing} that GB 45438-2025 requires"
                            ))
                            .evidence(field_evidence("labels.explicit.text", Some(text))),
                    );
                }
                Wording::Denies {
                    start,
                    end,
                    matched,
                } => {
                    let because = match implicit {
                        Some(AigcLabel::Generated) => format!(
                            "{} content whose AIGC implicit label says Label \"1\"",
                            technique_name(technique)
                        ),
                        _ => format!(
                            "deep-synthesis content (technique {})",
                            technique_name(technique)
                        ),
                    };
                    out.findings.push(
                        Finding::new(ReasonCode::LabelTampered)
                            .detail(format!(
                                "explicit label `{matched}` denies synthesis on {because}; \
                                 Art. 18 forbids tampering with or concealing AI labels"
                            ))
                            .evidence(Evidence {
                                field: "labels.explicit.text".into(),
                                start: Some(start),
                                end: Some(end),
                                matched: Some(matched),
                                term: None,
                            }),
                    );
                }
            }
        }

        if let Some(item) = article_17_1_item(technique) {
            if explicit.is_none() && implicit.is_none() && !declared {
                out.findings.push(
                    Finding::new(ReasonCode::LabelMissing)
                        .detail(format!(
                            "{} is an {item} service that needs a conspicuous AI label, but the \
                             event has no explicit label, no valid AIGC implicit label in \
                             content.media[].metadata and no user declaration",
                            technique_name(technique)
                        ))
                        .evidence(field_evidence("labels.explicit", None)),
                );
            }
        }

        let case = [
            implicit,
            declared.then_some(AigcLabel::Possibly),
            detected.then_some(AigcLabel::Suspected),
        ]
        .into_iter()
        .flatten()
        .min();
        if let Some(case) = case {
            if !conforming {
                out.actions.push(PublishAction::AddLabel {
                    text: case.prompt().to_string(),
                });
            }
            // The propagation elements are written into file metadata (LM Art. 6, GB 45438-2025
            // clause 6.1); content without a media file has no metadata to write them into.
            if !event.content.media.is_empty() {
                out.actions.push(PublishAction::AddPropagationMetadata {
                    label: case.as_str().to_string(),
                });
            }
        }
    }
}

/// `present == true`, or `present` absent with a non-blank `text`.
fn is_present(label: &ExplicitLabel) -> bool {
    match label.present {
        Some(present) => present,
        None => label.text.as_deref().is_some_and(|t| !t.trim().is_empty()),
    }
}

fn field_evidence(field: &str, value: Option<&str>) -> Evidence {
    Evidence {
        field: field.into(),
        start: None,
        end: None,
        matched: value.map(|v| truncate(v, MAX_SHOWN)),
        term: None,
    }
}

fn truncate(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).collect();
    if s.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

/// Reads every media item's implicit labels, reports invalid ones and returns the most certain
/// valid `Label` of the event.
fn review_implicit_labels(event: &PublishEvent, out: &mut StageOutput) -> Option<AigcLabel> {
    let mut best: Option<AigcLabel> = None;
    let mut invalid: Vec<Finding> = Vec::new();
    for (i, media) in event.content.media.iter().enumerate() {
        let Some(metadata) = &media.metadata else {
            continue;
        };
        let mut path = format!("content.media[{i}].metadata");
        let mut blocks = Vec::new();
        find_blocks(metadata, &mut path, 0, &mut blocks);
        match blocks.len() {
            0 => {}
            1 => {
                let (path, value) = &blocks[0];
                match parse_implicit_label(value) {
                    Ok(label) => {
                        best = Some(best.map_or(label.label, |b| b.min(label.label)));
                    }
                    Err(why) => invalid.push(
                        Finding::new(ReasonCode::LabelMetadataInvalid)
                            .detail(format!("AIGC implicit label at {path} is invalid: {why}"))
                            .evidence(block_evidence(path, value)),
                    ),
                }
            }
            n => {
                let paths: Vec<&str> = blocks.iter().map(|(p, _)| p.as_str()).collect();
                invalid.push(
                    Finding::new(ReasonCode::LabelMetadataInvalid)
                        .detail(format!(
                            "{n} AIGC implicit-label blocks are stacked in one file ({}); \
                             GB 45438-2025 6.1 c) allows exactly one",
                            paths.join(", ")
                        ))
                        .evidence(block_evidence(
                            &format!("content.media[{i}].metadata"),
                            metadata,
                        )),
                );
            }
        }
    }
    let total = invalid.len();
    for (i, mut finding) in invalid.into_iter().enumerate().take(MAX_INVALID_REASONS) {
        if i + 1 == MAX_INVALID_REASONS && total > MAX_INVALID_REASONS {
            let more = total - MAX_INVALID_REASONS;
            let detail = finding.detail.take().unwrap_or_default();
            finding.detail = Some(format!(
                "{detail} ({more} further invalid media items not listed)"
            ));
        }
        out.findings.push(finding);
    }
    best
}

fn block_evidence(path: &str, value: &Value) -> Evidence {
    let shown = match value {
        Value::String(s) => s.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    };
    field_evidence(path, Some(&shown))
}

/// Collects `(path, value)` for every key whose name contains `AIGC` (ASCII case-insensitive).
/// A found block's value is not searched further (its inner `AIGC` wrapper belongs to it).
fn find_blocks<'a>(
    value: &'a Value,
    path: &mut String,
    depth: usize,
    out: &mut Vec<(String, &'a Value)>,
) {
    if depth > MAX_SEARCH_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let len = path.len();
                path.push('.');
                path.push_str(&truncate(key, MAX_KEY_SHOWN));
                if key.to_ascii_lowercase().contains("aigc") {
                    out.push((path.clone(), inner));
                } else {
                    find_blocks(inner, path, depth + 1, out);
                }
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                find_blocks(inner, path, depth + 1, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// A JSON value that keeps an object's entries in order **with duplicates**, so a string block
/// such as `{"Label":"1","Label":"2"}` can be reported instead of silently keeping the last key.
#[derive(Debug, Clone)]
enum Node {
    Object(Vec<(String, Node)>),
    Other(Value),
}

impl Node {
    fn from_value(value: &Value) -> Node {
        match value {
            Value::Object(map) => Node::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Node::from_value(v)))
                    .collect(),
            ),
            other => Node::Other(other.clone()),
        }
    }

    fn describe(&self) -> String {
        match self {
            Node::Object(_) => "an object".into(),
            Node::Other(v) => describe(v),
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        struct NodeVisitor;
        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Other(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Other(Value::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(Node::Other(Value::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
                Ok(Node::Other(Value::from(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Other(Value::String(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Node, E> {
                Ok(Node::Other(Value::String(v)))
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Other(Value::Null))
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Other(Value::Null))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                Node::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Value>()? {
                    items.push(item);
                }
                Ok(Node::Other(Value::Array(items)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Node>()? {
                    entries.push((k, v));
                }
                Ok(Node::Object(entries))
            }
        }
        deserializer.deserialize_any(NodeVisitor)
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {}", truncate(&n.to_string(), 32)),
        Value::String(_) => "a string".into(),
        Value::Array(a) => format!("an array of {} items", a.len()),
        Value::Object(_) => "an object".into(),
    }
}

/// A key or value shown inside a detail: truncated, control characters escaped.
fn show(s: &str) -> String {
    truncate(s, MAX_KEY_SHOWN).escape_debug().to_string()
}

/// The seven Annex E elements, in Annex E order.
const ELEMENTS: [&str; 7] = [
    "Label",
    "ContentProducer",
    "ProduceID",
    "ReservedCode1",
    "ContentPropagator",
    "PropagateID",
    "ReservedCode2",
];

/// Parses and validates one implicit-label block (the value of a metadata key containing `AIGC`).
///
/// Accepted forms: a JSON object, or a JSON string holding one (XML-escaped `&quot;` etc. are
/// unescaped when the string is not JSON as it stands), each with or without the outer
/// `{"AIGC": {…}}` wrapper. Rules (GB 45438-2025 6.1 and Annex E):
/// - exactly one block: a string holding two JSON values, an array of several blocks or two
///   `AIGC` wrapper keys are *stacked* blocks;
/// - the wrapper, when used, is exactly `AIGC` and the only key, and holds an object;
/// - only the seven Annex E element names, each at most once (misspellings such as `ReserveCode1`
///   are reported with the intended name);
/// - every element is a string; `Label` is required and is `"1"`, `"2"` or `"3"`;
///   `ContentProducer` and `ProduceID` are required and non-empty; the other four are optional
///   and may be empty (Annex E note 1: the platform rewrites the propagator fields);
/// - every character is in Annex E j): 0x21, 0x23–0x5B, 0x5D–0x7E (printable ASCII without space,
///   `"` or `\`; no Chinese characters).
///
/// # Errors
/// A sentence naming every problem found, separated by `; `.
pub fn parse_implicit_label(value: &Value) -> Result<ImplicitLabel, String> {
    parse_node(&Node::from_value(value), false)
}

fn parse_node(node: &Node, decoded: bool) -> Result<ImplicitLabel, String> {
    match node {
        Node::Object(entries) => parse_elements(unwrap_block(entries)?),
        Node::Other(Value::String(s)) if !decoded => parse_node(&decode_string(s)?, true),
        Node::Other(Value::Array(items)) if items.len() > 1 => Err(format!(
            "an array of {} blocks: stacked implicit labels (GB 45438-2025 6.1 c) allows exactly one)",
            items.len()
        )),
        other => Err(format!(
            "the value is {}; expected an object or a JSON string holding one",
            if decoded {
                format!("a JSON string that decodes to {}", other.describe())
            } else {
                other.describe()
            }
        )),
    }
}

/// Decodes a string block: JSON as it stands, else after XML unescaping.
fn decode_string(s: &str) -> Result<Node, String> {
    if s.trim().is_empty() {
        return Err("the value is an empty string".into());
    }
    match decode_json(s) {
        Ok(node) => Ok(node),
        Err(first) => {
            let unescaped = xml_unescape(s);
            if unescaped == s {
                Err(first)
            } else {
                decode_json(&unescaped).map_err(|e| format!("{e} (after XML unescaping)"))
            }
        }
    }
}

fn decode_json(s: &str) -> Result<Node, String> {
    let mut values = serde_json::Deserializer::from_str(s).into_iter::<Node>();
    let first = match values.next() {
        None => return Err("the value is an empty string".into()),
        Some(Err(e)) => return Err(format!("the string is not valid JSON ({e})")),
        Some(Ok(node)) => node,
    };
    match values.next() {
        None => Ok(first),
        Some(Ok(_)) => Err(
            "the string holds more than one JSON value: stacked implicit labels \
             (GB 45438-2025 6.1 c) allows exactly one)"
                .into(),
        ),
        Some(Err(e)) => Err(format!(
            "the string has trailing data after the first JSON value ({e})"
        )),
    }
}

/// Replaces the XML predefined entities and numeric character references; anything else is kept.
fn xml_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let entity = tail[1..]
            .find(';')
            .filter(|&semi| semi <= 10)
            .map(|semi| &tail[1..1 + semi]);
        let decoded = entity.and_then(|name| match name {
            "quot" => Some('"'),
            "apos" => Some('\''),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            _ => {
                let num = name.strip_prefix('#')?;
                let code = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => num.parse::<u32>().ok()?,
                };
                char::from_u32(code)
            }
        });
        match (entity, decoded) {
            (Some(name), Some(c)) => {
                out.push(c);
                rest = &tail[name.len() + 2..];
            }
            _ => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Strips the optional `{"AIGC": {…}}` wrapper.
fn unwrap_block(entries: &[(String, Node)]) -> Result<&[(String, Node)], String> {
    let wrappers: Vec<&(String, Node)> = entries
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("AIGC"))
        .collect();
    match wrappers.as_slice() {
        [] => Ok(entries),
        [(key, _)] if key != "AIGC" => Err(format!(
            "the wrapper key `{}` must be spelled `AIGC`",
            show(key)
        )),
        [(_, inner)] if entries.len() == 1 => match inner {
            Node::Object(inner) => Ok(inner),
            other => Err(format!(
                "the `AIGC` wrapper holds {}; expected an object",
                other.describe()
            )),
        },
        [_] => {
            let others: Vec<String> = entries
                .iter()
                .filter(|(k, _)| k != "AIGC")
                .map(|(k, _)| format!("`{}`", show(k)))
                .collect();
            Err(format!(
                "the `AIGC` wrapper must be the only key, but the block also has {}",
                others.join(", ")
            ))
        }
        many => Err(format!(
            "{} `AIGC` blocks are stacked in one value (GB 45438-2025 6.1 c) allows exactly one)",
            many.len()
        )),
    }
}

fn parse_elements(entries: &[(String, Node)]) -> Result<ImplicitLabel, String> {
    let mut problems: Vec<String> = Vec::new();
    let mut values: [Option<&Node>; 7] = [None; 7];
    for (key, node) in entries {
        match ELEMENTS.iter().position(|e| e == key) {
            Some(i) if values[i].is_some() => {
                problems.push(format!("`{key}` appears more than once"));
            }
            Some(i) => values[i] = Some(node),
            None => problems.push(unknown_key(key)),
        }
    }

    let mut strings: [Option<String>; 7] = Default::default();
    for (i, node) in values.iter().enumerate() {
        let name = ELEMENTS[i];
        match node {
            None => {
                if i < 3 {
                    problems.push(format!("`{name}` is missing; it is required"));
                }
            }
            Some(Node::Other(Value::String(s))) => {
                if let Some((pos, c)) = s.chars().enumerate().find(|&(_, c)| !annex_e_char(c)) {
                    let what = match c {
                        ' ' => "a space".to_string(),
                        '"' => "`\"`".to_string(),
                        '\\' => "`\\`".to_string(),
                        c if c.is_ascii_graphic() => format!("`{c}`"),
                        c => format!("U+{:04X} `{}`", c as u32, c.escape_debug()),
                    };
                    problems.push(format!(
                        "`{name}` has {what} at character {pos}, outside the GB 45438-2025 Annex E j) \
                         character set (printable ASCII without space, `\"` or `\\`)"
                    ));
                }
                strings[i] = Some(s.clone());
            }
            Some(other) => problems.push(format!(
                "`{name}` must be a string, found {}",
                other.describe()
            )),
        }
    }

    let label = match &strings[0] {
        Some(s) => match AigcLabel::from_value(s) {
            Some(label) => Some(label),
            None => {
                problems.push(format!(
                    "`Label` is \"{}\"; it must be \"1\" (AI-generated), \"2\" (possibly) or \"3\" (suspected)",
                    show(s)
                ));
                None
            }
        },
        None => None,
    };
    for i in 1..3 {
        if strings[i].as_deref() == Some("") {
            problems.push(format!("`{}` is empty; it is required", ELEMENTS[i]));
        }
    }

    match label {
        Some(label) if problems.is_empty() => {
            let [_, producer, produce_id, reserved1, propagator, propagate_id, reserved2] = strings;
            Ok(ImplicitLabel {
                label,
                content_producer: producer.unwrap_or_default(),
                produce_id: produce_id.unwrap_or_default(),
                reserved_code1: reserved1,
                content_propagator: propagator,
                propagate_id,
                reserved_code2: reserved2,
            })
        }
        _ => Err(problems.join("; ")),
    }
}

/// GB 45438-2025 Annex E j): 0x21, 0x23–0x5B, 0x5D–0x7E.
fn annex_e_char(c: char) -> bool {
    matches!(c, '\u{21}' | '\u{23}'..='\u{5B}' | '\u{5D}'..='\u{7E}')
}

fn unknown_key(key: &str) -> String {
    let lower = key.to_ascii_lowercase();
    let guess = ELEMENTS
        .iter()
        .map(|e| (levenshtein(&lower, &e.to_ascii_lowercase()), *e))
        .filter(|&(d, _)| d <= 2)
        .min();
    match (key.eq_ignore_ascii_case("AIGC"), guess) {
        (true, _) => format!(
            "unexpected key `{}`: a second, nested AIGC wrapper",
            show(key)
        ),
        (false, Some((_, e))) => format!(
            "unknown key `{}` (did you mean `{e}`? GB 45438-2025 Annex E names are exact)",
            show(key)
        ),
        (false, None) => format!(
            "unknown key `{}`; GB 45438-2025 Annex E allows only {}",
            show(key),
            ELEMENTS.join(", ")
        ),
    }
}

/// Edit distance, bounded to keep adversarial keys cheap (longer keys are not near-misses).
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(MAX_KEY_SHOWN).collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::test_support::event;
    use serde_json::json;

    fn run(patch: Value) -> StageOutput {
        let mut out = StageOutput::default();
        Labels.review(&event(patch), &mut out);
        out
    }

    fn add_label(text: &str) -> PublishAction {
        PublishAction::AddLabel { text: text.into() }
    }

    fn propagate(label: &str) -> PublishAction {
        PublishAction::AddPropagationMetadata {
            label: label.into(),
        }
    }

    fn block(label: &str) -> Value {
        json!({"Label": label, "ContentProducer": "001191110102MAD55U9H0F10002",
               "ProduceID": "p-1", "ReservedCode1": "", "ContentPropagator": "001191110102MAD55U9H0F10002",
               "PropagateID": "p-1", "ReservedCode2": ""})
    }

    /// An event patch with one media item carrying `metadata`, the technique and labels.
    fn with(technique: &str, metadata: Option<Value>, labels: Value) -> Value {
        let mut media = json!({"url": "https://cdn.example/x.png", "mime": "image/png"});
        if let Some(m) = metadata {
            media["metadata"] = m;
        }
        json!({"content": {"kind": "image", "media": [media]},
               "synthesis": {"technique": technique}, "labels": labels})
    }

    fn explicit(text: &str) -> Value {
        json!({"explicit": {"present": true, "text": text, "position": "start"}})
    }

    #[test]
    fn text_without_media_gets_a_prompt_but_no_propagation_metadata() {
        let cases = [
            (
                "declared text",
                json!({"content": {"kind": "text", "text": "正文"}, "labels": {"user_declared_ai": true}}),
                vec![PublishAction::AddLabel {
                    text: PROMPT_POSSIBLY.into(),
                }],
            ),
            (
                "labelled text",
                json!({"content": {"kind": "text", "text": "正文"}, "labels": explicit("AI生成")}),
                vec![],
            ),
        ];
        for (name, patch, want) in cases {
            let mut out = StageOutput::default();
            Labels.review(&event(patch), &mut out);
            assert!(out.findings.is_empty(), "{name}: {:?}", out.findings);
            assert_eq!(out.actions, want, "{name}");
        }
    }

    #[test]
    fn decision_table() {
        let meta1 = Some(json!({"AIGC": block("1")}));
        let cases: Vec<(&str, Value, Vec<ReasonCode>, Vec<PublishAction>)> = vec![
            // Conforming explicit label only: LM Art. 6(3) propagation, no second prompt.
            (
                "conforming label",
                with("face_swap", None, explicit("AI生成")),
                vec![],
                vec![propagate("3")],
            ),
            (
                "conforming 人工智能合成",
                with("tts", None, explicit("本内容由人工智能合成")),
                vec![],
                vec![propagate("3")],
            ),
            (
                "conforming full-width",
                with("dialogue", None, explicit("ＡＩ生成")),
                vec![],
                vec![propagate("3")],
            ),
            (
                "conforming + metadata 1",
                with("face_swap", meta1.clone(), explicit("AI生成")),
                vec![],
                vec![propagate("1")],
            ),
            (
                "conforming + declared",
                with(
                    "text_generation",
                    None,
                    json!({"explicit": {"present": true, "text": "AI生成"}, "user_declared_ai": true}),
                ),
                vec![],
                vec![propagate("2")],
            ),
            // Art. 17(1) without conforming label.
            (
                "17(1) metadata 1 only",
                with("face_swap", meta1.clone(), json!(null)),
                vec![],
                vec![add_label(PROMPT_GENERATED), propagate("1")],
            ),
            (
                "17(1) metadata 2 only",
                with(
                    "image_generation",
                    Some(json!({"AIGC": block("2")})),
                    json!(null),
                ),
                vec![],
                vec![add_label(PROMPT_POSSIBLY), propagate("2")],
            ),
            (
                "17(1) metadata 3 only",
                with(
                    "image_generation",
                    Some(json!({"AIGC": block("3")})),
                    json!(null),
                ),
                vec![],
                vec![add_label(PROMPT_SUSPECTED), propagate("3")],
            ),
            (
                "metadata 3 + declared → 2",
                with(
                    "image_generation",
                    Some(json!({"AIGC": block("3")})),
                    json!({"user_declared_ai": true}),
                ),
                vec![],
                vec![add_label(PROMPT_POSSIBLY), propagate("2")],
            ),
            (
                "metadata 1 + declared → 1",
                with(
                    "image_generation",
                    meta1.clone(),
                    json!({"user_declared_ai": true}),
                ),
                vec![],
                vec![add_label(PROMPT_GENERATED), propagate("1")],
            ),
            (
                "17(1) declared only",
                with("dialogue", None, json!({"user_declared_ai": true})),
                vec![],
                vec![add_label(PROMPT_POSSIBLY), propagate("2")],
            ),
            (
                "17(1) declared false",
                with("dialogue", None, json!({"user_declared_ai": false})),
                vec![LabelMissing],
                vec![],
            ),
            (
                "17(1) nothing",
                with("face_swap", None, json!(null)),
                vec![LabelMissing],
                vec![],
            ),
            (
                "17(1) nothing, base text event",
                json!({}),
                vec![LabelMissing],
                vec![],
            ),
            (
                "17(1) other, nothing",
                with("other", None, json!(null)),
                vec![LabelMissing],
                vec![],
            ),
            (
                "17(1) present false with text",
                with(
                    "tts",
                    None,
                    json!({"explicit": {"present": false, "text": "AI生成"}}),
                ),
                vec![LabelMissing],
                vec![],
            ),
            (
                "17(1) present absent, text given",
                with("tts", None, json!({"explicit": {"text": "AI生成"}})),
                vec![],
                vec![propagate("3")],
            ),
            (
                "17(1) present absent, no text",
                with("tts", None, json!({"explicit": {}})),
                vec![LabelMissing],
                vec![],
            ),
            (
                "17(1) 3d nothing",
                with("3d_reconstruction", None, json!(null)),
                vec![LabelMissing],
                vec![],
            ),
            // Art. 17(2): never label_missing; LM Art. 6 actions still apply.
            (
                "17(2) nothing",
                with("image_enhancement", None, json!(null)),
                vec![],
                vec![],
            ),
            (
                "17(2) metadata 1",
                with("image_enhancement", meta1.clone(), json!(null)),
                vec![],
                vec![add_label(PROMPT_GENERATED), propagate("1")],
            ),
            (
                "17(2) declared",
                with(
                    "audio_scene_editing",
                    None,
                    json!({"user_declared_ai": true}),
                ),
                vec![],
                vec![add_label(PROMPT_POSSIBLY), propagate("2")],
            ),
            (
                "17(2) conforming label",
                with("image_restoration", None, explicit("AI合成")),
                vec![],
                vec![propagate("3")],
            ),
            (
                "17(2) nonconforming label",
                with("image_restoration", None, explicit("AI修复")),
                vec![LabelNonconforming],
                vec![add_label(PROMPT_SUSPECTED), propagate("3")],
            ),
            // Nonconforming wording.
            (
                "合成内容 lacks AI",
                with("face_swap", None, explicit("合成内容")),
                vec![LabelNonconforming],
                vec![add_label(PROMPT_SUSPECTED), propagate("3")],
            ),
            (
                "AI作品 lacks generation",
                with("face_swap", None, explicit("AI作品")),
                vec![LabelNonconforming],
                vec![add_label(PROMPT_SUSPECTED), propagate("3")],
            ),
            (
                "机器生成 lacks AI",
                with("text_generation", None, explicit("机器生成")),
                vec![LabelNonconforming],
                vec![add_label(PROMPT_SUSPECTED), propagate("3")],
            ),
            (
                "English only",
                with("text_generation", None, explicit("AI-generated")),
                vec![LabelNonconforming],
                vec![add_label(PROMPT_SUSPECTED), propagate("3")],
            ),
            (
                "nonconforming + metadata 1",
                with("face_swap", meta1.clone(), explicit("AI作品")),
                vec![LabelNonconforming],
                vec![add_label(PROMPT_GENERATED), propagate("1")],
            ),
            (
                "present, no text",
                with("face_swap", None, json!({"explicit": {"present": true}})),
                vec![LabelNonconforming],
                vec![add_label(PROMPT_SUSPECTED), propagate("3")],
            ),
            (
                "present, blank text",
                with("face_swap", None, explicit("  ")),
                vec![LabelNonconforming],
                vec![add_label(PROMPT_SUSPECTED), propagate("3")],
            ),
            // Tampering (Art. 18).
            (
                "真实拍摄 + metadata 1",
                with("face_manipulation", meta1.clone(), explicit("真实拍摄")),
                vec![LabelTampered],
                vec![add_label(PROMPT_GENERATED), propagate("1")],
            ),
            (
                "非AI生成, no metadata",
                with("text_generation", None, explicit("非AI生成")),
                vec![LabelTampered],
                vec![],
            ),
            (
                "实拍 on 17(2) technique",
                with("image_enhancement", None, explicit("实拍")),
                vec![LabelTampered],
                vec![],
            ),
            (
                "not AI + declared",
                with(
                    "tts",
                    None,
                    json!({"explicit": {"present": true, "text": "Not AI"}, "user_declared_ai": true}),
                ),
                vec![LabelTampered],
                vec![add_label(PROMPT_POSSIBLY), propagate("2")],
            ),
            (
                "reality claim disclosed as AI",
                with("face_swap", None, explicit("基于实拍素材AI合成")),
                vec![],
                vec![propagate("3")],
            ),
            (
                "negated reality claim",
                with("face_swap", None, explicit("非真实拍摄，AI生成")),
                vec![],
                vec![propagate("3")],
            ),
            // Invalid metadata.
            (
                "invalid metadata + conforming label",
                with(
                    "image_generation",
                    Some(
                        json!({"AIGC": {"Label": 1, "ContentProducer": "x", "ProduceID": "y", "ReserveCode1": ""}}),
                    ),
                    explicit("AI生成"),
                ),
                vec![LabelMetadataInvalid],
                vec![propagate("3")],
            ),
            (
                "invalid metadata only, 17(1)",
                with(
                    "image_generation",
                    Some(json!({"AIGC": {"Label": "AIGC"}})),
                    json!(null),
                ),
                vec![LabelMetadataInvalid, LabelMissing],
                vec![],
            ),
            (
                "invalid metadata only, 17(2)",
                with(
                    "image_enhancement",
                    Some(json!({"AIGC": "garbage"})),
                    json!(null),
                ),
                vec![LabelMetadataInvalid],
                vec![],
            ),
            (
                "invalid metadata + declared",
                with(
                    "image_generation",
                    Some(json!({"AIGC": 1})),
                    json!({"user_declared_ai": true}),
                ),
                vec![LabelMetadataInvalid],
                vec![add_label(PROMPT_POSSIBLY), propagate("2")],
            ),
            (
                "metadata without AIGC key is not a label",
                with(
                    "face_swap",
                    Some(json!({"Label": "1", "ContentProducer": "x", "ProduceID": "y"})),
                    json!(null),
                ),
                vec![LabelMissing],
                vec![],
            ),
            (
                "all four at once",
                with(
                    "face_swap",
                    Some(json!({"AIGC": {"Label": "9"}})),
                    explicit("真实拍摄"),
                ),
                vec![LabelMetadataInvalid, LabelTampered],
                vec![],
            ),
        ];
        for (name, patch, want_codes, want_actions) in cases {
            let out = run(patch);
            let codes: Vec<ReasonCode> = out.findings.iter().map(|f| f.code).collect();
            assert_eq!(codes, want_codes, "{name}: {:#?}", out.findings);
            assert_eq!(out.actions, want_actions, "{name}");
            for f in &out.findings {
                assert_eq!(f.action, f.code.default_action(), "{name}");
                assert!(f.detail.as_deref().is_some_and(|d| !d.is_empty()), "{name}");
                assert!(f.evidence.is_some(), "{name}");
            }
        }
    }

    #[test]
    fn implicit_label_forms() {
        let inner = block("1");
        let inner_str = inner.to_string();
        let wrapped_str = json!({"AIGC": inner}).to_string();
        let cases: Vec<(&str, Value)> = vec![
            ("object", json!({"AIGC": inner})),
            ("object with wrapper", json!({"AIGC": {"AIGC": inner}})),
            ("string", json!({"AIGC": inner_str})),
            ("string with wrapper", json!({"AIGC": wrapped_str})),
            (
                "XML-escaped string",
                json!({"TC260:AIGC": inner_str.replace('"', "&quot;")}),
            ),
            (
                "XML-escaped with wrapper",
                json!({"XMP-TC260:AIGC": wrapped_str.replace('"', "&quot;")}),
            ),
            (
                "numeric entities",
                json!({"AIGC": inner_str.replace('"', "&#34;")}),
            ),
            (
                "hex entities",
                json!({"AIGC": inner_str.replace('"', "&#x22;")}),
            ),
            ("lower-case key", json!({"aigc": inner})),
            ("prefixed key", json!({"TC260:AIGC": inner})),
            (
                "nested carrier",
                json!({"XMP": {"TC260": {"AIGC": inner_str}}, "Exif": {"Make": "x"}}),
            ),
            ("in an array", json!({"png": [{"tEXt": {"AIGC": inner}}]})),
            (
                "whitespace around string",
                json!({"AIGC": format!("  {inner_str}\n")}),
            ),
            (
                "minimal: only required",
                json!({"AIGC": {"Label": "1", "ContentProducer": "a", "ProduceID": "b"}}),
            ),
        ];
        for (name, metadata) in cases {
            let out = run(with("face_swap", Some(metadata), json!(null)));
            assert!(out.findings.is_empty(), "{name}: {:#?}", out.findings);
            assert_eq!(
                out.actions,
                vec![add_label(PROMPT_GENERATED), propagate("1")],
                "{name}"
            );
        }
        let parsed = parse_implicit_label(&json!(inner_str)).unwrap();
        assert_eq!(parsed.label, AigcLabel::Generated);
        assert_eq!(parsed.content_producer, "001191110102MAD55U9H0F10002");
        assert_eq!(parsed.produce_id, "p-1");
        assert_eq!(parsed.reserved_code1.as_deref(), Some(""));
        let minimal =
            parse_implicit_label(&json!({"Label": "3", "ContentProducer": "a", "ProduceID": "b"}))
                .unwrap();
        assert_eq!(minimal.content_propagator, None);
        assert_eq!(minimal.label.as_str(), "3");
    }

    #[test]
    fn invalid_implicit_labels_say_what_is_wrong() {
        let good = block("1");
        let good_str = good.to_string();
        let cases: Vec<(&str, Value, &str, &[&str])> = vec![
            (
                "numeric Label",
                json!({"AIGC": {"Label": 1, "ContentProducer": "a", "ProduceID": "b"}}),
                "content.media[0].metadata.AIGC",
                &["`Label` must be a string, found the number 1"],
            ),
            (
                "Label AIGC",
                json!({"AIGC": {"Label": "AIGC", "ContentProducer": "a", "ProduceID": "b"}}),
                "content.media[0].metadata.AIGC",
                &["`Label` is \"AIGC\""],
            ),
            (
                "Label 0",
                json!({"AIGC": {"Label": "0", "ContentProducer": "a", "ProduceID": "b"}}),
                "content.media[0].metadata.AIGC",
                &["must be \"1\""],
            ),
            (
                "misspelt ReserveCode1",
                json!({"AIGC": {"Label": "1", "ContentProducer": "a", "ProduceID": "b", "ReserveCode1": ""}}),
                "content.media[0].metadata.AIGC",
                &["unknown key `ReserveCode1` (did you mean `ReservedCode1`?"],
            ),
            (
                "misspelt ReserveCode2",
                json!({"AIGC": {"Label": "1", "ContentProducer": "a", "ProduceID": "b", "ReserveCode2": ""}}),
                "content.media[0].metadata.AIGC",
                &["did you mean `ReservedCode2`?"],
            ),
            (
                "wrong case key",
                json!({"AIGC": {"label": "1", "ContentProducer": "a", "ProduceID": "b"}}),
                "content.media[0].metadata.AIGC",
                &[
                    "unknown key `label` (did you mean `Label`?",
                    "`Label` is missing",
                ],
            ),
            (
                "unrelated key",
                json!({"AIGC": {"Label": "1", "ContentProducer": "a", "ProduceID": "b", "Model": "x"}}),
                "content.media[0].metadata.AIGC",
                &["unknown key `Model`; GB 45438-2025 Annex E allows only Label"],
            ),
            (
                "missing producer and id",
                json!({"AIGC": {"Label": "1"}}),
                "content.media[0].metadata.AIGC",
                &["`ContentProducer` is missing", "`ProduceID` is missing"],
            ),
            (
                "empty producer",
                json!({"AIGC": {"Label": "1", "ContentProducer": "", "ProduceID": "b"}}),
                "content.media[0].metadata.AIGC",
                &["`ContentProducer` is empty"],
            ),
            (
                "space in value",
                json!({"AIGC": {"Label": "1", "ContentProducer": "Demo Co", "ProduceID": "b"}}),
                "content.media[0].metadata.AIGC",
                &["`ContentProducer` has a space at character 4"],
            ),
            (
                "Chinese in value",
                json!({"AIGC": {"Label": "1", "ContentProducer": "某公司", "ProduceID": "b"}}),
                "content.media[0].metadata.AIGC",
                &["U+67D0"],
            ),
            (
                "quote in value",
                json!({"AIGC": {"Label": "1", "ContentProducer": "a\"b", "ProduceID": "b"}}),
                "content.media[0].metadata.AIGC",
                &["`ContentProducer` has `\"` at character 1"],
            ),
            (
                "backslash in value",
                json!({"AIGC": {"Label": "1", "ContentProducer": "a", "ProduceID": "b\\c"}}),
                "content.media[0].metadata.AIGC",
                &["`ProduceID` has `\\`"],
            ),
            (
                "non-string optional",
                json!({"AIGC": {"Label": "1", "ContentProducer": "a", "ProduceID": "b", "PropagateID": 7}}),
                "content.media[0].metadata.AIGC",
                &["`PropagateID` must be a string, found the number 7"],
            ),
            (
                "null element",
                json!({"AIGC": {"Label": null, "ContentProducer": "a", "ProduceID": "b"}}),
                "content.media[0].metadata.AIGC",
                &["`Label` must be a string, found null"],
            ),
            (
                "duplicate key in string",
                json!({"AIGC": r#"{"Label":"1","Label":"2","ContentProducer":"a","ProduceID":"b"}"#}),
                "content.media[0].metadata.AIGC",
                &["`Label` appears more than once"],
            ),
            (
                "stacked in string",
                json!({"AIGC": format!("{good_str}{good_str}")}),
                "content.media[0].metadata.AIGC",
                &["more than one JSON value: stacked"],
            ),
            (
                "stacked wrappers in string",
                json!({"AIGC": format!(r#"{{"AIGC":{good_str},"AIGC":{good_str}}}"#)}),
                "content.media[0].metadata.AIGC",
                &["2 `AIGC` blocks are stacked"],
            ),
            (
                "stacked array",
                json!({"AIGC": [good, good]}),
                "content.media[0].metadata.AIGC",
                &["an array of 2 blocks: stacked"],
            ),
            (
                "two carriers in one file",
                json!({"AIGC": good, "XMP": {"TC260:AIGC": good_str}}),
                "content.media[0].metadata",
                &[
                    "2 AIGC implicit-label blocks are stacked",
                    "content.media[0].metadata.XMP.TC260:AIGC",
                ],
            ),
            (
                "wrapper with extra key",
                json!({"AIGC": {"AIGC": good, "Label": "1"}}),
                "content.media[0].metadata.AIGC",
                &["wrapper must be the only key, but the block also has `Label`"],
            ),
            (
                "wrapper wrong case",
                json!({"AIGC": {"aigc": good}}),
                "content.media[0].metadata.AIGC",
                &["wrapper key `aigc` must be spelled `AIGC`"],
            ),
            (
                "nested wrapper",
                json!({"AIGC": {"AIGC": {"AIGC": good}}}),
                "content.media[0].metadata.AIGC",
                &["nested AIGC wrapper", "`Label` is missing"],
            ),
            (
                "wrapper holds string",
                json!({"AIGC": {"AIGC": good_str}}),
                "content.media[0].metadata.AIGC",
                &["the `AIGC` wrapper holds a string"],
            ),
            (
                "not JSON",
                json!({"AIGC": "Label=1"}),
                "content.media[0].metadata.AIGC",
                &["not valid JSON"],
            ),
            (
                "trailing garbage",
                json!({"AIGC": format!("{good_str}x")}),
                "content.media[0].metadata.AIGC",
                &["trailing data"],
            ),
            (
                "bad XML escape",
                json!({"AIGC": "{&quot;Label&quot;:&quot;1&quot;"}),
                "content.media[0].metadata.AIGC",
                &["after XML unescaping"],
            ),
            (
                "empty string",
                json!({"AIGC": ""}),
                "content.media[0].metadata.AIGC",
                &["empty string"],
            ),
            (
                "null",
                json!({"AIGC": null}),
                "content.media[0].metadata.AIGC",
                &["the value is null"],
            ),
            (
                "number",
                json!({"AIGC": 1}),
                "content.media[0].metadata.AIGC",
                &["the value is the number 1"],
            ),
            (
                "bool",
                json!({"AIGC": true}),
                "content.media[0].metadata.AIGC",
                &["the boolean true"],
            ),
            (
                "single-item array",
                json!({"AIGC": [good]}),
                "content.media[0].metadata.AIGC",
                &["an array of 1 items"],
            ),
            (
                "double-encoded string",
                json!({"AIGC": serde_json::to_string(&good_str).unwrap()}),
                "content.media[0].metadata.AIGC",
                &["a JSON string that decodes to a string"],
            ),
            (
                "string decodes to number",
                json!({"AIGC": "1"}),
                "content.media[0].metadata.AIGC",
                &["decodes to the number 1"],
            ),
            (
                "empty object",
                json!({"AIGC": {}}),
                "content.media[0].metadata.AIGC",
                &["`Label` is missing"],
            ),
            (
                "nested key path",
                json!({"xmp": [{"TC260:AIGC": {"Label": "x"}}]}),
                "content.media[0].metadata.xmp[0].TC260:AIGC",
                &["`Label` is \"x\""],
            ),
        ];
        for (name, metadata, path, needles) in cases {
            let out = run(with("image_generation", Some(metadata), explicit("AI生成")));
            assert_eq!(out.findings.len(), 1, "{name}: {:#?}", out.findings);
            let f = &out.findings[0];
            assert_eq!(f.code, ReasonCode::LabelMetadataInvalid, "{name}");
            assert_eq!(f.action, crate::decision::Action::Hold, "{name}");
            assert_eq!(f.evidence.as_ref().unwrap().field, path, "{name}");
            let detail = f.detail.as_deref().unwrap();
            for needle in needles {
                assert!(
                    detail.contains(needle),
                    "{name}: {detail:?} lacks {needle:?}"
                );
            }
            // An invalid block is never relied on: only the explicit label's case (3) remains.
            assert_eq!(out.actions, vec![propagate("3")], "{name}");
        }
    }

    #[test]
    fn metadata_location_and_multiple_media() {
        // A second media item is checked on its own; the most certain valid label wins.
        let patch = json!({"content": {"kind": "video", "media": [
            {"metadata": {"AIGC": block("3")}},
            {"metadata": {"AIGC": block("1")}},
            {"metadata": {"AIGC": {"Label": "1"}}},
            {"metadata": null},
            {}
        ]}, "synthesis": {"technique": "face_swap"}});
        let out = run(patch);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(
            out.findings[0].evidence.as_ref().unwrap().field,
            "content.media[2].metadata.AIGC"
        );
        assert_eq!(
            out.actions,
            vec![add_label(PROMPT_GENERATED), propagate("1")]
        );
        // Keys that do not contain AIGC are ignored, at any depth.
        let out = run(with(
            "image_enhancement",
            Some(json!({"Exif": {"Label": "1"}, "AIG": "1", "A-I-G-C": 1})),
            json!(null),
        ));
        assert!(out.findings.is_empty() && out.actions.is_empty());
    }

    #[test]
    fn invalid_reasons_are_capped() {
        let media: Vec<Value> = (0..40).map(|_| json!({"metadata": {"AIGC": 1}})).collect();
        let out = run(
            json!({"content": {"kind": "image", "media": media}, "labels": explicit("AI生成")}),
        );
        assert_eq!(out.findings.len(), MAX_INVALID_REASONS);
        assert!(out.findings[MAX_INVALID_REASONS - 1]
            .detail
            .as_deref()
            .unwrap()
            .contains("24 further invalid media items"));
    }

    #[test]
    fn junk_shapes_never_panic() {
        // Deeper than the stage's own 32-level search, within the parser's 64-level limit.
        let mut deep = json!({"AIGC": block("1")});
        for _ in 0..25 {
            deep = json!({"x": [deep]});
        }
        let mut deep_block = json!("1");
        for _ in 0..50 {
            deep_block = json!({"AIGC": deep_block});
        }
        let junk: Vec<Value> = vec![
            json!(null),
            json!(1),
            json!(-1.5),
            json!("AIGC"),
            json!("{\"AIGC\":"),
            json!([]),
            json!([null, 1, "x"]),
            json!({}),
            json!({"": {"AIGC": []}}),
            json!({"AIGC": {"AIGC": null}}),
            json!({"AIGC": {"AIGC": [1, 2]}}),
            json!({"AIGC": [[], {}]}),
            json!({"AIGC": "\u{0}\u{FFFF}"}),
            json!({"AIGC": "&"}),
            json!({"AIGC": "&#xFFFFFFFF;&#99999999999;&;&#;&#x;"}),
            json!({"AIGC": "[1,2]"}),
            json!({"AIGC": "null"}),
            json!({"AIGC": "{\"Label\":{\"Label\":\"1\"}}"}),
            json!({"AIGC": {"Label": ["1"], "ContentProducer": {"a": 1}, "ProduceID": 1e300}}),
            json!({"AIGC": {"Label": "1", "ContentProducer": "a", "ProduceID": "b", "😀": "x".repeat(10_000)}}),
            json!({"AIGC": "1e99999"}),
            deep,
            deep_block,
        ];
        for (i, metadata) in junk.into_iter().enumerate() {
            for technique in ["face_swap", "image_enhancement"] {
                let out = run(with(technique, Some(metadata.clone()), json!(null)));
                for f in &out.findings {
                    assert!(
                        f.detail
                            .as_deref()
                            .is_some_and(|d| d.chars().count() < 4096),
                        "junk {i}"
                    );
                }
            }
        }
    }

    #[test]
    fn long_labels_stay_linear() {
        let started = std::time::Instant::now();
        let text = "非实拍".repeat(100_000);
        assert_eq!(
            assess_wording(&text),
            Wording::Lacks {
                ai: true,
                generation: true
            }
        );
        let text = format!("{}真实拍摄", "AI".repeat(200_000));
        assert!(matches!(
            assess_wording(&text),
            Wording::Denies { start: 400_000, .. }
        ));
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }

    #[test]
    fn xml_unescape_handles_entities() {
        assert_eq!(xml_unescape("&quot;a&quot;"), "\"a\"");
        assert_eq!(xml_unescape("&amp;quot;"), "&quot;");
        assert_eq!(xml_unescape("&lt;&gt;&apos;&#65;&#x42;"), "<>'AB");
        assert_eq!(xml_unescape("a & b &unknown; &"), "a & b &unknown; &");
        assert_eq!(xml_unescape("中&quot;文"), "中\"文");
    }

    #[test]
    fn wording_table() {
        use Wording::*;
        let lacks = |ai, generation| Lacks { ai, generation };
        let cases: Vec<(&str, Wording)> = vec![
            ("AI生成", Conforming),
            ("人工智能生成", Conforming),
            ("人工智能生成合成", Conforming),
            ("本回答由人工智能生成", Conforming),
            ("ai合成", Conforming),
            ("Ai 生成", Conforming),
            ("ＡＩ生成", Conforming),
            ("AIGC生成", Conforming),
            ("由OpenAI生成", Conforming),
            ("人工 智能 生 成", Conforming),
            ("A\u{200B}I生成", Conforming),
            ("内容由AI-生成", Conforming),
            ("可能为AI生成内容", Conforming),
            ("疑似AI生成内容", Conforming),
            ("基于实拍素材AI合成", Conforming),
            ("非实拍，AI生成", Conforming),
            ("Nano AI生成", Conforming),
            ("", Empty),
            (" \t", Empty),
            ("合成内容", lacks(true, false)),
            ("AI作品", lacks(false, true)),
            ("机器生成", lacks(true, false)),
            ("机器整理", lacks(true, true)),
            ("email生成", lacks(true, false)),
            ("MAIN生成", lacks(true, false)),
            ("AI-generated", lacks(false, true)),
            ("人工智慧生成", lacks(true, false)),
            ("AIR合成", lacks(true, false)),
            ("非真实拍摄", lacks(true, true)),
        ];
        for (text, want) in cases {
            assert_eq!(assess_wording(text), want, "{text:?}");
        }
        // The prompts this stage adds conform themselves.
        for p in [PROMPT_GENERATED, PROMPT_POSSIBLY, PROMPT_SUSPECTED] {
            assert_eq!(assess_wording(p), Conforming, "{p}");
        }
    }

    #[test]
    fn denials_with_exact_offsets() {
        let cases: Vec<(&str, &str)> = vec![
            ("真实拍摄", "真实拍摄"),
            ("街头实拍", "实拍"),
            ("非AI生成", "非AI"),
            ("非 ＡＩ 生成", "非 ＡＩ"),
            ("【非AIGC】", "非AIGC"),
            ("未经合成", "未经合成"),
            ("纯手工制作", "纯手工"),
            ("真人出镜", "真人出镜"),
            ("原创拍摄 无滤镜", "原创拍摄"),
            ("本视频未使用AI，真人出镜", "未使用AI"),
            ("Not AI", "Not AI"),
            ("no-AI content", "no-AI"),
            ("100% real footage", "real footage"),
            ("NON-AI", "NON-AI"),
            ("真\u{200B}实拍摄", "真\u{200B}实拍摄"),
            ("😀 not  ai-generated", "not  ai"),
            ("真实拍摄，AI生成?非AI", "非AI"),
        ];
        for (text, want) in cases {
            match assess_wording(text) {
                Wording::Denies {
                    start,
                    end,
                    matched,
                } => {
                    assert_eq!(matched, want, "{text:?}");
                    let slice: String = text.chars().skip(start).take(end - start).collect();
                    assert_eq!(slice, matched, "{text:?}: offsets are code points");
                }
                other => panic!("{text:?}: expected a denial, got {other:?}"),
            }
        }
        // Negative controls: not denials.
        for text in [
            "Nano AI生成",
            "AI生成 no aid",
            "无AIGC标识AI生成",
            "AI生成，非真人",
            "非实拍",
        ] {
            assert!(
                !matches!(assess_wording(text), Wording::Denies { .. }),
                "{text:?}"
            );
        }
        // Evidence in the finding carries the offsets.
        let out = run(with("face_swap", None, explicit("视频：真实拍摄")));
        let e = out.findings[0].evidence.as_ref().unwrap();
        assert_eq!(
            (e.field.as_str(), e.start, e.end, e.matched.as_deref()),
            ("labels.explicit.text", Some(3), Some(7), Some("真实拍摄"))
        );
        assert_eq!(out.findings[0].action, crate::decision::Action::Reject);
    }

    #[test]
    fn article_17_mapping() {
        use Technique::*;
        let in_17_1 = [
            (TextGeneration, "(1)"),
            (Dialogue, "(1)"),
            (TextStyleTransfer, "(1)"),
            (Tts, "(2)"),
            (VoiceConversion, "(2)"),
            (VoiceEditing, "(2)"),
            (FaceGeneration, "(3)"),
            (FaceSwap, "(3)"),
            (FaceAttributeEditing, "(3)"),
            (FaceManipulation, "(3)"),
            (PoseManipulation, "(3)"),
            (DigitalHuman, "(3)"),
            (ThreeDReconstruction, "(4)"),
            (VirtualScene, "(4)"),
            (MusicGeneration, "(5)"),
            (ImageGeneration, "(5)"),
            (Other, "(5)"),
        ];
        for (t, item) in in_17_1 {
            assert_eq!(
                article_17_1_item(t),
                Some(format!("Art. 17(1){item}").as_str()),
                "{t:?}"
            );
        }
        for t in [AudioSceneEditing, ImageEnhancement, ImageRestoration] {
            assert_eq!(article_17_1_item(t), None, "{t:?}");
        }
        assert_eq!(technique_name(ThreeDReconstruction), "3d_reconstruction");
        assert_eq!(technique_name(FaceSwap), "face_swap");
    }

    #[test]
    fn label_missing_detail_names_the_item() {
        let out = run(with("voice_conversion", None, json!(null)));
        let detail = out.findings[0].detail.as_deref().unwrap();
        assert!(
            detail.contains("voice_conversion is an Art. 17(1)(2) service"),
            "{detail}"
        );
        assert_eq!(
            out.findings[0].evidence.as_ref().unwrap().field,
            "labels.explicit"
        );
    }

    #[test]
    fn aigc_label_order_and_values() {
        assert!(
            AigcLabel::Generated < AigcLabel::Possibly
                && AigcLabel::Possibly < AigcLabel::Suspected
        );
        for v in ["1", "2", "3"] {
            assert_eq!(AigcLabel::from_value(v).unwrap().as_str(), v);
        }
        for v in ["", "0", "4", "AIGC", " 1", "１"] {
            assert_eq!(AigcLabel::from_value(v), None, "{v:?}");
        }
    }
}
