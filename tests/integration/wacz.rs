//! `export --wacz` end to end: the demo archive built by the real binary, exported, and the
//! package taken apart here — stored entries, digests, a sorted index whose every line points
//! at a readable record with matching digests, one page per captured article — plus the
//! filters and the refusal of an empty selection.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use feedkeeper::archive::warc;
use feedkeeper::wacz::zip::locate;
use sha2::{Digest, Sha256};

use crate::harness::{Site, expect_code};

/// Every entry of the package: name → bytes (all stored, CRCs checked).
fn unzip(path: &Path) -> Vec<(String, Vec<u8>)> {
    let bytes = std::fs::read(path).expect("read package");
    let mut cursor = std::io::Cursor::new(&bytes);
    locate(&mut cursor)
        .expect("a ZIP")
        .into_iter()
        .map(|e| {
            assert_eq!(e.method, 0, "{} is stored, not deflated", e.name);
            let data = bytes[e.data_offset as usize..][..e.size as usize].to_vec();
            assert_eq!(crc32fast::hash(&data), e.crc32, "{}", e.name);
            (e.name, data)
        })
        .collect()
}

fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn demo() -> Site {
    let site = Site::demo();
    site.ok(&["import", "articles"]);
    site.ok(&["run"]);
    site
}

#[test]
fn the_demo_exports_as_a_wacz_whose_every_index_line_points_at_its_record() {
    let site = demo();
    let out = site.path().join("demo.wacz");
    let said = site.ok(&["export", "--wacz", out.to_str().expect("utf8")]);
    assert!(said.starts_with(&format!("wrote {}", out.display())), "{said}");
    let entries = unzip(&out);
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "archive/data.warc.gz",
            "indexes/index.cdxj",
            "pages/pages.jsonl",
            "datapackage.json",
            "datapackage-digest.json"
        ]
    );
    let file: HashMap<&str, &[u8]> = entries.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();

    // The package description names every other file with its size and digest.
    let package: serde_json::Value = serde_json::from_slice(file["datapackage.json"]).expect("json");
    assert_eq!(package["wacz_version"], "1.1.1");
    assert_eq!(package["profile"], "data-package");
    let resources = package["resources"].as_array().expect("resources");
    assert_eq!(resources.len(), 3);
    for r in resources {
        let data = file[r["path"].as_str().expect("path")];
        assert_eq!(r["bytes"].as_u64(), Some(data.len() as u64), "{r}");
        assert_eq!(r["hash"].as_str(), Some(sha256(data).as_str()), "{r}");
    }
    let digest: serde_json::Value = serde_json::from_slice(file["datapackage-digest.json"]).expect("json");
    assert_eq!(digest["path"], "datapackage.json");
    assert_eq!(digest["hash"].as_str(), Some(sha256(file["datapackage.json"]).as_str()));

    // Every index line, in order, points at a whole record of the WARC with its URL.
    let scratch = tempfile::tempdir().expect("tempdir");
    let warc_path = scratch.path().join("data.warc.gz");
    std::fs::write(&warc_path, file["archive/data.warc.gz"]).expect("write");
    let members: HashMap<u64, u64> =
        warc::read_all(&warc_path).expect("the WARC reads").iter().map(|r| (r.offset, r.length)).collect();
    let index = std::str::from_utf8(file["indexes/index.cdxj"]).expect("utf8");
    let lines: Vec<&str> = index.lines().collect();
    assert!(lines.is_sorted(), "the index is sorted");
    assert_eq!(lines.len(), members.len(), "one line per record");
    let mut urls = HashSet::new();
    for line in &lines {
        let mut parts = line.splitn(3, ' ');
        let (key, ts, json) = (parts.next().expect("key"), parts.next().expect("ts"), parts.next().expect("json"));
        assert_eq!(ts.len(), 14, "{line}");
        let cdx: serde_json::Value = serde_json::from_str(json).expect("json");
        assert_eq!(cdx["filename"], "data.warc.gz");
        let offset: u64 = cdx["offset"].as_str().expect("offset").parse().expect("number");
        let length: u64 = cdx["length"].as_str().expect("length").parse().expect("number");
        assert_eq!(members.get(&offset), Some(&length), "{line}: a whole gzip member");
        let record = warc::read_record(&warc_path, offset).expect("record");
        assert_eq!(record.header("WARC-Target-URI"), cdx["url"].as_str(), "{line}");
        assert_eq!(key, feedkeeper::wacz::surt(cdx["url"].as_str().expect("url")));
        assert!(matches!(record.record_type(), Some("response" | "resource")));
        record.verify_digests().expect("digests hold");
        assert_eq!(record.header("WARC-Payload-Digest"), cdx["digest"].as_str());
        let mut gz = flate2::read::GzDecoder::new(&file["archive/data.warc.gz"][offset as usize..][..length as usize]);
        let mut head = [0u8; 8];
        gz.read_exact(&mut head).expect("gzip");
        assert_eq!(&head, b"WARC/1.1");
        urls.insert(cdx["url"].as_str().expect("url").to_string());
    }

    // One page per captured article, each at a URL the index holds.
    let pages: Vec<serde_json::Value> = std::str::from_utf8(file["pages/pages.jsonl"])
        .expect("utf8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(pages[0]["format"], "json-pages-1.0");
    let listed: Vec<serde_json::Value> = serde_json::from_str(&site.ok(&["list", "--json"])).expect("json");
    let captured = listed
        .iter()
        .filter(|a| {
            let shown = site.ok(&["show", a["id"].as_str().expect("id"), "--json"]);
            shown.contains("\"record_id\"")
        })
        .count();
    assert!(captured > 0);
    assert_eq!(pages.len() - 1, captured, "one line per captured article");
    for p in &pages[1..] {
        assert!(urls.contains(p["url"].as_str().expect("url")), "{p}");
        assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()) && p["ts"].as_str().is_some(), "{p}");
    }

    // Exported again over the old file: replaced whole, nothing left beside it.
    site.ok(&["export", "--wacz", out.to_str().expect("utf8")]);
    assert_eq!(unzip(&out).len(), 5);
    let leftovers: Vec<_> = std::fs::read_dir(site.path())
        .expect("read_dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.contains(".tmp") || n.contains(".sort"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn filters_narrow_the_package_and_an_empty_selection_is_refused() {
    let site = demo();
    let all = site.path().join("all.wacz");
    site.ok(&["export", "--wacz", all.to_str().expect("utf8")]);
    let records = |path: &Path| -> usize {
        let entries = unzip(path);
        std::str::from_utf8(&entries[1].1).expect("utf8").lines().count()
    };
    let total = records(&all);
    let sources: serde_json::Value = serde_json::from_str(&site.ok(&["sources", "--json"])).expect("json");
    let first = sources[0]["name"].as_str().expect("name").to_string();
    let one = site.path().join("one.wacz");
    site.ok(&["export", "--wacz", one.to_str().expect("utf8"), "--source", &first]);
    let from_one = records(&one);
    assert!(from_one > 0 && from_one < total, "{from_one} of {total}");

    let later = site.path().join("later.wacz");
    let args = ["export", "--wacz", later.to_str().expect("utf8"), "--since", "2999-01-01"];
    let out = site.run(&args);
    expect_code(&out, 2, &args);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to export"));
    assert!(!later.exists(), "no package for an empty selection");
    let args = ["export", "--wacz", later.to_str().expect("utf8"), "--tag", "no-such-tag"];
    expect_code(&site.run(&args), 2, &args);
}
