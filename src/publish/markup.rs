//! Putting text into the publisher's output languages: XML/HTML escaping (fast, and dropping
//! every character XML 1.0 forbids), JSON strings, URL path segments, plain-text excerpts of
//! sanitized HTML, and the article-page form of that HTML (images turned into links, so a
//! page loads nothing from elsewhere).
//!
//! It only transforms strings; it must not sanitize (the archive's HTML is sanitized once, on
//! the way in, by [`crate::content::sanitize`]) and it never parses HTML in general: it
//! relies on the serializer's regular output (quoted attributes, escaped text).

use std::borrow::Cow;

pub use crate::content::{escape, escape_into};

/// Bytes [`push_clean`] looks at: control characters XML forbids, and 0xEF.
const FORBIDDEN_LEAD: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = !matches!(b, 0x09 | 0x0A | 0x0D);
        b += 1;
    }
    t[0xEF] = true;
    t
};

/// Appends `s` unescaped (it is already markup) but without the characters XML 1.0 forbids.
pub fn push_clean(out: &mut String, s: &str) {
    crate::content::rewrite_into(out, s, &FORBIDDEN_LEAD, |_| "");
}

/// Bytes that need attention in a JSON string: `"`, `\\`, control characters, and 0xEF
/// (the lead byte of U+FFFE/U+FFFF).
const JSON_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t[0xEF] = true;
    t
};

/// Appends `s` as a JSON string literal (with the quotes). Characters XML 1.0 forbids are
/// dropped here too, so every format carries the same text.
pub fn json_string_into(out: &mut String, s: &str) {
    out.push('"');
    crate::content::rewrite_into(out, s, &JSON_SPECIAL, |b| match b {
        b'"' => "\\\"",
        b'\\' => "\\\\",
        b'\n' => "\\n",
        b'\r' => "\\r",
        b'\t' => "\\t",
        _ => "",
    });
    out.push('"');
}

/// Percent-encodes one URL path segment: unreserved ASCII stays, every other byte becomes
/// `%XX`.
pub fn path_segment(seg: &str) -> Cow<'_, str> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
    if seg.bytes().all(plain) {
        return Cow::Borrowed(seg);
    }
    let mut out = String::with_capacity(seg.len() * 3);
    for b in seg.bytes() {
        if plain(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Cow::Owned(out)
}

/// One piece of serialized HTML.
enum Piece<'a> {
    Text(&'a str),
    /// A tag: its lowercased name (with a leading `/` for end tags) and its full source.
    Tag {
        name: String,
        source: &'a str,
        attrs: &'a str,
    },
}

/// Splits serialized HTML into text and tags. Attribute values may hold `>` inside quotes.
fn pieces(html: &str) -> impl Iterator<Item = Piece<'_>> {
    let bytes = html.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        if i >= bytes.len() {
            return None;
        }
        let start = i;
        if bytes[i] != b'<' {
            while i < bytes.len() && bytes[i] != b'<' {
                i += 1;
            }
            return Some(Piece::Text(&html[start..i]));
        }
        // A tag: read to the closing '>' outside quotes.
        let mut quote: Option<u8> = None;
        i += 1;
        while i < bytes.len() {
            let b = bytes[i];
            match quote {
                Some(q) if b == q => quote = None,
                Some(_) => {}
                None if b == b'"' || b == b'\'' => quote = Some(b),
                None if b == b'>' => break,
                None => {}
            }
            i += 1;
        }
        let end = (i + 1).min(bytes.len());
        i = end;
        let source = &html[start..end];
        let inner = source.trim_start_matches('<').trim_end_matches('>');
        let name_len = inner
            .char_indices()
            .find(|&(j, c)| j > 0 && !(c.is_ascii_alphanumeric() || c == '-'))
            .map_or(inner.len(), |(j, _)| j);
        let name = inner[..name_len].to_ascii_lowercase();
        let attrs = &inner[name_len..];
        Some(Piece::Tag { name, source, attrs })
    })
}

/// The raw (still escaped) value of attribute `name` in a tag's attribute text.
fn attr<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let bytes = attrs.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        let key_start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'=' | b'/' | b'>') {
            i += 1;
        }
        let key = &attrs[key_start..i];
        if key.is_empty() {
            i += 1;
            continue;
        }
        let mut value = "";
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                let q = bytes[i];
                let v_start = i + 1;
                i = v_start;
                while i < bytes.len() && bytes[i] != q {
                    i += 1;
                }
                value = &attrs[v_start..i.min(bytes.len())];
                i += 1;
            } else {
                let v_start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = &attrs[v_start..i];
            }
        }
        if key.eq_ignore_ascii_case(name) {
            return Some(value);
        }
    }
    None
}

/// Writes an attribute value taken from serialized HTML into text content: `<` and `>` (which
/// the serializer leaves raw inside attribute values) are escaped; entities stay as they are.
fn attr_as_text(out: &mut String, raw: &str) {
    for c in raw.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// The article-page form of sanitized HTML: every `<img>` becomes a link to the image (or
/// plain text inside an existing link), so the page loads nothing from other sites.
pub fn images_as_links(html: &str) -> Cow<'_, str> {
    if !html.contains("<img") && !html.contains("<IMG") {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len() + 64);
    let mut in_link = 0usize;
    for piece in pieces(html) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Tag { name, source, attrs } => match name.as_str() {
                "a" => {
                    in_link += 1;
                    out.push_str(source);
                }
                "/a" => {
                    in_link = in_link.saturating_sub(1);
                    out.push_str(source);
                }
                "img" => {
                    let src = attr(attrs, "src").unwrap_or("").trim();
                    let alt = attr(attrs, "alt").unwrap_or("").trim();
                    let linked = in_link == 0 && !src.is_empty();
                    if linked {
                        out.push_str("<a class=\"image\" href=\"");
                        out.push_str(src);
                        out.push_str("\" rel=\"noopener noreferrer\">");
                    } else {
                        out.push_str("<span class=\"image\">");
                    }
                    out.push_str("[image");
                    if !alt.is_empty() {
                        out.push_str(": ");
                        attr_as_text(&mut out, alt);
                    }
                    out.push(']');
                    out.push_str(if linked { "</a>" } else { "</span>" });
                }
                _ => out.push_str(source),
            },
        }
    }
    Cow::Owned(out)
}

/// Decodes the entities the HTML serializer writes (`&amp;`, `&lt;`, `&gt;`, `&quot;`,
/// `&nbsp;`, `&#39;`, numeric ones); an unknown entity is kept as written.
fn push_decoded(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.as_bytes().iter().take(12).position(|&b| b == b';');
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => {
                    let num = name.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(code)
                }
            };
            c.map(|c| (c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

/// Elements that do not separate words.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "cite", "code", "del", "dfn", "em", "i", "ins", "kbd", "mark", "q", "s", "small", "span",
    "strong", "sub", "sup", "time", "u",
];

/// A plain-text excerpt of sanitized HTML: tags removed (block ends become spaces), entities
/// decoded, whitespace collapsed, cut at a word boundary to at most `max_chars` characters
/// with `…` when cut.
pub fn excerpt(html: &str, max_chars: usize) -> String {
    let mut text = String::with_capacity(max_chars.min(html.len()) + 8);
    // Collect a little more than needed, then collapse and cut.
    let budget = max_chars * 2 + 64;
    for piece in pieces(html) {
        match piece {
            Piece::Text(t) => push_decoded(&mut text, t),
            Piece::Tag { name, .. } => {
                if !INLINE.contains(&name.trim_start_matches('/')) {
                    text.push(' ');
                }
            }
        }
        if text.len() > budget {
            break;
        }
    }
    let collapsed: Vec<&str> = text.split_whitespace().collect();
    let mut out = String::with_capacity(max_chars + 4);
    let mut chars = 0;
    let mut cut = false;
    for word in collapsed {
        let len = word.chars().count();
        let sep = usize::from(!out.is_empty());
        if chars + sep + len > max_chars {
            cut = true;
            if out.is_empty() {
                out.extend(word.chars().take(max_chars));
            }
            break;
        }
        if sep == 1 {
            out.push(' ');
        }
        out.push_str(word);
        chars += sep + len;
    }
    if cut {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_markup_and_drops_forbidden_characters() {
        assert_eq!(escape("a & b <c> \"d\" 'e'"), "a &amp; b &lt;c&gt; &quot;d&quot; 'e'");
        assert_eq!(escape("bell\u{7}tab\tnl\nnul\u{0}"), "belltab\tnl\nnul");
        assert_eq!(escape("x\u{FFFE}y\u{FFFF}z\u{FFFD}\u{EFFF}"), "xyz\u{FFFD}\u{EFFF}");
        assert_eq!(escape("Genève — ایران"), "Genève — ایران");
    }

    #[test]
    fn clean_markup_keeps_tags_and_drops_forbidden_characters() {
        let mut out = String::new();
        push_clean(&mut out, "<p>a\u{0}b\u{FFFF}c &amp; é\u{FFFD}</p>");
        assert_eq!(out, "<p>abc &amp; é\u{FFFD}</p>");
    }

    #[test]
    fn json_strings() {
        let mut s = String::new();
        json_string_into(&mut s, "a\"b\\c\nd\u{1}é\u{FFFE}");
        assert_eq!(s, "\"a\\\"b\\\\c\\ndé\"");
        let back: String = serde_json::from_str(&s).expect("valid JSON");
        assert_eq!(back, "a\"b\\c\ndé");
    }

    #[test]
    fn path_segments() {
        assert_eq!(path_segment("human-rights"), "human-rights");
        assert_eq!(path_segment("a b/é"), "a%20b%2F%C3%A9");
    }

    #[test]
    fn images_become_links() {
        let html = r#"<p>See <img src="https://e.org/a.png?x=1&amp;y=2" alt="a &quot;map&quot; > b"> and <a href="https://e.org/"><img src="https://e.org/b.png"></a></p>"#;
        let out = images_as_links(html);
        assert_eq!(
            out,
            r#"<p>See <a class="image" href="https://e.org/a.png?x=1&amp;y=2" rel="noopener noreferrer">[image: a &quot;map&quot; &gt; b]</a> and <a href="https://e.org/"><span class="image">[image]</span></a></p>"#
        );
        assert!(matches!(images_as_links("<p>no images</p>"), Cow::Borrowed(_)));
    }

    #[test]
    fn excerpts() {
        let html = "<p>The 1988 massacre &amp; its <b>victims</b>.</p><p>Second&nbsp;para &#8212; here.</p>";
        assert_eq!(excerpt(html, 200), "The 1988 massacre & its victims. Second para — here.");
        assert_eq!(excerpt(html, 20), "The 1988 massacre &…");
        assert_eq!(excerpt("<p>Supercalifragilistic</p>", 5), "Super…");
        assert_eq!(excerpt("", 10), "");
    }

    proptest! {
        #[test]
        fn escaping_matches_a_char_by_char_reference(s in "\\PC{0,40}|[\\x00-\\x7f]{0,40}|.{0,20}\u{FFFE}.{0,5}") {
            let reference: String = s
                .chars()
                .filter(|c| crate::content::is_xml_char(*c))
                .map(|c| match c {
                    '&' => "&amp;".to_string(),
                    '<' => "&lt;".to_string(),
                    '>' => "&gt;".to_string(),
                    '"' => "&quot;".to_string(),
                    c => c.to_string(),
                })
                .collect();
            prop_assert_eq!(escape(&s), reference);
        }

        #[test]
        fn json_strings_round_trip(s in "\\PC{0,40}|[\\x00-\\x7f]{0,40}") {
            let mut out = String::new();
            json_string_into(&mut out, &s);
            let back: String = serde_json::from_str(&out).expect("valid JSON");
            let allowed: String = s.chars().filter(|&c| crate::content::is_xml_char(c)).collect();
            prop_assert_eq!(back, allowed);
        }

        #[test]
        fn excerpts_are_bounded(s in ".{0,300}") {
            let e = excerpt(&crate::content::text_to_html(&s), 50);
            prop_assert!(e.chars().count() <= 51);
        }
    }
}
