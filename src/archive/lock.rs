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
//! With a PostgreSQL store the lock is an advisory lock in the database instead
//! ([`ArchiveLock::acquire_database`]), held on a connection of its own, so it holds across
//! machines and the server releases it when its holder's connection ends.
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
    /// The database holding the lock cannot be reached or refused the lock.
    #[error(transparent)]
    Database(Box<super::ArchiveError>),
}

/// The advisory lock key of the archive lock in a PostgreSQL store (`"fkarchiv"` in ASCII).
pub const DATABASE_LOCK_KEY: i64 = 0x666b_6172_6368_6976;

/// A held archive lock; released when dropped (or when the process ends).
pub struct ArchiveLock {
    held: Held,
    path: PathBuf,
}

/// What holds the lock.
enum Held {
    /// The `flock` on the lock file.
    File(File),
    /// The connection that holds the advisory lock (closing it releases the lock).
    Database(Box<postgres::Client>),
}

impl std::fmt::Debug for ArchiveLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchiveLock").field("path", &self.path).finish_non_exhaustive()
    }
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
        Ok(ArchiveLock { held: Held::File(file), path: path.to_path_buf() })
    }

    /// Takes the archive lock of the PostgreSQL archive at `url` without waiting: a
    /// session-level advisory lock (`pg_try_advisory_lock`) held on a connection of its own,
    /// which the server releases when the connection ends, however the holder dies.
    pub fn acquire_database(url: &str) -> Result<ArchiveLock, LockError> {
        let path = PathBuf::from(super::postgres::redacted(url));
        let db = |context, source| {
            LockError::Database(Box::new(super::ArchiveError::Sql { path: path.clone(), context, source }))
        };
        let mut client = super::postgres::connect(url).map_err(|e| LockError::Database(Box::new(e)))?;
        let note = format!("feedkeeper archive lock: pid {} on {}", std::process::id(), host());
        // Names the holder in pg_stat_activity, for the refusal message of the next one.
        client
            .execute("SELECT set_config('application_name', $1, false)", &[&note])
            .map_err(|e| db("naming the lock's connection", e.into()))?;
        let got: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&DATABASE_LOCK_KEY])
            .map_err(|e| db("taking the archive lock", e.into()))?
            .get(0);
        if !got {
            let holder = client
                .query_opt(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                     WHERE l.locktype = 'advisory' AND l.granted
                       AND l.classid = ($1::int8 >> 32)::oid AND l.objid = ($1::int8 & 4294967295)::oid AND l.objsubid = 1",
                    &[&DATABASE_LOCK_KEY],
                )
                .ok()
                .flatten()
                .map(|r| r.get::<_, String>(0))
                .map(|name| name.trim_start_matches("feedkeeper archive lock: ").to_string());
            return Err(LockError::Held { path, holder });
        }
        Ok(ArchiveLock { held: Held::Database(Box::new(client)), path })
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

/// This machine's name, for the lock holder's note.
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "?".into())
}

impl Drop for ArchiveLock {
    fn drop(&mut self) {
        match &mut self.held {
            Held::File(file) => {
                let _ = file.set_len(0);
                let _ = file.unlock();
            }
            // Ending the connection releases the advisory lock; unlocking first says so
            // at once, even if closing the connection lags.
            Held::Database(client) => {
                let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&DATABASE_LOCK_KEY]);
            }
        }
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
