//! Input events: the real corpus, a seeded generator with a mix of violations, the unreadable
//! ("poison") messages, and the ways evaders write a term.

use std::collections::HashMap;
use std::path::Path;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::files::repo;

/// One generated input message and what must become of it.
#[derive(Clone, Debug)]
pub struct Generated {
    pub key: String,
    pub payload: Vec<u8>,
    /// `approve`, `hold`, `reject` or `dead_letter:<reason>`.
    pub expected: String,
}

/// Corpus paragraphs on which the pipeline's engine finds nothing, so that a seeded violation
/// alone decides an event. Asserts that most real paragraphs pass (the lexicon is not broken).
pub fn clean_paragraphs(pipeline: &Path) -> Vec<String> {
    use synth_review::decision::Decision;
    use synth_review::event::{parse_event, Limits};
    let engine = synth_review::engine::load_pipeline(pipeline, &synth_review::config::Disk)
        .expect("pipeline")
        .engine;
    let all = corpus();
    let total = all.len();
    let clean: Vec<String> = all
        .into_iter()
        .filter(|p| {
            let json = serde_json::json!({"event_id": "probe", "user": {"id": "u", "identity_verified": true},
                "content": {"kind": "text", "text": p}, "synthesis": {"technique": "text_generation"}});
            let ev = parse_event(json.to_string().as_bytes(), &Limits::default()).unwrap().event;
            engine.review(&ev).unwrap().decision == Decision::Approve
        })
        .collect();
    assert!(
        clean.len() * 10 >= total * 9,
        "most real paragraphs must pass: {} of {total}",
        clean.len()
    );
    clean
}

/// Real text paragraphs from the committed corpus sample (People's Daily 1998 and product reviews).
pub fn corpus() -> Vec<String> {
    let mut out = Vec::new();
    for f in ["peoples-daily-199801.sample.txt", "reviews.sample.txt"] {
        let text =
            std::fs::read_to_string(repo().join("data/corpus").join(f)).expect("corpus sample");
        out.extend(
            text.lines()
                .filter(|l| l.chars().count() >= 20)
                .map(str::to_string),
        );
    }
    out
}

/// Lexicon terms by action (`reject` / `hold`), read from the shipped CSVs.
pub fn lexicon_terms() -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for entry in std::fs::read_dir(repo().join("data/lexicon")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("csv") {
            continue;
        }
        let mut r = csv::Reader::from_path(&path).unwrap();
        for rec in r.records() {
            let rec = rec.unwrap();
            out.entry(rec[2].to_string())
                .or_default()
                .push(rec[0].to_string());
        }
    }
    out
}

/// Writes a term the way evaders do: separators, zero-width characters, emoji or full width.
pub fn evade(term: &str, rng: &mut ChaCha8Rng) -> String {
    let seps = ["*", " ", ".", "\u{200B}", "😀", "·", "\u{FEFF}", "-"];
    match rng.gen_range(0..4) {
        0 => term.to_string(),
        1 => {
            let sep = seps.choose(rng).unwrap();
            let chars: Vec<String> = term.chars().map(String::from).collect();
            chars.join(sep)
        }
        2 => term
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap()
                } else {
                    c
                }
            })
            .collect(),
        _ => term.chars().map(|c| c.to_ascii_uppercase()).collect(),
    }
}

/// A text event `id` with `text` as its body, `user.identity_verified = verified`, and an optional
/// `news` object.
pub fn event_json(
    id: &str,
    verified: bool,
    text: &str,
    news: Option<serde_json::Value>,
) -> Vec<u8> {
    let mut v = serde_json::json!({
        "event_id": id,
        "occurred_at": "2026-11-29T08:00:00Z",
        "platform": "e2e",
        "user": {"id": format!("u-{id}"), "identity_verified": verified, "verification_method": "mobile"},
        "content": {"kind": "text", "title": "", "text": text},
        "synthesis": {"technique": "text_generation", "provider": "p", "model": "m"},
        "x_passthrough": {"kept": true}
    });
    if let Some(n) = news {
        v["news"] = n;
    }
    serde_json::to_vec(&v).unwrap()
}

/// The unreadable messages, one per dead-letter kind: `(payload, reason)`.
pub fn poison(i: usize) -> Vec<(Vec<u8>, &'static str)> {
    let big_text = "字".repeat(262_145);
    vec![
        (format!("{{\"event_id\": \"bad-{i}\", \"user\": ").into_bytes(), "malformed_json"),
        (b"[1, 2, 3]".to_vec(), "schema"),
        (format!(r#"{{"event_id":"bad-{i}","user":{{"id":"u","identity_verified":"yes"}},"content":{{"kind":"text"}},"synthesis":{{"technique":"tts"}}}}"#).into_bytes(), "schema"),
        (format!(r#"{{"event_id":"bad-{i}","user":{{"id":"u","identity_verified":true}},"content":{{"kind":"text"}},"synthesis":{{"technique":"mind_control"}}}}"#).into_bytes(), "schema"),
        (format!(r#"{{"event_id":"bad-{i}","user":{{"id":"u","identity_verified":true}}}}"#).into_bytes(), "schema"),
        (b"{\"event_id\": \"\xff\xfe\"}".to_vec(), "invalid_utf8"),
        (Vec::new(), "malformed_json"),
        (format!(r#"{{"event_id":"bad-{i}","user":{{"id":"u","identity_verified":true}},"content":{{"kind":"text","text":"{big_text}"}},"synthesis":{{"technique":"tts"}}}}"#).into_bytes(), "too_large"),
        ([b"{\"event_id\":\"".as_slice(), &vec![b'x'; 1_100_000], b"\"}"].concat(), "too_large"),
    ]
}

/// Generates `n` events over the clean corpus paragraphs with a seeded mix of violations, plus
/// `poison_rounds` rounds of every unreadable kind, shuffled. `clean` must only hold paragraphs
/// on which the engine finds nothing.
pub fn generate(n: usize, poison_rounds: usize, clean: &[String], seed: u64) -> Vec<Generated> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let terms = lexicon_terms();
    let reject_terms = &terms["reject"];
    let hold_terms = &terms["hold"];
    let mut out = Vec::with_capacity(n + poison_rounds * 9);
    for i in 0..n {
        let id = format!("ev-{seed}-{i:06}");
        let para = clean.choose(&mut rng).unwrap();
        let roll = rng.gen_range(0..100);
        let (payload, expected) = match roll {
            0..=59 => (event_json(&id, true, para, None), "approve"),
            60..=67 => (event_json(&id, false, para, None), "reject"),
            68..=77 => {
                let t = evade(reject_terms.choose(&mut rng).unwrap(), &mut rng);
                (
                    event_json(&id, true, &format!("{t}。{para}"), None),
                    "reject",
                )
            }
            78..=87 => {
                let t = evade(hold_terms.choose(&mut rng).unwrap(), &mut rng);
                (event_json(&id, true, &format!("{para}\n{t}"), None), "hold")
            }
            88..=92 => {
                let n = serde_json::json!({"is_news": true, "is_reprint": true, "source": {"name": "新华网", "url": "https://www.news.cn/politics/2026-11/29/c_1.htm"}});
                (event_json(&id, true, para, Some(n)), "approve")
            }
            93..=95 => (
                event_json(
                    &id,
                    true,
                    para,
                    Some(serde_json::json!({"is_reprint": true})),
                ),
                "reject",
            ),
            _ => {
                let n = serde_json::json!({"is_reprint": true, "source": {"name": "新华网", "url": "https://news.cn.example.org/a"}});
                (event_json(&id, true, para, Some(n)), "reject")
            }
        };
        out.push(Generated {
            key: id,
            payload,
            expected: expected.to_string(),
        });
    }
    for r in 0..poison_rounds {
        for (j, (payload, reason)) in poison(r).into_iter().enumerate() {
            out.push(Generated {
                key: format!("bad-{seed}-{r}-{j}"),
                payload,
                expected: format!("dead_letter:{reason}"),
            });
        }
    }
    out.shuffle(&mut rng);
    out
}

/// Merges `patch` into `base`: objects merge key by key, anything else (`null` too) replaces,
/// so a patch can set a field to `null`. (The red-team runner's merge patch, RFC 7396, removes
/// a key on `null` instead.)
pub fn merge(base: &mut serde_json::Value, patch: &serde_json::Value) {
    match (base, patch) {
        (serde_json::Value::Object(b), serde_json::Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k.clone()).or_insert(serde_json::Value::Null), v);
            }
        }
        (b, p) => *b = p.clone(),
    }
}
