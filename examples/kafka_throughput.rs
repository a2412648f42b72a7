//! End-to-end throughput and memory of `synth-review run` against a real broker: exactly-once
//! (transactions) versus at-least-once, measured in one run, and the resident memory of a worker
//! working through a large backlog.
//!
//! ```sh
//! cargo build --release
//! B=$(bash scripts/kafka.sh start /tmp/bench-kafka | tail -1)
//! SYNTH_REVIEW_TEST_BROKERS=$B SYNTH_REVIEW_BIN=target/release/synth-review \
//!   cargo run --release --example kafka_throughput -- throughput 200000 3
//! SYNTH_REVIEW_TEST_BROKERS=$B SYNTH_REVIEW_BIN=target/release/synth-review \
//!   cargo run --release --example kafka_throughput -- backlog 1000000
//! bash scripts/kafka.sh stop /tmp/bench-kafka
//! ```
//!
//! `throughput N RUNS`: N corpus events are produced once to a 4-partition topic; each run starts a
//! fresh consumer group on it with one worker, in alternating modes, and times from start until
//! the group's committed offsets cover the topic. Prints every run and the median per mode.
//!
//! `backlog N`: N events (small, real text) are produced first; one exactly-once worker then
//! works through them while its VmRSS is sampled every 100 ms; prints the peak.

#[path = "../tests/common/mod.rs"]
pub mod common;

use std::time::{Duration, Instant};

use common::*;

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

async fn prepare(
    name: &str,
    events: usize,
    small: bool,
) -> (TestTopics, tempfile::TempDir, Vec<Generated>) {
    let topics = TestTopics::new(&unique(name));
    create_topics(&topics, 4).await;
    let dir = tempfile::tempdir().unwrap();
    let probe = write_pipeline(dir.path(), &topics, "probe");
    let mut clean = clean_paragraphs(&probe);
    if small {
        clean
            .iter_mut()
            .for_each(|p| *p = p.chars().take(60).collect());
    }
    let msgs = generate(events, 0, &clean, 42);
    let t = Instant::now();
    for chunk in msgs.chunks(20_000) {
        produce_all(&topics.input, chunk).await;
    }
    eprintln!("produced {} events in {:?}", msgs.len(), t.elapsed());
    (topics, dir, msgs)
}

fn run_once(
    topics: &TestTopics,
    dir: &std::path::Path,
    total: usize,
    mode: &str,
    sample_rss: bool,
) -> (Duration, u64) {
    let group = unique(&format!("bench-{mode}"));
    // Extra `[kafka]` lines for both modes, e.g. BENCH_KAFKA_EXTRA='batch_max_events = 5000'.
    let extra = std::env::var("BENCH_KAFKA_EXTRA")
        .unwrap_or_default()
        .replace(';', "\n");
    let pipeline = write_pipeline_with(
        dir,
        topics,
        &group,
        &format!("delivery = \"{mode}\"\n{extra}"),
    );
    let port = free_port();
    let started = Instant::now();
    let mut child = spawn_worker(&pipeline, port);
    let mut peak = 0;
    let mut last_check = Instant::now() - Duration::from_secs(1);
    loop {
        if sample_rss {
            peak = peak.max(rss_kib(child.id()).unwrap_or(0));
        }
        if last_check.elapsed() >= Duration::from_millis(500) {
            last_check = Instant::now();
            let o = committed_vs_end(&group, &topics.input, 4);
            if o.iter().all(|(c, e)| c == e)
                && o.iter().map(|(_, e)| e).sum::<i64>() as usize == total
            {
                break;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(3600), "no progress");
        std::thread::sleep(Duration::from_millis(100));
    }
    let took = started.elapsed();
    let status = terminate(&mut child, Duration::from_secs(60));
    assert!(status.success(), "{status:?}");
    (took, peak)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("throughput") => {
            let n: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(200_000);
            let runs: usize = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(3);
            let (topics, dir, msgs) = prepare("tput", n, false).await;
            let mut rates: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
            for i in 0..runs {
                for mode in ["at_least_once", "exactly_once"] {
                    let (took, _) = run_once(&topics, dir.path(), msgs.len(), mode, false);
                    let rate = msgs.len() as f64 / took.as_secs_f64();
                    println!(
                        "run {i} {mode:<14} {:>8.2} s {rate:>9.0} events/s",
                        took.as_secs_f64()
                    );
                    rates.entry(mode).or_default().push(rate);
                }
            }
            let alo = median(rates["at_least_once"].clone());
            let eos = median(rates["exactly_once"].clone());
            println!("median at_least_once {alo:.0} events/s, exactly_once {eos:.0} events/s, ratio {:.2}", eos / alo);
        }
        Some("backlog") => {
            let n: usize = args
                .get(2)
                .and_then(|v| v.parse().ok())
                .unwrap_or(1_000_000);
            let (topics, dir, msgs) = prepare("backlog", n, true).await;
            let (took, peak) = run_once(&topics, dir.path(), msgs.len(), "exactly_once", true);
            println!(
                "backlog {} events: {:.1} s ({:.0} events/s), peak worker VmRSS {} MiB",
                msgs.len(),
                took.as_secs_f64(),
                msgs.len() as f64 / took.as_secs_f64(),
                peak / 1024
            );
        }
        _ => eprintln!("usage: kafka_throughput throughput [N] [RUNS] | backlog [N]"),
    }
}
