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
    let labels: Vec<String> = DATE_LABELS.iter().filter(|c| c.pages).map(|c| regex::escape(c.words)).collect();
    let labels = format!("(?i:{})", labels.join("|"));
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
    let openings: Vec<String> = BYLINE_OPENINGS
        .iter()
        .filter(|c| c.pages)
        .map(|c| c.words.split(' ').map(regex::escape).collect::<Vec<_>>().join(r"\s+"))
        .collect();
    Regex::new(&format!(r"^(?i:{})\s*:?\s+", openings.join("|"))).expect("byline regex")
});

/// One cue word or phrase, what it announces, and which readers act on it: `files` for
/// imported article files (`import::head`), `pages` for fetched pages (`extract::lines`).
/// Where only one reader uses a cue, it is because the other was never taught it, not a
/// rule; widening one is a behaviour change to make with a test.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cue<K> {
    /// Lowercase, words separated by one space.
    pub words: &'static str,
    pub means: K,
    pub files: bool,
    pub pages: bool,
}

const fn cue<K>(words: &'static str, means: K, files: bool, pages: bool) -> Cue<K> {
    Cue { words, means, files, pages }
}

/// Which date a labelled date line gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateKind {
    Published,
    Updated,
}

/// Labels before a date ("Published: …", "Mis à jour le …"), a longer label before any
/// label it starts with.
pub(crate) const DATE_LABELS: &[Cue<DateKind>] = {
    use DateKind::{Published, Updated};
    &[
        cue("originally published", Published, true, false),
        cue("first published on", Published, false, true),
        cue("first published", Published, true, true),
        cue("publication date", Published, false, true),
        cue("last updated on", Updated, false, true),
        cue("last modified", Updated, true, false),
        cue("last updated", Updated, true, true),
        cue("published on", Published, true, true),
        cue("mis à jour le", Updated, false, true),
        cue("veröffentlicht am", Published, false, true),
        cue("veröffentlicht", Published, false, true),
        cue("aktualisiert am", Updated, false, true),
        cue("aktualisiert", Updated, false, true),
        cue("actualizado el", Updated, false, true),
        cue("actualizado", Updated, false, true),
        cue("publicado el", Published, false, true),
        cue("publicado", Published, false, true),
        cue("mis à jour", Updated, false, true),
        cue("updated on", Updated, true, true),
        cue("published", Published, true, true),
        cue("posted on", Published, true, true),
        cue("publié le", Published, false, true),
        cue("modified", Updated, true, true),
        cue("updated", Updated, true, true),
        cue("posted", Published, true, true),
        cue("publié", Published, false, true),
        cue("dated", Published, true, true),
        cue("date", Published, true, true),
    ]
};

/// The kind of date a label (as matched, any case) announces.
pub(super) fn date_label_kind(label: &str) -> Option<DateKind> {
    let label = label.to_lowercase();
    DATE_LABELS.iter().find(|c| c.words == label).map(|c| c.means)
}

/// Words that open a byline ("By …", "Reported by …", "Par …"); `true` when the verb names
/// the reporting organisation rather than a person ("Reported by PMOI/MEK").
pub(crate) const BYLINE_OPENINGS: &[Cue<bool>] = &[
    cue("reported by", true, true, true),
    cue("published by", true, true, false),
    cue("compiled by", true, true, true),
    cue("written by", false, true, true),
    cue("posted by", false, true, true),
    cue("story by", false, true, true),
    cue("report by", false, true, true),
    cue("words by", false, true, true),
    cue("text by", false, true, true),
    cue("edited by", false, false, true),
    cue("interview by", false, false, true),
    cue("authors:", false, true, false),
    cue("author:", false, true, false),
    cue("byline:", false, true, false),
    cue("by:", false, true, false),
    cue("by", false, true, true),
    cue("par", false, false, true),
    cue("von", false, false, true),
    cue("por", false, false, true),
    cue("di", false, false, true),
    cue("door", false, false, true),
    cue("بقلم", false, false, true),
    cue("نوشته", false, false, true),
    cue("گزارش", false, false, true),
];

/// The first date (with its time of day, if any) in `text`, as written.
pub(super) fn date_in(text: &str) -> Option<String> {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    DATE_TIME_RE.find(&collapsed).map(|m| m.as_str().trim().trim_end_matches(',').to_string())
}

/// "By Jane" → "Jane"; anything else unchanged.
pub(super) fn strip_byline_prefix(s: &str) -> &str {
    BYLINE_PREFIX_RE.find(s).map_or(s, |m| &s[m.end()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cue_comes_before_any_shorter_cue_it_starts_with() {
        fn check<K>(cues: &[Cue<K>]) {
            for (i, early) in cues.iter().enumerate() {
                for late in &cues[i + 1..] {
                    assert!(
                        !late.words.starts_with(early.words),
                        "{:?} must come before {:?}",
                        late.words,
                        early.words
                    );
                }
            }
        }
        check(DATE_LABELS);
        check(BYLINE_OPENINGS);
    }

    #[test]
    fn byline_openings_and_date_labels_on_pages() {
        assert_eq!(strip_byline_prefix("Reported  by: Jane Doe"), "Jane Doe");
        assert_eq!(strip_byline_prefix("Par Jean Dupont"), "Jean Dupont");
        assert_eq!(strip_byline_prefix("Bystanders said"), "Bystanders said");
        assert_eq!(date_label_kind("Mis à jour le"), Some(DateKind::Updated));
        assert_eq!(date_label_kind("PUBLISHED ON"), Some(DateKind::Published));
        assert_eq!(date_label_kind("Written by"), None);
        let c = DATE_LINE_RE.captures("Last updated on 14 September 2018").expect("a date line");
        assert_eq!((&c["label"], &c["date"]), ("Last updated on", "14 September 2018"));
    }
}
