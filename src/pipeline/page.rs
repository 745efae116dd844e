//! Turning what was fetched into an archivable [`Article`]: an article page (decoded,
//! extracted, sanitized, captured as WARC) or, when the page could not be had, the feed
//! item's own content. Shared by `check` (upstream items) and `add` (a URL typed by hand).
//!
//! Glue between steps, kept small: it calls `extract`, `content`, `article` and
//! `archive::warc`, and decides only how their outputs map onto the article model (which
//! title wins, which URL is canonical, which identity the id is derived from).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use url::Url;

use super::PageError;
use crate::archive::policy;
use crate::archive::warc::{self, WarcError};
use crate::archive::{CaptureStore, DedupKeys};
use crate::article::{Article, CaptureRef, Content, Identity, Origin, Person, SourceRef, canonical_url, fingerprint};
use crate::content;
use crate::extract::Extracted;
use crate::fetch::{FetchRequest, FetchResponse};
use crate::upstream::FeedItem;

/// Whether two URLs are on the same site: equal hosts once a leading `www.` is dropped, or
/// one host a subdomain of the other (`amp.example.org` and `example.org`).
pub(crate) fn same_site(a: &Url, b: &Url) -> bool {
    let host = |u: &Url| u.host_str().map(|h| h.trim_start_matches("www.").to_ascii_lowercase());
    match (host(a), host(b)) {
        (Some(x), Some(y)) => x == y || x.ends_with(&format!(".{y}")) || y.ends_with(&format!(".{x}")),
        _ => false,
    }
}

/// The canonical URL of a fetched page: the page's own `rel=canonical` when it is on the
/// same site as the final URL, else the final URL; `None` for pages that are not http(s).
pub(crate) fn page_canonical(final_url: &str, declared: Option<&str>) -> Option<String> {
    let fin = canonical_url(final_url)?;
    if let Some(rel) = declared.and_then(canonical_url)
        && let (Ok(a), Ok(b)) = (Url::parse(&rel), Url::parse(&fin))
        && same_site(&a, &b)
    {
        return Some(rel);
    }
    Some(fin)
}

/// Stores the raw exchanges of these responses in the archive's capture store, one batch
/// (one write and one fsync, or one object) per capture file name
/// ([`policy::capture_file_name`]). `None` for responses without an HTTP exchange (local
/// files). Blocking I/O: call it outside async tasks.
pub(crate) fn capture_all(
    captures: &dyn CaptureStore,
    responses: &[&FetchResponse],
) -> Result<Vec<Option<CaptureRef>>, WarcError> {
    let mut out: Vec<Option<CaptureRef>> = vec![None; responses.len()];
    let mut by_file: std::collections::BTreeMap<String, Vec<usize>> = std::collections::BTreeMap::new();
    for (i, r) in responses.iter().enumerate() {
        if captured(r).is_some() {
            by_file.entry(policy::capture_file_name(r.fetched_at)).or_default().push(i);
        }
    }
    for (name, indexes) in by_file {
        let batch: Vec<(&str, DateTime<Utc>, warc::Captured<'_>)> = indexes
            .iter()
            .filter_map(|&i| Some((responses[i].final_url.as_str(), responses[i].fetched_at, captured(responses[i])?)))
            .collect();
        let refs = captures.write(&name, &batch)?;
        for (i, r) in indexes.into_iter().zip(refs) {
            out[i] = Some(r);
        }
    }
    Ok(out)
}

/// What to capture of a response: its HTTP exchange, or for a page read from a local file
/// (which has none) the file's bytes as a `resource` record.
fn captured(r: &FetchResponse) -> Option<warc::Captured<'_>> {
    match &r.exchange {
        Some(exchange) => Some(warc::Captured::Http(exchange)),
        None if r.final_url.starts_with("file:") && !r.not_modified => Some(warc::Captured::Resource {
            content_type: r.content_type.as_deref().unwrap_or("application/octet-stream"),
            body: &r.body,
        }),
        None => None,
    }
}

/// [`capture_all`] for one response.
pub(crate) fn capture(captures: &dyn CaptureStore, resp: &FetchResponse) -> Result<Option<CaptureRef>, WarcError> {
    Ok(capture_all(captures, &[resp])?.pop().flatten())
}

/// Where an upstream item came from, for its provenance.
#[derive(Debug, Clone)]
pub(crate) struct ItemSource<'a> {
    /// The configured source name.
    pub name: &'a str,
    /// The source URL as configured (a path as written for local sources): stable when the
    /// archive and its demo feeds move.
    pub feed_url: &'a str,
    pub site_url: Option<&'a str>,
    pub tags: &'a [String],
    /// The upstream feed's own id, when it has one.
    pub feed_id: Option<&'a str>,
    /// The upstream feed's own date, else when it was read.
    pub feed_updated: Option<DateTime<Utc>>,
}

/// A page fetched and read for an item or an `add`.
pub(crate) struct FetchedPage<'a> {
    pub final_url: &'a str,
    pub extracted: &'a Extracted,
    pub fetched_at: DateTime<Utc>,
    pub capture: Option<CaptureRef>,
}

/// The identity an upstream or added article's id derives from (see [`Identity::strongest`]).
pub(crate) fn identity(
    canonical: Option<&str>,
    source: Option<&ItemSource>,
    item: Option<&FeedItem>,
    title: &str,
    published: Option<&DateTime<Utc>>,
) -> Identity {
    let upstream = source.zip(item.and_then(|i| i.upstream_id.as_deref())).map(|(s, id)| (s.feed_url, id));
    Identity::strongest(None, canonical, upstream, title, published)
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// The original link to publish: the item's link, unless it is not http(s) (a local demo
/// page) and the page declares an http(s) canonical URL.
fn public_url(link: Option<&str>, declared_canonical: Option<&str>) -> Option<String> {
    match link {
        Some(l) if canonical_url(l).is_some() => Some(l.to_string()),
        other => declared_canonical.and_then(canonical_url).or_else(|| other.map(str::to_string)),
    }
}

/// The article for an upstream item read from its page.
pub(crate) fn from_page(item: &FeedItem, source: &ItemSource, page: FetchedPage) -> (Article, DedupKeys) {
    let x = page.extracted;
    let base = Url::parse(page.final_url).ok();
    let html = content::sanitize(&x.html, base.as_ref());
    let title =
        non_empty(Some(&item.title)).or_else(|| non_empty(x.title.as_deref())).unwrap_or_else(|| "(untitled)".into());
    let published = item.published.or_else(|| x.published.as_deref().and_then(crate::date::parse));
    let updated = item
        .updated
        .or_else(|| x.updated.as_deref().and_then(crate::date::parse))
        .or(published)
        .unwrap_or(page.fetched_at);
    let mut authors: Vec<Person> = item.authors.iter().map(|a| Person::named(a.as_str())).collect();
    if authors.is_empty()
        && let Some(byline) = non_empty(x.byline.as_deref())
    {
        authors.push(Person::named(byline));
    }
    let canonical = page_canonical(page.final_url, x.canonical_url.as_deref());
    let ident = identity(canonical.as_deref(), Some(source), Some(item), &title, published.as_ref());
    let mut article = Article {
        id: ident.id(),
        title,
        summary: non_empty(item.summary.as_deref()).or_else(|| non_empty(x.summary.as_deref())),
        content: Content { text: x.text.clone(), html },
        authors,
        published,
        updated,
        url: public_url(item.link.as_deref().or(Some(page.final_url)), x.canonical_url.as_deref()),
        source: Some(source_ref(item, source)),
        tags: crate::article::normalise_tags(source.tags),
        language: non_empty(item.language.as_deref()).or_else(|| non_empty(x.language.as_deref())),
        content_hash: String::new(),
        archived_at: page.fetched_at,
        origin: Origin::Upstream,
        capture: page.capture,
    };
    article.seal();
    let keys =
        DedupKeys { identity: ident.key(), canonical_url: canonical, fingerprint: fingerprint(&article.content.text) };
    (article, keys)
}

/// The article for an upstream item from the feed's own content (its page could not be
/// fetched or read); `capture` is `None`, which tells the two apart in its provenance.
pub(crate) fn from_feed(
    item: &FeedItem,
    source: &ItemSource,
    polled_at: DateTime<Utc>,
    feed_url: &str,
) -> (Article, DedupKeys) {
    let base = item.link.as_deref().and_then(|l| Url::parse(l).ok()).or_else(|| Url::parse(feed_url).ok());
    let raw = match (&item.content_html, &item.summary) {
        (Some(h), _) if !h.trim().is_empty() => h.clone(),
        (_, Some(s)) => content::text_to_html(s),
        _ => String::new(),
    };
    let html = content::sanitize(&raw, base.as_ref());
    let mut text = content::html_to_text(&html);
    if text.trim().is_empty() {
        text = item.summary.clone().unwrap_or_default();
    }
    let title = non_empty(Some(&item.title)).unwrap_or_else(|| "(untitled)".into());
    let canonical = item.link.as_deref().and_then(canonical_url);
    let ident = identity(canonical.as_deref(), Some(source), Some(item), &title, item.published.as_ref());
    let mut article = Article {
        id: ident.id(),
        title,
        summary: non_empty(item.summary.as_deref()),
        content: Content { text, html },
        authors: item.authors.iter().map(|a| Person::named(a.as_str())).collect(),
        published: item.published,
        updated: item.updated.or(item.published).unwrap_or(polled_at),
        url: item.link.clone(),
        source: Some(source_ref(item, source)),
        tags: crate::article::normalise_tags(source.tags),
        language: non_empty(item.language.as_deref()),
        content_hash: String::new(),
        archived_at: polled_at,
        origin: Origin::Upstream,
        capture: None,
    };
    article.seal();
    let keys =
        DedupKeys { identity: ident.key(), canonical_url: canonical, fingerprint: fingerprint(&article.content.text) };
    (article, keys)
}

fn source_ref(item: &FeedItem, source: &ItemSource) -> SourceRef {
    SourceRef {
        name: source.name.to_string(),
        feed_url: Some(source.feed_url.to_string()),
        upstream_id: non_empty(item.upstream_id.as_deref()),
        site_url: source.site_url.map(str::to_string),
        feed_id: Some(source.feed_id.unwrap_or(source.feed_url).to_string()),
        feed_updated: source.feed_updated,
    }
}

/// The article for a page added by hand (`add URL`).
pub(crate) fn from_added_page(page: FetchedPage, tags: &[String]) -> (Article, DedupKeys) {
    let x = page.extracted;
    let base = Url::parse(page.final_url).ok();
    let html = content::sanitize(&x.html, base.as_ref());
    let title = non_empty(x.title.as_deref()).unwrap_or_else(|| page.final_url.to_string());
    let published = x.published.as_deref().and_then(crate::date::parse);
    let updated = x.updated.as_deref().and_then(crate::date::parse).or(published).unwrap_or(page.fetched_at);
    let canonical = page_canonical(page.final_url, x.canonical_url.as_deref());
    let ident = identity(canonical.as_deref(), None, None, &title, published.as_ref());
    let mut article = Article {
        id: ident.id(),
        title,
        summary: non_empty(x.summary.as_deref()),
        content: Content { text: x.text.clone(), html },
        authors: non_empty(x.byline.as_deref()).map(Person::named).into_iter().collect(),
        published,
        updated,
        url: public_url(Some(page.final_url), x.canonical_url.as_deref()),
        source: non_empty(x.site_name.as_deref()).map(|name| SourceRef { name, ..SourceRef::default() }),
        tags: crate::article::normalise_tags(tags),
        language: non_empty(x.language.as_deref()),
        content_hash: String::new(),
        archived_at: page.fetched_at,
        origin: Origin::Manual,
        capture: page.capture,
    };
    article.seal();
    let keys =
        DedupKeys { identity: ident.key(), canonical_url: canonical, fingerprint: fingerprint(&article.content.text) };
    (article, keys)
}

/// How to fetch an item's link, or why not. http(s) links are guarded (the fetcher refuses
/// private addresses unless `allow_private`); a `file:` link is read only when the source
/// itself is a local file and the link stays inside that file's folder (offline demos);
/// every other link is refused.
pub(crate) fn page_request(link: &str, source_dir: Option<&Path>) -> Result<FetchRequest, PageError> {
    let url = Url::parse(link.trim()).map_err(|source| PageError::InvalidLink { link: link.to_string(), source })?;
    match url.scheme() {
        "http" | "https" => Ok(FetchRequest::guarded(url.as_str())),
        "file" => {
            let path = url.to_file_path().map_err(|()| PageError::InvalidFileLink { link: link.to_string() })?;
            let Some(dir) = source_dir else {
                return Err(PageError::FileFromRemoteFeed { path });
            };
            let inside = |p: &Path| -> Option<PathBuf> {
                let real = p.canonicalize().ok()?;
                let root = dir.canonicalize().ok()?;
                real.starts_with(&root).then_some(real)
            };
            match inside(&path) {
                Some(real) => Ok(FetchRequest::new(real.display().to_string())),
                None if !path.exists() => Err(PageError::NoSuchFile { path }),
                None => Err(PageError::OutsideSourceFolder { path, dir: dir.to_path_buf() }),
            }
        }
        other => Err(PageError::UnsupportedScheme { scheme: other.to_string(), link: link.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_is_the_declared_one_only_on_the_same_site() {
        let fin = "https://www.news.example/a/1?utm_source=rss";
        assert_eq!(
            page_canonical(fin, Some("https://news.example/story/1")).as_deref(),
            Some("https://news.example/story/1")
        );
        assert_eq!(
            page_canonical(fin, Some("https://amp.news.example/1")).as_deref(),
            Some("https://amp.news.example/1")
        );
        assert_eq!(
            page_canonical(fin, Some("https://other.example/1")).as_deref(),
            Some("https://www.news.example/a/1")
        );
        assert_eq!(page_canonical("file:///tmp/a.html", Some("https://news.example/1")), None);
    }

    #[test]
    fn file_links_are_read_only_inside_the_source_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let feeds = dir.path().join("feeds");
        std::fs::create_dir_all(feeds.join("pages")).expect("mkdir");
        std::fs::write(feeds.join("pages/a.html"), "<p>a</p>").expect("write");
        std::fs::write(dir.path().join("secret.txt"), "x").expect("write");
        let inside = Url::from_file_path(feeds.join("pages/a.html")).expect("url");
        let req = page_request(inside.as_str(), Some(&feeds)).expect("inside is read");
        assert!(!req.guard);
        let outside = Url::from_file_path(feeds.join("../secret.txt")).expect("url");
        assert!(matches!(page_request(outside.as_str(), Some(&feeds)), Err(PageError::OutsideSourceFolder { .. })));
        assert!(matches!(page_request(inside.as_str(), None), Err(PageError::FileFromRemoteFeed { .. })));
        assert!(page_request("https://news.example/a", None).expect("http").guard);
        assert!(matches!(page_request("javascript:alert(1)", None), Err(PageError::UnsupportedScheme { .. })));
    }
}
