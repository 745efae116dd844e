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
//! module: [`plan`](super::plan), [`net`](super::net) (polling), and the phases after the
//! polls in [`apply`](super::apply) ([`decide`](super::decide), [`harvest`](super::harvest)).
//! Nothing is printed here.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

pub(crate) use super::apply::Checked;
use super::apply::{Deciding, Mode, apply_runs};
use super::backfill;
use super::decide::SourceRun;
use super::net::{self, Net, fetch_config, runtime};
use super::plan;
use super::report::{CheckReport, Outcome};
use super::{PipelineError, Progress};
use crate::archive::{Archive, ArchiveDir, SourceState};
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::upstream::Poll;

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
    let dir = ArchiveDir::of(config);
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
