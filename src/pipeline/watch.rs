//! `watch`: one long-lived process that keeps the archive and the feeds current.
//!
//! By default a claimer ticks every [`TICK`]: in one short transaction it claims the sources
//! the store has due (an indexed query by due time; see [`crate::archive::catalog`]), each
//! under a lease of `[store] lease`, at most [`PER_HOST`] leases per host across workers and
//! at most [`IN_FLIGHT`] polls of its own at once. Each claimed source gets a task that polls
//! it with the saved validators and hands the poll to the one writer thread, which saves it
//! fenced by the claim (a claim another worker took over while this one stalled is reported
//! as a lost lease, its poll not saved) and moves the source's due time on (its `every`,
//! lengthened by its own hints and by backoff). The claimer renews the leases of the polls
//! in flight every third of a lease; a task releases its claim when its poll is saved. A
//! hanging source therefore delays nobody: its task waits (bounded by the fetch timeout)
//! while the others' polls are archived. A `run` or `check` between polls claims from the
//! same catalog, so a source is never polled twice within its interval. With `--cron
//! EXPR`, one task runs whole cycles instead — check every due source, then publish — at
//! the times the expression gives, like `run` from cron but in one process.
//!
//! At start the config's `[[sources]]` are upserted into the catalog (without the archive
//! lock: only the catalog is written then).
//!
//! The writer turns polls into archive changes with the check pipeline's own phases
//! (decide, score, fetch and capture pages, write), publishes when something was archived,
//! and pings the WebSub hub. It holds the archive lock only while it does that, so `list`,
//! `serve` and even a manual `run` can happen between cycles. When another run holds the
//! lock, the writer keeps the polls it has and tries again [`LOCK_RETRY`] later (a cron
//! cycle is skipped instead); a second `watch` on the same archive is refused at start
//! (`watch.lock` in the archive folder).
//!
//! Stopping (the `shutdown` future, SIGINT/SIGTERM in the binary): waits and polls in
//! flight are dropped at once; a cycle in its network phases (page fetches, hub pings) is
//! abandoned before it writes anything; a cycle already writing to the database or the
//! feeds folder finishes. Nothing here prints: one `tracing` line per cycle at info level,
//! a failed hub ping at warn, a failed cycle at error.

use std::collections::HashMap;
use std::future::Future;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::Serialize;
use tokio::sync::{oneshot, watch};

use super::PipelineError;
use super::check::{self, CheckOptions, Checked};
use super::net::{self, Net};
use super::plan;
use super::report::{CheckReport, Outcome};
use super::roster;
use crate::archive::{ArchiveDir, ArchiveLock, Claim, ClaimRequest, LockError, SourceState};
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::publish::{self, PublishReport};
use crate::schedule::{self, CronSchedule};
use crate::upstream::{self, Poll};
use crate::websub::PingReport;

/// How long the writer waits before trying again when another run holds the archive lock.
pub const LOCK_RETRY: Duration = Duration::from_secs(5);
/// `watch` gives up after this many cycles in a row failed (a full disk, a broken archive).
pub const MAX_FAILED_CYCLES: u32 = 5;
/// The file in the archive folder that one `watch` holds for as long as it runs.
pub const WATCH_LOCK_FILE: &str = "watch.lock";
/// How often the claimer looks for due sources.
pub const TICK: Duration = Duration::from_secs(1);
/// At most this many leases on sources of one host, held by all workers together.
pub const PER_HOST: usize = 4;
/// At most this many of this worker's polls in flight (claimed, not yet saved).
pub const IN_FLIGHT: usize = 4 * net::CONCURRENCY;

/// How `watch` runs.
#[derive(Debug, Clone, Default)]
pub struct WatchOptions {
    /// Full cycles on this schedule instead of polling each source when it is due.
    pub cron: Option<CronSchedule>,
}

/// One cycle: the polls applied (in per-source mode, those that arrived together), and
/// the publish and pings that followed.
#[derive(Debug, Clone, Serialize)]
pub struct CycleReport {
    #[serde(flatten)]
    pub check: CheckReport,
    /// `None` when nothing was archived (per-source mode publishes only after a change).
    pub published: Option<PublishReport>,
    pub websub: Option<PingReport>,
    /// The scheduled re-check of archived originals (`[refresh] every`), when one ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh: Option<super::RefreshReport>,
}

/// What a `watch` did by the time it stopped.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WatchSummary {
    /// Cycles that ran to the end.
    pub cycles: u64,
    /// Cycles skipped or postponed because another run held the archive lock.
    pub lock_busy: u64,
    /// Articles archived over all cycles.
    pub archived: u64,
}

/// Work for the writer thread.
enum Job {
    /// Publish once (at start: the feeds may be behind the archive).
    Publish,
    /// A source's task polled it; reply with the state saved for it.
    /// (Boxed: a poll is large and the other jobs are tiny.)
    Polled(Box<PendingPoll>),
    /// A full cycle (`--cron`): check the due sources, publish.
    Cycle { reply: oneshot::Sender<()> },
}

/// Runs until `shutdown` completes (then returns `Ok`), or until [`MAX_FAILED_CYCLES`]
/// cycles in a row failed (then returns the last error). `on_cycle` sees every cycle's
/// report, on the writer thread.
pub fn watch(
    config: &Config,
    opts: &WatchOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_cycle: &mut (dyn FnMut(&CycleReport) + Send),
) -> Result<WatchSummary, PipelineError> {
    let dir = ArchiveDir::of(config);
    // Only `init` creates an archive: a missing one is refused before any lock file is made.
    dir.require()?;
    let _watching = ArchiveLock::acquire(&config.archive_dir().join(WATCH_LOCK_FILE)).map_err(|e| match e {
        LockError::Held { path, holder } => PipelineError::AlreadyWatching { path, holder },
        other => PipelineError::Locked(other),
    })?;
    // The config's sources go into the store's catalog; the catalog's enabled ones are
    // watched. The fetcher caps how many requests run at once (after each takes its host's
    // slot, so one slow host holds no slot another host could use).
    let synced = {
        let mut store = dir.open_catalog()?;
        roster::end_dead_local_leases(store.as_mut(), Utc::now())?;
        roster::sync(config, store.as_mut())?
    };
    let config = &synced;
    let fetcher = Fetcher::new(net::fetch_config(config)).map_err(PipelineError::Fetch)?;
    let rt = net::runtime()?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let stop_tx = Arc::new(stop_tx);
    let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
    let _ = jobs_tx.send(Job::Publish);
    let shared = Arc::new(config.clone());
    match &opts.cron {
        Some(cron) => tracing::info!(cron = cron.as_str(), sources = config.sources.len(), "watching on a schedule"),
        None => tracing::info!(sources = config.sources.len(), "watching each source when it is due"),
    }

    let handle = rt.handle().clone();
    std::thread::scope(|scope| {
        let writer = {
            let stop_tx = stop_tx.clone();
            let net_stop = stop_rx.clone();
            let fetcher = &fetcher;
            let handle = &handle;
            let dir = &dir;
            scope.spawn(move || {
                // However the writer ends (a fatal error, even a panic), the tasks stop too.
                let _stop = StopOnDrop(stop_tx);
                let net = Net { fetcher, handle, stop: Some(net_stop), progress: &super::Silent };
                Writer {
                    config,
                    dir,
                    net,
                    on_cycle,
                    summary: WatchSummary::default(),
                    feeds_behind: false,
                    refresh_looked: None,
                }
                .run(jobs_rx)
            })
        };
        rt.block_on(async {
            let stop_tx = stop_tx.clone();
            tokio::spawn(async move {
                shutdown.await;
                tracing::info!("stopping");
                stop_tx.send_replace(true);
            });
            let mut tasks = Vec::new();
            match &opts.cron {
                Some(cron) => {
                    tasks.push(tokio::spawn(cron_task(cron.clone(), jobs_tx.clone(), stopped(stop_rx.clone()))));
                }
                None => {
                    let claimer = Claimer {
                        index: shared.sources.iter().enumerate().map(|(i, s)| (s.name().to_string(), i)).collect(),
                        config: shared.clone(),
                        fetcher: fetcher.clone(),
                        dir: dir.clone(),
                        jobs: jobs_tx.clone(),
                        worker: roster::worker_id(),
                        held: Arc::default(),
                    };
                    tasks.push(tokio::spawn(claimer.run(stop_rx.clone())));
                }
            }
            drop(jobs_tx); // the writer ends when every task has
            for task in tasks {
                let _ = task.await;
            }
        });
        writer.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Sets the stop flag when dropped.
struct StopOnDrop(Arc<watch::Sender<bool>>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.send_replace(true);
    }
}

/// Completes when the stop flag is set (never, if its sender is gone without setting it).
async fn stopped(mut stop: watch::Receiver<bool>) {
    if stop.wait_for(|s| *s).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The claim loop of the per-source mode: claims due sources every [`TICK`], polls each in
/// its own task, renews the leases of the polls in flight.
struct Claimer {
    config: Arc<Config>,
    /// Each source's position in `config.sources`, by name.
    index: HashMap<String, usize>,
    fetcher: Fetcher,
    dir: ArchiveDir,
    jobs: mpsc::Sender<Job>,
    worker: String,
    /// The claims of the polls in flight, by source name.
    held: Arc<Mutex<HashMap<String, Claim>>>,
}

impl Claimer {
    async fn run(self, stop_rx: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let mut polls = tokio::task::JoinSet::new();
        let mut renewed = Instant::now();
        let lease = this.config.store.lease.0;
        let stop = stopped(stop_rx);
        tokio::pin!(stop);
        loop {
            let tick = async {
                while polls.try_join_next().is_some() {}
                if renewed.elapsed() >= lease / 3 {
                    renewed = Instant::now();
                    this.renew().await;
                    this.catalog("ending dead workers' leases", |store| {
                        roster::end_dead_local_leases(store, Utc::now())
                    })
                    .await;
                }
                for claim in this.claim().await {
                    polls.spawn(this.clone().poll(claim));
                }
            };
            tokio::select! {
                biased;
                () = &mut stop => break,
                () = tick => {}
            }
            tokio::select! {
                biased;
                () = &mut stop => break,
                () = tokio::time::sleep(TICK) => {}
            }
        }
        // Stopping: polls in flight are dropped at once, and their claims given back.
        polls.abort_all();
        let held: Vec<Claim> = this.held().drain().map(|(_, c)| c).collect();
        this.catalog("releasing the leases at stop", move |store| store.release(&held)).await;
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<String, Claim>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs one catalog transaction off the async threads; a failure is a warning (a claim
    /// not made is made at a later tick, a lease not renewed or released runs out).
    async fn catalog<T: Send + 'static>(
        &self,
        what: &'static str,
        work: impl FnOnce(&mut dyn crate::archive::Archive) -> Result<T, crate::archive::ArchiveError> + Send + 'static,
    ) -> Option<T> {
        let dir = self.dir.clone();
        let done = tokio::task::spawn_blocking(move || work(dir.open_catalog()?.as_mut())).await;
        match done {
            Ok(Ok(value)) => Some(value),
            Ok(Err(e)) => {
                tracing::warn!("{what}: {e}");
                None
            }
            Err(e) => {
                tracing::warn!("{what}: {e}");
                None
            }
        }
    }

    /// Claims due sources, as many as this worker has room for.
    async fn claim(&self) -> Vec<Claim> {
        let room = IN_FLIGHT.saturating_sub(self.held().len());
        if room == 0 {
            return Vec::new();
        }
        let (worker, lease) = (self.worker.clone(), self.config.store.lease.0);
        let claims = self
            .catalog("claiming due sources", move |store| {
                store.claim_due(&ClaimRequest {
                    worker: &worker,
                    now: Utc::now(),
                    lease,
                    limit: room,
                    per_host: PER_HOST,
                })
            })
            .await
            .unwrap_or_default();
        let mut held = self.held();
        for c in &claims {
            held.insert(c.name.clone(), c.clone());
        }
        claims
    }

    /// Renews the leases of the polls in flight; a lost one is logged (its save will be
    /// refused and reported).
    async fn renew(&self) {
        let claims: Vec<Claim> = self.held().values().cloned().collect();
        if claims.is_empty() {
            return;
        }
        let lease = self.config.store.lease.0;
        let asked = claims.clone();
        let Some(kept) = self.catalog("renewing leases", move |store| store.renew(&asked, Utc::now(), lease)).await
        else {
            return;
        };
        for lost in claims.iter().filter(|c| !kept.contains(c)) {
            tracing::warn!(source = lost.name, "lease lost: another worker took this source over");
        }
    }

    /// Polls one claimed source and hands the poll to the writer; releases the claim once
    /// the poll is saved (after a failed cycle the lease runs out instead, so the source
    /// waits a lease before it is tried again).
    async fn poll(self: Arc<Self>, claim: Claim) {
        let Some(&index) = self.index.get(&claim.name) else {
            // Added to the catalog after this worker started: the next `watch` sees it.
            self.held().remove(&claim.name);
            return;
        };
        let name = claim.name.clone();
        let prior = self.catalog("reading a source's state", move |store| store.source_state(&name)).await.flatten();
        let plan = plan::poll_plan(&self.config, index, prior);
        let poll = upstream::poll(&self.fetcher, &plan.request).await;
        let (reply, answer) = oneshot::channel();
        let pending = PendingPoll { index, state: plan.state, poll, claim: claim.clone(), reply };
        let saved = match self.jobs.send(Job::Polled(Box::new(pending))) {
            Ok(()) => matches!(answer.await, Ok(Ok(_))),
            Err(_) => false,
        };
        if saved {
            let done = [claim.clone()];
            self.catalog("releasing a lease", move |store| store.release(&done)).await;
        }
        self.held().remove(&claim.name);
    }
}

/// `--cron`: a full cycle at each time the expression gives.
async fn cron_task(cron: CronSchedule, jobs: mpsc::Sender<Job>, stop: impl Future<Output = ()>) {
    let next = move || cron.next_after(&chrono::Local::now());
    let Some(first) = next() else { return };
    let next = &next;
    let jobs = &jobs;
    schedule::drive(
        first,
        || async move {
            let (reply, done) = oneshot::channel();
            jobs.send(Job::Cycle { reply }).ok()?;
            // A cycle the writer could not run (it failed before reaching it) still leaves
            // the schedule running; only a writer that is gone (a closed channel) ends it.
            let _ = done.await;
            next()
        },
        stop,
    )
    .await;
}

/// The one thread that writes: the archive, the feeds, and the hub pings after them.
struct Writer<'a> {
    config: &'a Config,
    dir: &'a ArchiveDir,
    net: Net<'a>,
    on_cycle: &'a mut (dyn FnMut(&CycleReport) + Send),
    summary: WatchSummary,
    /// The archive may hold changes the feeds do not show yet (a publish failed or was
    /// put off by a busy lock): the next cycle publishes even if it archives nothing.
    feeds_behind: bool,
    /// When the last cycle looked for originals due for a re-check (at most one look per
    /// [`REFRESH_LOOK`]: the look reads the publication log).
    refresh_looked: Option<std::time::Instant>,
}

/// How often `watch` looks for archived originals due for a re-check.
const REFRESH_LOOK: std::time::Duration = std::time::Duration::from_secs(3600);

/// How a cycle ended.
enum Ended {
    Done,
    /// Another run holds the archive lock.
    Busy(Option<String>),
}

/// Polls waiting to be applied, with the tasks waiting for their answers.
struct PendingPoll {
    index: usize,
    state: SourceState,
    poll: Poll,
    /// The lease it was polled under.
    claim: Claim,
    reply: oneshot::Sender<Result<SourceState, ()>>,
}

impl Writer<'_> {
    fn run(mut self, jobs: mpsc::Receiver<Job>) -> Result<WatchSummary, PipelineError> {
        let mut pending: Vec<PendingPoll> = Vec::new();
        let mut retry_at: Option<Instant> = None;
        let mut failed_in_a_row = 0u32;
        loop {
            // Wait for work: any job, or (with polls kept back by a busy lock) the retry time.
            let job = match retry_at {
                None => match jobs.recv() {
                    Ok(job) => Some(job),
                    Err(_) => break,
                },
                Some(at) => match jobs.recv_timeout(at.saturating_duration_since(Instant::now())) {
                    Ok(job) => Some(job),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => break,
                },
            };
            let mut other = Vec::new();
            for job in job.into_iter().chain(std::iter::from_fn(|| jobs.try_recv().ok())) {
                match job {
                    Job::Polled(polled) => pending.push(*polled),
                    job => other.push(job),
                }
            }
            if retry_at.is_some_and(|at| Instant::now() < at) && other.is_empty() {
                continue; // keep gathering until the retry time
            }
            if self.net.stopping() {
                break;
            }
            let mut result = Ok(Ended::Done);
            for job in other {
                result = match job {
                    Job::Publish => self.publish_cycle(),
                    Job::Cycle { reply } => {
                        let r = self.full_cycle();
                        let _ = reply.send(());
                        r
                    }
                    Job::Polled(_) => unreachable!("sorted above"),
                };
                if result.is_err() {
                    break;
                }
            }
            if result.is_ok() && !pending.is_empty() {
                result = self.polled_cycle(&mut pending);
            }
            match result {
                Ok(Ended::Done) => {
                    retry_at = None;
                    failed_in_a_row = 0;
                }
                Ok(Ended::Busy(holder)) => {
                    self.summary.lock_busy += 1;
                    retry_at = (!pending.is_empty()).then(|| Instant::now() + LOCK_RETRY);
                    if !pending.is_empty() {
                        tracing::info!(
                            "the archive is locked by another run{}; {} poll(s) kept, trying again in {}s",
                            holder.map(|h| format!(" ({h})")).unwrap_or_default(),
                            pending.len(),
                            LOCK_RETRY.as_secs()
                        );
                    }
                }
                Err(PipelineError::Stopped) => break,
                Err(e) => {
                    for p in pending.drain(..) {
                        let _ = p.reply.send(Err(()));
                    }
                    retry_at = None;
                    failed_in_a_row += 1;
                    tracing::error!("cycle failed ({failed_in_a_row} in a row): {e}");
                    if failed_in_a_row >= MAX_FAILED_CYCLES {
                        return Err(e);
                    }
                }
            }
        }
        tracing::info!(cycles = self.summary.cycles, archived = self.summary.archived, "stopped");
        Ok(self.summary)
    }

    /// Takes the archive lock, or says who holds it.
    fn lock(&self) -> Result<Result<ArchiveLock, Option<String>>, PipelineError> {
        match self.dir.lock() {
            Ok(lock) => Ok(Ok(lock)),
            Err(LockError::Held { holder, .. }) => Ok(Err(holder)),
            Err(e) => Err(e.into()),
        }
    }

    fn publish_cycle(&mut self) -> Result<Ended, PipelineError> {
        let published = {
            let _lock = match self.lock()? {
                Ok(lock) => lock,
                Err(holder) => {
                    tracing::info!("the archive is locked; the feeds are published after the next poll");
                    self.feeds_behind = true;
                    return Ok(Ended::Busy(holder));
                }
            };
            self.publish_now()?
        };
        if !published.written.is_empty() {
            tracing::info!(written = published.written.len(), "published at start");
        }
        self.ping(&published);
        Ok(Ended::Done)
    }

    /// `--cron`: everything that is due, then publish, like `run`.
    fn full_cycle(&mut self) -> Result<Ended, PipelineError> {
        let checked_published = {
            let _lock = match self.lock()? {
                Ok(lock) => lock,
                Err(holder) => {
                    tracing::info!(
                        "cycle skipped: the archive is locked by another run{}",
                        holder.as_deref().map(|h| format!(" ({h})")).unwrap_or_default()
                    );
                    self.summary.lock_busy += 1;
                    return Ok(Ended::Done);
                }
            };
            let mut store = self.dir.open()?;
            let now = Utc::now();
            let checked =
                check::check_on(self.config, store.as_mut(), self.dir, &self.net, &CheckOptions::default(), now)?;
            let refreshed = self.refresh_due(store.as_mut())?;
            drop(store);
            let published = self.publish_now()?;
            (checked, published, refreshed)
        };
        let (checked, published, refreshed) = checked_published;
        self.finish(checked, Some(published), refreshed);
        Ok(Ended::Done)
    }

    /// Applies the polls the source tasks sent, publishes after a change, and answers each
    /// task with its source's saved state. A busy lock leaves `pending` as it was.
    fn polled_cycle(&mut self, pending: &mut Vec<PendingPoll>) -> Result<Ended, PipelineError> {
        let lock = match self.lock()? {
            Ok(lock) => lock,
            Err(holder) => return Ok(Ended::Busy(holder)),
        };
        let mut replies = Vec::with_capacity(pending.len());
        let mut polled = Vec::with_capacity(pending.len());
        let claims: Vec<Claim> = pending.iter().map(|p| p.claim.clone()).collect();
        for p in pending.drain(..) {
            replies.push((self.config.sources[p.index].name().to_string(), p.state.clone(), p.reply));
            polled.push((p.index, p.state, p.poll));
        }
        let applied = (|| {
            let mut store = self.dir.open()?;
            let checked =
                check::apply_polled(self.config, store.as_mut(), self.dir, &self.net, polled, &claims, Utc::now())?;
            let refreshed = self.refresh_due(store.as_mut())?;
            drop(store);
            let refresh_changed = refreshed.as_ref().is_some_and(|r| r.changed + r.removed > 0);
            let published = if checked.report.archived > 0 || refresh_changed || self.feeds_behind {
                Some(self.publish_now()?)
            } else {
                None
            };
            Ok::<_, PipelineError>((checked, published, refreshed))
        })();
        drop(lock);
        let (checked, published, refreshed) = match applied {
            Ok(done) => done,
            Err(e) => {
                for (_, _, reply) in replies {
                    let _ = reply.send(Err(()));
                }
                return Err(e);
            }
        };
        let saved: HashMap<&str, &SourceState> = checked.states.iter().map(|s| (s.name.as_str(), s)).collect();
        for (name, prior, reply) in replies {
            let state = saved.get(name.as_str()).map_or(prior, |s| (*s).clone());
            let _ = reply.send(Ok(state));
        }
        self.finish(checked, published, refreshed);
        Ok(Ended::Done)
    }

    /// The scheduled re-check (`[refresh] every`), at most one look per [`REFRESH_LOOK`];
    /// the caller holds the lock.
    fn refresh_due(
        &mut self,
        store: &mut dyn crate::archive::Archive,
    ) -> Result<Option<super::RefreshReport>, PipelineError> {
        if self.config.refresh.every.is_none() || self.refresh_looked.is_some_and(|t| t.elapsed() < REFRESH_LOOK) {
            return Ok(None);
        }
        self.refresh_looked = Some(std::time::Instant::now());
        super::refresh::refresh_due(self.config, store, self.dir, &self.net, Utc::now())
    }

    /// Publishes (the caller holds the lock), keeping [`Self::feeds_behind`] true until a
    /// publish succeeds.
    fn publish_now(&mut self) -> Result<PublishReport, PipelineError> {
        self.feeds_behind = true;
        let mut store = self.dir.open()?;
        let published = publish::publish(store.as_mut(), self.config, &self.config.feeds_dir())?;
        self.feeds_behind = false;
        Ok(published)
    }

    /// After a cycle's writes (lock released): pings, logs, `on_cycle`.
    fn finish(&mut self, checked: Checked, published: Option<PublishReport>, refresh: Option<super::RefreshReport>) {
        let websub = published.as_ref().and_then(|p| self.ping(p));
        let report = CycleReport { check: checked.report, published, websub, refresh };
        self.summary.cycles += 1;
        self.summary.archived += report.check.archived as u64;
        log_cycle(&report);
        (self.on_cycle)(&report);
    }

    /// Pings the hub for the feeds that changed; a failure is one warn line naming the hub.
    fn ping(&self, published: &PublishReport) -> Option<PingReport> {
        let report = self
            .net
            .block_on(super::notify_hub_on(self.config, Some(self.net.fetcher), &published.changed_feeds))
            .ok()
            .flatten()?;
        if let Some(first) = report.failed.first() {
            tracing::warn!(
                "WebSub hub {}: {} of {} feed(s) not notified: {}",
                report.hub,
                report.failed.len(),
                report.failed.len() + report.pinged.len(),
                first.error
            );
        }
        Some(report)
    }
}

/// One info line per cycle; one warn line per failed source.
fn log_cycle(report: &CycleReport) {
    let check = &report.check;
    let count = |o: Outcome| check.sources.iter().filter(|s| s.outcome == o).count();
    for s in check.failures() {
        tracing::warn!(
            "source \"{}\" ({}): {}; next try {}",
            s.name,
            s.url,
            s.error.as_deref().unwrap_or("failed"),
            s.next_due.as_deref().unwrap_or("soon")
        );
    }
    let published = match &report.published {
        Some(p) => format!("; published: {} file(s) written", p.written.len()),
        None => String::new(),
    };
    let websub = match &report.websub {
        Some(w) => format!("; hub notified of {} feed(s)", w.pinged.len()),
        None => String::new(),
    };
    tracing::info!(
        "cycle: {} source(s) polled ({} fetched, {} not modified, {} failed), {} archived{published}{websub}",
        check.sources.len() - count(Outcome::Skipped),
        count(Outcome::Fetched),
        count(Outcome::NotModified),
        count(Outcome::Failed),
        check.archived
    );
}
