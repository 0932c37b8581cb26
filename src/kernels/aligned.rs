//! Kernel scratch aligned to a cache line.
//!
//! The kernels load and store whole 256-bit vectors: a lane vector `[f64; 4]`
//! or `[f32; 8]`, or `W` consecutive elements of a column whose start is a
//! multiple of `W`. In a `Vec` those are only as aligned as one element (8 or 4
//! bytes), so where the allocator places the buffer decides whether every other
//! vector straddles two cache lines. Measured with the allocator's placement
//! shifted by pads allocated first (one thread, the 16×16 lane kernel): `f64`
//! 507 ns per matrix with the workspace on a 64-byte boundary against 847–876
//! ns with it 16 bytes past one; `f32` 345 ns on a boundary against 502–534 ns
//! 48 bytes past one. [`Aligned`] starts on a 64-byte boundary wherever the
//! allocator puts it.

use std::alloc::{self, Layout};
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

/// Alignment of every buffer: one cache line.
pub(crate) const ALIGN: usize = 64;

/// A fixed-length buffer of `E` that starts on an [`ALIGN`]-byte boundary
/// (made only of `Copy` elements, so dropping it frees the memory alone).
pub(crate) struct Aligned<E> {
    ptr: NonNull<E>,
    len: usize,
}

// SAFETY: `Aligned` owns its elements as a `Vec` does.
unsafe impl<E: Send> Send for Aligned<E> {}
// SAFETY: shared access only reads, as for `Vec`.
unsafe impl<E: Sync> Sync for Aligned<E> {}

impl<E: Copy> Aligned<E> {
    /// `len` copies of `value`. Aborts, as `Vec` does, when the allocation
    /// fails.
    pub(crate) fn new(len: usize, value: E) -> Self {
        let layout = Self::layout(len);
        if layout.size() == 0 {
            return Aligned {
                ptr: NonNull::dangling(),
                len,
            };
        }
        // SAFETY: the layout has a nonzero size.
        let raw = unsafe { alloc::alloc(layout) }.cast::<E>();
        let Some(ptr) = NonNull::new(raw) else {
            alloc::handle_alloc_error(layout)
        };
        for i in 0..len {
            // SAFETY: `i < len`, inside the allocation made for `len` elements.
            unsafe { ptr.as_ptr().add(i).write(value) };
        }
        Aligned { ptr, len }
    }
}

impl<E> Aligned<E> {
    fn layout(len: usize) -> Layout {
        Layout::array::<E>(len)
            .and_then(|l| l.align_to(ALIGN))
            .expect("kernel scratch is a few kilobytes")
    }
}

impl<E> Deref for Aligned<E> {
    type Target = [E];

    fn deref(&self) -> &[E] {
        // SAFETY: `ptr` holds `len` initialised elements owned by `self`, or
        // the layout is empty and `ptr` is dangling but aligned for `E`, which
        // a slice of zero-sized elements or of length 0 allows.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<E> DerefMut for Aligned<E> {
    fn deref_mut(&mut self) -> &mut [E] {
        // SAFETY: as in `deref`, and `&mut self` makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<E> Drop for Aligned<E> {
    fn drop(&mut self) {
        let layout = Self::layout(self.len);
        if layout.size() != 0 {
            // SAFETY: allocated in `new` with this same layout.
            unsafe { alloc::dealloc(self.ptr.as_ptr().cast(), layout) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_start_on_a_cache_line_and_hold_their_values() {
        // Allocations of odd sizes in between, so that the allocator's own
        // placement varies.
        let mut keep = Vec::new();
        for len in [0, 1, 3, 7, 64, 257, 1000] {
            keep.push(vec![0u8; len * 3 + 8]);
            let mut b = Aligned::new(len, [1.5f64; 4]);
            assert_eq!(b.len(), len);
            if len > 0 {
                assert_eq!(b.as_ptr() as usize % ALIGN, 0, "len {len}");
            }
            assert!(b.iter().all(|x| *x == [1.5; 4]));
            if let Some(last) = b.last_mut() {
                *last = [2.0; 4];
            }
            assert_eq!(b.iter().filter(|x| **x == [2.0; 4]).count(), len.min(1));
        }
        let f = Aligned::new(5, 0.25f32);
        assert_eq!(f.as_ptr() as usize % ALIGN, 0);
        assert_eq!(&*f, &[0.25; 5]);
    }
}
