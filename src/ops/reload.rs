//! Hot reload of the review engine (lexicons, news sources, stage options) on `SIGHUP`.
//!
//! The worker reads the current engine through an [`ArcSwap`] once per message, so a reload takes
//! effect from the next message on: messages already reviewed keep the decision (and the
//! `lexicon_version`) they were reviewed with, and nothing in flight is dropped or reviewed again.
//! A reload that fails (a bad lexicon row, a missing file) keeps the old engine serving and logs
//! the `file:line: reason`. `[kafka]`, `[topics]` and `[limits]` are read only at start-up;
//! changes to them on reload are reported and ignored until a restart.
//!
//! Metrics: `synth_review_config_reloads_total{result="success"|"error"}`,
//! `synth_review_lexicon_terms{lexicon}`.

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::config::{ConfigError, FileSource, PipelineFile};
use crate::engine::{load_with, Engine};
use crate::ops::metrics::Metrics;
use crate::sources::rumours::Rumour;

/// Reloads one pipeline file into a shared engine slot, with the refuted claims of the
/// refuted-claims topic added to its rumour library.
pub struct Reloader {
    path: PathBuf,
    fs: Arc<dyn FileSource>,
    slot: Arc<ArcSwap<Engine>>,
    metrics: Metrics,
    started_with: PipelineFile,
    refuted_claims: ArcSwap<Vec<Rumour>>,
    // One reload at a time (SIGHUP and the refuted-claims follower).
    reloading: std::sync::Mutex<()>,
}

impl Reloader {
    /// A reloader for the pipeline at `path`, whose start-up version is `started_with`.
    pub fn new(
        path: PathBuf,
        fs: Arc<dyn FileSource>,
        slot: Arc<ArcSwap<Engine>>,
        metrics: Metrics,
        started_with: PipelineFile,
    ) -> Self {
        Reloader {
            path,
            fs,
            slot,
            metrics,
            started_with,
            refuted_claims: ArcSwap::from_pointee(Vec::new()),
            reloading: std::sync::Mutex::new(()),
        }
    }

    /// Replaces the refuted claims read from the topic and reloads with them
    /// ([`crate::kafka::refuted_claims`]).
    ///
    /// # Errors
    /// As [`Reloader::reload`]; the old engine keeps serving.
    pub fn set_refuted_claims(&self, claims: Vec<Rumour>) -> Result<(), ConfigError> {
        let n = claims.len();
        self.refuted_claims.store(Arc::new(claims));
        self.metrics.set_refuted_claims(n);
        tracing::info!(
            claims = n,
            "Refuted claims from the topic; reloading the pipeline with them."
        );
        self.reload()
    }

    /// Loads the pipeline again and, if it is valid, swaps it in.
    ///
    /// # Errors
    /// The [`ConfigError`] of the new files; the old engine keeps serving.
    pub fn reload(&self) -> Result<(), ConfigError> {
        let _one = self.reloading.lock().unwrap_or_else(|e| e.into_inner());
        let claims = self.refuted_claims.load();
        // With the environment, as at start-up: the settings compared below are like with like.
        match load_with(&self.path, self.fs.as_ref(), std::env::vars(), &claims) {
            Ok(loaded) => {
                let f = &loaded.file;
                let s = &self.started_with;
                if f.topics != s.topics
                    || f.limits != s.limits
                    || format!("{:?}", f.kafka) != format!("{:?}", s.kafka)
                {
                    tracing::warn!(pipeline = %self.path.display(), "Changes to [kafka], [topics] or [limits] take effect only after a restart.");
                }
                let engine = loaded.engine;
                self.metrics
                    .set_lexicon_terms(engine.name(), engine.lexicon_terms());
                tracing::info!(
                    pipeline = engine.name(),
                    version = engine.version(),
                    lexicon_version = engine.lexicon_version(),
                    lexicon_terms = engine.lexicon_terms(),
                    "Pipeline reloaded."
                );
                self.slot.store(Arc::new(engine));
                self.metrics.config_reload(true);
                Ok(())
            }
            Err(error) => {
                // Escaped: the error may quote a value from the file (`expl\u{1b}[31mode`).
                let error_text = crate::app::printable(&error.to_string());
                tracing::error!(error = %error_text, "Reload failed; the previous pipeline keeps serving.");
                self.metrics.config_reload(false);
                Err(error)
            }
        }
    }

    /// Reloads on every `SIGHUP` until the process ends.
    pub async fn reload_on_sighup(self: Arc<Self>) {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            tracing::warn!("Cannot listen for SIGHUP; hot reload is off.");
            return;
        };
        while hup.recv().await.is_some() {
            let _ = self.reload();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Disk;
    use crate::engine::load_pipeline;
    use crate::event::{parse_event, Limits};

    #[test]
    fn reload_swaps_in_a_good_lexicon_and_keeps_the_old_one_on_error() {
        let dir = tempfile::tempdir().unwrap();
        let lex = dir.path().join("lex.csv");
        std::fs::write(&lex, "term,category,action\n网络赌场,gambling,reject\n").unwrap();
        let pipe = dir.path().join("p.toml");
        std::fs::write(&pipe, "[pipeline]\nname = \"r\"\n[[stages]]\nkind = \"prohibited\"\nlexicons = [\"lex.csv\"]\n").unwrap();
        let loaded = load_pipeline(&pipe, &Disk).unwrap();
        let v1 = loaded.engine.lexicon_version().to_string();
        let slot = Arc::new(ArcSwap::from_pointee(loaded.engine));
        let metrics = Metrics::new();
        let r = Reloader::new(
            pipe.clone(),
            Arc::new(Disk),
            slot.clone(),
            metrics.clone(),
            loaded.file,
        );
        let ev = parse_event(
            r#"{"event_id":"a","user":{"id":"u","identity_verified":true},"content":{"kind":"text","text":"出售仿真枪"},"synthesis":{"technique":"dialogue"}}"#.as_bytes(),
            &Limits::default(),
        )
        .unwrap()
        .event;
        assert!(slot.load().review(&ev).unwrap().reasons.is_empty());

        std::fs::write(
            &lex,
            "term,category,action\n网络赌场,gambling,reject\n仿真枪,weapons,hold\n",
        )
        .unwrap();
        r.reload().unwrap();
        let v2 = slot.load().lexicon_version().to_string();
        assert_ne!(v1, v2);
        assert_eq!(slot.load().review(&ev).unwrap().reasons.len(), 1);

        std::fs::write(&lex, "term,category,action\n仿真枪,weapons,maybe\n").unwrap();
        let err = r.reload().unwrap_err().to_string();
        assert!(
            err.ends_with("lex.csv:2: unknown action `maybe`: expected reject, hold or allow"),
            "{err}"
        );
        assert_eq!(
            slot.load().lexicon_version(),
            v2,
            "the old engine keeps serving"
        );
        // A lexicon replaced by a FIFO nobody writes: refused at once, not waited on.
        std::fs::remove_file(&lex).unwrap();
        let c = std::ffi::CString::new(lex.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = r.reload().unwrap_err().to_string();
        assert!(err.contains("not a regular file: a FIFO"), "{err}");
        assert_eq!(slot.load().lexicon_version(), v2);
        let text = metrics.encode();
        assert!(
            text.contains("synth_review_config_reloads_total{result=\"success\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("synth_review_config_reloads_total{result=\"error\"} 2"),
            "{text}"
        );
    }
}
