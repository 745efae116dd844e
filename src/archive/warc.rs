//! WARC/1.1 captures: append one fetched exchange as `request` + `response` records, and
//! read records back.
//!
//! Each record is its own gzip member, appended to a file opened for append under an
//! exclusive lock and fsynced, so earlier records are never rewritten. A failed append (a
//! full disk) cuts the file back to its length before the batch, so the file stays a
//! sequence of whole records that any WARC reader reads to the end; only a crash mid-write
//! can leave a truncated member at the end, which [`read_all`] skips. The file is opened
//! without following symlinks and only when it is a regular file
//! ([`crate::archive::open_regular`]), so a planted link never gets records appended to
//! whatever it points at. A new file starts
//! with a `warcinfo` record. Digests are `sha1:` + base32: the block digest over the whole
//! record block, the payload digest over the entity body as received (transfer-decoded,
//! still content-encoded). reqwest hands us a de-chunked body, so a `Transfer-Encoding`
//! header is stored renamed as `x-archive-orig-transfer-encoding`: the stored message then
//! says truthfully how its body is framed, and WARC readers agree on the payload digest.
//! The exchange itself comes from [`crate::fetch::Exchange`]; this module does no network
//! I/O and knows nothing of the database.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use sha1::{Digest, Sha1};

use crate::fetch::Exchange;

/// Most bytes a WARC header block may take before the record is called corrupt.
const MAX_HEADER_BYTES: u64 = 64 * 1024;

/// Where a stored response record is: enough to read it back with [`read_record`]. The
/// article model's type, so a capture reference is stored with the article as written.
pub use crate::article::CaptureRef;

/// One record read back: its WARC headers (in order, names as written) and block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarcRecord {
    /// The version line, e.g. `WARC/1.1`.
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub block: Vec<u8>,
}

/// A record with the place it was found, from [`read_all`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedRecord {
    pub offset: u64,
    /// Compressed length of the record's gzip member (uncompressed length for a plain
    /// WARC).
    pub length: u64,
    pub record: WarcRecord,
}

/// A failure writing or reading a WARC file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WarcError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{} at offset {offset}: not a valid WARC record: {reason}", path.display())]
    Corrupt { path: PathBuf, offset: u64, reason: String },
    #[error("{} at offset {offset}: record is truncated", path.display())]
    Truncated { path: PathBuf, offset: u64 },
    #[error("WARC record {record_id}: {header} does not match its content")]
    DigestMismatch { record_id: String, header: &'static str },
    /// Captures in object storage: the bucket could not be written or read.
    #[error(transparent)]
    Object(#[from] crate::objects::ObjectError),
}

impl WarcRecord {
    /// The first value of WARC header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// `WARC-Type`.
    pub fn record_type(&self) -> Option<&str> {
        self.header("WARC-Type")
    }

    /// For `request`/`response` records: the HTTP head (through the blank line) and body.
    pub fn http_parts(&self) -> Option<(&[u8], &[u8])> {
        let end = self.block.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
        Some(self.block.split_at(end))
    }

    /// Checks `WARC-Block-Digest` and `WARC-Payload-Digest` (payload = bytes after the
    /// HTTP head) where present. Only `sha1:` digests are checked; others are skipped.
    pub fn verify_digests(&self) -> Result<(), WarcError> {
        let mismatch = |header| WarcError::DigestMismatch {
            record_id: self.header("WARC-Record-ID").unwrap_or("?").to_owned(),
            header,
        };
        if let Some(d) = self.header("WARC-Block-Digest")
            && is_sha1(d)
            && !d.eq_ignore_ascii_case(&sha1_digest(&self.block))
        {
            return Err(mismatch("WARC-Block-Digest"));
        }
        if let Some(d) = self.header("WARC-Payload-Digest")
            && is_sha1(d)
        {
            // A resource record's payload is its whole block; an HTTP record's, the body.
            let payload = if self.record_type() == Some("resource") {
                &self.block[..]
            } else {
                self.http_parts().map(|(_, body)| body).unwrap_or_default()
            };
            if !d.eq_ignore_ascii_case(&sha1_digest(payload)) {
                return Err(mismatch("WARC-Payload-Digest"));
            }
        }
        Ok(())
    }
}

fn is_sha1(digest: &str) -> bool {
    digest.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("sha1:"))
}

/// `sha1:` + RFC 4648 base32 of the SHA-1 of `data`.
pub fn sha1_digest(data: &[u8]) -> String {
    let hash = Sha1::digest(data);
    format!("sha1:{}", data_encoding::BASE32.encode(hash.as_slice()))
}

fn new_record_id() -> String {
    format!("<urn:uuid:{}>", uuid::Uuid::new_v4())
}

fn warc_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Serialises one record (headers, block, the closing CRLF CRLF) as one gzip member.
fn gzip_record(headers: &[(&str, String)], block: &[u8]) -> io::Result<Vec<u8>> {
    let mut plain = Vec::with_capacity(block.len() + 512);
    plain.extend_from_slice(b"WARC/1.1\r\n");
    for (name, value) in headers {
        // Header values we write never contain CR or LF; strip them if a caller's did.
        let value: String = value.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        plain.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    plain.extend_from_slice(format!("Content-Length: {}\r\n", block.len()).as_bytes());
    plain.extend_from_slice(b"\r\n");
    plain.extend_from_slice(block);
    plain.extend_from_slice(b"\r\n\r\n");
    let mut gz = GzEncoder::new(Vec::with_capacity(plain.len() / 3 + 64), Compression::new(6));
    gz.write_all(&plain)?;
    gz.finish()
}

/// The response head as stored: a `Transfer-Encoding` line renamed, since the body we
/// hold is already de-chunked.
fn stored_response_head(head: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len() + 32);
    for line in head.split_inclusive(|&b| b == b'\n') {
        let is_te = line
            .iter()
            .position(|&b| b == b':')
            .is_some_and(|colon| line[..colon].trim_ascii().eq_ignore_ascii_case(b"transfer-encoding"));
        if is_te {
            out.extend_from_slice(b"x-archive-orig-");
            out.extend_from_slice(line.trim_ascii_start());
        } else {
            out.extend_from_slice(line);
        }
    }
    if !out.ends_with(b"\r\n\r\n") {
        while out.last().is_some_and(|b| *b == b'\r' || *b == b'\n') {
            out.pop();
        }
        out.extend_from_slice(b"\r\n\r\n");
    }
    out
}

/// Appends the `request` and `response` records of `exchange` to the WARC file at `path`
/// (created, with a `warcinfo` record, when missing) and returns where the response is.
pub fn append_exchange(
    path: &Path,
    target_uri: &str,
    fetched_at: DateTime<Utc>,
    exchange: &Exchange,
) -> Result<CaptureRef, WarcError> {
    let mut refs = append_exchanges(path, &[(target_uri, fetched_at, exchange)])?;
    refs.pop().ok_or_else(|| WarcError::Io { path: path.to_path_buf(), source: io::Error::other("no record written") })
}

/// [`append_exchange`] for many exchanges at once: one write and one fsync for all of
/// them (a check that archives many pages does not pay a disk flush per page). Returns
/// where each response is, in order.
pub fn append_exchanges(
    path: &Path,
    exchanges: &[(&str, DateTime<Utc>, &Exchange)],
) -> Result<Vec<CaptureRef>, WarcError> {
    let items: Vec<(&str, DateTime<Utc>, Captured<'_>)> =
        exchanges.iter().map(|(uri, at, exchange)| (*uri, *at, Captured::Http(exchange))).collect();
    append_captures(path, &items)
}

/// What one capture holds: an HTTP exchange (request and response records), or the bytes of
/// a local file that had no HTTP exchange (one `resource` record).
#[derive(Debug, Clone, Copy)]
pub enum Captured<'a> {
    Http(&'a Exchange),
    Resource { content_type: &'a str, body: &'a [u8] },
}

/// Appends one capture per item, each as its own gzip members, in one write and one fsync.
/// The returned references point at each item's response (or resource) record.
pub fn append_captures(
    path: &Path,
    items: &[(&str, DateTime<Utc>, Captured<'_>)],
) -> Result<Vec<CaptureRef>, WarcError> {
    let io_err = |source| WarcError::Io { path: path.to_path_buf(), source };
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io_err(io::Error::new(io::ErrorKind::InvalidInput, "no file name")))?
        .to_owned();
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    let mut file = crate::archive::open_regular(&options, path).map_err(io_err)?;
    file.lock().map_err(io_err)?;
    let start = file.metadata().map_err(io_err)?.len();
    let (out, refs) = encode_captures(&file_name, start, items).map_err(io_err)?;
    let written = file.write_all(&out).and_then(|()| file.sync_data());
    if let Err(e) = written {
        // Leave the file exactly as it was: a partial record would stop readers at it.
        if let Err(undo) = file.set_len(start).and_then(|()| file.sync_data()) {
            tracing::warn!(path = %path.display(), error = %undo, "cannot cut a failed WARC append back");
        }
        return Err(io_err(e));
    }
    if start == 0 {
        sync_parent(path);
    }
    // Dropping the file releases the lock.
    Ok(refs)
}

/// The bytes of one capture per item, each as its own gzip members, to be stored at offset
/// `start` of the WARC file (or object) `file_name`: a `warcinfo` record first when `start`
/// is 0. The references point at each item's response (or resource) record and name
/// `file_name`.
pub fn encode_captures(
    file_name: &str,
    start: u64,
    items: &[(&str, DateTime<Utc>, Captured<'_>)],
) -> io::Result<(Vec<u8>, Vec<CaptureRef>)> {
    let mut members = Vec::with_capacity(items.len());
    for (target_uri, fetched_at, captured) in items {
        let member = match captured {
            Captured::Http(exchange) => exchange_members(target_uri, *fetched_at, exchange),
            Captured::Resource { content_type, body } => {
                resource_member(target_uri, *fetched_at, content_type, body).map(|(m, id)| (Vec::new(), m, id))
            }
        };
        members.push(member?);
    }
    let total: usize = members.iter().map(|(q, r, _)| q.len() + r.len()).sum();
    let mut out = Vec::with_capacity(total + 512);
    if start == 0
        && let Some((_, first, _)) = items.first()
    {
        out.extend(warcinfo_member(file_name, &warc_date(*first))?);
    }
    let mut refs = Vec::with_capacity(members.len());
    for (request_member, response_member, response_id) in members {
        out.extend_from_slice(&request_member);
        let offset = start + out.len() as u64;
        out.extend_from_slice(&response_member);
        refs.push(CaptureRef {
            file: file_name.to_owned(),
            offset,
            length: response_member.len() as u64,
            record_id: response_id,
        });
    }
    Ok((out, refs))
}

/// The request and response records of one exchange, each a gzip member, and the
/// response's record id.
fn exchange_members(
    target_uri: &str,
    fetched_at: DateTime<Utc>,
    exchange: &Exchange,
) -> io::Result<(Vec<u8>, Vec<u8>, String)> {
    let date = warc_date(fetched_at);
    let request_id = new_record_id();
    let response_id = new_record_id();

    let mut common = vec![("WARC-Date", date), ("WARC-Target-URI", target_uri.to_owned())];
    if let Some(ip) = exchange.remote_ip {
        common.push(("WARC-IP-Address", ip.to_string()));
    }

    let request_block = &exchange.request_head;
    let mut request_headers = vec![("WARC-Type", "request".to_owned()), ("WARC-Record-ID", request_id.clone())];
    request_headers.extend(common.iter().cloned());
    request_headers.extend([
        ("WARC-Concurrent-To", response_id.clone()),
        ("Content-Type", "application/http;msgtype=request".to_owned()),
        ("WARC-Block-Digest", sha1_digest(request_block)),
        ("WARC-Payload-Digest", sha1_digest(b"")),
    ]);

    let mut response_block = stored_response_head(&exchange.response_head);
    response_block.extend_from_slice(&exchange.wire_body);
    let mut response_headers = vec![("WARC-Type", "response".to_owned()), ("WARC-Record-ID", response_id.clone())];
    response_headers.extend(common.iter().cloned());
    response_headers.extend([
        ("WARC-Concurrent-To", request_id),
        ("Content-Type", "application/http;msgtype=response".to_owned()),
        ("WARC-Block-Digest", sha1_digest(&response_block)),
        ("WARC-Payload-Digest", sha1_digest(&exchange.wire_body)),
    ]);

    let request_member = gzip_record(&request_headers, request_block)?;
    let response_member = gzip_record(&response_headers, &response_block)?;
    Ok((request_member, response_member, response_id))
}

/// A `resource` record for bytes read without HTTP (a local file), and its record id.
fn resource_member(
    target_uri: &str,
    fetched_at: DateTime<Utc>,
    content_type: &str,
    body: &[u8],
) -> io::Result<(Vec<u8>, String)> {
    let id = new_record_id();
    let headers = [
        ("WARC-Type", "resource".to_owned()),
        ("WARC-Record-ID", id.clone()),
        ("WARC-Date", warc_date(fetched_at)),
        ("WARC-Target-URI", target_uri.to_owned()),
        ("Content-Type", content_type.to_owned()),
        ("WARC-Block-Digest", sha1_digest(body)),
        ("WARC-Payload-Digest", sha1_digest(body)),
    ];
    Ok((gzip_record(&headers, body)?, id))
}

fn warcinfo_member(file_name: &str, date: &str) -> io::Result<Vec<u8>> {
    let fields = format!(
        "software: feedkeeper/{}\r\nformat: WARC File Format 1.1\r\n\
         conformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n",
        env!("CARGO_PKG_VERSION")
    );
    let headers = [
        ("WARC-Type", "warcinfo".to_owned()),
        ("WARC-Record-ID", new_record_id()),
        ("WARC-Date", date.to_owned()),
        ("WARC-Filename", file_name.to_owned()),
        ("Content-Type", "application/warc-fields".to_owned()),
        ("WARC-Block-Digest", sha1_digest(fields.as_bytes())),
    ];
    gzip_record(&headers, fields.as_bytes())
}

/// Makes a newly created file's directory entry durable; best effort.
fn sync_parent(path: &Path) {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(dir) = File::open(parent)
        && let Err(e) = dir.sync_all()
    {
        tracing::debug!(path = %parent.display(), error = %e, "directory fsync failed");
    }
}

/// A `BufRead` that counts the bytes consumed, to learn where a gzip member ended.
struct Counting<R> {
    inner: R,
    consumed: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.consumed += amt as u64;
        self.inner.consume(amt);
    }
}

/// Reads one record (headers and block) from a decoded stream.
fn parse_record(r: &mut impl BufRead, path: &Path, offset: u64) -> Result<WarcRecord, WarcError> {
    let corrupt = |reason: String| WarcError::Corrupt { path: path.to_path_buf(), offset, reason };
    let read_err = |e: io::Error| match e.kind() {
        io::ErrorKind::UnexpectedEof => WarcError::Truncated { path: path.to_path_buf(), offset },
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => corrupt(e.to_string()),
        _ => WarcError::Io { path: path.to_path_buf(), source: e },
    };
    let mut limited = r.take(MAX_HEADER_BYTES);
    let mut line = Vec::new();
    let mut version = None;
    let mut headers: Vec<(String, String)> = Vec::new();
    loop {
        line.clear();
        let n = limited.read_until(b'\n', &mut line).map_err(read_err)?;
        if n == 0 {
            return Err(if version.is_none() && headers.is_empty() {
                WarcError::Truncated { path: path.to_path_buf(), offset }
            } else {
                corrupt("header block not terminated".to_owned())
            });
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if version.is_none() {
            if !text.starts_with("WARC/") {
                return Err(corrupt(format!("expected a WARC version line, got {text:?}")));
            }
            version = Some(text.to_owned());
            continue;
        }
        if text.is_empty() {
            break;
        }
        if text.starts_with([' ', '\t']) {
            // Folded continuation of the previous header (allowed by WARC/1.0).
            if let Some((_, v)) = headers.last_mut() {
                v.push(' ');
                v.push_str(text.trim());
            }
            continue;
        }
        let (name, value) =
            text.split_once(':').ok_or_else(|| corrupt(format!("header line without a colon: {text:?}")))?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let r = limited.into_inner();
    let length: u64 = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
        .and_then(|(_, v)| v.parse().ok())
        .ok_or_else(|| corrupt("missing or invalid Content-Length".to_owned()))?;
    let mut block = Vec::with_capacity(usize::try_from(length.min(1 << 24)).unwrap_or(0));
    r.take(length).read_to_end(&mut block).map_err(read_err)?;
    if (block.len() as u64) < length {
        return Err(WarcError::Truncated { path: path.to_path_buf(), offset });
    }
    Ok(WarcRecord { version: version.unwrap_or_default(), headers, block })
}

/// Reads one record at `offset` (a gzip member, or plain WARC text).
pub fn read_record(path: &Path, offset: u64) -> Result<WarcRecord, WarcError> {
    let io_err = |source| WarcError::Io { path: path.to_path_buf(), source };
    let mut file = File::open(path).map_err(io_err)?;
    file.seek(SeekFrom::Start(offset)).map_err(io_err)?;
    read_record_from(BufReader::new(file), path, offset)
}

/// Reads one record (a gzip member, or plain WARC text) from `reader`, which stands at
/// `offset` of `path` (both only name the record in errors): a ranged read of an object.
pub fn read_record_from(mut reader: impl BufRead, path: &Path, offset: u64) -> Result<WarcRecord, WarcError> {
    let io_err = |source| WarcError::Io { path: path.to_path_buf(), source };
    let gzipped = reader.fill_buf().map_err(io_err)?.starts_with(&[0x1f, 0x8b]);
    if gzipped {
        let mut gz = BufReader::new(flate2::bufread::GzDecoder::new(reader));
        parse_record(&mut gz, path, offset)
    } else {
        parse_record(&mut reader, path, offset)
    }
}

/// Reads every record in order. A truncated or corrupt member is skipped (with a warning)
/// by searching for the next gzip member, so a crash mid-append loses only that record.
pub fn read_all(path: &Path) -> Result<Vec<IndexedRecord>, WarcError> {
    let mut out = Vec::new();
    scan(path, |found| match found {
        Ok(record) => out.push(record),
        Err(e) => tracing::warn!(error = %e, "skipping a damaged WARC record"),
    })?;
    Ok(out)
}

/// Hands every record to `visit` in order, one at a time (memory stays bounded by one
/// record), and each damaged one as an error before skipping to the next gzip member. Only
/// a failure to read the file at all is returned.
pub fn scan(path: &Path, mut visit: impl FnMut(Result<IndexedRecord, WarcError>)) -> Result<(), WarcError> {
    let io_err = |source| WarcError::Io { path: path.to_path_buf(), source };
    let file = File::open(path).map_err(io_err)?;
    let len = file.metadata().map_err(io_err)?.len();
    let mut reader = Counting { inner: BufReader::new(file), consumed: 0 };
    while reader.consumed < len {
        let offset = reader.consumed;
        let head = reader.fill_buf().map_err(io_err)?;
        if head.is_empty() {
            break;
        }
        let result = if head.starts_with(&[0x1f, 0x8b]) {
            let mut gz = flate2::bufread::GzDecoder::new(&mut reader);
            let mut buffered = BufReader::new(&mut gz);
            // Drain the rest of the member (the record's closing CRLF CRLF and the gzip
            // trailer) so the next member starts where the reader stands.
            parse_record(&mut buffered, path, offset).and_then(|rec| {
                io::copy(&mut buffered, &mut io::sink())
                    .map(|_| rec)
                    .map_err(|_| WarcError::Truncated { path: path.to_path_buf(), offset })
            })
        } else if head.starts_with(b"WARC/") {
            let rec = parse_record(&mut reader, path, offset);
            // Plain WARC: skip the CRLF CRLF separator.
            skip_newlines(&mut reader).map_err(io_err)?;
            rec
        } else if head.iter().all(|b| *b == b'\r' || *b == b'\n') {
            let n = head.len();
            reader.consume(n);
            continue;
        } else {
            Err(WarcError::Corrupt {
                path: path.to_path_buf(),
                offset,
                reason: "neither a gzip member nor a WARC record".to_owned(),
            })
        };
        match result {
            Ok(record) => visit(Ok(IndexedRecord { offset, length: reader.consumed - offset, record })),
            Err(WarcError::Io { path, source }) => return Err(WarcError::Io { path, source }),
            Err(e) => {
                visit(Err(e));
                let next = next_member(path, offset + 1, len)?;
                let Some(next) = next else { break };
                reader = reopen_at(path, next)?;
            }
        }
    }
    Ok(())
}

fn skip_newlines(r: &mut Counting<BufReader<File>>) -> io::Result<()> {
    loop {
        let buf = r.fill_buf()?;
        let n = buf.iter().take_while(|b| **b == b'\r' || **b == b'\n').count();
        if n == 0 {
            return Ok(());
        }
        r.consume(n);
    }
}

fn reopen_at(path: &Path, offset: u64) -> Result<Counting<BufReader<File>>, WarcError> {
    let io_err = |source| WarcError::Io { path: path.to_path_buf(), source };
    let mut file = File::open(path).map_err(io_err)?;
    file.seek(SeekFrom::Start(offset)).map_err(io_err)?;
    Ok(Counting { inner: BufReader::new(file), consumed: offset })
}

/// The offset of the next gzip member header (`1f 8b 08`) at or after `from`.
fn next_member(path: &Path, from: u64, len: u64) -> Result<Option<u64>, WarcError> {
    let io_err = |source| WarcError::Io { path: path.to_path_buf(), source };
    let mut file = File::open(path).map_err(io_err)?;
    file.seek(SeekFrom::Start(from)).map_err(io_err)?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut pos = from;
    let mut window: Vec<u8> = Vec::new();
    while pos < len {
        let buf = reader.fill_buf().map_err(io_err)?;
        if buf.is_empty() {
            break;
        }
        let base = pos - window.len() as u64;
        window.extend_from_slice(buf);
        if let Some(i) = window.windows(3).position(|w| w == [0x1f, 0x8b, 0x08]) {
            return Ok(Some(base + i as u64));
        }
        let n = buf.len();
        reader.consume(n);
        pos += n as u64;
        let keep = window.len().min(2);
        window.drain(..window.len() - keep);
    }
    Ok(None)
}

#[cfg(test)]
mod resource_tests {
    use super::*;

    #[test]
    fn a_local_file_is_kept_as_a_resource_record_beside_http_captures() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("c.warc.gz");
        let body = b"<html><p>saved</p></html>";
        let at = chrono::DateTime::from_timestamp(1_536_883_200, 0).expect("time");
        let refs = append_captures(
            &path,
            &[("file:///srv/demo/pages/a.html", at, Captured::Resource { content_type: "text/html", body })],
        )
        .expect("append");
        let record = read_record(&path, refs[0].offset).expect("read");
        assert_eq!(record.record_type(), Some("resource"));
        assert_eq!(record.header("WARC-Target-URI"), Some("file:///srv/demo/pages/a.html"));
        assert_eq!(record.header("Content-Type"), Some("text/html"));
        assert_eq!(record.block, body);
        record.verify_digests().expect("digests");
        assert_eq!(refs[0].record_id, record.header("WARC-Record-ID").expect("id"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/fetch/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn exchange() -> Exchange {
        Exchange {
            request_head: b"GET /2018/09/14/geneva HTTP/1.1\r\nHost: news.example.org\r\n\
                User-Agent: feedkeeper/0.1.0\r\nAccept-Encoding: gzip, br\r\n\r\n"
                .to_vec(),
            response_head: b"HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\n\
                content-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n"
                .to_vec(),
            wire_body: fixture("page.html.gz"),
            remote_ip: Some(IpAddr::V4(Ipv4Addr::new(93, 184, 216, 34))),
        }
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(secs, 123_456_789).expect("time")
    }

    const URI: &str = "https://news.example.org/2018/09/14/geneva";

    #[test]
    fn digest_is_sha1_base32() {
        // Known value: SHA-1 of the empty string.
        assert_eq!(sha1_digest(b""), "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
    }

    #[test]
    fn a_batch_is_appended_with_one_write_and_reads_back_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("batch.warc.gz");
        let ex = exchange();
        let batch = [(URI, at(1_536_919_200), &ex), ("https://example.org/other", at(1_536_919_260), &ex)];
        let refs = append_exchanges(&path, &batch).expect("append");
        assert_eq!(refs.len(), 2);
        for (r, (uri, _, _)) in refs.iter().zip(&batch) {
            let rec = read_record(&path, r.offset).expect("record");
            assert_eq!(rec.header("WARC-Target-URI"), Some(*uri));
            assert_eq!(rec.header("WARC-Record-ID"), Some(r.record_id.as_str()));
            rec.verify_digests().expect("digests");
        }
        let types: Vec<String> = read_all(&path)
            .expect("read_all")
            .iter()
            .map(|r| r.record.record_type().unwrap_or("").to_string())
            .collect();
        assert_eq!(types, ["warcinfo", "request", "response", "request", "response"]);
        assert!(append_exchanges(&path, &[]).expect("empty").is_empty());
    }

    #[test]
    fn append_then_read_back_every_record() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("captures-2018.warc.gz");
        let first = append_exchange(&path, URI, at(1_536_919_200), &exchange()).expect("append");
        assert_eq!(first.file, "captures-2018.warc.gz");
        assert!(first.record_id.starts_with("<urn:uuid:") && first.record_id.ends_with('>'));
        let before = std::fs::read(&path).expect("read");
        let second = append_exchange(&path, URI, at(1_536_919_260), &exchange()).expect("append");
        let after = std::fs::read(&path).expect("read");
        assert_eq!(&after[..before.len()], &before[..], "earlier bytes never change");
        assert_eq!(second.offset + second.length, after.len() as u64);
        assert_eq!(
            first.offset + first.length,
            second.offset - {
                // the request member written before the second response
                let all = read_all(&path).expect("read_all");
                all[3].length
            }
        );

        let rec = read_record(&path, first.offset).expect("record");
        assert_eq!(rec.version, "WARC/1.1");
        assert_eq!(rec.record_type(), Some("response"));
        assert_eq!(rec.header("warc-record-id"), Some(first.record_id.as_str()));
        assert_eq!(rec.header("WARC-Target-URI"), Some(URI));
        assert_eq!(rec.header("WARC-Date"), Some("2018-09-14T10:00:00Z"));
        assert_eq!(rec.header("WARC-IP-Address"), Some("93.184.216.34"));
        assert_eq!(rec.header("Content-Type"), Some("application/http;msgtype=response"));
        assert_eq!(rec.header("Content-Length"), Some(rec.block.len().to_string().as_str()));
        rec.verify_digests().expect("digests");
        let (head, body) = rec.http_parts().expect("http");
        assert_eq!(body, fixture("page.html.gz").as_slice());
        let head = String::from_utf8_lossy(head);
        assert!(head.contains("\r\nx-archive-orig-transfer-encoding: chunked\r\n"), "{head}");
        assert!(!head.contains("\r\ntransfer-encoding"), "{head}");
        assert_eq!(rec.header("WARC-Payload-Digest"), Some(sha1_digest(&fixture("page.html.gz")).as_str()));

        let all = read_all(&path).expect("read_all");
        let types: Vec<_> = all.iter().map(|r| r.record.record_type().unwrap_or("")).collect();
        assert_eq!(types, ["warcinfo", "request", "response", "request", "response"]);
        assert_eq!(all[0].offset, 0);
        assert_eq!(all[0].record.header("WARC-Filename"), Some("captures-2018.warc.gz"));
        for r in &all {
            r.record.verify_digests().expect("every digest");
            assert_eq!(read_record(&path, r.offset).expect("by offset"), r.record);
        }
        assert_eq!((all[2].offset, all[2].length), (first.offset, first.length));
        assert_eq!((all[4].offset, all[4].length), (second.offset, second.length));
        // request and response point at each other
        assert_eq!(all[1].record.header("WARC-Concurrent-To"), all[2].record.header("WARC-Record-ID"));
        assert_eq!(all[2].record.header("WARC-Concurrent-To"), all[1].record.header("WARC-Record-ID"));
        assert_eq!(all[1].record.block, exchange().request_head);
        assert_eq!(all[1].record.header("Content-Type"), Some("application/http;msgtype=request"));
    }

    #[test]
    fn tampering_is_detected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.warc.gz");
        let cap = append_exchange(&path, URI, at(0), &exchange()).expect("append");
        let mut rec = read_record(&path, cap.offset).expect("record");
        rec.verify_digests().expect("intact");
        let last = rec.block.len() - 1;
        rec.block[last] ^= 1;
        assert!(matches!(rec.verify_digests(), Err(WarcError::DigestMismatch { header: "WARC-Block-Digest", .. })));
        // A body changed together with the block digest still fails on the payload.
        let mut rec = read_record(&path, cap.offset).expect("record");
        rec.block[last] ^= 1;
        let fixed = sha1_digest(&rec.block);
        for (n, v) in rec.headers.iter_mut() {
            if n == "WARC-Block-Digest" {
                *v = fixed.clone();
            }
        }
        assert!(matches!(rec.verify_digests(), Err(WarcError::DigestMismatch { header: "WARC-Payload-Digest", .. })));
    }

    #[test]
    fn a_crash_mid_append_loses_only_the_partial_record() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("crash.warc.gz");
        let first = append_exchange(&path, URI, at(0), &exchange()).expect("append");
        // Simulate a crash: half of a further gzip member reaches the disk.
        let member = gzip_record(&[("WARC-Type", "response".to_owned())], &[7u8; 5000]).expect("member");
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(&member[..member.len() / 2]).expect("partial");
        drop(f);
        let all = read_all(&path).expect("read_all");
        assert_eq!(all.len(), 3, "warcinfo, request, response survive");
        assert_eq!(read_record(&path, first.offset).expect("intact").record_type(), Some("response"));

        // The next append lands after the damage and is still found by a scan.
        let later = append_exchange(&path, URI, at(60), &exchange()).expect("append");
        let all = read_all(&path).expect("read_all");
        let ids: Vec<_> = all.iter().filter_map(|r| r.record.header("WARC-Record-ID")).collect();
        assert!(ids.contains(&first.record_id.as_str()));
        assert!(ids.contains(&later.record_id.as_str()));
        assert_eq!(all.len(), 5);
        let rec = read_record(&path, later.offset).expect("later");
        rec.verify_digests().expect("digests");
    }

    #[test]
    fn a_symlinked_capture_file_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let decoy = dir.path().join("decoy.txt");
        std::fs::write(&decoy, "precious").expect("decoy");
        let path = dir.path().join("feedkeeper-2026-01-01.warc.gz");
        std::os::unix::fs::symlink(&decoy, &path).expect("symlink");
        let err = append_exchange(&path, URI, at(0), &exchange()).expect_err("refused");
        let message = err.to_string();
        assert!(message.contains("feedkeeper-2026-01-01.warc.gz") && message.contains("symbolic link"), "{message}");
        assert_eq!(std::fs::read_to_string(&decoy).expect("decoy"), "precious");
    }

    /// Fills a small tmpfs with captures until the disk is full: each failed append leaves the
    /// file exactly as the last good one did, and every record reads back with sound digests
    /// (with warcio too, when installed). Needs root for the mount; skipped otherwise.
    #[test]
    fn a_full_disk_leaves_no_partial_record() {
        let Some(disk) = crate::archive::small_disk::SmallDisk::mount("256k") else { return };
        let path = disk.path().join("full.warc.gz");
        // Incompressible bodies, so the disk fills after a few records.
        let mut x: u32 = 7;
        let mut noise = |n: usize| -> Vec<u8> {
            (0..n)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (x >> 16) as u8
                })
                .collect()
        };
        let mut good = 0;
        let mut failures = 0;
        for i in 0..200 {
            let before = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            let body = noise(20_000 + (i % 7) * 3_000);
            let item =
                (URI, at(i as i64), Captured::Resource { content_type: "application/octet-stream", body: &body });
            match append_captures(&path, &[item]) {
                Ok(_) => good += 1,
                Err(e) => {
                    failures += 1;
                    assert!(e.to_string().contains("full.warc.gz"), "{e}");
                    let after = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                    assert_eq!(after, before, "a failed append leaves the file as it was");
                    if failures >= 3 {
                        break;
                    }
                }
            }
        }
        assert!(failures > 0 && good > 0, "the disk filled after {good} captures");
        let mut records = 0;
        scan(&path, |found| {
            let found = found.expect("no damaged record");
            found.record.verify_digests().expect("digests");
            records += 1;
        })
        .expect("scan");
        assert_eq!(records, 1 + good, "warcinfo and one resource record per good capture");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/warc_check.py");
        let has_warcio =
            std::process::Command::new("python3").args(["-c", "import warcio"]).status().is_ok_and(|s| s.success());
        if has_warcio {
            let out = std::process::Command::new("python3").arg(script).arg(&path).output().expect("warc_check.py");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "warc_check.py failed:\n{text}{}", String::from_utf8_lossy(&out.stderr));
        } else {
            eprintln!("warcio not installed: the python interop check was skipped (Rust checks ran)");
        }
    }

    #[test]
    fn bad_offsets_and_missing_files_name_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.warc.gz");
        let cap = append_exchange(&path, URI, at(0), &exchange()).expect("append");
        let err = read_record(&path, cap.offset + 3).expect_err("mid-member");
        assert!(err.to_string().contains("x.warc.gz"), "{err}");
        let err = read_record(&dir.path().join("nope.warc.gz"), 0).expect_err("missing");
        assert!(matches!(&err, WarcError::Io { path, .. } if path.ends_with("nope.warc.gz")));
        let err = read_record(&path, u64::from(u32::MAX)).expect_err("past the end");
        assert!(matches!(err, WarcError::Truncated { .. }), "{err:?}");
    }

    #[test]
    fn plain_uncompressed_warc_is_readable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("plain.warc");
        let text = b"WARC/1.0\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:1>\r\n\
            Content-Length: 5\r\n\r\nhello\r\n\r\nWARC/1.0\r\nWARC-Type: resource\r\n\
            Content-Length: 2\r\n\r\nhi\r\n\r\n";
        std::fs::write(&path, text).expect("write");
        let all = read_all(&path).expect("read_all");
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].record.block, b"hello");
        assert_eq!(all[1].record.block, b"hi");
        assert_eq!(read_record(&path, all[1].offset).expect("second").block, b"hi");
    }

    /// Serves four canned responses on 127.0.0.1: chunked gzip, brotli with a length,
    /// plain text, and a 304.
    async fn canned_server() -> std::net::SocketAddr {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let gz = fixture("page.html.gz");
        let br = fixture("page.html.br");
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let (gz, br) = (gz.clone(), br.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let mut got = Vec::new();
                    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => got.extend_from_slice(&buf[..n]),
                        }
                    }
                    let line = String::from_utf8_lossy(&got).lines().next().unwrap_or("").to_owned();
                    let mut out = Vec::new();
                    if line.contains(" /gz ") {
                        out.extend_from_slice(
                            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\
                            Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                        );
                        for part in gz.chunks(100) {
                            out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
                            out.extend_from_slice(part);
                            out.extend_from_slice(b"\r\n");
                        }
                        out.extend_from_slice(b"0\r\n\r\n");
                    } else if line.contains(" /br ") {
                        out.extend_from_slice(
                            format!(
                                "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\
                            Content-Length: {}\r\nConnection: close\r\n\r\n",
                                br.len()
                            )
                            .as_bytes(),
                        );
                        out.extend_from_slice(&br);
                    } else if line.contains(" /304 ") {
                        out.extend_from_slice(b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nConnection: close\r\n\r\n");
                    } else {
                        out.extend_from_slice(
                            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\
                            Content-Length: 5\r\nConnection: close\r\n\r\nhello",
                        );
                    }
                    let _ = s.write_all(&out).await;
                    let _ = s.shutdown().await;
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn real_fetches_make_warcs_that_warcio_accepts() {
        use crate::fetch::{FetchRequest, Fetcher};
        let addr = canned_server().await;
        let fetcher = Fetcher::new(crate::fetch::FetchConfig::default()).expect("fetcher");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("real.warc.gz");
        let mut refs = Vec::new();
        for p in ["/gz", "/br", "/plain", "/304"] {
            let url = format!("http://{addr}{p}");
            let resp = fetcher.get(&FetchRequest::new(&url)).await.expect("fetch");
            let ex = resp.exchange.as_ref().expect("exchange");
            let cap = append_exchange(&path, &resp.final_url, resp.fetched_at, ex).expect("append");
            refs.push((cap, resp));
        }
        for (cap, resp) in &refs {
            let rec = read_record(&path, cap.offset).expect("record");
            rec.verify_digests().expect("digests");
            assert_eq!(rec.header("WARC-IP-Address"), Some("127.0.0.1"));
            let (_, body) = rec.http_parts().expect("http");
            let ex = resp.exchange.as_ref().expect("exchange");
            assert_eq!(body, ex.wire_body.as_slice());
        }
        assert_eq!(refs[0].1.body, fixture("page.html"));
        assert_eq!(read_all(&path).expect("all").len(), 9);

        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/warc_check.py");
        let has_warcio =
            std::process::Command::new("python3").args(["-c", "import warcio"]).status().is_ok_and(|s| s.success());
        if !has_warcio {
            eprintln!("warcio not installed: skipping the python interop check (Rust checks ran)");
            return;
        }
        let out = std::process::Command::new("python3").arg(script).arg(&path).output().expect("run warc_check.py");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "warc_check.py failed:\n{text}{}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("9 records, 9 with verified digests"), "{text}");
    }

    #[test]
    fn stored_head_renames_transfer_encoding_only() {
        let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nx-transfer-encoding-note: a\r\n\r\n";
        let out = String::from_utf8(stored_response_head(head)).expect("utf8");
        assert_eq!(
            out,
            "HTTP/1.1 200 OK\r\nx-archive-orig-Transfer-Encoding: chunked\r\nx-transfer-encoding-note: a\r\n\r\n"
        );
    }
}
