//! Two-stage relevance decisions through the real binary: an item whose feed entry scores
//! too close to the threshold to decide on is decided on its article, fetched from a
//! loopback site in the check's page phase; a certain entry is decided on the entry alone.

use crate::harness::{Site, fixture};
use crate::upstream::{Route, Server, json, page, rss, source, sources_toml};

/// The press-freedom-in-Mexico archive of the labelled sets, imported, and one source on
/// `server`: a terse related entry (its summary names no place at all) whose page says
/// what it is about, and an unrelated entry.
fn mexico_site(server: &Server) -> Site {
    let article = std::fs::read_to_string(fixture("relevance/pages/p33.txt")).expect("page fixture");
    let paragraphs: Vec<&str> = article.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect();
    server.route(
        "/threats.html",
        Route::ok(
            "text/html; charset=utf-8",
            page("Digital outlet's founder under protection after death threats over corruption story", &paragraphs),
        ),
    );
    server.route(
        "/peso.html",
        Route::ok("text/html; charset=utf-8", page("Peso strengthens", &["The peso gained against the dollar."])),
    );
    let feed = rss(&[
        (
            "p33",
            "Digital outlet's founder under protection after death threats over corruption story",
            &server.url("/threats.html"),
            "The site had reported on contracts awarded to relatives of a state governor.",
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
    assert!(server.hits("/threats.html").is_empty(), "a dry run fetches no page");
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
    assert_eq!(server.hits("/threats.html").len(), 1);
    let shown = json(&site.ok(&["show", d["article_id"].as_str().expect("id"), "--json"]));
    assert!(shown["text"].as_str().expect("text").contains("Xalapa"), "{shown}");
    // The certain rejection was decided on its entry: its page was never fetched.
    assert_eq!(wire["decisions"][1]["kept"], false);
    assert!(server.hits("/peso.html").is_empty(), "a certain rejection fetches no page");
}

/// `relevance label` stores a verdict on a stored decision (by its key), on an archived
/// article (by id prefix) and on a link no check has stored yet; `check --dry-run` then
/// reports the labels and suggests a threshold from their scores.
#[test]
fn labels_are_stored_and_a_dry_run_suggests_a_threshold() {
    let server = Server::start();
    let site = mexico_site(&server);

    // Before any label, a dry run says nothing about labels.
    let dry = json(&site.ok(&["check", "--dry-run", "--json"]));
    assert!(dry.get("labels").is_none(), "{dry}");

    site.ok(&["check"]);
    let out = site.ok(&["relevance", "label", "p02", "unrelated"]);
    assert!(out.starts_with("unrelated id:p02: Mexico's peso strengthens") && out.contains("item scoring"), "{out}");
    // The key as `check --json` reports it works as well as the upstream id it is made of.
    let out = site.ok(&["relevance", "label", "id:p33", "related"]);
    assert!(out.starts_with("related id:p33: Digital outlet"), "{out}");
    // An archived article, by the first characters of its id.
    let list = json(&site.ok(&["list", "--json"]));
    let article = list
        .as_array()
        .expect("list")
        .iter()
        .find(|a| a["title"].as_str().is_some_and(|t| t.contains("Pegasus") || t.contains("spyware")))
        .expect("the spyware article is archived");
    let id = article["id"].as_str().expect("id");
    let prefix = &id.strip_prefix("urn:uuid:").unwrap_or(id)[..8];
    let out = site.ok(&["relevance", "label", prefix, "related"]);
    assert!(out.starts_with(&format!("related {id}: ")) && out.contains("article scoring"), "{out}");
    // A link no check has stored: kept, waiting.
    let out = site.ok(&["relevance", "label", "https://news.example/unseen", "unrelated"]);
    assert!(out.contains("not seen yet"), "{out}");
    // Labelling again replaces the earlier verdict.
    site.ok(&["relevance", "label", "p02", "unrelated"]);

    let dry = json(&site.ok(&["check", "--dry-run", "--json"]));
    let labels = &dry["labels"];
    assert_eq!(labels["labels"], 4, "{labels}");
    assert_eq!((labels["scored_now"].as_u64(), labels["scored_before"].as_u64()), (Some(2), Some(1)), "{labels}");
    assert_eq!(labels["waiting"], 1, "{labels}");
    let s = &labels["suggestion"];
    assert_eq!((s["labelled"].as_u64(), s["related"].as_u64()), (Some(3), Some(2)), "{s}");
    // The labelled items are separable: the suggestion keeps both related ones and not the peso.
    assert_eq!(s["suggested"]["f1"], 1.0, "{s}");
    let t = s["suggested"]["threshold"].as_f64().expect("threshold");
    let peso = source(&dry, "Wire")["decisions"]
        .as_array()
        .expect("decisions")
        .iter()
        .find(|d| d["key"] == "id:p02")
        .expect("p02")["score"]
        .as_f64()
        .expect("score");
    assert!(t > peso, "{t} {peso}");
    assert_eq!(s["configured"]["threshold"], 0.5, "{s}");
    let human = site.ok(&["check", "--dry-run"]);
    assert!(human.contains("labels: 4 (2 scored now, 1 as labelled, 1 not seen yet); suggested threshold"), "{human}");

    // A verdict that is neither word is a usage error, and nothing is stored.
    let bad = site.run(&["relevance", "label", "p02", "maybe"]);
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
}
