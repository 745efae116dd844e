//! The RSS 2.0 writer, with `atom:link` for `self`, `hub` and the RFC 5005 links,
//! `<fh:archive/>` on archive pages, `content:encoded` for the full HTML, `dc:creator` for
//! authors and `<source url>` for items archived from upstream. Same shape as the Atom
//! writer: one item at a time, then a head and foot around them.
//!
//! Only formats; no I/O, no clock.

use crate::date;

use super::atom::{attribute, element, provenance};
use super::markup::{escape_into, excerpt};
use super::view::{DocHead, EntryView, FH_NS, FK_NS, RSS, SiteView};

/// The longest `description` made from an article's text when it has no summary.
const EXCERPT_CHARS: usize = 300;

fn atom_link(out: &mut String, rel: &str, mime: Option<&str>, href: &str) {
    out.push_str("    <atom:link");
    attribute(out, "rel", rel);
    if let Some(mime) = mime {
        attribute(out, "type", mime);
    }
    attribute(out, "href", href);
    out.push_str("/>\n");
}

/// Writes one `<item>`. `content` is the article's HTML already escaped for XML.
pub fn item(out: &mut String, site: &SiteView, e: &EntryView, content: &str) {
    let a = e.article;
    out.push_str("    <item>\n");
    element(out, "      ", "title", &a.title);
    element(out, "      ", "link", e.link());
    element(out, "      ", "guid isPermaLink=\"false\"", a.id.as_str());
    element(out, "      ", "pubDate", &date::rfc2822(&a.date()));
    for p in e.named_authors() {
        element(out, "      ", "dc:creator", p.name.trim());
    }
    for tag in &a.tags {
        out.push_str("      <category");
        attribute(out, "domain", &site.tags_url);
        out.push('>');
        escape_into(out, tag);
        out.push_str("</category>\n");
    }
    match a.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(summary) => element(out, "      ", "description", summary),
        None => element(out, "      ", "description", &excerpt(&a.content.html, EXCERPT_CHARS)),
    }
    out.push_str("      <content:encoded>");
    out.push_str(content);
    out.push_str("</content:encoded>\n");
    if let Some(src) = &a.source
        && let Some(url) = e.source_feed_url.or(e.source_site_url)
    {
        out.push_str("      <source");
        attribute(out, "url", url);
        out.push('>');
        escape_into(out, src.name.trim());
        out.push_str("</source>\n");
    }
    provenance(out, "      ", e);
    out.push_str("    </item>\n");
}

/// Writes the channel head: everything up to the first item.
pub fn head(out: &mut String, site: &SiteView, doc: &DocHead) {
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"");
    attribute(out, "xmlns:atom", "http://www.w3.org/2005/Atom");
    attribute(out, "xmlns:content", "http://purl.org/rss/1.0/modules/content/");
    attribute(out, "xmlns:dc", "http://purl.org/dc/elements/1.1/");
    attribute(out, "xmlns:fh", FH_NS);
    attribute(out, "xmlns:fk", FK_NS);
    out.push_str(">\n  <channel>\n");
    element(out, "    ", "title", &doc.title);
    element(out, "    ", "link", &doc.home);
    let description = if site.description.is_empty() { &doc.title } else { &site.description };
    element(out, "    ", "description", description);
    if !site.language.is_empty() {
        element(out, "    ", "language", &site.language);
    }
    element(out, "    ", "generator", "feedkeeper");
    element(out, "    ", "lastBuildDate", &date::rfc2822(&doc.updated));
    let feed_url = |dir: &str| site.url(&format!("{dir}{RSS}"));
    atom_link(out, "self", Some("application/rss+xml"), &feed_url(&doc.url_dir));
    if let Some(current) = &doc.current {
        atom_link(out, "current", Some("application/rss+xml"), &feed_url(current));
    }
    if let Some(prev) = &doc.prev_archive {
        atom_link(out, "prev-archive", Some("application/rss+xml"), &feed_url(prev));
    }
    if let Some(next) = &doc.next_archive {
        atom_link(out, "next-archive", Some("application/rss+xml"), &feed_url(next));
    }
    if doc.has_hub()
        && let Some(hub) = &site.hub
    {
        atom_link(out, "hub", None, hub);
    }
    if doc.archive {
        out.push_str("    <fh:archive/>\n");
    }
}

/// Writes the channel foot.
pub fn foot(out: &mut String) {
    out.push_str("  </channel>\n</rss>\n");
}
