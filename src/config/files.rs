//! Where pipeline and data files are read from: the file system ([`Disk`]) or the files embedded in
//! the binary for `demo` ([`Embedded`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where pipeline and data files are read from: the file system, or the files embedded in the
/// binary for `demo`.
pub trait FileSource: Send + Sync {
    /// Reads a whole file.
    ///
    /// # Errors
    /// The I/O error, e.g. not found.
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>>;
}

/// Reads from the local file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct Disk;

impl FileSource for Disk {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(path)
    }
}

/// An in-memory set of files keyed by path (used for the embedded default pipeline).
#[derive(Debug, Default, Clone)]
pub struct Embedded(pub HashMap<PathBuf, &'static [u8]>);

impl FileSource for Embedded {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        let norm = normalize_path(path);
        self.0.get(&norm).map(|b| b.to_vec()).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} is not embedded", path.display()),
            )
        })
    }
}

/// Resolves `.` and `..` components lexically (no file system access).
pub fn normalize_path(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_paths_resolve_dot_dot() {
        assert_eq!(
            normalize_path(Path::new("pipelines/../data/x.csv")),
            PathBuf::from("data/x.csv")
        );
    }
}
