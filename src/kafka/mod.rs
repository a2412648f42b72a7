//! Kafka plumbing, kept apart from the review engine.
//!
//! - [`run`]: sets up the clients and starts the delivery core with the configured mode;
//! - [`worker`]: the delivery core — consume → batch → review → produce → commit;
//! - `mode`: what the core and the modes share (the batch, the `DeliveryMode` trait);
//! - `exactly_once` / `at_least_once`: the two delivery modes, small strategies behind the core's
//!   `DeliveryMode` trait;
//! - [`records`]: the output records of one message (decision or dead letter, plus audit);
//! - [`limits`]: the output topics' size limits, read from the broker;
//! - [`client`]: client configuration, built in one place, and the client contexts;
//! - [`error`]: what stops the worker.

mod at_least_once;
pub mod client;
pub mod error;
mod exactly_once;
pub mod limits;
mod mode;
pub mod records;
pub mod refuted_claims;
pub mod worker;

pub use client::worker_id;
pub use error::WorkerError;
pub use worker::{RunSummary, WorkerSettings};

use std::future::Future;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::config::Delivery;
use crate::engine::Engine;
use client::producer_config;
use worker::new_consumer;

/// Runs the worker until `shutdown` resolves or a fatal error occurs, with the delivery guarantee
/// of `settings.kafka.delivery`.
///
/// # Errors
/// A [`WorkerError`]; what is durable is committed on the way out where possible.
pub async fn run(
    engine: Arc<ArcSwap<Engine>>,
    settings: WorkerSettings,
    shutdown: impl Future<Output = ()>,
) -> Result<RunSummary, WorkerError> {
    let k = &settings.kafka;
    let consumer = new_consumer(k, &settings.metrics, &settings.ready)?;
    // The output topics' limits first: the producer's batches must fit the smallest.
    let max_event_bytes = engine.load().limits().max_event_bytes;
    let limits = limits::watch(
        k,
        &settings.topics,
        client::producer_max_message_bytes(max_event_bytes),
        settings.read_topic_limits,
    )
    .await
    .map_err(WorkerError::client("admin client"))?;
    limits::check_minimum(&limits.load()).map_err(WorkerError::TopicLimits)?;
    let mut pc = producer_config(k, max_event_bytes);
    limits.load().cap_batch_size(&mut pc);
    match k.delivery {
        Delivery::ExactlyOnce => {
            let mode = exactly_once::ExactlyOnce::start(
                k,
                pc,
                settings.metrics.clone(),
                settings.ready.clone(),
            )
            .await?;
            worker::Core::new(engine, settings, consumer, limits)
                .run(mode, shutdown)
                .await
        }
        Delivery::AtLeastOnce => {
            let mode = at_least_once::AtLeastOnce::start(k, pc, settings.metrics.clone())?;
            worker::Core::new(engine, settings, consumer, limits)
                .run(mode, shutdown)
                .await
        }
    }
}
