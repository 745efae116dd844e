//! Atomic replacement of the published files. Every new file is first *staged*: written to a
//! dot-prefixed temp file in its own folder (a file whose new bytes equal the old ones is not
//! staged at all, so its mtime and ETag stay). [`Staging::commit`] then makes the temps
//! durable (fsync per file, or one `syncfs` for large batches), renames them over the old
//! files in a safe order — article pages, then archive pages (newest first), then tag
//! feeds, and the subscription documents and `index.html` last — so a crash never leaves a
//! document linking to a page that is not there yet, and syncs the folders.
//!
//! Dropping an uncommitted [`Staging`] removes its temps: on any error the previous feeds
//! stay as they were. It must not decide what to write, only how.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::PublishError;

/// Up to this many files (or folders) are fsynced one by one; more are synced with one
/// `syncfs` of the file system.
const SYNC_EACH_LIMIT: usize = 64;

/// The rename order: lower classes first, so every link target exists before the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    ArticlePage = 0,
    ArchivePage = 1,
    TagFeed = 2,
    TagIndex = 3,
    Feed = 4,
    Index = 5,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// A temp file holds the new bytes.
    Staged { class: Class, order: u64 },
    /// The file on disk already has these bytes.
    Unchanged,
}

/// The outcome of a commit.
#[derive(Debug, Default)]
pub struct Committed {
    /// Replaced or created files, relative to the root, sorted.
    pub written: Vec<String>,
    /// Files rendered whose bytes were already on disk.
    pub unchanged: usize,
    /// Files removed, relative to the root, sorted.
    pub removed: Vec<String>,
}

/// Files staged for one publish.
pub struct Staging {
    root: PathBuf,
    suffix: String,
    files: HashMap<String, State>,
    known_dirs: HashSet<PathBuf>,
    /// Folders this staging created: no file can be in them yet, so nothing is compared.
    fresh_dirs: HashSet<PathBuf>,
    removals: BTreeSet<String>,
    old: Vec<u8>,
    committed: bool,
}

fn io_err<'a>(path: &'a Path, context: &'static str) -> impl FnOnce(io::Error) -> PublishError + 'a {
    move |source| PublishError::Io { path: path.to_path_buf(), context, source }
}

impl Staging {
    pub fn new(root: &Path) -> Staging {
        Staging {
            root: root.to_path_buf(),
            suffix: format!(".fk{}.tmp", std::process::id()),
            files: HashMap::new(),
            known_dirs: HashSet::new(),
            fresh_dirs: HashSet::new(),
            removals: BTreeSet::new(),
            old: Vec::new(),
            committed: false,
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The temp file for a final path: `.<name>.fk<pid>.tmp` in the same folder.
    fn temp_for(&self, path: &Path) -> PathBuf {
        let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        path.with_file_name(format!(".{name}{}", self.suffix))
    }

    /// Whether the file at `path` holds exactly `bytes`.
    fn same_on_disk(&mut self, path: &Path, bytes: &[u8]) -> Result<bool, PublishError> {
        let meta = match fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound || e.kind() == io::ErrorKind::NotADirectory => {
                return Ok(false);
            }
            Err(e) => return Err(io_err(path, "cannot read the published file")(e)),
        };
        if !meta.is_file() || meta.len() != bytes.len() as u64 {
            return Ok(false);
        }
        self.old.clear();
        File::open(path)
            .and_then(|mut f| f.read_to_end(&mut self.old))
            .map_err(io_err(path, "cannot read the published file"))?;
        Ok(self.old == bytes)
    }

    fn ensure_dir(&mut self, dir: &Path) -> Result<(), PublishError> {
        if self.known_dirs.contains(dir) {
            return Ok(());
        }
        if fs::symlink_metadata(dir).is_err() {
            // Every folder this creates (the parents too), so a failed publish can take
            // them away again instead of leaving empty `archive/<k>/` folders.
            let mut missing = vec![dir.to_path_buf()];
            let mut up = dir.parent();
            while let Some(parent) = up.filter(|p| p.starts_with(&self.root) && fs::symlink_metadata(p).is_err()) {
                missing.push(parent.to_path_buf());
                up = parent.parent();
            }
            fs::create_dir_all(dir).map_err(io_err(dir, "cannot create the folder"))?;
            self.fresh_dirs.extend(missing);
        } else {
            fs::create_dir_all(dir).map_err(io_err(dir, "cannot create the folder"))?;
        }
        self.known_dirs.insert(dir.to_path_buf());
        Ok(())
    }

    /// Stages `bytes` as the new content of `rel` (relative to the root, `/`-separated).
    /// Staging the same path again replaces the earlier bytes (a newer article version).
    pub fn put(&mut self, rel: &str, class: Class, order: u64, bytes: &[u8]) -> Result<(), PublishError> {
        let path = self.root.join(rel);
        let fresh = path.parent().is_some_and(|d| self.fresh_dirs.contains(d));
        if !fresh && self.same_on_disk(&path, bytes)? {
            if let Some(State::Staged { .. }) = self.files.insert(rel.to_string(), State::Unchanged) {
                let temp = self.temp_for(&path);
                fs::remove_file(&temp).map_err(io_err(&temp, "cannot remove a temp file"))?;
            }
            return Ok(());
        }
        if let Some(dir) = path.parent() {
            self.ensure_dir(dir)?;
        }
        let temp = self.temp_for(&path);
        // Record the temp before creating it, so a failed write is still cleaned up.
        self.files.insert(rel.to_string(), State::Staged { class, order });
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)
            .map_err(io_err(&temp, "cannot create a temp file"))?;
        f.write_all(bytes).map_err(io_err(&temp, "cannot write a temp file"))?;
        Ok(())
    }

    /// Takes over the files another staging (of the same root) prepared.
    pub fn absorb(&mut self, mut other: Staging) {
        self.files.extend(std::mem::take(&mut other.files));
        self.known_dirs.extend(std::mem::take(&mut other.known_dirs));
        self.removals.extend(std::mem::take(&mut other.removals));
        self.fresh_dirs.extend(std::mem::take(&mut other.fresh_dirs));
        other.committed = true;
    }

    /// Removes `rel` after the renames (a stale archive page or tag feed).
    pub fn remove_later(&mut self, rel: String) {
        self.removals.insert(rel);
    }

    /// The files [`Staging::remove_later`] was asked to remove that are on disk now: what a
    /// commit would take away.
    pub fn pending_removals(&self) -> Vec<&str> {
        self.removals
            .iter()
            .filter(|rel| fs::symlink_metadata(self.root.join(rel)).is_ok())
            .map(String::as_str)
            .collect()
    }

    /// Makes the staged files durable and renames them into place; see the module docs.
    pub fn commit(mut self) -> Result<Committed, PublishError> {
        let mut staged: Vec<(Class, u64, String)> = self
            .files
            .iter()
            .filter_map(|(rel, state)| match state {
                State::Staged { class, order } => Some((*class, *order, rel.clone())),
                State::Unchanged => None,
            })
            .collect();
        staged.sort_unstable();
        let unchanged = self.files.values().filter(|s| **s == State::Unchanged).count();
        // 1. Durable temps.
        if staged.len() <= SYNC_EACH_LIMIT {
            let temps: Vec<PathBuf> = staged.iter().map(|(_, _, rel)| self.temp_for(&self.root.join(rel))).collect();
            let temps: Vec<&Path> = temps.iter().map(PathBuf::as_path).collect();
            sync_each(&temps, "cannot sync a temp file")?;
        } else {
            let temps = staged.iter().map(|(_, _, rel)| self.temp_for(&self.root.join(rel)));
            sync_filesystem(&self.root, temps)?;
        }
        // 2. Renames, in order. On failure the temps not yet renamed are removed by `drop`.
        let mut written = Vec::with_capacity(staged.len());
        let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
        for (_, _, rel) in staged {
            let path = self.root.join(&rel);
            let temp = self.temp_for(&path);
            fs::rename(&temp, &path).map_err(io_err(&path, "cannot replace the published file"))?;
            if let Some(state) = self.files.get_mut(&rel) {
                *state = State::Unchanged;
            }
            if let Some(dir) = path.parent()
                && !dirs.contains(dir)
            {
                dirs.insert(dir.to_path_buf());
            }
            written.push(rel);
        }
        // 3. Removals of files that are no longer part of the feeds.
        let mut removed = Vec::new();
        for rel in std::mem::take(&mut self.removals) {
            let path = self.root.join(&rel);
            match fs::remove_file(&path) {
                Ok(()) => {
                    if let Some(dir) = path.parent() {
                        // Remove the folder when it is left empty; a non-empty one stays.
                        if fs::remove_dir(dir).is_ok() {
                            dirs.remove(dir);
                            if let Some(parent) = dir.parent() {
                                dirs.insert(parent.to_path_buf());
                            }
                        } else {
                            dirs.insert(dir.to_path_buf());
                        }
                    }
                    removed.push(rel);
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&path, "cannot remove a stale file")(e)),
            }
        }
        // 4. Durable renames.
        if dirs.len() <= SYNC_EACH_LIMIT {
            let dirs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
            sync_each(&dirs, "cannot sync the folder")?;
        } else {
            sync_filesystem(&self.root, std::iter::empty::<PathBuf>())?;
        }
        self.committed = true;
        written.sort();
        Ok(Committed { written, unchanged, removed })
    }

    /// Removes every temp still on disk (after an error).
    fn clean_up(&mut self) {
        let temps: Vec<PathBuf> = self
            .files
            .iter()
            .filter(|(_, s)| matches!(s, State::Staged { .. }))
            .map(|(rel, _)| self.temp_for(&self.root.join(rel)))
            .collect();
        for temp in temps {
            let _ = fs::remove_file(temp);
        }
        // Deepest first; `remove_dir` only removes a folder that is empty.
        let mut dirs: Vec<&PathBuf> = self.fresh_dirs.iter().collect();
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        for dir in dirs {
            let _ = fs::remove_dir(dir);
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            self.clean_up();
        }
    }
}

/// fsyncs each path (files or folders), several at a time: the waits overlap, so a batch
/// costs little more than one.
fn sync_each(paths: &[&Path], context: &'static str) -> Result<(), PublishError> {
    let sync = |p: &Path| File::open(p).and_then(|f| f.sync_all()).map_err(io_err(p, context));
    if paths.len() <= 2 {
        return paths.iter().try_for_each(|p| sync(p));
    }
    let per_thread = paths.len().div_ceil(8);
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            paths.chunks(per_thread).map(|chunk| scope.spawn(move || chunk.iter().try_for_each(|p| sync(p)))).collect();
        handles.into_iter().try_for_each(|h| {
            h.join().unwrap_or_else(|_| Err(io_err(paths[0], context)(io::Error::other("the sync thread panicked"))))
        })
    })
}

/// Whether `name` is one of feedkeeper's temp files (from this or an earlier, crashed run).
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".tmp") && name.contains(".fk")
}

/// The marker a publish keeps in the feeds folder while it stages and renames files; finding
/// it at the start of a publish means the previous one crashed (its temps may be anywhere).
pub const IN_PROGRESS: &str = ".fk-publishing";

/// Removes leftover temp files of crashed runs from every folder the publisher writes: the
/// feeds folder, each archive page and tag folder, and the article pages.
pub fn sweep_temps(root: &Path) {
    remove_stale_temps(root);
    for sub in ["archive", "tags"] {
        if let Ok(entries) = fs::read_dir(root.join(sub)) {
            for entry in entries.flatten() {
                remove_stale_temps(&entry.path());
            }
        }
    }
    remove_stale_temps(&root.join("articles"));
}

/// Removes leftover temp files of crashed runs in `dir` (not recursive).
pub fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_str().is_some_and(is_temp_name) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Flushes the file system holding `root` (Linux `syncfs`); elsewhere fsyncs each file.
#[cfg(target_os = "linux")]
fn sync_filesystem(root: &Path, _files: impl Iterator<Item = PathBuf>) -> Result<(), PublishError> {
    use std::os::fd::AsRawFd;
    let dir = File::open(root).map_err(io_err(root, "cannot open the feeds folder"))?;
    // SAFETY: `syncfs` only reads the descriptor, which `dir` keeps open for the call.
    let rc = unsafe { libc::syncfs(dir.as_raw_fd()) };
    if rc == 0 { Ok(()) } else { Err(io_err(root, "cannot sync the file system")(io::Error::last_os_error())) }
}

#[cfg(not(target_os = "linux"))]
fn sync_filesystem(_root: &Path, files: impl Iterator<Item = PathBuf>) -> Result<(), PublishError> {
    for f in files {
        File::open(&f).and_then(|h| h.sync_all()).map_err(io_err(&f, "cannot sync a temp file"))?;
    }
    Ok(())
}
