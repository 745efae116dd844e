//! Hostile files and settings: config files that are devices or FIFOs, folders that
//! overlap, bad language tags, and a stdout reader that goes away.

use std::process::{Command, Stdio};

use crate::harness::{Site, expect_code, stderr};

fn feedkeeper() -> Command {
    Command::new(env!("CARGO_BIN_EXE_feedkeeper"))
}

#[test]
fn a_config_that_is_a_device_or_a_fifo_is_refused_at_once() {
    let out = feedkeeper().args(["--config", "/dev/zero", "list"]).output().expect("run");
    expect_code(&out, 2, &["--config", "/dev/zero"]);
    assert!(stderr(&out).contains("/dev/zero") && stderr(&out).contains("not a regular file"), "{}", stderr(&out));
    let site = Site::new(10, "");
    let fifo = site.path().join("fifo.toml");
    let made = Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
    if made {
        // Before the fix this blocked in open() until a writer came: the test would hang.
        let out = feedkeeper().arg("--config").arg(&fifo).arg("list").output().expect("run");
        expect_code(&out, 2, &["--config", "fifo"]);
        assert!(stderr(&out).contains("not a regular file"), "{}", stderr(&out));
    } else {
        eprintln!("skipped the FIFO half: mkfifo is not available");
    }
}

#[test]
fn overlapping_folders_and_bad_language_exit_2_naming_the_key() {
    let site = Site::new(10, "[paths]\nfeeds = \".\"\n");
    let out = site.run(&["publish"]);
    expect_code(&out, 2, &["publish"]);
    assert!(stderr(&out).contains("feedkeeper.toml") && stderr(&out).contains("paths.feeds"), "{}", stderr(&out));
    let site = Site::new(10, "");
    let text = std::fs::read_to_string(site.config()).expect("config");
    std::fs::write(site.config(), text.replace("[site]\n", "[site]\nlanguage = \"English (UK)\"\n")).expect("write");
    let out = site.run(&["list"]);
    expect_code(&out, 2, &["list"]);
    assert!(stderr(&out).contains("site.language"), "{}", stderr(&out));
}

#[test]
fn a_closed_stdout_ends_list_quietly() {
    let site = Site::demo();
    site.ok(&["import", "articles"]);
    let mut child =
        site_command(&site, &["list", "--json"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.to_lowercase().contains("broken pipe") && !err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

fn site_command(site: &Site, args: &[&str]) -> Command {
    let mut cmd = feedkeeper();
    cmd.arg("--config").arg(site.config()).args(args).current_dir(site.path());
    cmd
}
