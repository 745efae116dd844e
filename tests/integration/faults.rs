//! Faults and hostile files around the archive and the feeds folder: lock and marker files
//! replaced by symlinks to decoys (the decoy must stay as it was), an emptied database
//! meeting published feeds (they must not shrink unless asked), and `verify` naming what is
//! damaged.

use std::path::Path;

use crate::harness::{Site, expect_code, snapshot, stderr};

fn write_articles(site: &Site, folder: &str, from: usize, n: usize) {
    for i in from..from + n {
        let day = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date") + chrono::Duration::days(i as i64);
        let para = format!("Paragraph about case {i}, with the hearing and the appeal on record. ").repeat(6);
        let text = format!(
            "Case file {i}: the hearing\n\nA summary of case {i}\n\nBy Archive Desk\n\n{} - {para}\n\n{para}\n",
            day.format("%B %-d, %Y")
        );
        site.write(&format!("{folder}/case-{i:05}.txt"), &text);
    }
}

fn decoy(site: &Site) -> std::path::PathBuf {
    site.write("decoy.txt", "precious bytes the user owns\n")
}

fn assert_decoy_unchanged(path: &Path) {
    assert_eq!(std::fs::read_to_string(path).expect("decoy"), "precious bytes the user owns\n");
}

#[test]
fn a_symlinked_archive_lock_is_refused_and_its_target_left_alone() {
    let site = Site::new(5, "");
    write_articles(&site, "in", 0, 3);
    site.ok(&["import", "in"]);
    let target = decoy(&site);
    let lock = site.path().join("archive/lock");
    let _ = std::fs::remove_file(&lock);
    std::os::unix::fs::symlink(&target, &lock).expect("symlink");
    for args in [&["publish"][..], &["import", "in"]] {
        let out = site.run(args);
        expect_code(&out, 1, args);
        let err = stderr(&out);
        assert!(err.contains("archive/lock") && err.contains("symbolic link"), "{err}");
        assert_decoy_unchanged(&target);
    }
}

#[test]
fn a_symlinked_publish_marker_is_refused_and_its_target_left_alone() {
    let site = Site::new(5, "");
    write_articles(&site, "in", 0, 3);
    site.ok(&["import", "in"]);
    let target = decoy(&site);
    std::fs::create_dir_all(site.feeds()).expect("feeds");
    std::os::unix::fs::symlink(&target, site.feeds().join(".fk-publishing")).expect("symlink");
    let out = site.run(&["publish"]);
    expect_code(&out, 1, &["publish"]);
    assert!(stderr(&out).contains(".fk-publishing"), "{}", stderr(&out));
    assert_decoy_unchanged(&target);
}

#[test]
fn an_emptied_database_does_not_shrink_the_published_feeds_unless_asked() {
    let site = Site::new(5, "");
    write_articles(&site, "in", 0, 12);
    site.ok(&["import", "in"]);
    site.ok(&["publish"]);
    let before = snapshot(&site.feeds());
    // The database emptied (or replaced by a fresh one): publishing would cut 12 entries to 0.
    let db = site.path().join("archive/feedkeeper.sqlite3");
    std::fs::remove_file(&db).expect("rm db");
    for sidecar in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(site.path().join(format!("archive/feedkeeper.sqlite3{sidecar}")));
    }
    std::fs::write(&db, b"").expect("empty db");
    let out = site.run(&["publish"]);
    let code = out.status.code();
    assert_eq!(code, Some(1), "refused: {}", stderr(&out));
    assert_eq!(snapshot(&site.feeds()), before, "the feeds are as they were");
    let out = site.run(&["publish", "--allow-shrink"]);
    // Another part of feedkeeper may refuse an empty database outright; either way nothing
    // is published from it without the flag, and with it nothing is left half done.
    if out.status.success() {
        assert_ne!(snapshot(&site.feeds()), before);
    }
}

#[test]
fn verify_passes_a_sound_archive_and_names_a_damaged_database() {
    let site = Site::new(5, "");
    write_articles(&site, "in", 0, 40);
    site.ok(&["import", "in"]);
    let out = site.ok(&["verify"]);
    assert!(out.contains("0 damaged"), "{out}");
    let db = site.path().join("archive/feedkeeper.sqlite3");
    let mut bytes = std::fs::read(&db).expect("db");
    let page = u16::from_be_bytes([bytes[16], bytes[17]]) as usize;
    let page = if page == 1 { 65536 } else { page };
    assert!(bytes.len() > 3 * page, "a database of several pages");
    // Scribble over the b-tree headers of pages 2 and 3.
    for p in [page, 2 * page] {
        for b in &mut bytes[p..p + 12] {
            *b = 0xee;
        }
    }
    std::fs::write(&db, bytes).expect("damage");
    let out = site.run(&["verify"]);
    expect_code(&out, 1, &["verify"]);
    assert!(stderr(&out).contains("feedkeeper.sqlite3"), "{}", stderr(&out));
}

#[test]
fn import_reads_only_regular_files_inside_the_folder_and_names_the_rest() {
    let site = Site::new(5, "");
    write_articles(&site, "in", 0, 1);
    write_articles(&site, "outside", 50, 1);
    let secret = site.write("secret.txt", "Secret title\n\nA private note that must not be archived.\n");
    std::os::unix::fs::symlink(&secret, site.path().join("in/linked.txt")).expect("file link");
    std::os::unix::fs::symlink(site.path().join("outside"), site.path().join("in/elsewhere")).expect("folder link");
    let fifo = std::ffi::CString::new(site.path().join("in/pipe.txt").to_str().expect("utf-8")).expect("cstring");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0, "mkfifo");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_feedkeeper"))
        .arg("--config")
        .arg(site.config())
        .args(["import", "in"])
        .current_dir(site.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // A hang is what is tested: a generous bound.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while child.try_wait().expect("try_wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("import hung on a FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    expect_code(&out, 3, &["import", "in"]);
    let err = stderr(&out);
    assert!(err.contains("linked.txt") && err.contains("symbolic link"), "{err}");
    assert!(err.contains("pipe.txt") && err.contains("FIFO"), "{err}");
    let listed = site.ok(&["list", "--json"]);
    let listed: serde_json::Value = serde_json::from_str(&listed).expect("json");
    let titles: Vec<String> =
        listed.as_array().expect("array").iter().map(|a| a["title"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(titles.len(), 1, "only the regular file inside the folder: {titles:?}");
    assert!(titles[0].contains("case 0") || titles[0].contains("Case file 0"), "{titles:?}");
}
