//! Many article files at once with bounded memory: [`read_all`] parses files on every core,
//! and [`chronological`] puts a whole import in the archive's order (date, then path)
//! without holding every parsed article, whatever the number of files.
//!
//! The order is found in a first pass that keeps only a date and a file number per article;
//! the second pass parses again, batch by batch in that order, and hands each batch to the
//! caller. Parsing is deterministic (the archive time is passed in), so both passes see the
//! same articles. When the whole import fits in one batch the first pass's articles are kept
//! and nothing is parsed twice. It does not touch the archive: the caller stores the batches.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};

use super::{Files, ImportError, Imported, Removal, import_file};

/// Articles parsed, held and handed over at a time: bounds the memory of an import (a few
/// megabytes of 2–3 KB articles) while keeping the archive's transactions large.
pub const BATCH: usize = 1000;

/// Parses `files` on every available core; the results are in the order of `files`.
pub fn read_all(files: &[PathBuf], now: DateTime<Utc>) -> Vec<Result<Imported, ImportError>> {
    let workers = std::thread::available_parallelism().map_or(1, usize::from).min(files.len());
    if workers <= 1 {
        return files.iter().map(|p| import_file(p, now)).collect();
    }
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<Result<Imported, ImportError>>> = (0..files.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        done.push((i, import_file(path, now)));
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
    slots.into_iter().map(|r| r.expect("every file was taken by a worker")).collect()
}

/// One file of an import, as [`chronological`] hands it over.
pub enum Step<'a> {
    /// The file was read (first pass), with what was left out of its article (nothing when
    /// it could not be imported); for progress and the report.
    Read(&'a Path, &'a [Removal]),
    /// The file could not be imported.
    Failed(&'a Path, ImportError),
}

/// Imports `files` (sorted by path, as [`super::discover`] gives them) in the archive's
/// order: by the article's date (published, else updated), then by path. `step` sees every
/// file once as it is read and every failure; `store` receives the articles in that order,
/// at most [`BATCH`] at a time. Only a date and a number per article are held between
/// batches (16 bytes each, besides the compact list of files).
pub fn chronological<E>(
    files: &Files,
    now: DateTime<Utc>,
    mut step: impl FnMut(Step<'_>),
    mut store: impl FnMut(Vec<Imported>) -> Result<(), E>,
) -> Result<(), E> {
    let small = files.len() <= BATCH;
    let mut order: Vec<(DateTime<Utc>, u32)> = Vec::with_capacity(files.len());
    let mut held: Vec<Option<Imported>> = Vec::new();
    for start in (0..files.len()).step_by(BATCH) {
        let paths: Vec<PathBuf> = (start..files.len().min(start + BATCH)).map(|i| files.path(i)).collect();
        for (j, result) in read_all(&paths, now).into_iter().enumerate() {
            let i = start + j;
            match result {
                Ok(imported) => {
                    step(Step::Read(&paths[j], &imported.removed));
                    order.push((imported.article.date(), file_number(i)));
                    if small {
                        held.resize_with(i + 1, || None);
                        held[i] = Some(imported);
                    }
                }
                Err(e) => {
                    step(Step::Failed(&paths[j], e));
                    step(Step::Read(&paths[j], &[]));
                }
            }
        }
    }
    // Files come sorted by path, so the file number breaks ties by path.
    order.sort_unstable();
    for chunk in order.chunks(BATCH) {
        let batch = if small {
            chunk.iter().filter_map(|&(_, i)| held[i as usize].take()).collect()
        } else {
            let paths: Vec<PathBuf> = chunk.iter().map(|&(_, i)| files.path(i as usize)).collect();
            let mut batch = Vec::with_capacity(chunk.len());
            for (path, result) in paths.iter().zip(read_all(&paths, now)) {
                match result {
                    Ok(imported) => batch.push(imported),
                    // Changed or removed since the first pass.
                    Err(e) => step(Step::Failed(path, e)),
                }
            }
            batch
        };
        store(batch)?;
    }
    Ok(())
}

/// A file's number in the order list: a `u32` keeps the list at 16 bytes an article.
fn file_number(i: usize) -> u32 {
    u32::try_from(i).expect("an import of fewer than 4 billion files")
}
