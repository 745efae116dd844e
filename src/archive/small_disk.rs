//! Tests only: a small tmpfs to fill, for the archive's disk-full tests. Mounting needs root
//! (and `CAP_SYS_ADMIN`); without them [`SmallDisk::mount`] prints why and the caller skips
//! only its disk-full part.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A mounted tmpfs, unmounted (and its folder removed) when dropped.
pub(crate) struct SmallDisk {
    mnt: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    /// Mounts a tmpfs of `size` (`"256k"`, `"1m"`), or says why not on stderr and gives `None`.
    pub(crate) fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().expect("tempdir");
        let mnt = dir.path().join("small");
        std::fs::create_dir(&mnt).expect("mkdir");
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipping the disk-full part: not root, cannot mount a small tmpfs");
            return None;
        }
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&mnt)
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!("skipping the disk-full part: mount -t tmpfs failed (no CAP_SYS_ADMIN here)");
            return None;
        }
        Some(SmallDisk { mnt, _dir: dir })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.mnt
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.mnt).status();
    }
}
