//! Text to terms: case and accent folding, Unicode word segmentation, English stemming, and
//! the general-English background that says how informative each term is. [`tokenize`]
//! reads an item; [`DocReader`] reads an archive, document after document, into the same
//! tokens as integer ids (each distinct word stemmed once) together with how each word is
//! written (the names an archive is about). Text that is ASCII, or has only the accented
//! letters, quotes and dashes news is full of, is split into words by the rules of Unicode
//! word segmentation that such text can meet, without the general tables; property tests
//! hold both to the general splitter.
//!
//! Everything here is pure and deterministic. The background list is compiled into the
//! binary (`background.txt`, see its header for source and licence) and parsed once per
//! process; nothing here reads files, the network or the clock.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasher;
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
pub const STOP_ZIPF: f32 = 5.8;
/// Largest weight one unigram can carry, so a single very rare name cannot swamp the rest.
const MAX_WEIGHT: f32 = 2.5;

static BACKGROUND_TEXT: &str = include_str!("background.txt");

static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// Folded word -> Zipf value. Words are looked up unstemmed: a stem such as "execut"
/// stands for "execution" and "executive" alike, and its summed frequency would hide how
/// informative "executed" is.
static BACKGROUND: LazyLock<rustc_hash::FxHashMap<String, f32>> = LazyLock::new(|| {
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
    fold_plain(&strip_markup(text))
}

/// [`fold`] of text that has no markup left. Runs of ASCII are only lowercased; the
/// rest goes through case mapping and decomposition as a run, so the result is the same as
/// decomposing the whole text at once (an ASCII character is never decomposed nor reordered
/// with a combining mark).
fn fold_plain(stripped: &str) -> String {
    let mut out = String::with_capacity(stripped.len());
    let mut rest = stripped;
    while !rest.is_empty() {
        let ascii = rest.bytes().position(|b| !b.is_ascii()).unwrap_or(rest.len());
        out.extend(rest[..ascii].bytes().map(|b| char::from(b.to_ascii_lowercase())));
        rest = &rest[ascii..];
        let other = rest.char_indices().find(|(_, c)| c.is_ascii()).map_or(rest.len(), |(i, _)| i);
        fold_run(&rest[..other], &mut out);
        rest = &rest[other..];
    }
    out
}

/// Folds a run of non-ASCII text.
fn fold_run(run: &str, out: &mut String) {
    for c in run.chars().flat_map(char::to_lowercase).nfkd() {
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
}

/// Replaces `<tag ...>` and `&entity;` with spaces. A `<` not followed by a letter, `/` or
/// `!` is kept (it is text, as in "a < b").
pub fn strip_markup(text: &str) -> std::borrow::Cow<'_, str> {
    if memchr::memchr2(b'<', b'&', text.as_bytes()).is_none() {
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

/// A folded word as a term: possessive `'s` and apostrophes dropped; `None` for a single
/// letter (or nothing), which is no term. A single digit is kept.
fn clean_word(word: &str) -> Option<Cow<'_, str>> {
    let word = word.strip_suffix("'s").unwrap_or(word);
    let word = if word.contains('\'') { Cow::Owned(word.replace('\'', "")) } else { Cow::Borrowed(word) };
    let mut chars = word.chars();
    match (chars.next(), chars.next()) {
        (None, _) => None,
        (Some(c), None) if !c.is_numeric() => None,
        _ => Some(word),
    }
}

/// Splits already folded text into tokens. Possessive `'s` and apostrophes are dropped;
/// single letters are dropped; numbers are kept (a year can be the topic).
pub fn tokenize_folded(folded: &str, out: &mut Vec<Token>) {
    for word in folded_words(folded) {
        let Some(word) = clean_word(word) else { continue };
        let word = word.as_ref();
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

/// The words of folded text, as `unicode_words` gives them; plain text (the usual case once
/// folded, see [`plain_class`]) is split without the general Unicode tables.
fn folded_words(folded: &str) -> Vec<&str> {
    let mut classes = Vec::new();
    if plain_classes(folded, &mut classes) {
        let mut spans = Vec::new();
        split_plain(&classes, folded.len(), &mut spans);
        spans.into_iter().map(|(s, e)| &folded[s..e]).collect()
    } else {
        folded.unicode_words().collect()
    }
}

/// Words remembered per thread before the memo is cleared, so memory stays bounded in a
/// process that runs for months.
const MEMO_WORDS: usize = 100_000;

thread_local! {
    /// Folded word -> (stem, Zipf value, listed). Stemming and the background lookup are
    /// most of the cost of reading text, and news repeats its words.
    static MEMO: std::cell::RefCell<rustc_hash::FxHashMap<String, (String, f32, bool)>> =
        std::cell::RefCell::new(rustc_hash::FxHashMap::default());
}

/// Stem and background value of a folded word, memoised (pure: same word, same answer).
pub fn lookup(word: &str) -> (String, f32, bool) {
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
/// capital says nothing). See [`DocReader`].
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
    }
}

/// Words that may join the capitalised words of one name ("Council of Resistance of Iran").
pub const NAME_JOINERS: &[&str] = &["of", "the", "for", "and", "de", "e", "al", "el", "la", "du"];

/// Distinct strings stored once, in one buffer, each with a dense id in order of first
/// appearance. Far smaller than a map of `String`s when there are millions of them.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    text: String,
    /// End of each string in `text`; it starts where the previous one ends.
    ends: Vec<usize>,
    table: hashbrown::HashTable<u32>,
}

fn text_of<'t>(text: &'t str, ends: &[usize], id: u32) -> &'t str {
    let i = id as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &text[start..ends[i]]
}

/// [`text_of`] as bytes, without the check that the range falls on characters.
fn bytes_of<'t>(text: &'t str, ends: &[usize], id: u32) -> &'t [u8] {
    let i = id as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &text.as_bytes()[start..ends[i]]
}

fn hash_text(s: &str) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(s)
}

impl Interner {
    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The string with this id.
    pub fn text(&self, id: u32) -> &str {
        text_of(&self.text, &self.ends, id)
    }

    /// The id of a string, when it has one.
    pub fn get(&self, s: &str) -> Option<u32> {
        self.table.find(hash_text(s), |&id| bytes_of(&self.text, &self.ends, id) == s.as_bytes()).copied()
    }

    /// The id of a string, given one if it has none yet; true when it is new.
    pub fn intern(&mut self, s: &str) -> (u32, bool) {
        let Interner { text, ends, table } = self;
        let h = hash_text(s);
        if let Some(&id) = table.find(h, |&id| bytes_of(text, ends, id) == s.as_bytes()) {
            return (id, false);
        }
        // Ids are bounded by the distinct strings of the input; 4 billion of them would need
        // far more memory than the archive could be read into.
        let id = ends.len() as u32;
        text.push_str(s);
        ends.push(text.len());
        table.insert_unique(h, id, |&id| hash_text(text_of(text, ends, id)));
        (id, true)
    }

    /// Gives back spare capacity once no more strings will be added.
    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
        let Interner { text, ends, table } = self;
        table.shrink_to_fit(|&id| hash_text(text_of(text, ends, id)));
    }
}

/// One word of folded text as [`tokenize`] reads it, with ids in place of strings: the
/// word (as an id in [`Vocab`]'s words), its stem (an id in its stems) and what the
/// background says about it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WordInfo {
    pub word: u32,
    pub stem: u32,
    pub weight: f32,
    pub stop: bool,
    pub unlisted: bool,
    /// The word's Zipf value.
    pub zipf: f32,
}

/// The words and stems met while reading an archive, each stemmed and looked up in the
/// background once.
#[derive(Debug, Default)]
pub struct Vocab {
    words: Interner,
    /// Words of up to 8 bytes, by their bytes as a number (zero-padded: a word has no NUL):
    /// most words, found without hashing or comparing text.
    short: rustc_hash::FxHashMap<u64, u32>,
    infos: Vec<WordInfo>,
    stems: Interner,
    buf: String,
}

/// A word of up to 8 bytes, none of them NUL, as a number; `None` for any other.
fn short_key(word: &str) -> Option<u64> {
    let b = word.as_bytes();
    if b.len() > 8 {
        return None;
    }
    let mut k = 0u64;
    for (i, &c) in b.iter().enumerate() {
        if c == 0 {
            return None;
        }
        k |= u64::from(c) << (8 * i);
    }
    Some(k)
}

impl Vocab {
    /// The stems met so far.
    pub fn stems(&self) -> &Interner {
        &self.stems
    }

    /// The folded word with this id.
    pub fn word_text(&self, id: u32) -> &str {
        self.words.text(id)
    }

    /// A folded word (possessive and apostrophes already dropped) as [`lookup`] reads it.
    fn word(&mut self, word: &str) -> WordInfo {
        let short = short_key(word);
        if let Some(&id) = short.and_then(|k| self.short.get(&k)) {
            return self.infos[id as usize];
        }
        let (id, new) = self.words.intern(word);
        if let Some(k) = short {
            self.short.insert(k, id);
        }
        if !new {
            return self.infos[id as usize];
        }
        let (z, listed) = zipf(word);
        let (stem, _) = self.stems.intern(&stem_word(word));
        let info =
            WordInfo { word: id, stem, weight: word_weight(z), stop: z >= STOP_ZIPF, unlisted: !listed, zipf: z };
        self.infos.push(info);
        info
    }

    /// One word of folded text, as [`tokenize_folded`] reads it: possessive `'s` and
    /// apostrophes dropped, single letters skipped.
    fn push_folded_word(&mut self, word: &str, out: &mut Vec<WordInfo>) {
        // The usual word: ASCII, no apostrophe, two letters or more.
        let b = word.as_bytes();
        if b.len() >= 2 && b.iter().all(|&c| c.is_ascii() && c != b'\'') {
            out.push(self.word(word));
            return;
        }
        if let Some(word) = clean_word(word) {
            out.push(self.word(&word));
        }
    }

    /// [`tokenize_folded`] with ids.
    pub fn tokenize_folded(&mut self, folded: &str, out: &mut Vec<WordInfo>) {
        for word in folded_words(folded) {
            self.push_folded_word(word, out);
        }
    }

    /// The tokens of one word of raw text, as [`tokenize`] would give them; ASCII words
    /// skip folding and segmenting again (a word of ASCII text is one word folded too).
    pub fn word_tokens(&mut self, word: &str, out: &mut Vec<WordInfo>) {
        if !word.is_ascii() {
            self.tokenize_folded(&fold(word), out);
            return;
        }
        self.ascii_word_tokens(word, &AsciiWord::of(word.as_bytes()), out);
    }

    /// [`Vocab::word_tokens`] of an ASCII word whose letters have been looked at.
    fn ascii_word_tokens(&mut self, word: &str, looks: &AsciiWord, out: &mut Vec<WordInfo>) {
        if looks.upper == 0 {
            // Already folded.
            if word.len() >= 2 && !looks.apostrophe {
                out.push(self.word(word));
            } else {
                self.push_folded_word(word, out);
            }
            return;
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.push_str(word);
        buf.make_ascii_lowercase();
        self.push_folded_word(&buf, out);
        self.buf = buf;
    }
}

/// What an ASCII word's bytes look like, found in one pass.
struct AsciiWord {
    /// Capital letters.
    upper: usize,
    /// Some small letter.
    lower: bool,
    apostrophe: bool,
}

impl AsciiWord {
    fn of(word: &[u8]) -> AsciiWord {
        let mut looks = AsciiWord { upper: 0, lower: false, apostrophe: false };
        for &c in word {
            looks.upper += usize::from(c.is_ascii_uppercase());
            looks.lower |= c.is_ascii_lowercase();
            looks.apostrophe |= c == b'\'';
        }
        looks
    }
}

/// How the stems of one document are written, by stem id; reset for each document.
#[derive(Debug, Default)]
pub struct NameCounts {
    stats: Vec<NameStats>,
    /// Per stem: the last paragraph (numbered across documents) that used it.
    seen_in: Vec<u32>,
    /// Stems with statistics in the current document, in order of first use.
    touched: Vec<u32>,
    /// Paragraphs read so far, over all documents.
    paragraph: u32,
    /// The first paragraph of the current document.
    doc_start: u32,
}

impl NameCounts {
    /// Statistics of a stem in the current document (all zero when it has none).
    pub fn get(&self, stem: u32) -> NameStats {
        self.stats.get(stem as usize).copied().unwrap_or_default()
    }

    /// Stems with statistics in the current document.
    pub fn touched(&self) -> &[u32] {
        &self.touched
    }

    fn start_doc(&mut self) {
        for &s in &self.touched {
            self.stats[s as usize] = NameStats::default();
        }
        self.touched.clear();
        self.doc_start = self.paragraph + 1;
    }

    fn start_paragraph(&mut self) {
        self.paragraph += 1;
    }

    /// Counts the stem's use in the current paragraph (once per paragraph) and gives its
    /// statistics to update.
    fn seen(&mut self, stem: u32) -> &mut NameStats {
        let s = stem as usize;
        if s >= self.stats.len() {
            self.stats.resize(s + 1, NameStats::default());
            self.seen_in.resize(s + 1, 0);
        }
        if self.seen_in[s] != self.paragraph {
            if self.seen_in[s] < self.doc_start {
                self.touched.push(stem);
            }
            self.seen_in[s] = self.paragraph;
            self.stats[s].paragraphs += 1;
        }
        &mut self.stats[s]
    }
}

/// One word of a line of raw text, as the name reading sees it.
#[derive(Debug, Clone, Copy)]
struct LineWord {
    start: usize,
    end: usize,
    capital: bool,
    acronym: bool,
    /// Starts a sentence: its capital says nothing.
    sentence_start: bool,
    /// Only spaces or a hyphen separate it from the word before.
    joined: bool,
    /// Its tokens in `DocReader::word_toks`.
    toks: (usize, usize),
}

/// Reads archived documents one after another into tokens (what [`tokenize`] gives, as
/// ids) and into how their words are written (see [`NameStats`]), reusing its buffers.
/// Each line is split into words once when it is plain ASCII, the usual case.
#[derive(Debug, Default)]
pub struct DocReader {
    pub vocab: Vocab,
    /// Tokens of the last title read.
    pub title: Vec<WordInfo>,
    /// Tokens of the last text read.
    pub text: Vec<WordInfo>,
    /// How the stems of the last text read are written.
    pub names: NameCounts,
    words: Vec<LineWord>,
    word_toks: Vec<WordInfo>,
}

impl DocReader {
    /// Reads one document; returns the number of paragraphs of running text in it. Lines
    /// that are mostly capitalised (headings, title-case titles, photo captions) are not
    /// paragraphs and give no name statistics, and neither do words that start a sentence.
    pub fn read(&mut self, title: &str, text: &str) -> u32 {
        self.title.clear();
        self.vocab.tokenize_folded(&fold(title), &mut self.title);
        self.text.clear();
        self.names.start_doc();
        let stripped = strip_markup(text);
        let mut paragraphs = 0;
        for line in stripped.lines() {
            if self.read_line(line) {
                paragraphs += 1;
            }
        }
        paragraphs
    }

    /// Reads one line: its tokens go to `text`, and when it is a paragraph of running text
    /// (returns true), how its words are written goes to `names`.
    fn read_line(&mut self, line: &str) -> bool {
        if self.scan_plain_line(line) {
            // Each word folds to the words it would be in the folded line.
            self.text.extend_from_slice(&self.word_toks);
        } else {
            self.words.clear();
            self.word_toks.clear();
            let mut last_end = 0;
            for (pos, word) in line.unicode_word_indices() {
                let gap = &line[last_end..pos];
                last_end = pos + word.len();
                self.push_word(line, gap, pos, last_end);
            }
            self.vocab.tokenize_folded(&fold_plain(line), &mut self.text);
        }
        self.count_names(line)
    }

    /// Reads the words of a plain line (see [`plain_class`]) in one pass, splitting it as
    /// [`split_plain`] does; false, having read nothing that counts, when the line is not
    /// plain after all.
    fn scan_plain_line(&mut self, line: &str) -> bool {
        self.words.clear();
        self.word_toks.clear();
        let bytes = line.as_bytes();
        let class_at = |i: usize| -> Option<(Wb, usize)> {
            match bytes.get(i) {
                Some(&b) if b.is_ascii() => Some((ASCII_CLASSES[usize::from(b)], 1)),
                Some(_) => {
                    let c = line[i..].chars().next()?;
                    plain_class(c).map(|class| (class, c.len_utf8()))
                }
                None => None,
            }
        };
        let (mut i, mut last_end) = (0, 0);
        while i < bytes.len() {
            let Some((first, len)) = class_at(i) else {
                return false;
            };
            if !matches!(first, Wb::Letter | Wb::Digit | Wb::Connector) {
                i += len;
                continue;
            }
            let start = i;
            let (mut cur, mut end, mut alnum) = (first, i + len, first != Wb::Connector);
            while end < bytes.len() {
                let Some((next, len)) = class_at(end) else {
                    return false;
                };
                if joins(cur, next) {
                    alnum |= next != Wb::Connector;
                    (cur, end) = (next, end + len);
                    continue;
                }
                if !matches!(next, Wb::MidLetter | Wb::MidNum | Wb::MidNumLet) || end + len >= bytes.len() {
                    break;
                }
                let Some((after, after_len)) = class_at(end + len) else {
                    return false;
                };
                if !joins_across(cur, next, after) {
                    break;
                }
                (cur, end) = (after, end + len + after_len);
            }
            if alnum {
                self.push_word(line, &line[last_end..start], start, end);
                last_end = end;
            }
            i = end;
        }
        true
    }

    /// Adds the word `line[start..end]`, which `gap` separates from the word before.
    fn push_word(&mut self, line: &str, gap: &str, start: usize, end: usize) {
        let word = &line[start..end];
        let first = self.words.is_empty();
        let t0 = self.word_toks.len();
        let (capital, acronym) = if word.is_ascii() {
            let b = word.as_bytes();
            let looks = AsciiWord::of(b);
            self.vocab.ascii_word_tokens(word, &looks, &mut self.word_toks);
            (b[0].is_ascii_uppercase(), looks.upper >= 2 && !looks.lower)
        } else {
            self.vocab.word_tokens(word, &mut self.word_toks);
            let letters = word.chars().filter(|c| c.is_alphabetic()).count();
            (
                word.chars().next().is_some_and(char::is_uppercase),
                letters >= 2 && word.chars().filter(|c| c.is_alphabetic()).all(char::is_uppercase),
            )
        };
        // Most words are separated by one space.
        let (sentence_start, joined) = match gap {
            " " => (first, !first),
            _ => {
                let prev = self.words.last().map_or("", |w| &line[w.start..w.end]);
                (first || ends_sentence(gap) || after_dateline(prev, gap), !first && only_space_or_hyphen(gap))
            }
        };
        self.words.push(LineWord {
            start,
            end,
            capital,
            acronym,
            sentence_start,
            joined,
            toks: (t0, self.word_toks.len()),
        });
    }

    /// Counts how the words of the line just read are written, when it is a paragraph of
    /// running text (returns true).
    fn count_names(&mut self, line: &str) -> bool {
        let words = &self.words;
        let caps = words.iter().filter(|w| w.capital).count();
        if words.len() < 4 || caps * 5 >= words.len() * 3 {
            return false;
        }
        self.names.start_paragraph();
        let text = |w: &LineWord| &line[w.start..w.end];
        let toks = &self.word_toks;
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
                if w.capital && (!w.sentence_start || raw_zipf(text(w), &toks[w.toks.0..w.toks.1]) < STOP_ZIPF) {
                    return true;
                }
                if !NAME_JOINERS.contains(&text(w)) {
                    return false;
                }
                j = k;
            }
        };
        for (i, w) in words.iter().enumerate() {
            // The year of a date ("May 20, 2023", "September 1988") dates the text; the
            // year of an event ("the 1988 massacre") is part of the topic.
            if is_year_word(text(w)) && (1..=2).any(|back| i >= back && is_month(text(&words[i - back]))) {
                continue;
            }
            for t in &toks[w.toks.0..w.toks.1] {
                let e = self.names.seen(t.stem);
                if w.sentence_start {
                    continue;
                }
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
        true
    }
}

/// Word-break classes (Unicode Standard Annex #29) of the characters a line can have when
/// [`plain_class`] accepts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wb {
    /// ALetter.
    Letter,
    /// Numeric.
    Digit,
    /// ExtendNumLet: `_`.
    Connector,
    /// MidLetter: `:`.
    MidLetter,
    /// MidNum: `,` `;`.
    MidNum,
    /// MidNumLet and Single_Quote: `.` `'` `‘` `’`.
    MidNumLet,
    /// Anything else: spaces, other punctuation, symbols.
    Other,
}

/// The class of a character of a plain line, `None` for a character that makes the line
/// not plain. A line is plain when it splits into words, folded, exactly as its raw words
/// fold and split one by one: when it is ASCII, or has only the non-ASCII characters news
/// text is full of (accented Latin letters, typographic quotes and dashes, the no-break
/// space), each of which folds to characters that break words as it does. A plain line's
/// tokens are the tokens of its raw words: it need not be folded and split a second time.
fn plain_class(c: char) -> Option<Wb> {
    Some(match c {
        'a'..='z' | 'A'..='Z' => Wb::Letter,
        '0'..='9' => Wb::Digit,
        '_' => Wb::Connector,
        ':' => Wb::MidLetter,
        ',' | ';' => Wb::MidNum,
        '.' | '\'' | '‘' | '’' => Wb::MidNumLet,
        '\u{0}'..='\u{7F}' | '\u{A0}' | '\u{D7}' | '\u{F7}' | '“' | '”' | '…' | '–' | '—' | '«' | '»' | '•' => {
            Wb::Other
        }
        // Not the Catalan middle-dot letters nor the apostrophe-n: they fold to a word break.
        '\u{13F}' | '\u{140}' | '\u{149}' => return None,
        '\u{C0}'..='\u{17F}' => Wb::Letter,
        _ => return None,
    })
}

/// [`plain_class`] of every ASCII byte.
const ASCII_CLASSES: [Wb; 128] = {
    let mut t = [Wb::Other; 128];
    let mut b = 0;
    while b < 128 {
        t[b] = match b as u8 {
            b'a'..=b'z' | b'A'..=b'Z' => Wb::Letter,
            b'0'..=b'9' => Wb::Digit,
            b'_' => Wb::Connector,
            b':' => Wb::MidLetter,
            b',' | b';' => Wb::MidNum,
            b'.' | b'\'' => Wb::MidNumLet,
            _ => Wb::Other,
        };
        b += 1;
    }
    t
};

/// The classes of a line's characters, with where each starts, when the line is plain
/// (see [`plain_class`]); false as soon as a character is not.
fn plain_classes(line: &str, classes: &mut Vec<(u32, Wb)>) -> bool {
    classes.clear();
    if u32::try_from(line.len()).is_err() {
        return false;
    }
    if line.is_ascii() {
        classes.extend(line.bytes().enumerate().map(|(i, b)| (i as u32, ASCII_CLASSES[usize::from(b)])));
        return true;
    }
    let mut i = 0;
    while i < line.len() {
        let b = line.as_bytes()[i];
        if b.is_ascii() {
            classes.push((i as u32, ASCII_CLASSES[usize::from(b)]));
            i += 1;
            continue;
        }
        let Some(c) = line[i..].chars().next() else {
            break;
        };
        let Some(class) = plain_class(c) else {
            return false;
        };
        classes.push((i as u32, class));
        i += c.len_utf8();
    }
    true
}

/// Letters and digits join, and `_` joins both (UAX #29 rules WB5, WB8-10, WB13a-b).
fn joins(cur: Wb, next: Wb) -> bool {
    matches!(
        (cur, next),
        (Wb::Letter | Wb::Digit, Wb::Letter | Wb::Digit)
            | (Wb::Letter | Wb::Digit | Wb::Connector, Wb::Connector)
            | (Wb::Connector, Wb::Letter | Wb::Digit)
    )
}

/// A `:` `.` `'` `’` between letters, or a `,` `;` `.` `'` `’` between digits, joins them
/// (WB6-7, WB11-12).
fn joins_across(cur: Wb, mid: Wb, after: Wb) -> bool {
    matches!(
        (cur, mid, after),
        (Wb::Letter, Wb::MidLetter | Wb::MidNumLet, Wb::Letter) | (Wb::Digit, Wb::MidNum | Wb::MidNumLet, Wb::Digit)
    )
}

/// The words of a plain line whose [`plain_classes`] are given, as byte ranges: what
/// `unicode_word_indices` gives, by the rules of UAX #29 that such text can meet (letters
/// and digits join, `_` joins both, a `:` `.` `'` `’` between letters and a `,` `;` `.`
/// `'` `’` between digits join), without its general tables. Segments with no letter or
/// digit are left out, as `unicode_words` does.
fn split_plain(classes: &[(u32, Wb)], len: usize, out: &mut Vec<(usize, usize)>) {
    let class = |i: usize| classes.get(i).map(|x| x.1);
    let end_of = |i: usize| classes.get(i + 1).map_or(len, |x| x.0 as usize);
    let mut i = 0;
    while i < classes.len() {
        let first = classes[i].1;
        if !matches!(first, Wb::Letter | Wb::Digit | Wb::Connector) {
            i += 1;
            continue;
        }
        let start = i;
        let mut alnum = first != Wb::Connector;
        while let Some(next) = class(i + 1) {
            let cur = classes[i].1;
            if joins(cur, next) {
                alnum |= next != Wb::Connector;
                i += 1;
                continue;
            }
            if !class(i + 2).is_some_and(|after| joins_across(cur, next, after)) {
                break;
            }
            i += 2;
        }
        if alnum {
            out.push((classes[start].0 as usize, end_of(i)));
        }
        i += 1;
    }
}

/// True when the text between two words ends a sentence or opens a quote or aside.
fn ends_sentence(gap: &str) -> bool {
    gap.bytes().any(|b| matches!(b, b'.' | b'!' | b'?' | b':' | b'"' | b'(' | b'['))
        || (!gap.is_ascii() && gap.contains(['“', '•']))
}

/// True when a word follows a dateline's year and its dash ("November 18, 2022 - Tiny
/// particles"): it starts the story's first sentence, and its capital says nothing.
pub fn after_dateline(prev: &str, gap: &str) -> bool {
    is_year_word(prev) && matches!(gap.trim(), "-" | "–" | "—")
}

/// True when only spaces or hyphens separate two words.
fn only_space_or_hyphen(gap: &str) -> bool {
    if gap.is_ascii() {
        gap.bytes().all(|b| b.is_ascii_whitespace() || b == b'\x0B' || b == b'-')
    } else {
        gap.chars().all(|c| c.is_whitespace() || c == '-')
    }
}

/// The Zipf value of a word of raw text, folded whole (possessive and all); `toks` are
/// its tokens, whose value it is when the word is plain ASCII letters and digits.
fn raw_zipf(word: &str, toks: &[WordInfo]) -> f32 {
    match toks {
        [t] if word.bytes().all(|b| b.is_ascii_alphanumeric()) => t.zipf,
        _ => zipf(&fold(word)).0,
    }
}

/// Counts how each stem of `text` is written, line by line: `stem -> NameStats` (see
/// [`DocReader::read`]). Returns the number of paragraphs counted.
#[cfg(test)]
pub fn name_stats(text: &str, acc: &mut HashMap<String, NameStats>) -> u32 {
    let mut reader = DocReader::default();
    let paragraphs = reader.read("", text);
    for &s in reader.names.touched() {
        acc.entry(reader.vocab.stems().text(s).to_owned()).or_default().merge_doc(&reader.names.get(s));
    }
    paragraphs
}

/// The tokens of one word of raw text, as [`tokenize`] would give them.
#[cfg(test)]
fn word_tokens(word: &str, _buf: &mut String, out: &mut Vec<Token>) {
    let mut vocab = Vocab::default();
    let mut infos = Vec::new();
    vocab.word_tokens(word, &mut infos);
    out.extend(infos.into_iter().map(|t| Token {
        stem: vocab.stems().text(t.stem).to_owned(),
        surface: vocab.word_text(t.word).to_owned(),
        weight: t.weight,
        stop: t.stop,
        unlisted: t.unlisted,
    }));
}

pub fn is_year_word(word: &str) -> bool {
    word.len() == 4 && word.bytes().all(|b| b.is_ascii_digit())
}

/// A capitalised English month name or abbreviation, as written in datelines ("Sept",
/// "January"); the names are [`crate::date`]'s.
pub fn is_month(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase) && crate::date::is_english_month(word)
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
pub fn word_weight(z: f32) -> f32 {
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

    /// Asserts the plain splitter accepts `line` and gives the spans `unicode_word_indices`
    /// gives, and returns them.
    fn splits_as_unicode(line: &str) -> Result<Vec<(usize, usize)>, proptest::test_runner::TestCaseError> {
        let mut classes = Vec::new();
        let mut got = Vec::new();
        proptest::prop_assert!(plain_classes(line, &mut classes));
        split_plain(&classes, line.len(), &mut got);
        let want: Vec<(usize, usize)> = line.unicode_word_indices().map(|(p, w)| (p, p + w.len())).collect();
        proptest::prop_assert_eq!(&got, &want);
        Ok(want)
    }

    proptest::proptest! {
        /// The plain-text splitter gives exactly the words of `unicode_word_indices`.
        #[test]
        fn plain_lines_split_as_unicode_says(
            line in "[a-zA-Z0-9_:,;.'‘’ \"()!?×÷ÀÉßàéèçñöøÿĀčŁžſ\u{A0}“”…–—«»•\r\n\t-]{0,60}"
        ) {
            let want = splits_as_unicode(&line)?;
            let mut reader = DocReader::default();
            proptest::prop_assert!(reader.scan_plain_line(&line));
            let scanned: Vec<(usize, usize)> = reader.words.iter().map(|w| (w.start, w.end)).collect();
            proptest::prop_assert_eq!(scanned, want);
        }
    }

    /// Every character the plain splitter accepts (Latin-1, Latin Extended-A and the
    /// punctuation news uses), so no accepted character is left out of the property test.
    fn plain_alphabet() -> Vec<char> {
        ('\0'..='\u{17F}').chain("‘’“”…–—•\u{2009}\u{202F}".chars()).filter(|&c| plain_class(c).is_some()).collect()
    }

    proptest::proptest! {
        /// As above, over the whole accepted alphabet, weighted towards letters and joiners.
        #[test]
        fn every_accepted_character_splits_as_unicode_says(
            chars in proptest::collection::vec(
                proptest::prop_oneof![
                    3 => proptest::sample::select(plain_alphabet()),
                    1 => proptest::sample::select(vec!['a', 'Z', '1', '\'', '’', '.', ',', ':', '_', ' ']),
                ],
                0..40,
            )
        ) {
            let line: String = chars.into_iter().collect();
            splits_as_unicode(&line)?;
        }
    }

    #[test]
    fn ascii_classes_are_the_plain_classes() {
        for b in 0u8..128 {
            assert_eq!(Some(ASCII_CLASSES[usize::from(b)]), plain_class(char::from(b)), "{b}");
        }
        assert_eq!(plain_class('é'), Some(Wb::Letter));
        assert_eq!(plain_class('’'), Some(Wb::MidNumLet));
        for c in ['ŀ', 'ŉ', 'ʼ', '\u{301}', '½', '²', 'ﬁ', 'א', '\u{AD}', '\u{2028}', 'Ω'] {
            assert_eq!(plain_class(c), None, "{c}");
        }
    }

    #[test]
    fn the_word_after_a_dateline_starts_a_sentence() {
        let mut acc = HashMap::new();
        name_stats(
            "November 18, 2022 - Tiny particles worn from car tyres reach rivers, and tiny fibres too.\n\
             August 2, 2023 – Volunteers with sieves spent a day on the beach after Volunteers Day.",
            &mut acc,
        );
        // The capital after the dash says nothing; the lower-case use is counted.
        assert_eq!((acc["tini"].standalone, acc["tini"].lower), (0, 1));
        assert_eq!(acc["volunt"].standalone + acc["volunt"].in_name, 1, "{:?}", acc["volunt"]);
        assert!(after_dateline("2022", " - ") && after_dateline("1988", " — "));
        assert!(!after_dateline("Tehran", " - ") && !after_dateline("2022", ", "));
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
