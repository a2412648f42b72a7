//! Kafka plumbing, kept apart from the review engine.
//!
//! - [`worker`]: the delivery core — consume → batch → review → produce → commit — and [`run`];
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
pub mod records;
pub mod worker;

pub use client::worker_id;
pub use error::WorkerError;
pub use worker::{run, RunSummary, WorkerSettings};
