//! Front matter: a YAML (`---` … `---`, also `---yaml`) or TOML (`+++` … `+++`, also
//! `---toml` … `---`) block at the top of a Markdown or text file, as Hugo, Jekyll, Zola,
//! Eleventy and Pandoc write it. Reads the keys feedkeeper knows under their common
//! aliases; unknown keys are ignored, since these files come from other tools.
//!
//! Only reads front matter: it does not guess anything from the body and does no I/O.

use chrono::{DateTime, Utc};

use crate::article::{Person, canonical_url, collapse_whitespace};
use crate::date;

/// What a file's front matter says. Every field is optional; the body fills the gaps.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct FrontMatter {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub authors: Vec<Person>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// An absolute http(s) URL (relative permalinks are ignored).
    pub url: Option<String>,
    pub id: Option<String>,
    /// Raw tag strings (normalised later).
    pub tags: Vec<String>,
    pub source: Option<String>,
    pub language: Option<String>,
    /// The front matter says the body is Markdown (`markup: markdown`, `format: md`).
    pub markdown: bool,
}

/// A front matter problem, with the file line (1-based) and key when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FrontError {
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Yaml,
    Toml,
}

/// Splits front matter off the top of `text` and reads it. Returns the front matter (if
/// the file has any) and the body. A `---` block whose content is not a YAML mapping is
/// not front matter (the file is returned whole).
pub(super) fn split(text: &str) -> Result<(Option<FrontMatter>, &str), FrontError> {
    let Some((syntax, front, body)) = find(text) else {
        return Ok((None, text));
    };
    let fields = match syntax {
        Syntax::Yaml => match yaml(front)? {
            Some(fields) => fields,
            None => return Ok((None, text)),
        },
        Syntax::Toml => toml(front)?,
    };
    let fm = extract(&fields, front)?;
    Ok((Some(fm), body))
}

/// Finds the front matter block: its syntax, its content (starting at file line 2) and the
/// body after the closing line.
fn find(text: &str) -> Option<(Syntax, &str, &str)> {
    let first_end = text.find('\n')?;
    let (syntax, closers): (Syntax, &[&str]) = match text[..first_end].trim_end() {
        "---" | "---yaml" | "---yml" => (Syntax::Yaml, &["---", "..."]),
        "+++" => (Syntax::Toml, &["+++"]),
        "---toml" => (Syntax::Toml, &["---"]),
        _ => return None,
    };
    let content_start = first_end + 1;
    let mut pos = content_start;
    for line in text[content_start..].split_inclusive('\n') {
        if closers.contains(&line.trim_end()) {
            let body = &text[pos + line.len()..];
            return Some((syntax, &text[content_start..pos], body));
        }
        pos += line.len();
    }
    None
}

/// A front matter value, whichever syntax it came from.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Str(String),
    Bool(bool),
    List(Vec<Val>),
    Map(Vec<(String, Val)>),
    Null,
}

/// File line of the front matter's first line.
const FIRST_LINE: usize = 2;

fn yaml(front: &str) -> Result<Option<Vec<(String, Val)>>, FrontError> {
    if front.trim().is_empty() {
        return Ok(Some(Vec::new()));
    }
    let value: serde_norway::Value = serde_norway::from_str(front).map_err(|e| FrontError {
        line: e.location().map(|l| l.line() + FIRST_LINE - 1),
        key: None,
        message: shift_line_numbers(&e.to_string(), FIRST_LINE - 1),
    })?;
    Ok(match from_yaml(value) {
        Val::Map(m) => Some(m),
        Val::Null => Some(Vec::new()),
        _ => None,
    })
}

/// serde_norway's messages count lines from the start of the YAML text; make them file lines.
fn shift_line_numbers(message: &str, by: usize) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("line ") {
        let (before, after) = rest.split_at(at + 5);
        out.push_str(before);
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        match digits.parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&digits),
        }
        rest = &after[digits.len()..];
    }
    out.push_str(rest);
    out
}

fn from_yaml(v: serde_norway::Value) -> Val {
    use serde_norway::Value;
    match v {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(b),
        Value::Number(n) => Val::Str(n.to_string()),
        Value::String(s) => Val::Str(s),
        Value::Sequence(items) => Val::List(items.into_iter().map(from_yaml).collect()),
        Value::Mapping(m) => Val::Map(
            m.into_iter()
                .filter_map(|(k, v)| {
                    let key = match k {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => return None,
                    };
                    Some((key, from_yaml(v)))
                })
                .collect(),
        ),
        Value::Tagged(t) => from_yaml(t.value),
    }
}

fn toml(front: &str) -> Result<Vec<(String, Val)>, FrontError> {
    let table: toml::Table = toml::from_str(front).map_err(|e| FrontError {
        line: e.span().map(|s| front[..s.start.min(front.len())].matches('\n').count() + FIRST_LINE),
        key: None,
        message: e.message().trim().to_string(),
    })?;
    Ok(table.into_iter().map(|(k, v)| (k, from_toml(v))).collect())
}

fn from_toml(v: toml::Value) -> Val {
    use toml::Value;
    match v {
        Value::String(s) => Val::Str(s),
        Value::Integer(i) => Val::Str(i.to_string()),
        Value::Float(f) => Val::Str(f.to_string()),
        Value::Boolean(b) => Val::Bool(b),
        Value::Datetime(d) => Val::Str(d.to_string()),
        Value::Array(items) => Val::List(items.into_iter().map(from_toml).collect()),
        Value::Table(t) => Val::Map(t.into_iter().map(|(k, v)| (k, from_toml(v))).collect()),
    }
}

// ---------------------------------------------------------------------------------------
// Keys

const TITLE: &[&str] = &["title", "headline"];
const SUMMARY: &[&str] = &["summary", "standfirst", "description", "excerpt", "abstract", "subtitle", "dek"];
const AUTHORS: &[&str] = &["author", "authors", "byline", "creator", "creators"];
const PUBLISHED: &[&str] = &[
    "date",
    "published",
    "pubdate",
    "publishdate",
    "datepublished",
    "publishedat",
    "publishedon",
    "created",
    "createdat",
];
const UPDATED: &[&str] =
    &["updated", "lastmod", "modified", "datemodified", "lastmodified", "updatedat", "lastupdated"];
const URL: &[&str] = &["url", "link", "canonical", "canonicalurl", "permalink", "sourceurl", "originalurl"];
const ID: &[&str] = &["id", "guid", "uuid", "uid"];
const TAGS: &[&str] = &["tags", "categories", "keywords", "topics", "category", "tag"];
const SOURCE: &[&str] = &["source", "publisher", "publication"];
const LANGUAGE: &[&str] = &["language", "lang", "locale", "inlanguage"];
const MARKUP: &[&str] = &["markup", "format", "contenttype"];
/// Maps other tools nest fields in (Zola `taxonomies`/`extra`, Hugo `params`).
const NESTED: &[&str] = &["taxonomies", "extra", "params"];

/// A key as compared: lowercase, without `_`, `-` or spaces (`pubDate`, `date_published`).
fn normal_key(key: &str) -> String {
    key.chars().filter(|c| !matches!(c, '_' | '-' | ' ')).flat_map(char::to_lowercase).collect()
}

/// Looks keys up by alias, top level first, then inside the nested maps.
struct Fields<'a> {
    levels: Vec<&'a [(String, Val)]>,
    front: &'a str,
}

impl<'a> Fields<'a> {
    fn new(top: &'a [(String, Val)], front: &'a str) -> Fields<'a> {
        let mut levels = vec![top];
        for (k, v) in top {
            if let Val::Map(m) = v
                && NESTED.contains(&normal_key(k).as_str())
            {
                levels.push(m);
            }
        }
        Fields { levels, front }
    }

    /// Every (key as written, value) whose key is one of `aliases`, in alias order, top
    /// level before nested maps. Null values are skipped.
    fn all(&self, aliases: &[&str]) -> Vec<(&'a str, &'a Val)> {
        let mut out = Vec::new();
        for level in &self.levels {
            for alias in aliases {
                for (k, v) in level.iter() {
                    if *v != Val::Null && normal_key(k) == *alias {
                        out.push((k.as_str(), v));
                    }
                }
            }
        }
        out
    }

    fn first(&self, aliases: &[&str]) -> Option<(&'a str, &'a Val)> {
        self.all(aliases).into_iter().next()
    }

    fn error(&self, key: &str, message: String) -> FrontError {
        FrontError { line: key_line(self.front, key), key: Some(key.to_string()), message }
    }

    /// A text value, or an error naming the key.
    fn text(&self, aliases: &[&str]) -> Result<Option<String>, FrontError> {
        match self.first(aliases) {
            None => Ok(None),
            Some((_, Val::Str(s))) => {
                let s = collapse_whitespace(s);
                Ok((!s.is_empty()).then_some(s))
            }
            Some((key, other)) => Err(self.error(key, format!("expected text, found {}", describe(other)))),
        }
    }

    /// A date, through [`date::parse`]. A boolean is not a date (Jekyll's `published: false`).
    fn date(&self, aliases: &[&str]) -> Result<Option<DateTime<Utc>>, FrontError> {
        for (key, v) in self.all(aliases) {
            match v {
                Val::Bool(_) => continue,
                Val::Str(s) if s.trim().is_empty() => continue,
                Val::Str(s) => {
                    return match date::parse(s) {
                        Some(d) => Ok(Some(d)),
                        None => Err(self.error(key, format!("`{s}` is not a date feedkeeper can read"))),
                    };
                }
                other => return Err(self.error(key, format!("expected a date, found {}", describe(other)))),
            }
        }
        Ok(None)
    }
}

fn describe(v: &Val) -> &'static str {
    match v {
        Val::Str(_) => "text",
        Val::Bool(_) => "a boolean",
        Val::List(_) => "a list",
        Val::Map(_) => "a table",
        Val::Null => "nothing",
    }
}

/// The file line where `key` is set in the front matter text.
fn key_line(front: &str, key: &str) -> Option<usize> {
    front
        .lines()
        .position(|line| {
            let t = line.trim_start().trim_start_matches(['"', '\'']);
            t.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start_matches(['"', '\'']).trim_start().starts_with([':', '=']))
        })
        .map(|i| i + FIRST_LINE)
}

fn extract(top: &[(String, Val)], front: &str) -> Result<FrontMatter, FrontError> {
    let f = Fields::new(top, front);
    let mut fm = FrontMatter {
        title: f.text(TITLE)?,
        summary: f.text(SUMMARY)?,
        published: f.date(PUBLISHED)?,
        updated: f.date(UPDATED)?,
        id: f.text(ID)?,
        language: f.text(LANGUAGE)?,
        ..FrontMatter::default()
    };
    if let Some((key, v)) = f.first(AUTHORS) {
        fm.authors =
            people(v).ok_or_else(|| f.error(key, "expected a name, a list of names or {name, email, url}".into()))?;
    }
    for (key, v) in f.all(URL) {
        let Val::Str(s) = v else {
            return Err(f.error(key, format!("expected a URL, found {}", describe(v))));
        };
        if canonical_url(s).is_some() {
            fm.url = Some(s.trim().to_string());
            break;
        }
        tracing::debug!(key, value = %s, "front matter URL is not an absolute http(s) URL; ignored");
    }
    for (_, v) in f.all(TAGS) {
        tags_into(v, &mut fm.tags);
    }
    match f.first(SOURCE) {
        Some((_, Val::Str(s))) if canonical_url(s).is_some() => {
            fm.url = fm.url.or_else(|| Some(s.trim().to_string()));
        }
        Some((_, Val::Str(s))) => fm.source = Some(collapse_whitespace(s)).filter(|s| !s.is_empty()),
        Some((_, Val::Map(m))) => {
            for (k, v) in m {
                match (normal_key(k).as_str(), v) {
                    ("name" | "title", Val::Str(s)) => fm.source = Some(collapse_whitespace(s)),
                    ("url" | "link", Val::Str(s)) if canonical_url(s).is_some() && fm.url.is_none() => {
                        fm.url = Some(s.trim().to_string());
                    }
                    _ => {}
                }
            }
        }
        Some((key, other)) => return Err(f.error(key, format!("expected a name, found {}", describe(other)))),
        None => {}
    }
    if let Some((_, Val::Str(s))) = f.first(MARKUP) {
        fm.markdown = matches!(s.trim().to_lowercase().as_str(), "markdown" | "md" | "commonmark" | "gfm" | "goldmark");
    }
    Ok(fm)
}

fn people(v: &Val) -> Option<Vec<Person>> {
    match v {
        Val::Str(s) => Some(person_named(s).into_iter().collect()),
        Val::Map(m) => Some(person_from_map(m).into_iter().collect()),
        Val::List(items) => {
            let mut out = Vec::new();
            for item in items {
                match item {
                    Val::Str(s) => out.extend(person_named(s)),
                    Val::Map(m) => out.extend(person_from_map(m)),
                    Val::Null => {}
                    _ => return None,
                }
            }
            Some(out)
        }
        _ => None,
    }
}

fn person_named(s: &str) -> Option<Person> {
    let name = collapse_whitespace(s);
    (!name.is_empty()).then(|| Person::named(name))
}

fn person_from_map(m: &[(String, Val)]) -> Option<Person> {
    let mut p = Person::named("");
    for (k, v) in m {
        let Val::Str(s) = v else { continue };
        match normal_key(k).as_str() {
            "name" => p.name = collapse_whitespace(s),
            "email" | "mail" => p.email = Some(s.trim().to_string()),
            "url" | "uri" | "link" | "homepage" | "website" => p.uri = Some(s.trim().to_string()),
            _ => {}
        }
    }
    (!p.name.is_empty()).then_some(p)
}

fn tags_into(v: &Val, out: &mut Vec<String>) {
    match v {
        Val::Str(s) => out.extend(s.split(',').map(str::trim).filter(|t| !t.is_empty()).map(String::from)),
        Val::List(items) => {
            for item in items {
                if let Val::Str(s) = item {
                    out.push(s.trim().to_string());
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).single().expect("date")
    }

    #[test]
    fn yaml_with_aliases() {
        let text = "---\nTitle: Iran destroys graves\ndescription: A report.\nauthors: [Jane Doe, {name: John Roe, email: j@example.org}]\npubDate: Sept. 14, 2018\nlastmod: 2018-09-15\ncanonical: https://example.org/a?utm_source=x\ntags: [Iran, \"1988 massacre\"]\ncategories: un\nlang: en\nlayout: post\ndraft: false\n---\nBody\n";
        let (fm, body) = split(text).expect("parses");
        let fm = fm.expect("front matter");
        assert_eq!(body, "Body\n");
        assert_eq!(fm.title.as_deref(), Some("Iran destroys graves"));
        assert_eq!(fm.summary.as_deref(), Some("A report."));
        assert_eq!(fm.authors.len(), 2);
        assert_eq!(fm.authors[1].email.as_deref(), Some("j@example.org"));
        assert_eq!(fm.published, Some(day(2018, 9, 14)));
        assert_eq!(fm.updated, Some(day(2018, 9, 15)));
        assert_eq!(fm.url.as_deref(), Some("https://example.org/a?utm_source=x"));
        assert_eq!(fm.tags, vec!["Iran", "1988 massacre", "un"]);
        assert_eq!(fm.language.as_deref(), Some("en"));
    }

    #[test]
    fn toml_with_zola_taxonomies() {
        let text = "+++\ntitle = \"Verdict\"\ndate = 2022-07-14T10:00:00+02:00\nid = \"tag:example.org,2022:nouri\"\n[taxonomies]\ntags = [\"un\", \"accountability\"]\n[extra]\nauthor = \"Desk\"\n+++\n\nBody";
        let fm = split(text).expect("parses").0.expect("front matter");
        assert_eq!(fm.title.as_deref(), Some("Verdict"));
        assert_eq!(fm.published, Some(Utc.with_ymd_and_hms(2022, 7, 14, 8, 0, 0).single().expect("date")));
        assert_eq!(fm.id.as_deref(), Some("tag:example.org,2022:nouri"));
        assert_eq!(fm.tags, vec!["un", "accountability"]);
        assert_eq!(fm.authors, vec![Person::named("Desk")]);
        let fm = split("---toml\ntitle = \"T\"\n---\nx").expect("parses").0.expect("front matter");
        assert_eq!(fm.title.as_deref(), Some("T"));
    }

    #[test]
    fn errors_name_line_and_key() {
        let err = split("---\ntitle: ok\ndate: [1, 2\n---\nbody").expect_err("bad yaml");
        assert!(err.line.is_some_and(|l| l >= 3), "{err:?}");
        let err = split("+++\ntitle = \"ok\"\ndate = nope\n+++\n").expect_err("bad toml");
        assert_eq!(err.line, Some(3), "{err:?}");
        let err = split("---\ntitle: ok\ndate: someday soon\n---\n").expect_err("bad date");
        assert_eq!((err.line, err.key.as_deref()), (Some(3), Some("date")));
        let err = split("---\ntitle: [a, b]\n---\n").expect_err("title list");
        assert_eq!((err.line, err.key.as_deref()), (Some(2), Some("title")));
    }

    #[test]
    fn not_front_matter() {
        // No closing line, a scalar, a separator line: the file is returned whole.
        for text in ["---\ntitle: x\nno end", "---\nJust a line\n---\nMore", "Title\n---\nx: y\n---\n"] {
            let (fm, body) = split(text).expect("no error");
            assert_eq!((fm, body), (None, text));
        }
        // Jekyll's `published: false` is not a date; relative permalinks are not URLs.
        let fm = split("---\npublished: false\npermalink: /2018/09/x/\n---\n").expect("ok").0.expect("fm");
        assert_eq!((fm.published, fm.url), (None, None));
    }
}
