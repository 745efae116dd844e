//! `sources`: each source's health from the saved polling state, and OPML in (`sources
//! import`, which adds to the store's source catalog) and out (`sources export`). The
//! sources are the catalog's ([`roster`](super::roster)): the config's `[[sources]]` and
//! the imported ones.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{PipelineError, roster};
use crate::archive::{ArchiveDir, CatalogSource, SourceOrigin, SourceState};
use crate::config::{Config, Source, SourceUrl};
use crate::opml::{OpmlError, RefusedOutline, SourceEntry};

/// One source's health, as `sources` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct SourceHealth {
    pub name: String,
    pub url: String,
    /// The configured interval, in seconds.
    pub every_secs: u64,
    pub tags: Vec<String>,
    /// Where it was declared: `config` or `opml`.
    pub origin: SourceOrigin,
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

/// The health of every enabled source in the store's catalog (the config's `[[sources]]`
/// as they are now, then the imported ones by name).
pub fn sources(config: &Config) -> Result<Vec<SourceHealth>, PipelineError> {
    let store = ArchiveDir::of(config).open_read()?;
    let view = roster::view(config, store.as_ref())?;
    let origins: HashMap<&str, SourceOrigin> = view.iter().map(|c| (c.name.as_str(), c.origin)).collect();
    let listed = roster::viewed(config, store.as_ref())?;
    let mut states: HashMap<String, SourceState> =
        store.source_states()?.into_iter().map(|s| (s.name.clone(), s)).collect();
    let t = |t: Option<DateTime<Utc>>| t.as_ref().map(crate::date::rfc3339);
    Ok(listed
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
                origin: origins.get(src.name()).copied().unwrap_or(SourceOrigin::Config),
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
    /// The archive whose catalog the sources were added to.
    pub archive: PathBuf,
    /// (name, url) of each source added.
    pub added: Vec<(String, String)>,
    /// Entries left out, each with its reason.
    pub skipped: Vec<String>,
    /// Entries refused by the address rules item links obey: local files, private or
    /// loopback addresses (unless `fetch.allow_private`), schemes other than http(s).
    pub refused: Vec<RefusedOutline>,
}

/// Reads an OPML file and upserts its new feeds into the store's source catalog (origin
/// `opml`, polled hourly), under the archive lock. The config file is left as it is: a
/// list of 100,000 feeds belongs in the store, not in a 100,000-table config.
pub fn sources_import(config: &Config, opml: &Path) -> Result<SourcesImportReport, PipelineError> {
    let bytes = std::fs::read(opml).map_err(|source| OpmlError::Read { path: opml.to_path_buf(), source })?;
    let found = crate::opml::parse_opml(&String::from_utf8_lossy(&bytes), opml)?;
    let dir = ArchiveDir::of(config);
    let _lock = dir.lock()?;
    let mut store = dir.open()?;
    let known: Vec<SourceEntry> = roster::view(config, store.as_ref())?.iter().map(entry).collect();
    let out = crate::opml::select_new(&known, &found, config.fetch.allow_private);
    let every = Source::default_every().as_secs();
    let added: Vec<CatalogSource> = out
        .added
        .iter()
        .map(|a| CatalogSource {
            name: a.name.clone(),
            url: a.url.clone(),
            every_secs: every,
            tags: a.tags.clone(),
            keywords: Vec::new(),
            backfill: false,
            origin: SourceOrigin::Opml,
            enabled: true,
        })
        .collect();
    store.upsert_sources(&added)?;
    Ok(SourcesImportReport {
        archive: config.archive_dir(),
        added: out.added.into_iter().map(|a| (a.name, a.url)).collect(),
        skipped: out.skipped,
        refused: out.refused,
    })
}

/// The enabled sources of the store's catalog as OPML 2.0. Local sources are written as
/// `file:` URLs of their resolved paths, which other programs can open.
pub fn sources_export(config: &Config) -> Result<String, PipelineError> {
    let store = ArchiveDir::of(config).open_read()?;
    let listed = roster::viewed(config, store.as_ref())?;
    let list: Vec<SourceEntry> = listed
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
    Ok(crate::opml::to_opml(&config.site.title, &list))
}

fn entry(c: &CatalogSource) -> SourceEntry {
    SourceEntry { name: c.name.clone(), url: c.url.clone(), tags: c.tags.clone() }
}
