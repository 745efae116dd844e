//! A page's bytes → text: the byte-order mark, then the charset the HTTP `Content-Type`
//! declares, then a `<meta charset>` in the page, then UTF-8 when the bytes are valid, else a
//! guess (`chardetng`). Pure; used for fetched pages and saved pages alike.

use encoding_rs::{Encoding, UTF_8};

use crate::charset::{charset_param, guess_legacy, is_utf16};

/// Decodes an HTML page: byte-order mark, then the `Content-Type` charset, then a
/// `<meta charset>` in the first kilobytes, then UTF-8 when valid, else a guess.
pub fn decode_page(body: &[u8], content_type: Option<&str>) -> String {
    if let Some((enc, bom_len)) = Encoding::for_bom(body) {
        return enc.decode_without_bom_handling(&body[bom_len..]).0.into_owned();
    }
    let declared = content_type.and_then(charset_param).or_else(|| meta_charset(body));
    if let Some(enc) = declared.and_then(|label| Encoding::for_label(label.as_bytes())) {
        // Pages that declare ISO-8859-1 mean windows-1252 (WHATWG); UTF-16 declarations in
        // a body without a BOM are wrong more often than not.
        let enc = if is_utf16(enc) { UTF_8 } else { enc };
        return enc.decode_without_bom_handling(body).0.into_owned();
    }
    if let Ok(s) = std::str::from_utf8(body) {
        return s.to_string();
    }
    guess_legacy(body).decode_without_bom_handling(body).0.into_owned()
}

/// `<meta charset="x">` or `<meta http-equiv="Content-Type" content="…; charset=x">`.
fn meta_charset(body: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&body[..body.len().min(4096)]).to_ascii_lowercase();
    let at = head.find("charset")?;
    let rest = head[at + "charset".len()..].trim_start().strip_prefix('=')?.trim_start();
    let rest = rest.trim_start_matches(['"', '\'']);
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')).unwrap_or(rest.len());
    (end > 0).then(|| rest[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_comes_from_header_then_meta_then_content() {
        let cp1252 = b"<p>caf\xe9 \x93quoted\x94</p>";
        assert_eq!(decode_page(cp1252, Some("text/html; charset=windows-1252")), "<p>café “quoted”</p>");
        let meta = b"<html><head><meta charset=\"iso-8859-1\"></head><p>caf\xe9</p>";
        assert!(decode_page(meta, Some("text/html")).contains("café"));
        assert_eq!(decode_page("<p>café</p>".as_bytes(), None), "<p>café</p>");
        assert!(decode_page(cp1252, None).contains("café"), "guessed");
        assert_eq!(decode_page(b"\xEF\xBB\xBF<p>x</p>", Some("text/html; charset=latin1")), "<p>x</p>");
    }
}
