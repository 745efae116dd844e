//! The archive's matching and versioning rules, written once and above any backend.
//!
//! An incoming article is matched against what is already kept in one fixed order: its
//! article id, then its canonical URL, then its content fingerprint. A match on the id or the
//! URL is the *same article* (a changed one gets a new version); a match on the fingerprint
//! alone is a *syndicated copy* under another URL (archived once, never versioned). A new
//! version is recorded only when the article's [`revision`] changes, and its `updated` date
//! is nudged forward so readers notice ([`updated_for_new_version`]). Page captures go in one
//! WARC file per UTC day ([`capture_file_name`]).
//!
//! [`put`] applies these rules to one incoming article through a backend's [`Writer`] (the
//! only code that archives an article, whatever the backend); the pipeline's in-batch dedup
//! uses [`BatchIndex`], which follows the same order. No storage of its own, no I/O here.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use super::backend::MatchKey;
use super::backend::{Head, NewVersion, Writer};
use super::{ArchiveError, DedupKeys, PutOutcome};
use crate::article::{Article, ArticleId, Person};

/// What a hit on a [`MatchKey`] means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    /// The same article: a changed copy becomes its next version.
    SameArticle,
    /// The same text under another URL: a syndicated duplicate, archived once.
    Syndicated,
}

impl MatchKey<'_> {
    /// What finding an archived article by this key means.
    pub fn kind(&self) -> MatchKind {
        match self {
            MatchKey::Id(_) | MatchKey::CanonicalUrl(_) => MatchKind::SameArticle,
            MatchKey::Fingerprint(_) => MatchKind::Syndicated,
        }
    }

    /// The key as one string, distinct across kinds (for in-memory indexes).
    fn tagged(&self) -> String {
        match self {
            MatchKey::Id(id) => format!("id:{id}"),
            MatchKey::CanonicalUrl(u) => format!("url:{u}"),
            MatchKey::Fingerprint(f) => format!("fp:{f}"),
        }
    }
}

/// The keys to look an article up by, in the order they must be tried.
pub fn match_order<'a>(id: &'a ArticleId, keys: &'a DedupKeys) -> Vec<MatchKey<'a>> {
    let mut out = vec![MatchKey::Id(id)];
    out.extend(keys.canonical_url.as_deref().map(MatchKey::CanonicalUrl));
    out.extend(keys.fingerprint.as_deref().map(MatchKey::Fingerprint));
    out
}

/// Tries `lookup` on each key in [`match_order`] and returns the first hit with its meaning.
pub fn first_match<T, E>(
    id: &ArticleId,
    keys: &DedupKeys,
    mut lookup: impl FnMut(MatchKey<'_>) -> Result<Option<T>, E>,
) -> Result<Option<(MatchKind, T)>, E> {
    for key in match_order(id, keys) {
        if let Some(found) = lookup(key)? {
            return Ok(Some((key.kind(), found)));
        }
    }
    Ok(None)
}

/// Archives one article through `w`, in [`match_order`]: a syndicated copy is a
/// [`PutOutcome::Duplicate`]; the same article with the same [`revision`] is unchanged;
/// with another revision it becomes the next version, its `updated` moved forward
/// ([`updated_for_new_version`]) and its keys settled by [`keys_for_new_version`]; an
/// article matching nothing is added.
pub fn put(w: &mut dyn Writer, article: &Article, keys: &DedupKeys) -> Result<PutOutcome, ArchiveError> {
    let head = match first_match(&article.id, keys, |key| w.lookup(key))? {
        Some((MatchKind::Syndicated, head)) => return Ok(PutOutcome::Duplicate { id: head.id }),
        Some((MatchKind::SameArticle, head)) => head,
        None => {
            let revision = revision(article);
            let seq = w.insert(&NewVersion { article, version: 1, revision: &revision, keys })?;
            return Ok(PutOutcome::Added { id: article.id.clone(), seq });
        }
    };
    let revision = revision(article);
    if head.revision == revision {
        return Ok(PutOutcome::Unchanged { id: head.id });
    }
    let mut next = article.clone();
    next.id = head.id.clone();
    next.updated = updated_for_new_version(next.updated, next.archived_at, head.updated);
    let keys = keys_for_new_version(&head, keys);
    let version = head.versions.saturating_add(1);
    let seq = w.update(&NewVersion { article: &next, version, revision: &revision, keys: &keys })?;
    Ok(PutOutcome::Updated { id: head.id, version, seq })
}

/// The keys a new version of an archived article is found by: it keeps the canonical URL it
/// was first found under (or takes the incoming one if it had none), and takes the incoming
/// fingerprint (or keeps its own if the incoming copy has none).
pub fn keys_for_new_version(head: &Head, incoming: &DedupKeys) -> DedupKeys {
    DedupKeys {
        identity: incoming.identity.clone(),
        canonical_url: head.canonical_url.clone().or_else(|| incoming.canonical_url.clone()),
        fingerprint: incoming.fingerprint.clone().or_else(|| head.fingerprint.clone()),
    }
}

/// A hash of every field a reader sees; a new version is recorded iff it changes.
pub fn revision(a: &Article) -> String {
    #[derive(Serialize)]
    struct Seen<'a> {
        title: &'a str,
        summary: &'a Option<String>,
        text: &'a str,
        html: &'a str,
        authors: &'a [Person],
        published: &'a Option<DateTime<Utc>>,
        url: &'a Option<String>,
        tags: &'a [String],
        language: &'a Option<String>,
    }
    let seen = Seen {
        title: &a.title,
        summary: &a.summary,
        text: &a.content.text,
        html: &a.content.html,
        authors: &a.authors,
        published: &a.published,
        url: &a.url,
        tags: &a.tags,
        language: &a.language,
    };
    let json = serde_json::to_vec(&seen).unwrap_or_default();
    blake3::hash(&json).to_hex().to_string()
}

/// The `updated` date of a new version: a new version keeps the id, so its `updated` must move
/// past the previous version's (`previous`, when readable) so readers notice, and it comes from
/// the data — this version's archive time at worst.
pub fn updated_for_new_version(
    updated: DateTime<Utc>,
    archived_at: DateTime<Utc>,
    previous: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    match previous {
        Some(old) if updated <= old => archived_at.max(old + chrono::Duration::seconds(1)),
        _ => updated,
    }
}

/// The name of the WARC file, inside the archive's capture folder, that a capture made at
/// `at` goes in: one file per UTC day, `feedkeeper-2026-11-28.warc.gz`.
pub fn capture_file_name(at: DateTime<Utc>) -> String {
    format!("feedkeeper-{}.warc.gz", at.format("%Y-%m-%d"))
}

/// Articles waiting to be written in one batch, matched the way the archive would match them
/// once written (same [`match_order`]); the first article to claim a key keeps it.
#[derive(Debug, Default)]
pub struct BatchIndex {
    by_key: HashMap<String, ArticleId>,
}

impl BatchIndex {
    /// An empty index.
    pub fn new() -> BatchIndex {
        BatchIndex::default()
    }

    /// Records an article queued under `id` with these keys.
    pub fn insert(&mut self, id: &ArticleId, keys: &DedupKeys) {
        for key in match_order(id, keys) {
            self.by_key.entry(key.tagged()).or_insert_with(|| id.clone());
        }
    }

    /// The id of a queued article this one matches, if any.
    pub fn find(&self, id: &ArticleId, keys: &DedupKeys) -> Option<ArticleId> {
        match_order(id, keys).iter().find_map(|k| self.by_key.get(&k.tagged()).cloned())
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;
    use crate::article::{Content, Identity, Origin};

    fn keys(url: Option<&str>, fp: Option<&str>) -> DedupKeys {
        DedupKeys { identity: "x".into(), canonical_url: url.map(Into::into), fingerprint: fp.map(Into::into) }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("date").with_timezone(&Utc)
    }

    #[test]
    fn keys_are_tried_id_then_url_then_fingerprint() {
        let id = Identity::Url("https://news.example/a".into()).id();
        let k = keys(Some("https://news.example/a"), Some("fp1"));
        assert_eq!(
            match_order(&id, &k),
            vec![MatchKey::Id(&id), MatchKey::CanonicalUrl("https://news.example/a"), MatchKey::Fingerprint("fp1")]
        );
        let bare = keys(None, None);
        assert_eq!(match_order(&id, &bare), vec![MatchKey::Id(&id)]);
    }

    #[test]
    fn an_id_or_url_hit_is_the_same_article_and_a_fingerprint_hit_is_syndicated() {
        let id = Identity::Url("https://news.example/a".into()).id();
        let k = keys(Some("u"), Some("f"));
        let hit = |on: &'static str| {
            let r: Result<_, Infallible> = first_match(&id, &k, |key| {
                Ok(match (key, on) {
                    (MatchKey::Id(_), "id") | (MatchKey::CanonicalUrl(_), "url") | (MatchKey::Fingerprint(_), "fp") => {
                        Some(on)
                    }
                    _ => None,
                })
            });
            r.expect("infallible")
        };
        assert_eq!(hit("id"), Some((MatchKind::SameArticle, "id")));
        assert_eq!(hit("url"), Some((MatchKind::SameArticle, "url")));
        assert_eq!(hit("fp"), Some((MatchKind::Syndicated, "fp")));
        assert_eq!(hit("none"), None);
    }

    #[test]
    fn the_first_key_that_hits_wins() {
        let id = Identity::Url("https://news.example/a".into()).id();
        let k = keys(Some("u"), Some("f"));
        let mut tried = Vec::new();
        let r: Result<_, Infallible> = first_match(&id, &k, |key| {
            tried.push(key.kind());
            Ok(matches!(key, MatchKey::CanonicalUrl(_) | MatchKey::Fingerprint(_)).then_some(()))
        });
        assert_eq!(r.expect("infallible"), Some((MatchKind::SameArticle, ())));
        assert_eq!(tried.len(), 2, "the fingerprint is not looked up once the URL matched");
    }

    #[test]
    fn revision_changes_with_what_readers_see_and_not_with_bookkeeping() {
        let day = at("2024-01-01T00:00:00Z");
        let mut a = Article {
            id: Identity::Url("https://news.example/a".into()).id(),
            title: "T".into(),
            summary: None,
            content: Content { text: "Text.".into(), html: "<p>Text.</p>".into() },
            authors: Vec::new(),
            published: Some(day),
            updated: day,
            url: None,
            source: None,
            tags: Vec::new(),
            language: None,
            content_hash: String::new(),
            archived_at: day,
            origin: Origin::Import { file: "a.txt".into() },
            capture: None,
        };
        let r0 = revision(&a);
        a.archived_at = at("2025-01-01T00:00:00Z");
        a.updated = at("2025-01-01T00:00:00Z");
        assert_eq!(revision(&a), r0, "archive time and updated are not content");
        a.title = "T2".into();
        assert_ne!(revision(&a), r0);
    }

    #[test]
    fn a_new_version_moves_updated_forward() {
        let old = at("2024-01-02T00:00:00Z");
        let archived = at("2024-01-01T12:00:00Z");
        assert_eq!(
            updated_for_new_version(at("2024-01-03T00:00:00Z"), archived, Some(old)),
            at("2024-01-03T00:00:00Z")
        );
        assert_eq!(updated_for_new_version(old, archived, Some(old)), at("2024-01-02T00:00:01Z"));
        let late = at("2024-02-01T00:00:00Z");
        assert_eq!(updated_for_new_version(old, late, Some(old)), late, "archive time when it is later");
        assert_eq!(updated_for_new_version(old, archived, None), old, "an unreadable previous date changes nothing");
    }

    #[test]
    fn captures_go_in_one_file_per_utc_day() {
        assert_eq!(capture_file_name(at("2026-11-28T00:00:00Z")), "feedkeeper-2026-11-28.warc.gz");
        assert_eq!(capture_file_name(at("2026-11-28T23:59:59Z")), "feedkeeper-2026-11-28.warc.gz");
        assert_eq!(capture_file_name(at("2026-11-29T01:00:00+02:00")), "feedkeeper-2026-11-28.warc.gz", "UTC day");
    }

    #[test]
    fn the_batch_index_matches_by_id_url_or_fingerprint_and_the_first_claim_wins() {
        let a = Identity::Url("https://news.example/a".into()).id();
        let b = Identity::Url("https://mirror.example/b".into()).id();
        let mut index = BatchIndex::new();
        index.insert(&a, &keys(Some("https://news.example/a"), Some("fp1")));
        index.insert(&b, &keys(None, Some("fp1")));
        assert_eq!(index.find(&b, &keys(None, None)), Some(b.clone()));
        assert_eq!(index.find(&b, &keys(None, Some("fp1"))), Some(b.clone()), "the id is tried first");
        let c = Identity::Url("https://other.example/c".into()).id();
        assert_eq!(index.find(&c, &keys(None, Some("fp1"))), Some(a.clone()), "fp1 stays with its first claimant");
        assert_eq!(index.find(&c, &keys(Some("https://news.example/a"), None)), Some(a));
        assert_eq!(index.find(&c, &keys(None, Some("fp2"))), None);
    }
}
