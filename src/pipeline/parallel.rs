//! Spreading pure CPU work (scoring items, extracting pages) over the cores with scoped
//! threads, results in input order. It knows nothing of what the work is, and must not be
//! given work that does I/O or needs the store.

/// `f` over every item, on up to all cores, each thread taking at least `per_thread` items
/// (small batches stay on this thread). The results come back in the order of `items`; a
/// panic in `f` is resumed here.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], per_thread: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = cores.min(items.len().div_ceil(per_thread.max(1))).max(1);
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let f = &f;
                scope.spawn(move || part.iter().map(f).collect::<Vec<_>>())
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_input_order() {
        let items: Vec<u32> = (0..1000).collect();
        assert_eq!(super::map(&items, 1, |x| x * 2), items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert_eq!(super::map(&items, 32, |x| x + 1), items.iter().map(|x| x + 1).collect::<Vec<_>>());
        assert!(super::map(&[] as &[u32], 1, |x| *x).is_empty());
    }
}
