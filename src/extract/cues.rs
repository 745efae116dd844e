//! The cues a line of an article page gives about its head: how dates are written (in
//! English, French, German and Spanish; month names from [`crate::date`]), which labels
//! announce a published or updated date, how a dateline opens a paragraph, which words open
//! a byline, and [`Hints`], what such lines told once they were read.
//!
//! Patterns and what they found only: `lines` decides which blocks to drop, `meta` reads the
//! page's markup; both use these cues, and this module uses neither.

use std::sync::LazyLock;

use regex::Regex;

/// What the removed lines said.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Hints {
    pub byline: Option<String>,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub standfirst: Option<String>,
}

/// Any month name [`crate::date`] knows, as a regular-expression alternation.
static MONTHS: LazyLock<String> = LazyLock::new(|| {
    let names: Vec<String> = crate::date::month_names().into_iter().map(regex::escape).collect();
    format!(r"(?:{})\b\.?", names.join("|"))
});
const WEEKDAYS: &str =
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\.?,?\s+";

static DATE: LazyLock<String> = LazyLock::new(|| {
    let months = &*MONTHS;
    format!(
        r"(?i:(?:{WEEKDAYS})?(?:{months}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th|er)?\.?\s+(?:de\s+|of\s+)?{months},?\s+(?:de\s+)?\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}(?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}})?(?:Z|[+-]\d{{2}}:?\d{{2}})?)?|\d{{1,2}}[./]\d{{1,2}}[./]\d{{4}}))"
    )
});
const TIME: &str = r"(?:,?\s*(?i:at|à|um|a las|-)?\s*\d{1,2}[:h.]\d{2}(?:\s*(?i:[ap]\.?m\.?))?(?:\s*(?:[A-Z]{2,5}|GMT[+-]?\d*|UTC[+-]?\d*))?)?";

pub(super) static DATE_TIME_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("{}{TIME}", *DATE)).expect("date regex"));

pub(super) static DATE_LINE_RE: LazyLock<Regex> = LazyLock::new(|| {
    let labels = r"(?i:first published(?: on)?|published(?: on)?|posted(?: on)?|publication date|dated|date|last updated(?: on)?|updated(?: on)?|modified|publié le|publié|mis à jour le|mis à jour|veröffentlicht(?: am)?|aktualisiert(?: am)?|publicado(?: el)?|actualizado(?: el)?)";
    Regex::new(&format!(r"^(?:(?P<label>{labels})\s*:?\s*)?(?P<date>{}{TIME})\s*\.?$", *DATE)).expect("date line regex")
});

pub(super) static DATELINE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?:\p{{Lu}}[\p{{L}}\p{{M}}.'’ -]{{1,40}}(?:\s*\([^)]{{1,40}}\))?,\s+)?(?P<date>{})\s*[-–—:|]+\s*\S",
        *DATE
    ))
    .expect("dateline regex")
});

static BYLINE_PREFIX_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?i:(?:reported|written|posted|story|text|words|compiled|edited|interview|report)\s+by|by|par|von|por|di|door|بقلم|نوشته|گزارش)\s*:?\s+").expect("byline regex")
});

/// The first date (with its time of day, if any) in `text`, as written.
pub(super) fn date_in(text: &str) -> Option<String> {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    DATE_TIME_RE.find(&collapsed).map(|m| m.as_str().trim().trim_end_matches(',').to_string())
}

/// "By Jane" → "Jane"; anything else unchanged.
pub(super) fn strip_byline_prefix(s: &str) -> &str {
    BYLINE_PREFIX_RE.find(s).map_or(s, |m| &s[m.end()..])
}
