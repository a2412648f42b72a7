//! The publish event (DESIGN §2, `schema/publish-event.v1.json`) and its parsing at the edge.
//!
//! A message is parsed once into [`PublishEvent`] (typed, for the stages) while the original JSON is
//! kept as a [`RawValue`] so the decision record can embed it: unknown fields are therefore kept
//! and passed through, every key in its order (duplicates too), every number and string in the
//! producer's own spelling. Only insignificant whitespace outside strings is dropped
//! ([`minify_json`]), so no raw CR, LF or TAB reaches the one-line output record, and characters
//! that some line readers take for line breaks are written as `\u` escapes of themselves.
//!
//! Every way a message can be unreadable maps to one [`EventErrorKind`]; the Kafka worker turns it
//! into a dead-letter record and `review` into a `dead_letter` line. Parsing never panics.

use serde::Deserialize;
use serde_json::value::RawValue;

/// Limits applied before and during parsing (DESIGN §2; configurable in the pipeline's `[limits]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest accepted message value, in bytes. Default 1 MiB (1,048,576).
    pub max_event_bytes: usize,
    /// Largest accepted `content.title` / `content.text`, in Unicode scalar values. Default 256 Ki (262,144).
    pub max_text_chars: usize,
    /// Largest accepted `event_id`, in bytes. Default 256. Keys this long are a producer bug.
    pub max_event_id_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_event_bytes: 1 << 20,
            max_text_chars: 256 * 1024,
            max_event_id_bytes: 256,
        }
    }
}

/// Why a message could not be read as a publish event. The string forms are the `dlq.reason`
/// header values, the `error.kind` of a `review` dead-letter line and the `reason` label of
/// `synth_review_dead_letters_total` (a bounded set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventErrorKind {
    /// Not syntactically valid JSON (including an empty message or a Kafka tombstone).
    MalformedJson,
    /// Valid JSON that does not fit the schema: not an object, missing required field, wrong type,
    /// unknown enum value, empty `event_id`.
    Schema,
    /// Over [`Limits`]: the message bytes, a text field or the event id.
    TooLarge,
    /// The message bytes are not UTF-8 (RFC 8259 §8.1 requires UTF-8 for JSON exchanged between systems).
    InvalidUtf8,
    /// The event parsed, but reviewing it failed inside the worker (a stage panicked): a bug, not
    /// the producer's fault. The event is set aside so the partition moves on; `dlq.detail` names
    /// the stage.
    InternalError,
}

impl EventErrorKind {
    /// Every kind, for pre-registering metric series at zero.
    pub const ALL: [EventErrorKind; 5] = [
        EventErrorKind::MalformedJson,
        EventErrorKind::Schema,
        EventErrorKind::TooLarge,
        EventErrorKind::InvalidUtf8,
        EventErrorKind::InternalError,
    ];

    /// The stable snake_case name (`malformed_json`, `schema`, `too_large`, `invalid_utf8`,
    /// `internal_error`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventErrorKind::MalformedJson => "malformed_json",
            EventErrorKind::Schema => "schema",
            EventErrorKind::TooLarge => "too_large",
            EventErrorKind::InvalidUtf8 => "invalid_utf8",
            EventErrorKind::InternalError => "internal_error",
        }
    }
}

/// A message that could not be read, with a human-readable detail (never contains content text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.as_str())]
pub struct EventError {
    /// The category, used for routing and metrics.
    pub kind: EventErrorKind,
    /// What exactly is wrong, e.g. `user.identity_verified: expected a boolean, found "yes"` or
    /// ``content: missing field `kind` ``.
    pub message: String,
}

impl EventError {
    fn new(kind: EventErrorKind, message: impl Into<String>) -> Self {
        EventError {
            kind,
            message: message.into(),
        }
    }
}

/// A parsed publish event together with its original JSON text.
#[derive(Debug)]
pub struct ParsedEvent {
    /// The typed view the stages read.
    pub event: PublishEvent,
    /// The original JSON value without insignificant whitespace ([`minify_json`]), embedded in
    /// the decision record: same keys in the same order, same values, same number text.
    pub raw: Box<RawValue>,
}

/// Parses one message value (the Kafka record value or one JSONL line) into a [`ParsedEvent`].
///
/// Order of checks: size (`too_large`), UTF-8 (`invalid_utf8`), JSON syntax (`malformed_json`),
/// shape and types (`schema`), field limits (`too_large`).
///
/// # Errors
/// An [`EventError`] naming the first problem found.
pub fn parse_event(bytes: &[u8], limits: &Limits) -> Result<ParsedEvent, EventError> {
    if bytes.len() > limits.max_event_bytes {
        return Err(EventError::new(
            EventErrorKind::TooLarge,
            format!(
                "event is {} bytes, the limit is {} bytes",
                bytes.len(),
                limits.max_event_bytes
            ),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        EventError::new(
            EventErrorKind::InvalidUtf8,
            format!("invalid UTF-8 at byte {}", e.valid_up_to()),
        )
    })?;
    // RFC 8259 §8.1: a parser may ignore a byte order mark (editors on Windows write one at the
    // start of a JSONL file); nothing after it is changed.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(EventError::new(
            EventErrorKind::MalformedJson,
            "empty message: expected a JSON object",
        ));
    }
    let raw: Box<RawValue> = serde_json::from_str(text)
        .map_err(|e| EventError::new(EventErrorKind::MalformedJson, e.to_string()))?;
    // The decision record embeds the event, so it must be JSON every consumer can read.
    check_interoperable(raw.get())
        .map_err(|m| EventError::new(EventErrorKind::MalformedJson, m))?;
    let first = raw.get().trim_start().as_bytes().first().copied();
    if first != Some(b'{') {
        return Err(EventError::new(
            EventErrorKind::Schema,
            format!("expected a JSON object, found {}", json_type_name(first)),
        ));
    }
    let mut event: PublishEvent = serde_json::from_str(raw.get())
        .map_err(|e| EventError::new(EventErrorKind::Schema, schema_detail(raw.get(), e)))?;
    event.check(limits)?;
    find_metadata_duplicates(raw.get(), &mut event);
    let raw = RawValue::from_string(minify_json(raw.get()))
        .map_err(|e| EventError::new(EventErrorKind::MalformedJson, e.to_string()))?;
    Ok(ParsedEvent { event, raw })
}

/// Writes `value` as one line of JSON, as `serde_json::to_writer` does, with the characters that
/// are valid raw in a JSON string but that line readers may split on (DEL, the C1 controls
/// U+0080–U+009F, U+2028, U+2029; see [`minify_json`]) written as `\uXXXX` escapes in every
/// string: an `event_id` or an error message that quotes one stays on its line.
///
/// # Errors
/// The writer's or the value's `serde_json::Error`.
pub fn write_line_json<W: std::io::Write, T: serde::Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(writer, LineSafe);
    value.serialize(&mut serializer)
}

/// [`write_line_json`] into a new buffer.
///
/// # Errors
/// The value's `serde_json::Error`.
pub fn to_line_json<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(256);
    write_line_json(&mut out, value)?;
    Ok(out)
}

/// Whether `c` is valid raw in a JSON string but a line reader may split on it: DEL, the C1
/// controls U+0080–U+009F (NEL), U+2028 and U+2029. [`minify_json`] and [`write_line_json`]
/// write these as `\uXXXX` escapes.
fn splits_lines(c: char) -> bool {
    matches!(c, '\u{7F}'..='\u{9F}' | '\u{2028}' | '\u{2029}')
}

/// The compact JSON formatter, escaping what [`write_line_json`] says.
struct LineSafe;

impl serde_json::ser::Formatter for LineSafe {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut from = 0;
        for (i, c) in fragment.char_indices() {
            if splits_lines(c) {
                writer.write_all(&fragment.as_bytes()[from..i])?;
                write!(writer, "\\u{:04X}", c as u32)?;
                from = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[from..])
    }
}

/// `text` (valid JSON) without the whitespace between tokens (space, TAB, LF, CR: RFC 8259 §2),
/// so the value fits on one line. Strings and numbers are copied as written; inside strings the
/// characters that are valid raw in JSON but that line readers may split on — DEL (U+007F), the
/// C1 controls U+0080–U+009F (NEL is a line break to some readers), U+2028 and U+2029 — are
/// written as `\uXXXX` escapes, which decode to the same string. Raw C0 controls cannot occur
/// inside a valid JSON string, so the result has no control character at all.
pub fn minify_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            } else if splits_lines(c) {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{:04X}", c as u32);
                continue;
            }
            out.push(c);
        } else {
            match c {
                ' ' | '\t' | '\n' | '\r' => {}
                '"' => {
                    in_string = true;
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
    }
    out
}

/// Longest value quoted in a `schema` detail, in characters: enough to recognise a mistake, too
/// short to carry content text.
const MAX_FOUND_CHARS: usize = 32;

/// The `schema` detail for a type error `error` in the JSON object `text`: the field path, then
/// what was expected and what was found, e.g. `user.identity_verified: expected a boolean, found
/// "yes"`, `content.media[0].mime: expected a string, found 7`, ``content: missing field `kind` ``.
///
/// The first parse does not track paths, so that valid events (nearly all) pay nothing for it;
/// only a message that failed is parsed again, with `serde_path_to_error`, to find where.
fn schema_detail(text: &str, error: serde_json::Error) -> String {
    let mut de = serde_json::Deserializer::from_str(text);
    let (path, error) = match serde_path_to_error::deserialize::<_, PublishEvent>(&mut de) {
        Err(e) => (Some(e.path().clone()), e.into_inner()),
        Ok(_) => (None, error),
    };
    let path = path.filter(|p| p.iter().next().is_some());
    let full = error.to_string();
    // serde_json ends the message with the position; the path says where instead.
    let position = format!(" at line {} column {}", error.line(), error.column());
    let message = full.strip_suffix(&position).unwrap_or(&full);
    let message = match message
        .strip_prefix("invalid type: ")
        .and_then(|m| m.rsplit_once(", expected "))
    {
        Some((found, expected)) => {
            format!(
                "expected {}, found {}",
                json_expected(expected),
                json_found(found)
            )
        }
        // An enum (`content.kind`) given something other than a string: serde_json says only
        // "expected value", so the value is looked up at the path.
        None if message == "expected value" => {
            let found = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| Some(show_value(v.pointer(&json_pointer(path.as_ref()?))?)));
            match found {
                Some(found) => format!("expected a string, found {found}"),
                None => "expected a string".to_string(),
            }
        }
        None => message.to_string(),
    };
    match path {
        Some(path) => format!("{path}: {message}"),
        None => message,
    }
}

/// The JSON Pointer (RFC 6901) of a deserializer path: `content.media[0]` → `/content/media/0`.
fn json_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path {
        pointer.push('/');
        match segment {
            Segment::Seq { index } => pointer.push_str(&index.to_string()),
            Segment::Map { key } => pointer.push_str(&key.replace('~', "~0").replace('/', "~1")),
            Segment::Enum { variant } => pointer.push_str(variant),
            Segment::Unknown => pointer.push('?'),
        }
    }
    pointer
}

/// A JSON value as a `schema` detail shows it: scalars as written (strings cut to
/// [`MAX_FOUND_CHARS`]), `an array`, `an object`.
fn show_value(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => json_found(&format!("string {s:?}")),
        serde_json::Value::Array(_) => "an array".to_string(),
        serde_json::Value::Object(_) => "an object".to_string(),
        scalar => scalar.to_string(),
    }
}

/// What serde expected, in JSON terms: `struct User` is an object, a sequence an array.
fn json_expected(expected: &str) -> &str {
    if expected.starts_with("struct ") || expected == "a map" {
        "an object"
    } else if expected == "a sequence" {
        "an array"
    } else {
        expected
    }
}

/// What serde_json found, as it was written: `string "yes"` → `"yes"` (cut to
/// [`MAX_FOUND_CHARS`]), ``integer `7` `` → `7`, `map` → `an object`, `sequence` → `an array`.
fn json_found(found: &str) -> String {
    if let Some(quoted) = found.strip_prefix("string ") {
        // Written with Rust's escapes (`"a\"b"`), which JSON shares for the usual characters.
        let inner = quoted
            .strip_prefix('"')
            .and_then(|q| q.strip_suffix('"'))
            .unwrap_or(quoted);
        let mut chars = inner.chars();
        let shown: String = chars.by_ref().take(MAX_FOUND_CHARS).collect();
        let more = if chars.next().is_some() { "…" } else { "" };
        return format!("\"{shown}{more}\"");
    }
    match found {
        "map" => return "an object".to_string(),
        "sequence" => return "an array".to_string(),
        _ => {}
    }
    // ``integer `7` ``, ``floating point `1.5` ``, ``boolean `true` ``.
    match found.split_once(" `") {
        Some((_, value)) => value.trim_end_matches('`').to_string(),
        None => found.to_string(),
    }
}

/// Deepest array/object nesting accepted. Common parsers stop at 100–512 levels (jq: 256 for
/// arrays of arrays, Python's json: the interpreter's recursion limit), so deeper events would
/// produce decision records that downstream tools cannot read.
pub const MAX_NESTING: usize = 64;

/// Longest number token accepted, in characters: Python's `json` (since 3.11, CVE-2020-10735)
/// refuses integers of more than 4300 digits, and RFC 7493 (I-JSON) §2.2 asks for numbers a
/// binary64 double can hold; a longer number would make the decision record unreadable there.
pub const MAX_NUMBER_CHARS: usize = 4300;

/// Checks what `serde_json`'s syntax check leaves to the reader: nesting depth, and escaped UTF-16
/// surrogates that do not pair up (RFC 8259 §8.2 calls them unpredictable; RFC 7493 I-JSON §2.1
/// forbids them), and numbers longer than [`MAX_NUMBER_CHARS`]. `text` is already valid JSON
/// syntax.
fn check_interoperable(text: &str) -> Result<(), String> {
    let b = text.as_bytes();
    let (mut depth, mut i, mut in_string) = (0usize, 0usize, false);
    let hex4 = |at: usize| -> Option<u32> {
        std::str::from_utf8(b.get(at..at + 4)?)
            .ok()
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    while i < b.len() {
        let c = b[i];
        if in_string {
            match c {
                b'"' => in_string = false,
                b'\\' => {
                    if b.get(i + 1) == Some(&b'u') {
                        let unit = hex4(i + 2).unwrap_or(0);
                        if (0xD800..0xDC00).contains(&unit) {
                            let low = (b.get(i + 6) == Some(&b'\\') && b.get(i + 7) == Some(&b'u'))
                                .then(|| hex4(i + 8))
                                .flatten();
                            if !low.is_some_and(|l| (0xDC00..0xE000).contains(&l)) {
                                return Err(format!("unpaired UTF-16 surrogate escape \\u{unit:04X} at byte {i} (RFC 7493 §2.1)"));
                            }
                            i += 12;
                            continue;
                        }
                        if (0xDC00..0xE000).contains(&unit) {
                            return Err(format!("unpaired UTF-16 surrogate escape \\u{unit:04X} at byte {i} (RFC 7493 §2.1)"));
                        }
                        i += 6;
                        continue;
                    }
                    i += 2;
                    continue;
                }
                _ => {}
            }
        } else {
            match c {
                b'"' => in_string = true,
                b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Err(format!(
                            "nesting deeper than {MAX_NESTING} levels at byte {i}"
                        ));
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                b'-' | b'0'..=b'9' => {
                    let len = b[i..]
                        .iter()
                        .take_while(|c| matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                        .count();
                    if len > MAX_NUMBER_CHARS {
                        return Err(format!(
                            "a number of {len} characters at byte {i}, longer than {MAX_NUMBER_CHARS} (RFC 7493 §2.2; Python's json refuses such integers)"
                        ));
                    }
                    i += len;
                    continue;
                }
                _ => {}
            }
        }
        i += 1;
    }
    Ok(())
}

fn json_type_name(first: Option<u8>) -> &'static str {
    match first {
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't') | Some(b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// A publish event (DESIGN §2). Required: `event_id`, `user.id`, `user.identity_verified`,
/// `content.kind`, `synthesis.technique`; everything else is optional (absent and `null` are the same).
#[derive(Debug, Clone, Deserialize)]
pub struct PublishEvent {
    /// Producer-assigned unique id; the Kafka key of every output record.
    pub event_id: String,
    /// RFC 3339 time the content was submitted (the schema's `date-time`; anything else is a
    /// `schema` dead letter). Passed through unchanged.
    #[serde(default)]
    pub occurred_at: Option<String>,
    /// The producing platform or app.
    #[serde(default)]
    pub platform: Option<String>,
    /// The publishing user (Art. 9).
    pub user: User,
    /// The content to be published.
    pub content: Content,
    /// How the content was synthesized (Art. 23 categories).
    pub synthesis: Synthesis,
    /// Explicit label and the user's AI declaration (Art. 16–18; labelling measures Art. 6).
    #[serde(default)]
    pub labels: Option<Labels>,
    /// The person depicted or voiced, if any (Art. 14).
    #[serde(default)]
    pub subject: Option<Subject>,
    /// News and reprint information (Art. 6(2), Art. 11).
    #[serde(default)]
    pub news: Option<News>,
}

impl PublishEvent {
    fn check(&self, limits: &Limits) -> Result<(), EventError> {
        if self.event_id.trim().is_empty() {
            return Err(EventError::new(
                EventErrorKind::Schema,
                "`event_id` must be a non-empty string",
            ));
        }
        if self.user.id.trim().is_empty() {
            // The schema's `minLength: 1` and `pattern: \S`: the id keys user actions (Art. 9/10).
            return Err(EventError::new(
                EventErrorKind::Schema,
                "`user.id` must be a non-empty string",
            ));
        }
        if let Some(at) = &self.occurred_at {
            if time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
                .is_err()
            {
                return Err(EventError::new(
                    EventErrorKind::Schema,
                    format!(
                        "occurred_at: expected an RFC 3339 date-time, found {}",
                        show_value(&serde_json::Value::String(at.clone()))
                    ),
                ));
            }
        }
        for (i, media) in self.content.media.iter().enumerate() {
            if let Some(m) = &media.metadata {
                if !m.is_object() && !m.is_null() {
                    return Err(EventError::new(
                        EventErrorKind::Schema,
                        format!(
                            "content.media[{i}].metadata: expected an object, found {}",
                            show_value(m)
                        ),
                    ));
                }
            }
        }
        if self.event_id.len() > limits.max_event_id_bytes {
            return Err(EventError::new(
                EventErrorKind::TooLarge,
                format!(
                    "`event_id` is {} bytes, the limit is {}",
                    self.event_id.len(),
                    limits.max_event_id_bytes
                ),
            ));
        }
        for (field, value) in self.limited_fields() {
            // Count lazily: only text longer than the limit in bytes can be over it in chars.
            if value.len() > limits.max_text_chars {
                let chars = value.chars().count();
                if chars > limits.max_text_chars {
                    return Err(EventError::new(
                        EventErrorKind::TooLarge,
                        format!(
                            "`{field}` has {chars} characters, the limit is {}",
                            limits.max_text_chars
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The reviewable text fields as `(field path, value)`, in a fixed order:
    /// `content.title`, `content.text`. The path is what evidence records name.
    pub fn text_fields(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("content.title", self.content.title.as_deref()),
            ("content.text", self.content.text.as_deref()),
        ]
        .into_iter()
        .filter_map(|(f, v)| v.map(|v| (f, v)))
    }

    /// Every user-visible free text the schema carries, for the `prohibited` stage (issue 11
    /// item 6; listed in `docs/matching.md`): `content.title`, `content.text`,
    /// `labels.explicit.text` and `news.source.name`, each with its field path. Media items
    /// carry no caption or alt text in `publish-event.v1.json` (only `url` and `mime`).
    pub fn visible_text_fields(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let label = self
            .labels
            .as_ref()
            .and_then(|l| l.explicit.as_ref())
            .and_then(|e| e.text.as_deref());
        let source = self
            .news
            .as_ref()
            .and_then(|n| n.source.as_ref())
            .and_then(|s| s.name.as_deref());
        self.text_fields()
            .chain(label.map(|t| ("labels.explicit.text", t)))
            .chain(source.map(|t| ("news.source.name", t)))
    }

    /// Every text field the limits apply to: the reviewable fields plus `labels.explicit.text`.
    fn limited_fields(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let label = self
            .labels
            .as_ref()
            .and_then(|l| l.explicit.as_ref())
            .and_then(|e| e.text.as_deref());
        self.text_fields()
            .chain(label.map(|t| ("labels.explicit.text", t)))
    }
}

/// The publishing user. Events never carry raw ID or phone numbers.
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    /// Opaque platform user id; never logged above debug.
    pub id: String,
    /// Whether the platform verified the user's real identity (Art. 9).
    pub identity_verified: bool,
    /// How the identity was verified.
    #[serde(default)]
    pub verification_method: Option<VerificationMethod>,
}

/// Real-identity verification methods (Art. 9: mobile number, ID card number, unified social
/// credit code, or the national network identity authentication public service).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum VerificationMethod {
    Mobile,
    IdCard,
    SocialCreditCode,
    NationalNetworkIdentity,
}

/// The content to publish.
#[derive(Debug, Clone, Deserialize)]
pub struct Content {
    /// What kind of content this is.
    pub kind: ContentKind,
    /// Title, reviewed like `text`.
    #[serde(default)]
    pub title: Option<String>,
    /// Body text (or transcript/caption for audio and video).
    #[serde(default)]
    pub text: Option<String>,
    /// Attached media files with their metadata (`null` and absent are an empty list, as the
    /// schema allows).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub media: Vec<Media>,
}

/// Content kinds (DESIGN §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ContentKind {
    Text,
    Image,
    Audio,
    Video,
    VirtualScene,
}

/// One media file.
#[derive(Debug, Clone, Deserialize)]
pub struct Media {
    /// Where the file is stored.
    #[serde(default)]
    pub url: Option<String>,
    /// MIME type, e.g. `image/png`.
    #[serde(default)]
    pub mime: Option<String>,
    /// File metadata as extracted by the platform; may hold the `AIGC` implicit label
    /// (GB 45438-2025 Annex E) as an object or a JSON string. Kept untyped here; the `labels`
    /// stage parses it.
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
    /// Paths of object keys that occur more than once in `metadata` as sent, e.g.
    /// `content.media[0].metadata.AIGC.Label` (keys cut to 64 characters with `…`, as the
    /// `labels` stage writes paths). `metadata` keeps only the last of duplicate keys, so this is
    /// where the `labels` stage learns that `{"Label":"9","Label":"1"}` was sent. Filled by
    /// [`parse_event`]; at most [`MAX_DUPLICATES`] paths.
    #[serde(skip)]
    pub duplicate_keys: Vec<String>,
}

/// At most this many duplicate-key paths are kept per media item.
pub const MAX_DUPLICATES: usize = 16;

/// Fills [`Media::duplicate_keys`] from the event's JSON text: the typed parse has already
/// refused duplicate keys in typed objects, only the untyped `metadata` keeps the last silently.
fn find_metadata_duplicates(text: &str, event: &mut PublishEvent) {
    if event.content.media.iter().all(|m| m.metadata.is_none()) {
        return;
    }
    #[derive(Deserialize)]
    struct Probe<'a> {
        #[serde(borrow)]
        content: ProbeContent<'a>,
    }
    #[derive(Deserialize)]
    struct ProbeContent<'a> {
        #[serde(borrow, default)]
        media: Option<Vec<ProbeMedia<'a>>>,
    }
    #[derive(Deserialize)]
    struct ProbeMedia<'a> {
        #[serde(borrow, default)]
        metadata: Option<&'a RawValue>,
    }
    let Ok(probe) = serde_json::from_str::<Probe<'_>>(text) else {
        return;
    };
    for (i, (media, raw)) in event
        .content
        .media
        .iter_mut()
        .zip(probe.content.media.unwrap_or_default())
        .enumerate()
    {
        let Some(raw) = raw.metadata else { continue };
        let Ok(tree) = serde_json::from_str::<KeyTree>(raw.get()) else {
            continue;
        };
        let mut path = format!("content.media[{i}].metadata");
        tree.duplicates(&mut path, &mut media.duplicate_keys);
    }
}

/// A JSON value reduced to its keys, duplicates kept: what [`find_metadata_duplicates`] walks.
enum KeyTree {
    Object(Vec<(String, KeyTree)>),
    Array(Vec<KeyTree>),
    Leaf,
}

impl KeyTree {
    fn duplicates(&self, path: &mut String, out: &mut Vec<String>) {
        match self {
            KeyTree::Object(entries) => {
                let mut seen = std::collections::HashSet::new();
                for (key, inner) in entries {
                    let len = path.len();
                    path.push('.');
                    let shown: String = key.chars().take(64).collect();
                    path.push_str(&shown);
                    if key.chars().nth(64).is_some() {
                        path.push('…');
                    }
                    if !seen.insert(key.as_str()) && out.len() < MAX_DUPLICATES {
                        out.push(path.clone());
                    }
                    inner.duplicates(path, out);
                    path.truncate(len);
                }
            }
            KeyTree::Array(items) => {
                for (i, inner) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    inner.duplicates(path, out);
                    path.truncate(len);
                }
            }
            KeyTree::Leaf => {}
        }
    }
}

impl<'de> Deserialize<'de> for KeyTree {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<KeyTree, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = KeyTree;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<KeyTree, E> {
                Ok(KeyTree::Leaf)
            }
            fn visit_i64<E>(self, _: i64) -> Result<KeyTree, E> {
                Ok(KeyTree::Leaf)
            }
            fn visit_u64<E>(self, _: u64) -> Result<KeyTree, E> {
                Ok(KeyTree::Leaf)
            }
            fn visit_f64<E>(self, _: f64) -> Result<KeyTree, E> {
                Ok(KeyTree::Leaf)
            }
            fn visit_str<E>(self, _: &str) -> Result<KeyTree, E> {
                Ok(KeyTree::Leaf)
            }
            fn visit_unit<E>(self) -> Result<KeyTree, E> {
                Ok(KeyTree::Leaf)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<KeyTree, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<KeyTree>()? {
                    items.push(item);
                }
                Ok(KeyTree::Array(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<KeyTree, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, KeyTree>()? {
                    entries.push((k, v));
                }
                Ok(KeyTree::Object(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// Synthesis details.
#[derive(Debug, Clone, Deserialize)]
pub struct Synthesis {
    /// The deep-synthesis technique (Art. 23 categories).
    pub technique: Technique,
    /// Service provider name.
    #[serde(default)]
    pub provider: Option<String>,
    /// Model name.
    #[serde(default)]
    pub model: Option<String>,
    /// Algorithm filing number (Art. 19).
    #[serde(default)]
    pub filing_number: Option<String>,
}

/// Deep-synthesis techniques, the categories of Art. 23.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Technique {
    TextGeneration,
    Dialogue,
    TextStyleTransfer,
    Tts,
    VoiceConversion,
    VoiceEditing,
    MusicGeneration,
    AudioSceneEditing,
    FaceGeneration,
    FaceSwap,
    FaceAttributeEditing,
    FaceManipulation,
    PoseManipulation,
    ImageGeneration,
    ImageEnhancement,
    ImageRestoration,
    #[serde(rename = "3d_reconstruction")]
    ThreeDReconstruction,
    DigitalHuman,
    VirtualScene,
    Other,
}

impl Technique {
    /// The contract name (DESIGN §2; the value of `synthesis.technique`), e.g. `face_swap`.
    pub fn as_str(self) -> &'static str {
        use Technique::*;
        match self {
            TextGeneration => "text_generation",
            Dialogue => "dialogue",
            TextStyleTransfer => "text_style_transfer",
            Tts => "tts",
            VoiceConversion => "voice_conversion",
            VoiceEditing => "voice_editing",
            MusicGeneration => "music_generation",
            AudioSceneEditing => "audio_scene_editing",
            FaceGeneration => "face_generation",
            FaceSwap => "face_swap",
            FaceAttributeEditing => "face_attribute_editing",
            FaceManipulation => "face_manipulation",
            PoseManipulation => "pose_manipulation",
            ImageGeneration => "image_generation",
            ImageEnhancement => "image_enhancement",
            ImageRestoration => "image_restoration",
            ThreeDReconstruction => "3d_reconstruction",
            DigitalHuman => "digital_human",
            VirtualScene => "virtual_scene",
            Other => "other",
        }
    }
}

/// Labels on the content.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Labels {
    /// The explicit (visible or audible) label, if any.
    #[serde(default)]
    pub explicit: Option<ExplicitLabel>,
    /// Whether the user declared the content AI-generated (labelling measures Art. 6(2), Art. 10).
    #[serde(default)]
    pub user_declared_ai: Option<bool>,
}

/// An explicit label (labelling measures Art. 3, Art. 4).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ExplicitLabel {
    /// Whether an explicit label is present.
    #[serde(default)]
    pub present: Option<bool>,
    /// The label wording, e.g. `AI生成`.
    #[serde(default)]
    pub text: Option<String>,
    /// Where it is placed.
    #[serde(default)]
    pub position: Option<LabelPosition>,
}

/// Explicit label positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum LabelPosition {
    Start,
    End,
    Middle,
    Other,
}

/// The real person whose face or voice is edited (Art. 14).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Subject {
    /// Whether a real natural person is depicted or voiced.
    #[serde(default)]
    pub real_person: Option<bool>,
    /// That person's separate consent.
    #[serde(default)]
    pub consent: Option<Consent>,
}

/// Consent states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Consent {
    Obtained,
    NotObtained,
    Unknown,
}

/// News information (Art. 6(2)).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct News {
    /// Declared as news.
    #[serde(default)]
    pub is_news: Option<bool>,
    /// Declared as a reprint of another unit's news.
    #[serde(default)]
    pub is_reprint: Option<bool>,
    /// The declared source.
    #[serde(default)]
    pub source: Option<NewsSource>,
}

/// A declared news source.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewsSource {
    /// Unit or website name, e.g. `新华网`.
    #[serde(default)]
    pub name: Option<String>,
    /// URL of the original article.
    #[serde(default)]
    pub url: Option<String>,
}

impl News {
    /// The declared source's name and URL, each trimmed, `None` when absent or blank.
    pub fn source_name_and_url(&self) -> (Option<&str>, Option<&str>) {
        fn clean(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        let source = self.source.as_ref();
        (
            clean(source.and_then(|s| s.name.as_deref())),
            clean(source.and_then(|s| s.url.as_deref())),
        )
    }
}

/// `null` or absent as the type's default (an empty list), anything else as the type.
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Best-effort extraction of `event_id` from a message that failed to parse, so dead-letter and
/// audit records can still name it. Returns `None` unless the bytes are a JSON object with a
/// string `event_id` of at most `max_bytes`.
pub fn salvage_event_id(bytes: &[u8], max_bytes: usize) -> Option<String> {
    #[derive(Deserialize)]
    struct IdOnly {
        event_id: String,
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let id: IdOnly = serde_json::from_str(text).ok()?;
    (!id.event_id.is_empty() && id.event_id.len() <= max_bytes).then_some(id.event_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_json_escapes_line_breaking_characters_in_every_string() {
        let value = serde_json::json!({"event_id": "c1\u{7F}\u{85}\u{2028}\u{2029}", "ok": "词"});
        let line = String::from_utf8(to_line_json(&value).unwrap()).unwrap();
        assert_eq!(
            line,
            r#"{"event_id":"c1\u007F\u0085\u2028\u2029","ok":"词"}"#
        );
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back, value);
    }

    const GOOD: &str = r#"{"event_id":"e1","user":{"id":"u","identity_verified":true},
        "content":{"kind":"text","text":"你好"},"synthesis":{"technique":"text_generation"},
        "extra_field":{"kept":[1,2,3]}}"#;

    #[test]
    fn parses_good_event_and_keeps_raw_text() {
        let p = parse_event(GOOD.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(p.event.event_id, "e1");
        assert_eq!(p.event.content.kind, ContentKind::Text);
        let minified: String = GOOD.split('\n').map(str::trim_start).collect();
        assert_eq!(
            p.raw.get(),
            minified.replace("\": ", "\":"),
            "raw JSON is passed through, only whitespace between tokens dropped"
        );
        assert!(!p.raw.get().contains('\n'));
    }

    #[test]
    fn minify_keeps_every_token_and_drops_only_whitespace() {
        let cases = [
            (
                "{ \"a\" :\t1 ,\r\n\"b\": [ 1.50 , -0e+3 ] }",
                r#"{"a":1,"b":[1.50,-0e+3]}"#,
            ),
            // Whitespace and escapes inside strings are kept as written.
            (
                r#"{"t": "a b\tc\r\n \" \\ \u0041"}"#,
                r#"{"t":"a b\tc\r\n \" \\ \u0041"}"#,
            ),
            // Duplicate keys and key order stay.
            (r#"{"z":1, "a":2, "z":3}"#, r#"{"z":1,"a":2,"z":3}"#),
            // Raw DEL, NEL (C1), U+2028/9 inside strings become escapes of themselves.
            (
                "{\"t\":\"a\u{7F}b\u{85}c\u{2028}d\u{2029}e\"}",
                r#"{"t":"a\u007Fb\u0085c\u2028d\u2029e"}"#,
            ),
            ("\r\n [ ] \r\n", "[]"),
            (r#""\\""#, r#""\\""#),
        ];
        for (input, want) in cases {
            let got = minify_json(input);
            assert_eq!(got, want, "{input:?}");
            let a: serde_json::Value = serde_json::from_str(input).unwrap();
            let b: serde_json::Value = serde_json::from_str(&got).unwrap();
            assert_eq!(a, b, "{input:?}: same value");
            assert!(!got
                .chars()
                .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}'));
        }
    }

    #[test]
    fn embedded_event_is_one_line_without_control_characters() {
        let text = "{\r\n\t\"event_id\" : \"cr\",\r\"user\":{\"id\":\"u\",\"identity_verified\":true},\r\n\
                    \"content\":{\"kind\":\"text\",\"text\":\"line\\r\\nbreak \u{2028} 1e400?\"},\
                    \"n\": 1.000000000000000000001, \"synthesis\":{\"technique\":\"dialogue\"}}\r\n";
        let p = parse_event(text.as_bytes(), &Limits::default()).unwrap();
        let raw = p.raw.get();
        assert!(!raw.chars().any(|c| c.is_control()), "{raw:?}");
        assert!(
            raw.contains(r#""n":1.000000000000000000001"#),
            "number text kept: {raw}"
        );
        assert!(raw.starts_with(r#"{"event_id":"cr","user""#), "{raw}");
        assert_eq!(
            p.event.content.text.as_deref(),
            Some("line\r\nbreak \u{2028} 1e400?")
        );
    }

    #[test]
    fn duplicate_metadata_keys_are_recorded_with_their_paths() {
        let text = r#"{"event_id":"d","user":{"id":"u","identity_verified":true},"content":{"kind":"image","media":[
            {"url":"a"},
            {"metadata":{"AIGC":{"Label":"9","Label":"1"},"list":[{"k":1,"k":2}]}}]},
            "synthesis":{"technique":"dialogue"}}"#;
        let p = parse_event(text.as_bytes(), &Limits::default()).unwrap();
        assert!(p.event.content.media[0].duplicate_keys.is_empty());
        assert_eq!(
            p.event.content.media[1].duplicate_keys,
            [
                "content.media[1].metadata.AIGC.Label",
                "content.media[1].metadata.list[0].k"
            ]
        );
        assert!(
            p.raw.get().contains(r#"{"Label":"9","Label":"1"}"#),
            "duplicates kept in the record"
        );
    }

    #[test]
    fn a_leading_byte_order_mark_is_ignored_and_not_embedded() {
        let limits = Limits::default();
        let plain = parse_event(GOOD.as_bytes(), &limits).unwrap();
        let bom = parse_event(format!("\u{feff}{GOOD}").as_bytes(), &limits).unwrap();
        assert_eq!(bom.raw.get(), plain.raw.get());
        assert!(!bom.raw.get().contains('\u{feff}'));
        // Only at the start: elsewhere it is not JSON whitespace.
        let inner = GOOD.replacen('{', "{\u{feff}", 1);
        let err = parse_event(inner.as_bytes(), &limits).unwrap_err();
        assert_eq!(err.kind, EventErrorKind::MalformedJson);
    }

    #[test]
    fn numbers_longer_than_python_reads_are_malformed() {
        let limits = Limits::default();
        let with = |n: &str| GOOD.replacen('{', &format!("{{\"n\":{n},"), 1);
        let longest = "9".repeat(MAX_NUMBER_CHARS);
        assert!(parse_event(with(&longest).as_bytes(), &limits).is_ok());
        assert!(parse_event(with(&format!("-1.5e{}", "1".repeat(8))).as_bytes(), &limits).is_ok());
        let err = parse_event(with(&format!("9{longest}")).as_bytes(), &limits).unwrap_err();
        assert_eq!(err.kind, EventErrorKind::MalformedJson);
        assert!(err.message.contains("4301 characters"), "{}", err.message);
        // Digits inside a string are text, not a number.
        let text = GOOD.replacen('{', &format!("{{\"n\":\"{}\",", "9".repeat(5000)), 1);
        assert!(parse_event(text.as_bytes(), &limits).is_ok());
    }

    #[test]
    fn classifies_bad_input() {
        let limits = Limits {
            max_event_bytes: 400,
            max_text_chars: 10,
            max_event_id_bytes: 8,
        };
        let ev = |text: &str, id: &str, kind: &str, tech: &str| {
            format!(
                r#"{{"event_id":{id},"user":{{"id":"u","identity_verified":true}},"content":{{"kind":{kind},"text":{text}}},"synthesis":{{"technique":{tech}}}}}"#
            )
        };
        let cases: Vec<(&str, Vec<u8>, EventErrorKind)> = vec![
            ("empty", b"".to_vec(), EventErrorKind::MalformedJson),
            (
                "whitespace",
                b"  \n".to_vec(),
                EventErrorKind::MalformedJson,
            ),
            (
                "truncated",
                b"{\"event_id\":".to_vec(),
                EventErrorKind::MalformedJson,
            ),
            (
                "trailing",
                format!("{GOOD}x").into_bytes(),
                EventErrorKind::MalformedJson,
            ),
            ("array", b"[1,2]".to_vec(), EventErrorKind::Schema),
            ("string", b"\"hi\"".to_vec(), EventErrorKind::Schema),
            ("null", b"null".to_vec(), EventErrorKind::Schema),
            ("number", b"42".to_vec(), EventErrorKind::Schema),
            (
                "missing required",
                br#"{"event_id":"x"}"#.to_vec(),
                EventErrorKind::Schema,
            ),
            (
                "wrong type",
                ev("1", "\"a\"", "\"text\"", "\"tts\"").into_bytes(),
                EventErrorKind::Schema,
            ),
            (
                "id not string",
                ev("\"t\"", "7", "\"text\"", "\"tts\"").into_bytes(),
                EventErrorKind::Schema,
            ),
            (
                "empty id",
                ev("\"t\"", "\"\"", "\"text\"", "\"tts\"").into_bytes(),
                EventErrorKind::Schema,
            ),
            (
                "unknown kind",
                ev("\"t\"", "\"a\"", "\"hologram\"", "\"tts\"").into_bytes(),
                EventErrorKind::Schema,
            ),
            (
                "unknown technique",
                ev("\"t\"", "\"a\"", "\"text\"", "\"magic\"").into_bytes(),
                EventErrorKind::Schema,
            ),
            (
                "invalid utf8",
                b"{\"event_id\":\"\xff\xfe\"}".to_vec(),
                EventErrorKind::InvalidUtf8,
            ),
            ("too many bytes", vec![b' '; 401], EventErrorKind::TooLarge),
            (
                "text too long",
                ev("\"一二三四五六七八九十十\"", "\"a\"", "\"text\"", "\"tts\"").into_bytes(),
                EventErrorKind::TooLarge,
            ),
            (
                "id too long",
                ev("\"t\"", "\"123456789\"", "\"text\"", "\"tts\"").into_bytes(),
                EventErrorKind::TooLarge,
            ),
        ];
        for (name, bytes, want) in cases {
            let got = parse_event(&bytes, &limits).map(|_| ()).unwrap_err();
            assert_eq!(got.kind, want, "{name}: {got}");
            assert!(!got.message.is_empty(), "{name}: message must say why");
        }
        // The same text at exactly the limit passes: the limit counts characters, not bytes.
        let ok = ev("\"一二三四五六七八九十\"", "\"a\"", "\"text\"", "\"tts\"");
        assert!(parse_event(ok.as_bytes(), &limits).is_ok());
    }

    #[test]
    fn rejects_json_other_tools_cannot_read() {
        let base = |extra: &str| {
            format!(
                r#"{{"event_id":"e","user":{{"id":"u","identity_verified":true}},"content":{{"kind":"text"}},"synthesis":{{"technique":"tts"}},"x":{extra}}}"#
            )
        };
        let deep = format!("{}{}", "[".repeat(MAX_NESTING), "]".repeat(MAX_NESTING));
        let too_deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(
            parse_event(
                base(&deep[1..deep.len() - 1]).as_bytes(),
                &Limits::default()
            )
            .is_ok(),
            "nesting at the limit passes"
        );
        for (name, extra) in [
            ("too deep", too_deep.as_str()),
            ("lone high surrogate", r#""\ud800""#),
            ("lone low surrogate", r#""a\udc00b""#),
            ("high then non-low", r#""\ud800\u0041""#),
        ] {
            let err = parse_event(base(extra).as_bytes(), &Limits::default()).unwrap_err();
            assert_eq!(err.kind, EventErrorKind::MalformedJson, "{name}: {err}");
        }
        for ok in [
            r#""\ud83d\ude00""#,
            r#""\\ud800""#,
            r#""\u00e9""#,
            r#""[{\"""#,
        ] {
            assert!(
                parse_event(base(ok).as_bytes(), &Limits::default()).is_ok(),
                "{ok}"
            );
        }
    }

    #[test]
    fn nulls_are_absent_and_3d_technique_parses() {
        let s = r#"{"event_id":"e","user":{"id":"u","identity_verified":false,"verification_method":null},
            "content":{"kind":"virtual_scene","title":null,"media":[]},"synthesis":{"technique":"3d_reconstruction"},
            "labels":null,"news":{"is_reprint":true,"source":null}}"#;
        let p = parse_event(s.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(p.event.synthesis.technique, Technique::ThreeDReconstruction);
        assert!(p.event.news.unwrap().source.is_none());
    }

    #[test]
    fn schema_details_name_the_field_path() {
        let detail = |patch: serde_json::Value| {
            let mut event: serde_json::Value = serde_json::from_str(GOOD).unwrap();
            merge(&mut event, patch);
            let err = parse_event(event.to_string().as_bytes(), &Limits::default()).unwrap_err();
            assert_eq!(err.kind, EventErrorKind::Schema, "{err}");
            err.message
        };
        let cases = [
            (
                serde_json::json!({"user": {"identity_verified": "yes"}}),
                r#"user.identity_verified: expected a boolean, found "yes""#,
            ),
            (
                serde_json::json!({"content": {"media": [{"mime": "image/png"}, {"mime": 7}]}}),
                "content.media[1].mime: expected a string, found 7",
            ),
            (
                serde_json::json!({"content": {"media": [{"url": ["a"]}]}}),
                "content.media[0].url: expected a string, found an array",
            ),
            (
                serde_json::json!({"content": {"media": {"mime": "image/png"}}}),
                "content.media: expected an array, found an object",
            ),
            (
                serde_json::json!({"user": "u-1"}),
                r#"user: expected an object, found "u-1""#,
            ),
            (
                serde_json::json!({"labels": {"explicit": {"present": 1.5}}}),
                "labels.explicit.present: expected a boolean, found 1.5",
            ),
            (
                serde_json::json!({"content": {"kind": null}}),
                "content.kind: expected a string, found null",
            ),
            (
                serde_json::json!({"content": {"kind": 3}}),
                "content.kind: expected a string, found 3",
            ),
            (
                serde_json::json!({"content": {"media": [{}, {"url": {"href": "x"}}]}}),
                "content.media[1].url: expected a string, found an object",
            ),
            (
                serde_json::json!({"user": {"id": null}}),
                "user.id: expected a string, found null",
            ),
            (
                serde_json::json!({"event_id": 1}),
                "event_id: expected a string, found 1",
            ),
            (
                serde_json::json!({"news": {"is_news": "是".repeat(40)}}),
                &format!(
                    r#"news.is_news: expected a boolean, found "{}…""#,
                    "是".repeat(32)
                ),
            ),
        ];
        for (patch, want) in cases {
            assert_eq!(detail(patch.clone()), want, "{patch}");
        }
        let unknown = detail(serde_json::json!({"synthesis": {"technique": "magic"}}));
        assert!(
            unknown.starts_with(
                "synthesis.technique: unknown variant `magic`, expected one of `text_generation`"
            ),
            "{unknown}"
        );
        // A missing field is named in the object that lacks it; at the top, without a path.
        let missing = |json: &str| parse_event(json.as_bytes(), &Limits::default()).unwrap_err();
        assert_eq!(
            missing(r#"{"event_id":"e","user":{"id":"u"},"content":{"kind":"text"},"synthesis":{"technique":"tts"}}"#).message,
            "user: missing field `identity_verified`"
        );
        assert_eq!(
            missing(r#"{"event_id":"e","user":{"id":"u","identity_verified":true},"content":{"kind":"text"}}"#).message,
            "missing field `synthesis`"
        );
    }

    /// Merges `patch` into `base`, object by object (as in the stages' test events).
    fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
        match (base, patch) {
            (serde_json::Value::Object(b), serde_json::Value::Object(p)) => {
                for (k, v) in p {
                    merge(b.entry(k).or_insert(serde_json::Value::Null), v);
                }
            }
            (b, p) => *b = p,
        }
    }

    #[test]
    fn technique_names_are_the_contract_names() {
        let all = [
            "text_generation",
            "dialogue",
            "text_style_transfer",
            "tts",
            "voice_conversion",
            "voice_editing",
            "music_generation",
            "audio_scene_editing",
            "face_generation",
            "face_swap",
            "face_attribute_editing",
            "face_manipulation",
            "pose_manipulation",
            "image_generation",
            "image_enhancement",
            "image_restoration",
            "3d_reconstruction",
            "digital_human",
            "virtual_scene",
            "other",
        ];
        for name in all {
            let t: Technique = serde_json::from_value(serde_json::json!(name)).unwrap();
            assert_eq!(t.as_str(), name);
        }
    }

    #[test]
    fn salvages_event_id_when_schema_fails() {
        assert_eq!(
            salvage_event_id(br#"{"event_id":"abc","user":1}"#, 64).as_deref(),
            Some("abc")
        );
        assert_eq!(salvage_event_id(b"not json", 64), None);
        assert_eq!(salvage_event_id(br#"{"event_id":"abcdef"}"#, 3), None);
    }
}
