//! Tests of the publisher against a real SQLite store and real files: golden output for the
//! fixture archive in `tests/fixtures/publish/`, determinism, incremental rewrites, atomic
//! failure, and round trips through feed-rs (which also follows the RFC 5005 links).
//!
//! `FEEDKEEPER_BLESS=1 cargo test --lib publish::` rewrites the golden files.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use chrono::{Duration, TimeZone, Utc};

use super::*;
use crate::archive::{Backend, DedupKeys, SqliteStore, Store};
use crate::article::{Article, CaptureRef, Content, Identity, Origin, Person, SourceRef};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/publish");
const BASE: &str = "https://archive.example.org/feeds/";

fn config(page_size: usize, extra: &str) -> Config {
    let text = format!(
        "[site]\ntitle = \"Test archive\"\nbase_url = \"{BASE}\"\n{extra}\n[publish]\npage_size = {page_size}\n"
    );
    crate::config::parse(&text, Path::new("test.toml")).expect("config")
}

/// A varied, deterministic article: some from upstream with a capture, some imported, some
/// without authors, with 1–3 tags from a small set.
fn sample(i: usize) -> (Article, DedupKeys) {
    let day = Utc.with_ymd_and_hms(2016, 1, 1, 6, 0, 0).single().expect("date") + Duration::hours(37 * i as i64);
    let title = format!("Report {i}: testimony of survivors & families <{}>", i % 7);
    let text = format!("Paragraph one of report {i}.\n\nParagraph two mentions Évin prison and the year 1988.");
    let upstream = i.is_multiple_of(3);
    let url = i.is_multiple_of(2).then(|| format!("https://news.example.com/{i}/story?id={i}&lang=en"));
    let identity = match &url {
        Some(u) => Identity::Url(u.clone()),
        None => Identity::title_date(&title, Some(&day)),
    };
    let tag_set = ["iran", "un", "1988-massacre", "testimony"];
    let tags: Vec<String> = (0..=(i % 3)).map(|k| tag_set[(i + k) % tag_set.len()].to_string()).collect();
    let mut tags = tags;
    tags.sort();
    tags.dedup();
    let mut a = Article {
        id: identity.id(),
        title,
        summary: (i % 4 != 1).then(|| format!("Summary of report {i}")),
        content: Content { html: crate::content::text_to_html(&text), text },
        authors: if i.is_multiple_of(5) { vec![] } else { vec![Person::named(format!("Author {}", i % 4))] },
        published: Some(day),
        updated: day + Duration::hours(1),
        url,
        source: upstream.then(|| SourceRef {
            name: "Upstream News".into(),
            feed_url: Some("https://upstream.example.net/feed.xml".into()),
            upstream_id: Some(format!("tag:upstream.example.net,2016:{i}")),
            site_url: Some("https://upstream.example.net/".into()),
            // Half the upstream articles were archived before the feed's id and date were kept.
            feed_id: i.is_multiple_of(2).then(|| "tag:upstream.example.net,2016:feed".into()),
            feed_updated: i.is_multiple_of(2).then(|| day + Duration::hours(2)),
        }),
        tags,
        language: Some("en".into()),
        content_hash: String::new(),
        archived_at: Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("date") + Duration::seconds(i as i64),
        origin: if upstream { Origin::Upstream } else { Origin::Import { file: format!("report-{i}.txt") } },
        capture: upstream.then(|| CaptureRef {
            file: "captures.warc.gz".into(),
            offset: 1000 * i as u64,
            length: 900,
            record_id: format!("<urn:uuid:00000000-0000-4000-8000-{i:012}>"),
        }),
    };
    a.seal();
    let keys = DedupKeys { identity: identity.key(), canonical_url: a.url.clone(), fingerprint: None };
    (a, keys)
}

fn store_with(n: usize) -> SqliteStore {
    let mut store = SqliteStore::open_in_memory().expect("store");
    add(&mut store, 0..n);
    store
}

fn add(store: &mut dyn Archive, range: std::ops::Range<usize>) {
    let items: Vec<(Article, DedupKeys)> = range.map(sample).collect();
    let out = store.put_all(&items).expect("put_all");
    assert!(out.iter().all(|o| o.changed()), "{out:?}");
}

/// Every file under `dir` (relative path → bytes).
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("prefix").to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

fn names(t: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    t.keys().cloned().collect()
}

fn parse(dir: &Path, rel: &str) -> feed_rs::model::Feed {
    let bytes = std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    feed_rs::parser::parse(&bytes[..]).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Checks that every XML file is well-formed (quick-xml, strict end tags).
fn assert_well_formed(dir: &Path) {
    for (rel, bytes) in tree(dir) {
        if rel.ends_with(".xml") {
            let mut reader = quick_xml::Reader::from_reader(&bytes[..]);
            reader.config_mut().check_end_names = true;
            let mut buf = Vec::new();
            loop {
                match reader.read_event_into(&mut buf) {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(_) => {}
                    Err(e) => panic!("{rel}: not well-formed at {}: {e}", reader.buffer_position()),
                }
                buf.clear();
            }
        }
        if rel.ends_with(".json") {
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
        }
    }
}

#[test]
fn golden_files_for_the_fixture_archive() {
    let fixtures = Path::new(FIXTURES);
    let config = crate::config::load(&fixtures.join("feedkeeper.toml")).expect("fixture config");
    let mut store = SqliteStore::open_in_memory().expect("store");
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures.join("articles"))
        .expect("articles")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        let article: Article = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let keys =
            DedupKeys { identity: article.id.to_string(), canonical_url: article.url.clone(), fingerprint: None };
        store.put(&article, &keys).expect("put");
    }
    let out = tempfile::tempdir().expect("tempdir");
    let report = publish(&mut store, &config, out.path()).expect("publish");
    assert_eq!(report.entries, files.len() as u64);
    assert_well_formed(out.path());
    let expected_dir = fixtures.join("expected");
    let got = tree(out.path());
    if crate::bless() {
        let _ = std::fs::remove_dir_all(&expected_dir);
        for (rel, bytes) in &got {
            let path = expected_dir.join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, bytes).expect("write");
        }
    }
    let want = tree(&expected_dir);
    assert_eq!(names(&got), names(&want), "the set of files differs from {}", expected_dir.display());
    for (rel, bytes) in &got {
        assert!(
            want.get(rel) == Some(bytes),
            "{rel} differs from the golden file (run with FEEDKEEPER_BLESS=1 and review the diff)\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn publishing_twice_writes_nothing_and_keeps_bytes_and_mtimes() {
    let mut store = store_with(23);
    let config = config(5, "");
    let dir = tempfile::tempdir().expect("tempdir");
    let first = publish(&mut store, &config, dir.path()).expect("publish");
    assert!(!first.written.is_empty());
    assert_eq!(first.archive_pages, 4);
    let before = tree(dir.path());
    assert_eq!(first.written, names(&before), "every file is reported, sorted");
    let mtimes: HashMap<String, std::time::SystemTime> = before
        .keys()
        .map(|rel| (rel.clone(), std::fs::metadata(dir.path().join(rel)).expect("meta").modified().expect("mtime")))
        .collect();
    let second = publish(&mut store, &config, dir.path()).expect("publish again");
    assert!(second.written.is_empty(), "{:?}", second.written);
    assert!(second.changed_feeds.is_empty());
    assert_eq!(tree(dir.path()), before);
    for (rel, mtime) in mtimes {
        assert_eq!(std::fs::metadata(dir.path().join(&rel)).expect("meta").modified().expect("mtime"), mtime, "{rel}");
    }
    // A forced full render (state forgotten) finds every file unchanged.
    store.meta_set(STATE_KEY, "").expect("reset");
    let third = publish(&mut store, &config, dir.path()).expect("full again");
    assert!(third.written.is_empty(), "{:?}", third.written);
    assert_eq!(third.unchanged, before.len());
}

#[test]
fn adding_one_article_rewrites_only_what_it_touches() {
    let mut store = store_with(16); // P = 5: current 12..=16, pages 1, 2 (full), 3 (11..=11)
    let config = config(5, "");
    let dir = tempfile::tempdir().expect("tempdir");
    publish(&mut store, &config, dir.path()).expect("publish");
    let before = tree(dir.path());

    add(&mut store, 16..17);
    let report = publish(&mut store, &config, dir.path()).expect("publish");
    let (new, _) = sample(16);
    let mut expected: BTreeSet<String> = [
        "atom.xml",
        "rss.xml",
        "feed.json",
        "index.html",
        "archive/3/atom.xml",
        "archive/3/rss.xml",
        "archive/3/feed.json",
        "archive/3/index.html",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    expected.insert(format!("articles/{}.html", new.id.slug()));
    // The tags of the new entry, and of the entry that moved from the current documents to
    // page 3 — no: only the new article's tags change (tag feeds follow articles, not pages).
    for tag in &new.tags {
        for f in ["atom.xml", "rss.xml", "feed.json", "index.html"] {
            expected.insert(format!("tags/{tag}/{f}"));
        }
    }
    let written: BTreeSet<String> = report.written.iter().cloned().collect();
    assert_eq!(written, expected);
    let mut feeds = vec![format!("{BASE}atom.xml"), format!("{BASE}feed.json"), format!("{BASE}rss.xml")];
    for tag in &new.tags {
        for f in ["atom.xml", "feed.json", "rss.xml"] {
            feeds.push(format!("{BASE}tags/{tag}/{f}"));
        }
    }
    feeds.sort();
    assert_eq!(report.changed_feeds, feeds);
    let after = tree(dir.path());
    for (rel, bytes) in &before {
        if !written.contains(rel) {
            assert_eq!(after.get(rel), Some(bytes), "{rel} must not change");
        }
    }

    // Filling page 3 (n = 20): page 3 becomes full (gains next-archive), page 4 appears empty.
    add(&mut store, 17..20);
    let report = publish(&mut store, &config, dir.path()).expect("publish");
    for rel in ["archive/3/atom.xml", "archive/3/index.html", "archive/4/atom.xml", "archive/4/index.html"] {
        assert!(report.written.iter().any(|w| w == rel), "{rel} in {:?}", report.written);
    }
    assert!(!report.written.iter().any(|w| w.starts_with("archive/1/") || w.starts_with("archive/2/")));
    let page3 = std::fs::read_to_string(dir.path().join("archive/3/atom.xml")).expect("page 3");
    assert!(page3.contains("rel=\"next-archive\" type=\"application/atom+xml\" href=\"https://archive.example.org/feeds/archive/4/atom.xml\""));
    let page4 = parse(dir.path(), "archive/4/atom.xml");
    assert!(page4.entries.is_empty());
    // The empty page borrows the newest date of the current documents.
    assert_eq!(page4.updated, parse(dir.path(), "atom.xml").updated);
}

#[test]
fn incremental_publishing_matches_a_full_publish() {
    let config = config(4, "author = \"Editors\"\n");
    let mut store = store_with(9);
    let dir = tempfile::tempdir().expect("tempdir");
    publish(&mut store, &config, dir.path()).expect("publish");
    for step in [9..10, 10..13, 13..14, 14..22] {
        add(&mut store, step);
        publish(&mut store, &config, dir.path()).expect("publish");
    }
    // A new version of an old article, with one tag dropped and a new tag.
    let (mut a, keys) = sample(2);
    a.content.text.push_str("\n\nA correction.");
    a.content.html = crate::content::text_to_html(&a.content.text);
    a.tags = vec!["corrections".into()];
    a.seal();
    assert!(matches!(store.put(&a, &keys).expect("put"), crate::archive::PutOutcome::Updated { .. }));
    let report = publish(&mut store, &config, dir.path()).expect("publish");
    assert!(report.written.contains(&format!("articles/{}.html", a.id.slug())));
    assert!(report.written.contains(&"tags/corrections/atom.xml".to_string()));

    let fresh = tempfile::tempdir().expect("tempdir");
    store.meta_set(STATE_KEY, "").expect("reset");
    publish(&mut store, &config, fresh.path()).expect("full publish");
    let (incremental, full) = (tree(dir.path()), tree(fresh.path()));
    assert_eq!(names(&incremental), names(&full));
    for (rel, bytes) in &full {
        assert!(incremental.get(rel) == Some(bytes), "{rel} differs between incremental and full publishing");
    }
    let page = std::fs::read_to_string(dir.path().join(format!("articles/{}.html", a.id.slug()))).expect("page");
    assert!(page.contains("A correction."), "the article page shows the newest version");
}

#[test]
fn full_archive_pages_never_change() {
    let config = config(3, "");
    let mut store = store_with(10);
    let dir = tempfile::tempdir().expect("tempdir");
    publish(&mut store, &config, dir.path()).expect("publish");
    let paging = Paging::new(10, 3);
    let full: Vec<u64> = (1..=paging.pages()).filter(|k| paging.is_full(*k)).collect();
    assert_eq!(full, vec![1, 2]);
    let before = tree(dir.path());
    for step in [10..11, 11..15, 15..16] {
        add(&mut store, step);
        publish(&mut store, &config, dir.path()).expect("publish");
        let after = tree(dir.path());
        for k in &full {
            for f in FEED_FILES {
                let rel = format!("archive/{k}/{f}");
                assert_eq!(before.get(&rel), after.get(&rel), "{rel} changed");
            }
        }
    }
}

#[test]
fn changed_settings_rewrite_everything() {
    let mut store = store_with(12);
    let dir = tempfile::tempdir().expect("tempdir");
    publish(&mut store, &config(5, ""), dir.path()).expect("publish");
    let before = tree(dir.path());
    let report = publish(&mut store, &config(5, "description = \"New words\"\n"), dir.path()).expect("publish");
    // Every feed and index changes; article pages do not mention the description.
    for rel in before.keys().filter(|r| !r.starts_with("articles/")) {
        assert!(report.written.contains(rel), "{rel} was not rewritten");
    }
    // A new page size re-pages the archive and removes pages that no longer exist.
    let report = publish(&mut store, &config(10, ""), dir.path()).expect("publish");
    assert_eq!(report.archive_pages, 1);
    assert!(report.removed.contains(&"archive/2/atom.xml".to_string()), "{:?}", report.removed);
    assert!(!dir.path().join("archive/2").exists());
}

#[test]
fn missing_files_are_written_again() {
    let mut store = store_with(14);
    let config = config(4, "");
    let dir = tempfile::tempdir().expect("tempdir");
    publish(&mut store, &config, dir.path()).expect("publish");
    let before = tree(dir.path());
    let article = before.keys().find(|k| k.starts_with("articles/")).expect("an article page").clone();
    let gone = ["atom.xml".to_string(), "archive/1/rss.xml".into(), "tags/iran/index.html".into(), article];
    for rel in &gone {
        std::fs::remove_file(dir.path().join(rel)).expect("remove");
    }
    let report = publish(&mut store, &config, dir.path()).expect("publish");
    let mut want: Vec<String> = gone.to_vec();
    want.sort();
    assert_eq!(report.written, want);
    assert_eq!(tree(dir.path()), before);
    // The whole folder gone: everything comes back.
    std::fs::remove_dir_all(dir.path()).expect("rm");
    let report = publish(&mut store, &config, dir.path()).expect("publish");
    assert_eq!(report.written.len(), before.len());
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn a_failed_publish_names_the_path_and_leaves_the_feeds_as_they_were() {
    let mut store = store_with(7);
    let config = config(3, "");
    let dir = tempfile::tempdir().expect("tempdir");
    publish(&mut store, &config, dir.path()).expect("publish");
    let before = tree(dir.path());
    // A new article whose page cannot be written: `articles/<slug>.html` is taken by a folder
    // holding a file, so the rename fails late; and a tag folder blocked by a plain file, so
    // staging fails early.
    let (a, keys) = sample(7);
    store.put(&a, &keys).expect("put");
    let blocked = dir.path().join("tags").join(&a.tags[0]);
    let existed = blocked.exists();
    if existed {
        std::fs::remove_dir_all(&blocked).expect("rm");
    }
    std::fs::write(&blocked, b"not a folder").expect("block");
    let err = publish(&mut store, &config, dir.path()).expect_err("must fail");
    let msg = err.to_string();
    assert!(msg.contains(&blocked.display().to_string()), "{msg}");
    let after = tree(dir.path());
    let mut expected = before.clone();
    if existed {
        expected.retain(|k, _| !k.starts_with(&format!("tags/{}/", a.tags[0])));
    }
    expected.insert(format!("tags/{}", a.tags[0]), b"not a folder".to_vec());
    assert_eq!(names(&after), names(&expected), "no temp file is left and nothing was replaced");
    assert_eq!(after, expected);
    // Once the obstacle is gone, the next publish completes.
    std::fs::remove_file(&blocked).expect("unblock");
    let report = publish(&mut store, &config, dir.path()).expect("publish");
    assert!(report.written.contains(&format!("articles/{}.html", a.id.slug())));
    assert!(report.written.contains(&"atom.xml".to_string()));
}

#[test]
fn every_backend_publishes_the_same_bytes() {
    let base = tempfile::tempdir().expect("tempdir");
    let config = config(4, "");
    let mut sqlite = SqliteStore::open_in_memory().expect("store");
    let mut memory = crate::archive::MemoryStore::new();
    let stores: [(&str, &mut dyn Archive); 2] = [("sqlite", &mut sqlite), ("memory", &mut memory)];
    let mut published = Vec::new();
    for (name, store) in stores {
        let feeds = base.path().join(name);
        add(store, 0..9);
        publish(store, &config, &feeds).expect("publish");
        // New articles, then a revision that drops its tags: the incremental paths.
        add(store, 9..14);
        publish(store, &config, &feeds).expect("publish");
        let (mut revised, keys) = sample(3);
        revised.title.push_str(" (corrected)");
        revised.tags = vec!["corrections".into()];
        revised.seal();
        assert!(matches!(store.put(&revised, &keys).expect("put"), crate::archive::PutOutcome::Updated { .. }));
        publish(store, &config, &feeds).expect("publish");
        published.push(tree(&feeds));
    }
    assert!(published[0].len() > 10, "{:?}", names(&published[0]));
    assert_eq!(names(&published[0]), names(&published[1]));
    assert!(published[0] == published[1], "the same files with the same bytes");
}

#[test]
fn moving_the_archive_folder_changes_no_byte() {
    let base = tempfile::tempdir().expect("tempdir");
    let (a_dir, b_dir) = (base.path().join("a/archive"), base.path().join("elsewhere/b"));
    let config = config(4, "");
    {
        let mut store = crate::archive::ArchiveDir::new(&a_dir).create().expect("open");
        add(store.as_mut(), 0..11);
        publish(store.as_mut(), &config, &base.path().join("feeds-a")).expect("publish");
    }
    std::fs::create_dir_all(b_dir.parent().expect("parent")).expect("mkdir");
    std::fs::rename(&a_dir, &b_dir).expect("move");
    let mut store = crate::archive::ArchiveDir::new(&b_dir).open().expect("open moved");
    store.meta_set(STATE_KEY, "").expect("reset");
    publish(store.as_mut(), &config, &base.path().join("feeds-b")).expect("publish");
    assert_eq!(tree(&base.path().join("feeds-a")), tree(&base.path().join("feeds-b")));
}

/// Follows `prev-archive` links from a document, mapping the base URL to the folder.
fn walk(dir: &Path, start: &str) -> Vec<feed_rs::model::Feed> {
    let mut out = Vec::new();
    let mut next = Some(start.to_string());
    while let Some(rel) = next.take() {
        let feed = parse(dir, &rel);
        next =
            feed.links.iter().find(|l| l.rel.as_deref() == Some("prev-archive")).map(|l| {
                l.href.strip_prefix(BASE).unwrap_or_else(|| panic!("{} is outside the base", l.href)).to_string()
            });
        out.push(feed);
        assert!(out.len() < 100, "a link loop");
    }
    out
}

#[test]
fn a_reader_walking_prev_archive_sees_every_article_once() {
    for n in [30usize, 31, 35] {
        let mut store = store_with(n);
        let config = config(10, "");
        let dir = tempfile::tempdir().expect("tempdir");
        publish(&mut store, &config, dir.path()).expect("publish");
        let ids: BTreeSet<String> = (0..n).map(|i| sample(i).0.id.to_string()).collect();
        for start in ["atom.xml", "rss.xml"] {
            let docs = walk(dir.path(), start);
            assert_eq!(docs.len() as u64, Paging::new(n as u64, 10).pages() + 1, "{start}");
            let mut seen: Vec<String> = docs.iter().flat_map(|d| d.entries.iter().map(|e| e.id.clone())).collect();
            seen.sort();
            let unique: BTreeSet<String> = seen.iter().cloned().collect();
            assert_eq!(seen.len(), n, "{start}: every article exactly once");
            assert_eq!(unique, ids, "{start}");
        }
        // JSON Feed: `next_url` leads to older pages.
        let mut seen = Vec::new();
        let mut next = Some("feed.json".to_string());
        while let Some(rel) = next.take() {
            let v: serde_json::Value =
                serde_json::from_slice(&std::fs::read(dir.path().join(&rel)).expect("read")).expect("json");
            seen.extend(
                v["items"].as_array().expect("items").iter().map(|i| i["id"].as_str().expect("id").to_string()),
            );
            next = v["next_url"].as_str().map(|u| u.strip_prefix(BASE).expect("base").to_string());
        }
        assert_eq!(seen.len(), n);
        assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), ids);
        // Archive pages carry fh:archive and current; entries are newest first everywhere.
        let page1 = std::fs::read_to_string(dir.path().join("archive/1/atom.xml")).expect("page 1");
        assert!(page1.contains("<fh:archive/>") && page1.contains("rel=\"current\""));
        let rss1 = std::fs::read_to_string(dir.path().join("archive/1/rss.xml")).expect("page 1");
        assert!(rss1.contains("<fh:archive/>") && rss1.contains("<atom:link rel=\"current\""));
        let first = parse(dir.path(), "archive/1/atom.xml");
        let first_ids: Vec<String> = first.entries.iter().map(|e| e.id.clone()).collect();
        let want: Vec<String> = (0..10).rev().map(|i| sample(i).0.id.to_string()).collect();
        assert_eq!(first_ids, want);
    }
}

#[test]
fn feed_rs_reads_back_every_field() {
    let n = 12;
    let mut store = store_with(n);
    let config = config(20, "author = \"Editors\"\nlanguage = \"en\"\n");
    let dir = tempfile::tempdir().expect("tempdir");
    publish(&mut store, &config, dir.path()).expect("publish");
    assert_well_formed(dir.path());
    let articles: HashMap<String, Article> = (0..n).map(|i| sample(i).0).map(|a| (a.id.to_string(), a)).collect();
    for file in ["atom.xml", "rss.xml", "feed.json"] {
        let feed = parse(dir.path(), file);
        assert_eq!(feed.entries.len(), n, "{file}");
        assert_eq!(feed.title.as_ref().map(|t| t.content.as_str()), Some("Test archive"), "{file}");
        for e in &feed.entries {
            let a = articles.get(&e.id).unwrap_or_else(|| panic!("{file}: unknown id {}", e.id));
            let page = format!("{BASE}articles/{}.html", a.id.slug());
            assert_eq!(e.title.as_ref().map(|t| t.content.as_str()), Some(a.title.as_str()), "{file}");
            let hrefs: Vec<&str> = e.links.iter().map(|l| l.href.as_str()).collect();
            let want = if file == "feed.json" { &page } else { a.url.as_ref().unwrap_or(&page) };
            assert_eq!(hrefs.first().copied(), Some(want.as_str()), "{file}: link of {}", a.title);
            assert_eq!(e.published, a.published, "{file}");
            if file != "rss.xml" {
                assert_eq!(e.updated, Some(a.updated), "{file}");
            }
            let authors: Vec<&str> = e.authors.iter().filter_map(|p| p.name.as_deref()).collect();
            let want_authors: Vec<&str> = if a.authors.is_empty() {
                vec![a.source.as_ref().map_or("Editors", |s| s.name.as_str())]
            } else {
                a.authors.iter().map(|p| p.name.as_str()).collect()
            };
            assert_eq!(authors, want_authors, "{file}: authors of {}", a.title);
            let body = e.content.as_ref().and_then(|c| c.body.as_deref()).unwrap_or_default();
            assert_eq!(body, a.content.html, "{file}: content");
            let mut cats: Vec<&str> = e.categories.iter().map(|c| c.term.as_str()).collect();
            cats.sort();
            assert_eq!(cats, a.tags.iter().map(String::as_str).collect::<Vec<_>>(), "{file}: tags");
        }
    }
    // Provenance and source survive in every format.
    let atom = std::fs::read_to_string(dir.path().join("atom.xml")).expect("atom");
    let (up, _) = sample(0);
    assert!(atom.contains(&format!(
        "<fk:item-id>{}</fk:item-id>",
        up.source.as_ref().and_then(|s| s.upstream_id.clone()).expect("id")
    )));
    assert!(atom.contains(&format!("hash=\"{}\"", up.content_hash)));
    let rss = std::fs::read_to_string(dir.path().join("rss.xml")).expect("rss");
    assert!(rss.contains("<source url=\"https://upstream.example.net/feed.xml\">Upstream News</source>"));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("feed.json")).expect("json")).expect("json");
    let item = json["items"].as_array().expect("items").iter().find(|i| i["id"] == up.id.as_str()).expect("item");
    assert_eq!(item["_feedkeeper"]["provenance"]["hash"], up.content_hash.as_str());
    assert_eq!(item["_feedkeeper"]["source"]["feed_url"], "https://upstream.example.net/feed.xml");
    assert_eq!(item["external_url"], up.url.as_deref().expect("url"));
    // The upstream feed's id and date as read at capture, exactly as in atom:source; an
    // article archived before they were kept falls back to the feed URL and archive time.
    for i in [0, 3] {
        let (up, _) = sample(i);
        let src = up.source.as_ref().expect("upstream");
        let item = json["items"].as_array().expect("items").iter().find(|it| it["id"] == up.id.as_str());
        let item = item.expect("item in feed.json");
        let want_id = src.feed_id.clone().unwrap_or_else(|| src.feed_url.clone().expect("feed url"));
        let want_updated = crate::date::rfc3339(&src.feed_updated.unwrap_or(up.archived_at));
        assert_eq!(item["_feedkeeper"]["source"]["id"], want_id.as_str(), "item {i}");
        assert_eq!(item["_feedkeeper"]["source"]["updated"], want_updated.as_str(), "item {i}");
        assert!(atom.contains(&format!("<id>{want_id}</id>")), "item {i}: atom:source id");
        assert!(atom.contains(&format!("<updated>{want_updated}</updated>")), "item {i}: atom:source updated");
    }
}

#[test]
fn tag_feeds_follow_their_articles() {
    let mut store = store_with(9);
    let config = config(3, "");
    let dir = tempfile::tempdir().expect("tempdir");
    publish(&mut store, &config, dir.path()).expect("publish");
    for info in store.tags().expect("tags") {
        let feed = parse(dir.path(), &format!("tags/{}/atom.xml", info.tag));
        assert_eq!(feed.entries.len() as u64, info.count.min(3), "{}", info.tag);
        for e in &feed.entries {
            let a = (0..9).map(|i| sample(i).0).find(|a| a.id.as_str() == e.id).expect("known");
            assert!(a.tags.contains(&info.tag));
        }
        assert!(dir.path().join(format!("tags/{}/index.html", info.tag)).is_file());
        assert!(!dir.path().join(format!("tags/{}/archive", info.tag)).exists());
    }
    // The only article tagged "only-here" loses the tag: its feeds go.
    let (mut a, keys) = sample(4);
    a.tags = vec!["only-here".into()];
    store.put(&a, &keys).expect("put");
    publish(&mut store, &config, dir.path()).expect("publish");
    assert!(dir.path().join("tags/only-here/atom.xml").is_file());
    a.tags = vec!["iran".into()];
    a.title.push_str(" (retagged)");
    store.put(&a, &keys).expect("put");
    let report = publish(&mut store, &config, dir.path()).expect("publish");
    assert!(report.removed.contains(&"tags/only-here/atom.xml".to_string()), "{:?}", report.removed);
    assert!(!dir.path().join("tags/only-here").exists());
}

#[test]
fn html_pages_are_self_contained_and_carry_provenance() {
    let mut store = store_with(8);
    let config = config(5, "");
    let dir = tempfile::tempdir().expect("tempdir");
    publish(&mut store, &config, dir.path()).expect("publish");
    let index = std::fs::read_to_string(dir.path().join("index.html")).expect("index");
    for mime in ["application/atom+xml", "application/rss+xml", "application/feed+json"] {
        assert!(index.contains(&format!("<link rel=\"alternate\" type=\"{mime}\"")), "{mime}");
    }
    assert!(index.starts_with("<!DOCTYPE html>\n<html lang=\"en\">") && index.contains("<meta charset=\"utf-8\">"));
    assert!(index.contains("href=\"archive/1/index.html\"") && index.contains("href=\"tags/iran/index.html\""));
    for (rel, bytes) in tree(dir.path()) {
        if rel.ends_with(".html") {
            let page = String::from_utf8(bytes).expect("utf-8");
            assert!(!page.contains("<script") && !page.contains(" src=") && !page.contains("stylesheet"), "{rel}");
            assert!(page.ends_with("</html>\n"), "{rel}");
        }
    }
    let (a, _) = sample(3);
    let page = std::fs::read_to_string(dir.path().join(format!("articles/{}.html", a.id.slug()))).expect("page");
    for needle in [
        a.content_hash.as_str(),
        "2024-05-01T00:00:03Z",
        "<urn:uuid:00000000-0000-4000-8000-000000000003>".replace('<', "&lt;").replace('>', "&gt;").as_str(),
        "Found in the upstream feed",
        "Upstream News",
    ] {
        assert!(page.contains(needle), "{needle} missing from the article page");
    }
}

#[test]
fn images_in_article_pages_become_links() {
    let mut store = SqliteStore::open_in_memory().expect("store");
    let (mut a, keys) = sample(1);
    a.content.html = "<p>Photo: <img src=\"https://img.example/p.jpg\" alt=\"A photo\"></p>".into();
    store.put(&a, &keys).expect("put");
    let dir = tempfile::tempdir().expect("tempdir");
    publish(&mut store, &config(5, ""), dir.path()).expect("publish");
    let page = std::fs::read_to_string(dir.path().join(format!("articles/{}.html", a.id.slug()))).expect("page");
    assert!(page.contains("<a class=\"image\" href=\"https://img.example/p.jpg\""), "{page}");
    assert!(!page.contains("<img"));
    // Feeds keep the image.
    let atom = std::fs::read_to_string(dir.path().join("atom.xml")).expect("atom");
    assert!(atom.contains("&lt;img src=&quot;https://img.example/p.jpg&quot;"));
}

#[test]
fn an_empty_archive_publishes_valid_empty_feeds() {
    let mut store = SqliteStore::open_in_memory().expect("store");
    let dir = tempfile::tempdir().expect("tempdir");
    let report = publish(&mut store, &config(5, ""), dir.path()).expect("publish");
    assert_eq!(report.written, vec!["atom.xml", "feed.json", "index.html", "rss.xml"]);
    assert_well_formed(dir.path());
    let feed = parse(dir.path(), "atom.xml");
    assert!(feed.entries.is_empty());
    assert_eq!(feed.updated, Some(DateTime::<Utc>::UNIX_EPOCH));
    assert!(publish(&mut store, &config(5, ""), dir.path()).expect("again").written.is_empty());
}

#[test]
fn characters_xml_forbids_never_reach_the_output() {
    let mut store = SqliteStore::open_in_memory().expect("store");
    let (mut a, keys) = sample(1);
    a.title = "Bell\u{7} and \u{FFFE} and \u{1b}[0m escape".into();
    a.content.html = "<p>NUL\u{0} here</p>".into();
    a.summary = Some("vertical\u{b}tab".into());
    store.put(&a, &keys).expect("put");
    let dir = tempfile::tempdir().expect("tempdir");
    publish(&mut store, &config(5, ""), dir.path()).expect("publish");
    assert_well_formed(dir.path());
    for (rel, bytes) in tree(dir.path()) {
        let text = String::from_utf8(bytes).expect("utf-8");
        assert!(text.chars().all(crate::content::is_xml_char), "{rel}");
    }
    let feed = parse(dir.path(), "atom.xml");
    assert_eq!(feed.entries[0].title.as_ref().map(|t| t.content.as_str()), Some("Bell and  and [0m escape"));
}

#[test]
fn leftover_temp_files_go_and_foreign_files_stay() {
    let mut store = store_with(9);
    let config = config(4, "");
    let dir = tempfile::tempdir().expect("tempdir");
    publish(&mut store, &config, dir.path()).expect("publish");
    let before = tree(dir.path());
    // A crashed run's temps, and a file someone else keeps in the folder.
    std::fs::write(dir.path().join(".atom.xml.fk999.tmp"), b"half").expect("temp");
    std::fs::write(dir.path().join("articles/.x.html.fk999.tmp"), b"half").expect("temp");
    std::fs::write(dir.path().join("archive/1/notes.txt"), b"mine").expect("foreign");
    let report = publish(&mut store, &config, dir.path()).expect("publish");
    assert!(report.written.is_empty(), "{:?}", report.written);
    let mut want = before.clone();
    want.insert("archive/1/notes.txt".into(), b"mine".to_vec());
    assert_eq!(tree(dir.path()), want);
    // The folders' new state is remembered: the next publish finds nothing to do either.
    let state: SavedState =
        serde_json::from_str(&store.meta_get(STATE_KEY).expect("get").expect("state")).expect("json");
    let stamps = DirStamps::read(
        dir.path(),
        Paging::new(9, 4).pages(),
        &state.tags.clone().expect("tags").into_iter().collect(),
    );
    assert_eq!(state.dirs_stamp, Some(stamps.stamp()));
    assert!(publish(&mut store, &config, dir.path()).expect("publish").written.is_empty());
}

#[test]
fn a_failing_article_page_writer_is_reported_and_cleans_up() {
    let mut store = store_with(6);
    let config = config(3, "");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("articles"), b"a file where the folder goes").expect("block");
    let err = publish(&mut store, &config, dir.path()).expect_err("must fail");
    let msg = err.to_string();
    assert!(msg.contains(&dir.path().join("articles").display().to_string()), "{msg}");
    assert_eq!(names(&tree(dir.path())), vec!["articles".to_string()], "no temp file or feed is left");
    assert!(store.meta_get(STATE_KEY).expect("get").is_none(), "a failed publish saves no state");
}

#[test]
fn archive_pages_have_html_pages_with_navigation() {
    let mut store = store_with(16); // P = 5: pages 1, 2 (full), 3 (11..=11)
    let config = config(5, "");
    let dir = tempfile::tempdir().expect("tempdir");
    publish(&mut store, &config, dir.path()).expect("publish");
    let page = |k: u64| std::fs::read_to_string(dir.path().join(format!("archive/{k}/index.html"))).expect("page");
    let (p1, p2, p3) = (page(1), page(2), page(3));
    assert!(!p1.contains("rel=\"prev\"") && p1.contains("href=\"../2/index.html\" rel=\"next\""));
    assert!(
        p2.contains("href=\"../1/index.html\" rel=\"prev\"") && p2.contains("href=\"../3/index.html\" rel=\"next\"")
    );
    assert!(
        p3.contains("href=\"../2/index.html\" rel=\"prev\"") && p3.contains("href=\"../../index.html\" rel=\"next\"")
    );
    // Every entry of a page is listed, linking to its article page.
    for i in 5..10 {
        let (a, _) = sample(i);
        assert!(p2.contains(&format!("href=\"../../articles/{}.html\"", a.id.slug())), "entry {i} on page 2");
    }
    // A full page's HTML never changes as the log grows; the newest page's does.
    add(&mut store, 16..25);
    let report = publish(&mut store, &config, dir.path()).expect("publish");
    assert_eq!(page(1), p1);
    assert_eq!(page(2), p2);
    assert!(report.written.contains(&"archive/3/index.html".to_string()));
    assert!(page(3).contains("href=\"../4/index.html\" rel=\"next\""));
    // A missing HTML page is written again.
    std::fs::remove_file(dir.path().join("archive/1/index.html")).expect("remove");
    publish(&mut store, &config, dir.path()).expect("publish");
    assert_eq!(page(1), p1);
}

/// The `<entry>` dates of an Atom document, in document order.
fn entry_dates(dir: &Path, rel: &str) -> Vec<chrono::DateTime<Utc>> {
    parse(dir, rel).entries.iter().map(|e| e.published.or(e.updated).expect("date")).collect()
}

#[test]
fn subscription_documents_and_pages_list_newest_first() {
    // Logged in an order unlike their dates: the newest article first, the oldest last.
    let mut store = SqliteStore::open_in_memory().expect("store");
    let items: Vec<(Article, DedupKeys)> = [7, 2, 9, 0, 4, 8, 1, 3, 6, 5, 11, 10].into_iter().map(sample).collect();
    for item in &items {
        store.put_all(std::slice::from_ref(item)).expect("put");
    }
    let config = config(5, "");
    let dir = tempfile::tempdir().expect("tempdir");
    publish(&mut store, &config, dir.path()).expect("publish");
    let tree = tree(dir.path());
    for rel in tree.keys().filter(|r| r.ends_with("atom.xml")) {
        let dates = entry_dates(dir.path(), rel);
        assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{rel}: {dates:?}");
    }
    // The current documents hold the newest five log entries (membership by log), shown by date.
    let current: Vec<String> = parse(dir.path(), "atom.xml").entries.iter().map(|e| e.id.clone()).collect();
    let mut last: Vec<&Article> = items[7..].iter().map(|(a, _)| a).collect();
    last.sort_by_key(|a| std::cmp::Reverse(a.date()));
    let expected: Vec<String> = last.iter().map(|a| a.id.as_str().to_string()).collect();
    assert_eq!(current, expected);
    // index.html lists them in the same order.
    let index = String::from_utf8(tree["index.html"].clone()).expect("utf-8");
    let at: Vec<usize> = last.iter().map(|a| index.find(&a.id.slug()).expect("listed")).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
}

#[test]
fn upstream_entries_carry_the_source_feeds_id_and_updated() {
    let mut store = store_with(8);
    let config = config(50, "");
    let dir = tempfile::tempdir().expect("tempdir");
    publish(&mut store, &config, dir.path()).expect("publish");
    let text = std::fs::read_to_string(dir.path().join("atom.xml")).expect("atom");
    // Kept at capture: the feed's own id and date.
    let (a0, _) = sample(6);
    let d6 = a0.source.as_ref().and_then(|s| s.feed_updated).expect("kept");
    assert!(text.contains(&format!("<id>tag:upstream.example.net,2016:feed</id>\n      <title type=\"text\">Upstream News</title>\n      <updated>{}</updated>", crate::date::rfc3339(&d6))));
    // Archived before they were kept: the feed URL and the time the article was archived.
    let (a3, _) = sample(3);
    assert!(text.contains(&format!("<id>https://upstream.example.net/feed.xml</id>\n      <title type=\"text\">Upstream News</title>\n      <updated>{}</updated>", crate::date::rfc3339(&a3.archived_at))));
}

#[test]
fn an_emptied_or_smaller_store_never_shrinks_the_published_feeds_without_leave() {
    let dir = tempfile::tempdir().expect("tempdir");
    publish(&mut store_with(12), &config(5, ""), dir.path()).expect("publish");
    let before = tree(dir.path());
    // A new, empty database (an unmounted archive volume): refused, nothing touched.
    let err = publish(&mut store_with(0), &config(5, ""), dir.path()).expect_err("refused");
    let message = err.to_string();
    assert!(matches!(err, PublishError::WouldShrink { .. }), "{message}");
    assert!(message.contains("12 entries are published") && message.contains("--allow-shrink"), "{message}");
    assert_eq!(tree(dir.path()), before);
    // A replaced database with as many entries but other tags would remove tag feeds.
    let mut other = store_with(12);
    for i in 0..12 {
        let (mut a, keys) = sample(i);
        a.tags = vec!["elsewhere".into()];
        other.put(&a, &keys).expect("put");
    }
    let err = publish(&mut other, &config(5, ""), dir.path()).expect_err("refused");
    assert!(err.to_string().contains("tags/"), "{err}");
    assert_eq!(tree(dir.path()), before);
    // With leave, it goes ahead.
    let mut allow = config(5, "");
    allow.publish.allow_shrink = true;
    let report = publish(&mut store_with(0), &allow, dir.path()).expect("allowed");
    assert_eq!(report.entries, 0);
}

#[test]
fn a_failed_publish_leaves_no_empty_folders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let feeds = dir.path().join("feeds");
    std::fs::create_dir_all(&feeds).expect("feeds");
    // articles/ cannot be created (a file is in its place), so the publish fails after
    // the renderer made archive/<k>/ and tags/<t>/ folders.
    std::fs::write(feeds.join("articles"), b"in the way").expect("blocker");
    publish(&mut store_with(12), &config(5, ""), &feeds).expect_err("fails");
    let mut left: Vec<String> = walkdir(&feeds);
    left.sort();
    assert_eq!(left, vec!["articles".to_string()], "only the blocker is left");
}

fn walkdir(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            out.push(p.strip_prefix(root).expect("under root").to_string_lossy().into_owned());
            if p.is_dir() && !p.is_symlink() {
                stack.push(p);
            }
        }
    }
    out
}
