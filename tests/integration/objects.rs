//! Object storage end to end: the real binary with the AWS environment variables pointing at
//! a throwaway S3 API server (moto, see `s3_service.rs`). Captures written to a bucket are
//! read back by `verify` and `export --wacz`; publishing into a bucket puts the feeds
//! folder's bytes with their media types and caching; an unreachable bucket fails the
//! command clearly, archives nothing that refers to an unwritten capture, and the next run
//! with the bucket back completes.

use std::process::{Command, Output};

use crate::harness::{Site, expect_code, stderr};
use crate::s3_service;

/// Runs the binary for `site` with the S3 variables pointing at `endpoint`.
fn run_at(site: &Site, endpoint: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_feedkeeper"));
    cmd.arg("--config").arg(site.config()).args(args).current_dir(site.path());
    for (name, value) in s3_service::env() {
        cmd.env(name, value);
    }
    cmd.env("AWS_ENDPOINT_URL", endpoint);
    cmd.output().expect("run feedkeeper")
}

fn run_s3(site: &Site, args: &[&str]) -> Output {
    run_at(site, &s3_service::endpoint(), args)
}

/// An endpoint where nothing listens.
fn dead_endpoint() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port").port();
    format!("http://127.0.0.1:{port}")
}

/// The demo with captures going to `s3://<captures>/caps` and, when given, the feeds
/// published to `s3://<feeds>/site/`.
fn demo_with(captures: Option<&str>, feeds: Option<&str>) -> Site {
    let site = Site::demo();
    let mut text = std::fs::read_to_string(site.config()).expect("config");
    if let Some(bucket) = feeds {
        text = text.replacen("[publish]\n", &format!("[publish]\ntarget = \"s3://{bucket}/site/\"\n"), 1);
    }
    if let Some(bucket) = captures {
        text.push_str(&format!("\n[captures]\nurl = \"s3://{bucket}/caps\"\n"));
    }
    std::fs::write(site.config(), text).expect("write config");
    site
}

fn list_json(site: &Site) -> Vec<serde_json::Value> {
    let out = expect_code(&run_s3(site, &["list", "--json", "--limit", "1000"]), 0, &["list"]);
    serde_json::from_str(&out).expect("list --json")
}

#[test]
fn captures_go_to_the_bucket_and_verify_and_export_read_them_back() {
    let bucket = s3_service::bucket("captures");
    let site = demo_with(Some(&bucket), None);
    expect_code(&run_s3(&site, &["import", "articles"]), 0, &["import"]);
    expect_code(&run_s3(&site, &["run"]), 0, &["run"]);

    let keys = s3_service::keys(&bucket, "caps/");
    assert!(!keys.is_empty(), "no capture object in {bucket}");
    assert!(keys.iter().all(|k| k.ends_with(".warc.gz")), "{keys:?}");
    let local = site.path().join("archive/captures");
    let local_files = std::fs::read_dir(&local).map(|d| d.count()).unwrap_or(0);
    assert_eq!(local_files, 0, "captures went to the folder too");

    // Every captured article names its object by URL, and `show` tells it.
    let captured: Vec<String> = list_json(&site)
        .iter()
        .filter_map(|a| a["id"].as_str().map(str::to_string))
        .filter_map(|id| {
            let shown: serde_json::Value =
                serde_json::from_str(&expect_code(&run_s3(&site, &["show", &id, "--json"]), 0, &["show"]))
                    .expect("show --json");
            let file = shown.pointer("/capture/file").or_else(|| shown.pointer("/versions/0/capture/file"))?;
            file.as_str().map(str::to_string)
        })
        .collect();
    assert!(!captured.is_empty(), "no article shows a capture");
    for file in &captured {
        assert!(file.starts_with(&format!("s3://{bucket}/caps/")), "{file}");
    }

    let said = expect_code(&run_s3(&site, &["verify"]), 0, &["verify"]);
    assert!(said.contains(&format!("verified {} capture file(s)", keys.len())), "{said}");
    assert!(said.contains(" 0 damaged"), "{said}");

    let out = site.path().join("caps.wacz");
    let said = expect_code(&run_s3(&site, &["export", "--wacz", out.to_str().expect("utf8")]), 0, &["export"]);
    assert!(said.starts_with(&format!("wrote {}", out.display())), "{said}");
    assert!(std::fs::metadata(&out).expect("package").len() > 0);

    // A damaged object is named by verify.
    let victim = &keys[0];
    let (status, _, mut bytes) = s3_service::request_full("GET", &format!("/{bucket}/{victim}"), &[]);
    assert_eq!(status, 200);
    let at = bytes.len() / 2;
    bytes[at] ^= 0xff;
    let (status, body) = s3_service::request("PUT", &format!("/{bucket}/{victim}"), &bytes);
    assert_eq!(status, 200, "{body}");
    let failed = run_s3(&site, &["verify"]);
    assert_ne!(failed.status.code(), Some(0), "verify passed a damaged object");
    assert!(stderr(&failed).contains(&format!("s3://{bucket}/{victim}")), "{}", stderr(&failed));
}

#[test]
fn an_unreachable_capture_bucket_archives_nothing_and_the_next_run_does() {
    let bucket = s3_service::bucket("capdown");
    let site = demo_with(Some(&bucket), None);
    expect_code(&run_s3(&site, &["import", "articles"]), 0, &["import"]);
    let imported = list_json(&site).len();

    let down = run_at(&site, &dead_endpoint(), &["check", "--json"]);
    let report = expect_code(&down, 3, &["check with the bucket down"]);
    assert!(report.contains(&format!("s3://{bucket}/caps/")) && report.contains("put-if-absent"), "{report}");
    assert_eq!(list_json(&site).len(), imported, "articles archived without their captures");
    assert!(s3_service::keys(&bucket, "").is_empty());

    expect_code(&run_s3(&site, &["check", "--force"]), 0, &["check with the bucket back"]);
    assert!(list_json(&site).len() > imported, "the items were not archived once the bucket was back");
    assert!(!s3_service::keys(&bucket, "caps/").is_empty());
    expect_code(&run_s3(&site, &["verify"]), 0, &["verify"]);
}

#[test]
fn publishing_to_a_bucket_puts_the_folder_bytes_with_types_and_caching() {
    let bucket = s3_service::bucket("feeds");
    let site = demo_with(None, Some(&bucket));
    expect_code(&run_s3(&site, &["import", "articles"]), 0, &["import"]);
    expect_code(&run_s3(&site, &["run"]), 0, &["run"]);

    let files = crate::harness::snapshot(&site.feeds());
    let keys = s3_service::keys(&bucket, "site/");
    let names: Vec<String> = files.iter().map(|(rel, _)| format!("site/{rel}")).collect();
    assert_eq!(keys, names, "the bucket holds exactly the feeds folder's files");
    for (rel, bytes) in &files {
        let (status, headers, body) = s3_service::request_full("GET", &format!("/{bucket}/site/{rel}"), &[]);
        assert_eq!(status, 200, "{rel}");
        assert!(body == *bytes, "{rel}: the object's bytes differ from the folder's");
        let header = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()).unwrap_or_default();
        let expected_type = match rel.rsplit('/').next().unwrap_or_default() {
            "atom.xml" => "application/atom+xml",
            "rss.xml" => "application/rss+xml",
            "feed.json" => "application/feed+json",
            name if name.ends_with(".html") => "text/html; charset=utf-8",
            _ => continue,
        };
        assert_eq!(header("content-type"), expected_type, "{rel}");
        let cache = header("cache-control");
        if rel.starts_with("archive/1/") {
            assert!(cache.contains("immutable"), "{rel}: {cache}");
        } else if !rel.starts_with("articles/") && !rel.starts_with("archive/") {
            assert_eq!(cache, "public, max-age=300", "{rel}");
        }
    }
    assert!(keys.iter().any(|k| k.starts_with("site/archive/1/")), "the demo has archive pages: {keys:?}");

    // Publishing again with nothing new puts nothing; a removed object is not restored by
    // itself (the record says it is there), but a changed file is put.
    let (status, _) = s3_service::request("DELETE", &format!("/{bucket}/site/rss.xml"), &[]);
    assert_eq!(status, 204);
    expect_code(&run_s3(&site, &["publish"]), 0, &["publish again"]);
    assert!(!s3_service::keys(&bucket, "site/").contains(&"site/rss.xml".to_string()));
}

#[test]
fn an_unreachable_feeds_bucket_fails_the_publish_and_the_next_one_completes() {
    let bucket = s3_service::bucket("feedsdown");
    let site = demo_with(None, Some(&bucket));
    expect_code(&run_s3(&site, &["import", "articles"]), 0, &["import"]);
    let down = run_at(&site, &dead_endpoint(), &["publish"]);
    let err = stderr(&down);
    expect_code(&down, 1, &["publish with the bucket down"]);
    assert!(err.contains(&format!("s3://{bucket}/site/")), "{err}");
    assert!(err.contains("retried at the next publish"), "{err}");
    assert!(s3_service::keys(&bucket, "").is_empty(), "something was put");

    expect_code(&run_s3(&site, &["publish"]), 0, &["publish with the bucket back"]);
    let keys = s3_service::keys(&bucket, "site/");
    let files = crate::harness::snapshot(&site.feeds());
    assert_eq!(keys.len(), files.len(), "{keys:?}");
    assert!(keys.contains(&"site/atom.xml".to_string()));
}

#[test]
fn a_remote_plain_http_endpoint_is_refused() {
    let bucket = s3_service::bucket("insecure");
    let site = demo_with(None, Some(&bucket));
    expect_code(&run_s3(&site, &["import", "articles"]), 0, &["import"]);
    let out = run_at(&site, "http://192.0.2.10:9000", &["publish"]);
    assert_eq!(out.status.code(), Some(2), "a refused endpoint is a usage error");
    let err = stderr(&out);
    assert!(err.contains("AWS_ENDPOINT_URL") && err.contains("loopback"), "{err}");
}
