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

/// Largest pipeline or data file [`Disk`] reads: 16 MiB (16,777,216 bytes). The shipped data
/// files are a few hundred KiB; a file above this is a mistake (a log, a corpus, a device), and
/// reading it would hold the whole file in memory at every reload.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Reads from the local file system: only **regular files** (symlinks followed) of at most
/// [`MAX_FILE_BYTES`].
///
/// A FIFO, a directory, a device (`/dev/zero`) or a socket is refused with
/// [`std::io::ErrorKind::InvalidInput`] and a message naming what it is (`not a regular file: a
/// FIFO`), before anything is read: the file is opened with `O_NONBLOCK` (so opening a FIFO with
/// no writer does not wait) and checked with `fstat` on the opened descriptor (so a file swapped
/// for a FIFO after a check is still caught). The read itself is capped at `MAX_FILE_BYTES + 1`
/// bytes, so a file that grows while it is read is refused too.
#[derive(Debug, Default, Clone, Copy)]
pub struct Disk;

impl FileSource for Disk {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        read_regular_file(path, MAX_FILE_BYTES)
    }
}

/// Reads `path` if it is a regular file of at most `limit` bytes (see [`Disk`]).
///
/// # Errors
/// The open error (not found, permission), or [`std::io::ErrorKind::InvalidInput`] for a file
/// that is not regular or is larger than `limit`.
pub fn read_regular_file(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind, Read};
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("not a regular file: {}", file_type_name(&meta.file_type())),
        ));
    }
    if meta.len() > limit {
        return Err(too_large(meta.len(), limit));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64, limit));
    }
    Ok(bytes)
}

fn too_large(size: u64, limit: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("file is larger than the limit of {limit} bytes (at least {size} bytes)"),
    )
}

fn file_type_name(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a file"
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
    fn only_regular_files_within_the_limit_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok.csv");
        std::fs::write(&ok, b"term\n").unwrap();
        assert_eq!(read_regular_file(&ok, 5).unwrap(), b"term\n");
        let err = read_regular_file(&ok, 4).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(
            err.to_string().contains("larger than the limit of 4 bytes"),
            "{err}"
        );
        let err = read_regular_file(dir.path(), 100).unwrap_err();
        assert!(
            err.to_string().contains("not a regular file: a directory"),
            "{err}"
        );
        let err = Disk.read(Path::new("/dev/zero")).unwrap_err();
        assert!(err.to_string().contains("a character device"), "{err}");
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = Disk.read(&fifo).unwrap_err();
        assert!(
            err.to_string().contains("not a regular file: a FIFO"),
            "{err}"
        );
        assert_eq!(
            Disk.read(&dir.path().join("missing")).unwrap_err().kind(),
            std::io::ErrorKind::NotFound
        );
    }

    #[test]
    fn embedded_paths_resolve_dot_dot() {
        assert_eq!(
            normalize_path(Path::new("pipelines/../data/x.csv")),
            PathBuf::from("data/x.csv")
        );
    }
}
