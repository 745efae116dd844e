//! The charset rules every decoder of fetched or saved bytes shares: reading the `charset`
//! parameter of a `Content-Type`, recognising UTF-16, and guessing a legacy encoding from
//! the bytes alone (`chardetng`) when nothing declares one.
//!
//! The three decoders built on it differ on purpose in what they trust: feeds
//! (`upstream::decode`, BOM → HTTP → XML declaration, declarations overruled by the bytes),
//! pages (`extract::decode_page`, BOM → HTTP → `<meta charset>`) and article files
//! (`import::decode`, Latin guesses read as windows-1252). They decide; this module only
//! reads labels and bytes.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE};

/// The `charset` parameter of a `Content-Type` value, unquoted: `text/xml; charset="UTF-8"`
/// → `UTF-8`.
pub(crate) fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        k.trim().eq_ignore_ascii_case("charset").then(|| v.trim().trim_matches(['"', '\'']).to_string())
    })
}

/// Whether `enc` is UTF-16 (either byte order).
pub(crate) fn is_utf16(enc: &'static Encoding) -> bool {
    enc == UTF_16LE || enc == UTF_16BE
}

/// The legacy encoding the whole of `bytes` most likely is, never UTF-8 nor ISO-2022-JP.
pub(crate) fn guess_legacy(bytes: &[u8]) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    detector.guess(None, chardetng::Utf8Detection::Deny)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_param_forms() {
        assert_eq!(charset_param("application/rss+xml; charset=\"UTF-8\""), Some("UTF-8".to_string()));
        assert_eq!(charset_param("text/xml;Charset=windows-1251"), Some("windows-1251".to_string()));
        assert_eq!(charset_param("text/html; charset='latin1'"), Some("latin1".to_string()));
        assert_eq!(charset_param("text/xml"), None);
    }

    #[test]
    fn legacy_guess_recognises_a_non_latin_code_page() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1256.encode("اعدام زندانيان سياسي در تابستان و اعدام زندانيان");
        assert_eq!(guess_legacy(&bytes), encoding_rs::WINDOWS_1256);
        assert!(is_utf16(UTF_16BE) && !is_utf16(encoding_rs::UTF_8));
    }
}
