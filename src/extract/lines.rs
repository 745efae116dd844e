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
    DATE_LINE_RE, DATE_TIME_RE, DATELINE_RE, DateKind, Hints, date_in, date_label_kind, strip_byline_prefix,
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
        if !body_started
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
        if chars <= 160
            && let Some(dates) = date_line(&text)
        {
            for (is_update, date) in dates {
                if is_update {
                    hints.updated.get_or_insert(date);
                } else {
                    hints.published.get_or_insert(date);
                }
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

/// Tidies `blocks` in place and returns what the removed lines revealed.
pub(super) fn tidy(blocks: &mut Vec<Block>, found: &Found) -> Hints {
    let mut hints = Hints::default();
    drop_junk(blocks);
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
