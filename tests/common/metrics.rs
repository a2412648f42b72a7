//! The worker's HTTP endpoints (`/metrics`, `/healthz`, `/readyz`) and the Prometheus text
//! exposition it serves.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// `GET http://127.0.0.1:{port}{path}` → (status code, body). Plain HTTP/1.0 over a socket.
pub fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut buf = String::new();
    s.read_to_string(&mut buf)?;
    let status = buf
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = buf
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// The body of the worker's `/metrics` on `port`, if it answers 200.
pub fn worker_metrics(port: u16) -> Option<String> {
    match http_get(port, "/metrics") {
        Ok((200, body)) => Some(body),
        _ => None,
    }
}

/// The value of one sample line `name{labels} value` in a Prometheus text exposition.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Sum of `synth_review_events_total` over all decisions in an exposition (0 for missing series).
pub fn events_seen(text: &str) -> f64 {
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

/// Sum of `synth_review_events_total` over all decisions on a worker's /metrics, if it answers.
pub fn events_done(port: u16) -> Option<u64> {
    worker_metrics(port).map(|text| events_seen(&text) as u64)
}

/// `# TYPE` lines of an exposition: family → type.
pub fn families(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| {
            let (n, t) = l.split_once(' ').unwrap();
            (n.to_string(), t.trim().to_string())
        })
        .collect()
}

/// Label names per family, from the samples (`le` of histogram buckets left out).
pub fn family_labels(text: &str) -> BTreeMap<String, BTreeSet<String>> {
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
