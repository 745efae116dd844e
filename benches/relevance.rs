//! Prints relevance scoring throughput: a 50-item feed against a 1,000-document model, and
//! the time to build 1,000- and 10,000-document models. Run with `cargo bench --bench
//! relevance` (`-- quick` skips the 10,000-document build).
//! Documents are made deterministically from the labelled fixtures and the seed, so the
//! vocabulary is realistic; no network, no clock inside the scorer.

use std::hint::black_box;
use std::time::Instant;

use feedkeeper::relevance::{Candidate, Rules, TopicDoc, TopicModel, score};

fn main() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/relevance");
    let seed = std::fs::read_to_string(format!("{fixtures}/seed.txt")).expect("seed fixture");
    let labelled = std::fs::read_to_string(format!("{fixtures}/labelled.jsonl")).expect("labelled fixture");
    let items: Vec<serde_json::Value> = labelled.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let sentences: Vec<String> = seed
        .split(['.', '\n'])
        .chain(items.iter().filter_map(|i| i["summary"].as_str()))
        .map(str::trim)
        .filter(|s| s.len() > 20)
        .map(String::from)
        .collect();
    // Document n: 12 sentences picked by a fixed linear congruential sequence.
    let make_docs = |n: usize| -> Vec<(String, String, String)> {
        let mut x: u64 = 0x9e37_79b9;
        (0..n)
            .map(|d| {
                let mut text = String::new();
                for _ in 0..12 {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    text.push_str(&sentences[(x >> 33) as usize % sentences.len()]);
                    text.push_str(". ");
                }
                (format!("doc-{d}"), format!("Document {d}"), text)
            })
            .collect()
    };
    let build = |docs: &[(String, String, String)]| {
        TopicModel::build(docs.iter().map(|(id, title, text)| TopicDoc { id, title, text }))
    };

    let _warm = build(&make_docs(1));
    // `cargo bench --bench relevance -- quick` skips the 10,000-document build.
    if !std::env::args().any(|a| a == "quick") {
        let docs10k = make_docs(10_000);
        let t = Instant::now();
        let m10k = build(&docs10k);
        println!("build 10,000 docs: {:.3} s", t.elapsed().as_secs_f64());
        black_box(&m10k);
    }

    let docs1k = make_docs(1_000);
    let t = Instant::now();
    let model = build(&docs1k);
    println!("build 1,000 docs: {:.3} s", t.elapsed().as_secs_f64());

    let feed: Vec<&serde_json::Value> = items.iter().cycle().take(50).collect();
    let rules = Rules {
        keywords: vec!["1988 massacre".into(), "PMOI".into()],
        exclude: vec!["football".into()],
        ..Rules::default()
    };
    let rounds = 100;
    let t = Instant::now();
    for _ in 0..rounds {
        for i in &feed {
            let c = Candidate {
                title: i["title"].as_str().unwrap_or(""),
                summary: i["summary"].as_str().unwrap_or(""),
                text: "",
                link: i["link"].as_str(),
                categories: &[],
            };
            black_box(score(&c, &model, &rules, &[]));
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let n = (rounds * feed.len()) as f64;
    println!(
        "score 50-item feed x {rounds} against 1,000-doc model: {:.0} items/s ({:.1} µs/item)",
        n / secs,
        secs / n * 1e6
    );
}
