//! The repository and its files.

use std::path::PathBuf;

/// The repository root (`CARGO_MANIFEST_DIR`).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The text of the repository file `rel` (a path relative to the root).
///
/// # Panics
/// If it cannot be read.
pub fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}
