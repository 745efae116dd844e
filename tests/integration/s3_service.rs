//! A throwaway S3 API server for tests: `moto_server` (PyPI `moto[server]`) on a free
//! loopback port, started once per test binary and dying with it. The server runs under a
//! `sh` wrapper that reads its stdin, a pipe from this process that is never written to nor
//! closed: when the test process ends the pipe closes, `read` returns and the wrapper kills
//! the server. `FEEDKEEPER_TEST_S3=http://127.0.0.1:PORT` uses a server already running.
//!
//! Each test makes its own bucket ([`bucket`]). A server that cannot start fails the test,
//! naming what to install; it never skips. Included with `#[path]` by the unit tests of
//! `src/objects.rs` and by the integration tests, so it is written once.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The running server: its endpoint, and the wrapper with the stdin pipe that keeps it alive.
struct Service {
    endpoint: String,
    _wrapper: Option<Mutex<(Child, ChildStdin)>>,
}

static SERVICE: OnceLock<Result<Service, String>> = OnceLock::new();
static BUCKETS: AtomicUsize = AtomicUsize::new(0);

/// The credentials and region the tests hand the program: moto accepts any.
pub const ACCESS_KEY: &str = "feedkeeper-test";
pub const SECRET_KEY: &str = "feedkeeper-test-secret";
pub const REGION: &str = "us-east-1";

/// The server's `http://127.0.0.1:PORT`, starting it on first use. Panics (failing the
/// test) with what to install when it cannot start.
pub fn endpoint() -> String {
    match SERVICE.get_or_init(start) {
        Ok(s) => s.endpoint.clone(),
        Err(e) => panic!("{e}"),
    }
}

/// The AWS environment variables that point the program at the test server.
pub fn env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_string()),
        ("AWS_REGION", REGION.to_string()),
    ]
}

/// Creates a new, empty bucket (a plain `PUT /bucket`) and returns its name.
pub fn bucket(hint: &str) -> String {
    let n = BUCKETS.fetch_add(1, Ordering::SeqCst);
    let hint: String = hint.chars().filter(|c| c.is_ascii_alphanumeric()).take(20).collect::<String>().to_lowercase();
    let name = format!("fk-{}-{n}-{hint}", std::process::id());
    let (status, body) = request("PUT", &format!("/{name}"), &[]);
    assert!(status == 200, "cannot create bucket {name} on {}: HTTP {status}: {body}", endpoint());
    name
}

/// A raw HTTP/1.1 request to the server (moto accepts unsigned requests): the status and the
/// body as text.
pub fn request(method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let (status, _, body) = request_full(method, path, body);
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// [`request`] with the response headers (names lowercased) and the body as bytes.
pub fn request_full(method: &str, path: &str, body: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let endpoint = endpoint();
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(host).unwrap_or_else(|e| panic!("cannot reach the S3 test server {host}: {e}"));
    // moto answers anonymous object reads with 403; it checks no signature, but wants one.
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20260101/{REGION}/s3/aws4_request, SignedHeaders=host, Signature=00"
    );
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body)).expect("send a request to moto");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read moto's answer");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP answer from moto");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked")) {
        body = dechunk(&body);
    }
    (status, headers, body)
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&raw[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[eol + 2 + size + 2..];
    }
    out
}

/// The keys in `bucket` under `prefix`, sorted (one `ListObjectsV2` page: tests hold few).
pub fn keys(bucket: &str, prefix: &str) -> Vec<String> {
    let (status, body) = request("GET", &format!("/{bucket}?list-type=2&max-keys=1000&prefix={prefix}"), &[]);
    assert_eq!(status, 200, "list {bucket}: {body}");
    let mut keys: Vec<String> = body
        .split("<Key>")
        .skip(1)
        .filter_map(|part| part.split_once("</Key>").map(|(k, _)| k.replace("&amp;", "&")))
        .collect();
    keys.sort();
    keys
}

fn start() -> Result<Service, String> {
    if let Ok(url) = std::env::var("FEEDKEEPER_TEST_S3")
        && !url.trim().is_empty()
    {
        let url = url.trim().trim_end_matches('/').to_string();
        let host = url.trim_start_matches("http://").to_string();
        TcpStream::connect(&host).map_err(|e| format!("FEEDKEEPER_TEST_S3={url}: cannot connect: {e}"))?;
        return Ok(Service { endpoint: url, _wrapper: None });
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free loopback port for the S3 test server: {e}"))?
        .port();
    let log = std::env::temp_dir().join(format!("feedkeeper-moto-{}-{port}.log", std::process::id()));
    let script = r#"
        if command -v moto_server >/dev/null 2>&1; then
            moto_server -H 127.0.0.1 -p "$1" >"$2" 2>&1 &
        else
            python3 -m moto.server -H 127.0.0.1 -p "$1" >"$2" 2>&1 &
        fi
        pid=$!
        read -r _ignored
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        rm -f "$2"
    "#;
    let mut child = Command::new("sh")
        .args(["-c", script, "moto-wrapper", &port.to_string(), &log.display().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run sh to start moto_server: {e}"))?;
    let stdin = child.stdin.take().ok_or("no stdin pipe to the moto wrapper")?;
    let addr = format!("127.0.0.1:{port}");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if TcpStream::connect(&addr).is_ok() {
            return Ok(Service { endpoint: format!("http://{addr}"), _wrapper: Some(Mutex::new((child, stdin))) });
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        let log_text = std::fs::read_to_string(&log).unwrap_or_default();
        if log_text.contains("No module named") || log_text.contains("not found") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    Err(format!(
        "the S3 test server (moto) did not start on {addr}: install it with `pip install 'moto[server]'` \
         (or point FEEDKEEPER_TEST_S3 at a running one). Its output:\n{log_text}"
    ))
}
