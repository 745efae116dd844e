//! The Atom-shaped article model every other module speaks: one [`Article`] per archived
//! document, whatever it came from (an imported file, an upstream feed item, a page added by
//! hand). Each field says what it maps to in Atom, RSS 2.0 and JSON Feed 1.1.
//!
//! This module also owns identity: [`ArticleId::derive`] turns an article's identity key (its
//! canonical URL, an upstream id, or title + date) into an id that never changes, so
//! re-importing, re-publishing or moving the archive leaves every id as it was (RFC 4287
//! §4.2.6). Normalisation helpers (tags, whitespace, content hash, fingerprint) live here too.
//!
//! No I/O, no clock, and no parser or writer crate's types: the edges convert.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// A stable entry id: an `urn:uuid:` IRI derived once from the article's identity key, or an
/// id given explicitly (front matter `id`, kept verbatim).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ArticleId(pub String);

impl ArticleId {
    /// Derives the id for an identity key (see [`Identity`]). The same key always gives the
    /// same id, on any machine, in any archive folder.
    pub fn derive(identity: &Identity) -> ArticleId {
        let hash = blake3::hash(format!("feedkeeper-id-v1\n{}", identity.key()).as_bytes());
        let b = hash.as_bytes();
        let mut u = [0u8; 16];
        u.copy_from_slice(&b[..16]);
        // RFC 9562 UUID version 8 (custom), variant 10.
        u[6] = (u[6] & 0x0f) | 0x80;
        u[8] = (u[8] & 0x3f) | 0x80;
        ArticleId(format!(
            "urn:uuid:{}-{}-{}-{}-{}",
            hex(&u[0..4]),
            hex(&u[4..6]),
            hex(&u[6..8]),
            hex(&u[8..10]),
            hex(&u[10..16])
        ))
    }

    /// A short, filesystem-safe, stable name for this id (used for per-article page names).
    pub fn slug(&self) -> String {
        match self.0.strip_prefix("urn:uuid:") {
            Some(uuid) => uuid.to_string(),
            None => blake3::hash(self.0.as_bytes()).to_hex()[..32].to_string(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ArticleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What makes two documents the same article. The strongest available key wins: an explicit
/// id, then the canonical URL, then the upstream feed's own id, then title and date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// An id given by the author (front matter `id`): used verbatim as the entry id.
    Explicit(String),
    /// The article's canonical URL (tracking parameters already removed).
    Url(String),
    /// An upstream item without a usable link: the feed URL and the item's own id.
    Upstream { feed_url: String, upstream_id: String },
    /// A document with neither: its folded title and publication day (`YYYY-MM-DD` or "").
    TitleDate { title: String, day: String },
}

impl Identity {
    /// The strongest identity a document has, the one rule every way in (import, upstream
    /// items, added pages) derives ids from: its explicit id, else its canonical URL, else
    /// `(feed URL, upstream id)` when the upstream id is not blank, else title and day.
    pub fn strongest(
        explicit: Option<&str>,
        canonical_url: Option<&str>,
        upstream: Option<(&str, &str)>,
        title: &str,
        published: Option<&DateTime<Utc>>,
    ) -> Identity {
        if let Some(id) = explicit {
            return Identity::Explicit(id.to_string());
        }
        if let Some(url) = canonical_url {
            return Identity::Url(url.to_string());
        }
        if let Some((feed_url, id)) = upstream.filter(|(_, id)| !id.trim().is_empty()) {
            return Identity::Upstream { feed_url: feed_url.to_string(), upstream_id: id.trim().to_string() };
        }
        Identity::title_date(title, published)
    }

    /// The identity for a title and optional date, folded so that case, accents, punctuation
    /// and spacing do not make two copies of one article look different.
    pub fn title_date(title: &str, published: Option<&DateTime<Utc>>) -> Identity {
        Identity::TitleDate {
            title: fold(title),
            day: published.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
        }
    }

    /// The text hashed into the id.
    pub fn key(&self) -> String {
        match self {
            Identity::Explicit(id) => format!("explicit:{id}"),
            Identity::Url(url) => format!("url:{url}"),
            Identity::Upstream { feed_url, upstream_id } => format!("upstream:{feed_url}\n{upstream_id}"),
            Identity::TitleDate { title, day } => format!("title:{title}\n{day}"),
        }
    }

    /// The entry id for this identity.
    pub fn id(&self) -> ArticleId {
        match self {
            Identity::Explicit(id) => ArticleId(id.clone()),
            other => ArticleId::derive(other),
        }
    }
}

/// A person: Atom `author`, RSS `author`/`dc:creator`, JSON Feed `authors[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Person {
    pub fn named(name: impl Into<String>) -> Person {
        Person { name: name.into(), uri: None, email: None }
    }
}

/// Where an article came from: Atom `source`, RSS `<source url>`, JSON Feed `_feedkeeper.source`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SourceRef {
    /// The publication or configured source name ("PMOI/MEK", "Amnesty UK").
    pub name: String,
    /// The upstream feed's URL, when the article came from a feed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_url: Option<String>,
    /// The upstream item's own id (Atom `id`, RSS `guid`, JSON Feed `id`), kept verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_id: Option<String>,
    /// The upstream feed's home page, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_url: Option<String>,
    /// The upstream feed's own id as read at capture (Atom `feed/id`), else its URL. Absent
    /// in articles archived before it was kept; the publisher then uses the feed URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_id: Option<String>,
    /// The upstream feed's own `updated` as read at capture (Atom `updated`, RSS
    /// `lastBuildDate`, else `pubDate`), else the time it was read. Absent in articles archived
    /// before it was kept; the publisher then uses the article's `archived_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_updated: Option<DateTime<Utc>>,
}

/// How this version of the article entered the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// `feedkeeper import`: the file name (no folders, so moving files changes nothing).
    Import { file: String },
    /// Found in an upstream feed by `check`/`run`/`watch`.
    Upstream,
    /// `feedkeeper add URL`.
    Manual,
}

/// A pointer to the raw HTTP exchange stored as WARC records in the archive's capture folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureRef {
    /// The WARC file's name, relative to the archive's capture folder.
    pub file: String,
    /// Byte offset of the response record's gzip member.
    pub offset: u64,
    /// Length in bytes of that gzip member.
    pub length: u64,
    /// `WARC-Record-ID` of the response record.
    pub record_id: String,
}

/// The article body in both forms feeds need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Content {
    /// Plain text: paragraphs separated by one blank line.
    pub text: String,
    /// Sanitized HTML (Atom `content type="html"`, RSS `content:encoded`, JSON Feed `content_html`).
    pub html: String,
}

/// One archived article: an Atom entry with provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// Atom `id`, RSS `guid isPermaLink="false"`, JSON Feed `id`. Never changes.
    pub id: ArticleId,
    /// Atom `title`, RSS `title`, JSON Feed `title`. Plain text.
    pub title: String,
    /// The standfirst. Atom `summary`, RSS `description`, JSON Feed `summary`. Plain text.
    #[serde(default)]
    pub summary: Option<String>,
    /// Atom `content`, RSS `content:encoded`, JSON Feed `content_html`/`content_text`.
    pub content: Content,
    /// Atom `author`, RSS `dc:creator`, JSON Feed `authors`.
    #[serde(default)]
    pub authors: Vec<Person>,
    /// Atom `published`, RSS `pubDate`, JSON Feed `date_published`.
    #[serde(default)]
    pub published: Option<DateTime<Utc>>,
    /// Atom `updated`, JSON Feed `date_modified`: when this version's content last changed,
    /// from the data (never the clock at publish time).
    pub updated: DateTime<Utc>,
    /// The original article's URL: Atom `link rel="alternate"`, RSS `link`, JSON Feed `url`.
    #[serde(default)]
    pub url: Option<String>,
    /// Where it came from (see [`SourceRef`]).
    #[serde(default)]
    pub source: Option<SourceRef>,
    /// Atom `category term`, RSS `category`, JSON Feed `tags`. Normalised by [`normalise_tag`].
    #[serde(default)]
    pub tags: Vec<String>,
    /// Atom `xml:lang`, RSS `language` (feed level), JSON Feed `language`.
    #[serde(default)]
    pub language: Option<String>,
    /// blake3 hex of the normalised title and text: changes iff the content changes.
    pub content_hash: String,
    /// When this version was imported or fetched (provenance).
    pub archived_at: DateTime<Utc>,
    /// How this version entered the archive.
    pub origin: Origin,
    /// The raw capture of the page this version was read from, if any.
    #[serde(default)]
    pub capture: Option<CaptureRef>,
}

impl Article {
    /// Recomputes [`Article::content_hash`] from the title and text.
    pub fn seal(&mut self) {
        self.content_hash = content_hash(&self.title, &self.content.text);
    }

    /// The date an article is sorted and shown by: published, else updated.
    pub fn date(&self) -> DateTime<Utc> {
        self.published.unwrap_or(self.updated)
    }

    /// The source name shown in listings: the source, else the first author.
    pub fn source_name(&self) -> Option<&str> {
        self.source
            .as_ref()
            .map(|s| s.name.as_str())
            .filter(|s| !s.is_empty())
            .or_else(|| self.authors.first().map(|p| p.name.as_str()))
    }
}

/// Query parameters that only track the reader and never select content.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "wickedid",
    "spm",
    "ocid",
    "cmpid",
    "ito",
    "smid",
    "sr_share",
    "share",
    "fb_action_ids",
    "fb_action_types",
    "fb_source",
    "action_object_map",
    "action_type_map",
    "action_ref_map",
];

/// The canonical form of an article URL, used as its identity and for deduplication:
/// http(s) only, host lowercased (the `url` crate does that), default port and fragment
/// removed, tracking parameters (`utm_*`, `fbclid`, `gclid`, … see `TRACKING_PARAMS`)
/// dropped, an empty query removed. Path and the remaining query keep their order and case.
/// `None` for anything that is not an absolute http(s) URL.
pub fn canonical_url(url: &str) -> Option<String> {
    let mut u = url::Url::parse(url.trim()).ok()?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none_or(str::is_empty) {
        return None;
    }
    u.set_fragment(None);
    let _ = u.set_username("");
    let _ = u.set_password(None);
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            !(k.starts_with("utm_")
                || k.starts_with("ns_")
                || k.starts_with("at_")
                || TRACKING_PARAMS.contains(&k.as_str()))
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        u.set_query(None);
    } else if u.query_pairs().count() != kept.len() {
        u.query_pairs_mut().clear().extend_pairs(kept);
    }
    Some(u.to_string())
}

/// blake3 hex of the title and text with whitespace collapsed.
pub fn content_hash(title: &str, text: &str) -> String {
    let mut h = blake3::Hasher::new();
    h.update(collapse_whitespace(title).as_bytes());
    h.update(b"\n\n");
    for word in text.split_whitespace() {
        h.update(word.as_bytes());
        h.update(b" ");
    }
    h.finalize().to_hex().to_string()
}

/// A fingerprint of the body text that survives re-syndication: the text is folded (case,
/// accents, punctuation removed) and the hash covers the words only, so the same article on
/// two sites with different markup or typography has the same fingerprint. `None` for texts
/// too short to identify an article (under 40 words).
pub fn fingerprint(text: &str) -> Option<String> {
    let folded = fold(text);
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    if words.len() < 40 {
        return None;
    }
    Some(blake3::hash(words.join(" ").as_bytes()).to_hex()[..32].to_string())
}

/// Folds text down to its letters and digits: NFKD, lowercase, and everything that is not
/// alphanumeric (spaces, punctuation, combining marks) dropped, so "Le Monde" and
/// "lemonde" compare equal. [`fold`] keeps one space between words instead.
pub fn fold_compact(text: &str) -> String {
    text.nfkd().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Folds text for comparison: NFKD, combining marks removed, lowercase, every run of
/// non-alphanumeric characters turned into one space, trimmed.
pub fn fold(text: &str) -> String {
    if text.is_ascii() { fold_ascii(text) } else { fold_unicode(text) }
}

/// [`fold`] of any text.
fn fold_unicode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfkd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else {
            space = true;
        }
    }
    out
}

/// [`fold`] of ASCII text, where NFKD changes nothing and there are no combining marks: the
/// same result without the Unicode tables (`fold` runs over every imported body).
fn fold_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(char::from(b.to_ascii_lowercase()));
        } else {
            space = true;
        }
    }
    out
}

/// Collapses every run of whitespace to one space and trims.
pub fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Normalises a tag to the form used in URLs and comparisons: folded to lowercase ASCII-ish
/// words joined by `-` (`"Human Rights"` → `human-rights`, `"Iran/1988"` → `iran-1988`).
/// Returns `None` when nothing usable is left.
pub fn normalise_tag(tag: &str) -> Option<String> {
    let folded = fold(tag);
    let slug: String = folded.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join("-");
    let slug: String = slug.chars().take(64).collect();
    let slug = slug.trim_end_matches('-').to_string();
    (!slug.is_empty()).then_some(slug)
}

/// Normalises, deduplicates and sorts a list of tags.
pub fn normalise_tags<I, S>(tags: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out: Vec<String> = tags.into_iter().filter_map(|t| normalise_tag(t.as_ref())).collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn strongest_identity_prefers_explicit_then_url_then_upstream_then_title() {
        let day = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 3, 1, 9, 0, 0).single().expect("date");
        let feed = Some(("https://feed.example/rss", " item-7 "));
        let url = Some("https://example.org/a");
        assert_eq!(Identity::strongest(Some("tag:x"), url, feed, "T", None), Identity::Explicit("tag:x".into()));
        assert_eq!(Identity::strongest(None, url, feed, "T", None), Identity::Url("https://example.org/a".into()));
        assert_eq!(
            Identity::strongest(None, None, feed, "T", None),
            Identity::Upstream { feed_url: "https://feed.example/rss".into(), upstream_id: "item-7".into() }
        );
        let blank = Some(("https://feed.example/rss", "  "));
        assert_eq!(Identity::strongest(None, None, blank, "T", Some(&day)), Identity::title_date("T", Some(&day)));
    }

    #[test]
    fn ids_are_stable_uuid_urns() {
        let id = Identity::Url("https://example.org/a".into()).id();
        // Pinned: changing the derivation would change every published id.
        assert_eq!(id.as_str(), ArticleId::derive(&Identity::Url("https://example.org/a".into())).as_str());
        assert!(id.as_str().starts_with("urn:uuid:"));
        let uuid = id.as_str().trim_start_matches("urn:uuid:");
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "8", "version 8");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"), "variant");
        assert_eq!(id.slug(), uuid);
    }

    #[test]
    fn derivation_is_pinned() {
        let id = Identity::title_date(
            "Geneva conference calls for inquiry into the massacre of Iranian political prisoners",
            Some(&chrono::TimeZone::with_ymd_and_hms(&Utc, 2018, 9, 14, 0, 0, 0).single().expect("date")),
        )
        .id();
        // Pinned: if this changes, every id ever published changes. Never update it.
        assert_eq!(id.as_str(), "urn:uuid:ecf9c989-cc60-8581-9ec6-57134d61565e");
    }

    #[test]
    fn title_identity_ignores_case_accents_and_punctuation() {
        let a = Identity::title_date("Genève: a “conference”", None);
        let b = Identity::title_date("GENEVE — A conference", None);
        assert_eq!(a, b);
        assert_eq!(a.id(), b.id());
    }

    #[test]
    fn explicit_ids_are_kept_verbatim() {
        assert_eq!(Identity::Explicit("tag:example.org,2018:1".into()).id().as_str(), "tag:example.org,2018:1");
    }

    #[test]
    fn tags_normalise() {
        assert_eq!(normalise_tag("Human Rights"), Some("human-rights".into()));
        assert_eq!(normalise_tag("  Iran/1988 "), Some("iran-1988".into()));
        assert_eq!(normalise_tag("Genève"), Some("geneve".into()));
        assert_eq!(normalise_tag("!!!"), None);
        assert_eq!(normalise_tags(["b", "A", "a"]), vec!["a".to_string(), "b".to_string()]);
    }

    #[test]
    fn fingerprint_survives_typography() {
        let words = "word ".repeat(50);
        let a = format!("“Quoted” {words} end.");
        let b = format!("\"quoted\"\n\n{words}   END");
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert!(fingerprint(&a).is_some());
        assert_eq!(fingerprint("too short"), None);
    }

    #[test]
    fn canonical_urls_drop_tracking() {
        assert_eq!(
            canonical_url("HTTPS://Example.ORG:443/News/Story?utm_source=x&id=7&fbclid=abc#comments").as_deref(),
            Some("https://example.org/News/Story?id=7")
        );
        assert_eq!(canonical_url("http://example.org/a?utm_medium=rss").as_deref(), Some("http://example.org/a"));
        assert_eq!(canonical_url("http://example.org/a?b=1&a=2").as_deref(), Some("http://example.org/a?b=1&a=2"));
        assert_eq!(canonical_url("ftp://example.org/a"), None);
        assert_eq!(canonical_url("/relative/path"), None);
    }

    proptest! {
        #[test]
        fn the_ascii_fold_equals_the_unicode_fold(text in "[ -~\t\n]{0,200}") {
            prop_assert_eq!(fold_ascii(&text), fold_unicode(&text));
        }

        #[test]
        fn tags_are_url_safe_and_idempotent(s in ".{0,40}") {
            if let Some(t) = normalise_tag(&s) {
                prop_assert!(!t.contains(['/', '\\', '?', '#', '%', ' ', '.']));
                prop_assert_eq!(normalise_tag(&t), Some(t.clone()));
            }
        }

        #[test]
        fn content_hash_ignores_whitespace(words in proptest::collection::vec("[a-z]{1,8}", 1..20)) {
            let a = words.join(" ");
            let b = words.join("\n\n  ");
            prop_assert_eq!(content_hash("t", &a), content_hash(" t ", &b));
        }
    }
}
