//! WACZ 1.1.1 packages of the archive's captures (`export --wacz`): the web-archive
//! exchange format that ReplayWeb.page, pywb and Browsertrix read, and that `wacz validate`
//! checks. A package is a stored (not deflated) ZIP holding:
//!
//! - `archive/data.warc.gz`: the WARC response (or resource) record of every selected
//!   article version's capture, each copied byte for byte — gzip member and digests as
//!   captured — from the archive's capture files;
//! - `indexes/index.cdxj`: one sorted CDXJ line per record, with its offset and length in
//!   that WARC (`cdxj.rs`);
//! - `pages/pages.jsonl`: a `json-pages-1.0` header, then one line per captured article
//!   (its latest selected capture): id, URL, title, capture time — in article id order
//!   (byte order), so two exports of the same selection list their pages alike;
//! - `datapackage.json`: each file's path, size and `sha256:` digest, and
//!   `datapackage-digest.json`, the digest of that.
//!
//! It streams: records go from the capture file into the ZIP one at a time, digests are
//! computed on the way ([`zip`]), and the index and page lines are sorted within a fixed
//! memory budget, spilling to a scratch folder beside the output (`sort.rs`). Only a 16-byte
//! hash per exported record is kept, to copy a capture shared by two versions once. The
//! package is written to a temporary file beside `out` and renamed into place, so `out` is
//! either the old file or the whole new one. The archive is only read, through the
//! [`Store`] log and the archive's [`CaptureStore`] (a capture folder or a bucket).

mod cdxj;
mod sort;
pub mod zip;

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use crate::archive::warc::{self, WarcRecord};
use crate::archive::{ArchiveError, CaptureStore, Store};
use crate::article::{Article, CaptureRef};

pub use cdxj::{CdxRecord, surt};

/// The WACZ version written.
pub const WACZ_VERSION: &str = "1.1.1";
/// The one WARC file of a package, under `archive/`.
pub const WARC_NAME: &str = "data.warc.gz";

/// Which article versions go into a package.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Versions archived at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Articles with this tag (normalised as tags are).
    pub tag: Option<String>,
    /// Articles from the source with this name.
    pub source: Option<String>,
}

impl Selection {
    /// Whether an article version is selected. Pure.
    pub fn matches(&self, article: &Article) -> bool {
        let tag = self.tag.as_deref().map(|t| crate::article::normalise_tag(t).unwrap_or_default());
        self.since.is_none_or(|since| article.archived_at >= since)
            && tag.is_none_or(|t| article.tags.contains(&t))
            && self.source.as_deref().is_none_or(|s| article.source.as_ref().is_some_and(|src| src.name == s))
    }
}

/// Descriptive fields of the package.
#[derive(Debug, Clone)]
pub struct Meta<'a> {
    pub title: &'a str,
    pub description: &'a str,
    /// `created` in `datapackage.json`, and the ZIP entries' time.
    pub created: DateTime<Utc>,
}

/// A capture that was selected but could not be exported, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub article: String,
    pub capture: String,
    pub reason: String,
}

/// What [`write()`] put in the package.
#[derive(Debug, Clone, Serialize)]
pub struct WaczReport {
    pub path: PathBuf,
    /// WARC records (= CDXJ lines).
    pub records: u64,
    /// Lines of `pages/pages.jsonl` after its header.
    pub pages: u64,
    /// Size of the package.
    pub bytes: u64,
    pub skipped: Vec<Skipped>,
}

/// Why no package was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaczError {
    #[error("{path}: {context}: {source}", path = path.display())]
    Io { path: PathBuf, context: &'static str, source: io::Error },
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("{path}: nothing to export: no captured article matches{selection}", path = path.display())]
    Empty { path: PathBuf, selection: String },
}

/// Writes the package of the selected captures to `out`: see the module documentation.
pub fn write(
    store: &dyn Store,
    captures: &dyn CaptureStore,
    selection: &Selection,
    out: &Path,
    meta: &Meta<'_>,
) -> Result<WaczReport, WaczError> {
    let name = out.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "export.wacz".into());
    let temp = Temp {
        file: out.with_file_name(format!(".{name}.{}.tmp", std::process::id())),
        scratch: out.with_file_name(format!(".{name}.{}.sort", std::process::id())),
    };
    let io_at = |path: &Path, context: &'static str| {
        let path = path.to_path_buf();
        move |source| WaczError::Io { path: path.clone(), context, source }
    };
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp.file)
        .map_err(io_at(&temp.file, "cannot create the package"))?;
    let writing = io_at(&temp.file, "cannot write the package");
    let mut zip = zip::ZipWriter::new(BufWriter::with_capacity(1 << 20, file), meta.created);
    let mut index = sort::LineSorter::new(temp.scratch.clone(), "cdxj", sort::DEFAULT_BUDGET);
    let mut pages = sort::LineSorter::new(temp.scratch.clone(), "pages", sort::DEFAULT_BUDGET);
    let mut report = WaczReport { path: out.to_path_buf(), records: 0, pages: 0, bytes: 0, skipped: Vec::new() };

    // The WARC: each selected capture's record, copied as it is.
    let mut warc = zip.entry(&format!("archive/{WARC_NAME}")).map_err(&writing)?;
    let mut copied: HashSet<u128> = HashSet::new();
    let mut failure: Option<WaczError> = None;
    let last = store.log_len()?;
    let walked = store.log_range(1, last, &mut |entry| {
        let article = &entry.article;
        let Some(capture) = article.capture.as_ref().filter(|_| selection.matches(article)) else { return Ok(()) };
        let key = blake3::hash(capture.record_id.as_bytes());
        let key = u128::from_le_bytes(key.as_bytes()[..16].try_into().unwrap_or_default());
        if copied.contains(&key) {
            return Ok(());
        }
        match copy_record(captures, capture, &mut warc) {
            Ok((cdx, date)) => {
                copied.insert(key);
                report.records += 1;
                let page = json!({
                    "id": article.id.slug(),
                    "url": cdx.url,
                    "title": article.title,
                    "ts": iso_date(&date),
                });
                let pushed = index
                    .push(cdxj::line(&cdx, &date))
                    .and_then(|()| pages.push(format!("{}\t{:020}\t{page}", article.id, u64::MAX - entry.seq)));
                if let Err(source) = pushed {
                    failure =
                        Some(WaczError::Io { path: temp.scratch.clone(), context: "cannot sort the index", source });
                }
            }
            Err(Copy::Skip(reason)) => report.skipped.push(Skipped {
                article: article.id.to_string(),
                capture: format!("{} at offset {}", capture.file, capture.offset),
                reason,
            }),
            Err(Copy::Write(e)) => failure = Some(writing(e)),
        }
        match failure {
            // Stops the walk of the log; the failure itself is returned below.
            Some(_) => {
                Err(ArchiveError::Corrupt { path: out.to_path_buf(), what: "export".into(), detail: "stopped".into() })
            }
            None => Ok(()),
        }
    });
    if let Some(f) = failure {
        return Err(f);
    }
    walked?;
    if report.records == 0 {
        return Err(WaczError::Empty { path: out.to_path_buf(), selection: describe(selection) });
    }
    warc.finish().map_err(&writing)?;

    // The index, sorted, and the page list, one line per article (its latest capture).
    let mut cdx = zip.entry("indexes/index.cdxj").map_err(&writing)?;
    index.finish(|line| writeln!(cdx, "{line}")).map_err(&writing)?;
    cdx.finish().map_err(&writing)?;
    let mut list = zip.entry("pages/pages.jsonl").map_err(&writing)?;
    writeln!(list, "{}", json!({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})).map_err(&writing)?;
    let mut last_article = String::new();
    pages
        .finish(|line| {
            let mut parts = line.splitn(3, '\t');
            let (id, _, page) = (parts.next().unwrap_or(""), parts.next(), parts.next().unwrap_or(""));
            if id == last_article {
                return Ok(());
            }
            last_article = id.to_string();
            report.pages += 1;
            writeln!(list, "{page}")
        })
        .map_err(&writing)?;
    list.finish().map_err(&writing)?;

    // The package description and its digest.
    let resources: Vec<_> = zip
        .entries()
        .iter()
        .map(|e| {
            json!({
                "name": e.name.rsplit('/').next().unwrap_or(&e.name).to_lowercase(),
                "path": e.name,
                "hash": format!("sha256:{}", e.sha256),
                "bytes": e.size,
            })
        })
        .collect();
    let package = json!({
        "profile": "data-package",
        "resources": resources,
        "title": meta.title,
        "description": meta.description,
        "created": meta.created.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "wacz_version": WACZ_VERSION,
        "software": format!("feedkeeper {}", env!("CARGO_PKG_VERSION")),
    });
    let package = serde_json::to_vec_pretty(&package).unwrap_or_default();
    let mut entry = zip.entry("datapackage.json").map_err(&writing)?;
    entry.write_all(&package).map_err(&writing)?;
    let package_sha = entry.finish().map_err(&writing)?.sha256;
    let digest = json!({"path": "datapackage.json", "hash": format!("sha256:{package_sha}")});
    let mut entry = zip.entry("datapackage-digest.json").map_err(&writing)?;
    entry.write_all(&serde_json::to_vec_pretty(&digest).unwrap_or_default()).map_err(&writing)?;
    entry.finish().map_err(&writing)?;

    let file = zip.finish().map_err(&writing)?.into_inner().map_err(|e| writing(e.into_error()))?;
    file.sync_all().map_err(&writing)?;
    report.bytes = file.metadata().map_err(&writing)?.len();
    drop(file);
    std::fs::rename(&temp.file, out).map_err(io_at(out, "cannot move the package into place"))?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(report)
}

/// The temporary package and scratch folder, removed however `write` ends (after the
/// rename, the package is no longer there to remove).
struct Temp {
    file: PathBuf,
    scratch: PathBuf,
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// Why a capture was not copied.
enum Copy {
    /// The capture cannot be read as recorded: named in the report, the export goes on.
    Skip(String),
    /// Writing the package failed: the export stops.
    Write(io::Error),
}

/// Copies the capture's record (its gzip member, byte for byte) to the end of `warc` and
/// returns its index fields and WARC-Date.
fn copy_record<W: Write + Seek>(
    captures: &dyn CaptureStore,
    capture: &CaptureRef,
    warc: &mut zip::EntryWriter<'_, W>,
) -> Result<(CdxRecord, String), Copy> {
    let raw = captures.raw(capture).map_err(|e| Copy::Skip(e.to_string()))?;
    let record = warc::read_record_from(raw.as_slice(), Path::new(&capture.file), capture.offset)
        .map_err(|e| Copy::Skip(e.to_string()))?;
    if record.header("WARC-Record-ID") != Some(capture.record_id.as_str()) {
        return Err(Copy::Skip(format!(
            "the record there is {}, not {}",
            record.header("WARC-Record-ID").unwrap_or("unnamed"),
            capture.record_id
        )));
    }
    let (url, date) = match (record.header("WARC-Target-URI"), record.header("WARC-Date")) {
        (Some(u), Some(d)) => (u.to_string(), d.to_string()),
        _ => return Err(Copy::Skip("the record has no WARC-Target-URI or WARC-Date".into())),
    };
    let (status, mime) = http_status_and_type(&record);
    let offset = warc.position();
    warc.write_all(&raw).map_err(Copy::Write)?;
    let digest = record.header("WARC-Payload-Digest").or(record.header("WARC-Block-Digest")).unwrap_or("").to_string();
    let cdx = CdxRecord {
        url,
        mime,
        status,
        digest,
        length: capture.length.to_string(),
        offset: offset.to_string(),
        filename: WARC_NAME.to_string(),
    };
    Ok((cdx, date))
}

/// The HTTP status and media type of a response record; `200` and the WARC Content-Type
/// for a resource record.
fn http_status_and_type(record: &WarcRecord) -> (String, String) {
    let media = |v: &str| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if record.record_type() != Some("response") {
        return ("200".into(), media(record.header("Content-Type").unwrap_or("application/octet-stream")));
    }
    let head = record.http_parts().map(|(h, _)| String::from_utf8_lossy(h).to_string()).unwrap_or_default();
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).unwrap_or("200").to_string();
    let mime = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| media(v))
        .unwrap_or_else(|| "unk".into());
    (status, mime)
}

/// A WARC-Date as `json-pages-1.0` wants it (ISO 8601, UTC).
fn iso_date(warc_date: &str) -> String {
    crate::date::parse(warc_date).map(|d| crate::date::rfc3339(&d)).unwrap_or_else(|| warc_date.to_string())
}

fn describe(s: &Selection) -> String {
    let mut parts = Vec::new();
    if let Some(d) = &s.since {
        parts.push(format!("since {}", crate::date::rfc3339(d)));
    }
    if let Some(t) = &s.tag {
        parts.push(format!("tag {t:?}"));
    }
    if let Some(src) = &s.source {
        parts.push(format!("source {src:?}"));
    }
    if parts.is_empty() { String::new() } else { format!(" ({})", parts.join(", ")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_record_gives_its_status_and_media_type() {
        let record = WarcRecord {
            version: "WARC/1.1".into(),
            headers: vec![("WARC-Type".into(), "response".into())],
            block: b"HTTP/1.1 404 Not Found\r\ncontent-type: text/HTML; charset=utf-8\r\n\r\nnope".to_vec(),
        };
        assert_eq!(http_status_and_type(&record), ("404".into(), "text/html".into()));
        let resource = WarcRecord {
            version: "WARC/1.1".into(),
            headers: vec![("WARC-Type".into(), "resource".into()), ("Content-Type".into(), "text/html".into())],
            block: b"<p>x</p>".to_vec(),
        };
        assert_eq!(http_status_and_type(&resource), ("200".into(), "text/html".into()));
    }

    #[test]
    fn selection_by_time_tag_and_source() {
        let mut a: Article = serde_json::from_value(json!({
            "id": "urn:uuid:00000000-0000-4000-8000-000000000001",
            "title": "T",
            "content": {"text": "", "html": ""},
            "updated": "2026-01-02T00:00:00Z",
            "tags": ["1988-massacre"],
            "content_hash": "h",
            "archived_at": "2026-01-02T00:00:00Z",
            "origin": {"kind": "upstream"},
        }))
        .expect("article");
        let at = |s: &str| DateTime::parse_from_rfc3339(s).expect("date").to_utc();
        assert!(Selection::default().matches(&a));
        assert!(Selection { since: Some(at("2026-01-01T00:00:00Z")), ..Selection::default() }.matches(&a));
        assert!(!Selection { since: Some(at("2026-01-03T00:00:00Z")), ..Selection::default() }.matches(&a));
        assert!(Selection { tag: Some("1988 Massacre".into()), ..Selection::default() }.matches(&a));
        assert!(!Selection { tag: Some("other".into()), ..Selection::default() }.matches(&a));
        assert!(!Selection { source: Some("News".into()), ..Selection::default() }.matches(&a));
        a.source = Some(serde_json::from_value(json!({"name": "News"})).expect("source"));
        assert!(Selection { source: Some("News".into()), ..Selection::default() }.matches(&a));
    }
}
