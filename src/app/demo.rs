//! `synth-review demo`: zero set-up. Starts librdkafka's in-process mock cluster, produces the
//! embedded sample events (plus a few unreadable messages), runs the real worker path
//! ([`crate::kafka::run`]) with the embedded default pipeline, reads the output topics
//! back and prints where every event went.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{DefaultProducerContext, FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Message, TopicPartitionList};
use tokio::sync::watch;

use super::AppError;
use crate::embedded::{default_files, DEFAULT_PIPELINE, DEMO_EVENTS};
use crate::engine::load_pipeline;
use crate::kafka::{run, WorkerSettings};
use crate::ops::http::{Readiness, Server};
use crate::ops::metrics::Metrics;

/// Partitions of each demo topic.
const PARTITIONS: i32 = 3;

/// Unreadable messages mixed into the demo input, one per dead-letter reason.
const BAD_MESSAGES: &[&[u8]] = &[
    b"{\"event_id\": \"broken",
    b"[\"not\", \"an\", \"object\"]",
    b"\xff\xfe\xfd",
    b"",
];

/// One output topic's count and a few sample lines.
#[derive(Debug, Default)]
pub struct TopicSummary {
    /// Records in the topic.
    pub count: usize,
    /// Up to three `event_id: reason codes` samples.
    pub samples: Vec<String>,
}

/// `demo`: runs the demo and returns the summary text the binary prints. `/metrics`,
/// `/healthz` and `/readyz` are served on `listener` meanwhile, if given.
///
/// # Errors
/// [`AppError::Demo`]: mock cluster, client or worker failures.
pub async fn demo(listener: Option<tokio::net::TcpListener>) -> Result<String, AppError> {
    demo_then(listener, None).await
}

/// The moderation console after the demo (`demo --console`): where it serves.
pub struct DemoConsole {
    /// The web application's listener.
    pub listener: tokio::net::TcpListener,
    /// The console's `/metrics` listener.
    pub metrics_listener: tokio::net::TcpListener,
    /// Resolves when the console should stop (Ctrl-C).
    pub shutdown: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
}

/// `demo`, then, with `console`, the moderation console on the demo's mock cluster and a fresh
/// SQLite store in a temporary folder, with the demo's held items in its queue and two accounts
/// (`moderator`, `lead`) whose password is printed; `print` gets the summary and the console's
/// URL and logins before the console serves. Runs until the console's shutdown resolves.
///
/// # Errors
/// [`AppError::Demo`]: mock cluster, client or worker failures; [`AppError::Console`].
pub async fn demo_then(
    listener: Option<tokio::net::TcpListener>,
    console: Option<DemoConsole>,
) -> Result<String, AppError> {
    let metrics = Metrics::new();
    let ready = Arc::new(Readiness::default());
    let server = match listener.map(|l| Server::start(l, metrics.clone(), ready.clone())) {
        Some(Ok(server)) => {
            tracing::info!(addr = %server.addr(), "Serving /metrics, /healthz, /readyz during the demo.");
            Some(server)
        }
        Some(Err(error)) => {
            tracing::warn!(%error, "Cannot serve /metrics; the demo goes on without it.");
            None
        }
        None => None,
    };
    let served = server.is_some();
    let result = run_demo(metrics, ready, served)
        .await
        .map_err(AppError::Demo);
    if let Some(server) = server {
        server.stop();
    }
    let (summary, cluster, topics) = result?;
    let Some(console) = console else {
        return Ok(summary);
    };
    super::print_out(&summary)?;
    // The console's own topics (the ledger's measures, complaints and their results).
    let own = {
        let l = crate::config::console::LedgerSection::default();
        let c = crate::config::console::ComplaintsSection::default();
        let a = crate::config::console::AppealsSection::default();
        [l.user_actions_topic, c.topic, c.results_topic, a.topic]
    };
    for t in &own {
        cluster
            .create_topic(t, PARTITIONS, 1)
            .map_err(|e| AppError::Demo(anyhow::anyhow!("creating topic {t}: {e}")))?;
    }
    let brokers = cluster.bootstrap_servers();
    let out = demo_console(console, brokers, topics).await;
    drop(cluster);
    out.map(|()| String::new())
}

async fn demo_console(
    console: DemoConsole,
    brokers: String,
    topics: crate::config::Topics,
) -> Result<(), AppError> {
    use crate::config::console::{
        AppealsSection, ComplaintsSection, ConsoleFile, ConsoleSection, IntakeSection,
        LedgerSection, RelaySection,
    };
    let dir = std::env::temp_dir().join(format!("synth-review-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| AppError::Io(format!("cannot create {}: {e}", dir.display())))?;
    let mut kafka = crate::config::KafkaConfig {
        brokers,
        ..Default::default()
    };
    // The mock cluster has no DescribeConfigs; keep its clients' logs quiet.
    kafka.options.insert("log_level".into(), "3".into());
    let file = ConsoleFile {
        console: ConsoleSection {
            store: format!("sqlite://{}?mode=rwc", dir.join("console.db").display()),
            ..Default::default()
        },
        intake: IntakeSection::default(),
        relay: RelaySection::default(),
        ledger: LedgerSection::default(),
        complaints: ComplaintsSection::default(),
        appeals: AppealsSection::default(),
        kafka,
        topics,
    };
    let password = crate::console::store::random_secret()[..16].to_owned();
    for (name, role) in [
        ("moderator", crate::console::Role::Moderator),
        ("lead", crate::console::Role::Lead),
    ] {
        super::console::add_user(&file, name, role, &password).await?;
    }
    let url = console
        .listener
        .local_addr()
        .map(|a| format!("http://{a}/"))
        .unwrap_or_else(|_| "(unknown address)".into());
    super::print_out(&format!(
        "\nThe moderation console is serving the held items above at {url}\n\
         Log in as `moderator` or `lead` with the password {password}\n\
         (store: {}; verdicts go to the mock cluster's approved/rejected topics). Ctrl-C stops it.\n",
        dir.display()
    ))?;
    let run = super::ConsoleRun {
        file,
        listener: console.listener,
        metrics_listener: console.metrics_listener,
    };
    let result = super::console(run, console.shutdown).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// `served`: whether /metrics is being served, for the summary's last line.
async fn run_demo(
    metrics: Metrics,
    ready: Arc<Readiness>,
    served: bool,
) -> anyhow::Result<(
    String,
    MockCluster<'static, DefaultProducerContext>,
    crate::config::Topics,
)> {
    let cluster = MockCluster::new(1).context("starting librdkafka's mock cluster")?;
    let loaded = load_pipeline(Path::new(DEFAULT_PIPELINE), &default_files())
        .map_err(|e| anyhow::anyhow!("embedded pipeline: {e}"))?;
    let mut file = loaded.file;
    let engine = Arc::new(arc_swap::ArcSwap::from_pointee(loaded.engine));
    let topics = file.topics.clone();
    for t in [
        &topics.input,
        &topics.approved,
        &topics.held,
        &topics.rejected,
        &topics.dead_letter,
        &topics.audit,
    ] {
        cluster
            .create_topic(t, PARTITIONS, 1)
            .with_context(|| format!("creating topic {t}"))?;
    }
    file.kafka.brokers = cluster.bootstrap_servers();
    file.kafka.group_id = "synth-review-demo".into();
    file.kafka
        .options
        .insert("statistics.interval.ms".into(), "1000".into());

    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &file.kafka.brokers)
        .create()
        .context("creating the demo producer")?;
    let mut sent = 0u64;
    let lines = DEMO_EVENTS
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::as_bytes);
    for (i, payload) in lines.chain(BAD_MESSAGES.iter().copied()).enumerate() {
        let key = format!("demo-{i}");
        producer
            .send(
                FutureRecord::to(&topics.input).key(&key).payload(payload),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(e, _)| anyhow::anyhow!("producing demo event {i}: {e}"))?;
        sent += 1;
    }

    let (tx, mut rx) = watch::channel(0u64);
    let settings = WorkerSettings {
        kafka: file.kafka.clone(),
        topics: topics.clone(),
        metrics: metrics.clone(),
        ready,
        progress: Some(tx),
        read_topic_limits: false,
    };
    let done = async move {
        let _ = rx.wait_for(|n| *n >= sent).await;
    };
    let worker = run(engine, settings, done);
    let summary = tokio::time::timeout(Duration::from_secs(120), worker)
        .await
        .context("the demo did not finish within 120 s")??;

    let mut out = String::new();
    out.push_str(&format!(
        "synth-review demo: {sent} messages produced to `{}` on librdkafka's mock cluster ({PARTITIONS} partitions), {} reviewed and acknowledged.\n\n",
        topics.input, summary.acknowledged
    ));
    out.push_str(&format!(
        "{:<12} {:<22} {:>6}\n",
        "decision", "topic", "count"
    ));
    let brokers = file.kafka.brokers.clone();
    for (label, topic) in [
        ("approve", &topics.approved),
        ("hold", &topics.held),
        ("reject", &topics.rejected),
        ("dead_letter", &topics.dead_letter),
        ("(audit)", &topics.audit),
    ] {
        let s = read_topic(&brokers, topic, label != "(audit)")?;
        out.push_str(&format!("{label:<12} {topic:<22} {:>6}\n", s.count));
        for sample in s
            .samples
            .iter()
            .take(if label == "approve" || label == "(audit)" {
                0
            } else {
                3
            })
        {
            out.push_str(&format!("    {sample}\n"));
        }
    }
    if served {
        out.push_str("\nMetrics were served on /metrics meanwhile; `synth-review run --pipeline pipelines/default.toml` runs the same path against a real broker.\n");
    } else {
        out.push_str("\nMetrics were not served (see the warning above); `synth-review run --pipeline pipelines/default.toml` runs the same path against a real broker.\n");
    }
    Ok((out, cluster, topics))
}

/// Counts a topic's records (all partitions, from the beginning) and samples a few.
fn read_topic(brokers: &str, topic: &str, sample: bool) -> anyhow::Result<TopicSummary> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "synth-review-demo-reader")
        .set("enable.auto.commit", "false")
        .create()?;
    let mut tpl = TopicPartitionList::new();
    let mut expected = 0i64;
    for p in 0..PARTITIONS {
        let (low, high) = consumer.fetch_watermarks(topic, p, Duration::from_secs(10))?;
        expected += high - low;
        tpl.add_partition_offset(topic, p, rdkafka::Offset::Beginning)?;
    }
    consumer.assign(&tpl)?;
    let mut summary = TopicSummary::default();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while (summary.count as i64) < expected && std::time::Instant::now() < deadline {
        let Some(msg) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let msg = msg?;
        summary.count += 1;
        if sample && summary.samples.len() < 3 {
            summary.samples.push(describe(&msg));
        }
    }
    Ok(summary)
}

fn describe(msg: &rdkafka::message::BorrowedMessage<'_>) -> String {
    use rdkafka::message::Headers;
    let key = msg
        .key()
        .map(String::from_utf8_lossy)
        .unwrap_or_default()
        .to_string();
    if let Some(h) = msg.headers() {
        if let Some(reason) = h.iter().find(|h| h.key == "dlq.reason") {
            let reason = reason
                .value
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            return format!("key {key}: {reason}");
        }
    }
    let v: serde_json::Value = msg
        .payload()
        .and_then(|p| serde_json::from_slice(p).ok())
        .unwrap_or_default();
    let reasons: Vec<String> = v["reasons"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| match r["evidence"]["matched"].as_str() {
                    Some(m) if r["code"] == "prohibited_term" => format!(
                        "{} ({}: {m:?})",
                        r["code"].as_str().unwrap_or(""),
                        r["category"].as_str().unwrap_or("")
                    ),
                    _ => r["code"].as_str().unwrap_or("").to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    format!(
        "{}: {}",
        v["event_id"].as_str().unwrap_or(&key),
        reasons.join(", ")
    )
}
