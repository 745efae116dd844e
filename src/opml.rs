//! OPML subscription lists in and out, and adding `[[sources]]` tables to the config text.
//!
//! [`parse_opml`] reads subscription lists as feed readers write them: outlines nested in
//! folders (a folder's name becomes a tag), `type="rss"` often missing, `xmlUrl` spelled in
//! any case, bare `&` and HTML entities in attributes; its errors name the file and line.
//! [`to_opml`] writes OPML 2.0. [`select_new`] chooses which feeds of a list are new
//! sources, and names them. Pure: reading and writing files and the store is the caller's.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use quick_xml::events::{BytesStart, Event};

/// One subscription read from OPML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlSource {
    pub name: String,
    pub url: String,
    /// `htmlUrl`, when given.
    pub site_url: Option<String>,
    /// Names of the folders it sits in, and its `category` attribute's last path segments.
    pub tags: Vec<String>,
}

/// A source, as [`to_opml`] and [`select_new`] need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceEntry {
    pub name: String,
    pub url: String,
    pub tags: Vec<String>,
}

/// Why an OPML file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpmlError {
    #[error("{}: cannot read: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}:{line}: not valid OPML: {message}", path.display())]
    Syntax { path: PathBuf, line: usize, message: String },
    #[error("{}: no <outline> with an xmlUrl: is this an OPML subscription list?", path.display())]
    NoFeeds { path: PathBuf },
}

/// Reads the feeds out of an OPML document. `path` is named in errors.
pub fn parse_opml(text: &str, path: &Path) -> Result<Vec<OpmlSource>, OpmlError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = false;
    reader.config_mut().allow_unmatched_ends = true;
    let line_at = |pos: u64| text[..(pos as usize).min(text.len())].matches('\n').count() + 1;
    // Folders (outlines without a feed) currently open; `None` for feed outlines that
    // have children.
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut out: Vec<OpmlSource> = Vec::new();
    let mut saw_opml = false;
    loop {
        let pos = reader.buffer_position();
        let event = reader.read_event().map_err(|e| OpmlError::Syntax {
            path: path.to_path_buf(),
            line: line_at(reader.error_position().max(pos)),
            message: e.to_string(),
        })?;
        match event {
            Event::Start(e) | Event::Empty(e) if is(&e, "opml") => {
                saw_opml = true;
            }
            Event::Start(ref e) if is(e, "outline") => {
                let o = outline(e);
                match o {
                    Some(feed) => {
                        out.push(with_folders(feed, &folders));
                        folders.push(None);
                    }
                    None => folders.push(folder_name(e)),
                }
            }
            Event::Empty(ref e) if is(e, "outline") => {
                if let Some(feed) = outline(e) {
                    out.push(with_folders(feed, &folders));
                }
            }
            Event::End(e) if e.local_name().as_ref().eq_ignore_ascii_case("outline") => {
                folders.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if out.is_empty() {
        if !saw_opml && !text.trim_start().starts_with('<') {
            return Err(OpmlError::Syntax { path: path.to_path_buf(), line: 1, message: "not XML".into() });
        }
        return Err(OpmlError::NoFeeds { path: path.to_path_buf() });
    }
    Ok(out)
}

fn is(e: &BytesStart<'_>, name: &str) -> bool {
    e.local_name().as_ref().eq_ignore_ascii_case(name)
}

/// The attributes of an element, names lowercased, values leniently unescaped by the
/// upstream feeds' decoder (XML, numeric and HTML references; a bare `&` stays).
fn attributes(e: &BytesStart<'_>) -> Vec<(String, String)> {
    e.attributes()
        .with_checks(false)
        .filter_map(Result::ok)
        .map(|a| {
            let name = a.key.local_name().as_ref().to_ascii_lowercase();
            (name, crate::upstream::decode_entities(&a.value).into_owned())
        })
        .collect()
}

fn outline(e: &BytesStart<'_>) -> Option<OpmlSource> {
    let attrs = attributes(e);
    let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty());
    let kind = get("type").unwrap_or_default().to_ascii_lowercase();
    let url = get("xmlurl").or_else(|| {
        // Some writers put the feed in `url` with type="rss"/"atom"/"feed".
        matches!(kind.as_str(), "rss" | "atom" | "feed").then(|| get("url")).flatten()
    })?;
    let name = get("title").or_else(|| get("text")).unwrap_or_else(|| host_of(&url));
    let mut tags = Vec::new();
    if let Some(cats) = get("category") {
        for c in cats.split(',') {
            if let Some(last) =
                c.trim().trim_end_matches('/').rsplit('/').next().map(str::trim).filter(|s| !s.is_empty())
            {
                tags.push(last.to_string());
            }
        }
    }
    Some(OpmlSource { name: crate::article::collapse_whitespace(&name), url, site_url: get("htmlurl"), tags })
}

fn folder_name(e: &BytesStart<'_>) -> Option<String> {
    let attrs = attributes(e);
    attrs
        .iter()
        .find(|(n, _)| n == "text")
        .or_else(|| attrs.iter().find(|(n, _)| n == "title"))
        .map(|(_, v)| crate::article::collapse_whitespace(v))
        .filter(|v| !v.is_empty())
}

fn with_folders(mut feed: OpmlSource, folders: &[Option<String>]) -> OpmlSource {
    let mut tags: Vec<String> = folders.iter().flatten().cloned().collect();
    tags.append(&mut feed.tags);
    tags.dedup();
    feed.tags = tags;
    feed
}

fn host_of(url: &str) -> String {
    url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_else(|| url.to_string())
}

/// An attribute value: escaped as everywhere else, line breaks and tabs as spaces (an
/// attribute value cannot keep them).
fn xml_attr(s: &str) -> String {
    crate::content::escape(&s.replace(['\n', '\r', '\t'], " "))
}

/// Writes the sources as an OPML 2.0 subscription list.
pub fn to_opml(title: &str, sources: &[SourceEntry]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n");
    s.push_str(&format!("  <head>\n    <title>{}</title>\n  </head>\n  <body>\n", xml_attr(title)));
    for src in sources {
        s.push_str(&format!(
            "    <outline type=\"rss\" text=\"{n}\" title=\"{n}\" xmlUrl=\"{u}\"",
            n = xml_attr(&src.name),
            u = xml_attr(&src.url)
        ));
        if !src.tags.is_empty() {
            s.push_str(&format!(" category=\"{}\"", xml_attr(&src.tags.join(","))));
        }
        s.push_str("/>\n");
    }
    s.push_str("  </body>\n</opml>\n");
    s
}

/// What [`select_new`] chose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selected {
    /// The new sources, named uniquely, their tags normalised, in the OPML's order.
    pub added: Vec<SourceEntry>,
    /// One line per OPML entry left out, saying why.
    pub skipped: Vec<String>,
    /// Entries refused by the address rules item links obey (local files, private
    /// addresses, other schemes).
    pub refused: Vec<RefusedOutline>,
}

/// An OPML entry refused by [`crate::fetch::untrusted_source`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RefusedOutline {
    pub name: String,
    pub url: String,
    pub reason: String,
}

/// The feeds of `found` that are new beside `existing`. A feed the address guard refuses (a
/// local file, a private or loopback address unless `allow_private`, a scheme other than
/// http(s)) is left out and named in `refused`; a feed whose URL is already a source (or
/// repeated in the OPML) is skipped and named; a name already taken gets a ` (2)`, ` (3)`…
/// suffix. Linear in the number of sources (hash lookups), for lists of 100,000.
pub fn select_new(existing: &[SourceEntry], found: &[OpmlSource], allow_private: bool) -> Selected {
    let norm = |u: &str| crate::article::canonical_url(u).unwrap_or_else(|| u.trim().to_string());
    let mut urls: HashMap<String, String> = existing.iter().map(|s| (norm(&s.url), s.name.clone())).collect();
    let mut names: HashSet<String> = existing.iter().map(|s| s.name.clone()).collect();
    let mut out = Selected::default();
    for f in found {
        // Already a source: harmless, whatever it points at.
        let key = norm(&f.url);
        if let Some(name) = urls.get(&key) {
            out.skipped.push(format!("{} ({}): already a source, named `{name}`", f.name, f.url));
            continue;
        }
        if let Err(why) = crate::fetch::untrusted_source(&f.url, allow_private) {
            out.refused.push(RefusedOutline { name: f.name.clone(), url: f.url.clone(), reason: why.to_string() });
            continue;
        }
        if let Err(e) = crate::config::parse_source_url(&f.url) {
            out.skipped.push(format!("{} ({}): {e}", f.name, f.url));
            continue;
        }
        let base: String = f.name.chars().filter(|c| !c.is_control()).take(150).collect();
        let base = if base.trim().is_empty() { host_of(&f.url) } else { base.trim().to_string() };
        let mut name = base.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{base} ({n})");
            n += 1;
        }
        let tags: Vec<String> = f.tags.iter().filter_map(|t| crate::article::normalise_tag(t)).collect();
        urls.insert(key, name.clone());
        names.insert(name.clone());
        out.added.push(SourceEntry { name, url: f.url.clone(), tags });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> (String, PathBuf) {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/opml").join(name);
        (std::fs::read_to_string(&path).expect("fixture"), path)
    }

    #[test]
    fn real_world_opml_is_read() {
        let (text, path) = fixture("nested-mixed-case.opml");
        let got = parse_opml(&text, &path).expect("parses");
        let brief: Vec<(&str, &str, Vec<&str>)> = got
            .iter()
            .map(|s| (s.name.as_str(), s.url.as_str(), s.tags.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            brief,
            vec![
                ("Iran Human Rights Monitor", "https://iran-hrm.example/feed/", vec!["Human rights"]),
                (
                    "UN News: Human Rights",
                    "https://news.un.example/feed/subscribe/en/news/topic/human-rights/feed/rss.xml",
                    vec!["Human rights", "UN"]
                ),
                ("Amnesty & Co.", "https://amnesty.example/en/feed/?type=news&lang=en", vec!["Human rights"]),
                ("World desk", "https://world.example/atom.xml", vec!["News", "world"]),
                ("podcasts.example", "https://podcasts.example/rss", vec![]),
            ]
        );
        assert_eq!(got[0].site_url.as_deref(), Some("https://iran-hrm.example/"));
    }

    #[test]
    fn errors_name_file_and_line() {
        let path = Path::new("subs.opml");
        let err =
            parse_opml("<opml>\n<body>\n<outline text=\"a\" xmlUrl=\"https://a.example/>\n", path).expect_err("broken");
        let msg = err.to_string();
        assert!(msg.starts_with("subs.opml:3: not valid OPML"), "{msg}");
        let none = parse_opml("<opml><body><outline text=\"folder\"/></body></opml>", path).expect_err("no feeds");
        assert!(none.to_string().contains("no <outline> with an xmlUrl"), "{none}");
    }

    #[test]
    fn export_then_import_round_trips() {
        let sources = vec![
            SourceEntry {
                name: "A & B \"news\"".into(),
                url: "https://a.example/feed?x=1&y=2".into(),
                tags: vec!["iran".into()],
            },
            SourceEntry { name: "Local".into(), url: "file:///srv/feeds/local.xml".into(), tags: vec![] },
        ];
        let opml = to_opml("My <archive>", &sources);
        let back = parse_opml(&opml, Path::new("x.opml")).expect("parses");
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].name, "A & B \"news\"");
        assert_eq!(back[0].url, "https://a.example/feed?x=1&y=2");
        assert_eq!(back[0].tags, vec!["iran".to_string()]);
        assert_eq!(back[1].url, "file:///srv/feeds/local.xml");
    }

    #[test]
    fn attribute_values_are_decoded_like_feed_text() {
        let opml = "<opml version=\"2.0\"><body><outline type=\"rss\" text=\"Caf&eacute; &#233;&#xE9; &amp; A&B &bogus;\" \
                    xmlUrl=\"https://c.example/feed?a=1&amp;b=2\"/></body></opml>";
        let found = parse_opml(opml, Path::new("x.opml")).expect("parses");
        assert_eq!(found[0].name, "Café éé & A&B &bogus;");
        assert_eq!(found[0].url, "https://c.example/feed?a=1&b=2");
    }

    #[test]
    fn selecting_skips_known_urls_and_suffixes_names() {
        let existing = vec![SourceEntry { name: "A".into(), url: "https://a.example/feed".into(), tags: vec![] }];
        let found = vec![
            OpmlSource { name: "A again".into(), url: "https://A.example/feed#x".into(), site_url: None, tags: vec![] },
            OpmlSource {
                name: "A".into(),
                url: "https://b.example/rss".into(),
                site_url: None,
                tags: vec!["Human rights".into()],
            },
            OpmlSource { name: "B twice".into(), url: "https://b.example/rss".into(), site_url: None, tags: vec![] },
            OpmlSource { name: "Bad".into(), url: "gopher://c.example/".into(), site_url: None, tags: vec![] },
        ];
        let out = select_new(&existing, &found, false);
        assert_eq!(
            out.added,
            vec![SourceEntry {
                name: "A (2)".into(),
                url: "https://b.example/rss".into(),
                tags: vec!["human-rights".into()]
            }]
        );
        assert_eq!(out.skipped.len(), 2, "{:?}", out.skipped);
        assert_eq!(out.refused.len(), 1, "{:?}", out.refused);
        assert!(out.skipped[0].contains("already a source, named `A`"), "{:?}", out.skipped);
    }

    #[test]
    fn local_files_and_private_addresses_are_refused_and_named() {
        let src =
            |name: &str, url: &str| OpmlSource { name: name.into(), url: url.into(), site_url: None, tags: vec![] };
        let found = vec![
            src("Good", "https://good.example/feed"),
            src("Passwords", "file:///etc/passwd"),
            src("SSH", "http://127.0.0.1:22/"),
            src("Six", "http://[::1]/"),
            src("Bare path", "/var/lib/secret.xml"),
        ];
        let out = select_new(&[], &found, false);
        let added: Vec<(&str, &str)> = out.added.iter().map(|a| (a.name.as_str(), a.url.as_str())).collect();
        assert_eq!(added, [("Good", "https://good.example/feed")]);
        let refused: Vec<(&str, &str)> = out.refused.iter().map(|r| (r.name.as_str(), r.url.as_str())).collect();
        assert_eq!(
            refused,
            vec![
                ("Passwords", "file:///etc/passwd"),
                ("SSH", "http://127.0.0.1:22/"),
                ("Six", "http://[::1]/"),
                ("Bare path", "/var/lib/secret.xml")
            ]
        );
        assert!(out.refused[1].reason.contains("loopback"), "{:?}", out.refused[1]);
        // allow_private lets the operator import their own local and private feeds.
        let open = select_new(&[], &found, true);
        assert_eq!(open.added.len(), 5, "{:?}", open.refused);
        assert!(open.refused.is_empty());
    }
}
