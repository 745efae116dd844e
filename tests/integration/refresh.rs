//! `refresh` end to end: pages archived from a loopback site that then edits one, deletes
//! some (404, 410), sends one to its front page, turns one into a soft 404, keeps one as it
//! was (answering 304 to the validators kept in the capture) and fails one for a while; then
//! the states in `show`/`list`, the diff and the notices on the published pages, and the
//! `removed/` feeds read back by real feed parsers. A hostile site (a body over the limit, a
//! redirect loop) is bounded and named, and nothing archived is lost.

use crate::harness::{Site, expect_code};
use crate::upstream::{RELATED_P, Route, Server, json, page};

const HTML: &str = "text/html; charset=utf-8";

fn story(n: &str) -> Vec<String> {
    RELATED_P.iter().map(|p| format!("{p} (Report {n}.)")).collect()
}

fn story_page(n: &str) -> String {
    let paragraphs = story(n);
    page(&format!("Report {n} on the 1988 massacre"), &paragraphs.iter().map(String::as_str).collect::<Vec<_>>())
}

/// A site with `allow_private` (the pages are on 127.0.0.1) and `extra` config.
fn site(extra: &str) -> Site {
    Site::new(50, &format!("[fetch]\nallow_private = true\nmax_bytes = 100000\n\n{extra}"))
}

/// Archives the page at `path` with `add`, returning its id.
fn add(site: &Site, server: &Server, path: &str) -> String {
    site.ok(&["add", &server.url(path)]).trim().to_string()
}

fn article<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["articles"].as_array().expect("articles").iter().find(|a| a["id"] == id).expect("article in report")
}

#[test]
fn edits_become_versions_and_takedowns_are_marked_with_their_evidence() {
    let server = Server::start();
    for n in ["a", "b", "c", "d", "e", "g"] {
        server.route(&format!("/{n}.html"), Route::ok(HTML, story_page(n)));
    }
    server.route("/f.html", Route::ok(HTML, story_page("f")).with_etag("\"f1\""));
    let site = site("");
    let ids: Vec<String> =
        ["a", "b", "c", "d", "e", "f", "g"].iter().map(|n| add(&site, &server, &format!("/{n}.html"))).collect();
    let id = |n: &str| ids[(n.as_bytes()[0] - b'a') as usize].clone();

    // Nothing changed upstream: every article unchanged; the validators kept in the capture
    // are sent, and the server's 304 is enough.
    let first = json(&site.ok(&["refresh", "--json"]));
    assert_eq!((first["checked"].as_u64(), first["unchanged"].as_u64()), (Some(7), Some(7)), "{first}");
    let f_hits = server.hits("/f.html");
    assert_eq!(f_hits.last().expect("hit").headers.get("if-none-match").map(String::as_str), Some("\"f1\""));

    // Upstream edits one page, deletes two, sends one to the front page, soft-404s one, and
    // fails one with a 503.
    let mut edited = story("a");
    edited[1] =
        "The families' account of the mass graves has been removed from this report at the request of the authorities."
            .into();
    server.route(
        "/a.html",
        Route::ok(HTML, page("Report a on the 1988 massacre", &edited.iter().map(String::as_str).collect::<Vec<_>>())),
    );
    server.route("/b.html", Route::status(404, &[]));
    server.route("/c.html", Route::status(410, &[]));
    server.route("/d.html", Route::status(301, &[("Location", "/")]));
    server.route("/", Route::ok(HTML, page("Test News", &["Today's headlines: the weather, the markets and the football results from across the region this weekend."])));
    server.route(
        "/e.html",
        Route::ok(HTML, page("Page not found", &["Sorry, we could not find the page you were looking for. It may have been moved, or it may never have existed. Try the search box above or browse our latest stories instead."])),
    );
    server.route("/g.html", Route::status(503, &[]));

    let out = site.run(&["refresh", "--json"]);
    let second = json(&expect_code(&out, 3, &["refresh (one transient failure)"]));
    assert_eq!(
        [&second["changed"], &second["removed"], &second["unchanged"], &second["transient"]].map(|v| v.as_u64()),
        [Some(1), Some(4), Some(1), Some(1)],
        "{second}"
    );
    let a = article(&second, &id("a"));
    assert_eq!((a["outcome"].as_str(), a["version"].as_u64()), (Some("changed"), Some(2)), "{a}");
    for (n, word) in [("b", "404"), ("c", "410"), ("d", "front page"), ("e", "soft 404")] {
        let r = article(&second, &id(n));
        assert_eq!(r["outcome"], "removed", "{n}: {r}");
        assert!(r["reason"].as_str().expect("reason").contains(word), "{n}: {r}");
    }
    let g = article(&second, &id("g"));
    assert_eq!((g["outcome"].as_str(), g["state"].as_str()), (Some("transient"), Some("current")), "{g}");

    // `show` and `list` carry the states; nothing was deleted.
    let shown = json(&site.ok(&["show", &id("b"), "--json"]));
    assert_eq!(shown["state"], "removed");
    assert!(shown["state_since"].is_string());
    assert_eq!(shown["refresh"]["evidence"]["status"], 404);
    assert!(shown["text"].as_str().expect("text").contains("(Report b.)"), "the archived text stays");
    let shown_a = json(&site.ok(&["show", &id("a"), "--json"]));
    assert_eq!(shown_a["state"], "changed");
    assert_eq!(shown_a["versions"].as_array().expect("versions").len(), 2);
    assert!(shown_a["text"].as_str().expect("text").contains("removed from this report"));
    let listed: Vec<serde_json::Value> = serde_json::from_str(&site.ok(&["list", "--json"])).expect("json");
    assert_eq!(listed.len(), 7, "every article is still there");
    let state_of = |n: &str| listed.iter().find(|x| x["id"] == id(n)).expect("listed")["state"].clone();
    assert_eq!([state_of("a"), state_of("c"), state_of("f")], ["changed", "removed", "current"]);

    // Published: the diff on the changed article's page, the notice on the removed ones',
    // and the takedowns in removed/ as valid feeds, newest first.
    site.ok(&["publish"]);
    let page_of = |n: &str| {
        let slug = id(n).trim_start_matches("urn:uuid:").to_string();
        std::fs::read_to_string(site.feeds().join(format!("articles/{slug}.html"))).expect("article page")
    };
    let page_a = page_of("a");
    assert!(page_a.contains("Changed upstream"), "{page_a}");
    assert!(page_a.contains("<ins") && page_a.contains("removed from this report"), "{page_a}");
    assert!(page_a.contains("<del") && page_a.contains("location of mass graves"), "{page_a}");
    for v in shown_a["versions"].as_array().expect("versions") {
        assert!(page_a.contains(v["content_hash"].as_str().expect("hash")), "both hashes on the page");
    }
    let page_b = page_of("b");
    assert!(page_b.contains("Removed upstream") && page_b.contains("HTTP 404"), "{page_b}");
    assert!(page_b.contains("(Report b.)"), "the archived copy is still shown");

    let atom = std::fs::read(site.feeds().join("removed/atom.xml")).expect("removed/atom.xml");
    let feed = atom_syndication::Feed::read_from(&atom[..]).expect("valid Atom");
    assert_eq!(feed.entries().len(), 4);
    let dates: Vec<_> = feed.entries().iter().map(|e| *e.updated()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first: {dates:?}");
    let rss = std::fs::read(site.feeds().join("removed/rss.xml")).expect("removed/rss.xml");
    let channel = rss::Channel::read_from(&rss[..]).expect("valid RSS");
    assert_eq!(channel.items().len(), 4);
    let jf: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.feeds().join("removed/feed.json")).expect("feed.json"))
            .expect("json");
    assert_eq!(jf["items"].as_array().expect("items").len(), 4);
    assert!(jf["items"][0]["content_html"].as_str().expect("html").contains("Removed upstream"));
    // The changed article is republished as updated in the main feed.
    let main = std::fs::read_to_string(site.feeds().join("atom.xml")).expect("atom.xml");
    assert!(main.contains("removed from this report"));

    // Publishing again changes nothing; a refresh that finds nothing new changes nothing.
    let before = crate::harness::snapshot(&site.feeds());
    site.ok(&["publish"]);
    assert_eq!(crate::harness::snapshot(&site.feeds()), before, "byte-identical");
    server.route("/g.html", Route::ok(HTML, story_page("g")));
    let third = json(&site.ok(&["refresh", "--json"]));
    assert_eq!(
        (third["checked"].as_u64(), third["unchanged"].as_u64()),
        (Some(3), Some(3)),
        "removed ones are not re-checked unless named: {third}"
    );
    site.ok(&["publish"]);
    assert_eq!(crate::harness::snapshot(&site.feeds()), before);

    // Named, a removed article is re-checked; back upstream, it is current again.
    server.route("/b.html", Route::ok(HTML, story_page("b")));
    let back = json(&site.ok(&["refresh", &id("b"), "--json"]));
    assert_eq!(article(&back, &id("b"))["state"], "current", "{back}");
}

#[test]
fn a_hostile_site_is_bounded_and_named_and_nothing_archived_is_lost() {
    let server = Server::start();
    server.route("/big.html", Route::ok(HTML, story_page("big")));
    server.route("/loop.html", Route::ok(HTML, story_page("loop")));
    let site = site("");
    let big = add(&site, &server, "/big.html");
    let looping = add(&site, &server, "/loop.html");

    server.route("/big.html", Route::ok(HTML, "<p>endless</p>".repeat(20_000)));
    server.route("/loop.html", Route::status(302, &[("Location", "/loop.html")]));
    let out = site.run(&["refresh", "--json"]);
    let report = json(&expect_code(&out, 3, &["refresh of a hostile site"]));
    let b = article(&report, &big);
    assert_eq!(b["outcome"], "failed", "{b}");
    assert!(b["reason"].as_str().expect("reason").contains("limit"), "{b}");
    let l = article(&report, &looping);
    assert_eq!(l["outcome"], "failed", "{l}");
    assert!(l["reason"].as_str().expect("reason").contains("redirects"), "{l}");
    for id in [&big, &looping] {
        let shown = json(&site.ok(&["show", id, "--json"]));
        assert_eq!(shown["state"], "current");
        assert_eq!(shown["versions"].as_array().expect("versions").len(), 1);
        assert!(shown["text"].as_str().expect("text").contains("1988 massacre"));
    }
}

#[test]
fn run_rechecks_originals_on_the_schedule() {
    let server = Server::start();
    server.route("/s.html", Route::ok(HTML, story_page("s")));
    let site = site("[refresh]\nevery = \"1s\"\n");
    let id = add(&site, &server, "/s.html");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    server.route("/s.html", Route::status(410, &[]));
    let report = json(&site.ok(&["run", "--json"]));
    assert_eq!(report["refresh"]["removed"], 1, "{report}");
    assert_eq!(json(&site.ok(&["show", &id, "--json"]))["state"], "removed");
    assert!(site.feeds().join("removed/atom.xml").is_file(), "run published the takedown");
}
