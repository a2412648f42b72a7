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
use super::worker::{Acks, Batch, Committed, DeliveryMode, WorkerConsumer};
use crate::config::KafkaConfig;
use crate::ops::metrics::Metrics;

/// The at-least-once strategy: an idempotent (not transactional) producer.
pub(super) struct AtLeastOnce {
    producer: Producer,
    max_events: usize,
}

impl AtLeastOnce {
    /// Creates the producer from `producer_config`.
    ///
    /// # Errors
    /// The producer cannot be created.
    pub(super) fn start(
        k: &KafkaConfig,
        producer_config: ClientConfig,
    ) -> Result<Self, WorkerError> {
        let producer =
            Producer::from_config_and_context(&producer_config, LogContext::new("producer"))
                .map_err(WorkerError::client("producer"))?;
        Ok(AtLeastOnce {
            producer,
            max_events: k.batch_max_events.min(k.max_in_flight),
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

    fn backoff(&self) -> Option<Duration> {
        None
    }

    fn begin(&mut self, _consumer: &WorkerConsumer) -> Result<(), WorkerError> {
        Ok(())
    }

    async fn commit(
        &mut self,
        consumer: &std::sync::Arc<WorkerConsumer>,
        batch: &Batch,
        acks: Acks,
        metrics: &Metrics,
    ) -> Result<Committed, WorkerError> {
        for (i, topic, ack) in acks {
            if let Err(error) = ack.await {
                metrics.produce_error();
                let r = &batch.reviewed[i];
                return Err(WorkerError::Delivery(Box::new(DeliveryError {
                    topic,
                    source_topic: r.topic.clone(),
                    partition: r.partition,
                    offset: r.offset,
                    error,
                })));
            }
        }
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
