//! The model every format reader fills: [`FeedDraft`] and [`ItemDraft`] (what a reader
//! recovered, before normalisation), the [`FeedFormat`] it recognised, and [`resolve`] for
//! the relative links readers meet. The readers (`xml`, `json`, `fallback`) and the
//! dispatcher (`parse`) depend on this module; it depends on none of them.
//!
//! Data only: no parsing, no normalisation, no I/O.

use chrono::{DateTime, Utc};
use url::Url;

/// The format and version of an upstream feed document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FeedFormat {
    Rss090,
    Rss091,
    Rss092,
    Rss093,
    Rss094,
    Rss10,
    Rss20,
    Atom03,
    Atom10,
    JsonFeed,
    #[default]
    Unknown,
}

impl FeedFormat {
    /// A short stable name (`rss20`, `atom10`, `json`…), the one the fixtures and
    /// feedparser's `version` use.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedFormat::Rss090 => "rss090",
            FeedFormat::Rss091 => "rss091",
            FeedFormat::Rss092 => "rss092",
            FeedFormat::Rss093 => "rss093",
            FeedFormat::Rss094 => "rss094",
            FeedFormat::Rss10 => "rss10",
            FeedFormat::Rss20 => "rss20",
            FeedFormat::Atom03 => "atom03",
            FeedFormat::Atom10 => "atom10",
            FeedFormat::JsonFeed => "json",
            FeedFormat::Unknown => "unknown",
        }
    }
}

impl FeedFormat {
    pub(crate) fn is_atom(self) -> bool {
        matches!(self, FeedFormat::Atom03 | FeedFormat::Atom10)
    }
}

impl std::fmt::Display for FeedFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a format reader recovered, before normalisation.
#[derive(Debug, Default)]
pub(crate) struct FeedDraft {
    pub format: FeedFormat,
    /// Whether a feed root (`rss`, `RDF`, `feed`, `channel`, a JSON Feed object) was seen.
    pub structure: bool,
    pub title: Option<String>,
    pub site_url: Option<String>,
    pub language: Option<String>,
    pub ttl_minutes: Option<u64>,
    pub sy_period: Option<String>,
    pub sy_frequency: Option<u32>,
    pub hub: Option<String>,
    /// RFC 5005 `prev-archive` (an archived feed's older page), absolute.
    pub prev_archive: Option<String>,
    /// RFC 5005 paged feeds' `next` (JSON Feed `next_url`), absolute.
    pub next_page: Option<String>,
    /// The feed's own id and dates (`updated` wins over `published`).
    pub id: Option<String>,
    pub updated: Option<DateTime<Utc>>,
    pub published: Option<DateTime<Utc>>,
    pub authors: Vec<String>,
    pub items: Vec<ItemDraft>,
    pub repairs: Vec<String>,
    /// The document ended inside the feed (a cut-off file). With no item recovered this is
    /// the parse error `Truncated`.
    pub truncated: bool,
}

/// One item as read, before normalisation.
#[derive(Debug, Default, Clone)]
pub(crate) struct ItemDraft {
    pub id: Option<String>,
    /// Title as HTML-ish text (references already decoded once by the reader).
    pub title: Option<String>,
    pub link: Option<String>,
    /// A link to use when there is no proper one (permalink guid, `rdf:about`, other rels).
    pub link_fallback: Option<String>,
    pub summary_html: Option<String>,
    pub content_html: Option<String>,
    pub authors: Vec<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub categories: Vec<String>,
    pub language: Option<String>,
}

impl ItemDraft {
    /// Whether the item carries anything worth keeping.
    pub fn is_empty(&self) -> bool {
        self.id.is_none()
            && self.link.is_none()
            && self.link_fallback.is_none()
            && self.title.as_deref().is_none_or(|t| t.trim().is_empty())
            && self.summary_html.is_none()
            && self.content_html.is_none()
    }
}

/// Resolves a possibly relative reference against a base; `None` when it is empty or
/// cannot be made an absolute URL.
pub(crate) fn resolve(href: &str, base: Option<&Url>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    if let Ok(u) = Url::parse(href) {
        return Some(u.to_string());
    }
    base?.join(href).ok().map(|u| u.to_string())
}
