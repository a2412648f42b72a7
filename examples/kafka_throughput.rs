//! End-to-end throughput, latency and memory of `synth-review run` against a real broker:
//! exactly-once (transactions) versus at-least-once, the full default pipeline against a
//! pass-through worker and a plain Python peer (`bench/peer_worker.py`), produce → visible
//! latency, and the resident memory of a worker working through a large backlog.
//!
//! ```sh
//! cargo build --release --bin synth-review --example kafka_throughput
//! B=$(bash scripts/kafka.sh start /tmp/bench-kafka | tail -1)
//! SYNTH_REVIEW_TEST_BROKERS=$B SYNTH_REVIEW_BIN=target/release/synth-review \
//!   target/release/examples/kafka_throughput throughput 200000 3
//! SYNTH_REVIEW_TEST_BROKERS=$B SYNTH_REVIEW_BIN=target/release/synth-review \
//!   target/release/examples/kafka_throughput backlog 1000000
//! SYNTH_REVIEW_TEST_BROKERS=$B SYNTH_REVIEW_BIN=target/release/synth-review \
//!   BENCH_PYTHON=/tmp/e2e-venv/bin/python target/release/examples/kafka_throughput compare 200000 5
//! bash scripts/kafka.sh stop /tmp/bench-kafka
//! ```
//!
//! (`bench/e2e.sh` does the `compare` run with a broker of its own.)
//!
//! `throughput N RUNS`: N corpus events are produced once to a 4-partition topic; each run starts a
//! fresh consumer group on it with one worker, in alternating modes, and times from start until
//! the group's committed offsets cover the topic. Prints every run and the median per mode.
//!
//! `backlog N`: N events (small, real text) are produced first; one exactly-once worker then
//! works through them while its VmRSS is sampled every 100 ms; prints the peak.
//!
//! `compare N ROUNDS [LATENCY_SECS]` (issue 14, item 3): N corpus events are produced once to a
//! 4-partition topic; then ROUNDS (default 5) interleaved rounds of four configurations, each run
//! a fresh consumer group on the same topic and events, timed from the process's start until the
//! group's committed offsets cover the topic:
//!
//! - `pass-through`: the worker with a pipeline of `identity` only, exactly-once;
//! - `default-eos`: `pipelines/default.toml`'s stages and `[kafka]`/`[limits]` settings,
//!   exactly-once (the default delivery);
//! - `default-alo`: the same with `delivery = "at_least_once"`;
//! - `python-peer`: `bench/peer_worker.py` run by `$BENCH_PYTHON` (default `python3`, which must
//!   import `confluent_kafka` and `ahocorasick`: `bench/requirements.txt`).
//!
//! Per run it reads the process's CPU time (utime + stime of `/proc/PID/stat`, every thread) and
//! peak resident memory (`VmHWM` of `/proc/PID/status`) just before it is stopped, and for the
//! worker the seconds from start until its metrics report all 4 partitions assigned. Then the
//! latency (see `latency` below) at half of `default-eos`'s median rate, exactly-once and
//! at-least-once, for LATENCY_SECS (default 20) each. Prints every run and a Markdown summary.
//!
//! `latency RATE SECS MODE`: a fresh 4-partition topic and a default-pipeline worker in MODE
//! (`exactly_once` or `at_least_once`); once it holds all partitions, an open-loop producer sends
//! corpus events at RATE per second for 2 s of warm-up plus SECS; a `read_committed` consumer of
//! the decision and dead-letter topics notes when each event's record becomes visible. Prints
//! p50, p99 and max of produce → visible over the events sent after the warm-up.

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
) -> (TestTopics, tempfile::TempDir, Vec<Generated>, Vec<String>) {
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
    (topics, dir, msgs, clean)
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

/// CPU time and peak memory of a process, read from `/proc` while it still runs.
#[derive(Clone, Copy, Debug, Default)]
struct Usage {
    /// utime + stime of every thread, seconds.
    cpu_s: f64,
    /// `VmHWM`: the peak resident set size, KiB.
    hwm_kib: u64,
}

/// [`Usage`] of `pid`, `None` if it is gone.
fn usage(pid: u32) -> Option<Usage> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid …`: utime and stime are fields 14 and 15, the 12th and 13th after
    // the comm's closing parenthesis.
    let rest: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?;
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let hwm_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())?;
    Some(Usage {
        cpu_s: ticks as f64 / hz,
        hwm_kib,
    })
}

/// `pipelines/default.toml` for these topics, group and delivery mode, written into `dir` as
/// `{name}.toml`: its `[kafka]` (with `brokers`, `group_id` and `delivery` set), `[limits]` and
/// stages, every relative data path made absolute. `identity_only` keeps only the `identity`
/// stage (the pass-through worker).
fn default_pipeline(
    dir: &std::path::Path,
    name: &str,
    topics: &TestTopics,
    group: &str,
    delivery: &str,
    identity_only: bool,
) -> std::path::PathBuf {
    use toml_edit::{value, DocumentMut, Item, Value};
    let pipelines = repo().join("pipelines");
    let text = std::fs::read_to_string(pipelines.join("default.toml")).expect("default.toml");
    let mut doc: DocumentMut = text.parse().expect("default.toml is TOML");
    doc["pipeline"]["name"] = value(format!("bench-{name}"));
    doc["kafka"]["brokers"] = value(brokers());
    doc["kafka"]["group_id"] = value(group);
    doc["kafka"]["delivery"] = value(delivery);
    for (key, topic) in [
        ("input", &topics.input),
        ("approved", &topics.approved),
        ("held", &topics.held),
        ("rejected", &topics.rejected),
        ("dead_letter", &topics.dead_letter),
        ("audit", &topics.audit),
    ] {
        doc["topics"][key] = value(topic.as_str());
    }
    // A relative path resolves against the pipeline's folder: pipelines/.
    let absolute = |v: &mut Value| {
        if let Some(s) = v.as_str() {
            let p = pipelines.join(s);
            if s.contains('/') && p.exists() {
                *v = Value::from(p.canonicalize().unwrap().display().to_string());
            }
        }
    };
    let stages = doc["stages"]
        .as_array_of_tables_mut()
        .expect("default.toml has [[stages]]");
    if identity_only {
        stages.retain(|t| t.get("kind").and_then(Item::as_str) == Some("identity"));
        assert_eq!(stages.len(), 1, "default.toml has one identity stage");
    }
    for stage in stages.iter_mut() {
        for (_, item) in stage.iter_mut() {
            match item.as_value_mut() {
                Some(Value::Array(a)) => a.iter_mut().for_each(absolute),
                Some(v) => absolute(v),
                None => {}
            }
        }
    }
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, doc.to_string()).expect("write pipeline");
    path
}

/// The Python interpreter of the peer: `$BENCH_PYTHON`, else `python3`.
fn python() -> String {
    std::env::var("BENCH_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// A running `bench/peer_worker.py`: its process and its log (stderr). Killed when dropped.
struct PythonPeer {
    child: std::sync::Mutex<std::process::Child>,
    pid: u32,
    log: std::path::PathBuf,
}

impl PythonPeer {
    /// Starts the peer on `topics`' input in consumer group `group`, logging to `dir/{group}.log`.
    fn start(dir: &std::path::Path, topics: &TestTopics, group: &str) -> PythonPeer {
        let log = dir.join(format!("{group}.log"));
        let file = std::fs::File::create(&log).expect("peer log");
        let child = std::process::Command::new(python())
            .arg(repo().join("bench/peer_worker.py"))
            .args(["--brokers", &brokers(), "--group", group])
            .args(["--input", &topics.input, "--approved", &topics.approved])
            .args(["--held", &topics.held, "--rejected", &topics.rejected])
            .stdout(std::process::Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", python()));
        PythonPeer {
            pid: child.id(),
            child: std::sync::Mutex::new(child),
            log,
        }
    }

    fn exit_status(&self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        child.try_wait().expect("wait for the peer")
    }

    /// SIGTERM, then waits (at most 60 s) for a clean exit.
    ///
    /// # Panics
    /// If it does not exit in time or exits with an error; the message shows its log.
    fn stop(&self) {
        unsafe { libc::kill(self.pid as i32, libc::SIGTERM) };
        let status = wait_for(
            "the Python peer to exit after SIGTERM",
            Duration::from_secs(60),
        )
        .every(Duration::from_millis(20))
        .until(|| self.exit_status());
        assert!(
            status.success(),
            "{}",
            report(&format!("python peer: {status}"), None, &[self])
        );
    }
}

impl Drop for PythonPeer {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(|e| e.into_inner());
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Watched for PythonPeer {
    fn describe(&self) -> String {
        format!("python peer (pid {})", self.pid)
    }

    fn ended(&self) -> Option<String> {
        self.exit_status().map(|s| s.to_string())
    }

    fn logs(&self) -> Vec<std::path::PathBuf> {
        vec![self.log.clone()]
    }
}

/// The four configurations of `compare`, in the order each round runs them.
const CONFIGS: [&str; 4] = ["pass-through", "default-eos", "default-alo", "python-peer"];

/// One timed run of `compare`.
#[derive(Clone, Copy, Debug)]
struct Run {
    secs: f64,
    rate: f64,
    usage: Usage,
    /// Seconds from start until the worker held all 4 partitions (`None` for the Python peer).
    startup_s: Option<f64>,
}

/// Runs configuration `config` once in a fresh consumer group over `topics`' `total` events.
fn run_config(topics: &TestTopics, dir: &std::path::Path, total: usize, config: &str) -> Run {
    let group = unique(&format!("cmp-{config}"));
    let timeout = Duration::from_secs(3600);
    let started = Instant::now();
    let covered = || committed_covers(&group, &topics.input, 4, total);
    let (usage, startup_s) = if config == "python-peer" {
        let peer = PythonPeer::start(dir, topics, &group);
        wait_for(format!("{config} to commit all {total} events"), timeout)
            .watching(&peer)
            .every(Duration::from_millis(250))
            .until(covered);
        let u = usage(peer.pid).expect("peer running");
        peer.stop();
        (u, None)
    } else {
        let (delivery, identity_only) = match config {
            "pass-through" => ("exactly_once", true),
            "default-eos" => ("exactly_once", false),
            _ => ("at_least_once", false),
        };
        let pipeline = default_pipeline(dir, &group, topics, &group, delivery, identity_only);
        let mut worker = Worker::start(&pipeline);
        let w: &Worker = &worker;
        wait_for(format!("{config} to hold all 4 partitions"), timeout)
            .watching(w)
            .every(Duration::from_millis(50))
            .until(|| w.assigned_partitions() == 4);
        let startup = started.elapsed().as_secs_f64();
        wait_for(format!("{config} to commit all {total} events"), timeout)
            .watching(w)
            .every(Duration::from_millis(250))
            .until(covered);
        let u = usage(worker.id()).expect("worker running");
        let status = worker.terminate(Duration::from_secs(60));
        assert!(status.success(), "{config}: {status}");
        (u, Some(startup))
    };
    let secs = started.elapsed().as_secs_f64();
    Run {
        secs,
        rate: total as f64 / secs,
        usage,
        startup_s,
    }
}

/// Produce → `read_committed`-visible latency of a default-pipeline worker: see the module doc.
struct Latency {
    mode: String,
    rate: f64,
    /// Events measured (sent after the warm-up).
    events: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    usage: Usage,
    /// The worker's mean `synth_review_batch_commit_seconds`, in ms, and its number of batches
    /// (`None` from a worker without that metric).
    commit: Option<(f64, u64)>,
}

/// Seconds of open-loop sending before the measured part of a latency run.
const LATENCY_WARMUP_S: f64 = 2.0;

async fn latency(clean: &[String], rate: f64, secs: f64, mode: &str) -> Latency {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::message::Message;
    use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
    use rdkafka::{ClientConfig, Offset, TopicPartitionList};

    let topics = TestTopics::new(&unique("lat"));
    create_topics(&topics, 4).await;
    let dir = tempfile::tempdir().unwrap();
    let total = ((LATENCY_WARMUP_S + secs) * rate).round() as usize;
    let warmup = (LATENCY_WARMUP_S * rate).round() as usize;
    let msgs = generate(total, 0, clean, 7);
    let index: std::collections::HashMap<&str, usize> = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| (m.key.as_str(), i))
        .collect();
    let group = unique("lat");
    let pipeline = default_pipeline(dir.path(), "lat", &topics, &group, mode, false);
    let mut worker = Worker::start(&pipeline);
    let w: &Worker = &worker;
    wait_for(
        "the latency worker to hold all 4 partitions",
        Duration::from_secs(120),
    )
    .watching(w)
    .every(Duration::from_millis(50))
    .until(|| w.assigned_partitions() == 4);

    // Every decision and dead-letter partition (create_topics gives outputs 3), from the start.
    let consumer: BaseConsumer = read_committed_config("lat-reader")
        .set("fetch.wait.max.ms", "10")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for t in [
        &topics.approved,
        &topics.held,
        &topics.rejected,
        &topics.dead_letter,
    ] {
        for p in 0..3 {
            tpl.add_partition_offset(t, p, Offset::Beginning).unwrap();
        }
    }
    consumer.assign(&tpl).expect("assign");

    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("message.max.bytes", "8000000")
        .set("linger.ms", "5")
        .create()
        .expect("producer");

    let mut sent: Vec<Option<Instant>> = vec![None; total];
    let index = &index;
    let seen = std::thread::scope(|s| {
        let reader = s.spawn(move || {
            let mut seen: Vec<Option<Instant>> = vec![None; total];
            let mut count = 0;
            wait_for(
                format!("all {total} latency events to be visible"),
                Duration::from_secs((secs + LATENCY_WARMUP_S) as u64 + 120),
            )
            .watching(w)
            .every(Duration::ZERO)
            .until(|| {
                if let Some(msg) = consumer.poll(Duration::from_millis(50)) {
                    let now = Instant::now();
                    let msg = msg.expect("consume");
                    let key = std::str::from_utf8(msg.key().unwrap_or_default()).unwrap_or("");
                    if let Some(&i) = index.get(key) {
                        if seen[i].is_none() {
                            seen[i] = Some(now);
                            count += 1;
                        }
                    }
                }
                if count == total {
                    Ok(())
                } else {
                    Err(format!("{count} of {total} visible"))
                }
            });
            seen
        });
        // Open loop: event i is sent at t0 + i / rate, whatever the worker does.
        let t0 = Instant::now();
        for (i, m) in msgs.iter().enumerate() {
            let due = t0 + Duration::from_secs_f64(i as f64 / rate);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            sent[i] = Some(Instant::now());
            let mut record = BaseRecord::to(&topics.input)
                .key(&m.key)
                .payload(&m.payload);
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((e, r)) => {
                        assert!(
                            matches!(
                                e.rdkafka_error_code(),
                                Some(rdkafka::error::RDKafkaErrorCode::QueueFull)
                            ),
                            "produce: {e}"
                        );
                        record = r;
                        producer.poll(Duration::from_millis(1));
                    }
                }
            }
        }
        let achieved = total as f64 / t0.elapsed().as_secs_f64();
        producer.flush(Duration::from_secs(30)).expect("flush");
        eprintln!("latency {mode}: sent {total} events at {achieved:.0}/s (asked {rate:.0}/s)");
        reader.join().expect("reader")
    });
    let mut ms: Vec<f64> = (warmup..total)
        .map(|i| (seen[i].unwrap() - sent[i].unwrap()).as_secs_f64() * 1e3)
        .collect();
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |q: f64| ms[((ms.len() as f64 * q).ceil() as usize).clamp(1, ms.len()) - 1];
    let u = usage(worker.id()).expect("worker running");
    let commit = worker_metrics(worker.port()).and_then(|text| {
        let sum = metric(&text, "synth_review_batch_commit_seconds_sum")?;
        let count = metric(&text, "synth_review_batch_commit_seconds_count")?;
        (count > 0.0).then(|| (sum / count * 1e3, count as u64))
    });
    let status = worker.terminate(Duration::from_secs(60));
    assert!(status.success(), "latency worker: {status}");
    Latency {
        mode: mode.to_string(),
        rate,
        events: ms.len(),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        max_ms: *ms.last().unwrap(),
        usage: u,
        commit,
    }
}

fn print_latency(l: &Latency) {
    println!(
        "| {} | {:.0} | {} | {:.0} | {:.0} | {:.0} | {:.1} | {} | {} |",
        l.mode,
        l.rate,
        l.events,
        l.p50_ms,
        l.p99_ms,
        l.max_ms,
        l.usage.cpu_s,
        l.usage.hwm_kib / 1024,
        l.commit
            .map_or("-".to_string(), |(ms, n)| format!("{ms:.1} ({n})"))
    );
}

const LATENCY_HEADER: &str = "| delivery | rate (events/s) | events measured | p50 ms | p99 ms | max ms | worker CPU s | peak RSS MiB | mean batch commit ms (batches) |\n|---|---|---|---|---|---|---|---|---|";

/// `compare N ROUNDS LATENCY_SECS`: see the module doc.
async fn compare(n: usize, rounds: usize, latency_secs: f64) {
    let probe = std::process::Command::new(python())
        .args(["-c", "import confluent_kafka, ahocorasick"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e} (set BENCH_PYTHON)", python()));
    assert!(
        probe.status.success(),
        "{} cannot import confluent_kafka and ahocorasick (pip install -r bench/requirements.txt; set BENCH_PYTHON): {}",
        python(),
        String::from_utf8_lossy(&probe.stderr)
    );
    let (topics, dir, msgs, clean) = prepare("cmp", n, false).await;
    let mut runs: std::collections::BTreeMap<&str, Vec<Run>> = Default::default();
    for round in 0..rounds {
        for config in CONFIGS {
            let r = run_config(&topics, dir.path(), msgs.len(), config);
            println!(
                "round {round} {config:<12} {:>7.2} s {:>7.0} events/s  CPU {:>6.1} s  peak RSS {:>4} MiB  start-up {}",
                r.secs,
                r.rate,
                r.usage.cpu_s,
                r.usage.hwm_kib / 1024,
                r.startup_s.map_or("-".to_string(), |s| format!("{s:.2} s"))
            );
            runs.entry(config).or_default().push(r);
        }
    }
    let med = |c: &str| median(runs[c].iter().map(|r| r.rate).collect());
    println!("\n{} events, 4 partitions, {rounds} rounds\n", msgs.len());
    println!("| configuration | events/s median | min–max | × pass-through | CPU s median | CPU µs/event | peak RSS MiB (min–max) | start-up s median |");
    println!("|---|---|---|---|---|---|---|---|");
    for config in CONFIGS {
        let r = &runs[config];
        let rates: Vec<f64> = r.iter().map(|r| r.rate).collect();
        let min = rates.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = rates.iter().cloned().fold(0.0, f64::max);
        let cpu = median(r.iter().map(|r| r.usage.cpu_s).collect());
        let hwm: Vec<u64> = r.iter().map(|r| r.usage.hwm_kib / 1024).collect();
        let startup = r.iter().filter_map(|r| r.startup_s).collect::<Vec<_>>();
        println!(
            "| {config} | {:.0} | {min:.0}–{max:.0} | {:.2} | {cpu:.1} | {:.0} | {}–{} | {} |",
            med(config),
            med(config) / med("pass-through"),
            cpu * 1e6 / msgs.len() as f64,
            hwm.iter().min().unwrap(),
            hwm.iter().max().unwrap(),
            if startup.is_empty() {
                "-".to_string()
            } else {
                format!("{:.2}", median(startup))
            }
        );
    }
    let (pass, eos, alo, py) = (
        med("pass-through"),
        med("default-eos"),
        med("default-alo"),
        med("python-peer"),
    );
    println!(
        "\ndefault-eos / pass-through {:.2} (target ≥ 0.8: {}); default-eos / python-peer {:.2} (target ≥ 2: {}); default-alo / python-peer {:.2}",
        eos / pass,
        if eos / pass >= 0.8 { "met" } else { "missed" },
        eos / py,
        if eos / py >= 2.0 { "met" } else { "missed" },
        alo / py
    );
    let rate = eos / 2.0;
    let mut lat = Vec::new();
    for mode in ["exactly_once", "at_least_once"] {
        lat.push(latency(&clean, rate, latency_secs, mode).await);
    }
    println!("\nproduce → read_committed visible, open loop at half of default-eos's median ({rate:.0} events/s), {latency_secs} s after {LATENCY_WARMUP_S} s warm-up\n");
    println!("{LATENCY_HEADER}");
    lat.iter().for_each(print_latency);
    println!(
        "\nexactly-once p99 {:.0} ms (target ≤ 250 ms: {})",
        lat[0].p99_ms,
        if lat[0].p99_ms <= 250.0 {
            "met"
        } else {
            "missed"
        }
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("throughput") => {
            let n: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(200_000);
            let runs: usize = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(3);
            let (topics, dir, msgs, _) = prepare("tput", n, false).await;
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
            let (topics, dir, msgs, _) = prepare("backlog", n, true).await;
            let (took, peak) = run_once(&topics, dir.path(), msgs.len(), "exactly_once", true);
            println!(
                "backlog {} events: {:.1} s ({:.0} events/s), peak worker VmRSS {} MiB",
                msgs.len(),
                took.as_secs_f64(),
                msgs.len() as f64 / took.as_secs_f64(),
                peak / 1024
            );
        }
        Some("compare") => {
            let n: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(200_000);
            let rounds: usize = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(5);
            let secs: f64 = args.get(4).and_then(|v| v.parse().ok()).unwrap_or(20.0);
            compare(n, rounds, secs).await;
        }
        Some("latency") => {
            let rate: f64 = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(1000.0);
            let secs: f64 = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(20.0);
            let mode = args.get(4).map_or("exactly_once", String::as_str);
            let probe = tempfile::tempdir().unwrap();
            let topics = TestTopics::new(&unique("probe"));
            let clean = clean_paragraphs(&write_pipeline(probe.path(), &topics, "probe"));
            let l = latency(&clean, rate, secs, mode).await;
            println!("{LATENCY_HEADER}");
            print_latency(&l);
        }
        _ => eprintln!(
            "usage: kafka_throughput throughput [N] [RUNS] | backlog [N] | compare [N] [ROUNDS] [LATENCY_SECS] | latency [RATE] [SECS] [exactly_once|at_least_once]"
        ),
    }
}
