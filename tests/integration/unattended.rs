//! Running unattended, with real processes: `run` is silent for cron, the WebSub hub is
//! pinged after publishes that changed feeds, `watch` archives as sources come due (a hanging
//! source delays nobody), steps aside while another run holds the lock, and stops on
//! SIGTERM/SIGINT within seconds leaving feeds that parse and an archive that opens.
//!
//! The upstream sources, article pages and the hub are a small axum server on 127.0.0.1
//! (its own thread and runtime); the hanging source is a socket that accepts and never
//! answers.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::harness::{Site, expect_code, snapshot, stderr};

/// What the loopback server answers on one path.
#[derive(Clone)]
struct Answer {
    status: u16,
    content_type: &'static str,
    body: String,
    /// Answered with 304 when the request's If-None-Match is this.
    etag: Option<String>,
    delay: Duration,
}

impl Answer {
    fn ok(content_type: &'static str, body: impl Into<String>) -> Answer {
        Answer { status: 200, content_type, body: body.into(), etag: None, delay: Duration::ZERO }
    }
}

#[derive(Default)]
struct State {
    answers: HashMap<String, Answer>,
    /// (path, body) of every POST.
    posts: Vec<(String, String)>,
    /// Paths of every GET.
    gets: Vec<String>,
}

/// The loopback upstream: feeds, pages, and a hub.
#[derive(Clone)]
struct Upstream {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl Upstream {
    fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let app = axum::Router::new().fallback(
                    move |method: axum::http::Method, uri: Uri, headers: HeaderMap, body: String| {
                        let state = shared.clone();
                        async move { answer(&state, &method, uri.path(), &headers, body).await }
                    },
                );
                axum::serve(listener, app).await.expect("serve");
            });
        });
        Upstream { addr, state }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn set(&self, path: &str, answer: Answer) {
        self.state.lock().expect("state").answers.insert(path.to_string(), answer);
    }

    fn posts(&self, path: &str) -> Vec<String> {
        self.state.lock().expect("state").posts.iter().filter(|(p, _)| p == path).map(|(_, b)| b.clone()).collect()
    }

    fn gets(&self, path: &str) -> usize {
        self.state.lock().expect("state").gets.iter().filter(|p| *p == path).count()
    }
}

async fn answer(
    state: &Mutex<State>,
    method: &axum::http::Method,
    path: &str,
    headers: &HeaderMap,
    body: String,
) -> Response {
    let found = {
        let mut s = state.lock().expect("state");
        if method == axum::http::Method::POST {
            s.posts.push((path.to_string(), body));
        } else {
            s.gets.push(path.to_string());
        }
        s.answers.get(path).cloned()
    };
    let Some(a) = found else { return StatusCode::NOT_FOUND.into_response() };
    tokio::time::sleep(a.delay).await;
    let status = StatusCode::from_u16(a.status).expect("status");
    if let Some(etag) = &a.etag {
        if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
            return (StatusCode::NOT_MODIFIED, [("etag", etag.clone())]).into_response();
        }
        return (status, [("content-type", a.content_type.to_string()), ("etag", etag.clone())], a.body)
            .into_response();
    }
    (status, [("content-type", a.content_type)], a.body).into_response()
}

/// A socket that accepts connections and never answers (the connections are kept open).
fn hanging_source() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    addr
}

const RELATED: &str = "UN experts urge inquiry into 1988 massacre of political prisoners in Iran";
const PARAGRAPHS: [&str; 3] = [
    "United Nations human rights experts renewed their call for an international inquiry into the 1988 massacre of political prisoners in Iran, in which thousands of prisoners were executed in a matter of weeks.",
    "Families of the victims have for decades sought the location of mass graves and official acknowledgement of the killings, the experts said in Geneva.",
    "The continuing concealment of the fate of the victims amounts to an ongoing enforced disappearance, according to the statement published on Monday.",
];

fn page(title: &str) -> String {
    let mut body: String = PARAGRAPHS.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    body.push_str(&format!(
        "<p>This report, “{title}”, was filed by the archive's correspondent after the statement.</p>\n"
    ));
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\
         <article><h1>{title}</h1><p class=\"byline\">By Test Reporter</p>{body}</article></body></html>"
    )
}

/// An RSS feed with one related item per `(guid, title, link)`.
fn rss(items: &[(&str, &str, String)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Upstream</title><link>https://news.example/</link>\n",
    );
    for (guid, title, link) in items {
        s.push_str(&format!(
            "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title><link>{link}</link><description>{}</description><pubDate>Sat, 28 Nov 2026 09:00:00 GMT</pubDate></item>\n",
            PARAGRAPHS[0]
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

/// Serves a feed at `feed` with one related item whose page is `page_path`.
fn serve_feed(up: &Upstream, feed: &str, guid: &str, page_path: &str, title: &str) {
    up.set(page_path, Answer::ok("text/html; charset=utf-8", page(title)));
    let mut a = Answer::ok("application/rss+xml", rss(&[(guid, title, up.url(page_path))]));
    a.etag = Some(format!("\"{guid}\""));
    up.set(feed, a);
}

/// A site whose relevance rules keep items about the 1988 massacre, with `sources` and
/// `hub` as `[publish] hub`.
fn site(sources: &[(&str, String, &str)], hub: Option<String>) -> Site {
    let mut text = hub.map(|h| format!("hub = \"{h}\"\n\n")).unwrap_or_default();
    text.push_str(
        "[relevance]\nkeywords = [\"1988 massacre\"]\nlearn_from_archive = false\n\n[fetch]\nallow_private = true\ntimeout = \"20s\"\n",
    );
    for (name, url, every) in sources {
        text.push_str(&format!("\n[[sources]]\nname = \"{name}\"\nurl = \"{url}\"\nevery = \"{every}\"\n"));
    }
    Site::new(20, &text)
}

fn titles(site: &Site) -> Vec<String> {
    let out = site.ok(&["list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&out).expect("json");
    list.as_array().expect("array").iter().map(|a| a["title"].as_str().expect("title").to_string()).collect()
}

/// `feedkeeper args` in the background, stderr captured to a file in the site. The archive
/// is created first: a reader (`list`) racing the very first creation of the database can
/// see it before its tables exist (an archive-module limitation, see the report).
fn spawn(site: &Site, args: &[&str]) -> Child {
    if !site.path().join("archive/feedkeeper.sqlite3").exists() {
        site.ok(&["publish"]);
    }
    let log = std::fs::File::create(site.path().join("watch.log")).expect("log");
    Command::new(env!("CARGO_BIN_EXE_feedkeeper"))
        .arg("--config")
        .arg(site.config())
        .args(args)
        .current_dir(site.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn feedkeeper")
}

fn log(site: &Site) -> String {
    std::fs::read_to_string(site.path().join("watch.log")).unwrap_or_default()
}

/// Waits up to `limit` for `cond`, returning how long it took.
fn wait_for(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !cond() {
        assert!(started.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
    started.elapsed()
}

/// Sends `signal` and waits for the exit, which must come within `limit` with code 0.
fn stop(site: &Site, child: &mut Child, signal: i32, limit: Duration) -> Duration {
    let started = Instant::now();
    // SAFETY: kill(2) on our own child's pid, which has not been waited for yet.
    let rc = unsafe { libc::kill(child.id() as i32, signal) };
    assert_eq!(rc, 0, "kill");
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            assert_eq!(status.code(), Some(0), "exit status after signal {signal}; log:\n{}", log(site));
            return started.elapsed();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("did not stop within {limit:?} after signal {signal}; log:\n{}", log(site));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every XML and JSON feed document under `dir` parses; no temp file is left.
fn feeds_parse(dir: &Path) {
    let files = snapshot(dir);
    assert!(files.iter().any(|(n, _)| n == "atom.xml"), "atom.xml published");
    for (rel, bytes) in files {
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        assert!(!name.starts_with('.'), "temp file left behind: {rel}");
        if name.ends_with(".xml") || name.ends_with(".json") {
            feed_rs::parser::parse(bytes.as_slice()).unwrap_or_else(|e| panic!("{rel} does not parse: {e}"));
        }
    }
}

#[test]
fn run_prints_nothing_on_success_off_a_terminal_and_one_line_per_failure() {
    let up = Upstream::start();
    serve_feed(&up, "/a.xml", "a-1", "/a-story", RELATED);
    let site = site(&[("A", up.url("/a.xml"), "1h")], None);
    for round in 0..2 {
        let out = site.run(&["run"]);
        expect_code(&out, 0, &["run"]);
        assert!(out.stdout.is_empty() && out.stderr.is_empty(), "round {round}: {out:?}");
    }
    assert_eq!(titles(&site), vec![RELATED.to_string()]);
    let out = site.run(&["run", "-v"]);
    expect_code(&out, 0, &["run", "-v"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("A: skipped"), "-v says what happened: {out:?}");

    // A failing source: exit 3, one line naming it, nothing else.
    let site = self::site(&[("A", up.url("/a.xml"), "1h"), ("Gone", up.url("/gone.xml"), "1h")], None);
    let out = site.run(&["run"]);
    expect_code(&out, 3, &["run"]);
    assert!(out.stdout.is_empty(), "{out:?}");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("feedkeeper: source \"Gone\" ({}): ", up.url("/gone.xml"))) && err.contains("404"),
        "{err}"
    );
}

/// The `hub.url` of each form body, sorted.
fn pinged(bodies: &[String]) -> Vec<String> {
    let mut urls: Vec<String> = bodies
        .iter()
        .map(|b| {
            let fields: HashMap<String, String> = url::form_urlencoded::parse(b.as_bytes()).into_owned().collect();
            assert_eq!(fields.get("hub.mode").map(String::as_str), Some("publish"), "{b}");
            fields.get("hub.url").cloned().unwrap_or_else(|| panic!("no hub.url in {b}"))
        })
        .collect();
    urls.sort();
    urls
}

#[test]
fn the_hub_is_pinged_for_each_changed_feed_and_a_failing_hub_is_not_fatal() {
    let up = Upstream::start();
    up.set("/hub", Answer { status: 204, ..Answer::ok("text/plain", "") });
    let site = site(&[], Some(up.url("/hub")));
    site.write(
        "in/a.md",
        "---\ntitle: First report\ndate: 2019-01-01\ntags: [un]\n---\n\nThe first report on the 1988 massacre.\n",
    );
    site.ok(&["import", "in"]);
    let out = site.run(&["publish"]);
    expect_code(&out, 0, &["publish"]);
    assert!(out.stderr.is_empty(), "{out:?}");
    let base = "https://archive.example.org/feeds/";
    let first = pinged(&up.posts("/hub"));
    for feed in ["atom.xml", "rss.xml", "feed.json", "tags/un/atom.xml"] {
        assert!(first.contains(&format!("{base}{feed}")), "{feed} pinged: {first:?}");
    }
    assert!(
        first.iter().all(|u| !u.contains("/archive/") && !u.ends_with(".html")),
        "subscription feeds only: {first:?}"
    );
    let atom = std::fs::read_to_string(site.feeds().join("atom.xml")).expect("atom");
    assert!(
        atom.contains(&format!("rel=\"hub\" href=\"{}\"", up.url("/hub")))
            || atom.contains(&format!("href=\"{}\" rel=\"hub\"", up.url("/hub"))),
        "{atom}"
    );

    // Nothing changed: no ping.
    site.ok(&["publish"]);
    assert_eq!(up.posts("/hub").len(), first.len(), "no ping after a publish that changed nothing");

    // A change reaches the hub through `run --json` too, with the report.
    site.write("in/b.md", "---\ntitle: Second report\ndate: 2019-02-01\n---\n\nThe second report.\n");
    site.ok(&["import", "in"]);
    let report: serde_json::Value = serde_json::from_str(&site.ok(&["run", "--json"])).expect("json");
    let pinged_now: Vec<String> = report["websub"]["pinged"]
        .as_array()
        .expect("pinged")
        .iter()
        .map(|v| v.as_str().expect("url").to_string())
        .collect();
    assert_eq!(
        pinged_now,
        report["published"]["changed_feeds"]
            .as_array()
            .expect("changed")
            .iter()
            .map(|v| v.as_str().expect("url").to_string())
            .collect::<Vec<_>>()
    );
    assert!(pinged_now.contains(&format!("{base}atom.xml")), "{report}");
    assert_eq!(pinged(&up.posts("/hub")[first.len()..]), {
        let mut p = pinged_now.clone();
        p.sort();
        p
    });

    // A failing hub: exit 0, the feeds are published, one line names the hub.
    up.set("/hub", Answer { status: 503, ..Answer::ok("text/plain", "down") });
    site.write("in/c.md", "---\ntitle: Third report\ndate: 2019-03-01\n---\n\nThe third report.\n");
    site.ok(&["import", "in"]);
    let out = site.run(&["publish"]);
    expect_code(&out, 0, &["publish"]);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&format!("WebSub hub {}", up.url("/hub"))) && err.contains("503"), "{err}");
    assert!(std::fs::read_to_string(site.feeds().join("atom.xml")).expect("atom").contains("Third report"));
    let out = site.run(&["run", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&expect_code(&out, 0, &["run", "--json"])).expect("json");
    assert!(report["websub"].is_null(), "nothing changed, no ping: {report}");
}

#[test]
fn watch_archives_beside_a_hanging_source_and_stops_on_sigterm() {
    let up = Upstream::start();
    let hang = hanging_source();
    serve_feed(&up, "/good.xml", "good-1", "/good-story", RELATED);
    let site = site(&[("Hanging", format!("http://{hang}/feed.xml"), "1s"), ("Good", up.url("/good.xml"), "1s")], None);
    let mut child = spawn(&site, &["watch", "-v"]);
    // The good source's item is archived while the hanging one waits for its 20 s timeout.
    let took =
        wait_for(Duration::from_secs(8), "the good source's item", || titles(&site).contains(&RELATED.to_string()));
    assert!(took < Duration::from_secs(8), "{took:?}");
    wait_for(Duration::from_secs(5), "the feeds", || {
        site.feeds().join("atom.xml").is_file()
            && std::fs::read_to_string(site.feeds().join("atom.xml")).is_ok_and(|a| a.contains("1988 massacre"))
    });
    // Polled again every second (304s), and stopping does not wait for the hanging poll.
    wait_for(Duration::from_secs(5), "a second poll", || up.gets("/good.xml") >= 2);
    let took = stop(&site, &mut child, libc::SIGTERM, Duration::from_secs(5));
    assert!(took < Duration::from_secs(5), "{took:?}");
    let log = log(&site);
    assert!(log.contains("cycle: "), "one line per cycle with -v:\n{log}");
    assert!(!log.contains("Hanging\" ("), "the hanging source never failed within the test:\n{log}");
    feeds_parse(&site.feeds());
    assert_eq!(titles(&site), vec![RELATED.to_string()], "the archive opens");
    // Nothing is left locked: a run works at once.
    site.ok(&["publish"]);
}

#[test]
fn sigint_during_a_slow_page_fetch_stops_at_once_and_writes_nothing_half() {
    let up = Upstream::start();
    serve_feed(&up, "/a.xml", "a-1", "/a-story", RELATED);
    let site = site(&[("A", up.url("/a.xml"), "1s")], None);
    let mut child = spawn(&site, &["watch"]);
    wait_for(Duration::from_secs(8), "the first item", || titles(&site).len() == 1);
    // A new item whose page takes 30 s: the cycle is in its network phase when stopped.
    up.set("/slow-story", Answer { delay: Duration::from_secs(30), ..Answer::ok("text/html", page("Slow")) });
    let mut feed = Answer::ok(
        "application/rss+xml",
        rss(&[
            ("a-1", RELATED, up.url("/a-story")),
            ("a-2", "A second inquiry into the 1988 massacre", up.url("/slow-story")),
        ]),
    );
    feed.etag = Some("\"a-2\"".into());
    up.set("/a.xml", feed);
    wait_for(Duration::from_secs(8), "the slow page requested", || up.gets("/slow-story") >= 1);
    let took = stop(&site, &mut child, libc::SIGINT, Duration::from_secs(5));
    assert!(took < Duration::from_secs(3), "{took:?}");
    feeds_parse(&site.feeds());
    assert_eq!(titles(&site).len(), 1, "the abandoned cycle archived nothing");
    // Its poll was not saved either: the next run sees the new item again and archives it.
    up.set("/slow-story", Answer::ok("text/html; charset=utf-8", page("A second inquiry into the 1988 massacre")));
    let report: serde_json::Value = serde_json::from_str(&site.ok(&["check", "--force", "--json"])).expect("json");
    assert_eq!(report["archived"], 1, "{report}");
    assert_eq!(titles(&site).len(), 2);
}

#[test]
fn watch_steps_aside_while_another_run_holds_the_lock_and_a_second_watch_is_refused() {
    let up = Upstream::start();
    serve_feed(&up, "/a.xml", "a-1", "/a-story", RELATED);
    let site = site(&[("A", up.url("/a.xml"), "1h")], None);
    site.ok(&["publish"]); // creates the archive before the lock is taken
    let mut holder = Command::new("flock")
        .arg("-o")
        .arg(site.path().join("archive/lock"))
        .args(["sleep", "30"])
        .spawn()
        .expect("flock (util-linux)");
    std::thread::sleep(Duration::from_millis(200));
    let mut child = spawn(&site, &["watch", "-v"]);
    wait_for(Duration::from_secs(8), "the poll", || up.gets("/a.xml") >= 1);
    std::thread::sleep(Duration::from_millis(500));
    assert!(titles(&site).is_empty(), "nothing archived while the lock is held");
    // A second watch on the same archive is refused at once.
    let out = site.run(&["watch"]);
    expect_code(&out, 75, &["watch"]);
    assert!(stderr(&out).contains("already watching"), "{}", stderr(&out));
    // The lock is released: the kept poll is archived at the next try, without polling again.
    holder.kill().expect("kill flock");
    holder.wait().expect("wait");
    wait_for(Duration::from_secs(10), "the item after the lock is free", || titles(&site).len() == 1);
    assert_eq!(up.gets("/a.xml"), 1, "the poll was kept, not repeated");
    stop(&site, &mut child, libc::SIGTERM, Duration::from_secs(5));
    assert!(log(&site).contains("locked by another run"), "{}", log(&site));
}

#[test]
fn watch_cron_runs_whole_cycles() {
    let up = Upstream::start();
    serve_feed(&up, "/a.xml", "a-1", "/a-story", RELATED);
    up.set("/hub", Answer { status: 204, ..Answer::ok("text/plain", "") });
    let site = site(&[("A", up.url("/a.xml"), "1h")], Some(up.url("/hub")));
    let mut child = spawn(&site, &["watch", "--cron", "* * * * * *", "-v"]);
    wait_for(Duration::from_secs(8), "the item", || titles(&site).len() == 1);
    wait_for(Duration::from_secs(5), "the hub ping", || !up.posts("/hub").is_empty());
    wait_for(Duration::from_secs(5), "another cycle", || log(&site).matches("cycle: ").count() >= 2);
    stop(&site, &mut child, libc::SIGTERM, Duration::from_secs(5));
    assert_eq!(up.gets("/a.xml"), 1, "every = 1h: polled once however many cycles ran");
    feeds_parse(&site.feeds());
}

#[test]
fn watch_does_not_poll_again_a_source_that_a_manual_check_just_polled() {
    let up = Upstream::start();
    serve_feed(&up, "/a.xml", "a-1", "/a-story", RELATED);
    let site = site(&[("A", up.url("/a.xml"), "6s")], None);
    let mut child = spawn(&site, &["watch", "-v"]);
    let started = Instant::now();
    wait_for(Duration::from_secs(20), "watch's first poll", || up.gets("/a.xml") == 1);
    // The manual check must not find the archive still locked by that poll on a loaded
    // machine (it would exit 75 instead of polling): wait until watch logs the cycle's end.
    wait_for(Duration::from_secs(20), "the end of watch's first cycle", || log(&site).contains("cycle: "));
    // Three seconds later a manual check polls the source (forced) and saves its state.
    std::thread::sleep(Duration::from_secs(3).saturating_sub(started.elapsed()));
    site.ok(&["check", "--force"]);
    assert_eq!(up.gets("/a.xml"), 2);
    // Watch would have polled again six seconds after its own poll; it plans from the newer
    // state instead: next six seconds after the manual check.
    std::thread::sleep(Duration::from_secs(7).saturating_sub(started.elapsed()));
    let polls = up.gets("/a.xml");
    stop(&site, &mut child, libc::SIGTERM, Duration::from_secs(10));
    assert_eq!(polls, 2, "no poll between the manual check and its `every`; log:\n{}", log(&site));
}
