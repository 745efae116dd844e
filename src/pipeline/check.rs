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

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

pub(crate) use super::apply::Checked;
use super::apply::{Deciding, Mode, apply_runs};
use super::backfill;
use super::decide::SourceRun;
use super::net::{self, Net, fetch_config, runtime};
use super::plan;
use super::report::{CheckReport, Outcome};
use super::roster;
use super::{PipelineError, Progress};
use crate::archive::{Archive, ArchiveDir, Claim, ClaimRequest, SourceState};
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
        let mut report = check_with(config, store.as_mut(), &dir, opts, now, progress)?;
        let labels = super::label::stored(store.as_ref())?;
        report.labels = super::label::calibrate(&labels, &report, config.relevance.threshold.0);
        return Ok(report);
    }
    let _lock = dir.lock()?;
    let mut store = dir.open()?;
    check_with(config, store.as_mut(), &dir, opts, now, progress)
}

/// Checks with an open store: see the module documentation. `dir` is where captures go.
/// The config's sources are upserted into the store's catalog first (a dry run only reads
/// it), and the catalog's enabled sources are the ones checked (see `pipeline::roster`).
pub fn check_with(
    config: &Config,
    store: &mut dyn Archive,
    dir: &ArchiveDir,
    opts: &CheckOptions,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> Result<CheckReport, PipelineError> {
    let synced = if opts.dry_run { roster::viewed(config, &*store)? } else { roster::sync(config, store)? };
    let config = &synced;
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
    let force = opts.force || opts.dry_run;
    let selected = |name: &str| opts.source.as_deref().is_none_or(|n| n == name);
    // Claim what this check polls, in one short transaction: the due sources (an indexed
    // query), or the selected ones when forced or named. A dry run changes nothing.
    let claims = if opts.dry_run {
        Vec::new()
    } else {
        roster::end_dead_local_leases(store, now)?;
        let worker = roster::worker_id();
        let req =
            ClaimRequest { worker: &worker, now, lease: config.store.lease.0, limit: usize::MAX, per_host: usize::MAX };
        if opts.force || opts.source.is_some() {
            let names: Vec<String> =
                config.sources.iter().map(|s| s.name().to_string()).filter(|n| selected(n)).collect();
            store.claim_named(&names, &req)?
        } else {
            store.claim_due(&req)?
        }
    };
    let result = (|| {
        let claimed: HashSet<&str> = claims.iter().map(|c| c.name.as_str()).collect();
        let mut states: HashMap<String, SourceState> =
            store.source_states()?.into_iter().map(|s| (s.name.clone(), s)).collect();
        let mut runs: Vec<SourceRun> = config
            .sources
            .iter()
            .filter(|s| selected(s.name()))
            .map(|s| {
                let prior = states.remove(s.name());
                let p = if claimed.contains(s.name()) {
                    plan::plan(config, s, prior, true, now)
                } else {
                    let mut p = plan::plan(config, s, prior, force, now);
                    if !opts.dry_run && p.skip.is_none() {
                        p.skip = Some(NOT_CLAIMED.to_string());
                    }
                    p
                };
                SourceRun::new(p, None)
            })
            .collect();
        net.block_on(net::poll_all(net, &mut runs, opts.dry_run))?;
        apply(config, store, dir, net, runs, &claims, opts.dry_run, now)
    })();
    // Whatever happened, the claims end here; a source whose save failed stays due.
    if !claims.is_empty()
        && let Err(e) = store.release(&claims)
    {
        tracing::warn!("cannot release the leases of this check (they run out by themselves): {e}");
    }
    result
}

/// Why a due source was not polled: another worker holds its lease, or its due time in the
/// store is later than its interval alone says (a `Retry-After`, a feed's TTL).
const NOT_CLAIMED: &str = "not claimed: another worker holds it, or the store has it due later";

/// Applies polls made elsewhere (by `watch`'s per-source tasks): `(index in
/// config.sources, the state the poll was planned from, the poll)`, under `claims`. The same
/// phases as a check after its polls: decide, score, archive, save (fenced by the claims).
pub(crate) fn apply_polled(
    config: &Config,
    store: &mut dyn Archive,
    dir: &ArchiveDir,
    net: &Net<'_>,
    polled: Vec<(usize, SourceState, Poll)>,
    claims: &[Claim],
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
    apply(config, store, dir, net, runs, claims, false, now)
}

/// Everything after the polls: see the module documentation. Then, for each source with
/// `backfill = true` that has never been walked, its history ([`backfill::walk_once`]).
#[allow(clippy::too_many_arguments)]
fn apply(
    config: &Config,
    store: &mut dyn Archive,
    dir: &ArchiveDir,
    net: &Net<'_>,
    runs: Vec<SourceRun<'_>>,
    claims: &[Claim],
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<Checked, PipelineError> {
    let mut deciding = Deciding::new(config);
    let mode = Mode { dry_run, save_states: true, now, claims };
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::archive::{MemoryStore, SourceCatalog, SourceStateStore};
    use crate::upstream::PollOutcome;

    /// A worker that stalled past its lease, whose source another worker claimed since, gets
    /// a `lease_lost` outcome for its poll and saves nothing of it.
    #[test]
    fn a_poll_saved_after_its_lease_was_taken_over_is_reported_lost() {
        let text = "[site]\ntitle = \"T\"\nbase_url = \"https://archive.example/\"\n\n\
                    [[sources]]\nname = \"News\"\nurl = \"https://news.example/feed.xml\"\n";
        let config = crate::config::parse(text, Path::new("test.toml")).expect("config");
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = ArchiveDir::new(tmp.path());
        let mut store = MemoryStore::new();
        let config = roster::sync(&config, &mut store).expect("sync");
        let now = Utc::now();
        let req = |worker, now| ClaimRequest {
            worker,
            now,
            lease: std::time::Duration::from_secs(30),
            limit: 10,
            per_host: usize::MAX,
        };
        let stalled = store.claim_due(&req("w1", now)).expect("claim");
        let later = now + chrono::Duration::seconds(31);
        assert_eq!(store.claim_due(&req("w2", later)).expect("take over").len(), 1);
        let fetcher = Fetcher::new(net::fetch_config(&config)).expect("fetcher");
        let rt = runtime().expect("runtime");
        let net = Net { fetcher: &fetcher, handle: rt.handle(), stop: None, progress: &super::super::Silent };
        let poll = Poll {
            outcome: PollOutcome::NotModified,
            etag: Some("\"stale\"".into()),
            last_modified: None,
            max_age: None,
            retry_after: None,
            fetched_at: later,
            final_url: None,
        };
        let state = SourceState { name: "News".into(), ..SourceState::default() };
        let checked =
            apply_polled(&config, &mut store, &dir, &net, vec![(0, state, poll)], &stalled, later).expect("apply");
        let report = &checked.report.sources[0];
        assert_eq!(report.outcome, Outcome::LeaseLost, "{report:?}");
        assert!(report.note.as_deref().is_some_and(|n| n.starts_with("lease lost")), "{report:?}");
        assert!(checked.states.is_empty());
        assert!(store.source_states().expect("states").is_empty(), "nothing of the stale poll was saved");
    }
}
