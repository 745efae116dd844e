//! Storage for watching upstream: each source's polling state (validators, schedule, health)
//! and the decision taken on every item seen, behind the narrow [`SourceStateStore`] trait.
//!
//! A decision is keyed by (source, item key) and keeps what is needed to avoid work on the
//! next poll: the item's content hash (an archived item whose hash changes is fetched again),
//! and the topic and rules fingerprints it was scored under (a rejected item is scored again
//! only when one of them changes). Like the rest of `archive`, this module holds SQL only:
//! no network, no XML, no scoring.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::{ArchiveError, SqliteStore};
use crate::article::{ArticleId, CaptureRef};
use crate::date;

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

/// Source state and decisions. Implemented by [`SqliteStore`].
pub trait SourceStateStore {
    /// Every saved source state, by name.
    fn source_states(&self) -> Result<Vec<SourceState>, ArchiveError>;

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

const DECISION_COLUMNS: &str = "source, item_key, title, url, score, kept, reasons, item_hash, topic_fingerprint, \
     rules_fingerprint, article_id, decided_at";

fn time(s: Option<String>) -> Option<DateTime<Utc>> {
    s.as_deref().and_then(date::parse)
}

fn read_state(r: &Row<'_>) -> rusqlite::Result<SourceState> {
    Ok(SourceState {
        name: r.get(0)?,
        url: r.get(1)?,
        etag: r.get(2)?,
        last_modified: r.get(3)?,
        last_attempt: time(r.get(4)?),
        last_success: time(r.get(5)?),
        last_error: r.get(6)?,
        failures: r.get::<_, i64>(7)?.clamp(0, i64::from(u32::MAX)) as u32,
        next_due: time(r.get(8)?),
        retry_after: time(r.get(9)?),
        ttl_secs: r.get::<_, Option<i64>>(10)?.map(|n| n.max(0) as u64),
        max_age_secs: r.get::<_, Option<i64>>(11)?.map(|n| n.max(0) as u64),
        items_kept: r.get::<_, i64>(12)?.max(0) as u64,
    })
}

impl SourceStateStore for SqliteStore {
    fn source_states(&self) -> Result<Vec<SourceState>, ArchiveError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT name, url, etag, last_modified, last_attempt, last_success, last_error, failures,
                        next_due, retry_after, ttl_secs, max_age_secs, items_kept
                 FROM source_state ORDER BY name",
            )
            .map_err(self.sql("reading source state"))?;
        let rows = stmt.query_map([], read_state).map_err(self.sql("reading source state"))?;
        rows.collect::<Result<_, _>>().map_err(self.sql("reading source state"))
    }

    fn decision(&self, source: &str, item_key: &str) -> Result<Option<Decision>, ArchiveError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {DECISION_COLUMNS} FROM decisions WHERE source = ?1 AND item_key = ?2"))
            .map_err(self.sql("reading a decision"))?;
        let row = stmt
            .query_row(params![source, item_key], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, f64>(4)?,
                    r.get::<_, bool>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, String>(9)?,
                    r.get::<_, Option<String>>(10)?,
                    r.get::<_, String>(11)?,
                ))
            })
            .optional()
            .map_err(self.sql("reading a decision"))?;
        let Some((source, item_key, title, url, score, kept, reasons, item_hash, topic, rules, article, at)) = row
        else {
            return Ok(None);
        };
        let reasons: Vec<String> = serde_json::from_str(&reasons).map_err(|e| ArchiveError::Corrupt {
            path: self.path.clone(),
            what: format!("decision reasons of {source:?} {item_key:?}"),
            detail: e.to_string(),
        })?;
        let decided_at = date::parse(&at).ok_or_else(|| ArchiveError::Corrupt {
            path: self.path.clone(),
            what: format!("decision time of {source:?} {item_key:?}"),
            detail: at.clone(),
        })?;
        Ok(Some(Decision {
            source,
            item_key,
            title,
            url,
            score,
            kept,
            reasons,
            item_hash,
            topic_fingerprint: topic,
            rules_fingerprint: rules,
            article_id: article.map(ArticleId),
            decided_at,
        }))
    }

    fn record_check(
        &mut self,
        states: &[SourceState],
        decisions: &[Decision],
        captures: &[CaptureRef],
    ) -> Result<(), ArchiveError> {
        let path = self.path.clone();
        let err = |source: rusqlite::Error| ArchiveError::Sql {
            path: path.clone(),
            context: "saving source state and decisions",
            source: source.into(),
        };
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut put = tx
                .prepare_cached(&format!(
                    "INSERT OR REPLACE INTO decisions ({DECISION_COLUMNS})
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
                ))
                .map_err(err)?;
            for d in decisions {
                let reasons = serde_json::to_string(&d.reasons).unwrap_or_else(|_| "[]".into());
                put.execute(params![
                    d.source,
                    d.item_key,
                    d.title,
                    d.url,
                    d.score,
                    d.kept,
                    reasons,
                    d.item_hash,
                    d.topic_fingerprint,
                    d.rules_fingerprint,
                    d.article_id.as_ref().map(ArticleId::as_str),
                    date::rfc3339(&d.decided_at),
                ])
                .map_err(err)?;
            }
            let mut save = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO source_state (name, url, etag, last_modified, last_attempt, last_success,
                         last_error, failures, next_due, retry_after, ttl_secs, max_age_secs, items_kept)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
                         (SELECT COUNT(*) FROM decisions WHERE source = ?1 AND kept = 1))",
                )
                .map_err(err)?;
            let t = |t: &Option<DateTime<Utc>>| t.as_ref().map(date::rfc3339);
            let secs = |s: Option<u64>| s.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
            for s in states {
                save.execute(params![
                    s.name,
                    s.url,
                    s.etag,
                    s.last_modified,
                    t(&s.last_attempt),
                    t(&s.last_success),
                    s.last_error,
                    i64::from(s.failures),
                    t(&s.next_due),
                    t(&s.retry_after),
                    secs(s.ttl_secs),
                    secs(s.max_age_secs),
                ])
                .map_err(err)?;
            }
            for c in captures {
                super::ledger::commit(&tx, &c.file, c.offset + c.length).map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        s.record_check(std::slice::from_ref(&state), &decisions, &[]).expect("record");
        let states = s.source_states().expect("states");
        assert_eq!(states.len(), 1);
        assert_eq!(states[0], SourceState { items_kept: 1, ..state.clone() });
        assert_eq!(s.decision("HR News", "b").expect("read"), Some(decisions[1].clone()));
        assert_eq!(s.decision("HR News", "zz").expect("read"), None);

        // A later check replaces the decision and the state.
        let mut again = decision("HR News", "b", true);
        again.item_hash = "h2".into();
        let failed = SourceState { failures: 1, last_error: Some("timed out".into()), ..state.clone() };
        s.record_check(&[failed], &[again.clone()], &[]).expect("record");
        assert_eq!(s.decision("HR News", "b").expect("read"), Some(again));
        let states = s.source_states().expect("states");
        assert_eq!((states[0].failures, states[0].items_kept), (1, 2));
        assert_eq!(states[0].last_error.as_deref(), Some("timed out"));
    }
}
