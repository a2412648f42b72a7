//! The delivery core of `synth-review run`: one loop for both delivery guarantees.
//!
//! ```text
//!  consume ─► review (review_threads) ─► produce (consumption order) ─► … ─► commit
//!     ▲        (while the batch fills)                                         │
//!     └──────────────── next batch (or: reviewed again, if not committed) ◄────┘
//! ```
//!
//! What "commit" means is the delivery mode's, a small strategy behind [`DeliveryMode`]:
//! - [`super::exactly_once`] (default): the batch's records and its consumed offsets commit in
//!   one Kafka transaction; a failed commit aborts, and the batch is reviewed again;
//! - [`super::at_least_once`]: the records' acknowledgements are awaited in consumption order and
//!   only then are the offsets stored, for librdkafka's periodic commit.
//!
//! Per partition, messages are reviewed and produced in offset order and the producer is
//! idempotent, so outputs keep input order; offsets only move forward because a batch commits the
//! offset after its last message. Memory is bounded by one batch plus librdkafka's queues (see
//! `docs/delivery.md`).
//!
//! Shutdown (the `shutdown` future, wired to SIGINT/SIGTERM by [`crate::app`]): stop reading,
//! finish the open batch within `drain_timeout_ms`, commit, leave the group.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use futures::FutureExt;
use rdkafka::consumer::Consumer;
use rdkafka::error::KafkaError;
use rdkafka::message::{Message, OwnedMessage};
use tokio::sync::watch;

use super::client::{consumer_config, worker_id, LogLimiter, WorkerContext};
use super::error::{is_fatal_consume_error, WorkerError};
use super::limits::OutputLimits;
use super::mode::{seek, Acks, Batch, Committed, DeliveryMode, Reviewed, WorkerConsumer};
use super::records::{prepare_all, produce, review_pool};
use crate::config::{KafkaConfig, Topics};
use crate::engine::Engine;
use crate::ops::http::Readiness;
use crate::ops::metrics::{Metrics, Replacement};

/// Everything the worker needs besides the engine.
pub struct WorkerSettings {
    /// Client settings (after environment overrides).
    pub kafka: KafkaConfig,
    /// Topic names.
    pub topics: Topics,
    /// Operational metrics.
    pub metrics: Metrics,
    /// Readiness flags for `/readyz`.
    pub ready: Arc<Readiness>,
    /// If set, receives the number of input messages fully acknowledged so far (used by `demo`
    /// and tests to wait on a condition rather than on time).
    pub progress: Option<watch::Sender<u64>>,
    /// Whether to read the output topics' `max.message.bytes` from the broker (DescribeConfigs,
    /// see [`super::limits`]). `false` only for librdkafka's mock cluster (`demo`), which does not
    /// serve that request; records are then checked against the producer's limit only.
    pub read_topic_limits: bool,
}

/// Counts of a finished run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    /// Input messages whose outputs and offsets were committed.
    pub acknowledged: u64,
}

pub(super) fn new_consumer(
    k: &KafkaConfig,
    metrics: &Metrics,
    ready: &Arc<Readiness>,
) -> Result<Arc<WorkerConsumer>, WorkerError> {
    let context = WorkerContext::new(metrics.clone(), ready.clone());
    let consumer = consumer_config(k)
        .create_with_context(context)
        .map_err(WorkerError::client("consumer"))?;
    Ok(Arc::new(consumer))
}

/// How long leaving the group may take on the way out or when the consumer is replaced; past it
/// the old consumer is left to close in the background (its group session then times out).
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Leaves the group and closes `consumer` off the async threads, waiting at most `timeout`:
/// with the coordinator unreachable, librdkafka's close blocks until it gives up
/// (rust-rdkafka's `BaseConsumer::drop` polls until the consumer is closed, without a bound).
/// The caller hands over its reference, so the close happens here and not wherever the last
/// clone would have been dropped (an async thread).
async fn close_consumer(consumer: Arc<WorkerConsumer>, timeout: Duration) {
    let closing = tokio::task::spawn_blocking(move || {
        consumer.unsubscribe();
        drop(consumer);
    });
    if tokio::time::timeout(timeout, closing).await.is_err() {
        tracing::warn!(
            timeout_ms = timeout.as_millis() as u64,
            "The consumer did not leave the group in time (coordinator unreachable?); its session will time out."
        );
    }
}

/// Drops `mode` (its producer: rust-rdkafka purges, flushes for up to 500 ms and destroys the
/// client, which waits for librdkafka's threads) off the async threads, waiting at most
/// `timeout`; past it the process goes on exiting (`main` gives blocking threads 1 s).
async fn close_producer<M: Send + 'static>(mode: M, timeout: Duration) {
    let closing = tokio::task::spawn_blocking(move || drop(mode));
    if tokio::time::timeout(timeout, closing).await.is_err() {
        tracing::warn!(
            timeout_ms = timeout.as_millis() as u64,
            "The producer did not close in time; exiting anyway (its open transaction, if any, is aborted by the broker)."
        );
    }
}

/// The state of the delivery loop that does not depend on the mode.
pub(super) struct Core {
    engine: Arc<ArcSwap<Engine>>,
    consumer: Arc<WorkerConsumer>,
    limits: Arc<ArcSwap<OutputLimits>>,
    topics: Topics,
    metrics: Metrics,
    ready: Arc<Readiness>,
    progress: Option<watch::Sender<u64>>,
    kafka: KafkaConfig,
    worker: String,
    /// The review threads, made once ([`super::records::review_pool`]); `None` for one.
    pool: Option<rayon::ThreadPool>,
    consume_errors: LogLimiter,
    summary: RunSummary,
    /// The consumer's `max.poll.interval.ms` (librdkafka's default 300 s unless set).
    max_poll_interval: Duration,
    /// How long a successful commit took, smoothed over the last few (an exponentially weighted
    /// mean, weight 1/4 for the newest); the batch window leaves that much room (see
    /// [`Core::window`]).
    commit_time: Duration,
}

/// librdkafka's default `max.poll.interval.ms`.
const DEFAULT_MAX_POLL_INTERVAL: Duration = Duration::from_secs(300);

/// What the loop waits for between steps.
enum Next {
    Message(BorrowedMessageResult),
    Stop,
}

type BorrowedMessageResult = Result<OwnedMessage, KafkaError>;

impl Core {
    pub(super) fn new(
        engine: Arc<ArcSwap<Engine>>,
        settings: WorkerSettings,
        consumer: Arc<WorkerConsumer>,
        limits: Arc<ArcSwap<OutputLimits>>,
    ) -> Self {
        let threads = match settings.kafka.review_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let pool = review_pool(threads).unwrap_or_else(|error| {
            tracing::warn!(%error, threads, "No review threads: batches are reviewed on one thread.");
            None
        });
        let max_poll_interval = consumer_config(&settings.kafka)
            .get("max.poll.interval.ms")
            .and_then(|v| v.parse().ok())
            .map_or(DEFAULT_MAX_POLL_INTERVAL, Duration::from_millis);
        Core {
            max_poll_interval,
            engine,
            consumer,
            limits,
            topics: settings.topics,
            metrics: settings.metrics,
            ready: settings.ready,
            progress: settings.progress,
            kafka: settings.kafka,
            worker: worker_id(),
            pool,
            consume_errors: LogLimiter::new(super::client::ERROR_LOG_INTERVAL),
            summary: RunSummary::default(),
            commit_time: Duration::ZERO,
        }
    }

    /// Subscribes, then runs batches until shutdown or a fatal error; always leaves the group.
    pub(super) async fn run<M: DeliveryMode + Send + 'static>(
        mut self,
        mut mode: M,
        shutdown: impl Future<Output = ()>,
    ) -> Result<RunSummary, WorkerError> {
        self.subscribe(M::NAME)?;
        tokio::pin!(shutdown);
        let mut stopping = false;
        let mut result = self.batches(&mut mode, &mut shutdown, &mut stopping).await;
        if let Err(e) = mode.close(&self.consumer) {
            result = result.and(Err(e));
        }
        self.ready.assigned.store(false, Ordering::Relaxed);
        // Nothing is left to deliver (every batch was committed or given up), so the producer
        // needs no flush; leaving the group is bounded, so a stop with the brokers away is prompt.
        let summary = self.summary;
        close_consumer(self.consumer, CLOSE_TIMEOUT).await;
        close_producer(mode, CLOSE_TIMEOUT).await;
        tracing::info!(acknowledged = summary.acknowledged, "Worker stopped.");
        result.map(|()| summary)
    }

    fn subscribe(&self, mode: &str) -> Result<(), WorkerError> {
        let input = self.topics.input.as_str();
        self.consumer
            .subscribe(&[input])
            .map_err(WorkerError::client("consumer"))?;
        self.ready.producer_ready.store(true, Ordering::Relaxed);
        let engine = self.engine.load();
        self.metrics
            .set_lexicon_terms(engine.name(), engine.lexicon_terms());
        tracing::info!(
            pipeline = engine.name(),
            version = engine.version(),
            lexicon_version = engine.lexicon_version(),
            input,
            group = %self.kafka.group_id,
            delivery = mode,
            "Worker started."
        );
        Ok(())
    }

    /// A consume error: fatal ones stop the worker, the others are logged (rate-limited).
    fn consume_error(&self, error: KafkaError) -> Result<(), WorkerError> {
        if is_fatal_consume_error(&error) {
            return Err(WorkerError::Consume(error));
        }
        if let Some(suppressed) = self.consume_errors.allow() {
            tracing::warn!(%error, suppressed, "Consume error; continuing (logged at most every 10 s).");
        }
        Ok(())
    }

    async fn batches<M: DeliveryMode>(
        &mut self,
        mode: &mut M,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
        stopping: &mut bool,
    ) -> Result<(), WorkerError> {
        let drain = Duration::from_millis(self.kafka.drain_timeout_ms);
        loop {
            if let Some(wait) = mode.backoff() {
                tokio::select! {
                    biased;
                    _ = shutdown.as_mut() => return Ok(()),
                    _ = tokio::time::sleep(wait) => {}
                }
            }
            // 1. The first message of a batch (or shutdown).
            let next = tokio::select! {
                biased;
                _ = shutdown.as_mut() => Next::Stop,
                m = self.consumer.recv() => Next::Message(m.map(|m| m.detach())),
            };
            let first = match next {
                Next::Stop => return Ok(()),
                Next::Message(Ok(m)) => m,
                Next::Message(Err(e)) => {
                    self.consume_error(e)?;
                    continue;
                }
            };
            mode.begin(&self.consumer).await?;
            // 2. Fill the batch; what is consumed is reviewed on `review_threads` threads and its
            //    records produced, in consumption order, while the batch fills (see `fill`).
            let engine = self.engine.load_full();
            let mut batch = Batch::new();
            let mut acks: Acks = Vec::new();
            self.fill(
                mode, &engine, first, &mut batch, &mut acks, shutdown, stopping,
            )
            .await?;
            // 3. Commit; once stopping, within the drain timeout.
            let events = batch.reviewed.len();
            let commit_started = Instant::now();
            let committed = {
                let commit = mode.commit(&self.consumer, &batch, acks);
                tokio::pin!(commit);
                let mut deadline = stopping.then(|| tokio::time::Instant::now() + drain);
                loop {
                    tokio::select! {
                        biased;
                        r = &mut commit => break r?,
                        _ = shutdown.as_mut(), if !*stopping => {
                            *stopping = true;
                            deadline = Some(tokio::time::Instant::now() + drain);
                        }
                        _ = sleep_until(deadline), if deadline.is_some() => {
                            return Err(WorkerError::DrainTimeout(events));
                        }
                    }
                }
            };
            match committed {
                Committed::Yes => {
                    let took = commit_started.elapsed();
                    self.metrics.batch_commit(took);
                    self.commit_time = (self.commit_time * 3 + took) / 4;
                    self.count(&batch);
                }
                Committed::No => {}
                Committed::ReplaceConsumer(why) => self.replace_consumer(why).await?,
            }
            if *stopping {
                return Ok(());
            }
        }
    }

    /// Adds `first` and what follows to the batch until it is full, its window has passed (or,
    /// without a window, the consumer holds nothing more), shutdown is requested, or the review
    /// budget is spent (see [`Core::review_staged`]).
    ///
    /// Whenever the consumer holds nothing more for the moment (and when the batch is full), what
    /// was consumed since is reviewed and its records are produced, in consumption order, so
    /// each partition's outputs keep offset order. The review of a batch thus overlaps with its
    /// window instead of following it, and a message's payload is dropped once reviewed: the
    /// batch holds its records and metadata, not its input.
    #[allow(clippy::too_many_arguments)]
    async fn fill<M: DeliveryMode>(
        &self,
        mode: &M,
        engine: &Engine,
        first: OwnedMessage,
        batch: &mut Batch,
        acks: &mut Acks,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
        stopping: &mut bool,
    ) -> Result<(), WorkerError> {
        let window = self.window(mode.batch_window());
        let max_events = mode.max_events();
        let budget = self.review_budget(mode.commit_deadline());
        let limits = self.limits.load_full();
        let review = Review {
            engine,
            limits: &limits,
            deadline: batch.started + budget,
            budget,
        };
        let mut staged: Vec<(Instant, OwnedMessage)> = Vec::new();
        let mut consumed = 0usize;
        let mut bytes = 0usize;
        let mut msg = Some(first);
        loop {
            if let Some(m) = msg.take() {
                consumed += 1;
                bytes += m.payload().map_or(0, <[u8]>::len);
                staged.push((Instant::now(), m));
            }
            let full = consumed >= max_events || bytes >= self.kafka.batch_max_bytes;
            if !full {
                // What the consumer already holds joins the batch before anything is reviewed.
                match self.consumer.recv().now_or_never() {
                    Some(Ok(m)) => {
                        msg = Some(m.detach());
                        continue;
                    }
                    Some(Err(e)) => {
                        self.consume_error(e)?;
                        continue;
                    }
                    None => {}
                }
            }
            if !self
                .review_staged(mode, &review, &mut staged, batch, acks)
                .await
                || full
            {
                return Ok(());
            }
            let Some(window) = window else {
                return Ok(());
            };
            let remaining = window.saturating_sub(batch.started.elapsed());
            if remaining.is_zero() {
                return Ok(());
            }
            tokio::select! {
                biased;
                _ = shutdown.as_mut(), if !*stopping => {
                    *stopping = true;
                    return Ok(());
                }
                _ = tokio::time::sleep(remaining) => return Ok(()),
                m = self.consumer.recv() => match m {
                    Ok(m) => msg = Some(m.detach()),
                    Err(e) => self.consume_error(e)?,
                },
            }
        }
    }

    /// How long the batch keeps reading after its first message: the mode's window less the
    /// recent commit time, but at least half the window — so that from its first message to its
    /// commit a batch takes about `batch_max_ms`, as promised, rather than `batch_max_ms` plus
    /// the commit.
    fn window(&self, window: Option<Duration>) -> Option<Duration> {
        window.map(|w| w.saturating_sub(self.commit_time).max(w / 2))
    }

    /// How long one batch's review may take: half the smaller of the consumer's
    /// `max.poll.interval.ms` (past it the consumer is put out of the group, and the batch's
    /// commit is refused) and the mode's `commit_deadline` (exactly-once: `transaction.timeout.ms`).
    fn review_budget(&self, commit_deadline: Option<Duration>) -> Duration {
        commit_deadline.map_or(self.max_poll_interval, |d| d.min(self.max_poll_interval)) / 2
    }

    /// Reviews the staged messages (emptying `staged`), produces their records in order and adds
    /// them to the batch; returns whether all were reviewed.
    ///
    /// The review is bounded by the batch's budget ([`prepare_all`]'s deadline; the batch's first
    /// message is always reviewed, so every batch makes progress). When the budget leaves some
    /// unreviewed, each of their partitions is sought back to the first of them, so they are
    /// consumed and reviewed again in the next batch, and the batch ends with what was reviewed:
    /// none is lost, none is committed unreviewed, and a slow batch commits in parts instead of
    /// being aborted and reviewed again forever.
    async fn review_staged<M: DeliveryMode>(
        &self,
        mode: &M,
        review: &Review<'_>,
        staged: &mut Vec<(Instant, OwnedMessage)>,
        batch: &mut Batch,
        acks: &mut Acks,
    ) -> bool {
        if staged.is_empty() {
            return true;
        }
        let (consumed_at, msgs): (Vec<Instant>, Vec<OwnedMessage>) = staged.drain(..).unzip();
        let prepared = if batch.reviewed.is_empty() || Instant::now() < review.deadline {
            prepare_all(
                review.engine,
                &self.topics,
                review.limits,
                &self.worker,
                &msgs,
                self.pool.as_ref(),
                Some(review.deadline),
            )
        } else {
            msgs.iter().map(|_| None).collect()
        };
        let mut left = None;
        let messages = consumed_at.into_iter().zip(&msgs).zip(prepared);
        for (i, ((consumed_at, m), prepared)) in messages.enumerate() {
            let Some((records, outcome)) = prepared else {
                left = Some(i);
                break;
            };
            let index = batch.reviewed.len();
            for (topic, ack) in produce(mode.producer(), records).await {
                acks.push((index, topic, ack));
            }
            batch.add(Reviewed {
                topic: m.topic().to_string(),
                partition: m.partition(),
                offset: m.offset(),
                consumed_at,
                outcome,
            });
        }
        let Some(kept) = left else {
            return true;
        };
        let mut reread: BTreeMap<(String, i32), i64> = BTreeMap::new();
        for m in &msgs[kept..] {
            reread
                .entry((m.topic().to_string(), m.partition()))
                .or_insert(m.offset());
        }
        tracing::warn!(
            reviewed = batch.reviewed.len(),
            left = msgs.len() - kept,
            budget_ms = review.budget.as_millis() as u64,
            "Review budget spent; committing the reviewed part of the batch and reading the rest again."
        );
        self.metrics.batch_cut();
        for ((topic, partition), offset) in reread {
            seek(&self.consumer, &topic, partition, offset);
        }
        false
    }

    /// Replaces the consumer: leaves the group (bounded), creates a new consumer and subscribes;
    /// it resumes from the group's committed offsets. `/readyz` is false until partitions are
    /// assigned again.
    async fn replace_consumer(&mut self, why: Replacement) -> Result<(), WorkerError> {
        tracing::warn!(cause = why.cause(), "Replacing the consumer.");
        self.metrics.client_replaced(why);
        self.ready.assigned.store(false, Ordering::Relaxed);
        self.metrics.set_assigned_partitions(0);
        // The new consumer is created first (that joins nothing) so that the old one's last
        // reference goes to `close_consumer`; it subscribes once the old one has left.
        let fresh = new_consumer(&self.kafka, &self.metrics, &self.ready)?;
        let old = std::mem::replace(&mut self.consumer, fresh);
        close_consumer(old, CLOSE_TIMEOUT).await;
        self.consumer
            .subscribe(&[self.topics.input.as_str()])
            .map_err(WorkerError::client("consumer"))
    }

    /// Counts a durable batch: metrics, the run summary and the progress channel.
    fn count(&mut self, batch: &Batch) {
        for r in &batch.reviewed {
            self.metrics.latency(r.consumed_at.elapsed());
            r.outcome.count(&self.metrics);
        }
        self.summary.acknowledged += batch.reviewed.len() as u64;
        if let Some(tx) = &self.progress {
            tx.send_replace(self.summary.acknowledged);
        }
    }
}

/// What one batch is reviewed with: the engine and output limits loaded when it began, and its
/// review budget (the deadline is the batch's start plus the budget).
struct Review<'a> {
    engine: &'a Engine,
    limits: &'a OutputLimits,
    deadline: Instant,
    budget: Duration,
}

/// Sleeps until `deadline`; never resolves for `None`.
async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
