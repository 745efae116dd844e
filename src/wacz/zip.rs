//! A ZIP writer for WACZ: every entry *stored* (not deflated, so a replayer can read a WARC
//! record straight out of the package by byte range), streamed into a seekable file, with
//! ZIP64 where sizes or offsets pass 4 GiB. Each entry's CRC-32, SHA-256 and size are
//! computed while its bytes pass through, so nothing is held in memory and nothing is read
//! twice; the local header's CRC and sizes are patched once the entry is written.
//!
//! Only what WACZ needs of APPNOTE 6.3: no compression, no encryption, no data descriptors,
//! ASCII names. It knows nothing of WARC or of the archive.

use std::io::{self, Seek, SeekFrom, Write};

use sha2::{Digest, Sha256};

/// What a finished entry holds: its name, size and SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub size: u64,
    pub sha256: String,
    crc: u32,
    offset: u64,
}

/// A stored-only ZIP being written to `out`. Call [`ZipWriter::finish`] to write the central
/// directory; without it the file is no ZIP.
pub struct ZipWriter<W: Write + Seek> {
    out: W,
    /// Where the next byte goes (`out` is only ever appended to, except to patch headers).
    pos: u64,
    entries: Vec<Entry>,
    dos_time: (u16, u16),
}

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL: u32 = 0x0605_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
/// Version needed to extract: 4.5, ZIP64.
const VERSION: u16 = 45;
const MAX32: u64 = 0xFFFF_FFFF;

impl<W: Write + Seek> ZipWriter<W> {
    /// A writer whose entries all carry `time` (UTC) as their modification time.
    pub fn new(out: W, time: chrono::DateTime<chrono::Utc>) -> ZipWriter<W> {
        ZipWriter { out, pos: 0, entries: Vec::new(), dos_time: dos_time(time) }
    }

    /// Starts an entry named `name`; write its bytes to the returned [`EntryWriter`], then
    /// call [`EntryWriter::finish`].
    pub fn entry(&mut self, name: &str) -> io::Result<EntryWriter<'_, W>> {
        let offset = self.pos;
        // The local header always carries a ZIP64 extra field (sizes unknown yet); its
        // CRC and sizes are patched by `EntryWriter::finish`.
        let mut h = Vec::with_capacity(30 + name.len() + 20);
        h.extend(LOCAL_HEADER.to_le_bytes());
        h.extend(VERSION.to_le_bytes());
        h.extend(0u16.to_le_bytes()); // flags
        h.extend(0u16.to_le_bytes()); // stored
        h.extend(self.dos_time.1.to_le_bytes());
        h.extend(self.dos_time.0.to_le_bytes());
        h.extend(0u32.to_le_bytes()); // crc, patched
        h.extend(u32::MAX.to_le_bytes()); // sizes: in the ZIP64 field
        h.extend(u32::MAX.to_le_bytes());
        h.extend((name.len() as u16).to_le_bytes());
        h.extend(20u16.to_le_bytes());
        h.extend(name.as_bytes());
        h.extend(1u16.to_le_bytes()); // ZIP64 extra: original and compressed size, patched
        h.extend(16u16.to_le_bytes());
        h.extend([0u8; 16]);
        self.out.write_all(&h)?;
        self.pos += h.len() as u64;
        Ok(EntryWriter {
            zip: self,
            name: name.to_string(),
            offset,
            size: 0,
            crc: crc32fast::Hasher::new(),
            sha: Sha256::new(),
        })
    }

    /// The entries finished so far, in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Writes the central directory (with ZIP64 records when needed) and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        let start = self.pos;
        let mut dir = Vec::new();
        for e in &self.entries {
            let big = e.size >= MAX32 || e.offset >= MAX32;
            let mut extra = Vec::new();
            if big {
                extra.extend(1u16.to_le_bytes());
                extra.extend(24u16.to_le_bytes());
                extra.extend(e.size.to_le_bytes());
                extra.extend(e.size.to_le_bytes());
                extra.extend(e.offset.to_le_bytes());
            }
            let (size32, offset32) = if big { (u32::MAX, u32::MAX) } else { (e.size as u32, e.offset as u32) };
            dir.extend(CENTRAL_HEADER.to_le_bytes());
            dir.extend(VERSION.to_le_bytes()); // made by
            dir.extend(VERSION.to_le_bytes()); // needed
            dir.extend(0u16.to_le_bytes());
            dir.extend(0u16.to_le_bytes());
            dir.extend(self.dos_time.1.to_le_bytes());
            dir.extend(self.dos_time.0.to_le_bytes());
            dir.extend(e.crc.to_le_bytes());
            dir.extend(size32.to_le_bytes());
            dir.extend(size32.to_le_bytes());
            dir.extend((e.name.len() as u16).to_le_bytes());
            dir.extend((extra.len() as u16).to_le_bytes());
            dir.extend(0u16.to_le_bytes()); // comment
            dir.extend(0u16.to_le_bytes()); // disk
            dir.extend(0u16.to_le_bytes()); // internal attributes
            dir.extend(0u32.to_le_bytes()); // external attributes
            dir.extend(offset32.to_le_bytes());
            dir.extend(e.name.as_bytes());
            dir.extend(extra);
        }
        self.out.write_all(&dir)?;
        let dir_len = dir.len() as u64;
        let count = self.entries.len() as u64;
        let mut end = Vec::new();
        let zip64 = start >= MAX32 || count >= 0xFFFF;
        if zip64 {
            let record = start + dir_len;
            end.extend(ZIP64_END.to_le_bytes());
            end.extend(44u64.to_le_bytes());
            end.extend(VERSION.to_le_bytes());
            end.extend(VERSION.to_le_bytes());
            end.extend(0u32.to_le_bytes());
            end.extend(0u32.to_le_bytes());
            end.extend(count.to_le_bytes());
            end.extend(count.to_le_bytes());
            end.extend(dir_len.to_le_bytes());
            end.extend(start.to_le_bytes());
            end.extend(ZIP64_LOCATOR.to_le_bytes());
            end.extend(0u32.to_le_bytes());
            end.extend(record.to_le_bytes());
            end.extend(1u32.to_le_bytes());
        }
        let count16 = if zip64 { u16::MAX } else { count as u16 };
        end.extend(END_OF_CENTRAL.to_le_bytes());
        end.extend(0u16.to_le_bytes());
        end.extend(0u16.to_le_bytes());
        end.extend(count16.to_le_bytes());
        end.extend(count16.to_le_bytes());
        end.extend((dir_len.min(MAX32) as u32).to_le_bytes());
        end.extend((if zip64 { MAX32 } else { start } as u32).to_le_bytes());
        end.extend(0u16.to_le_bytes());
        self.out.write_all(&end)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// One entry being written: every byte goes to the file and through the CRC and SHA-256.
pub struct EntryWriter<'z, W: Write + Seek> {
    zip: &'z mut ZipWriter<W>,
    name: String,
    offset: u64,
    size: u64,
    crc: crc32fast::Hasher,
    sha: Sha256,
}

impl<W: Write + Seek> Write for EntryWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.zip.out.write(buf)?;
        self.crc.update(&buf[..n]);
        self.sha.update(&buf[..n]);
        self.size += n as u64;
        self.zip.pos += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.zip.out.flush()
    }
}

impl<W: Write + Seek> EntryWriter<'_, W> {
    /// Bytes written to this entry so far (offsets inside it, for an index).
    pub fn position(&self) -> u64 {
        self.size
    }

    /// Patches the local header with the CRC and sizes, and records the entry.
    pub fn finish(self) -> io::Result<Entry> {
        let crc = self.crc.finalize();
        let out = &mut self.zip.out;
        out.seek(SeekFrom::Start(self.offset + 14))?;
        out.write_all(&crc.to_le_bytes())?;
        out.seek(SeekFrom::Start(self.offset + 30 + self.name.len() as u64 + 4))?;
        out.write_all(&self.size.to_le_bytes())?;
        out.write_all(&self.size.to_le_bytes())?;
        out.seek(SeekFrom::Start(self.zip.pos))?;
        let entry =
            Entry { name: self.name, size: self.size, sha256: hex(&self.sha.finalize()), crc, offset: self.offset };
        self.zip.entries.push(entry.clone());
        Ok(entry)
    }
}

/// An entry found in a ZIP's central directory: where its stored bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub name: String,
    /// Compression method (0: stored).
    pub method: u16,
    pub crc32: u32,
    pub size: u64,
    /// Where the entry's data starts in the file (past its local header).
    pub data_offset: u64,
}

/// Lists a ZIP's entries from its central directory (ZIP64 included), as a replayer does
/// before reading a WARC record by range. Reads only the directory and the local headers.
pub fn locate<R: std::io::Read + Seek>(file: &mut R) -> io::Result<Vec<Located>> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("not a ZIP: {what}"));
    let len = file.seek(SeekFrom::End(0))?;
    let tail_len = len.min(22 + 0xFFFF);
    let mut tail = vec![0u8; tail_len as usize];
    file.seek(SeekFrom::Start(len - tail_len))?;
    file.read_exact(&mut tail)?;
    let eocd = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..i + 4] == END_OF_CENTRAL.to_le_bytes())
        .ok_or_else(|| bad("no end of central directory"))?;
    let le16 = |b: &[u8], i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let le32 = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let le64 = |b: &[u8], i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
    let mut count = u64::from(le16(&tail, eocd + 10));
    let mut dir_len = u64::from(le32(&tail, eocd + 12));
    let mut dir_at = u64::from(le32(&tail, eocd + 16));
    if dir_at == MAX32 || count == 0xFFFF {
        let loc =
            eocd.checked_sub(20).filter(|&l| le32(&tail, l) == ZIP64_LOCATOR).ok_or_else(|| bad("no ZIP64 locator"))?;
        let mut rec = [0u8; 56];
        file.seek(SeekFrom::Start(le64(&tail, loc + 8)))?;
        file.read_exact(&mut rec)?;
        if le32(&rec, 0) != ZIP64_END {
            return Err(bad("no ZIP64 end record"));
        }
        (count, dir_len, dir_at) = (le64(&rec, 32), le64(&rec, 40), le64(&rec, 48));
    }
    let mut dir = vec![0u8; usize::try_from(dir_len).map_err(|_| bad("directory too large"))?];
    file.seek(SeekFrom::Start(dir_at))?;
    file.read_exact(&mut dir)?;
    let mut out = Vec::new();
    let mut at = 0usize;
    for _ in 0..count {
        if dir.len() < at + 46 || le32(&dir, at) != CENTRAL_HEADER {
            return Err(bad("broken central directory"));
        }
        let (name_len, extra_len, comment_len) =
            (le16(&dir, at + 28) as usize, le16(&dir, at + 30) as usize, le16(&dir, at + 32) as usize);
        let name =
            String::from_utf8_lossy(dir.get(at + 46..at + 46 + name_len).ok_or_else(|| bad("name"))?).to_string();
        let mut size = u64::from(le32(&dir, at + 24));
        let mut offset = u64::from(le32(&dir, at + 42));
        let extra = dir.get(at + 46 + name_len..at + 46 + name_len + extra_len).ok_or_else(|| bad("extra"))?;
        let mut i = 0;
        while i + 4 <= extra.len() {
            let (id, n) = (le16(extra, i), le16(extra, i + 2) as usize);
            if id == 1 {
                let mut field = extra.get(i + 4..i + 4 + n).ok_or_else(|| bad("ZIP64 field"))?;
                let mut next = || -> io::Result<u64> {
                    let v = field.get(..8).map(|b| le64(b, 0)).ok_or_else(|| bad("ZIP64 field"))?;
                    field = &field[8..];
                    Ok(v)
                };
                if size == MAX32 {
                    size = next()?;
                }
                if u64::from(le32(&dir, at + 20)) == MAX32 {
                    next()?;
                }
                if offset == MAX32 {
                    offset = next()?;
                }
            }
            i += 4 + n;
        }
        let mut local = [0u8; 30];
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(&mut local)?;
        if le32(&local, 0) != LOCAL_HEADER {
            return Err(bad("broken local header"));
        }
        let data_offset = offset + 30 + u64::from(le16(&local, 26)) + u64::from(le16(&local, 28));
        out.push(Located { name, method: le16(&dir, at + 10), crc32: le32(&dir, at + 16), size, data_offset });
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// MS-DOS (date, time) of a UTC time; 1980-01-01 for anything earlier.
fn dos_time(t: chrono::DateTime<chrono::Utc>) -> (u16, u16) {
    use chrono::{Datelike, Timelike};
    if t.year() < 1980 {
        return ((1 << 5) | 1, 0);
    }
    let date = (((t.year() - 1980).min(127) as u16) << 9) | ((t.month() as u16) << 5) | t.day() as u16;
    let time = ((t.hour() as u16) << 11) | ((t.minute() as u16) << 5) | (t.second() as u16 / 2);
    (date, time)
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use super::*;

    /// Reads a stored ZIP back: (name, bytes), checking each CRC.
    fn read_zip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        locate(&mut Cursor::new(bytes))
            .expect("a ZIP")
            .into_iter()
            .map(|e| {
                assert_eq!(e.method, 0, "stored");
                let data = bytes[e.data_offset as usize..][..e.size as usize].to_vec();
                assert_eq!(crc32fast::hash(&data), e.crc32);
                (e.name, data)
            })
            .collect()
    }

    #[test]
    fn entries_are_stored_with_their_sizes_crcs_and_digests() {
        let when = chrono::DateTime::parse_from_rfc3339("2026-12-06T03:04:05Z").expect("date").to_utc();
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()), when);
        let mut a = zip.entry("archive/data.warc.gz").expect("entry");
        a.write_all(b"first part, ").expect("write");
        assert_eq!(a.position(), 12);
        a.write_all(b"second part").expect("write");
        let a = a.finish().expect("finish");
        assert_eq!(a.size, 23);
        assert_eq!(a.sha256, hex(&Sha256::digest(b"first part, second part")));
        zip.entry("empty.json").expect("entry").finish().expect("finish");
        let bytes = zip.finish().expect("finish").into_inner();
        let read = read_zip(&bytes);
        assert_eq!(
            read,
            vec![
                ("archive/data.warc.gz".to_string(), b"first part, second part".to_vec()),
                ("empty.json".to_string(), Vec::new())
            ]
        );
    }

    #[test]
    fn zip64_records_are_written_and_read_for_offsets_past_four_gib() {
        // A sparse "file": the entries start past 4 GiB, so the directory needs ZIP64.
        struct Sparse {
            pos: u64,
            len: u64,
            written: std::collections::BTreeMap<u64, u8>,
        }
        impl Write for Sparse {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                for (i, b) in buf.iter().enumerate() {
                    self.written.insert(self.pos + i as u64, *b);
                }
                self.pos += buf.len() as u64;
                self.len = self.len.max(self.pos);
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        impl Seek for Sparse {
            fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
                self.pos = match to {
                    SeekFrom::Start(p) => p,
                    SeekFrom::End(d) => self.len.checked_add_signed(d).expect("in range"),
                    SeekFrom::Current(d) => self.pos.checked_add_signed(d).expect("in range"),
                };
                Ok(self.pos)
            }
        }
        impl Read for Sparse {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min((self.len - self.pos) as usize);
                for (i, b) in buf[..n].iter_mut().enumerate() {
                    *b = self.written.get(&(self.pos + i as u64)).copied().unwrap_or(0);
                }
                self.pos += n as u64;
                Ok(n)
            }
        }
        let start = 5 << 30;
        let sparse = Sparse { pos: start, len: start, written: Default::default() };
        let mut zip = ZipWriter::new(sparse, chrono::Utc::now());
        zip.pos = start;
        let mut e = zip.entry("archive/data.warc.gz").expect("entry");
        e.write_all(b"record").expect("write");
        e.finish().expect("finish");
        let mut sparse = zip.finish().expect("finish");
        let found = locate(&mut sparse).expect("ZIP64 read");
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].size, found[0].data_offset), (6, start + 30 + 20 + 20));
    }

    #[test]
    fn dos_times_round_down_to_two_seconds() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-12-06T03:04:05Z").expect("date").to_utc();
        assert_eq!(dos_time(t), ((46 << 9) | (12 << 5) | 6, (3 << 11) | (4 << 5) | 2));
        let old = chrono::DateTime::parse_from_rfc3339("1970-01-01T00:00:00Z").expect("date").to_utc();
        assert_eq!(dos_time(old), ((1 << 5) | 1, 0));
    }
}
