//! Content decoding (`gzip`, `deflate`, `br`) as the body streams in, with a hard cap.
//!
//! reqwest's own decompression is off so the wire bytes can be kept for WARC; this module
//! undoes the `Content-Encoding` codings chunk by chunk and stops the moment the decoded
//! size would pass the cap, so a compression bomb costs bounded memory and time. It knows
//! nothing of HTTP beyond the header value it is given.

use std::io::{self, Write};

use flate2::write::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};

/// Why decoding stopped.
#[derive(Debug)]
pub(crate) enum DecodeError {
    /// The decoded body would exceed the cap.
    TooLarge,
    /// A coding this client does not implement.
    Unsupported(String),
    /// The coded bytes are not valid for their coding.
    Invalid { coding: &'static str, source: io::Error },
}

/// The codings listed in a `Content-Encoding` value, in the order they were applied,
/// without `identity`.
pub(crate) fn codings(content_encoding: &str) -> Vec<String> {
    content_encoding
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect()
}

/// Where decoded bytes end up: a vector that refuses to grow past `limit`.
struct Sink {
    buf: Vec<u8>,
    limit: u64,
    overflowed: bool,
}

impl Write for Sink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.overflowed || self.buf.len() as u64 + data.len() as u64 > self.limit {
            self.overflowed = true;
            return Err(overflow());
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `deflate` as sent by real servers: zlib-wrapped per the RFC, or raw deflate (old IIS).
/// The first two bytes decide.
enum Deflate {
    Pending(Vec<u8>, Box<Stage>),
    Zlib(ZlibDecoder<Stage>),
    Raw(DeflateDecoder<Stage>),
}

/// One stage of the decoding chain; the outermost receives wire bytes.
enum Stage {
    Sink(Sink),
    Gzip(Box<MultiGzDecoder<Stage>>),
    Deflate(Box<Deflate>),
    Brotli(Box<brotli_decompressor::DecompressorWriter<Stage>>),
}

impl Stage {
    fn sink(&self) -> &Sink {
        match self {
            Stage::Sink(s) => s,
            Stage::Gzip(d) => d.get_ref().sink(),
            Stage::Brotli(d) => d.get_ref().sink(),
            Stage::Deflate(d) => match d.as_ref() {
                Deflate::Pending(_, next) => next.sink(),
                Deflate::Zlib(z) => z.get_ref().sink(),
                Deflate::Raw(r) => r.get_ref().sink(),
            },
        }
    }

    fn coding(&self) -> &'static str {
        match self {
            Stage::Sink(_) => "identity",
            Stage::Gzip(_) => "gzip",
            Stage::Deflate(_) => "deflate",
            Stage::Brotli(_) => "br",
        }
    }

    fn finish(self) -> io::Result<Sink> {
        match self {
            Stage::Sink(s) => Ok(s),
            Stage::Gzip(d) => d.finish()?.finish(),
            Stage::Brotli(d) => match d.into_inner() {
                Ok(next) => next.finish(),
                Err(next) if next.sink().overflowed => Err(overflow()),
                Err(_) => Err(io::Error::new(io::ErrorKind::InvalidData, "brotli stream is invalid or truncated")),
            },
            Stage::Deflate(d) => match *d {
                Deflate::Pending(head, next) => {
                    if head.is_empty() {
                        next.finish()
                    } else {
                        let mut z = DeflateDecoder::new(*next);
                        z.write_all(&head)?;
                        z.finish()?.finish()
                    }
                }
                Deflate::Zlib(z) => z.finish()?.finish(),
                Deflate::Raw(r) => r.finish()?.finish(),
            },
        }
    }
}

/// Marks the error a [`Sink`] returns when the cap is reached.
#[derive(Debug)]
struct Overflow;

impl std::fmt::Display for Overflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("decoded body exceeds the size limit")
    }
}

impl std::error::Error for Overflow {}

fn overflow() -> io::Error {
    io::Error::other(Overflow)
}

fn is_overflow(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Overflow>())
}

fn is_zlib_header(b0: u8, b1: u8) -> bool {
    (b0 & 0x0f) == 8 && (b0 >> 4) <= 7 && ((u16::from(b0) << 8) | u16::from(b1)) % 31 == 0
}

impl Write for Stage {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Stage::Sink(s) => s.write(data),
            Stage::Gzip(d) => d.write(data),
            Stage::Brotli(d) => d.write(data),
            Stage::Deflate(d) => {
                if let Deflate::Pending(head, next) = d.as_mut() {
                    head.extend_from_slice(data);
                    if head.len() < 2 {
                        return Ok(data.len());
                    }
                    let placeholder = Stage::Sink(Sink { buf: Vec::new(), limit: 0, overflowed: false });
                    let next = std::mem::replace(next, Box::new(placeholder));
                    let head = std::mem::take(head);
                    let mut decided = if is_zlib_header(head[0], head[1]) {
                        Deflate::Zlib(ZlibDecoder::new(*next))
                    } else {
                        Deflate::Raw(DeflateDecoder::new(*next))
                    };
                    match &mut decided {
                        Deflate::Zlib(z) => z.write_all(&head)?,
                        Deflate::Raw(r) => r.write_all(&head)?,
                        Deflate::Pending(..) => {}
                    }
                    **d = decided;
                    return Ok(data.len());
                }
                match d.as_mut() {
                    Deflate::Zlib(z) => z.write(data),
                    Deflate::Raw(r) => r.write(data),
                    Deflate::Pending(..) => Ok(data.len()),
                }
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A streaming decoder for one response body.
pub(crate) struct Decoder {
    chain: Stage,
    outermost: &'static str,
}

impl Decoder {
    /// A decoder for the codings of `Content-Encoding` (in applied order), capping the
    /// decoded output at `limit` bytes.
    pub(crate) fn new(codings: &[String], limit: u64) -> Result<Self, DecodeError> {
        let mut chain = Stage::Sink(Sink { buf: Vec::new(), limit, overflowed: false });
        for coding in codings {
            chain = match coding.as_str() {
                "gzip" | "x-gzip" => Stage::Gzip(Box::new(MultiGzDecoder::new(chain))),
                "deflate" => Stage::Deflate(Box::new(Deflate::Pending(Vec::new(), Box::new(chain)))),
                "br" => Stage::Brotli(Box::new(brotli_decompressor::DecompressorWriter::new(chain, 32 * 1024))),
                other => return Err(DecodeError::Unsupported(other.to_owned())),
            };
        }
        let outermost = chain.coding();
        Ok(Decoder { chain, outermost })
    }

    fn classify(&self, source: io::Error) -> DecodeError {
        if self.chain.sink().overflowed || is_overflow(&source) {
            DecodeError::TooLarge
        } else {
            DecodeError::Invalid { coding: self.outermost, source }
        }
    }

    /// Feeds wire bytes in.
    pub(crate) fn push(&mut self, wire: &[u8]) -> Result<(), DecodeError> {
        match self.chain.write_all(wire) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.classify(e)),
        }
    }

    /// Ends the stream and returns the decoded body.
    pub(crate) fn finish(self) -> Result<Vec<u8>, DecodeError> {
        let outermost = self.outermost;
        // Learn whether the sink overflowed before `finish` consumes the chain.
        let was_over = self.chain.sink().overflowed;
        match self.chain.finish() {
            Ok(sink) => Ok(sink.buf),
            Err(e) if was_over || is_overflow(&e) => Err(DecodeError::TooLarge),
            Err(source) => Err(DecodeError::Invalid { coding: outermost, source }),
        }
    }
}

/// Decodes a whole body at once (tests).
#[cfg(test)]
pub(crate) fn decode_all(content_encoding: &str, wire: &[u8], limit: u64) -> Result<Vec<u8>, DecodeError> {
    let mut d = Decoder::new(&codings(content_encoding), limit)?;
    for chunk in wire.chunks(8 * 1024) {
        d.push(chunk)?;
    }
    d.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/fetch/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).expect("gzip");
        e.finish().expect("gzip")
    }

    #[test]
    fn gzip_and_brotli_fixtures_decode_to_the_page() {
        let page = fixture("page.html");
        assert_eq!(decode_all("gzip", &fixture("page.html.gz"), 1 << 20).expect("gzip"), page);
        assert_eq!(decode_all("br", &fixture("page.html.br"), 1 << 20).expect("br"), page);
        assert_eq!(decode_all("x-gzip", &fixture("page.html.gz"), 1 << 20).expect("x-gzip"), page);
    }

    #[test]
    fn deflate_zlib_and_raw_both_decode() {
        let page = fixture("page.html");
        let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
        z.write_all(&page).expect("zlib");
        let zlib = z.finish().expect("zlib");
        let mut r = DeflateEncoder::new(Vec::new(), Compression::default());
        r.write_all(&page).expect("raw");
        let raw = r.finish().expect("raw");
        assert_eq!(decode_all("deflate", &zlib, 1 << 20).expect("zlib"), page);
        assert_eq!(decode_all("deflate", &raw, 1 << 20).expect("raw"), page);
        // One byte at a time exercises the two-byte sniff across pushes.
        let mut d = Decoder::new(&codings("deflate"), 1 << 20).expect("decoder");
        for b in &zlib {
            d.push(std::slice::from_ref(b)).expect("push");
        }
        assert_eq!(d.finish().expect("finish"), page);
    }

    #[test]
    fn stacked_codings_decode_in_reverse() {
        let page = fixture("page.html");
        let twice = gzip(&gzip(&page));
        assert_eq!(decode_all("gzip, gzip", &twice, 1 << 20).expect("stacked"), page);
        assert_eq!(decode_all("identity", &page, 1 << 20).expect("id"), page);
    }

    #[test]
    fn bombs_stop_at_the_cap() {
        for name in ["zeros-64MiB.gz", "zeros-64MiB.br"] {
            let coding = if name.ends_with(".gz") { "gzip" } else { "br" };
            let wire = fixture(name);
            assert!(wire.len() < 200_000, "{name} should be small on the wire");
            match decode_all(coding, &wire, 1 << 20) {
                Err(DecodeError::TooLarge) => {}
                other => panic!("{name}: expected TooLarge, got {:?}", other.map(|b| b.len())),
            }
        }
    }

    #[test]
    fn exact_limit_is_allowed() {
        let data = vec![b'a'; 1000];
        assert_eq!(decode_all("gzip", &gzip(&data), 1000).expect("fits"), data);
        assert!(matches!(decode_all("gzip", &gzip(&data), 999), Err(DecodeError::TooLarge)));
    }

    #[test]
    fn garbage_is_an_invalid_coding() {
        for coding in ["gzip", "br"] {
            match decode_all(coding, b"<html>not compressed at all</html>", 1 << 20) {
                Err(DecodeError::Invalid { coding: c, .. }) => assert_eq!(c, coding),
                other => panic!("{coding}: expected Invalid, got {:?}", other.map(|b| b.len())),
            }
        }
        assert!(matches!(
            decode_all("zstd", b"x", 10),
            Err(DecodeError::Unsupported(c)) if c == "zstd"
        ));
    }

    proptest::proptest! {
        #[test]
        fn gzip_round_trips_any_bytes(data in proptest::collection::vec(proptest::num::u8::ANY, 0..4096)) {
            proptest::prop_assert_eq!(decode_all("gzip", &gzip(&data), 1 << 20).expect("decode"), data);
        }

        #[test]
        fn random_input_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            for coding in ["gzip", "deflate", "br"] {
                let _ = decode_all(coding, &data, 1 << 16);
            }
        }
    }
}
