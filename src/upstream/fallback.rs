//! The last resort for a feed the XML reader could not walk: parse the document as HTML
//! (`scraper`, which never fails) and read the items out of every `<item>` and `<entry>`
//! element, the way Python's feedparser falls back to its loose parser.
//!
//! Only called when the XML reader found fewer items than the document has item tags. It
//! reads; it does not judge or store.

use scraper::{ElementRef, Html, HtmlTreeSink, Node, Selector};
use url::Url;

use super::draft::{ItemDraft, resolve};
use crate::deadline::{Deadline, OutOfTime};

/// How many item/entry start tags the raw document has (a cheap upper bound used to decide
/// whether the XML reader missed items).
pub(crate) fn count_item_tags(doc: &str) -> usize {
    let count = |needle: &str| {
        memchr::memmem::find_iter(doc.as_bytes(), needle.as_bytes())
            .filter(|&at| {
                matches!(doc.as_bytes().get(at + needle.len()), Some(b'>' | b' ' | b'\n' | b'\r' | b'\t' | b'/'))
            })
            .count()
    };
    count("<item") + count("<entry") + count("<ITEM") + count("<ENTRY")
}

/// `doc` parsed as HTML (nesting capped first, as for pages: the HTML parser slows with the
/// square of the depth), a chunk at a time within `deadline`.
fn parse(doc: &str, deadline: &Deadline) -> Result<Html, OutOfTime> {
    crate::deadline::parse_html(
        &crate::extract::cap_nesting(doc),
        HtmlTreeSink::new(Html::new_document()),
        true,
        deadline,
    )
}

/// The channel's title and link, when the XML reader found none.
pub(crate) fn read_channel(doc: &str, deadline: &Deadline) -> Result<(Option<String>, Option<String>), OutOfTime> {
    let html = parse(doc, deadline)?;
    let (Ok(title), Ok(link)) = (Selector::parse("channel > title, feed > title"), Selector::parse("channel > link"))
    else {
        return Ok((None, None));
    };
    let t = html.select(&title).next().map(|t| crate::content::escape(&t.text().collect::<String>()));
    let l = html.select(&link).next().and_then(|l| {
        l.value()
            .attr("href")
            .map(str::to_string)
            .or_else(|| l.next_sibling().and_then(|n| n.value().as_text().map(|t| url_text(t))))
    });
    Ok((t, l))
}

/// Reads items out of a document parsed as HTML, within `deadline`.
pub(crate) fn read(doc: &str, base: Option<&Url>, deadline: &Deadline) -> Result<Vec<ItemDraft>, OutOfTime> {
    // HTML has no CDATA: turn each section into escaped text first.
    let html = if doc.contains("<![CDATA[") {
        let mut out = String::with_capacity(doc.len() + doc.len() / 8);
        let mut rest = doc;
        while let Some(at) = rest.find("<![CDATA[") {
            out.push_str(&rest[..at]);
            let body = &rest[at + 9..];
            let end = body.find("]]>").unwrap_or(body.len());
            crate::content::escape_into(&mut out, &body[..end]);
            rest = body.get(end + 3..).unwrap_or("");
        }
        out.push_str(rest);
        parse(&out, deadline)?
    } else {
        parse(doc, deadline)?
    };
    let Ok(sel) = Selector::parse("item, entry") else { return Ok(Vec::new()) };
    let tail = doc.trim_end();
    let mut items = Vec::new();
    for (n, el) in html.select(&sel).enumerate() {
        deadline.check_every(n, 64)?;
        let item = read_item(el, base, tail);
        if !item.is_empty() {
            items.push(item);
        }
    }
    Ok(items)
}

/// `doc_end` is the document without trailing space: a link text it ends with was cut.
fn read_item(el: ElementRef<'_>, base: Option<&Url>, doc_end: &str) -> ItemDraft {
    let mut item = ItemDraft::default();
    let children: Vec<_> = el.children().collect();
    for (i, child) in children.iter().enumerate() {
        let Some(c) = ElementRef::wrap(*child) else { continue };
        let name = c.value().name();
        match name {
            "title" => {
                item.title.get_or_insert_with(|| body(c));
            }
            "link" => {
                let href = match c.value().attr("href") {
                    Some(h) => Some(h.to_string()),
                    // `<link>` is void in HTML: its URL is the text after it.
                    None => children
                        .get(i + 1)
                        .and_then(|n| n.value().as_text())
                        .filter(|t| !doc_end.ends_with(t.trim_end()))
                        .map(|t| url_text(t)),
                };
                let rel = c.value().attr("rel").unwrap_or("alternate");
                if let (Some(h), "alternate", None) = (href.as_deref(), rel, item.link.as_ref()) {
                    item.link = resolve(h, base);
                }
            }
            "guid" | "id" => {
                let v = body(c).trim().to_string();
                if v.starts_with("http://") || v.starts_with("https://") {
                    item.link_fallback = resolve(&v, base);
                }
                if !v.is_empty() {
                    item.id.get_or_insert(v);
                }
            }
            "description" | "summary" => {
                item.summary_html.get_or_insert_with(|| body(c));
            }
            "content:encoded" | "content" => {
                item.content_html.get_or_insert_with(|| body(c));
            }
            "pubdate" | "published" | "dc:date" | "issued" if item.published.is_none() => {
                item.published = crate::date::parse(&body(c));
            }
            "updated" | "modified" if item.updated.is_none() => {
                item.updated = crate::date::parse(&body(c));
            }
            "dc:creator" | "author" => {
                let a = super::unescape::html_to_plain(&body(c));
                if !a.is_empty() {
                    item.authors.push(a);
                }
            }
            "category" | "dc:subject" => {
                let v = c.value().attr("term").map_or_else(|| body(c), str::to_string);
                item.categories.push(super::unescape::html_to_plain(&v));
            }
            _ => {}
        }
    }
    item
}

/// The URL in the text after a void `<link>`: up to the first space or `<`.
fn url_text(t: &str) -> String {
    t.trim_start().split(|c: char| c.is_whitespace() || c == '<').next().unwrap_or_default().to_string()
}

/// The element's body as feed text: text nodes (CDATA became text) and child markup as HTML.
fn body(el: ElementRef<'_>) -> String {
    let mut out = String::new();
    for child in el.children() {
        match child.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(_) => {
                if let Some(e) = ElementRef::wrap(child) {
                    out.push_str(&e.html());
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_items_from_html_soup() {
        let doc = "<html><body><rss><channel><item><title>One &amp; two</title><link>http://e.org/1</link><description><![CDATA[<p>x</p>]]></description><pubDate>14 Sep 2018</pubDate></item><item><title>Two</title><link>/2</link></item>";
        let base = Url::parse("http://e.org/feed").expect("url");
        let items = read(doc, Some(&base), &Deadline::none()).expect("no deadline");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].link.as_deref(), Some("http://e.org/1"));
        assert_eq!(items[0].summary_html.as_deref(), Some("<p>x</p>"));
        assert!(items[0].published.is_some());
        assert_eq!(items[1].link.as_deref(), Some("http://e.org/2"));
        assert_eq!(count_item_tags(doc), 2);
    }

    #[test]
    fn thousands_of_nested_unclosed_tags_are_read_without_a_hang() {
        let doc = format!(
            "<rss><channel><item><title>Deep</title><link>http://e.org/1</link>{}</item></channel></rss>",
            "<content>x".repeat(50_000)
        );
        // Parsed as is, this takes the HTML parser minutes (its cost grows with the square
        // of the depth).
        let started = std::time::Instant::now();
        let items = read(&doc, None, &Deadline::none()).expect("no deadline");
        // A generous bound: what is tested is that this does not hang.
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "{:?}", started.elapsed());
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].link.as_deref(), Some("http://e.org/1"));
    }
}
