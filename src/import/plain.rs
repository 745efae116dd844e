//! Plain-text articles, typically text copied out of a web page (like the seed): lines →
//! paragraphs (hard-wrapped paragraphs joined), the head read by [`super::head`], and the
//! body cleaned of page debris — ad-slot sizes, repeated lines and headings, photo-caption
//! names and their captions.
//!
//! Pure: text in, paragraphs out.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::head::{self, Head, Known, Unit};
use super::{Removal, RemovalKind};
use crate::article::{collapse_whitespace, fold};

/// A plain-text article: its head and its body paragraphs.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TextArticle {
    pub head: Head,
    pub paragraphs: Vec<String>,
}

/// Lines longer than this are whole paragraphs, not hard-wrapped lines.
const WRAP_MAX: usize = 100;
/// Above this many name-like lines, a lone name is not looked up in the rest of the text
/// (the lookup is quadratic; real articles have a handful).
const MENTION_CHECK_MAX: usize = 64;
/// A body line this short that appears twice in a row is a photo caption; longer doubled
/// paragraphs are kept once.
const DOUBLED_CAPTION_MAX: usize = 160;

/// Reads a plain-text article. What front matter already says (`known`) is not guessed.
pub(super) fn read(text: &str, known: Known<'_>) -> TextArticle {
    let mut removed = Vec::new();
    let units = units(text, &mut removed);
    let mut head = head::read_head(&units, known);
    removed.append(&mut head.removed);
    let paragraphs = body(&units, &head, known.title, &mut removed);
    head.removed = removed;
    if head.published.is_none() {
        head.published = first_dateline(&paragraphs);
    }
    TextArticle { head, paragraphs }
}

/// The dateline date of one of the first paragraphs.
pub(super) fn first_dateline<S: AsRef<str>>(paragraphs: &[S]) -> Option<DateTime<Utc>> {
    paragraphs.iter().take(3).find_map(|p| head::dateline_date(p.as_ref()))
}

/// Splits text into paragraph units: blocks at blank lines, debris lines dropped; lines
/// joined when the file is hard-wrapped, else one unit per line. What is dropped goes to
/// `removed`.
fn units(text: &str, removed: &mut Vec<Removal>) -> Vec<Unit> {
    let mut blocks: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        let line = collapse_whitespace(raw);
        if line.is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
            continue;
        }
        if head::is_debris(&line) {
            removed.push(Removal::new(RemovalKind::Debris, line));
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    let width = wrap_width(&blocks);
    let mut units = Vec::new();
    for block in &mut blocks {
        match width {
            Some(width) => {
                collapse_doubled(block, removed);
                join_wrapped(block, width, &mut units);
            }
            None => units.extend(block.iter().map(|l| Unit::paragraph(l.clone()))),
        }
    }
    units
}

/// Keeps one copy of a line shown exactly twice in a row (a standfirst or caption doubled
/// by the page: joining it would make "X X"). A line repeated three or more times in a row
/// is the text's own and is kept whole.
fn collapse_doubled(block: &mut Vec<String>, removed: &mut Vec<Removal>) {
    let mut out: Vec<String> = Vec::with_capacity(block.len());
    let mut i = 0;
    while i < block.len() {
        let run = block[i..].iter().take_while(|l| **l == block[i]).count();
        let keep = if run == 2 { 1 } else { run };
        out.extend(block[i..i + keep].iter().cloned());
        removed.extend(block[i + keep..i + run].iter().map(|l| Removal::new(RemovalKind::Repeated, l.as_str())));
        i += run;
    }
    *block = out;
}

/// The wrap width when the file is hard-wrapped: almost no line is longer than
/// [`WRAP_MAX`] and some block has several lines. `None` for one paragraph per line.
fn wrap_width(blocks: &[Vec<String>]) -> Option<usize> {
    let lens: Vec<usize> = blocks.iter().flatten().map(|l| l.chars().count()).collect();
    let long = lens.iter().filter(|&&n| n > WRAP_MAX).count();
    if long > (lens.len() / 20).max(1) {
        return None;
    }
    let multi = blocks.iter().any(|b| b.len() >= 2 && b[0].chars().count() >= 40);
    if !multi {
        return None;
    }
    lens.iter().copied().filter(|&n| n <= WRAP_MAX).max()
}

/// Joins a hard-wrapped block into paragraphs. A line ends its paragraph when the next
/// line's first word would have fitted on it with room to spare (under 60% of the wrap
/// width: the writer broke the line on purpose), and
/// bylines, date lines, URL lines and list items always stand on their own.
fn join_wrapped(block: &[String], width: usize, out: &mut Vec<Unit>) {
    let mut current: Vec<&str> = Vec::new();
    let flush = |current: &mut Vec<&str>, out: &mut Vec<Unit>| {
        if !current.is_empty() {
            out.push(Unit::paragraph(current.join(" ")));
            current.clear();
        }
    };
    for (i, line) in block.iter().enumerate() {
        let list_item = is_list_item(line);
        if list_item || stands_alone(line) {
            flush(&mut current, out);
            if !list_item {
                out.push(Unit::paragraph(line.clone()));
                continue;
            }
        }
        current.push(line);
        if let Some(next) = block.get(i + 1) {
            let next_word = next.split_whitespace().next().map_or(0, |w| w.chars().count());
            if (line.chars().count() + 1 + next_word) * 5 < width * 3 {
                flush(&mut current, out);
            }
        }
    }
    flush(&mut current, out);
}

fn stands_alone(line: &str) -> bool {
    head::byline(line).is_some() || head::date_line(line).is_some() || head::url_line(line).is_some()
}

fn is_list_item(line: &str) -> bool {
    if line.starts_with(['•', '·', '▪', '◦']) || line.starts_with("- ") || line.starts_with("* ") {
        return true;
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    (1..=3).contains(&digits) && (line[digits..].starts_with(". ") || line[digits..].starts_with(") "))
}

/// Cleans the body (the units from `head.body_start`): drops debris, lines repeating the
/// head (title, standfirst, byline…), a paragraph shown exactly twice in a row (kept once),
/// and photo captions (a name alone on a line that is doubled, followed by a caption
/// starting with the same name, or mentioned in the text; a short line shown exactly twice
/// in a row). A paragraph repeated further on, or three or more times in a row, is the
/// author's and stays. What is dropped goes to `removed`.
fn body(units: &[Unit], head: &Head, known_title: Option<&str>, removed: &mut Vec<Removal>) -> Vec<String> {
    let (head_units, body_units) = units.split_at(head.body_start);
    let lead = head.lead.map(|i| units[i].text.as_str());
    let seen: HashSet<String> = [known_title, head.title.as_deref(), head.summary.as_deref()]
        .into_iter()
        .flatten()
        .chain(head_units.iter().map(|u| u.text.as_str()).filter(|t| Some(*t) != lead))
        .map(fold)
        .collect();
    let mut texts: Vec<&str> = Vec::with_capacity(body_units.len() + 1);
    for t in lead.into_iter().chain(body_units.iter().map(|u| u.text.as_str())) {
        if head::is_debris(t) {
            removed.push(Removal::new(RemovalKind::Debris, t));
        } else {
            texts.push(t);
        }
    }
    let mention_check = texts.iter().filter(|t| head::name_like(t)).count() <= MENTION_CHECK_MAX;
    let mut out = Vec::new();
    let mut i = 0;
    while i < texts.len() {
        let t = texts[i];
        if head::name_like(t) && is_caption_name(&texts, i, mention_check) {
            let n = head::caption_run(&texts, i);
            removed.extend(texts[i..i + n].iter().map(|c| Removal::new(RemovalKind::Caption, *c)));
            i += n;
            continue;
        }
        let folded = fold(t);
        // The head's lines (title, standfirst, byline) are dropped wherever they repeat.
        if folded.is_empty() || seen.contains(&folded) {
            let kind = if folded.is_empty() { RemovalKind::Debris } else { RemovalKind::Repeated };
            removed.push(Removal::new(kind, t));
            i += 1;
            continue;
        }
        let run = 1 + texts[i + 1..].iter().take_while(|o| fold(o) == folded).count();
        if run == 2 {
            // Shown twice in a row: a short line is a photo caption (alt text and caption,
            // both dropped), a paragraph pasted twice is kept once.
            if texts[i + 1] == t && doubled_caption(t) {
                removed.extend([Removal::new(RemovalKind::Caption, t), Removal::new(RemovalKind::Caption, t)]);
            } else {
                out.push(t.to_string());
                removed.push(Removal::new(RemovalKind::Repeated, texts[i + 1]));
            }
        } else {
            out.extend(texts[i..i + run].iter().map(|p| p.to_string()));
        }
        i += run;
    }
    out
}

/// Whether a line shown twice in a row is a caption rather than a paragraph pasted twice:
/// short, and not a full sentence unless very short.
fn doubled_caption(line: &str) -> bool {
    let len = line.chars().count();
    len <= DOUBLED_CAPTION_MAX && (!head::sentence_ish(line) || len <= 80)
}

/// Whether the name-like line at `i` is a photo caption's name: doubled, followed by its
/// caption, or (in a document with few such lines, to stay linear on odd input) a name
/// the text mentions elsewhere.
fn is_caption_name(texts: &[&str], i: usize, mention_check: bool) -> bool {
    let name = texts[i];
    if let Some(next) = texts.get(i + 1)
        && (*next == name || head::is_caption_of(next, name))
    {
        return true;
    }
    mention_check && texts.iter().enumerate().any(|(j, other)| j != i && *other != name && mentions(other, name))
}

/// Whether `text` contains `name` as whole words.
fn mentions(text: &str, name: &str) -> bool {
    let mut from = 0;
    while let Some(pos) = text[from..].find(name) {
        let at = from + pos;
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        if !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric) {
            return true;
        }
        from = at + name.len();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubled_lines_and_debris_go() {
        let a = read(
            "728 x 90\n\nA title for the piece\n\nStand first here now\nStand first here now\n\nBody one.\n\n300x250\n\nBody two.",
            Known::default(),
        );
        assert_eq!(a.head.title.as_deref(), Some("A title for the piece"));
        assert_eq!(a.head.summary.as_deref(), Some("Stand first here now"));
        assert_eq!(a.paragraphs, vec!["Body one.", "Body two."]);
    }

    #[test]
    fn captions_go_in_all_three_forms() {
        let text = "A title for the piece\n\nBy Jane Doe\n\nJane Roe and Ali Rezaei spoke at length about the killings.\n\nJane Roe\n\nJane Roe is a lawyer\n\nMore text.\n\nAli Rezaei\n\nAli Rezaei\n\nEven more.\n\nBackground Facts\n\nThe end.";
        let a = read(text, Known::default());
        assert_eq!(
            a.paragraphs,
            vec![
                "Jane Roe and Ali Rezaei spoke at length about the killings.",
                "More text.",
                "Even more.",
                "Background Facts",
                "The end."
            ]
        );
    }

    #[test]
    fn doubled_short_lines_are_captions_doubled_paragraphs_are_kept_once() {
        let long = "This paragraph was pasted twice by accident and is long enough to be a real paragraph of the article, not a caption.";
        let text = format!(
            "A title for the piece\n\nBy Jane Doe\n\nFirst.\n\nEvin prison in Tehran\n\nEvin prison in Tehran\n\nSecond.\n\n{long}\n\n{long}\n\nThird."
        );
        let a = read(&text, Known::default());
        assert_eq!(a.paragraphs, vec!["First.", "Second.", long, "Third."]);
    }

    #[test]
    fn a_paragraph_repeated_further_on_is_kept() {
        let r = "The refrain the author repeats on purpose, a full sentence of the article's own.";
        let text = format!(
            "A title for the piece\n\nBy Jane Doe\n\nAlpha first.\n\n{r}\n\nBravo second.\n\n{r}\n\nCharlie third."
        );
        let a = read(&text, Known::default());
        assert_eq!(a.paragraphs, vec!["Alpha first.", r, "Bravo second.", r, "Charlie third."]);
    }

    #[test]
    fn what_is_removed_is_reported_and_runs_of_three_stay() {
        let r = "A paragraph pasted twice by the page, long enough to be a paragraph of the article and not a caption.";
        let text = format!(
            "A title for the piece\n\nBy Jane Doe\n\n728 x 90\n\nFirst.\n\n{r}\n\n{r}\n\nEvin prison in Tehran\n\nEvin prison in Tehran\n\nSecond.\n\nSecond.\n\nSecond.\n\nA title for the piece\n\n{r}\n\nEnd."
        );
        let a = read(&text, Known::default());
        assert_eq!(a.paragraphs, vec!["First.", r, "Second.", "Second.", "Second.", r, "End."]);
        let removed: Vec<(RemovalKind, &str)> = a.head.removed.iter().map(|r| (r.kind, r.text.as_str())).collect();
        assert_eq!(
            removed,
            vec![
                (RemovalKind::Debris, "728 x 90"),
                (RemovalKind::Repeated, r),
                (RemovalKind::Caption, "Evin prison in Tehran"),
                (RemovalKind::Caption, "Evin prison in Tehran"),
                (RemovalKind::Repeated, "A title for the piece"),
            ]
        );
    }

    #[test]
    fn hard_wrapped_paragraphs_join() {
        let text = "Iran destroying mass graves, report says\n\nBy Jane Doe\n\nLONDON, April 30, 2018 - Iranian authorities are destroying suspected\nmass grave sites of the victims of the 1988 prison massacres, a new\nreport says.\n\nThe sites hold the remains of thousands of political prisoners who\nwere executed in secret.\nFamilies have long asked where their relatives are buried.\n";
        let a = read(text, Known::default());
        assert_eq!(a.head.authors, vec!["Jane Doe"]);
        assert_eq!(
            a.paragraphs,
            vec![
                "LONDON, April 30, 2018 - Iranian authorities are destroying suspected mass grave sites of the victims of the 1988 prison massacres, a new report says.",
                "The sites hold the remains of thousands of political prisoners who were executed in secret.",
                "Families have long asked where their relatives are buried."
            ]
        );
        assert!(a.head.published.is_some());
    }

    #[test]
    fn one_paragraph_per_line_without_blank_lines() {
        let long = "x".repeat(30);
        let text = format!(
            "A title for the piece\nFirst paragraph is long enough to not be a wrapped line at all, {long} {long} {long}.\nSecond paragraph is also long and stands on its own line here, {long} {long}."
        );
        let a = read(&text, Known::default());
        assert_eq!(a.paragraphs.len(), 2, "{:?}", a.paragraphs);
    }

    #[test]
    fn a_hard_wrapped_line_repeated_many_times_is_kept_whole() {
        let line = "The same hard-wrapped line of the text, over and over again, kept.";
        let text = format!("{line}\n").repeat(10_000);
        let a = read(&text, Known::default());
        let kept: usize = [a.head.title.as_deref(), a.head.summary.as_deref()]
            .into_iter()
            .flatten()
            .chain(a.paragraphs.iter().map(String::as_str))
            .map(|p| p.matches(line).count())
            .sum();
        assert!(kept >= 9_998, "only {kept} of 10000 copies kept");
    }

    #[test]
    fn a_doubled_line_inside_a_hard_wrapped_block_is_kept_once() {
        let text = "A title for the piece\n\nThe sites hold the remains of thousands of political prisoners who\nwere executed in secret.\nEvin prison in Tehran\nEvin prison in Tehran\nFamilies have long asked where their relatives are buried.\n";
        let a = read(text, Known::default());
        let all = a.paragraphs.join(" | ");
        assert_eq!(all.matches("Evin prison in Tehran").count(), 1, "{all}");
        assert!(all.contains("executed in secret."), "{all}");
    }
}
