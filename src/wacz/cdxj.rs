//! CDXJ index lines, as pywb and ReplayWeb.page read them from `indexes/index.cdxj`:
//! `<SURT key> <14-digit timestamp> <JSON: url, mime, status, digest, length, offset,
//! filename>`. The SURT key is the URL with its host reversed (`org,example)/path`), lower
//! case, `www.` dropped and query parameters sorted, so that readers that canonicalise a
//! requested URL the same way find it by binary search. Pure functions; no I/O.

use serde::Serialize;
use url::Url;

/// What one index line says about a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CdxRecord {
    pub url: String,
    pub mime: String,
    pub status: String,
    pub digest: String,
    /// The record's gzip member: its length and offset in `filename`.
    pub length: String,
    pub offset: String,
    pub filename: String,
}

/// The index line of `record` captured at `warc_date` (a WARC-Date).
pub fn line(record: &CdxRecord, warc_date: &str) -> String {
    let json = serde_json::to_string(record).unwrap_or_default();
    format!("{} {} {json}", surt(&record.url), timestamp(warc_date))
}

/// The 14-digit timestamp (`YYYYMMDDhhmmss`) of a WARC-Date such as `2026-12-06T03:04:05Z`.
pub fn timestamp(warc_date: &str) -> String {
    let mut digits: String = warc_date.chars().take(19).filter(char::is_ascii_digit).collect();
    digits.truncate(14);
    while digits.len() < 14 {
        digits.push('0');
    }
    digits
}

/// The SURT form of `url` (see the module documentation); other schemes than http(s) keep
/// their URL, lower-cased.
pub fn surt(url: &str) -> String {
    let Some(u) = Url::parse(url.trim()).ok().filter(|u| matches!(u.scheme(), "http" | "https")) else {
        return url.trim().to_lowercase();
    };
    let host = u.host_str().unwrap_or_default().to_lowercase();
    let host = strip_www(&host);
    let mut key: String = host.split('.').rev().collect::<Vec<_>>().join(",");
    if let Some(port) = u.port() {
        key.push_str(&format!(":{port}"));
    }
    key.push(')');
    key.push_str(&u.path().to_lowercase());
    if u.query().is_some() {
        let mut pairs: Vec<String> = u.query().unwrap_or_default().split('&').map(str::to_lowercase).collect();
        pairs.sort();
        key.push('?');
        key.push_str(&pairs.join("&"));
    }
    key
}

/// `www.`, `www2.` and the like are dropped from a host that has more after them.
fn strip_www(host: &str) -> &str {
    if let Some((first, rest)) = host.split_once('.')
        && first.starts_with("www")
        && first[3..].chars().all(|c| c.is_ascii_digit())
        && rest.contains('.')
    {
        return rest;
    }
    host
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surt_keys_reverse_the_host_and_sort_the_query() {
        assert_eq!(surt("https://www.Example.org/News/A.html"), "org,example)/news/a.html");
        assert_eq!(surt("http://news.example.org:8080/a?b=2&a=1"), "org,example,news:8080)/a?a=1&b=2");
        assert_eq!(surt("http://127.0.0.1:8080/x"), "1,0,0,127:8080)/x");
        assert_eq!(surt("https://www2.example.org/"), "org,example)/");
        assert_eq!(surt("https://www.org/"), "org,www)/");
        assert_eq!(surt("file:///Srv/Page.html"), "file:///srv/page.html");
    }

    #[test]
    fn timestamps_have_fourteen_digits() {
        assert_eq!(timestamp("2026-12-06T03:04:05Z"), "20261206030405");
        assert_eq!(timestamp("2026-12-06T03:04:05.123456Z"), "20261206030405");
        assert_eq!(timestamp("2026-12-06"), "20261206000000");
    }

    #[test]
    fn a_line_is_key_timestamp_and_json() {
        let r = CdxRecord {
            url: "https://example.org/a".into(),
            mime: "text/html".into(),
            status: "200".into(),
            digest: "sha1:ABC".into(),
            length: "120".into(),
            offset: "0".into(),
            filename: "data.warc.gz".into(),
        };
        assert_eq!(
            line(&r, "2026-12-06T03:04:05Z"),
            "org,example)/a 20261206030405 {\"url\":\"https://example.org/a\",\"mime\":\"text/html\",\"status\":\"200\",\"digest\":\"sha1:ABC\",\"length\":\"120\",\"offset\":\"0\",\"filename\":\"data.warc.gz\"}"
        );
    }
}
