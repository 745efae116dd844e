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

/// Writes the diff from `old` to `new` into `out` as one `<p class="diff">` per changed
/// passage; nothing when the texts are the same word for word. Returns the number of
/// passages.
pub fn word_diff(out: &mut String, old: &str, new: &str) -> usize {
    let runs = runs(old, new);
    let changed: Vec<usize> = (0..runs.len()).filter(|&i| runs[i].tag != ChangeTag::Equal).collect();
    if changed.is_empty() {
        return 0;
    }
    let words = |out: &mut String, ws: &[String]| {
        for w in ws {
            escape_into(out, w);
        }
    };
    let mut passages = 0;
    let mut i = 0;
    while i < runs.len() {
        if runs[i].tag == ChangeTag::Equal {
            i += 1;
            continue;
        }
        // A passage: context, then changes and short equal runs, until a long equal run.
        passages += 1;
        out.push_str("<p class=\"diff\">");
        if i > 0 {
            let before = &runs[i - 1].words;
            let from = before.len().saturating_sub(2 * CONTEXT_WORDS);
            if from > 0 || i > 1 {
                out.push_str("… ");
            }
            words(out, &before[from..]);
        }
        while i < runs.len() {
            let run = &runs[i];
            match run.tag {
                ChangeTag::Delete => {
                    out.push_str("<del style=\"background:#fbe0e0\">");
                    words(out, &run.words);
                    out.push_str("</del>");
                }
                ChangeTag::Insert => {
                    out.push_str("<ins style=\"background:#dff5e1;text-decoration:none\">");
                    words(out, &run.words);
                    out.push_str("</ins>");
                }
                ChangeTag::Equal if run.words.len() <= 4 * CONTEXT_WORDS && i + 1 < runs.len() => {
                    words(out, &run.words);
                }
                ChangeTag::Equal => {
                    let upto = run.words.len().min(2 * CONTEXT_WORDS);
                    words(out, &run.words[..upto]);
                    if upto < run.words.len() || i + 1 < runs.len() {
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
    fn markup_in_the_text_is_escaped() {
        let d = diff("a <b> c", "a <i> c");
        assert!(d.contains("&lt;b&gt;") && d.contains("&lt;i&gt;") && !d.contains("<b>"), "{d}");
    }
}
