//! The Atom 1.0 writer (RFC 4287, with RFC 5005 archive links): one entry at a time into a
//! string, and a document head and foot around already-written entries, so a page can be
//! assembled newest first while the log is read oldest first.
//!
//! Plain string building with [`markup::escape_into`]; every character XML forbids is
//! dropped there. It only formats what it is given: no I/O, no clock, no choice of entries.

use crate::date;

use super::markup::escape_into;
use super::view::{ATOM, DocHead, EntryView, FH_NS, FK_NS, SiteView, origin_name};

/// Writes `<tag>text</tag>` on its own line.
pub(super) fn element(out: &mut String, indent: &str, tag: &str, text: &str) {
    out.push_str(indent);
    out.push('<');
    out.push_str(tag);
    out.push('>');
    escape_into(out, text);
    out.push_str("</");
    out.push_str(tag.split(' ').next().unwrap_or(tag));
    out.push_str(">\n");
}

/// Writes ` name="value"` with the value escaped.
pub(super) fn attribute(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    escape_into(out, value);
    out.push('"');
}

fn link(out: &mut String, indent: &str, rel: &str, mime: Option<&str>, href: &str) {
    out.push_str(indent);
    out.push_str("<link");
    attribute(out, "rel", rel);
    if let Some(mime) = mime {
        attribute(out, "type", mime);
    }
    attribute(out, "href", href);
    out.push_str("/>\n");
}

/// feedkeeper's provenance extension element (namespace [`FK_NS`], prefix `fk`), used in Atom
/// entries and RSS items alike.
pub(super) fn provenance(out: &mut String, indent: &str, e: &EntryView) {
    let a = e.article;
    out.push_str(indent);
    out.push_str("<fk:provenance");
    attribute(out, "archived", &date::rfc3339(&a.archived_at));
    attribute(out, "hash", &a.content_hash);
    attribute(out, "origin", origin_name(&a.origin));
    if let crate::article::Origin::Import { file } = &a.origin {
        attribute(out, "file", file);
    }
    attribute(out, "version", &e.version.to_string());
    if let Some(c) = &a.capture {
        attribute(out, "capture", &c.record_id);
        attribute(out, "capture-file", &c.file);
    }
    if let Some(upstream) = a.source.as_ref().and_then(|s| s.upstream_id.as_deref()) {
        attribute(out, "upstream-id", upstream);
    }
    out.push_str("/>\n");
}

/// Writes one `<entry>`. `content` is the article's HTML already escaped for XML (shared
/// with the RSS writer, so the longest text is escaped once).
pub fn entry(out: &mut String, site: &SiteView, e: &EntryView, content: &str) {
    let a = e.article;
    out.push_str("  <entry");
    if let Some(lang) = a.language.as_deref().filter(|l| !l.is_empty() && *l != site.language) {
        attribute(out, "xml:lang", lang);
    }
    out.push_str(">\n");
    element(out, "    ", "id", a.id.as_str());
    element(out, "    ", "title type=\"text\"", &a.title);
    element(out, "    ", "updated", &date::rfc3339(&a.updated));
    if let Some(p) = &a.published {
        element(out, "    ", "published", &date::rfc3339(p));
    }
    for p in e.named_authors() {
        out.push_str("    <author>\n");
        element(out, "      ", "name", p.name.trim());
        if let Some(uri) = p.uri.as_deref().filter(|u| super::view::is_web_url(u)) {
            element(out, "      ", "uri", uri);
        }
        if let Some(email) = p.email.as_deref().filter(|m| m.contains('@')) {
            element(out, "      ", "email", email);
        }
        out.push_str("    </author>\n");
    }
    link(out, "    ", "alternate", Some("text/html"), e.link());
    if e.original.is_some() {
        out.push_str("    <link rel=\"related\" type=\"text/html\" title=\"Archived copy\"");
        attribute(out, "href", &e.page_url);
        out.push_str("/>\n");
    }
    for tag in &a.tags {
        out.push_str("    <category");
        attribute(out, "term", tag);
        attribute(out, "scheme", &site.tags_url);
        out.push_str("/>\n");
    }
    if let Some(summary) = a.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        element(out, "    ", "summary type=\"text\"", summary);
    }
    out.push_str("    <content type=\"html\"");
    if let Some(orig) = e.original {
        attribute(out, "xml:base", orig);
    }
    out.push('>');
    out.push_str(content);
    out.push_str("</content>\n");
    if let Some(src) = &a.source
        && src.feed_url.is_some()
    {
        out.push_str("    <source>\n");
        element(out, "      ", "id", &e.source_feed_id());
        if !src.name.trim().is_empty() {
            element(out, "      ", "title type=\"text\"", src.name.trim());
        }
        element(out, "      ", "updated", &date::rfc3339(&src.feed_updated.unwrap_or(a.archived_at)));
        if let Some(feed) = e.source_feed_url {
            link(out, "      ", "self", None, feed);
        }
        if let Some(site_url) = e.source_site_url {
            link(out, "      ", "alternate", Some("text/html"), site_url);
        }
        if let Some(upstream) = src.upstream_id.as_deref() {
            element(out, "      ", "fk:item-id", upstream);
        }
        out.push_str("    </source>\n");
    }
    provenance(out, "    ", e);
    out.push_str("  </entry>\n");
}

/// Writes the document head: everything up to the first entry.
pub fn head(out: &mut String, site: &SiteView, doc: &DocHead) {
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"");
    attribute(out, "xmlns:fh", FH_NS);
    attribute(out, "xmlns:fk", FK_NS);
    if !site.language.is_empty() {
        attribute(out, "xml:lang", &site.language);
    }
    out.push_str(">\n");
    element(out, "  ", "id", &doc.feed_id);
    element(out, "  ", "title type=\"text\"", &doc.title);
    if !site.description.is_empty() {
        element(out, "  ", "subtitle type=\"text\"", &site.description);
    }
    element(out, "  ", "updated", &date::rfc3339(&doc.updated));
    if let Some(author) = &site.author {
        out.push_str("  <author>\n");
        element(out, "    ", "name", author);
        out.push_str("  </author>\n");
    }
    element(out, "  ", "generator", "feedkeeper");
    let feed_url = |dir: &str| site.url(&format!("{dir}{ATOM}"));
    link(out, "  ", "self", Some("application/atom+xml"), &feed_url(&doc.url_dir));
    link(out, "  ", "alternate", Some("text/html"), &doc.home);
    if let Some(current) = &doc.current {
        link(out, "  ", "current", Some("application/atom+xml"), &feed_url(current));
    }
    if let Some(prev) = &doc.prev_archive {
        link(out, "  ", "prev-archive", Some("application/atom+xml"), &feed_url(prev));
    }
    if let Some(next) = &doc.next_archive {
        link(out, "  ", "next-archive", Some("application/atom+xml"), &feed_url(next));
    }
    if doc.has_hub()
        && let Some(hub) = &site.hub
    {
        link(out, "  ", "hub", None, hub);
    }
    if doc.archive {
        out.push_str("  <fh:archive/>\n");
    }
}

/// Writes the document foot.
pub fn foot(out: &mut String) {
    out.push_str("</feed>\n");
}
