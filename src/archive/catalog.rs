//! The sources in the store, and the leases workers take on them, behind the narrow
//! [`SourceCatalog`] trait.
//!
//! A source is declared in the config's `[[sources]]` (origin [`SourceOrigin::Config`]) or
//! imported from OPML ([`SourceOrigin::Opml`]); either way it is a row of the catalog, keyed
//! by name, with the time it is next due. A source the config no longer declares is
//! *disabled* (never polled again, its state and decisions kept), never deleted.
//!
//! Finding work is an indexed query by due time: [`SourceCatalog::claim_due`] hands a worker
//! the due sources no one else holds, each under a lease (until `now + lease`) and a new
//! *epoch*. The epoch fences the save: [`SourceCatalog::record_claimed`] keeps the state and
//! decisions of a claim only while its epoch is current, so a worker that stalled past its
//! lease, whose sources another worker claimed since, gets them back as lost instead of
//! overwriting what its successor saved. A per-host cap on the leases held at once
//! ([`ClaimRequest::per_host`]) holds across workers because it is counted in the store.
//!
//! This module holds the model, the trait and the pure rules above it ([`reconcile`],
//! [`host_of`]); each backend stores them in its own file. No SQL, no network.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ArchiveError;
use super::source_state::{Decision, SourceState};
use crate::article::CaptureRef;

/// Where a source was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceOrigin {
    /// A `[[sources]]` table of the config file.
    Config,
    /// `sources import FILE.opml`.
    Opml,
}

impl SourceOrigin {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceOrigin::Config => "config",
            SourceOrigin::Opml => "opml",
        }
    }

    /// Reads the stored form.
    pub fn parse(s: &str) -> Option<SourceOrigin> {
        match s {
            "config" => Some(SourceOrigin::Config),
            "opml" => Some(SourceOrigin::Opml),
            _ => None,
        }
    }
}

/// One source as the catalog keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogSource {
    /// The unique name (the key).
    pub name: String,
    /// The URL, or a local path as configured.
    pub url: String,
    /// The minimum polling interval, in seconds.
    pub every_secs: u64,
    pub tags: Vec<String>,
    pub keywords: Vec<String>,
    /// Walk the source's history once, when it is first polled.
    pub backfill: bool,
    pub origin: SourceOrigin,
    /// A disabled source is kept (with its state and decisions) but never claimed.
    pub enabled: bool,
}

impl CatalogSource {
    /// The host its polls go to, for the per-host cap (see [`host_of`]).
    pub fn host(&self) -> String {
        host_of(&self.url)
    }
}

/// A worker's claim on one source: valid while its epoch is the source's current one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Claim {
    pub name: String,
    pub epoch: u64,
}

/// What [`SourceCatalog::claim_due`] is asked for.
#[derive(Debug, Clone, Copy)]
pub struct ClaimRequest<'a> {
    /// Who claims (host and process), for diagnosis and renewal.
    pub worker: &'a str,
    /// The clock the due times and leases are compared with (a database server uses its own).
    pub now: DateTime<Utc>,
    /// How long the claims last without renewal.
    pub lease: Duration,
    /// At most this many claims.
    pub limit: usize,
    /// At most this many leases held at once, by all workers, on sources of one host.
    pub per_host: usize,
}

/// The catalog of sources and their leases: what a backend stores for `watch`, `run` and
/// `check` to find due sources without reading every one of them.
pub trait SourceCatalog {
    /// Inserts each source, or updates the one of that name: enabled, with these settings.
    /// A new source is due when its saved state says (now, if it has none); a source whose
    /// URL or interval changed is due now; otherwise its due time and lease are kept.
    fn upsert_sources(&mut self, sources: &[CatalogSource]) -> Result<(), ArchiveError>;

    /// Every source, enabled or not, by name (byte order).
    fn catalog(&self) -> Result<Vec<CatalogSource>, ArchiveError>;

    /// The source named `name`.
    fn catalog_source(&self, name: &str) -> Result<Option<CatalogSource>, ArchiveError>;

    /// Disables these sources: kept, with their state and decisions, but never claimed.
    fn disable_sources(&mut self, names: &[String]) -> Result<(), ArchiveError>;

    /// In one short transaction: the enabled sources due at `req.now` (due time first, then
    /// name) that nobody holds a live lease on, at most `req.limit` of them and at most
    /// `req.per_host` leases held per host, each leased to `req.worker` until `now + lease`
    /// under a new epoch. Reads only the due sources (an index on the due time), never every
    /// source.
    fn claim_due(&mut self, req: &ClaimRequest<'_>) -> Result<Vec<Claim>, ArchiveError>;

    /// Claims these enabled sources whether due or not (`check --force`, `--source`), except
    /// those another worker holds a live lease on.
    fn claim_named(&mut self, names: &[String], req: &ClaimRequest<'_>) -> Result<Vec<Claim>, ArchiveError>;

    /// Extends the leases of the claims whose epoch is still current to `now + lease`;
    /// returns those (a claim missing from the answer is lost: another worker took it over).
    fn renew(&mut self, claims: &[Claim], now: DateTime<Utc>, lease: Duration) -> Result<Vec<Claim>, ArchiveError>;

    /// Ends the leases of the claims whose epoch is still current (the sources stay due when
    /// their due time says so).
    fn release(&mut self, claims: &[Claim]) -> Result<(), ArchiveError>;

    /// The workers holding a live lease at `now`, each once, in byte order.
    fn lease_holders(&self, now: DateTime<Utc>) -> Result<Vec<String>, ArchiveError>;

    /// Ends every lease `worker` holds (a worker known to be dead: its sources need not wait
    /// for its leases to run out). Its epochs stay, so nothing it saved late would be kept
    /// after another worker claimed the source.
    fn end_leases_of(&mut self, worker: &str) -> Result<(), ArchiveError>;

    /// [`SourceStateStore::record_check`](super::SourceStateStore::record_check), fenced: in
    /// one transaction, the states and decisions of sources whose claim is no longer current
    /// are left out and their names returned (sorted); a source not named in `claims` is
    /// saved as given. Saving a state also sets the source's due time to its `next_due`.
    fn record_claimed(
        &mut self,
        claims: &[Claim],
        states: &[SourceState],
        decisions: &[Decision],
        captures: &[CaptureRef],
    ) -> Result<Vec<String>, ArchiveError>;
}

/// The host of a URL (lower case), or `""` for a local path: what the per-host cap counts.
pub fn host_of(url: &str) -> String {
    url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase)).unwrap_or_default()
}

/// The names of the stored sources the config declared once and no longer declares (and
/// that are still enabled): the ones to disable. Imported sources are never disabled here.
pub fn reconcile(stored: &[CatalogSource], declared: &[CatalogSource]) -> Vec<String> {
    let declared: HashSet<&str> = declared.iter().map(|s| s.name.as_str()).collect();
    stored
        .iter()
        .filter(|s| s.enabled && s.origin == SourceOrigin::Config && !declared.contains(s.name.as_str()))
        .map(|s| s.name.clone())
        .collect()
}

/// The catalog as it is after `declared` is upserted and [`reconcile`]'s sources disabled,
/// computed without writing (for commands that only read): by name.
pub fn reconciled_view(stored: Vec<CatalogSource>, declared: &[CatalogSource]) -> Vec<CatalogSource> {
    let gone: HashSet<String> = reconcile(&stored, declared).into_iter().collect();
    let mut by_name: std::collections::BTreeMap<String, CatalogSource> = stored
        .into_iter()
        .map(|mut s| {
            if gone.contains(&s.name) {
                s.enabled = false;
            }
            (s.name.clone(), s)
        })
        .collect();
    for s in declared {
        by_name.insert(s.name.clone(), CatalogSource { enabled: true, ..s.clone() });
    }
    by_name.into_values().collect()
}

/// The per-host cap of one claim ([`ClaimRequest::per_host`]): the leases each host holds
/// now, and whether one more may be taken. Every backend's `claim_due` counts through it.
pub(crate) struct HostSlots {
    per_host: usize,
    held: HashMap<String, usize>,
}

impl HostSlots {
    pub(crate) fn new(per_host: usize) -> HostSlots {
        HostSlots { per_host, held: HashMap::new() }
    }

    /// Whether the cap limits anything (without one, the held leases need not be counted).
    pub(crate) fn capped(&self) -> bool {
        self.per_host < usize::MAX
    }

    /// Counts `n` more leases held on `host`.
    pub(crate) fn hold(&mut self, host: String, n: usize) {
        *self.held.entry(host).or_default() += n;
    }

    /// Takes a slot of `host` for a new claim; `false` when the host is at its cap.
    pub(crate) fn take(&mut self, host: String) -> bool {
        let slots = self.held.entry(host).or_default();
        if *slots >= self.per_host {
            return false;
        }
        *slots += 1;
        true
    }
}

/// The states and decisions of the sources not in `lost`: what a fenced save keeps.
pub(crate) fn without_lost(
    lost: &[String],
    states: &[SourceState],
    decisions: &[Decision],
) -> (Vec<SourceState>, Vec<Decision>) {
    let lost: HashSet<&str> = lost.iter().map(String::as_str).collect();
    (
        states.iter().filter(|s| !lost.contains(s.name.as_str())).cloned().collect(),
        decisions.iter().filter(|d| !lost.contains(d.source.as_str())).cloned().collect(),
    )
}

/// Seconds since the epoch (the stored form of due times and leases).
pub(crate) fn secs(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// `now + lease` in stored seconds (a lease of less than a second still lasts one).
pub(crate) fn lease_end(now: DateTime<Utc>, lease: Duration) -> i64 {
    secs(now).saturating_add(i64::try_from(lease.as_secs().max(1)).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn source(name: &str, origin: SourceOrigin) -> CatalogSource {
        CatalogSource {
            name: name.into(),
            url: format!("https://{name}.example/feed"),
            every_secs: 3600,
            tags: vec![],
            keywords: vec![],
            backfill: false,
            origin,
            enabled: true,
        }
    }

    #[test]
    fn only_config_sources_the_config_dropped_are_disabled() {
        let stored = vec![
            source("a", SourceOrigin::Config),
            source("b", SourceOrigin::Config),
            source("c", SourceOrigin::Opml),
            CatalogSource { enabled: false, ..source("d", SourceOrigin::Config) },
        ];
        let declared = vec![source("a", SourceOrigin::Config)];
        assert_eq!(reconcile(&stored, &declared), vec!["b".to_string()]);
        let view = reconciled_view(stored, &declared);
        let enabled: Vec<_> = view.iter().filter(|s| s.enabled).map(|s| s.name.as_str()).collect();
        assert_eq!(enabled, ["a", "c"]);
    }

    #[test]
    fn hosts_are_lower_case_and_local_paths_have_none() {
        assert_eq!(host_of("https://News.Example:8443/feed"), "news.example");
        assert_eq!(host_of("feeds/local.xml"), "");
    }
}
