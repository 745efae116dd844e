//! The narrow storage interface under the archive's policy: what a backend (SQLite, the
//! in-memory one, PostgreSQL) must do, and nothing it may decide.
//!
//! A backend stores and fetches: it looks an archived article up by one key (id, canonical
//! URL or fingerprint), inserts a new article or records a further version of a known one —
//! each appended to the publication log under the next sequence number — inside a
//! transaction, and answers the reads the publisher and the commands need. *Which* key is
//! tried first, what a hit means, whether a changed article deserves a new version, its
//! `updated` date and which keys it keeps are decided once, above every backend, in
//! [`policy`](super::policy), which drives a backend only through [`Backend::write`] and
//! [`Writer`]. Callers use the [`Store`](super::Store) trait, implemented once for every
//! backend on top of this one.
//!
//! What every backend must guarantee (the conformance tests in `archive::conformance` check
//! each of them against every backend):
//!
//! - the publication log is numbered 1, 2, 3, … without gaps, in commit order, and never
//!   reorders; a write that fails leaves nothing behind (no article, no log entry);
//! - ids, tags and source names compare by their bytes (what SQLite's `BINARY` collation
//!   and PostgreSQL's `COLLATE "C"` do), and every order has an explicit tie-break;
//! - an article's fields come back exactly as written, timestamps to the nanosecond; the
//!   bookkeeping times ([`StoredArticle::first_archived_at`](super::StoredArticle), every
//!   time of a [`SourceState`](super::SourceState) or [`Decision`](super::Decision)) are
//!   kept to the whole second.
//!
//! No matching, versioning or date rule lives in a backend.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::{ArchiveError, DedupKeys, ListQuery, LogEntry, SearchHit, StoredArticle, TagInfo, Unreadable};
use crate::article::{Article, ArticleId, CaptureRef};

/// One key an archived article is looked up by (the order they are tried in, and what a hit
/// means, are [`policy`](super::policy)'s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKey<'a> {
    /// The article id derived from its identity.
    Id(&'a ArticleId),
    /// The canonical URL (tracking parameters removed).
    CanonicalUrl(&'a str),
    /// The content fingerprint.
    Fingerprint(&'a str),
}

/// What a backend knows about an archived article's current version: all the policy needs
/// to decide what an incoming copy means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub id: ArticleId,
    /// The number of versions kept; the current one is the last.
    pub versions: u32,
    /// The current version's [`revision`](super::policy::revision).
    pub revision: String,
    /// The current version's `updated` date (`None` when the stored value is unreadable).
    pub updated: Option<DateTime<Utc>>,
    /// The canonical URL and the fingerprint the article is found by.
    pub canonical_url: Option<String>,
    pub fingerprint: Option<String>,
}

/// A version to store, as the policy settled it.
#[derive(Debug, Clone, Copy)]
pub struct NewVersion<'a> {
    /// The article as it is to be kept: its id is the archived article's, its `updated`
    /// date already moved forward where the policy said so.
    pub article: &'a Article,
    /// The version number: 1 for a new article, else one more than [`Head::versions`].
    pub version: u32,
    /// The article's [`revision`](super::policy::revision).
    pub revision: &'a str,
    /// The keys the article is to be found by from now on. `identity` is stored with a new
    /// article only.
    pub keys: &'a DedupKeys,
}

/// The writes of one transaction. Every method sees the transaction's earlier writes.
pub trait Writer {
    /// The archived article found by `key`. A URL or fingerprint several articles share finds
    /// the one archived first.
    fn lookup(&mut self, key: MatchKey<'_>) -> Result<Option<Head>, ArchiveError>;

    /// Stores a new article (version 1) and appends it to the publication log; returns its
    /// sequence number, one more than the log's last.
    fn insert(&mut self, new: &NewVersion<'_>) -> Result<u64, ArchiveError>;

    /// Stores a further version of the known article `new.article.id`, makes it the current
    /// one (what lists, searches and tags see) and appends it to the publication log;
    /// returns its sequence number.
    fn update(&mut self, new: &NewVersion<'_>) -> Result<u64, ArchiveError>;

    /// Records that the capture file `capture.file` is committed up to the end of `capture`,
    /// with this transaction (the [`ledger`](super::ledger)). A backend that keeps no capture
    /// ledger ignores it (and so never cuts a capture file back).
    fn commit_capture(&mut self, capture: &CaptureRef) -> Result<(), ArchiveError> {
        let _ = capture;
        Ok(())
    }
}

/// A storage backend: lookups, a write transaction, and the reads.
pub trait Backend {
    /// Where the archive lives (a file, a database URL without its password), for messages.
    fn location(&self) -> &Path;

    /// The archived article found by `key`, outside any transaction (see [`Writer::lookup`]).
    fn lookup(&self, key: MatchKey<'_>) -> Result<Option<Head>, ArchiveError>;

    /// Runs `work` in one transaction and commits it if `work` succeeds; on an error nothing
    /// `work` wrote is kept. A backend may run `work` again after a conflict it can retry, so
    /// `work` must start from scratch each time.
    fn write(&mut self, work: &mut dyn FnMut(&mut dyn Writer) -> Result<(), ArchiveError>) -> Result<(), ArchiveError>;

    /// Ids that start with `prefix` (at most `limit`, in byte order), for `show` with a short
    /// id.
    fn ids_with_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<ArticleId>, ArchiveError>;

    /// One article with its versions (oldest first).
    fn get(&self, id: &ArticleId) -> Result<Option<StoredArticle>, ArchiveError>;

    /// Version `version` (from 1) of an article, text included, as it was archived (for the
    /// diff between versions); `None` when there is no such article or version.
    fn version(&self, id: &ArticleId, version: u32) -> Result<Option<Article>, ArchiveError>;

    /// Articles' current versions, newest first: by [`Article::date`] to the second, then id.
    fn list(&self, query: &ListQuery) -> Result<Vec<Article>, ArchiveError>;

    /// Full-text search over the current versions' title, summary and text, best first (a
    /// title counts most, then the summary), then by id. Every word or "quoted phrase" of
    /// `query` must occur, in any case; punctuation never makes a query invalid (a query of
    /// punctuation only finds nothing).
    fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>, ArchiveError>;

    /// The number of articles.
    fn count(&self) -> Result<u64, ArchiveError>;

    /// Calls `visit` with every article's current version (id, title, text), by id, for
    /// building the topic model.
    fn each_text(&self, visit: &mut dyn FnMut(&ArticleId, &str, &str)) -> Result<(), ArchiveError>;

    /// The highest sequence number in the publication log (0 when empty).
    fn log_len(&self) -> Result<u64, ArchiveError>;

    /// Calls `visit` with the log entries `from..=to`, in sequence order.
    fn log_range(
        &self,
        from: u64,
        to: u64,
        visit: &mut dyn FnMut(LogEntry) -> Result<(), ArchiveError>,
    ) -> Result<(), ArchiveError>;

    /// Every tag of a current version, by name, with its number of articles and the newest
    /// log sequence among them.
    fn tags(&self) -> Result<Vec<TagInfo>, ArchiveError>;

    /// The newest `limit` articles with `tag`, newest log entry first, as log entries of
    /// their current versions.
    fn tag_entries(&self, tag: &str, limit: usize) -> Result<Vec<LogEntry>, ArchiveError>;

    /// The tags, by name, of the versions logged after `seq` and of the versions they
    /// replaced (a tag removed from an article changes that tag's feed too).
    fn tags_since(&self, seq: u64) -> Result<Vec<String>, ArchiveError>;

    /// A value of the publisher's (or another step's) saved state.
    fn meta_get(&self, key: &str) -> Result<Option<String>, ArchiveError>;

    /// Saves a state value.
    fn meta_set(&mut self, key: &str, value: &str) -> Result<(), ArchiveError>;

    /// The rows the reads so far skipped because they could not be read, each named;
    /// taking them empties the list. The reads (`list`, `search`, `get`, `log_range`,
    /// `tag_entries`, `each_text`) skip such rows instead of failing the whole archive.
    /// A backend that never skips rows has none.
    fn take_unreadable(&self) -> Vec<Unreadable> {
        Vec::new()
    }
}
