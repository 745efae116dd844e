//! The readable pages: `index.html` of the site and of each tag (newest entries, feed
//! autodiscovery, links to archive pages and tags) and one page per article with its
//! provenance. Valid HTML5, a small inline stylesheet, no JavaScript and nothing loaded from
//! elsewhere (images in article bodies become links), so a page opens offline without a
//! console error.
//!
//! Links between pages are relative, so the folder can be browsed from disk; autodiscovery
//! and canonical links are absolute. Only formats; no I/O, no clock.

use crate::archive::{ArticleState, Evidence};
use crate::article::Origin;
use crate::date;

use super::marked::{Changes, PageNote};

use super::markup::{escape_into, excerpt, images_as_links, path_segment, push_clean};
use super::view::{ATOM, DocHead, EntryView, INDEX, JSON, RSS, SiteView, tag_dir_name};

/// The longest summary made from the text when an article has none.
const EXCERPT_CHARS: usize = 280;

const STYLE: &str = "body{font:1rem/1.55 system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:1rem;color:#1d1d1f;background:#fff}\
a{color:#0b57a4}h1{line-height:1.2}h2{font-size:1.15rem;margin:0 0 .2rem}\
.entry{border-top:1px solid #ddd;padding:.8rem 0}.meta{color:#555;font-size:.9rem;margin:.1rem 0}\
.tags a{margin-right:.4rem}.content{margin:1rem 0}.content img{max-width:100%}\
.provenance{border-top:1px solid #ddd;margin-top:2rem;font-size:.9rem}.provenance dt{font-weight:600}\
.provenance dd{margin:0 0 .4rem 1rem;overflow-wrap:anywhere}code{font-size:.85rem}\
nav ul{padding-left:1.2rem}.pages a{margin-right:.35rem}footer{color:#666;font-size:.85rem;margin-top:2rem}\
@media (prefers-color-scheme:dark){body{background:#161618;color:#e6e6e6}a{color:#8ab4f8}.meta{color:#aaa}}";

fn text(out: &mut String, s: &str) {
    escape_into(out, s);
}

fn open_tag_attr(out: &mut String, open: &str, attr: &str, value: &str) {
    out.push_str(open);
    out.push(' ');
    out.push_str(attr);
    out.push_str("=\"");
    escape_into(out, value);
    out.push('"');
}

/// Whether a language is written right to left (by its primary subtag).
fn is_rtl(lang: &str) -> bool {
    let primary = lang.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
    matches!(primary.as_str(), "ar" | "fa" | "he" | "iw" | "ur" | "ps" | "yi" | "dv" | "sd" | "ug" | "ckb")
}

#[derive(Clone, Copy)]
struct PageHead<'a> {
    lang: &'a str,
    title: &'a str,
    /// The URL folder of the feeds the page advertises.
    feeds_dir: &'a str,
    description: &'a str,
    canonical: Option<&'a str>,
}

fn page_head(out: &mut String, site: &SiteView, h: &PageHead) {
    let PageHead { lang, title, feeds_dir, description, canonical } = *h;
    out.push_str("<!DOCTYPE html>\n");
    open_tag_attr(out, "<html", "lang", if lang.is_empty() { "en" } else { lang });
    if is_rtl(lang) {
        out.push_str(" dir=\"rtl\"");
    }
    out.push_str(">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    text(out, title);
    out.push_str("</title>\n");
    if !description.is_empty() {
        open_tag_attr(out, "<meta name=\"description\"", "content", description);
        out.push_str(">\n");
    }
    out.push_str("<meta name=\"generator\" content=\"feedkeeper\">\n");
    // An empty icon, so a browser does not request /favicon.ico (a 404 in the console).
    out.push_str("<link rel=\"icon\" href=\"data:,\">\n");
    if let Some(url) = canonical {
        open_tag_attr(out, "<link rel=\"canonical\"", "href", url);
        out.push_str(">\n");
    }
    for (mime, file, label) in [
        ("application/atom+xml", ATOM, "Atom"),
        ("application/rss+xml", RSS, "RSS"),
        ("application/feed+json", JSON, "JSON Feed"),
    ] {
        out.push_str("<link rel=\"alternate\" type=\"");
        out.push_str(mime);
        out.push('"');
        open_tag_attr(out, "", "title", &format!("{} ({label})", site.title));
        open_tag_attr(out, "", "href", &site.url(&format!("{feeds_dir}{file}")));
        out.push_str(">\n");
    }
    out.push_str("<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n");
}

fn time(out: &mut String, dt: &chrono::DateTime<chrono::Utc>) {
    open_tag_attr(out, "<time", "datetime", &date::rfc3339(dt));
    out.push('>');
    use chrono::Datelike;
    out.push_str(&format!("{:04}-{:02}-{:02}", dt.year(), dt.month(), dt.day()));
    out.push_str("</time>");
}

fn tag_links(out: &mut String, root: &str, tags: &[String]) {
    if tags.is_empty() {
        return;
    }
    out.push_str("<p class=\"tags\">Tags:");
    for tag in tags {
        open_tag_attr(out, " <a", "href", &format!("{root}tags/{}/{INDEX}", path_segment(&tag_dir_name(tag))));
        out.push('>');
        text(out, tag);
        out.push_str("</a>");
    }
    out.push_str("</p>\n");
}

fn external_link(out: &mut String, href: &str, label: &str) {
    open_tag_attr(out, "<a", "href", href);
    out.push_str(" rel=\"noopener noreferrer\">");
    text(out, label);
    out.push_str("</a>");
}

/// One entry of an index page. `root` leads from the page's folder to the feeds folder.
pub fn index_entry(out: &mut String, root: &str, e: &EntryView) {
    let a = e.article;
    out.push_str("<article class=\"entry\">\n<h2>");
    open_tag_attr(out, "<a", "href", &format!("{root}{}", SiteView::article_rel(&e.slug)));
    out.push('>');
    text(out, &a.title);
    out.push_str("</a></h2>\n<p class=\"meta\">");
    time(out, &a.date());
    if let Some(source) = a.source_name().map(str::trim).filter(|s| !s.is_empty()) {
        out.push_str(" · ");
        text(out, source);
    }
    if let Some(orig) = e.original {
        out.push_str(" · ");
        external_link(out, orig, "original");
    }
    out.push_str("</p>\n");
    let summary = match a.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => s.to_string(),
        None => excerpt(&a.content.html, EXCERPT_CHARS),
    };
    if !summary.is_empty() {
        out.push_str("<p class=\"summary\">");
        text(out, &summary);
        out.push_str("</p>\n");
    }
    tag_links(out, root, &a.tags);
    out.push_str("</article>\n");
}

/// What an index page lists besides its entries.
pub struct IndexExtras<'a> {
    /// Every tag, sorted (the site index only).
    pub tags: &'a [String],
    /// The number of archive pages (the site index only).
    pub pages: u64,
    /// The number of entries in the log (the site index only).
    pub entries: u64,
}

/// The head of an index page (site or tag), up to the first entry.
pub fn index_head(out: &mut String, site: &SiteView, doc: &DocHead) {
    let root = if doc.dir.is_empty() { "" } else { "../../" };
    let head = PageHead {
        lang: &site.language,
        title: &doc.title,
        feeds_dir: &doc.url_dir,
        description: &site.description,
        canonical: Some(&doc.home),
    };
    page_head(out, site, &head);
    out.push_str("<header>\n");
    if !root.is_empty() {
        open_tag_attr(out, "<p><a", "href", &format!("{root}{INDEX}"));
        out.push('>');
        text(out, &site.title);
        out.push_str("</a></p>\n");
    }
    out.push_str("<h1>");
    text(out, &doc.title);
    out.push_str("</h1>\n");
    if root.is_empty() && !site.description.is_empty() {
        out.push_str("<p>");
        text(out, &site.description);
        out.push_str("</p>\n");
    }
    out.push_str(if doc.archive {
        "<p class=\"meta\">This page for feed readers: "
    } else {
        "<p class=\"meta\">Subscribe: "
    });
    out.push_str("<a href=\"atom.xml\" type=\"application/atom+xml\">Atom</a> · ");
    out.push_str("<a href=\"rss.xml\" type=\"application/rss+xml\">RSS</a> · ");
    out.push_str("<a href=\"feed.json\" type=\"application/feed+json\">JSON Feed</a> · updated ");
    time(out, &doc.updated);
    out.push_str("</p>\n</header>\n<main>\n");
}

/// The foot of an index page: tags, archive pages, footer.
pub fn index_foot(out: &mut String, doc: &DocHead, empty: bool, extras: &IndexExtras) {
    if empty {
        out.push_str("<p>Nothing has been archived yet.</p>\n");
    }
    out.push_str("</main>\n");
    if !extras.tags.is_empty() {
        out.push_str("<nav class=\"tags\">\n<h2>Tags</h2>\n<ul>\n");
        for t in extras.tags {
            open_tag_attr(out, "<li><a", "href", &format!("tags/{}/{INDEX}", path_segment(&tag_dir_name(t))));
            out.push('>');
            text(out, t);
            out.push_str("</a></li>\n");
        }
        out.push_str("</ul>\n</nav>\n");
    }
    if extras.pages > 0 {
        out.push_str("<nav class=\"archive\">\n<h2>Older entries</h2>\n");
        out.push_str(&format!(
            "<p>{} archive {}, newest first; for feed readers each is also an RFC 5005 archive feed (<code>atom.xml</code>, <code>rss.xml</code>, <code>feed.json</code>) in its folder.</p>\n<p class=\"pages\">",
            extras.pages,
            if extras.pages == 1 { "page" } else { "pages" }
        ));
        for k in (1..=extras.pages).rev() {
            out.push_str(&format!("<a href=\"archive/{k}/{INDEX}\">{k}</a> "));
        }
        out.push_str("</p>\n</nav>\n");
    }
    out.push_str("<footer><p>");
    if doc.dir.is_empty() {
        out.push_str(&format!("{} entries in the archive. ", extras.entries));
    }
    out.push_str("Published by feedkeeper.</p></footer>\n</body>\n</html>\n");
}

/// The navigation of archive page `k` of `pages`: the older page (none for the first), the
/// newer one (the front page for the newest), and the front page. Depends only on `k` and
/// whether a newer page exists, so a full page's navigation never changes.
pub fn archive_nav(out: &mut String, k: u64, pages: u64) {
    out.push_str("<nav class=\"pages\">\n<p>");
    if k > 1 {
        out.push_str(&format!("<a href=\"../{}/{INDEX}\" rel=\"prev\">← Older entries (page {})</a> · ", k - 1, k - 1));
    }
    if k < pages {
        out.push_str(&format!("<a href=\"../{}/{INDEX}\" rel=\"next\">Newer entries (page {}) →</a> · ", k + 1, k + 1));
    } else {
        out.push_str(&format!("<a href=\"../../{INDEX}\" rel=\"next\">Newer entries →</a> · "));
    }
    out.push_str(&format!("<a href=\"../../{INDEX}\">Front page</a></p>\n</nav>\n"));
}

/// The "removed upstream" notice: when, and the evidence (what was seen, the status, the
/// URL the request ended at).
pub fn removal_notice(out: &mut String, since: &chrono::DateTime<chrono::Utc>, evidence: Option<&Evidence>) {
    out.push_str(
        "<p class=\"removed\" style=\"border-left:4px solid #b3261e;padding-left:.6rem\"><strong>Removed upstream</strong> (seen ",
    );
    time(out, since);
    out.push(')');
    if let Some(e) = evidence {
        out.push_str(": ");
        text(out, &e.reason);
        if let Some(status) = e.status {
            out.push_str(&format!("; HTTP status {status}"));
        }
        if let Some(url) = &e.final_url {
            out.push_str("; the request ended at <code>");
            text(out, url);
            out.push_str("</code>");
        }
    }
    out.push_str(". The archived copy below is kept.</p>\n");
}

/// What changed between the last two versions: both capture times and hashes, then the
/// word-level diff.
fn changes_section(out: &mut String, c: &Changes) {
    out.push_str(
        "<section class=\"changes\" style=\"border:1px solid #ddd;padding:0 .8rem;margin:1rem 0\">\n<h2>Changed upstream</h2>\n<p class=\"meta\">",
    );
    for (i, v) in [&c.from, &c.to].into_iter().enumerate() {
        out.push_str(if i == 0 { "From version " } else { " to version " });
        out.push_str(&v.version.to_string());
        out.push_str(" (captured ");
        time(out, &v.archived_at);
        out.push_str(", content hash <code>");
        text(out, &v.content_hash);
        out.push_str("</code>)");
    }
    out.push_str(":</p>\n");
    if c.html.is_empty() {
        out.push_str("<p>The text is the same word for word; the markup changed.</p>\n");
    } else {
        out.push_str(&c.html);
    }
    out.push_str("</section>\n");
}

/// One article's page, with the note `refresh` left on it, if any.
pub fn article_page(out: &mut String, site: &SiteView, e: &EntryView, note: Option<&PageNote>) {
    let a = e.article;
    let lang = a.language.as_deref().filter(|l| !l.is_empty()).unwrap_or(&site.language);
    let summary = a.summary.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let title = format!("{} — {}", a.title, site.title);
    let head = PageHead {
        lang,
        title: &title,
        feeds_dir: "",
        description: summary.unwrap_or(""),
        canonical: Some(&e.page_url),
    };
    page_head(out, site, &head);
    out.push_str("<header>\n<p><a href=\"../index.html\">");
    text(out, &site.title);
    out.push_str("</a></p>\n</header>\n<main>\n<article>\n<h1>");
    text(out, &a.title);
    out.push_str("</h1>\n<p class=\"meta\">");
    let mut sep = "";
    if let Some(p) = &a.published {
        out.push_str("Published ");
        time(out, p);
        sep = " · ";
    }
    if a.published.is_none_or(|p| p != a.updated) {
        out.push_str(sep);
        out.push_str("Updated ");
        time(out, &a.updated);
        sep = " · ";
    }
    let authors: Vec<&str> = a.authors.iter().map(|p| p.name.trim()).filter(|n| !n.is_empty()).collect();
    if !authors.is_empty() {
        out.push_str(sep);
        out.push_str("By ");
        text(out, &authors.join(", "));
        sep = " · ";
    }
    if let Some(src) = a.source.as_ref().filter(|s| !s.name.trim().is_empty()) {
        out.push_str(sep);
        out.push_str("Source: ");
        match e.source_site_url.or(e.source_feed_url) {
            Some(url) => external_link(out, url, src.name.trim()),
            None => text(out, src.name.trim()),
        }
    }
    out.push_str("</p>\n");
    if let Some(n) = note {
        match (n.state, &n.changes) {
            (ArticleState::Removed, _) => removal_notice(out, &n.since, n.evidence.as_ref()),
            (ArticleState::Changed, Some(c)) => changes_section(out, c),
            _ => {}
        }
    }
    if let Some(s) = summary {
        out.push_str("<p><strong>");
        text(out, s);
        out.push_str("</strong></p>\n");
    }
    out.push_str("<div class=\"content\">\n");
    push_clean(out, &images_as_links(&a.content.html));
    out.push_str("\n</div>\n");
    tag_links(out, "../", &a.tags);
    if let Some(orig) = e.original {
        out.push_str("<p>Original: ");
        external_link(out, orig, orig);
        out.push_str("</p>\n");
    }
    out.push_str("</article>\n<aside class=\"provenance\">\n<h2>Provenance</h2>\n<dl>\n<dt>Entry id</dt><dd><code>");
    text(out, a.id.as_str());
    out.push_str("</code></dd>\n<dt>Archived</dt><dd>");
    open_tag_attr(out, "<time", "datetime", &date::rfc3339(&a.archived_at));
    out.push('>');
    text(out, &date::rfc3339(&a.archived_at));
    out.push_str("</time> (version ");
    out.push_str(&e.version.to_string());
    out.push_str(")</dd>\n<dt>Origin</dt><dd>");
    match &a.origin {
        Origin::Import { file } => {
            out.push_str("Imported from the file <code>");
            text(out, file);
            out.push_str("</code>");
        }
        Origin::Upstream => {
            out.push_str("Found in the upstream feed ");
            match (a.source.as_ref(), e.source_feed_url) {
                (Some(src), Some(url)) => external_link(out, url, if src.name.is_empty() { url } else { &src.name }),
                (Some(src), None) => text(out, &src.name),
                (None, _) => out.push_str("(unknown)"),
            }
            if let Some(id) = a.source.as_ref().and_then(|s| s.upstream_id.as_deref()) {
                out.push_str(", item <code>");
                text(out, id);
                out.push_str("</code>");
            }
        }
        Origin::Manual => out.push_str("Added by hand"),
    }
    out.push_str("</dd>\n<dt>Content hash (BLAKE3)</dt><dd><code>");
    text(out, &a.content_hash);
    out.push_str("</code></dd>\n");
    if let Some(c) = &a.capture {
        out.push_str("<dt>Capture</dt><dd>WARC record <code>");
        text(out, &c.record_id);
        out.push_str("</code> in <code>");
        text(out, &c.file);
        out.push_str(&format!("</code> at offset {} ({} bytes)</dd>\n", c.offset, c.length));
    }
    out.push_str("<dt>Permanent link</dt><dd>");
    open_tag_attr(out, "<a", "href", &e.page_url);
    out.push('>');
    text(out, &e.page_url);
    out.push_str(
        "</a></dd>\n</dl>\n</aside>\n</main>\n<footer><p>Archived by feedkeeper.</p></footer>\n</body>\n</html>\n",
    );
}
