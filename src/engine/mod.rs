//! The review engine: a pipeline's stages in order, the policy that maps findings to actions, and
//! the decision combination of DESIGN §3. It knows nothing about Kafka, so `review` (JSONL) and
//! `run` (Kafka) share it unchanged.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::config::{parse_pipeline, ConfigError, FileSource, PipelineFile, StageConfig};
use crate::decision::{
    combine, Action, Decision, DecisionRecord, PublishAction, Reason, ReasonCode, StageKind,
};
use crate::event::{Limits, PublishEvent};
use crate::sources::news_units::NewsSources;
use crate::sources::rumours::RumourLibrary;
use crate::stages::{
    biometric_consent::BiometricConsent, identity::Identity, labels::Labels,
    news_source::NewsSource, prohibited::Prohibited, reprint_source::ReprintSource,
};
use crate::stages::{Stage, StageOutput};
use crate::text::lexicon::parse_lexicon;
use crate::text::matcher::Matcher;
use crate::text::normalize::Normalizer;

mod panic_guard;

/// The result of reviewing one event.
#[derive(Debug, Clone)]
pub struct Review {
    /// The combined decision.
    pub decision: Decision,
    /// Every reason, in stage order, with the action after policy.
    pub reasons: Vec<Reason>,
    /// Actions for the platform.
    pub actions: Vec<PublishAction>,
    /// Time spent per stage, for `synth_review_stage_duration_seconds`.
    pub timings: Vec<(StageKind, Duration)>,
}

struct ConfiguredStage {
    stage: Box<dyn Stage>,
    overrides: BTreeMap<ReasonCode, Action>,
}

/// Reviewing an event failed inside the worker.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// A stage panicked. `location` is the panic's `file:line`, if known.
    #[error("stage `{}` failed (panic at {location}); the event was set aside", stage.as_str())]
    StagePanicked {
        /// The stage that panicked.
        stage: StageKind,
        /// Where, in the worker's source.
        location: String,
    },
}

/// A loaded pipeline: stages, policy and versions. Cheap to share behind an `Arc`.
pub struct Engine {
    name: String,
    version: String,
    lexicon_version: String,
    limits: Limits,
    stages: Vec<ConfiguredStage>,
    lexicon_terms: usize,
}

/// A pipeline file loaded with all its data files.
pub struct LoadedPipeline {
    /// The parsed file (Kafka settings, topics, limits).
    pub file: PipelineFile,
    /// The engine built from it.
    pub engine: Engine,
}

fn digest(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    let out = h.finalize();
    out[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// Loads a pipeline file and every data file it names, and builds the engine.
///
/// Relative data paths resolve against the pipeline file's folder (DESIGN §5).
///
/// # Errors
/// A [`ConfigError`] naming `file:line` for any problem in the pipeline or a data file.
pub fn load_pipeline(path: &Path, fs: &dyn FileSource) -> Result<LoadedPipeline, ConfigError> {
    let bytes = fs
        .read(path)
        .map_err(|e| ConfigError::file(path.display(), format!("cannot read: {e}")))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        ConfigError::file(
            path.display(),
            format!("invalid UTF-8 at byte {}", e.valid_up_to()),
        )
    })?;
    let file = parse_pipeline(path, text)?;
    let base = path.parent().unwrap_or(Path::new(""));
    // Every data file read, in load order: their digest is the `lexicon_version` of each record.
    let data_parts: std::cell::RefCell<Vec<Vec<u8>>> = Default::default();
    // `stage` is the byte range of the `[[stages]]` table naming the file: an error names the
    // pipeline line where the file's name is written.
    let read =
        |rel: &str, stage: &std::ops::Range<usize>| -> Result<(String, Vec<u8>), ConfigError> {
            let p = crate::config::normalize_path(&base.join(rel));
            let shown = p.display().to_string();
            fs.read(&p)
                .map(|b| {
                    data_parts.borrow_mut().push(b.clone());
                    (shown.clone(), b)
                })
                .map_err(|e| {
                    let at = text
                        .get(stage.clone())
                        .and_then(|t| t.find(rel))
                        .map_or(stage.start, |i| stage.start + i);
                    ConfigError::file(
                        &shown,
                        format!(
                            "cannot read (named in {}:{}): {e}",
                            path.display(),
                            crate::config::line_of(text, at)
                        ),
                    )
                })
        };
    let load_sources = |rel: &str,
                        aliases: Option<&str>,
                        stage: &std::ops::Range<usize>|
     -> Result<Arc<NewsSources>, ConfigError> {
        let (shown, bytes) = read(rel, stage)?;
        let mut list = NewsSources::parse(&shown, &bytes)?;
        if let Some(a) = aliases {
            let (shown, bytes) = read(a, stage)?;
            list.add_aliases(&shown, &bytes)?;
        }
        Ok(Arc::new(list))
    };
    let normalizer = Arc::new(Normalizer::new());
    let mut stages = Vec::new();
    let mut lexicon_terms = 0;
    for spanned in &file.stages {
        let cfg = spanned.get_ref();
        let span = spanned.span();
        let stage: Box<dyn Stage> = match cfg {
            StageConfig::Identity { .. } => Box::new(Identity),
            StageConfig::Prohibited { lexicons, .. } => {
                if lexicons.is_empty() {
                    return Err(ConfigError::line(
                        path.display(),
                        crate::config::line_of(text, spanned.span().start),
                        "stage `prohibited` needs at least one file in `lexicons`",
                    ));
                }
                let mut entries = Vec::new();
                for rel in lexicons {
                    let (shown, bytes) = read(rel, &span)?;
                    entries.extend(parse_lexicon(&shown, &bytes)?);
                }
                if !entries
                    .iter()
                    .any(|e| e.action != crate::text::matcher::TermAction::Allow)
                {
                    return Err(ConfigError::line(
                        path.display(),
                        crate::config::line_of(text, spanned.span().start),
                        "the lexicons of stage `prohibited` contain no reject or hold term",
                    ));
                }
                let matcher = Matcher::new(normalizer.clone(), entries)
                    .map_err(|e| ConfigError::file(path.display(), e.to_string()))?;
                lexicon_terms += matcher.len();
                Box::new(Prohibited::new(Arc::new(matcher)))
            }
            StageConfig::ReprintSource {
                sources, aliases, ..
            } => Box::new(ReprintSource::new(load_sources(
                sources,
                aliases.as_deref(),
                &span,
            )?)),
            StageConfig::NewsSource {
                sources,
                aliases,
                rumours,
                rumour_threshold,
                ..
            } => {
                let library = match rumours {
                    Some(rel) => {
                        let (shown, bytes) = read(rel, &span)?;
                        RumourLibrary::parse(&shown, &bytes, *rumour_threshold)?
                    }
                    None => RumourLibrary::empty(),
                };
                Box::new(
                    NewsSource::new(
                        load_sources(sources, aliases.as_deref(), &span)?,
                        Arc::new(library),
                    )
                    .map_err(|e| ConfigError::file(path.display(), e.to_string()))?,
                )
            }
            StageConfig::Labels { .. } => Box::new(Labels),
            StageConfig::BiometricConsent { .. } => Box::new(BiometricConsent),
        };
        stages.push(ConfiguredStage {
            stage,
            overrides: cfg.actions().clone(),
        });
    }
    let data_parts = data_parts.into_inner();
    let lexicon_version = if data_parts.is_empty() {
        "none".to_string()
    } else {
        let parts: Vec<&[u8]> = data_parts.iter().map(Vec::as_slice).collect();
        digest(&parts)
    };
    let version = file
        .pipeline
        .version
        .clone()
        .unwrap_or_else(|| digest(&[&bytes]));
    let engine = Engine {
        name: file.pipeline.name.clone(),
        version,
        lexicon_version,
        limits: file.limits,
        stages,
        lexicon_terms,
    };
    Ok(LoadedPipeline { file, engine })
}

impl Engine {
    /// Runs every stage (no short-circuit, DESIGN §3) and combines the findings.
    ///
    /// # Errors
    /// [`ReviewError::StagePanicked`] when a stage panics: the panic is caught here (so a bad
    /// stage cannot crash the worker and crash-loop it on the same message), logged with the
    /// stage name and the panic's location but no content, and the caller sets the event aside as
    /// a dead letter `internal_error`.
    pub fn review(&self, event: &PublishEvent) -> Result<Review, ReviewError> {
        let mut reasons = Vec::new();
        let mut actions = Vec::new();
        let mut timings = Vec::with_capacity(self.stages.len());
        let mut out = StageOutput::default();
        for cs in &self.stages {
            let started = Instant::now();
            let stage = cs.stage.kind();
            panic_guard::run(stage, || cs.stage.review(event, &mut out))?;
            timings.push((stage, started.elapsed()));
            for f in out.findings.drain(..) {
                let action = cs.overrides.get(&f.code).copied().unwrap_or(f.action);
                reasons.push(Reason {
                    stage,
                    code: f.code,
                    category: f.category,
                    action,
                    article: f.code.article().to_string(),
                    evidence: f.evidence,
                    detail: f.detail,
                });
            }
            actions.append(&mut out.actions);
        }
        Ok(Review {
            decision: combine(&reasons),
            reasons,
            actions,
            timings,
        })
    }

    /// Appends a stage built outside the pipeline file (embedding the engine, fault-injection
    /// tests). It runs after the configured stages, with its findings' own actions.
    pub fn push_stage(&mut self, stage: Box<dyn Stage>) {
        self.stages.push(ConfiguredStage {
            stage,
            overrides: BTreeMap::new(),
        });
    }

    /// The decision record for a reviewed event (DESIGN §3).
    pub fn record<'a>(
        &'a self,
        event_id: &'a str,
        review: &'a Review,
        raw: &'a RawValue,
        reviewed_at: &'a str,
    ) -> DecisionRecord<'a> {
        DecisionRecord {
            event_id,
            decision: review.decision,
            reasons: &review.reasons,
            actions: &review.actions,
            pipeline: &self.name,
            pipeline_version: &self.version,
            lexicon_version: &self.lexicon_version,
            reviewed_at,
            event: raw,
        }
    }

    /// Pipeline name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Pipeline version.
    pub fn version(&self) -> &str {
        &self.version
    }
    /// Digest of every data file the pipeline loaded — lexicons, news sources, aliases, rumours —
    /// (12 hex digits of SHA-256), or `none`: a record names exactly the data that decided it.
    pub fn lexicon_version(&self) -> &str {
        &self.lexicon_version
    }
    /// Input limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
    /// Number of prohibited/hold terms loaded (allow rows not counted).
    pub fn lexicon_terms(&self) -> usize {
        self.lexicon_terms
    }
    /// The stage kinds, in order.
    pub fn stage_kinds(&self) -> Vec<StageKind> {
        self.stages.iter().map(|s| s.stage.kind()).collect()
    }
}

/// Current UTC time as RFC 3339 with millisecond precision, e.g. `2026-11-29T08:00:00.123Z`.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    now.format(&fmt)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Embedded;
    use crate::event::parse_event;
    use std::collections::HashMap;
    use std::path::PathBuf;

    fn fs(pipeline: &'static str) -> Embedded {
        let mut m: HashMap<PathBuf, &'static [u8]> = HashMap::new();
        m.insert("p/pipe.toml".into(), pipeline.as_bytes());
        m.insert(
            "data/lex.csv".into(),
            "term,category,action\n网络赌场,gambling,reject\n代开发票,illegal_goods,hold\n"
                .as_bytes(),
        );
        m.insert(
            "data/src.csv".into(),
            "name,domain\n新华网,news.cn\n".as_bytes(),
        );
        m.insert(
            "data/bad.csv".into(),
            "term,category,action\nx,y,zap\n".as_bytes(),
        );
        Embedded(m)
    }

    const PIPE: &str = "[pipeline]\nname = \"t\"\nversion = \"v1\"\n[[stages]]\nkind = \"identity\"\n[[stages]]\nkind = \"prohibited\"\nlexicons = [\"../data/lex.csv\"]\n[[stages]]\nkind = \"reprint_source\"\nsources = \"../data/src.csv\"\n";

    fn review(engine: &Engine, json: &str) -> Review {
        engine
            .review(
                &parse_event(json.as_bytes(), &Limits::default())
                    .unwrap()
                    .event,
            )
            .unwrap()
    }

    #[test]
    fn all_stages_run_and_the_most_severe_action_wins() {
        let loaded = load_pipeline(Path::new("p/pipe.toml"), &fs(PIPE)).unwrap();
        let e = &loaded.engine;
        assert_eq!(
            e.stage_kinds(),
            vec![
                StageKind::Identity,
                StageKind::Prohibited,
                StageKind::ReprintSource
            ]
        );
        assert_eq!(e.lexicon_terms(), 2);
        let clean = r#"{"event_id":"a","user":{"id":"u","identity_verified":true},"content":{"kind":"text","text":"新年好"},"synthesis":{"technique":"dialogue"}}"#;
        assert_eq!(review(e, clean).decision, Decision::Approve);
        let hold = r#"{"event_id":"a","user":{"id":"u","identity_verified":true},"content":{"kind":"text","text":"代开发票"},"synthesis":{"technique":"dialogue"}}"#;
        assert_eq!(review(e, hold).decision, Decision::Hold);
        let both = r#"{"event_id":"a","user":{"id":"u","identity_verified":false},"content":{"kind":"text","text":"代开发票"},"synthesis":{"technique":"dialogue"},"news":{"is_reprint":true}}"#;
        let r = review(e, both);
        assert_eq!(r.decision, Decision::Reject);
        let codes: Vec<_> = r.reasons.iter().map(|r| r.code).collect();
        assert_eq!(
            codes,
            vec![
                ReasonCode::IdentityUnverified,
                ReasonCode::ProhibitedTerm,
                ReasonCode::ReprintSourceMissing
            ]
        );
        assert_eq!(r.timings.len(), 3);
    }

    #[test]
    fn policy_overrides_replace_default_actions() {
        let pipe = "[pipeline]\nname = \"t\"\n[[stages]]\nkind = \"identity\"\n[stages.actions]\nidentity_unverified = \"hold\"\n";
        let loaded = load_pipeline(Path::new("p/pipe.toml"), &fs(pipe)).unwrap();
        let unverified = r#"{"event_id":"a","user":{"id":"u","identity_verified":false},"content":{"kind":"text"},"synthesis":{"technique":"dialogue"}}"#;
        let r = review(&loaded.engine, unverified);
        assert_eq!(r.decision, Decision::Hold);
        assert_eq!(r.reasons[0].action, Action::Hold);
        assert_eq!(loaded.engine.lexicon_version(), "none");
        assert_eq!(
            loaded.engine.version().len(),
            12,
            "digest when no version is given"
        );
    }

    #[test]
    fn data_file_errors_name_the_data_file() {
        let pipe = "[pipeline]\nname = \"t\"\n[[stages]]\nkind = \"prohibited\"\nlexicons = [\"../data/bad.csv\"]\n";
        let err = load_pipeline(Path::new("p/pipe.toml"), &fs(pipe))
            .err()
            .unwrap()
            .to_string();
        assert!(err.starts_with("data/bad.csv:2: unknown action"), "{err}");
        // The pipeline line that names the missing file (the 2nd of a list written over lines).
        let pipe = "[pipeline]\nname = \"t\"\n[[stages]]\nkind = \"prohibited\"\nlexicons = [\n  \"../data/lex.csv\",\n  \"../data/missing.csv\",\n]\n[[stages]]\nkind = \"reprint_source\"\nsources = \"../data/gone.csv\"\n";
        let err = load_pipeline(Path::new("p/pipe.toml"), &fs(pipe))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.starts_with("data/missing.csv: cannot read (named in p/pipe.toml:7)"),
            "{err}"
        );
        let pipe = pipe.replace("  \"../data/missing.csv\",\n", "");
        let pipe: &'static str = Box::leak(pipe.into_boxed_str());
        let err = load_pipeline(Path::new("p/pipe.toml"), &fs(pipe))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.starts_with("data/gone.csv: cannot read (named in p/pipe.toml:10)"),
            "{err}"
        );
    }
}
