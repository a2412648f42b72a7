//! Criterion benchmark of the feature-library matcher alone (issue 4, item 6). Results and the
//! exact commands: docs/benchmarks.md.
//!
//! - `find/*`: `Matcher::find` over every line of the full People's Daily (January 1998, 5.5 MB,
//!   19,484 paragraphs), each line one call as the worker reviews one event's field. Throughput
//!   is in bytes of original UTF-8 text. All normalization is on (NFKC, case, t2s, separators,
//!   clause and boundary rules, overlap resolution, evidence slices).
//!   - `jieba-50k`: 50,000 terms sampled from jieba's word list with a fixed seed;
//!   - `default`: the default lexicon, data/lexicon/*.csv (285 terms, 42 allow phrases);
//!   - `jieba-50k+context`, `default+context`: the same plus the context rules of the
//!     `prohibited` stage (`text::context::FieldContext::judge` on every hit: word boundary, cues);
//!   - `fold-only`: `Normalizer::fold_text` alone, for reference.
//!   - `raw-aho-{nfa,cnfa,dfa}/{jieba-50k,default}`: the `aho-corasick` crate alone, for the peer
//!     comparison of issue 11 (docs/benchmarks.md, Run 6): the same terms as plain strings (the
//!     sample words; every term of the default lexicon, allow phrases included, as our automaton
//!     holds them) searched in each original line, no folding, `MatchKind::LeftmostLongest`,
//!     `find_iter` counting matches; `nfa` = `NoncontiguousNFA`, `cnfa` = `ContiguousNFA`,
//!     `dfa` = `DFA`. The automata are built before the timed part.
//! - `find-cpu/*`: the same, timed by the thread's CPU time instead of wall-clock time
//!   (`support::CpuTime`): throughput per core, not counting the time the thread waits for a
//!   core on a shared machine.
//! - `build/*`: `Matcher::new` for the sampled 50k terms and for all of jieba's 349k words.
//!
//! ```text
//! cargo bench --bench matcher
//! cargo bench --bench matcher -- find-cpu/jieba-50k     # one benchmark
//! ```

#[path = "support/mod.rs"]
mod support;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use criterion::measurement::Measurement;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use synth_review::text::context::{FieldContext, Verdict};
use synth_review::text::matcher::Matcher;
use synth_review::text::normalize::Normalizer;

fn find<M: Measurement>(c: &mut Criterion<M>, group_name: &str) {
    let normalizer = Arc::new(Normalizer::new());
    let corpus = support::peoples_daily();
    let lines: Vec<&str> = corpus.lines().collect();
    let bytes: usize = lines.iter().map(|l| l.len()).sum();
    let words = support::jieba_words();
    let sample_words = support::jieba_sample(&words);
    let sample = support::entries(&sample_words, &normalizer);
    let jieba = Matcher::new(normalizer.clone(), sample).unwrap();
    let default_entries = support::default_entries();
    let default_terms = support::terms(&default_entries);
    let default = Matcher::new(normalizer.clone(), default_entries).unwrap();

    let mut group = c.benchmark_group(group_name);
    group
        .throughput(Throughput::BytesDecimal(bytes as u64))
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(10));
    for (name, matcher) in [("jieba-50k", &jieba), ("default", &default)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut hits = 0;
                for line in &lines {
                    hits += black_box(matcher.find(black_box(line))).len();
                }
                hits
            })
        });
    }
    // With the context rules of the `prohibited` stage on (issue 11): every hit judged by
    // `text::context::FieldContext` (word boundary, cues) as the stage does, one per line; a line without hits pays
    // nothing more.
    synth_review::text::words::warm_up();
    for (name, matcher) in [("jieba-50k+context", &jieba), ("default+context", &default)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut kept = 0;
                for line in &lines {
                    let hits = matcher.find(black_box(line));
                    if hits.is_empty() {
                        continue;
                    }
                    let chars: Vec<char> = line.chars().collect();
                    let context = FieldContext::new(&chars);
                    for h in hits {
                        if let Verdict::Stands(_) = context.judge(h.start..h.end, true) {
                            kept += 1;
                        }
                    }
                }
                kept
            })
        });
    }
    // The `aho-corasick` crate alone (issue 11 "Measure"): what a matcher without folding,
    // boundary or overlap rules costs, in each of its automaton kinds.
    for (kind_name, kind) in [
        ("nfa", AhoCorasickKind::NoncontiguousNFA),
        ("cnfa", AhoCorasickKind::ContiguousNFA),
        ("dfa", AhoCorasickKind::DFA),
    ] {
        for (lexicon, terms) in [("jieba-50k", &sample_words), ("default", &default_terms)] {
            let ac = raw_aho(terms, kind);
            group.bench_function(format!("raw-aho-{kind_name}/{lexicon}"), |b| {
                b.iter(|| {
                    let mut hits = 0;
                    for line in &lines {
                        hits += ac.find_iter(black_box(*line)).count();
                    }
                    hits
                })
            });
        }
    }
    group.bench_function("fold-only", |b| {
        b.iter(|| {
            let mut chars = 0;
            for line in &lines {
                chars += black_box(normalizer.fold_text(black_box(line))).len();
            }
            chars
        })
    });
    group.finish();
}

/// A leftmost-longest automaton of `kind` over `terms` as plain strings.
fn raw_aho(terms: &[String], kind: AhoCorasickKind) -> AhoCorasick {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(kind))
        .build(terms)
        .unwrap()
}

fn build(c: &mut Criterion) {
    let normalizer = Arc::new(Normalizer::new());
    let words = support::jieba_words();
    let sample = support::entries(&support::jieba_sample(&words), &normalizer);
    let all = support::entries(&words, &normalizer);
    let mut group = c.benchmark_group("build");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(15));
    for (name, entries) in [("jieba-50k", &sample), ("jieba-349k", &all)] {
        group.bench_function(name, |b| {
            // The rows are cloned outside the timed part: only `Matcher::new` is measured.
            b.iter_batched(
                || entries.clone(),
                |rows| Matcher::new(normalizer.clone(), rows).unwrap(),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn find_wall(c: &mut Criterion) {
    find(c, "find");
}

fn find_cpu(c: &mut Criterion<support::CpuTime>) {
    find(c, "find-cpu");
}

criterion_group!(wall, find_wall, build);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(support::CpuTime);
    targets = find_cpu
}
criterion_main!(wall, cpu);
