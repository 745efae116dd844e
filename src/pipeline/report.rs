//! The reports `check` and `run` return: per source, what its poll did and each item's
//! decision. Plain data for the binary to print or serialize; nothing here decides or
//! does I/O.

use serde::Serialize;

use crate::publish::PublishReport;
use crate::websub::PingReport;

/// What happened to a source in this check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Fetched,
    NotModified,
    Failed,
    Skipped,
    /// Polled, but another worker took the source over before this one saved: nothing of
    /// this poll was kept.
    LeaseLost,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Fetched => "fetched",
            Outcome::NotModified => "not modified",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
            Outcome::LeaseLost => "lease lost",
        }
    }
}

/// One item's decision as reported.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionView {
    /// The item's key within its source (what `relevance label` takes).
    pub key: String,
    pub title: String,
    pub url: Option<String>,
    pub score: f64,
    pub kept: bool,
    pub reasons: Vec<String>,
    /// `false` when this is the decision stored by an earlier poll.
    pub new: bool,
    /// The archived article, for kept items (not in a dry run).
    pub article_id: Option<String>,
}

/// A page whose extraction ran past its time budget; its item was archived from the
/// feed's entry instead.
#[derive(Debug, Clone, Serialize)]
pub struct PageOverBudget {
    pub title: String,
    pub url: String,
    /// What stopped it, naming the page and the budget.
    pub error: String,
}

/// One source in the report.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    pub name: String,
    pub url: String,
    pub outcome: Outcome,
    /// Items in the feed this poll.
    pub seen: usize,
    /// Of those, decided as related (in this poll or an earlier one).
    pub kept: usize,
    pub rejected: usize,
    /// Articles added or given a new version from this source in this check.
    pub archived: usize,
    /// The error, when the poll failed.
    pub error: Option<String>,
    /// Why a source was skipped.
    pub note: Option<String>,
    /// When the source is next due (RFC 3339), as saved.
    pub next_due: Option<String>,
    pub decisions: Vec<DecisionView>,
    /// The walk of its history, when `backfill = true` and this was its first poll.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backfill: Option<super::BackfillReport>,
    /// Pages given up on for taking longer than their time budget to read (left out when
    /// there are none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pages_over_budget: Vec<PageOverBudget>,
}

/// What `check` did.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub dry_run: bool,
    pub sources: Vec<SourceReport>,
    /// Articles added or updated, over all sources.
    pub archived: usize,
    /// Sources whose poll failed.
    pub failed: usize,
    /// In a dry run with labelled items (`relevance label`): their scores and the
    /// threshold they suggest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<super::LabelCalibration>,
}

impl CheckReport {
    /// The sources whose poll failed.
    pub fn failures(&self) -> impl Iterator<Item = &SourceReport> {
        self.sources.iter().filter(|s| s.outcome == Outcome::Failed)
    }

    /// Every page given up on for its time budget, with its source.
    pub fn pages_over_budget(&self) -> impl Iterator<Item = (&SourceReport, &PageOverBudget)> {
        self.sources.iter().flat_map(|s| s.pages_over_budget.iter().map(move |p| (s, p)))
    }
}

/// What `run` did: the check, then the publish, then the WebSub pings.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    #[serde(flatten)]
    pub check: CheckReport,
    pub published: PublishReport,
    /// The hub's answer; `None` when no hub is set or no subscription feed changed.
    pub websub: Option<PingReport>,
    /// The scheduled re-check of archived originals (`[refresh] every`), when one ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh: Option<super::RefreshReport>,
}
