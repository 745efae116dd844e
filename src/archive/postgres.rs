//! The PostgreSQL backend ([`Backend`], [`Writer`] and [`SourceStateStore`]) for an archive
//! shared by several processes or machines (`[store] url = "postgres://…"`). It only stores
//! and fetches; the matching and versioning rules above it are [`policy`](super::policy)'s.
//!
//! It keeps SQLite's guarantees: every write transaction starts by locking the one row of
//! `log_counter` (`SELECT … FOR UPDATE`), so writers from any number of processes run one
//! at a time — "match by id, canonical URL, fingerprint, else insert" cannot race — and each
//! new version takes the next number from that row: the publication log is gap-free and
//! numbered in commit order (a PostgreSQL sequence would leave gaps and could commit out of
//! order). Ids, tags, names and dates compare with `COLLATE "C"` (byte order); every order
//! has an explicit tie-break; a version's fields are stored as the same text SQLite stores
//! (`archive::row`), so timestamps come back to the nanosecond. Search runs on a
//! weighted `tsvector` (title A, summary B, text C; `simple` configuration over text folded
//! as [`crate::article::fold`] does, so case and accents are ignored) with a GIN index.
//! Schema migrations are numbered and recorded in `feedkeeper_schema`.
//!
//! Crate: the synchronous `postgres` crate (the blocking facade over `tokio-postgres`, which
//! drives each connection from its own small current-thread runtime): the rest of the
//! program calls the archive synchronously, and a process needs one connection for the
//! store (plus one for the archive lock, [`super::lock`]), so no pool.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use postgres::types::ToSql;
use postgres::{Client, GenericClient, NoTls, Row, Transaction};

use super::backend::{Backend, Head, NewVersion, Writer};
use super::catalog::{self, CatalogSource, Claim, ClaimRequest, SourceCatalog, SourceOrigin};
use super::policy::MatchKey;
use super::row;
use super::{
    ArchiveError, Decision, ListQuery, LogEntry, RefreshState, RefreshStateStore, SearchHit, SourceState,
    SourceStateStore, StoredArticle, TagInfo, Unreadable, VersionInfo,
};
use crate::article::{Article, ArticleId, CaptureRef, fold};
use crate::date;

/// Schema migrations, in order; migration `i` brings the schema to version `i + 1`.
/// Append only: never edit a migration that has shipped.
const MIGRATIONS: &[&str] = &[r#"
    CREATE TABLE log_counter (
        one      BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
        last_seq BIGINT NOT NULL
    );
    INSERT INTO log_counter (one, last_seq) VALUES (TRUE, 0);

    CREATE TABLE articles (
        id                TEXT COLLATE "C" PRIMARY KEY,
        identity          TEXT NOT NULL,
        canonical_url     TEXT COLLATE "C",
        fingerprint       TEXT COLLATE "C",
        version_count     BIGINT NOT NULL,
        sort_date         TEXT COLLATE "C" NOT NULL,
        first_archived_at TEXT NOT NULL,
        first_seq         BIGINT NOT NULL,
        last_seq          BIGINT NOT NULL,
        search            TSVECTOR NOT NULL
    );
    CREATE INDEX articles_by_date ON articles (sort_date DESC, id);
    CREATE INDEX articles_by_url ON articles (canonical_url, first_seq) WHERE canonical_url IS NOT NULL;
    CREATE INDEX articles_by_fingerprint ON articles (fingerprint, first_seq) WHERE fingerprint IS NOT NULL;
    CREATE INDEX articles_search ON articles USING GIN (search);

    CREATE TABLE versions (
        article_id   TEXT COLLATE "C" NOT NULL,
        version      BIGINT NOT NULL,
        title        TEXT NOT NULL,
        summary      TEXT NOT NULL,
        content_text TEXT NOT NULL,
        content_html TEXT NOT NULL,
        meta         TEXT NOT NULL,
        revision     TEXT NOT NULL,
        PRIMARY KEY (article_id, version)
    );

    CREATE TABLE feed_log (
        seq        BIGINT PRIMARY KEY,
        article_id TEXT COLLATE "C" NOT NULL,
        version    BIGINT NOT NULL
    );
    CREATE INDEX feed_log_by_article ON feed_log (article_id, version);

    CREATE TABLE article_tags (
        tag        TEXT COLLATE "C" NOT NULL,
        article_id TEXT COLLATE "C" NOT NULL,
        last_seq   BIGINT NOT NULL,
        PRIMARY KEY (tag, article_id)
    );
    CREATE INDEX article_tags_by_seq ON article_tags (tag, last_seq DESC);
    CREATE INDEX article_tags_by_article ON article_tags (article_id);

    CREATE TABLE meta (
        key   TEXT COLLATE "C" PRIMARY KEY,
        value TEXT NOT NULL
    );

    CREATE TABLE source_state (
        name          TEXT COLLATE "C" PRIMARY KEY,
        url           TEXT NOT NULL,
        etag          TEXT,
        last_modified TEXT,
        last_attempt  TEXT,
        last_success  TEXT,
        last_error    TEXT,
        failures      BIGINT NOT NULL DEFAULT 0,
        next_due      TEXT,
        retry_after   TEXT,
        ttl_secs      BIGINT,
        max_age_secs  BIGINT,
        items_kept    BIGINT NOT NULL DEFAULT 0
    );

    CREATE TABLE decisions (
        source            TEXT COLLATE "C" NOT NULL,
        item_key          TEXT COLLATE "C" NOT NULL,
        title             TEXT NOT NULL,
        url               TEXT,
        score             DOUBLE PRECISION NOT NULL,
        kept              BOOLEAN NOT NULL,
        reasons           TEXT NOT NULL,
        item_hash         TEXT NOT NULL,
        topic_fingerprint TEXT NOT NULL,
        rules_fingerprint TEXT NOT NULL,
        article_id        TEXT COLLATE "C",
        decided_at        TEXT NOT NULL,
        PRIMARY KEY (source, item_key)
    );
    CREATE INDEX decisions_by_article ON decisions (article_id) WHERE article_id IS NOT NULL;

    CREATE TABLE capture_files (
        file          TEXT COLLATE "C" PRIMARY KEY,
        committed_len BIGINT NOT NULL
    );

    CREATE TABLE sources (
        name        TEXT COLLATE "C" PRIMARY KEY,
        url         TEXT NOT NULL,
        host        TEXT COLLATE "C" NOT NULL,
        every_secs  BIGINT NOT NULL,
        tags        TEXT NOT NULL,
        keywords    TEXT NOT NULL,
        backfill    BOOLEAN NOT NULL,
        origin      TEXT NOT NULL,
        enabled     BOOLEAN NOT NULL DEFAULT TRUE,
        due_at      BIGINT NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_until BIGINT NOT NULL DEFAULT 0,
        epoch       BIGINT NOT NULL DEFAULT 0
    );
    CREATE INDEX sources_by_due ON sources (due_at, name) WHERE enabled;
    CREATE INDEX sources_by_lease ON sources (lease_until, host);

    CREATE TABLE refresh_state (
        article_id    TEXT COLLATE "C" PRIMARY KEY,
        state         TEXT NOT NULL,
        since         TEXT NOT NULL,
        last_checked  TEXT NOT NULL,
        etag          TEXT,
        last_modified TEXT,
        failures      BIGINT NOT NULL DEFAULT 0,
        last_error    TEXT,
        evidence      TEXT
    );
    "#];

/// The schema version this build writes.
pub const PG_LATEST_SCHEMA: i64 = MIGRATIONS.len() as i64;

/// The advisory lock key that serializes schema migrations (`"feedkeep"` in ASCII).
const MIGRATION_LOCK: i64 = 0x6665_6564_6b65_6570;

/// At most this many bytes of folded text go into a version's search vector (PostgreSQL
/// refuses a `tsvector` over 1 MB).
const SEARCH_TEXT_MAX: usize = 400_000;

/// How many log entries [`Backend::log_range`] reads per query: memory stays bounded
/// whatever the range.
const LOG_CHUNK: u64 = 256;

/// The columns of a version as read into an article: title, summary, text, HTML, meta.
const ARTICLE_COLUMNS: &str = "v.title, v.summary, v.content_text, v.content_html, v.meta";

const DECISION_COLUMNS: &str = "source, item_key, title, url, score, kept, reasons, item_hash, topic_fingerprint, \
     rules_fingerprint, article_id, decided_at";

const STATE_COLUMNS: &str = "name, url, etag, last_modified, last_attempt, last_success, last_error, failures, \
     next_due, retry_after, ttl_secs, max_age_secs, items_kept";

/// A PostgreSQL archive database.
pub struct PgStore {
    client: RefCell<Client>,
    /// The URL without its password, for messages.
    location: PathBuf,
    /// Rows the reads skipped since [`Backend::take_unreadable`] was last called.
    skipped: RefCell<Vec<Unreadable>>,
}

/// What opening a database should do about its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Create it when the database has none (`init`, `migrate`), migrate an older one.
    Create,
    /// Refuse a database without it; migrate an older one (commands that write).
    Migrate,
    /// Refuse a database without it or with an older one (commands that only read).
    Read,
}

/// `url` with its password removed, for messages and [`Backend::location`].
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(None);
            }
            u.to_string()
        }
        Err(_) => "a PostgreSQL URL that does not parse".into(),
    }
}

/// Connects to the database at `url`, failing within ten seconds when it cannot be reached.
pub fn connect(url: &str) -> Result<Client, ArchiveError> {
    let location = PathBuf::from(redacted(url));
    let open = |source: postgres::Error| ArchiveError::Open { path: location.clone(), source: source.into() };
    let mut config: postgres::Config = url.parse().map_err(open)?;
    config.connect_timeout(Duration::from_secs(10)).application_name("feedkeeper");
    config.connect(NoTls).map_err(open)
}

impl PgStore {
    /// Opens the database at `url`, doing what `schema` says about its schema.
    pub fn open(url: &str, schema: Schema) -> Result<PgStore, ArchiveError> {
        let store = PgStore {
            client: RefCell::new(connect(url)?),
            location: PathBuf::from(redacted(url)),
            skipped: RefCell::new(Vec::new()),
        };
        store.prepare(schema)?;
        Ok(store)
    }

    fn prepare(&self, schema: Schema) -> Result<(), ArchiveError> {
        let found = self.schema_version()?;
        match (found, schema) {
            (Some(v), _) if v > PG_LATEST_SCHEMA => {
                Err(ArchiveError::NewerSchema { path: self.location.clone(), found: v, supported: PG_LATEST_SCHEMA })
            }
            (None, Schema::Migrate | Schema::Read) => Err(ArchiveError::Missing {
                path: self.location.clone(),
                state: "a database without feedkeeper's tables",
            }),
            (Some(v), Schema::Read) if v < PG_LATEST_SCHEMA => Err(self.corrupt(
                "schema",
                format!(
                    "schema version {v} is older than {PG_LATEST_SCHEMA}; run `feedkeeper publish` once to upgrade it"
                ),
            )),
            (Some(_), Schema::Read) => Ok(()),
            (None, Schema::Create) | (Some(_), Schema::Create | Schema::Migrate) => self.migrate(),
        }
    }

    /// The schema version, `None` when the database has no feedkeeper schema.
    fn schema_version(&self) -> Result<Option<i64>, ArchiveError> {
        let mut c = self.client.borrow_mut();
        let exists: bool = c
            .query_one("SELECT to_regclass('feedkeeper_schema') IS NOT NULL", &[])
            .map_err(self.sql("reading the schema version"))?
            .get(0);
        if !exists {
            return Ok(None);
        }
        let row = c
            .query_one("SELECT COALESCE(MAX(version), 0) FROM feedkeeper_schema", &[])
            .map_err(self.sql("reading the schema version"))?;
        Ok(Some(row.get(0)))
    }

    /// Applies the migrations the database lacks, each in its own transaction, one process
    /// at a time (an advisory lock held by the transaction).
    fn migrate(&self) -> Result<(), ArchiveError> {
        let err = self.sql("applying a schema migration");
        let mut c = self.client.borrow_mut();
        let mut tx = c.transaction().map_err(&err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(&err)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS feedkeeper_schema (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
        )
        .map_err(&err)?;
        let current: i64 =
            tx.query_one("SELECT COALESCE(MAX(version), 0) FROM feedkeeper_schema", &[]).map_err(&err)?.get(0);
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
            tx.batch_execute(sql).map_err(&err)?;
            let now = date::rfc3339(&Utc::now());
            tx.execute("INSERT INTO feedkeeper_schema (version, applied_at) VALUES ($1, $2)", &[&(i as i64 + 1), &now])
                .map_err(&err)?;
        }
        tx.commit().map_err(&err)
    }

    /// Whether the archive holds nothing yet: no article, no source state, no saved state
    /// (what `migrate` requires of its target).
    pub fn is_empty(&self) -> Result<bool, ArchiveError> {
        is_empty_in(&mut *self.client.borrow_mut()).map_err(self.sql("checking that the database is empty"))
    }

    /// The connection, for copying rows in ([`super::migrate`]).
    pub(super) fn client_mut(&mut self) -> &mut Client {
        self.client.get_mut()
    }

    fn sql(&self, context: &'static str) -> impl Fn(postgres::Error) -> ArchiveError + '_ {
        move |source| sql_error(&self.location, context, source)
    }

    fn corrupt(&self, what: impl Into<String>, detail: impl ToString) -> ArchiveError {
        ArchiveError::Corrupt { path: self.location.clone(), what: what.into(), detail: detail.to_string() }
    }

    /// Records a skipped row (see [`Backend::take_unreadable`]).
    fn skip(&self, seq: Option<u64>, id: Option<String>, e: &ArchiveError) {
        let reason = match e {
            ArchiveError::Corrupt { what, detail, .. } => format!("corrupt {what}: {detail}"),
            other => other.to_string(),
        };
        self.skipped.borrow_mut().push(Unreadable { seq, id, reason });
    }

    /// The article in columns `at..at + 5` of a row: title, summary, text, HTML, meta.
    fn article_at(&self, row: &Row, at: usize) -> Result<Article, ArchiveError> {
        let text = |i: usize| row.try_get::<_, String>(at + i).map_err(self.sql("reading an article"));
        row::article_from(text(0)?, text(1)?, text(2)?, text(3)?, &text(4)?)
            .map_err(|e| self.corrupt("version metadata", e))
    }

    /// Runs a query and turns each row into a value, skipping (and naming) rows that do not
    /// decode: `name` gives a row's log sequence and article id for the report.
    fn read_rows<T>(
        &self,
        context: &'static str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        decode: impl Fn(&Row) -> Result<T, ArchiveError>,
        name: impl Fn(&Row) -> (Option<u64>, Option<String>),
    ) -> Result<Vec<T>, ArchiveError> {
        let rows = self.client.borrow_mut().query(sql, params).map_err(self.sql(context))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            match decode(row) {
                Ok(v) => out.push(v),
                Err(e) => {
                    let (seq, id) = name(row);
                    self.skip(seq, id, &e);
                }
            }
        }
        Ok(out)
    }

    /// A log entry from a row of (seq, version, title, summary, html, meta, article id).
    fn entry_at(&self, row: &Row) -> Result<LogEntry, ArchiveError> {
        let seq: i64 = row.get(0);
        let version: i64 = row.get(1);
        let text = |i: usize| row.try_get::<_, String>(i).map_err(self.sql("reading the publication log"));
        let article = row::article_from(text(2)?, text(3)?, String::new(), text(4)?, &text(5)?)
            .map_err(|e| self.corrupt("version metadata", e))?;
        Ok(LogEntry { seq: seq as u64, version: version as u32, article })
    }
}

/// Whether the archive's tables hold nothing (see [`PgStore::is_empty`]).
pub(super) fn is_empty_in(c: &mut impl GenericClient) -> Result<bool, postgres::Error> {
    let row = c.query_one(
        "SELECT NOT EXISTS (SELECT 1 FROM articles) AND NOT EXISTS (SELECT 1 FROM versions)
            AND NOT EXISTS (SELECT 1 FROM feed_log) AND NOT EXISTS (SELECT 1 FROM source_state)
            AND NOT EXISTS (SELECT 1 FROM decisions) AND NOT EXISTS (SELECT 1 FROM meta)
            AND NOT EXISTS (SELECT 1 FROM capture_files) AND NOT EXISTS (SELECT 1 FROM refresh_state)",
        &[],
    )?;
    Ok(row.get(0))
}

/// A PostgreSQL error as an [`ArchiveError`] naming the database and what was being done.
fn sql_error(location: &Path, context: &'static str, source: postgres::Error) -> ArchiveError {
    ArchiveError::Sql { path: location.to_path_buf(), context, source: source.into() }
}

/// The (seq, id) naming a log row that did not decode: columns 0 and 6.
fn log_row_name(row: &Row) -> (Option<u64>, Option<String>) {
    (row.try_get::<_, i64>(0).ok().map(|s| s as u64), row.try_get(6).ok())
}

/// Folded text for the search vector, cut to [`SEARCH_TEXT_MAX`] bytes at a word boundary.
pub(super) fn search_text(text: &str) -> String {
    let mut folded = fold(text);
    if folded.len() > SEARCH_TEXT_MAX {
        let cut = folded[..SEARCH_TEXT_MAX].rfind(' ').unwrap_or(0);
        folded.truncate(cut);
    }
    folded
}

/// The `tsquery` text for a search: each term's folded words as a phrase (`<->`), all terms
/// required (`&`); terms without a letter or digit are dropped. Empty when nothing is left.
fn ts_query(input: &str) -> String {
    let phrases: Vec<String> = row::search_terms(input)
        .into_iter()
        .map(fold)
        .filter(|f| !f.is_empty())
        .map(|f| f.split(' ').map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" <-> "))
        .map(|p| format!("({p})"))
        .collect();
    phrases.join(" & ")
}

/// The weighted search vector of an article's title (A), summary (B) and text (C), from
/// parameters `$n`, `$n+1`, `$n+2` holding their folded text.
pub(super) fn search_vector(n: usize) -> String {
    format!(
        "setweight(to_tsvector('simple', ${a}), 'A') || setweight(to_tsvector('simple', ${b}), 'B') || setweight(to_tsvector('simple', ${c}), 'C')",
        a = n,
        b = n + 1,
        c = n + 2
    )
}

/// Looks an article up by one key: the columns of a [`Head`]. A URL or fingerprint several
/// articles share finds the one archived first (the lowest first log number).
fn lookup_in(c: &mut impl GenericClient, key: MatchKey<'_>) -> Result<Option<Head>, postgres::Error> {
    const HEAD: &str = "SELECT a.id, a.version_count, v.revision, v.meta, a.canonical_url, a.fingerprint
         FROM articles a JOIN versions v ON v.article_id = a.id AND v.version = a.version_count";
    let (sql, value) = match key {
        MatchKey::Id(id) => (format!("{HEAD} WHERE a.id = $1"), id.as_str()),
        MatchKey::CanonicalUrl(url) => (format!("{HEAD} WHERE a.canonical_url = $1 ORDER BY a.first_seq LIMIT 1"), url),
        MatchKey::Fingerprint(fp) => (format!("{HEAD} WHERE a.fingerprint = $1 ORDER BY a.first_seq LIMIT 1"), fp),
    };
    Ok(c.query_opt(&sql, &[&value])?.map(|r| Head {
        id: ArticleId(r.get(0)),
        versions: r.get::<_, i64>(1).clamp(0, i64::from(u32::MAX)) as u32,
        revision: r.get(2),
        updated: row::meta_updated(r.get(3)),
        canonical_url: r.get(4),
        fingerprint: r.get(5),
    }))
}

/// Raises a capture file's committed length (never lowers it), inside the transaction that
/// stores the references (see [`super::ledger`]).
fn commit_capture_in(tx: &mut Transaction<'_>, file: &str, end: u64) -> Result<u64, postgres::Error> {
    tx.execute(
        "INSERT INTO capture_files (file, committed_len) VALUES ($1, $2)
         ON CONFLICT (file) DO UPDATE SET committed_len = GREATEST(capture_files.committed_len, excluded.committed_len)",
        &[&file, &(i64::try_from(end).unwrap_or(i64::MAX))],
    )
}

/// Locks the log counter row: every write transaction takes it first, so writers serialize.
fn lock_counter(tx: &mut Transaction<'_>) -> Result<i64, postgres::Error> {
    Ok(tx.query_one("SELECT last_seq FROM log_counter FOR UPDATE", &[])?.get(0))
}

/// The writes of one PostgreSQL transaction ([`Backend::write`]).
struct PgWriter<'a, 'c> {
    tx: &'a mut Transaction<'c>,
    location: &'a Path,
}

impl PgWriter<'_, '_> {
    fn err(&self) -> impl Fn(postgres::Error) -> ArchiveError + '_ {
        move |source| sql_error(self.location, "archiving articles", source)
    }

    /// Appends a version to the publication log under the next number; returns it.
    fn log(&mut self, id: &ArticleId, version: i64) -> Result<i64, postgres::Error> {
        let seq: i64 =
            self.tx.query_one("UPDATE log_counter SET last_seq = last_seq + 1 RETURNING last_seq", &[])?.get(0);
        self.tx.execute(
            "INSERT INTO feed_log (seq, article_id, version) VALUES ($1, $2, $3)",
            &[&seq, &id.as_str(), &version],
        )?;
        Ok(seq)
    }

    fn insert_version(&mut self, new: &NewVersion<'_>) -> Result<i64, ArchiveError> {
        let article = new.article;
        let meta = row::meta_json(article).map_err(|e| ArchiveError::Corrupt {
            path: self.location.to_path_buf(),
            what: format!("article {}", article.id),
            detail: e.to_string(),
        })?;
        let version = i64::from(new.version);
        self.tx
            .execute(
                "INSERT INTO versions (article_id, version, title, summary, content_text, content_html, meta, revision)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &article.id.as_str(),
                    &version,
                    &article.title,
                    &article.summary.as_deref().unwrap_or(""),
                    &article.content.text,
                    &article.content.html,
                    &meta,
                    &new.revision,
                ],
            )
            .map_err(self.err())?;
        Ok(version)
    }

    /// Replaces an article's tags, each marked with the article's newest log entry.
    fn set_tags(&mut self, id: &ArticleId, tags: &[String], seq: i64) -> Result<(), postgres::Error> {
        self.tx.execute("DELETE FROM article_tags WHERE article_id = $1", &[&id.as_str()])?;
        for tag in tags {
            self.tx.execute(
                "INSERT INTO article_tags (tag, article_id, last_seq) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[tag, &id.as_str(), &seq],
            )?;
        }
        Ok(())
    }
}

/// The folded title, summary and text of an article, for [`search_vector`].
fn search_texts(a: &Article) -> [String; 3] {
    [search_text(&a.title), search_text(a.summary.as_deref().unwrap_or("")), search_text(&a.content.text)]
}

impl Writer for PgWriter<'_, '_> {
    fn lookup(&mut self, key: MatchKey<'_>) -> Result<Option<Head>, ArchiveError> {
        lookup_in(self.tx, key).map_err(self.err())
    }

    fn insert(&mut self, new: &NewVersion<'_>) -> Result<u64, ArchiveError> {
        let (article, keys) = (new.article, new.keys);
        let version = self.insert_version(new)?;
        let seq = self.log(&article.id, version).map_err(self.err())?;
        let [t, s, c] = search_texts(article);
        let sql = format!(
            "INSERT INTO articles (id, identity, canonical_url, fingerprint, version_count, sort_date, first_archived_at,
                 first_seq, last_seq, search)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, {})",
            search_vector(9)
        );
        self.tx
            .execute(
                &sql,
                &[
                    &article.id.as_str(),
                    &keys.identity,
                    &keys.canonical_url,
                    &keys.fingerprint,
                    &version,
                    &date::rfc3339(&article.date()),
                    &date::rfc3339(&article.archived_at),
                    &seq,
                    &t,
                    &s,
                    &c,
                ],
            )
            .map_err(self.err())?;
        self.set_tags(&article.id, &article.tags, seq).map_err(self.err())?;
        Ok(seq as u64)
    }

    fn update(&mut self, new: &NewVersion<'_>) -> Result<u64, ArchiveError> {
        let (article, keys) = (new.article, new.keys);
        let version = self.insert_version(new)?;
        let seq = self.log(&article.id, version).map_err(self.err())?;
        let [t, s, c] = search_texts(article);
        let sql = format!(
            "UPDATE articles SET version_count = $2, sort_date = $3, last_seq = $4, canonical_url = $5,
                 fingerprint = $6, search = {}
             WHERE id = $1",
            search_vector(7)
        );
        self.tx
            .execute(
                &sql,
                &[
                    &article.id.as_str(),
                    &version,
                    &date::rfc3339(&article.date()),
                    &seq,
                    &keys.canonical_url,
                    &keys.fingerprint,
                    &t,
                    &s,
                    &c,
                ],
            )
            .map_err(self.err())?;
        self.set_tags(&article.id, &article.tags, seq).map_err(self.err())?;
        Ok(seq as u64)
    }

    fn commit_capture(&mut self, capture: &CaptureRef) -> Result<(), ArchiveError> {
        commit_capture_in(self.tx, &capture.file, capture.offset + capture.length).map(|_| ()).map_err(self.err())
    }
}

impl Backend for PgStore {
    fn location(&self) -> &Path {
        &self.location
    }

    fn lookup(&self, key: MatchKey<'_>) -> Result<Option<Head>, ArchiveError> {
        lookup_in(&mut *self.client.borrow_mut(), key).map_err(self.sql("looking up an article"))
    }

    fn write(&mut self, work: &mut dyn FnMut(&mut dyn Writer) -> Result<(), ArchiveError>) -> Result<(), ArchiveError> {
        let location = self.location.clone();
        let err = |source| sql_error(&location, "archiving articles", source);
        let client = self.client.get_mut();
        // Dropping `tx` on an error rolls the transaction back.
        let mut tx = client.transaction().map_err(err)?;
        lock_counter(&mut tx).map_err(err)?;
        work(&mut PgWriter { tx: &mut tx, location: &location })?;
        tx.commit().map_err(err)
    }

    fn ids_with_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<ArticleId>, ArchiveError> {
        // Ranges instead of LIKE, so `%` and `_` in a prefix match literally.
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT id FROM articles WHERE id >= $1 AND id < $1 || chr(1114111) ORDER BY id LIMIT $2",
                &[&prefix, &(limit as i64)],
            )
            .map_err(self.sql("looking up an id"))?;
        Ok(rows.iter().map(|r| ArticleId(r.get(0))).collect())
    }

    fn get(&self, id: &ArticleId) -> Result<Option<StoredArticle>, ArchiveError> {
        let head = self
            .client
            .borrow_mut()
            .query_opt("SELECT version_count, first_archived_at FROM articles WHERE id = $1", &[&id.as_str()])
            .map_err(self.sql("reading an article"))?;
        let Some(head) = head else { return Ok(None) };
        let (current, first): (i64, String) = (head.get(0), head.get(1));
        let read = self.read_rows(
            "reading versions",
            &format!("SELECT v.version, {ARTICLE_COLUMNS} FROM versions v WHERE v.article_id = $1 ORDER BY v.version"),
            &[&id.as_str()],
            |r| Ok((r.get::<_, i64>(0), self.article_at(r, 1)?)),
            |r| (None, Some(format!("{id} version {}", r.get::<_, i64>(0)))),
        )?;
        let mut versions = Vec::new();
        let mut article = None;
        for (version, a) in read {
            versions.push(VersionInfo {
                version: version as u32,
                archived_at: a.archived_at,
                content_hash: a.content_hash.clone(),
                origin: a.origin.clone(),
                capture: a.capture.clone(),
            });
            if version == current {
                article = Some(a);
            }
        }
        let article =
            article.ok_or_else(|| self.corrupt(format!("article {id}"), "its current version cannot be read"))?;
        let first_archived_at = date::parse(&first).unwrap_or(article.archived_at);
        Ok(Some(StoredArticle { article, versions, first_archived_at }))
    }

    fn version(&self, id: &ArticleId, version: u32) -> Result<Option<Article>, ArchiveError> {
        let row = self
            .client
            .borrow_mut()
            .query_opt(
                &format!("SELECT {ARTICLE_COLUMNS} FROM versions v WHERE v.article_id = $1 AND v.version = $2"),
                &[&id.as_str(), &i64::from(version)],
            )
            .map_err(self.sql("reading a version"))?;
        row.map(|r| self.article_at(&r, 0)).transpose()
    }

    fn list(&self, query: &ListQuery) -> Result<Vec<Article>, ArchiveError> {
        let limit = query.limit.map(|l| l as i64);
        let join = "JOIN versions v ON v.article_id = a.id AND v.version = a.version_count";
        let (sql, tag) = match &query.tag {
            Some(tag) => (
                format!(
                    "SELECT {ARTICLE_COLUMNS}, a.id FROM article_tags t JOIN articles a ON a.id = t.article_id {join}
                     WHERE t.tag = $1 ORDER BY a.sort_date DESC, a.id LIMIT $2"
                ),
                tag.clone(),
            ),
            None => (
                format!(
                    "SELECT {ARTICLE_COLUMNS}, a.id FROM articles a {join}
                     WHERE $1::text IS NOT NULL ORDER BY a.sort_date DESC, a.id LIMIT $2"
                ),
                String::new(),
            ),
        };
        self.read_rows(
            "listing articles",
            &sql,
            &[&tag, &limit],
            |r| self.article_at(r, 0),
            |r| (None, r.try_get(5).ok()),
        )
    }

    fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>, ArchiveError> {
        let q = ts_query(query);
        if q.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "WITH q AS (SELECT to_tsquery('simple', $1) AS q),
                  hits AS (
                      SELECT a.id, a.version_count,
                             ts_rank('{{0.01, 0.02, 0.1, 1.0}}', a.search, q.q) AS rank
                      FROM articles a, q WHERE a.search @@ q.q
                      ORDER BY rank DESC, a.id LIMIT $2)
             SELECT {ARTICLE_COLUMNS},
                    ts_headline('simple', v.content_text, to_tsquery('simple', $3),
                        'StartSel=[, StopSel=], MaxWords=16, MinWords=6, ShortWord=2'),
                    h.rank::float8, h.id
             FROM hits h JOIN versions v ON v.article_id = h.id AND v.version = h.version_count
             ORDER BY h.rank DESC, h.id"
        );
        // The headline marks words as they are written: the query's words unfolded too.
        let headline = ts_query_words(query);
        self.read_rows(
            "searching",
            &sql,
            &[&q, &(limit as i64), &headline],
            |r| {
                let article = self.article_at(r, 0)?;
                let snippet: String = r.try_get(5).map_err(self.sql("searching"))?;
                let score: f64 = r.try_get(6).map_err(self.sql("searching"))?;
                Ok(SearchHit { article, snippet, score })
            },
            |r| (None, r.try_get(7).ok()),
        )
    }

    fn count(&self) -> Result<u64, ArchiveError> {
        let row =
            self.client.borrow_mut().query_one("SELECT COUNT(*) FROM articles", &[]).map_err(self.sql("counting"))?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    fn each_text(&self, visit: &mut dyn FnMut(&ArticleId, &str, &str)) -> Result<(), ArchiveError> {
        // In pages of ids, so memory stays bounded on a large archive.
        let mut after = String::new();
        loop {
            let rows = self
                .client
                .borrow_mut()
                .query(
                    "SELECT a.id, v.title, v.content_text FROM articles a
                     JOIN versions v ON v.article_id = a.id AND v.version = a.version_count
                     WHERE a.id > $1 ORDER BY a.id LIMIT 500",
                    &[&after],
                )
                .map_err(self.sql("reading texts"))?;
            let Some(last) = rows.last() else { return Ok(()) };
            after = last.get(0);
            for r in &rows {
                visit(&ArticleId(r.get(0)), r.get(1), r.get(2));
            }
        }
    }

    fn log_len(&self) -> Result<u64, ArchiveError> {
        let row = self
            .client
            .borrow_mut()
            .query_one("SELECT COALESCE(MAX(seq), 0) FROM feed_log", &[])
            .map_err(self.sql("reading the publication log"))?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    fn log_range(
        &self,
        from: u64,
        to: u64,
        visit: &mut dyn FnMut(LogEntry) -> Result<(), ArchiveError>,
    ) -> Result<(), ArchiveError> {
        let sql = "SELECT l.seq, v.version, v.title, v.summary, v.content_html, v.meta, l.article_id
                   FROM feed_log l JOIN versions v ON v.article_id = l.article_id AND v.version = l.version
                   WHERE l.seq BETWEEN $1 AND $2 ORDER BY l.seq";
        let to = to.min(self.log_len()?);
        let mut start = from.max(1);
        while start <= to {
            let end = to.min(start + LOG_CHUNK - 1);
            let entries = self.read_rows(
                "reading the publication log",
                sql,
                &[&(start as i64), &(end as i64)],
                |r| self.entry_at(r),
                log_row_name,
            )?;
            for entry in entries {
                visit(entry)?;
            }
            start = end + 1;
        }
        Ok(())
    }

    fn tags(&self) -> Result<Vec<TagInfo>, ArchiveError> {
        let rows = self
            .client
            .borrow_mut()
            .query("SELECT tag, COUNT(*), MAX(last_seq) FROM article_tags GROUP BY tag ORDER BY tag", &[])
            .map_err(self.sql("reading tags"))?;
        Ok(rows
            .iter()
            .map(|r| TagInfo { tag: r.get(0), count: r.get::<_, i64>(1) as u64, last_seq: r.get::<_, i64>(2) as u64 })
            .collect())
    }

    fn tag_entries(&self, tag: &str, limit: usize) -> Result<Vec<LogEntry>, ArchiveError> {
        self.read_rows(
            "reading a tag",
            "SELECT t.last_seq, v.version, v.title, v.summary, v.content_html, v.meta, a.id
             FROM article_tags t JOIN articles a ON a.id = t.article_id
             JOIN versions v ON v.article_id = a.id AND v.version = a.version_count
             WHERE t.tag = $1 ORDER BY t.last_seq DESC, a.id LIMIT $2",
            &[&tag, &(limit as i64)],
            |r| self.entry_at(r),
            log_row_name,
        )
    }

    fn tags_since(&self, seq: u64) -> Result<Vec<String>, ArchiveError> {
        // The versions logged after `seq`, and the versions they replaced.
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT DISTINCT v.meta FROM feed_log l
                 JOIN versions v ON v.article_id = l.article_id AND v.version IN (l.version, l.version - 1)
                 WHERE l.seq > $1",
                &[&(seq.min(i64::MAX as u64) as i64)],
            )
            .map_err(self.sql("reading changed tags"))?;
        let tags: std::collections::BTreeSet<String> = rows.iter().flat_map(|r| row::meta_tags(r.get(0))).collect();
        Ok(tags.into_iter().collect())
    }

    fn meta_get(&self, key: &str) -> Result<Option<String>, ArchiveError> {
        let row = self
            .client
            .borrow_mut()
            .query_opt("SELECT value FROM meta WHERE key = $1", &[&key])
            .map_err(self.sql("reading saved state"))?;
        Ok(row.map(|r| r.get(0)))
    }

    fn meta_set(&mut self, key: &str, value: &str) -> Result<(), ArchiveError> {
        self.client
            .get_mut()
            .execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&key, &value],
            )
            .map(|_| ())
            .map_err(self.sql("saving state"))
    }

    fn take_unreadable(&self) -> Vec<Unreadable> {
        std::mem::take(&mut *self.skipped.borrow_mut())
    }
}

/// A `tsquery` of the query's words lowercased but not folded, for marking them in a
/// snippet as they are written (a word with an accent is marked when written so).
fn ts_query_words(input: &str) -> String {
    let words: Vec<String> = row::search_terms(input)
        .into_iter()
        .flat_map(|t| t.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(|w| format!("'{}'", w.to_lowercase()))
        .collect();
    let folded = ts_query(input);
    if words.is_empty() { folded } else { format!("({}) | {folded}", words.join(" | ")) }
}

fn time(s: Option<String>) -> Option<DateTime<Utc>> {
    s.as_deref().and_then(date::parse)
}

fn read_state(r: &Row) -> SourceState {
    SourceState {
        name: r.get(0),
        url: r.get(1),
        etag: r.get(2),
        last_modified: r.get(3),
        last_attempt: time(r.get(4)),
        last_success: time(r.get(5)),
        last_error: r.get(6),
        failures: r.get::<_, i64>(7).clamp(0, i64::from(u32::MAX)) as u32,
        next_due: time(r.get(8)),
        retry_after: time(r.get(9)),
        ttl_secs: r.get::<_, Option<i64>>(10).map(|n| n.max(0) as u64),
        max_age_secs: r.get::<_, Option<i64>>(11).map(|n| n.max(0) as u64),
        items_kept: r.get::<_, i64>(12).max(0) as u64,
    }
}

/// Saves one check's decisions, states (moving each source's due time in the catalog to its
/// `next_due`) and captures in the transaction `tx`.
fn save_check(
    tx: &mut Transaction<'_>,
    states: &[SourceState],
    decisions: &[Decision],
    captures: &[CaptureRef],
) -> Result<(), postgres::Error> {
    let put = tx.prepare(&format!(
        "INSERT INTO decisions ({DECISION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (source, item_key) DO UPDATE SET title = excluded.title, url = excluded.url,
                     score = excluded.score, kept = excluded.kept, reasons = excluded.reasons,
                     item_hash = excluded.item_hash, topic_fingerprint = excluded.topic_fingerprint,
                     rules_fingerprint = excluded.rules_fingerprint, article_id = excluded.article_id,
                     decided_at = excluded.decided_at"
    ))?;
    for d in decisions {
        let reasons = serde_json::to_string(&d.reasons).unwrap_or_else(|_| "[]".into());
        tx.execute(
            &put,
            &[
                &d.source,
                &d.item_key,
                &d.title,
                &d.url,
                &d.score,
                &d.kept,
                &reasons,
                &d.item_hash,
                &d.topic_fingerprint,
                &d.rules_fingerprint,
                &d.article_id.as_ref().map(ArticleId::as_str),
                &date::rfc3339(&d.decided_at),
            ],
        )?;
    }
    let save = tx.prepare(&format!(
        "INSERT INTO source_state ({STATE_COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                     (SELECT COUNT(*) FROM decisions WHERE source = $1 AND kept))
                 ON CONFLICT (name) DO UPDATE SET url = excluded.url, etag = excluded.etag,
                     last_modified = excluded.last_modified, last_attempt = excluded.last_attempt,
                     last_success = excluded.last_success, last_error = excluded.last_error,
                     failures = excluded.failures, next_due = excluded.next_due,
                     retry_after = excluded.retry_after, ttl_secs = excluded.ttl_secs,
                     max_age_secs = excluded.max_age_secs, items_kept = excluded.items_kept"
    ))?;
    let t = |t: &Option<DateTime<Utc>>| t.as_ref().map(date::rfc3339);
    let secs = |s: Option<u64>| s.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    for s in states {
        tx.execute(
            &save,
            &[
                &s.name,
                &s.url,
                &s.etag,
                &s.last_modified,
                &t(&s.last_attempt),
                &t(&s.last_success),
                &s.last_error,
                &i64::from(s.failures),
                &t(&s.next_due),
                &t(&s.retry_after),
                &secs(s.ttl_secs),
                &secs(s.max_age_secs),
            ],
        )?;
    }
    for s in states.iter().filter_map(|s| Some((&s.name, s.next_due?))) {
        tx.execute("UPDATE sources SET due_at = $2 WHERE name = $1", &[s.0, &catalog::secs(s.1)])?;
    }
    for c in captures {
        commit_capture_in(tx, &c.file, c.offset + c.length)?;
    }
    Ok(())
}

/// Source state and decisions in the `source_state` and `decisions` tables.
impl SourceStateStore for PgStore {
    fn source_states(&self) -> Result<Vec<SourceState>, ArchiveError> {
        let rows = self
            .client
            .borrow_mut()
            .query(&format!("SELECT {STATE_COLUMNS} FROM source_state ORDER BY name"), &[])
            .map_err(self.sql("reading source state"))?;
        Ok(rows.iter().map(read_state).collect())
    }

    fn decision(&self, source: &str, item_key: &str) -> Result<Option<Decision>, ArchiveError> {
        let row = self
            .client
            .borrow_mut()
            .query_opt(
                &format!("SELECT {DECISION_COLUMNS} FROM decisions WHERE source = $1 AND item_key = $2"),
                &[&source, &item_key],
            )
            .map_err(self.sql("reading a decision"))?;
        let Some(r) = row else { return Ok(None) };
        let reasons: String = r.get(6);
        let reasons: Vec<String> = serde_json::from_str(&reasons)
            .map_err(|e| self.corrupt(format!("decision reasons of {source:?} {item_key:?}"), e))?;
        let at: String = r.get(11);
        let decided_at =
            date::parse(&at).ok_or_else(|| self.corrupt(format!("decision time of {source:?} {item_key:?}"), &at))?;
        Ok(Some(Decision {
            source: r.get(0),
            item_key: r.get(1),
            title: r.get(2),
            url: r.get(3),
            score: r.get(4),
            kept: r.get(5),
            reasons,
            item_hash: r.get(7),
            topic_fingerprint: r.get(8),
            rules_fingerprint: r.get(9),
            article_id: r.get::<_, Option<String>>(10).map(ArticleId),
            decided_at,
        }))
    }

    fn record_check(
        &mut self,
        states: &[SourceState],
        decisions: &[Decision],
        captures: &[CaptureRef],
    ) -> Result<(), ArchiveError> {
        let location = self.location.clone();
        let err = |source| sql_error(&location, "saving source state and decisions", source);
        let mut tx = self.client.get_mut().transaction().map_err(err)?;
        // The same order of locks as an archive write: no deadlock between the two.
        lock_counter(&mut tx).map_err(err)?;
        save_check(&mut tx, states, decisions, captures).map_err(err)?;
        tx.commit().map_err(err)
    }
}

fn read_refresh_row(r: &Row) -> row::RefreshRow {
    (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6), r.get(7), r.get(8))
}

impl PgStore {
    fn refresh_from(&self, r: &Row) -> Result<RefreshState, ArchiveError> {
        row::refresh_from_row(read_refresh_row(r)).map_err(|(what, detail)| self.corrupt(what, detail))
    }
}

/// Refresh states in the `refresh_state` table; times to the second.
impl RefreshStateStore for PgStore {
    fn refresh_states(&self) -> Result<Vec<RefreshState>, ArchiveError> {
        let rows = self
            .client
            .borrow_mut()
            .query(&format!("SELECT {} FROM refresh_state ORDER BY article_id", row::REFRESH_COLUMNS), &[])
            .map_err(self.sql("reading refresh states"))?;
        rows.iter().map(|r| self.refresh_from(r)).collect()
    }

    fn refresh_state(&self, id: &ArticleId) -> Result<Option<RefreshState>, ArchiveError> {
        let row = self
            .client
            .borrow_mut()
            .query_opt(
                &format!("SELECT {} FROM refresh_state WHERE article_id = $1", row::REFRESH_COLUMNS),
                &[&id.as_str()],
            )
            .map_err(self.sql("reading a refresh state"))?;
        row.map(|r| self.refresh_from(&r)).transpose()
    }

    fn record_refresh(&mut self, states: &[RefreshState], captures: &[CaptureRef]) -> Result<(), ArchiveError> {
        let location = self.location.clone();
        let err = |source| sql_error(&location, "saving refresh states", source);
        let mut tx = self.client.get_mut().transaction().map_err(err)?;
        lock_counter(&mut tx).map_err(err)?;
        let put = tx
            .prepare(&format!(
                "INSERT INTO refresh_state ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (article_id) DO UPDATE SET state = excluded.state, since = excluded.since,
                     last_checked = excluded.last_checked, etag = excluded.etag,
                     last_modified = excluded.last_modified, failures = excluded.failures,
                     last_error = excluded.last_error, evidence = excluded.evidence",
                row::REFRESH_COLUMNS
            ))
            .map_err(err)?;
        for s in states {
            tx.execute(
                &put,
                &[
                    &s.article_id.as_str(),
                    &s.state.as_str(),
                    &date::rfc3339(&s.since),
                    &date::rfc3339(&s.last_checked),
                    &s.etag,
                    &s.last_modified,
                    &i64::from(s.failures),
                    &s.last_error,
                    &s.evidence.as_ref().map(row::evidence_json),
                ],
            )
            .map_err(err)?;
        }
        for c in captures {
            commit_capture_in(&mut tx, &c.file, c.offset + c.length).map_err(err)?;
        }
        tx.commit().map_err(err)
    }
}

/// The advisory lock key that serializes claim transactions, so the per-host cap, counted in
/// the database, holds across workers (`"fkclaims"` in ASCII).
const CLAIM_LOCK: i64 = 0x666b_636c_6169_6d73;

/// How many due rows a claim reads per round trip.
const CLAIM_BATCH: i32 = 256;

const CATALOG_COLUMNS: &str = "name, url, every_secs, tags, keywords, backfill, origin, enabled";

impl PgStore {
    fn catalog_rows(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<CatalogSource>, ArchiveError> {
        let rows = self.client.borrow_mut().query(sql, params).map_err(self.sql("reading the source catalog"))?;
        let list = |s: String| serde_json::from_str::<Vec<String>>(&s).unwrap_or_default();
        rows.iter()
            .map(|r| {
                let name: String = r.get(0);
                let origin: String = r.get(6);
                let origin = SourceOrigin::parse(&origin)
                    .ok_or_else(|| self.corrupt(format!("source {name:?}"), format!("unknown origin {origin:?}")))?;
                Ok(CatalogSource {
                    name,
                    url: r.get(1),
                    every_secs: r.get::<_, i64>(2).max(0) as u64,
                    tags: list(r.get(3)),
                    keywords: list(r.get(4)),
                    backfill: r.get(5),
                    origin,
                    enabled: r.get(7),
                })
            })
            .collect()
    }

    /// Runs `work` in one short transaction that holds the claim lock.
    fn catalog_tx<T>(
        &mut self,
        context: &'static str,
        work: impl FnOnce(&mut Transaction<'_>) -> Result<T, postgres::Error>,
    ) -> Result<T, ArchiveError> {
        let location = self.location.clone();
        let err = |source| sql_error(&location, context, source);
        let mut tx = self.client.get_mut().transaction().map_err(err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CLAIM_LOCK]).map_err(err)?;
        let out = work(&mut tx).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(out)
    }
}

/// Leases `name` to the claimer under a new epoch, if it is still free.
fn lease(tx: &mut Transaction<'_>, name: &str, req: &ClaimRequest<'_>) -> Result<Option<Claim>, postgres::Error> {
    let row = tx.query_opt(
        "UPDATE sources SET epoch = epoch + 1, lease_owner = $2, lease_until = $3
         WHERE name = $1 AND enabled AND (lease_until <= $4 OR lease_owner = $2) RETURNING epoch",
        &[&name, &req.worker, &catalog::lease_end(req.now, req.lease), &catalog::secs(req.now)],
    )?;
    Ok(row.map(|r| Claim { name: name.to_string(), epoch: r.get::<_, i64>(0).max(0) as u64 }))
}

fn epoch_of(c: &Claim) -> i64 {
    i64::try_from(c.epoch).unwrap_or(i64::MAX)
}

/// The source catalog in the `sources` table. Due times and leases are compared with the
/// claimer's clock (`ClaimRequest::now`), in whole seconds, as SQLite does.
impl SourceCatalog for PgStore {
    fn upsert_sources(&mut self, sources: &[CatalogSource]) -> Result<(), ArchiveError> {
        self.catalog_tx("saving the source catalog", |tx| {
            let put = tx.prepare(
                "INSERT INTO sources (name, url, host, every_secs, tags, keywords, backfill, origin, enabled, due_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9)
                 ON CONFLICT (name) DO UPDATE SET url = excluded.url, host = excluded.host,
                     every_secs = excluded.every_secs, tags = excluded.tags, keywords = excluded.keywords,
                     backfill = excluded.backfill, origin = excluded.origin, enabled = TRUE,
                     due_at = CASE WHEN sources.url = excluded.url AND sources.every_secs = excluded.every_secs
                                   THEN sources.due_at ELSE 0 END",
            )?;
            for s in sources {
                let every = i64::try_from(s.every_secs).unwrap_or(i64::MAX);
                let known = tx.query_opt("SELECT 1 FROM sources WHERE name = $1", &[&s.name])?.is_some();
                let due = if known {
                    0 // kept or reset by the update
                } else {
                    tx.query_opt("SELECT next_due FROM source_state WHERE name = $1 AND url = $2", &[&s.name, &s.url])?
                        .and_then(|r| r.get::<_, Option<String>>(0))
                        .and_then(|t| date::parse(&t))
                        .map_or(0, catalog::secs)
                };
                let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
                tx.execute(
                    &put,
                    &[
                        &s.name,
                        &s.url,
                        &s.host(),
                        &every,
                        &json(&s.tags),
                        &json(&s.keywords),
                        &s.backfill,
                        &s.origin.as_str(),
                        &due,
                    ],
                )?;
            }
            Ok(())
        })
    }

    fn catalog(&self) -> Result<Vec<CatalogSource>, ArchiveError> {
        self.catalog_rows(&format!("SELECT {CATALOG_COLUMNS} FROM sources ORDER BY name"), &[])
    }

    fn catalog_source(&self, name: &str) -> Result<Option<CatalogSource>, ArchiveError> {
        Ok(self.catalog_rows(&format!("SELECT {CATALOG_COLUMNS} FROM sources WHERE name = $1"), &[&name])?.pop())
    }

    fn disable_sources(&mut self, names: &[String]) -> Result<(), ArchiveError> {
        self.catalog_tx("disabling sources", |tx| {
            for name in names {
                tx.execute("UPDATE sources SET enabled = FALSE WHERE name = $1", &[name])?;
            }
            Ok(())
        })
    }

    fn claim_due(&mut self, req: &ClaimRequest<'_>) -> Result<Vec<Claim>, ArchiveError> {
        self.catalog_tx("claiming due sources", |tx| {
            let now = catalog::secs(req.now);
            let mut slots = catalog::HostSlots::new(req.per_host);
            if slots.capped() {
                for r in tx.query("SELECT host, COUNT(*) FROM sources WHERE lease_until > $1 GROUP BY host", &[&now])? {
                    slots.hold(r.get(0), r.get::<_, i64>(1).max(0) as usize);
                }
            }
            // The due, unleased sources by due time then name, read in batches from the
            // partial index; rows another transaction holds are skipped, not waited for.
            let due = tx.prepare(
                "SELECT name, host FROM sources WHERE enabled AND due_at <= $1 AND lease_until <= $1
                 ORDER BY due_at, name FOR UPDATE SKIP LOCKED",
            )?;
            let portal = tx.bind(&due, &[&now])?;
            let mut picked = Vec::new();
            'read: while picked.len() < req.limit {
                let rows = tx.query_portal(&portal, CLAIM_BATCH)?;
                if rows.is_empty() {
                    break;
                }
                for r in rows {
                    if !slots.take(r.get(1)) {
                        continue;
                    }
                    picked.push(r.get::<_, String>(0));
                    if picked.len() >= req.limit {
                        break 'read;
                    }
                }
            }
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
            let until = catalog::lease_end(now, lease);
            let mut kept = Vec::with_capacity(claims.len());
            for c in claims {
                let n = tx.execute(
                    "UPDATE sources SET lease_until = $3 WHERE name = $1 AND epoch = $2",
                    &[&c.name, &epoch_of(c), &until],
                )?;
                if n == 1 {
                    kept.push(c.clone());
                }
            }
            Ok(kept)
        })
    }

    fn release(&mut self, claims: &[Claim]) -> Result<(), ArchiveError> {
        self.catalog_tx("releasing leases", |tx| {
            for c in claims {
                tx.execute(
                    "UPDATE sources SET lease_owner = NULL, lease_until = 0 WHERE name = $1 AND epoch = $2",
                    &[&c.name, &epoch_of(c)],
                )?;
            }
            Ok(())
        })
    }

    fn lease_holders(&self, now: DateTime<Utc>) -> Result<Vec<String>, ArchiveError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT DISTINCT lease_owner FROM sources WHERE lease_until > $1 AND lease_owner IS NOT NULL
                 ORDER BY lease_owner",
                &[&catalog::secs(now)],
            )
            .map_err(self.sql("reading the lease holders"))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn end_leases_of(&mut self, worker: &str) -> Result<(), ArchiveError> {
        self.catalog_tx("ending a worker's leases", |tx| {
            tx.execute(
                "UPDATE sources SET lease_owner = NULL, lease_until = 0 WHERE lease_until > 0 AND lease_owner = $1",
                &[&worker],
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
        let location = self.location.clone();
        let err = |source| sql_error(&location, "saving source state and decisions", source);
        let mut tx = self.client.get_mut().transaction().map_err(err)?;
        lock_counter(&mut tx).map_err(err)?;
        let mut lost = Vec::new();
        for c in claims {
            // Locks the row: no claim can move its epoch between this check and the commit.
            let epoch = tx
                .query_opt("SELECT epoch FROM sources WHERE name = $1 FOR UPDATE", &[&c.name])
                .map_err(err)?
                .map(|r| r.get::<_, i64>(0));
            if epoch != Some(epoch_of(c)) {
                lost.push(c.name.clone());
            }
        }
        lost.sort();
        let (states, decisions) = catalog::without_lost(&lost, states, decisions);
        save_check(&mut tx, &states, &decisions, captures).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(lost)
    }
}

#[cfg(test)]
#[path = "../../tests/services/postgres.rs"]
pub(crate) mod test_server;

#[cfg(test)]
mod tests {
    use super::*;

    crate::archive::conformance::conformance_tests!(postgres, || {
        super::PgStore::open(&super::test_server::database(), super::Schema::Create).expect("open")
    });

    #[test]
    fn queries_never_carry_punctuation_into_tsquery() {
        assert_eq!(ts_query("massacre IRAN"), "('massacre') & ('iran')");
        assert_eq!(ts_query("\"political prisoners\" Évin"), "('political' <-> 'prisoners') & ('evin')");
        assert_eq!(ts_query("(( ** )) 'x"), "('x')");
        assert_eq!(ts_query("* - **"), "");
    }

    #[test]
    fn a_password_never_shows() {
        assert_eq!(redacted("postgres://fk:secret@db.example:5433/archive"), "postgres://fk@db.example:5433/archive");
        assert_eq!(redacted("postgres://db.example/archive"), "postgres://db.example/archive");
    }

    #[test]
    fn a_database_without_the_schema_is_refused_until_created() {
        let url = test_server::database();
        match PgStore::open(&url, Schema::Migrate) {
            Err(ArchiveError::Missing { path, .. }) => assert_eq!(path, PathBuf::from(redacted(&url))),
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("opened a database without the schema"),
        }
        assert!(matches!(PgStore::open(&url, Schema::Read), Err(ArchiveError::Missing { .. })));
        let store = PgStore::open(&url, Schema::Create).expect("create");
        assert!(store.is_empty().expect("empty"));
        drop(store);
        PgStore::open(&url, Schema::Read).expect("now it opens");
    }

    #[test]
    fn writers_in_two_connections_number_the_log_without_gaps() {
        use crate::archive::Store;
        use crate::archive::conformance::{article, keys};
        let url = test_server::database();
        drop(PgStore::open(&url, Schema::Create).expect("create"));
        let workers: Vec<_> = (0..2)
            .map(|w| {
                let url = url.clone();
                std::thread::spawn(move || {
                    let mut s = PgStore::open(&url, Schema::Migrate).expect("open");
                    for i in 0..15 {
                        // Both writers archive the same URLs: each is archived once.
                        let a = article(&format!("urn:w{w}:{i}"), &format!("T{i}"), &format!("Text {i}."), 1, &[]);
                        s.put(&a, &keys(Some(&format!("https://x.example/{i}")), None)).expect("put");
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().expect("worker");
        }
        let s = PgStore::open(&url, Schema::Read).expect("open");
        assert_eq!(s.count().expect("count"), 15, "one article per URL");
        let mut seqs = Vec::new();
        s.log_range(1, 100, &mut |e| {
            seqs.push(e.seq);
            Ok(())
        })
        .expect("log");
        assert!(seqs.len() >= 15);
        assert_eq!(seqs, (1..=s.log_len().expect("len")).collect::<Vec<_>>(), "gap-free, in order");
    }
}
