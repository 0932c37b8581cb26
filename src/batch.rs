//! The loop over the matrices of a stack: grouping, worker threads, per-worker
//! workspaces, and the rule that the first failure in C order is the one reported.
//!
//! Threads: a batch is split across rayon's workers while the vendor library is
//! pinned to one thread ([`PinnedVendor`]); a single matrix, or a batch too small
//! to split, runs on the calling thread and lets the vendor use its own threads.
//! The two are never combined (see `lapack/threads.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::error::LinAlgError;
use crate::lapack::pages::{Fresh, FreshPart};
use crate::lapack::{vendor_may_thread, PinnedVendor};
use crate::options::Threads;

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
    /// A dedicated pool of this many threads instead of rayon's global one.
    pub pool: Option<usize>,
    /// Whether the workers' vendor calls are big enough for the vendor to thread,
    /// so that the vendor must be pinned to one thread while the batch runs.
    /// Pinning only when needed matters: each change of OpenBLAS's thread count
    /// wakes its threads, which then spin on the cores the batch runs on
    /// (measured on 2×2 batches: 11 → 7.7 ns per matrix without it).
    pub pin_vendor: bool,
    /// Bands of rows the copy of each matrix is split into over rayon's pool
    /// (`layout::Source::load_in_bands`): all of rayon's threads when the
    /// matrices are taken one at a time on the calling thread under
    /// `Threads::Auto` (each then large enough for the vendor's threads), else 1.
    pub copy_bands: usize,
}

impl Plan {
    /// The plan for `count` matrices of order `n` on rayon's global pool.
    pub fn new(count: usize, n: usize) -> Self {
        Self::with_threads(count, n, Threads::Auto)
    }

    /// The plan for `count` matrices of order `n` under a thread policy.
    pub fn with_threads(count: usize, n: usize, policy: Threads) -> Self {
        let (threads, pool) = match policy {
            Threads::Auto => (rayon::current_num_threads(), None),
            Threads::Count(k) if k > 1 => {
                let k = k.min(MAX_POOL_THREADS);
                (k, Some(k))
            }
            Threads::Count(_) | Threads::Sequential => (1, None),
        };
        let mut plan = Self::split(count, n, threads);
        plan.pool = pool.filter(|_| plan.parallel);
        if !plan.parallel && policy == Threads::Auto {
            plan.copy_bands = threads;
        }
        plan
    }

    /// The plan for `count` matrices of order `n` over `threads` workers, each
    /// costing about `n³` work.
    fn split(count: usize, n: usize, threads: usize) -> Self {
        let work = count.saturating_mul(n.saturating_mul(n).saturating_mul(n).max(1));
        // Large matrices use the vendor's threads unless there are enough of them
        // to keep every worker busy on its own.
        let parallel =
            threads > 1 && count >= 2 && work >= MIN_PARALLEL_WORK && (n <= 64 || count >= threads);
        if !parallel {
            return Plan {
                group_len: count.max(1),
                parallel: false,
                pool: None,
                pin_vendor: false,
                copy_bands: 1,
            };
        }
        let groups = (threads * GROUPS_PER_THREAD).min(count);
        Plan {
            group_len: count.div_ceil(groups),
            parallel: true,
            pool: None,
            pin_vendor: vendor_may_thread(n, n),
            copy_bands: 1,
        }
    }

    /// Also pin the vendor when the workers solve for `nrhs` right-hand sides at
    /// once, if that makes their calls big enough for the vendor to thread.
    pub fn with_rhs(mut self, n: usize, nrhs: usize) -> Self {
        self.pin_vendor |= self.parallel && vendor_may_thread(n, nrhs);
        self
    }

    /// Runs `work` on every group as planned.
    pub fn run<P, F>(&self, groups: Vec<P>, work: F)
    where
        P: Send,
        F: Fn(P) + Sync + Send,
    {
        let run = || run_groups(groups, self.parallel, self.pin_vendor, work);
        match self.pool.filter(|_| self.parallel).and_then(pool) {
            Some(p) => p.install(run),
            None => run(),
        }
    }
}

/// Most threads a dedicated pool gets: more only multiplies stacks and hand-offs.
const MAX_POOL_THREADS: usize = 256;

/// The dedicated pool of `k` threads, built on first use and then reused; `None`
/// when the system cannot start it, in which case the batch runs on rayon's
/// global pool.
fn pool(k: usize) -> Option<Arc<ThreadPool>> {
    static POOLS: Mutex<Vec<(usize, Arc<ThreadPool>)>> = Mutex::new(Vec::new());
    let mut pools = POOLS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, p)) = pools.iter().find(|(n, _)| *n == k) {
        return Some(Arc::clone(p));
    }
    let p = Arc::new(
        ThreadPoolBuilder::new()
            .num_threads(k)
            .thread_name(|i| format!("inv_ext-{i}"))
            .build()
            .ok()?,
    );
    pools.push((k, Arc::clone(&p)));
    Some(p)
}

/// The failures of a batch, shared by the workers: the first in C order, and in
/// report mode all of them.
///
/// When stopping at the first failure, workers skip matrices after the earliest
/// failure found so far (they cannot change the answer) and keep going on earlier
/// ones (they might).
pub(crate) struct FirstFailure {
    stop_at_first: bool,
    index: AtomicUsize,
    errors: Mutex<Vec<(usize, LinAlgError)>>,
}

impl FirstFailure {
    /// Stop at the first failure (what `inv` and `solve` report).
    pub fn new() -> Self {
        Self::with_mode(true)
    }

    /// Keep going and keep every failure (per-matrix reports).
    pub fn keep_all() -> Self {
        Self::with_mode(false)
    }

    fn with_mode(stop_at_first: bool) -> Self {
        FirstFailure {
            stop_at_first,
            index: AtomicUsize::new(usize::MAX),
            errors: Mutex::new(Vec::new()),
        }
    }

    /// Whether matrix `i` can be skipped: an earlier one has failed and only the
    /// first failure matters.
    #[inline]
    pub fn is_past(&self, i: usize) -> bool {
        self.stop_at_first && i > self.index.load(Ordering::Relaxed)
    }

    /// Whether the batch stops at its first failure.
    pub fn stops(&self) -> bool {
        self.stop_at_first
    }

    /// Whether the batch stops at its first failure and one has been recorded:
    /// the results will be discarded, however far the workers got.
    pub fn stopped(&self) -> bool {
        self.stop_at_first && self.index.load(Ordering::Relaxed) != usize::MAX
    }

    /// Records that matrix `i` failed with `error`.
    pub fn record(&self, i: usize, error: LinAlgError) {
        self.index.fetch_min(i, Ordering::Relaxed);
        let mut errors = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        if !self.stop_at_first {
            errors.push((i, error));
        } else if errors.first().is_none_or(|(j, _)| i < *j) {
            *errors = vec![(i, error)];
        }
    }

    /// The earliest failure: its flat index and error.
    pub fn into_first(self) -> Option<(usize, LinAlgError)> {
        self.into_all().into_iter().next()
    }

    /// Every failure recorded, in C order.
    pub fn into_all(self) -> Vec<(usize, LinAlgError)> {
        let mut all = self.errors.into_inner().unwrap_or_else(|p| p.into_inner());
        all.sort_by_key(|(i, _)| *i);
        all
    }
}

/// Runs `work` on every group, on rayon's workers when `parallel` (vendor pinned
/// to one thread meanwhile when `pin_vendor`), else on the calling thread in order.
fn run_groups<P, F>(groups: Vec<P>, parallel: bool, pin_vendor: bool, work: F)
where
    P: Send,
    F: Fn(P) + Sync + Send,
{
    if parallel && groups.len() > 1 {
        if pin_vendor {
            let pinned = PinnedVendor::enter();
            groups
                .into_par_iter()
                .for_each(|g| pinned.as_worker(|| work(g)));
        } else {
            groups.into_par_iter().for_each(work);
        }
    } else {
        groups.into_iter().for_each(work);
    }
}

/// [`split_groups`] for a buffer nothing has written yet: its parts, each
/// tagged with the flat index of its first chunk.
pub(crate) fn split_fresh<T: Copy + Send>(
    buf: &mut Fresh<T>,
    chunk: usize,
    group_len: usize,
) -> Vec<(usize, FreshPart<'_, T>)> {
    buf.parts(chunk * group_len)
        .into_iter()
        .enumerate()
        .map(|(g, part)| (g * group_len, part))
        .collect()
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
    fn keep_all_keeps_every_failure_in_order() {
        let ff = FirstFailure::keep_all();
        ff.record(7, LinAlgError::NonFinite { batch: vec![] });
        ff.record(
            3,
            LinAlgError::Singular {
                batch: vec![],
                pivot: 0,
            },
        );
        assert!(!ff.is_past(100));
        let all: Vec<usize> = ff.into_all().into_iter().map(|(i, _)| i).collect();
        assert_eq!(all, vec![3, 7]);
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

    #[test]
    fn thread_policies() {
        assert!(!Plan::with_threads(100_000, 4, Threads::Sequential).parallel);
        assert!(!Plan::with_threads(100_000, 4, Threads::Count(1)).parallel);
        let p = Plan::with_threads(100_000, 4, Threads::Count(3));
        assert!(p.parallel);
        assert_eq!(p.pool, Some(3));
        let seen = std::sync::atomic::AtomicUsize::new(0);
        p.run((0..12).collect(), |_: i32| {
            assert_eq!(rayon::current_num_threads(), 3);
            seen.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(seen.into_inner(), 12);
        // An absurd count is capped, never a panic.
        let huge = Plan::with_threads(100_000, 4, Threads::Count(usize::MAX));
        let seen = std::sync::atomic::AtomicUsize::new(0);
        huge.run((0..3).collect(), |_: i32| {
            assert!(rayon::current_num_threads() <= MAX_POOL_THREADS);
            seen.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(seen.into_inner(), 3);
    }
}
