//! When a source is next due, and the loop `watch` runs on it. The policy is pure: every
//! input (the configured interval, the source's own hints, its failure count, the clock) is
//! passed in, so it is tested without waiting and `check`, `run` and `watch` agree on it.
//! The loop ([`drive`]) only waits and calls a closure; what a tick does (polling,
//! archiving) is the caller's. Nothing here fetches or stores anything.
//!
//! The rules: a source is polled no more often than its `every`, lengthened by its own hints
//! (RSS `<ttl>`, `Cache-Control: max-age`) up to a day; a failing source backs off
//! exponentially from its interval up to a day, with a deterministic jitter so many failing
//! sources do not retry in step, and recovers as soon as one poll succeeds; `Retry-After`
//! is honoured always, even by `check --force`.

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

/// Hints are never allowed to push a poll further out than this.
pub const MAX_HINT: Duration = Duration::from_secs(24 * 3600);
/// Backoff never waits longer than this (or the source's own interval, if longer).
pub const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);
/// The loop never sleeps longer than this before reading the clock again, so a suspended
/// machine or a changed clock delays a due poll by at most this much.
pub const MAX_SLEEP: Duration = Duration::from_secs(60);

/// What is known about a source when deciding its next poll.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceTiming {
    /// The configured minimum interval.
    pub every: Duration,
    /// The feed's own TTL, if it declared one.
    pub ttl: Option<Duration>,
    /// `Cache-Control: max-age` of the last response, if any.
    pub max_age: Option<Duration>,
    /// Consecutive failed polls (0 after a success).
    pub failures: u32,
    /// The server's `Retry-After`, as an absolute time.
    pub retry_after: Option<DateTime<Utc>>,
}

/// The interval after a successful poll: `every`, lengthened by the feed's hints (capped).
pub fn interval(t: &SourceTiming) -> Duration {
    let hint = t.ttl.into_iter().chain(t.max_age).max().unwrap_or_default().min(MAX_HINT);
    t.every.max(hint)
}

/// The delay after the `failures`-th consecutive failure: twice the interval, doubling per
/// failure, capped, with up to ±10% jitter derived from `key` (the source name) and the count.
pub fn backoff(t: &SourceTiming, key: &str) -> Duration {
    let base = interval(t).max(Duration::from_secs(60));
    let exp = t.failures.clamp(1, 16);
    let raw = base.saturating_mul(1u32 << exp.min(16));
    let cap = MAX_BACKOFF.max(interval(t));
    let capped = raw.min(cap);
    let h = blake3::hash(format!("{key}\n{}", t.failures).as_bytes());
    let unit = u16::from_le_bytes([h.as_bytes()[0], h.as_bytes()[1]]) as f64 / u16::MAX as f64; // 0..=1
    let factor = 0.9 + 0.2 * unit;
    Duration::from_secs_f64(capped.as_secs_f64() * factor).min(cap)
}

/// When a source polled at `last_poll` is next due.
pub fn next_due(t: &SourceTiming, key: &str, last_poll: DateTime<Utc>) -> DateTime<Utc> {
    let wait = if t.failures == 0 { interval(t) } else { backoff(t, key) };
    let due = last_poll + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
    match t.retry_after {
        Some(r) if r > due => r,
        _ => due,
    }
}

/// Whether a source is due at `now`. `force` skips the interval, never `Retry-After`.
pub fn is_due(t: &SourceTiming, key: &str, last_poll: Option<DateTime<Utc>>, now: DateTime<Utc>, force: bool) -> bool {
    if t.retry_after.is_some_and(|r| r > now) {
        return false;
    }
    match last_poll {
        None => true,
        Some(_) if force => true,
        Some(last) => next_due(t, key, last) <= now,
    }
}

/// When a source is next due, as an absolute time: at once (`DateTime::MIN_UTC`) when it was
/// never polled, else [`next_due`] after its last poll; never before `Retry-After`.
/// `due_at(..) <= now` exactly when [`is_due`] (without `force`) says so.
pub fn due_at(t: &SourceTiming, key: &str, last_poll: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let due = last_poll.map_or(DateTime::<Utc>::MIN_UTC, |last| next_due(t, key, last));
    match t.retry_after {
        Some(r) if r > due => r,
        _ => due,
    }
}

/// How long to sleep, seen at `now`, before something due at `due`: zero when it is due,
/// never more than [`MAX_SLEEP`] (the loop then looks at the clock again).
pub fn sleep_for(due: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (due - now).to_std().unwrap_or(Duration::ZERO).min(MAX_SLEEP)
}

/// A `watch --cron` schedule: a crontab expression of five fields (minute hour day month
/// weekday), or six with seconds first, or a nickname such as `@hourly`. It is read in the
/// time zone of the clock given to [`CronSchedule::next_after`] (the local zone in `watch`).
#[derive(Debug, Clone)]
pub struct CronSchedule {
    cron: croner::Cron,
    text: String,
}

/// A cron expression that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CronError {
    #[error("`{expr}` is not a cron expression: {reason} (write e.g. \"*/15 * * * *\": minute hour day month weekday)")]
    Invalid { expr: String, reason: String },
    #[error("`{expr}` never matches a date")]
    Never { expr: String },
}

impl FromStr for CronSchedule {
    type Err = CronError;

    fn from_str(s: &str) -> Result<CronSchedule, CronError> {
        let text = s.trim().to_string();
        let cron = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Optional)
            .build()
            .parse(&text)
            .map_err(|e| CronError::Invalid { expr: text.clone(), reason: e.to_string() })?;
        let schedule = CronSchedule { cron, text };
        // An expression such as "0 0 30 2 *" parses but never fires: refuse it now rather
        // than sleeping forever.
        if schedule.next_after(&Utc::now()).is_none() {
            return Err(CronError::Never { expr: schedule.text });
        }
        Ok(schedule)
    }
}

impl CronSchedule {
    /// The first time strictly after `after` that the expression matches, read on `after`'s
    /// wall clock; `None` when there is none.
    pub fn next_after<Tz: TimeZone>(&self, after: &DateTime<Tz>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(after, false).ok().map(|t| t.with_timezone(&Utc))
    }

    /// The expression as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// The loop `watch` runs, for one source or for whole cycles: waits until `first`, calls
/// `tick`, which does the work and returns when it is next due, waits until then, and so on,
/// until `tick` returns `None` or `stop` completes. `stop` ends a wait at once and abandons a
/// tick in progress (its future is dropped), so a tick must leave nothing half-done when
/// dropped at an `.await`. Waits are cut into pieces of at most [`MAX_SLEEP`] against the
/// wall clock.
pub async fn drive<F, Fut>(first: DateTime<Utc>, mut tick: F, stop: impl Future<Output = ()>)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<DateTime<Utc>>>,
{
    tokio::pin!(stop);
    let mut due = first;
    loop {
        loop {
            let wait = sleep_for(due, Utc::now());
            if wait.is_zero() {
                break;
            }
            tokio::select! {
                biased;
                () = &mut stop => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
        let next = tokio::select! {
            biased;
            () = &mut stop => return,
            next = tick() => next,
        };
        match next {
            Some(next) => due = next,
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).single().expect("date")
    }

    fn timing(every: Duration) -> SourceTiming {
        SourceTiming { every, ..SourceTiming::default() }
    }

    #[test]
    fn hints_lengthen_but_never_shorten_or_exceed_a_day() {
        let mut t = timing(HOUR);
        assert_eq!(interval(&t), HOUR);
        t.ttl = Some(Duration::from_secs(600));
        assert_eq!(interval(&t), HOUR, "a shorter TTL does not shorten");
        t.max_age = Some(3 * HOUR);
        assert_eq!(interval(&t), 3 * HOUR);
        t.ttl = Some(30 * 24 * HOUR);
        assert_eq!(interval(&t), MAX_HINT);
    }

    #[test]
    fn failures_back_off_and_success_recovers() {
        let mut t = timing(HOUR);
        let mut last = Duration::ZERO;
        for failures in 1..=4 {
            t.failures = failures;
            let b = backoff(&t, "src");
            assert!(b > last, "backoff grows: {b:?} after {last:?}");
            last = b;
        }
        t.failures = 30;
        assert!(backoff(&t, "src") <= MAX_BACKOFF);
        t.failures = 0;
        assert_eq!(next_due(&t, "src", t0()), t0() + chrono::Duration::hours(1));
    }

    #[test]
    fn retry_after_wins_even_when_forced() {
        let mut t = timing(HOUR);
        t.retry_after = Some(t0() + chrono::Duration::hours(5));
        assert!(!is_due(&t, "s", Some(t0() - chrono::Duration::days(1)), t0(), true));
        assert_eq!(next_due(&t, "s", t0()), t0() + chrono::Duration::hours(5));
        assert!(is_due(&t, "s", Some(t0()), t0() + chrono::Duration::hours(6), false));
    }

    #[test]
    fn due_rules() {
        let t = timing(HOUR);
        assert!(is_due(&t, "s", None, t0(), false), "never polled");
        assert!(!is_due(&t, "s", Some(t0()), t0() + chrono::Duration::minutes(59), false));
        assert!(is_due(&t, "s", Some(t0()), t0() + chrono::Duration::minutes(60), false));
        assert!(is_due(&t, "s", Some(t0()), t0(), true), "force");
    }

    #[test]
    fn due_at_is_now_for_a_new_source_and_waits_for_retry_after() {
        let mut t = timing(HOUR);
        assert!(due_at(&t, "s", None) <= t0());
        assert_eq!(due_at(&t, "s", Some(t0())), t0() + chrono::Duration::hours(1));
        t.retry_after = Some(t0() + chrono::Duration::hours(3));
        assert_eq!(due_at(&t, "s", None), t0() + chrono::Duration::hours(3));
    }

    #[test]
    fn sleeps_are_cut_to_max_sleep_and_zero_when_due() {
        assert_eq!(sleep_for(t0(), t0()), Duration::ZERO);
        assert_eq!(sleep_for(t0() - chrono::Duration::days(3), t0()), Duration::ZERO);
        assert_eq!(sleep_for(t0() + chrono::Duration::seconds(5), t0()), Duration::from_secs(5));
        assert_eq!(sleep_for(t0() + chrono::Duration::hours(5), t0()), MAX_SLEEP);
        assert_eq!(sleep_for(DateTime::<Utc>::MAX_UTC, t0()), MAX_SLEEP);
    }

    #[test]
    fn cron_expressions_fire_on_the_wall_clock_given() {
        let every15: CronSchedule = "*/15 * * * *".parse().expect("cron");
        assert_eq!(every15.next_after(&t0()), Some(t0() + chrono::Duration::minutes(15)), "strictly after");
        let at = t0() + chrono::Duration::minutes(7) + chrono::Duration::seconds(3);
        assert_eq!(every15.next_after(&at), Some(t0() + chrono::Duration::minutes(15)));
        // Six fields: seconds first.
        let every2s: CronSchedule = "*/2 * * * * *".parse().expect("cron");
        assert_eq!(every2s.next_after(&t0()), Some(t0() + chrono::Duration::seconds(2)));
        // Read on the given clock: 06:30 in UTC+02:00 is 04:30 UTC.
        let daily: CronSchedule = "30 6 * * *".parse().expect("cron");
        let zone = chrono::FixedOffset::east_opt(2 * 3600).expect("zone");
        let next = daily.next_after(&t0().with_timezone(&zone)).expect("next");
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 11, 29, 4, 30, 0).single().expect("date"));
        assert_eq!(daily.as_str(), "30 6 * * *");
        let hourly: CronSchedule = "@hourly".parse().expect("nickname");
        assert_eq!(hourly.next_after(&t0()), Some(t0() + chrono::Duration::hours(1)));
    }

    #[test]
    fn bad_cron_expressions_are_refused_with_the_expression_named() {
        for bad in ["", "every 15 minutes", "*/15 * * *", "61 * * * *", "0 0 30 2 *"] {
            let err = bad.parse::<CronSchedule>().expect_err(bad).to_string();
            assert!(err.contains(&format!("`{}`", bad.trim())), "{err}");
        }
    }

    #[tokio::test]
    async fn drive_ticks_when_due_until_the_tick_says_stop() {
        let mut ticks = Vec::new();
        let started = std::time::Instant::now();
        drive(
            Utc::now(),
            || {
                ticks.push(started.elapsed());
                let more = ticks.len() < 4;
                async move { more.then(|| Utc::now() + chrono::Duration::milliseconds(30)) }
            },
            std::future::pending(),
        )
        .await;
        assert_eq!(ticks.len(), 4);
        assert!(ticks[0] < Duration::from_millis(20), "first tick at once: {ticks:?}");
        for pair in ticks.windows(2) {
            assert!(pair[1] - pair[0] >= Duration::from_millis(25), "waits between ticks: {ticks:?}");
        }
    }

    #[tokio::test]
    async fn stop_ends_a_wait_and_abandons_a_tick_at_once() {
        // A long wait.
        let started = std::time::Instant::now();
        let mut ticks = 0;
        drive(
            Utc::now() + chrono::Duration::hours(1),
            || {
                ticks += 1;
                async { None }
            },
            tokio::time::sleep(Duration::from_millis(50)),
        )
        .await;
        assert_eq!(ticks, 0);
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        // A tick that never finishes.
        let started = std::time::Instant::now();
        drive(Utc::now(), std::future::pending::<Option<DateTime<Utc>>>, tokio::time::sleep(Duration::from_millis(50)))
            .await;
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    }

    proptest! {
        #[test]
        fn due_at_agrees_with_is_due(
            every in 1u64..100_000,
            failures in 0u32..20,
            ttl in proptest::option::of(1u64..200_000),
            retry in proptest::option::of(-100_000i64..100_000),
            last in proptest::option::of(-300_000i64..0),
            key in "[a-z]{1,8}",
        ) {
            let t = SourceTiming {
                every: Duration::from_secs(every),
                ttl: ttl.map(Duration::from_secs),
                failures,
                retry_after: retry.map(|s| t0() + chrono::Duration::seconds(s)),
                ..SourceTiming::default()
            };
            let last = last.map(|s| t0() + chrono::Duration::seconds(s));
            prop_assert_eq!(due_at(&t, &key, last) <= t0(), is_due(&t, &key, last, t0(), false));
        }

        #[test]
        fn backoff_is_bounded_and_jitter_small(every in 1u64..200_000, failures in 1u32..40, key in "[a-z]{1,8}") {
            let t = SourceTiming { every: Duration::from_secs(every), failures, ..SourceTiming::default() };
            let b = backoff(&t, &key);
            let cap = MAX_BACKOFF.max(interval(&t));
            prop_assert!(b <= cap);
            prop_assert!(b >= interval(&t).max(Duration::from_secs(60)).min(cap).mul_f64(0.9));
            prop_assert_eq!(b, backoff(&t, &key), "deterministic");
        }
    }
}
