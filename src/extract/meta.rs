//! Article metadata: title, byline, raw dates, summary, site name, language, canonical URL
//! and tags, read from `<meta>`, JSON-LD (see [`super::jsonld`]), `<link>`, and a few page
//! structures (`<h1>`, `<time>`, date and standfirst elements).
//!
//! Two passes: [`from_head`] reads declared metadata from the untouched page;
//! [`from_body`] runs after debris pruning (so a sidebar's `<time>` or `<h1>` cannot win)
//! and fills what is still missing, then settles the title. Dates stay raw strings.

use std::collections::HashMap;

use dom_query::{Document, NodeRef};
use url::Url;

use super::cues::{self, Hints};
use super::debris::{Debris, classify_words, node_words, tag};
use super::{jsonld, jsonld::LdArticle};
use crate::article::fold_compact as fold;

/// Everything found so far about the page, besides its content.
#[derive(Debug, Default, Clone)]
pub(super) struct Found {
    pub title: Option<String>,
    pub byline: Option<String>,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub summary: Option<String>,
    pub site_name: Option<String>,
    pub language: Option<String>,
    pub canonical_url: Option<String>,
    pub tags: Vec<String>,
    /// Title as declared (`og:title`, JSON-LD headline, `<title>`), before clean-up.
    declared_title: Option<String>,
    /// Folded texts of the short labels printed just above the page's `<h1>` (kickers).
    pub kickers: Vec<String>,
    /// The `<title>` text, for reading a site name around the chosen title.
    doc_title: Option<String>,
    /// A byline read from the untouched page (footer bylines are pruned later).
    dom_byline: Option<String>,
    /// The page's registrable host label (`dailymonitor` for `www.dailymonitor.example`).
    host_label: Option<String>,
}

impl Found {
    /// When no declared byline exists: Readability's, else one read from the whole page.
    pub(super) fn fallback_byline(&mut self, readability: Option<&str>) {
        if self.byline.is_none() {
            self.byline = readability.and_then(clean_byline).or_else(|| self.dom_byline.take());
        }
    }

    /// Fills what is still missing from what the content lines revealed.
    pub(super) fn absorb(&mut self, hints: Hints) {
        if self.byline.is_none() {
            self.byline = hints.byline.as_deref().and_then(clean_byline);
        }
        if self.published.is_none() {
            self.published = hints.published;
        }
        if self.updated.is_none() {
            self.updated = hints.updated;
        }
        if self.summary.is_none() {
            self.summary = hints.standfirst;
        }
    }
}

/// `<base href>` resolved against the page URL, else the page URL.
pub(super) fn document_base(doc: &Document, url: Option<&Url>) -> Option<Url> {
    let href = doc
        .select("base[href]")
        .nodes()
        .first()
        .and_then(|b| b.attr("href"))
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty());
    match (href, url) {
        (Some(h), Some(u)) => u.join(&h).ok().or_else(|| Some(u.clone())),
        (Some(h), None) => Url::parse(&h).ok(),
        (None, u) => u.cloned(),
    }
}

/// `<meta>` values by lower-case key (`property`, `name`, `itemprop`), in page order.
struct Metas(HashMap<String, Vec<String>>);

impl Metas {
    fn read(doc: &Document) -> Self {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for node in doc.select("meta[content]").nodes() {
            let Some(content) = node.attr("content") else {
                continue;
            };
            let content = content.trim();
            if content.is_empty() {
                continue;
            }
            for attr in ["property", "name", "itemprop"] {
                if let Some(keys) = node.attr(attr) {
                    for key in keys.split_whitespace() {
                        map.entry(key.to_ascii_lowercase()).or_default().push(content.to_string());
                    }
                }
            }
            if let Some(equiv) = node.attr("http-equiv") {
                map.entry(format!("http-equiv:{}", equiv.trim().to_ascii_lowercase()))
                    .or_default()
                    .push(content.to_string());
            }
        }
        Metas(map)
    }

    fn first(&self, keys: &[&str]) -> Option<String> {
        keys.iter().filter_map(|k| self.0.get(*k)).flatten().find_map(|v| plain(v))
    }

    fn all(&self, key: &str) -> &[String] {
        self.0.get(key).map_or(&[], Vec::as_slice)
    }
}

const PUBLISHED_KEYS: &[&str] = &[
    "datepublished",
    "article.published",
    "og:published_time",
    "og:article:published_time",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "publication_date",
    "sailthru.date",
    "parsely-pub-date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "dcterms.created",
    "date",
    "citation_publication_date",
    "citation_date",
    "originalpublicationdate",
];
const UPDATED_KEYS: &[&str] = &[
    "datemodified",
    "article.updated",
    "dc.date.modified",
    "dcterms.modified",
    "last-modified",
    "lastmod",
    "modified",
];
const BYLINE_KEYS: &[&str] =
    &["author", "dc.creator", "dcterms.creator", "article:author", "parsely-author", "sailthru.author", "byl"];
const SUMMARY_KEYS: &[&str] =
    &["description", "og:description", "twitter:description", "dc.description", "dcterms.description"];

/// Reads declared metadata from the whole, untouched page.
pub(super) fn from_head(doc: &Document, url: Option<&Url>, base: Option<&Url>) -> Found {
    let metas = Metas::read(doc);
    let ld_blocks: Vec<String> =
        doc.select(r#"script[type="application/ld+json" i]"#).nodes().iter().map(|n| n.text().to_string()).collect();
    let ld = jsonld::parse(&ld_blocks);
    let mut found = Found { host_label: url.or(base).and_then(host_label), ..Found::default() };

    let doc_title = doc.select("title").nodes().first().and_then(|t| plain(&t.text()));
    found.declared_title = metas
        .first(&["og:title", "twitter:title"])
        .or_else(|| ld.headline.clone())
        .or_else(|| metas.first(&["dc.title", "dcterms.title", "headline"]))
        .or_else(|| doc_title.clone());
    found.doc_title = doc_title;
    found.dom_byline = dom_byline(doc);

    found.byline = byline_from(&ld, &metas);
    found.published = metas
        .first(&["article:published_time"])
        .or_else(|| ld.published.clone())
        .or_else(|| metas.first(PUBLISHED_KEYS));
    found.updated = metas
        .first(&["article:modified_time", "og:updated_time"])
        .or_else(|| ld.modified.clone())
        .or_else(|| metas.first(UPDATED_KEYS));
    found.summary =
        metas.first(&SUMMARY_KEYS[..3]).or_else(|| ld.description.clone()).or_else(|| metas.first(&SUMMARY_KEYS[3..]));
    found.site_name = metas
        .first(&["og:site_name"])
        .or_else(|| ld.publisher.clone())
        .or_else(|| ld.website.clone())
        .or_else(|| metas.first(&["application-name", "apple-mobile-web-app-title"]));
    found.language = language_from(doc, &metas, &ld);
    found.canonical_url = canonical_from(doc, &metas, &ld, base);
    found.tags = tags_from(&metas, &ld);
    if found.tags.is_empty() {
        found.tags = rel_tags(doc);
    }
    found
}

/// Texts of `rel="tag"` links (not `rel="category tag"`), as themes print under a post.
fn rel_tags(doc: &Document) -> Vec<String> {
    let tags: Vec<String> = doc
        .select("a[rel]")
        .nodes()
        .iter()
        .filter(|a| {
            let rel = a.attr("rel").unwrap_or_default().to_ascii_lowercase();
            let rels: Vec<&str> = rel.split_whitespace().collect();
            rels.contains(&"tag") && !rels.contains(&"category")
        })
        .map(|a| a.text().to_string())
        .collect();
    split_tags(&tags)
}

fn byline_from(ld: &LdArticle, metas: &Metas) -> Option<String> {
    if !ld.authors.is_empty() {
        let joined = ld.authors.join(", ");
        if let Some(b) = clean_byline(&joined) {
            return Some(b);
        }
    }
    BYLINE_KEYS.iter().flat_map(|k| metas.all(k)).find_map(|v| clean_byline(v))
}

fn language_from(doc: &Document, metas: &Metas, ld: &LdArticle) -> Option<String> {
    let html = doc.select("html").nodes().first().copied();
    let declared = html
        .and_then(|h| h.attr("lang").or_else(|| h.attr("xml:lang")))
        .map(|s| s.to_string())
        .into_iter()
        .chain(metas.first(&["og:locale"]))
        .chain(metas.first(&[
            "http-equiv:content-language",
            "language",
            "content-language",
            "dc.language",
            "dcterms.language",
        ]))
        .chain(ld.language.clone());
    declared.into_iter().find_map(|l| language_tag(&l))
}

/// `fr_FR` → `fr-FR`; the first of a comma list; rejects anything that is not a tag.
fn language_tag(raw: &str) -> Option<String> {
    let first = raw.split([',', ';']).next()?.trim().replace('_', "-");
    let ok = !first.is_empty()
        && first.len() <= 35
        && first.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && first.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    ok.then_some(first)
}

fn canonical_from(doc: &Document, metas: &Metas, ld: &LdArticle, base: Option<&Url>) -> Option<String> {
    let link = doc.select("link[rel][href]").nodes().iter().find_map(|l| {
        let rel = l.attr("rel")?;
        rel.split_whitespace()
            .any(|r| r.eq_ignore_ascii_case("canonical"))
            .then(|| l.attr("href").map(|h| h.to_string()))
            .flatten()
    });
    link.into_iter().chain(metas.first(&["og:url"])).chain(ld.url.clone()).find_map(|href| absolute_http(&href, base))
}

/// `href` resolved against `base` when it is (or becomes) an http(s) URL.
pub(super) fn absolute_http(href: &str, base: Option<&Url>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let url = match base {
        Some(b) => b.join(href).ok()?,
        None => Url::parse(href).ok()?,
    };
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

fn tags_from(metas: &Metas, ld: &LdArticle) -> Vec<String> {
    let sources: [Vec<String>; 4] = [
        metas.all("article:tag").iter().chain(metas.all("og:article:tag")).cloned().collect(),
        ld.keywords.clone(),
        metas.all("news_keywords").to_vec(),
        metas.all("keywords").to_vec(),
    ];
    sources.iter().map(|s| split_tags(s)).find(|t| !t.is_empty()).unwrap_or_default()
}

/// Splits keyword lists on `,` `;` and their Arabic-script forms; trims; de-duplicates
/// case-insensitively keeping the first spelling; caps the count.
pub(super) fn split_tags(values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        for t in v.split([',', ';', '،', '؛']) {
            let Some(t) = plain(t) else { continue };
            if t.chars().count() > 80 || out.iter().any(|o| o.to_lowercase() == t.to_lowercase()) {
                continue;
            }
            out.push(t);
            if out.len() >= 50 {
                return out;
            }
        }
    }
    out
}

/// Fills metadata from the pruned page body, then settles the title.
pub(super) fn from_body(doc: &Document, found: &mut Found) {
    let body = doc.body().unwrap_or_else(|| doc.root());
    if found.published.is_none() || found.updated.is_none() {
        let (published, updated) = dates_in_body(&body);
        found.published = found.published.take().or(published);
        found.updated = found.updated.take().or(updated);
    }
    if found.summary.is_none() {
        found.summary = standfirst_in_body(&body);
    }
    found.kickers = kickers(doc);
    let headings = headings(doc);
    let (title, suffix_site) = choose_title(
        found.declared_title.as_deref(),
        &headings,
        found.site_name.as_deref(),
        found.host_label.as_deref(),
    );
    if found.site_name.is_none() {
        found.site_name = suffix_site
            .or_else(|| site_around_title(found.doc_title.as_deref()?, title.as_deref()?, found.host_label.as_deref()));
    }
    found.title = title;
}

/// The site name printed around the title in `<title>`: "Title | Section | Site" gives
/// "Site"; "Site: Title" gives "Site" only when it matches the host name (a prefix is as
/// often a series or section name).
fn site_around_title(doc_title: &str, title: &str, host: Option<&str>) -> Option<String> {
    let is_sep = |c: char| c.is_whitespace() || "|-–—:»·•/~".contains(c);
    let segments = |rest: &str| -> Vec<String> {
        let mut parts = vec![rest.to_string()];
        for sep in TITLE_SEPARATORS.iter().chain(&["|", "–", "—", "»", "·", "•", ": "]) {
            parts = parts.iter().flat_map(|p| p.split(sep).map(str::to_string).collect::<Vec<_>>()).collect();
        }
        parts.iter().map(|p| trim_separator(p).to_string()).filter(|p| !p.is_empty()).collect()
    };
    let site = if let Some(rest) = doc_title.strip_prefix(title) {
        rest.starts_with(is_sep).then(|| segments(rest).pop()).flatten()
    } else if let Some(rest) = doc_title.strip_suffix(title) {
        rest.ends_with(is_sep)
            .then(|| segments(rest).into_iter().next())
            .flatten()
            .filter(|s| matches_site(s, None, host))
    } else {
        None
    }?;
    (site.chars().count() <= 60).then_some(site)
}

/// A byline element read before debris pruning, outside comment threads and teaser lists:
/// `rel=author`, `itemprop=author`, or a `byline`/`author` class.
fn dom_byline(doc: &Document) -> Option<String> {
    let body = doc.body()?;
    for node in body.descendants_it().filter(|n| n.is_element()) {
        let words = node_words(&node);
        let rel_author =
            node.attr("rel").is_some_and(|r| r.split_whitespace().any(|t| t.eq_ignore_ascii_case("author")));
        let prop_author =
            node.attr("itemprop").is_some_and(|r| r.split_whitespace().any(|t| t.eq_ignore_ascii_case("author")));
        let class_author =
            words.iter().any(|w| matches!(w.as_str(), "byline" | "author" | "byl" | "writer" | "authors"));
        if !(rel_author || prop_author || class_author) {
            continue;
        }
        let in_debris =
            node.ancestors_it(None).any(|a| {
                matches!(classify_words(&node_words(&a)), Some(Debris::Comments | Debris::Related | Debris::AuthorBio))
            }) || matches!(classify_words(&words), Some(Debris::Comments | Debris::Related | Debris::AuthorBio));
        if in_debris {
            continue;
        }
        let text = node
            .descendants_it()
            .find(|d| d.attr("itemprop").is_some_and(|p| p.trim() == "name"))
            .map_or_else(|| node.text(), |n| n.text());
        if text.trim().chars().count() > 100 {
            continue;
        }
        if let Some(b) = clean_byline(&text) {
            return Some(b);
        }
    }
    None
}

/// Short elements just before the first `<h1>` (its earlier siblings, and its parent's).
fn kickers(doc: &Document) -> Vec<String> {
    let Some(h1) = doc.select("h1").nodes().first().copied() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for node in [Some(h1), h1.parent()].into_iter().flatten() {
        let mut prev = node.prev_element_sibling();
        while let Some(p) = prev {
            let text = p.text();
            let n = text.trim().chars().count();
            if (1..=60).contains(&n) {
                out.push(fold(&text));
            }
            prev = p.prev_element_sibling();
        }
    }
    out
}

/// Texts of the page's `<h1>`s and `[itemprop=headline]`; `<h2>`s when there is no `<h1>`.
fn headings(doc: &Document) -> Vec<String> {
    let mut out: Vec<String> = doc
        .select("h1, [itemprop~=headline]")
        .nodes()
        .iter()
        .filter(|n| !tag(n).eq("meta"))
        .filter_map(|n| plain(&n.text()))
        .collect();
    if out.is_empty() {
        out = doc.select("h2").nodes().iter().take(3).filter_map(|n| plain(&n.text())).collect();
    }
    out
}

const TITLE_SEPARATORS: &[&str] = &[" | ", " - ", " – ", " — ", " :: ", " » ", " · ", " • ", " / ", " ~ ", " : "];

/// Picks the title: a page heading when the declared title is that heading plus
/// decoration; otherwise the declared title without a site-name prefix or suffix.
/// Returns the title and, when one was cut off, the site name it carried.
fn choose_title(
    declared: Option<&str>,
    headings: &[String],
    site: Option<&str>,
    host: Option<&str>,
) -> (Option<String>, Option<String>) {
    let Some(raw) = declared.and_then(plain) else {
        return (headings.first().cloned(), None);
    };
    if let Some(site) = site
        && fold(site) == fold(&raw)
        && let Some(h) = headings.first()
    {
        return (Some(h.clone()), None);
    }
    for h in headings {
        if h == &raw {
            return (Some(raw), None);
        }
    }
    for h in headings {
        if h.chars().count() < 3 {
            continue;
        }
        if let Some(rest) = raw.strip_prefix(h.as_str())
            && starts_with_separator(rest)
        {
            let site = matches_site(trim_separator(rest), site, host).then(|| trim_separator(rest).to_string());
            return (Some(h.clone()), site);
        }
        if let Some(rest) = raw.strip_suffix(h.as_str())
            && ends_with_separator(rest)
        {
            return (Some(h.clone()), None);
        }
    }
    // "Geneva conference calls for inquiry | Example News" over the heading "Geneva conference
    // calls for inquiry into the 1988 massacre": the declared title is a shortened heading
    // plus decoration, so the heading is the title.
    for h in headings {
        for sep in TITLE_SEPARATORS {
            if let Some((head, tail)) = raw.split_once(sep)
                && head.split_whitespace().count() >= 3
                && tail.split_whitespace().count() <= 6
                && fold(h).starts_with(&fold(head))
            {
                return (Some(h.clone()), Some(tail.trim().to_string()));
            }
        }
    }
    let (title, cut) = strip_site_affix(&raw, site, host);
    (Some(title), cut)
}

fn starts_with_separator(rest: &str) -> bool {
    let t = rest.trim_start();
    rest.len() > t.len() && t.chars().next().is_some_and(|c| "|-–—:»·•/~".contains(c))
}

fn ends_with_separator(rest: &str) -> bool {
    let t = rest.trim_end();
    rest.len() > t.len() && t.chars().last().is_some_and(|c| "|-–—:»·•/~".contains(c))
}

fn trim_separator(rest: &str) -> &str {
    rest.trim().trim_start_matches(|c: char| "|-–—:»·•/~".contains(c)).trim()
}

fn strip_site_affix(raw: &str, site: Option<&str>, host: Option<&str>) -> (String, Option<String>) {
    for sep in TITLE_SEPARATORS {
        if let Some((head, tail)) = raw.rsplit_once(sep)
            && !head.trim().is_empty()
            && matches_site(tail, site, host)
        {
            return (head.trim().to_string(), Some(tail.trim().to_string()));
        }
        if let Some((head, tail)) = raw.split_once(sep)
            && !tail.trim().is_empty()
            && matches_site(head, site, host)
        {
            return (tail.trim().to_string(), Some(head.trim().to_string()));
        }
    }
    (raw.to_string(), None)
}

fn matches_site(part: &str, site: Option<&str>, host: Option<&str>) -> bool {
    let p = fold(part);
    if p.is_empty() {
        return false;
    }
    if let Some(s) = site.map(fold).filter(|s| !s.is_empty())
        && (s == p || (p.len() >= 4 && (s.contains(&p) || p.contains(&s))))
    {
        return true;
    }
    if let Some(h) = host.map(fold).filter(|h| h.len() >= 3) {
        // "Human Rights Watch" on hrw.org
        let initials: String =
            part.split_whitespace().filter_map(|w| w.chars().next()).flat_map(char::to_lowercase).collect();
        return p.contains(&h) || (p.len() >= 4 && h.contains(&p)) || initials == h;
    }
    false
}

const BLOG_HOSTS: &[&str] = &[
    "blogspot",
    "wordpress",
    "substack",
    "medium",
    "tumblr",
    "github",
    "wixsite",
    "weebly",
    "livejournal",
    "typepad",
    "ghost",
    "hashnode",
    "over-blog",
    "hatenablog",
];

/// `www.dailymonitor.co.uk` → `dailymonitor`; `someone.blogspot.com` → `someone`.
fn host_label(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    if labels.len() < 2 {
        return labels.first().map(|s| s.to_string());
    }
    let mut i = labels.len() - 2;
    // on blog hosts the subdomain names the site: voicesofkhavaran.blogspot.com
    if i > 0 && BLOG_HOSTS.contains(&labels[i]) {
        return Some(labels[i - 1].to_string());
    }
    if i > 0
        && labels[labels.len() - 1].len() == 2
        && ["co", "com", "org", "net", "gov", "ac", "edu", "or", "ne", "go"].contains(&labels[i])
    {
        i -= 1;
    }
    Some(labels[i].to_string())
}

/// Published and updated dates from `itemprop`, `<time>` and date-classed elements.
///
/// Ranked: a declared `itemprop`/`pubdate` anywhere; then `<time>`, then a date-classed
/// element, after the first `<h1>`; then the same before it (a site header often shows
/// today's date).
fn dates_in_body(body: &NodeRef) -> (Option<String>, Option<String>) {
    #[derive(Default)]
    struct Seen {
        declared: Option<String>,
        time: Option<String>,
        loose: Option<String>,
    }
    let mut before = Seen::default();
    let mut after = Seen::default();
    let mut updated = None;
    let has_h1 = body.descendants_it().any(|n| n.is_element() && n.has_name("h1"));
    let mut past_h1 = !has_h1;
    for node in body.descendants_it().filter(|n| n.is_element()) {
        let name = tag(&node);
        if name == "h1" {
            past_h1 = true;
            continue;
        }
        let seen = if past_h1 { &mut after } else { &mut before };
        let itemprop = node.attr("itemprop").map(|s| s.to_ascii_lowercase());
        let words = node_words(&node);
        let is_updated =
            itemprop.as_deref() == Some("datemodified") || words.iter().any(|w| w == "updated" || w == "modified");
        let declared = itemprop.as_deref() == Some("datepublished") || node.has_attr("pubdate");
        let value = || {
            node.attr("datetime")
                .or_else(|| node.attr("content"))
                .or_else(|| (name == "abbr").then(|| node.attr("title")).flatten())
                .and_then(|v| plain(&v))
                .or_else(|| {
                    let text = plain(&node.text())?;
                    (text.chars().count() <= 80).then_some(text)
                })
        };
        if name == "time" || (itemprop.is_some() && (declared || is_updated)) {
            let Some(v) = value() else { continue };
            if is_updated {
                updated = updated.or(Some(v));
            } else if declared {
                seen.declared = seen.declared.take().or(Some(v));
            } else {
                seen.time = seen.time.take().or(Some(v));
            }
            continue;
        }
        if seen.loose.is_none()
            && !is_updated
            && words
                .iter()
                .any(|w| matches!(w.as_str(), "date" | "published" | "pubdate" | "timestamp" | "dateline" | "posted"))
        {
            let text = node.text();
            if text.trim().chars().count() <= 80 {
                seen.loose = cues::date_in(&text);
            }
        }
    }
    let published = after.declared.or(before.declared).or(after.time).or(after.loose).or(before.time).or(before.loose);
    (published, updated)
}

const STANDFIRST_WORDS: &[&str] = &[
    "standfirst",
    "dek",
    "deck",
    "subtitle",
    "subheadline",
    "subhead",
    "strapline",
    "lede",
    "lead",
    "intro",
    "summary",
    "excerpt",
    "desc",
    "description",
];

/// A standfirst element met before the first long paragraph.
fn standfirst_in_body(body: &NodeRef) -> Option<String> {
    for node in body.descendants_it().filter(|n| n.is_element()) {
        let name = tag(&node);
        let text_len = || node.text().trim().chars().count();
        if name == "p" && text_len() >= 150 && !is_standfirst(&node) {
            return None;
        }
        if matches!(name.as_str(), "p" | "h2" | "h3" | "h4" | "h5" | "h6" | "div" | "span" | "header")
            && is_standfirst(&node)
            && (20..=600).contains(&text_len())
            && !node
                .descendants_it()
                .any(|d| d.is_element() && matches!(tag(&d).as_str(), "img" | "figure" | "picture"))
        {
            return plain(&node.text());
        }
    }
    None
}

fn is_standfirst(node: &NodeRef) -> bool {
    let words = node_words(node);
    words.iter().any(|w| STANDFIRST_WORDS.contains(&w.as_str()))
        || words.windows(2).any(|w| w[0] == "sub" && matches!(w[1].as_str(), "title" | "heading" | "headline"))
}

/// "By Jane Doe" → "Jane Doe"; `None` for URLs, empty or overlong values.
pub(super) fn clean_byline(raw: &str) -> Option<String> {
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let stripped = cues::strip_byline_prefix(&collapsed);
    let cut = ["|", " · ", " • ", " — ", " – "]
        .iter()
        .filter_map(|sep| stripped.find(sep))
        .min()
        .map_or(stripped, |i| &stripped[..i]);
    let name = cut.trim().trim_end_matches([',', ';', ':', '-']).trim();
    let looks_like_url = name.contains("://") || name.starts_with("www.") || name.starts_with('/');
    let ok =
        !name.is_empty() && name.chars().count() <= 120 && !looks_like_url && name.chars().any(char::is_alphabetic);
    ok.then(|| name.to_string())
}

/// Collapses whitespace; `None` when nothing is left. Text that still carries markup (some
/// CMSs put HTML in descriptions) is reduced to its text first.
pub(super) fn plain(s: &str) -> Option<String> {
    let text;
    let s = if s.contains('<') && s.contains('>') {
        text = Document::fragment(s).root().text().to_string();
        text.as_str()
    } else {
        s
    };
    let out = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn title(declared: &str, headings: &[&str], site: Option<&str>, host: Option<&str>) -> String {
        let h: Vec<String> = headings.iter().map(|s| s.to_string()).collect();
        choose_title(Some(declared), &h, site, host).0.unwrap()
    }

    #[test]
    fn site_suffixes_and_prefixes_are_cut() {
        assert_eq!(title("A story - The Daily Monitor", &[], Some("The Daily Monitor"), None), "A story");
        assert_eq!(title("Daily Monitor | A story", &[], None, Some("dailymonitor")), "A story");
        assert_eq!(title("Iran: a story - with a dash", &[], None, Some("example")), "Iran: a story - with a dash");
        assert_eq!(title("Bulletin 12 :: Remember 1988", &["Remember 1988"], None, None), "Remember 1988");
        assert_eq!(title("Site", &["Real headline"], Some("Site"), None), "Real headline");
    }

    #[test]
    fn a_header_showing_todays_date_loses_to_the_article_date() {
        let doc = Document::from(
            r#"<body><div class="top-date">Monday 3 March 2025</div><h1>T</h1>
            <span class="post-date">14 September 2018</span><time class="updated" datetime="2018-09-15">x</time></body>"#,
        );
        let (published, updated) = dates_in_body(&doc.body().unwrap());
        assert_eq!(published.as_deref(), Some("14 September 2018"));
        assert_eq!(updated.as_deref(), Some("2018-09-15"));
        let doc = Document::from(
            r#"<body><div class="top-date">Monday 3 March 2025</div><h1>T</h1>
            <span itemprop="datePublished" content="2018-09-14">Sept 14</span></body>"#,
        );
        assert_eq!(dates_in_body(&doc.body().unwrap()).0.as_deref(), Some("2018-09-14"));
    }

    #[test]
    fn languages_are_tags() {
        assert_eq!(language_tag("fr_FR").as_deref(), Some("fr-FR"));
        assert_eq!(language_tag(" en, fr").as_deref(), Some("en"));
        assert_eq!(language_tag("English (US)"), None);
    }

    #[test]
    fn bylines_lose_prefixes_and_trailing_dates() {
        assert_eq!(clean_byline("By  Jane Doe | 14 Sept 2018").as_deref(), Some("Jane Doe"));
        assert_eq!(clean_byline("Reported by PMOI/MEK").as_deref(), Some("PMOI/MEK"));
        assert_eq!(clean_byline("Par Louise Martin").as_deref(), Some("Louise Martin"));
        assert_eq!(clean_byline("https://facebook.com/someone"), None);
    }

    #[test]
    fn host_labels_skip_second_level_suffixes() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(host_label(&u("https://www.bbc.co.uk/x")).as_deref(), Some("bbc"));
        assert_eq!(host_label(&u("https://news.example.org/")).as_deref(), Some("example"));
    }

    #[test]
    fn tags_split_on_latin_and_arabic_commas() {
        let v = vec!["Iran, UN; iran".to_string(), "ایران، اعدام".to_string()];
        assert_eq!(split_tags(&v), ["Iran", "UN", "ایران", "اعدام"]);
    }
}
