//! What the writers need to know, resolved once: the site settings that shape the output
//! ([`SiteView`], whose hash decides when everything must be rewritten), one document's head
//! ([`DocHead`]: its place in the layout, its RFC 5005 links, its `updated`), and one
//! entry's derived values ([`EntryView`]: its page URL, its authors with the fallback RFC
//! 4287 needs).
//!
//! The layout of the feeds folder lives here too (file names, folders, URLs), so the writers
//! and the planner agree on it. No I/O, no clock.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use crate::article::{Article, Person};
use crate::config::Config;

use super::markup;

/// The XML namespace of feedkeeper's extension elements (provenance, upstream item id).
/// Stable: feeds published with it must keep meaning the same.
pub const FK_NS: &str = "https://feedkeeper.invalid/ns/1.0";
/// RFC 5005's namespace.
pub const FH_NS: &str = "http://purl.org/syndication/history/1.0";

/// Raised whenever the bytes the writers produce change for the same data, so that a new
/// feedkeeper rewrites every file once instead of leaving old and new forms mixed.
/// 2: entries newest first by date, `atom:source` with `id` and `updated`, HTML archive
/// pages (`archive/<k>/index.html`). 3: the JSON Feed item's `_feedkeeper.source` carries
/// the same `id` and `updated`.
const FORMAT_VERSION: u32 = 3;

/// The three feed files every feed folder holds, and the readable page.
pub const ATOM: &str = "atom.xml";
pub const RSS: &str = "rss.xml";
pub const JSON: &str = "feed.json";
pub const INDEX: &str = "index.html";
pub const FEED_FILES: [&str; 3] = [ATOM, RSS, JSON];

/// The site settings that affect the output.
#[derive(Debug, Clone)]
pub struct SiteView {
    pub title: String,
    /// The base URL, ending with `/`.
    pub base: String,
    pub author: Option<String>,
    pub language: String,
    pub description: String,
    pub hub: Option<String>,
    pub page_size: usize,
    /// `<base>tags/`: the category scheme of every entry.
    pub tags_url: String,
}

impl SiteView {
    pub fn from_config(config: &Config) -> SiteView {
        let mut base = config.site.base_url.0.to_string();
        if !base.ends_with('/') {
            base.push('/');
        }
        SiteView {
            title: config.site.title.trim().to_string(),
            author: config.site.author.as_deref().map(str::trim).filter(|a| !a.is_empty()).map(str::to_string),
            language: config.site.language.trim().to_string(),
            description: config.site.description.trim().to_string(),
            hub: config.publish.hub.0.as_ref().map(|u| u.to_string()),
            page_size: config.publish.page_size.0,
            tags_url: format!("{base}tags/"),
            base,
        }
    }

    /// A hash of everything here and the format version: when it changes, every file is
    /// rendered again.
    pub fn settings_hash(&self) -> String {
        let mut h = blake3::Hasher::new();
        for part in [
            &FORMAT_VERSION.to_string(),
            &self.title,
            &self.base,
            self.author.as_deref().unwrap_or("\u{0}"),
            &self.language,
            &self.description,
            self.hub.as_deref().unwrap_or("\u{0}"),
            &self.page_size.to_string(),
        ] {
            h.update(part.as_bytes());
            h.update(b"\x1f");
        }
        h.finalize().to_hex()[..32].to_string()
    }

    /// The absolute URL of a path relative to the feeds folder.
    pub fn url(&self, rel: &str) -> String {
        let mut s = String::with_capacity(self.base.len() + rel.len());
        s.push_str(&self.base);
        s.push_str(rel);
        s
    }

    /// The relative path of an article's page.
    pub fn article_rel(slug: &str) -> String {
        format!("articles/{slug}.html")
    }
}

/// The folder (relative, ending with `/`) of archive page `k`.
/// The folder of the takedown feeds.
pub fn removed_dir() -> &'static str {
    "removed/"
}

pub fn archive_dir(k: u64) -> String {
    format!("archive/{k}/")
}

/// The folder name of a tag: the tag itself when it is a safe file name (normalised tags
/// are), else a stable hash of it.
pub fn tag_dir_name(tag: &str) -> String {
    let safe = !tag.is_empty()
        && tag.len() <= 100
        && !tag.starts_with(['.', '-'])
        && tag.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    if safe { tag.to_string() } else { format!("tag-{}", &blake3::hash(tag.as_bytes()).to_hex()[..16]) }
}

/// The folder (relative, ending with `/`) of a tag's feeds on disk.
pub fn tag_dir(tag: &str) -> String {
    format!("tags/{}/", tag_dir_name(tag))
}

/// The same folder as a URL path (percent-encoded).
pub fn tag_url_dir(tag: &str) -> String {
    format!("tags/{}/", markup::path_segment(&tag_dir_name(tag)))
}

/// Which document of the layout this is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocKind {
    /// The subscription documents at the top of the feeds folder.
    Current,
    /// Archive page `k` of `pages`.
    Archive { page: u64, pages: u64 },
    /// A tag's subscription documents.
    Tag { tag: String },
    /// The takedowns `refresh` found (`removed/`).
    Removed,
}

/// One feed document's head: where it is, what it links to, when it was last updated.
#[derive(Debug, Clone)]
pub struct DocHead {
    /// Its folder on disk relative to the feeds folder (`""`, `archive/3/`, `tags/x/`).
    pub dir: String,
    /// Its folder as a URL path relative to the base.
    pub url_dir: String,
    pub title: String,
    /// The Atom feed id, shared by a subscription document and its archive pages (RFC 5005).
    pub feed_id: String,
    /// The readable page (absolute URL).
    pub home: String,
    /// The max `updated` of its entries, or the fallback for an empty document.
    pub updated: DateTime<Utc>,
    /// URL folders of the RFC 5005 neighbours (relative to the base).
    pub current: Option<String>,
    pub prev_archive: Option<String>,
    pub next_archive: Option<String>,
    /// Whether this is an archive document (`fh:archive`).
    pub archive: bool,
}

impl DocHead {
    pub fn new(site: &SiteView, kind: DocKind, updated: DateTime<Utc>) -> DocHead {
        match kind {
            DocKind::Current => DocHead {
                dir: String::new(),
                url_dir: String::new(),
                title: site.title.clone(),
                feed_id: site.url(ATOM),
                home: site.url(INDEX),
                updated,
                current: None,
                prev_archive: None,
                next_archive: None,
                archive: false,
            },
            DocKind::Archive { page, pages } => DocHead {
                dir: archive_dir(page),
                url_dir: archive_dir(page),
                title: format!("{} (archive, page {page})", site.title),
                feed_id: site.url(ATOM),
                home: site.url(INDEX),
                updated,
                current: Some(String::new()),
                prev_archive: (page > 1).then(|| archive_dir(page - 1)),
                next_archive: (page < pages).then(|| archive_dir(page + 1)),
                archive: true,
            },
            DocKind::Removed => DocHead {
                dir: removed_dir().to_string(),
                url_dir: removed_dir().to_string(),
                title: format!("{}: removed upstream", site.title),
                feed_id: site.url(&format!("{}{ATOM}", removed_dir())),
                home: site.url(INDEX),
                updated,
                current: None,
                prev_archive: None,
                next_archive: None,
                archive: false,
            },
            DocKind::Tag { tag } => {
                let url_dir = tag_url_dir(&tag);
                DocHead {
                    dir: tag_dir(&tag),
                    title: format!("{}: {tag}", site.title),
                    feed_id: site.url(&format!("{url_dir}{ATOM}")),
                    home: site.url(&format!("{url_dir}{INDEX}")),
                    url_dir,
                    updated,
                    current: None,
                    prev_archive: None,
                    next_archive: None,
                    archive: false,
                }
            }
        }
    }

    /// The subscription documents link to the newest archive page.
    pub fn with_prev_archive(mut self, pages: u64) -> DocHead {
        if pages > 0 {
            self.prev_archive = Some(archive_dir(pages));
        }
        self
    }

    /// Whether the document carries `rel="hub"` (subscription documents, not archive pages).
    pub fn has_hub(&self) -> bool {
        !self.archive
    }
}

/// One entry with its derived values.
pub struct EntryView<'a> {
    pub version: u32,
    pub article: &'a Article,
    pub slug: String,
    /// The archived copy's page (absolute URL).
    pub page_url: String,
    /// The original article's URL when it is an absolute http(s) URL.
    pub original: Option<&'a str>,
    /// The entry's authors: its own, else its source, else the site's author, else the
    /// site's title (RFC 4287 requires an author for every entry).
    pub authors: Cow<'a, [Person]>,
    /// The upstream feed's URL when it is a web URL (a local file path is not shown).
    pub source_feed_url: Option<&'a str>,
    /// The upstream site's URL when it is a web URL.
    pub source_site_url: Option<&'a str>,
}

impl<'a> EntryView<'a> {
    pub fn new(site: &SiteView, version: u32, article: &'a Article) -> EntryView<'a> {
        let slug = article.id.slug();
        let page_url = site.url(&SiteView::article_rel(&slug));
        let original = article.url.as_deref().filter(|u| is_web_url(u));
        let authors = if article.authors.iter().any(|p| !p.name.trim().is_empty()) {
            Cow::Borrowed(&article.authors[..])
        } else {
            let name = article
                .source
                .as_ref()
                .map(|s| s.name.trim())
                .filter(|n| !n.is_empty())
                .or(site.author.as_deref())
                .unwrap_or(&site.title);
            Cow::Owned(vec![Person::named(name)])
        };
        let source = article.source.as_ref();
        let source_feed_url = source.and_then(|s| s.feed_url.as_deref()).filter(|u| is_web_url(u));
        let source_site_url = source.and_then(|s| s.site_url.as_deref()).filter(|u| is_web_url(u));
        EntryView { version, article, slug, page_url, original, authors, source_feed_url, source_site_url }
    }

    /// The `atom:source` id: the upstream feed's own id as read at capture, else its URL
    /// (articles archived before the id was kept), else — for a feed read from a local file,
    /// whose path is no IRI and must not leak — a URN derived from the path as configured.
    pub fn source_feed_id(&self) -> Cow<'a, str> {
        let Some(src) = self.article.source.as_ref() else { return Cow::Borrowed("") };
        let id = src.feed_id.as_deref().or(src.feed_url.as_deref()).map(str::trim).unwrap_or("");
        if is_iri(id) {
            Cow::Borrowed(id)
        } else {
            Cow::Owned(format!("urn:feedkeeper:feed:{}", &blake3::hash(id.as_bytes()).to_hex()[..32]))
        }
    }

    /// Where a reader should go: the original when known, else the archived copy.
    pub fn link(&self) -> &str {
        self.original.unwrap_or(&self.page_url)
    }

    /// The non-empty authors (names trimmed).
    pub fn named_authors(&self) -> impl Iterator<Item = &Person> {
        self.authors.iter().filter(|p| !p.name.trim().is_empty())
    }
}

/// An absolute http(s) URL.
pub fn is_web_url(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && url::Url::parse(s).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()))
}

/// Whether `s` looks like an absolute IRI (`scheme:rest`, as Atom ids must be): a scheme of
/// letters, digits, `+`, `-`, `.` starting with a letter, and no whitespace. A Windows path
/// (`C:\\x`) is not one.
fn is_iri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else { return false };
    scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !s.chars().any(char::is_whitespace)
}

/// The Origin's short name, for provenance.
pub fn origin_name(origin: &crate::article::Origin) -> &'static str {
    match origin {
        crate::article::Origin::Import { .. } => "import",
        crate::article::Origin::Upstream => "upstream",
        crate::article::Origin::Manual => "manual",
    }
}
