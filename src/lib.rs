//! # synth-review
//!
//! A Kafka stream worker that performs the release review (信息发布审核) required by the
//! *Provisions on the Administration of Deep Synthesis of Internet-Based Information Services*
//! (CAC/MIIT/MPS Order No. 12, 2023) before AI-synthesized content is published. Each publish event
//! runs through review stages and is routed to exactly one of the approved, held or rejected topics,
//! or to the dead-letter topic when it cannot be read, with one audit record per input message.
//!
//! # Layout
//! - [`event`]: the publish event and its parsing at the edge (dead-letter kinds).
//! - [`decision`]: decisions, reason codes (with default actions and articles), output records.
//! - [`config`]: the pipeline file's sections and their checks (`[kafka]`, `[topics]`,
//!   `[limits]`, each `[[stages]]` table), every error at its `file:line`.
//! - [`engine`]: [`engine::load`], the one place configuration (file, environment, librdkafka
//!   options, data files) is read; stages in order + policy + combination; no Kafka, so `review`
//!   runs offline.
//! - [`stages`]: one module per stage behind the [`stages::Stage`] trait, owning its reason codes,
//!   config type and constructor, registered in one `stages!` list; a stage applies the libraries
//!   below to an event and turns what they find into reasons.
//! - [`text`]: the feature library (Art. 10): [`text::normalize`] (folding),
//!   [`text::matcher`] (lexicon matching), [`text::lexicon`] (lexicon files).
//! - [`sources`]: what the news stages check against: [`sources::news_units`] (the CAC list of
//!   licensed news source units, with aliases), [`sources::url`] (source URL hosts),
//!   [`sources::news_detector`] and [`sources::attribution`] (reading news copy),
//!   [`sources::rumours`] (the known-rumour library, Art. 11).
//! - [`kafka`]: Kafka plumbing: the delivery core (consume → batch → review → produce → commit)
//!   with the exactly-once and at-least-once modes, output records, topic limits, clients.
//! - [`ops`]: Prometheus metrics, `/metrics`, `/healthz`, `/readyz`, hot reload on SIGHUP.
//! - [`console`]: the moderation console's store: the hold queue, leases, verdicts with their
//!   outbox, accounts and audit, on SQLite or PostgreSQL (DESIGN §8, `docs/console.md`).
//! - [`app`]: one function per command (`run`, `review`, `check`, `demo`); the binary only parses
//!   arguments, sets up logging and maps errors to exit codes.
//!
//! # Data flow
//! `publish topic → parse_event → Engine::review → decision record → approved|held|rejected`
//! (or `→ dead-letter`), `+ audit record`; a batch's input offsets commit together with its output
//! records (exactly-once) or after they are acknowledged (at-least-once).
#![deny(missing_docs)]

pub mod app;
pub mod config;
pub mod console;
pub mod decision;
pub mod embedded;
pub mod engine;
pub mod event;
pub mod kafka;
pub mod ops;
pub mod sources;
pub mod stages;
pub mod text;
