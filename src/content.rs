//! Article bodies in the two forms the archive keeps: plain text (paragraphs separated by a
//! blank line) and sanitized HTML. Converts one into the other and sanitizes any HTML that
//! enters the archive, so that everything later placed in a feed is already safe.
//!
//! Sanitizing happens once, when content enters the archive (import, fetch, add); the
//! publisher only escapes. Pure functions: no I/O, no clock.

use std::collections::HashSet;

use scraper::{ElementRef, Html, Node};
use url::Url;

/// Escapes text for HTML and XML element content and double-quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 16);
    escape_into(&mut out, s);
    out
}

/// Bytes that need attention when escaping for XML/HTML: markup characters, control
/// characters XML forbids, and 0xEF (the lead byte of U+FFFE/U+FFFF).
const XML_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = !matches!(b, 0x09 | 0x0A | 0x0D);
        b += 1;
    }
    t[b'&' as usize] = true;
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t[b'"' as usize] = true;
    t[0x7F] = false;
    t[0xEF] = true;
    t
};

/// Appends `s` escaped for XML and HTML element content and double-quoted attribute values
/// (`&`, `<`, `>`, `"`; `'` needs no escape there), dropping the characters XML 1.0 forbids.
/// Table-driven: runs of ordinary bytes are copied at once.
pub fn escape_into(out: &mut String, s: &str) {
    rewrite_into(out, s, &XML_SPECIAL, |b| match b {
        b'&' => "&amp;",
        b'<' => "&lt;",
        b'>' => "&gt;",
        b'"' => "&quot;",
        _ => "",
    });
}

/// The loop every escaper here and in the publisher shares: appends `s` to `out`, copying
/// runs of bytes whose `special` entry is false at once. A special ASCII byte becomes
/// `replace(byte)` (an empty string drops it). A special 0xEF, the lead byte of U+FFFE and
/// U+FFFF, drops those two characters (XML 1.0 forbids them) and keeps any other.
pub fn rewrite_into(out: &mut String, s: &str, special: &[bool; 256], replace: impl Fn(u8) -> &'static str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !special[b as usize] {
            i += 1;
            continue;
        }
        let (replacement, width) = if b != 0xEF {
            (replace(b), 1)
        } else if i + 2 < bytes.len() && bytes[i + 1] == 0xBF && matches!(bytes[i + 2], 0xBE | 0xBF) {
            ("", 3)
        } else {
            i += 1;
            continue;
        };
        out.push_str(&s[start..i]);
        out.push_str(replacement);
        i += width;
        start = i;
    }
    out.push_str(&s[start..]);
}

/// Whether XML 1.0 allows this character in a document.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Splits plain text into paragraphs at blank lines; whitespace inside a paragraph collapses.
pub fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            if !current.is_empty() {
                out.push(current.join(" "));
                current.clear();
            }
        } else {
            current.extend(line.split_whitespace());
        }
    }
    if !current.is_empty() {
        out.push(current.join(" "));
    }
    out
}

/// Joins paragraphs into the archive's plain-text form.
pub fn join_paragraphs<S: AsRef<str>>(paras: &[S]) -> String {
    paras.iter().map(AsRef::as_ref).collect::<Vec<_>>().join("\n\n")
}

/// Renders paragraphs of plain text as HTML `<p>` elements, one per line.
pub fn paragraphs_to_html<S: AsRef<str>>(paras: &[S]) -> String {
    let mut out = String::new();
    for (i, p) in paras.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str("<p>");
        escape_into(&mut out, p.as_ref());
        out.push_str("</p>");
    }
    out
}

/// Renders plain text (paragraphs separated by blank lines) as HTML.
pub fn text_to_html(text: &str) -> String {
    paragraphs_to_html(&paragraphs(text))
}

/// Elements whose end starts a new paragraph in the text form.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "aside",
    "main",
    "nav",
    "blockquote",
    "pre",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "figure",
    "figcaption",
    "table",
    "tr",
    "hr",
    "address",
    "details",
    "summary",
];

/// Extracts the plain text of an HTML fragment: one paragraph per block element, `<br>` as a
/// space, scripts and styles dropped, whitespace collapsed.
pub fn html_to_text(html: &str) -> String {
    let doc = Html::parse_fragment(html);
    let mut paras: Vec<String> = Vec::new();
    let mut current = String::new();
    walk_text(doc.root_element(), &mut current, &mut paras);
    flush(&mut current, &mut paras);
    join_paragraphs(&paras)
}

fn flush(current: &mut String, paras: &mut Vec<String>) {
    let p = current.split_whitespace().collect::<Vec<_>>().join(" ");
    if !p.is_empty() {
        paras.push(p);
    }
    current.clear();
}

fn walk_text(el: ElementRef<'_>, current: &mut String, paras: &mut Vec<String>) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => current.push_str(t),
            Node::Element(e) => {
                let name = e.name();
                if matches!(name, "script" | "style" | "noscript" | "template" | "head") {
                    continue;
                }
                if name == "br" {
                    current.push(' ');
                    continue;
                }
                let block = BLOCKS.contains(&name);
                if block {
                    flush(current, paras);
                }
                if let Some(child_el) = ElementRef::wrap(child) {
                    walk_text(child_el, current, paras);
                }
                if block {
                    flush(current, paras);
                }
            }
            _ => {}
        }
    }
}

/// Sanitizes HTML for the archive and for feeds: a conservative allow-list of structural and
/// inline elements, no scripts, styles, frames, forms or event handlers; relative links and
/// image sources made absolute against `base` when given; links get
/// `rel="noopener noreferrer"`. Deterministic for the same input.
pub fn sanitize(html: &str, base: Option<&Url>) -> String {
    let tags: HashSet<&str> = [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "dd",
        "del",
        "details",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "small",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "time",
        "tr",
        "u",
        "ul",
    ]
    .into_iter()
    .collect();
    let mut builder = ammonia::Builder::default();
    builder
        .tags(tags)
        .add_tag_attributes("img", ["src", "alt", "title", "width", "height"])
        .add_tag_attributes("a", ["href", "title"])
        .add_tag_attributes("time", ["datetime"])
        .add_tag_attributes("blockquote", ["cite"])
        .add_tag_attributes("td", ["colspan", "rowspan"])
        .add_tag_attributes("th", ["colspan", "rowspan"])
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer"));
    match base {
        Some(base) => {
            builder.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
        }
        None => {
            builder.url_relative(ammonia::UrlRelative::PassThrough);
        }
    }
    builder.clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn text_round_trips_through_html() {
        let text = "First paragraph\nstill first.\n\n\nSecond & <last>.";
        let html = text_to_html(text);
        assert_eq!(html, "<p>First paragraph still first.</p>\n<p>Second &amp; &lt;last&gt;.</p>");
        assert_eq!(html_to_text(&html), "First paragraph still first.\n\nSecond & <last>.");
    }

    #[test]
    fn html_to_text_reads_blocks_and_drops_scripts() {
        let html =
            "<div><h2>Head</h2>Loose <b>bold</b><br>line<script>alert(1)</script><ul><li>a</li><li>b</li></ul></div>";
        assert_eq!(html_to_text(html), "Head\n\nLoose bold line\n\na\n\nb");
    }

    #[test]
    fn sanitize_strips_danger_and_absolutises() {
        let base = Url::parse("https://example.org/news/story.html").expect("url");
        let html = r#"<p onclick="x()">Hi <a href="../about">about</a><img src="/a.png" onerror="y()"><script>z()</script><iframe src="//evil"></iframe><a href="javascript:alert(1)">j</a></p>"#;
        let clean = sanitize(html, Some(&base));
        assert!(!clean.contains("onclick") && !clean.contains("onerror") && !clean.contains("script"), "{clean}");
        assert!(!clean.contains("iframe") && !clean.contains("javascript:"), "{clean}");
        assert!(clean.contains(r#"href="https://example.org/about""#), "{clean}");
        assert!(clean.contains(r#"src="https://example.org/a.png""#), "{clean}");
        assert!(clean.contains(r#"rel="noopener noreferrer""#), "{clean}");
    }

    proptest! {
        #[test]
        fn escape_leaves_no_markup(s in ".{0,60}") {
            let e = escape(&s);
            prop_assert!(!e.contains('<') && !e.contains('>') && !e.contains('"'));
            prop_assert!(e.chars().all(is_xml_char));
        }

        #[test]
        fn sanitize_is_idempotent(s in "[a-z<>/=\" ]{0,60}") {
            let once = sanitize(&s, None);
            prop_assert_eq!(sanitize(&once, None), once.clone());
        }
    }
}
