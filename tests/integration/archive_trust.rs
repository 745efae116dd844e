//! The archive is never silently started over: only `init` creates one, and every other
//! command refuses a missing or empty database (an archive volume that is not mounted, a file
//! truncated to nothing) without touching the published feeds.

use crate::harness::{Site, expect_code, snapshot, stderr};

/// A site with a few imported and published articles.
fn published_site() -> Site {
    let site = Site::demo();
    site.ok(&["import", "articles"]);
    site.ok(&["publish"]);
    site
}

#[test]
fn a_missing_archive_is_refused_and_the_feeds_are_left_alone() {
    let site = published_site();
    let feeds_before = snapshot(&site.feeds());
    // The archive volume is not mounted.
    std::fs::rename(site.path().join("archive"), site.path().join("archive.away")).expect("move");
    for args in [&["run"][..], &["publish"], &["import", "articles"], &["check", "--dry-run"], &["list"], &["sources"]]
    {
        let out = site.run(args);
        expect_code(&out, 1, args);
        let err = stderr(&out);
        assert!(
            err.contains("archive") && err.contains("init") && err.contains("nothing was changed"),
            "{args:?}: {err}"
        );
    }
    // A reader names the database itself.
    let err = stderr(&site.run(&["list"]));
    assert!(err.contains("feedkeeper.sqlite3") && err.contains("missing"), "{err}");
    assert!(!site.path().join("archive").exists(), "nothing was created where the archive was");
    assert_eq!(snapshot(&site.feeds()), feeds_before, "the published history is untouched");
}

#[test]
fn an_empty_database_file_is_refused_and_the_feeds_are_left_alone() {
    let site = published_site();
    let feeds_before = snapshot(&site.feeds());
    let db = site.path().join("archive/feedkeeper.sqlite3");
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(site.path().join(format!("archive/feedkeeper.sqlite3{side}")));
    }
    std::fs::write(&db, b"").expect("truncate");
    for args in [&["publish"][..], &["run"], &["list"]] {
        let out = site.run(args);
        expect_code(&out, 1, args);
        assert!(stderr(&out).contains("an empty file"), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(std::fs::metadata(&db).expect("db").len(), 0, "nothing was written into it");
    assert_eq!(snapshot(&site.feeds()), feeds_before, "the published history is untouched");
}

#[test]
fn init_creates_the_archive_a_config_names_once_and_never_overwrites_it() {
    let site = Site::new(10, "");
    std::fs::remove_dir_all(site.path().join("archive")).expect("remove the archive init made");
    let out = site.run(&["init"]);
    let stdout = expect_code(&out, 0, &["init"]);
    assert!(stdout.contains("created the archive"), "{stdout}");
    let config_before = std::fs::read(site.config()).expect("config");
    site.ok(&["list"]);
    let out = site.run(&["init"]);
    expect_code(&out, 2, &["init", "again"]);
    assert!(stderr(&out).contains("not overwriting"), "{}", stderr(&out));
    assert_eq!(std::fs::read(site.config()).expect("config"), config_before);
}
