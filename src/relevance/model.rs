//! The learned topic: a weighted term profile of every archived document, an inverted index
//! over those profiles (for the nearest document), and their coverage-weighted centroid
//! (the topic the facets are made from). Built from texts passed in; pure.
//!
//! A term is a stemmed word or a two-word phrase (bigram). A term's weight is
//! `(1 + ln tf) * informativeness`, where informativeness comes from the general-English
//! background, not from document frequency inside the archive: an archive of one document
//! must already tell "the" from "massacre". Each document keeps only its strongest
//! [`PROFILE_TERMS`] terms, so long and short documents give similarities on one scale.
//!
//! The build is made for archives of tens of thousands of documents, on one core: each
//! document is read once (`terms::DocReader`), words, stems and terms are integer ids (a
//! word is stemmed and looked up in the background once per archive, not once per use),
//! only a document's strongest terms are ever turned back into text, and the model keeps
//! the index and the topic, nothing per document beyond its id and its reach. Every float
//! is computed in the same order as the straightforward string-keyed build (kept in
//! `reference.rs` for the tests), so the topic, the fingerprint and every score are the
//! same bits. Which documents to learn from is the caller's choice ([`stable_sample`]).
//! This module must not read files or clocks.

use std::cmp::Ordering;
use std::collections::HashMap;

use rustc_hash::FxHashMap;

use super::places::{self, Mentions};
use super::terms::{DocReader, Interner, NameCounts, NameStats, Token, WordInfo};

/// Terms kept per document profile.
pub const PROFILE_TERMS: usize = 150;
/// Terms kept in the topic (the coverage-weighted centroid the facets are made from).
pub const TOPIC_TERMS: usize = 600;
/// How strongly the centroid favours terms found in many archived documents.
pub const CENTROID_COVERAGE_POWER: f32 = 0.5;
/// Extra weight of a term always written as a name in an archived document.
pub const NAME_BOOST: f32 = 1.0;
/// A bigram's weight is this share of its two words' weights added up.
pub const BIGRAM_FACTOR: f32 = 0.6;
/// Version of the term and weight scheme; part of every fingerprint.
pub const SCHEME_VERSION: &str = "relevance-v2";
/// Terms a short item can be expected to share with a profile; see [`reach`].
pub const REACH_TERMS: usize = 10;

/// A sparse term vector: term text -> weight.
#[cfg(test)]
pub type TermWeights = FxHashMap<String, f32>;

/// Term counts before weighting: term text -> (weighted count, informativeness). The
/// informativeness is the largest seen among the term's surface forms, so it does not
/// depend on the order of the text.
#[cfg(test)]
pub type TermCounts = FxHashMap<String, (f32, f32)>;

/// Calls `f` with every term occurrence of one field, in order: each token that carries
/// weight (a unigram, `second` is `None`) and each pair of neighbouring tokens that makes
/// a bigram, with the informativeness of the occurrence and the index of its last token.
pub fn for_each_term<'t>(tokens: &'t [Token], mut f: impl FnMut(&'t Token, Option<&'t Token>, f32, usize)) {
    let mut prev: Option<&Token> = None;
    for (i, tok) in tokens.iter().enumerate() {
        if tok.weight > 0.0 {
            f(tok, None, tok.weight, i);
        }
        if tok.stop {
            prev = None;
            continue;
        }
        // Two unlisted words in a row are nearly always a name; its words already count.
        if let Some(p) = prev.filter(|p| !(p.unlisted && tok.unlisted)) {
            f(p, Some(tok), BIGRAM_FACTOR * (p.weight + tok.weight), i);
        }
        prev = Some(tok);
    }
}

/// Appends a term's text ("a", or "a b" for a bigram) to `out`; returns where it is.
pub fn push_term(out: &mut String, first: &str, second: Option<&str>) -> std::ops::Range<usize> {
    let start = out.len();
    out.push_str(first);
    if let Some(b) = second {
        out.push(' ');
        out.push_str(b);
    }
    start..out.len()
}

/// Adds the terms of one field to `acc`, each occurrence counting `field_weight`.
#[cfg(test)]
pub fn add_terms(tokens: &[Token], field_weight: f32, acc: &mut TermCounts) {
    for_each_term(tokens, |a, b, weight, _| {
        let mut key = String::new();
        push_term(&mut key, &a.stem, b.map(|b| b.stem.as_str()));
        match acc.get_mut(&key) {
            Some((c, w)) => {
                *c += field_weight;
                *w = w.max(weight);
            }
            None => {
                acc.insert(key, (field_weight, weight));
            }
        }
    });
}

/// `1 + ln tf` for a term frequency of at least 1, the frequency itself below.
pub fn tf_weight(tf: f32) -> f32 {
    if tf >= 1.0 { 1.0 + tf.ln() } else { tf }
}

/// Turns counts into `(1 + ln tf) * weight`, drops zero weights.
#[cfg(test)]
pub fn weigh(counts: TermCounts) -> TermWeights {
    counts.into_iter().filter_map(|(t, (tf, w))| (w > 0.0 && tf > 0.0).then(|| (t, tf_weight(tf) * w))).collect()
}

/// The largest cosine a short item touching only the profile's [`REACH_TERMS`] strongest
/// terms could reach: the L2 norm of those weights (given strongest first). A topic spread
/// over many terms (one long document full of names) has a low reach, a focused one a
/// reach near 1; dividing by it puts cosines against different archives on one scale.
fn reach(strongest_first: impl Iterator<Item = f32>) -> f32 {
    strongest_first.take(REACH_TERMS).map(|x| x * x).sum::<f32>().sqrt()
}

/// L2 norm of weights, summed in the order given.
fn norm(weights: impl Iterator<Item = f32>) -> f32 {
    weights.map(|w| w * w).sum::<f32>().sqrt()
}

/// A term while building: a stem id, or two (a bigram, written "a b").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key(u64);

/// The second half of a unigram's key. Stem ids never reach it: that would take four
/// billion distinct stems.
const NO_STEM: u32 = u32::MAX;

impl Key {
    fn unigram(a: u32) -> Key {
        Key((u64::from(a) << 32) | u64::from(NO_STEM))
    }

    fn bigram(a: u32, b: u32) -> Key {
        Key((u64::from(a) << 32) | u64::from(b))
    }

    fn parts(self) -> (u32, Option<u32>) {
        let b = self.0 as u32;
        ((self.0 >> 32) as u32, (b != NO_STEM).then_some(b))
    }

    fn text(self, stems: &Interner) -> String {
        match self.parts() {
            (a, None) => stems.text(a).to_owned(),
            (a, Some(b)) => format!("{} {}", stems.text(a), stems.text(b)),
        }
    }
}

impl Key {
    /// The order of the terms' texts. "a" or "a b" against "c" or "c d": when the first
    /// stems differ, their order is the texts' order (a stem that is a prefix of the other
    /// is followed by nothing or a space, which sorts before any character of a word);
    /// when they are the same stem, the unigram comes first, then the second stems decide.
    fn text_cmp(self, other: Key, stems: &Interner) -> Ordering {
        let ((a1, a2), (b1, b2)) = (self.parts(), other.parts());
        if a1 != b1 {
            return stems.text(a1).cmp(stems.text(b1));
        }
        match (a2, b2) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => stems.text(x).cmp(stems.text(y)),
        }
    }
}

/// Counts the terms of one document; its buffers are reused for the next.
#[derive(Debug, Default)]
struct Counter {
    /// By stem id: (weighted count, informativeness); a count of 0 means unused.
    unigrams: Vec<(f32, f32)>,
    used: Vec<u32>,
    bigrams: FxHashMap<u64, (f32, f32)>,
    /// `1 + ln n` for small whole `n`, the usual term frequencies.
    ln_table: Vec<f32>,
}

/// Term frequencies up to this are looked up, not computed.
const LN_TABLE: usize = 256;

impl Counter {
    /// The terms of one field (as [`for_each_term`] finds them) counted, with ids.
    fn add(&mut self, tokens: &[WordInfo], field_weight: f32) {
        let mut prev: Option<&WordInfo> = None;
        for tok in tokens {
            if tok.weight > 0.0 {
                let s = tok.stem as usize;
                if s >= self.unigrams.len() {
                    self.unigrams.resize(s + 1, (0.0, 0.0));
                }
                let (c, w) = &mut self.unigrams[s];
                if *c == 0.0 {
                    self.used.push(tok.stem);
                    (*c, *w) = (field_weight, tok.weight);
                } else {
                    *c += field_weight;
                    *w = w.max(tok.weight);
                }
            }
            if tok.stop {
                prev = None;
                continue;
            }
            if let Some(p) = prev.filter(|p| !(p.unlisted && tok.unlisted)) {
                let weight = BIGRAM_FACTOR * (p.weight + tok.weight);
                self.bigrams
                    .entry(Key::bigram(p.stem, tok.stem).0)
                    .and_modify(|(c, w)| {
                        *c += field_weight;
                        *w = w.max(weight);
                    })
                    .or_insert((field_weight, weight));
            }
            prev = Some(tok);
        }
    }

    fn tf_weight(&mut self, tf: f32) -> f32 {
        if self.ln_table.is_empty() {
            self.ln_table = (0..LN_TABLE).map(|n| tf_weight(n as f32)).collect();
        }
        let n = tf as usize;
        if n as f32 == tf && n < LN_TABLE { self.ln_table[n] } else { tf_weight(tf) }
    }

    /// The terms counted since the last call, weighted `(1 + ln tf) * informativeness`
    /// times the name boost, into `out`; the counts are reset.
    fn weigh(&mut self, names: &NameCounts, out: &mut Vec<(Key, f32)>) {
        out.clear();
        let rate = |stem: u32| {
            let st = names.get(stem);
            let t = st.total();
            if t == 0 { 0.0 } else { (t - st.lower) as f32 / t as f32 }
        };
        let mut used = std::mem::take(&mut self.used);
        for &s in &used {
            let (tf, w) = std::mem::take(&mut self.unigrams[s as usize]);
            if w > 0.0 && tf > 0.0 {
                out.push((Key::unigram(s), self.tf_weight(tf) * w * (1.0 + NAME_BOOST * rate(s))));
            }
        }
        used.clear();
        self.used = used;
        let mut bigrams = std::mem::take(&mut self.bigrams);
        for (key, (tf, w)) in bigrams.drain() {
            if w > 0.0 && tf > 0.0 {
                let (a, b) = Key(key).parts();
                let r = rate(a).min(b.map_or(0.0, rate));
                out.push((Key(key), self.tf_weight(tf) * w * (1.0 + NAME_BOOST * r)));
            }
        }
        self.bigrams = bigrams;
    }
}

/// Keeps the `k` strongest terms (of equal weights at the cut, the first by text),
/// strongest first, and L2-normalises them. Terms of equal weight are in no particular
/// order among themselves: nothing computed from a profile depends on it (the norm adds
/// equal squares in a row, the fingerprint sorts by text), except the order of documents
/// that share an id, which puts their terms in text order itself. `tied` is scratch space.
fn profile(terms: &mut Vec<(Key, f32)>, k: usize, stems: &Interner, tied: &mut Vec<(Key, f32)>) {
    let heavier = |a: &(Key, f32), b: &(Key, f32)| b.1.total_cmp(&a.1);
    if terms.len() > k && k > 0 {
        terms.select_nth_unstable_by(k - 1, heavier);
        let cut = terms[k - 1].1;
        tied.clear();
        tied.extend(terms.iter().filter(|t| t.1.total_cmp(&cut).is_eq()));
        terms.retain(|t| t.1.total_cmp(&cut).is_gt());
        let need = k - terms.len();
        if tied.len() > need {
            tied.select_nth_unstable_by(need - 1, |a, b| a.0.text_cmp(b.0, stems));
            tied.truncate(need);
        }
        terms.extend_from_slice(tied);
    }
    terms.sort_unstable_by(heavier);
    let n = norm(terms.iter().map(|t| t.1));
    if n > 0.0 {
        for (_, w) in terms.iter_mut() {
            *w /= n;
        }
    }
}

/// The nearest-document index: for each term, the documents whose profile has it and the
/// weight there. A term found in most documents is stored as a dense column (one weight
/// per document, 0 where absent), which is smaller and scans faster.
#[derive(Debug, Clone, Default)]
struct Postings {
    /// Per term: where its postings start in `docs`/`weights`; one more entry at the end.
    starts: Vec<usize>,
    docs: Vec<u32>,
    weights: Vec<f32>,
    /// Per term: its column in `columns`, or `NO_COLUMN`.
    column_of: Vec<u32>,
    /// Dense columns, `n_docs` weights each.
    columns: Vec<f32>,
}

const NO_COLUMN: u32 = u32::MAX;

/// The index the scorer reads.
#[derive(Debug, Clone, Default)]
pub struct Index {
    /// The terms of the index; a term's id is its row in `postings`.
    terms: Interner,
    postings: Postings,
    /// Document ids in id order; a document's number is its place here.
    doc_ids: Vec<Box<str>>,
    /// Per document, see [`reach`] (never below `f32::EPSILON`: it divides).
    doc_reach: Vec<f32>,
}

/// What the build learned besides the index.
pub struct Built {
    pub index: Index,
    /// The coverage-weighted centroid, strongest [`TOPIC_TERMS`] terms, strongest first.
    pub topic: Vec<(String, f32)>,
    /// How the words of the topic are written across the archive (unigrams only).
    pub names: HashMap<String, NameStats>,
    /// Paragraphs of running text in the documents (see `terms::DocReader::read`).
    pub paragraphs: u32,
    /// How often the documents name places in each country (see `places::count_mentions`).
    pub mentions: Mentions,
    /// The fingerprint so far: the scheme and every document's profile.
    pub fingerprint: blake3::Hasher,
}

/// Where a document stands in the sample order: the first 8 bytes of blake3 of its id.
pub fn sample_rank(id: &str) -> u64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&blake3::hash(id.as_bytes()).as_bytes()[..8]);
    u64::from_be_bytes(first)
}

/// The documents themselves when there are at most `n`, else the `n` whose ids hash lowest
/// (blake3), in the order of `(id, title, text)`: whatever order they come in, the same
/// sample. Hashing makes it a random sample across time and sources whatever the ids look
/// like, and a stable one: an added document changes at most one member of the sample,
/// so a growing archive's topic does not jump from one run to the next.
pub fn stable_sample<'a>(mut docs: Vec<(&'a str, &'a str, &'a str)>, n: usize) -> Vec<(&'a str, &'a str, &'a str)> {
    if docs.len() <= n {
        return docs;
    }
    let mut ranked: Vec<(u64, (&str, &str, &str))> = docs.drain(..).map(|d| (sample_rank(d.0), d)).collect();
    ranked.select_nth_unstable(n - 1);
    ranked.truncate(n);
    let mut sample: Vec<(&str, &str, &str)> = ranked.into_iter().map(|(_, d)| d).collect();
    sample.sort_unstable();
    sample
}

/// One document's profile during the build.
struct Profile<'a> {
    id: &'a str,
    /// Range in the build's flat list of `(term, weight)`.
    start: usize,
    end: usize,
}

impl Index {
    /// Builds the index from `(id, title, text)` triples.
    pub fn build<'a>(docs: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>) -> Built {
        let mut reader = DocReader::default();
        let mut counter = Counter::default();
        let mut weighted: Vec<(Key, f32)> = Vec::new();
        let mut tied: Vec<(Key, f32)> = Vec::new();
        // Terms that made some document's profile, as ids in `texts`.
        let mut term_of: FxHashMap<u64, u32> = FxHashMap::default();
        let mut texts = Interner::default();
        let mut flat: Vec<(u32, f32)> = Vec::new();
        let mut profiles: Vec<Profile> = Vec::new();
        let mut all_names: Vec<NameStats> = Vec::new();
        let mut paragraphs = 0u32;
        let mut mentions = Mentions::default();
        for (id, title, text) in docs {
            paragraphs += reader.read(title, text);
            for toks in [&reader.title, &reader.text] {
                places::count_mentions(toks.iter().map(|t| reader.vocab.word_text(t.word)), &mut mentions);
            }
            // The title counts twice: it says what the document is about.
            counter.add(&reader.title, 2.0);
            counter.add(&reader.text, 1.0);
            counter.weigh(&reader.names, &mut weighted);
            let stems = reader.vocab.stems();
            if all_names.len() < stems.len() {
                all_names.resize(stems.len(), NameStats::default());
            }
            for &s in reader.names.touched() {
                all_names[s as usize].merge_doc(&reader.names.get(s));
            }
            profile(&mut weighted, PROFILE_TERMS, stems, &mut tied);
            if weighted.is_empty() {
                continue;
            }
            let start = flat.len();
            for &(key, w) in &weighted {
                let t = *term_of.entry(key.0).or_insert_with(|| texts.intern(&key.text(stems)).0);
                flat.push((t, w));
            }
            profiles.push(Profile { id, start, end: flat.len() });
        }
        drop(term_of);
        let terms_of = |p: &Profile| &flat[p.start..p.end];

        // Deterministic whatever the input order: by id, then by profile.
        profiles.sort_by(|a, b| {
            a.id.cmp(b.id).then_with(|| {
                // Profile order: strongest first, then by text.
                let ordered = |p: &Profile| {
                    let mut v = terms_of(p).to_vec();
                    v.sort_by(|s, t| t.1.total_cmp(&s.1).then_with(|| texts.text(s.0).cmp(texts.text(t.0))));
                    v
                };
                let (x, y) = (ordered(a), ordered(b));
                for (s, t) in x.iter().zip(&y) {
                    let o = texts.text(s.0).cmp(texts.text(t.0)).then_with(|| s.1.total_cmp(&t.1));
                    if o.is_ne() {
                        return o;
                    }
                }
                x.len().cmp(&y.len())
            })
        });

        // Each term's place in text order, for the fingerprint.
        let n_terms = texts.len();
        let mut rank = vec![0u32; n_terms];
        {
            let prefix = |t: u32| {
                let mut b = [0u8; 8];
                let s = texts.text(t).as_bytes();
                let n = s.len().min(8);
                b[..n].copy_from_slice(&s[..n]);
                u64::from_be_bytes(b)
            };
            let mut by_text: Vec<(u64, u32)> = (0..n_terms as u32).map(|t| (prefix(t), t)).collect();
            by_text.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| texts.text(a.1).cmp(texts.text(b.1))));
            for (r, &(_, t)) in by_text.iter().enumerate() {
                rank[t as usize] = r as u32;
            }
        }

        // The index: every profile term, in postings sorted by document number.
        let mut counts = vec![0usize; n_terms];
        for &(t, _) in &flat {
            counts[t as usize] += 1;
        }
        let n_docs = profiles.len();
        let mut postings = Postings::default();
        let mut next = Vec::with_capacity(n_terms);
        postings.starts.reserve(n_terms + 1);
        postings.column_of.reserve(n_terms);
        let mut n_columns = 0u32;
        let mut at = 0usize;
        for &c in &counts {
            postings.starts.push(at);
            next.push(at);
            if c * 2 > n_docs {
                postings.column_of.push(n_columns);
                n_columns += 1;
            } else {
                postings.column_of.push(NO_COLUMN);
                at += c;
            }
        }
        postings.starts.push(at);
        postings.docs = vec![0; at];
        postings.weights = vec![0.0; at];
        postings.columns = vec![0.0; n_columns as usize * n_docs];

        let mut fingerprint = blake3::Hasher::new();
        let mut buf: Vec<u8> = Vec::with_capacity(1 << 17);
        buf.extend_from_slice(SCHEME_VERSION.as_bytes());
        let mut centroid_acc = vec![0.0f32; n_terms];
        let mut df = vec![0.0f32; n_terms];
        let mut doc_ids = Vec::with_capacity(n_docs);
        let mut doc_reach = Vec::with_capacity(n_docs);
        let mut sorted: Vec<(u32, u32, f32)> = Vec::with_capacity(PROFILE_TERMS);
        for (doc_no, p) in profiles.iter().enumerate() {
            let terms = terms_of(p);
            buf.extend_from_slice(b"\0doc\0");
            buf.extend_from_slice(p.id.as_bytes());
            sorted.clear();
            sorted.extend(terms.iter().map(|&(t, w)| (rank[t as usize], t, w)));
            sorted.sort_unstable_by_key(|x| x.0);
            for &(_, t, w) in &sorted {
                buf.push(0);
                buf.extend_from_slice(texts.text(t).as_bytes());
                // Quantised so float noise cannot change the fingerprint.
                buf.extend_from_slice(&((w * 10_000.0).round() as i32).to_le_bytes());
            }
            if buf.len() >= 1 << 16 {
                fingerprint.update(&buf);
                buf.clear();
            }
            for &(t, w) in terms {
                let t = t as usize;
                centroid_acc[t] += w;
                df[t] += 1.0;
                match postings.column_of[t] {
                    NO_COLUMN => {
                        postings.docs[next[t]] = doc_no as u32;
                        postings.weights[next[t]] = w;
                        next[t] += 1;
                    }
                    col => postings.columns[col as usize * n_docs + doc_no] = w,
                }
            }
            doc_ids.push(Box::from(p.id));
            doc_reach.push(reach(terms.iter().map(|t| t.1)).max(f32::EPSILON));
        }
        fingerprint.update(&buf);

        // A term the archive keeps coming back to is the topic; one document's aside is not.
        let n = n_docs as f32;
        let mut topic: Vec<(u32, f32)> =
            (0..n_terms).map(|t| (t as u32, centroid_acc[t] * (df[t] / n).powf(CENTROID_COVERAGE_POWER))).collect();
        let cmp =
            |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then_with(|| texts.text(a.0).cmp(texts.text(b.0)));
        if topic.len() > TOPIC_TERMS {
            topic.select_nth_unstable_by(TOPIC_TERMS - 1, cmp);
        }
        topic.truncate(TOPIC_TERMS);
        topic.sort_unstable_by(cmp);
        let topic_norm = norm(topic.iter().map(|t| t.1));
        let topic: Vec<(String, f32)> = topic
            .into_iter()
            .map(|(t, w)| (texts.text(t).to_owned(), if topic_norm > 0.0 { w / topic_norm } else { w }))
            .collect();
        let stems = reader.vocab.stems();
        let names = topic
            .iter()
            .filter_map(|(t, _)| {
                let st = all_names.get(stems.get(t)? as usize)?;
                // A stem has statistics once a paragraph of running text used it.
                (st.paragraphs > 0).then(|| (t.clone(), *st))
            })
            .collect();

        texts.shrink_to_fit();
        let index = Index { terms: texts, postings, doc_ids, doc_reach };
        Built { index, topic, names, paragraphs, mentions, fingerprint }
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.doc_ids.len()
    }

    /// The id of document number `doc`.
    pub fn doc_id(&self, doc: usize) -> &str {
        &self.doc_ids[doc]
    }

    /// The document most similar to a candidate vector (term, weight on any scale; sorted
    /// by term, so float sums do not depend on hash order), with its similarity: the
    /// cosine with the document's profile divided by that profile's reach. `None` when no
    /// document shares a term with the candidate.
    pub fn nearest(&self, entries: &[(&str, f32)]) -> Option<(usize, f32)> {
        let norm = norm(entries.iter().map(|e| e.1));
        let n_docs = self.doc_ids.len();
        if norm <= 0.0 || n_docs == 0 {
            return None;
        }
        let p = &self.postings;
        let mut acc = vec![0.0f32; n_docs];
        for &(term, w) in entries {
            let Some(t) = self.terms.get(term) else {
                continue;
            };
            let t = t as usize;
            let cw = w / norm;
            match p.column_of[t] {
                NO_COLUMN => {
                    let (from, to) = (p.starts[t], p.starts[t + 1]);
                    for (&d, &dw) in p.docs[from..to].iter().zip(&p.weights[from..to]) {
                        acc[d as usize] += cw * dw;
                    }
                }
                // A document without the term adds `cw * 0.0 = +0.0`: the sum is unchanged.
                col => {
                    let column = &p.columns[col as usize * n_docs..(col as usize + 1) * n_docs];
                    for (a, &dw) in acc.iter_mut().zip(column) {
                        *a += cw * dw;
                    }
                }
            }
        }
        // Divided by reach, in eight lanes that keep their largest: the sums are finite and
        // never negative, so the largest is exact whatever the order it is found in.
        let mut lanes = [0.0f32; 8];
        let mut chunks = acc.chunks_exact_mut(8);
        let mut reach = self.doc_reach.chunks_exact(8);
        for (a, r) in (&mut chunks).zip(&mut reach) {
            for j in 0..8 {
                a[j] /= r[j];
                lanes[j] = if a[j] > lanes[j] { a[j] } else { lanes[j] };
            }
        }
        for (a, r) in chunks.into_remainder().iter_mut().zip(reach.remainder()) {
            *a /= r;
            lanes[0] = if *a > lanes[0] { *a } else { lanes[0] };
        }
        let best = lanes.into_iter().fold(0.0f32, |m, x| if x > m { x } else { m });
        // Ties go to the first document in id order.
        acc.iter().position(|&s| best > 0.0 && s == best).map(|d| (d, best))
    }
}
