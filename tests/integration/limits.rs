//! Work and clients kept within their limits, with the real program on 127.0.0.1: a feed
//! or a page that would take the parser or the extractor far longer than the source's
//! `timeout` is given up on at its time budget (the feed as that source's error, the page
//! archived from its feed entry), both named in the report; and `serve` closes an idle
//! keep-alive connection and keeps serving a normal client while more connections than its
//! cap are held open.
//!
//! The upstream here is `feedkeeper serve` itself, over a folder of canned files. The tests
//! assert what happened, never how long it took.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::harness::{Site, expect_code};

/// `feedkeeper serve` on a free loopback port over `site`'s feeds folder, stopped on drop.
struct Served {
    child: Child,
    addr: SocketAddr,
    /// Its log lines so far.
    log: Arc<Mutex<Vec<String>>>,
}

impl Served {
    fn start(site: &Site) -> Served {
        Served::spawn(Command::new(env!("CARGO_BIN_EXE_feedkeeper")), site)
    }

    /// With soft and hard `RLIMIT_NOFILE` at `limit`, so the server cannot raise it.
    fn with_file_limit(site: &Site, limit: u64) -> Served {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_feedkeeper"));
        // SAFETY: setrlimit is async-signal-safe and only reads the struct passed to it.
        unsafe {
            cmd.pre_exec(move || {
                let lim = libc::rlimit { rlim_cur: limit, rlim_max: limit };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
        Served::spawn(cmd, site)
    }

    fn spawn(mut cmd: Command, site: &Site) -> Served {
        let mut child = cmd
            .arg("--config")
            .arg(site.config())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start serve");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let addr = loop {
            let line = lines.next().expect("serve printed its address").expect("stderr line");
            if let Some(at) = line.find(" on http://") {
                let rest = &line[at + " on http://".len()..];
                break rest.trim_end_matches('/').parse().expect("address");
            }
        };
        // Keep reading its log so a full pipe never stalls it.
        let log = Arc::new(Mutex::new(Vec::new()));
        let kept = log.clone();
        std::thread::spawn(move || lines.map_while(Result::ok).for_each(|l| kept.lock().expect("log").push(l)));
        Served { child, addr, log }
    }

    fn log(&self) -> String {
        self.log.lock().expect("log").join("\n")
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// One `GET path` on a fresh connection that asks to close it; the status code.
    fn status(&self, path: &str) -> u16 {
        let mut conn = TcpStream::connect(self.addr).expect("connect");
        conn.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        write!(conn, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").expect("send");
        let mut head = String::new();
        BufReader::new(conn).read_line(&mut head).expect("status line");
        head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const TITLE: &str = "UN experts urge inquiry into 1988 massacre of political prisoners in Iran";
const TEXT: &str = "United Nations human rights experts renewed their call for an international inquiry into \
    the 1988 massacre of political prisoners in Iran, in which thousands of prisoners were executed in weeks.";

/// `reps` blocks of 300 nested `<div>`s around one paragraph: linear to read since nesting is
/// capped at 400, but seconds of HTML parsing per megabyte, far over a two-second budget.
fn deep_blocks(reps: usize) -> String {
    let block =
        format!("{}<p>Some text of a sentence, long enough to count.</p>{}", "<div>".repeat(300), "</div>".repeat(300));
    block.repeat(reps)
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\
         <article><h1>{title}</h1>{body}</article></body></html>"
    )
}

fn rss(items: &[(&str, &str, String)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Upstream</title><link>https://news.example/</link>\n",
    );
    for (guid, title, link) in items {
        s.push_str(&format!(
            "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title><link>{link}</link><description>{TEXT}</description><pubDate>Sat, 28 Nov 2026 09:00:00 GMT</pubDate></item>\n"
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

#[test]
fn a_page_or_feed_over_its_time_budget_is_given_up_on_named_and_the_rest_goes_on() {
    let upstream = Site::new(20, "");
    let served = Served::start(&upstream);
    let paragraphs: String = (0..3).map(|n| format!("<p>{TEXT} Paragraph {n} of the report.</p>")).collect();
    upstream.write("feeds/story.html", &page(TITLE, &paragraphs));
    upstream.write("feeds/heavy.html", &page("Heavy", &format!("{paragraphs}{}", deep_blocks(600))));
    let heavy_title = format!("{TITLE} (heavy page)");
    upstream.write(
        "feeds/news.xml",
        &rss(&[("story", TITLE, served.url("/story.html")), ("heavy", &heavy_title, served.url("/heavy.html"))]),
    );
    // A feed whose stray `<item>` sends it to the HTML fallback with the same deep markup.
    upstream.write(
        "feeds/hostile.xml",
        &format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>H</title><item><title>{TITLE}</title>\
             <description>{TEXT}</description><content>{}</content></item><item><title>Cut<item></channel></rss>",
            deep_blocks(600)
        ),
    );
    let site = Site::new(
        20,
        &format!(
            "[relevance]\nkeywords = [\"1988 massacre\"]\nlearn_from_archive = false\n\n[fetch]\nallow_private = true\ntimeout = \"2s\"\n\n\
             [[sources]]\nname = \"News\"\nurl = \"{}\"\n\n[[sources]]\nname = \"Hostile\"\nurl = \"{}\"\n",
            served.url("/news.xml"),
            served.url("/hostile.xml")
        ),
    );

    let out = site.run(&["check", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&expect_code(&out, 3, &["check"])).expect("json");
    let err = String::from_utf8_lossy(&out.stderr);
    let source = |name: &str| {
        report["sources"].as_array().expect("sources").iter().find(|s| s["name"] == name).expect("source").clone()
    };

    // The feed: that source's error, naming it and the budget.
    let hostile = source("Hostile");
    assert_eq!(hostile["outcome"], "failed", "{hostile}");
    let error = hostile["error"].as_str().expect("error");
    assert!(error.contains("hostile.xml: parsing gave up after its time budget of 2 s"), "{error}");
    assert!(err.contains("feedkeeper: source \"Hostile\""), "{err}");

    // The other source goes on; its heavy page is archived from the feed entry and named.
    let news = source("News");
    assert_eq!(news["outcome"], "fetched", "{news}");
    assert_eq!(news["archived"], 2, "{news}");
    let over = news["pages_over_budget"].as_array().expect("pages_over_budget");
    assert_eq!(over.len(), 1, "{news}");
    assert_eq!(over[0]["title"], heavy_title.as_str());
    assert!(over[0]["url"].as_str().expect("url").ends_with("/heavy.html"), "{news}");
    assert!(over[0]["error"].as_str().expect("error").contains("gave up after its time budget of 2 s"), "{news}");
    let decision = |title: &str| {
        news["decisions"].as_array().expect("decisions").iter().find(|d| d["title"] == title).expect("decision").clone()
    };
    let heavy = decision(&heavy_title);
    assert!(heavy["reasons"].to_string().contains("archived from the feed's content"), "{heavy}");
    assert!(!decision(TITLE)["reasons"].to_string().contains("archived from the feed"), "the normal page is read");
    assert!(
        err.contains(&format!("feedkeeper: source \"News\": item \"{heavy_title}\": extraction of ")),
        "the human report names the page: {err}"
    );

    // The article from the feed entry carries the entry's text.
    let shown = site.ok(&["show", heavy["article_id"].as_str().expect("article id"), "--json"]);
    let shown: serde_json::Value = serde_json::from_str(&shown).expect("show json");
    assert!(shown["text"].as_str().expect("text").contains("renewed their call"), "{shown}");
}

/// A site whose feeds folder holds one small published file, `/a.xml`.
fn one_file_site() -> Site {
    let site = Site::new(20, "");
    site.write(
        "feeds/a.xml",
        "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>A</title></feed>\n",
    );
    site
}

#[test]
fn serve_closes_a_keep_alive_connection_left_idle() {
    let site = one_file_site();
    let served = Served::start(&site);
    let mut conn = TcpStream::connect(served.addr).expect("connect");
    // Far longer than the idle limit: a read that waits this long means the server kept
    // the idle connection.
    conn.set_read_timeout(Some(Duration::from_secs(60))).expect("timeout");
    write!(conn, "GET /a.xml HTTP/1.1\r\nHost: x\r\n\r\n").expect("send");
    let mut reader = BufReader::new(conn);
    let mut head = String::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("response head");
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().expect("length");
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(!head.to_ascii_lowercase().contains("connection: close"), "kept alive: {head}");
    reader.read_exact(&mut vec![0; length]).expect("body");
    // The connection stays open for another request, idle: the server closes it.
    let mut rest = Vec::new();
    match reader.read_to_end(&mut rest) {
        Ok(_) => assert!(rest.is_empty(), "nothing more was asked: {rest:?}"),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "closed, not timed out: {e}"),
    }
    assert_eq!(served.status("/a.xml"), 200, "the server goes on");
}

#[test]
fn serve_past_its_connection_cap_leaves_clients_waiting_not_locked_out() {
    let site = one_file_site();
    // 64 open files: a cap of 16 connections. Without the cap, 80 silent clients would
    // exhaust the server's file descriptors ("Too many open files" on every accept).
    let served = Served::with_file_limit(&site, 64);
    let mut silent: Vec<TcpStream> = (0..80).map(|_| TcpStream::connect(served.addr).expect("connect")).collect();
    let mut conn = TcpStream::connect(served.addr).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(60))).expect("timeout");
    write!(conn, "GET /a.xml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").expect("send");
    // The clients beyond the cap give up while queued; those accepted stay silent until
    // the server closes them.
    silent.truncate(16);
    let mut answer = String::new();
    BufReader::new(conn).read_line(&mut answer).expect("the normal client is answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(served.status("/a.xml"), 200);
    drop(silent);
    let log = served.log();
    assert!(!log.contains("Too many open files"), "{log}");
}
