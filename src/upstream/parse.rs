//! Parsing one upstream feed document as real servers send it: bytes and the HTTP
//! `Content-Type` in, a [`ParsedFeed`] out, whatever the format (RSS 0.90–2.0, Atom 0.3/1.0,
//! JSON Feed 1.0/1.1) and however broken the document (wrong encoding, bare `&`, HTML
//! entities, raw HTML in text elements, unclosed CDATA, a cut-off file, garbage before the
//! XML declaration, undeclared namespace prefixes). Every repair is listed in
//! [`ParsedFeed::repairs`]; an error is returned only when nothing at all can be recovered.
//!
//! Pure: no network, no storage, no clock. Every date goes through [`crate::date::parse`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use super::decode;
use super::draft::{FeedDraft, FeedFormat, ItemDraft, resolve};
use super::fallback;
use super::json;
use super::unescape::{self, html_to_plain};
use super::xml;
use crate::deadline::{Deadline, OutOfTime};

/// One upstream feed, normalised.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedFeed {
    pub format: FeedFormat,
    /// Plain text.
    pub title: Option<String>,
    /// The feed's home page link, absolute.
    pub site_url: Option<String>,
    pub language: Option<String>,
    /// RSS `<ttl>` (minutes), else `sy:updatePeriod` / `sy:updateFrequency`.
    pub ttl: Option<Duration>,
    /// `rel="hub"` (WebSub) if present, absolute.
    pub hub: Option<String>,
    /// The links to older pages of the feed's history, absolute: RFC 5005 `prev-archive`
    /// (archived feeds) and `next` (paged feeds; JSON Feed `next_url`).
    pub history: History,
    /// The feed's own id (Atom `feed/id`), verbatim.
    pub id: Option<String>,
    /// The feed's own date: Atom `updated`, RSS `lastBuildDate`, else its `pubDate`/`dc:date`.
    pub updated: Option<DateTime<Utc>>,
    pub items: Vec<FeedItem>,
    /// Human-readable list of the repairs applied, in the order they were made.
    pub repairs: Vec<String>,
}

/// Where a feed document says its older items are (RFC 5005). Both absolute.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct History {
    /// `rel="prev-archive"`: the next older page of an archived feed.
    pub prev_archive: Option<String>,
    /// `rel="next"` of a paged feed (JSON Feed `next_url`).
    pub next: Option<String>,
}

/// One item of an upstream feed, normalised.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeedItem {
    /// Atom `id` / RSS `guid` (RSS 1.0: `rdf:about`) / JSON Feed `id`, verbatim; for an item
    /// with none and no link, `urn:feedkeeper:item:<hash of its text>`.
    pub upstream_id: Option<String>,
    /// Plain text: references decoded (also double-escaped ones), tags stripped, whitespace
    /// collapsed, bidi embeddings closed; an item without one is titled by the first words of
    /// its text; `""` only for an item with no text.
    pub title: String,
    /// Absolute: resolved against `xml:base` and the feed URL; Atom `rel="alternate"`
    /// preferred; an RSS `guid` that is a permalink when there is no `<link>`.
    pub link: Option<String>,
    /// Plain text of RSS `description` / Atom `summary` / JSON Feed `summary`.
    pub summary: Option<String>,
    /// Raw HTML of the fullest content: `content:encoded`, Atom `content`, JSON Feed
    /// `content_html` (or `content_text` escaped); else the description/summary HTML. NOT
    /// sanitized: the caller does that.
    pub content_html: Option<String>,
    pub authors: Vec<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub categories: Vec<String>,
    /// The item's own language (`xml:lang`, `dc:language`, JSON `language`), else the feed's.
    pub language: Option<String>,
}

/// Why a document yielded no feed at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    #[error("{url}: empty body")]
    Empty { url: String },
    #[error("{url}: not a feed: {reason}")]
    NotAFeed { url: String, reason: String },
    #[error("{url}: truncated and nothing recoverable")]
    Truncated { url: String },
    #[error("{url}: invalid JSON Feed: {reason}")]
    Json { url: String, reason: String },
    /// Reading the document took longer than the time budget it was given.
    #[error("{url}: parsing {source}")]
    OutOfTime {
        url: String,
        #[source]
        source: OutOfTime,
    },
}

/// The feed URL as a base for relative links: an absolute URL, or a local file path.
fn base_url(feed_url: &str) -> Option<Url> {
    Url::parse(feed_url).ok().or_else(|| {
        let path = std::path::Path::new(feed_url);
        if path.is_absolute() { Url::from_file_path(path).ok() } else { None }
    })
}

/// Parses one feed document. See the module documentation.
pub fn parse_feed(bytes: &[u8], content_type: Option<&str>, feed_url: &str) -> Result<ParsedFeed, ParseError> {
    parse_feed_within(bytes, content_type, feed_url, &Deadline::none())
}

/// [`parse_feed`] within a time budget: past `deadline` the work stops (between its steps,
/// every few hundred XML events, between chunks of the HTML fallback's parse and between
/// items) with [`ParseError::OutOfTime`].
pub fn parse_feed_within(
    bytes: &[u8],
    content_type: Option<&str>,
    feed_url: &str,
    deadline: &Deadline,
) -> Result<ParsedFeed, ParseError> {
    let url = feed_url.to_string();
    let out_of_time = |source: OutOfTime| ParseError::OutOfTime { url: feed_url.to_string(), source };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty { url });
    }
    let decoded = decode::decode(bytes, content_type);
    let mut repairs = decoded.repairs;
    let text: &str = &decoded.text;
    let base = base_url(feed_url);

    let first = text.trim_start().chars().next();
    let json_type = content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
    let mut draft = if first == Some('{') || (json_type && first != Some('<')) {
        json::read(text, base.as_ref()).map_err(|e| ParseError::Json { url: url.clone(), reason: e.to_string() })?
    } else if let Some(start) = xml::document_start(text) {
        if start.skipped_garbage {
            repairs.push(format!("skipped {} bytes of garbage before the document", start.offset));
        }
        let doc = &text[start.offset..];
        let mut draft = xml::read(doc, base.as_ref(), deadline).map_err(out_of_time)?;
        let found = draft.items.iter().filter(|i| !i.is_empty()).count();
        if found < fallback::count_item_tags(doc) {
            let recovered = fallback::read(doc, base.as_ref(), deadline).map_err(out_of_time)?;
            if recovered.len() > found {
                draft.repairs.push(format!(
                    "recovered {} items with the HTML fallback (the XML reader found {found})",
                    recovered.len()
                ));
                draft.items = recovered;
                draft.structure = true;
                if draft.title.is_none() && draft.site_url.is_none() {
                    let (title, link) = fallback::read_channel(doc, deadline).map_err(out_of_time)?;
                    draft.title = title;
                    draft.site_url = link.and_then(|l| resolve(&l, base.as_ref()));
                }
            }
        }
        draft
    } else {
        return Err(ParseError::NotAFeed { url, reason: "neither XML nor JSON".to_string() });
    };

    repairs.extend(draft.repairs.iter().cloned());
    let drafts = std::mem::take(&mut draft.items);
    deadline.check().map_err(out_of_time)?;
    let mut kept: Vec<FeedItem> = Vec::with_capacity(drafts.len());
    for (n, item) in drafts.into_iter().filter(|i| !i.is_empty()).enumerate() {
        deadline.check_every(n, 16).map_err(out_of_time)?;
        kept.push(finish_item(item, &draft));
    }
    // A cut-off document with no complete item is a failed poll, not an empty feed.
    if kept.is_empty() && draft.truncated {
        return Err(ParseError::Truncated { url });
    }
    if kept.is_empty() && !draft.structure {
        let reason = if looks_like_html(text) { "looks like an HTML page" } else { "no feed root element" };
        return Err(ParseError::NotAFeed { url, reason: reason.to_string() });
    }
    Ok(ParsedFeed {
        format: draft.format,
        title: draft.title.as_deref().map(html_to_plain).filter(|t| !t.is_empty()),
        site_url: draft.site_url.clone(),
        language: draft.language.clone(),
        ttl: ttl(&draft),
        hub: draft.hub.clone(),
        history: History { prev_archive: draft.prev_archive.clone(), next: draft.next_page.clone() },
        id: draft.id.clone(),
        updated: draft.updated.or(draft.published),
        items: kept,
        repairs,
    })
}

fn looks_like_html(text: &str) -> bool {
    let head: String = text.chars().take(2048).collect::<String>().to_ascii_lowercase();
    head.contains("<html") || head.contains("<!doctype html") || head.contains("<body") || head.contains("<head")
}

fn ttl(d: &FeedDraft) -> Option<Duration> {
    if let Some(m) = d.ttl_minutes.filter(|m| *m > 0) {
        return Some(Duration::from_secs(m.saturating_mul(60)));
    }
    if d.sy_period.is_none() && d.sy_frequency.is_none() {
        return None;
    }
    let period: u64 = match d.sy_period.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("hourly") => 3600,
        Some("weekly") => 7 * 86_400,
        Some("monthly") => 30 * 86_400,
        Some("yearly") => 365 * 86_400,
        _ => 86_400,
    };
    let freq = u64::from(d.sy_frequency.unwrap_or(1).max(1));
    Some(Duration::from_secs(period / freq))
}

fn finish_item(d: ItemDraft, feed: &FeedDraft) -> FeedItem {
    let title = d.title.as_deref().map(html_to_plain).unwrap_or_default();
    let summary = d.summary_html.as_deref().map(html_to_plain).filter(|s| !s.is_empty());
    let content_html = d.content_html.or(d.summary_html).filter(|c| !c.trim().is_empty());
    // An item with text but no title (a microblog post) is titled by its first words, and
    // given an id from its text when it has neither id nor link.
    let text = || summary.clone().or_else(|| content_html.as_deref().map(html_to_plain)).unwrap_or_default();
    let title = if title.is_empty() { unescape::title_from_text(&text()) } else { unescape::balance_bidi(title) };
    let link = d.link.or(d.link_fallback);
    let id = match d.id {
        None if link.is_none() && !text().is_empty() => Some(unescape::id_from_text(&text())),
        id => id,
    };
    let mut authors = if d.authors.is_empty() && feed.format.is_atom() { feed.authors.clone() } else { d.authors };
    dedupe(&mut authors);
    let mut categories = d.categories;
    dedupe(&mut categories);
    FeedItem {
        upstream_id: id,
        title,
        link,
        summary,
        content_html,
        authors,
        published: d.published,
        updated: d.updated,
        categories,
        language: d.language.or_else(|| feed.language.clone()),
    }
}

/// Trims, drops empties and duplicates, keeps the first order.
fn dedupe(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain_mut(|s| {
        let t = super::unescape::collapse(s);
        *s = t;
        !s.is_empty() && seen.insert(s.clone())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_url_and_the_reason() {
        let url = "https://e.org/feed";
        let msg = |b: &[u8], ct: Option<&str>| parse_feed(b, ct, url).map(|_| ()).unwrap_err().to_string();
        assert_eq!(msg(b"", None), "https://e.org/feed: empty body");
        assert_eq!(msg(b"just words", None), "https://e.org/feed: not a feed: neither XML nor JSON");
        assert_eq!(
            msg(b"<?xml version=\"1.0\"?><urlset><url><loc>https://e.org/</loc></url></urlset>", None),
            "https://e.org/feed: not a feed: no feed root element"
        );
        assert_eq!(
            msg(b"<!doctype html><html><body><p>Moved</p></body></html>", Some("text/html")),
            "https://e.org/feed: not a feed: looks like an HTML page"
        );
        assert!(
            msg(br#"{"error":"x"}"#, Some("application/json")).starts_with("https://e.org/feed: invalid JSON Feed")
        );
        assert_eq!(
            msg(b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><ite", None),
            "https://e.org/feed: truncated and nothing recoverable"
        );
        assert_eq!(
            msg(br#"{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[{"id":"1","ur"#, None),
            "https://e.org/feed: truncated and nothing recoverable"
        );
    }

    #[test]
    fn a_spent_deadline_is_a_parse_error_naming_the_feed() {
        let doc = b"<rss version=\"2.0\"><channel><title>T</title><item><title>A</title></item></channel></rss>";
        let spent = Deadline::after(Duration::ZERO);
        let err = parse_feed_within(doc, None, "https://e.org/feed", &spent).unwrap_err();
        assert!(matches!(err, ParseError::OutOfTime { .. }), "{err}");
        assert_eq!(err.to_string(), "https://e.org/feed: parsing gave up after its time budget of 0 ms");
        let hour = Deadline::after(Duration::from_secs(3600));
        assert_eq!(parse_feed_within(doc, None, "x", &hour).unwrap(), parse_feed(doc, None, "x").unwrap());
    }

    #[test]
    fn a_feed_with_no_items_is_not_an_error() {
        let f = parse_feed(b"<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Empty</title></feed>", None, "x")
            .expect("feed");
        assert_eq!(f.format, FeedFormat::Atom10);
        assert_eq!(f.title.as_deref(), Some("Empty"));
        assert!(f.items.is_empty());
    }

    #[test]
    fn declaration_inside_content_is_not_a_document_start() {
        let doc = "<rss version=\"2.0\"><channel><title>T</title><item><title>Code</title><link>https://e.org/c</link>\
                   <description><![CDATA[<pre><?xml version=\"1.0\"?></pre>]]></description></item></channel></rss>";
        let f = parse_feed(doc.as_bytes(), None, "https://e.org/").expect("feed");
        assert_eq!(f.title.as_deref(), Some("T"));
        assert_eq!(f.items.len(), 1);
        assert!(f.repairs.is_empty(), "{:?}", f.repairs);
    }

    #[test]
    fn ttl_from_syndication_module() {
        let d = FeedDraft { sy_period: Some("daily".into()), sy_frequency: Some(4), ..FeedDraft::default() };
        assert_eq!(ttl(&d), Some(Duration::from_secs(6 * 3600)));
        let d = FeedDraft { ttl_minutes: Some(90), sy_period: Some("hourly".into()), ..FeedDraft::default() };
        assert_eq!(ttl(&d), Some(Duration::from_secs(90 * 60)));
        assert_eq!(ttl(&FeedDraft::default()), None);
    }
}
