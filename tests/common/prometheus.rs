//! The real Prometheus server (and `promtool`) from Debian's `prometheus` package, which
//! `scripts/test.sh` installs when it is missing: a harness that starts it against a worker and
//! queries its HTTP API.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

use super::files::repo;
use super::metrics::http_get;
use super::wait::{log_tail, wait_for, Watched, LOG_TAIL_LINES};
use super::worker::free_port;

/// A tool named by the environment variable `var` (set by `scripts/test.sh`), else `name` on
/// `PATH`.
///
/// # Panics
/// If neither is there.
fn tool(var: &str, name: &str) -> PathBuf {
    if let Ok(p) = std::env::var(var) {
        return PathBuf::from(p);
    }
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        if dir.join(name).is_file() {
            return dir.join(name);
        }
    }
    panic!("{var} is not set and `{name}` is not on PATH: run the tests through scripts/test.sh, which installs Debian's prometheus package")
}

/// `$SYNTH_REVIEW_PROMTOOL`, else `promtool` on `PATH`.
pub fn promtool() -> PathBuf {
    tool("SYNTH_REVIEW_PROMTOOL", "promtool")
}

/// `$SYNTH_REVIEW_PROMETHEUS`, else `prometheus` on `PATH`.
pub fn prometheus_bin() -> PathBuf {
    tool("SYNTH_REVIEW_PROMETHEUS", "prometheus")
}

/// A running Prometheus server on a loopback port; killed (SIGKILL) and reaped when dropped.
pub struct Prometheus {
    child: Mutex<Child>,
    pid: u32,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts the real Prometheus on a free loopback port, scraping `127.0.0.1:{worker_port}` as
    /// job `synth-review` every second and evaluating `dashboards/alerts.yml` every second, and
    /// waits until it is ready.
    pub fn start(worker_port: u16) -> Prometheus {
        Prometheus::start_jobs(&[("synth-review", worker_port)])
    }

    /// As [`Prometheus::start`], scraping each `(job, port)`: `127.0.0.1:{port}` as that job.
    pub fn start_jobs(jobs: &[(&str, u16)]) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        let mut text = format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n  - \"{}\"\nscrape_configs:\n",
            repo().join("dashboards/alerts.yml").display()
        );
        for (job, port) in jobs {
            text.push_str(&format!(
                "  - job_name: {job}\n    static_configs:\n      - targets: [\"127.0.0.1:{port}\"]\n"
            ));
        }
        std::fs::write(&config, text).unwrap();
        let port = free_port();
        let log = dir.path().join("prometheus.log");
        let child = Command::new(prometheus_bin())
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start prometheus");
        let p = Prometheus {
            pid: child.id(),
            child: Mutex::new(child),
            port,
            log,
            _dir: dir,
        };
        wait_for("Prometheus to be ready", Duration::from_secs(60))
            .watching(&p)
            .every(Duration::from_millis(200))
            .until(|| matches!(http_get(port, "/-/ready"), Ok((200, _))));
        p
    }

    /// `GET path_and_query` of the HTTP API, as JSON.
    ///
    /// # Panics
    /// If the request fails or the answer is not JSON.
    pub fn api(&self, path_and_query: &str) -> Value {
        let (code, body) = http_get(self.port, path_and_query).unwrap_or_else(|e| {
            panic!(
                "GET {path_and_query}: {e}\n{}",
                log_tail(&self.log, LOG_TAIL_LINES)
            )
        });
        let v: Value = serde_json::from_str(&body).unwrap_or_else(|e| {
            panic!("GET {path_and_query}: HTTP {code}, not JSON ({e}): {body}")
        });
        v
    }

    /// `/api/v1/query` at the current time: the whole answer (status, data or error).
    pub fn query(&self, expr: &str) -> Value {
        self.api(&format!("/api/v1/query?query={}", enc(expr)))
    }

    /// The result vector of an instant query that must succeed.
    pub fn vector(&self, expr: &str) -> Vec<Value> {
        let v = self.query(expr);
        assert_eq!(v["status"], "success", "{expr}: {v}");
        v["data"]["result"].as_array().cloned().unwrap_or_default()
    }

    /// The value of the first sample of an instant query, if any.
    pub fn scalar(&self, expr: &str) -> Option<f64> {
        self.vector(expr)
            .first()
            .and_then(|s| s["value"][1].as_str()?.parse().ok())
    }

    /// `/api/v1/query_range` from `start` to `end` (Unix seconds) every `step` seconds.
    pub fn query_range(&self, expr: &str, start: f64, end: f64, step: f64) -> Value {
        self.api(&format!(
            "/api/v1/query_range?query={}&start={start:.3}&end={end:.3}&step={step}",
            enc(expr)
        ))
    }
}

impl Watched for Prometheus {
    fn describe(&self) -> String {
        format!("prometheus on 127.0.0.1:{} (pid {})", self.port, self.pid)
    }

    fn ended(&self) -> Option<String> {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        child
            .try_wait()
            .expect("wait for prometheus")
            .map(|s| s.to_string())
    }

    fn logs(&self) -> Vec<PathBuf> {
        vec![self.log.clone()]
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(|e| e.into_inner());
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// `s` form-URL-encoded, for a query string.
fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
