//! The console's per-user ledger (`src/console/ledger.rs`, `src/console/ledger_reader.rs`;
//! issue 15, Art. 10) against the real Kafka broker of `scripts/test.sh` and a real store (every
//! test on SQLite and on PostgreSQL, [`common::TestDb`]):
//!
//! - a stream of rejects (the worker's and moderators') for many users drives the strike ladder
//!   to each measure exactly once in `synth.user-actions.v1` (read with `read_committed`), a
//!   record that is not a reject is skipped without stalling, a restart reads nothing twice, a
//!   lead's lift is produced once, and a lost store rebuilt from the topics has the same
//!   measures (and the same lift) and produces nothing again; the records for the regulator
//!   (`Store::regulator_report`, JSON and CSV) count the topic's rejects and measures;
//! - `kill -9` of `synth-review console` processes at random moments while rejects stream in:
//!   every measure still exactly once;
//! - complaints (Art. 12): merged per event, reopening a published event (its record fetched
//!   from the approved topic) or a held one as a new review round with priority and a deadline;
//!   results exactly once on the results topic, founded and met, unfounded and missed; a
//!   reporter whose complaints keep being unfounded ranked lower but still queued;
//! - appeals (Art. 12): an appeal of a reject reopens it, refused to the moderator who rejected,
//!   upheld by another (the approve verdict produced, the strike reversed, the measures it
//!   carried revoked and recomputed), dismissed without a second strike; an appeal of a measure
//!   decided by a lead other than the one who changed it; waiting, refused, duplicate and
//!   invalid appeals; every outcome exactly once, and a lost store rebuilt to the same ledger.
//!
//! Every wait polls a condition until a deadline; none sleeps a fixed time.

pub mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::{json, Value};
use synth_review::config::KafkaConfig;
use synth_review::console::ledger::{ladder, LedgerPolicy, LedgerStrike, MeasureKind};
use synth_review::console::ledger_reader::{
    run_ledger, AppealSettings, ComplaintSettings, LedgerMetrics, LedgerSettings,
};
use synth_review::console::relay::{ACTION_ID_HEADER, CLAIM_ID_HEADER, RESULT_ID_HEADER};
use synth_review::console::store::{MeasureChange, MeasureState, NewRefutedClaim};
use synth_review::console::{
    run_relay, Backend, HeldItem, QueueFilter, RelayMetrics, RelaySettings, Role, Store, Verdict,
    VerdictInput,
};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use common::wait::Watched;
use common::{brokers, unique, ConsoleConfig, ConsoleProcess, TestDb};

/// How long any one condition may take to hold.
const DEADLINE: Duration = Duration::from_secs(120);

struct Topics {
    prefix: String,
    held: String,
    approved: String,
    rejected: String,
    audit: String,
    user_actions: String,
    complaints: String,
    results: String,
    appeals: String,
    refuted_claims: String,
}

impl Topics {
    async fn create(name: &str) -> Topics {
        let prefix = unique(name);
        let t = Topics {
            held: format!("{prefix}.held"),
            approved: format!("{prefix}.approved"),
            rejected: format!("{prefix}.rejected"),
            audit: format!("{prefix}.audit"),
            user_actions: format!("{prefix}.user-actions"),
            complaints: format!("{prefix}.complaints"),
            results: format!("{prefix}.complaint-results"),
            appeals: format!("{prefix}.appeals"),
            refuted_claims: format!("{prefix}.refuted-claims"),
            prefix,
        };
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", brokers())
            .create()
            .expect("admin client");
        let new: Vec<_> = [
            &t.held,
            &t.approved,
            &t.rejected,
            &t.audit,
            &t.user_actions,
            &t.complaints,
            &t.results,
            &t.appeals,
            &t.refuted_claims,
        ]
        .iter()
        .map(|n| NewTopic::new(n, 2, TopicReplication::Fixed(1)))
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
}

fn kafka() -> KafkaConfig {
    KafkaConfig {
        brokers: brokers(),
        transaction_timeout_ms: 10_000,
        ..KafkaConfig::default()
    }
}

// ------------------------------------------------------------------ rejects --

/// The `n`-th reject of user `user`: the worker's, or every fifth a moderator's verdict (with
/// `reviewed_by`, as the relay writes it), at one minute steps from a day ago.
fn reject(prefix: &str, user: usize, n: usize) -> (String, Vec<u8>) {
    let event_id = format!("{prefix}-u{user}-e{n}");
    let at =
        OffsetDateTime::now_utc() - time::Duration::days(1) + time::Duration::minutes(n as i64);
    let at = at.format(&Rfc3339).unwrap();
    let mut record = json!({
        "event_id": event_id,
        "decision": "reject",
        "reviewed_at": at,
        "reasons": [{"stage": "prohibited", "code": "prohibited_term", "category": "gambling",
                     "action": "reject", "article": "Art. 10",
                     "evidence": {"field": "content.text", "start": 0, "end": 2}}],
        "event": {"event_id": event_id, "user": {"id": format!("{prefix}-user-{user}")}},
    });
    if n % 5 == 4 {
        record["reviewed_by"] = json!({"kind": "moderator", "id": "mod-a",
            "verdict_id": user * 1000 + n, "reason_code": "gambling_ad", "decided_at": at});
    }
    (event_id, record.to_string().into_bytes())
}

async fn produce(topic: &str, records: &[(String, Vec<u8>)]) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("enable.idempotence", "true")
        .create()
        .expect("producer");
    for (key, value) in records {
        producer
            .send(
                FutureRecord::to(topic).key(key).payload(value),
                Duration::from_secs(30),
            )
            .await
            .map_err(|(e, _)| e)
            .expect("produced");
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

// ------------------------------------------------------------------ reading --

/// A user-actions record read back: key, `synth-review-action-id` header, value.
#[derive(Debug, Clone)]
struct Action {
    key: String,
    action_id: String,
    value: Value,
}

/// A committed record: partition, offset, key, `synth-review-action-id` header, value.
type Raw = (i32, i64, String, Option<String>, Vec<u8>);

/// Every committed record of `topic`, read with `read_committed` to the end of each partition.
fn read_all(topic: &str, header: &str) -> Result<Vec<Raw>, String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("group.id", unique("ledger-reader"))
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
            Some(Ok(m)) => out.push((
                m.partition(),
                m.offset(),
                String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned(),
                m.headers()
                    .and_then(|h| h.iter().find(|h| h.key == header))
                    .and_then(|h| h.value)
                    .map(|v| String::from_utf8_lossy(v).into_owned()),
                m.payload().unwrap_or_default().to_vec(),
            )),
            Some(Err(e)) => return Err(format!("{topic}: {e}")),
            None => {}
        }
    }
    Ok(out)
}

/// The user-actions records of `topic`.
fn read_actions(topic: &str) -> Result<Vec<Action>, String> {
    read_all(topic, ACTION_ID_HEADER)?
        .into_iter()
        .map(|(_, _, key, header, value)| {
            Ok(Action {
                key,
                action_id: header
                    .ok_or_else(|| format!("{topic}: a record without {ACTION_ID_HEADER}"))?,
                value: serde_json::from_slice(&value)
                    .map_err(|e| format!("{topic}: not JSON: {e}"))?,
            })
        })
        .collect()
}

/// The topic's records, each action id once, with the right key and header.
fn exactly_once(actions: &[Action]) -> Result<BTreeMap<String, Action>, String> {
    let mut by_id = BTreeMap::new();
    for a in actions {
        if a.value["action_id"] != a.action_id.as_str() {
            return Err(format!("header {} but record {}", a.action_id, a.value));
        }
        if a.value["user_id"] != a.key.as_str() {
            return Err(format!("key {} but record {}", a.key, a.value));
        }
        if by_id.insert(a.action_id.clone(), a.clone()).is_some() {
            return Err(format!("{} appears twice", a.action_id));
        }
    }
    Ok(by_id)
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

/// Waits until the topic holds `n` records, each once; returns them by action id.
async fn wait_actions(topic: &str, n: usize) -> BTreeMap<String, Action> {
    wait(&format!("{n} records in {topic}"), || async {
        let read = read_actions(topic)?;
        let by_id = exactly_once(&read).unwrap_or_else(|e| panic!("{e}"));
        if by_id.len() == n {
            Ok(by_id)
        } else {
            Err(format!("{} records", by_id.len()))
        }
    })
    .await
}

/// The offset after the last committed record of each partition of `topic` that has one
/// (what the ledger stores once it has applied that record; a transaction's commit marker after
/// it is not a record).
fn ends(topic: &str) -> Vec<(i32, i64)> {
    let mut last = BTreeMap::new();
    for (p, o, ..) in read_all(topic, ACTION_ID_HEADER).unwrap() {
        let e = last.entry(p).or_insert(0);
        *e = (*e).max(o + 1);
    }
    last.into_iter().collect()
}

/// Waits until the store's ledger offsets of `topic` are at the partitions' ends.
async fn wait_caught_up(store: &Store, topic: &str) {
    let end = ends(topic);
    wait(
        &format!("the ledger to read {topic} to {end:?}"),
        || async {
            let stored = store
                .ledger_offsets(topic)
                .await
                .map_err(|e| e.to_string())?;
            let at: BTreeMap<i32, i64> = stored.into_iter().collect();
            if end.iter().all(|(p, e)| at.get(p) == Some(e)) {
                Ok(())
            } else {
                Err(format!("at {at:?}"))
            }
        },
    )
    .await
}

async fn wait_relayed(store: &Store) {
    wait("the user-actions outbox to be empty", || async {
        let pending = store
            .pending_user_actions(1000)
            .await
            .map_err(|e| e.to_string())?;
        if pending.is_empty() {
            Ok(())
        } else {
            Err(format!("{} pending", pending.len()))
        }
    })
    .await
}

// ------------------------------------------------------------------ running --

/// The in-process ledger reader and relay of one store.
struct Running {
    stop: Vec<oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    fn start(store: &Store, t: &Topics) -> Running {
        Running::start_with(store, t, None)
    }

    fn start_with(store: &Store, t: &Topics, complaints: Option<ComplaintSettings>) -> Running {
        let mut stop = Vec::new();
        let mut tasks = Vec::new();
        let ledger = LedgerSettings {
            kafka: kafka(),
            rejected_topic: t.rejected.clone(),
            user_actions_topic: t.user_actions.clone(),
            policy: LedgerPolicy::default(),
            console_id: "console-test".into(),
            batch_max: 7,
            complaints,
            appeals: Some(AppealSettings {
                topic: t.appeals.clone(),
                time_limit: Duration::from_secs(3600),
            }),
        };
        let relay = RelaySettings {
            kafka: kafka(),
            transactional_id: format!("{}-relay", t.prefix),
            checkpoint_group: format!("{}-relay-checkpoint", t.prefix),
            approved_topic: t.approved.clone(),
            rejected_topic: t.rejected.clone(),
            audit_topic: t.audit.clone(),
            user_actions_topic: t.user_actions.clone(),
            complaint_results_topic: t.results.clone(),
            refuted_claims_topic: t.refuted_claims.clone(),
            console_id: "console-test".into(),
            batch_max: 3,
            poll_interval: Duration::from_millis(20),
        };
        let (tx, rx) = oneshot::channel::<()>();
        stop.push(tx);
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            run_ledger(s, &ledger, LedgerMetrics::new(), async {
                let _ = rx.await;
            })
            .await
            .expect("ledger reader");
        }));
        let (tx, rx) = oneshot::channel::<()>();
        stop.push(tx);
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            run_relay(s, &relay, RelayMetrics::new(), async {
                let _ = rx.await;
            })
            .await
            .expect("relay");
        }));
        Running { stop, tasks }
    }

    async fn stop(self) {
        for s in self.stop {
            let _ = s.send(());
        }
        for t in self.tasks {
            t.await.expect("task");
        }
    }
}

/// A fresh store of `db`'s backend (the "lost store" of a rebuild).
async fn fresh_store_like(db: &TestDb) -> Option<TestDb> {
    match db.store.backend() {
        Backend::Sqlite => Some(TestDb::sqlite().await),
        Backend::Postgres => TestDb::postgres("ledger_rebuild").await,
    }
}

/// Measure id → (kind, state) of every user's measures in `store`.
async fn measures(store: &Store, users: &[String]) -> BTreeMap<String, (String, MeasureState)> {
    let mut out = BTreeMap::new();
    for u in users {
        for m in store.user_ledger(u).await.unwrap().measures {
            out.insert(format!("{u}/{}", m.measure_id), (m.kind, m.state));
        }
    }
    out
}

// ------------------------------------------------------------------ tests --

const USERS: usize = 5;
const REJECTS: usize = 16;

async fn the_ladder_issues_each_measure_once_and_a_lost_store_is_rebuilt(db: &TestDb) {
    logs();
    let t = Topics::create("ledger").await;
    let users: Vec<String> = (0..=USERS)
        .map(|u| format!("{}-user-{u}", t.prefix))
        .collect();
    // Users 0..USERS get REJECTS rejects each (every step of the default ladder: 3, 6, 10, 15);
    // user USERS gets 2 (no measure). Not a reject: skipped, not stalling.
    let mut records: Vec<(String, Vec<u8>)> = Vec::new();
    for n in 0..REJECTS {
        for u in 0..USERS {
            records.push(reject(&t.prefix, u, n));
        }
    }
    records.push(reject(&t.prefix, USERS, 0));
    records.push(reject(&t.prefix, USERS, 1));
    records.insert(10, ("junk".into(), b"not json".to_vec()));
    records.insert(
        20,
        (
            "approve".into(),
            br#"{"event_id":"x","decision":"approve"}"#.to_vec(),
        ),
    );
    let (first, second) = records.split_at(records.len() / 2);
    produce(&t.rejected, first).await;
    let running = Running::start(&db.store, &t);
    produce(&t.rejected, second).await;

    let measured = wait_actions(&t.user_actions, USERS * 4).await;
    for u in &users[..USERS] {
        let mut kinds: Vec<(i64, String)> = measured
            .values()
            .filter(|a| &a.key == u)
            .map(|a| {
                (
                    a.value["measure"]["level"].as_i64().unwrap(),
                    a.value["measure"]["kind"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        kinds.sort();
        assert_eq!(
            kinds,
            [(1, "warn"), (2, "restrict"), (3, "suspend"), (4, "close")]
                .map(|(l, k)| (l, k.to_owned())),
            "{u}"
        );
    }
    let close = measured
        .values()
        .find(|a| a.value["measure"]["kind"] == "close")
        .unwrap();
    assert_eq!(close.value["strikes"].as_array().unwrap().len(), 15);
    assert_eq!(close.value["articles"], json!(["Art. 10"]));
    assert!(
        close.value["strikes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().starts_with("verdict:")),
        "moderators' rejects count: {}",
        close.value
    );
    let ledger = db.store.user_ledger(&users[USERS]).await.unwrap();
    assert_eq!((ledger.strikes.len(), ledger.measures.len()), (2, 0));
    wait_caught_up(&db.store, &t.rejected).await;
    // The records for the regulator count what the topics hold: rejects by category and
    // article (the worker's and moderators'), and the measures produced.
    let mut want: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    for (.., value) in read_all(&t.rejected, ACTION_ID_HEADER).unwrap() {
        let Ok(v) = serde_json::from_slice::<Value>(&value) else {
            continue;
        };
        if v["decision"] != "reject" || !v["event"]["user"]["id"].is_string() {
            continue;
        }
        let category = v["reasons"][0]["category"]
            .as_str()
            .unwrap_or("none")
            .to_owned();
        let article = v["reasons"][0]["article"]
            .as_str()
            .unwrap_or("none")
            .to_owned();
        let c = want.entry((category, article)).or_default();
        if v["reviewed_by"]["kind"] == "moderator" {
            c.1 += 1;
        } else {
            c.0 += 1;
        }
    }
    let now = OffsetDateTime::now_utc();
    let report = db
        .store
        .regulator_report(now - time::Duration::days(7), now, now)
        .await
        .unwrap();
    let got: BTreeMap<(String, String), (u64, u64)> = report
        .violations
        .iter()
        .map(|v| {
            (
                (v.category.clone(), v.article.clone()),
                (v.by_worker, v.by_moderators),
            )
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(report.rejects, (USERS * REJECTS + 2) as u64);
    let produced_measures = read_actions(&t.user_actions)
        .unwrap()
        .iter()
        .filter(|a| a.value["action"] == "measure")
        .count();
    assert_eq!(report.measures.len(), produced_measures);
    assert_eq!(report.measures_by_kind["close"], USERS as u64);
    let csv = report.to_csv().unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let sections: Vec<String> = reader.records().map(|r| r.unwrap()[0].to_owned()).collect();
    assert_eq!(
        sections.iter().filter(|s| *s == "measure").count(),
        produced_measures
    );
    assert_eq!(
        sections.iter().filter(|s| *s == "violation").count(),
        want.len()
    );
    running.stop().await;

    // A restart reads nothing twice: no new strike, no new record.
    let running = Running::start(&db.store, &t);
    produce(&t.rejected, &[reject(&t.prefix, USERS, 2)]).await;
    wait_caught_up(&db.store, &t.rejected).await;
    let warned = wait_actions(&t.user_actions, USERS * 4 + 1).await;
    assert!(warned
        .keys()
        .any(|k| k.starts_with("measure:L1@worker:") && warned[k].key == users[USERS]));

    // A lead lifts one measure: one lift record.
    let lifted_user = &users[0];
    let suspend = db
        .store
        .user_ledger(lifted_user)
        .await
        .unwrap()
        .measures
        .into_iter()
        .find(|m| m.kind == "suspend")
        .unwrap();
    db.store
        .change_measure(
            lifted_user,
            &suspend.measure_id,
            "lead-a",
            &MeasureChange::Lift,
            "appeal by phone, identity confirmed",
            "console-test",
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    let err = db
        .store
        .change_measure(
            lifted_user,
            &suspend.measure_id,
            "lead-a",
            &MeasureChange::To(MeasureKind::Warn),
            "again",
            "console-test",
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("lifted"), "{err}");
    let all = wait_actions(&t.user_actions, USERS * 4 + 2).await;
    let lift = &all[&format!("lift:{}", suspend.measure_id)];
    assert_eq!(lift.value["by"]["id"], "lead-a");
    wait_relayed(&db.store).await;
    wait_caught_up(&db.store, &t.user_actions).await;
    running.stop().await;
    let before = measures(&db.store, &users).await;
    assert_eq!(before.len(), USERS * 4 + 1);

    // The store is lost: a fresh one, rebuilt from the topics.
    let Some(rebuilt) = fresh_store_like(db).await else {
        return;
    };
    let running = Running::start(&rebuilt.store, &t);
    wait_caught_up(&rebuilt.store, &t.user_actions).await;
    wait_caught_up(&rebuilt.store, &t.rejected).await;
    wait_relayed(&rebuilt.store).await;
    let after = measures(&rebuilt.store, &users).await;
    assert_eq!(after, before, "the rebuilt ledger has the same measures");
    assert_eq!(
        after[&format!("{lifted_user}/{}", suspend.measure_id)].1,
        MeasureState::Lifted
    );
    // The rebuilt strikes call for no measure beyond these, and each user has each step once.
    for u in &users {
        let l = rebuilt.store.user_ledger(u).await.unwrap();
        let strikes: Vec<LedgerStrike> = l
            .strikes
            .iter()
            .map(|s| LedgerStrike {
                key: s.key.clone(),
                weight: s.weight,
                at: s.at,
                articles: s.articles.clone(),
                reversed: s.reversed_at.is_some(),
            })
            .collect();
        let issued: Vec<_> = l.measures.iter().map(|m| (m.level, m.issued_at)).collect();
        let due = ladder(&strikes, &issued, &LedgerPolicy::default());
        assert!(due.is_empty(), "{u}: {due:?}");
        let levels: BTreeSet<u32> = l.measures.iter().map(|m| m.level).collect();
        assert_eq!(levels.len(), l.measures.len(), "{u}: a step twice");
    }
    running.stop().await;
    let end = wait_actions(&t.user_actions, USERS * 4 + 2).await;
    assert_eq!(end.len(), all.len(), "the rebuild produced nothing again");
    rebuilt.finish().await;
}

async fn kill_9_while_rejects_stream_in(db: &TestDb) {
    const KILL_USERS: usize = 8;
    const KILLS: usize = 4;
    let t = Topics::create("ledger-kill").await;
    let dir = tempfile::tempdir().unwrap();
    let config = ConsoleConfig {
        store: db.url.clone(),
        held: t.held.clone(),
        approved: t.approved.clone(),
        rejected: t.rejected.clone(),
        audit: t.audit.clone(),
        prefix: t.prefix.clone(),
        intake: false,
        batch_max: 2,
        user_actions: Some(t.user_actions.clone()),
    }
    .write(dir.path());
    let seed: u64 = std::env::var("SYNTH_REVIEW_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("kill_9_while_rejects_stream_in: seed {seed} (SYNTH_REVIEW_TEST_SEED)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut records = Vec::new();
    for n in 0..REJECTS {
        for u in 0..KILL_USERS {
            records.push(reject(&t.prefix, u, n));
        }
    }
    let chunks: Vec<_> = records.chunks(records.len() / KILLS + 1).collect();
    for chunk in &chunks {
        let console = ConsoleProcess::start(&config);
        produce(&t.rejected, chunk).await;
        // A random moment: before, while or after the chunk's measures are issued and relayed.
        let moment = Duration::from_millis(rng.gen_range(50..3000));
        tokio::time::sleep(moment).await;
        if let Some(how) = console.ended() {
            panic!("the console ended ({how}): {}", console.log_text());
        }
        console.kill9();
    }
    let console = ConsoleProcess::start(&config);
    let measured = wait_actions(&t.user_actions, KILL_USERS * 4).await;
    let per_user: BTreeMap<&str, usize> = measured.values().fold(BTreeMap::new(), |mut m, a| {
        *m.entry(a.key.as_str()).or_default() += 1;
        m
    });
    assert_eq!(per_user.len(), KILL_USERS);
    assert!(per_user.values().all(|n| *n == 4), "{per_user:?}");
    wait_caught_up(&db.store, &t.rejected).await;
    wait_relayed(&db.store).await;
    assert!(console.terminate(), "the console stops cleanly");
    let end = read_actions(&t.user_actions).unwrap();
    exactly_once(&end).unwrap();
    assert_eq!(end.len(), KILL_USERS * 4);
    eprintln!(
        "kill_9_while_rejects_stream_in: {} rejects, {KILLS} kills, {} measures exactly once",
        records.len(),
        end.len()
    );
}

// ------------------------------------------------------------------ complaints --

fn complaint(id: &str, event_id: &str, reporter: &str) -> (String, Vec<u8>) {
    let now = OffsetDateTime::now_utc().format(&Rfc3339).unwrap();
    (
        event_id.to_owned(),
        json!({"complaint_id": id, "event_id": event_id, "category": "rumour",
               "reporter": reporter, "text": "这是谣言 <script>x</script>", "received_at": now})
        .to_string()
        .into_bytes(),
    )
}

fn decision_record(event_id: &str, decision: &str, user: &str, text: &str) -> Vec<u8> {
    json!({"event_id": event_id, "decision": decision, "reasons": [],
           "reviewed_at": OffsetDateTime::now_utc().format(&Rfc3339).unwrap(),
           "pipeline": "default", "pipeline_version": "1", "lexicon_version": "t",
           "event": {"event_id": event_id, "user": {"id": user}, "content": {"kind": "text", "text": text}}})
    .to_string()
    .into_bytes()
}

/// Claims `item_id` and gives `verdict` at `at`; the verdict id.
async fn give(store: &Store, item_id: i64, verdict: Verdict, at: OffsetDateTime) -> i64 {
    let lease = store
        .claim(
            item_id,
            "mod-a",
            Role::Moderator,
            Duration::from_secs(300),
            at,
        )
        .await
        .unwrap();
    store
        .decide(
            item_id,
            &lease.token,
            "mod-a",
            &VerdictInput {
                verdict,
                reason_code: "checked",
                note: None,
            },
            at,
        )
        .await
        .unwrap()
}

/// The complaint items of the queue at `now`: event id → (item id, round, severity).
async fn complaint_items(store: &Store, now: OffsetDateTime) -> BTreeMap<String, (i64, i64, i64)> {
    let filter = QueueFilter {
        stage: Some("complaint".into()),
        ..QueueFilter::default()
    };
    store
        .queue(&filter, 1000, now)
        .await
        .unwrap()
        .into_iter()
        .map(|i| (i.event_id.clone(), (i.item_id, i.round, i.severity)))
        .collect()
}

async fn wait_complaint_items(store: &Store, n: usize) -> BTreeMap<String, (i64, i64, i64)> {
    wait(&format!("{n} complaint items in the queue"), || async {
        let items = complaint_items(store, OffsetDateTime::now_utc()).await;
        if items.len() == n {
            Ok(items)
        } else {
            Err(format!("{items:?}"))
        }
    })
    .await
}

async fn complaints_merge_reopen_and_meet_or_miss_their_deadline(db: &TestDb) {
    logs();
    let t = Topics::create("complaints").await;
    let p = &t.prefix;
    let (a, b, c) = (format!("{p}-a"), format!("{p}-b"), format!("{p}-c"));
    // A: published by the worker (never held). B: held, then approved by a moderator.
    produce(
        &t.approved,
        &[(
            a.clone(),
            decision_record(&a, "approve", "user-a", "吃碘盐能防核辐射，快囤！"),
        )],
    )
    .await;
    let held = HeldItem::from_record(&decision_record(&b, "hold", "user-b", "某文本"), 0).unwrap();
    let b0 = db
        .store
        .insert_item(&held, OffsetDateTime::now_utc())
        .await
        .unwrap()
        .item_id();
    give(&db.store, b0, Verdict::Approve, OffsetDateTime::now_utc()).await;
    let limit = Duration::from_secs(3600);
    let running = Running::start_with(
        &db.store,
        &t,
        Some(ComplaintSettings {
            topic: t.complaints.clone(),
            time_limit: limit,
            approved_topic: Some(t.approved.clone()),
        }),
    );
    wait("A's published record to be indexed", || async {
        match db.store.published_at(&a).await {
            Ok(Some(at)) => Ok(at),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let c1 = complaint(&format!("{p}-c1"), &a, "r1");
    produce(
        &t.complaints,
        &[
            c1.clone(),
            complaint(&format!("{p}-c2"), &a, "r2"),
            complaint(&format!("{p}-c3"), &b, "r3"),
            complaint(&format!("{p}-c4"), &c, "r1"),
            c1,
            ("junk".into(), b"not a complaint".to_vec()),
        ],
    )
    .await;
    let items = wait_complaint_items(&db.store, 3).await;
    wait_caught_up_with(&db.store, &t.complaints, RESULT_ID_HEADER).await;
    let (ia, round_a, severity_a) = items[&a];
    assert_eq!(
        (round_a, severity_a),
        (1, 3),
        "A reopened as round 1, first in the queue"
    );
    let item_a = db
        .store
        .item(ia, OffsetDateTime::now_utc())
        .await
        .unwrap()
        .unwrap();
    let record: Value = serde_json::from_str(&item_a.record).unwrap();
    assert_eq!(
        record["event"]["content"]["text"], "吃碘盐能防核辐射，快囤！",
        "the published content, from the approved topic"
    );
    let case_a = db.store.complaint_case(ia).await.unwrap().unwrap();
    assert_eq!(case_a.complaints.len(), 2, "c1 and c2 merged, c1 once");
    assert_eq!(items[&b].1, 1, "B's round 1 after its round 0");
    let item_b = db
        .store
        .item(items[&b].0, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(item_b.unwrap().summary.user_id, "user-b");
    let item_c = db
        .store
        .item(items[&c].0, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(
        item_c.unwrap().summary.user_id,
        "unknown",
        "no record of C anywhere: a stub"
    );
    let now = OffsetDateTime::now_utc();
    let stats = db.store.complaint_stats(now).await.unwrap();
    assert_eq!((stats.open, stats.overdue), (3, 0));
    let later = now + limit + Duration::from_secs(60);
    assert_eq!(db.store.complaint_stats(later).await.unwrap().overdue, 3);

    // A rejected in time: founded, met. B approved after its deadline: unfounded, missed.
    give(&db.store, ia, Verdict::Reject, now).await;
    give(&db.store, items[&b].0, Verdict::Approve, later).await;
    let results = wait(&format!("3 results in {}", t.results), || async {
        let read = read_all(&t.results, RESULT_ID_HEADER)?;
        let mut by_id = BTreeMap::new();
        for (_, _, key, header, value) in read {
            let v: Value = serde_json::from_slice(&value).map_err(|e| e.to_string())?;
            assert_eq!(v["complaint_id"], key.as_str());
            assert_eq!(header.as_deref(), v["result_id"].as_str());
            assert!(by_id.insert(key, v).is_none(), "a result twice");
        }
        if by_id.len() == 3 {
            Ok(by_id)
        } else {
            Err(format!("{} results", by_id.len()))
        }
    })
    .await;
    let r = |n: &str| &results[&format!("{p}-{n}")];
    assert_eq!(
        (
            r("c1")["outcome"].as_str(),
            r("c1")["met_deadline"].as_bool()
        ),
        (Some("founded"), Some(true))
    );
    assert_eq!(r("c2")["outcome"], "founded");
    assert_eq!(
        (
            r("c3")["outcome"].as_str(),
            r("c3")["met_deadline"].as_bool()
        ),
        (Some("unfounded"), Some(false))
    );
    assert_eq!(r("c3")["decided_by"]["id"], "mod-a");
    assert_eq!(db.store.reporter_record("r3").await.unwrap(), (0, 1));
    // A lead adds the claim item A spreads to the rumour library: the relay writes it once to
    // the refuted-claims topic, keyed by the claim, with its id as the header.
    let added = db
        .store
        .add_refuted_claim(
            ia,
            "lee",
            &NewRefutedClaim {
                claim: "喝柠檬水可以治愈癌症",
                refuted_by: "中国抗癌协会",
                refuted_at: Some("2026-11"),
            },
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    let claims = wait(&format!("1 claim in {}", t.refuted_claims), || async {
        let read = read_all(&t.refuted_claims, CLAIM_ID_HEADER)?;
        if read.len() == 1 {
            Ok(read)
        } else {
            Err(format!("{} claims", read.len()))
        }
    })
    .await;
    let (_, _, key, header, value) = &claims[0];
    assert_eq!(key, "喝柠檬水可以治愈癌症");
    let expected_id = format!("refuted_claim:{}", added.claim_id);
    assert_eq!(header.as_deref(), Some(expected_id.as_str()));
    let v: Value = serde_json::from_slice(value).unwrap();
    assert_eq!(
        (v["refuted_by"].as_str(), v["added_by"]["id"].as_str()),
        (Some("中国抗癌协会"), Some("lee"))
    );
    assert_eq!(
        synth_review::kafka::refuted_claims::parse_claim(value)
            .unwrap()
            .claim,
        "喝柠檬水可以治愈癌症",
        "the worker reads what the console writes"
    );
    // The founded complaint's reject reached the rejected topic: a strike against A's author.
    wait("a strike against user-a", || async {
        let l = db
            .store
            .user_ledger("user-a")
            .await
            .map_err(|e| e.to_string())?;
        if l.strikes.len() == 1 {
            Ok(())
        } else {
            Err(format!("{:?}", l.strikes))
        }
    })
    .await;

    // A reporter whose complaints keep being unfounded is ranked lower, not ignored.
    let bad: Vec<_> = (0..3)
        .map(|i| complaint(&format!("{p}-d{i}"), &format!("{p}-d{i}"), "r-bad"))
        .collect();
    produce(&t.complaints, &bad).await;
    let items = wait_complaint_items(&db.store, 4).await;
    for i in 0..3 {
        give(
            &db.store,
            items[&format!("{p}-d{i}")].0,
            Verdict::Approve,
            OffsetDateTime::now_utc(),
        )
        .await;
    }
    assert_eq!(db.store.reporter_record("r-bad").await.unwrap(), (0, 3));
    produce(
        &t.complaints,
        &[
            complaint(&format!("{p}-d9"), &format!("{p}-d9"), "r-bad"),
            complaint(&format!("{p}-a2"), &a, "r2"),
        ],
    )
    .await;
    let items = wait_complaint_items(&db.store, 3).await;
    assert_eq!(
        items[&format!("{p}-d9")].2,
        1,
        "ranked below held items' 2, still queued"
    );
    assert_eq!(
        items[&a].1, 2,
        "a complaint after A's case was decided opens round 2"
    );
    assert_eq!(items[&a].2, 3);
    running.stop().await;
}

/// Waits until the store's ledger offsets of `topic` are after its last record.
async fn wait_caught_up_with(store: &Store, topic: &str, header: &str) {
    let mut end = BTreeMap::new();
    for (p, o, ..) in read_all(topic, header).unwrap() {
        let e = end.entry(p).or_insert(0);
        *e = (*e).max(o + 1);
    }
    wait(
        &format!("the ledger to read {topic} to {end:?}"),
        || async {
            let at: BTreeMap<i32, i64> = store
                .ledger_offsets(topic)
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .collect();
            if end.iter().all(|(p, e)| at.get(p) == Some(e)) {
                Ok(())
            } else {
                Err(format!("at {at:?}"))
            }
        },
    )
    .await
}

/// The in-process parts' logs, in the test's captured output (shown when it fails).
fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("info")
        .try_init();
}

// ------------------------------------------------------------------ appeals --

fn appeal(id: &str, user: &str, target: (&str, &str)) -> (String, Vec<u8>) {
    let now = OffsetDateTime::now_utc().format(&Rfc3339).unwrap();
    let mut v = json!({"appeal_id": id, "user_id": user, "text": "我没有违规 <b>x</b>",
                       "received_at": now});
    v["kind"] = json!(target.0);
    v[if target.0 == "reject" {
        "event_id"
    } else {
        "measure_id"
    }] = json!(target.1);
    (user.to_owned(), v.to_string().into_bytes())
}

/// `who` claims `item_id` and gives `verdict`; the verdict id.
async fn give_as(store: &Store, item_id: i64, who: &str, verdict: Verdict) -> Result<i64, String> {
    let now = OffsetDateTime::now_utc();
    let lease = store
        .claim(item_id, who, Role::Moderator, Duration::from_secs(300), now)
        .await
        .map_err(|e| e.to_string())?;
    store
        .decide(
            item_id,
            &lease.token,
            who,
            &VerdictInput {
                verdict,
                reason_code: "checked",
                note: Some("复核"),
            },
            now,
        )
        .await
        .map_err(|e| e.to_string())
}

/// The appeal items of the queue: appeal id → item id.
async fn appeal_items(store: &Store) -> BTreeMap<String, i64> {
    let filter = QueueFilter {
        stage: Some("appeal".into()),
        ..QueueFilter::default()
    };
    let mut out = BTreeMap::new();
    for i in store
        .queue(&filter, 1000, OffsetDateTime::now_utc())
        .await
        .unwrap()
    {
        let a = store.item_appeal(i.item_id).await.unwrap().unwrap();
        out.insert(a.appeal.appeal_id, i.item_id);
    }
    out
}

/// Strike key → reversed, of `user`.
async fn strikes_of(store: &Store, user: &str) -> BTreeMap<String, bool> {
    store
        .user_ledger(user)
        .await
        .unwrap()
        .strikes
        .into_iter()
        .map(|s| (s.key, s.reversed_at.is_some()))
        .collect()
}

async fn appeals_are_decided_by_someone_else_and_reverse_exactly_once(db: &TestDb) {
    logs();
    let t = Topics::create("appeals").await;
    let p = &t.prefix;
    let store = db
        .store
        .clone()
        .with_ledger(LedgerPolicy::default(), "console-test");
    let user = format!("{p}-user-0");
    let ev = |n: usize| format!("{p}-u0-e{n}");
    // Six rejects (e4 mod-a's, the rest the worker's): warn at e2, restrict at e5.
    let rejects: Vec<_> = (0..6).map(|n| reject(p, 0, n)).collect();
    produce(&t.rejected, &rejects).await;
    let running = Running::start(&store, &t);
    let warn = format!("L1@worker:{}", ev(2));
    let restrict = format!("L2@worker:{}", ev(5));
    wait_actions(&t.user_actions, 2).await;
    // lead-x changes the warning: an appeal of it is not lead-x's to decide.
    store
        .change_measure(
            &user,
            &warn,
            "lead-x",
            &MeasureChange::To(MeasureKind::Warn),
            "重新评估",
            "console-test",
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    let a = |n: &str| format!("{p}-{n}");
    let a1 = appeal(&a("a1"), &user, ("reject", &ev(4)));
    produce(
        &t.appeals,
        &[
            a1.clone(),
            appeal(&a("a2"), &user, ("reject", &ev(1))),
            appeal(&a("a3"), &user, ("measure", &warn)),
            appeal(&a("a4"), &user, ("reject", &ev(9))),
            a1,
            appeal(&a("a6"), &user, ("reject", &ev(4))),
            appeal(&a("a7"), &user, ("measure", "L9@nothing")),
            (user.clone(), b"not an appeal".to_vec()),
        ],
    )
    .await;
    let items = wait("a1 and a2 in the queue", || async {
        let items = appeal_items(&store).await;
        if items.len() == 2 {
            Ok(items)
        } else {
            Err(format!("{items:?}"))
        }
    })
    .await;
    wait_caught_up_with(&store, &t.appeals, ACTION_ID_HEADER).await;
    let cases: BTreeMap<String, _> = store
        .user_appeals(&user)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.appeal.appeal_id.clone(), c))
        .collect();
    assert_eq!(cases.len(), 6, "a1 once: {:?}", cases.keys());
    let state = |id: &str| cases[&a(id)].state.as_str();
    assert_eq!(
        [
            state("a1"),
            state("a2"),
            state("a3"),
            state("a4"),
            state("a6"),
            state("a7")
        ],
        ["open", "open", "open", "waiting", "refused", "refused"]
    );
    assert_eq!(cases[&a("a1")].original_decider.as_deref(), Some("mod-a"));
    assert_eq!(cases[&a("a2")].original_decider.as_deref(), Some("worker"));
    assert_eq!(cases[&a("a3")].original_decider.as_deref(), Some("lead-x"));
    assert!(
        cases[&a("a6")]
            .refusal
            .as_deref()
            .unwrap()
            .contains("appealed already"),
        "{:?}",
        cases[&a("a6")]
    );
    // The worker's reject, never held by the console: its record read from the rejected topic.
    let item2 = store
        .item(items[&a("a2")], OffsetDateTime::now_utc())
        .await
        .unwrap()
        .unwrap();
    let record: Value = serde_json::from_str(&item2.record).unwrap();
    assert_eq!(record["reasons"][0]["code"], "prohibited_term", "{record}");
    assert_eq!(record["appeal"]["strike_key"], format!("worker:{}", ev(1)));
    assert_eq!(item2.summary.user_id, user);

    // a4 waits for its reject; when it arrives (mod-a's), the appeal opens.
    produce(&t.rejected, &[reject(p, 0, 9)]).await;
    let items = wait("a4 in the queue", || async {
        let items = appeal_items(&store).await;
        if items.len() == 3 {
            Ok(items)
        } else {
            Err(format!("{items:?}"))
        }
    })
    .await;

    // mod-a rejected e4: refused to claim or be assigned its appeal.
    let i1 = items[&a("a1")];
    let e = give_as(&store, i1, "mod-a", Verdict::Approve)
        .await
        .unwrap_err();
    assert!(e.contains("someone else decides the appeal"), "{e}");
    let e = store
        .assign(
            i1,
            "lead-x",
            "mod-a",
            Role::Moderator,
            Duration::from_secs(60),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("someone else"), "{e}");
    // mod-b upholds a1: the strike reversed, the restriction it carried revoked (5 points of
    // its 6 remain) and recomputed: e9's strike brings the points back to 6.
    give_as(&store, i1, "mod-b", Verdict::Approve)
        .await
        .unwrap();
    // mod-b dismisses a2: the reject again, no second strike.
    give_as(&store, items[&a("a2")], "mod-b", Verdict::Reject)
        .await
        .unwrap();
    // a3: not lead-x's; lead-y upholds it.
    let e = store
        .decide_measure_appeal(&a("a3"), "lead-x", true, "复核", OffsetDateTime::now_utc())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("someone else"), "{e}");
    store
        .decide_measure_appeal(&a("a3"), "lead-y", true, "复核", OffsetDateTime::now_utc())
        .await
        .unwrap();
    let e = store
        .decide_measure_appeal(&a("a3"), "lead-z", false, "再次", OffsetDateTime::now_utc())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("upheld"), "{e}");

    // Every outcome exactly once: 2 measures, the change, a6's and a7's refusals, a1 (revoke
    // of the restriction, the new restriction at e9), a2, a3 (revoke of the warning).
    let new_restrict = "L2@verdict:9".to_owned();
    let actions = wait_actions(&t.user_actions, 11).await;
    for id in [
        format!("measure:{warn}"),
        format!("measure:{restrict}"),
        format!("change:{warn}"),
        format!("revoke:{restrict}"),
        format!("measure:{new_restrict}"),
        format!("revoke:{warn}"),
    ] {
        assert!(
            actions.contains_key(&id),
            "{id} missing: {:?}",
            actions.keys()
        );
    }
    let outcome = |id: &str| actions[&format!("appeal:{}", a(id))].value.clone();
    assert_eq!(outcome("a1")["outcome"], "upheld");
    assert_eq!(outcome("a1")["revoked"], json!([restrict]));
    assert_eq!(outcome("a1")["decided_by"]["id"], "mod-b");
    assert_eq!(outcome("a1")["original_decider"], "mod-a");
    assert_eq!(outcome("a2")["outcome"], "dismissed");
    assert_eq!(outcome("a3")["outcome"], "upheld");
    assert_eq!(outcome("a3")["decided_by"]["kind"], "lead");
    assert_eq!(outcome("a6")["outcome"], "refused");
    assert_eq!(outcome("a7")["outcome"], "refused");
    assert_eq!(outcome("a1")["met_deadline"], true);
    // a1's approve verdict reached the approved topic, once.
    let approved = wait("a1's approve verdict", || async {
        let read = read_all(&t.approved, ACTION_ID_HEADER)?;
        let of_e4: Vec<Value> = read
            .iter()
            .filter(|r| r.2 == ev(4))
            .map(|r| serde_json::from_slice(&r.4).unwrap())
            .collect();
        if of_e4.is_empty() {
            Err("none yet".into())
        } else {
            Ok(of_e4)
        }
    })
    .await;
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0]["decision"], "approve");
    assert_eq!(approved[0]["reviewed_by"]["id"], "mod-b");
    // a2's reject reached the rejected topic and the ledger read it: still one strike of e1.
    wait_relayed(&store).await;
    wait_caught_up_with(&store, &t.rejected, ACTION_ID_HEADER).await;
    let strikes = strikes_of(&store, &user).await;
    assert_eq!(
        strikes.len(),
        7,
        "six rejects and e9, no second strike: {strikes:?}"
    );
    assert!(strikes[&"verdict:4".to_owned()], "a1 reversed it");
    assert_eq!(strikes.values().filter(|r| **r).count(), 1);
    let before = measures(&store, std::slice::from_ref(&user)).await;
    assert_eq!(
        before[&format!("{user}/{restrict}")],
        ("restrict".to_owned(), MeasureState::Revoked)
    );
    assert_eq!(
        before[&format!("{user}/{warn}")],
        ("warn".to_owned(), MeasureState::Revoked)
    );
    assert_eq!(
        before[&format!("{user}/{new_restrict}")],
        ("restrict".to_owned(), MeasureState::InForce)
    );
    running.stop().await;

    // A lost store rebuilt from the topics: the same ledger, the same appeals, nothing produced
    // again; a4, still open, is in the queue again.
    let Some(fresh) = fresh_store_like(db).await else {
        return;
    };
    let rebuilt = fresh
        .store
        .clone()
        .with_ledger(LedgerPolicy::default(), "console-test");
    let running = Running::start(&rebuilt, &t);
    for topic in [&t.user_actions, &t.rejected, &t.appeals] {
        wait_caught_up_with(&rebuilt, topic, ACTION_ID_HEADER).await;
    }
    wait("a4 in the rebuilt queue", || async {
        let items = appeal_items(&rebuilt).await;
        if items.keys().collect::<Vec<_>>() == [&a("a4")] {
            Ok(())
        } else {
            Err(format!("{items:?}"))
        }
    })
    .await;
    assert_eq!(
        measures(&rebuilt, std::slice::from_ref(&user)).await,
        before
    );
    assert_eq!(strikes_of(&rebuilt, &user).await, strikes);
    let rebuilt_cases: BTreeMap<String, String> = rebuilt
        .user_appeals(&user)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.appeal.appeal_id, c.state))
        .collect();
    assert_eq!(rebuilt_cases.len(), 6, "{rebuilt_cases:?}");
    assert_eq!(rebuilt_cases[&a("a1")], "upheld");
    assert_eq!(rebuilt_cases[&a("a2")], "dismissed");
    assert_eq!(rebuilt_cases[&a("a4")], "open");
    assert!(rebuilt.pending_user_actions(100).await.unwrap().is_empty());
    running.stop().await;
    assert_eq!(read_actions(&t.user_actions).unwrap().len(), 11);
}

crate::backend_tests! {
    2;
    the_ladder_issues_each_measure_once_and_a_lost_store_is_rebuilt,
    kill_9_while_rejects_stream_in,
    complaints_merge_reopen_and_meet_or_miss_their_deadline,
    appeals_are_decided_by_someone_else_and_reverse_exactly_once,
}
