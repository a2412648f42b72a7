//! How the rumour check scales with the library (issue 14 item 2, a first measurement): the
//! shipped claims plus claims built from corpus sentences (clauses of 8–20 characters of the
//! People's Daily sample), 24 → 1,000 → 10,000 claims, against every line of the reviews sample
//! and of the rumour red-team texts. Prints the time per text and the red-team catches for each size.
//!
//! `cargo run --release --example rumour_scale` (figures in `docs/news-detection.md`)

use std::time::Instant;

use synth_review::sources::rumours::RumourLibrary;

fn main() {
    let root = env!("CARGO_MANIFEST_DIR");
    let shipped =
        std::fs::read_to_string(format!("{root}/data/rumours/known-rumours.csv")).unwrap();
    let pd = std::fs::read_to_string(format!(
        "{root}/data/corpus/peoples-daily-199801.sample.txt"
    ))
    .unwrap();
    let reviews =
        std::fs::read_to_string(format!("{root}/data/corpus/reviews.sample.txt")).unwrap();
    let redteam =
        std::fs::read_to_string(format!("{root}/tests/redteam/cases/rumours.jsonl")).unwrap();
    let paraphrases: Vec<String> = redteam
        .lines()
        .filter(|l| l.contains("\"kind\": \"paraphrase\""))
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect();
    // Corpus clauses as filler claims.
    let mut filler: Vec<String> = Vec::new();
    for line in pd.lines() {
        for clause in line.split(['，', '。', '；', '：', '！', '？']) {
            let n = clause.chars().count();
            if (8..=20).contains(&n) && !clause.contains(',') && !clause.contains('"') {
                filler.push(clause.to_string());
            }
        }
    }
    // Keep clauses whose key is long enough and new (the parser refuses repeats).
    let base = RumourLibrary::parse("known-rumours.csv", shipped.as_bytes(), None).unwrap();
    let mut seen: std::collections::HashSet<String> =
        base.rumours().iter().map(|r| base.key(&r.claim)).collect();
    filler.retain(|c| {
        let k = base.key(c);
        k.chars().count() >= 6 && seen.insert(k)
    });
    let texts: Vec<&str> = reviews.lines().filter(|l| !l.trim().is_empty()).collect();
    println!("| claims | µs per review line | paraphrases caught |");
    println!("|---:|---:|---:|");
    for size in [shipped.lines().count() - 1, 1_000, 10_000] {
        let mut csv = shipped.clone();
        let extra = size.saturating_sub(shipped.lines().count() - 1);
        for c in filler.iter().take(extra) {
            csv.push_str(&format!("{c},corpus filler,\n"));
        }
        let lib = RumourLibrary::parse("scale.csv", csv.as_bytes(), None).unwrap();
        let _ = lib.analyze("预热");
        let t = Instant::now();
        let mut found = 0;
        for _ in 0..3 {
            for text in &texts {
                found += lib.find(text).len();
            }
        }
        let per = t.elapsed().as_secs_f64() * 1e6 / (3 * texts.len()) as f64;
        let caught = paraphrases
            .iter()
            .filter(|p| !lib.find(p).is_empty())
            .count();
        println!(
            "| {} | {per:.1} | {caught}/{} |{}",
            lib.len(),
            paraphrases.len(),
            if found > 0 {
                format!(" ({found} review hits)")
            } else {
                String::new()
            }
        );
    }
}
