//! `check` and `run`: poll the sources that are due, decide on every new item, archive the
//! related ones, save what the next poll needs, and report.
//!
//! The phases, in order: choose the due sources (`schedule`); poll them concurrently on a
//! tokio runtime (at most [`CONCURRENCY`] requests at once, each taking its host's slot
//! first, so sources queued on one busy host never hold slots others could use; the
//! fetcher's deadline bounds a hanging source); look up the stored decision of every item seen;
//! build the topic model once, only when an item needs scoring; score on all cores; fetch
//! the pages of newly kept items (and of kept items that changed upstream) concurrently;
//! extract, sanitize and capture them as WARC outside the async threads; then write
//! articles, decisions and source states from this thread, the store's only writer. One
//! source's failure is a line in the report, never an abort.
//!
//! `--dry-run` runs the same phases up to the decisions, fetches every feed without
//! validators (so every item is seen), and writes nothing.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Serialize;

use super::page::{self, ItemSource, Page};
use super::{PipelineError, Progress};
use crate::archive::{ArchiveDir, Decision, DedupKeys, PutOutcome, SourceState, Store, WatchStore};
use crate::article::{ArticleId, Identity, canonical_url};
use crate::config::{Config, Source, SourceUrl};
use crate::fetch::{FetchConfig, FetchError, FetchRequest, FetchResponse, Fetcher};
use crate::publish::PublishReport;
use crate::relevance::{self, Candidate, Rules, TopicModel};
use crate::schedule::{self, SourceTiming};
use crate::upstream::{self, FeedItem, ParsedFeed, Poll, PollOutcome, PollRequest};
use crate::websub::PingReport;

/// Requests in flight at once (polls or pages), over all hosts.
pub const CONCURRENCY: usize = 16;
/// Polls or page fetches started at once: more than [`CONCURRENCY`], so that while some
/// wait for a busy host's slot, requests to other hosts still fill the global slots.
const QUEUED: usize = 4 * CONCURRENCY;
/// The saved-state key caching the topic fingerprint for an archive state.
const TOPIC_CACHE_KEY: &str = "watch.topic_fingerprint";

/// Flags of `check`.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Decide and report, archive nothing, change no state.
    pub dry_run: bool,
    /// Poll every selected source now (still honouring `Retry-After`).
    pub force: bool,
    /// Only this source.
    pub source: Option<String>,
}

/// What happened to a source in this check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Fetched,
    NotModified,
    Failed,
    Skipped,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Fetched => "fetched",
            Outcome::NotModified => "not modified",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One item's decision as reported.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionView {
    pub title: String,
    pub url: Option<String>,
    pub score: f64,
    pub kept: bool,
    pub reasons: Vec<String>,
    /// `false` when this is the decision stored by an earlier poll.
    pub new: bool,
    /// The archived article, for kept items (not in a dry run).
    pub article_id: Option<String>,
}

/// One source in the report.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    pub name: String,
    pub url: String,
    pub outcome: Outcome,
    /// Items in the feed this poll.
    pub seen: usize,
    /// Of those, decided as related (in this poll or an earlier one).
    pub kept: usize,
    pub rejected: usize,
    /// Articles added or given a new version from this source in this check.
    pub archived: usize,
    /// The error, when the poll failed.
    pub error: Option<String>,
    /// Why a source was skipped.
    pub note: Option<String>,
    /// When the source is next due (RFC 3339), as saved.
    pub next_due: Option<String>,
    pub decisions: Vec<DecisionView>,
}

/// What `check` did.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub dry_run: bool,
    pub sources: Vec<SourceReport>,
    /// Articles added or updated, over all sources.
    pub archived: usize,
    /// Sources whose poll failed.
    pub failed: usize,
}

impl CheckReport {
    /// The sources whose poll failed.
    pub fn failures(&self) -> impl Iterator<Item = &SourceReport> {
        self.sources.iter().filter(|s| s.outcome == Outcome::Failed)
    }
}

/// What `run` did: the check, then the publish, then the WebSub pings.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    #[serde(flatten)]
    pub check: CheckReport,
    pub published: PublishReport,
    /// The hub's answer; `None` when no hub is set or no subscription feed changed.
    pub websub: Option<PingReport>,
}

/// `check`: takes the archive lock (not for a dry run, which only reads) and checks,
/// showing the polls and page fetches on `progress`.
pub fn check(
    config: &Config,
    opts: &CheckOptions,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> Result<CheckReport, PipelineError> {
    let dir = ArchiveDir::new(config.archive_dir());
    if opts.dry_run {
        let mut store = dir.open_read()?;
        return check_with(config, &mut store, &dir, opts, now, progress);
    }
    let _lock = dir.lock()?;
    let mut store = dir.open()?;
    check_with(config, &mut store, &dir, opts, now, progress)
}

/// `run`: under one archive lock, `check` then `publish`; then, with the lock released,
/// the WebSub pings for the feeds that changed.
pub fn run(config: &Config, now: DateTime<Utc>, progress: &dyn Progress) -> Result<RunReport, PipelineError> {
    let (check, published) = {
        let dir = ArchiveDir::new(config.archive_dir());
        let _lock = dir.lock()?;
        let mut store = dir.open()?;
        let check = check_with(config, &mut store, &dir, &CheckOptions::default(), now, progress)?;
        let published = super::publish_showing(&mut store, config, progress)?;
        (check, published)
    };
    let websub = super::notify_hub(config, &published.changed_feeds);
    Ok(RunReport { check, published, websub })
}

/// The fetch limits from `[fetch]`.
pub fn fetch_config(config: &Config) -> FetchConfig {
    let timeout = config.fetch.timeout.0;
    FetchConfig {
        timeout,
        connect_timeout: timeout.min(Duration::from_secs(10)),
        max_bytes: config.fetch.max_bytes,
        user_agent: config.user_agent(),
        allow_private: config.fetch.allow_private,
        max_concurrent: CONCURRENCY,
        ..FetchConfig::default()
    }
}

/// A tokio runtime for one command's network work.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, PipelineError> {
    let threads = std::thread::available_parallelism().map_or(2, usize::from).clamp(1, 8);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(PipelineError::Runtime)
}

/// A configured source, with what is known about it before this check.
struct Plan<'c> {
    source: &'c Source,
    /// The URL or path as configured.
    configured: String,
    /// What the fetcher is given: the URL, or the path resolved against the config folder.
    target: String,
    /// For a local source, its folder (item links may point inside it).
    local_dir: Option<PathBuf>,
    state: SourceState,
    timing: SourceTiming,
    /// Why it is not polled now, if so.
    skip: Option<String>,
}

/// An item seen in a poll, and what to do about it.
struct Seen {
    item: FeedItem,
    key: String,
    hash: String,
    prior: Option<Decision>,
    /// The decision to report (and save unless it is the stored one).
    decision: Option<Decision>,
    action: Action,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// The stored decision stands.
    Stored,
    /// Score it (new, or rejected under another topic, rules or content).
    Score,
    /// Kept earlier and changed upstream: fetch and archive again, same id.
    Rearchive,
}

/// The topic model, built at most once per check and only when needed.
struct Topic {
    learn: bool,
    model: Option<Arc<TopicModel>>,
    fingerprint: Option<String>,
    /// The archive state the cached fingerprint belongs to.
    cache_key: Option<String>,
}

impl Topic {
    fn new(learn: bool) -> Topic {
        Topic { learn, model: None, fingerprint: None, cache_key: None }
    }

    fn state_key<S: Store>(&mut self, store: &S) -> Result<String, PipelineError> {
        if let Some(k) = &self.cache_key {
            return Ok(k.clone());
        }
        let key = format!("{} {} {}", env!("CARGO_PKG_VERSION"), self.learn, store.log_len()?);
        self.cache_key = Some(key.clone());
        Ok(key)
    }

    /// The current topic's fingerprint: from the model when built, else from the cache
    /// saved for this archive state, else by building the model.
    fn fingerprint<S: Store>(&mut self, store: &S) -> Result<String, PipelineError> {
        if let Some(fp) = &self.fingerprint {
            return Ok(fp.clone());
        }
        let key = self.state_key(store)?;
        if let Some(cached) = store.meta_get(TOPIC_CACHE_KEY)?
            && let Some((k, fp)) = cached.rsplit_once(' ')
            && k == key
        {
            self.fingerprint = Some(fp.to_string());
            return Ok(fp.to_string());
        }
        Ok(self.model(store)?.fingerprint())
    }

    fn model<S: Store>(&mut self, store: &S) -> Result<Arc<TopicModel>, PipelineError> {
        if let Some(m) = &self.model {
            return Ok(m.clone());
        }
        self.state_key(store)?;
        let model = if self.learn {
            // Read one document at a time, keeping only those the model learns from.
            let mut sample = relevance::TopicSample::default();
            store.each_text(&mut |id, title, text| sample.offer(id.as_str(), title, text))?;
            let started = std::time::Instant::now();
            let model = sample.build();
            tracing::info!(documents = sample.len(), elapsed = ?started.elapsed(), "topic model built");
            model
        } else {
            TopicModel::build(std::iter::empty())
        };
        let model = Arc::new(model);
        self.fingerprint = Some(model.fingerprint());
        self.model = Some(model.clone());
        Ok(model)
    }

    /// The cache entry to save (when the fingerprint is known).
    fn cache_entry(&self) -> Option<String> {
        Some(format!("{} {}", self.cache_key.as_ref()?, self.fingerprint.as_ref()?))
    }
}

/// Checks with an open store: see the module documentation. `dir` is where captures go.
pub fn check_with<S: Store + WatchStore>(
    config: &Config,
    store: &mut S,
    dir: &ArchiveDir,
    opts: &CheckOptions,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> Result<CheckReport, PipelineError> {
    let fetcher = Fetcher::new(fetch_config(config)).map_err(PipelineError::Fetch)?;
    let rt = runtime()?;
    let net = Net { fetcher: &fetcher, handle: rt.handle(), stop: None, progress };
    Ok(check_on(config, store, dir, &net, opts, now)?.report)
}

/// The network side of a check: the fetcher, the runtime it runs on (driven from this
/// thread with `block_on`), and, in `watch`, the signal that abandons network work when the
/// process is stopping.
pub(crate) struct Net<'a> {
    pub(crate) fetcher: &'a Fetcher,
    pub(crate) handle: &'a tokio::runtime::Handle,
    /// Becomes `true` when `watch` is stopping.
    pub(crate) stop: Option<tokio::sync::watch::Receiver<bool>>,
    /// Shows the polls and page fetches as they finish (on a terminal).
    pub(crate) progress: &'a dyn Progress,
}

impl Net<'_> {
    /// Runs `fut` to its end from this (non-async) thread, or gives up with
    /// [`PipelineError::Stopped`] when the stop signal comes first. Nothing is written inside
    /// the network phases, so giving up there leaves the archive as it was.
    pub(crate) fn block_on<F: std::future::Future>(&self, fut: F) -> Result<F::Output, PipelineError> {
        let Some(mut stop) = self.stop.clone() else {
            return Ok(self.handle.block_on(fut));
        };
        self.handle.block_on(async move {
            let stopped = async {
                if stop.wait_for(|s| *s).await.is_err() {
                    std::future::pending::<()>().await; // the sender is gone: never stops
                }
            };
            tokio::select! {
                biased;
                () = stopped => Err(PipelineError::Stopped),
                out = fut => Ok(out),
            }
        })
    }

    /// Whether the stop signal has come.
    pub(crate) fn stopping(&self) -> bool {
        self.stop.as_ref().is_some_and(|s| *s.borrow())
    }
}

/// A check's report and the sources' states it saved (one per polled source).
pub(crate) struct Checked {
    pub(crate) report: CheckReport,
    pub(crate) states: Vec<SourceState>,
}

/// Plans, polls and applies a check over `net`.
pub(crate) fn check_on<S: Store + WatchStore>(
    config: &Config,
    store: &mut S,
    dir: &ArchiveDir,
    net: &Net<'_>,
    opts: &CheckOptions,
    now: DateTime<Utc>,
) -> Result<Checked, PipelineError> {
    if let Some(name) = &opts.source
        && config.source(name).is_none()
    {
        return Err(PipelineError::UnknownSource { name: name.clone(), config: config.path.clone() });
    }
    let mut states: HashMap<String, SourceState> =
        store.source_states()?.into_iter().map(|s| (s.name.clone(), s)).collect();
    let plans: Vec<Plan> = config
        .sources
        .iter()
        .filter(|s| opts.source.as_deref().is_none_or(|n| n == s.name()))
        .map(|s| plan(config, s, states.remove(s.name()), opts, now))
        .collect();
    let polls: Vec<Option<Poll>> = net.block_on(poll_all(net, &plans, opts.dry_run))?;
    apply(config, store, dir, net, &plans, polls, opts.dry_run, now)
}

/// What `watch` needs to poll one source on its own: its state (reset when the configured
/// URL changed), when it is due, and the conditional request to send.
pub(crate) struct SourcePlan {
    pub(crate) state: SourceState,
    pub(crate) due: DateTime<Utc>,
    pub(crate) request: PollRequest,
}

/// Plans `config.sources[index]` from its last saved state.
pub(crate) fn source_plan(config: &Config, index: usize, prior: Option<SourceState>) -> SourcePlan {
    let p = plan(config, &config.sources[index], prior, &CheckOptions::default(), Utc::now());
    let due = schedule::due_at(&p.timing, p.source.name(), p.state.last_attempt);
    let request =
        PollRequest { url: p.target.clone(), etag: p.state.etag.clone(), last_modified: p.state.last_modified.clone() };
    SourcePlan { state: p.state, due, request }
}

/// Applies polls made elsewhere (by `watch`'s per-source tasks): `(index in
/// config.sources, the state the poll was planned from, the poll)`. The same phases as a
/// check after its polls: decide, score, archive, save.
pub(crate) fn apply_polled<S: Store + WatchStore>(
    config: &Config,
    store: &mut S,
    dir: &ArchiveDir,
    net: &Net<'_>,
    polled: Vec<(usize, SourceState, Poll)>,
    now: DateTime<Utc>,
) -> Result<Checked, PipelineError> {
    let mut plans = Vec::with_capacity(polled.len());
    let mut polls = Vec::with_capacity(polled.len());
    for (index, state, poll) in polled {
        let mut p = plan(config, &config.sources[index], Some(state), &CheckOptions::default(), now);
        p.skip = None; // it was due when its task polled it
        plans.push(p);
        polls.push(Some(poll));
    }
    apply(config, store, dir, net, &plans, polls, false, now)
}

/// Everything after the polls: see the module documentation.
#[allow(clippy::too_many_arguments)]
fn apply<S: Store + WatchStore>(
    config: &Config,
    store: &mut S,
    dir: &ArchiveDir,
    net: &Net<'_>,
    plans: &[Plan<'_>],
    mut polls: Vec<Option<Poll>>,
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<Checked, PipelineError> {
    let clock = std::time::Instant::now();
    let lap = |what: &str| tracing::info!(elapsed = ?clock.elapsed(), "check: {what}");
    lap("polled");
    // Look up what was decided before.
    let rules = Rules {
        keywords: config.relevance.keywords.clone(),
        exclude: config.relevance.exclude.clone(),
        threshold: config.relevance.threshold.0,
        learn_from_archive: config.relevance.learn_from_archive,
    };
    let rules_fps: Vec<String> =
        plans.iter().map(|p| relevance::rules_fingerprint(&rules, &p.source.keywords)).collect();
    let mut topic = Topic::new(rules.learn_from_archive);
    let mut seen: Vec<Vec<Seen>> = Vec::with_capacity(plans.len());
    for (i, (p, poll)) in plans.iter().zip(polls.iter_mut()).enumerate() {
        let mut items = Vec::new();
        if let Some(Poll { outcome: PollOutcome::Fetched(feed), .. }) = poll {
            let mut keys = std::collections::HashSet::new();
            // The items move out of the parsed feed: 50,000 items are not held twice.
            for item in std::mem::take(&mut feed.items) {
                let key = upstream::item_key(&item);
                if !keys.insert(key.clone()) {
                    continue; // the same item twice in one feed
                }
                let hash = upstream::item_hash(&item);
                let prior = store.decision(p.source.name(), &key)?;
                let action = match &prior {
                    None => Action::Score,
                    Some(d) if d.kept => {
                        if d.item_hash != hash && d.article_id.is_some() {
                            Action::Rearchive
                        } else {
                            Action::Stored
                        }
                    }
                    Some(d) if d.item_hash != hash || d.rules_fingerprint != rules_fps[i] => Action::Score,
                    Some(d) => {
                        if d.topic_fingerprint == topic.fingerprint(store)? {
                            Action::Stored
                        } else {
                            Action::Score
                        }
                    }
                };
                items.push(Seen { item, key, hash, prior, decision: None, action });
            }
        }
        seen.push(items);
    }

    lap("stored decisions read");
    // Score.
    let to_score: Vec<(usize, usize)> = seen
        .iter()
        .enumerate()
        .flat_map(|(s, items)| {
            items.iter().enumerate().filter(|(_, x)| x.action == Action::Score).map(move |(i, _)| (s, i))
        })
        .collect();
    if !to_score.is_empty() {
        let model = topic.model(store)?;
        let topic_fp = model.fingerprint();
        let texts: Vec<String> = to_score.iter().map(|&(s, i)| upstream::item_text(&seen[s][i].item)).collect();
        let verdicts = score_parallel(&to_score, &texts, &seen, plans, &model, &rules);
        for (&(s, i), verdict) in to_score.iter().zip(verdicts) {
            let x = &mut seen[s][i];
            x.decision = Some(Decision {
                source: plans[s].source.name().to_string(),
                item_key: x.key.clone(),
                title: x.item.title.clone(),
                url: x.item.link.clone(),
                score: verdict.score,
                kept: verdict.keep,
                reasons: verdict.reasons,
                item_hash: x.hash.clone(),
                topic_fingerprint: topic_fp.clone(),
                rules_fingerprint: rules_fps[s].clone(),
                article_id: None,
                decided_at: now,
            });
        }
    }
    for items in &mut seen {
        for x in items.iter_mut() {
            match x.action {
                Action::Stored => x.decision = x.prior.clone(),
                Action::Rearchive => {
                    x.decision = x.prior.clone().map(|mut d| {
                        d.item_hash = x.hash.clone();
                        d.title = x.item.title.clone();
                        d.url = x.item.link.clone();
                        d.decided_at = now;
                        d
                    })
                }
                Action::Score => {}
            }
        }
    }

    lap("scored");
    // Archive.
    let mut archived_per_source = vec![0usize; plans.len()];
    if !dry_run {
        archive_kept(store, dir, net, plans, &polls, &mut seen, &mut archived_per_source)?;
    }

    lap("archived");
    // Save and report.
    let mut reports = Vec::with_capacity(plans.len());
    let mut new_states = Vec::new();
    let mut new_decisions = Vec::new();
    for (s, (p, poll)) in plans.iter().zip(&polls).enumerate() {
        let state = poll.as_ref().map(|poll| next_state(p, poll, now));
        let (outcome, error) = match poll.as_ref().map(|p| &p.outcome) {
            None => (Outcome::Skipped, None),
            Some(PollOutcome::Fetched(_)) => (Outcome::Fetched, None),
            Some(PollOutcome::NotModified) => (Outcome::NotModified, None),
            Some(PollOutcome::Failed(e)) => (Outcome::Failed, Some(e.to_string())),
        };
        let mut decisions = Vec::new();
        let (mut kept, mut rejected) = (0, 0);
        let seen_here = std::mem::take(&mut seen[s]);
        let seen_count = seen_here.len();
        for x in seen_here {
            let Some(d) = x.decision else { continue };
            if d.kept {
                kept += 1;
            } else {
                rejected += 1;
            }
            decisions.push(DecisionView {
                title: d.title.clone(),
                url: d.url.clone(),
                score: d.score,
                kept: d.kept,
                reasons: d.reasons.clone(),
                new: x.action != Action::Stored,
                article_id: d.article_id.as_ref().map(ToString::to_string),
            });
            if x.action != Action::Stored {
                new_decisions.push(d);
            }
        }
        let next_due = state.as_ref().and_then(|s| s.next_due).or(p.state.next_due);
        reports.push(SourceReport {
            name: p.source.name().to_string(),
            url: p.configured.clone(),
            outcome,
            seen: seen_count,
            kept,
            rejected,
            archived: archived_per_source[s],
            error,
            note: p.skip.clone(),
            next_due: next_due.as_ref().map(crate::date::rfc3339),
            decisions,
        });
        if let Some(state) = state {
            new_states.push(state);
        }
    }
    if !dry_run {
        store.record_check(&new_states, &new_decisions)?;
        lap("decisions and states saved");
        if let Some(entry) = topic.cache_entry()
            && topic.model.is_some()
        {
            store.meta_set(TOPIC_CACHE_KEY, &entry)?;
        }
    }
    let archived = archived_per_source.iter().sum();
    let failed = reports.iter().filter(|r| r.outcome == Outcome::Failed).count();
    Ok(Checked { report: CheckReport { dry_run, sources: reports, archived, failed }, states: new_states })
}

/// What is known about a source before polling, and whether it is due.
fn plan<'c>(
    config: &Config,
    source: &'c Source,
    prior: Option<SourceState>,
    opts: &CheckOptions,
    now: DateTime<Utc>,
) -> Plan<'c> {
    let configured = source.url.as_string();
    let (target, local_dir) = match &source.url {
        SourceUrl::Http(u) => (u.to_string(), None),
        SourceUrl::File(p) => {
            let path = config.resolve(p);
            let path = std::path::absolute(&path).unwrap_or(path);
            let dir = path.parent().map(PathBuf::from);
            (path.display().to_string(), dir)
        }
    };
    let mut state = prior.unwrap_or_else(|| SourceState { name: source.name().to_string(), ..SourceState::default() });
    if state.url != configured {
        // A new URL: the old validators and hints belong to another resource.
        state = SourceState {
            name: state.name,
            url: configured.clone(),
            last_attempt: state.last_attempt,
            last_success: state.last_success,
            items_kept: state.items_kept,
            retry_after: state.retry_after,
            ..SourceState::default()
        };
    }
    let timing = SourceTiming {
        every: source.every.0,
        ttl: state.ttl_secs.map(Duration::from_secs),
        max_age: state.max_age_secs.map(Duration::from_secs),
        failures: state.failures,
        retry_after: state.retry_after,
    };
    let force = opts.force || opts.dry_run;
    let skip = if schedule::is_due(&timing, source.name(), state.last_attempt, now, force) {
        None
    } else if let Some(r) = timing.retry_after.filter(|r| *r > now) {
        Some(format!("the server asked to retry after {}", crate::date::rfc3339(&r)))
    } else {
        let due = state.last_attempt.map(|last| schedule::next_due(&timing, source.name(), last));
        Some(match due {
            Some(d) => format!("not due until {}", crate::date::rfc3339(&d)),
            None => "not due".to_string(),
        })
    };
    Plan { source, configured, target, local_dir, state, timing, skip }
}

/// Polls the due sources concurrently; `None` for the others.
async fn poll_all(net: &Net<'_>, plans: &[Plan<'_>], dry_run: bool) -> Vec<Option<Poll>> {
    let fetcher = net.fetcher;
    let requests: Vec<(usize, PollRequest)> = plans
        .iter()
        .enumerate()
        .filter(|(_, p)| p.skip.is_none())
        .map(|(i, p)| {
            let (etag, last_modified) =
                if dry_run { (None, None) } else { (p.state.etag.clone(), p.state.last_modified.clone()) };
            (i, PollRequest { url: p.target.clone(), etag, last_modified })
        })
        .collect();
    let mut out: Vec<Option<Poll>> = plans.iter().map(|_| None).collect();
    net.progress.start("polling", Some(requests.len() as u64));
    let mut stream = futures_util::stream::iter(requests)
        .map(|(i, req)| async move { (i, upstream::poll(fetcher, &req).await) })
        .buffer_unordered(QUEUED);
    while let Some((i, poll)) = stream.next().await {
        if let PollOutcome::Failed(e) = &poll.outcome {
            tracing::info!(source = plans[i].source.name(), error = %e, "poll failed");
        }
        out[i] = Some(poll);
        net.progress.step(plans[i].source.name());
    }
    net.progress.finish();
    out
}

/// The page fetches of one check may take this many fetch timeouts in all.
const PAGE_PHASE_TIMEOUTS: u32 = 3;

/// Scores the items on every core.
fn score_parallel(
    jobs: &[(usize, usize)],
    texts: &[String],
    seen: &[Vec<Seen>],
    plans: &[Plan<'_>],
    model: &TopicModel,
    rules: &Rules,
) -> Vec<relevance::Verdict> {
    let one = |k: usize| {
        let (s, i) = jobs[k];
        let item = &seen[s][i].item;
        let candidate = Candidate {
            title: &item.title,
            summary: item.summary.as_deref().unwrap_or(""),
            text: &texts[k],
            link: item.link.as_deref(),
            categories: &item.categories,
        };
        relevance::score(&candidate, model, rules, &plans[s].source.keywords)
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from).min(jobs.len().div_ceil(32)).max(1);
    if threads == 1 {
        return (0..jobs.len()).map(one).collect();
    }
    let chunk = jobs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let one = &one;
                scope.spawn(move || (t * chunk..((t + 1) * chunk).min(jobs.len())).map(one).collect::<Vec<_>>())
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    })
}

/// A page to fetch for a kept item.
struct Job {
    source: usize,
    item: usize,
    /// The link's canonical form (or the link), which groups the same page across sources.
    link_key: Option<String>,
    request: Result<FetchRequest, String>,
    rearchive: Option<ArticleId>,
}

/// Fetches, reads, captures and archives the kept items that need it, filling in their
/// decisions' article ids and reasons.
fn archive_kept<S: Store + WatchStore>(
    store: &mut S,
    dir: &ArchiveDir,
    net: &Net<'_>,
    plans: &[Plan<'_>],
    polls: &[Option<Poll>],
    seen: &mut [Vec<Seen>],
    archived: &mut [usize],
) -> Result<(), PipelineError> {
    let mut jobs = Vec::new();
    for (s, items) in seen.iter_mut().enumerate() {
        for (i, x) in items.iter_mut().enumerate() {
            let Some(d) = x.decision.as_mut() else { continue };
            let rearchive = match x.action {
                Action::Rearchive => d.article_id.clone(),
                Action::Score if d.kept => None,
                _ => continue,
            };
            let link = x.item.link.as_deref().map(str::trim).filter(|l| !l.is_empty());
            if rearchive.is_none() {
                // Already archived (from another source, by `add` or by import)? Then
                // this item is that article; nothing to fetch.
                let canonical = link.and_then(canonical_url);
                let ident = match (&canonical, x.item.upstream_id.as_deref()) {
                    (Some(c), _) => Identity::Url(c.clone()),
                    (None, Some(id)) => {
                        Identity::Upstream { feed_url: plans[s].configured.clone(), upstream_id: id.trim().to_string() }
                    }
                    (None, None) => Identity::title_date(&x.item.title, x.item.published.as_ref()),
                };
                let keys = DedupKeys { identity: ident.key(), canonical_url: canonical, fingerprint: None };
                if let Some(existing) = store.find(&ident.id(), &keys)? {
                    d.reasons.push(format!("already archived as {existing}"));
                    d.article_id = Some(existing);
                    continue;
                }
            }
            let request = match link {
                Some(l) => page::page_request(l, plans[s].local_dir.as_deref()),
                None => Err("the item has no link".to_string()),
            };
            let link_key = link.map(|l| canonical_url(l).unwrap_or_else(|| l.to_string()));
            jobs.push(Job { source: s, item: i, link_key, request, rearchive });
        }
    }
    if jobs.is_empty() {
        return Ok(());
    }

    // Fetch each distinct page once, concurrently.
    let mut unique: Vec<(usize, FetchRequest)> = Vec::new();
    let mut page_of: Vec<Option<usize>> = Vec::with_capacity(jobs.len());
    let mut by_link: HashMap<String, usize> = HashMap::new();
    for job in &jobs {
        match (&job.request, &job.link_key) {
            (Ok(req), Some(key)) => {
                let n = *by_link.entry(key.clone()).or_insert_with(|| {
                    unique.push((unique.len(), req.clone()));
                    unique.len() - 1
                });
                page_of.push(Some(n));
            }
            _ => page_of.push(None),
        }
    }
    let fetcher = net.fetcher;
    // One slow site must not hold the whole check (and, in `watch`, the archive lock) for
    // a timeout per page: the phase has its own deadline, and a page not fetched by then
    // counts as a page that timed out (the item is archived from its feed entry).
    let phase_limit = fetcher.config().timeout * PAGE_PHASE_TIMEOUTS;
    net.progress.start("fetching", Some(unique.len() as u64));
    let fetched: Vec<Result<FetchResponse, FetchError>> = net.block_on(async {
        let mut out: Vec<Option<Result<FetchResponse, FetchError>>> = unique.iter().map(|_| None).collect();
        let mut stream = futures_util::stream::iter(unique.iter().cloned())
            .map(|(n, req)| async move { (n, fetcher.get(&req).await) })
            .buffer_unordered(QUEUED);
        let deadline = tokio::time::Instant::now() + phase_limit;
        while let Ok(Some((n, r))) = tokio::time::timeout_at(deadline, stream.next()).await {
            net.progress.step(&unique[n].1.url);
            out[n] = Some(r);
        }
        out.into_iter()
            .zip(&unique)
            .map(|(r, (_, req))| {
                r.unwrap_or_else(|| Err(FetchError::Timeout { url: req.url.clone(), after: phase_limit }))
            })
            .collect()
    })?;

    net.progress.finish();
    tracing::info!(pages = fetched.len(), "pages fetched");
    // Read each page (extraction on all cores), then capture and archive in order.
    let extracted = extract_parallel(&fetched);
    tracing::info!(pages = fetched.len(), "pages extracted");
    let ok: Vec<(usize, &FetchResponse)> =
        fetched.iter().enumerate().filter_map(|(n, r)| Some((n, r.as_ref().ok()?))).collect();
    let refs = page::capture_all(dir, &ok.iter().map(|(_, r)| *r).collect::<Vec<_>>())?;
    let mut captured: Vec<Option<crate::article::CaptureRef>> = vec![None; fetched.len()];
    for ((n, _), r) in ok.iter().zip(refs) {
        captured[*n] = r;
    }
    tracing::info!(pages = ok.len(), "pages captured");
    let mut archived_as: HashMap<usize, ArticleId> = HashMap::new();
    // Articles are written in one transaction after the loop; `queued` mirrors the store's
    // matching (id, canonical URL, fingerprint) for the articles waiting in the batch.
    let mut batch: Vec<(crate::article::Article, DedupKeys)> = Vec::new();
    let mut pending: Vec<(usize, Pending)> = Vec::new();
    let mut queued: HashMap<String, ArticleId> = HashMap::new();
    for (j, (job, page_n)) in jobs.iter().zip(&page_of).enumerate() {
        let p = &plans[job.source];
        let feed: Option<&ParsedFeed> = match polls[job.source].as_ref().map(|p| &p.outcome) {
            Some(PollOutcome::Fetched(f)) => Some(f),
            _ => None,
        };
        let feed_final =
            polls[job.source].as_ref().and_then(|p| p.final_url.clone()).unwrap_or_else(|| p.target.clone());
        let ctx = ItemSource {
            name: p.source.name(),
            feed_url: &p.configured,
            site_url: feed.and_then(|f| f.site_url.as_deref()),
            tags: &p.source.tags,
            feed_id: feed.and_then(|f| f.id.as_deref()),
            feed_updated: feed.and_then(|f| f.updated).or_else(|| polls[job.source].as_ref().map(|p| p.fetched_at)),
        };
        let x = &mut seen[job.source][job.item];
        let Some(decision) = x.decision.as_mut() else { continue };
        if let (Some(n), None) = (page_n, &job.rearchive)
            && let Some(id) = archived_as.get(n)
        {
            decision.reasons.push(format!("same page as another source's item, archived as {id}"));
            decision.article_id = Some(id.clone());
            continue;
        }
        let polled = polled_at(&polls[job.source]);
        let from_page: Result<_, String> = match page_n {
            Some(n) => match &fetched[*n] {
                Ok(resp) => {
                    let capture = captured[*n].clone();
                    match &extracted[*n] {
                        Some(Ok(read)) => Ok(page::from_page(
                            &x.item,
                            &ctx,
                            Page { final_url: &resp.final_url, extracted: read, fetched_at: resp.fetched_at, capture },
                        )),
                        other => {
                            let why = match other {
                                Some(Err(e)) => e.to_string(),
                                _ => "not read".to_string(),
                            };
                            let raw = capture
                                .map(|c| format!(" (raw page kept as WARC record {})", c.record_id))
                                .unwrap_or_default();
                            Err(format!("page not readable: {why}{raw}"))
                        }
                    }
                }
                Err(e) => Err(format!("page not fetched: {e}")),
            },
            None => Err(format!(
                "page not fetched: {}",
                job.request.as_ref().err().cloned().unwrap_or_else(|| "no link".to_string())
            )),
        };
        let (article, keys) = match from_page {
            Ok(read) => read,
            Err(why) if job.rearchive.is_some() => {
                // Never replace an archived page with the feed's summary: keep the version
                // there is and try the page again at the next poll.
                decision.reasons.push(format!("changed upstream, but {why}; the archived version is kept"));
                if let Some(prior) = &x.prior {
                    decision.item_hash = prior.item_hash.clone();
                }
                continue;
            }
            Err(why) => {
                decision.reasons.push(format!("{why}; archived from the feed's content"));
                page::from_feed(&x.item, &ctx, polled, &feed_final)
            }
        };
        let mut article = article;
        let next = match &job.rearchive {
            Some(id) => {
                article.id = id.clone();
                Pending::Batch(batch.len())
            }
            None => match store.find(&article.id, &keys)?.or_else(|| queued_match(&queued, &article.id, &keys)) {
                Some(existing) => Pending::Now(PutOutcome::Duplicate { id: existing }),
                None => Pending::Batch(batch.len()),
            },
        };
        let id = match &next {
            Pending::Now(outcome) => outcome.id().clone(),
            Pending::Batch(_) => {
                for k in queue_keys(&article.id, &keys) {
                    queued.entry(k).or_insert_with(|| article.id.clone());
                }
                let id = article.id.clone();
                batch.push((article, keys));
                id
            }
        };
        if let Some(n) = page_n {
            archived_as.insert(*n, id);
        }
        pending.push((j, next));
    }
    let outcomes = if batch.is_empty() { Vec::new() } else { store.put_all(&batch)? };
    for (j, next) in pending {
        let job = &jobs[j];
        let outcome = match next {
            Pending::Now(outcome) => outcome,
            Pending::Batch(i) => outcomes[i].clone(),
        };
        let Some(decision) = seen[job.source][job.item].decision.as_mut() else { continue };
        match &outcome {
            PutOutcome::Added { .. } | PutOutcome::Updated { .. } => archived[job.source] += 1,
            PutOutcome::Duplicate { id } => decision.reasons.push(format!("already archived as {id}")),
            PutOutcome::Unchanged { .. } => {}
        }
        decision.article_id = Some(outcome.id().clone());
    }
    Ok(())
}

/// A kept item's article: written now, or waiting in the batch at this index.
enum Pending {
    Now(PutOutcome),
    Batch(usize),
}

fn queue_keys(id: &ArticleId, keys: &DedupKeys) -> Vec<String> {
    let mut out = vec![format!("id:{id}")];
    out.extend(keys.canonical_url.as_ref().map(|u| format!("url:{u}")));
    out.extend(keys.fingerprint.as_ref().map(|f| format!("fp:{f}")));
    out
}

/// The id of an article waiting in the batch that the store would match with this one.
fn queued_match(queued: &HashMap<String, ArticleId>, id: &ArticleId, keys: &DedupKeys) -> Option<ArticleId> {
    queue_keys(id, keys).iter().find_map(|k| queued.get(k).cloned())
}

fn polled_at(poll: &Option<Poll>) -> DateTime<Utc> {
    poll.as_ref().map_or_else(Utc::now, |p| p.fetched_at)
}

/// Decodes and extracts each fetched page, on every core. `None` for failed fetches.
fn extract_parallel(
    fetched: &[Result<FetchResponse, FetchError>],
) -> Vec<Option<Result<crate::extract::Extracted, crate::extract::ExtractError>>> {
    let one = |r: &Result<FetchResponse, FetchError>| {
        let resp = r.as_ref().ok()?;
        let html = crate::extract::decode_page(&resp.body, resp.content_type.as_deref());
        let url = url::Url::parse(&resp.final_url).ok();
        Some(crate::extract::extract(&html, url.as_ref()))
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from).min(fetched.len()).max(1);
    if threads == 1 {
        return fetched.iter().map(one).collect();
    }
    let chunk = fetched.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = fetched
            .chunks(chunk)
            .map(|part| {
                let one = &one;
                scope.spawn(move || part.iter().map(one).collect::<Vec<_>>())
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    })
}

/// The source's state after a poll.
fn next_state(p: &Plan<'_>, poll: &Poll, now: DateTime<Utc>) -> SourceState {
    let mut s = p.state.clone();
    s.name = p.source.name().to_string();
    s.url = p.configured.clone();
    s.last_attempt = Some(now);
    s.retry_after = poll.retry_after;
    match &poll.outcome {
        PollOutcome::Fetched(_) | PollOutcome::NotModified => {
            s.last_success = Some(poll.fetched_at);
            s.last_error = None;
            s.failures = 0;
            s.etag = poll.etag.clone();
            s.last_modified = poll.last_modified.clone();
            s.max_age_secs = poll.max_age.map(|d| d.as_secs());
            if let Some(ttl) = poll.ttl() {
                s.ttl_secs = Some(ttl.as_secs());
            } else if matches!(poll.outcome, PollOutcome::Fetched(_)) {
                s.ttl_secs = None;
            }
        }
        PollOutcome::Failed(e) => {
            s.last_error = Some(e.to_string());
            s.failures = s.failures.saturating_add(1);
            if matches!(e, upstream::PollError::Parse(_)) {
                // Read the whole feed next time, even if the server says it is unchanged.
                s.etag = None;
                s.last_modified = None;
            }
        }
    }
    let timing = SourceTiming {
        every: p.timing.every,
        ttl: s.ttl_secs.map(Duration::from_secs),
        max_age: s.max_age_secs.map(Duration::from_secs),
        failures: s.failures,
        retry_after: s.retry_after,
    };
    s.next_due = Some(schedule::next_due(&timing, &s.name, now));
    s
}
