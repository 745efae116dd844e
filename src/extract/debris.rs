//! What counts as page debris, and pruning it from a parsed page.
//!
//! Debris is recognised from an element's tag, ARIA role, visibility, and the *words* of its
//! `class` and `id` (split at punctuation and camelCase, so `ad-slot` and `adSlot` match `ad`
//! but `header`, `shadow` or `download` never do). The vocabulary below is the whole policy;
//! extend it here when a real page shows a new kind of box.
//!
//! A guard keeps any element that holds the article itself: `<main>`, `<article>`, the page's
//! `<h1>`, `[itemprop=articleBody]`, or a large share of the page's text outside links (so a
//! `has-sidebar` wrapper or an Elementor `widget` around the story survives). Comment threads
//! are exempt from the size guard: they can outweigh the article.
//!
//! This module only removes elements; it never rewrites text (that is `lines`' job).

use std::collections::HashMap;
use std::sync::LazyLock;

use dom_query::{Document, NodeRef};

/// The kinds of debris this module knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Debris {
    Ad,
    Share,
    Newsletter,
    Related,
    Cookie,
    Comments,
    AuthorBio,
    Navigation,
    Overlay,
    /// Elements that never carry article text (forms, embeds, scripts' leftovers).
    Furniture,
    Hidden,
}

const AD_WORDS: &[&str] = &[
    "ad",
    "ads",
    "adv",
    "adbox",
    "adblock",
    "adbanner",
    "adcontainer",
    "adhesion",
    "adsense",
    "adspace",
    "adwrap",
    "adwrapper",
    "adzone",
    "billboard",
    "commercial",
    "doubleclick",
    "gpt",
    "googletag",
    "habillage",
    "leaderboard",
    "mpu",
    "skyscraper",
    "teads",
];
const SHARE_WORDS: &[&str] = &[
    "share",
    "shares",
    "sharing",
    "sharebar",
    "sharebox",
    "sharetools",
    "sharedaddy",
    "sharethis",
    "shareaholic",
    "addtoany",
    "addthis",
    "a2a",
    "social",
    "socials",
    "sociable",
    "socialshare",
    "socialmedia",
];
const NEWSLETTER_WORDS: &[&str] = &[
    "subscribe",
    "subscription",
    "subscriptions",
    "signup",
    "optin",
    "mailchimp",
    "mc4wp",
    "mailpoet",
    "donate",
    "donation",
    "donations",
    "paywall",
    "regwall",
    "abonnement",
    "abonnements",
    "abo",
];
const RELATED_WORDS: &[&str] = &[
    "recommended",
    "recommendation",
    "recommendations",
    "recirculation",
    "recirc",
    "popular",
    "mostread",
    "mostpopular",
    "mostviewed",
    "trending",
    "yarpp",
    "crp",
];
const RELATED_PAIRS: &[(&str, &str)] = &[
    ("most", "read"),
    ("most", "viewed"),
    ("most", "popular"),
    ("most", "shared"),
    ("most", "commented"),
    ("read", "next"),
    ("more", "stories"),
    ("more", "from"),
    ("also", "read"),
    ("also", "like"),
    ("you", "may"),
    ("you", "might"),
    ("see", "also"),
    ("plus", "lus"),
    ("lire", "aussi"),
];
const COOKIE_WORDS: &[&str] = &["gdpr", "consent", "cmp"];
const COMMENT_WORDS: &[&str] = &["comment", "comments", "commentlist", "commentform", "respond", "replies"];
const AUTHOR_BIO_WORDS: &[&str] = &["authorbio", "authorbox", "saboxplugin", "aboutauthor"];
const AUTHOR_BIO_PAIRS: &[(&str, &str)] = &[
    ("author", "bio"),
    ("author", "box"),
    ("about", "author"),
    ("author", "info"),
    ("author", "card"),
    ("author", "description"),
    ("author", "profile"),
    ("author", "details"),
    ("author", "about"),
];
const NAV_WORDS: &[&str] = &[
    "nav",
    "navbar",
    "navigation",
    "menu",
    "menus",
    "mainmenu",
    "megamenu",
    "breadcrumb",
    "breadcrumbs",
    "pagination",
    "pager",
    "pagenav",
    "skiplink",
    "toolbar",
    "masthead",
    "sidebar",
    "footer",
    "topbar",
    "tags",
    "tagcloud",
    "visuallyhidden",
];
const NAV_PAIRS: &[(&str, &str)] =
    &[("skip", "link"), ("skip", "to"), ("screen", "reader"), ("sr", "only"), ("visually", "hidden")];
const OVERLAY_WORDS: &[&str] = &["popup", "modal", "tooltip", "popover", "hovercard"];

/// Elements removed by tag alone (still subject to the guard).
const FURNITURE_TAGS: &[&str] = &[
    "nav",
    "aside",
    "footer",
    "form",
    "dialog",
    "button",
    "input",
    "select",
    "textarea",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "canvas",
    "svg",
    "template",
    "video",
    "audio",
    "amp-ad",
    "amp-embed",
    "amp-sticky-ad",
    "amp-analytics",
    "amp-pixel",
    "amp-consent",
    "amp-sidebar",
    "amp-social-share",
    "amp-iframe",
    "amp-youtube",
    "amp-video",
    "amp-lightbox",
    "amp-user-notification",
    "amp-geo",
];

const DEBRIS_ROLES: &[&str] =
    &["navigation", "menubar", "menu", "search", "complementary", "contentinfo", "dialog", "alertdialog", "banner"];

/// Lower-case words of a `class`/`id` value, split at non-alphanumerics and at camelCase
/// boundaries: `"AdSlot_container jp-relatedposts"` → `ad slot container jp relatedposts`.
pub(super) fn words(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in value.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && prev_lower && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
            cur.extend(c.to_lowercase());
        } else {
            prev_lower = false;
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The words of an element's `class` and `id` together.
pub(super) fn node_words(node: &NodeRef) -> Vec<String> {
    let mut w = node.class().map(|c| words(&c)).unwrap_or_default();
    if let Some(id) = node.id_attr() {
        w.extend(words(&id));
    }
    w
}

fn has_pair(words: &[String], pairs: &[(&str, &str)]) -> bool {
    words.windows(2).any(|w| pairs.iter().any(|(a, b)| w[0] == *a && w[1] == *b))
}

/// Exact words and the kind they mark, in priority order (first list wins on a clash).
static EXACT: LazyLock<HashMap<&'static str, (u8, Debris)>> = LazyLock::new(|| {
    let lists: [(&[&str], Debris); 9] = [
        (COMMENT_WORDS, Debris::Comments),
        (COOKIE_WORDS, Debris::Cookie),
        (AD_WORDS, Debris::Ad),
        (SHARE_WORDS, Debris::Share),
        (NEWSLETTER_WORDS, Debris::Newsletter),
        (RELATED_WORDS, Debris::Related),
        (AUTHOR_BIO_WORDS, Debris::AuthorBio),
        (NAV_WORDS, Debris::Navigation),
        (OVERLAY_WORDS, Debris::Overlay),
    ];
    let mut map = HashMap::new();
    for (rank, (words, kind)) in lists.iter().enumerate() {
        for w in *words {
            map.entry(*w).or_insert((rank as u8, *kind));
        }
    }
    map
});

/// Prefixes and the kind they mark, with the same priority ranks as [`EXACT`].
const PREFIXES: &[(&str, u8, Debris)] = &[
    ("disqus", 0, Debris::Comments),
    ("cookie", 1, Debris::Cookie),
    ("advert", 2, Debris::Ad),
    ("sponsor", 2, Debris::Ad),
    ("adsby", 2, Debris::Ad),
    ("adslot", 2, Debris::Ad),
    ("adunit", 2, Debris::Ad),
    ("dfp", 2, Debris::Ad),
    ("banner", 2, Debris::Ad),
    ("taboola", 2, Debris::Ad),
    ("outbrain", 2, Debris::Ad),
    ("newsletter", 4, Debris::Newsletter),
    ("related", 5, Debris::Related),
];

/// Word pairs and the kind they mark, with the same priority ranks as [`EXACT`].
type PairList = &'static [(&'static str, &'static str)];

fn pair_kind(words: &[String]) -> Option<(u8, Debris)> {
    let lists: [(PairList, u8, Debris); 4] = [
        (&[("sign", "up")], 4, Debris::Newsletter),
        (RELATED_PAIRS, 5, Debris::Related),
        (AUTHOR_BIO_PAIRS, 6, Debris::AuthorBio),
        (NAV_PAIRS, 7, Debris::Navigation),
    ];
    lists.iter().find(|(pairs, _, _)| has_pair(words, pairs)).map(|(_, rank, kind)| (*rank, *kind))
}

/// Classifies class/id words. When several kinds match, the one listed first in
/// [`EXACT`] wins (comments before cookies before ads …).
pub(super) fn classify_words(w: &[String]) -> Option<Debris> {
    let exact = w.iter().filter_map(|x| EXACT.get(x.as_str()).copied());
    let prefixed = w
        .iter()
        .flat_map(|x| PREFIXES.iter().filter(move |(p, _, _)| x.starts_with(p)).map(|(_, rank, kind)| (*rank, *kind)));
    exact.chain(prefixed).chain(pair_kind(w)).min_by_key(|(rank, _)| *rank).map(|(_, kind)| kind)
}

/// Lower-case local name of an element.
pub(super) fn tag(node: &NodeRef) -> String {
    node.node_name().map(|n| n.to_ascii_lowercase()).unwrap_or_default()
}

fn is_hidden(node: &NodeRef) -> bool {
    if node.has_attr("hidden") {
        return true;
    }
    if let Some(style) = node.attr("style") {
        let style: String = style.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
        if style.contains("display:none") || style.contains("visibility:hidden") {
            return true;
        }
    }
    node.attr("aria-hidden").is_some_and(|v| v.trim() == "true")
        && !node.class().is_some_and(|c| c.contains("fallback-image"))
}

/// Why `node` would be removed, before the guard is consulted.
fn debris_kind(node: &NodeRef, name: &str) -> Option<Debris> {
    if FURNITURE_TAGS.contains(&name) {
        return Some(Debris::Furniture);
    }
    if is_hidden(node) {
        return Some(Debris::Hidden);
    }
    if let Some(role) = node.attr("role") {
        let role = role.trim().to_ascii_lowercase();
        if DEBRIS_ROLES.contains(&role.as_str()) {
            return Some(Debris::Navigation);
        }
    }
    if node.attr("aria-modal").is_some_and(|v| v.trim() == "true") {
        return Some(Debris::Overlay);
    }
    classify_words(&node_words(node))
}

/// Characters of text under `node` that are not inside links: the prose it holds.
fn prose_len(node: &NodeRef) -> usize {
    let mut total = 0;
    let mut stack: Vec<(NodeRef, bool)> = vec![(*node, false)];
    while let Some((n, in_link)) = stack.pop() {
        if n.is_text() {
            if !in_link {
                total += n.text().trim().chars().count();
            }
            continue;
        }
        if !n.is_element() && !n.is_document() && !n.is_fragment() {
            continue;
        }
        let link = in_link || n.has_name("a");
        if n.has_name("script") || n.has_name("style") {
            continue;
        }
        stack.extend(n.children_it(false).map(|c| (c, link)));
    }
    total
}

fn holds_article(node: &NodeRef) -> bool {
    std::iter::once(*node).chain(node.descendants_it()).any(|d| {
        d.is_element()
            && (d.has_name("h1")
                || d.has_name("main")
                || d.attr("itemprop")
                    .is_some_and(|v| v.split_whitespace().any(|p| p.eq_ignore_ascii_case("articleBody"))))
    })
}

/// A whole comment thread (not one comment): exempt from the size guard, since threads
/// can outweigh the article, while a lone `comment`-classed box is not.
fn is_comment_section(words: &[String]) -> bool {
    words.iter().any(|w| {
        matches!(w.as_str(), "comments" | "commentlist" | "commentform" | "respond" | "replies")
            || w.starts_with("disqus")
    }) || has_pair(
        words,
        &[("comment", "list"), ("comment", "area"), ("comment", "section"), ("comment", "thread"), ("comment", "form")],
    )
}

/// The guard: true when removing `node` would likely remove the article.
fn guarded(node: &NodeRef, name: &str, kind: Debris, total: usize) -> bool {
    if matches!(name, "html" | "body" | "main" | "article") {
        return true;
    }
    if kind == Debris::AuthorBio && node.text().trim().chars().count() < 100 {
        // a short "author-info" box is a byline, which metadata and `lines` deal with
        return true;
    }
    if holds_article(node) {
        return true;
    }
    if !(kind == Debris::Comments && is_comment_section(&node_words(node))) && total > 0 {
        let mine = prose_len(node);
        if mine * 10 >= total * 4 && mine > 0 {
            return true;
        }
    }
    false
}

/// Removes debris under `root`; returns how many elements were removed.
fn prune(root: &NodeRef) -> usize {
    let total = prose_len(root);
    let mut doomed: Vec<NodeRef> = Vec::new();
    let mut stack: Vec<NodeRef> = root.children_it(true).collect();
    while let Some(node) = stack.pop() {
        if !node.is_element() {
            continue;
        }
        let name = tag(&node);
        if matches!(name.as_str(), "pre" | "code" | "math") {
            // code listings: their spans' classes (`comment`, `nav`…) are syntax colours
            continue;
        }
        if let Some(kind) = debris_kind(&node, &name) {
            if !guarded(&node, &name, kind, total) {
                doomed.push(node);
                continue;
            }
            if kind == Debris::Hidden {
                // the article itself, hidden until a script reveals it
                node.remove_attrs(&["hidden", "style", "aria-hidden"]);
            }
        }
        stack.extend(node.children_it(true));
    }
    let n = doomed.len();
    for node in doomed {
        node.remove_from_parent();
    }
    n
}

/// Prepares a whole page for Readability: AMP images become `<img>`, debris goes.
pub(super) fn prune_page(doc: &Document) {
    for img in doc.select("amp-img, amp-anim").nodes() {
        // an `amp-img` inside a removed embed is a placeholder; the rest are real images
        img.rename("img");
    }
    let root = doc.body().unwrap_or_else(|| doc.root());
    drop_hover_cards(&root);
    let n = prune(&root);
    tracing::trace!(removed = n, "pruned page debris");
}

/// Removes hover cards: the box a page shows when the pointer rests on a name, written right
/// after the link and starting with the same name ("Rep. Ilhan Omar" + "Ilhan Omar
/// Hillicon Valley: …"). Hidden by style sheets only, so its text would otherwise be glued
/// onto the name.
fn drop_hover_cards(root: &NodeRef) {
    let mut doomed = Vec::new();
    for link in root.descendants_it().filter(|n| n.is_element() && n.has_name("a")) {
        let name = link.text().split_whitespace().collect::<Vec<_>>().join(" ");
        let tail: Vec<&str> = name.split(' ').rev().take(2).collect::<Vec<_>>().into_iter().rev().collect();
        let tail = tail.join(" ");
        if tail.chars().count() < 4 {
            continue;
        }
        let mut next = link.next_sibling();
        while let Some(n) = next.filter(|n| n.is_text() && n.text().trim().is_empty()) {
            next = n.next_sibling();
        }
        let Some(card) = next.filter(|n| n.is_element() && matches!(tag(n).as_str(), "span" | "div")) else {
            continue;
        };
        let text = card.text().split_whitespace().collect::<Vec<_>>().join(" ");
        if text.len() > tail.len() && text.starts_with(&tail) {
            doomed.push(card);
        }
    }
    for card in doomed {
        card.remove_from_parent();
    }
}

/// Prunes the content Readability picked (same vocabulary, guard relative to the content).
pub(super) fn prune_content(root: &NodeRef) {
    prune(root);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(class: &str) -> Option<Debris> {
        classify_words(&words(class))
    }

    #[test]
    fn words_split_at_punctuation_and_camel_case() {
        assert_eq!(
            words("AdSlot_container__q2 jp-relatedposts mostRead"),
            ["ad", "slot", "container", "q2", "jp", "relatedposts", "most", "read"]
        );
        assert_eq!(words("div-gpt-ad-1552382-0"), ["div", "gpt", "ad", "1552382", "0"]);
    }

    #[test]
    fn vocabulary_matches_whole_words_only() {
        assert_eq!(kind("ad-slot ad-leaderboard"), Some(Debris::Ad));
        assert_eq!(kind("advert-wrapper"), Some(Debris::Ad));
        assert_eq!(kind("sharedaddy sd-sharing-enabled"), Some(Debris::Share));
        assert_eq!(kind("mc4wp-form-wrap"), Some(Debris::Newsletter));
        assert_eq!(kind("widget widget_most_read"), Some(Debris::Related));
        assert_eq!(kind("jp-relatedposts"), Some(Debris::Related));
        assert_eq!(kind("eu-cookie-compliance-banner"), Some(Debris::Cookie));
        assert_eq!(kind("comments-area"), Some(Debris::Comments));
        assert_eq!(kind("author-box"), Some(Debris::AuthorBio));
        assert_eq!(kind("breadcrumbs"), Some(Debris::Navigation));
        for innocent in [
            "header",
            "site-header",
            "shadow",
            "download",
            "entry-content",
            "article-body",
            "lead",
            "headline",
            "address",
            "commentary",
            "readability-page-1",
        ] {
            assert_eq!(kind(innocent), None, "{innocent}");
        }
    }

    #[test]
    fn guard_keeps_the_wrapper_that_holds_the_article() {
        let doc = Document::from(
            r#"<body><div class="has-sidebar"><h1>Title</h1><p>Body text here.</p></div>
            <div class="sidebar"><p>Other</p></div></body>"#,
        );
        prune_page(&doc);
        let html = doc.html().to_string();
        assert!(html.contains("Body text here."), "{html}");
        assert!(!html.contains("Other"), "{html}");
    }

    #[test]
    fn hover_cards_after_names_go() {
        let doc = Document::from(
            r#"<body><p>Said <a href="/p/omar">Rep. Ilhan Omar</a><span class="rollover"><span>Ilhan Omar</span><span>Hillicon Valley: officials brief</span></span> (D-Minn.).</p>
            <p>See <a href="/x">the report</a> <span>published on Monday</span>.</p></body>"#,
        );
        prune_page(&doc);
        let text = doc.select("body").text().split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(text, "Said Rep. Ilhan Omar (D-Minn.). See the report published on Monday.");
    }

    #[test]
    fn comments_are_removed_even_when_longer_than_the_article() {
        let long = "A long comment. ".repeat(50);
        let doc = Document::from(format!(
            r#"<body><article><h1>T</h1><p>Short story.</p></article>
            <div id="comments"><p>{long}</p></div></body>"#
        ));
        prune_page(&doc);
        assert!(!doc.html().contains("A long comment."));
        assert!(doc.html().contains("Short story."));
    }
}
