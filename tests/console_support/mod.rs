//! What tests/console_web.rs and tests/console_browser.rs share: a store of the test's own on
//! SQLite or PostgreSQL ([`TestDb`], as in tests/console_store.rs), the console's web
//! application served on a free loopback port ([`App`]), accounts and held records.
//!
//! Declared `pub mod console_support;` by each test crate, so helpers one of them leaves unused
//! are not dead code.

use std::sync::{Arc, OnceLock};

use synth_review::console::web::{router, Clock, WebSettings, WebState};
use synth_review::console::{ConsoleMetrics, HeldItem, Inserted, ItemId, Role, Store};
use time::OffsetDateTime;

/// The password of every test account.
pub const PASSWORD: &str = "correct horse battery staple";

/// The argon2 hash of [`PASSWORD`], computed once per test binary.
pub fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| synth_review::console::auth::hash_password(PASSWORD).unwrap())
}

/// The store harness every console test shares (tests/common/store.rs), and its macro
/// `backend_tests!`.
#[path = "../common/store.rs"]
pub mod store;
pub use store::TestDb;

/// The console's web application on a free loopback port, over a [`TestDb`]'s store.
pub struct App {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The store (shared with the application).
    pub store: Store,
    /// The application's clock: move it to expire leases and sessions.
    pub clock: Clock,
    /// The application's metrics.
    pub metrics: Arc<ConsoleMetrics>,
    /// The settings it runs with.
    pub settings: WebSettings,
    server: tokio::task::JoinHandle<()>,
}

impl App {
    /// Serves `router` over `store` with `settings` (its clock is the app's [`App::clock`]).
    pub async fn start(store: &Store, settings: WebSettings) -> App {
        let metrics = Arc::new(ConsoleMetrics::new());
        let clock = settings.clock.clone();
        let state = WebState::new(store.clone(), settings.clone(), metrics.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, router(state)).await.unwrap();
        });
        App {
            base,
            store: store.clone(),
            clock,
            metrics,
            settings,
            server,
        }
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The application's now.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Creates the accounts `ann` and `bob` (moderators) and `lee` (lead), password [`PASSWORD`].
pub async fn accounts(store: &Store) {
    for (name, role) in [
        ("ann", Role::Moderator),
        ("bob", Role::Moderator),
        ("lee", Role::Lead),
    ] {
        store
            .add_account(name, role, Some(password_hash()), OffsetDateTime::now_utc())
            .await
            .unwrap();
    }
}

/// A reason of a held record: (stage, code, category, evidence as (field, start, end, matched)).
pub type Reason<'a> = (
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<(&'a str, usize, usize, &'a str)>,
);

/// A held decision record of `user` with `title`, `text` and the label text `label`, held
/// `held_ago_secs` before now.
pub fn record(
    event_id: &str,
    user: &str,
    held_ago_secs: i64,
    title: &str,
    text: &str,
    label: &str,
    reasons: &[Reason<'_>],
) -> String {
    let reviewed_at = (OffsetDateTime::now_utc() - time::Duration::seconds(held_ago_secs))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let reasons: Vec<serde_json::Value> = reasons
        .iter()
        .map(|(stage, code, category, evidence)| {
            let mut r = serde_json::json!({
                "stage": stage, "code": code, "action": "hold", "article": "Art. 10",
            });
            if let Some(c) = category {
                r["category"] = serde_json::json!(c);
            }
            if let Some((field, start, end, matched)) = evidence {
                r["evidence"] = serde_json::json!({
                    "field": field, "start": start, "end": end, "matched": matched, "term": matched,
                });
            }
            r
        })
        .collect();
    serde_json::json!({
        "event_id": event_id,
        "decision": "hold",
        "reasons": reasons,
        "actions": [{"kind": "add_label", "text": "AI生成"}, {"kind": "add_propagation_metadata", "label": "1"}],
        "pipeline": "default",
        "pipeline_version": "1",
        "lexicon_version": "test",
        "reviewed_at": reviewed_at,
        "event": {
            "event_id": event_id,
            "user": {"id": user, "identity_verified": true},
            "content": {
                "kind": "image", "title": title, "text": text,
                "media": [{"url": "https://cdn.example/1.png", "mime": "image/png",
                           "metadata": {"AIGC": {"Label": "1", "ContentProducer": "p-1", "ProduceID": "x-9"}}}],
            },
            "synthesis": {"technique": "image_generation"},
            "labels": {"explicit": {"present": true, "text": label, "position": "start"}},
        },
    })
    .to_string()
}

/// Stores a record as a new item; its id.
pub async fn insert(store: &Store, record: &str) -> ItemId {
    let item = HeldItem::from_record(record.as_bytes(), 0).unwrap();
    match store
        .insert_item(&item, OffsetDateTime::now_utc())
        .await
        .unwrap()
    {
        Inserted::New(id) => id,
        other => panic!("expected a new item, got {other:?}"),
    }
}

/// The gambling text of the standard item and its evidence: `在线赌博` at code points 9..11
/// (`赌博`) after an emoji (one code point, two UTF-16 units) in `content.text`, and `博彩`
/// in the title at 3..5.
pub const TEXT: &str = "😀 新品上线，在线赌博 速来";
/// The standard title.
pub const TITLE: &str = "今日 博彩 推荐";

/// A standard held item (gambling in the text and the title, the label missing a word).
pub fn standard(event_id: &str, user: &str, held_ago_secs: i64) -> String {
    record(
        event_id,
        user,
        held_ago_secs,
        TITLE,
        TEXT,
        "AI",
        &[
            (
                "prohibited",
                "prohibited_term",
                Some("gambling"),
                Some(("content.text", 9, 11, "赌博")),
            ),
            (
                "prohibited",
                "prohibited_term",
                Some("gambling"),
                Some(("content.title", 3, 5, "博彩")),
            ),
            (
                "labels",
                "label_text_invalid",
                None,
                Some(("labels.explicit.text", 0, 2, "AI")),
            ),
        ],
    )
}
