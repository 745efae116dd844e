//! When a source is next due. A pure policy: every input (the configured interval, the
//! source's own hints, its failure count, the clock) is passed in, so it is tested without
//! waiting and `check`, `run` and `watch` agree on it.
//!
//! The rules: a source is polled no more often than its `every`, lengthened by its own hints
//! (RSS `<ttl>`, `Cache-Control: max-age`) up to a day; a failing source backs off
//! exponentially from its interval up to a day, with a deterministic jitter so many failing
//! sources do not retry in step, and recovers as soon as one poll succeeds; `Retry-After`
//! is honoured always, even by `check --force`.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Hints are never allowed to push a poll further out than this.
pub const MAX_HINT: Duration = Duration::from_secs(24 * 3600);
/// Backoff never waits longer than this (or the source's own interval, if longer).
pub const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);

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

    proptest! {
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
