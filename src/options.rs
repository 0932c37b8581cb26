//! [`InvOptions`]: how [`inv_with`](crate::InvExt::inv_with) and
//! [`inv_ex`](crate::InvExt::inv_ex) run (checks, conditioning, threads, method).

/// Options for [`inv_with`](crate::InvExt::inv_with) and
/// [`inv_ex`](crate::InvExt::inv_ex). `Default` gives exactly what
/// [`inv`](crate::InvExt::inv) does.
///
/// # Examples
///
/// ```
/// use inv_ext::{InvExt, InvOptions, LinAlgError, Threads};
/// use ndarray::array;
///
/// // Reject matrices that are singular to working precision, as SciPy warns.
/// let opts = InvOptions { rcond_threshold: Some(f64::EPSILON), ..InvOptions::default() };
/// let exactly_singular = array![[1.0, 1.0], [1.0, 1.0]];
/// assert!(matches!(exactly_singular.inv_with(&opts), Err(LinAlgError::Singular { .. })));
/// // Not exactly singular, so `inv` inverts it; its rcond is about 1.1e-16.
/// let nearly_singular = array![[1.0, 1.0], [1.0, 1.0 + 2.0 * f64::EPSILON]];
/// assert!(nearly_singular.inv().is_ok());
/// assert!(matches!(nearly_singular.inv_with(&opts), Err(LinAlgError::IllConditioned { .. })));
///
/// // Trusted input: skip the NaN/inf scan and stay on the calling thread.
/// let fast = InvOptions { check_finite: false, threads: Threads::Sequential, ..InvOptions::default() };
/// assert_eq!(array![[2.0, 0.0], [0.0, 4.0]].inv_with(&fast)?, array![[0.5, 0.0], [0.0, 0.25]]);
/// # Ok::<(), LinAlgError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InvOptions {
    /// Scan the input for NaN and ±inf (fused into the copy) and report
    /// [`LinAlgError::NonFinite`](crate::LinAlgError::NonFinite). Default `true`.
    /// With `false`, non-finite input gives unspecified (but memory-safe) output.
    pub check_finite: bool,
    /// When set, a matrix whose estimated reciprocal condition number (LAPACK
    /// `gecon`, 1-norm) is below this value is
    /// [`LinAlgError::IllConditioned`](crate::LinAlgError::IllConditioned).
    /// SciPy's rule is `rcond < eps` (`Some(f64::EPSILON)` for `f64`). Default `None`.
    pub rcond_threshold: Option<f64>,
    /// Also estimate every matrix's `rcond` (reported by
    /// [`inv_ex`](crate::InvExt::inv_ex)). Implied by `rcond_threshold`. Default `false`.
    pub compute_rcond: bool,
    /// How a batch is spread over threads. Default [`Threads::Auto`].
    pub threads: Threads,
    /// Which algorithm inverts each matrix. Default [`Method::Auto`].
    pub method: Method,
}

impl Default for InvOptions {
    fn default() -> Self {
        InvOptions {
            check_finite: true,
            rcond_threshold: None,
            compute_rcond: false,
            threads: Threads::Auto,
            method: Method::Auto,
        }
    }
}

impl InvOptions {
    /// Whether each matrix's `rcond` must be estimated.
    pub(crate) fn needs_rcond(&self) -> bool {
        self.compute_rcond || self.rcond_threshold.is_some()
    }
}

/// How a batch of matrices is spread over threads.
///
/// Whatever the policy, batch workers and the vendor library's own threads are
/// never combined: while a batch runs on several workers, the vendor is held to
/// one thread; a single matrix (or a sequential batch) lets the vendor thread.
///
/// # Examples
///
/// ```
/// use inv_ext::{InvExt, InvOptions, Threads};
/// use ndarray::Array3;
///
/// let stack = Array3::from_shape_fn((1000, 3, 3), |(b, i, j)| if i == j { 2.0 + b as f64 } else { 0.5 });
/// let two = InvOptions { threads: Threads::Count(2), ..InvOptions::default() };
/// assert_eq!(stack.inv_with(&two)?, stack.inv()?);
/// # Ok::<(), inv_ext::LinAlgError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Threads {
    /// rayon's global pool (all cores unless `RAYON_NUM_THREADS` says otherwise),
    /// for batches large enough to pay for the hand-off, and for the copy of
    /// one matrix of 512×512 or more into its output (in bands of rows, while
    /// the vendor's own threads then invert it).
    #[default]
    Auto,
    /// A dedicated pool of this many threads (created once, then reused).
    Count(usize),
    /// The calling thread only.
    Sequential,
}

/// The algorithm that inverts each matrix.
///
/// # Examples
///
/// ```
/// use inv_ext::{InvExt, InvOptions, Method};
/// use ndarray::array;
///
/// let a = array![[4.0, 7.0], [2.0, 6.0]];
/// let lapack = InvOptions { method: Method::Getri, ..InvOptions::default() };
/// let via_getrs = InvOptions { method: Method::Getrs, ..InvOptions::default() };
/// assert!(a.inv_with(&lapack)?.allclose(&a.inv_with(&via_getrs)?));
/// # Ok::<(), inv_ext::LinAlgError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// The fastest measured route for this element type, size and backend: the
    /// own batched kernel ([`Method::Kernel`]) where one exists, else LAPACK
    /// `getrf` + `getri`.
    #[default]
    Auto,
    /// LAPACK `getrf` + `getri` (forces the LAPACK path).
    Getri,
    /// LAPACK `getrf`, then `getrs` on the identity, as NumPy does (forces the
    /// LAPACK path).
    Getrs,
    /// This crate's own kernel: Gauss–Jordan elimination with LAPACK's partial
    /// pivoting, vectorised across the batch (one matrix per SIMD lane). Same
    /// pivots, same `Singular` step and same acceptance-test accuracy as LAPACK.
    ///
    /// It exists for real matrices (`f32`, `f64` and integers) of order 1 to 64;
    /// complex matrices and larger orders fall back to [`Method::Getri`], as does
    /// any single matrix whose pivot is too small for the kernel's reciprocal
    /// (below the smallest normal number). When `rcond` is asked for, it is
    /// LAPACK's estimate (`getrf` + `gecon` on a copy), so the inverse is the same
    /// with or without it.
    Kernel,
}
