//! Fetcher tests against real HTTP servers on 127.0.0.x.
//!
//! The servers are hand-written tokio responders, so each test controls the exact bytes
//! and timing a misbehaving upstream would send; every response closes its connection,
//! which makes "connections at once" equal "requests at once".

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;

/// A request as the test server saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What the server sends back: byte runs, each after a pause.
#[derive(Debug, Clone, Default)]
struct Reply {
    steps: Vec<(Duration, Vec<u8>)>,
}

impl Reply {
    fn bytes(b: Vec<u8>) -> Reply {
        Reply { steps: vec![(Duration::ZERO, b)] }
    }

    fn after(mut self, pause: Duration, b: Vec<u8>) -> Reply {
        self.steps.push((pause, b));
        self
    }

    fn delayed(pause: Duration, b: Vec<u8>) -> Reply {
        Reply { steps: vec![(pause, b)] }
    }
}

type Handler = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

struct Server {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    connections: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl Server {
    async fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
        Server::start_on(Ipv4Addr::LOCALHOST, handler).await
    }

    async fn start_on(ip: Ipv4Addr, handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind((ip, 0)).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let handler: Handler = Arc::new(handler);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let active = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (s, c, a, p) = (seen.clone(), connections.clone(), active.clone(), peak.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                c.fetch_add(1, Ordering::SeqCst);
                let now = a.fetch_add(1, Ordering::SeqCst) + 1;
                p.fetch_max(now, Ordering::SeqCst);
                let (h, s, a) = (handler.clone(), s.clone(), a.clone());
                tokio::spawn(async move {
                    serve_one(stream, h, s).await;
                    a.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Server { addr, seen, connections, peak }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

async fn serve_one(mut stream: TcpStream, handler: Handler, seen: Arc<Mutex<Vec<Seen>>>) {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut tmp).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
        }
        if buf.len() > 65536 {
            return;
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let path = request_line.split(' ').nth(1).unwrap_or("/").to_owned();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let req = Seen { path, headers };
    seen.lock().expect("lock").push(req.clone());
    for (pause, bytes) in handler(&req).steps {
        tokio::time::sleep(pause).await;
        if stream.write_all(&bytes).await.is_err() {
            return;
        }
        let _ = stream.flush().await;
    }
    let _ = stream.shutdown().await;
}

/// A complete response with `Content-Length` and `Connection: close`.
fn http(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = head(status, headers);
    let len = format!("Content-Length: {}\r\n\r\n", body.len());
    out.truncate(out.len() - 2);
    out.extend_from_slice(len.as_bytes());
    out.extend_from_slice(body);
    out
}

/// A status line and headers with `Connection: close`, ending in the empty line.
fn head(status: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str("Connection: close\r\n\r\n");
    out.into_bytes()
}

/// A chunked body, one chunk per slice, with the terminator.
fn chunked(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(format!("{:x}\r\n", p.len()).as_bytes());
        out.extend_from_slice(p);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/fetch/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fetcher(f: impl FnOnce(&mut FetchConfig)) -> Fetcher {
    let mut cfg = FetchConfig {
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        ..FetchConfig::default()
    };
    f(&mut cfg);
    Fetcher::new(cfg).expect("fetcher")
}

const LAST_MODIFIED: &str = "Fri, 14 Sep 2018 10:00:00 GMT";

#[tokio::test]
async fn second_request_with_validators_gets_304() {
    let server = Server::start(|req| {
        let fresh =
            req.header("if-none-match") == Some("\"v1\"") || req.header("if-modified-since") == Some(LAST_MODIFIED);
        if fresh {
            Reply::bytes(http("304 Not Modified", &[("Cache-Control", "max-age=60")], b""))
        } else {
            Reply::bytes(http(
                "200 OK",
                &[
                    ("Content-Type", "application/rss+xml"),
                    ("ETag", "\"v1\""),
                    ("Last-Modified", LAST_MODIFIED),
                    ("Cache-Control", "public, max-age=300"),
                ],
                b"<rss/>",
            ))
        }
    })
    .await;
    let f = fetcher(|c| c.user_agent = "feedkeeper-test/1 (+http://x.test/)".to_owned());
    let first = f.get(&FetchRequest::new(server.url("/feed"))).await.expect("first");
    assert_eq!(first.status, 200);
    assert!(!first.not_modified);
    assert_eq!(first.body, b"<rss/>");
    assert_eq!(first.etag.as_deref(), Some("\"v1\""));
    assert_eq!(first.last_modified.as_deref(), Some(LAST_MODIFIED));
    assert_eq!(first.max_age, Some(Duration::from_secs(300)));
    assert_eq!(first.content_type.as_deref(), Some("application/rss+xml"));
    assert_eq!(first.header("ETAG"), Some("\"v1\""));
    assert!(first.headers.iter().all(|(n, _)| *n == n.to_ascii_lowercase()));
    let ex = first.exchange.as_ref().expect("exchange");
    let req_head = String::from_utf8_lossy(&ex.request_head);
    assert!(req_head.starts_with("GET /feed HTTP/1.1\r\n"), "{req_head}");
    assert!(req_head.contains(&format!("Host: {}\r\n", server.addr)), "{req_head}");
    assert!(req_head.contains("User-Agent: feedkeeper-test/1 (+http://x.test/)\r\n"));
    assert!(req_head.contains("Accept-Encoding: gzip, br\r\n"));
    assert!(req_head.ends_with("\r\n\r\n"));
    let resp_head = String::from_utf8_lossy(&ex.response_head);
    assert!(resp_head.starts_with("HTTP/1.1 200 OK\r\n"), "{resp_head}");
    assert!(resp_head.contains("etag: \"v1\"\r\n"), "{resp_head}");
    assert_eq!(ex.remote_ip, Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));

    let again = FetchRequest::new(server.url("/feed")).with_validators(first.etag.clone(), first.last_modified.clone());
    let second = f.get(&again).await.expect("second");
    assert_eq!(second.status, 304);
    assert!(second.not_modified);
    assert!(second.body.is_empty());
    // The 304 repeated neither validator: the request's are kept for next time.
    assert_eq!(second.etag.as_deref(), Some("\"v1\""));
    assert_eq!(second.last_modified.as_deref(), Some(LAST_MODIFIED));
    assert_eq!(second.max_age, Some(Duration::from_secs(60)));

    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].header("if-none-match"), None);
    assert_eq!(seen[0].header("user-agent"), Some("feedkeeper-test/1 (+http://x.test/)"));
    assert_eq!(seen[0].header("accept-encoding"), Some("gzip, br"));
    assert_eq!(seen[1].header("if-none-match"), Some("\"v1\""));
    assert_eq!(seen[1].header("if-modified-since"), Some(LAST_MODIFIED));
}

#[tokio::test]
async fn retry_after_in_seconds_and_as_a_date() {
    let server = Server::start(|req| match req.path.as_str() {
        "/busy" => Reply::bytes(http("429 Too Many Requests", &[("Retry-After", "120")], b"")),
        "/down" => Reply::bytes(http(
            "503 Service Unavailable",
            &[("Retry-After", "Wed, 21 Oct 2037 07:28:00 GMT")],
            b"maintenance",
        )),
        _ => Reply::bytes(http("404 Not Found", &[], b"gone")),
    })
    .await;
    let f = fetcher(|_| {});
    let err = f.get(&FetchRequest::new(server.url("/busy"))).await.expect_err("429");
    match &err {
        FetchError::Status { url, status: 429, retry_after: Some(RetryAfter::Seconds(120)) } => {
            assert!(url.ends_with("/busy"))
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.is_transient());
    assert_eq!(err.retry_after(), Some(RetryAfter::Seconds(120)));
    assert!(err.to_string().contains("/busy"), "{err}");

    let err = f.get(&FetchRequest::new(server.url("/down"))).await.expect_err("503");
    let expected = parse_http_date("Wed, 21 Oct 2037 07:28:00 GMT").expect("date");
    assert!(
        matches!(err, FetchError::Status { status: 503, retry_after: Some(RetryAfter::At(t)), .. } if t == expected),
        "{err:?}"
    );
    assert!(err.is_transient());

    let err = f.get(&FetchRequest::new(server.url("/missing"))).await.expect_err("404");
    assert!(matches!(err, FetchError::Status { status: 404, retry_after: None, .. }));
    assert!(!err.is_transient());
}

/// A policy that treats 127.0.0.2 as a public host, so a redirect *from* an allowed host
/// can be tested offline; everything else follows the real rules.
fn test_policy(ip: IpAddr) -> Option<&'static str> {
    if ip == IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)) { None } else { guard::forbidden(ip) }
}

#[tokio::test]
async fn guard_refuses_loopback_literals_and_names_before_connecting() {
    let server = Server::start(|_| Reply::bytes(http("200 OK", &[], b"secret"))).await;
    let f = fetcher(|_| {});
    let err = f.get(&FetchRequest::guarded(server.url("/admin"))).await.expect_err("literal");
    match &err {
        FetchError::Refused { addr, kind, url } => {
            assert_eq!(*addr, IpAddr::V4(Ipv4Addr::LOCALHOST));
            assert_eq!(*kind, "loopback");
            assert!(url.contains("127.0.0.1"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("127.0.0.1"), "{err}");
    assert!(!err.is_transient());

    let by_name = format!("http://localhost:{}/admin", server.addr.port());
    let err = f.get(&FetchRequest::guarded(by_name)).await.expect_err("resolved name");
    match &err {
        FetchError::Refused { addr, url, .. } => {
            assert!(addr.is_loopback(), "{addr}");
            assert!(url.contains("localhost"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 0);

    // Unguarded (a configured source), the same URL is fetched.
    let ok =
        f.get(&FetchRequest::new(format!("http://localhost:{}/admin", server.addr.port()))).await.expect("unguarded");
    assert_eq!(ok.body, b"secret");

    // allow_private lets guarded requests through too.
    let open = fetcher(|c| c.allow_private = true);
    let ok = open.get(&FetchRequest::guarded(server.url("/admin"))).await.expect("allow_private");
    assert_eq!(ok.body, b"secret");
}

#[tokio::test]
async fn guard_checks_every_redirect_hop() {
    let inside = Server::start(|_| Reply::bytes(http("200 OK", &[], b"internal"))).await;
    let port = inside.addr.port();
    let public = Server::start_on(Ipv4Addr::new(127, 0, 0, 2), move |req| {
        let to = match req.path.as_str() {
            "/to-literal" => format!("http://127.0.0.1:{port}/x"),
            "/to-name" => format!("http://localhost:{port}/x"),
            "/to-mapped" => format!("http://[::ffff:127.0.0.1]:{port}/x"),
            _ => "/ok".to_owned(),
        };
        if req.path == "/ok" {
            Reply::bytes(http("200 OK", &[], b"public"))
        } else {
            Reply::bytes(http("302 Found", &[("Location", &to)], b""))
        }
    })
    .await;
    let mut cfg = FetchConfig { timeout: Duration::from_secs(5), ..FetchConfig::default() };
    cfg.connect_timeout = Duration::from_secs(2);
    let f = Fetcher::with_policy(cfg, test_policy).expect("fetcher");

    // The allowed host redirecting to a relative path is followed.
    let ok = f.get(&FetchRequest::guarded(public.url("/relative"))).await.expect("relative");
    assert_eq!(ok.body, b"public");
    assert_eq!(ok.final_url, public.url("/ok"));
    assert_eq!(ok.url, public.url("/relative"));

    for path in ["/to-literal", "/to-name", "/to-mapped"] {
        let err = f.get(&FetchRequest::guarded(public.url(path))).await.expect_err(path);
        match &err {
            FetchError::Refused { addr, .. } => {
                assert!(test_policy(*addr).is_some(), "{path}: {addr}")
            }
            other => panic!("{path}: unexpected {other:?}"),
        }
    }
    assert_eq!(inside.connections.load(Ordering::SeqCst), 0);

    // Without the guard the redirect is followed.
    let ok = f.get(&FetchRequest::new(public.url("/to-literal"))).await.expect("unguarded");
    assert_eq!(ok.body, b"internal");
    assert_eq!(ok.final_url, format!("http://127.0.0.1:{port}/x"));
    assert_eq!(inside.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn redirect_loop_stops_at_the_limit() {
    let server = Server::start(|req| {
        let n: u32 = req.path.trim_start_matches("/hop/").parse().unwrap_or(0);
        Reply::bytes(http("301 Moved Permanently", &[("Location", &format!("/hop/{}", n + 1))], b""))
    })
    .await;
    let f = fetcher(|c| c.max_redirects = 3);
    let err = f.get(&FetchRequest::new(server.url("/hop/0"))).await.expect_err("loop");
    assert!(matches!(&err, FetchError::TooManyRedirects { max: 3, url } if url.ends_with("/hop/0")), "{err:?}");
    // The first request plus three redirects followed, and no more.
    assert_eq!(server.seen().len(), 4);

    let server = Server::start(|_| Reply::bytes(http("307 Temporary Redirect", &[("Location", "/same")], b""))).await;
    let err = fetcher(|_| {}).get(&FetchRequest::new(server.url("/same"))).await.expect_err("self loop");
    assert!(matches!(err, FetchError::TooManyRedirects { max: 10, .. }));
    assert_eq!(server.seen().len(), 11);
}

#[tokio::test]
async fn redirect_to_a_non_http_scheme_is_invalid() {
    let server = Server::start(|_| Reply::bytes(http("302 Found", &[("Location", "file:///etc/passwd")], b""))).await;
    let err = fetcher(|_| {}).get(&FetchRequest::new(server.url("/"))).await.expect_err("file redirect");
    assert!(matches!(err, FetchError::InvalidUrl { .. }), "{err:?}");
}

#[tokio::test]
async fn oversize_bodies_are_cut_off_with_and_without_content_length() {
    let big = vec![b'x'; 5000];
    let body = big.clone();
    let server = Server::start(move |req| match req.path.as_str() {
        "/declared" => Reply::bytes(http("200 OK", &[], &body)),
        "/undeclared" => {
            // No Content-Length: the body runs until the connection closes.
            let mut r = head("200 OK", &[]);
            r.extend_from_slice(&body);
            Reply::bytes(r)
        }
        "/chunked" => {
            let mut r = head("200 OK", &[("Transfer-Encoding", "chunked")]);
            r.extend_from_slice(&chunked(&[&body[..2500], &body[2500..]]));
            Reply::bytes(r)
        }
        "/lying" => {
            // Declares 10 bytes, sends 5000: hyper reads only what was declared.
            let mut r = head("200 OK", &[("Content-Length", "10")]);
            r.extend_from_slice(&body);
            Reply::bytes(r)
        }
        _ => Reply::bytes(http("200 OK", &[], &body[..1000])),
    })
    .await;
    let f = fetcher(|c| c.max_bytes = 1000);
    for path in ["/declared", "/undeclared", "/chunked"] {
        let err = f.get(&FetchRequest::new(server.url(path))).await.expect_err(path);
        assert!(matches!(&err, FetchError::TooLarge { limit: 1000, url } if url.ends_with(path)), "{path}: {err:?}");
        assert!(!err.is_transient());
    }
    let exact = f.get(&FetchRequest::new(server.url("/exact"))).await.expect("exactly max_bytes");
    assert_eq!(exact.body.len(), 1000);
    let lying = f.get(&FetchRequest::new(server.url("/lying"))).await.expect("lying length");
    assert_eq!(lying.body.len(), 10);
    assert_eq!(big.len(), 5000);
}

#[tokio::test]
async fn compression_bombs_are_cut_off() {
    let gz = fixture("zeros-64MiB.gz");
    let br = fixture("zeros-64MiB.br");
    let server = Server::start(move |req| {
        let (coding, body) = if req.path == "/gz" { ("gzip", &gz) } else { ("br", &br) };
        Reply::bytes(http("200 OK", &[("Content-Encoding", coding)], body))
    })
    .await;
    let f = fetcher(|c| c.max_bytes = 1 << 20);
    for path in ["/gz", "/br"] {
        let started = Instant::now();
        let err = f.get(&FetchRequest::new(server.url(path))).await.expect_err(path);
        assert!(matches!(err, FetchError::TooLarge { limit, .. } if limit == 1 << 20), "{path}: {err:?}");
        assert!(started.elapsed() < Duration::from_secs(3), "{path} took too long");
    }
}

#[tokio::test]
async fn dripping_server_is_cut_off_by_the_total_deadline() {
    let server = Server::start(|req| {
        if req.path == "/silent" {
            return Reply::delayed(Duration::from_secs(30), Vec::new());
        }
        let mut r = Reply::bytes(head("200 OK", &[("Content-Length", "1000")]));
        for _ in 0..1000 {
            r = r.after(Duration::from_millis(100), b"x".to_vec());
        }
        r
    })
    .await;
    let f = fetcher(|c| c.timeout = Duration::from_millis(800));
    for path in ["/drip", "/silent"] {
        let started = Instant::now();
        let err = f.get(&FetchRequest::new(server.url(path))).await.expect_err(path);
        let took = started.elapsed();
        assert!(
            matches!(&err, FetchError::Timeout { after, .. } if *after == Duration::from_millis(800)),
            "{path}: {err:?}"
        );
        assert!(err.is_transient());
        assert!(took >= Duration::from_millis(700), "{path}: {took:?}");
        assert!(took < Duration::from_millis(2000), "{path}: {took:?}");
    }
}

#[tokio::test]
async fn gzip_and_brotli_are_decoded_and_the_wire_bytes_kept() {
    let page = fixture("page.html");
    let gz = fixture("page.html.gz");
    let br = fixture("page.html.br");
    let (gz2, br2) = (gz.clone(), br.clone());
    let server = Server::start(move |req| match req.path.as_str() {
        "/gz" => Reply::bytes(http("200 OK", &[("Content-Type", "text/html"), ("Content-Encoding", "gzip")], &gz2)),
        "/br-chunked" => {
            let mut r = head("200 OK", &[("Content-Encoding", "br"), ("Transfer-Encoding", "chunked")]);
            let (a, b) = br2.split_at(br2.len() / 2);
            r.extend_from_slice(&chunked(&[a, b]));
            Reply::bytes(r)
        }
        _ => Reply::bytes(http("200 OK", &[("Content-Encoding", "gzip")], b"this is not gzip")),
    })
    .await;
    let f = fetcher(|_| {});
    let got = f.get(&FetchRequest::new(server.url("/gz"))).await.expect("gz");
    assert_eq!(got.body, page);
    let ex = got.exchange.expect("exchange");
    assert_eq!(ex.wire_body, gz);
    assert!(String::from_utf8_lossy(&ex.response_head).contains("content-encoding: gzip\r\n"));

    let got = f.get(&FetchRequest::new(server.url("/br-chunked"))).await.expect("br");
    assert_eq!(got.body, page);
    let ex = got.exchange.expect("exchange");
    assert_eq!(ex.wire_body, br, "wire body is transfer-decoded, content-encoded");
    assert!(String::from_utf8_lossy(&ex.response_head).contains("transfer-encoding: chunked\r\n"));

    let err = f.get(&FetchRequest::new(server.url("/bad"))).await.expect_err("bad gzip");
    assert!(
        matches!(&err, FetchError::Decode { coding, url, .. } if coding == "gzip" && url.ends_with("/bad")),
        "{err:?}"
    );
}

#[tokio::test]
async fn per_host_limit_caps_concurrent_connections() {
    let server = Server::start(|_| Reply::delayed(Duration::from_millis(150), http("200 OK", &[], b"ok"))).await;
    let f = fetcher(|c| c.per_host = 2);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..6 {
        let f = f.clone();
        let url = server.url(&format!("/item/{i}"));
        tasks.push(tokio::spawn(async move { f.get(&FetchRequest::new(url)).await }));
    }
    for t in tasks {
        t.await.expect("join").expect("fetch");
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 6);
    assert_eq!(server.peak.load(Ordering::SeqCst), 2);
    // Three rounds of two, not one round of six.
    assert!(started.elapsed() >= Duration::from_millis(400));

    // Another host name is another budget.
    let other = Server::start(|_| Reply::delayed(Duration::from_millis(150), http("200 OK", &[], b"ok"))).await;
    let both = fetcher(|c| c.per_host = 1);
    let a_req = FetchRequest::new(other.url("/a"));
    let a = both.get(&a_req);
    let local_name = format!("http://localhost:{}/b", other.addr.port());
    let b_req = FetchRequest::new(local_name);
    let b = both.get(&b_req);
    let (a, b) = tokio::join!(a, b);
    a.expect("a");
    b.expect("b");
    assert_eq!(other.peak.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn requests_waiting_for_a_busy_host_hold_no_global_slot() {
    let slow = Server::start(|_| Reply::delayed(Duration::from_millis(800), http("200 OK", &[], b"ok"))).await;
    let fast = Server::start(|_| Reply::bytes(http("200 OK", &[], b"ok"))).await;
    // Two requests in all, one per host: three requests to the slow host must leave the
    // second slot free for the fast one.
    let f = fetcher(|c| {
        c.per_host = 1;
        c.max_concurrent = 2;
    });
    let mut queued = Vec::new();
    for i in 0..3 {
        let f = f.clone();
        let url = slow.url(&format!("/slow/{i}"));
        queued.push(tokio::spawn(async move { f.get(&FetchRequest::new(url)).await }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    // Another host name (slots are per host name, not per port).
    let fast_url = format!("http://localhost:{}/fast", fast.addr.port());
    f.get(&FetchRequest::new(fast_url)).await.expect("fast");
    let waited = started.elapsed();
    assert!(waited < Duration::from_millis(500), "the fast host waited {waited:?} behind the slow one");
    for t in queued {
        t.await.expect("join").expect("slow");
    }
    assert_eq!(slow.peak.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn connection_refused_is_a_transient_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let err = fetcher(|_| {}).get(&FetchRequest::new(format!("http://{addr}/feed"))).await.expect_err("closed port");
    assert!(matches!(err, FetchError::Connect { .. }), "{err:?}");
    assert!(err.is_transient());
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

#[tokio::test]
async fn bad_urls_are_invalid() {
    let f = fetcher(|_| {});
    for url in ["", "ftp://example.org/feed", "http://", "gopher://x"] {
        let err = f.get(&FetchRequest::new(url)).await.expect_err(url);
        assert!(matches!(err, FetchError::InvalidUrl { .. }), "{url}: {err:?}");
    }
    assert!(matches!(
        Fetcher::new(FetchConfig { user_agent: "bad\nagent".to_owned(), ..FetchConfig::default() }),
        Err(FetchError::InvalidConfig { key: "user_agent", .. })
    ));
}

#[tokio::test]
async fn local_files_are_capped_and_not_modified_by_mtime() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("feed.rss");
    std::fs::write(&path, fixture("feed-50-items.rss")).expect("write");
    let f = fetcher(|_| {});
    let as_path = path.display().to_string();

    let first = f.get(&FetchRequest::new(&as_path)).await.expect("first");
    assert_eq!(first.status, 200);
    assert_eq!(first.body, fixture("feed-50-items.rss"));
    assert_eq!(first.content_type.as_deref(), Some("application/rss+xml"));
    assert!(first.final_url.starts_with("file:///"));
    assert!(first.exchange.is_none());
    let lm = first.last_modified.clone().expect("mtime");
    assert!(lm.ends_with(" GMT"), "{lm}");

    // Second run over the unchanged file: not modified, through a file:// URL too.
    let again = FetchRequest::new(&as_path).with_validators(None, Some(lm.clone()));
    let second = f.get(&again).await.expect("second");
    assert!(second.not_modified);
    assert_eq!(second.status, 304);
    assert!(second.body.is_empty());
    let file_url = url::Url::from_file_path(&path).expect("file url").to_string();
    let third = f.get(&FetchRequest::new(&file_url).with_validators(None, Some(lm.clone()))).await.expect("file url");
    assert!(third.not_modified);

    // The file changes (a new mtime): read again.
    let later = std::time::SystemTime::now() + Duration::from_secs(120);
    std::fs::File::options().write(true).open(&path).expect("open").set_modified(later).expect("touch");
    let fourth = f.get(&again).await.expect("changed");
    assert!(!fourth.not_modified);
    assert_ne!(fourth.last_modified.as_deref(), Some(lm.as_str()));

    // The same byte cap as HTTP.
    let small = fetcher(|c| c.max_bytes = 100);
    let err = small.get(&FetchRequest::new(&as_path)).await.expect_err("cap");
    assert!(matches!(err, FetchError::TooLarge { limit: 100, .. }), "{err:?}");

    // Errors name the path.
    let missing = dir.path().join("missing.xml");
    let err = f.get(&FetchRequest::new(missing.display().to_string())).await.expect_err("missing");
    assert!(matches!(&err, FetchError::Io { path, .. } if *path == missing));
    assert!(err.to_string().contains("missing.xml"), "{err}");

    // A link from an upstream item may not read local files.
    let err = f.get(&FetchRequest::guarded(&file_url)).await.expect_err("guarded file");
    assert!(matches!(err, FetchError::LocalFileRefused { .. }), "{err:?}");
}

#[test]
fn fetcher_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Fetcher>();
    fn assert_send<T: Send>(_: &T) {}
    let f = Fetcher::new(FetchConfig::default()).expect("fetcher");
    let req = FetchRequest::new("http://127.0.0.1:1/");
    assert_send(&f.get(&req));
}

#[test]
fn targets_are_classified() {
    assert!(matches!(parse_target("https://example.org/feed"), Ok(Target::Http(_))));
    assert!(matches!(parse_target("examples/feed.xml"), Ok(Target::File(_))));
    assert!(matches!(parse_target("/abs/feed.xml"), Ok(Target::File(_))));
    assert!(
        matches!(parse_target("file:///abs/feed.xml"), Ok(Target::File(p)) if p == std::path::Path::new("/abs/feed.xml"))
    );
    assert!(matches!(parse_target("mailto:x@example.org"), Err(FetchError::InvalidUrl { .. })));
}
