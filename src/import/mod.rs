//! Article files → [`Article`]: plain-text articles like the seed (text copied from a web
//! page, with its debris), Markdown, either with YAML or TOML front matter, and saved HTML
//! pages (main text extracted by [`crate::extract`]).
//!
//! For each file it finds the title, standfirst, byline, date and body paragraphs, drops
//! page debris, and derives the article's identity (front matter `id`, else its URL, else
//! title + date), so that importing a file twice, or from another folder, gives the same
//! article. Front matter overrides every guess.
//!
//! It reads files and nothing else: no network, no storage, no clock (the archive time is
//! passed in as `now`).

pub mod batch;
mod decode;
mod files;
mod front;
mod head;
mod html;
mod markdown;
mod plain;

pub use files::{Files, discover};

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use url::Url;

use crate::archive::DedupKeys;
use crate::article::{self, Article, Content, Identity, Origin, Person, SourceRef, canonical_url, normalise_tags};
use crate::content;

/// An imported article with the keys the archive deduplicates it on.
#[derive(Debug, Clone)]
pub struct Imported {
    pub article: Article,
    pub keys: DedupKeys,
    /// The lines and paragraphs of the file left out of the article, in file order.
    pub removed: Vec<Removal>,
}

/// Why a line or paragraph of an article file was left out of the article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalKind {
    /// A copy of the line or paragraph just before it (a standfirst or line the page shows
    /// twice), or of the title, standfirst or byline further down.
    Repeated,
    /// A photo caption: a name alone on a line, its doubled alt text and caption line.
    Caption,
    /// Page furniture: ad-slot sizes, breadcrumbs, "Advertisement", share labels.
    Debris,
}

/// One line or paragraph left out of an imported article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removal {
    pub kind: RemovalKind,
    pub text: String,
}

impl Removal {
    pub(crate) fn new(kind: RemovalKind, text: impl Into<String>) -> Removal {
        Removal { kind, text: text.into() }
    }
}

/// What was left out of one file, as the import report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removed {
    /// The file.
    pub path: String,
    /// Lines and paragraphs removed in all.
    pub removed: usize,
    pub repeated: usize,
    pub captions: usize,
    pub debris: usize,
    /// The first few removed texts (each cut to [`SAMPLE_CHARS`] characters).
    pub sample: Vec<String>,
}

/// Removed texts shown per file in the import report.
pub const SAMPLES: usize = 3;
/// Characters of one removed text shown in the import report.
pub const SAMPLE_CHARS: usize = 60;

impl Removed {
    /// The summary of `removals` for `path`; `None` when nothing was removed.
    pub fn summarise(path: &Path, removals: &[Removal]) -> Option<Removed> {
        if removals.is_empty() {
            return None;
        }
        let count = |kind| removals.iter().filter(|r| r.kind == kind).count();
        let sample = removals
            .iter()
            .take(SAMPLES)
            .map(|r| {
                let mut chars = r.text.chars();
                let cut: String = chars.by_ref().take(SAMPLE_CHARS).collect();
                if chars.next().is_some() { format!("{cut}…") } else { cut }
            })
            .collect();
        Some(Removed {
            path: path.display().to_string(),
            removed: removals.len(),
            repeated: count(RemovalKind::Repeated),
            captions: count(RemovalKind::Caption),
            debris: count(RemovalKind::Debris),
            sample,
        })
    }
}

/// Why a file could not be imported. Every message names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// A path given to [`discover`] does not exist.
    #[error("{path}: no such file or folder", path = path.display())]
    NotFound { path: PathBuf },
    /// The file or folder could not be read.
    #[error("{path}: cannot read: {source}", path = path.display())]
    Unreadable { path: PathBuf, source: std::io::Error },
    /// A symbolic link, FIFO, device or socket: only regular files are imported.
    #[error("{path}: skipped: {what}; only regular files are imported", path = path.display())]
    NotRegular { path: PathBuf, what: &'static str },
    /// No bytes, or only whitespace.
    #[error("{file}: the file is empty")]
    Empty { file: String },
    /// Not text.
    #[error("{file}: not a text file: {reason}")]
    Binary { file: String, reason: &'static str },
    /// Nothing that can serve as a title, and no `title` in front matter.
    #[error("{file}: no title found (put the title on the first line, or add front matter with `title`)")]
    NoTitle { file: String },
    /// Front matter that does not parse, or a known key with an unusable value.
    #[error("{file}{}: bad front matter{}: {message}", fmt_line(*.line), fmt_key(.key.as_deref()))]
    FrontMatter { file: String, line: Option<usize>, key: Option<String>, message: String },
    /// A saved page in which no article text was found.
    #[error("{file}: no article found in the page: {reason}")]
    NoArticle { file: String, reason: String },
    /// A file type that cannot be imported.
    #[error("{file}: {reason}")]
    Unsupported { file: String, reason: String },
}

fn fmt_line(line: Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

fn fmt_key(key: Option<&str>) -> String {
    key.map(|k| format!(" (key `{k}`)")).unwrap_or_default()
}

impl ImportError {
    /// The same error naming `file` (a full path) instead of the bare file name.
    fn naming(self, file: String) -> ImportError {
        match self {
            ImportError::Empty { .. } => ImportError::Empty { file },
            ImportError::Binary { reason, .. } => ImportError::Binary { file, reason },
            ImportError::NoTitle { .. } => ImportError::NoTitle { file },
            ImportError::FrontMatter { line, key, message, .. } => {
                ImportError::FrontMatter { file, line, key, message }
            }
            ImportError::Unsupported { reason, .. } => ImportError::Unsupported { file, reason },
            ImportError::NoArticle { reason, .. } => ImportError::NoArticle { file, reason },
            other => other,
        }
    }
}

/// The file formats `import` reads, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Markdown,
    Html,
}

const IMPORTABLE: &str = ".txt, .text, .md, .markdown, .html, .htm";

fn format_of(file_name: &str) -> Option<Format> {
    let ext = Path::new(file_name).extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "txt" | "text" => Some(Format::Text),
        "md" | "markdown" => Some(Format::Markdown),
        "html" | "htm" => Some(Format::Html),
        _ => None,
    }
}

/// Whether a file has an importable extension (`.txt`, `.text`, `.md`, `.markdown`,
/// `.html`, `.htm`); callers skip (and report) the others found inside folders.
pub fn is_importable(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).and_then(format_of).is_some()
}

/// Reads one file and turns it into an article. `now` is the archive time (provenance).
pub fn import_file(path: &Path, now: DateTime<Utc>) -> Result<Imported, ImportError> {
    let file_name = bare_name(path);
    let shown = path.display().to_string();
    if format_of(&file_name).is_none() {
        return Err(unsupported(&shown));
    }
    let bytes = read_regular(path)?;
    parse(&bytes, &file_name, now).map_err(|e| e.naming(shown))
}

/// The file name of `path` (lossy when it is not UTF-8), as articles and messages name it.
fn bare_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The bytes of `path` when it is a regular file: a symbolic link is not followed (it may
/// point out of the folder being imported) and a FIFO or device is not opened for reading
/// (a FIFO would wait for a writer forever).
fn read_regular(path: &Path) -> Result<Vec<u8>, ImportError> {
    use std::io::Read;
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let not_regular = |what| ImportError::NotRegular { path: path.to_path_buf(), what };
    let unreadable = |source: std::io::Error| match source.kind() {
        std::io::ErrorKind::NotFound => ImportError::NotFound { path: path.to_path_buf() },
        _ => ImportError::Unreadable { path: path.to_path_buf(), source },
    };
    let kind = fs::symlink_metadata(path).map_err(unreadable)?.file_type();
    let what = if kind.is_symlink() {
        Some("a symbolic link")
    } else if kind.is_fifo() {
        Some("a FIFO")
    } else if kind.is_block_device() || kind.is_char_device() {
        Some("a device")
    } else if kind.is_socket() {
        Some("a socket")
    } else if !kind.is_file() {
        Some("not a regular file")
    } else {
        None
    };
    if let Some(what) = what {
        return Err(not_regular(what));
    }
    // O_NOFOLLOW and O_NONBLOCK again at the open: the path may have changed since.
    let mut file =
        fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path).map_err(
            |e| if e.raw_os_error() == Some(libc::ELOOP) { not_regular("a symbolic link") } else { unreadable(e) },
        )?;
    if !file.metadata().map_err(unreadable)?.file_type().is_file() {
        return Err(not_regular("not a regular file"));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(unreadable)?;
    Ok(bytes)
}

fn unsupported(file: &str) -> ImportError {
    ImportError::Unsupported {
        file: file.to_string(),
        reason: format!("not an importable file type (importable: {IMPORTABLE})"),
    }
}

/// The file's text as [`parse`] reads it, or why it is not text.
fn decode_as(format: Format, bytes: &[u8], file_name: &str) -> Result<String, ImportError> {
    let decoded = if format == Format::Html { decode::decode_html(bytes) } else { decode::decode(bytes) };
    decoded.map_err(|e| match e {
        decode::Undecodable::Empty => ImportError::Empty { file: file_name.to_string() },
        decode::Undecodable::Binary(reason) => ImportError::Binary { file: file_name.to_string(), reason },
    })
}

/// The archive date ([`Article::date`]) that [`parse`] gives the article in `bytes`, when
/// the file's front matter states its publication date: read from the front matter alone,
/// without reading the body. Front matter overrides every guess from the body, so this is
/// exactly the date the whole parse finds. `None` when it cannot be told so cheaply (no
/// front matter date, an HTML page, bytes that do not decode, bad front matter): the
/// caller parses the whole file, which also reports the error.
pub fn front_matter_date(bytes: &[u8], file_name: &str) -> Option<DateTime<Utc>> {
    let format = format_of(file_name)?;
    if format == Format::Html {
        return None;
    }
    let text = decode_as(format, bytes, file_name).ok()?;
    front::split(&text).ok()?.0?.published
}

/// Reads `path` as [`import_file`] does, but settles for its archive date when the front
/// matter gives it ([`front_matter_date`]); otherwise the whole article is parsed for it.
pub fn date_file(path: &Path, now: DateTime<Utc>) -> Result<Dated, ImportError> {
    let file_name = bare_name(path);
    if format_of(&file_name).is_none() {
        return Err(unsupported(&path.display().to_string()));
    }
    let bytes = read_regular(path)?;
    match front_matter_date(&bytes, &file_name) {
        Some(date) => Ok(Dated::FrontMatter(date)),
        None => parse(&bytes, &file_name, now)
            .map(|imported| Dated::Parsed(imported.article.date()))
            .map_err(|e| e.naming(path.display().to_string())),
    }
}

/// An article's archive date ([`Article::date`]) as [`date_file`] found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dated {
    /// Read from the front matter alone.
    FrontMatter(DateTime<Utc>),
    /// Found by parsing the whole file.
    Parsed(DateTime<Utc>),
}

impl Dated {
    /// The date, however it was found.
    pub fn date(self) -> DateTime<Utc> {
        match self {
            Dated::FrontMatter(date) | Dated::Parsed(date) => date,
        }
    }
}

/// Parses file content; `file_name` is the bare file name (kept in `Origin::Import`), used
/// in messages and to pick the format by extension.
pub fn parse(bytes: &[u8], file_name: &str, now: DateTime<Utc>) -> Result<Imported, ImportError> {
    let file = || file_name.to_string();
    let format = format_of(file_name).ok_or_else(|| unsupported(file_name))?;
    let text = decode_as(format, bytes, file_name)?;
    // What the page itself declares, for HTML (a text file says it in front matter).
    let mut page_tags = Vec::new();
    let mut page_language = None;
    let (fm, mut head, body) = if format == Format::Html {
        let page = html::read(&text).map_err(|e| ImportError::NoArticle { file: file(), reason: e.to_string() })?;
        page_tags = page.tags;
        page_language = page.language;
        (front::FrontMatter::default(), page.head, page.content)
    } else {
        let (fm, body) = front::split(&text).map_err(|e| ImportError::FrontMatter {
            file: file(),
            line: e.line,
            key: e.key,
            message: e.message,
        })?;
        let fm = fm.unwrap_or_default();
        let known = head::Known { title: fm.title.as_deref(), summary: fm.summary.as_deref() };
        let base = fm.url.as_deref().and_then(|u| Url::parse(u).ok());
        let (head, body) = if format == Format::Markdown || fm.markdown {
            let md = markdown::read(body, known, base.as_ref());
            (md.head, Content { text: md.text, html: md.html })
        } else {
            let t = plain::read(body, known);
            let content = Content {
                text: content::join_paragraphs(&t.paragraphs),
                html: content::paragraphs_to_html(&t.paragraphs),
            };
            (t.head, content)
        };
        (fm, head, body)
    };
    let removed = std::mem::take(&mut head.removed);
    let title = fm.title.clone().or(head.title).ok_or_else(|| ImportError::NoTitle { file: file() })?;
    let published = fm.published.or(head.published);
    let url = fm.url.clone().or(head.url);
    let canonical = url.as_deref().and_then(canonical_url);
    let identity = Identity::strongest(fm.id.as_deref(), canonical.as_deref(), None, &title, published.as_ref());
    let authors =
        if fm.authors.is_empty() { head.authors.into_iter().map(Person::named).collect() } else { fm.authors };
    let source = fm.source.or(head.source).map(|name| SourceRef { name, ..SourceRef::default() });
    let updated = match (fm.updated.or(head.updated), published) {
        (Some(u), Some(p)) => u.max(p),
        (Some(u), None) => u,
        (None, Some(p)) => p,
        (None, None) => now,
    };
    let keys = DedupKeys {
        identity: identity.key(),
        canonical_url: canonical.clone(),
        fingerprint: article::fingerprint(&body.text),
    };
    let mut article = Article {
        id: identity.id(),
        title,
        summary: fm.summary.or(head.summary),
        content: body,
        authors,
        published,
        updated,
        url: canonical.or(url),
        source,
        tags: normalise_tags(if fm.tags.is_empty() { &page_tags } else { &fm.tags }),
        language: fm.language.or(page_language),
        content_hash: String::new(),
        archived_at: now,
        origin: Origin::Import { file: file() },
        capture: None,
    };
    article.seal();
    Ok(Imported { article, keys, removed })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;
    use serde_json::Value;
    use std::collections::HashSet;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).single().expect("date")
    }

    fn fixtures_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import")
    }

    fn error_kind(e: &ImportError) -> &'static str {
        match e {
            ImportError::NotFound { .. } => "not_found",
            ImportError::Unreadable { .. } => "unreadable",
            ImportError::NotRegular { .. } => "not_regular",
            ImportError::Empty { .. } => "empty",
            ImportError::Binary { .. } => "binary",
            ImportError::NoTitle { .. } => "no_title",
            ImportError::FrontMatter { .. } => "front_matter",
            ImportError::Unsupported { .. } => "unsupported",
            ImportError::NoArticle { .. } => "no_article",
        }
    }

    /// Compares one imported fixture with its `*.expected.json`; returns the differences.
    fn check_fixture(path: &Path, expected: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        let mut differ = |what: &str, got: Value, want: &Value| {
            if &got != want {
                problems.push(format!("{what}: got {got}, want {want}"));
            }
        };
        let result = import_file(path, now());
        if let Some(want) = expected.get("error") {
            match &result {
                Ok(imp) => differ("error", Value::String(format!("none (title {:?})", imp.article.title)), want),
                Err(e) => {
                    differ("error", Value::String(error_kind(e).into()), want);
                    let message = e.to_string();
                    if !message.contains(&path.display().to_string()) {
                        differ("message names the file", Value::String(message.clone()), &Value::Null);
                    }
                    if let ImportError::FrontMatter { line, key, .. } = e {
                        if let Some(want) = expected.get("error_line") {
                            differ("error_line", serde_json::json!(line), want);
                        }
                        if let Some(want) = expected.get("error_key") {
                            differ("error_key", serde_json::json!(key), want);
                        }
                    }
                }
            }
            return problems;
        }
        let imp = match result {
            Ok(imp) => imp,
            Err(e) => return vec![format!("import failed: {e}")],
        };
        let a = &imp.article;
        let field = |name: &str| -> &Value {
            expected.get(name).unwrap_or_else(|| panic!("{}: expected.json lacks required `{name}`", path.display()))
        };
        differ("title", Value::String(a.title.clone()), field("title"));
        differ("summary", serde_json::json!(a.summary), field("summary"));
        differ("authors", serde_json::json!(a.authors.iter().map(|p| &p.name).collect::<Vec<_>>()), field("authors"));
        differ("source", serde_json::json!(a.source.as_ref().map(|s| &s.name)), field("source"));
        differ("published", serde_json::json!(a.published.map(|d| crate::date::rfc3339(&d))), field("published"));
        let paragraphs: Vec<&str> = a.content.text.split("\n\n").filter(|p| !p.is_empty()).collect();
        differ("paragraphs", serde_json::json!(paragraphs), field("paragraphs"));
        if let Some(want) = expected.get("updated") {
            differ("updated", Value::String(crate::date::rfc3339(&a.updated)), want);
        }
        if let Some(want) = expected.get("url") {
            differ("url", serde_json::json!(a.url), want);
        }
        if let Some(want) = expected.get("tags") {
            differ("tags", serde_json::json!(a.tags), want);
        }
        if let Some(want) = expected.get("language") {
            differ("language", serde_json::json!(a.language), want);
        }
        if let Some(want) = expected.get("removed") {
            let count = |kind| imp.removed.iter().filter(|r| r.kind == kind).count();
            let got = serde_json::json!({
                "repeated": count(RemovalKind::Repeated),
                "captions": count(RemovalKind::Caption),
                "debris": count(RemovalKind::Debris),
            });
            differ("removed", got, want);
        }
        if let Some(want) = expected.get("id") {
            differ("id", Value::String(a.id.0.clone()), want);
        }
        if let Some(want) = expected.get("identity") {
            differ("identity", Value::String(imp.keys.identity.clone()), want);
        }
        for snippet in expected.get("html_contains").and_then(Value::as_array).into_iter().flatten() {
            let s = snippet.as_str().unwrap_or_default();
            if !a.content.html.contains(s) {
                problems.push(format!("html lacks {s:?}: {}", a.content.html));
            }
        }
        for snippet in expected.get("html_lacks").and_then(Value::as_array).into_iter().flatten() {
            let s = snippet.as_str().unwrap_or_default();
            if a.content.html.contains(s) {
                problems.push(format!("html contains {s:?}"));
            }
        }
        problems
    }

    /// Every `tests/fixtures/import/NAME.{txt,md,html,...}` is imported and compared with
    /// `NAME.expected.json`: a new real-world case is a new file pair.
    #[test]
    fn fixtures_match_expectations() {
        let mut checked = 0;
        let mut failures = Vec::new();
        for path in discover(&[fixtures_dir()]).expect("fixtures folder").paths() {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name.ends_with(".expected.json") {
                continue;
            }
            let stem = name.split('.').next().unwrap_or_default();
            let expected_path = path.with_file_name(format!("{stem}.expected.json"));
            let expected: Value = match fs::read_to_string(&expected_path) {
                Ok(s) => serde_json::from_str(&s).unwrap_or_else(|e| panic!("{}: {e}", expected_path.display())),
                Err(e) => {
                    failures.push(format!("{name}: no {stem}.expected.json ({e})"));
                    continue;
                }
            };
            let problems = check_fixture(&path, &expected);
            checked += 1;
            if !problems.is_empty() {
                failures.push(format!("{name}:\n  {}", problems.join("\n  ")));
            }
        }
        assert!(checked >= 10, "only {checked} fixtures found");
        assert!(failures.is_empty(), "{} fixture(s) differ:\n{}", failures.len(), failures.join("\n"));
    }

    fn seed_bytes() -> Vec<u8> {
        fs::read(fixtures_dir().join("seed.txt")).expect("seed fixture")
    }

    #[test]
    fn the_seed_field_by_field() {
        let imp = parse(&seed_bytes(), "geneva-conference-2018-09-14.txt", now()).expect("imports");
        let a = &imp.article;
        assert_eq!(a.title, "Geneva conference calls for inquiry into the massacre of Iranian political prisoners");
        assert_eq!(
            a.summary.as_deref(),
            Some("Dignitaries, politicians reiterated the need to investigate the 1988 massacre in Iran")
        );
        assert_eq!(a.authors, vec![Person::named("PMOI/MEK")]);
        assert_eq!(a.source, Some(SourceRef { name: "PMOI/MEK".into(), ..SourceRef::default() }));
        let day = Utc.with_ymd_and_hms(2018, 9, 14, 0, 0, 0).single().expect("date");
        assert_eq!((a.published, a.updated, a.archived_at), (Some(day), day, now()));
        // The id pinned in article.rs for this title and date.
        assert_eq!(a.id.as_str(), "urn:uuid:ecf9c989-cc60-8581-9ec6-57134d61565e");
        assert_eq!(imp.keys.identity, Identity::title_date(&a.title, Some(&day)).key());
        assert_eq!(imp.keys.canonical_url, None);
        assert_eq!(imp.keys.fingerprint, article::fingerprint(&a.content.text));
        assert!(imp.keys.fingerprint.is_some());
        assert_eq!(a.origin, Origin::Import { file: "geneva-conference-2018-09-14.txt".into() });
        assert_eq!(a.url, None);
        assert!(a.tags.is_empty());
        assert_eq!(a.content_hash, article::content_hash(&a.title, &a.content.text));
        let paragraphs: Vec<&str> = a.content.text.split("\n\n").collect();
        assert!(paragraphs[0].starts_with("Sept. 14, 2018 - In a conference held in Geneva"), "{}", paragraphs[0]);
        assert!(paragraphs.last().is_some_and(|p| p.ends_with("never going to investigate itself.\u{201d}")));
        assert_eq!(a.content.html, content::paragraphs_to_html(&paragraphs));
        for debris in ["728 x 90", "Reported by", "Ingrid Betancourt is a", "Ingrid Betancourt\u{a0} is a"] {
            assert!(!a.content.text.contains(debris), "{debris}");
        }
        for name in
            ["Ingrid Betancourt", "Laurence Fehlmann Rielle", "Juan Garcés", "Gilbert Mitterrand", "Sanobargh Zahedi"]
        {
            assert!(!paragraphs.contains(&name), "caption {name} left in the body");
        }
        assert!(!a.content.text.contains("Dignitaries, politicians reiterated"), "standfirst repeated in the body");
    }

    #[test]
    fn importing_twice_or_from_elsewhere_gives_the_same_article() {
        let later = now() + chrono::Duration::days(3);
        let mut a = parse(&seed_bytes(), "seed.txt", now()).expect("imports").article;
        let b = parse(&seed_bytes(), "seed.txt", later).expect("imports").article;
        assert_eq!(b.archived_at, later);
        a.archived_at = later;
        assert_eq!(a, b);
        // Another folder, another name, CRLF line endings and a BOM: same id and content.
        let dir = tempfile::tempdir().expect("tempdir");
        let nested = dir.path().join("moved/deeper");
        fs::create_dir_all(&nested).expect("mkdir");
        let crlf = String::from_utf8(seed_bytes()).expect("utf-8").replace('\n', "\r\n");
        fs::write(nested.join("renamed.txt"), [b"\xEF\xBB\xBF".as_slice(), crlf.as_bytes()].concat()).expect("write");
        let c = import_file(&nested.join("renamed.txt"), later).expect("imports").article;
        assert_eq!((c.id, c.content_hash), (b.id, b.content_hash));
    }

    #[test]
    fn front_matter_identity_rules() {
        let md = |fm: &str| format!("---\n{fm}\n---\n# A Title For Testing\n\nBody text.\n");
        let by_id =
            parse(md("id: tag:example.org,2018:a\nurl: https://example.org/a").as_bytes(), "a.md", now()).expect("ok");
        assert_eq!(by_id.article.id.as_str(), "tag:example.org,2018:a");
        let by_url = parse(md("url: https://Example.org/a?utm_source=feed#top").as_bytes(), "a.md", now()).expect("ok");
        assert_eq!(by_url.keys.canonical_url.as_deref(), Some("https://example.org/a"));
        assert_eq!(by_url.article.id, Identity::Url("https://example.org/a".into()).id());
        assert_eq!(by_url.article.url.as_deref(), Some("https://example.org/a"));
        let by_title = parse(md("date: 2018-09-14").as_bytes(), "a.md", now()).expect("ok");
        assert_eq!(by_title.article.title, "A Title For Testing");
        assert_eq!(by_title.keys.identity, "title:a title for testing\n2018-09-14");
    }

    #[test]
    fn front_matter_overrides_guesses_without_losing_text() {
        let body = "A short standfirst in the body\n\nBy Someone Else\n\nSept. 14, 2018 - Body text.\n";
        for name in ["a.txt", "a.md"] {
            let fm = "---\ntitle: The title from front matter\nsummary: The summary from front matter\ndate: 2020-01-02\n---\n";
            let a = parse(format!("{fm}{body}").as_bytes(), name, now()).expect("ok").article;
            assert_eq!(a.title, "The title from front matter", "{name}");
            assert_eq!(a.summary.as_deref(), Some("The summary from front matter"), "{name}");
            assert_eq!(a.published, Utc.with_ymd_and_hms(2020, 1, 2, 0, 0, 0).single(), "{name}");
            assert_eq!(a.authors, vec![Person::named("Someone Else")], "{name}");
            assert_eq!(
                a.content.text, "A short standfirst in the body\n\nSept. 14, 2018 - Body text.",
                "{name}: the body's standfirst stays in the body"
            );
        }
    }

    #[test]
    fn errors_name_the_file() {
        let e = parse(b"", "empty.txt", now()).expect_err("empty");
        assert_eq!(e.to_string(), "empty.txt: the file is empty");
        let e = parse(b"\0\x01PK", "x.txt", now()).expect_err("binary");
        assert!(matches!(e, ImportError::Binary { .. }) && e.to_string().starts_with("x.txt: "), "{e}");
        let e = parse(b"---\ntitle: a\ndate: nope\n---\nBody", "fm.md", now()).expect_err("bad date");
        assert_eq!(e.to_string(), "fm.md:3: bad front matter (key `date`): `nope` is not a date feedkeeper can read");
        let e = parse(b"abc", "photo.jpg", now()).expect_err("unsupported");
        assert!(matches!(e, ImportError::Unsupported { .. }), "{e}");
        let e = parse(b"<html><body><a href=/>Home</a></body></html>", "page.html", now()).expect_err("no article");
        assert!(matches!(e, ImportError::NoArticle { .. }) && e.to_string().starts_with("page.html: "), "{e}");
        let e = parse(b"...\n\n***\n", "x.txt", now()).expect_err("no title");
        assert!(matches!(e, ImportError::NoTitle { .. }), "{e}");
        let missing = Path::new("/nonexistent/feedkeeper/a.txt");
        let e = import_file(missing, now()).expect_err("missing");
        assert!(e.to_string().starts_with("/nonexistent/feedkeeper/a.txt"), "{e}");
    }

    #[test]
    fn discover_walks_folders_sorted_and_skips_hidden() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for f in ["b.txt", "a.md", "sub/c.txt", "sub/.hidden.txt", ".git/config.txt", "sub/deeper/d.html", "photo.jpg"]
        {
            let p = root.join(f);
            fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            fs::write(&p, "x").expect("write");
        }
        let found = discover(&[root.to_path_buf(), root.join("b.txt")]).expect("discovers");
        let rel: Vec<String> =
            found.paths().map(|p| p.strip_prefix(root).expect("inside").display().to_string()).collect();
        assert_eq!(rel, vec!["a.md", "b.txt", "photo.jpg", "sub/c.txt", "sub/deeper/d.html"]);
        assert!(!is_importable(Path::new("photo.jpg")) && is_importable(Path::new("A.MD")));
        let e = discover(&[root.join("nope")]).expect_err("missing");
        assert!(matches!(e, ImportError::NotFound { .. }) && e.to_string().contains("nope"), "{e}");
    }

    /// The demo archive (`examples/demo/articles/`) imports completely: every file has a
    /// title, a byline, a date and body text free of page debris, and ids are distinct.
    #[test]
    fn demo_articles_import() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo/articles");
        let files = discover(&[dir]).expect("demo folder");
        assert_eq!(files.len(), 6, "{files:?}");
        let mut ids = HashSet::new();
        for path in files.paths() {
            let path = path.as_path();
            let a = import_file(path, now()).unwrap_or_else(|e| panic!("{e}")).article;
            let name = path.display();
            assert!(a.published.is_some() && !a.authors.is_empty() && a.summary.is_some(), "{name}: {a:?}");
            assert!(a.content.text.split("\n\n").count() >= 8, "{name}: short body");
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            let day = a.published.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default();
            assert!(stem.ends_with(&day), "{name}: published {day} differs from the file name");
            for debris in ["728 x 90", "300x250", "970 × 250", "Reported by", "By Documentation", "Mass grave site"] {
                assert!(!a.content.text.contains(debris), "{name}: {debris}");
            }
            if path.extension().is_some_and(|e| e == "md") {
                assert!(a.tags.contains(&"1988-massacre".to_string()), "{name}: {:?}", a.tags);
                assert!(a.content.html.contains("<h2>") && !a.content.html.contains("<h1>"), "{name}");
            }
            assert!(ids.insert(a.id.clone()), "{name}: duplicate id");
        }
    }

    fn words() -> impl Strategy<Value = String> {
        proptest::collection::vec("[a-z]{2,9}", 8..30).prop_map(|w| {
            let mut s = w.join(" ");
            s[..1].make_ascii_uppercase();
            s + "."
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600), ext in 0usize..4) {
            let name = ["a.txt", "a.md", "a.markdown", "a.text"][ext];
            let _ = parse(&bytes, name, now());
        }

        #[test]
        fn never_panics_on_arbitrary_text(text in "(\\PC{0,40}\n{0,3}){0,12}", ext in 0usize..2) {
            let name = ["a.txt", "a.md"][ext];
            let _ = parse(text.as_bytes(), name, now());
            let _ = parse(format!("---\n{text}\n---\n{text}").as_bytes(), name, now());
            let _ = parse(format!("+++\n{text}\n+++\n{text}").as_bytes(), name, now());
        }

        /// A generated article reads back with its title, byline, date and paragraphs.
        #[test]
        fn generated_articles_read_back(
            title in "[A-Z][a-z]{3,9}( [a-z]{2,9}){3,8}",
            paras in proptest::collection::vec(words(), 1..6),
            day in 1u32..28,
            crlf in any::<bool>(),
        ) {
            let text = format!("{title}\n\nBy Jane Doe\n\nSept. {day}, 2019 - {}\n\n{}\n", paras[0], paras[1..].join("\n\n"));
            let text = if crlf { text.replace('\n', "\r\n") } else { text };
            let a = parse(text.as_bytes(), "gen.txt", now()).expect("imports").article;
            prop_assert_eq!(&a.title, &title);
            prop_assert_eq!(a.authors, vec![Person::named("Jane Doe")]);
            prop_assert_eq!(a.published, Utc.with_ymd_and_hms(2019, 9, day, 0, 0, 0).single());
            let mut want = vec![format!("Sept. {day}, 2019 - {}", paras[0])];
            want.extend(paras[1..].iter().cloned());
            prop_assert_eq!(a.content.text, content::join_paragraphs(&want));
        }

        /// The id depends on the file's content, never on its folder.
        #[test]
        fn id_is_independent_of_folder(folders in proptest::collection::vec("[a-z0-9_-]{1,8}", 0..4)) {
            let dir = tempfile::tempdir().expect("tempdir");
            let mut path = dir.path().to_path_buf();
            for f in &folders {
                path.push(f);
            }
            fs::create_dir_all(&path).expect("mkdir");
            path.push("seed.txt");
            fs::write(&path, seed_bytes()).expect("write");
            let a = import_file(&path, now()).expect("imports").article;
            prop_assert_eq!(a.id.as_str(), "urn:uuid:ecf9c989-cc60-8581-9ec6-57134d61565e");
            prop_assert_eq!(a.origin, Origin::Import { file: "seed.txt".into() });
        }
    }
}
