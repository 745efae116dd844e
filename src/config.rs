//! The config file, `feedkeeper.toml`: its structs, [`parse`] from a string, [`load`] from a
//! path, and validation whose errors name the file, line and key. Unknown keys are errors, so
//! a typo never silently falls back to a default.
//!
//! Values that need checking (URLs, durations, ranges) are checked while deserializing, so
//! the TOML parser attaches the position of the offending value; cross-field checks (unique
//! source names) find their line from spans kept for the purpose. Relative paths resolve
//! against the config file's folder. No I/O beyond reading the one file; no environment or
//! HOME lookups.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use url::Url;

/// A loaded, validated config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub site: Site,
    #[serde(default)]
    pub paths: Paths,
    #[serde(default)]
    pub publish: Publish,
    #[serde(default)]
    pub relevance: Relevance,
    #[serde(default)]
    pub fetch: Fetch,
    #[serde(default)]
    pub store: Store,
    #[serde(default)]
    pub captures: Captures,
    #[serde(default)]
    pub refresh: Refresh,
    #[serde(default)]
    pub sources: Vec<Source>,
    /// The folder the config file is in; relative paths resolve against it.
    #[serde(skip)]
    pub dir: PathBuf,
    /// The config file's path, for messages.
    #[serde(skip)]
    pub path: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    pub title: String,
    /// Absolute URL where the feeds folder is served; always ends with `/`.
    pub base_url: BaseUrl,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default = "default_language")]
    pub language: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paths {
    #[serde(default = "default_archive")]
    pub archive: PathBuf,
    #[serde(default = "default_feeds")]
    pub feeds: PathBuf,
}

impl Default for Paths {
    fn default() -> Self {
        Paths { archive: default_archive(), feeds: default_feeds() }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Publish {
    #[serde(default = "default_page_size")]
    pub page_size: PageSize,
    /// A WebSub hub URL; empty for none.
    #[serde(default)]
    pub hub: OptionalUrl,
    /// Where the feeds are published: `None` (the default) for the feeds folder, else an
    /// object-storage prefix.
    #[serde(default, deserialize_with = "optional_object_url")]
    pub target: Option<ObjectUrl>,
    /// Set by `publish --allow-shrink`, never read from the file: lets a publish take
    /// published history away (fewer entries, archive pages, tag feeds).
    #[serde(skip)]
    pub allow_shrink: bool,
}

impl Default for Publish {
    fn default() -> Self {
        Publish { page_size: default_page_size(), hub: OptionalUrl(None), target: None, allow_shrink: false }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relevance {
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default = "default_threshold")]
    pub threshold: Threshold,
    #[serde(default = "yes")]
    pub learn_from_archive: bool,
}

impl Default for Relevance {
    fn default() -> Self {
        Relevance {
            keywords: Vec::new(),
            exclude: Vec::new(),
            threshold: default_threshold(),
            learn_from_archive: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fetch {
    #[serde(default = "default_timeout")]
    pub timeout: Interval,
    #[serde(default = "default_max_bytes")]
    pub max_bytes: u64,
    /// Empty means `feedkeeper/<version> (+<site.base_url>)`; see [`Config::user_agent`].
    #[serde(default)]
    pub user_agent: String,
    #[serde(default)]
    pub allow_private: bool,
}

impl Default for Fetch {
    fn default() -> Self {
        Fetch {
            timeout: default_timeout(),
            max_bytes: default_max_bytes(),
            user_agent: String::new(),
            allow_private: false,
        }
    }
}

/// `[store]`: where the articles, the publication log and the sources' state live.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Store {
    /// `None` (the default): SQLite in the archive folder; else a shared PostgreSQL database.
    #[serde(default)]
    pub url: StoreUrl,
    /// How long a worker's claim on a due source lasts without renewal (PostgreSQL only).
    #[serde(default = "default_lease")]
    pub lease: Interval,
}

impl Default for Store {
    fn default() -> Self {
        Store { url: StoreUrl::default(), lease: default_lease() }
    }
}

/// `[store] url`: empty for SQLite in the archive folder, or `postgres://…` /
/// `postgresql://…`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum StoreUrl {
    #[default]
    Sqlite,
    /// A PostgreSQL connection URL, as written.
    Postgres(String),
}

impl<'de> Deserialize<'de> for StoreUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_store_url(&s).map_err(serde::de::Error::custom)
    }
}

/// Reads a `[store] url` (or `migrate --to`): empty for SQLite, else a PostgreSQL URL.
pub fn parse_store_url(s: &str) -> Result<StoreUrl, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(StoreUrl::Sqlite);
    }
    match Url::parse(s) {
        Ok(u) if matches!(u.scheme(), "postgres" | "postgresql") => Ok(StoreUrl::Postgres(s.to_string())),
        _ => {
            Err(format!("`{s}` is not a store URL (leave it empty for SQLite, or write postgres://user@host/database)"))
        }
    }
}

/// `[captures]`: where WARC captures are written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Captures {
    /// `None` (the default): WARC files under the archive folder; else object storage.
    #[serde(default, deserialize_with = "optional_object_url")]
    pub url: Option<ObjectUrl>,
}

/// `[refresh]`: re-checking archived originals on a schedule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refresh {
    /// `None` (the default): never on a schedule; else `run`/`watch` re-check an article's
    /// original when it was last checked this long ago.
    #[serde(default, deserialize_with = "optional_interval")]
    pub every: Option<Interval>,
}

fn optional_interval<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Interval>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Secs(i64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Text(s) if s.trim().is_empty() => Ok(None),
        Raw::Text(s) => parse_duration(&s).map(|d| Some(Interval(d))).map_err(serde::de::Error::custom),
        Raw::Secs(n) if n > 0 => Ok(Some(Interval(Duration::from_secs(n as u64)))),
        Raw::Secs(n) => Err(serde::de::Error::custom(format!("{n} is not a positive number of seconds"))),
    }
}

/// An object-storage location, `s3://bucket/prefix`: the bucket and the key prefix (empty,
/// or ending with `/`). Endpoint and credentials come from the standard AWS environment
/// variables, never from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectUrl {
    pub bucket: String,
    /// The key prefix: empty, or without a leading `/` and ending with `/`.
    pub prefix: String,
}

impl fmt::Display for ObjectUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// Reads an `s3://bucket/prefix` URL; `Ok(None)` for an empty string (the local default).
pub fn parse_object_url(s: &str) -> Result<Option<ObjectUrl>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let rest = s.strip_prefix("s3://").ok_or_else(|| format!("`{s}` is not an s3://bucket/prefix URL"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let valid_bucket = (3..=63).contains(&bucket.len())
        && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if !valid_bucket {
        return Err(format!("`{s}`: `{bucket}` is not a bucket name (3–63 lowercase letters, digits, `-` or `.`)"));
    }
    let prefix = prefix.trim_matches('/');
    if prefix.split('/').any(|part| part == "." || part == "..") || prefix.contains("//") {
        return Err(format!("`{s}`: the key prefix must not hold empty, `.` or `..` parts"));
    }
    let prefix = if prefix.is_empty() { String::new() } else { format!("{prefix}/") };
    Ok(Some(ObjectUrl { bucket: bucket.to_string(), prefix }))
}

fn optional_object_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ObjectUrl>, D::Error> {
    parse_object_url(&String::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// One upstream source from `[[sources]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub name: toml::Spanned<String>,
    pub url: SourceUrl,
    #[serde(default = "default_every")]
    pub every: Interval,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Walk the source's history (`sources backfill`) once, when it is first polled.
    #[serde(default)]
    pub backfill: bool,
}

impl Source {
    pub fn name(&self) -> &str {
        self.name.get_ref()
    }

    /// The interval of a source that names none.
    pub fn default_every() -> Duration {
        default_every().0
    }
}

/// Where a source is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceUrl {
    Http(Url),
    /// A local file path as written in the config (resolve with [`Config::resolve`]).
    File(PathBuf),
}

impl SourceUrl {
    /// The form stored and shown: the URL, or the path as written.
    pub fn as_string(&self) -> String {
        match self {
            SourceUrl::Http(u) => u.to_string(),
            SourceUrl::File(p) => p.display().to_string(),
        }
    }
}

impl<'de> Deserialize<'de> for SourceUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_source_url(&s).map_err(serde::de::Error::custom)
    }
}

/// Reads a source location: an http(s) URL, a `file://` URL, or a local path.
pub fn parse_source_url(s: &str) -> Result<SourceUrl, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("a source url must not be empty".into());
    }
    match Url::parse(s) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {
            if u.host_str().is_none_or(str::is_empty) {
                Err(format!("`{s}` has no host"))
            } else {
                Ok(SourceUrl::Http(u))
            }
        }
        Ok(u) if u.scheme() == "file" => {
            u.to_file_path().map(SourceUrl::File).map_err(|()| format!("`{s}` is not a usable file URL"))
        }
        // A Windows drive letter parses as a one-letter scheme.
        Ok(u) if u.scheme().len() > 1 => {
            Err(format!("unsupported scheme `{}:` in `{s}` (use http, https or a file path)", u.scheme()))
        }
        Err(e) if s.contains("://") => Err(format!("`{s}` is not a valid URL ({e})")),
        _ => Ok(SourceUrl::File(PathBuf::from(s))),
    }
}

/// The site's base URL: absolute http(s), normalised to end with `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(pub Url);

impl<'de> Deserialize<'de> for BaseUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let mut url = Url::parse(s.trim())
            .map_err(|e| serde::de::Error::custom(format!("`{s}` is not an absolute URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(serde::de::Error::custom(format!("`{s}` must be an http or https URL")));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(serde::de::Error::custom(format!("`{s}` must not have a query or fragment")));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(BaseUrl(url))
    }
}

/// An optional absolute URL where the empty string means "none".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OptionalUrl(pub Option<Url>);

impl<'de> Deserialize<'de> for OptionalUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim().is_empty() {
            return Ok(OptionalUrl(None));
        }
        match Url::parse(s.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(OptionalUrl(Some(u))),
            _ => Err(serde::de::Error::custom(format!("`{s}` is not an absolute http(s) URL"))),
        }
    }
}

/// A positive duration written as `"20s"`, `"15m"`, `"1h"`, `"1h30m"`, `"2d"` or whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval(pub Duration);

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Secs(i64),
            Text(String),
        }
        let parsed = match Raw::deserialize(d)? {
            Raw::Secs(n) if n > 0 => Ok(Duration::from_secs(n as u64)),
            Raw::Secs(n) => Err(format!("{n} is not a positive number of seconds")),
            Raw::Text(s) => parse_duration(&s),
        };
        parsed.map(Interval).map_err(serde::de::Error::custom)
    }
}

/// Parses `"20s"`, `"15m"`, `"1h30m"`, `"2d"`, `"500ms"`, `"90"` (seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let text = s.trim();
    let bad = || format!("`{s}` is not a duration (write e.g. \"30s\", \"15m\", \"1h\", \"1h30m\", \"2d\")");
    if text.is_empty() {
        return Err(bad());
    }
    if let Ok(n) = text.parse::<u64>() {
        return (n > 0).then(|| Duration::from_secs(n)).ok_or_else(bad);
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = rest[..unit_len].trim();
        rest = &rest[unit_len..];
        let secs = match unit {
            "ms" => {
                total += Duration::from_millis(n);
                continue;
            }
            "s" | "sec" | "secs" => 1,
            "m" | "min" | "mins" => 60,
            "h" | "hr" | "hrs" => 3600,
            "d" | "day" | "days" => 86_400,
            "w" => 604_800,
            _ => return Err(bad()),
        };
        total += Duration::from_secs(n.checked_mul(secs).ok_or_else(bad)?);
    }
    if total.is_zero() { Err(bad()) } else { Ok(total) }
}

/// `page_size`: 1..=10,000 entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(pub usize);

impl<'de> Deserialize<'de> for PageSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = i64::deserialize(d)?;
        if (1..=10_000).contains(&n) {
            Ok(PageSize(n as usize))
        } else {
            Err(serde::de::Error::custom(format!("page_size must be between 1 and 10000, not {n}")))
        }
    }
}

/// `threshold`: a score in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold(pub f64);

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let x = f64::deserialize(d)?;
        if (0.0..=1.0).contains(&x) {
            Ok(Threshold(x))
        } else {
            Err(serde::de::Error::custom(format!("threshold must be between 0 and 1, not {x}")))
        }
    }
}

fn default_language() -> String {
    "en".into()
}
fn default_archive() -> PathBuf {
    "archive".into()
}
fn default_feeds() -> PathBuf {
    "feeds".into()
}
fn default_page_size() -> PageSize {
    PageSize(50)
}
fn default_threshold() -> Threshold {
    Threshold(0.5)
}
fn yes() -> bool {
    true
}
fn default_timeout() -> Interval {
    Interval(Duration::from_secs(20))
}
fn default_max_bytes() -> u64 {
    15_000_000
}
fn default_lease() -> Interval {
    Interval(Duration::from_secs(30))
}
fn default_every() -> Interval {
    Interval(Duration::from_secs(3600))
}

/// A config problem, always naming the file, and the line and key when there is one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("{path}: cannot read config: {source}", path = path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}", located(path, *line, *column, key.as_deref(), message))]
    Invalid { path: PathBuf, line: Option<usize>, column: Option<usize>, key: Option<String>, message: String },
}

fn located(path: &Path, line: Option<usize>, column: Option<usize>, key: Option<&str>, message: &str) -> String {
    let mut s = path.display().to_string();
    if let Some(line) = line {
        s.push_str(&format!(":{line}"));
        if let Some(col) = column {
            s.push_str(&format!(":{col}"));
        }
    }
    if let Some(key) = key {
        s.push_str(&format!(": key `{key}`"));
    }
    s.push_str(": ");
    s.push_str(message);
    s
}

impl Config {
    /// Resolves a path from the config against the config file's folder.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() { p.to_path_buf() } else { self.dir.join(p) }
    }

    /// The archive (data) folder.
    pub fn archive_dir(&self) -> PathBuf {
        self.resolve(&self.paths.archive)
    }

    /// The published feeds folder.
    pub fn feeds_dir(&self) -> PathBuf {
        self.resolve(&self.paths.feeds)
    }

    /// The User-Agent to send.
    pub fn user_agent(&self) -> String {
        if self.fetch.user_agent.trim().is_empty() {
            format!("feedkeeper/{} (+{})", env!("CARGO_PKG_VERSION"), self.site.base_url.0)
        } else {
            self.fetch.user_agent.trim().to_string()
        }
    }

    /// The source named `name`.
    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name() == name)
    }
}

/// The largest config file read; a real one is a few KB, 100,000 sources about 8 MB.
pub const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

/// Reads and validates the config at `path`. Only a regular file of at most
/// [`MAX_CONFIG_BYTES`] is read (a FIFO would hang, `/dev/zero` would fill memory).
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = read_bounded(path)?;
    let mut config = parse(&text, path)?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    config.dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
    config.path = path.to_path_buf();
    check_folders(&config)?;
    Ok(config)
}

fn read_bounded(path: &Path) -> Result<String, ConfigError> {
    use std::io::Read;
    let refuse = |message: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        line: None,
        column: None,
        key: None,
        message,
    };
    let read_err = |source| ConfigError::Read { path: path.to_path_buf(), source };
    // stat before open: opening a FIFO for reading blocks until a writer appears.
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if !meta.is_file() {
        return Err(refuse("is not a regular file".into()));
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(refuse(format!("is {} bytes; a config file may be at most {MAX_CONFIG_BYTES}", meta.len())));
    }
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes).map_err(read_err)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(refuse(format!("grew past {MAX_CONFIG_BYTES} bytes while being read")));
    }
    String::from_utf8(bytes).map_err(|_| refuse("is not UTF-8 text".into()))
}

/// The archive and feeds folders must not overlap (the feeds folder is served to anyone),
/// and the config file must not sit inside the feeds folder.
fn check_folders(config: &Config) -> Result<(), ConfigError> {
    let archive = absolute(&config.archive_dir());
    let feeds = absolute(&config.feeds_dir());
    let file = absolute(&config.path);
    let invalid = |key: &str, message: String| ConfigError::Invalid {
        path: config.path.clone(),
        line: None,
        column: None,
        key: Some(key.into()),
        message,
    };
    let shown = |p: &Path| p.display().to_string();
    if feeds == archive {
        return Err(invalid(
            "paths.feeds",
            format!("is the archive folder `{}`; they must be separate", shown(&archive)),
        ));
    }
    if archive.starts_with(&feeds) {
        return Err(invalid(
            "paths.feeds",
            format!("`{}` contains the archive folder `{}`, which would be served", shown(&feeds), shown(&archive)),
        ));
    }
    if feeds.starts_with(&archive) {
        return Err(invalid(
            "paths.feeds",
            format!("`{}` is inside the archive folder `{}`", shown(&feeds), shown(&archive)),
        ));
    }
    if file.starts_with(&feeds) {
        return Err(invalid(
            "paths.feeds",
            format!("`{}` contains this config file, which would be served", shown(&feeds)),
        ));
    }
    Ok(())
}

/// An absolute path with `.` and `..` folded and symlinks of the existing part resolved.
fn absolute(p: &Path) -> PathBuf {
    let p = if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(p) };
    // Canonicalize the longest existing ancestor; keep the rest lexically.
    let mut base = p.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = base.canonicalize() {
            let mut out = real;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return lexical(&out);
        }
        match (base.parent(), base.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                base = parent;
            }
            _ => return lexical(&p),
        }
    }
}

fn lexical(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A well-formed BCP 47 language tag (syntax only): `en`, `pt-BR`, `zh-Hant-TW`, `x-klingon`.
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let Some(first) = parts.next() else { return false };
    let primary_ok = match first.len() {
        1 => first.eq_ignore_ascii_case("x") || first.eq_ignore_ascii_case("i"),
        2..=8 => first.chars().all(|c| c.is_ascii_alphabetic()),
        _ => false,
    };
    primary_ok && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Parses and validates config text; `path` is used in messages only.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let config: Config = toml::from_str(text).map_err(|e| {
        let (line, column, key) = match e.span() {
            Some(span) => {
                let (line, col) = line_col(text, span.start);
                (Some(line), Some(col), key_at(text, span.start))
            }
            None => (None, None, None),
        };
        ConfigError::Invalid { path: path.to_path_buf(), line, column, key, message: e.message().trim().to_string() }
    })?;
    validate(&config, text, path)?;
    Ok(config)
}

fn validate(config: &Config, text: &str, path: &Path) -> Result<(), ConfigError> {
    let invalid = |offset: Option<usize>, key: String, message: String| {
        let (line, column) = match offset {
            Some(o) => {
                let (l, c) = line_col(text, o);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        ConfigError::Invalid { path: path.to_path_buf(), line, column, key: Some(key), message }
    };
    if config.site.title.trim().is_empty() {
        return Err(invalid(text.find("title"), "site.title".into(), "must not be empty".into()));
    }
    if !is_language_tag(&config.site.language) {
        return Err(invalid(
            text.find("language"),
            "site.language".into(),
            format!("`{}` is not a language tag (write e.g. \"en\", \"de\", \"pt-BR\")", config.site.language),
        ));
    }
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (i, source) in config.sources.iter().enumerate() {
        let name = source.name();
        let at = Some(source.name.span().start);
        if name.trim().is_empty() {
            return Err(invalid(at, format!("sources[{i}].name"), "must not be empty".into()));
        }
        if name.chars().any(char::is_control) || name.len() > 200 {
            return Err(invalid(
                at,
                format!("sources[{i}].name"),
                "must be a short name without control characters".into(),
            ));
        }
        if !seen.insert(name) {
            return Err(invalid(at, format!("sources[{i}].name"), format!("duplicate source name `{name}`")));
        }
    }
    if config.fetch.max_bytes < 1024 {
        return Err(invalid(text.find("max_bytes"), "fetch.max_bytes".into(), "must be at least 1024".into()));
    }
    Ok(())
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// The dotted key at a byte offset: the key on that line (if it is `key = value`), prefixed by
/// the table header above it (`sources[2]` for the third `[[sources]]`).
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[line_start..line_end];
    let trimmed = line.trim();
    if trimmed.starts_with('[') {
        return Some(trimmed.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    }
    let key = line.split_once('=').map(|(k, _)| k.trim().trim_matches('"').to_string()).filter(|k| !k.is_empty());
    let mut table: Option<String> = None;
    let mut counts: Vec<(String, usize)> = Vec::new();
    for l in text[..line_start].lines() {
        let l = l.trim();
        if let Some(name) = l.strip_prefix("[[").and_then(|r| r.strip_suffix("]]")) {
            let name = name.trim().to_string();
            let n = match counts.iter_mut().find(|(k, _)| *k == name) {
                Some((_, c)) => {
                    *c += 1;
                    *c
                }
                None => {
                    counts.push((name.clone(), 0));
                    0
                }
            };
            table = Some(format!("{name}[{n}]"));
        } else if let Some(name) = l.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            table = Some(name.trim().to_string());
        }
    }
    match (table, key) {
        (Some(t), Some(k)) => Some(format!("{t}.{k}")),
        (None, Some(k)) => Some(k),
        (Some(t), None) => Some(t),
        (None, None) => None,
    }
}

impl fmt::Display for SourceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

/// The commented config `feedkeeper init` writes: the minimal working file, every other key
/// shown with its default.
pub const TEMPLATE: &str = include_str!("../feedkeeper.example.toml");

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "[site]\ntitle = \"T\"\nbase_url = \"https://example.org/feeds\"\n";

    fn err(text: &str) -> String {
        parse(text, Path::new("conf/feedkeeper.toml")).expect_err("should fail").to_string()
    }

    #[test]
    fn minimal_config_gets_the_defaults() {
        let c = parse(MINIMAL, Path::new("f.toml")).expect("parses");
        assert_eq!(c.site.base_url.0.as_str(), "https://example.org/feeds/");
        assert_eq!(c.site.language, "en");
        assert_eq!(c.publish.page_size.0, 50);
        assert_eq!(c.relevance.threshold.0, 0.5);
        assert!(c.relevance.learn_from_archive);
        assert_eq!(c.fetch.timeout.0, Duration::from_secs(20));
        assert_eq!(c.fetch.max_bytes, 15_000_000);
        assert!(!c.fetch.allow_private);
        assert_eq!(c.paths.archive, PathBuf::from("archive"));
        assert!(c.sources.is_empty());
        assert!(c.user_agent().starts_with("feedkeeper/"));
        assert!(c.user_agent().ends_with("(+https://example.org/feeds/)"));
    }

    #[test]
    fn the_template_and_example_parse() {
        let c = parse(TEMPLATE, Path::new("feedkeeper.example.toml")).expect("template parses");
        assert!(!c.site.title.is_empty());
        for key in [
            "title",
            "base_url",
            "author",
            "language",
            "description",
            "archive",
            "feeds",
            "page_size",
            "hub",
            "keywords",
            "exclude",
            "threshold",
            "learn_from_archive",
            "timeout",
            "max_bytes",
            "user_agent",
            "allow_private",
            "[[sources]]",
            "name",
            "url",
            "every",
            "tags",
            "backfill",
            "[store]",
            "lease",
            "[captures]",
            "[refresh]",
            "target",
        ] {
            assert!(TEMPLATE.contains(key), "the example documents `{key}`");
        }
    }

    #[test]
    fn store_captures_target_and_refresh() {
        let c = parse(MINIMAL, Path::new("f.toml")).expect("parses");
        assert_eq!(c.store.url, StoreUrl::Sqlite);
        assert_eq!(c.store.lease.0, Duration::from_secs(30));
        assert!(c.captures.url.is_none() && c.publish.target.is_none() && c.refresh.every.is_none());
        let text = format!(
            "{MINIMAL}[publish]\ntarget = \"s3://feeds-bucket/site/feeds\"\n[store]\nurl = \"postgres://fk@db.example/archive\"\nlease = \"1m\"\n[captures]\nurl = \"s3://caps\"\n[refresh]\nevery = \"7d\"\n"
        );
        let c = parse(&text, Path::new("f.toml")).expect("parses");
        assert_eq!(c.store.url, StoreUrl::Postgres("postgres://fk@db.example/archive".into()));
        assert_eq!(c.store.lease.0, Duration::from_secs(60));
        let target = c.publish.target.expect("a target");
        assert_eq!((target.bucket.as_str(), target.prefix.as_str()), ("feeds-bucket", "site/feeds/"));
        assert_eq!(target.to_string(), "s3://feeds-bucket/site/feeds/");
        let captures = c.captures.url.expect("a capture store");
        assert_eq!((captures.bucket.as_str(), captures.prefix.as_str()), ("caps", ""));
        assert_eq!(c.refresh.every.expect("a schedule").0, Duration::from_secs(7 * 86_400));

        let e = err(&format!("{MINIMAL}[store]\nurl = \"mysql://x/y\"\n"));
        assert!(e.contains(":5:") && e.contains("store.url") && e.contains("postgres://"), "{e}");
        let e = err(&format!("{MINIMAL}[captures]\nurl = \"s3://A_B/x\"\n"));
        assert!(e.contains("captures.url") && e.contains("bucket name"), "{e}");
        let e = err(&format!("{MINIMAL}[publish]\ntarget = \"/srv/feeds\"\n"));
        assert!(e.contains("publish.target") && e.contains("s3://"), "{e}");
        let e = err(&format!("{MINIMAL}[refresh]\nevery = \"weekly\"\n"));
        assert!(e.contains("refresh.every") && e.contains("not a duration"), "{e}");
    }

    #[test]
    fn unknown_keys_name_file_line_and_key() {
        let e = err("[site]\ntitle = \"T\"\nbase_url = \"https://e.org/\"\ntitel = \"x\"\n");
        assert!(e.starts_with("conf/feedkeeper.toml:4:1: key `site.titel`"), "{e}");
        assert!(e.contains("unknown field"), "{e}");
    }

    #[test]
    fn bad_values_name_their_key() {
        let e = err(&format!("{MINIMAL}[fetch]\ntimeout = \"soon\"\n"));
        assert!(e.starts_with("conf/feedkeeper.toml:5:"), "{e}");
        assert!(e.contains("key `fetch.timeout`") && e.contains("not a duration"), "{e}");
        let e = err(&format!("{MINIMAL}[relevance]\nthreshold = 1.5\n"));
        assert!(e.contains(":5:") && e.contains("relevance.threshold"), "{e}");
        let e = err("[site]\ntitle = \"T\"\nbase_url = \"example.org\"\n");
        assert!(e.contains(":3:") && e.contains("site.base_url") && e.contains("absolute URL"), "{e}");
    }

    #[test]
    fn sources_are_indexed_in_messages() {
        let text = format!(
            "{MINIMAL}[[sources]]\nname = \"a\"\nurl = \"https://a.example/feed\"\n\n[[sources]]\nname = \"b\"\nurl = \"ftp://x\"\n"
        );
        let e = err(&text);
        assert!(e.contains(":10:") && e.contains("sources[1].url") && e.contains("unsupported scheme"), "{e}");
        let dup = format!(
            "{MINIMAL}[[sources]]\nname = \"a\"\nurl = \"x.xml\"\n[[sources]]\nname = \"a\"\nurl = \"y.xml\"\n"
        );
        let e = err(&dup);
        assert!(e.contains(":8:") && e.contains("sources[1].name") && e.contains("duplicate"), "{e}");
    }

    #[test]
    fn missing_required_keys_are_named() {
        let e = err("[site]\ntitle = \"T\"\n");
        assert!(e.contains("base_url"), "{e}");
        let e = err("[paths]\narchive = \"a\"\n");
        assert!(e.contains("site"), "{e}");
    }

    #[test]
    fn source_urls() {
        assert!(matches!(parse_source_url("https://example.org/feed.xml"), Ok(SourceUrl::Http(_))));
        assert_eq!(parse_source_url("feeds/amnesty.xml"), Ok(SourceUrl::File("feeds/amnesty.xml".into())));
        assert_eq!(parse_source_url("file:///tmp/x.xml"), Ok(SourceUrl::File("/tmp/x.xml".into())));
        assert!(parse_source_url("gopher://x").is_err());
        assert!(parse_source_url("http://").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("20s"), Ok(Duration::from_secs(20)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        for bad in ["", "0", "0s", "h", "1x", "-5m", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn relative_paths_resolve_against_the_config_folder() {
        let mut c = parse(MINIMAL, Path::new("x")).expect("parses");
        c.dir = PathBuf::from("/srv/fk");
        assert_eq!(c.archive_dir(), PathBuf::from("/srv/fk/archive"));
        assert_eq!(c.resolve(Path::new("/abs")), PathBuf::from("/abs"));
    }

    fn dir_config(dir: &Path, extra: &str) -> PathBuf {
        let path = dir.join("feedkeeper.toml");
        std::fs::write(&path, format!("{MINIMAL}{extra}")).expect("write config");
        path
    }

    #[test]
    fn overlapping_folders_are_refused() {
        let tmp = std::env::temp_dir().join(format!("fk-config-overlap-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).expect("tmp");
        for (extra, what) in [
            ("[paths]\nfeeds = \".\"\n", "contains"),
            ("[paths]\nfeeds = \"archive\"\n", "is the archive folder"),
            ("[paths]\nfeeds = \"archive/feeds\"\n", "inside the archive"),
            ("[paths]\narchive = \"feeds/data\"\n", "contains the archive"),
            ("[paths]\nfeeds = \"sub/..\"\narchive = \"/nonexistent-fk-archive\"\n", "config file"),
        ] {
            let e = load(&dir_config(&tmp, extra)).expect_err(extra).to_string();
            assert!(
                e.contains("feedkeeper.toml") && e.contains("key `paths.feeds`") && e.contains(what),
                "{extra}: {e}"
            );
        }
        assert!(load(&dir_config(&tmp, "")).is_ok());
        std::fs::remove_dir_all(&tmp).ok();
    }

    #[test]
    fn only_small_regular_files_are_read() {
        let e = load(Path::new("/dev/zero")).expect_err("device").to_string();
        assert!(e.starts_with("/dev/zero: ") && e.contains("not a regular file"), "{e}");
        let e = load(&std::env::temp_dir()).expect_err("folder").to_string();
        assert!(e.contains("not a regular file"), "{e}");
    }

    #[test]
    fn language_must_be_a_language_tag() {
        for good in ["en", "pt-BR", "zh-Hant-TW", "x-klingon", "de-DE-1996"] {
            assert!(is_language_tag(good), "{good}");
        }
        for bad in ["", "english language", "e", "en_US", "toolonglanguage", "en-", "en--GB", "<b>"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
        let e = err("[site]\ntitle = \"T\"\nbase_url = \"https://e.org/\"\nlanguage = \"en_US\"\n");
        assert!(e.contains(":4:") && e.contains("site.language") && e.contains("en_US"), "{e}");
    }

    #[test]
    fn many_sources_load_in_linear_time() {
        // 50,000 sources: the duplicate-name check was a list scan per source.
        let mut text = String::from(MINIMAL);
        for i in 0..50_000 {
            text.push_str(&format!("[[sources]]\nname = \"s{i}\"\nurl = \"https://e.org/{i}.xml\"\n"));
        }
        let c = parse(&text, Path::new("big.toml")).expect("parses");
        assert_eq!(c.sources.len(), 50_000);
    }
}
