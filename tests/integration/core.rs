//! The core commands end to end: init, import, list, show, search, publish; config errors;
//! schema refusal; determinism; moving the archive; walking the RFC 5005 archive.

use std::collections::BTreeMap;
use std::path::Path;

use crate::harness::{Site, copy_dir, expect_code, fixture, snapshot, stderr};

fn seed() -> std::path::PathBuf {
    fixture("import/seed.txt")
}

/// Writes `n` small distinct articles as plain-text files, one day apart.
fn write_articles(site: &Site, folder: &str, n: usize) {
    for i in 0..n {
        let day = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date") + chrono::Duration::days(i as i64);
        let text = format!(
            "Report number {i} on detentions\n\nA short standfirst for report {i}\n\nBy Test Reporter\n\n{} - Paragraph one of report {i} describes the hearing in detail.\n\nParagraph two of report {i} records what the families said.\n",
            day.format("%B %-d, %Y")
        );
        site.write(&format!("{folder}/report-{i:04}.txt"), &text);
    }
}

#[test]
fn seed_imports_field_by_field_through_the_binary() {
    let site = Site::new(50, "");
    let out = site.ok(&["import", seed().to_str().expect("utf8")]);
    assert!(out.contains("1 added"), "{out}");
    let list: serde_json::Value = serde_json::from_str(&site.ok(&["list", "--json"])).expect("json");
    let items = list.as_array().expect("array");
    assert_eq!(items.len(), 1);
    let a = &items[0];
    assert_eq!(a["title"], "Geneva conference calls for inquiry into the massacre of Iranian political prisoners");
    assert_eq!(a["summary"], "Dignitaries, politicians reiterated the need to investigate the 1988 massacre in Iran");
    assert_eq!(a["authors"], serde_json::json!(["PMOI/MEK"]));
    assert_eq!(a["source"], "PMOI/MEK");
    assert_eq!(a["published"], "2018-09-14T00:00:00Z");
    for key in ["id", "url", "tags"] {
        assert!(a.get(key).is_some(), "list --json has `{key}`");
    }
    let id = a["id"].as_str().expect("id");
    assert!(id.starts_with("urn:uuid:"), "{id}");

    // Re-import keeps one article.
    let again = site.ok(&["import", seed().to_str().expect("utf8")]);
    assert!(again.contains("0 added") && again.contains("1 unchanged"), "{again}");
    let list: serde_json::Value = serde_json::from_str(&site.ok(&["list", "--json"])).expect("json");
    assert_eq!(list.as_array().expect("array").len(), 1);

    // show by a short prefix of the uuid, text and JSON.
    let prefix = &id["urn:uuid:".len().."urn:uuid:".len() + 8];
    let shown = site.ok(&["show", prefix]);
    assert!(shown.contains("Geneva conference calls for inquiry"), "{shown}");
    assert!(shown.contains("imported from seed.txt"), "{shown}");
    let shown: serde_json::Value = serde_json::from_str(&site.ok(&["show", id, "--json"])).expect("json");
    let text = shown["text"].as_str().expect("text");
    assert!(text.starts_with("Sept. 14, 2018 - In a conference held in Geneva"), "{text}");
    assert!(text.trim_end().ends_with("the Iranian regime is never going to investigate itself.”"), "{text}");
    assert!(!text.contains("728 x 90"));
    assert_eq!(shown["versions"].as_array().expect("versions").len(), 1);

    // search finds it, with a highlighted snippet.
    let hits: serde_json::Value = serde_json::from_str(&site.ok(&["search", "mass graves", "--json"])).expect("json");
    let hits = hits.as_array().expect("array");
    assert_eq!(hits.len(), 1);
    assert!(hits[0]["snippet"].as_str().expect("snippet").contains("[mass] [graves]"), "{}", hits[0]["snippet"]);
    let none: serde_json::Value = serde_json::from_str(&site.ok(&["search", "football", "--json"])).expect("json");
    assert_eq!(none.as_array().expect("array").len(), 0);
}

#[test]
fn show_of_an_unknown_id_is_a_usage_error() {
    let site = Site::new(50, "");
    site.ok(&["import", seed().to_str().expect("utf8")]);
    let out = site.run(&["show", "no-such-id"]);
    expect_code(&out, 2, &["show"]);
    assert!(stderr(&out).contains("no article matches `no-such-id`"), "{}", stderr(&out));
}

#[test]
fn a_folder_import_reports_bad_files_and_imports_the_rest() {
    let site = Site::new(50, "");
    write_articles(&site, "in", 3);
    site.write("in/empty.txt", "");
    std::fs::write(site.path().join("in/binary.txt"), [0u8, 159, 146, 150, 0, 1, 2]).expect("write");
    site.write("in/.hidden.txt", "Hidden\n\nnot imported");
    let out = site.run(&["import", "in"]);
    let stdout = expect_code(&out, 3, &["import", "in"]);
    let err = stderr(&out);
    assert!(err.contains("empty.txt") && err.contains("binary.txt"), "{err}");
    assert!(!err.contains(".hidden"), "{err}");
    assert!(stdout.contains("3 added") && stdout.contains("2 failed"), "{stdout}");
    let list: serde_json::Value = serde_json::from_str(&site.ok(&["list", "--json"])).expect("json");
    assert_eq!(list.as_array().expect("array").len(), 3);
}

#[test]
fn init_writes_a_working_config_and_never_overwrites() {
    let dir = tempfile::tempdir().expect("tempdir");
    let site_dir = dir.path().join("site");
    let bin = env!("CARGO_BIN_EXE_feedkeeper");
    let out = std::process::Command::new(bin).arg("init").arg(&site_dir).output().expect("run");
    expect_code(&out, 0, &["init"]);
    assert!(site_dir.join("archive").is_dir() && site_dir.join("feeds").is_dir());
    let config = site_dir.join("feedkeeper.toml");
    let before = std::fs::read(&config).expect("config");
    let out = std::process::Command::new(bin).arg("init").arg(&site_dir).output().expect("run");
    expect_code(&out, 2, &["init", "again"]);
    assert!(stderr(&out).contains("feedkeeper.toml") && stderr(&out).contains("not overwriting"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&config).expect("config"), before);
    // The written config works.
    let out = std::process::Command::new(bin).arg("--config").arg(&config).arg("list").output().expect("run");
    expect_code(&out, 0, &["list"]);
}

#[test]
fn config_errors_exit_2_naming_file_line_and_key() {
    let site = Site::new(50, "[fetch]\ntimout = \"5s\"\n");
    let out = site.run(&["list"]);
    expect_code(&out, 2, &["list"]);
    let err = stderr(&out);
    let config = site.config().display().to_string();
    assert!(err.contains(&format!("{config}:10:")), "{err}");
    assert!(err.contains("key `fetch.timout`") && err.contains("unknown field"), "{err}");
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_feedkeeper"))
        .args(["--config", "/nonexistent/feedkeeper.toml", "list"])
        .output()
        .expect("run");
    expect_code(&missing, 2, &["list"]);
    assert!(stderr(&missing).contains("/nonexistent/feedkeeper.toml"), "{}", stderr(&missing));
}

#[test]
fn an_archive_from_a_newer_schema_is_refused_untouched() {
    let site = Site::new(50, "");
    site.ok(&["import", seed().to_str().expect("utf8")]);
    let db = site.path().join("archive/feedkeeper.sqlite3");
    {
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.pragma_update(None, "user_version", 999).expect("bump");
    }
    let before = snapshot(&site.path().join("archive"));
    for args in [&["publish"][..], &["list"], &["import", seed().to_str().expect("utf8")]] {
        let out = site.run(args);
        expect_code(&out, 1, args);
        assert!(stderr(&out).contains("newer feedkeeper") && stderr(&out).contains("999"), "{}", stderr(&out));
    }
    let after = snapshot(&site.path().join("archive"));
    let names = |s: &[(String, Vec<u8>)]| s.iter().filter(|(n, _)| n != "lock").cloned().collect::<Vec<_>>();
    assert_eq!(names(&before), names(&after), "nothing changed");
}

/// Entry ids per file, parsed with feed-rs.
fn ids(path: &Path) -> Vec<String> {
    let feed = feed_rs::parser::parse(std::fs::File::open(path).expect("open")).expect("parse");
    feed.entries.into_iter().map(|e| e.id).collect()
}

#[test]
fn publishing_is_deterministic_and_survives_moving_the_archive() {
    let site = Site::new(4, "");
    write_articles(&site, "in", 11);
    site.ok(&["import", "in", seed().to_str().expect("utf8")]);
    site.ok(&["publish"]);
    let first = snapshot(&site.feeds());
    assert!(first.iter().any(|(n, _)| n == "atom.xml") && first.iter().any(|(n, _)| n == "feed.json"));
    site.ok(&["publish"]);
    assert_eq!(snapshot(&site.feeds()), first, "byte-identical on republish");

    // Move the whole installation elsewhere: same ids, same bytes.
    let moved = tempfile::tempdir().expect("tempdir");
    let target = moved.path().join("elsewhere");
    copy_dir(site.path(), &target);
    std::fs::remove_dir_all(target.join("feeds")).expect("clear feeds");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_feedkeeper"))
        .arg("--config")
        .arg(target.join("feedkeeper.toml"))
        .arg("publish")
        .output()
        .expect("run");
    expect_code(&out, 0, &["publish", "moved"]);
    assert_eq!(snapshot(&target.join("feeds")), first, "moving the archive changes no byte");

    // Re-importing everything into a fresh archive gives the same ids.
    let fresh = Site::new(4, "");
    copy_dir(&site.path().join("in"), &fresh.path().join("in"));
    fresh.ok(&["import", "in", seed().to_str().expect("utf8")]);
    fresh.ok(&["publish"]);
    let mut a = ids(&site.feeds().join("atom.xml"));
    let mut b = ids(&fresh.feeds().join("atom.xml"));
    a.sort();
    b.sort();
    assert_eq!(a, b, "ids survive re-import");
}

#[test]
fn walking_prev_archive_sees_every_article_exactly_once() {
    let page = 5;
    let site = Site::new(page, "");
    write_articles(&site, "in", 3 * page);
    site.ok(&["import", "in"]);
    site.ok(&["publish"]);
    let listed: serde_json::Value = serde_json::from_str(&site.ok(&["list", "--json"])).expect("json");
    let all: Vec<String> =
        listed.as_array().expect("array").iter().map(|a| a["id"].as_str().expect("id").to_string()).collect();
    assert_eq!(all.len(), 3 * page);

    let base = "https://archive.example.org/feeds/";
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut next = Some(site.feeds().join("atom.xml"));
    let mut documents = 0;
    while let Some(path) = next.take() {
        documents += 1;
        assert!(documents < 100, "prev-archive loops");
        let feed = feed_rs::parser::parse(std::fs::File::open(&path).expect("open")).expect("parse");
        for e in &feed.entries {
            *seen.entry(e.id.clone()).or_default() += 1;
        }
        if let Some(prev) = feed.links.iter().find(|l| l.rel.as_deref() == Some("prev-archive")) {
            let rel = prev.href.strip_prefix(base).expect("absolute link under base_url");
            next = Some(site.feeds().join(rel));
        }
    }
    assert!(documents >= 3, "the archive is paged ({documents} documents)");
    for id in &all {
        assert_eq!(seen.get(id), Some(&1), "{id} seen exactly once");
    }
    assert_eq!(seen.len(), all.len());
}

#[test]
fn adding_an_article_leaves_full_archive_pages_untouched() {
    let site = Site::new(3, "");
    write_articles(&site, "in", 10);
    site.ok(&["import", "in"]);
    site.ok(&["publish"]);
    let before: BTreeMap<String, Vec<u8>> = snapshot(&site.feeds()).into_iter().collect();
    site.ok(&["import", seed().to_str().expect("utf8")]);
    site.ok(&["publish"]);
    let after: BTreeMap<String, Vec<u8>> = snapshot(&site.feeds()).into_iter().collect();
    // 10 entries, page 3: archive pages cover seq 1..=7 → pages 1, 2 full, page 3 partial.
    for page in ["archive/1/atom.xml", "archive/2/atom.xml", "archive/1/rss.xml", "archive/1/feed.json"] {
        assert_eq!(before.get(page), after.get(page), "{page} never changes once full");
        assert!(before.contains_key(page), "{page} exists");
    }
    assert_ne!(before.get("atom.xml"), after.get("atom.xml"), "the subscription document changed");
}
