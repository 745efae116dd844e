//! The capture ledger: how far each WARC capture file is committed, so that captures and the
//! database rows that refer to them commit together or not at all.
//!
//! A writer appends a batch of capture records to the day's file first and commits the rows
//! that refer to them afterwards; a process killed between the two leaves records nothing
//! refers to (possibly the last one cut short). So the database keeps, per capture file, the
//! length its records are committed up to (table `capture_files`), raised in the same
//! transaction that stores the references: `Store::put`/`put_all` raise it to the end of each
//! article's capture ([`super::Writer::commit_capture`], whatever the article's outcome), and
//! `record_check` to the end of every capture a check made (pages that could not be read are
//! captured too, and named in their decisions).
//!
//! When a writer opens the archive (under the archive lock), every capture file longer than
//! its committed length is cut back to it ([`cut_to`]), never below the end of a record the
//! database refers to, and the cut is logged as a warning naming the file and the bytes
//! removed. `feedkeeper verify` reports those bytes without touching them. An archive from
//! before the ledger has its capture files' lengths taken as committed when the table is
//! created (schema migration 3). SQL and file lengths only: no WARC parsing here.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use super::ArchiveError;

/// A capture file cut back to its committed length by [`SqliteStore::cut_orphan_captures`](super::SqliteStore::cut_orphan_captures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrphanCut {
    pub file: PathBuf,
    /// The file's length before the cut.
    pub from: u64,
    /// Its length after: the committed length (or the end of the last record referred to).
    pub to: u64,
}

/// Where a capture file's committed part ends, when the file is longer: the length to cut
/// it back to, `None` when nothing is past it. `committed` is the ledger's length (0 for a
/// file the ledger does not know), `referenced` the end of the last record the database
/// refers to in the file; the file is never cut below either.
pub fn cut_to(len: u64, committed: u64, referenced: u64) -> Option<u64> {
    let keep = committed.max(referenced);
    (len > keep).then_some(keep)
}

/// The WARC files in the capture folder, sorted (none when the folder does not exist).
pub(super) fn capture_files(folder: &Path) -> Result<Vec<PathBuf>, ArchiveError> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ArchiveError::Io {
                path: folder.to_path_buf(),
                context: "cannot list the capture folder",
                source,
            });
        }
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            (name.ends_with(".warc.gz") || name.ends_with(".warc")) && !name.starts_with('.')
        })
        .collect();
    files.sort();
    Ok(files)
}

/// The length of `path` when it is a regular file (not through a symlink), else `None`.
fn regular_len(path: &Path) -> Result<Option<u64>, ArchiveError> {
    let meta = std::fs::symlink_metadata(path).map_err(|source| ArchiveError::Io {
        path: path.to_path_buf(),
        context: "cannot read a capture file",
        source,
    })?;
    Ok(meta.file_type().is_file().then_some(meta.len()))
}

/// Whether the database has the ledger (schema 3 or later).
pub(super) fn has_ledger(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'capture_files'", [], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
}

/// Each known capture file's committed length, by file name.
fn committed(conn: &Connection) -> rusqlite::Result<HashMap<String, u64>> {
    let mut stmt = conn.prepare("SELECT file, committed_len FROM capture_files")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64)))?;
    rows.collect()
}

/// The end of the last record in `file` that an article version refers to (0 when none).
fn referenced_end(conn: &Connection, file: &str) -> rusqlite::Result<u64> {
    conn.query_row(
        "SELECT COALESCE(MAX(json_extract(meta, '$.capture.offset') + json_extract(meta, '$.capture.length')), 0)
         FROM versions WHERE json_extract(meta, '$.capture.file') = ?1",
        [file],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n.max(0) as u64)
}

/// Raises `file`'s committed length to `end` (never lowers it). Call it inside the
/// transaction that stores the references to the records up to `end`.
pub(super) fn commit(conn: &Connection, file: &str, end: u64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO capture_files (file, committed_len) VALUES (?1, ?2)
         ON CONFLICT(file) DO UPDATE SET committed_len = MAX(committed_len, excluded.committed_len)",
    )?
    .execute(params![file, end as i64])?;
    Ok(())
}

/// Takes the lengths of the capture files already in `folder` as committed (the migration
/// that creates the ledger: an archive from before it keeps every capture it has).
pub(super) fn seed(conn: &Connection, folder: &Path) -> Result<(), ArchiveError> {
    for path in capture_files(folder)? {
        let Some(len) = regular_len(&path)? else { continue };
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        commit(conn, name, len).map_err(|source| ArchiveError::Sql {
            path: path.clone(),
            context: "recording a capture file's committed length",
            source: source.into(),
        })?;
    }
    Ok(())
}

/// The capture files in `folder` that are longer than their committed part: (file, its
/// length, the length to cut it back to). Empty for an archive without the ledger.
pub(super) fn uncommitted(conn: &Connection, folder: &Path) -> Result<Vec<(PathBuf, u64, u64)>, ArchiveError> {
    let sql = |source: rusqlite::Error| ArchiveError::Sql {
        path: folder.to_path_buf(),
        context: "reading the capture ledger",
        source: source.into(),
    };
    if !has_ledger(conn).map_err(sql)? {
        return Ok(Vec::new());
    }
    let committed = committed(conn).map_err(sql)?;
    let mut out = Vec::new();
    for path in capture_files(folder)? {
        // Only regular files: a symlink planted here is never followed (nor cut).
        let Some(len) = regular_len(&path)? else { continue };
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let known = committed.get(&name).copied().unwrap_or(0);
        if len <= known {
            continue;
        }
        if let Some(to) = cut_to(len, known, referenced_end(conn, &name).map_err(sql)?) {
            out.push((path, len, to));
        }
    }
    Ok(out)
}

/// Cuts every capture file in `folder` back to its committed length: the records past it
/// were appended by a writer that stopped before committing what refers to them. Only a
/// writer holding the archive lock may call this ([`super::ArchiveDir::open`] does, through
/// [`SqliteStore::cut_orphan_captures`](super::SqliteStore::cut_orphan_captures)).
/// Each cut is logged as a warning naming the file and the bytes removed.
/// A file that cannot be cut (no permission, a failing disk) is left as it is with a
/// warning, so one bad file never stops every writer; `verify` keeps naming it.
pub(super) fn cut_orphans(conn: &Connection, folder: &Path) -> Result<Vec<OrphanCut>, ArchiveError> {
    let mut cuts = Vec::new();
    for (file, from, to) in uncommitted(conn, folder)? {
        let cut = || -> std::io::Result<()> {
            let mut options = OpenOptions::new();
            options.write(true);
            let handle = super::open_regular(&options, &file)?;
            // The same lock an append takes, though the archive lock keeps writers out.
            handle.lock()?;
            handle.set_len(to).and_then(|()| handle.sync_data())
        };
        if let Err(e) = cut() {
            tracing::warn!(
                "{}: cannot cut {} byte(s) of uncommitted capture records back: {e}; left as they are",
                file.display(),
                from - to
            );
            continue;
        }
        tracing::warn!(
            "{}: removed {} byte(s) of capture records past its committed length {to} (left by a run that stopped before its database commit)",
            file.display(),
            from - to
        );
        cuts.push(OrphanCut { file, from, to });
    }
    Ok(cuts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_cut_to_its_committed_length_and_never_below_a_reference() {
        assert_eq!(cut_to(100, 100, 0), None, "all committed");
        assert_eq!(cut_to(90, 100, 100), None, "shorter than committed: nothing to cut");
        assert_eq!(cut_to(150, 100, 40), Some(100));
        assert_eq!(cut_to(150, 100, 120), Some(120), "a referenced record stays whole");
        assert_eq!(cut_to(150, 0, 0), Some(0), "a file nothing was committed in");
        assert_eq!(cut_to(150, 0, 150), None);
    }

    use crate::archive::warc::{self, Captured};
    use crate::archive::{ArchiveDir, SqliteStore};

    fn capture(file: &Path, body: &[u8]) -> crate::article::CaptureRef {
        let item = ("file:///a.html", chrono::Utc::now(), Captured::Resource { content_type: "text/html", body });
        warc::append_captures(file, &[item]).expect("append").pop().expect("one reference")
    }

    fn len(file: &Path) -> u64 {
        std::fs::metadata(file).expect("capture file").len()
    }

    #[test]
    fn a_writer_cuts_uncommitted_records_and_keeps_committed_and_referenced_ones() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = ArchiveDir::new(tmp.path().join("archive"));
        drop(dir.create().expect("create"));
        std::fs::create_dir_all(dir.capture_dir()).expect("captures");
        let file = dir.capture_dir().join("feedkeeper-2026-01-01.warc.gz");
        // A committed capture, referred to by an article (the writer opens, appends, commits).
        let mut store = dir.open().expect("open");
        let first = capture(&file, b"first page");
        let mut article = crate::archive::conformance::article("urn:story", "Story", "Text of the story.", 1, &[]);
        let keys = crate::archive::conformance::keys(None, None);
        article.capture = Some(first.clone());
        store.put(&article, &keys).expect("put");
        let committed = len(&file);
        assert_eq!(committed, first.offset + first.length);
        drop(store);
        // A run killed after its append, before its commit.
        capture(&file, b"orphan page");
        assert!(len(&file) > committed);
        drop(dir.open().expect("a writer opens"));
        assert_eq!(len(&file), committed, "cut back to the committed length");
        let store = SqliteStore::open(&dir.db_path()).expect("open");
        assert!(store.cut_orphan_captures(&dir.capture_dir()).expect("again").is_empty(), "nothing more to cut");
        let all = warc::read_all(&file).expect("read");
        assert_eq!(all.len(), 2, "warcinfo and the committed record");
        assert_eq!(all[1].record.header("WARC-Record-ID"), Some(first.record_id.as_str()));
        // A ledger that lost its row: the referenced record still stays whole.
        Connection::open(dir.db_path()).expect("open").execute("DELETE FROM capture_files", []).expect("forget");
        capture(&file, b"another orphan");
        let cuts = store.cut_orphan_captures(&dir.capture_dir()).expect("cut");
        assert_eq!(cuts, vec![OrphanCut { file: file.clone(), from: cuts[0].from, to: committed }]);
        assert_eq!(len(&file), committed);
        // A file nothing was committed in is emptied; readers find no record in it.
        let other = dir.capture_dir().join("feedkeeper-2026-01-02.warc.gz");
        capture(&other, b"a new day's orphan");
        drop(dir.open().expect("open"));
        assert_eq!(len(&other), 0);
        assert!(warc::read_all(&other).expect("read").is_empty());
    }

    #[test]
    fn a_symlink_planted_among_the_captures_neither_stops_a_writer_nor_is_cut() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = ArchiveDir::new(tmp.path().join("archive"));
        drop(dir.create().expect("create"));
        std::fs::create_dir_all(dir.capture_dir()).expect("captures");
        let decoy = tmp.path().join("decoy.warc.gz");
        std::fs::write(&decoy, "precious bytes").expect("decoy");
        std::os::unix::fs::symlink(&decoy, dir.capture_dir().join("feedkeeper-2026-02-02.warc.gz")).expect("link");
        drop(dir.open().expect("a writer opens"));
        assert_eq!(std::fs::read_to_string(&decoy).expect("decoy"), "precious bytes");
    }

    #[test]
    fn an_archive_from_before_the_ledger_keeps_every_capture_it_has() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = ArchiveDir::new(tmp.path().join("archive"));
        drop(dir.create().expect("create"));
        std::fs::create_dir_all(dir.capture_dir()).expect("captures");
        let file = dir.capture_dir().join("feedkeeper-2025-05-05.warc.gz");
        capture(&file, b"an old capture no row refers to");
        let before = len(&file);
        {
            // Back to schema 2: no ledger.
            let conn = Connection::open(dir.db_path()).expect("open");
            conn.execute_batch(
                "DROP TABLE capture_files; DROP TABLE refresh_state; DROP TABLE sources; PRAGMA user_version = 2;",
            )
            .expect("downgrade");
        }
        drop(dir.open().expect("migrates"));
        assert_eq!(len(&file), before, "taken as committed, not cut");
        let conn = Connection::open(dir.db_path()).expect("open");
        assert_eq!(committed(&conn).expect("ledger").get("feedkeeper-2025-05-05.warc.gz"), Some(&before));
    }
}
