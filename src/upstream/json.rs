//! JSON Feed 1.0 and 1.1 (<https://jsonfeed.org/version/1.1>) read into a [`FeedDraft`].
//! Lenient in the ways real JSON feeds need: numeric ids, 1.0's `author` beside 1.1's
//! `authors`, relative URLs, and a cut-off document whose complete items are still read.
//!
//! Pure: text in, draft out.

use serde_json::{Map, Value};
use url::Url;

use super::draft::{FeedDraft, FeedFormat, ItemDraft, resolve};
use crate::content::escape;

/// Why a text is not a JSON Feed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum NotJsonFeed {
    #[error("JSON, but neither a JSON Feed version nor an items array")]
    NoFeedMarks,
    #[error("JSON, but not an object")]
    NotAnObject,
    /// Not JSON, and nothing recoverable before the error.
    #[error("{0}")]
    Syntax(serde_json::Error),
}

/// Reads a JSON Feed; `Err` says why the text is not one.
pub(crate) fn read(text: &str, base: Option<&Url>) -> Result<FeedDraft, NotJsonFeed> {
    let mut draft = FeedDraft { format: FeedFormat::JsonFeed, ..FeedDraft::default() };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(top)) => {
            let is_feed = top.get("version").and_then(Value::as_str).is_some_and(|v| v.contains("jsonfeed.org"))
                || top.get("items").is_some_and(Value::is_array);
            if !is_feed {
                return Err(NotJsonFeed::NoFeedMarks);
            }
            draft.structure = true;
            read_top(&top, base, &mut draft);
            if let Some(items) = top.get("items").and_then(Value::as_array) {
                for item in items.iter().filter_map(Value::as_object) {
                    draft.items.push(read_item(item, base));
                }
            }
            Ok(draft)
        }
        Ok(_) => Err(NotJsonFeed::NotAnObject),
        Err(e) => {
            // A cut-off document: read the feed fields and the complete items before the cut.
            let items = recover_items(text);
            if items.is_empty() && !text.contains("jsonfeed.org/version") {
                return Err(NotJsonFeed::Syntax(e));
            }
            draft.structure = true;
            draft.truncated = true;
            let mut top = Map::new();
            for key in ["title", "home_page_url", "language"] {
                if let Some(v) = value_after_key(text, key) {
                    top.insert(key.to_string(), v);
                }
            }
            read_top(&top, base, &mut draft);
            draft.repairs.push(format!(
                "document is not valid JSON ({e}): recovered {} complete items before the error",
                items.len()
            ));
            draft.items = items.iter().filter_map(Value::as_object).map(|i| read_item(i, base)).collect();
            Ok(draft)
        }
    }
}

fn read_top(top: &Map<String, Value>, base: Option<&Url>, draft: &mut FeedDraft) {
    // Titles are read as HTML-ish text like RSS titles: producers put entities in them.
    draft.title = str_field(top, "title");
    draft.site_url = str_field(top, "home_page_url").and_then(|u| resolve(&u, base));
    draft.language = str_field(top, "language");
    draft.hub = top
        .get("hubs")
        .and_then(Value::as_array)
        .and_then(|hubs| hubs.iter().find_map(|h| h.get("url").and_then(Value::as_str)))
        .and_then(|u| resolve(u, base));
    draft.next_page = str_field(top, "next_url").and_then(|u| resolve(&u, base));
    draft.authors = authors(top);
}

fn str_field(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn authors(obj: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |v: &Value| {
        if let Some(name) = v.get("name").and_then(Value::as_str).or_else(|| v.as_str()) {
            out.push(name.trim().to_string());
        }
    };
    if let Some(list) = obj.get("authors").and_then(Value::as_array) {
        list.iter().for_each(&mut push);
    }
    if let Some(a) = obj.get("author") {
        push(a);
    }
    out
}

fn read_item(item: &Map<String, Value>, base: Option<&Url>) -> ItemDraft {
    let date = |k: &str| str_field(item, k).and_then(|d| crate::date::parse(&d));
    let content_html = str_field(item, "content_html").or_else(|| str_field(item, "content_text").map(|t| escape(&t)));
    ItemDraft {
        id: str_field(item, "id"),
        title: str_field(item, "title"),
        link: str_field(item, "url").and_then(|u| resolve(&u, base)),
        link_fallback: str_field(item, "external_url").and_then(|u| resolve(&u, base)),
        summary_html: str_field(item, "summary").map(|s| escape(&s)),
        content_html,
        authors: authors(item),
        published: date("date_published"),
        updated: date("date_modified"),
        categories: item
            .get("tags")
            .and_then(Value::as_array)
            .map(|t| t.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default(),
        language: str_field(item, "language"),
    }
}

/// The complete objects of the `items` array of a cut-off document.
fn recover_items(text: &str) -> Vec<Value> {
    let Some(key) = text.find("\"items\"") else { return Vec::new() };
    let Some(open) = text[key..].find('[') else { return Vec::new() };
    let mut rest = &text[key + open + 1..];
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if !rest.starts_with('{') {
            return out;
        }
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        match stream.next() {
            Some(Ok(v)) => {
                let used = stream.byte_offset();
                out.push(v);
                rest = &rest[used..];
            }
            _ => return out,
        }
    }
}

/// The value of the first `"key": value` in a (possibly broken) document.
fn value_after_key(text: &str, key: &str) -> Option<Value> {
    let at = text.find(&format!("\"{key}\""))?;
    let rest = text[at + key.len() + 2..].trim_start().strip_prefix(':')?;
    serde_json::Deserializer::from_str(rest).into_iter::<Value>().next()?.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_1_1_and_1_0_forms() {
        let base = Url::parse("https://e.org/feed.json").expect("url");
        let d = read(
            r#"{"version":"https://jsonfeed.org/version/1","title":"T","home_page_url":"/","author":{"name":"Old"},
               "items":[{"id":7,"url":"/a","title":"A & B","content_text":"x < y","date_published":"2018-09-14T10:00:00+02:00","tags":["iran"]}]}"#,
            Some(&base),
        )
        .expect("feed");
        assert_eq!(d.site_url.as_deref(), Some("https://e.org/"));
        assert_eq!(d.authors, vec!["Old"]);
        let i = &d.items[0];
        assert_eq!(i.id.as_deref(), Some("7"));
        assert_eq!(i.link.as_deref(), Some("https://e.org/a"));
        assert_eq!(i.content_html.as_deref(), Some("x &lt; y"));
        assert!(i.published.is_some());
    }

    #[test]
    fn truncated_recovers_complete_items() {
        let d = read(
            r#"{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[{"id":"1","url":"https://e.org/1"},{"id":"2","url":"https://e.org/2"},{"id":"3","ur"#,
            None,
        )
        .expect("feed");
        assert_eq!(d.items.len(), 2);
        assert_eq!(d.title.as_deref(), Some("T"));
        assert!(d.truncated);
    }

    #[test]
    fn not_a_feed() {
        assert!(read(r#"{"error":"nope"}"#, None).is_err());
        assert!(read("[1,2]", None).is_err());
    }
}
