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

    /// Reads a stored ZIP back by its central directory: (name, bytes), checking CRCs and
    /// that each local header agrees. Small, for tests only.
    fn read_zip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]) as usize;
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4")) as usize;
        let eocd = bytes.len() - 22;
        assert_eq!(u32_at(eocd), END_OF_CENTRAL as usize);
        let (count, mut at) = (u16_at(eocd + 10), u32_at(eocd + 16));
        let mut out = Vec::new();
        for _ in 0..count {
            assert_eq!(u32_at(at), CENTRAL_HEADER as usize);
            let (crc, size, name_len, extra_len) = (u32_at(at + 16), u32_at(at + 20), u16_at(at + 28), u16_at(at + 30));
            let local = u32_at(at + 42);
            let name = String::from_utf8(bytes[at + 46..at + 46 + name_len].to_vec()).expect("name");
            assert_eq!(u32_at(local), LOCAL_HEADER as usize);
            assert_eq!(u32_at(local + 14), crc, "local CRC patched");
            let local_extra = u16_at(local + 28);
            let zip64_size = u64::from_le_bytes(bytes[local + 30 + name_len + 4..][..8].try_into().expect("8"));
            assert_eq!(zip64_size, size as u64);
            let start = local + 30 + name_len + local_extra;
            let data = bytes[start..start + size].to_vec();
            assert_eq!(crc32fast::hash(&data) as usize, crc);
            out.push((name, data));
            at += 46 + name_len + extra_len;
        }
        out
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
        let mut raw = Vec::new();
        Cursor::new(&bytes).read_to_end(&mut raw).expect("read");
        assert_eq!(raw, bytes);
    }

    #[test]
    fn dos_times_round_down_to_two_seconds() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-12-06T03:04:05Z").expect("date").to_utc();
        assert_eq!(dos_time(t), ((46 << 9) | (12 << 5) | 6, (3 << 11) | (4 << 5) | 2));
        let old = chrono::DateTime::parse_from_rfc3339("1970-01-01T00:00:00Z").expect("date").to_utc();
        assert_eq!(dos_time(old), ((1 << 5) | 1, 0));
    }
}
