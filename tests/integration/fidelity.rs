//! Fidelity of what feedkeeper publishes and reads: the demo archive, with a source of the
//! upstream shapes real feeds carry (`tests/fixtures/fidelity/shapes.atom`: items with text
//! but no title or link, an XHTML title holding escaped markup, a title with bidi marks and
//! control characters, base64 content, an entry with only its source's title), archived
//! and published by the real binary, then every published Atom document read back by
//! `atom_syndication` (and written and read again) and every RSS document validated by
//! `rss` — two readers independent of ours.

use std::path::{Path, PathBuf};

use rss::validation::Validate;

use crate::harness::{Site, files, fixture};

/// Every file under `dir` whose name is `name`, sorted.
fn files_named(dir: &Path, name: &str) -> Vec<PathBuf> {
    files(dir).into_iter().filter(|p| p.file_name().is_some_and(|n| n == name)).collect()
}

/// The demo with the shapes source added, run once (archives and publishes).
fn demo_with_shapes() -> Site {
    let site = Site::demo();
    std::fs::copy(fixture("fidelity/shapes.atom"), site.path().join("upstream/shapes.atom")).expect("copy");
    let mut config = std::fs::read_to_string(site.config()).expect("config");
    config.push_str("\n[[sources]]\nname = \"Shapes\"\nurl = \"upstream/shapes.atom\"\nevery = \"1s\"\n");
    std::fs::write(site.config(), config).expect("config");
    site.ok(&["import", "articles"]);
    site.ok(&["run"]);
    site
}

fn read_atom(path: &Path) -> atom_syndication::Feed {
    let bytes = std::fs::read(path).expect("read");
    atom_syndication::Feed::read_from(&bytes[..]).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_published_document_reads_back_in_independent_readers() {
    let site = demo_with_shapes();
    let feeds = site.feeds();
    let atoms = files_named(&feeds, "atom.xml");
    // The subscription documents, archive pages and tag feeds.
    assert!(atoms.iter().any(|p| p.starts_with(feeds.join("archive"))), "{atoms:?}");
    assert!(atoms.iter().any(|p| p.starts_with(feeds.join("tags"))), "{atoms:?}");
    let mut upstream_entries = 0;
    for path in &atoms {
        let feed = read_atom(path);
        // A round trip: what atom_syndication writes back reads as the same feed.
        let written = feed.write_to(Vec::new()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let again = atom_syndication::Feed::read_from(&written[..]).expect("reread");
        assert_eq!(again, feed, "{}", path.display());
        for entry in feed.entries() {
            assert!(!entry.title().trim().is_empty(), "{}: {} has no title", path.display(), entry.id());
            if let Some(source) = entry.source() {
                upstream_entries += 1;
                assert!(!source.id().is_empty(), "{}: {} source without id", path.display(), entry.id());
                assert!(source.updated().timestamp() > 0, "{}: {} source without updated", path.display(), entry.id());
            }
        }
    }
    assert!(upstream_entries > 0, "no upstream entries were published");
    let rsses = files_named(&feeds, "rss.xml");
    assert_eq!(rsses.len(), atoms.len());
    for path in &rsses {
        let bytes = std::fs::read(path).expect("read");
        let channel = rss::Channel::read_from(&bytes[..]).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(e) = channel.validate() {
            panic!("{}: {e}", path.display());
        }
    }
}

#[test]
fn upstream_shapes_are_archived_with_their_own_readable_titles() {
    let site = demo_with_shapes();
    let feeds = site.feeds();
    let mut titles = Vec::new();
    let mut sources = Vec::new();
    for path in files_named(&feeds, "atom.xml") {
        for entry in read_atom(&path).entries() {
            if entry.source().is_some_and(|s| s.id() == "tag:shapes.example.org,2024:feed") {
                titles.push(entry.title().to_string());
                sources.push(entry.source().map(|s| s.updated().to_rfc3339()));
            }
        }
    }
    titles.sort();
    titles.dedup();
    // The source's own date, as read at capture.
    assert!(sources.iter().all(|u| u.as_deref() == Some("2024-12-03T10:00:00+00:00")), "{sources:?}");
    let has = |want: &str| titles.iter().any(|t| t == want);
    assert!(has("History of the <blink> tag in reports on the 1988 massacre and Evin prison"), "{titles:?}");
    // Titled by its first words, not "(untitled)".
    assert!(titles.iter().any(|t| t.starts_with("Families of political prisoners in Iran gathered")), "{titles:?}");
    // Never its source's title.
    assert!(!titles.iter().any(|t| t.contains("belongs to another feed")), "{titles:?}");
    assert!(titles.iter().any(|t| t.starts_with("The NCRI said political prisoners")), "{titles:?}");
    // Bidi marks kept and balanced, controls gone, words kept apart.
    let bidi = titles.iter().find(|t| t.contains("Evin prison report")).unwrap_or_else(|| panic!("{titles:?}"));
    assert_eq!(bidi, "\u{202b}اعدام\u{200f} Evin prison report on the 1988 massacre\u{202c}");
    // Base64 content read as the text it carries.
    let page = std::fs::read_to_string(feeds.join("atom.xml")).expect("atom");
    assert!(has("Testimony carried as another media type"), "{titles:?}");
    assert!(page.contains("moved from Evin prison before the 1988 massacre"));
}

#[test]
fn pages_for_people_list_newest_first_and_reach_every_archive_page() {
    let site = demo_with_shapes();
    let feeds = site.feeds();
    for path in files_named(&feeds, "atom.xml") {
        let dates: Vec<_> =
            read_atom(&path).entries().iter().map(|e| e.published().copied().unwrap_or(*e.updated())).collect();
        assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{}: {dates:?}", path.display());
    }
    let index = std::fs::read_to_string(feeds.join("index.html")).expect("index");
    let pages = files_named(&feeds.join("archive"), "index.html");
    assert!(!pages.is_empty());
    for page in &pages {
        let k = page.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).expect("k");
        assert!(index.contains(&format!("href=\"archive/{k}/index.html\"")), "page {k} not linked");
        let html = std::fs::read_to_string(page).expect("page");
        assert!(html.contains("href=\"../../index.html\""), "page {k} links the front page");
        assert!(html.contains("href=\"atom.xml\""), "page {k} links its feed");
    }
}
