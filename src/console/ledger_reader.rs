//! The ledger's reader: the rejected topic (the worker's rejects and the moderators', which the
//! relay produces there) into strikes, and the user-actions topic back into the store
//! (`docs/console.md`, "Ledger"). The rules are in [`super::ledger`].
//!
//! The reader assigns itself every partition of both topics (no consumer group: several
//! console replicas each read everything, and the store's unique keys make that harmless) and
//! keeps its offsets **in the store**, written in the transaction that applies the records
//! before them ([`Store::apply_strikes`], [`Store::import_user_actions`]). So each record is
//! applied once, and a store that was lost starts from the topics' beginning and is rebuilt:
//! on every start the reader first reads the user-actions topic to its end (the measures,
//! lifts and changes produced before, stored as relayed), and only then the rejected topic, so
//! that a rebuilt ledger issues none of the measures that were produced already. Both are read
//! with `read_committed`.
//!
//! A record of the rejected topic that gives no strike ([`super::ledger::StrikeError`]: not
//! JSON, not a reject, no user) is logged and counted in
//! `synth_review_console_ledger_invalid_total{reason}`; its offset is applied like any other.
//! Store failures are retried with backoff (the partitions wait); Kafka failures are retried by
//! librdkafka.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use futures::FutureExt;
use prometheus::{IntCounter, IntCounterVec, Opts, Registry};
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::Value;
use time::OffsetDateTime;

use super::appeal::Appeal;
use super::complaint::Complaint;
use super::ledger::{LedgerPolicy, Strike};
use super::store::Store;
use crate::config::KafkaConfig;
use crate::kafka::client::{backoff, consumer_config, LogContext, LogLimiter, ERROR_LOG_INTERVAL};

/// The reader's consumer: logs like the worker's clients, partition ends are not errors.
type Consumer = StreamConsumer<LogContext>;

/// Where the ledger reads and by which rules.
#[derive(Debug, Clone)]
pub struct LedgerSettings {
    /// Brokers, client id, `[kafka.options]`; the group id and delivery mode are not used.
    pub kafka: KafkaConfig,
    /// The rejected topic (`[topics] rejected`).
    pub rejected_topic: String,
    /// The user-actions topic (`[ledger] user_actions_topic`).
    pub user_actions_topic: String,
    /// Weights, window and ladder.
    pub policy: LedgerPolicy,
    /// Written as `issued_by.id` of the measures.
    pub console_id: String,
    /// Records per store transaction, at most.
    pub batch_max: usize,
    /// Complaints (Art. 12), when they are read.
    pub complaints: Option<ComplaintSettings>,
    /// Appeals (Art. 12), when they are read.
    pub appeals: Option<AppealSettings>,
}

/// Where appeals come from and how long one may take.
#[derive(Debug, Clone)]
pub struct AppealSettings {
    /// `synth.appeals.v1` (`[appeals] topic`).
    pub topic: String,
    /// An appeal's deadline after it was received (`[appeals] time_limit_hours`).
    pub time_limit: Duration,
}

/// Where complaints come from and how long a case may take.
#[derive(Debug, Clone)]
pub struct ComplaintSettings {
    /// `synth.complaints.v1` (`[complaints] topic`).
    pub topic: String,
    /// A case's deadline after its first complaint was received (`[complaints] time_limit_hours`).
    pub time_limit: Duration,
    /// The approved topic, indexed so that a complaint about an event the console never held
    /// reopens it with its published record; `None`: such a complaint reopens a stub.
    pub approved_topic: Option<String>,
}

/// The reader's counters. Cheap to clone.
#[derive(Debug, Clone)]
pub struct LedgerMetrics {
    appeals: IntCounterVec,
    complaints: IntCounterVec,
    strikes: IntCounterVec,
    invalid: IntCounterVec,
    measures: IntCounterVec,
    store_retries: IntCounter,
}

impl Default for LedgerMetrics {
    fn default() -> Self {
        LedgerMetrics::new()
    }
}

impl LedgerMetrics {
    /// Fresh counters at zero, not registered.
    ///
    /// # Panics
    /// Never in practice: fixed, valid names.
    pub fn new() -> Self {
        let strikes = IntCounterVec::new(
            Opts::new(
                "synth_review_console_ledger_strikes_total",
                "Rejects read from the rejected topic, by result: new (a strike recorded) or duplicate (the store had it).",
            ),
            &["result"],
        )
        .expect("metric");
        let invalid = IntCounterVec::new(
            Opts::new(
                "synth_review_console_ledger_invalid_total",
                "Records of the rejected topic that give no strike, by reason: malformed, not_rejected, missing.",
            ),
            &["reason"],
        )
        .expect("metric");
        let measures = IntCounterVec::new(
            Opts::new(
                "synth_review_console_measures_total",
                "Measures the ladder issued (each once, then produced to synth.user-actions.v1 by the relay), by kind.",
            ),
            &["kind"],
        )
        .expect("metric");
        let complaints = IntCounterVec::new(
            Opts::new(
                "synth_review_console_complaints_total",
                "Records of the complaints topic, by result: opened (a new case, its event reopened in the hold queue), merged (into an open case), duplicate (the store had it), invalid (not a complaint; skipped).",
            ),
            &["result"],
        )
        .expect("metric");
        for r in ["opened", "merged", "duplicate", "invalid"] {
            complaints.with_label_values(&[r]);
        }
        let appeals = IntCounterVec::new(
            Opts::new(
                "synth_review_console_appeals_total",
                "Appeals (Art. 12) the ledger reader handled, by result: opened (a reject's appeal, reopened in the hold queue), for_leads (a measure's appeal), waiting (its reject is not in the ledger yet; opened when it is), refused (nothing to appeal, or appealed already; an outcome record says why), duplicate (the store had it), invalid (not an appeal; skipped).",
            ),
            &["result"],
        )
        .expect("metric");
        for r in [
            "opened",
            "for_leads",
            "waiting",
            "refused",
            "duplicate",
            "invalid",
        ] {
            appeals.with_label_values(&[r]);
        }
        let store_retries = IntCounter::new(
            "synth_review_console_ledger_store_retries_total",
            "Failed ledger writes to the store that were retried (the partitions wait meanwhile).",
        )
        .expect("metric");
        for r in ["new", "duplicate"] {
            strikes.with_label_values(&[r]);
        }
        for r in ["malformed", "not_rejected", "missing"] {
            invalid.with_label_values(&[r]);
        }
        for k in ["warn", "restrict", "suspend", "close"] {
            measures.with_label_values(&[k]);
        }
        LedgerMetrics {
            appeals,
            complaints,
            strikes,
            invalid,
            measures,
            store_retries,
        }
    }

    /// Registers the counters in `registry`.
    ///
    /// # Errors
    /// A metric of the same name is registered already.
    pub fn register(&self, registry: &Registry) -> prometheus::Result<()> {
        registry.register(Box::new(self.appeals.clone()))?;
        registry.register(Box::new(self.complaints.clone()))?;
        registry.register(Box::new(self.strikes.clone()))?;
        registry.register(Box::new(self.invalid.clone()))?;
        registry.register(Box::new(self.measures.clone()))?;
        registry.register(Box::new(self.store_retries.clone()))
    }

    /// New strikes recorded.
    pub fn new_strikes(&self) -> u64 {
        self.strikes.with_label_values(&["new"]).get()
    }

    /// Measures issued.
    pub fn measures(&self) -> u64 {
        ["warn", "restrict", "suspend", "close"]
            .iter()
            .map(|k| self.measures.with_label_values(&[k]).get())
            .sum()
    }
}

/// Why the reader stopped.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The consumer could not be created or assigned.
    #[error("ledger reader's Kafka consumer: {0}")]
    Consumer(KafkaError),
    /// Consuming failed for good (authorization, authentication, a fatal client error).
    #[error("ledger reader: consuming failed: {0}")]
    Consume(KafkaError),
    /// The settings cannot work.
    #[error("ledger settings: {0}")]
    Settings(String),
}

/// What the reader did until it stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LedgerSummary {
    /// Strikes recorded.
    pub new_strikes: u64,
    /// Measures issued.
    pub measures: u64,
    /// User-action records of the topic the store did not have (a rebuild).
    pub imported: u64,
}

/// How often the topics' partition counts are looked up again.
const METADATA_INTERVAL: Duration = Duration::from_secs(30);

/// Runs the ledger reader until `shutdown` resolves (see the module documentation).
///
/// # Errors
/// [`LedgerError`] when the consumer cannot be made or consuming fails for good, or for
/// settings that cannot work.
pub async fn run_ledger(
    store: Store,
    settings: &LedgerSettings,
    metrics: LedgerMetrics,
    shutdown: impl Future<Output = ()>,
) -> Result<LedgerSummary, LedgerError> {
    settings.policy.check().map_err(LedgerError::Settings)?;
    if settings.rejected_topic.is_empty() || settings.user_actions_topic.is_empty() {
        return Err(LedgerError::Settings("a topic is empty".into()));
    }
    let mut c = consumer_config(&settings.kafka);
    c.set(
        "group.id",
        format!("{}-console-ledger", settings.kafka.client_id),
    )
    .set(
        "client.id",
        format!("{}-console-ledger", settings.kafka.client_id),
    )
    .set("enable.auto.commit", "false")
    .set("enable.partition.eof", "true")
    .set("isolation.level", "read_committed");
    let consumer: Consumer = c
        .create_with_context(LogContext::new("consumer"))
        .map_err(LedgerError::Consumer)?;
    let mut shutdown = std::pin::pin!(shutdown);
    let mut reader = Reader {
        store,
        settings,
        metrics,
        summary: LedgerSummary::default(),
        errors: LogLimiter::new(ERROR_LOG_INTERVAL),
    };
    tracing::info!(
        rejected = settings.rejected_topic,
        user_actions = settings.user_actions_topic,
        "Console ledger reader started."
    );
    let topics = [
        settings.user_actions_topic.as_str(),
        settings.rejected_topic.as_str(),
    ];
    // 1. The user-actions topic to its end.
    let Some(partitions) = reader
        .assign(&consumer, &topics[..1], &mut shutdown)
        .await?
    else {
        return Ok(reader.summary);
    };
    let mut at_end: BTreeMap<i32, bool> = partitions[0].iter().map(|p| (*p, false)).collect();
    while at_end.values().any(|e| !e) {
        let Some(batch) = reader.batch(&consumer, &mut shutdown, &mut at_end).await? else {
            return Ok(reader.summary);
        };
        if !reader.apply(batch, &mut shutdown).await {
            return Ok(reader.summary);
        }
    }
    tracing::info!(
        imported = reader.summary.imported,
        "Ledger reader read the user-actions topic to its end."
    );
    // 2. Every topic, from the stored offsets.
    let mut topics: Vec<&str> = topics.to_vec();
    if let Some(c) = &settings.complaints {
        if let Some(approved) = &c.approved_topic {
            topics.push(approved);
        }
        topics.push(&c.topic);
    }
    if let Some(a) = &settings.appeals {
        topics.push(&a.topic);
    }
    let topics = topics.as_slice();
    let Some(mut assigned) = reader.assign(&consumer, topics, &mut shutdown).await? else {
        return Ok(reader.summary);
    };
    let mut ignore = BTreeMap::new();
    let mut last_metadata = std::time::Instant::now();
    loop {
        if last_metadata.elapsed() >= METADATA_INTERVAL {
            last_metadata = std::time::Instant::now();
            if let Ok(now) = partition_counts(&consumer, topics).await {
                if now != assigned {
                    tracing::info!("The ledger's topics gained partitions; assigning them.");
                    match reader.assign(&consumer, topics, &mut shutdown).await? {
                        Some(a) => assigned = a,
                        None => return Ok(reader.summary),
                    }
                }
            }
        }
        let batch = tokio::select! {
            b = reader.batch(&consumer, &mut shutdown, &mut ignore) => b?,
            () = tokio::time::sleep(METADATA_INTERVAL) => continue,
        };
        let Some(batch) = batch else {
            break;
        };
        if !reader.apply(batch, &mut shutdown).await {
            break;
        }
    }
    tracing::info!(
        new_strikes = reader.summary.new_strikes,
        measures = reader.summary.measures,
        "Console ledger reader stopped."
    );
    Ok(reader.summary)
}

/// The partitions of each topic (sorted), from the broker's metadata; a topic that does not
/// exist (yet) has none (it is looked up again every [`METADATA_INTERVAL`]). An error when the
/// metadata cannot be read at all.
async fn partition_counts(consumer: &Consumer, topics: &[&str]) -> Result<Vec<Vec<i32>>, String> {
    let mut out = Vec::new();
    for topic in topics {
        let md = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .map_err(|e| e.to_string())?;
        let mut ps: Vec<i32> = match md.topics().first() {
            Some(t) if t.error().is_none() => t.partitions().iter().map(|p| p.id()).collect(),
            Some(t) => {
                let why = t
                    .error()
                    .map(|e| rdkafka::error::RDKafkaErrorCode::from(e).to_string())
                    .unwrap_or_default();
                tracing::warn!(topic, error = why, "A topic of the console's ledger reader is not readable; it is looked up again in 30 s.");
                Vec::new()
            }
            None => Vec::new(),
        };
        ps.sort_unstable();
        out.push(ps);
    }
    Ok(out)
}

/// What a topic is to the reader.
#[derive(Debug, Clone, Copy)]
enum Kind {
    UserActions,
    Rejected,
    Approved,
    Complaints,
    Appeals,
}

/// Reads the record at `offset` of `partition` of `topic` (`read_committed`), within 15 s.
async fn fetch_record(
    kafka: &KafkaConfig,
    topic: &str,
    partition: i32,
    offset: i64,
) -> Result<String, String> {
    let mut c = consumer_config(kafka);
    c.set("group.id", format!("{}-console-fetch", kafka.client_id))
        .set("client.id", format!("{}-console-fetch", kafka.client_id))
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed");
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || {
        let consumer: rdkafka::consumer::BaseConsumer<LogContext> = c
            .create_with_context(LogContext::new("consumer"))
            .map_err(|e| e.to_string())?;
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(&topic, partition, Offset::Offset(offset))
            .map_err(|e| e.to_string())?;
        consumer.assign(&tpl).map_err(|e| e.to_string())?;
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while std::time::Instant::now() < deadline {
            match consumer.poll(Duration::from_millis(500)) {
                Some(Ok(m)) if m.offset() == offset => {
                    return std::str::from_utf8(m.payload().unwrap_or_default())
                        .map(str::to_owned)
                        .map_err(|e| e.to_string());
                }
                Some(Ok(m)) if m.offset() > offset => {
                    return Err(format!("offset {offset} is gone (read {})", m.offset()))
                }
                Some(Err(e)) => return Err(e.to_string()),
                _ => {}
            }
        }
        Err("timed out".into())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// One batch: records with the offsets after them, by topic.
#[derive(Default)]
struct Batch {
    /// Topic → partition → the offset after the batch's last record.
    next: BTreeMap<String, BTreeMap<i32, i64>>,
    /// Topic → (partition, offset, value), in the order read.
    records: BTreeMap<String, Vec<(i32, i64, Vec<u8>)>>,
    len: usize,
}

struct Reader<'a> {
    store: Store,
    settings: &'a LedgerSettings,
    metrics: LedgerMetrics,
    summary: LedgerSummary,
    errors: LogLimiter,
}

impl Reader<'_> {
    /// Adds every partition of `topics` not yet assigned at its stored offset (the beginning
    /// where none is stored), retrying until the topics' metadata can be read; `None` on
    /// shutdown. Partitions already assigned go on from where they are: the assignment only
    /// grows (`incremental_assign`), never replaced. Replacing it (`assign`) stops every
    /// assigned partition, and a close within milliseconds of that stops them again, which
    /// librdkafka 2.12 does not survive (`rd_kafka_assignment_partition_stopped: Assertion
    /// rktp->rktp_started failed`, librdkafka issue #5573, fixed after 2.12; found by a red-team
    /// run of `demo --console` stopped by SIGTERM, 1 run in 6–12).
    async fn assign(
        &mut self,
        consumer: &Consumer,
        topics: &[&str],
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> Result<Option<Vec<Vec<i32>>>, LedgerError> {
        let mut attempt = 0u32;
        loop {
            match partition_counts(consumer, topics).await {
                Ok(parts) => {
                    let current = consumer.assignment().map_err(LedgerError::Consumer)?;
                    let mut tpl = TopicPartitionList::new();
                    let mut stored_ok = true;
                    for (topic, ps) in topics.iter().zip(&parts) {
                        match self.store.ledger_offsets(topic).await {
                            Ok(stored) => {
                                let stored: BTreeMap<i32, i64> = stored.into_iter().collect();
                                for p in ps {
                                    if current.find_partition(topic, *p).is_some() {
                                        continue;
                                    }
                                    let offset = stored
                                        .get(p)
                                        .map_or(Offset::Beginning, |o| Offset::Offset(*o));
                                    tpl.add_partition_offset(topic, *p, offset)
                                        .map_err(LedgerError::Consumer)?;
                                }
                            }
                            Err(e) => {
                                self.metrics.store_retries.inc();
                                if let Some(suppressed) = self.errors.allow() {
                                    tracing::error!(error = %e, suppressed, "Reading the ledger's offsets failed; retrying.");
                                }
                                stored_ok = false;
                            }
                        }
                    }
                    if stored_ok {
                        if tpl.count() > 0 {
                            consumer
                                .incremental_assign(&tpl)
                                .map_err(LedgerError::Consumer)?;
                        }
                        return Ok(Some(parts));
                    }
                }
                Err(e) => {
                    if let Some(suppressed) = self.errors.allow() {
                        tracing::warn!(
                            error = e,
                            suppressed,
                            "The ledger's topics are not readable yet; retrying."
                        );
                    }
                }
            }
            let wait = backoff(attempt);
            attempt = attempt.saturating_add(1);
            tokio::select! {
                biased;
                () = shutdown.as_mut() => return Ok(None),
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// The next batch of records (up to `batch_max`: the first, then as many as are ready);
    /// it ends early at a partition's end, which is noted in `at_end`. `None` on shutdown.
    async fn batch(
        &mut self,
        consumer: &Consumer,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
        at_end: &mut BTreeMap<i32, bool>,
    ) -> Result<Option<Batch>, LedgerError> {
        let mut batch = Batch::default();
        loop {
            let next = if batch.len == 0 {
                tokio::select! {
                    biased;
                    () = shutdown.as_mut() => return Ok(None),
                    m = consumer.recv() => Some(m),
                }
            } else {
                consumer.recv().now_or_never()
            };
            let Some(next) = next else {
                return Ok(Some(batch));
            };
            let message: BorrowedMessage<'_> = match next {
                Ok(m) => m,
                Err(KafkaError::PartitionEOF(p)) => {
                    if let Some(e) = at_end.get_mut(&p) {
                        *e = true;
                    }
                    return Ok(Some(batch));
                }
                Err(e) if crate::kafka::error::is_fatal_consume_error(&e) => {
                    return Err(LedgerError::Consume(e))
                }
                Err(e) => {
                    if let Some(suppressed) = self.errors.allow() {
                        tracing::warn!(error = %e, suppressed, "The ledger reader's consume failed; retrying.");
                    }
                    continue;
                }
            };
            let topic = message.topic();
            batch
                .next
                .entry(topic.to_owned())
                .or_default()
                .insert(message.partition(), message.offset() + 1);
            batch.records.entry(topic.to_owned()).or_default().push((
                message.partition(),
                message.offset(),
                message.payload().unwrap_or_default().to_vec(),
            ));
            batch.len += 1;
            if batch.len >= self.settings.batch_max.max(1) {
                return Ok(Some(batch));
            }
        }
    }

    /// Applies a batch (the user-actions records first), retrying store failures; `false` on
    /// shutdown.
    async fn apply(
        &mut self,
        mut batch: Batch,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> bool {
        let mut order = vec![
            (self.settings.user_actions_topic.clone(), Kind::UserActions),
            (self.settings.rejected_topic.clone(), Kind::Rejected),
        ];
        if let Some(c) = &self.settings.complaints {
            if let Some(approved) = &c.approved_topic {
                order.push((approved.clone(), Kind::Approved));
            }
            order.push((c.topic.clone(), Kind::Complaints));
        }
        if let Some(a) = &self.settings.appeals {
            order.push((a.topic.clone(), Kind::Appeals));
        }
        let strikes_before = self.summary.new_strikes;
        for (topic, kind) in order {
            let Some(records) = batch.records.remove(&topic) else {
                continue;
            };
            let next: Vec<(i32, i64)> = batch
                .next
                .remove(&topic)
                .unwrap_or_default()
                .into_iter()
                .collect();
            let applied = match kind {
                Kind::UserActions => {
                    self.apply_topic(&topic, false, &next, &records, shutdown)
                        .await
                }
                Kind::Rejected => {
                    self.apply_topic(&topic, true, &next, &records, shutdown)
                        .await
                }
                Kind::Approved => self.index(&topic, &next, &records, shutdown).await,
                Kind::Complaints => self.complaints(&topic, &next, &records, shutdown).await,
                Kind::Appeals => {
                    let appeals = self.read_appeals(&topic, &records);
                    self.appeals(&topic, &next, appeals, shutdown).await
                }
            };
            if !applied {
                return false;
            }
        }
        // New strikes may be what waiting appeals wait for.
        if self.summary.new_strikes > strikes_before {
            if let Some(a) = &self.settings.appeals {
                let topic = a.topic.clone();
                let Some(ready) = self
                    .retry(
                        shutdown,
                        |store| async move { store.ready_appeals(1000).await },
                    )
                    .await
                else {
                    return false;
                };
                if !ready.is_empty() && !self.appeals(&topic, &[], ready, shutdown).await {
                    return false;
                }
            }
        }
        true
    }

    /// The appeals among `records` (others are counted and logged, and skipped).
    fn read_appeals(&self, topic: &str, records: &[(i32, i64, Vec<u8>)]) -> Vec<Appeal> {
        let mut appeals = Vec::new();
        for (partition, offset, payload) in records {
            match Appeal::from_record(payload) {
                Ok(a) => appeals.push(a),
                Err(e) => {
                    self.metrics.appeals.with_label_values(&["invalid"]).inc();
                    tracing::error!(topic, partition, offset, reason = e.label(), error = %e, "A record of the appeals topic is not an appeal; skipped.");
                }
            }
        }
        appeals
    }

    /// Applies appeals (read from `topic`, offsets after them in `next`; or waiting ones
    /// examined again, with no offsets): the rejected record of an event the console never
    /// held is fetched first, for the appeal's review round to show it.
    async fn appeals(
        &mut self,
        topic: &str,
        next: &[(i32, i64)],
        appeals: Vec<Appeal>,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> bool {
        let Some(settings) = self.settings.appeals.clone() else {
            return true;
        };
        let appeals = &appeals;
        let Some(needed) = self
            .retry(shutdown, |store| async move {
                store.appeal_records_needed(appeals).await
            })
            .await
        else {
            return false;
        };
        let mut records = BTreeMap::new();
        for (event_id, p, o) in needed {
            match fetch_record(&self.settings.kafka, &self.settings.rejected_topic, p, o).await {
                Ok(record) => {
                    records.insert(event_id, record);
                }
                Err(e) => tracing::warn!(error = e, partition = p, offset = o, "The rejected record of an appealed event could not be read; the appeal opens without it."),
            }
        }
        let now = OffsetDateTime::now_utc();
        let Some(applied) = self
            .retry(shutdown, |store| {
                let records = &records;
                async move {
                    store
                        .apply_appeals(topic, next, appeals, records, settings.time_limit, now)
                        .await
                }
            })
            .await
        else {
            return false;
        };
        let m = &self.metrics.appeals;
        m.with_label_values(&["opened"])
            .inc_by(applied.opened.len() as u64);
        m.with_label_values(&["for_leads"])
            .inc_by(applied.for_leads);
        m.with_label_values(&["waiting"]).inc_by(applied.waiting);
        m.with_label_values(&["refused"])
            .inc_by(applied.refused.len() as u64);
        m.with_label_values(&["duplicate"])
            .inc_by(applied.duplicates);
        for (appeal_id, item_id) in &applied.opened {
            tracing::info!(
                appeal_id,
                item_id,
                "An appeal reopened a reject in the hold queue."
            );
        }
        for (appeal_id, why) in &applied.refused {
            tracing::info!(appeal_id, why, "An appeal was refused.");
        }
        true
    }

    /// Retries `write` on store failures with backoff until it succeeds; `false` on shutdown.
    async fn retry<T, F, Fut>(
        &mut self,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
        mut write: F,
    ) -> Option<T>
    where
        F: FnMut(Store) -> Fut,
        Fut: Future<Output = Result<T, crate::console::StoreError>>,
    {
        let mut attempt = 0u32;
        loop {
            match write(self.store.clone()).await {
                Ok(v) => return Some(v),
                Err(e) => {
                    self.metrics.store_retries.inc();
                    let wait = backoff(attempt);
                    if let Some(suppressed) = self.errors.allow() {
                        tracing::error!(error = %e, attempt, suppressed, "A ledger write failed; retrying (the partitions wait).");
                    }
                    attempt = attempt.saturating_add(1);
                    tokio::select! {
                        biased;
                        () = shutdown.as_mut() => return None,
                        () = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }

    /// Indexes the approved topic's records (event id → partition, offset).
    async fn index(
        &mut self,
        topic: &str,
        next: &[(i32, i64)],
        records: &[(i32, i64, Vec<u8>)],
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> bool {
        let entries: Vec<(String, i32, i64, Option<String>)> = records
            .iter()
            .filter_map(|(p, o, payload)| {
                let v: Value = serde_json::from_slice(payload).ok()?;
                let event_id = v.get("event_id")?.as_str()?.to_owned();
                let user = v
                    .pointer("/event/user/id")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                Some((event_id, *p, *o, user))
            })
            .collect();
        let now = OffsetDateTime::now_utc();
        self.retry(shutdown, |store| {
            let entries = &entries;
            async move { store.index_published(topic, next, entries, now).await }
        })
        .await
        .is_some()
    }

    /// Applies complaints: each one about an event the store does not know gets its published
    /// record fetched from the approved topic first.
    async fn complaints(
        &mut self,
        topic: &str,
        next: &[(i32, i64)],
        records: &[(i32, i64, Vec<u8>)],
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> bool {
        let Some(settings) = self.settings.complaints.clone() else {
            return true;
        };
        let mut complaints = Vec::new();
        for (partition, offset, payload) in records {
            match Complaint::from_record(payload) {
                Ok(c) => complaints.push(c),
                Err(e) => {
                    self.metrics
                        .complaints
                        .with_label_values(&["invalid"])
                        .inc();
                    tracing::error!(topic, partition, offset, reason = e.label(), error = %e, "A record of the complaints topic is not a complaint; skipped.");
                }
            }
        }
        let mut published = BTreeMap::new();
        if let Some(approved) = &settings.approved_topic {
            for c in &complaints {
                if published.contains_key(&c.event_id) {
                    continue;
                }
                let event_id = c.event_id.clone();
                let Some(known) = self
                    .retry(shutdown, |store| {
                        let event_id = event_id.clone();
                        async move {
                            if store.knows_event(&event_id).await? {
                                return Ok(None);
                            }
                            store.published_at(&event_id).await
                        }
                    })
                    .await
                else {
                    return false;
                };
                if let Some((p, o)) = known {
                    match fetch_record(&self.settings.kafka, approved, p, o).await {
                        Ok(record) => {
                            published.insert(c.event_id.clone(), record);
                        }
                        Err(e) => tracing::warn!(error = e, partition = p, offset = o, "The published record of a complaint's event could not be read; the case opens without it."),
                    }
                }
            }
        }
        let now = OffsetDateTime::now_utc();
        let Some(applied) = self
            .retry(shutdown, |store| {
                let (complaints, published) = (&complaints, &published);
                async move {
                    store
                        .apply_complaints(
                            topic,
                            next,
                            complaints,
                            published,
                            settings.time_limit,
                            now,
                        )
                        .await
                }
            })
            .await
        else {
            return false;
        };
        let m = &self.metrics.complaints;
        m.with_label_values(&["opened"])
            .inc_by(applied.reopened.len() as u64);
        m.with_label_values(&["merged"]).inc_by(applied.merged);
        m.with_label_values(&["duplicate"])
            .inc_by(applied.duplicates);
        for (event_id, item_id) in &applied.reopened {
            tracing::info!(item_id, "A complaint reopened an event in the hold queue.");
            tracing::debug!(event_id, item_id, "Reopened event.");
        }
        true
    }

    async fn apply_topic(
        &mut self,
        topic: &str,
        rejected: bool,
        next: &[(i32, i64)],
        records: &[(i32, i64, Vec<u8>)],
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> bool {
        let mut strikes = Vec::new();
        let mut actions = Vec::new();
        for (partition, offset, payload) in records {
            if rejected {
                match Strike::from_rejected(payload, &self.settings.policy) {
                    Ok(mut s) => {
                        s.record_at = Some((*partition, *offset));
                        strikes.push(s);
                    }
                    Err(e) => {
                        self.metrics.invalid.with_label_values(&[e.label()]).inc();
                        tracing::error!(topic, partition, offset, reason = e.label(), error = %e, "A record of the rejected topic gives no strike; skipped.");
                    }
                }
            } else {
                match serde_json::from_slice::<Value>(payload) {
                    Ok(v) if v.is_object() => actions.push(v),
                    _ => tracing::error!(
                        topic,
                        partition,
                        offset,
                        "A record of the user-actions topic is not a JSON object; skipped."
                    ),
                }
            }
        }
        if rejected {
            let (settings, strikes) = (self.settings, &strikes);
            let Some(a) = self
                .retry(shutdown, |store| {
                    let (policy, console_id) = (&settings.policy, &settings.console_id);
                    async move {
                        let now = OffsetDateTime::now_utc();
                        store
                            .apply_strikes(topic, next, strikes, policy, console_id, now)
                            .await
                    }
                })
                .await
            else {
                return false;
            };
            let m = &self.metrics;
            m.strikes.with_label_values(&["new"]).inc_by(a.new_strikes);
            m.strikes
                .with_label_values(&["duplicate"])
                .inc_by(a.duplicates);
            self.summary.new_strikes += a.new_strikes;
            for (user, id, kind) in &a.measures {
                self.metrics.measures.with_label_values(&[kind]).inc();
                tracing::info!(measure_id = id, kind, "Measure issued.");
                tracing::debug!(user_id = user, measure_id = id, "Measure's user.");
            }
            self.summary.measures += a.measures.len() as u64;
        } else {
            let actions = &actions;
            let Some(n) = self
                .retry(shutdown, |store| async move {
                    store
                        .import_user_actions(topic, next, actions, OffsetDateTime::now_utc())
                        .await
                })
                .await
            else {
                return false;
            };
            self.summary.imported += n;
        }
        true
    }
}
