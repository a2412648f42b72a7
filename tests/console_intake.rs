//! The console's intake (`src/console/intake.rs`) against the real Kafka broker started by
//! `scripts/test.sh` (`SYNTH_REVIEW_TEST_BROKERS`; without it every test fails) and a real store:
//! every test function runs once on SQLite (a file in a temp dir) and once on PostgreSQL (a
//! database of its own in the server `SYNTH_REVIEW_TEST_POSTGRES` names; without that variable
//! the PostgreSQL variants fail under CI (`CI=true`) and are skipped with a notice elsewhere).
//!
//! Every wait polls a condition until a deadline; none sleeps a fixed time.

pub mod common;

use std::collections::BTreeSet;
use std::future::Future;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use synth_review::config::KafkaConfig;
use synth_review::console::{
    run_intake, HeldItem, Inserted, IntakeError, IntakeMetrics, IntakeSettings, IntakeSummary,
    QueueFilter, Store,
};
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use common::{brokers, committed_vs_end, unique, TestDb};

/// How long any one condition may take to hold.
const DEADLINE: Duration = Duration::from_secs(90);

// ------------------------------------------------------------------ records --

/// A held decision record as the worker writes it.
fn record(event_id: &str) -> Vec<u8> {
    decision_record(event_id, "hold")
}

fn decision_record(event_id: &str, decision: &str) -> Vec<u8> {
    serde_json::json!({
        "event_id": event_id,
        "decision": decision,
        "reasons": [{"stage": "prohibited", "code": "prohibited_term", "category": "gambling",
                     "action": "hold", "article": "Art. 10"}],
        "actions": [],
        "pipeline": "default",
        "pipeline_version": "1",
        "lexicon_version": "test",
        "reviewed_at": "2026-12-03T10:00:00Z",
        "event": {"event_id": event_id, "user": {"id": "u1", "identity_verified": true}},
    })
    .to_string()
    .into_bytes()
}

// ------------------------------------------------------------------ Kafka --

/// Creates `topic` with `partitions` and waits until it exists.
async fn create_topic(topic: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .expect("admin client");
    let res = admin
        .create_topics(
            &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
        )
        .await
        .expect("create topic");
    for r in res {
        r.expect("topic created");
    }
}

/// Produces each `(key, value)` in order and waits for every acknowledgement. Records of one key
/// go to one partition, in order.
async fn produce(topic: &str, records: &[(String, Vec<u8>)]) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    let acks: Vec<_> = records
        .iter()
        .map(|(key, value)| {
            producer
                .send_result(FutureRecord::to(topic).key(key).payload(value))
                .expect("enqueue")
        })
        .collect();
    for a in acks {
        a.await.expect("not canceled").expect("delivered");
    }
}

/// Held records of `ids`, keyed by event id.
fn held(ids: &[String]) -> Vec<(String, Vec<u8>)> {
    ids.iter().map(|id| (id.clone(), record(id))).collect()
}

fn ids(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("{prefix}-{i:04}")).collect()
}

/// `(committed, end)` offsets of `group` per partition of `topic` (read with a consumer's
/// `committed_offsets` and the partitions' high watermarks).
async fn offsets(group: &str, topic: &str, partitions: i32) -> Vec<(i64, i64)> {
    let (group, topic) = (group.to_owned(), topic.to_owned());
    tokio::task::spawn_blocking(move || committed_vs_end(&group, &topic, partitions))
        .await
        .unwrap()
}

/// Waits until the committed offsets of `group` are the end of every partition of `topic`,
/// which holds `total` messages.
async fn wait_committed(group: &str, topic: &str, partitions: i32, total: i64) {
    wait(
        &format!("group {group} to commit the end of {topic} ({total} messages)"),
        || async {
            let o = offsets(group, topic, partitions).await;
            if o.iter().all(|(c, e)| c == e) && o.iter().map(|(_, e)| e).sum::<i64>() == total {
                Ok(())
            } else {
                Err(format!("(committed, end) per partition: {o:?}"))
            }
        },
    )
    .await
}

// ------------------------------------------------------------------ waiting --

/// Polls `condition` every 100 ms until it is `Ok`; panics with its last `Err` after
/// [`DEADLINE`].
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

/// The event ids of the store's queue.
async fn queued(store: &Store) -> Vec<String> {
    store
        .queue(&QueueFilter::default(), 100_000, OffsetDateTime::now_utc())
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.event_id)
        .collect()
}

/// Waits until the queue holds exactly `n` items and returns their event ids (sorted).
async fn wait_queued(store: &Store, n: usize) -> Vec<String> {
    wait_for_queue(None, store, n).await
}

/// [`wait_queued`] while `intake` runs: fails at once when its task has ended, and says what it
/// counted so far.
async fn wait_stored(intake: &Intake, store: &Store, n: usize) -> Vec<String> {
    wait_for_queue(Some(intake), store, n).await
}

async fn wait_for_queue(intake: Option<&Intake>, store: &Store, n: usize) -> Vec<String> {
    wait(&format!("{n} queued items"), || async {
        let mut q = queued(store).await;
        if let Some(intake) = intake {
            assert!(
                !intake.task.is_finished(),
                "the intake ended while {n} queued items were awaited ({} queued)",
                q.len()
            );
        }
        if q.len() == n {
            q.sort();
            return Ok(q);
        }
        Err(match intake.map(|i| &i.metrics) {
            Some(m) => format!(
                "{} queued; the intake counted {} new, {} duplicates, {} invalid, {} store retries",
                q.len(),
                m.new_items(),
                m.duplicates(),
                m.invalid(),
                m.store_retries()
            ),
            None => format!("{} queued", q.len()),
        })
    })
    .await
}

/// The in-process parts' logs (the intake's and librdkafka's), in the test's captured output,
/// shown when it fails.
fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("info,synth_review::console::intake=debug")
        .try_init();
}

// ------------------------------------------------------------------ the intake --

/// A running intake: a task of its own with a shutdown signal.
struct Intake {
    task: JoinHandle<Result<IntakeSummary, IntakeError>>,
    stop: oneshot::Sender<()>,
    metrics: IntakeMetrics,
}

impl Intake {
    fn start(store: &Store, group: &str, topic: &str) -> Intake {
        let mut kafka = KafkaConfig {
            brokers: brokers(),
            commit_interval_ms: 200,
            ..KafkaConfig::default()
        };
        kafka
            .options
            .insert("session.timeout.ms".into(), "6000".into());
        let settings = IntakeSettings {
            kafka,
            group_id: group.to_owned(),
            topic: topic.to_owned(),
        };
        let metrics = IntakeMetrics::new();
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn({
            let (store, metrics) = (store.clone(), metrics.clone());
            async move {
                run_intake(store, &settings, metrics, async {
                    let _ = stopped.await;
                })
                .await
            }
        });
        Intake {
            task,
            stop,
            metrics,
        }
    }

    /// Shuts it down (the final commit included) and returns what it did.
    async fn stop(self) -> IntakeSummary {
        let _ = self.stop.send(());
        tokio::time::timeout(DEADLINE, self.task)
            .await
            .expect("the intake stops")
            .unwrap()
            .expect("the intake ends without error")
    }

    /// Ends it abruptly, as a crash would: the task is dropped where it is, with no final
    /// commit.
    async fn kill(self) {
        self.task.abort();
        assert!(self.task.await.unwrap_err().is_cancelled());
    }
}

// ------------------------------------------------------------------ the tests --

/// (a) + (b): records produced twice (a redelivery of the same event id and round) are stored
/// once; after a clean stop the group's committed offsets are the end of every partition, and a
/// restarted intake reads nothing again (no duplicates, only the new records).
async fn redeliveries_are_stored_once_and_offsets_committed(db: &TestDb) {
    logs();
    const PARTITIONS: i32 = 3;
    let prefix = unique("intake-a");
    let (topic, group) = (format!("{prefix}.held"), format!("{prefix}-console"));
    create_topic(&topic, PARTITIONS).await;
    let first = ids("e", 0..30);
    let mut msgs = held(&first);
    // Every third record again.
    msgs.extend(held(&first.iter().step_by(3).cloned().collect::<Vec<_>>()));
    produce(&topic, &msgs).await;
    assert_eq!(msgs.len(), 40);

    let intake = Intake::start(&db.store, &group, &topic);
    assert_eq!(wait_stored(&intake, &db.store, 30).await, first);
    wait_committed(&group, &topic, PARTITIONS, 40).await;
    let summary = intake.stop().await;
    assert_eq!(
        (summary.new_items, summary.duplicates, summary.invalid),
        (30, 10, 0),
        "{summary:?}"
    );
    assert_eq!(queued(&db.store).await.len(), 30);
    let after_stop = offsets(&group, &topic, PARTITIONS).await;
    assert!(
        after_stop.iter().all(|(c, e)| c == e),
        "committed offsets after the stop: {after_stop:?}"
    );

    // Restart with 5 new records: only those are read.
    let second = ids("f", 0..5);
    produce(&topic, &held(&second)).await;
    let intake = Intake::start(&db.store, &group, &topic);
    let q = wait_stored(&intake, &db.store, 35).await;
    wait_committed(&group, &topic, PARTITIONS, 45).await;
    let summary = intake.stop().await;
    assert_eq!(
        (summary.new_items, summary.duplicates, summary.invalid),
        (5, 0, 0),
        "the restarted intake read only the new records: {summary:?}"
    );
    let expected: BTreeSet<String> = first.iter().chain(&second).cloned().collect();
    assert_eq!(q.into_iter().collect::<BTreeSet<_>>(), expected);
}

/// (c) A crash between the insert and the commit: records the store has but whose offsets were
/// never committed are delivered again and answered as duplicates. First simulated exactly (a
/// previous intake inserted 8 records and died before committing), then by dropping the intake
/// task mid-stream (no final commit of its own; closing the dropped consumer may still commit
/// what was stored, so the counts are computed from the offsets found committed afterwards) and
/// starting it again.
async fn crash_before_commit_redelivers_as_duplicates(db: &TestDb) {
    logs();
    const PARTITIONS: i32 = 2;
    let prefix = unique("intake-c");
    let (topic, group) = (format!("{prefix}.held"), format!("{prefix}-console"));
    create_topic(&topic, PARTITIONS).await;
    let first = ids("e", 0..20);
    produce(&topic, &held(&first)).await;
    for id in &first[..8] {
        let item = HeldItem::from_record(&record(id), 0).unwrap();
        assert!(matches!(
            db.store
                .insert_item(&item, OffsetDateTime::now_utc())
                .await
                .unwrap(),
            Inserted::New(_)
        ));
    }
    let intake = Intake::start(&db.store, &group, &topic);
    wait_committed(&group, &topic, PARTITIONS, 20).await;
    let summary = intake.stop().await;
    assert_eq!(
        (summary.new_items, summary.duplicates),
        (12, 8),
        "{summary:?}"
    );
    assert_eq!(wait_queued(&db.store, 20).await, first);

    // Killed mid-stream.
    let second = ids("f", 0..300);
    let intake = Intake::start(&db.store, &group, &topic);
    let producing = {
        let (topic, msgs) = (topic.clone(), held(&second));
        tokio::spawn(async move { produce(&topic, &msgs).await })
    };
    wait("the intake to store part of the second batch", || async {
        let n = queued(&db.store).await.len();
        if n >= 20 + 30 {
            Ok(())
        } else {
            Err(format!("{n} queued"))
        }
    })
    .await;
    intake.kill().await;
    producing.await.unwrap();
    let stored_at_kill = queued(&db.store).await.len();
    let committed_at_kill: i64 = offsets(&group, &topic, PARTITIONS)
        .await
        .iter()
        .map(|(c, _)| (*c).max(0))
        .sum();
    eprintln!(
        "killed with {stored_at_kill} items stored and {committed_at_kill} of 320 offsets committed"
    );

    let intake = Intake::start(&db.store, &group, &topic);
    let q = wait_stored(&intake, &db.store, 320).await;
    wait_committed(&group, &topic, PARTITIONS, 320).await;
    let summary = intake.stop().await;
    // Everything read again after the last commit that the store had is a duplicate; nothing is
    // stored twice and nothing is missing.
    assert_eq!(
        summary.new_items as usize,
        320 - stored_at_kill,
        "{summary:?}"
    );
    assert_eq!(
        summary.new_items + summary.duplicates,
        320 - committed_at_kill as u64
    );
    let expected: BTreeSet<String> = first.iter().chain(&second).cloned().collect();
    assert_eq!(q.into_iter().collect::<BTreeSet<_>>(), expected);
}

/// (d) Messages that are not held decision records (not JSON, JSON without `event_id`, an
/// approve record, an empty value) between valid ones: nothing is stored for them, they are
/// counted, and the valid records after them are stored (the partition does not stall).
async fn invalid_records_are_counted_and_passed(db: &TestDb) {
    logs();
    let prefix = unique("intake-d");
    let (topic, group) = (format!("{prefix}.held"), format!("{prefix}-console"));
    create_topic(&topic, 1).await;
    let k = |s: &str| s.to_owned();
    let msgs = vec![
        (k("v1"), record("v1")),
        (k("x1"), b"not json {".to_vec()),
        (k("v2"), record("v2")),
        (k("x2"), br#"{"decision":"hold","reasons":[]}"#.to_vec()),
        (k("x3"), decision_record("x3", "approve")),
        (k("x4"), Vec::new()),
        (k("v3"), record("v3")),
    ];
    produce(&topic, &msgs).await;
    let intake = Intake::start(&db.store, &group, &topic);
    wait_committed(&group, &topic, 1, 7).await;
    assert_eq!(wait_stored(&intake, &db.store, 3).await, ["v1", "v2", "v3"]);
    assert_eq!(intake.metrics.invalid(), 4);
    let summary = intake.stop().await;
    assert_eq!(
        (summary.new_items, summary.duplicates, summary.invalid),
        (3, 0, 4),
        "{summary:?}"
    );
}

/// A store that fails (closed: every insert errors) is retried with backoff and the offset is
/// not committed; stopped meanwhile, the record is read again by the next intake and stored.
async fn store_failure_is_retried_not_skipped(db: &TestDb) {
    logs();
    let prefix = unique("intake-e");
    let (topic, group) = (format!("{prefix}.held"), format!("{prefix}-console"));
    create_topic(&topic, 1).await;
    produce(&topic, &held(&ids("e", 0..3))).await;
    let broken = Store::open(&db.url).await.unwrap();
    broken.close().await;
    let intake = Intake::start(&broken, &group, &topic);
    wait("the intake to retry the failing store", || async {
        let n = intake.metrics.store_retries();
        if n >= 3 {
            Ok(())
        } else {
            Err(format!("{n} retries"))
        }
    })
    .await;
    let summary = intake.stop().await;
    assert_eq!(summary, IntakeSummary::default());
    let o = offsets(&group, &topic, 1).await;
    assert!(o[0].0 <= 0, "nothing committed: {o:?}");

    let intake = Intake::start(&db.store, &group, &topic);
    assert_eq!(wait_stored(&intake, &db.store, 3).await, ids("e", 0..3));
    wait_committed(&group, &topic, 1, 3).await;
    assert_eq!(intake.stop().await.new_items, 3);
}

// ------------------------------------------------------------------ harness --

crate::backend_tests! {
    2;
    redeliveries_are_stored_once_and_offsets_committed,
    crash_before_commit_redelivers_as_duplicates,
    invalid_records_are_counted_and_passed,
    store_failure_is_retried_not_skipped,
}
