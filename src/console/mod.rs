//! The moderation console's foundation (DESIGN §8, issue 13): the hold queue's store.
//!
//! The worker stays stateless; the console keeps the state moderators work on: held items, their
//! leases (claims), verdicts with the outbox a relay produces from, accounts and the audit
//! trail. [`Store`] is that state, on SQLite (one file, WAL; the embedded default) or
//! PostgreSQL (several console replicas), with the same SQL and the same tests for both. The
//! model — items, leases, the conditional update, the outbox — is described in
//! `docs/console.md`.
//!
//! - [`item`]: a held decision record read into a [`HeldItem`] (severity, reasons, user).
//! - [`store`]: [`Store`] and its operations, [`StoreError`].
//! - [`intake`]: [`run_intake`], the consumer of the held topic that stores each held decision
//!   record as a queue item, committing its offset only once the store has it.
//!
//! - [`relay`]: [`run_relay`], verdicts from the outbox to the approved/rejected and audit
//!   topics in Kafka transactions, exactly once across crashes.
//! - [`web`]: the web application moderators and leads work in ([`web::router`]), with
//!   [`auth`] (argon2 passwords) and [`metrics`] ([`ConsoleMetrics`]).

pub mod appeal;
pub mod auth;
pub mod complaint;
pub mod intake;
pub mod item;
pub mod ledger;
pub mod ledger_reader;
pub mod metrics;
pub mod relay;
pub mod store;
pub mod web;

pub use intake::{run_intake, IntakeError, IntakeMetrics, IntakeSettings, IntakeSummary};
pub use item::{HeldItem, ReasonTag, RecordError};
pub use metrics::ConsoleMetrics;
pub use relay::{run_relay, RelayError, RelayMetrics, RelaySettings, RelaySummary, VerdictRecords};
pub use store::{
    Account, AccountId, AuditAction, AuditEntry, Backend, DecidedVerdict, Escalation, HistoryEntry,
    Inserted, Item, ItemId, ItemState, ItemSummary, Lease, ModeratorStats, NewSession, OutboxEntry,
    QueueFilter, QueueStats, RelayBatch, RelayEpoch, Role, Session, Settled, Store, StoreError,
    Verdict, VerdictId, VerdictInput,
};
