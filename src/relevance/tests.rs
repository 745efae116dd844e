//! Unit, property and evaluation tests of relevance scoring. Fixtures live in
//! `tests/fixtures/relevance/`.

use super::*;
use std::collections::HashMap;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/relevance")
}

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `(id, title, text)` of a plain-text article: the title is the first line with a letter.
fn article(id: String, text: String) -> (String, String, String) {
    let title = text
        .lines()
        .map(str::trim)
        .find(|l| l.chars().any(char::is_alphabetic) && !l.contains(" x "))
        .unwrap_or("")
        .to_string();
    (id, title, text)
}

fn seed_docs() -> Vec<(String, String, String)> {
    vec![article("seed".into(), read(&fixtures().join("seed.txt")))]
}

fn archive_docs() -> Vec<(String, String, String)> {
    let mut docs = seed_docs();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixtures().join("archive"))
        .expect("archive fixture folder")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    for p in paths {
        let id = p.file_stem().expect("stem").to_string_lossy().into_owned();
        docs.push(article(id, read(&p)));
    }
    docs
}

fn build(docs: &[(String, String, String)]) -> TopicModel {
    TopicModel::build(docs.iter().map(|(id, title, text)| TopicDoc { id, title, text }))
}

fn keywords() -> Vec<String> {
    read(&fixtures().join("keywords.txt"))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

#[derive(serde::Deserialize)]
struct Labelled {
    id: String,
    label: String,
    title: String,
    summary: String,
    link: String,
    #[allow(dead_code)]
    note: String,
}

fn labelled() -> Vec<Labelled> {
    labelled_from("labelled.jsonl")
}

fn labelled_from(name: &str) -> Vec<Labelled> {
    read(&fixtures().join(name))
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("labelled.jsonl:{}: {e}", n + 1)))
        .collect()
}

/// The fixed split rule: an item is in the tuning half when the first byte of the blake3
/// hash of its id is even, held out otherwise. Independent of file order and content.
fn is_tuning(id: &str) -> bool {
    blake3::hash(id.as_bytes()).as_bytes()[0].is_multiple_of(2)
}

fn cand(item: &Labelled) -> Candidate<'_> {
    Candidate { title: &item.title, summary: &item.summary, text: "", link: Some(&item.link), categories: &[] }
}

struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
    tn: usize,
}

impl Counts {
    fn of(scored: &[(&Labelled, Verdict)], threshold: f64) -> Counts {
        let mut c = Counts { tp: 0, fp: 0, fn_: 0, tn: 0 };
        for (item, v) in scored {
            let related = item.label == "related";
            match (v.score >= threshold, related) {
                (true, true) => c.tp += 1,
                (true, false) => c.fp += 1,
                (false, true) => c.fn_ += 1,
                (false, false) => c.tn += 1,
            }
        }
        c
    }
    fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 { 1.0 } else { self.tp as f64 / (self.tp + self.fp) as f64 }
    }
    fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 { 1.0 } else { self.tp as f64 / (self.tp + self.fn_) as f64 }
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }
}

struct Setting {
    name: &'static str,
    tuning: Counts,
    /// Best-F1 threshold on the tuning half (lowest on a tie).
    tuned: f64,
    held_out: Counts,
    all: Counts,
}

fn evaluate(name: &'static str, model: &TopicModel, kw: &[String], items: &[Labelled], thr: f64) -> Setting {
    let rules = Rules { keywords: kw.to_vec(), ..Rules::default() };
    let scored: Vec<(&Labelled, Verdict)> = items.iter().map(|i| (i, score(&cand(i), model, &rules, &[]))).collect();
    let (tune, held): (Vec<_>, Vec<_>) = scored.iter().cloned().partition(|(i, _)| is_tuning(&i.id));
    println!("\n== {name} ({} tuning / {} held-out items)", tune.len(), held.len());
    println!("threshold sweep on the tuning half:  thr   P     R     F1");
    let mut tuned = (f64::MIN, DEFAULT_THRESHOLD);
    for step in 4..=18 {
        let t = f64::from(step) * 0.05;
        let c = Counts::of(&tune, t);
        if c.f1() > tuned.0 + 1e-9 {
            tuned = (c.f1(), t);
        }
        println!("                                     {t:.2}  {:.2}  {:.2}  {:.2}", c.precision(), c.recall(), c.f1());
    }
    for (thr, part, set) in [
        (thr, "tuning", &tune),
        (thr, "held-out", &held),
        (thr, "all", &scored),
        (tuned.1, "held-out", &held),
        (tuned.1, "all", &scored),
    ] {
        let c = Counts::of(set, thr);
        println!(
            "at {thr:.2} {part:>9}: P {:.3} R {:.3} F1 {:.3} (tp {} fp {} fn {} tn {})",
            c.precision(),
            c.recall(),
            c.f1(),
            c.tp,
            c.fp,
            c.fn_,
            c.tn
        );
    }
    let sorted = |related: bool| {
        let mut v: Vec<f64> =
            scored.iter().filter(|(i, _)| (i.label == "related") == related).map(|(_, v)| v.score).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let (unrelated, related) = (sorted(false), sorted(true));
    println!(
        "unrelated scores: max {:.3}, 2nd {:.3}; related scores: min {:.3}, 10th percentile {:.3}, median {:.3}",
        unrelated.last().copied().unwrap_or(0.0),
        unrelated.iter().rev().nth(1).copied().unwrap_or(0.0),
        related.first().copied().unwrap_or(0.0),
        related.get(related.len() / 10).copied().unwrap_or(0.0),
        related.get(related.len() / 2).copied().unwrap_or(0.0),
    );
    let mut errors: Vec<&(&Labelled, Verdict)> =
        scored.iter().filter(|(i, v)| (v.score >= thr) != (i.label == "related")).collect();
    errors.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    for (i, v) in errors {
        let kind = if i.label == "related" { "FN" } else { "FP" };
        println!("  {kind} {} {:.3} {:?} — {}", i.id, v.score, i.title, v.reasons.join("; "));
    }
    Setting {
        name,
        tuning: Counts::of(&tune, thr),
        tuned: tuned.1,
        held_out: Counts::of(&held, thr),
        all: Counts::of(&scored, thr),
    }
}

/// `(id, title, text)` documents made from labelled items (title and summary), as if they
/// had been archived.
fn item_docs<'a>(items: impl IntoIterator<Item = &'a Labelled>) -> Vec<(String, String, String)> {
    items.into_iter().map(|i| (i.id.clone(), i.title.clone(), i.summary.clone())).collect()
}

fn line(c: &Counts) -> String {
    format!("P {:.3} R {:.3} F1 {:.3}", c.precision(), c.recall(), c.f1())
}

/// Scores the labelled set four ways at the default threshold and prints precision,
/// recall, F1, a threshold sweep and the confusion list; then checks that the scale does
/// not drift with the archive's size (`cargo test --lib relevance::tests::evaluation --
/// --nocapture`).
#[test]
fn evaluation() {
    let items = labelled();
    assert!(items.len() >= 80, "labelled set too small: {}", items.len());
    let related = items.iter().filter(|i| i.label == "related").count();
    assert!(related * 2 >= items.len() - 4 && related * 2 <= items.len() + 4);
    let seed = build(&seed_docs());
    let archive = build(&archive_docs());
    let kw = keywords();
    let results = [
        evaluate("seed alone, no keywords", &seed, &[], &items, DEFAULT_THRESHOLD),
        evaluate("seed + archive, no keywords", &archive, &[], &items, DEFAULT_THRESHOLD),
        evaluate("seed alone + keywords", &seed, &kw, &items, DEFAULT_THRESHOLD),
        evaluate("seed + archive + keywords", &archive, &kw, &items, DEFAULT_THRESHOLD),
    ];

    // A grown archive: the tuning half's related items archived too (24 documents),
    // judged on the held-out half it has not seen.
    let mut grown_docs = archive_docs();
    grown_docs.extend(item_docs(items.iter().filter(|i| is_tuning(&i.id) && i.label == "related")));
    let grown = build(&grown_docs);
    let held: Vec<Labelled> = labelled().into_iter().filter(|i| !is_tuning(&i.id)).collect();
    let grown_result = evaluate("grown archive (24 docs), held-out half", &grown, &[], &held, DEFAULT_THRESHOLD);

    // The same threshold for every archive size: seed plus each subset of the demo archive.
    let extra: Vec<_> = archive_docs().into_iter().skip(1).collect();
    let mut worst = (1.0f64, 1.0f64);
    for mask in 0u32..(1 << extra.len()) {
        let mut docs = seed_docs();
        docs.extend(extra.iter().enumerate().filter(|(k, _)| mask & (1 << k) != 0).map(|(_, d)| d.clone()));
        let m = build(&docs);
        let scored: Vec<(&Labelled, Verdict)> =
            items.iter().map(|i| (i, score(&cand(i), &m, &Rules::default(), &[]))).collect();
        let c = Counts::of(&scored, DEFAULT_THRESHOLD);
        worst = (worst.0.min(c.precision()), worst.1.min(c.recall()));
        println!("archive of {} docs (mask {mask:04b}): {}", docs.len(), line(&c));
    }

    // Calibration: each archived document, cut to an item (title and its first 60 words),
    // scored against a model of the others. 0.5 is meant to be "as close to the topic as a
    // typical archived article is".
    let mut loo = Vec::new();
    for (k, (id, title, text)) in grown_docs.iter().enumerate() {
        let others: Vec<_> = grown_docs.iter().enumerate().filter(|&(j, _)| j != k).map(|(_, d)| d.clone()).collect();
        let m = build(&others);
        let lead: String = text
            .lines()
            .filter(|l| l.split_whitespace().count() > 8)
            .flat_map(str::split_whitespace)
            .take(60)
            .collect::<Vec<_>>()
            .join(" ");
        let c = Candidate { title, summary: &lead, text: "", link: None, categories: &[] };
        let v = score(&c, &m, &Rules::default(), &[]);
        println!("leave-one-out {id}: {:.3}", v.score);
        loo.push(v.score);
    }
    loo.sort_by(f64::total_cmp);
    let median = loo[loo.len() / 2];
    let kept = loo.iter().filter(|&&s| s >= DEFAULT_THRESHOLD).count();

    println!("\nsummary at the default threshold {DEFAULT_THRESHOLD}:");
    for s in results.iter().chain([&grown_result]) {
        println!(
            "  {:<40} tuning {} | held-out {} | all {} (best tuning thr {:.2})",
            s.name,
            line(&s.tuning),
            line(&s.held_out),
            line(&s.all),
            s.tuned
        );
    }
    println!("  worst over the 16 archives of 1..5 docs: P {:.3} R {:.3}", worst.0, worst.1);
    println!("  archived documents scored against the others: median {median:.3}, {kept} of {} kept", loo.len());

    // Targets, all at the default threshold, on both halves.
    let [seed_only, archive_only, seed_kw, archive_kw] = &results;
    for (s, p, r) in [(seed_only, 0.95, 0.9), (archive_only, 0.95, 0.9), (seed_kw, 0.95, 0.9), (archive_kw, 0.95, 0.9)]
    {
        for (half, c) in [("tuning", &s.tuning), ("held-out", &s.held_out)] {
            assert!(c.precision() >= p && c.recall() >= r, "{} ({half}): {}", s.name, line(c));
        }
    }
    assert!(
        grown_result.all.precision() >= 0.9 && grown_result.all.recall() >= 0.9,
        "grown archive: {}",
        line(&grown_result.all)
    );
    assert!(worst.0 >= 0.95 && worst.1 >= 0.9, "worst subset: {worst:?}");
}

/// Scores a labelled file four ways at the default threshold and prints the figures and
/// the errors. Returns `(setting, counts)`.
fn evaluate_file(file: &str) -> Vec<(&'static str, Counts)> {
    let items = labelled_from(file);
    assert_eq!(items.len(), 40);
    let kw = keywords();
    let seed = build(&seed_docs());
    let archive = build(&archive_docs());
    let mut results = Vec::new();
    for (name, model, kw) in [
        ("seed alone, no keywords", &seed, &[][..]),
        ("seed + archive, no keywords", &archive, &[][..]),
        ("seed alone + keywords", &seed, &kw[..]),
        ("seed + archive + keywords", &archive, &kw[..]),
    ] {
        let rules = Rules { keywords: kw.to_vec(), ..Rules::default() };
        let scored: Vec<(&Labelled, Verdict)> =
            items.iter().map(|i| (i, score(&cand(i), model, &rules, &[]))).collect();
        let c = Counts::of(&scored, DEFAULT_THRESHOLD);
        println!("\n== {file}, {name}: {} (tp {} fp {} fn {} tn {})", line(&c), c.tp, c.fp, c.fn_, c.tn);
        for (i, v) in &scored {
            if (v.score >= DEFAULT_THRESHOLD) != (i.label == "related") {
                let kind = if i.label == "related" { "FN" } else { "FP" };
                println!("  {kind} {} {:.3} {:?} — {}", i.id, v.score, i.title, v.reasons.join("; "));
            }
        }
        results.push((name, c));
    }
    println!("\n{file} summary at {DEFAULT_THRESHOLD}:");
    for (name, c) in &results {
        println!("  {name:<30} {}", line(c));
    }
    results
}

/// `holdout2.jsonl`: 40 items on new subjects and wording, written before the facet scheme
/// was tuned. Scored blind once with the scheme of that time (P 1.000 and R 0.40, 0.45,
/// 0.45, 0.50 in the order below): items that name an Iranian town or no place at all
/// were missed. That led to the place list, so this set has been a development set since;
/// the floors below are what the current scheme reaches.
#[test]
fn holdout2_evaluation() {
    let results = evaluate_file("holdout2.jsonl");
    for ((name, c), min_recall) in results.iter().zip([0.7, 0.9, 0.75, 0.9]) {
        assert!(c.precision() >= 0.95 && c.recall() >= min_recall, "{name}: {}", line(c));
    }
}

/// `holdout3.jsonl`: 40 more items, written after holdout2 exposed the recall gap and
/// before the place list existed, and scored once, blind, with the scheme as it is (P
/// 0.938/0.944/0.941/0.947, R 0.75/0.85/0.80/0.90 in the order below). The scheme has not
/// been changed since; the floors below pin those figures. Known misses: a town whose name
/// is also an English word is not taken for a town ("Shiraz"), a US state is not known as
/// elsewhere ("Alabama"), and a year the archive dwells on (1988) counts as where/who.
#[test]
fn holdout3_evaluation() {
    let results = evaluate_file("holdout3.jsonl");
    for ((name, c), min_recall) in results.iter().zip([0.75, 0.85, 0.8, 0.9]) {
        assert!(c.precision() >= 0.93 && c.recall() >= min_recall, "{name}: {}", line(c));
    }
}

fn model_of(texts: &[(&str, &str)]) -> TopicModel {
    TopicModel::build(texts.iter().map(|&(id, text)| TopicDoc { id, title: "", text }))
}

fn item<'a>(title: &'a str, summary: &'a str) -> Candidate<'a> {
    Candidate { title, summary, text: "", link: None, categories: &[] }
}

#[test]
fn names_are_told_from_words_by_how_they_are_written() {
    let mut st = HashMap::new();
    let paragraphs = terms::name_stats(
        "Iran Hangs Two Men In Tehran Prison\n\
         Officials in Tehran said the National Council of Resistance of Iran and the PMOI met \
         in Geneva, Switzerland on 3 September 1988, and the council met again in 1988.\n",
        &mut st,
    );
    assert_eq!(paragraphs, 1, "the title-case line is skipped");
    let get = |w: &str| st.get(w).copied().unwrap_or_default();
    assert_eq!((get("tehran").standalone, get("tehran").total()), (1, 1));
    assert_eq!((get("council").in_name, get("council").lower), (1, 1));
    assert_eq!(get("iran").in_name, 1, "joined to a name through 'of'");
    assert_eq!(get("pmoi").acronym, 1);
    assert_eq!(get("geneva").standalone, 1, "a comma ends a name");
    assert_eq!(get("1988").total(), 1, "the year of a date is not counted");
    assert_eq!(get("offici").paragraphs, 1, "a sentence start counts for paragraphs only");
    assert_eq!(get("offici").total(), 0);
}

#[test]
fn executive_is_not_execution() {
    let stem = |w: &str| terms::tokenize(w)[0].stem.clone();
    assert_ne!(stem("executive"), stem("execution"));
    assert_eq!(stem("executed"), stem("executions"));
}

#[test]
fn facets_split_where_from_what() {
    let m = build(&seed_docs());
    let e = |t: &str| m.facets.entity.get(t).copied().unwrap_or(0.0);
    let w = |t: &str| m.facets.what.get(t).copied().unwrap_or(0.0);
    assert!(e("iran") > 0.9 && e("iranian") > 0.9, "{:?}", m.facets.entity);
    assert!(e("1988") > 0.5);
    assert!(e("geneva") < 0.2, "a place named once or twice is not the topic");
    for actor in ["un", "council", "nation", "amnesti"] {
        assert_eq!(e(actor), 0.0, "{actor}");
    }
    assert!(w("execut") > 0.9 && w("massacr") > 0.9);
    // The seed never says "hanged" or "custody"; the lexicon widens the what facet to them.
    assert!(w("hang") > 0.3 && w("custodi") > 0.3);
    assert!(w("footbal") == 0.0 && w("oil") == 0.0);
    assert!(m.facets.anchor > 0.3);
}

#[test]
fn both_facets_are_needed() {
    let m = build(&seed_docs());
    let s = |title: &str, summary: &str| score(&item(title, summary), &m, &Rules::default(), &[]);
    let both =
        s("Iran hangs political prisoner after sham trial", "Rights groups said the man was tortured in custody.");
    assert!(both.keep, "{both:?}");
    assert!(both.reasons[0].contains("where/who"), "{both:?}");
    let elsewhere = s(
        "Saudi authorities hang political prisoner after sham trial",
        "Rights groups said the man was tortured in custody.",
    );
    assert!(!elsewhere.keep && elsewhere.score < 0.3, "{elsewhere:?}");
    assert!(elsewhere.reasons.iter().any(|r| r == "about elsewhere: saudi"), "{elsewhere:?}");
    // Naming no place at all is neither for nor against: the what facet must be strong.
    let nowhere = s(
        "Authorities hang political prisoner after sham trial",
        "Rights groups said the man was tortured in custody.",
    );
    assert!(nowhere.score > elsewhere.score + 0.2 && nowhere.score < both.score, "{nowhere:?}");
    // A town the archive never names, in the country it is about, is the where/who.
    let town = s(
        "Court in Sanandaj sentences activist to death after sham trial",
        "His lawyer said he was tortured in custody.",
    );
    assert!(town.keep && town.reasons[0].contains("sanandaj"), "{town:?}");
    let where_only =
        s("Iran's oil exports to China hit a five-year high", "Tehran sold more crude to refiners despite sanctions.");
    assert!(!where_only.keep && where_only.score < 0.2, "{where_only:?}");
}

#[test]
fn archive_without_a_recurring_name_leans_on_what() {
    let m = model_of(&[
        (
            "a",
            "Sourdough starters need regular feeding with flour and water.\n\
             A healthy starter doubles in size within hours and smells pleasantly sour.",
        ),
        (
            "b",
            "Long fermentation gives sourdough bread its open crumb and crisp crust.\n\
             Shape the dough gently, proof it overnight and bake it in a hot Dutch oven.",
        ),
        (
            "c",
            "Wholemeal flour absorbs more water than white flour, so the dough needs more \
             hydration.\nKnead less and let the long fermentation do the work.",
        ),
    ]);
    assert!(m.facets.anchor < 0.05, "anchor {}", m.facets.anchor);
    let bread = score(
        &item(
            "Why your sourdough starter smells sour",
            "Feeding the starter flour and water keeps fermentation going.",
        ),
        &m,
        &Rules::default(),
        &[],
    );
    assert!(bread.keep, "{bread:?}");
    let other = score(&item("Dutch election results", "The coalition lost seats."), &m, &Rules::default(), &[]);
    assert!(!other.keep, "{other:?}");
}

#[test]
fn only_the_lead_of_a_long_body_counts() {
    let m = build(&seed_docs());
    let filler = "The weather stayed mild and markets were calm. ".repeat(40);
    let late = format!("{filler} Iran executed political prisoners after a sham trial.");
    let early = format!("Iran executed political prisoners after a sham trial. {filler}");
    let c = |text: &str| -> f64 {
        let cand = Candidate { title: "News", summary: "", text, link: None, categories: &[] };
        score(&cand, &m, &Rules::default(), &[]).score
    };
    assert!(c(&early) >= 0.5, "{}", c(&early));
    assert!(c(&late) < 0.2, "{}", c(&late));
}

#[test]
fn exclude_rejects_and_names_the_phrase() {
    let m = build(&seed_docs());
    let rules = Rules { exclude: vec!["Football".into()], ..Rules::default() };
    let v = score(&item("Iran political prisoners massacre football", ""), &m, &rules, &[]);
    assert!(!v.keep);
    assert_eq!(v.score, 0.0);
    assert_eq!(v.reasons, ["excluded by \"Football\" in title"]);
}

#[test]
fn keyword_hit_is_strong_evidence_and_named() {
    let m = TopicModel::build([]);
    assert!(m.is_empty());
    let rules = Rules { keywords: vec!["1988 Massacre".into()], ..Rules::default() };
    let v = score(&item("Survivors of the 1988 massacres speak", ""), &m, &rules, &[]);
    assert!(v.keep, "{v:?}");
    assert!(v.reasons.contains(&"keyword \"1988 Massacre\" in title".to_string()));
    let v = score(&item("Weather", "The 1988 massacre anniversary"), &m, &Rules::default(), &["1988 massacre".into()]);
    assert!(v.keep && v.reasons[0] == "source keyword \"1988 massacre\" in summary", "{v:?}");
    let v = score(&item("Weather today", "Sunny"), &m, &rules, &[]);
    assert!(!v.keep && v.score == 0.0);
}

#[test]
fn related_item_keeps_and_names_nearest_document() {
    let m = build(&archive_docs());
    let v = score(
        &item(
            "Iran hangs political prisoners as UN experts demand inquiry into 1988 massacre",
            "Families of executed prisoners called for accountability.",
        ),
        &m,
        &Rules::default(),
        &[],
    );
    assert!(v.keep, "{v:?}");
    assert!(v.nearest.is_some());
    assert!(v.reasons.iter().any(|r| r.starts_with("nearest: ")), "{v:?}");
    let v = score(&item("Geneva motor show cancelled", "Carmakers stay away."), &m, &Rules::default(), &[]);
    assert!(!v.keep, "{v:?}");
}

#[test]
fn fingerprints_follow_the_topic_and_rules() {
    let a = model_of(&[("a", "Iran executes political prisoners"), ("b", "Mass graves in Iran")]);
    let b = model_of(&[("b", "Mass graves in Iran"), ("a", "Iran executes political prisoners")]);
    let c = model_of(&[("a", "Iran executes political prisoners")]);
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert_ne!(a.fingerprint(), c.fingerprint());
    let r1 = Rules { keywords: vec!["PMOI".into(), "1988 massacre".into()], ..Rules::default() };
    let r2 = Rules { keywords: vec!["1988 Massacre".into(), "pmoi".into()], ..Rules::default() };
    assert_eq!(rules_fingerprint(&r1, &[]), rules_fingerprint(&r2, &[]));
    assert_ne!(rules_fingerprint(&r1, &[]), rules_fingerprint(&r1, &["evin".into()]));
    let r3 = Rules { threshold: 0.6, ..r1.clone() };
    assert_ne!(rules_fingerprint(&r1, &[]), rules_fingerprint(&r3, &[]));
}

#[test]
fn model_is_send_sync_clone() {
    fn check<T: Send + Sync + Clone>() {}
    check::<TopicModel>();
}

mod properties {
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

        #[test]
        fn case_and_accents_do_not_matter(t in text(), s in text()) {
            let base = score(&item(&t, &s), &MODEL, &Rules::default(), &[]);
            let upper = score(&item(&t.to_uppercase(), &s.to_lowercase()), &MODEL, &Rules::default(), &[]);
            let plain = score(&item(&strip_accents(&t), &strip_accents(&s)), &MODEL, &Rules::default(), &[]);
            prop_assert_eq!(base.score, upper.score);
            prop_assert_eq!(base.score, plain.score);
        }
    }
}

/// Every verdict on the three labelled sets, pinned against four archives (the seed, the
/// demo archive, the grown archive and a wide one of every labelled item), with the
/// models' fingerprints: a change of speed must not change a decision. Scores must match
/// within 1e-9, everything else exactly. After a deliberate change of the scheme,
/// `FEEDKEEPER_BLESS=1 cargo test --lib relevance::tests::pinned_verdicts` rewrites
/// `pinned-verdicts.jsonl`; review its diff.
#[test]
fn pinned_verdicts() {
    let sets = ["labelled.jsonl", "holdout2.jsonl", "holdout3.jsonl"];
    let all: Vec<(&str, Vec<Labelled>)> = sets.iter().map(|&s| (s, labelled_from(s))).collect();
    let mut grown = archive_docs();
    grown.extend(item_docs(labelled().iter().filter(|i| is_tuning(&i.id) && i.label == "related")));
    let mut wide = archive_docs();
    for (_, items) in &all {
        wide.extend(item_docs(items));
    }
    let models = [("seed", seed_docs()), ("archive", archive_docs()), ("grown", grown), ("wide", wide)];
    let mut lines = Vec::new();
    for (name, docs) in &models {
        let m = build(docs);
        lines.push(serde_json::json!({ "model": name, "docs": m.len(), "fingerprint": m.fingerprint() }));
        for (set, items) in &all {
            for i in items {
                let v = score(&cand(i), &m, &Rules::default(), &[]);
                lines.push(serde_json::json!({
                    "model": name, "set": set, "id": i.id, "score": v.score, "keep": v.keep,
                    "nearest": v.nearest, "reasons": v.reasons,
                }));
            }
        }
    }
    let path = fixtures().join("pinned-verdicts.jsonl");
    if crate::bless() {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let pinned: Vec<serde_json::Value> = read(&path)
        .lines()
        .enumerate()
        .map(|(n, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("pinned-verdicts.jsonl:{}: {e}", n + 1)))
        .collect();
    assert_eq!(pinned.len(), lines.len(), "pinned-verdicts.jsonl: number of lines");
    for (n, (want, got)) in pinned.iter().zip(&lines).enumerate() {
        let (Some(ws), Some(gs)) = (want["score"].as_f64(), got["score"].as_f64()) else {
            assert_eq!(want, got, "pinned-verdicts.jsonl:{}", n + 1);
            continue;
        };
        assert!((ws - gs).abs() <= 1e-9, "pinned-verdicts.jsonl:{}: score {gs} != {ws}", n + 1);
        for key in ["model", "set", "id", "keep", "nearest", "reasons"] {
            assert_eq!(want[key], got[key], "pinned-verdicts.jsonl:{}: {key}", n + 1);
        }
    }
}

/// The fast build (ids, one reading per document) against the straightforward one it
/// replaced (`reference.rs`): same topic, name statistics, fingerprint and nearest
/// documents, to the bit.
mod same_as_reference {
    use super::super::facets::{FacetParams, Facets};
    use super::super::model::{self, Index};
    use super::super::reference::{self, RefIndex};
    use super::super::terms::{self, DocReader};
    use super::*;
    use proptest::prelude::*;

    /// The candidate vector the scorer makes of a title and a summary.
    fn weights(title: &str, summary: &str) -> model::TermWeights {
        let mut counts = model::TermCounts::default();
        model::add_terms(&terms::tokenize(title), 2.0, &mut counts);
        model::add_terms(&terms::tokenize(summary), 1.0, &mut counts);
        model::weigh(counts)
    }

    fn bits(v: &[(String, f32)]) -> Vec<(String, u32)> {
        v.iter().map(|(t, w)| (t.clone(), w.to_bits())).collect()
    }

    /// Builds both ways and compares everything; `probes` are `(title, summary)` pairs
    /// whose nearest documents are compared.
    fn assert_same(docs: &[(String, String, String)], probes: &[(&str, &str)]) {
        let triples = || docs.iter().map(|(i, t, x)| (i.as_str(), t.as_str(), x.as_str()));
        let old = RefIndex::build(triples());
        let new = Index::build(triples());
        assert_eq!(bits(&new.topic), bits(&old.topic), "topic");
        assert_eq!(new.names, old.names, "names");
        assert_eq!(new.paragraphs, old.paragraphs, "paragraphs");
        assert_eq!(new.index.len(), old.docs.len(), "documents");
        let old_facets = Facets::build(&old.topic, &old.names, old.paragraphs, FacetParams::default());
        let model = build(docs);
        assert_eq!(model.fingerprint(), reference::fingerprint(&old, &old_facets), "fingerprint");
        for &(title, summary) in probes {
            let w = weights(title, summary);
            let o = old.similarity(&w.iter().map(|(t, &x)| (t.clone(), x)).collect());
            let mut sorted: Vec<(&str, f32)> = w.iter().map(|(t, &x)| (t.as_str(), x)).collect();
            sorted.sort_by(|a, b| a.0.cmp(b.0));
            let n = new.index.nearest(&sorted);
            let o = o.nearest_doc.map(|d| (old.docs[d].id.clone(), o.nearest.to_bits()));
            let n = n.map(|(d, s)| (new.index.doc_id(d).to_owned(), s.to_bits()));
            assert_eq!(n, o, "nearest to {title:?}");
        }
    }

    #[test]
    fn fixture_archives_build_the_same() {
        let items: Vec<Labelled> =
            ["labelled.jsonl", "holdout2.jsonl", "holdout3.jsonl"].iter().flat_map(|f| labelled_from(f)).collect();
        let probes: Vec<(&str, &str)> = items.iter().map(|i| (i.title.as_str(), i.summary.as_str())).collect();
        let mut wide = archive_docs();
        wide.extend(item_docs(&items));
        // The same documents twice under one id, and in another order.
        let mut twice = archive_docs();
        twice.extend(archive_docs().into_iter().rev().map(|(_, t, x)| ("dup".to_string(), t, x)));
        for docs in [seed_docs(), archive_docs(), wide, twice] {
            assert_same(&docs, &probes);
        }
    }

    /// Pieces of text chosen to exercise every path of reading: names, sentence starts,
    /// dates, possessives, markup, accents, typographic quotes, and characters whose folded
    /// form splits into words differently from the raw one.
    const PIECES: &[&str] = &[
        "Iran",
        "Iranian",
        "executions",
        "political",
        "prisoners",
        "the",
        "of",
        "and",
        "a",
        "A",
        "I",
        "The",
        "massacre",
        "1988",
        "May",
        "September",
        "2023",
        "7",
        "National",
        "Council",
        "Resistance",
        "PMOI",
        "NCRI",
        "U.N.",
        "UN",
        "Evin",
        "prison",
        "Tehran's",
        "Iran’s",
        "don't",
        "rock'n'roll",
        "a:b",
        "foo_bar",
        "3.5",
        "1,000",
        "x2",
        "Genève",
        "GENÈVE",
        "São",
        "İstanbul",
        "Straße",
        "ŀ",
        "ŉ",
        "Mrs",
        "é",
        "É",
        "Ingrid",
        "Betancourt",
        "executive",
        "“quoted”",
        "‘single’",
        "…",
        "—",
        "–",
        "«",
        "»",
        "•",
        "½",
        "km²",
        "ﬁne",
        "ʼn",
        "e\u{301}",
        "\u{301}",
        "א",
        "ב'",
        "soft\u{AD}hyphen",
        "Ω",
        "Σίσυφος",
        "ǅ",
        "Ⅻ",
        "１２",
        "<p>",
        "</p>",
        "&amp;",
        "&",
        "<",
        ">",
        "<a href=\"x\">",
        "&#8217;",
        "\"",
        "(",
        "[",
        ")",
        "!",
        "?",
        ":",
        ";",
        ",",
        ".",
        "-",
        "'s",
        "’s",
        "'",
        "’",
    ];
    const SEPARATORS: &[&str] =
        &[" ", " ", " ", "", ", ", ". ", "\n", "\r\n", "\n\n", " - ", "\u{A0}", "\u{2028}", "\t"];

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec((prop::sample::select(PIECES), prop::sample::select(SEPARATORS)), 0..80)
            .prop_map(|v| v.into_iter().flat_map(|(p, s)| [p, s]).collect())
    }

    /// Text from the pieces that news text is made of (ASCII, accents, quotes): the lines
    /// the reader splits once.
    fn plain_text() -> impl Strategy<Value = String> {
        let plain: Vec<&str> = PIECES
            .iter()
            .copied()
            .filter(|p| p.chars().all(|c| c.is_ascii() || "’‘“”…—–«»•èÈãçéí".contains(c)))
            .collect();
        prop::collection::vec((prop::sample::select(plain), prop::sample::select(&SEPARATORS[..10])), 0..120)
            .prop_map(|v| v.into_iter().flat_map(|(p, s)| [p, s]).collect())
    }

    fn assert_reads_the_same(title: &str, text: &str) -> Result<(), TestCaseError> {
        let mut reader = DocReader::default();
        let paragraphs = reader.read(title, text);
        let mut names = HashMap::new();
        prop_assert_eq!(paragraphs, reference::name_stats(text, &mut names));
        let mut got = HashMap::new();
        prop_assert_eq!(terms::name_stats(text, &mut got), paragraphs);
        prop_assert_eq!(got, names);
        let stems = |toks: &[terms::WordInfo]| -> Vec<(String, u32, bool, bool)> {
            toks.iter()
                .map(|t| (reader.vocab.stems().text(t.stem).to_owned(), t.weight.to_bits(), t.stop, t.unlisted))
                .collect()
        };
        let want = |text: &str| -> Vec<(String, u32, bool, bool)> {
            let mut toks = Vec::new();
            reference::tokenize_folded(&reference::fold(text), &mut toks);
            toks.into_iter().map(|t| (t.stem, t.weight.to_bits(), t.stop, t.unlisted)).collect()
        };
        prop_assert_eq!(stems(&reader.title), want(title));
        prop_assert_eq!(stems(&reader.text), want(text));
        Ok(())
    }

    proptest! {
        #[test]
        fn fold_is_the_old_fold(t in ".{0,80}", u in text()) {
            prop_assert_eq!(terms::fold(&t), reference::fold(&t));
            prop_assert_eq!(terms::fold(&u), reference::fold(&u));
        }

        #[test]
        fn documents_read_the_same(title in text(), t in text(), p in plain_text()) {
            assert_reads_the_same(&title, &t)?;
            assert_reads_the_same(&title, &p)?;
        }

        #[test]
        fn archives_build_the_same(docs in prop::collection::vec((0u8..6, text(), plain_text()), 0..8)) {
            let docs: Vec<(String, String, String)> =
                docs.into_iter().map(|(id, t, x)| (format!("d{id}"), t, x)).collect();
            let probes: Vec<(&str, &str)> = docs.iter().map(|(_, t, x)| (t.as_str(), x.as_str())).collect();
            assert_same(&docs, &probes);
        }
    }
}

mod sampling {
    use super::super::model::stable_sample;
    use super::*;

    /// `n` documents of 12 sentences each, picked by a fixed sequence from `sentences`.
    fn synthetic(sentences: &[String], n: usize, seed: u64) -> Vec<(String, String, String)> {
        let mut x = seed;
        let mut next = move || {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) as usize
        };
        (0..n)
            .map(|d| {
                let text: String = (0..12).map(|_| format!("{}. ", sentences[next() % sentences.len()])).collect();
                let id = blake3::hash(format!("doc {seed} {d}").as_bytes()).to_hex()[..16].to_string();
                (id, sentences[next() % sentences.len()].clone(), text)
            })
            .collect()
    }

    /// Sentences of the seed, the demo archive and the related labelled items: a topical archive.
    fn topical_sentences() -> Vec<String> {
        let mut texts: Vec<String> = archive_docs().into_iter().map(|(_, _, t)| t).collect();
        texts.extend(labelled().into_iter().filter(|i| i.label == "related").map(|i| i.summary));
        texts
            .iter()
            .flat_map(|t| t.split(['.', '\n']))
            .map(str::trim)
            .filter(|s| s.split_whitespace().count() > 5)
            .map(String::from)
            .collect()
    }

    fn triples(docs: &[(String, String, String)]) -> Vec<(&str, &str, &str)> {
        docs.iter().map(|(i, t, x)| (i.as_str(), t.as_str(), x.as_str())).collect()
    }

    #[test]
    fn small_archives_are_read_whole_and_large_ones_by_a_stable_sample() {
        let docs = synthetic(&topical_sentences(), 50, 7);
        assert_eq!(stable_sample(triples(&docs), 50), triples(&docs), "at the limit: all, as given");
        let sample = stable_sample(triples(&docs), 10);
        assert_eq!(sample.len(), 10);
        assert!(sample.windows(2).all(|w| w[0] < w[1]), "in id order, no repeats");
        let mut reversed = triples(&docs);
        reversed.reverse();
        assert_eq!(stable_sample(reversed, 10), sample, "the order they come in does not matter");
        // One more document changes at most one member of the sample.
        let more = synthetic(&topical_sentences(), 51, 7);
        let grown = stable_sample(triples(&more), 10);
        let kept = grown.iter().filter(|d| sample.contains(d)).count();
        assert!(kept >= 9, "{kept} of 10 kept");
        // Ids that are not hashes (front matter may give any id) are sampled across the range.
        let plain: Vec<(String, String, String)> =
            (0..1000).map(|i| (format!("article-{i:04}"), "t".to_string(), "x".to_string())).collect();
        let picked = stable_sample(triples(&plain), 100);
        let early = picked.iter().filter(|d| d.0 < "article-0500").count();
        assert!((30..=70).contains(&early), "{early} of 100 from the first half");
    }

    #[test]
    fn documents_offered_one_at_a_time_give_the_model_of_all_of_them() {
        let docs = synthetic(&topical_sentences(), 40, 13);
        let mut sample = super::super::TopicSample::with_cap(16);
        for (id, title, text) in docs.iter().rev() {
            sample.offer(id, title, text);
        }
        assert_eq!(sample.len(), 16, "never more than the cap held");
        let whole = TopicModel::build_with(
            docs.iter().map(|(id, title, text)| TopicDoc { id, title, text }),
            FacetParams::default(),
            16,
        );
        assert_eq!(sample.build().fingerprint(), whole.fingerprint());
    }

    #[test]
    fn a_sampled_model_is_the_model_of_its_sample() {
        let docs = synthetic(&topical_sentences(), 40, 11);
        let build_sampled = |docs: &[(String, String, String)]| {
            TopicModel::build_with(
                docs.iter().map(|(id, title, text)| TopicDoc { id, title, text }),
                FacetParams::default(),
                16,
            )
        };
        let m = build_sampled(&docs);
        assert_eq!(m.len(), 16);
        let mut shuffled = docs.clone();
        shuffled.reverse();
        shuffled.rotate_left(7);
        assert_eq!(build_sampled(&shuffled).fingerprint(), m.fingerprint());
        let sample: Vec<(String, String, String)> = stable_sample(triples(&docs), 16)
            .into_iter()
            .map(|(i, t, x)| (i.to_owned(), t.to_owned(), x.to_owned()))
            .collect();
        assert_eq!(build(&sample).fingerprint(), m.fingerprint());
    }

    /// A topical archive learned whole and from a stable sample of a quarter of it (the
    /// ratio of a 64,000-document archive to the 16,000-document sample, scaled down so
    /// the test stays quick in a debug build): every verdict on the three labelled sets,
    /// and precision and recall at the default threshold. A decision may differ only for an
    /// item both models put within 0.02 of the threshold. (At full size, 60,000 documents
    /// against the 16,000 of [`SAMPLE_DOCS`], no decision differed and no score moved more
    /// than 0.008; that build takes minutes in a debug build.)
    #[test]
    fn a_sample_learns_the_topic_of_a_large_archive() {
        const WHOLE: usize = 8_000;
        let docs = synthetic(&topical_sentences(), WHOLE, 3);
        let model = |sample: usize| {
            let t = std::time::Instant::now();
            let m = TopicModel::build_with(
                docs.iter().map(|(id, title, text)| TopicDoc { id, title, text }),
                FacetParams::default(),
                sample,
            );
            println!("built from {} documents in {:.2} s", m.len(), t.elapsed().as_secs_f64());
            m
        };
        let (whole, sampled) = (model(usize::MAX), model(WHOLE / 4));
        assert_eq!(sampled.len(), WHOLE / 4);
        let mut worst: f64 = 0.0;
        for set in ["labelled.jsonl", "holdout2.jsonl", "holdout3.jsonl"] {
            let items = labelled_from(set);
            let judge = |m: &TopicModel| -> Vec<(&Labelled, Verdict)> {
                items.iter().map(|i| (i, score(&cand(i), m, &Rules::default(), &[]))).collect()
            };
            let (a, b) = (judge(&whole), judge(&sampled));
            let flipped: Vec<_> = a.iter().zip(&b).filter(|(x, y)| x.1.keep != y.1.keep).collect();
            let flips = flipped.len();
            for (x, y) in &flipped {
                let margin = (x.1.score - DEFAULT_THRESHOLD).abs().max((y.1.score - DEFAULT_THRESHOLD).abs());
                assert!(margin < 0.02, "{set}: {:?} flips {} -> {}", x.0.title, x.1.score, y.1.score);
            }
            let diff = a.iter().zip(&b).map(|(x, y)| (x.1.score - y.1.score).abs()).fold(0.0, f64::max);
            worst = worst.max(diff);
            let (ca, cb) = (Counts::of(&a, DEFAULT_THRESHOLD), Counts::of(&b, DEFAULT_THRESHOLD));
            println!(
                "{set}: whole {} | sampled {} | {flips} decisions differ, largest score difference {diff:.4}",
                line(&ca),
                line(&cb)
            );
        }
        assert!(worst < 0.02, "largest score difference {worst}");
    }
}
