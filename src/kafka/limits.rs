//! The size limits of the output topics, read from the broker, so that the worker never produces
//! a record an output topic refuses.
//!
//! A refused record is not a passing fault: the broker refuses it again on every retry
//! (`MESSAGE_TOO_LARGE`), so in exactly-once mode the batch would be aborted and reviewed again
//! forever, and in at-least-once mode the worker would stop and refuse the same message after each
//! restart — a stalled partition either way. Instead, [`super::records::prepare`] checks every record
//! against [`OutputLimits`] before producing it: a decision record that does not fit its topic
//! turns the event into a dead letter `too_large`, and a dead letter that does not fit the
//! dead-letter topic is cut to fit (`dlq.truncated` header).
//!
//! The limits are the topics' effective `max.message.bytes` (Kafka topic config; the broker's
//! `message.max.bytes` when the topic does not override it), read with the DescribeConfigs admin
//! request (KIP-133) when the worker starts and every 5 minutes after, and capped by the
//! producer's own `message.max.bytes`. Until the broker has answered, only the producer's cap
//! applies.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use arc_swap::ArcSwap;
use rdkafka::admin::{AdminClient, AdminOptions, OwnedResourceSpecifier, ResourceSpecifier};
use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, FromClientConfigAndContext, RDKafkaLogLevel};
use rdkafka::error::KafkaError;

use crate::config::{KafkaConfig, Topics};

/// Bytes of a Kafka record batch (message format v2) around its records: base offset (8), length
/// (4), partition leader epoch (4), magic (1), CRC (4), attributes (2), last offset delta (4),
/// timestamps (2 × 8), producer id (8), producer epoch (2), base sequence (4), record count (4).
/// The broker compares the whole batch with `max.message.bytes`.
pub const BATCH_OVERHEAD: usize = 61;

/// The smallest `max.message.bytes` the worker accepts on an output topic, in bytes. Audit
/// records and the keys and headers of dead letters are bounded (event ids ≤ 256 bytes, each
/// reason code once, `dlq.detail` ≤ 1 KiB, cut keys ≤ 1 KiB) and fit well within it; below it the
/// worker refuses to start, since such a record could be refused and stall its partition.
pub const MIN_OUTPUT_LIMIT: usize = 8192;

/// Slack kept below every limit, for what the bound in [`record_size_bound`] cannot see.
const SLACK: usize = 256;

/// The largest output record, in bytes, that each topic accepts.
#[derive(Debug, Clone)]
pub struct OutputLimits {
    /// Effective `max.message.bytes` per topic, as the broker reported it.
    topics: HashMap<String, usize>,
    /// The producer's `message.max.bytes`: librdkafka refuses larger records locally.
    producer_max: usize,
}

impl OutputLimits {
    /// Limits before the broker has answered: the producer's `message.max.bytes` only.
    pub fn producer_only(producer_max: usize) -> Self {
        OutputLimits {
            topics: HashMap::new(),
            producer_max,
        }
    }

    /// Limits with a known `max.message.bytes` per topic (bytes).
    pub fn with_topics(producer_max: usize, topics: HashMap<String, usize>) -> Self {
        OutputLimits {
            topics,
            producer_max,
        }
    }

    /// Output topics whose limit is below [`MIN_OUTPUT_LIMIT`], with their limit.
    pub fn too_small(&self) -> Vec<(String, usize)> {
        let mut v: Vec<(String, usize)> = self
            .topics
            .iter()
            .filter(|(_, &l)| l < MIN_OUTPUT_LIMIT)
            .map(|(t, &l)| (t.clone(), l))
            .collect();
        v.sort();
        v
    }

    /// The smallest `max.message.bytes` of the output topics, if the broker has answered.
    pub fn smallest(&self) -> Option<usize> {
        self.topics.values().copied().min()
    }

    /// Keeps the producer's record batches within the smallest output topic limit: librdkafka
    /// fills a batch with up to `batch.size` bytes of records (default 1,000,000) and the broker
    /// refuses a whole batch larger than the topic's `max.message.bytes`, even when every record in
    /// it fits. A record larger than `batch.size` still goes alone in its own batch. A smaller
    /// `batch.size` set by the operator is kept.
    pub fn cap_batch_size(&self, producer: &mut ClientConfig) {
        let Some(smallest) = self.smallest() else {
            return;
        };
        let cap = smallest.saturating_sub(SLACK).max(1);
        let current = producer
            .get("batch.size")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(1_000_000);
        if cap < current {
            producer.set("batch.size", cap.to_string());
        }
    }

    /// The topic's limit in bytes for one record batch: its `max.message.bytes` if known, capped by
    /// the producer's.
    pub fn limit(&self, topic: &str) -> usize {
        self.topics
            .get(topic)
            .map_or(self.producer_max, |&t| t.min(self.producer_max))
    }

    /// Whether a record with this key, value length and headers fits `topic`.
    pub fn fits(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        value_len: usize,
        headers: &[(String, Vec<u8>)],
    ) -> bool {
        record_size_bound(key, value_len, headers) + SLACK <= self.limit(topic)
    }

    /// The longest value (bytes) a record with this key and headers may have in `topic`; 0 if not
    /// even an empty value fits.
    pub fn room_for_value(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        headers: &[(String, Vec<u8>)],
    ) -> usize {
        self.limit(topic)
            .saturating_sub(record_size_bound(key, 0, headers) + SLACK)
    }
}

/// An upper bound, in bytes, of a record batch that holds only this record (Kafka message format
/// v2, KIP-98): the batch header plus the record with every varint at its longest. Compression
/// never makes it larger: librdkafka sends a batch uncompressed when compressing would grow it.
pub fn record_size_bound(
    key: Option<&[u8]>,
    value_len: usize,
    headers: &[(String, Vec<u8>)],
) -> usize {
    // length, attributes, timestamp delta, offset delta, key length, value length, header count
    const RECORD_FIXED: usize = 5 + 1 + 10 + 5 + 5 + 5 + 5;
    let headers: usize = headers.iter().map(|(k, v)| 10 + k.len() + v.len()).sum();
    BATCH_OVERHEAD + RECORD_FIXED + key.map_or(0, <[u8]>::len) + value_len + headers
}

/// A client context that keeps the admin client's connection errors out of the log: the consumer
/// and the producer already report an unreachable broker.
struct QuietContext;

impl ClientContext for QuietContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        tracing::debug!(?level, fac, "librdkafka (admin): {log_message}");
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::debug!(%error, reason, "librdkafka error (admin).");
    }
}

/// How often the limits are read again once known.
const REFRESH: Duration = Duration::from_secs(300);
/// How long the start-up waits for the first answer.
const FIRST_WAIT: Duration = Duration::from_secs(5);
/// How soon a failed read is tried again.
const RETRY: Duration = Duration::from_secs(10);

/// Reads the output topics' limits from the broker (waiting at most 5 s for the first answer, so
/// that the first batch is already checked against them when the broker is up), then starts a
/// task that reads them again every 5 minutes (every 10 s until a first answer), and returns
/// where it keeps them. The task ends when the returned handle is dropped. Must be called inside a
/// Tokio runtime. With `from_broker` false, nothing is read: the producer's limit only.
///
/// # Errors
/// Creating the admin client (a bad client setting; the worker's own clients would fail too).
pub async fn watch(
    k: &KafkaConfig,
    topics: &Topics,
    producer_max: usize,
    from_broker: bool,
) -> Result<Arc<ArcSwap<OutputLimits>>, KafkaError> {
    let limits = Arc::new(ArcSwap::from_pointee(OutputLimits::producer_only(
        producer_max,
    )));
    if !from_broker {
        return Ok(limits);
    }
    let c = super::client::admin_config(k);
    let admin = AdminClient::from_config_and_context(&c, QuietContext)?;
    // Each topic once: a DescribeConfigs request naming a topic twice is refused as a whole.
    let mut names: Vec<String> = [
        &topics.approved,
        &topics.held,
        &topics.rejected,
        &topics.audit,
        &topics.dead_letter,
    ]
    .into_iter()
    .cloned()
    .collect();
    names.sort();
    names.dedup();
    let weak: Weak<ArcSwap<OutputLimits>> = Arc::downgrade(&limits);
    let first = tokio::time::timeout(FIRST_WAIT, describe(&admin, &names))
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {FIRST_WAIT:?}")));
    let mut known = apply(&limits, producer_max, first, false);
    // Failures are logged once until a read succeeds; a failed refresh keeps the limits last read.
    let mut quiet = !known;
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(if known { REFRESH } else { RETRY }).await;
            let attempt = describe(&admin, &names).await;
            let Some(slot) = weak.upgrade() else { return };
            let ok = apply(&slot, producer_max, attempt, quiet || known);
            quiet = !ok;
            known |= ok;
        }
    });
    Ok(limits)
}

/// Stores the limits of a successful read and logs them; logs a failed read unless `quiet`.
/// Whether the read succeeded.
fn apply(
    slot: &ArcSwap<OutputLimits>,
    producer_max: usize,
    attempt: Result<HashMap<String, usize>, String>,
    quiet: bool,
) -> bool {
    match attempt {
        Ok(topics) => {
            if slot.load().topics != topics {
                tracing::info!(?topics, "Output topic limits (max.message.bytes) read.");
                let small = OutputLimits::with_topics(producer_max, topics.clone()).too_small();
                if !small.is_empty() {
                    tracing::error!(
                        ?small,
                        min = MIN_OUTPUT_LIMIT,
                        "Output topics accept less than the worker needs; records may be refused."
                    );
                }
            }
            slot.store(Arc::new(OutputLimits::with_topics(producer_max, topics)));
            true
        }
        Err(error) => {
            if !quiet {
                tracing::warn!(%error, "Cannot read the output topics' max.message.bytes (yet); \
                    checking records against the producer's message.max.bytes meanwhile.");
            }
            false
        }
    }
}

/// The start-up check: an error naming the output topics whose limit is below
/// [`MIN_OUTPUT_LIMIT`] (`topic: N bytes`, comma-separated), if any.
///
/// # Errors
/// The list of topics that are too small.
pub fn check_minimum(limits: &OutputLimits) -> Result<(), String> {
    let small = limits.too_small();
    if small.is_empty() {
        return Ok(());
    }
    Err(small
        .iter()
        .map(|(t, l)| format!("`{t}`: {l} bytes"))
        .collect::<Vec<_>>()
        .join(", "))
}

/// The effective `max.message.bytes` of each topic (topics the broker does not know are left out).
async fn describe<C: ClientContext + 'static>(
    admin: &AdminClient<C>,
    names: &[String],
) -> Result<HashMap<String, usize>, String> {
    let specs: Vec<ResourceSpecifier<'_>> =
        names.iter().map(|n| ResourceSpecifier::Topic(n)).collect();
    let opts = AdminOptions::new().request_timeout(Some(Duration::from_secs(10)));
    let results = admin
        .describe_configs(specs.iter(), &opts)
        .await
        .map_err(|e| e.to_string())?;
    let mut out = HashMap::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(resource) => {
                let OwnedResourceSpecifier::Topic(name) = &resource.specifier else {
                    continue;
                };
                match resource
                    .get("max.message.bytes")
                    .and_then(|e| e.value.as_deref())
                    .and_then(|v| v.parse::<usize>().ok())
                {
                    Some(v) => {
                        out.insert(name.clone(), v);
                    }
                    None => errors.push(format!("{name}: no max.message.bytes")),
                }
            }
            Err(code) => errors.push(code.to_string()),
        }
    }
    if out.is_empty() {
        return Err(if errors.is_empty() {
            "no topic described".into()
        } else {
            errors.join("; ")
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_covers_a_real_record_batch() {
        // A v2 batch of one record with a 3-byte key, 10-byte value and one header "a"="b" is
        // 61 + 1 (length) + 1 + 1 + 1 + 1 + 3 + 1 + 10 + 1 + (1 + 1 + 1 + 1) = 85 bytes.
        let headers = vec![("a".to_string(), b"b".to_vec())];
        let bound = record_size_bound(Some(b"key"), 10, &headers);
        assert!(bound >= 85, "{bound}");
        assert!(bound <= 85 + 64, "{bound}: the bound should stay tight");
    }

    #[test]
    fn topic_limits_are_capped_by_the_producer() {
        let limits = OutputLimits::with_topics(
            3_000_000,
            HashMap::from([("small".to_string(), 1_000), ("big".to_string(), 9_000_000)]),
        );
        assert_eq!(limits.limit("small"), 1_000);
        assert_eq!(limits.limit("big"), 3_000_000);
        assert_eq!(limits.limit("unknown"), 3_000_000);
        assert!(limits.fits("small", None, 500, &[]));
        assert!(!limits.fits("small", None, 900, &[]));
        let room = limits.room_for_value("small", Some(b"k"), &[]);
        assert!(limits.fits("small", Some(b"k"), room, &[]));
        assert!(!limits.fits("small", Some(b"k"), room + 1, &[]));
        assert_eq!(
            limits.room_for_value("small", None, &[("h".into(), vec![0; 2_000])]),
            0
        );
    }

    #[test]
    fn batches_are_capped_by_the_smallest_topic_limit() {
        let unknown = OutputLimits::producer_only(3_000_000);
        let mut c = ClientConfig::new();
        unknown.cap_batch_size(&mut c);
        assert_eq!(c.get("batch.size"), None, "librdkafka's default stays");

        let known = OutputLimits::with_topics(
            3_000_000,
            HashMap::from([("a".to_string(), 32_768), ("b".to_string(), 1_048_588)]),
        );
        known.cap_batch_size(&mut c);
        let cap: usize = c.get("batch.size").unwrap().parse().unwrap();
        assert!(cap < 32_768 && cap > 30_000, "{cap}");

        let mut smaller = ClientConfig::new();
        smaller.set("batch.size", "16384");
        known.cap_batch_size(&mut smaller);
        assert_eq!(
            smaller.get("batch.size"),
            Some("16384"),
            "the operator's smaller value stays"
        );
    }
}
