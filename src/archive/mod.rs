//! The archive: the only owner of the data folder — the SQLite database, the WARC captures
//! and the lock file — and the only module that speaks SQL.
//!
//! Everything else reaches storage through an [`Archive`] trait object: the [`Store`] trait
//! (articles in, articles and the publication log out), the [`SourceStateStore`] and the
//! [`RefreshStateStore`]. The
//! [`SourceCatalog`] (the sources, due times and leases). The
//! archiving rules ([`policy`]) sit above a narrow [`Backend`] trait and are written once;
//! a backend ([`SqliteStore`], the default; [`PgStore`] for an archive shared by several
//! machines; [`MemoryStore`] for tests) only stores and fetches, and [`ArchiveDir`] is the
//! one place that chooses it (`[store] url`), so the importer, the pipeline and the
//! publisher never know which one they use.
//!
//! The model it keeps: each article has one or more *versions* (a new one whenever its
//! published content changes; old ones are never deleted), and every new version is appended
//! to the *publication log*, an append-only sequence the publisher cuts into RFC 5005
//! archive pages. Because the log never reorders, a full archive page never changes.
//!
//! No network, no XML, no HTML parsing here.

pub mod backend;
pub mod captures;
pub mod catalog;
#[cfg(test)]
pub(crate) mod conformance;
pub mod integrity;
pub mod labels;
pub mod ledger;
pub mod lock;
mod memory;
pub mod migrate;
pub mod policy;
pub mod postgres;
mod refresh_state;
mod row;
#[cfg(test)]
pub(crate) mod small_disk;
mod source_state;
mod sqlite;
pub mod verify;
pub mod warc;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::article::{Article, ArticleId};
use crate::config::{Config, ObjectUrl, StoreUrl};

pub use backend::{Backend, Head, MatchKey, NewVersion, Writer};
pub use captures::{CaptureStore, Captures};
pub use catalog::{CatalogSource, Claim, ClaimRequest, SourceCatalog, SourceOrigin};
pub use lock::{ArchiveLock, LockError, open_regular};
pub use memory::MemoryStore;
pub use postgres::PgStore;
pub use refresh_state::{ArticleState, Evidence, RefreshState, RefreshStateStore};
pub use source_state::{Decision, SourceState, SourceStateStore};
pub use sqlite::{LATEST_SCHEMA, SqliteStore};

/// The database file's name inside the archive folder.
pub const DB_FILE: &str = "feedkeeper.sqlite3";
/// The folder, inside the archive folder, that holds WARC captures.
pub const CAPTURE_DIR: &str = "captures";

/// A storage backend's own error (SQLite's, for [`SqliteStore`]), kept as the cause of an
/// [`ArchiveError`] without tying the error type to one backend.
pub type BackendError = Box<dyn std::error::Error + Send + Sync>;

/// Failures of the archive. Each names the file or the operation concerned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    #[error("{path}: cannot open the archive: {source}", path = path.display())]
    Open { path: PathBuf, source: BackendError },
    #[error(
        "{path}: this archive was written by a newer feedkeeper (schema version {found}; this one understands up to {supported}); nothing was changed",
        path = path.display()
    )]
    NewerSchema { path: PathBuf, found: i64, supported: i64 },
    #[error("{path}: {context}: {source}", path = path.display())]
    Sql { path: PathBuf, context: &'static str, source: BackendError },
    #[error("{path}: {context}: {source}", path = path.display())]
    Io { path: PathBuf, context: &'static str, source: std::io::Error },
    #[error("{path}: corrupt record {what}: {detail}", path = path.display())]
    Corrupt { path: PathBuf, what: String, detail: String },
    /// The database is damaged: the check before writing failed, or SQLite found a damaged
    /// page while reading or writing.
    #[error(
        "{path}: the archive database is damaged ({detail}); nothing was written to it. Run `feedkeeper verify` to see what is damaged, and restore the archive folder from a backup",
        path = path.display()
    )]
    Damaged { path: PathBuf, detail: String },
    /// The operation was refused before anything was changed (the detail says why).
    #[error("{path}: {detail}; nothing was changed", path = path.display())]
    Refused { path: PathBuf, detail: String },
    #[error(
        "{path}: no archive here (the database is {state}); nothing was changed. If the archive lives on a volume that is not mounted, mount it; to start a new archive, run `feedkeeper init`",
        path = path.display()
    )]
    Missing { path: PathBuf, state: &'static str },
}

/// A row a read skipped because it could not be read (a damaged page, text that is not
/// UTF-8, metadata that does not parse), named by what the archive still knows of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    /// The publication log's sequence number, when the row is a log entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The article's id, when it could still be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What went wrong.
    pub reason: String,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.seq, &self.id) {
            (Some(seq), Some(id)) => write!(f, "log entry {seq} (article {id})")?,
            (Some(seq), None) => write!(f, "log entry {seq}")?,
            (None, Some(id)) => write!(f, "article {id}")?,
            (None, None) => write!(f, "a row")?,
        }
        write!(f, ": {}", self.reason)
    }
}

/// The keys an incoming article is matched on, besides its id.
#[derive(Debug, Clone, Default)]
pub struct DedupKeys {
    /// The identity key the id was derived from (kept for diagnosis).
    pub identity: String,
    /// The canonical URL (tracking parameters removed); the same URL is the same article.
    pub canonical_url: Option<String>,
    /// The content fingerprint ([`crate::article::fingerprint`]); the same fingerprint under
    /// another URL is a syndicated copy, archived once.
    pub fingerprint: Option<String>,
}

/// What [`Store::put`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PutOutcome {
    /// A new article; its first version is in the publication log.
    Added { id: ArticleId, seq: u64 },
    /// A known article whose content changed; the new version is in the publication log.
    Updated { id: ArticleId, version: u32, seq: u64 },
    /// A known article with the same content; nothing changed.
    Unchanged { id: ArticleId },
    /// The same text is already archived under another URL; nothing changed.
    Duplicate { id: ArticleId },
}

impl PutOutcome {
    /// The archived article's id.
    pub fn id(&self) -> &ArticleId {
        match self {
            PutOutcome::Added { id, .. }
            | PutOutcome::Updated { id, .. }
            | PutOutcome::Unchanged { id }
            | PutOutcome::Duplicate { id } => id,
        }
    }

    /// Whether the archive changed.
    pub fn changed(&self) -> bool {
        matches!(self, PutOutcome::Added { .. } | PutOutcome::Updated { .. })
    }
}

/// Filters for [`Backend::list`].
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub limit: Option<usize>,
    pub tag: Option<String>,
}

/// One archived version of an article, as shown by `show`.
#[derive(Debug, Clone, Serialize)]
pub struct VersionInfo {
    pub version: u32,
    pub archived_at: DateTime<Utc>,
    pub content_hash: String,
    pub origin: crate::article::Origin,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture: Option<crate::article::CaptureRef>,
}

/// An article with its history, for `show`.
#[derive(Debug, Clone)]
pub struct StoredArticle {
    pub article: Article,
    pub versions: Vec<VersionInfo>,
    pub first_archived_at: DateTime<Utc>,
}

/// A full-text search hit.
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub article: Article,
    /// A short excerpt with the matched terms between `[` and `]`.
    pub snippet: String,
    /// Relevance, higher is better (negated BM25).
    pub score: f64,
}

/// One entry of the publication log: a version of an article at a sequence number.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub seq: u64,
    pub version: u32,
    /// The article as of that version. `content.text` is left empty: feeds use the HTML.
    pub article: Article,
}

/// A tag with the number of articles carrying it and the newest log sequence among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagInfo {
    pub tag: String,
    pub count: u64,
    pub last_seq: u64,
}

/// The storage interface the importer, the publisher and the pipeline use: a backend's
/// reads ([`Backend`]) and the archiving rules of [`policy`] on top of its writes.
/// Implemented once, here, for every backend; a backend cannot change what it does.
pub trait Store: Backend {
    /// Archives an article: adds it, records a new version when its content changed, or
    /// leaves everything as it was. Matching is by id, then canonical URL (same article:
    /// versioned), then fingerprint (syndicated copy: kept once). See [`policy::put`].
    fn put(&mut self, article: &Article, keys: &DedupKeys) -> Result<PutOutcome, ArchiveError>;

    /// [`Store::put`] for many articles in one transaction, in order.
    fn put_all(&mut self, items: &[(Article, DedupKeys)]) -> Result<Vec<PutOutcome>, ArchiveError>;

    /// The id of an archived article matching these keys, if any (the same order as
    /// [`Store::put`]).
    fn find(&self, id: &ArticleId, keys: &DedupKeys) -> Result<Option<ArticleId>, ArchiveError>;
}

impl<B: Backend> Store for B {
    fn put(&mut self, article: &Article, keys: &DedupKeys) -> Result<PutOutcome, ArchiveError> {
        let mut outcome = None;
        self.write(&mut |w| {
            outcome = Some(policy::put(w, article, keys)?);
            commit_capture(w, article)
        })?;
        outcome.ok_or_else(|| ArchiveError::Corrupt {
            path: self.location().to_path_buf(),
            what: "a write".into(),
            detail: "the backend committed without archiving the article".into(),
        })
    }

    fn put_all(&mut self, items: &[(Article, DedupKeys)]) -> Result<Vec<PutOutcome>, ArchiveError> {
        let mut out = Vec::with_capacity(items.len());
        self.write(&mut |w| {
            out.clear(); // a backend may run the work again
            for (article, keys) in items {
                out.push(policy::put(w, article, keys)?);
                commit_capture(w, article)?;
            }
            Ok(())
        })?;
        Ok(out)
    }

    fn find(&self, id: &ArticleId, keys: &DedupKeys) -> Result<Option<ArticleId>, ArchiveError> {
        Ok(policy::first_match(id, keys, |key| self.lookup(key))?.map(|(_, head)| head.id))
    }
}

/// Whatever [`policy::put`] made of an article (added, a new version, unchanged, a
/// duplicate), the capture it came with is committed with the transaction ([`ledger`]).
fn commit_capture(w: &mut dyn Writer, article: &Article) -> Result<(), ArchiveError> {
    match &article.capture {
        Some(capture) => w.commit_capture(capture),
        None => Ok(()),
    }
}

/// An open archive, whatever its backend: the articles ([`Store`]), the sources' state
/// ([`SourceStateStore`]), the source catalog with its leases ([`SourceCatalog`]) and the
/// originals' refresh state ([`RefreshStateStore`]). [`ArchiveDir::open`] returns one.
pub trait Archive: Store + SourceStateStore + SourceCatalog + RefreshStateStore {}

impl<T: Store + SourceStateStore + SourceCatalog + RefreshStateStore> Archive for T {}

/// The archive folder (captures, and with SQLite the database and the lock) and the store
/// the articles live in. The one place that chooses the backend from `[store] url`: every
/// command opens, creates and locks its archive through this type. It also says where new
/// captures go when they go to object storage (`[captures] url`).
#[derive(Debug, Clone)]
pub struct ArchiveDir {
    pub root: PathBuf,
    /// Where the articles live: SQLite in `root`, or a PostgreSQL database.
    pub store: StoreUrl,
    /// Where new captures go: `None` for the capture folder.
    pub captures_url: Option<ObjectUrl>,
}

impl ArchiveDir {
    /// The archive folder `root` with its SQLite database, captures kept in it.
    pub fn new(root: impl Into<PathBuf>) -> ArchiveDir {
        ArchiveDir { root: root.into(), store: StoreUrl::Sqlite, captures_url: None }
    }

    /// The archive a config names: its archive folder, its `[store] url` and its
    /// `[captures] url`.
    pub fn of(config: &Config) -> ArchiveDir {
        ArchiveDir {
            root: config.archive_dir(),
            store: config.store.url.clone(),
            captures_url: config.captures.url.clone(),
        }
    }

    /// The capture store ([`captures`]): the capture folder, and the bucket when
    /// `[captures] url` is set, with endpoint and credentials from the AWS environment
    /// variables.
    pub fn captures(&self) -> Result<Captures, crate::objects::ObjectError> {
        Captures::new(self.capture_dir(), self.captures_url.as_ref(), &crate::objects::S3Env::from_process())
    }

    pub fn db_path(&self) -> PathBuf {
        self.root.join(DB_FILE)
    }

    /// Where the articles live, for messages: the SQLite file, or the database URL without
    /// its password.
    pub fn location(&self) -> PathBuf {
        match &self.store {
            StoreUrl::Sqlite => self.db_path(),
            StoreUrl::Postgres(url) => PathBuf::from(postgres::redacted(url)),
        }
    }

    pub fn capture_dir(&self) -> PathBuf {
        self.root.join(CAPTURE_DIR)
    }

    /// Creates a new archive: the folder and an empty database (with PostgreSQL: the schema,
    /// in a database that has none). Only `init` calls this; every other command opens an
    /// archive that already exists, so an archive volume that is not mounted, or a database
    /// never initialised, is refused instead of silently replaced by a new, empty archive.
    pub fn create(&self) -> Result<Box<dyn Archive>, ArchiveError> {
        std::fs::create_dir_all(&self.root).map_err(|source| ArchiveError::Io {
            path: self.root.clone(),
            context: "cannot create the archive folder",
            source,
        })?;
        match &self.store {
            StoreUrl::Sqlite => Ok(Box::new(SqliteStore::open(&self.db_path())?)),
            StoreUrl::Postgres(url) => Ok(Box::new(PgStore::open(url, postgres::Schema::Create)?)),
        }
    }

    /// Whether the database exists and holds something (a 0-byte file is what a failed or
    /// foreign creation leaves; it is no archive). A PostgreSQL store is found out when it
    /// is opened: it counts as missing here, and creating it again changes nothing.
    pub fn state(&self) -> ArchiveState {
        if matches!(self.store, StoreUrl::Postgres(_)) {
            return ArchiveState::Missing;
        }
        match std::fs::metadata(self.db_path()) {
            Ok(m) if m.is_file() && m.len() > 0 => ArchiveState::Present,
            Ok(m) if m.is_file() => ArchiveState::Empty,
            _ => ArchiveState::Missing,
        }
    }

    /// Refuses a missing or empty SQLite database, naming it (a PostgreSQL database without
    /// the schema is refused when it is opened).
    pub fn require(&self) -> Result<PathBuf, ArchiveError> {
        let db = self.db_path();
        if matches!(self.store, StoreUrl::Postgres(_)) {
            return Ok(self.location());
        }
        match self.state() {
            ArchiveState::Present => Ok(db),
            ArchiveState::Empty => Err(ArchiveError::Missing { path: db, state: "an empty file" }),
            ArchiveState::Missing => Err(ArchiveError::Missing { path: db, state: "missing" }),
        }
    }

    /// Opens (migrating) an existing archive for writing; a missing or empty database is an
    /// error ([`ArchiveError::Missing`]), never a new archive; a damaged SQLite one is refused
    /// before anything is written to it ([`integrity::check_before_write`]). Only a writer
    /// holding the [`lock`] calls this: with SQLite it cuts capture records no committed row
    /// refers to (left by a writer killed between its capture append and its commit) off the
    /// capture files, and says so ([`ledger`]).
    pub fn open(&self) -> Result<Box<dyn Archive>, ArchiveError> {
        if let StoreUrl::Postgres(url) = &self.store {
            return Ok(Box::new(PgStore::open(url, postgres::Schema::Migrate)?));
        }
        let db = self.require()?;
        integrity::check_before_write(&db)?;
        let store = SqliteStore::open(&db)?;
        store.cut_orphan_captures(&self.capture_dir())?;
        Ok(Box::new(store))
    }

    /// Opens an existing archive for a worker's short catalog transactions (claims,
    /// renewals, releases, the config's sources upserted) and reads, *without* the archive
    /// lock: unlike [`ArchiveDir::open`] it cuts no capture files and runs no integrity
    /// check, and nothing but the catalog may be written through it (the database
    /// serializes those small transactions itself). A missing archive is an error.
    pub fn open_catalog(&self) -> Result<Box<dyn Archive>, ArchiveError> {
        match &self.store {
            StoreUrl::Sqlite => Ok(Box::new(SqliteStore::open(&self.require()?)?)),
            StoreUrl::Postgres(url) => Ok(Box::new(PgStore::open(url, postgres::Schema::Read)?)),
        }
    }

    /// Opens an existing archive for reading; a missing or empty database is an error, as
    /// for [`ArchiveDir::open`].
    pub fn open_read(&self) -> Result<Box<dyn Archive>, ArchiveError> {
        match &self.store {
            StoreUrl::Sqlite => Ok(Box::new(SqliteStore::open_read_only(&self.require()?)?)),
            StoreUrl::Postgres(url) => Ok(Box::new(PgStore::open(url, postgres::Schema::Read)?)),
        }
    }

    /// Takes the archive lock (see [`lock`]): a file lock in the archive folder, or with
    /// PostgreSQL an advisory lock held on a connection of its own. The archive folder must
    /// exist for a SQLite archive: taking the lock never creates it (an archive volume that
    /// is not mounted stays untouched).
    pub fn lock(&self) -> Result<ArchiveLock, LockError> {
        if let StoreUrl::Postgres(url) = &self.store {
            return ArchiveLock::acquire_database(url);
        }
        if !self.root.is_dir() {
            return Err(LockError::NoArchive { path: self.root.clone() });
        }
        ArchiveLock::acquire(&self.root.join(lock::LOCK_FILE))
    }
}

/// What [`ArchiveDir::state`] found where the database should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveState {
    /// A database file with content.
    Present,
    /// A 0-byte file.
    Empty,
    /// No file.
    Missing,
}
