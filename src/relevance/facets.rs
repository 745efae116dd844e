//! The topic's two facets: *where/who* (the places, organisations, people and years the
//! archive is about: Iran, Tehran, Evin, PMOI, 1988) and *what* (the kind of events it
//! documents: executions, political prisoners, torture, inquiry). An item is about the
//! topic when it shows evidence on both: "executions in Saudi Arabia" has the what without
//! the where, "Iran's oil exports" the where without the what.
//!
//! Each facet term gets a *centrality* in `0..=1`, relative to the archive's own strongest
//! terms, so the scale does not depend on how many documents the archive has. An item's
//! evidence on a facet is the noisy-or of the centralities of the facet terms it contains.
//! The built-in lexicon (`lexicon.txt`) widens the what facet from words the archive uses
//! to others that report the same kind of event (only as far as the archive's own strongest
//! terms are the lexicon's: see `lexicon_strength`), and keeps institutions found in every
//! country's reporting (UN, Amnesty) out of the where facet. The built-in place list
//! (`places.txt`) widens the where facet from the countries the archive's names belong to
//! (Iran) to all their towns (Sanandaj, Zahedan), and marks places in other countries, so
//! an item about elsewhere can be told from one that names no place.
//!
//! Pure: built from the model's topic vector and name statistics; no I/O.

use std::collections::HashMap;

use rustc_hash::{FxHashMap, FxHashSet};

use super::lexicon::{self, Role};
use super::places;
use super::terms::NameStats;

/// The knobs of the facet model. The defaults are the shipped scheme; tests may sweep them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FacetParams {
    /// Entity centrality is `min(1, weight / reference) ^ entity_power`, the reference
    /// being the entity of this rank: a place and its adjective ("Iran", "Iranian") are
    /// both the topic; names the archive rarely uses count little.
    pub entity_ref_rank: usize,
    pub entity_power: f32,
    /// What centrality is relative to the what term of this rank (1 = the strongest).
    pub what_ref_rank: usize,
    /// What centrality is `min(1, weight / reference) ^ what_power`.
    pub what_power: f32,
    /// Extra weight of an archive term that the lexicon lists as an act.
    pub lexicon_boost: f32,
    /// Centrality of a lexicon word the archive does not use, as a share of the strongest
    /// centrality among its group's words the archive does use.
    pub expansion: f32,
    /// Evidence of one what term of centrality 1 found in the item.
    pub what_per_term: f32,
    /// Evidence of one entity term of centrality 1 found in the item.
    pub entity_per_term: f32,
    /// Evidence of a place the archive never names, in a country it is about (a town,
    /// the capital), as a share of that country's centrality.
    pub place_per_term: f32,
}

impl Default for FacetParams {
    fn default() -> Self {
        FacetParams {
            entity_ref_rank: 2,
            entity_power: 1.0,
            what_ref_rank: 3,
            what_power: 1.0,
            lexicon_boost: 1.0,
            expansion: 0.7,
            what_per_term: 0.45,
            entity_per_term: 1.0,
            place_per_term: 0.9,
        }
    }
}

/// Share of an archive's paragraphs its strongest name must reach for the where/who facet
/// to count fully; a topic whose names are scattered leans on the what facet instead.
pub const ANCHOR_SHARE: f32 = 0.2;

/// The archive's strongest what terms among which [`lexicon_strength`] measures the
/// lexicon's share.
const LEXICON_PROBE_TERMS: usize = 30;
/// Share of that weight, in lexicon acts, below which the lexicon is not used at all...
pub const LEXICON_SHARE_NONE: f32 = 0.15;
/// ...and from which it is used fully.
pub const LEXICON_SHARE_FULL: f32 = 0.35;

/// How much an archive reports the kind of events the built-in lexicon lists, in `0..=1`:
/// the share of the weight of its [`LEXICON_PROBE_TERMS`] strongest what terms (given
/// strongest first, with their weights before any boost) that are lexicon acts, scaled from
/// [`LEXICON_SHARE_NONE`] (0) to [`LEXICON_SHARE_FULL`] (1). The human-rights archives this
/// was measured on have shares of 0.41 to 0.52; an archive on microplastics 0, one on press
/// freedom in Mexico 0.11 (it names trials and impunity, but reports killings of
/// journalists): neither pays for a lexicon of another topic's words.
fn lexicon_strength(what_strongest_first: &[(&str, f32)]) -> f32 {
    let lex = lexicon::lexicon();
    let top = &what_strongest_first[..what_strongest_first.len().min(LEXICON_PROBE_TERMS)];
    let total: f32 = top.iter().map(|t| t.1).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let acts: f32 = top.iter().filter(|t| lex.role(t.0) == Some(Role::Act)).map(|t| t.1).sum();
    ((acts / total - LEXICON_SHARE_NONE) / (LEXICON_SHARE_FULL - LEXICON_SHARE_NONE)).clamp(0.0, 1.0)
}

/// Centrality a country must reach among the archive's names to be one the archive is
/// about; a place in any other country is elsewhere.
pub const HOME_MIN: f32 = 0.5;
/// Share of the archive's place mentions (see `places::count_mentions`) from which a
/// country is fully one the archive is about; half of it makes it one ([`HOME_MIN`]).
pub const HOME_SHARE: f32 = 0.4;
/// Place mentions an archive needs before their shares mean anything.
pub const HOME_MIN_MENTIONS: u32 = 5;
/// Prominence at which a place elsewhere counts against an item (title, summary, lead).
const ELSEWHERE_MIN_PROMINENCE: f32 = 0.8;

/// Which facet a topic term belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Entity,
    What,
}

/// The facets of one topic: term key -> centrality.
#[derive(Debug, Clone, Default)]
pub struct Facets {
    /// Share of the archive's paragraphs that use its strongest name, less one paragraph:
    /// how much the topic is anchored to particular places, organisations or people.
    pub anchor: f32,
    pub entity: FxHashMap<String, f32>,
    pub what: FxHashMap<String, f32>,
    /// Country (index in the place list) -> centrality: the strongest centrality of the
    /// archive's names that belong to it.
    pub home: FxHashMap<u16, f32>,
    /// Entity terms the archive writes as acronyms (mostly all capitals: "PET", "PMOI"):
    /// an item shows one only when it writes it in capitals too ("Pet food" is not PET).
    pub acronyms: FxHashSet<String>,
    pub params: Option<FacetParams>,
    /// How much the archive is about the events the built-in lexicon reports (see
    /// [`lexicon_strength`]): 1 for a human-rights archive, 0 for one about microplastics.
    pub lexicon: f32,
}

/// An item's evidence on both facets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    /// In `0..=1`.
    pub entity: f64,
    /// In `0..=1`.
    pub what: f64,
    /// Matched entity terms and their evidence, strongest first.
    pub entity_terms: Vec<(String, f64)>,
    /// Matched what terms and their evidence, strongest first.
    pub what_terms: Vec<(String, f64)>,
    /// Places the item names in countries the archive is not about, sorted.
    pub elsewhere: Vec<String>,
}

/// True when a unigram is written as a name: mostly capitalised on its own ("in Iran",
/// "Evin prison"), as an acronym ("PMOI"), or, for a word the background does not know,
/// inside a longer name ("People's Mojahedin"). Common words that are capitalised only
/// inside names ("National Council of Resistance") are not names.
fn is_name(stats: &NameStats) -> bool {
    let total = stats.total();
    let name_like = stats.standalone + stats.acronym + if stats.rare { stats.in_name } else { 0 };
    total > 0 && name_like * 2 >= total
}

/// True when a word is nearly always capitalised but is not a name by itself: part of a
/// longer name ("Council", "Resistance"), a first name ("Ingrid"). It belongs to neither
/// facet.
fn is_name_part(stats: &NameStats) -> bool {
    stats.lower * 2 < stats.total()
}

/// Capitalised words that name no place, organisation or person.
const NOT_NAMES: &[&str] = &[
    "januari",
    "februari",
    "march",
    "april",
    "may",
    "june",
    "juli",
    "august",
    "septemb",
    "octob",
    "novemb",
    "decemb",
    "sept",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mr",
    "mrs",
    "ms",
    "dr",
    "sir",
    "madam",
];

fn is_year(term: &str) -> bool {
    term.len() == 4 && term.chars().all(|c| c.is_ascii_digit())
}

impl Facets {
    /// Splits the topic (term, weight; any scale) into the two facets. A name's weight is
    /// the share of the archive's paragraphs that use it, not how rare it is in English:
    /// "Iran" is more the topic than a name said once, in an archive of one document as
    /// in one of thousands.
    pub fn build(
        topic: &[(String, f32)],
        names: &HashMap<String, NameStats>,
        paragraphs: u32,
        mentions: &places::Mentions,
        p: FacetParams,
    ) -> Facets {
        let lex = lexicon::lexicon();
        let unigram_entity = |t: &str| -> bool {
            if lex.role(t).is_some() || NOT_NAMES.contains(&t) {
                return false;
            }
            is_year(t) || names.get(t).is_some_and(is_name)
        };
        let name_part = |t: &str| -> bool {
            lex.role(t).is_none() && !NOT_NAMES.contains(&t) && names.get(t).is_some_and(is_name_part)
        };
        let mut entity: Vec<(&str, f32)> = Vec::new();
        let mut what: Vec<(&str, f32)> = Vec::new();
        let mut acronyms: Vec<String> = Vec::new();
        for (term, w) in topic {
            let facet = match term.split_once(' ') {
                _ if lex.role(term).is_some() => Some(Facet::What),
                // "Iranian regime": the name counts on its own.
                Some((a, b)) if unigram_entity(a) || unigram_entity(b) => None,
                Some((a, b)) if name_part(a) || name_part(b) => None,
                Some(_) => Some(Facet::What),
                None if unigram_entity(term) => Some(Facet::Entity),
                None if name_part(term) => None,
                None => Some(Facet::What),
            };
            match facet {
                None => {}
                Some(Facet::Entity) => {
                    let st = names.get(term.as_str()).copied().unwrap_or_default();
                    if st.total() > 0 && st.acronym * 2 >= st.total() {
                        acronyms.push(term.clone());
                    }
                    entity.push((term, st.paragraphs as f32));
                }
                Some(Facet::What) => what.push((term, *w)),
            }
        }
        // The lexicon widens and boosts only an archive that reports its kind of events.
        let lexicon = lexicon_strength(&what);
        for (term, w) in &mut what {
            if lex.role(term) == Some(Role::Act) {
                *w *= 1.0 + p.lexicon_boost * lexicon;
            }
        }
        let mut out =
            Facets { params: Some(p), acronyms: acronyms.into_iter().collect(), lexicon, ..Facets::default() };
        entity.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        // A name used in one paragraph only is incidental, whatever the archive's size.
        if let Some(&(_, top)) = entity.first() {
            out.anchor = ((top - 1.0).max(0.0) / paragraphs.max(1) as f32).min(1.0);
        }
        if let Some(&(_, reference)) = entity.get(p.entity_ref_rank.max(1) - 1).or(entity.last())
            && reference > 0.0
        {
            for (t, w) in &entity {
                out.entity.insert((*t).to_owned(), (w / reference).min(1.0).powf(p.entity_power));
            }
        }
        what.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        if let Some(&(_, reference)) = what.get(p.what_ref_rank.max(1) - 1).or(what.last())
            && reference > 0.0
        {
            for (t, w) in &what {
                out.what.insert((*t).to_owned(), (w / reference).min(1.0).powf(p.what_power));
            }
        }
        // The countries the archive is about, through the places among its names.
        let places = places::places();
        for (t, &c) in &out.entity {
            for &country in places.countries(t) {
                let h = out.home.entry(country).or_insert(0.0);
                *h = h.max(c);
            }
        }
        // And through how much of the archive's naming of places is in each country: an
        // archive that names Maine, Florida and Virginia once each is about the United
        // States even though no one of them recurs.
        let total: u32 = mentions.values().sum();
        if total >= HOME_MIN_MENTIONS {
            for (&country, &n) in mentions {
                let share = (n as f32 / total as f32 / HOME_SHARE).min(1.0);
                let h = out.home.entry(country).or_insert(0.0);
                *h = h.max(share);
            }
        }
        // Widen the what facet through the lexicon's groups of acts.
        for group in lex.groups.iter().filter(|g| g.role == Role::Act) {
            let strength = group.terms.iter().filter_map(|t| out.what.get(t)).fold(0.0f32, |a, &b| a.max(b));
            let widened = p.expansion * out.lexicon * strength;
            if widened <= 0.0 {
                continue;
            }
            for t in &group.terms {
                if out.entity.contains_key(t) {
                    continue;
                }
                let c = out.what.entry(t.clone()).or_insert(0.0);
                *c = c.max(widened);
            }
        }
        out
    }

    /// Adds the countries the archive is about, in country order, to a fingerprint.
    pub fn hash_home(&self, h: &mut blake3::Hasher) {
        let mut home: Vec<(u16, f32)> = self.home.iter().map(|(&c, &x)| (c, x)).collect();
        home.sort_by_key(|x| x.0);
        h.update(b"\0home");
        for (c, x) in home {
            h.update(&c.to_le_bytes());
            h.update(&((x * 10_000.0).round() as i32).to_le_bytes());
        }
    }

    /// The share of its what evidence an item keeps when it names none of the archive's
    /// places, organisations or people: `floor` for an archive anchored to names (its
    /// strongest name in [`ANCHOR_SHARE`] of its paragraphs or more), rising to 1 for an
    /// archive with no names at all.
    pub fn entity_floor(&self, floor: f64) -> f64 {
        let unanchored = f64::from((1.0 - self.anchor / ANCHOR_SHARE).clamp(0.0, 1.0));
        floor + (1.0 - floor) * unanchored
    }

    /// Evidence of an item whose terms (stems and bigram keys) and place names (folded words
    /// and word pairs as written) are given with their prominence in `0..=1` (1 for the
    /// title or summary, less for the body or link). `written_upper` says whether the item
    /// writes a stem in capitals somewhere (see [`Facets::acronyms`]).
    pub fn evidence<'a>(
        &self,
        terms: impl IntoIterator<Item = (&'a str, f32)>,
        place_names: impl IntoIterator<Item = (&'a str, f32)>,
        written_upper: impl Fn(&str) -> bool,
    ) -> Evidence {
        let p = self.params.unwrap_or_default();
        let mut ev = Evidence::default();
        let mut entity: FxHashMap<&str, f64> = FxHashMap::default();
        for (t, prominence) in terms {
            if self.acronyms.contains(t) && !written_upper(t) {
                continue;
            }
            if let Some(&c) = self.entity.get(t) {
                let e = f64::from((c * prominence * p.entity_per_term).clamp(0.0, 1.0));
                if e > 0.0 {
                    entity.insert(t, e);
                }
            } else if let Some(&c) = self.what.get(t) {
                let e = f64::from((c * prominence * p.what_per_term).clamp(0.0, 1.0));
                if e > 0.0 {
                    ev.what_terms.push((t.to_owned(), e));
                }
            }
        }
        let places = places::places();
        for (name, prominence) in place_names {
            let countries = places.countries(name);
            if countries.is_empty() {
                continue;
            }
            let home = countries.iter().filter_map(|c| self.home.get(c)).fold(0.0f32, |a, &b| a.max(b));
            if home >= HOME_MIN {
                let e = f64::from((home * prominence * p.place_per_term).clamp(0.0, 1.0));
                let slot = entity.entry(name).or_insert(0.0);
                *slot = slot.max(e);
            } else if prominence >= ELSEWHERE_MIN_PROMINENCE && !ev.elsewhere.iter().any(|n| n == name) {
                ev.elsewhere.push(name.to_owned());
            }
        }
        ev.entity_terms = entity.into_iter().map(|(t, e)| (t.to_owned(), e)).collect();
        let by_strength = |a: &(String, f64), b: &(String, f64)| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0));
        ev.entity_terms.sort_by(by_strength);
        ev.what_terms.sort_by(by_strength);
        ev.elsewhere.sort();
        // Summed in a fixed order, so the result does not depend on hash order.
        ev.entity = 1.0 - ev.entity_terms.iter().map(|(_, e)| 1.0 - e).product::<f64>();
        ev.what = 1.0 - ev.what_terms.iter().map(|(_, e)| 1.0 - e).product::<f64>();
        ev
    }
}
