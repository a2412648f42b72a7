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
//! - [`config`]: pipeline files and their checks, every error at its `file:line`.
//! - [`engine`]: [`engine::load`], the one place configuration (file, environment, data files) is
//!   read; stages in order + policy + combination; no Kafka, so `review` runs offline.
//! - [`stages`]: one module per stage (reason codes, config type, constructor, review), registered
//!   in `stages!`.
//! - [`normalize`], [`matcher`], [`lexicon`]: the feature library (Art. 10).
//! - [`news_sources`]: the CAC list of licensed news source units (with aliases).
//! - [`rumours`]: the known-rumour library (Art. 11).
//! - [`kafka`]: consumer/producer plumbing and the worker loop.
//! - [`metrics`], [`http`]: Prometheus metrics and `/metrics`, `/healthz`, `/readyz`.
//! - [`reload`]: hot reload of the pipeline and its lexicons on SIGHUP.
//! - [`review`], [`demo`]: the `review` and `demo` commands.
//!
//! # Data flow
//! `publish topic → parse_event → Engine::review → decision record → approved|held|rejected`
//! (or `→ dead-letter`), `+ audit record`; the input offset is stored for commit only after both
//! output records are acknowledged.
#![deny(missing_docs)]

pub mod config;
pub mod decision;
pub mod demo;
pub mod embedded;
pub mod engine;
pub mod event;
pub mod http;
pub mod kafka;
pub mod lexicon;
pub mod matcher;
pub mod metrics;
pub mod news_sources;
pub mod normalize;
pub mod reload;
pub mod review;
pub mod rumours;
pub mod stages;
