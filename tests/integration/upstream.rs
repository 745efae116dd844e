//! Watching upstream end to end: `check`, `run`, `add`, `sources` against real HTTP servers
//! on 127.0.0.1 (a small threaded server below, which other test modules use too), a real
//! SQLite archive and real WARC files.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::harness::{Site, expect_code, fixture, snapshot, stderr};

/// One canned response.
#[derive(Clone, Default)]
pub(crate) struct Route {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Answer 304 when the request's `If-None-Match` equals this.
    etag: Option<String>,
    /// Wait this long before answering.
    delay: Duration,
}

impl Route {
    pub(crate) fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Route {
        Route {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            ..Route::default()
        }
    }

    pub(crate) fn with_etag(mut self, etag: &str) -> Route {
        self.etag = Some(etag.into());
        self.headers.push(("ETag".into(), etag.into()));
        self
    }

    pub(crate) fn status(status: u16, headers: &[(&str, &str)]) -> Route {
        Route {
            status,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: b"no".to_vec(),
            ..Route::default()
        }
    }
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub(crate) path: String,
    pub(crate) headers: HashMap<String, String>,
}

/// A threaded HTTP/1.1 server on 127.0.0.1 with routes the test can change between runs.
#[derive(Clone)]
pub(crate) struct Server {
    addr: SocketAddr,
    routes: Arc<Mutex<HashMap<String, Route>>>,
    log: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    pub(crate) fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let server = Server {
            addr: listener.local_addr().expect("addr"),
            routes: Arc::new(Mutex::new(HashMap::new())),
            log: Arc::new(Mutex::new(Vec::new())),
        };
        let s = server.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || s.serve(stream));
            }
        });
        server
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn route(&self, path: &str, route: Route) {
        self.routes.lock().expect("routes").insert(path.to_string(), route);
    }

    pub(crate) fn hits(&self, path: &str) -> Vec<Seen> {
        self.log.lock().expect("log").iter().filter(|s| s.path == path).cloned().collect()
    }

    fn serve(&self, stream: TcpStream) {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").split('?').next().unwrap_or("/").to_string();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        self.log.lock().expect("log").push(Seen { path: path.clone(), headers: headers.clone() });
        let route = self.routes.lock().expect("routes").get(&path).cloned();
        let mut stream = stream;
        let route = route.unwrap_or_else(|| Route::status(404, &[]));
        std::thread::sleep(route.delay);
        let not_modified = route.etag.is_some() && headers.get("if-none-match") == route.etag.as_ref();
        let (status, body) = if not_modified { (304, Vec::new()) } else { (route.status, route.body.clone()) };
        let mut head = format!("HTTP/1.1 {status} X\r\nConnection: close\r\n");
        for (k, v) in &route.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if status != 304 {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(&body);
        let _ = stream.flush();
        // Drain anything left so the client sees a clean close.
        let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
        let _ = reader.read(&mut [0u8; 64]);
    }
}

pub(crate) fn rss(items: &[(&str, &str, &str, &str)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Test feed</title><link>https://news.example/</link>\n",
    );
    for (guid, title, link, description) in items {
        s.push_str(&format!(
            "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title><link>{link}</link><description>{description}</description><pubDate>Sat, 28 Nov 2026 09:00:00 GMT</pubDate></item>\n"
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

pub(crate) fn page(title: &str, paragraphs: &[&str]) -> String {
    let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} | Test News</title></head><body>\
         <nav><a href=\"/\">Home</a> <a href=\"/world\">World</a> <a href=\"/sport\">Sport</a></nav>\
         <article><h1>{title}</h1><p class=\"byline\">By Test Reporter</p>{body}</article>\
         <aside><h2>Most read</h2><ul><li><a href=\"/x\">Something else</a></li><li><a href=\"/y\">Another thing</a></li></ul></aside>\
         <footer>Newsletter: sign up for our daily briefing.</footer></body></html>"
    )
}

const RELATED_TITLE: &str = "UN experts urge inquiry into 1988 massacre of political prisoners in Iran";
pub(crate) const RELATED_P: [&str; 3] = [
    "United Nations human rights experts on Monday renewed their call for an international inquiry into the 1988 massacre of political prisoners in Iran, in which thousands of prisoners were executed in a matter of weeks.",
    "Families of the victims, many of them supporters of the People's Mojahedin Organization of Iran (PMOI/MEK), have for decades sought the location of mass graves and official acknowledgement of the killings.",
    "The experts said the continuing concealment of the fate of the victims amounted to an ongoing enforced disappearance and urged member states to support an independent investigation.",
];
const OTHER_TITLE: &str = "Geneva motor show returns with electric city cars";
const OTHER_P: [&str; 2] = [
    "Carmakers unveiled a range of small electric vehicles at the Geneva motor show on Monday, as the industry prepares for stricter emission rules across Europe.",
    "Organisers said visitor numbers were expected to match the last edition, with test drives offered on a track beside the exhibition halls.",
];

/// A site with the seed imported and `sources` configured.
fn site_with(extra: &str) -> Site {
    let site = Site::new(50, extra);
    site.ok(&["import", fixture("import/seed.txt").to_str().expect("utf8")]);
    site
}

pub(crate) fn sources_toml(sources: &[(&str, &str)], every: &str) -> String {
    sources
        .iter()
        .map(|(n, u)| format!("[[sources]]\nname = \"{n}\"\nurl = \"{u}\"\nevery = \"{every}\"\n\n"))
        .collect()
}

pub(crate) fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

pub(crate) fn source<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["sources"].as_array().expect("sources").iter().find(|s| s["name"] == name).expect("source in report")
}

fn serve_story(server: &Server) {
    server.route("/story.html", Route::ok("text/html; charset=utf-8", page(RELATED_TITLE, &RELATED_P)));
    server.route("/motor.html", Route::ok("text/html; charset=utf-8", page(OTHER_TITLE, &OTHER_P)));
}

fn two_item_feed(server: &Server) -> String {
    rss(&[
        (
            "item-1",
            RELATED_TITLE,
            &server.url("/story.html"),
            "Experts renew call for an inquiry into the 1988 massacre.",
        ),
        ("item-2", OTHER_TITLE, &server.url("/motor.html"), "Electric city cars at the motor show."),
    ])
}

/// A site (with the seed archived and `config` first in its config) watching one source,
/// "News": the two-item feed at `/feed.xml` (ETag `"v1"`) and its related story's page.
fn news_site(config: &str) -> (Server, Site) {
    let server = Server::start();
    serve_story(&server);
    server.route("/feed.xml", Route::ok("application/rss+xml", two_item_feed(&server)).with_etag("\"v1\""));
    let news = sources_toml(&[("News", &server.url("/feed.xml"))], "1h");
    let site = site_with(&format!("{config}[fetch]\nallow_private = true\n\n{news}"));
    (server, site)
}

#[test]
fn second_poll_sends_validators_gets_304_and_archives_nothing_new() {
    let (server, site) = news_site("");

    let first = json(&site.ok(&["check", "--json"]));
    let news = source(&first, "News");
    assert_eq!(news["outcome"], "fetched");
    assert_eq!((news["seen"].as_u64(), news["kept"].as_u64(), news["rejected"].as_u64()), (Some(2), Some(1), Some(1)));
    assert_eq!(news["archived"], 1);
    assert_eq!(first["archived"], 1);
    let decisions = news["decisions"].as_array().expect("decisions");
    assert_eq!(decisions.len(), 2);
    for key in ["title", "url", "score", "kept", "reasons"] {
        assert!(decisions[0].get(key).is_some(), "decision has `{key}`");
    }
    assert!(server.hits("/motor.html").is_empty(), "a rejected item's page is never fetched");

    // The archived item: text from the page, provenance, a WARC capture of today's file.
    let id =
        decisions.iter().find(|d| d["kept"] == true).expect("kept")["article_id"].as_str().expect("id").to_string();
    let shown = json(&site.ok(&["show", &id, "--json"]));
    assert!(shown["text"].as_str().expect("text").contains("ongoing enforced disappearance"), "{shown}");
    assert!(!shown["text"].as_str().expect("text").contains("Most read"), "debris removed");
    assert_eq!(shown["source_detail"]["name"], "News");
    assert_eq!(shown["source_detail"]["upstream_id"], "item-1");
    assert_eq!(shown["versions"][0]["origin"]["kind"], "upstream");
    let capture = &shown["versions"][0]["capture"];
    let file = capture["file"].as_str().expect("capture file");
    assert!(file.starts_with("feedkeeper-") && file.ends_with(".warc.gz"), "{file}");
    assert!(site.path().join("archive/captures").join(file).is_file());

    // Second poll: validators sent, 304, nothing new; the stored decisions are not repeated.
    let second = json(&site.ok(&["check", "--force", "--json"]));
    let news = source(&second, "News");
    assert_eq!(news["outcome"], "not_modified");
    assert_eq!((news["seen"].as_u64(), news["archived"].as_u64()), (Some(0), Some(0)));
    let feed_hits = server.hits("/feed.xml");
    assert_eq!(feed_hits.len(), 2);
    assert_eq!(feed_hits[1].headers.get("if-none-match").map(String::as_str), Some("\"v1\""));
    assert_eq!(server.hits("/story.html").len(), 1);

    // Not due without --force: skipped, nothing fetched.
    let third = json(&site.ok(&["check", "--json"]));
    assert_eq!(source(&third, "News")["outcome"], "skipped");
    assert_eq!(server.hits("/feed.xml").len(), 2);

    // `sources` shows the health.
    let health = json(&site.ok(&["sources", "--json"]));
    let h = &health[0];
    assert_eq!(
        (h["name"].as_str(), h["status"].as_str(), h["items_kept"].as_u64()),
        (Some("News"), Some("ok"), Some(1))
    );
    assert!(h["last_success"].is_string() && h["next_due"].is_string() && h["last_error"].is_null(), "{h}");
}

#[test]
fn retry_after_is_honoured_even_with_force() {
    let server = Server::start();
    server.route("/busy.xml", Route::status(429, &[("Retry-After", "120")]));
    let extra = sources_toml(&[("Busy", &server.url("/busy.xml"))], "1s");
    let site = site_with(&extra);
    let out = site.run(&["check", "--json"]);
    let report = json(&expect_code(&out, 3, &["check"]));
    assert_eq!(source(&report, "Busy")["outcome"], "failed");
    let err = stderr(&out);
    assert!(err.contains(&format!("feedkeeper: source \"Busy\" ({}): ", server.url("/busy.xml"))), "{err}");
    assert!(err.contains("429"), "{err}");

    let again = json(&site.ok(&["check", "--force", "--json"]));
    let busy = source(&again, "Busy");
    assert_eq!(busy["outcome"], "skipped");
    assert!(busy["note"].as_str().expect("note").contains("retry after"), "{busy}");
    assert_eq!(server.hits("/busy.xml").len(), 1, "not asked again before Retry-After");
    let health = json(&site.ok(&["sources", "--json"]));
    assert_eq!(health[0]["status"], "failing");
    assert!(health[0]["retry_after"].is_string(), "{}", health[0]);
}

#[test]
fn an_item_link_to_a_loopback_address_is_refused_and_archived_from_the_feed() {
    // allow_private is off: the feed itself (a configured source) is fetched, but the item's
    // link — `localhost`, redirecting to 127.0.0.1 — is refused before any connection, and
    // the related item is archived from the feed's own content, without a capture.
    let server = Server::start();
    server.route("/redirect", Route::status(302, &[("Location", &server.url("/story.html"))]));
    serve_story(&server);
    let link = format!("http://localhost:{}/redirect", server.addr.port());
    let feed = rss(&[("guarded-1", RELATED_TITLE, &link, RELATED_P[0])]);
    server.route("/feed.xml", Route::ok("application/rss+xml", feed));
    let extra = sources_toml(&[("Guarded", &server.url("/feed.xml"))], "1h");
    let site = site_with(&extra);
    let report = json(&site.ok(&["check", "--json"]));
    let s = source(&report, "Guarded");
    assert_eq!((s["kept"].as_u64(), s["archived"].as_u64()), (Some(1), Some(1)), "{s}");
    let d = &s["decisions"][0];
    let reasons = d["reasons"].to_string();
    assert!(reasons.contains("refused") && reasons.contains("archived from the feed's content"), "{reasons}");
    assert!(server.hits("/redirect").is_empty() && server.hits("/story.html").is_empty(), "no connection made");
    let shown = json(&site.ok(&["show", d["article_id"].as_str().expect("id"), "--json"]));
    assert!(shown["versions"][0].get("capture").is_none(), "{shown}");
    assert!(shown["text"].as_str().expect("text").contains("thousands of prisoners were executed"), "{shown}");
    assert_eq!(shown["url"], link.as_str());
}

#[test]
fn oversize_and_slow_sources_fail_in_bounded_time_beside_good_ones() {
    let server = Server::start();
    serve_story(&server);
    server.route("/feed.xml", Route::ok("application/rss+xml", two_item_feed(&server)));
    let mut huge = Route::ok("application/rss+xml", format!("<rss version=\"2.0\"><channel>{}", "x".repeat(200_000)));
    huge.headers.clear();
    server.route("/huge.xml", huge);
    server.route("/slow.xml", Route { delay: Duration::from_secs(20), ..Route::ok("application/rss+xml", rss(&[])) });
    server.route(
        "/broken.xml",
        Route::ok("text/html", "<html><body><h1>We moved!</h1><p>Nothing here.</p></body></html>"),
    );
    let extra = format!(
        "[fetch]\ntimeout = \"1s\"\nmax_bytes = 50_000\nallow_private = true\n\n{}",
        sources_toml(
            &[
                ("Good", &server.url("/feed.xml")),
                ("Huge", &server.url("/huge.xml")),
                ("Slow", &server.url("/slow.xml")),
                ("Broken", &server.url("/broken.xml")),
            ],
            "1h"
        )
    );
    let site = site_with(&extra);
    let started = Instant::now();
    let out = site.run(&["check", "--json"]);
    let elapsed = started.elapsed();
    let report = json(&expect_code(&out, 3, &["check"]));
    assert!(elapsed < Duration::from_secs(6), "took {elapsed:?}");
    assert_eq!(source(&report, "Good")["archived"], 1);
    assert_eq!(report["failed"], 3);
    let err = stderr(&out);
    for (name, what) in [("Huge", "larger than"), ("Slow", "timed out"), ("Broken", "not a feed")] {
        let s = source(&report, name);
        assert_eq!(s["outcome"], "failed", "{s}");
        assert!(s["error"].as_str().expect("error").contains(what), "{name}: {s}");
        assert!(err.contains(&format!("feedkeeper: source \"{name}\" (")), "{err}");
    }
    assert!(!err.contains("\"Good\""), "{err}");
    let health = json(&site.ok(&["sources", "--json"]));
    let slow = health.as_array().expect("array").iter().find(|h| h["name"] == "Slow").expect("slow");
    assert_eq!(slow["failures"], 1);
    assert!(slow["last_error"].as_str().expect("error").contains("timed out"), "{slow}");
}

#[test]
fn the_same_item_in_two_sources_is_archived_once() {
    let server = Server::start();
    serve_story(&server);
    let story = server.url("/story.html?utm_source=rss");
    server.route("/a.xml", Route::ok("application/rss+xml", rss(&[("a-1", RELATED_TITLE, &story, "From A.")])));
    server.route(
        "/b.xml",
        Route::ok("application/rss+xml", rss(&[("b-77", RELATED_TITLE, &server.url("/story.html"), "From B.")])),
    );
    let extra = format!(
        "[fetch]\nallow_private = true\n\n{}",
        sources_toml(&[("A", &server.url("/a.xml")), ("B", &server.url("/b.xml"))], "1h")
    );
    let site = site_with(&extra);
    let report = json(&site.ok(&["check", "--json"]));
    assert_eq!(report["archived"], 1, "{report}");
    let a = source(&report, "A")["decisions"][0]["article_id"].clone();
    let b = source(&report, "B")["decisions"][0]["article_id"].clone();
    assert_eq!(a, b, "both decisions point at one article");
    assert_eq!(server.hits("/story.html").len(), 1, "the page is fetched once");
    let list = json(&site.ok(&["list", "--json"]));
    assert_eq!(list.as_array().expect("array").len(), 2, "the seed and one upstream article");
}

#[test]
fn a_changed_upstream_item_becomes_a_second_version_with_the_same_id() {
    let (server, site) = news_site("");
    let first = json(&site.ok(&["check", "--json"]));
    let id = source(&first, "News")["decisions"][0]["article_id"].as_str().expect("id").to_string();

    // The story is corrected upstream: the item's description and the page change.
    let mut corrected = RELATED_P.to_vec();
    corrected.push("Correction: an earlier version of this article misstated the date of the experts' statement.");
    server.route("/story.html", Route::ok("text/html; charset=utf-8", page(RELATED_TITLE, &corrected)));
    let feed = rss(&[
        ("item-1", RELATED_TITLE, &server.url("/story.html"), "Corrected: experts renew call for an inquiry."),
        ("item-2", OTHER_TITLE, &server.url("/motor.html"), "Electric city cars at the motor show."),
    ]);
    server.route("/feed.xml", Route::ok("application/rss+xml", feed).with_etag("\"v2\""));
    let second = json(&site.ok(&["check", "--force", "--json"]));
    let news = source(&second, "News");
    assert_eq!((news["outcome"].as_str(), news["archived"].as_u64()), (Some("fetched"), Some(1)), "{news}");
    assert_eq!(news["decisions"][0]["article_id"], id.as_str());
    assert_eq!(news["decisions"][1]["kept"], false);
    let shown = json(&site.ok(&["show", &id, "--json"]));
    assert_eq!(shown["versions"].as_array().expect("versions").len(), 2);
    assert!(shown["text"].as_str().expect("text").contains("Correction:"), "{shown}");
    assert_eq!(server.hits("/story.html").len(), 2);
}

#[test]
fn a_rejected_item_is_scored_again_only_when_the_rules_change() {
    let rules = "[relevance]\nkeywords = [\"1988 massacre\"]\nlearn_from_archive = false\n\n";
    let (server, site) = news_site(rules);
    site.ok(&["check"]);
    // The feed gains an item: the known ones keep their stored decisions.
    let mut feed = two_item_feed(&server);
    feed = feed.replace(
        "</channel>",
        "<item><guid>item-3</guid><title>Wheat harvest forecast raised</title><link>https://farm.example/w</link></item></channel>",
    );
    server.route("/feed.xml", Route::ok("application/rss+xml", feed.clone()).with_etag("\"v2\""));
    let report = json(&site.ok(&["check", "--force", "--json"]));
    let new: Vec<bool> = source(&report, "News")["decisions"]
        .as_array()
        .expect("decisions")
        .iter()
        .map(|d| d["new"].as_bool().expect("new"))
        .collect();
    assert_eq!(new, vec![false, false, true]);
    // New rules: the rejected items are scored again (the kept one stays kept).
    let config = std::fs::read_to_string(site.config()).expect("config");
    std::fs::write(
        site.config(),
        config.replace("keywords = [\"1988 massacre\"]", "keywords = [\"1988 massacre\", \"motor show\"]"),
    )
    .expect("write");
    server.route("/feed.xml", Route::ok("application/rss+xml", feed).with_etag("\"v3\""));
    let report = json(&site.ok(&["check", "--force", "--json"]));
    let d = source(&report, "News")["decisions"].as_array().expect("decisions").clone();
    assert_eq!(
        (d[0]["new"].as_bool(), d[1]["new"].as_bool(), d[2]["new"].as_bool()),
        (Some(false), Some(true), Some(true))
    );
    assert_eq!(d[1]["kept"], true, "{}", d[1]);
}

#[test]
fn dry_run_prints_every_decision_and_changes_nothing() {
    let (server, site) = news_site("");
    let archive = site.path().join("archive");
    let before = snapshot(&archive);
    let out = site.ok(&["check", "--dry-run"]);
    assert!(out.contains("News: fetched, seen 2, kept 1, archived 0"), "{out}");
    assert!(out.contains("KEEP ") && out.contains(RELATED_TITLE), "{out}");
    assert!(out.lines().any(|l| l.trim_start().starts_with("skip ") && l.contains(OTHER_TITLE)), "{out}");
    let report = json(&site.ok(&["check", "--dry-run", "--json"]));
    assert_eq!(report["dry_run"], true);
    assert_eq!(source(&report, "News")["decisions"].as_array().expect("decisions").len(), 2);
    assert!(
        snapshot(&archive) == before,
        "archive files byte-identical after a dry run: {:?}",
        changed(&before, &snapshot(&archive))
    );
    assert!(server.hits("/story.html").is_empty(), "a dry run fetches no page");
    assert!(server.hits("/feed.xml").iter().all(|h| !h.headers.contains_key("if-none-match")));

    // After a real check, a dry run still sees every item (no validators), with the
    // stored decisions, and writes nothing.
    site.ok(&["check"]);
    let before = snapshot(&archive);
    let report = json(&site.ok(&["check", "--dry-run", "--json"]));
    let news = source(&report, "News");
    assert_eq!(news["outcome"], "fetched");
    assert_eq!(news["decisions"].as_array().expect("decisions").len(), 2, "{news}");
    assert_eq!(news["decisions"][0]["new"], false, "the kept item's stored decision: {news}");
    assert!(snapshot(&archive) == before, "{:?}", changed(&before, &snapshot(&archive)));
}

/// Names of files that differ between two snapshots.
fn changed(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut names: Vec<String> = a.iter().chain(b).map(|(n, _)| n.clone()).collect();
    names.sort();
    names.dedup();
    names.into_iter().filter(|n| a.iter().find(|(x, _)| x == n) != b.iter().find(|(x, _)| x == n)).collect()
}

#[test]
fn an_unknown_source_is_a_usage_error() {
    let site = site_with(&sources_toml(&[("Real", "https://news.example/feed.xml")], "1h"));
    let out = site.run(&["check", "--source", "Imaginary"]);
    expect_code(&out, 2, &["check", "--source"]);
    assert!(stderr(&out).contains("no source named `Imaginary`"), "{}", stderr(&out));
}

#[test]
fn add_archives_a_page_with_its_capture() {
    let server = Server::start();
    serve_story(&server);
    let site = Site::new(50, "");
    let out = site.ok(&["add", &server.url("/story.html?utm_source=x"), "--tag", "Iran", "--tag", "UN"]);
    let id = out.trim();
    assert!(id.starts_with("urn:uuid:"), "{out}");
    let shown = json(&site.ok(&["show", id, "--json"]));
    assert_eq!(shown["title"], RELATED_TITLE);
    assert_eq!(shown["tags"], serde_json::json!(["iran", "un"]));
    assert_eq!(shown["versions"][0]["origin"]["kind"], "manual");
    assert!(shown["versions"][0]["capture"]["record_id"].is_string(), "{shown}");
    // Again: the same article.
    assert_eq!(site.ok(&["add", &server.url("/story.html")]).trim(), id);
}

#[test]
fn opml_import_adds_sources_to_the_store_leaving_the_config_alone_and_export_round_trips() {
    let site = Site::new(
        50,
        "# keep this comment\n[[sources]]\nname = \"Iran Human Rights Monitor\"\nurl = \"https://iran-hrm.example/feed/\"\n",
    );
    let before = std::fs::read_to_string(site.config()).expect("config");
    let out = site.ok(&["sources", "import", fixture("opml/nested-mixed-case.opml").to_str().expect("utf8")]);
    assert!(out.contains("4 source(s) added") && out.contains("1 skipped"), "{out}");
    assert!(out.contains("already a source, named `Iran Human Rights Monitor`"), "{out}");
    let after = std::fs::read_to_string(site.config()).expect("config");
    assert_eq!(after, before, "the config file is left as it was");
    let listed = json(&site.ok(&["sources", "--json"]));
    let listed = listed.as_array().expect("a list");
    assert_eq!(listed.len(), 5, "{listed:?}");
    assert_eq!(listed[0]["name"], "Iran Human Rights Monitor", "the config's sources first");
    assert_eq!(listed[0]["origin"], "config");
    assert!(listed[1..].iter().all(|s| s["origin"] == "opml" && s["status"] == "new"), "{listed:?}");
    let exported = site.ok(&["sources", "export"]);
    assert_eq!(exported.matches("<outline ").count(), 5, "{exported}");
    assert!(exported.contains("xmlUrl=\"https://amnesty.example/en/feed/?type=news&amp;lang=en\""), "{exported}");
    // Importing the export again adds nothing.
    site.write("again.opml", &exported);
    let again = site.ok(&["sources", "import", "again.opml"]);
    assert!(again.contains("0 source(s) added") && again.contains("5 skipped"), "{again}");
    let bad = site.write("bad.opml", "<opml>\n<body>\n<outline text=\"a\" xmlUrl=\"https://a.example/>\n");
    let out = site.run(&["sources", "import", bad.to_str().expect("utf8")]);
    expect_code(&out, 2, &["sources", "import", "bad"]);
    assert!(stderr(&out).contains("bad.opml:3"), "{}", stderr(&out));
}

/// Copies a folder recursively.
#[test]
fn the_demo_runs_offline_and_a_second_run_finds_nothing_new() {
    let site = Site::demo();
    let demo = site.path();
    let run = |args: &[&str]| site.run(args);
    expect_code(&run(&["import", "articles"]), 0, &["import"]);
    let first = json(&expect_code(&run(&["run", "--json"]), 0, &["run"]));
    let sources = first["sources"].as_array().expect("sources");
    assert!(sources.len() >= 3, "{first}");
    let (mut kept, mut rejected, mut seen) = (0, 0, 0);
    for s in sources {
        assert_eq!(s["outcome"], "fetched", "{s}");
        kept += s["kept"].as_u64().expect("kept");
        rejected += s["rejected"].as_u64().expect("rejected");
        seen += s["seen"].as_u64().expect("seen");
    }
    assert!((20..=30).contains(&seen), "about 25 items: {seen}");
    assert!(kept >= 6 && rejected >= 12, "a third related: kept {kept}, rejected {rejected}");
    assert_eq!(first["archived"].as_u64(), Some(kept), "every related item archived once");
    assert!(demo.join("feeds/atom.xml").is_file());
    // Every archived item was read from its page, not the feed's summary.
    for s in sources {
        for d in s["decisions"].as_array().expect("decisions") {
            if d["kept"] == true {
                assert!(!d["reasons"].to_string().contains("archived from the feed"), "{d}");
            }
        }
    }

    std::thread::sleep(Duration::from_millis(1100)); // the demo sources' `every` is 1s
    let second = json(&expect_code(&run(&["run", "--json"]), 0, &["run"]));
    for s in second["sources"].as_array().expect("sources") {
        assert_eq!(s["outcome"], "not_modified", "{s}");
    }
    assert_eq!(second["archived"], 0);
}

#[test]
fn pages_on_a_hanging_site_cost_a_few_timeouts_in_all_not_one_each() {
    let server = Server::start();
    let mut items = Vec::new();
    for i in 0..20 {
        let path = format!("/hang/{i}.html");
        server.route(&path, Route { delay: Duration::from_secs(30), ..Route::ok("text/html", "<p>late</p>") });
        items.push((format!("hang-{i}"), format!("{RELATED_TITLE} (case {i})"), server.url(&path)));
    }
    let rows: Vec<(&str, &str, &str, &str)> =
        items.iter().map(|(g, t, l)| (g.as_str(), t.as_str(), l.as_str(), RELATED_P[0])).collect();
    server.route("/many.xml", Route::ok("application/rss+xml", rss(&rows)));
    let extra = format!(
        "[fetch]\ntimeout = \"1s\"\nallow_private = true\n\n{}",
        sources_toml(&[("Many", &server.url("/many.xml"))], "1h")
    );
    let site = site_with(&extra);
    let started = Instant::now();
    let report = json(&site.ok(&["check", "--json"]));
    let elapsed = started.elapsed();
    // Two pages at a time on one host, one second each, would take ten seconds; the page
    // phase stops after three fetch timeouts.
    assert!(elapsed < Duration::from_secs(7), "took {elapsed:?}");
    let many = source(&report, "Many");
    assert_eq!(many["archived"], 20, "{many}");
    for d in many["decisions"].as_array().expect("decisions") {
        assert!(d["reasons"].to_string().contains("archived from the feed"), "{d}");
    }
}
