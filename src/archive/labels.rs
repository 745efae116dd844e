//! The verdicts a person gave on items and articles (`relevance label ID related|unrelated`),
//! kept in the archive so that `check --dry-run` can suggest a threshold from them.
//!
//! Stored above the backend trait, as one JSON value of the backend's saved state
//! ([`Backend::meta_get`] / [`Backend::meta_set`]), so every backend (SQLite, memory,
//! PostgreSQL) keeps them without code of its own. A person labels tens of items, not
//! thousands: the whole list is read and rewritten each time, sorted by id, one label per
//! id (the latest wins). No scoring here, no network.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ArchiveError, Backend};

/// The saved-state key holding the labels.
pub const LABELS_KEY: &str = "relevance.labels";

/// One person's verdict on one item or article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label {
    /// What was labelled, as given: an item's key or link, or an article id.
    pub id: String,
    /// True for related, false for unrelated.
    pub related: bool,
    /// What the label is on: `item` (a stored decision), `article` (an archived article)
    /// or `unseen` (neither yet: it counts once a check sees an item with this key or link).
    pub kind: String,
    /// The item's or article's title, when known.
    pub title: Option<String>,
    /// Its link, when known: a check that sees an item with this link uses its fresh score.
    pub url: Option<String>,
    /// Its score when it was labelled (a stored decision's, or the article's scored as an
    /// item), when known.
    pub score: Option<f64>,
    pub labelled_at: DateTime<Utc>,
}

/// Every stored label, sorted by id.
pub fn labels<B: Backend + ?Sized>(store: &B) -> Result<Vec<Label>, ArchiveError> {
    let Some(text) = store.meta_get(LABELS_KEY)? else {
        return Ok(Vec::new());
    };
    serde_json::from_str(&text).map_err(|e| ArchiveError::Corrupt {
        path: store.location().to_path_buf(),
        what: format!("saved state `{LABELS_KEY}`"),
        detail: e.to_string(),
    })
}

/// Stores a label, replacing any earlier one on the same id.
pub fn record<B: Backend + ?Sized>(store: &mut B, label: Label) -> Result<(), ArchiveError> {
    let mut all = labels(store)?;
    all.retain(|l| l.id != label.id);
    all.push(label);
    all.sort_by(|a, b| a.id.cmp(&b.id));
    let text = serde_json::to_string(&all).map_err(|e| ArchiveError::Corrupt {
        path: store.location().to_path_buf(),
        what: format!("saved state `{LABELS_KEY}`"),
        detail: e.to_string(),
    })?;
    store.meta_set(LABELS_KEY, &text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::MemoryStore;

    fn label(id: &str, related: bool) -> Label {
        Label {
            id: id.into(),
            related,
            kind: "unseen".into(),
            title: None,
            url: None,
            score: None,
            labelled_at: DateTime::from_timestamp(1_700_000_000, 0).expect("a valid time"),
        }
    }

    #[test]
    fn labels_are_kept_sorted_one_per_id() {
        let mut store = MemoryStore::default();
        assert_eq!(labels(&store).expect("read"), []);
        record(&mut store, label("b", true)).expect("write");
        record(&mut store, label("a", false)).expect("write");
        record(&mut store, label("b", false)).expect("write");
        let got = labels(&store).expect("read");
        assert_eq!(got, [label("a", false), label("b", false)]);
    }

    #[test]
    fn a_damaged_label_list_is_an_error_naming_the_key() {
        let mut store = MemoryStore::default();
        store.meta_set(LABELS_KEY, "not json").expect("write");
        let err = labels(&store).expect_err("damaged").to_string();
        assert!(err.contains(LABELS_KEY), "{err}");
    }
}
