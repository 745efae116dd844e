//! Where WARC captures are stored: the one [`CaptureStore`] trait that capturing (`check`,
//! `add`), `verify` and `export --wacz` go through, with two backends — WARC files appended
//! under the archive folder ([`LocalCaptures`], the default) and immutable objects in S3
//! compatible storage ([`ObjectCaptures`], `[captures] url = "s3://bucket/prefix"`).
//!
//! Both keep one reference type, [`CaptureRef`]: for a local capture `file` is the WARC
//! file's name in the capture folder; for an object it is the object's whole
//! `s3://bucket/key` URL, so a reference says by itself where it lives (an archive that moved
//! from local captures to a bucket keeps reading both). A batch (one check's or one add's
//! captures) becomes one new object, a complete WARC file with its own `warcinfo` record,
//! written put-if-absent under a new key named by the day and a UUID, *before* the
//! transaction that refers to it commits: a reference never points at an object that was not
//! written, and an object whose transaction failed is only an unreferenced object. Records
//! are read back by ranged GET of exactly the member the reference names.
//!
//! The rule of where a capture goes ([`super::policy::capture_file_name`]) stays above the
//! trait; backends only store and fetch.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::warc::{self, Captured, IndexedRecord, WarcError, WarcRecord};
use crate::article::CaptureRef;
use crate::config::ObjectUrl;
use crate::objects::{Bucket, ObjectError, S3Env};

/// One batch of captures to store: target URI, capture time, what was captured.
pub type Batch<'a> = [(&'a str, DateTime<Utc>, Captured<'a>)];

/// A place that stores capture batches and reads records back.
pub trait CaptureStore {
    /// Stores one batch; `name` is the batch's day file name
    /// ([`super::policy::capture_file_name`]). Returns where each item's response (or
    /// resource) record is, in order. Durable when it returns.
    fn write(&self, name: &str, batch: &Batch<'_>) -> Result<Vec<CaptureRef>, WarcError>;

    /// The stored bytes of the record a reference names (its gzip member, byte for byte).
    fn raw(&self, capture: &CaptureRef) -> Result<Vec<u8>, WarcError>;

    /// Reads the record a reference names.
    fn read(&self, capture: &CaptureRef) -> Result<WarcRecord, WarcError> {
        let bytes = self.raw(capture)?;
        warc::read_record_from(BufReader::new(bytes.as_slice()), Path::new(&capture.file), capture.offset)
    }

    /// The stored capture files or objects, for `verify`: names as they appear in references.
    fn units(&self) -> Result<Vec<String>, WarcError>;

    /// How a unit is named to people: an object by its URL, a file by its path.
    fn describe(&self, unit: &str) -> String {
        unit.to_owned()
    }

    /// Hands every record of one unit to `visit`, damaged ones as errors (see [`warc::scan`]).
    fn scan(&self, unit: &str, visit: &mut dyn FnMut(Result<IndexedRecord, WarcError>)) -> Result<(), WarcError>;
}

/// WARC files under the archive's capture folder.
#[derive(Debug, Clone)]
pub struct LocalCaptures {
    pub folder: PathBuf,
}

impl CaptureStore for LocalCaptures {
    fn write(&self, name: &str, batch: &Batch<'_>) -> Result<Vec<CaptureRef>, WarcError> {
        std::fs::create_dir_all(&self.folder).map_err(|source| WarcError::Io { path: self.folder.clone(), source })?;
        warc::append_captures(&self.folder.join(name), batch)
    }

    fn raw(&self, capture: &CaptureRef) -> Result<Vec<u8>, WarcError> {
        use std::io::{Read, Seek, SeekFrom};
        let path = self.folder.join(&capture.file);
        let io_err = |source| WarcError::Io { path: path.clone(), source };
        // A capture file is a plain name inside the capture folder.
        if Path::new(&capture.file).file_name().and_then(|n| n.to_str()) != Some(capture.file.as_str()) {
            return Err(WarcError::Corrupt {
                path: path.clone(),
                offset: capture.offset,
                reason: format!("capture file name {:?} is not a plain file name", capture.file),
            });
        }
        let mut options = std::fs::OpenOptions::new();
        options.read(true);
        let mut file = super::open_regular(&options, &path).map_err(io_err)?;
        let len = file.metadata().map_err(io_err)?.len();
        if capture.offset.checked_add(capture.length).is_none_or(|end| end > len) {
            return Err(WarcError::Truncated { path: path.clone(), offset: capture.offset });
        }
        file.seek(SeekFrom::Start(capture.offset)).map_err(io_err)?;
        let mut bytes = Vec::with_capacity(usize::try_from(capture.length.min(1 << 24)).unwrap_or(0));
        file.take(capture.length).read_to_end(&mut bytes).map_err(io_err)?;
        Ok(bytes)
    }

    fn units(&self) -> Result<Vec<String>, WarcError> {
        let files = super::ledger::capture_files(&self.folder)
            .map_err(|e| WarcError::Io { path: self.folder.clone(), source: std::io::Error::other(e.to_string()) })?;
        Ok(files.iter().filter_map(|p| Some(p.file_name()?.to_str()?.to_owned())).collect())
    }

    fn describe(&self, unit: &str) -> String {
        self.folder.join(unit).display().to_string()
    }

    fn scan(&self, unit: &str, visit: &mut dyn FnMut(Result<IndexedRecord, WarcError>)) -> Result<(), WarcError> {
        warc::scan(&self.folder.join(unit), visit)
    }
}

/// One object per batch in an `s3://bucket/prefix`.
#[derive(Debug, Clone)]
pub struct ObjectCaptures {
    bucket: Bucket,
    env: S3Env,
}

impl ObjectCaptures {
    pub fn open(url: &ObjectUrl, env: &S3Env) -> Result<ObjectCaptures, ObjectError> {
        Ok(ObjectCaptures { bucket: Bucket::open(url, env)?, env: env.clone() })
    }

    /// The bucket and key a reference names, with a client for that bucket (this store's,
    /// or one made for another bucket an older reference names).
    fn locate(&self, file: &str) -> Result<(Bucket, String), WarcError> {
        let own = self.bucket.url_of("");
        if let Some(key) = file.strip_prefix(&own) {
            return Ok((self.bucket.clone(), key.to_owned()));
        }
        let rest = file.strip_prefix("s3://").ok_or_else(|| WarcError::Corrupt {
            path: PathBuf::from(file),
            offset: 0,
            reason: "a capture reference that is neither a file name nor an s3:// URL".to_owned(),
        })?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        let url = ObjectUrl { bucket: bucket.to_owned(), prefix: String::new() };
        Ok((Bucket::open(&url, &self.env)?, key.to_owned()))
    }
}

/// A new key for a batch's object: `<day>/feedkeeper-<uuid>.warc.gz`, where `<day>` comes
/// from the local file name the batch would have had (`feedkeeper-2026-12-06.warc.gz`).
pub fn object_key(name: &str) -> String {
    let day = name.trim_start_matches("feedkeeper-").trim_end_matches(".warc.gz");
    format!("{day}/feedkeeper-{}.warc.gz", uuid::Uuid::new_v4().simple())
}

impl CaptureStore for ObjectCaptures {
    fn write(&self, name: &str, batch: &Batch<'_>) -> Result<Vec<CaptureRef>, WarcError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        // A fresh key per batch: the put-if-absent only guards against a foreign writer.
        let key = object_key(name);
        let url = self.bucket.url_of(&key);
        let file_name = key.rsplit('/').next().unwrap_or(&key);
        let (bytes, mut refs) = warc::encode_captures(file_name, 0, batch)
            .map_err(|source| WarcError::Io { path: PathBuf::from(&url), source })?;
        self.bucket.put_new(&key, bytes)?;
        for r in &mut refs {
            r.file = url.clone();
        }
        Ok(refs)
    }

    fn raw(&self, capture: &CaptureRef) -> Result<Vec<u8>, WarcError> {
        let (bucket, key) = self.locate(&capture.file)?;
        let end = capture
            .offset
            .checked_add(capture.length)
            .ok_or_else(|| WarcError::Truncated { path: PathBuf::from(&capture.file), offset: capture.offset })?;
        Ok(bucket.get_range(&key, capture.offset..end)?)
    }

    fn units(&self) -> Result<Vec<String>, WarcError> {
        Ok(self
            .bucket
            .list("")?
            .into_iter()
            .filter(|o| o.key.ends_with(".warc.gz"))
            .map(|o| self.bucket.url_of(&o.key))
            .collect())
    }

    fn scan(&self, unit: &str, visit: &mut dyn FnMut(Result<IndexedRecord, WarcError>)) -> Result<(), WarcError> {
        let (bucket, key) = self.locate(unit)?;
        let bytes = bucket.get(&key)?;
        // The scanner reads files (it seeks to skip damaged members): a private temp copy.
        let temp = std::env::temp_dir().join(format!(
            "feedkeeper-verify-{}-{}.warc.gz",
            std::process::id(),
            &blake3::hash(unit.as_bytes()).to_hex()[..16]
        ));
        let io_err = |source| WarcError::Io { path: temp.clone(), source };
        std::fs::write(&temp, &bytes).map_err(io_err)?;
        let mut named = |found: Result<IndexedRecord, WarcError>| {
            visit(found.map_err(|e| rename_path(e, &temp, unit)));
        };
        let scanned = warc::scan(&temp, &mut named).map_err(|e| rename_path(e, &temp, unit));
        let _ = std::fs::remove_file(&temp);
        scanned
    }
}

/// An error about the temp copy `temp`, told about the object `unit` instead.
fn rename_path(e: WarcError, temp: &Path, unit: &str) -> WarcError {
    let swap = |path: PathBuf| if path == temp { PathBuf::from(unit) } else { path };
    match e {
        WarcError::Io { path, source } => WarcError::Io { path: swap(path), source },
        WarcError::Corrupt { path, offset, reason } => WarcError::Corrupt { path: swap(path), offset, reason },
        WarcError::Truncated { path, offset } => WarcError::Truncated { path: swap(path), offset },
        other => other,
    }
}

/// The archive's captures: new batches go to the configured store, and each reference is
/// read from where it says it lives (an `s3://` URL from object storage, a file name from the
/// capture folder).
#[derive(Debug, Clone)]
pub struct Captures {
    pub local: LocalCaptures,
    pub objects: Option<ObjectCaptures>,
    env: S3Env,
}

impl Captures {
    /// The captures of an archive whose capture folder is `folder`, written to `url` when set.
    pub fn new(folder: PathBuf, url: Option<&ObjectUrl>, env: &S3Env) -> Result<Captures, ObjectError> {
        let objects = url.map(|u| ObjectCaptures::open(u, env)).transpose()?;
        Ok(Captures { local: LocalCaptures { folder }, objects, env: env.clone() })
    }

    /// The store new captures are written to.
    fn target(&self) -> &dyn CaptureStore {
        match &self.objects {
            Some(o) => o,
            None => &self.local,
        }
    }

    /// The store that holds `file`'s records.
    fn holder(&self, file: &str) -> Result<Box<dyn CaptureStore + '_>, WarcError> {
        match (&self.objects, file.starts_with("s3://")) {
            (_, false) => Ok(Box::new(&self.local)),
            (Some(o), true) => Ok(Box::new(o)),
            (None, true) => {
                // A reference from when captures went to a bucket that is no longer configured.
                let rest = &file["s3://".len()..];
                let bucket = rest.split('/').next().unwrap_or_default();
                let url = ObjectUrl { bucket: bucket.to_owned(), prefix: String::new() };
                Ok(Box::new(ObjectCaptures::open(&url, &self.env)?))
            }
        }
    }
}

impl<T: CaptureStore + ?Sized> CaptureStore for &T {
    fn write(&self, name: &str, batch: &Batch<'_>) -> Result<Vec<CaptureRef>, WarcError> {
        (**self).write(name, batch)
    }
    fn raw(&self, capture: &CaptureRef) -> Result<Vec<u8>, WarcError> {
        (**self).raw(capture)
    }
    fn units(&self) -> Result<Vec<String>, WarcError> {
        (**self).units()
    }
    fn describe(&self, unit: &str) -> String {
        (**self).describe(unit)
    }
    fn scan(&self, unit: &str, visit: &mut dyn FnMut(Result<IndexedRecord, WarcError>)) -> Result<(), WarcError> {
        (**self).scan(unit, visit)
    }
}

impl CaptureStore for Captures {
    fn write(&self, name: &str, batch: &Batch<'_>) -> Result<Vec<CaptureRef>, WarcError> {
        self.target().write(name, batch)
    }

    fn raw(&self, capture: &CaptureRef) -> Result<Vec<u8>, WarcError> {
        self.holder(&capture.file)?.raw(capture)
    }

    /// The local files (there may be some from before captures went to a bucket), then the
    /// configured bucket's objects.
    fn units(&self) -> Result<Vec<String>, WarcError> {
        let mut units = self.local.units()?;
        if let Some(o) = &self.objects {
            units.extend(o.units()?);
        }
        Ok(units)
    }

    fn describe(&self, unit: &str) -> String {
        match self.holder(unit) {
            Ok(holder) => holder.describe(unit),
            Err(_) => unit.to_owned(),
        }
    }

    fn scan(&self, unit: &str, visit: &mut dyn FnMut(Result<IndexedRecord, WarcError>)) -> Result<(), WarcError> {
        self.holder(unit)?.scan(unit, visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::policy;

    fn batch_of<'a>(bodies: &'a [&'a str], at: DateTime<Utc>) -> Vec<(&'a str, DateTime<Utc>, Captured<'a>)> {
        bodies
            .iter()
            .map(|b| {
                ("https://example.org/a", at, Captured::Resource { content_type: "text/html", body: b.as_bytes() })
            })
            .collect()
    }

    /// The conformance suite every capture store passes: a batch written reads back record
    /// by record, digests intact, and shows up in the scan `verify` makes.
    fn conformance(store: &dyn CaptureStore) {
        let at = DateTime::parse_from_rfc3339("2026-12-06T06:00:00Z").expect("date").with_timezone(&Utc);
        let name = policy::capture_file_name(at);
        let bodies = ["<p>first page</p>", "<p>second page</p>"];
        let refs = store.write(&name, &batch_of(&bodies, at)).expect("write a batch");
        assert_eq!(refs.len(), 2);
        for (r, body) in refs.iter().zip(bodies) {
            let record = store.read(r).expect("read back");
            assert_eq!(record.block, body.as_bytes());
            assert_eq!(record.header("WARC-Record-ID"), Some(r.record_id.as_str()));
            record.verify_digests().expect("digests");
        }
        let units = store.units().expect("units");
        assert!(units.contains(&refs[0].file), "{units:?} lacks {}", refs[0].file);
        let mut seen = 0;
        store
            .scan(&refs[0].file, &mut |found| {
                found.expect("a whole record").record.verify_digests().expect("digests");
                seen += 1;
            })
            .expect("scan");
        assert_eq!(seen, 3, "warcinfo and two resource records");
    }

    #[test]
    fn local_captures_conform() {
        let tmp = tempfile::tempdir().expect("tmp");
        conformance(&LocalCaptures { folder: tmp.path().join("captures") });
    }

    #[test]
    fn object_captures_conform_and_name_the_object() {
        let bucket = crate::objects::test_bucket("captures", "caps/");
        let store = ObjectCaptures { env: S3Env::default(), bucket: bucket.clone() };
        conformance(&store);
        let at = Utc::now();
        let refs = store.write(&policy::capture_file_name(at), &batch_of(&["<p>x</p>"], at)).expect("write");
        let prefix = format!("s3://{}/caps/", bucket.location().bucket);
        assert!(refs[0].file.starts_with(&prefix) && refs[0].file.ends_with(".warc.gz"), "{}", refs[0].file);
    }

    #[test]
    fn mixed_references_read_from_where_they_live() {
        let tmp = tempfile::tempdir().expect("tmp");
        let bucket = crate::objects::test_bucket("mixed", "");
        let objects = ObjectCaptures { env: S3Env::default(), bucket };
        let at = Utc::now();
        let name = policy::capture_file_name(at);
        let local = LocalCaptures { folder: tmp.path().to_path_buf() };
        let old = local.write(&name, &batch_of(&["<p>local</p>"], at)).expect("local");
        let captures = Captures { local, objects: Some(objects), env: S3Env::default() };
        let new = captures.write(&name, &batch_of(&["<p>object</p>"], at)).expect("object");
        assert!(new[0].file.starts_with("s3://"));
        assert_eq!(captures.read(&old[0]).expect("local read").block, b"<p>local</p>");
        assert_eq!(captures.read(&new[0]).expect("object read").block, b"<p>object</p>");
        assert_eq!(captures.units().expect("units").len(), 2);
    }
}
