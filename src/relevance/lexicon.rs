//! The built-in lexicon of human-rights reporting (`lexicon.txt`): groups of words that
//! report the same kind of event, and the institutions that report on such events in every
//! country. The topic model uses it to widen what an archive of a few documents knows
//! (see `facets`), never to decide relevance by itself.
//!
//! Parsed once per process from text compiled into the binary; pure, no I/O.

use rustc_hash::FxHashMap;
use std::sync::LazyLock;

use super::terms;

static LEXICON_TEXT: &str = include_str!("lexicon.txt");

/// What a lexicon group stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A kind of event: evidence of what an item is about.
    Act,
    /// An institution or office found in every country's reporting: never one of the
    /// archive's own places or people.
    Actor,
}

/// One group of the lexicon.
#[derive(Debug, Clone)]
pub struct Group {
    pub role: Role,
    /// Term keys as the model writes them: a stem, or two stems joined by a space.
    pub terms: Vec<String>,
}

/// The parsed lexicon.
#[derive(Debug, Default)]
pub struct Lexicon {
    pub groups: Vec<Group>,
    /// Term key -> index of its group (the first group listing it).
    pub group_of: FxHashMap<String, usize>,
    /// Lines whose phrase cannot be a term (more than two words, or a function word).
    pub rejected: Vec<String>,
}

impl Lexicon {
    /// The role of a term, when the lexicon lists it.
    pub fn role(&self, term: &str) -> Option<Role> {
        self.group_of.get(term).map(|&g| self.groups[g].role)
    }
}

/// The key a phrase matches: one word, or two adjacent words neither of which is a
/// function word (the shape of the model's bigrams). `None` for any other phrase.
pub fn phrase_key(phrase: &str) -> Option<String> {
    let toks = terms::tokenize(phrase);
    match toks.as_slice() {
        [one] if one.weight > 0.0 => Some(one.stem.clone()),
        [a, b] if !a.stop && !b.stop => Some(format!("{} {}", a.stem, b.stem)),
        _ => None,
    }
}

fn parse(text: &str) -> Lexicon {
    let mut lex = Lexicon::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((head, list)) = line.split_once(':') else {
            lex.rejected.push(line.to_owned());
            continue;
        };
        let mut head = head.split_whitespace();
        // The group's name is for people reading the file.
        let (Some(_name), Some(role)) = (head.next(), head.next()) else {
            lex.rejected.push(line.to_owned());
            continue;
        };
        let role = match role {
            "act" => Role::Act,
            "actor" => Role::Actor,
            _ => {
                lex.rejected.push(line.to_owned());
                continue;
            }
        };
        let g = lex.groups.len();
        let mut group = Group { role, terms: Vec::new() };
        for phrase in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match phrase_key(phrase) {
                Some(key) => {
                    if !group.terms.contains(&key) {
                        group.terms.push(key.clone());
                    }
                    lex.group_of.entry(key).or_insert(g);
                }
                None => lex.rejected.push(phrase.to_owned()),
            }
        }
        lex.groups.push(group);
    }
    lex
}

static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| parse(LEXICON_TEXT));

/// The built-in lexicon.
pub fn lexicon() -> &'static Lexicon {
    &LEXICON
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phrase_is_a_term() {
        let lex = lexicon();
        assert!(lex.rejected.is_empty(), "rejected: {:?}", lex.rejected);
        assert!(lex.groups.len() >= 5);
        assert_eq!(lex.role("execut"), Some(Role::Act));
        assert_eq!(lex.role("death sentenc"), Some(Role::Act));
        assert_eq!(lex.role("un"), Some(Role::Actor));
        assert_eq!(lex.role("iran"), None);
    }

    #[test]
    fn phrases_with_function_words_are_refused() {
        assert_eq!(phrase_key("put to death"), None);
        assert_eq!(phrase_key("the"), None);
        assert_eq!(phrase_key("Hanged").as_deref(), Some("hang"));
        assert_eq!(phrase_key("Solitary confinement").as_deref(), Some("solitari confin"));
    }
}
