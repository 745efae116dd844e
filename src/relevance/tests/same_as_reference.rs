//! The fast build (ids, one reading per document) against the straightforward one it
//! replaced (`reference.rs`): same topic, name statistics, fingerprint and nearest
//! documents, to the bit.

use super::super::facets::{FacetParams, Facets};
use super::super::model::{self, Index};
use super::super::terms::{self, DocReader};
use super::reference::{self, RefIndex};
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
    let old_facets = Facets::build(&old.topic, &old.names, old.paragraphs, &old.mentions, FacetParams::default());
    assert_eq!(new.mentions, old.mentions, "place mentions");
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
const SEPARATORS: &[&str] = &[" ", " ", " ", "", ", ", ". ", "\n", "\r\n", "\n\n", " - ", "\u{A0}", "\u{2028}", "\t"];

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(PIECES), prop::sample::select(SEPARATORS)), 0..80)
        .prop_map(|v| v.into_iter().flat_map(|(p, s)| [p, s]).collect())
}

/// Text from the pieces that news text is made of (ASCII, accents, quotes): the lines
/// the reader splits once.
fn plain_text() -> impl Strategy<Value = String> {
    let plain: Vec<&str> =
        PIECES.iter().copied().filter(|p| p.chars().all(|c| c.is_ascii() || "’‘“”…—–«»•èÈãçéí".contains(c))).collect();
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
