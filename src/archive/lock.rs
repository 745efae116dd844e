//! The archive lock: one process at a time changes an archive. `run`, `check`, `publish`,
//! `import` and `add` hold it; a second one exits at once with `EX_TEMPFAIL` (75) and changes
//! nothing.
//!
//! The lock is an advisory exclusive lock (`flock`) on a file in the archive folder, so the
//! kernel releases it when its holder dies, however it dies: a lock left by a killed process
//! never blocks the next run. The holder's pid and start time are written into the file only
//! to make the "held by" message useful.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The lock file's name inside the archive folder.
pub const LOCK_FILE: &str = "lock";

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    #[error("{path}: the archive is locked by another feedkeeper run{holder}; nothing was changed", path = path.display(), holder = holder.as_deref().map(|h| format!(" ({h})")).unwrap_or_default())]
    Held { path: PathBuf, holder: Option<String> },
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
        let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).map_err(io)?;
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
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(note.as_bytes()).map_err(io)?;
        Ok(ArchiveLock { file, path: path.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
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
}
