//! The content model: a flat list of blocks rebuilt from Readability's output through a
//! whitelist, and its two renderings — clean HTML and plain text.
//!
//! Only `p`, `h2`–`h6`, `blockquote`, `ul`/`ol`/`li`, `figure`/`img`/`figcaption`, `pre`,
//! and inline `a`, `em`, `strong`, `code`, `br` come out; every other element is unwrapped
//! or dropped, every attribute except `href`/`src`/`alt` is dropped, links and image
//! sources are made absolute against the base URL, and `javascript:`-style links lose
//! their `href`. Tables become one paragraph per row, cells joined by " | ".
//! Whitespace is collapsed (a non-breaking space is a space).

use crate::content::escape;
use dom_query::NodeRef;
use url::Url;

use super::debris::{node_words, tag};

/// Inline content: HTML and plain text built side by side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Inline {
    pub html: String,
    pub text: String,
    /// Characters of `text` that are inside links.
    pub link_chars: usize,
}

impl Inline {
    pub(super) fn chars(&self) -> usize {
        self.text.chars().count()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Image {
    pub src: String,
    pub alt: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Block {
    Para(Inline),
    Heading(u8, Inline),
    Quote(Vec<Block>),
    List { ordered: bool, items: Vec<Vec<Block>> },
    Figure { images: Vec<Image>, caption: Option<Inline> },
    Pre(String),
}

impl Block {
    /// The block's plain text, paragraphs joined by a blank line, figure captions included
    /// (for comparing blocks; the article's text leaves captions out, see [`to_text`]).
    pub(super) fn text(&self) -> String {
        let mut out = Vec::new();
        self.texts(&mut out, true);
        out.join("\n\n")
    }

    fn texts(&self, out: &mut Vec<String>, captions: bool) {
        match self {
            Block::Para(i) | Block::Heading(_, i) => push_nonempty(out, &i.text),
            Block::Quote(children) => children.iter().for_each(|b| b.texts(out, captions)),
            Block::List { items, .. } => items.iter().flatten().for_each(|b| b.texts(out, captions)),
            Block::Figure { caption, .. } => {
                if let Some(c) = caption.as_ref().filter(|_| captions) {
                    push_nonempty(out, &c.text);
                }
            }
            Block::Pre(t) => push_nonempty(out, t),
        }
    }

    /// (characters, characters inside links) over the whole block.
    pub(super) fn char_counts(&self) -> (usize, usize) {
        match self {
            Block::Para(i) | Block::Heading(_, i) => (i.chars(), i.link_chars),
            Block::Quote(children) => sum_counts(children.iter()),
            Block::List { items, .. } => sum_counts(items.iter().flatten()),
            Block::Figure { caption, .. } => caption.as_ref().map_or((0, 0), |c| (c.chars(), c.link_chars)),
            Block::Pre(t) => (t.chars().count(), 0),
        }
    }

    pub(super) fn has_images(&self) -> bool {
        match self {
            Block::Figure { images, .. } => !images.is_empty(),
            Block::Para(i) | Block::Heading(_, i) => i.html.contains("<img "),
            Block::Quote(children) => children.iter().any(Block::has_images),
            Block::List { items, .. } => items.iter().flatten().any(Block::has_images),
            Block::Pre(_) => false,
        }
    }
}

fn sum_counts<'a>(blocks: impl Iterator<Item = &'a Block>) -> (usize, usize) {
    blocks.fold((0, 0), |(a, b), blk| {
        let (c, l) = blk.char_counts();
        (a + c, b + l)
    })
}

fn push_nonempty(out: &mut Vec<String>, s: &str) {
    if !s.trim().is_empty() {
        out.push(s.to_string());
    }
}

/// Figures used to decide whether the content is an article.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Stats {
    pub chars: usize,
    pub link_chars: usize,
}

pub(super) fn stats(blocks: &[Block]) -> Stats {
    let (chars, link_chars) = sum_counts(blocks.iter());
    Stats { chars, link_chars }
}

/// The article's plain text. A figure's caption describes a picture, not the story: it
/// stays in the HTML under its image and is left out here.
pub(super) fn to_text(blocks: &[Block]) -> String {
    let mut out = Vec::new();
    for b in blocks {
        b.texts(&mut out, false);
    }
    // A stray tag at either end can leave a space before or after the text.
    out.join("\n\n").trim().to_string()
}

pub(super) fn to_html(blocks: &[Block]) -> String {
    let mut out = String::new();
    for b in blocks {
        write_html(b, &mut out);
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out
}

fn write_html(b: &Block, out: &mut String) {
    match b {
        Block::Para(i) => {
            out.push_str("<p>");
            out.push_str(&i.html);
            out.push_str("</p>");
        }
        Block::Heading(level, i) => {
            out.push_str(&format!("<h{level}>{}</h{level}>", i.html));
        }
        Block::Quote(children) => {
            out.push_str("<blockquote>");
            for c in children {
                write_html(c, out);
            }
            out.push_str("</blockquote>");
        }
        Block::List { ordered, items } => {
            let t = if *ordered { "ol" } else { "ul" };
            out.push_str(&format!("<{t}>"));
            for item in items {
                out.push_str("<li>");
                match item.as_slice() {
                    [Block::Para(i)] => out.push_str(&i.html),
                    blocks => blocks.iter().for_each(|c| write_html(c, out)),
                }
                out.push_str("</li>");
            }
            out.push_str(&format!("</{t}>"));
        }
        Block::Figure { images, caption } => {
            out.push_str("<figure>");
            for img in images {
                write_img(img, out);
            }
            if let Some(c) = caption {
                out.push_str("<figcaption>");
                out.push_str(&c.html);
                out.push_str("</figcaption>");
            }
            out.push_str("</figure>");
        }
        Block::Pre(t) => {
            out.push_str("<pre>");
            crate::content::escape_into(out, t);
            out.push_str("</pre>");
        }
    }
}

fn write_img(img: &Image, out: &mut String) {
    out.push_str(&format!("<img src=\"{}\" alt=\"{}\">", escape(&img.src), escape(&img.alt)));
}

/// Nesting deeper than this is read as plain text (malformed pages nest thousands deep).
const MAX_DEPTH: usize = 128;

const SKIP_TAGS: &[&str] = &[
    "script", "style", "noscript", "template", "iframe", "frame", "object", "embed", "svg", "canvas", "video", "audio",
    "source", "track", "map", "area", "form", "input", "button", "select", "textarea", "option", "label", "nav",
    "aside", "footer", "head", "title", "meta", "link", "base", "hr", "wbr", "dialog", "menu",
];

const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "pre",
    "table",
    "tr",
    "td",
    "th",
    "tbody",
    "thead",
    "tfoot",
    "caption",
    "center",
    "address",
    "details",
    "summary",
    "hgroup",
    "fieldset",
];

fn is_block_tag(name: &str) -> bool {
    BLOCK_TAGS.contains(&name)
}

fn has_block_descendant(node: &NodeRef) -> bool {
    node.descendants_it().any(|d| d.is_element() && is_block_tag(&tag(&d)))
}

/// Builds blocks from the children of `root`.
pub(super) fn from_dom(root: &NodeRef, base: Option<&Url>) -> Vec<Block> {
    let mut b = Builder { base, out: Vec::new(), inline: InlineBuf::default(), in_link: false };
    b.container(root, 0);
    b.flush();
    b.out
}

struct Builder<'u> {
    base: Option<&'u Url>,
    out: Vec<Block>,
    inline: InlineBuf,
    /// Inside a link that wraps whole blocks (a teaser card): all text counts as link text.
    in_link: bool,
}

impl Builder<'_> {
    fn child(&self) -> Builder<'_> {
        Builder { base: self.base, out: Vec::new(), inline: self.buf(), in_link: self.in_link }
    }

    /// A fresh inline buffer that knows whether it sits inside a block-wrapping link.
    fn buf(&self) -> InlineBuf {
        InlineBuf { link_depth: u32::from(self.in_link), ..InlineBuf::default() }
    }

    fn flush(&mut self) {
        let fresh = self.buf();
        if let Some(block) = std::mem::replace(&mut self.inline, fresh).into_block() {
            self.out.push(block);
        }
    }

    fn push(&mut self, block: Block) {
        self.flush();
        self.out.push(block);
    }

    /// Walks the children of a block-level element.
    fn container(&mut self, node: &NodeRef, depth: usize) {
        for child in node.children_it(false) {
            self.node(&child, depth + 1);
        }
    }

    fn sub_blocks(&self, node: &NodeRef, depth: usize) -> Vec<Block> {
        let mut b = self.child();
        b.container(node, depth);
        b.flush();
        b.out
    }

    fn inline_of(&self, node: &NodeRef, depth: usize) -> Inline {
        let mut buf = self.buf();
        for child in node.children_it(false) {
            inline_node(&child, &mut buf, self.base, depth + 1);
        }
        buf.finish()
    }

    fn node(&mut self, node: &NodeRef, depth: usize) {
        if node.is_text() {
            self.inline.push_text(&node.text());
            return;
        }
        if !node.is_element() {
            return;
        }
        let name = tag(node);
        if SKIP_TAGS.contains(&name.as_str()) {
            return;
        }
        if depth > MAX_DEPTH {
            // pathological nesting: keep the words, lose the structure
            self.inline.push_text(&node.text());
            return;
        }
        match name.as_str() {
            "p" if !has_block_descendant(node) => {
                self.flush();
                let mut buf = self.buf();
                for child in node.children_it(false) {
                    inline_node(&child, &mut buf, self.base, depth + 1);
                }
                if let Some(block) = buf.into_block() {
                    self.push(block);
                }
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let level = name[1..].parse::<u8>().unwrap_or(2).max(2);
                let inline = self.inline_of(node, depth);
                self.push(Block::Heading(level, inline));
            }
            "blockquote" => {
                let children = self.sub_blocks(node, depth);
                self.push(Block::Quote(children));
            }
            "ul" | "ol" => {
                let items = node
                    .children_it(false)
                    .filter(|c| c.is_element())
                    .map(|li| {
                        if tag(&li) == "li" {
                            self.sub_blocks(&li, depth + 1)
                        } else {
                            let mut b = self.child();
                            b.node(&li, depth + 1);
                            b.flush();
                            b.out
                        }
                    })
                    .filter(|blocks| !blocks.is_empty())
                    .collect();
                self.push(Block::List { ordered: name == "ol", items });
            }
            "figure" if !has_image(node) => {
                // code listings, pull quotes, embeds: ordinary content in a figure element
                self.flush();
                self.container(node, depth);
                self.flush();
            }
            "figure" => {
                let fig = self.figure(node, depth);
                self.push(fig);
            }
            "img" | "picture" => {
                let Some(img) = image(node, self.base) else {
                    return;
                };
                if self.inline.is_blank() {
                    self.push(Block::Figure { images: vec![img], caption: None });
                } else {
                    self.inline.push_image(&img);
                }
            }
            "pre" => {
                let text: String = node.text().chars().filter(|c| !is_invisible(*c)).collect();
                let text = text.trim_matches('\n').to_string();
                if !text.trim().is_empty() {
                    self.push(Block::Pre(text));
                }
            }
            _ if is_caption_box(node) => {
                let fig = self.figure(node, depth);
                self.push(fig);
            }
            "table" => self.table(node, depth),
            "br" => self.inline.line_break(),
            "dt" | "dd" | "li" | "caption" | "figcaption" | "summary" => {
                self.flush();
                self.container(node, depth);
                self.flush();
            }
            "a" if has_block_descendant(node) => {
                // a card link around a headline and teaser: keep the blocks, count as links
                self.flush();
                let outer = self.in_link;
                self.in_link = outer || node.has_attr("href");
                self.inline = self.buf();
                self.container(node, depth);
                self.flush();
                self.in_link = outer;
                self.inline = self.buf();
            }
            _ if is_block_tag(&name) || has_block_descendant(node) => {
                self.flush();
                self.container(node, depth);
                self.flush();
            }
            _ => inline_node(node, &mut self.inline, self.base, depth),
        }
    }

    /// A `<figure>` or caption box: its images, and as caption its `<figcaption>` or, when
    /// it has none, the rest of its text.
    fn figure(&self, node: &NodeRef, depth: usize) -> Block {
        let images: Vec<Image> = node
            .descendants_it()
            .filter(|d| d.is_element() && matches!(tag(d).as_str(), "img" | "picture"))
            .filter(|d| !(tag(d) == "img" && d.parent().is_some_and(|p| tag(&p) == "picture")))
            .filter_map(|d| image(&d, self.base))
            .collect();
        let captions: Vec<NodeRef> =
            node.descendants_it().filter(|d| d.is_element() && tag(d) == "figcaption").collect();
        let mut caption = self.buf();
        let sources = if captions.is_empty() { vec![*node] } else { captions };
        for source in sources {
            caption.line_break();
            let mut stack: Vec<NodeRef> = source.children_it(true).collect();
            while let Some(n) = stack.pop() {
                if n.is_text() {
                    caption.push_text(&n.text());
                    continue;
                }
                if !n.is_element() {
                    continue;
                }
                let name = tag(&n);
                if SKIP_TAGS.contains(&name.as_str()) || matches!(name.as_str(), "img" | "picture") || is_credit(&n) {
                    continue;
                }
                if is_block_tag(&name) || name == "br" {
                    caption.line_break();
                    stack.extend(n.children_it(true));
                    continue;
                }
                if has_image(&n) {
                    // a link around the picture: the picture is already taken
                    stack.extend(n.children_it(true));
                    continue;
                }
                inline_node(&n, &mut caption, self.base, depth + 1);
            }
        }
        let caption = caption.finish();
        Block::Figure { images, caption: (!caption.text.is_empty()).then_some(caption) }
    }

    fn table(&mut self, node: &NodeRef, depth: usize) {
        self.flush();
        let rows: Vec<NodeRef> = node
            .descendants_it()
            .filter(|d| d.is_element() && tag(d) == "tr")
            .filter(|tr| {
                // rows of this table, not of a nested one
                tr.ancestors_it(None).find(|a| a.is_element() && tag(a) == "table").is_some_and(|t| t.id == node.id)
            })
            .collect();
        for row in rows {
            let cells: Vec<NodeRef> =
                row.children_it(false).filter(|c| c.is_element() && matches!(tag(c).as_str(), "td" | "th")).collect();
            if cells.iter().any(has_block_descendant) {
                for cell in &cells {
                    self.container(cell, depth + 1);
                    self.flush();
                }
                continue;
            }
            let parts: Vec<Inline> =
                cells.iter().map(|cell| self.inline_of(cell, depth + 1)).filter(|i| !i.text.is_empty()).collect();
            let inline = Inline {
                html: parts.iter().map(|i| i.html.as_str()).collect::<Vec<_>>().join(" | "),
                text: parts.iter().map(|i| i.text.as_str()).collect::<Vec<_>>().join(" | "),
                link_chars: parts.iter().map(|i| i.link_chars).sum(),
            };
            if !inline.text.is_empty() {
                self.out.push(Block::Para(inline));
            }
        }
    }
}

/// The page's own article container, as HTML: the single `[itemprop=articleBody]`, else
/// the largest top-level `<article>` when it clearly dominates the others. Used to check
/// whether Readability took in neighbouring teaser lists (see [`overshoots`]).
pub(super) fn semantic_article(doc: &dom_query::Document) -> Option<String> {
    let bodies = doc.select("[itemprop~=articleBody]");
    if bodies.length() == 1 {
        return bodies.nodes().first().map(|n| n.html().to_string());
    }
    let mut articles: Vec<(usize, NodeRef)> = doc
        .select("article")
        .nodes()
        .iter()
        .filter(|a| !a.ancestors_it(None).any(|p| tag(&p) == "article"))
        .map(|a| (a.text().trim().chars().count(), *a))
        .collect();
    articles.sort_by_key(|a| std::cmp::Reverse(a.0));
    match articles.as_slice() {
        [(_, only)] => Some(only.html().to_string()),
        [(first, node), (second, _), ..] if *first >= second * 2 => Some(node.html().to_string()),
        _ => None,
    }
}

/// True when Readability's blocks contain the article container's text and a lot more
/// (a sidebar of teasers next to a short story): the container is then the better answer.
pub(super) fn overshoots(readability: &[Block], article: &[Block]) -> bool {
    let r_text = to_text(readability);
    let a_text = to_text(article);
    let (r_len, a_len) = (r_text.chars().count(), a_text.chars().count());
    if a_len < 140 || r_len <= a_len * 13 / 10 + 200 {
        return false;
    }
    // headings are left out: Readability drops the one that repeats the title
    let paragraphs: Vec<&str> = article
        .iter()
        .filter_map(|b| match b {
            Block::Para(i) if i.text.chars().count() >= 40 => Some(i.text.as_str()),
            _ => None,
        })
        .collect();
    let found = paragraphs.iter().filter(|p| r_text.contains(*p)).count();
    !paragraphs.is_empty() && found * 10 >= paragraphs.len() * 8
}

/// The page's lead image: a figure (or a featured/hero image) after the first `<h1>` and
/// before the first long paragraph. Readability often leaves it out; the caller puts it
/// back when the content has no image at all.
pub(super) fn lead_figure(doc: &dom_query::Document, base: Option<&Url>) -> Option<Block> {
    let body = doc.body()?;
    let h1 = doc.select("h1").nodes().first().copied()?;
    let mut seen_h1 = false;
    let builder = Builder { base, out: Vec::new(), inline: InlineBuf::default(), in_link: false };
    for node in body.descendants_it().filter(|n| n.is_element()) {
        if node.id == h1.id {
            seen_h1 = true;
            continue;
        }
        if !seen_h1 {
            continue;
        }
        let name = tag(&node);
        if name == "p" && node.text().trim().chars().count() >= 100 {
            return None;
        }
        let in_link = || node.ancestors_it(Some(4)).any(|a| tag(&a) == "a");
        let featured = || {
            node.ancestors_it(Some(3)).any(|a| {
                node_words(&a)
                    .iter()
                    .any(|w| matches!(w.as_str(), "thumbnail" | "featured" | "hero" | "lead" | "leadimage"))
            })
        };
        let block = match name.as_str() {
            "figure" => builder.figure(&node, 0),
            "img" | "picture" if !in_link() && featured() => {
                Block::Figure { images: image(&node, base).into_iter().collect(), caption: None }
            }
            _ => continue,
        };
        if block.has_images() {
            return Some(block);
        }
    }
    None
}

fn has_image(node: &NodeRef) -> bool {
    node.descendants_it().any(|d| d.is_element() && matches!(tag(&d).as_str(), "img" | "picture"))
}

/// A `wp-caption`-style box: one image and a little text, the box or an element in it
/// marked as its caption or credit (`wp-caption`, `img-caption`, `gallery-credit`).
fn is_caption_box(node: &NodeRef) -> bool {
    let marked = |n: &NodeRef| node_words(n).iter().any(|w| w.contains("caption") || w.contains("credit"));
    node.descendants_it().filter(|d| d.is_element() && tag(d) == "img").count() == 1
        && node.text().trim().chars().count() <= 400
        && (marked(node) || node.descendants_it().any(|d| d.is_element() && marked(&d)))
        && !node.descendants_it().any(|d| {
            d.is_element() && matches!(tag(&d).as_str(), "p" | "h2" | "h3" | "h4") && !marked(&d) && {
                // a paragraph of the story next to a captioned picture: not a caption box
                d.text().trim().chars().count() > 200
            }
        })
}

/// A photo credit or copyright line inside a caption (`<span class="credit">`).
fn is_credit(node: &NodeRef) -> bool {
    node_words(node).iter().any(|w| matches!(w.as_str(), "credit" | "credits" | "copyright" | "byline" | "source"))
}

fn inline_node(node: &NodeRef, buf: &mut InlineBuf, base: Option<&Url>, depth: usize) {
    if node.is_text() {
        buf.push_text(&node.text());
        return;
    }
    if !node.is_element() {
        return;
    }
    let name = tag(node);
    if SKIP_TAGS.contains(&name.as_str()) {
        return;
    }
    if depth > MAX_DEPTH {
        buf.push_text(&node.text());
        return;
    }
    let children = |buf: &mut InlineBuf| {
        for c in node.children_it(false) {
            inline_node(&c, buf, base, depth + 1);
        }
    };
    match name.as_str() {
        "br" => buf.line_break(),
        "img" | "picture" => {
            if let Some(img) = image(node, base) {
                buf.push_image(&img);
            }
        }
        "a" => match node.attr("href").and_then(|h| link_target(&h, base)) {
            Some(href) => {
                let mark = buf.open(&format!("<a href=\"{}\">", escape(&href)));
                buf.link_depth += 1;
                children(buf);
                buf.link_depth -= 1;
                buf.close(mark, "</a>");
            }
            None if node.has_attr("href") => {
                // a link we cannot keep (a `file:` or script target) is still a link
                buf.link_depth += 1;
                children(buf);
                buf.link_depth -= 1;
            }
            None => children(buf),
        },
        "em" | "i" | "cite" | "dfn" | "var" => {
            let mark = buf.open("<em>");
            children(buf);
            buf.close(mark, "</em>");
        }
        "strong" | "b" => {
            let mark = buf.open("<strong>");
            children(buf);
            buf.close(mark, "</strong>");
        }
        "code" | "kbd" | "samp" | "tt" => {
            let mark = buf.open("<code>");
            children(buf);
            buf.close(mark, "</code>");
        }
        _ => {
            if is_block_tag(&name) {
                buf.line_break();
                children(buf);
                buf.line_break();
            } else {
                children(buf);
            }
        }
    }
}

/// Where a link may point: absolute http(s)/mailto/tel/ftp targets; relative ones only
/// when there is no base to resolve them against.
fn link_target(href: &str, base: Option<&Url>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    match base.map(|b| b.join(href)).unwrap_or_else(|| Url::parse(href)) {
        Ok(u) => matches!(u.scheme(), "http" | "https" | "mailto" | "tel" | "ftp").then(|| u.to_string()),
        Err(url::ParseError::RelativeUrlWithoutBase) => Some(href.to_string()),
        Err(_) => None,
    }
}

const LAZY_SRC_ATTRS: &[&str] =
    &["data-src", "data-lazy-src", "data-original", "data-orig-file", "data-url", "data-hi-res-src", "data-full-src"];

/// The image's real source (lazy-loading attributes and `srcset` included), resolved.
fn image(node: &NodeRef, base: Option<&Url>) -> Option<Image> {
    let img =
        if tag(node) == "picture" { node.descendants_it().find(|d| d.is_element() && tag(d) == "img")? } else { *node };
    let placeholder = |s: &str| {
        let s = s.trim();
        s.is_empty() || s.starts_with("data:") || s.contains("blank.gif") || s.contains("placeholder")
    };
    let from_srcset = |attr: &str| {
        img.attr(attr)
            .and_then(|set| set.split(',').filter_map(|c| c.split_whitespace().next().map(str::to_string)).next())
    };
    let src = img
        .attr("src")
        .map(|s| s.to_string())
        .filter(|s| !placeholder(s))
        .or_else(|| LAZY_SRC_ATTRS.iter().filter_map(|a| img.attr(a)).map(|s| s.to_string()).find(|s| !placeholder(s)))
        .or_else(|| from_srcset("srcset"))
        .or_else(|| from_srcset("data-srcset"))
        .filter(|s| !placeholder(s))?;
    let src = match base.map(|b| b.join(src.trim())).unwrap_or_else(|| Url::parse(src.trim())) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u.to_string(),
        Ok(_) => return None,
        Err(url::ParseError::RelativeUrlWithoutBase) => src.trim().to_string(),
        Err(_) => return None,
    };
    let alt = img.attr("alt").map(|a| a.split_whitespace().collect::<Vec<_>>().join(" ")).unwrap_or_default();
    Some(Image { src, alt })
}

/// Characters that take no room and carry no text: zero-width space, word joiner, byte-order
/// mark. A paragraph holding only these is empty, as it is for the importer, whose decoder
/// drops them from the whole file.
pub(super) fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{2060}' | '\u{FEFF}')
}

/// Builds one run of inline content with collapsed whitespace.
#[derive(Default)]
struct InlineBuf {
    html: String,
    text: String,
    link_chars: usize,
    link_depth: u32,
    pending_space: bool,
    images: usize,
    picked: Vec<Image>,
}

struct Mark {
    html_len: usize,
    text_len: usize,
    images: usize,
}

impl InlineBuf {
    fn is_blank(&self) -> bool {
        self.text.is_empty() && self.images == 0
    }

    fn at_line_start(&self) -> bool {
        self.text.is_empty() || self.text.ends_with('\n')
    }

    fn emit_space(&mut self) {
        if self.pending_space && !self.at_line_start() {
            self.html.push(' ');
            self.text.push(' ');
            if self.link_depth > 0 {
                self.link_chars += 1;
            }
        }
        self.pending_space = false;
    }

    fn push_text(&mut self, s: &str) {
        for c in s.chars() {
            if c.is_whitespace() || c == '\u{a0}' {
                self.pending_space = true;
                continue;
            }
            if c.is_control() || is_invisible(c) {
                continue;
            }
            self.emit_space();
            match c {
                '&' => self.html.push_str("&amp;"),
                '<' => self.html.push_str("&lt;"),
                '>' => self.html.push_str("&gt;"),
                c => self.html.push(c),
            }
            self.text.push(c);
            if self.link_depth > 0 {
                self.link_chars += 1;
            }
        }
    }

    fn push_image(&mut self, img: &Image) {
        // the space goes into the HTML now and into the text only if more text follows
        if self.pending_space && !self.at_line_start() {
            self.html.push(' ');
        }
        let mut s = String::new();
        write_img(img, &mut s);
        self.html.push_str(&s);
        self.images += 1;
        self.picked.push(img.clone());
    }

    fn line_break(&mut self) {
        self.pending_space = false;
        if !self.at_line_start() {
            self.html.push_str("<br>");
            self.text.push('\n');
        }
    }

    fn open(&mut self, tag: &str) -> Mark {
        self.emit_space();
        let mark = Mark { html_len: self.html.len(), text_len: self.text.len(), images: self.images };
        self.html.push_str(tag);
        mark
    }

    fn close(&mut self, mark: Mark, tag: &str) {
        if self.text.len() == mark.text_len && self.images == mark.images {
            self.html.truncate(mark.html_len);
        } else {
            // a trailing line break belongs outside the element
            let had_break = self.html.ends_with("<br>");
            if had_break {
                self.html.truncate(self.html.len() - 4);
            }
            self.html.push_str(tag);
            if had_break {
                self.html.push_str("<br>");
            }
        }
    }

    /// The finished run as a block: a paragraph, or a figure when it is only pictures.
    fn into_block(self) -> Option<Block> {
        if self.text.trim().is_empty() && !self.picked.is_empty() {
            return Some(Block::Figure { images: self.picked, caption: None });
        }
        let inline = self.finish();
        (!inline.text.is_empty()).then_some(Block::Para(inline))
    }

    fn finish(mut self) -> Inline {
        while self.text.ends_with('\n') {
            self.text.pop();
        }
        while self.html.ends_with("<br>") {
            self.html.truncate(self.html.len() - 4);
        }
        Inline { html: self.html, text: self.text, link_chars: self.link_chars }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dom_query::Document;

    fn build(html: &str, base: Option<&str>) -> Vec<Block> {
        let doc = Document::fragment(html);
        let base = base.map(|b| Url::parse(b).unwrap());
        from_dom(&doc.root(), base.as_ref())
    }

    #[test]
    fn whitelist_and_absolute_links() {
        let blocks = build(
            r#"<div class="x" onclick="evil()"><p style="color:red">Hello <b>bold</b>&nbsp;and <a href="/a?x=1&amp;y=2" target="_blank">link</a>
            <a href="javascript:alert(1)">js</a><span> </span></p><h1>Top</h1><script>bad()</script></div>"#,
            Some("https://ex.example/dir/page"),
        );
        assert_eq!(
            to_html(&blocks),
            "<p>Hello <strong>bold</strong> and <a href=\"https://ex.example/a?x=1&amp;y=2\">link</a> js</p>\n<h2>Top</h2>"
        );
        assert_eq!(to_text(&blocks), "Hello bold and link js\n\nTop");
    }

    #[test]
    fn loose_text_and_line_breaks_become_paragraphs() {
        let blocks = build("<div>one<br>two<p>three</p>four</div>", None);
        assert_eq!(to_text(&blocks), "one\ntwo\n\nthree\n\nfour");
        assert_eq!(to_html(&blocks), "<p>one<br>two</p>\n<p>three</p>\n<p>four</p>");
    }

    #[test]
    fn caption_boxes_become_figures() {
        let blocks = build(
            r#"<div class="wp-caption"><img data-src="/i.jpg" src="data:image/gif;base64,R0"><p class="wp-caption-text">A caption</p></div>"#,
            Some("https://ex.example/"),
        );
        assert_eq!(
            to_html(&blocks),
            "<figure><img src=\"https://ex.example/i.jpg\" alt=\"\"><figcaption>A caption</figcaption></figure>"
        );
    }

    #[test]
    fn captions_stay_in_the_html_but_not_in_the_text_and_credits_go() {
        let blocks = build(
            r#"<p>Story.</p><figure><img src="https://x.example/a.jpg" alt="A"><figcaption>Flood water in Beira. <span class="credit">Photo: AP</span></figcaption></figure>
            <div class="gallery-item"><img src="https://x.example/b.jpg" alt=""><div class="gallery-count">Image 1 of 5</div><div class="gallery-credit">(Image: GETTY)</div></div>"#,
            None,
        );
        assert_eq!(to_text(&blocks), "Story.");
        let html = to_html(&blocks);
        assert!(html.contains("<figcaption>Flood water in Beira.</figcaption>"), "{html}");
        assert!(!html.contains("Photo: AP") && !html.contains("GETTY"), "{html}");
    }

    #[test]
    fn zero_width_characters_are_no_text() {
        let blocks = build("<p>One</p><p>&#8203;</p><p>&#xFEFF;&nbsp;</p><p>T&#8203;wo</p><pre>a&#8203;b</pre>", None);
        assert_eq!(to_text(&blocks), "One\n\nTwo\n\nab");
    }

    #[test]
    fn a_link_whose_target_is_dropped_still_counts_as_link_text() {
        let blocks = build(r#"<p><a href="/">&laquo; Back to the front page</a></p>"#, Some("file:///tmp/page.html"));
        let (chars, links) = blocks[0].char_counts();
        assert_eq!((chars, links), (24, 24));
    }

    #[test]
    fn tables_become_rows() {
        let blocks =
            build("<table><tr><th>Year</th><th>Executions</th></tr><tr><td>2018</td><td>253</td></tr></table>", None);
        assert_eq!(to_text(&blocks), "Year | Executions\n\n2018 | 253");
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let html = format!("{}deep text{}", "<span><div>".repeat(5000), "</div></span>".repeat(5000));
        let blocks = build(&html, None);
        assert_eq!(to_text(&blocks), "deep text");
    }
}
