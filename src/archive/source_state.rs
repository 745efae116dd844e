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
use crate::article::ArticleId;

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

    /// The stored decision on one item of one source.
    fn decision(&self, source: &str, item_key: &str) -> Result<Option<Decision>, ArchiveError>;

    /// Saves the new states and decisions of one check in one transaction. Each state's
    /// `items_kept` is recounted from the stored decisions.
    fn record_check(&mut self, states: &[SourceState], decisions: &[Decision]) -> Result<(), ArchiveError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::SqliteStore;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, h, 0, 0).single().expect("date")
    }

    fn decision(source: &str, key: &str, kept: bool) -> Decision {
        Decision {
            source: source.into(),
            item_key: key.into(),
            title: format!("Item {key}"),
            url: Some(format!("https://news.example/{key}")),
            score: if kept { 0.8 } else { 0.1 },
            kept,
            reasons: vec!["archive topic 0.80".into(), "keyword \"Evin\" in title".into()],
            item_hash: "h1".into(),
            topic_fingerprint: "t1".into(),
            rules_fingerprint: "r1".into(),
            article_id: kept.then(|| ArticleId(format!("urn:uuid:{key}"))),
            decided_at: at(12),
        }
    }

    #[test]
    fn states_and_decisions_round_trip_and_count_kept_items() {
        let mut s = SqliteStore::open_in_memory().expect("store");
        assert!(s.source_states().expect("states").is_empty());
        let state = SourceState {
            name: "HR News".into(),
            url: "https://hr.example/feed".into(),
            etag: Some("\"v1\"".into()),
            last_modified: Some("Sat, 28 Nov 2026 11:00:00 GMT".into()),
            last_attempt: Some(at(12)),
            last_success: Some(at(12)),
            last_error: None,
            failures: 0,
            next_due: Some(at(13)),
            retry_after: None,
            ttl_secs: Some(1800),
            max_age_secs: None,
            items_kept: 0,
        };
        let decisions = [decision("HR News", "a", true), decision("HR News", "b", false), decision("Other", "a", true)];
        s.record_check(std::slice::from_ref(&state), &decisions).expect("record");
        let states = s.source_states().expect("states");
        assert_eq!(states.len(), 1);
        assert_eq!(states[0], SourceState { items_kept: 1, ..state.clone() });
        assert_eq!(s.decision("HR News", "b").expect("read"), Some(decisions[1].clone()));
        assert_eq!(s.decision("HR News", "zz").expect("read"), None);

        // A later check replaces the decision and the state.
        let mut again = decision("HR News", "b", true);
        again.item_hash = "h2".into();
        let failed = SourceState { failures: 1, last_error: Some("timed out".into()), ..state.clone() };
        s.record_check(&[failed], &[again.clone()]).expect("record");
        assert_eq!(s.decision("HR News", "b").expect("read"), Some(again));
        let states = s.source_states().expect("states");
        assert_eq!((states[0].failures, states[0].items_kept), (1, 2));
        assert_eq!(states[0].last_error.as_deref(), Some("timed out"));
    }
}
