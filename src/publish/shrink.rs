//! The shrink guard: a publish never takes published history away (fewer entries, an archive
//! page or a tag's feeds removed) unless the user asked for it (`publish --allow-shrink`).
//! A database that went missing, was emptied or lost rows must not quietly cut what
//! subscribers already have.
//!
//! What is published is read from the feeds folder itself, not from the store, since the
//! store is what may have gone wrong: the number of entries follows from the paging rule
//! (see [`super::paging`]) and the `<entry>` elements of the subscription document and of the
//! newest archive page. Fewer entries are always refused. Removed archive pages and tag
//! feeds are refused when the store has no record of the last publish, or records a longer
//! log than it now holds (a new, emptied or replaced database); with that record intact a
//! removal is a deliberate change (an article lost its only tag, the page size grew).
//! With `[publish] target` the bucket is read the same way (its `atom.xml`, and the newest
//! archive page found by listing `archive/`), since the folder may be a fresh staging copy on
//! another machine; and every publish records its counts in the store ([`STORED_KEY`]). The
//! guard takes the most of the three: any one of them that saw more published entries is
//! enough to refuse.
//! This module only measures and compares; it writes nothing.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::objects::{Bucket, ObjectError};

/// The store key where each publish records what it published ([`Published`] as JSON).
pub const STORED_KEY: &str = "publish.published";

/// What the feeds folder holds now, as far as the guard needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Published {
    /// `<entry>` elements in the subscription `atom.xml` (0 when there is none).
    pub current: u64,
    /// The highest archive page with an `atom.xml` (0 when none).
    pub pages: u64,
    /// `<entry>` elements in that page's `atom.xml`.
    pub newest_page: u64,
}

impl Published {
    /// Reads the feeds folder; missing or unreadable files count as empty.
    pub fn read(feeds_dir: &Path) -> Published {
        // Only the names are listed; the files are looked for from the highest page down,
        // so a publish does not look into every archive page's folder.
        let pages = std::fs::read_dir(feeds_dir.join("archive"))
            .map(|it| {
                let mut pages: Vec<u64> =
                    it.flatten().filter_map(|e| e.file_name().to_str()?.parse::<u64>().ok()).collect();
                pages.sort_unstable_by(|a, b| b.cmp(a));
                pages.into_iter().find(|k| feeds_dir.join(format!("archive/{k}/atom.xml")).is_file()).unwrap_or(0)
            })
            .unwrap_or(0);
        let newest_page =
            if pages > 0 { count_entries(&feeds_dir.join(format!("archive/{pages}/atom.xml"))) } else { 0 };
        Published { current: count_entries(&feeds_dir.join("atom.xml")), pages, newest_page }
    }

    /// Reads a bucket the publisher writes into; missing objects count as empty.
    pub fn read_bucket(bucket: &Bucket) -> Result<Published, ObjectError> {
        let count = |key: &str| match bucket.get(key) {
            Ok(bytes) => Ok(entries_in(&bytes)),
            Err(ObjectError::NotFound { .. }) => Ok(0),
            Err(e) => Err(e),
        };
        let current = count("atom.xml")?;
        let pages = bucket
            .list("archive/")?
            .iter()
            .filter_map(|o| o.key.strip_prefix("archive/")?.strip_suffix("/atom.xml")?.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        let newest_page = if pages > 0 { count(&format!("archive/{pages}/atom.xml"))? } else { 0 };
        Ok(Published { current, pages, newest_page })
    }

    /// Whichever of the two saw more entries published.
    pub fn most(self, other: Published) -> Published {
        if other.entries() > self.entries() { other } else { self }
    }

    /// The number of entries published. With archive pages the subscription document is
    /// full, so its entry count is the page size, and every page but the newest is full.
    pub fn entries(&self) -> u64 {
        if self.pages == 0 { self.current } else { self.current * self.pages + self.newest_page }
    }
}

/// The `<entry` elements of an Atom file (escaped content cannot hold a literal one).
fn count_entries(path: &Path) -> u64 {
    std::fs::read(path).map(|bytes| entries_in(&bytes)).unwrap_or(0)
}

fn entries_in(bytes: &[u8]) -> u64 {
    bytes.windows(7).filter(|w| *w == b"<entry>" || *w == b"<entry ").count() as u64
}

/// What publishing a log of `n` entries would lose, in words; `None` when nothing.
pub fn lost_entries(published: &Published, n: u64) -> Option<String> {
    let had = published.entries();
    (n < had).then(|| format!("{had} entries are published, the archive has {n}: {} would go", had - n))
}

/// What leaving out these unreadable rows would lose, in words, when any of them is a log
/// entry already published (its sequence number at most `published`); `None` otherwise.
pub fn unreadable(rows: &[crate::archive::Unreadable], published: u64) -> Option<String> {
    let lost: Vec<String> =
        rows.iter().filter(|r| r.seq.is_some_and(|seq| seq <= published)).map(ToString::to_string).collect();
    (!lost.is_empty()).then(|| {
        format!(
            "{} published entr{} cannot be read from the database and would go: {}; `feedkeeper verify` names the damage",
            lost.len(),
            if lost.len() == 1 { "y" } else { "ies" },
            lost.join("; ")
        )
    })
}

/// What removing these published files (relative paths) would lose, in words; `None` when
/// nothing of the history (archive pages, tag feeds) would go.
pub fn lost_files(removed: &[&str]) -> Option<String> {
    let mut pages = std::collections::BTreeSet::new();
    let mut tags = std::collections::BTreeSet::new();
    for rel in removed {
        let parts: Vec<&str> = rel.split('/').collect();
        match parts.as_slice() {
            ["archive", k, _] => {
                pages.insert(format!("archive/{k}/"));
            }
            ["tags", t, _] => {
                tags.insert(format!("tags/{t}/"));
            }
            _ => {}
        }
    }
    let mut lost = Vec::new();
    if !pages.is_empty() {
        lost.push(format!("archive page(s) {}", pages.into_iter().collect::<Vec<_>>().join(", ")));
    }
    if !tags.is_empty() {
        lost.push(format!("tag feed(s) {}", tags.into_iter().collect::<Vec<_>>().join(", ")));
    }
    (!lost.is_empty()).then(|| format!("would remove {}", lost.join(" and ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_follow_the_paging_rule() {
        assert_eq!(Published { current: 5, pages: 0, newest_page: 0 }.entries(), 5);
        // Page size 10: pages 1 and 2 full, page 3 holds 4, the subscription document 10.
        assert_eq!(Published { current: 10, pages: 3, newest_page: 4 }.entries(), 34);
    }

    #[test]
    fn fewer_entries_is_a_loss_more_or_equal_is_not() {
        let p = Published { current: 10, pages: 1, newest_page: 6 };
        assert!(lost_entries(&p, 16).is_none());
        assert!(lost_entries(&p, 40).is_none());
        let lost = lost_entries(&p, 5).expect("loss");
        assert!(lost.contains("16 entries") && lost.contains("11 would go"), "{lost}");
    }

    #[test]
    fn removed_archive_pages_and_tags_are_named_other_files_are_not() {
        assert!(lost_files(&["articles/a.html"]).is_none());
        let lost = lost_files(&["archive/3/atom.xml", "archive/3/rss.xml", "tags/eu/atom.xml"]).expect("loss");
        assert!(lost.contains("archive/3/") && lost.contains("tags/eu/"), "{lost}");
    }

    #[test]
    fn unreadable_published_entries_are_a_loss_new_ones_are_not() {
        let row =
            |seq| crate::archive::Unreadable { seq: Some(seq), id: Some(format!("a{seq}")), reason: "bad".into() };
        assert!(unreadable(&[row(11), row(12)], 10).is_none());
        let lost = unreadable(&[row(7), row(12)], 10).expect("loss");
        assert!(lost.starts_with("1 published entry") && lost.contains("log entry 7 (article a7)"), "{lost}");
        assert!(!lost.contains("log entry 12"), "{lost}");
    }

    #[test]
    fn a_folder_read_back_counts_its_entries() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("atom.xml"), "<feed><entry>a</entry><entry xml:lang=\"en\">b</entry></feed>")
            .expect("write");
        std::fs::create_dir_all(dir.path().join("archive/1")).expect("dir");
        std::fs::write(dir.path().join("archive/1/atom.xml"), "<feed><entry>x</entry></feed>").expect("write");
        assert_eq!(Published::read(dir.path()), Published { current: 2, pages: 1, newest_page: 1 });
        assert_eq!(Published::read(&dir.path().join("nothing")), Published::default());
    }

    #[test]
    fn the_most_published_of_folder_bucket_and_record_wins() {
        let folder = Published { current: 0, pages: 0, newest_page: 0 };
        let bucket = Published { current: 10, pages: 2, newest_page: 3 };
        assert_eq!(folder.most(bucket), bucket);
        assert_eq!(bucket.most(folder), bucket);
    }

    #[test]
    fn a_bucket_read_back_counts_its_entries() {
        let bucket = crate::objects::test_bucket("shrink", "feeds/");
        assert_eq!(Published::read_bucket(&bucket).expect("empty bucket"), Published::default());
        let served = crate::objects::Served { content_type: "application/atom+xml", cache_control: "no-cache" };
        let feed = |n: usize| "<entry>x</entry>".repeat(n).into_bytes();
        bucket.put_served("atom.xml", feed(4), served).expect("put");
        for k in [1, 2, 10] {
            bucket.put_served(&format!("archive/{k}/atom.xml"), feed(k), served).expect("put");
        }
        bucket.put_served("archive/11/rss.xml", feed(1), served).expect("put");
        assert_eq!(
            Published::read_bucket(&bucket).expect("read"),
            Published { current: 4, pages: 10, newest_page: 10 }
        );
    }

    #[test]
    fn the_newest_page_is_the_highest_with_an_atom_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        for k in [1, 2, 9] {
            std::fs::create_dir_all(dir.path().join(format!("archive/{k}"))).expect("dir");
            std::fs::write(dir.path().join(format!("archive/{k}/atom.xml")), "<feed><entry>x</entry></feed>")
                .expect("write");
        }
        // Higher folders without an atom.xml, and names that are not page numbers, are not pages.
        for other in ["archive/10", "archive/11/rss.xml", "archive/x12", "archive/13.tmp"] {
            std::fs::create_dir_all(dir.path().join(other)).expect("dir");
        }
        assert_eq!(Published::read(dir.path()).pages, 9);
    }
}
