//! The vendor library itself (not its LAPACK routines): its thread count, so that
//! batch workers never oversubscribe the cores. FFI, so it lives in the LAPACK module.

#[cfg(feature = "openblas-system")]
mod ffi {
    use std::os::raw::c_int;
    extern "C" {
        pub fn openblas_set_num_threads(n: c_int);
        pub fn openblas_get_num_threads() -> c_int;
    }
}

/// The vendor's current thread count, where the vendor can say.
pub(crate) fn get() -> Option<usize> {
    #[cfg(feature = "openblas-system")]
    {
        // SAFETY: a plain getter of OpenBLAS's global thread count; no arguments.
        let n = unsafe { ffi::openblas_get_num_threads() };
        usize::try_from(n).ok()
    }
    #[cfg(not(feature = "openblas-system"))]
    {
        None
    }
}

/// Sets the vendor's thread count, where the vendor allows it; returns whether
/// it did.
pub(crate) fn set(n: usize) -> bool {
    #[cfg(feature = "openblas-system")]
    {
        let n = std::os::raw::c_int::try_from(n.max(1)).unwrap_or(std::os::raw::c_int::MAX);
        // SAFETY: sets OpenBLAS's global thread count; any positive value is valid.
        unsafe { ffi::openblas_set_num_threads(n) };
        true
    }
    #[cfg(not(feature = "openblas-system"))]
    {
        let _ = n;
        false
    }
}
