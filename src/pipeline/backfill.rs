//! `sources backfill NAME`: walk a source's history and archive its related items, and the
//! once-only walk that `backfill = true` asks for when a source is first polled.
//!
//! The walk starts at the source's feed and follows, page after page, RFC 5005
//! `prev-archive` (archived feeds), else `next` (paged feeds, JSON Feed `next_url`), else —
//! when the first page names neither — WordPress's `?paged=N`. Each page is polled by the
//! same fetcher as `check` (timeouts, size cap, redirect limit, per-host slots) and goes
//! through the same phases ([`apply::apply_runs`](super::apply::apply_runs): stored
//! decisions, scoring, page fetches, extraction, WARC capture, dedup), one page at a time
//! so memory stays bounded by a page. An address taken from a document on another host
//! than the source's is guarded like an item link (no private addresses unless
//! `allow_private`). The walk ends at the page limit, at a page that links back to one
//! already walked (a loop), at a page whose items repeat an earlier page's, at a page after
//! the first with no new items, or at a page that fails — each named in the report. The
//! source's poll state (validators, schedule) is left as it was: history pages say nothing
//! about the feed's present. Nothing is printed here.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use url::Url;

use super::apply::{self, Deciding, Mode};
use super::decide::SourceRun;
use super::net::{Net, fetch_config, runtime};
use super::report::DecisionView;
use super::{PipelineError, Progress, page, plan};
use crate::archive::{Archive, ArchiveDir};
use crate::config::{Config, Source};
use crate::fetch::{FetchError, FetchRequest, Fetcher};
use crate::upstream::{self, History, PollError, PollOutcome};

/// Pages walked when `--pages` is not given, and by `backfill = true`.
pub const DEFAULT_PAGES: usize = 10;
/// The saved-state key (plus the source name) that remembers a finished walk.
const DONE_KEY: &str = "backfill.done.";

/// Flags of `sources backfill`.
#[derive(Debug, Clone)]
pub struct BackfillOptions {
    /// Pages fetched at most, the feed itself included.
    pub pages: usize,
    /// Decide and report; archive nothing, change no state.
    pub dry_run: bool,
}

impl Default for BackfillOptions {
    fn default() -> Self {
        BackfillOptions { pages: DEFAULT_PAGES, dry_run: false }
    }
}

/// How a page was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// The source's own feed.
    Start,
    /// RFC 5005 `rel="prev-archive"`.
    PrevArchive,
    /// RFC 5005 paged feed `rel="next"` (JSON Feed `next_url`).
    Next,
    /// WordPress `?paged=N`.
    Paged,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Start => "feed",
            Via::PrevArchive => "prev-archive",
            Via::Next => "next",
            Via::Paged => "paged",
        }
    }
}

/// One page of the walk.
#[derive(Debug, Clone, Serialize)]
pub struct PageReport {
    pub url: String,
    pub via: Via,
    /// Items on the page.
    pub seen: usize,
    /// Of those, items not decided before (in an earlier poll or an earlier page).
    pub new: usize,
    pub kept: usize,
    /// Articles added or given a new version from this page.
    pub archived: usize,
    /// Why the page could not be read.
    pub error: Option<String>,
    pub decisions: Vec<DecisionView>,
}

/// Why the walk ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Stop {
    /// The last page links to no older one (or WordPress has no page N).
    NoMorePages,
    /// `--pages` pages were walked; `next` was not fetched.
    PageLimit { next: String },
    /// `url` links back to a page already walked.
    Loop { url: String },
    /// The page at `url` carries the same items as the page at `same_as`.
    Repeated { url: String, same_as: String },
    /// The page at `url` brought nothing not decided before.
    NoNewItems { url: String },
    /// The page at `url` could not be fetched or read.
    Failed { url: String, error: String },
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::NoMorePages => f.write_str("no older page"),
            Stop::PageLimit { next } => write!(f, "page limit reached (next would be {next})"),
            Stop::Loop { url } => write!(f, "loop: {url} was already walked"),
            Stop::Repeated { url, same_as } => write!(f, "{url} repeats the items of {same_as}"),
            Stop::NoNewItems { url } => write!(f, "{url} has no new items"),
            Stop::Failed { url, error } => write!(f, "{url} failed: {error}"),
        }
    }
}

/// What a walk did.
#[derive(Debug, Clone, Serialize)]
pub struct BackfillReport {
    pub source: String,
    pub dry_run: bool,
    pub pages: Vec<PageReport>,
    /// Totals over the pages.
    pub seen: usize,
    pub kept: usize,
    pub archived: usize,
    pub stopped: Stop,
}

impl BackfillReport {
    /// Whether the walk ended on a page that failed.
    pub fn failed(&self) -> bool {
        matches!(self.stopped, Stop::Failed { .. })
    }
}

/// `sources backfill NAME`: takes the archive lock (not for a dry run, which only reads),
/// walks the source's history and remembers that it was walked (unless the walk failed).
pub fn backfill(
    config: &Config,
    name: &str,
    opts: &BackfillOptions,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> Result<BackfillReport, PipelineError> {
    let source = config
        .source(name)
        .ok_or_else(|| PipelineError::UnknownSource { name: name.to_string(), config: config.path.clone() })?;
    let dir = ArchiveDir::of(config);
    let fetcher = Fetcher::new(fetch_config(config)).map_err(PipelineError::Fetch)?;
    let rt = runtime()?;
    let net = Net { fetcher: &fetcher, handle: rt.handle(), stop: None, progress };
    let mut deciding = Deciding::new(config);
    if opts.dry_run {
        let mut store = dir.open_read()?;
        return walk(config, store.as_mut(), &dir, &net, source, &mut deciding, opts, now);
    }
    let _lock = dir.lock()?;
    let mut store = dir.open()?;
    let report = walk(config, store.as_mut(), &dir, &net, source, &mut deciding, opts, now)?;
    deciding.topic.save_cache(store.as_mut())?;
    if !report.failed() {
        store.meta_set(&done_key(source), &crate::date::rfc3339(&now))?;
    }
    Ok(report)
}

fn done_key(source: &Source) -> String {
    format!("{DONE_KEY}{}", source.name())
}

/// The walk `backfill = true` asks for, unless this source's history was walked already.
/// Remembered once the walk ends without a failed page (a failed one is tried again at the
/// next poll; the pages already walked then end it quickly, having no new items).
pub(super) fn walk_once(
    config: &Config,
    store: &mut dyn Archive,
    dir: &ArchiveDir,
    net: &Net<'_>,
    source: &Source,
    deciding: &mut Deciding,
    now: DateTime<Utc>,
) -> Result<Option<BackfillReport>, PipelineError> {
    let key = done_key(source);
    if store.meta_get(&key)?.is_some() {
        return Ok(None);
    }
    let report = walk(config, store, dir, net, source, deciding, &BackfillOptions::default(), now)?;
    if !report.failed() {
        store.meta_set(&key, &crate::date::rfc3339(&now))?;
    }
    Ok(Some(report))
}

/// Walks `source`'s history: see the module documentation.
#[allow(clippy::too_many_arguments)]
fn walk(
    config: &Config,
    store: &mut dyn Archive,
    dir: &ArchiveDir,
    net: &Net<'_>,
    source: &Source,
    deciding: &mut Deciding,
    opts: &BackfillOptions,
    now: DateTime<Utc>,
) -> Result<BackfillReport, PipelineError> {
    let state = |store: &dyn Archive| -> Result<_, PipelineError> {
        Ok(store.source_states()?.into_iter().find(|s| s.name == source.name()))
    };
    let start_plan = plan::plan(config, source, state(store)?, true, now);
    let start = start_plan.target.clone();
    let local_dir = start_plan.local_dir.clone();
    let mut report = BackfillReport {
        source: source.name().to_string(),
        dry_run: opts.dry_run,
        pages: Vec::new(),
        seen: 0,
        kept: 0,
        archived: 0,
        stopped: Stop::NoMorePages,
    };
    let (mut url, mut via) = (start.clone(), Via::Start);
    let mut walked: HashSet<String> = HashSet::from([start.clone()]);
    let mut by_items: HashMap<blake3::Hash, String> = HashMap::new();
    let mut keys_seen: HashSet<String> = HashSet::new();
    let mut paged = false;
    report.stopped = loop {
        let n = report.pages.len() + 1;
        let failed_page = |error: String| PageReport {
            url: url.clone(),
            via,
            seen: 0,
            new: 0,
            kept: 0,
            archived: 0,
            error: Some(error),
            decisions: Vec::new(),
        };
        let request = match via {
            Via::Start => FetchRequest::new(start.clone()),
            _ => match history_request(&start, &url, local_dir.as_deref()) {
                Ok(r) => r,
                Err(e) => {
                    report.pages.push(failed_page(e.to_string()));
                    break Stop::Failed { url, error: e.to_string() };
                }
            },
        };
        tracing::info!(source = source.name(), page = n, %url, "backfill: fetching");
        let mut poll = net.block_on(upstream::poll_request(net.fetcher, &request))?;
        let feed = match &mut poll.outcome {
            PollOutcome::Fetched(feed) => feed,
            PollOutcome::NotModified => break Stop::NoMorePages,
            PollOutcome::Failed(e) => {
                let error = e.to_string();
                report.pages.push(failed_page(error.clone()));
                break if via == Via::Paged && is_gone(e) { Stop::NoMorePages } else { Stop::Failed { url, error } };
            }
        };
        let history = std::mem::take(&mut feed.history);
        let keys: Vec<String> = feed.items.iter().map(upstream::item_key).collect();
        let fingerprint = items_fingerprint(&keys);
        if let Some(same_as) = by_items.get(&fingerprint) {
            report.pages.push(PageReport { seen: keys.len(), error: None, ..failed_page(String::new()) });
            break Stop::Repeated { url, same_as: same_as.clone() };
        }
        by_items.insert(fingerprint, url.clone());
        // An item met on an earlier page of this walk is not decided twice.
        let mut fresh = keys.iter().map(|k| keys_seen.insert(k.clone()));
        feed.items.retain(|_| fresh.next().unwrap_or(false));
        drop(fresh);
        let run = SourceRun::new(plan::plan(config, source, state(store)?, true, now), Some(poll));
        let mode = Mode { dry_run: opts.dry_run, save_states: false, now };
        let checked = apply::apply_runs(store, dir, net, vec![run], deciding, mode)?;
        let Some(r) = checked.report.sources.into_iter().next() else { break Stop::NoMorePages };
        let new = r.decisions.iter().filter(|d| d.new).count();
        report.seen += keys.len();
        report.kept += r.kept;
        report.archived += r.archived;
        report.pages.push(PageReport {
            url: url.clone(),
            via,
            seen: keys.len(),
            new,
            kept: r.kept,
            archived: r.archived,
            error: None,
            decisions: r.decisions,
        });
        if n > 1 && new == 0 {
            break Stop::NoNewItems { url };
        }
        let Some((next, next_via)) = next_page(&start, n, &history, &mut paged) else { break Stop::NoMorePages };
        if n >= opts.pages {
            break Stop::PageLimit { next };
        }
        if !walked.insert(next.clone()) {
            break Stop::Loop { url: next };
        }
        (url, via) = (next, next_via);
    };
    Ok(report)
}

/// Whether a failed page is simply not there (404/410): the end of WordPress's pages.
fn is_gone(e: &PollError) -> bool {
    matches!(e, PollError::Fetch(FetchError::Status { status: 404 | 410, .. }))
}

/// A fingerprint of a page's items, in order: two pages with the same one repeat each other.
fn items_fingerprint(keys: &[String]) -> blake3::Hash {
    let mut h = blake3::Hasher::new();
    for k in keys {
        h.update(k.as_bytes());
        h.update(b"\0");
    }
    h.finalize()
}

/// The page after page `n` (1 is the feed itself) and how it is reached: the page's
/// `prev-archive`, else its `next`, else — when the feed itself names neither, so that
/// `paged` turns on — WordPress's `?paged=N+1` on the feed's URL (http(s) only). Pure.
fn next_page(start: &str, n: usize, history: &History, paged: &mut bool) -> Option<(String, Via)> {
    if !*paged {
        if let Some(prev) = &history.prev_archive {
            return Some((prev.clone(), Via::PrevArchive));
        }
        if let Some(next) = &history.next {
            return Some((next.clone(), Via::Next));
        }
        if n != 1 {
            return None;
        }
    }
    let mut url = Url::parse(start).ok().filter(|u| matches!(u.scheme(), "http" | "https"))?;
    *paged = true;
    let others: Vec<(String, String)> = url.query_pairs().into_owned().filter(|(k, _)| k != "paged").collect();
    url.query_pairs_mut().clear().extend_pairs(others).append_pair("paged", &(n + 1).to_string());
    Some((url.to_string(), Via::Paged))
}

/// How to fetch a history page found in a feed document: on the source's own host (scheme,
/// host and port), as the source itself is fetched; anywhere else, like an item's link
/// (guarded against private addresses; a `file:` link only inside a local source's folder).
fn history_request(
    start: &str,
    link: &str,
    local_dir: Option<&std::path::Path>,
) -> Result<FetchRequest, super::PageError> {
    let origin = |u: &str| Url::parse(u).ok().filter(|u| u.has_host()).map(|u| u.origin());
    match (origin(start), origin(link)) {
        (Some(a), Some(b)) if a == b => Ok(FetchRequest::new(link)),
        _ => page::page_request(link, local_dir),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEED: &str = "https://blog.example/feed/";

    fn history(prev: Option<&str>, next: Option<&str>) -> History {
        History { prev_archive: prev.map(Into::into), next: next.map(Into::into) }
    }

    #[test]
    fn prev_archive_wins_over_next() {
        let mut paged = false;
        let h = history(Some("https://blog.example/archive/3.xml"), Some("https://blog.example/feed/?page=2"));
        assert_eq!(
            next_page(FEED, 1, &h, &mut paged),
            Some(("https://blog.example/archive/3.xml".into(), Via::PrevArchive))
        );
        let h = history(None, Some("https://blog.example/feed/?page=2"));
        assert_eq!(next_page(FEED, 4, &h, &mut paged), Some(("https://blog.example/feed/?page=2".into(), Via::Next)));
        assert!(!paged);
    }

    #[test]
    fn a_feed_without_links_is_walked_by_paged_and_a_later_page_without_links_ends() {
        let mut paged = false;
        assert_eq!(next_page(FEED, 3, &History::default(), &mut paged), None, "only the feed itself turns paging on");
        assert_eq!(
            next_page("https://blog.example/feed/?paged=9&lang=fa", 1, &History::default(), &mut paged),
            Some(("https://blog.example/feed/?lang=fa&paged=2".into(), Via::Paged))
        );
        assert!(paged);
        assert_eq!(next_page(FEED, 2, &History::default(), &mut paged), Some((format!("{FEED}?paged=3"), Via::Paged)));
        let mut local = false;
        assert_eq!(next_page("/srv/feeds/atom.xml", 1, &History::default(), &mut local), None);
    }

    #[test]
    fn history_pages_on_another_host_are_guarded() {
        let same = history_request(FEED, "https://blog.example/archive/1.xml", None).expect("same host");
        assert!(!same.guard);
        let other = history_request(FEED, "https://elsewhere.example/archive/1.xml", None).expect("other host");
        assert!(other.guard);
        let port = history_request(FEED, "https://blog.example:8443/archive/1.xml", None).expect("other port");
        assert!(port.guard);
        assert!(history_request(FEED, "file:///etc/passwd", None).is_err());
    }

    #[test]
    fn the_same_items_in_the_same_order_repeat_a_page() {
        let a = items_fingerprint(&["id:1".into(), "id:2".into()]);
        assert_eq!(a, items_fingerprint(&["id:1".into(), "id:2".into()]));
        assert_ne!(a, items_fingerprint(&["id:2".into(), "id:1".into()]));
        assert_ne!(items_fingerprint(&["id:1id:2".into()]), a);
    }
}
