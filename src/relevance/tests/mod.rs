//! Tests of relevance scoring, one file per kind: `unit` (small archives, one behaviour
//! each), `properties` (proptest over random items), `evaluation` (the labelled sets,
//! precision and recall, pinned verdicts), `same_as_reference` (the fast build against
//! the straightforward `reference` oracle) and `sampling` (large archives). Fixtures live
//! in `tests/fixtures/relevance/`; this module holds what they share.

mod evaluation;
mod properties;
mod reference;
mod same_as_reference;
mod sampling;
mod unit;

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

fn model_of(texts: &[(&str, &str)]) -> TopicModel {
    TopicModel::build(texts.iter().map(|&(id, text)| TopicDoc { id, title: "", text }))
}

fn item<'a>(title: &'a str, summary: &'a str) -> Candidate<'a> {
    Candidate { title, summary, text: "", link: None, categories: &[] }
}

/// A topic far from the first one: `topics/<name>/` holds its archive (`archive/*.txt`),
/// the keywords a user would configure, and labelled items split into `tuning.jsonl` and
/// `holdout.jsonl`.
fn topic_docs(topic: &str) -> Vec<(String, String, String)> {
    let dir = fixtures().join("topics").join(topic).join("archive");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    paths.iter().map(|p| article(p.file_stem().expect("stem").to_string_lossy().into_owned(), read(p))).collect()
}

fn topic_keywords(topic: &str) -> Vec<String> {
    read(&fixtures().join("topics").join(topic).join("keywords.txt"))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}
