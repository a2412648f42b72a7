//! The errors that stop the worker (exit code 1), and which Kafka errors count as fatal.

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// Errors that stop the worker (exit code 1). Everything else — brokers away, timeouts, aborted
/// transactions, rebalances — is retried or recovered from inside the delivery loop.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// A client could not be created or subscribed (bad settings, unknown option).
    #[error("cannot create the Kafka {what}: {source}")]
    Client {
        /// `consumer`, `producer` or `admin client`.
        what: &'static str,
        /// The librdkafka error.
        source: KafkaError,
    },
    /// An output topic's `max.message.bytes` is below [`super::limits::MIN_OUTPUT_LIMIT`]; the
    /// text lists the topics (`` `topic`: N bytes``).
    #[error("output topics accept records of at most {0}; the worker needs at least {min} bytes (raise max.message.bytes)", min = super::limits::MIN_OUTPUT_LIMIT)]
    TopicLimits(String),
    /// Consuming failed with a non-retriable error (authorization, a fatal client error).
    #[error("consuming failed: {0}")]
    Consume(KafkaError),
    /// An output record could not be delivered (at-least-once): its input offset is not
    /// committed, so a restart reviews the message again.
    #[error("{0}")]
    Delivery(Box<DeliveryError>),
    /// In-flight records were not acknowledged within the drain timeout (at-least-once); the
    /// count of records.
    #[error("{0} input messages not committed within the drain timeout; they are reviewed again after a restart")]
    DrainTimeout(usize),
    /// The final offset commit failed.
    #[error("final offset commit failed: {0}")]
    Commit(KafkaError),
    /// A transaction failed fatally: the producer was fenced by another instance with the same
    /// configured `transactional.id`, or the broker reported a fatal error. The open transaction
    /// is aborted by the broker; its records never become visible to `read_committed` consumers.
    #[error("transaction failed fatally: {0}")]
    Transaction(KafkaError),
}

/// An output record that could not be delivered, and the input message it came from.
#[derive(Debug, thiserror::Error)]
#[error("delivery to `{topic}` failed for input {source_topic}/{partition}@{offset}: {error}")]
pub struct DeliveryError {
    /// The output topic.
    pub topic: String,
    /// Input topic.
    pub source_topic: String,
    /// Input partition.
    pub partition: i32,
    /// Input offset.
    pub offset: i64,
    /// The error.
    pub error: KafkaError,
}

impl WorkerError {
    /// The error for a client that could not be created.
    pub(crate) fn client(what: &'static str) -> impl FnOnce(KafkaError) -> WorkerError {
        move |source| WorkerError::Client { what, source }
    }
}

/// Whether a consume error stops the worker: authorization and authentication failures and
/// librdkafka's fatal errors. Everything else (brokers away, timeouts) is transient.
pub(crate) fn is_fatal_consume_error(e: &KafkaError) -> bool {
    matches!(
        e.rdkafka_error_code(),
        Some(RDKafkaErrorCode::Fatal)
            | Some(RDKafkaErrorCode::TopicAuthorizationFailed)
            | Some(RDKafkaErrorCode::GroupAuthorizationFailed)
            | Some(RDKafkaErrorCode::SaslAuthenticationFailed)
    )
}
