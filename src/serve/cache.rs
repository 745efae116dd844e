//! What is expensive per file version, computed once: the bytes, their strong ETag
//! (blake3 of the bytes) and the gzip body.
//!
//! Entries are keyed by canonical path *and* file version — device, inode, length, mtime
//! and ctime as `stat` reports them now — so a file the publisher replaces (a rename
//! brings a new inode and new times) is a miss and is read again: a stale byte is never
//! served. This module holds bytes in memory within a budget; it decides no HTTP policy
//! and never opens files itself.

use std::collections::HashMap;
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use axum::body::Bytes;
use axum::http::HeaderValue;
use tokio::sync::OnceCell;

use super::negotiate::whole_seconds;

/// Identity of one version of a file's content, as far as `stat` can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Version {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Version {
    #[cfg(unix)]
    pub(crate) fn of(meta: &Metadata) -> Version {
        use std::os::unix::fs::MetadataExt;
        Version {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    #[cfg(not(unix))]
    pub(crate) fn of(meta: &Metadata) -> Version {
        let nanos = |t: std::io::Result<SystemTime>| {
            t.ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or((0, 0), |d| (d.as_secs() as i64, i64::from(d.subsec_nanos())))
        };
        Version { dev: 0, ino: 0, len: meta.len(), mtime: nanos(meta.modified()), ctime: nanos(meta.created()) }
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }
}

/// One version of one file: validators, and the bytes when the file is small enough to keep.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) version: Version,
    /// `"<blake3 hex of the bytes>"`: the ETag of the identity representation.
    pub(crate) etag: HeaderValue,
    /// `"<blake3 hex>-gzip"`: the ETag of the gzip representation (different bytes, so a
    /// different strong validator, RFC 9110 §8.8.3).
    pub(crate) etag_gzip: HeaderValue,
    pub(crate) last_modified: HeaderValue,
    /// Modification time truncated to whole seconds, as `Last-Modified` says it.
    pub(crate) modified: SystemTime,
    /// The bytes, unless the file is larger than the server keeps in memory.
    pub(crate) body: Option<Bytes>,
    gzip: OnceCell<Option<Bytes>>,
}

impl Entry {
    pub(crate) fn new(version: Version, modified: SystemTime, hash: &blake3::Hash, body: Option<Bytes>) -> Entry {
        let hex = hash.to_hex();
        let modified = whole_seconds(modified);
        Entry {
            version,
            etag: quoted(&format!("\"{hex}\"")),
            etag_gzip: quoted(&format!("\"{hex}-gzip\"")),
            last_modified: quoted(&httpdate::fmt_http_date(modified)),
            modified,
            body,
            gzip: OnceCell::new(),
        }
    }

    /// The gzip body, compressed once per version off the async threads. `None` when the
    /// bytes are not kept, shorter than `min_len`, or do not shrink.
    pub(crate) async fn gzip(&self, min_len: usize) -> Option<Bytes> {
        let body = self.body.as_ref().filter(|b| b.len() >= min_len)?.clone();
        self.gzip
            .get_or_init(|| async move { tokio::task::spawn_blocking(move || compress(&body)).await.ok().flatten() })
            .await
            .clone()
    }

    /// Memory charged to the budget: the bytes plus room for their gzip body (never
    /// larger, or it is not kept), fixed at insertion so the accounting never drifts.
    fn cost(&self) -> usize {
        self.body.as_ref().map_or(0, Bytes::len) * 2 + 256
    }
}

/// A header value made of hex digits, quotes, `-` and an HTTP date: always valid.
fn quoted(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

fn compress(body: &[u8]) -> Option<Bytes> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 3), flate2::Compression::best());
    enc.write_all(body).ok()?;
    let out = enc.finish().ok()?;
    (out.len() < body.len()).then(|| Bytes::from(out))
}

/// The entries, bounded by a byte budget.
#[derive(Debug)]
pub(crate) struct Cache {
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<PathBuf, Arc<Entry>>,
    used: usize,
}

impl Cache {
    pub(crate) fn new(budget: usize) -> Cache {
        Cache { budget, inner: Mutex::new(Inner::default()) }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The entry for `path` if it is for exactly this version.
    pub(crate) fn get(&self, path: &Path, version: &Version) -> Option<Arc<Entry>> {
        self.lock().map.get(path).filter(|e| e.version == *version).cloned()
    }

    /// Stores `entry` for `path`, replacing an older version, and evicts others when over budget.
    pub(crate) fn insert(&self, path: PathBuf, entry: Arc<Entry>) {
        let mut inner = self.lock();
        inner.used += entry.cost();
        if let Some(old) = inner.map.insert(path.clone(), entry) {
            inner.used = inner.used.saturating_sub(old.cost());
        }
        if inner.used > self.budget {
            let target = self.budget / 4 * 3;
            let victims: Vec<PathBuf> = inner.map.keys().filter(|k| **k != path).cloned().collect();
            for victim in victims {
                if inner.used <= target {
                    break;
                }
                if let Some(old) = inner.map.remove(&victim) {
                    inner.used = inner.used.saturating_sub(old.cost());
                }
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn used(&self) -> usize {
        self.lock().used
    }
}
