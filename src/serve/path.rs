//! Request path → safe path segments below the feeds folder.
//!
//! Pure: this module never touches the file system. It percent-decodes each segment of a
//! request target exactly once and refuses anything that could name a file outside the
//! feeds folder or a hidden file: `.`/`..` segments (plain or percent-encoded), encoded
//! separators (`%2f`, `%5c`), double encoding (a `%` left after decoding), backslashes,
//! NUL and other control characters, empty segments (`//`), and dot-files. Symlinks are not
//! its business: the caller canonicalizes the joined path and checks it stays in the root.

use std::path::{Component, Path};

/// A request path that is safe to join onto the feeds folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPath {
    /// Decoded segments, each a single normal file name that does not start with a dot.
    pub segments: Vec<String>,
    /// The path ended in `/` (or was `/`): the client asked for a directory.
    pub directory: bool,
}

/// Why a request path was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// The path does not start with `/` (for example `*` or an authority).
    NotAbsolute,
    /// `//` inside the path.
    EmptySegment,
    /// A `%` not followed by two hex digits.
    BadEscape,
    /// The decoded segment is not UTF-8.
    NotUtf8,
    /// `%2f` or `%5c`: a separator smuggled inside a segment.
    EncodedSeparator,
    /// A `%` left after decoding once: double encoding such as `%252e`.
    DoubleEncoded,
    /// A raw backslash.
    Backslash,
    /// NUL or another control character.
    ControlChar,
    /// `.` or `..`, plain or encoded.
    DotSegment,
    /// A segment that is not one plain file name on this platform (a drive prefix, a root).
    NotPlainName,
    /// A dot-file or dot-folder: never served, reported as "not found".
    Hidden,
}

impl Rejection {
    /// A short reason for logs and the 400 body.
    pub fn reason(self) -> &'static str {
        match self {
            Rejection::NotAbsolute => "path does not start with /",
            Rejection::EmptySegment => "empty path segment",
            Rejection::BadEscape => "malformed percent-escape",
            Rejection::NotUtf8 => "path is not UTF-8",
            Rejection::EncodedSeparator => "encoded path separator",
            Rejection::DoubleEncoded => "double percent-encoding",
            Rejection::Backslash => "backslash in path",
            Rejection::ControlChar => "control character in path",
            Rejection::DotSegment => "dot segment in path",
            Rejection::NotPlainName => "path segment is not a plain file name",
            Rejection::Hidden => "hidden file",
        }
    }
}

/// Parses the path part of a request target (no query) into safe segments.
pub fn parse(raw: &str) -> Result<RequestPath, Rejection> {
    let rest = raw.strip_prefix('/').ok_or(Rejection::NotAbsolute)?;
    if rest.is_empty() {
        return Ok(RequestPath { segments: Vec::new(), directory: true });
    }
    let (rest, directory) = match rest.strip_suffix('/') {
        Some(inner) => (inner, true),
        None => (rest, false),
    };
    let segments = rest.split('/').map(segment).collect::<Result<Vec<_>, _>>()?;
    Ok(RequestPath { segments, directory })
}

fn segment(raw: &str) -> Result<String, Rejection> {
    if raw.is_empty() {
        return Err(Rejection::EmptySegment);
    }
    let decoded = String::from_utf8(percent_decode(raw.as_bytes())?).map_err(|_| Rejection::NotUtf8)?;
    for c in decoded.chars() {
        match c {
            '/' => return Err(Rejection::EncodedSeparator),
            '\\' if raw.contains('\\') => return Err(Rejection::Backslash),
            '\\' => return Err(Rejection::EncodedSeparator),
            '%' => return Err(Rejection::DoubleEncoded),
            c if c.is_control() => return Err(Rejection::ControlChar),
            _ => {}
        }
    }
    if decoded == "." || decoded == ".." {
        return Err(Rejection::DotSegment);
    }
    if decoded.starts_with('.') {
        return Err(Rejection::Hidden);
    }
    let mut components = Path::new(&decoded).components();
    match (components.next(), components.next()) {
        (Some(Component::Normal(name)), None) if name == decoded.as_str() => Ok(decoded),
        _ => Err(Rejection::NotPlainName),
    }
}

fn percent_decode(raw: &[u8]) -> Result<Vec<u8>, Rejection> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            let hi = raw.get(i + 1).and_then(|b| hex(*b));
            let lo = raw.get(i + 2).and_then(|b| hex(*b));
            match (hi, lo) {
                (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                _ => return Err(Rejection::BadEscape),
            }
            i += 3;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(raw: &str) -> RequestPath {
        parse(raw).unwrap_or_else(|e| panic!("{raw:?} rejected: {e:?}"))
    }

    #[test]
    fn plain_paths() {
        assert_eq!(ok("/"), RequestPath { segments: vec![], directory: true });
        assert_eq!(
            ok("/archive/3/atom.xml"),
            RequestPath { segments: vec!["archive".into(), "3".into(), "atom.xml".into()], directory: false }
        );
        assert_eq!(
            ok("/tags/human%20rights/"),
            RequestPath { segments: vec!["tags".into(), "human rights".into()], directory: true }
        );
        assert_eq!(ok("/tags/caf%C3%A9/rss.xml").segments[1], "café");
        assert_eq!(ok("/a..b/x.y.z").segments, vec!["a..b", "x.y.z"]);
    }

    #[test]
    fn hostile_paths() {
        let cases = [
            ("", Rejection::NotAbsolute),
            ("*", Rejection::NotAbsolute),
            ("atom.xml", Rejection::NotAbsolute),
            ("/../secret", Rejection::DotSegment),
            ("/archive/../../secret", Rejection::DotSegment),
            ("/./atom.xml", Rejection::DotSegment),
            ("/%2e%2e/secret", Rejection::DotSegment),
            ("/%2E%2E/secret", Rejection::DotSegment),
            ("/.%2e/secret", Rejection::DotSegment),
            ("/..%2fsecret", Rejection::EncodedSeparator),
            ("/%2fetc%2fpasswd", Rejection::EncodedSeparator),
            ("/..%5csecret", Rejection::EncodedSeparator),
            ("/..\\secret", Rejection::Backslash),
            ("/%252e%252e/secret", Rejection::DoubleEncoded),
            ("/%25", Rejection::DoubleEncoded),
            ("/%", Rejection::BadEscape),
            ("/%2", Rejection::BadEscape),
            ("/%zz", Rejection::BadEscape),
            ("/%ff", Rejection::NotUtf8),
            ("/atom.xml%00.html", Rejection::ControlChar),
            ("/a%0ab", Rejection::ControlChar),
            ("//etc/passwd", Rejection::EmptySegment),
            ("/a//b", Rejection::EmptySegment),
            ("/.tmp-atom.xml", Rejection::Hidden),
            ("/%2etmp", Rejection::Hidden),
            ("/.git/config", Rejection::Hidden),
            ("/tags/.x/atom.xml", Rejection::Hidden),
        ];
        for (raw, want) in cases {
            assert_eq!(parse(raw), Err(want), "{raw:?}");
        }
    }

    proptest! {
        /// Whatever comes in, an accepted path is a list of plain, visible file names.
        #[test]
        fn accepted_segments_are_plain_names(raw in "/[a-zA-Z0-9%./\\\\_-]{0,40}") {
            if let Ok(p) = parse(&raw) {
                for s in &p.segments {
                    prop_assert!(!s.is_empty());
                    prop_assert!(!s.starts_with('.'));
                    prop_assert!(!s.contains('/') && !s.contains('\\') && !s.contains('%') && !s.contains('\0'));
                    let mut c = Path::new(s).components();
                    prop_assert!(matches!(c.next(), Some(Component::Normal(_))));
                    prop_assert!(c.next().is_none());
                }
            }
        }

        /// Any encoding of `..` between two segments is refused, however it is written.
        #[test]
        fn encoded_dot_dot_is_refused(a in "[a-z]{1,5}", b in "[a-z]{1,5}",
                                      d1 in prop::sample::select(vec![".", "%2e", "%2E"]),
                                      d2 in prop::sample::select(vec![".", "%2e", "%2E"])) {
            let raw = format!("/{a}/{d1}{d2}/{b}");
            prop_assert_eq!(parse(&raw), Err(Rejection::DotSegment));
        }
    }
}
