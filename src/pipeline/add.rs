//! `add URL [--tag T]...`: fetch one page now (unguarded: the user typed the address),
//! extract and sanitize it, capture the raw exchange as WARC, and archive it as a manual
//! addition. Adding the same page again keeps one article (a new version if it changed).

use serde::Serialize;

use super::PipelineError;
use super::net::{fetch_config, runtime};
use super::page::{self, FetchedPage};
use crate::archive::{ArchiveDir, PutOutcome};
use crate::fetch::{FetchRequest, Fetcher};

/// What `add` did.
#[derive(Debug, Clone, Serialize)]
pub struct AddReport {
    pub id: String,
    pub title: String,
    pub url: Option<String>,
    /// `added`, `updated`, `unchanged` or `duplicate` (the same text is archived under
    /// another URL; `id` is that article's).
    pub outcome: &'static str,
    /// The WARC record holding the raw response, when it was an HTTP fetch.
    pub capture: Option<String>,
}

/// Fetches `url` (or reads a local file) and archives it under the archive lock.
pub fn add(config: &crate::config::Config, url: &str, tags: &[String]) -> Result<AddReport, PipelineError> {
    let dir = ArchiveDir::of(config);
    let _lock = dir.lock()?;
    let fetcher = Fetcher::new(fetch_config(config))?;
    let resp = runtime()?.block_on(fetcher.get(&FetchRequest::new(url.trim())))?;
    let html = crate::extract::decode_page(&resp.body, resp.content_type.as_deref());
    let base = url::Url::parse(&resp.final_url).ok();
    let extracted = crate::extract::extract(&html, base.as_ref())?;
    let mut store = dir.open()?;
    let capture = page::capture(&dir.captures()?, &resp)?;
    let record = capture.as_ref().map(|c| format!("{} @{} ({})", c.file, c.offset, c.record_id));
    let (article, keys) = page::from_added_page(
        FetchedPage { final_url: &resp.final_url, extracted: &extracted, fetched_at: resp.fetched_at, capture },
        tags,
    );
    let outcome = store.put(&article, &keys)?;
    let name = match &outcome {
        PutOutcome::Added { .. } => "added",
        PutOutcome::Updated { .. } => "updated",
        PutOutcome::Unchanged { .. } => "unchanged",
        PutOutcome::Duplicate { .. } => "duplicate",
    };
    Ok(AddReport {
        id: outcome.id().to_string(),
        title: article.title,
        url: article.url,
        outcome: name,
        capture: record,
    })
}
