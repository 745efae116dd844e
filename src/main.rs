//! The `feedkeeper` binary: parses flags, calls the library, prints, and maps outcomes to
//! exit codes ([`ExitStatus`]: 0 done, 1 fatal, 2 usage or config, 3 some sources failed,
//! 75 archive locked). All work happens in the library.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use feedkeeper::archive::ListQuery;
use feedkeeper::config::{self, Config};
use feedkeeper::pipeline::{self, ExitStatus, Progress, human};
use feedkeeper::schedule::CronSchedule;

#[derive(Parser)]
#[command(
    name = "feedkeeper",
    version,
    about = "Keeps a topic archive of news articles and publishes it as Atom, RSS and JSON feeds"
)]
struct Cli {
    /// The config file; relative paths in it resolve against its folder.
    #[arg(long, global = true, default_value = "feedkeeper.toml", value_name = "PATH")]
    config: PathBuf,
    /// More detail on stderr (-v: steps, -vv: debugging).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a commented feedkeeper.toml and create its archive and feeds folder (never
    /// overwrites); with a config already there, create the archive it names if missing.
    Init {
        /// Folder to initialise with a feedkeeper.toml (default: the --config file).
        dir: Option<PathBuf>,
    },
    /// Import article files or folders (plain text, Markdown/front matter, saved HTML).
    Import {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Print the report as JSON (files failed, lines left out of each article, and
        /// `stopped` when a batch could not be committed).
        #[arg(long)]
        json: bool,
    },
    /// Write the feeds from the archive into the feeds folder.
    Publish {
        /// Publish even when that removes published entries, archive pages or tag feeds.
        #[arg(long)]
        allow_shrink: bool,
    },
    /// Check the database's integrity and every capture's digests; exit 1 if anything is damaged.
    Verify,
    /// List archived articles, newest first.
    List {
        #[arg(long)]
        json: bool,
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        #[arg(long, value_name = "T")]
        tag: Option<String>,
    },
    /// Show one article with its provenance (ID may be a unique prefix).
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Full-text search of the archive, best first.
    Search {
        query: String,
        #[arg(long)]
        json: bool,
        #[arg(long, value_name = "N", default_value_t = 20)]
        limit: usize,
    },
    /// Poll the sources that are due and archive their new related items.
    Check {
        /// Decide and print every decision; archive nothing and change no state.
        #[arg(long)]
        dry_run: bool,
        /// Poll every source now, however recently it was polled (Retry-After still holds).
        #[arg(long)]
        force: bool,
        /// Only the source with this name.
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// `check` then `publish`, under one archive lock: the command for cron.
    Run {
        #[arg(long)]
        json: bool,
    },
    /// Stay running: poll each source when it is due, archive, publish after changes.
    /// Stops cleanly on SIGINT/SIGTERM.
    Watch {
        /// Run whole cycles (check the due sources, then publish) at the times of this
        /// crontab expression, in local time, e.g. "*/15 * * * *", instead of per source.
        // Boxed: a parsed schedule is large and the other commands' arguments are small.
        #[arg(long, value_name = "EXPR", value_parser = |s: &str| s.parse::<CronSchedule>().map(Box::new))]
        cron: Option<Box<CronSchedule>>,
    },
    /// Serve the feeds folder over HTTP (ETag, 304, gzip), logging each request.
    Serve {
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
    /// Fetch one page now and archive it.
    Add {
        url: String,
        /// A tag for the article (repeatable).
        #[arg(long = "tag", value_name = "T")]
        tags: Vec<String>,
    },
    /// Write a WACZ 1.1.1 package (WARC records, CDXJ index, page list, digests) of the
    /// selected articles' captures, for ReplayWeb.page, pywb or another archive.
    Export {
        /// The package to write (replaced atomically if it exists).
        #[arg(long, value_name = "FILE", required = true)]
        wacz: PathBuf,
        #[command(flatten)]
        select: Select,
    },
    /// Re-check archived originals: an edited page is archived as a new version, a page
    /// gone upstream is marked removed (never deleted). Then `publish`.
    Refresh {
        /// Only these articles (ids or unique prefixes); a removed article is re-checked
        /// only when named.
        ids: Vec<String>,
        #[command(flatten)]
        select: Select,
        /// Fetch and classify, print what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Copy this SQLite archive (every version, the publication log, decisions, source and
    /// refresh states, saved state, the capture ledger) into an empty PostgreSQL database.
    Migrate {
        /// The target database: postgres://user@host/database (it must hold no archive).
        #[arg(long, value_name = "URL", required = true)]
        to: String,
    },
    /// Relevance labels: `relevance label ID related|unrelated` records your verdict on an
    /// item or article; `check --dry-run` then suggests a threshold from the labels.
    Relevance {
        #[command(subcommand)]
        action: RelevanceAction,
    },
    /// Each source's health; `sources import FILE.opml` / `sources export` for OPML.
    Sources {
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        action: Option<SourcesAction>,
    },
}

/// Which articles `export` and `refresh` work on.
#[derive(Args)]
struct Select {
    /// Only versions archived on or after this date (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    since: Option<chrono::DateTime<chrono::Utc>>,
    /// Only articles with this tag.
    #[arg(long, value_name = "T")]
    tag: Option<String>,
    /// Only articles from this source.
    #[arg(long, value_name = "NAME")]
    source: Option<String>,
}

impl Select {
    fn selection(self) -> feedkeeper::wacz::Selection {
        feedkeeper::wacz::Selection { since: self.since, tag: self.tag, source: self.source }
    }
}

#[derive(Subcommand)]
enum RelevanceAction {
    /// Record whether an item (its key or link, as `check --json` reports it) or an
    /// archived article (id or unique prefix) is related.
    Label {
        id: String,
        #[arg(value_enum)]
        verdict: Verdict,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Verdict {
    Related,
    Unrelated,
}

#[derive(Subcommand)]
enum SourcesAction {
    /// Add the feeds of an OPML file to the archive's sources (the config file is left alone).
    Import { file: PathBuf },
    /// Print the configured sources as OPML.
    Export,
    /// Walk a source's history (RFC 5005 archives, paged feeds, WordPress ?paged=N) and
    /// archive its related items, as `check` would have.
    Backfill {
        /// The source's name in [[sources]].
        name: String,
        /// Pages fetched at most, the feed itself included.
        #[arg(long, value_name = "N", default_value_t = pipeline::DEFAULT_PAGES, value_parser = clap::value_parser!(usize))]
        pages: usize,
        /// Decide and print every decision; archive nothing and change no state.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { ExitStatus::Usage } else { ExitStatus::Done });
        }
    };
    init_logging(cli.verbose, &cli.command);
    match run(cli) {
        Ok(status) => ExitCode::from(status),
        // `feedkeeper list --json | head`: the reader left; nothing to say to anyone.
        Err(e) if reader_left(&e) => ExitCode::from(ExitStatus::Done),
        Err(e) => {
            eprintln!("feedkeeper: {}", one_line(&e));
            ExitCode::from(ExitStatus::of_error(e.as_ref()))
        }
    }
}

/// Logs on stderr, without colour off a terminal. Without `-v` only warnings, except the
/// access log of `serve`; `watch -v` shows one line per cycle (`-vv` every step). The
/// WebSub client's per-feed warnings show with `-v`; otherwise one summary line names the hub.
fn init_logging(verbose: u8, command: &Command) {
    use tracing::level_filters::LevelFilter;
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let level = |v: u8| match v {
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        _ => LevelFilter::DEBUG,
    };
    let mut filter = match command {
        Command::Watch { .. } => Targets::new()
            .with_default(level(verbose.saturating_sub(1)))
            .with_target("feedkeeper::pipeline::watch", level(verbose.min(1))),
        Command::Serve { .. } => {
            Targets::new().with_default(level(verbose)).with_target("feedkeeper::serve", level(verbose.max(1)))
        }
        _ => Targets::new().with_default(level(verbose)),
    };
    if verbose == 0 {
        filter = filter.with_target("feedkeeper::websub", LevelFilter::ERROR);
    }
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal())
                .with_target(false),
        )
        .with(filter)
        .try_init();
}

/// Completes on SIGINT or SIGTERM (what `watch` and `serve` stop on).
async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let term = async {
        match term.as_mut() {
            Some(t) => {
                t.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

/// A `--since` date: `YYYY-MM-DD` (midnight UTC) or any date the archive reads.
fn parse_date(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    feedkeeper::date::parse(s).ok_or_else(|| format!("not a date: {s:?} (use YYYY-MM-DD or RFC 3339)"))
}

/// The error and its causes on one line (cron mails whatever a job prints).
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

fn load_config(path: &Path) -> anyhow::Result<Config> {
    Ok(config::load(path)?)
}

fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    let now = chrono::Utc::now();
    let progress = TerminalProgress::new();
    match cli.command {
        Command::Init { dir } => {
            let config = dir.map(|d| d.join("feedkeeper.toml")).unwrap_or_else(|| cli.config.clone());
            match pipeline::init(&config)? {
                pipeline::Initialised::Created { config, archive } => println!(
                    "wrote {} and created the archive {}; edit [site] and add [[sources]], then run `feedkeeper import` and `feedkeeper publish`",
                    config.display(),
                    archive.display()
                ),
                pipeline::Initialised::ArchiveCreated { archive } => {
                    println!("created the archive {} (the config was already there)", archive.display())
                }
            }
            Ok(ExitStatus::Done)
        }
        Command::Import { paths, json } => {
            let config = load_config(&cli.config)?;
            let report = pipeline::import(&config, &paths, now, &progress)?;
            for f in &report.failed {
                eprintln!("feedkeeper: {}: skipped: {}", f.path, f.reason);
            }
            if let Some(stopped) = &report.stopped {
                eprintln!("feedkeeper: {stopped}");
            }
            let status = if report.stopped.is_some() {
                ExitStatus::Fatal
            } else {
                ExitStatus::partial_if(!report.failed.is_empty())
            };
            if json {
                print_json(&report)?;
                return Ok(status);
            }
            let mut out = std::io::stdout().lock();
            for r in &report.removed {
                writeln!(out, "{}", human::removed_line(r))?;
            }
            drop(out);
            if report.stopped.is_none() {
                println!(
                    "imported {} file(s): {} added, {} updated, {} unchanged, {} duplicate(s), {} failed",
                    report.files - report.failed.len(),
                    report.added,
                    report.updated,
                    report.unchanged,
                    report.duplicates,
                    report.failed.len()
                );
            }
            Ok(status)
        }
        Command::Verify => {
            let config = load_config(&cli.config)?;
            let dir = feedkeeper::archive::ArchiveDir::of(&config);
            let captures = dir.captures()?;
            let report = feedkeeper::archive::verify::verify_with(&dir, &captures, |file, index, total| {
                if index == 0 {
                    progress.start("verifying", Some(total as u64));
                }
                progress.step(&file.display().to_string());
            })?;
            progress.finish();
            for damaged in &report.damaged {
                eprintln!("feedkeeper: damaged: {damaged}");
            }
            for note in &report.notes {
                eprintln!("feedkeeper: not checked: {note}");
            }
            println!(
                "verified {} capture file(s), {} record(s) sound, {} damaged",
                report.capture_files,
                report.records_ok,
                report.damaged.len()
            );
            Ok(if report.is_clean() { ExitStatus::Done } else { ExitStatus::Fatal })
        }
        Command::Publish { allow_shrink } => {
            let mut config = load_config(&cli.config)?;
            config.publish.allow_shrink = allow_shrink;
            let published = pipeline::publish(&config, &progress)?;
            let report = &published.report;
            let damaged = print_unreadable(&config, &report.unreadable);
            tracing::info!("published {} entries, {} archive page(s)", report.entries, report.archive_pages);
            if let Some(warning) = human::ping_warning(published.websub.as_ref()) {
                eprintln!("{warning}");
            }
            if cli.verbose > 0 || std::io::stdout().is_terminal() {
                println!(
                    "published {} entries into {}: {} file(s) written, {} unchanged",
                    report.entries,
                    config.feeds_dir().display(),
                    report.written.len(),
                    report.unchanged
                );
            }
            Ok(damaged)
        }
        Command::List { json, limit, tag } => {
            let config = load_config(&cli.config)?;
            let listed = pipeline::list(&config, &ListQuery { limit, tag })?;
            let damaged = print_unreadable(&config, &listed.unreadable);
            let articles = listed.found;
            if json {
                print_json(&articles)?;
            } else {
                let mut out = std::io::stdout().lock();
                for a in &articles {
                    writeln!(out, "{}", human::article_line(a))?;
                }
            }
            Ok(damaged)
        }
        Command::Show { id, json } => {
            let config = load_config(&cli.config)?;
            let shown = pipeline::show(&config, &id)?;
            let damaged = print_unreadable(&config, &shown.unreadable);
            let shown = shown.found;
            if json {
                print_json(&human::show_json(&shown, &config))?;
            } else {
                print!("{}", human::show_text(&shown, &config));
            }
            Ok(damaged)
        }
        Command::Search { query, json, limit } => {
            let config = load_config(&cli.config)?;
            let searched = pipeline::search(&config, &query, limit)?;
            let damaged = print_unreadable(&config, &searched.unreadable);
            let hits = searched.found;
            if json {
                print_json(&hits)?;
            } else {
                let mut out = std::io::stdout().lock();
                for h in &hits {
                    writeln!(out, "{}\n    {}", human::article_line(&h.article), h.snippet.replace('\n', " "))?;
                }
            }
            Ok(damaged)
        }
        Command::Check { dry_run, force, source, json } => {
            let config = load_config(&cli.config)?;
            let opts = pipeline::CheckOptions { dry_run, force, source };
            let report = pipeline::check(&config, &opts, now, &progress)?;
            if json {
                print_json(&report)?;
            }
            print_check(&report, json, cli.verbose > 0)
        }
        Command::Run { json } => {
            let config = load_config(&cli.config)?;
            let report = pipeline::run(&config, now, &progress)?;
            if json {
                print_json(&report)?;
            }
            let damaged = print_unreadable(&config, &report.published.unreadable);
            let code = print_check(&report.check, json, cli.verbose > 0)?;
            if let Some(warning) = human::ping_warning(report.websub.as_ref()) {
                eprintln!("{warning}");
            }
            if !json && (cli.verbose > 0 || std::io::stdout().is_terminal()) {
                println!(
                    "archived {}; published {} entries: {} file(s) written, {} unchanged",
                    report.check.archived,
                    report.published.entries,
                    report.published.written.len(),
                    report.published.unchanged
                );
            }
            Ok(if code == ExitStatus::Done { damaged } else { code })
        }
        Command::Watch { cron } => {
            let config = load_config(&cli.config)?;
            let opts = pipeline::WatchOptions { cron: cron.map(|c| *c) };
            pipeline::watch(&config, &opts, shutdown_signal(), &mut |_| {})?;
            Ok(ExitStatus::Done)
        }
        Command::Serve { listen } => {
            let config = load_config(&cli.config)?;
            pipeline::serve(&config, listen, shutdown_signal())?;
            Ok(ExitStatus::Done)
        }
        Command::Add { url, tags } => {
            let config = load_config(&cli.config)?;
            let report = pipeline::add(&config, &url, &tags)?;
            println!("{}", report.id);
            if cli.verbose > 0 || std::io::stderr().is_terminal() {
                eprintln!("{}: {} ({})", report.outcome, report.title, report.url.as_deref().unwrap_or(&url));
            }
            Ok(ExitStatus::Done)
        }
        Command::Migrate { to } => {
            let config = load_config(&cli.config)?;
            let report = pipeline::migrate(&config, &to, &progress)?;
            let target = feedkeeper::archive::postgres::redacted(&to);
            println!(
                "migrated {} article(s), {} version(s), {} log entries and {} source state(s) into {target}",
                report.rows("articles"),
                report.rows("versions"),
                report.rows("feed_log"),
                report.rows("source_state")
            );
            println!("to use it, set in the config:\n[store]\nurl = \"{target}\"");
            Ok(ExitStatus::Done)
        }
        Command::Export { wacz, select } => {
            let config = load_config(&cli.config)?;
            let selection = select.selection();
            let report = pipeline::export_wacz(&config, &pipeline::ExportOptions { file: wacz, selection }, now)?;
            for s in &report.skipped {
                eprintln!("feedkeeper: {}: capture {} not exported: {}", s.article, s.capture, s.reason);
            }
            println!(
                "wrote {}: {} record(s), {} page(s), {} bytes",
                report.path.display(),
                report.records,
                report.pages,
                report.bytes
            );
            Ok(ExitStatus::partial_if(!report.skipped.is_empty()))
        }
        Command::Refresh { ids, select, dry_run, json } => {
            let config = load_config(&cli.config)?;
            let selection = select.selection();
            let opts = pipeline::RefreshOptions { ids, selection, dry_run };
            let report = pipeline::refresh(&config, &opts, now, &progress)?;
            if json {
                print_json(&report)?;
            } else {
                print!("{}", human::refresh_lines(&report));
            }
            Ok(ExitStatus::partial_if(report.failed + report.transient > 0))
        }
        Command::Relevance { action: RelevanceAction::Label { id, verdict } } => {
            let config = load_config(&cli.config)?;
            let related = matches!(verdict, Verdict::Related);
            let label = pipeline::label(&config, &id, related, now)?;
            let what = match (label.kind.as_str(), label.score) {
                ("unseen", _) => "not seen yet; it counts once a check sees an item with this key or link".to_string(),
                (kind, Some(score)) => format!("{kind} scoring {score:.2}"),
                (kind, None) => kind.to_string(),
            };
            println!(
                "{} {}: {}{}",
                if related { "related" } else { "unrelated" },
                label.id,
                label.title.as_deref().map(|t| format!("{t} — ")).unwrap_or_default(),
                what
            );
            Ok(ExitStatus::Done)
        }
        Command::Sources { json, action } => {
            let config = load_config(&cli.config)?;
            match action {
                None => {
                    let health = pipeline::sources(&config)?;
                    if json {
                        print_json(&health)?;
                    } else if health.is_empty() {
                        eprintln!(
                            "no sources in {}: add [[sources]] there, or run `feedkeeper sources import FILE.opml`",
                            config.path.display()
                        );
                    } else {
                        let mut out = std::io::stdout().lock();
                        for h in &health {
                            writeln!(out, "{}", human::source_health(h))?;
                        }
                    }
                }
                Some(SourcesAction::Import { file }) => {
                    let report = pipeline::sources_import(&config, &file)?;
                    for r in &report.refused {
                        eprintln!("refused {} ({}): {}", r.name, r.url, r.reason);
                    }
                    if json {
                        print_json(&report)?;
                    } else {
                        for (name, url) in &report.added {
                            println!("added {name} ({url})");
                        }
                        for why in &report.skipped {
                            println!("skipped {why}");
                        }
                        println!(
                            "{} source(s) added to the sources of the archive {}, {} skipped, {} refused",
                            report.added.len(),
                            report.archive.display(),
                            report.skipped.len(),
                            report.refused.len()
                        );
                    }
                    return Ok(ExitStatus::partial_if(!report.refused.is_empty()));
                }
                Some(SourcesAction::Export) => print!("{}", pipeline::sources_export(&config)?),
                Some(SourcesAction::Backfill { name, pages, dry_run, json: json_here }) => {
                    let opts = pipeline::BackfillOptions { pages: pages.max(1), dry_run };
                    let report = pipeline::backfill(&config, &name, &opts, now, &progress)?;
                    if json || json_here {
                        print_json(&report)?;
                    } else {
                        print!("{}", human::backfill_lines(&report));
                    }
                    if let pipeline::Stop::Failed { url, error } = &report.stopped {
                        eprintln!("feedkeeper: backfill {name}: {url}: {error}");
                    }
                    return Ok(ExitStatus::partial_if(report.failed()));
                }
            }
            Ok(ExitStatus::Done)
        }
    }
}

/// Prints a check report: failed sources and pages given up on for their time budget on
/// stderr always; one line per source on a terminal or with `-v`; every decision with
/// `--dry-run`. Returns the exit code.
fn print_check(report: &pipeline::CheckReport, json: bool, verbose: bool) -> anyhow::Result<ExitStatus> {
    for line in human::check_failures(report).into_iter().chain(human::over_budget_pages(report)) {
        eprintln!("{line}");
    }
    if !json {
        let per_source = verbose || std::io::stdout().is_terminal() || report.dry_run;
        print!("{}", human::check_lines(report, per_source));
    }
    Ok(ExitStatus::partial_if(report.failed > 0))
}

/// Names on stderr each row of a damaged archive the command left out; the exit status is
/// `Partial` when there were any (the command did what it could), else `Done`.
fn print_unreadable(config: &Config, rows: &[feedkeeper::archive::Unreadable]) -> ExitStatus {
    let db = feedkeeper::archive::ArchiveDir::of(config).location();
    for row in rows {
        eprintln!("{}", human::unreadable_line(&db, row));
    }
    if !rows.is_empty() {
        eprintln!(
            "feedkeeper: {}: {} row(s) could not be read; run `feedkeeper verify` to see what is damaged, and restore the archive folder from a backup",
            db.display(),
            rows.len()
        );
    }
    ExitStatus::partial_if(!rows.is_empty())
}

/// Whether an error is stdout's reader having gone away (EPIPE).
fn reader_left(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                .is_some_and(|k| k == std::io::ErrorKind::BrokenPipe)
    })
}

fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).context("writing JSON to stdout")?;
    writeln!(out)?;
    Ok(())
}

/// Progress bars on a terminal (stderr), nothing otherwise.
struct TerminalProgress {
    bar: std::cell::RefCell<Option<indicatif::ProgressBar>>,
    enabled: bool,
}

impl TerminalProgress {
    fn new() -> TerminalProgress {
        TerminalProgress { bar: std::cell::RefCell::new(None), enabled: std::io::stderr().is_terminal() }
    }
}

impl Progress for TerminalProgress {
    fn start(&self, label: &str, total: Option<u64>) {
        if !self.enabled {
            return;
        }
        let (bar, template) = match total {
            Some(n) => (indicatif::ProgressBar::new(n), "{prefix:>10} [{bar:30}] {pos}/{len} {wide_msg}"),
            None => (indicatif::ProgressBar::new_spinner(), "{prefix:>10} {spinner} {elapsed} {wide_msg}"),
        };
        let style = indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style.progress_chars("=> "));
        if total.is_none() {
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
        }
        bar.set_prefix(label.to_string());
        *self.bar.borrow_mut() = Some(bar);
    }

    fn step(&self, message: &str) {
        if let Some(bar) = self.bar.borrow().as_ref() {
            bar.set_message(message.to_string());
            bar.inc(1);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }
}
