//! Fetch throughput on loopback: 1,000 sources polled through one `Fetcher`.
//!
//! Each source is its own host (a listener on its own 127.x.y.z address), so the per-host
//! limit does not serialise them; the caller's global concurrency is `CONCURRENCY`. Rounds:
//! conditional GETs all answered 304 (cold, then with pooled connections), then every
//! source returning a 50-item RSS feed (~51 KB), plain and gzip-encoded. Prints wall times
//! and peak resident memory (VmHWM). Run: `cargo bench --bench fetch`.

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use feedkeeper::fetch::{FetchConfig, FetchRequest, Fetcher};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SOURCES: usize = 1000;
const CONCURRENCY: usize = 64;
const ETAG: &str = "\"feed-v1\"";

struct Bodies {
    plain: Vec<u8>,
    gzip: Vec<u8>,
}

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
}

fn fmt_mib(kib: Option<u64>) -> String {
    kib.map(|k| format!("{:.1} MiB", k as f64 / 1024.0)).unwrap_or_else(|| "n/a".to_owned())
}

/// Source `i` listens on its own loopback address.
fn source_ip(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 10 + (i / 250) as u8, (i % 250) as u8, 1)
}

async fn serve(mut stream: TcpStream, bodies: Arc<Bodies>) {
    let mut buf = Vec::with_capacity(4096);
    let mut tmp = [0u8; 4096];
    loop {
        // One request head at a time; keep-alive until the client closes.
        let end = loop {
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            match stream.read(&mut tmp).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&tmp[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        buf.drain(..end);
        let conditional = head.contains(&format!("if-none-match: {}", ETAG.to_ascii_lowercase()));
        let gzip = head.starts_with("get /gz ");
        let mut out = Vec::with_capacity(256);
        if conditional {
            out.extend_from_slice(
                format!("HTTP/1.1 304 Not Modified\r\nETag: {ETAG}\r\nCache-Control: max-age=600\r\n\r\n").as_bytes(),
            );
        } else {
            let body = if gzip { &bodies.gzip } else { &bodies.plain };
            out.extend_from_slice(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: {ETAG}\r\n\
                     {}Content-Length: {}\r\n\r\n",
                    if gzip { "Content-Encoding: gzip\r\n" } else { "" },
                    body.len()
                )
                .as_bytes(),
            );
            out.extend_from_slice(body);
        }
        if stream.write_all(&out).await.is_err() {
            return;
        }
    }
}

async fn start_sources(bodies: Arc<Bodies>) -> Vec<SocketAddr> {
    let mut addrs = Vec::with_capacity(SOURCES);
    for i in 0..SOURCES {
        let listener =
            TcpListener::bind((source_ip(i), 0)).await.unwrap_or_else(|e| panic!("bind {}: {e}", source_ip(i)));
        addrs.push(listener.local_addr().expect("addr"));
        let bodies = bodies.clone();
        tokio::spawn(async move {
            while let Ok((s, _)) = listener.accept().await {
                let _ = s.set_nodelay(true);
                tokio::spawn(serve(s, bodies.clone()));
            }
        });
    }
    addrs
}

struct Round {
    elapsed: Duration,
    not_modified: usize,
    bytes: u64,
    failed: usize,
}

async fn round(fetcher: &Fetcher, addrs: &[SocketAddr], path: &str, conditional: bool) -> Round {
    let started = Instant::now();
    let results: Vec<_> = futures_util::stream::iter(addrs.iter().map(|a| {
        let mut req = FetchRequest::new(format!("http://{a}{path}"));
        if conditional {
            req.etag = Some(ETAG.to_owned());
        }
        let fetcher = fetcher.clone();
        async move { fetcher.get(&req).await.map(|r| (r.not_modified, r.body.len() as u64)) }
    }))
    .buffer_unordered(CONCURRENCY)
    .collect()
    .await;
    let elapsed = started.elapsed();
    let mut r = Round { elapsed, not_modified: 0, bytes: 0, failed: 0 };
    for res in results {
        match res {
            Ok((nm, len)) => {
                r.not_modified += usize::from(nm);
                r.bytes += len;
            }
            Err(e) => {
                if r.failed == 0 {
                    eprintln!("first failure: {e}");
                }
                r.failed += 1;
            }
        }
    }
    r
}

fn report(name: &str, r: &Round) {
    let secs = r.elapsed.as_secs_f64();
    println!(
        "{name:<44} {:>8.3} s  {:>8.0} req/s  {:>7.1} MB/s decoded  304s={} failed={}",
        secs,
        SOURCES as f64 / secs,
        r.bytes as f64 / secs / 1e6,
        r.not_modified,
        r.failed
    );
}

fn main() {
    let feed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fetch/feed-50-items.rss");
    let plain = std::fs::read(feed_path).expect("feed fixture");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).expect("gzip");
    let gzip = gz.finish().expect("gzip");
    println!(
        "fetch bench: {SOURCES} sources, one loopback host each, global concurrency {CONCURRENCY}; \
         feed {} B plain, {} B gzip",
        plain.len(),
        gzip.len()
    );
    let bodies = Arc::new(Bodies { plain, gzip });

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let addrs = start_sources(bodies).await;
        let fetcher = Fetcher::new(FetchConfig::default()).expect("fetcher");
        println!("baseline peak RSS (runtime + 1000 listeners): {}", fmt_mib(vm_hwm_kib()));

        let cold = round(&fetcher, &addrs, "/feed", true).await;
        report("conditional GET -> 304 (new connections)", &cold);
        let warm = round(&fetcher, &addrs, "/feed", true).await;
        report("conditional GET -> 304 (pooled connections)", &warm);
        println!("peak RSS after 304 rounds: {}", fmt_mib(vm_hwm_kib()));

        let full = round(&fetcher, &addrs, "/feed", false).await;
        report("GET -> 200, 50-item RSS", &full);
        let gz = round(&fetcher, &addrs, "/gz", false).await;
        report("GET -> 200, 50-item RSS gzip-encoded", &gz);
        println!("peak RSS after 200 rounds: {}", fmt_mib(vm_hwm_kib()));
        let target = if cold.elapsed <= Duration::from_secs(1) { "met" } else { "MISSED" };
        println!("target: 1000 conditional GETs in <= 1 s: {target} ({:.3} s cold)", cold.elapsed.as_secs_f64());
    });
}
