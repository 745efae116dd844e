//! `refresh`: re-check archived originals for stealth edits and takedowns, by hand
//! (`feedkeeper refresh [--since DATE] [--source NAME] [--tag T] [ID…]`) or on the
//! `[refresh] every` schedule inside `run` and `watch`.
//!
//! The phases: choose the articles (those with an http(s) original; by hand the selected
//! ones — a removed article only when named — on the schedule the due ones, oldest-checked
//! first, at most [`SCHEDULED_BUDGET`] per run); then, a batch of [`BATCH`] at a time so
//! memory stays bounded, fetch their originals concurrently through the one fetcher (the
//! limits, redirects, address guard and per-host politeness of `check`) with conditional GET
//! on the validators of the last check, else those in the capture's WARC response; extract
//! the pages on all cores; classify each with [`crate::refresh::classify`]; capture the
//! changed pages as WARC and store their new versions through [`Store::put`] (the normal
//! archive policy, one transaction per batch); and save every article's refresh state.
//! Nothing is deleted, whatever a check finds. `--dry-run` fetches and classifies, and
//! writes nothing. Nothing is printed here.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Serialize;

use super::net::{Net, QUEUED, fetch_config, runtime};
use super::{PipelineError, Progress, page, parallel};
use crate::archive::{Archive, ArchiveDir, ArticleState, DedupKeys, Evidence, RefreshState};
use crate::article::{Article, ArticleId, canonical_url, fingerprint};
use crate::config::Config;
use crate::deadline::Deadline;
use crate::extract::{ExtractError, Extracted};
use crate::fetch::{FetchError, FetchRequest, FetchResponse, Fetcher};
use crate::refresh::{self as rules, Observation, Verdict};
use crate::wacz::Selection;

/// Articles fetched, read and written per batch.
pub const BATCH: usize = 64;
/// Originals a scheduled refresh re-checks per `run` or `watch` cycle at most.
pub const SCHEDULED_BUDGET: usize = 500;

/// Flags of `refresh`.
#[derive(Debug, Clone, Default)]
pub struct RefreshOptions {
    /// Only these articles (ids or unique prefixes); a removed article is re-checked only
    /// when named here.
    pub ids: Vec<String>,
    /// `--since`, `--tag`, `--source`.
    pub selection: Selection,
    /// Fetch and classify; write nothing.
    pub dry_run: bool,
}

/// What one article's re-check found.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleRefresh {
    pub id: String,
    pub title: String,
    pub url: String,
    /// `unchanged`, `changed`, `removed`, `transient` or `failed`.
    pub outcome: &'static str,
    /// The article's state after the check (`current`, `changed`, `removed`).
    pub state: &'static str,
    /// The final HTTP status, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Why it is removed, or what failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The new version's number, for a changed article.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
}

/// What a refresh did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RefreshReport {
    pub dry_run: bool,
    pub checked: usize,
    pub unchanged: usize,
    pub changed: usize,
    pub removed: usize,
    pub transient: usize,
    pub failed: usize,
    /// Selected articles without an http(s) original (imported files, local pages).
    pub skipped: usize,
    pub articles: Vec<ArticleRefresh>,
}

/// `refresh`: takes the archive lock (not for a dry run, which only reads) and re-checks
/// the selected originals, showing the fetches on `progress`.
pub fn refresh(
    config: &Config,
    opts: &RefreshOptions,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> Result<RefreshReport, PipelineError> {
    let dir = ArchiveDir::of(config);
    let _lock = if opts.dry_run { None } else { Some(dir.lock()?) };
    let mut store = if opts.dry_run { dir.open_read()? } else { dir.open()? };
    let fetcher = Fetcher::new(fetch_config(config)).map_err(PipelineError::Fetch)?;
    let rt = runtime()?;
    let net = Net { fetcher: &fetcher, handle: rt.handle(), stop: None, progress };
    let (chosen, skipped) = choose_selected(store.as_ref(), opts)?;
    let mut report = refresh_on(store.as_mut(), &dir, &net, chosen, opts.dry_run, now)?;
    report.skipped = skipped;
    Ok(report)
}

/// The scheduled re-check of `run`/`watch` with `[refresh] every` set: the due originals,
/// oldest-checked first, at most [`SCHEDULED_BUDGET`]. `None` when no schedule is set.
pub(crate) fn refresh_due(
    config: &Config,
    store: &mut dyn Archive,
    dir: &ArchiveDir,
    net: &Net<'_>,
    now: DateTime<Utc>,
) -> Result<Option<RefreshReport>, PipelineError> {
    let Some(every) = config.refresh.every.as_ref().map(|i| i.0) else { return Ok(None) };
    let chosen = choose_due(store, every, now)?;
    if chosen.is_empty() {
        return Ok(None);
    }
    refresh_on(store, dir, net, chosen, false, now).map(Some)
}

/// [`refresh_due`] with its own fetcher and runtime (for `run`).
pub(crate) fn refresh_scheduled(
    config: &Config,
    store: &mut dyn Archive,
    dir: &ArchiveDir,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> Result<Option<RefreshReport>, PipelineError> {
    if config.refresh.every.is_none() {
        return Ok(None);
    }
    let fetcher = Fetcher::new(fetch_config(config)).map_err(PipelineError::Fetch)?;
    let rt = runtime()?;
    let net = Net { fetcher: &fetcher, handle: rt.handle(), stop: None, progress };
    refresh_due(config, store, dir, &net, now)
}

/// An article to re-check: its id, and its refresh state so far.
struct Chosen {
    id: ArticleId,
    state: Option<RefreshState>,
}

/// What the publication log says of each article's current version: enough to choose
/// without reading every article's text. By id.
struct Listed {
    url: Option<String>,
    archived_at: DateTime<Utc>,
    selected: bool,
}

fn listed(store: &dyn Archive, selection: &Selection) -> Result<BTreeMap<ArticleId, Listed>, PipelineError> {
    let mut out = BTreeMap::new();
    let n = store.log_len()?;
    if n > 0 {
        store.log_range(1, n, &mut |entry| {
            let a = &entry.article;
            let web = a.url.as_deref().filter(|u| crate::publish::is_web_url(u)).map(str::to_string);
            out.insert(a.id.clone(), Listed { url: web, archived_at: a.archived_at, selected: selection.matches(a) });
            Ok(())
        })?;
    }
    Ok(out)
}

/// The articles `refresh` was asked for, and how many selected ones have no web original.
fn choose_selected(store: &dyn Archive, opts: &RefreshOptions) -> Result<(Vec<Chosen>, usize), PipelineError> {
    let mut states: HashMap<ArticleId, RefreshState> =
        store.refresh_states()?.into_iter().map(|s| (s.article_id.clone(), s)).collect();
    let all = listed(store, &opts.selection)?;
    let named: Vec<ArticleId> =
        opts.ids.iter().map(|given| super::resolve_id(store, given)).collect::<Result<_, _>>()?;
    let mut chosen = Vec::new();
    let mut skipped = 0;
    let pick: Vec<(ArticleId, bool)> = if named.is_empty() {
        all.iter().filter(|(_, l)| l.selected).map(|(id, _)| (id.clone(), false)).collect()
    } else {
        named.into_iter().filter(|id| all.get(id).is_some_and(|l| l.selected)).map(|id| (id, true)).collect()
    };
    for (id, by_name) in pick {
        if all.get(&id).is_none_or(|l| l.url.is_none()) {
            skipped += 1;
            continue;
        }
        let state = states.remove(&id);
        if !by_name && state.as_ref().is_some_and(|s| s.state == ArticleState::Removed) {
            continue;
        }
        chosen.push(Chosen { id, state });
    }
    Ok((chosen, skipped))
}

/// The articles due on the schedule, oldest-checked first (then by id), within the budget.
fn choose_due(store: &dyn Archive, every: Duration, now: DateTime<Utc>) -> Result<Vec<Chosen>, PipelineError> {
    let mut states: HashMap<ArticleId, RefreshState> =
        store.refresh_states()?.into_iter().map(|s| (s.article_id.clone(), s)).collect();
    let mut due: Vec<(DateTime<Utc>, ArticleId)> = listed(store, &Selection::default())?
        .into_iter()
        .filter(|(_, l)| l.url.is_some())
        .filter(|(id, l)| rules::due(states.get(id), l.archived_at, every, now))
        .map(|(id, l)| (rules::last_look(states.get(&id), l.archived_at), id))
        .collect();
    due.sort();
    due.truncate(SCHEDULED_BUDGET);
    Ok(due.into_iter().map(|(_, id)| Chosen { state: states.remove(&id), id }).collect())
}

/// Re-checks the chosen articles, a batch at a time; see the module documentation.
fn refresh_on(
    store: &mut dyn Archive,
    dir: &ArchiveDir,
    net: &Net<'_>,
    chosen: Vec<Chosen>,
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<RefreshReport, PipelineError> {
    let mut report = RefreshReport { dry_run, ..RefreshReport::default() };
    net.progress.start("refreshing", Some(chosen.len() as u64));
    let mut chosen = chosen.into_iter().peekable();
    while chosen.peek().is_some() {
        let batch: Vec<Chosen> = chosen.by_ref().take(BATCH).collect();
        refresh_batch(store, dir, net, batch, dry_run, now, &mut report)?;
        if net.stopping() {
            break;
        }
    }
    net.progress.finish();
    Ok(report)
}

/// One chosen article with what the archive holds of it.
struct Job {
    article: Article,
    version: u32,
    url: String,
    state: Option<RefreshState>,
    request: FetchRequest,
}

#[allow(clippy::too_many_arguments)]
fn refresh_batch(
    store: &mut dyn Archive,
    dir: &ArchiveDir,
    net: &Net<'_>,
    batch: Vec<Chosen>,
    dry_run: bool,
    now: DateTime<Utc>,
    report: &mut RefreshReport,
) -> Result<(), PipelineError> {
    let captures = dir.captures()?;
    let mut jobs = Vec::with_capacity(batch.len());
    for c in batch {
        let Some(stored) = store.get(&c.id)? else { continue };
        let Some(url) = stored.article.url.clone() else { continue };
        let (etag, last_modified) = match &c.state {
            Some(s) if s.etag.is_some() || s.last_modified.is_some() => (s.etag.clone(), s.last_modified.clone()),
            _ => stored.article.capture.as_ref().map(|c| captured_validators(&captures, c)).unwrap_or_default(),
        };
        let request = FetchRequest::guarded(url.as_str()).with_validators(etag, last_modified);
        let version = stored.versions.last().map_or(1, |v| v.version);
        jobs.push(Job { article: stored.article, version, url, state: c.state, request });
    }
    let fetcher = net.fetcher;
    let fetched: Vec<Result<FetchResponse, FetchError>> = net.block_on(async {
        let mut out: Vec<Option<Result<FetchResponse, FetchError>>> = jobs.iter().map(|_| None).collect();
        let mut stream = futures_util::stream::iter(jobs.iter().enumerate())
            .map(|(i, job)| async move { (i, fetcher.get(&job.request).await) })
            .buffer_unordered(QUEUED);
        while let Some((i, r)) = stream.next().await {
            net.progress.step(&jobs[i].url);
            out[i] = Some(r);
        }
        out.into_iter().map(|r| r.expect("every job answered")).collect()
    })?;
    let budget = fetcher.config().work_budget();
    let extracted = parallel::map(&fetched, 1, |r| {
        let resp = r.as_ref().ok().filter(|r| !r.not_modified)?;
        let html = crate::extract::decode_page(&resp.body, resp.content_type.as_deref());
        let base = url::Url::parse(&resp.final_url).ok();
        Some(crate::extract::extract_within(&html, base.as_ref(), &Deadline::after(budget)))
    });

    // Classify.
    let mut verdicts = Vec::with_capacity(jobs.len());
    for ((job, r), x) in jobs.iter().zip(&fetched).zip(&extracted) {
        let failures = job.state.as_ref().map_or(0, |s| s.failures);
        let verdict = match r {
            Ok(resp) if resp.not_modified => rules::classify(&job.url, "", &Observation::NotModified, failures),
            Ok(resp) => {
                let text = match x {
                    Some(Ok(read)) => Some(read.text.as_str()),
                    Some(Err(ExtractError::OutOfTime { .. })) => {
                        let error = format!("{}: the page took too long to read", resp.final_url);
                        verdicts.push(Verdict::Transient { error });
                        continue;
                    }
                    _ => None,
                };
                let seen = Observation::Page { final_url: &resp.final_url, text };
                rules::classify(&job.url, &job.article.content.text, &seen, failures)
            }
            Err(e) => {
                let (status, unreachable) = match e {
                    FetchError::Status { status, .. } => (Some(*status), false),
                    FetchError::Connect { .. } => (None, true),
                    _ => (None, false),
                };
                let error = e.to_string();
                let seen = Observation::Failed { status, transient: e.is_transient(), unreachable, error: &error };
                rules::classify(&job.url, &job.article.content.text, &seen, failures)
            }
        };
        verdicts.push(verdict);
    }

    // Capture the changed pages, then store their new versions in one transaction.
    let changed: Vec<usize> = (0..jobs.len()).filter(|&i| verdicts[i] == Verdict::Changed).collect();
    let mut versions: HashMap<usize, u32> = HashMap::new();
    if !dry_run && !changed.is_empty() {
        let responses: Vec<&FetchResponse> =
            changed.iter().filter_map(|&i| fetched[i].as_ref().ok()).collect::<Vec<_>>();
        let captures = page::capture_all(&captures, &responses)?;
        let mut items = Vec::with_capacity(changed.len());
        for (&i, capture) in changed.iter().zip(captures) {
            let (Ok(resp), Some(Ok(read))) = (&fetched[i], &extracted[i]) else { continue };
            items.push((i, new_version(&jobs[i].article, resp, read, capture)));
        }
        let batch: Vec<(Article, DedupKeys)> = items.iter().map(|(_, a)| a.clone()).collect();
        let outcomes = store.put_all(&batch)?;
        for ((i, _), outcome) in items.iter().zip(outcomes) {
            let v = match outcome {
                crate::archive::PutOutcome::Updated { version, .. } => version,
                _ => jobs[*i].version,
            };
            versions.insert(*i, v);
        }
    }

    // Save the states and report.
    let mut states = Vec::with_capacity(jobs.len());
    for (i, (job, verdict)) in jobs.iter().zip(verdicts).enumerate() {
        let resp = fetched[i].as_ref().ok();
        let status = match &fetched[i] {
            Ok(r) => Some(r.status),
            Err(FetchError::Status { status, .. }) => Some(*status),
            Err(_) => None,
        };
        let next = next_state(job, &verdict, resp, status, now);
        let (outcome, reason) = match &verdict {
            Verdict::Unchanged => ("unchanged", None),
            Verdict::Changed => ("changed", None),
            Verdict::Gone { reason } => ("removed", Some(reason.clone())),
            Verdict::Transient { error } => ("transient", Some(error.clone())),
            Verdict::Failed { error } => ("failed", Some(error.clone())),
        };
        match outcome {
            "unchanged" => report.unchanged += 1,
            "changed" => report.changed += 1,
            "removed" => report.removed += 1,
            "transient" => report.transient += 1,
            _ => report.failed += 1,
        }
        report.checked += 1;
        report.articles.push(ArticleRefresh {
            id: job.article.id.to_string(),
            title: job.article.title.clone(),
            url: job.url.clone(),
            outcome,
            state: next.state.as_str(),
            status,
            reason,
            version: versions.get(&i).copied(),
        });
        states.push(next);
    }
    if !dry_run {
        store.record_refresh(&states, &[])?;
    }
    Ok(())
}

/// The article's refresh state after a check with this verdict (`resp`: the response, when
/// there was one; `status`: its status or the refusing one).
fn next_state(
    job: &Job,
    verdict: &Verdict,
    resp: Option<&FetchResponse>,
    status: Option<u16>,
    now: DateTime<Utc>,
) -> RefreshState {
    let checked = resp.map_or(now, |r| r.fetched_at);
    let mut s = job.state.clone().unwrap_or_else(|| RefreshState {
        article_id: job.article.id.clone(),
        state: ArticleState::Current,
        since: checked,
        last_checked: checked,
        etag: None,
        last_modified: None,
        failures: 0,
        last_error: None,
        evidence: None,
    });
    s.last_checked = checked;
    let answered = |s: &mut RefreshState| {
        s.failures = 0;
        s.last_error = None;
        if let Some(r) = resp {
            s.etag = r.etag.clone();
            s.last_modified = r.last_modified.clone();
        }
    };
    match verdict {
        Verdict::Unchanged => {
            answered(&mut s);
            if s.state == ArticleState::Removed {
                // Back where it was: the takedown is over.
                (s.state, s.since, s.evidence) = (ArticleState::Current, checked, None);
            }
        }
        Verdict::Changed => {
            answered(&mut s);
            (s.state, s.since, s.evidence) = (ArticleState::Changed, checked, None);
        }
        Verdict::Gone { reason } => {
            s.failures = 0;
            s.last_error = None;
            if s.state != ArticleState::Removed {
                s.state = ArticleState::Removed;
                s.since = checked;
                s.evidence = Some(Evidence {
                    status,
                    final_url: Some(resp.map_or_else(|| job.url.clone(), |r| r.final_url.clone())),
                    at: checked,
                    reason: reason.clone(),
                });
            }
        }
        Verdict::Transient { error } | Verdict::Failed { error } => {
            s.failures = s.failures.saturating_add(1);
            s.last_error = Some(error.clone());
        }
    }
    s
}

/// The new version of `old` read from a changed page: the page's text and HTML, its
/// capture, the time it was fetched; the article's identity, title, authors, source, tags and
/// dates of publication stay as archived (`updated` moves forward in the archive's policy).
fn new_version(
    old: &Article,
    resp: &FetchResponse,
    read: &Extracted,
    capture: Option<crate::article::CaptureRef>,
) -> (Article, DedupKeys) {
    let base = url::Url::parse(&resp.final_url).ok();
    let mut article = old.clone();
    article.content.text = read.text.clone();
    article.content.html = crate::content::sanitize(&read.html, base.as_ref());
    article.updated = read.updated.as_deref().and_then(crate::date::parse).unwrap_or(resp.fetched_at);
    article.archived_at = resp.fetched_at;
    article.capture = capture;
    article.seal();
    let canonical = old.url.as_deref().and_then(canonical_url);
    let keys = DedupKeys {
        identity: canonical.clone().unwrap_or_default(),
        canonical_url: canonical,
        fingerprint: fingerprint(&article.content.text),
    };
    (article, keys)
}

/// The `ETag` and `Last-Modified` of the response kept in a capture (none when it cannot be
/// read: the re-check is then unconditional).
fn captured_validators(
    captures: &dyn crate::archive::CaptureStore,
    capture: &crate::article::CaptureRef,
) -> (Option<String>, Option<String>) {
    let Ok(record) = captures.read(capture) else { return (None, None) };
    let Some((head, _)) = record.http_parts() else { return (None, None) };
    let head = String::from_utf8_lossy(head);
    let header = |name: &str| {
        head.lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    (header("etag"), header("last-modified"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::warc;

    #[test]
    fn validators_are_read_from_the_captured_response() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = ArchiveDir::new(tmp.path());
        std::fs::create_dir_all(dir.capture_dir()).expect("mkdir");
        let exchange = crate::fetch::Exchange {
            request_head: b"GET /a HTTP/1.1\r\nhost: news.example\r\n\r\n".to_vec(),
            response_head: b"HTTP/1.1 200 OK\r\netag: \"v7\"\r\nlast-modified: Sat, 28 Nov 2026 11:00:00 GMT\r\n\r\n"
                .to_vec(),
            wire_body: b"<p>hello</p>".to_vec(),
            remote_ip: None,
        };
        let file = dir.capture_dir().join("feedkeeper-2026-11-28.warc.gz");
        let at = crate::date::parse("2026-11-28T12:00:00Z").expect("date");
        let refs = warc::append_captures(&file, &[("https://news.example/a", at, warc::Captured::Http(&exchange))])
            .expect("w");
        let captures = dir.captures().expect("the capture folder");
        let (etag, lm) = captured_validators(&captures, &refs[0]);
        assert_eq!(etag.as_deref(), Some("\"v7\""));
        assert_eq!(lm.as_deref(), Some("Sat, 28 Nov 2026 11:00:00 GMT"));
        let missing = crate::article::CaptureRef { file: "nope.warc.gz".into(), ..refs[0].clone() };
        assert_eq!(captured_validators(&captures, &missing), (None, None));
    }
}
