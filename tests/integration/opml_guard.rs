//! `sources import` of an untrusted OPML file: outlines pointing at local files or at the
//! machine itself are refused by the item-link address rules, named on stderr, and kept
//! out of the store's sources; the rest are added and the exit code says something was
//! refused.

use crate::harness::{Site, expect_code, fixture, stderr};
use crate::upstream::json;

#[test]
fn opml_outlines_for_local_files_and_loopback_are_refused_and_named() {
    let site = Site::new(50, "");
    let opml = fixture("opml/hostile-addresses.opml");
    let out = site.run(&["sources", "import", opml.to_str().expect("utf8")]);
    let stdout = expect_code(&out, 3, &["sources", "import", "hostile-addresses.opml"]);
    assert!(stdout.contains("1 source(s) added") && stdout.contains("3 refused"), "{stdout}");
    let err = stderr(&out);
    for (title, url) in
        [("Passwords", "file:///etc/passwd"), ("Local SSH", "http://127.0.0.1:22/"), ("Loopback six", "http://[::1]/")]
    {
        assert!(err.contains(&format!("refused {title} ({url}): ")), "{title} is named: {err}");
    }
    assert!(err.contains("loopback"), "the reason is given: {err}");
    let listed = site.ok(&["sources", "--json"]);
    let urls: Vec<String> =
        json(&listed).as_array().expect("a list").iter().map(|s| s["url"].as_str().expect("url").to_string()).collect();
    assert_eq!(urls, ["https://good.example/feed.xml"], "only the good feed lands in the store: {listed}");
}
