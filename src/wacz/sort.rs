//! Sorting more lines than should be held in memory: lines are gathered into a bounded
//! buffer, each full buffer is sorted and spilled to a run file in a scratch folder, and the
//! runs are merged (a k-way merge over buffered readers) into the caller's sink. With few
//! lines nothing touches the disk. Used for the CDXJ index, which WACZ readers binary-search
//! and which must therefore be sorted, and for the page list. Knows nothing of either.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

/// Bytes of lines held before a run is spilled.
pub const DEFAULT_BUDGET: usize = 16 << 20;

/// Lines to sort, in memory up to a budget and in run files beyond it.
pub struct LineSorter {
    scratch: PathBuf,
    name: &'static str,
    budget: usize,
    held: Vec<String>,
    held_bytes: usize,
    runs: Vec<PathBuf>,
}

impl LineSorter {
    /// A sorter that spills its runs as `<name>-<n>` files into `scratch` (created when first
    /// needed; the caller removes the folder).
    pub fn new(scratch: PathBuf, name: &'static str, budget: usize) -> LineSorter {
        LineSorter { scratch, name, budget: budget.max(1), held: Vec::new(), held_bytes: 0, runs: Vec::new() }
    }

    /// Adds one line (without its newline; a newline inside is the caller's mistake).
    pub fn push(&mut self, line: String) -> io::Result<()> {
        debug_assert!(!line.contains('\n'));
        self.held_bytes += line.len() + 24;
        self.held.push(line);
        if self.held_bytes >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        self.held.sort_unstable();
        std::fs::create_dir_all(&self.scratch)?;
        let path = self.scratch.join(format!("{}-{}", self.name, self.runs.len()));
        let mut out = BufWriter::new(File::create(&path)?);
        for line in self.held.drain(..) {
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
        }
        out.into_inner().map_err(io::IntoInnerError::into_error)?;
        self.held_bytes = 0;
        self.runs.push(path);
        Ok(())
    }

    /// Gives every line to `sink` in byte order (equal lines each once per push).
    pub fn finish(mut self, mut sink: impl FnMut(&str) -> io::Result<()>) -> io::Result<()> {
        if self.runs.is_empty() {
            self.held.sort_unstable();
            return self.held.iter().try_for_each(|l| sink(l));
        }
        if !self.held.is_empty() {
            self.spill()?;
        }
        let mut readers = Vec::with_capacity(self.runs.len());
        for path in &self.runs {
            readers.push(BufReader::with_capacity(64 << 10, File::open(path)?));
        }
        let next = |r: &mut BufReader<File>| -> io::Result<Option<String>> {
            let mut line = String::new();
            Ok(match r.read_line(&mut line)? {
                0 => None,
                _ => {
                    line.pop();
                    Some(line)
                }
            })
        };
        let mut heap = BinaryHeap::new();
        for (i, r) in readers.iter_mut().enumerate() {
            if let Some(line) = next(r)? {
                heap.push(Reverse((line, i)));
            }
        }
        while let Some(Reverse((line, i))) = heap.pop() {
            sink(&line)?;
            if let Some(line) = next(&mut readers[i])? {
                heap.push(Reverse((line, i)));
            }
        }
        for path in &self.runs {
            let _ = std::fs::remove_file(path);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn sorted(lines: &[String], budget: usize) -> Vec<String> {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = LineSorter::new(dir.path().join("scratch"), "t", budget);
        for l in lines {
            s.push(l.clone()).expect("push");
        }
        let mut out = Vec::new();
        s.finish(|l| {
            out.push(l.to_string());
            Ok(())
        })
        .expect("finish");
        out
    }

    proptest! {
        #[test]
        fn spilled_runs_merge_to_the_same_order_as_sorting_in_memory(
            lines in proptest::collection::vec("[a-z ,)/0-9{}\":]{0,12}", 0..200),
            budget in 1usize..400,
        ) {
            let mut expected = lines.clone();
            expected.sort();
            prop_assert_eq!(sorted(&lines, budget), expected.clone());
            prop_assert_eq!(sorted(&lines, DEFAULT_BUDGET), expected);
        }
    }
}
