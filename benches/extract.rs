//! Extraction timing: `cargo bench --bench extract [-- DIR...]`.
//!
//! Prints mean and p95 time per page over the fixtures in `tests/fixtures/extract/`
//! (each repeated), then over a generated ~1 MB page (a long WordPress article with a
//! huge comment thread and inline scripts). Any DIR given is walked for `*.html` /
//! `*.htm` files, each extracted once, to measure a real corpus and count outcomes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use feedkeeper::extract::{ExtractError, extract};
use url::Url;

const FIXTURE_ROUNDS: usize = 50;
const LARGE_ROUNDS: usize = 20;

fn main() {
    let dirs: Vec<PathBuf> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).map(PathBuf::from).collect();
    let fixture_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/extract");
    let fixtures = load_fixtures(&fixture_dir);

    println!("extract: {} fixtures x {FIXTURE_ROUNDS} rounds", fixtures.len());
    let mut all = Vec::new();
    for (name, html, url) in &fixtures {
        let _ = extract(html, url.as_ref()); // warm-up
        let mut times = Vec::with_capacity(FIXTURE_ROUNDS);
        for _ in 0..FIXTURE_ROUNDS {
            let t = Instant::now();
            let r = extract(html, url.as_ref());
            times.push(t.elapsed());
            std::hint::black_box(r.ok());
        }
        println!(
            "  {name:<24} {:>7} KB  mean {:>8}  p95 {:>8}",
            html.len() / 1024,
            fmt(mean(&times)),
            fmt(p95(&mut times.clone()))
        );
        all.extend(times);
    }
    println!("  all fixtures              mean {:>8}  p95 {:>8}", fmt(mean(&all)), fmt(p95(&mut all)));

    let (large, url) = large_page(&fixture_dir);
    let mut times = Vec::with_capacity(LARGE_ROUNDS);
    let mut words = 0;
    for _ in 0..LARGE_ROUNDS {
        let t = Instant::now();
        let r = extract(&large, Some(&url));
        times.push(t.elapsed());
        words = r.map(|x| x.text.split_whitespace().count()).unwrap_or(0);
    }
    println!(
        "large page {:.2} MB x {LARGE_ROUNDS}: mean {}  p95 {}  ({words} words extracted)",
        large.len() as f64 / 1_048_576.0,
        fmt(mean(&times)),
        fmt(p95(&mut times))
    );

    for dir in dirs {
        corpus(&dir);
    }
}

fn load_fixtures(dir: &Path) -> Vec<(String, String, Option<Url>)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixture dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().to_string();
            let html = std::fs::read_to_string(&p).expect("fixture");
            let json = std::fs::read_to_string(p.with_file_name(format!("{name}.expected.json"))).unwrap_or_default();
            let url = serde_json::from_str::<serde_json::Value>(&json)
                .ok()
                .and_then(|v| v.get("page_url")?.as_str().map(str::to_string))
                .and_then(|u| Url::parse(&u).ok());
            (name, html, url)
        })
        .collect()
}

/// A ~1 MB page: the WordPress fixture with a 300-paragraph body, 3,000 comments and
/// 300 KB of inline script.
fn large_page(dir: &Path) -> (String, Url) {
    let base = std::fs::read_to_string(dir.join("wordpress-news.html")).expect("wordpress fixture");
    let mut body = String::new();
    for i in 0..300 {
        body.push_str(&format!(
            "<p>Paragraph {i}: the tribunal heard that detainees in ward {} were questioned about \
             their political views, and that relatives were told nothing for months afterwards.</p>\n",
            i % 9
        ));
        if i % 40 == 0 {
            body.push_str(&format!("<h2>Section {i}</h2>\n<div class=\"ad-slot\"><span>Advertisement</span></div>\n"));
        }
    }
    let mut comments = String::from("<ol class=\"comment-list\">");
    for i in 0..3000 {
        comments.push_str(&format!(
            "<li class=\"comment\"><article class=\"comment-body\"><b class=\"fn\">Reader {i}</b>\
             <div class=\"comment-content\"><p>Comment number {i}: thank you for reporting this, \
             the families deserve answers and the world should listen.</p></div></article></li>"
        ));
    }
    comments.push_str("</ol>");
    let script = format!("<script>var data = \"{}\";</script>", "x".repeat(300_000));
    let page = base
        .replace("<h2>A pattern of reprisals</h2>", &format!("{body}<h2>A pattern of reprisals</h2>"))
        .replace("<ol class=\"comment-list\">", &comments)
        .replace("</head>", &format!("{script}</head>"));
    let url = Url::parse("https://dailymonitor.example/2019/03/12/large/").expect("url");
    (page, url)
}

fn corpus(dir: &Path) {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "html" || x == "htm") {
                files.push(p);
            }
        }
    }
    files.sort();
    let (mut ok, mut empty, mut failed) = (0, 0, 0);
    let mut times: Vec<(Duration, PathBuf)> = Vec::new();
    for f in &files {
        let Ok(bytes) = std::fs::read(f) else {
            continue;
        };
        let html = String::from_utf8_lossy(&bytes);
        let url = Url::from_file_path(f.canonicalize().unwrap_or(f.clone())).ok();
        let t = Instant::now();
        let r = extract(&html, url.as_ref());
        times.push((t.elapsed(), f.clone()));
        match r {
            Ok(_) => ok += 1,
            Err(ExtractError::NoContent { .. }) => empty += 1,
            Err(e) => {
                failed += 1;
                println!("  failed: {e}");
            }
        }
    }
    let mut d: Vec<Duration> = times.iter().map(|t| t.0).collect();
    println!(
        "corpus {}: {} pages, {ok} articles, {empty} no content, {failed} failed; mean {} p95 {}",
        dir.display(),
        files.len(),
        fmt(mean(&d)),
        fmt(p95(&mut d))
    );
    times.sort_by_key(|t| std::cmp::Reverse(t.0));
    for (t, p) in times.iter().take(3) {
        println!("  slowest {}  {}", fmt(*t), p.display());
    }
}

fn mean(d: &[Duration]) -> Duration {
    if d.is_empty() {
        return Duration::ZERO;
    }
    d.iter().sum::<Duration>() / d.len() as u32
}

fn p95(d: &mut [Duration]) -> Duration {
    if d.is_empty() {
        return Duration::ZERO;
    }
    d.sort();
    d[((d.len() as f64 * 0.95).ceil() as usize).saturating_sub(1).min(d.len() - 1)]
}

fn fmt(d: Duration) -> String {
    let us = d.as_micros();
    if us >= 10_000 { format!("{:.1} ms", us as f64 / 1000.0) } else { format!("{:.2} ms", us as f64 / 1000.0) }
}
