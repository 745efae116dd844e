//! `relevance label ID related|unrelated`: records a person's verdict on an item (by the
//! key a check reported, or the upstream id or link it is made of) or an archived article (by id or unique prefix), and
//! `check --dry-run`'s use of the labels: a threshold suggested from the labelled items'
//! scores ([`relevance::calibrate`]). The labels are stored by [`crate::archive::labels`];
//! the suggestion is pure arithmetic; this module only finds what an id names and scores.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::PipelineError;
use super::apply::Deciding;
use super::report::CheckReport;
use crate::archive::labels::{self, Label};
use crate::archive::{Archive, ArchiveDir};
use crate::config::Config;
use crate::relevance::calibrate::{self, Goal, ThresholdSuggestion};
use crate::relevance::{self, Candidate, TopicSample};

/// Records the label; returns it as stored.
pub fn label(config: &Config, given: &str, related: bool, now: DateTime<Utc>) -> Result<Label, PipelineError> {
    let dir = ArchiveDir::of(config);
    let _lock = dir.lock()?;
    let mut store = dir.open()?;
    let label = describe(config, store.as_ref(), given.trim(), related, now)?;
    labels::record(store.as_mut(), label.clone())?;
    Ok(label)
}

/// What `given` names: a decision stored for an item of one of the configured sources (its
/// key), else an archived article (id or unique prefix, scored as an item would be against
/// a topic learned from the other articles), else an item no check has stored yet.
fn describe(
    config: &Config,
    store: &dyn Archive,
    given: &str,
    related: bool,
    now: DateTime<Utc>,
) -> Result<Label, PipelineError> {
    let base = Label {
        id: given.to_owned(),
        related,
        kind: "unseen".into(),
        title: None,
        url: None,
        score: None,
        labelled_at: now,
    };
    // A key as a check reports it ("id:…", "url:…"), or the upstream id or link it is made of.
    let mut keys = vec![given.to_owned(), format!("id:{given}")];
    if given.contains("://") {
        keys.push(format!("url:{}", crate::article::canonical_url(given).unwrap_or_else(|| given.to_owned())));
    }
    for source in &config.sources {
        for key in &keys {
            if let Some(d) = store.decision(source.name(), key)? {
                let found = Label { id: d.item_key, kind: "item".into(), title: Some(d.title), url: d.url, ..base };
                return Ok(Label { score: Some(d.score), ..found });
            }
        }
    }
    let id = match super::resolve_id(store, given) {
        Ok(id) => id,
        Err(PipelineError::NotFound(_)) => {
            // A link or key a check reported but did not store (a dry run stores nothing).
            let url = given.contains("://").then(|| given.to_owned());
            return Ok(Label { url, ..base });
        }
        Err(e) => return Err(e),
    };
    let Some(stored) = store.get(&id)? else {
        return Err(PipelineError::NotFound(given.to_owned()));
    };
    let a = &stored.article;
    let rules = Deciding::new(config).rules;
    let mut sample = TopicSample::default();
    if rules.learn_from_archive {
        store.each_text(&mut |other, title, text| {
            if *other != id {
                sample.offer(other.as_str(), title, text);
            }
        })?;
    }
    let model = sample.build();
    let candidate = Candidate {
        title: &a.title,
        summary: a.summary.as_deref().unwrap_or(""),
        text: &a.content.text,
        link: a.url.as_deref(),
        categories: &a.tags,
    };
    let verdict = relevance::score(&candidate, &model, &rules, &[]);
    Ok(Label {
        id: id.to_string(),
        kind: "article".into(),
        title: Some(a.title.clone()),
        url: a.url.clone(),
        score: Some(verdict.score),
        ..base
    })
}

/// What `check --dry-run` says about the labels: how many there are, how many it could
/// score, and the threshold they suggest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelCalibration {
    pub labels: usize,
    /// Labels on items this check saw, scored now.
    pub scored_now: usize,
    /// Labels with only the score they had when labelled (the topic may have moved since).
    pub scored_before: usize,
    /// Labels on items not seen yet, which count once a check sees them.
    pub waiting: usize,
    /// `None` until there is a scored label of each kind.
    pub suggestion: Option<ThresholdSuggestion>,
}

/// The labels' scores (fresh where this check saw the item, else as labelled) and the
/// threshold they suggest; `None` when there are no labels.
pub fn calibrate(labels: &[Label], report: &CheckReport, threshold: f64) -> Option<LabelCalibration> {
    if labels.is_empty() {
        return None;
    }
    let seen =
        |l: &Label| {
            report.sources.iter().flat_map(|s| &s.decisions).find(|d| {
                d.key == l.id || d.url.as_deref() == Some(l.id.as_str()) || (l.url.is_some() && d.url == l.url)
            })
        };
    let (mut scored_now, mut scored_before, mut waiting) = (0, 0, 0);
    let mut scored = Vec::new();
    for l in labels {
        match (seen(l), l.score) {
            (Some(d), _) => {
                scored_now += 1;
                scored.push((d.score, l.related));
            }
            (None, Some(s)) => {
                scored_before += 1;
                scored.push((s, l.related));
            }
            (None, None) => waiting += 1,
        }
    }
    Some(LabelCalibration {
        labels: labels.len(),
        scored_now,
        scored_before,
        waiting,
        suggestion: calibrate::suggest_threshold(&scored, threshold, Goal::BestF1),
    })
}

/// The labels stored in an archive, for [`calibrate`].
pub(super) fn stored(store: &dyn Archive) -> Result<Vec<Label>, PipelineError> {
    Ok(labels::labels(store)?)
}
