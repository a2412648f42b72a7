//! Corpus measurement for the `news_source` stage's news-like detection, attribution and rumour
//! matching (results in `docs/news-detection.md`).
//!
//! `samples` runs in the normal test suite on the committed samples only. `full_corpus` is the
//! one-off measurement of the full corpora, which are not in the repository; it is ignored unless
//! asked for:
//!
//! ```text
//! SYNTH_REVIEW_CORPUS_DIR=/work/shared/data/corpus \
//!   cargo test --test news_detection_corpus -- --ignored --nocapture
//! ```
//!
//! It reads `peoples-daily-199801.txt` and `reviews.txt` from that folder and prints, per file, the
//! share of non-empty lines detected as news-like, the cue kinds, the attributed units, rumour
//! matches, and example lines of each kind (detected reviews, undetected People's Daily lines).
//! With `DUMP_DIR=folder` it also writes `<file>.tsv` there: every non-empty line with its first
//! cue kind, the cue text and the attributed units, for reading the errors by hand.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use synth_review::sources::news_units::NewsSources;
use synth_review::sources::rumours::RumourLibrary;
use synth_review::stages::news_source::NewsSource;

fn stage() -> NewsSource {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let read = |p: &str| std::fs::read(root.join(p)).unwrap();
    let mut sources =
        NewsSources::parse("units.csv", &read("news-sources/cac-news-source-units.csv")).unwrap();
    sources
        .add_aliases("aliases.csv", &read("news-sources/aliases.csv"))
        .unwrap();
    let rumours = RumourLibrary::parse(
        "known-rumours.csv",
        &read("rumours/known-rumours.csv"),
        None,
    )
    .unwrap();
    NewsSource::new(Arc::new(sources), Arc::new(rumours)).unwrap()
}

/// Measured numbers for one corpus.
struct Measure {
    lines: usize,
    detected: usize,
    by_kind: BTreeMap<&'static str, usize>,
    attributed_lines: usize,
    by_unit: BTreeMap<String, usize>,
    rumour_lines: Vec<String>,
    /// Highest rumour score of any line (ignoring the threshold), the line and the claim.
    top_rumour_score: (f64, String, String),
    detected_examples: Vec<String>,
    undetected_examples: Vec<String>,
}

fn measure(stage: &NewsSource, text: &str, examples: usize) -> Measure {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut m = Measure {
        lines: lines.len(),
        detected: 0,
        by_kind: BTreeMap::new(),
        attributed_lines: 0,
        by_unit: BTreeMap::new(),
        rumour_lines: Vec::new(),
        top_rumour_score: (0.0, String::new(), String::new()),
        detected_examples: Vec::new(),
        undetected_examples: Vec::new(),
    };
    let rumours = stage_rumours();
    let mut undetected = Vec::new();
    for line in &lines {
        let cue = stage.detector().find(line);
        let attributions = stage.attributions(line);
        if !attributions.is_empty() {
            m.attributed_lines += 1;
            for a in &attributions {
                *m.by_unit.entry(a.unit.clone()).or_default() += 1;
            }
        }
        match &cue {
            Some(c) => {
                m.detected += 1;
                *m.by_kind.entry(c.kind.as_str()).or_default() += 1;
                if m.detected_examples.len() < examples {
                    m.detected_examples.push(format!(
                        "[{}] `{}` ← {}",
                        c.kind.as_str(),
                        c.matched,
                        clip(line)
                    ));
                }
            }
            None if attributions.is_empty() => undetected.push(*line),
            None => m.detected += 1,
        }
        if !rumours.find(line).is_empty() {
            m.rumour_lines.push(clip(line));
        }
        for (i, score) in rumours.scores(line).into_iter().enumerate() {
            if score > m.top_rumour_score.0 {
                let claim = rumours.rumours()[i].claim.clone();
                m.top_rumour_score = (score, clip(line), claim);
            }
        }
    }
    // Evenly spaced undetected examples.
    let n = undetected.len();
    for i in 0..examples.min(n) {
        m.undetected_examples
            .push(clip(undetected[i * n / examples.min(n)]));
    }
    m
}

fn stage_rumours() -> RumourLibrary {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/rumours/known-rumours.csv");
    RumourLibrary::parse("known-rumours.csv", &std::fs::read(p).unwrap(), None).unwrap()
}

fn clip(line: &str) -> String {
    let c: String = line.chars().take(70).collect();
    if line.chars().count() > 70 {
        format!("{c}…")
    } else {
        c
    }
}

fn report(name: &str, m: &Measure) -> String {
    let mut s = String::new();
    let pct = |a: usize| 100.0 * a as f64 / m.lines.max(1) as f64;
    writeln!(
        s,
        "## {name}\nnon-empty lines: {}\nnews-like: {} ({:.2}%)\nlines with an attribution to a listed unit: {} ({:.2}%)\nlines matching a known rumour: {}",
        m.lines,
        m.detected,
        pct(m.detected),
        m.attributed_lines,
        pct(m.attributed_lines),
        m.rumour_lines.len()
    )
    .unwrap();
    writeln!(s, "first cue by kind: {:?}", m.by_kind).unwrap();
    let mut units: Vec<_> = m.by_unit.iter().collect();
    units.sort_by(|a, b| b.1.cmp(a.1));
    writeln!(s, "attributed units: {:?}", &units[..units.len().min(15)]).unwrap();
    writeln!(s, "rumour lines: {:?}", m.rumour_lines).unwrap();
    writeln!(
        s,
        "highest rumour score of any line: {:.2} (claim 「{}」) in: {}",
        m.top_rumour_score.0, m.top_rumour_score.2, m.top_rumour_score.1
    )
    .unwrap();
    writeln!(s, "detected examples:").unwrap();
    for e in &m.detected_examples {
        writeln!(s, "  {e}").unwrap();
    }
    writeln!(s, "undetected examples:").unwrap();
    for e in &m.undetected_examples {
        writeln!(s, "  {e}").unwrap();
    }
    s
}

#[test]
fn samples() {
    let stage = stage();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/corpus");
    let pd = std::fs::read_to_string(root.join("peoples-daily-199801.sample.txt")).unwrap();
    let rv = std::fs::read_to_string(root.join("reviews.sample.txt")).unwrap();
    let pdm = measure(&stage, &pd, 10);
    let rvm = measure(&stage, &rv, 10);
    println!("{}", report("peoples-daily-199801.sample.txt", &pdm));
    println!("{}", report("reviews.sample.txt", &rvm));
    assert_eq!(pdm.lines, 4000);
    assert!(
        pdm.detected * 10 >= pdm.lines,
        "People's Daily: {}",
        pdm.detected
    );
    assert!(
        rvm.detected * 1000 <= rvm.lines,
        "reviews: {}",
        rvm.detected
    );
    assert!(pdm.rumour_lines.is_empty() && rvm.rumour_lines.is_empty());
}

#[test]
#[ignore = "needs SYNTH_REVIEW_CORPUS_DIR with the full corpora (one-off measurement)"]
fn full_corpus() {
    let dir = std::env::var("SYNTH_REVIEW_CORPUS_DIR")
        .expect("set SYNTH_REVIEW_CORPUS_DIR to the folder holding the full corpora");
    let stage = stage();
    let examples: usize = std::env::var("EXAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    for file in ["peoples-daily-199801.txt", "reviews.txt"] {
        let text = std::fs::read_to_string(Path::new(&dir).join(file)).unwrap();
        let start = std::time::Instant::now();
        let m = measure(&stage, &text, examples);
        println!("{}", report(file, &m));
        println!("({} bytes in {:.2?})\n", text.len(), start.elapsed());
        if let Ok(out) = std::env::var("DUMP_DIR") {
            // Every line with its first cue (or `-`), for reading the errors by hand.
            let mut dump = String::new();
            for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                let cue = stage.detector().find(line);
                let att = stage.attributions(line);
                let kind = cue.as_ref().map_or("-", |c| c.kind.as_str());
                let matched = cue.as_ref().map_or("", |c| c.matched.as_str());
                let units: Vec<_> = att.iter().map(|a| a.unit.as_str()).collect();
                writeln!(dump, "{kind}\t{matched}\t{}\t{line}", units.join(";")).unwrap();
            }
            std::fs::write(Path::new(&out).join(format!("{file}.tsv")), dump).unwrap();
        }
    }
}
