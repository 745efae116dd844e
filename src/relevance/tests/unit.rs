//! One behaviour each, on small archives written in the test.

use super::*;

#[test]
fn names_are_told_from_words_by_how_they_are_written() {
    let mut st = HashMap::new();
    let paragraphs = terms::name_stats(
        "Iran Hangs Two Men In Tehran Prison\n\
         Officials in Tehran said the National Council of Resistance of Iran and the PMOI met \
         in Geneva, Switzerland on 3 September 1988, and the council met again in 1988.\n",
        &mut st,
    );
    assert_eq!(paragraphs, 1, "the title-case line is skipped");
    let get = |w: &str| st.get(w).copied().unwrap_or_default();
    assert_eq!((get("tehran").standalone, get("tehran").total()), (1, 1));
    assert_eq!((get("council").in_name, get("council").lower), (1, 1));
    assert_eq!(get("iran").in_name, 1, "joined to a name through 'of'");
    assert_eq!(get("pmoi").acronym, 1);
    assert_eq!(get("geneva").standalone, 1, "a comma ends a name");
    assert_eq!(get("1988").total(), 1, "the year of a date is not counted");
    assert_eq!(get("offici").paragraphs, 1, "a sentence start counts for paragraphs only");
    assert_eq!(get("offici").total(), 0);
}

#[test]
fn executive_is_not_execution() {
    let stem = |w: &str| terms::tokenize(w)[0].stem.clone();
    assert_ne!(stem("executive"), stem("execution"));
    assert_eq!(stem("executed"), stem("executions"));
}

#[test]
fn facets_split_where_from_what() {
    let m = build(&seed_docs());
    let e = |t: &str| m.facets.entity.get(t).copied().unwrap_or(0.0);
    let w = |t: &str| m.facets.what.get(t).copied().unwrap_or(0.0);
    assert!(e("iran") > 0.9 && e("iranian") > 0.9, "{:?}", m.facets.entity);
    assert!(e("1988") > 0.5);
    assert!(e("geneva") < 0.2, "a place named once or twice is not the topic");
    for actor in ["un", "council", "nation", "amnesti"] {
        assert_eq!(e(actor), 0.0, "{actor}");
    }
    assert!(w("execut") > 0.9 && w("massacr") > 0.9);
    // The seed never says "hanged" or "custody"; the lexicon widens the what facet to them.
    assert!(w("hang") > 0.3 && w("custodi") > 0.3);
    assert!(w("footbal") == 0.0 && w("oil") == 0.0);
    assert!(m.facets.anchor > 0.3);
}

#[test]
fn both_facets_are_needed() {
    let m = build(&seed_docs());
    let s = |title: &str, summary: &str| score(&item(title, summary), &m, &Rules::default(), &[]);
    let both =
        s("Iran hangs political prisoner after sham trial", "Rights groups said the man was tortured in custody.");
    assert!(both.keep, "{both:?}");
    assert!(both.reasons[0].contains("where/who"), "{both:?}");
    let elsewhere = s(
        "Saudi authorities hang political prisoner after sham trial",
        "Rights groups said the man was tortured in custody.",
    );
    assert!(!elsewhere.keep && elsewhere.score < 0.3, "{elsewhere:?}");
    assert!(elsewhere.reasons.iter().any(|r| r == "about elsewhere: saudi"), "{elsewhere:?}");
    // Naming no place at all is neither for nor against: the what facet must be strong.
    let nowhere = s(
        "Authorities hang political prisoner after sham trial",
        "Rights groups said the man was tortured in custody.",
    );
    assert!(nowhere.score > elsewhere.score + 0.2 && nowhere.score < both.score, "{nowhere:?}");
    // A town the archive never names, in the country it is about, is the where/who.
    let town = s(
        "Court in Sanandaj sentences activist to death after sham trial",
        "His lawyer said he was tortured in custody.",
    );
    assert!(town.keep && town.reasons[0].contains("sanandaj"), "{town:?}");
    let where_only =
        s("Iran's oil exports to China hit a five-year high", "Tehran sold more crude to refiners despite sanctions.");
    assert!(!where_only.keep && where_only.score < 0.2, "{where_only:?}");
}

#[test]
fn archive_without_a_recurring_name_leans_on_what() {
    let m = model_of(&[
        (
            "a",
            "Sourdough starters need regular feeding with flour and water.\n\
             A healthy starter doubles in size within hours and smells pleasantly sour.",
        ),
        (
            "b",
            "Long fermentation gives sourdough bread its open crumb and crisp crust.\n\
             Shape the dough gently, proof it overnight and bake it in a hot Dutch oven.",
        ),
        (
            "c",
            "Wholemeal flour absorbs more water than white flour, so the dough needs more \
             hydration.\nKnead less and let the long fermentation do the work.",
        ),
    ]);
    assert!(m.facets.anchor < 0.05, "anchor {}", m.facets.anchor);
    let bread = score(
        &item(
            "Why your sourdough starter smells sour",
            "Feeding the starter flour and water keeps fermentation going.",
        ),
        &m,
        &Rules::default(),
        &[],
    );
    assert!(bread.keep, "{bread:?}");
    let other = score(&item("Dutch election results", "The coalition lost seats."), &m, &Rules::default(), &[]);
    assert!(!other.keep, "{other:?}");
}

#[test]
fn only_the_lead_of_a_long_body_counts() {
    let m = build(&seed_docs());
    let filler = "The weather stayed mild and markets were calm. ".repeat(40);
    let late = format!("{filler} Iran executed political prisoners after a sham trial.");
    let early = format!("Iran executed political prisoners after a sham trial. {filler}");
    let c = |text: &str| -> f64 {
        let cand = Candidate { title: "News", summary: "", text, link: None, categories: &[] };
        score(&cand, &m, &Rules::default(), &[]).score
    };
    assert!(c(&early) >= 0.5, "{}", c(&early));
    assert!(c(&late) < 0.2, "{}", c(&late));
}

#[test]
fn exclude_rejects_and_names_the_phrase() {
    let m = build(&seed_docs());
    let rules = Rules { exclude: vec!["Football".into()], ..Rules::default() };
    let v = score(&item("Iran political prisoners massacre football", ""), &m, &rules, &[]);
    assert!(!v.keep);
    assert_eq!(v.score, 0.0);
    assert_eq!(v.reasons, ["excluded by \"Football\" in title"]);
}

#[test]
fn keyword_hit_is_strong_evidence_and_named() {
    let m = TopicModel::build([]);
    assert!(m.is_empty());
    let rules = Rules { keywords: vec!["1988 Massacre".into()], ..Rules::default() };
    let v = score(&item("Survivors of the 1988 massacres speak", ""), &m, &rules, &[]);
    assert!(v.keep, "{v:?}");
    assert!(v.reasons.contains(&"keyword \"1988 Massacre\" in title".to_string()));
    let v = score(&item("Weather", "The 1988 massacre anniversary"), &m, &Rules::default(), &["1988 massacre".into()]);
    assert!(v.keep && v.reasons[0] == "source keyword \"1988 massacre\" in summary", "{v:?}");
    let v = score(&item("Weather today", "Sunny"), &m, &rules, &[]);
    assert!(!v.keep && v.score == 0.0);
}

#[test]
fn related_item_keeps_and_names_nearest_document() {
    let m = build(&archive_docs());
    let v = score(
        &item(
            "Iran hangs political prisoners as UN experts demand inquiry into 1988 massacre",
            "Families of executed prisoners called for accountability.",
        ),
        &m,
        &Rules::default(),
        &[],
    );
    assert!(v.keep, "{v:?}");
    assert!(v.nearest.is_some());
    assert!(v.reasons.iter().any(|r| r.starts_with("nearest: ")), "{v:?}");
    let v = score(&item("Geneva motor show cancelled", "Carmakers stay away."), &m, &Rules::default(), &[]);
    assert!(!v.keep, "{v:?}");
}

#[test]
fn fingerprints_follow_the_topic_and_rules() {
    let a = model_of(&[("a", "Iran executes political prisoners"), ("b", "Mass graves in Iran")]);
    let b = model_of(&[("b", "Mass graves in Iran"), ("a", "Iran executes political prisoners")]);
    let c = model_of(&[("a", "Iran executes political prisoners")]);
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert_ne!(a.fingerprint(), c.fingerprint());
    let r1 = Rules { keywords: vec!["PMOI".into(), "1988 massacre".into()], ..Rules::default() };
    let r2 = Rules { keywords: vec!["1988 Massacre".into(), "pmoi".into()], ..Rules::default() };
    assert_eq!(rules_fingerprint(&r1, &[]), rules_fingerprint(&r2, &[]));
    assert_ne!(rules_fingerprint(&r1, &[]), rules_fingerprint(&r1, &["evin".into()]));
    let r3 = Rules { threshold: 0.6, ..r1.clone() };
    assert_ne!(rules_fingerprint(&r1, &[]), rules_fingerprint(&r3, &[]));
}

#[test]
fn model_is_send_sync_clone() {
    fn check<T: Send + Sync + Clone>() {}
    check::<TopicModel>();
}

/// A labelled item of a topic's set and the article page written for it
/// (`pages/<id>.txt`).
fn topic_item(topic: &str, part: &str, id: &str) -> (Labelled, String) {
    let item = labelled_from(&format!("topics/{topic}/{part}.jsonl"))
        .into_iter()
        .find(|i| i.id == id)
        .unwrap_or_else(|| panic!("no item {id}"));
    (item, read(&fixtures().join("pages").join(format!("{id}.txt"))))
}

/// Items whose feed entry scores near the threshold are decided on their article: a
/// terse related entry (m01) and a related entry that names no place of the archive (p33)
/// are kept on their articles (p21, about Sinaloa, was one until the states of Mexico
/// became places of the archive's country: its entry alone keeps it now), and the reasons give both scores.
#[test]
fn uncertain_items_are_decided_on_the_article() {
    let rules = Rules::default();
    for (topic, id) in [("microplastics", "m01"), ("press-mexico", "p33")] {
        let model = build(&topic_docs(topic));
        let (item, page) = topic_item(topic, "tuning", id);
        let entry = score(&cand(&item), &model, &rules, &[]);
        assert!(is_uncertain(&entry, &rules), "{id}: entry {:.3} is not in the band", entry.score);
        let decided = decide_on_article(&cand(&item), entry.clone(), &page, &model, &rules, &[]);
        assert_eq!(decided.keep, item.label == "related", "{id}: {:?}", decided.reasons);
        let first = &decided.reasons[0];
        assert!(first.starts_with("decided on the article"), "{first}");
        assert!(first.contains(&format!("feed entry {:.2}", entry.score)), "{first}");
        assert!(first.contains(&format!("article {:.2}", decided.score)), "{first}");
    }
}

/// An article lifts every score, so it keeps an item only at [`article_keep_threshold`]
/// and drops it only below the threshold; between the two the entry's verdict stands:
/// a PET-eating enzyme (m14, article 0.72) stays skipped as on its entry, a packaging
/// maker's profit (m02, article 0.62) stays kept as on its entry (a false keep the article
/// cannot undo), and a plastic-bag ban (m10, article 0.48) is dropped on its article.
#[test]
fn an_article_decides_only_when_decisive() {
    let rules = Rules::default();
    let model = build(&topic_docs("microplastics"));
    for (id, decided_on, keep) in
        [("m14", "the feed entry", false), ("m02", "the feed entry", true), ("m10", "the article", false)]
    {
        let (item, page) = topic_item("microplastics", "tuning", id);
        let entry = score(&cand(&item), &model, &rules, &[]);
        assert!(is_uncertain(&entry, &rules), "{id}: entry {:.3} is not in the band", entry.score);
        let decided = decide_on_article(&cand(&item), entry.clone(), &page, &model, &rules, &[]);
        let first = &decided.reasons[0];
        assert!(first.starts_with(&format!("decided on {decided_on}")), "{id}: {first}");
        assert!(first.contains(&format!("feed entry {:.2}", entry.score)) && first.contains("article 0."), "{first}");
        assert_eq!((decided.keep, decided.keep == (decided.score >= rules.threshold)), (keep, true), "{id}: {first}");
        if decided_on == "the feed entry" {
            assert_eq!((decided.score, &decided.reasons[1..]), (entry.score, &entry.reasons[..]), "{id}");
        }
    }
}

/// The article's keep threshold leaves 0.4 of the threshold's miss: 0.80 at 0.5, never
/// below the threshold, 1 only at a threshold of 1.
#[test]
fn the_article_keep_threshold_leaves_part_of_the_miss() {
    assert!((article_keep_threshold(0.5) - 0.8).abs() < 1e-12);
    assert!((article_keep_threshold(0.3) - 0.72).abs() < 1e-12);
    for t in [0.0, 0.2, 0.5, 0.9, 1.0] {
        assert!(article_keep_threshold(t) >= t && article_keep_threshold(t) <= 1.0, "{t}");
    }
    assert_eq!(article_keep_threshold(1.0), 1.0);
}

/// A certain verdict, an excluded item or a missing article leave the entry's verdict as
/// it was.
#[test]
fn certain_items_and_missing_articles_keep_the_entry_verdict() {
    let model = build(&topic_docs("microplastics"));
    let rules = Rules { exclude: vec!["teabag".into()], ..Rules::default() };
    let sure =
        item("Microplastics found in every Atlantic water sample", "Fragments and fibres from surface to sea floor.");
    let entry = score(&sure, &model, &rules, &[]);
    assert!(!is_uncertain(&entry, &rules) && entry.keep, "{entry:?}");
    assert_eq!(decide_on_article(&sure, entry.clone(), "Quarterly profits rose.", &model, &rules, &[]), entry);
    let excluded = item("Teabag particles", "Nylon teabag sheds microplastics.");
    let entry = score(&excluded, &model, &rules, &[]);
    assert!(!is_uncertain(&entry, &rules), "{entry:?}");
    let (m01, _) = topic_item("microplastics", "tuning", "m01");
    let entry = score(&cand(&m01), &model, &rules, &[]);
    assert_eq!(decide_on_article(&cand(&m01), entry.clone(), "  \n", &model, &rules, &[]), entry);
}

/// The human-rights lexicon boosts and widens the what facet of an archive that reports
/// its kind of events, and of no other: an archive on press freedom in Mexico or on
/// microplastics does not learn "sham trial" or "apostasy" from it.
#[test]
fn only_a_human_rights_archive_pays_for_the_lexicon() {
    let iran = build(&archive_docs());
    assert_eq!(iran.facets.lexicon, 1.0);
    assert!(iran.facets.what.contains_key("sham trial"));
    for topic in ["press-mexico", "microplastics"] {
        let m = build(&topic_docs(topic));
        assert_eq!(m.facets.lexicon, 0.0, "{topic}");
        for widened in ["sham trial", "apostasi", "hunger strike"] {
            assert!(!m.facets.what.contains_key(widened), "{topic}: {widened}");
        }
    }
}

/// An acronym of the archive is matched as written: "PET" is the polymer, "Pet food" is
/// not, though both fold to the same word.
#[test]
fn acronyms_match_only_in_capitals() {
    let model = model_of(&[
        (
            "Recycled PET flakes shed microplastics",
            "Flakes of PET from crushed bottles shed particles when washed. PET recycling plants release fibres of PET into wastewater, and PET granules escape to rivers.",
        ),
        (
            "PET particles in river sediment",
            "Researchers found PET and polyethylene particles in sediment. The PET came from bottles.",
        ),
    ]);
    let evidence = |title: &str| {
        let v = score(&item(title, ""), &model, &Rules::default(), &[]);
        v.reasons[0].clone()
    };
    assert!(
        evidence("PET particles found in sediment").contains("where/who 1.00 (pet"),
        "{}",
        evidence("PET particles found in sediment")
    );
    assert!(
        evidence("Pet particles found in sediment").contains("where/who 0.00"),
        "{}",
        evidence("Pet particles found in sediment")
    );
}
