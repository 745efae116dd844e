//! How the publication log is cut into documents (RFC 5005 archived feeds): which sequence
//! numbers the subscription documents show, which archive page holds which entries, which
//! pages are full, and which pages change when the log grows.
//!
//! The rule: with page size P and log length n, the subscription documents show the newest
//! P entries (seq n-P+1..=n). When n > P the older entries go to archive pages 1..=L,
//! L = floor((n-P)/P) + 1, page k holding seq (k-1)P+1 ..= min(kP, n-P). The newest page is
//! never full (it may be empty right after a page fills), so a full page's `next-archive`
//! link is valid from the moment it is written and a full page never changes again.
//!
//! Pure arithmetic: no I/O, no store.

use std::ops::RangeInclusive;

/// The paging of a log of `n` entries with page size `p`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// The log length (highest sequence number).
    pub n: u64,
    /// The page size, at least 1.
    pub p: u64,
}

impl Paging {
    pub fn new(n: u64, page_size: usize) -> Paging {
        Paging { n, p: (page_size as u64).max(1) }
    }

    /// The highest sequence number held by archive pages (0 when there are none).
    pub fn archived(&self) -> u64 {
        self.n.saturating_sub(self.p)
    }

    /// The number of archive pages.
    pub fn pages(&self) -> u64 {
        if self.n <= self.p { 0 } else { self.archived() / self.p + 1 }
    }

    /// The sequence numbers the subscription documents show (empty when the log is).
    pub fn current(&self) -> RangeInclusive<u64> {
        (self.archived() + 1)..=self.n
    }

    /// The sequence numbers archive page `k` (1-based) holds; empty for the newest page right
    /// after the one before it filled.
    pub fn page_range(&self, k: u64) -> RangeInclusive<u64> {
        debug_assert!(k >= 1);
        let start = (k - 1) * self.p + 1;
        let end = (k * self.p).min(self.archived());
        start..=end
    }

    /// The archive page holding `seq`, or `None` when `seq` is in the subscription documents
    /// (or outside the log).
    pub fn page_of(&self, seq: u64) -> Option<u64> {
        (seq >= 1 && seq <= self.archived()).then(|| (seq - 1) / self.p + 1)
    }

    /// Whether page `k` is full (every page but the newest). A full page never changes.
    pub fn is_full(&self, k: u64) -> bool {
        k < self.pages()
    }

    /// The archive pages whose bytes change when the log grows from `old_n` to this length:
    /// the page that was the newest (it gains entries and, once full, its `next-archive`
    /// link) and every page after it. Empty when there are no archive pages.
    pub fn changed_since(&self, old_n: u64) -> RangeInclusive<u64> {
        let last = self.pages();
        // With no pages, `1..=0` is empty.
        let old = Paging { n: old_n.min(self.n), p: self.p }.pages().max(1);
        old..=last
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_logs_have_no_archive() {
        for n in 0..=5 {
            let p = Paging::new(n, 5);
            assert_eq!(p.pages(), 0);
            assert_eq!(p.current().count() as u64, n);
            assert_eq!(p.page_of(1), None);
        }
    }

    #[test]
    fn worked_example() {
        // P = 5, n = 16: current 12..=16, pages 1 (1..=5), 2 (6..=10), 3 (11..=11).
        let p = Paging::new(16, 5);
        assert_eq!(p.current(), 12..=16);
        assert_eq!(p.pages(), 3);
        assert_eq!(p.page_range(1), 1..=5);
        assert_eq!(p.page_range(3), 11..=11);
        assert!(p.is_full(2) && !p.is_full(3));
        // n = 15: page 2 just filled, page 3 exists and is empty.
        let p = Paging::new(15, 5);
        assert_eq!(p.pages(), 3);
        assert!(p.page_range(3).is_empty());
        assert!(p.is_full(2));
        assert_eq!(p.changed_since(14), 2..=3);
        assert_eq!(Paging::new(6, 5).changed_since(5), 1..=1);
        assert_eq!(Paging::new(16, 5).changed_since(16), 3..=3);
    }

    proptest! {
        #[test]
        fn every_entry_is_in_exactly_one_document(n in 0u64..400, size in 1usize..30) {
            let p = Paging::new(n, size);
            let mut seen = vec![0u32; n as usize + 1];
            for seq in p.current() {
                seen[seq as usize] += 1;
            }
            for k in 1..=p.pages() {
                let r = p.page_range(k);
                if p.is_full(k) {
                    prop_assert_eq!(r.clone().count() as u64, p.p);
                } else {
                    prop_assert!((r.clone().count() as u64) < p.p, "the newest page is never full");
                }
                for seq in r {
                    seen[seq as usize] += 1;
                    prop_assert_eq!(p.page_of(seq), Some(k));
                }
            }
            prop_assert!(seen[1..].iter().all(|&c| c == 1));
            prop_assert_eq!(p.current().count() as u64, n.min(p.p));
        }

        #[test]
        fn full_pages_never_change_as_the_log_grows(n in 0u64..300, extra in 1u64..40, size in 1usize..20) {
            let before = Paging::new(n, size);
            let after = Paging::new(n + extra, size);
            let changed = after.changed_since(n);
            for k in 1..=before.pages() {
                if before.is_full(k) {
                    prop_assert_eq!(before.page_range(k), after.page_range(k));
                    prop_assert!(!changed.contains(&k));
                }
            }
            // Every page whose range or links differ is in the changed set.
            for k in 1..=after.pages() {
                let differs = k > before.pages()
                    || before.page_range(k) != after.page_range(k)
                    || before.is_full(k) != after.is_full(k);
                if differs {
                    prop_assert!(changed.contains(&k), "page {} changed but is not rewritten", k);
                }
            }
        }
    }
}
