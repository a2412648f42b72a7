//! Helpers shared by the integration tests, one module per concern:
//!
//! - [`files`]: the repository and its files.
//! - [`broker`]: the real broker started by `scripts/test.sh`, unique topic names, producing,
//!   committed offsets.
//! - [`cluster`]: a three-broker cluster of the test's own, a steady producer, the worker's
//!   progress over time.
//! - [`console`]: `synth-review console` processes and their console files.
//! - [`events`]: the real corpus, a seeded event generator, poison messages, evasions.
//! - [`outputs`]: reading the output topics back and checking exactly-once.
//! - [`worker`]: pipelines, `synth-review run` processes ([`Worker`]) and their logs.
//! - [`metrics`]: the worker's HTTP endpoints and the Prometheus text exposition.
//! - [`store`]: a console store of a test's own on SQLite or PostgreSQL ([`TestDb`]).
//! - [`wait`]: the one way to wait, [`wait_for`], which also watches processes.
//! - [`ops`], [`prometheus`], [`promql`], [`yaml`]: what the `ops_*` tests share (a worker with
//!   statistics every second, the real Prometheus server, PromQL and dashboard helpers, the YAML
//!   reader).
//!
//! Every integration test is a crate of its own that compiles this tree anew and uses only part
//! of it. A test declares it as `pub mod common;`: its `pub` items are then reachable from the
//! test crate's root, so the ones a given test leaves unused are not dead code there, while
//! private helpers that nothing uses are still reported. No `allow(dead_code)` is needed.
//! (`examples/kafka_throughput.rs` includes this file by `#[path]` and should declare it `pub`
//! too.)

pub mod broker;
pub mod cluster;
pub mod console;
pub mod events;
pub mod files;
pub mod metrics;
pub mod ops;
pub mod outputs;
pub mod prometheus;
pub mod promql;
pub mod store;
pub mod wait;
pub mod worker;
pub mod yaml;

pub use broker::*;
pub use cluster::*;
pub use console::{ConsoleConfig, ConsoleProcess};
pub use events::*;
pub use files::*;
pub use metrics::*;
pub use outputs::*;
pub use store::TestDb;
pub use wait::*;
pub use worker::*;
