//! Which country a place name belongs to (`places.txt`: country names, demonyms, capitals
//! and towns of 15,000 people or more, from GeoNames). The facets use it to tell an item
//! about the archive's own country ("a court in Sanandaj", "Tehran") from one about
//! another country ("Saudi Arabia", "Erbil"), even when the archive never used the name.
//!
//! Parsed once per process from text compiled into the binary; pure, no I/O.

use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::LazyLock;

use super::terms;

static PLACES_TEXT: &str = include_str!("places.txt");

/// One-word town names at least this common in general English are left out. The list
/// itself has no town that is an English word ("Reading", "Mobile", "Nice": see its
/// header); this drops the towns that share a common given name or surname ("Ali", "Kim",
/// "David", "Castro"), which in news name people, while "Shiraz" (3.3), "Lahore" (3.3)
/// and "Mosul" (3.0) stay places.
const TOWN_MAX_ZIPF: f32 = 3.5;

/// The parsed place list.
#[derive(Debug, Default)]
pub struct Places {
    /// ISO 3166 alpha-2 codes; a country is its index here.
    pub codes: Vec<String>,
    /// Folded name (one word, or two joined by a space) -> countries it names. Names are
    /// matched as written, not stemmed: "Warne" is not "warned".
    pub countries_of: FxHashMap<String, Vec<u16>>,
    /// First words of the two-word names, so a reader need not try every pair of words.
    pub pair_starts: FxHashSet<String>,
}

impl Places {
    /// True when some two-word name starts with this folded word.
    pub fn starts_pair(&self, word: &str) -> bool {
        self.pair_starts.contains(word)
    }

    /// The countries a folded name names; empty when it names none.
    pub fn countries(&self, term: &str) -> &[u16] {
        self.countries_of.get(term).map_or(&[], Vec::as_slice)
    }
}

fn parse(text: &str) -> Places {
    let mut places = Places::default();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut parts = line.split('|');
        let (Some(code), Some(national), Some(towns)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let Ok(country) = u16::try_from(places.codes.len()) else {
            break;
        };
        places.codes.push(code.to_owned());
        let mut add = |name: &str, town: bool| {
            if town && !name.contains(' ') && terms::zipf(name).0 >= TOWN_MAX_ZIPF {
                return;
            }
            let key = terms::fold(name);
            if let Some((first, _)) = key.split_once(' ') {
                places.pair_starts.insert(first.to_owned());
            }
            if key.split(' ').count() <= 2 {
                let v = places.countries_of.entry(key).or_default();
                if !v.contains(&country) {
                    v.push(country);
                }
            }
        };
        national.split(',').filter(|n| !n.is_empty()).for_each(|n| add(n, false));
        towns.split(',').filter(|n| !n.is_empty()).for_each(|n| add(n, true));
    }
    places
}

static PLACES: LazyLock<Places> = LazyLock::new(|| parse(PLACES_TEXT));

/// The built-in place list.
pub fn places() -> &'static Places {
    &PLACES
}

#[cfg(test)]
mod tests {
    use super::*;

    fn country(name: &str) -> Vec<&'static str> {
        let p = places();
        p.countries(&terms::fold(name)).iter().map(|&c| p.codes[c as usize].as_str()).collect()
    }

    #[test]
    fn names_towns_and_demonyms_find_their_country() {
        assert_eq!(country("Iranian"), ["IR"]);
        assert_eq!(country("Tehran"), ["IR"]);
        assert_eq!(country("Sanandaj"), ["IR"]);
        assert_eq!(country("Saudi Arabia"), ["SA"]);
        assert_eq!(country("Erbil"), ["IQ"]);
        assert!(country("Korea").contains(&"KP") && country("Korea").contains(&"KR"));
        // Common words are not taken for towns.
        assert!(country("Reading").is_empty() && country("mobile").is_empty());
        assert!(country("prison").is_empty() && country("execution").is_empty());
        for word in ["during", "warned", "never", "said", "iranians'"] {
            assert!(country(word).is_empty(), "{word}");
        }
    }
}
