//! Two-stage relevance decisions through the real binary: an item whose feed entry scores
//! too close to the threshold to decide on is decided on its article, fetched from a
//! loopback site in the check's page phase; a certain entry is decided on the entry alone.

use crate::harness::{Site, fixture};
use crate::upstream::{Route, Server, json, page, rss, source, sources_toml};

/// The press-freedom-in-Mexico archive of the labelled sets, imported, and one source on
/// `server`: a terse related entry (its summary names no place the archive knows) whose
/// page says what it is about, and an unrelated entry.
fn mexico_site(server: &Server) -> Site {
    let article = std::fs::read_to_string(fixture("relevance/pages/p21.txt")).expect("page fixture");
    let paragraphs: Vec<&str> = article.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect();
    server.route(
        "/sinaloa.html",
        Route::ok(
            "text/html; charset=utf-8",
            page("Reporter missing in Sinaloa after covering fuel theft", &paragraphs),
        ),
    );
    server.route(
        "/peso.html",
        Route::ok("text/html; charset=utf-8", page("Peso strengthens", &["The peso gained against the dollar."])),
    );
    let feed = rss(&[
        (
            "p21",
            "Reporter missing in Sinaloa after covering fuel theft",
            &server.url("/sinaloa.html"),
            "His family said the freelance journalist vanished after publishing images of huachicol tapping on a pipeline.",
        ),
        (
            "p02",
            "Mexico's peso strengthens as central bank holds rates",
            &server.url("/peso.html"),
            "The peso gained against the dollar after Banxico kept its benchmark rate at 11%.",
        ),
    ]);
    server.route("/feed.xml", Route::ok("application/rss+xml", feed));
    let sources = sources_toml(&[("Wire", &server.url("/feed.xml"))], "1h");
    let site = Site::new(50, &format!("[fetch]\nallow_private = true\n\n{sources}"));
    site.ok(&["import", fixture("relevance/topics/press-mexico/archive").to_str().expect("utf8")]);
    site
}

#[test]
fn an_uncertain_entry_is_decided_on_its_article() {
    let server = Server::start();
    let site = mexico_site(&server);

    // On the feed entry alone (a dry run fetches no page) the terse item is skipped, as
    // uncertain.
    let dry = json(&site.ok(&["check", "--dry-run", "--json"]));
    let d = &source(&dry, "Wire")["decisions"];
    assert_eq!(d[0]["kept"], false, "{}", d[0]);
    let entry_score = d[0]["score"].as_f64().expect("score");
    assert!(d[0]["reasons"][0].as_str().expect("reason").starts_with("uncertain on the feed entry"), "{}", d[0]);
    assert!(server.hits("/sinaloa.html").is_empty(), "a dry run fetches no page");
    let human = site.ok(&["check", "--dry-run"]);
    assert!(human.lines().any(|l| l.trim_start().starts_with("skip") && l.contains("uncertain")), "{human}");

    // A check fetches the article and keeps the item on it; both scores are in the reasons.
    let report = json(&site.ok(&["check", "--json"]));
    let wire = source(&report, "Wire");
    assert_eq!((wire["kept"].as_u64(), wire["archived"].as_u64()), (Some(1), Some(1)), "{wire}");
    let d = &wire["decisions"][0];
    assert_eq!(d["kept"], true, "{d}");
    let first = d["reasons"][0].as_str().expect("reason");
    assert!(first.starts_with("decided on the article"), "{first}");
    assert!(first.contains(&format!("feed entry {entry_score:.2}")), "{first}");
    let article_score = d["score"].as_f64().expect("score");
    // An article keeps an item at 0.80 (the article keep threshold at the default 0.5).
    assert!(article_score >= 0.8 && first.contains(&format!("article {article_score:.2}")), "{first}");
    assert_eq!(server.hits("/sinaloa.html").len(), 1);
    let shown = json(&site.ok(&["show", d["article_id"].as_str().expect("id"), "--json"]));
    assert!(shown["text"].as_str().expect("text").contains("huachicol"), "{shown}");
    // The certain rejection was decided on its entry: its page was never fetched.
    assert_eq!(wire["decisions"][1]["kept"], false);
    assert!(server.hits("/peso.html").is_empty(), "a certain rejection fetches no page");
}
