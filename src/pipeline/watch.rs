//! `watch`: one long-lived process that keeps the archive and the feeds current.
//!
//! By default every source has its own task: it sleeps until the source is due (its
//! `every`, lengthened by its own hints and by backoff — the state `check` keeps, through
//! [`schedule::due_at`]), polls it with the saved validators, and hands the poll to the one
//! writer thread. A hanging source therefore delays nobody: its task waits (bounded by the
//! fetch timeout) while the others' polls are archived. With `--cron EXPR`, one task runs
//! whole cycles instead — check every due source, then publish — at the times the
//! expression gives, like `run` from cron but in one process.
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
use super::plan::{self, PollPlan};
use super::report::{CheckReport, Outcome};
use crate::archive::{ArchiveDir, ArchiveLock, LockError, SourceState};
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::publish::{self, PublishReport};
use crate::schedule::{self, CronSchedule};
use crate::upstream::{self, Poll};
use crate::websub::PingReport;

/// How long the writer waits before trying again when another run holds the archive lock.
pub const LOCK_RETRY: Duration = Duration::from_secs(5);
/// After a cycle fails (not a busy lock), its sources wait at least this long.
pub const ERROR_RETRY: Duration = Duration::from_secs(60);
/// `watch` gives up after this many cycles in a row failed (a full disk, a broken archive).
pub const MAX_FAILED_CYCLES: u32 = 5;
/// The file in the archive folder that one `watch` holds for as long as it runs.
pub const WATCH_LOCK_FILE: &str = "watch.lock";

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
    // The source tasks poll whenever their sources are due: the fetcher caps how many
    // requests run at once (after each takes its host's slot, so one slow host holds no
    // slot another host could use).
    let fetcher = Fetcher::new(net::fetch_config(config)).map_err(PipelineError::Fetch)?;
    let states: HashMap<String, SourceState> =
        dir.open_read()?.source_states()?.into_iter().map(|s| (s.name.clone(), s)).collect();
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
                Writer { config, dir, net, on_cycle, summary: WatchSummary::default(), feeds_behind: false }
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
                    for index in 0..shared.sources.len() {
                        let prior = states.get(shared.sources[index].name()).cloned();
                        let first = plan::poll_plan(&shared, index, prior);
                        let task = SourceTask {
                            config: shared.clone(),
                            index,
                            fetcher: fetcher.clone(),
                            dir: dir.clone(),
                            jobs: jobs_tx.clone(),
                        };
                        tasks.push(tokio::spawn(task.run(first, stopped(stop_rx.clone()))));
                    }
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

/// One source's loop: wait until due, poll, hand the poll to the writer, plan again.
struct SourceTask {
    config: Arc<Config>,
    index: usize,
    fetcher: Fetcher,
    dir: ArchiveDir,
    jobs: mpsc::Sender<Job>,
}

impl SourceTask {
    async fn run(self, first: PollPlan, stop: impl Future<Output = ()>) {
        let due = first.due;
        let plan = Mutex::new(first);
        let this = &self;
        let plan = &plan;
        schedule::drive(
            due,
            || async move {
                // A `run` or `check` between this source's polls saved a newer state: plan
                // from it, so the source is not polled again before it is due.
                if let Some(saved) = this.saved_state()
                    && saved.last_attempt > plan_state(plan).last_attempt
                {
                    let next = plan::poll_plan(&this.config, this.index, Some(saved));
                    let due = next.due;
                    *plan.lock().unwrap_or_else(PoisonError::into_inner) = next;
                    if due > Utc::now() {
                        return Some(due);
                    }
                }
                let (state, request) = {
                    let p = plan.lock().unwrap_or_else(PoisonError::into_inner);
                    (p.state.clone(), p.request.clone())
                };
                let poll = upstream::poll(&this.fetcher, &request).await;
                let (reply, answer) = oneshot::channel();
                this.jobs.send(Job::Polled(Box::new(PendingPoll { index: this.index, state, poll, reply }))).ok()?;
                let next = match answer.await.ok()? {
                    Ok(saved) => plan::poll_plan(&this.config, this.index, Some(saved)),
                    Err(()) => {
                        let mut p = plan::poll_plan(&this.config, this.index, Some(plan_state(plan)));
                        let every = this.config.sources[this.index].every.0;
                        p.due = Utc::now() + chrono::Duration::from_std(every.max(ERROR_RETRY)).unwrap_or_default();
                        p
                    }
                };
                let due = next.due;
                *plan.lock().unwrap_or_else(PoisonError::into_inner) = next;
                Some(due)
            },
            stop,
        )
        .await;
    }
}

impl SourceTask {
    /// This source's state as the archive has it now (read-only; no lock needed).
    fn saved_state(&self) -> Option<SourceState> {
        let name = self.config.sources[self.index].name();
        self.dir.open_read().ok()?.source_states().ok()?.into_iter().find(|s| s.name == name)
    }
}

fn plan_state(plan: &Mutex<PollPlan>) -> SourceState {
    plan.lock().unwrap_or_else(PoisonError::into_inner).state.clone()
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
}

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
        let (checked, published) = {
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
            drop(store);
            let published = self.publish_now()?;
            (checked, published)
        };
        self.finish(checked, Some(published));
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
        for p in pending.drain(..) {
            replies.push((self.config.sources[p.index].name().to_string(), p.state.clone(), p.reply));
            polled.push((p.index, p.state, p.poll));
        }
        let applied = (|| {
            let mut store = self.dir.open()?;
            let checked = check::apply_polled(self.config, store.as_mut(), self.dir, &self.net, polled, Utc::now())?;
            drop(store);
            let published =
                if checked.report.archived > 0 || self.feeds_behind { Some(self.publish_now()?) } else { None };
            Ok::<_, PipelineError>((checked, published))
        })();
        drop(lock);
        let (checked, published) = match applied {
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
        self.finish(checked, published);
        Ok(Ended::Done)
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
    fn finish(&mut self, checked: Checked, published: Option<PublishReport>) {
        let websub = published.as_ref().and_then(|p| self.ping(p));
        let report = CycleReport { check: checked.report, published, websub };
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
