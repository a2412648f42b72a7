//! Build time and resident memory of the matcher for all of jieba's 349k words (issue 4,
//! item 6; docs/benchmarks.md).
//!
//! ```text
//! cargo run --release --example lexicon_memory [-- N]
//! ```
//! Reads `VmRSS` (resident now) and `VmHWM` (peak resident) from `/proc/self/status` (Linux)
//! before and after building the matcher, with the word list already in memory. `N` limits the
//! lexicon to the first N words.

#[path = "../benches/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Instant;

use synth_review::text::matcher::Matcher;
use synth_review::text::normalize::Normalizer;

/// `(VmRSS, VmHWM)` in KiB.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn main() {
    let limit: Option<usize> = std::env::args().nth(1).map(|n| n.parse().expect("N"));
    let (rss0, _) = memory();
    let t = Instant::now();
    let normalizer = Arc::new(Normalizer::new());
    let normalizer_time = t.elapsed();
    let (rss1, _) = memory();
    let mut words = support::jieba_words();
    if let Some(n) = limit {
        words.truncate(n);
    }
    let entries = support::entries(&words, &normalizer);
    let rows = entries.len();
    drop(words);
    let (rss2, hwm2) = memory();
    let t = Instant::now();
    let matcher = Matcher::new(normalizer.clone(), entries).unwrap();
    let build = t.elapsed();
    let (rss3, hwm3) = memory();
    // The matcher is usable: one paragraph of real text.
    let corpus = support::peoples_daily();
    let line = corpus.lines().nth(1).unwrap();
    let hits = matcher.find(line).len();
    println!("lexicon rows:                {rows}");
    println!("distinct blocking terms:     {}", matcher.len());
    println!(
        "Normalizer::new:             {:.0} ms, +{:.1} MiB resident",
        normalizer_time.as_secs_f64() * 1e3,
        mib(rss1 - rss0)
    );
    println!(
        "Matcher::new:                {:.0} ms",
        build.as_secs_f64() * 1e3
    );
    println!(
        "resident before build:       {:.1} MiB (peak {:.1} MiB; rows loaded)",
        mib(rss2),
        mib(hwm2)
    );
    println!(
        "resident after build:        {:.1} MiB (rows consumed by the build)",
        mib(rss3)
    );
    println!("peak resident (VmHWM):       {:.1} MiB", mib(hwm3));
    println!(
        "matcher resident (after - before, rows freed): {:.1} MiB",
        mib(rss3) - mib(rss2)
    );
    println!("hits in one paragraph:       {hits}");
    println!("{matcher:?}");
}
