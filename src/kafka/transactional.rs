//! The exactly-once loop: decision records, audit records and the consumed offsets are committed
//! in one Kafka transaction per batch (KIP-98 transactions; KIP-447 fencing through
//! `send_offsets_to_transaction` with the consumer group metadata).
//!
//! One batch:
//! 1. wait for a first message (or shutdown), `begin_transaction`;
//! 2. collect messages until `batch_max_events`, `batch_max_bytes` or `batch_max_ms`; review them
//!    on `review_threads` threads and produce their records in consumption order;
//! 3. `send_offsets_to_transaction` with the next offset of every partition in the batch and the
//!    group's current generation, then `commit_transaction`.
//!
//! Failures:
//! - retriable (broker unavailable, timeouts): the same call is retried with backoff, and nothing
//!   new is consumed meanwhile — consumption pauses instead of buffering;
//! - abortable (e.g. the partitions were revoked and the group generation moved on, so the offset
//!   commit is refused): `abort_transaction`, rewind every partition of the batch that is still
//!   assigned to the batch's first offset, and review those messages again. Aborted records never
//!   reach `read_committed` consumers; the partitions' new owner reviews what was revoked. When
//!   commits fail again and again (not rebalances), each retry waits longer (100 ms doubling to
//!   5 s). Records too large for their topic never cause this: [`super::limits`] keeps them out;
//! - fatal (fenced by another producer, or a fatal broker error): stop with exit code 1; the broker
//!   aborts the open transaction. Except when the `transactional.id` is the default one, unique to
//!   this process: then a fence can only be the broker's own doing (it bumps the epoch when it
//!   aborts a transaction that outlived `transaction.timeout.ms`, e.g. across a broker restart),
//!   and the worker replaces its producer and reviews the batch again;
//! - stuck (a transactional call still blocked 10 s after its own timeout, librdkafka#5456):
//!   replace the producer, which fences the stuck one, and review the batch again.
//!
//! Per partition, messages are routed and produced in offset order by one task, and the producer is
//! idempotent, so outputs keep input order; offsets only move forward because a batch commits the
//! offset after its last message. Memory is bounded by one batch plus librdkafka's queues (see
//! `docs/delivery.md`).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::producer::{FutureProducer, Producer};
use rdkafka::util::Timeout;
use rdkafka::{Offset, TopicPartitionList};

use super::route::{prepare_all, produce, Outcome};
use super::worker::{is_fatal_consume_error, RunSummary, WorkerError, WorkerSettings};
use super::{consumer_config, worker_id, WorkerContext};
use crate::engine::Engine;

/// What to do about a failed transactional call.
enum Failure {
    Retry,
    Abort,
    Fatal,
    /// The call did not return long after its own timeout (see [`CallError::Stuck`]): replace
    /// the producer.
    Stuck,
}

/// A transactional call that failed, or never returned.
enum CallError {
    /// librdkafka's error.
    Kafka(KafkaError),
    /// The call was still blocked [`WATCHDOG_GRACE`] after its own timeout. librdkafka can block
    /// in `send_offsets_to_transaction` past its timeout when the group coordinator went away
    /// (confluentinc/librdkafka#5456, #5511: a broker restart is enough). The call cannot be
    /// cancelled; the worker leaves it behind and replaces the producer, which fences the stuck
    /// one and makes the broker abort its transaction.
    Stuck,
}

/// Retries of a retriable `send_offsets_to_transaction` / `commit_transaction` failure before the
/// producer is replaced (each attempt waits up to `transaction_timeout_ms`).
const MAX_CALL_RETRIES: u32 = 6;

/// How long past its own timeout a transactional call may block before it counts as stuck.
const WATCHDOG_GRACE: Duration = if cfg!(test) {
    Duration::from_millis(200)
} else {
    Duration::from_secs(10)
};

fn classify(e: &KafkaError) -> Failure {
    match e {
        KafkaError::Transaction(t) if t.is_fatal() => Failure::Fatal,
        KafkaError::Transaction(t) if t.txn_requires_abort() => Failure::Abort,
        KafkaError::Transaction(t) if t.is_retriable() => Failure::Retry,
        // Anything else from a transactional call (e.g. a failed delivery surfaced at commit)
        // cannot be retried safely: abort and review the batch again.
        _ => Failure::Abort,
    }
}

/// Runs a blocking librdkafka transaction call (`call`, given `timeout`) off the async threads,
/// and gives up waiting for it [`WATCHDOG_GRACE`] after its timeout.
async fn blocking<T: Send + 'static>(
    producer: &FutureProducer,
    call: &'static str,
    timeout: Duration,
    f: impl FnOnce(&FutureProducer) -> Result<T, KafkaError> + Send + 'static,
) -> Result<T, CallError> {
    let p = producer.clone();
    let task = tokio::task::spawn_blocking(move || f(&p));
    match tokio::time::timeout(timeout + WATCHDOG_GRACE, task).await {
        Ok(Ok(result)) => result.map_err(CallError::Kafka),
        Ok(Err(_join)) => Err(CallError::Kafka(KafkaError::Canceled)),
        Err(_elapsed) => {
            tracing::error!(
                call,
                timeout_ms = timeout.as_millis() as u64,
                "librdkafka transaction call still blocked {}s after its timeout \
                 (librdkafka#5456); replacing the producer.",
                WATCHDOG_GRACE.as_secs()
            );
            Err(CallError::Stuck)
        }
    }
}

/// Creates the transactional producer and initialises transactions (which fences any earlier
/// producer with the same `transactional.id` and aborts its open transaction), retrying
/// retriable errors up to 10 times.
async fn transactional_producer(
    config: &rdkafka::ClientConfig,
    init_timeout: Duration,
) -> Result<FutureProducer, WorkerError> {
    let mut attempt = 0;
    // A stuck `init_transactions` leaves its producer behind: the next attempt starts afresh.
    'create: loop {
        let producer: FutureProducer = config.create().map_err(|source| WorkerError::Client {
            what: "producer",
            source,
        })?;
        loop {
            let result = blocking(&producer, "init_transactions", init_timeout, move |p| {
                p.init_transactions(init_timeout)
            })
            .await;
            let error = match result {
                Ok(()) => return Ok(producer),
                Err(CallError::Kafka(e)) if matches!(classify(&e), Failure::Retry) => e,
                Err(CallError::Kafka(e)) => return Err(WorkerError::Transaction(e)),
                Err(CallError::Stuck) if attempt < 10 => {
                    attempt += 1;
                    continue 'create;
                }
                Err(CallError::Stuck) => {
                    return Err(WorkerError::Transaction(KafkaError::Canceled))
                }
            };
            if attempt >= 10 {
                return Err(WorkerError::Transaction(error));
            }
            tracing::warn!(%error, "init_transactions failed; retrying.");
            tokio::time::sleep(backoff(attempt)).await;
            attempt += 1;
        }
    }
}

/// Exponential backoff from 100 ms to 5 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((100u64 << attempt.min(6)).min(5_000))
}

struct Batch {
    /// (topic, partition) → (first offset, last offset) of the batch.
    offsets: BTreeMap<(String, i32), (i64, i64)>,
    outcomes: Vec<(Instant, Outcome)>,
    started: Instant,
}

impl Batch {
    fn new() -> Self {
        Batch {
            offsets: BTreeMap::new(),
            outcomes: Vec::new(),
            started: Instant::now(),
        }
    }

    fn next_offsets(&self) -> Result<TopicPartitionList, KafkaError> {
        let mut tpl = TopicPartitionList::new();
        for ((topic, partition), (_, last)) in &self.offsets {
            tpl.add_partition_offset(topic, *partition, Offset::Offset(last + 1))?;
        }
        Ok(tpl)
    }
}

/// See the module documentation.
pub async fn run(
    engine: Arc<ArcSwap<Engine>>,
    settings: WorkerSettings,
    shutdown: impl Future<Output = ()>,
) -> Result<RunSummary, WorkerError> {
    let WorkerSettings {
        kafka,
        topics,
        metrics,
        ready,
        progress,
        read_topic_limits,
    } = settings;
    let mut cc = consumer_config(&kafka);
    // Offsets are committed only through transactions.
    cc.set("enable.auto.commit", "false");
    let consumer: Arc<StreamConsumer<WorkerContext>> = Arc::new(
        cc.create_with_context(WorkerContext::new(metrics.clone(), ready.clone()))
            .map_err(|source| WorkerError::Client {
                what: "consumer",
                source,
            })?,
    );
    let (limits, mut pc) = super::output_limits_and_producer_config(
        &kafka,
        &topics,
        engine.load().limits().max_event_bytes,
        read_topic_limits,
    )
    .await?;
    let txn_id = kafka
        .transactional_id
        .clone()
        .unwrap_or_else(|| format!("{}-{}", kafka.client_id, worker_id().replace(':', "-")));
    pc.set("transactional.id", &txn_id).set(
        "transaction.timeout.ms",
        kafka.transaction_timeout_ms.to_string(),
    );
    let init_timeout = Duration::from_millis(kafka.transaction_timeout_ms.max(30_000));
    let mut producer = transactional_producer(&pc, init_timeout).await?;
    // A fence can only come from the broker itself when the id is unique to this process.
    let own_id = kafka.transactional_id.is_none();
    tracing::info!(transactional_id = %txn_id, "Transactions initialised.");
    super::subscribe_and_announce(
        &consumer,
        &engine.load(),
        &topics.input,
        &kafka.group_id,
        &ready,
        &metrics,
        "exactly_once",
    )
    .map_err(|source| WorkerError::Client {
        what: "consumer",
        source,
    })?;
    let worker = worker_id();
    let consume_errors = super::LogLimiter::new(Duration::from_secs(10));
    let batch_window = Duration::from_millis(kafka.batch_max_ms);
    let threads = match kafka.review_threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let op_timeout = Duration::from_millis(kafka.transaction_timeout_ms);
    let mut summary = RunSummary::default();
    tokio::pin!(shutdown);
    let mut stopping = false;
    // Aborted batches in a row: a cause that persists (an output topic the worker may not write
    // to, say) is retried with backoff rather than in a tight loop.
    let mut aborts_in_a_row: u32 = 0;

    let result: Result<(), WorkerError> = 'outer: loop {
        if aborts_in_a_row > 0 {
            tokio::select! {
                biased;
                _ = &mut shutdown, if !stopping => { stopping = true; }
                _ = tokio::time::sleep(backoff(aborts_in_a_row - 1)) => {}
            }
            if stopping {
                break Ok(());
            }
        }
        // 1. The first message of a batch (or shutdown).
        let first = tokio::select! {
            biased;
            _ = &mut shutdown, if !stopping => { stopping = true; None }
            m = consumer.recv() => Some(m),
        };
        if stopping {
            break Ok(());
        }
        let Some(first) = first else { continue };
        let first = match first {
            Ok(m) => m,
            Err(e) if is_fatal_consume_error(&e) => break Err(WorkerError::Consume(e)),
            Err(error) => {
                if let Some(suppressed) = consume_errors.allow() {
                    tracing::warn!(%error, suppressed, "Consume error; continuing (logged at most every 10 s).");
                };
                continue;
            }
        };
        // The group generation this batch belongs to (see `WorkerContext::rebalances`).
        let epoch = consumer.context().rebalances();
        // …and its group metadata, captured now: offsets are sent with the generation the
        // messages were consumed in, so the broker refuses them if the generation moved on.
        let group = consumer.group_metadata().map(Arc::new);
        if let Err(e) = producer.begin_transaction() {
            break Err(WorkerError::Transaction(e));
        }
        let mut batch = Batch::new();
        let current = engine.load_full();
        let mut msg = Some(first);
        let mut pending: Vec<OwnedMessage> = Vec::new();
        let mut consumed_at: Vec<Instant> = Vec::new();
        let mut pending_bytes = 0usize;
        // 2. Fill the batch (reviewed below, on several threads, then produced in order).
        loop {
            if let Some(m) = msg.take() {
                let entry = batch
                    .offsets
                    .entry((m.topic().to_string(), m.partition()))
                    .or_insert((m.offset(), m.offset()));
                entry.1 = m.offset();
                consumed_at.push(Instant::now());
                pending_bytes += m.payload_len();
                pending.push(m.detach());
            }
            if pending.len() >= kafka.batch_max_events || pending_bytes >= kafka.batch_max_bytes {
                break;
            }
            let remaining = batch_window.saturating_sub(batch.started.elapsed());
            if remaining.is_zero() {
                break;
            }
            tokio::select! {
                biased;
                _ = &mut shutdown, if !stopping => { stopping = true; break; }
                _ = tokio::time::sleep(remaining) => break,
                m = consumer.recv() => match m {
                    Ok(m) => msg = Some(m),
                    Err(e) if is_fatal_consume_error(&e) => break 'outer Err(WorkerError::Consume(e)),
                    Err(error) => if let Some(suppressed) = consume_errors.allow() { tracing::warn!(%error, suppressed, "Consume error; continuing (logged at most every 10 s)."); },
                },
            }
        }
        // Review the batch on `review_threads` threads; produce every message's records in
        // consumption order, so each partition's outputs keep offset order.
        let prepared = prepare_all(
            &current,
            &topics,
            &limits.load(),
            &worker,
            &pending,
            threads,
        );
        drop(pending);
        for (at, (records, outcome)) in consumed_at.into_iter().zip(prepared) {
            // Deliveries are confirmed by commit_transaction, which fails if any failed.
            let _acks = produce(&producer, records).await;
            batch.outcomes.push((at, outcome));
        }
        // 3. Commit offsets and outputs together — unless the partitions were rebalanced
        //    while the batch was read: then abort, and review again what is still ours.
        let rebalanced = consumer.context().rebalances() != epoch;
        let outcome = if rebalanced {
            tracing::info!(
                events = batch.outcomes.len(),
                "Rebalance during the batch; aborting it."
            );
            Err(Failure::Abort)
        } else {
            commit(&producer, &consumer, &batch, op_timeout, epoch, group).await
        };
        match outcome {
            Ok(()) => {
                aborts_in_a_row = 0;
                metrics.transaction(true);
                // Local bookkeeping only (auto commit is off): lets librdkafka report the lag
                // against what is committed (`consumer_lag_stored`).
                if let Ok(tpl) = batch.next_offsets() {
                    let _ = consumer.store_offsets(&tpl);
                }
                for (consumed_at, outcome) in &batch.outcomes {
                    metrics.latency(consumed_at.elapsed());
                    outcome.count(&metrics);
                }
                summary.acknowledged += batch.outcomes.len() as u64;
                if let Some(tx) = &progress {
                    tx.send_replace(summary.acknowledged);
                }
            }
            // `commit` retries retriable errors itself; anything else aborts the batch, which is
            // then reviewed again.
            Err(failure) => {
                // A rebalance is no reason to wait; a failed commit is.
                if !rebalanced {
                    aborts_in_a_row = aborts_in_a_row.saturating_add(1);
                }
                metrics.transaction(false);
                let replace = match failure {
                    Failure::Abort | Failure::Retry => match abort(&producer, op_timeout).await {
                        Ok(()) => None,
                        Err(CallError::Stuck) => Some("abort_transaction blocked"),
                        Err(CallError::Kafka(e)) if own_id && fenced(&producer, Some(&e)) => {
                            Some("fenced while aborting")
                        }
                        Err(CallError::Kafka(e)) => break Err(WorkerError::Transaction(e)),
                    },
                    Failure::Stuck => Some("a transactional call blocked"),
                    Failure::Fatal if own_id && fenced(&producer, None) => Some("fenced"),
                    Failure::Fatal => break Err(WorkerError::Transaction(last_error(&producer))),
                };
                if let Some(why) = replace {
                    // A new producer with the same transactional.id fences the old one; the broker
                    // completes the batch's transaction — aborts it, or commits it if the old
                    // producer's commit had already reached the coordinator. Which of the two is
                    // only known from the group's committed offsets: continue from there, so the
                    // batch is reviewed again only if it was not committed.
                    tracing::warn!(transactional_id = %txn_id, why, "Replacing the producer.");
                    producer = match transactional_producer(&pc, init_timeout).await {
                        Ok(p) => p,
                        Err(e) => break Err(e),
                    };
                    match resume_from_committed(&consumer, &batch).await {
                        // The old producer's commit went through: count the batch as done.
                        Ok(true) => {
                            for (consumed_at, outcome) in &batch.outcomes {
                                metrics.latency(consumed_at.elapsed());
                                outcome.count(&metrics);
                            }
                            summary.acknowledged += batch.outcomes.len() as u64;
                            if let Some(tx) = &progress {
                                tx.send_replace(summary.acknowledged);
                            }
                        }
                        Ok(false) => {}
                        Err(e) => break Err(e),
                    }
                } else {
                    rewind(&consumer, &batch);
                }
            }
        }
        if stopping {
            break Ok(());
        }
    };
    consumer.unsubscribe();
    ready.assigned.store(false, Ordering::Relaxed);
    let _ = producer.flush(Timeout::After(Duration::from_secs(5)));
    tracing::info!(acknowledged = summary.acknowledged, "Worker stopped.");
    result.map(|()| summary)
}

/// Sends the batch's offsets and commits, retrying retriable errors with backoff.
async fn commit(
    producer: &FutureProducer,
    consumer: &StreamConsumer<WorkerContext>,
    batch: &Batch,
    timeout: Duration,
    epoch: u64,
    group: Option<Arc<rdkafka::consumer::ConsumerGroupMetadata>>,
) -> Result<(), Failure> {
    let offsets = batch.next_offsets().map_err(|_| Failure::Abort)?;
    if consumer.context().rebalances() != epoch {
        return Err(Failure::Abort);
    }
    let Some(group) = group else {
        tracing::warn!("No consumer group metadata; aborting the batch.");
        return Err(Failure::Abort);
    };
    let mut attempt = 0;
    loop {
        let (o, g) = (offsets.clone(), Arc::clone(&group));
        match blocking(producer, "send_offsets_to_transaction", timeout, move |p| {
            p.send_offsets_to_transaction(&o, &g, timeout)
        })
        .await
        {
            Ok(()) => break,
            Err(CallError::Stuck) => return Err(Failure::Stuck),
            Err(CallError::Kafka(e)) => match classify(&e) {
                // librdkafka can keep timing out for good once its coordinator connection
                // is lost (confluentinc/librdkafka#5511): after a while, a new producer.
                Failure::Retry if attempt >= MAX_CALL_RETRIES => {
                    tracing::warn!(error = %e, attempt, "send_offsets_to_transaction keeps failing; replacing the producer.");
                    return Err(Failure::Stuck);
                }
                Failure::Retry => {
                    tracing::warn!(error = %e, attempt, "send_offsets_to_transaction failed; retrying.");
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                other => {
                    log_failure(&e, "send_offsets_to_transaction");
                    return Err(other);
                }
            },
        }
    }
    let mut attempt = 0;
    loop {
        match blocking(producer, "commit_transaction", timeout, move |p| {
            p.commit_transaction(timeout)
        })
        .await
        {
            Ok(()) => return Ok(()),
            Err(CallError::Stuck) => return Err(Failure::Stuck),
            Err(CallError::Kafka(e)) => match classify(&e) {
                // librdkafka can keep timing out for good once its coordinator connection
                // is lost (confluentinc/librdkafka#5511): after a while, a new producer.
                Failure::Retry if attempt >= MAX_CALL_RETRIES => {
                    tracing::warn!(error = %e, attempt, "commit_transaction keeps failing; replacing the producer.");
                    return Err(Failure::Stuck);
                }
                Failure::Retry => {
                    tracing::warn!(error = %e, attempt, "commit_transaction failed; retrying.");
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                other => {
                    log_failure(&e, "commit_transaction");
                    return Err(other);
                }
            },
        }
    }
}

/// Whether the producer was fenced (its epoch is no longer the transactional id's current one).
/// With the default `transactional.id`, unique to this process, no other instance can have done
/// it: the broker bumps the epoch itself when it aborts a transaction that outlived
/// `transaction.timeout.ms` (KIP-360), e.g. while the broker was restarting. The worker then
/// replaces its producer rather than exit; with a configured (possibly shared) id it exits.
fn fenced(producer: &FutureProducer, error: Option<&KafkaError>) -> bool {
    let is_fence = |c: RDKafkaErrorCode| {
        matches!(
            c,
            RDKafkaErrorCode::Fenced
                | RDKafkaErrorCode::ProducerFenced
                | RDKafkaErrorCode::InvalidProducerEpoch
        )
    };
    error
        .and_then(KafkaError::rdkafka_error_code)
        .is_some_and(is_fence)
        || producer
            .client()
            .fatal_error()
            .is_some_and(|(code, _)| is_fence(code))
}

/// The producer's fatal error, if librdkafka recorded one.
fn last_error(producer: &FutureProducer) -> KafkaError {
    match producer.client().fatal_error() {
        Some((code, reason)) => {
            tracing::error!(?code, %reason, "Producer fatal error.");
            KafkaError::MessageProduction(code)
        }
        None => KafkaError::Canceled,
    }
}

fn log_failure(e: &KafkaError, call: &str) {
    match classify(e) {
        Failure::Fatal => tracing::error!(error = %e, call, "Fatal transaction error."),
        _ => {
            tracing::warn!(error = %e, call, "Transaction must be aborted; the batch will be reviewed again.")
        }
    }
}

async fn abort(producer: &FutureProducer, timeout: Duration) -> Result<(), CallError> {
    let mut attempt = 0;
    loop {
        match blocking(producer, "abort_transaction", timeout, move |p| {
            p.abort_transaction(timeout)
        })
        .await
        {
            Ok(()) => return Ok(()),
            Err(CallError::Kafka(e)) if matches!(classify(&e), Failure::Retry) => {
                tracing::warn!(error = %e, attempt, "abort_transaction failed; retrying.");
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Seeks every still-assigned partition of an aborted batch back to the batch's first offset.
/// Seeks every still-assigned partition of the batch to the group's committed offset, fetched
/// from the group coordinator (which waits for pending transactional offsets, KIP-447); where
/// none is committed, to the batch's first offset. Retries for up to about a minute. Returns
/// whether the whole batch turned out to be committed.
///
/// # Errors
/// The offset fetch failing for good ([`WorkerError::Commit`]): exit, nothing is lost.
async fn resume_from_committed(
    consumer: &Arc<StreamConsumer<WorkerContext>>,
    batch: &Batch,
) -> Result<bool, WorkerError> {
    let mut tpl = TopicPartitionList::new();
    for (topic, partition) in batch.offsets.keys() {
        tpl.add_partition(topic, *partition);
    }
    let mut attempt = 0;
    let committed = loop {
        let (c, t) = (Arc::clone(consumer), tpl.clone());
        let fetched =
            tokio::task::spawn_blocking(move || c.committed_offsets(t, Duration::from_secs(10)))
                .await
                .unwrap_or(Err(KafkaError::Canceled));
        match fetched {
            Ok(c) => break c,
            Err(e) if attempt < 10 => {
                tracing::warn!(error = %e, attempt, "Fetching committed offsets failed; retrying.");
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            Err(e) => return Err(WorkerError::Commit(e)),
        }
    };
    let mut all_committed = true;
    for ((topic, partition), (first, last)) in &batch.offsets {
        let to = match committed
            .find_partition(topic, *partition)
            .map(|e| e.offset())
        {
            Some(Offset::Offset(o)) => o,
            _ => *first,
        };
        all_committed &= to > *last;
        let outcome = if to > *last {
            "committed"
        } else {
            "not committed"
        };
        tracing::info!(
            topic,
            partition,
            offset = to,
            batch = outcome,
            "Resuming from the committed offset."
        );
        if let Err(error) = consumer.seek(
            topic,
            *partition,
            Offset::Offset(to),
            Duration::from_secs(10),
        ) {
            tracing::info!(%error, topic, partition, "Partition not repositioned (no longer assigned).");
        }
    }
    Ok(all_committed)
}

fn rewind(consumer: &StreamConsumer<WorkerContext>, batch: &Batch) {
    for ((topic, partition), (first, _)) in &batch.offsets {
        if let Err(error) = consumer.seek(
            topic,
            *partition,
            Offset::Offset(*first),
            Duration::from_secs(10),
        ) {
            // Revoked meanwhile: the new owner starts from the committed offset.
            tracing::info!(%error, topic, partition, "Partition not rewound (no longer assigned).");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use super::*;

    /// A producer that never connects (nothing listens on port 1): enough to hand to `blocking`.
    fn producer() -> FutureProducer {
        rdkafka::ClientConfig::new()
            .set("bootstrap.servers", "127.0.0.1:1")
            .create()
            .unwrap()
    }

    #[tokio::test]
    async fn a_call_that_returns_passes_its_result_through() {
        let p = producer();
        let r = blocking(&p, "ok", Duration::from_millis(10), |_| Ok(7)).await;
        assert!(matches!(r, Ok(7)));
        let r: Result<(), _> = blocking(&p, "err", Duration::from_millis(10), |_| {
            Err(KafkaError::Canceled)
        })
        .await;
        assert!(matches!(r, Err(CallError::Kafka(KafkaError::Canceled))));
    }

    #[tokio::test]
    async fn a_call_blocked_past_its_timeout_is_given_up_as_stuck() {
        let p = producer();
        let finished = Arc::new(AtomicBool::new(false));
        let flag = finished.clone();
        let r: Result<(), _> = blocking(&p, "hang", Duration::from_millis(10), move |_| {
            std::thread::sleep(Duration::from_secs(2));
            flag.store(true, Ordering::SeqCst);
            Ok(())
        })
        .await;
        assert!(matches!(r, Err(CallError::Stuck)));
        assert!(
            !finished.load(Ordering::SeqCst),
            "given up while the call was still blocked"
        );
    }
}
