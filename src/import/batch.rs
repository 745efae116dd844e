//! Many article files at once with bounded memory: [`chronological`] puts a whole import in
//! the archive's order (date, then path) without holding every parsed article, whatever the
//! number of files, parsing on every core while the caller stores.
//!
//! The order is found in a first pass that keeps only a date and a file number per article.
//! That pass reads the date from the front matter where it is stated
//! ([`super::front_matter_date`]: the date the whole parse would give, without reading the
//! body) and parses the whole file only where it is not. The second pass parses the files
//! again, batch by batch in that order, on worker threads a batch ahead of the caller, and
//! hands each batch to the caller's `store` on the calling thread. Parsing is deterministic
//! (the archive time is passed in), so both passes see the same articles. When the whole
//! import fits in one batch the first pass parses every file and keeps them, so nothing is
//! read twice. It does not touch the archive: the caller stores the batches.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::sync_channel;

use chrono::{DateTime, Utc};

use super::{Files, ImportError, Imported, Removal, date_file, import_file};

/// Articles parsed, held and handed over at a time: bounds the memory of an import (a few
/// megabytes of 2–3 KB articles) while keeping the archive's transactions large.
pub const BATCH: usize = 1000;

/// Parses `files` on every available core; the results are in the order of `files`.
pub fn read_all(files: &[PathBuf], now: DateTime<Utc>) -> Vec<Result<Imported, ImportError>> {
    on_every_core(files, |path| import_file(path, now))
}

/// `work` applied to every item of `items` on every available core (one thread per core,
/// each taking the next item); the results are in the order of `items`.
fn on_every_core<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism().map_or(1, usize::from).min(items.len());
    if workers <= 1 {
        return items.iter().map(work).collect();
    }
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, work(item)));
                    }
                    done
                })
            })
            .collect();
        for handle in handles {
            // A panic while parsing is a bug: let it surface as it would on one thread.
            let done = handle.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            for (i, result) in done {
                slots[i] = Some(result);
            }
        }
    });
    slots.into_iter().map(|r| r.expect("every item was taken by a worker")).collect()
}

/// One file of an import, as [`chronological`] hands it over. Every file ends as either
/// [`Step::Read`] or [`Step::Failed`], once; the `usize` is the file's number in path order
/// (the order of [`Files`]), so that a report can list the files in path order.
pub enum Step<'a> {
    /// First pass of a large import: the file's date was read (for progress).
    Dated(&'a Path),
    /// The file was parsed, with what was left out of its article.
    Read(usize, &'a Path, &'a [Removal]),
    /// The file could not be imported.
    Failed(usize, &'a Path, ImportError),
}

/// How many times [`chronological`] goes over `files` files: [`Step::Dated`] and then
/// [`Step::Read`] for each file of a large import, only [`Step::Read`] for a small one.
pub fn passes(files: usize) -> u64 {
    if files <= BATCH { 1 } else { 2 }
}

/// Imports `files` (sorted by path, as [`super::discover`] gives them) in the archive's
/// order: by the article's date (published, else updated), then by path. `step` sees every
/// file as it is dated and read, and every failure; `store` receives the articles in that
/// order, at most [`BATCH`] at a time, while the next batch is parsed. Only a date and a
/// number per article are held between batches (16 bytes each, besides the compact list of
/// files); at most three batches of articles are alive at once (parsed ahead, waiting,
/// being stored).
pub fn chronological<E>(
    files: &Files,
    now: DateTime<Utc>,
    mut step: impl FnMut(Step<'_>),
    mut store: impl FnMut(Vec<Imported>) -> Result<(), E>,
) -> Result<(), E> {
    if files.len() <= BATCH {
        return all_at_once(files, now, step, store);
    }
    let mut order: Vec<(DateTime<Utc>, u32)> = Vec::with_capacity(files.len());
    for start in (0..files.len()).step_by(BATCH) {
        let paths: Vec<PathBuf> = (start..files.len().min(start + BATCH)).map(|i| files.path(i)).collect();
        for (j, result) in on_every_core(&paths, |path| date_file(path, now)).into_iter().enumerate() {
            let i = start + j;
            match result {
                Ok(dated) => {
                    order.push((dated.date(), file_number(i)));
                    step(Step::Dated(&paths[j]));
                }
                Err(e) => step(Step::Failed(i, &paths[j], e)),
            }
        }
    }
    // Files come sorted by path, so the file number breaks ties by path.
    order.sort_unstable();
    std::thread::scope(|s| {
        // One batch parsed ahead: the parser waits while a second one is waiting to be stored.
        let (ahead, parsed) = sync_channel::<(Vec<u32>, Vec<PathBuf>, Vec<Result<Imported, ImportError>>)>(1);
        let order = &order;
        s.spawn(move || {
            for chunk in order.chunks(BATCH) {
                let numbers: Vec<u32> = chunk.iter().map(|&(_, i)| i).collect();
                let paths: Vec<PathBuf> = numbers.iter().map(|&i| files.path(i as usize)).collect();
                let results = read_all(&paths, now);
                if ahead.send((numbers, paths, results)).is_err() {
                    break; // the caller stopped storing
                }
            }
        });
        for (numbers, paths, results) in parsed {
            let mut batch = Vec::with_capacity(results.len());
            for ((i, path), result) in numbers.into_iter().zip(&paths).zip(results) {
                match result {
                    Ok(imported) => {
                        step(Step::Read(i as usize, path, &imported.removed));
                        batch.push(imported);
                    }
                    // Changed or removed since the first pass, or wrong in a way the date
                    // alone did not show.
                    Err(e) => step(Step::Failed(i as usize, path, e)),
                }
            }
            store(batch)?;
        }
        Ok(())
    })
}

/// A small import: every file parsed once, held, and stored as one batch in order.
fn all_at_once<E>(
    files: &Files,
    now: DateTime<Utc>,
    mut step: impl FnMut(Step<'_>),
    mut store: impl FnMut(Vec<Imported>) -> Result<(), E>,
) -> Result<(), E> {
    let paths: Vec<PathBuf> = files.paths().collect();
    let mut held = Vec::with_capacity(paths.len());
    for (i, (path, result)) in paths.iter().zip(read_all(&paths, now)).enumerate() {
        match result {
            Ok(imported) => {
                step(Step::Read(i, path, &imported.removed));
                held.push((imported.article.date(), i, imported));
            }
            Err(e) => step(Step::Failed(i, path, e)),
        }
    }
    // Files come sorted by path, so the file number breaks ties by path.
    held.sort_unstable_by_key(|&(date, i, _)| (date, i));
    if held.is_empty() {
        return Ok(());
    }
    store(held.into_iter().map(|(_, _, imported)| imported).collect())
}

/// A file's number in the order list: a `u32` keeps the list at 16 bytes an article.
fn file_number(i: usize) -> u32 {
    u32::try_from(i).expect("an import of fewer than 4 billion files")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::Dated;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).single().expect("date")
    }

    #[test]
    fn the_date_read_first_is_the_date_the_whole_parse_gives() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cases = [
            ("yaml.md", "---\ntitle: A\ndate: 2020-03-04T05:06:07Z\n---\nBody.\n"),
            ("yaml-updated.md", "---\ntitle: A\ndate: 2020-03-04\nupdated: 2024-01-01\n---\nBody.\n"),
            ("toml.md", "+++\ntitle = \"A\"\ndate = 2019-01-02T03:04:05Z\n+++\nBody.\n"),
            ("nested.md", "---\ntitle: A\nparams:\n  published: 2018-09-14\n---\nBody.\n"),
            ("only-updated.md", "---\ntitle: A\nupdated: 2021-05-06\n---\nBody.\n"),
            ("dateline.txt", "A title\n\nBy Someone\n14 September 2018\n\nThe body of the text, long enough.\n"),
            ("none.md", "# A title\n\nNo date anywhere in this one.\n"),
            ("crlf.md", "---\r\ntitle: A\r\ndate: 2017-07-07\r\n---\r\nBody.\r\n"),
            ("bom.md", "\u{feff}---\ntitle: A\ndate: 2016-06-06\n---\nBody.\n"),
            ("false.md", "---\ntitle: A\npublished: false\n---\nBody, 3 March 2015.\n"),
            (
                "page.html",
                "<html><head><title>A page</title><meta property=\"article:published_time\" content=\"2015-01-01\"></head><body><article><h1>A page</h1><p>Some text of the page, long enough to count as an article body here.</p></article></body></html>",
            ),
        ];
        let mut paths: Vec<PathBuf> = cases
            .iter()
            .map(|(name, text)| {
                let path = dir.path().join(name);
                std::fs::write(&path, text).expect("write");
                path
            })
            .collect();
        // And every import fixture (other encodings, bad front matter, binary, empty…).
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import");
        paths.extend(
            std::fs::read_dir(fixtures)
                .expect("fixtures")
                .map(|e| e.expect("entry").path())
                .filter(|p| !p.to_string_lossy().ends_with(".json")),
        );
        for path in &paths {
            let name = path.display();
            let whole = import_file(path, now()).map(|i| i.article.date());
            let dated = date_file(path, now()).map(|d| d.date());
            match (whole, dated) {
                (Ok(w), Ok(d)) => assert_eq!(w, d, "{name}"),
                (Err(_), Err(_)) => {}
                (w, d) => panic!("{name}: whole parse {w:?}, dated {:?}", d.map_err(|e| e.to_string())),
            }
        }
        // The front matter alone was enough where it states the publication date.
        let quick = |name: &str| matches!(date_file(&dir.path().join(name), now()), Ok(Dated::FrontMatter(_)));
        assert!(quick("yaml.md") && quick("toml.md") && quick("nested.md") && quick("crlf.md") && quick("bom.md"));
        assert!(!quick("only-updated.md") && !quick("dateline.txt") && !quick("none.md") && !quick("page.html"));
    }
}
