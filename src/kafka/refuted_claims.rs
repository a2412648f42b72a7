//! The worker's follower of the refuted-claims topic (`[topics] refuted_claims`, e.g.
//! `synth.refuted-claims.v1`; Art. 11): claims a lead added to the rumour library from the
//! console (`schema/refuted-claim.v1.json`, keyed by the claim). It reads the whole topic from the
//! beginning with an assigned consumer (no consumer group, nothing committed: every worker reads
//! every claim), `read_committed` (the console writes in Kafka transactions), and keeps reading.
//! Each time it has caught up with new claims it hands the full set to `on_change` (the worker
//! reloads its engine with them, [`crate::ops::reload::Reloader::set_refuted_claims`]). A record
//! that is not a claim (or has no key) is skipped with an error log; the topic not existing yet is
//! waited for.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Message, Offset, TopicPartitionList};
use serde::Deserialize;

use super::client::{consumer_config, LogContext, LogLimiter, ERROR_LOG_INTERVAL};
use crate::config::KafkaConfig;
use crate::sources::rumours::Rumour;

/// How long one poll waits; also how soon a stop is seen.
const POLL: Duration = Duration::from_millis(250);
/// How long to wait before looking for a topic that does not exist (yet) again.
const RETRY: Duration = Duration::from_secs(5);

/// A record of the refuted-claims topic, as far as the worker reads it.
#[derive(Debug, Deserialize)]
struct ClaimRecord {
    claim: String,
    refuted_by: String,
    #[serde(default)]
    refuted_at: Option<String>,
}

/// Reads one record's value as a claim.
///
/// # Errors
/// The JSON error's text for a value that is not a claim record.
pub fn parse_claim(value: &[u8]) -> Result<Rumour, String> {
    let r: ClaimRecord = serde_json::from_slice(value).map_err(|e| e.to_string())?;
    Ok(Rumour {
        claim: r.claim.trim().to_owned(),
        refuted_by: r.refuted_by.trim().to_owned(),
        refuted_at: r
            .refuted_at
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
    })
}

/// Applies one record to `claims` (key → claim): a value is the key's claim, no value removes the
/// key. Whether `claims` changed.
///
/// # Errors
/// Why the record is no claim: a value that is not a claim record, or a record without a key
/// (records are keyed by the claim; keyless ones would all replace each other).
fn apply(
    claims: &mut BTreeMap<Vec<u8>, Rumour>,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
) -> Result<bool, String> {
    let Some(key) = key.filter(|k| !k.is_empty()) else {
        return Err("a record without a key (refuted claims are keyed by the claim)".into());
    };
    match value {
        None => Ok(claims.remove(key).is_some()),
        Some(value) => {
            let r = parse_claim(value)?;
            let changed = claims.get(key) != Some(&r);
            claims.insert(key.to_vec(), r);
            Ok(changed)
        }
    }
}

/// Follows `topic` on a thread of its own until `stop` is set; see the module documentation.
/// `on_change` gets every claim read so far (the latest record per key; a record without a value
/// removes its key), in key order. `caught_up` is sent once: when the topic has been read to
/// its end the first time (after `on_change` for what it held), when it does not exist, or when
/// the consumer cannot be created.
pub fn spawn(
    kafka: &KafkaConfig,
    topic: String,
    stop: Arc<AtomicBool>,
    caught_up: std::sync::mpsc::Sender<()>,
    on_change: impl Fn(Vec<Rumour>) + Send + 'static,
) -> std::thread::JoinHandle<()> {
    let mut config = consumer_config(kafka);
    config
        .set("client.id", format!("{}-refuted-claims", kafka.client_id))
        // Assigned, never subscribed: the group is only named, apart from the worker's.
        .set("group.id", format!("{}-refuted-claims", kafka.group_id))
        .set("enable.auto.commit", "false")
        .set("statistics.interval.ms", "0");
    std::thread::Builder::new()
        .name("refuted-claims".into())
        .spawn(move || {
            let consumer: BaseConsumer<LogContext> =
                match config.create_with_context(LogContext::new("consumer")) {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::error!(error = %e, topic, "Cannot read the refuted-claims topic; the rumour library has only its files.");
                        let _ = caught_up.send(());
                        return;
                    }
                };
            follow(&consumer, &topic, &stop, &caught_up, &on_change);
        })
        .expect("spawn the refuted-claims thread")
}

fn follow(
    consumer: &BaseConsumer<LogContext>,
    topic: &str,
    stop: &AtomicBool,
    caught_up: &std::sync::mpsc::Sender<()>,
    on_change: &dyn Fn(Vec<Rumour>),
) {
    // Assign every partition from the beginning, once the topic exists.
    let mut waited = false;
    loop {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let partitions = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(5))
            .ok()
            .and_then(|m| {
                m.topics()
                    .iter()
                    .find(|t| t.name() == topic && t.error().is_none())
                    .map(|t| t.partitions().len())
            })
            .unwrap_or(0);
        if partitions > 0 {
            let mut tpl = TopicPartitionList::new();
            for p in 0..partitions as i32 {
                let _ = tpl.add_partition_offset(topic, p, Offset::Beginning);
            }
            match consumer.assign(&tpl) {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(error = %e, topic, "Cannot assign the refuted-claims topic; retrying.")
                }
            }
        } else if !waited {
            tracing::info!(
                topic,
                "The refuted-claims topic does not exist yet; waiting for it."
            );
            waited = true;
            let _ = caught_up.send(());
        }
        let deadline = std::time::Instant::now() + RETRY;
        while std::time::Instant::now() < deadline {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(POLL);
        }
    }
    tracing::info!(topic, "Following the refuted-claims topic.");
    let errors = LogLimiter::new(ERROR_LOG_INTERVAL);
    let mut claims: BTreeMap<Vec<u8>, Rumour> = BTreeMap::new();
    let mut changed = false;
    while !stop.load(Ordering::Relaxed) {
        match consumer.poll(POLL) {
            Some(Ok(m)) => match apply(&mut claims, m.key(), m.payload()) {
                Ok(c) => changed |= c,
                Err(e) => tracing::error!(
                    topic,
                    partition = m.partition(),
                    offset = m.offset(),
                    error = e,
                    "Not a refuted-claim record; skipped."
                ),
            },
            Some(Err(e)) => {
                if let Some(suppressed) = errors.allow() {
                    tracing::warn!(error = %e, suppressed, topic, "Reading the refuted-claims topic failed; retrying.");
                }
            }
            // Caught up: hand over what changed.
            None => {
                if changed {
                    changed = false;
                    on_change(claims.values().cloned().collect());
                }
                let _ = caught_up.send(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_records_are_read_and_bad_ones_refused() {
        let r = parse_claim(
            r#"{"claim_id":3,"claim":" 喝板蓝根能预防新冠 ","refuted_by":"国家卫健委","refuted_at":"","added_by":{"kind":"lead","id":"lee"}}"#.as_bytes(),
        )
        .unwrap();
        assert_eq!(
            (r.claim.as_str(), r.refuted_by.as_str(), r.refuted_at),
            ("喝板蓝根能预防新冠", "国家卫健委", None)
        );
        assert!(parse_claim(b"{\"claim\":\"x\"}").is_err());
        assert!(parse_claim(b"nope").is_err());
    }

    #[test]
    fn keyless_records_are_refused_and_tombstones_remove_their_key() {
        let rec =
            |claim: &str| format!(r#"{{"claim":"{claim}","refuted_by":"某机构"}}"#).into_bytes();
        let mut claims = BTreeMap::new();
        let a = rec("吃味精会导致脱发严重");
        let b = rec("用手机充电会导致白血病");
        assert_eq!(apply(&mut claims, Some(b"a"), Some(&a)), Ok(true));
        assert_eq!(apply(&mut claims, Some(b"a"), Some(&a)), Ok(false));
        // Without a key, a claim would replace every other keyless one: refused.
        for key in [None, Some(&b""[..])] {
            let e = apply(&mut claims, key, Some(&b)).unwrap_err();
            assert!(e.contains("without a key"), "{e}");
        }
        assert!(apply(&mut claims, Some(b"b"), Some(b"nope")).is_err());
        assert_eq!(apply(&mut claims, Some(b"b"), Some(&b)), Ok(true));
        assert_eq!(claims.len(), 2);
        assert_eq!(apply(&mut claims, Some(b"a"), None), Ok(true));
        assert_eq!(apply(&mut claims, Some(b"a"), None), Ok(false));
        assert_eq!(claims.len(), 1);
    }
}
