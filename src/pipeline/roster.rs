//! The sources a command works on: the config's `[[sources]]` upserted into the store's
//! catalog (a config source the file no longer declares is disabled there, its history
//! kept), and the catalog's enabled sources — declared or imported from OPML — handed back
//! as the config's source list, so every step after this one sees one list whatever its
//! origin.
//!
//! The order is the config's for the declared sources, then the imported ones by name.
//! Writing commands [`sync`] (under the archive lock); reading ones use [`view`], the same
//! result computed without writing. No polling, no printing.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::PipelineError;
use crate::archive::catalog::{self, CatalogSource, SourceOrigin};
use crate::archive::{Archive, ArchiveError, SourceCatalog};
use crate::config::{Config, Interval, Source};

/// The config's `[[sources]]` as catalog entries.
pub(crate) fn declared(config: &Config) -> Vec<CatalogSource> {
    config
        .sources
        .iter()
        .map(|s| CatalogSource {
            name: s.name().to_string(),
            url: s.url.as_string(),
            every_secs: s.every.0.as_secs(),
            tags: s.tags.clone(),
            keywords: s.keywords.clone(),
            backfill: s.backfill,
            origin: SourceOrigin::Config,
            enabled: true,
        })
        .collect()
}

/// Upserts the declared sources, disables the dropped ones, and returns `config` with the
/// catalog's enabled sources as its source list.
pub(crate) fn sync(config: &Config, store: &mut dyn Archive) -> Result<Config, PipelineError> {
    let declared = declared(config);
    store.upsert_sources(&declared)?;
    let stored = store.catalog()?;
    let gone = catalog::reconcile(&stored, &declared);
    if !gone.is_empty() {
        tracing::info!(sources = gone.len(), "sources no longer in the config are disabled (their history is kept)");
        store.disable_sources(&gone)?;
    }
    Ok(with_sources(config, catalog::reconciled_view(stored, &declared)))
}

/// [`sync`]'s catalog, computed without writing (for commands that only read): every source,
/// enabled or not, by name.
pub(crate) fn view(config: &Config, store: &dyn SourceCatalog) -> Result<Vec<CatalogSource>, PipelineError> {
    Ok(catalog::reconciled_view(store.catalog()?, &declared(config)))
}

/// [`sync`]'s config, computed without writing.
pub(crate) fn viewed(config: &Config, store: &dyn SourceCatalog) -> Result<Config, PipelineError> {
    Ok(with_sources(config, view(config, store)?))
}

/// `config` with the enabled ones of `catalog` as its sources: the declared ones in the
/// config's order, then the others by name. An entry whose URL no longer reads as a source
/// URL (written by another version) is left out with a warning.
fn with_sources(config: &Config, catalog: Vec<CatalogSource>) -> Config {
    let declared: HashSet<&str> = config.sources.iter().map(Source::name).collect();
    let mut sources = config.sources.clone();
    for c in catalog.into_iter().filter(|c| c.enabled && !declared.contains(c.name.as_str())) {
        match crate::config::parse_source_url(&c.url) {
            Ok(url) => sources.push(Source {
                name: toml::Spanned::new(0..0, c.name),
                url,
                every: Interval(std::time::Duration::from_secs(c.every_secs.max(1))),
                tags: c.tags,
                keywords: c.keywords,
                backfill: c.backfill,
            }),
            Err(e) => tracing::warn!(source = c.name, "left out: {e}"),
        }
    }
    Config { sources, ..config.clone() }
}

/// This process, as a lease holder: the host name and the process id.
pub(crate) fn worker_id() -> String {
    format!("{}:{}", host_name(), std::process::id())
}

fn host_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = host.trim();
    if host.is_empty() { "localhost".to_string() } else { host.to_string() }
}

/// Ends the leases of workers of this host whose process is gone (killed with `kill -9`,
/// crashed): their sources are claimed at once instead of after a lease. Workers of other
/// hosts are left to their leases.
pub(crate) fn end_dead_local_leases(store: &mut dyn Archive, now: DateTime<Utc>) -> Result<(), ArchiveError> {
    let host = host_name();
    for holder in store.lease_holders(now)? {
        if dead_local(&holder, &host, |pid| std::path::Path::new("/proc").join(pid.to_string()).exists()) {
            tracing::info!(worker = holder, "ending the leases of a worker of this host that is gone");
            store.end_leases_of(&holder)?;
        }
    }
    Ok(())
}

/// Whether `holder` (`host:pid`) is a process of `host`, not this one, that `alive` says is
/// gone.
fn dead_local(holder: &str, host: &str, alive: impl Fn(u32) -> bool) -> bool {
    let Some((h, pid)) = holder.rsplit_once(':') else { return false };
    let Ok(pid) = pid.parse::<u32>() else { return false };
    h == host && pid != std::process::id() && !alive(pid)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::archive::MemoryStore;

    fn config(sources: &str) -> Config {
        let text = format!("[site]\ntitle = \"T\"\nbase_url = \"https://archive.example/\"\n{sources}");
        crate::config::parse(&text, Path::new("test.toml")).expect("config")
    }

    fn source(name: &str) -> String {
        format!("[[sources]]\nname = \"{name}\"\nurl = \"https://{name}.example/feed\"\n")
    }

    fn imported(name: &str) -> CatalogSource {
        CatalogSource {
            name: name.into(),
            url: format!("https://{name}.example/rss"),
            every_secs: 600,
            tags: vec!["opml".into()],
            keywords: vec![],
            backfill: false,
            origin: SourceOrigin::Opml,
            enabled: true,
        }
    }

    #[test]
    fn only_gone_processes_of_this_host_lose_their_leases() {
        let gone = |_| false;
        assert!(dead_local("box:4242", "box", gone));
        assert!(!dead_local("box:4242", "box", |_| true), "alive");
        assert!(!dead_local("other:4242", "box", gone), "another host's worker keeps its lease");
        assert!(!dead_local(&format!("box:{}", std::process::id()), "box", gone), "never this process");
        assert!(!dead_local("box", "box", gone));
    }

    #[test]
    fn declared_sources_come_first_then_imported_ones_and_dropped_ones_are_disabled() {
        let mut store = MemoryStore::new();
        store.upsert_sources(&[imported("b-imported"), imported("a-imported")]).expect("import");
        let both = config(&format!("{}{}", source("zeta"), source("alpha")));
        let synced = sync(&both, &mut store).expect("sync");
        let names: Vec<&str> = synced.sources.iter().map(Source::name).collect();
        assert_eq!(names, ["zeta", "alpha", "a-imported", "b-imported"]);
        assert_eq!(synced.sources[2].every.0.as_secs(), 600);
        // Dropping `zeta` from the file disables it in the store, keeping its row.
        let one = config(&source("alpha"));
        let before = viewed(&one, &store).expect("view");
        let synced = sync(&one, &mut store).expect("sync");
        let names: Vec<&str> = synced.sources.iter().map(Source::name).collect();
        assert_eq!(names, ["alpha", "a-imported", "b-imported"]);
        assert_eq!(before.sources.len(), synced.sources.len(), "the view computes what sync writes");
        let zeta = store.catalog_source("zeta").expect("get").expect("kept");
        assert!(!zeta.enabled);
    }
}
