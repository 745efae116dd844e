//! An archive held in memory: a second [`Backend`] (and [`SourceStateStore`]) beside SQLite,
//! which keeps the trait honest and lets tests run without a file.
//!
//! It keeps exactly what the SQLite backend keeps, in ordinary ordered maps: articles by id
//! with all their versions, the publication log as a vector (the sequence number is the
//! position plus one), saved state, source states by name and decisions by (source, item
//! key). A write works on the live data and puts a copy back when it fails, so a failed
//! write leaves nothing behind; that copy makes every write cost the size of the archive,
//! which is fine for tests and small archives and is why nothing opens this backend for a
//! real archive folder. Search is a plain scan with BM25 ranking (title 10, summary 4,
//! text 1, as SQLite's FTS5 is configured).
//!
//! Like the other backends it only stores and fetches; the rules are
//! [`policy`](super::policy)'s. No I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};

use super::backend::{Backend, Head, NewVersion, Writer};
use super::catalog::{self, CatalogSource, Claim, ClaimRequest, SourceCatalog};
use super::policy::MatchKey;
use super::{
    ArchiveError, Decision, Evidence, ListQuery, LogEntry, RefreshState, RefreshStateStore, SearchHit, SourceState,
    SourceStateStore, StoredArticle, TagInfo, VersionInfo,
};
use crate::article::{Article, ArticleId, CaptureRef, fold};
use crate::date;

/// An archive in memory. [`MemoryStore::new`] starts an empty one.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    data: Data,
    location: PathBuf,
}

#[derive(Debug, Clone, Default)]
struct Data {
    /// Articles by id (byte order).
    articles: BTreeMap<String, Stored>,
    /// The publication log: entry `i` has sequence number `i + 1`; (article id, version).
    log: Vec<(String, u32)>,
    meta: BTreeMap<String, String>,
    states: BTreeMap<String, SourceState>,
    decisions: BTreeMap<(String, String), Decision>,
    refresh: BTreeMap<String, RefreshState>,
    /// The source catalog by name, and its enabled sources by (due time, name).
    catalog: BTreeMap<String, Cataloged>,
    due: BTreeSet<(i64, String)>,
    /// How many articles were ever inserted: each one's rank, the tie-break of lookups.
    inserted: u64,
}

/// A catalog row: the source, when it is due, and its lease.
#[derive(Debug, Clone)]
struct Cataloged {
    source: CatalogSource,
    due_at: i64,
    lease_owner: Option<String>,
    lease_until: i64,
    epoch: u64,
}

#[derive(Debug, Clone)]
struct Stored {
    rank: u64,
    canonical_url: Option<String>,
    fingerprint: Option<String>,
    first_archived_at: DateTime<Utc>,
    /// The article's newest log entry.
    last_seq: u64,
    /// Versions `1..n`; version `i + 1` at `i`.
    older: Vec<Article>,
    /// Version `n`, what lists, searches and tags see, with its revision.
    current: Article,
    revision: String,
}

impl Stored {
    /// The number of the current version.
    fn versions(&self) -> u32 {
        self.older.len() as u32 + 1
    }

    /// Version `v` (from 1).
    fn version(&self, v: u32) -> Option<&Article> {
        match v {
            0 => None,
            v if v == self.versions() => Some(&self.current),
            v => self.older.get(v as usize - 1),
        }
    }

    /// The current version's tags, each once, in byte order.
    fn tags(&self) -> BTreeSet<&str> {
        self.current.tags.iter().map(String::as_str).collect()
    }

    fn head(&self, id: &str) -> Head {
        Head {
            id: ArticleId(id.to_string()),
            versions: self.versions(),
            revision: self.revision.clone(),
            updated: Some(self.current.updated),
            canonical_url: self.canonical_url.clone(),
            fingerprint: self.fingerprint.clone(),
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new()
    }
}

impl MemoryStore {
    /// An empty archive.
    pub fn new() -> MemoryStore {
        MemoryStore { data: Data::default(), location: PathBuf::from(":memory:") }
    }

    fn corrupt(&self, what: impl Into<String>, detail: impl Into<String>) -> ArchiveError {
        ArchiveError::Corrupt { path: self.location.clone(), what: what.into(), detail: detail.into() }
    }

    /// A log entry of `version` of `id` at `seq` (the text left empty, as feeds use the HTML).
    fn entry(&self, seq: u64, id: &str, version: u32) -> Result<LogEntry, ArchiveError> {
        let stored =
            self.data.articles.get(id).ok_or_else(|| self.corrupt(format!("log entry {seq}"), "no article"))?;
        let article =
            stored.version(version).ok_or_else(|| self.corrupt(format!("log entry {seq}"), "no such version"))?;
        let mut article = article.clone();
        article.content.text.clear();
        Ok(LogEntry { seq, version, article })
    }
}

/// What every backend keeps of a bookkeeping time: the whole second (see [`backend`](super::backend)).
fn to_second(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(0)
}

/// An article as every backend gives it back: an empty summary is no summary.
fn as_kept(article: &Article) -> Article {
    let mut kept = article.clone();
    kept.summary = kept.summary.filter(|s| !s.is_empty());
    kept
}

impl Data {
    fn lookup(&self, key: MatchKey<'_>) -> Option<Head> {
        let by = |pick: &dyn Fn(&Stored) -> bool| {
            self.articles.iter().filter(|(_, s)| pick(s)).min_by_key(|(_, s)| s.rank).map(|(id, s)| s.head(id))
        };
        match key {
            MatchKey::Id(id) => self.articles.get(id.as_str()).map(|s| s.head(id.as_str())),
            MatchKey::CanonicalUrl(url) => by(&|s| s.canonical_url.as_deref() == Some(url)),
            MatchKey::Fingerprint(fp) => by(&|s| s.fingerprint.as_deref() == Some(fp)),
        }
    }

    fn append(&mut self, id: &str, version: u32) -> u64 {
        self.log.push((id.to_string(), version));
        self.log.len() as u64
    }
}

/// The writes of one in-memory transaction.
struct MemoryWriter<'a> {
    data: &'a mut Data,
    location: &'a Path,
}

impl MemoryWriter<'_> {
    fn refuse(&self, id: &ArticleId, detail: &str) -> ArchiveError {
        ArchiveError::Corrupt {
            path: self.location.to_path_buf(),
            what: format!("article {id}"),
            detail: detail.into(),
        }
    }
}

impl Writer for MemoryWriter<'_> {
    fn lookup(&mut self, key: MatchKey<'_>) -> Result<Option<Head>, ArchiveError> {
        Ok(self.data.lookup(key))
    }

    fn insert(&mut self, new: &NewVersion<'_>) -> Result<u64, ArchiveError> {
        let id = new.article.id.as_str();
        if self.data.articles.contains_key(id) {
            return Err(self.refuse(&new.article.id, "is already archived"));
        }
        let seq = self.data.append(id, new.version);
        self.data.inserted += 1;
        let stored = Stored {
            rank: self.data.inserted,
            canonical_url: new.keys.canonical_url.clone(),
            fingerprint: new.keys.fingerprint.clone(),
            first_archived_at: to_second(new.article.archived_at),
            last_seq: seq,
            older: Vec::new(),
            current: as_kept(new.article),
            revision: new.revision.to_string(),
        };
        self.data.articles.insert(id.to_string(), stored);
        Ok(seq)
    }

    fn update(&mut self, new: &NewVersion<'_>) -> Result<u64, ArchiveError> {
        let id = new.article.id.as_str();
        if !self.data.articles.contains_key(id) {
            return Err(self.refuse(&new.article.id, "is not archived"));
        }
        let seq = self.data.append(id, new.version);
        if let Some(stored) = self.data.articles.get_mut(id) {
            let previous = std::mem::replace(&mut stored.current, as_kept(new.article));
            stored.older.push(previous);
            stored.revision = new.revision.to_string();
            stored.canonical_url = new.keys.canonical_url.clone();
            stored.fingerprint = new.keys.fingerprint.clone();
            stored.last_seq = seq;
        }
        Ok(seq)
    }
}

impl Backend for MemoryStore {
    fn location(&self) -> &Path {
        &self.location
    }

    fn lookup(&self, key: MatchKey<'_>) -> Result<Option<Head>, ArchiveError> {
        Ok(self.data.lookup(key))
    }

    fn write(&mut self, work: &mut dyn FnMut(&mut dyn Writer) -> Result<(), ArchiveError>) -> Result<(), ArchiveError> {
        let before = self.data.clone();
        let done = work(&mut MemoryWriter { data: &mut self.data, location: &self.location });
        if done.is_err() {
            self.data = before;
        }
        done
    }

    fn ids_with_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<ArticleId>, ArchiveError> {
        Ok(self
            .data
            .articles
            .range::<str, _>((std::ops::Bound::Included(prefix), std::ops::Bound::Unbounded))
            .map(|(id, _)| id)
            .take_while(|id| id.starts_with(prefix))
            .take(limit)
            .map(|id| ArticleId(id.clone()))
            .collect())
    }

    fn get(&self, id: &ArticleId) -> Result<Option<StoredArticle>, ArchiveError> {
        let Some(stored) = self.data.articles.get(id.as_str()) else { return Ok(None) };
        let versions = stored
            .older
            .iter()
            .chain(std::iter::once(&stored.current))
            .enumerate()
            .map(|(i, a)| VersionInfo {
                version: i as u32 + 1,
                archived_at: a.archived_at,
                content_hash: a.content_hash.clone(),
                origin: a.origin.clone(),
                capture: a.capture.clone(),
            })
            .collect();
        Ok(Some(StoredArticle {
            article: stored.current.clone(),
            versions,
            first_archived_at: stored.first_archived_at,
        }))
    }

    fn version(&self, id: &ArticleId, version: u32) -> Result<Option<Article>, ArchiveError> {
        Ok(self.data.articles.get(id.as_str()).and_then(|s| s.version(version)).cloned())
    }

    fn list(&self, query: &ListQuery) -> Result<Vec<Article>, ArchiveError> {
        let mut hits: Vec<(String, &str, &Stored)> = self
            .data
            .articles
            .iter()
            .filter(|(_, s)| query.tag.as_deref().is_none_or(|t| s.tags().contains(t)))
            .map(|(id, s)| (date::rfc3339(&s.current.date()), id.as_str(), s))
            .collect();
        hits.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        Ok(hits.into_iter().take(query.limit.unwrap_or(usize::MAX)).map(|(_, _, s)| s.current.clone()).collect())
    }

    fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>, ArchiveError> {
        Ok(search::run(&self.data.articles, query, limit))
    }

    fn count(&self) -> Result<u64, ArchiveError> {
        Ok(self.data.articles.len() as u64)
    }

    fn each_text(&self, visit: &mut dyn FnMut(&ArticleId, &str, &str)) -> Result<(), ArchiveError> {
        for (id, stored) in &self.data.articles {
            let a = &stored.current;
            visit(&ArticleId(id.clone()), &a.title, &a.content.text);
        }
        Ok(())
    }

    fn log_len(&self) -> Result<u64, ArchiveError> {
        Ok(self.data.log.len() as u64)
    }

    fn log_range(
        &self,
        from: u64,
        to: u64,
        visit: &mut dyn FnMut(LogEntry) -> Result<(), ArchiveError>,
    ) -> Result<(), ArchiveError> {
        let last = to.min(self.data.log.len() as u64);
        for seq in from.max(1)..=last {
            let (id, version) = &self.data.log[seq as usize - 1];
            visit(self.entry(seq, id, *version)?)?;
        }
        Ok(())
    }

    fn tags(&self) -> Result<Vec<TagInfo>, ArchiveError> {
        let mut by_tag: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        for stored in self.data.articles.values() {
            for tag in stored.tags() {
                let (count, last) = by_tag.entry(tag).or_default();
                *count += 1;
                *last = (*last).max(stored.last_seq);
            }
        }
        Ok(by_tag
            .into_iter()
            .map(|(tag, (count, last_seq))| TagInfo { tag: tag.to_string(), count, last_seq })
            .collect())
    }

    fn tag_entries(&self, tag: &str, limit: usize) -> Result<Vec<LogEntry>, ArchiveError> {
        let mut tagged: Vec<(&String, &Stored)> =
            self.data.articles.iter().filter(|(_, s)| s.tags().contains(tag)).collect();
        tagged.sort_by_key(|(_, s)| std::cmp::Reverse(s.last_seq));
        tagged.into_iter().take(limit).map(|(id, s)| self.entry(s.last_seq, id, s.versions())).collect()
    }

    fn tags_since(&self, seq: u64) -> Result<Vec<String>, ArchiveError> {
        let mut tags = BTreeSet::new();
        for (id, version) in self.data.log.iter().skip(seq.min(usize::MAX as u64) as usize) {
            let Some(stored) = self.data.articles.get(id) else { continue };
            for article in [stored.version(*version), stored.version(version.saturating_sub(1))].into_iter().flatten() {
                tags.extend(article.tags.iter().cloned());
            }
        }
        Ok(tags.into_iter().collect())
    }

    fn meta_get(&self, key: &str) -> Result<Option<String>, ArchiveError> {
        Ok(self.data.meta.get(key).cloned())
    }

    fn meta_set(&mut self, key: &str, value: &str) -> Result<(), ArchiveError> {
        self.data.meta.insert(key.to_string(), value.to_string());
        Ok(())
    }
}

impl SourceStateStore for MemoryStore {
    fn source_states(&self) -> Result<Vec<SourceState>, ArchiveError> {
        Ok(self.data.states.values().cloned().collect())
    }

    fn source_state(&self, name: &str) -> Result<Option<SourceState>, ArchiveError> {
        Ok(self.data.states.get(name).cloned())
    }

    fn decision(&self, source: &str, item_key: &str) -> Result<Option<Decision>, ArchiveError> {
        Ok(self.data.decisions.get(&(source.to_string(), item_key.to_string())).cloned())
    }

    fn record_check(
        &mut self,
        states: &[SourceState],
        decisions: &[Decision],
        _captures: &[CaptureRef],
    ) -> Result<(), ArchiveError> {
        // Captures need no ledger here: nothing outlives the process to be cut back.
        for d in decisions {
            let kept = Decision { decided_at: to_second(d.decided_at), ..d.clone() };
            self.data.decisions.insert((d.source.clone(), d.item_key.clone()), kept);
        }
        let secs = |s: Option<u64>| s.map(|n| n.min(i64::MAX as u64));
        for s in states {
            let items_kept =
                self.data.decisions.range((s.name.clone(), String::new())..).take_while(|((src, _), _)| *src == s.name);
            let kept = SourceState {
                last_attempt: s.last_attempt.map(to_second),
                last_success: s.last_success.map(to_second),
                next_due: s.next_due.map(to_second),
                retry_after: s.retry_after.map(to_second),
                ttl_secs: secs(s.ttl_secs),
                max_age_secs: secs(s.max_age_secs),
                items_kept: items_kept.filter(|(_, d)| d.kept).count() as u64,
                ..s.clone()
            };
            if let Some(due) = kept.next_due {
                self.data.set_due(&s.name, catalog::secs(due));
            }
            self.data.states.insert(s.name.clone(), kept);
        }
        Ok(())
    }
}

impl RefreshStateStore for MemoryStore {
    fn refresh_states(&self) -> Result<Vec<RefreshState>, ArchiveError> {
        Ok(self.data.refresh.values().cloned().collect())
    }

    fn refresh_state(&self, id: &ArticleId) -> Result<Option<RefreshState>, ArchiveError> {
        Ok(self.data.refresh.get(id.as_str()).cloned())
    }

    fn record_refresh(&mut self, states: &[RefreshState], _captures: &[CaptureRef]) -> Result<(), ArchiveError> {
        for s in states {
            let kept = RefreshState {
                since: to_second(s.since),
                last_checked: to_second(s.last_checked),
                evidence: s.evidence.as_ref().map(|e| Evidence { at: to_second(e.at), ..e.clone() }),
                ..s.clone()
            };
            self.data.refresh.insert(s.article_id.0.clone(), kept);
        }
        Ok(())
    }
}

impl Data {
    /// Moves an enabled catalog source to a new due time (keeping the index in step).
    fn set_due(&mut self, name: &str, due_at: i64) {
        let Some(row) = self.catalog.get_mut(name) else { return };
        if row.source.enabled {
            self.due.remove(&(row.due_at, name.to_string()));
            self.due.insert((due_at, name.to_string()));
        }
        row.due_at = due_at;
    }

    /// Leases `name` to `req.worker` under a new epoch.
    fn lease(&mut self, name: &str, req: &ClaimRequest<'_>) -> Option<Claim> {
        let row = self.catalog.get_mut(name)?;
        row.epoch += 1;
        row.lease_owner = Some(req.worker.to_string());
        row.lease_until = catalog::lease_end(req.now, req.lease);
        Some(Claim { name: name.to_string(), epoch: row.epoch })
    }

    fn current(&self, claim: &Claim) -> bool {
        self.catalog.get(&claim.name).is_some_and(|row| row.epoch == claim.epoch)
    }
}

/// The catalog in an ordered map, with an index of the enabled sources by due time.
impl SourceCatalog for MemoryStore {
    fn upsert_sources(&mut self, sources: &[CatalogSource]) -> Result<(), ArchiveError> {
        for s in sources {
            let source = CatalogSource { enabled: true, ..s.clone() };
            let due_at = match self.data.catalog.get(&s.name) {
                Some(row) if row.source.url == s.url && row.source.every_secs == s.every_secs => row.due_at,
                Some(_) => 0,
                None => self
                    .data
                    .states
                    .get(&s.name)
                    .filter(|st| st.url == s.url)
                    .and_then(|st| st.next_due)
                    .map_or(0, catalog::secs),
            };
            let row = match self.data.catalog.remove(&s.name) {
                Some(old) => {
                    self.data.due.remove(&(old.due_at, s.name.clone()));
                    Cataloged { source, due_at, ..old }
                }
                None => Cataloged { source, due_at, lease_owner: None, lease_until: 0, epoch: 0 },
            };
            self.data.due.insert((due_at, s.name.clone()));
            self.data.catalog.insert(s.name.clone(), row);
        }
        Ok(())
    }

    fn catalog(&self) -> Result<Vec<CatalogSource>, ArchiveError> {
        Ok(self.data.catalog.values().map(|row| row.source.clone()).collect())
    }

    fn catalog_source(&self, name: &str) -> Result<Option<CatalogSource>, ArchiveError> {
        Ok(self.data.catalog.get(name).map(|row| row.source.clone()))
    }

    fn disable_sources(&mut self, names: &[String]) -> Result<(), ArchiveError> {
        for name in names {
            if let Some(row) = self.data.catalog.get_mut(name) {
                row.source.enabled = false;
                self.data.due.remove(&(row.due_at, name.clone()));
            }
        }
        Ok(())
    }

    fn claim_due(&mut self, req: &ClaimRequest<'_>) -> Result<Vec<Claim>, ArchiveError> {
        let now = catalog::secs(req.now);
        let mut slots = catalog::HostSlots::new(req.per_host);
        if slots.capped() {
            for row in self.data.catalog.values().filter(|r| r.lease_until > now) {
                slots.hold(row.source.host(), 1);
            }
        }
        let mut picked = Vec::new();
        for (_, name) in self.data.due.range(..(now + 1, String::new())) {
            if picked.len() >= req.limit {
                break;
            }
            let Some(row) = self.data.catalog.get(name) else { continue };
            if row.lease_until > now {
                continue;
            }
            if slots.take(row.source.host()) {
                picked.push(name.clone());
            }
        }
        Ok(picked.iter().filter_map(|name| self.data.lease(name, req)).collect())
    }

    fn claim_named(&mut self, names: &[String], req: &ClaimRequest<'_>) -> Result<Vec<Claim>, ArchiveError> {
        let now = catalog::secs(req.now);
        let free = |d: &Data, name: &String| {
            d.catalog.get(name).is_some_and(|r| {
                r.source.enabled && (r.lease_until <= now || r.lease_owner.as_deref() == Some(req.worker))
            })
        };
        let names: Vec<String> = names.iter().filter(|n| free(&self.data, n)).cloned().collect();
        Ok(names.iter().filter_map(|name| self.data.lease(name, req)).collect())
    }

    fn renew(&mut self, claims: &[Claim], now: DateTime<Utc>, lease: Duration) -> Result<Vec<Claim>, ArchiveError> {
        let until = catalog::lease_end(now, lease);
        let mut kept = Vec::new();
        for claim in claims {
            if let Some(row) = self.data.catalog.get_mut(&claim.name).filter(|r| r.epoch == claim.epoch) {
                row.lease_until = until;
                kept.push(claim.clone());
            }
        }
        Ok(kept)
    }

    fn release(&mut self, claims: &[Claim]) -> Result<(), ArchiveError> {
        for claim in claims {
            if let Some(row) = self.data.catalog.get_mut(&claim.name).filter(|r| r.epoch == claim.epoch) {
                row.lease_owner = None;
                row.lease_until = 0;
            }
        }
        Ok(())
    }

    fn lease_holders(&self, now: DateTime<Utc>) -> Result<Vec<String>, ArchiveError> {
        let now = catalog::secs(now);
        let live = self.data.catalog.values().filter(|r| r.lease_until > now);
        let holders: BTreeSet<String> = live.filter_map(|r| r.lease_owner.clone()).collect();
        Ok(holders.into_iter().collect())
    }

    fn end_leases_of(&mut self, worker: &str) -> Result<(), ArchiveError> {
        for row in self.data.catalog.values_mut().filter(|r| r.lease_owner.as_deref() == Some(worker)) {
            row.lease_owner = None;
            row.lease_until = 0;
        }
        Ok(())
    }

    fn record_claimed(
        &mut self,
        claims: &[Claim],
        states: &[SourceState],
        decisions: &[Decision],
        captures: &[CaptureRef],
    ) -> Result<Vec<String>, ArchiveError> {
        let lost: BTreeSet<String> = claims.iter().filter(|c| !self.data.current(c)).map(|c| c.name.clone()).collect();
        let lost: Vec<String> = lost.into_iter().collect();
        let (states, decisions) = catalog::without_lost(&lost, states, decisions);
        self.record_check(&states, &decisions, captures)?;
        Ok(lost)
    }
}

/// Full-text search by scanning: the words of the current versions, folded as
/// [`fold`] does (case and accents ignored), ranked by BM25.
mod search {
    use std::collections::BTreeMap;

    use super::{Stored, fold};
    use crate::archive::SearchHit;

    /// Column weights: title, summary, text (as the SQLite backend ranks them).
    const WEIGHTS: [f64; 3] = [10.0, 4.0, 1.0];
    /// How many words a snippet shows.
    const SNIPPET_WORDS: usize = 16;

    /// A word of a text: its byte range and its folded form.
    struct Word {
        start: usize,
        end: usize,
        folded: String,
    }

    fn words(text: &str) -> Vec<Word> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
            match (c.is_alphanumeric(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    out.extend(fold(&text[s..i]).split(' ').filter(|w| !w.is_empty()).map(|w| Word {
                        start: s,
                        end: i,
                        folded: w.to_string(),
                    }));
                    start = None;
                }
                _ => {}
            }
        }
        out
    }

    /// The query's words and "quoted phrases", each as its folded words.
    fn phrases(query: &str) -> Vec<Vec<String>> {
        let folded = crate::archive::row::search_terms(query).into_iter();
        folded
            .map(|term| words(term).into_iter().map(|w| w.folded).collect::<Vec<_>>())
            .filter(|f| !f.is_empty())
            .collect()
    }

    /// Where `phrase` starts among `words`.
    fn occurrences(words: &[Word], phrase: &[String]) -> Vec<usize> {
        (0..words.len().saturating_sub(phrase.len() - 1))
            .filter(|&i| phrase.iter().enumerate().all(|(k, p)| words.get(i + k).is_some_and(|w| &w.folded == p)))
            .collect()
    }

    pub(super) fn run(articles: &BTreeMap<String, Stored>, query: &str, limit: usize) -> Vec<SearchHit> {
        let phrases = phrases(query);
        if phrases.is_empty() {
            return Vec::new();
        }
        let docs: Vec<(&String, [Vec<Word>; 3], &Stored)> = articles
            .iter()
            .map(|(id, s)| {
                let a = &s.current;
                (id, [words(&a.title), words(a.summary.as_deref().unwrap_or("")), words(&a.content.text)], s)
            })
            .collect();
        let n = docs.len() as f64;
        let avg: Vec<f64> =
            (0..3).map(|c| docs.iter().map(|d| d.1[c].len() as f64).sum::<f64>() / n.max(1.0)).collect();
        // Occurrences of each phrase in each column of each document.
        let hits: Vec<Vec<[Vec<usize>; 3]>> = docs
            .iter()
            .map(|(_, cols, _)| phrases.iter().map(|p| [0, 1, 2].map(|c| occurrences(&cols[c], p))).collect())
            .collect();
        let df: Vec<f64> = (0..phrases.len())
            .map(|p| hits.iter().filter(|h| h[p].iter().any(|o| !o.is_empty())).count() as f64)
            .collect();
        let mut found: Vec<(f64, &String, usize)> = Vec::new();
        for (d, (id, cols, _)) in docs.iter().enumerate() {
            if !hits[d].iter().all(|h| h.iter().any(|o| !o.is_empty())) {
                continue;
            }
            let mut score = 0.0;
            for (p, h) in hits[d].iter().enumerate() {
                let idf = ((n - df[p] + 0.5) / (df[p] + 0.5)).ln_1p();
                let tf: f64 = (0..3).map(|c| WEIGHTS[c] * h[c].len() as f64).sum();
                let len: f64 = (0..3).map(|c| WEIGHTS[c] * cols[c].len() as f64).sum();
                let avg_len: f64 = (0..3).map(|c| WEIGHTS[c] * avg[c]).sum();
                score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len / avg_len.max(1.0)));
            }
            found.push((score, id, d));
        }
        found.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        found
            .into_iter()
            .take(limit)
            .map(|(score, _, d)| {
                let (_, cols, stored) = &docs[d];
                let a = &stored.current;
                let texts = [a.title.as_str(), a.summary.as_deref().unwrap_or(""), a.content.text.as_str()];
                // The column with the most hits, the first of those on a tie.
                let best =
                    (0..3).max_by_key(|&c| (hits[d].iter().map(|h| h[c].len()).sum::<usize>(), 3 - c)).unwrap_or(0);
                let marked: Vec<(usize, usize)> = phrases
                    .iter()
                    .zip(&hits[d])
                    .flat_map(|(p, h)| h[best].iter().map(move |&i| (i, i + p.len() - 1)))
                    .collect();
                SearchHit { article: a.clone(), snippet: snippet(texts[best], &cols[best], &marked), score }
            })
            .collect()
    }

    /// Up to [`SNIPPET_WORDS`] words of `text` around its first hit, each hit (a run of
    /// words, first and last) between `[` and `]`, `…` where the text goes on.
    fn snippet(text: &str, words: &[Word], marked: &[(usize, usize)]) -> String {
        let first = marked.iter().map(|m| m.0).min().unwrap_or(0);
        let from = first.saturating_sub(SNIPPET_WORDS / 4).min(words.len().saturating_sub(SNIPPET_WORDS));
        let to = (from + SNIPPET_WORDS).min(words.len());
        if from >= to {
            return String::new();
        }
        let mut out = String::new();
        if from > 0 {
            out.push('…');
        }
        let mut at = words[from].start;
        for (i, w) in words.iter().enumerate().take(to).skip(from) {
            out.push_str(&text[at..w.start]);
            if marked.iter().any(|m| m.0 == i) {
                out.push('[');
            }
            out.push_str(&text[w.start..w.end]);
            if marked.iter().any(|m| m.1 == i) {
                out.push(']');
            }
            at = w.end;
        }
        if to < words.len() {
            out.push('…');
        }
        out
    }
}
