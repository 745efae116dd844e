//! Storage for `refresh`: what the last re-check of each archived original found, behind the
//! narrow [`RefreshStateStore`] trait, beside the articles.
//!
//! One row per article that was ever re-checked: its [`ArticleState`] (`current`, `changed`
//! or `removed`) and since when, when it was last checked, the validators of the last
//! response (for the next conditional GET), the run of consecutive failed checks and the
//! last error (for back-off and the dead-host rule), and — for a removed article — the
//! [`Evidence`] of the takedown. An article never re-checked has no row and is `current`.
//! Nothing is ever deleted: a removed article keeps every version it had.
//!
//! This module holds the model and the trait; each backend stores them in its own file. What
//! a response *means* (changed, gone, transient) is decided above, in [`crate::refresh`].
//! No SQL, no network.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ArchiveError;
use crate::article::{ArticleId, CaptureRef};

/// What the re-checks found of an archived article's original.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArticleState {
    /// The original is as archived (or was never re-checked).
    #[default]
    Current,
    /// The original changed: a newer version was captured.
    Changed,
    /// The original is gone (404/410, a redirect to a front page or a login, a soft 404, a
    /// dead host). The archived versions stay.
    Removed,
}

impl ArticleState {
    /// The name stored and shown (`current`, `changed`, `removed`).
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleState::Current => "current",
            ArticleState::Changed => "changed",
            ArticleState::Removed => "removed",
        }
    }

    /// The state named `s`, if it is one.
    pub fn parse(s: &str) -> Option<ArticleState> {
        match s {
            "current" => Some(ArticleState::Current),
            "changed" => Some(ArticleState::Changed),
            "removed" => Some(ArticleState::Removed),
            _ => None,
        }
    }
}

/// Why an original is taken to be gone, as observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The HTTP status of the final response, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The URL the request ended at (after redirects), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_url: Option<String>,
    /// When it was observed.
    pub at: DateTime<Utc>,
    /// What was seen, in words ("HTTP 410 Gone", "redirected to the site's front page", …).
    pub reason: String,
}

/// One article's refresh state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefreshState {
    pub article_id: ArticleId,
    pub state: ArticleState,
    /// When the article entered its state.
    pub since: DateTime<Utc>,
    /// When the original was last checked (successfully or not).
    pub last_checked: DateTime<Utc>,
    /// The validators of the last successful response.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Consecutive failed checks (transient errors); 0 after an answer.
    pub failures: u32,
    /// The last check's error, `None` after an answer.
    pub last_error: Option<String>,
    /// For a removed article: what showed it gone.
    pub evidence: Option<Evidence>,
}

/// Refresh states: what a backend stores for `refresh`, beside the articles.
pub trait RefreshStateStore {
    /// Every saved refresh state, by article id.
    fn refresh_states(&self) -> Result<Vec<RefreshState>, ArchiveError>;

    /// The saved refresh state of one article.
    fn refresh_state(&self, id: &ArticleId) -> Result<Option<RefreshState>, ArchiveError>;

    /// Saves (inserting or replacing) the states of one refresh in one transaction, with
    /// the captures it made that no article write committed (see [`super::ledger`]).
    fn record_refresh(&mut self, states: &[RefreshState], captures: &[CaptureRef]) -> Result<(), ArchiveError>;
}
