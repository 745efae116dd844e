//! The archive lock: one process at a time changes an archive. `run`, `check`, `publish`,
//! `import` and `add` hold it; a second one exits at once with `EX_TEMPFAIL` (75) and changes
//! nothing.
//!
//! The lock is an advisory exclusive lock (`flock`) on a file in the archive folder, so the
//! kernel releases it when its holder dies, however it dies: a lock left by a killed process
//! never blocks the next run. The holder's pid and start time are written into the file only
//! to make the "held by" message useful, and only as far as the disk allows: a full disk
//! must not stop the lock.
//!
//! Files feedkeeper keeps in folders others may write into (this lock, `watch.lock`, the
//! publisher's in-progress marker, WARC captures) are opened by [`open_regular`]: never
//! through a symlink (`O_NOFOLLOW`), and only when the path is a regular file, so a file
//! planted in its place is refused by name instead of being truncated or appended to.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The lock file's name inside the archive folder.
pub const LOCK_FILE: &str = "lock";

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    #[error("{path}: the archive is locked by another feedkeeper run{holder}; nothing was changed", path = path.display(), holder = holder.as_deref().map(|h| format!(" ({h})")).unwrap_or_default())]
    Held { path: PathBuf, holder: Option<String> },
    #[error(
        "{path}: no archive folder here; nothing was changed. If the archive lives on a volume that is not mounted, mount it; to start a new archive, run `feedkeeper init`",
        path = path.display()
    )]
    NoArchive { path: PathBuf },
    #[error("{path}: cannot lock the archive: {source}", path = path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

/// A held archive lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct ArchiveLock {
    file: File,
    path: PathBuf,
}

impl ArchiveLock {
    /// Takes the lock without waiting.
    pub fn acquire(path: &Path) -> Result<ArchiveLock, LockError> {
        let io = |source| LockError::Io { path: path.to_path_buf(), source };
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        let mut file = open_regular(&options, path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim().to_string();
                return Err(LockError::Held {
                    path: path.to_path_buf(),
                    holder: (!holder.is_empty()).then_some(holder),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let note = format!("pid {} since {}", std::process::id(), crate::date::rfc3339(&chrono::Utc::now()));
        // Best effort: the note only explains a refusal; the lock is the flock.
        let noted =
            file.set_len(0).and_then(|()| file.seek(SeekFrom::Start(0))).and_then(|_| file.write_all(note.as_bytes()));
        if let Err(e) = noted {
            tracing::debug!(path = %path.display(), error = %e, "cannot write the lock holder's note");
        }
        Ok(ArchiveLock { file, path: path.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Opens `path` with `options`, refusing a symlink (`O_NOFOLLOW`: the open fails rather
/// than follow it) and anything but a regular file, before anything is written. The error
/// says which of these the path was.
pub fn open_regular(options: &OpenOptions, path: &Path) -> io::Result<File> {
    let mut options = options.clone();
    // O_NONBLOCK: opening a FIFO planted here must not wait for a writer.
    options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC);
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "is a symbolic link; feedkeeper only writes its own regular files (remove it)",
            ));
        }
        Err(e) => return Err(e),
    };
    if !file.metadata()?.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is not a regular file; feedkeeper only writes its own regular files (remove it)",
        ));
    }
    Ok(file)
}

impl Drop for ArchiveLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(LOCK_FILE);
        let first = ArchiveLock::acquire(&path).expect("first");
        match ArchiveLock::acquire(&path) {
            Err(LockError::Held { holder, .. }) => {
                let holder = holder.expect("holder note");
                assert!(holder.starts_with(&format!("pid {}", std::process::id())), "{holder}");
            }
            other => panic!("expected Held, got {other:?}"),
        }
        drop(first);
        ArchiveLock::acquire(&path).expect("free again");
    }

    #[test]
    fn a_symlinked_lock_file_is_refused_and_its_target_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let decoy = dir.path().join("decoy");
        std::fs::write(&decoy, "precious").expect("decoy");
        let path = dir.path().join(LOCK_FILE);
        std::os::unix::fs::symlink(&decoy, &path).expect("symlink");
        let err = ArchiveLock::acquire(&path).expect_err("a symlink is refused");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(err.to_string().contains(&path.display().to_string()), "{err}");
        assert_eq!(std::fs::read_to_string(&decoy).expect("decoy"), "precious");
    }

    #[test]
    fn a_fifo_in_place_of_the_lock_file_is_refused_without_waiting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(LOCK_FILE);
        let c = std::ffi::CString::new(path.to_str().expect("utf-8")).expect("cstring");
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = ArchiveLock::acquire(&path).expect_err("a FIFO is refused");
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }
}
