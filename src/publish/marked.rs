//! What `refresh` found, as the publisher shows it: the notes on the pages of changed and
//! removed articles (a word-level diff between the last two versions with both capture
//! times and hashes; a "removed upstream" notice with the evidence), and the takedowns that
//! `removed/atom.xml`, `rss.xml` and `feed.json` list, newest first.
//!
//! [`Marked::load`] reads the refresh states that are not `current` and a digest of them;
//! the publisher renders these pages and feeds again only when the digest differs from the
//! last publish's (or the pages' articles get new versions). Only reads; no clock.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::archive::{Archive, ArchiveError, ArticleState, Evidence, LogEntry, RefreshState};
use crate::article::ArticleId;

/// One version, as the diff's heading names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionMark {
    pub version: u32,
    pub archived_at: DateTime<Utc>,
    pub content_hash: String,
}

/// What changed between the last two versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    pub from: VersionMark,
    pub to: VersionMark,
    /// The word-level diff, as HTML ([`super::diff::word_diff`]).
    pub html: String,
}

/// The note on one article's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageNote {
    pub state: ArticleState,
    pub since: DateTime<Utc>,
    pub evidence: Option<Evidence>,
    /// For a changed article with at least two versions readable.
    pub changes: Option<Changes>,
}

/// The marked articles of an archive.
#[derive(Debug, Default)]
pub struct Marked {
    /// By article id: every article whose state is not `current`.
    pub notes: HashMap<ArticleId, PageNote>,
    /// The removed articles' states, newest takedown first (then by id).
    pub removed: Vec<RefreshState>,
    /// A digest of the states shown; `None` when no article is marked.
    pub digest: Option<String>,
}

impl Marked {
    /// Reads the marked articles' states (not their diffs: see [`Marked::with_changes`]).
    pub fn load(store: &dyn Archive) -> Result<Marked, ArchiveError> {
        let mut marked = Marked::default();
        let mut hasher = blake3::Hasher::new();
        for s in store.refresh_states()? {
            if s.state == ArticleState::Current {
                continue;
            }
            let evidence = s.evidence.as_ref().map(|e| serde_json::to_string(e).unwrap_or_default());
            hasher.update(
                format!("{}\n{}\n{}\n{}\n", s.article_id, s.state.as_str(), s.since, evidence.unwrap_or_default())
                    .as_bytes(),
            );
            marked.notes.insert(
                s.article_id.clone(),
                PageNote { state: s.state, since: s.since, evidence: s.evidence.clone(), changes: None },
            );
            if s.state == ArticleState::Removed {
                marked.removed.push(s);
            }
        }
        if !marked.notes.is_empty() {
            marked.digest = Some(hasher.finalize().to_hex().to_string());
        }
        marked.removed.sort_by(|a, b| b.since.cmp(&a.since).then_with(|| a.article_id.cmp(&b.article_id)));
        Ok(marked)
    }

    /// Reads the last two versions of every changed article and diffs them.
    pub fn with_changes(mut self, store: &dyn Archive) -> Result<Marked, ArchiveError> {
        for (id, note) in &mut self.notes {
            if note.state != ArticleState::Changed {
                continue;
            }
            let Some(stored) = store.get(id)? else { continue };
            let [.., before, after] = stored.versions.as_slice() else { continue };
            let (Some(old), Some(new)) = (store.version(id, before.version)?, store.version(id, after.version)?) else {
                continue;
            };
            let mut html = String::new();
            super::diff::word_diff(&mut html, &old.content.text, &new.content.text);
            let mark = |v: &crate::archive::VersionInfo| VersionMark {
                version: v.version,
                archived_at: v.archived_at,
                content_hash: v.content_hash.clone(),
            };
            note.changes = Some(Changes { from: mark(before), to: mark(after), html });
        }
        Ok(self)
    }

    /// The current version of a marked article as a log entry (for its page), when it can
    /// be read.
    pub fn current_entry(store: &dyn Archive, id: &ArticleId) -> Result<Option<LogEntry>, ArchiveError> {
        let Some(stored) = store.get(id)? else { return Ok(None) };
        let version = stored.versions.last().map_or(1, |v| v.version);
        let mut article = stored.article;
        article.content.text.clear();
        Ok(Some(LogEntry { seq: 0, version, article }))
    }
}
