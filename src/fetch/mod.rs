//! The one HTTP and file client, for upstream feeds and article pages alike.
//!
//! [`Fetcher::get`] applies every limit a fetch must honour: a total deadline and a connect
//! timeout, a byte cap on the wire and after decoding, a per-host concurrency limit,
//! manual redirects with a hop limit, conditional GET, and — for links found in upstream
//! items — an address guard checked after DNS resolution on every hop. reqwest's own
//! decompression is off: this module asks for `gzip, br`, decodes the body itself and keeps
//! the raw wire bytes and reconstructed heads in an [`Exchange`] for WARC capture. Local
//! files (offline sources) get the same cap and mtime-based "not modified". It must not
//! parse what it fetches or store anything: that is `upstream`, `extract` and `archive`.

mod decode;
mod error;
mod freshness;
mod guard;
mod local;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

pub use error::FetchError;
pub use freshness::{RetryAfter, format_http_date, max_age, parse_http_date, parse_retry_after};
pub use guard::{UntrustedUrl, forbidden as forbidden_address, untrusted_source};

use decode::{DecodeError, Decoder};

/// The `Accept-Encoding` this client sends; [`decode`] handles these and `deflate`.
const ACCEPT_ENCODING: &str = "gzip, br";
/// One `Accept` for feeds and pages: feed formats and HTML first, anything else after.
const ACCEPT: &str = "application/atom+xml, application/rss+xml, application/feed+json, \
     application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.9, application/xhtml+xml;q=0.9, \
     application/json;q=0.8, */*;q=0.5";
/// Above this many idle per-host semaphores the map is pruned.
const MAX_IDLE_HOSTS: usize = 4096;

/// Limits and identity for every fetch (the `[fetch]` config section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchConfig {
    /// Total deadline for one [`Fetcher::get`]: every hop, headers and body.
    pub timeout: Duration,
    /// Deadline for establishing one TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Cap on the body, both as received and once decoded.
    pub max_bytes: u64,
    /// The `User-Agent` header, formatted by the caller.
    pub user_agent: String,
    /// Let guarded requests reach loopback/private/link-local addresses and local files.
    pub allow_private: bool,
    /// Redirects followed before [`FetchError::TooManyRedirects`].
    pub max_redirects: u32,
    /// Concurrent requests per host name (at least 1).
    pub per_host: usize,
    /// Concurrent requests in all (0: no limit beyond `per_host`). A request takes its
    /// host's slot first, so requests queued for one busy host never hold slots that
    /// requests for other hosts could use.
    pub max_concurrent: usize,
}

impl FetchConfig {
    /// The time budget for the CPU work on one fetched document (parsing a feed,
    /// extracting a page): the fetch timeout, so a document costs at most about as long to
    /// read as it may take to fetch (see [`crate::deadline`]).
    pub fn work_budget(&self) -> Duration {
        self.timeout
    }
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(10),
            max_bytes: 15_000_000,
            user_agent: concat!("feedkeeper/", env!("CARGO_PKG_VERSION")).to_owned(),
            allow_private: false,
            max_redirects: 10,
            per_host: 2,
            max_concurrent: 0,
        }
    }
}

/// One fetch: what to get and the validators from the previous fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchRequest {
    /// An `http(s)://` URL, a `file://` URL, or a local file path.
    pub url: String,
    /// Sent as `If-None-Match`.
    pub etag: Option<String>,
    /// Sent as `If-Modified-Since` (and compared with a local file's mtime).
    pub last_modified: Option<String>,
    /// `true` for links found in upstream items: apply the address guard.
    pub guard: bool,
}

impl FetchRequest {
    /// An unguarded request (configured sources, URLs the user typed).
    pub fn new(url: impl Into<String>) -> Self {
        FetchRequest { url: url.into(), ..FetchRequest::default() }
    }

    /// A guarded request (a link that came from an upstream item).
    pub fn guarded(url: impl Into<String>) -> Self {
        FetchRequest { url: url.into(), guard: true, ..FetchRequest::default() }
    }

    /// The same request made conditional on the previous response's validators.
    pub fn with_validators(mut self, etag: Option<String>, last_modified: Option<String>) -> Self {
        self.etag = etag;
        self.last_modified = last_modified;
        self
    }
}

/// The raw exchange of the final hop, as WARC needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exchange {
    /// Request line and headers sent, as HTTP/1.1 text ending in an empty line.
    pub request_head: Vec<u8>,
    /// Status line and headers received (names lowercased as reqwest reports them,
    /// canonical reason phrase), ending in an empty line.
    pub response_head: Vec<u8>,
    /// The body as received: transfer-decoded, still content-encoded.
    pub wire_body: Vec<u8>,
    /// The address connected to, when known.
    pub remote_ip: Option<IpAddr>,
}

/// A successful fetch (2xx) or a "not modified" (304).
#[derive(Debug, Clone)]
pub struct FetchResponse {
    /// The URL (or path) requested.
    pub url: String,
    /// The URL after redirects (`file://` URL for an absolute local path).
    pub final_url: String,
    /// 2xx or 304 (local files: 200 or 304).
    pub status: u16,
    /// The validators still hold: nothing new to read.
    pub not_modified: bool,
    /// Final response headers, lowercased names, in order received.
    pub headers: Vec<(String, String)>,
    pub content_type: Option<String>,
    /// The body, content-decoded (empty when not modified).
    pub body: Vec<u8>,
    /// The response's `ETag`; on 304 without one, the request's.
    pub etag: Option<String>,
    /// The response's `Last-Modified` (local files: the mtime); on 304 without one, the
    /// request's.
    pub last_modified: Option<String>,
    /// Freshness from `Cache-Control: max-age`/`s-maxage` (or `Expires - Date`);
    /// `None` with `no-store`/`no-cache` or when absent.
    pub max_age: Option<Duration>,
    pub retry_after: Option<RetryAfter>,
    /// When the final response's headers arrived.
    pub fetched_at: DateTime<Utc>,
    /// Raw heads and wire body of the final hop (HTTP only).
    pub exchange: Option<Exchange>,
}

impl FetchResponse {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The client. Cheap to clone; share one across tasks.
#[derive(Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

struct Inner {
    config: FetchConfig,
    user_agent: HeaderValue,
    /// Connects anywhere (configured sources).
    open: reqwest::Client,
    /// Resolves through [`guard::GuardedResolver`] (links from upstream items).
    guarded: reqwest::Client,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// `max_concurrent`, when set.
    all: Option<Arc<Semaphore>>,
    policy: guard::Policy,
}

/// The slots one request holds while it runs: its host's, then (when limited) one of all.
struct Slot {
    _host: OwnedSemaphorePermit,
    _all: Option<OwnedSemaphorePermit>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

/// What a request string names.
enum Target {
    Http(Url),
    File(PathBuf),
}

fn parse_target(raw: &str) -> Result<Target, FetchError> {
    let invalid = |reason: &str| FetchError::InvalidUrl { url: raw.to_owned(), reason: reason.to_owned() };
    let s = raw.trim();
    if s.is_empty() {
        return Err(invalid("empty"));
    }
    match Url::parse(s) {
        Ok(u) => match u.scheme() {
            "http" | "https" => {
                if u.host_str().is_none_or(str::is_empty) {
                    return Err(invalid("no host"));
                }
                Ok(Target::Http(u))
            }
            "file" => u.to_file_path().map(Target::File).map_err(|()| invalid("not a local file path")),
            // A Windows drive letter parses as a one-letter scheme.
            scheme if scheme.len() == 1 => Ok(Target::File(PathBuf::from(s))),
            scheme => Err(invalid(&format!("unsupported scheme {scheme:?}"))),
        },
        Err(url::ParseError::RelativeUrlWithoutBase) => Ok(Target::File(PathBuf::from(s))),
        Err(e) if s.contains("://") => Err(invalid(&e.to_string())),
        Err(_) => Ok(Target::File(PathBuf::from(s))),
    }
}

impl Fetcher {
    /// Builds the client; fails only on an unusable config (e.g. a `User-Agent` with
    /// control characters) or TLS setup.
    pub fn new(config: FetchConfig) -> Result<Fetcher, FetchError> {
        Fetcher::with_policy(config, guard::forbidden)
    }

    /// [`Fetcher::new`] with another address policy (tests only).
    pub(crate) fn with_policy(config: FetchConfig, policy: guard::Policy) -> Result<Fetcher, FetchError> {
        let user_agent = HeaderValue::from_str(&config.user_agent)
            .map_err(|e| FetchError::InvalidConfig { key: "user_agent", reason: e.to_string() })?;
        let base = || {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                // Off even if another crate turns reqwest's decompression features on:
                // the wire bytes must reach us untouched.
                .no_gzip()
                .no_brotli()
                .no_deflate()
                .no_zstd()
                // A proxy would resolve names for us and bypass the address guard.
                .no_proxy()
                .connect_timeout(config.connect_timeout)
                .pool_idle_timeout(Duration::from_secs(30))
                .tcp_nodelay(true)
        };
        let build_err = |e: reqwest::Error| FetchError::InvalidConfig {
            key: "fetch",
            reason: format!("cannot build the HTTP client: {e}"),
        };
        let open = base().build().map_err(build_err)?;
        let guarded = if config.allow_private {
            open.clone()
        } else {
            base().dns_resolver(Arc::new(guard::GuardedResolver { policy })).build().map_err(build_err)?
        };
        Ok(Fetcher {
            inner: Arc::new(Inner {
                all: (config.max_concurrent > 0).then(|| Arc::new(Semaphore::new(config.max_concurrent))),
                config,
                user_agent,
                open,
                guarded,
                hosts: Mutex::new(HashMap::new()),
                policy,
            }),
        })
    }

    /// The configuration this fetcher was built with.
    pub fn config(&self) -> &FetchConfig {
        &self.inner.config
    }

    /// Fetches one URL or local file. 2xx and 304 are `Ok`; see [`FetchError`] for the rest.
    pub async fn get(&self, req: &FetchRequest) -> Result<FetchResponse, FetchError> {
        let cfg = &self.inner.config;
        match parse_target(&req.url)? {
            Target::File(path) => {
                if req.guard && !cfg.allow_private {
                    return Err(FetchError::LocalFileRefused { path });
                }
                local::read(&path, req, cfg).await
            }
            Target::Http(url) => {
                let guard = req.guard && !cfg.allow_private;
                if guard {
                    check_literal(&url, self.inner.policy)?;
                }
                let permit = self.permit(&url).await;
                let deadline = tokio::time::Instant::now() + cfg.timeout;
                match tokio::time::timeout_at(deadline, self.follow(req, url, permit, guard)).await {
                    Ok(result) => result,
                    Err(_elapsed) => Err(FetchError::Timeout { url: req.url.clone(), after: cfg.timeout }),
                }
            }
        }
    }

    /// POSTs an `application/x-www-form-urlencoded` body to a configured, trusted URL (a
    /// WebSub hub) within the total deadline, and returns the status. No redirects are
    /// followed and the response body is discarded; a status outside 2xx is
    /// [`FetchError::Status`].
    pub async fn post_form(&self, url: &str, fields: &[(&str, &str)]) -> Result<u16, FetchError> {
        let target =
            Url::parse(url).map_err(|e| FetchError::InvalidUrl { url: url.to_string(), reason: e.to_string() })?;
        if !matches!(target.scheme(), "http" | "https") {
            return Err(FetchError::InvalidUrl { url: url.to_string(), reason: "not an http(s) URL".into() });
        }
        let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let _permit = self.permit(&target).await;
        let request = self
            .inner
            .open
            .post(target)
            .header(header::USER_AGENT, self.inner.user_agent.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .timeout(self.inner.config.timeout)
            .send();
        let response = match tokio::time::timeout(self.inner.config.timeout, request).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) if e.is_connect() => return Err(FetchError::Connect { url: url.to_string(), source: e }),
            Ok(Err(e)) if e.is_timeout() => {
                return Err(FetchError::Timeout { url: url.to_string(), after: self.inner.config.timeout });
            }
            Ok(Err(e)) => return Err(FetchError::Http { url: url.to_string(), source: e }),
            Err(_) => return Err(FetchError::Timeout { url: url.to_string(), after: self.inner.config.timeout }),
        };
        let status = response.status().as_u16();
        if response.status().is_success() {
            Ok(status)
        } else {
            let retry_after =
                response.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(parse_retry_after);
            Err(FetchError::Status { url: url.to_string(), status, retry_after })
        }
    }

    /// Waits for a slot for the URL's host, then for one of all (see `max_concurrent`).
    async fn permit(&self, url: &Url) -> Option<Slot> {
        let key = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let semaphore = {
            let mut hosts = self.inner.hosts.lock().unwrap_or_else(PoisonError::into_inner);
            if hosts.len() > MAX_IDLE_HOSTS {
                hosts.retain(|_, s| Arc::strong_count(s) > 1);
            }
            hosts.entry(key).or_insert_with(|| Arc::new(Semaphore::new(self.inner.config.per_host.max(1)))).clone()
        };
        // The semaphores are never closed, so this only fails in theory.
        let host = semaphore.acquire_owned().await.ok()?;
        let all = match &self.inner.all {
            Some(all) => Some(all.clone().acquire_owned().await.ok()?),
            None => None,
        };
        Some(Slot { _host: host, _all: all })
    }

    /// Sends the request, following redirects by hand, and reads the final body.
    async fn follow(
        &self,
        req: &FetchRequest,
        mut url: Url,
        mut permit: Option<Slot>,
        guard: bool,
    ) -> Result<FetchResponse, FetchError> {
        let cfg = &self.inner.config;
        let client = if guard { &self.inner.guarded } else { &self.inner.open };
        let mut redirects = 0u32;
        loop {
            let _slot = match permit.take() {
                Some(p) => Some(p),
                None => self.permit(&url).await,
            };
            let (headers, request_head) = self.request_headers(&url, req);
            let mut resp =
                client.get(url.clone()).headers(headers).send().await.map_err(|e| send_error(e, &url, cfg))?;
            let status = resp.status().as_u16();
            if matches!(status, 301 | 302 | 303 | 307 | 308)
                && let Some(next) = redirect_target(&url, resp.headers())?
            {
                if redirects >= cfg.max_redirects {
                    return Err(FetchError::TooManyRedirects { url: req.url.clone(), max: cfg.max_redirects });
                }
                redirects += 1;
                tracing::debug!(from = %url, to = %next, status, "redirect");
                if guard {
                    check_literal(&next, self.inner.policy)?;
                }
                drop(resp);
                url = next;
                continue;
            }

            let fetched_at = Utc::now();
            let headers = header_list(resp.headers());
            let joined = |name: &HeaderName| {
                let values: Vec<String> =
                    resp.headers().get_all(name).iter().map(|v| header_text(v.as_bytes())).collect();
                (!values.is_empty()).then(|| values.join(", "))
            };
            let retry_after = joined(&header::RETRY_AFTER).as_deref().and_then(parse_retry_after);
            if status != 304 && !(200..300).contains(&status) {
                return Err(FetchError::Status { url: url.to_string(), status, retry_after });
            }
            let not_modified = status == 304;
            let first = |name: &HeaderName| resp.headers().get(name).map(|v| header_text(v.as_bytes()));
            let content_type = first(&header::CONTENT_TYPE);
            let mut etag = first(&header::ETAG);
            let mut last_modified = first(&header::LAST_MODIFIED);
            if not_modified {
                etag = etag.or_else(|| req.etag.clone());
                last_modified = last_modified.or_else(|| req.last_modified.clone());
            }
            let max_age = max_age(
                joined(&header::CACHE_CONTROL).as_deref(),
                first(&header::EXPIRES).as_deref(),
                first(&header::DATE).as_deref(),
            );
            let content_encoding = joined(&header::CONTENT_ENCODING).unwrap_or_default();
            let response_head = response_head(&resp);
            let remote_ip = resp.remote_addr().map(|a| a.ip());

            let (wire_body, body) = if not_modified {
                (Vec::new(), Vec::new())
            } else {
                read_body(&mut resp, &url, &content_encoding, cfg.max_bytes).await?
            };
            return Ok(FetchResponse {
                url: req.url.clone(),
                final_url: url.to_string(),
                status,
                not_modified,
                headers,
                content_type,
                body,
                etag,
                last_modified,
                max_age,
                retry_after,
                fetched_at,
                exchange: Some(Exchange { request_head, response_head, wire_body, remote_ip }),
            });
        }
    }

    /// The headers to send, and the same request written out as HTTP/1.1 text.
    fn request_headers(&self, url: &Url, req: &FetchRequest) -> (HeaderMap, Vec<u8>) {
        let mut map = HeaderMap::new();
        map.insert(header::USER_AGENT, self.inner.user_agent.clone());
        map.insert(header::ACCEPT, HeaderValue::from_static(ACCEPT));
        map.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(ACCEPT_ENCODING));
        let conditional =
            [(header::IF_NONE_MATCH, req.etag.as_deref()), (header::IF_MODIFIED_SINCE, req.last_modified.as_deref())];
        for (name, value) in conditional {
            let Some(value) = value else { continue };
            match HeaderValue::from_str(value) {
                Ok(v) => {
                    map.insert(name, v);
                }
                Err(_) => tracing::warn!(%url, header = %name, "validator not sendable; ignored"),
            }
        }

        let mut head = Vec::with_capacity(256);
        let path = &url[url::Position::BeforePath..url::Position::AfterQuery];
        head.extend_from_slice(format!("GET {path} HTTP/1.1\r\n").as_bytes());
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        head.extend_from_slice(format!("Host: {host}\r\n").as_bytes());
        for (name, value) in &map {
            head.extend_from_slice(title_case(name.as_str()).as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"\r\n");
        (map, head)
    }
}

/// Refuses a URL whose host is an IP literal in a forbidden range (the resolver never sees
/// those).
fn check_literal(url: &Url, policy: guard::Policy) -> Result<(), FetchError> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    match policy(ip) {
        Some(kind) => Err(FetchError::Refused { url: url.to_string(), addr: ip, kind }),
        None => Ok(()),
    }
}

/// The absolute http(s) URL a redirect points to, or `None` without a `Location`.
fn redirect_target(current: &Url, headers: &HeaderMap) -> Result<Option<Url>, FetchError> {
    let Some(location) = headers.get(header::LOCATION) else {
        return Ok(None);
    };
    let location = header_text(location.as_bytes());
    let mut next = current.join(location.trim()).map_err(|e| FetchError::InvalidUrl {
        url: location.clone(),
        reason: format!("redirect from {current}: {e}"),
    })?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(FetchError::InvalidUrl {
            url: next.to_string(),
            reason: format!("redirect from {current} to a non-HTTP scheme"),
        });
    }
    // RFC 9110 §10.2.2: a Location without a fragment inherits the request's.
    if next.fragment().is_none() {
        next.set_fragment(current.fragment());
    }
    Ok(Some(next))
}

fn send_error(e: reqwest::Error, url: &Url, cfg: &FetchConfig) -> FetchError {
    if let Some(refusal) = guard::find_refusal(&e) {
        return FetchError::Refused { url: url.to_string(), addr: refusal.addr, kind: refusal.kind };
    }
    if e.is_timeout() {
        FetchError::Timeout { url: url.to_string(), after: cfg.connect_timeout }
    } else if e.is_connect() {
        FetchError::Connect { url: url.to_string(), source: e }
    } else {
        FetchError::Http { url: url.to_string(), source: e }
    }
}

/// Reads the body chunk by chunk, capping wire and decoded sizes at `limit`.
async fn read_body(
    resp: &mut reqwest::Response,
    url: &Url,
    content_encoding: &str,
    limit: u64,
) -> Result<(Vec<u8>, Vec<u8>), FetchError> {
    let too_large = || FetchError::TooLarge { url: url.to_string(), limit };
    let decode_error = |e: DecodeError| match e {
        DecodeError::TooLarge => too_large(),
        DecodeError::Unsupported(coding) => {
            FetchError::Decode { url: url.to_string(), reason: "unsupported content coding".to_owned(), coding }
        }
        DecodeError::Invalid { coding, source } => {
            FetchError::Decode { url: url.to_string(), coding: coding.to_owned(), reason: source.to_string() }
        }
    };
    if let Some(len) = resp.content_length()
        && len > limit
    {
        return Err(too_large());
    }
    let codings = decode::codings(content_encoding);
    let mut decoder =
        if codings.is_empty() { None } else { Some(Decoder::new(&codings, limit).map_err(decode_error)?) };
    let hint = resp.content_length().unwrap_or(0).min(limit).min(1 << 20);
    let mut wire = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    loop {
        let chunk = match resp.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                return Err(FetchError::Http { url: url.to_string(), source: e });
            }
        };
        if wire.len() as u64 + chunk.len() as u64 > limit {
            return Err(too_large());
        }
        wire.extend_from_slice(&chunk);
        if let Some(d) = decoder.as_mut() {
            d.push(&chunk).map_err(decode_error)?;
        }
    }
    let body = match decoder {
        Some(d) if !wire.is_empty() => d.finish().map_err(decode_error)?,
        Some(_) => Vec::new(),
        None => wire.clone(),
    };
    Ok((wire, body))
}

/// Header bytes as text: UTF-8 when valid, else ISO-8859-1 (HTTP's historical charset).
fn header_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

fn header_list(map: &HeaderMap) -> Vec<(String, String)> {
    map.iter().map(|(n, v)| (n.as_str().to_owned(), header_text(v.as_bytes()))).collect()
}

/// `user-agent` → `User-Agent`, for the request head we write out.
fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        out.push(if upper { c.to_ascii_uppercase() } else { c });
        upper = c == '-';
    }
    out
}

/// The status line and headers as received, rebuilt from what reqwest exposes.
fn response_head(resp: &reqwest::Response) -> Vec<u8> {
    let version = match resp.version() {
        reqwest::Version::HTTP_09 => "HTTP/0.9",
        reqwest::Version::HTTP_10 => "HTTP/1.0",
        reqwest::Version::HTTP_2 => "HTTP/2",
        reqwest::Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    };
    let status = resp.status();
    let mut head = Vec::with_capacity(512);
    head.extend_from_slice(
        format!("{version} {} {}\r\n", status.as_str(), status.canonical_reason().unwrap_or("")).as_bytes(),
    );
    for (name, value) in resp.headers() {
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head
}
