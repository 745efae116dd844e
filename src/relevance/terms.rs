//! Text to terms: case and accent folding, Unicode word segmentation, English stemming, and
//! the general-English background that says how informative each term is.
//!
//! Everything here is pure and deterministic. The background list is compiled into the
//! binary (`background.txt`, see its header for source and licence) and parsed once per
//! process; nothing here reads files, the network or the clock.

use std::collections::HashMap;
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_segmentation::UnicodeSegmentation;

/// Zipf value (log10 of occurrences per billion words) given to words the background does
/// not list. The list stops at Zipf 2.5, so anything missing is at least that rare.
const UNLISTED_ZIPF: f32 = 2.0;
/// Zipf value given to a four-digit year (1000..=2099): years are specific, not rare.
const YEAR_ZIPF: f32 = 4.0;
/// Zipf value for other numbers: weak evidence.
const NUMBER_ZIPF: f32 = 5.0;
/// Terms at or above this Zipf value carry no topical weight (function words, "said").
const INFORMATIVE_CEILING: f32 = 6.0;
/// Terms at or above this Zipf value break phrases (they never start or end a bigram).
const STOP_ZIPF: f32 = 5.8;
/// Largest weight one unigram can carry, so a single very rare name cannot swamp the rest.
const MAX_WEIGHT: f32 = 3.5;

static BACKGROUND_TEXT: &str = include_str!("background.txt");

static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// Stem -> Zipf value, with the frequencies of all words sharing a stem added up.
static BACKGROUND: LazyLock<HashMap<String, f32>> = LazyLock::new(|| {
    let mut per_billion: HashMap<String, f64> = HashMap::new();
    for line in BACKGROUND_TEXT.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut parts = line.split_ascii_whitespace();
        let (Some(word), Some(z10)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Ok(z10) = z10.parse::<u32>() else {
            continue;
        };
        let stem = stem_word(&fold(word));
        *per_billion.entry(stem).or_insert(0.0) += 10f64.powf(f64::from(z10) / 10.0);
    }
    per_billion
        .into_iter()
        .map(|(stem, f)| (stem, f.log10() as f32))
        .collect()
});

/// Case- and accent-folds text: lowercase, compatibility decomposition, combining marks
/// removed, and the few letters whose case mapping is not a round trip made canonical.
/// Markup tags and character entities (`<p>`, `&amp;`) are dropped, so an HTML summary
/// scores like its text.
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

/// Replaces `<tag ...>` and `&entity;` with spaces. A `<` not followed by a letter, `/` or
/// `!` is kept (it is text, as in "a < b").
fn strip_markup(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(['<', '&']) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(['<', '&']) {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let skip = if tail.starts_with('<') {
            let next = tail[1..].chars().next();
            match next {
                Some(c) if c.is_ascii_alphabetic() || c == '/' || c == '!' => {
                    tail.find('>').map(|end| end + 1)
                }
                _ => None,
            }
        } else {
            // `&name;` or `&#123;` within 12 bytes.
            tail.char_indices()
                .skip(1)
                .take(12)
                .take_while(|&(_, c)| c.is_ascii_alphanumeric() || c == '#' || c == ';')
                .find(|&(_, c)| c == ';')
                .map(|(i, _)| i + 1)
        };
        match skip {
            Some(n) => {
                out.push(' ');
                rest = &tail[n..];
            }
            None => {
                out.push_str(&tail[..1]);
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

fn stem_word(word: &str) -> String {
    if word.chars().all(|c| c.is_ascii_lowercase()) {
        STEMMER.stem(word).into_owned()
    } else {
        word.to_owned()
    }
}

/// One word of folded text.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Stemmed folded form: the unit of matching.
    pub stem: String,
    /// Folded surface form, for reasons shown to people.
    pub surface: String,
}

/// Splits already folded text into tokens. Possessive `'s` and apostrophes are dropped;
/// single letters are dropped; numbers are kept (a year can be the topic).
pub fn tokenize_folded(folded: &str, out: &mut Vec<Token>) {
    for word in folded.unicode_words() {
        let word = word.strip_suffix("'s").unwrap_or(word);
        let cleaned: String;
        let word = if word.contains('\'') {
            cleaned = word.replace('\'', "");
            cleaned.as_str()
        } else {
            word
        };
        let mut chars = word.chars();
        match (chars.next(), chars.next()) {
            (None, _) => continue,
            (Some(c), None) if !c.is_numeric() => continue,
            _ => {}
        }
        out.push(Token {
            stem: stem_word(word),
            surface: word.to_owned(),
        });
    }
}

/// Folds and tokenizes in one step.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    tokenize_folded(&fold(text), &mut out);
    out
}

/// Background Zipf value of a stem.
pub fn zipf(stem: &str) -> f32 {
    if let Some(&z) = BACKGROUND.get(stem) {
        return z;
    }
    if stem.chars().all(|c| c.is_ascii_digit()) {
        if stem.len() == 4 && (stem.starts_with("1") || stem.starts_with("20")) {
            return YEAR_ZIPF;
        }
        return NUMBER_ZIPF;
    }
    if stem.chars().any(|c| c.is_numeric()) {
        return NUMBER_ZIPF;
    }
    UNLISTED_ZIPF
}

/// How informative a unigram is: 0 for function words, larger for rarer words.
pub fn unigram_weight(stem: &str) -> f32 {
    (INFORMATIVE_CEILING - zipf(stem)).clamp(0.0, MAX_WEIGHT)
}

/// Whether a stem is too common to take part in a phrase.
pub fn is_stop(stem: &str) -> bool {
    zipf(stem) >= STOP_ZIPF
}

/// Forces the background to load (so the first score does not pay for it).
pub fn warm_up() {
    LazyLock::force(&BACKGROUND);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_and_markup() {
        assert_eq!(fold("Genève İSTANBUL Straße"), "geneve istanbul strasse");
        assert_eq!(fold("<p>Iran &amp; UN</p> a < b"), " iran   un  a < b");
        assert_eq!(fold("Iran’s"), "iran's");
    }

    #[test]
    fn tokens_are_stemmed_and_possessives_dropped() {
        let stems: Vec<String> = tokenize("Iran's executions of political prisoners in 1988")
            .into_iter()
            .map(|t| t.stem)
            .collect();
        assert_eq!(
            stems,
            ["iran", "execut", "of", "polit", "prison", "in", "1988"]
        );
    }

    #[test]
    fn background_tells_common_from_rare() {
        assert!(unigram_weight("the") == 0.0);
        assert!(unigram_weight("massacr") > unigram_weight("iran"));
        assert!(unigram_weight("iran") > unigram_weight("peopl"));
        assert!(is_stop("the") && !is_stop("prison"));
        assert!(zipf("1988") < zipf("12"));
    }
}
