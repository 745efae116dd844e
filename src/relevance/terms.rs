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
const MAX_WEIGHT: f32 = 2.5;

static BACKGROUND_TEXT: &str = include_str!("background.txt");

static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// Folded word -> Zipf value. Words are looked up unstemmed: a stem such as "execut"
/// stands for "execution" and "executive" alike, and its summed frequency would hide how
/// informative "executed" is.
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
        *per_billion.entry(fold(word)).or_insert(0.0) += 10f64.powf(f64::from(z10) / 10.0);
    }
    per_billion.into_iter().map(|(stem, f)| (stem, f.log10() as f32)).collect()
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
        let skip = if let Some(after) = tail.strip_prefix('<') {
            let next = after.chars().next();
            match next {
                Some(c) if c.is_ascii_alphabetic() || c == '/' || c == '!' => tail.find('>').map(|end| end + 1),
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
        // The stemmer folds "executive" into "execut" with "execution"; an item about a
        // company's chief executive must not read as one about executions.
        if word.starts_with("executiv") {
            return "executiv".to_owned();
        }
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
    /// Informativeness of the surface word against the background: 0 for function words.
    pub weight: f32,
    /// Too common to take part in a phrase.
    pub stop: bool,
    /// Not in the background list: a name, a foreign or a very rare word.
    pub unlisted: bool,
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
        let (stem, z, listed) = lookup(word);
        out.push(Token {
            stem,
            surface: word.to_owned(),
            weight: word_weight(z),
            stop: z >= STOP_ZIPF,
            unlisted: !listed,
        });
    }
}

/// Words remembered per thread before the memo is cleared, so memory stays bounded in a
/// process that runs for months.
const MEMO_WORDS: usize = 100_000;

thread_local! {
    /// Folded word -> (stem, Zipf value, listed). Stemming and the background lookup are
    /// most of the cost of reading text, and news repeats its words.
    static MEMO: std::cell::RefCell<HashMap<String, (String, f32, bool)>> =
        std::cell::RefCell::new(HashMap::new());
}

/// Stem and background value of a folded word, memoised (pure: same word, same answer).
fn lookup(word: &str) -> (String, f32, bool) {
    MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        if let Some((stem, z, listed)) = memo.get(word) {
            return (stem.clone(), *z, *listed);
        }
        if memo.len() >= MEMO_WORDS {
            memo.clear();
        }
        let (z, listed) = zipf(word);
        let stem = stem_word(word);
        memo.insert(word.to_owned(), (stem.clone(), z, listed));
        (stem, z, listed)
    })
}

/// Folds and tokenizes in one step.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    tokenize_folded(&fold(text), &mut out);
    out
}

/// How a stem is written in running text, counted where no sentence starts (there a
/// capital says nothing). See [`name_stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NameStats {
    /// Written in lower case.
    pub lower: u32,
    /// Capitalised with no capitalised neighbour: "in Iran", "Evin prison", "Tehran said".
    pub standalone: u32,
    /// Capitalised inside a run of capitalised words: "National Council of Resistance".
    pub in_name: u32,
    /// All capitals, two letters or more: "PMOI", "NCRI".
    pub acronym: u32,
    /// The word is not in the background list (a name, a foreign or a very rare word).
    pub rare: bool,
    /// Paragraphs (lines of running text) using the word.
    pub paragraphs: u32,
    /// Documents using the word (filled in when documents are merged).
    pub docs: u32,
    /// Sum over those documents of `1 + ln(occurrences)` (filled in when merged).
    pub log_tf: f32,
}

impl NameStats {
    /// Occurrences counted.
    pub fn total(&self) -> u32 {
        self.lower + self.standalone + self.in_name + self.acronym
    }

    /// Adds one document's counts of the word.
    pub fn merge_doc(&mut self, doc: &NameStats) {
        self.lower += doc.lower;
        self.standalone += doc.standalone;
        self.in_name += doc.in_name;
        self.acronym += doc.acronym;
        self.paragraphs += doc.paragraphs;
        self.rare |= doc.rare;
        if doc.total() > 0 {
            self.docs += 1;
            self.log_tf += 1.0 + (doc.total() as f32).ln();
        }
    }
}

/// Words that may join the capitalised words of one name ("Council of Resistance of Iran").
const NAME_JOINERS: &[&str] = &["of", "the", "for", "and", "de", "e", "al", "el", "la", "du"];

/// Counts how each stem of `text` is written, line by line: `stem -> NameStats`. Lines that
/// are mostly capitalised (headings, title-case titles, photo captions) are skipped, and
/// so are words that start a sentence. Used on the archive side only, to find the places,
/// organisations and people the topic is about; the item being scored is read case-blind.
/// Returns the number of paragraphs counted.
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
                start: words.is_empty() || gap.contains(['.', '!', '?', ':', '"', '“', '•', '(', '[']),
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

/// The tokens of one word of raw text, as [`tokenize`] would give them; plain ASCII words
/// skip folding and segmenting again.
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

fn is_year_word(word: &str) -> bool {
    word.len() == 4 && word.bytes().all(|b| b.is_ascii_digit())
}

/// English month names and their usual abbreviations, as written in datelines.
fn is_month(word: &str) -> bool {
    const MONTHS: &[&str] = &[
        "jan",
        "january",
        "feb",
        "february",
        "mar",
        "march",
        "apr",
        "april",
        "may",
        "jun",
        "june",
        "jul",
        "july",
        "aug",
        "august",
        "sep",
        "sept",
        "september",
        "oct",
        "october",
        "nov",
        "november",
        "dec",
        "december",
    ];
    word.chars().next().is_some_and(char::is_uppercase) && MONTHS.contains(&word.to_ascii_lowercase().as_str())
}

/// Background Zipf value of a folded word, and whether the background lists it.
pub fn zipf(word: &str) -> (f32, bool) {
    if let Some(&z) = BACKGROUND.get(word) {
        return (z, true);
    }
    if word.chars().all(|c| c.is_ascii_digit()) {
        if word.len() == 4 && (word.starts_with('1') || word.starts_with("20")) {
            return (YEAR_ZIPF, true);
        }
        return (NUMBER_ZIPF, true);
    }
    if word.chars().any(|c| c.is_numeric()) {
        return (NUMBER_ZIPF, true);
    }
    (UNLISTED_ZIPF, false)
}

/// How informative a word is: 0 for function words, larger for rarer words.
fn word_weight(z: f32) -> f32 {
    (INFORMATIVE_CEILING - z).clamp(0.0, MAX_WEIGHT)
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
        let stems: Vec<String> =
            tokenize("Iran's executions of political prisoners in 1988").into_iter().map(|t| t.stem).collect();
        assert_eq!(stems, ["iran", "execut", "of", "polit", "prison", "in", "1988"]);
    }

    #[test]
    fn one_word_reads_as_in_running_text() {
        for w in ["Iran's", "PMOI", "Tehran", "1988", "a", "7", "Executions", "U.N", "Genève", "x2"] {
            let (mut buf, mut one) = (String::new(), Vec::new());
            word_tokens(w, &mut buf, &mut one);
            assert_eq!(one, tokenize(w), "{w}");
        }
    }

    #[test]
    fn background_tells_common_from_rare() {
        let t = tokenize("the massacre in Iran of people and prisoners in 1988 and 12 Boumedra");
        let w = |s: &str| t.iter().find(|t| t.surface == s).map(|t| t.weight);
        assert_eq!(w("the"), Some(0.0));
        assert!(w("massacre") > w("iran"));
        assert!(w("iran") > w("people"));
        assert!(w("1988") > w("12"));
        let stop = |s: &str| t.iter().find(|t| t.surface == s).map(|t| t.stop);
        assert_eq!((stop("the"), stop("prisoners")), (Some(true), Some(false)));
        assert!(t.last().is_some_and(|b| b.unlisted));
    }
}
