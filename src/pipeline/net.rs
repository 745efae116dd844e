//! The network side of a check: the fetch limits, the tokio runtime, the concurrency
//! bounds, the stop signal `watch` uses, and the polling phase (every due source at once,
//! each request first taking its host's slot). It decides nothing about items and writes
//! nothing.

use std::time::Duration;

use futures_util::StreamExt;

use super::PipelineError;
use super::Progress;
use super::plan::SourceRun;
use crate::config::Config;
use crate::fetch::{FetchConfig, Fetcher};
use crate::upstream::{self, PollOutcome, PollRequest};

/// Requests in flight at once (polls or pages), over all hosts.
pub const CONCURRENCY: usize = 16;
/// Polls or page fetches started at once: more than [`CONCURRENCY`], so that while some
/// wait for a busy host's slot, requests to other hosts still fill the global slots.
pub(super) const QUEUED: usize = 4 * CONCURRENCY;

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

/// Polls the due sources concurrently, filling in each run's poll (`None` stays for the
/// sources not due).
pub(super) async fn poll_all(net: &Net<'_>, runs: &mut [SourceRun<'_>], dry_run: bool) {
    let fetcher = net.fetcher;
    let requests: Vec<(usize, PollRequest)> = runs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.plan.skip.is_none())
        .map(|(i, r)| {
            let p = &r.plan;
            let (etag, last_modified) =
                if dry_run { (None, None) } else { (p.state.etag.clone(), p.state.last_modified.clone()) };
            (i, PollRequest { url: p.target.clone(), etag, last_modified })
        })
        .collect();
    net.progress.start("polling", Some(requests.len() as u64));
    let mut stream = futures_util::stream::iter(requests)
        .map(|(i, req)| async move { (i, upstream::poll(fetcher, &req).await) })
        .buffer_unordered(QUEUED);
    while let Some((i, poll)) = stream.next().await {
        let name = runs[i].plan.source.name();
        if let PollOutcome::Failed(e) = &poll.outcome {
            tracing::info!(source = name, error = %e, "poll failed");
        }
        net.progress.step(name);
        runs[i].poll = Some(poll);
    }
    net.progress.finish();
}
