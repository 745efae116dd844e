//! The table-driven test over `tests/fixtures/upstream/`: every feed document there is
//! parsed and compared with its `<name>.expected.json` companion (format, title, item
//! count, and per item id, title, link and dates; or the error). A new real-world case is a
//! new pair of files. `FEEDKEEPER_BLESS=1` rewrites the companions from the parser's output
//! (review the diff before committing it).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{FeedItem, ParsedFeed, parse_feed};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upstream")
}

/// The fixture documents (every file that is not an expected companion), sorted.
pub(crate) fn fixture_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .expect("fixture dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && !p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    files.sort();
    files
}

pub(crate) fn expected_path(doc: &Path) -> PathBuf {
    let name = doc.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    doc.with_file_name(format!("{stem}.expected.json"))
}

fn date(d: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    d.map_or(Value::Null, |d| Value::String(crate::date::rfc3339(&d)))
}

fn item_json(i: &FeedItem) -> Value {
    json!({
        "id": i.upstream_id,
        "title": i.title,
        "link": i.link,
        "published": date(i.published),
        "updated": date(i.updated),
        "authors": i.authors,
        "categories": i.categories,
        "language": i.language,
        "summary_start": i.summary.as_ref().map(|s| s.chars().take(60).collect::<String>()),
        "content_start": i.content_html.as_ref().map(|s| s.chars().take(60).collect::<String>()),
    })
}

fn feed_json(f: &ParsedFeed) -> Value {
    json!({
        "format": f.format.as_str(),
        "title": f.title,
        "site_url": f.site_url,
        "language": f.language,
        "ttl_secs": f.ttl.map(|t| t.as_secs()),
        "hub": f.hub,
        "repairs": f.repairs,
        "item_count": f.items.len(),
        "items": f.items.iter().map(item_json).collect::<Vec<_>>(),
    })
}

#[test]
fn fixtures_match_their_expected_output() {
    let update = crate::bless();
    let files = fixture_files();
    assert!(files.len() >= 30, "the corpus has {} documents", files.len());
    let mut failures = Vec::new();
    for doc in &files {
        let exp_path = expected_path(doc);
        let mut expected: Value = match std::fs::read_to_string(&exp_path) {
            Ok(s) => serde_json::from_str(&s).unwrap_or_else(|e| panic!("{}: {e}", exp_path.display())),
            Err(_) if update => json!({}),
            Err(e) => panic!("{}: {e}", exp_path.display()),
        };
        let name = doc.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let feed_url =
            expected["feed_url"].as_str().map_or_else(|| format!("https://feeds.example.org/{name}"), str::to_string);
        let content_type = expected["content_type"].as_str().map(str::to_string);
        let bytes = std::fs::read(doc).expect("read fixture");
        let mut actual = match parse_feed(&bytes, content_type.as_deref(), &feed_url) {
            Ok(f) => feed_json(&f),
            Err(e) => json!({ "error": e.to_string() }),
        };
        let obj = actual.as_object_mut().expect("object");
        obj.insert("feed_url".into(), json!(feed_url));
        obj.insert("content_type".into(), json!(content_type));
        if update {
            let text = serde_json::to_string_pretty(&actual).expect("json") + "\n";
            std::fs::write(&exp_path, text).expect("write expected");
            continue;
        }
        // Only the keys the companion lists are compared, so a companion can be partial.
        let exp_obj = expected.as_object_mut().expect("expected object");
        for (key, want) in exp_obj.iter() {
            let got = actual.get(key).unwrap_or(&Value::Null);
            if got != want {
                failures.push(format!("{name}: {key}\n  expected {want}\n  actual   {got}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// Cutting any document anywhere (a connection dropped mid-body) never panics, and the
/// items recovered from the head carry links the whole document also has.
#[test]
fn every_cut_of_every_fixture_parses_without_panic() {
    for doc in fixture_files() {
        let bytes = std::fs::read(&doc).expect("read fixture");
        let url = "https://feeds.example.org/cut.xml";
        let full_links: std::collections::HashSet<String> = parse_feed(&bytes, None, url)
            .map(|f| f.items.into_iter().filter_map(|i| i.link).collect())
            .unwrap_or_default();
        let step = (bytes.len() / 60).max(1);
        for cut in (1..bytes.len()).step_by(step) {
            if let Ok(feed) = parse_feed(&bytes[..cut], None, url) {
                for item in &feed.items {
                    if let Some(link) = &item.link {
                        // A link cut in the middle (that URL parsing may have given a `/`
                        // path) may be a prefix of a real one.
                        let cut_link = link.trim_end_matches('/');
                        assert!(
                            full_links.iter().any(|l| l.starts_with(cut_link)) || full_links.is_empty(),
                            "{} cut at {cut}: link {link} not in the whole document",
                            doc.display()
                        );
                    }
                }
            }
        }
    }
}

mod props {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = super::parse_feed(&bytes, None, "https://e.org/f");
        }

        #[test]
        fn mutated_fixtures_never_panic(
            pick in any::<proptest::sample::Index>(),
            edits in proptest::collection::vec((any::<proptest::sample::Index>(), prop_oneof![
                Just(b'<'), Just(b'>'), Just(b'&'), Just(b'"'), Just(b']'), Just(0xE9u8), Just(0x92u8), Just(0u8),
            ]), 1..12),
        ) {
            let files = super::fixture_files();
            let mut bytes = std::fs::read(pick.get(&files)).expect("read fixture");
            for (at, b) in edits {
                if !bytes.is_empty() {
                    let i = at.index(bytes.len());
                    bytes[i] = b;
                }
            }
            let _ = super::parse_feed(&bytes, None, "https://e.org/f");
        }

        #[test]
        fn feed_shaped_soup_never_panics(parts in proptest::collection::vec(prop_oneof![
            Just("<rss version=\"2.0\">"), Just("<channel>"), Just("<item>"), Just("</item>"), Just("<title>"),
            Just("</title>"), Just("<link>"), Just("</link>"), Just("<![CDATA["), Just("]]>"), Just("&amp;"),
            Just("&"), Just("<br>"), Just("é"), Just("<feed xmlns=\"http://www.w3.org/2005/Atom\">"), Just("<entry>"),
            Just("<link href=\"/x\"/>"), Just("<description>"), Just("</description>"), Just("<!--"), Just("-->"),
            Just("http://e.org/a"), Just(" text "), Just("<"), Just(">"), Just("</rss>"), Just("{\"items\":["),
        ], 0..40)) {
            let doc: String = parts.concat();
            let _ = super::parse_feed(doc.as_bytes(), Some("application/rss+xml"), "https://e.org/f");
        }
    }
}

/// An independent reader as an oracle: on the well-formed fixtures of the versions feed-rs
/// supports, feed-rs (with our date normaliser plugged in) finds the same items, links and
/// dates. It disagrees only where it has known gaps, which this reader exists to fill.
#[test]
fn feed_rs_agrees_on_well_formed_fixtures() {
    let mut checked = 0;
    for doc in fixture_files() {
        let name = doc.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let supported =
            ["rss091", "rss092", "rss10", "rss20", "atom10", "jsonfeed"].iter().any(|p| name.starts_with(p));
        if !supported {
            continue;
        }
        let bytes = std::fs::read(&doc).expect("read fixture");
        let url = "https://feeds.example.org/oracle.xml";
        let ours = parse_feed(&bytes, None, url).unwrap_or_else(|e| panic!("{name}: {e}"));
        let theirs = match feed_rs::parser::Builder::new()
            .timestamp_parser(crate::date::parse)
            .base_uri(Some(url))
            .build()
            .parse(bytes.as_slice())
        {
            Ok(f) => f,
            // feed-rs gaps (JSON Feed 1.0 numeric ids…): nothing to compare.
            Err(_) => continue,
        };
        assert_eq!(ours.items.len(), theirs.entries.len(), "{name}: item count");
        for (o, t) in ours.items.iter().zip(&theirs.entries) {
            let their_links: Vec<&str> = t.links.iter().map(|l| l.href.as_str()).collect();
            if let Some(link) = &o.link {
                assert!(
                    their_links.iter().any(|l| {
                        // feed-rs leaves JSON Feed links relative.
                        url::Url::parse(url).and_then(|b| b.join(l.trim())).is_ok_and(|u| u.as_str() == link)
                    }),
                    "{name}: our link {link} not among feed-rs's {their_links:?}"
                );
            }
            assert_eq!(o.published.or(o.updated), t.published.or(t.updated), "{name}: date of {:?}", o.link);
            if let Some(title) = &t.title {
                let theirs = crate::article::collapse_whitespace(&title.content);
                assert_eq!(o.title, super::unescape::html_to_plain(&theirs), "{name}: title");
            }
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} fixtures checked against feed-rs");
}
