//! Properties of every verdict, over random items.

use super::*;
use proptest::prelude::*;
use std::sync::LazyLock;

static MODEL: LazyLock<TopicModel> = LazyLock::new(|| build(&archive_docs()));

const WORDS: &[&str] = &[
    "Iran",
    "executions",
    "political",
    "prisoners",
    "Genève",
    "massacre",
    "1988",
    "the",
    "football",
    "oil",
    "Évin",
    "prison",
    "UN",
    "inquiry",
    "Srebrenica",
    "rights",
    "human",
    "café",
    "naïve",
    "Zürich",
    "MEK",
    "regime",
    "sanctions",
    "of",
    "and",
];

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..25).prop_map(|w| w.join(" "))
}

fn strip_accents(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfd().filter(|c| !unicode_normalization::char::is_combining_mark(*c)).collect()
}

proptest! {
    #[test]
    fn score_is_in_unit_interval(t in text(), s in text(), raw in ".{0,200}") {
        let c = Candidate { title: &t, summary: &s, text: &raw, link: Some(&raw), categories: &[] };
        let v = score(&c, &MODEL, &Rules::default(), &[]);
        prop_assert!((0.0..=1.0).contains(&v.score));
        prop_assert_eq!(v.keep, v.score >= 0.5);
    }

    #[test]
    fn exclude_always_rejects(t in text(), s in text(), pick in 0usize..100) {
        let words: Vec<&str> = t.split(' ').chain(s.split(' ')).filter(|w| !w.is_empty()).collect();
        prop_assume!(!words.is_empty());
        let rules = Rules {
            keywords: vec!["Iran".into()],
            exclude: vec![words[pick % words.len()].to_uppercase()],
            ..Rules::default()
        };
        let v = score(&item(&t, &s), &MODEL, &rules, &["massacre".into()]);
        prop_assert!(!v.keep);
        prop_assert_eq!(v.score, 0.0);
    }

    #[test]
    fn a_present_keyword_never_lowers_the_score(t in text(), s in text(), pick in 0usize..100, len in 1usize..3) {
        let words: Vec<&str> = t.split(' ').chain(s.split(' ')).filter(|w| !w.is_empty()).collect();
        prop_assume!(!words.is_empty());
        let start = pick % words.len();
        let phrase = words[start..(start + len).min(words.len())].join(" ");
        let before = score(&item(&t, &s), &MODEL, &Rules::default(), &[]);
        let rules = Rules { keywords: vec![phrase], ..Rules::default() };
        let after = score(&item(&t, &s), &MODEL, &rules, &[]);
        prop_assert!(after.score >= before.score, "{} < {}", after.score, before.score);
    }

    /// Except that an acronym of the archive ("MEK", "UN") counts only written in capitals:
    /// the lower-cased summary keeps its acronyms as written.
    #[test]
    fn case_and_accents_do_not_matter(t in text(), s in text()) {
        let lower_but_acronyms = |s: &str| {
            s.split(' ').map(|w| if w.len() >= 2 && w.chars().all(|c| c.is_uppercase()) { w.to_string() } else { w.to_lowercase() }).collect::<Vec<_>>().join(" ")
        };
        let base = score(&item(&t, &s), &MODEL, &Rules::default(), &[]);
        let upper = score(&item(&t.to_uppercase(), &lower_but_acronyms(&s)), &MODEL, &Rules::default(), &[]);
        let plain = score(&item(&strip_accents(&t), &strip_accents(&s)), &MODEL, &Rules::default(), &[]);
        prop_assert_eq!(base.score, upper.score);
        prop_assert_eq!(base.score, plain.score);
    }
}
