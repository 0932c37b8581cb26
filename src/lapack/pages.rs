//! Transparent huge pages for large output buffers.
//!
//! A fresh multi-megabyte output is faulted in page by page as the kernels first
//! write it; with 4 KiB pages that is one fault per 4 KiB, which on virtual
//! machines can cost more than inverting the matrices in it. Asking the kernel
//! for huge pages (`madvise(MADV_HUGEPAGE)`, honoured when transparent huge pages
//! are in `madvise` or `always` mode) cuts the faults 512-fold.

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

#[cfg(test)]
mod tests {
    use super::*;

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
