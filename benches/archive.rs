//! Archive and publisher benchmark: `cargo bench --bench archive [-- SIZES...]`.
//!
//! For each size (default 10,000 and 100,000 articles) it generates realistic articles
//! (3–8 paragraphs, 1.5–3 KB of text, 1–3 tags, authors, dates over years, a third from
//! upstream with a capture), and measures in fresh processes, so each peak memory (VmHWM) is
//! its own:
//!
//! - ingest: `Store::put_all` in batches of 1,000;
//! - full publish into an empty feeds folder (all formats, archive pages, tags, articles);
//! - publish again with no change;
//! - incremental publish after adding ONE article (median of 5);
//! - `export --wacz` of every capture (a real WARC record per upstream article, written at
//!   ingest outside the timed part).
//!
//! The parent re-executes this binary with `--ingest N DIR`, `--publish DIR` and `--wacz DIR`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use feedkeeper::archive::{ArchiveDir, DedupKeys};
use feedkeeper::article::{Article, CaptureRef, Content, Identity, Origin, Person, SourceRef, fingerprint};

/// A small deterministic PRNG (SplitMix64): the same articles on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "the",
    "prisoners",
    "families",
    "massacre",
    "inquiry",
    "commission",
    "testimony",
    "Geneva",
    "United",
    "Nations",
    "rapporteur",
    "executions",
    "1988",
    "survivors",
    "evidence",
    "graves",
    "regime",
    "justice",
    "human",
    "rights",
    "report",
    "conference",
    "political",
    "called",
    "for",
    "independent",
    "investigation",
    "of",
    "in",
    "and",
    "officials",
    "accountability",
    "victims",
    "documents",
    "released",
    "Amnesty",
    "international",
    "court",
    "said",
    "that",
    "were",
    "was",
    "a",
    "to",
    "by",
    "with",
    "crimes",
    "against",
    "humanity",
    "Tehran",
    "Evin",
    "prison",
    "mothers",
    "memorial",
    "witnesses",
    "archive",
    "records",
    "statement",
    "press",
    "on",
    "Tuesday",
    "more",
    "than",
];
const TAGS: &[&str] = &[
    "iran",
    "1988-massacre",
    "un",
    "testimony",
    "amnesty",
    "geneva",
    "mass-graves",
    "justice",
    "women",
    "evin",
    "reports",
    "press",
];
const AUTHORS: &[&str] =
    &["PMOI/MEK", "Amnesty International", "Justice for Victims", "Staff reporter", "Iran Human Rights Monitor"];

fn sentence(rng: &mut Rng, words: u64) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        let w = rng.pick(WORDS);
        if i == 0 {
            let mut c = w.chars();
            if let Some(f) = c.next() {
                s.extend(f.to_uppercase());
                s.push_str(c.as_str());
            }
        } else {
            s.push_str(w);
        }
    }
    s.push('.');
    s
}

fn article(i: u64) -> (Article, DedupKeys) {
    let mut rng = Rng(i.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0xFEED);
    let words = 6 + rng.below(7);
    let title = format!("{} ({i})", sentence(&mut rng, words).trim_end_matches('.'));
    let words = 14 + rng.below(12);
    let summary = sentence(&mut rng, words);
    let target = 1500 + rng.below(1500) as usize;
    let paragraphs = 3 + rng.below(6) as usize;
    let mut paras = Vec::with_capacity(paragraphs);
    let per = target / paragraphs;
    for _ in 0..paragraphs {
        let mut p = String::new();
        while p.len() < per {
            if !p.is_empty() {
                p.push(' ');
            }
            let n = 8 + rng.below(14);
            p.push_str(&sentence(&mut rng, n));
        }
        paras.push(p);
    }
    let text = paras.join("\n\n");
    let html = feedkeeper::content::text_to_html(&text);
    let start = Utc.with_ymd_and_hms(2010, 1, 1, 0, 0, 0).single().expect("date");
    let published: DateTime<Utc> = start + chrono::Duration::seconds(rng.below(15 * 365 * 86_400) as i64);
    let upstream = rng.below(3) == 0;
    let url = (upstream || rng.below(2) == 0).then(|| format!("https://news{}.example.com/{i}/story", i % 17));
    let mut tags: Vec<String> = (0..1 + rng.below(3)).map(|_| rng.pick(TAGS).to_string()).collect();
    tags.sort();
    tags.dedup();
    let identity = match &url {
        Some(u) => Identity::Url(u.clone()),
        None => Identity::title_date(&title, Some(&published)),
    };
    let mut a = Article {
        id: identity.id(),
        title,
        summary: Some(summary),
        content: Content { text: text.clone(), html },
        authors: (0..1 + rng.below(2)).map(|_| Person::named(rng.pick(AUTHORS))).collect(),
        published: Some(published),
        updated: published + chrono::Duration::hours(rng.below(48) as i64),
        url: url.clone(),
        source: upstream.then(|| SourceRef {
            name: format!("Upstream {}", i % 17),
            feed_url: Some(format!("https://news{}.example.com/feed.xml", i % 17)),
            upstream_id: Some(format!("tag:news{}.example.com,2020:{i}", i % 17)),
            site_url: Some(format!("https://news{}.example.com/", i % 17)),
            ..SourceRef::default()
        }),
        tags,
        language: Some("en".into()),
        content_hash: String::new(),
        archived_at: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().expect("date")
            + chrono::Duration::seconds(i as i64),
        origin: if upstream { Origin::Upstream } else { Origin::Import { file: format!("article-{i}.txt") } },
        capture: upstream.then(|| CaptureRef {
            file: "captures-2025-01.warc.gz".into(),
            offset: i * 4096,
            length: 4000,
            record_id: format!("<urn:uuid:00000000-0000-4000-8000-{i:012}>"),
        }),
    };
    a.seal();
    let keys = DedupKeys { identity: identity.key(), canonical_url: url, fingerprint: fingerprint(&text) };
    (a, keys)
}

fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// User and system CPU seconds of this process so far.
fn cpu() -> (f64, f64) {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(u.ru_utime), secs(u.ru_stime))
}

fn config(dir: &Path) -> feedkeeper::config::Config {
    let text =
        "[site]\ntitle = \"Benchmark archive\"\nbase_url = \"https://bench.example.org/feeds/\"\nauthor = \"Bench\"\n";
    let mut c = feedkeeper::config::parse(text, Path::new("bench.toml")).expect("config");
    c.dir = dir.to_path_buf();
    c
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn dir_size(dir: &Path) -> (u64, u64) {
    let (mut files, mut bytes) = (0, 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let Ok(m) = e.metadata() else { continue };
            if m.is_dir() {
                stack.push(e.path());
            } else {
                files += 1;
                bytes += m.len();
            }
        }
    }
    (files, bytes)
}

fn ingest(n: u64, dir: &Path) {
    let mut store = ArchiveDir::new(dir.join("archive")).create().expect("open archive");
    let batch = 1000;
    let mut spent = Duration::ZERO;
    let mut bytes = 0usize;
    let mut i = 0;
    while i < n {
        let mut items: Vec<(Article, DedupKeys)> = (i..(i + batch).min(n)).map(article).collect();
        capture(dir, &mut items);
        bytes += items.iter().map(|(a, _)| a.content.text.len()).sum::<usize>();
        let t = Instant::now();
        store.put_all(&items).expect("put_all");
        spent += t.elapsed();
        i += batch;
    }
    let db = std::fs::metadata(dir.join("archive").join(feedkeeper::archive::DB_FILE)).map_or(0, |m| m.len());
    println!(
        "  ingest    {n} articles ({:.0} MB of text) in {:.2} s = {:.0} articles/s; database {:.0} MB; peak RSS {:.0} MB",
        bytes as f64 / 1e6,
        spent.as_secs_f64(),
        n as f64 / spent.as_secs_f64(),
        db as f64 / 1e6,
        peak_mb()
    );
}

/// Writes a real WARC capture (request and response records, the article as a page) for
/// each article that has a capture reference, and points the reference at it.
fn capture(dir: &Path, items: &mut [(Article, DedupKeys)]) {
    let folder = dir.join("archive").join(feedkeeper::archive::CAPTURE_DIR);
    std::fs::create_dir_all(&folder).expect("capture folder");
    let exchanges: Vec<(usize, feedkeeper::fetch::Exchange)> = items
        .iter()
        .enumerate()
        .filter(|(_, (a, _))| a.capture.is_some())
        .map(|(k, (a, _))| {
            let page = format!(
                "<!DOCTYPE html><html><head><title>{}</title></head><body><article>{}</article></body></html>",
                a.title, a.content.html
            );
            let host = a.url.as_deref().and_then(|u| u.split('/').nth(2)).unwrap_or("news.example.com");
            let exchange = feedkeeper::fetch::Exchange {
                request_head: format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes(),
                response_head: format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\n\r\n",
                    page.len()
                )
                .into_bytes(),
                wire_body: page.into_bytes(),
                remote_ip: None,
            };
            (k, exchange)
        })
        .collect();
    let batch: Vec<(&str, DateTime<Utc>, &feedkeeper::fetch::Exchange)> = exchanges
        .iter()
        .map(|(k, e)| (items[*k].0.url.as_deref().unwrap_or("https://news.example.com/"), items[*k].0.archived_at, e))
        .collect();
    let refs = feedkeeper::archive::warc::append_exchanges(&folder.join("captures-2025-01.warc.gz"), &batch)
        .expect("write captures");
    for ((k, _), r) in exchanges.iter().zip(refs) {
        items[*k].0.capture = Some(r);
    }
}

/// `export --wacz` of every capture: time and peak memory.
fn wacz(dir: &Path) {
    let archive = ArchiveDir::new(dir.join("archive"));
    let store = archive.open_read().expect("open archive");
    let out = dir.join("bench.wacz");
    let meta = feedkeeper::wacz::Meta { title: "Benchmark", description: "", created: Utc::now() };
    let t = Instant::now();
    let (u0, s0) = cpu();
    let report = feedkeeper::wacz::write(
        store.as_ref(),
        &feedkeeper::archive::captures::LocalCaptures { folder: archive.capture_dir() },
        &Default::default(),
        &out,
        &meta,
    )
    .expect("export");
    let (u1, s1) = cpu();
    println!(
        "  wacz      {} records, {} pages, {:.0} MB in {:.2} s (CPU: user {:.2} s, system {:.2} s); peak RSS {:.0} MB",
        report.records,
        report.pages,
        report.bytes as f64 / 1e6,
        t.elapsed().as_secs_f64(),
        u1 - u0,
        s1 - s0,
        peak_mb()
    );
}

fn publish(dir: &Path) {
    let config = config(dir);
    let feeds = dir.join("feeds");
    let mut store = ArchiveDir::new(dir.join("archive")).create().expect("open archive");
    let n = store.log_len().expect("log");
    let t = Instant::now();
    let (u0, s0) = cpu();
    let report = feedkeeper::publish::publish(store.as_mut(), &config, &feeds).expect("publish");
    let full = t.elapsed();
    let (u1, s1) = cpu();
    let (files, bytes) = dir_size(&feeds);
    println!(
        "  full      {} in {:.2} s (CPU: user {:.2} s, system {:.2} s): {} files written, {files} files / {:.0} MB on disk, {} archive pages; peak RSS {:.0} MB",
        n,
        full.as_secs_f64(),
        u1 - u0,
        s1 - s0,
        report.written.len(),
        bytes as f64 / 1e6,
        report.archive_pages,
        peak_mb()
    );
    let t = Instant::now();
    let again = feedkeeper::publish::publish(store.as_mut(), &config, &feeds).expect("publish");
    println!("  no change {}: {} files written", ms(t.elapsed()), again.written.len());
    let mut times = Vec::new();
    let mut written = 0;
    let (u0, s0) = cpu();
    for k in 0..5 {
        let (a, keys) = article(n + 1_000_000 + k);
        store.put(&a, &keys).expect("put");
        let t = Instant::now();
        let r = feedkeeper::publish::publish(store.as_mut(), &config, &feeds).expect("publish");
        times.push(t.elapsed());
        written = r.written.len();
    }
    let (u1, s1) = cpu();
    times.sort();
    println!(
        "  one more  median {} (min {}, max {}; CPU per publish: user {}, system {}), {written} files written; peak RSS {:.0} MB",
        ms(times[2]),
        ms(times[0]),
        ms(times[4]),
        ms(Duration::from_secs_f64((u1 - u0) / 5.0)),
        ms(Duration::from_secs_f64((s1 - s0) / 5.0)),
        peak_mb()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--ingest") => {
            let n = args[1].parse().expect("size");
            ingest(n, Path::new(&args[2]));
            return;
        }
        Some("--publish") => {
            publish(Path::new(&args[1]));
            return;
        }
        Some("--wacz") => {
            wacz(Path::new(&args[1]));
            return;
        }
        _ => {}
    }
    let sizes: Vec<u64> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![10_000, 100_000] } else { sizes };
    let exe = std::env::current_exe().expect("current exe");
    // Folders are removed only at the end: on ext4 without a journal, creating files soon after
    // deleting many is much slower (recently freed inodes are skipped), which would charge
    // one size's clean-up to the next size's publish.
    let mut dirs = Vec::new();
    for n in sizes {
        let tmp = std::env::var_os("BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
        let dir = tempfile::Builder::new().prefix("feedkeeper-bench-").tempdir_in(tmp).expect("tempdir");
        println!("{n} articles ({})", dir.path().display());
        for args in [
            vec!["--ingest".to_string(), n.to_string(), dir.path().display().to_string()],
            vec!["--publish".to_string(), dir.path().display().to_string()],
            vec!["--wacz".to_string(), dir.path().display().to_string()],
        ] {
            let status = Command::new(&exe).args(&args).status().expect("run");
            assert!(status.success(), "{args:?} failed");
        }
        dirs.push(dir);
    }
}
