//! The files of an import, found by [`discover`] in path order and held compactly: each
//! folder's path once, each file as its folder's number and its name in one shared buffer
//! (about 16 bytes and the name per file, instead of a `PathBuf` of the whole path), so
//! that a million files take some 30 MB rather than 100.
//!
//! Folders are walked in sorted order (each folder's entries sorted by name, subfolders
//! entered where their name falls), which is the order of sorting the whole paths; only
//! when several paths are given are their lists merged by a sort.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use super::ImportError;

/// The files found by [`discover`], sorted by path without repeats.
#[derive(Debug, Default)]
pub struct Files {
    /// Every folder that holds a listed file.
    dirs: Vec<PathBuf>,
    /// Every file name, one after the other.
    names: Vec<u8>,
    /// The files in path order.
    entries: Vec<Entry>,
}

/// A file: its folder in `dirs` and its name in `names` (empty: the folder entry is the
/// whole path, for a path given without a file name).
#[derive(Debug, Clone, Copy)]
struct Entry {
    start: u64,
    dir: u32,
    len: u32,
}

impl Files {
    /// The number of files.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no file was found.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The path of file `i` (in path order).
    pub fn path(&self, i: usize) -> PathBuf {
        let e = self.entries[i];
        let dir = &self.dirs[e.dir as usize];
        if e.len == 0 { dir.clone() } else { dir.join(self.name(e)) }
    }

    /// Every path, in order.
    pub fn paths(&self) -> impl Iterator<Item = PathBuf> + '_ {
        (0..self.len()).map(|i| self.path(i))
    }

    fn name(&self, e: Entry) -> &OsStr {
        let start = e.start as usize;
        OsStr::from_bytes(&self.names[start..start + e.len as usize])
    }

    fn add_dir(&mut self, dir: PathBuf) -> u32 {
        self.dirs.push(dir);
        u32::try_from(self.dirs.len() - 1).expect("fewer than 2^32 folders")
    }

    fn entry(&mut self, dir: u32, name: &OsStr) -> Entry {
        let start = self.names.len() as u64;
        self.names.extend_from_slice(name.as_bytes());
        Entry { start, dir, len: u32::try_from(name.len()).expect("a file name is shorter than 4 GB") }
    }

    /// A path given as it is (not inside a walked folder).
    fn add_path(&mut self, path: &Path) {
        let e = match (path.parent(), path.file_name()) {
            (Some(parent), Some(name)) => {
                let dir = self.add_dir(parent.to_path_buf());
                self.entry(dir, name)
            }
            _ => {
                let dir = self.add_dir(path.to_path_buf());
                self.entry(dir, OsStr::new(""))
            }
        };
        self.entries.push(e);
    }

    /// The components of an entry's path, as `Path`'s order compares them.
    fn components(&self, e: Entry) -> impl Iterator<Item = Component<'_>> {
        let name = (e.len > 0).then(|| Component::Normal(self.name(e)));
        self.dirs[e.dir as usize].components().chain(name)
    }

    fn compare(&self, a: Entry, b: Entry) -> Ordering {
        if a.dir == b.dir && a.len > 0 && b.len > 0 {
            return self.name(a).cmp(self.name(b));
        }
        self.components(a).cmp(self.components(b))
    }

    /// Sorts by path and drops repeats. Lists walked in order are sorted runs, which the
    /// (stable) sort finds and merges.
    fn sort(&mut self) {
        let mut entries = std::mem::take(&mut self.entries);
        entries.sort_by(|&a, &b| self.compare(a, b));
        entries.dedup_by(|a, b| self.compare(*a, *b) == Ordering::Equal);
        self.entries = entries;
    }

    /// Lists the files under `dir`, in path order, skipping hidden entries and not
    /// following symbolic links to folders.
    fn walk(&mut self, dir: &Path, visited: &mut HashSet<PathBuf>) -> Result<(), ImportError> {
        let unreadable = |source| ImportError::Unreadable { path: dir.to_path_buf(), source };
        // Symbolic links may loop back to a folder already walked.
        if !visited.insert(fs::canonicalize(dir).map_err(unreadable)?) {
            return Ok(());
        }
        let id = self.add_dir(dir.to_path_buf());
        let mut files = Vec::new();
        let mut folders = Vec::new();
        for entry in fs::read_dir(dir).map_err(unreadable)? {
            let entry = entry.map_err(unreadable)?;
            let name = entry.file_name();
            if name.as_bytes().starts_with(b".") {
                continue;
            }
            // Not followed: a linked folder may lead out of the one given, and a linked
            // file is listed so that `import_file` reports it by name.
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => folders.push(name),
                Ok(_) => files.push(self.entry(id, &name)),
                Err(e) => {
                    tracing::warn!(path = %entry.path().display(), error = %e, "skipping an entry that cannot be read (broken link?)");
                }
            }
        }
        files.sort_unstable_by(|&a, &b| self.name(a).cmp(self.name(b)));
        folders.sort_unstable();
        // Each subfolder's files go where its name falls among the files.
        let mut files = files.into_iter().peekable();
        for folder in folders {
            while let Some(&f) = files.peek() {
                if self.name(f) > folder.as_os_str() {
                    break;
                }
                self.entries.push(f);
                files.next();
            }
            self.walk(&dir.join(&folder), visited)?;
        }
        self.entries.extend(files);
        Ok(())
    }
}

/// Expands files and folders (recursively, skipping dot-files and dot-folders) into the
/// list of files to import, sorted by path without repeats; a path that does not exist is an
/// error naming it. Files named explicitly are kept whatever their extension (and even when
/// hidden); inside folders every non-hidden file is listed, and [`super::import_file`]
/// reports the unsupported ones (see [`super::is_importable`]). Symbolic links to folders
/// inside folders are not followed, and a folder reached twice is walked once.
pub fn discover(paths: &[PathBuf]) -> Result<Files, ImportError> {
    let mut out = Files::default();
    let mut visited = HashSet::new();
    for path in paths {
        let meta = fs::metadata(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => ImportError::NotFound { path: path.clone() },
            _ => ImportError::Unreadable { path: path.clone(), source },
        })?;
        if meta.is_dir() {
            out.walk(path, &mut visited)?;
        } else {
            out.add_path(path);
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, "x").expect("write");
    }

    /// What `discover` gave before it was compact: every path, sorted, without repeats.
    fn reference(paths: &[PathBuf]) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in fs::read_dir(dir).expect("read_dir") {
                let entry = entry.expect("entry");
                if entry.file_name().to_string_lossy().starts_with('.') {
                    continue;
                }
                if entry.file_type().expect("type").is_dir() {
                    walk(&entry.path(), out);
                } else {
                    out.push(entry.path());
                }
            }
        }
        let mut out = Vec::new();
        for p in paths {
            if p.is_dir() { walk(p, &mut out) } else { out.push(p.clone()) }
        }
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn folders_and_files_interleave_in_path_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        // Names chosen so that a subfolder sorts between files of its parent, a file name
        // is a prefix of a folder name, and byte order differs from a naive string order.
        for rel in [
            "a/z.md",
            "a/b/c.md",
            "a/b.md",
            "a/b-c.md",
            "a/bb/d.md",
            "a/B.md",
            "a/.hidden.md",
            "a/.h/x.md",
            "a/b/c/d.md",
            "a/b/c/.e.md",
            "a/é.md",
            "a/e.md",
            "a/0/1/2/3.md",
            "a/00.md",
            "b.md",
        ] {
            touch(root, rel);
        }
        let given = vec![root.join("a")];
        let found: Vec<PathBuf> = discover(&given).expect("discover").paths().collect();
        assert_eq!(found, reference(&given));
        let hidden = |p: &PathBuf| p.strip_prefix(root).expect("inside").to_string_lossy().contains("/.");
        assert!(!found.iter().any(hidden), "{found:?}");
        assert_eq!(found.len(), 11);
    }

    #[test]
    fn several_paths_merge_sorted_without_repeats() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for rel in ["x/1.md", "x/y/2.md", "x/y/3.md", "w/4.md", "z.md", ".h.md"] {
            touch(root, rel);
        }
        // Overlapping folders, a file also inside a given folder, a hidden file given by
        // name, and a folder given twice.
        let given = vec![
            root.join("x/y"),
            root.join("z.md"),
            root.join("x"),
            root.join("x/y/2.md"),
            root.join(".h.md"),
            root.join("w"),
            root.join("x"),
        ];
        let found: Vec<PathBuf> = discover(&given).expect("discover").paths().collect();
        assert_eq!(found, reference(&given));
        assert_eq!(found.len(), 6);
    }

    #[test]
    fn a_large_tree_comes_out_as_sorting_every_path_would() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let mut state = 12345u64;
        for _ in 0..600 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let depth = (state >> 60) % 3;
            let mut rel = String::new();
            for d in 0..depth {
                rel.push_str(&format!("{}/", ["a", "ab", "b", "a-b", "A"][((state >> (10 * d + 8)) % 5) as usize]));
            }
            rel.push_str(&format!("{}.md", (state >> 33) % 97));
            touch(root, &rel);
        }
        let given = vec![root.to_path_buf()];
        let found: Vec<PathBuf> = discover(&given).expect("discover").paths().collect();
        assert_eq!(found, reference(&given));
    }
}
