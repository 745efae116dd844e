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

/// How often an archive names places in each country: country -> mentions. Names that
/// belong to several countries ("Georgia", "Korea") are not counted: they say nothing about
/// which country the archive is about.
pub type Mentions = FxHashMap<u16, u32>;

/// Counts, into `acc`, the place names among a run of folded words (one word, or two in a
/// row) that name exactly one country.
pub fn count_mentions<'w>(words: impl IntoIterator<Item = &'w str>, acc: &mut Mentions) {
    let places = places();
    let mut prev: Option<&str> = None;
    let mut pair = String::new();
    for word in words {
        if let Some(p) = prev.filter(|p| places.starts_pair(p)) {
            pair.clear();
            pair.push_str(p);
            pair.push(' ');
            pair.push_str(word);
            if let [c] = places.countries(&pair) {
                *acc.entry(*c).or_insert(0) += 1;
            }
        }
        if let [c] = places.countries(word) {
            *acc.entry(*c).or_insert(0) += 1;
        }
        prev = Some(word);
    }
}

static PLACES: LazyLock<Places> = LazyLock::new(|| parse(PLACES_TEXT));

/// The built-in place list.
pub fn places() -> &'static Places {
    &PLACES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_count_names_of_one_country() {
        let mut acc = Mentions::default();
        let text = terms::fold("Reporters in Sonora and Mexico City, in Georgia and Nova Scotia; prison");
        count_mentions(text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()), &mut acc);
        let p = places();
        let code = |c: &str| p.codes.iter().position(|x| x == c).map(|i| i as u16).unwrap();
        // Sonora, Mexico City and Mexico (its first word); Georgia is two countries' name.
        assert_eq!(acc.get(&code("MX")), Some(&3));
        assert_eq!(acc.get(&code("CA")), Some(&1));
        assert_eq!(acc.get(&code("GE")), None);
        assert_eq!(acc.len(), 2, "{acc:?}");
    }

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
        // States and provinces news names before their country.
        assert_eq!(country("Sonora"), ["MX"]);
        assert_eq!(country("Tamaulipas"), ["MX"]);
        assert_eq!(country("Nova Scotia"), ["CA"]);
        assert_eq!(country("Massachusetts"), ["US"]);
        // Common words are not taken for towns.
        assert!(country("Reading").is_empty() && country("mobile").is_empty());
        assert!(country("prison").is_empty() && country("execution").is_empty());
        for word in ["during", "warned", "never", "said", "iranians'"] {
            assert!(country(word).is_empty(), "{word}");
        }
    }
}
