//! The red-team suites: cases an evader or an innocent writer would produce, run offline through
//! the default pipeline (`pipelines/default.toml`), with the caught / wrongly-flagged figures per
//! kind printed as a table and written to `target/redteam-report.md`.
//!
//! # Case files
//! Every `tests/redteam/cases/*.jsonl` file is one suite. A line is a comment (`#…`), blank, a
//! suite header `{"suite": {"min_pass": 0.97}}` (the share of cases that must pass, default 1.0,
//! so every case must pass unless the file says otherwise), or a case:
//!
//! ```json
//! {"id": "label-neg-01", "kind": "label_denial", "expect": "reject", "reason": "label_tampered",
//!  "patch": {"labels": {"explicit": {"text": "本内容不是由AI生成的"}}}}
//! ```
//!
//! - `patch` is a JSON merge patch (RFC 7396: objects merge, `null` removes a key, anything else
//!   replaces) applied to the base event below, a clean text event that the default pipeline
//!   approves; `text` and `title` are shortcuts for `content.text` / `content.title`; `event`
//!   replaces the base event entirely and `raw` is sent as the message bytes unchanged.
//! - `expect`: `approve`, `hold`, `reject`, `flagged` (hold or reject), `not_reject` (approve or
//!   hold), or `dead_letter` (the parser refuses the event; `reason` is then the dead-letter kind).
//! - `reason`: a reason code that must be among the reasons; `absent`: a code that must not be.
//! - `kind`: the row of the report the case counts in.
//!
//! Every case that is not a dead letter must also give a decision record (the `review` line, the
//! Kafka value) that is one line of valid JSON without control characters or U+2028/U+2029 and
//! whose `event` equals the case's event as a JSON value; a case whose record breaks this fails
//! whatever `expect` says.
//!
//! A case that fails is printed with its decision and reasons; the suite fails when its pass share
//! is below `min_pass`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use synth_review::config::Disk;
use synth_review::engine::{load_pipeline, Engine};
use synth_review::event::parse_event;

/// The base event every `patch` applies to: approved by the default pipeline.
fn base_event() -> Value {
    json!({
        "event_id": "redteam-0",
        "occurred_at": "2026-11-29T08:00:00Z",
        "platform": "redteam",
        "user": {"id": "u-redteam", "identity_verified": true, "verification_method": "mobile"},
        "content": {"kind": "text", "title": "读后感", "text": "看完这本书，觉得很不错，推荐给朋友。"},
        "synthesis": {"technique": "text_generation", "provider": "redteam", "model": "m-1"},
        "labels": {"explicit": {"present": true, "text": "AI生成", "position": "start"},
                   "user_declared_ai": true}
    })
}

/// RFC 7396 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Default::default());
            }
            let t = target.as_object_mut().expect("object");
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// What one case produced.
struct Outcome {
    /// `approve`, `hold`, `reject` or `dead_letter`.
    verdict: String,
    /// Reason codes (or the dead-letter kind).
    codes: Vec<String>,
    /// A one-line summary for failures.
    summary: String,
    /// The decision record is one line of valid JSON embedding the event (always true for dead letters).
    record_ok: bool,
}

fn run_case(engine: &Engine, case: &Value) -> Result<Outcome, String> {
    let bytes: Vec<u8> = if let Some(raw) = case.get("raw") {
        raw.as_str()
            .ok_or("`raw` must be a string")?
            .as_bytes()
            .to_vec()
    } else {
        let mut event = case.get("event").cloned().unwrap_or_else(base_event);
        if let Some(p) = case.get("patch") {
            merge_patch(&mut event, p);
        }
        for (key, field) in [("text", "text"), ("title", "title")] {
            if let Some(v) = case.get(key) {
                merge_patch(&mut event, &json!({"content": {field: v}}));
            }
        }
        serde_json::to_vec(&event).map_err(|e| e.to_string())?
    };
    match parse_event(&bytes, engine.limits()) {
        Err(e) => Ok(Outcome {
            verdict: "dead_letter".into(),
            codes: vec![e.kind.as_str().to_string()],
            summary: format!("dead_letter {}: {}", e.kind.as_str(), e.message),
            record_ok: true,
        }),
        Ok(parsed) => {
            let review = engine
                .review(&parsed.event)
                .map_err(|e| format!("review failed: {e}"))?;
            let codes: Vec<String> = review
                .reasons
                .iter()
                .map(|r| r.code.as_str().to_string())
                .collect();
            let mut summary = review.decision.as_str().to_string();
            for r in &review.reasons {
                let _ = write!(
                    summary,
                    " [{}:{}",
                    r.code.as_str(),
                    format!("{:?}", r.action).to_lowercase()
                );
                if let Some(ev) = &r.evidence {
                    let _ = write!(summary, " {}", ev.field);
                    if let Some(m) = &ev.matched {
                        let _ = write!(summary, " {m:?}");
                    }
                }
                if let Some(d) = &r.detail {
                    let _ = write!(summary, " ({d})");
                }
                summary.push(']');
            }
            let line = serde_json::to_string(&engine.record(
                &parsed.event.event_id,
                &review,
                &parsed.raw,
                "2026-11-29T08:00:00Z",
            ))
            .map_err(|e| e.to_string())?;
            let one_line = !line
                .chars()
                .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}');
            let sent: Option<Value> = serde_json::from_slice(&bytes).ok();
            let embedded = serde_json::from_str::<Value>(&line)
                .ok()
                .map(|r| r["event"].clone());
            let record_ok = one_line && sent.is_some() && sent == embedded;
            if !record_ok {
                let _ = write!(summary, " [record not one clean JSON line: {line:?}]");
            }
            Ok(Outcome {
                verdict: review.decision.as_str().to_string(),
                codes,
                summary,
                record_ok,
            })
        }
    }
}

fn passes(case: &Value, out: &Outcome) -> Result<bool, String> {
    let expect = case
        .get("expect")
        .and_then(Value::as_str)
        .ok_or("missing `expect`")?;
    let verdict_ok = match expect {
        "approve" | "hold" | "reject" | "dead_letter" => out.verdict == expect,
        "flagged" => out.verdict == "hold" || out.verdict == "reject",
        "not_reject" => out.verdict == "approve" || out.verdict == "hold",
        other => return Err(format!("unknown expect `{other}`")),
    };
    let reason_ok = match case.get("reason").and_then(Value::as_str) {
        Some(code) => out.codes.iter().any(|c| c == code),
        None => true,
    };
    let absent_ok = match case.get("absent").and_then(Value::as_str) {
        Some(code) => !out.codes.iter().any(|c| c == code),
        None => true,
    };
    Ok(verdict_ok && reason_ok && absent_ok && out.record_ok)
}

/// Per report row: cases, passed, and what the engine decided.
#[derive(Default)]
struct Row {
    cases: usize,
    passed: usize,
    verdicts: BTreeMap<String, usize>,
}

fn case_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/redteam/cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files
}

#[test]
fn redteam_suites() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let loaded = load_pipeline(&root.join("pipelines/default.toml"), &Disk)
        .unwrap_or_else(|e| panic!("default pipeline: {e}"));
    let engine = loaded.engine;
    let mut report = String::from(
        "| suite | kind | cases | passed | approve | hold | reject | dead_letter |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut failures = Vec::new();
    // Case ids name a case in reports and reviews: each is used once across all suites.
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let files = case_files();
    assert!(!files.is_empty(), "no case files in tests/redteam/cases");
    for file in files {
        let suite = file.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        let mut min_pass = 1.0f64;
        let mut rows: BTreeMap<String, Row> = BTreeMap::new();
        let mut failed_cases = Vec::new();
        let (mut total, mut passed_total) = (0usize, 0usize);
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = format!("{}:{}", file.display(), i + 1);
            let case: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{at}: bad case: {e}"));
            if let Some(s) = case.get("suite") {
                if let Some(m) = s.get("min_pass").and_then(Value::as_f64) {
                    min_pass = m;
                }
                continue;
            }
            if let Some(id) = case.get("id").and_then(Value::as_str) {
                if let Some(first) = ids.insert(id.to_string(), at.clone()) {
                    panic!("{at}: case id `{id}` is used already at {first}");
                }
            }
            let out = run_case(&engine, &case).unwrap_or_else(|e| panic!("{at}: {e}"));
            let ok = passes(&case, &out).unwrap_or_else(|e| panic!("{at}: {e}"));
            let kind = case
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("-")
                .to_string();
            let row = rows.entry(kind).or_default();
            row.cases += 1;
            total += 1;
            *row.verdicts.entry(out.verdict.clone()).or_default() += 1;
            if ok {
                row.passed += 1;
                passed_total += 1;
            } else {
                let id = case.get("id").and_then(Value::as_str).unwrap_or("?");
                failed_cases.push(format!(
                    "  {at} {id}: expected {} {}{} got {}",
                    case["expect"].as_str().unwrap_or("?"),
                    case.get("reason").and_then(Value::as_str).unwrap_or(""),
                    case.get("absent")
                        .and_then(Value::as_str)
                        .map(|a| format!(" without {a}"))
                        .unwrap_or_default(),
                    out.summary
                ));
            }
        }
        for (kind, row) in &rows {
            let v = |k: &str| row.verdicts.get(k).copied().unwrap_or(0);
            let _ = writeln!(
                report,
                "| {suite} | {kind} | {} | {} | {} | {} | {} | {} |",
                row.cases,
                row.passed,
                v("approve"),
                v("hold"),
                v("reject"),
                v("dead_letter")
            );
        }
        let share = if total == 0 {
            1.0
        } else {
            passed_total as f64 / total as f64
        };
        if !failed_cases.is_empty() {
            eprintln!("{suite}: {} of {total} cases failed:", failed_cases.len());
            for f in &failed_cases {
                eprintln!("{f}");
            }
        }
        if share + 1e-9 < min_pass {
            failures.push(format!(
                "{suite}: {passed_total}/{total} passed ({:.1} %), below min_pass {:.1} %",
                share * 100.0,
                min_pass * 100.0
            ));
        }
    }
    println!("{report}");
    let out = root.join("target/redteam-report.md");
    let _ = std::fs::create_dir_all(out.parent().unwrap());
    let _ = std::fs::write(&out, &report);
    assert!(
        failures.is_empty(),
        "red-team suites below target:\n{}",
        failures.join("\n")
    );
}
