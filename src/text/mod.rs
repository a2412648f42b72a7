//! The text layer: how the feature library (Art. 10) is matched against what users write.
//!
//! - [`normalize`]: folding (NFKC, case, diacritics, traditional → simplified, separators,
//!   decorated forms, look-alikes) with a map back to the original code points.
//! - [`matcher`]: the lexicon compiled into Aho–Corasick automata over folded text, and the
//!   rules that decide which matches are hits.
//! - [`lexicon`]: the lexicon CSV files (DESIGN §5) read into [`matcher::LexiconEntry`] rows.
//! - [`words`]: the shared Chinese segmenter (jieba-rs) in code-point offsets, for the word
//!   boundary rule.
//!
//! Nothing here knows about events or stages: the `prohibited` stage
//! ([`crate::stages::prohibited`]) runs a [`matcher::Matcher`] over an event's text fields.
//! `docs/matching.md` explains every rule.

pub mod bidi;
pub mod context;
pub mod lexicon;
pub mod matcher;
pub mod normalize;
pub mod sound;
pub mod words;
