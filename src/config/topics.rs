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
