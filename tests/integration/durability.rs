//! What a killed run, a failed write and a read-only archive leave: capture records no
//! committed row refers to are named by `verify` and cut off by the next writer; the read
//! commands work on an archive the user may only read (permissions, or a read-only mount
//! when the tests run as root); an import that stops part-way says how far it got.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::harness::{Site, expect_code, stderr};

fn page_html(title: &str) -> String {
    let para: String = (1..=8)
        .map(|i| {
            format!("<p>{title}, part {i}: the hearing and the appeal, as the record of the court shows them.</p>")
        })
        .collect();
    format!("<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{para}</article></body></html>")
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("JSON")
}

fn capture_files(site: &Site) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(site.path().join("archive/captures"))
        .expect("captures")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

#[test]
fn records_a_killed_run_appended_are_named_by_verify_and_cut_by_the_next_writer() {
    let site = Site::new(5, "");
    let one = site.write("pages/one.html", &page_html("Page one"));
    let id = site.ok(&["add", one.to_str().expect("utf-8")]).trim().to_string();
    let files = capture_files(&site);
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    let committed = std::fs::read(file).expect("capture");
    // A run killed between its capture append and its commit leaves a whole record (here a
    // copy of the committed one) that no row refers to.
    let shown = json(&site.ok(&["show", &id, "--json"]));
    let capture = &shown["versions"][0]["capture"];
    let (offset, length) = (capture["offset"].as_u64().expect("offset"), capture["length"].as_u64().expect("length"));
    let record = committed[offset as usize..(offset + length) as usize].to_vec();
    let mut with_orphan = committed.clone();
    with_orphan.extend_from_slice(&record);
    std::fs::write(file, &with_orphan).expect("append the orphan");

    let out = site.run(&["verify"]);
    expect_code(&out, 1, &["verify"]);
    let err = stderr(&out);
    let name = file.file_name().expect("name").to_str().expect("utf-8");
    assert!(err.contains(name) && err.contains(&format!("{length} byte(s) past its committed length")), "{err}");
    assert_eq!(std::fs::read(file).expect("capture"), with_orphan, "verify changes nothing");

    // The next writer cuts it off and says so; its own capture follows the committed bytes.
    let two = site.write("pages/two.html", &page_html("Page two"));
    let out = site.run(&["add", two.to_str().expect("utf-8")]);
    expect_code(&out, 0, &["add"]);
    let err = stderr(&out);
    assert!(err.contains(name) && err.contains(&format!("removed {length} byte(s)")), "{err}");
    let after = std::fs::read(file).expect("capture");
    assert!(after.starts_with(&committed) && after.len() > committed.len(), "committed bytes kept, new capture after");
    assert!(!after[committed.len()..].starts_with(&record), "the orphan is gone");
    let out = site.ok(&["verify"]);
    assert!(out.contains("0 damaged"), "{out}");
    // The WARC reads to its end: warcinfo and two resource records, digests sound.
    let mut records = Vec::new();
    feedkeeper::archive::warc::scan(file, |found| {
        let found = found.expect("no damaged record");
        found.record.verify_digests().expect("digests");
        records.push(found.record.record_type().unwrap_or_default().to_string());
    })
    .expect("scan");
    assert_eq!(records, ["warcinfo", "resource", "resource"]);
    // A second writer finds nothing more to cut.
    let out = site.run(&["publish"]);
    expect_code(&out, 0, &["publish"]);
    assert!(!stderr(&out).contains("removed"), "{}", stderr(&out));
}

/// Writes `n` article files into `folder`, one a day from 2020-01-01.
fn write_articles(site: &Site, folder: &str, n: usize) {
    for i in 0..n {
        let day = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date") + chrono::Duration::days(i as i64);
        let text = format!(
            "Case file {i}: the hearing\n\nBy Archive Desk\n\n{} - The hearing of case {i} and its appeal, on record.\n",
            day.format("%B %-d, %Y")
        );
        site.write(&format!("{folder}/case-{i:05}.txt"), &text);
    }
}

#[test]
fn an_import_that_stops_part_way_says_how_many_articles_it_committed() {
    let site = Site::new(50, "");
    write_articles(&site, "in", 1500);
    // A fault after the first batch of 1,000: the database refuses the 1,001st article.
    {
        let conn = rusqlite::Connection::open(site.path().join("archive/feedkeeper.sqlite3")).expect("open");
        conn.execute_batch(
            "CREATE TRIGGER refuse_more BEFORE INSERT ON articles WHEN (SELECT COUNT(*) FROM articles) >= 1000
             BEGIN SELECT RAISE(ABORT, 'injected write failure'); END;",
        )
        .expect("trigger");
    }
    let out = site.run(&["import", "in"]);
    expect_code(&out, 1, &["import"]);
    let err = stderr(&out);
    assert!(err.contains("committed 1000 of 1500 articles before:") && err.contains("injected write failure"), "{err}");
    let out = site.run(&["import", "in", "--json"]);
    let report = json(&expect_code(&out, 1, &["import", "--json"]));
    assert_eq!(report["stopped"]["committed"], 1000, "{report}");
    assert_eq!(report["stopped"]["of"], 1500, "{report}");
    assert!(report["stopped"]["error"].as_str().expect("error").contains("injected write failure"), "{report}");
    let listed = site.ok(&["list", "--json"]);
    assert_eq!(json(&listed).as_array().expect("array").len(), 1000, "the committed batch stays");
}

/// The read commands' output on the archive as it is.
fn reads(run: &dyn Fn(&[&str]) -> Output) -> Vec<String> {
    let mut out = Vec::new();
    for args in [&["list", "--json"][..], &["search", "hearing", "--json"], &["sources", "--json"], &["verify"]] {
        let o = run(args);
        out.push(expect_code(&o, 0, args));
    }
    out
}

fn published_site() -> Site {
    let site = Site::new(5, "[[sources]]\nname = \"Court news\"\nurl = \"https://court.example/feed.xml\"\n");
    write_articles(&site, "in", 12);
    site.ok(&["import", "in"]);
    site
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn the_read_commands_work_on_an_archive_the_user_may_only_read() {
    let site = published_site();
    let expected = reads(&|args| site.run(args));
    let archive = site.path().join("archive");
    let files: Vec<PathBuf> = std::fs::read_dir(&archive).expect("archive").map(|e| e.expect("entry").path()).collect();
    for f in &files {
        chmod(f, 0o444);
    }
    chmod(&archive, 0o555);
    chmod(site.path(), 0o755);
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let run = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_feedkeeper"));
        cmd.arg("--config").arg(site.config()).args(args).current_dir(site.path());
        if root {
            // Permissions do not hold root back: read as `nobody`.
            cmd.uid(65534).gid(65534);
        }
        cmd.output().expect("run feedkeeper")
    };
    let got = reads(&run);
    let before: Vec<PathBuf> =
        std::fs::read_dir(&archive).expect("archive").map(|e| e.expect("entry").path()).collect();
    chmod(&archive, 0o755);
    for f in &files {
        chmod(f, 0o644);
    }
    assert_eq!(got, expected, "the same answers as from the writable archive");
    assert_eq!(before.len(), files.len(), "nothing created in the archive folder");
}

#[test]
fn the_read_commands_work_on_a_read_only_mount() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipping the read-only mount test: not root, cannot mount a tmpfs");
        return;
    }
    let site = published_site();
    let expected = reads(&|args| site.run(args));
    let mnt = site.path().join("ro");
    std::fs::create_dir(&mnt).expect("mkdir");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"])
        .arg(&mnt)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipping the read-only mount test: mount -t tmpfs failed (no CAP_SYS_ADMIN here)");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&mnt);
    crate::harness::copy_dir(&site.path().join("archive"), &mnt.join("archive"));
    std::fs::copy(site.config(), mnt.join("feedkeeper.toml")).expect("config");
    assert!(Command::new("mount").args(["-o", "remount,ro"]).arg(&mnt).status().is_ok_and(|s| s.success()));
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_feedkeeper"))
            .arg("--config")
            .arg(mnt.join("feedkeeper.toml"))
            .args(args)
            .current_dir(&mnt)
            .output()
            .expect("run feedkeeper")
    };
    let got = reads(&run);
    assert_eq!(got, expected, "the same answers as from the writable archive");
    let out = run(&["import", site.path().join("in").to_str().expect("utf-8")]);
    expect_code(&out, 1, &["import"]);
    assert!(stderr(&out).contains("archive"), "a writer is refused, naming the archive: {}", stderr(&out));
}
