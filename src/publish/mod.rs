//! The publisher: archive → Atom 1.0, RSS 2.0 and JSON Feed 1.1, RFC 5005 archive pages,
//! tag feeds, `index.html` and one page per article, written atomically and
//! deterministically into the feeds folder.
//!
//! Layout (relative to the feeds folder, served at `site.base_url`):
//!
//! ```text
//! atom.xml rss.xml feed.json index.html           the newest page_size log entries
//! archive/<k>/atom.xml rss.xml feed.json          RFC 5005 archive pages, k = 1 (oldest) …
//! tags/<tag>/atom.xml rss.xml feed.json index.html  the newest page_size articles with a tag
//! articles/<slug>.html                            one page per article, with provenance
//! ```
//!
//! Paging follows the publication log ([`paging`]), which only grows, so a full archive page
//! never changes. The publisher keeps its state in the store (`publish.state`: the last
//! published sequence number, a hash of the settings that shape the output, the tag list and
//! the folders' modification times) and on the next run rewrites only what the new log
//! entries touch: the subscription documents, the newest archive page(s), the tags whose
//! feeds changed (`Store::tags_since`), `index.html` and the new articles' pages. Changed
//! settings rewrite everything. Missing files are written again: while every folder's
//! modification time is as the last publish left it nothing can be missing, otherwise each
//! expected file is checked. Every `updated` comes from the data, never the clock:
//! publishing twice with no change produces the same bytes and writes nothing.
//!
//! Files are staged as temps and renamed at the end in a safe order (see `write.rs`); article
//! pages, most of the files, are rendered by a second thread while this one reads the store
//! and renders the feeds. Memory stays bounded by a page of entries: the log is streamed.
//!
//! Extension namespace: [`FK_NS`] (`https://feedkeeper.invalid/ns/1.0`, prefix `fk`) carries
//! `<fk:provenance archived hash origin file version capture capture-file upstream-id/>` on
//! Atom entries and RSS items, and `<fk:item-id>` (the upstream item's own id) inside
//! `atom:source`. JSON Feed items carry the same as `_feedkeeper.source`/`.provenance`.
//!
//! Entry links: every document (feed, archive page, tag feed) carries a `rel="self"` link to
//! its own URL; entries do not. An entry's `rel="alternate"` is the
//! original article when its URL is known, else the archived copy; with an original, a
//! `rel="related"` link points at the archived copy. JSON Feed `url` is the archived copy and
//! `external_url` the original.
//!
//! No network, no clock; the store is only read, except for the saved state.

mod atom;
mod diff;
mod html;
mod json;
mod marked;
mod markup;
pub mod paging;
mod rss;
mod shrink;
pub mod upload;
mod view;
mod write;

#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::archive::{Archive, ArchiveError, LogEntry, Unreadable};
use crate::article::ArticleId;
use crate::config::Config;

use marked::Marked;
use paging::Paging;
use view::{DocHead, DocKind, EntryView, FEED_FILES, INDEX, SiteView};
use write::{Class, Staging};

pub use view::{FK_NS, is_web_url};

/// Entries handed to the article-page writer per message.
const ARTICLE_BATCH: usize = 32;

/// The store key of the publisher's saved state.
pub const STATE_KEY: &str = "publish.state";

/// What a publish did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PublishReport {
    /// Files written (created or replaced), relative to the feeds folder, sorted.
    pub written: Vec<String>,
    /// Files rendered again whose bytes did not change (left untouched).
    pub unchanged: usize,
    /// Entries in the publication log.
    pub entries: u64,
    /// RFC 5005 archive pages.
    pub archive_pages: u64,
    /// Absolute URLs of the subscription feeds (top level and tags) whose content changed,
    /// for WebSub pings. Sorted.
    pub changed_feeds: Vec<String>,
    /// Files removed (archive pages beyond the last after a page-size change, feeds of tags
    /// no article carries any more), relative to the feeds folder, sorted.
    pub removed: Vec<String>,
    /// Log entries that could not be read from a damaged database and were left out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<Unreadable>,
    /// With `[publish] target`: what was copied into the bucket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uploaded: Option<upload::UploadReport>,
}

/// A failure of the publisher. I/O errors name the file or folder.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("{path}: {context}: {source}", path = path.display())]
    Io { path: PathBuf, context: &'static str, source: io::Error },
    /// The article-page writer thread stopped (its own error is reported instead when known).
    #[error("the article page writer stopped unexpectedly")]
    WriterStopped,
    /// This publish would take published history away; nothing was changed.
    /// Publishing into object storage failed; the subscription documents there were not
    /// updated past what already exists, and the next publish puts what is missing.
    #[error("{0}; the feeds in the bucket were not brought up to date (retried at the next publish)")]
    Object(#[from] crate::objects::ObjectError),
    #[error("{path}: publishing would shrink the published history ({lost}); nothing was changed. If that is intended, run `feedkeeper publish --allow-shrink`", path = path.display())]
    WouldShrink { path: PathBuf, lost: String },
}

/// The publisher's saved state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SavedState {
    /// [`SiteView::settings_hash`] of the last publish.
    settings: String,
    /// The log length last published.
    last_seq: u64,
    /// The `articles/` folder's modification time after the last publish; any other value
    /// means files there were added or removed by someone else, so they are checked.
    #[serde(default)]
    articles_stamp: Option<String>,
    /// Every tag carried by an article, sorted: kept up to date from the tags each publish
    /// touches, so an incremental publish need not count every tag in the store.
    #[serde(default)]
    tags: Option<Vec<String>>,
    /// A combination of the modification times of every folder the publisher writes (see
    /// [`DirStamps`]): while it matches, no file was added to or removed from them since the
    /// last publish, and the per-file checks for missing files are skipped.
    #[serde(default)]
    dirs_stamp: Option<String>,
    /// [`Marked::digest`] of the last publish: while it matches, the pages of changed and
    /// removed articles and the `removed/` feeds are as they should be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    marked: Option<String>,
    /// The articles marked (changed or removed) at the last publish, whose pages lose their
    /// note when they are marked no more.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    marked_ids: Vec<ArticleId>,
}

/// What one publish renders.
#[derive(Debug, Default)]
struct Plan {
    full: bool,
    /// The subscription documents and `index.html`.
    current: bool,
    /// Archive pages.
    pages: BTreeSet<u64>,
    /// Article pages of the log entries after this sequence number.
    articles_after: Option<u64>,
    /// When set: a pass over the whole log writes the page of every article whose slug is
    /// not in this set (pages found missing on disk).
    articles_present: Option<HashSet<String>>,
    /// Tags whose feeds are rendered (or removed when no article carries them).
    tags: BTreeSet<String>,
    /// The pages of these articles (marked by `refresh` now or at the last publish) and the
    /// `removed/` feeds are rendered.
    marked: Option<BTreeSet<ArticleId>>,
}

impl Plan {
    fn is_empty(&self) -> bool {
        !self.current
            && self.pages.is_empty()
            && self.articles_after.is_none()
            && self.articles_present.is_none()
            && self.tags.is_empty()
            && self.marked.is_none()
    }
}

/// Publishes the archive into `feeds_dir`, and from there into the bucket of
/// `[publish] target` when one is set (see [`upload`]); see the module documentation.
pub fn publish(store: &mut dyn Archive, config: &Config, feeds_dir: &Path) -> Result<PublishReport, PublishError> {
    let bucket = match &config.publish.target {
        Some(target) => Some(crate::objects::Bucket::open(target, &crate::objects::S3Env::from_process())?),
        None => None,
    };
    let mut report = publish_folder(store, config, feeds_dir, bucket.as_ref())?;
    if let Some(bucket) = &bucket {
        let paging = Paging::new(report.entries, SiteView::from_config(config).page_size);
        report.uploaded = Some(upload::upload(store, feeds_dir, bucket, paging)?);
    }
    Ok(report)
}

/// What was published last, as far as the shrink guard knows: the most of what the folder,
/// the bucket (when publishing into one) and the store's record say.
fn published_before(
    store: &dyn Archive,
    feeds_dir: &Path,
    bucket: Option<&crate::objects::Bucket>,
) -> Result<shrink::Published, PublishError> {
    let mut published = shrink::Published::read(feeds_dir);
    if let Some(bucket) = bucket {
        published = published.most(shrink::Published::read_bucket(bucket)?);
    }
    if let Some(text) = store.meta_get(shrink::STORED_KEY)?
        && let Ok(recorded) = serde_json::from_str::<shrink::Published>(&text)
    {
        published = published.most(recorded);
    }
    Ok(published)
}

/// Publishes the archive into the folder `feeds_dir`; `bucket` is where it goes from there,
/// read only by the shrink guard.
fn publish_folder(
    store: &mut dyn Archive,
    config: &Config,
    feeds_dir: &Path,
    bucket: Option<&crate::objects::Bucket>,
) -> Result<PublishReport, PublishError> {
    let site = SiteView::from_config(config);
    let marks = Marked::load(store)?;
    let n = store.log_len()?;
    let paging = Paging::new(n, site.page_size);
    let settings = site.settings_hash();
    let saved = match store.meta_get(STATE_KEY)? {
        Some(text) => serde_json::from_str::<SavedState>(&text).ok(),
        None => None,
    };
    std::fs::create_dir_all(feeds_dir).map_err(|source| PublishError::Io {
        path: feeds_dir.to_path_buf(),
        context: "cannot create the feeds folder",
        source,
    })?;
    let marker = feeds_dir.join(write::IN_PROGRESS);
    if marker.symlink_metadata().is_ok() {
        tracing::info!(path = %marker.display(), "the previous publish was interrupted; removing its temp files");
        write::sweep_temps(feeds_dir);
    } else {
        write::remove_stale_temps(feeds_dir);
    }

    let mut plan = Plan::default();
    let mut tags: BTreeSet<String> = BTreeSet::new();
    let mut dirs = DirStamps::default();
    match &saved {
        Some(s) if s.settings == settings && s.last_seq <= n && s.tags.is_some() => {
            tags.extend(s.tags.iter().flatten().cloned());
            if s.last_seq < n {
                plan.current = true;
                plan.pages.extend(paging.changed_since(s.last_seq));
                plan.articles_after = Some(s.last_seq);
                plan.tags.extend(store.tags_since(s.last_seq)?);
            }
            let old_pages = Paging::new(s.last_seq, site.page_size).pages();
            let mut old = DirStamps::read(feeds_dir, old_pages, &tags);
            if s.dirs_stamp.as_deref() != Some(old.stamp().as_str()) {
                find_missing(&mut plan, feeds_dir, paging, &tags, s)?;
                // Read again: the check removes temp files left by crashed runs.
                old = DirStamps::read(feeds_dir, old_pages, &tags);
                if plan.is_empty() {
                    // Nothing is missing: remember the folders as they are now.
                    let state = SavedState { dirs_stamp: Some(old.stamp()), ..s.clone() };
                    store.meta_set(STATE_KEY, &serde_json::to_string(&state).unwrap_or_default())?;
                }
            }
            dirs = old;
        }
        _ => {
            plan.full = true;
            plan.current = true;
            plan.pages.extend(1..=paging.pages());
            plan.articles_after = Some(0);
            tags.extend(store.tags()?.into_iter().map(|t| t.tag));
            plan.tags.extend(tags.iter().cloned());
        }
    }
    let was_marked = saved.as_ref().map(|s| s.marked_ids.clone()).unwrap_or_default();
    if plan.full || saved.as_ref().and_then(|s| s.marked.clone()) != marks.digest {
        plan.marked = Some(marks.notes.keys().cloned().chain(was_marked).collect());
    }
    let continuous = saved.as_ref().is_some_and(|s| s.last_seq <= n);
    // How far the log is published: entries up to here that cannot be read would be lost.
    let mut published_upto = saved.as_ref().map_or(0, |s| s.last_seq);
    if !config.publish.allow_shrink {
        let published = published_before(store, feeds_dir, bucket)?;
        if let Some(lost) = shrink::lost_entries(&published, n) {
            return Err(PublishError::WouldShrink { path: feeds_dir.to_path_buf(), lost });
        }
        published_upto = published_upto.max(published.entries());
    }
    let mut report = PublishReport { entries: n, archive_pages: paging.pages(), ..PublishReport::default() };
    if plan.is_empty() {
        tracing::debug!(entries = n, "publish: nothing changed");
        return Ok(report);
    }
    // Anything rendered may change what the subscription documents and index show (an empty
    // newest archive page takes its date from them), so they are always rendered with it.
    plan.current = true;
    tracing::info!(entries = n, full = plan.full, pages = plan.pages.len(), tags = plan.tags.len(), "publishing");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    crate::archive::open_regular(&options, &marker).map_err(|source| PublishError::Io {
        path: marker.clone(),
        context: "cannot mark the publish as in progress",
        source,
    })?;

    // Article pages (most of the files) are rendered and staged by a second thread while
    // this one reads the store and writes the feeds.
    let marked_ids: Vec<ArticleId> = marks.notes.keys().cloned().collect::<BTreeSet<_>>().into_iter().collect();
    let digest = marks.digest.clone();
    let marks = marks.with_changes(store)?;
    let mut unreadable = Vec::new();
    let committed = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<LogEntry>>(4);
        let notes = &marks.notes;
        let writer = scope.spawn(|| write_article_pages(&site, feeds_dir, rx, notes));
        let mut r = Renderer::new(&site, paging, feeds_dir, tx);
        if plan.full {
            r.remove_stale(paging, &tags);
        }
        let ran = r.run(store, &plan, &mut tags).and_then(|()| r.run_marked(store, &plan, &marks));
        unreadable = store.take_unreadable();
        let Renderer { mut staging, articles, .. } = r;
        drop(articles);
        let pages = writer.join().unwrap_or_else(|_| Err(PublishError::WriterStopped));
        match (ran, pages) {
            (Ok(()), Ok(pages)) => {
                staging.absorb(pages);
                // Removals the store's own history explains (a retagged article, a new page
                // size) go ahead; without that history (a new, emptied or replaced database)
                // they would cut what subscribers have.
                let removed = if continuous { Vec::new() } else { staging.pending_removals() };
                // Entries already published that a damaged database no longer yields would
                // drop out of the documents rendered again.
                let lost = shrink::lost_files(&removed).or_else(|| shrink::unreadable(&unreadable, published_upto));
                match lost {
                    Some(lost) if !config.publish.allow_shrink => {
                        Err(PublishError::WouldShrink { path: feeds_dir.to_path_buf(), lost })
                    }
                    _ => staging.commit(),
                }
            }
            // The writer's own error explains a stopped channel.
            (Err(PublishError::WriterStopped), Err(e)) | (Ok(()), Err(e)) | (Err(e), _) => Err(e),
        }
    });
    // Committed or cleaned up: either way no temp of this run is left. The marker goes before
    // the folders' stamps are read, since removing it changes the feeds folder's time.
    let _ = std::fs::remove_file(&marker);
    let committed = committed?;

    report.unchanged = committed.unchanged;
    report.changed_feeds = committed.written.iter().filter_map(|rel| feed_url(&site, rel)).collect();
    report.changed_feeds.sort();
    report.written = committed.written;
    report.removed = committed.removed;
    report.unreadable = unreadable;
    // The feeds folder itself changed (the in-progress marker came and went).
    let mut touched: HashSet<String> = HashSet::from([String::new()]);
    for rel in report.written.iter().chain(&report.removed) {
        let mut dir = Path::new(rel);
        while let Some(parent) = dir.parent() {
            touched.insert(parent.to_string_lossy().into_owned());
            dir = parent;
        }
    }
    let dirs_stamp = dirs.update(feeds_dir, paging.pages(), &tags, &touched).stamp();
    let state = SavedState {
        settings,
        last_seq: n,
        articles_stamp: dir_stamp(&feeds_dir.join("articles")),
        tags: Some(tags.into_iter().collect()),
        dirs_stamp: Some(dirs_stamp),
        marked: digest,
        marked_ids,
    };
    let text = serde_json::to_string(&state).unwrap_or_default();
    store.meta_set(STATE_KEY, &text)?;
    let published = serde_json::to_string(&shrink::Published::read(feeds_dir)).unwrap_or_default();
    store.meta_set(shrink::STORED_KEY, &published)?;
    Ok(report)
}

/// The absolute URL of a subscription feed file, or `None` for other files.
fn feed_url(site: &SiteView, rel: &str) -> Option<String> {
    let parts: Vec<&str> = rel.split('/').collect();
    match parts.as_slice() {
        [file] if FEED_FILES.contains(file) => Some(site.url(file)),
        ["tags", tag, file] if FEED_FILES.contains(file) => {
            Some(site.url(&format!("tags/{}/{file}", markup::path_segment(tag))))
        }
        _ => None,
    }
}

/// The modification times of the folders the publisher writes: the feeds folder,
/// `archive/`, `tags/`, `articles/`, each archive page's and each tag's folder. Removing or
/// adding a file changes its folder's time, so an unchanged combination means no file went
/// missing. Combined by XOR of per-folder hashes, so after a publish only the folders it
/// wrote into are looked at again.
#[derive(Debug, Default)]
struct DirStamps {
    parts: std::collections::HashMap<String, u64>,
}

impl DirStamps {
    fn watched(pages: u64, tags: &BTreeSet<String>) -> Vec<String> {
        let mut dirs = vec![String::new(), "archive".to_string(), "tags".to_string(), "articles".to_string()];
        dirs.extend((1..=pages).map(|k| format!("archive/{k}")));
        dirs.extend(tags.iter().map(|t| format!("tags/{}", view::tag_dir_name(t))));
        dirs
    }

    fn part(feeds_dir: &Path, rel: &str) -> u64 {
        let stamp = dir_stamp(&feeds_dir.join(rel)).unwrap_or_default();
        let hash = blake3::hash(format!("{rel}\n{stamp}").as_bytes());
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&hash.as_bytes()[..8]);
        u64::from_le_bytes(bytes)
    }

    /// Reads the times of the folders of a layout with `pages` archive pages and `tags`.
    fn read(feeds_dir: &Path, pages: u64, tags: &BTreeSet<String>) -> DirStamps {
        let parts = Self::watched(pages, tags).into_iter().map(|d| (d.clone(), Self::part(feeds_dir, &d))).collect();
        DirStamps { parts }
    }

    /// The stamps of the new layout: folders written into (`touched`) or new are read again,
    /// the others keep the time read before the publish.
    fn update(mut self, feeds_dir: &Path, pages: u64, tags: &BTreeSet<String>, touched: &HashSet<String>) -> DirStamps {
        let mut parts = std::collections::HashMap::new();
        for dir in Self::watched(pages, tags) {
            let part = match self.parts.remove(&dir) {
                Some(p) if !touched.contains(&dir) => p,
                _ => Self::part(feeds_dir, &dir),
            };
            parts.insert(dir, part);
        }
        DirStamps { parts }
    }

    fn stamp(&self) -> String {
        let x = self.parts.values().fold(0u64, |acc, p| acc ^ p);
        format!("{x:016x}-{}", self.parts.len())
    }
}

/// A folder's modification time as text (`None` when it does not exist).
fn dir_stamp(dir: &Path) -> Option<String> {
    let modified = std::fs::metadata(dir).ok()?.modified().ok()?;
    let d = modified.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(format!("{}.{:09}", d.as_secs(), d.subsec_nanos()))
}

fn is_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// Adds to the plan every document whose files are missing from the feeds folder.
fn find_missing(
    plan: &mut Plan,
    feeds_dir: &Path,
    paging: Paging,
    tags: &BTreeSet<String>,
    saved: &SavedState,
) -> Result<(), PublishError> {
    if [view::ATOM, view::RSS, view::JSON, INDEX].iter().any(|f| !is_file(&feeds_dir.join(f))) {
        plan.current = true;
    }
    for k in 1..=paging.pages() {
        let dir = feeds_dir.join(view::archive_dir(k));
        if FEED_FILES.iter().chain(&[INDEX]).any(|f| !is_file(&dir.join(f))) {
            plan.pages.insert(k);
        }
    }
    for tag in tags {
        let dir = feeds_dir.join(view::tag_dir(tag));
        if [view::ATOM, view::RSS, view::JSON, INDEX].iter().any(|f| !is_file(&dir.join(f))) {
            plan.tags.insert(tag.clone());
        }
    }
    let articles = feeds_dir.join("articles");
    if paging.n > 0 && dir_stamp(&articles) != saved.articles_stamp {
        // Someone else touched the folder: list it, and write every page not there.
        let mut present = HashSet::new();
        if let Ok(entries) = std::fs::read_dir(&articles) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let Some(name) = name.to_str() else { continue };
                if write::is_temp_name(name) {
                    let _ = std::fs::remove_file(entry.path());
                } else if let Some(slug) = name.strip_suffix(".html") {
                    present.insert(slug.to_string());
                }
            }
        }
        plan.articles_present = Some(present);
    }
    Ok(())
}

/// The article-page writer thread: renders each entry's page and stages it. A later version
/// of the same article replaces the earlier one in the staging.
fn write_article_pages(
    site: &SiteView,
    feeds_dir: &Path,
    batches: Receiver<Vec<LogEntry>>,
    notes: &HashMap<ArticleId, marked::PageNote>,
) -> Result<Staging, PublishError> {
    let mut staging = Staging::new(feeds_dir);
    let mut buf = String::with_capacity(1 << 14);
    for entry in batches.into_iter().flatten() {
        let view = EntryView::new(site, entry.version, &entry.article);
        buf.clear();
        html::article_page(&mut buf, site, &view, notes.get(&entry.article.id));
        staging.put(&SiteView::article_rel(&view.slug), Class::ArticlePage, 0, buf.as_bytes())?;
    }
    Ok(staging)
}

/// One entry rendered in the three feed formats (and for `index.html` when current).
struct Rendered {
    id: ArticleId,
    updated: DateTime<Utc>,
    /// The date readers sort by ([`crate::article::Article::date`]).
    date: DateTime<Utc>,
    atom: String,
    rss: String,
    json: String,
    index: String,
}

/// The entries of one document being collected, in log order.
struct DocBuffer {
    page: u64,
    entries: Vec<Rendered>,
}

struct Renderer<'a> {
    site: &'a SiteView,
    paging: Paging,
    staging: Staging,
    /// Entries whose article pages the writer thread renders and stages, sent in batches.
    articles: SyncSender<Vec<LogEntry>>,
    pending: Vec<LogEntry>,
    /// Rendered entries of flushed pages, kept to reuse their buffers.
    spare: Vec<Rendered>,
    buf: String,
    page: Option<DocBuffer>,
    current: Vec<Rendered>,
    flushed: BTreeSet<u64>,
}

/// Sorted, merged ranges.
fn merge(mut ranges: Vec<RangeInclusive<u64>>) -> Vec<RangeInclusive<u64>> {
    ranges.retain(|r| !r.is_empty());
    ranges.sort_by_key(|r| *r.start());
    let mut out: Vec<RangeInclusive<u64>> = Vec::new();
    for r in ranges {
        match out.last_mut() {
            Some(last) if *r.start() <= last.end().saturating_add(1) => {
                *last = *last.start()..=(*last.end()).max(*r.end());
            }
            _ => out.push(r),
        }
    }
    out
}

/// The newest `updated` of the entries a document keeps (newest version of each id), with
/// the entries in document order (newest seq first).
fn kept(entries: &[Rendered]) -> (Vec<&Rendered>, Option<DateTime<Utc>>) {
    let mut seen: HashSet<&ArticleId> = HashSet::with_capacity(entries.len());
    let mut out = Vec::with_capacity(entries.len());
    let mut updated: Option<DateTime<Utc>> = None;
    for e in entries.iter().rev() {
        if seen.insert(&e.id) {
            updated = Some(updated.map_or(e.updated, |u| u.max(e.updated)));
            out.push(e);
        }
    }
    (out, updated)
}

/// The order of every document a reader or person subscribes to or looks at (the
/// subscription documents, tag feeds, `index.html`, tag pages): newest first by
/// [`crate::article::Article::date`] (published, else updated), ties by id, so consumers that
/// read only the first entries see the newest. Archive pages are sorted the same way within
/// their membership, which is cut from the log by sequence and never changes.
fn newest_first(entries: &mut [&Rendered]) {
    entries.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.id.as_str().cmp(b.id.as_str())));
}

/// The date of an empty document when nothing else gives one.
fn epoch() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

impl<'a> Renderer<'a> {
    fn new(site: &'a SiteView, paging: Paging, feeds_dir: &Path, articles: SyncSender<Vec<LogEntry>>) -> Renderer<'a> {
        Renderer {
            site,
            paging,
            staging: Staging::new(feeds_dir),
            articles,
            pending: Vec::with_capacity(ARTICLE_BATCH),
            spare: Vec::new(),
            buf: String::with_capacity(1 << 16),
            page: None,
            current: Vec::new(),
            flushed: BTreeSet::new(),
        }
    }

    /// Renders everything the plan asks for; `tags` (every tag) is brought up to date with
    /// the tags rendered.
    fn run(&mut self, store: &dyn Archive, plan: &Plan, tags: &mut BTreeSet<String>) -> Result<(), PublishError> {
        let n = self.paging.n;
        // Pages found missing first, so that the newest versions written below win.
        if let Some(present) = &plan.articles_present {
            self.each_entry(store, 1..=n, &mut |r, entry| {
                let slug = entry.article.id.slug();
                if present.contains(&slug) { Ok(()) } else { r.article_page(entry) }
            })?;
        }
        let mut ranges = Vec::new();
        if plan.current {
            ranges.push(self.paging.current());
        }
        for &k in &plan.pages {
            ranges.push(self.paging.page_range(k));
        }
        if let Some(after) = plan.articles_after {
            ranges.push((after + 1)..=n);
        }
        for range in merge(ranges) {
            self.each_entry(store, range, &mut |r, entry| r.entry(plan, entry))?;
        }
        self.send_articles()?;
        self.flush_page()?;
        // The current documents' date, which an empty newest archive page borrows.
        let current_updated = kept(&self.current).1.unwrap_or_else(epoch);
        for &k in &plan.pages {
            if !self.flushed.contains(&k) {
                self.write_page(k, &[], current_updated)?;
            }
        }
        for tag in &plan.tags {
            let entries = store.tag_entries(tag, self.site.page_size)?;
            if entries.is_empty() {
                tags.remove(tag);
            } else {
                tags.insert(tag.clone());
            }
            self.write_tag(tag, &entries, plan.full)?;
        }
        if plan.current {
            let tags: Vec<String> = tags.iter().cloned().collect();
            self.write_current(&tags)?;
        }
        Ok(())
    }

    /// Calls `f` for each log entry in `range`, carrying the publisher's errors through the
    /// store's visitor.
    fn each_entry(
        &mut self,
        store: &dyn Archive,
        range: RangeInclusive<u64>,
        f: &mut dyn FnMut(&mut Self, LogEntry) -> Result<(), PublishError>,
    ) -> Result<(), PublishError> {
        if range.is_empty() {
            return Ok(());
        }
        let mut failed: Option<PublishError> = None;
        let root = self.staging.root().to_path_buf();
        let result = store.log_range(*range.start(), *range.end(), &mut |entry| match f(self, entry) {
            Ok(()) => Ok(()),
            Err(e) => {
                failed = Some(e);
                Err(ArchiveError::Corrupt {
                    path: root.clone(),
                    what: "publish".into(),
                    detail: "stopped after an error".into(),
                })
            }
        });
        match (failed, result) {
            (Some(e), _) => Err(e),
            (None, Err(e)) => Err(e.into()),
            (None, Ok(())) => Ok(()),
        }
    }

    fn entry(&mut self, plan: &Plan, entry: LogEntry) -> Result<(), PublishError> {
        let seq = entry.seq;
        let in_current = plan.current && self.paging.current().contains(&seq);
        let page = self.paging.page_of(seq).filter(|k| plan.pages.contains(k));
        if in_current || page.is_some() {
            let rendered = self.render(&entry, if in_current { "" } else { "../../" });
            if in_current {
                self.current.push(rendered);
            } else if let Some(k) = page {
                if self.page.as_ref().is_some_and(|p| p.page != k) {
                    self.flush_page()?;
                }
                let buffer = self.page.get_or_insert_with(|| DocBuffer { page: k, entries: Vec::new() });
                buffer.entries.push(rendered);
                if seq == *self.paging.page_range(k).end() {
                    self.flush_page()?;
                }
            }
        }
        if plan.articles_after.is_some_and(|after| seq > after) {
            self.article_page(entry)?;
        }
        Ok(())
    }

    /// One entry in the three feed formats and for an HTML listing whose folder `root` leads
    /// back to the feeds folder from.
    fn render(&mut self, entry: &LogEntry, root: &str) -> Rendered {
        let view = EntryView::new(self.site, entry.version, &entry.article);
        let mut rendered = match self.spare.pop() {
            Some(mut r) => {
                r.id = entry.article.id.clone();
                r.updated = entry.article.updated;
                r.date = entry.article.date();
                r.atom.clear();
                r.rss.clear();
                r.json.clear();
                r.index.clear();
                r
            }
            None => {
                let size = entry.article.content.html.len() + entry.article.content.html.len() / 8 + 1536;
                Rendered {
                    id: entry.article.id.clone(),
                    updated: entry.article.updated,
                    date: entry.article.date(),
                    atom: String::with_capacity(size),
                    rss: String::with_capacity(size),
                    json: String::with_capacity(size),
                    index: String::new(),
                }
            }
        };
        let content = markup::escape(&entry.article.content.html);
        atom::entry(&mut rendered.atom, self.site, &view, &content);
        rss::item(&mut rendered.rss, self.site, &view, &content);
        json::item(&mut rendered.json, self.site, &view);
        html::index_entry(&mut rendered.index, root, &view);
        rendered
    }

    /// Hands an entry to the article-page writer thread.
    fn article_page(&mut self, entry: LogEntry) -> Result<(), PublishError> {
        self.pending.push(entry);
        if self.pending.len() >= ARTICLE_BATCH { self.send_articles() } else { Ok(()) }
    }

    fn send_articles(&mut self) -> Result<(), PublishError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.pending, Vec::with_capacity(ARTICLE_BATCH));
        // A closed channel means the writer stopped on an error, which `publish` reports.
        self.articles.send(batch).map_err(|_| PublishError::WriterStopped)
    }

    fn flush_page(&mut self) -> Result<(), PublishError> {
        if let Some(buffer) = self.page.take() {
            // A page with entries dates itself; the fallback is never used.
            self.write_page(buffer.page, &buffer.entries, epoch())?;
            self.spare.extend(buffer.entries);
        }
        Ok(())
    }

    fn write_page(&mut self, k: u64, entries: &[Rendered], empty_updated: DateTime<Utc>) -> Result<(), PublishError> {
        let (mut kept, updated) = kept(entries);
        newest_first(&mut kept);
        let pages = self.paging.pages();
        let kind = DocKind::Archive { page: k, pages };
        let head = DocHead::new(self.site, kind, updated.unwrap_or(empty_updated));
        self.write_feeds(&head, &kept, Class::ArchivePage, u64::MAX - k)?;
        // The page for people: its entries, and links to the pages before and after it (a
        // full page always has both, so its bytes never change).
        self.buf.clear();
        html::index_head(&mut self.buf, self.site, &head);
        kept.iter().for_each(|e| self.buf.push_str(&e.index));
        html::archive_nav(&mut self.buf, k, pages);
        let extras = html::IndexExtras { tags: &[], pages: 0, entries: 0 };
        html::index_foot(&mut self.buf, &head, kept.is_empty(), &extras);
        self.staging.put(&format!("{}{INDEX}", head.dir), Class::ArchivePage, u64::MAX - k, self.buf.as_bytes())?;
        self.flushed.insert(k);
        Ok(())
    }

    /// Writes a document's three feed files.
    fn write_feeds(
        &mut self,
        head: &DocHead,
        kept: &[&Rendered],
        class: Class,
        order: u64,
    ) -> Result<(), PublishError> {
        let site = self.site;
        for file in FEED_FILES {
            self.buf.clear();
            match file {
                view::ATOM => {
                    atom::head(&mut self.buf, site, head);
                    kept.iter().for_each(|e| self.buf.push_str(&e.atom));
                    atom::foot(&mut self.buf);
                }
                view::RSS => {
                    rss::head(&mut self.buf, site, head);
                    kept.iter().for_each(|e| self.buf.push_str(&e.rss));
                    rss::foot(&mut self.buf);
                }
                _ => {
                    json::head(&mut self.buf, site, head);
                    for (i, e) in kept.iter().enumerate() {
                        if i > 0 {
                            self.buf.push_str(json::SEPARATOR);
                        }
                        self.buf.push_str(&e.json);
                    }
                    json::foot(&mut self.buf);
                }
            }
            let rel = format!("{}{file}", head.dir);
            self.staging.put(&rel, class, order, self.buf.as_bytes())?;
        }
        Ok(())
    }

    fn write_current(&mut self, tags: &[String]) -> Result<(), PublishError> {
        let current = std::mem::take(&mut self.current);
        let (mut kept, updated) = kept(&current);
        newest_first(&mut kept);
        let head = DocHead::new(self.site, DocKind::Current, updated.unwrap_or_else(epoch))
            .with_prev_archive(self.paging.pages());
        self.write_feeds(&head, &kept, Class::Feed, 0)?;
        self.buf.clear();
        html::index_head(&mut self.buf, self.site, &head);
        kept.iter().for_each(|e| self.buf.push_str(&e.index));
        let extras = html::IndexExtras { tags, pages: self.paging.pages(), entries: self.paging.n };
        html::index_foot(&mut self.buf, &head, kept.is_empty(), &extras);
        self.staging.put(INDEX, Class::Index, 0, self.buf.as_bytes())
    }

    /// The pages of the articles `refresh` marked (now or at the last publish), and the
    /// `removed/` feeds: newest takedown first, each entry dated by its takedown and opening
    /// with the notice. Written once an article was ever removed (an archive without
    /// takedowns has no `removed/` folder).
    fn run_marked(&mut self, store: &dyn Archive, plan: &Plan, marks: &Marked) -> Result<(), PublishError> {
        let Some(ids) = &plan.marked else { return Ok(()) };
        for id in ids {
            if let Some(entry) = Marked::current_entry(store, id)? {
                self.article_page(entry)?;
            }
        }
        self.send_articles()?;
        let dir = view::removed_dir();
        if marks.removed.is_empty() && !self.staging.root().join(dir).is_dir() {
            return Ok(());
        }
        let mut rendered = Vec::with_capacity(marks.removed.len());
        for state in marks.removed.iter().take(self.site.page_size) {
            let Some(mut entry) = Marked::current_entry(store, &state.article_id)? else { continue };
            let mut notice = String::new();
            html::removal_notice(&mut notice, &state.since, state.evidence.as_ref());
            entry.article.content.html.insert_str(0, &notice);
            entry.article.updated = entry.article.updated.max(state.since);
            let mut r = self.render(&entry, "../");
            r.date = state.since;
            rendered.push(r);
        }
        let (mut kept, updated) = kept(&rendered);
        newest_first(&mut kept);
        let head = DocHead::new(self.site, DocKind::Removed, updated.unwrap_or_else(epoch));
        self.write_feeds(&head, &kept, Class::TagFeed, 0)
    }

    fn write_tag(&mut self, tag: &str, entries: &[LogEntry], full: bool) -> Result<(), PublishError> {
        let dir = view::tag_dir(tag);
        if entries.is_empty() {
            // No article carries the tag any more: its feeds go (a full publish removes
            // such folders in `remove_stale`).
            if !full {
                for file in [view::ATOM, view::RSS, view::JSON, INDEX] {
                    self.staging.remove_later(format!("{dir}{file}"));
                }
            }
            return Ok(());
        }
        let mut rendered = Vec::with_capacity(entries.len());
        for entry in entries.iter().rev() {
            let view = EntryView::new(self.site, entry.version, &entry.article);
            let mut r = Rendered {
                id: entry.article.id.clone(),
                updated: entry.article.updated,
                date: entry.article.date(),
                atom: String::new(),
                rss: String::new(),
                json: String::new(),
                index: String::new(),
            };
            let content = markup::escape(&entry.article.content.html);
            atom::entry(&mut r.atom, self.site, &view, &content);
            rss::item(&mut r.rss, self.site, &view, &content);
            json::item(&mut r.json, self.site, &view);
            html::index_entry(&mut r.index, "../../", &view);
            rendered.push(r);
        }
        let (mut kept, updated) = kept(&rendered);
        newest_first(&mut kept);
        let head = DocHead::new(self.site, DocKind::Tag { tag: tag.to_string() }, updated.unwrap_or_else(epoch));
        self.write_feeds(&head, &kept, Class::TagFeed, 0)?;
        self.buf.clear();
        html::index_head(&mut self.buf, self.site, &head);
        kept.iter().for_each(|e| self.buf.push_str(&e.index));
        let extras = html::IndexExtras { tags: &[], pages: 0, entries: 0 };
        html::index_foot(&mut self.buf, &head, kept.is_empty(), &extras);
        self.staging.put(&format!("{dir}{INDEX}"), Class::TagIndex, 0, self.buf.as_bytes())
    }

    /// Before a full render: archive pages beyond the last and feeds of tags no article
    /// carries are marked for removal (only the files the publisher writes; other files
    /// stay), and temp files of crashed runs are removed.
    fn remove_stale(&mut self, paging: Paging, tags: &BTreeSet<String>) {
        let root = self.staging.root().to_path_buf();
        let list = |dir: &Path| -> Vec<String> {
            std::fs::read_dir(dir)
                .map(|it| it.flatten().filter_map(|e| e.file_name().to_str().map(str::to_string)).collect())
                .unwrap_or_default()
        };
        for name in list(&root.join("archive")) {
            let stale = name.parse::<u64>().is_ok_and(|k| k == 0 || k > paging.pages());
            if stale {
                for file in FEED_FILES.iter().chain(&[INDEX]) {
                    self.staging.remove_later(format!("archive/{name}/{file}"));
                }
            }
        }
        let live: HashSet<String> = tags.iter().map(|t| view::tag_dir_name(t)).collect();
        for name in list(&root.join("tags")) {
            if !live.contains(&name) {
                for file in [view::ATOM, view::RSS, view::JSON, INDEX] {
                    self.staging.remove_later(format!("tags/{name}/{file}"));
                }
            }
        }
        write::sweep_temps(&root);
    }
}
