//! What a store operation can refuse or fail with.

use time::OffsetDateTime;

use super::ItemId;
use crate::console::item::RecordError;

/// A refusal (the operation changed nothing) or a failure of the store. Times in the messages
/// are RFC 3339 UTC ([`super::utc_text`]).
///
/// The lease refusals are distinguished so that the console can tell a moderator what happened:
/// [`StoreError::UnknownItem`], [`StoreError::AlreadyDecided`], [`StoreError::StaleToken`],
/// [`StoreError::NotLeaseHolder`], [`StoreError::LeaseExpired`], and for a claim
/// [`StoreError::Claimed`] and [`StoreError::Escalated`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no supported store.
    #[error("unsupported store URL {0:?}: expected sqlite://PATH[?mode=rwc] or postgres://…")]
    Url(String),
    /// The record to insert is not a held decision record.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// No item has this id.
    #[error("unknown item {0}")]
    UnknownItem(ItemId),
    /// The item already has its verdict.
    #[error("item {0} is already decided")]
    AlreadyDecided(ItemId),
    /// A claim on an item another moderator holds an unexpired lease on.
    #[error("item {item_id} is claimed by {holder} until {}", super::utc_text(*.expires_at))]
    Claimed {
        /// The item.
        item_id: ItemId,
        /// Who holds the lease.
        holder: String,
        /// When that lease runs out.
        expires_at: OffsetDateTime,
    },
    /// A claim by a moderator on an item escalated to the leads.
    #[error("item {0} is escalated: only a lead can claim it")]
    Escalated(ItemId),
    /// The token is not the item's current lease token: the lease was released (skip, escalate)
    /// or the item was claimed again after the lease expired.
    #[error("stale lease token for item {0}: the lease was released or the item claimed again")]
    StaleToken(ItemId),
    /// The token is the current one, but the lease belongs to another moderator.
    #[error("the lease on item {0} belongs to another moderator")]
    NotLeaseHolder(ItemId),
    /// The token is the current one, but the lease has run out (renew earlier, or claim again).
    #[error("the lease on item {item_id} expired at {}", super::utc_text(*.expired_at))]
    LeaseExpired {
        /// The item.
        item_id: ItemId,
        /// When the lease ran out.
        expired_at: OffsetDateTime,
    },
    /// A lead's release of a claim on an item nobody holds an unexpired lease on.
    #[error("item {0} is not claimed: there is no lease to release")]
    NotClaimed(ItemId),
    /// A claim or verdict on an appeal's review round by the moderator who decided what is
    /// appealed, or a lead's decision of an appeal of a measure they changed (Art. 12: an appeal
    /// is decided by someone else).
    #[error("{decider} decided what is appealed on {what}: someone else decides the appeal")]
    AppealByDecider {
        /// The item (`item N`) or the appeal (`appeal ID`).
        what: String,
        /// Who decided it.
        decider: String,
    },
    /// An argument out of its bounds (reason code, note, lease duration, account name).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// An account of this name, ignoring ASCII case, exists already (its name).
    #[error("an account named {0:?} exists already (names are compared ignoring ASCII case)")]
    DuplicateAccount(String),
    /// Another writer changed what the operation read (two relays taking the same verdicts on
    /// PostgreSQL): nothing was changed; try again.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A stored value this build cannot read (a time out of range, an unknown state).
    #[error("corrupt store row: {0}")]
    Corrupt(String),
    /// The database gave no connection within this time ([`super::Store::open_within`]): an
    /// address nothing answers on, or a server too busy to accept.
    #[error("no connection to the database within {} s", .0.as_secs_f64())]
    ConnectTimeout(std::time::Duration),
    /// The migrations could not be applied.
    #[error("store migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database failed (connection, I/O, constraint).
    #[error("store database: {0}")]
    Database(#[from] sqlx::Error),
}
