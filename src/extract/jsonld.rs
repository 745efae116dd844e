//! Article metadata from schema.org JSON-LD blocks (`<script type="application/ld+json">`).
//!
//! Handles what real pages send: several blocks, top-level arrays, `@graph` with `@id`
//! references (Yoast, Rank Math), `@type` as a string or an array, values as strings,
//! objects or arrays, HTML entities inside strings, and slightly broken JSON (trailing
//! commas, raw newlines in strings). Only reads; never fails — a block it cannot read is
//! skipped.

use std::collections::HashMap;

use serde_json::Value;

/// The fields feedkeeper uses from the best article-like node (and its WebPage).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct LdArticle {
    pub headline: Option<String>,
    pub description: Option<String>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub authors: Vec<String>,
    pub publisher: Option<String>,
    pub website: Option<String>,
    pub keywords: Vec<String>,
    pub language: Option<String>,
    pub url: Option<String>,
}

const ARTICLE_TYPES: &[&str] = &[
    "article",
    "newsarticle",
    "blogposting",
    "report",
    "reportagenews",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "reviewnewsarticle",
    "asknewsarticle",
    "askpublicnewsarticle",
    "satiricalarticle",
    "scholarlyarticle",
    "techarticle",
    "liveblogposting",
    "socialmediaposting",
    "pressrelease",
];
const PAGE_TYPES: &[&str] = &["webpage", "itempage", "medicalwebpage", "collectionpage"];

/// Reads the given JSON-LD block texts.
pub(super) fn parse<S: AsRef<str>>(blocks: &[S]) -> LdArticle {
    let mut nodes: Vec<Value> = Vec::new();
    for block in blocks {
        if let Some(v) = parse_lenient(block.as_ref()) {
            flatten(v, &mut nodes, 0);
        }
    }
    let by_id: HashMap<String, &Value> =
        nodes.iter().filter_map(|n| Some((n.get("@id")?.as_str()?.to_string(), n))).collect();
    let article = nodes.iter().find(|n| has_type(n, ARTICLE_TYPES));
    let page = nodes.iter().find(|n| has_type(n, PAGE_TYPES));
    let website = nodes.iter().find(|n| has_type(n, &["website"])).and_then(|n| string(n.get("name")?));

    let ctx = Ctx { by_id: &by_id };
    let mut out = LdArticle { website, ..LdArticle::default() };
    // the article node first, then its WebPage for whatever it lacks
    let sources = [(article, true), (page, false)];
    for (node, is_article) in sources.into_iter().filter_map(|(n, a)| Some((n?, a))) {
        let get = |k: &str| node.get(k).and_then(|v| ctx.resolve(v));
        out.headline = out
            .headline
            .or_else(|| get("headline").and_then(string))
            .or_else(|| is_article.then(|| get("name").and_then(string)).flatten());
        out.description = out.description.or_else(|| get("description").and_then(string));
        out.published = out.published.or_else(|| get("datePublished").and_then(string));
        out.modified = out.modified.or_else(|| get("dateModified").and_then(string));
        if out.authors.is_empty() {
            out.authors = node.get("author").or_else(|| node.get("creator")).map(|a| ctx.names(a)).unwrap_or_default();
        }
        out.publisher = out.publisher.or_else(|| get("publisher").and_then(|p| ctx.name(p)));
        if out.keywords.is_empty() {
            out.keywords = get("keywords").map(keywords).unwrap_or_default();
        }
        out.language = out.language.or_else(|| get("inLanguage").and_then(language));
        out.url = out.url.or_else(|| get("url").and_then(string)).or_else(|| {
            get("mainEntityOfPage").and_then(|m| match m {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => o.get("@id").or_else(|| o.get("url")).and_then(|v| v.as_str()).map(str::to_string),
                _ => None,
            })
        });
    }
    out
}

struct Ctx<'a> {
    by_id: &'a HashMap<String, &'a Value>,
}

impl Ctx<'_> {
    /// Follows an `{"@id": …}` reference to the node it names.
    fn resolve<'v>(&'v self, v: &'v Value) -> Option<&'v Value> {
        if let Value::Object(o) = v
            && o.len() == 1
            && let Some(id) = o.get("@id").and_then(Value::as_str)
        {
            return self.by_id.get(id).copied().or(Some(v));
        }
        Some(v)
    }

    fn name(&self, v: &Value) -> Option<String> {
        match self.resolve(v)? {
            Value::String(s) => clean(s),
            Value::Object(o) => o.get("name").and_then(string),
            Value::Array(a) => a.iter().find_map(|x| self.name(x)),
            _ => None,
        }
    }

    fn names(&self, v: &Value) -> Vec<String> {
        let mut out: Vec<String> = match v {
            Value::Array(a) => a.iter().filter_map(|x| self.name(x)).collect(),
            other => self.name(other).into_iter().collect(),
        };
        out.dedup();
        out
    }
}

fn parse_lenient(text: &str) -> Option<Value> {
    let t = text
        .trim()
        .trim_start_matches("<!--")
        .trim_end_matches("-->")
        .trim()
        .trim_start_matches("//<![CDATA[")
        .trim_start_matches("<![CDATA[")
        .trim_end_matches("//]]>")
        .trim_end_matches("]]>")
        .trim();
    if let Ok(v) = serde_json::from_str(t) {
        return Some(v);
    }
    // Repairs seen in the wild: raw line breaks inside strings, trailing commas.
    let spaced: String = t.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let repaired = strip_trailing_commas(&spaced);
    serde_json::from_str(&repaired).ok()
}

/// Removes commas directly before `}` or `]` outside strings.
fn strip_trailing_commas(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut in_str = false;
    let mut escaped = false;
    for (i, &c) in chars.iter().enumerate() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        if c == '"' {
            in_str = true;
        } else if c == ',' {
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if matches!(next, Some('}') | Some(']')) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

fn flatten(v: Value, out: &mut Vec<Value>, depth: usize) {
    if depth > 4 || out.len() > 500 {
        return;
    }
    match v {
        Value::Array(items) => {
            for item in items {
                flatten(item, out, depth + 1);
            }
        }
        Value::Object(mut o) => {
            if let Some(graph) = o.remove("@graph") {
                flatten(graph, out, depth + 1);
            }
            out.push(Value::Object(o));
        }
        _ => {}
    }
}

fn has_type(node: &Value, wanted: &[&str]) -> bool {
    let norm = |t: &str| t.rsplit(['/', ':']).next().unwrap_or(t).trim().to_ascii_lowercase();
    match node.get("@type") {
        Some(Value::String(t)) => wanted.contains(&norm(t).as_str()),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(|t| wanted.contains(&norm(t).as_str())),
        _ => false,
    }
}

/// A plain string from a string, `{"@value": …}`, or the first usable array item.
fn string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => clean(s),
        Value::Object(o) => o.get("@value").and_then(string),
        Value::Array(a) => a.iter().find_map(string),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn language(v: &Value) -> Option<String> {
    match v {
        Value::Object(o) => o.get("alternateName").or_else(|| o.get("name")).and_then(string),
        other => string(other),
    }
}

fn keywords(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().filter_map(string).collect(),
        _ => Vec::new(),
    }
}

/// Decodes HTML entities and drops tags that some CMSs leave in JSON-LD strings, then
/// collapses whitespace.
fn clean(s: &str) -> Option<String> {
    let decoded = if s.contains('&') || s.contains('<') {
        dom_query::Document::fragment(s).root().text().to_string()
    } else {
        s.to_string()
    };
    let out = decoded.split_whitespace().collect::<Vec<_>>().join(" ");
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_references_are_followed() {
        let block = r##"{"@context":"https://schema.org","@graph":[
            {"@type":"NewsArticle","headline":"H &amp; more","author":{"@id":"#p"},
             "publisher":{"@id":"#o"},"datePublished":"2019-03-12T09:41:07+00:00",
             "keywords":["Iran","UN"],"isPartOf":{"@id":"#w"}},
            {"@type":"WebPage","@id":"#w","url":"https://x.example/a","inLanguage":"en-US"},
            {"@type":"Person","@id":"#p","name":"Sarah W"},
            {"@type":"Organization","@id":"#o","name":"The Monitor"}]}"##;
        let ld = parse(&[block]);
        assert_eq!(ld.headline.as_deref(), Some("H & more"));
        assert_eq!(ld.authors, ["Sarah W"]);
        assert_eq!(ld.publisher.as_deref(), Some("The Monitor"));
        assert_eq!(ld.url.as_deref(), Some("https://x.example/a"));
        assert_eq!(ld.language.as_deref(), Some("en-US"));
        assert_eq!(ld.keywords, ["Iran", "UN"]);
    }

    #[test]
    fn broken_json_is_repaired_or_skipped() {
        let broken = "{\"@context\":\"https://schema.org\",\"@type\":\"Article\",\n\"headline\":\"Line\nbreak\",}";
        assert_eq!(parse(&[broken]).headline.as_deref(), Some("Line break"));
        assert_eq!(parse(&["{not json at all"]), LdArticle::default());
        assert_eq!(parse(&["[1, 2, \"x\"]"]), LdArticle::default());
    }

    #[test]
    fn type_arrays_and_prefixed_types_are_recognised() {
        let block = r#"[{"@type":["CreativeWork","schema:BlogPosting"],"name":"N","author":"Jo Doe"}]"#;
        let ld = parse(&[block]);
        assert_eq!(ld.headline.as_deref(), Some("N"));
        assert_eq!(ld.authors, ["Jo Doe"]);
    }
}
