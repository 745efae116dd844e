//! The SQLite backend ([`Backend`] and [`SourceStateStore`]): bundled SQLite, WAL journal, a
//! busy timeout, numbered schema migrations tracked in `PRAGMA user_version`, FTS5 for search.
//! It only stores and fetches; the matching and versioning rules above it are
//! [`policy`](super::policy)'s.
//!
//! An archive written by a newer schema is refused before anything is written to it.

mod salvage;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};

use super::backend::{Backend, Head, NewVersion, Writer};
use super::catalog::{self, CatalogSource, Claim, ClaimRequest, SourceCatalog, SourceOrigin};
use super::ledger;
use super::policy::MatchKey;
use super::row::{self, REFRESH_COLUMNS, RefreshRow};
use super::{
    ArchiveError, Decision, ListQuery, LogEntry, RefreshState, RefreshStateStore, SearchHit, SourceState,
    SourceStateStore, StoredArticle, TagInfo, Unreadable, VersionInfo,
};
use crate::article::{Article, ArticleId, CaptureRef};
use crate::date;

/// Schema migrations, in order; migration `i` brings the schema to version `i + 1`.
/// Append only: never edit a migration that has shipped.
const MIGRATIONS: &[&str] = &[
    // 1: articles, versions, the publication log, tags, full-text search, saved state.
    r#"
    CREATE TABLE articles (
        id                TEXT PRIMARY KEY,
        identity          TEXT NOT NULL,
        canonical_url     TEXT,
        fingerprint       TEXT,
        current_vid       INTEGER NOT NULL,
        version_count     INTEGER NOT NULL,
        sort_date         TEXT NOT NULL,
        first_archived_at TEXT NOT NULL,
        last_seq          INTEGER NOT NULL
    );
    CREATE INDEX articles_by_date ON articles(sort_date DESC, id);
    CREATE INDEX articles_by_url ON articles(canonical_url) WHERE canonical_url IS NOT NULL;
    CREATE INDEX articles_by_fingerprint ON articles(fingerprint) WHERE fingerprint IS NOT NULL;

    CREATE TABLE versions (
        vid          INTEGER PRIMARY KEY,
        article_id   TEXT NOT NULL,
        version      INTEGER NOT NULL,
        title        TEXT NOT NULL,
        summary      TEXT NOT NULL,
        content_text TEXT NOT NULL,
        content_html TEXT NOT NULL,
        meta         TEXT NOT NULL,
        revision     TEXT NOT NULL,
        UNIQUE (article_id, version)
    );

    CREATE TABLE feed_log (
        seq        INTEGER PRIMARY KEY,
        article_id TEXT NOT NULL,
        vid        INTEGER NOT NULL
    );

    CREATE TABLE article_tags (
        tag        TEXT NOT NULL,
        article_id TEXT NOT NULL,
        last_seq   INTEGER NOT NULL,
        PRIMARY KEY (tag, article_id)
    ) WITHOUT ROWID;
    CREATE INDEX article_tags_by_seq ON article_tags(tag, last_seq DESC);
    CREATE INDEX article_tags_by_article ON article_tags(article_id);

    CREATE VIRTUAL TABLE search USING fts5(
        title, summary, content_text,
        content = 'versions', content_rowid = 'vid',
        tokenize = 'unicode61 remove_diacritics 2'
    );

    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    "#,
    // 2: watching upstream: each source's polling state, and the decision on every item seen.
    r#"
    CREATE TABLE source_state (
        name          TEXT PRIMARY KEY,
        url           TEXT NOT NULL,
        etag          TEXT,
        last_modified TEXT,
        last_attempt  TEXT,
        last_success  TEXT,
        last_error    TEXT,
        failures      INTEGER NOT NULL DEFAULT 0,
        next_due      TEXT,
        retry_after   TEXT,
        ttl_secs      INTEGER,
        max_age_secs  INTEGER,
        items_kept    INTEGER NOT NULL DEFAULT 0
    );

    CREATE TABLE decisions (
        source            TEXT NOT NULL,
        item_key          TEXT NOT NULL,
        title             TEXT NOT NULL,
        url               TEXT,
        score             REAL NOT NULL,
        kept              INTEGER NOT NULL,
        reasons           TEXT NOT NULL,
        item_hash         TEXT NOT NULL,
        topic_fingerprint TEXT NOT NULL,
        rules_fingerprint TEXT NOT NULL,
        article_id        TEXT,
        decided_at        TEXT NOT NULL,
        PRIMARY KEY (source, item_key)
    ) WITHOUT ROWID;
    CREATE INDEX decisions_by_article ON decisions(article_id) WHERE article_id IS NOT NULL;
    "#,
    // 3: the capture ledger (see `ledger`): how far each capture file is committed. The
    // capture files already there are taken as committed when this runs.
    r#"
    CREATE TABLE capture_files (
        file          TEXT PRIMARY KEY,
        committed_len INTEGER NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 4: `refresh`: what the last re-check of each archived original found.
    r#"
    CREATE TABLE refresh_state (
        article_id    TEXT PRIMARY KEY,
        state         TEXT NOT NULL,
        since         TEXT NOT NULL,
        last_checked  TEXT NOT NULL,
        etag          TEXT,
        last_modified TEXT,
        failures      INTEGER NOT NULL DEFAULT 0,
        last_error    TEXT,
        evidence      TEXT
    ) WITHOUT ROWID;
    "#,
    // 5: the source catalog (see `catalog`): every source with its due time (seconds since
    // the epoch) and lease. The partial index on the due time is what a tick reads.
    r#"
    CREATE TABLE sources (
        name        TEXT PRIMARY KEY,
        url         TEXT NOT NULL,
        host        TEXT NOT NULL,
        every_secs  INTEGER NOT NULL,
        tags        TEXT NOT NULL,
        keywords    TEXT NOT NULL,
        backfill    INTEGER NOT NULL,
        origin      TEXT NOT NULL,
        enabled     INTEGER NOT NULL DEFAULT 1,
        due_at      INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_until INTEGER NOT NULL DEFAULT 0,
        epoch       INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE INDEX sources_by_due ON sources(due_at, name) WHERE enabled = 1;
    CREATE INDEX sources_by_lease ON sources(lease_until, host);
    "#,
];

/// The migration that creates the capture ledger, after which the capture files already in
/// the archive are recorded as committed.
const LEDGER_SCHEMA: i64 = 3;

/// The schema version this build writes.
pub const LATEST_SCHEMA: i64 = MIGRATIONS.len() as i64;

/// The page cache of a writing connection, in KiB: the largest part of an import's memory.
const WRITE_CACHE_KIB: u32 = 32 * 1024;

/// A SQLite archive database.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// Rows the reads skipped since [`Backend::take_unreadable`] was last called.
    skipped: RefCell<Vec<Unreadable>>,
}

impl SqliteStore {
    /// Opens (creating and migrating) the database at `path` for reading and writing.
    pub fn open(path: &Path) -> Result<SqliteStore, ArchiveError> {
        let conn = Connection::open(path)
            .map_err(|source| ArchiveError::Open { path: path.to_path_buf(), source: source.into() })?;
        let mut store = SqliteStore::new(conn, path.to_path_buf());
        store.check_schema()?;
        store.pragmas(true)?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing database read-only (for `list`, `show`, `search`, `sources`), on
    /// an archive the user may only read too (a read-only mount or folder: when SQLite cannot
    /// create its `-shm` index there and no `-wal` file is present, the database is read as
    /// `immutable=1`; `read_connection` in this file explains the cases).
    pub fn open_read_only(path: &Path) -> Result<SqliteStore, ArchiveError> {
        let conn = read_connection(path)
            .map_err(|source| ArchiveError::Open { path: path.to_path_buf(), source: source.into() })?;
        let store = SqliteStore::new(conn, path.to_path_buf());
        store.check_schema()?;
        store.pragmas(false)?;
        let version = store.schema_version()?;
        if version < LATEST_SCHEMA {
            // An older archive opened read-only: reading would need the migrations the next
            // writing command applies. Say so instead of failing on a missing table.
            return Err(ArchiveError::Corrupt {
                path: path.to_path_buf(),
                what: "schema".into(),
                detail: format!(
                    "schema version {version} is older than {LATEST_SCHEMA}; run `feedkeeper publish` once to upgrade it"
                ),
            });
        }
        Ok(store)
    }

    /// An empty in-memory archive (tests, and reading an archive that does not exist yet).
    pub fn open_in_memory() -> Result<SqliteStore, ArchiveError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory()
            .map_err(|source| ArchiveError::Open { path: path.clone(), source: source.into() })?;
        let mut store = SqliteStore::new(conn, path);
        store.migrate()?;
        Ok(store)
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for copying the archive out ([`super::migrate`]).
    pub(super) fn connection(&self) -> &Connection {
        &self.conn
    }

    fn new(conn: Connection, path: PathBuf) -> SqliteStore {
        SqliteStore { conn, path, skipped: RefCell::new(Vec::new()) }
    }

    /// Cuts every capture file in `folder` back to its committed length, never below a
    /// record the database refers to, warning for each file cut (see [`ledger`]). Only a
    /// writer holding the archive lock may call this ([`super::ArchiveDir::open`] does).
    pub fn cut_orphan_captures(&self, folder: &Path) -> Result<Vec<ledger::OrphanCut>, ArchiveError> {
        ledger::cut_orphans(&self.conn, folder)
    }

    /// After a failed write transaction (a full disk, most often): checkpoints the WAL and
    /// truncates it to nothing, best effort, so the space the failed transaction's pages took
    /// in the `-wal` file is given back at once instead of when the connection closes. (WAL
    /// pages of committed transactions stay until there is room to move them into the
    /// database: they are the archive.)
    fn shrink_wal(&self) {
        let done = self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get::<_, i64>(0));
        if let Err(e) = done {
            tracing::debug!(path = %self.path.display(), error = %e, "cannot truncate the WAL after a failed write");
        }
    }

    fn sql(&self, context: &'static str) -> impl Fn(rusqlite::Error) -> ArchiveError + '_ {
        move |source| sql_error(&self.path, context, source)
    }

    fn schema_version(&self) -> Result<i64, ArchiveError> {
        self.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(self.sql("reading the schema version"))
    }

    fn check_schema(&self) -> Result<(), ArchiveError> {
        let found = self.schema_version()?;
        if found > LATEST_SCHEMA {
            return Err(ArchiveError::NewerSchema { path: self.path.clone(), found, supported: LATEST_SCHEMA });
        }
        Ok(())
    }

    fn pragmas(&self, write: bool) -> Result<(), ArchiveError> {
        self.conn.set_prepared_statement_cache_capacity(64);
        let set = |sql: &str| self.conn.execute_batch(sql).map_err(self.sql("configuring SQLite"));
        set("PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;")?;
        if write {
            set("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
            // A page cache of up to WRITE_CACHE_KIB (SQLite's default is 2 MiB): an import
            // inserts into a dozen b-trees at random places (ids, URLs, fingerprints, tags,
            // the search index), and with the default cache every insert into an archive
            // of 100,000 articles reads pages back from the file, a system call each.
            set(&format!("PRAGMA cache_size = -{WRITE_CACHE_KIB};"))?;
        }
        Ok(())
    }

    fn migrate(&mut self) -> Result<(), ArchiveError> {
        let current = self.schema_version()?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
            let target = i as i64 + 1;
            let path = self.path.clone();
            let err = |source: rusqlite::Error| sql_error(&path, "applying a schema migration", source);
            let tx = self.conn.transaction().map_err(err)?;
            tx.execute_batch(sql).map_err(err)?;
            if target == LEDGER_SCHEMA
                && let Some(root) = path.parent().filter(|p| !p.as_os_str().is_empty())
            {
                ledger::seed(&tx, &root.join(super::CAPTURE_DIR))?;
            }
            tx.pragma_update(None, "user_version", target).map_err(err)?;
            tx.commit().map_err(err)?;
        }
        Ok(())
    }

    fn corrupt(&self, what: impl Into<String>, detail: impl ToString) -> ArchiveError {
        ArchiveError::Corrupt { path: self.path.clone(), what: what.into(), detail: detail.to_string() }
    }

    /// Builds an article from a `versions` row read as (title, summary, text, html, meta).
    fn article_from(
        &self,
        title: String,
        summary: String,
        text: String,
        html: String,
        meta: &str,
    ) -> Result<Article, ArchiveError> {
        row::article_from(title, summary, text, html, meta).map_err(|e| self.corrupt("version metadata", e))
    }

    /// The article in columns `at..at + 5` of a row: title, summary, text, html, meta.
    fn article_at(&self, row: &Row<'_>, at: usize, context: &'static str) -> Result<Article, ArchiveError> {
        let get = |i: usize| row.get::<_, String>(at + i).map_err(self.sql(context));
        self.article_from(get(0)?, get(1)?, get(2)?, get(3)?, &get(4)?)
    }

    fn read_entry(&self, row: &Row<'_>) -> Result<LogEntry, ArchiveError> {
        let get = |i| row.get::<_, String>(i).map_err(self.sql("reading the publication log"));
        let seq: i64 = row.get(0).map_err(self.sql("reading the publication log"))?;
        let version: i64 = row.get(1).map_err(self.sql("reading the publication log"))?;
        let article = self.article_from(get(2)?, get(3)?, String::new(), get(4)?, &get(5)?)?;
        Ok(LogEntry { seq: seq as u64, version: version as u32, article })
    }
}

/// A SQLite error as an [`ArchiveError`]: [`ArchiveError::Damaged`] when SQLite found the
/// file damaged, else [`ArchiveError::Sql`] with the context.
fn sql_error(path: &Path, context: &'static str, source: rusqlite::Error) -> ArchiveError {
    if is_damage(&source) {
        return ArchiveError::Damaged { path: path.to_path_buf(), detail: format!("{context}: {source}") };
    }
    ArchiveError::Sql { path: path.to_path_buf(), context, source: source.into() }
}

/// Whether SQLite reports the file as damaged (a malformed page, or not a database).
fn is_damage(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    e.sqlite_error_code().is_some_and(|code| matches!(code, DatabaseCorrupt | NotADatabase))
}

/// A connection that only reads the database at `path`, on any archive the user can read.
///
/// - Where the file is writable: read-write with `query_only` on. A read-only connection to
///   a WAL database creates `-wal`/`-shm` files it cannot remove afterwards, while this one
///   leaves the folder exactly as it found it (`check --dry-run` promises that).
/// - Elsewhere: a read-only connection (`SQLITE_OPEN_READ_ONLY`). Reading a WAL database
///   still needs its `-shm` index: SQLite (3.22 and later) uses the `-shm` and `-wal` files
///   when they exist, or creates them when the folder is writable.
/// - When neither is possible (the folder is read-only: a read-only mount, or an archive the
///   user may only read, and no writer has it open) the first read fails with
///   `SQLITE_READONLY`/`SQLITE_CANTOPEN`. Then, if there is no `-wal` file (so every commit
///   is in the database file itself: the last writer checkpointed and removed it), the file
///   is opened as `immutable=1`: no locks, no `-shm`, no writes at all, which is sound
///   because nothing can change a file in a folder nobody may write. With a `-wal` file
///   present that would miss its commits, so the error is returned instead.
pub(super) fn read_connection(path: &Path) -> rusqlite::Result<Connection> {
    let rw = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let ro = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let conn = match Connection::open_with_flags(path, rw) {
        Ok(conn) if conn.execute_batch("PRAGMA query_only = 1;").is_ok() => conn,
        _ => Connection::open_with_flags(path, ro)?,
    };
    // The first read is where a missing, uncreatable `-shm` shows.
    let probe = conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0));
    let unreadable_here = |e: &rusqlite::Error| {
        matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen))
    };
    match probe {
        Ok(_) => Ok(conn),
        Err(e) if unreadable_here(&e) && !sidecar(path, "-wal").exists() => {
            drop(conn);
            Connection::open_with_flags(immutable_uri(path), ro)
        }
        Err(e) => Err(e),
    }
}

/// The path of the database's `-wal` or `-shm` file.
pub(super) fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// A `file:` URI for `path` with `immutable=1` (the path's bytes percent-encoded where a URI
/// needs it, so `?`, `#` and `%` in a folder name stay part of the path).
fn immutable_uri(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut uri = String::from("file:");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    uri
}

/// Turns a user's search text into an FTS5 query: each word or "quoted phrase" becomes a
/// quoted FTS5 string (so punctuation never causes a syntax error), all of them required.
fn fts_query(input: &str) -> String {
    let quoted = row::search_terms(input).into_iter().filter(|t| t.chars().any(char::is_alphanumeric));
    quoted.map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect::<Vec<_>>().join(" ")
}

/// Looks an article up by one key: the columns of a [`Head`]. A URL or fingerprint several
/// articles share finds the one inserted first (the lowest rowid).
fn lookup_in(conn: &Connection, key: MatchKey<'_>) -> Result<Option<Head>, rusqlite::Error> {
    const HEAD: &str =
        "SELECT a.id, a.version_count, v.revision, json_extract(v.meta, '$.updated'), a.canonical_url, a.fingerprint
         FROM articles a JOIN versions v ON v.vid = a.current_vid";
    let (sql, value) = match key {
        MatchKey::Id(id) => (format!("{HEAD} WHERE a.id = ?1"), id.as_str()),
        MatchKey::CanonicalUrl(url) => (format!("{HEAD} WHERE a.canonical_url = ?1 ORDER BY a.rowid LIMIT 1"), url),
        MatchKey::Fingerprint(fp) => (format!("{HEAD} WHERE a.fingerprint = ?1 ORDER BY a.rowid LIMIT 1"), fp),
    };
    conn.prepare_cached(&sql)?
        .query_row([value], |r| {
            Ok(Head {
                id: ArticleId(r.get(0)?),
                versions: r.get::<_, i64>(1)?.clamp(0, i64::from(u32::MAX)) as u32,
                revision: r.get(2)?,
                updated: r.get::<_, Option<String>>(3)?.as_deref().and_then(date::parse),
                canonical_url: r.get(4)?,
                fingerprint: r.get(5)?,
            })
        })
        .optional()
}

/// The writes of one SQLite transaction ([`Backend::write`]).
struct SqliteWriter<'a> {
    conn: &'a Connection,
    path: &'a Path,
}

impl SqliteWriter<'_> {
    fn err(&self) -> impl Fn(rusqlite::Error) -> ArchiveError + '_ {
        move |source| sql_error(self.path, "archiving articles", source)
    }

    /// Inserts a row of `versions`; returns its vid.
    fn insert_version(&self, new: &NewVersion<'_>) -> Result<i64, rusqlite::Error> {
        let article = new.article;
        let meta = row::meta_json(article).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        self.conn
            .prepare_cached(
                "INSERT INTO versions (article_id, version, title, summary, content_text, content_html, meta, revision)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                article.id.as_str(),
                i64::from(new.version),
                article.title,
                article.summary.as_deref().unwrap_or(""),
                article.content.text,
                article.content.html,
                meta,
                new.revision
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Appends a version to the publication log; returns its sequence number.
    fn log(&self, id: &ArticleId, vid: i64) -> Result<u64, rusqlite::Error> {
        self.conn
            .prepare_cached("INSERT INTO feed_log (article_id, vid) VALUES (?1, ?2)")?
            .execute(params![id.as_str(), vid])?;
        Ok(self.conn.last_insert_rowid() as u64)
    }

    /// Adds a version to the search index.
    fn index(&self, vid: i64, article: &Article) -> Result<usize, rusqlite::Error> {
        self.conn
            .prepare_cached("INSERT INTO search (rowid, title, summary, content_text) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![vid, article.title, article.summary.as_deref().unwrap_or(""), article.content.text])
    }

    /// Replaces an article's tags, each marked with the article's newest log entry.
    fn set_tags(&self, id: &ArticleId, tags: &[String], seq: u64) -> Result<(), rusqlite::Error> {
        self.conn.prepare_cached("DELETE FROM article_tags WHERE article_id = ?1")?.execute([id.as_str()])?;
        let mut stmt = self
            .conn
            .prepare_cached("INSERT OR IGNORE INTO article_tags (tag, article_id, last_seq) VALUES (?1, ?2, ?3)")?;
        for tag in tags {
            stmt.execute(params![tag, id.as_str(), seq as i64])?;
        }
        Ok(())
    }

    fn insert_article(&self, new: &NewVersion<'_>) -> Result<u64, rusqlite::Error> {
        let (article, keys) = (new.article, new.keys);
        let id = &article.id;
        let vid = self.insert_version(new)?;
        let seq = self.log(id, vid)?;
        self.conn.prepare_cached("INSERT INTO articles (id, identity, canonical_url, fingerprint, current_vid, version_count, sort_date, first_archived_at, last_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")?.execute(
            params![
                id.as_str(),
                keys.identity,
                keys.canonical_url,
                keys.fingerprint,
                vid,
                i64::from(new.version),
                date::rfc3339(&article.date()),
                date::rfc3339(&article.archived_at),
                seq as i64
            ],
        )?;
        self.index(vid, article)?;
        self.set_tags(id, &article.tags, seq)?;
        Ok(seq)
    }

    fn update_article(&self, new: &NewVersion<'_>) -> Result<u64, rusqlite::Error> {
        let (article, keys) = (new.article, new.keys);
        let id = &article.id;
        let current_vid: i64 = self
            .conn
            .prepare_cached("SELECT current_vid FROM articles WHERE id = ?1")?
            .query_row([id.as_str()], |r| r.get(0))?;
        let vid = self.insert_version(new)?;
        let seq = self.log(id, vid)?;
        // Re-point the search index at the current version.
        let (t, s, c): (String, String, String) = self
            .conn
            .prepare_cached("SELECT title, summary, content_text FROM versions WHERE vid = ?1")?
            .query_row([current_vid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        self.conn
            .prepare_cached(
                "INSERT INTO search (search, rowid, title, summary, content_text) VALUES ('delete', ?1, ?2, ?3, ?4)",
            )?
            .execute(params![current_vid, t, s, c])?;
        self.index(vid, article)?;
        self.conn
            .prepare_cached(
                "UPDATE articles SET current_vid = ?2, version_count = ?3, sort_date = ?4, last_seq = ?5,
                     canonical_url = ?6, fingerprint = ?7
                 WHERE id = ?1",
            )?
            .execute(params![
                id.as_str(),
                vid,
                i64::from(new.version),
                date::rfc3339(&article.date()),
                seq as i64,
                keys.canonical_url,
                keys.fingerprint
            ])?;
        self.set_tags(id, &article.tags, seq)?;
        Ok(seq)
    }
}

impl Writer for SqliteWriter<'_> {
    fn lookup(&mut self, key: MatchKey<'_>) -> Result<Option<Head>, ArchiveError> {
        lookup_in(self.conn, key).map_err(self.err())
    }

    fn insert(&mut self, new: &NewVersion<'_>) -> Result<u64, ArchiveError> {
        self.insert_article(new).map_err(self.err())
    }

    fn update(&mut self, new: &NewVersion<'_>) -> Result<u64, ArchiveError> {
        self.update_article(new).map_err(self.err())
    }

    fn commit_capture(&mut self, capture: &CaptureRef) -> Result<(), ArchiveError> {
        ledger::commit(self.conn, &capture.file, capture.offset + capture.length).map_err(self.err())
    }
}

impl Backend for SqliteStore {
    fn location(&self) -> &Path {
        &self.path
    }

    fn lookup(&self, key: MatchKey<'_>) -> Result<Option<Head>, ArchiveError> {
        lookup_in(&self.conn, key).map_err(self.sql("looking up an article"))
    }

    fn write(&mut self, work: &mut dyn FnMut(&mut dyn Writer) -> Result<(), ArchiveError>) -> Result<(), ArchiveError> {
        let path = self.path.clone();
        let err = |source: rusqlite::Error| sql_error(&path, "archiving articles", source);
        let written = (|| {
            let tx = self.conn.transaction().map_err(err)?;
            // Dropping `tx` on an error rolls the transaction back.
            work(&mut SqliteWriter { conn: &tx, path: &self.path })?;
            tx.commit().map_err(err)
        })();
        if written.is_err() {
            self.shrink_wal();
        }
        written
    }

    fn ids_with_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<ArticleId>, ArchiveError> {
        // Ranges instead of LIKE, so `%` and `_` in a prefix match literally.
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM articles WHERE id >= ?1 AND id < ?1 || char(1114111) ORDER BY id LIMIT ?2")
            .map_err(self.sql("looking up an id"))?;
        let rows = stmt
            .query_map(params![prefix, limit as i64], |r| r.get::<_, String>(0))
            .map_err(self.sql("looking up an id"))?;
        rows.map(|r| r.map(ArticleId)).collect::<Result<_, _>>().map_err(self.sql("looking up an id"))
    }

    fn get(&self, id: &ArticleId) -> Result<Option<StoredArticle>, ArchiveError> {
        let head: Option<(i64, String)> = self
            .conn
            .query_row("SELECT current_vid, first_archived_at FROM articles WHERE id = ?1", [id.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(self.sql("reading an article"))?;
        let Some((current_vid, first)) = head else { return Ok(None) };
        let mark = self.skipped.borrow().len();
        let read = match self.versions_of(id) {
            Err(ArchiveError::Damaged { .. }) => {
                self.skipped.borrow_mut().truncate(mark);
                self.salvage_versions(id)?
            }
            other => other?,
        };
        let mut versions = Vec::new();
        let mut current = None;
        for (vid, version, article) in read {
            versions.push(VersionInfo {
                version: version as u32,
                archived_at: article.archived_at,
                content_hash: article.content_hash.clone(),
                origin: article.origin.clone(),
                capture: article.capture.clone(),
            });
            if vid == current_vid {
                current = Some(article);
            }
        }
        let article = current.ok_or_else(|| ArchiveError::Damaged {
            path: self.path.clone(),
            detail: format!("article {id}: its current version cannot be read"),
        })?;
        let first_archived_at = date::parse(&first).unwrap_or(article.archived_at);
        Ok(Some(StoredArticle { article, versions, first_archived_at }))
    }

    fn version(&self, id: &ArticleId, version: u32) -> Result<Option<Article>, ArchiveError> {
        let context = "reading a version";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT title, summary, content_text, content_html, meta FROM versions
                 WHERE article_id = ?1 AND version = ?2",
            )
            .map_err(self.sql(context))?;
        let mut rows = stmt.query(params![id.as_str(), i64::from(version)]).map_err(self.sql(context))?;
        match rows.next().map_err(self.sql(context))? {
            Some(row) => Ok(Some(self.article_at(row, 0, context)?)),
            None => Ok(None),
        }
    }

    fn list(&self, query: &ListQuery) -> Result<Vec<Article>, ArchiveError> {
        let limit = query.limit.map_or(-1, |l| l as i64);
        let (sql, tag) = match &query.tag {
            Some(tag) => (
                "SELECT v.title, v.summary, v.content_text, v.content_html, v.meta, a.id
                 FROM article_tags t JOIN articles a ON a.id = t.article_id JOIN versions v ON v.vid = a.current_vid
                 WHERE t.tag = ?1 ORDER BY a.sort_date DESC, a.id LIMIT ?2",
                tag.clone(),
            ),
            None => (
                "SELECT v.title, v.summary, v.content_text, v.content_html, v.meta, a.id
                 FROM articles a JOIN versions v ON v.vid = a.current_vid
                 WHERE ?1 = ?1 ORDER BY a.sort_date DESC, a.id LIMIT ?2",
                String::new(),
            ),
        };
        let mark = self.skipped.borrow().len();
        let fast = || -> Result<Vec<Article>, ArchiveError> {
            let mut stmt = self.conn.prepare(sql).map_err(self.sql("listing articles"))?;
            let mut rows = stmt.query(params![tag, limit]).map_err(self.sql("listing articles"))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(self.sql("listing articles"))? {
                match self.article_at(row, 0, "listing articles") {
                    Ok(article) => out.push(article),
                    Err(e) => self.skip(None, row.get(5).ok(), &e),
                }
            }
            Ok(out)
        };
        match fast() {
            Err(ArchiveError::Damaged { .. }) => {
                self.skipped.borrow_mut().truncate(mark);
                self.salvage_list(query.tag.as_deref(), limit)
            }
            other => other,
        }
    }

    fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>, ArchiveError> {
        let q = fts_query(query);
        if q.is_empty() {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT v.title, v.summary, v.content_text, v.content_html, v.meta,
                        snippet(search, -1, '[', ']', '…', 16), bm25(search, 10.0, 4.0, 1.0), v.article_id
                 FROM search JOIN versions v ON v.vid = search.rowid
                 WHERE search MATCH ?1 ORDER BY bm25(search, 10.0, 4.0, 1.0), v.article_id LIMIT ?2",
            )
            .map_err(self.sql("searching"))?;
        let mark = self.skipped.borrow().len();
        let mut fast = || -> Result<Vec<SearchHit>, ArchiveError> {
            let mut rows = stmt.query(params![q, limit as i64]).map_err(self.sql("searching"))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(self.sql("searching"))? {
                match self.search_hit(row) {
                    Ok(hit) => out.push(hit),
                    Err(e) => self.skip(None, row.get(7).ok(), &e),
                }
            }
            Ok(out)
        };
        match fast() {
            Err(ArchiveError::Damaged { .. }) => {
                self.skipped.borrow_mut().truncate(mark);
                self.salvage_search(&q, limit)
            }
            other => other,
        }
    }

    fn count(&self) -> Result<u64, ArchiveError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM articles", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(self.sql("counting"))
    }

    fn each_text(&self, visit: &mut dyn FnMut(&ArticleId, &str, &str)) -> Result<(), ArchiveError> {
        let mut stmt = self
            .conn
            .prepare("SELECT a.id, v.title, v.content_text FROM articles a JOIN versions v ON v.vid = a.current_vid ORDER BY a.id")
            .map_err(self.sql("reading texts"))?;
        let mut rows = stmt.query([]).map_err(self.sql("reading texts"))?;
        while let Some(row) = rows.next().map_err(self.sql("reading texts"))? {
            let id: String = row.get(0).map_err(self.sql("reading texts"))?;
            let read = (row.get::<_, String>(1), row.get::<_, String>(2));
            match read {
                (Ok(title), Ok(text)) => visit(&ArticleId(id), &title, &text),
                (Err(e), _) | (_, Err(e)) => self.skip(None, Some(id), &self.sql("reading texts")(e)),
            }
        }
        Ok(())
    }

    fn log_len(&self) -> Result<u64, ArchiveError> {
        self.conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM feed_log", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(self.sql("reading the publication log"))
    }

    fn log_range(
        &self,
        from: u64,
        to: u64,
        visit: &mut dyn FnMut(LogEntry) -> Result<(), ArchiveError>,
    ) -> Result<(), ArchiveError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT l.seq, v.version, v.title, v.summary, v.content_html, v.meta, l.article_id
                 FROM feed_log l JOIN versions v ON v.vid = l.vid
                 WHERE l.seq BETWEEN ?1 AND ?2 ORDER BY l.seq",
            )
            .map_err(self.sql("reading the publication log"))?;
        let mut rows = stmt.query(params![from as i64, to as i64]).map_err(self.sql("reading the publication log"))?;
        let mut next = from;
        loop {
            match rows.next().map_err(self.sql("reading the publication log")) {
                Ok(Some(row)) => {
                    let seq = row.get::<_, i64>(0).map_err(self.sql("reading the publication log"))? as u64;
                    next = seq + 1;
                    match self.read_entry(row) {
                        Ok(entry) => visit(entry)?,
                        Err(e) => self.skip(Some(seq), row.get(6).ok(), &e),
                    }
                }
                Ok(None) => return Ok(()),
                // A damaged page: go on entry by entry from the one that failed.
                Err(ArchiveError::Damaged { .. }) => break,
                Err(e) => return Err(e),
            }
        }
        drop(rows);
        self.salvage_log(next, to, visit)
    }

    fn tags(&self) -> Result<Vec<TagInfo>, ArchiveError> {
        let mut stmt = self
            .conn
            .prepare("SELECT tag, COUNT(*), MAX(last_seq) FROM article_tags GROUP BY tag ORDER BY tag")
            .map_err(self.sql("reading tags"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(TagInfo { tag: r.get(0)?, count: r.get::<_, i64>(1)? as u64, last_seq: r.get::<_, i64>(2)? as u64 })
            })
            .map_err(self.sql("reading tags"))?;
        rows.collect::<Result<_, _>>().map_err(self.sql("reading tags"))
    }

    fn tag_entries(&self, tag: &str, limit: usize) -> Result<Vec<LogEntry>, ArchiveError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT t.last_seq, v.version, v.title, v.summary, v.content_html, v.meta, a.id
                 FROM article_tags t JOIN articles a ON a.id = t.article_id JOIN versions v ON v.vid = a.current_vid
                 WHERE t.tag = ?1 ORDER BY t.last_seq DESC LIMIT ?2",
            )
            .map_err(self.sql("reading a tag"))?;
        let mark = self.skipped.borrow().len();
        let mut fast = || -> Result<Vec<LogEntry>, ArchiveError> {
            let mut rows = stmt.query(params![tag, limit as i64]).map_err(self.sql("reading a tag"))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(self.sql("reading a tag"))? {
                match self.read_entry(row) {
                    Ok(entry) => out.push(entry),
                    Err(e) => self.skip(row.get::<_, i64>(0).ok().map(|s| s as u64), row.get(6).ok(), &e),
                }
            }
            Ok(out)
        };
        match fast() {
            Err(ArchiveError::Damaged { .. }) => {
                self.skipped.borrow_mut().truncate(mark);
                self.salvage_tag(tag, limit)
            }
            other => other,
        }
    }

    fn tags_since(&self, seq: u64) -> Result<Vec<String>, ArchiveError> {
        // Tags of the versions logged after `seq`, and of the versions they replaced (a tag
        // removed from an article changes that tag's feed too).
        let mut stmt = self
            .conn
            .prepare(
                "SELECT DISTINCT j.value FROM feed_log l JOIN versions v ON v.article_id = l.article_id AND v.vid <= l.vid,
                        json_each(CASE WHEN json_valid(v.meta) THEN v.meta ELSE '{}' END, '$.tags') j
                 WHERE l.seq > ?1 AND v.vid >= COALESCE((SELECT MAX(p.vid) FROM versions p WHERE p.article_id = l.article_id AND p.vid < l.vid), l.vid)
                 ORDER BY 1",
            )
            .map_err(self.sql("reading changed tags"))?;
        let rows = stmt.query_map([seq as i64], |r| r.get::<_, String>(0)).map_err(self.sql("reading changed tags"))?;
        rows.collect::<Result<_, _>>().map_err(self.sql("reading changed tags"))
    }

    fn meta_get(&self, key: &str) -> Result<Option<String>, ArchiveError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(self.sql("reading saved state"))
    }

    fn take_unreadable(&self) -> Vec<Unreadable> {
        std::mem::take(&mut *self.skipped.borrow_mut())
    }

    fn meta_set(&mut self, key: &str, value: &str) -> Result<(), ArchiveError> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
            .map_err(self.sql("saving state"))
    }
}

const DECISION_COLUMNS: &str = "source, item_key, title, url, score, kept, reasons, item_hash, topic_fingerprint, \
     rules_fingerprint, article_id, decided_at";

fn time(s: Option<String>) -> Option<DateTime<Utc>> {
    s.as_deref().and_then(date::parse)
}

fn read_state(r: &Row<'_>) -> rusqlite::Result<SourceState> {
    Ok(SourceState {
        name: r.get(0)?,
        url: r.get(1)?,
        etag: r.get(2)?,
        last_modified: r.get(3)?,
        last_attempt: time(r.get(4)?),
        last_success: time(r.get(5)?),
        last_error: r.get(6)?,
        failures: r.get::<_, i64>(7)?.clamp(0, i64::from(u32::MAX)) as u32,
        next_due: time(r.get(8)?),
        retry_after: time(r.get(9)?),
        ttl_secs: r.get::<_, Option<i64>>(10)?.map(|n| n.max(0) as u64),
        max_age_secs: r.get::<_, Option<i64>>(11)?.map(|n| n.max(0) as u64),
        items_kept: r.get::<_, i64>(12)?.max(0) as u64,
    })
}

impl SqliteStore {
    /// The saved states `filter` (an SQL `WHERE` on `name = ?1`, or nothing) selects, by name.
    fn states_where(&self, filter: &str, name: Option<&str>) -> Result<Vec<SourceState>, ArchiveError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT name, url, etag, last_modified, last_attempt, last_success, last_error, failures,
                        next_due, retry_after, ttl_secs, max_age_secs, items_kept
                 FROM source_state {filter} ORDER BY name"
            ))
            .map_err(self.sql("reading source state"))?;
        let rows = match name {
            Some(n) => stmt.query_map([n], read_state),
            None => stmt.query_map([], read_state),
        }
        .map_err(self.sql("reading source state"))?;
        rows.collect::<Result<_, _>>().map_err(self.sql("reading source state"))
    }
}

/// Source state and decisions in the `source_state` and `decisions` tables.
impl SourceStateStore for SqliteStore {
    fn source_states(&self) -> Result<Vec<SourceState>, ArchiveError> {
        self.states_where("", None)
    }

    fn source_state(&self, name: &str) -> Result<Option<SourceState>, ArchiveError> {
        Ok(self.states_where("WHERE name = ?1", Some(name))?.pop())
    }

    fn decision(&self, source: &str, item_key: &str) -> Result<Option<Decision>, ArchiveError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {DECISION_COLUMNS} FROM decisions WHERE source = ?1 AND item_key = ?2"))
            .map_err(self.sql("reading a decision"))?;
        let row = stmt
            .query_row(params![source, item_key], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, f64>(4)?,
                    r.get::<_, bool>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, String>(9)?,
                    r.get::<_, Option<String>>(10)?,
                    r.get::<_, String>(11)?,
                ))
            })
            .optional()
            .map_err(self.sql("reading a decision"))?;
        let Some((source, item_key, title, url, score, kept, reasons, item_hash, topic, rules, article, at)) = row
        else {
            return Ok(None);
        };
        let reasons: Vec<String> = serde_json::from_str(&reasons).map_err(|e| ArchiveError::Corrupt {
            path: self.path.clone(),
            what: format!("decision reasons of {source:?} {item_key:?}"),
            detail: e.to_string(),
        })?;
        let decided_at = date::parse(&at).ok_or_else(|| ArchiveError::Corrupt {
            path: self.path.clone(),
            what: format!("decision time of {source:?} {item_key:?}"),
            detail: at.clone(),
        })?;
        Ok(Some(Decision {
            source,
            item_key,
            title,
            url,
            score,
            kept,
            reasons,
            item_hash,
            topic_fingerprint: topic,
            rules_fingerprint: rules,
            article_id: article.map(ArticleId),
            decided_at,
        }))
    }

    fn record_check(
        &mut self,
        states: &[SourceState],
        decisions: &[Decision],
        captures: &[CaptureRef],
    ) -> Result<(), ArchiveError> {
        let path = self.path.clone();
        let err = |source| state_error(&path, source);
        let tx = self.conn.transaction().map_err(err)?;
        save_check(&tx, states, decisions, captures).map_err(err)?;
        tx.commit().map_err(err)
    }
}

fn state_error(path: &Path, source: rusqlite::Error) -> ArchiveError {
    ArchiveError::Sql { path: path.to_path_buf(), context: "saving source state and decisions", source: source.into() }
}

/// Saves one check's decisions, states (moving each source's due time to its `next_due`)
/// and captures in the transaction `tx`.
fn save_check(
    tx: &rusqlite::Transaction<'_>,
    states: &[SourceState],
    decisions: &[Decision],
    captures: &[CaptureRef],
) -> rusqlite::Result<()> {
    let mut put = tx.prepare_cached(&format!(
        "INSERT OR REPLACE INTO decisions ({DECISION_COLUMNS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    ))?;
    for d in decisions {
        let reasons = serde_json::to_string(&d.reasons).unwrap_or_else(|_| "[]".into());
        put.execute(params![
            d.source,
            d.item_key,
            d.title,
            d.url,
            d.score,
            d.kept,
            reasons,
            d.item_hash,
            d.topic_fingerprint,
            d.rules_fingerprint,
            d.article_id.as_ref().map(ArticleId::as_str),
            date::rfc3339(&d.decided_at),
        ])?;
    }
    let mut save = tx.prepare_cached(
        "INSERT OR REPLACE INTO source_state (name, url, etag, last_modified, last_attempt, last_success,
             last_error, failures, next_due, retry_after, ttl_secs, max_age_secs, items_kept)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
             (SELECT COUNT(*) FROM decisions WHERE source = ?1 AND kept = 1))",
    )?;
    let mut due = tx.prepare_cached("UPDATE sources SET due_at = ?2 WHERE name = ?1")?;
    let t = |t: &Option<DateTime<Utc>>| t.as_ref().map(date::rfc3339);
    let secs = |s: Option<u64>| s.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    for s in states {
        save.execute(params![
            s.name,
            s.url,
            s.etag,
            s.last_modified,
            t(&s.last_attempt),
            t(&s.last_success),
            s.last_error,
            i64::from(s.failures),
            t(&s.next_due),
            t(&s.retry_after),
            secs(s.ttl_secs),
            secs(s.max_age_secs),
        ])?;
        if let Some(next) = s.next_due {
            due.execute(params![s.name, catalog::secs(next)])?;
        }
    }
    for c in captures {
        ledger::commit(tx, &c.file, c.offset + c.length)?;
    }
    Ok(())
}

/// The due sources, by due time then name: a range of the `sources_by_due` index (SQLite
/// refuses the statement if it cannot use it), never a scan of every source.
const DUE_SQL: &str = "SELECT name, host, lease_until FROM sources INDEXED BY sources_by_due
     WHERE enabled = 1 AND due_at <= ?1 ORDER BY due_at, name";

const CATALOG_COLUMNS: &str = "name, url, every_secs, tags, keywords, backfill, origin, enabled";

fn read_catalog_row(r: &Row<'_>) -> rusqlite::Result<(CatalogSource, String)> {
    let list = |s: String| serde_json::from_str::<Vec<String>>(&s).unwrap_or_default();
    let origin: String = r.get(6)?;
    Ok((
        CatalogSource {
            name: r.get(0)?,
            url: r.get(1)?,
            every_secs: r.get::<_, i64>(2)?.max(0) as u64,
            tags: list(r.get(3)?),
            keywords: list(r.get(4)?),
            backfill: r.get(5)?,
            origin: SourceOrigin::parse(&origin).unwrap_or(SourceOrigin::Config),
            enabled: r.get(7)?,
        },
        origin,
    ))
}

impl SqliteStore {
    fn catalog_rows(&self, sql: &str, name: Option<&str>) -> Result<Vec<CatalogSource>, ArchiveError> {
        let context = "reading the source catalog";
        let mut stmt = self.conn.prepare_cached(sql).map_err(self.sql(context))?;
        let rows = match name {
            Some(n) => stmt.query_map([n], read_catalog_row),
            None => stmt.query_map([], read_catalog_row),
        }
        .map_err(self.sql(context))?;
        let mut out = Vec::new();
        for row in rows {
            let (source, origin) = row.map_err(self.sql(context))?;
            if SourceOrigin::parse(&origin).is_none() {
                return Err(self.corrupt(format!("source {:?}", source.name), format!("unknown origin {origin:?}")));
            }
            out.push(source);
        }
        Ok(out)
    }

    /// Runs `work` in an immediate transaction (the catalog's short claim transactions).
    fn catalog_tx<T>(
        &mut self,
        context: &'static str,
        work: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, ArchiveError> {
        let path = self.path.clone();
        let err = |source| sql_error(&path, context, source);
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        let out = work(&tx).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(out)
    }
}

/// Leases `name` to the claimer under a new epoch, if it is still free.
fn lease(tx: &rusqlite::Transaction<'_>, name: &str, req: &ClaimRequest<'_>) -> rusqlite::Result<Option<Claim>> {
    let mut stmt = tx.prepare_cached(
        "UPDATE sources SET epoch = epoch + 1, lease_owner = ?2, lease_until = ?3
         WHERE name = ?1 AND enabled = 1 AND (lease_until <= ?4 OR lease_owner = ?2) RETURNING epoch",
    )?;
    stmt.query_row(params![name, req.worker, catalog::lease_end(req.now, req.lease), catalog::secs(req.now)], |r| {
        r.get::<_, i64>(0)
    })
    .optional()
    .map(|epoch| epoch.map(|e| Claim { name: name.to_string(), epoch: e.max(0) as u64 }))
}

/// The source catalog in the `sources` table.
impl SourceCatalog for SqliteStore {
    fn upsert_sources(&mut self, sources: &[CatalogSource]) -> Result<(), ArchiveError> {
        self.catalog_tx("saving the source catalog", |tx| {
            let mut known = tx.prepare_cached("SELECT url, every_secs FROM sources WHERE name = ?1")?;
            let mut planned = tx.prepare_cached("SELECT next_due FROM source_state WHERE name = ?1 AND url = ?2")?;
            let mut put = tx.prepare_cached(
                "INSERT INTO sources (name, url, host, every_secs, tags, keywords, backfill, origin, enabled, due_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9)
                 ON CONFLICT(name) DO UPDATE SET url = excluded.url, host = excluded.host,
                     every_secs = excluded.every_secs, tags = excluded.tags, keywords = excluded.keywords,
                     backfill = excluded.backfill, origin = excluded.origin, enabled = 1,
                     due_at = CASE WHEN sources.url = excluded.url AND sources.every_secs = excluded.every_secs
                                   THEN sources.due_at ELSE 0 END",
            )?;
            for s in sources {
                let every = i64::try_from(s.every_secs).unwrap_or(i64::MAX);
                let due = match known.query_row([&s.name], |_| Ok(())).optional()? {
                    Some(()) => 0, // kept or reset by the update
                    None => planned
                        .query_row(params![s.name, s.url], |r| r.get::<_, Option<String>>(0))
                        .optional()?
                        .flatten()
                        .and_then(|t| date::parse(&t))
                        .map_or(0, catalog::secs),
                };
                let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
                put.execute(params![
                    s.name,
                    s.url,
                    s.host(),
                    every,
                    json(&s.tags),
                    json(&s.keywords),
                    s.backfill,
                    s.origin.as_str(),
                    due
                ])?;
            }
            Ok(())
        })
    }

    fn catalog(&self) -> Result<Vec<CatalogSource>, ArchiveError> {
        self.catalog_rows(&format!("SELECT {CATALOG_COLUMNS} FROM sources ORDER BY name"), None)
    }

    fn catalog_source(&self, name: &str) -> Result<Option<CatalogSource>, ArchiveError> {
        Ok(self.catalog_rows(&format!("SELECT {CATALOG_COLUMNS} FROM sources WHERE name = ?1"), Some(name))?.pop())
    }

    fn disable_sources(&mut self, names: &[String]) -> Result<(), ArchiveError> {
        self.catalog_tx("disabling sources", |tx| {
            let mut off = tx.prepare_cached("UPDATE sources SET enabled = 0 WHERE name = ?1")?;
            for name in names {
                off.execute([name])?;
            }
            Ok(())
        })
    }

    fn claim_due(&mut self, req: &ClaimRequest<'_>) -> Result<Vec<Claim>, ArchiveError> {
        self.catalog_tx("claiming due sources", |tx| {
            let now = catalog::secs(req.now);
            let mut slots = catalog::HostSlots::new(req.per_host);
            if slots.capped() {
                let mut live =
                    tx.prepare_cached("SELECT host, COUNT(*) FROM sources WHERE lease_until > ?1 GROUP BY host")?;
                let rows = live.query_map([now], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
                for row in rows {
                    let (host, n) = row?;
                    slots.hold(host, n.max(0) as usize);
                }
            }
            let mut due = tx.prepare_cached(DUE_SQL)?;
            let mut rows = due.query([now])?;
            let mut picked = Vec::new();
            while picked.len() < req.limit {
                let Some(row) = rows.next()? else { break };
                if row.get::<_, i64>(2)? > now {
                    continue;
                }
                if slots.take(row.get(1)?) {
                    picked.push(row.get::<_, String>(0)?);
                }
            }
            drop(rows);
            let mut claims = Vec::with_capacity(picked.len());
            for name in picked {
                claims.extend(lease(tx, &name, req)?);
            }
            Ok(claims)
        })
    }

    fn claim_named(&mut self, names: &[String], req: &ClaimRequest<'_>) -> Result<Vec<Claim>, ArchiveError> {
        self.catalog_tx("claiming sources", |tx| {
            let mut claims = Vec::with_capacity(names.len());
            for name in names {
                claims.extend(lease(tx, name, req)?);
            }
            Ok(claims)
        })
    }

    fn renew(&mut self, claims: &[Claim], now: DateTime<Utc>, lease: Duration) -> Result<Vec<Claim>, ArchiveError> {
        self.catalog_tx("renewing leases", |tx| {
            let mut renew = tx.prepare_cached("UPDATE sources SET lease_until = ?3 WHERE name = ?1 AND epoch = ?2")?;
            let until = catalog::lease_end(now, lease);
            let mut kept = Vec::with_capacity(claims.len());
            for c in claims {
                if renew.execute(params![c.name, epoch_of(c), until])? == 1 {
                    kept.push(c.clone());
                }
            }
            Ok(kept)
        })
    }

    fn release(&mut self, claims: &[Claim]) -> Result<(), ArchiveError> {
        self.catalog_tx("releasing leases", |tx| {
            let mut free = tx.prepare_cached(
                "UPDATE sources SET lease_owner = NULL, lease_until = 0 WHERE name = ?1 AND epoch = ?2",
            )?;
            for c in claims {
                free.execute(params![c.name, epoch_of(c)])?;
            }
            Ok(())
        })
    }

    fn lease_holders(&self, now: DateTime<Utc>) -> Result<Vec<String>, ArchiveError> {
        let context = "reading the lease holders";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT lease_owner FROM sources WHERE lease_until > ?1 AND lease_owner IS NOT NULL
                 ORDER BY lease_owner",
            )
            .map_err(self.sql(context))?;
        let rows = stmt.query_map([catalog::secs(now)], |r| r.get::<_, String>(0)).map_err(self.sql(context))?;
        rows.collect::<Result<_, _>>().map_err(self.sql(context))
    }

    fn end_leases_of(&mut self, worker: &str) -> Result<(), ArchiveError> {
        self.catalog_tx("ending a worker's leases", |tx| {
            tx.execute(
                "UPDATE sources SET lease_owner = NULL, lease_until = 0 WHERE lease_until > 0 AND lease_owner = ?1",
                [worker],
            )
            .map(|_| ())
        })
    }

    fn record_claimed(
        &mut self,
        claims: &[Claim],
        states: &[SourceState],
        decisions: &[Decision],
        captures: &[CaptureRef],
    ) -> Result<Vec<String>, ArchiveError> {
        let path = self.path.clone();
        let err = |source| state_error(&path, source);
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        let mut lost = Vec::new();
        {
            let mut current = tx.prepare_cached("SELECT epoch FROM sources WHERE name = ?1").map_err(err)?;
            for c in claims {
                let epoch: Option<i64> = current.query_row([&c.name], |r| r.get(0)).optional().map_err(err)?;
                if epoch != Some(epoch_of(c)) {
                    lost.push(c.name.clone());
                }
            }
        }
        lost.sort();
        let (states, decisions) = catalog::without_lost(&lost, states, decisions);
        save_check(&tx, &states, &decisions, captures).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(lost)
    }
}

fn epoch_of(c: &Claim) -> i64 {
    i64::try_from(c.epoch).unwrap_or(i64::MAX)
}

fn read_refresh_row(r: &Row<'_>) -> rusqlite::Result<RefreshRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?))
}

impl SqliteStore {
    fn refresh_from(&self, row: RefreshRow) -> Result<RefreshState, ArchiveError> {
        row::refresh_from_row(row).map_err(|(what, detail)| self.corrupt(what, detail))
    }
}

/// Refresh states in the `refresh_state` table; times to the second.
impl RefreshStateStore for SqliteStore {
    fn refresh_states(&self) -> Result<Vec<RefreshState>, ArchiveError> {
        let context = "reading refresh states";
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {REFRESH_COLUMNS} FROM refresh_state ORDER BY article_id"))
            .map_err(self.sql(context))?;
        let rows = stmt.query_map([], read_refresh_row).map_err(self.sql(context))?;
        let rows: Vec<RefreshRow> = rows.collect::<Result<_, _>>().map_err(self.sql(context))?;
        rows.into_iter().map(|row| self.refresh_from(row)).collect()
    }

    fn refresh_state(&self, id: &ArticleId) -> Result<Option<RefreshState>, ArchiveError> {
        let context = "reading a refresh state";
        let row = self
            .conn
            .prepare_cached(&format!("SELECT {REFRESH_COLUMNS} FROM refresh_state WHERE article_id = ?1"))
            .map_err(self.sql(context))?
            .query_row([id.as_str()], read_refresh_row)
            .optional()
            .map_err(self.sql(context))?;
        row.map(|row| self.refresh_from(row)).transpose()
    }

    fn record_refresh(&mut self, states: &[RefreshState], captures: &[CaptureRef]) -> Result<(), ArchiveError> {
        let path = self.path.clone();
        let err = |source: rusqlite::Error| ArchiveError::Sql {
            path: path.clone(),
            context: "saving refresh states",
            source: source.into(),
        };
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut put = tx
                .prepare_cached(&format!(
                    "INSERT OR REPLACE INTO refresh_state ({REFRESH_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                ))
                .map_err(err)?;
            for s in states {
                let evidence = s.evidence.as_ref().map(row::evidence_json);
                put.execute(params![
                    s.article_id.as_str(),
                    s.state.as_str(),
                    date::rfc3339(&s.since),
                    date::rfc3339(&s.last_checked),
                    s.etag,
                    s.last_modified,
                    i64::from(s.failures),
                    s.last_error,
                    evidence,
                ])
                .map_err(err)?;
            }
            for c in captures {
                ledger::commit(&tx, &c.file, c.offset + c.length).map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::archive::Store;
    use crate::archive::conformance::{article, keys};

    #[test]
    fn a_writing_connection_has_the_larger_page_cache_and_a_reading_one_the_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db.sqlite3");
        let cache =
            |s: &SqliteStore| s.conn.query_row("PRAGMA cache_size", [], |r| r.get::<_, i64>(0)).expect("pragma");
        assert_eq!(cache(&SqliteStore::open(&path).expect("open")), -i64::from(WRITE_CACHE_KIB));
        assert_eq!(cache(&SqliteStore::open_read_only(&path).expect("open")), -2000);
    }

    #[test]
    fn a_newer_schema_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db.sqlite3");
        {
            let conn = Connection::open(&path).expect("open");
            conn.pragma_update(None, "user_version", LATEST_SCHEMA + 1).expect("bump");
        }
        let before = std::fs::read(&path).expect("read");
        match SqliteStore::open(&path) {
            Err(ArchiveError::NewerSchema { found, .. }) => assert_eq!(found, LATEST_SCHEMA + 1),
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("opened a newer archive"),
        }
        assert_eq!(std::fs::read(&path).expect("read"), before, "nothing written");
        assert!(!dir.path().join("db.sqlite3-wal").exists());
    }

    #[test]
    fn an_archive_of_schema_1_is_migrated_keeping_its_articles() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db.sqlite3");
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch(MIGRATIONS[0]).expect("schema 1");
            conn.pragma_update(None, "user_version", 1).expect("version");
        }
        {
            let mut old = SqliteStore::new(Connection::open(&path).expect("open"), path.clone());
            let a = article("urn:a", "Geneva conference", "The 1988 massacre of political prisoners.", 14, &[]);
            old.put(&a, &keys(None, None)).expect("put");
            assert_eq!(old.schema_version().expect("version"), 1);
        }
        let s = SqliteStore::open(&path).expect("migrates");
        assert_eq!(s.schema_version().expect("version"), LATEST_SCHEMA);
        assert_eq!(s.count().expect("count"), 1, "the articles are kept");
        let n: i64 = s.conn.query_row("SELECT COUNT(*) FROM source_state", [], |r| r.get(0)).expect("new table");
        assert_eq!(n, 0);
    }

    /// A write that fails on a full disk gives back at once the space its pages took in the
    /// WAL, and the next, smaller write fits. Needs root for a small tmpfs; skipped otherwise.
    #[test]
    fn a_failed_write_on_a_full_disk_leaves_no_wal_behind() {
        let Some(disk) = crate::archive::small_disk::SmallDisk::mount("1m") else { return };
        let path = disk.path().join("db.sqlite3");
        let mut s = SqliteStore::open(&path).expect("open");
        // As a new process finds an archive: everything checkpointed into the database file.
        s.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).expect("checkpoint");
        let words = |i: usize| -> String {
            (0..700).map(|j| format!("w{:x}", (i * 7919 + j * 104_729) % 1_000_003)).collect::<Vec<_>>().join(" ")
        };
        let big: Vec<_> = (0..300)
            .map(|i| {
                (
                    article(&format!("urn:s{i}"), &format!("Story {i}"), &words(i), 1 + (i % 27) as u32, &[]),
                    keys(None, None),
                )
            })
            .collect();
        let err = s.put_all(&big).expect_err("the disk fills");
        assert!(err.to_string().contains("db.sqlite3"), "{err}");
        let wal = std::fs::metadata(sidecar(&path, "-wal")).map(|m| m.len()).unwrap_or(0);
        assert_eq!(wal, 0, "the failed transaction's pages are not left in the WAL");
        let (a, k) = (article("urn:small", "Small", "A small story.", 2, &[]), keys(None, None));
        s.put(&a, &k).expect("there is room again");
        assert_eq!(s.count().expect("count"), 1);
    }

    /// A catalog of `n` sources of which `due` are due at `now`, as a tick finds it.
    fn catalog_of(n: usize, due: usize, now: DateTime<Utc>) -> SqliteStore {
        let mut s = SqliteStore::open_in_memory().expect("open");
        let sources: Vec<CatalogSource> = (0..n)
            .map(|i| CatalogSource {
                name: format!("source {i:05}"),
                url: format!("https://h{}.example/feed/{i}", i % 97),
                every_secs: 3600,
                tags: vec![],
                keywords: vec![],
                backfill: false,
                origin: SourceOrigin::Opml,
                enabled: true,
            })
            .collect();
        s.upsert_sources(&sources).expect("upsert");
        let later = now + chrono::Duration::hours(1);
        let states: Vec<SourceState> = (due..n)
            .map(|i| SourceState {
                name: format!("source {i:05}"),
                url: sources[i].url.clone(),
                next_due: Some(later + chrono::Duration::seconds(i as i64)),
                ..SourceState::default()
            })
            .collect();
        s.record_check(&states, &[], &[]).expect("not due yet");
        s
    }

    /// SQLite's count of virtual-machine steps and full-scan steps for finding the due
    /// sources: the work a tick does, counted rather than timed.
    fn due_query_cost(s: &SqliteStore, now: DateTime<Utc>) -> (usize, i32, i32) {
        let mut stmt = s.conn.prepare(DUE_SQL).expect("prepare");
        let rows = stmt.query_map([catalog::secs(now)], |r| r.get::<_, String>(0)).expect("query").count();
        (
            rows,
            stmt.get_status(rusqlite::StatementStatus::VmStep),
            stmt.get_status(rusqlite::StatementStatus::FullscanStep),
        )
    }

    #[test]
    fn a_tick_reads_only_the_due_sources_of_20000() {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 6, 7, 0, 0).single().expect("time");
        let mut big = catalog_of(20_000, 10, now);
        let small = catalog_of(200, 10, now);
        let (rows, steps, scans) = due_query_cost(&big, now);
        let (small_rows, small_steps, _) = due_query_cost(&small, now);
        assert_eq!((rows, small_rows), (10, 10));
        assert_eq!(scans, 0, "no full scan");
        assert!(
            steps <= small_steps + 50,
            "20,000 sources cost {steps} steps, 200 cost {small_steps}: not a range of the due ones"
        );
        let req =
            ClaimRequest { worker: "w", now, lease: Duration::from_secs(30), limit: usize::MAX, per_host: usize::MAX };
        let claims = big.claim_due(&req).expect("claim");
        assert_eq!(claims.len(), 10);
        assert!(claims.iter().all(|c| c.name.as_str() < "source 00010"), "{claims:?}");
    }

    #[test]
    fn fts_queries_are_always_valid() {
        assert_eq!(fts_query("massacre 1988"), "\"massacre\" \"1988\"");
        assert_eq!(fts_query("\"political prisoners\" Iran"), "\"political prisoners\" \"Iran\"");
        assert_eq!(fts_query("a\"b"), "\"a\"\"b\"");
        assert_eq!(fts_query("(( ** ))"), "");
    }

    #[test]
    fn a_backend_failure_names_the_file_and_keeps_the_cause() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A folder where the database file should be: SQLite cannot open it.
        let err = SqliteStore::open(dir.path()).err().expect("a folder is not a database");
        assert!(matches!(err, ArchiveError::Open { .. } | ArchiveError::Sql { .. }), "{err:?}");
        let shown = err.to_string();
        assert!(shown.starts_with(&format!("{}: ", dir.path().display())), "{shown}");
        let cause = std::error::Error::source(&err).expect("the backend's error is kept as the cause");
        assert!(cause.downcast_ref::<rusqlite::Error>().is_some(), "{cause:?}");
        assert!(shown.ends_with(&cause.to_string()), "{shown}");
    }
}
