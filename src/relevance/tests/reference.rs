//! The topic model's build as it was before it was made fast (string terms, one hash map
//! per document, every token stemmed and hashed as text), kept only so tests can show the
//! fast build learns exactly the same topic, profiles, fingerprint and nearest documents.
//! Test-only; never used by the scorer.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::relevance::model::{
    BIGRAM_FACTOR, CENTROID_COVERAGE_POWER, NAME_BOOST, PROFILE_TERMS, REACH_TERMS, TOPIC_TERMS,
};
use unicode_segmentation::UnicodeSegmentation;

use crate::relevance::terms::{
    NAME_JOINERS, NameStats, STOP_ZIPF, Token, after_dateline, is_month, is_year_word, lookup, strip_markup,
    word_weight, zipf,
};

/// The old tokenizer: folded text split by the general Unicode word segmentation (no fast
/// path), possessive `'s` and apostrophes dropped, single letters dropped, numbers kept.
pub fn tokenize_folded(folded: &str, out: &mut Vec<Token>) {
    for word in folded.unicode_words() {
        let word = word.strip_suffix("'s").unwrap_or(word);
        let word = word.replace('\'', "");
        let mut chars = word.chars();
        match (chars.next(), chars.next()) {
            (None, _) => continue,
            (Some(c), None) if !c.is_numeric() => continue,
            _ => {}
        }
        let (stem, z, listed) = lookup(&word);
        out.push(Token { stem, weight: word_weight(z), stop: z >= STOP_ZIPF, unlisted: !listed, surface: word });
    }
}

/// The old fold: the whole text through case mapping and decomposition.
pub fn fold(text: &str) -> String {
    let stripped = strip_markup(text);
    let mut out = String::with_capacity(stripped.len());
    if stripped.is_ascii() {
        out.extend(stripped.chars().map(|c| c.to_ascii_lowercase()));
        return out;
    }
    for c in stripped.chars().flat_map(char::to_lowercase).nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'ß' => out.push_str("ss"),
            'ς' => out.push('σ'),
            'ı' => out.push('i'),
            'ſ' => out.push('s'),
            '\u{2019}' | '\u{2018}' | '\u{02BC}' => out.push('\''),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Terms kept in the centroid profile.
const CENTROID_TERMS: usize = 200;

type TermWeights = HashMap<String, f32>;
type TermCounts = HashMap<String, (f32, f32)>;

/// One archived document's profile.
#[derive(Debug, Clone)]
pub struct DocProfile {
    pub id: String,
    pub reach: f32,
    /// `(term id, weight)`, L2-normalised.
    pub terms: Vec<(u32, f32)>,
}

/// The index as the old build made it.
#[derive(Debug, Clone, Default)]
pub struct RefIndex {
    pub term_ids: HashMap<String, u32>,
    pub term_texts: Vec<String>,
    pub docs: Vec<DocProfile>,
    pub postings: Vec<Vec<(u32, f32)>>,
    pub centroid: Vec<f32>,
    pub centroid_reach: f32,
    pub topic: Vec<(String, f32)>,
    pub names: HashMap<String, NameStats>,
    pub n_docs: usize,
    pub paragraphs: u32,
    pub mentions: crate::relevance::places::Mentions,
}

/// The old similarity: nearest document and its cosine over reach.
pub struct Similarity {
    pub nearest: f32,
    pub nearest_doc: Option<usize>,
    pub centroid: f32,
    pub matched: Vec<(String, f32)>,
}

/// How each stem of `text` is written (the old, string-keyed reader).
pub fn name_stats(text: &str, acc: &mut HashMap<String, NameStats>) -> u32 {
    struct Word<'t> {
        text: &'t str,
        capital: bool,
        acronym: bool,
        /// Starts a sentence: its capital says nothing.
        start: bool,
        /// Only spaces or a hyphen separate it from the word before.
        joined: bool,
    }
    let text = strip_markup(text);
    let mut toks = Vec::new();
    let mut buf = String::new();
    let mut paragraphs = 0;
    let mut in_paragraph: std::collections::HashSet<String> = std::collections::HashSet::new();
    for line in text.lines() {
        let mut words: Vec<Word> = Vec::new();
        let mut last_end = 0;
        for (pos, word) in line.unicode_word_indices() {
            let gap = &line[last_end..pos];
            last_end = pos + word.len();
            let letters = word.chars().filter(|c| c.is_alphabetic()).count();
            words.push(Word {
                text: word,
                capital: word.chars().next().is_some_and(char::is_uppercase),
                acronym: letters >= 2 && word.chars().filter(|c| c.is_alphabetic()).all(char::is_uppercase),
                start: words.is_empty()
                    || gap.contains(['.', '!', '?', ':', '"', '“', '•', '(', '['])
                    || words.last().is_some_and(|w| after_dateline(w.text, gap)),
                joined: !words.is_empty() && gap.chars().all(|c| c.is_whitespace() || c == '-'),
            });
        }
        let caps = words.iter().filter(|w| w.capital).count();
        if words.len() < 4 || caps * 5 >= words.len() * 3 {
            continue;
        }
        paragraphs += 1;
        in_paragraph.clear();
        // Is there a capitalised word next to `i` (towards `step`), through joiners only?
        let capital_next = |i: usize, step: isize| -> bool {
            let mut j = i;
            loop {
                let Some(k) = j.checked_add_signed(step).filter(|&k| k < words.len()) else {
                    return false;
                };
                if !words[j.max(k)].joined {
                    return false;
                }
                let w = &words[k];
                // A capital that starts a sentence counts only on a word that is not
                // common: "Ingrid Betancourt", not "The Iranian".
                if w.capital && (!w.start || zipf(&fold(w.text)).0 < STOP_ZIPF) {
                    return true;
                }
                if !NAME_JOINERS.contains(&w.text) {
                    return false;
                }
                j = k;
            }
        };
        for (i, w) in words.iter().enumerate() {
            // The year of a date ("May 20, 2023", "September 1988") dates the text; the
            // year of an event ("the 1988 massacre") is part of the topic.
            if is_year_word(w.text) && (1..=2).any(|back| i >= back && is_month(words[i - back].text)) {
                continue;
            }
            toks.clear();
            word_tokens(w.text, &mut buf, &mut toks);
            for t in toks.drain(..) {
                if in_paragraph.insert(t.stem.clone()) {
                    acc.entry(t.stem.clone()).or_default().paragraphs += 1;
                }
                if w.start {
                    continue;
                }
                let e = acc.entry(t.stem).or_default();
                e.rare |= t.unlisted;
                if w.acronym {
                    e.acronym += 1;
                } else if !w.capital {
                    e.lower += 1;
                } else if capital_next(i, -1) || capital_next(i, 1) {
                    e.in_name += 1;
                } else {
                    e.standalone += 1;
                }
            }
        }
    }
    paragraphs
}

fn word_tokens(word: &str, buf: &mut String, out: &mut Vec<Token>) {
    if !word.bytes().all(|b| b.is_ascii_alphanumeric()) {
        tokenize_folded(&fold(word), out);
        return;
    }
    buf.clear();
    buf.extend(word.chars().map(|c| c.to_ascii_lowercase()));
    if buf.len() < 2 && !buf.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    let (stem, z, listed) = lookup(buf);
    out.push(Token { stem, surface: buf.clone(), weight: word_weight(z), stop: z >= STOP_ZIPF, unlisted: !listed });
}

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

fn name_boost(term: &str, names: &HashMap<String, NameStats>) -> f32 {
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

fn reach(weights: impl Iterator<Item = f32>) -> f32 {
    let mut w: Vec<f32> = weights.collect();
    w.sort_by(|a, b| b.total_cmp(a));
    w.iter().take(REACH_TERMS).map(|x| x * x).sum::<f32>().sqrt()
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

impl RefIndex {
    pub fn build<'a>(docs: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>) -> RefIndex {
        let mut profiles: Vec<(String, Vec<(String, f32)>)> = Vec::new();
        let mut tokens = Vec::new();
        let mut all_names: HashMap<String, NameStats> = HashMap::new();
        let mut paragraphs = 0u32;
        let mut mentions = crate::relevance::places::Mentions::default();
        for (id, title, text) in docs {
            let mut counts = TermCounts::new();
            tokens.clear();
            tokenize_folded(&fold(title), &mut tokens);
            // The title counts twice: it says what the document is about.
            add_terms(&tokens, 2.0, &mut counts, None);
            crate::relevance::places::count_mentions(tokens.iter().map(|t| t.surface.as_str()), &mut mentions);
            tokens.clear();
            tokenize_folded(&fold(text), &mut tokens);
            add_terms(&tokens, 1.0, &mut counts, None);
            crate::relevance::places::count_mentions(tokens.iter().map(|t| t.surface.as_str()), &mut mentions);
            let mut names = HashMap::new();
            paragraphs += name_stats(text, &mut names);
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

        let mut index = RefIndex::default();
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
        index.mentions = mentions;
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

/// The old fingerprint of an old index and its facets.
pub fn fingerprint(index: &RefIndex, facets: &crate::relevance::facets::Facets) -> String {
    let mut h = blake3::Hasher::new();
    h.update(crate::relevance::model::SCHEME_VERSION.as_bytes());
    for doc in &index.docs {
        h.update(b"\0doc\0");
        h.update(doc.id.as_bytes());
        let mut terms: Vec<(&str, f32)> =
            doc.terms.iter().map(|&(t, w)| (index.term_texts[t as usize].as_str(), w)).collect();
        terms.sort_by(|a, b| a.0.cmp(b.0));
        for (t, w) in terms {
            h.update(b"\0");
            h.update(t.as_bytes());
            h.update(&((w * 10_000.0).round() as i32).to_le_bytes());
        }
    }
    for (name, facet) in [("entity", &facets.entity), ("what", &facets.what)] {
        let mut terms: Vec<(&String, &f32)> = facet.iter().collect();
        terms.sort_by(|a, b| a.0.cmp(b.0));
        h.update(b"\0facet\0");
        h.update(name.as_bytes());
        for (t, w) in terms {
            h.update(b"\0");
            h.update(t.as_bytes());
            h.update(&((w * 10_000.0).round() as i32).to_le_bytes());
        }
    }
    h.update(&((facets.anchor * 10_000.0).round() as i32).to_le_bytes());
    facets.hash_home(&mut h);
    let mut acronyms: Vec<&String> = facets.acronyms.iter().collect();
    acronyms.sort();
    h.update(b"\0acronyms");
    for a in acronyms {
        h.update(b"\0");
        h.update(a.as_bytes());
    }
    h.finalize().to_hex()[..16].to_string()
}
