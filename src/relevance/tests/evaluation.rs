//! The labelled sets: precision, recall and the score distributions per archive, and every
//! verdict pinned.

use super::*;

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

/// Every verdict on the three labelled sets, pinned against four archives (the seed, the
/// demo archive, the grown archive and a wide one of every labelled item), with the
/// models' fingerprints: a change of speed must not change a decision. Scores must match
/// within 1e-9, everything else exactly. After a deliberate change of the scheme,
/// `FEEDKEEPER_BLESS=1 cargo test --lib relevance::tests::evaluation::pinned_verdicts` rewrites
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

/// How far apart the scores of related and unrelated items are: the lowest related score,
/// the highest unrelated one, and how many items fall between them (0 when they do not
/// overlap).
#[derive(Debug)]
struct Overlap {
    lowest_related: f64,
    highest_unrelated: f64,
    items_between: usize,
}

fn overlap(scored: &[(&Labelled, Verdict)]) -> Overlap {
    let related = |l: &Labelled| l.label == "related";
    let lowest_related = scored.iter().filter(|(l, _)| related(l)).map(|(_, v)| v.score).fold(1.0, f64::min);
    let highest_unrelated = scored.iter().filter(|(l, _)| !related(l)).map(|(_, v)| v.score).fold(0.0, f64::max);
    let items_between = scored
        .iter()
        .filter(|(_, v)| {
            lowest_related <= highest_unrelated && v.score >= lowest_related && v.score <= highest_unrelated
        })
        .count();
    Overlap { lowest_related, highest_unrelated, items_between }
}

/// Scores one part of a topic's labelled items from its archive alone and with keywords;
/// prints the figures, the overlap of the score distributions and the errors.
fn evaluate_topic(topic: &str, part: &str) -> Vec<(&'static str, Counts, Overlap)> {
    let items = labelled_from(&format!("topics/{topic}/{part}.jsonl"));
    let model = build(&topic_docs(topic));
    let kw = topic_keywords(topic);
    let mut out = Vec::new();
    for (name, kw) in [("archive alone", &[][..]), ("archive + keywords", &kw[..])] {
        let rules = Rules { keywords: kw.to_vec(), ..Rules::default() };
        let scored: Vec<(&Labelled, Verdict)> =
            items.iter().map(|i| (i, score(&cand(i), &model, &rules, &[]))).collect();
        let c = Counts::of(&scored, DEFAULT_THRESHOLD);
        let o = overlap(&scored);
        println!(
            "\n== {topic}/{part}, {name}: {} (tp {} fp {} fn {} tn {}); related ≥ {:.2}, unrelated ≤ {:.2}, {} items between",
            line(&c),
            c.tp,
            c.fp,
            c.fn_,
            c.tn,
            o.lowest_related,
            o.highest_unrelated,
            o.items_between
        );
        for (i, v) in &scored {
            let wrong = (v.score >= DEFAULT_THRESHOLD) != (i.label == "related");
            println!(
                "  {} {} {:.3} {:?} — {}",
                if wrong { if i.label == "related" { "FN" } else { "FP" } } else { "  " },
                i.id,
                v.score,
                i.title,
                v.reasons.join("; ")
            );
        }
        out.push((name, c, o));
    }
    out
}

/// Asserts the floors a topic's part reaches, for both settings (archive alone, with
/// keywords): the figures measured when these sets were first scored.
fn assert_topic(topic: &str, part: &str, min_precision: f64, min_recall: f64) {
    for (name, c, o) in evaluate_topic(topic, part) {
        assert!(
            c.precision() >= min_precision && c.recall() >= min_recall,
            "{topic}/{part}, {name}: {} {o:?}",
            line(&c)
        );
    }
}

/// Microplastics, written before any tuning and scored with the scheme as it was: the one
/// error is a near miss on the topic's general words (packaging profits, 0.51).
#[test]
fn topic_microplastics_tuning() {
    assert_topic("microplastics", "tuning", 0.9, 1.0);
}

/// Press freedom in Mexico: no false keep, but related items that name a Mexican state
/// the place list does not know (Sonora, Sinaloa: it lists towns of 15,000 people and,
/// for the United States only, states) or no place at all keep only part of their score,
/// and a reporter killed described in words the archive does not use ("radio host")
/// shows little of the what facet. First scored at R 0.545; 0.636 since the human-rights
/// lexicon no longer boosts and widens an archive that is not about its events (the
/// freelance photographer killed in Tijuana is kept); 0.818 since the place list has
/// Mexico's states and an archive's countries are also learned from the share of its place
/// names in each (Sonora and Guerrero items are kept).
#[test]
fn topic_press_mexico_tuning() {
    assert_topic("press-mexico", "tuning", 1.0, 0.81);
}

/// Scored once, blind, at the end: a fine-particle air pollution item is kept (0.68).
#[test]
fn topic_microplastics_holdout() {
    assert_topic("microplastics", "holdout", 0.9, 1.0);
}

/// Scored once, blind, at the end: Tamaulipas (a state) and a TV crew attacked in
/// Zacatecas ("cameraman", "gunmen") are missed. Since Mexico's states are places of the
/// archive's country, Tamaulipas is kept, and so is a near miss (cartel violence in
/// Chiapas, 0.50): P 0.90.
#[test]
fn topic_press_mexico_holdout() {
    assert_topic("press-mexico", "holdout", 0.9, 0.81);
}

/// North Atlantic right whales, the fourth topic (a species' conservation), written
/// before any tuning: its tuning half. First scored at P 0.78 / R 0.64: the archive names
/// Maine, Florida and Massachusetts once or twice each, so the United States was not its
/// country and items about Virginia or New York counted as elsewhere. Learned from the
/// share of place names, P 0.82 / R 0.82; the errors left are near misses on the topic's
/// general words (humpback whale watching, rope in seabird nests) and terse items naming
/// no place.
#[test]
fn topic_right_whales_tuning() {
    assert_topic("right-whales", "tuning", 0.81, 0.81);
}

/// North Atlantic right whales, the held-out half: scored once, blind, at the end, with
/// the scheme of the tuning half (countries from the share of place names): P 0.92 / R 1.00
/// from the archive alone and with keywords. The one false keep is a near miss on the
/// topic's words and places: the end of a gray whale die-off, which NOAA declared, on
/// the Pacific coast (0.61).
#[test]
fn topic_right_whales_holdout() {
    assert_topic("right-whales", "holdout", 0.91, 1.0);
}

/// One row of the evaluation table: a labelled set's part scored in one setting.
struct Row {
    set: String,
    part: &'static str,
    setting: &'static str,
    counts: Counts,
    overlap: Overlap,
}

/// Scores `items` against `model` with `kw` as the configured keywords, at the default
/// threshold. With `two_stage`, an item whose entry is uncertain is decided on its article
/// where one was written for it (`pages/<id>.txt`), as a check does once it has the page.
fn table_row(
    set: &str,
    part: &'static str,
    setting: &'static str,
    model: &TopicModel,
    kw: &[String],
    items: &[&Labelled],
    two_stage: bool,
) -> Row {
    let rules = Rules { keywords: kw.to_vec(), ..Rules::default() };
    let page = |id: &str| std::fs::read_to_string(fixtures().join("pages").join(format!("{id}.txt"))).ok();
    let decide = |i: &Labelled| {
        let entry = score(&cand(i), model, &rules, &[]);
        match page(&i.id).filter(|_| two_stage) {
            Some(article) => decide_on_article(&cand(i), entry, &article, model, &rules, &[]),
            None => entry,
        }
    };
    let scored: Vec<(&Labelled, Verdict)> = items.iter().map(|&i| (i, decide(i))).collect();
    Row {
        set: set.to_owned(),
        part,
        setting,
        counts: Counts::of(&scored, DEFAULT_THRESHOLD),
        overlap: overlap(&scored),
    }
}

/// The evaluation table of the README: every labelled set, tuning and held-out parts, from
/// the archive alone and with the set's keywords, at the default threshold, with the
/// overlap of the related and unrelated score distributions (`cargo test --lib
/// relevance::tests::evaluation::evaluation_table -- --nocapture`). The targets are asserted
/// by the tests of each set; this one checks that every part has items of both labels, so
/// its precision, recall and overlap mean something.
#[test]
fn evaluation_table() {
    let mut rows = Vec::new();
    // The first topic: its main set split by `is_tuning`; holdout2 and holdout3 whole.
    let archive = build(&archive_docs());
    let kw = keywords();
    let main = labelled();
    let (tune, held): (Vec<&Labelled>, Vec<&Labelled>) = main.iter().partition(|i| is_tuning(&i.id));
    let h2 = labelled_from("holdout2.jsonl");
    let h3 = labelled_from("holdout3.jsonl");
    let first: [(&str, &'static str, Vec<&Labelled>); 4] = [
        ("iran (labelled)", "tuning", tune),
        ("iran (labelled)", "holdout", held),
        ("iran (holdout2)", "holdout", h2.iter().collect()),
        ("iran (holdout3)", "holdout", h3.iter().collect()),
    ];
    for (set, part, items) in &first {
        rows.push(table_row(set, part, "archive alone", &archive, &[], items, false));
        rows.push(table_row(set, part, "with keywords", &archive, &kw, items, false));
    }
    for topic in ["microplastics", "press-mexico", "right-whales"] {
        let model = build(&topic_docs(topic));
        let kw = topic_keywords(topic);
        for part in ["tuning", "holdout"] {
            let items = labelled_from(&format!("topics/{topic}/{part}.jsonl"));
            let items: Vec<&Labelled> = items.iter().collect();
            rows.push(table_row(topic, part, "archive alone", &model, &[], &items, false));
            rows.push(table_row(topic, part, "with keywords", &model, &kw, &items, false));
            // Pages are written for a few items only (`pages/`): the others keep the entry's
            // verdict, as a check does when a page cannot be had.
            rows.push(table_row(topic, part, "two-stage (pages where written)", &model, &[], &items, true));
        }
    }
    println!("\n| set | part | setting | P | R | lowest related | highest unrelated | items in the overlap |");
    println!("|---|---|---|---|---|---|---|---|");
    for r in &rows {
        let c = &r.counts;
        println!(
            "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
            r.set,
            r.part,
            r.setting,
            c.precision(),
            c.recall(),
            r.overlap.lowest_related,
            r.overlap.highest_unrelated,
            r.overlap.items_between
        );
    }
    for r in &rows {
        let c = &r.counts;
        assert!(c.tp + c.fn_ > 0 && c.fp + c.tn > 0, "{} {}: a part needs items of both labels", r.set, r.part);
    }
}
