//! The reference data the news stages check against, and the text rules that read news copy.
//!
//! - [`news_units`]: the CAC list of licensed news source units (互联网新闻信息稿源单位名单) with
//!   the project's aliases, looked up by name or by domain.
//! - [`url`]: the host of a declared source URL, as the list is looked up by it.
//! - [`news_detector`]: news-like text (datelines, bylines, `据…报道`, source lines).
//! - [`attribution`]: a text that presents itself as, or cites, a listed unit.
//! - [`rumours`]: the known-rumour library (Art. 11) and its near-duplicate matching.
//! - [`rumour_stance`]: whether a sentence asserts, asks about or refutes a rumour it repeats.
//!
//! The stages [`news_source`](crate::stages::news_source) and
//! [`reprint_source`](crate::stages::reprint_source) apply these to an event; nothing here knows
//! about events, findings or reason codes.

pub mod attribution;
pub mod news_detector;
pub mod news_text;
pub mod news_units;
pub mod rumour_stance;
pub mod rumours;
pub mod url;
