//! Who may let the vendor library use its own threads, and when.
//!
//! Two rules keep every vendor safe and the cores not oversubscribed:
//!
//! 1. While a batch runs on several workers, the vendor is pinned to one thread
//!    ([`PinnedVendor`]); the workers' calls then run single-threaded inside the
//!    vendor and may overlap freely.
//! 2. Any other call big enough for the vendor to start its own threads runs one
//!    at a time ([`vendor_call`]), and on a dedicated thread with a large stack
//!    when the caller's stack is too small for it. Concurrent threaded calls gain nothing on shared cores,
//!    and the stack matters: OpenBLAS's threaded `getrf` (`dgetrf_parallel`)
//!    keeps `MAX_CPU_NUMBER²`-sized job tables on the stack and recurses, so
//!    Debian's 0.3.21 (`MAX_THREADS=64`) needs about 4 MiB at n = 160 and 6 MiB at
//!    n = 4096, and segfaults on the 2 MiB stacks Rust and rayon give their
//!    threads (pinned by `tests/vendor_stack.rs`). The need is predictable (about
//!    `MAX_THREADS² · 128` bytes per recursion level, `log₂ n` levels), so a call
//!    is handed to the large-stack thread only when the caller's remaining stack
//!    is short of it: the hand-off costs 10 to 90 µs on a VM, which a 256×256
//!    inverse (about 1 ms) should not pay on the main thread's 8 MiB stack.
//!    Changing the vendor's thread count happens under the same lock, so it never
//!    changes under a running call.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use rayon::{ThreadPool, ThreadPoolBuilder};

use super::vendor;

/// Work (≈ `n · max(n, nrhs)`) from which a vendor may split a call over threads.
/// OpenBLAS 0.3.21 threads `getrf` from `n·n ≥ 10000`, GEMM from `n³ ≥ 64³`; this
/// is below both.
const THREADED_WORK: usize = 64 * 64;

/// Held during every vendor call that may use the vendor's own threads, and while
/// the vendor's thread count changes.
static VENDOR_LOCK: Mutex<()> = Mutex::new(());

/// Whether the running parallel batches could pin the vendor to one thread.
static PINNED: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// Whether this thread is a batch worker (inside a [`PinnedVendor`] section).
    static IN_BATCH_WORKER: Cell<bool> = const { Cell::new(false) };
}

/// Stack of the thread that makes the vendor's threaded calls. Only the pages
/// touched are ever committed; this is address space, not memory.
const VENDOR_THREAD_STACK: usize = 256 << 20;

/// The one thread that makes calls the vendor may thread, or `None` when the
/// system cannot start it (then such calls run on the caller's thread).
fn vendor_thread() -> Option<&'static ThreadPool> {
    static POOL: OnceLock<Option<ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        ThreadPoolBuilder::new()
            .num_threads(1)
            .stack_size(VENDOR_THREAD_STACK)
            .thread_name(|_| "inv_ext-vendor".to_string())
            .build()
            .ok()
    })
    .as_ref()
}

/// Whether a call of order `n` with `nrhs` right-hand sides is big enough for the
/// vendor to use its own threads (then it is serialized, unless the vendor is
/// pinned to one thread for a batch).
pub(crate) fn vendor_may_thread(n: usize, nrhs: usize) -> bool {
    n.saturating_mul(n.max(nrhs)) >= THREADED_WORK
}

/// Runs one LAPACK call of the given size under the rules above.
pub(crate) fn vendor_call<R: Send>(n: usize, nrhs: usize, call: impl FnOnce() -> R + Send) -> R {
    let pinned_worker = IN_BATCH_WORKER.with(Cell::get) && PINNED.load(Ordering::Acquire);
    if !vendor_may_thread(n, nrhs) || pinned_worker {
        call()
    } else {
        let _lock = VENDOR_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let enough = match (stack_needed(n), stack_remaining()) {
            (None, _) => true,
            (Some(need), Some(left)) => left >= need,
            (Some(_), None) => false,
        };
        match vendor_thread() {
            Some(pool) if !enough => pool.install(call),
            _ => call(),
        }
    }
}

/// Stack a threaded vendor call of order `n` may use, when the vendor is known to
/// need more than a few KiB: OpenBLAS's `getrf_parallel` recurses about
/// `6 + log₂(n / 160)` times with `MAX_THREADS² · 128` bytes of job tables per
/// level (measured on Debian's 0.3.21: 3–4 MiB at n = 160, 4–6 MiB at n = 4096).
/// Counted with 50% to spare plus 1 MiB for everything else on the stack.
fn stack_needed(n: usize) -> Option<usize> {
    let max_threads = vendor::openblas_max_threads()?;
    let frame = max_threads.saturating_mul(max_threads).saturating_mul(128) + (16 << 10);
    let levels = 6 + (n / 160).max(1).ilog2() as usize + 1;
    Some(frame.saturating_mul(levels).saturating_mul(3) / 2 + (1 << 20))
}

/// The stack left below this point on the current thread, if the platform says.
fn stack_remaining() -> Option<usize> {
    thread_local! {
        /// The lowest address of this thread's stack, looked up once.
        static STACK_LOW: Cell<Option<usize>> = const { Cell::new(None) };
    }
    let low = match STACK_LOW.with(Cell::get) {
        Some(low) => low,
        None => {
            let low = vendor::current_stack_low()?;
            STACK_LOW.with(|s| s.set(Some(low)));
            low
        }
    };
    let here = 0u8;
    (std::ptr::addr_of!(here) as usize).checked_sub(low)
}

/// Pins the vendor to one thread while any parallel batch runs, and gives it
/// back its previous count when the last one ends.
pub(crate) struct PinnedVendor(());

/// (parallel batches running, vendor thread count before the first of them).
static ACTIVE: Mutex<(usize, Option<usize>)> = Mutex::new((0, None));

impl PinnedVendor {
    pub(crate) fn enter() -> Self {
        let mut active = ACTIVE.lock().unwrap_or_else(|p| p.into_inner());
        if active.0 == 0 {
            let _lock = VENDOR_LOCK.lock().unwrap_or_else(|p| p.into_inner());
            active.1 = vendor::get();
            let pinned = match active.1 {
                Some(1) => true,
                Some(_) => vendor::set(1),
                None => false,
            };
            PINNED.store(pinned, Ordering::Release);
        }
        active.0 += 1;
        PinnedVendor(())
    }

    /// Runs `work` marked as a batch worker on this thread.
    pub(crate) fn as_worker<R>(&self, work: impl FnOnce() -> R) -> R {
        let was = IN_BATCH_WORKER.with(|w| w.replace(true));
        let result = work();
        IN_BATCH_WORKER.with(|w| w.set(was));
        result
    }
}

impl Drop for PinnedVendor {
    fn drop(&mut self) {
        let mut active = ACTIVE.lock().unwrap_or_else(|p| p.into_inner());
        active.0 -= 1;
        if active.0 == 0 {
            let _lock = VENDOR_LOCK.lock().unwrap_or_else(|p| p.into_inner());
            PINNED.store(false, Ordering::Release);
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
    fn workers_are_marked_only_inside_the_section() {
        let pin = PinnedVendor::enter();
        assert!(!IN_BATCH_WORKER.with(Cell::get));
        pin.as_worker(|| assert!(IN_BATCH_WORKER.with(Cell::get)));
        assert!(!IN_BATCH_WORKER.with(Cell::get));
        drop(pin);
        assert_eq!(ACTIVE.lock().unwrap().0, 0);
    }

    #[test]
    fn stack_figures_are_sane() {
        // This test thread has Rust's default 2 MiB stack (or RUST_MIN_STACK).
        let left = stack_remaining().expect("Linux reports thread stacks");
        assert!(left > 64 << 10 && left < 1 << 30, "{left}");
        if let Some(need) = stack_needed(4096) {
            assert!(
                need > 6 << 20,
                "OpenBLAS at n = 4096 needs more than 6 MiB: {need}"
            );
            assert!(stack_needed(160).unwrap() < need);
        }
    }

    #[test]
    fn small_calls_take_no_lock() {
        let _held = VENDOR_LOCK.lock().unwrap();
        // Would deadlock if a small call took the lock.
        assert_eq!(vendor_call(8, 8, || 42), 42);
    }
}
