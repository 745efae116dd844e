//! The phases of a check after its polls, shared by `check`/`run`/`watch` and by the
//! history walk of `sources backfill`: read the stored decisions, decide (scoring on all
//! cores with a topic model built at most once), fetch and archive the pages of kept items
//! ([`harvest`]), then save decisions, articles and — unless told otherwise — the sources'
//! poll states, and report per source. Nothing is printed here; polling is the caller's.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::decide::{self, Action, SourceRun, Topic};
use super::net::Net;
use super::plan;
use super::report::{CheckReport, DecisionView, Outcome, SourceReport};
use super::{PipelineError, harvest};
use crate::archive::{Archive, ArchiveDir, Claim, SourceState};
use crate::config::Config;
use crate::relevance::Rules;
use crate::upstream::PollOutcome;

/// The note of a source whose lease was lost before its save.
const LEASE_LOST: &str = "lease lost: this worker stalled past its lease and another took the source over; its save stands, this poll was not saved";

/// A check's report and the sources' states it saved (one per polled source).
pub(crate) struct Checked {
    pub(crate) report: CheckReport,
    pub(crate) states: Vec<SourceState>,
}

/// The relevance rules and the topic model (built at most once) that decide items.
pub(super) struct Deciding {
    pub(super) rules: Rules,
    pub(super) topic: Topic,
}

impl Deciding {
    pub(super) fn new(config: &Config) -> Deciding {
        let rules = Rules {
            keywords: config.relevance.keywords.clone(),
            exclude: config.relevance.exclude.clone(),
            threshold: config.relevance.threshold.0,
            learn_from_archive: config.relevance.learn_from_archive,
        };
        let topic = Topic::new(rules.learn_from_archive);
        Deciding { rules, topic }
    }
}

/// How [`apply_runs`] saves: nothing in a dry run; else the decisions and articles, and
/// the sources' new poll states only when `save_states` (a backfill page says nothing about
/// the feed's validators or schedule: its source's state is saved as it was).
#[derive(Debug, Clone, Copy)]
pub(super) struct Mode<'a> {
    pub(super) dry_run: bool,
    pub(super) save_states: bool,
    pub(super) now: DateTime<Utc>,
    /// The leases the polls were made under: the save keeps only the sources whose claim
    /// is still current (see [`crate::archive::catalog`]).
    pub(super) claims: &'a [Claim],
}

/// Decides on the polled runs' items, archives the kept ones and saves (see [`Mode`]).
pub(super) fn apply_runs(
    store: &mut dyn Archive,
    dir: &ArchiveDir,
    net: &Net<'_>,
    mut runs: Vec<SourceRun<'_>>,
    deciding: &mut Deciding,
    mode: Mode<'_>,
) -> Result<Checked, PipelineError> {
    let Mode { dry_run, now, .. } = mode;
    let clock = std::time::Instant::now();
    let lap = |what: &str| tracing::info!(elapsed = ?clock.elapsed(), "check: {what}");
    lap("polled");
    let Deciding { rules, topic } = deciding;
    decide::read_stored(store, &mut runs, rules, topic)?;
    lap("stored decisions read");
    decide::decide(store, &mut runs, rules, topic, now)?;
    lap("scored");
    let captures = if dry_run {
        Vec::new()
    } else {
        let model = topic.built();
        harvest::archive_kept(store, dir, net, &mut runs, rules, model.as_deref())?
    };
    lap("archived");
    // Save and report.
    let mut reports = Vec::with_capacity(runs.len());
    let mut new_states = Vec::new();
    let mut new_decisions = Vec::new();
    for run in runs {
        let p = &run.plan;
        let state = match &run.poll {
            Some(poll) if mode.save_states => Some(plan::next_state(p, poll, now)),
            Some(_) => Some(p.state.clone()),
            None => None,
        };
        let (outcome, error) = match run.poll.as_ref().map(|p| &p.outcome) {
            None => (Outcome::Skipped, None),
            Some(PollOutcome::Fetched(_)) => (Outcome::Fetched, None),
            Some(PollOutcome::NotModified) => (Outcome::NotModified, None),
            Some(PollOutcome::Failed(e)) => (Outcome::Failed, Some(e.to_string())),
        };
        let mut decisions = Vec::new();
        let (mut kept, mut rejected) = (0, 0);
        let seen_count = run.seen.len();
        for x in run.seen {
            let Some(d) = x.decision else { continue };
            if d.kept {
                kept += 1;
            } else {
                rejected += 1;
            }
            decisions.push(DecisionView {
                key: x.key.clone(),
                title: d.title.clone(),
                url: d.url.clone(),
                score: d.score,
                kept: d.kept,
                reasons: d.reasons.clone(),
                new: x.action != Action::Stored,
                article_id: d.article_id.as_ref().map(ToString::to_string),
            });
            if x.action != Action::Stored {
                new_decisions.push(d);
            }
        }
        let next_due = state.as_ref().and_then(|s| s.next_due).or(p.state.next_due);
        reports.push(SourceReport {
            name: p.source.name().to_string(),
            url: p.configured.clone(),
            outcome,
            seen: seen_count,
            kept,
            rejected,
            archived: run.archived,
            error,
            note: p.skip.clone(),
            next_due: next_due.as_ref().map(crate::date::rfc3339),
            decisions,
            pages_over_budget: run.over_budget,
            backfill: None,
        });
        if let Some(state) = state {
            new_states.push(state);
        }
    }
    if !dry_run {
        let lost = store.record_claimed(mode.claims, &new_states, &new_decisions, &captures)?;
        lap("decisions and states saved");
        if !lost.is_empty() {
            let lost: HashSet<String> = lost.into_iter().collect();
            new_states.retain(|s| !lost.contains(&s.name));
            for r in reports.iter_mut().filter(|r| lost.contains(&r.name)) {
                tracing::warn!(source = r.name, "lease lost: another worker took this source over; its save stands");
                r.outcome = Outcome::LeaseLost;
                r.note = Some(LEASE_LOST.to_string());
            }
        }
    }
    let archived = reports.iter().map(|r| r.archived).sum();
    let failed = reports.iter().filter(|r| r.outcome == Outcome::Failed).count();
    Ok(Checked {
        report: CheckReport { dry_run, sources: reports, archived, failed, labels: None },
        states: new_states,
    })
}
