//! Exactly-once delivery (default): decision records, audit records and the consumed offsets of
//! each batch commit in one Kafka transaction (KIP-98 transactions; KIP-447 fencing through
//! `send_offsets_to_transaction` with the consumer group metadata).
//!
//! One batch: `begin_transaction` when its first message arrives (capturing the group's
//! generation); the core produces the batch's records; then `send_offsets_to_transaction` with the
//! next offset of every partition in the batch and `commit_transaction`.
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
//! - fenced under a configured `transactional.id`: another instance owns the id; stop with exit
//!   code 1 (the broker aborts the open transaction). With the default id, unique to this
//!   process, a fence can only be the broker's own doing (it bumps the epoch when it aborts a
//!   transaction that outlived `transaction.timeout.ms`, e.g. across a broker restart): the worker
//!   replaces its producer and reviews the batch again;
//! - any other fatal producer error (e.g. `INVALID_TXN_STATE` from an abort right after a broker
//!   restart): replace the producer, continue from the committed offsets;
//! - stuck (a transactional call still blocked [`WATCHDOG_GRACE`] after its own timeout,
//!   librdkafka#5456): replace the producer, which fences the stuck one, and review the batch
//!   again.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::config::FromClientConfigAndContext;
use rdkafka::consumer::{Consumer, ConsumerGroupMetadata};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::Producer as _;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use super::client::{worker_id, LogContext, Producer};
use super::error::WorkerError;
use super::mode::{backoff, rewind, Acks, Batch, Committed, DeliveryMode, WorkerConsumer};
use crate::config::KafkaConfig;
use crate::ops::http::Readiness;
use crate::ops::metrics::{Metrics, Replacement};

/// What to do about a failed transactional call.
enum Failure {
    Retry,
    Abort,
    Fatal,
    /// The call did not return long after its own timeout (see [`CallError::Stuck`]): replace
    /// the producer.
    Stuck,
    /// The call timed out retry after retry ([`MAX_CALL_RETRIES`]): replace the producer.
    Timeouts,
}

/// A transactional call that failed, or never returned.
enum CallError {
    /// librdkafka's error.
    Kafka(KafkaError),
    /// The call was still blocked the watchdog grace after its own timeout. librdkafka can block
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
pub const WATCHDOG_GRACE: Duration = Duration::from_secs(10);

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
/// and gives up waiting for it `grace` after its timeout.
async fn blocking<T: Send + 'static>(
    producer: &Producer,
    call: &'static str,
    timeout: Duration,
    grace: Duration,
    f: impl FnOnce(&Producer) -> Result<T, KafkaError> + Send + 'static,
) -> Result<T, CallError> {
    let p = producer.clone();
    let task = tokio::task::spawn_blocking(move || f(&p));
    match tokio::time::timeout(timeout + grace, task).await {
        Ok(Ok(result)) => result.map_err(CallError::Kafka),
        Ok(Err(_join)) => Err(CallError::Kafka(KafkaError::Canceled)),
        Err(_elapsed) => {
            tracing::error!(
                call,
                timeout_ms = timeout.as_millis() as u64,
                grace_ms = grace.as_millis() as u64,
                "librdkafka transaction call still blocked past its timeout \
                 (librdkafka#5456); replacing the producer."
            );
            Err(CallError::Stuck)
        }
    }
}

/// The exactly-once strategy: a transactional producer and the state of the open batch.
pub(super) struct ExactlyOnce {
    config: ClientConfig,
    producer: Producer,
    transactional_id: String,
    /// A fence can only come from the broker itself when the id is unique to this process.
    own_id: bool,
    init_timeout: Duration,
    op_timeout: Duration,
    grace: Duration,
    batch_window: Duration,
    max_events: usize,
    /// The group generation the open batch belongs to (see `WorkerContext::rebalances`)…
    epoch: u64,
    /// …and its group metadata, captured when it began: offsets are sent with the generation the
    /// messages were consumed in, so the broker refuses them if the generation moved on.
    group: Option<Arc<ConsumerGroupMetadata>>,
    /// Aborted batches in a row: a cause that persists (an output topic the worker may not write
    /// to, say) is retried with backoff rather than in a tight loop.
    aborts_in_a_row: u32,
    metrics: Metrics,
    ready: Arc<Readiness>,
}

impl ExactlyOnce {
    /// Creates the transactional producer from `producer_config` and initialises transactions.
    ///
    /// # Errors
    /// The producer cannot be created, or `init_transactions` fails for good.
    pub(super) async fn start(
        k: &KafkaConfig,
        mut producer_config: ClientConfig,
        metrics: Metrics,
        ready: Arc<Readiness>,
    ) -> Result<Self, WorkerError> {
        let transactional_id = k
            .transactional_id
            .clone()
            .unwrap_or_else(|| format!("{}-{}", k.client_id, worker_id().replace(':', "-")));
        producer_config
            .set("transactional.id", &transactional_id)
            .set(
                "transaction.timeout.ms",
                k.transaction_timeout_ms.to_string(),
            );
        let init_timeout = Duration::from_millis(k.transaction_timeout_ms.max(30_000));
        let producer =
            transactional_producer(&producer_config, init_timeout, WATCHDOG_GRACE).await?;
        tracing::info!(transactional_id = %transactional_id, "Transactions initialised.");
        Ok(ExactlyOnce {
            config: producer_config,
            producer,
            transactional_id,
            own_id: k.transactional_id.is_none(),
            init_timeout,
            op_timeout: Duration::from_millis(k.transaction_timeout_ms),
            grace: WATCHDOG_GRACE,
            batch_window: Duration::from_millis(k.batch_max_ms),
            max_events: k.batch_max_events,
            epoch: 0,
            group: None,
            aborts_in_a_row: 0,
            metrics,
            ready,
        })
    }

    /// Replaces the producer (`/readyz` is false meanwhile); retries until it is ready or a
    /// fatal error.
    async fn replace_producer(&mut self, why: Replacement) -> Result<(), WorkerError> {
        tracing::warn!(transactional_id = %self.transactional_id, cause = why.cause(), "Replacing the producer.");
        self.metrics.client_replaced(why);
        self.ready.producer_ready.store(false, Ordering::Relaxed);
        let fresh = transactional_producer(&self.config, self.init_timeout, self.grace).await?;
        let old = std::mem::replace(&mut self.producer, fresh);
        // Dropping a producer flushes (up to 500 ms) and destroys the client: not on an async
        // thread, and not waited for (a stuck call may still hold it).
        drop(tokio::task::spawn_blocking(move || drop(old)));
        self.ready.producer_ready.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Replaces the producer and continues from the group's committed offsets.
    async fn replace(
        &mut self,
        why: Replacement,
        consumer: &Arc<WorkerConsumer>,
        batch: &Batch,
    ) -> Result<Committed, WorkerError> {
        // A new producer with the same transactional.id fences the old one; the broker completes
        // the batch's transaction — aborts it, or commits it if the old producer's commit had
        // already reached the coordinator. Which of the two is only known from the group's
        // committed offsets: continue from there, so the batch is reviewed again only if it was
        // not committed.
        self.replace_producer(why).await?;
        Ok(resume_from_committed(consumer, batch).await)
    }

    /// Sends the batch's offsets and commits, retrying retriable errors with backoff.
    async fn send_and_commit(
        &self,
        consumer: &WorkerConsumer,
        batch: &Batch,
    ) -> Result<(), Failure> {
        let offsets = batch.next_offsets().map_err(|_| Failure::Abort)?;
        if consumer.context().rebalances() != self.epoch {
            return Err(Failure::Abort);
        }
        let Some(group) = self.group.clone() else {
            tracing::warn!("No consumer group metadata; aborting the batch.");
            return Err(Failure::Abort);
        };
        let timeout = self.op_timeout;
        self.retrying("send_offsets_to_transaction", move |p| {
            p.send_offsets_to_transaction(&offsets, &group, timeout)
        })
        .await?;
        self.retrying("commit_transaction", move |p| p.commit_transaction(timeout))
            .await
    }

    /// Runs a transactional call, retrying retriable failures with backoff; after
    /// [`MAX_CALL_RETRIES`] retries the call counts as stuck (librdkafka can keep timing out for
    /// good once its coordinator connection is lost, confluentinc/librdkafka#5511).
    async fn retrying(
        &self,
        call: &'static str,
        f: impl Fn(&Producer) -> Result<(), KafkaError> + Send + Sync + Clone + 'static,
    ) -> Result<(), Failure> {
        let mut attempt = 0;
        loop {
            match blocking(&self.producer, call, self.op_timeout, self.grace, f.clone()).await {
                Ok(()) => return Ok(()),
                Err(CallError::Stuck) => return Err(Failure::Stuck),
                Err(CallError::Kafka(e)) => match classify(&e) {
                    Failure::Retry if attempt >= MAX_CALL_RETRIES => {
                        tracing::warn!(error = %e, attempt, call, "Transactional call keeps failing; replacing the producer.");
                        return Err(Failure::Timeouts);
                    }
                    Failure::Retry => {
                        tracing::warn!(error = %e, attempt, call, "Transactional call failed; retrying.");
                        tokio::time::sleep(backoff(attempt)).await;
                        attempt += 1;
                    }
                    other => {
                        log_failure(&e, call);
                        return Err(other);
                    }
                },
            }
        }
    }

    async fn abort(&self) -> Result<(), CallError> {
        let timeout = self.op_timeout;
        let mut attempt = 0;
        loop {
            match blocking(
                &self.producer,
                "abort_transaction",
                timeout,
                self.grace,
                move |p| p.abort_transaction(timeout),
            )
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
}

impl DeliveryMode for ExactlyOnce {
    const NAME: &'static str = "exactly_once";

    fn producer(&self) -> &Producer {
        &self.producer
    }

    fn batch_window(&self) -> Option<Duration> {
        Some(self.batch_window)
    }

    fn max_events(&self) -> usize {
        self.max_events
    }

    fn commit_deadline(&self) -> Option<Duration> {
        Some(self.op_timeout)
    }

    fn backoff(&self) -> Option<Duration> {
        (self.aborts_in_a_row > 0).then(|| backoff(self.aborts_in_a_row - 1))
    }

    async fn begin(&mut self, consumer: &WorkerConsumer) -> Result<(), WorkerError> {
        self.epoch = consumer.context().rebalances();
        self.group = consumer.group_metadata().map(Arc::new);
        loop {
            let Err(e) = self.producer.begin_transaction() else {
                return Ok(());
            };
            // Fenced under a configured (possibly shared) id: another instance owns it; stop.
            if !self.own_id && fenced(&self.producer, Some(&e)) {
                return Err(WorkerError::Transaction(e));
            }
            tracing::warn!(error = %e, "begin_transaction failed.");
            self.replace_producer(Replacement::ProducerBeginFailed)
                .await?;
        }
    }

    async fn commit(
        &mut self,
        consumer: &Arc<WorkerConsumer>,
        batch: &Batch,
        acks: Acks,
    ) -> Result<Committed, WorkerError> {
        let metrics = &self.metrics;
        // Deliveries are confirmed by commit_transaction, which fails if any failed.
        drop(acks);
        // Commit offsets and outputs together — unless the partitions were rebalanced while the
        // batch was read: then abort, and review again what is still ours.
        let rebalanced = consumer.context().rebalances() != self.epoch;
        let outcome = if rebalanced {
            tracing::info!(
                events = batch.reviewed.len(),
                "Rebalance during the batch; aborting it."
            );
            Err(Failure::Abort)
        } else {
            self.send_and_commit(consumer, batch).await
        };
        let failure = match outcome {
            Ok(()) => {
                self.aborts_in_a_row = 0;
                metrics.transaction(true);
                // Local bookkeeping only (auto commit is off): lets librdkafka report the lag
                // against what is committed (`consumer_lag_stored`).
                if let Ok(tpl) = batch.next_offsets() {
                    let _ = consumer.store_offsets(&tpl);
                }
                return Ok(Committed::Yes);
            }
            Err(failure) => failure,
        };
        // A rebalance is no reason to wait; a failed commit is.
        if !rebalanced {
            self.aborts_in_a_row = self.aborts_in_a_row.saturating_add(1);
        }
        metrics.transaction(false);
        // Only a fence under a configured (possibly shared) id stops the worker: another
        // instance owns the id. Any other fatal producer state — also the broker's own fence of a
        // per-process id — is recovered from with a new producer.
        let own_id = self.own_id;
        // `Err(())`: stop; `Ok(why)`: replace the producer.
        let after_fatal = |producer: &Producer, e: Option<&KafkaError>| match fenced(producer, e) {
            true if own_id => Ok(Replacement::ProducerFenced),
            true => Err(()),
            false => Ok(Replacement::ProducerFatalError),
        };
        let replace = match failure {
            Failure::Abort | Failure::Retry => match self.abort().await {
                Ok(()) => None,
                Err(CallError::Stuck) => Some(Replacement::ProducerStuckCall),
                Err(CallError::Kafka(e)) => match after_fatal(&self.producer, Some(&e)) {
                    Ok(why) => {
                        tracing::warn!(error = %e, "abort_transaction failed.");
                        Some(why)
                    }
                    Err(()) => return Err(WorkerError::Transaction(e)),
                },
            },
            Failure::Stuck => Some(Replacement::ProducerStuckCall),
            Failure::Timeouts => Some(Replacement::ProducerCallTimeouts),
            Failure::Fatal => match after_fatal(&self.producer, None) {
                Ok(why) => Some(why),
                Err(()) => return Err(WorkerError::Transaction(last_error(&self.producer))),
            },
        };
        match replace {
            Some(why) => self.replace(why, consumer, batch).await,
            None => {
                rewind(consumer, batch);
                Ok(Committed::No)
            }
        }
    }

    fn close(&mut self, _consumer: &WorkerConsumer) -> Result<(), WorkerError> {
        // Offsets were committed with each transaction.
        Ok(())
    }
}

/// Creates the transactional producer and initialises transactions (which fences any earlier
/// producer with the same `transactional.id` and aborts its open transaction). Retriable errors
/// and calls stuck past their timeout are retried for as long as they last (backoff up to 5 s,
/// logged at most every 10 s): a broker outage of any length ends with a ready producer.
///
/// # Errors
/// The producer cannot be created (bad settings), or a non-retriable error (e.g. authorization,
/// or fenced under a configured id).
async fn transactional_producer(
    config: &ClientConfig,
    init_timeout: Duration,
    grace: Duration,
) -> Result<Producer, WorkerError> {
    let logs = super::client::LogLimiter::new(super::client::ERROR_LOG_INTERVAL);
    let mut attempt = 0;
    // A stuck `init_transactions` leaves its producer behind: the next attempt starts afresh.
    'create: loop {
        let producer = Producer::from_config_and_context(config, LogContext::new("producer"))
            .map_err(WorkerError::client("producer"))?;
        loop {
            let result = blocking(
                &producer,
                "init_transactions",
                init_timeout,
                grace,
                move |p| p.init_transactions(init_timeout),
            )
            .await;
            let stuck = match result {
                Ok(()) => return Ok(producer),
                Err(CallError::Kafka(e)) if matches!(classify(&e), Failure::Retry) => {
                    if let Some(suppressed) = logs.allow() {
                        tracing::warn!(error = %e, attempt, suppressed, "init_transactions failed; retrying.");
                    }
                    false
                }
                Err(CallError::Kafka(e)) => return Err(WorkerError::Transaction(e)),
                Err(CallError::Stuck) => true,
            };
            tokio::time::sleep(backoff(attempt)).await;
            attempt = attempt.saturating_add(1);
            if stuck {
                continue 'create;
            }
        }
    }
}

/// Whether the producer was fenced (its epoch is no longer the transactional id's current one).
/// With the default `transactional.id`, unique to this process, no other instance can have done
/// it: the broker bumps the epoch itself when it aborts a transaction that outlived
/// `transaction.timeout.ms` (KIP-360), e.g. while the broker was restarting. The worker then
/// replaces its producer rather than exit; with a configured (possibly shared) id it exits.
fn fenced(producer: &Producer, error: Option<&KafkaError>) -> bool {
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
fn last_error(producer: &Producer) -> KafkaError {
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

/// How long the worker keeps asking the group coordinator for the committed offsets after a
/// producer replacement before it replaces the consumer instead.
pub const OFFSETS_PATIENCE: Duration = Duration::from_secs(30);

/// Seeks every still-assigned partition of the batch to the group's committed offset, fetched
/// from the group coordinator (which waits for pending transactional offsets, KIP-447); where
/// none is committed, to the batch's first offset. Returns [`Committed::Yes`] when the whole
/// batch turned out to be committed, [`Committed::No`] when it is to be reviewed again, and
/// [`Committed::ReplaceConsumer`] when the coordinator did not answer within
/// [`OFFSETS_PATIENCE`] (after a broker restart the consumer can stay cut off from it): a new
/// consumer joins the group and starts from the committed offsets, which settles the question
/// the same way.
async fn resume_from_committed(consumer: &Arc<WorkerConsumer>, batch: &Batch) -> Committed {
    let mut tpl = TopicPartitionList::new();
    for (topic, partition) in batch.offsets.keys() {
        tpl.add_partition(topic, *partition);
    }
    let started = Instant::now();
    let mut attempt = 0;
    let committed = loop {
        let (c, t) = (Arc::clone(consumer), tpl.clone());
        let fetch =
            tokio::task::spawn_blocking(move || c.committed_offsets(t, Duration::from_secs(10)));
        // The fetch itself can block past its timeout when the coordinator is gone.
        let fetched = match tokio::time::timeout(Duration::from_secs(20), fetch).await {
            Ok(joined) => joined.unwrap_or(Err(KafkaError::Canceled)),
            Err(_) => Err(KafkaError::Canceled),
        };
        match fetched {
            Ok(c) => break c,
            Err(e) if started.elapsed() < OFFSETS_PATIENCE => {
                tracing::warn!(error = %e, attempt, "Fetching committed offsets failed; retrying.");
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            Err(e) => {
                tracing::warn!(error = %e, attempt, "The group coordinator does not answer; replacing the consumer.");
                return Committed::ReplaceConsumer(Replacement::ConsumerOffsetsUnreachable);
            }
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
    if all_committed {
        Committed::Yes
    } else {
        Committed::No
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use rdkafka::config::FromClientConfigAndContext;

    use super::*;

    /// A producer that never connects (nothing listens on port 1): enough to hand to `blocking`.
    fn producer() -> Producer {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", "127.0.0.1:1");
        Producer::from_config_and_context(&c, LogContext::new("producer")).unwrap()
    }

    const GRACE: Duration = Duration::from_millis(200);

    #[tokio::test]
    async fn a_call_that_returns_passes_its_result_through() {
        let p = producer();
        let r = blocking(&p, "ok", Duration::from_millis(10), GRACE, |_| Ok(7)).await;
        assert!(matches!(r, Ok(7)));
        let r: Result<(), _> = blocking(&p, "err", Duration::from_millis(10), GRACE, |_| {
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
        let r: Result<(), _> = blocking(&p, "hang", Duration::from_millis(10), GRACE, move |_| {
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
