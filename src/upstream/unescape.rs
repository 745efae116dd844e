//! Text as feeds carry it: character references decoded leniently (the XML five, numeric
//! references, a table of the common HTML named entities; a bare `&` or an unknown name
//! stays as literal text instead of failing), element bodies read whether they hold escaped
//! HTML, CDATA or raw unescaped markup, and HTML reduced to one line of plain text.
//!
//! Pure string functions with counters for the repairs they had to make; no parsing of
//! feed structure and no allocation when the input needs no change.

use std::borrow::Cow;

/// Counts of the lenient decisions taken while reading text, turned into the feed's
/// human-readable repair list at the end.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct TextRepairs {
    /// `&` not starting a character reference, kept as a literal `&`.
    pub bare_amp: usize,
    /// HTML named entities (`&eacute;`) that XML does not declare, mapped to characters.
    pub html_entities: usize,
    /// Named references found in no table, kept as literal text.
    pub unknown_entities: usize,
    /// `<![CDATA[` without its `]]>` inside one element.
    pub unclosed_cdata: usize,
}

/// Decodes character references leniently: `&amp;`, `&#233;`, `&#xE9;`, `&eacute;`; a bare
/// `&` or an unknown `&name;` is kept as written. Numeric references to C1 controls are read
/// as windows-1252 (as browsers do); references to characters XML forbids are dropped.
pub(crate) fn decode_entities<'a>(s: &'a str, rep: &mut TextRepairs) -> Cow<'a, str> {
    let Some(first) = s.find('&') else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..first]);
    let mut rest = &s[first..];
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        match read_reference(rest) {
            Reference::Char(c, len, kind) => {
                if kind == RefKind::Html {
                    rep.html_entities += 1;
                }
                if let Some(c) = c {
                    out.push(c);
                }
                rest = &rest[len..];
            }
            Reference::Unknown(len) => {
                rep.unknown_entities += 1;
                out.push_str(&rest[..len]);
                rest = &rest[len..];
            }
            Reference::Bare => {
                rep.bare_amp += 1;
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefKind {
    Xml,
    Html,
    Numeric,
}

enum Reference {
    /// A decoded reference (`None` when it names a character XML forbids), its length and kind.
    Char(Option<char>, usize, RefKind),
    /// `&name;` with a name in no table; the length of the whole reference.
    Unknown(usize),
    /// `&` that starts no reference.
    Bare,
}

/// Reads the reference at the start of `s` (which starts with `&`).
fn read_reference(s: &str) -> Reference {
    let b = s.as_bytes();
    if b.len() > 2 && b[1] == b'#' {
        let (digits_at, radix) = if b[2] == b'x' || b[2] == b'X' { (3, 16) } else { (2, 10) };
        let digits = b[digits_at..].iter().take_while(|c| c.is_ascii_hexdigit()).count().min(10);
        let end = digits_at + digits;
        if digits == 0 || (radix == 10 && !b[digits_at..end].iter().all(u8::is_ascii_digit)) {
            return Reference::Bare;
        }
        let Ok(n) = u32::from_str_radix(&s[digits_at..end], radix) else {
            return Reference::Bare;
        };
        // The `;` is required by XML; browsers accept its absence, and so do we.
        let len = if b.get(end) == Some(&b';') { end + 1 } else { end };
        return Reference::Char(numeric_char(n), len, RefKind::Numeric);
    }
    let name_len = b[1..].iter().take(40).take_while(|c| c.is_ascii_alphanumeric()).count();
    if name_len == 0 {
        return Reference::Bare;
    }
    if b.get(1 + name_len) != Some(&b';') {
        // Browsers read `&amp`, `&lt`, `&gt`, `&quot` without the `;` when a word ends there.
        let c = match &s[1..1 + name_len] {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            _ => return Reference::Bare,
        };
        if b.get(1 + name_len) == Some(&b'=') {
            return Reference::Bare;
        }
        return Reference::Char(Some(c), 1 + name_len, RefKind::Html);
    }
    let name = &s[1..1 + name_len];
    let len = name_len + 2;
    match name {
        "amp" => Reference::Char(Some('&'), len, RefKind::Xml),
        "lt" => Reference::Char(Some('<'), len, RefKind::Xml),
        "gt" => Reference::Char(Some('>'), len, RefKind::Xml),
        "quot" => Reference::Char(Some('"'), len, RefKind::Xml),
        "apos" => Reference::Char(Some('\''), len, RefKind::Xml),
        _ => match html_entity(name) {
            Some(c) => Reference::Char(Some(c), len, RefKind::Html),
            None => Reference::Unknown(len),
        },
    }
}

/// The character for a numeric reference: C1 code points read as windows-1252 (what the
/// author meant in every feed seen), forbidden ones dropped.
fn numeric_char(n: u32) -> Option<char> {
    if (0x80..0xA0).contains(&n) {
        let byte = [n as u8];
        let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
        return text.chars().next().filter(|c| *c != '\u{FFFD}' && !c.is_control());
    }
    char::from_u32(n).filter(|c| crate::content::is_xml_char(*c))
}

/// The HTML 4 entity set (the 252 names every browser has known since 1999), plus the XML
/// `apos` and the HTML5 names for ASCII punctuation that show up in feeds.
fn html_entity(name: &str) -> Option<char> {
    const LATIN1: [&str; 96] = [
        "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf", "laquo", "not",
        "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro", "para", "middot", "cedil", "sup1",
        "ordm", "raquo", "frac14", "frac12", "frac34", "iquest", "Agrave", "Aacute", "Acirc", "Atilde", "Auml",
        "Aring", "AElig", "Ccedil", "Egrave", "Eacute", "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH",
        "Ntilde", "Ograve", "Oacute", "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc",
        "Uuml", "Yacute", "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
        "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde", "ograve", "oacute",
        "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc", "uuml", "yacute", "thorn", "yuml",
    ];
    if let Some(i) = LATIN1.iter().position(|n| *n == name) {
        return char::from_u32(0xA0 + i as u32);
    }
    let code: u32 = match name {
        // Special characters.
        "OElig" => 338,
        "oelig" => 339,
        "Scaron" => 352,
        "scaron" => 353,
        "Yuml" => 376,
        "circ" => 710,
        "tilde" => 732,
        "ensp" => 8194,
        "emsp" => 8195,
        "thinsp" => 8201,
        "hairsp" => 8202,
        "zwnj" => 8204,
        "zwj" => 8205,
        "lrm" => 8206,
        "rlm" => 8207,
        "ndash" => 8211,
        "mdash" => 8212,
        "lsquo" => 8216,
        "rsquo" => 8217,
        "sbquo" => 8218,
        "ldquo" => 8220,
        "rdquo" => 8221,
        "bdquo" => 8222,
        "dagger" => 8224,
        "Dagger" => 8225,
        "permil" => 8240,
        "lsaquo" => 8249,
        "rsaquo" => 8250,
        "euro" => 8364,
        // Symbols and Greek.
        "fnof" => 402,
        "Alpha" => 913,
        "Beta" => 914,
        "Gamma" => 915,
        "Delta" => 916,
        "Epsilon" => 917,
        "Zeta" => 918,
        "Eta" => 919,
        "Theta" => 920,
        "Iota" => 921,
        "Kappa" => 922,
        "Lambda" => 923,
        "Mu" => 924,
        "Nu" => 925,
        "Xi" => 926,
        "Omicron" => 927,
        "Pi" => 928,
        "Rho" => 929,
        "Sigma" => 931,
        "Tau" => 932,
        "Upsilon" => 933,
        "Phi" => 934,
        "Chi" => 935,
        "Psi" => 936,
        "Omega" => 937,
        "alpha" => 945,
        "beta" => 946,
        "gamma" => 947,
        "delta" => 948,
        "epsilon" => 949,
        "zeta" => 950,
        "eta" => 951,
        "theta" => 952,
        "iota" => 953,
        "kappa" => 954,
        "lambda" => 955,
        "mu" => 956,
        "nu" => 957,
        "xi" => 958,
        "omicron" => 959,
        "pi" => 960,
        "rho" => 961,
        "sigmaf" => 962,
        "sigma" => 963,
        "tau" => 964,
        "upsilon" => 965,
        "phi" => 966,
        "chi" => 967,
        "psi" => 968,
        "omega" => 969,
        "thetasym" => 977,
        "upsih" => 978,
        "piv" => 982,
        "bull" => 8226,
        "hellip" => 8230,
        "prime" => 8242,
        "Prime" => 8243,
        "oline" => 8254,
        "frasl" => 8260,
        "weierp" => 8472,
        "image" => 8465,
        "real" => 8476,
        "trade" => 8482,
        "alefsym" => 8501,
        "larr" => 8592,
        "uarr" => 8593,
        "rarr" => 8594,
        "darr" => 8595,
        "harr" => 8596,
        "crarr" => 8629,
        "lArr" => 8656,
        "uArr" => 8657,
        "rArr" => 8658,
        "dArr" => 8659,
        "hArr" => 8660,
        "forall" => 8704,
        "part" => 8706,
        "exist" => 8707,
        "empty" => 8709,
        "nabla" => 8711,
        "isin" => 8712,
        "notin" => 8713,
        "ni" => 8715,
        "prod" => 8719,
        "sum" => 8721,
        "minus" => 8722,
        "lowast" => 8727,
        "radic" => 8730,
        "prop" => 8733,
        "infin" => 8734,
        "ang" => 8736,
        "and" => 8743,
        "or" => 8744,
        "cap" => 8745,
        "cup" => 8746,
        "int" => 8747,
        "there4" => 8756,
        "sim" => 8764,
        "cong" => 8773,
        "asymp" => 8776,
        "ne" => 8800,
        "equiv" => 8801,
        "le" => 8804,
        "ge" => 8805,
        "sub" => 8834,
        "sup" => 8835,
        "nsub" => 8836,
        "sube" => 8838,
        "supe" => 8839,
        "oplus" => 8853,
        "otimes" => 8855,
        "perp" => 8869,
        "sdot" => 8901,
        "lceil" => 8968,
        "rceil" => 8969,
        "lfloor" => 8970,
        "rfloor" => 8971,
        "lang" => 0x27E8,
        "rang" => 0x27E9,
        "loz" => 9674,
        "spades" => 9824,
        "clubs" => 9827,
        "hearts" => 9829,
        "diams" => 9830,
        // HTML5 names for ASCII punctuation and a few typographic ones seen in feeds.
        "excl" => 33,
        "num" => 35,
        "dollar" => 36,
        "percnt" => 37,
        "lpar" => 40,
        "rpar" => 41,
        "ast" => 42,
        "plus" => 43,
        "comma" => 44,
        "period" => 46,
        "sol" => 47,
        "colon" => 58,
        "semi" => 59,
        "equals" => 61,
        "quest" => 63,
        "commat" => 64,
        "lsqb" | "lbrack" => 91,
        "bsol" => 92,
        "rsqb" | "rbrack" => 93,
        "Hat" => 94,
        "lowbar" => 95,
        "grave" => 96,
        "lcub" | "lbrace" => 123,
        "verbar" | "vert" => 124,
        "rcub" | "rbrace" => 125,
        "NewLine" => 10,
        "Tab" => 9,
        "hyphen" | "dash" => 8208,
        "horbar" => 8213,
        "nldr" => 8229,
        "lsquor" => 8218,
        "ldquor" => 8222,
        "rsquor" => 8217,
        "rdquor" => 8221,
        "centerdot" => 183,
        "half" => 189,
        "check" => 10003,
        "star" => 9734,
        "starf" => 9733,
        "phone" => 9742,
        "female" => 9792,
        "male" => 9794,
        "copysr" => 8471,
        "incare" => 8453,
        "numero" => 8470,
        "rarrw" => 8605,
        "nexist" => 8708,
        _ => return None,
    };
    char::from_u32(code)
}

/// The value of an element body as written between its tags: CDATA sections unwrapped,
/// comments dropped, references decoded. When the body holds raw (unescaped) markup, it is
/// an HTML fragment the producer forgot to escape: then the markup and references are kept
/// as written (only CDATA is unwrapped) and the second value is `true`.
pub(crate) fn element_value(raw: &str, rep: &mut TextRepairs) -> (String, bool) {
    if !raw.contains('<') {
        return (decode_entities(raw, rep).into_owned(), false);
    }
    let raw_markup = has_raw_markup(raw);
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(lt) = rest.find('<') {
        let text = &rest[..lt];
        if raw_markup {
            out.push_str(text);
        } else {
            out.push_str(&decode_entities(text, rep));
        }
        rest = &rest[lt..];
        if let Some(body) = rest.strip_prefix("<![CDATA[") {
            match body.find("]]>") {
                Some(end) => {
                    out.push_str(&body[..end]);
                    rest = &body[end + 3..];
                }
                None => {
                    rep.unclosed_cdata += 1;
                    out.push_str(body);
                    rest = "";
                }
            }
        } else if let Some(body) = rest.strip_prefix("<!--") {
            rest = match body.find("-->") {
                Some(end) => &body[end + 3..],
                None => "",
            };
        } else {
            out.push('<');
            rest = &rest[1..];
        }
    }
    if raw_markup {
        out.push_str(rest);
    } else {
        out.push_str(&decode_entities(rest, rep));
    }
    (out, raw_markup)
}

/// Whether the text has a tag outside CDATA sections and comments.
fn has_raw_markup(raw: &str) -> bool {
    let mut rest = raw;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt..];
        if let Some(body) = rest.strip_prefix("<![CDATA[") {
            rest = body.find("]]>").map_or("", |e| &body[e + 3..]);
        } else if let Some(body) = rest.strip_prefix("<!--") {
            rest = body.find("-->").map_or("", |e| &body[e + 3..]);
        } else {
            if starts_tag(rest) {
                return true;
            }
            rest = &rest[1..];
        }
    }
    false
}

/// Whether `s` (starting with `<`) starts an HTML tag: `<a`, `</a`, `<!`, `<?`.
fn starts_tag(s: &str) -> bool {
    matches!(s.as_bytes().get(1), Some(c) if c.is_ascii_alphabetic() || matches!(c, b'/' | b'!' | b'?'))
}

/// Elements whose boundaries separate words in the plain-text form.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "br" | "p"
            | "div"
            | "li"
            | "ul"
            | "ol"
            | "dd"
            | "dt"
            | "dl"
            | "tr"
            | "td"
            | "th"
            | "table"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "blockquote"
            | "pre"
            | "hr"
            | "img"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "figure"
            | "figcaption"
            | "address"
    )
}

/// One line of plain text from an HTML fragment: tags removed (`<br>`, `<p>` and other block
/// boundaries become spaces), scripts and styles dropped with their content, references
/// decoded once (so a double-escaped `&amp;amp;` read by XML as `&amp;` ends as `&`),
/// whitespace collapsed, characters XML forbids dropped.
pub(crate) fn html_to_plain(html: &str) -> String {
    let mut rep = TextRepairs::default();
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..lt], &mut rep));
        rest = &rest[lt..];
        if let Some(body) = rest.strip_prefix("<!--") {
            rest = body.find("-->").map_or("", |e| &body[e + 3..]);
            continue;
        }
        if let Some(body) = rest.strip_prefix("<![CDATA[") {
            let end = body.find("]]>").unwrap_or(body.len());
            out.push_str(&body[..end]);
            rest = body.get(end + 3..).unwrap_or("");
            continue;
        }
        if !starts_tag(rest) {
            out.push('<');
            rest = &rest[1..];
            continue;
        }
        let Some(gt) = tag_end(rest) else {
            // An unterminated tag at the end: drop it.
            rest = "";
            break;
        };
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if matches!(name.as_str(), "script" | "style") && !tag.starts_with('/') {
            let close = format!("</{name}");
            rest = find_ascii_ci(rest, &close).map_or("", |i| {
                let after = &rest[i..];
                after.find('>').map_or("", |g| &after[g + 1..])
            });
            out.push(' ');
            continue;
        }
        if is_block(&name) {
            out.push(' ');
        }
    }
    out.push_str(&decode_entities(rest, &mut rep));
    collapse(&out)
}

/// Collapses whitespace runs (including no-break spaces) to one space, trims, and drops
/// control characters.
pub(crate) fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| c.is_whitespace() || c.is_control()) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The index of the `>` ending the tag that starts `s`, skipping `>` inside quoted values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, &b) in s.as_bytes().iter().enumerate().skip(1) {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            // Only a quote right after `=` opens a value; a stray apostrophe does not.
            None if (b == b'"' || b == b'\'')
                && s.as_bytes()[..i].iter().rev().find(|c| !c.is_ascii_whitespace()) == Some(&b'=') =>
            {
                quote = Some(b);
            }
            None if b == b'>' => return Some(i),
            None => {}
        }
    }
    None
}

/// Byte index of the first ASCII-case-insensitive occurrence of `needle` in `hay`.
pub(crate) fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    let first = n[0].to_ascii_lowercase();
    let first_upper = n[0].to_ascii_uppercase();
    let mut i = 0;
    while i + n.len() <= h.len() {
        let at = memchr::memchr2(first, first_upper, &h[i..=h.len() - n.len()])?;
        let start = i + at;
        if h[start..start + n.len()].eq_ignore_ascii_case(n) {
            return Some(start);
        }
        i = start + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn references_decode_leniently() {
        let mut rep = TextRepairs::default();
        let s = decode_entities("AT&amp;T &eacute;t&eacute; &#233;&#xE9; &#146; R&D &foo; &nbsp;x &", &mut rep);
        assert_eq!(s, "AT&T été éé \u{2019} R&D &foo; \u{a0}x &");
        assert_eq!(rep.html_entities, 3);
        assert_eq!(rep.unknown_entities, 1);
        assert_eq!(rep.bare_amp, 2);
    }

    #[test]
    fn element_values() {
        let mut rep = TextRepairs::default();
        assert_eq!(element_value("&lt;p&gt;Hi &amp; bye", &mut rep), ("<p>Hi & bye".to_string(), false));
        assert_eq!(
            element_value("<![CDATA[<p>Tom &amp; Jerry</p>]]> &amp; more", &mut rep),
            ("<p>Tom &amp; Jerry</p> & more".to_string(), false)
        );
        assert_eq!(element_value("Hello<br>world &amp; you", &mut rep), ("Hello<br>world &amp; you".to_string(), true));
        assert_eq!(element_value("<![CDATA[never closed", &mut rep), ("never closed".to_string(), false));
        assert_eq!(rep.unclosed_cdata, 1);
        assert_eq!(element_value("a <!-- c --> b", &mut rep), ("a  b".to_string(), false));
    }

    #[test]
    fn plain_text_from_html() {
        assert_eq!(html_to_plain("<p>Tom &amp;amp; Jerry</p><p>next</p>"), "Tom &amp; Jerry next");
        assert_eq!(html_to_plain("Tom &amp; Jerry"), "Tom & Jerry");
        assert_eq!(html_to_plain("for<b>mat</b>ted<br/>line"), "formatted line");
        assert_eq!(html_to_plain("a < b and c>d"), "a < b and c>d");
        assert_eq!(html_to_plain("x<script>alert('<p>')</script>y<style>p{}</style>z"), "x y z");
        assert_eq!(html_to_plain("<a href=\"x>y\">link</a>&nbsp;&nbsp;end"), "link end");
        assert_eq!(html_to_plain("  spaced \n\t out  "), "spaced out");
        assert_eq!(html_to_plain("unterminated <a href="), "unterminated");
    }

    #[test]
    fn case_insensitive_find() {
        assert_eq!(find_ascii_ci("abc</Title>", "</title"), Some(3));
        assert_eq!(find_ascii_ci("abc", "</title"), None);
        assert_eq!(find_ascii_ci("ééé</TITLE>", "</title"), Some(6));
    }

    proptest! {
        #[test]
        fn decode_never_panics_and_is_identity_without_amp(s in "[^&]{0,40}") {
            let mut rep = TextRepairs::default();
            prop_assert_eq!(decode_entities(&s, &mut rep), s.clone());
        }

        #[test]
        fn plain_text_has_no_tags_or_runs_of_space(s in "[a-z<>/&;# =\"']{0,60}") {
            let p = html_to_plain(&s);
            prop_assert!(!p.contains("  "));
            prop_assert_eq!(p.trim(), p.as_str());
            let _ = element_value(&s, &mut TextRepairs::default());
        }
    }
}
