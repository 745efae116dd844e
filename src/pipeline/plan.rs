//! Planning a check: for each configured source, what is known before polling (its saved
//! state, reset when the configured URL changed; what the fetcher is given; its timing) and
//! whether it is due now, forced, or held back by a `Retry-After`; and, after a poll, the
//! state to save and when the source is next due. Pure rules over the config, the saved
//! state and the clock passed in: no I/O, no store.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::archive::SourceState;
use crate::config::{Config, Source, SourceUrl};
use crate::schedule::{self, SourceTiming};
use crate::upstream::{self, Poll, PollOutcome, PollRequest};

/// A configured source, with what is known about it before this check.
pub(super) struct SourcePlan<'c> {
    pub(super) source: &'c Source,
    /// The URL or path as configured.
    pub(super) configured: String,
    /// What the fetcher is given: the URL, or the path resolved against the config folder.
    pub(super) target: String,
    /// For a local source, its folder (item links may point inside it).
    pub(super) local_dir: Option<PathBuf>,
    pub(super) state: SourceState,
    pub(super) timing: SourceTiming,
    /// Why it is not polled now, if so.
    pub(super) skip: Option<String>,
}

/// What `watch` needs to poll one claimed source on its own: its state (reset when the
/// configured URL changed) and the conditional request to send.
pub(crate) struct PollPlan {
    pub(crate) state: SourceState,
    pub(crate) request: PollRequest,
}

/// Plans `config.sources[index]` from its last saved state.
pub(crate) fn poll_plan(config: &Config, index: usize, prior: Option<SourceState>) -> PollPlan {
    let p = plan(config, &config.sources[index], prior, false, Utc::now());
    let request =
        PollRequest { url: p.target.clone(), etag: p.state.etag.clone(), last_modified: p.state.last_modified.clone() };
    PollPlan { state: p.state, request }
}

/// What is known about a source before polling, and whether it is due.
pub(super) fn plan<'c>(
    config: &Config,
    source: &'c Source,
    prior: Option<SourceState>,
    force: bool,
    now: DateTime<Utc>,
) -> SourcePlan<'c> {
    let configured = source.url.as_string();
    let (target, local_dir) = match &source.url {
        SourceUrl::Http(u) => (u.to_string(), None),
        SourceUrl::File(p) => {
            let path = config.resolve(p);
            let path = std::path::absolute(&path).unwrap_or(path);
            let dir = path.parent().map(PathBuf::from);
            (path.display().to_string(), dir)
        }
    };
    let mut state = prior.unwrap_or_else(|| SourceState { name: source.name().to_string(), ..SourceState::default() });
    if state.url != configured {
        // A new URL: the old validators and hints belong to another resource.
        state = SourceState {
            name: state.name,
            url: configured.clone(),
            last_attempt: state.last_attempt,
            last_success: state.last_success,
            items_kept: state.items_kept,
            retry_after: state.retry_after,
            ..SourceState::default()
        };
    }
    let timing = SourceTiming {
        every: source.every.0,
        ttl: state.ttl_secs.map(Duration::from_secs),
        max_age: state.max_age_secs.map(Duration::from_secs),
        failures: state.failures,
        retry_after: state.retry_after,
    };
    let skip = if schedule::is_due(&timing, source.name(), state.last_attempt, now, force) {
        None
    } else if let Some(r) = timing.retry_after.filter(|r| *r > now) {
        Some(format!("the server asked to retry after {}", crate::date::rfc3339(&r)))
    } else {
        let due = state.last_attempt.map(|last| schedule::next_due(&timing, source.name(), last));
        Some(match due {
            Some(d) => format!("not due until {}", crate::date::rfc3339(&d)),
            None => "not due".to_string(),
        })
    };
    SourcePlan { source, configured, target, local_dir, state, timing, skip }
}

/// The source's state after a poll.
pub(super) fn next_state(p: &SourcePlan<'_>, poll: &Poll, now: DateTime<Utc>) -> SourceState {
    let mut s = p.state.clone();
    s.name = p.source.name().to_string();
    s.url = p.configured.clone();
    s.last_attempt = Some(now);
    s.retry_after = poll.retry_after;
    match &poll.outcome {
        PollOutcome::Fetched(_) | PollOutcome::NotModified => {
            s.last_success = Some(poll.fetched_at);
            s.last_error = None;
            s.failures = 0;
            s.etag = poll.etag.clone();
            s.last_modified = poll.last_modified.clone();
            s.max_age_secs = poll.max_age.map(|d| d.as_secs());
            if let Some(ttl) = poll.ttl() {
                s.ttl_secs = Some(ttl.as_secs());
            } else if matches!(poll.outcome, PollOutcome::Fetched(_)) {
                s.ttl_secs = None;
            }
        }
        PollOutcome::Failed(e) => {
            s.last_error = Some(e.to_string());
            s.failures = s.failures.saturating_add(1);
            if matches!(e, upstream::PollError::Parse(_) | upstream::PollError::Archive(_)) {
                // Read the whole feed next time, even if the server says it is unchanged.
                s.etag = None;
                s.last_modified = None;
            }
        }
    }
    let timing = SourceTiming {
        every: p.timing.every,
        ttl: s.ttl_secs.map(Duration::from_secs),
        max_age: s.max_age_secs.map(Duration::from_secs),
        failures: s.failures,
        retry_after: s.retry_after,
    };
    s.next_due = Some(schedule::next_due(&timing, &s.name, now));
    s
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chrono::TimeZone;

    use super::*;
    use crate::fetch::FetchError;
    use crate::upstream::{ParseError, ParsedFeed, PollError};

    const URL: &str = "https://news.example/feed.xml";

    fn config() -> Config {
        let text = format!(
            "[site]\ntitle = \"T\"\nbase_url = \"https://archive.example/\"\n\n\
             [[sources]]\nname = \"News\"\nurl = \"{URL}\"\nevery = \"1h\"\n"
        );
        crate::config::parse(&text, Path::new("test.toml")).expect("config")
    }

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, h, m, 0).single().expect("time")
    }

    fn polled(last: DateTime<Utc>) -> SourceState {
        SourceState { name: "News".into(), url: URL.into(), last_attempt: Some(last), ..SourceState::default() }
    }

    fn poll(outcome: PollOutcome, fetched_at: DateTime<Utc>) -> Poll {
        Poll {
            outcome,
            etag: Some("\"v2\"".into()),
            last_modified: None,
            max_age: None,
            retry_after: None,
            fetched_at,
            final_url: None,
        }
    }

    #[test]
    fn a_source_never_polled_is_due() {
        let c = config();
        let p = plan(&c, &c.sources[0], None, false, at(9, 0));
        assert_eq!(p.skip, None);
        assert_eq!(p.state.url, URL);
        assert_eq!(p.target, URL);
    }

    #[test]
    fn a_source_polled_recently_waits_unless_forced() {
        let c = config();
        let p = plan(&c, &c.sources[0], Some(polled(at(9, 0))), false, at(9, 10));
        assert!(p.skip.as_deref().is_some_and(|s| s.starts_with("not due until ")), "{:?}", p.skip);
        let forced = plan(&c, &c.sources[0], Some(polled(at(9, 0))), true, at(9, 10));
        assert_eq!(forced.skip, None);
        let later = plan(&c, &c.sources[0], Some(polled(at(9, 0))), false, at(12, 0));
        assert_eq!(later.skip, None);
    }

    #[test]
    fn retry_after_holds_even_a_forced_poll() {
        let c = config();
        let state = SourceState { retry_after: Some(at(10, 0)), ..polled(at(9, 0)) };
        let p = plan(&c, &c.sources[0], Some(state.clone()), true, at(9, 30));
        assert!(p.skip.as_deref().is_some_and(|s| s.contains("retry after")), "{:?}", p.skip);
        let after = plan(&c, &c.sources[0], Some(state), true, at(10, 1));
        assert_eq!(after.skip, None);
    }

    #[test]
    fn a_changed_url_drops_the_old_validators_and_hints() {
        let c = config();
        let old = SourceState {
            url: "https://old.example/rss".into(),
            etag: Some("\"v1\"".into()),
            ttl_secs: Some(7200),
            failures: 2,
            ..polled(at(9, 0))
        };
        let p = plan(&c, &c.sources[0], Some(old), false, at(9, 5));
        assert_eq!(p.state.url, URL);
        assert_eq!((p.state.etag, p.state.ttl_secs, p.state.failures), (None, None, 0));
        assert_eq!(p.state.last_attempt, Some(at(9, 0)));
    }

    #[test]
    fn success_resets_failures_and_keeps_the_new_validators() {
        let c = config();
        let state = SourceState { failures: 3, last_error: Some("boom".into()), ..polled(at(8, 0)) };
        let p = plan(&c, &c.sources[0], Some(state), true, at(9, 0));
        let next = next_state(&p, &poll(PollOutcome::Fetched(ParsedFeed::default()), at(9, 0)), at(9, 0));
        assert_eq!((next.failures, next.last_error.as_deref()), (0, None));
        assert_eq!(next.etag.as_deref(), Some("\"v2\""));
        assert_eq!(next.last_success, Some(at(9, 0)));
        let healthy = SourceTiming { failures: 0, ..p.timing };
        assert_eq!(next.next_due, Some(schedule::next_due(&healthy, "News", at(9, 0))));
    }

    #[test]
    fn a_failure_counts_and_a_parse_failure_drops_the_validators() {
        let c = config();
        let state = SourceState { etag: Some("\"v1\"".into()), ..polled(at(8, 0)) };
        let p = plan(&c, &c.sources[0], Some(state), true, at(9, 0));
        let timeout = PollError::Fetch(FetchError::Timeout { url: URL.into(), after: Duration::from_secs(5) });
        let next = next_state(&p, &poll(PollOutcome::Failed(timeout), at(9, 0)), at(9, 0));
        assert_eq!(next.failures, 1);
        assert_eq!(next.etag.as_deref(), Some("\"v1\""), "a timeout keeps the validators");
        let broken = PollError::Parse(ParseError::Empty { url: URL.into() });
        let next = next_state(&p, &poll(PollOutcome::Failed(broken), at(9, 0)), at(9, 0));
        assert_eq!((next.failures, next.etag), (1, None));
        assert!(next.next_due.is_some_and(|d| d > at(9, 0)));
    }

    #[test]
    fn retry_after_from_the_server_sets_the_next_due_time() {
        let c = config();
        let p = plan(&c, &c.sources[0], Some(polled(at(8, 0))), true, at(9, 0));
        let mut answer = poll(PollOutcome::NotModified, at(9, 0));
        answer.retry_after = Some(at(15, 0));
        let next = next_state(&p, &answer, at(9, 0));
        assert_eq!(next.next_due, Some(at(15, 0)));
        assert_eq!(next.retry_after, Some(at(15, 0)));
    }
}
