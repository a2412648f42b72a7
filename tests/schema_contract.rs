//! The JSON Schema (`schema/publish-event.v1.json`) and the Rust event model must accept the same
//! enum values and require the same fields; the demo events must parse.

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
