//! A throwaway PostgreSQL server for the tests, and a fresh database per test.
//!
//! One file, included by `#[path]` from both the library's unit tests (the archive
//! conformance suite) and the integration-test binary, so there is one home for it.
//!
//! [`database`] starts the server once per test binary: it finds the server binaries
//! (`/usr/lib/postgresql/*/bin`, else `PATH`), runs `initdb --auth=trust -U postgres` into a
//! temporary folder and starts `postgres` on 127.0.0.1 on a free port with its socket in that
//! folder — as the `postgres` user when the tests run as root (the server refuses root). The
//! server runs under a small `sh` wrapper whose standard input is a pipe from the test
//! process: when the test process ends, however it ends, the pipe closes and the wrapper
//! stops the server (`pg_ctl stop -m immediate`) and removes the folder.
//! `FEEDKEEPER_TEST_POSTGRES=postgres://…` uses an existing server instead. When neither
//! works the test fails with a message naming the Debian package `postgresql`: it never
//! skips. Each call creates its own database (`CREATE DATABASE fk_<random>`).

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The environment variable naming an existing server to use instead of a throwaway one.
pub const ENV: &str = "FEEDKEEPER_TEST_POSTGRES";

/// A running server: the URL of its `postgres` database, and the wrapper that stops it.
struct Server {
    url: String,
    /// The wrapper's stdin is kept open for the life of the test process.
    _wrapper: Option<Child>,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();

/// A fresh, empty database on the test server: its URL (`postgres://postgres@127.0.0.1:PORT/fk_…`).
pub fn database() -> String {
    let server = SERVER.get_or_init(start).as_ref().unwrap_or_else(|e| {
        panic!(
            "these tests need a PostgreSQL server: install the Debian package `postgresql` \
             (server binaries in /usr/lib/postgresql/*/bin), or set {ENV}=postgres://user@host/db \
             to use a running one. {e}"
        )
    });
    let name = format!("fk_{}", uuid::Uuid::new_v4().simple());
    let mut client = postgres::Client::connect(&server.url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL at {}: {e}", server.url));
    client.batch_execute(&format!("CREATE DATABASE {name}")).expect("create a test database");
    with_database(&server.url, &name)
}

/// `url` with its path replaced by `/name`.
fn with_database(url: &str, name: &str) -> String {
    let mut u = url::Url::parse(url).expect("a PostgreSQL URL");
    u.set_path(&format!("/{name}"));
    u.to_string()
}

/// A URL where no server listens (a port just freed on loopback), for the "unreachable" tests.
pub fn nowhere() -> String {
    format!("postgres://feedkeeper:secret@127.0.0.1:{}/archive", free_port())
}

fn start() -> Result<Server, String> {
    if let Ok(url) = std::env::var(ENV)
        && !url.trim().is_empty()
    {
        return Ok(Server { url: url.trim().to_string(), _wrapper: None });
    }
    let bin = server_bin().ok_or("no PostgreSQL server binaries (`initdb`, `postgres`, `pg_ctl`) found")?;
    let root = std::env::temp_dir().join(format!("fk-pg-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    let as_root = unsafe { libc::geteuid() } == 0;
    if as_root {
        let done = Command::new("chown").arg("-R").arg("postgres:postgres").arg(&root).status();
        if !done.is_ok_and(|s| s.success()) {
            return Err(format!("cannot give {} to the `postgres` user (is there one?)", root.display()));
        }
    }
    let data = root.join("data");
    let out = as_user(as_root, &bin.join("initdb"))
        .args(["--auth=trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync", "-D"])
        .arg(&data)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let port = free_port();
    let run = |cmd: &Path| -> String {
        let q = |p: &Path| format!("'{}'", p.display());
        if as_root { format!("runuser -u postgres -- {}", q(cmd)) } else { q(cmd) }
    };
    let script = format!(
        "{postgres} -D '{data}' -k '{root}' -h 127.0.0.1 -p {port} -c fsync=off -c synchronous_commit=off \
           -c full_page_writes=off -c max_connections=200 >'{root}/log' 2>&1 &\n\
         cat >/dev/null\n\
         {pg_ctl} -D '{data}' stop -m immediate >/dev/null 2>&1\n\
         wait\n\
         rm -rf '{root}'\n",
        postgres = run(&bin.join("postgres")),
        pg_ctl = run(&bin.join("pg_ctl")),
        data = data.display(),
        root = root.display(),
    );
    let wrapper = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the PostgreSQL wrapper: {e}"))?;
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match postgres::Client::connect(&url, postgres::NoTls) {
            Ok(_) => return Ok(Server { url, _wrapper: Some(wrapper) }),
            Err(e) if Instant::now() > deadline => {
                let log = std::fs::read_to_string(root.join("log")).unwrap_or_default();
                stop(wrapper);
                return Err(format!("the test server did not start on port {port}: {e}\n{log}"));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// Closes the wrapper's stdin, which stops the server, and waits for it.
fn stop(mut wrapper: Child) {
    if let Some(mut stdin) = wrapper.stdin.take() {
        let _ = stdin.flush();
    }
    let _ = wrapper.wait();
}

fn as_user(as_root: bool, program: &Path) -> Command {
    if as_root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// The folder of `postgres`, `initdb` and `pg_ctl`: the newest `/usr/lib/postgresql/*/bin`,
/// else the one on `PATH`.
fn server_bin() -> Option<PathBuf> {
    let has_all = |d: &Path| ["postgres", "initdb", "pg_ctl"].iter().all(|b| d.join(b).is_file());
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, d)| has_all(d))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Some(dir);
    }
    std::env::var_os("PATH")?.to_str()?.split(':').map(PathBuf::from).find(|d| has_all(d))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}
