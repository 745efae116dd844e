//! Deciding on the items a poll saw: reuse the decision stored by an earlier poll when the
//! item, the rules and the topic are unchanged; score the rest (on all cores, building the
//! topic model at most once, and only when something needs scoring); re-archive kept items
//! that changed upstream; and match articles against those already waiting in this
//! check's batch. The rules here are pure; the store is only read.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::PipelineError;
use super::parallel;
use super::plan::SourcePlan;
use super::report::PageOverBudget;
use crate::archive::{Archive, Decision, Store};
use crate::relevance::{self, Candidate, Rules, TopicModel};
use crate::upstream::{self, FeedItem, Poll, PollOutcome};

/// The saved-state key caching the topic fingerprint for an archive state.
const TOPIC_CACHE_KEY: &str = "watch.topic_fingerprint";

/// One source carried through the phases of a check: its plan, then its poll, its items
/// and their decisions, and how many articles it added.
pub(super) struct SourceRun<'c> {
    pub(super) plan: SourcePlan<'c>,
    /// `None` when it was not polled.
    pub(super) poll: Option<Poll>,
    /// The fingerprint of the relevance rules as they apply to this source.
    pub(super) rules_fp: String,
    pub(super) seen: Vec<SeenItem>,
    /// Articles added or given a new version from this source.
    pub(super) archived: usize,
    /// Pages whose extraction ran out of time (their items were archived from the feed).
    pub(super) over_budget: Vec<PageOverBudget>,
}

impl<'c> SourceRun<'c> {
    pub(super) fn new(plan: SourcePlan<'c>, poll: Option<Poll>) -> SourceRun<'c> {
        SourceRun { plan, poll, rules_fp: String::new(), seen: Vec::new(), archived: 0, over_budget: Vec::new() }
    }
}

/// An item seen in a poll, and what to do about it.
pub(super) struct SeenItem {
    pub(super) item: FeedItem,
    pub(super) key: String,
    pub(super) hash: String,
    pub(super) prior: Option<Decision>,
    /// The decision to report (and save unless it is the stored one).
    pub(super) decision: Option<Decision>,
    pub(super) action: Action,
    /// The feed entry's verdict when it fell in the uncertain band around the threshold
    /// (see [`relevance::is_uncertain`]): the page phase fetches the article and decides on
    /// it (see `harvest`). `None` for a certain verdict and for items not scored now.
    pub(super) uncertain: Option<relevance::Verdict>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    /// The stored decision stands.
    Stored,
    /// Score it (new, or rejected under another topic, rules or content).
    Score,
    /// Kept earlier and changed upstream: fetch and archive again, same id.
    Rearchive,
}

/// The topic model, built at most once per check and only when needed.
pub(super) struct Topic {
    learn: bool,
    model: Option<Arc<TopicModel>>,
    fingerprint: Option<String>,
    /// The archive state the cached fingerprint belongs to.
    cache_key: Option<String>,
}

impl Topic {
    pub(super) fn new(learn: bool) -> Topic {
        Topic { learn, model: None, fingerprint: None, cache_key: None }
    }

    fn state_key(&mut self, store: &dyn Store) -> Result<String, PipelineError> {
        if let Some(k) = &self.cache_key {
            return Ok(k.clone());
        }
        let key = format!("{} {} {}", env!("CARGO_PKG_VERSION"), self.learn, store.log_len()?);
        self.cache_key = Some(key.clone());
        Ok(key)
    }

    /// The current topic's fingerprint: from the model when built, else from the cache
    /// saved for this archive state, else by building the model.
    pub(super) fn fingerprint(&mut self, store: &dyn Store) -> Result<String, PipelineError> {
        if let Some(fp) = &self.fingerprint {
            return Ok(fp.clone());
        }
        let key = self.state_key(store)?;
        if let Some(cached) = store.meta_get(TOPIC_CACHE_KEY)?
            && let Some((k, fp)) = cached.rsplit_once(' ')
            && k == key
        {
            self.fingerprint = Some(fp.to_string());
            return Ok(fp.to_string());
        }
        Ok(self.model(store)?.fingerprint())
    }

    pub(super) fn model(&mut self, store: &dyn Store) -> Result<Arc<TopicModel>, PipelineError> {
        if let Some(m) = &self.model {
            return Ok(m.clone());
        }
        self.state_key(store)?;
        let model = if self.learn {
            // Read one document at a time, keeping only those the model learns from.
            let mut sample = relevance::TopicSample::default();
            store.each_text(&mut |id, title, text| sample.offer(id.as_str(), title, text))?;
            let started = std::time::Instant::now();
            let model = sample.build();
            tracing::info!(documents = sample.len(), elapsed = ?started.elapsed(), "topic model built");
            model
        } else {
            TopicModel::build(std::iter::empty())
        };
        let model = Arc::new(model);
        self.fingerprint = Some(model.fingerprint());
        self.model = Some(model.clone());
        Ok(model)
    }

    /// The model, when this check built it (it did when anything was scored).
    pub(super) fn built(&self) -> Option<Arc<TopicModel>> {
        self.model.clone()
    }

    /// The cache entry to save (when the fingerprint is known).
    fn cache_entry(&self) -> Option<String> {
        Some(format!("{} {}", self.cache_key.as_ref()?, self.fingerprint.as_ref()?))
    }

    /// Saves the fingerprint cache entry, when the model was built in this check.
    pub(super) fn save_cache(&self, store: &mut dyn Store) -> Result<(), PipelineError> {
        if let Some(entry) = self.cache_entry()
            && self.model.is_some()
        {
            store.meta_set(TOPIC_CACHE_KEY, &entry)?;
        }
        Ok(())
    }
}

/// What to do about an item, given the decision stored for it (if any), the item's hash
/// now, and the rules' fingerprint now. `topic_fp` gives the current topic's fingerprint; it
/// is asked for only when the answer depends on it (a rejection under unchanged rules), as
/// it may need the model built.
pub(super) fn action<E>(
    prior: Option<&Decision>,
    hash: &str,
    rules_fp: &str,
    topic_fp: impl FnOnce() -> Result<String, E>,
) -> Result<Action, E> {
    Ok(match prior {
        None => Action::Score,
        Some(d) if d.kept => {
            if d.item_hash != hash && d.article_id.is_some() {
                Action::Rearchive
            } else {
                Action::Stored
            }
        }
        Some(d) if d.item_hash != hash || d.rules_fingerprint != rules_fp => Action::Score,
        Some(d) => {
            if d.topic_fingerprint == topic_fp()? {
                Action::Stored
            } else {
                Action::Score
            }
        }
    })
}

/// Reads the stored decisions of the items each fetched feed holds (the same item twice in
/// one feed counts once) and sets what to do about each. The items move out of the parsed
/// feed: 50,000 items are not held twice.
pub(super) fn read_stored(
    store: &dyn Archive,
    runs: &mut [SourceRun<'_>],
    rules: &Rules,
    topic: &mut Topic,
) -> Result<(), PipelineError> {
    for run in runs.iter_mut() {
        run.rules_fp = relevance::rules_fingerprint(rules, &run.plan.source.keywords);
        let Some(upstream::Poll { outcome: PollOutcome::Fetched(feed), .. }) = &mut run.poll else { continue };
        let mut keys = HashSet::new();
        for item in std::mem::take(&mut feed.items) {
            let key = upstream::item_key(&item);
            if !keys.insert(key.clone()) {
                continue;
            }
            let hash = upstream::item_hash(&item);
            let prior = store.decision(run.plan.source.name(), &key)?;
            let action = action(prior.as_ref(), &hash, &run.rules_fp, || topic.fingerprint(store))?;
            run.seen.push(SeenItem { item, key, hash, prior, decision: None, action, uncertain: None });
        }
    }
    Ok(())
}

/// Scores the items that need it (on every core) and settles the others' decisions: the
/// stored one stands, or, for a kept item that changed upstream, the stored one renewed.
pub(super) fn decide(
    store: &dyn Store,
    runs: &mut [SourceRun<'_>],
    rules: &Rules,
    topic: &mut Topic,
    now: DateTime<Utc>,
) -> Result<(), PipelineError> {
    let to_score: Vec<(usize, usize)> = runs
        .iter()
        .enumerate()
        .flat_map(|(s, run)| {
            run.seen.iter().enumerate().filter(|(_, x)| x.action == Action::Score).map(move |(i, _)| (s, i))
        })
        .collect();
    if !to_score.is_empty() {
        let model = topic.model(store)?;
        let topic_fp = model.fingerprint();
        let verdicts = parallel::map(&to_score, 32, |&(s, i)| {
            let run = &runs[s];
            score(&run.seen[i].item, &model, rules, &run.plan.source.keywords)
        });
        for (&(s, i), mut verdict) in to_score.iter().zip(verdicts) {
            let run = &mut runs[s];
            let x = &mut run.seen[i];
            if relevance::is_uncertain(&verdict, rules) {
                x.uncertain = Some(verdict.clone());
                verdict.reasons.insert(0, UNCERTAIN_REASON.to_string());
            }
            x.decision = Some(Decision {
                source: run.plan.source.name().to_string(),
                item_key: x.key.clone(),
                title: x.item.title.clone(),
                url: x.item.link.clone(),
                score: verdict.score,
                kept: verdict.keep,
                reasons: verdict.reasons,
                item_hash: x.hash.clone(),
                topic_fingerprint: topic_fp.clone(),
                rules_fingerprint: run.rules_fp.clone(),
                article_id: None,
                decided_at: now,
            });
        }
    }
    for x in runs.iter_mut().flat_map(|r| r.seen.iter_mut()) {
        settle(x, now);
    }
    Ok(())
}

/// The first reason of a verdict on the feed entry that is too close to the threshold to
/// stand: a check decides the item on its article (a dry run fetches no page, so it
/// reports the entry's verdict with this reason).
pub(super) const UNCERTAIN_REASON: &str = "uncertain on the feed entry: decided on the article when it is fetched";

/// One item's verdict on its feed entry.
fn score(item: &FeedItem, model: &TopicModel, rules: &Rules, keywords: &[String]) -> relevance::Verdict {
    let text = upstream::item_text(item);
    relevance::score(&candidate(item, &text), model, rules, keywords)
}

/// A feed item as the relevance scorer sees it, with `text` (the feed's content as plain
/// text) as its body.
pub(super) fn candidate<'a>(item: &'a FeedItem, text: &'a str) -> Candidate<'a> {
    Candidate {
        title: &item.title,
        summary: item.summary.as_deref().unwrap_or(""),
        text,
        link: item.link.as_deref(),
        categories: &item.categories,
    }
}

/// The second stage of a two-stage decision (see [`relevance::decide_on_article`]): an
/// uncertain item's decision made again on its article's text, when there is one; else
/// the entry's decision stands and its reasons say why.
pub(super) fn settle_on_article(
    x: &mut SeenItem,
    article_text: Option<&str>,
    model: &TopicModel,
    rules: &Rules,
    keywords: &[String],
) {
    let (Some(entry), Some(d)) = (x.uncertain.take(), x.decision.as_mut()) else { return };
    match article_text.filter(|t| !t.trim().is_empty()) {
        Some(article) => {
            let text = upstream::item_text(&x.item);
            let v = relevance::decide_on_article(&candidate(&x.item, &text), entry, article, model, rules, keywords);
            d.score = v.score;
            d.kept = v.keep;
            d.reasons = v.reasons;
        }
        None => d.reasons.push("no article text to decide on: the feed entry's verdict stands".to_string()),
    }
}

/// The decision of an item that is not scored: the stored one, renewed for a kept item
/// that changed upstream (same article id, the new hash, title and link).
fn settle(x: &mut SeenItem, now: DateTime<Utc>) {
    match x.action {
        Action::Stored => x.decision = x.prior.clone(),
        Action::Rearchive => {
            x.decision = x.prior.clone().map(|mut d| {
                d.item_hash = x.hash.clone();
                d.title = x.item.title.clone();
                d.url = x.item.link.clone();
                d.decided_at = now;
                d
            })
        }
        Action::Score => {}
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;
    use crate::archive::DedupKeys;
    use crate::archive::policy::BatchIndex;
    use crate::article::Identity;

    fn stored(kept: bool, article: bool) -> Decision {
        Decision {
            source: "News".into(),
            item_key: "k".into(),
            title: "T".into(),
            url: None,
            score: 0.5,
            kept,
            reasons: Vec::new(),
            item_hash: "h1".into(),
            topic_fingerprint: "topic1".into(),
            rules_fingerprint: "rules1".into(),
            article_id: article.then(|| Identity::Url("https://news.example/a".into()).id()),
            decided_at: Utc::now(),
        }
    }

    fn act(prior: Option<&Decision>, hash: &str, rules: &str, topic: &str) -> Action {
        let r: Result<Action, Infallible> = action(prior, hash, rules, || Ok(topic.to_string()));
        r.expect("infallible")
    }

    #[test]
    fn a_new_item_is_scored() {
        assert_eq!(act(None, "h1", "rules1", "topic1"), Action::Score);
    }

    #[test]
    fn a_kept_decision_stands_and_a_changed_kept_item_is_archived_again() {
        let kept = stored(true, true);
        assert_eq!(act(Some(&kept), "h1", "rules2", "topic2"), Action::Stored, "kept stays kept under new rules");
        assert_eq!(act(Some(&kept), "h2", "rules1", "topic1"), Action::Rearchive);
        let kept_unarchived = stored(true, false);
        assert_eq!(act(Some(&kept_unarchived), "h2", "rules1", "topic1"), Action::Stored);
    }

    #[test]
    fn a_rejection_is_scored_again_when_item_rules_or_topic_change() {
        let rejected = stored(false, false);
        assert_eq!(act(Some(&rejected), "h1", "rules1", "topic1"), Action::Stored);
        assert_eq!(act(Some(&rejected), "h2", "rules1", "topic1"), Action::Score);
        assert_eq!(act(Some(&rejected), "h1", "rules2", "topic1"), Action::Score);
        assert_eq!(act(Some(&rejected), "h1", "rules1", "topic2"), Action::Score);
    }

    #[test]
    fn the_topic_is_asked_for_only_when_it_decides() {
        let asked = std::cell::Cell::new(false);
        let ask = || -> Result<String, Infallible> {
            asked.set(true);
            Ok("topic1".into())
        };
        assert_eq!(action(Some(&stored(true, true)), "h1", "rules1", ask), Ok(Action::Stored));
        assert!(!asked.get(), "a kept item must not build the topic model");
    }

    #[test]
    fn a_renewed_decision_keeps_its_article_and_takes_the_new_item() {
        let prior = stored(true, true);
        let item =
            FeedItem { title: "New title".into(), link: Some("https://news.example/a".into()), ..FeedItem::default() };
        let mut x = SeenItem {
            item,
            key: "k".into(),
            hash: "h2".into(),
            prior: Some(prior.clone()),
            decision: None,
            action: Action::Rearchive,
            uncertain: None,
        };
        settle(&mut x, prior.decided_at);
        let d = x.decision.expect("renewed");
        assert_eq!((d.item_hash.as_str(), d.title.as_str()), ("h2", "New title"));
        assert_eq!(d.article_id, prior.article_id);
    }

    fn uncertain_item(score: f64) -> SeenItem {
        let entry = relevance::Verdict { keep: false, score, reasons: vec!["entry reasons".into()], nearest: None };
        let item = FeedItem { title: "Reporter missing after covering thefts".into(), ..FeedItem::default() };
        SeenItem {
            item,
            key: "k".into(),
            hash: "h1".into(),
            prior: None,
            decision: Some(Decision { score, reasons: vec![UNCERTAIN_REASON.into()], ..stored(false, false) }),
            action: Action::Score,
            uncertain: Some(entry),
        }
    }

    #[test]
    fn an_uncertain_item_is_decided_on_its_article_with_both_scores() {
        let model = TopicModel::build(std::iter::empty());
        // Three keywords in the article: decisive (two would lift it only to 0.70, short of the
        // article's keep threshold, and the entry's verdict would stand).
        let rules =
            Rules { keywords: vec!["fuel theft".into(), "huachicol".into(), "journalist".into()], ..Rules::default() };
        let mut x = uncertain_item(0.45);
        let article = "The journalist covered fuel theft, known as huachicol, before he vanished.";
        settle_on_article(&mut x, Some(article), &model, &rules, &[]);
        let d = x.decision.expect("decision");
        assert!(d.kept && d.score >= relevance::article_keep_threshold(rules.threshold), "{d:?}");
        assert!(
            d.reasons[0].starts_with("decided on the article") && d.reasons[0].contains("feed entry 0.45"),
            "{d:?}"
        );
        assert!(x.uncertain.is_none());
    }

    #[test]
    fn an_uncertain_item_without_an_article_keeps_its_entry_verdict() {
        let model = TopicModel::build(std::iter::empty());
        for article in [None, Some(" \n ")] {
            let mut x = uncertain_item(0.45);
            settle_on_article(&mut x, article, &model, &Rules::default(), &[]);
            let d = x.decision.expect("decision");
            assert!(!d.kept && d.score == 0.45, "{d:?}");
            assert_eq!(d.reasons[0], UNCERTAIN_REASON);
            assert!(d.reasons.last().is_some_and(|r| r.contains("feed entry's verdict stands")), "{d:?}");
        }
    }

    #[test]
    fn articles_waiting_in_the_batch_match_by_id_url_or_fingerprint() {
        let a = Identity::Url("https://news.example/a".into()).id();
        let keys = DedupKeys {
            identity: "url:https://news.example/a".into(),
            canonical_url: Some("https://news.example/a".into()),
            fingerprint: Some("fp1".into()),
        };
        let mut queued = BatchIndex::new();
        queued.insert(&a, &keys);
        let b = Identity::Url("https://mirror.example/b".into()).id();
        let same_text = DedupKeys { identity: "x".into(), canonical_url: None, fingerprint: Some("fp1".into()) };
        assert_eq!(queued.find(&b, &same_text), Some(a.clone()));
        let same_url =
            DedupKeys { identity: "x".into(), canonical_url: Some("https://news.example/a".into()), fingerprint: None };
        assert_eq!(queued.find(&b, &same_url), Some(a.clone()));
        assert_eq!(queued.find(&a, &DedupKeys::default()), Some(a.clone()));
        let other = DedupKeys { identity: "x".into(), canonical_url: None, fingerprint: Some("fp2".into()) };
        assert_eq!(queued.find(&b, &other), None);
    }
}
