//! Unit, property and evaluation tests of relevance scoring. Fixtures live in
//! `tests/fixtures/relevance/`.

use super::*;
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
    TopicModel::build(docs.iter().map(|(id, title, text)| TopicDoc {
        id,
        title,
        text,
    }))
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
    read(&fixtures().join("labelled.jsonl"))
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("labelled.jsonl:{}: {e}", n + 1))
        })
        .collect()
}

/// The fixed split rule: an item is in the tuning half when the first byte of the blake3
/// hash of its id is even, held out otherwise. Independent of file order and content.
fn is_tuning(id: &str) -> bool {
    blake3::hash(id.as_bytes()).as_bytes()[0] % 2 == 0
}

fn cand(item: &Labelled) -> Candidate<'_> {
    Candidate {
        title: &item.title,
        summary: &item.summary,
        text: "",
        link: Some(&item.link),
        categories: &[],
    }
}

struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
    tn: usize,
}

impl Counts {
    fn of(scored: &[(&Labelled, Verdict)], threshold: f64) -> Counts {
        let mut c = Counts {
            tp: 0,
            fp: 0,
            fn_: 0,
            tn: 0,
        };
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
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }
}

struct Setting {
    name: &'static str,
    /// Best-F1 threshold on the tuning half (lowest on a tie).
    tuned: f64,
    threshold: f64,
    held_out: Counts,
    all: Counts,
    tuned_held_out: Counts,
    tuned_all: Counts,
}

/// The threshold proposed for the demo config, whose archive has several documents.
const DEMO_THRESHOLD: f64 = 0.7;

fn evaluate(
    name: &'static str,
    model: &TopicModel,
    kw: &[String],
    items: &[Labelled],
    thr: f64,
) -> Setting {
    let rules = Rules {
        keywords: kw.to_vec(),
        ..Rules::default()
    };
    let scored: Vec<(&Labelled, Verdict)> = items
        .iter()
        .map(|i| (i, score(&cand(i), model, &rules, &[])))
        .collect();
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
        println!(
            "                                     {t:.2}  {:.2}  {:.2}  {:.2}",
            c.precision(),
            c.recall(),
            c.f1()
        );
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
    let mut errors: Vec<&(&Labelled, Verdict)> = scored
        .iter()
        .filter(|(i, v)| (v.score >= thr) != (i.label == "related"))
        .collect();
    errors.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    for (i, v) in errors {
        let kind = if i.label == "related" { "FN" } else { "FP" };
        println!(
            "  {kind} {} {:.3} {:?} — {}",
            i.id,
            v.score,
            i.title,
            v.reasons.join("; ")
        );
    }
    Setting {
        name,
        tuned: tuned.1,
        threshold: thr,
        held_out: Counts::of(&held, thr),
        all: Counts::of(&scored, thr),
        tuned_held_out: Counts::of(&held, tuned.1),
        tuned_all: Counts::of(&scored, tuned.1),
    }
}

/// Scores the labelled set four ways and prints precision/recall/F1, a threshold sweep and
/// the confusion list (`cargo test --lib relevance::tests::evaluation -- --nocapture`).
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
    let line = |c: &Counts| format!("P {:.3} R {:.3} F1 {:.3}", c.precision(), c.recall(), c.f1());
    println!("\nsummary:");
    for s in &results {
        println!(
            "  {:<28} at {:.2}: all {} | held-out {}",
            s.name,
            s.threshold,
            line(&s.all),
            line(&s.held_out)
        );
        println!(
            "  {:<28} at {:.2} (tuned): all {} | held-out {}",
            "",
            s.tuned,
            line(&s.tuned_all),
            line(&s.tuned_held_out)
        );
    }
    // Targets. One threshold does not yet serve a one-document and a five-document archive
    // alike (the report says why): the seed alone is held to the default threshold, the
    // demo archive with keywords to the demo config's threshold.
    let [seed_only, _, _, _] = &results;
    for c in [&seed_only.all, &seed_only.held_out] {
        assert!(c.precision() >= 0.9 && c.recall() >= 0.74, "seed alone: {}", line(c));
    }
    let demo = evaluate("demo config (archive + keywords)", &archive, &kw, &items, DEMO_THRESHOLD);
    for c in [&demo.all, &demo.held_out] {
        assert!(c.precision() >= 0.9 && c.recall() >= 0.9, "demo config: {}", line(c));
    }
}

#[test]
fn debug_profile() {
    let m = build(&seed_docs());
    let d = &m.index.docs[0];
    let mut v: Vec<(&str, f32)> = d.terms.iter().map(|&(t, w)| (m.index.term_texts[t as usize].as_str(), w)).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (t, w) in v { println!("{w:.3} {t}"); }
}

#[test]
fn debug_raw() {
    let items = labelled();
    for (name, docs) in [("seed", seed_docs()), ("archive", archive_docs())] {
        let m = build(&docs);
        let mut rows = Vec::new();
        for i in &items {
            let c = cand(i);
            let fields = Fields::new(&c);
            let mut counts = TermCounts::new();
            for (f, toks) in &fields.fields {
                let w = match f { Field::Title => TITLE_WEIGHT, Field::Link => LINK_WEIGHT, _ => 1.0 };
                model::add_terms(toks, w, &mut counts, None);
            }
            let sim = m.index.similarity(&model::weigh(counts));
            rows.push((i.label == "related", sim.nearest, sim.centroid, i.id.clone()));
        }
        for (k, f) in [("nearest", 1usize), ("centroid", 2), ("max", 3), ("mean", 4), ("c.75", 5)] {
            let val = |r: &(bool, f32, f32, String)| match f { 1 => r.1, 2 => r.2, 3 => r.1.max(r.2), 4 => 0.5 * (r.1 + r.2), _ => 0.75 * r.2 + 0.25 * r.1 };
            let mut best = (0.0, 0.0f32);
            for step in 1..200 {
                let t = step as f32 * 0.01;
                let tp = rows.iter().filter(|r| r.0 && val(r) >= t).count() as f64;
                let fp = rows.iter().filter(|r| !r.0 && val(r) >= t).count() as f64;
                let fnn = rows.iter().filter(|r| r.0 && val(r) < t).count() as f64;
                let f1 = 2.0 * tp / (2.0 * tp + fp + fnn);
                if f1 > best.0 { best = (f1, t); }
            }
            println!("{name} {k}: best F1 {:.3} at raw {:.2}", best.0, best.1);
                for t in [0.10f32, 0.12, 0.14, 0.16, 0.18, 0.20, 0.22, 0.25] {
                    let tp = rows.iter().filter(|r| r.0 && val(r) >= t).count() as f64;
                    let fp = rows.iter().filter(|r| !r.0 && val(r) >= t).count() as f64;
                    let fnn = rows.iter().filter(|r| r.0 && val(r) < t).count() as f64;
                    print!(" {t:.2}:{:.2}", 2.0 * tp / (2.0 * tp + fp + fnn));
                }
                println!();
        }
    }
}

#[test]
fn debug_mass() {
    for (name, docs) in [("seed", seed_docs()), ("archive", archive_docs())] {
        let m = build(&docs);
        let mut c: Vec<f32> = m.index.centroid.clone();
        c.sort_by(|a, b| b.total_cmp(a));
        for k in [10, 20, 30, 50, 80] {
            let mass: f32 = c.iter().take(k).map(|w| w * w).sum();
            println!("{name} top{k}: {:.3} sqrt {:.3}", mass, mass.sqrt());
        }
        let mut v: Vec<(f32, &str)> = m.index.centroid.iter().enumerate().map(|(i, &w)| (w, m.index.term_texts[i].as_str())).collect();
        v.sort_by(|a, b| b.0.total_cmp(&a.0));
        println!("{:?}", &v[..40]);
    }
}
