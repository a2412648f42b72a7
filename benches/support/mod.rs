//! Data for the matcher benchmark (`benches/matcher.rs`) and `examples/lexicon_memory.rs`:
//! the committed full People's Daily corpus and jieba word list (xz), and the lexicons built
//! from them. See docs/benchmarks.md.
#![allow(dead_code)] // each user takes what it needs

use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use synth_review::text::lexicon::parse_lexicon;
use synth_review::text::matcher::{LexiconEntry, TermAction};

/// The seed of the 50,000-term sample: fixed, so every run measures the same lexicon.
pub const SAMPLE_SEED: u64 = 4;

/// Size of the sampled jieba lexicon.
pub const SAMPLE_TERMS: usize = 50_000;

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A UTF-8 file, decompressed when it ends in `.xz`.
pub fn read_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let bytes = if path.extension().is_some_and(|e| e == "xz") {
        let mut out = Vec::new();
        lzma_rs::xz_decompress(&mut &bytes[..], &mut out).expect("valid xz");
        out
    } else {
        bytes
    };
    String::from_utf8(bytes).expect("UTF-8")
}

/// The full People's Daily, January 1998 (data/corpus/peoples-daily-199801.txt.xz).
pub fn peoples_daily() -> String {
    read_text(&root().join("data/corpus/peoples-daily-199801.txt.xz"))
}

/// jieba's dictionary words (data/lexicon-bench/jieba-words.txt.xz), in file order.
pub fn jieba_words() -> Vec<String> {
    read_text(&root().join("data/lexicon-bench/jieba-words.txt.xz"))
        .lines()
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(|w| {
            // A `+` right after a character marks it repeatable in our lexicon syntax; in
            // jieba it is literal (`c++`), and separators never match, so drop it.
            w.replace('+', " ")
        })
        .collect()
}

/// `words` as lexicon rows: `reject` and `hold` alternating (both overlap tiers run), skipping
/// words that fold to nothing (`&`).
pub fn entries(
    words: &[String],
    normalizer: &synth_review::text::normalize::Normalizer,
) -> Vec<LexiconEntry> {
    words
        .iter()
        .filter(|w| !normalizer.fold_term(w).is_empty())
        .enumerate()
        .map(|(i, w)| LexiconEntry {
            term: w.clone(),
            category: "bench".to_string(),
            action: if i % 2 == 0 {
                TermAction::Reject
            } else {
                TermAction::Hold
            },
            source: format!("jieba-words.txt:{}", i + 1),
        })
        .collect()
}

/// [`SAMPLE_TERMS`] words of the jieba list, sampled without replacement with
/// [`SAMPLE_SEED`] (ChaCha8).
pub fn jieba_sample(words: &[String]) -> Vec<String> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(SAMPLE_SEED);
    words
        .choose_multiple(&mut rng, SAMPLE_TERMS)
        .cloned()
        .collect()
}

/// The six default lexicon files (data/lexicon/*.csv).
pub fn default_entries() -> Vec<LexiconEntry> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("data/lexicon"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| parse_lexicon(&f.display().to_string(), &std::fs::read(f).unwrap()).unwrap())
        .collect()
}

/// The terms of `entries` as plain strings, in order (every action, allow phrases included).
pub fn terms(entries: &[LexiconEntry]) -> Vec<String> {
    entries.iter().map(|e| e.term.clone()).collect()
}

/// The reject and hold terms of `entries` (no allow phrases), in order.
pub fn flagging_terms(entries: &[LexiconEntry]) -> Vec<String> {
    entries
        .iter()
        .filter(|e| e.action != TermAction::Allow)
        .map(|e| e.term.clone())
        .collect()
}

/// A criterion measurement of the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`)
/// instead of wall-clock time. On a shared machine, wall-clock time also counts the time the
/// thread waits for a core; CPU time does not, so throughput per CPU-second is "MB/s per core"
/// even when other processes compete for the cores (caches and memory are still shared).
pub struct CpuTime;

fn thread_cpu_time() -> std::time::Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec; the clock id is a constant Linux supports.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    std::time::Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

impl criterion::measurement::Measurement for CpuTime {
    type Intermediate = std::time::Duration;
    type Value = std::time::Duration;

    fn start(&self) -> Self::Intermediate {
        thread_cpu_time()
    }
    fn end(&self, start: Self::Intermediate) -> Self::Value {
        thread_cpu_time().saturating_sub(start)
    }
    fn add(&self, a: &Self::Value, b: &Self::Value) -> Self::Value {
        *a + *b
    }
    fn zero(&self) -> Self::Value {
        std::time::Duration::ZERO
    }
    fn to_f64(&self, value: &Self::Value) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn criterion::measurement::ValueFormatter {
        // Values are nanoseconds, like wall time: reuse criterion's formatter.
        static WALL: criterion::measurement::WallTime = criterion::measurement::WallTime;
        criterion::measurement::Measurement::formatter(&WALL)
    }
}
