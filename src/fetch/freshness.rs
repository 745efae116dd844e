//! How long a response says it stays fresh, and when a refusing server says to come back.
//!
//! Pure parsing of `Cache-Control`, `Expires` and `Retry-After` header values, with no clock:
//! an HTTP-date becomes an absolute [`RetryAfter::At`], and turning that into a wait is the
//! caller's job with its own "now". The scheduler uses these to poll no more often than a
//! source allows; nothing here performs I/O.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// A `Retry-After` value: a delay in seconds, or an absolute time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: 120`
    Seconds(u64),
    /// `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`
    At(DateTime<Utc>),
}

impl RetryAfter {
    /// The earliest time to try again, for a response received at `received`.
    pub fn resume_at(&self, received: DateTime<Utc>) -> DateTime<Utc> {
        match *self {
            RetryAfter::Seconds(s) => {
                let secs = i64::try_from(s).unwrap_or(i64::MAX);
                chrono::TimeDelta::try_seconds(secs)
                    .and_then(|d| received.checked_add_signed(d))
                    .unwrap_or(DateTime::<Utc>::MAX_UTC)
            }
            RetryAfter::At(t) => t.max(received),
        }
    }
}

impl std::fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RetryAfter::Seconds(s) => write!(f, "{s}s"),
            RetryAfter::At(t) => write!(f, "{}", t.to_rfc3339()),
        }
    }
}

/// Parses a `Retry-After` header value (delta-seconds or any HTTP-date form).
pub fn parse_retry_after(value: &str) -> Option<RetryAfter> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_digit()) {
        // Saturate absurdly long delays instead of ignoring them.
        return Some(RetryAfter::Seconds(v.parse().unwrap_or(u64::MAX)));
    }
    parse_http_date(v).map(RetryAfter::At)
}

/// Parses an HTTP-date (IMF-fixdate, RFC 850 or asctime), or leniently an RFC 2822 date
/// with a numeric zone, as some servers send.
pub fn parse_http_date(value: &str) -> Option<DateTime<Utc>> {
    let v = value.trim();
    if let Ok(t) = httpdate::parse_http_date(v) {
        return Some(DateTime::<Utc>::from(t));
    }
    DateTime::parse_from_rfc2822(v).ok().map(|t| t.with_timezone(&Utc))
}

/// Formats a time as an IMF-fixdate HTTP-date (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn format_http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// The freshness lifetime a response declares.
///
/// `cache_control` is every `Cache-Control` line joined with `, `. `max-age` wins, then
/// `s-maxage`; `no-store` or `no-cache` anywhere mean `None` (always revalidate). Without
/// either directive, `Expires - Date` is used (an invalid `Expires` means already stale).
pub fn max_age(cache_control: Option<&str>, expires: Option<&str>, date: Option<&str>) -> Option<Duration> {
    let mut max_age = None;
    let mut s_maxage = None;
    for directive in cache_control.unwrap_or("").split(',') {
        let (name, value) = match directive.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
            None => (directive.trim(), None),
        };
        let name = name.to_ascii_lowercase();
        let seconds = || value.and_then(|v| v.parse::<u64>().ok());
        match name.as_str() {
            "no-store" | "no-cache" => return None,
            "max-age" if max_age.is_none() => max_age = seconds(),
            "s-maxage" if s_maxage.is_none() => s_maxage = seconds(),
            _ => {}
        }
    }
    if let Some(s) = max_age.or(s_maxage) {
        return Some(Duration::from_secs(s));
    }
    let expires = expires?;
    let Some(expires) = parse_http_date(expires) else {
        return Some(Duration::ZERO);
    };
    let date = parse_http_date(date?)?;
    Some((expires - date).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn fixture(name: &str) -> String {
        let path = format!("{}/tests/fixtures/fetch/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Lines `input => expected`, `#` comments and blank lines skipped.
    fn cases(text: &str) -> Vec<(String, String)> {
        text.lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (i, e) = l.split_once(" => ").unwrap_or_else(|| panic!("bad line {l:?}"));
                (i.to_owned(), e.trim().to_owned())
            })
            .collect()
    }

    #[test]
    fn retry_after_fixture_cases() {
        for (input, expected) in cases(&fixture("retry-after.txt")) {
            let got = match parse_retry_after(&input) {
                None => "none".to_owned(),
                Some(RetryAfter::Seconds(s)) => format!("seconds {s}"),
                Some(RetryAfter::At(t)) => format!("at {}", t.to_rfc3339()),
            };
            assert_eq!(got, expected, "Retry-After {input:?}");
        }
    }

    #[test]
    fn cache_control_fixture_cases() {
        // Each line: cache-control | expires | date => seconds or none
        for (input, expected) in cases(&fixture("cache-control.txt")) {
            let parts: Vec<&str> = input.split(" | ").collect();
            let opt = |i: usize| parts.get(i).map(|s| s.trim()).filter(|s| *s != "-");
            let got =
                max_age(opt(0), opt(1), opt(2)).map(|d| d.as_secs().to_string()).unwrap_or_else(|| "none".to_owned());
            assert_eq!(got, expected, "{input:?}");
        }
    }

    #[test]
    fn resume_at_uses_received_time() {
        let now = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).single().expect("date");
        assert_eq!(
            RetryAfter::Seconds(90).resume_at(now),
            Utc.with_ymd_and_hms(2024, 5, 1, 12, 1, 30).single().expect("date")
        );
        let past = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).single().expect("date");
        assert_eq!(RetryAfter::At(past).resume_at(now), now);
        assert_eq!(RetryAfter::Seconds(u64::MAX).resume_at(now), DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn http_date_round_trip() {
        let t = Utc.with_ymd_and_hms(1994, 11, 6, 8, 49, 37).single().expect("date");
        let s = format_http_date(t);
        assert_eq!(s, "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(parse_http_date(&s), Some(t));
    }

    proptest::proptest! {
        #[test]
        fn retry_after_never_panics(s in "\\PC{0,40}") {
            let _ = parse_retry_after(&s);
        }

        #[test]
        fn http_date_round_trips(secs in 0i64..4_000_000_000) {
            let t = DateTime::<Utc>::from_timestamp(secs, 0).expect("in range");
            proptest::prop_assert_eq!(parse_http_date(&format_http_date(t)), Some(t));
        }

        #[test]
        fn max_age_seconds_round_trip(n in 0u64..10_000_000, junk in "[a-z]{0,12}") {
            let cc = format!("{junk}, max-age={n}, public");
            proptest::prop_assert_eq!(max_age(Some(&cc), None, None), Some(Duration::from_secs(n)));
        }
    }
}
