//! `check`: poll the sources that are due, decide on every new item, archive the
//! related ones, save what the next poll needs, and report.
//!
//! The phases, in order: choose the due sources (`schedule`); poll them concurrently on a
//! tokio runtime (at most [`CONCURRENCY`](super::CONCURRENCY) requests at once, each taking its host's slot
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
//!
//! This file holds the command and the order of the phases; each phase lives in its own
//! module: [`plan`](super::plan), [`net`](super::net) (polling), [`decide`](super::decide),
//! [`harvest`](super::harvest) (pages and articles). Nothing is printed here.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::backfill;
use super::decide::{self, Action, SourceRun, Topic};
use super::net::{self, Net, fetch_config, runtime};
use super::plan;
use super::report::{CheckReport, DecisionView, Outcome, SourceReport};
use super::{PipelineError, Progress, harvest};
use crate::archive::{Archive, ArchiveDir, SourceState};
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::relevance::Rules;
use crate::upstream::{Poll, PollOutcome};

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
        return check_with(config, store.as_mut(), &dir, opts, now, progress);
    }
    let _lock = dir.lock()?;
    let mut store = dir.open()?;
    check_with(config, store.as_mut(), &dir, opts, now, progress)
}

/// Checks with an open store: see the module documentation. `dir` is where captures go.
pub fn check_with(
    config: &Config,
    store: &mut dyn Archive,
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

/// A check's report and the sources' states it saved (one per polled source).
pub(crate) struct Checked {
    pub(crate) report: CheckReport,
    pub(crate) states: Vec<SourceState>,
}

/// Plans, polls and applies a check over `net`.
pub(crate) fn check_on(
    config: &Config,
    store: &mut dyn Archive,
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
    let force = opts.force || opts.dry_run;
    let mut runs: Vec<SourceRun> = config
        .sources
        .iter()
        .filter(|s| opts.source.as_deref().is_none_or(|n| n == s.name()))
        .map(|s| SourceRun::new(plan::plan(config, s, states.remove(s.name()), force, now), None))
        .collect();
    net.block_on(net::poll_all(net, &mut runs, opts.dry_run))?;
    apply(config, store, dir, net, runs, opts.dry_run, now)
}

/// Applies polls made elsewhere (by `watch`'s per-source tasks): `(index in
/// config.sources, the state the poll was planned from, the poll)`. The same phases as a
/// check after its polls: decide, score, archive, save.
pub(crate) fn apply_polled(
    config: &Config,
    store: &mut dyn Archive,
    dir: &ArchiveDir,
    net: &Net<'_>,
    polled: Vec<(usize, SourceState, Poll)>,
    now: DateTime<Utc>,
) -> Result<Checked, PipelineError> {
    let runs = polled
        .into_iter()
        .map(|(index, state, poll)| {
            let mut p = plan::plan(config, &config.sources[index], Some(state), false, now);
            p.skip = None; // it was due when its task polled it
            SourceRun::new(p, Some(poll))
        })
        .collect();
    apply(config, store, dir, net, runs, false, now)
}

/// Everything after the polls: see the module documentation. Then, for each source with
/// `backfill = true` that has never been walked, its history ([`backfill::walk_once`]).
fn apply(
    config: &Config,
    store: &mut dyn Archive,
    dir: &ArchiveDir,
    net: &Net<'_>,
    runs: Vec<SourceRun<'_>>,
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<Checked, PipelineError> {
    let mut deciding = Deciding::new(config);
    let mode = Mode { dry_run, save_states: true, now };
    let mut checked = apply_runs(store, dir, net, runs, &mut deciding, mode)?;
    if !dry_run {
        for report in checked.report.sources.iter_mut().filter(|r| r.outcome == Outcome::Fetched) {
            if let Some(source) = config.source(&report.name).filter(|s| s.backfill) {
                report.backfill = backfill::walk_once(config, store, dir, net, source, &mut deciding, now)?;
                if let Some(b) = &report.backfill {
                    report.archived += b.archived;
                }
            }
        }
        deciding.topic.save_cache(store)?;
    }
    let archived = checked.report.sources.iter().map(|r| r.archived).sum();
    checked.report.archived = archived;
    Ok(checked)
}

/// The relevance rules and the topic model (built at most once) that decide items.
pub(super) struct Deciding {
    pub(super) rules: Rules,
    pub(super) topic: Topic,
}

impl Deciding {
    pub(super) fn new(config: &Config) -> Deciding {
        let rules = Rules {
            keywords: config.relevance.keywords.clone(),
            exclude: config.relevance.exclude.clone(),
            threshold: config.relevance.threshold.0,
            learn_from_archive: config.relevance.learn_from_archive,
        };
        let topic = Topic::new(rules.learn_from_archive);
        Deciding { rules, topic }
    }
}

/// How [`apply_runs`] saves: nothing in a dry run; else the decisions and articles, and
/// the sources' new poll states only when `save_states` (a backfill page says nothing about
/// the feed's validators or schedule: its source's state is saved as it was).
#[derive(Debug, Clone, Copy)]
pub(super) struct Mode {
    pub(super) dry_run: bool,
    pub(super) save_states: bool,
    pub(super) now: DateTime<Utc>,
}

/// Decides on the polled runs' items, archives the kept ones and saves (see [`Mode`]).
pub(super) fn apply_runs(
    store: &mut dyn Archive,
    dir: &ArchiveDir,
    net: &Net<'_>,
    mut runs: Vec<SourceRun<'_>>,
    deciding: &mut Deciding,
    mode: Mode,
) -> Result<Checked, PipelineError> {
    let Mode { dry_run, now, .. } = mode;
    let clock = std::time::Instant::now();
    let lap = |what: &str| tracing::info!(elapsed = ?clock.elapsed(), "check: {what}");
    lap("polled");
    let Deciding { rules, topic } = deciding;
    decide::read_stored(store, &mut runs, rules, topic)?;
    lap("stored decisions read");
    decide::decide(store, &mut runs, rules, topic, now)?;
    lap("scored");
    if !dry_run {
        harvest::archive_kept(store, dir, net, &mut runs)?;
    }
    lap("archived");
    // Save and report.
    let mut reports = Vec::with_capacity(runs.len());
    let mut new_states = Vec::new();
    let mut new_decisions = Vec::new();
    for run in runs {
        let p = &run.plan;
        let state = match &run.poll {
            Some(poll) if mode.save_states => Some(plan::next_state(p, poll, now)),
            Some(_) => Some(p.state.clone()),
            None => None,
        };
        let (outcome, error) = match run.poll.as_ref().map(|p| &p.outcome) {
            None => (Outcome::Skipped, None),
            Some(PollOutcome::Fetched(_)) => (Outcome::Fetched, None),
            Some(PollOutcome::NotModified) => (Outcome::NotModified, None),
            Some(PollOutcome::Failed(e)) => (Outcome::Failed, Some(e.to_string())),
        };
        let mut decisions = Vec::new();
        let (mut kept, mut rejected) = (0, 0);
        let seen_count = run.seen.len();
        for x in run.seen {
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
            archived: run.archived,
            error,
            note: p.skip.clone(),
            next_due: next_due.as_ref().map(crate::date::rfc3339),
            decisions,
            backfill: None,
        });
        if let Some(state) = state {
            new_states.push(state);
        }
    }
    if !dry_run {
        store.record_check(&new_states, &new_decisions)?;
        lap("decisions and states saved");
    }
    let archived = reports.iter().map(|r| r.archived).sum();
    let failed = reports.iter().filter(|r| r.outcome == Outcome::Failed).count();
    Ok(Checked { report: CheckReport { dry_run, sources: reports, archived, failed }, states: new_states })
}
