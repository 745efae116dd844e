//! The learned topic: a weighted term profile of every archived document, an inverted index
//! over those profiles, and their centroid. Built from texts passed in; pure.
//!
//! A term is a stemmed word or a two-word phrase (bigram). A term's weight is
//! `(1 + ln tf) * informativeness`, where informativeness comes from the general-English
//! background, not from document frequency inside the archive: an archive of one document
//! must already tell "the" from "massacre". Each document keeps only its strongest
//! [`PROFILE_TERMS`] terms, so long and short documents give similarities on one scale.
//! This module must not read files or clocks.

use std::collections::HashMap;

use super::terms::{self, Token};

/// Terms kept per document profile.
pub const PROFILE_TERMS: usize = 150;
/// Terms kept in the centroid profile.
pub const CENTROID_TERMS: usize = 200;
/// Terms kept in the topic (the coverage-weighted centroid the facets are made from).
pub const TOPIC_TERMS: usize = 600;
/// How strongly the centroid favours terms found in many archived documents.
pub const CENTROID_COVERAGE_POWER: f32 = 0.5;
/// Extra weight of a term always written as a name in an archived document.
pub const NAME_BOOST: f32 = 1.0;
/// A bigram's weight is this share of its two words' weights added up.
const BIGRAM_FACTOR: f32 = 0.6;
/// Version of the term and weight scheme; part of every fingerprint.
pub const SCHEME_VERSION: &str = "relevance-v2";

/// A sparse term vector: term text -> weight.
pub type TermWeights = HashMap<String, f32>;

/// Term counts before weighting: term text -> (weighted count, informativeness). The
/// informativeness is the largest seen among the term's surface forms, so it does not
/// depend on the order of the text.
pub type TermCounts = HashMap<String, (f32, f32)>;

/// Adds the terms of one field to `acc`, each occurrence counting `field_weight`, and
/// remembers the first surface form of every term in `surfaces` if given.
pub fn add_terms(
    tokens: &[Token],
    field_weight: f32,
    acc: &mut TermCounts,
    mut surfaces: Option<&mut HashMap<String, String>>,
) {
    let mut prev: Option<&Token> = None;
    for tok in tokens {
        if tok.weight > 0.0 {
            bump(acc, &tok.stem, field_weight, tok.weight);
            if let Some(s) = surfaces.as_deref_mut() {
                s.entry(tok.stem.clone()).or_insert_with(|| tok.surface.clone());
            }
        }
        if tok.stop {
            prev = None;
            continue;
        }
        // Two unlisted words in a row are nearly always a name; its words already count.
        if let Some(p) = prev.filter(|p| !(p.unlisted && tok.unlisted)) {
            let key = format!("{} {}", p.stem, tok.stem);
            if let Some(s) = surfaces.as_deref_mut()
                && !s.contains_key(&key)
            {
                s.insert(key.clone(), format!("{} {}", p.surface, tok.surface));
            }
            bump(acc, &key, field_weight, BIGRAM_FACTOR * (p.weight + tok.weight));
        }
        prev = Some(tok);
    }
}

fn bump(acc: &mut TermCounts, term: &str, count: f32, weight: f32) {
    match acc.get_mut(term) {
        Some((c, w)) => {
            *c += count;
            *w = w.max(weight);
        }
        None => {
            acc.insert(term.to_owned(), (count, weight));
        }
    }
}

/// Turns counts into `(1 + ln tf) * weight`, drops zero weights.
pub fn weigh(counts: TermCounts) -> TermWeights {
    counts
        .into_iter()
        .filter_map(|(t, (tf, w))| {
            (w > 0.0 && tf > 0.0).then(|| {
                let tfw = if tf >= 1.0 { 1.0 + tf.ln() } else { tf };
                (t, tfw * w)
            })
        })
        .collect()
}

/// How much more a term counts in an archived document because the document writes it as
/// a name (Iran, Evin, PMOI): a topic archive is about particular places, organisations
/// and people, and items of the same genre about other ones are its nearest misses.
fn name_boost(term: &str, names: &HashMap<String, terms::NameStats>) -> f32 {
    let rate = |stem: &str| {
        names.get(stem).map_or(0.0, |st| {
            let t = st.total();
            if t == 0 { 0.0 } else { (t - st.lower) as f32 / t as f32 }
        })
    };
    let r = match term.split_once(' ') {
        Some((a, b)) => rate(a).min(rate(b)),
        None => rate(term),
    };
    1.0 + NAME_BOOST * r
}

/// Keeps the `k` strongest terms (ties broken by term text) and L2-normalises them.
pub fn profile(weights: TermWeights, k: usize) -> Vec<(String, f32)> {
    let mut v: Vec<(String, f32)> = weights.into_iter().collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(k);
    normalise(&mut v);
    v
}

fn normalise(v: &mut [(String, f32)]) {
    let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, w) in v.iter_mut() {
            *w /= norm;
        }
    }
}

/// One archived document's profile.
#[derive(Debug, Clone)]
pub struct DocProfile {
    pub id: String,
    /// See [`reach`].
    pub reach: f32,
    /// `(term id, weight)`, L2-normalised.
    pub terms: Vec<(u32, f32)>,
}

/// The index the scorer reads.
#[derive(Debug, Clone, Default)]
pub struct Index {
    pub term_ids: HashMap<String, u32>,
    pub term_texts: Vec<String>,
    pub docs: Vec<DocProfile>,
    /// Per term id: `(doc index, weight)`.
    pub postings: Vec<Vec<(u32, f32)>>,
    /// Per term id: centroid weight (0 when the term is not in the centroid profile).
    pub centroid: Vec<f32>,
    /// See [`reach`].
    pub centroid_reach: f32,
    /// The coverage-weighted centroid, strongest [`TOPIC_TERMS`] terms, strongest first.
    pub topic: Vec<(String, f32)>,
    /// How the words of the topic are written across the archive (unigrams only).
    pub names: HashMap<String, terms::NameStats>,
    /// Documents in the index.
    pub n_docs: usize,
    /// Paragraphs of running text in those documents (see `terms::name_stats`).
    pub paragraphs: u32,
}

/// Terms a short item can be expected to share with a profile; see [`reach`].
pub const REACH_TERMS: usize = 10;

/// The largest cosine a short item touching only the profile's [`REACH_TERMS`] strongest
/// terms could reach: the L2 norm of those weights. A topic spread over many terms (one
/// long document full of names) has a low reach, a focused one a reach near 1; dividing
/// by it puts cosines against different archives on one scale.
fn reach(weights: impl Iterator<Item = f32>) -> f32 {
    let mut w: Vec<f32> = weights.collect();
    w.sort_by(|a, b| b.total_cmp(a));
    w.iter().take(REACH_TERMS).map(|x| x * x).sum::<f32>().sqrt()
}

impl Index {
    /// Builds the index from `(id, title, text)` triples.
    pub fn build<'a>(docs: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>) -> Index {
        let mut profiles: Vec<(String, Vec<(String, f32)>)> = Vec::new();
        let mut tokens = Vec::new();
        let mut all_names: HashMap<String, terms::NameStats> = HashMap::new();
        let mut paragraphs = 0u32;
        for (id, title, text) in docs {
            let mut counts = TermCounts::new();
            tokens.clear();
            terms::tokenize_folded(&terms::fold(title), &mut tokens);
            // The title counts twice: it says what the document is about.
            add_terms(&tokens, 2.0, &mut counts, None);
            tokens.clear();
            terms::tokenize_folded(&terms::fold(text), &mut tokens);
            add_terms(&tokens, 1.0, &mut counts, None);
            let mut names = HashMap::new();
            paragraphs += terms::name_stats(text, &mut names);
            let mut weights = weigh(counts);
            for (term, w) in weights.iter_mut() {
                *w *= name_boost(term, &names);
            }
            for (stem, st) in names {
                all_names.entry(stem).or_default().merge_doc(&st);
            }
            let p = profile(weights, PROFILE_TERMS);
            if !p.is_empty() {
                profiles.push((id.to_owned(), p));
            }
        }
        // Deterministic whatever the input order.
        profiles.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| cmp_profiles(&a.1, &b.1)));

        let mut index = Index::default();
        let mut centroid_acc = TermWeights::new();
        let mut df: HashMap<String, f32> = HashMap::new();
        let n_docs = profiles.len() as f32;
        let profiles_len = profiles.len();
        for (doc_no, (id, p)) in profiles.into_iter().enumerate() {
            let mut terms_v = Vec::with_capacity(p.len());
            for (term, w) in p {
                *centroid_acc.entry(term.clone()).or_insert(0.0) += w;
                *df.entry(term.clone()).or_insert(0.0) += 1.0;
                let tid = index.intern(term);
                index.postings[tid as usize].push((doc_no as u32, w));
                terms_v.push((tid, w));
            }
            terms_v.sort_by_key(|&(t, _)| t);
            let reach = reach(terms_v.iter().map(|&(_, w)| w));
            index.docs.push(DocProfile { id, reach, terms: terms_v });
        }
        // A term the archive keeps coming back to is the topic; one document's aside is not.
        for (term, w) in centroid_acc.iter_mut() {
            let coverage = df.get(term).copied().unwrap_or(0.0) / n_docs;
            *w *= coverage.powf(CENTROID_COVERAGE_POWER);
        }
        let topic = profile(centroid_acc, TOPIC_TERMS);
        index.n_docs = profiles_len;
        index.paragraphs = paragraphs;
        index.names = topic
            .iter()
            .filter_map(|(t, _)| all_names.get_key_value(t.as_str()))
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        let mut centroid: Vec<(String, f32)> = topic.iter().take(CENTROID_TERMS).cloned().collect();
        normalise(&mut centroid);
        index.topic = topic;
        index.centroid_reach = reach(centroid.iter().map(|(_, w)| *w));
        index.centroid = vec![0.0; index.term_texts.len()];
        for (term, w) in centroid {
            if let Some(&tid) = index.term_ids.get(&term) {
                index.centroid[tid as usize] = w;
            }
        }
        index
    }

    fn intern(&mut self, term: String) -> u32 {
        if let Some(&id) = self.term_ids.get(&term) {
            return id;
        }
        let id = self.term_texts.len() as u32;
        self.term_ids.insert(term.clone(), id);
        self.term_texts.push(term);
        self.postings.push(Vec::new());
        id
    }
}

fn cmp_profiles(a: &[(String, f32)], b: &[(String, f32)]) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = x.0.cmp(&y.0).then_with(|| x.1.total_cmp(&y.1));
        if o.is_ne() {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// Similarity of a candidate vector (term -> weight, any scale) with the archive.
#[derive(Debug, Clone, PartialEq)]
pub struct Similarity {
    /// Cosine with the nearest document profile, divided by that profile's reach.
    pub nearest: f32,
    /// Index of the nearest document.
    pub nearest_doc: Option<usize>,
    /// Cosine with the centroid profile, divided by its reach.
    pub centroid: f32,
    /// Matched terms with their contribution to the best of the two, strongest first.
    pub matched: Vec<(String, f32)>,
}

impl Index {
    /// Cosine of the candidate with every document sharing a term, and with the centroid.
    pub fn similarity(&self, candidate: &TermWeights) -> Similarity {
        // Sorted, so float sums do not depend on hash order: same input, same bits.
        let mut entries: Vec<(&String, f32)> = candidate.iter().map(|(t, &w)| (t, w)).collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let norm = entries.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        let mut out = Similarity { nearest: 0.0, nearest_doc: None, centroid: 0.0, matched: Vec::new() };
        if norm <= 0.0 || self.docs.is_empty() {
            return out;
        }
        let mut hits: Vec<(u32, f32)> = Vec::new();
        let mut acc = vec![0.0f32; self.docs.len()];
        for &(term, w) in &entries {
            if let Some(&tid) = self.term_ids.get(term.as_str()) {
                let cw = w / norm;
                hits.push((tid, cw));
                for &(doc, dw) in &self.postings[tid as usize] {
                    acc[doc as usize] += cw * dw;
                }
                out.centroid += cw * self.centroid[tid as usize];
            }
        }
        out.centroid /= self.centroid_reach.max(f32::EPSILON);
        for (i, s) in acc.iter_mut().enumerate() {
            *s /= self.docs[i].reach.max(f32::EPSILON);
        }
        for (i, &s) in acc.iter().enumerate() {
            // Strictly greater: ties go to the first document in id order.
            if s > out.nearest {
                out.nearest = s;
                out.nearest_doc = Some(i);
            }
        }
        let use_doc = out.nearest >= out.centroid;
        let mut matched: Vec<(String, f32)> = hits
            .into_iter()
            .filter_map(|(tid, cw)| {
                let dw = match (use_doc, out.nearest_doc) {
                    (true, Some(d)) => self.docs[d]
                        .terms
                        .binary_search_by_key(&tid, |&(t, _)| t)
                        .map(|i| self.docs[d].terms[i].1)
                        .unwrap_or(0.0),
                    _ => self.centroid[tid as usize],
                };
                (dw > 0.0).then(|| (self.term_texts[tid as usize].clone(), cw * dw))
            })
            .collect();
        matched.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out.matched = matched;
        out
    }
}
