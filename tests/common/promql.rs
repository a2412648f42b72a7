//! PromQL as the dashboard and the alert rules use it: the dashboard's panel expressions, its
//! variables filled in, and the metric names an expression uses.

use std::collections::BTreeSet;

use serde_json::Value;

/// Every expression of every dashboard panel target: (panel title, legendFormat, expr).
pub fn dashboard_targets(d: &Value) -> Vec<(String, String, String)> {
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
///
/// # Panics
/// On a variable other than `$__rate_interval` and `$instance`.
pub fn substitute(expr: &str, window: &str) -> String {
    let e = expr
        .replace("${__rate_interval}", window)
        .replace("$__rate_interval", window)
        .replace("${instance}", ".+")
        .replace("$instance", ".+");
    assert!(!e.contains('$'), "unknown dashboard variable in {expr}");
    e
}

/// PromQL keywords, aggregation operators and constants: never metric names.
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
pub fn metric_names(expr: &str) -> BTreeSet<String> {
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
