//! Turns the response bytes of a feed into text exactly once, choosing the encoding the way
//! real feeds need: a byte-order mark first, then the HTTP `charset`, then the XML
//! declaration, then UTF-8; a declaration the bytes contradict is overruled (valid UTF-8
//! declared `ISO-8859-1`, windows-1252 bytes declared UTF-8, detected with `chardetng`).
//! Characters XML forbids are dropped here so no later step meets them.
//!
//! Bytes in, text and a list of repairs out: it never parses feed structure.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

use crate::charset::{charset_param, guess_legacy, is_utf16};

/// The decoded document and what was done to it.
#[derive(Debug)]
pub(crate) struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub repairs: Vec<String>,
}

/// Decodes `bytes` (a whole response body) given the HTTP `Content-Type`, if any.
pub(crate) fn decode<'a>(bytes: &'a [u8], content_type: Option<&str>) -> Decoded<'a> {
    let mut repairs = Vec::new();
    // A BOM may follow leading whitespace that a template printed before the document.
    let lead = bytes.iter().take(1024).take_while(|b| b.is_ascii_whitespace()).count();
    let (bom, bom_len) = match Encoding::for_bom(&bytes[lead..]) {
        Some((enc, len)) => (Some(enc), lead + len),
        None => (None, 0),
    };
    if bom.is_some() && lead > 0 {
        repairs.push("skipped whitespace before the byte-order mark".to_string());
    }
    let body = &bytes[bom_len..];
    let http = content_type.and_then(charset_param).and_then(|label| Encoding::for_label(label.as_bytes()));
    let declared = xml_declared_encoding(body);

    let (encoding, source) = match (bom, utf16_without_bom(body), http, declared) {
        (Some(enc), ..) => (enc, "byte-order mark"),
        (None, Some(enc), ..) => (enc, "UTF-16 layout"),
        // A UTF-16 label on bytes that are plainly ASCII-compatible is wrong.
        (None, None, Some(enc), _) if !is_utf16(enc) => (enc, "HTTP charset"),
        (None, None, _, Some(enc)) if !is_utf16(enc) => (enc, "XML declaration"),
        _ => (UTF_8, "default"),
    };

    if is_utf16(encoding) {
        let (text, had_errors) = encoding.decode_without_bom_handling(body);
        if had_errors {
            repairs.push(format!("replaced malformed {} sequences", encoding.name()));
        }
        return finish(text, repairs);
    }

    let declared_utf8 = http == Some(UTF_8) || declared == Some(UTF_8);
    match std::str::from_utf8(body) {
        Ok(text) if encoding == UTF_8 => finish(Cow::Borrowed(text), repairs),
        Ok(text) if text.is_ascii() => finish(Cow::Borrowed(text), repairs),
        Ok(text) => {
            // Valid multi-byte UTF-8 is never an accident of a legacy encoding: the
            // declaration is the mistake (Apache's default `charset=ISO-8859-1`, a copied
            // template declaration).
            let also = if declared_utf8 { ", the other declaration utf-8" } else { "" };
            repairs.push(format!("decoded as utf-8 ({source} said {}{also})", label(encoding)));
            finish(Cow::Borrowed(text), repairs)
        }
        Err(_) if encoding != UTF_8 => {
            let (text, _, had_errors) = encoding.decode(body);
            if had_errors {
                repairs.push(format!("replaced bytes that are not {}", label(encoding)));
            }
            finish(text, repairs)
        }
        Err(_) if declared.is_some_and(|d| d != UTF_8 && !is_utf16(d)) => {
            // The HTTP charset said UTF-8 and does not fit; the document's own declaration does.
            let enc = declared.unwrap_or(WINDOWS_1252);
            let (text, _) = enc.decode_without_bom_handling(body);
            repairs.push(format!("decoded as {} (XML declaration; {source} said utf-8)", label(enc)));
            finish(text, repairs)
        }
        Err(_) => {
            let (valid_multibyte, invalid) = utf8_census(body);
            if valid_multibyte >= invalid {
                // Mostly UTF-8 with stray windows-1252 bytes (a pasted curly quote).
                repairs.push(format!("decoded {invalid} bytes that are not UTF-8 as windows-1252 ({source}: utf-8)"));
                finish(Cow::Owned(mixed_utf8_cp1252(body)), repairs)
            } else {
                let guess = guess_legacy(body);
                let (text, _, _) = guess.decode(body);
                let said = if source == "default" { "no declaration" } else { "declared utf-8" };
                repairs.push(format!("decoded as {} ({said})", label(guess)));
                finish(text, repairs)
            }
        }
    }
}

fn label(enc: &'static Encoding) -> String {
    enc.name().to_ascii_lowercase()
}

/// Drops the characters XML 1.0 forbids (C0 controls other than tab, newline, return) and a
/// BOM left inside the text.
fn finish(text: Cow<'_, str>, mut repairs: Vec<String>) -> Decoded<'_> {
    let forbidden = |b: u8| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r');
    let bad = text.bytes().filter(|&b| forbidden(b)).count();
    let text = if bad > 0 {
        repairs.push(format!("removed {bad} control characters that XML forbids"));
        Cow::Owned(text.chars().filter(|&c| !(c.is_ascii() && forbidden(c as u8))).collect())
    } else {
        text
    };
    let text = match text.trim_start().strip_prefix('\u{feff}') {
        Some(rest) => Cow::Owned(rest.to_string()),
        None => text,
    };
    Decoded { text, repairs }
}

/// The `encoding` of an XML declaration at the start of ASCII-compatible bytes.
fn xml_declared_encoding(body: &[u8]) -> Option<&'static Encoding> {
    let start = body.iter().take(1024).position(|b| !b.is_ascii_whitespace())?;
    let head = &body[start..body.len().min(start + 512)];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    let value = &value[..value.find(quote)?];
    Encoding::for_label(value.trim().as_bytes())
}

/// UTF-16 recognised from the layout of `<?` or `<r` without a BOM.
fn utf16_without_bom(body: &[u8]) -> Option<&'static Encoding> {
    match body {
        [b'<', 0, c, 0, ..] if c.is_ascii_graphic() => Some(UTF_16LE),
        [0, b'<', 0, c, ..] if c.is_ascii_graphic() => Some(UTF_16BE),
        _ => None,
    }
}

/// Counts valid multi-byte UTF-8 sequences and invalid bytes.
fn utf8_census(mut bytes: &[u8]) -> (usize, usize) {
    let (mut valid, mut invalid) = (0, 0);
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                valid += s.chars().filter(|c| !c.is_ascii()).count();
                return (valid, invalid);
            }
            Err(e) => {
                let good = e.valid_up_to();
                valid += std::str::from_utf8(&bytes[..good]).map_or(0, |s| s.chars().filter(|c| !c.is_ascii()).count());
                let bad = e.error_len().unwrap_or(bytes.len() - good).max(1);
                invalid += bad;
                bytes = &bytes[good + bad..];
            }
        }
    }
}

/// Decodes UTF-8, reading each invalid byte as windows-1252.
fn mixed_utf8_cp1252(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 16);
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let good = e.valid_up_to();
                out.push_str(std::str::from_utf8(&bytes[..good]).unwrap_or_default());
                let bad = e.error_len().unwrap_or(bytes.len() - good).max(1);
                let (text, _) = WINDOWS_1252.decode_without_bom_handling(&bytes[good..good + bad]);
                out.push_str(&text);
                bytes = &bytes[good + bad..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8], ct: Option<&str>) -> (String, Vec<String>) {
        let d = decode(bytes, ct);
        (d.text.into_owned(), d.repairs)
    }

    #[test]
    fn utf8_passes_through_untouched() {
        let (t, r) = text("<?xml version=\"1.0\"?><a>é</a>".as_bytes(), None);
        assert_eq!(t, "<?xml version=\"1.0\"?><a>é</a>");
        assert!(r.is_empty());
    }

    #[test]
    fn latin1_declared_in_xml() {
        let (t, r) = text(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>", None);
        assert_eq!(t, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>café</a>");
        assert!(r.is_empty(), "{r:?}");
    }

    #[test]
    fn http_charset_wins_over_declaration() {
        let (t, _) =
            text(b"<?xml version=\"1.0\" encoding=\"utf-8\"?><a>caf\xe9</a>", Some("text/xml; charset=iso-8859-1"));
        assert!(t.contains("café"));
    }

    #[test]
    fn valid_utf8_overrules_a_legacy_label() {
        let (t, r) = text(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><a>café</a>".as_bytes(),
            Some("text/xml; charset=ISO-8859-1"),
        );
        assert!(t.contains("café"), "{t}");
        assert_eq!(r, vec!["decoded as utf-8 (HTTP charset said windows-1252, the other declaration utf-8)"]);
    }

    #[test]
    fn cp1252_bytes_declared_utf8() {
        let (t, r) = text(b"<?xml version=\"1.0\" encoding=\"utf-8\"?><a>\x93quoted\x94 caf\xe9</a>", None);
        assert!(t.contains("\u{201c}quoted\u{201d} café"), "{t}");
        assert_eq!(r.len(), 1, "{r:?}");
        let (t, r) = text(
            "<a>é and \u{2019} and ".as_bytes().iter().chain(b"\x92").copied().collect::<Vec<_>>().as_slice(),
            None,
        );
        assert!(t.ends_with("é and \u{2019} and \u{2019}"), "{t}");
        assert!(r[0].contains("1 bytes"), "{r:?}");
    }

    #[test]
    fn declaration_used_when_the_http_charset_does_not_fit() {
        let (t, r) = text(
            b"<?xml version=\"1.0\" encoding=\"windows-1256\"?><a>\xe3\xc4\xca\xe3\xd1</a>",
            Some("text/xml; charset=utf-8"),
        );
        assert!(t.contains("\u{645}\u{624}\u{62a}\u{645}\u{631}"), "{t}");
        assert_eq!(r, vec!["decoded as windows-1256 (XML declaration; HTTP charset said utf-8)"]);
    }

    #[test]
    fn legacy_bytes_without_any_declaration_are_sniffed() {
        let arabic = encoding_rs::WINDOWS_1256
            .encode("<a>مؤتمر في جنيف حول إعدامات عام 1988 عقد مؤتمر في جنيف بمشاركة ناجين وعائلات الضحايا</a>")
            .0;
        let (t, r) = text(&arabic, None);
        assert!(t.contains("مؤتمر في جنيف"), "{t}");
        assert_eq!(r, vec!["decoded as windows-1256 (no declaration)"]);
    }

    #[test]
    fn boms_and_utf16() {
        let (t, _) = text(b"\xEF\xBB\xBF<a/>", None);
        assert_eq!(t, "<a/>");
        let (t, r) = text(b"\n  \xEF\xBB\xBF<a/>", None);
        assert_eq!(t, "<a/>");
        assert_eq!(r.len(), 1);
        let utf16: Vec<u8> = "\u{feff}<a>é</a>".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(text(&utf16, Some("text/xml; charset=utf-8")).0, "<a>é</a>");
        let utf16be: Vec<u8> =
            "<?xml version='1.0' encoding='utf-16'?><a/>".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert!(text(&utf16be, None).0.ends_with("<a/>"));
    }

    #[test]
    fn control_characters_removed() {
        let (t, r) = text(b"<a>x\x0by\x00z</a>", None);
        assert_eq!(t, "<a>xyz</a>");
        assert_eq!(r, vec!["removed 2 control characters that XML forbids"]);
    }
}
