//! Markdown articles: the head (title heading, standfirst, byline, date) read from the
//! first blocks with the same rules as plain text, the rest rendered with `pulldown-cmark`
//! and sanitized by [`crate::content::sanitize`].
//!
//! Pure: Markdown in, sanitized HTML and text out.

use pulldown_cmark::{Event, Options, Parser, Tag};
use url::Url;

use super::head::{self, Head, Known, Shape, Unit};
use crate::article::collapse_whitespace;
use crate::content;

/// A Markdown article: its head and its body in both forms.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct MarkdownArticle {
    pub head: Head,
    /// Sanitized HTML of the body.
    pub html: String,
    /// Plain text of the body (paragraphs separated by blank lines).
    pub text: String,
}

/// How many leading blocks are looked at for the head.
const HEAD_BLOCKS: usize = 24;

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH
}

/// Reads a Markdown article. What front matter already says (`known`) is not guessed;
/// `base` (the article's URL, when known) makes relative links absolute. When `base` is
/// `None`, a URL line in the head is used.
pub(super) fn read(md: &str, known: Known<'_>, base: Option<&Url>) -> MarkdownArticle {
    let blocks = blocks(md);
    let units: Vec<Unit> = blocks.iter().map(|(_, u)| u.clone()).collect();
    let mut head = head::read_head(&units, known);
    let lead = head.lead.map_or("", |i| &md[blocks[i].0.clone()]);
    let rest = blocks.get(head.body_start).map_or("", |(span, _)| &md[span.start..]);
    let body_md = if lead.is_empty() { rest.to_string() } else { format!("{lead}\n\n{rest}") };
    if head.published.is_none() {
        let firsts: Vec<&str> =
            units[head.body_start..].iter().filter(|u| u.shape == Shape::Paragraph).map(|u| u.text.as_str()).collect();
        head.published = super::plain::first_dateline(&firsts);
    }
    let head_base = head.url.as_deref().and_then(|u| Url::parse(u).ok());
    let html = content::sanitize(&render(&body_md), base.or(head_base.as_ref()));
    let text = content::html_to_text(&html);
    MarkdownArticle { head, html: html.trim().to_string(), text }
}

fn render(md: &str) -> String {
    let mut html = String::with_capacity(md.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(md, options()));
    html
}

/// The leading top-level blocks (separated by blank lines) with their byte spans, each
/// read as a unit: its shape from the first Markdown element, its plain text. Stops at the
/// first fenced code block (blank lines inside it do not separate blocks).
fn blocks(md: &str) -> Vec<(std::ops::Range<usize>, Unit)> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut start: Option<usize> = None;
    let mut pos = 0;
    for line in md.split_inclusive('\n') {
        if spans.len() >= HEAD_BLOCKS {
            break;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() {
            if let Some(s) = start.take() {
                spans.push((s, pos));
            }
        } else {
            let s = *start.get_or_insert(pos);
            if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                spans.push((s, md.len()));
                start = None;
                pos = md.len();
                break;
            }
        }
        pos += line.len();
    }
    if let Some(s) = start {
        spans.push((s, pos));
    }
    spans.into_iter().map(|(s, e)| (s..e, unit(&md[s..e]))).collect()
}

fn unit(block: &str) -> Unit {
    let shape = Parser::new_ext(block, options())
        .find_map(|event| match event {
            Event::Start(Tag::Heading { .. }) => Some(Shape::Heading),
            Event::Start(Tag::Paragraph) => Some(Shape::Paragraph),
            Event::Start(Tag::BlockQuote(_)) => Some(Shape::Quote),
            Event::Start(_) => Some(Shape::Other),
            _ => None,
        })
        .unwrap_or(Shape::Other);
    let text = collapse_whitespace(&content::html_to_text(&render(block)));
    Unit { text, shape }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_title_byline_and_body() {
        let md = "# Iran destroying mass graves\n\n*Authorities are bulldozing sites, a report says*\n\n**By Jane Doe**\n\nLONDON, April 30, 2018 — Iranian authorities are destroying [sites](/report).\n\n## Background\n\n- one\n- two\n";
        let base = Url::parse("https://example.org/news/a").expect("url");
        let a = read(md, Known::default(), Some(&base));
        assert_eq!(a.head.title.as_deref(), Some("Iran destroying mass graves"));
        assert_eq!(a.head.summary.as_deref(), Some("Authorities are bulldozing sites, a report says"));
        assert_eq!(a.head.authors, vec!["Jane Doe"]);
        assert!(a.head.published.is_some());
        assert!(a.html.starts_with("<p>LONDON"), "{}", a.html);
        assert!(a.html.contains(r#"href="https://example.org/report""#), "{}", a.html);
        assert!(a.html.contains("<h2>Background</h2>") && a.html.contains("<li>two</li>"), "{}", a.html);
        assert!(!a.html.contains("Iran destroying mass graves"), "title heading left the body");
        assert!(a.text.starts_with("LONDON, April 30, 2018"), "{}", a.text);
    }

    #[test]
    fn fenced_code_is_not_split() {
        let md = "Title of the note\n\n```\na\n\nb\n```\n\nAfter.";
        let a = read(md, Known::default(), None);
        assert_eq!(a.head.title.as_deref(), Some("Title of the note"));
        assert!(a.html.contains("<pre><code>a\n\nb\n</code></pre>"), "{}", a.html);
        assert!(a.html.contains("After."));
    }

    #[test]
    fn known_title_heading_is_dropped() {
        let a = read(
            "# The Title Here Now\n\nBody text.",
            Known { title: Some("The title here now"), summary: None },
            None,
        );
        assert_eq!(a.html, "<p>Body text.</p>");
    }
}
