//! The default pipeline and its data files, embedded in the binary so `demo` needs no files.
//! Paths are the repository paths; [`default_files`] serves them through
//! [`Embedded`](crate::config::Embedded).

use std::collections::HashMap;
use std::path::PathBuf;

use crate::config::Embedded;

/// Path of the embedded default pipeline.
pub const DEFAULT_PIPELINE: &str = "pipelines/default.toml";

/// Sample publish events for `demo`, one JSON object per line (`data/demo/events.jsonl`).
pub const DEMO_EVENTS: &str = include_str!("../data/demo/events.jsonl");

macro_rules! embed {
    ($($path:literal),* $(,)?) => {
        &[ $( ($path, include_bytes!(concat!("../", $path)) as &[u8]), )* ]
    };
}

/// Every embedded file as `(repository path, bytes)`.
pub const FILES: &[(&str, &[u8])] = embed![
    "pipelines/default.toml",
    "data/lexicon/fraud.csv",
    "data/lexicon/gambling.csv",
    "data/lexicon/illegal_goods.csv",
    "data/lexicon/weapons.csv",
    "data/lexicon/pornography.csv",
    "data/lexicon/drugs.csv",
    "data/news-sources/cac-news-source-units.csv",
    "data/news-sources/aliases.csv",
    "data/rumours/known-rumours.csv",
];

/// The embedded files as a [`FileSource`](crate::config::FileSource).
pub fn default_files() -> Embedded {
    Embedded(
        FILES
            .iter()
            .map(|(p, b)| (PathBuf::from(p), *b))
            .collect::<HashMap<_, _>>(),
    )
}
