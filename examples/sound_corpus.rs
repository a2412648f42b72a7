//! Sound-alike hits of the default lexicon over the full corpora (`data/corpus/*.txt.xz`), one
//! event per line through the `prohibited` stage: every finding whose detail says
//! `sound-alike`, with the line. `docs/matching.md` §2.6 lists and explains them;
//! `tests/corpus_hits.rs` pins them.
//!
//! ```text
//! cargo run --release --example sound_corpus
//! ```

use std::path::Path;
use std::sync::Arc;

use synth_review::event::{parse_event, Limits};
use synth_review::stages::prohibited::Prohibited;
use synth_review::stages::{Stage, StageOutput};
use synth_review::text::lexicon::parse_lexicon;
use synth_review::text::matcher::Matcher;
use synth_review::text::normalize::Normalizer;
use synth_review::text::sound::SoundAlikes;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut entries = Vec::new();
    for f in [
        "drugs",
        "fraud",
        "gambling",
        "illegal_goods",
        "pornography",
        "weapons",
    ] {
        let p = root.join(format!("data/lexicon/{f}.csv"));
        entries
            .extend(parse_lexicon(&p.display().to_string(), &std::fs::read(&p).unwrap()).unwrap());
    }
    let sounds = SoundAlikes::new(&entries);
    println!("{} syllable sequences", sounds.len());
    let stage = Prohibited::new(
        Arc::new(Matcher::new(Normalizer::shared(), entries).unwrap()),
        Arc::new(sounds),
    );
    let limits = Limits::default();
    for name in ["peoples-daily-199801.txt.xz", "reviews.txt.xz"] {
        let xz = std::fs::read(root.join("data/corpus").join(name)).unwrap();
        let mut bytes = Vec::new();
        lzma_rs::xz_decompress(&mut &xz[..], &mut bytes).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let (mut lines, mut flagged) = (0, 0);
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            lines += 1;
            let ev = serde_json::json!({"event_id": "c", "user": {"id": "u", "identity_verified": true, "verification_method": "mobile"},
                "content": {"kind": "text", "text": line}, "synthesis": {"technique": "text_generation"}});
            let parsed = parse_event(&serde_json::to_vec(&ev).unwrap(), &limits).unwrap();
            let mut out = StageOutput::default();
            stage.review(&parsed.event, &mut out);
            let mut any = false;
            for f in &out.findings {
                if f.detail
                    .as_deref()
                    .is_some_and(|d| d.starts_with("sound-alike"))
                {
                    let e = f.evidence.as_ref().unwrap();
                    println!(
                        "{name}:{} {:?} {}..{} `{}` ~ {}: {}",
                        n + 1,
                        f.action,
                        e.start.unwrap(),
                        e.end.unwrap(),
                        e.matched.as_deref().unwrap(),
                        e.term.as_deref().unwrap(),
                        f.detail.as_deref().unwrap()
                    );
                    any = true;
                }
            }
            flagged += any as usize;
        }
        println!("{name}: {flagged} of {lines} lines with a sound-alike hit");
    }
}
