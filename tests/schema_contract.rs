//! The JSON Schema (`schema/publish-event.v1.json`) and the Rust event model must accept the same
//! enum values and require the same fields; the demo events must parse.

pub mod common;

use common::merge;
use synth_review::event::{parse_event, EventErrorKind, Limits};

fn schema() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/publish-event.v1.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn base() -> serde_json::Value {
    serde_json::json!({
        "event_id": "s-1",
        "user": {"id": "u", "identity_verified": true, "verification_method": "mobile"},
        "content": {"kind": "text", "text": "x"},
        "synthesis": {"technique": "other"},
        "subject": {"real_person": true, "consent": "obtained"},
        "labels": {"explicit": {"present": true, "text": "AI生成", "position": "start"}}
    })
}

fn parses(v: &serde_json::Value) -> Result<(), EventErrorKind> {
    parse_event(v.to_string().as_bytes(), &Limits::default())
        .map(|_| ())
        .map_err(|e| e.kind)
}

#[test]
fn every_schema_enum_value_parses_and_others_do_not() {
    let s = schema();
    let enums: [(&str, Vec<&str>); 5] = [
        (
            "/properties/user/properties/verification_method",
            vec!["user", "verification_method"],
        ),
        (
            "/properties/content/properties/kind",
            vec!["content", "kind"],
        ),
        (
            "/properties/synthesis/properties/technique",
            vec!["synthesis", "technique"],
        ),
        (
            "/properties/subject/properties/consent",
            vec!["subject", "consent"],
        ),
        (
            "/properties/labels/properties/explicit/properties/position",
            vec!["labels", "explicit", "position"],
        ),
    ];
    for (pointer, path) in enums {
        let values = s
            .pointer(pointer)
            .and_then(|n| n["enum"].as_array())
            .unwrap_or_else(|| panic!("no enum at {pointer}"));
        assert!(values.len() >= 2, "{pointer}");
        let set = |ev: &mut serde_json::Value, v: serde_json::Value| {
            let mut node = ev;
            for k in &path[..path.len() - 1] {
                node = &mut node[*k];
            }
            node[path[path.len() - 1]] = v;
        };
        for v in values {
            let mut ev = base();
            set(&mut ev, v.clone());
            // `null` is allowed only where the field is optional; the model agrees.
            assert_eq!(parses(&ev), Ok(()), "{pointer} = {v}");
        }
        let mut ev = base();
        set(&mut ev, serde_json::json!("definitely_not_a_value"));
        assert_eq!(parses(&ev), Err(EventErrorKind::Schema), "{pointer}");
    }
}

#[test]
fn required_fields_match() {
    let s = schema();
    let req = |ptr: &str| -> Vec<String> {
        s.pointer(ptr)
            .and_then(|r| r.as_array())
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let mut required: Vec<Vec<&str>> = Vec::new();
    let top = req("/required");
    let user = req("/properties/user/required");
    let content = req("/properties/content/required");
    let synthesis = req("/properties/synthesis/required");
    for f in &top {
        required.push(vec![f.as_str()]);
    }
    for f in &user {
        required.push(vec!["user", f.as_str()]);
    }
    for f in &content {
        required.push(vec!["content", f.as_str()]);
    }
    for f in &synthesis {
        required.push(vec!["synthesis", f.as_str()]);
    }
    let mut names: Vec<String> = required.iter().map(|p| p.join(".")).collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "content",
            "content.kind",
            "event_id",
            "synthesis",
            "synthesis.technique",
            "user",
            "user.id",
            "user.identity_verified"
        ]
    );
    for path in &required {
        let mut ev = base();
        let mut node = &mut ev;
        for k in &path[..path.len() - 1] {
            node = &mut node[*k];
        }
        node.as_object_mut().unwrap().remove(path[path.len() - 1]);
        assert_eq!(
            parses(&ev),
            Err(EventErrorKind::Schema),
            "removing {path:?} must fail"
        );
    }
}

#[test]
fn demo_events_parse() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/demo/events.jsonl"
    ))
    .unwrap();
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        parse_event(line.as_bytes(), &Limits::default()).unwrap_or_else(|e| panic!("{e}: {line}"));
        n += 1;
    }
    assert!(n >= 40);
}

/// The schema as a validator (JSON Schema 2020-12, formats checked, so `date-time` is RFC 3339).
fn validator() -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema())
        .expect("the schema compiles")
}

/// Candidate values per field path, valid and broken; `None` removes the key. Parents come before
/// their children; a child is set only when its parent is an object.
fn candidates() -> Vec<(&'static str, Vec<Option<serde_json::Value>>)> {
    use serde_json::json;
    let s = |v: serde_json::Value| Some(v);
    vec![
        (
            "event_id",
            vec![
                s(json!("e-1")),
                s(json!("事件")),
                s(json!("")),
                s(json!("  ")),
                s(json!(7)),
                s(json!(null)),
                None,
            ],
        ),
        (
            "occurred_at",
            vec![
                s(json!("2026-11-29T08:00:00Z")),
                s(json!("2026-11-29T16:00:00.25+08:00")),
                s(json!("2026-11-29t08:00:00z")),
                s(json!("yesterday")),
                s(json!("2026-11-29")),
                s(json!("2026-13-01T00:00:00Z")),
                s(json!("")),
                s(json!(5)),
                s(json!(null)),
                None,
            ],
        ),
        (
            "platform",
            vec![s(json!("app")), s(json!(null)), s(json!(3)), None],
        ),
        (
            "user",
            vec![
                s(json!({})),
                s(json!({})),
                s(json!({})),
                s(json!("u-1")),
                s(json!(null)),
                None,
            ],
        ),
        (
            "user.id",
            vec![
                s(json!("u-1")),
                s(json!("u")),
                s(json!("")),
                s(json!(" \t")),
                s(json!(null)),
                s(json!(1)),
                None,
            ],
        ),
        (
            "user.identity_verified",
            vec![
                s(json!(true)),
                s(json!(false)),
                s(json!("yes")),
                s(json!(null)),
                None,
            ],
        ),
        (
            "user.verification_method",
            vec![
                s(json!("mobile")),
                s(json!("id_card")),
                s(json!("national_network_identity")),
                s(json!(null)),
                s(json!("sms")),
                s(json!(1)),
                None,
            ],
        ),
        (
            "content",
            vec![s(json!({})), s(json!({})), s(json!({})), s(json!([])), None],
        ),
        (
            "content.kind",
            vec![
                s(json!("text")),
                s(json!("image")),
                s(json!("virtual_scene")),
                s(json!("book")),
                s(json!(null)),
                None,
            ],
        ),
        (
            "content.title",
            vec![s(json!("标题")), s(json!(null)), s(json!(1)), None],
        ),
        (
            "content.text",
            vec![
                s(json!("正文")),
                s(json!("")),
                s(json!(null)),
                s(json!(["a"])),
                None,
            ],
        ),
        (
            "content.media",
            vec![
                s(json!([{}])),
                s(json!([{}])),
                s(json!([])),
                s(json!(null)),
                s(json!({})),
                s(json!("x")),
                s(json!([1])),
                None,
            ],
        ),
        (
            "content.media.0.url",
            vec![
                s(json!("https://cdn.example/a.png")),
                s(json!(null)),
                s(json!(1)),
                None,
            ],
        ),
        (
            "content.media.0.mime",
            vec![
                s(json!("image/png")),
                s(json!(null)),
                s(json!(["image/png"])),
                None,
            ],
        ),
        (
            "content.media.0.metadata",
            vec![
                s(json!({"AIGC": {"Label": "1", "ContentProducer": "p"}})),
                s(json!({"AIGC": "{\"Label\":\"1\"}"})),
                s(json!({"AIGC": "not json"})),
                s(json!({})),
                s(json!(null)),
                s(json!("text")),
                s(json!(1)),
                s(json!([])),
                None,
            ],
        ),
        (
            "synthesis",
            vec![
                s(json!({})),
                s(json!({})),
                s(json!({})),
                s(json!(null)),
                None,
            ],
        ),
        (
            "synthesis.technique",
            vec![
                s(json!("text_generation")),
                s(json!("face_swap")),
                s(json!("3d_reconstruction")),
                s(json!("magic")),
                s(json!(null)),
                None,
            ],
        ),
        (
            "synthesis.provider",
            vec![s(json!("p")), s(json!(null)), s(json!(2)), None],
        ),
        (
            "labels",
            vec![
                s(json!({})),
                s(json!({})),
                s(json!(null)),
                s(json!("AI生成")),
                None,
            ],
        ),
        (
            "labels.explicit",
            vec![
                s(json!({})),
                s(json!({})),
                s(json!(null)),
                s(json!(1)),
                None,
            ],
        ),
        (
            "labels.explicit.present",
            vec![s(json!(true)), s(json!(null)), s(json!("yes")), None],
        ),
        (
            "labels.explicit.text",
            vec![s(json!("AI生成")), s(json!(null)), s(json!(3)), None],
        ),
        (
            "labels.explicit.position",
            vec![
                s(json!("start")),
                s(json!("other")),
                s(json!(null)),
                s(json!("top")),
                None,
            ],
        ),
        (
            "labels.user_declared_ai",
            vec![s(json!(true)), s(json!(null)), s(json!("y")), None],
        ),
        (
            "subject",
            vec![
                s(json!({})),
                s(json!({})),
                s(json!(null)),
                s(json!(1)),
                None,
            ],
        ),
        (
            "subject.real_person",
            vec![
                s(json!(true)),
                s(json!(false)),
                s(json!(null)),
                s(json!("x")),
                None,
            ],
        ),
        (
            "subject.consent",
            vec![
                s(json!("obtained")),
                s(json!("unknown")),
                s(json!(null)),
                s(json!("maybe")),
                None,
            ],
        ),
        (
            "news",
            vec![
                s(json!({})),
                s(json!({})),
                s(json!(null)),
                s(json!("x")),
                None,
            ],
        ),
        (
            "news.is_news",
            vec![s(json!(true)), s(json!(null)), s(json!("x")), None],
        ),
        (
            "news.is_reprint",
            vec![s(json!(false)), s(json!(null)), s(json!(0)), None],
        ),
        (
            "news.source",
            vec![s(json!({})), s(json!(null)), s(json!(1)), None],
        ),
        (
            "news.source.name",
            vec![s(json!("新华网")), s(json!(null)), s(json!(1)), None],
        ),
        (
            "news.source.url",
            vec![
                s(json!("https://www.news.cn/a.html")),
                s(json!(null)),
                s(json!({})),
                None,
            ],
        ),
        (
            "x_extension",
            vec![s(json!({"anything": [1, "two"]})), None],
        ),
    ]
}

/// A choice of candidates: the first (valid) one for every field, except `(field, candidate)`
/// for each mutation (indices taken modulo the lengths).
fn mutated(mutations: &[(usize, usize)]) -> Vec<usize> {
    let n = candidates().len();
    let mut choice = vec![0; n];
    for &(f, c) in mutations {
        choice[f % n] = c;
    }
    choice
}

/// Builds the event for one choice of candidate per field (`choice[i]` indexes field `i`).
fn generated(choice: &[usize]) -> serde_json::Value {
    let mut ev = serde_json::json!({});
    for ((path, values), &c) in candidates().iter().zip(choice) {
        let keys: Vec<&str> = path.split('.').collect();
        let parent: String = keys[..keys.len() - 1]
            .iter()
            .map(|k| format!("/{k}"))
            .collect();
        let Some(node) = ev.pointer_mut(&parent) else {
            continue;
        };
        if !node.is_object() {
            continue;
        }
        let last = keys[keys.len() - 1];
        let map = node.as_object_mut().unwrap();
        match &values[c % values.len()] {
            Some(v) => {
                map.insert(last.to_string(), v.clone());
            }
            None => {
                map.remove(last);
            }
        }
    }
    ev
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

    /// Both directions over generated events: what the schema accepts the parser accepts, and
    /// what the schema refuses the parser dead-letters as `schema`.
    #[test]
    fn schema_and_parser_agree_on_generated_events(
        mutations in proptest::collection::vec((0usize..64, 0usize..64), 0..4)
    ) {
        let v = validator();
        let ev = generated(&mutated(&mutations));
        let schema_ok = v.is_valid(&ev);
        let parsed = parses(&ev);
        if schema_ok {
            proptest::prop_assert_eq!(parsed, Ok(()), "schema accepts, parser refuses: {}", ev);
        } else {
            let errors: Vec<String> = v.iter_errors(&ev).map(|e| e.to_string()).collect();
            proptest::prop_assert_eq!(
                parsed,
                Err(EventErrorKind::Schema),
                "schema refuses ({:?}), parser: {}",
                errors,
                ev
            );
        }
    }
}

#[test]
fn generated_events_cover_both_sides() {
    // The generator must produce valid and invalid events in useful shares, or the property
    // above proves little.
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
    let v = validator();
    let n = candidates().len();
    let (mut valid, mut total) = (0, 0);
    for _ in 0..2000 {
        let k = rng.gen_range(0..4);
        let m: Vec<(usize, usize)> = (0..k)
            .map(|_| (rng.gen_range(0..n), rng.gen_range(0..64)))
            .collect();
        valid += usize::from(v.is_valid(&generated(&mutated(&m))));
        total += 1;
    }
    assert!(
        valid * 5 >= total,
        "only {valid}/{total} generated events are valid"
    );
    assert!(
        valid * 10 <= total * 9,
        "{valid}/{total} generated events are valid"
    );
}

#[test]
fn issue_12_examples_agree() {
    use serde_json::json;
    let v = validator();
    let cases = [
        (json!({"content": {"media": null}}), true),
        (json!({"user": {"id": ""}}), false),
        (json!({"user": {"id": "  "}}), false),
        (json!({"occurred_at": "yesterday"}), false),
        (json!({"occurred_at": "2026-11-29T08:00:00+08:00"}), true),
        (json!({"content": {"media": [{"metadata": "text"}]}}), false),
        (json!({"content": {"media": [{"metadata": null}]}}), true),
    ];
    for (patch, valid) in cases {
        let mut ev = base();
        merge(&mut ev, &patch);
        assert_eq!(v.is_valid(&ev), valid, "schema on {patch}");
        let want = if valid {
            Ok(())
        } else {
            Err(EventErrorKind::Schema)
        };
        assert_eq!(parses(&ev), want, "parser on {patch}");
    }
}
