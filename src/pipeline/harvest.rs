//! The page phase of a check: for every newly kept item (and every kept item that changed
//! upstream) not already archived, and every item whose feed entry was too close to the
//! threshold to decide on, fetch its page once per distinct link, concurrently and under
//! one deadline for the phase; extract the pages on all cores, each within the fetch
//! timeout as its time budget (a page over it is read from its feed entry and listed in
//! the report's `pages_over_budget`); decide the uncertain items on their article text
//! (the second stage of a two-stage decision: see `decide::settle_on_article`); capture
//! the raw responses of the pages of kept items as WARC; then build the articles (from
//! the page, or from the feed entry when the page could not be had) and write them in one
//! batch. It never replaces an archived page with a feed summary, and it is the only phase
//! here that writes articles.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;

use super::decide::{self, Action, SourceRun};
use super::net::{Net, QUEUED};
use super::page::{self, FetchedPage, ItemSource};
use super::report::PageOverBudget;
use super::{PageError, PipelineError, parallel};
use crate::archive::policy::BatchIndex;
use crate::archive::warc::WarcError;
use crate::archive::{Archive, ArchiveDir, DedupKeys, PutOutcome};
use crate::article::{ArticleId, CaptureRef, Identity, canonical_url};
use crate::deadline::Deadline;
use crate::extract::{ExtractError, Extracted};
use crate::fetch::{FetchError, FetchRequest, FetchResponse};
use crate::relevance::{Rules, TopicModel};
use crate::upstream::{ParsedFeed, Poll, PollError, PollOutcome};

/// The page fetches of one check may take this many fetch timeouts in all.
const PAGE_PHASE_TIMEOUTS: u32 = 3;

/// A page to fetch for a kept item.
struct PageJob {
    source: usize,
    item: usize,
    /// The link's canonical form (or the link), which groups the same page across sources.
    link_key: Option<String>,
    request: Result<FetchRequest, PageError>,
    rearchive: Option<ArticleId>,
}

/// Why an item's article is not read from its page.
#[derive(Debug, thiserror::Error)]
enum Unread {
    #[error("page not fetched: {0}")]
    NoRequest(PageError),
    #[error("page not fetched: {0}")]
    NotFetched(String),
    #[error("page not readable: {why}{}", capture.as_ref().map(|c| format!(" (raw page kept as WARC record {c})")).unwrap_or_default())]
    NotReadable { why: String, capture: Option<String> },
}

/// Fetches, reads, captures and archives the kept items that need it, filling in their
/// decisions' article ids and reasons; decides the uncertain items on their article
/// first (`model` is the topic they were scored with: `None` when nothing was scored).
/// Returns every capture made, for the caller to commit with the decisions that name them.
pub(super) fn archive_kept(
    store: &mut dyn Archive,
    dir: &ArchiveDir,
    net: &Net<'_>,
    runs: &mut [SourceRun<'_>],
    rules: &Rules,
    model: Option<&TopicModel>,
) -> Result<Vec<CaptureRef>, PipelineError> {
    let mut jobs = Vec::new();
    for (s, run) in runs.iter_mut().enumerate() {
        let plan = &run.plan;
        for (i, x) in run.seen.iter_mut().enumerate() {
            let Some(d) = x.decision.as_mut() else { continue };
            let rearchive = match x.action {
                Action::Rearchive => d.article_id.clone(),
                Action::Score if d.kept || x.uncertain.is_some() => None,
                _ => continue,
            };
            let link = x.item.link.as_deref().map(str::trim).filter(|l| !l.is_empty());
            if rearchive.is_none() && d.kept {
                // Already archived (from another source, by `add` or by import)? Then
                // this item is that article; nothing to fetch.
                let canonical = link.and_then(canonical_url);
                let ident = Identity::strongest(
                    None,
                    canonical.as_deref(),
                    x.item.upstream_id.as_deref().map(|id| (plan.configured.as_str(), id)),
                    &x.item.title,
                    x.item.published.as_ref(),
                );
                let keys = DedupKeys { identity: ident.key(), canonical_url: canonical, fingerprint: None };
                if let Some(existing) = store.find(&ident.id(), &keys)? {
                    d.reasons.push(format!("already archived as {existing}"));
                    d.article_id = Some(existing);
                    continue;
                }
            }
            let request = match link {
                Some(l) => page::page_request(l, plan.local_dir.as_deref()),
                None => Err(PageError::NoLink),
            };
            let link_key = link.map(|l| canonical_url(l).unwrap_or_else(|| l.to_string()));
            jobs.push(PageJob { source: s, item: i, link_key, request, rearchive });
        }
    }
    if jobs.is_empty() {
        return Ok(Vec::new());
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
    let extracted = extract_all(&fetched, fetcher.config().work_budget());
    tracing::info!(pages = fetched.len(), "pages extracted");
    // The second stage: uncertain items decided on their article's text.
    let mut needed = vec![false; fetched.len()];
    for (job, page_n) in jobs.iter().zip(&page_of) {
        let run = &mut runs[job.source];
        let keywords = &run.plan.source.keywords;
        let x = &mut run.seen[job.item];
        if let Some(model) = model {
            let article = page_n.and_then(|n| extracted[n].as_ref()?.as_ref().ok()).map(|e| e.text.as_str());
            decide::settle_on_article(x, article, model, rules, keywords);
        }
        if let (Some(n), Some(d)) = (page_n, &x.decision) {
            needed[*n] |= d.kept;
        }
    }
    // Only the pages of kept items are captured.
    let ok: Vec<(usize, &FetchResponse)> = fetched
        .iter()
        .enumerate()
        .filter(|(n, _)| needed[*n])
        .filter_map(|(n, r)| Some((n, r.as_ref().ok()?)))
        .collect();
    let captures = dir.captures()?;
    let refs = match page::capture_all(&captures, &ok.iter().map(|(_, r)| *r).collect::<Vec<_>>()) {
        Ok(refs) => refs,
        Err(WarcError::Object(e)) => {
            // The bucket is unreachable: archive nothing, so nothing refers to a capture that
            // was not written; the sources fail and read their feeds whole next time.
            tracing::warn!(error = %e, "captures could not be stored; nothing archived this run");
            let why = e.to_string();
            for run in runs.iter_mut().filter(|r| !r.seen.is_empty()) {
                run.seen.clear();
                if let Some(poll) = run.poll.as_mut() {
                    poll.outcome = PollOutcome::Failed(PollError::Archive(why.clone()));
                }
            }
            return Ok(Vec::new());
        }
        Err(e) => return Err(e.into()),
    };
    let made: Vec<CaptureRef> = refs.iter().flatten().cloned().collect();
    let mut captured: Vec<Option<CaptureRef>> = vec![None; fetched.len()];
    for ((n, _), r) in ok.iter().zip(refs) {
        captured[*n] = r;
    }
    tracing::info!(pages = ok.len(), "pages captured");
    let mut archived_as: HashMap<usize, ArticleId> = HashMap::new();
    // Articles are written in one transaction after the loop; `queued` matches the way the
    // store does (`archive::policy`'s match order) for the articles waiting in the batch.
    let mut batch: Vec<(crate::article::Article, DedupKeys)> = Vec::new();
    let mut pending: Vec<(usize, Pending)> = Vec::new();
    let mut queued = BatchIndex::new();
    for (j, (job, page_n)) in jobs.iter().zip(&page_of).enumerate() {
        let run = &mut runs[job.source];
        let p = &run.plan;
        let feed: Option<&ParsedFeed> = match run.poll.as_ref().map(|p| &p.outcome) {
            Some(PollOutcome::Fetched(f)) => Some(f),
            _ => None,
        };
        let feed_final = run.poll.as_ref().and_then(|p| p.final_url.clone()).unwrap_or_else(|| p.target.clone());
        let ctx = ItemSource {
            name: p.source.name(),
            feed_url: &p.configured,
            site_url: feed.and_then(|f| f.site_url.as_deref()),
            tags: &p.source.tags,
            feed_id: feed.and_then(|f| f.id.as_deref()),
            feed_updated: feed.and_then(|f| f.updated).or_else(|| run.poll.as_ref().map(|p| p.fetched_at)),
        };
        let x = &mut run.seen[job.item];
        let Some(decision) = x.decision.as_mut().filter(|d| d.kept) else { continue };
        if let (Some(n), None) = (page_n, &job.rearchive)
            && let Some(id) = archived_as.get(n)
        {
            decision.reasons.push(format!("same page as another source's item, archived as {id}"));
            decision.article_id = Some(id.clone());
            continue;
        }
        let polled = polled_at(&run.poll);
        let from_page: Result<_, Unread> = match page_n {
            Some(n) => match &fetched[*n] {
                Ok(resp) => {
                    let capture = captured[*n].clone();
                    match &extracted[*n] {
                        Some(Ok(read)) => Ok(page::from_page(
                            &x.item,
                            &ctx,
                            FetchedPage {
                                final_url: &resp.final_url,
                                extracted: read,
                                fetched_at: resp.fetched_at,
                                capture,
                            },
                        )),
                        other => {
                            if let Some(Err(e @ ExtractError::OutOfTime { .. })) = other {
                                run.over_budget.push(PageOverBudget {
                                    title: x.item.title.clone(),
                                    url: resp.final_url.clone(),
                                    error: e.to_string(),
                                });
                            }
                            Err(Unread::NotReadable {
                                why: match other {
                                    Some(Err(e)) => e.to_string(),
                                    _ => "not read".to_string(),
                                },
                                capture: capture.map(|c| c.record_id),
                            })
                        }
                    }
                }
                Err(e) => Err(Unread::NotFetched(e.to_string())),
            },
            None => match &job.request {
                Err(e) => Err(Unread::NoRequest(e.clone())),
                Ok(_) => Err(Unread::NoRequest(PageError::NoLink)),
            },
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
            None => match store.find(&article.id, &keys)?.or_else(|| queued.find(&article.id, &keys)) {
                Some(existing) => Pending::Now(PutOutcome::Duplicate { id: existing }),
                None => Pending::Batch(batch.len()),
            },
        };
        let id = match &next {
            Pending::Now(outcome) => outcome.id().clone(),
            Pending::Batch(_) => {
                queued.insert(&article.id, &keys);
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
        let run = &mut runs[job.source];
        let Some(decision) = run.seen[job.item].decision.as_mut() else { continue };
        match &outcome {
            PutOutcome::Added { .. } | PutOutcome::Updated { .. } => run.archived += 1,
            PutOutcome::Duplicate { id } => decision.reasons.push(format!("already archived as {id}")),
            PutOutcome::Unchanged { .. } => {}
        }
        decision.article_id = Some(outcome.id().clone());
    }
    Ok(made)
}

/// A kept item's article: written now, or waiting in the batch at this index.
enum Pending {
    Now(PutOutcome),
    Batch(usize),
}

fn polled_at(poll: &Option<Poll>) -> DateTime<Utc> {
    poll.as_ref().map_or_else(Utc::now, |p| p.fetched_at)
}

/// Decodes and extracts each fetched page, on every core, each within `budget` (from the
/// start of its own extraction). `None` for failed fetches.
fn extract_all(
    fetched: &[Result<FetchResponse, FetchError>],
    budget: std::time::Duration,
) -> Vec<Option<Result<Extracted, ExtractError>>> {
    parallel::map(fetched, 1, |r| {
        let resp = r.as_ref().ok()?;
        let deadline = Deadline::after(budget);
        let html = crate::extract::decode_page(&resp.body, resp.content_type.as_deref());
        let url = url::Url::parse(&resp.final_url).ok();
        Some(crate::extract::extract_within(&html, url.as_ref(), &deadline))
    })
}
