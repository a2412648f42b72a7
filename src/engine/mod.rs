//! The review engine: a pipeline's stages in order, the policy that maps findings to actions, and
//! the decision combination of DESIGN §3. It knows nothing about Kafka, so `review` (JSONL) and
//! `run` (Kafka) share it unchanged.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::config::{parse_pipeline, ConfigError, ConfigErrorKind, FileSource, PipelineFile};
use crate::decision::{
    combine, Action, Decision, DecisionRecord, PublishAction, Reason, ReasonCode, StageKind,
};
use crate::event::{Limits, PublishEvent};
use crate::stages::{Stage, StageContext, StageOutput};

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

/// Loads a pipeline: the one place where configuration is read and validated. Reads the pipeline
/// file ([`parse_pipeline`]), applies the `SYNTH_REVIEW_*` overrides in `env` (pass
/// `std::env::vars()`, see [`KafkaConfig::apply_env`](crate::config::KafkaConfig::apply_env)),
/// checks every librdkafka option ([`check_option`](crate::config::check_option)), and builds
/// every stage with its data files (relative paths resolve against the pipeline file's folder,
/// DESIGN §5).
///
/// # Errors
/// A [`ConfigError`] naming `file:line` (or the environment variable) of the first problem, in
/// the pipeline file, the environment or a data file.
pub fn load(
    path: &Path,
    fs: &dyn FileSource,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<LoadedPipeline, ConfigError> {
    load_with(path, fs, env, &[])
}

/// [`load`], with `extra_rumours` added to every `news_source` stage's rumour library: refuted
/// claims from outside the pipeline's files (the worker's refuted-claims topic, which leads
/// fill from the console). An extra claim the library's rules refuse is left out with a
/// warning, not an error ([`RumourLibrary::with_extra`]); the claims count in
/// `lexicon_version`.
///
/// [`RumourLibrary::with_extra`]: crate::sources::rumours::RumourLibrary::with_extra
///
/// # Errors
/// As [`load`].
pub fn load_with(
    path: &Path,
    fs: &dyn FileSource,
    env: impl IntoIterator<Item = (String, String)>,
    extra_rumours: &[crate::sources::rumours::Rumour],
) -> Result<LoadedPipeline, ConfigError> {
    let bytes = fs.read(path).map_err(|e| {
        ConfigError::new(
            ConfigErrorKind::Io,
            path.display(),
            format!("cannot read: {e}"),
        )
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        ConfigError::new(
            ConfigErrorKind::Syntax,
            path.display(),
            format!("invalid UTF-8 at byte {}", e.valid_up_to()),
        )
    })?;
    let mut file = parse_pipeline(path, text)?;
    file.kafka.apply_env(env)?;
    let base = path.parent().unwrap_or(Path::new(""));
    // Every data file read, in load order: their digest is the `lexicon_version` of each record.
    let mut data_parts: Vec<Vec<u8>> = Vec::new();
    let mut stages = Vec::with_capacity(file.stages.len());
    for table in &file.stages {
        let mut ctx = StageContext::new(table, base, fs, &mut data_parts, extra_rumours);
        stages.push(ConfiguredStage {
            stage: crate::stages::build(&mut ctx)?,
            overrides: table.actions().clone(),
        });
    }
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
        lexicon_terms: stages.iter().map(|s| s.stage.lexicon_terms()).sum(),
        stages,
    };
    Ok(LoadedPipeline { file, engine })
}

/// [`load`] without environment overrides: the pipeline file and its data files only (tests, the
/// embedded demo pipeline).
///
/// # Errors
/// As [`load`].
pub fn load_pipeline(path: &Path, fs: &dyn FileSource) -> Result<LoadedPipeline, ConfigError> {
    load(path, fs, std::iter::empty())
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
                    refutation: f.refutation,
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
        for (name, bytes) in [
            (
                "plain.txt",
                &include_bytes!("../../tests/fixtures/wordlists/plain.txt")[..],
            ),
            (
                "sw_dict.txt",
                &include_bytes!("../../tests/fixtures/wordlists/sensitive_word_dict.txt")[..],
            ),
            (
                "sw_allow.txt",
                &include_bytes!("../../tests/fixtures/wordlists/sensitive_word_allow.txt")[..],
            ),
            (
                "empty.txt",
                &include_bytes!("../../tests/fixtures/wordlists/empty.txt")[..],
            ),
        ] {
            m.insert(format!("data/{name}").into(), bytes);
        }
        Embedded(m)
    }

    #[test]
    fn word_lists_in_both_formats() {
        let pipe = "[pipeline]\nname = \"t\"\n[[stages]]\nkind = \"prohibited\"\nword_lists = [\n  { path = \"../data/plain.txt\", category = \"gambling\", action = \"reject\" },\n  { path = \"../data/sw_dict.txt\", category = \"sw\", action = \"hold\", format = \"sensitive-word\" },\n  { path = \"../data/sw_allow.txt\", category = \"sw\", action = \"allow\", format = \"sensitive-word\" },\n]\n";
        let loaded = load_pipeline(Path::new("p/pipe.toml"), &fs(pipe)).unwrap();
        // 网络赌场, 百家乐网址, 出售枪支, 代开发票, #赌 (folds to 赌).
        assert_eq!(loaded.engine.lexicon_terms(), 5);
        let event = |text: &str| {
            format!(
                r#"{{"event_id":"a","user":{{"id":"u","identity_verified":true}},"content":{{"kind":"text","text":"{text}"}},"synthesis":{{"technique":"dialogue"}}}}"#
            )
        };
        let r = review(&loaded.engine, &event("网络赌场开业"));
        assert_eq!(r.decision, Decision::Reject);
        let r = review(&loaded.engine, &event("出售枪支"));
        assert_eq!(r.decision, Decision::Hold);
        let r = review(&loaded.engine, &event("打击出售枪支"));
        assert_eq!(r.decision, Decision::Approve);

        let bad = pipe.replace("action = \"hold\"", "action = \"zap\"");
        let err = load_pipeline(
            Path::new("p/pipe.toml"),
            &fs(Box::leak(bad.into_boxed_str())),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(err.starts_with("p/pipe.toml:5"), "{err}");
        assert!(err.contains("unknown action `zap`"), "{err}");
        let empty = "[pipeline]\nname = \"t\"\n[[stages]]\nkind = \"prohibited\"\nword_lists = [{ path = \"../data/empty.txt\", category = \"c\", action = \"reject\" }]\n";
        let err = load_pipeline(Path::new("p/pipe.toml"), &fs(empty))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.starts_with("data/empty.txt: word list has no term"),
            "{err}"
        );
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
    fn load_err(pipe: &'static str) -> ConfigError {
        match load_pipeline(Path::new("p/pipe.toml"), &fs(pipe)) {
            Ok(_) => panic!("{pipe:?} loaded"),
            Err(e) => e,
        }
    }

    /// Moved from `config::tests::errors_name_file_and_line`: stage settings are read by each
    /// stage's config type. A misspelt key and an out-of-range value are now reported at their
    /// own line (they were at the `[[stages]]` line 3); a missing key at the `[[stages]]` line.
    #[test]
    fn stage_setting_errors_name_their_line() {
        let cases = [
            ("[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"identity\"\nbogus = 1\n", "p/pipe.toml:5", "bogus"),
            ("[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"prohibited\"\n", "p/pipe.toml:3", "lexicons"),
            ("[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"news_source\"\nsources = \"s.csv\"\nrumour_threshold = 1.5\n", "p/pipe.toml:6", "rumour_threshold"),
        ];
        for (text, loc, needle) in cases {
            let shown = load_err(text).to_string();
            assert!(shown.starts_with(loc), "{text:?} -> {shown}");
            assert!(shown.contains(needle), "{text:?} -> {shown}");
        }
    }

    #[test]
    fn stage_setting_errors_name_their_exact_line_and_kind() {
        use ConfigErrorKind::*;
        // A misspelt key deep in a stage: `rumour_treshold` on line 45 (was reported at the first
        // `[[stages]]` line).
        let mut deep = String::from(
            "[pipeline]\nname = \"x\"\n# The stages.\n[[stages]]\nkind = \"identity\"\n",
        );
        while deep.lines().count() < 40 {
            deep.push_str("# padding\n");
        }
        deep.push_str("[[stages]]\nkind = \"news_source\"\nsources = \"../data/src.csv\"\n\nrumour_treshold = 0.8\n");
        assert_eq!(deep.lines().count(), 45);
        let deep: &'static str = Box::leak(deep.into_boxed_str());
        let cases: &[(&'static str, &str, ConfigErrorKind, &str)] = &[
            (deep, "p/pipe.toml:45", UnknownKey, "unknown field `rumour_treshold`, expected one of `sources`, `aliases`, `rumours`, `rumour_threshold`"),
            (
                "[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"prohibited\"\nlexicons = \"../data/lex.csv\"\n",
                "p/pipe.toml:5",
                InvalidValue,
                "invalid type: string \"../data/lex.csv\", expected a sequence",
            ),
            (
                "[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"prohibited\"\nlexicons = [\n  \"../data/lex.csv\",\n  7,\n]\n",
                "p/pipe.toml:7",
                InvalidValue,
                "invalid type: integer `7`, expected a string",
            ),
            (
                "[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"prohibited\"\n\nlexicons = []\n",
                "p/pipe.toml:6",
                InvalidValue,
                "needs at least one file in `lexicons`",
            ),
            (
                "[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"reprint_source\"\n",
                "p/pipe.toml:3",
                MissingKey,
                "missing field `sources`",
            ),
            (
                "[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"news_source\"\nsources = \"../data/src.csv\"\nrumour_threshold = \"high\"\n",
                "p/pipe.toml:6",
                InvalidValue,
                "invalid type: string \"high\"",
            ),
            (
                "[pipeline]\nname = \"x\"\n[[stages]]\nkind = \"labels\"\n[stages.extra]\nx = 1\n",
                "p/pipe.toml:5",
                UnknownKey,
                "unknown field `extra`",
            ),
        ];
        for (text, loc, kind, needle) in cases {
            let err = load_err(text);
            let shown = err.to_string();
            assert!(
                shown.starts_with(&format!("{loc}: ")),
                "{text:?} -> {shown}"
            );
            assert!(shown.contains(needle), "{text:?} -> {shown}");
            assert_eq!(err.kind, *kind, "{shown}");
        }
        let err = load_err("[pipeline]\nname = \"t\"\n[[stages]]\nkind = \"prohibited\"\nlexicons = [\"../data/gone.csv\"]\n");
        assert_eq!(err.kind, Io);
        let err = load_err("[pipeline]\nname = \"t\"\n[[stages]]\nkind = \"prohibited\"\nlexicons = [\"../data/bad.csv\"]\n");
        assert_eq!(err.kind, DataFile);
    }

    #[test]
    fn load_applies_and_checks_the_environment() {
        let pipe = "[pipeline]\nname = \"t\"\n[kafka]\nbrokers = \"file:1\"\n[[stages]]\nkind = \"identity\"\n";
        let env = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        let loaded = load(
            Path::new("p/pipe.toml"),
            &fs(pipe),
            env("SYNTH_REVIEW_BROKERS", "env:1"),
        )
        .unwrap();
        assert_eq!(loaded.file.kafka.brokers, "env:1");
        let err = load(
            Path::new("p/pipe.toml"),
            &fs(pipe),
            env("SYNTH_REVIEW_LIBRDKAFKA_NO_SUCH_OPTION", "1"),
        )
        .err()
        .unwrap();
        assert_eq!(err.kind, ConfigErrorKind::KafkaOption);
        assert!(
            err.to_string()
                .starts_with("environment variable SYNTH_REVIEW_LIBRDKAFKA_NO_SUCH_OPTION: "),
            "{err}"
        );
    }
}
