//! The order of steps for each command that changes the archive (`import`, `publish`,
//! `check`, `run`, `add`, `sources import`, `sources backfill`, `export`), and the reports they return. This is the one module that uses many
//! siblings; the steps themselves live in their own modules and know nothing of each other.
//!
//! It takes the archive lock for every writing command, reports progress through the
//! [`Progress`] trait (the binary draws it on a terminal only), and turns per-item failures
//! into report lines rather than aborting: one bad file never stops an import. It prints
//! nothing itself.

mod add;
mod apply;
mod backfill;
mod check;
mod decide;
mod error;
mod exit;
mod export;
mod harvest;
pub mod human;
mod migrate;
mod net;
mod page;
mod parallel;
mod plan;
mod report;
mod sources;
mod watch;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::archive::{ArchiveDir, ListQuery, PutOutcome, SearchHit, Store, StoredArticle, Unreadable};
use crate::article::{Article, ArticleId};
use crate::config::Config;
use crate::import;
use crate::publish::{self, PublishReport};
use crate::websub::{PingFailure, PingReport};

pub use add::{AddReport, add};
pub use backfill::{BackfillOptions, BackfillReport, DEFAULT_PAGES, PageReport, Stop, Via, backfill};
pub use check::{CheckOptions, check, check_with};
pub use error::{PageError, PipelineError};
pub use exit::ExitStatus;
pub use export::{ExportOptions, export_wacz};
pub use migrate::migrate;
pub use net::{CONCURRENCY, fetch_config};
pub use report::{CheckReport, DecisionView, Outcome, PageOverBudget, RunReport, SourceReport};
pub use sources::{SourceHealth, SourcesImportReport, sources, sources_export, sources_import};
pub use watch::{CycleReport, LOCK_RETRY, MAX_FAILED_CYCLES, WATCH_LOCK_FILE, WatchOptions, WatchSummary, watch};

/// Progress of long work. The binary draws a bar on a terminal; tests and cron see nothing.
pub trait Progress {
    /// A phase begins, with the number of steps when known.
    fn start(&self, label: &str, total: Option<u64>);
    /// One step of the current phase is done.
    fn step(&self, message: &str);
    /// The current phase is over.
    fn finish(&self);
}

/// A [`Progress`] that shows nothing.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: &str, _: Option<u64>) {}
    fn step(&self, _: &str) {}
    fn finish(&self) {}
}

/// A file that could not be imported, and why.
#[derive(Debug, Clone, Serialize)]
pub struct FileFailure {
    pub path: String,
    pub reason: String,
}

/// What `import` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub files: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub duplicates: usize,
    pub failed: Vec<FileFailure>,
    /// Each file some lines or paragraphs of which were left out of its article (page
    /// debris, doubled lines, captions), with how many and a sample.
    pub removed: Vec<import::Removed>,
    /// Set when archiving stopped part-way (a full disk, a damaged database): the batches
    /// before it are committed and stay; the command still fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<ImportStopped>,
}

/// How far an import got before a batch could not be committed.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("committed {committed} of {of} articles before: {error}")]
pub struct ImportStopped {
    /// Articles committed (added, updated, unchanged or duplicate) before the failure.
    pub committed: usize,
    /// Articles read from the files.
    pub of: usize,
    /// Why the next batch was not committed.
    pub error: String,
}

/// Imports files and folders into the archive. Files are read in path order, on every core,
/// then archived in order of their dates (then path), so a folder imported at once pages
/// chronologically; memory stays bounded whatever the number of files
/// ([`import::batch::chronological`]). Unreadable files are reported and skipped; the rest
/// are archived a batch (one transaction) at a time. A batch that cannot be committed ends
/// the import with the report saying how many articles were committed before it
/// ([`ImportReport::stopped`]).
pub fn import(
    config: &Config,
    paths: &[PathBuf],
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> Result<ImportReport, PipelineError> {
    let dir = ArchiveDir::of(config);
    let _lock = dir.lock()?;
    let files = import::discover(paths)?;
    let mut report = ImportReport { files: files.len(), ..ImportReport::default() };
    let mut store = dir.open()?;
    progress.start("importing", Some(files.len() as u64));
    let mut failed = Vec::new();
    let mut removed = Vec::new();
    let mut outcomes = (0, 0, 0, 0);
    let stored = import::batch::chronological(
        &files,
        now,
        |step| match step {
            import::batch::Step::Read(path, removals) => {
                removed.extend(import::Removed::summarise(path, removals));
                progress.step(&path.display().to_string())
            }
            import::batch::Step::Failed(path, e) => {
                failed.push(FileFailure { path: path.display().to_string(), reason: e.to_string() })
            }
        },
        |batch| {
            let items: Vec<_> = batch.into_iter().map(|i| (i.article, i.keys)).collect();
            for outcome in store.put_all(&items)? {
                match outcome {
                    PutOutcome::Added { .. } => outcomes.0 += 1,
                    PutOutcome::Updated { .. } => outcomes.1 += 1,
                    PutOutcome::Unchanged { .. } => outcomes.2 += 1,
                    PutOutcome::Duplicate { .. } => outcomes.3 += 1,
                }
            }
            Ok::<_, PipelineError>(())
        },
    );
    progress.finish();
    (report.added, report.updated, report.unchanged, report.duplicates) = outcomes;
    if let Err(e) = stored {
        report.stopped = Some(ImportStopped {
            committed: outcomes.0 + outcomes.1 + outcomes.2 + outcomes.3,
            of: report.files.saturating_sub(failed.len()),
            error: e.to_string(),
        });
    }
    report.failed = failed;
    report.removed = removed;
    Ok(report)
}

/// What `publish` did: the files, and the WebSub hub's answer when feeds changed.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    #[serde(flatten)]
    pub report: PublishReport,
    /// `None` when no hub is configured or no subscription feed changed.
    pub websub: Option<PingReport>,
}

/// Publishes the feeds from the archive under the archive lock, then (with the lock
/// released) tells the WebSub hub about the feeds that changed.
pub fn publish(config: &Config, progress: &dyn Progress) -> Result<Published, PipelineError> {
    let report = {
        let dir = ArchiveDir::of(config);
        let _lock = dir.lock()?;
        let mut store = dir.open()?;
        publish_showing(store.as_mut(), config, progress)?
    };
    let websub = notify_hub(config, &report.changed_feeds);
    Ok(Published { report, websub })
}

/// `run`: under one archive lock, `check` then `publish`; then, with the lock released,
/// the WebSub pings for the feeds that changed.
pub fn run(config: &Config, now: DateTime<Utc>, progress: &dyn Progress) -> Result<RunReport, PipelineError> {
    let (check, published) = {
        let dir = ArchiveDir::of(config);
        let _lock = dir.lock()?;
        let mut store = dir.open()?;
        let check = check_with(config, store.as_mut(), &dir, &CheckOptions::default(), now, progress)?;
        let published = publish_showing(store.as_mut(), config, progress)?;
        (check, published)
    };
    let websub = notify_hub(config, &published.changed_feeds);
    Ok(RunReport { check, published, websub })
}

/// [`publish::publish`] into the configured feeds folder, shown on `progress` as one
/// phase without steps (its cost is mostly the file system's).
pub(crate) fn publish_showing(
    store: &mut dyn Store,
    config: &Config,
    progress: &dyn Progress,
) -> Result<PublishReport, PipelineError> {
    progress.start("publishing", None);
    let report = publish::publish(store, config, &config.feeds_dir());
    progress.finish();
    Ok(report?)
}

/// Tells `[publish] hub` about each feed in `changed` (`PublishReport::changed_feeds`), one
/// `hub.mode=publish` ping each. `None` when no hub is set or nothing changed. A hub that
/// fails is in the report (and logged), never an error: the feeds are published either way.
pub fn notify_hub(config: &Config, changed: &[String]) -> Option<PingReport> {
    let hub = config.publish.hub.0.as_ref()?;
    if changed.is_empty() {
        return None;
    }
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return Some(all_failed(hub.as_str(), changed, &format!("cannot start the async runtime: {e}"))),
    };
    rt.block_on(notify_hub_on(config, None, changed))
}

/// [`notify_hub`] on a running runtime, with the caller's fetcher when it has one.
pub(crate) async fn notify_hub_on(
    config: &Config,
    fetcher: Option<&crate::fetch::Fetcher>,
    changed: &[String],
) -> Option<PingReport> {
    let hub = config.publish.hub.0.as_ref()?;
    if changed.is_empty() {
        return None;
    }
    let own;
    let fetcher = match fetcher {
        Some(f) => f,
        None => match crate::fetch::Fetcher::new(fetch_config(config)) {
            Ok(f) => {
                own = f;
                &own
            }
            Err(e) => return Some(all_failed(hub.as_str(), changed, &e.to_string())),
        },
    };
    Some(crate::websub::ping(fetcher, hub.as_str(), changed).await)
}

fn all_failed(hub: &str, feeds: &[String], error: &str) -> PingReport {
    PingReport {
        hub: hub.to_string(),
        pinged: Vec::new(),
        failed: feeds.iter().map(|f| PingFailure { feed: f.clone(), error: error.to_string() }).collect(),
    }
}

/// `serve`: serves the feeds folder on `listen` until `shutdown` completes.
pub fn serve(
    config: &Config,
    listen: std::net::SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), PipelineError> {
    let root = config.feeds_dir();
    if !root.exists() {
        return Err(PipelineError::Refused {
            path: root,
            message: "no feeds folder yet: run `feedkeeper publish` (or `run`) first".into(),
        });
    }
    let rt = net::runtime()?;
    let opts = crate::serve::ServeOptions { root, listen };
    Ok(rt.block_on(crate::serve::serve(opts, shutdown))?)
}

/// What [`init`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Initialised {
    /// Wrote a commented config and created its archive and feeds folders.
    Created { config: PathBuf, archive: PathBuf },
    /// The config was there; created the archive it names, which was missing or empty.
    ArchiveCreated { archive: PathBuf },
}

/// `init`: writes a commented config at `config` (never overwriting one) and creates the
/// archive (an empty database) and the feeds folder it names. Where the config already
/// exists, it creates only the archive, and only when that is missing or an empty file:
/// `init` is the one command that creates an archive, so that every other command can
/// refuse a missing one (an archive volume that is not mounted) instead of starting over.
pub fn init(config: &Path) -> Result<Initialised, PipelineError> {
    let io =
        |path: &Path, e: std::io::Error| PipelineError::Refused { path: path.to_path_buf(), message: e.to_string() };
    let dir = config.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let wrote = match std::fs::OpenOptions::new().write(true).create_new(true).open(config) {
        Ok(mut file) => {
            std::io::Write::write_all(&mut file, crate::config::TEMPLATE.as_bytes()).map_err(|e| io(config, e))?;
            true
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
        Err(e) => return Err(io(config, e)),
    };
    let loaded = crate::config::load(config)?;
    let archive = ArchiveDir::of(&loaded);
    if !wrote && archive.state() == crate::archive::ArchiveState::Present {
        return Err(PipelineError::Refused {
            path: config.to_path_buf(),
            message: format!(
                "already exists, and so does its archive {}; not overwriting them",
                archive.location().display()
            ),
        });
    }
    archive.create()?;
    let feeds = loaded.feeds_dir();
    std::fs::create_dir_all(&feeds).map_err(|e| io(&feeds, e))?;
    Ok(if wrote {
        Initialised::Created { config: config.to_path_buf(), archive: archive.location() }
    } else {
        Initialised::ArchiveCreated { archive: archive.location() }
    })
}

/// One article as `list --json` prints it: id, title, URL, dates, authors, source, tags and
/// summary.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleView {
    pub id: String,
    pub title: String,
    /// The original URL, else the article's page in the published archive.
    pub url: String,
    /// RFC 3339; the updated date when the article has no publication date.
    pub published: String,
    pub updated: String,
    pub authors: Vec<String>,
    pub source: Option<String>,
    pub tags: Vec<String>,
    pub summary: Option<String>,
}

impl ArticleView {
    pub fn new(article: &Article, config: &Config) -> ArticleView {
        ArticleView {
            id: article.id.to_string(),
            title: article.title.clone(),
            url: article.url.clone().unwrap_or_else(|| article_page_url(config, &article.id)),
            published: crate::date::rfc3339(&article.date()),
            updated: crate::date::rfc3339(&article.updated),
            authors: article.authors.iter().map(|p| p.name.clone()).collect(),
            source: article.source_name().map(str::to_string),
            tags: article.tags.clone(),
            summary: article.summary.clone(),
        }
    }
}

/// The URL of an article's page in the published archive.
pub fn article_page_url(config: &Config, id: &ArticleId) -> String {
    format!("{}articles/{}.html", config.site.base_url.0, id.slug())
}

/// What a read command (`list`, `show`, `search`) found, and the rows of a damaged archive
/// it could not read and left out, each named.
#[derive(Debug, Clone)]
pub struct Found<T> {
    pub found: T,
    pub unreadable: Vec<Unreadable>,
}

impl<T> Found<T> {
    fn from_store(found: T, store: &dyn crate::archive::Archive) -> Found<T> {
        Found { found, unreadable: store.take_unreadable() }
    }
}

/// `list`: articles newest first.
pub fn list(config: &Config, query: &ListQuery) -> Result<Found<Vec<ArticleView>>, PipelineError> {
    let store = ArchiveDir::of(config).open_read()?;
    let query = ListQuery { tag: query.tag.as_deref().and_then(crate::article::normalise_tag), limit: query.limit };
    let views = store.list(&query)?.iter().map(|a| ArticleView::new(a, config)).collect();
    Ok(Found::from_store(views, &*store))
}

/// `show ID`: one article with its history. `ID` may be the full id, the uuid without
/// `urn:uuid:`, or any unique prefix of either.
pub fn show(config: &Config, given: &str) -> Result<Found<StoredArticle>, PipelineError> {
    let store = ArchiveDir::of(config).open_read()?;
    let given = given.trim();
    let mut candidates = store.ids_with_prefix(given, 5)?;
    if candidates.is_empty() && !given.contains(':') {
        candidates = store.ids_with_prefix(&format!("urn:uuid:{given}"), 5)?;
    }
    let id = match candidates.as_slice() {
        [] => return Err(PipelineError::NotFound(given.to_string())),
        [one] => one.clone(),
        many => match many.iter().find(|id| id.as_str() == given) {
            Some(exact) => exact.clone(),
            None => {
                return Err(PipelineError::Ambiguous {
                    given: given.to_string(),
                    candidates: many.iter().map(ToString::to_string).collect(),
                });
            }
        },
    };
    let stored = store.get(&id)?.ok_or_else(|| PipelineError::NotFound(given.to_string()))?;
    Ok(Found::from_store(stored, &*store))
}

/// One search hit as `search --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct SearchView {
    #[serde(flatten)]
    pub article: ArticleView,
    pub score: f64,
    pub snippet: String,
}

/// `search QUERY`: best first.
pub fn search(config: &Config, query: &str, limit: usize) -> Result<Found<Vec<SearchView>>, PipelineError> {
    let store = ArchiveDir::of(config).open_read()?;
    let hits: Vec<SearchHit> = store.search(query, limit)?;
    let views = hits
        .iter()
        .map(|h| SearchView {
            article: ArticleView::new(&h.article, config),
            score: h.score,
            snippet: h.snippet.clone(),
        })
        .collect();
    Ok(Found::from_store(views, &*store))
}
