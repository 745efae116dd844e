//! Storage for watching upstream: each source's polling state (validators, schedule, health)
//! and the decision taken on every item seen, behind the narrow [`SourceStateStore`] trait.
//!
//! A decision is keyed by (source, item key) and keeps what is needed to avoid work on the
//! next poll: the item's content hash (an archived item whose hash changes is fetched again),
//! and the topic and rules fingerprints it was scored under (a rejected item is scored again
//! only when one of them changes). This module holds the model and the trait; each backend
//! stores them in its own file. No SQL, no network, no scoring.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ArchiveError;
use crate::article::{ArticleId, CaptureRef};

/// One source's polling state and health, as last saved.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SourceState {
    /// The configured source name (the key).
    pub name: String,
    /// The URL (or path, as configured) the validators belong to.
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// When the source was last polled, successfully or not.
    pub last_attempt: Option<DateTime<Utc>>,
    /// When a poll last succeeded (fetched or not modified).
    pub last_success: Option<DateTime<Utc>>,
    /// The last poll's error; `None` after a success.
    pub last_error: Option<String>,
    /// Consecutive failed polls.
    pub failures: u32,
    /// When the source is next due.
    pub next_due: Option<DateTime<Utc>>,
    /// The server's `Retry-After`, as an absolute time.
    pub retry_after: Option<DateTime<Utc>>,
    /// The feed's own TTL, in seconds.
    pub ttl_secs: Option<u64>,
    /// The last response's `Cache-Control: max-age`, in seconds.
    pub max_age_secs: Option<u64>,
    /// Items of this source decided as related, over all polls.
    pub items_kept: u64,
}

/// The decision on one upstream item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub source: String,
    /// The item's key within its source: upstream id, else canonical link, else a hash of
    /// the title.
    pub item_key: String,
    pub title: String,
    pub url: Option<String>,
    pub score: f64,
    pub kept: bool,
    pub reasons: Vec<String>,
    /// Hash of the item as the feed carried it; a change means the item changed upstream.
    pub item_hash: String,
    pub topic_fingerprint: String,
    pub rules_fingerprint: String,
    /// The archived article, for kept items.
    pub article_id: Option<ArticleId>,
    pub decided_at: DateTime<Utc>,
}

/// Source state and decisions: what a backend stores for `check` and `watch`, beside the
/// articles.
pub trait SourceStateStore {
    /// Every saved source state, by name.
    fn source_states(&self) -> Result<Vec<SourceState>, ArchiveError>;

    /// One source's saved state (a backend with an index answers without reading them all).
    fn source_state(&self, name: &str) -> Result<Option<SourceState>, ArchiveError> {
        Ok(self.source_states()?.into_iter().find(|s| s.name == name))
    }

    /// The stored decision on one item of one source.
    fn decision(&self, source: &str, item_key: &str) -> Result<Option<Decision>, ArchiveError>;

    /// Saves the new states and decisions of one check in one transaction. Each state's
    /// `items_kept` is recounted from the stored decisions. `captures` are the records the
    /// check captured (a decision may name one its article does not refer to, a page that
    /// could not be read): they are committed in the same transaction (see
    /// [`super::ledger`]).
    fn record_check(
        &mut self,
        states: &[SourceState],
        decisions: &[Decision],
        captures: &[CaptureRef],
    ) -> Result<(), ArchiveError>;
}
