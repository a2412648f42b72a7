//! `synth-review console` processes ([`ConsoleProcess`]) for the tests: a console file written
//! for the test broker and a test's own topics and store, the process with its log in a file,
//! killed and reaped when dropped, and watched by waits like a worker.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

use super::broker::brokers;
use super::wait::Watched;
use super::worker::{bin, free_port};

/// What a console file for a test says.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// The store URL.
    pub store: String,
    /// `[topics]` held, approved, rejected, audit.
    pub held: String,
    /// Approved verdicts.
    pub approved: String,
    /// Rejected verdicts.
    pub rejected: String,
    /// Audit records.
    pub audit: String,
    /// A prefix of the intake's group, the relay's checkpoint group and transactional id.
    pub prefix: String,
    /// Run the intake.
    pub intake: bool,
    /// Verdicts per relay transaction.
    pub batch_max: u32,
    /// `[ledger] user_actions_topic`; `None`: the ledger is off.
    pub user_actions: Option<String>,
}

impl ConsoleConfig {
    /// Writes the console file into `dir` and returns its path.
    pub fn write(&self, dir: &Path) -> PathBuf {
        let text = format!(
            r#"[console]
store = "{store}"
lease_seconds = 300
[intake]
enabled = {intake}
group_id = "{prefix}-intake"
[relay]
transactional_id = "{prefix}-relay"
checkpoint_group = "{prefix}-relay-checkpoint"
batch_max = {batch}
poll_interval_ms = 20
[ledger]
enabled = {ledger}
user_actions_topic = "{user_actions}"
window_days = 30
[complaints]
topic = "{prefix}.complaints"
results_topic = "{prefix}.complaint-results"
[kafka]
brokers = "{brokers}"
transaction_timeout_ms = 10000
[kafka.options]
"session.timeout.ms" = "6000"
[topics]
input = "{prefix}.publish"
held = "{held}"
approved = "{approved}"
rejected = "{rejected}"
dead_letter = "{prefix}.dlq"
audit = "{audit}"
"#,
            store = self.store,
            intake = self.intake,
            prefix = self.prefix,
            batch = self.batch_max,
            ledger = self.user_actions.is_some(),
            user_actions = self
                .user_actions
                .clone()
                .unwrap_or_else(|| format!("{}.user-actions", self.prefix)),
            brokers = brokers(),
            held = self.held,
            approved = self.approved,
            rejected = self.rejected,
            audit = self.audit,
        );
        let path = dir.join("console.toml");
        std::fs::write(&path, text).expect("write the console file");
        path
    }
}

/// A running `synth-review console`: killed (SIGKILL) and reaped when dropped.
pub struct ConsoleProcess {
    child: Mutex<Child>,
    pid: u32,
    log: PathBuf,
    /// The web application's port.
    pub web_port: u16,
    /// The `/metrics` port.
    pub metrics_port: u16,
}

impl ConsoleProcess {
    /// Starts `synth-review console --config CONFIG` on free loopback ports, logging to a file
    /// named after its metrics port.
    pub fn start(config: &Path) -> ConsoleProcess {
        let (web_port, metrics_port) = (free_port(), free_port());
        let log = std::env::temp_dir().join(format!("synth-review-console-{metrics_port}.log"));
        let file = std::fs::File::create(&log).expect("console log file");
        let child = Command::new(bin())
            .args(["--log-format", "json", "console", "--config"])
            .arg(config)
            .args(["--listen", &format!("127.0.0.1:{web_port}")])
            .args(["--metrics-listen", &format!("127.0.0.1:{metrics_port}")])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("spawn the console");
        ConsoleProcess {
            pid: child.id(),
            child: Mutex::new(child),
            log,
            web_port,
            metrics_port,
        }
    }

    /// Its log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills it with SIGKILL (`kill -9`) and reaps it.
    pub fn kill9(mut self) {
        self.kill();
    }

    /// Sends SIGTERM and waits up to 30 s for it to exit; returns whether it exited
    /// successfully (a console still running then is killed, and that is `false`).
    pub fn terminate(mut self) -> bool {
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.pid as i32, libc::SIGTERM);
        }
        let child = self.child.get_mut().unwrap_or_else(|e| e.into_inner());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return status.success(),
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(50))
                }
                _ => return false,
            }
        }
    }

    fn kill(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(|e| e.into_inner());
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for ConsoleProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Watched for ConsoleProcess {
    fn describe(&self) -> String {
        format!(
            "console on 127.0.0.1:{} (metrics {}, pid {})",
            self.web_port, self.metrics_port, self.pid
        )
    }

    fn ended(&self) -> Option<String> {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        child.try_wait().ok().flatten().map(|s| s.to_string())
    }

    fn logs(&self) -> Vec<PathBuf> {
        vec![self.log.clone()]
    }
}
