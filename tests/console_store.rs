//! The console's store (`src/console/store/`) on both backends: every test function below runs
//! once on SQLite (a file in a temp dir) and once on PostgreSQL (a database of its own, created in
//! the server `SYNTH_REVIEW_TEST_POSTGRES` names and dropped afterwards; `scripts/test.sh` starts
//! one). Without that variable the PostgreSQL variants fail under CI (`CI=true`) and are skipped
//! with a notice elsewhere.
//!
//! Time is passed explicitly (`now`), so lease expiry is tested without waiting; the races run
//! real concurrent tasks on the store's pool.

#[path = "common/store.rs"]
pub mod store;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use synth_review::console::{
    AuditAction, HeldItem, Inserted, ItemState, QueueFilter, Role, Store, StoreError, Verdict,
    VerdictInput,
};
use time::OffsetDateTime;
use tokio::sync::Barrier;

use store::TestDb;

const LEASE: Duration = Duration::from_secs(300);

/// 2026-12-03T10:00:00Z, the tests' clock origin.
fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_796_292_000).unwrap()
}

fn at(secs: i64) -> OffsetDateTime {
    t0() + time::Duration::seconds(secs)
}

// ------------------------------------------------------------------ records --

/// A reason of a held record: (stage, code, category).
type R<'a> = (&'a str, &'a str, Option<&'a str>);

/// `prohibited_term` in category gambling (holds by default: severity 1).
const GAMBLING: R = ("prohibited", "prohibited_term", Some("gambling"));
/// `label_missing` (holds by default: severity 1).
const LABEL: R = ("labels", "label_missing", None);
/// `known_false_news` (rejects by default, lowered to hold by the pipeline: severity 2).
const RUMOUR: R = ("news_source", "known_false_news", None);

/// A held decision record as the worker writes it, reviewed `held_secs` after t0.
fn record(event_id: &str, user: &str, held_secs: i64, reasons: &[R<'_>]) -> String {
    let reviewed_at = at(held_secs)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let reasons: Vec<serde_json::Value> = reasons
        .iter()
        .map(|(stage, code, category)| {
            let mut r = serde_json::json!({
                "stage": stage, "code": code, "action": "hold", "article": "Art. 10",
            });
            if let Some(c) = category {
                r["category"] = serde_json::json!(c);
            }
            r
        })
        .collect();
    serde_json::json!({
        "event_id": event_id,
        "decision": "hold",
        "reasons": reasons,
        "actions": [{"kind": "add_label", "text": "AI生成"}],
        "pipeline": "default",
        "pipeline_version": "1",
        "lexicon_version": "test",
        "reviewed_at": reviewed_at,
        "event": {"event_id": event_id, "user": {"id": user, "identity_verified": true},
                  "content": {"text": "<script>alert(1)</script>"}},
    })
    .to_string()
}

fn held(event_id: &str, user: &str, held_secs: i64, reasons: &[R<'_>]) -> HeldItem {
    HeldItem::from_record(record(event_id, user, held_secs, reasons).as_bytes(), 0).unwrap()
}

/// Inserts a new item and returns its id.
async fn insert(
    store: &Store,
    event_id: &str,
    user: &str,
    held_secs: i64,
    reasons: &[R<'_>],
) -> i64 {
    match store
        .insert_item(&held(event_id, user, held_secs, reasons), at(held_secs + 1))
        .await
        .unwrap()
    {
        Inserted::New(id) => id,
        other => panic!("{event_id}: expected a new item, got {other:?}"),
    }
}

fn approve(code: &str) -> VerdictInput<'_> {
    VerdictInput {
        verdict: Verdict::Approve,
        reason_code: code,
        note: None,
    }
}

fn reject<'a>(code: &'a str, note: &'a str) -> VerdictInput<'a> {
    VerdictInput {
        verdict: Verdict::Reject,
        reason_code: code,
        note: Some(note),
    }
}

fn events(queue: &[synth_review::console::ItemSummary]) -> Vec<&str> {
    queue.iter().map(|i| i.event_id.as_str()).collect()
}

fn all() -> QueueFilter {
    QueueFilter::default()
}

// ------------------------------------------------------------------ the tests --

/// A redelivered record is stored once per (event id, round); a later round is a new item.
async fn insert_is_idempotent(db: &TestDb) {
    let store = &db.store;
    let item = held("e1", "u1", 0, &[GAMBLING]);
    let id = match store.insert_item(&item, at(1)).await.unwrap() {
        Inserted::New(id) => id,
        other => panic!("first insert: {other:?}"),
    };
    for n in 0..3 {
        assert_eq!(
            store.insert_item(&item, at(2 + n)).await.unwrap(),
            Inserted::Duplicate(id)
        );
    }
    // A duplicate with other content changes nothing either.
    let changed = held("e1", "u1", 50, &[LABEL, RUMOUR]);
    assert_eq!(
        store.insert_item(&changed, at(60)).await.unwrap(),
        Inserted::Duplicate(id)
    );
    let queue = store.queue(&all(), 100, at(61)).await.unwrap();
    assert_eq!(events(&queue), ["e1"]);
    assert_eq!(queue[0].reasons.len(), 1);
    assert_eq!(queue[0].held_at, at(0));
    let stored = store.item(id, at(61)).await.unwrap().unwrap();
    assert_eq!(stored.record, item.record);
    // Round 1 (a complaint reopening it) is an item of its own.
    let round1 = HeldItem::from_record(item.record.as_bytes(), 1).unwrap();
    let Inserted::New(id1) = store.insert_item(&round1, at(70)).await.unwrap() else {
        panic!("round 1 should be new");
    };
    assert_ne!(id1, id);
    assert_eq!(store.queue(&all(), 100, at(71)).await.unwrap().len(), 2);
}

/// Severity first, then more reasons, then the oldest hold; filters by stage, code, category.
async fn queue_order_and_filters(db: &TestDb) {
    let store = &db.store;
    insert(store, "late-severe", "u1", 30, &[RUMOUR]).await;
    insert(store, "two-reasons", "u2", 20, &[LABEL, GAMBLING]).await;
    insert(store, "newer", "u3", 10, &[GAMBLING]).await;
    insert(store, "older", "u4", 5, &[LABEL]).await;
    let now = at(100);
    let q = store.queue(&all(), 100, now).await.unwrap();
    assert_eq!(events(&q), ["late-severe", "two-reasons", "older", "newer"]);
    assert_eq!(q[0].severity, 2);
    assert!(q
        .iter()
        .all(|i| i.state == ItemState::Queued && i.lease.is_none()));
    assert_eq!(q[1].reasons[1].category.as_deref(), Some("gambling"));
    assert_eq!(
        events(&store.queue(&all(), 2, now).await.unwrap()),
        ["late-severe", "two-reasons"]
    );

    let by = |stage: Option<&str>, code: Option<&str>, category: Option<&str>| QueueFilter {
        stage: stage.map(str::to_owned),
        reason_code: code.map(str::to_owned),
        category: category.map(str::to_owned),
        ..QueueFilter::default()
    };
    let q = store
        .queue(&by(Some("prohibited"), None, None), 100, now)
        .await
        .unwrap();
    assert_eq!(events(&q), ["two-reasons", "newer"]);
    let q = store
        .queue(&by(None, Some("label_missing"), None), 100, now)
        .await
        .unwrap();
    assert_eq!(events(&q), ["two-reasons", "older"]);
    let q = store
        .queue(&by(None, None, Some("gambling")), 100, now)
        .await
        .unwrap();
    assert_eq!(events(&q), ["two-reasons", "newer"]);
    let q = store
        .queue(&by(Some("labels"), None, Some("gambling")), 100, now)
        .await
        .unwrap();
    assert_eq!(events(&q), ["two-reasons"]);
    let q = store
        .queue(&by(None, Some("no_such_code"), None), 100, now)
        .await
        .unwrap();
    assert!(q.is_empty());

    // A claimed item stays listed with its lease, unless only available ones are asked for.
    let id = q_id(store, "two-reasons").await;
    store
        .claim(id, "mia", Role::Moderator, LEASE, now)
        .await
        .unwrap();
    let q = store.queue(&all(), 100, now).await.unwrap();
    assert_eq!(q[1].state, ItemState::Claimed);
    assert_eq!(q[1].lease, Some(("mia".to_owned(), now + LEASE)));
    let available = QueueFilter {
        available_only: true,
        ..QueueFilter::default()
    };
    let q = store.queue(&available, 100, now).await.unwrap();
    assert_eq!(events(&q), ["late-severe", "older", "newer"]);
    // Once the lease has run out it is available again.
    let q = store.queue(&available, 100, now + LEASE).await.unwrap();
    assert_eq!(events(&q), ["late-severe", "two-reasons", "older", "newer"]);
}

async fn q_id(store: &Store, event_id: &str) -> i64 {
    store
        .queue(&all(), 1000, at(0))
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.event_id == event_id)
        .unwrap_or_else(|| panic!("{event_id} not in the queue"))
        .item_id
}

/// Many moderators claim one item at the same moment: exactly one wins, the others are told
/// who holds it. Then two submissions of the winner's verdict race: exactly one is accepted.
async fn claim_race_has_one_winner(db: &TestDb) {
    let store = &db.store;
    let id = insert(store, "contested", "u1", 0, &[GAMBLING]).await;
    const N: usize = 16;
    let barrier = Arc::new(Barrier::new(N));
    let mut tasks = Vec::new();
    for n in 0..N {
        let store = store.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let me = format!("mod{n}");
            barrier.wait().await;
            (
                me.clone(),
                store.claim(id, &me, Role::Moderator, LEASE, at(10)).await,
            )
        }));
    }
    let mut winners = Vec::new();
    let mut refusals = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            (me, Ok(lease)) => winners.push((me, lease)),
            (_, Err(StoreError::Claimed { holder, .. })) => refusals.push(holder),
            (me, Err(e)) => panic!("{me}: unexpected error {e}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one claim wins: {winners:?}");
    let (winner, lease) = winners.pop().unwrap();
    assert_eq!(lease.holder, winner);
    assert_eq!(refusals.len(), N - 1);
    assert!(
        refusals.iter().all(|h| *h == winner),
        "refusals name the holder"
    );
    let item = store.item(id, at(11)).await.unwrap().unwrap();
    assert_eq!(item.summary.lease, Some((winner.clone(), lease.expires_at)));
    let claims = store.audit_log(Some(id), None, 100).await.unwrap();
    assert_eq!(claims.len(), 1, "one audited claim: {claims:?}");

    // The same verdict submitted concurrently (a double click, two tabs): one is accepted.
    let accepted = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(8));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, barrier, accepted) = (store.clone(), barrier.clone(), accepted.clone());
        let (token, winner) = (lease.token.clone(), winner.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            match store
                .decide(id, &token, &winner, &approve("fine"), at(20))
                .await
            {
                Ok(_) => {
                    accepted.fetch_add(1, Ordering::SeqCst);
                }
                Err(StoreError::AlreadyDecided(_)) => {}
                Err(e) => panic!("unexpected {e}"),
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    assert_eq!(store.pending_outbox(100).await.unwrap().len(), 1);
}

/// An expired lease returns the item: another moderator claims it, and the first one's token is
/// stale from then on; an expired lease nobody took is refused as expired.
async fn expired_lease_is_reclaimed(db: &TestDb) {
    let store = &db.store;
    let id = insert(store, "slow", "u1", 0, &[GAMBLING]).await;
    let lease = Duration::from_secs(60);
    let first = store
        .claim(id, "ann", Role::Moderator, lease, at(10))
        .await
        .unwrap();
    assert_eq!(first.expires_at, at(70));
    // Still running: refused, naming the holder and the expiry.
    match store.claim(id, "bob", Role::Moderator, lease, at(69)).await {
        Err(StoreError::Claimed {
            holder, expires_at, ..
        }) => {
            assert_eq!((holder.as_str(), expires_at), ("ann", at(70)))
        }
        other => panic!("expected Claimed, got {other:?}"),
    }
    // Renewal while it runs moves the expiry.
    let renewed = store
        .renew(id, &first.token, "ann", lease, at(40))
        .await
        .unwrap();
    assert_eq!(renewed.expires_at, at(100));
    assert!(matches!(
        store.claim(id, "bob", Role::Moderator, lease, at(99)).await,
        Err(StoreError::Claimed { .. })
    ));
    // Expired: back in the queue, then ann's token is merely expired...
    let q = store.queue(&all(), 10, at(100)).await.unwrap();
    assert_eq!((q[0].state, q[0].lease.clone()), (ItemState::Queued, None));
    match store
        .decide(id, &first.token, "ann", &approve("ok"), at(100))
        .await
    {
        Err(StoreError::LeaseExpired { expired_at, .. }) => assert_eq!(expired_at, at(100)),
        other => panic!("expected LeaseExpired, got {other:?}"),
    }
    assert!(matches!(
        store.renew(id, &first.token, "ann", lease, at(101)).await,
        Err(StoreError::LeaseExpired { .. })
    ));
    // ... until bob takes the item over: then it is stale.
    let second = store
        .claim(id, "bob", Role::Moderator, lease, at(120))
        .await
        .unwrap();
    assert_ne!(second.token, first.token);
    for result in [
        store
            .decide(id, &first.token, "ann", &approve("ok"), at(121))
            .await
            .map(drop),
        store
            .renew(id, &first.token, "ann", lease, at(121))
            .await
            .map(drop),
        store.skip(id, &first.token, "ann", at(121)).await,
        store.escalate(id, &first.token, "ann", None, at(121)).await,
    ] {
        assert!(
            matches!(result, Err(StoreError::StaleToken(_))),
            "{result:?}"
        );
    }
    let verdict = store
        .decide(id, &second.token, "bob", &approve("ok"), at(130))
        .await
        .unwrap();
    let item = store.item(id, at(131)).await.unwrap().unwrap();
    assert_eq!(item.summary.state, ItemState::Decided);
    let v = item.verdict.unwrap();
    assert_eq!((v.verdict_id, v.moderator.as_str()), (verdict, "bob"));
    assert_eq!(item.claimed, Some(("bob".to_owned(), at(120))));
    let claims: Vec<_> = store
        .audit_log(Some(id), None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.action == AuditAction::Claim)
        .collect();
    assert_eq!(claims.len(), 2);
    assert!(
        claims[1]
            .detail
            .as_deref()
            .unwrap()
            .contains("took over the lease of ann"),
        "{claims:?}"
    );
}

/// A verdict with someone else's token, or a token that never was, is refused and changes
/// nothing: the item, the outbox and the audit are as before.
async fn foreign_or_stale_token_changes_nothing(db: &TestDb) {
    let store = &db.store;
    let id = insert(store, "guarded", "u1", 0, &[GAMBLING]).await;
    let lease = store
        .claim(id, "ann", Role::Moderator, LEASE, at(10))
        .await
        .unwrap();
    let before = store.item(id, at(20)).await.unwrap();
    let audit_before = store.audit_log(None, None, 1000).await.unwrap();

    let refused = [
        store
            .decide(id, &lease.token, "bob", &approve("ok"), at(20))
            .await,
        store
            .decide(
                id,
                "00000000000000000000000000000000",
                "ann",
                &approve("ok"),
                at(20),
            )
            .await,
        store.decide(id, "", "ann", &approve("ok"), at(20)).await,
    ];
    assert!(
        matches!(refused[0], Err(StoreError::NotLeaseHolder(_))),
        "{:?}",
        refused[0]
    );
    assert!(
        matches!(refused[1], Err(StoreError::StaleToken(_))),
        "{:?}",
        refused[1]
    );
    assert!(
        matches!(refused[2], Err(StoreError::StaleToken(_))),
        "{:?}",
        refused[2]
    );
    assert!(matches!(
        store.skip(id, &lease.token, "bob", at(20)).await,
        Err(StoreError::NotLeaseHolder(_))
    ));
    assert!(matches!(
        store.renew(id, &lease.token, "bob", LEASE, at(20)).await,
        Err(StoreError::NotLeaseHolder(_))
    ));
    // Bad input is refused before anything is written.
    let long = "x".repeat(synth_review::console::store::MAX_NOTE_CHARS + 1);
    for bad in [
        reject("ok", &long),
        reject("", "n"),
        reject("Not A Code", "n"),
        reject("<script>", "n"),
    ] {
        assert!(matches!(
            store.decide(id, &lease.token, "ann", &bad, at(20)).await,
            Err(StoreError::InvalidInput(_))
        ));
    }
    assert!(matches!(
        store
            .escalate(id, &lease.token, "ann", Some(&long), at(20))
            .await,
        Err(StoreError::InvalidInput(_))
    ));
    assert_eq!(store.item(id, at(20)).await.unwrap(), before);
    assert!(store.pending_outbox(100).await.unwrap().is_empty());
    assert_eq!(
        store.audit_log(None, None, 1000).await.unwrap(),
        audit_before
    );

    // A released lease's token is stale.
    store.skip(id, &lease.token, "ann", at(30)).await.unwrap();
    assert_eq!(
        store.item(id, at(31)).await.unwrap().unwrap().summary.state,
        ItemState::Queued
    );
    assert!(matches!(
        store
            .decide(id, &lease.token, "ann", &approve("ok"), at(31))
            .await,
        Err(StoreError::StaleToken(_))
    ));
    assert!(store.pending_outbox(100).await.unwrap().is_empty());
}

/// A decided item refuses everything: another verdict, a claim, the lease operations.
async fn decided_item_refuses(db: &TestDb) {
    let store = &db.store;
    let id = insert(store, "done", "u1", 0, &[GAMBLING]).await;
    let lease = store
        .claim(id, "ann", Role::Moderator, LEASE, at(10))
        .await
        .unwrap();
    store
        .decide(
            id,
            &lease.token,
            "ann",
            &reject("gambling_ad", "a casino"),
            at(20),
        )
        .await
        .unwrap();
    let after = store.item(id, at(21)).await.unwrap();
    for result in [
        store
            .decide(id, &lease.token, "ann", &approve("ok"), at(21))
            .await
            .map(drop),
        store
            .claim(id, "bob", Role::Moderator, LEASE, at(21))
            .await
            .map(drop),
        store
            .claim(id, "lee", Role::Lead, LEASE, at(21))
            .await
            .map(drop),
        store
            .renew(id, &lease.token, "ann", LEASE, at(21))
            .await
            .map(drop),
        store.skip(id, &lease.token, "ann", at(21)).await,
        store.escalate(id, &lease.token, "ann", None, at(21)).await,
    ] {
        assert!(
            matches!(result, Err(StoreError::AlreadyDecided(_))),
            "{result:?}"
        );
    }
    assert_eq!(store.item(id, at(22)).await.unwrap(), after);
    assert_eq!(store.pending_outbox(100).await.unwrap().len(), 1);
    assert!(store.queue(&all(), 100, at(22)).await.unwrap().is_empty());
}

/// An id that names no item is refused as unknown by every operation.
async fn unknown_item_is_refused(db: &TestDb) {
    let store = &db.store;
    insert(store, "some", "u1", 0, &[GAMBLING]).await;
    let id = 987_654;
    assert_eq!(store.item(id, at(1)).await.unwrap(), None);
    for result in [
        store
            .claim(id, "ann", Role::Moderator, LEASE, at(1))
            .await
            .map(drop),
        store.renew(id, "t", "ann", LEASE, at(1)).await.map(drop),
        store.skip(id, "t", "ann", at(1)).await,
        store.escalate(id, "t", "ann", None, at(1)).await,
        store
            .decide(id, "t", "ann", &approve("ok"), at(1))
            .await
            .map(drop),
    ] {
        assert!(
            matches!(result, Err(StoreError::UnknownItem(987_654))),
            "{result:?}"
        );
    }
    assert!(matches!(
        store
            .claim(id, "ann", Role::Moderator, Duration::ZERO, at(1))
            .await,
        Err(StoreError::InvalidInput(_))
    ));
    assert!(store.audit_log(None, None, 100).await.unwrap().is_empty());
}

/// The verdict, its outbox row and its audit row are written together: every decided item has
/// exactly one of each, refused verdicts have none; the relay's view: pending, then relayed.
async fn outbox_row_comes_with_the_verdict(db: &TestDb) {
    let store = &db.store;
    let mut ids = Vec::new();
    for n in 0..6 {
        ids.push(insert(store, &format!("o{n}"), "u1", n, &[GAMBLING]).await);
    }
    // Two moderators race for every item and decide what they win; some verdicts come late.
    let mut tasks = Vec::new();
    for who in ["ann", "bob"] {
        let (store, ids) = (store.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            let mut given = Vec::new();
            for (n, &id) in ids.iter().enumerate() {
                let Ok(lease) = store.claim(id, who, Role::Moderator, LEASE, at(100)).await else {
                    continue;
                };
                // Item o5's verdict comes after its lease ran out: refused.
                let now = if n == 5 { at(100) + LEASE } else { at(200) };
                let verdict = if n % 2 == 0 {
                    approve("fine")
                } else {
                    reject("spam", "n")
                };
                if let Ok(v) = store.decide(id, &lease.token, who, &verdict, now).await {
                    given.push((id, v, who));
                }
            }
            given
        }));
    }
    let mut given = Vec::new();
    for t in tasks {
        given.extend(t.await.unwrap());
    }
    given.sort();
    assert_eq!(given.len(), 5, "{given:?}");
    let pending = store.pending_outbox(100).await.unwrap();
    let mut outbox: Vec<_> = pending
        .iter()
        .map(|e| {
            (
                e.item_id,
                e.verdict.verdict_id,
                e.verdict.moderator.as_str(),
            )
        })
        .collect();
    outbox.sort();
    assert_eq!(outbox, given);
    assert!(pending
        .windows(2)
        .all(|w| w[0].verdict.verdict_id < w[1].verdict.verdict_id));
    // The two moderators' verdicts interleave: o0's is not necessarily the first.
    let first = pending.iter().find(|e| e.event_id == "o0").unwrap();
    assert_eq!(first.round, 0);
    assert_eq!(
        (first.verdict.verdict, first.verdict.reason_code.as_str()),
        (Verdict::Approve, "fine")
    );
    assert_eq!(first.verdict.decided_at, at(200));
    assert_eq!(first.record, record("o0", "u1", 0, &[GAMBLING]));
    let verdict_audits: Vec<_> = store
        .audit_log(None, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.action == AuditAction::Verdict)
        .map(|a| (a.item_id.unwrap(), a.verdict_id.unwrap(), a.actor))
        .collect();
    assert_eq!(verdict_audits.len(), 5);
    for (item, verdict, who) in &given {
        assert!(verdict_audits.contains(&(*item, *verdict, who.to_string())));
    }
    // o5: refused as expired, nothing written for it.
    let o5 = store.item(ids[5], at(1000)).await.unwrap().unwrap();
    assert_eq!((o5.summary.state, o5.verdict), (ItemState::Queued, None));

    // The relay marks what it produced; marking twice is harmless; the rest stays pending.
    assert!(store
        .mark_relayed(first.verdict.verdict_id, at(300))
        .await
        .unwrap());
    assert!(!store
        .mark_relayed(first.verdict.verdict_id, at(301))
        .await
        .unwrap());
    assert!(matches!(
        store.mark_relayed(123_456, at(301)).await,
        Err(StoreError::InvalidInput(_))
    ));
    let rest = store.pending_outbox(100).await.unwrap();
    assert_eq!(rest.len(), 4);
    assert!(rest
        .iter()
        .all(|e| e.verdict.verdict_id != first.verdict.verdict_id));
    assert_eq!(store.pending_outbox(2).await.unwrap(), rest[..2]);
}

/// Claims, skips, escalations, verdicts and logins are audited with time and actor; an escalated
/// item goes to the leads' queue, which only a lead can claim from.
async fn audit_and_escalation(db: &TestDb) {
    let store = &db.store;
    let id = insert(store, "hard", "u1", 0, &[RUMOUR]).await;
    let other = insert(store, "easy", "u2", 0, &[LABEL]).await;
    store.record_login("ann", true, at(1)).await.unwrap();
    store.record_login("mallory", false, at(2)).await.unwrap();
    let l = store
        .claim(id, "ann", Role::Moderator, LEASE, at(10))
        .await
        .unwrap();
    store.skip(id, &l.token, "ann", at(11)).await.unwrap();
    let l = store
        .claim(id, "ann", Role::Moderator, LEASE, at(12))
        .await
        .unwrap();
    store
        .escalate(id, &l.token, "ann", Some("is this the rumour?"), at(13))
        .await
        .unwrap();

    let leads = QueueFilter {
        escalated: true,
        ..QueueFilter::default()
    };
    assert_eq!(
        events(&store.queue(&all(), 10, at(14)).await.unwrap()),
        ["easy"]
    );
    let q = store.queue(&leads, 10, at(14)).await.unwrap();
    assert_eq!(
        (events(&q), q[0].state),
        (vec!["hard"], ItemState::Escalated)
    );
    assert!(matches!(
        store.claim(id, "bob", Role::Moderator, LEASE, at(15)).await,
        Err(StoreError::Escalated(_))
    ));
    let l = store
        .claim(id, "lee", Role::Lead, LEASE, at(16))
        .await
        .unwrap();
    // The lead's lease runs out: back to the leads, not to the moderators.
    assert!(matches!(
        store
            .claim(id, "bob", Role::Moderator, LEASE, at(16) + LEASE)
            .await,
        Err(StoreError::Escalated(_))
    ));
    let q = store.queue(&leads, 10, at(16) + LEASE).await.unwrap();
    assert_eq!(q[0].state, ItemState::Escalated);
    store.skip(id, &l.token, "lee", at(17)).await.unwrap();
    let l = store
        .claim(id, "lee", Role::Lead, LEASE, at(18))
        .await
        .unwrap();
    let v = store
        .decide(
            id,
            &l.token,
            "lee",
            &reject("false_news", "known rumour"),
            at(19),
        )
        .await
        .unwrap();
    let item = store.item(id, at(20)).await.unwrap().unwrap();
    let esc = item.escalation.unwrap();
    assert_eq!(
        (esc.at, esc.by.as_str(), esc.note.as_deref()),
        (at(13), "ann", Some("is this the rumour?"))
    );
    assert!(store.queue(&leads, 10, at(20)).await.unwrap().is_empty());

    let log = store.audit_log(Some(id), None, 100).await.unwrap();
    let trail: Vec<_> = log
        .iter()
        .map(|a| (a.occurred_at, a.actor.as_str(), a.action))
        .collect();
    assert_eq!(
        trail,
        [
            (at(10), "ann", AuditAction::Claim),
            (at(11), "ann", AuditAction::Skip),
            (at(12), "ann", AuditAction::Claim),
            (at(13), "ann", AuditAction::Escalate),
            (at(16), "lee", AuditAction::Claim),
            (at(17), "lee", AuditAction::Skip),
            (at(18), "lee", AuditAction::Claim),
            (at(19), "lee", AuditAction::Verdict),
        ]
    );
    assert_eq!(log[3].detail.as_deref(), Some("is this the rumour?"));
    assert_eq!(
        (log[7].verdict_id, log[7].detail.as_deref()),
        (Some(v), Some("reject false_news"))
    );
    assert!(log.windows(2).all(|w| w[0].audit_id < w[1].audit_id));
    let ann: Vec<_> = store
        .audit_log(None, Some("ann"), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.action, a.item_id))
        .collect();
    assert_eq!(
        ann,
        [
            (AuditAction::Login, None),
            (AuditAction::Claim, Some(id)),
            (AuditAction::Skip, Some(id)),
            (AuditAction::Claim, Some(id)),
            (AuditAction::Escalate, Some(id)),
        ]
    );
    let failed = store.audit_log(None, Some("mallory"), 100).await.unwrap();
    assert_eq!(
        (failed.len(), failed[0].action, failed[0].occurred_at),
        (1, AuditAction::LoginFailed, at(2))
    );
    assert!(store
        .audit_log(Some(other), None, 100)
        .await
        .unwrap()
        .is_empty());
}

/// A user's earlier items, newest first, with their verdicts.
async fn history_per_user(db: &TestDb) {
    let store = &db.store;
    let a = insert(store, "h1", "alice", 0, &[GAMBLING]).await;
    let b = insert(store, "h2", "alice", 10, &[LABEL]).await;
    insert(store, "h3", "bert", 5, &[LABEL]).await;
    let l = store
        .claim(a, "ann", Role::Moderator, LEASE, at(20))
        .await
        .unwrap();
    let v = store
        .decide(a, &l.token, "ann", &reject("gambling_ad", "casino"), at(21))
        .await
        .unwrap();
    let h = store.history("alice", 10).await.unwrap();
    assert_eq!(h.iter().map(|e| e.item_id).collect::<Vec<_>>(), [b, a]);
    assert_eq!(h[0].verdict, None);
    let verdict = h[1].verdict.as_ref().unwrap();
    assert_eq!(
        (
            verdict.verdict_id,
            verdict.verdict,
            verdict.moderator.as_str(),
            verdict.reason_code.as_str(),
            verdict.note.as_deref(),
            verdict.decided_at
        ),
        (
            v,
            Verdict::Reject,
            "ann",
            "gambling_ad",
            Some("casino"),
            at(21)
        )
    );
    assert_eq!(h[1].held_at, at(0));
    assert_eq!(store.history("alice", 1).await.unwrap().len(), 1);
    assert!(store.history("nobody", 10).await.unwrap().is_empty());
}

/// Accounts: roles, unique names, the hash column; bad names refused.
async fn accounts(db: &TestDb) {
    let store = &db.store;
    let id = store
        .add_account("ann", Role::Moderator, None, at(0))
        .await
        .unwrap();
    store
        .add_account(
            "lee",
            Role::Lead,
            Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"),
            at(1),
        )
        .await
        .unwrap();
    assert!(matches!(
        store.add_account("ann", Role::Lead, None, at(2)).await,
        Err(StoreError::DuplicateAccount(_))
    ));
    let long = "x".repeat(65);
    for bad in ["", "a b", "tab\t", long.as_str()] {
        assert!(matches!(
            store.add_account(bad, Role::Moderator, None, at(2)).await,
            Err(StoreError::InvalidInput(_))
        ));
    }
    let ann = store.account("ann").await.unwrap().unwrap();
    assert_eq!(
        (ann.account_id, ann.role, ann.password_hash, ann.created_at),
        (id, Role::Moderator, None, at(0))
    );
    let lee = store.account("lee").await.unwrap().unwrap();
    assert_eq!(lee.role, Role::Lead);
    assert!(lee.password_hash.unwrap().starts_with("$argon2id$"));
    assert_eq!(store.account("nobody").await.unwrap(), None);

    // Names are compared ignoring ASCII case: `ANN` is ann's, and taken.
    assert_eq!(
        store.account("ANN").await.unwrap().map(|a| a.account_id),
        Some(id)
    );
    for taken in ["Ann", "ANN", "LEE"] {
        match store.add_account(taken, Role::Lead, None, at(3)).await {
            Err(e @ StoreError::DuplicateAccount(_)) => {
                assert!(e.to_string().contains("ignoring ASCII case"), "{e}");
                let existing = taken.to_ascii_lowercase();
                assert!(e.to_string().contains(&format!("{existing:?}")), "{e}");
            }
            other => panic!("{taken}: {other:?}"),
        }
    }
    // Only ASCII: other scripts' cases are other names, alike on both backends.
    store
        .add_account("émile", Role::Moderator, None, at(3))
        .await
        .unwrap();
    store
        .add_account("Émile", Role::Moderator, None, at(3))
        .await
        .unwrap();
    assert_eq!(store.account("ÉMILE").await.unwrap().unwrap().name, "Émile");
    assert_eq!(store.account("éMILE").await.unwrap().unwrap().name, "émile");
    // Two additions of one name in two cases at once: one account.
    let (a, b) = tokio::join!(
        store.add_account("Zoe", Role::Moderator, None, at(4)),
        store.add_account("zoe", Role::Moderator, None, at(4))
    );
    assert!(
        a.is_ok() != b.is_ok(),
        "exactly one of two concurrent additions wins: {a:?} {b:?}"
    );
    assert!(matches!(
        a.err().or(b.err()),
        Some(StoreError::DuplicateAccount(_))
    ));
}

/// Sessions: created with a secret id and CSRF token, found by the id (the store keeps only its
/// SHA-256), gone after expiry or deletion; expired ones are purged by the next creation.
async fn sessions(db: &TestDb) {
    let store = &db.store;
    let ann = store
        .add_account("ann", Role::Moderator, None, at(0))
        .await
        .unwrap();
    let lee = store
        .add_account("lee", Role::Lead, None, at(0))
        .await
        .unwrap();
    let ttl = Duration::from_secs(3600);
    let s1 = store.create_session(ann, ttl, at(10)).await.unwrap();
    let s2 = store.create_session(lee, ttl, at(20)).await.unwrap();
    assert_eq!(s1.id.len(), 64);
    assert_ne!(s1.id, s2.id);
    assert_ne!(s1.csrf_token, s2.csrf_token);
    assert_eq!(s1.expires_at, at(3610));

    let found = store.session(&s1.id, at(11)).await.unwrap().unwrap();
    assert_eq!(
        (found.account_id, found.name.as_str(), found.role),
        (ann, "ann", Role::Moderator)
    );
    assert_eq!(found.csrf_token, s1.csrf_token);
    assert_eq!(
        store.session(&s2.id, at(21)).await.unwrap().unwrap().role,
        Role::Lead
    );
    // Not the hash, not a made-up id, not after expiry.
    assert_eq!(
        store
            .session(&synth_review::console::store::session_hash(&s1.id), at(11))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .session("0".repeat(64).as_str(), at(11))
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.session(&s1.id, at(3610)).await.unwrap(), None);
    assert!(store.session(&s1.id, at(3609)).await.unwrap().is_some());

    // Logout.
    assert!(store.delete_session(&s2.id).await.unwrap());
    assert!(!store.delete_session(&s2.id).await.unwrap());
    assert_eq!(store.session(&s2.id, at(21)).await.unwrap(), None);

    // A lifetime of zero or over the maximum is refused.
    for bad in [Duration::ZERO, Duration::from_secs(8 * 24 * 3600)] {
        assert!(matches!(
            store.create_session(ann, bad, at(30)).await,
            Err(StoreError::InvalidInput(_))
        ));
    }
    // The expired session is purged when the next one is created.
    let s3 = store.create_session(ann, ttl, at(4000)).await.unwrap();
    assert!(store.session(&s3.id, at(4001)).await.unwrap().is_some());
    assert_eq!(store.session(&s1.id, at(0)).await.unwrap(), None, "purged");
}

/// The login rate limit's count: failed logins for a name in the window and after its last
/// successful login.
async fn failed_logins_are_counted(db: &TestDb) {
    let store = &db.store;
    for s in 0..3 {
        store.record_login("ann", false, at(s)).await.unwrap();
    }
    store.record_login("bob", false, at(1)).await.unwrap();
    assert_eq!(store.failed_logins_since("ann", at(0)).await.unwrap(), 3);
    assert_eq!(store.failed_logins_since("ann", at(1)).await.unwrap(), 2);
    assert_eq!(store.failed_logins_since("bob", at(0)).await.unwrap(), 1);
    assert_eq!(store.failed_logins_since("nobody", at(0)).await.unwrap(), 0);
    // A successful login starts the count again.
    store.record_login("ann", true, at(5)).await.unwrap();
    assert_eq!(store.failed_logins_since("ann", at(0)).await.unwrap(), 0);
    store.record_login("ann", false, at(6)).await.unwrap();
    assert_eq!(store.failed_logins_since("ann", at(0)).await.unwrap(), 1);
}

/// A lead releases a moderator's claim: the item is claimable again, the old token stale, the
/// release audited; nothing to release is refused and changes nothing.
async fn lead_releases_a_claim(db: &TestDb) {
    let store = &db.store;
    let id = insert(store, "r1", "u1", 0, &[GAMBLING]).await;
    let lease = store
        .claim(id, "ann", Role::Moderator, LEASE, at(10))
        .await
        .unwrap();
    assert_eq!(store.release_claim(id, "lee", at(20)).await.unwrap(), "ann");
    let item = store.item(id, at(21)).await.unwrap().unwrap();
    assert_eq!(item.summary.state, ItemState::Queued);
    assert_eq!(item.summary.lease, None);
    assert!(matches!(
        store
            .decide(id, &lease.token, "ann", &approve("ok"), at(22))
            .await,
        Err(StoreError::StaleToken(_))
    ));
    let log = store.audit_log(Some(id), None, 10).await.unwrap();
    let last = log.last().unwrap();
    assert_eq!(
        (last.actor.as_str(), last.action),
        ("lee", AuditAction::Skip)
    );
    assert!(last.detail.as_deref().unwrap().contains("ann"));
    // Nothing to release: queued, expired, decided, unknown.
    assert!(matches!(
        store.release_claim(id, "lee", at(23)).await,
        Err(StoreError::NotClaimed(_))
    ));
    store
        .claim(id, "bob", Role::Moderator, LEASE, at(30))
        .await
        .unwrap();
    assert!(matches!(
        store.release_claim(id, "lee", at(30 + 301)).await,
        Err(StoreError::NotClaimed(_))
    ));
    let lease = store
        .claim(id, "bob", Role::Moderator, LEASE, at(400))
        .await
        .unwrap();
    store
        .decide(id, &lease.token, "bob", &approve("ok"), at(401))
        .await
        .unwrap();
    assert!(matches!(
        store.release_claim(id, "lee", at(402)).await,
        Err(StoreError::AlreadyDecided(_))
    ));
    assert!(matches!(
        store.release_claim(9999, "lee", at(402)).await,
        Err(StoreError::UnknownItem(9999))
    ));
    let audits = store.audit_log(Some(id), None, 100).await.unwrap().len();
    assert_eq!(audits, log.len() + 3, "two claims and a verdict since");
}

/// Decisions per moderator with claim → verdict and held → verdict times.
async fn moderator_stats(db: &TestDb) {
    let store = &db.store;
    let a = insert(store, "s1", "u1", 0, &[GAMBLING]).await;
    let b = insert(store, "s2", "u1", 10, &[GAMBLING]).await;
    let c = insert(store, "s3", "u2", 20, &[LABEL]).await;
    for (id, who, claim_at, decide_at, reject) in [
        (a, "ann", 100, 130, false),
        (b, "ann", 200, 250, true),
        (c, "bob", 300, 310, false),
    ] {
        let l = store
            .claim(id, who, Role::Moderator, LEASE, at(claim_at))
            .await
            .unwrap();
        let v = if reject {
            reject_input()
        } else {
            approve("ok")
        };
        store
            .decide(id, &l.token, who, &v, at(decide_at))
            .await
            .unwrap();
    }
    let stats = store.moderator_stats(at(0)).await.unwrap();
    assert_eq!(stats.len(), 2);
    let ann = &stats[0];
    assert_eq!(
        (
            ann.moderator.as_str(),
            ann.decisions,
            ann.approved,
            ann.rejected
        ),
        ("ann", 2, 1, 1)
    );
    assert_eq!(ann.mean_claim_to_verdict_ms, 40_000);
    assert_eq!(ann.max_claim_to_verdict_ms, 50_000);
    // Held at 0 and 10, decided at 130 and 250.
    assert_eq!(ann.mean_held_to_verdict_ms, 185_000);
    assert_eq!(ann.max_held_to_verdict_ms, 240_000);
    let bob = &stats[1];
    assert_eq!((bob.decisions, bob.mean_held_to_verdict_ms), (1, 290_000));
    // Only verdicts since the given time.
    let later = store.moderator_stats(at(260)).await.unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].moderator, "bob");
}

fn reject_input() -> VerdictInput<'static> {
    reject("confirmed_violation", "x")
}

/// A lead assigns an item to a moderator: a claim in the moderator's name (nobody else can take
/// it, the moderator's own claim is granted), audited as the lead's; refused like a claim.
async fn lead_assigns_an_item(db: &TestDb) {
    let store = &db.store;
    let id = insert(store, "a1", "u1", 0, &[GAMBLING]).await;
    let other = insert(store, "a2", "u1", 1, &[GAMBLING]).await;
    let lease = store
        .assign(id, "lee", "ann", Role::Moderator, LEASE, at(10))
        .await
        .unwrap();
    assert_eq!(lease.holder, "ann");
    assert!(matches!(
        store.claim(id, "bob", Role::Moderator, LEASE, at(11)).await,
        Err(StoreError::Claimed { holder, .. }) if holder == "ann"
    ));
    let mine = store
        .claim(id, "ann", Role::Moderator, LEASE, at(12))
        .await
        .unwrap();
    store
        .decide(id, &mine.token, "ann", &approve("ok"), at(13))
        .await
        .unwrap();
    let log = store.audit_log(Some(id), None, 10).await.unwrap();
    assert_eq!(
        (log[0].actor.as_str(), log[0].action),
        ("lee", AuditAction::Claim)
    );
    assert!(log[0]
        .detail
        .as_deref()
        .unwrap()
        .starts_with("assigned to ann"));
    assert_eq!(log[1].actor, "ann");
    // Refusals: decided, someone else's live lease, an escalated item for a moderator.
    assert!(matches!(
        store
            .assign(id, "lee", "bob", Role::Moderator, LEASE, at(14))
            .await,
        Err(StoreError::AlreadyDecided(_))
    ));
    let bob = store
        .claim(other, "bob", Role::Moderator, LEASE, at(20))
        .await
        .unwrap();
    let before = store.audit_log(None, None, 100).await.unwrap().len();
    assert!(matches!(
        store
            .assign(other, "lee", "ann", Role::Moderator, LEASE, at(21))
            .await,
        Err(StoreError::Claimed { .. })
    ));
    store
        .escalate(other, &bob.token, "bob", None, at(22))
        .await
        .unwrap();
    assert!(matches!(
        store
            .assign(other, "lee", "ann", Role::Moderator, LEASE, at(23))
            .await,
        Err(StoreError::Escalated(_))
    ));
    assert_eq!(
        store.audit_log(None, None, 100).await.unwrap().len(),
        before + 1
    );
    // To another lead it can be assigned.
    store
        .assign(other, "lee", "lia", Role::Lead, LEASE, at(24))
        .await
        .unwrap();
}

/// The live leases, soonest to expire first; expired and released ones are not listed.
async fn claims_lists_live_leases(db: &TestDb) {
    let store = &db.store;
    let a = insert(store, "c1", "u1", 0, &[GAMBLING]).await;
    let b = insert(store, "c2", "u1", 1, &[LABEL]).await;
    let c = insert(store, "c3", "u1", 2, &[LABEL]).await;
    insert(store, "c4", "u1", 3, &[LABEL]).await;
    store
        .claim(a, "ann", Role::Moderator, Duration::from_secs(600), at(10))
        .await
        .unwrap();
    store
        .claim(b, "bob", Role::Moderator, Duration::from_secs(60), at(10))
        .await
        .unwrap();
    store
        .claim(c, "cat", Role::Moderator, Duration::from_secs(5), at(10))
        .await
        .unwrap();
    let live = store.claims(at(20)).await.unwrap();
    let shape: Vec<(&str, &str)> = live
        .iter()
        .map(|i| (i.event_id.as_str(), i.lease.as_ref().unwrap().0.as_str()))
        .collect();
    assert_eq!(shape, [("c2", "bob"), ("c1", "ann")]);
    assert_eq!(live[1].reasons.len(), 1);
    store.release_claim(b, "lee", at(21)).await.unwrap();
    assert_eq!(events(&store.claims(at(22)).await.unwrap()), ["c1"]);
}

/// Opening the store again runs no migration twice and keeps the data.
async fn reopen_keeps_data(db: &TestDb) {
    let id = insert(&db.store, "kept", "u1", 0, &[GAMBLING]).await;
    let again = Store::open(&db.url).await.unwrap();
    assert_eq!(
        again
            .item(id, at(1))
            .await
            .unwrap()
            .unwrap()
            .summary
            .event_id,
        "kept"
    );
    again.close().await;
}

/// Writes dropped part-way (as a web request whose client hangs up, or an intake that is
/// aborted, drops them) leave no transaction behind: 300 inserts each cut off after 0 to 4 ms,
/// at every stage of their transaction, then every later write still goes through (on SQLite a
/// transaction left open would hold the write lock, and each later write would fail with
/// "database is locked" after the busy timeout).
async fn dropped_writes_leave_no_transaction(db: &TestDb) {
    let mut finished = 0;
    for k in 0..300u64 {
        let item = held(&format!("cut-{k:03}"), "u1", 0, &[GAMBLING]);
        let cut_after = Duration::from_micros(k * 97 % 4000);
        let write = db.store.insert_item(&item, at(1));
        if tokio::time::timeout(cut_after, write).await.is_ok() {
            finished += 1;
        }
    }
    for k in 0..3 {
        let item = held(&format!("after-{k}"), "u1", 0, &[GAMBLING]);
        let inserted =
            tokio::time::timeout(Duration::from_secs(60), db.store.insert_item(&item, at(2)))
                .await
                .expect("a write after the dropped ones ends")
                .expect("a write after the dropped ones is not refused");
        assert!(matches!(inserted, Inserted::New(_)), "{inserted:?}");
    }
    let stored = db.store.queue(&all(), 1000, at(3)).await.unwrap().len();
    // Each dropped insert either committed or left nothing.
    assert!(
        (finished + 3..=303).contains(&stored),
        "{finished} finished, {stored} stored"
    );
}

#[tokio::test]
async fn sqlite_store_is_in_wal_mode() {
    let db = TestDb::sqlite().await;
    assert_eq!(
        db.store.sqlite_journal_mode().await.unwrap().as_deref(),
        Some("wal")
    );
    db.finish().await;
}

#[tokio::test]
async fn unsupported_url_is_refused() {
    assert!(matches!(
        Store::open("mysql://localhost/db").await,
        Err(StoreError::Url(_))
    ));
}

// ------------------------------------------------------------------ harness --

crate::backend_tests! {
    4;
    insert_is_idempotent,
    queue_order_and_filters,
    claim_race_has_one_winner,
    expired_lease_is_reclaimed,
    foreign_or_stale_token_changes_nothing,
    decided_item_refuses,
    unknown_item_is_refused,
    outbox_row_comes_with_the_verdict,
    audit_and_escalation,
    history_per_user,
    accounts,
    reopen_keeps_data,
    sessions,
    failed_logins_are_counted,
    lead_releases_a_claim,
    moderator_stats,
    lead_assigns_an_item,
    claims_lists_live_leases,
    dropped_writes_leave_no_transaction,
}
