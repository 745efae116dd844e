//! Pure relevance scoring: is an upstream feed item about the archive's topic?
//!
//! The topic is learned from the archive itself ([`TopicModel::build`]) and can be sharpened
//! with configured keyword phrases and vetoed by exclude phrases ([`Rules`]). [`score`]
//! turns one [`Candidate`] into a [`Verdict`]: a score in `0..=1` on one scale for every
//! item and every archive size, the keep decision against the threshold, and reasons a
//! person can read.
//!
//! How the score is made: text is case- and accent-folded, split into Unicode words and
//! stemmed. The archive's terms are weighted against a general-English background (so
//! "the" counts for nothing and "massacre" for much, even with one archived document) and
//! split into two facets (see `facets`): *where/who*, the names the archive keeps using
//! (Iran, Iranian, 1988, Evin), weighted by the share of the archive's paragraphs that use
//! them and widened to every town of the countries they name (`places.txt`); and *what*,
//! the other topical terms (executions, political prisoners, inquiry), widened through a
//! built-in lexicon of human-rights reporting (`lexicon.txt`) as far as the archive itself
//! reports such events (an archive on microplastics is not). Both are scaled to the
//! archive's own strongest terms, so one document and thousands give scores on the same
//! scale. An item's evidence on each facet is a noisy-or over the facet terms it contains,
//! and its archive score is `what × (f + (1 − f) × where)`: an item must show both to score
//! high. `f` is [`ENTITY_FLOOR`] when the item names a place in another country and none
//! of the archive's ("executions in Saudi Arabia"), [`NEUTRAL_FLOOR`] when it names no
//! place at all ("Kurdish activist sentenced to death"), and rises towards 1 when the
//! archive is not anchored to any name. "Iran's oil exports" has the where without the
//! what. The default threshold 0.5 therefore means "reports the archive's kind of events,
//! about the archive's places or people, or strongly so about no place in particular".
//!
//! The model is built from the whole archive on every run, so it is made to be quick: about
//! a tenth of a second per thousand documents on one core, and an archive of more than
//! 16,000 documents is learned from a stable random sample of 16,000 (see [`TopicModel::build`]).
//!
//! Each configured keyword found in the item is strong independent evidence and combines
//! as `1 - (1 - s)(1 - k)`, so a keyword can only raise the score and one in the title or
//! summary alone reaches the threshold. An exclude phrase rejects outright with score 0.
//!
//! This module must not do I/O, read clocks or log per item; everything comes in as
//! arguments and the same inputs always give the same verdict.

pub mod calibrate;
mod facets;
mod lexicon;
mod model;
mod places;
mod terms;

use rustc_hash::FxHashMap;
use serde::Serialize;

use facets::{FacetParams, Facets};
use model::{Index, SCHEME_VERSION};
use terms::Token;

/// Evidence of one configured keyword found in the title.
pub const KEYWORD_IN_TITLE: f64 = 0.75;
/// Evidence of one configured keyword found in the summary or categories.
pub const KEYWORD_IN_SUMMARY: f64 = 0.7;
/// Evidence of one configured keyword found only in the body text or the link.
pub const KEYWORD_IN_TEXT: f64 = 0.45;
/// The threshold when the config sets none: an item scoring 0.5 or more is kept; see the
/// module docs for what that means.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

/// How a candidate's fields count towards its term vector.
const TITLE_WEIGHT: f32 = 2.0;
const SUMMARY_WEIGHT: f32 = 1.0;
const TEXT_WEIGHT: f32 = 1.0;
const LINK_WEIGHT: f32 = 0.5;
/// Prominence of a term found only in the body text or the categories.
const TEXT_PROMINENCE: f32 = 0.8;
/// Prominence of a term found only in the link.
const LINK_PROMINENCE: f32 = 0.5;
/// Words of a long summary or body that count towards the facets.
const LEAD_WORDS: usize = 200;
/// Share of the what evidence an item keeps when it names a place elsewhere and none of
/// the archive's places, organisations or people: "executions in Saudi Arabia".
pub const ENTITY_FLOOR: f64 = 0.25;
/// Share of the what evidence an item keeps when it names no place or name at all, the
/// archive's or another country's: "Kurdish activist sentenced to death".
pub const NEUTRAL_FLOOR: f64 = 0.6;
/// Matched terms named in the reasons.
const REASON_TERMS: usize = 6;

/// One archived document, as the topic model sees it.
#[derive(Debug, Clone, Copy)]
pub struct TopicDoc<'a> {
    /// Stable article id, named in `nearest` reasons.
    pub id: &'a str,
    pub title: &'a str,
    /// Plain text (summary and body).
    pub text: &'a str,
}

/// The topic learned from the archive. Cheap to clone? No: clone it once per worker, or
/// share it behind an `Arc`; it is `Send + Sync`.
#[derive(Debug, Clone)]
pub struct TopicModel {
    index: Index,
    facets: Facets,
    fingerprint: String,
}

/// Archives of more documents than this are learned from this many of them (see
/// [`TopicModel::build`]).
pub const SAMPLE_DOCS: usize = 16_000;

/// Gathers, from documents read one at a time, the ones [`TopicModel::build`] would learn
/// from, holding at most [`SAMPLE_DOCS`] of them: a large archive is never held whole.
#[derive(Debug)]
pub struct TopicSample {
    cap: usize,
    /// A max-heap by sample order, so the document to drop is on top.
    kept: std::collections::BinaryHeap<(u64, String, String, String)>,
}

impl Default for TopicSample {
    fn default() -> TopicSample {
        TopicSample::with_cap(SAMPLE_DOCS)
    }
}

impl TopicSample {
    fn with_cap(cap: usize) -> TopicSample {
        TopicSample { cap, kept: std::collections::BinaryHeap::new() }
    }

    /// Offers one document; it is kept while it is among the first of the sample order.
    pub fn offer(&mut self, id: &str, title: &str, text: &str) {
        let key = (model::sample_rank(id), id, title, text);
        if self.kept.len() >= self.cap {
            match self.kept.peek() {
                Some(top) if key < (top.0, top.1.as_str(), top.2.as_str(), top.3.as_str()) => {
                    self.kept.pop();
                }
                _ => return,
            }
        }
        self.kept.push((key.0, id.to_owned(), title.to_owned(), text.to_owned()));
    }

    /// How many documents are held.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    /// True when nothing was offered.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// The model of the documents gathered: the model of every document offered.
    pub fn build(&self) -> TopicModel {
        let docs = self.kept.iter().map(|(_, id, title, text)| TopicDoc { id, title, text });
        TopicModel::build_with(docs, FacetParams::default(), self.cap)
    }
}

impl TopicModel {
    /// Learns the topic from archived documents. Order does not matter; documents with no
    /// informative words are ignored.
    ///
    /// An archive of more than 16,000 documents is learned from 16,000 of them, those whose
    /// ids hash lowest (a random sample across time and sources; the same archive always
    /// gives the same sample, and each added article changes at most one member of it),
    /// which keeps the build near two seconds of one core however large the archive grows;
    /// the nearest document named in a verdict is then one of those. The topic of a
    /// topical archive is in every part of it: the sample learns the same one.
    pub fn build<'a>(docs: impl IntoIterator<Item = TopicDoc<'a>>) -> TopicModel {
        Self::build_with(docs, FacetParams::default(), SAMPLE_DOCS)
    }

    fn build_with<'a>(docs: impl IntoIterator<Item = TopicDoc<'a>>, params: FacetParams, sample: usize) -> TopicModel {
        terms::warm_up();
        let docs = model::stable_sample(docs.into_iter().map(|d| (d.id, d.title, d.text)).collect(), sample);
        let built = Index::build(docs);
        let facets = Facets::build(&built.topic, &built.names, built.paragraphs, &built.mentions, params);
        let (index, mut h) = (built.index, built.fingerprint);
        // The facets also depend on how names are written, the lexicon and the knobs.
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
        // Acronyms match only as written: which terms are acronyms is part of the topic.
        let mut acronyms: Vec<&String> = facets.acronyms.iter().collect();
        acronyms.sort();
        h.update(b"\0acronyms");
        for a in acronyms {
            h.update(b"\0");
            h.update(a.as_bytes());
        }
        let fingerprint = h.finalize().to_hex()[..16].to_string();
        TopicModel { index, facets, fingerprint }
    }

    /// True when no archived document contributed a term: the archive says nothing yet.
    pub fn is_empty(&self) -> bool {
        self.index.len() == 0
    }

    /// Number of documents the topic was learned from (at most 16,000; see [`Self::build`]).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// A short hex string that changes when, and only when, the learned topic changes.
    pub fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }
}

/// The `[relevance]` config; [`Rules::default`] is what applies when the config omits it
/// (no keywords, no excludes, [`DEFAULT_THRESHOLD`], learning from the archive on).
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub keywords: Vec<String>,
    pub exclude: Vec<String>,
    pub threshold: f64,
    pub learn_from_archive: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules { keywords: Vec::new(), exclude: Vec::new(), threshold: DEFAULT_THRESHOLD, learn_from_archive: true }
    }
}

/// One upstream item to judge. `text` may be empty (most feeds carry only a summary).
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub text: &'a str,
    pub link: Option<&'a str>,
    pub categories: &'a [String],
}

/// The decision on one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub keep: bool,
    /// In `0..=1`; comparable across items and sources.
    pub score: f64,
    /// Human-readable, most decisive first.
    pub reasons: Vec<String>,
    /// Id of the nearest archived document, when any shares a term with the item.
    pub nearest: Option<String>,
}

/// Where in the item a phrase was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Title,
    Summary,
    Categories,
    Text,
    Link,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Summary => "summary",
            Field::Categories => "categories",
            Field::Text => "text",
            Field::Link => "link",
        }
    }

    fn keyword_evidence(self) -> f64 {
        match self {
            Field::Title => KEYWORD_IN_TITLE,
            Field::Summary | Field::Categories => KEYWORD_IN_SUMMARY,
            Field::Text | Field::Link => KEYWORD_IN_TEXT,
        }
    }
}

/// The candidate, tokenized once per field.
struct Fields {
    fields: Vec<(Field, Vec<Token>)>,
    /// Stems of the words written in capitals (two letters or more), sorted: an acronym
    /// of the archive counts only as written ("PET", not "Pet").
    upper: Vec<String>,
}

impl Fields {
    fn new(c: &Candidate) -> Fields {
        let mut fields = vec![
            (Field::Title, terms::tokenize(c.title)),
            (Field::Summary, terms::tokenize(c.summary)),
            (Field::Categories, terms::tokenize(&c.categories.join(" \n "))),
            (Field::Text, terms::tokenize(c.text)),
        ];
        if let Some(link) = c.link {
            fields.push((Field::Link, terms::tokenize(&link_words(link))));
        }
        let mut upper: Vec<String> = [c.title, c.summary, c.text]
            .into_iter()
            .chain(c.categories.iter().map(String::as_str))
            .flat_map(|t| t.split(|ch: char| !ch.is_alphanumeric()))
            .filter(|w| {
                w.chars().count() >= 2 && w.chars().any(char::is_alphabetic) && !w.chars().any(char::is_lowercase)
            })
            .flat_map(terms::tokenize)
            .map(|t| t.stem)
            .collect();
        upper.sort_unstable();
        upper.dedup();
        Fields { fields, upper }
    }

    /// The first field (in [`Field`] order) containing the phrase.
    fn find(&self, phrase: &[String]) -> Option<Field> {
        if phrase.is_empty() {
            return None;
        }
        self.fields
            .iter()
            .find(|(_, toks)| toks.windows(phrase.len()).any(|w| w.iter().zip(phrase).all(|(t, p)| t.stem == *p)))
            .map(|(f, _)| *f)
    }
}

/// The words of a link's path (its slug), without scheme, host or query.
fn link_words(link: &str) -> String {
    let after_scheme = link.split_once("://").map_or(link, |(_, r)| r);
    let path = after_scheme.split_once('/').map_or("", |(_, p)| p);
    let path = path.split(['?', '#']).next().unwrap_or("");
    path.replace(['-', '_', '/', '.', '+'], " ")
}

/// A configured phrase as the stems it must match.
fn phrase_stems(phrase: &str) -> Vec<String> {
    terms::tokenize(phrase).into_iter().map(|t| t.stem).collect()
}

/// Scores one candidate. `source_keywords` are the `keywords` of the source the item came
/// from, added to `rules.keywords` for this item only.
pub fn score(candidate: &Candidate, model: &TopicModel, rules: &Rules, source_keywords: &[String]) -> Verdict {
    let fields = Fields::new(candidate);

    for phrase in &rules.exclude {
        if let Some(field) = fields.find(&phrase_stems(phrase)) {
            return Verdict {
                keep: false,
                score: 0.0,
                reasons: vec![format!("excluded by {:?} in {}", phrase.trim(), field.name())],
                nearest: None,
            };
        }
    }

    let mut reasons = Vec::new();
    let mut nearest = None;
    let mut archive_score = 0.0;
    if rules.learn_from_archive {
        if model.is_empty() {
            reasons.push("archive empty: no learned topic".to_string());
        } else {
            let judged = judge(&fields, model);
            archive_score = judged.score;
            reasons.extend(judged.reasons);
            nearest = judged.nearest;
        }
    }

    let mut miss = 1.0 - archive_score;
    let mut keyword_reasons = Vec::new();
    let mut seen: Vec<Vec<String>> = Vec::new();
    let configured =
        rules.keywords.iter().map(|k| (k, "keyword")).chain(source_keywords.iter().map(|k| (k, "source keyword")));
    for (phrase, kind) in configured {
        let stems = phrase_stems(phrase);
        if stems.is_empty() || seen.contains(&stems) {
            continue;
        }
        if let Some(field) = fields.find(&stems) {
            miss *= 1.0 - field.keyword_evidence();
            keyword_reasons.push(format!("{kind} {:?} in {}", phrase.trim(), field.name()));
        }
        seen.push(stems);
    }
    keyword_reasons.extend(reasons);
    let score = (1.0 - miss).clamp(0.0, 1.0);
    Verdict { keep: score >= rules.threshold, score, reasons: keyword_reasons, nearest }
}

/// Half-width of the uncertain band around the threshold: an item scored on its feed entry
/// within this distance of the threshold is decided on its article text instead (see
/// [`decide_on_article`]).
pub const UNCERTAIN_BAND: f64 = 0.15;

/// True when a verdict on the feed entry alone is too close to the threshold to trust, so
/// the item's article should be fetched and the decision made on it. An excluded item
/// (score 0) is never uncertain.
pub fn is_uncertain(entry: &Verdict, rules: &Rules) -> bool {
    entry.score > 0.0 && (entry.score - rules.threshold).abs() < UNCERTAIN_BAND
}

/// How much of the threshold's miss (1 − threshold) an article may leave and still keep
/// an item on its own. An article is longer than its feed entry, and the longer text lifts
/// every score: on the tuning halves, related articles score 0.85–0.98 but unrelated ones
/// 0.48–0.72, against a threshold of 0.5. An article therefore keeps an item only when its
/// miss is at most 0.4 of the threshold's (0.80 at the default threshold; related articles
/// leave at most 0.29 of it, unrelated ones at least 0.55).
pub const ARTICLE_MISS_FACTOR: f64 = 0.4;

/// The score an article must reach to keep an item on its own (see
/// [`ARTICLE_MISS_FACTOR`]): 0.80 at the default threshold of 0.5, always at least the
/// threshold and below 1.
pub fn article_keep_threshold(threshold: f64) -> f64 {
    let threshold = threshold.clamp(0.0, 1.0);
    1.0 - (1.0 - threshold) * ARTICLE_MISS_FACTOR
}

/// The second stage of a two-stage decision: `entry` is the verdict [`score`] gave the
/// feed entry alone; when it is uncertain (see [`is_uncertain`]) and the article's
/// readable text is at hand, the item is scored again with that text as its body. Since
/// the longer text lifts every score, the article decides only when it is decisive: it
/// keeps the item when it reaches [`article_keep_threshold`], drops it when it falls below
/// the threshold even with that lift, and between the two the entry's verdict stands. The
/// reasons begin with both scores and which one decided. A certain entry verdict, or an
/// empty article, is returned unchanged: the article may only settle what the entry left
/// open.
pub fn decide_on_article(
    candidate: &Candidate,
    entry: Verdict,
    article_text: &str,
    model: &TopicModel,
    rules: &Rules,
    source_keywords: &[String],
) -> Verdict {
    if !is_uncertain(&entry, rules) || article_text.trim().is_empty() {
        return entry;
    }
    let with_article = Candidate { text: article_text, ..*candidate };
    let article = score(&with_article, model, rules, source_keywords);
    let keep_at = article_keep_threshold(rules.threshold);
    let uncertain =
        format!("feed entry {:.2} (uncertain, within {UNCERTAIN_BAND} of {})", entry.score, rules.threshold);
    let (first, decided) = if article.score >= keep_at {
        (format!("decided on the article: article {:.2} (at least {keep_at:.2}), {uncertain}", article.score), article)
    } else if article.score < rules.threshold {
        (
            format!("decided on the article: article {:.2} (below {}), {uncertain}", article.score, rules.threshold),
            article,
        )
    } else {
        (
            format!(
                "decided on the feed entry: {uncertain}; article {:.2} (between {} and {keep_at:.2}, which an article's length alone reaches)",
                article.score, rules.threshold
            ),
            entry,
        )
    };
    let mut reasons = vec![first];
    reasons.extend(decided.reasons);
    Verdict { reasons, ..decided }
}

/// What the archive says about one item.
struct Judgement {
    score: f64,
    reasons: Vec<String>,
    nearest: Option<String>,
}

/// Scores the item against the learned topic (see the module docs).
fn judge(fields: &Fields, model: &TopicModel) -> Judgement {
    // Terms as the stems they are made of, borrowed from the tokens: no text is built
    // until the terms are known.
    type Term<'t> = (&'t str, Option<&'t str>);
    // Term -> (weighted count, informativeness, the words it was first seen as).
    let mut counts: FxHashMap<Term, (f32, f32, &Token, Option<&Token>)> = FxHashMap::default();
    let mut prominence: FxHashMap<Term, f32> = FxHashMap::default();
    let mut place_names: FxHashMap<String, f32> = FxHashMap::default();
    for (field, toks) in &fields.fields {
        let (w, p) = match field {
            Field::Title => (TITLE_WEIGHT, 1.0),
            Field::Summary => (SUMMARY_WEIGHT, 1.0),
            Field::Categories => (SUMMARY_WEIGHT, TEXT_PROMINENCE),
            Field::Text => (TEXT_WEIGHT, TEXT_PROMINENCE),
            Field::Link => (LINK_WEIGHT, LINK_PROMINENCE),
        };
        // A news item names its subject early: only the lead of a long body (or of a
        // summary that carries the whole article) counts.
        let lead = match field {
            Field::Summary | Field::Text => &toks[..toks.len().min(LEAD_WORDS)],
            _ => &toks[..],
        };
        model::for_each_term(toks, |a, b, weight, i| {
            let term = (a.stem.as_str(), b.map(|b| b.stem.as_str()));
            match counts.get_mut(&term) {
                Some((c, x, _, _)) => {
                    *c += w;
                    *x = x.max(weight);
                }
                None => {
                    counts.insert(term, (w, weight, a, b));
                }
            }
            if i < lead.len() {
                let e = prominence.entry(term).or_insert(0.0);
                *e = e.max(p);
            }
        });
        let known = places::places();
        for (i, tok) in lead.iter().enumerate() {
            let pair = lead
                .get(i + 1)
                .filter(|_| known.starts_pair(&tok.surface))
                .map(|next| format!("{} {}", tok.surface, next.surface));
            let single = (!known.countries(&tok.surface).is_empty()).then(|| tok.surface.clone());
            for name in single.into_iter().chain(pair.filter(|n| !known.countries(n).is_empty())) {
                let e = place_names.entry(name).or_insert(0.0);
                *e = e.max(p);
            }
        }
    }
    // The texts of the terms, in one buffer.
    let mut text = String::new();
    let prominent: Vec<_> = prominence.iter().map(|(t, &p)| (model::push_term(&mut text, t.0, t.1), p)).collect();
    let weighted: Vec<_> = counts
        .iter()
        .filter(|&(_, &(tf, w, _, _))| w > 0.0 && tf > 0.0)
        .map(|(t, &(tf, w, _, _))| (model::push_term(&mut text, t.0, t.1), model::tf_weight(tf) * w))
        .collect();
    let by_text = |v: Vec<(std::ops::Range<usize>, f32)>| -> Vec<(&str, f32)> {
        let mut v: Vec<(&str, f32)> = v.into_iter().map(|(r, x)| (&text[r], x)).collect();
        v.sort_unstable_by(|a, b| a.0.cmp(b.0));
        v
    };
    let terms = by_text(prominent);
    let mut places: Vec<(&str, f32)> = place_names.iter().map(|(t, &p)| (t.as_str(), p)).collect();
    places.sort_by(|a, b| a.0.cmp(b.0));
    let evidence =
        model.facets.evidence(terms, places, |stem| fields.upper.binary_search_by(|u| u.as_str().cmp(stem)).is_ok());
    let floor = model.facets.entity_floor(if evidence.elsewhere.is_empty() { NEUTRAL_FLOOR } else { ENTITY_FLOOR });
    let raw = evidence.what * (floor + (1.0 - floor) * evidence.entity);
    let score = raw;

    // A term is named by the words it was first seen as ("a b" is the bigram of stems a, b).
    let name = |t: &String| {
        let term = match t.split_once(' ') {
            Some((a, b)) => (a, Some(b)),
            None => (t.as_str(), None),
        };
        match counts.get(&term) {
            Some(&(_, _, a, None)) => a.surface.clone(),
            Some(&(_, _, a, Some(b))) => format!("{} {}", a.surface, b.surface),
            None => t.clone(),
        }
    };
    let list = |v: &[(String, f64)]| -> String {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter().take(REASON_TERMS).map(|(t, _)| name(t)).collect::<Vec<_>>().join(", ")
        }
    };
    let mut reasons = vec![format!(
        "archive topic {:.2}: where/who {:.2} ({}), what {:.2} ({})",
        score,
        evidence.entity,
        list(&evidence.entity_terms),
        evidence.what,
        list(&evidence.what_terms)
    )];
    if !evidence.elsewhere.is_empty() {
        let named: Vec<String> = evidence.elsewhere.iter().take(REASON_TERMS).map(name).collect();
        reasons.push(format!("about elsewhere: {}", named.join(", ")));
    }
    let mut nearest = None;
    if let Some((d, similarity)) = model.index.nearest(&by_text(weighted)) {
        let id = model.index.doc_id(d).to_owned();
        reasons.push(format!("nearest: {} (similarity {:.2})", id, similarity.min(1.0)));
        nearest = Some(id);
    }
    Judgement { score, reasons, nearest }
}

/// A short hex string naming the rules that make decisions: it changes when keywords,
/// excludes, threshold, `learn_from_archive`, the source's keywords or the scoring scheme
/// change, and not when phrases are only reordered, re-cased or repeated.
pub fn rules_fingerprint(rules: &Rules, source_keywords: &[String]) -> String {
    let norm = |list: &[String]| {
        let mut v: Vec<String> = list.iter().map(|p| phrase_stems(p).join(" ")).filter(|p| !p.is_empty()).collect();
        v.sort();
        v.dedup();
        v
    };
    let mut h = blake3::Hasher::new();
    h.update(SCHEME_VERSION.as_bytes());
    h.update(
        format!(
            "\0cal {ENTITY_FLOOR} {TEXT_PROMINENCE} {LINK_PROMINENCE} {LEAD_WORDS} {:?} {KEYWORD_IN_TITLE} {KEYWORD_IN_SUMMARY} {KEYWORD_IN_TEXT}",
            FacetParams::default()
        )
        .as_bytes(),
    );
    for (name, list) in
        [("keywords", norm(&rules.keywords)), ("exclude", norm(&rules.exclude)), ("source", norm(source_keywords))]
    {
        h.update(b"\0");
        h.update(name.as_bytes());
        for p in list {
            h.update(b"\0");
            h.update(p.as_bytes());
        }
    }
    h.update(format!("\0threshold {}", rules.threshold).as_bytes());
    h.update(format!("\0learn {}", rules.learn_from_archive).as_bytes());
    h.finalize().to_hex()[..16].to_string()
}

#[cfg(test)]
mod tests;
