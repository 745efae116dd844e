//! The JSON Feed 1.1 writer. `next_url` points at the next OLDER document (the newest archive
//! page from the subscription document, page k-1 from page k), and an `_rfc5005` extension
//! object carries the archive links RFC 5005 defines for XML feeds. Each item has a
//! `_feedkeeper` extension with its source (with the upstream feed's `id` and `updated`, as
//! in Atom's `atom:source`) and provenance.
//!
//! Written by hand (one item per line, keys in a fixed order) so the bytes are stable and
//! nothing is built twice. Only formats; no I/O, no clock.

use crate::date;

use super::markup::json_string_into as string;
use super::view::{DocHead, EntryView, FK_NS, JSON, SiteView, origin_name};

/// Put between two items.
pub const SEPARATOR: &str = ",";

fn key(out: &mut String, first: &mut bool, name: &str) {
    if !*first {
        out.push(',');
    }
    *first = false;
    out.push('"');
    out.push_str(name);
    out.push_str("\":");
}

fn field(out: &mut String, first: &mut bool, name: &str, value: &str) {
    key(out, first, name);
    string(out, value);
}

/// Writes one item object (on its own line, no separator).
pub fn item(out: &mut String, site: &SiteView, e: &EntryView) {
    let a = e.article;
    let first = &mut true;
    out.push_str("\n    {");
    field(out, first, "id", a.id.as_str());
    field(out, first, "url", &e.page_url);
    if let Some(orig) = e.original {
        field(out, first, "external_url", orig);
    }
    field(out, first, "title", &a.title);
    field(out, first, "content_html", &a.content.html);
    if let Some(summary) = a.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        field(out, first, "summary", summary);
    }
    if let Some(p) = &a.published {
        field(out, first, "date_published", &date::rfc3339(p));
    }
    field(out, first, "date_modified", &date::rfc3339(&a.updated));
    key(out, first, "authors");
    out.push('[');
    for (i, p) in e.named_authors().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let f = &mut true;
        out.push('{');
        field(out, f, "name", p.name.trim());
        if let Some(uri) = p.uri.as_deref().filter(|u| super::view::is_web_url(u)) {
            field(out, f, "url", uri);
        }
        out.push('}');
    }
    out.push(']');
    if !a.tags.is_empty() {
        key(out, first, "tags");
        out.push('[');
        for (i, t) in a.tags.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            string(out, t);
        }
        out.push(']');
    }
    if let Some(lang) = a.language.as_deref().filter(|l| !l.is_empty()) {
        field(out, first, "language", lang);
    } else if !site.language.is_empty() {
        field(out, first, "language", &site.language);
    }
    key(out, first, "_feedkeeper");
    let fk = &mut true;
    out.push('{');
    field(out, fk, "about", FK_NS);
    if let Some(src) = &a.source {
        key(out, fk, "source");
        let s = &mut true;
        out.push('{');
        field(out, s, "name", src.name.trim());
        if src.feed_url.is_some() {
            // the same id and date as the Atom entry's atom:source
            field(out, s, "id", &e.source_feed_id());
            field(out, s, "updated", &date::rfc3339(&src.feed_updated.unwrap_or(a.archived_at)));
        }
        if let Some(u) = &src.feed_url {
            field(out, s, "feed_url", u);
        }
        if let Some(u) = &src.site_url {
            field(out, s, "site_url", u);
        }
        if let Some(u) = &src.upstream_id {
            field(out, s, "upstream_id", u);
        }
        out.push('}');
    }
    key(out, fk, "provenance");
    let p = &mut true;
    out.push('{');
    field(out, p, "archived", &date::rfc3339(&a.archived_at));
    field(out, p, "hash", &a.content_hash);
    field(out, p, "origin", origin_name(&a.origin));
    if let crate::article::Origin::Import { file } = &a.origin {
        field(out, p, "file", file);
    }
    key(out, p, "version");
    out.push_str(&e.version.to_string());
    if let Some(c) = &a.capture {
        key(out, p, "capture");
        let cf = &mut true;
        out.push('{');
        field(out, cf, "record_id", &c.record_id);
        field(out, cf, "file", &c.file);
        key(out, cf, "offset");
        out.push_str(&c.offset.to_string());
        key(out, cf, "length");
        out.push_str(&c.length.to_string());
        out.push('}');
    }
    out.push_str("}}}");
}

/// Writes the feed object up to the items array's opening bracket.
pub fn head(out: &mut String, site: &SiteView, doc: &DocHead) {
    let feed_url = |dir: &str| site.url(&format!("{dir}{JSON}"));
    out.push_str("{\n  \"version\":\"https://jsonfeed.org/version/1.1\",\n  \"title\":");
    string(out, &doc.title);
    out.push_str(",\n  \"home_page_url\":");
    string(out, &doc.home);
    out.push_str(",\n  \"feed_url\":");
    string(out, &feed_url(&doc.url_dir));
    if !site.description.is_empty() {
        out.push_str(",\n  \"description\":");
        string(out, &site.description);
    }
    if let Some(prev) = &doc.prev_archive {
        out.push_str(",\n  \"next_url\":");
        string(out, &feed_url(prev));
    }
    if let Some(author) = &site.author {
        out.push_str(",\n  \"authors\":[{\"name\":");
        string(out, author);
        out.push_str("}]");
    }
    if !site.language.is_empty() {
        out.push_str(",\n  \"language\":");
        string(out, &site.language);
    }
    if doc.has_hub()
        && let Some(hub) = &site.hub
    {
        out.push_str(",\n  \"hubs\":[{\"type\":\"WebSub\",\"url\":");
        string(out, hub);
        out.push_str("}]");
    }
    if doc.archive || doc.prev_archive.is_some() {
        out.push_str(",\n  \"_rfc5005\":{\"about\":\"https://www.rfc-editor.org/rfc/rfc5005\"");
        let first = &mut false;
        if doc.archive {
            key(out, first, "archive");
            out.push_str("true");
        }
        if let Some(current) = &doc.current {
            field(out, first, "current", &feed_url(current));
        }
        if let Some(prev) = &doc.prev_archive {
            field(out, first, "prev_archive", &feed_url(prev));
        }
        if let Some(next) = &doc.next_archive {
            field(out, first, "next_archive", &feed_url(next));
        }
        out.push('}');
    }
    out.push_str(",\n  \"items\":[");
}

/// Closes the items array and the feed object.
pub fn foot(out: &mut String) {
    out.push_str("\n  ]\n}\n");
}
