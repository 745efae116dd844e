//! Pure main-text extraction: page HTML (already decoded) plus the page URL in, a readable
//! article out — title, byline, raw dates, summary, site, language, canonical URL, tags, the
//! main content as clean HTML and as plain text.
//!
//! It is used for article pages fetched for upstream items, for `add URL`, and for saved
//! HTML pages imported from disk. It must not touch the network, the archive or the clock,
//! and it never panics on bad input: a page without an article is an [`ExtractError`].
//!
//! How it works: the page is parsed once; metadata is read from `<meta>`, JSON-LD and the
//! page structure (`meta`); page debris (navigation, share bars, ad slots, newsletter and
//! cookie boxes, related/most-read lists, comments, author bios) is pruned by a small,
//! documented vocabulary (`debris`); `dom_smoothie` (a Readability port) picks the main
//! content; the result is pruned again, rebuilt from a whitelist of elements (`blocks`),
//! and tidied line by line (`lines`: ad-size lines, repeated captions and standfirsts,
//! "Reported by" and dateline lines, related-link lines, trailing link lists).
//!
//! Decisions callers can rely on:
//! - Dates are the raw strings found; the `date` module normalises them.
//! - A page without an article (a homepage of teasers, an empty shell, a redirect stub) is
//!   [`ExtractError::NoContent`], never an empty `Ok`: fewer than 100 characters outside
//!   links, or more link text than other text, once boxes of teasers (runs of linked
//!   headlines) are removed — the box goes, never the article around it.
//! - Figure captions and photo credits are not the article's text: a caption stays in the
//!   HTML under its picture (credits removed) and is left out of `text`.
//! - A standfirst printed in the article is kept once in `text` and also given as `summary`
//!   when the page declares no description.
//! - Without a page URL or `<base href>`, relative links stay relative; links that are not
//!   http(s)/mailto/tel/ftp lose their `href` (their text stays); images must be http(s)
//!   (or relative when there is no base), so `data:` and `file:` images are dropped.
//! - Work is capped: pages over [`MAX_INPUT_BYTES`] lose scripts/styles/comments and are
//!   cut; nesting deeper than 400 elements loses its tags before parsing (text kept) and is
//!   flattened to text after. [`extract_within`] also stops at a [`Deadline`] (checked
//!   between phases and between chunks of the HTML parse; Readability, which cannot be
//!   interrupted, starts only with room for it) with [`ExtractError::OutOfTime`].

mod blocks;
mod charset;
pub(crate) mod cues;
mod debris;
mod jsonld;
mod lines;
mod meta;

pub use charset::decode_page;

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};

use dom_query::Document;
use url::Url;

use crate::deadline::{Deadline, OutOfTime};

/// Pages larger than this lose their scripts, styles and comments (JSON-LD is kept), and
/// are then cut at a character boundary if still too large. Article text sits in the first
/// megabytes of every real page; the rest of a huge page is scripts, inline images and
/// comment threads.
pub const MAX_INPUT_BYTES: usize = 4 * 1024 * 1024;

/// Elements nested deeper than this are reduced to their text before Readability runs
/// (its recursion would overflow a thread's stack on pages nested tens of thousands deep;
/// real pages stay under a hundred levels).
const MAX_DOM_DEPTH: usize = 400;

/// Readability starts only when at least this many times the time spent so far is left
/// before the page's deadline.
const READABILITY_ROOM: u32 = 5;

/// Fewer non-link characters than this in the main content means "no article here".
const MIN_TEXT_CHARS: usize = 100;

/// The readable article found in one page.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Extracted {
    /// Best title: `og:title` / JSON-LD headline / `<h1>` / `<title>`, minus " | Site" suffixes.
    pub title: Option<String>,
    /// Author(s) as shown, without a leading "By" / "Reported by" / "Par".
    pub byline: Option<String>,
    /// Raw publication date string as found (meta, JSON-LD, `<time datetime>`, dateline).
    pub published: Option<String>,
    /// Raw modification date string as found.
    pub updated: Option<String>,
    /// Meta description / `og:description` / standfirst, as plain text.
    pub summary: Option<String>,
    /// The site's name (`og:site_name`, JSON-LD publisher, or the title's site suffix).
    pub site_name: Option<String>,
    /// Language tag (`<html lang>`, `og:locale`, …) with `_` written as `-`.
    pub language: Option<String>,
    /// Absolute canonical URL (`<link rel=canonical>`, `og:url`, JSON-LD url).
    pub canonical_url: Option<String>,
    /// `article:tag` / JSON-LD keywords / keywords meta / `rel=tag` links, in page order.
    pub tags: Vec<String>,
    /// Main content as clean HTML: `p`, `h2`–`h6`, `blockquote`, `ul`/`ol`/`li`,
    /// `figure`/`img`/`figcaption`, `a`, `em`, `strong`, `br`, `pre`, `code`. No attributes
    /// other than `href`, `src` and `alt`; URLs absolute where a base is known.
    pub html: String,
    /// Plain text of the main content: one paragraph per block, separated by one blank
    /// line, whitespace collapsed (a `<br>` becomes a single newline).
    pub text: String,
}

/// Why a page yielded no article.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// The page has no main text: a homepage of links, an empty shell, an error page.
    #[error("no readable content found in {page}: {reason}")]
    NoContent { page: String, reason: String },
    /// The underlying Readability implementation failed or panicked.
    #[error("extraction failed on {page}: {message}")]
    Failed { page: String, message: String },
    /// The page took longer than the time budget it was given.
    #[error("extraction of {page} {source}")]
    OutOfTime {
        page: String,
        #[source]
        source: OutOfTime,
    },
}

/// Extracts the readable article from `html`, resolving links against `url` (and the
/// page's `<base href>`). `url` is `None` for a saved page whose address is unknown.
pub fn extract(html: &str, url: Option<&Url>) -> Result<Extracted, ExtractError> {
    extract_within(html, url, &Deadline::none())
}

/// [`extract`] within a time budget: past `deadline` the work stops (between its phases,
/// and between chunks of the HTML parse and turns of the extractor's own loops) with
/// [`ExtractError::OutOfTime`].
pub fn extract_within(html: &str, url: Option<&Url>, deadline: &Deadline) -> Result<Extracted, ExtractError> {
    let page = url.map_or_else(|| "(page without URL)".to_string(), |u| u.to_string());
    let run = || {
        extract_inner(html, url, &page, deadline).map_err(|e| match e {
            Stop::Failed(e) => e,
            Stop::OutOfTime(source) => ExtractError::OutOfTime { page: page.clone(), source },
        })
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(result) => result,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic in the HTML parser".to_string());
            tracing::warn!(page = %page, %message, "extraction panicked");
            Err(ExtractError::Failed { page, message: format!("panic: {message}") })
        }
    }
}

/// Why [`extract_inner`] stopped short of an article.
enum Stop {
    Failed(ExtractError),
    OutOfTime(OutOfTime),
}

impl From<ExtractError> for Stop {
    fn from(e: ExtractError) -> Stop {
        Stop::Failed(e)
    }
}

impl From<OutOfTime> for Stop {
    fn from(e: OutOfTime) -> Stop {
        Stop::OutOfTime(e)
    }
}

fn extract_inner(html: &str, url: Option<&Url>, page: &str, deadline: &Deadline) -> Result<Extracted, Stop> {
    let html = cap_input(html, page);
    let html = cap_nesting(&html);
    let doc = crate::deadline::parse_html(&html, Document::default(), false, deadline)?;
    flatten_deep(&doc);
    let base = meta::document_base(&doc, url);

    let mut found = meta::from_head(&doc, url, base.as_ref());
    deadline.check()?;
    debris::prune_page(&doc);
    deadline.check()?;
    meta::from_body(&doc, &mut found);
    deadline.check()?;
    let lead_figure = blocks::lead_figure(&doc, base.as_ref());
    let semantic = blocks::semantic_article(&doc);
    deadline.check()?;
    // Links are resolved by `blocks` against `base`; keep Readability away from `<base>`.
    doc.select("base").remove();

    let config = dom_smoothie::Config { keep_classes: true, ..Default::default() };
    // Readability is the one phase that cannot be interrupted: it starts only with room for
    // it. Its cost grows like the parse's; on pathological pages it took up to four times
    // the work before it.
    deadline.room_for(READABILITY_ROOM)?;
    let mut readability = dom_smoothie::Readability::with_document(doc, None, Some(config))
        .map_err(|e| ExtractError::Failed { page: page.to_string(), message: e.to_string() })?;
    let article = match readability.parse() {
        Ok(article) => article,
        Err(dom_smoothie::ReadabilityError::GrabFailed) => {
            return Err(ExtractError::NoContent {
                page: page.to_string(),
                reason: "no block of text stands out as an article".to_string(),
            }
            .into());
        }
        Err(e) => {
            return Err(ExtractError::Failed { page: page.to_string(), message: e.to_string() }.into());
        }
    };
    deadline.check()?;
    found.fallback_byline(article.byline.as_deref());

    // Readability leaves the article in its document: walk it there, no re-parse
    let page_node = readability.doc.select("#readability-page-1").nodes().first().copied();
    let content_html;
    let content_doc;
    let root = match page_node {
        Some(node) => node,
        None => {
            content_html = article.content.to_string();
            content_doc = Document::fragment(content_html.as_str());
            content_doc.root()
        }
    };
    debris::prune_content(&root);
    let mut body = blocks::from_dom(&root, base.as_ref());
    deadline.check()?;
    if let Some(article_html) = semantic {
        let article = Document::fragment(article_html);
        debris::prune_content(&article.root());
        let alt = blocks::from_dom(&article.root(), base.as_ref());
        if blocks::overshoots(&body, &alt) {
            tracing::debug!(page, "readability took in more than the page's <article>; using it");
            body = alt;
        }
    }
    deadline.check()?;
    let hints = lines::tidy(&mut body, &found);
    found.absorb(hints);
    if let Some(figure) = lead_figure
        && !body.iter().any(blocks::Block::has_images)
    {
        let caption = figure.text();
        if caption.is_empty() || !blocks::to_text(&body).contains(&caption) {
            body.insert(0, figure);
        }
    }

    let stats = blocks::stats(&body);
    if let Some(reason) = not_an_article(&stats) {
        return Err(ExtractError::NoContent { page: page.to_string(), reason }.into());
    }

    Ok(Extracted {
        title: found.title,
        byline: found.byline,
        published: found.published,
        updated: found.updated,
        summary: found.summary,
        site_name: found.site_name,
        language: found.language,
        canonical_url: found.canonical_url,
        tags: found.tags,
        html: blocks::to_html(&body),
        text: blocks::to_text(&body),
    })
}

/// Brings `html` under [`MAX_INPUT_BYTES`]: first without scripts, styles and comments,
/// then cut at a character boundary.
fn cap_input<'a>(html: &'a str, page: &str) -> Cow<'a, str> {
    if html.len() <= MAX_INPUT_BYTES {
        return Cow::Borrowed(html);
    }
    let mut lean = strip_heavy(html);
    if lean.len() > MAX_INPUT_BYTES {
        let mut end = MAX_INPUT_BYTES;
        while !lean.is_char_boundary(end) {
            end -= 1;
        }
        lean.truncate(end);
    }
    tracing::debug!(page, bytes = html.len(), kept = lean.len(), "large page reduced before extraction");
    Cow::Owned(lean)
}

/// `html` without `<script>` (except JSON-LD), `<style>` and comments.
fn strip_heavy(html: &str) -> String {
    let lower = html.to_ascii_lowercase(); // same byte offsets as `html`
    let mut out = String::with_capacity(html.len() / 2);
    let mut copied = 0;
    let mut i = 0;
    while let Some(off) = lower[i..].find('<') {
        let at = i + off;
        let rest = &lower[at..];
        let element = ["script", "style"].into_iter().find(|name| {
            rest[1..].starts_with(name)
                && rest[1 + name.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_whitespace() || c == '>' || c == '/')
        });
        let end = if rest.starts_with("<!--") {
            lower[at + 4..].find("-->").map_or(lower.len(), |e| at + 4 + e + 3)
        } else if let Some(name) = element {
            let open_end = lower[at..].find('>').map_or(lower.len(), |e| at + e + 1);
            let close = format!("</{name}");
            let end = lower[open_end..].find(&close).map_or(lower.len(), |e| {
                let c = open_end + e;
                lower[c..].find('>').map_or(lower.len(), |g| c + g + 1)
            });
            if lower[at..open_end].contains("ld+json") {
                i = end;
                continue;
            }
            end
        } else {
            i = at + 1;
            continue;
        };
        out.push_str(&html[copied..at]);
        copied = end;
        i = end;
    }
    out.push_str(&html[copied..]);
    out
}

/// `html` without the start tags (and their end tags) of elements that would open deeper
/// than [`MAX_DOM_DEPTH`]; their text stays in the element around them. The HTML parser
/// checks its whole stack of open elements at every tag, so a page nested 100,000 deep
/// took minutes to parse; this pass is linear. Elements whose end tag may be left out
/// (`p`, `li`, table cells, …), void elements and the bodies of raw-text elements are not
/// counted, so real pages that omit those end tags are never touched.
pub(crate) fn cap_nesting(html: &str) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut depth = 0usize;
    // Names of the start tags dropped and not yet closed, with how many are open.
    let mut dropped: Vec<(String, usize)> = Vec::new();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &bytes[i..]) {
        let at = i + off;
        let rest = &html[at..];
        if rest.starts_with("<!--") {
            i = rest.find("-->").map_or(html.len(), |e| at + e + 3);
            continue;
        }
        let closing = rest.starts_with("</");
        let name_at = at + if closing { 2 } else { 1 };
        let name_len = bytes[name_at..].iter().take_while(|b| b.is_ascii_alphanumeric()).count();
        if name_len == 0 || !bytes[name_at].is_ascii_alphabetic() {
            i = at + 1;
            continue;
        }
        let name = html[name_at..name_at + name_len].to_ascii_lowercase();
        let end = memchr::memchr(b'>', &bytes[name_at..]).map_or(html.len(), |g| name_at + g + 1);
        if !closing && matches!(name.as_str(), "script" | "style" | "textarea" | "title" | "xmp") {
            // Raw text: nothing inside is a tag.
            let close = format!("</{name}");
            i = html[end..].to_ascii_lowercase().find(&close).map_or(html.len(), |c| end + c);
            continue;
        }
        if is_void_or_optional_end(&name) {
            i = end;
            continue;
        }
        let drop = if closing {
            match dropped.iter_mut().find(|(n, _)| *n == name) {
                Some(open) => {
                    open.1 -= 1;
                    dropped.retain(|(_, c)| *c > 0);
                    true
                }
                None => {
                    depth = depth.saturating_sub(1);
                    false
                }
            }
        } else if depth >= MAX_DOM_DEPTH {
            match dropped.iter_mut().find(|(n, _)| *n == name) {
                Some(open) => open.1 += 1,
                None => dropped.push((name, 1)),
            }
            true
        } else {
            depth += 1;
            false
        };
        if drop {
            let buf = out.get_or_insert_with(|| String::with_capacity(html.len()));
            buf.push_str(&html[copied..at]);
            copied = end;
        }
        i = end;
    }
    match out {
        Some(mut buf) => {
            buf.push_str(&html[copied..]);
            Cow::Owned(buf)
        }
        None => Cow::Borrowed(html),
    }
}

/// Void elements and elements whose end tag HTML lets a page leave out.
fn is_void_or_optional_end(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
            | "p"
            | "li"
            | "dt"
            | "dd"
            | "option"
            | "optgroup"
            | "tr"
            | "td"
            | "th"
            | "thead"
            | "tbody"
            | "tfoot"
            | "colgroup"
            | "caption"
            | "rb"
            | "rt"
            | "rp"
            | "rtc"
            | "html"
            | "head"
            | "body"
    )
}

/// Replaces the children of elements at [`MAX_DOM_DEPTH`] with their text.
fn flatten_deep(doc: &Document) {
    let mut stack = vec![(doc.root(), 0usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth >= MAX_DOM_DEPTH && node.is_element() {
            let text = node.text();
            node.set_text(text);
            continue;
        }
        stack.extend(node.children_it(false).map(|c| (c, depth + 1)));
    }
}

/// The verdict on content that survived every cleaning step: `Some(reason)` when it is not
/// an article (too little text, or mostly links). Boxes of teasers (runs of linked
/// headlines) were removed by `lines` before this: a homepage is left with nearly nothing,
/// an article with a "More:" box or a linked headline keeps its text.
fn not_an_article(stats: &blocks::Stats) -> Option<String> {
    let own = stats.chars.saturating_sub(stats.link_chars);
    if own < MIN_TEXT_CHARS {
        return Some(format!("only {own} characters of text outside links (at least {MIN_TEXT_CHARS} needed)"));
    }
    if stats.link_chars * 2 > stats.chars {
        return Some(format!(
            "{} of {} characters are link text: a list of links, not an article",
            stats.link_chars, stats.chars
        ));
    }
    None
}

#[cfg(test)]
mod eval;
#[cfg(test)]
mod tests;
