//! Suggesting a threshold from items a person labelled related or unrelated
//! (`relevance label`): the threshold that best separates their scores. Pure: scores and
//! labels in, a suggestion out; the caller says where the labels and scores came from.
//!
//! Thresholds are tried in steps of 0.01, as a person would write one in the config. The
//! best ones usually form a run (every threshold between the highest unrelated score and
//! the lowest related one separates them equally well); the middle of the widest run is
//! suggested, which leaves the most room on both sides for the next items.

use serde::Serialize;

/// What the suggested threshold must achieve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// The best F1 (the balance of precision and recall).
    BestF1,
    /// Precision at least this, and then the best recall; when no threshold reaches it,
    /// the best precision there is.
    Precision(f64),
}

/// Precision, recall and F1 of keeping the labelled items that score at least a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Fit {
    pub threshold: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// A threshold suggested from labelled items, with how the configured one does on them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThresholdSuggestion {
    /// Labelled items the suggestion is made from, and how many of them are related.
    pub labelled: usize,
    pub related: usize,
    pub suggested: Fit,
    pub configured: Fit,
}

/// Precision, recall and F1 at `threshold` of `(score, related)` pairs. Precision is 1
/// when nothing is kept, recall 1 when nothing is related.
pub fn fit(labelled: &[(f64, bool)], threshold: f64) -> Fit {
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    for &(score, related) in labelled {
        match (score >= threshold, related) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            (false, false) => {}
        }
    }
    let ratio = |n: usize, d: usize| if d == 0 { 1.0 } else { n as f64 / d as f64 };
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    let f1 = if tp == 0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
    Fit { threshold, precision, recall, f1 }
}

/// The threshold in `0.01..=0.99` that best meets `goal` on `(score, related)` pairs (see
/// the module docs), or `None` unless there is at least one item of each label.
/// `configured` is the threshold in use, reported beside the suggestion and preferred
/// when runs of best thresholds are equally wide.
pub fn suggest_threshold(labelled: &[(f64, bool)], configured: f64, goal: Goal) -> Option<ThresholdSuggestion> {
    let related = labelled.iter().filter(|l| l.1).count();
    if related == 0 || related == labelled.len() {
        return None;
    }
    let fits: Vec<Fit> = (1..=99).map(|t| fit(labelled, f64::from(t) / 100.0)).collect();
    // What is maximised, as a pair compared in order.
    let key = |f: &Fit| -> (f64, f64) {
        match goal {
            Goal::BestF1 => (f.f1, f.precision),
            Goal::Precision(target) if f.precision >= target => (1.0, f.recall),
            Goal::Precision(_) => (0.0, f.precision),
        }
    };
    let best = fits.iter().map(key).fold((f64::MIN, f64::MIN), |a, b| if b > a { b } else { a });
    // Runs of consecutive best thresholds: (first, last) indexes.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (i, f) in fits.iter().enumerate() {
        if key(f) != best {
            continue;
        }
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == i => *last = i,
            _ => runs.push((i, i)),
        }
    }
    let distance = |&(a, b): &(usize, usize)| {
        let middle = fits[(a + b) / 2].threshold;
        (middle - configured).abs()
    };
    let (a, b) =
        runs.into_iter().min_by(|x, y| (y.1 - y.0).cmp(&(x.1 - x.0)).then(distance(x).total_cmp(&distance(y))))?;
    Some(ThresholdSuggestion {
        labelled: labelled.len(),
        related,
        suggested: fits[(a + b) / 2],
        configured: fit(labelled, configured),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_labels_get_the_middle_of_the_gap() {
        // Related at 0.41 and above, unrelated at 0.30 and below: 0.31..=0.41 separate them.
        let labelled = [(0.9, true), (0.62, true), (0.41, true), (0.30, false), (0.12, false), (0.05, false)];
        let s = suggest_threshold(&labelled, 0.5, Goal::BestF1).expect("both labels present");
        assert_eq!(s.suggested.threshold, 0.36);
        assert_eq!((s.suggested.precision, s.suggested.recall, s.suggested.f1), (1.0, 1.0, 1.0));
        assert_eq!((s.labelled, s.related), (6, 3));
        // The configured 0.5 misses the related item at 0.41.
        assert_eq!(s.configured.threshold, 0.5);
        assert_eq!(s.configured.precision, 1.0);
        assert!((s.configured.recall - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn overlapping_labels_get_the_best_f1() {
        // One unrelated item scores above two related ones.
        let labelled = [(0.8, true), (0.7, true), (0.6, false), (0.55, true), (0.5, true), (0.2, false), (0.1, false)];
        let s = suggest_threshold(&labelled, 0.65, Goal::BestF1).expect("both labels present");
        // Keeping everything from 0.5 up: P 0.8, R 1, F1 0.889, better than any cut above 0.6.
        assert!(s.suggested.threshold > 0.2 && s.suggested.threshold <= 0.5, "{s:?}");
        assert!((s.suggested.f1 - 8.0 / 9.0).abs() < 1e-12, "{s:?}");
        assert!(s.suggested.f1 > s.configured.f1);
    }

    #[test]
    fn a_precision_goal_trades_recall_for_precision() {
        let labelled = [(0.8, true), (0.7, true), (0.6, false), (0.55, true), (0.5, true), (0.2, false), (0.1, false)];
        let s = suggest_threshold(&labelled, 0.5, Goal::Precision(0.95)).expect("both labels present");
        assert!(s.suggested.threshold > 0.6 && s.suggested.threshold <= 0.7, "{s:?}");
        assert_eq!(s.suggested.precision, 1.0);
        assert_eq!(s.suggested.recall, 0.5);
    }

    #[test]
    fn one_label_only_suggests_nothing() {
        assert_eq!(suggest_threshold(&[(0.9, true), (0.4, true)], 0.5, Goal::BestF1), None);
        assert_eq!(suggest_threshold(&[(0.3, false)], 0.5, Goal::BestF1), None);
        assert_eq!(suggest_threshold(&[], 0.5, Goal::BestF1), None);
    }

    #[test]
    fn fit_counts_an_item_at_the_threshold_as_kept() {
        let f = fit(&[(0.5, true), (0.49, false)], 0.5);
        assert_eq!((f.precision, f.recall, f.f1), (1.0, 1.0, 1.0));
    }
}
