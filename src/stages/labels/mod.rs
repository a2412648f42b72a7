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
//!    file (6.1 c) allows exactly one), or a block whose object form names a key twice (the
//!    `duplicate_keys` [`crate::event::parse_event`] records, e.g. `"Label":"9","Label":"1"`, just as
//!    the string form already is), → `label_metadata_invalid` (hold, Art. 16) with the block's
//!    path as evidence (e.g. `content.media[0].metadata.AIGC`) and a detail naming every problem.
//!    An invalid block is never relied on afterwards.
//! 2. **Explicit label wording** (Art. 17; LM Art. 4; GB 45438-2025 5.x), for an explicit label that is
//!    present (`labels.explicit.present == true`, or `present` absent with non-blank `text`;
//!    `present == false` means no label whatever `text` says). See [`assess_wording`]:
//!    - wording that denies synthesis → `label_tampered` (**reject**, Art. 18): a negator that
//!      governs the AI or generation element (`不是由AI生成`, `与AI生成无关`, `Not A.I. generated`)
//!      or a reality claim (`真实拍摄`, `纯手工拍摄`) without the AI and generation elements said
//!      un-negated, found by scope over the feature library's folding (`wording.rs` explains the
//!      rules); the detail names the cue. Every event is deep synthesis by definition (its
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
//!
//! # Files
//! - `mod.rs`: the stage: which reasons and platform actions follow from the event's labels.
//! - `aigc.rs`: the implicit label (GB 45438-2025 Annex E) found in and parsed from media
//!   metadata: [`parse_implicit_label`].
//! - `wording.rs`: explicit-label wording under GB 45438-2025 and Art. 18: [`assess_wording`].

use serde_json::Value;

use super::{BuildStage, Finding, Stage, StageContext, StageOutput};
use crate::config::ConfigError;
use crate::decision::{reason_codes, Evidence, PublishAction, ReasonCode, StageKind};
use crate::event::{ExplicitLabel, PublishEvent, Technique};

mod aigc;
#[cfg(test)]
mod tests;
mod wording;

use aigc::find_blocks;
pub use aigc::{parse_implicit_label, AigcLabel, ImplicitLabel};
pub use wording::{assess_wording, Wording};

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
        // The wording rules fold with the feature library's normalizer: build it now, at
        // start-up, not inside the first review.
        let _ = crate::text::normalize::Normalizer::shared();
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

/// Longest evidence value shown, in characters.
const MAX_SHOWN: usize = 512;

/// AI-label checks (Art. 16–18; LM Art. 6; GB 45438-2025). See the module documentation.
#[derive(Debug, Default, Clone)]
pub struct Labels;

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
                    cue,
                } => {
                    let because = match implicit {
                        Some(AigcLabel::Generated) => format!(
                            "{} content whose AIGC implicit label says Label \"1\"",
                            technique.as_str()
                        ),
                        _ => format!("deep-synthesis content (technique {})", technique.as_str()),
                    };
                    out.findings.push(
                        Finding::new(ReasonCode::LabelTampered)
                            .detail(format!(
                                "explicit label `{matched}` denies synthesis ({cue}) on {because}; \
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
                            technique.as_str()
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

/// `s` cut to `max` characters, with `…` when something was cut.
pub(super) fn truncate(s: &str, max: usize) -> String {
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
                let duplicates: Vec<&str> = media
                    .duplicate_keys
                    .iter()
                    .map(String::as_str)
                    .filter(|d| {
                        d.strip_prefix(path.as_str())
                            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
                    })
                    .collect();
                if !duplicates.is_empty() {
                    invalid.push(
                        Finding::new(ReasonCode::LabelMetadataInvalid)
                            .detail(format!(
                                "AIGC implicit label at {path} is invalid: duplicate key{} {} \
                                 (the metadata as sent names the same key twice; which value \
                                 counts is undefined, RFC 8259 §4, and GB 45438-2025 Annex E \
                                 gives each element once)",
                                if duplicates.len() > 1 { "s" } else { "" },
                                duplicates.join(", ")
                            ))
                            .evidence(block_evidence(path, value)),
                    );
                    continue;
                }
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
