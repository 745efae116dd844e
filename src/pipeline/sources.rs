//! `sources`: each configured source's health from the saved polling state, and OPML in
//! (`sources import`, which appends to the config file) and out (`sources export`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::PipelineError;
use crate::archive::{ArchiveDir, SourceState};
use crate::config::{Config, SourceUrl};
use crate::opml::{OpmlError, RefusedOutline, SourceEntry};

/// One source's health, as `sources` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct SourceHealth {
    pub name: String,
    pub url: String,
    /// The configured interval, in seconds.
    pub every_secs: u64,
    pub tags: Vec<String>,
    /// `new` (never polled), `ok`, or `failing`.
    pub status: &'static str,
    pub last_attempt: Option<String>,
    pub last_success: Option<String>,
    pub last_error: Option<String>,
    pub failures: u32,
    /// When it is next polled (RFC 3339); `None` for a source never polled (due now).
    pub next_due: Option<String>,
    pub retry_after: Option<String>,
    pub items_kept: u64,
}

/// The health of every configured source, in config order.
pub fn sources(config: &Config) -> Result<Vec<SourceHealth>, PipelineError> {
    let store = ArchiveDir::of(config).open_read()?;
    let mut states: HashMap<String, SourceState> =
        store.source_states()?.into_iter().map(|s| (s.name.clone(), s)).collect();
    let t = |t: Option<DateTime<Utc>>| t.as_ref().map(crate::date::rfc3339);
    Ok(config
        .sources
        .iter()
        .map(|src| {
            let url = src.url.as_string();
            let state = states.remove(src.name()).filter(|s| s.url == url).unwrap_or_default();
            let status = match (state.last_attempt, state.failures) {
                (None, _) => "new",
                (Some(_), 0) => "ok",
                _ => "failing",
            };
            SourceHealth {
                name: src.name().to_string(),
                url,
                every_secs: src.every.0.as_secs(),
                tags: src.tags.clone(),
                status,
                last_attempt: t(state.last_attempt),
                last_success: t(state.last_success),
                last_error: state.last_error,
                failures: state.failures,
                next_due: t(state.next_due),
                retry_after: t(state.retry_after),
                items_kept: state.items_kept,
            }
        })
        .collect())
}

/// What `sources import` did.
#[derive(Debug, Clone, Serialize)]
pub struct SourcesImportReport {
    pub config: PathBuf,
    /// (name, url) of each source added.
    pub added: Vec<(String, String)>,
    /// Entries left out, each with its reason.
    pub skipped: Vec<String>,
    /// Entries refused by the address rules item links obey: local files, private or
    /// loopback addresses (unless `fetch.allow_private`), schemes other than http(s).
    pub refused: Vec<RefusedOutline>,
}

/// Reads an OPML file and appends its new feeds to the config file as `[[sources]]` tables,
/// keeping everything already in the file. The result is checked as a config before the
/// file is replaced (atomically).
pub fn sources_import(config: &Config, opml: &Path) -> Result<SourcesImportReport, PipelineError> {
    let bytes = std::fs::read(opml).map_err(|source| OpmlError::Read { path: opml.to_path_buf(), source })?;
    let found = crate::opml::parse_opml(&String::from_utf8_lossy(&bytes), opml)?;
    let refused = |message: String| PipelineError::Refused { path: config.path.clone(), message };
    let text = std::fs::read_to_string(&config.path).map_err(|e| refused(format!("cannot read: {e}")))?;
    let out = crate::opml::append_sources(&text, &entries(config), &found, config.fetch.allow_private);
    if !out.added.is_empty() {
        crate::config::parse(&out.text, &config.path)
            .map_err(|e| refused(format!("the sources from {} would make the config invalid: {e}", opml.display())))?;
        write_atomically(&config.path, out.text.as_bytes()).map_err(|e| refused(format!("cannot write: {e}")))?;
    }
    Ok(SourcesImportReport {
        config: config.path.clone(),
        added: out.added,
        skipped: out.skipped,
        refused: out.refused,
    })
}

/// The configured sources as OPML 2.0. Local sources are written as `file:` URLs of their
/// resolved paths, which other programs can open.
pub fn sources_export(config: &Config) -> String {
    let list: Vec<SourceEntry> = config
        .sources
        .iter()
        .map(|s| SourceEntry {
            name: s.name().to_string(),
            url: match &s.url {
                SourceUrl::Http(u) => u.to_string(),
                SourceUrl::File(p) => {
                    let path = std::path::absolute(config.resolve(p)).unwrap_or_else(|_| config.resolve(p));
                    url::Url::from_file_path(&path).map(String::from).unwrap_or_else(|()| path.display().to_string())
                }
            },
            tags: s.tags.clone(),
        })
        .collect();
    crate::opml::to_opml(&config.site.title, &list)
}

fn entries(config: &Config) -> Vec<SourceEntry> {
    config
        .sources
        .iter()
        .map(|s| SourceEntry { name: s.name().to_string(), url: s.url.as_string(), tags: s.tags.clone() })
        .collect()
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "config".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        std::io::Write::write_all(&mut f, bytes)?;
        if let Ok(meta) = std::fs::metadata(path) {
            f.set_permissions(meta.permissions())?;
        }
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
