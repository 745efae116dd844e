//! Line-level tidying of the extracted blocks, and what those lines reveal.
//!
//! Readability keeps some debris that only its text gives away: ad-slot sizes
//! ("728 x 90"), "Advertisement" labels, share/cookie/newsletter lines, "Related: …" and
//! "Lire aussi" links, "Tags:" lines, a related-links list under a "Most read" heading,
//! a repeated title, "Reported by …" / "By …" and "Posted: 28 August 2004" lines at the top, the
//! same caption or standfirst twice in a row, and link lists or copyright lines at the end.
//! [`tidy`] removes them and returns what they told (byline, dates, standfirst) as
//! [`Hints`]; a dateline ("Sept. 14, 2018 - …") is read but kept in the text.
//!
//! The rules are about the *shape* of a line, in English, French, German, Spanish, Persian
//! and Arabic where the words matter; nothing here knows any particular site.

use std::sync::LazyLock;

use regex::Regex;

use super::blocks::Block;
use super::cues::{
    DATE_LABELS, DATE_LINE_RE, DATE_TIME_RE, DATELINE_RE, DateKind, Hints, date_in, date_label_kind,
    strip_byline_prefix,
};
use super::meta::Found;
use crate::article::fold_compact as fold;

/// How many leading blocks may hold a byline, date line or repeated title.
const LEAD: usize = 8;

static AD_SIZE_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\(?\s*\d{2,4}\s*[x×X*]\s*\d{2,4}\s*(?:px)?\s*\)?$").expect("ad size regex"));

static TAGS_LINE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?i:tags?|tagged(?: with)?|filed under|posted in|categories|category|topics|keywords|mots[- ]cl[ée]s|th[èe]mes|schlagw[öo]rter|etiquetas)\s*:?\s").expect("tags regex")
});

/// Lines that are only an ad label or a page-furniture label.
const JUNK_LABELS: &[&str] = &[
    "advertisement",
    "advertisment",
    "advertising",
    "ad",
    "ads",
    "sponsored",
    "sponsored content",
    "paid content",
    "promoted",
    "continue reading below",
    "story continues below advertisement",
    "article continues below",
    "article continues below advertisement",
    "scroll to continue with content",
    "continue reading the main story",
    "skip advertisement",
    "supported by",
    "loading",
    "listen to this article",
    "print this page",
    "share this article",
    "share this story",
    "skip to main content",
    "skip to content",
    "back to top",
    "save",
    "save article",
    "give this article",
    "gift this article",
    "publicité",
    "anzeige",
    "werbung",
    "publicidad",
    "pubblicità",
    "реклама",
    "إعلان",
    "اعلان",
    "تبلیغات",
    "آگهی",
];

const SHARE_WORDS: &[&str] = &[
    "share",
    "shares",
    "this",
    "article",
    "story",
    "post",
    "page",
    "on",
    "via",
    "the",
    "to",
    "facebook",
    "twitter",
    "x",
    "whatsapp",
    "telegram",
    "linkedin",
    "email",
    "e-mail",
    "mail",
    "print",
    "tweet",
    "pinterest",
    "reddit",
    "messenger",
    "copy",
    "link",
    "url",
    "flipboard",
    "pocket",
    "tumblr",
    "vk",
    "bluesky",
    "threads",
    "mastodon",
    "partager",
    "partagez",
    "sur",
    "envoyer",
    "par",
    "imprimer",
    "teilen",
    "compartir",
    "condividi",
    "اشتراک",
    "اشتراک‌گذاری",
    "فیس‌بوک",
    "توییتر",
    "تلگرام",
    "مشاركة",
    "|",
    "·",
    "•",
];
const SHARE_PLATFORMS: &[&str] = &[
    "share",
    "facebook",
    "twitter",
    "whatsapp",
    "telegram",
    "linkedin",
    "email",
    "e-mail",
    "print",
    "tweet",
    "pinterest",
    "reddit",
    "partager",
    "imprimer",
    "teilen",
    "compartir",
    "اشتراک",
    "اشتراک‌گذاری",
    "مشاركة",
];

const RELATED_LABELS: &[&str] = &[
    "more",
    "related",
    "related articles",
    "related posts",
    "related stories",
    "related content",
    "related news",
    "related coverage",
    "related reading",
    "related links",
    "related topics",
    "read more",
    "read also",
    "also read",
    "read next",
    "see also",
    "more on this",
    "more on this story",
    "more stories",
    "more news",
    "you may also like",
    "you might also like",
    "you may also be interested in",
    "recommended",
    "recommended for you",
    "recommended stories",
    "most read",
    "most popular",
    "most viewed",
    "trending",
    "trending now",
    "top stories",
    "latest news",
    "latest",
    "latest stories",
    "editor's picks",
    "editors' picks",
    "don't miss",
    "in other news",
    "lire aussi",
    "à lire aussi",
    "a lire aussi",
    "lire également",
    "voir aussi",
    "sur le même sujet",
    "les plus lus",
    "lesen sie auch",
    "mehr zum thema",
    "lee también",
    "leer más",
    "noticias relacionadas",
    "leggi anche",
    "اقرأ أيضا",
    "اقرأ أيضاً",
    "مقالات ذات صلة",
    "خبرهای مرتبط",
    "مطالب مرتبط",
    "بیشتر بخوانید",
    "همچنین بخوانید",
    "بخوانید",
];

/// A photo credit on a line of its own: "Photo: Jane Doe, AP", "Image copyright Getty
/// Images", "(Image: GETTY)", "Credit: EPA", "Image 1 of 5", "Foto: dpa".
static CREDIT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\(?(?i:(?:(?:photo|image|picture|pic|video|foto|bild|illustration)s?\s*(?:copyright|credit|courtesy(?: of)?|by|:)|credits?\s*:|©|copyright\b|getty images\b|(?:image|photo|slide|bild|foto)\s+\d+\s+(?:of|/|von|de|sur)\s+\d+\b))")
        .expect("credit regex")
});

/// A credit line, and short: a sentence that starts "Photo: …" and goes on is a caption.
fn is_credit_line(text: &str) -> bool {
    text.chars().count() <= 80 && text.split_whitespace().count() <= 10 && CREDIT_RE.is_match(text)
}

/// Letters all in capitals (at least ten cased ones): a shouted line.
fn all_caps(text: &str) -> bool {
    let cased: Vec<char> = text.chars().filter(|c| c.is_lowercase() || c.is_uppercase()).collect();
    cased.len() >= 10 && cased.iter().all(|c| c.is_uppercase())
}

/// A headline of another story or an app promotion set in the body, in capitals: a line
/// that is all link, or a shouted "CLICK HERE …" call to action.
fn is_shouted_promo(b: &Block, text: &str) -> bool {
    let lower = text.to_lowercase();
    all_caps(text)
        && text.chars().count() <= 160
        && (link_share(b) >= 0.9
            || ["click here", "download the", "get the", "sign up"].iter().any(|p| lower.starts_with(p)))
}

/// A paragraph that is nothing but one short link pointing back or on ("« Back to the front
/// page", "Next article →"): navigation, not text.
fn is_nav_link_line(b: &Block, text: &str) -> bool {
    let arrows = |c: char| "«»‹›←→<>⟵⟶↩".contains(c);
    let lower = text.to_lowercase();
    text.chars().count() <= 60
        && link_share(b) >= 0.9
        && (text.starts_with(arrows)
            || text.ends_with(arrows)
            || ["back to ", "return to ", "go to ", "zurück zu", "retour "].iter().any(|p| lower.starts_with(p)))
}

/// Lower-case text without surrounding punctuation or whitespace, for label comparisons.
fn label(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase()
}

fn link_share(b: &Block) -> f64 {
    let (chars, links) = b.char_counts();
    if chars == 0 { 0.0 } else { links as f64 / chars as f64 }
}

/// Mostly link text: a list of links, a "more stories" line.
fn link_dominated(b: &Block) -> bool {
    match b {
        Block::List { items, .. } => {
            !items.is_empty()
                && items.iter().all(|it| {
                    let (c, l) = it.iter().fold((0, 0), |(a, x), b| {
                        let (c, l) = b.char_counts();
                        (a + c, x + l)
                    });
                    c > 0 && l * 10 >= c * 6
                })
        }
        Block::Figure { .. } => false,
        other => link_share(other) >= 0.7,
    }
}

fn is_share_line(text: &str) -> bool {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ':' | '/'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    !words.is_empty()
        && words.len() <= 12
        && words.iter().all(|w| SHARE_WORDS.contains(&w.as_str()))
        && words.iter().any(|w| SHARE_PLATFORMS.contains(&w.as_str()))
}

fn is_cookie_line(lower: &str) -> bool {
    lower.contains("cookie")
        && [
            "we use",
            "this site uses",
            "this website uses",
            "accept",
            "consent",
            "utilise des cookies",
            "utilisons des cookies",
            "verwendet cookies",
            "utiliza cookies",
        ]
        .iter()
        .any(|p| lower.contains(p))
}

fn is_newsletter_line(lower: &str) -> bool {
    lower.contains("newsletter")
        && [
            "sign up",
            "subscribe",
            "inscri",
            "abonne",
            "get the",
            "receive",
            "recevez",
            "delivered",
            "inbox",
            "anmelden",
            "suscr",
        ]
        .iter()
        .any(|p| lower.contains(p))
}

/// "Related: <link>", "Lire aussi | <link>", "READ MORE: <link>".
fn is_related_link_line(b: &Block, text: &str) -> bool {
    let lower = text.to_lowercase();
    RELATED_LABELS.iter().any(|l| {
        lower.starts_with(l)
            && lower[l.len()..].chars().next().is_some_and(|c| c.is_whitespace() || ":|–—-»>".contains(c))
    }) && link_share(b) >= 0.5
}

fn is_related_label(b: &Block) -> bool {
    let text = b.text();
    text.chars().count() <= 40 && RELATED_LABELS.contains(&label(&text).as_str())
}

/// A line that is debris wherever it appears.
fn is_junk(b: &Block) -> bool {
    let text = b.text();
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return !b.has_images();
    }
    if !matches!(b, Block::Para(_) | Block::Heading(..)) {
        return false;
    }
    let chars = trimmed.chars().count();
    let lower = trimmed.to_lowercase();
    AD_SIZE_RE.is_match(trimmed)
        || (chars <= 60 && JUNK_LABELS.contains(&label(trimmed).as_str()))
        || (chars <= 120 && is_share_line(trimmed))
        || (chars <= 300 && is_cookie_line(&lower))
        || (chars <= 250 && is_newsletter_line(&lower))
        || (chars <= 300 && is_related_link_line(b, trimmed))
        || (chars <= 200 && TAGS_LINE_RE.is_match(trimmed) && link_share(b) >= 0.3)
        || is_credit_line(trimmed)
        || is_shouted_promo(b, trimmed)
        || is_nav_link_line(b, trimmed)
}

/// A heading that is all link: the headline of another page.
fn is_linked_heading(b: &Block) -> bool {
    matches!(b, Block::Heading(_, i) if i.chars() > 0 && i.link_chars * 10 >= i.chars() * 9)
}

/// Teaser text under a linked headline: one short paragraph, or a line of links.
fn is_teaser(b: &Block) -> bool {
    match b {
        Block::Para(i) => i.chars() - i.link_chars <= 160 || link_dominated(b),
        Block::Figure { .. } => true,
        _ => false,
    }
}

/// A short label announcing a box of links: "More:", "Further reading on this blog:".
fn is_box_label(b: &Block) -> bool {
    let text = b.text();
    let text = text.trim();
    matches!(b, Block::Para(_) | Block::Heading(..))
        && !is_linked_heading(b)
        && text.chars().count() <= 50
        && (text.ends_with(':') || is_related_label(b))
}

/// Removes boxes of teasers set in or around the article: runs of linked headlines with at
/// most a picture, a section label and a short teaser between one and the next — three or
/// more, or two with nothing between them (with the label above them, "More:"). A linked
/// headline followed by real text is a section of the article (a list of tools, each
/// heading linking to its site) and stays. Lists whose every item is a linked headline (with
/// a teaser) go too.
fn drop_teaser_runs(blocks: &mut Vec<Block>) {
    let mut i = 0;
    while i < blocks.len() {
        if !is_linked_heading(&blocks[i]) {
            i += 1;
            continue;
        }
        let (mut heads, mut end, mut bare) = (1, i + 1, true);
        let mut k = i + 1;
        loop {
            let mut m = k;
            while m < blocks.len() && m - k < 4 && is_teaser(&blocks[m]) {
                m += 1;
            }
            if m < blocks.len() && is_linked_heading(&blocks[m]) {
                bare &= blocks[k..m].iter().all(|b| matches!(b, Block::Figure { .. }));
                heads += 1;
                end = m + 1;
                k = m + 1;
                continue;
            }
            if m == blocks.len() || matches!(blocks[m], Block::Heading(..)) {
                // the last headline's teaser, before the next section or the end
                end = m;
            }
            break;
        }
        if heads >= 3 || (heads >= 2 && bare) {
            let start = if i > 0 && is_box_label(&blocks[i - 1]) { i - 1 } else { i };
            blocks.drain(start..end);
            i = start;
            continue;
        }
        i += 1;
    }
    blocks.retain(|b| match b {
        Block::List { items, .. } => {
            !(items.len() >= 2
                && items.iter().all(|it| it.first().is_some_and(is_linked_heading) && it[1..].iter().all(is_teaser)))
        }
        _ => true,
    });
    for b in blocks.iter_mut() {
        if let Block::Quote(children) = b {
            drop_teaser_runs(children);
        }
    }
}

/// Drops junk lines at every level (inside quotes and list items too).
fn drop_junk(blocks: &mut Vec<Block>) {
    blocks.retain(|b| !is_junk(b));
    for b in blocks.iter_mut() {
        match b {
            Block::Quote(children) => drop_junk(children),
            Block::List { items, .. } => {
                for item in items.iter_mut() {
                    drop_junk(item);
                }
                items.retain(|it| !it.is_empty());
            }
            _ => {}
        }
    }
    blocks.retain(|b| match b {
        Block::Quote(c) => !c.is_empty(),
        Block::List { items, .. } => !items.is_empty(),
        _ => true,
    });
}

/// Removes "Most read"-style labels together with the links listed under them.
fn drop_related_sections(blocks: &mut Vec<Block>) {
    let mut i = 0;
    while i < blocks.len() {
        if is_related_label(&blocks[i]) {
            let mut j = i + 1;
            while j < blocks.len() && link_dominated(&blocks[j]) {
                j += 1;
            }
            if j > i + 1 || j == blocks.len() {
                blocks.drain(i..j);
                continue;
            }
        }
        i += 1;
    }
}

/// Text for duplicate comparison.
fn dup_key(b: &Block) -> String {
    b.text().split_whitespace().collect::<Vec<_>>().join(" ").trim_end_matches(['.', ':', ',', ';']).to_lowercase()
}

/// Removes a block that repeats the one before it (captions and standfirsts printed twice),
/// or, among the first blocks, any earlier one (a standfirst repeated after the lead
/// image); returns whether the first block was repeated. One pass: a page of a hundred
/// thousand repeated lines costs as much as any other page of its size.
fn drop_repeats(blocks: &mut Vec<Block>) -> bool {
    let mut first_repeated = false;
    // The blocks kept so far, with their keys.
    let mut kept: Vec<(String, Block)> = Vec::with_capacity(blocks.len());
    for block in blocks.drain(..) {
        let key = dup_key(&block);
        let i = kept.len();
        let earlier = if i == 0 || key.is_empty() {
            None
        } else if i < LEAD {
            (0..i).find(|&j| kept[j].0 == key)
        } else {
            (kept[i - 1].0 == key).then_some(i - 1)
        };
        match earlier {
            Some(j) => {
                if j == 0 {
                    first_repeated = true;
                }
                // keep the copy that carries the image, where the later copy stood
                if matches!(block, Block::Figure { .. }) && !matches!(kept[j].1, Block::Figure { .. }) {
                    kept.remove(j);
                    kept.push((key, block));
                }
            }
            None => kept.push((key, block)),
        }
    }
    blocks.extend(kept.into_iter().map(|(_, b)| b));
    for b in blocks.iter_mut() {
        if let Block::Quote(children) = b {
            drop_repeats(children);
        }
    }
    first_repeated
}

/// Words that may sit between names and dates on a byline line.
const BYLINE_GLUE: &[&str] = &[
    "by",
    "and",
    "und",
    "et",
    "y",
    "e",
    "par",
    "von",
    "por",
    "with",
    "published",
    "updated",
    "posted",
    "on",
    "at",
    "le",
    "publié",
    "mis",
    "à",
    "jour",
    "reporting",
    "photos",
    "photo",
    "words",
    "text",
    "report",
    "reported",
    "written",
];

/// A line made of the known author names, dates and glue words only: "Jane Doe and Jo Roe
/// 20 Aug 2021". Returns the date it carries (if any) when it is such a line.
fn author_date_line(text: &str, byline: Option<&str>) -> Option<Option<String>> {
    let byline = byline?;
    let names: Vec<&str> = byline.split([',', '&']).map(str::trim).filter(|n| n.chars().count() >= 3).collect();
    if names.is_empty() || !names.iter().any(|n| text.contains(n)) {
        return None;
    }
    let mut rest = DATE_TIME_RE.replace_all(text, " ").to_string();
    for n in &names {
        rest = rest.replace(n, " ");
    }
    let leftover = rest
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .any(|w| !BYLINE_GLUE.contains(&w.to_lowercase().as_str()));
    (!leftover).then(|| date_in(text))
}

/// "Jane Doe and John Roe", "PMOI/MEK", "Reuters staff | 2 May": starts with a capital
/// (or an uncased script), is short, and most words are capitalised. "By 2030, the UN…"
/// and "By Sunday, the protesters had…" are not names.
fn looks_like_names(rest: &str) -> bool {
    let head = rest.split(['|', '·', '•', '—', '–']).next().unwrap_or(rest);
    let words: Vec<&str> = head.split_whitespace().collect();
    let capital = |w: &&str| w.chars().next().is_some_and(|c| c.is_alphabetic() && !c.is_lowercase());
    !words.is_empty()
        && words.len() <= 10
        && capital(&words[0])
        && words.iter().filter(|w| capital(w)).count() * 2 > words.len()
}

/// A list near the top whose items are all short labels (dates, times, tools), not
/// sentences: returns the dates it holds.
fn meta_list(items: &[Vec<Block>]) -> Option<Vec<String>> {
    let texts: Vec<String> = items.iter().map(|it| it.iter().map(Block::text).collect::<Vec<_>>().join(" ")).collect();
    let label_like = |t: &String| {
        let t = t.trim();
        let n = t.chars().count();
        n <= 40 && !t.ends_with(['.', '!', '?', ':', '»', '”', '"']) && t.split_whitespace().count() <= 6
    };
    if texts.is_empty() || !texts.iter().all(label_like) {
        return None;
    }
    Some(texts.iter().filter_map(|t| date_in(t)).collect())
}

/// A line of one or more labelled dates ("Posted: 28 August 2004", "Publié le … - Mis à
/// jour le …"): each date with whether it is an update.
fn date_line(text: &str) -> Option<Vec<(bool, String)>> {
    let read = |seg: &str| {
        let c = DATE_LINE_RE.captures(seg.trim())?;
        let date = c["date"].trim().trim_end_matches(',').to_string();
        let is_update = c.name("label").and_then(|l| date_label_kind(l.as_str())) == Some(DateKind::Updated);
        Some((is_update, date))
    };
    if let Some(one) = read(text) {
        return Some(vec![one]);
    }
    static SEPARATOR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s+[-|·•—–]\s+").expect("separator regex"));
    let segs: Vec<&str> = SEPARATOR.split(text).filter(|s| !s.trim().is_empty()).collect();
    if segs.len() < 2 {
        return None;
    }
    segs.iter().map(|s| read(s)).collect()
}

/// A labelled time stamp however its parts are ordered ("Updated 3:42 PM ET, Thu October
/// 24, 2019"): a date label, a date, and little else (times, zones, weekdays).
fn date_stamp(text: &str) -> Option<(bool, String)> {
    let lower = text.to_lowercase();
    let label = DATE_LABELS.iter().filter(|c| c.pages).find(|c| {
        lower.starts_with(c.words)
            && lower[c.words.len()..].chars().next().is_some_and(|n| n.is_whitespace() || n == ':')
    })?;
    let date = date_in(text)?;
    let rest = text[label.words.len()..].replace(&date, " ");
    let words = rest.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).count();
    (words <= 6).then(|| (label.means == DateKind::Updated, date))
}

/// Reads and removes byline, date and repeated-title lines among the first blocks, and the
/// short labels printed above the title (kickers such as "Press release"); reads a
/// dateline.
fn lead_lines(blocks: &mut Vec<Block>, found: &Found, hints: &mut Hints) {
    let title = found.title.as_deref().map(fold).unwrap_or_default();
    let byline = found.byline.as_deref().map(fold).unwrap_or_default();
    if !title.is_empty()
        && let Some(t) = blocks
            .iter()
            .take(LEAD)
            .position(|b| matches!(b, Block::Para(_) | Block::Heading(..)) && fold(&b.text()) == title)
    {
        let mut i = 0;
        blocks.retain(|b| {
            let keep = i >= t || b.has_images() || b.text().chars().count() > 60;
            i += 1;
            keep
        });
    }
    let mut i = 0;
    // header lists (dates, tools) come before the story's first paragraphs
    let mut long_paras = 0;
    let mut body_started = false;
    while i < blocks.len().min(LEAD) {
        let b = &blocks[i];
        if let Block::Para(p) = b {
            let n = p.chars();
            long_paras += usize::from(n >= 80);
            body_started |= n >= 200 || long_paras >= 2;
        }
        let under_heading = i > 0 && matches!(blocks[i - 1], Block::Heading(..));
        if !body_started
            && !under_heading
            && let Block::List { items, .. } = b
            && let Some(dates) = meta_list(items)
        {
            // "Sept. 12, 2020 · Updated 10:20 a.m. ET", "Share · Save": a list of labels
            for d in dates {
                hints.published.get_or_insert(d);
            }
            blocks.remove(i);
            continue;
        }
        if !matches!(b, Block::Para(_) | Block::Heading(..)) {
            i += 1;
            continue;
        }
        let text = b.text().split_whitespace().collect::<Vec<_>>().join(" ");
        let chars = text.chars().count();
        let folded = fold(&text);

        if !title.is_empty() && folded == title {
            blocks.remove(i);
            continue;
        }
        if chars <= 60 && found.kickers.contains(&folded) {
            blocks.remove(i);
            continue;
        }
        if i == 0 && chars <= 60 && link_dominated(b) {
            // a section label or breadcrumb above the story
            blocks.remove(i);
            continue;
        }
        if chars <= 120 && !byline.is_empty() && (folded == byline || fold(strip_byline_prefix(&text)) == byline) {
            blocks.remove(i);
            continue;
        }
        if chars <= 150
            && let Some(date) = author_date_line(&text, found.byline.as_deref())
        {
            if let Some(d) = date {
                hints.published.get_or_insert(d);
            }
            blocks.remove(i);
            continue;
        }
        if chars <= 120 {
            let rest = strip_byline_prefix(&text);
            let name_like = rest.len() < text.len() && looks_like_names(rest);
            if name_like {
                hints.byline.get_or_insert_with(|| rest.to_string());
                if let Some(d) = date_in(rest) {
                    hints.published.get_or_insert(d);
                }
                blocks.remove(i);
                continue;
            }
        }
        let dates = if chars <= 100 { date_stamp(&text).map(|d| vec![d]) } else { None };
        if let Some(dates) = dates.or_else(|| if chars <= 160 { date_line(&text) } else { None }) {
            for (is_update, date) in dates {
                let hint = if is_update { &mut hints.updated } else { &mut hints.published };
                hint.get_or_insert(date);
            }
            blocks.remove(i);
            continue;
        }
        if chars <= 80
            && let Some(date) = date_in(&text)
            && text.replace(&date, " ").split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).count() <= 4
        {
            // a meta line: "Wire staff 6 September 2019", "Tehran · 14 Sept 2018"
            hints.published.get_or_insert(date);
            blocks.remove(i);
            continue;
        }
        if let Some(c) = DATELINE_RE.captures(&text) {
            hints.published.get_or_insert_with(|| c["date"].trim().to_string());
        }
        i += 1;
    }
}

/// A standfirst: the first block, when it was printed twice or is set apart (a heading,
/// or a paragraph entirely in italics or bold), reads like a sentence, and precedes text.
fn standfirst(blocks: &[Block], first_repeated: bool, found: &Found) -> Option<String> {
    let first = blocks.first()?;
    blocks.get(1)?;
    let text = first.text();
    let chars = text.chars().count();
    if !(40..=400).contains(&chars) || text.split_whitespace().count() < 6 {
        return None;
    }
    if found.title.as_deref().is_some_and(|t| fold(t) == fold(&text)) {
        return None;
    }
    let set_apart = match first {
        Block::Heading(..) => true,
        Block::Para(i) => {
            let h = i.html.trim();
            (h.starts_with("<em>") && h.ends_with("</em>")) || (h.starts_with("<strong>") && h.ends_with("</strong>"))
        }
        _ => false,
    };
    (first_repeated || set_apart).then_some(text)
}

static PRINT_NOTE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?i:a version of this (?:article|story) appear(?:s|ed) in print|this (?:article|story) (?:appeared|appears) in (?:the )?print)").expect("print note regex")
});

/// A company's description closing a page ("About Acme: Acme is a leading…", "X is a unit
/// of Y … For more information visit …").
static BOILERPLATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?i:about [^.:]{2,60}:|.{2,80}\b(?:is|are) (?:a|an|the) (?:unit|division|subsidiary|part|member|brand) of\b|.{2,80}\b(?:is|are) (?:a|an|the) (?:leading|global|world's leading) (?:provider|publisher|company|network|producer|supplier)\b)")
        .expect("boilerplate regex")
});

/// True when the block before the last one labels the last as sources or references,
/// which are content even when every item is a link.
fn under_reference_label(blocks: &[Block]) -> bool {
    static REFERENCES: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(?:sources?|references?|notes|footnotes|bibliography|documents|further reading|quellen|r[ée]f[ée]rences|منابع|المصادر)\b")
            .expect("references regex")
    });
    blocks.len() >= 2 && {
        let label = blocks[blocks.len() - 2].text();
        label.chars().count() <= 60 && REFERENCES.is_match(&label)
    }
}

/// Drops trailing link lists, lone headings and copyright lines.
fn trim_tail(blocks: &mut Vec<Block>) {
    while let Some(last) = blocks.last() {
        let text = last.text();
        let lower = text.to_lowercase();
        let chars = text.chars().count();
        let junk = match last {
            Block::Heading(..) => true,
            Block::Figure { .. } | Block::Pre(_) | Block::Quote(_) => false,
            Block::List { .. } => link_dominated(last) && !under_reference_label(blocks),
            Block::Para(_) => {
                PRINT_NOTE_RE.is_match(&text)
                    || (chars <= 500 && BOILERPLATE_RE.is_match(&text))
                    || chars <= 200
                        && (link_dominated(last)
                            || lower.contains('©')
                            || lower.contains("copyright")
                            || lower.contains("all rights reserved")
                            || lower.contains("tous droits réservés"))
            }
        };
        if !junk || blocks.len() == 1 {
            break;
        }
        blocks.pop();
    }
}

/// A line that ends a press release ("###", "-30-", "ENDS"): what follows is the sender's
/// boilerplate and contacts.
fn is_end_mark(b: &Block) -> bool {
    let t: String = b.text().chars().filter(|c| !c.is_whitespace()).collect();
    matches!(b, Block::Para(_)) && matches!(t.to_lowercase().as_str(), "###" | "-30-" | "-ends-")
}

/// A short "About Acme" heading among the last blocks, over at most three paragraphs: the
/// company's description closing a release.
fn is_about_section(blocks: &[Block], i: usize) -> bool {
    let Block::Heading(_, h) = &blocks[i] else { return false };
    let rest = &blocks[i + 1..];
    h.text.chars().count() <= 60
        && h.text.starts_with("About ")
        && h.text[6..].starts_with(|c: char| c.is_uppercase())
        && rest.len() <= 3
        && rest.iter().all(|b| matches!(b, Block::Para(_)) && b.text().chars().count() <= 600)
}

/// Cuts the page at a press release's end mark or closing "About …" section.
fn cut_closing_boilerplate(blocks: &mut Vec<Block>) {
    let end = blocks.iter().position(is_end_mark).filter(|&i| i > 0);
    let about = (0..blocks.len()).find(|&i| i > 0 && is_about_section(blocks, i));
    if let Some(cut) = [end, about].into_iter().flatten().min() {
        blocks.truncate(cut);
    }
}

/// A caption written as a plain paragraph right under a picture, known by the credit it
/// carries ("La calanque de Sugiton. © Nicolas Tucat / AFP"): it joins the figure.
fn adopt_captions(blocks: &mut Vec<Block>) {
    static CREDIT_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"©|\((?i:photo|image|foto|credit)[^)]{0,60}\)|\b(?i:photo|image|foto|bild|credit)s?\s*(?::|by)\s*\S",
        )
        .expect("credit regex")
    });
    let mut i = 1;
    while i < blocks.len() {
        let adopt = matches!(&blocks[i - 1], Block::Figure { images, caption: None } if !images.is_empty())
            && matches!(&blocks[i], Block::Para(p) if p.chars() <= 250 && CREDIT_IN_TEXT.is_match(&p.text));
        if adopt {
            let Block::Para(text) = blocks.remove(i) else { continue };
            if let Block::Figure { caption, .. } = &mut blocks[i - 1] {
                *caption = Some(text);
            }
        }
        i += 1;
    }
}

/// Tidies `blocks` in place and returns what the removed lines revealed.
pub(super) fn tidy(blocks: &mut Vec<Block>, found: &Found) -> Hints {
    let mut hints = Hints::default();
    adopt_captions(blocks);
    cut_closing_boilerplate(blocks);
    drop_junk(blocks);
    drop_teaser_runs(blocks);
    drop_related_sections(blocks);
    lead_lines(blocks, found, &mut hints);
    let first_repeated = drop_repeats(blocks);
    trim_tail(blocks);
    hints.standfirst = standfirst(blocks, first_repeated, found);
    hints
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::blocks::{Inline, to_text};

    fn p(text: &str) -> Block {
        Block::Para(Inline { html: text.to_string(), text: text.to_string(), link_chars: 0 })
    }

    fn link(text: &str) -> Block {
        Block::Para(Inline {
            html: format!("<a href=\"https://x.example/\">{text}</a>"),
            text: text.to_string(),
            link_chars: text.chars().count(),
        })
    }

    #[test]
    fn dates_are_found_as_written() {
        assert_eq!(date_in("Sept. 14, 2018 - In a conference").as_deref(), Some("Sept. 14, 2018"));
        assert_eq!(date_in("14 September 2018, 12:01 UTC").as_deref(), Some("14 September 2018, 12:01 UTC"));
        assert_eq!(date_in("Publié le 14 septembre 2018 à 10h32").as_deref(), Some("14 septembre 2018 à 10h32"));
        assert_eq!(date_in("no date here 2018"), None);
    }

    #[test]
    fn seed_like_lead_is_read_and_cleaned() {
        let mut blocks = vec![
            p("728 x 90"),
            p("Dignitaries, politicians reiterated the need to investigate the 1988 massacre in Iran"),
            p("Dignitaries, politicians reiterated the need to investigate the 1988 massacre in Iran"),
            p("Reported by PMOI/MEK"),
            p("Sept. 14, 2018 - In a conference held in Geneva, dignitaries spoke."),
            p("Laurence Fehlmann Rielle"),
            p("Laurence Fehlmann Rielle"),
            p("She also emphasized that some of the perpetrators are still in power."),
        ];
        let hints = tidy(&mut blocks, &Found::default());
        assert_eq!(hints.byline.as_deref(), Some("PMOI/MEK"));
        assert_eq!(hints.published.as_deref(), Some("Sept. 14, 2018"));
        assert_eq!(
            hints.standfirst.as_deref(),
            Some("Dignitaries, politicians reiterated the need to investigate the 1988 massacre in Iran")
        );
        assert_eq!(
            to_text(&blocks),
            "Dignitaries, politicians reiterated the need to investigate the 1988 massacre in Iran\n\n\
             Sept. 14, 2018 - In a conference held in Geneva, dignitaries spoke.\n\n\
             Laurence Fehlmann Rielle\n\n\
             She also emphasized that some of the perpetrators are still in power."
        );
    }

    #[test]
    fn sentences_starting_with_by_are_not_bylines() {
        for lead in [
            "By the time police arrived, the crowd had gone.",
            "By 2030, the UN expects the number to double.",
            "By Sunday, the protesters had left the square.",
        ] {
            let mut blocks = vec![p(lead), p("More text.")];
            let hints = tidy(&mut blocks, &Found::default());
            assert_eq!(hints.byline, None, "{lead}");
            assert_eq!(blocks.len(), 2, "{lead}");
        }
        for byline in ["By Jane Doe and John Smith", "By The Associated Press", "بقلم سارا احمدی"] {
            let mut blocks = vec![p(byline), p("More text.")];
            let hints = tidy(&mut blocks, &Found::default());
            assert!(hints.byline.is_some(), "{byline}");
        }
    }

    #[test]
    fn related_labels_take_their_links_with_them() {
        let mut blocks = vec![
            p("A real paragraph of the story that is long enough."),
            p("Most read"),
            link("Another story"),
            link("A third story"),
            p("The story continues after the box."),
        ];
        tidy(&mut blocks, &Found::default());
        assert_eq!(
            to_text(&blocks),
            "A real paragraph of the story that is long enough.\n\nThe story continues after the box."
        );
    }

    fn linked_heading(text: &str) -> Block {
        let Block::Para(i) = link(text) else { unreachable!() };
        Block::Heading(3, i)
    }

    fn story(n: usize) -> Block {
        p(&format!(
            "Paragraph {n} of the story, long enough to be real text and not a teaser line: {}",
            "words ".repeat(30)
        ))
    }

    #[test]
    fn teaser_boxes_go_and_the_article_stays() {
        // a "More:" box of three linked headlines inside the story
        let mut blocks = vec![
            story(1),
            p("More:"),
            linked_heading("Storm timeline"),
            linked_heading("Where to get sandbags"),
            linked_heading("Snowpack jumps"),
            story(2),
        ];
        drop_teaser_runs(&mut blocks);
        assert_eq!(blocks, vec![story(1), story(2)]);
        // headlines with short teasers: a homepage section
        let mut blocks = vec![
            linked_heading("One"),
            p("Teaser one."),
            linked_heading("Two"),
            p("Teaser two."),
            p("12 March 2019"),
            linked_heading("Three"),
            p("Teaser three."),
        ];
        drop_teaser_runs(&mut blocks);
        assert!(blocks.is_empty(), "{blocks:?}");
        // linked section headings followed by real text: a listicle, kept whole
        let mut blocks = vec![
            linked_heading("1. Tabula"),
            story(1),
            linked_heading("2. Datasette"),
            story(2),
            linked_heading("3. csvkit"),
            story(3),
        ];
        let before = blocks.clone();
        drop_teaser_runs(&mut blocks);
        assert_eq!(blocks, before);
        // one linked headline (the title) is no box
        let mut blocks = vec![linked_heading("The headline"), story(1)];
        drop_teaser_runs(&mut blocks);
        assert_eq!(blocks.len(), 2);
    }

    #[test]
    fn credits_promos_and_navigation_lines_go() {
        for junk in [
            "Photo: Themba Hadebe, AP",
            "Image copyright Getty Images",
            "(Image: GETTY)",
            "Credit: EPA",
            "Image 1 of 5",
            "Foto: Christian Charisius/dpa",
        ] {
            assert!(is_junk(&p(junk)), "{junk}");
        }
        for junk in ["CALIFORNIA UTILITY CUTS POWER TO HALF A MILLION", "« Back to the front page", "Next story →"] {
            assert!(is_junk(&link(junk)), "{junk}");
        }
        assert!(is_junk(&p("CLICK HERE TO GET THE FOX VALLEY NEWS APP")));
        for fine in [
            "Photo: the moment the bridge collapsed was caught by a passer-by who filmed it from the opposite bank.",
            "NATO said the exercise would go ahead.",
            "The Associated Press contributed to this report.",
        ] {
            assert!(!is_junk(&p(fine)), "{fine}");
        }
        assert!(!is_junk(&p("NATO AND THE EU SIGN A NEW AGREEMENT")), "capitals without a link are not a promo");
        assert!(!is_junk(&link("Back in the 1980s, the plant employed 4,000 people and exported to 40 countries.")));
    }

    #[test]
    fn time_stamps_and_company_boilerplate_go() {
        let mut blocks = vec![p("Updated 3:42 PM ET, Thu October 24, 2019"), story(1), story(2)];
        let hints = tidy(&mut blocks, &Found::default());
        assert_eq!(hints.updated.as_deref(), Some("Thu October 24, 2019"));
        assert_eq!(blocks, vec![story(1), story(2)]);
        let mut blocks = vec![
            story(1),
            story(2),
            p("Fox Valley News is a unit of Valley Media Group, a leading provider of local news."),
        ];
        tidy(&mut blocks, &Found::default());
        assert_eq!(blocks, vec![story(1), story(2)]);
    }

    #[test]
    fn a_press_release_ends_at_its_end_mark_or_about_section() {
        let about = Block::Heading(2, Inline { html: "About Acme".into(), text: "About Acme".into(), link_chars: 0 });
        let mut blocks = vec![story(1), story(2), p("###"), about.clone(), p("Acme makes things."), p("SOURCE Acme")];
        tidy(&mut blocks, &Found::default());
        assert_eq!(blocks, vec![story(1), story(2)]);
        let mut blocks = vec![story(1), story(2), about, p("Acme makes things."), p("Media contact: Jo")];
        tidy(&mut blocks, &Found::default());
        assert_eq!(blocks, vec![story(1), story(2)]);
        // a section of the story that happens to start "About" and goes on
        let about_study =
            Block::Heading(2, Inline { html: "About the study".into(), text: "About the study".into(), link_chars: 0 });
        let mut blocks = vec![story(1), about_study, story(2), story(3), story(4), story(5)];
        let before = blocks.clone();
        tidy(&mut blocks, &Found::default());
        assert_eq!(blocks, before);
    }

    #[test]
    fn a_credited_line_under_a_picture_is_its_caption() {
        let figure = Block::Figure {
            images: vec![crate::extract::blocks::Image { src: "https://x.example/a.jpg".into(), alt: String::new() }],
            caption: None,
        };
        let mut blocks =
            vec![figure, p("La calanque de Sugiton, en juillet. © Nicolas Tucat / AFP"), story(1), story(2)];
        adopt_captions(&mut blocks);
        assert_eq!(to_text(&blocks), format!("{}\n\n{}", story(1).text(), story(2).text()).trim_end());
        assert!(matches!(&blocks[0], Block::Figure { caption: Some(c), .. } if c.text.contains("Sugiton")));
    }

    #[test]
    fn a_list_under_a_heading_is_content_not_header_labels() {
        let list = Block::List {
            ordered: false,
            items: vec![vec![p("500 g de harina")], vec![p("350 ml de agua")], vec![p("10 g de sal")]],
        };
        let heading =
            Block::Heading(2, Inline { html: "Ingredientes".into(), text: "Ingredientes".into(), link_chars: 0 });
        let mut blocks = vec![p("Hacer pan es fácil."), heading, list, story(1)];
        let before = blocks.clone();
        tidy(&mut blocks, &Found::default());
        assert_eq!(blocks, before);
    }

    #[test]
    fn junk_lines_go() {
        for junk in
            ["300x250", "(728 x 90)", "ADVERTISEMENT", "Publicité", "Share on Facebook", "Twitter Facebook Email"]
        {
            assert!(is_junk(&p(junk)), "{junk}");
        }
        for fine in ["1988", "The 300 x 250 metre site", "Email your representative about the case."] {
            assert!(!is_junk(&p(fine)), "{fine}");
        }
    }
}
