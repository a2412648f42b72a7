//! The values the store's operations take and return.

use time::OffsetDateTime;

use super::{AccountId, ItemId, StoreError, VerdictId};
use crate::console::item::ReasonTag;

/// What [`super::Store::insert_item`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// The item is new and queued.
    New(ItemId),
    /// The store had this event id and review round already (a redelivery): nothing changed.
    Duplicate(ItemId),
}

impl Inserted {
    /// The item's id, new or not.
    pub fn item_id(self) -> ItemId {
        match self {
            Inserted::New(id) | Inserted::Duplicate(id) => id,
        }
    }
}

/// Where an item is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    /// In the queue, claimable by any moderator.
    Queued,
    /// A moderator holds an unexpired lease on it.
    Claimed,
    /// Sent to the leads; claimable by a lead only.
    Escalated,
    /// It has its verdict.
    Decided,
}

impl ItemState {
    pub(super) fn parse(s: &str) -> Result<ItemState, StoreError> {
        Ok(match s {
            "queued" => ItemState::Queued,
            "claimed" => ItemState::Claimed,
            "escalated" => ItemState::Escalated,
            "decided" => ItemState::Decided,
            other => return Err(StoreError::Corrupt(format!("item state {other:?}"))),
        })
    }
}

/// A console user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Works the queue.
    Moderator,
    /// Also sees everyone's work, reassigns, and decides escalated items.
    Lead,
}

impl Role {
    /// `moderator` or `lead`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Moderator => "moderator",
            Role::Lead => "lead",
        }
    }

    pub(super) fn parse(s: &str) -> Result<Role, StoreError> {
        match s {
            "moderator" => Ok(Role::Moderator),
            "lead" => Ok(Role::Lead),
            other => Err(StoreError::Corrupt(format!("role {other:?}"))),
        }
    }
}

/// A moderator's verdict on a held item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Publish (to the approved topic).
    Approve,
    /// Do not publish (to the rejected topic).
    Reject,
}

impl Verdict {
    /// `approve` or `reject`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::Reject => "reject",
        }
    }

    pub(super) fn parse(s: &str) -> Result<Verdict, StoreError> {
        match s {
            "approve" => Ok(Verdict::Approve),
            "reject" => Ok(Verdict::Reject),
            other => Err(StoreError::Corrupt(format!("verdict {other:?}"))),
        }
    }
}

/// A verdict as given, for [`super::Store::decide`].
#[derive(Debug, Clone, Copy)]
pub struct VerdictInput<'a> {
    /// Approve or reject.
    pub verdict: Verdict,
    /// The moderator's reason code: 1 to [`super::MAX_REASON_CODE_CHARS`] of `[a-z0-9_]`.
    pub reason_code: &'a str,
    /// An optional note, at most [`super::MAX_NOTE_CHARS`] characters.
    pub note: Option<&'a str>,
}

/// A claim's lease: only its holder, with its token, may renew, skip, escalate or decide, and
/// only until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The item.
    pub item_id: ItemId,
    /// The moderator holding it.
    pub holder: String,
    /// The secret that proves the lease (128 random bits, hex).
    pub token: String,
    /// When it runs out.
    pub expires_at: OffsetDateTime,
}

/// What the queue lists.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// Only items with a reason of this stage kind.
    pub stage: Option<String>,
    /// Only items with a reason of this code.
    pub reason_code: Option<String>,
    /// Only items with a reason of this (lexicon) category.
    pub category: Option<String>,
    /// The leads' queue (escalated items) instead of the moderators' one.
    pub escalated: bool,
    /// Leave out items someone holds an unexpired lease on.
    pub available_only: bool,
    /// Leave out the review rounds of open appeals of rejects this moderator gave (they may not
    /// decide them): what `/next` offers that moderator.
    pub not_appealed_from: Option<String>,
}

/// A line of the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemSummary {
    /// The item.
    pub item_id: ItemId,
    /// Its event id.
    pub event_id: String,
    /// Its review round.
    pub round: i64,
    /// The author.
    pub user_id: String,
    /// The severity of its reasons ([`crate::console::item::severity`]).
    pub severity: i64,
    /// When the worker held it.
    pub held_at: OffsetDateTime,
    /// The state at the time asked about: an expired lease shows as queued (or escalated).
    pub state: ItemState,
    /// The unexpired lease's holder and expiry, if any.
    pub lease: Option<(String, OffsetDateTime)>,
    /// The reasons, in record order.
    pub reasons: Vec<ReasonTag>,
}

/// An escalation to the leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    /// When.
    pub at: OffsetDateTime,
    /// By whom.
    pub by: String,
    /// The moderator's note.
    pub note: Option<String>,
}

/// A verdict as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecidedVerdict {
    /// Its id (the outbox key).
    pub verdict_id: VerdictId,
    /// Approve or reject.
    pub verdict: Verdict,
    /// The deciding moderator.
    pub moderator: String,
    /// The moderator's reason code.
    pub reason_code: String,
    /// The note.
    pub note: Option<String>,
    /// When it was given.
    pub decided_at: OffsetDateTime,
}

/// One item with everything the item view shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The queue line.
    pub summary: ItemSummary,
    /// The decision record as received (JSON text).
    pub record: String,
    /// When it was last claimed, and by whom (kept after the verdict, for SLA audits).
    pub claimed: Option<(String, OffsetDateTime)>,
    /// Its escalation, if any.
    pub escalation: Option<Escalation>,
    /// Its verdict, once decided.
    pub verdict: Option<DecidedVerdict>,
}

/// An earlier item of a user, with its verdict if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The item.
    pub item_id: ItemId,
    /// Its event id.
    pub event_id: String,
    /// Its review round.
    pub round: i64,
    /// When the worker held it.
    pub held_at: OffsetDateTime,
    /// Its verdict; `None` while it waits.
    pub verdict: Option<DecidedVerdict>,
}

/// A console account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Its id.
    pub account_id: AccountId,
    /// The login name (also the actor name in leases, verdicts and the audit).
    pub name: String,
    /// Moderator or lead.
    pub role: Role,
    /// The argon2 PHC string, once a password is set.
    pub password_hash: Option<String>,
    /// When it was created.
    pub created_at: OffsetDateTime,
}

/// What an audit row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    /// A lease was granted.
    Claim,
    /// A lease was given back.
    Skip,
    /// An item went to the leads.
    Escalate,
    /// A verdict was given.
    Verdict,
    /// A successful login.
    Login,
    /// A refused login.
    LoginFailed,
}

impl AuditAction {
    /// The stored name: `claim`, `skip`, `escalate`, `verdict`, `login`, `login_failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Claim => "claim",
            AuditAction::Skip => "skip",
            AuditAction::Escalate => "escalate",
            AuditAction::Verdict => "verdict",
            AuditAction::Login => "login",
            AuditAction::LoginFailed => "login_failed",
        }
    }

    pub(super) fn parse(s: &str) -> Result<AuditAction, StoreError> {
        Ok(match s {
            "claim" => AuditAction::Claim,
            "skip" => AuditAction::Skip,
            "escalate" => AuditAction::Escalate,
            "verdict" => AuditAction::Verdict,
            "login" => AuditAction::Login,
            "login_failed" => AuditAction::LoginFailed,
            other => return Err(StoreError::Corrupt(format!("audit action {other:?}"))),
        })
    }
}

/// One audit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its id (in the order written).
    pub audit_id: i64,
    /// When it happened.
    pub occurred_at: OffsetDateTime,
    /// Who did it.
    pub actor: String,
    /// What was done.
    pub action: AuditAction,
    /// The item, for claim, skip, escalate and verdict.
    pub item_id: Option<ItemId>,
    /// The verdict, for a verdict.
    pub verdict_id: Option<VerdictId>,
    /// Details (the verdict and reason code, the note, an expired lease taken over).
    pub detail: Option<String>,
}

/// A verdict waiting for the relay (or relayed), with what the relay produces from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The verdict (and the outbox row's key).
    pub verdict: DecidedVerdict,
    /// The item.
    pub item_id: ItemId,
    /// Its event id (the output records' key).
    pub event_id: String,
    /// Its review round.
    pub round: i64,
    /// The held decision record, to be produced again with `reviewed_by`.
    pub record: String,
}

/// What the console's gauges show ([`super::Store::queue_stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueStats {
    /// Items in the moderators' queue (including those whose lease expired).
    pub queued: u64,
    /// Items in the leads' queue (escalated, unclaimed or with an expired lease).
    pub escalated: u64,
    /// Items under an unexpired lease.
    pub claimed: u64,
    /// When the oldest undecided item was held; `None` when none waits.
    pub oldest_held_at: Option<OffsetDateTime>,
    /// Verdicts the relay has still to produce.
    pub outbox_pending: u64,
}
