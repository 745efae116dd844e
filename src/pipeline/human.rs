//! What the commands print for people: one line per article, source or decision, the
//! `show` page and its JSON, and the one-line warnings cron mails. Pure functions from
//! reports to text, so the binary only chooses where the text goes and the tests can read
//! it without running a process.

use std::fmt::Write as _;

use super::{ArticleView, CheckReport, SourceHealth, article_page_url};
use crate::article::Origin;
use crate::config::Config;
use crate::date::rfc3339;
use crate::websub::PingReport;

/// One line when the WebSub hub was not told about every changed feed, `None` otherwise.
pub fn ping_warning(websub: Option<&PingReport>) -> Option<String> {
    let w = websub?;
    let first = w.failed.first()?;
    Some(format!(
        "feedkeeper: WebSub hub {}: {} of {} feed(s) not notified: {}",
        w.hub,
        w.failed.len(),
        w.failed.len() + w.pinged.len(),
        first.error
    ))
}

/// One line naming a file some of whose lines `import` left out, how many of each kind,
/// and a sample: `FILE: left out 4 line(s): 1 repeated, 2 caption, 1 debris; e.g. "…", "…"`.
pub fn removed_line(r: &crate::import::Removed) -> String {
    let kinds: Vec<String> = [(r.repeated, "repeated"), (r.captions, "caption"), (r.debris, "debris")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    let sample: Vec<String> = r.sample.iter().map(|t| format!("{t:?}")).collect();
    format!("{}: left out {} line(s): {}; e.g. {}", r.path, r.removed, kinds.join(", "), sample.join(", "))
}

/// One line on stderr for a row of a damaged archive that a command could not read and
/// left out.
pub fn unreadable_line(db: &std::path::Path, row: &crate::archive::Unreadable) -> String {
    format!("feedkeeper: {}: left out {row}", db.display())
}

/// `Name  [ok]  url`, then last success, next due, items kept, and the last error.
pub fn source_health(h: &SourceHealth) -> String {
    let mut s = format!("{}  [{}]  {}", h.name, h.status, h.url);
    let _ = write!(
        s,
        "\n    last success {}, next due {}, items kept {}",
        h.last_success.as_deref().unwrap_or("never"),
        h.next_due.as_deref().unwrap_or("now"),
        h.items_kept
    );
    if let Some(e) = &h.last_error {
        let _ = write!(s, "\n    last error ({} in a row): {e}", h.failures);
    }
    if let Some(r) = &h.retry_after {
        let _ = write!(s, "\n    retry after {r} (asked by the server)");
    }
    s
}

/// One line per failed source, naming it and its URL (for stderr, always).
pub fn check_failures(report: &CheckReport) -> Vec<String> {
    report
        .failures()
        .map(|s| format!("feedkeeper: source \"{}\" ({}): {}", s.name, s.url, s.error.as_deref().unwrap_or("failed")))
        .collect()
}

/// One line per page given up on for its time budget, naming the source, the item and
/// the reason (for stderr, always): the item was archived from its feed entry.
pub fn over_budget_pages(report: &CheckReport) -> Vec<String> {
    report
        .pages_over_budget()
        .map(|(s, p)| {
            format!(
                "feedkeeper: source \"{}\": item \"{}\": {}; archived from the feed's content",
                s.name, p.title, p.error
            )
        })
        .collect()
}

/// A check report for stdout: one line per source when `per_source`, and every decision
/// under its source for a dry run.
pub fn check_lines(report: &CheckReport, per_source: bool) -> String {
    let mut out = String::new();
    for s in &report.sources {
        if per_source {
            let _ = write!(
                out,
                "{}: {}, seen {}, kept {}, archived {}",
                s.name,
                s.outcome.as_str(),
                s.seen,
                s.kept,
                s.archived
            );
            if let Some(note) = &s.note {
                let _ = write!(out, " ({note})");
            }
            out.push('\n');
        }
        if report.dry_run {
            for d in &s.decisions {
                let mark = if d.kept { "KEEP" } else { "skip" };
                let stored = if d.new { "" } else { " [decided earlier]" };
                let _ = writeln!(out, "  {mark} {:.2} {} — {}{stored}", d.score, d.title, d.reasons.join("; "));
            }
        }
    }
    out
}

/// `sources backfill`: one line per page walked (its decisions too in a dry run), then the
/// totals and why the walk ended.
pub fn backfill_lines(report: &super::BackfillReport) -> String {
    let mut out = String::new();
    for (n, p) in report.pages.iter().enumerate() {
        let _ = write!(out, "page {} ({}) {}: ", n + 1, p.via.as_str(), p.url);
        match &p.error {
            Some(e) => {
                let _ = writeln!(out, "failed: {e}");
            }
            None => {
                let _ = writeln!(out, "{} item(s), {} new, {} kept, {} archived", p.seen, p.new, p.kept, p.archived);
            }
        }
        if report.dry_run {
            for d in p.decisions.iter().filter(|d| d.new) {
                let mark = if d.kept { "KEEP" } else { "skip" };
                let _ = writeln!(out, "  {mark} {:.2} {} — {}", d.score, d.title, d.reasons.join("; "));
            }
        }
    }
    let _ = writeln!(
        out,
        "{}: {} page(s), {} item(s) seen, {} kept, {} archived{}; stopped: {}",
        report.source,
        report.pages.len(),
        report.seen,
        report.kept,
        report.archived,
        if report.dry_run { " (dry run: nothing archived)" } else { "" },
        report.stopped
    );
    out
}

/// `refresh`: one line per article that did not stay unchanged (every one with `-v` is
/// left to `--json`), then the totals.
pub fn refresh_lines(report: &super::RefreshReport) -> String {
    let mut out = String::new();
    for a in report.articles.iter().filter(|a| a.outcome != "unchanged") {
        let short = a.id.trim_start_matches("urn:uuid:").chars().take(8).collect::<String>();
        let _ = write!(out, "{:<9} {short}  {} <{}>", a.outcome, a.title, a.url);
        if let Some(v) = a.version {
            let _ = write!(out, " (version {v})");
        }
        match &a.reason {
            Some(r) => {
                let _ = writeln!(out, ": {r}");
            }
            None => out.push('\n'),
        }
    }
    let _ = writeln!(
        out,
        "{} checked: {} unchanged, {} changed, {} removed, {} transient, {} failed; {} without a web original{}",
        report.checked,
        report.unchanged,
        report.changed,
        report.removed,
        report.transient,
        report.failed,
        report.skipped,
        if report.dry_run { " (dry run: nothing written)" } else { "" }
    );
    out
}

/// `2018-09-14  ecf9c989  Title — Source`
pub fn article_line(a: &ArticleView) -> String {
    let short = a.id.trim_start_matches("urn:uuid:").chars().take(8).collect::<String>();
    let day = a.published.get(..10).unwrap_or(&a.published);
    match &a.source {
        Some(s) => format!("{day}  {short}  {} — {s}", a.title),
        None => format!("{day}  {short}  {}", a.title),
    }
}

/// `show --json`: the list view of the article plus its text, HTML, provenance and versions.
pub fn show_json(shown: &super::Shown, config: &Config) -> serde_json::Value {
    let stored = &shown.stored;
    let a = &stored.article;
    let view = ArticleView::new(a, config).with_state(shown.refresh.as_ref());
    let mut v = serde_json::to_value(view).unwrap_or_default();
    if let Some(obj) = v.as_object_mut() {
        obj.insert("text".into(), a.content.text.clone().into());
        obj.insert("html".into(), a.content.html.clone().into());
        obj.insert("language".into(), serde_json::to_value(&a.language).unwrap_or_default());
        obj.insert("source_detail".into(), serde_json::to_value(&a.source).unwrap_or_default());
        obj.insert("content_hash".into(), a.content_hash.clone().into());
        obj.insert("first_archived_at".into(), rfc3339(&stored.first_archived_at).into());
        obj.insert("page".into(), article_page_url(config, &a.id).into());
        obj.insert("versions".into(), serde_json::to_value(&stored.versions).unwrap_or_default());
        obj.insert("refresh".into(), serde_json::to_value(&shown.refresh).unwrap_or_default());
    }
    v
}

/// `show`: the fields, one version per line with its origin and capture, then the text.
pub fn show_text(shown: &super::Shown, config: &Config) -> String {
    let stored = &shown.stored;
    let a = &stored.article;
    let view = ArticleView::new(a, config).with_state(shown.refresh.as_ref());
    let mut s = String::new();
    let _ = write!(s, "{}\n\n", a.title);
    let _ = writeln!(s, "id:         {}", a.id);
    let _ = writeln!(s, "url:        {}", view.url);
    let _ = writeln!(s, "published:  {}", view.published);
    let _ = writeln!(s, "updated:    {}", view.updated);
    if !view.authors.is_empty() {
        let _ = writeln!(s, "authors:    {}", view.authors.join(", "));
    }
    if let Some(src) = &a.source {
        let _ = write!(s, "source:     {}", src.name);
        if let Some(f) = &src.feed_url {
            let _ = write!(s, " ({f})");
        }
        s.push('\n');
    }
    if !a.tags.is_empty() {
        let _ = writeln!(s, "tags:       {}", a.tags.join(", "));
    }
    let _ = writeln!(s, "archived:   {}", rfc3339(&stored.first_archived_at));
    let _ = write!(s, "state:      {}", view.state);
    if let Some(r) = &shown.refresh {
        let _ = write!(s, " since {}, last checked {}", rfc3339(&r.since), rfc3339(&r.last_checked));
        if let Some(e) = &r.evidence {
            let _ = write!(s, "; {}", e.reason);
            if let Some(u) = &e.final_url {
                let _ = write!(s, " (at {u})");
            }
        }
        if let Some(err) = &r.last_error {
            let _ = write!(s, "; last check failed: {err}");
        }
    }
    s.push('\n');
    for v in &stored.versions {
        let origin = match &v.origin {
            Origin::Import { file } => format!("imported from {file}"),
            Origin::Upstream => "fetched from upstream".to_string(),
            Origin::Manual => "added by hand".to_string(),
        };
        let _ = write!(
            s,
            "version {}:  {} {}, content {}",
            v.version,
            origin,
            rfc3339(&v.archived_at),
            &v.content_hash[..16.min(v.content_hash.len())]
        );
        if let Some(c) = &v.capture {
            let _ = write!(s, ", capture {} @{} ({})", c.file, c.offset, c.record_id);
        }
        s.push('\n');
    }
    if let Some(summary) = &a.summary {
        let _ = write!(s, "\n{summary}\n");
    }
    let _ = write!(s, "\n{}\n", a.content.text);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{DecisionView, Outcome, SourceReport};

    fn source(name: &str, outcome: Outcome, decisions: Vec<DecisionView>) -> SourceReport {
        SourceReport {
            name: name.into(),
            url: format!("https://{name}.example/feed"),
            outcome,
            seen: decisions.len(),
            kept: decisions.iter().filter(|d| d.kept).count(),
            rejected: decisions.iter().filter(|d| !d.kept).count(),
            archived: 0,
            error: (outcome == Outcome::Failed).then(|| "HTTP 500".to_string()),
            note: None,
            next_due: None,
            decisions,
            backfill: None,
            pages_over_budget: Vec::new(),
        }
    }

    fn decision(title: &str, score: f64, kept: bool, new: bool) -> DecisionView {
        DecisionView { title: title.into(), url: None, score, kept, reasons: vec!["why".into()], new, article_id: None }
    }

    #[test]
    fn a_dry_run_lists_every_decision_under_its_source_and_failures_name_the_url() {
        let report = CheckReport {
            dry_run: true,
            sources: vec![
                source(
                    "wire",
                    Outcome::Fetched,
                    vec![decision("Inquiry called", 0.91, true, true), decision("Football", 0.04, false, false)],
                ),
                source("down", Outcome::Failed, vec![]),
            ],
            archived: 0,
            failed: 1,
        };
        let text = check_lines(&report, true);
        assert_eq!(
            text,
            "wire: fetched, seen 2, kept 1, archived 0\n  KEEP 0.91 Inquiry called — why\n  \
             skip 0.04 Football — why [decided earlier]\ndown: failed, seen 0, kept 0, archived 0\n"
        );
        assert_eq!(check_failures(&report), ["feedkeeper: source \"down\" (https://down.example/feed): HTTP 500"]);
        // Off a terminal without -v a run prints no per-source lines (cron mails any output).
        let quiet = CheckReport { dry_run: false, ..report };
        assert_eq!(check_lines(&quiet, false), "");
    }

    #[test]
    fn an_article_line_has_the_day_the_short_id_the_title_and_the_source() {
        let view = ArticleView {
            id: "urn:uuid:ecf9c989-0000-8000-8000-000000000000".into(),
            title: "Geneva conference".into(),
            url: "https://example.org/a".into(),
            published: "2018-09-14T00:00:00Z".into(),
            updated: "2018-09-14T00:00:00Z".into(),
            authors: vec![],
            source: Some("PMOI/MEK".into()),
            tags: vec![],
            summary: None,
            state: "current",
            state_since: None,
        };
        assert_eq!(article_line(&view), "2018-09-14  ecf9c989  Geneva conference — PMOI/MEK");
        assert_eq!(article_line(&ArticleView { source: None, ..view }), "2018-09-14  ecf9c989  Geneva conference");
    }
}
