//! The console's relay (`src/console/relay.rs`): verdicts from the store's outbox to the approved
//! and rejected topics plus an audit record each, exactly once, against the real Kafka broker
//! started by `scripts/test.sh` (`SYNTH_REVIEW_TEST_BROKERS`) and a real store (every test on
//! SQLite and on PostgreSQL, [`common::TestDb`]).
//!
//! - in-process relays: a crash after the Kafka commit and before the store's mark, a crash after
//!   a batch was taken and before it was produced, two relays at once under one transactional id;
//! - `kill -9` of `synth-review console` processes at random points while verdicts are given.
//!
//! Every check reads the topics with `read_committed` to their end: each verdict id appears
//! exactly once in its decision's topic and once in the audit topic, and nowhere else. Every wait
//! polls a condition until a deadline; none sleeps a fixed time.

pub mod common;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use synth_review::config::KafkaConfig;
use synth_review::console::relay::{missing_topics, VERDICT_ID_HEADER};
use synth_review::console::{
    run_relay, HeldItem, RelayMetrics, RelaySettings, RelaySummary, Role, Store, Verdict,
    VerdictInput,
};
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use common::wait::Watched;
use common::{brokers, unique, ConsoleConfig, ConsoleProcess, TestDb};

/// How long any one condition may take to hold.
const DEADLINE: Duration = Duration::from_secs(120);

// ------------------------------------------------------------------ topics --

struct Topics {
    prefix: String,
    held: String,
    approved: String,
    rejected: String,
    audit: String,
}

impl Topics {
    async fn create(name: &str) -> Topics {
        Topics::create_with(name, None).await
    }

    /// With `approved_max`, the approved topic's `max.message.bytes`.
    async fn create_with(name: &str, approved_max: Option<usize>) -> Topics {
        let prefix = unique(name);
        let t = Topics {
            held: format!("{prefix}.held"),
            approved: format!("{prefix}.approved"),
            rejected: format!("{prefix}.rejected"),
            audit: format!("{prefix}.audit"),
            prefix,
        };
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", brokers())
            .create()
            .expect("admin client");
        let max = approved_max.map(|m| m.to_string());
        let new: Vec<_> = [&t.held, &t.approved, &t.rejected, &t.audit]
            .iter()
            .map(|n| {
                let topic = NewTopic::new(n, 2, TopicReplication::Fixed(1));
                match &max {
                    Some(m) if *n == &t.approved => topic.set("max.message.bytes", m),
                    _ => topic,
                }
            })
            .collect();
        for r in admin
            .create_topics(
                &new,
                &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
            )
            .await
            .expect("create topics")
        {
            r.expect("topic created");
        }
        t
    }

    fn settings(&self) -> RelaySettings {
        RelaySettings {
            kafka: KafkaConfig {
                brokers: brokers(),
                transaction_timeout_ms: 10_000,
                ..KafkaConfig::default()
            },
            transactional_id: format!("{}-relay", self.prefix),
            checkpoint_group: format!("{}-relay-checkpoint", self.prefix),
            approved_topic: self.approved.clone(),
            rejected_topic: self.rejected.clone(),
            audit_topic: self.audit.clone(),
            user_actions_topic: format!("{}.user-actions", self.prefix),
            complaint_results_topic: format!("{}.complaint-results", self.prefix),
            refuted_claims_topic: format!("{}.refuted-claims", self.prefix),
            console_id: "console-test".into(),
            batch_max: 7,
            poll_interval: Duration::from_millis(20),
        }
    }
}

/// A record read back: its key, its verdict id header and its JSON value.
#[derive(Debug, Clone)]
struct Read {
    key: String,
    verdict_id: i64,
    value: serde_json::Value,
}

/// Every committed record of `topic` (all partitions), read with `read_committed` from the
/// beginning to the end of each partition.
fn read_topic(topic: &str) -> Result<Vec<Read>, String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("group.id", unique("relay-reader"))
        .set("isolation.level", "read_committed")
        .set("enable.auto.commit", "false")
        .create()
        .map_err(|e| e.to_string())?;
    let md = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .map_err(|e| e.to_string())?;
    let partitions: Vec<i32> = md.topics()[0].partitions().iter().map(|p| p.id()).collect();
    let mut tpl = TopicPartitionList::new();
    let mut ends = BTreeMap::new();
    for &p in &partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .map_err(|e| e.to_string())?;
        let (_, high) = consumer
            .fetch_watermarks(topic, p, Duration::from_secs(10))
            .map_err(|e| e.to_string())?;
        ends.insert(p, high);
    }
    consumer.assign(&tpl).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let start = Instant::now();
    // With read_committed, a partition is read to its end once the position reaches the high
    // watermark (the last offset may be a transaction marker, skipped by the consumer).
    let done = |c: &BaseConsumer| -> bool {
        let pos = c.position().unwrap_or_default();
        ends.iter().all(|(&p, &high)| {
            high == 0
                || matches!(pos.find_partition(topic, p).map(|e| e.offset()),
                    Some(Offset::Offset(o)) if o >= high)
        })
    };
    while !done(&consumer) {
        if start.elapsed() > Duration::from_secs(60) {
            return Err(format!("{topic}: not read to its end {ends:?} within 60 s"));
        }
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                let verdict_id = m
                    .headers()
                    .and_then(|h| h.iter().find(|h| h.key == VERDICT_ID_HEADER))
                    .and_then(|h| h.value)
                    .and_then(|v| std::str::from_utf8(v).ok()?.parse().ok())
                    .ok_or_else(|| format!("{topic}: a record without {VERDICT_ID_HEADER}"))?;
                out.push(Read {
                    key: String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned(),
                    verdict_id,
                    value: serde_json::from_slice(m.payload().unwrap_or_default())
                        .map_err(|e| format!("{topic}: not JSON: {e}"))?,
                });
            }
            Some(Err(e)) => return Err(format!("{topic}: {e}")),
            None => {}
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------ verdicts --

/// What the store says was decided: verdict id → (event id, decision, moderator).
type Given = BTreeMap<i64, (String, Verdict, String)>;

fn held_record(event_id: &str) -> Vec<u8> {
    serde_json::json!({
        "event_id": event_id,
        "decision": "hold",
        "reasons": [{"stage": "prohibited", "code": "prohibited_term", "category": "gambling",
                     "action": "hold", "article": "Art. 10"}],
        "actions": [],
        "pipeline": "default",
        "pipeline_version": "1",
        "lexicon_version": "test",
        "reviewed_at": "2026-12-07T10:00:00Z",
        "event": {"event_id": event_id, "user": {"id": "u1", "identity_verified": true}},
    })
    .to_string()
    .into_bytes()
}

/// Stores held items `prefix-from..prefix-to`.
async fn insert_items(store: &Store, prefix: &str, range: std::ops::Range<usize>) {
    for i in range {
        let id = format!("{prefix}-{i:04}");
        let item = HeldItem::from_record(&held_record(&id), 0).unwrap();
        store
            .insert_item(&item, OffsetDateTime::now_utc())
            .await
            .unwrap();
    }
}

/// Claims and decides every queued item (even ones approved, odd ones rejected, by one of two
/// moderators); returns what was given.
async fn decide_all(store: &Store, given: &mut Given) {
    let now = OffsetDateTime::now_utc();
    let items = store
        .queue(&Default::default(), 100_000, now)
        .await
        .unwrap();
    for item in items {
        decide(store, item.item_id, &item.event_id, given).await;
    }
}

async fn decide(store: &Store, item_id: i64, event_id: &str, given: &mut Given) {
    let now = OffsetDateTime::now_utc();
    let moderator = if item_id % 3 == 0 { "mod-b" } else { "mod-a" };
    let lease = store
        .claim(
            item_id,
            moderator,
            Role::Moderator,
            Duration::from_secs(60),
            now,
        )
        .await
        .unwrap();
    let verdict = if item_id % 2 == 0 {
        Verdict::Approve
    } else {
        Verdict::Reject
    };
    let id = store
        .decide(
            item_id,
            &lease.token,
            moderator,
            &VerdictInput {
                verdict,
                reason_code: "checked",
                note: Some("relay test"),
            },
            now,
        )
        .await
        .unwrap();
    given.insert(id, (event_id.to_owned(), verdict, moderator.to_owned()));
}

/// Checks the topics against `given`: every verdict once in its decision's topic, with
/// `reviewed_by` naming its moderator, and once in the audit topic; nothing else.
fn check_exactly_once(t: &Topics, given: &Given) -> Result<(), String> {
    let approved = read_topic(&t.approved)?;
    let rejected = read_topic(&t.rejected)?;
    let audit = read_topic(&t.audit)?;
    let mut seen: BTreeMap<i64, (usize, usize)> = BTreeMap::new();
    for (records, verdict) in [(&approved, Verdict::Approve), (&rejected, Verdict::Reject)] {
        for r in records {
            let Some((event_id, want, moderator)) = given.get(&r.verdict_id) else {
                return Err(format!(
                    "verdict {} in the topics was never given",
                    r.verdict_id
                ));
            };
            if *want != verdict || r.key != *event_id {
                return Err(format!(
                    "verdict {} in the wrong topic or key: {r:?}",
                    r.verdict_id
                ));
            }
            if r.value["reviewed_by"]["id"] != moderator.as_str()
                || r.value["decision"] != verdict.as_str()
                || r.value["reviewed_by"]["verdict_id"] != r.verdict_id
            {
                return Err(format!("verdict {}: record {}", r.verdict_id, r.value));
            }
            seen.entry(r.verdict_id).or_default().0 += 1;
        }
    }
    for r in &audit {
        if r.value["reviewed_by"]["id"].as_str().is_none() {
            return Err(format!("audit record without a moderator: {}", r.value));
        }
        seen.entry(r.verdict_id).or_default().1 += 1;
    }
    let wrong: Vec<_> = seen.iter().filter(|(_, &n)| n != (1, 1)).collect();
    let missing: Vec<_> = given.keys().filter(|id| !seen.contains_key(id)).collect();
    if !wrong.is_empty() || !missing.is_empty() {
        return Err(format!(
            "(decision, audit) counts other than once: {wrong:?}; missing: {missing:?} \
             ({} given)",
            given.len()
        ));
    }
    Ok(())
}

async fn wait<T, F, Fut>(what: &str, mut condition: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let start = Instant::now();
    loop {
        match condition().await {
            Ok(v) => return v,
            Err(last) if start.elapsed() > DEADLINE => {
                panic!("timed out after {DEADLINE:?} waiting for {what}; last: {last}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Waits until the console answers `/healthz`; fails at once, with its log, if it ended.
async fn wait_healthy(console: &ConsoleProcess) {
    let url = format!("127.0.0.1:{}", console.metrics_port);
    wait("the console to answer /healthz", || async {
        if let Some(how) = console.ended() {
            panic!("the console ended ({how}): {}", console.log_text());
        }
        let mut stream = tokio::net::TcpStream::connect(&url)
            .await
            .map_err(|e| e.to_string())?;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream
            .write_all(b"GET /healthz HTTP/1.0\r\n\r\n")
            .await
            .map_err(|e| e.to_string())?;
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .await
            .map_err(|e| e.to_string())?;
        if answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200") {
            Ok(())
        } else {
            Err(answer)
        }
    })
    .await
}

async fn wait_outbox_empty(store: &Store) {
    wait("the outbox to be empty", || async {
        let s = store
            .queue_stats(OffsetDateTime::now_utc())
            .await
            .map_err(|e| e.to_string())?;
        if s.outbox_pending == 0 {
            Ok(())
        } else {
            Err(format!("{} pending", s.outbox_pending))
        }
    })
    .await
}

async fn check(t: &Topics, given: &Given) {
    let t = Topics {
        prefix: t.prefix.clone(),
        held: t.held.clone(),
        approved: t.approved.clone(),
        rejected: t.rejected.clone(),
        audit: t.audit.clone(),
    };
    let given = given.clone();
    tokio::task::spawn_blocking(move || check_exactly_once(&t, &given))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"));
}

// ------------------------------------------------------------------ relays in-process --

struct Relay {
    task: JoinHandle<RelaySummary>,
    stop: oneshot::Sender<()>,
    metrics: RelayMetrics,
}

impl Relay {
    fn start(store: &Store, settings: RelaySettings) -> Relay {
        let metrics = RelayMetrics::new();
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn({
            let (store, metrics) = (store.clone(), metrics.clone());
            async move {
                run_relay(store, &settings, metrics, async {
                    let _ = stopped.await;
                })
                .await
                .expect("relay settings")
            }
        });
        Relay {
            task,
            stop,
            metrics,
        }
    }

    async fn stop(self) -> RelaySummary {
        let _ = self.stop.send(());
        tokio::time::timeout(DEADLINE, self.task)
            .await
            .expect("the relay stops")
            .unwrap()
    }
}

/// Sets every verdict back to pending as if the relay had died after its Kafka commits and
/// before marking them in the store (their batch numbers stay).
async fn forget_marks(db: &TestDb) {
    use sqlx::Executor;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    pool.execute("UPDATE verdicts SET relayed_at = NULL")
        .await
        .unwrap();
    pool.close().await;
}

/// Verdicts reach their topics once with the moderator; a relay that died between its Kafka
/// commit and the store's mark is settled on start, not repeated; a batch taken before a crash
/// and never produced is produced once.
async fn crashes_around_the_commit_neither_lose_nor_repeat(db: &TestDb) {
    logs();
    let t = Topics::create("relay-a").await;
    let mut given = Given::new();
    insert_items(&db.store, "a", 0..20).await;
    decide_all(&db.store, &mut given).await;

    let relay = Relay::start(&db.store, t.settings());
    wait_outbox_empty(&db.store).await;
    assert_eq!(relay.metrics.relayed(), 20);
    let first = relay.stop().await;
    assert_eq!((first.relayed, first.settled), (20, 0));
    check(&t, &given).await;

    // A crash after the commits and before the marks.
    forget_marks(db).await;
    // A crash after a batch was taken (numbered) and before it was produced.
    insert_items(&db.store, "b", 0..5).await;
    decide_all(&db.store, &mut given).await;
    let epoch = db.store.begin_relay_epoch().await.unwrap();
    let taken = db
        .store
        .take_relay_batch(epoch, 1, 3)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.verdicts.len(), 3);

    let relay = Relay::start(&db.store, t.settings());
    wait_outbox_empty(&db.store).await;
    let second = relay.stop().await;
    assert_eq!(
        second.settled, 20,
        "the committed batches were marked, not produced"
    );
    assert_eq!(second.relayed, 5);
    check(&t, &given).await;
}

/// Two relays under one transactional id at once, while verdicts keep coming: each start fences
/// the other, and every verdict still reaches the topics once.
async fn two_relays_fence_each_other(db: &TestDb) {
    logs();
    let t = Topics::create("relay-b").await;
    let mut given = Given::new();
    let one = Relay::start(&db.store, t.settings());
    let mut two = None;
    for round in 0..6 {
        insert_items(&db.store, &format!("r{round}"), 0..6).await;
        decide_all(&db.store, &mut given).await;
        if round == 2 {
            two = Some(Relay::start(&db.store, t.settings()));
        }
        wait_outbox_empty(&db.store).await;
    }
    let (a, b) = (one.stop().await, two.expect("started").stop().await);
    assert_eq!(a.relayed + b.relayed, given.len() as u64, "{a:?} {b:?}");
    check(&t, &given).await;
}

/// A verdict whose decision record would exceed its topic's `max.message.bytes` (a held record
/// near the limit) is produced without the embedded event instead of stalling the outbox; the
/// verdicts after it follow.
async fn a_verdict_too_large_for_its_topic_goes_without_the_event(db: &TestDb) {
    logs();
    let t = Topics::create_with("relay-big", Some(4096)).await;
    let mut given = Given::new();
    let mut record: serde_json::Value = serde_json::from_slice(&held_record("big-0")).unwrap();
    record["event"]["content"] = serde_json::json!({"kind": "text", "text": "长".repeat(3000)});
    let item = HeldItem::from_record(record.to_string().as_bytes(), 0).unwrap();
    db.store
        .insert_item(&item, OffsetDateTime::now_utc())
        .await
        .unwrap();
    insert_items(&db.store, "small", 0..6).await;
    // Approve them all, so that every decision record goes to the small topic.
    let now = OffsetDateTime::now_utc();
    for item in db.store.queue(&Default::default(), 100, now).await.unwrap() {
        let lease = db
            .store
            .claim(
                item.item_id,
                "mod-a",
                Role::Moderator,
                Duration::from_secs(60),
                now,
            )
            .await
            .unwrap();
        let input = VerdictInput {
            verdict: Verdict::Approve,
            reason_code: "fine",
            note: None,
        };
        let id = db
            .store
            .decide(item.item_id, &lease.token, "mod-a", &input, now)
            .await
            .unwrap();
        given.insert(id, (item.event_id, Verdict::Approve, "mod-a".into()));
    }
    let relay = Relay::start(&db.store, t.settings());
    wait_outbox_empty(&db.store).await;
    relay.stop().await;
    check(&t, &given).await;
    let approved = tokio::task::spawn_blocking({
        let topic = t.approved.clone();
        move || read_topic(&topic)
    })
    .await
    .unwrap()
    .unwrap();
    let big = approved
        .iter()
        .find(|r| r.key == "big-0")
        .expect("the big one");
    assert!(big.value["event"]["omitted"].is_string(), "{}", big.value);
    let small = approved
        .iter()
        .find(|r| r.key == "small-0000")
        .expect("a small one");
    assert!(
        small.value["event"]["user"].is_object(),
        "the others keep their event"
    );
}

// ------------------------------------------------------------------ kill -9 --

/// A moderator of the console under test, speaking HTTP to its web application: a cookie jar
/// whose session lives in the store, so it outlives the console processes.
struct Moderator {
    http: reqwest::Client,
}

const MODERATOR: &str = "mod-kill";
const MODERATOR_PASSWORD: &str = "kill nine moderator password";

fn hidden(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html.find(&needle)? + needle.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

impl Moderator {
    fn new() -> Moderator {
        Moderator {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
        }
    }

    /// Logs in at the console on `port`.
    async fn login(&self, port: u16) -> Result<(), String> {
        let base = format!("http://127.0.0.1:{port}");
        let page = self
            .http
            .get(format!("{base}/login"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if page.status().is_redirection() {
            // The session (in the store) outlived the console that gave it.
            return Ok(());
        }
        let html = page.text().await.map_err(|e| e.to_string())?;
        let csrf =
            hidden(&html, "csrf").ok_or_else(|| format!("no csrf on the login page: {html}"))?;
        let r = self
            .http
            .post(format!("{base}/login"))
            .form(&[
                ("name", MODERATOR),
                ("password", MODERATOR_PASSWORD),
                ("csrf", &csrf),
                ("next", "/queue"),
            ])
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if r.status() == reqwest::StatusCode::SEE_OTHER {
            Ok(())
        } else {
            Err(format!("login: {}", r.status()))
        }
    }

    /// Opens item `id` (claims it) and gives its verdict, as the item page's form does. An
    /// error is what the test expects when the console is killed meanwhile.
    async fn decide(&self, port: u16, id: i64, verdict: Verdict) -> Result<(), String> {
        let base = format!("http://127.0.0.1:{port}");
        let page = self.http.get(format!("{base}/item/{id}")).send().await;
        let html = page
            .map_err(|e| e.to_string())?
            .text()
            .await
            .map_err(|e| e.to_string())?;
        let (Some(csrf), Some(token)) = (hidden(&html, "csrf"), hidden(&html, "token")) else {
            return Err(format!("item {id}: no form (decided already?)"));
        };
        let r = self
            .http
            .post(format!("{base}/item/{id}/decide"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("token", token.as_str()),
                ("verdict", verdict.as_str()),
                // A reason code the item page offers (others are refused).
                (
                    "reason_code",
                    match verdict {
                        Verdict::Approve => "no_violation",
                        Verdict::Reject => "confirmed_violation",
                    },
                ),
                ("note", "kill -9 test"),
            ])
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if r.status() == reqwest::StatusCode::SEE_OTHER {
            Ok(())
        } else {
            let status = r.status();
            Err(format!(
                "item {id}: {status}: {}",
                r.text().await.unwrap_or_default()
            ))
        }
    }
}

/// What the store says was decided (the truth after the kills: a verdict whose request died
/// with the console may or may not have been stored).
async fn decided(store: &Store, ids: &[(i64, String)]) -> Given {
    let mut given = Given::new();
    for (id, event_id) in ids {
        let item = store
            .item(*id, OffsetDateTime::now_utc())
            .await
            .unwrap()
            .unwrap();
        if let Some(v) = item.verdict {
            given.insert(v.verdict_id, (event_id.clone(), v.verdict, v.moderator));
        }
    }
    given
}

/// `kill -9` of the console process at random moments while a moderator gives verdicts through
/// its web application: after each kill a new console starts on the same store (the session
/// survives); at the end every verdict the store holds is in the topics exactly once. The seed is
/// printed (set `SYNTH_REVIEW_TEST_SEED` to repeat a run).
async fn kill_9_while_verdicts_are_given(db: &TestDb) {
    logs();
    const KILLS: usize = 6;
    const ITEMS: usize = 120;
    let t = Topics::create("relay-kill").await;
    let dir = tempfile::tempdir().unwrap();
    let config = ConsoleConfig {
        store: db.url.clone(),
        held: t.held.clone(),
        approved: t.approved.clone(),
        rejected: t.rejected.clone(),
        audit: t.audit.clone(),
        prefix: t.prefix.clone(),
        intake: false,
        batch_max: 5,
        user_actions: None,
    }
    .write(dir.path());
    let seed: u64 = std::env::var("SYNTH_REVIEW_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("kill_9_while_verdicts_are_given: seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let hash = synth_review::console::auth::hash_password(MODERATOR_PASSWORD).unwrap();
    db.store
        .add_account(
            MODERATOR,
            Role::Moderator,
            Some(&hash),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    insert_items(&db.store, "k", 0..ITEMS).await;
    let ids: Vec<(i64, String)> = db
        .store
        .queue(&Default::default(), 100_000, OffsetDateTime::now_utc())
        .await
        .unwrap()
        .into_iter()
        .map(|i| (i.item_id, i.event_id))
        .collect();
    let moderator = Moderator::new();
    let mut next = 0;
    let mut interrupted = 0;
    for kill in 0..=KILLS {
        let console = ConsoleProcess::start(&config);
        wait_healthy(&console).await;
        moderator
            .login(console.web_port)
            .await
            .unwrap_or_else(|e| panic!("login at console {kill}: {e}\n{}", console.log_text()));
        if kill == KILLS {
            // The last console: the rest of the verdicts, then it relays everything.
            for (id, _) in &ids[next..] {
                let verdict = if id % 2 == 0 {
                    Verdict::Approve
                } else {
                    Verdict::Reject
                };
                moderator
                    .decide(console.web_port, *id, verdict)
                    .await
                    .unwrap_or_else(|e| panic!("{e}\n{}", console.log_text()));
            }
            wait("the last console to relay every verdict", || async {
                if let Some(how) = console.ended() {
                    panic!("the console ended ({how}): {}", console.log_text());
                }
                let s = db
                    .store
                    .queue_stats(OffsetDateTime::now_utc())
                    .await
                    .map_err(|e| e.to_string())?;
                match (s.outbox_pending, s.queued + s.claimed) {
                    (0, 0) => Ok(()),
                    (p, q) => Err(format!("{p} verdicts pending, {q} items undecided")),
                }
            })
            .await;
            assert!(console.terminate(), "the last console stops cleanly");
            break;
        }
        // Up to a random number of verdicts, killed at a random moment (0.05 to 0.8 s after the
        // console answered) or right after them:
        // in the middle of a request, a store transaction or a relay batch.
        let kill_after = Duration::from_millis(rng.gen_range(50..800));
        let quota = (next + rng.gen_range(10..25)).min(ids.len() - 10);
        let give = async {
            while next < quota {
                let (id, _) = &ids[next];
                let verdict = if id % 2 == 0 {
                    Verdict::Approve
                } else {
                    Verdict::Reject
                };
                if moderator
                    .decide(console.web_port, *id, verdict)
                    .await
                    .is_err()
                {
                    break;
                }
                next += 1;
            }
        };
        tokio::select! {
            () = give => {}
            () = tokio::time::sleep(kill_after) => { interrupted += 1; }
        }
        assert!(
            console.ended().is_none(),
            "the console died on its own (before kill {kill}): {}",
            console.log_text()
        );
        console.kill9();
        // The item being decided when the kill came may be decided or not: the store says.
        if let Some((id, _)) = ids.get(next) {
            let item = db
                .store
                .item(*id, OffsetDateTime::now_utc())
                .await
                .unwrap()
                .unwrap();
            if item.verdict.is_some() {
                next += 1;
            }
        }
    }
    let given = decided(&db.store, &ids).await;
    assert_eq!(given.len(), ITEMS, "every item was decided once");
    eprintln!(
        "kill_9_while_verdicts_are_given: {} verdicts through the web application, {KILLS} \
         kills ({interrupted} in the middle of the verdicts)",
        given.len()
    );
    check(&t, &given).await;
}

/// The relay names the topics it writes that do not exist, which its failure log says
/// (librdkafka's error does not): here the three this test's topics leave out.
#[tokio::test]
async fn missing_output_topics_are_named() {
    let t = Topics::create("relay-missing").await;
    let s = t.settings();
    assert_eq!(
        missing_topics(&s).await,
        [
            s.user_actions_topic.clone(),
            s.complaint_results_topic.clone(),
            s.refuted_claims_topic.clone()
        ]
    );
}

// ------------------------------------------------------------------ harness --

/// The in-process relays' logs, in the test's captured output (shown when it fails).
fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("info")
        .try_init();
}

crate::backend_tests! {
    2;
    crashes_around_the_commit_neither_lose_nor_repeat,
    two_relays_fence_each_other,
    a_verdict_too_large_for_its_topic_goes_without_the_event,
    kill_9_while_verdicts_are_given,
}
