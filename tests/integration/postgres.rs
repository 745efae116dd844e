//! `[store] url = "postgres://…"`: the same commands against a throwaway PostgreSQL server
//! (started by the tests themselves, see `tests/services/postgres.rs`) give what they give
//! on SQLite — byte-identical feeds, `list`/`show`/`search`, `check` against a loopback
//! upstream — and an unreachable server or a busy archive lock give exit 1 or 75 with a
//! clear message that never shows the password.

use std::io::{Read, Write};
use std::net::TcpListener;

use crate::harness::{Site, expect_code, snapshot, stderr};
use crate::pg_server;

/// `[store] url = …` appended to a site's config.
fn use_store(site: &Site, url: &str) {
    let config = std::fs::read_to_string(site.config()).expect("config");
    std::fs::write(site.config(), format!("{config}\n[store]\nurl = \"{url}\"\n")).expect("config");
}

/// A snapshot with every time stamp of today (RFC 3339, to the second) masked.
fn without_todays_times(files: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let stamp = regex::bytes::Regex::new(&format!(r"{today}T\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)")).expect("regex");
    files.into_iter().map(|(name, bytes)| (name, stamp.replace_all(&bytes, &b"TODAY"[..]).into_owned())).collect()
}

/// Asserts two snapshots hold the same bytes, naming the first line that differs.
fn same_files(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)]) {
    assert_eq!(a.iter().map(|f| &f.0).collect::<Vec<_>>(), b.iter().map(|f| &f.0).collect::<Vec<_>>());
    for ((name, x), (_, y)) in a.iter().zip(b) {
        if x != y {
            let (x, y) = (String::from_utf8_lossy(x), String::from_utf8_lossy(y));
            let line = x.lines().zip(y.lines()).find(|(l, r)| l != r);
            panic!("{name} differs between SQLite and PostgreSQL: {line:?}");
        }
    }
}

/// The demo on PostgreSQL: the config points at a fresh database, `init` creates the schema.
fn demo_on_postgres() -> (Site, String) {
    let site = Site::demo();
    let url = pg_server::database();
    use_store(&site, &url);
    site.ok(&["init"]);
    (site, url)
}

#[test]
fn the_demo_published_from_postgres_is_byte_identical_to_sqlite() {
    let sqlite = Site::demo();
    let (pg, _) = demo_on_postgres();
    for site in [&sqlite, &pg] {
        site.ok(&["import", "articles"]);
        site.ok(&["publish"]);
    }
    // The two imports ran a moment apart: only the time each article was archived (today,
    // shown in its provenance) may differ. The migration test below compares every byte.
    let (a, b) = (without_todays_times(snapshot(&sqlite.feeds())), without_todays_times(snapshot(&pg.feeds())));
    assert!(a.len() > 5, "the demo publishes feeds");
    same_files(&a, &b);
    // Importing again changes nothing, and so does publishing again.
    let before = snapshot(&pg.feeds());
    pg.ok(&["import", "articles"]);
    pg.ok(&["publish"]);
    assert_eq!(snapshot(&pg.feeds()), before);
}

#[test]
fn list_show_and_search_read_the_postgres_archive() {
    let sqlite = Site::demo();
    let (pg, _) = demo_on_postgres();
    for site in [&sqlite, &pg] {
        site.ok(&["import", "articles"]);
    }
    let list = pg.ok(&["list", "--json"]);
    assert_eq!(list, sqlite.ok(&["list", "--json"]), "the same articles in the same order");
    let articles: serde_json::Value = serde_json::from_str(&list).expect("json");
    let first = articles[0]["id"].as_str().expect("an id").to_string();
    let shown = pg.ok(&["show", &first, "--json"]);
    assert!(shown.contains(&first), "{shown}");
    let found: serde_json::Value = serde_json::from_str(&pg.ok(&["search", "massacre", "--json"])).expect("json");
    assert!(!found.as_array().expect("an array").is_empty(), "search finds the seed article");
    let none: serde_json::Value = serde_json::from_str(&pg.ok(&["search", "((", "--json"])).expect("json");
    assert!(none.as_array().expect("an array").is_empty());
}

/// A loopback upstream answering every request from the table `pages` builds (given the
/// server's own base URL, so a feed can link to its pages).
fn upstream(pages: impl FnOnce(&str) -> Vec<(&'static str, &'static str, String)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let pages = pages(&base);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head);
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
            let reply = match pages.iter().find(|(p, _, _)| *p == path) {
                Some((_, kind, body)) => format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                ),
                None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
            };
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    base
}

#[test]
fn check_against_a_loopback_upstream_archives_into_postgres() {
    let page = "<html><head><title>Evin prison inquiry</title></head><body><article><h1>Evin prison inquiry</h1>\
        <p>Survivors of Evin prison describe the 1988 massacre of political prisoners to the inquiry in Geneva, \
        naming the death commission that sent thousands to their deaths in the summer of 1988.</p>\
        <p>The families ask the United Nations for an international inquiry into the executions.</p></article></body></html>";
    let served = upstream(|base| {
        let feed = format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Loopback news</title><link>{base}/</link>\
             <description>x</description><item><title>Evin prison inquiry</title><link>{base}/evin.html</link>\
             <guid>{base}/evin.html</guid><description>Survivors of Evin prison and the 1988 massacre.</description>\
             <pubDate>Fri, 14 Sep 2018 10:00:00 +0000</pubDate></item></channel></rss>"
        );
        vec![("/feed.xml", "application/rss+xml", feed), ("/evin.html", "text/html", page.to_string())]
    });
    let site = Site::new(
        10,
        &format!(
            "[relevance]\nkeywords = [\"Evin prison\"]\nlearn_from_archive = false\n\n[fetch]\nallow_private = true\n\n\
             [[sources]]\nname = \"Loopback\"\nurl = \"{served}/feed.xml\"\nevery = \"1s\"\n"
        ),
    );
    let url = pg_server::database();
    use_store(&site, &url);
    site.ok(&["init"]);
    let report: serde_json::Value = serde_json::from_str(&site.ok(&["run", "--json"])).expect("json");
    let source = &report["sources"][0];
    assert_eq!(source["outcome"], "fetched", "{report}");
    assert_eq!(source["kept"], 1, "{report}");
    let list: serde_json::Value = serde_json::from_str(&site.ok(&["list", "--json"])).expect("json");
    assert_eq!(list.as_array().expect("array").len(), 1, "{list}");
    assert_eq!(list[0]["title"], "Evin prison inquiry");
    let sources = site.ok(&["sources", "--json"]);
    assert!(sources.contains("Loopback"), "{sources}");
    let atom = std::fs::read_to_string(site.feeds().join("atom.xml")).expect("published");
    assert!(atom.contains("Evin prison inquiry"), "{atom}");
}

#[test]
fn an_unreachable_server_is_exit_1_naming_it_without_the_password() {
    let site = Site::new(10, "");
    let url = pg_server::nowhere();
    use_store(&site, &url);
    for args in [&["publish"][..], &["list"], &["run"], &["import", "feedkeeper.toml"], &["init"]] {
        let out = site.run(args);
        let err = stderr(&out);
        expect_code(&out, 1, args);
        let shown = url.replace(":secret", "");
        assert!(err.contains(&shown), "{args:?} names the database: {err}");
        assert!(!err.contains("secret"), "{args:?} never shows the password: {err}");
    }
    assert!(!site.feeds().join("atom.xml").exists(), "nothing published");
}

#[test]
fn a_database_without_the_schema_is_no_archive_until_init() {
    let site = Site::new(10, "");
    let url = pg_server::database();
    use_store(&site, &url);
    let out = site.run(&["publish"]);
    expect_code(&out, 1, &["publish"]);
    assert!(stderr(&out).contains("no archive here"), "{}", stderr(&out));
    site.ok(&["init"]);
    site.ok(&["publish"]);
    assert!(site.feeds().join("atom.xml").exists());
}

#[test]
fn a_held_archive_lock_is_exit_75_and_changes_nothing() {
    let (site, url) = demo_on_postgres();
    let mut holder = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    holder
        .execute("SELECT set_config('application_name', 'feedkeeper archive lock: the test', false)", &[])
        .expect("name");
    holder.query_one("SELECT pg_advisory_lock($1)", &[&feedkeeper::archive::lock::DATABASE_LOCK_KEY]).expect("lock");
    let out = site.run(&["import", "articles"]);
    expect_code(&out, 75, &["import"]);
    assert!(stderr(&out).contains("the test"), "names the holder: {}", stderr(&out));
    assert!(site.ok(&["list", "--json"]).trim() == "[]", "nothing was imported");
    drop(holder);
    site.ok(&["import", "articles"]);
}

#[test]
fn the_demo_migrated_to_postgres_publishes_byte_identical_feeds() {
    let site = Site::demo();
    site.ok(&["import", "articles"]);
    site.ok(&["run"]);
    let url = pg_server::database();
    let out = site.ok(&["migrate", "--to", &url]);
    assert!(out.contains("migrated"), "{out}");
    // Both archives publish into fresh folders: SQLite first, then PostgreSQL.
    std::fs::remove_dir_all(site.feeds()).expect("clear");
    site.ok(&["publish"]);
    let from_sqlite = snapshot(&site.feeds());
    assert!(from_sqlite.len() > 5, "the demo publishes feeds");
    let sqlite_list = site.ok(&["list", "--json"]);
    use_store(&site, &url);
    std::fs::remove_dir_all(site.feeds()).expect("clear");
    site.ok(&["publish"]);
    let from_pg = snapshot(&site.feeds());
    assert_eq!(from_sqlite.iter().map(|f| &f.0).collect::<Vec<_>>(), from_pg.iter().map(|f| &f.0).collect::<Vec<_>>());
    same_files(&from_sqlite, &from_pg);
    assert_eq!(site.ok(&["list", "--json"]), sqlite_list);
    assert!(site.ok(&["sources", "--json"]).contains("Iran Human Rights Monitor"));
    // A second migration into the now non-empty database is refused, changing nothing.
    let out = site.run(&["migrate", "--to", &url]);
    expect_code(&out, 1, &["migrate"]);
    assert!(stderr(&out).contains("already holds an archive"), "{}", stderr(&out));
    let out = site.run(&["migrate", "--to", "https://example.org/"]);
    expect_code(&out, 2, &["migrate", "--to", "https://example.org/"]);
}
