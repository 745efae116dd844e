//! A damaged archive database, made with the real binary and then corrupted where a known
//! article's row lies: writers (`import`, `publish`, `run`) refuse it, naming the database,
//! `feedkeeper verify` and a backup, and change nothing; readers (`list`, `search`, `show`)
//! and `publish` skip the rows they cannot read and name them instead of failing the whole
//! archive; `publish` never drops an entry already published unless `--allow-shrink`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::harness::{Site, expect_code, snapshot, stderr};

const ARTICLES: usize = 12;

/// The marker in article `i`'s text: upper case, so the full-text index (which keeps
/// words in lower case) does not hold it and only the article's own row is found.
fn marker(i: usize) -> String {
    format!("ZQMARK{i}X")
}

fn title(i: usize) -> String {
    format!("Article number {i} about the archive")
}

/// A site with `ARTICLES` imported articles (article `i` dated Sept. `i`, so it is log entry
/// `i`), published with three entries a page; and each article's id by its number.
fn archive() -> (Site, BTreeMap<usize, String>) {
    let site = Site::new(3, "");
    for i in 1..=ARTICLES {
        site.write(
            &format!("articles/a{i:02}.txt"),
            &format!(
                "{}\n\nBy Jane Doe\n\nSept. {i}, 2018 - {} body text of article {i}, long enough to be a paragraph of its own.\n\nSecond paragraph {i}.\n",
                title(i),
                marker(i)
            ),
        );
    }
    site.ok(&["import", "articles"]);
    site.ok(&["publish"]);
    let listed: serde_json::Value = serde_json::from_str(&site.ok(&["list", "--json"])).expect("list --json");
    let ids = (1..=ARTICLES)
        .map(|i| {
            let found = listed.as_array().expect("array").iter().find(|a| a["title"] == title(i)).expect("listed");
            (i, found["id"].as_str().expect("id").to_string())
        })
        .collect();
    (site, ids)
}

fn db(site: &Site) -> PathBuf {
    site.path().join("archive/feedkeeper.sqlite3")
}

fn offsets(bytes: &[u8], needle: &[u8]) -> Vec<usize> {
    bytes.windows(needle.len()).enumerate().filter(|(_, w)| *w == needle).map(|(i, _)| i).collect()
}

/// Overwrites every copy of `needle` in the database with 0xff bytes (not UTF-8): the row
/// still reads as SQLite sees it, but its text does not decode.
fn flip_text(db: &Path, needle: &str) {
    let mut bytes = std::fs::read(db).expect("read the database");
    let found = offsets(&bytes, needle.as_bytes());
    assert!(!found.is_empty(), "{needle} is in the database");
    for at in found {
        bytes[at..at + needle.len()].fill(0xff);
    }
    std::fs::write(db, bytes).expect("write the database");
}

/// Scribbles over the b-tree header (cell count, content offset) of the page that holds
/// `needle`: SQLite finds that page malformed.
fn damage_page(db: &Path, needle: &str) {
    let mut bytes = std::fs::read(db).expect("read the database");
    let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65536,
        n => usize::from(n),
    };
    let at = *offsets(&bytes, needle.as_bytes()).first().expect("the marker is in the database");
    let page = at / page_size * page_size;
    assert!(page > 0, "the row is not on the header page");
    bytes[page + 3..page + 8].fill(0xff);
    std::fs::write(db, bytes).expect("write the database");
}

/// The ids named on stderr as left out.
fn named(err: &str, ids: &BTreeMap<usize, String>) -> Vec<usize> {
    ids.iter()
        .filter(|(_, id)| err.lines().any(|l| l.contains("left out") && l.contains(id.as_str())))
        .map(|(i, _)| *i)
        .collect()
}

fn assert_refused(site: &Site, args: &[&str]) {
    let out = site.run(args);
    expect_code(&out, 1, args);
    let err = stderr(&out);
    for needle in ["feedkeeper.sqlite3", "damaged", "feedkeeper verify", "backup"] {
        assert!(err.contains(needle), "{args:?}: {needle} not in: {err}");
    }
}

/// Moves the last clean page walk (the `checked` file's time) `ago` into the past.
fn last_walk(site: &Site, ago: std::time::Duration) {
    let stamp = site.path().join("archive/checked");
    let when = std::time::SystemTime::now() - ago;
    std::fs::File::options()
        .write(true)
        .open(&stamp)
        .expect("the walk left its stamp")
        .set_modified(when)
        .expect("touch");
}

#[test]
fn a_damaged_page_is_refused_by_writers_and_read_around_by_readers() {
    let (site, ids) = archive();
    damage_page(&db(&site), &marker(7));
    // Only the header is read before a write within the hour after a clean page walk: an
    // hour later, every writer walks the pages first and refuses.
    last_walk(&site, std::time::Duration::from_secs(2 * 3600));
    let before = std::fs::read(db(&site)).expect("read");
    let feeds_before = snapshot(&site.feeds());
    site.write("more/new.txt", "A new article after the damage\n\nBy Jane Doe\n\nSept. 20, 2018 - Text.\n");
    for args in [&["import", "more"][..], &["publish"], &["publish", "--allow-shrink"], &["run"]] {
        assert_refused(&site, args);
    }
    assert_eq!(std::fs::read(db(&site)).expect("read"), before, "nothing was written to the database");
    assert_eq!(snapshot(&site.feeds()), feeds_before, "nothing was published");

    // `list`: every article it can read, the others named; exit 3 (done, some rows failed).
    let out = site.run(&["list"]);
    let listed = expect_code(&out, 3, &["list"]);
    let err = stderr(&out);
    let skipped = named(&err, &ids);
    assert!(skipped.contains(&7), "article 7 is named: {err}");
    assert!(err.contains("feedkeeper verify"), "{err}");
    for i in 1..=ARTICLES {
        let shown = listed.contains(&format!("{} —", title(i)));
        assert_ne!(shown, skipped.contains(&i), "article {i}: listed {shown}, named {}\n{listed}\n{err}", !shown);
    }
    assert!(skipped.len() < ARTICLES / 2, "only the damaged page's rows are lost: {skipped:?}");

    // `search --json`: the same split, with valid JSON on stdout.
    let out = site.run(&["search", "archive", "--json"]);
    let hits: serde_json::Value = serde_json::from_str(&expect_code(&out, 3, &["search"])).expect("JSON");
    assert_eq!(hits.as_array().expect("array").len() + named(&stderr(&out), &ids).len(), ARTICLES);

    // `show`: a sound article as ever; the damaged one refused with the database named.
    let sound = (1..=ARTICLES).find(|i| !skipped.contains(i)).expect("a sound article");
    assert!(site.ok(&["show", &ids[&sound]]).contains(&title(sound)));
    let out = site.run(&["show", &ids[&7]]);
    expect_code(&out, 1, &["show"]);
    let err = stderr(&out);
    assert!(err.contains(&ids[&7]) && err.contains("feedkeeper verify"), "{err}");

    let out = site.run(&["verify"]);
    expect_code(&out, 1, &["verify"]);
    assert!(stderr(&out).contains("feedkeeper.sqlite3"), "{}", stderr(&out));
}

#[test]
fn a_row_that_does_not_decode_is_named_and_publish_keeps_the_history() {
    let (site, ids) = archive();
    flip_text(&db(&site), &marker(7));

    let out = site.run(&["list", "--json"]);
    let listed: serde_json::Value = serde_json::from_str(&expect_code(&out, 3, &["list"])).expect("JSON");
    assert_eq!(listed.as_array().expect("array").len(), ARTICLES - 1);
    assert_eq!(named(&stderr(&out), &ids), vec![7], "{}", stderr(&out));

    // The archive page holding article 7 goes missing; publishing it again would drop the
    // entry, so publish refuses, naming it, and changes nothing.
    let page = std::fs::read_dir(site.feeds().join("archive"))
        .expect("archive pages")
        .map(|e| e.expect("entry").path())
        .find(|p| std::fs::read_to_string(p.join("atom.xml")).is_ok_and(|x| x.contains(&title(7))))
        .expect("a page holds article 7");
    std::fs::remove_dir_all(&page).expect("remove the page");
    let before = snapshot(&site.feeds());
    let out = site.run(&["publish"]);
    expect_code(&out, 1, &["publish"]);
    let err = stderr(&out);
    assert!(err.contains("log entry 7") && err.contains(&ids[&7]) && err.contains("--allow-shrink"), "{err}");
    assert_eq!(snapshot(&site.feeds()), before, "nothing was published");

    // Told to, it publishes what it can read and names what it left out.
    let out = site.run(&["publish", "--allow-shrink"]);
    expect_code(&out, 3, &["publish", "--allow-shrink"]);
    assert_eq!(named(&stderr(&out), &ids), vec![7], "{}", stderr(&out));
    let atom = std::fs::read_to_string(page.join("atom.xml")).expect("the page is back");
    assert!(!atom.contains(&title(7)), "{atom}");
    assert_eq!(atom.matches("<entry>").count() + atom.matches("<entry ").count(), 2, "{atom}");

    // Bytes flipped inside a text are invisible to SQLite's checks: writing goes on.
    site.write("more/new.txt", "A new article after the damage\n\nBy Jane Doe\n\nSept. 20, 2018 - Text.\n");
    site.ok(&["import", "more"]);
}
