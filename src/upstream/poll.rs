//! One poll of one upstream source: a conditional fetch with the validators of the previous
//! poll, then [`parse_feed`](super::parse_feed) on the body, giving the items and what the next poll needs
//! (validators, the server's freshness and `Retry-After`, the feed's TTL).
//!
//! Also here: how an item is named and fingerprinted across polls ([`item_key`],
//! [`item_hash`]) and its plain text for scoring ([`item_text`]). Relevance, storage and the
//! schedule policy are the caller's: this module never decides whether an item is kept or
//! when the source is next due.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::parse::{FeedItem, ParseError, ParsedFeed, parse_feed_within};
use super::unescape::html_to_plain;
use crate::deadline::Deadline;
use crate::fetch::{FetchError, FetchRequest, Fetcher};

/// What to poll: the fetch target (URL or absolute path) and the previous validators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollRequest {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// Why a poll failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PollError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The poll went well but its kept items could not be archived (their captures could not
    /// be stored); nothing from it was kept, and the next poll reads the feed whole again.
    #[error("its items could not be archived: {0}")]
    Archive(String),
}

impl PollError {
    /// Whether polling again later may help without anyone changing anything (a timeout, a
    /// 5xx, a 429) as opposed to a feed that is broken or gone. Both back off; this only
    /// tells the report.
    pub fn is_transient(&self) -> bool {
        match self {
            PollError::Fetch(e) => e.is_transient(),
            PollError::Parse(_) => false,
            PollError::Archive(_) => true,
        }
    }
}

/// What one poll found.
#[derive(Debug)]
pub enum PollOutcome {
    /// The feed was read (it may have no items).
    Fetched(ParsedFeed),
    /// The validators still hold: nothing new.
    NotModified,
    Failed(PollError),
}

/// One poll's result: the outcome and the source's new fetch state.
#[derive(Debug)]
pub struct Poll {
    pub outcome: PollOutcome,
    /// Validators to send next time: the response's after a success, `None` after a failure
    /// (the caller keeps the old ones, or drops them when the feed did not parse).
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// `Cache-Control: max-age` (or `Expires`) of the response.
    pub max_age: Option<Duration>,
    /// When the server said to come back, as an absolute time.
    pub retry_after: Option<DateTime<Utc>>,
    /// When the response arrived (or the poll failed).
    pub fetched_at: DateTime<Utc>,
    /// The URL after redirects (`file://` for an absolute local path); the base for the
    /// items' relative links and the feed URL reported.
    pub final_url: Option<String>,
}

impl Poll {
    /// The feed's own TTL, when it was read and declares one.
    pub fn ttl(&self) -> Option<Duration> {
        match &self.outcome {
            PollOutcome::Fetched(feed) => feed.ttl,
            _ => None,
        }
    }
}

/// Polls one source: a conditional GET (or a local file read), then parsing. Never fails:
/// a failure is a [`PollOutcome::Failed`] with whatever the server said about retrying.
pub async fn poll(fetcher: &Fetcher, req: &PollRequest) -> Poll {
    let request = FetchRequest::new(req.url.clone()).with_validators(req.etag.clone(), req.last_modified.clone());
    poll_request(fetcher, &request).await
}

/// [`poll`] with a request built by the caller (a guarded one, for a feed page whose address
/// came from another document).
pub async fn poll_request(fetcher: &Fetcher, request: &FetchRequest) -> Poll {
    let failed = |error: PollError, retry_after: Option<DateTime<Utc>>, final_url: Option<String>| Poll {
        outcome: PollOutcome::Failed(error),
        etag: None,
        last_modified: None,
        max_age: None,
        retry_after,
        fetched_at: Utc::now(),
        final_url,
    };
    let resp = match fetcher.get(request).await {
        Ok(resp) => resp,
        Err(e) => {
            let now = Utc::now();
            let retry = e.retry_after().map(|r| r.resume_at(now));
            return failed(e.into(), retry, None);
        }
    };
    let retry_after = resp.retry_after.map(|r| r.resume_at(resp.fetched_at));
    let outcome = if resp.not_modified {
        PollOutcome::NotModified
    } else {
        // Parsing runs on this async worker: its deadline keeps one hostile document from
        // holding the worker (and the check) for longer than a fetch may take.
        let deadline = Deadline::after(fetcher.config().work_budget());
        match parse_feed_within(&resp.body, resp.content_type.as_deref(), &resp.final_url, &deadline) {
            Ok(feed) => PollOutcome::Fetched(feed),
            Err(e) => return failed(e.into(), retry_after, Some(resp.final_url)),
        }
    };
    Poll {
        outcome,
        etag: resp.etag,
        last_modified: resp.last_modified,
        max_age: resp.max_age,
        retry_after,
        fetched_at: resp.fetched_at,
        final_url: Some(resp.final_url),
    }
}

/// The item's key within its source, stable across polls: its upstream id, else its link
/// (canonical form when it is http(s)), else a hash of its title (and summary, when the
/// title is empty).
pub fn item_key(item: &FeedItem) -> String {
    if let Some(id) = item.upstream_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        return format!("id:{id}");
    }
    if let Some(link) = item.link.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        return format!("url:{}", crate::article::canonical_url(link).unwrap_or_else(|| link.to_string()));
    }
    let basis = if item.title.trim().is_empty() { item.summary.as_deref().unwrap_or("") } else { &item.title };
    let hash = blake3::hash(crate::article::fold(basis).as_bytes());
    format!("title:{}", &hash.to_hex()[..32])
}

/// A hash of the item as the feed carries it (title, link, summary, content, dates): it
/// changes when the item changes upstream.
pub fn item_hash(item: &FeedItem) -> String {
    let mut h = blake3::Hasher::new();
    for part in [
        item.title.as_str(),
        item.link.as_deref().unwrap_or(""),
        item.summary.as_deref().unwrap_or(""),
        item.content_html.as_deref().unwrap_or(""),
    ] {
        h.update(part.as_bytes());
        h.update(b"\0");
    }
    for date in [item.published, item.updated] {
        h.update(date.map(|d| d.timestamp()).unwrap_or_default().to_le_bytes().as_slice());
    }
    h.finalize().to_hex()[..32].to_string()
}

/// The item's content as one line of plain text ("" when it has only a summary).
pub fn item_text(item: &FeedItem) -> String {
    item.content_html.as_deref().map(html_to_plain).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: Option<&str>, link: Option<&str>, title: &str) -> FeedItem {
        FeedItem {
            upstream_id: id.map(Into::into),
            link: link.map(Into::into),
            title: title.into(),
            ..FeedItem::default()
        }
    }

    #[test]
    fn keys_prefer_id_then_canonical_link_then_title() {
        assert_eq!(item_key(&item(Some(" guid-1 "), Some("https://a.example/x"), "T")), "id:guid-1");
        assert_eq!(
            item_key(&item(None, Some("https://A.example/x?utm_source=rss#top"), "T")),
            "url:https://a.example/x"
        );
        let a = item_key(&item(None, None, "Geneva: a “conference”"));
        assert_eq!(a, item_key(&item(None, None, "GENEVA — a conference")));
        assert!(a.starts_with("title:"));
    }

    #[test]
    fn hash_follows_content() {
        let mut a = item(Some("1"), None, "Title");
        a.summary = Some("First".into());
        let before = item_hash(&a);
        assert_eq!(before, item_hash(&a.clone()));
        a.summary = Some("First, corrected".into());
        assert_ne!(before, item_hash(&a));
    }

    #[test]
    fn text_is_plain() {
        let mut a = item(None, None, "T");
        a.content_html = Some("<p>One &amp; <b>two</b></p><p>three</p>".into());
        assert_eq!(item_text(&a), "One & two three");
    }
}
