//! Publishing into object storage (`[publish] target = "s3://bucket/prefix/"`): after the
//! publisher has written the feeds folder (which then serves as the local staging copy), the
//! files whose bytes differ from what the bucket was last given are PUT, each with its media
//! type and a `Cache-Control`, in the publisher's safe order — article pages, archive pages
//! (newest first), tag feeds, then the subscription documents and `index.html` — and objects
//! whose files are gone are deleted last.
//!
//! What the bucket holds is remembered in the store (meta key [`OBJECTS_KEY`]: per key its
//! length, modification time and blake3 digest as uploaded), not read from the bucket, so an
//! unchanged file costs one `stat` and no request. The record is saved after every upload
//! run, including a failed one (the objects put before the failure count), so an unreachable
//! bucket fails the publish (exit 1) with the subscription documents not yet updated, and the
//! next run puts exactly what is still missing.
//!
//! It only copies: what to publish is the publisher's; how to talk S3 is [`crate::objects`].

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::PublishError;
use super::paging::Paging;
use super::write::{self, Class};
use crate::archive::Store;
use crate::objects::{Bucket, Served};

/// The store key of the record of uploaded objects.
pub const OBJECTS_KEY: &str = "publish.objects";

/// `Cache-Control` of documents that change as the archive grows.
pub const SHORT_CACHE: &str = "public, max-age=300";
/// `Cache-Control` of article pages (a new version of an article rewrites its page).
pub const ARTICLE_CACHE: &str = "public, max-age=3600";
/// `Cache-Control` of full archive pages, which never change.
pub const IMMUTABLE_CACHE: &str = "public, max-age=31536000, immutable";

/// One uploaded object as last put.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Uploaded {
    len: u64,
    /// The staged file's modification time (`secs.nanos`) when its bytes were put.
    mtime: String,
    digest: String,
}

/// A file whose object is out of date.
struct ToPut {
    rank: (Class, u64),
    rel: String,
    bytes: Vec<u8>,
    now: Uploaded,
}

/// What an upload did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UploadReport {
    /// Keys put (relative to the target prefix), in the order put.
    pub put: Vec<String>,
    /// Keys deleted, sorted.
    pub deleted: Vec<String>,
    /// Files whose objects were already up to date.
    pub unchanged: usize,
}

/// The rename class of a published file, from its path (see `write::Class`), and its rank
/// within the class: archive pages newest first.
fn class_of(rel: &str) -> (Class, u64) {
    let parts: Vec<&str> = rel.split('/').collect();
    match parts.as_slice() {
        ["articles", ..] => (Class::ArticlePage, 0),
        ["archive", k, ..] => (Class::ArchivePage, u64::MAX - k.parse::<u64>().unwrap_or(0)),
        ["tags", _, "index.html"] => (Class::TagIndex, 0),
        ["index.html"] => (Class::Index, 0),
        [_] => (Class::Feed, 0),
        _ => (Class::TagFeed, 0),
    }
}

/// How an object is served: its media type, and a `Cache-Control` by what it is (a full
/// archive page is immutable; documents that follow the archive are short-lived).
fn served_as(rel: &str, paging: Paging) -> Served<'static> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let content_type = crate::serve::media_type(name).mime;
    let cache_control = match rel.split('/').collect::<Vec<_>>().as_slice() {
        ["articles", ..] => ARTICLE_CACHE,
        ["archive", k, ..] if k.parse().is_ok_and(|k| paging.is_full(k)) => IMMUTABLE_CACHE,
        _ => SHORT_CACHE,
    };
    Served { content_type, cache_control }
}

/// Every published file under `root`, relative and `/`-separated, without temps and markers.
fn published_files(root: &Path) -> Result<Vec<String>, PublishError> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| PublishError::Io {
            path: dir.clone(),
            context: "cannot list the feeds folder",
            source,
        })?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || write::is_temp_name(&name) {
                continue;
            }
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file()
                && let Ok(rel) = entry.path().strip_prefix(root)
            {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn mtime_of(meta: &std::fs::Metadata) -> String {
    let d = meta.modified().ok().and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok()).unwrap_or_default();
    format!("{}.{:09}", d.as_secs(), d.subsec_nanos())
}

/// Copies what changed in `feeds_dir` into `bucket`; see the module docs.
pub fn upload(
    store: &mut dyn Store,
    feeds_dir: &Path,
    bucket: &Bucket,
    paging: Paging,
) -> Result<UploadReport, PublishError> {
    let mut record: BTreeMap<String, Uploaded> = match store.meta_get(OBJECTS_KEY)? {
        Some(text) => serde_json::from_str(&text).unwrap_or_default(),
        None => BTreeMap::new(),
    };
    let files = published_files(feeds_dir)?;
    let mut report = UploadReport::default();
    let mut to_put: Vec<ToPut> = Vec::new();
    for rel in &files {
        let path = feeds_dir.join(rel);
        let io = |context| {
            let path = path.clone();
            move |source| PublishError::Io { path, context, source }
        };
        let meta = std::fs::metadata(&path).map_err(io("cannot read the published file"))?;
        let mtime = mtime_of(&meta);
        if record.get(rel).is_some_and(|u| u.len == meta.len() && u.mtime == mtime) {
            report.unchanged += 1;
            continue;
        }
        let bytes = std::fs::read(&path).map_err(io("cannot read the published file"))?;
        let digest = blake3::hash(&bytes).to_hex().to_string();
        let now = Uploaded { len: bytes.len() as u64, mtime, digest };
        if record.get(rel).is_some_and(|u| u.digest == now.digest) {
            record.insert(rel.clone(), now);
            report.unchanged += 1;
            continue;
        }
        to_put.push(ToPut { rank: class_of(rel), rel: rel.clone(), bytes, now });
    }
    to_put.sort_by(|a, b| (a.rank, &a.rel).cmp(&(b.rank, &b.rel)));
    let mut failed = None;
    for ToPut { rel, bytes, now, .. } in to_put {
        match bucket.put_served(&rel, bytes, served_as(&rel, paging)) {
            Ok(()) => {
                record.insert(rel.clone(), now);
                report.put.push(rel);
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    if failed.is_none() {
        let present: std::collections::HashSet<&String> = files.iter().collect();
        let gone: Vec<String> = record.keys().filter(|k| !present.contains(k)).cloned().collect();
        for rel in gone {
            if let Err(e) = bucket.delete(&rel) {
                failed = Some(e);
                break;
            }
            record.remove(&rel);
            report.deleted.push(rel);
        }
    }
    store.meta_set(OBJECTS_KEY, &serde_json::to_string(&record).unwrap_or_default())?;
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_put_link_targets_first() {
        let mut rels = vec![
            "index.html",
            "atom.xml",
            "tags/x/index.html",
            "tags/x/atom.xml",
            "archive/1/atom.xml",
            "archive/2/atom.xml",
            "articles/a.html",
            "removed/atom.xml",
        ];
        rels.sort_by_key(|r| (class_of(r), *r));
        assert_eq!(
            rels,
            [
                "articles/a.html",
                "archive/2/atom.xml",
                "archive/1/atom.xml",
                "removed/atom.xml",
                "tags/x/atom.xml",
                "tags/x/index.html",
                "atom.xml",
                "index.html"
            ]
        );
    }

    #[test]
    fn full_archive_pages_are_immutable_and_feeds_short_lived() {
        let paging = Paging::new(25, 10); // archive pages 1 (full) and 2 (newest)
        assert_eq!(served_as("archive/1/atom.xml", paging).cache_control, IMMUTABLE_CACHE);
        assert_eq!(served_as("archive/2/atom.xml", paging).cache_control, SHORT_CACHE);
        assert_eq!(served_as("atom.xml", paging).content_type, "application/atom+xml");
        assert_eq!(served_as("tags/x/feed.json", paging).cache_control, SHORT_CACHE);
        assert_eq!(served_as("articles/a.html", paging).cache_control, ARTICLE_CACHE);
        assert!(served_as("index.html", paging).content_type.starts_with("text/html"));
    }
}
