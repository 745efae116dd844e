//! Real servers on 127.0.0.1 over a copy of `tests/fixtures/serve/feeds` in a temp dir.
//! reqwest for ordinary requests; a raw socket for hostile paths (clients normalise `..`).

use super::*;
use std::io::{Read as _, Write as _};
use std::sync::Mutex as StdMutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

const SECRET: &str = "TOP-SECRET-MARKER";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/serve")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// A temp dir holding `feeds/` (the fixture) plus secrets outside it and traps inside it.
struct Site {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

fn site() -> Site {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("feeds");
    copy_dir(&fixtures().join("feeds"), &root);
    let secret = format!("{SECRET}\n");
    std::fs::write(tmp.path().join("secret.txt"), &secret).unwrap();
    std::fs::create_dir(tmp.path().join("outside")).unwrap();
    std::fs::write(tmp.path().join("outside/secret.txt"), &secret).unwrap();
    std::fs::write(root.join(".tmp-atom.xml"), &secret).unwrap();
    std::fs::create_dir(root.join(".hidden")).unwrap();
    std::fs::write(root.join(".hidden/secret.txt"), &secret).unwrap();
    std::fs::write(root.join("tags/iran/.atom.xml.tmp"), &secret).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink("../secret.txt", root.join("leak.txt")).unwrap();
        symlink(tmp.path().join("outside"), root.join("leakdir")).unwrap();
        symlink(".tmp-atom.xml", root.join("visible.xml")).unwrap();
        symlink("atom.xml", root.join("alias.xml")).unwrap();
    }
    Site { _tmp: tmp, root }
}

struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), ServeError>>>,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn stop(mut self) -> Result<(), ServeError> {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap()
    }
}

async fn start(root: &Path) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_on(listener, root.to_path_buf(), async {
        let _ = rx.await;
    }));
    Server { addr, stop: Some(tx), task: Some(task) }
}

/// A server with custom cache limits (no connect info: the access log says `-`).
async fn start_with(root: &Path, limits: Limits) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let app = router_with(root.to_path_buf(), limits);
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
            .map_err(|source| ServeError::Serve { addr, source })
    });
    Server { addr, stop: Some(tx), task: Some(task) }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).no_proxy().build().unwrap()
}

fn etag_of(bytes: &[u8]) -> String {
    format!("\"{}\"", blake3::hash(bytes).to_hex())
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

/// One response as the tests read it.
struct Reply {
    status: u16,
    head: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    /// A header's value, when present.
    fn header(&self, name: &str) -> Option<&str> {
        self.head.get(name).map(|v| v.to_str().unwrap())
    }

    /// The body, ungzipped when it was sent gzipped.
    fn decoded(&self) -> Vec<u8> {
        if self.header("content-encoding").is_some() { gunzip(&self.body) } else { self.body.clone() }
    }
}

/// Sends `method url` with `headers` (a name may repeat) and reads the whole response,
/// checking that a 304 carries no body but keeps the validators, caching headers and `Vary`.
async fn request(c: &reqwest::Client, method: Method, url: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = c.request(method, url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let head = res.headers().clone();
    let body = res.bytes().await.unwrap().to_vec();
    if status == 304 {
        assert!(body.is_empty(), "304 with a body");
        for name in ["etag", "cache-control"] {
            assert!(head.contains_key(name), "304 lacks {name}");
        }
        let compressible = negotiate::media_type(url.rsplit('/').next().unwrap_or("")).compressible;
        assert_eq!(head.contains_key("vary"), compressible, "a 304 varies as its 200 does");
    }
    Reply { status, head, body }
}

/// [`request`] with GET.
async fn get(c: &reqwest::Client, url: &str, headers: &[(&str, &str)]) -> Reply {
    request(c, Method::GET, url, headers).await
}

/// Sends `request_head` (without the final blank line) raw and reads until close.
async fn raw(addr: SocketAddr, request_head: &str) -> (u16, String, Vec<u8>) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("{request_head}\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.unwrap();
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("a header block");
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status in {head:?}"));
    (status, head, buf[split + 4..].to_vec())
}

/// Replaces `path` the way the publisher does: temp file in the same folder, then rename.
fn replace_atomically(path: &Path, bytes: &[u8]) {
    let tmp = path.with_file_name(format!(".{}.tmp", path.file_name().unwrap().to_string_lossy()));
    let mut f = std::fs::File::create(&tmp).unwrap();
    f.write_all(bytes).unwrap();
    f.sync_all().unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[tokio::test]
async fn fixture_table_types_cache_control_and_bodies() {
    let site = site();
    let server = start(&site.root).await;
    let client = client();
    let table = std::fs::read_to_string(fixtures().join("expected.tsv")).unwrap();
    let mut checked = 0;
    for line in table.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [target, status, mime, cache, file] = cols[..] else {
            panic!("bad expected.tsv line {line:?}");
        };
        let res = get(&client, &server.url(target), &[]).await;
        assert_eq!(res.status.to_string(), status, "{target}");
        if mime != "-" {
            assert_eq!(res.header("content-type"), Some(mime), "{target}");
            assert_eq!(res.header("x-content-type-options"), Some("nosniff"), "{target}");
        }
        if cache != "-" {
            assert_eq!(res.header("cache-control"), Some(cache), "{target}");
        }
        if status == "301" {
            let want = format!("{}/", target.split('?').next().unwrap());
            assert_eq!(res.header("location"), Some(want.as_str()), "{target}");
        }
        if file != "-" {
            let want = std::fs::read(fixtures().join(file)).unwrap();
            let compressible = negotiate::media_type(file).compressible;
            assert_eq!(res.header("vary").is_some(), compressible, "{target}: Vary");
            assert_eq!(res.header("etag"), Some(etag_of(&want).as_str()), "{target}");
            let lm = res.header("last-modified").expect("Last-Modified");
            httpdate::parse_http_date(lm).expect("an HTTP date");
            assert_eq!(res.header("content-length"), Some(want.len().to_string().as_str()));
            assert!(res.header("content-encoding").is_none());
            assert_eq!(res.body, want, "{target}");
        }
        checked += 1;
    }
    assert!(checked >= 20, "expected.tsv has only {checked} rows");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn conditional_requests_and_precedence() {
    let site = site();
    let server = start(&site.root).await;
    let c = client();
    let url = server.url("/atom.xml");
    let first = get(&c, &url, &[]).await;
    let etag = first.header("etag").unwrap();
    let lm = first.header("last-modified").unwrap();
    let long_ago = httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(86_400));
    // A date in the future is invalid, not "newer than the file".
    let tomorrow = httpdate::fmt_http_date(std::time::SystemTime::now() + std::time::Duration::from_secs(86_400));
    let (weak, listed) = (format!("W/{etag}"), format!("\"nope\", {etag}"));
    let cases: [(&[(&str, &str)], u16); 14] = [
        (&[("if-none-match", etag)], 304),
        (&[("if-none-match", &weak)], 304),
        (&[("if-none-match", &listed)], 304),
        (&[("if-none-match", "*")], 304),
        (&[("if-none-match", "\"nope\"")], 200),
        (&[("if-modified-since", lm)], 304),
        (&[("if-modified-since", &long_ago)], 200),
        (&[("if-modified-since", "not a date")], 200),
        (&[("if-modified-since", &tomorrow)], 200),
        // If-None-Match wins over If-Modified-Since, in both directions.
        (&[("if-none-match", "\"nope\""), ("if-modified-since", lm)], 200),
        (&[("if-none-match", etag), ("if-modified-since", &long_ago)], 304),
        // Two If-None-Match lines are one list.
        (&[("if-none-match", "\"a\""), ("if-none-match", etag)], 304),
        (&[("if-match", "\"nope\"")], 412),
        (&[("if-match", etag)], 200),
    ];
    for (headers, status) in cases {
        assert_eq!(get(&c, &url, headers).await.status, status, "{headers:?}");
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn gzip_negotiation_and_vary() {
    let site = site();
    let server = start(&site.root).await;
    let c = client();
    let atom = std::fs::read(site.root.join("atom.xml")).unwrap();
    let url = server.url("/atom.xml");

    let res = get(&c, &url, &[("accept-encoding", "br;q=1, gzip;q=0.5")]).await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(res.header("vary"), Some("accept-encoding"));
    assert_eq!(res.header("content-type"), Some("application/atom+xml"));
    let gz_etag = res.header("etag").unwrap().to_string();
    assert_ne!(gz_etag, etag_of(&atom), "gzip bytes need their own strong ETag");
    assert!(res.body.len() < atom.len());
    assert_eq!(gunzip(&res.body), atom);

    // The gzip ETag validates the gzip representation.
    let res = get(&c, &url, &[("accept-encoding", "gzip"), ("if-none-match", &gz_etag)]).await;
    assert_eq!(res.status, 304);
    assert_eq!(res.header("etag"), Some(gz_etag.as_str()));
    assert_eq!(res.header("vary"), Some("accept-encoding"));

    for ae in [None, Some("gzip;q=0"), Some("br"), Some("identity"), Some("gzip;q=0, *")] {
        let headers: Vec<(&str, &str)> = ae.map(|v| ("accept-encoding", v)).into_iter().collect();
        let res = get(&c, &url, &headers).await;
        assert!(res.header("content-encoding").is_none(), "{ae:?}");
        assert_eq!(res.header("vary"), Some("accept-encoding"), "{ae:?}");
        assert_eq!(res.body, atom);
    }
    let res = get(&c, &server.url("/feed.json"), &[("accept-encoding", "*")]).await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    // Too small to be worth it, but still varies.
    let res = get(&c, &server.url("/robots.txt"), &[("accept-encoding", "gzip")]).await;
    assert!(res.header("content-encoding").is_none());
    assert_eq!(res.header("vary"), Some("accept-encoding"));
    // Not compressible: no gzip, no Vary.
    let res = get(&c, &server.url("/logo.png"), &[("accept-encoding", "gzip")]).await;
    assert!(res.header("content-encoding").is_none());
    assert!(res.header("vary").is_none());
    server.stop().await.unwrap();
}

#[tokio::test]
async fn head_has_get_headers_and_no_body() {
    let site = site();
    let server = start(&site.root).await;
    for ae in ["identity", "gzip"] {
        let get = format!("GET /atom.xml HTTP/1.1\r\nAccept-Encoding: {ae}");
        let head = format!("HEAD /atom.xml HTTP/1.1\r\nAccept-Encoding: {ae}");
        let (gs, gh, gb) = raw(server.addr, &get).await;
        let (hs, hh, hb) = raw(server.addr, &head).await;
        assert_eq!((gs, hs), (200, 200));
        assert!(!gb.is_empty());
        assert!(hb.is_empty(), "HEAD sent {} body bytes", hb.len());
        let pick = |block: &str| -> Vec<String> {
            let mut lines: Vec<String> =
                block.lines().skip(1).map(str::to_ascii_lowercase).filter(|l| !l.starts_with("date:")).collect();
            lines.sort();
            lines
        };
        assert_eq!(pick(&gh), pick(&hh), "{ae}");
        assert!(pick(&hh).contains(&format!("content-length: {}", gb.len())), "{ae}: {hh}");
    }
    // A 304 to HEAD tells the real length (or none), never a made-up 0; to GET, no body.
    let atom = std::fs::read(site.root.join("atom.xml")).unwrap();
    let etag = etag_of(&atom);
    let (s, h, b) = raw(server.addr, &format!("HEAD /atom.xml HTTP/1.1\r\nIf-None-Match: {etag}")).await;
    assert_eq!(s, 304);
    assert!(b.is_empty());
    assert!(h.to_ascii_lowercase().contains(&format!("content-length: {}", atom.len())), "{h}");
    let (s, h, b) = raw(server.addr, &format!("GET /atom.xml HTTP/1.1\r\nIf-None-Match: {etag}")).await;
    assert_eq!(s, 304);
    assert!(b.is_empty());
    assert!(!h.to_ascii_lowercase().contains("content-length: 0"), "{h}");
    let res = request(&client(), Method::HEAD, &server.url("/"), &[]).await;
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn other_methods_get_405_with_allow() {
    let site = site();
    let server = start(&site.root).await;
    let c = client();
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let res = request(&c, m, &server.url("/atom.xml"), &[]).await;
        assert_eq!(res.status, 405, "{method}");
        assert_eq!(res.header("allow"), Some("GET, HEAD"), "{method}");
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn hostile_paths_never_leave_the_root() {
    let site = site();
    let server = start(&site.root).await;
    // The traps are real: the secret is there to be found by a careless server.
    assert!(std::fs::read_to_string(site.root.join("leak.txt")).unwrap().contains(SECRET));
    assert!(std::fs::read_to_string(site.root.join("visible.xml")).unwrap().contains(SECRET));
    let list = std::fs::read_to_string(fixtures().join("hostile-paths.txt")).unwrap();
    let mut checked = 0;
    for target in list.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        for method in ["GET", "HEAD"] {
            let (status, head, body) = raw(server.addr, &format!("{method} {target} HTTP/1.1")).await;
            let body = String::from_utf8_lossy(&body);
            assert!((400..500).contains(&status), "{method} {target} -> {status}\n{head}");
            assert!(!body.contains(SECRET), "{method} {target} leaked the secret");
            assert!(!body.contains("root:"), "{method} {target} leaked /etc/passwd");
        }
        checked += 1;
    }
    assert!(checked >= 30);
    // A symlink that stays inside the root is fine.
    let (status, _, body) = raw(server.addr, "GET /alias.xml HTTP/1.1").await;
    assert_eq!(status, 200);
    assert_eq!(body, std::fs::read(site.root.join("atom.xml")).unwrap());
    server.stop().await.unwrap();
}

#[tokio::test]
async fn replaced_file_is_served_new_at_once() {
    let site = site();
    let server = start(&site.root).await;
    let c = client();
    let path = site.root.join("atom.xml");
    let v1 = std::fs::read(&path).unwrap();
    // Same length as v1: only the version key (inode, times) tells them apart.
    let v2: Vec<u8> = v1.iter().map(|b| if *b == b'G' { b'g' } else { *b }).collect();
    assert_ne!(v1, v2);
    assert_eq!(v1.len(), v2.len());

    let url = server.url("/atom.xml");
    let fetch = |ae: &'static str| {
        let (c, url) = (&c, &url);
        async move {
            let res = get(c, url, &[("accept-encoding", ae)]).await;
            (res.header("etag").unwrap().to_string(), res.decoded())
        }
    };
    let (e1, b1) = fetch("identity").await;
    let (g1, gb1) = fetch("gzip").await;
    assert_eq!((b1.as_slice(), gb1.as_slice()), (v1.as_slice(), v1.as_slice()));

    replace_atomically(&path, &v2);
    let (e2, b2) = fetch("identity").await;
    let (g2, gb2) = fetch("gzip").await;
    assert_eq!(b2, v2);
    assert_eq!(gb2, v2);
    assert_ne!(e1, e2);
    assert_ne!(g1, g2);
    assert_eq!(e2, etag_of(&v2));
    // The old validator no longer matches.
    assert_eq!(get(&c, &url, &[("if-none-match", &e1)]).await.status, 200);

    // Rewritten in place with another length: also seen at once.
    let v3 = [v2.as_slice(), b"<!-- v3 -->\n"].concat();
    std::fs::write(&path, &v3).unwrap();
    let (e3, b3) = fetch("identity").await;
    assert_eq!(b3, v3);
    assert_eq!(e3, etag_of(&v3));
    server.stop().await.unwrap();
}

/// While the publisher keeps replacing a file, every response is one whole version whose
/// ETag is the hash of exactly those bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_stay_consistent_under_concurrent_replacement() {
    let site = site();
    let server = start(&site.root).await;
    let path = site.root.join("feed.json");
    let base = std::fs::read(&path).unwrap();
    let versions: Vec<Vec<u8>> =
        (0..20).map(|i| [base.as_slice(), format!("{i:>width$}\n", width = i + 1).as_bytes()].concat()).collect();
    let writer = {
        let versions = versions.clone();
        let path = path.clone();
        tokio::task::spawn_blocking(move || {
            for v in &versions {
                replace_atomically(&path, v);
                std::thread::sleep(std::time::Duration::from_millis(3));
            }
        })
    };
    let c = client();
    let mut seen = 0;
    while !writer.is_finished() || seen < 50 {
        let res = get(&c, &server.url("/feed.json"), &[]).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.header("etag"), Some(etag_of(&res.body).as_str()), "ETag and bytes from different versions");
        assert!(res.body == base || versions.contains(&res.body));
        seen += 1;
    }
    writer.await.unwrap();
    assert_eq!(&get(&c, &server.url("/feed.json"), &[]).await.body, versions.last().unwrap());
    server.stop().await.unwrap();
}

#[tokio::test]
async fn large_files_stream_with_cached_etag() {
    let site = site();
    let limits = Limits { max_cached_file: 4096, cache_budget: 1 << 20, min_gzip: 256 };
    let server = start_with(&site.root, limits).await;
    let c = client();
    let big: Vec<u8> = (0..300_000u32).flat_map(|i| format!("{i} ").into_bytes()).collect();
    let path = site.root.join("archive/1/photo.png");
    std::fs::write(&path, &big).unwrap();
    let txt = site.root.join("big.txt");
    std::fs::write(&txt, &big).unwrap();
    for target in ["/archive/1/photo.png", "/big.txt"] {
        let url = server.url(target);
        let res = get(&c, &url, &[("accept-encoding", "gzip")]).await;
        assert_eq!(res.status, 200);
        assert!(res.header("content-encoding").is_none(), "large files are not compressed");
        let etag = etag_of(&big);
        assert_eq!(res.header("etag"), Some(etag.as_str()));
        assert_eq!(res.header("content-length"), Some(big.len().to_string().as_str()));
        assert_eq!(res.body, big);
        assert_eq!(get(&c, &url, &[("if-none-match", &etag)]).await.status, 304);
        let res = request(&c, Method::HEAD, &url, &[]).await;
        assert_eq!(res.header("content-length"), Some(big.len().to_string().as_str()));
    }
    let res = get(&c, &server.url("/archive/1/photo.png"), &[]).await;
    assert_eq!(res.header("content-type"), Some("image/png"));
    assert_eq!(res.header("cache-control"), Some("public, max-age=31536000, immutable"));
    // Replaced: new bytes, new ETag.
    let big2 = [big.as_slice(), b"tail"].concat();
    replace_atomically(&txt, &big2);
    let res = get(&c, &server.url("/big.txt"), &[]).await;
    assert_eq!(res.header("etag"), Some(etag_of(&big2).as_str()));
    assert_eq!(res.body, big2);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn archive_page_becomes_immutable_when_the_next_one_appears() {
    let site = site();
    let server = start(&site.root).await;
    let c = client();
    let url = server.url("/archive/2/atom.xml");
    assert_eq!(get(&c, &url, &[]).await.header("cache-control"), Some("public, max-age=300"));
    std::fs::create_dir(site.root.join("archive/3")).unwrap();
    assert_eq!(get(&c, &url, &[]).await.header("cache-control"), Some("public, max-age=31536000, immutable"));
    server.stop().await.unwrap();
}

#[test]
fn cache_stays_within_budget() {
    let cache = Cache::new(10_000);
    let meta = std::fs::metadata(fixtures().join("feeds/atom.xml")).unwrap();
    for i in 0..50 {
        let body = Bytes::from(vec![b'x'; 1000]);
        let entry = Arc::new(Entry::new(Version::of(&meta), std::time::UNIX_EPOCH, &blake3::hash(&body), Some(body)));
        cache.insert(PathBuf::from(format!("/f{i}")), entry);
        assert!(cache.used() <= 10_000 + 2256, "used {}", cache.used());
    }
    let last = cache.get(Path::new("/f49"), &Version::of(&meta));
    assert!(last.is_some(), "the newest entry is kept");
}

/// Collects formatted tracing output.
#[derive(Clone, Default)]
struct Captured(Arc<StdMutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn serve_logs_start_and_one_access_line_per_request() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // With one registered dispatcher tracing computes a callsite's interest from the
    // thread that first hits it: another test's thread (no subscriber) would make the
    // access-log callsite "never" for everyone. A second live dispatcher makes tracing ask
    // all registered dispatchers instead.
    let _second = tracing::Dispatch::new(tracing_subscriber::fmt().with_writer(io::sink).finish());

    let site = site();
    let server = start(&site.root).await;
    let c = client();
    let len = get(&c, &server.url("/atom.xml?x=1"), &[]).await.body.len();
    assert_eq!(get(&c, &server.url("/nope.xml"), &[]).await.status, 404);
    server.stop().await.unwrap();

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains(&format!("serving {} on http://{}/", site.root.display(), server_addr(&log))), "{log}");
    let access: Vec<&str> = log.lines().filter(|l| l.contains(ACCESS_LOG)).collect();
    assert_eq!(access.len(), 2, "{log}");
    let first = access[0];
    for want in
        ["INFO", "method=GET", "path=/atom.xml", "status=200", &format!("bytes={len}"), "ms=", "remote=127.0.0.1:"]
    {
        assert!(first.contains(want), "{want:?} missing from {first:?}");
    }
    assert!(access[1].contains("status=404") && access[1].contains("path=/nope.xml"));
}

fn server_addr(log: &str) -> String {
    log.split("on http://").nth(1).and_then(|r| r.split('/').next()).unwrap_or("").to_string()
}

#[tokio::test]
async fn serve_reports_bad_root_and_busy_port() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing");
    let opts = ServeOptions { root: missing.clone(), listen: "127.0.0.1:0".parse().unwrap() };
    let err = serve(opts, async {}).await.unwrap_err();
    assert!(matches!(err, ServeError::Root { .. }));
    assert!(err.to_string().contains(&missing.display().to_string()), "{err}");

    let file = tmp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let opts = ServeOptions { root: file, listen: "127.0.0.1:0".parse().unwrap() };
    assert!(matches!(serve(opts, async {}).await, Err(ServeError::NotADirectory { .. })));

    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap();
    let opts = ServeOptions { root: tmp.path().to_path_buf(), listen: addr };
    let err = serve(opts, async {}).await.unwrap_err();
    assert!(matches!(err, ServeError::Bind { .. }));
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

#[tokio::test]
async fn serve_runs_until_shutdown() {
    let site = site();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen: SocketAddr = ([127, 0, 0, 1], port).into();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(ServeOptions { root: site.root.clone(), listen }, async {
        let _ = rx.await;
    }));
    let mut up = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(listen).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(up, "server came up");
    assert_eq!(get(&client(), &format!("http://{listen}/"), &[]).await.status, 200);
    tx.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(5), task).await.unwrap().unwrap().unwrap();
}

/// curl is on the machine and on CI (which installs it): a real client's conditional GET.
#[tokio::test]
async fn curl_etag_save_and_compare() {
    let site = site();
    let server = start(&site.root).await;
    let url = server.url("/atom.xml");
    let etag_file = site.root.parent().unwrap().join("etag.txt");
    let curl = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            std::process::Command::new("curl")
                .args(&args)
                .output()
                .unwrap_or_else(|e| panic!("curl must be installed (CI installs it): {e}"))
        })
    };
    let ef = etag_file.display().to_string();
    let out = curl(vec![
        "-sS".into(),
        "-o".into(),
        "/dev/null".into(),
        "-w".into(),
        "%{http_code}".into(),
        "--etag-save".into(),
        ef.clone(),
        url.clone(),
    ])
    .await
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
    let saved = std::fs::read_to_string(&etag_file).unwrap();
    assert_eq!(saved.trim(), etag_of(&std::fs::read(site.root.join("atom.xml")).unwrap()));
    let compare = vec![
        "-sS".into(),
        "-o".into(),
        "/dev/null".into(),
        "-w".into(),
        "%{http_code}".into(),
        "--etag-compare".into(),
        ef.clone(),
        url.clone(),
    ];
    let out = curl(compare.clone()).await.unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "304");
    // With gzip negotiated by curl itself, the gzip validator round-trips too.
    let gz = vec![
        "-sS".into(),
        "--compressed".into(),
        "-o".into(),
        "/dev/null".into(),
        "-w".into(),
        "%{http_code}".into(),
        "--etag-save".into(),
        ef.clone(),
        url.clone(),
    ];
    assert_eq!(String::from_utf8_lossy(&curl(gz).await.unwrap().stdout), "200");
    let gz_compare = vec![
        "-sS".into(),
        "--compressed".into(),
        "-o".into(),
        "/dev/null".into(),
        "-w".into(),
        "%{http_code}".into(),
        "--etag-compare".into(),
        ef.clone(),
        url.clone(),
    ];
    assert_eq!(String::from_utf8_lossy(&curl(gz_compare).await.unwrap().stdout), "304");
    // After a publish, the saved ETag is stale: 200.
    replace_atomically(&site.root.join("atom.xml"), b"<feed xmlns=\"http://www.w3.org/2005/Atom\"/>\n");
    let out = curl(compare).await.unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
    server.stop().await.unwrap();
}

/// Deploys that flip a `feeds` symlink to a new folder are followed at once, and the
/// canonical root is worked out again for the new folder.
#[cfg(unix)]
#[tokio::test]
async fn root_symlink_flip_serves_the_new_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    copy_dir(&fixtures().join("feeds"), &a);
    copy_dir(&fixtures().join("feeds"), &b);
    std::fs::write(b.join("atom.xml"), "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>b</title></feed>\n")
        .unwrap();
    std::fs::write(a.join("only-in-a.txt"), "a\n").unwrap();
    let current = tmp.path().join("current");
    std::os::unix::fs::symlink(&a, &current).unwrap();
    let server = start(&current).await;
    let c = client();
    let (atom, only_in_a) = (server.url("/atom.xml"), server.url("/only-in-a.txt"));
    assert_eq!(get(&c, &atom, &[]).await.body, std::fs::read(a.join("atom.xml")).unwrap());
    assert_eq!(get(&c, &only_in_a, &[]).await.status, 200);
    let next = tmp.path().join("current.next");
    std::os::unix::fs::symlink(&b, &next).unwrap();
    std::fs::rename(&next, &current).unwrap();
    assert_eq!(get(&c, &atom, &[]).await.body, std::fs::read(b.join("atom.xml")).unwrap());
    assert_eq!(get(&c, &only_in_a, &[]).await.status, 404);
    server.stop().await.unwrap();
}

/// Only published files are served: a config, database, lock or temp file that ends up in
/// the feeds folder is a 404, and so are symlink loops and folders without an index page.
#[tokio::test]
async fn only_published_files_are_served() {
    let site = site();
    for name in ["feedkeeper.toml", "archive.sqlite3", "archive.sqlite3-wal", "lock", "atom.xml.tmp1234"] {
        std::fs::write(site.root.join(name), SECRET).unwrap();
    }
    std::fs::create_dir_all(site.root.join("tags")).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("loop-b.xml", site.root.join("loop-a.xml")).unwrap();
        std::os::unix::fs::symlink("loop-a.xml", site.root.join("loop-b.xml")).unwrap();
    }
    let server = start(&site.root).await;
    let c = client();
    for target in ["/feedkeeper.toml", "/archive.sqlite3", "/archive.sqlite3-wal", "/lock", "/atom.xml.tmp1234"] {
        let res = get(&c, &server.url(target), &[]).await;
        assert_eq!(res.status, 404, "{target}");
        assert!(!String::from_utf8_lossy(&res.body).contains(SECRET), "{target} leaked");
    }
    #[cfg(unix)]
    assert_eq!(get(&c, &server.url("/loop-a.xml"), &[]).await.status, 404, "a symlink loop is not found");
    assert_eq!(get(&c, &server.url("/tags"), &[]).await.status, 404, "no redirect to a folder without an index");
    assert_eq!(get(&c, &server.url("/tags/"), &[]).await.status, 404);
    std::fs::create_dir(site.root.join("listed")).unwrap();
    std::fs::write(site.root.join("listed/index.html"), "<p>hi</p>").unwrap();
    let res = get(&c, &server.url("/listed"), &[]).await;
    assert_eq!((res.status, res.header("location")), (301, Some("/listed/")));
    server.stop().await.unwrap();
}

/// A hostile client: many silent connections and one half-sent header neither lock out a
/// normal request nor keep a shutdown waiting (before, the half-sent header blocked it
/// until the client left).
#[tokio::test]
async fn silent_and_half_sent_clients_neither_block_requests_nor_shutdown() {
    let site = site();
    let server = start(&site.root).await;
    let mut silent = Vec::new();
    for _ in 0..200 {
        silent.push(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    }
    let mut half = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    half.write_all(b"GET /atom.xml HTTP/1.1\r\nHost: loc").await.unwrap();
    assert_eq!(get(&client(), &server.url("/atom.xml"), &[]).await.status, 200);
    // A generous bound: the point is a hang, not speed.
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(30), server.stop()).await;
    assert!(stopped.is_ok(), "shutdown waited for the half-sent header");
    drop((silent, half));
}

#[tokio::test]
async fn single_byte_ranges_from_memory_and_from_disk() {
    let site = site();
    // Files up to 4 KiB are served from memory, larger ones streamed from disk.
    let limits = Limits { max_cached_file: 4096, cache_budget: 1 << 20, min_gzip: 256 };
    let server = start_with(&site.root, limits).await;
    let c = client();
    let big: Vec<u8> = (0..300_000u32).flat_map(|i| format!("{i} ").into_bytes()).collect();
    std::fs::write(site.root.join("archive/1/atom.xml"), &big).unwrap();
    let small = std::fs::read(site.root.join("atom.xml")).unwrap();
    assert!(small.len() <= 4096, "the fixture's atom.xml is served from memory");
    for (target, bytes) in [("/atom.xml", &small), ("/archive/1/atom.xml", &big)] {
        let url = server.url(target);
        let len = bytes.len();
        let res = get(&c, &url, &[("range", "bytes=10-99")]).await;
        assert_eq!(res.status, 206, "{target}");
        assert_eq!(res.body, bytes[10..100], "{target}");
        assert_eq!(res.header("content-range"), Some(format!("bytes 10-99/{len}").as_str()));
        assert_eq!(res.header("content-length"), Some("90"));
        assert!(res.header("content-encoding").is_none(), "a range is of the file's own bytes");
        let res = get(&c, &url, &[("range", "bytes=-7"), ("accept-encoding", "gzip")]).await;
        assert_eq!((res.status, res.body.as_slice()), (206, &bytes[len - 7..]), "{target}");
        let res = get(&c, &url, &[("range", &format!("bytes={len}-"))]).await;
        assert_eq!(res.status, 416, "{target}");
        assert_eq!(res.header("content-range"), Some(format!("bytes */{len}").as_str()));
        // An If-Range for another version, or several ranges, get the whole file.
        let res = get(&c, &url, &[("range", "bytes=0-9"), ("if-range", "\"old\"")]).await;
        assert_eq!((res.status, res.body.len()), (200, len), "{target}");
        assert_eq!(res.header("accept-ranges"), Some("bytes"));
        let etag = res.header("etag").unwrap();
        let res = get(&c, &url, &[("range", "bytes=0-9"), ("if-range", etag)]).await;
        assert_eq!((res.status, res.body.as_slice()), (206, &bytes[..10]), "{target}");
        let res = get(&c, &url, &[("range", "bytes=0-1,5-6")]).await;
        assert_eq!((res.status, res.body.len()), (200, len), "{target}");
    }
    server.stop().await.unwrap();
}
