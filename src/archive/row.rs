//! How an article version is laid out in a SQL row, shared by the SQLite and PostgreSQL
//! backends: title, summary, text and HTML have columns of their own, every other field is
//! kept as JSON ([`VersionMeta`]). Both backends store the same text, so an archive
//! migrated from one to the other keeps every value (timestamps to the nanosecond) byte for
//! byte. Also the search query syntax both SQL backends read ([`search_terms`]).
//! Conversions only: no SQL, no I/O.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ArticleState, Evidence, RefreshState};
use crate::article::{Article, ArticleId, CaptureRef, Content, Origin, Person, SourceRef};
use crate::date;

/// The fields of a version that have no column of their own.
#[derive(Serialize, Deserialize)]
pub(crate) struct VersionMeta {
    id: ArticleId,
    #[serde(default)]
    authors: Vec<Person>,
    #[serde(default)]
    published: Option<DateTime<Utc>>,
    updated: DateTime<Utc>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    source: Option<SourceRef>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    language: Option<String>,
    content_hash: String,
    archived_at: DateTime<Utc>,
    origin: Origin,
    #[serde(default)]
    capture: Option<CaptureRef>,
}

/// The JSON of an article's fields without a column of their own.
pub(crate) fn meta_json(article: &Article) -> Result<String, serde_json::Error> {
    serde_json::to_string(&VersionMeta {
        id: article.id.clone(),
        authors: article.authors.clone(),
        published: article.published,
        updated: article.updated,
        url: article.url.clone(),
        source: article.source.clone(),
        tags: article.tags.clone(),
        language: article.language.clone(),
        content_hash: article.content_hash.clone(),
        archived_at: article.archived_at,
        origin: article.origin.clone(),
        capture: article.capture.clone(),
    })
}

/// An article from a version row's columns; an empty summary is none.
pub(crate) fn article_from(
    title: String,
    summary: String,
    text: String,
    html: String,
    meta: &str,
) -> Result<Article, serde_json::Error> {
    let m: VersionMeta = serde_json::from_str(meta)?;
    Ok(Article {
        id: m.id,
        title,
        summary: (!summary.is_empty()).then_some(summary),
        content: Content { text, html },
        authors: m.authors,
        published: m.published,
        updated: m.updated,
        url: m.url,
        source: m.source,
        tags: m.tags,
        language: m.language,
        content_hash: m.content_hash,
        archived_at: m.archived_at,
        origin: m.origin,
        capture: m.capture,
    })
}

/// The `updated` date in a version's metadata (`None` when it cannot be read).
pub(crate) fn meta_updated(meta: &str) -> Option<DateTime<Utc>> {
    #[derive(Deserialize)]
    struct Updated {
        updated: DateTime<Utc>,
    }
    serde_json::from_str::<Updated>(meta).ok().map(|u| u.updated)
}

/// The tags in a version's metadata (none when it cannot be read).
pub(crate) fn meta_tags(meta: &str) -> Vec<String> {
    #[derive(Deserialize)]
    struct Tags {
        #[serde(default)]
        tags: Vec<String>,
    }
    serde_json::from_str::<Tags>(meta).map(|t| t.tags).unwrap_or_default()
}

/// The columns of a refresh state row, in [`RefreshRow`] order.
pub(crate) const REFRESH_COLUMNS: &str =
    "article_id, state, since, last_checked, etag, last_modified, failures, last_error, evidence";

/// A refresh state row as stored (text, as both SQL backends keep it): article id, state,
/// since, last checked, etag, last modified, failures, last error, evidence JSON.
pub(crate) type RefreshRow =
    (String, String, String, String, Option<String>, Option<String>, i64, Option<String>, Option<String>);

/// A refresh state from its row; `Err((what, detail))` names the field that does not read.
pub(crate) fn refresh_from_row(row: RefreshRow) -> Result<RefreshState, (String, String)> {
    let (id, state, since, checked, etag, last_modified, failures, last_error, evidence) = row;
    let bad = |what: &str, detail: &str| (format!("refresh {what} of {id}"), detail.to_string());
    let state = ArticleState::parse(&state).ok_or_else(|| bad("state", &state))?;
    let since = date::parse(&since).ok_or_else(|| bad("time", &since))?;
    let last_checked = date::parse(&checked).ok_or_else(|| bad("time", &checked))?;
    let evidence = match evidence {
        Some(text) => Some(serde_json::from_str::<Evidence>(&text).map_err(|e| bad("evidence", &e.to_string()))?),
        None => None,
    };
    Ok(RefreshState {
        article_id: ArticleId(id.clone()),
        state,
        since,
        last_checked,
        etag,
        last_modified,
        failures: failures.clamp(0, i64::from(u32::MAX)) as u32,
        last_error,
        evidence,
    })
}

/// The evidence JSON stored for a refresh state, its time kept to the second.
pub(crate) fn evidence_json(e: &Evidence) -> String {
    use chrono::SubsecRound;
    let e = Evidence { at: e.at.trunc_subsecs(0), ..e.clone() };
    serde_json::to_string(&e).unwrap_or_default()
}

/// A user's search text cut into its terms: each whitespace-separated word, or each
/// "quoted phrase" (an unbalanced quote runs to the end). Terms are as written; a backend
/// drops those without a letter or digit, so punctuation never makes a query invalid.
pub(crate) fn search_terms(input: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let mut rest = input.trim();
    while !rest.is_empty() {
        let (term, tail) = match rest.strip_prefix('"') {
            Some(after) => after.find('"').map_or((after, ""), |end| (&after[..end], &after[end + 1..])),
            None => rest.find(char::is_whitespace).map_or((rest, ""), |end| (&rest[..end], &rest[end..])),
        };
        let term = term.trim();
        if !term.is_empty() {
            terms.push(term);
        }
        rest = tail.trim_start();
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_words_and_quoted_phrases() {
        assert_eq!(search_terms("massacre 1988"), ["massacre", "1988"]);
        assert_eq!(search_terms("\"political prisoners\" Iran"), ["political prisoners", "Iran"]);
        assert_eq!(search_terms("\"mass graves"), ["mass graves"]);
        assert_eq!(search_terms("  \"\"  (( "), ["(("]);
        assert!(search_terms("").is_empty());
    }
}
