//! The relay: the console's verdicts from the store's outbox to the approved and rejected topics,
//! each with an audit record naming the moderator, exactly once (`docs/console.md`, "Relay").
//!
//! One cycle, in a Kafka transaction under the relay's fixed `transactional.id`:
//! 1. [`Store::take_relay_batch`] writes a new batch number `n` (above every earlier one) on the
//!    oldest pending verdicts (at most [`RelaySettings::batch_max`]) and returns them;
//! 2. `begin_transaction`; for each verdict, the decision record with `reviewed_by` to the
//!    approved or rejected topic and an audit record to the audit topic (key: the event id;
//!    header `synth-review-verdict-id`); for each user-action record of the batch (a measure,
//!    lift or change of the ledger, [`super::ledger`]), the record to the user-actions topic
//!    (key: the user id; header `synth-review-action-id`);
//! 3. `send_offsets_to_transaction` of offset `n` on partition 0 of the audit topic for the
//!    relay's checkpoint group ([`RelaySettings::checkpoint_group`]): the transaction commits
//!    the batch number together with the batch's records, so the group's committed offset is
//!    the number of the last batch in the topics (the "checkpoint"); then `commit_transaction`;
//! 4. [`Store::mark_batch_relayed`].
//!
//! On start, and after any Kafka failure, the relay makes a new producer, whose
//! `init_transactions` fences every earlier holder of the transactional id and completes or
//! aborts its open transaction; [`Store::begin_relay_epoch`] fences it in the store too (an
//! earlier session can take no more batches, so every batch numbered at or below a committed one
//! has committed); only then does it read the checkpoint `c` (`read_committed`, so a pending
//! offset commit is waited for) and [`Store::settle_relay_batches`]: verdicts of
//! batches ≤ `c` are in the topics and are marked relayed; those of later batches never
//! committed and are released to be taken again. A crash between any two steps therefore neither
//! loses a verdict (it stays pending until a committed transaction holds it) nor duplicates one
//! (a committed batch is never produced again).
//!
//! Limits: the checkpoint lives in the relay's consumer group; deleting the group (or resetting
//! its offsets) while verdicts of committed batches are still unmarked makes the relay produce
//! them again. Several console replicas may all run the relay: they share the transactional id,
//! so each start fences the others and the store's batch numbers stay consistent, but they take
//! turns rather than share the work (`relay = false` on all but one).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry};
use rdkafka::config::FromClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::store::{
    OutboxEntry, OutboxTopic, RecordEntry, RelayBatch, Store, StoreError, TakenBatch, Verdict,
};
use crate::config::{KafkaConfig, Topics, MAX_EVENT_BYTES};
use crate::kafka::client::{
    backoff, consumer_config, producer_config, producer_max_message_bytes, LogContext, LogLimiter,
    ERROR_LOG_INTERVAL,
};
use crate::kafka::limits::{self, OutputLimits};

/// The header every record of a verdict carries: the verdict id (decimal), by which a receiver
/// can recognise a verdict (unique in the store, never reused).
pub const VERDICT_ID_HEADER: &str = "synth-review-verdict-id";

/// The header every `synth.user-actions.v1` record carries: its `action_id`.
pub const ACTION_ID_HEADER: &str = "synth-review-action-id";

/// The header every `synth.complaint-results.v1` record carries: its `result_id`.
pub const RESULT_ID_HEADER: &str = "synth-review-result-id";

/// The header every `synth.refuted-claims.v1` record carries: its `claim_id`.
pub const CLAIM_ID_HEADER: &str = "synth-review-claim-id";

/// The refuted-claims topic when `[topics] refuted_claims` is not set.
pub const DEFAULT_REFUTED_CLAIMS_TOPIC: &str = "synth.refuted-claims.v1";

/// The partition of the audit topic whose committed offset, in the checkpoint group, is the
/// relay's checkpoint (the offset is a batch number, not a position in the partition).
pub const CHECKPOINT_PARTITION: i32 = 0;

/// Where the relay writes and under which identities.
#[derive(Debug, Clone)]
pub struct RelaySettings {
    /// The brokers, client id prefix, `transaction_timeout_ms` and the `[kafka.options]`
    /// pass-through; its `group_id`, `transactional_id` and `delivery` are not used.
    pub kafka: KafkaConfig,
    /// The relay's `transactional.id`, the same across restarts (and replicas), so that a new
    /// relay fences the old one.
    pub transactional_id: String,
    /// The consumer group whose committed offset on the audit topic's partition
    /// [`CHECKPOINT_PARTITION`] is the checkpoint. No consumer ever joins it.
    pub checkpoint_group: String,
    /// Approved verdicts go here (`[topics] approved`).
    pub approved_topic: String,
    /// Rejected verdicts go here (`[topics] rejected`).
    pub rejected_topic: String,
    /// One audit record per verdict goes here (`[topics] audit`).
    pub audit_topic: String,
    /// The ledger's measures, lifts and changes go here (`[ledger] user_actions_topic`, keyed
    /// by user id, header [`ACTION_ID_HEADER`]).
    pub user_actions_topic: String,
    /// Complaint outcomes go here (`[complaints] results_topic`, keyed by complaint id, header
    /// [`RESULT_ID_HEADER`]).
    pub complaint_results_topic: String,
    /// Claims leads add to the rumour library go here (`[topics] refuted_claims`, else
    /// [`DEFAULT_REFUTED_CLAIMS_TOPIC`]; keyed by the claim, header [`CLAIM_ID_HEADER`]).
    pub refuted_claims_topic: String,
    /// Written as `worker_id` of the audit records (`console-<hostname>:<pid>` by default).
    pub console_id: String,
    /// Verdicts per transaction, at most (1 or more).
    pub batch_max: u32,
    /// How often the outbox is read while it is empty.
    pub poll_interval: Duration,
}

/// The relay's counters, registered with [`RelayMetrics::register`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RelayMetrics {
    verdicts: IntCounterVec,
    user_actions: IntCounter,
    transactions: IntCounterVec,
    restarts: IntCounter,
    checkpoint: IntGauge,
}

impl Default for RelayMetrics {
    fn default() -> Self {
        RelayMetrics::new()
    }
}

impl RelayMetrics {
    /// Fresh counters at zero (every label value present), not registered anywhere.
    ///
    /// # Panics
    /// Never in practice: the names and labels are fixed and valid.
    pub fn new() -> Self {
        let verdicts = IntCounterVec::new(
            Opts::new(
                "synth_review_console_relayed_verdicts_total",
                "Verdicts the relay produced in a committed Kafka transaction, by decision.",
            ),
            &["decision"],
        )
        .expect("metric");
        let transactions = IntCounterVec::new(
            Opts::new(
                "synth_review_console_relay_transactions_total",
                "The relay's Kafka transactions, by result: committed, or failed (aborted or of unknown outcome; the relay restarts from its checkpoint).",
            ),
            &["result"],
        )
        .expect("metric");
        let user_actions = IntCounter::new(
            "synth_review_console_relayed_user_actions_total",
            "Records of synth.user-actions.v1 (measures, lifts, changes) the relay produced in a committed Kafka transaction.",
        )
        .expect("metric");
        let restarts = IntCounter::new(
            "synth_review_console_relay_restarts_total",
            "Times the relay made a new producer and settled the store against its checkpoint after a failure.",
        )
        .expect("metric");
        let checkpoint = IntGauge::new(
            "synth_review_console_relay_checkpoint",
            "The number of the last relay batch whose Kafka transaction committed.",
        )
        .expect("metric");
        for d in ["approve", "reject"] {
            verdicts.with_label_values(&[d]);
        }
        for r in ["committed", "failed"] {
            transactions.with_label_values(&[r]);
        }
        RelayMetrics {
            verdicts,
            user_actions,
            transactions,
            restarts,
            checkpoint,
        }
    }

    /// Registers the counters in `registry`.
    ///
    /// # Errors
    /// A metric of the same name is registered already.
    pub fn register(&self, registry: &Registry) -> prometheus::Result<()> {
        registry.register(Box::new(self.verdicts.clone()))?;
        registry.register(Box::new(self.user_actions.clone()))?;
        registry.register(Box::new(self.transactions.clone()))?;
        registry.register(Box::new(self.restarts.clone()))?;
        registry.register(Box::new(self.checkpoint.clone()))
    }

    /// Verdicts produced in committed transactions.
    pub fn relayed(&self) -> u64 {
        ["approve", "reject"]
            .iter()
            .map(|d| self.verdicts.with_label_values(&[d]).get())
            .sum()
    }

    /// Restarts after failures.
    pub fn restarts(&self) -> u64 {
        self.restarts.get()
    }
}

/// Why the relay stopped.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The settings cannot work (an empty topic or id, a zero batch).
    #[error("relay settings: {0}")]
    Settings(String),
}

/// What the relay did until it stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelaySummary {
    /// Verdicts produced in committed transactions.
    pub relayed: u64,
    /// Verdicts of earlier relays found in the topics on start and marked relayed.
    pub settled: u64,
    /// User-action records produced in committed transactions.
    pub user_actions: u64,
    /// Restarts after failures.
    pub restarts: u64,
}

/// A failure of one relay session: the relay makes a new producer and settles again.
#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("{0} did not return within {1:?}")]
    Stuck(&'static str, Duration),
    #[error("{0}")]
    Other(String),
}

/// How long a transactional call may block beyond its own timeout before the relay gives up on
/// the producer (librdkafka can block past it when a coordinator goes away).
const CALL_GRACE: Duration = Duration::from_secs(10);

/// Runs the relay until `shutdown` resolves (see the module documentation). Kafka and store
/// failures are retried (a new producer, settled against the checkpoint, with backoff 100 ms
/// doubling to 5 s) for as long as it takes; a shutdown in the middle of a batch leaves it to
/// the next start to settle.
///
/// # Errors
/// [`RelayError::Settings`] for settings that cannot work.
pub async fn run_relay(
    store: Store,
    settings: &RelaySettings,
    metrics: RelayMetrics,
    shutdown: impl Future<Output = ()>,
) -> Result<RelaySummary, RelayError> {
    check(settings)?;
    let mut shutdown = std::pin::pin!(shutdown);
    let mut summary = RelaySummary::default();
    let failures = LogLimiter::new(ERROR_LOG_INTERVAL);
    let mut attempt = 0u32;
    tracing::info!(
        transactional_id = settings.transactional_id,
        checkpoint_group = settings.checkpoint_group,
        "Console relay started."
    );
    loop {
        let result = tokio::select! {
            biased;
            () = &mut shutdown => break,
            r = session(&store, settings, &metrics, &mut summary, &mut attempt) => r,
        };
        let Err(error) = result;
        metrics.restarts.inc();
        summary.restarts += 1;
        if let Some(suppressed) = failures.allow() {
            // A topic that does not exist fails every transaction with a record for it, and
            // librdkafka's error does not say which: name them.
            let missing = missing_topics(settings).await;
            if missing.is_empty() {
                tracing::error!(%error, suppressed, "Relay failed; it starts again from its checkpoint.");
            } else {
                tracing::error!(%error, suppressed, missing = missing.join(", "), "Relay failed; it starts again from its checkpoint. These topics it writes do not exist: create them (docs/console.md).");
            }
        }
        let wait = backoff(attempt);
        attempt = attempt.saturating_add(1);
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            () = tokio::time::sleep(wait) => {}
        }
    }
    tracing::info!(
        relayed = summary.relayed,
        settled = summary.settled,
        restarts = summary.restarts,
        "Console relay stopped."
    );
    Ok(summary)
}

/// The relay's output topics (`settings`) the broker says do not exist, in the order of
/// [`RelaySettings`]: logged when the relay fails, since librdkafka's error does not name them
/// (one metadata request, at most 5 s;
/// nothing when the broker does not answer).
pub async fn missing_topics(settings: &RelaySettings) -> Vec<String> {
    let topics = [
        &settings.approved_topic,
        &settings.rejected_topic,
        &settings.audit_topic,
        &settings.user_actions_topic,
        &settings.complaint_results_topic,
        &settings.refuted_claims_topic,
    ]
    .map(|t| t.to_owned());
    let mut c = consumer_config(&settings.kafka);
    c.set(
        "client.id",
        format!("{}-console-relay-topics", settings.kafka.client_id),
    )
    .set("statistics.interval.ms", "0");
    tokio::task::spawn_blocking(move || {
        let Ok(consumer) =
            c.create_with_context::<_, BaseConsumer<LogContext>>(LogContext::new("consumer"))
        else {
            return Vec::new();
        };
        let Ok(md) = consumer.fetch_metadata(None, Duration::from_secs(5)) else {
            return Vec::new();
        };
        topics
            .into_iter()
            .filter(|t| {
                !md.topics()
                    .iter()
                    .any(|m| m.name() == t.as_str() && m.error().is_none())
            })
            .collect()
    })
    .await
    .unwrap_or_default()
}

fn check(s: &RelaySettings) -> Result<(), RelayError> {
    for (what, v) in [
        ("transactional_id", &s.transactional_id),
        ("checkpoint_group", &s.checkpoint_group),
        ("approved topic", &s.approved_topic),
        ("rejected topic", &s.rejected_topic),
        ("audit topic", &s.audit_topic),
        ("user actions topic", &s.user_actions_topic),
        ("complaint results topic", &s.complaint_results_topic),
        ("refuted claims topic", &s.refuted_claims_topic),
    ] {
        if v.is_empty() {
            return Err(RelayError::Settings(format!("the {what} is empty")));
        }
    }
    if s.batch_max == 0 {
        return Err(RelayError::Settings("batch_max must be at least 1".into()));
    }
    Ok(())
}

/// The relay's Kafka clients of one session.
struct Clients {
    producer: Arc<FutureProducer>,
    consumer: Arc<BaseConsumer<LogContext>>,
    timeout: Duration,
    /// The output topics' `max.message.bytes`, read from the broker and kept up to date.
    limits: Arc<arc_swap::ArcSwap<OutputLimits>>,
}

impl Clients {
    /// Runs a blocking librdkafka call off the async threads, giving up on it [`CALL_GRACE`]
    /// after its own timeout.
    async fn call<T: Send + 'static>(
        &self,
        what: &'static str,
        f: impl FnOnce(&FutureProducer, &BaseConsumer<LogContext>, Duration) -> Result<T, SessionError>
            + Send
            + 'static,
    ) -> Result<T, SessionError> {
        let (producer, consumer, timeout) =
            (self.producer.clone(), self.consumer.clone(), self.timeout);
        let limit = timeout + CALL_GRACE;
        match tokio::time::timeout(
            limit,
            tokio::task::spawn_blocking(move || f(&producer, &consumer, timeout)),
        )
        .await
        {
            Ok(Ok(r)) => r,
            Ok(Err(join)) => Err(SessionError::Other(format!("{what} panicked: {join}"))),
            Err(_) => Err(SessionError::Stuck(what, limit)),
        }
    }
}

async fn clients(settings: &RelaySettings) -> Result<Clients, SessionError> {
    let mut p = producer_config(&settings.kafka, MAX_EVENT_BYTES);
    p.set("transactional.id", &settings.transactional_id)
        .set(
            "transaction.timeout.ms",
            settings.kafka.transaction_timeout_ms.to_string(),
        )
        .set(
            "client.id",
            format!("{}-console-relay", settings.kafka.client_id),
        );
    let mut c = consumer_config(&settings.kafka);
    c.set("group.id", &settings.checkpoint_group)
        .set(
            "client.id",
            format!("{}-console-relay-checkpoint", settings.kafka.client_id),
        )
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed");
    // Logs like the worker's clients; librdkafka's statistics are not logged.
    let consumer: BaseConsumer<LogContext> = c.create_with_context(LogContext::new("consumer"))?;
    let topics = Topics {
        approved: settings.approved_topic.clone(),
        rejected: settings.rejected_topic.clone(),
        audit: settings.audit_topic.clone(),
        // Not written by the relay; named so that only its own topics are described.
        held: settings.approved_topic.clone(),
        dead_letter: settings.audit_topic.clone(),
        input: settings.audit_topic.clone(),
        refuted_claims: None,
    };
    let limits = limits::watch(
        &settings.kafka,
        &topics,
        producer_max_message_bytes(MAX_EVENT_BYTES),
        true,
    )
    .await?;
    // Batches of records no larger than the smallest output topic accepts (a batch is what the
    // broker checks against max.message.bytes).
    limits.load().cap_batch_size(&mut p);
    let producer = FutureProducer::from_config(&p)?;
    Ok(Clients {
        producer: Arc::new(producer),
        consumer: Arc::new(consumer),
        timeout: Duration::from_millis(settings.kafka.transaction_timeout_ms.max(1000)),
        limits,
    })
}

/// One session: new clients, fence, settle, then batches until a failure.
async fn session(
    store: &Store,
    settings: &RelaySettings,
    metrics: &RelayMetrics,
    summary: &mut RelaySummary,
    attempt: &mut u32,
) -> Result<std::convert::Infallible, SessionError> {
    let clients = clients(settings).await?;
    clients
        .call("init_transactions", |p, _, t| Ok(p.init_transactions(t)?))
        .await?;
    // Fenced in Kafka; now in the store, so that an earlier relay can take no more batches.
    let epoch = store.begin_relay_epoch().await?;
    let audit = settings.audit_topic.clone();
    let checkpoint = clients
        .call("reading the checkpoint", move |_, c, t| {
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition(&audit, CHECKPOINT_PARTITION);
            let committed = c.committed_offsets(tpl, t)?;
            Ok(committed
                .elements()
                .first()
                .and_then(|e| match e.offset() {
                    Offset::Offset(n) => Some(n),
                    _ => None,
                })
                .unwrap_or(0))
        })
        .await?;
    let settled = store
        .settle_relay_batches(checkpoint, OffsetDateTime::now_utc())
        .await?;
    if settled.marked > 0 || settled.released > 0 {
        tracing::info!(
            checkpoint,
            marked = settled.marked,
            released = settled.released,
            "Relay settled the store against its checkpoint."
        );
    }
    summary.settled += settled.marked;
    metrics.checkpoint.set(checkpoint);
    loop {
        let Some(TakenBatch {
            batch,
            verdicts: entries,
            records,
        }) = store
            .take_relay_batch(epoch, checkpoint + 1, settings.batch_max)
            .await?
        else {
            *attempt = 0;
            tokio::time::sleep(settings.poll_interval).await;
            continue;
        };
        match produce_batch(&clients, settings, batch, &entries, &records).await {
            Ok(()) => metrics.transactions.with_label_values(&["committed"]).inc(),
            Err(e) => {
                metrics.transactions.with_label_values(&["failed"]).inc();
                return Err(e);
            }
        }
        metrics.checkpoint.set(batch);
        for e in &entries {
            metrics
                .verdicts
                .with_label_values(&[e.verdict.verdict.as_str()])
                .inc();
        }
        let actions = records
            .iter()
            .filter(|r| r.topic == OutboxTopic::UserActions)
            .count() as u64;
        metrics.user_actions.inc_by(actions);
        summary.relayed += entries.len() as u64;
        summary.user_actions += actions;
        // The batch is in the topics: a failure to mark it is settled by the next session.
        store
            .mark_batch_relayed(batch, OffsetDateTime::now_utc())
            .await?;
        *attempt = 0;
    }
}

async fn produce_batch(
    clients: &Clients,
    settings: &RelaySettings,
    batch: RelayBatch,
    entries: &[OutboxEntry],
    records: &[RecordEntry],
) -> Result<(), SessionError> {
    clients
        .call("begin_transaction", |p, _, _| Ok(p.begin_transaction()?))
        .await?;
    let limits = clients.limits.load();
    for entry in entries {
        let topic = match entry.verdict.verdict {
            Verdict::Approve => &settings.approved_topic,
            Verdict::Reject => &settings.rejected_topic,
        };
        let id = entry.verdict.verdict_id.to_string();
        let mut records = VerdictRecords::new(entry, &settings.console_id);
        let headers = [(VERDICT_ID_HEADER.to_string(), id.as_bytes().to_vec())];
        let key = Some(entry.event_id.as_bytes());
        if !limits.fits(topic, key, records.decision.len(), &headers) {
            // Never a stalled outbox: a record that would not fit its topic (the held record
            // was at the held topic's limit, or the topic's limit is lower) goes without the
            // embedded event; the held topic keeps it.
            records.decision = records.without_event(limits.room_for_value(topic, key, &headers));
            tracing::warn!(
                verdict_id = entry.verdict.verdict_id,
                topic,
                "A verdict's decision record did not fit its topic; produced without the event."
            );
        }
        for (topic, value) in [
            (topic.as_str(), &records.decision),
            (settings.audit_topic.as_str(), &records.audit),
        ] {
            let headers = OwnedHeaders::new().insert(Header {
                key: VERDICT_ID_HEADER,
                value: Some(id.as_bytes()),
            });
            let record = FutureRecord::to(topic)
                .key(entry.event_id.as_bytes())
                .payload(value.as_bytes())
                .headers(headers);
            // Delivery is confirmed by commit_transaction (it fails when a record failed).
            if let Err((e, _)) = clients.producer.send_result(record) {
                return Err(e.into());
            }
        }
    }
    for r in records {
        let (topic, header) = match r.topic {
            OutboxTopic::UserActions => (&settings.user_actions_topic, ACTION_ID_HEADER),
            OutboxTopic::ComplaintResults => (&settings.complaint_results_topic, RESULT_ID_HEADER),
            OutboxTopic::RefutedClaims => (&settings.refuted_claims_topic, CLAIM_ID_HEADER),
        };
        let headers = OwnedHeaders::new().insert(Header {
            key: header,
            value: Some(r.record_key.as_bytes()),
        });
        let record = FutureRecord::to(topic)
            .key(r.kafka_key.as_bytes())
            .payload(r.record.as_bytes())
            .headers(headers);
        if let Err((e, _)) = clients.producer.send_result(record) {
            return Err(e.into());
        }
    }
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(
        &settings.audit_topic,
        CHECKPOINT_PARTITION,
        Offset::Offset(batch),
    )?;
    clients
        .call("send_offsets_to_transaction", move |p, c, t| {
            let group = c.group_metadata().ok_or_else(|| {
                SessionError::Other("the checkpoint consumer has no group metadata".into())
            })?;
            Ok(p.send_offsets_to_transaction(&tpl, &group, t)?)
        })
        .await?;
    clients
        .call("commit_transaction", |p, _, t| Ok(p.commit_transaction(t)?))
        .await?;
    Ok(())
}

/// The two records of one verdict, as JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct VerdictRecords {
    /// The held decision record with `decision` set to the verdict and `reviewed_by` added
    /// (DESIGN §8): `{"kind": "moderator", "id", "verdict_id", "reason_code", "note",
    /// "decided_at"}`.
    pub decision: String,
    /// The audit record: the worker's audit fields (`event_id`, `decision`, `reasons` = the
    /// moderator's reason code, `pipeline`, `pipeline_version`, `lexicon_version` from the held
    /// record, `reviewed_at` = the verdict's time, `worker_id` = the console) and `reviewed_by`.
    pub audit: String,
}

impl VerdictRecords {
    /// Builds the records of `entry`. A held record that is not a JSON object (the intake stores
    /// only objects) is replaced by one holding the event id and a `record_error`.
    pub fn new(entry: &OutboxEntry, console_id: &str) -> VerdictRecords {
        let v = &entry.verdict;
        let decided_at = v
            .decided_at
            .format(&Rfc3339)
            .unwrap_or_else(|_| v.decided_at.unix_timestamp().to_string());
        let reviewed_by = json!({
            "kind": "moderator",
            "id": v.moderator,
            "verdict_id": v.verdict_id,
            "reason_code": v.reason_code,
            "note": v.note,
            "decided_at": decided_at,
            "review_round": entry.round,
        });
        let mut record = match serde_json::from_str::<Value>(&entry.record) {
            Ok(Value::Object(m)) => m,
            other => {
                let mut m = Map::new();
                m.insert("event_id".into(), Value::String(entry.event_id.clone()));
                m.insert(
                    "record_error".into(),
                    Value::String(match other {
                        Ok(_) => "the held record is not a JSON object".into(),
                        Err(e) => format!("the held record is not JSON: {e}"),
                    }),
                );
                m
            }
        };
        let held = |key: &str| record.get(key).cloned().unwrap_or(Value::Null);
        let audit = json!({
            "event_id": entry.event_id,
            "decision": v.verdict.as_str(),
            "reasons": [v.reason_code],
            "pipeline": held("pipeline"),
            "pipeline_version": held("pipeline_version"),
            "lexicon_version": held("lexicon_version"),
            "reviewed_at": decided_at,
            "worker_id": console_id,
            "reviewed_by": reviewed_by,
        });
        record.insert("decision".into(), Value::String(v.verdict.as_str().into()));
        record.insert("reviewed_by".into(), reviewed_by);
        VerdictRecords {
            decision: Value::Object(record).to_string(),
            audit: audit.to_string(),
        }
    }
}

impl VerdictRecords {
    /// The decision record without the embedded event (`"event": {"event_id", "user": {"id"},
    /// "omitted"}`), for a topic that would refuse it whole; when even that exceeds `room`
    /// bytes, only `event_id`, `decision`, `reviewed_by`, that `event` and `record_error`
    /// remain.
    pub fn without_event(&self, room: usize) -> String {
        let Ok(Value::Object(mut m)) = serde_json::from_str::<Value>(&self.decision) else {
            return self.decision.clone();
        };
        let event_id = m.get("event_id").cloned().unwrap_or(Value::Null);
        // The author stays, for the ledger's strike ([`super::ledger::Strike::from_rejected`]).
        let user = m
            .get("event")
            .and_then(|e| e.get("user"))
            .and_then(|u| u.get("id"))
            .map(|id| json!({ "id": id }))
            .unwrap_or(Value::Null);
        let slim_event = json!({"event_id": event_id, "user": user,
            "omitted": "too large for this topic with the verdict; the held topic has the whole record"});
        m.insert("event".into(), slim_event.clone());
        let slim = Value::Object(m.clone()).to_string();
        if slim.len() <= room {
            return slim;
        }
        let mut minimal = Map::new();
        for key in ["event_id", "decision", "reviewed_by"] {
            if let Some(v) = m.remove(key) {
                minimal.insert(key.into(), v);
            }
        }
        minimal.insert("event".into(), slim_event);
        // The appealed strike stays, so that the ledger counts a dismissed appeal's reject once.
        if let Some(Value::Object(appeal)) = m.get("appeal") {
            let keep = |k: &str| appeal.get(k).cloned().unwrap_or(Value::Null);
            minimal.insert(
                "appeal".into(),
                json!({"appeal_id": keep("appeal_id"), "strike_key": keep("strike_key")}),
            );
        }
        minimal.insert(
            "record_error".into(),
            "the decision record is too large for this topic; the held topic has it".into(),
        );
        Value::Object(minimal).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::store::DecidedVerdict;

    fn entry(record: &str) -> OutboxEntry {
        OutboxEntry {
            verdict: DecidedVerdict {
                verdict_id: 7,
                verdict: Verdict::Reject,
                moderator: "mod-a".into(),
                reason_code: "prohibited_term".into(),
                note: Some("sells it".into()),
                decided_at: OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
            },
            item_id: 3,
            event_id: "e-1".into(),
            round: 0,
            record: record.into(),
        }
    }

    #[test]
    fn records_carry_the_verdict_and_the_moderator() {
        let held = r#"{"event_id":"e-1","decision":"hold","reasons":[{"code":"x"}],"pipeline":"default","pipeline_version":"1","lexicon_version":"L"}"#;
        let r = VerdictRecords::new(&entry(held), "console-h:1");
        let d: Value = serde_json::from_str(&r.decision).unwrap();
        assert_eq!(d["decision"], "reject");
        assert_eq!(d["reasons"][0]["code"], "x", "the worker's reasons stay");
        assert_eq!(d["reviewed_by"]["kind"], "moderator");
        assert_eq!(d["reviewed_by"]["id"], "mod-a");
        assert_eq!(d["reviewed_by"]["verdict_id"], 7);
        assert_eq!(d["reviewed_by"]["decided_at"], "2027-01-15T08:00:00Z");
        let a: Value = serde_json::from_str(&r.audit).unwrap();
        assert_eq!(a["decision"], "reject");
        assert_eq!(a["reasons"], json!(["prohibited_term"]));
        assert_eq!(a["lexicon_version"], "L");
        assert_eq!(a["worker_id"], "console-h:1");
        assert_eq!(a["reviewed_by"]["id"], "mod-a");
    }

    #[test]
    fn a_record_too_large_goes_without_its_event() {
        let held = serde_json::json!({"event_id": "e-1", "decision": "hold",
            "reasons": [{"code": "x"}], "event": {"text": "长".repeat(10_000)}})
        .to_string();
        let r = VerdictRecords::new(&entry(&held), "c");
        let slim: Value = serde_json::from_str(&r.without_event(1_000)).unwrap();
        assert_eq!(slim["event"]["event_id"], "e-1");
        assert!(slim["event"]["omitted"].is_string());
        assert_eq!(slim["reasons"][0]["code"], "x");
        assert_eq!(slim["reviewed_by"]["id"], "mod-a");
        let minimal: Value = serde_json::from_str(&r.without_event(10)).unwrap();
        assert_eq!(minimal["decision"], "reject");
        assert!(minimal.get("reasons").is_none() && minimal["record_error"].is_string());
        assert_eq!(
            slim["event"]["user"],
            serde_json::Value::Null,
            "no user in this record"
        );
    }

    #[test]
    fn a_record_that_is_not_an_object_still_gives_records() {
        for held in ["[1]", "not json"] {
            let r = VerdictRecords::new(&entry(held), "c");
            let d: Value = serde_json::from_str(&r.decision).unwrap();
            assert_eq!(d["event_id"], "e-1");
            assert_eq!(d["decision"], "reject");
            assert!(d["record_error"].as_str().is_some(), "{d}");
        }
    }
}
