//! The streaming import: more files than one batch are archived in the same order, and give
//! the same archive and feeds, as the same files imported a few at a time in date order.

use crate::harness::{Site, snapshot};

/// More than `import::batch::BATCH`, so the two-pass path is taken.
const FILES: usize = 1_050;

/// Dates run against the file names (later names are older) with ties every third file, so
/// both the date order and the path tie-break are tested. Every seventh file is plain text
/// dated by a date line in its body (no front matter), so the first pass parses it whole;
/// the others state their date in front matter, which the first pass reads alone.
fn write_articles(site: &Site) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for n in 0..FILES {
        let day = (FILES - n) / 3;
        let date = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("date") + chrono::Duration::days(day as i64);
        let (name, text) = if n % 7 == 3 {
            (
                format!("articles/a{n:05}.txt"),
                format!(
                    "Dated in the body, number {n}\n\n{}\n\nBody of article {n}, with its date on a line of its own above.\n\nA second paragraph, {n}.\n",
                    date.format("%A %-d %B %Y 09:00 GMT")
                ),
            )
        } else {
            (
                format!("articles/a{n:05}.md"),
                format!(
                    "---\ntitle: Article number {n}\ndate: {date}\ntags: [perf]\n---\nBody of article {n}, written on {date}.\n\nA second paragraph, {n}.\n"
                ),
            )
        };
        site.write(&name, &text);
        files.push((date.to_string(), name));
    }
    files.sort();
    files
}

fn listing(site: &Site) -> Vec<serde_json::Value> {
    let out = site.ok(&["list", "--json"]);
    let all: Vec<serde_json::Value> = serde_json::from_str(&out).expect("list --json");
    all.into_iter()
        .map(|mut a| {
            if let Some(o) = a.as_object_mut() {
                o.remove("archived_at");
            }
            a
        })
        .collect()
}

#[test]
fn a_streaming_import_equals_a_date_ordered_import_and_is_idempotent() {
    let whole = Site::new(50, "");
    let files = write_articles(&whole);
    whole.ok(&["import", "articles"]);

    // The same files, imported in date order in slices small enough to be held at once.
    let sliced = Site::new(50, "");
    write_articles(&sliced);
    for slice in files.chunks(400) {
        let mut args = vec!["import"];
        args.extend(slice.iter().map(|(_, name)| name.as_str()));
        sliced.ok(&args);
    }
    let listed = listing(&whole);
    assert_eq!(listed.len(), FILES);
    // The dates were found, in front matter and in the body: none is the archive time.
    let dates: Vec<&str> = listed.iter().filter_map(|a| a["published"].as_str()).collect();
    assert_eq!(dates.len(), FILES, "every article has its publication date");
    assert!(dates.iter().all(|d| d.starts_with("200")), "{:?}", dates.iter().find(|d| !d.starts_with("200")));
    assert_eq!(listed, listing(&sliced), "the streaming import archived another order or other articles");

    whole.ok(&["publish"]);
    sliced.ok(&["publish"]);
    let feeds = snapshot(&whole.feeds());
    assert_same_files(&feeds, &snapshot(&sliced.feeds()));

    let again = whole.ok(&["import", "articles"]);
    assert!(again.contains(&format!("{FILES} file(s): 0 added, 0 updated, {FILES} unchanged")), "{again}");
    whole.ok(&["publish"]);
    assert_same_files(&snapshot(&whole.feeds()), &feeds);
}

/// Two feed folders are equal, else the first differing file and line are shown.
fn assert_same_files(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)]) {
    let names = |s: &[(String, Vec<u8>)]| s.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(a), names(b), "the feed folders hold different files");
    for ((name, x), (_, y)) in a.iter().zip(b) {
        let (x, y) = (without_archive_times(x), without_archive_times(y));
        if let Some((l, r)) = x.lines().zip(y.lines()).find(|(l, r)| l != r) {
            panic!("{name} differs:\n  {l}\n  {r}");
        }
        assert_eq!(x, y, "{name} differs in length");
    }
}

/// The text of a published file with the archive times (when each import ran, this century;
/// the articles are dated 2000–2003) replaced, as the two archives were filled seconds apart.
fn without_archive_times(bytes: &[u8]) -> String {
    let times = regex::Regex::new(
        r"20[2-9]\d-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)|\w{3}, \d\d \w{3} 20[2-9]\d \d\d:\d\d:\d\d [+-]\d{4}",
    )
    .expect("regex");
    times.replace_all(&String::from_utf8_lossy(bytes), "ARCHIVED").into_owned()
}

/// A large import reports the files it could not import in path order and names each, both
/// those the first pass finds (no date in front matter, so parsed whole: an empty file) and
/// those only the second finds (a date in front matter but nothing else: no title), and
/// imports all the others.
#[test]
fn a_large_import_reports_failures_from_either_pass_in_path_order() {
    let site = Site::new(50, "");
    write_articles(&site);
    site.write("articles/a00100-untitled.md", "---\ndate: 2001-01-01\n---\n");
    site.write("articles/a00002-empty.txt", "   \n");
    site.write("articles/a01000-untitled.md", "---\ndate: 2002-01-01\n---\n");
    let out = site.run(&["import", "--json", "articles"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("import --json: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    let failed: Vec<&str> =
        report["failed"].as_array().expect("failed").iter().map(|f| f["path"].as_str().expect("path")).collect();
    let names: Vec<&str> = failed.iter().map(|p| p.rsplit('/').next().expect("name")).collect();
    assert_eq!(names, ["a00002-empty.txt", "a00100-untitled.md", "a01000-untitled.md"], "{report}");
    assert_eq!(report["added"], FILES, "{report}");
    assert_eq!(listing(&site).len(), FILES);
}
