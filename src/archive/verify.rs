//! `feedkeeper verify`: a full check of an archive folder — the database's own integrity
//! check (SQLite `PRAGMA integrity_check`) and every capture record's digests
//! (`WARC-Block-Digest`, `WARC-Payload-Digest`) recomputed — that names each damaged thing.
//!
//! It only reads: the database is opened read-only and the capture files are streamed one
//! record at a time, so memory stays bounded by the largest record whatever the archive's
//! size. It repairs nothing and takes no lock (a verify beside a running `watch` is fine),
//! except that it counts capture records past their file's committed length (see
//! [`super::ledger`]) only while no writer is at work, holding a shared lock on the lock
//! file for the few milliseconds that takes (a writer starting just then exits 75, as when
//! another run holds the lock).

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::captures::{CaptureStore, LocalCaptures};
use super::ledger;
use super::warc::WarcError;
use super::{ArchiveDir, ArchiveError};

/// What a verify found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The capture files read.
    pub capture_files: u64,
    /// The capture records whose digests were checked and matched.
    pub records_ok: u64,
    /// Each damaged thing, named: the database, a capture file and offset, a record id.
    pub damaged: Vec<String>,
    /// What could not be checked, and why (not damage).
    pub notes: Vec<String>,
}

impl VerifyReport {
    /// Whether nothing is damaged.
    pub fn is_clean(&self) -> bool {
        self.damaged.is_empty()
    }
}

/// Verifies the archive in `dir`. `on_file` is called before each capture file is read (for
/// progress), with its index and the number of files in all. Errors only when the folder cannot be listed;
/// everything else damaged is in the report.
pub fn verify(dir: &ArchiveDir, on_file: impl FnMut(&Path, usize, usize)) -> Result<VerifyReport, ArchiveError> {
    let local = LocalCaptures { folder: dir.capture_dir() };
    verify_with(dir, &local, on_file)
}

/// [`verify`] reading the captures from `captures` (the capture folder, and the bucket when
/// captures go to object storage: every object's records are checked too).
pub fn verify_with(
    dir: &ArchiveDir,
    captures: &dyn CaptureStore,
    on_file: impl FnMut(&Path, usize, usize),
) -> Result<VerifyReport, ArchiveError> {
    let mut report = VerifyReport::default();
    let db = dir.db_path();
    match check_database(&db) {
        Ok(conn) => {
            // Records past a capture file's committed length: a writer stopped between its
            // capture append and its commit. The next writer cuts them off. A writer at work
            // has such records for a moment, so they are only counted while none is.
            let Some(_quiet) = no_writer(dir) else {
                report.notes.push(format!(
                    "{}: a writer holds the archive lock; capture records past the committed lengths were not checked",
                    dir.root.join(super::lock::LOCK_FILE).display()
                ));
                return scan_captures(captures, report, on_file);
            };
            for (file, len, committed) in ledger::uncommitted(&conn, &dir.capture_dir())? {
                report.damaged.push(format!(
                    "{}: {} byte(s) past its committed length {committed} (capture records no committed row refers to, left by a run that stopped before its database commit; the next writing command removes them)",
                    file.display(),
                    len - committed
                ));
            }
        }
        Err(problem) => report.damaged.push(format!("{}: {problem}", db.display())),
    }
    scan_captures(captures, report, on_file)
}

/// `Some` (holding a shared lock on the archive's lock file, which keeps writers out until
/// dropped) when no writer holds the archive lock; `None` while one does. An archive without
/// a lock file has no writer; one whose lock file cannot be opened for reading is taken as
/// quiet too (the check then names what it finds).
fn no_writer(dir: &ArchiveDir) -> Option<Option<std::fs::File>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    let Ok(file) = super::open_regular(&options, &dir.root.join(super::lock::LOCK_FILE)) else { return Some(None) };
    match file.try_lock_shared() {
        Ok(()) => Some(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => None,
        Err(std::fs::TryLockError::Error(_)) => Some(None),
    }
}

/// Reads every capture record back, checking its digests, into `report`.
fn scan_captures(
    captures: &dyn CaptureStore,
    mut report: VerifyReport,
    mut on_file: impl FnMut(&Path, usize, usize),
) -> Result<VerifyReport, ArchiveError> {
    let units = match captures.units() {
        Ok(units) => units,
        Err(WarcError::Object(e)) => {
            report.damaged.push(format!("cannot list the capture objects: {e}"));
            return Ok(report);
        }
        Err(e) => {
            return Err(ArchiveError::Corrupt {
                path: PathBuf::new(),
                what: "capture folder".into(),
                detail: e.to_string(),
            });
        }
    };
    for (index, unit) in units.iter().enumerate() {
        on_file(Path::new(&captures.describe(unit)), index, units.len());
        report.capture_files += 1;
        let scanned = captures.scan(unit, &mut |found| match found {
            Ok(indexed) => match indexed.record.verify_digests() {
                Ok(()) => report.records_ok += 1,
                Err(e) => report.damaged.push(format!("{} at offset {}: {e}", captures.describe(unit), indexed.offset)),
            },
            Err(e) => report.damaged.push(e.to_string()),
        });
        if let Err(e) = scanned {
            report.damaged.push(e.to_string());
        }
    }
    Ok(report)
}

/// The database's read-only connection when it passes SQLite's integrity check, else what is
/// wrong.
fn check_database(db: &Path) -> Result<Connection, String> {
    match std::fs::metadata(db) {
        Err(e) => return Err(format!("cannot read the database: {e}")),
        Ok(m) if m.len() == 0 => return Err("the database is empty (0 bytes)".to_owned()),
        Ok(_) => {}
    }
    let conn = super::sqlite::read_connection(db).map_err(|e| format!("cannot open the database: {e}"))?;
    let rows = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut stmt| stmt.query_map([], |row| row.get::<_, String>(0))?.collect::<Result<Vec<String>, _>>());
    match rows {
        Ok(rows) if rows == ["ok"] => Ok(conn),
        Ok(rows) => Err(format!("integrity check failed: {}", rows.join("; "))),
        Err(e) => Err(format!("integrity check failed: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::warc::{self, Captured};
    use std::path::PathBuf;

    fn archive_with_one_capture() -> (tempfile::TempDir, ArchiveDir, PathBuf) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = ArchiveDir::new(tmp.path().join("archive"));
        drop(dir.create().expect("create the database"));
        std::fs::create_dir_all(dir.capture_dir()).expect("captures");
        let file = dir.capture_dir().join("feedkeeper-2026-01-01.warc.gz");
        let body = b"the resource body, long enough to be found again".repeat(4);
        let item =
            ("file:///a.html", chrono::Utc::now(), Captured::Resource { content_type: "text/html", body: &body });
        warc::append_captures(&file, &[item]).expect("append");
        let conn = Connection::open(dir.db_path()).expect("open");
        let len = std::fs::metadata(&file).expect("capture").len();
        ledger::commit(&conn, "feedkeeper-2026-01-01.warc.gz", len).expect("commit the capture");
        (tmp, dir, file)
    }

    #[test]
    fn records_past_the_committed_length_are_named_and_left_alone() {
        let (_tmp, dir, file) = archive_with_one_capture();
        let committed = std::fs::metadata(&file).expect("capture").len();
        let item =
            ("file:///b.html", chrono::Utc::now(), Captured::Resource { content_type: "text/html", body: b"late" });
        warc::append_captures(&file, &[item]).expect("append without a commit");
        let len = std::fs::metadata(&file).expect("capture").len();
        let report = verify(&dir, |_, _, _| {}).expect("verify");
        let all = report.damaged.join("\n");
        assert_eq!(report.damaged.len(), 1, "{all}");
        assert!(
            all.contains("feedkeeper-2026-01-01.warc.gz")
                && all.contains(&format!("{} byte(s) past its committed length {committed}", len - committed)),
            "{all}"
        );
        assert_eq!(report.records_ok, 3, "the extra record is sound, only uncommitted");
        assert_eq!(std::fs::metadata(&file).expect("capture").len(), len, "verify changes nothing");
        // While a writer holds the lock such records are its own, not yet committed.
        let lock = dir.lock().expect("a writer");
        let report = verify(&dir, |_, _, _| {}).expect("verify");
        assert!(report.is_clean(), "{:?}", report.damaged);
        assert!(report.notes.join("\n").contains("a writer holds the archive lock"), "{:?}", report.notes);
        drop(lock);
    }

    #[test]
    fn a_sound_archive_verifies_clean() {
        let (_tmp, dir, _) = archive_with_one_capture();
        let report = verify(&dir, |_, _, _| {}).expect("verify");
        assert!(report.is_clean(), "{report:?}");
        assert_eq!(report.capture_files, 1);
        assert_eq!(report.records_ok, 2, "warcinfo and resource");
    }

    #[test]
    fn a_flipped_byte_in_a_capture_and_an_empty_database_are_named() {
        let (_tmp, dir, file) = archive_with_one_capture();
        // Rewrite the file uncompressed with one byte of the body changed.
        let records = warc::read_all(&file).expect("read");
        let mut plain = Vec::new();
        for r in &records {
            let mut block = r.record.block.clone();
            if r.record.record_type() == Some("resource") {
                block[3] ^= 0x20;
            }
            plain.extend_from_slice(format!("{}\r\n", r.record.version).as_bytes());
            for (n, v) in &r.record.headers {
                let v = if n.eq_ignore_ascii_case("Content-Length") { block.len().to_string() } else { v.clone() };
                plain.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
            }
            plain.extend_from_slice(b"\r\n");
            plain.extend_from_slice(&block);
            plain.extend_from_slice(b"\r\n\r\n");
        }
        std::fs::write(&file, plain).expect("write");
        std::fs::write(dir.db_path(), b"").expect("empty the database");
        let report = verify(&dir, |_, _, _| {}).expect("verify");
        assert!(!report.is_clean());
        let all = report.damaged.join("\n");
        assert!(all.contains("feedkeeper.sqlite3") && all.contains("empty"), "{all}");
        assert!(all.contains("feedkeeper-2026-01-01.warc.gz") && all.contains("Block-Digest"), "{all}");
    }

    #[test]
    fn a_damaged_database_page_fails_the_integrity_check() {
        let (_tmp, dir, _) = archive_with_one_capture();
        let db = dir.db_path();
        let mut bytes = std::fs::read(&db).expect("read");
        // Past the header page: scribble over the second page's b-tree header.
        let page = u16::from_be_bytes([bytes[16], bytes[17]]) as usize;
        let page = if page == 1 { 65536 } else { page };
        assert!(bytes.len() > page + 16, "a database of more than one page");
        for b in &mut bytes[page..page + 16] {
            *b = 0xff;
        }
        std::fs::write(&db, bytes).expect("write");
        let report = verify(&dir, |_, _, _| {}).expect("verify");
        let all = report.damaged.join("\n");
        assert!(all.contains("feedkeeper.sqlite3"), "{all}");
    }
}
