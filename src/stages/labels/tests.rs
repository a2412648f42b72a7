//! Unit tests of the `labels` stage, the implicit-label parser and the wording rules.

use super::aigc::xml_unescape;
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
    let out =
        run(json!({"content": {"kind": "image", "media": media}, "labels": explicit("AI生成")}));
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
    // `media[].metadata` other than an object or null is a schema dead letter before any stage
    // runs (tests/schema_contract.rs), so only those shapes reach the stage.
    for (i, metadata) in junk
        .into_iter()
        .filter(|m| m.is_object() || m.is_null())
        .enumerate()
    {
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
        // Issue 12: negation by scope, after the feature library's folding.
        ("本视频由真人实拍，与AI生成无关", "AI生成无关"),
        ("本内容不是由AI生成的", "不是由AI"),
        ("此图未由AI合成", "未由AI"),
        ("拒绝AI生成，真实拍摄", "拒绝AI"),
        ("AI生成（并非）", "AI生成（并非"),
        ("非 A I 生成", "非 A I"),
        ("Not A.I. generated", "Not A.I"),
        ("本内容並非由AI生成", "並非由AI"),
        ("纯手工拍摄", "纯手工"),
    ];
    for (text, want) in cases {
        match assess_wording(text) {
            Wording::Denies {
                start,
                end,
                matched,
                ..
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
        "实拍素材经AI合成",
        "本视频含AI生成内容",
        "AI辅助生成",
        "无AIGC标识，AI生成",
        "AI生成，未经授权禁止转载",
        "AI生成内容，不代表平台观点",
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
    // The detail names the cue that decided.
    let out = run(with("face_swap", None, explicit("本内容不是由AI生成的")));
    let detail = out.findings[0].detail.as_deref().unwrap();
    assert!(
        detail.contains("negator `不是` governs the AI element"),
        "{detail}"
    );
    let out = run(with("face_swap", None, explicit("真人实拍 AI配音")));
    let detail = out.findings[0].detail.as_deref().unwrap();
    assert!(detail.contains("reality claim `真人实拍`"), "{detail}");
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
    assert_eq!(ThreeDReconstruction.as_str(), "3d_reconstruction");
    assert_eq!(FaceSwap.as_str(), "face_swap");
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
        AigcLabel::Generated < AigcLabel::Possibly && AigcLabel::Possibly < AigcLabel::Suspected
    );
    for v in ["1", "2", "3"] {
        assert_eq!(AigcLabel::from_value(v).unwrap().as_str(), v);
    }
    for v in ["", "0", "4", "AIGC", " 1", "１"] {
        assert_eq!(AigcLabel::from_value(v), None, "{v:?}");
    }
}

/// Object-form metadata naming a key twice: `Value` keeps the last, the parser records the paths.
#[test]
fn duplicate_keys_in_object_metadata_are_invalid() {
    use crate::event::{parse_event, Limits};
    let review = |metadata: &str| {
        let text = format!(
            r#"{{"event_id":"d","user":{{"id":"u","identity_verified":true}},
               "content":{{"kind":"image","media":[{{"url":"https://cdn.example/x.png","metadata":{metadata}}}]}},
               "synthesis":{{"technique":"image_generation"}},
               "labels":{{"explicit":{{"present":true,"text":"AI生成"}}}}}}"#
        );
        let parsed = parse_event(text.as_bytes(), &Limits::default()).unwrap();
        let mut out = StageOutput::default();
        Labels.review(&parsed.event, &mut out);
        out
    };
    let cases: [(&str, Option<&str>); 6] = [
        (
            r#"{"AIGC":{"Label":"9","Label":"1","ContentProducer":"a","ProduceID":"b"}}"#,
            Some("duplicate key content.media[0].metadata.AIGC.Label"),
        ),
        (
            r#"{"AIGC":{"Label":"1","ContentProducer":"a","ProduceID":"b"},"AIGC":{"Label":"1","ContentProducer":"a","ProduceID":"c"}}"#,
            Some("duplicate key content.media[0].metadata.AIGC "),
        ),
        (
            r#"{"XMP":{"TC260:AIGC":{"AIGC":{"Label":"1","Label":"1","ContentProducer":"a","ProduceID":"b"}}}}"#,
            Some("content.media[0].metadata.XMP.TC260:AIGC.AIGC.Label"),
        ),
        (
            r#"{"AIGC":{"Label":"1","ContentProducer":"a","ContentProducer":"a","ProduceID":"b","ProduceID":"b"}}"#,
            Some("duplicate keys content.media[0].metadata.AIGC.ContentProducer, content.media[0].metadata.AIGC.ProduceID"),
        ),
        // Duplicates elsewhere in the metadata do not concern the label.
        (
            r#"{"Exif":{"Make":"x","Make":"y"},"AIGC":{"Label":"1","ContentProducer":"a","ProduceID":"b"}}"#,
            None,
        ),
        (
            r#"{"AIGC":{"Label":"1","ContentProducer":"a","ProduceID":"b"}}"#,
            None,
        ),
    ];
    for (metadata, want) in cases {
        let out = review(metadata);
        let invalid: Vec<&Finding> = out
            .findings
            .iter()
            .filter(|f| f.code == ReasonCode::LabelMetadataInvalid)
            .collect();
        match want {
            Some(want) => {
                assert_eq!(invalid.len(), 1, "{metadata}: {:?}", out.findings);
                let detail = invalid[0].detail.as_deref().unwrap();
                assert!(detail.contains(want), "{metadata}: {detail}");
                // An invalid block is never relied on: the explicit label alone is case (3).
                assert!(
                    out.actions.is_empty() || out.actions.contains(&propagate("3")),
                    "{metadata}: {:?}",
                    out.actions
                );
            }
            None => {
                assert!(invalid.is_empty(), "{metadata}: {:?}", out.findings);
                assert!(
                    out.actions.contains(&propagate("1")),
                    "{metadata}: {:?}",
                    out.actions
                );
            }
        }
    }
}
