//! Extraction through the real binary: `add` (a page read from a local path) and `import` (a
//! saved page) of the same HTML must give the same text, and it must be the text written by
//! hand for that page (`tests/fixtures/extract-eval/<name>.txt`). The pages are the ones that
//! each show one class of extraction error (a teaser box inside the article, captions and
//! credits, hidden metadata, site furniture, paragraphs holding only a zero-width space).

use crate::harness::{Site, fixture};

const PAGES: &[&str] = &[
    "zero-width-paragraphs",
    "more-box-in-article",
    "linked-headline-blog",
    "captions-credits",
    "hidden-metadata",
    "site-furniture",
];

fn text_of(site: &Site) -> String {
    let list: serde_json::Value = serde_json::from_str(&site.ok(&["list", "--json"])).expect("list json");
    let items = list.as_array().expect("array");
    assert_eq!(items.len(), 1, "{list}");
    let id = items[0]["id"].as_str().expect("id");
    let shown: serde_json::Value = serde_json::from_str(&site.ok(&["show", id, "--json"])).expect("show json");
    shown["text"].as_str().expect("text").to_string()
}

#[test]
fn add_and_import_of_the_same_page_give_the_same_text() {
    for name in PAGES {
        let html = std::fs::read_to_string(fixture(&format!("extract-eval/{name}.html"))).expect("fixture");
        let want = std::fs::read_to_string(fixture(&format!("extract-eval/{name}.txt"))).expect("expected text");

        let added = Site::new(50, "");
        let page = added.write(&format!("{name}.html"), &html);
        added.ok(&["add", page.to_str().expect("utf8")]);
        let via_add = text_of(&added);

        let imported = Site::new(50, "");
        let page = imported.write(&format!("in/{name}.html"), &html);
        let out = imported.ok(&["import", page.to_str().expect("utf8")]);
        assert!(out.contains("1 added"), "{name}: {out}");
        let via_import = text_of(&imported);

        assert_eq!(via_add, via_import, "{name}: add and import differ");
        assert_eq!(via_add, want.trim(), "{name}: not the expected text");
    }
}
