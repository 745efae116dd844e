//! `import` reports what it left out of each article: the file, how many lines or
//! paragraphs of each kind (repeated, caption, debris), and a sample, in the human report
//! and with `--json`; repeats that are the author's own are kept.

use crate::harness::{Site, fixture};

#[test]
fn import_names_each_file_and_what_was_left_out() {
    let site = Site::new(10, "");
    let blank = fixture("import/repeats-blank-lines.txt");
    let seed = fixture("import/seed.txt");
    let out = site.ok(&["import", blank.to_str().expect("utf-8"), seed.to_str().expect("utf-8")]);
    let line = |name: &str| {
        out.lines().find(|l| l.contains(name)).unwrap_or_else(|| panic!("no line for {name}:\n{out}")).to_string()
    };
    let blank_line = line("repeats-blank-lines.txt");
    assert!(blank_line.contains("left out 1 line(s): 1 repeated"), "{blank_line}");
    assert!(blank_line.contains("We will not forget them"), "{blank_line}");
    let seed_line = line("seed.txt");
    assert!(seed_line.contains("caption") && seed_line.contains("728 x 90"), "{seed_line}");

    // The same with --json, for a file with a doubled line inside a hard-wrapped block.
    let wrapped = fixture("import/repeats-hard-wrapped.txt");
    let json = site.ok(&["import", "--json", wrapped.to_str().expect("utf-8"), blank.to_str().expect("utf-8")]);
    let report: serde_json::Value = serde_json::from_str(&json).expect("one JSON report");
    let removed = report["removed"].as_array().expect("removed");
    assert_eq!(removed.len(), 2, "{json}");
    let wrapped_entry = removed
        .iter()
        .find(|r| r["path"].as_str().is_some_and(|p| p.ends_with("repeats-hard-wrapped.txt")))
        .expect("the hard-wrapped file is named");
    assert_eq!(wrapped_entry["removed"], 1, "{json}");
    assert_eq!(wrapped_entry["repeated"], 1, "{json}");
    assert_eq!(wrapped_entry["sample"][0], "Khavaran cemetery, south-east of Tehran", "{json}");
}
