//! At-least-once delivery, for brokers without transactions: a batch's output records are
//! produced, their acknowledgements awaited in consumption order, and only then are the input
//! offsets stored for librdkafka's periodic commit (`auto.commit.interval.ms`) and the final
//! commit on shutdown. A stored offset never passes a message whose outputs are not durable, and
//! never moves backwards. A crash between an acknowledgement and the next commit duplicates
//! outputs; nothing is lost.
//!
//! Batches take only what the consumer already holds (no batch window), at most `max_in_flight`
//! messages, so a quiet stream is reviewed message by message with no added latency.

use std::time::Duration;

use rdkafka::config::FromClientConfigAndContext;
use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::ClientConfig;

use super::client::{LogContext, Producer};
use super::error::{DeliveryError, WorkerError};
use super::mode::{backoff, rewind, Acks, Batch, Committed, DeliveryMode, WorkerConsumer};
use crate::config::KafkaConfig;
use crate::ops::metrics::Metrics;

/// The at-least-once strategy: an idempotent (not transactional) producer.
pub(super) struct AtLeastOnce {
    producer: Producer,
    max_events: usize,
    metrics: Metrics,
    /// Batches in a row whose delivery failed: each retry waits longer (100 ms doubling to 5 s).
    failures_in_a_row: u32,
}

impl AtLeastOnce {
    /// Creates the producer from `producer_config`.
    ///
    /// # Errors
    /// The producer cannot be created.
    pub(super) fn start(
        k: &KafkaConfig,
        producer_config: ClientConfig,
        metrics: Metrics,
    ) -> Result<Self, WorkerError> {
        let producer =
            Producer::from_config_and_context(&producer_config, LogContext::new("producer"))
                .map_err(WorkerError::client("producer"))?;
        Ok(AtLeastOnce {
            producer,
            max_events: k.batch_max_events.min(k.max_in_flight),
            metrics,
            failures_in_a_row: 0,
        })
    }
}

impl DeliveryMode for AtLeastOnce {
    const NAME: &'static str = "at_least_once";

    fn producer(&self) -> &Producer {
        &self.producer
    }

    fn batch_window(&self) -> Option<Duration> {
        None
    }

    fn max_events(&self) -> usize {
        self.max_events
    }

    fn commit_deadline(&self) -> Option<Duration> {
        None
    }

    fn backoff(&self) -> Option<Duration> {
        (self.failures_in_a_row > 0).then(|| backoff(self.failures_in_a_row - 1))
    }

    async fn begin(&mut self, _consumer: &WorkerConsumer) -> Result<(), WorkerError> {
        Ok(())
    }

    async fn commit(
        &mut self,
        consumer: &std::sync::Arc<WorkerConsumer>,
        batch: &Batch,
        acks: Acks,
    ) -> Result<Committed, WorkerError> {
        let mut failed = None;
        for (i, topic, ack) in acks {
            // Await every acknowledgement, also after a failure: nothing of the batch may still
            // be in flight when it is produced again.
            if let (Err(error), None) = (ack.await, &failed) {
                self.metrics.produce_error();
                let r = &batch.reviewed[i];
                failed = Some(DeliveryError {
                    topic,
                    source_topic: r.topic.clone(),
                    partition: r.partition,
                    offset: r.offset,
                    error,
                });
            }
        }
        if let Some(failure) = failed {
            if is_fatal_delivery_error(&failure.error) {
                return Err(WorkerError::Delivery(Box::new(failure)));
            }
            // Transient (the brokers were away longer than `message.timeout.ms`, say): review the
            // batch again. Outputs already delivered are delivered twice — at-least-once.
            self.failures_in_a_row = self.failures_in_a_row.saturating_add(1);
            tracing::warn!(error = %failure, "Delivery failed; the batch is reviewed and produced again.");
            rewind(consumer, batch);
            return Ok(Committed::No);
        }
        self.failures_in_a_row = 0;
        match batch.next_offsets() {
            Ok(tpl) => {
                if let Err(error) = consumer.store_offsets(&tpl) {
                    // A partition was revoked meanwhile; its new owner reviews the messages again.
                    tracing::debug!(%error, "Offsets not stored.");
                }
            }
            Err(error) => tracing::debug!(%error, "Offsets not stored."),
        }
        Ok(Committed::Yes)
    }

    fn close(&mut self, consumer: &WorkerConsumer) -> Result<(), WorkerError> {
        // Commit what is stored (only acknowledged messages ever are).
        match consumer.commit_consumer_state(CommitMode::Sync) {
            Ok(()) => Ok(()),
            // Nothing stored since the last commit is not an error.
            Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => Ok(()),
            Err(e) => Err(WorkerError::Commit(e)),
        }
    }
}

/// Whether a failed delivery stops the worker: the broker refuses the record for good (no
/// authorization on the topic or the cluster, a record too large or invalid). Timeouts and broker
/// outages are transient.
fn is_fatal_delivery_error(e: &KafkaError) -> bool {
    matches!(
        e.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::TopicAuthorizationFailed
                | RDKafkaErrorCode::ClusterAuthorizationFailed
                | RDKafkaErrorCode::TransactionalIdAuthorizationFailed
                | RDKafkaErrorCode::MessageSizeTooLarge
                | RDKafkaErrorCode::InvalidRecord
                | RDKafkaErrorCode::Fatal
        )
    )
}
