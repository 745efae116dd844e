//! `sources backfill` end to end: the real binary walks a source's history over HTTP on
//! 127.0.0.1 — feedkeeper's own published RFC 5005 archive (built, published and served
//! here), then small hand-made feeds that loop, repeat, page WordPress-style, or lead to
//! hostile pages.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::harness::{Site, config_text, expect_code, files};

/// A canned answer: status, headers, body.
type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// Canned answers by request target (path and query), and the targets asked for.
#[derive(Clone)]
struct Loopback {
    addr: SocketAddr,
    answers: Arc<Mutex<HashMap<String, Answer>>>,
    asked: Arc<Mutex<Vec<String>>>,
}

impl Loopback {
    fn start() -> Loopback {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let server =
            Loopback { addr: listener.local_addr().expect("addr"), answers: Arc::default(), asked: Arc::default() };
        let s = server.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || s.answer(stream));
            }
        });
        server
    }

    fn url(&self, target: &str) -> String {
        format!("http://{}{target}", self.addr)
    }

    fn put(&self, target: &str, status: u16, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) {
        let headers = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self.answers.lock().expect("answers").insert(target.to_string(), (status, headers, body.into()));
    }

    fn feed(&self, target: &str, xml: String) {
        self.put(target, 200, &[("Content-Type", "application/atom+xml")], xml);
    }

    /// Serves every file under `dir` at its relative path.
    fn folder(&self, dir: &Path) {
        for file in files(dir) {
            let rel = file.strip_prefix(dir).expect("inside").to_string_lossy().replace('\\', "/");
            let kind = match file.extension().and_then(|e| e.to_str()) {
                Some("xml") => "application/atom+xml",
                Some("html") => "text/html; charset=utf-8",
                Some("json") => "application/feed+json",
                _ => "application/octet-stream",
            };
            self.put(&format!("/{rel}"), 200, &[("Content-Type", kind)], std::fs::read(&file).expect("read"));
        }
    }

    fn times_asked(&self, target: &str) -> usize {
        self.asked.lock().expect("asked").iter().filter(|t| *t == target).count()
    }

    fn answer(&self, stream: TcpStream) {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() {
            return;
        }
        let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                break;
            }
        }
        self.asked.lock().expect("asked").push(target.clone());
        let answer = self.answers.lock().expect("answers").get(&target).cloned();
        let (status, headers, body) = answer.unwrap_or((404, Vec::new(), b"not here".to_vec()));
        let mut head = format!("HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut stream = stream;
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(&body);
        let _ = stream.flush();
        let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
        let _ = reader.read(&mut [0u8; 64]);
    }
}

const RULES: &str = "[relevance]\nkeywords = [\"1988 massacre\"]\nlearn_from_archive = false\n\n";

/// An archive watching one source, "History", at `url`.
fn watcher(url: &str, fetch: &str) -> Site {
    Site::new(
        50,
        &format!("{RULES}[fetch]\n{fetch}\n\n[[sources]]\nname = \"History\"\nurl = \"{url}\"\nevery = \"1h\"\n"),
    )
}

fn backfill(site: &Site, code: i32, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["sources", "backfill", "History", "--json"];
    args.extend_from_slice(extra);
    let out = expect_code(&site.run(&args), code, &args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

fn vias(report: &serde_json::Value) -> Vec<String> {
    report["pages"].as_array().expect("pages").iter().map(|p| p["via"].as_str().expect("via").to_string()).collect()
}

/// An Atom document with entries `ids` (titles that the rules keep) and a `prev-archive`.
fn atom(ids: &[&str], prev: Option<&str>) -> String {
    let link = prev.map(|p| format!("<link rel=\"prev-archive\" href=\"{p}\"/>")).unwrap_or_default();
    let entries: String = ids
        .iter()
        .map(|id| {
            format!(
                "<entry><id>urn:test:{id}</id><title>Testimony {id} on the 1988 massacre of political prisoners</title>\
                 <updated>2026-11-01T10:00:00Z</updated><content type=\"html\">&lt;p&gt;Witness {id} recalls the 1988 massacre in detail.&lt;/p&gt;</content></entry>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><id>urn:test:feed</id><title>History</title>\
         <updated>2026-11-01T10:00:00Z</updated>{link}{entries}</feed>"
    )
}

#[test]
fn a_published_twelve_page_archive_is_backfilled_once_and_a_second_walk_stops_at_once() {
    let server = Loopback::start();
    // The upstream: a feedkeeper archive of 57 articles, 5 to a page: the subscription feed
    // and 11 archive pages linked by prev-archive.
    let upstream = Site::new(5, "");
    std::fs::write(
        upstream.config(),
        config_text(5, "").replace("https://archive.example.org/feeds/", &server.url("/")),
    )
    .expect("config");
    for n in 1..=57 {
        upstream.write(
            &format!("articles/{n:02}.md"),
            &format!(
                "+++\ntitle = \"Report {n} on the 1988 massacre of political prisoners\"\ndate = 2020-01-{day:02}T{hour:02}:00:00Z\n+++\n\n\
                 Report number {n} gathers testimony from families of prisoners executed in the 1988 massacre, \
                 and what they still ask of the authorities.\n\nThe families of victim {n} want the graves found.\n",
                day = 1 + n / 24,
                hour = n % 24
            ),
        );
    }
    upstream.ok(&["import", "articles"]);
    upstream.ok(&["publish"]);
    let archive_pages = files(&upstream.feeds().join("archive")).iter().filter(|p| p.ends_with("atom.xml")).count();
    assert_eq!(archive_pages, 11, "the fixture publishes 11 archive pages besides the feed");
    server.folder(&upstream.feeds());

    let site = watcher(&server.url("/atom.xml"), "allow_private = true");
    let report = backfill(&site, 0, &["--pages", "20"]);
    let vias = vias(&report);
    assert_eq!(vias.len(), 12, "{report:#}");
    assert_eq!(vias[0], "start");
    assert!(vias[1..].iter().all(|v| v == "prev-archive"), "{vias:?}");
    assert_eq!(report["stopped"]["reason"], "no_more_pages", "{report:#}");
    assert_eq!(
        (report["seen"].as_u64(), report["kept"].as_u64(), report["archived"].as_u64()),
        (Some(57), Some(57), Some(57))
    );
    let listed: serde_json::Value = serde_json::from_str(&site.ok(&["list", "--json"])).expect("json");
    assert_eq!(listed.as_array().expect("array").len(), 57);
    for page in report["pages"].as_array().expect("pages") {
        let target = page["url"].as_str().expect("url").trim_start_matches(&server.url(""));
        assert_eq!(server.times_asked(target), 1, "{target} fetched once");
    }
    // The articles' pages were fetched and captured, like check's.
    let shown: serde_json::Value =
        serde_json::from_str(&site.ok(&["show", listed[0]["id"].as_str().expect("id"), "--json"])).expect("json");
    assert!(shown.to_string().contains("\"record_id\""), "a WARC capture: {shown:#}");

    // Walked again: the feed, then the newest archive page has nothing new.
    let again = backfill(&site, 0, &[]);
    assert_eq!(again["pages"].as_array().expect("pages").len(), 2, "{again:#}");
    assert_eq!(again["stopped"]["reason"], "no_new_items");
    assert_eq!(again["archived"], 0);
    let listed: serde_json::Value = serde_json::from_str(&site.ok(&["list", "--json"])).expect("json");
    assert_eq!(listed.as_array().expect("array").len(), 57);
}

#[test]
fn a_page_limit_a_loop_and_a_repeated_page_end_the_walk() {
    let server = Loopback::start();
    server.feed("/loop.xml", atom(&["l0"], Some("/loop-1.xml")));
    server.feed("/loop-1.xml", atom(&["l1"], Some("/loop-2.xml")));
    server.feed("/loop-2.xml", atom(&["l2"], Some("/loop-1.xml")));
    let site = watcher(&server.url("/loop.xml"), "");
    let limited = backfill(&site, 0, &["--pages", "2", "--dry-run"]);
    assert_eq!(limited["stopped"]["reason"], "page_limit", "{limited:#}");
    assert_eq!(limited["stopped"]["next"], server.url("/loop-2.xml"));
    assert_eq!(site.ok(&["list", "--json"]).trim(), "[]", "a dry run archives nothing");
    let looped = backfill(&site, 0, &[]);
    assert_eq!(vias(&looped), ["start", "prev-archive", "prev-archive"]);
    assert_eq!(looped["stopped"], serde_json::json!({"reason": "loop", "url": server.url("/loop-1.xml")}));
    assert_eq!(looped["archived"], 3);
    assert_eq!(server.times_asked("/loop-1.xml"), 2, "once in the dry run, once in the walk");

    server.feed("/repeat.xml", atom(&["r0"], Some("/repeat-1.xml")));
    server.feed("/repeat-1.xml", atom(&["r1", "r2"], Some("/repeat-2.xml")));
    server.feed("/repeat-2.xml", atom(&["r1", "r2"], Some("/repeat-3.xml")));
    let site = watcher(&server.url("/repeat.xml"), "");
    let repeated = backfill(&site, 0, &[]);
    assert_eq!(
        repeated["stopped"],
        serde_json::json!({"reason": "repeated", "url": server.url("/repeat-2.xml"), "same_as": server.url("/repeat-1.xml")})
    );
    assert_eq!((repeated["pages"].as_array().map(Vec::len), repeated["archived"].as_u64()), (Some(3), Some(3)));
    assert_eq!(server.times_asked("/repeat-3.xml"), 0);
}

#[test]
fn wordpress_pages_are_walked_until_the_first_missing_one() {
    let server = Loopback::start();
    let rss = |ids: &[&str]| {
        let items: String = ids
            .iter()
            .map(|id| format!("<item><guid isPermaLink=\"false\">wp-{id}</guid><title>Post {id}: the 1988 massacre remembered</title><description>Families remember the 1988 massacre ({id}).</description></item>"))
            .collect();
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>WP</title><link>https://wp.example/</link>{items}</channel></rss>"
        )
    };
    server.put("/feed/", 200, &[("Content-Type", "application/rss+xml")], rss(&["1", "2"]));
    server.put("/feed/?paged=2", 200, &[("Content-Type", "application/rss+xml")], rss(&["3", "4"]));
    server.put("/feed/?paged=3", 200, &[("Content-Type", "application/rss+xml")], rss(&["5"]));
    let site = watcher(&server.url("/feed/"), "");
    let report = backfill(&site, 0, &[]);
    assert_eq!(vias(&report), ["start", "paged", "paged", "paged"], "{report:#}");
    assert_eq!(report["stopped"]["reason"], "no_more_pages", "page 4 is a 404: the end");
    assert_eq!(report["archived"], 5);
    assert!(report["pages"][3]["error"].as_str().is_some_and(|e| e.contains("404")), "{report:#}");
}

#[test]
fn hostile_history_pages_are_bounded_and_named() {
    let server = Loopback::start();
    // A page far over the size cap, a redirect loop, and a link to a private address on
    // another host: each ends the walk with its URL named, exit code 3, what came before kept.
    let huge = format!("{}{}", atom(&["h1"], None).trim_end_matches("</feed>"), "<!-- padding -->".repeat(20_000));
    server.feed("/big.xml", atom(&["b0"], Some("/huge.xml")));
    server.feed("/huge.xml", huge);
    server.feed("/redirecting.xml", atom(&["d0"], Some("/hop-a")));
    server.put("/hop-a", 302, &[("Location", "/hop-b")], "");
    server.put("/hop-b", 302, &[("Location", "/hop-a")], "");
    server.feed("/private.xml", atom(&["p0"], Some("http://10.1.2.3/archive/1.xml")));
    for (start, bad, words) in [
        ("/big.xml", server.url("/huge.xml"), "byte"),
        ("/redirecting.xml", server.url("/hop-a"), "redirect"),
        ("/private.xml", "http://10.1.2.3/archive/1.xml".to_string(), "private"),
    ] {
        let site = watcher(&server.url(start), "max_bytes = 100_000\ntimeout = \"5s\"");
        let out = site.run(&["sources", "backfill", "History", "--json"]);
        let stdout = expect_code(&out, 3, &[start]);
        let report: serde_json::Value = serde_json::from_str(&stdout).expect("json");
        assert_eq!(report["stopped"]["reason"], "failed", "{report:#}");
        assert_eq!(report["stopped"]["url"], bad.as_str());
        let error = report["stopped"]["error"].as_str().expect("error").to_lowercase();
        assert!(error.contains(words), "{start}: {error}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(&bad), "the failure is named on stderr");
        assert_eq!(report["archived"], 1, "the feed's own item is kept");
    }
}

#[test]
fn backfill_true_walks_a_new_source_once_on_its_first_check() {
    let server = Loopback::start();
    server.feed("/feed.xml", atom(&["n0"], Some("/old-1.xml")));
    server.feed("/old-1.xml", atom(&["n1", "n2"], None));
    let site = Site::new(
        50,
        &format!(
            "{RULES}[[sources]]\nname = \"History\"\nurl = \"{}\"\nevery = \"1h\"\nbackfill = true\n",
            server.url("/feed.xml")
        ),
    );
    let report: serde_json::Value = serde_json::from_str(&site.ok(&["check", "--json"])).expect("json");
    let source = &report["sources"][0];
    assert_eq!(source["backfill"]["stopped"]["reason"], "no_more_pages", "{report:#}");
    assert_eq!(report["archived"], 3);
    let again: serde_json::Value = serde_json::from_str(&site.ok(&["check", "--force", "--json"])).expect("json");
    assert!(again["sources"][0].get("backfill").is_none(), "walked once: {again:#}");
    assert_eq!(server.times_asked("/old-1.xml"), 1);
}

#[test]
fn an_unknown_source_is_a_usage_error() {
    let site = watcher("http://127.0.0.1:9/feed.xml", "");
    let out = site.run(&["sources", "backfill", "Nope"]);
    expect_code(&out, 2, &["sources", "backfill", "Nope"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("Nope"));
}
