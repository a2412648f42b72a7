//! The console in a real headless Chromium (Debian's `chromium` and `chromium-driver`,
//! installed by `scripts/chromium.sh ensure`, which `scripts/test.sh` runs), driven through
//! WebDriver (`fantoccini`): log in, see the queue, open an item and see its evidence
//! highlighted, decide with a keyboard shortcut, the lease renewed by the page's script, and
//! two moderators in two browsers on one item where only one verdict wins.
//!
//! `SYNTH_REVIEW_TEST_CHROMEDRIVER` names chromedriver (else `/usr/bin/chromedriver`),
//! `SYNTH_REVIEW_TEST_CHROMIUM` the browser (else `/usr/bin/chromium`). When they are missing
//! the tests fail under CI (`CI=true`) and are skipped with a notice elsewhere. Each test starts
//! chromedriver on a free loopback port of its own and Chromium with a fresh profile; the store
//! is SQLite (the web tests cover PostgreSQL).
//!
//! With `SYNTH_REVIEW_UPDATE_SCREENSHOTS=1` the queue and item screenshots are written to
//! `docs/img/console-queue.png` and `docs/img/console-item.png`.

pub mod console_support;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use console_support::{accounts, insert, record, standard, App, TestDb, PASSWORD};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder, Locator};
use synth_review::console::ledger::{LedgerPolicy, Strike, StrikeSource};
use synth_review::console::store::MeasureState;
use synth_review::console::web::WebSettings;
use synth_review::console::{ItemId, Verdict};

/// How long any one wait in the browser may take before the test fails, saying what it waited
/// for. Generous: a loaded 2-core machine runs Chromium and a debug build at once.
const WAIT: Duration = Duration::from_secs(60);

// ------------------------------------------------------------------ chromedriver --

struct Tools {
    chromedriver: PathBuf,
    chromium: PathBuf,
}

/// The tools, or `None` (skip) when missing outside CI; under CI a missing tool fails.
fn tools(test: &str) -> Option<Tools> {
    let pick = |var: &str, default: &str| {
        std::env::var(var)
            .ok()
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(default))
    };
    let t = Tools {
        chromedriver: pick("SYNTH_REVIEW_TEST_CHROMEDRIVER", "/usr/bin/chromedriver"),
        chromium: pick("SYNTH_REVIEW_TEST_CHROMIUM", "/usr/bin/chromium"),
    };
    let missing: Vec<String> = [&t.chromedriver, &t.chromium]
        .iter()
        .filter(|p| !p.is_file())
        .map(|p| p.display().to_string())
        .collect();
    if missing.is_empty() {
        return Some(t);
    }
    let why = format!(
        "{test}: {} missing (scripts/chromium.sh ensure installs Debian's chromium and \
         chromium-driver; scripts/test.sh runs it)",
        missing.join(", ")
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{why}");
    }
    eprintln!("NOTICE: skipped: {why}");
    None
}

/// A chromedriver of the test's own, on a free loopback port; killed on drop.
struct Driver {
    child: Child,
    port: u16,
    log: PathBuf,
    dir: tempfile::TempDir,
    chromium: PathBuf,
}

impl Driver {
    async fn start(tools: &Tools) -> Driver {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("chromedriver.log");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // A process group of its own: the browsers it starts join it, and Drop ends them all
        // with it, also when a test fails before closing its sessions.
        let child = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", tools.chromedriver.display()));
        let mut driver = Driver {
            child,
            port,
            log,
            dir,
            chromium: tools.chromium.clone(),
        };
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Some(status) = driver.child.try_wait().unwrap() {
                panic!(
                    "chromedriver exited with {status} before it answered; its log:\n{}",
                    driver.log_text()
                );
            }
            let ready = http
                .get(format!("http://127.0.0.1:{port}/status"))
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            if let Ok(r) = ready {
                let json: serde_json::Value = r.json().await.unwrap_or_default();
                if json["value"]["ready"] == true {
                    return driver;
                }
            }
            if started.elapsed() > WAIT {
                panic!(
                    "chromedriver did not answer on port {port} within {WAIT:?}; its log:\n{}",
                    driver.log_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_else(|e| format!("(no log: {e})"))
    }

    /// A new browser session: headless Chromium with a fresh profile of its own.
    async fn browser(&self, name: &str) -> Client {
        let profile = self.dir.path().join(format!("profile-{name}"));
        std::fs::create_dir_all(&profile).unwrap();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--disable-crash-reporter",
            "--disable-breakpad",
            // The page's own timers (the lease renewal) run on time however busy the machine
            // and whichever window is in front: what Puppeteer and Playwright pass by default.
            "--disable-background-timer-throttling",
            "--disable-renderer-backgrounding",
            "--disable-backgrounding-occluded-windows",
            "--window-size=1280,1500",
            &format!("--user-data-dir={}", profile.display()),
        ]
        .map(|a| serde_json::Value::from(a.to_owned()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({ "binary": self.chromium.display().to_string(), "args": args }),
        );
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "no browser session from chromedriver: {e}; its log:\n{}",
                    self.log_text()
                )
            })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver's process group (its id is chromedriver's pid): it and its browsers.
        // SAFETY: kill(2) with a negative pid signals that process group, which we created.
        let group = self.child.id() as libc::pid_t;
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

// ------------------------------------------------------------------ helpers --

/// Waits until `check` answers `Some`, polling; fails after [`WAIT`] naming `what`.
async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            started.elapsed() < WAIT,
            "timed out after {WAIT:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_path(c: &Client, app: &App, path: &str) {
    let want = app.url(path);
    let started = Instant::now();
    loop {
        let now = c.current_url().await.map(|u| u.to_string());
        if now.as_deref().ok() == Some(want.as_str()) {
            return;
        }
        if started.elapsed() > WAIT {
            let source = c.source().await.unwrap_or_default();
            panic!("timed out after {WAIT:?} waiting for the browser at {want}; it is at {now:?}, showing:\n{source}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn element(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css}: {e}"))
}

async fn press(c: &Client, key: char) {
    let keys = KeyActions::new("keyboard".to_owned())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    c.perform_actions(keys).await.unwrap();
}

async fn log_in(c: &Client, app: &App, name: &str) {
    c.goto(&app.url("/queue")).await.unwrap();
    // Redirected to the login page, which comes back to the queue.
    element(c, "#login-form").await;
    assert!(c.current_url().await.unwrap().path() == "/login");
    element(c, "#name").await.send_keys(name).await.unwrap();
    element(c, "#password")
        .await
        .send_keys(PASSWORD)
        .await
        .unwrap();
    element(c, "#login").await.click().await.unwrap();
    wait_path(c, app, "/queue").await;
    let me = element(c, "#me").await.text().await.unwrap();
    assert_eq!(me, name);
}

fn screenshot(png: &[u8], name: &str) {
    let tmp = std::env::temp_dir().join(name);
    std::fs::write(&tmp, png).unwrap();
    if std::env::var("SYNTH_REVIEW_UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs/img")
            .join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, png).unwrap();
        eprintln!("screenshot written to {}", path.display());
    }
}

async fn verdict_of(app: &App, id: ItemId) -> Option<(Verdict, String)> {
    app.store
        .item(id, app.now())
        .await
        .unwrap()
        .unwrap()
        .verdict
        .map(|v| (v.verdict, v.moderator))
}

async fn seed(db: &TestDb) -> Vec<ItemId> {
    accounts(&db.store).await;
    let mut ids = vec![
        insert(&db.store, &standard("evt-1001", "user-7", 900)).await,
        insert(&db.store, &standard("evt-1002", "user-8", 600)).await,
    ];
    let more = [
        ("evt-1003", "user-7", "labels", "label_missing", None),
        (
            "evt-1004",
            "user-9",
            "news_source",
            "news_source_missing",
            None,
        ),
        (
            "evt-1005",
            "user-3",
            "prohibited",
            "prohibited_term",
            Some("fraud"),
        ),
    ];
    for (n, (event, user, stage, code, category)) in more.into_iter().enumerate() {
        let rec = record(
            event,
            user,
            300 - 60 * n as i64,
            "新品发布",
            "这是一段由模型生成的宣传文字。",
            "AI生成",
            &[(stage, code, category, None)],
        );
        ids.push(insert(&db.store, &rec).await);
    }
    ids
}

// ------------------------------------------------------------------ the tests --

/// Log in, see the queue, open the first item with the keyboard, see every evidence span
/// highlighted exactly, approve it with `a`, and land on the next item.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderator_decides_with_the_keyboard() {
    let Some(tools) = tools("moderator_decides_with_the_keyboard") else {
        return;
    };
    let db = TestDb::sqlite().await;
    let ids = seed(&db).await;
    let app = App::start(&db.store, WebSettings::default()).await;
    let driver = Driver::start(&tools).await;
    let c = driver.browser("ann").await;
    log_in(&c, &app, "ann").await;

    let rows = c.find_all(Locator::Css("#queue tr.row")).await.unwrap();
    assert_eq!(rows.len(), ids.len());
    let first = rows[0].attr("data-item").await.unwrap().unwrap();
    assert_eq!(first, ids[0].to_string(), "most urgent first");
    screenshot(&c.screenshot().await.unwrap(), "console-queue.png");

    // `o` opens the selected (first) row, which claims it.
    press(&c, 'o').await;
    wait_path(&c, &app, &format!("/item/{}", ids[0])).await;
    element(&c, "#lease").await;
    let item = app.store.item(ids[0], app.now()).await.unwrap().unwrap();
    assert_eq!(item.summary.lease.unwrap().0, "ann");
    let countdown = element(&c, "#countdown").await.text().await.unwrap();
    assert!(
        countdown.contains(':') && (countdown.starts_with('4') || countdown.starts_with('5')),
        "a lease countdown of about 5 minutes: {countdown}"
    );

    // The highlighted spans are exactly the evidence, reason by reason.
    let marks = c.find_all(Locator::Css("mark.ev")).await.unwrap();
    let mut by_reason = vec![String::new(); 3];
    for m in &marks {
        let text = m.text().await.unwrap();
        for r in m.attr("data-reasons").await.unwrap().unwrap().split(' ') {
            by_reason[r.parse::<usize>().unwrap()].push_str(&text);
        }
    }
    assert_eq!(by_reason, ["赌博", "博彩", "AI"]);
    screenshot(&c.screenshot().await.unwrap(), "console-item.png");

    // `a` approves; the next item opens.
    press(&c, 'a').await;
    wait_path(&c, &app, &format!("/item/{}", ids[1])).await;
    assert_eq!(
        verdict_of(&app, ids[0]).await,
        Some((Verdict::Approve, "ann".to_owned()))
    );
    // `r` rejects this one with the item's own reason code selected first.
    element(&c, "#lease").await;
    press(&c, 'r').await;
    wait_path(&c, &app, &format!("/item/{}", ids[2])).await;
    let v = app
        .store
        .item(ids[1], app.now())
        .await
        .unwrap()
        .unwrap()
        .verdict
        .unwrap();
    assert_eq!(
        (v.verdict, v.reason_code.as_str()),
        (Verdict::Reject, "prohibited_term")
    );
    // `s` skips: the item goes back and another opens.
    element(&c, "#lease").await;
    press(&c, 's').await;
    wait_path(&c, &app, &format!("/item/{}", ids[3])).await;
    assert_eq!(verdict_of(&app, ids[2]).await, None);
    c.close().await.unwrap();
}

/// Two moderators in two browsers on one item: Ann opens it, Bob is told it is Ann's and
/// gets no verdict form; after Ann's lease runs out Bob takes it over; both press a shortcut,
/// and only Bob's verdict is stored, Ann's page refusing hers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_moderators_one_verdict() {
    let Some(tools) = tools("two_moderators_one_verdict") else {
        return;
    };
    let db = TestDb::sqlite().await;
    let ids = seed(&db).await;
    let app = App::start(&db.store, WebSettings::default()).await;
    let driver = Driver::start(&tools).await;
    let ann = driver.browser("ann").await;
    let bob = driver.browser("bob").await;
    log_in(&ann, &app, "ann").await;
    log_in(&bob, &app, "bob").await;
    let item = app.url(&format!("/item/{}", ids[0]));

    ann.goto(&item).await.unwrap();
    element(&ann, "#lease").await;
    bob.goto(&item).await.unwrap();
    let refusal = element(&bob, "#refusal").await.text().await.unwrap();
    assert!(refusal.contains("claimed by ann"), "{refusal}");
    assert!(bob
        .find_all(Locator::Css("#approve"))
        .await
        .unwrap()
        .is_empty());

    // Ann's lease runs out (the application's clock moves on); Bob opens the item again.
    app.clock
        .advance(app.settings.lease + Duration::from_secs(1));
    bob.refresh().await.unwrap();
    element(&bob, "#lease").await;
    // Both decide at once.
    let (_, _) = tokio::join!(press(&ann, 'r'), press(&bob, 'a'));
    wait_for("Bob's verdict", || async { verdict_of(&app, ids[0]).await }).await;
    assert_eq!(
        verdict_of(&app, ids[0]).await,
        Some((Verdict::Approve, "bob".to_owned()))
    );
    let message = element(&ann, "#message").await.text().await.unwrap();
    assert!(
        message.contains("stale lease token") || message.contains("already decided"),
        "{message}"
    );
    assert_eq!(
        app.store.pending_outbox(10).await.unwrap().len(),
        1,
        "one verdict"
    );
    ann.close().await.unwrap();
    bob.close().await.unwrap();
}

/// The page renews its lease while it is open (here a lease of 12 s, renewed every 6 s: a
/// browser stalled for 6 s by the load would still renew in time), and the store's expiry
/// moves on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_is_renewed_while_the_page_is_open() {
    let Some(tools) = tools("lease_is_renewed_while_the_page_is_open") else {
        return;
    };
    let db = TestDb::sqlite().await;
    let ids = seed(&db).await;
    let settings = WebSettings {
        lease: Duration::from_secs(12),
        ..WebSettings::default()
    };
    let app = App::start(&db.store, settings).await;
    let driver = Driver::start(&tools).await;
    let c = driver.browser("ann").await;
    log_in(&c, &app, "ann").await;
    c.goto(&app.url(&format!("/item/{}", ids[0])))
        .await
        .unwrap();
    element(&c, "#lease").await;
    let first = app.store.item(ids[0], app.now()).await.unwrap().unwrap();
    let first_expiry = first.summary.lease.expect("claimed").1;
    wait_for("two renewals by the page", || async {
        let state = c
            .execute(
                "return [document.getElementById('lease').dataset.renewals || '0', \
                 document.getElementById('lease-status').textContent]",
                vec![],
            )
            .await
            .ok()?;
        let renewals = state[0].as_str()?.parse::<u32>().ok()?;
        let status = state[1].as_str().unwrap_or_default();
        // A lost lease is never renewed again: fail now, saying why.
        assert!(
            !status.contains("lost") && !status.contains("expired"),
            "the page lost its lease after {renewals} renewals: {status}"
        );
        (renewals >= 2).then_some(())
    })
    .await;
    let later = app.store.item(ids[0], app.now()).await.unwrap().unwrap();
    let (holder, expiry) = later.summary.lease.expect("still claimed");
    assert_eq!(holder, "ann");
    assert!(expiry > first_expiry, "{expiry} after {first_expiry}");
    c.close().await.unwrap();
}

/// A lead opens the users with measures from the navigation, opens a user (an id with `/` in
/// it), lifts the warning with a note, and is back on the user's page, which shows it lifted;
/// the store has the lift with the lead's name and the note.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lead_lifts_a_measure() {
    let Some(tools) = tools("lead_lifts_a_measure") else {
        return;
    };
    let db = TestDb::sqlite().await;
    accounts(&db.store).await;
    let user = "team/user-7";
    let now = time::OffsetDateTime::now_utc();
    let strikes: Vec<Strike> = (0..3)
        .map(|i| Strike {
            key: format!("worker:evt-{i}"),
            user_id: user.to_owned(),
            event_id: format!("evt-{i}"),
            source: StrikeSource::Worker,
            reason_code: "prohibited_term".into(),
            category: Some("gambling".into()),
            articles: vec!["Art. 10".into()],
            weight: 1,
            at: now - time::Duration::days(3 - i),
            record_at: None,
            refutation: None,
        })
        .collect();
    db.store
        .apply_strikes(
            "synth.rejected.v1",
            &[(0, 3)],
            &strikes,
            &LedgerPolicy::default(),
            "test-console",
            now,
        )
        .await
        .unwrap();
    let app = App::start(&db.store, WebSettings::default()).await;
    let driver = Driver::start(&tools).await;
    let c = driver.browser("lee").await;
    log_in(&c, &app, "lee").await;
    element(&c, "header.top a[href='/lead/users']")
        .await
        .click()
        .await
        .unwrap();
    wait_path(&c, &app, "/lead/users").await;
    element(&c, "#users a.user").await.click().await.unwrap();
    wait_path(&c, &app, "/lead/users/team%2Fuser-7").await;
    assert_eq!(element(&c, "#user-id").await.text().await.unwrap(), user);
    let state = element(&c, "#measures td.state")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(state, "in_force");
    element(&c, "form.lift-form input[name='note']")
        .await
        .send_keys("appeal upheld")
        .await
        .unwrap();
    element(&c, "form.lift-form button[type='submit']")
        .await
        .click()
        .await
        .unwrap();
    wait_for("the lift in the store", || async {
        let ledger = app.store.user_ledger(user).await.ok()?;
        (ledger.measures[0].state == MeasureState::Lifted).then_some(())
    })
    .await;
    wait_path(&c, &app, "/lead/users/team%2Fuser-7").await;
    let state = element(&c, "#measures td.state")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(state, "lifted");
    let by = element(&c, "#measures td.changed-by")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(by, "lee");
    let lift = app
        .store
        .pending_user_actions(10)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r["action"] == "lift")
        .expect("a lift record");
    assert_eq!(lift["by"]["id"], "lee");
    assert_eq!(lift["note"], "appeal upheld");
    c.close().await.unwrap();
}

/// Bob works two special rounds of the hold queue in the browser: an appeal of a reject Ann gave
/// (the item page names Ann as the decider; approving upholds the appeal and reverses the
/// strike) and a complaint case about a published event (the page shows the complaint;
/// rejecting finds it founded). Ann's own browser gets no verdict form on the appeal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderator_decides_a_complaint_and_an_appeal() {
    use std::collections::BTreeMap;
    use synth_review::console::appeal::{Appeal, AppealTarget};
    use synth_review::console::complaint::Complaint;
    let Some(tools) = tools("moderator_decides_a_complaint_and_an_appeal") else {
        return;
    };
    let db = TestDb::sqlite().await;
    accounts(&db.store).await;
    let now = time::OffsetDateTime::now_utc();
    let limit = Duration::from_secs(72 * 3600);
    // Ann rejected evt-2001 of user-5; user-5 appeals.
    let strike = Strike {
        key: "verdict:41".into(),
        user_id: "user-5".into(),
        event_id: "evt-2001".into(),
        source: StrikeSource::Moderator {
            id: "ann".into(),
            verdict_id: 41,
        },
        reason_code: "prohibited_term".into(),
        category: Some("gambling".into()),
        articles: vec!["Art. 10".into()],
        weight: 1,
        at: now - time::Duration::hours(5),
        record_at: None,
        refutation: None,
    };
    db.store
        .apply_strikes(
            "synth.rejected.v1",
            &[(0, 1)],
            &[strike],
            &LedgerPolicy::default(),
            "test-console",
            now,
        )
        .await
        .unwrap();
    let appealed = db
        .store
        .apply_appeals(
            "synth.appeals.v1",
            &[(0, 1)],
            &[Appeal {
                appeal_id: "ap-1".into(),
                user_id: "user-5".into(),
                target: AppealTarget::Reject {
                    event_id: "evt-2001".into(),
                },
                text: "这是我自己拍的视频，没有违规。".into(),
                received_at: now - time::Duration::hours(1),
            }],
            &Default::default(),
            limit,
            now,
        )
        .await
        .unwrap();
    let appeal_item = appealed.opened[0].1;
    // evt-3001 was published; a reader complains about it.
    let published = BTreeMap::from([(
        "evt-3001".to_owned(),
        record(
            "evt-3001",
            "user-6",
            7200,
            "新品发布",
            "这是一段由模型生成的宣传文字，点击链接下注。",
            "AI生成",
            &[],
        )
        .replace("\"decision\":\"hold\"", "\"decision\":\"approve\""),
    )]);
    let complained = db
        .store
        .apply_complaints(
            "synth.complaints.v1",
            &[(0, 1)],
            &[Complaint {
                complaint_id: "c-1".into(),
                event_id: "evt-3001".into(),
                category: "gambling".into(),
                reporter: "reader-9".into(),
                text: "文中有赌博链接".into(),
                received_at: now - time::Duration::minutes(30),
            }],
            &published,
            limit,
            now,
        )
        .await
        .unwrap();
    let complaint_item = complained.reopened[0].1;

    let app = App::start(&db.store, WebSettings::default()).await;
    let driver = Driver::start(&tools).await;
    let ann = driver.browser("ann").await;
    log_in(&ann, &app, "ann").await;
    ann.goto(&app.url(&format!("/item/{appeal_item}")))
        .await
        .unwrap();
    element(&ann, "#appeal").await;
    assert!(
        ann.find(Locator::Css("#approve")).await.is_err(),
        "the decider of the reject gets no verdict form on its appeal"
    );

    let bob = driver.browser("bob").await;
    log_in(&bob, &app, "bob").await;
    bob.goto(&app.url(&format!("/item/{appeal_item}")))
        .await
        .unwrap();
    element(&bob, "#lease").await;
    let decider = element(&bob, "#appeal-decider").await.text().await.unwrap();
    assert_eq!(decider, "ann");
    let text = element(&bob, "#appeal-text").await.text().await.unwrap();
    assert_eq!(text, "这是我自己拍的视频，没有违规。");
    element(&bob, "#approve").await.click().await.unwrap();
    let case = wait_for("the appeal upheld in the store", || async {
        let case = app.store.item_appeal(appeal_item).await.ok()??;
        (case.state == "upheld").then_some(case)
    })
    .await;
    assert_eq!(case.decided.unwrap().0, "bob");
    let ledger = app.store.user_ledger("user-5").await.unwrap();
    assert!(
        ledger.strikes.iter().all(|s| s.reversed_at.is_some()),
        "the appealed strike is reversed: {:?}",
        ledger.strikes
    );

    bob.goto(&app.url(&format!("/item/{complaint_item}")))
        .await
        .unwrap();
    element(&bob, "#lease").await;
    let case = element(&bob, "#complaint-case").await.text().await.unwrap();
    assert!(
        case.contains("reader-9") && case.contains("文中有赌博链接"),
        "{case}"
    );
    element(&bob, "#reject").await.click().await.unwrap();
    let case = wait_for("the complaint case decided in the store", || async {
        let case = app.store.complaint_case(complaint_item).await.ok()??;
        case.outcome.is_some().then_some(case)
    })
    .await;
    assert_eq!(case.outcome.as_deref(), Some("founded"), "{case:?}");
    assert_eq!(
        verdict_of(&app, complaint_item).await,
        Some((Verdict::Reject, "bob".to_owned()))
    );
    ann.close().await.unwrap();
    bob.close().await.unwrap();
}
