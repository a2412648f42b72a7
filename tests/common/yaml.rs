//! The YAML files we ship (Compose, Prometheus, Grafana provisioning), read with the `yaml-rust2`
//! crate (YAML 1.2) into `serde_json::Value`, and stricter than YAML itself where the readers of
//! those files disagree. Docker Compose and Grafana read YAML with Go libraries, Prometheus with
//! Go's `yaml.v2` (YAML 1.1 scalars), PyYAML is YAML 1.1: a file must mean the same to all of
//! them, so [`parse`] refuses
//!
//! - duplicate keys (YAML forbids them, PyYAML keeps the last one silently),
//! - plain scalars that a YAML 1.1 and a YAML 1.2 reader type differently (`yes`/`no`/`on`/`off`,
//!   `y`/`n`, numbers with leading zeros, `0x`/`0o`/`0b`, `_` in numbers, sexagesimal `1:30`,
//!   exponents without a dot or a sign, dates, `Null`, the merge key `<<`): quote them,
//! - tags other than YAML's own (`!!str` …), e.g. Compose's `!reset`,
//! - more than one document.
//!
//! The loader gives neither scalar styles nor lines, so the scalars and tags are checked on the
//! crate's event stream, which has both; the values come from its loader.
//! `tests/ops_compose.rs` checks the result against PyYAML on every file we ship.

use regex::Regex;
use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;
use yaml_rust2::{Yaml, YamlLoader};

use super::files::read;

/// YAML's own tag prefix (`!!x` is `tag:yaml.org,2002:x`).
const CORE_TAG: &str = "tag:yaml.org,2002:";

/// Reads one YAML document into JSON.
///
/// # Errors
/// A syntax error, a duplicate key, an ambiguous plain scalar, a foreign tag, a key that is a
/// collection, an infinite or NaN float, or several documents; with the line where known.
pub fn parse(src: &str) -> Result<Value, String> {
    check_events(src)?;
    let mut docs = YamlLoader::load_from_str(src).map_err(|e| e.to_string())?;
    match docs.len() {
        0 => Ok(Value::Null),
        1 => to_json(docs.remove(0)),
        n => Err(format!("{n} documents; one expected")),
    }
}

/// The repository's YAML file `rel`, read by [`parse`].
///
/// # Panics
/// If it cannot be read or [`parse`] refuses it.
pub fn read_yaml(rel: &str) -> Value {
    parse(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Refuses ambiguous plain scalars and foreign tags, naming the line.
fn check_events(src: &str) -> Result<(), String> {
    let ambiguous = Ambiguity::new();
    let mut parser = Parser::new_from_str(src);
    loop {
        let (event, mark) = parser.next_token().map_err(|e| e.to_string())?;
        let line = mark.line();
        let tag = match &event {
            Event::StreamEnd => return Ok(()),
            Event::Scalar(v, style, _, tag) => {
                if *style == TScalarStyle::Plain && tag.is_none() && ambiguous.is(v) {
                    return Err(format!(
                        "line {line}: `{v}` means different things to YAML 1.1 and 1.2 readers; quote it"
                    ));
                }
                tag
            }
            Event::SequenceStart(_, tag) | Event::MappingStart(_, tag) => tag,
            _ => &None,
        };
        if let Some(t) = tag {
            if t.handle != CORE_TAG {
                return Err(format!(
                    "line {line}: tag `{}{}` is not understood by every reader",
                    t.handle, t.suffix
                ));
            }
        }
    }
}

/// Plain scalars whose type depends on the reader.
struct Ambiguity {
    /// What YAML 1.1 (PyYAML's resolver, plus `y`/`n` of the 1.1 spec and Go's yaml.v2) does
    /// not read as a string.
    yaml11: Regex,
    /// Non-strings all readers agree on.
    agreed: Regex,
}

impl Ambiguity {
    fn new() -> Ambiguity {
        let yaml11 = [
            // bool
            r"yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|y|Y|n|N",
            // float
            r"[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?",
            r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
            // int
            r"[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+",
            r"[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+",
            // null, merge, value
            r"~|null|Null|NULL|<<|=",
            // timestamp
            r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}.*)?",
        ]
        .join("|");
        let agreed = [
            r"~|null|true|True|TRUE|false|False|FALSE",
            r"[-+]?(?:0|[1-9][0-9]*)",
            r"[-+]?[0-9]+\.[0-9]*(?:[eE][-+][0-9]+)?|\.[0-9]+(?:[eE][-+][0-9]+)?",
            r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        ]
        .join("|");
        Ambiguity {
            yaml11: Regex::new(&format!("^(?:{yaml11})$")).unwrap(),
            agreed: Regex::new(&format!("^(?:{agreed})$")).unwrap(),
        }
    }

    /// Whether plain `v` is typed differently by some readers: a YAML 1.1 or a YAML 1.2 reader
    /// takes it for something other than a string, in a form they do not all agree on.
    fn is(&self, v: &str) -> bool {
        if v.is_empty() || self.agreed.is_match(v) {
            return false;
        }
        self.yaml11.is_match(v) || !matches!(Yaml::from_str(v), Yaml::String(_))
    }
}

/// The loader's value as JSON; keys become strings as JSON writers make them.
fn to_json(y: Yaml) -> Result<Value, String> {
    Ok(match y {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Integer(i) => Value::from(i),
        Yaml::Real(s) => {
            // Rust reads every YAML 1.2 float but `.inf` and `.nan`, which JSON cannot hold.
            let f: f64 = s
                .parse()
                .map_err(|_| format!("{s}: not a finite number, which JSON cannot hold"))?;
            Value::Number(Number::from_f64(f).ok_or_else(|| format!("{s} has no JSON form"))?)
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Array(items) => {
            Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Yaml::Hash(entries) => {
            let mut out = Map::new();
            for (k, v) in entries {
                let key = match to_json(k)? {
                    Value::String(s) => s,
                    Value::Null => "null".to_string(),
                    k @ (Value::Bool(_) | Value::Number(_)) => k.to_string(),
                    k => return Err(format!("a collection as a key: {k}")),
                };
                if out.insert(key.clone(), to_json(v)?).is_some() {
                    return Err(format!("duplicate key {key}"));
                }
            }
            Value::Object(out)
        }
        Yaml::Alias(_) | Yaml::BadValue => return Err(format!("unresolvable node {y:?}")),
    })
}
