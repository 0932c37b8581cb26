//! [`backend_info`]: which BLAS/LAPACK library this process really uses, its version
//! and thread count; and the route (getri or getrs on the identity) measured to be
//! faster on it.

use std::fmt;
use std::path::PathBuf;

use crate::lapack::vendor;
use crate::options::Method;

/// A BLAS/LAPACK vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Vendor {
    /// OpenBLAS.
    OpenBlas,
    /// Intel oneAPI Math Kernel Library.
    Mkl,
    /// BLIS, under reference LAPACK.
    Blis,
    /// ATLAS.
    Atlas,
    /// Reference (Netlib) LAPACK and BLAS.
    Reference,
    /// A library this crate does not recognise.
    Unknown,
}

impl Vendor {
    /// The vendor's usual name, e.g. `"OpenBLAS"`.
    pub fn name(self) -> &'static str {
        match self {
            Vendor::OpenBlas => "OpenBLAS",
            Vendor::Mkl => "Intel MKL",
            Vendor::Blis => "BLIS",
            Vendor::Atlas => "ATLAS",
            Vendor::Reference => "reference",
            Vendor::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What [`backend_info`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackendInfo {
    /// The backend Cargo feature this crate was built with, e.g. `"openblas-system"`.
    pub feature: &'static str,
    /// The vendor whose BLAS the process actually loaded. With `system-lapack` this
    /// depends on the library path at run time; with the other features it should
    /// match the feature, and a mismatch means the loader found another vendor's
    /// `libblas.so.3` first (see the feature's documentation).
    pub vendor: Vendor,
    /// The vendor's own version string where it has one (OpenBLAS's configuration
    /// string, MKL's version string, BLIS's version), else the version in the
    /// library's file name.
    pub version: Option<String>,
    /// LAPACK's version `(major, minor, patch)` from its `ilaver` routine.
    pub lapack_version: Option<(u32, u32, u32)>,
    /// The vendor's current thread count, where it can say.
    pub threads: Option<usize>,
    /// Whether this crate can hold the vendor to one thread inside parallel batches.
    pub thread_control: bool,
    /// The shared library that provides the BLAS (`dgemm_`).
    pub blas_library: Option<PathBuf>,
    /// The shared library that provides LAPACK (`dgetrf_`).
    pub lapack_library: Option<PathBuf>,
}

impl fmt::Display for BackendInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            // OpenBLAS's configuration string starts with its name.
            Some(v) if v.starts_with(self.vendor.name()) => write!(f, "{v}")?,
            Some(v) => write!(f, "{} {v}", self.vendor)?,
            None => write!(f, "{}", self.vendor)?,
        }
        if let Some((a, b, c)) = self.lapack_version {
            write!(f, ", LAPACK {a}.{b}.{c}")?;
        }
        match self.threads {
            Some(n) => write!(f, ", {n} thread{}", if n == 1 { "" } else { "s" })?,
            None => write!(f, ", threads unknown")?,
        }
        write!(f, " (feature {})", self.feature)
    }
}

/// The backend feature this crate was compiled with.
const FEATURE: &str = if cfg!(feature = "openblas-system") {
    "openblas-system"
} else if cfg!(feature = "intel-mkl") {
    "intel-mkl"
} else if cfg!(feature = "netlib") {
    "netlib"
} else if cfg!(feature = "blis") {
    "blis"
} else if cfg!(feature = "atlas") {
    "atlas"
} else {
    "system-lapack"
};

/// Which BLAS/LAPACK vendor and version this process uses, and its thread count.
///
/// The libraries are identified at run time from the symbols they export (so
/// under the `system-lapack` feature this tells which vendor the library path
/// picked); only the thread count is read anew on each call. Nothing is
/// modified.
///
/// # Threads and oversubscription
///
/// A single matrix uses the vendor's own threads. A batch large enough to split
/// runs on rayon's workers, and while it runs the vendor is held to one thread
/// and then given back its previous count, so the two are never combined:
///
/// | vendor | how the vendor is held to one thread in batches |
/// |---|---|
/// | OpenBLAS | `openblas_set_num_threads(1)`, restored after |
/// | Intel MKL | `MKL_Set_Num_Threads(1)`, restored after |
/// | BLIS (`blis` feature, libblis) | `bli_thread_set_num_threads(1)`, restored after |
/// | BLIS (Debian `libblas.so.3` under `system-lapack`) | no thread API is exported: BLIS is single-threaded unless `BLIS_NUM_THREADS` / `OMP_NUM_THREADS` say otherwise; if you set them, use [`Threads::Sequential`](crate::Threads::Sequential) for batches |
/// | ATLAS | nothing to do: Debian's ATLAS is serial (thread count fixed at build) |
/// | reference | nothing to do: single-threaded |
///
/// [`BackendInfo::thread_control`] says whether the first three rows apply.
///
/// # Errors
///
/// None: fields the libraries cannot tell are `None`.
///
/// # Examples
///
/// ```
/// let info = inv_ext::backend_info();
/// println!("{info}"); // e.g. "OpenBLAS OpenBLAS 0.3.21 ..., LAPACK 3.9.0, 2 threads (feature openblas-system)"
/// assert_ne!(info.vendor, inv_ext::Vendor::Unknown);
/// ```
pub fn backend_info() -> BackendInfo {
    let probe = vendor::probe();
    BackendInfo {
        feature: FEATURE,
        vendor: probe.vendor,
        version: probe.version,
        lapack_version: probe.lapack_version,
        // Reference BLAS has no threads of its own.
        threads: vendor::get().or((probe.vendor == Vendor::Reference).then_some(1)),
        thread_control: vendor::has_thread_control(),
        blas_library: probe.blas_library,
        lapack_library: probe.lapack_library,
    }
}

/// The route measured to be faster for one matrix of order `n` on `vendor`:
/// [`Method::Getri`] (getrf + getri in place) or [`Method::Getrs`] (getrf, then
/// getrs on the identity).
///
/// From `scripts/bench-vendors` (bench/results/vendors.md, 2026-11-24, 2-core
/// AMD EPYC, shared and noisy) and a second interleaved run of the raw routes
/// at n = 64..1024, f32 and f64. Only where both runs agree that the other route
/// is more than 5% slower does the choice leave getri:
///
/// | vendor | getrs / getri time | choice |
/// |---|---|---|
/// | OpenBLAS 0.3.21 | 1.0–2.9 (one f32 n=256 outlier at 0.54, not repeated) | getri |
/// | Intel MKL 2026.2 | 1.1–3.1; n = 256 f64 0.77 in one run, 1.34 in the other | getri |
/// | BLIS 0.9 (reference LAPACK) | n ≥ 1024: 0.72–0.91 in 5 of 6 measurements; below, 0.96–1.24 | getrs from n = 1024 |
/// | ATLAS 3.10 | 1.05–1.5 from n = 256 | getri |
/// | reference 3.11 | 1.1–1.9 | getri |
///
/// Batches of n ≤ 64 go to the crate's own kernel, so only single matrices and
/// larger batches reach this choice.
pub(crate) fn preferred_route(vendor: Vendor, n: usize) -> Method {
    match vendor {
        Vendor::Blis if n >= 1024 => Method::Getrs,
        _ => Method::Getri,
    }
}

/// The vendor loaded in this process (resolved once, cached).
pub(crate) fn loaded_vendor() -> Vendor {
    vendor::probe().vendor
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_names_the_feature_and_a_vendor() {
        let info = backend_info();
        assert_eq!(info.feature, FEATURE);
        assert_ne!(info.vendor, Vendor::Unknown, "{info:?}");
        let text = info.to_string();
        assert!(text.contains(info.vendor.name()), "{text}");
        assert!(text.contains(FEATURE), "{text}");
        #[cfg(feature = "openblas-system")]
        assert_eq!(info.vendor, Vendor::OpenBlas);
    }

    #[test]
    fn routes_follow_the_measurements() {
        assert_eq!(preferred_route(Vendor::OpenBlas, 2048), Method::Getri);
        assert_eq!(preferred_route(Vendor::Mkl, 256), Method::Getri);
        assert_eq!(preferred_route(Vendor::Blis, 512), Method::Getri);
        assert_eq!(preferred_route(Vendor::Blis, 1024), Method::Getrs);
        assert_eq!(preferred_route(Vendor::Reference, 4096), Method::Getri);
        assert_eq!(loaded_vendor(), backend_info().vendor);
    }
}
