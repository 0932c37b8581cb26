//! # inv_ext
//!
//! NumPy's `np.linalg.inv` for [ndarray](https://docs.rs/ndarray), on top of LAPACK:
//! `use inv_ext::InvExt;` and every array of square matrices, 2-D `(n, n)` or a
//! stack `(..., n, n)` of any rank, gets [`inv`](InvExt::inv),
//! [`inv_into`](InvExt::inv_into) and a NumPy-exact [`allclose`](InvExt::allclose).
//! Failures are a typed [`LinAlgError`] that names the first failing matrix of a
//! stack.
//!
//! ```
//! use inv_ext::{InvExt, LinAlgError};
//! use ndarray::{array, Array2};
//!
//! let a = array![[1.0, 2.0], [3.0, 4.0]];
//! let ai = a.inv()?;
//! assert!(a.dot(&ai).allclose(&Array2::eye(2)));
//!
//! let singular = array![[1.0, 2.0], [2.0, 4.0]];
//! assert!(matches!(singular.inv(), Err(LinAlgError::Singular { .. })));
//! # Ok::<(), LinAlgError>(())
//! ```
//!
//! ## Architecture
//!
//! | module | job |
//! |---|---|
//! | `ext` | the public [`InvExt`] trait; each method delegates to its verb |
//! | `inv`, `solve`, `det`, `allclose` | the verbs (`solve`: getrf + getrs, NumPy 2 broadcasting; `det`: `det` and `slogdet`; `allclose`: `allclose`, `isclose`, [`Closeness`], [`assert_allclose!`]) |
//! | `lu` | [`Lu`]: a stack's LU factors kept for `solve`, `inv`, `det`, `slogdet`, `rcond` |
//! | `options`, `report` | [`InvOptions`] for `inv_with`/`inv_ex`, and `inv_ex`'s per-matrix [`InvReport`] |
//! | `layout` | shape checks, batch multi-indices, the one copy into C order |
//! | `batch` | the loop over a stack: groups, threads, first failure |
//! | `kernels` | the own batched kernels for small real matrices (n ≤ 64): unrolled closed forms, the lane kernel (one matrix per SIMD lane), the blocked kernel; `kernels::simd` picks AVX2 / FMA / AVX-512 at run time and holds the explicit intrinsics |
//! | `lapack` | slice-checked LAPACK wrappers, `info` → error, the vendor's thread count, huge-page output buffers (`pages`) |
//! | `scalar` | the element types ([`Scalar`], [`Element`]) |
//! | `error` | [`LinAlgError`] |
//!
//! ## Backends
//!
//! Exactly one Cargo feature picks the BLAS/LAPACK vendor: `openblas-system`
//! (default; Debian `libopenblas-dev`), `intel-mkl` (PyPI `mkl mkl-devel`,
//! `MKLROOT`, pkg-config `mkl-sdl` or `INV_EXT_MKL_DIR`), `netlib` (reference
//! LAPACK + BLAS: `liblapack-dev libblas-dev`), `blis` (reference LAPACK on BLIS:
//! `libblis-dev`), `atlas` (`libatlas-base-dev`), or `system-lapack`
//! (`-llapack -lblas`, vendor chosen at run time by the library path).
//! [`backend_info`] tells which library is actually loaded, its version and
//! its thread count.

#![deny(missing_docs)]
#![forbid(unsafe_op_in_unsafe_fn)]

// Exactly one backend feature. `at_most_one_backend!` writes a `compile_error!`
// for every pair of backend features enabled together.
macro_rules! at_most_one_backend {
    ($first:literal $(, $rest:literal)*) => {
        $(
            #[cfg(all(feature = $first, feature = $rest))]
            compile_error!(concat!(
                "inv_ext: features `", $first, "` and `", $rest, "` are both enabled; choose \
                 exactly one BLAS/LAPACK backend (for any but the default: \
                 `default-features = false, features = [\"", $rest, "\"]`)"
            ));
        )*
        at_most_one_backend!($($rest),*);
    };
    () => {};
}
at_most_one_backend!(
    "openblas-system",
    "system-lapack",
    "intel-mkl",
    "netlib",
    "blis",
    "atlas"
);
#[cfg(not(any(
    feature = "openblas-system",
    feature = "system-lapack",
    feature = "intel-mkl",
    feature = "netlib",
    feature = "blis",
    feature = "atlas"
)))]
compile_error!(
    "inv_ext: no BLAS/LAPACK backend selected; enable exactly one feature: \
     `openblas-system` (the default), `system-lapack`, `intel-mkl`, `netlib`, `blis` or `atlas`"
);

#[cfg(feature = "openblas-system")]
extern crate openblas_src as _;

mod allclose;
mod backend;
mod batch;
mod det;
mod error;
mod ext;
mod inv;
mod kernels;
mod lapack;
mod layout;
mod lu;
mod options;
mod report;
mod scalar;
mod solve;

pub use allclose::{Closeness, Mismatch, Tolerance};
pub use backend::{backend_info, BackendInfo, Vendor};
pub use det::Slogdet;
pub use error::LinAlgError;
pub use ext::InvExt;
pub use lu::Lu;
pub use options::{InvOptions, Method, Threads};
pub use report::{BatchDim, InvReport, MatrixStatus};
pub use scalar::{Element, Scalar};
pub use solve::SolveDim;

/// The README's Rust examples, compiled and run as doctests by `cargo test`, so
/// that the usage shown there cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
