//! The archive conformance tests: one suite every backend must pass, run through the same
//! [`Archive`] trait object the commands use.
//!
//! Each check is a function here that takes a fresh, empty archive; the
//! [`conformance_tests!`] macro turns every check into a `#[test]` for one backend, so adding
//! a backend is one line:
//!
//! ```ignore
//! conformance_tests!(sqlite, || SqliteStore::open_in_memory().expect("open"));
//! ```
//!
//! What is checked is what callers rely on: the match order (id, canonical URL,
//! fingerprint) and which article a shared key finds; when a version is made and its
//! `updated` date and keys; a publication log numbered without gaps in commit order, and a
//! failed write that leaves nothing; byte order of ids, tags and source names; explicit
//! tie-breaks; exact timestamps; tags and changed tags; search; saved state; and the source
//! state and decisions round trip.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::policy::MatchKey;
use super::{Archive, ArchiveError, DedupKeys, ListQuery, PutOutcome, SourceState, TagInfo, backend::NewVersion};
use crate::archive::Decision;
use crate::archive::catalog::{CatalogSource, Claim, ClaimRequest, SourceOrigin};
use crate::article::{Article, ArticleId, Content, Origin, Person};

/// Defines one `#[test]` per conformance check in a module `$name`, each on a fresh archive
/// from `$open` (an expression returning a value of a type implementing [`Archive`]).
macro_rules! conformance_tests {
    ($name:ident, $open:expr) => {
        mod $name {
            use $crate::archive::conformance as check;

            fn open() -> Box<dyn $crate::archive::Archive> {
                Box::new(($open)())
            }

            $crate::archive::conformance::conformance_tests!(@checks
                ids_match_first_then_urls_then_fingerprints,
                a_shared_url_or_fingerprint_finds_the_article_archived_first,
                a_new_version_only_when_what_readers_see_changes,
                a_new_version_moves_updated_forward_and_settles_its_keys,
                the_log_is_numbered_without_gaps_in_commit_order,
                a_failed_write_leaves_nothing,
                ids_tags_and_names_are_in_byte_order,
                lists_are_newest_first_then_by_id,
                timestamps_come_back_exactly,
                tags_and_changed_tags,
                search_finds_every_word_of_the_current_versions,
                saved_state_round_trips,
                source_state_and_decisions_round_trip,
                refresh_states_round_trip,
                every_version_is_read_back_with_its_text,
                the_catalog_upserts_lists_and_disables_sources,
                due_sources_are_claimed_once_and_taken_over_after_the_lease,
                a_stale_claim_cannot_overwrite_its_successors_save,
                a_renewed_claim_outlives_its_first_lease,
                a_saved_state_moves_the_due_time_and_release_frees_the_source,
                the_per_host_cap_holds_across_workers,
                named_claims_skip_sources_another_worker_holds,
            );
        }
    };
    (@checks $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                check::$check(open().as_mut());
            }
        )*
    };
}
pub(crate) use conformance_tests;

conformance_tests!(sqlite, || crate::archive::SqliteStore::open_in_memory().expect("open"));
conformance_tests!(memory, crate::archive::MemoryStore::new);

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("date").with_timezone(&Utc)
}

fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2018, 9, d, 0, 0, 0).single().expect("date")
}

/// An article `id` with this title and text, published on September `d`, 2018.
pub(crate) fn article(id: &str, title: &str, text: &str, d: u32, tags: &[&str]) -> Article {
    let mut a = Article {
        id: ArticleId(id.into()),
        title: title.into(),
        summary: Some(format!("About {title}")),
        content: Content { text: text.into(), html: format!("<p>{text}</p>") },
        authors: vec![Person::named("PMOI/MEK")],
        published: Some(day(d)),
        updated: day(d),
        url: None,
        source: None,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        language: Some("en".into()),
        content_hash: String::new(),
        archived_at: day(28),
        origin: Origin::Import { file: format!("{id}.txt") },
        capture: None,
    };
    a.seal();
    a
}

/// Keys with this canonical URL and fingerprint.
pub(crate) fn keys(url: Option<&str>, fp: Option<&str>) -> DedupKeys {
    DedupKeys { identity: "test".into(), canonical_url: url.map(Into::into), fingerprint: fp.map(Into::into) }
}

fn id(s: &str) -> ArticleId {
    ArticleId(s.into())
}

fn put(store: &mut dyn Archive, a: &Article, k: &DedupKeys) -> PutOutcome {
    store.put(a, k).expect("put")
}

fn seqs(store: &dyn Archive) -> Vec<(u64, String, u32)> {
    let mut out = Vec::new();
    store
        .log_range(1, store.log_len().expect("len"), &mut |e| {
            out.push((e.seq, e.article.id.to_string(), e.version));
            Ok(())
        })
        .expect("log");
    out
}

pub fn ids_match_first_then_urls_then_fingerprints(store: &mut dyn Archive) {
    let a = article("urn:a", "A", "Text of a.", 1, &[]);
    assert!(matches!(
        put(store, &a, &keys(Some("https://a.example/"), Some("fp-a"))),
        PutOutcome::Added { seq: 1, .. }
    ));
    let b = article("urn:b", "B", "Text of b.", 2, &[]);
    put(store, &b, &keys(Some("https://b.example/"), Some("fp-b")));

    // Another id under a's URL is a: a new version of it.
    let by_url = article("urn:other", "A again", "A changed text.", 1, &[]);
    let k = keys(Some("https://a.example/"), Some("fp-b"));
    assert_eq!(store.find(&by_url.id, &k).expect("find"), Some(id("urn:a")), "the URL before the fingerprint");
    let k = keys(Some("https://a.example/"), None);
    assert_eq!(put(store, &by_url, &k), PutOutcome::Updated { id: id("urn:a"), version: 2, seq: 3 });

    // b's id wins over a's URL.
    let by_id = article("urn:b", "B", "Text of b.", 2, &[]);
    let k = keys(Some("https://a.example/"), Some("fp-a"));
    assert_eq!(store.find(&by_id.id, &k).expect("find"), Some(id("urn:b")), "the id before the URL");
    assert_eq!(put(store, &by_id, &k), PutOutcome::Unchanged { id: id("urn:b") });

    // The same text under another URL is a syndicated copy: kept once, never versioned.
    let copy = article("urn:copy", "A, syndicated", "Other words.", 3, &[]);
    let k = keys(Some("https://mirror.example/"), Some("fp-b"));
    assert_eq!(store.find(&copy.id, &k).expect("find"), Some(id("urn:b")));
    assert_eq!(put(store, &copy, &k), PutOutcome::Duplicate { id: id("urn:b") });

    let new = keys(Some("https://new.example/"), Some("fp-new"));
    assert_eq!(store.find(&id("urn:new"), &new).expect("find"), None);
    assert_eq!((store.count().expect("count"), store.log_len().expect("log")), (2, 3));
    assert!(store.get(&copy.id).expect("get").is_none());
    assert_eq!(
        store.lookup(MatchKey::CanonicalUrl("https://b.example/")).expect("lookup").map(|h| h.id),
        Some(id("urn:b"))
    );
}

pub fn a_shared_url_or_fingerprint_finds_the_article_archived_first(store: &mut dyn Archive) {
    // Ids sort the other way round from the archiving order, so neither order hides the other.
    let first = article("urn:z-first", "First", "First text.", 1, &[]);
    let second = article("urn:a-second", "Second", "Second text.", 2, &[]);
    put(store, &first, &keys(None, None));
    put(store, &second, &keys(Some("https://shared.example/"), Some("fp-shared")));
    // A new version of `first`, matched by its id, takes the URL and fingerprint `second` has.
    let mut again = first.clone();
    again.title = "First, revised".into();
    again.seal();
    let outcome = put(store, &again, &keys(Some("https://shared.example/"), Some("fp-shared")));
    assert!(matches!(outcome, PutOutcome::Updated { version: 2, .. }), "{outcome:?}");

    for key in [MatchKey::CanonicalUrl("https://shared.example/"), MatchKey::Fingerprint("fp-shared")] {
        let head = store.lookup(key).expect("lookup").expect("found");
        assert_eq!(head.id, first.id, "{key:?} finds the article archived first");
    }
    let other = article("urn:m-other", "Other", "Other text.", 3, &[]);
    assert_eq!(
        store.find(&other.id, &keys(Some("https://shared.example/"), None)).expect("find"),
        Some(first.id.clone())
    );
    assert_eq!(put(store, &other, &keys(None, Some("fp-shared"))), PutOutcome::Duplicate { id: first.id.clone() });
}

pub fn a_new_version_only_when_what_readers_see_changes(store: &mut dyn Archive) {
    let a = article("urn:a", "Geneva conference", "The 1988 massacre of political prisoners.", 14, &["iran"]);
    let k = keys(None, None);
    assert_eq!(put(store, &a, &k), PutOutcome::Added { id: a.id.clone(), seq: 1 });
    // Bookkeeping is not content: archived again later, with another origin, it is unchanged.
    let mut later = a.clone();
    later.archived_at = day(29);
    later.updated = day(29);
    later.origin = Origin::Import { file: "elsewhere.txt".into() };
    assert_eq!(put(store, &later, &k), PutOutcome::Unchanged { id: a.id.clone() });

    let mut b = a.clone();
    b.content.text.push_str(" An update.");
    b.seal();
    assert_eq!(put(store, &b, &k), PutOutcome::Updated { id: a.id.clone(), version: 2, seq: 2 });
    assert_eq!(put(store, &b, &k), PutOutcome::Unchanged { id: a.id.clone() });
    let mut c = b.clone();
    c.tags.push("un".into());
    assert_eq!(put(store, &c, &k), PutOutcome::Updated { id: a.id.clone(), version: 3, seq: 3 });

    let stored = store.get(&a.id).expect("get").expect("exists");
    assert_eq!(stored.versions.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(stored.versions[1].content_hash, b.content_hash);
    assert_eq!(stored.article.tags, ["iran", "un"]);
    assert!(stored.article.content.text.ends_with("An update."));
    assert_eq!(store.count().expect("count"), 1);
    assert_eq!(store.log_len().expect("log"), 3);
}

pub fn a_new_version_moves_updated_forward_and_settles_its_keys(store: &mut dyn Archive) {
    let a = article("urn:a", "Story", "First wording.", 14, &[]);
    put(store, &a, &keys(Some("https://first.example/"), Some("fp-1")));
    let mut b = a.clone();
    b.content.text = "Second wording.".into();
    b.archived_at = at("2018-09-14T00:00:00.250Z");
    b.seal();
    // Same `updated` as before: it moves one second past the previous version's.
    put(store, &b, &keys(Some("https://second.example/"), Some("fp-2")));
    let stored = store.get(&a.id).expect("get").expect("exists");
    assert_eq!(stored.article.updated, a.updated + Duration::seconds(1));
    // The first URL stays, the newest fingerprint replaces the old one.
    let probe = |store: &dyn Archive, url: Option<&str>, fp: Option<&str>| {
        store.find(&id("urn:probe"), &keys(url, fp)).expect("find")
    };
    assert_eq!(probe(store, Some("https://first.example/"), None), Some(a.id.clone()));
    assert_eq!(probe(store, Some("https://second.example/"), None), None);
    assert_eq!(probe(store, None, Some("fp-2")), Some(a.id.clone()));
    assert_eq!(probe(store, None, Some("fp-1")), None);
    // A copy without a fingerprint keeps the stored one; a later archive time wins.
    let mut c = b.clone();
    c.content.text = "Third wording.".into();
    c.archived_at = at("2018-10-01T12:00:00Z");
    c.seal();
    put(store, &c, &keys(None, None));
    assert_eq!(probe(store, None, Some("fp-2")), Some(a.id.clone()));
    let stored = store.get(&a.id).expect("get").expect("exists");
    assert_eq!(stored.article.updated, at("2018-10-01T12:00:00Z"));
    assert_eq!(stored.versions.len(), 3);
}

pub fn the_log_is_numbered_without_gaps_in_commit_order(store: &mut dyn Archive) {
    let items: Vec<(Article, DedupKeys)> = (0..6)
        .map(|i| {
            (article(&format!("urn:{}", 9 - i), &format!("T{i}"), &format!("Text {i}."), 1 + i, &[]), keys(None, None))
        })
        .collect();
    let out = store.put_all(&items).expect("put_all");
    assert_eq!(
        out.iter().map(|o| o.id().to_string()).collect::<Vec<_>>(),
        ["urn:9", "urn:8", "urn:7", "urn:6", "urn:5", "urn:4"]
    );
    // A batch mixing unchanged, updated and new articles: only changes are logged, in order.
    let mut changed = items[3].0.clone();
    changed.title = "T3, revised".into();
    changed.seal();
    let batch = vec![
        items[0].clone(),
        (changed, keys(None, None)),
        (article("urn:0", "New", "New text.", 9, &[]), keys(None, None)),
    ];
    let out = store.put_all(&batch).expect("put_all");
    assert_eq!(
        out,
        [
            PutOutcome::Unchanged { id: id("urn:9") },
            PutOutcome::Updated { id: id("urn:6"), version: 2, seq: 7 },
            PutOutcome::Added { id: id("urn:0"), seq: 8 }
        ]
    );
    let log = seqs(store);
    assert_eq!(log.iter().map(|e| e.0).collect::<Vec<_>>(), (1..=8).collect::<Vec<_>>());
    assert_eq!(log[6], (7, "urn:6".into(), 2));
    assert_eq!(log[7], (8, "urn:0".into(), 1));
    // Ranges are inclusive and clipped to the log; entries carry the HTML, not the text.
    let mut part = Vec::new();
    store
        .log_range(7, 100, &mut |e| {
            assert!(e.article.content.text.is_empty() && !e.article.content.html.is_empty());
            part.push(e.seq);
            Ok(())
        })
        .expect("range");
    assert_eq!(part, [7, 8]);
    assert_eq!(store.log_len().expect("len"), 8);
}

pub fn a_failed_write_leaves_nothing(store: &mut dyn Archive) {
    put(store, &article("urn:a", "A", "Text.", 1, &["kept"]), &keys(None, None));
    let b = article("urn:b", "B", "Text b.", 2, &["lost"]);
    let k = keys(Some("https://b.example/"), None);
    let err = store
        .write(&mut |w| {
            w.insert(&NewVersion { article: &b, version: 1, revision: "r", keys: &k })?;
            Err(ArchiveError::Corrupt { path: "test".into(), what: "test".into(), detail: "abandoned".into() })
        })
        .expect_err("the work failed");
    assert!(err.to_string().contains("abandoned"), "{err}");
    assert_eq!((store.count().expect("count"), store.log_len().expect("log")), (1, 1));
    assert!(store.get(&b.id).expect("get").is_none());
    assert_eq!(store.find(&b.id, &k).expect("find"), None);
    assert_eq!(store.tags().expect("tags").iter().map(|t| t.tag.as_str()).collect::<Vec<_>>(), ["kept"]);
    // The next write takes the next number: no gap where the failed one was.
    assert_eq!(put(store, &b, &k), PutOutcome::Added { id: b.id.clone(), seq: 2 });
}

pub fn ids_tags_and_names_are_in_byte_order(store: &mut dyn Archive) {
    let ids = ["urn:x:é", "urn:x:b", "urn:x:B", "urn:x:a_", "urn:x:a%", "urn:x:Z"];
    for (i, name) in ids.iter().enumerate() {
        let tags: &[&str] = if i == 0 { &["émeute", "Zeta", "a b", "alpha"] } else { &["alpha"] };
        put(store, &article(name, &format!("T{i}"), &format!("Text {i}."), 1, tags), &keys(None, None));
    }
    let mut sorted: Vec<&str> = ids.to_vec();
    sorted.sort_unstable(); // str's order is byte order
    let by_prefix: Vec<String> =
        store.ids_with_prefix("urn:x:", 10).expect("prefix").iter().map(|i| i.to_string()).collect();
    assert_eq!(by_prefix, sorted);
    assert_eq!(store.ids_with_prefix("urn:x:", 2).expect("prefix").len(), 2, "the limit");
    // `%` and `_` are ordinary characters in a prefix.
    assert_eq!(store.ids_with_prefix("urn:x:a_", 10).expect("prefix"), vec![id("urn:x:a_")]);
    assert_eq!(store.ids_with_prefix("urn:x:a%", 10).expect("prefix"), vec![id("urn:x:a%")]);
    assert!(store.ids_with_prefix("urn:x:A", 10).expect("prefix").is_empty(), "case matters");
    let mut texts = Vec::new();
    store.each_text(&mut |id, _, _| texts.push(id.to_string())).expect("texts");
    assert_eq!(texts, sorted);
    let tags: Vec<String> = store.tags().expect("tags").into_iter().map(|t| t.tag).collect();
    assert_eq!(tags, ["Zeta", "a b", "alpha", "émeute"]);

    let state = |name: &str| SourceState {
        name: name.into(),
        url: format!("https://{}.example/", name.len()),
        ..SourceState::default()
    };
    let names = ["émile", "Zed", "alpha", "Alpha"];
    store.record_check(&names.map(state), &[], &[]).expect("record");
    let got: Vec<String> = store.source_states().expect("states").into_iter().map(|s| s.name).collect();
    assert_eq!(got, ["Alpha", "Zed", "alpha", "émile"]);
}

pub fn lists_are_newest_first_then_by_id(store: &mut dyn Archive) {
    // Same date: by id; a date without `published` sorts by `updated`.
    put(store, &article("urn:b", "B", "b", 5, &["t"]), &keys(None, None));
    put(store, &article("urn:a", "A", "a", 5, &["t"]), &keys(None, None));
    put(store, &article("urn:c", "C", "c", 9, &[]), &keys(None, None));
    let mut undated = article("urn:d", "D", "d", 1, &["t"]);
    undated.published = None;
    undated.updated = day(7);
    undated.seal();
    put(store, &undated, &keys(None, None));
    let titles = |q: ListQuery| -> Vec<String> { store.list(&q).expect("list").into_iter().map(|a| a.title).collect() };
    assert_eq!(titles(ListQuery::default()), ["C", "D", "A", "B"]);
    assert_eq!(titles(ListQuery { limit: Some(2), tag: None }), ["C", "D"]);
    assert_eq!(titles(ListQuery { limit: None, tag: Some("t".into()) }), ["D", "A", "B"]);
    assert!(titles(ListQuery { limit: None, tag: Some("T".into()) }).is_empty(), "tags compare by bytes");
    // The newest log entry first for a tag feed: `b` is changed last.
    let mut b2 = article("urn:b", "B", "b, revised", 5, &["t"]);
    b2.seal();
    put(store, &b2, &keys(None, None));
    let entries: Vec<(u64, String, u32)> = store
        .tag_entries("t", 10)
        .expect("entries")
        .into_iter()
        .map(|e| (e.seq, e.article.id.to_string(), e.version))
        .collect();
    assert_eq!(entries, [(5, "urn:b".into(), 2), (4, "urn:d".into(), 1), (2, "urn:a".into(), 1)]);
    assert_eq!(store.tag_entries("t", 1).expect("entries").len(), 1);
}

pub fn timestamps_come_back_exactly(store: &mut dyn Archive) {
    let mut a = article("urn:a", "A", "Text.", 1, &[]);
    a.published = Some(at("2018-09-01T10:20:30.123456789Z"));
    a.updated = at("2018-09-01T10:20:31.000000001Z");
    a.archived_at = at("2026-11-28T12:00:00.987654321Z");
    a.seal();
    put(store, &a, &keys(None, None));
    // Half a second later, in the same second: the list order is by id within the second.
    let mut b = article("urn:b", "B", "Other.", 1, &[]);
    b.published = Some(at("2018-09-01T10:20:30.623456789Z"));
    b.seal();
    put(store, &b, &keys(None, None));
    let stored = store.get(&a.id).expect("get").expect("exists");
    assert_eq!(stored.article, a, "every field as written");
    assert_eq!(stored.versions[0].archived_at, a.archived_at);
    assert_eq!(stored.first_archived_at, at("2026-11-28T12:00:00Z"), "bookkeeping to the second");
    let listed = store.list(&ListQuery::default()).expect("list");
    assert_eq!(listed.iter().map(|x| x.id.to_string()).collect::<Vec<_>>(), ["urn:a", "urn:b"]);
    assert_eq!(listed[0].published, a.published);
    let mut logged = Vec::new();
    store
        .log_range(1, 1, &mut |e| {
            logged.push(e.article);
            Ok(())
        })
        .expect("log");
    assert_eq!(
        (logged[0].published, logged[0].updated, logged[0].archived_at),
        (a.published, a.updated, a.archived_at)
    );
    // An empty summary comes back as none.
    let mut c = article("urn:c", "C", "Third.", 2, &[]);
    c.summary = Some(String::new());
    put(store, &c, &keys(None, None));
    assert_eq!(store.get(&c.id).expect("get").expect("exists").article.summary, None);
}

pub fn tags_and_changed_tags(store: &mut dyn Archive) {
    let items = vec![
        (article("urn:a", "Geneva conference", "Inquiry.", 14, &["iran", "un", "iran"]), keys(None, None)),
        (article("urn:b", "Amnesty report", "Graves.", 10, &["iran"]), keys(None, None)),
        (article("urn:c", "Other", "Nothing.", 20, &[]), keys(None, None)),
    ];
    store.put_all(&items).expect("put_all");
    assert_eq!(
        store.tags().expect("tags"),
        [TagInfo { tag: "iran".into(), count: 2, last_seq: 2 }, TagInfo { tag: "un".into(), count: 1, last_seq: 1 }]
    );
    assert_eq!(store.tags_since(1).expect("since"), ["iran"]);
    assert!(store.tags_since(3).expect("since").is_empty());
    // Removing a tag changes that tag's feed too.
    let mut a2 = items[0].0.clone();
    a2.tags = vec!["geneva".into()];
    put(store, &a2, &keys(None, None));
    assert_eq!(store.tags_since(3).expect("since"), ["geneva", "iran", "un"]);
    assert_eq!(
        store.tags().expect("tags"),
        [
            TagInfo { tag: "geneva".into(), count: 1, last_seq: 4 },
            TagInfo { tag: "iran".into(), count: 1, last_seq: 2 }
        ]
    );
    assert!(store.tag_entries("un", 10).expect("entries").is_empty());
    // Only the version logged and the one it replaced count, not older ones.
    let mut a3 = a2.clone();
    a3.title = "Geneva conference, again".into();
    put(store, &a3, &keys(None, None));
    assert_eq!(store.tags_since(4).expect("since"), ["geneva"]);
}

pub fn search_finds_every_word_of_the_current_versions(store: &mut dyn Archive) {
    let items = vec![
        (
            article("urn:a", "Geneva conference", "Calls for an inquiry into the 1988 massacre in Iran.", 14, &[]),
            keys(None, None),
        ),
        (
            article("urn:b", "Amnesty report", "Mass graves are being destroyed, says Amnesty. Evin prison.", 10, &[]),
            keys(None, None),
        ),
        (article("urn:c", "Evin prison", "Political prisoners held in Tehran.", 20, &[]), keys(None, None)),
        (article("urn:d", "Prisoners, political", "Held without trial; the Évin case.", 21, &[]), keys(None, None)),
    ];
    store.put_all(&items).expect("put_all");
    fn ids(store: &dyn Archive, q: &str) -> Vec<String> {
        store.search(q, 10).expect("search").into_iter().map(|h| h.article.id.to_string()).collect()
    }
    assert_eq!(ids(store, "massacre IRAN"), ["urn:a"], "every word, in any case");
    assert!(ids(store, "massacre graves").is_empty());
    assert_eq!(ids(store, "\"political prisoners\""), ["urn:c"], "a phrase is its words in order");
    let mut both = ids(store, "political prisoners");
    both.sort();
    assert_eq!(both, ["urn:c", "urn:d"]);
    assert_eq!(ids(store, "evin")[0], "urn:c", "a title counts more than the text");
    let thrice = article("urn:e", "Detention report", "A prison, another prison, a third prison.", 22, &[]);
    put(store, &thrice, &keys(None, None));
    assert_eq!(ids(store, "prison")[0], "urn:c", "a title counts more than a word three times in the text");
    assert_eq!(ids(store, "evin").len(), 3, "accents are ignored");
    assert_eq!(ids(store, "\"mass graves"), ["urn:b"], "an unbalanced quote");
    assert!(ids(store, "((").is_empty() && ids(store, "").is_empty() && ids(store, "* - **").is_empty());
    assert_eq!(store.search("evin", 1).expect("search").len(), 1, "the limit");
    let hit = &store.search("massacre", 10).expect("search")[0];
    assert!(hit.snippet.contains("[massacre]"), "{}", hit.snippet);
    assert!(hit.score > 0.0);
    // Only the current version is searched.
    let mut a2 = items[0].0.clone();
    a2.content.text = "A rewritten text about courts.".into();
    a2.seal();
    put(store, &a2, &keys(None, None));
    assert!(ids(store, "massacre").is_empty());
    assert_eq!(ids(store, "courts"), ["urn:a"]);
    // Equal scores: by id.
    let twin = |i: &str| article(i, "Twin", "Identical words here.", 3, &[]);
    store.put_all(&[(twin("urn:twin-b"), keys(None, None)), (twin("urn:twin-a"), keys(None, None))]).expect("twins");
    assert_eq!(ids(store, "identical"), ["urn:twin-a", "urn:twin-b"]);
}

pub fn saved_state_round_trips(store: &mut dyn Archive) {
    assert_eq!(store.meta_get("k").expect("get"), None);
    store.meta_set("k", "one").expect("set");
    store.meta_set("k", "two").expect("set");
    store.meta_set("other", "").expect("set");
    assert_eq!(store.meta_get("k").expect("get").as_deref(), Some("two"));
    assert_eq!(store.meta_get("other").expect("get").as_deref(), Some(""));
}

fn decision(source: &str, key: &str, kept: bool) -> Decision {
    Decision {
        source: source.into(),
        item_key: key.into(),
        title: format!("Item {key}"),
        url: Some(format!("https://news.example/{key}")),
        score: if kept { 0.8125 } else { 0.1 },
        kept,
        reasons: vec!["archive topic 0.80".into(), "keyword \"Evin\" in title".into()],
        item_hash: "h1".into(),
        topic_fingerprint: "t1".into(),
        rules_fingerprint: "r1".into(),
        article_id: kept.then(|| ArticleId(format!("urn:uuid:{key}"))),
        decided_at: at("2026-11-28T12:00:00Z"),
    }
}

pub fn source_state_and_decisions_round_trip(store: &mut dyn Archive) {
    assert!(store.source_states().expect("states").is_empty());
    let state = SourceState {
        name: "HR News".into(),
        url: "https://hr.example/feed".into(),
        etag: Some("\"v1\"".into()),
        last_modified: Some("Sat, 28 Nov 2026 11:00:00 GMT".into()),
        last_attempt: Some(at("2026-11-28T12:00:00Z")),
        last_success: Some(at("2026-11-28T12:00:00Z")),
        last_error: None,
        failures: 0,
        next_due: Some(at("2026-11-28T13:00:00Z")),
        retry_after: None,
        ttl_secs: Some(1800),
        max_age_secs: Some(u64::MAX),
        items_kept: 0,
    };
    let decisions = [decision("HR News", "a", true), decision("HR News", "b", false), decision("Other", "a", true)];
    store.record_check(std::slice::from_ref(&state), &decisions, &[]).expect("record");
    let states = store.source_states().expect("states");
    assert_eq!(
        states,
        [SourceState { items_kept: 1, max_age_secs: Some(i64::MAX as u64), ..state.clone() }],
        "kept items are counted from the decisions; seconds are capped at i64::MAX"
    );
    assert_eq!(store.decision("HR News", "b").expect("read"), Some(decisions[1].clone()));
    assert_eq!(store.decision("HR News", "zz").expect("read"), None);
    assert_eq!(store.decision("HR", "a").expect("read"), None, "keys are whole names");

    // A later check replaces the decision and the state; times are kept to the second.
    let mut again = decision("HR News", "b", true);
    again.item_hash = "h2".into();
    again.decided_at = at("2026-11-28T14:00:00.75Z");
    let failed = SourceState {
        failures: 3,
        last_error: Some("timed out".into()),
        last_attempt: Some(at("2026-11-28T14:00:00.5Z")),
        retry_after: Some(at("2026-11-28T15:00:00.999Z")),
        ..state.clone()
    };
    store.record_check(&[failed], std::slice::from_ref(&again), &[]).expect("record");
    assert_eq!(
        store.decision("HR News", "b").expect("read"),
        Some(Decision { decided_at: at("2026-11-28T14:00:00Z"), ..again })
    );
    let states = store.source_states().expect("states");
    assert_eq!((states[0].failures, states[0].items_kept), (3, 2));
    assert_eq!(states[0].last_error.as_deref(), Some("timed out"));
    assert_eq!(states[0].last_attempt, Some(at("2026-11-28T14:00:00Z")));
    assert_eq!(states[0].retry_after, Some(at("2026-11-28T15:00:00Z")));
    // A success clears the error.
    let ok = SourceState { failures: 0, last_error: None, ..states[0].clone() };
    store.record_check(&[ok], &[], &[]).expect("record");
    assert_eq!(store.source_states().expect("states")[0].last_error, None);
}

fn refresh(id: &str, state: crate::archive::ArticleState) -> crate::archive::RefreshState {
    crate::archive::RefreshState {
        article_id: ArticleId(id.into()),
        state,
        since: at("2026-11-28T12:00:00.25Z"),
        last_checked: at("2026-11-28T12:00:00.75Z"),
        etag: Some("\"e1\"".into()),
        last_modified: Some("Sat, 28 Nov 2026 11:00:00 GMT".into()),
        failures: 0,
        last_error: None,
        evidence: None,
    }
}

pub fn refresh_states_round_trip(store: &mut dyn Archive) {
    use crate::archive::{ArticleState, Evidence, RefreshState};
    assert!(store.refresh_states().expect("states").is_empty());
    assert_eq!(store.refresh_state(&id("urn:x:b")).expect("read"), None);
    let removed = RefreshState {
        evidence: Some(Evidence {
            status: Some(410),
            final_url: Some("https://news.example/b".into()),
            at: at("2026-11-28T12:00:00.5Z"),
            reason: "HTTP 410 Gone".into(),
        }),
        etag: None,
        ..refresh("urn:x:b", ArticleState::Removed)
    };
    let changed = refresh("urn:x:a", ArticleState::Changed);
    store.record_refresh(&[removed.clone(), changed.clone()], &[]).expect("record");
    let second = |s: &RefreshState| RefreshState {
        since: at("2026-11-28T12:00:00Z"),
        last_checked: at("2026-11-28T12:00:00Z"),
        evidence: s.evidence.clone().map(|e| Evidence { at: at("2026-11-28T12:00:00Z"), ..e }),
        ..s.clone()
    };
    assert_eq!(
        store.refresh_states().expect("states"),
        [second(&changed), second(&removed)],
        "by article id, times to the second"
    );
    // A later refresh replaces one state and leaves the other.
    let failing = RefreshState {
        failures: 2,
        last_error: Some("timed out".into()),
        last_checked: at("2026-11-29T12:00:00Z"),
        ..second(&changed)
    };
    store.record_refresh(std::slice::from_ref(&failing), &[]).expect("record");
    assert_eq!(store.refresh_state(&id("urn:x:a")).expect("read"), Some(failing));
    assert_eq!(store.refresh_state(&id("urn:x:b")).expect("read"), Some(second(&removed)));
}

pub fn every_version_is_read_back_with_its_text(store: &mut dyn Archive) {
    let a = article("urn:x:v", "Title", "first text", 1, &[]);
    put(store, &a, &keys(None, None));
    let mut b = a.clone();
    b.content.text = "second text".into();
    b.content.html = "<p>second text</p>".into();
    b.seal();
    put(store, &b, &keys(None, None));
    let v1 = store.version(&a.id, 1).expect("read").expect("version 1");
    let v2 = store.version(&a.id, 2).expect("read").expect("version 2");
    assert_eq!((v1.content.text.as_str(), v2.content.text.as_str()), ("first text", "second text"));
    assert!(store.version(&a.id, 3).expect("read").is_none());
    assert!(store.version(&id("urn:x:none"), 1).expect("read").is_none());
}

/// A catalog source `name` on `host`, polled hourly.
fn listed(name: &str, host: &str, origin: SourceOrigin) -> CatalogSource {
    CatalogSource {
        name: name.into(),
        url: format!("https://{host}/{name}.xml"),
        every_secs: 3600,
        tags: vec!["un".into()],
        keywords: vec!["Evin".into()],
        backfill: false,
        origin,
        enabled: true,
    }
}

const LEASE: std::time::Duration = std::time::Duration::from_secs(30);

/// `worker` claims at `now` (seconds after noon, November 28, 2026), any number.
fn claim(store: &mut dyn Archive, worker: &str, now: i64) -> Vec<Claim> {
    store.claim_due(&request(worker, now, usize::MAX)).expect("claim")
}

fn request(worker: &str, now: i64, per_host: usize) -> ClaimRequest<'_> {
    ClaimRequest { worker, now: noon(now), lease: LEASE, limit: usize::MAX, per_host }
}

fn noon(secs: i64) -> DateTime<Utc> {
    at("2026-11-28T12:00:00Z") + Duration::seconds(secs)
}

fn names(claims: &[Claim]) -> Vec<&str> {
    claims.iter().map(|c| c.name.as_str()).collect()
}

/// The state a poll of `name` at `now` saves, next due at `next`.
fn polled(name: &str, now: i64, next: i64) -> SourceState {
    SourceState {
        name: name.into(),
        url: format!("https://a.example/{name}.xml"),
        etag: Some(format!("\"{name}-{now}\"")),
        last_attempt: Some(noon(now)),
        next_due: Some(noon(next)),
        ..SourceState::default()
    }
}

pub fn the_catalog_upserts_lists_and_disables_sources(store: &mut dyn Archive) {
    assert!(store.catalog().expect("list").is_empty());
    let b = listed("b", "a.example", SourceOrigin::Config);
    let upper = listed("B", "a.example", SourceOrigin::Opml);
    let accented = listed("\u{e9}", "a.example", SourceOrigin::Config);
    store.upsert_sources(&[b.clone(), accented.clone(), upper.clone()]).expect("upsert");
    assert_eq!(store.catalog().expect("list"), [upper.clone(), b.clone(), accented.clone()], "byte order");
    assert_eq!(store.catalog_source("b").expect("get"), Some(b.clone()));
    assert_eq!(store.catalog_source("nope").expect("get"), None);
    // An update keeps the row; a disabled source is kept but never claimed.
    let moved = CatalogSource { url: "https://b.example/new.xml".into(), tags: vec![], ..b.clone() };
    store.upsert_sources(std::slice::from_ref(&moved)).expect("update");
    store.disable_sources(&["B".into()]).expect("disable");
    let all = store.catalog().expect("list");
    assert_eq!(all.len(), 3);
    assert_eq!(all[0], CatalogSource { enabled: false, ..upper.clone() });
    assert_eq!(all[1], moved);
    assert_eq!(names(&claim(store, "w1", 0)), ["b", "\u{e9}"], "new sources are due; a disabled one is not");
    // Declaring it again enables it.
    store.upsert_sources(std::slice::from_ref(&upper)).expect("again");
    assert!(store.catalog_source("B").expect("get").is_some_and(|s| s.enabled));
    assert_eq!(names(&claim(store, "w1", 1)), ["B"]);
}

pub fn due_sources_are_claimed_once_and_taken_over_after_the_lease(store: &mut dyn Archive) {
    let sources: Vec<_> = ["a", "b", "c"].iter().map(|n| listed(n, "a.example", SourceOrigin::Config)).collect();
    store.upsert_sources(&sources).expect("upsert");
    store.record_check(&[polled("c", -10, 3600)], &[], &[]).expect("c polled");
    let first = claim(store, "w1", 0);
    assert_eq!(names(&first), ["a", "b"], "only the due ones, by due time then name");
    assert!(claim(store, "w2", 0).is_empty(), "a claimed source is claimed once");
    assert!(claim(store, "w2", 29).is_empty(), "still within the lease");
    let taken = claim(store, "w2", 30);
    assert_eq!(names(&taken), ["a", "b"], "after one lease another worker takes them over");
    for (old, new) in first.iter().zip(&taken) {
        assert!(new.epoch > old.epoch, "a take-over has a newer epoch: {old:?} {new:?}");
    }
    assert_eq!(store.renew(&first, noon(31), LEASE).expect("renew"), [], "the first worker's claims are lost");
    assert_eq!(store.renew(&taken, noon(31), LEASE).expect("renew"), taken);
}

pub fn a_stale_claim_cannot_overwrite_its_successors_save(store: &mut dyn Archive) {
    store.upsert_sources(&[listed("a", "a.example", SourceOrigin::Config)]).expect("upsert");
    let stalled = claim(store, "w1", 0);
    let successor = claim(store, "w2", 45);
    let lost = store
        .record_claimed(&successor, &[polled("a", 45, 3645)], &[decision("a", "x", true)], &[])
        .expect("successor saves");
    assert!(lost.is_empty());
    // The stalled worker wakes up and saves: nothing of it is kept, and it is told.
    let mut late = decision("a", "x", false);
    late.item_hash = "stale".into();
    let lost = store
        .record_claimed(&stalled, &[polled("a", 1, 99)], &[late, decision("a", "y", true)], &[])
        .expect("a lost lease is an answer, not an error");
    assert_eq!(lost, ["a"]);
    let states = store.source_states().expect("states");
    assert_eq!(states.len(), 1);
    assert_eq!(states[0].etag.as_deref(), Some("\"a-45\""), "the successor's validators stand");
    assert_eq!(states[0].next_due, Some(noon(3645)), "and its next due time");
    assert_eq!(store.decision("a", "x").expect("read").map(|d| d.kept), Some(true));
    assert_eq!(store.decision("a", "y").expect("read"), None);
    assert!(claim(store, "w3", 100).is_empty(), "not due before the successor's time");
    assert_eq!(names(&claim(store, "w3", 3645)), ["a"]);
}

pub fn a_renewed_claim_outlives_its_first_lease(store: &mut dyn Archive) {
    store.upsert_sources(&[listed("a", "a.example", SourceOrigin::Config)]).expect("upsert");
    let held = claim(store, "w1", 0);
    assert_eq!(store.renew(&held, noon(20), LEASE).expect("renew"), held);
    assert!(claim(store, "w2", 40).is_empty(), "renewed until 50");
    let taken = claim(store, "w2", 50);
    assert_eq!(names(&taken), ["a"]);
    let lost = store.record_claimed(&held, &[polled("a", 51, 3651)], &[], &[]).expect("save");
    assert_eq!(lost, ["a"]);
}

pub fn a_saved_state_moves_the_due_time_and_release_frees_the_source(store: &mut dyn Archive) {
    let sources = [listed("a", "a.example", SourceOrigin::Config), listed("b", "a.example", SourceOrigin::Opml)];
    store.upsert_sources(&sources).expect("upsert");
    let held = claim(store, "w1", 0);
    let lost = store.record_claimed(&held, &[polled("a", 0, 600)], &[], &[]).expect("save");
    assert!(lost.is_empty());
    store.release(&held).expect("release");
    let b = claim(store, "w2", 1);
    assert_eq!(names(&b), ["b"], "a is next due at 600; b was released while still due");
    store.record_claimed(&b, &[polled("b", 1, 7200)], &[], &[]).expect("b saved");
    assert_eq!(names(&claim(store, "w2", 600)), ["a"]);
    // Releasing a claim that was taken over leaves the new holder's lease alone.
    store.release(&held).expect("release again");
    assert!(claim(store, "w3", 601).is_empty());
    // An unchanged upsert keeps the due time; a changed interval makes the source due at once.
    store.upsert_sources(&sources).expect("same again");
    assert_eq!(names(&claim(store, "w3", 700)), ["a"], "a was never saved: due again once its lease ran out");
    store.upsert_sources(&[CatalogSource { every_secs: 60, ..sources[1].clone() }]).expect("every changed");
    assert_eq!(names(&claim(store, "w3", 701)), ["b"]);
}

pub fn the_per_host_cap_holds_across_workers(store: &mut dyn Archive) {
    let mut sources: Vec<_> = ["a1", "a2", "a3"].iter().map(|n| listed(n, "a.example", SourceOrigin::Config)).collect();
    sources.push(listed("b1", "B.example", SourceOrigin::Config));
    store.upsert_sources(&sources).expect("upsert");
    let first = store.claim_due(&request("w1", 0, 2)).expect("claim");
    assert_eq!(names(&first), ["a1", "a2", "b1"]);
    assert!(store.claim_due(&request("w2", 0, 2)).expect("claim").is_empty(), "a.example has 2 leases already");
    store.release(&first[..1]).expect("release a1");
    assert_eq!(names(&store.claim_due(&request("w2", 1, 2)).expect("claim")), ["a1"], "a freed slot is taken");
    let limited = ClaimRequest { limit: 0, ..request("w3", 100, 5) };
    assert!(store.claim_due(&limited).expect("claim").is_empty(), "the limit holds");
}

pub fn named_claims_skip_sources_another_worker_holds(store: &mut dyn Archive) {
    let sources = [listed("a", "a.example", SourceOrigin::Config), listed("b", "a.example", SourceOrigin::Config)];
    store.upsert_sources(&sources).expect("upsert");
    store.record_check(&[polled("a", 0, 3600), polled("b", 0, 3600)], &[], &[]).expect("polled");
    let held = store.claim_named(&["a".into()], &request("w1", 10, usize::MAX)).expect("claim a");
    assert_eq!(names(&held), ["a"], "a named claim does not wait for the due time");
    let named = ["a".to_string(), "b".into(), "unknown".into()];
    let other = store.claim_named(&named, &request("w2", 11, usize::MAX)).expect("claim");
    assert_eq!(names(&other), ["b"], "a is held by w1; unknown sources are not claimed");
    let again = store.claim_named(&["a".into()], &request("w1", 12, usize::MAX)).expect("claim");
    assert_eq!(names(&again), ["a"], "the holder may claim again");
    assert!(again[0].epoch > held[0].epoch);
}
