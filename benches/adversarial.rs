//! Adversarial review time (issue 12, item 6): every news cue, attribution, lexicon term, rumour
//! claim and separator trick repeated until the text field is at the size limit
//! (`Limits::max_text_chars` code points, within `max_event_bytes`), and generated inputs that
//! are not one unit repeated (`generated_inputs`), each reviewed as one event
//! by the default pipeline (`pipelines/default.toml`, every stage). Results and the exact
//! commands: docs/benchmarks.md.
//!
//! Before the benchmarks run, one review of every input is timed and printed per stage
//! (`worst` table), and the run fails if any event takes 50 ms or more. In an unoptimized build
//! (`cargo test --benches`, the test command) each input is reviewed once, without the limit.
//!
//! ```text
//! cargo bench --bench adversarial
//! ```

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use synth_review::config::Disk;
use synth_review::engine::{load_pipeline, Engine};
use synth_review::event::{parse_event, Limits};

/// The repeated units: news cues, attributions, lexicon terms, rumour claims, label words and
/// separators.
const UNITS: &[&str] = &[
    "央视讯：",
    "据新华社报道，",
    "来源：新华网",
    "新华社北京1月5日电 ",
    "新華社北京1月5日電 ",
    "新 华 社 ",
    "新\u{200B}华\u{200B}社",
    "本报讯",
    "本报北京十二月三十一日讯　记者",
    "央视网消息（",
    "据《人民日报》报道",
    "记者张三报道：",
    "（记者 张三）",
    "（新华社记者兰红光摄）",
    "记者从市教育局获悉",
    "责任编辑：",
    "转自新浪网：",
    "综合新华社、人民日报报道",
    "据",
    "记者",
    "电",
    "新华社",
    "人民日报",
    "　",
    " ",
    "*",
    "\n",
    "出售冰毒",
    "出*售*冰*毒",
    "刷单返利",
    "吃碘盐可以防核辐射",
    "吃碘盐可以防核辐射，这是谣言吗？",
    "AI生成",
    "不是AI生成",
    "a",
    "1",
    // Bidi: an override per paragraph (each paragraph laid out on its own) and RLM marks.
    "\u{202E}博赌\n",
    "\u{200F}赌场\u{200F}网络",
];

/// One event whose `content.text` is `unit` repeated to the character limit (and the byte
/// limit), with a title of the same unit.
fn adversarial_event(unit: &str, limits: &Limits) -> Vec<u8> {
    let per = unit.chars().count().max(1);
    let mut n = limits.max_text_chars / per;
    // Leave room in the message for the rest of the event and JSON escapes.
    while n > 0
        && serde_json::to_string(&unit.repeat(n)).unwrap().len() + 2048 > limits.max_event_bytes
    {
        n = n * 9 / 10;
    }
    event_with_text(&unit.repeat(8), &unit.repeat(n))
}

/// Inputs that are not one unit repeated. `bidi paragraphs of 1,800 kinds`: overridden
/// paragraphs of 1,800 different class sequences (more than the layout memo of
/// `src/text/bidi.rs` holds, so most are laid out by the algorithm itself), to the limits.
fn generated_inputs(limits: &Limits) -> Vec<(&'static str, Vec<u8>)> {
    let mut text = String::new();
    let mut chars = 0usize;
    // The JSON string's length: each line feed is written `\n`, nothing else is escaped.
    let mut json = 2usize;
    for k in 0.. {
        let para = format!(
            "\u{202E}{}赌{}\n",
            "博".repeat(k % 60 + 1),
            " ".repeat(k / 60 % 30)
        );
        let n = para.chars().count();
        if chars + n > limits.max_text_chars
            || json + para.len() + 1 + 2048 > limits.max_event_bytes
        {
            break;
        }
        text.push_str(&para);
        chars += n;
        json += para.len() + 1;
    }
    vec![(
        "bidi paragraphs of 1,800 kinds",
        event_with_text("\u{202E}博赌", &text),
    )]
}

/// One event with this title and text (every stage has something to read).
fn event_with_text(title: &str, text: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "event_id": "adv",
        "user": {"id": "u", "identity_verified": true, "verification_method": "mobile"},
        "content": {"kind": "text", "title": title, "text": text},
        "synthesis": {"technique": "text_generation"},
        "labels": {"explicit": {"present": true, "text": "AI生成", "position": "start"}, "user_declared_ai": true},
        "news": {"is_news": true, "source": {"name": "新华网", "url": "https://www.news.cn/a.html"}}
    }))
    .unwrap()
}

fn engine() -> Engine {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    load_pipeline(&root.join("pipelines/default.toml"), &Disk)
        .unwrap_or_else(|e| panic!("default pipeline: {e}"))
        .engine
}

/// Parse + review of one message.
fn review_once(engine: &Engine, bytes: &[u8]) -> Duration {
    let started = Instant::now();
    let parsed = parse_event(bytes, engine.limits()).expect("adversarial events parse");
    black_box(engine.review(&parsed.event).expect("review"));
    started.elapsed()
}

fn worst_table(engine: &Engine, inputs: &[(&str, Vec<u8>)]) {
    println!("\n| input (repeated to the limit) | bytes | review ms | slowest stage |");
    println!("|---|---:|---:|---|");
    let mut worst = Duration::ZERO;
    for (unit, bytes) in inputs {
        // Best of three, so a shared machine's hiccup does not count.
        let t = (0..3).map(|_| review_once(engine, bytes)).min().unwrap();
        let parsed = parse_event(bytes, engine.limits()).unwrap();
        let review = engine.review(&parsed.event).unwrap();
        let (stage, st) = review
            .timings
            .iter()
            .max_by_key(|(_, d)| *d)
            .map(|(k, d)| (format!("{k:?}"), *d))
            .unwrap_or_default();
        println!(
            "| `{}` | {} | {:.1} | {stage} {:.1} ms |",
            unit.escape_debug(),
            bytes.len(),
            t.as_secs_f64() * 1e3,
            st.as_secs_f64() * 1e3
        );
        worst = worst.max(t);
    }
    println!("worst: {:.1} ms\n", worst.as_secs_f64() * 1e3);
    assert!(
        worst < Duration::from_millis(50),
        "an event within the limits took {worst:?} (limit 50 ms)"
    );
}

fn adversarial(c: &mut Criterion) {
    let engine = engine();
    // `SYNTH_REVIEW_ADVERSARIAL_ONLY=<index>` keeps one input (for a profile of it alone).
    let only: Option<usize> = std::env::var("SYNTH_REVIEW_ADVERSARIAL_ONLY")
        .ok()
        .and_then(|v| v.parse().ok());
    let inputs: Vec<(&str, Vec<u8>)> = UNITS
        .iter()
        .enumerate()
        .filter(|(i, _)| only.is_none_or(|o| o == *i))
        .map(|(_, u)| (*u, adversarial_event(u, engine.limits())))
        .chain(
            generated_inputs(engine.limits())
                .into_iter()
                .enumerate()
                .filter(|(i, _)| only.is_none_or(|o| o == UNITS.len() + *i))
                .map(|(_, input)| input),
        )
        .collect();
    // `SYNTH_REVIEW_ADVERSARIAL_PROFILE=<n>` reviews the inputs n times and stops, with no
    // table and no limit: for `perf record` of the review alone (engine set-up is a small share).
    if let Some(n) = std::env::var("SYNTH_REVIEW_ADVERSARIAL_PROFILE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        for _ in 0..n {
            for (_, bytes) in &inputs {
                review_once(&engine, bytes);
            }
        }
        return;
    }
    if cfg!(debug_assertions) {
        // `cargo test --benches` (the test command) builds this crate unoptimized: review each
        // input once, so the inputs still parse and review without a panic, but a time limit
        // only means something in the optimized `cargo bench` build.
        for (unit, bytes) in &inputs {
            let t = review_once(&engine, bytes);
            println!(
                "`{}`: {:.0} ms (unoptimized)",
                unit.escape_debug(),
                t.as_secs_f64() * 1e3
            );
        }
        return;
    }
    worst_table(&engine, &inputs);
    let mut g = c.benchmark_group("adversarial");
    g.sample_size(10);
    for (unit, bytes) in inputs.iter().take(4) {
        g.bench_function(unit.escape_debug().to_string(), |b| {
            b.iter(|| review_once(&engine, bytes))
        });
    }
    g.finish();
}

criterion_group!(benches, adversarial);
criterion_main!(benches);
