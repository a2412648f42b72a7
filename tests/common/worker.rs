//! `synth-review run` processes under test: their pipeline files, the [`Worker`] handle (process,
//! log file, metrics port) and stopping them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use super::broker::{brokers, TestTopics};
use super::files::repo;
use super::metrics::{events_done, metric, worker_metrics};
use super::wait::{report, wait_for, Watched};

/// The binary under test: `SYNTH_REVIEW_BIN` (e.g. a release build, for benchmarks) or the one
/// cargo built for this test run.
pub fn bin() -> PathBuf {
    std::env::var_os("SYNTH_REVIEW_BIN")
        .map(PathBuf::from)
        .or_else(|| option_env!("CARGO_BIN_EXE_synth-review").map(PathBuf::from))
        .expect("SYNTH_REVIEW_BIN is not set (examples have no CARGO_BIN_EXE_*)")
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Writes a pipeline file for these topics into `dir`, pointing at the repository's data files.
pub fn write_pipeline(dir: &Path, topics: &TestTopics, group: &str) -> PathBuf {
    write_pipeline_with(dir, topics, group, "")
}

/// Like [`write_pipeline`], with extra `key = value` lines in `[kafka]`.
pub fn write_pipeline_with(
    dir: &Path,
    topics: &TestTopics,
    group: &str,
    kafka_extra: &str,
) -> PathBuf {
    let data = repo().join("data");
    let lexicons: Vec<String> = [
        "fraud",
        "gambling",
        "illegal_goods",
        "weapons",
        "pornography",
        "drugs",
    ]
    .iter()
    .map(|c| {
        format!(
            "\"{}\"",
            data.join("lexicon").join(format!("{c}.csv")).display()
        )
    })
    .collect();
    let text = format!(
        r#"[pipeline]
name = "e2e"
version = "test"

[kafka]
brokers = "{brokers}"
group_id = "{group}"
commit_interval_ms = 500
{kafka_extra}

[topics]
input = "{input}"
approved = "{approved}"
held = "{held}"
rejected = "{rejected}"
dead_letter = "{dlq}"
audit = "{audit}"

[[stages]]
kind = "identity"

[[stages]]
kind = "prohibited"
lexicons = [{lexicons}]

[[stages]]
kind = "reprint_source"
sources = "{sources}"
"#,
        brokers = brokers(),
        input = topics.input,
        approved = topics.approved,
        held = topics.held,
        rejected = topics.rejected,
        dlq = topics.dead_letter,
        audit = topics.audit,
        lexicons = lexicons.join(", "),
        sources = data
            .join("news-sources/cac-news-source-units.csv")
            .display(),
    );
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, text).expect("write pipeline");
    path
}

/// Starts `synth-review run` on a pipeline, serving /metrics on `port`. Its log goes to
/// [`worker_log`]`(port)` (a file, so a chatty worker can never block on a full pipe).
pub fn spawn_worker(pipeline: &Path, port: u16) -> Worker {
    let log = worker_log(port);
    let file = std::fs::File::create(&log).expect("worker log file");
    let child = Command::new(bin())
        .args(["--log-format", "json", "run", "--pipeline"])
        .arg(pipeline)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .expect("spawn worker");
    Worker {
        pid: child.id(),
        child: Mutex::new(child),
        log,
        port,
    }
}

/// Where the worker serving `port` writes its log.
pub fn worker_log(port: u16) -> PathBuf {
    std::env::temp_dir().join(format!("synth-review-worker-{port}.log"))
}

/// A running `synth-review run` process: its child process, its log file and its metrics port.
/// Killed (SIGKILL) and reaped when dropped, so a failing test leaves nothing behind. Watch it in
/// every wait ([`Wait::watching`](super::wait::Wait::watching)), so that a worker that exits fails
/// the wait at once, with its log.
pub struct Worker {
    /// In a mutex so that a wait can look at the exit status through a shared reference while
    /// its condition reads the worker too.
    child: Mutex<Child>,
    pid: u32,
    log: PathBuf,
    port: u16,
}

impl Worker {
    /// Starts a worker on `pipeline` with /metrics on a free port.
    pub fn start(pipeline: &Path) -> Worker {
        spawn_worker(pipeline, free_port())
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.pid
    }

    /// The port of /metrics, /healthz, /readyz.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The log file (the process's stderr).
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// The log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_else(|e| panic!("{}: {e}", self.log.display()))
    }

    /// The exit status once it has exited; `None` while it runs.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        child.try_wait().expect("wait for the worker")
    }

    /// Events reviewed so far according to its /metrics (0 while it does not answer).
    pub fn events_done(&self) -> u64 {
        events_done(self.port).unwrap_or(0)
    }

    /// `synth_review_consumer_assigned_partitions` on its /metrics (0 while it does not answer).
    pub fn assigned_partitions(&self) -> u64 {
        worker_metrics(self.port)
            .and_then(|text| metric(&text, "synth_review_consumer_assigned_partitions"))
            .map_or(0, |v| v as u64)
    }

    /// Sends `signal` (e.g. `libc::SIGHUP`) unless the process has exited already.
    ///
    /// # Panics
    /// If `kill(2)` fails.
    pub fn signal(&self, signal: i32) {
        if self.exit_status().is_some() {
            return;
        }
        let rc = unsafe { libc::kill(self.pid as i32, signal) };
        assert_eq!(rc, 0, "kill({}, {signal})", self.pid);
    }

    /// Sends SIGHUP (reload).
    pub fn sighup(&self) {
        self.signal(libc::SIGHUP);
    }

    /// Sends SIGTERM and waits (bounded) for the exit status.
    ///
    /// # Panics
    /// If it has not exited within `timeout`; it is killed then, and the panic shows its log.
    pub fn terminate(&mut self, timeout: Duration) -> ExitStatus {
        self.signal(libc::SIGTERM);
        let this: &Worker = self;
        let status = wait_for(
            format!("{} to exit after SIGTERM", this.describe()),
            timeout,
        )
        .every(Duration::from_millis(20))
        .until_or_timeout(|| this.exit_status());
        match status {
            Some(status) => status,
            None => {
                let report = report(
                    &format!("worker did not exit within {timeout:?} of SIGTERM"),
                    None,
                    &[this],
                );
                self.kill();
                panic!("{report}");
            }
        }
    }

    /// Kills it with SIGKILL (`kill -9`) and reaps it.
    pub fn kill9(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(|e| e.into_inner());
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Watched for Worker {
    fn describe(&self) -> String {
        format!("worker on 127.0.0.1:{} (pid {})", self.port, self.pid)
    }

    fn ended(&self) -> Option<String> {
        self.exit_status().map(|s| s.to_string())
    }

    fn logs(&self) -> Vec<PathBuf> {
        vec![self.log.clone()]
    }
}

/// [`Worker::terminate`], as a function.
pub fn terminate(worker: &mut Worker, timeout: Duration) -> ExitStatus {
    worker.terminate(timeout)
}
