//! What can go wrong fetching one URL or reading one local source file.
//!
//! Every variant names the URL or path concerned, so a message is useful in a run report
//! without context. [`FetchError::is_transient`] is the one policy here: whether trying
//! again later may help, which drives the caller's back-off. No I/O happens here.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::RetryAfter;

/// A failed fetch.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL cannot be fetched as written (syntax, scheme, redirect target).
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },

    /// A guarded request would reach a loopback, private, link-local or metadata address.
    #[error("refused to fetch {url}: it resolves to {kind} address {addr} (fetch.allow_private is off)")]
    Refused { url: String, addr: IpAddr, kind: &'static str },

    /// A guarded request (a link from an upstream item) names a local file.
    #[error(
        "refused to read local file {} for a link from an upstream item (fetch.allow_private is off)",
        path.display()
    )]
    LocalFileRefused { path: PathBuf },

    /// The connect timeout or the total deadline passed.
    #[error("{url}: timed out after {after:?}")]
    Timeout { url: String, after: Duration },

    /// The body (as received, or once decoded) is larger than `max_bytes`.
    #[error("{url}: body is larger than the {limit}-byte limit (fetch.max_bytes)")]
    TooLarge { url: String, limit: u64 },

    /// More redirects than `max_redirects`.
    #[error("{url}: more than {max} redirects")]
    TooManyRedirects { url: String, max: u32 },

    /// The final response is neither 2xx nor 304.
    #[error("{url}: HTTP status {status}{}", retry_after.map(|r| format!(" (retry after {r})")).unwrap_or_default())]
    Status { url: String, status: u16, retry_after: Option<RetryAfter> },

    /// DNS resolution or the TCP/TLS connection failed.
    #[error("{url}: could not connect: {source}")]
    Connect {
        url: String,
        #[source]
        source: reqwest::Error,
    },

    /// The HTTP exchange failed after connecting.
    #[error("{url}: HTTP error: {source}")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },

    /// Reading a local source file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The body is not valid for its `Content-Encoding`, or uses one not supported.
    #[error("{url}: cannot decode {coding} body: {reason}")]
    Decode { url: String, coding: String, reason: String },

    /// The fetch configuration cannot be used (names the `[fetch]` key).
    #[error("fetch.{key}: {reason}")]
    InvalidConfig { key: &'static str, reason: String },
}

impl FetchError {
    /// Whether the same request may succeed later: timeouts, connection and transport
    /// errors, 5xx, 408 and 429. Refusals, 4xx, oversize bodies, bad URLs and decoding
    /// errors are not.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout { .. } | FetchError::Connect { .. } | FetchError::Http { .. } => true,
            FetchError::Status { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            FetchError::Io { source, .. } => {
                matches!(source.kind(), std::io::ErrorKind::Interrupted | std::io::ErrorKind::TimedOut)
            }
            _ => false,
        }
    }

    /// The `Retry-After` the server sent with a refusing status, if any.
    pub fn retry_after(&self) -> Option<RetryAfter> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}
