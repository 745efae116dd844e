//! Large archives: learned from a stable sample.

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
