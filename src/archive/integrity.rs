//! The check every writing command (`import`, `publish`, `run`, `check`, `add`, `watch`…)
//! makes before it writes to the archive database: the file's 100-byte header read and
//! checked field by field, then SQLite's `PRAGMA quick_check` (every page of every b-tree
//! walked: page headers, cell pointers, record headers, overflow chains and the free list,
//! without the index-to-table cross-check of `integrity_check`). A write into a damaged
//! b-tree can spread the damage to pages that were sound, so a damaged archive is refused
//! ([`ArchiveError::Damaged`]: the message names the database and says to run `feedkeeper
//! verify` and restore from a backup) instead of written to.
//!
//! The header is read before every write; the page walk, which reads the whole file (about
//! 0.6 s of CPU for a 100,000-article archive), runs when the last clean walk is older than
//! [`WALK_EVERY`], so `run` from cron and every `watch` cycle, and an incremental publish,
//! do not pay for reading the whole archive each time. The time of the last clean walk is
//! the modification time of [`CHECKED_FILE`] beside the database (a regular file we own,
//! opened without following links); deleting it forces the walk on the next write.
//!
//! It cannot see bytes flipped inside a stored text (SQLite keeps no checksums): such a row
//! reads back as text that is not UTF-8 or metadata that does not parse, and the reads skip
//! and name it (see [`super::backend::Backend::take_unreadable`]). `feedkeeper verify` runs the full
//! `integrity_check`. This module writes nothing but its stamp.

use std::io::Read as _;
use std::path::Path;
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OpenFlags};

use super::ArchiveError;

/// SQLite's file header: its first 100 bytes.
const HEADER_LEN: usize = 100;
/// Problems of `quick_check` quoted in the message at most.
const PROBLEMS_SHOWN: usize = 3;
/// How long a clean page walk stands before a write walks the pages again.
pub const WALK_EVERY: Duration = Duration::from_secs(3600);
/// The file, beside the database, whose modification time is the last clean page walk.
pub const CHECKED_FILE: &str = "checked";

/// Whether a write must walk the pages first, given how long ago the last clean walk was
/// (`None`: never, or unknown).
pub fn walk_due(since_clean_walk: Option<Duration>) -> bool {
    since_clean_walk.is_none_or(|age| age >= WALK_EVERY)
}

/// Refuses a damaged database at `db` (see the module documentation); `Ok` when sound.
pub fn check_before_write(db: &Path) -> Result<(), ArchiveError> {
    let damaged = |detail: String| ArchiveError::Damaged { path: db.to_path_buf(), detail };
    let io = |source| ArchiveError::Io { path: db.to_path_buf(), context: "cannot read the database", source };
    let mut file = std::fs::File::open(db).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut header = [0u8; HEADER_LEN];
    file.read_exact(&mut header).map_err(|_| damaged(format!("the file is {len} bytes, shorter than its header")))?;
    if let Some(problem) = header_problem(&header, len) {
        return Err(damaged(problem));
    }
    let stamp = db.with_file_name(CHECKED_FILE);
    let since = std::fs::symlink_metadata(&stamp)
        .ok()
        .filter(|m| m.is_file())
        .and_then(|m| m.modified().ok())
        .and_then(|t| SystemTime::now().duration_since(t).ok());
    if !walk_due(since) {
        return Ok(());
    }
    match quick_check(db) {
        Ok(None) => {
            // Best effort: without the stamp the next write walks the pages again.
            let _ =
                super::lock::open_regular(std::fs::OpenOptions::new().create(true).truncate(false).write(true), &stamp)
                    .and_then(|f| f.set_modified(SystemTime::now()));
            Ok(())
        }
        Ok(Some(problems)) => Err(damaged(format!("SQLite's quick check: {problems}"))),
        Err(e) => Err(damaged(format!("SQLite's quick check: {e}"))),
    }
}

/// What is wrong with a database header, given the file's length; `None` when nothing.
/// The fields checked are those SQLite itself requires to be exactly so
/// (<https://www.sqlite.org/fileformat.html#the_database_header>).
pub fn header_problem(header: &[u8; HEADER_LEN], file_len: u64) -> Option<String> {
    if &header[..16] != b"SQLite format 3\0" {
        return Some("the header does not start with \"SQLite format 3\"".into());
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65536u64,
        n if n >= 512 && n.is_power_of_two() => u64::from(n),
        n => return Some(format!("the header's page size {n} is not a power of two from 512 to 65536")),
    };
    if !matches!(header[18], 1 | 2) || !matches!(header[19], 1 | 2) {
        return Some(format!("the header's file format versions {} and {} are not 1 or 2", header[18], header[19]));
    }
    if header[21..24] != [64, 32, 32] {
        return Some("the header's payload fractions are not 64, 32 and 32".into());
    }
    let be32 = |at: usize| u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]);
    if !(1..=4).contains(&be32(44)) {
        return Some(format!("the header's schema format {} is not 1 to 4", be32(44)));
    }
    if !file_len.is_multiple_of(page_size) {
        return Some(format!("the file's {file_len} bytes are not a whole number of {page_size}-byte pages"));
    }
    // The page count is valid when the change counter matches "version valid for".
    let pages = u64::from(be32(28));
    if be32(24) == be32(92) && pages > 0 && pages * page_size > file_len {
        return Some(format!(
            "the header counts {pages} pages, the file holds {}: the file was cut short",
            file_len / page_size
        ));
    }
    None
}

/// `PRAGMA quick_check`: `None` when it says "ok", else its first problems.
fn quick_check(db: &Path) -> Result<Option<String>, rusqlite::Error> {
    // Read-write with query_only, as the read commands open it: a read-only connection
    // could not replay a WAL left by a crash. The caller holds the archive lock.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(db, flags)?;
    conn.execute_batch("PRAGMA query_only = 1; PRAGMA busy_timeout = 5000;")?;
    let mut stmt = conn.prepare(&format!("PRAGMA quick_check({PROBLEMS_SHOWN})"))?;
    let rows: Vec<String> = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<_, _>>()?;
    Ok((rows != ["ok"]).then(|| rows.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sound_header() -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..16].copy_from_slice(b"SQLite format 3\0");
        h[16..18].copy_from_slice(&4096u16.to_be_bytes());
        h[18] = 2;
        h[19] = 2;
        h[21..24].copy_from_slice(&[64, 32, 32]);
        h[24..28].copy_from_slice(&7u32.to_be_bytes());
        h[28..32].copy_from_slice(&3u32.to_be_bytes());
        h[44..48].copy_from_slice(&4u32.to_be_bytes());
        h[92..96].copy_from_slice(&7u32.to_be_bytes());
        h
    }

    #[test]
    fn the_page_walk_is_due_when_never_done_or_older_than_its_interval() {
        assert!(walk_due(None));
        assert!(!walk_due(Some(Duration::ZERO)));
        assert!(!walk_due(Some(WALK_EVERY - Duration::from_secs(1))));
        assert!(walk_due(Some(WALK_EVERY)));
    }

    #[test]
    fn a_sound_header_passes_and_each_broken_field_is_named() {
        assert_eq!(header_problem(&sound_header(), 3 * 4096), None);
        let broken = |at: usize, value: u8, len: u64| {
            let mut h = sound_header();
            h[at] = value;
            header_problem(&h, len).unwrap_or_else(|| panic!("byte {at} = {value} passed"))
        };
        assert!(broken(0, b'X', 3 * 4096).contains("SQLite format 3"));
        assert!(broken(16, 0x11, 3 * 4096).contains("page size"));
        assert!(broken(18, 9, 3 * 4096).contains("format versions"));
        assert!(broken(21, 65, 3 * 4096).contains("payload fractions"));
        assert!(broken(47, 9, 3 * 4096).contains("schema format"));
        assert!(broken(0, b'S', 3 * 4096 + 5).contains("whole number"));
        assert!(broken(0, b'S', 2 * 4096).contains("cut short"));
        // A stale page count (change counter moved on) is not trusted, so not a problem.
        let mut stale = sound_header();
        stale[27] = 8;
        assert_eq!(header_problem(&stale, 2 * 4096), None);
    }

    #[test]
    fn a_sound_database_passes_and_a_damaged_page_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("db.sqlite3");
        {
            let conn = Connection::open(&db).expect("open");
            conn.execute_batch("CREATE TABLE t (x TEXT); CREATE INDEX t_x ON t(x);").expect("schema");
            for i in 0..500 {
                conn.execute("INSERT INTO t VALUES (?1)", [format!("row {i} {}", "x".repeat(100))]).expect("insert");
            }
        }
        check_before_write(&db).expect("sound");
        let mut bytes = std::fs::read(&db).expect("read");
        let page = 4096 * 3;
        bytes[page..page + 8].fill(0xff);
        std::fs::write(&db, &bytes).expect("write");
        // Within the hour after the clean walk only the header is read: it is sound.
        check_before_write(&db).expect("the header alone passes");
        std::fs::remove_file(dir.path().join(CHECKED_FILE)).expect("the clean walk left its stamp");
        let err = check_before_write(&db).expect_err("damaged");
        let shown = err.to_string();
        assert!(matches!(err, ArchiveError::Damaged { .. }), "{shown}");
        assert!(shown.starts_with(&db.display().to_string()), "{shown}");
        assert!(shown.contains("feedkeeper verify") && shown.contains("backup"), "{shown}");
        assert_eq!(std::fs::read(&db).expect("read"), bytes, "nothing written");
    }
}
