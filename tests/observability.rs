//! What SREs see: the Grafana dashboard, the Prometheus alert rules, the docker-compose stack and
//! the metrics catalogue, checked against the real tools and a real worker.
//!
//! - `promtool check config` / `check rules` accept `dashboards/prometheus.yml` and
//!   `dashboards/alerts.yml`.
//! - The dashboard is current Grafana schema with the agreed rows, a `${datasource}` variable and
//!   `$__rate_interval` in every range; alerts carry a summary and an inline runbook.
//! - With the real broker and the real `prometheus` binary scraping a `synth-review run` worker
//!   every second: every dashboard expression returns data, every alert rule loads, evaluates
//!   healthy and parses, and every metric name either of them uses is one the worker exports.
//!   Key panels' series are written to `target/observability/panels.json` for
//!   `scripts/render-dashboard-preview.py`.
//! - `docs/metrics.md` lists exactly the metric families (name, type, labels) the worker exports.
//! - `docker-compose.yml` (no Docker engine here: read statically), its mounted files, ports,
//!   topics and scrape targets agree with each other; the Dockerfile's toolchain builds the locked
//!   dependencies.
//!
//! Needs `SYNTH_REVIEW_TEST_BROKERS`, `SYNTH_REVIEW_PROMETHEUS` and `SYNTH_REVIEW_PROMTOOL`, all set
//! by `scripts/test.sh` (which installs Debian's `prometheus` package when it is missing).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;
use serde_json::Value;
use synth_review::config::Disk;
use synth_review::decision::Decision;
use synth_review::engine::load_pipeline;
use synth_review::event::{parse_event, Limits};

/// What `$__rate_interval` becomes in instant queries: with 1 s scrapes, a window that still holds
/// the last batch when the expressions are evaluated.
const RATE_WINDOW: &str = "30s";
/// What it becomes in the preview's range queries (Grafana would pick about 4 scrape intervals).
const PREVIEW_RATE_WINDOW: &str = "5s";
/// Rows of the dashboard, in order.
const ROWS: [&str; 6] = [
    "Traffic",
    "Review outcomes",
    "Latency",
    "Kafka",
    "Process",
    "Configuration",
];
/// Alerts the dashboards folder must define (the issue's list, plus two).
const ALERTS: [&str; 10] = [
    "SynthReviewWorkerDown",
    "SynthReviewConsumerLagGrowing",
    "SynthReviewDeadLetters",
    "SynthReviewHoldRateSpike",
    "SynthReviewLatencyHigh",
    "SynthReviewStalled",
    "SynthReviewProduceErrors",
    "SynthReviewWorkerRestarting",
    "SynthReviewReloadFailed",
    "SynthReviewTransactionsAborting",
];
/// The delivery guarantee of the live workers: the shipped default, which is what SREs watch.
/// (`at_least_once` is the other choice; the catalogue marks the families only one mode exports.)
const LIVE_DELIVERY: &str = "exactly_once";
/// Catalogue rows whose meaning carries this note are exported only under exactly-once delivery.
const EXACTLY_ONCE_ONLY: &str = "exactly-once delivery only";
/// Exactly-once transactions: the Kafka row must chart them.
const TRANSACTIONS: &str = "synth_review_transactions_total";

// ------------------------------------------------------------------ tools and files -------

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

fn promtool() -> PathBuf {
    tool("SYNTH_REVIEW_PROMTOOL", "promtool")
}

fn prometheus_bin() -> PathBuf {
    tool("SYNTH_REVIEW_PROMETHEUS", "prometheus")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn dashboard() -> Value {
    serde_json::from_str(&read("dashboards/synth-review.json")).expect("dashboard JSON")
}

/// Polls `f` every 200 ms until it gives a value; panics naming `what` after `timeout`.
fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    let deadline = start + timeout;
    loop {
        if let Some(v) = f() {
            eprintln!("waited {:?} for {what}", start.elapsed());
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Polls `f` every 200 ms for at most `timeout`; whether it held. For things whose absence a later
/// assertion reports better than a timeout would.
fn poll_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    f()
}

/// Why `synth_review_consumer_lag` may be missing, for the failure messages.
const LAG_HINT: &str = "synth_review_consumer_lag comes from librdkafka statistics (src/kafka/mod.rs, \
     WorkerContext::stats), which report consumer_lag = -1 for partitions whose committed offset the \
     consumer does not know; with exactly-once delivery the offsets are committed through the \
     producer's transaction (send_offsets_to_transaction), so the consumer never learns them";

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Kills (SIGKILL) and reaps a child process when dropped, so a failing test leaves nothing behind.
struct KillOnDrop(Option<Child>);

impl KillOnDrop {
    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("child")
    }
    fn id(&self) -> u32 {
        self.0.as_ref().expect("child").id()
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

// ------------------------------------------------------------------ a YAML subset ---------

/// A reader for the block-style YAML subset our YAML files use: mappings, sequences (also of
/// mappings), plain/single/double-quoted scalars, flow sequences of scalars, literal block scalars
/// (`|`, `|-`) and comments. Anchors, aliases, tags, flow mappings and folded scalars are refused,
/// so a file cannot silently mean something else here than to Docker Compose, Grafana or
/// Prometheus. Scalars are typed as YAML does (int, float, bool, null, else string). Where
/// python3 has PyYAML, [`yaml_matches_pyyaml`] checks this reader against it.
mod yaml {
    use serde_json::{Map, Value};

    struct Line {
        no: usize,
        indent: usize,
        text: String,
        raw: String,
    }

    pub fn parse(src: &str) -> Result<Value, String> {
        let mut lines = Vec::new();
        for (i, raw) in src.lines().enumerate() {
            let body = raw.trim_start_matches(' ');
            if body.starts_with('\t') {
                return Err(format!("line {}: tab indentation", i + 1));
            }
            lines.push(Line {
                no: i + 1,
                indent: raw.len() - body.len(),
                text: strip_comment(body).trim_end().to_string(),
                raw: raw.to_string(),
            });
        }
        let mut p = Parser { lines, pos: 0 };
        p.skip_blank();
        if p.pos >= p.lines.len() {
            return Ok(Value::Null);
        }
        let indent = p.lines[p.pos].indent;
        let v = p.node(indent)?;
        p.skip_blank();
        if p.pos < p.lines.len() {
            let l = &p.lines[p.pos];
            return Err(format!("line {}: unexpected indentation: {}", l.no, l.raw));
        }
        Ok(v)
    }

    fn strip_comment(s: &str) -> &str {
        let (mut sq, mut dq, mut prev_space) = (false, false, true);
        let mut esc = false;
        for (i, c) in s.char_indices() {
            match c {
                '\\' if dq => {
                    esc = !esc;
                    prev_space = false;
                    continue;
                }
                '"' if !sq && !esc => dq = !dq,
                '\'' if !dq => sq = !sq,
                '#' if !sq && !dq && prev_space => return &s[..i],
                _ => {}
            }
            esc = false;
            prev_space = c == ' ';
        }
        s
    }

    struct Parser {
        lines: Vec<Line>,
        pos: usize,
    }

    impl Parser {
        fn skip_blank(&mut self) {
            while self.pos < self.lines.len() && self.lines[self.pos].text.is_empty() {
                self.pos += 1;
            }
        }

        fn node(&mut self, indent: usize) -> Result<Value, String> {
            let l = &self.lines[self.pos];
            if l.text == "-" || l.text.starts_with("- ") {
                self.seq(indent)
            } else {
                self.map(indent)
            }
        }

        fn seq(&mut self, indent: usize) -> Result<Value, String> {
            let mut out = Vec::new();
            loop {
                self.skip_blank();
                if self.pos >= self.lines.len() {
                    break;
                }
                let (no, ind, text) = {
                    let l = &self.lines[self.pos];
                    (l.no, l.indent, l.text.clone())
                };
                if ind < indent || !(text == "-" || text.starts_with("- ")) {
                    break;
                }
                if ind > indent {
                    return Err(format!("line {no}: bad indentation in a sequence"));
                }
                let rest = text[1..].trim_start();
                if rest.is_empty() {
                    self.pos += 1;
                    self.skip_blank();
                    match self.lines.get(self.pos) {
                        Some(n) if n.indent > indent => {
                            let i = n.indent;
                            out.push(self.node(i)?);
                        }
                        _ => out.push(Value::Null),
                    }
                } else if split_key(rest).is_some() || rest.starts_with("- ") {
                    // `- key: value` opens a mapping (or `- - x` a sequence) at the item's column.
                    let col = indent + (text.len() - rest.len());
                    let l = &mut self.lines[self.pos];
                    l.indent = col;
                    l.text = rest.to_string();
                    out.push(self.node(col)?);
                } else {
                    out.push(self.inline_value(rest, indent, no)?);
                }
            }
            Ok(Value::Array(out))
        }

        fn map(&mut self, indent: usize) -> Result<Value, String> {
            let mut out = Map::new();
            loop {
                self.skip_blank();
                if self.pos >= self.lines.len() {
                    break;
                }
                let (no, ind, text) = {
                    let l = &self.lines[self.pos];
                    (l.no, l.indent, l.text.clone())
                };
                if ind < indent || text == "-" || text.starts_with("- ") {
                    break;
                }
                if ind > indent {
                    return Err(format!("line {no}: bad indentation in a mapping"));
                }
                let (key, rest) = split_key(&text)
                    .ok_or_else(|| format!("line {no}: expected `key: value`, found {text}"))?;
                let value = if rest.is_empty() {
                    self.pos += 1;
                    self.skip_blank();
                    match self.lines.get(self.pos) {
                        Some(n) if n.indent > indent => {
                            let i = n.indent;
                            self.node(i)?
                        }
                        Some(n)
                            if n.indent == indent
                                && (n.text == "-" || n.text.starts_with("- ")) =>
                        {
                            self.seq(indent)?
                        }
                        _ => Value::Null,
                    }
                } else {
                    self.inline_value(&rest, indent, no)?
                };
                if out.insert(key.clone(), value).is_some() {
                    return Err(format!("line {no}: duplicate key {key}"));
                }
            }
            Ok(Value::Object(out))
        }

        /// A value written after `key:` or `- ` on line `no` (consumes that line, and the block of
        /// a block scalar).
        fn inline_value(&mut self, rest: &str, indent: usize, no: usize) -> Result<Value, String> {
            self.pos += 1;
            match rest {
                "|" | "|-" => {
                    let mut body: Vec<String> = Vec::new();
                    let mut block_indent = None;
                    while self.pos < self.lines.len() {
                        let l = &self.lines[self.pos];
                        let blank = l.raw.trim().is_empty();
                        if !blank && l.indent <= indent {
                            break;
                        }
                        if !blank && block_indent.is_none() {
                            block_indent = Some(l.indent);
                        }
                        let bi = block_indent.unwrap_or(usize::MAX);
                        if !blank && l.indent < bi {
                            return Err(format!("line {}: block scalar dedented", l.no));
                        }
                        body.push(if blank {
                            String::new()
                        } else {
                            l.raw[bi..].to_string()
                        });
                        self.pos += 1;
                    }
                    while body.last().is_some_and(|s| s.is_empty()) {
                        body.pop();
                    }
                    let mut s = body.join("\n");
                    if rest == "|" && !s.is_empty() {
                        s.push('\n');
                    }
                    Ok(Value::String(s))
                }
                _ if rest.starts_with('>') || rest.starts_with('|') => Err(format!(
                    "line {no}: only `|` and `|-` block scalars are supported"
                )),
                _ if rest.starts_with('{') => {
                    Err(format!("line {no}: flow mappings are not supported"))
                }
                _ if rest.starts_with('&') || rest.starts_with('*') || rest.starts_with('!') => {
                    Err(format!(
                        "line {no}: anchors, aliases and tags are not supported"
                    ))
                }
                _ if rest.starts_with('[') => {
                    let inner = rest
                        .strip_prefix('[')
                        .and_then(|r| r.strip_suffix(']'))
                        .ok_or_else(|| {
                            format!("line {no}: a flow sequence must end on its line")
                        })?;
                    let mut items = Vec::new();
                    for part in split_commas(inner) {
                        let part = part.trim();
                        if part.is_empty() {
                            continue;
                        }
                        if part.starts_with('[') || part.starts_with('{') {
                            return Err(format!(
                                "line {no}: nested flow collections are not supported"
                            ));
                        }
                        items.push(scalar(part).map_err(|e| format!("line {no}: {e}"))?);
                    }
                    Ok(Value::Array(items))
                }
                _ => scalar(rest).map_err(|e| format!("line {no}: {e}")),
            }
        }
    }

    /// `key: rest` (or `key:`), the key plain or quoted.
    fn split_key(text: &str) -> Option<(String, String)> {
        if text.starts_with('"') || text.starts_with('\'') {
            let end = quoted_end(text)?;
            let key = scalar(&text[..end]).ok()?.as_str()?.to_string();
            let after = &text[end..];
            let rest = after.strip_prefix(':')?;
            if !(rest.is_empty() || rest.starts_with(' ')) {
                return None;
            }
            return Some((key, rest.trim().to_string()));
        }
        if text.starts_with('[') || text.starts_with('{') {
            return None;
        }
        let idx = text
            .match_indices(':')
            .map(|(i, _)| i)
            .find(|&i| i + 1 == text.len() || text.as_bytes()[i + 1] == b' ')?;
        let key = text[..idx].trim();
        if key.is_empty() {
            return None;
        }
        Some((key.to_string(), text[idx + 1..].trim().to_string()))
    }

    fn quoted_end(s: &str) -> Option<usize> {
        let q = s.chars().next()?;
        let mut esc = false;
        let mut chars = s.char_indices().skip(1).peekable();
        while let Some((i, c)) = chars.next() {
            if q == '"' {
                if esc {
                    esc = false;
                } else if c == '\\' {
                    esc = true;
                } else if c == '"' {
                    return Some(i + 1);
                }
            } else if c == '\'' {
                if chars.peek().map(|&(_, n)| n) == Some('\'') {
                    chars.next();
                } else {
                    return Some(i + 1);
                }
            }
        }
        None
    }

    fn split_commas(s: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = s;
        loop {
            let t = rest.trim_start();
            if t.is_empty() {
                break;
            }
            let end = if t.starts_with('"') || t.starts_with('\'') {
                quoted_end(t).unwrap_or(t.len())
            } else {
                0
            };
            match t[end..].find(',') {
                Some(i) => {
                    out.push(t[..end + i].to_string());
                    rest = &t[end + i + 1..];
                }
                None => {
                    out.push(t.to_string());
                    break;
                }
            }
        }
        out
    }

    fn scalar(s: &str) -> Result<Value, String> {
        let s = s.trim();
        if s.starts_with('"') {
            if quoted_end(s) != Some(s.len()) {
                return Err(format!("bad double-quoted scalar {s}"));
            }
            return serde_json::from_str::<String>(s)
                .map(Value::String)
                .map_err(|e| format!("double-quoted scalar {s}: {e}"));
        }
        if s.starts_with('\'') {
            if quoted_end(s) != Some(s.len()) {
                return Err(format!("bad single-quoted scalar {s}"));
            }
            return Ok(Value::String(s[1..s.len() - 1].replace("''", "'")));
        }
        if s.starts_with('&') || s.starts_with('*') || s.starts_with('!') || s.starts_with('{') {
            return Err(format!("unsupported scalar {s}"));
        }
        Ok(match s {
            "" | "~" | "null" | "Null" | "NULL" => Value::Null,
            "true" | "True" | "TRUE" => Value::Bool(true),
            "false" | "False" | "FALSE" => Value::Bool(false),
            _ => {
                let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
                let is_int = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
                if is_int && (digits == "0" || !digits.starts_with('0')) {
                    s.parse::<i64>()
                        .map(Value::from)
                        .unwrap_or(Value::String(s.to_string()))
                } else if is_int {
                    return Err(format!("{s}: a number with a leading zero means different things to different YAML readers; quote it"));
                } else if digits.contains('.')
                    && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                    && digits.matches('.').count() == 1
                    && digits.len() > 1
                {
                    s.parse::<f64>()
                        .map(Value::from)
                        .unwrap_or(Value::String(s.to_string()))
                } else {
                    Value::String(s.to_string())
                }
            }
        })
    }
}

fn read_yaml(rel: &str) -> Value {
    yaml::parse(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

const YAML_FILES: [&str; 5] = [
    "docker-compose.yml",
    "dashboards/prometheus.yml",
    "dashboards/alerts.yml",
    "dashboards/grafana/provisioning/datasources/prometheus.yml",
    "dashboards/grafana/provisioning/dashboards/synth-review.yml",
];

/// Our YAML reader and PyYAML agree on every YAML file we ship (skipped where python3 has no
/// PyYAML: the reader's own checks still run in every other test).
#[test]
fn yaml_matches_pyyaml() {
    let probe = Command::new("python3")
        .args(["-c", "import yaml"])
        .stderr(Stdio::null())
        .status();
    if !probe.map(|s| s.success()).unwrap_or(false) {
        eprintln!("python3 with PyYAML not found: cross-check skipped");
        return;
    }
    for rel in YAML_FILES {
        let out = Command::new("python3")
            .args([
                "-c",
                "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding='utf-8'))))",
            ])
            .arg(repo().join(rel))
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "PyYAML cannot read {rel}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            read_yaml(rel),
            theirs,
            "{rel}: our YAML reader and PyYAML disagree"
        );
    }
    // The reader refuses what it does not understand instead of guessing.
    for bad in [
        "a: &x 1\nb: *x\n",
        "a: >\n  folded\n",
        "a: {b: 1}\n",
        "a: 1\na: 2\n",
        "a: 0755\n",
    ] {
        assert!(yaml::parse(bad).is_err(), "accepted {bad:?}");
    }
}

// ------------------------------------------------------------------ PromQL helpers --------

/// Every expression of every dashboard panel target: (panel title, legendFormat, expr).
fn dashboard_targets(d: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for p in d["panels"].as_array().expect("panels") {
        let mut all = vec![p];
        if let Some(inner) = p["panels"].as_array() {
            all.extend(inner.iter());
        }
        for p in all {
            for t in p["targets"].as_array().into_iter().flatten() {
                if let Some(e) = t["expr"].as_str() {
                    out.push((
                        p["title"].as_str().unwrap_or_default().to_string(),
                        t["legendFormat"].as_str().unwrap_or_default().to_string(),
                        e.to_string(),
                    ));
                }
            }
        }
    }
    out
}

/// The dashboard variables as Prometheus sees them in a test: every worker, and a rate window.
fn substitute(expr: &str, window: &str) -> String {
    let e = expr
        .replace("${__rate_interval}", window)
        .replace("$__rate_interval", window)
        .replace("${instance}", ".+")
        .replace("$instance", ".+");
    assert!(!e.contains('$'), "unknown dashboard variable in {expr}");
    e
}

const PROMQL_WORDS: &[&str] = &[
    "sum",
    "min",
    "max",
    "avg",
    "count",
    "group",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "quantile",
    "count_values",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "inf",
    "nan",
    "atan2",
];

/// Metric names used by a PromQL expression: identifiers that are not functions (followed by
/// `(`), keywords, label names (inside `{…}` or a `by (…)`-style list), strings or durations.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let b: Vec<char> = expr.chars().collect();
    let mut out = BTreeSet::new();
    let mut i = 0;
    let mut label_list = false; // inside `by (…)`, `on (…)`, …
    let mut last_word = String::new();
    while i < b.len() {
        let c = b[i];
        if c == '"' || c == '\'' || c == '`' {
            i += 1;
            while i < b.len() && b[i] != c {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else if c == '{' || c == '[' {
            let close = if c == '{' { '}' } else { ']' };
            while i < b.len() && b[i] != close {
                if b[i] == '"' {
                    i += 1;
                    while i < b.len() && b[i] != '"' {
                        if b[i] == '\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                }
                i += 1;
            }
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && b.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == '.') {
                let e = b[i] == 'e' || b[i] == 'E';
                i += 1;
                if e && i < b.len() && (b[i] == '+' || b[i] == '-') {
                    i += 1;
                }
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == '_' || b[i] == ':') {
                i += 1;
            }
            let word: String = b[start..i].iter().collect();
            let mut j = i;
            while j < b.len() && b[j].is_whitespace() {
                j += 1;
            }
            let is_call = j < b.len() && b[j] == '(';
            if !label_list && !is_call && !PROMQL_WORDS.contains(&word.as_str()) {
                out.insert(word.clone());
            }
            last_word = word;
        } else if c == '(' {
            if [
                "by",
                "without",
                "on",
                "ignoring",
                "group_left",
                "group_right",
            ]
            .contains(&last_word.as_str())
            {
                label_list = true;
            }
            last_word.clear();
            i += 1;
        } else if c == ')' {
            label_list = false;
            last_word.clear();
            i += 1;
        } else {
            if !c.is_whitespace() {
                last_word.clear();
            }
            i += 1;
        }
    }
    out
}

#[test]
fn metric_name_tokenizer() {
    let e = r#"sum by (decision, le) (rate(synth_review_events_total{decision!="a b (c)",instance=~"$x"}[5m] offset 1d)) / ignoring(decision) group_left (x) clamp_min(foo:bar, 1e-9) > 2 * up and on() vector(0.5)"#;
    let got: Vec<String> = metric_names(e).into_iter().collect();
    assert_eq!(got, ["foo:bar", "synth_review_events_total", "up"]);
}

// ------------------------------------------------------------------ Prometheus ------------

struct Prometheus {
    proc: KillOnDrop,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts the real Prometheus on a free loopback port, scraping `127.0.0.1:{worker_port}` as
    /// job `synth-review` every second and evaluating `dashboards/alerts.yml` every second.
    fn start(worker_port: u16) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
                 rule_files:\n  - \"{}\"\n\
                 scrape_configs:\n  - job_name: synth-review\n    static_configs:\n      - targets: [\"127.0.0.1:{worker_port}\"]\n",
                repo().join("dashboards/alerts.yml").display()
            ),
        )
        .unwrap();
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
        let mut p = Prometheus {
            proc: KillOnDrop(Some(child)),
            port,
            log,
            _dir: dir,
        };
        wait_for("Prometheus to be ready", Duration::from_secs(60), || {
            if let Some(status) = p.proc.child().try_wait().unwrap() {
                panic!("prometheus exited with {status}: {}", p.log_tail());
            }
            matches!(http_get(port, "/-/ready"), Ok((200, _))).then_some(())
        });
        p
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    fn api(&self, path_and_query: &str) -> Value {
        let (code, body) = http_get(self.port, path_and_query)
            .unwrap_or_else(|e| panic!("GET {path_and_query}: {e}\n{}", self.log_tail()));
        let v: Value = serde_json::from_str(&body).unwrap_or_else(|e| {
            panic!("GET {path_and_query}: HTTP {code}, not JSON ({e}): {body}")
        });
        v
    }

    /// `/api/v1/query` at the current time: the whole answer (status, data or error).
    fn query(&self, expr: &str) -> Value {
        self.api(&format!("/api/v1/query?query={}", enc(expr)))
    }

    /// The result vector of an instant query that must succeed.
    fn vector(&self, expr: &str) -> Vec<Value> {
        let v = self.query(expr);
        assert_eq!(v["status"], "success", "{expr}: {v}");
        v["data"]["result"].as_array().cloned().unwrap_or_default()
    }

    fn scalar(&self, expr: &str) -> Option<f64> {
        self.vector(expr)
            .first()
            .and_then(|s| s["value"][1].as_str()?.parse().ok())
    }

    fn query_range(&self, expr: &str, start: f64, end: f64, step: f64) -> Value {
        self.api(&format!(
            "/api/v1/query_range?query={}&start={start:.3}&end={end:.3}&step={step}",
            enc(expr)
        ))
    }
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

// ------------------------------------------------------------------ static checks ---------

#[test]
fn promtool_accepts_the_config_and_the_rules() {
    for args in [
        vec!["check", "config", "dashboards/prometheus.yml"],
        vec!["check", "rules", "dashboards/alerts.yml"],
    ] {
        let out = Command::new(promtool())
            .args(&args)
            .current_dir(repo())
            .output()
            .expect("run promtool");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "promtool {args:?} failed:\n{text}");
        assert!(text.contains("SUCCESS"), "promtool {args:?}:\n{text}");
    }
}

#[test]
fn dashboard_is_current_grafana_schema_with_the_agreed_rows() {
    let d = dashboard();
    assert!(d["schemaVersion"].as_i64().unwrap() >= 39, "schemaVersion");
    assert_eq!(d["uid"], "synth-review");
    assert!(
        d["id"].is_null(),
        "provisioned dashboards carry no numeric id"
    );
    let vars = d["templating"]["list"].as_array().unwrap();
    let ds = vars
        .iter()
        .find(|v| v["name"] == "datasource")
        .expect("a `datasource` template variable");
    assert_eq!(ds["type"], "datasource");
    assert_eq!(ds["query"], "prometheus");

    let panels = d["panels"].as_array().unwrap();
    let rows: Vec<&str> = panels
        .iter()
        .filter(|p| p["type"] == "row")
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(rows, ROWS);
    let mut ids = BTreeSet::new();
    let mut cells = BTreeSet::new();
    for p in panels {
        assert!(
            ids.insert(p["id"].as_i64().unwrap()),
            "duplicate panel id {}",
            p["id"]
        );
        let g = &p["gridPos"];
        let (x, y, w, h) = (
            g["x"].as_i64().unwrap(),
            g["y"].as_i64().unwrap(),
            g["w"].as_i64().unwrap(),
            g["h"].as_i64().unwrap(),
        );
        assert!(
            x >= 0 && w > 0 && x + w <= 24 && h > 0,
            "{} outside the 24-column grid",
            p["title"]
        );
        for cx in x..x + w {
            for cy in y..y + h {
                assert!(
                    cells.insert((cx, cy)),
                    "{} overlaps another panel",
                    p["title"]
                );
            }
        }
        if matches!(p["type"].as_str(), Some("row" | "text")) {
            continue;
        }
        assert_eq!(p["datasource"]["uid"], "${datasource}", "{}", p["title"]);
        let targets = p["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "{} has no query", p["title"]);
        for t in targets {
            assert_eq!(t["datasource"]["uid"], "${datasource}", "{}", p["title"]);
        }
        assert!(
            p["description"].as_str().is_some_and(|s| !s.is_empty()),
            "{} has no description",
            p["title"]
        );
    }

    let targets = dashboard_targets(&d);
    let mut used = BTreeSet::new();
    for (title, _, expr) in &targets {
        // Every range is Grafana's rate interval, so panels follow the scrape interval.
        for (i, _) in expr.match_indices('[') {
            assert!(
                expr[i..].starts_with("[$__rate_interval]"),
                "{title}: use [$__rate_interval] in {expr}"
            );
        }
        used.extend(metric_names(&substitute(expr, RATE_WINDOW)));
    }
    for m in [
        "synth_review_events_total",
        "synth_review_reasons_total",
        "synth_review_dead_letters_total",
        "synth_review_stage_duration_seconds_bucket",
        "synth_review_review_latency_seconds_bucket",
        "synth_review_consumer_lag",
        "synth_review_consumer_assigned_partitions",
        "synth_review_kafka_produce_errors_total",
        "synth_review_config_reloads_total",
        "synth_review_lexicon_terms",
        "synth_review_process_cpu_seconds_total",
        "synth_review_process_resident_memory_bytes",
        "synth_review_process_open_fds",
    ] {
        assert!(used.contains(m), "no panel shows {m}");
    }
    // Exactly-once transactions are charted (committed vs aborted).
    assert!(
        targets
            .iter()
            .any(|(_, _, expr)| expr.contains(TRANSACTIONS)),
        "no panel shows {TRANSACTIONS}"
    );
}

fn alert_rules() -> Vec<Value> {
    let doc = read_yaml("dashboards/alerts.yml");
    doc["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap().clone())
        .collect()
}

#[test]
fn alerts_have_a_summary_and_an_inline_runbook() {
    let rules = alert_rules();
    let names: Vec<&str> = rules
        .iter()
        .map(|r| r["alert"].as_str().expect("alerting rules only"))
        .collect();
    assert_eq!(names, ALERTS);
    for r in &rules {
        let name = r["alert"].as_str().unwrap();
        let expr = r["expr"].as_str().unwrap();
        assert!(
            expr.contains(r#"job="synth-review""#),
            "{name}: select job=\"synth-review\""
        );
        assert!(
            matches!(
                r["labels"]["severity"].as_str(),
                Some("critical" | "warning")
            ),
            "{name}: severity"
        );
        assert!(
            r["annotations"]["summary"]
                .as_str()
                .is_some_and(|s| s.len() > 10),
            "{name}: summary"
        );
        let runbook = r["annotations"]["runbook"].as_str().unwrap_or_default();
        for part in ["Meaning:", "First checks:", "Mitigate:"] {
            assert!(runbook.contains(part), "{name}: the runbook needs `{part}`");
        }
    }
    let by_name = |n: &str| {
        rules.iter().find(|r| r["alert"] == n).unwrap()["expr"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(by_name("SynthReviewWorkerDown").contains("up{job=\"synth-review\"} == 0"));
    assert_eq!(
        rules
            .iter()
            .find(|r| r["alert"] == "SynthReviewConsumerLagGrowing")
            .unwrap()["for"],
        "10m"
    );
    assert!(by_name("SynthReviewStalled").contains("synth_review_consumer_lag"));
}

/// One `promtool test rules` case: input series (1-minute samples, promtool's expanding
/// notation), and at `at` the alerts of `alert` that must fire, as label sets beyond `alertname`.
struct AlertCase {
    alert: &'static str,
    series: &'static [(&'static str, &'static str)],
    quiet_at: &'static str,
    at: &'static str,
    fires: &'static [&'static [(&'static str, &'static str)]],
}

/// Each alert fires on the situation it describes (and not before its `for`, nor on a healthy
/// neighbour), run by `promtool test rules` on a copy of `dashboards/alerts.yml` with the
/// annotations left out (their templates are checked by `promtool check rules`).
#[test]
fn alert_rules_fire_on_synthetic_series() {
    let cases = [
        AlertCase {
            alert: "SynthReviewWorkerDown",
            series: &[
                (r#"up{job="synth-review",instance="w1:9464"}"#, "1 1 0x20"),
                (r#"up{job="synth-review",instance="w2:9464"}"#, "1x22"),
            ],
            quiet_at: "3m", // down for 1m only
            at: "10m",
            fires: &[&[
                ("instance", "w1:9464"),
                ("job", "synth-review"),
                ("severity", "critical"),
            ]],
        },
        AlertCase {
            alert: "SynthReviewConsumerLagGrowing",
            series: &[
                // Grows by 200 a minute on one topic; high but flat on another.
                (
                    r#"synth_review_consumer_lag{job="synth-review",instance="w1:9464",topic="in",partition="0"}"#,
                    "0+200x40",
                ),
                (
                    r#"synth_review_consumer_lag{job="synth-review",instance="w1:9464",topic="flat",partition="0"}"#,
                    "5000x40",
                ),
            ],
            quiet_at: "12m", // above 1000 since minute 6, not yet for 10m
            at: "30m",
            fires: &[&[("severity", "warning"), ("topic", "in")]],
        },
        AlertCase {
            alert: "SynthReviewDeadLetters",
            series: &[
                // 100 messages/s of which 2/s are dead letters (2 %).
                (
                    r#"synth_review_events_total{job="synth-review",instance="w1:9464",decision="approve"}"#,
                    "0+5880x40",
                ),
                (
                    r#"synth_review_events_total{job="synth-review",instance="w1:9464",decision="dead_letter"}"#,
                    "0+120x40",
                ),
                (
                    r#"synth_review_dead_letters_total{job="synth-review",instance="w1:9464",reason="schema"}"#,
                    "0+120x40",
                ),
            ],
            quiet_at: "5m", // true from the second minute on, not yet for 10m
            at: "30m",
            fires: &[&[("severity", "warning")]],
        },
        AlertCase {
            alert: "SynthReviewHoldRateSpike",
            series: &[
                // A day at 1 hold/s of 20/s, then 10 holds/s.
                (
                    r#"synth_review_events_total{job="synth-review",instance="w1:9464",decision="approve"}"#,
                    "0+1140x1500",
                ),
                (
                    r#"synth_review_events_total{job="synth-review",instance="w1:9464",decision="hold"}"#,
                    "0+60x1440 86460+600x60",
                ),
            ],
            quiet_at: "1440m",
            at: "1480m",
            fires: &[&[("severity", "warning")]],
        },
        AlertCase {
            alert: "SynthReviewLatencyHigh",
            series: &[
                // Every message takes between 1 s and 2.5 s.
                (
                    r#"synth_review_review_latency_seconds_bucket{job="synth-review",instance="w1:9464",le="0.1"}"#,
                    "0x40",
                ),
                (
                    r#"synth_review_review_latency_seconds_bucket{job="synth-review",instance="w1:9464",le="1"}"#,
                    "0x40",
                ),
                (
                    r#"synth_review_review_latency_seconds_bucket{job="synth-review",instance="w1:9464",le="2.5"}"#,
                    "0+600x40",
                ),
                (
                    r#"synth_review_review_latency_seconds_bucket{job="synth-review",instance="w1:9464",le="+Inf"}"#,
                    "0+600x40",
                ),
            ],
            quiet_at: "10m",
            at: "25m",
            fires: &[&[("severity", "warning")]],
        },
        AlertCase {
            alert: "SynthReviewStalled",
            series: &[
                // Counted 5000 events, then nothing more while 700 wait.
                (
                    r#"synth_review_events_total{job="synth-review",instance="w1:9464",decision="approve"}"#,
                    "0+500x10 5000x30",
                ),
                (
                    r#"synth_review_consumer_lag{job="synth-review",instance="w1:9464",topic="in",partition="0"}"#,
                    "0x10 700x30",
                ),
            ],
            quiet_at: "12m",
            at: "25m",
            fires: &[&[("severity", "critical")]],
        },
        AlertCase {
            alert: "SynthReviewProduceErrors",
            series: &[
                (
                    r#"synth_review_kafka_produce_errors_total{job="synth-review",instance="w1:9464"}"#,
                    "0 0 0 1 1 1 1",
                ),
                (
                    r#"synth_review_kafka_produce_errors_total{job="synth-review",instance="w2:9464"}"#,
                    "0x6",
                ),
            ],
            quiet_at: "2m",
            at: "5m",
            fires: &[&[("instance", "w1:9464"), ("severity", "warning")]],
        },
        AlertCase {
            alert: "SynthReviewWorkerRestarting",
            series: &[
                (
                    r#"synth_review_process_start_time_seconds{job="synth-review",instance="w1:9464"}"#,
                    "100 100 220 340 460 460 460",
                ),
                (
                    r#"synth_review_process_start_time_seconds{job="synth-review",instance="w2:9464"}"#,
                    "100x6",
                ),
            ],
            quiet_at: "3m", // two restarts so far
            at: "5m",
            fires: &[&[
                ("instance", "w1:9464"),
                ("job", "synth-review"),
                ("severity", "warning"),
            ]],
        },
        AlertCase {
            alert: "SynthReviewReloadFailed",
            series: &[
                (
                    r#"synth_review_config_reloads_total{job="synth-review",instance="w1:9464",result="error"}"#,
                    "0 0 0 1 1 1",
                ),
                (
                    r#"synth_review_config_reloads_total{job="synth-review",instance="w1:9464",result="success"}"#,
                    "0 1 1 1 1 1",
                ),
            ],
            quiet_at: "2m",
            at: "5m",
            fires: &[&[("instance", "w1:9464"), ("severity", "warning")]],
        },
        AlertCase {
            alert: "SynthReviewTransactionsAborting",
            series: &[
                // w1 aborts every batch (one a minute, nothing committed) from minute 5 on;
                // w2 aborts as often but keeps committing (rebalances): no alert for w2.
                (
                    r#"synth_review_transactions_total{job="synth-review",instance="w1:9464",result="aborted"}"#,
                    "0x5 1+1x30",
                ),
                (
                    r#"synth_review_transactions_total{job="synth-review",instance="w1:9464",result="committed"}"#,
                    "0+10x5 50x30",
                ),
                (
                    r#"synth_review_transactions_total{job="synth-review",instance="w2:9464",result="aborted"}"#,
                    "0+1x35",
                ),
                (
                    r#"synth_review_transactions_total{job="synth-review",instance="w2:9464",result="committed"}"#,
                    "0+10x35",
                ),
            ],
            quiet_at: "12m", // commits of minutes 0-5 still inside the 10m window until minute 15
            at: "30m",
            fires: &[&[("instance", "w1:9464"), ("severity", "critical")]],
        },
    ];
    let covered: Vec<&str> = cases.iter().map(|c| c.alert).collect();
    assert_eq!(covered, ALERTS, "one case per alert");

    // The rules without annotations, as JSON (which YAML readers accept).
    let mut doc = read_yaml("dashboards/alerts.yml");
    for g in doc["groups"].as_array_mut().unwrap() {
        for r in g["rules"].as_array_mut().unwrap() {
            r.as_object_mut().unwrap().remove("annotations");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.json"), doc.to_string()).unwrap();
    let tests: Vec<Value> = cases
        .iter()
        .map(|c| {
            let exp: Vec<Value> = c
                .fires
                .iter()
                .map(|labels| {
                    let m: serde_json::Map<String, Value> = labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), Value::from(*v)))
                        .collect();
                    serde_json::json!({ "exp_labels": m })
                })
                .collect();
            serde_json::json!({
                "name": c.alert,
                "interval": "1m",
                "input_series": c.series.iter().map(|(s, v)| serde_json::json!({"series": s, "values": v})).collect::<Vec<_>>(),
                "alert_rule_test": [
                    {"eval_time": c.quiet_at, "alertname": c.alert, "exp_alerts": []},
                    {"eval_time": c.at, "alertname": c.alert, "exp_alerts": exp},
                ],
            })
        })
        .collect();
    let test_file = dir.path().join("alerts.test.json");
    std::fs::write(
        &test_file,
        serde_json::json!({"rule_files": ["rules.json"], "evaluation_interval": "1m", "tests": tests}).to_string(),
    )
    .unwrap();
    let out = Command::new(promtool())
        .args(["test", "rules"])
        .arg(&test_file)
        .current_dir(dir.path())
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "promtool test rules:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The service names, port map and mounted files of `docker-compose.yml`, and what they must agree
/// with: the Dockerfile, Prometheus' scrape targets, Grafana's provisioning and the pipeline's
/// topics.
#[test]
fn compose_stack_is_consistent() {
    // Where the Compose plugin exists, it validates the file against the Compose specification.
    let compose = Command::new("docker")
        .args(["compose", "version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if compose {
        let out = Command::new("docker")
            .args(["compose", "-f", "docker-compose.yml", "config", "-q"])
            .current_dir(repo())
            .output()
            .expect("docker compose config");
        assert!(
            out.status.success(),
            "docker compose config -q: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        eprintln!(
            "`docker compose` is not available: docker-compose.yml is checked statically only"
        );
    }
    let c = read_yaml("docker-compose.yml");
    let services = c["services"].as_object().expect("services");
    let names: BTreeSet<&str> = services.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "kafka",
            "kafka-init",
            "worker-1",
            "worker-2",
            "prometheus",
            "grafana"
        ])
    );
    let known_keys = [
        "image",
        "build",
        "command",
        "entrypoint",
        "environment",
        "ports",
        "volumes",
        "depends_on",
        "healthcheck",
        "restart",
        "stop_grace_period",
    ];
    let mut host_ports = BTreeMap::new();
    for (name, s) in services {
        for k in s.as_object().unwrap().keys() {
            assert!(
                known_keys.contains(&k.as_str()),
                "{name}: unexpected key {k}"
            );
        }
        assert!(s["image"].is_string(), "{name}: image");
        for p in s["ports"].as_array().into_iter().flatten() {
            let p = p
                .as_str()
                .unwrap_or_else(|| panic!("{name}: quote port {p}"));
            let (host, container) = p.split_once(':').unwrap();
            let host: u16 = host.parse().unwrap();
            let _: u16 = container.parse().unwrap();
            assert!(
                host_ports.insert(host, name.clone()).is_none(),
                "host port {host} used twice"
            );
        }
        for v in s["volumes"].as_array().into_iter().flatten() {
            let v = v.as_str().unwrap();
            let host = v.split(':').next().unwrap();
            assert!(
                host.starts_with("./"),
                "{name}: bind mounts are repository files: {v}"
            );
            assert!(
                repo().join(host).exists(),
                "{name}: mounted {host} does not exist in the repository"
            );
        }
        if let Some(deps) = s["depends_on"].as_object() {
            for (dep, cond) in deps {
                assert!(
                    services.contains_key(dep),
                    "{name} depends on unknown {dep}"
                );
                let cond = cond["condition"].as_str().unwrap();
                if cond == "service_healthy" {
                    assert!(
                        services[dep]["healthcheck"].is_object(),
                        "{dep} needs a healthcheck"
                    );
                }
            }
        }
        for dep in s["depends_on"].as_array().into_iter().flatten() {
            assert!(
                services.contains_key(dep.as_str().unwrap()),
                "{name} depends on unknown {dep}"
            );
        }
    }
    assert_eq!(
        host_ports.keys().copied().collect::<Vec<_>>(),
        [3000, 9090, 9464, 9465, 29092]
    );

    // Kafka: the official image, KRaft, and the listener the workers use.
    let kafka = &c["services"]["kafka"];
    assert!(kafka["image"]
        .as_str()
        .unwrap()
        .starts_with("apache/kafka:"));
    let env = &kafka["environment"];
    assert!(
        env["KAFKA_PROCESS_ROLES"]
            .as_str()
            .unwrap()
            .contains("controller"),
        "KRaft"
    );
    assert!(env.get("KAFKA_ZOOKEEPER_CONNECT").is_none());
    assert!(env["KAFKA_ADVERTISED_LISTENERS"]
        .as_str()
        .unwrap()
        .contains("PLAINTEXT://kafka:9092"));

    // The topic creator makes every topic of the pipeline the workers run.
    let init = &c["services"]["kafka-init"];
    assert_eq!(init["depends_on"]["kafka"]["condition"], "service_healthy");
    assert_eq!(init["image"], kafka["image"]);
    let script = init["command"][0].as_str().unwrap();
    let pipeline =
        load_pipeline(&repo().join("pipelines/default.toml"), &Disk).expect("default pipeline");
    let t = &pipeline.file.topics;
    for topic in [
        &t.input,
        &t.approved,
        &t.held,
        &t.rejected,
        &t.dead_letter,
        &t.audit,
    ] {
        assert!(
            script.contains(topic.as_str()),
            "kafka-init does not create {topic}"
        );
    }

    // Two workers from the repository's Dockerfile, one group, metrics on 9464.
    let mut scrape_targets = BTreeSet::new();
    for w in ["worker-1", "worker-2"] {
        let s = &c["services"][w];
        assert_eq!(s["build"]["context"], ".");
        assert!(repo()
            .join(s["build"]["dockerfile"].as_str().unwrap())
            .is_file());
        let cmd: Vec<&str> = s["command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(cmd[0], "run");
        let pipeline = cmd[cmd.iter().position(|a| *a == "--pipeline").unwrap() + 1];
        let in_repo = pipeline
            .strip_prefix("/app/")
            .expect("the image keeps pipelines under /app");
        assert!(
            repo().join(in_repo).is_file(),
            "{w}: {pipeline} is not in the image"
        );
        assert_eq!(
            cmd[cmd.iter().position(|a| *a == "--listen").unwrap() + 1],
            "0.0.0.0:9464"
        );
        assert_eq!(s["environment"]["SYNTH_REVIEW_BROKERS"], "kafka:9092");
        assert_eq!(s["environment"]["SYNTH_REVIEW_GROUP_ID"], "synth-review");
        assert_eq!(
            s["depends_on"]["kafka-init"]["condition"],
            "service_completed_successfully"
        );
        scrape_targets.insert(format!("{w}:9464"));
    }

    // Prometheus scrapes exactly the workers, as job synth-review, with the rules mounted beside
    // its config so that `rule_files: [alerts.yml]` resolves in the container.
    let prom = read_yaml("dashboards/prometheus.yml");
    let job = prom["scrape_configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job_name"] == "synth-review")
        .expect("job synth-review");
    let targets: BTreeSet<String> = job["static_configs"][0]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(targets, scrape_targets);
    assert_eq!(prom["rule_files"], serde_json::json!(["alerts.yml"]));
    let mounts = |svc: &str| -> BTreeMap<String, String> {
        c["services"][svc]["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let parts: Vec<&str> = v.as_str().unwrap().split(':').collect();
                (parts[1].to_string(), parts[0].to_string())
            })
            .collect()
    };
    let pm = mounts("prometheus");
    assert_eq!(
        pm["/etc/prometheus/prometheus.yml"],
        "./dashboards/prometheus.yml"
    );
    assert_eq!(pm["/etc/prometheus/alerts.yml"], "./dashboards/alerts.yml");

    // Grafana: the provisioned data source is the prometheus service, and the dashboards provider
    // reads the folder the dashboard JSON is mounted into.
    let gm = mounts("grafana");
    let ds = read_yaml("dashboards/grafana/provisioning/datasources/prometheus.yml");
    assert_eq!(ds["datasources"][0]["type"], "prometheus");
    assert_eq!(ds["datasources"][0]["url"], "http://prometheus:9090");
    let provider = read_yaml("dashboards/grafana/provisioning/dashboards/synth-review.yml");
    let folder = provider["providers"][0]["options"]["path"]
        .as_str()
        .unwrap();
    let dash_target = gm
        .iter()
        .find(|(_, host)| *host == "./dashboards/synth-review.json")
        .unwrap()
        .0;
    assert_eq!(Path::new(dash_target).parent().unwrap(), Path::new(folder));
    assert_eq!(
        gm["/etc/grafana/provisioning/datasources"],
        "./dashboards/grafana/provisioning/datasources"
    );
    assert_eq!(
        gm["/etc/grafana/provisioning/dashboards"],
        "./dashboards/grafana/provisioning/dashboards"
    );
}

/// The host target triple, from `rustc -vV`.
fn host_triple() -> String {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_string()
}

/// The Dockerfile is a two-stage build whose Rust image can build the locked dependencies (their
/// highest `rust-version`) and has what rdkafka-sys needs to compile librdkafka.
#[test]
fn dockerfile_builds_the_locked_dependencies() {
    let text = read("Dockerfile");
    let froms: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "a two-stage build: {froms:?}");
    let rust_image = froms[0].split_whitespace().nth(1).unwrap();
    let tag = rust_image
        .strip_prefix("rust:")
        .expect("the build stage uses the official rust image");
    let mut ver: Vec<u32> = tag
        .split('-')
        .next()
        .unwrap()
        .split('.')
        .map(|p| p.parse().unwrap())
        .collect();
    ver.resize(3, 0);
    for tool in ["cmake", "make", "g++"] {
        assert!(
            text.contains(&format!(" {tool} ")),
            "the build stage installs {tool}"
        );
    }
    assert!(text.contains("--locked"));
    assert!(text.contains("COPY --from=build"));
    assert!(text.contains("COPY pipelines /app/pipelines") && text.contains("COPY data /app/data"));
    let rt = froms[1].split_whitespace().nth(1).unwrap();
    assert!(
        tag.ends_with(rt.split(':').nth(1).unwrap().trim_end_matches("-slim")),
        "build and runtime share a Debian release: {tag} vs {rt}"
    );

    // Highest rust-version among the packages the release binary is built from.
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        // Only what builds on this platform: the tests ran offline-capable builds for it, while
        // other targets' packages (e.g. dev tools' wasm deps) were never downloaded.
        .args(["--filter-platform", &host_triple()])
        .current_dir(repo())
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rust_version: BTreeMap<&str, &str> = m["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p["rust_version"].as_str()?)))
        .collect();
    let nodes: BTreeMap<&str, &Value> = m["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let root = m["resolve"]["root"].as_str().unwrap();
    let mut seen = BTreeSet::from([root]);
    let mut todo = vec![root];
    while let Some(id) = todo.pop() {
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let normal_or_build = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null() || k["kind"] == "build");
            let pkg = dep["pkg"].as_str().unwrap();
            if normal_or_build && seen.insert(pkg) {
                todo.push(pkg);
            }
        }
    }
    let parse = |v: &str| -> Vec<u32> {
        let mut p: Vec<u32> = v.split('.').map(|p| p.parse().unwrap()).collect();
        p.resize(3, 0);
        p
    };
    let (needed, by) = seen
        .iter()
        .filter_map(|id| rust_version.get(id).map(|v| (parse(v), *id)))
        .max()
        .unwrap();
    assert!(
        ver >= needed,
        "Dockerfile builds with Rust {tag}, but {by} needs {needed:?}"
    );
}

// ------------------------------------------------------------------ live checks -----------

/// Corpus paragraphs on which the engine finds nothing, so a seeded violation alone decides.
fn clean_paragraphs(pipeline: &Path) -> Vec<String> {
    let engine = Arc::new(load_pipeline(pipeline, &Disk).expect("pipeline").engine);
    corpus()
        .into_iter()
        .filter(|p| {
            let json = serde_json::json!({"event_id": "probe", "user": {"id": "u", "identity_verified": true},
                "content": {"kind": "text", "text": p}, "synthesis": {"technique": "text_generation"}});
            let ev = parse_event(json.to_string().as_bytes(), &Limits::default()).unwrap().event;
            engine.review(&ev).unwrap().decision == Decision::Approve
        })
        .collect()
}

/// A worker of its own on fresh topics, with librdkafka statistics (hence consumer lag) every
/// second instead of every 5 s.
struct Live {
    topics: TestTopics,
    pipeline: PathBuf,
    clean: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Live {
    async fn new(name: &str, partitions: i32) -> Live {
        let prefix = unique(name);
        let topics = TestTopics::new(&prefix);
        let dir = tempfile::tempdir().unwrap();
        let pipeline = write_pipeline_with(
            dir.path(),
            &topics,
            &format!("{prefix}-group"),
            &format!("delivery = \"{LIVE_DELIVERY}\""),
        );
        let text = std::fs::read_to_string(&pipeline).unwrap().replacen(
            "[topics]",
            "[kafka.options]\n\"statistics.interval.ms\" = \"1000\"\n\n[topics]",
            1,
        );
        std::fs::write(&pipeline, text).unwrap();
        create_topics(&topics, partitions).await;
        let clean = clean_paragraphs(&pipeline);
        assert!(
            clean.len() > 100,
            "clean corpus paragraphs: {}",
            clean.len()
        );
        Live {
            topics,
            pipeline,
            clean,
            _dir: dir,
        }
    }
}

fn worker_metrics(port: u16) -> Option<String> {
    match http_get(port, "/metrics") {
        Ok((200, body)) => Some(body),
        _ => None,
    }
}

fn events_seen(text: &str) -> f64 {
    ["approve", "hold", "reject", "dead_letter"]
        .iter()
        .map(|d| {
            metric(
                text,
                &format!("synth_review_events_total{{decision=\"{d}\"}}"),
            )
            .unwrap_or(0.0)
        })
        .sum()
}

fn sighup(pid: u32) {
    let rc = unsafe { libc::kill(pid as i32, libc::SIGHUP) };
    assert_eq!(rc, 0, "SIGHUP");
}

/// `# TYPE` lines of an exposition: family → type.
fn families(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| {
            let (n, t) = l.split_once(' ').unwrap();
            (n.to_string(), t.trim().to_string())
        })
        .collect()
}

/// Label names per family, from the samples (`le` of histogram buckets left out).
fn family_labels(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let fams = families(text);
    let mut out: BTreeMap<String, BTreeSet<String>> =
        fams.keys().map(|k| (k.clone(), BTreeSet::new())).collect();
    for l in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let name_end = l.find(['{', ' ']).unwrap();
        let sample = &l[..name_end];
        let fam = if fams.contains_key(sample) {
            sample
        } else {
            ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| sample.strip_suffix(s).filter(|f| fams.contains_key(*f)))
                .unwrap_or_else(|| panic!("sample {sample} of no family"))
        };
        if l[name_end..].starts_with('{') {
            let body = &l[name_end + 1..l.rfind('}').unwrap()];
            let mut rest = body;
            while let Some(eq) = rest.find("=\"") {
                let name = rest[..eq].trim_start_matches(',').trim();
                if name != "le" {
                    out.get_mut(fam).unwrap().insert(name.to_string());
                }
                // Skip the quoted value.
                let v = &rest[eq + 2..];
                let mut end = 0;
                let mut esc = false;
                for (i, c) in v.char_indices() {
                    if esc {
                        esc = false;
                    } else if c == '\\' {
                        esc = true;
                    } else if c == '"' {
                        end = i;
                        break;
                    }
                }
                rest = &v[end + 1..];
            }
        }
    }
    out
}

/// `docs/metrics.md` catalogue rows: name → (type, labels, exported only under exactly-once).
fn catalogue() -> BTreeMap<String, (String, BTreeSet<String>, bool)> {
    let mut out = BTreeMap::new();
    for l in read("docs/metrics.md").lines() {
        if !l.starts_with("| `synth_review_") {
            continue;
        }
        let cols: Vec<&str> = l.split('|').map(str::trim).collect();
        // | name | type | labels | meaning | unit |
        assert_eq!(cols.len(), 7, "catalogue row with 5 columns: {l}");
        let name = cols[1].trim_matches('`').to_string();
        let labels: BTreeSet<String> = cols[3]
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
        assert!(
            !cols[4].is_empty() && !cols[5].is_empty(),
            "{name}: meaning and unit"
        );
        assert!(
            out.insert(
                name.clone(),
                (
                    cols[2].to_string(),
                    labels,
                    cols[4].contains(EXACTLY_ONCE_ONLY)
                )
            )
            .is_none(),
            "{name} listed twice"
        );
    }
    out
}

/// `docs/metrics.md` lists exactly the metric families a running worker exports, with their types
/// and label names (a histogram is one family).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_catalogue_matches_the_worker() {
    let live = Live::new("obs-cat", 2).await;
    let msgs = generate(40, 1, &live.clean, 7);
    produce_all(&live.topics.input, &msgs).await;
    let port = free_port();
    let mut worker = KillOnDrop(Some(spawn_worker(&live.pipeline, port)));
    wait_for(
        "the worker to review every message",
        Duration::from_secs(120),
        || worker_metrics(port).filter(|t| events_seen(t) as usize == msgs.len()),
    );
    sighup(worker.id());
    // Families with no series before their first value: reloads (SIGHUP) and lag (statistics,
    // every second here; its absence is reported by the comparison below).
    wait_for("the reload series", Duration::from_secs(30), || {
        worker_metrics(port).filter(|t| t.contains("synth_review_config_reloads_total{"))
    });
    poll_until(Duration::from_secs(15), || {
        worker_metrics(port).is_some_and(|t| t.contains("synth_review_consumer_lag{"))
    });
    let text = worker_metrics(port).expect("/metrics");
    let exported = families(&text);
    let labels = family_labels(&text);
    let listed = catalogue();
    let listed_names: BTreeSet<&String> = listed
        .iter()
        .filter(|(_, (_, _, eos_only))| LIVE_DELIVERY == "exactly_once" || !eos_only)
        .map(|(n, _)| n)
        .collect();
    let exported_names: BTreeSet<&String> = exported.keys().collect();
    let hint = if exported.contains_key("synth_review_consumer_lag") {
        ""
    } else {
        LAG_HINT
    };
    assert_eq!(
        listed_names, exported_names,
        "docs/metrics.md vs the /metrics of a worker with delivery = {LIVE_DELIVERY} \
         (left: listed, right: exported). {hint}"
    );
    for name in exported_names {
        let (ty, ls, _) = &listed[name];
        assert_eq!(ty, &exported[name], "{name}: type");
        assert_eq!(ls, &labels[name], "{name}: labels");
    }
    let status = terminate(worker.child(), Duration::from_secs(30));
    assert!(status.success(), "worker exit status {status:?}");
}

/// Fills `{{label}}` of a legend format from a series' labels.
fn legend(format: &str, metric: &Value) -> String {
    let mut s = format.to_string();
    if let Some(m) = metric.as_object() {
        for (k, v) in m {
            s = s.replace(&format!("{{{{{k}}}}}"), v.as_str().unwrap_or_default());
        }
    }
    s
}

/// The real Prometheus scrapes a real worker every second while it reviews two batches of corpus
/// events and poison messages and reloads once; then every dashboard expression must return data,
/// and every alert rule must load, evaluate healthy and parse, using only exported metric names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_and_alert_expressions_evaluate_against_a_real_worker() {
    let started = Instant::now();
    let live = Live::new("obs", 3).await;
    let port = free_port();
    let prom = Prometheus::start(port);
    let range_start = unix_now();
    let mut worker = KillOnDrop(Some(spawn_worker(&live.pipeline, port)));
    // Successful scrapes of the worker so far (`up` would count failed ones too).
    let scrapes = |p: &Prometheus| {
        p.scalar(r#"count_over_time(synth_review_build_info{job="synth-review"}[10m])"#)
            .unwrap_or(0.0)
    };
    let seen = |p: &Prometheus| {
        p.scalar(r#"sum(synth_review_events_total{job="synth-review"})"#)
            .unwrap_or(-1.0)
    };

    // An idle baseline first: the worker is in the group and Prometheus has its zero counters.
    wait_for("the worker to be ready", Duration::from_secs(120), || {
        matches!(http_get(port, "/readyz"), Ok((200, _))).then_some(())
    });
    wait_for(
        "3 scrapes of the idle worker",
        Duration::from_secs(60),
        || (seen(&prom) == 0.0 && scrapes(&prom) >= 3.0).then_some(()),
    );

    // Traffic in waves, each reviewed by the worker and scraped before the next one is produced,
    // so that rates have several points; poison in every other wave.
    const WAVES: usize = 6;
    let mut n = 0.0;
    for wave in 0..WAVES {
        let msgs = generate(400, wave % 2, &live.clean, 1129 + wave as u64);
        produce_all(&live.topics.input, &msgs).await;
        n += msgs.len() as f64;
        wait_for(
            &format!("the worker to review wave {wave}"),
            Duration::from_secs(180),
            || worker_metrics(port).filter(|t| events_seen(t) == n),
        );
        wait_for(
            &format!("Prometheus to scrape wave {wave}"),
            Duration::from_secs(30),
            || (seen(&prom) == n).then_some(()),
        );
    }

    // A backlog the worker needs a few seconds for, so that a statistics report and a scrape
    // catch a positive consumer lag (the waves above may each be reviewed within one statistics
    // interval). Larger backlogs until Prometheus has seen one; if none shows, the check of the
    // lag panel below says so.
    for (i, size) in [4_000usize, 16_000, 48_000].into_iter().enumerate() {
        let msgs = generate(size, 0, &live.clean, 4242 + i as u64);
        produce_all(&live.topics.input, &msgs).await;
        n += msgs.len() as f64;
        wait_for(
            &format!("the worker to review backlog {i} ({size} events)"),
            Duration::from_secs(300),
            || worker_metrics(port).filter(|t| events_seen(t) == n),
        );
        wait_for(
            &format!("Prometheus to scrape backlog {i}"),
            Duration::from_secs(30),
            || (seen(&prom) == n).then_some(()),
        );
        let lag_seen = prom
            .scalar(r#"max(max_over_time(synth_review_consumer_lag{job="synth-review"}[10m]))"#)
            .is_some_and(|v| v > 0.0);
        eprintln!("backlog {i} ({size} events): positive lag scraped: {lag_seen}");
        if lag_seen {
            break;
        }
    }

    // A reload (SIGHUP), so that the reload panel has a series.
    sighup(worker.id());
    let metrics_text = wait_for("the reload to be counted", Duration::from_secs(30), || {
        worker_metrics(port)
            .filter(|t| t.contains("synth_review_config_reloads_total{result=\"success\"} 1"))
    });
    wait_for(
        "Prometheus to scrape the reload",
        Duration::from_secs(60),
        || {
            (prom.scalar(r#"sum(synth_review_config_reloads_total{job="synth-review"})"#)
                == Some(1.0))
            .then_some(())
        },
    );
    // Lag comes with librdkafka statistics (every second here); if it never does, the check of
    // the lag panel below says so.
    poll_until(Duration::from_secs(15), || {
        !prom.vector("synth_review_consumer_lag").is_empty()
    });
    let base = scrapes(&prom);
    wait_for("3 more scrapes", Duration::from_secs(30), || {
        (scrapes(&prom) >= base + 3.0).then_some(())
    });

    // What the worker exports: family names plus histogram series suffixes.
    let exported = families(&metrics_text);
    let mut names: BTreeSet<String> = BTreeSet::new();
    for (f, t) in &exported {
        names.insert(f.clone());
        if t == "histogram" {
            for s in ["_bucket", "_sum", "_count"] {
                names.insert(format!("{f}{s}"));
            }
        }
    }
    names.insert("up".into()); // written by Prometheus for every scrape target

    // Every dashboard expression parses and returns data.
    let d = dashboard();
    let targets = dashboard_targets(&d);
    assert!(
        targets.len() >= 20,
        "{} dashboard expressions",
        targets.len()
    );
    let mut empty = Vec::new();
    let mut unknown = BTreeSet::new();
    for (title, _, expr) in &targets {
        let q = substitute(expr, RATE_WINDOW);
        for m in metric_names(&q) {
            if !names.contains(&m) {
                unknown.insert(format!("{m} (panel {title})"));
            }
        }
        let v = prom.query(&q);
        assert_eq!(v["status"], "success", "{title}: {q}: {v}");
        if v["data"]["result"].as_array().is_none_or(|r| r.is_empty()) {
            empty.push(format!("{title}: {q}"));
        }
    }
    let hint = if !names.contains("synth_review_consumer_lag") {
        LAG_HINT
    } else {
        ""
    };
    assert!(
        empty.is_empty() && unknown.is_empty(),
        "worker with delivery = {LIVE_DELIVERY}:\nmetrics used by the dashboard but not exported: \
         {unknown:?}\ndashboard expressions without data:\n{}\n{hint}",
        empty.join("\n")
    );

    // Every alert rule is loaded from dashboards/alerts.yml, evaluates without error, parses as a
    // query on its own, and uses only exported metrics.
    let rules = wait_for("every rule evaluated", Duration::from_secs(30), || {
        let v = prom.api("/api/v1/rules");
        let rules: Vec<Value> = v["data"]["groups"]
            .as_array()?
            .iter()
            .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
            .collect();
        (rules.len() == ALERTS.len() && rules.iter().all(|r| r["health"] != "unknown"))
            .then_some(rules)
    });
    for r in &rules {
        let name = r["name"].as_str().unwrap();
        assert!(ALERTS.contains(&name), "{name}");
        assert_eq!(r["health"], "ok", "{name}: {}", r["lastError"]);
        let expr = r["query"].as_str().unwrap();
        let v = prom.query(expr);
        assert_eq!(v["status"], "success", "{name}: {expr}: {v}");
        let used = metric_names(expr);
        assert!(!used.is_empty(), "{name}: no metric in {expr}");
        for m in used {
            assert!(
                names.contains(&m),
                "{name}: {m} is not exported by the worker ({expr})"
            );
        }
    }
    // A healthy worker: not down, not stalled.
    let firing: Vec<String> = prom
        .vector(r#"ALERTS{alertstate="firing"}"#)
        .iter()
        .map(|a| {
            a["metric"]["alertname"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    for a in [
        "SynthReviewWorkerDown",
        "SynthReviewStalled",
        "SynthReviewProduceErrors",
    ] {
        assert!(
            !firing.iter().any(|f| f == a),
            "{a} fires on a healthy worker"
        );
    }

    // Key panels over the run, for scripts/render-dashboard-preview.py.
    let range_end = unix_now();
    let key = [
        "Events / s by decision",
        "Hold rate and reject rate",
        "Top reason codes (reasons / s)",
        "Dead letters / s by reason",
        "Review latency p50 / p95 / p99 (consumed → acknowledged)",
        "Consumer lag by partition",
    ];
    let mut panels_out = Vec::new();
    for title in key {
        let panel = d["panels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["title"] == title)
            .unwrap();
        let mut series = Vec::new();
        for (t_title, fmt, expr) in &targets {
            if t_title != title {
                continue;
            }
            let q = substitute(expr, PREVIEW_RATE_WINDOW);
            let v = prom.query_range(&q, range_start, range_end, 1.0);
            assert_eq!(v["status"], "success", "{title}: {q}: {v}");
            for s in v["data"]["result"].as_array().unwrap() {
                let points: Vec<(f64, f64)> = s["values"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        (
                            p[0].as_f64().unwrap() - range_start,
                            p[1].as_str().unwrap().parse().unwrap(),
                        )
                    })
                    .collect();
                series.push(
                    serde_json::json!({"legend": legend(fmt, &s["metric"]), "points": points}),
                );
            }
        }
        let finite = series.iter().any(|s| {
            s["points"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p[1].as_f64().is_some_and(|v| v.is_finite() && v > 0.0))
        });
        assert!(finite, "{title}: no positive value over the run");
        panels_out.push(serde_json::json!({
            "title": title,
            "unit": panel["fieldConfig"]["defaults"]["unit"],
            "stacked": panel["fieldConfig"]["defaults"]["custom"]["stacking"]["mode"] == "normal",
            "series": series,
        }));
    }
    let out_dir = repo().join("target/observability");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(
        out_dir.join("panels.json"),
        serde_json::to_vec_pretty(&serde_json::json!({
            "messages": n,
            "waves": WAVES,
            "delivery": LIVE_DELIVERY,
            "scrape_interval_seconds": 1,
            "rate_window": PREVIEW_RATE_WINDOW,
            "seconds": range_end - range_start,
            "panels": panels_out,
        }))
        .unwrap(),
    )
    .unwrap();

    let status = terminate(worker.child(), Duration::from_secs(30));
    assert!(status.success(), "worker exit status {status:?}");
    drop(prom);
    eprintln!(
        "observability: {} messages, {} dashboard expressions and {} alert rules checked on real Prometheus in {:?}",
        n,
        targets.len(),
        rules.len(),
        started.elapsed()
    );
}
