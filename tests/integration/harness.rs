//! A temporary feedkeeper installation and a way to run the real binary in it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (for fixtures and the demo).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture file's path.
pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures").join(rel)
}

/// A temporary folder with a `feedkeeper.toml`.
pub struct Site {
    pub dir: tempfile::TempDir,
}

/// The minimal config the tests start from; `extra` is appended.
pub fn config_text(page_size: usize, extra: &str) -> String {
    format!(
        "[site]\ntitle = \"Test archive\"\nbase_url = \"https://archive.example.org/feeds/\"\nauthor = \"Test editors\"\n\n[publish]\npage_size = {page_size}\n\n{extra}"
    )
}

impl Site {
    pub fn new(page_size: usize, extra: &str) -> Site {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("feedkeeper.toml"), config_text(page_size, extra)).expect("write config");
        Site::initialised(dir)
    }

    /// A site whose archive `init` created, as a user's would be. Where the config is
    /// deliberately broken `init` fails too; the test then sees the config error itself.
    fn initialised(dir: tempfile::TempDir) -> Site {
        let site = Site { dir };
        let _ = site.run(&["init"]);
        site
    }

    /// A copy of the bundled demo (`examples/demo`) without its generated `archive/` and
    /// `feeds/`: its config, articles and offline upstream feeds.
    pub fn demo() -> Site {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_dir(&repo().join("examples/demo"), dir.path());
        for generated in ["archive", "feeds"] {
            let _ = std::fs::remove_dir_all(dir.path().join(generated));
        }
        Site::initialised(dir)
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> PathBuf {
        self.path().join("feedkeeper.toml")
    }

    pub fn feeds(&self) -> PathBuf {
        self.path().join("feeds")
    }

    /// Runs `feedkeeper --config <this site's config> args...`.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_feedkeeper"));
        cmd.arg("--config").arg(self.config()).args(args).current_dir(self.path());
        cmd.output().expect("run feedkeeper")
    }

    /// Runs and asserts the exit code, returning stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        expect_code(&self.run(args), 0, args)
    }

    /// Writes a file under the site folder.
    pub fn write(&self, rel: &str, content: &str) -> PathBuf {
        let p = self.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, content).expect("write");
        p
    }
}

/// Copies a folder tree, leaving out archive lock files.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let dest = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else if entry.file_name() != "lock" {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}

/// Asserts an exit code and returns stdout, printing both streams on failure.
pub fn expect_code(out: &Output, code: i32, what: &[&str]) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(code), "feedkeeper {what:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    stdout
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// Every file under `dir`, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let p = entry.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every file under `dir` with its bytes, sorted by relative path.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files(dir)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).expect("prefix").to_string_lossy().to_string();
            let bytes = std::fs::read(&p).expect("read");
            (rel, bytes)
        })
        .collect()
}
