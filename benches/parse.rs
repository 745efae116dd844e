//! Throughput of the upstream feed parser (decode + repair + parse), printed as MB/s:
//! over the fixture corpus (clean and broken feeds, repeated to a few MB) and over a large
//! clean 50-item RSS 2.0 document parsed many times. When `python3` with `feedparser` is
//! installed, the same inputs are timed with Python's feedparser and the ratio is printed.
//!
//! Run: `cargo bench --bench parse` (harness = false; plain timing, no statistics crate).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use feedkeeper::upstream::parse_feed;

struct Doc {
    path: PathBuf,
    bytes: Vec<u8>,
    content_type: Option<String>,
    feed_url: String,
}

fn corpus() -> Vec<Doc> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upstream");
    let mut docs = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s).to_string();
        let exp: serde_json::Value = std::fs::read_to_string(dir.join(format!("{stem}.expected.json")))
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        docs.push(Doc {
            bytes: std::fs::read(&path).expect("read fixture"),
            content_type: exp["content_type"].as_str().map(str::to_string),
            feed_url: exp["feed_url"].as_str().unwrap_or("https://feeds.example.org/f").to_string(),
            path,
        });
    }
    docs
}

/// A clean RSS 2.0 feed with 50 WordPress-like items (about 150 KB).
fn large_rss() -> Vec<u8> {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>Large Clean Feed</title>
<link>https://large.example.org/</link>
<atom:link href="https://large.example.org/feed/" rel="self" type="application/rss+xml"/>
<description>Fifty items of realistic size</description>
<language>en-US</language>
"#,
    );
    for i in 0..50 {
        let para = "<p>Survivors and relatives of the victims described the events of the summer of 1988, \
                    when thousands of political prisoners were executed after hearings that lasted minutes. \
                    Speakers called on the United Nations to open an independent inquiry &amp; to preserve the evidence.</p>\n";
        s.push_str(&format!(
            r#"<item>
<title>Item {i}: Geneva conference &amp; the 1988 massacre — testimony {i}</title>
<link>https://large.example.org/2018/09/{i:02}/geneva-conference-testimony-{i}/</link>
<dc:creator><![CDATA[Reporter {i}]]></dc:creator>
<pubDate>Fri, 14 Sep 2018 {h:02}:{m:02}:00 +0000</pubDate>
<category><![CDATA[Iran]]></category><category><![CDATA[Human rights]]></category>
<guid isPermaLink="false">https://large.example.org/?p={id}</guid>
<description><![CDATA[Survivors described the events of 1988 in Geneva; item {i} of the large feed&#8230;]]></description>
<content:encoded><![CDATA[{body}]]></content:encoded>
</item>
"#,
            h = i % 24,
            m = i % 60,
            id = 1000 + i,
            body = para.repeat(12),
        ));
    }
    s.push_str("</channel>\n</rss>\n");
    s.into_bytes()
}

/// Parses the documents round-robin until at least `min_bytes` were parsed; returns MB/s.
fn measure(docs: &[(&[u8], Option<&str>, &str)], min_bytes: usize) -> (f64, usize, Duration) {
    // Warm up.
    for (b, ct, url) in docs {
        let _ = parse_feed(b, *ct, url);
    }
    let mut total = 0usize;
    let start = Instant::now();
    while total < min_bytes {
        for (b, ct, url) in docs {
            let r = parse_feed(b, *ct, url);
            std::hint::black_box(&r);
            total += b.len();
        }
    }
    let el = start.elapsed();
    (total as f64 / 1e6 / el.as_secs_f64(), total, el)
}

const PY: &str = r#"
import sys, time, json, feedparser
spec = json.load(open(sys.argv[1]))
out = {}
for name, files, min_bytes in spec:
    docs = [(open(p, 'rb').read(), ct, url) for p, ct, url in files]
    for b, ct, url in docs:
        feedparser.parse(b, response_headers={'content-type': ct or '', 'content-location': url})
    total = 0
    t0 = time.perf_counter()
    while total < min_bytes:
        for b, ct, url in docs:
            h = {'content-location': url}
            if ct: h['content-type'] = ct
            feedparser.parse(b, response_headers=h)
            total += len(b)
    out[name] = total / 1e6 / (time.perf_counter() - t0)
print(json.dumps(out))
"#;

fn main() {
    let docs = corpus();
    let corpus_bytes: usize = docs.iter().map(|d| d.bytes.len()).sum();
    let corpus_in: Vec<(&[u8], Option<&str>, &str)> =
        docs.iter().map(|d| (d.bytes.as_slice(), d.content_type.as_deref(), d.feed_url.as_str())).collect();
    let big = large_rss();
    let big_in = [(big.as_slice(), Some("application/rss+xml; charset=UTF-8"), "https://large.example.org/feed/")];

    let corpus_target = 4_000_000;
    let big_target = 40_000_000;
    let (c_mbs, c_total, c_el) = measure(&corpus_in, corpus_target);
    let (b_mbs, b_total, b_el) = measure(&big_in, big_target);
    println!("feedkeeper upstream::parse_feed");
    println!(
        "  corpus    {} docs, {} KB once; parsed {:.1} MB in {:.3} s: {:.1} MB/s",
        docs.len(),
        corpus_bytes / 1000,
        c_total as f64 / 1e6,
        c_el.as_secs_f64(),
        c_mbs
    );
    println!(
        "  large RSS 50 items, {} KB; parsed {:.1} MB in {:.3} s: {:.1} MB/s ({:.0} feeds/s)",
        big.len() / 1000,
        b_total as f64 / 1e6,
        b_el.as_secs_f64(),
        b_mbs,
        b_total as f64 / big.len() as f64 / b_el.as_secs_f64()
    );

    // The slowest documents, to show where per-document cost goes.
    let mut per_doc: Vec<(f64, String)> = docs
        .iter()
        .map(|d| {
            let runs = 200;
            let start = Instant::now();
            for _ in 0..runs {
                std::hint::black_box(parse_feed(&d.bytes, d.content_type.as_deref(), &d.feed_url).ok());
            }
            let name = d.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            (start.elapsed().as_secs_f64() * 1e6 / f64::from(runs), name)
        })
        .collect();
    per_doc.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("  slowest documents (µs per parse):");
    for (us, name) in per_doc.iter().take(5) {
        println!("    {us:8.1}  {name}");
    }

    // Python feedparser on the same inputs, when available.
    let tmp = std::env::temp_dir().join(format!("feedkeeper-bench-{}", std::process::id()));
    if std::fs::create_dir_all(&tmp).is_err() {
        return;
    }
    let big_path = tmp.join("large.xml");
    let script = tmp.join("bench.py");
    let spec_path = tmp.join("spec.json");
    let spec = serde_json::json!([
        [
            "corpus",
            docs.iter().map(|d| serde_json::json!([d.path, d.content_type, d.feed_url])).collect::<Vec<_>>(),
            1_000_000
        ],
        ["large", [[big_path, "application/rss+xml; charset=UTF-8", "https://large.example.org/feed/"]], 3_000_000],
    ]);
    let written = std::fs::write(&big_path, &big).is_ok()
        && std::fs::write(&script, PY).is_ok()
        && std::fs::write(&spec_path, spec.to_string()).is_ok();
    let output = if written { Command::new("python3").arg(&script).arg(&spec_path).output().ok() } else { None };
    let _ = std::fs::remove_dir_all(&tmp);
    match output.filter(|o| o.status.success()) {
        Some(o) => {
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
            let pc = v["corpus"].as_f64().unwrap_or(f64::NAN);
            let pb = v["large"].as_f64().unwrap_or(f64::NAN);
            println!("python feedparser");
            println!("  corpus    {pc:.2} MB/s   -> feedkeeper is {:.0}x faster", c_mbs / pc);
            println!("  large RSS {pb:.2} MB/s   -> feedkeeper is {:.0}x faster", b_mbs / pb);
        }
        None => println!("python feedparser: skipped (python3 with feedparser not available)"),
    }
}
