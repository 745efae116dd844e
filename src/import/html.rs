//! Saved HTML pages → the head fields and body the importer assembles into an article. The
//! page's main text and metadata come from [`crate::extract`]; this reader only decides the
//! page's URL (a browser's `saved from url=` comment, else the page's canonical link), reads
//! the byline and dates with the importer's own rules, and sanitizes the body.
//!
//! Reads text it is given; no file or network access.

use url::Url;

use super::head::{self, Head};
use crate::article::Content;
use crate::{content, date, extract};

/// What a saved page yields besides the head: metadata a text file would carry in front
/// matter.
pub(super) struct Page {
    pub head: Head,
    pub content: Content,
    pub tags: Vec<String>,
    pub language: Option<String>,
}

/// Reads a saved page's text. `Err` is the extractor's reason there is no article in it.
pub(super) fn read(html: &str) -> Result<Page, extract::ExtractError> {
    let saved_from = saved_from_url(html);
    let ex = extract::extract(html, saved_from.as_ref())?;
    let url = ex.canonical_url.clone().or_else(|| saved_from.as_ref().map(Url::to_string));
    let base = url.as_deref().and_then(|u| Url::parse(u).ok());
    let (authors, byline_source) = match ex.byline.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        Some(line) => match head::byline(line).or_else(|| head::byline(&format!("By {line}"))) {
            Some(b) => (b.names, b.source),
            None => (vec![line.to_string()], None),
        },
        None => (Vec::new(), None),
    };
    let head = Head {
        title: ex.title.clone(),
        summary: ex.summary.clone(),
        authors,
        source: ex.site_name.clone().or(byline_source),
        published: ex.published.as_deref().and_then(date::parse),
        updated: ex.updated.as_deref().and_then(date::parse),
        url,
        body_start: 0,
        lead: None,
        removed: Vec::new(),
    };
    let content = Content { html: content::sanitize(&ex.html, base.as_ref()), text: ex.text };
    Ok(Page { head, content, tags: ex.tags, language: ex.language })
}

/// The URL a browser recorded when saving the page: `<!-- saved from url=(0042)https://… -->`.
fn saved_from_url(html: &str) -> Option<Url> {
    let head = &html[..html.len().min(4096)];
    let at = head.find("saved from url=(")?;
    let rest = &head[at + "saved from url=(".len()..];
    let (_, rest) = rest.split_once(')')?;
    let end = [rest.find(char::is_whitespace), rest.find("-->")].into_iter().flatten().min().unwrap_or(rest.len());
    let url = Url::parse(&rest[..end]).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_from_comment() {
        let html = "<!DOCTYPE html>\n<!-- saved from url=(0036)https://news.example.org/a-b/c.html -->\n<html>";
        assert_eq!(saved_from_url(html).map(|u| u.to_string()).as_deref(), Some("https://news.example.org/a-b/c.html"));
        let tight = "<!-- saved from url=(0024)https://e.org/x-y.html-->\n<html>";
        assert_eq!(saved_from_url(tight).map(|u| u.to_string()).as_deref(), Some("https://e.org/x-y.html"));
        assert_eq!(saved_from_url("<!-- saved from url=(0013)about:internet -->"), None);
        assert_eq!(saved_from_url("<html>"), None);
    }
}
