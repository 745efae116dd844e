//! Local files as sources, behaving like a small HTTP server.
//!
//! Offline sources and demo feeds are files. They are read with the same byte cap as HTTP
//! bodies, report the file's modification time as `Last-Modified`, and answer "not
//! modified" when the request's `last_modified` matches it, so a second run over unchanged
//! files behaves as a real server would. Resolving relative paths is the caller's job;
//! this module never touches the network.

use std::path::Path;
use std::time::SystemTime;

use chrono::{DateTime, SubsecRound, Utc};
use tokio::io::AsyncReadExt;

use super::freshness::{format_http_date, parse_http_date};
use super::{FetchConfig, FetchError, FetchRequest, FetchResponse};

/// Reads `path` for `req` under the limits of `cfg`.
pub(super) async fn read(path: &Path, req: &FetchRequest, cfg: &FetchConfig) -> Result<FetchResponse, FetchError> {
    let io_err = |source| FetchError::Io { path: path.to_path_buf(), source };
    let file = tokio::fs::File::open(path).await.map_err(io_err)?;
    let meta = file.metadata().await.map_err(io_err)?;
    if meta.is_dir() {
        return Err(io_err(std::io::Error::from(std::io::ErrorKind::IsADirectory)));
    }
    let fetched_at = Utc::now();
    let mtime = meta.modified().ok().map(to_utc_seconds);
    let last_modified = mtime.map(format_http_date);
    let final_url = if path.is_absolute() {
        url::Url::from_file_path(path).map(String::from).unwrap_or_else(|()| req.url.clone())
    } else {
        req.url.clone()
    };
    let content_type = content_type_for(path);

    let mut headers = Vec::new();
    if let Some(ct) = content_type {
        headers.push(("content-type".to_owned(), ct.to_owned()));
    }
    if let Some(lm) = &last_modified {
        headers.push(("last-modified".to_owned(), lm.clone()));
    }

    let unchanged = match (mtime, req.last_modified.as_deref()) {
        (Some(m), Some(seen)) => parse_http_date(seen) == Some(m),
        _ => false,
    };
    let mut response = FetchResponse {
        url: req.url.clone(),
        final_url,
        status: 200,
        not_modified: false,
        headers,
        content_type: content_type.map(str::to_owned),
        body: Vec::new(),
        etag: None,
        last_modified,
        max_age: None,
        retry_after: None,
        fetched_at,
        exchange: None,
    };
    if unchanged {
        response.status = 304;
        response.not_modified = true;
        return Ok(response);
    }

    let limit = cfg.max_bytes;
    let too_large = || FetchError::TooLarge { url: path.display().to_string(), limit };
    if meta.len() > limit {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut body).await.map_err(io_err)?;
    if body.len() as u64 > limit {
        return Err(too_large());
    }
    response.headers.push(("content-length".to_owned(), body.len().to_string()));
    response.body = body;
    Ok(response)
}

fn to_utc_seconds(t: SystemTime) -> DateTime<Utc> {
    DateTime::<Utc>::from(t).trunc_subsecs(0)
}

/// A media type guessed from the file extension, for the formats sources use.
fn content_type_for(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "rss" => "application/rss+xml",
        "atom" => "application/atom+xml",
        "xml" | "rdf" => "application/xml",
        "json" => "application/json",
        "html" | "htm" => "text/html",
        "xhtml" => "application/xhtml+xml",
        "txt" => "text/plain",
        "md" => "text/markdown",
        "opml" => "text/x-opml",
        _ => return None,
    })
}
