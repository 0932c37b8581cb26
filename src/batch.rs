//! The loop over the matrices of a stack: grouping, worker threads, per-worker
//! workspaces, and the rule that the first failure in C order is the one reported.
//!
//! Threads: a batch is split across rayon's workers while the vendor library is
//! held to one thread ([`VendorThreadsGuard`]); a single matrix, or a batch too small
//! to split, runs on the calling thread and lets the vendor use its own threads.
//! The two are never combined.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::error::LinAlgError;
use crate::lapack::vendor;

/// Below this much work (≈ flops) a batch is not worth a thread hand-off.
const MIN_PARALLEL_WORK: usize = 1 << 16;

/// Groups per worker thread: enough for load balance, few enough that per-group
/// workspaces stay negligible.
const GROUPS_PER_THREAD: usize = 4;

/// How a batch of `count` matrices of order `n` is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Matrices per group (every group but the last has exactly this many).
    pub group_len: usize,
    /// Whether groups run on rayon's workers.
    pub parallel: bool,
}

impl Plan {
    /// The plan for `count` matrices of order `n`, each costing about `n³` work.
    pub fn new(count: usize, n: usize) -> Self {
        let threads = rayon::current_num_threads();
        let work = count.saturating_mul(n.saturating_mul(n).saturating_mul(n).max(1));
        // Large matrices use the vendor's threads unless there are enough of them
        // to keep every worker busy on its own.
        let parallel =
            threads > 1 && count >= 2 && work >= MIN_PARALLEL_WORK && (n <= 64 || count >= threads);
        if !parallel {
            return Plan {
                group_len: count.max(1),
                parallel: false,
            };
        }
        let groups = (threads * GROUPS_PER_THREAD).min(count);
        Plan {
            group_len: count.div_ceil(groups),
            parallel: true,
        }
    }
}

/// The first failure of a batch in C order, shared by the workers.
///
/// Workers skip matrices after the earliest failure found so far (they cannot
/// change the answer), and keep going on earlier ones (they might).
pub(crate) struct FirstFailure {
    index: AtomicUsize,
    error: Mutex<Option<(usize, LinAlgError)>>,
}

impl FirstFailure {
    pub fn new() -> Self {
        FirstFailure {
            index: AtomicUsize::new(usize::MAX),
            error: Mutex::new(None),
        }
    }

    /// Whether matrix `i` can be skipped: an earlier one has failed.
    #[inline]
    pub fn is_past(&self, i: usize) -> bool {
        i > self.index.load(Ordering::Relaxed)
    }

    /// Records that matrix `i` failed with `error`.
    pub fn record(&self, i: usize, error: LinAlgError) {
        self.index.fetch_min(i, Ordering::Relaxed);
        let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_none_or(|(j, _)| i < *j) {
            *slot = Some((i, error));
        }
    }

    /// The earliest failure: its flat index and error.
    pub fn into_first(self) -> Option<(usize, LinAlgError)> {
        self.error.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

/// Runs `work` on every group, on rayon's workers when `parallel` (vendor held to
/// one thread meanwhile), else on the calling thread in order.
pub(crate) fn run_groups<P, F>(groups: Vec<P>, parallel: bool, work: F)
where
    P: Send,
    F: Fn(P) + Sync + Send,
{
    if parallel && groups.len() > 1 {
        let _guard = VendorThreadsGuard::enter();
        groups.into_par_iter().for_each(work);
    } else {
        groups.into_iter().for_each(work);
    }
}

/// Splits `buf` into consecutive groups of `group_len` chunks of `chunk` elements,
/// each tagged with the flat index of its first chunk.
pub(crate) fn split_groups<T>(
    buf: &mut [T],
    chunk: usize,
    group_len: usize,
) -> Vec<(usize, &mut [T])> {
    let step = (chunk * group_len).max(1);
    buf.chunks_mut(step)
        .enumerate()
        .map(|(g, part)| (g * group_len, part))
        .collect()
}

/// Holds the vendor library to one thread while any parallel batch runs, and gives
/// it back its previous count when the last one ends.
pub(crate) struct VendorThreadsGuard(());

/// (parallel batches running, vendor thread count before the first of them).
static ACTIVE: Mutex<(usize, Option<usize>)> = Mutex::new((0, None));

impl VendorThreadsGuard {
    pub fn enter() -> Self {
        let mut active = ACTIVE.lock().unwrap_or_else(|p| p.into_inner());
        if active.0 == 0 {
            active.1 = vendor::get();
            if active.1.is_some_and(|n| n > 1) {
                vendor::set(1);
            }
        }
        active.0 += 1;
        VendorThreadsGuard(())
    }
}

impl Drop for VendorThreadsGuard {
    fn drop(&mut self) {
        let mut active = ACTIVE.lock().unwrap_or_else(|p| p.into_inner());
        active.0 -= 1;
        if active.0 == 0 {
            if let Some(n) = active.1.take().filter(|&n| n > 1) {
                vendor::set(n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_failure_keeps_the_smallest_index() {
        let ff = FirstFailure::new();
        assert!(!ff.is_past(1000));
        ff.record(7, LinAlgError::NonFinite { batch: vec![] });
        ff.record(9, LinAlgError::NonFinite { batch: vec![] });
        ff.record(
            3,
            LinAlgError::Singular {
                batch: vec![],
                pivot: 0,
            },
        );
        assert!(ff.is_past(4));
        assert!(!ff.is_past(3));
        let (i, e) = ff.into_first().unwrap();
        assert_eq!(i, 3);
        assert!(matches!(e, LinAlgError::Singular { .. }));
    }

    #[test]
    fn groups_cover_the_buffer_in_order() {
        let mut buf = vec![0u8; 10 * 4];
        let groups = split_groups(&mut buf, 4, 3);
        let starts: Vec<usize> = groups.iter().map(|(s, _)| *s).collect();
        let lens: Vec<usize> = groups.iter().map(|(_, p)| p.len()).collect();
        assert_eq!(starts, vec![0, 3, 6, 9]);
        assert_eq!(lens, vec![12, 12, 12, 4]);
    }

    #[test]
    fn plans_never_split_a_single_matrix() {
        assert!(!Plan::new(1, 2000).parallel);
        assert!(!Plan::new(3, 2).parallel);
    }
}
