//! Transparent huge pages for large output buffers.
//!
//! A fresh multi-megabyte output is faulted in page by page as the kernels first
//! write it; with 4 KiB pages that is one fault per 4 KiB, which on virtual
//! machines can cost more than inverting the matrices in it. Asking the kernel
//! for huge pages (`madvise(MADV_HUGEPAGE)`, honoured when transparent huge pages
//! are in `madvise` or `always` mode) cuts the faults 512-fold.
//!
//! [`Fresh`]: an output buffer that is allocated but not written until the
//! workers that compute it get to each part. Every result buffer of `inv`,
//! `solve` and `lu` is one. `vec![0; len]` would write it once more, on the
//! calling thread, wherever the allocator recycles memory: glibc's `calloc`
//! zeroes with `memset` any chunk it recycles (outputs up to 32 MiB, after the
//! first such free), and that one pass was 14% of the CPU samples, about a
//! quarter of the wall time, of inverting 200 000 4×4 f64 matrices on two
//! cores (one thread, CPU time per matrix: 43–44 → 28–30 ns without it).
//! A part is zero-filled by its worker just before it is written, block by block,
//! or not at all where the worker copies the input into it first
//! ([`FreshPart::take_written`]: one write pass, not two).
//!
//! Outputs over 32 MiB, which glibc maps fresh at every call so that `calloc`
//! needs no `memset`, came from `calloc` until 2026-12-03. Under mimalloc
//! (`LD_PRELOAD` of Debian's `libmimalloc.so.2`, as a Rust program gets with
//! `#[global_allocator]`), that `calloc` touched all of a 41 MB output on the
//! calling thread in 4 KiB pages (10 256 faults, no huge page) before any
//! worker started. Wall time per matrix on two cores, a Zen 4, 18 calls each,
//! best / median, `calloc` → `Fresh`: 20 000 16×16 2214 / 2551 → 725 / 862
//! ns, 5 000 32×32 8.74 / 10.6 → 3.50 / 4.16 µs, 100 000 8×8 513 / 586 →
//! 159 / 169 ns, 1 000 000 4×4 114 / 133 → 27.3 / 37.5 ns. Under glibc
//! (the same faults either way: 23 huge-page faults per 8×8 call) the
//! difference was within the machine's swings: 40 calls, 1 000 000 4×4
//! 20.2 / 44.5 → 20.5 / 38.0 ns and 100 000 8×8 130 / 215 → 146 / 203 ns;
//! 40 more, 25.3 / 50.5 → 20.2 / 58.0 and 133 / 196 → 157 / 247; then six
//! of 8×8, 285–358 → 192–286 ns. Under jemalloc too (30 calls: 16×16 733 /
//! 917 → 727 / 876 ns, 32×32 3.51 / 4.78 → 3.80 / 5.21 µs). What the
//! zero-fill does cost shows in CPU time on one thread (8 interleaved rounds,
//! best / median, 1 000 000 4×4 under glibc): `f64` 49.3 / 57.8 → 53.4 /
//! 58.4 ns, `f32` 29.1 / 30.8 → 31.1 / 33.2 ns, a few percent, for the one
//! pass of stores over each block that `calloc`'s fresh pages did not need.
//!
//! The parts are written with ordinary stores. Non-temporal ones (each block
//! inverted into an L1 buffer, then streamed out with `_mm_stream_si128`,
//! which skips reading the output lines first) were tried on 200 000 4×4
//! matrices, CPU time on one thread, best / median of interleaved builds:
//! faster on an Intel Xeon (`f64` 46.1 / 52.6 → 37.0 / 41.3 ns, `f32` 28.7 /
//! 36.0 → 24.9 / 29.9), no faster on an AMD Zen 4 (`f64` 23.8 / 32.0 → 20.6 /
//! 31.1) and slower there for `f32` (15.9 / 19.6 → 19.1 / 26.6); and they
//! leave the result out of the cache that the caller reads next.
//!
//! The parts are faulted in by the workers that write them, not populated
//! beforehand. On a 2-core Zen 4 VM whose host takes back freed guest memory
//! (`page_reporting`), a huge-page fault costs about 0.04 ms per MiB where
//! the host still backs the page and 4–6 ms per MiB where it must back it
//! again, and which of the two a call meets changed from minute to minute
//! (`FAULTS=1 tiny_parts`, 100 000 8×8, wall time per matrix, 8 calls a
//! run): two workers took 250–590 ns in some runs, 71–78 ns in others and
//! 97–150 ns in others, with the system time per matrix at most a few tens
//! of ns in the fast runs and up to 650 ns in the slow ones, while one
//! worker (`RAYON_NUM_THREADS=1`) took 122–203 ns throughout. Populating the
//! whole output from the calling thread first (`madvise(MADV_POPULATE_WRITE)`
//! after the huge-page advice, one pass of the kernel's zeroing before the
//! workers start) kept 8×8 at 90–145 ns in the runs where the workers'
//! faults took 250–590, but cost the fast runs their speed (90–145 against
//! 71–78) and made 20 000 16×16 slower (three interleaved rounds of 8
//! calls: median 423 against 396 ns, above 480 ns in 8 of 24 calls against
//! 1 of 24); 1 000 000 4×4 (15–23 ns either way) and 5 000 32×32 were
//! level. So it was not kept.

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Below this many bytes the advice is not worth a system call.
const MIN_BYTES: usize = 4 << 20;

/// Advises the kernel to back `buf` with huge pages. Changes no value of `buf`
/// and never fails (the advice is dropped where it does not apply).
pub(crate) fn advise_huge_pages<T>(buf: &mut [T]) {
    let bytes = std::mem::size_of_val(buf);
    if bytes < MIN_BYTES {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let start = buf.as_mut_ptr() as usize;
        // Whole pages inside the buffer only.
        let first = start.div_ceil(PAGE) * PAGE;
        let end = (start + bytes) / PAGE * PAGE;
        if end > first {
            // SAFETY: [first, end) is a page-aligned range inside `buf`, which this
            // function borrows mutably; MADV_HUGEPAGE only changes how the kernel
            // backs future faults of the range (contents and validity are
            // unchanged), and its result is deliberately ignored.
            unsafe {
                libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
            }
        }
    }
}

/// A buffer of `len` elements of which nothing is written yet: split it into
/// [`FreshPart`]s, let each part hand out its elements (zero-filled) as they are
/// computed, then [`finish`](Fresh::finish) it into a `Vec`.
pub(crate) struct Fresh<T> {
    /// Capacity `len`, length 0 until `finish`.
    buf: Vec<T>,
    len: usize,
    zero: T,
    /// Elements initialised so far, by every part (parts are disjoint).
    done: AtomicUsize,
    /// Set by [`FreshPart::abandon`]: the buffer will be dropped unread.
    abandoned: AtomicBool,
}

impl<T: Copy + Send> Fresh<T> {
    /// Room for `len` elements; `Err` when the allocation fails (nothing is
    /// written, so untouched pages cost nothing yet).
    pub(crate) fn new(len: usize, zero: T) -> Result<Self, std::collections::TryReserveError> {
        let mut buf = Vec::new();
        buf.try_reserve_exact(len)?;
        Ok(Fresh {
            buf,
            len,
            zero,
            done: AtomicUsize::new(0),
            abandoned: AtomicBool::new(false),
        })
    }

    /// The buffer as consecutive parts of `chunk` elements (the last may be
    /// shorter), after advising huge pages for it (see [`advise_huge_pages`]).
    pub(crate) fn parts(&mut self, chunk: usize) -> Vec<FreshPart<'_, T>> {
        let Fresh {
            buf,
            len,
            zero,
            done,
            abandoned,
        } = self;
        let spare = &mut buf.spare_capacity_mut()[..*len];
        advise_huge_pages(spare);
        spare
            .chunks_mut(chunk.max(1))
            .map(|rest| FreshPart {
                rest,
                zero: *zero,
                written: 0,
                done,
                abandoned,
            })
            .collect()
    }

    /// The whole buffer, once every part has been handed out or dropped; `None`
    /// when a part [abandoned](FreshPart::abandon) it.
    ///
    /// # Panics
    /// If an element was never initialised (a part was leaked): the buffer is
    /// then dropped unread.
    pub(crate) fn finish(mut self) -> Option<Vec<T>> {
        if self.abandoned.load(Ordering::Acquire) {
            return None;
        }
        assert_eq!(
            self.done.load(Ordering::Acquire),
            self.len,
            "every part of a fresh buffer is initialised"
        );
        // SAFETY: the parts are disjoint subslices of the first `len` elements of
        // the spare capacity (`parts`); each adds to `done`, when dropped, exactly
        // the elements it has written (`take`, and its `Drop` for the rest), so
        // `done == len` means all `len` elements are initialised. `len` is within
        // the capacity reserved in `new`.
        unsafe { self.buf.set_len(self.len) };
        Some(std::mem::take(&mut self.buf))
    }
}

/// A part of a [`Fresh`] buffer: hands out its elements in order, zero-filled;
/// whatever it has not handed out is zero-filled when it is dropped.
pub(crate) struct FreshPart<'a, T: Copy> {
    rest: &'a mut [MaybeUninit<T>],
    zero: T,
    /// Elements written so far, added to `done` when the part is dropped (one
    /// atomic operation per part, not per block).
    written: usize,
    done: &'a AtomicUsize,
    abandoned: &'a AtomicBool,
}

impl<'a, T: Copy> FreshPart<'a, T> {
    /// Elements not handed out yet.
    pub(crate) fn len(&self) -> usize {
        self.rest.len()
    }

    /// Gives up the whole buffer (its owner will drop it unread): from now on
    /// no part zero-fills what it has not handed out, and [`Fresh::finish`]
    /// returns `None`. A batch that stops at a failure in its first matrix
    /// then returns at once instead of first writing its whole output.
    pub(crate) fn abandon(&self) {
        self.abandoned.store(true, Ordering::Release);
    }

    /// The next `k` elements (fewer when fewer are left), zero-filled.
    pub(crate) fn take(&mut self, k: usize) -> &'a mut [T] {
        let zero = self.zero;
        let fill = |head: &mut [MaybeUninit<T>]| {
            for x in head {
                x.write(zero);
            }
        };
        // SAFETY: `fill` writes every element it is given.
        unsafe { self.take_written(k, fill) }
    }

    /// The next `k` elements (fewer when fewer are left), written by `write`
    /// instead of zero-filled first.
    ///
    /// # Safety
    /// `write` must initialise every element of the slice it is given before it
    /// returns. (If it panics instead, nothing is counted as written and
    /// [`Fresh::finish`] panics rather than read an unwritten element.)
    pub(crate) unsafe fn take_written(
        &mut self,
        k: usize,
        write: impl FnOnce(&mut [MaybeUninit<T>]),
    ) -> &'a mut [T] {
        let rest = std::mem::take(&mut self.rest);
        let (head, tail) = rest.split_at_mut(k.min(rest.len()));
        self.rest = tail;
        write(head);
        self.written += head.len();
        // SAFETY: `write` initialised every element of `head` (this function's
        // contract), and `MaybeUninit<T>` has the layout of `T`; `head` is
        // borrowed for `'a` and no longer part of `self.rest`, so the returned
        // slice is its only access.
        unsafe { &mut *(head as *mut [MaybeUninit<T>] as *mut [T]) }
    }
}

impl<T: Copy> Drop for FreshPart<'_, T> {
    fn drop(&mut self) {
        if !self.abandoned.load(Ordering::Acquire) {
            let len = self.len();
            self.take(len);
        }
        self.done.fetch_add(self.written, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_buffers_are_zero_where_not_written() {
        let mut f = Fresh::new(10, 0.0f64).unwrap();
        let mut parts = f.parts(4);
        assert_eq!(
            parts.iter().map(FreshPart::len).collect::<Vec<_>>(),
            [4, 4, 2]
        );
        parts[0].take(3).fill(1.0);
        parts[1].take(10).fill(2.0);
        assert_eq!(parts[1].len(), 0);
        assert!(parts[1].take(1).is_empty());
        drop(parts);
        assert_eq!(
            f.finish().unwrap(),
            [1.0, 1.0, 1.0, 0.0, 2.0, 2.0, 2.0, 2.0, 0.0, 0.0]
        );
        let empty = Fresh::new(0, 0u8).unwrap();
        assert!(empty.finish().unwrap().is_empty());
        assert!(Fresh::<f64>::new(usize::MAX / 4, 0.0).is_err());
    }

    #[test]
    fn written_parts_skip_the_zero_fill() {
        let mut f = Fresh::new(7, -1.0f64).unwrap();
        let mut parts = f.parts(4);
        // SAFETY: each closure writes every element it is given.
        let a = unsafe {
            parts[0].take_written(3, |s| {
                for (k, x) in s.iter_mut().enumerate() {
                    x.write(k as f64);
                }
            })
        };
        assert_eq!(a, [0.0, 1.0, 2.0]);
        // More than is left: the rest of the part.
        let b =
            unsafe { parts[1].take_written(9, |s| s.iter_mut().for_each(|x| _ = x.write(5.0))) };
        assert_eq!(b, [5.0; 3]);
        drop(parts);
        assert_eq!(f.finish().unwrap(), [0.0, 1.0, 2.0, -1.0, 5.0, 5.0, 5.0]);
    }

    #[test]
    fn an_abandoned_buffer_is_never_finished() {
        let mut f = Fresh::new(12, 0.0f64).unwrap();
        let mut parts = f.parts(4);
        parts[0].take(4).fill(1.0);
        // The first part was written whole; the second gives up after one
        // element, and the third (and the rest of the second) are not filled.
        drop(parts.remove(0));
        parts[0].take(1).fill(2.0);
        parts[0].abandon();
        drop(parts);
        assert_eq!(f.finish(), None);
    }

    #[test]
    #[should_panic(expected = "initialised")]
    fn a_panicking_writer_leaves_nothing_readable() {
        let mut f = Fresh::new(4, 0u32).unwrap();
        {
            let mut parts = f.parts(4);
            let part = &mut parts[0];
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                // SAFETY: the closure panics before returning, which the contract
                // allows: the elements are then never counted as written.
                unsafe { part.take_written(2, |_| panic!("a loader bug")) }
            }));
            assert!(caught.is_err());
        }
        f.finish();
    }

    #[test]
    #[should_panic(expected = "initialised")]
    fn a_leaked_part_is_caught() {
        let mut f = Fresh::new(8, 0u32).unwrap();
        let mut parts = f.parts(4);
        parts.truncate(1);
        std::mem::forget(parts);
        f.finish();
    }

    #[test]
    fn advice_keeps_the_values() {
        let mut v: Vec<f64> = (0..(1 << 20)).map(|i| i as f64).collect();
        advise_huge_pages(&mut v);
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as f64));
        let mut small = [1u8; 3];
        advise_huge_pages(&mut small);
        assert_eq!(small, [1; 3]);
    }
}
