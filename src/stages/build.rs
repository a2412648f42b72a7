//! How a stage is built from its `[[stages]]` table (DESIGN §5): its config type reads the
//! table's keys ([`BuildStage::Config`]), its constructor reads its data files through a
//! [`StageContext`] ([`BuildStage::build`]).

use std::path::Path;

use serde::de::DeserializeOwned;

use super::Stage;
use crate::config::{normalize_path, ConfigError, ConfigErrorKind, FileSource, StageTable};

/// A stage that a pipeline file can name: its settings and its constructor. Registered in
/// `stages!` (`src/stages/mod.rs`), which gives it its [`StageKind`](super::StageKind).
pub trait BuildStage: Stage + Sized + 'static {
    /// The stage's keys in its `[[stages]]` table besides `kind` and `actions`: a serde type with
    /// `#[serde(deny_unknown_fields)]` and a doc comment on every field (users read them).
    type Config: DeserializeOwned;

    /// Builds the stage from its settings, reading its data files through `ctx`.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the file and line: a data file that cannot be read or has a bad
    /// row, or a setting that is wrong given the others ([`StageContext::invalid`]).
    fn build(config: Self::Config, ctx: &mut StageContext<'_>) -> Result<Self, ConfigError>;
}

/// What a stage's constructor reads its data files through: it resolves paths against the
/// pipeline file's folder, records every file read for the records' `lexicon_version`, and makes
/// errors that name the pipeline line concerned.
pub struct StageContext<'a> {
    table: &'a StageTable,
    base: &'a Path,
    fs: &'a dyn FileSource,
    data: &'a mut Vec<Vec<u8>>,
    extra_rumours: &'a [crate::sources::rumours::Rumour],
}

/// A data file as read: its name in messages (the resolved path) and its bytes.
#[derive(Debug, Clone)]
pub struct DataFile {
    /// The path the file was read from, as shown in messages (`data/lexicon.csv`).
    pub name: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

impl<'a> StageContext<'a> {
    /// A context for the stage of `table`; data paths resolve against `base` (the pipeline file's
    /// folder) and read files are appended to `data`. `extra_rumours`: refuted claims from
    /// outside the pipeline's files (the worker's refuted-claims topic), for the `news_source`
    /// stage's rumour library.
    pub(crate) fn new(
        table: &'a StageTable,
        base: &'a Path,
        fs: &'a dyn FileSource,
        data: &'a mut Vec<Vec<u8>>,
        extra_rumours: &'a [crate::sources::rumours::Rumour],
    ) -> Self {
        StageContext {
            table,
            base,
            fs,
            data,
            extra_rumours,
        }
    }

    /// Refuted claims from outside the pipeline's files (see [`crate::engine::load_with`]).
    pub fn extra_rumours(&self) -> &'a [crate::sources::rumours::Rumour] {
        self.extra_rumours
    }

    /// Records data that is not a file (the extra claims) for `lexicon_version`.
    pub fn record_data(&mut self, bytes: Vec<u8>) {
        self.data.push(bytes);
    }

    /// The stage's `[[stages]]` table.
    pub fn table(&self) -> &StageTable {
        self.table
    }

    /// Reads the data file named `rel` in the stage's table (relative to the pipeline file's
    /// folder) and records it for `lexicon_version`.
    ///
    /// # Errors
    /// [`ConfigErrorKind::Io`], `data/x.csv: cannot read (named in pipeline.toml:7): …` with the
    /// pipeline line where `rel` is written.
    pub fn read(&mut self, rel: &str) -> Result<DataFile, ConfigError> {
        let path = normalize_path(&self.base.join(rel));
        let name = path.display().to_string();
        match self.fs.read(&path) {
            Ok(bytes) => {
                self.data.push(bytes.clone());
                Ok(DataFile { name, bytes })
            }
            Err(e) => Err(ConfigError::new(
                ConfigErrorKind::Io,
                &name,
                format!(
                    "cannot read (named in {}:{}): {e}",
                    self.table.pipeline(),
                    self.table.value_line(rel)
                ),
            )),
        }
    }

    /// An [`ConfigErrorKind::InvalidValue`] error at the pipeline line of the stage's `key`.
    pub fn invalid(&self, key: &str, message: impl Into<String>) -> ConfigError {
        self.table
            .error_at(ConfigErrorKind::InvalidValue, key, message)
    }
}

/// Reads the settings of `ctx`'s table into `S::Config` and builds `S`.
pub(super) fn build_stage<S: BuildStage>(
    ctx: &mut StageContext<'_>,
) -> Result<Box<dyn Stage>, ConfigError> {
    let config = ctx.table().settings::<S::Config>()?;
    Ok(Box::new(S::build(config, ctx)?))
}

/// Reads a news-source list and, if named, its alias file (`news_source`, `reprint_source`).
///
/// # Errors
/// A file that cannot be read or has a bad row.
pub(crate) fn read_news_sources(
    ctx: &mut StageContext<'_>,
    sources: &str,
    aliases: Option<&str>,
) -> Result<std::sync::Arc<crate::sources::news_units::NewsSources>, ConfigError> {
    let file = ctx.read(sources)?;
    let mut list = crate::sources::news_units::NewsSources::parse(&file.name, &file.bytes)?;
    if let Some(aliases) = aliases {
        let file = ctx.read(aliases)?;
        list.add_aliases(&file.name, &file.bytes)?;
    }
    Ok(std::sync::Arc::new(list))
}
