//! Polling at scale through the real pipeline (`pipeline::check`) with a temporary archive
//! seeded with the demo articles, against one loopback server with 1,000 feeds:
//!
//! - (a) every feed answers 304 to the validators of the previous poll (target ≤ 1 s);
//! - (b) every feed changed, 50 new items each (50,000 items scored), 1 in 50 related, whose
//!   pages are then fetched, extracted and captured (target ≤ 5 s, ≤ 200 MB VmHWM).
//!
//! Run with `cargo bench --bench poll`; `FEEDS=200` makes it smaller. Prints figures.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use feedkeeper::pipeline::{self, CheckOptions, Silent};

const ITEMS: usize = 50;

/// Which round the server is serving: 0 = empty feeds, 1 = 50 items each.
#[derive(Clone)]
struct Served {
    round: Arc<AtomicU32>,
}

const UNRELATED: [&str; 10] = [
    "City council approves budget for new cycle lanes",
    "Wheat harvest forecast raised after mild autumn",
    "Tech firm unveils folding phone with longer battery",
    "Museum reopens after two-year renovation",
    "Football club appoints new head coach",
    "Central bank holds interest rates steady",
    "Heavy snow closes mountain passes",
    "Film festival announces opening night gala",
    "Shipping company orders ten new container vessels",
    "University opens research centre for batteries",
];

fn item(n: usize, m: usize, base: &str) -> String {
    let (title, text) = if m == 7 {
        (
            format!("Families demand inquiry into 1988 massacre of political prisoners in Iran ({n})"),
            "Relatives of political prisoners executed in Iran in 1988 called on the United Nations to investigate the mass executions and reveal the location of mass graves.".to_string(),
        )
    } else {
        let t = UNRELATED[(n + m) % UNRELATED.len()];
        (
            format!("{t} ({n}-{m})"),
            format!("{t}. Officials said the plans would be reviewed next month, item {m} of feed {n}."),
        )
    };
    format!(
        "<item><guid isPermaLink=\"false\">feed-{n}-item-{m}</guid><title>{title}</title><link>{base}/page/{n}/{m}</link><description>{text}</description><pubDate>Sat, 28 Nov 2026 09:00:00 GMT</pubDate></item>\n"
    )
}

async fn feed(State(s): State<Served>, Path(n): Path<usize>, headers: HeaderMap) -> Response {
    let round = s.round.load(Ordering::SeqCst);
    let etag = format!("\"{round}-{n}\"");
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1");
    let base = format!("http://{host}");
    let mut body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Feed {n}</title><link>{base}/</link>\n"
    );
    if round > 0 {
        for m in 0..ITEMS {
            body.push_str(&item(n, m, &base));
        }
    }
    body.push_str("</channel></rss>\n");
    ([(header::CONTENT_TYPE, "application/rss+xml".to_string()), (header::ETAG, etag)], body).into_response()
}

async fn page(Path((n, m)): Path<(usize, usize)>) -> Response {
    let paragraphs: String = (0..8)
        .map(|i| format!("<p>Paragraph {i} of the report on feed {n}: relatives of political prisoners executed in 1988 described years of searching for the graves of their loved ones, and asked for an international investigation.</p>"))
        .collect();
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Report {n}-{m}</title></head><body>\
         <nav><a href=\"/\">Home</a> <a href=\"/news\">News</a></nav><article><h1>Families demand inquiry ({n})</h1>{paragraphs}</article>\
         <aside><h2>Most read</h2><ul><li><a href=\"/a\">A</a></li><li><a href=\"/b\">B</a></li></ul></aside></body></html>"
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

fn vm_hwm_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn reset_hwm() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn main() {
    if std::env::var_os("VERBOSE").is_some() {
        let _ = tracing_subscriber::fmt().with_max_level(tracing::Level::INFO).with_writer(std::io::stderr).try_init();
    }
    let feeds: usize = std::env::var("FEEDS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let served = Served { round: Arc::new(AtomicU32::new(0)) };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    let state = served.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
        rt.block_on(async move {
            let app =
                axum::Router::new().route("/feed/{n}", get(feed)).route("/page/{n}/{m}", get(page)).with_state(state);
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            axum::serve(listener, app).await.expect("serve");
        });
    });

    let dir = tempfile::tempdir().expect("tempdir");
    let mut toml = String::from(
        "[site]\ntitle = \"Bench\"\nbase_url = \"https://bench.example/\"\n\n[fetch]\nallow_private = true\ntimeout = \"30s\"\n\n",
    );
    for n in 0..feeds {
        toml.push_str(&format!(
            "[[sources]]\nname = \"feed {n}\"\nurl = \"http://{addr}/feed/{n}\"\nevery = \"1h\"\n\n"
        ));
    }
    let config_path = dir.path().join("feedkeeper.toml");
    std::fs::write(&config_path, toml).expect("config");
    let config = feedkeeper::config::load(&config_path).expect("config loads");
    let articles = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/demo/articles");
    let now = chrono::Utc::now();
    pipeline::init(&config_path).expect("create the archive");
    pipeline::import(&config, &[articles], now, &Silent).expect("import");
    let force = CheckOptions { force: true, ..CheckOptions::default() };

    // Round 0: empty feeds, to store validators.
    let t = Instant::now();
    let r = pipeline::check(&config, &force, now, &pipeline::Silent).expect("round 0");
    assert_eq!(r.failed, 0, "{:?}", r.failures().next().map(|s| &s.error));
    println!("poll: {feeds} sources, first poll of empty feeds: {:.2} s", t.elapsed().as_secs_f64());

    // (a) All 304.
    reset_hwm();
    let t = Instant::now();
    let r = pipeline::check(&config, &force, now, &pipeline::Silent).expect("round a");
    let a = t.elapsed().as_secs_f64();
    let not_modified = r.sources.iter().filter(|s| s.outcome == pipeline::Outcome::NotModified).count();
    assert_eq!(not_modified, feeds);
    println!("(a) {feeds} sources, all 304: {a:.2} s, VmHWM {:.0} MB", vm_hwm_mb().unwrap_or(f64::NAN));

    // (b) All changed: 50 items each, 1 in 50 related.
    served.round.store(1, Ordering::SeqCst);
    reset_hwm();
    let t = Instant::now();
    let r = pipeline::check(&config, &force, now, &pipeline::Silent).expect("round b");
    let b = t.elapsed().as_secs_f64();
    let seen: usize = r.sources.iter().map(|s| s.seen).sum();
    let kept: usize = r.sources.iter().map(|s| s.kept).sum();
    assert_eq!(r.failed, 0, "{:?}", r.failures().next().map(|s| &s.error));
    println!(
        "(b) {feeds} sources changed: {seen} items scored, {kept} kept, {} archived with pages: {b:.2} s, VmHWM {:.0} MB",
        r.archived,
        vm_hwm_mb().unwrap_or(f64::NAN)
    );
}
