//! Our feed writer against the `atom_syndication` and `rss` crates writing the same feed:
//! `cargo bench --bench writer [-- N]` (default 5,000 entries).
//!
//! Both sides start from the same archive (an in-memory SQLite store of N realistic
//! articles, a third from upstream) and write one document of all N entries:
//!
//! - ours: `publish` rendering the subscription documents again (atom.xml and rss.xml
//!   removed after a first full publish), which reads the N entries from the store and
//!   writes atom.xml, rss.xml, feed.json and index.html — more work than the other side;
//! - crates: the same N entries read from the store with `Store::log_range`, built into an
//!   `atom_syndication::Feed` and an `rss::Channel` with the same fields, written to files.
//!
//! Time is the best of 3 runs; memory is the peak of bytes allocated during one run, above
//! what was allocated before it (a counting global allocator).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{Duration as Days, TimeZone, Utc};
use feedkeeper::archive::{Backend, DedupKeys, SqliteStore, Store};
use feedkeeper::article::{Article, Content, Identity, Origin, Person, SourceRef};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f`, returning its time and the peak of bytes allocated above the level before it.
fn measure(f: &mut dyn FnMut()) -> (Duration, usize) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let t = Instant::now();
    f();
    (t.elapsed(), PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

fn article(i: usize) -> (Article, DedupKeys) {
    let day = Utc.with_ymd_and_hms(2016, 1, 1, 6, 0, 0).single().expect("date") + Days::hours(7 * i as i64);
    let url = format!("https://news.example.com/{i}/report-on-the-prisoners?id={i}");
    let para = "Families of political prisoners gathered outside the prison & asked the UN rapporteur for an inquiry into the <1988> executions. ";
    let text: String = (0..3 + i % 5).map(|p| format!("{}\n\n", para.repeat(2 + (i + p) % 3))).collect();
    let upstream = i.is_multiple_of(3);
    let mut a = Article {
        id: Identity::Url(url.clone()).id(),
        title: format!("Report {i}: testimony of survivors & families"),
        summary: Some(format!("Summary of report {i}, with testimony from Geneva.")),
        content: Content { html: feedkeeper::content::text_to_html(&text), text },
        authors: vec![Person::named(format!("Author {}", i % 17))],
        published: Some(day),
        updated: day + Days::hours(1),
        url: Some(url.clone()),
        source: upstream.then(|| SourceRef {
            name: "Upstream News".into(),
            feed_url: Some("https://upstream.example.net/feed.xml".into()),
            upstream_id: Some(format!("tag:upstream.example.net,2016:{i}")),
            site_url: Some("https://upstream.example.net/".into()),
            feed_id: Some("tag:upstream.example.net,2016:feed".into()),
            feed_updated: Some(day),
        }),
        tags: vec!["iran".into(), ["un", "testimony", "1988-massacre"][i % 3].into()],
        language: Some("en".into()),
        content_hash: String::new(),
        archived_at: day + Days::days(1),
        origin: if upstream { Origin::Upstream } else { Origin::Manual },
        capture: None,
    };
    a.seal();
    let keys = DedupKeys { identity: Identity::Url(url.clone()).key(), canonical_url: Some(url), fingerprint: None };
    (a, keys)
}

const BASE: &str = "https://archive.example.org/feeds/";

fn atom_feed(entries: &[feedkeeper::archive::LogEntry]) -> atom_syndication::Feed {
    use atom_syndication::{Category, Content as AContent, Entry, Link, Person as APerson, Source, Text};
    let fixed = |d: chrono::DateTime<Utc>| d.fixed_offset();
    let mut feed = atom_syndication::Feed {
        id: format!("{BASE}atom.xml"),
        title: Text::plain("Test archive"),
        updated: fixed(entries.iter().map(|e| e.article.updated).max().unwrap_or_default()),
        ..Default::default()
    };
    feed.links = vec![Link { href: format!("{BASE}atom.xml"), rel: "self".into(), ..Default::default() }];
    for e in entries.iter().rev() {
        let a = &e.article;
        let mut entry = Entry {
            id: a.id.as_str().to_string(),
            title: Text::plain(a.title.clone()),
            updated: fixed(a.updated),
            published: a.published.map(fixed),
            authors: a.authors.iter().map(|p| APerson { name: p.name.clone(), ..Default::default() }).collect(),
            links: vec![Link { href: a.url.clone().unwrap_or_default(), ..Default::default() }],
            categories: a
                .tags
                .iter()
                .map(|t| Category { term: t.clone(), scheme: Some(format!("{BASE}tags/")), ..Default::default() })
                .collect(),
            summary: a.summary.clone().map(Text::plain),
            content: Some(AContent {
                value: Some(a.content.html.clone()),
                content_type: Some("html".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        if let Some(s) = &a.source {
            entry.source = Some(Source {
                title: Text::plain(s.name.clone()),
                id: s.feed_id.clone().unwrap_or_default(),
                updated: fixed(s.feed_updated.unwrap_or(a.archived_at)),
                links: vec![Link {
                    href: s.feed_url.clone().unwrap_or_default(),
                    rel: "self".into(),
                    ..Default::default()
                }],
                ..Default::default()
            });
        }
        feed.entries.push(entry);
    }
    feed
}

fn rss_channel(entries: &[feedkeeper::archive::LogEntry]) -> rss::Channel {
    let mut channel = rss::Channel {
        title: "Test archive".into(),
        link: format!("{BASE}index.html"),
        description: "Test".into(),
        ..Default::default()
    };
    for e in entries.iter().rev() {
        let a = &e.article;
        channel.items.push(rss::Item {
            title: Some(a.title.clone()),
            link: a.url.clone(),
            description: Some(a.content.html.clone()),
            author: a.authors.first().map(|p| p.name.clone()),
            categories: a.tags.iter().map(|t| rss::Category { name: t.clone(), domain: None }).collect(),
            guid: Some(rss::Guid { value: a.id.as_str().to_string(), permalink: false }),
            pub_date: a.published.map(|d| d.to_rfc2822()),
            source: a
                .source
                .as_ref()
                .map(|s| rss::Source { url: s.feed_url.clone().unwrap_or_default(), title: Some(s.name.clone()) }),
            ..Default::default()
        });
    }
    channel
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(5_000);
    let mut store = SqliteStore::open_in_memory().expect("store");
    let items: Vec<(Article, DedupKeys)> = (0..n).map(article).collect();
    for chunk in items.chunks(1000) {
        store.put_all(chunk).expect("put_all");
    }
    drop(items);
    let config_text = format!(
        "[site]\ntitle = \"Test archive\"\nbase_url = \"{BASE}\"\nauthor = \"Editors\"\n\n[publish]\npage_size = {n}\n"
    );
    let config = feedkeeper::config::parse(&config_text, std::path::Path::new("bench.toml")).expect("config");
    let dir = tempfile::tempdir().expect("tempdir");
    feedkeeper::publish::publish(&mut store, &config, dir.path()).expect("first publish");

    let mut ours = Vec::new();
    let mut ours_bytes = 0;
    for _ in 0..3 {
        for f in ["atom.xml", "rss.xml"] {
            std::fs::remove_file(dir.path().join(f)).expect("remove");
        }
        ours.push(measure(&mut || {
            feedkeeper::publish::publish(&mut store, &config, dir.path()).expect("publish");
        }));
        ours_bytes = ["atom.xml", "rss.xml"]
            .iter()
            .map(|f| std::fs::metadata(dir.path().join(f)).map_or(0, |m| m.len()))
            .sum::<u64>();
    }

    let theirs_dir = tempfile::tempdir().expect("tempdir");
    let mut theirs = Vec::new();
    let mut theirs_bytes = 0;
    for _ in 0..3 {
        theirs.push(measure(&mut || {
            let mut entries = Vec::with_capacity(n);
            store
                .log_range(1, n as u64, &mut |e| {
                    entries.push(e);
                    Ok(())
                })
                .expect("log_range");
            let atom = atom_feed(&entries);
            let file =
                std::io::BufWriter::new(std::fs::File::create(theirs_dir.path().join("atom.xml")).expect("create"));
            atom.write_to(file).expect("write atom");
            drop(atom);
            let channel = rss_channel(&entries);
            let file =
                std::io::BufWriter::new(std::fs::File::create(theirs_dir.path().join("rss.xml")).expect("create"));
            channel.write_to(file).expect("write rss");
        }));
        theirs_bytes = ["atom.xml", "rss.xml"]
            .iter()
            .map(|f| std::fs::metadata(theirs_dir.path().join(f)).map_or(0, |m| m.len()))
            .sum::<u64>();
    }
    let best = |runs: &[(Duration, usize)]| runs.iter().map(|r| r.0).min().unwrap_or_default();
    let peak = |runs: &[(Duration, usize)]| runs.iter().map(|r| r.1).max().unwrap_or_default();
    println!("{n} entries, one document each of Atom and RSS");
    println!(
        "ours   (publish: atom.xml + rss.xml + feed.json + index.html) {:>8.1} ms  peak {:>7.1} MiB  atom+rss {:.1} MiB",
        best(&ours).as_secs_f64() * 1e3,
        mib(peak(&ours)),
        mib(ours_bytes as usize)
    );
    println!(
        "crates (atom_syndication + rss: atom.xml + rss.xml)            {:>8.1} ms  peak {:>7.1} MiB  atom+rss {:.1} MiB",
        best(&theirs).as_secs_f64() * 1e3,
        mib(peak(&theirs)),
        mib(theirs_bytes as usize)
    );
    println!(
        "crates / ours: time {:.2}x, memory {:.2}x",
        best(&theirs).as_secs_f64() / best(&ours).as_secs_f64(),
        peak(&theirs) as f64 / peak(&ours).max(1) as f64
    );
}
