//! What the delivery core and the two delivery modes share: a batch, the outcome of committing
//! it, and the [`DeliveryMode`] trait each mode implements. The core ([`super::worker`]) and the
//! modes ([`super::exactly_once`], [`super::at_least_once`]) import from here, never from each
//! other.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::{Offset, TopicPartitionList};

use super::client::{Producer, WorkerContext};
use super::error::WorkerError;
use super::records::{Ack, Outcome};
use crate::ops::metrics::Replacement;

/// The worker's consumer.
pub(super) type WorkerConsumer = StreamConsumer<WorkerContext>;

/// One input message of a batch, once reviewed.
pub(super) struct Reviewed {
    /// Input topic, partition and offset.
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// When it was consumed (for `review_latency_seconds`).
    pub consumed_at: Instant,
    /// What became of it, counted once durable.
    pub outcome: Outcome,
}

/// A batch of input messages: what a delivery mode commits at once.
pub(super) struct Batch {
    /// (topic, partition) → (first offset, last offset) of the batch's reviewed messages.
    pub offsets: BTreeMap<(String, i32), (i64, i64)>,
    /// The reviewed messages, in consumption order.
    pub reviewed: Vec<Reviewed>,
    pub(super) started: Instant,
}

impl Batch {
    /// An empty batch, started now.
    pub(super) fn new() -> Self {
        Batch {
            offsets: BTreeMap::new(),
            reviewed: Vec::new(),
            started: Instant::now(),
        }
    }

    /// Adds a reviewed message, extending its partition's offset range.
    pub(super) fn add(&mut self, r: Reviewed) {
        let entry = self
            .offsets
            .entry((r.topic.clone(), r.partition))
            .or_insert((r.offset, r.offset));
        entry.1 = r.offset;
        self.reviewed.push(r);
    }

    /// The offset to commit per partition: one past the batch's last message.
    ///
    /// # Errors
    /// Only for an invalid partition (cannot happen for consumed messages).
    pub fn next_offsets(&self) -> Result<TopicPartitionList, KafkaError> {
        let mut tpl = TopicPartitionList::new();
        for ((topic, partition), (_, last)) in &self.offsets {
            tpl.add_partition_offset(topic, *partition, Offset::Offset(last + 1))?;
        }
        Ok(tpl)
    }
}

/// Each produced record's acknowledgement: the index of its message in [`Batch::reviewed`], the
/// output topic, the acknowledgement.
pub(super) type Acks = Vec<(usize, String, Ack)>;

/// Whether a batch became durable.
pub(super) enum Committed {
    /// Outputs and offsets are durable: count the batch.
    Yes,
    /// Not committed; the mode has repositioned the consumer, so the batch is reviewed again.
    No,
    /// Unknown, and the consumer is cut off from its group coordinator: replace the consumer,
    /// which rejoins the group and resumes from the committed offsets (where the batch is, or is
    /// not, included). Such a batch is not counted in the metrics.
    ReplaceConsumer(Replacement),
}

/// How a batch becomes durable: the strategy of a delivery guarantee.
pub(super) trait DeliveryMode {
    /// `exactly_once` or `at_least_once` (start-up log).
    const NAME: &'static str;

    /// The producer the batch's records go to.
    fn producer(&self) -> &Producer;

    /// How long a batch keeps collecting after its first message; `None`: only what the
    /// consumer already holds.
    fn batch_window(&self) -> Option<Duration>;

    /// The largest batch, in input messages.
    fn max_events(&self) -> usize;

    /// How long to wait before the next batch (repeated failures), if at all.
    fn backoff(&self) -> Option<Duration>;

    /// How long the batch may take before its commit would be refused for its age
    /// (exactly-once: `transaction.timeout.ms`); `None`: no such limit.
    fn commit_deadline(&self) -> Option<Duration>;

    /// Opens a batch (e.g. begins a transaction).
    ///
    /// # Errors
    /// A fatal error: the worker stops.
    async fn begin(&mut self, consumer: &WorkerConsumer) -> Result<(), WorkerError>;

    /// Makes the produced batch durable together with its input offsets, or repositions the
    /// consumer so that it is reviewed again.
    ///
    /// # Errors
    /// A fatal error: the worker stops.
    async fn commit(
        &mut self,
        consumer: &Arc<WorkerConsumer>,
        batch: &Batch,
        acks: Acks,
    ) -> Result<Committed, WorkerError>;

    /// The last step on the way out (a final offset commit).
    ///
    /// # Errors
    /// The commit failing.
    fn close(&mut self, consumer: &WorkerConsumer) -> Result<(), WorkerError>;
}

pub(super) use super::client::backoff;

/// Seeks every still-assigned partition of an aborted batch back to the batch's first offset.
pub(super) fn rewind(consumer: &WorkerConsumer, batch: &Batch) {
    for ((topic, partition), (first, _)) in &batch.offsets {
        seek(consumer, topic, *partition, *first);
    }
}

/// Seeks a partition to `offset`, so that its messages from there are consumed again; a partition
/// revoked meanwhile is left alone (its new owner starts from the committed offset).
pub(super) fn seek(consumer: &WorkerConsumer, topic: &str, partition: i32, offset: i64) {
    if let Err(error) = consumer.seek(
        topic,
        partition,
        Offset::Offset(offset),
        Duration::from_secs(10),
    ) {
        tracing::info!(%error, topic, partition, "Partition not repositioned (no longer assigned).");
    }
}
