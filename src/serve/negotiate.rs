//! HTTP policy for the feeds server, as pure functions: the media type of a file name,
//! whether the client takes gzip, conditional-request evaluation (RFC 9110 §13), byte
//! ranges (RFC 9110 §14) and the `Cache-Control` rule for RFC 5005 archive documents.
//!
//! No I/O and no clock: the caller passes in header values, file times and the one fact
//! that needs the file system (whether the next archive page exists).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Media type and whether the bytes are worth gzipping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaType {
    /// The `Content-Type` value.
    pub mime: &'static str,
    /// Text-like: sent gzipped when the client accepts it, always with `Vary: Accept-Encoding`.
    pub compressible: bool,
}

const fn text(mime: &'static str) -> MediaType {
    MediaType { mime, compressible: true }
}

const fn binary(mime: &'static str) -> MediaType {
    MediaType { mime, compressible: false }
}

/// Whether a file name is one a site publishes: feeds, pages and their assets, by
/// extension. Everything else in the folder (a config, a database, WAL and lock files,
/// a publisher's temp file, captures) is never served, even if a folder overlaps.
pub fn is_published(file_name: &str) -> bool {
    let name = file_name.to_ascii_lowercase();
    if name.starts_with('.') {
        return false;
    }
    let ext = name.rsplit_once('.').map_or("", |(_, ext)| ext);
    matches!(
        ext,
        "html"
            | "htm"
            | "xml"
            | "atom"
            | "rss"
            | "json"
            | "jsonfeed"
            | "xsl"
            | "xslt"
            | "opml"
            | "css"
            | "js"
            | "mjs"
            | "txt"
            | "svg"
            | "png"
            | "jpg"
            | "jpeg"
            | "gif"
            | "webp"
            | "avif"
            | "ico"
            | "webmanifest"
    )
}

/// The media type of a file, from its name. Feed documents are recognised by the names the
/// publisher writes (`atom.xml`, `rss.xml`, `feed.json`) and by the `.atom`/`.rss` extensions.
pub fn media_type(file_name: &str) -> MediaType {
    let name = file_name.to_ascii_lowercase();
    match name.as_str() {
        "atom.xml" => return text("application/atom+xml"),
        "rss.xml" => return text("application/rss+xml"),
        "feed.json" => return text("application/feed+json"),
        _ => {}
    }
    if name.ends_with(".warc.gz") || name.ends_with(".gz") || name.ends_with(".tgz") {
        return binary("application/gzip");
    }
    let ext = name.rsplit_once('.').map_or("", |(_, ext)| ext);
    match ext {
        "html" | "htm" => text("text/html; charset=utf-8"),
        "atom" => text("application/atom+xml"),
        "rss" => text("application/rss+xml"),
        "xml" => text("application/xml"),
        "xsl" | "xslt" => text("text/xsl"),
        "opml" => text("text/x-opml"),
        "json" => text("application/json"),
        "jsonfeed" => text("application/feed+json"),
        "webmanifest" => text("application/manifest+json"),
        "css" => text("text/css; charset=utf-8"),
        "js" | "mjs" => text("text/javascript; charset=utf-8"),
        "txt" => text("text/plain; charset=utf-8"),
        "md" => text("text/markdown; charset=utf-8"),
        "csv" => text("text/csv; charset=utf-8"),
        "svg" => text("image/svg+xml"),
        "warc" => text("application/warc"),
        "png" => binary("image/png"),
        "jpg" | "jpeg" => binary("image/jpeg"),
        "gif" => binary("image/gif"),
        "webp" => binary("image/webp"),
        "avif" => binary("image/avif"),
        "ico" => binary("image/x-icon"),
        "woff" => binary("font/woff"),
        "woff2" => binary("font/woff2"),
        "pdf" => binary("application/pdf"),
        "zst" => binary("application/zstd"),
        _ => binary("application/octet-stream"),
    }
}

/// Whether an `Accept-Encoding` value (all its lines joined with `,`) lets us send gzip.
/// `gzip`/`x-gzip` with q > 0 does; an explicit `gzip;q=0` refuses even when `*` is there;
/// otherwise `*` with q > 0 does.
pub fn accepts_gzip(accept_encoding: &str) -> bool {
    let mut star = None;
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        if coding.is_empty() {
            continue;
        }
        let acceptable = parts
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim().eq_ignore_ascii_case("q").then(|| v.trim())
            })
            .next()
            .is_none_or(q_positive);
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            return acceptable;
        }
        if coding == "*" {
            star = Some(acceptable);
        }
    }
    star.unwrap_or(false)
}

/// A qvalue (RFC 9110 §12.4.2) above zero; a malformed one counts as refusal.
fn q_positive(q: &str) -> bool {
    match q.parse::<f32>() {
        Ok(v) => v > 0.0 && v <= 1.0,
        Err(_) => false,
    }
}

/// One entity-tag from an `If-None-Match`/`If-Match` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EntityTag<'a> {
    weak: bool,
    /// The opaque tag including its quotes.
    opaque: &'a str,
}

/// Parses an entity-tag list. `None` for `*`. Stops at the first malformed member.
fn entity_tags(list: &str) -> Option<Vec<EntityTag<'_>>> {
    if list.trim() == "*" {
        return None;
    }
    let mut tags = Vec::new();
    let mut rest = list;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            break;
        }
        let weak = rest.starts_with("W/");
        if weak {
            rest = &rest[2..];
        }
        if !rest.starts_with('"') {
            break;
        }
        let Some(end) = rest[1..].find('"') else {
            break;
        };
        tags.push(EntityTag { weak, opaque: &rest[..end + 2] });
        rest = &rest[end + 2..];
    }
    Some(tags)
}

/// Weak comparison (RFC 9110 §8.8.3.2) of our strong `etag` (quoted) against a list; `*` matches.
pub fn none_match_hits(if_none_match: &str, etag: &str) -> bool {
    match entity_tags(if_none_match) {
        None => true,
        Some(tags) => tags.iter().any(|t| t.opaque == etag),
    }
}

/// Strong comparison for `If-Match`; `*` matches any existing file.
fn match_hits(if_match: &str, etag: &str) -> bool {
    match entity_tags(if_match) {
        None => true,
        Some(tags) => tags.iter().any(|t| !t.weak && t.opaque == etag),
    }
}

/// The conditional headers of a GET or HEAD request (several lines joined with `,`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Conditions<'a> {
    pub if_match: Option<&'a str>,
    pub if_unmodified_since: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<&'a str>,
}

/// What the preconditions say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// Send the representation.
    Proceed,
    /// 304: the client's copy is current.
    NotModified,
    /// 412: `If-Match`/`If-Unmodified-Since` failed.
    Failed,
}

/// Evaluates preconditions in RFC 9110 §13.2.2 order for a GET/HEAD of a file with this
/// `etag` (quoted, strong) and modification time. `If-None-Match` wins over
/// `If-Modified-Since`; an invalid date, or an `If-Modified-Since` later than `now` (the
/// client's clock or a forged header), is ignored; times compare at whole seconds.
pub fn evaluate(c: &Conditions<'_>, etag: &str, modified: SystemTime, now: SystemTime) -> Precondition {
    let modified = whole_seconds(modified);
    if let Some(v) = c.if_match {
        if !match_hits(v, etag) {
            return Precondition::Failed;
        }
    } else if let Some(since) = c.if_unmodified_since.and_then(http_date)
        && modified > since
    {
        return Precondition::Failed;
    }
    if let Some(v) = c.if_none_match {
        if none_match_hits(v, etag) {
            return Precondition::NotModified;
        }
    } else if let Some(since) = c.if_modified_since.and_then(http_date)
        && modified <= since
        && since <= now
    {
        return Precondition::NotModified;
    }
    Precondition::Proceed
}

fn http_date(v: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(v.trim()).ok()
}

/// Truncates to whole seconds since the epoch (HTTP dates have no fractions); times
/// before 1970 become the epoch.
pub fn whole_seconds(t: SystemTime) -> SystemTime {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// What a `Range` request asks of a file of a given length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAsk {
    /// No usable range (absent, not `bytes`, several ranges, malformed, or an `If-Range`
    /// that no longer matches): send the whole file with 200.
    Whole,
    /// 206: bytes `start..=end` of the file.
    Part { start: u64, end: u64 },
    /// 416: the one range asked lies wholly past the end of the file.
    Unsatisfiable,
}

/// Reads a `Range` header for a file of `len` bytes. Only a single byte range is served
/// (`bytes=a-b`, `bytes=a-`, `bytes=-n`); a multi-range request gets the whole file, which
/// RFC 9110 §14.2 allows. `if_range` is the request's `If-Range`: the range is honoured only
/// when it equals the file's (strong) `etag` or is an HTTP date not older than `modified`.
pub fn range(header: Option<&str>, if_range: Option<&str>, etag: &str, modified: SystemTime, len: u64) -> RangeAsk {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else { return RangeAsk::Whole };
    if let Some(v) = if_range.map(str::trim) {
        let current =
            if v.starts_with('"') { v == etag } else { http_date(v).is_some_and(|d| d >= whole_seconds(modified)) };
        if !current {
            return RangeAsk::Whole;
        }
    }
    if spec.contains(',') {
        return RangeAsk::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return RangeAsk::Whole };
    let number =
        |s: &str| (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<u64>().ok()).flatten();
    match (first.trim(), last.trim()) {
        ("", suffix) => match number(suffix) {
            Some(0) => RangeAsk::Unsatisfiable,
            Some(_) if len == 0 => RangeAsk::Unsatisfiable,
            Some(n) => RangeAsk::Part { start: len.saturating_sub(n), end: len - 1 },
            None => RangeAsk::Whole,
        },
        (start, end) => {
            let Some(start) = number(start) else { return RangeAsk::Whole };
            let end = if end.is_empty() {
                u64::MAX
            } else {
                match number(end) {
                    Some(e) if e >= start => e,
                    _ => return RangeAsk::Whole,
                }
            };
            if start >= len { RangeAsk::Unsatisfiable } else { RangeAsk::Part { start, end: end.min(len - 1) } }
        }
    }
}

/// How long caches may keep a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachePolicy {
    /// A full RFC 5005 archive document: it never changes again.
    Immutable,
    /// Subscription documents, pages and everything else.
    Short,
}

impl CachePolicy {
    /// The `Cache-Control` value.
    pub fn header(self) -> &'static str {
        match self {
            CachePolicy::Immutable => "public, max-age=31536000, immutable",
            CachePolicy::Short => "public, max-age=300",
        }
    }
}

/// If `segments` (root-relative) name a file inside archive page `n` (`archive/<n>/…`, with
/// `n` written as the publisher writes it: decimal, no leading zero, at least 1), returns `n`.
pub fn archive_page(segments: &[&str]) -> Option<u64> {
    match segments {
        ["archive", n, _, ..] => {
            let canonical = !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0');
            if canonical { n.parse().ok() } else { None }
        }
        _ => None,
    }
}

/// The caching rule: a document in archive page `n` is immutable once page `n + 1` exists
/// (`next_exists(n + 1)`); the newest archive page may still grow.
pub fn cache_policy(segments: &[&str], next_exists: impl FnOnce(u64) -> bool) -> CachePolicy {
    match archive_page(segments).and_then(|n| n.checked_add(1)) {
        Some(next) if next_exists(next) => CachePolicy::Immutable,
        _ => CachePolicy::Short,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn single_byte_ranges() {
        let t = at(1_000_000);
        let r = |h: &str| range(Some(h), None, "\"e\"", t, 1000);
        assert_eq!(range(None, None, "\"e\"", t, 1000), RangeAsk::Whole);
        assert_eq!(r("bytes=0-99"), RangeAsk::Part { start: 0, end: 99 });
        assert_eq!(r("bytes=900-"), RangeAsk::Part { start: 900, end: 999 });
        assert_eq!(r("bytes=900-5000"), RangeAsk::Part { start: 900, end: 999 });
        assert_eq!(r("bytes=-100"), RangeAsk::Part { start: 900, end: 999 });
        assert_eq!(r("bytes=-5000"), RangeAsk::Part { start: 0, end: 999 });
        assert_eq!(r("bytes=1000-"), RangeAsk::Unsatisfiable);
        assert_eq!(r("bytes=-0"), RangeAsk::Unsatisfiable);
        for whole in ["bytes=5-2", "bytes=a-b", "bytes=0-1,5-6", "items=0-1", "bytes=-", "bytes=1"] {
            assert_eq!(r(whole), RangeAsk::Whole, "{whole}");
        }
        assert_eq!(range(Some("bytes=0-"), None, "\"e\"", t, 0), RangeAsk::Unsatisfiable);
    }

    #[test]
    fn if_range_honours_the_range_only_for_the_same_version() {
        let t = at(1_000_000);
        let ask = |v: &str| range(Some("bytes=0-9"), Some(v), "\"e\"", t, 100);
        assert_eq!(ask("\"e\""), RangeAsk::Part { start: 0, end: 9 });
        assert_eq!(ask("\"other\""), RangeAsk::Whole);
        assert_eq!(ask(&httpdate::fmt_http_date(at(1_000_000))), RangeAsk::Part { start: 0, end: 9 });
        assert_eq!(ask(&httpdate::fmt_http_date(at(999_000))), RangeAsk::Whole);
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn media_types() {
        for (name, mime, compressible) in [
            ("atom.xml", "application/atom+xml", true),
            ("rss.xml", "application/rss+xml", true),
            ("feed.json", "application/feed+json", true),
            ("index.html", "text/html; charset=utf-8", true),
            ("some-slug.HTML", "text/html; charset=utf-8", true),
            ("style.css", "text/css; charset=utf-8", true),
            ("logo.png", "image/png", false),
            ("logo.svg", "image/svg+xml", true),
            ("robots.txt", "text/plain; charset=utf-8", true),
            ("capture.warc.gz", "application/gzip", false),
            ("sitemap.xml", "application/xml", true),
            ("data.json", "application/json", true),
            ("noextension", "application/octet-stream", false),
        ] {
            assert_eq!(media_type(name), MediaType { mime, compressible }, "{name}");
        }
    }

    #[test]
    fn gzip_acceptance() {
        for (v, want) in [
            ("gzip", true),
            ("gzip, deflate, br", true),
            ("br;q=1.0, gzip;q=0.8, *;q=0.1", true),
            ("GZIP", true),
            ("x-gzip", true),
            ("gzip;q=0", false),
            ("gzip; q=0.000", false),
            ("gzip;q=0, *", false),
            ("*", true),
            ("*;q=0", false),
            ("br, deflate", false),
            ("identity", false),
            ("", false),
            ("gzip;q=bogus", false),
        ] {
            assert_eq!(accepts_gzip(v), want, "{v:?}");
        }
    }

    const TAG: &str = "\"abc\"";

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn date(secs: u64) -> String {
        httpdate::fmt_http_date(at(secs))
    }

    #[test]
    fn if_none_match_weak_comparison_and_lists() {
        for (v, hit) in [
            ("\"abc\"", true),
            ("W/\"abc\"", true),
            ("\"x\", \"abc\"", true),
            ("\"x\",W/\"abc\"", true),
            ("*", true),
            ("\"abcd\"", false),
            ("abc", false),
            ("\"x\"", false),
            ("\"a,b\", \"abc\"", true),
            ("", false),
        ] {
            assert_eq!(none_match_hits(v, TAG), hit, "{v:?}");
        }
    }

    #[test]
    fn precondition_order() {
        let mtime = at(1_000_000) + Duration::from_millis(700);
        let now = mtime + Duration::from_secs(60);
        let eval = |c: Conditions<'_>| evaluate(&c, TAG, mtime, now);
        let future = date(1_000_000 + 3600);
        assert_eq!(
            eval(Conditions { if_modified_since: Some(&future), ..Default::default() }),
            Precondition::Proceed,
            "a date in the future is not a valid If-Modified-Since"
        );
        let same = date(1_000_000);
        let older = date(999_999);
        assert_eq!(eval(Conditions::default()), Precondition::Proceed);
        assert_eq!(
            eval(Conditions { if_modified_since: Some(&same), ..Default::default() }),
            Precondition::NotModified
        );
        assert_eq!(eval(Conditions { if_modified_since: Some(&older), ..Default::default() }), Precondition::Proceed);
        assert_eq!(
            eval(Conditions { if_modified_since: Some("yesterday"), ..Default::default() }),
            Precondition::Proceed
        );
        // If-None-Match wins over If-Modified-Since, both ways.
        assert_eq!(
            eval(Conditions { if_none_match: Some("\"old\""), if_modified_since: Some(&same), ..Default::default() }),
            Precondition::Proceed
        );
        assert_eq!(
            eval(Conditions { if_none_match: Some(TAG), if_modified_since: Some(&older), ..Default::default() }),
            Precondition::NotModified
        );
        assert_eq!(eval(Conditions { if_match: Some("\"old\""), ..Default::default() }), Precondition::Failed);
        assert_eq!(eval(Conditions { if_match: Some("W/\"abc\""), ..Default::default() }), Precondition::Failed);
        assert_eq!(eval(Conditions { if_match: Some(TAG), ..Default::default() }), Precondition::Proceed);
        assert_eq!(eval(Conditions { if_unmodified_since: Some(&older), ..Default::default() }), Precondition::Failed);
    }

    #[test]
    fn archive_cache_rule() {
        let next_is = |want: u64| move |n: u64| n == want;
        assert_eq!(cache_policy(&["archive", "1", "atom.xml"], next_is(2)), CachePolicy::Immutable);
        assert_eq!(cache_policy(&["archive", "2", "atom.xml"], next_is(2)), CachePolicy::Short);
        assert_eq!(cache_policy(&["archive", "01", "atom.xml"], |_| true), CachePolicy::Short);
        assert_eq!(cache_policy(&["archive", "0", "atom.xml"], |_| true), CachePolicy::Short);
        assert_eq!(cache_policy(&["archive", "1"], |_| true), CachePolicy::Short);
        assert_eq!(cache_policy(&["atom.xml"], |_| true), CachePolicy::Short);
        assert_eq!(cache_policy(&["tags", "x", "atom.xml"], |_| true), CachePolicy::Short);
        assert_eq!(cache_policy(&["archive", "18446744073709551615", "atom.xml"], |_| true), CachePolicy::Short);
    }

    proptest! {
        /// If-None-Match with our own tag, in any position of any list, weak or not, is a 304.
        #[test]
        fn own_tag_anywhere_in_list_hits(others in prop::collection::vec("[a-z0-9]{0,8}", 0..4),
                                        pos in 0usize..4, weak in any::<bool>()) {
            let mut items: Vec<String> = others.iter().map(|o| format!("\"{o}-x\"")).collect();
            let own = if weak { format!("W/{TAG}") } else { TAG.to_string() };
            items.insert(pos.min(items.len()), own);
            prop_assert!(none_match_hits(&items.join(", "), TAG));
            items.retain(|i| !i.ends_with(TAG));
            prop_assert!(!none_match_hits(&items.join(", "), TAG));
        }

        /// If-Modified-Since: 304 exactly when the file is not newer than the date.
        #[test]
        fn modified_since_matches_seconds(file in 0u64..4_000_000_000, ims in 0u64..4_000_000_000,
                                          nanos in 0u32..1_000_000_000) {
            let d = date(ims);
            let c = Conditions { if_modified_since: Some(&d), ..Default::default() };
            let got = evaluate(&c, TAG, at(file) + Duration::from_nanos(nanos.into()), at(4_000_000_001));
            prop_assert_eq!(got == Precondition::NotModified, file <= ims);
        }
    }

    #[test]
    fn only_published_files() {
        for ok in ["atom.xml", "index.html", "feed.json", "style.css", "logo.PNG", "robots.txt"] {
            assert!(is_published(ok), "{ok}");
        }
        for no in [
            "feedkeeper.toml",
            "archive.sqlite3",
            "archive.sqlite3-wal",
            "lock",
            ".fk-publishing",
            "atom.xml.tmp4711",
            "2026-01-01.warc.gz",
            ".hidden.html",
        ] {
            assert!(!is_published(no), "{no}");
        }
    }
}
