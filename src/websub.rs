//! WebSub publishing: after a publish that changed feeds, tell the configured hub, so that
//! subscribers are pushed the new entries instead of waiting for their next poll. One
//! `hub.mode=publish` POST per changed feed, with `hub.url` set to that feed's self URL (the
//! same URL the feed carries in `rel="self"`, next to its `rel="hub"`).
//!
//! A hub that fails is reported, never fatal: the feeds are published either way. The HTTP
//! goes through [`crate::fetch`]; nothing here touches the archive or the feeds folder.

use serde::Serialize;

use crate::fetch::Fetcher;

/// What pinging the hub did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PingReport {
    /// The hub's URL.
    pub hub: String,
    /// Feed URLs the hub accepted.
    pub pinged: Vec<String>,
    /// Feed URLs the hub did not accept, with the error.
    pub failed: Vec<PingFailure>,
}

/// One feed the hub was not told about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PingFailure {
    pub feed: String,
    pub error: String,
}

/// The form fields of a publish notification for one feed (WebSub §7).
pub fn publish_fields(feed_url: &str) -> [(&'static str, &str); 2] {
    [("hub.mode", "publish"), ("hub.url", feed_url)]
}

/// Notifies `hub` of every feed in `feeds`, one request each, in order; after a hub that
/// cannot be reached, the rest are reported as not sent.
pub async fn ping(fetcher: &Fetcher, hub: &str, feeds: &[String]) -> PingReport {
    let mut report = PingReport { hub: hub.to_string(), ..PingReport::default() };
    // A hub that cannot be reached (or answers too slowly) is not tried again for the next
    // feed: one timeout, not one per feed, before the caller goes on.
    let mut unreachable: Option<String> = None;
    for feed in feeds {
        if let Some(why) = &unreachable {
            report.failed.push(PingFailure { feed: feed.clone(), error: format!("not sent: {why}") });
            continue;
        }
        match fetcher.post_form(hub, &publish_fields(feed)).await {
            Ok(_) => report.pinged.push(feed.clone()),
            Err(e) => {
                tracing::warn!(hub, feed = %feed, error = %e, "the WebSub hub was not notified");
                if !matches!(e, crate::fetch::FetchError::Status { .. }) {
                    unreachable = Some(e.to_string());
                }
                report.failed.push(PingFailure { feed: feed.clone(), error: e.to_string() });
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::FetchConfig;
    use std::sync::{Arc, Mutex};

    /// A hub on 127.0.0.1 that records each POST body and answers with `status`.
    async fn hub(status: u16) -> (String, Arc<Mutex<Vec<String>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        let app = axum::Router::new().route(
            "/hub",
            axum::routing::post(move |body: String| {
                let record = record.clone();
                async move {
                    record.lock().expect("lock").push(body);
                    axum::http::StatusCode::from_u16(status).expect("status")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        (format!("http://{addr}/hub"), seen)
    }

    fn fetcher() -> Fetcher {
        Fetcher::new(FetchConfig { timeout: std::time::Duration::from_secs(5), ..FetchConfig::default() })
            .expect("fetcher")
    }

    #[tokio::test]
    async fn the_hub_receives_one_publish_ping_per_changed_feed() {
        let (url, seen) = hub(204).await;
        let feeds = vec![
            "https://example.org/feeds/atom.xml".to_string(),
            "https://example.org/feeds/tags/un/rss.xml".to_string(),
        ];
        let report = ping(&fetcher(), &url, &feeds).await;
        assert_eq!(report.pinged, feeds);
        assert!(report.failed.is_empty());
        let bodies = seen.lock().expect("lock").clone();
        assert_eq!(
            bodies,
            vec![
                "hub.mode=publish&hub.url=https%3A%2F%2Fexample.org%2Ffeeds%2Fatom.xml".to_string(),
                "hub.mode=publish&hub.url=https%3A%2F%2Fexample.org%2Ffeeds%2Ftags%2Fun%2Frss.xml".to_string(),
            ]
        );
    }

    #[tokio::test]
    async fn a_failing_hub_is_reported_not_fatal() {
        let (url, _) = hub(500).await;
        let report = ping(&fetcher(), &url, &["https://example.org/feeds/atom.xml".to_string()]).await;
        assert!(report.pinged.is_empty());
        assert_eq!(report.failed.len(), 1);
        assert!(report.failed[0].error.contains("500"), "{}", report.failed[0].error);
        // A hub that answers with an error is still asked about every feed.
        let two = ["https://e.org/a.xml".to_string(), "https://e.org/b.xml".to_string()];
        let report = ping(&fetcher(), &url, &two).await;
        assert!(report.failed.iter().all(|f| f.error.contains("500")), "{:?}", report.failed);
        // A hub that is not there at all is tried once, not once per feed.
        let report = ping(&fetcher(), "http://127.0.0.1:9/hub", &two).await;
        assert_eq!(report.failed.len(), 2);
        assert!(!report.failed[0].error.starts_with("not sent"), "{}", report.failed[0].error);
        assert!(report.failed[1].error.starts_with("not sent: "), "{}", report.failed[1].error);
    }
}
