//! A readable word-level diff between two versions of an article's text, as HTML for its
//! page: only the passages that changed, each with a few words of context either side,
//! removed words in `<del>` and added ones in `<ins>`, passages apart separated by `…`.
//!
//! Pure and bounded: the diff (Myers, from the `similar` crate) gives up refining after
//! [`DIFF_TIME`], so a hostile pair of texts costs at most that; its output is then still
//! correct, only coarser. No I/O.

use std::time::Duration;

use similar::{ChangeTag, TextDiff};

use super::markup::escape_into;

/// Unchanged words shown either side of a change.
const CONTEXT_WORDS: usize = 8;
/// The most time spent refining one diff.
const DIFF_TIME: Duration = Duration::from_millis(200);

/// One run of words with the same tag, in order.
struct Run {
    tag: ChangeTag,
    words: Vec<String>,
}

/// The runs of words of the diff from `old` to `new` (whitespace between words is kept
/// with the word before it).
fn runs(old: &str, new: &str) -> Vec<Run> {
    let diff = TextDiff::configure().timeout(DIFF_TIME).diff_words(old, new);
    let mut out: Vec<Run> = Vec::new();
    for change in diff.iter_all_changes() {
        let word = change.value().to_string();
        match out.last_mut() {
            Some(run) if run.tag == change.tag() => run.words.push(word),
            _ => out.push(Run { tag: change.tag(), words: vec![word] }),
        }
    }
    out
}

/// Equal runs of at most this many words between two changes belong to the change (shown
/// once removed and once added), so a rewritten sentence reads as one removal and one
/// addition instead of a word salad around its common "the" and "of".
const GLUE_WORDS: usize = 3;

/// The number of words (not whitespace) in a run.
fn word_count(run: &Run) -> usize {
    run.words.iter().filter(|w| !w.trim().is_empty()).count()
}

/// A piece of the diff to show: unchanged text, or one change (what was removed, what was
/// added).
enum Piece {
    Same(Vec<String>),
    Change { removed: String, added: String },
}

/// The runs, with changes and the short equal runs between them merged into one change each.
fn pieces(runs: Vec<Run>) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    let n = runs.len();
    let mut i = 0;
    while i < n {
        if runs[i].tag == ChangeTag::Equal {
            out.push(Piece::Same(runs[i].words.clone()));
            i += 1;
            continue;
        }
        let (mut removed, mut added) = (String::new(), String::new());
        let mut j = i;
        while j < n {
            let run = &runs[j];
            let text: String = run.words.concat();
            match run.tag {
                ChangeTag::Delete => removed.push_str(&text),
                ChangeTag::Insert => added.push_str(&text),
                ChangeTag::Equal => {
                    let glued = word_count(run) <= GLUE_WORDS
                        && runs[j + 1..].first().is_some_and(|r| r.tag != ChangeTag::Equal);
                    if !glued {
                        break;
                    }
                    removed.push_str(&text);
                    added.push_str(&text);
                }
            }
            j += 1;
        }
        out.push(Piece::Change { removed, added });
        i = j;
    }
    out
}

/// Writes the diff from `old` to `new` into `out` as one `<p class="diff">` per changed
/// passage; nothing when the texts are the same word for word. Returns the number of
/// passages.
pub fn word_diff(out: &mut String, old: &str, new: &str) -> usize {
    let pieces = pieces(runs(old, new));
    let words = |out: &mut String, ws: &[String]| {
        for w in ws {
            escape_into(out, w);
        }
    };
    let change = |out: &mut String, removed: &str, added: &str| {
        if !removed.trim().is_empty() {
            out.push_str("<del style=\"background:#fbe0e0\">");
            escape_into(out, removed.trim());
            out.push_str("</del>");
        }
        if !removed.trim().is_empty() && !added.trim().is_empty() {
            out.push(' ');
        }
        if !added.trim().is_empty() {
            out.push_str("<ins style=\"background:#dff5e1;text-decoration:none\">");
            escape_into(out, added.trim());
            out.push_str("</ins>");
        }
    };
    let mut passages = 0;
    let mut i = 0;
    while i < pieces.len() {
        if let Piece::Same(_) = pieces[i] {
            i += 1;
            continue;
        }
        // A passage: context, then changes and short unchanged stretches, until a long one.
        passages += 1;
        out.push_str("<p class=\"diff\">");
        if let Some(Piece::Same(before)) = i.checked_sub(1).map(|k| &pieces[k]) {
            let from = before.len().saturating_sub(2 * CONTEXT_WORDS);
            if from > 0 || i > 1 {
                out.push_str("… ");
            }
            words(out, &before[from..]);
        }
        while i < pieces.len() {
            match &pieces[i] {
                Piece::Change { removed, added } => change(out, removed, added),
                Piece::Same(ws) if ws.len() <= 4 * CONTEXT_WORDS && i + 1 < pieces.len() => words(out, ws),
                Piece::Same(ws) => {
                    let upto = ws.len().min(2 * CONTEXT_WORDS);
                    words(out, &ws[..upto]);
                    if upto < ws.len() || i + 1 < pieces.len() {
                        out.push_str(" …");
                    }
                    i += 1;
                    break;
                }
            }
            i += 1;
        }
        out.push_str("</p>\n");
    }
    passages
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(old: &str, new: &str) -> String {
        let mut out = String::new();
        word_diff(&mut out, old, new);
        out
    }

    #[test]
    fn the_same_text_has_no_diff() {
        assert_eq!(diff("one two three", "one two three"), "");
    }

    #[test]
    fn changed_words_are_marked_with_their_context() {
        let d = diff("The commission ordered the executions.", "The commission denied the executions.");
        assert!(d.contains(">ordered</del>"), "{d}");
        assert!(d.contains(">denied</ins>"), "{d}");
        assert!(d.contains("The commission"), "{d}");
        assert_eq!(d.matches("<p class=\"diff\">").count(), 1);
    }

    #[test]
    fn far_apart_changes_are_separate_passages_without_the_text_between() {
        let middle = (0..100).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        let old = format!("alpha {middle} omega");
        let new = format!("ALPHA {middle} OMEGA");
        let d = diff(&old, &new);
        assert_eq!(d.matches("<p class=\"diff\">").count(), 2, "{d}");
        assert!(!d.contains("w50 "), "the unchanged middle is left out: {d}");
        assert!(d.contains(" …"), "{d}");
    }

    #[test]
    fn a_rewritten_sentence_is_one_removal_and_one_addition() {
        let d = diff(
            "Families of the victims have sought the location of mass graves for decades.",
            "The account of the mass graves has been removed at the request of the authorities.",
        );
        assert_eq!(d.matches("<del").count(), 1, "{d}");
        assert_eq!(d.matches("<ins").count(), 1, "{d}");
        assert!(d.contains("the location of mass graves"), "{d}");
    }

    #[test]
    fn markup_in_the_text_is_escaped() {
        let d = diff("a <b> c", "a <i> c");
        assert!(d.contains("&lt;b&gt;") && d.contains("&lt;i&gt;") && !d.contains("<b>"), "{d}");
    }
}
