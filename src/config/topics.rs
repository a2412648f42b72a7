//! `[topics]` (DESIGN §1): the input topic and the five output topics.

use serde::Deserialize;

use super::Invalid;

/// `[topics]` (DESIGN §1).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Topics {
    /// Publish events are consumed from here.
    pub input: String,
    /// Approved decision records.
    pub approved: String,
    /// Held decision records: the moderators' hold queue.
    pub held: String,
    /// Rejected decision records.
    pub rejected: String,
    /// Unreadable messages, original bytes with `dlq.*` headers.
    pub dead_letter: String,
    /// Compact audit records, one per input message.
    pub audit: String,
    /// Refuted claims leads add to the rumour library from the console
    /// (`synth.refuted-claims.v1`, `schema/refuted-claim.v1.json`), read by the worker from the
    /// beginning and kept up with; `None` (the default): not read. Not in DESIGN §1.
    pub refuted_claims: Option<String>,
}

impl Default for Topics {
    fn default() -> Self {
        Topics {
            input: "synth.publish.v1".into(),
            approved: "synth.approved.v1".into(),
            held: "synth.held.v1".into(),
            rejected: "synth.rejected.v1".into(),
            dead_letter: "synth.dlq.v1".into(),
            audit: "synth.audit.v1".into(),
            refuted_claims: None,
        }
    }
}

/// Why `name` cannot be a Kafka topic: Kafka accepts 1 to 249 ASCII letters, digits, `.`, `_`
/// and `-`, but not `.` or `..` (`org.apache.kafka.common.internals.Topic.validate`). A record
/// for a topic that cannot exist would fail every transaction it is in.
pub fn topic_name_error(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > 249 {
        return Some(format!("topic {name:?}: 1 to 249 characters"));
    }
    if name == "." || name == ".." {
        return Some(format!("topic {name:?} is not a legal topic name"));
    }
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .map(|c| {
            format!(
                "topic {name:?} has {c:?}: Kafka topic names have only ASCII letters, digits, `.`, `_` and `-`"
            )
        })
}

impl Topics {
    /// Checks that every output topic is named and differs from the input and from each other.
    ///
    /// # Errors
    /// The first output topic that is empty or names the input or an earlier output topic.
    pub(crate) fn check(&self) -> Result<(), Invalid> {
        let outs = [
            ("approved", &self.approved),
            ("held", &self.held),
            ("rejected", &self.rejected),
            ("dead_letter", &self.dead_letter),
            ("audit", &self.audit),
        ];
        for (key, t) in std::iter::once(("input", &self.input))
            .chain(outs.iter().copied())
            .chain(self.refuted_claims.as_ref().map(|t| ("refuted_claims", t)))
        {
            // An empty one is refused below, with the other topics named.
            if let Some(e) = topic_name_error(t).filter(|_| !t.is_empty()) {
                return Err(Invalid::new(key, format!("[topics] {key}: {e}")));
            }
        }
        if let Some(t) = &self.refuted_claims {
            if t.is_empty() || t == &self.input || outs.iter().any(|(_, o)| *o == t) {
                return Err(Invalid::new(
                    "refuted_claims",
                    format!("[topics] `{t}` must be non-empty and differ from every other topic"),
                ));
            }
        }
        for (i, (key, a)) in outs.iter().enumerate() {
            if a.is_empty() || *a == &self.input || outs[..i].iter().any(|(_, b)| b == a) {
                return Err(Invalid::new(
                    key,
                    format!("[topics] `{a}` must be non-empty and differ from every other topic"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_are_what_kafka_accepts() {
        for fine in ["synth.refuted-claims.v1", "a", "A_b-c.9", &"x".repeat(249)] {
            assert_eq!(topic_name_error(fine), None, "{fine}");
        }
        for bad in [
            "",
            ".",
            "..",
            "no-such-topic-\u{e9}",
            "a b",
            "a/b",
            &"x".repeat(250),
        ] {
            assert!(topic_name_error(bad).is_some(), "{bad:?}");
        }
        let t = Topics {
            refuted_claims: Some("claims topic".into()),
            ..Topics::default()
        };
        assert_eq!(t.check().unwrap_err().key, "refuted_claims");
    }
}
