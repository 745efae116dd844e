//! Read-only HTTP over the feeds folder: the published feeds, archive pages, tag feeds and
//! article pages, with the right media types, strong ETags, `Last-Modified`, 304s, gzip and
//! cache lifetimes (immutable for full RFC 5005 archive documents, short for the rest).
//!
//! It must never write anything, and never serve a byte from outside the feeds folder or a
//! hidden file: request paths are checked segment by segment (`path`) and walked down
//! from the canonical root with `lstat`; a symlink met on the way is canonicalized and the
//! result must stay below the canonical root with no dot-file in it (otherwise 404).
//! Every request looks the file up afresh, so a file the publisher replaces by rename is
//! served new at once; the bytes, ETag and gzip body are cached per file version
//! (`cache`: device, inode, length, mtime, ctime) so nothing is hashed or compressed per
//! request. Path checks and `stat` run inline on the async threads (microseconds on a
//! local disk); reading, hashing and compressing run on the blocking pool.
//!
//! Against slow or hostile clients: a request head must arrive within
//! [`HEADER_READ_TIMEOUT`], a connection on which nothing moves for [`KEEP_ALIVE_IDLE`] is
//! closed (`idle`), no connection lives past [`CONNECTION_LIFETIME`], the connections open
//! at once are capped below the open-file limit, and a shutdown waits at most
//! [`SHUTDOWN_DEADLINE`].

mod cache;
mod idle;
mod negotiate;
mod path;

pub use negotiate::{MediaType, media_type};

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use tokio::net::TcpListener;

use cache::{Cache, Entry, Version};
use negotiate::{Conditions, Precondition, RangeAsk};
use path::{Rejection, RequestPath};

/// Where to serve from and where to listen.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The feeds folder (`[paths] feeds`).
    pub root: PathBuf,
    /// The address to listen on, e.g. `127.0.0.1:8080`.
    pub listen: SocketAddr,
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The feeds folder is missing or unreadable.
    #[error("feeds folder {}: {source}", path.display())]
    Root {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The feeds folder path names something that is not a folder.
    #[error("feeds folder {} is not a directory", path.display())]
    NotADirectory { path: PathBuf },
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    /// The accept loop failed.
    #[error("serving on http://{addr}/ failed: {source}")]
    Serve {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
}

/// Binds `opts.listen`, logs `serving <root> on http://<addr>/` and serves until `shutdown`
/// completes (in-flight requests get [`SHUTDOWN_DEADLINE`] to finish). A client has
/// [`HEADER_READ_TIMEOUT`] to send each request head, and a connection on which nothing
/// moves for [`KEEP_ALIVE_IDLE`] (between requests, or never used) is closed; at most a
/// file-limit-derived number of connections are open at once (the soft `RLIMIT_NOFILE` is
/// raised to the hard one).
pub async fn serve(opts: ServeOptions, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), ServeError> {
    check_root(&opts.root)?;
    let listener =
        TcpListener::bind(opts.listen).await.map_err(|source| ServeError::Bind { addr: opts.listen, source })?;
    serve_on(listener, opts.root, shutdown).await
}

/// Like [`serve`] on a listener the caller has bound already (for tests and embedding,
/// e.g. port 0 and then `local_addr`).
pub async fn serve_on(
    listener: TcpListener,
    root: PathBuf,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    check_root(&root)?;
    let addr = listener
        .local_addr()
        .map_err(|source| ServeError::Bind { addr: SocketAddr::from(([0, 0, 0, 0], 0)), source })?;
    tracing::info!("serving {} on http://{addr}/", root.display());
    let cap = connection_cap(raise_open_file_limit());
    let permits = Arc::new(tokio::sync::Semaphore::new(cap));
    let app = router(root);
    let mut builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    builder.http1().timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT).keep_alive(true);
    builder
        .http2()
        .timer(hyper_util::rt::TokioTimer::new())
        .keep_alive_interval(IDLE_TIMEOUT)
        .keep_alive_timeout(HEADER_READ_TIMEOUT);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // At the cap, stop accepting: new clients wait in the kernel's backlog instead of
        // the process running out of file descriptors for everyone.
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    tracing::warn!("accept failed on http://{addr}/: {err}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {err}");
        }
        let service = app.clone().layer(axum::Extension(ConnectInfo(remote)));
        let conn = builder
            .serve_connection_with_upgrades(
                hyper_util::rt::TokioIo::new(idle::IdleClose::new(tcp, KEEP_ALIVE_IDLE)),
                hyper_util::service::TowerToHyperService::new(service),
            )
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // A bound on every connection, whatever the client does.
            let _ = tokio::time::timeout(CONNECTION_LIFETIME, conn).await;
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_DEADLINE, graceful.shutdown()).await.is_err() {
        tracing::warn!("stopped with connections still open after {}s", SHUTDOWN_DEADLINE.as_secs());
    }
    Ok(())
}

/// How long a client may take to send a complete request head.
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// How long a connection may go without a byte moving either way: a keep-alive connection
/// idle between requests, one opened and never used, or one whose client stopped reading is
/// then closed, freeing its slot under the connection cap.
pub const KEEP_ALIVE_IDLE: std::time::Duration = std::time::Duration::from_secs(5);
/// HTTP/2 ping interval on a quiet connection.
pub const IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// The longest any one connection is kept, however busy (a slow reader of a large file
/// included); clients reconnect.
pub const CONNECTION_LIFETIME: std::time::Duration = std::time::Duration::from_secs(600);
/// How long in-flight requests may finish after a shutdown signal.
pub const SHUTDOWN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

/// Raises the soft open-file limit to the hard limit; returns the limit now in force.
fn raise_open_file_limit() -> u64 {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit/setrlimit only read and write the struct passed to them.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
                return 1024;
            }
            if lim.rlim_cur < lim.rlim_max {
                let raised = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    lim.rlim_cur = lim.rlim_max;
                }
            }
        }
        lim.rlim_cur
    }
    #[cfg(not(unix))]
    {
        1024
    }
}

/// Connections served at once: the file limit less room for the files each request opens,
/// the listener, logs and the runtime.
fn connection_cap(open_file_limit: u64) -> usize {
    (open_file_limit / 2).saturating_sub(32).clamp(16, 16_384) as usize
}

fn check_root(root: &Path) -> Result<(), ServeError> {
    let meta = std::fs::metadata(root).map_err(|source| ServeError::Root { path: root.to_path_buf(), source })?;
    if meta.is_dir() { Ok(()) } else { Err(ServeError::NotADirectory { path: root.to_path_buf() }) }
}

/// The router serving `root`: every path and method goes to one handler. Requests carry
/// the remote address into the access log when served with `ConnectInfo<SocketAddr>`.
pub fn router(root: PathBuf) -> Router {
    router_with(root, Limits::default())
}

fn router_with(root: PathBuf, limits: Limits) -> Router {
    let site = Arc::new(Site {
        cache: Cache::new(limits.cache_budget),
        canonical_root: std::sync::Mutex::new(None),
        root,
        limits,
    });
    Router::new().fallback(handle).with_state(site)
}

/// Memory limits of the per-version cache.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// Files up to this size are kept in memory (and may be gzipped); larger ones are
    /// streamed from disk with a cached ETag and never compressed.
    max_cached_file: u64,
    /// Total bytes kept, gzip bodies included.
    cache_budget: usize,
    /// Smaller bodies are not worth compressing.
    min_gzip: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_cached_file: 8 << 20, cache_budget: 128 << 20, min_gzip: 256 }
    }
}

#[derive(Debug)]
struct Site {
    /// The feeds folder as configured.
    root: PathBuf,
    /// Its canonical path, with the (device, inode) it was computed for.
    canonical_root: std::sync::Mutex<Option<KnownRoot>>,
    cache: Cache,
    limits: Limits,
}

/// The canonical root and the (device, inode) of the directory it was worked out for.
type KnownRoot = (Option<(u64, u64)>, Arc<Path>);

const ACCESS_LOG: &str = "feedkeeper::serve::access";
const ALLOWED: &str = "GET, HEAD";
const VARY_AE: HeaderValue = HeaderValue::from_static("accept-encoding");
const GZIP: HeaderValue = HeaderValue::from_static("gzip");
const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");

async fn handle(State(site): State<Arc<Site>>, req: Request) -> Response {
    let started = Instant::now();
    let (req, _body) = req.into_parts();
    let response = site.respond(&req).await;
    let bytes = if req.method == Method::HEAD {
        0
    } else {
        response.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok()).unwrap_or(0)
    };
    let remote = req.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    tracing::info!(
        target: ACCESS_LOG,
        method = %req.method,
        path = %req.uri.path(),
        status = response.status().as_u16(),
        bytes,
        ms = started.elapsed().as_micros() as f64 / 1000.0,
        remote = %Remote(remote),
    );
    response
}

struct Remote(Option<SocketAddr>);

impl fmt::Display for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(addr) => addr.fmt(f),
            None => f.write_str("-"),
        }
    }
}

/// A regular file found below the root.
struct Found {
    /// Canonical path.
    path: PathBuf,
    /// Root-relative path components.
    relative: Vec<String>,
    version: Version,
    /// Canonical root, for the archive rule.
    root: Arc<Path>,
}

enum Located {
    File(Found),
    /// A directory asked for without its trailing slash.
    AddSlash,
    Miss(Miss),
}

/// Why nothing is served.
enum Miss {
    NotFound,
    Forbidden,
    Failed(io::Error),
}

/// What goes out as the body.
enum Payload {
    Memory(Bytes),
    Disk(std::fs::File),
}

impl Site {
    async fn respond(&self, req: &Parts) -> Response {
        let method = &req.method;
        if *method != Method::GET && *method != Method::HEAD {
            let mut res = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
            res.headers_mut().insert(header::ALLOW, HeaderValue::from_static(ALLOWED));
            return res;
        }
        let wanted = match path::parse(req.uri.path()) {
            Ok(p) => p,
            Err(Rejection::Hidden) => return not_found(),
            Err(r) => {
                tracing::debug!(path = %req.uri.path(), "refused request path: {}", r.reason());
                return plain(StatusCode::BAD_REQUEST, "bad request path\n");
            }
        };
        let found = match self.locate(&wanted) {
            Located::File(found) => found,
            Located::AddSlash => return add_slash(&req.uri),
            Located::Miss(Miss::NotFound) => return not_found(),
            Located::Miss(Miss::Forbidden) => return plain(StatusCode::FORBIDDEN, "forbidden\n"),
            Located::Miss(Miss::Failed(err)) => {
                tracing::error!(path = %req.uri.path(), root = %self.root.display(), "cannot serve: {err}");
                return plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n");
            }
        };
        let (entry, payload) = match self.load(&found).await {
            Ok(loaded) => loaded,
            Err(err) => return self.io_failure(&found.path, err),
        };

        let file_name = found.relative.last().map_or("", String::as_str);
        let media = negotiate::media_type(file_name);
        let relative: Vec<&str> = found.relative.iter().map(String::as_str).collect();
        let policy =
            negotiate::cache_policy(&relative, |next| found.root.join("archive").join(next.to_string()).is_dir());
        let headers = &req.headers;
        // A range is of the file's bytes: a request with `Range` is answered uncompressed.
        let range_header = joined(headers, header::RANGE);
        let gzip = if media.compressible
            && range_header.is_none()
            && joined(headers, header::ACCEPT_ENCODING).is_some_and(|v| negotiate::accepts_gzip(&v))
        {
            entry.gzip(self.limits.min_gzip).await
        } else {
            None
        };
        let etag = if gzip.is_some() { &entry.etag_gzip } else { &entry.etag };
        let if_match = joined(headers, header::IF_MATCH);
        let if_unmodified_since = joined(headers, header::IF_UNMODIFIED_SINCE);
        let if_none_match = joined(headers, header::IF_NONE_MATCH);
        let if_modified_since = joined(headers, header::IF_MODIFIED_SINCE);
        let conditions = Conditions {
            if_match: if_match.as_deref(),
            if_unmodified_since: if_unmodified_since.as_deref(),
            if_none_match: if_none_match.as_deref(),
            if_modified_since: if_modified_since.as_deref(),
        };
        let outcome =
            negotiate::evaluate(&conditions, etag.to_str().unwrap_or(""), entry.modified, std::time::SystemTime::now());
        let head = *method == Method::HEAD;
        let ask = if head || outcome != Precondition::Proceed {
            RangeAsk::Whole
        } else {
            let if_range = joined(headers, header::IF_RANGE);
            let etag = entry.etag.to_str().unwrap_or("");
            negotiate::range(range_header.as_deref(), if_range.as_deref(), etag, entry.modified, entry.version.len())
        };
        file_response(outcome, head, &entry, payload, gzip, media, policy, ask)
    }

    /// Finds the regular file a checked request path names, below the canonical root.
    /// Synchronous: `stat`/`lstat` only (and `canonicalize` when a symlink is met).
    fn locate(&self, wanted: &RequestPath) -> Located {
        let root = match self.canonical_root() {
            Ok(root) => root,
            Err(err) => return Located::Miss(Miss::Failed(err)),
        };
        let names: Vec<&str> = wanted.segments.iter().map(String::as_str).collect();
        let (target, meta) = match descend(&root, root.to_path_buf(), &names) {
            Ok(found) => found,
            Err(miss) => return Located::Miss(miss),
        };
        let (target, meta) = if meta.is_dir() {
            if !wanted.directory {
                // Redirect only where the slash leads somewhere: a folder without an
                // index page (`/tags`) is a 404 either way.
                return match descend(&root, target, &["index.html"]) {
                    Ok((_, m)) if m.is_file() => Located::AddSlash,
                    _ => Located::Miss(Miss::NotFound),
                };
            }
            match descend(&root, target, &["index.html"]) {
                Ok(found) => found,
                Err(miss) => return Located::Miss(miss),
            }
        } else if wanted.directory {
            return Located::Miss(Miss::NotFound);
        } else {
            (target, meta)
        };
        if !meta.is_file() || !negotiate::is_published(target.file_name().and_then(|n| n.to_str()).unwrap_or("")) {
            return Located::Miss(Miss::NotFound);
        }
        let relative = match target.strip_prefix(&*root) {
            Ok(rel) => rel
                .components()
                .filter_map(|c| match c {
                    Component::Normal(name) => name.to_str().map(str::to_owned),
                    _ => None,
                })
                .collect(),
            Err(_) => return Located::Miss(Miss::NotFound),
        };
        Located::File(Found { version: Version::of(&meta), path: target, relative, root })
    }

    /// The canonical feeds folder. Re-canonicalized whenever `stat` of the configured path
    /// shows another directory (say a `feeds` symlink flipped to a new folder); otherwise
    /// the last answer is reused, which saves a `readlink` per path component per request.
    fn canonical_root(&self) -> io::Result<Arc<Path>> {
        let meta = std::fs::metadata(&self.root)?;
        let id = file_id(&meta);
        let mut known = self.canonical_root.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((known_id, path)) = known.as_ref()
            && id.is_some()
            && *known_id == id
        {
            return Ok(path.clone());
        }
        let path: Arc<Path> = std::fs::canonicalize(&self.root)?.into();
        *known = Some((id, path.clone()));
        Ok(path)
    }

    /// The cached entry for this version, or reads the file (on the blocking pool) and
    /// caches it. Large files are opened and streamed; their ETag is still cached.
    async fn load(&self, found: &Found) -> io::Result<(Arc<Entry>, Payload)> {
        if let Some(entry) = self.cache.get(&found.path, &found.version)
            && let Some(body) = &entry.body
        {
            return Ok((entry.clone(), Payload::Memory(body.clone())));
        }
        let path = found.path.clone();
        let max = self.limits.max_cached_file;
        let known = self.cache.get(&found.path, &found.version);
        let (entry, payload, fresh) =
            tokio::task::spawn_blocking(move || read_version(&path, max, known)).await.map_err(io::Error::other)??;
        if fresh {
            self.cache.insert(found.path.clone(), entry.clone());
        }
        Ok((entry, payload))
    }

    fn io_failure(&self, path: &Path, err: io::Error) -> Response {
        match err.kind() {
            io::ErrorKind::NotFound => not_found(),
            io::ErrorKind::PermissionDenied => plain(StatusCode::FORBIDDEN, "forbidden\n"),
            _ => {
                tracing::error!(file = %path.display(), "cannot read: {err}");
                plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
            }
        }
    }
}

/// The response for a found file once preconditions are evaluated: validators, cache
/// lifetime and `Vary` on 200, 206 and 304 alike; body, type and encoding on 200 and 206
/// only; 416 with the file's length when the one range asked lies past its end.
#[allow(clippy::too_many_arguments)]
fn file_response(
    outcome: Precondition,
    head: bool,
    entry: &Entry,
    payload: Payload,
    gzip: Option<Bytes>,
    media: negotiate::MediaType,
    policy: negotiate::CachePolicy,
    ask: RangeAsk,
) -> Response {
    if ask == RangeAsk::Unsatisfiable {
        let mut res = plain(StatusCode::RANGE_NOT_SATISFIABLE, "range not satisfiable\n");
        let all = format!("bytes */{}", entry.version.len());
        res.headers_mut().insert(header::CONTENT_RANGE, HeaderValue::from_str(&all).expect("ascii"));
        return res;
    }
    if outcome == Precondition::Failed {
        let mut res = plain(StatusCode::PRECONDITION_FAILED, "precondition failed\n");
        res.headers_mut().remove(header::CACHE_CONTROL);
        return res;
    }
    let gzipped = gzip.is_some();
    let etag = if gzipped { &entry.etag_gzip } else { &entry.etag };
    let full_length = gzip.as_ref().map_or_else(
        || match &payload {
            Payload::Memory(bytes) => bytes.len() as u64,
            Payload::Disk(_) => entry.version.len(),
        },
        |g| g.len() as u64,
    );
    let (length, part) = match ask {
        RangeAsk::Part { start, end } => (end - start + 1, Some((start, end))),
        _ => (full_length, None),
    };
    let mut res = if outcome == Precondition::NotModified {
        let mut res = Response::new(Body::empty());
        *res.status_mut() = StatusCode::NOT_MODIFIED;
        res
    } else {
        let body = match (gzip, payload, part) {
            (Some(gz), _, _) => Body::from(gz),
            (None, Payload::Memory(bytes), None) => Body::from(bytes),
            (None, Payload::Memory(bytes), Some((start, end))) => {
                Body::from(bytes.slice(start as usize..=end as usize))
            }
            (None, Payload::Disk(file), None) => stream(file, length),
            (None, Payload::Disk(mut file), Some((start, _))) => {
                use std::io::Seek;
                match file.seek(std::io::SeekFrom::Start(start)) {
                    Ok(_) => stream(file, length),
                    Err(_) => return plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n"),
                }
            }
        };
        let mut res = Response::new(body);
        if let Some((start, end)) = part {
            *res.status_mut() = StatusCode::PARTIAL_CONTENT;
            let range = format!("bytes {start}-{end}/{full_length}");
            res.headers_mut().insert(header::CONTENT_RANGE, HeaderValue::from_str(&range).expect("ascii"));
        }
        res
    };
    let ok = matches!(res.status(), StatusCode::OK | StatusCode::PARTIAL_CONTENT);
    let h = res.headers_mut();
    h.insert(header::ETAG, etag.clone());
    h.insert(header::LAST_MODIFIED, entry.last_modified.clone());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy.header()));
    if media.compressible {
        h.insert(header::VARY, VARY_AE);
    }
    // A 304 may carry Content-Length only as the length a 200 would have (RFC 9110 §8.6):
    // hyper drops it from a 304 to GET, and a 304 to HEAD must not get axum's made-up 0.
    if ok || head {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    if ok {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media.mime));
        h.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        if gzipped {
            h.insert(header::CONTENT_ENCODING, GZIP);
        }
    }
    res
}

/// Walks `names` down from `base` (a canonical directory below `root`) and returns the
/// canonical path with its metadata. Each name was checked by [`path::parse`] (a plain,
/// visible file name), so while no component is a symlink the joined path is already
/// canonical and one `lstat` per name is all it costs. At the first symlink the whole path
/// is canonicalized instead and must stay below `root` with no hidden component: a link
/// leading out of the feeds folder, or to a dot-file, is a 404.
fn descend(root: &Path, base: PathBuf, names: &[&str]) -> Result<(PathBuf, std::fs::Metadata), Miss> {
    let mut path = base;
    let mut meta = None;
    for (i, name) in names.iter().enumerate() {
        path.push(name);
        let m = std::fs::symlink_metadata(&path).map_err(not_there)?;
        if m.file_type().is_symlink() {
            path.extend(&names[i + 1..]);
            return through_symlink(root, &path);
        }
        meta = Some(m);
    }
    match meta {
        Some(m) => Ok((path, m)),
        None => {
            let m = std::fs::metadata(&path).map_err(not_there)?;
            Ok((path, m))
        }
    }
}

/// Canonicalizes `candidate` and stats it; refuses it unless it stays below `root` and no
/// component below the root is hidden.
fn through_symlink(root: &Path, candidate: &Path) -> Result<(PathBuf, std::fs::Metadata), Miss> {
    let target = std::fs::canonicalize(candidate).map_err(not_there)?;
    let Ok(rel) = target.strip_prefix(root) else {
        tracing::warn!(path = %candidate.display(), "refused: resolves outside the feeds folder");
        return Err(Miss::NotFound);
    };
    let hidden = rel.components().any(|c| match c {
        Component::Normal(name) => name.as_encoded_bytes().starts_with(b"."),
        _ => true,
    });
    if hidden {
        return Err(Miss::NotFound);
    }
    let meta = std::fs::metadata(&target).map_err(not_there)?;
    Ok((target, meta))
}

/// Device and inode: which directory a path leads to right now.
#[cfg(unix)]
fn file_id(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(_meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

fn not_there(err: io::Error) -> Miss {
    // A symlink loop or an over-long name is a path that leads nowhere, not a server fault.
    #[cfg(unix)]
    if matches!(err.raw_os_error(), Some(libc::ELOOP) | Some(libc::ENAMETOOLONG)) {
        return Miss::NotFound;
    }
    match err.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory | io::ErrorKind::InvalidFilename => Miss::NotFound,
        io::ErrorKind::PermissionDenied => Miss::Forbidden,
        _ => Miss::Failed(err),
    }
}

/// Opens `path` and reads the version the open file actually is. Small files are read
/// whole and hashed; large ones are hashed (unless `known` already is this version),
/// rewound and handed back for streaming. The bool says whether the entry is new.
fn read_version(path: &Path, max_cached: u64, known: Option<Arc<Entry>>) -> io::Result<(Arc<Entry>, Payload, bool)> {
    use std::io::{Read, Seek};
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let version = Version::of(&meta);
    let modified = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
    if meta.len() <= max_cached {
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        file.read_to_end(&mut bytes)?;
        let hash = blake3::hash(&bytes);
        let bytes = Bytes::from(bytes);
        let entry = Arc::new(Entry::new(version, modified, &hash, Some(bytes.clone())));
        return Ok((entry, Payload::Memory(bytes), true));
    }
    if let Some(entry) = known.filter(|e| e.version == version) {
        return Ok((entry, Payload::Disk(file), false));
    }
    let mut hasher = blake3::Hasher::new();
    io::copy(&mut (&mut file).take(meta.len()), &mut hasher)?;
    file.rewind()?;
    let entry = Arc::new(Entry::new(version, modified, &hasher.finalize(), None));
    Ok((entry, Payload::Disk(file), true))
}

/// Streams exactly `len` bytes of `file` in 64 KiB chunks.
fn stream(file: std::fs::File, len: u64) -> Body {
    use tokio::io::AsyncReadExt;
    let reader = tokio::fs::File::from_std(file).take(len);
    let chunks = futures_util::stream::try_unfold(reader, |mut reader| async move {
        let mut buf = vec![0; 64 * 1024];
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            return Ok::<_, io::Error>(None);
        }
        buf.truncate(n);
        Ok(Some((Bytes::from(buf), reader)))
    });
    Body::from_stream(chunks)
}

/// All lines of a header joined with `,` (borrowed when there is one); non-ASCII lines are skipped.
fn joined(headers: &HeaderMap, name: HeaderName) -> Option<Cow<'_, str>> {
    let mut values = headers.get_all(&name).iter().filter_map(|v| v.to_str().ok());
    let first = values.next()?;
    match values.next() {
        None => Some(Cow::Borrowed(first)),
        Some(second) => {
            let mut all = format!("{first}, {second}");
            for v in values {
                all.push_str(", ");
                all.push_str(v);
            }
            Some(Cow::Owned(all))
        }
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut res = Response::new(Body::from(text));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(text.len()));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

fn not_found() -> Response {
    plain(StatusCode::NOT_FOUND, "not found\n")
}

/// 301 to the same path with a trailing slash, so relative links in its index.html work.
/// The path was already checked (no `//`), so the target stays on this host.
fn add_slash(uri: &Uri) -> Response {
    let location = match uri.query() {
        Some(q) => format!("{}/?{q}", uri.path()),
        None => format!("{}/", uri.path()),
    };
    let mut res = plain(StatusCode::MOVED_PERMANENTLY, "moved\n");
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

#[cfg(test)]
mod tests;
