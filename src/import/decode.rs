//! Bytes of an article file → text. UTF-8 (with or without a byte-order mark) and UTF-16
//! with a byte-order mark are read as such; other bytes that are not binary are read as
//! Windows-1252, unless they are clearly in a non-Latin legacy encoding (Arabic, Persian,
//! Cyrillic, Greek, Hebrew, CJK), which `chardetng` recognises. Line endings become `\n`.
//!
//! It only decodes: it must not interpret the text (that is the readers' job).

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, WINDOWS_1252};

use crate::charset::guess_legacy;

/// Why the bytes are not an article's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Undecodable {
    /// No bytes, or nothing but whitespace.
    Empty,
    /// Not text: the reason, for the error message.
    Binary(&'static str),
}

/// Decodes a file's bytes into text with `\n` line endings, byte-order marks and stray
/// control characters removed.
pub(super) fn decode(bytes: &[u8]) -> Result<String, Undecodable> {
    if bytes.is_empty() {
        return Err(Undecodable::Empty);
    }
    let text = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        match std::str::from_utf8(rest) {
            Ok(s) => s.to_string(),
            // Marked as UTF-8 but not quite: keep what decodes, mark the rest.
            Err(_) => String::from_utf8_lossy(rest).into_owned(),
        }
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        utf16(UTF_16LE, rest)?
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        utf16(UTF_16BE, rest)?
    } else {
        if bytes.contains(&0) {
            return Err(Undecodable::Binary("it contains NUL bytes"));
        }
        match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(_) => legacy(bytes),
        }
    };
    let text = clean(&text)?;
    if text.trim().is_empty() {
        return Err(Undecodable::Empty);
    }
    Ok(text)
}

/// Decodes a saved HTML page: empty and binary files are refused as for text; the
/// charset is decided as for any fetched page ([`crate::extract::decode_page`]: byte-order
/// mark, declared charset, UTF-8, guess); line endings and stray controls are cleaned.
pub(super) fn decode_html(bytes: &[u8]) -> Result<String, Undecodable> {
    if bytes.is_empty() {
        return Err(Undecodable::Empty);
    }
    let utf16_bom = bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF");
    if bytes.contains(&0) && !utf16_bom {
        return Err(Undecodable::Binary("it contains NUL bytes"));
    }
    let text = clean(&crate::extract::decode_page(bytes, None))?;
    if text.trim().is_empty() { Err(Undecodable::Empty) } else { Ok(text) }
}

fn utf16(encoding: &'static Encoding, bytes: &[u8]) -> Result<String, Undecodable> {
    encoding
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|s| s.into_owned())
        .ok_or(Undecodable::Binary("it starts with a UTF-16 byte-order mark but is not valid UTF-16"))
}

/// Decodes bytes that are not UTF-8: Windows-1252 unless `chardetng` recognises a
/// non-Latin script's legacy encoding.
fn legacy(bytes: &[u8]) -> String {
    let guess = guess_legacy(bytes);
    let encoding = if is_latin(guess) { WINDOWS_1252 } else { guess };
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    text.into_owned()
}

/// Legacy encodings for Latin-script text, all read as Windows-1252 (the brief's fallback:
/// guessing between Latin code pages on a short text is less reliable than one rule).
fn is_latin(encoding: &'static Encoding) -> bool {
    matches!(
        encoding.name(),
        "windows-1250"
            | "windows-1252"
            | "windows-1254"
            | "windows-1257"
            | "windows-1258"
            | "ISO-8859-2"
            | "ISO-8859-4"
            | "ISO-8859-13"
            | "ISO-8859-15"
            | "UTF-8"
    )
}

/// Normalises line endings, removes byte-order marks and control characters, and rejects
/// text that is mostly control characters (a binary file without NUL bytes).
fn clean(text: &str) -> Result<String, Undecodable> {
    let mut out = String::with_capacity(text.len());
    let mut total = 0usize;
    let mut controls = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        total += 1;
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\n' | '\t' => out.push(c),
            '\u{2028}' | '\u{2029}' | '\u{0085}' => out.push('\n'),
            '\u{000C}' => out.push('\n'),
            '\u{FEFF}' | '\u{200B}' => {}
            '\0' => return Err(Undecodable::Binary("it contains NUL characters")),
            c if c.is_control() => controls += 1,
            c => out.push(c),
        }
    }
    // A few stray control characters happen in real text (a DOS end-of-file mark, a C1
    // byte in Windows-1252); many mean the file is not text.
    if controls * 4 > total || (controls > 8 && controls * 50 > total) {
        return Err(Undecodable::Binary("most of it is control characters"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode("Genève\r\nline".as_bytes()), Ok("Genève\nline".to_string()));
        assert_eq!(decode(b"\xEF\xBB\xBFGen\xC3\xA8ve"), Ok("Genève".to_string()));
    }

    #[test]
    fn windows_1252_fallback() {
        // “Garcés’ report” in Windows-1252.
        let bytes = b"\x93Garc\xE9s\x92 report\x94 \x96 Geneva";
        assert_eq!(decode(bytes), Ok("\u{201c}Garcés\u{2019} report\u{201d} \u{2013} Geneva".to_string()));
    }

    #[test]
    fn utf16_with_bom() {
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for unit in "Tahar Boumedra é\r\n".encode_utf16() {
            le.extend(unit.to_le_bytes());
            be.extend(unit.to_be_bytes());
        }
        assert_eq!(decode(&le), Ok("Tahar Boumedra é\n".to_string()));
        assert_eq!(decode(&be), Ok("Tahar Boumedra é\n".to_string()));
        assert!(matches!(decode(&[0xFF, 0xFE, 0x00, 0xD8]), Err(Undecodable::Binary(_))), "lone surrogate");
    }

    #[test]
    fn empty_and_binary() {
        assert_eq!(decode(b""), Err(Undecodable::Empty));
        assert_eq!(decode(b" \r\n\t\n"), Err(Undecodable::Empty));
        assert_eq!(decode(b"\xEF\xBB\xBF"), Err(Undecodable::Empty));
        assert!(matches!(decode(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Err(Undecodable::Binary(_))));
        assert!(matches!(decode(&[1, 2, 3, 4, 5, 6, 7, 8, b'a', b'b']), Err(Undecodable::Binary(_))));
        // One stray control character in real text is dropped, not fatal.
        assert_eq!(decode(b"Title\n\nBody text.\x1a"), Ok("Title\n\nBody text.".to_string()));
    }

    #[test]
    fn html_declares_its_charset() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1256.encode("<meta charset=\"windows-1256\"><p>اعدام زندانيان</p>");
        assert_eq!(decode_html(&bytes), Ok("<meta charset=\"windows-1256\"><p>اعدام زندانيان</p>".to_string()));
        let latin = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\"><p>Gen\xE8ve</p>";
        assert_eq!(
            decode_html(latin),
            Ok("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\"><p>Genève</p>".to_string())
        );
    }

    #[test]
    fn persian_legacy_text_is_not_read_as_latin() {
        // Persian text in windows-1256 (the Arabic-script code page), Arabic yeh throughout.
        let (bytes, _, unmappable) =
            encoding_rs::WINDOWS_1256.encode("اعدام زندانيان سياسي در تابستان و اعدام زندانيان");
        assert!(!unmappable);
        assert_eq!(decode(&bytes), Ok("اعدام زندانيان سياسي در تابستان و اعدام زندانيان".to_string()));
    }
}
