//! Prints what the known-rumour library makes of each line of standard input: the claim, its
//! score, the stance and cue, and the sentence. `cargo run --example rumour_probe < texts.txt`
//! (optionally a CSV path as the first argument; default `data/rumours/known-rumours.csv`).

use std::io::BufRead;

use synth_review::sources::rumours::RumourLibrary;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "data/rumours/known-rumours.csv".into());
    let bytes = std::fs::read(&path).expect("read the rumour CSV");
    let lib = RumourLibrary::parse(&path, &bytes, None).expect("parse the rumour CSV");
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("read a line");
        if line.trim().is_empty() {
            continue;
        }
        let found = lib.analyze(&line);
        if found.is_empty() {
            let scores = lib.scores(&line);
            let best = scores
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(i, s)| format!("{:.2} {}", s, lib.rumours()[i].claim))
                .unwrap_or_default();
            println!("-        {line}    [best {best}] key={}", lib.key(&line));
        }
        for m in found {
            println!(
                "{:<8} {line}    [{} {:.2} cue={:?}]",
                m.stance.as_str(),
                m.rumour.claim,
                m.score,
                m.cue
            );
        }
    }
}
