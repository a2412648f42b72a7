//! The implicit label (GB 45438-2025 6.1 and Annex E): where it is in a media file's metadata
//! ([`find_blocks`]) and how one block is parsed and validated ([`parse_implicit_label`]).

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{truncate, PROMPT_GENERATED, PROMPT_POSSIBLY, PROMPT_SUSPECTED};

/// Metadata is searched for `AIGC` keys down to this depth; deeper levels are not looked at.
const MAX_SEARCH_DEPTH: usize = 32;

/// Longest key shown in a path or detail, in characters.
const MAX_KEY_SHOWN: usize = 64;

/// The `Label` element of an implicit label (GB 45438-2025 Annex E). Ordered by certainty:
/// `Generated < Possibly < Suspected`, so the minimum of several is the most certain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AigcLabel {
    /// `"1"`: the content is AI-generated/synthesized (属于).
    Generated,
    /// `"2"`: the content may be AI-generated (可能), e.g. on a user's declaration.
    Possibly,
    /// `"3"`: the content is suspected AI-generated (疑似), e.g. an explicit label was detected.
    Suspected,
}

impl AigcLabel {
    /// The Annex E value: `"1"`, `"2"` or `"3"`.
    pub fn as_str(self) -> &'static str {
        match self {
            AigcLabel::Generated => "1",
            AigcLabel::Possibly => "2",
            AigcLabel::Suspected => "3",
        }
    }

    /// Parses an Annex E `Label` value.
    pub fn from_value(value: &str) -> Option<AigcLabel> {
        match value {
            "1" => Some(AigcLabel::Generated),
            "2" => Some(AigcLabel::Possibly),
            "3" => Some(AigcLabel::Suspected),
            _ => None,
        }
    }

    /// The conspicuous prompt a platform adds for this case (LM Art. 6(1)–(3)).
    pub fn prompt(self) -> &'static str {
        match self {
            AigcLabel::Generated => PROMPT_GENERATED,
            AigcLabel::Possibly => PROMPT_POSSIBLY,
            AigcLabel::Suspected => PROMPT_SUSPECTED,
        }
    }
}

/// A valid implicit label (GB 45438-2025 Annex E). All values are strings of Annex E j) characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImplicitLabel {
    /// `Label` (required).
    pub label: AigcLabel,
    /// `ContentProducer` (required, non-empty).
    pub content_producer: String,
    /// `ProduceID` (required, non-empty).
    pub produce_id: String,
    /// `ReservedCode1` (optional, may be empty).
    pub reserved_code1: Option<String>,
    /// `ContentPropagator` (optional: Annex E note 1 lets the producer fill it and the platform
    /// rewrites it, so its absence is not an error).
    pub content_propagator: Option<String>,
    /// `PropagateID` (optional, like `ContentPropagator`).
    pub propagate_id: Option<String>,
    /// `ReservedCode2` (optional, may be empty).
    pub reserved_code2: Option<String>,
}

/// Collects `(path, value)` for every key whose name contains `AIGC` (ASCII case-insensitive).
/// A found block's value is not searched further (its inner `AIGC` wrapper belongs to it).
pub(super) fn find_blocks<'a>(
    value: &'a Value,
    path: &mut String,
    depth: usize,
    out: &mut Vec<(String, &'a Value)>,
) {
    if depth > MAX_SEARCH_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let len = path.len();
                path.push('.');
                path.push_str(&truncate(key, MAX_KEY_SHOWN));
                if key.to_ascii_lowercase().contains("aigc") {
                    out.push((path.clone(), inner));
                } else {
                    find_blocks(inner, path, depth + 1, out);
                }
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                find_blocks(inner, path, depth + 1, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// A JSON value that keeps an object's entries in order **with duplicates**, so a string block
/// such as `{"Label":"1","Label":"2"}` can be reported instead of silently keeping the last key.
#[derive(Debug, Clone)]
enum Node {
    Object(Vec<(String, Node)>),
    Other(Value),
}

impl Node {
    fn from_value(value: &Value) -> Node {
        match value {
            Value::Object(map) => Node::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Node::from_value(v)))
                    .collect(),
            ),
            other => Node::Other(other.clone()),
        }
    }

    fn describe(&self) -> String {
        match self {
            Node::Object(_) => "an object".into(),
            Node::Other(v) => describe(v),
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        struct NodeVisitor;
        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Other(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Other(Value::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(Node::Other(Value::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
                Ok(Node::Other(Value::from(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Other(Value::String(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Node, E> {
                Ok(Node::Other(Value::String(v)))
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Other(Value::Null))
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Other(Value::Null))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                Node::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Value>()? {
                    items.push(item);
                }
                Ok(Node::Other(Value::Array(items)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Node>()? {
                    entries.push((k, v));
                }
                Ok(Node::Object(entries))
            }
        }
        deserializer.deserialize_any(NodeVisitor)
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {}", truncate(&n.to_string(), 32)),
        Value::String(_) => "a string".into(),
        Value::Array(a) => format!("an array of {} items", a.len()),
        Value::Object(_) => "an object".into(),
    }
}

/// A key or value shown inside a detail: truncated, control characters escaped.
fn show(s: &str) -> String {
    truncate(s, MAX_KEY_SHOWN).escape_debug().to_string()
}

/// The seven Annex E elements, in Annex E order.
const ELEMENTS: [&str; 7] = [
    "Label",
    "ContentProducer",
    "ProduceID",
    "ReservedCode1",
    "ContentPropagator",
    "PropagateID",
    "ReservedCode2",
];

/// Parses and validates one implicit-label block (the value of a metadata key containing `AIGC`).
///
/// Accepted forms: a JSON object, or a JSON string holding one (XML-escaped `&quot;` etc. are
/// unescaped when the string is not JSON as it stands), each with or without the outer
/// `{"AIGC": {…}}` wrapper. Rules (GB 45438-2025 6.1 and Annex E):
/// - exactly one block: a string holding two JSON values, an array of several blocks or two
///   `AIGC` wrapper keys are *stacked* blocks;
/// - the wrapper, when used, is exactly `AIGC` and the only key, and holds an object;
/// - only the seven Annex E element names, each at most once (misspellings such as `ReserveCode1`
///   are reported with the intended name);
/// - every element is a string; `Label` is required and is `"1"`, `"2"` or `"3"`;
///   `ContentProducer` and `ProduceID` are required and non-empty; the other four are optional
///   and may be empty (Annex E note 1: the platform rewrites the propagator fields);
/// - every character is in Annex E j): 0x21, 0x23–0x5B, 0x5D–0x7E (printable ASCII without space,
///   `"` or `\`; no Chinese characters).
///
/// # Errors
/// A sentence naming every problem found, separated by `; `.
pub fn parse_implicit_label(value: &Value) -> Result<ImplicitLabel, String> {
    parse_node(&Node::from_value(value), false)
}

fn parse_node(node: &Node, decoded: bool) -> Result<ImplicitLabel, String> {
    match node {
        Node::Object(entries) => parse_elements(unwrap_block(entries)?),
        Node::Other(Value::String(s)) if !decoded => parse_node(&decode_string(s)?, true),
        Node::Other(Value::Array(items)) if items.len() > 1 => Err(format!(
            "an array of {} blocks: stacked implicit labels (GB 45438-2025 6.1 c) allows exactly one)",
            items.len()
        )),
        other => Err(format!(
            "the value is {}; expected an object or a JSON string holding one",
            if decoded {
                format!("a JSON string that decodes to {}", other.describe())
            } else {
                other.describe()
            }
        )),
    }
}

/// Decodes a string block: JSON as it stands, else after XML unescaping.
fn decode_string(s: &str) -> Result<Node, String> {
    if s.trim().is_empty() {
        return Err("the value is an empty string".into());
    }
    match decode_json(s) {
        Ok(node) => Ok(node),
        Err(first) => {
            let unescaped = xml_unescape(s);
            if unescaped == s {
                Err(first)
            } else {
                decode_json(&unescaped).map_err(|e| format!("{e} (after XML unescaping)"))
            }
        }
    }
}

fn decode_json(s: &str) -> Result<Node, String> {
    let mut values = serde_json::Deserializer::from_str(s).into_iter::<Node>();
    let first = match values.next() {
        None => return Err("the value is an empty string".into()),
        Some(Err(e)) => return Err(format!("the string is not valid JSON ({e})")),
        Some(Ok(node)) => node,
    };
    match values.next() {
        None => Ok(first),
        Some(Ok(_)) => Err(
            "the string holds more than one JSON value: stacked implicit labels \
             (GB 45438-2025 6.1 c) allows exactly one)"
                .into(),
        ),
        Some(Err(e)) => Err(format!(
            "the string has trailing data after the first JSON value ({e})"
        )),
    }
}

/// Replaces the XML predefined entities and numeric character references; anything else is kept.
pub(super) fn xml_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let entity = tail[1..]
            .find(';')
            .filter(|&semi| semi <= 10)
            .map(|semi| &tail[1..1 + semi]);
        let decoded = entity.and_then(|name| match name {
            "quot" => Some('"'),
            "apos" => Some('\''),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            _ => {
                let num = name.strip_prefix('#')?;
                let code = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => num.parse::<u32>().ok()?,
                };
                char::from_u32(code)
            }
        });
        match (entity, decoded) {
            (Some(name), Some(c)) => {
                out.push(c);
                rest = &tail[name.len() + 2..];
            }
            _ => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Strips the optional `{"AIGC": {…}}` wrapper.
fn unwrap_block(entries: &[(String, Node)]) -> Result<&[(String, Node)], String> {
    let wrappers: Vec<&(String, Node)> = entries
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("AIGC"))
        .collect();
    match wrappers.as_slice() {
        [] => Ok(entries),
        [(key, _)] if key != "AIGC" => Err(format!(
            "the wrapper key `{}` must be spelled `AIGC`",
            show(key)
        )),
        [(_, inner)] if entries.len() == 1 => match inner {
            Node::Object(inner) => Ok(inner),
            other => Err(format!(
                "the `AIGC` wrapper holds {}; expected an object",
                other.describe()
            )),
        },
        [_] => {
            let others: Vec<String> = entries
                .iter()
                .filter(|(k, _)| k != "AIGC")
                .map(|(k, _)| format!("`{}`", show(k)))
                .collect();
            Err(format!(
                "the `AIGC` wrapper must be the only key, but the block also has {}",
                others.join(", ")
            ))
        }
        many => Err(format!(
            "{} `AIGC` blocks are stacked in one value (GB 45438-2025 6.1 c) allows exactly one)",
            many.len()
        )),
    }
}

fn parse_elements(entries: &[(String, Node)]) -> Result<ImplicitLabel, String> {
    let mut problems: Vec<String> = Vec::new();
    let mut values: [Option<&Node>; 7] = [None; 7];
    for (key, node) in entries {
        match ELEMENTS.iter().position(|e| e == key) {
            Some(i) if values[i].is_some() => {
                problems.push(format!("`{key}` appears more than once"));
            }
            Some(i) => values[i] = Some(node),
            None => problems.push(unknown_key(key)),
        }
    }

    let mut strings: [Option<String>; 7] = Default::default();
    for (i, node) in values.iter().enumerate() {
        let name = ELEMENTS[i];
        match node {
            None => {
                if i < 3 {
                    problems.push(format!("`{name}` is missing; it is required"));
                }
            }
            Some(Node::Other(Value::String(s))) => {
                if let Some((pos, c)) = s.chars().enumerate().find(|&(_, c)| !annex_e_char(c)) {
                    let what = match c {
                        ' ' => "a space".to_string(),
                        '"' => "`\"`".to_string(),
                        '\\' => "`\\`".to_string(),
                        c if c.is_ascii_graphic() => format!("`{c}`"),
                        c => format!("U+{:04X} `{}`", c as u32, c.escape_debug()),
                    };
                    problems.push(format!(
                        "`{name}` has {what} at character {pos}, outside the GB 45438-2025 Annex E j) \
                         character set (printable ASCII without space, `\"` or `\\`)"
                    ));
                }
                strings[i] = Some(s.clone());
            }
            Some(other) => problems.push(format!(
                "`{name}` must be a string, found {}",
                other.describe()
            )),
        }
    }

    let label = match &strings[0] {
        Some(s) => match AigcLabel::from_value(s) {
            Some(label) => Some(label),
            None => {
                problems.push(format!(
                    "`Label` is \"{}\"; it must be \"1\" (AI-generated), \"2\" (possibly) or \"3\" (suspected)",
                    show(s)
                ));
                None
            }
        },
        None => None,
    };
    for i in 1..3 {
        if strings[i].as_deref() == Some("") {
            problems.push(format!("`{}` is empty; it is required", ELEMENTS[i]));
        }
    }

    match label {
        Some(label) if problems.is_empty() => {
            let [_, producer, produce_id, reserved1, propagator, propagate_id, reserved2] = strings;
            Ok(ImplicitLabel {
                label,
                content_producer: producer.unwrap_or_default(),
                produce_id: produce_id.unwrap_or_default(),
                reserved_code1: reserved1,
                content_propagator: propagator,
                propagate_id,
                reserved_code2: reserved2,
            })
        }
        _ => Err(problems.join("; ")),
    }
}

/// GB 45438-2025 Annex E j): 0x21, 0x23–0x5B, 0x5D–0x7E.
fn annex_e_char(c: char) -> bool {
    matches!(c, '\u{21}' | '\u{23}'..='\u{5B}' | '\u{5D}'..='\u{7E}')
}

fn unknown_key(key: &str) -> String {
    let lower = key.to_ascii_lowercase();
    let guess = ELEMENTS
        .iter()
        .map(|e| (levenshtein(&lower, &e.to_ascii_lowercase()), *e))
        .filter(|&(d, _)| d <= 2)
        .min();
    match (key.eq_ignore_ascii_case("AIGC"), guess) {
        (true, _) => format!(
            "unexpected key `{}`: a second, nested AIGC wrapper",
            show(key)
        ),
        (false, Some((_, e))) => format!(
            "unknown key `{}` (did you mean `{e}`? GB 45438-2025 Annex E names are exact)",
            show(key)
        ),
        (false, None) => format!(
            "unknown key `{}`; GB 45438-2025 Annex E allows only {}",
            show(key),
            ELEMENTS.join(", ")
        ),
    }
}

/// Edit distance, bounded to keep adversarial keys cheap (longer keys are not near-misses).
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(MAX_KEY_SHOWN).collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
