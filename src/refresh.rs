//! What a re-check of an archived original means, as pure functions: given what the fetch
//! saw (a 304, a page and the text extracted from it, or a failure) and what the archive
//! holds, is the original **unchanged**, **changed**, **gone** or failing **transiently**?
//! And which archived originals are due for a re-check on the `[refresh] every` schedule?
//!
//! The rules (see [`classify`]):
//!
//! - 304, or the same extracted text (whitespace aside): unchanged.
//! - 404, 410 or 451; 401 (a login wall); a redirect that ends on the site's front page or
//!   on a login page; a page from which no article can be read, or whose text no longer
//!   carries the archived article's (less than [`SOFT_404_SHARE`] of its word triples — a
//!   soft 404); a host that cannot be reached on [`DEAD_HOST_FAILURES`] consecutive checks:
//!   gone, with the evidence.
//! - Timeouts, 5xx, 408, 429 and connection failures below that count: transient — back off
//!   ([`retry_after`]) and try again; never a takedown.
//! - Anything else the fetch refuses (a body over the size limit, a redirect loop, a private
//!   address): a failed check, named, not a takedown.
//! - Otherwise the page changed: a new version is captured and stored.
//!
//! No I/O, no clock: the time is passed in.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use crate::archive::{ArticleState, RefreshState};

/// Consecutive checks a host may fail to answer before its articles count as gone.
pub const DEAD_HOST_FAILURES: u32 = 3;
/// Below this share of the archived text's word triples found in the page, the page no
/// longer carries the article: a soft 404.
pub const SOFT_404_SHARE: f64 = 0.2;
/// The first retry after a transient failure; each further failure doubles it (up to the
/// schedule's interval).
pub const FIRST_RETRY: Duration = Duration::from_secs(3600);

/// What one re-check saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation<'a> {
    /// 304 Not Modified: the validators still hold.
    NotModified,
    /// A 2xx page. `text` is the article text extracted from it; `None` when no article
    /// could be read from it.
    Page { final_url: &'a str, text: Option<&'a str> },
    /// No page: the fetch failed.
    Failed {
        /// The final HTTP status, when the server answered.
        status: Option<u16>,
        /// Whether trying again may help (timeouts, 5xx, connection failures).
        transient: bool,
        /// Whether the host could not be reached at all (DNS, refused connection).
        unreachable: bool,
        /// The error, in words.
        error: &'a str,
    },
}

/// What a re-check means.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The original is as archived.
    Unchanged,
    /// The original changed: store the new version.
    Changed,
    /// The original is gone; `reason` says what showed it.
    Gone { reason: String },
    /// Try again later (back off); not a takedown.
    Transient { error: String },
    /// The check failed for a reason trying again will not fix soon (named); not a takedown.
    Failed { error: String },
}

/// Classifies one re-check of the original at `original_url`, whose archived text is
/// `archived_text`, after `failures_before` consecutive failed checks.
pub fn classify(original_url: &str, archived_text: &str, seen: &Observation<'_>, failures_before: u32) -> Verdict {
    match seen {
        Observation::NotModified => Verdict::Unchanged,
        Observation::Page { final_url, text } => {
            if let Some(reason) = redirected_away(original_url, final_url) {
                return Verdict::Gone { reason };
            }
            let Some(text) = text else {
                return Verdict::Gone { reason: "soft 404: no article can be read from the page any more".into() };
            };
            if same_text(archived_text, text) {
                return Verdict::Unchanged;
            }
            let share = carried_share(archived_text, text);
            if share < SOFT_404_SHARE {
                return Verdict::Gone {
                    reason: format!(
                        "soft 404: the page no longer carries the article's text ({:.0}% of it found)",
                        share * 100.0
                    ),
                };
            }
            Verdict::Changed
        }
        Observation::Failed { status, transient, unreachable, error } => match status {
            Some(404) => Verdict::Gone { reason: "HTTP 404 Not Found".into() },
            Some(410) => Verdict::Gone { reason: "HTTP 410 Gone".into() },
            Some(451) => Verdict::Gone { reason: "HTTP 451 Unavailable For Legal Reasons".into() },
            Some(401) => Verdict::Gone { reason: "HTTP 401: behind a login".into() },
            _ if *unreachable && failures_before + 1 >= DEAD_HOST_FAILURES => Verdict::Gone {
                reason: format!("the host could not be reached on {} consecutive checks: {error}", failures_before + 1),
            },
            _ if *transient || *unreachable => Verdict::Transient { error: error.to_string() },
            _ => Verdict::Failed { error: error.to_string() },
        },
    }
}

/// Whether a request for `original` that ended at `final_url` was sent away from the
/// article: to the site's front page or to a login page. The reason, when it was.
pub fn redirected_away(original: &str, final_url: &str) -> Option<String> {
    let (Ok(from), Ok(to)) = (Url::parse(original), Url::parse(final_url)) else { return None };
    if from == to {
        return None;
    }
    let front = |u: &Url| matches!(u.path(), "" | "/") || u.path().trim_end_matches('/').ends_with("/index.html");
    if front(&to) && !front(&from) {
        return Some(format!("redirected to the site's front page ({final_url})"));
    }
    let path = to.path().to_ascii_lowercase();
    let login = ["login", "log-in", "signin", "sign-in", "sign_in", "logon", "auth", "sso", "wp-login"];
    let segments: Vec<&str> = path.split(['/', '.', '?']).filter(|s| !s.is_empty()).collect();
    if segments.iter().any(|s| login.contains(s)) && !from.path().to_ascii_lowercase().contains("login") {
        return Some(format!("redirected to a login page ({final_url})"));
    }
    None
}

/// Whether two article texts are the same, whitespace aside.
pub fn same_text(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

/// The share (0..=1) of `archived`'s word triples (case-folded) that occur in `page`; 1 for
/// an archived text of fewer than three words that occurs in the page.
pub fn carried_share(archived: &str, page: &str) -> f64 {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
    };
    let (old, new) = (words(archived), words(page));
    if old.len() < 3 {
        let new: HashSet<&String> = new.iter().collect();
        return if old.iter().all(|w| new.contains(w)) { 1.0 } else { 0.0 };
    }
    let have: HashSet<&[String]> = new.windows(3).collect();
    let total = old.len() - 2;
    let found = old.windows(3).filter(|w| have.contains(w)).count();
    found as f64 / total as f64
}

/// How long after a check that failed transiently (`failures` in a row) to try again:
/// [`FIRST_RETRY`], doubling with each failure, at most `cap`.
pub fn retry_after(failures: u32, cap: Duration) -> Duration {
    let doubled = FIRST_RETRY.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    doubled.min(cap.max(FIRST_RETRY))
}

/// Whether an article with this refresh state (`None`: never re-checked; `archived_at`
/// then stands for its last look) is due for a scheduled re-check every `every`. A removed
/// article is not re-checked on the schedule; one failing transiently is retried after its
/// back-off.
pub fn due(state: Option<&RefreshState>, archived_at: DateTime<Utc>, every: Duration, now: DateTime<Utc>) -> bool {
    let since = |t: DateTime<Utc>| (now - t).to_std().unwrap_or_default();
    match state {
        None => since(archived_at) >= every,
        Some(s) if s.state == ArticleState::Removed => false,
        Some(s) if s.failures > 0 => since(s.last_checked) >= retry_after(s.failures, every),
        Some(s) => since(s.last_checked) >= every,
    }
}

/// The time a scheduled re-check orders articles by: oldest first.
pub fn last_look(state: Option<&RefreshState>, archived_at: DateTime<Utc>) -> DateTime<Utc> {
    state.map_or(archived_at, |s| s.last_checked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::ArticleId;

    const URL: &str = "https://news.example/2026/11/evin-report";
    const TEXT: &str = "The report documents the executions at Evin prison in the summer of 1988 \
        and names the officials who sat on the commissions that ordered them.";

    fn page<'a>(final_url: &'a str, text: Option<&'a str>) -> Observation<'a> {
        Observation::Page { final_url, text }
    }

    fn failed(status: Option<u16>, transient: bool, unreachable: bool) -> Observation<'static> {
        Observation::Failed { status, transient, unreachable, error: "boom" }
    }

    fn gone(v: &Verdict) -> bool {
        matches!(v, Verdict::Gone { .. })
    }

    #[test]
    fn a_304_or_the_same_text_is_unchanged() {
        assert_eq!(classify(URL, TEXT, &Observation::NotModified, 0), Verdict::Unchanged);
        let spaced = TEXT.replace(' ', "  \n");
        assert_eq!(classify(URL, TEXT, &page(URL, Some(&spaced)), 0), Verdict::Unchanged);
    }

    #[test]
    fn an_edited_page_is_changed() {
        let edited = TEXT.replace("names the officials", "no longer names anyone");
        assert_eq!(classify(URL, TEXT, &page(URL, Some(&edited)), 0), Verdict::Changed);
        let longer = format!("{TEXT} A correction was appended on 2 December.");
        assert_eq!(classify(URL, TEXT, &page(URL, Some(&longer)), 0), Verdict::Changed);
    }

    #[test]
    fn deleted_pages_are_gone_with_their_status() {
        for (status, word) in [(404, "404"), (410, "410"), (451, "451"), (401, "login")] {
            let v = classify(URL, TEXT, &failed(Some(status), false, false), 0);
            match v {
                Verdict::Gone { reason } => assert!(reason.contains(word), "{reason}"),
                other => panic!("{status}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_redirect_to_the_front_page_or_a_login_is_gone() {
        assert!(gone(&classify(URL, TEXT, &page("https://news.example/", Some("Today's news")), 0)));
        assert!(gone(&classify(URL, TEXT, &page("https://news.example/account/login?next=x", Some(TEXT)), 0)));
        assert!(gone(&classify(URL, TEXT, &page("https://news.example/wp-login.php", Some(TEXT)), 0)));
        // A move to another article URL carrying the same text is not a takedown.
        assert_eq!(classify(URL, TEXT, &page("https://news.example/evin-report", Some(TEXT)), 0), Verdict::Unchanged);
        // Nor is a front page that was the original.
        assert_eq!(redirected_away("https://news.example/", "https://www.news.example/"), None);
    }

    #[test]
    fn a_page_without_the_article_is_a_soft_404() {
        assert!(gone(&classify(URL, TEXT, &page(URL, None), 0)));
        let elsewhere = "Sorry, the page you are looking for cannot be found. Try our search or the latest news.";
        assert!(gone(&classify(URL, TEXT, &page(URL, Some(elsewhere)), 0)));
        // A page that keeps most of the article within other text is not.
        let wrapped = format!("Latest headlines and more. {TEXT} Share this story.");
        assert_eq!(classify(URL, TEXT, &page(URL, Some(&wrapped)), 0), Verdict::Changed);
    }

    #[test]
    fn transient_failures_back_off_and_only_a_dead_host_becomes_gone() {
        assert!(matches!(classify(URL, TEXT, &failed(Some(503), true, false), 5), Verdict::Transient { .. }));
        assert!(matches!(classify(URL, TEXT, &failed(None, true, false), 9), Verdict::Transient { .. }));
        assert!(matches!(classify(URL, TEXT, &failed(None, true, true), 0), Verdict::Transient { .. }));
        assert!(matches!(classify(URL, TEXT, &failed(None, true, true), 1), Verdict::Transient { .. }));
        assert!(gone(&classify(URL, TEXT, &failed(None, true, true), DEAD_HOST_FAILURES - 1)));
        assert!(matches!(classify(URL, TEXT, &failed(None, false, false), 0), Verdict::Failed { .. }));
        assert!(matches!(classify(URL, TEXT, &failed(Some(403), false, false), 0), Verdict::Failed { .. }));
    }

    #[test]
    fn back_off_doubles_up_to_the_interval() {
        let week = Duration::from_secs(7 * 86_400);
        assert_eq!(retry_after(1, week), FIRST_RETRY);
        assert_eq!(retry_after(2, week), FIRST_RETRY * 2);
        assert_eq!(retry_after(4, week), FIRST_RETRY * 8);
        assert_eq!(retry_after(40, week), week);
    }

    #[test]
    fn due_when_last_looked_at_longer_ago_than_the_interval() {
        let t = |s: &str| crate::date::parse(s).expect("date");
        let now = t("2026-12-06T00:00:00Z");
        let week = Duration::from_secs(7 * 86_400);
        assert!(due(None, t("2026-11-28T00:00:00Z"), week, now));
        assert!(!due(None, t("2026-12-01T00:00:00Z"), week, now));
        let state = |state, checked: &str, failures| RefreshState {
            article_id: ArticleId("a".into()),
            state,
            since: t(checked),
            last_checked: t(checked),
            etag: None,
            last_modified: None,
            failures,
            last_error: None,
            evidence: None,
        };
        let old = t("2026-01-01T00:00:00Z");
        assert!(!due(Some(&state(ArticleState::Current, "2026-12-01T00:00:00Z", 0)), old, week, now));
        assert!(due(Some(&state(ArticleState::Changed, "2026-11-28T00:00:00Z", 0)), old, week, now));
        assert!(!due(Some(&state(ArticleState::Removed, "2026-01-01T00:00:00Z", 0)), old, week, now));
        assert!(due(Some(&state(ArticleState::Current, "2026-12-05T22:00:00Z", 1)), old, week, now));
        assert!(!due(Some(&state(ArticleState::Current, "2026-12-05T22:00:00Z", 3)), old, week, now));
    }

    proptest::proptest! {
        #[test]
        fn the_same_text_is_never_changed_or_gone(words in proptest::collection::vec("[a-z]{1,8}", 3..60)) {
            let text = words.join(" ");
            proptest::prop_assert_eq!(classify(URL, &text, &page(URL, Some(&text)), 0), Verdict::Unchanged);
            proptest::prop_assert!((carried_share(&text, &text) - 1.0).abs() < f64::EPSILON);
        }
    }
}
