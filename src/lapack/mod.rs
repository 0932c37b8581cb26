//! The LAPACK layer: the crate's only `unsafe` and its only `lapack_sys` import.
//!
//! Everything here works on column-major slices plus sizes and never sees ndarray.
//! Each wrapper converts sizes with `i32::try_from` (overflow is
//! [`LinAlgError::TooLarge`]), checks every slice length before the call, and maps
//! `info` to an error in one place, [`check_info`].
//!
//! | wrapper | f32 | f64 | `Complex<f32>` | `Complex<f64>` |
//! |---|---|---|---|---|
//! | [`Lapack::getrf`] LU with partial pivoting | sgetrf | dgetrf | cgetrf | zgetrf |
//! | [`Lapack::getri`] inverse from LU | sgetri | dgetri | cgetri | zgetri |
//! | [`Lapack::getrs`] solve from LU | sgetrs | dgetrs | cgetrs | zgetrs |
//! | [`Lapack::gecon`] reciprocal condition number | sgecon | dgecon | cgecon | zgecon |
//! | [`Lapack::lange`] 1- or ∞-norm | slange | dlange | clange | zlange |

use std::mem::MaybeUninit;
use std::os::raw::{c_char, c_int};

use num_complex::Complex;

use crate::error::LinAlgError;

/// LAPACK's integer: 32-bit (LP64) on every backend this crate links.
pub(crate) type LapackInt = i32;

/// The largest dimension or workspace size LAPACK accepts.
pub(crate) const LAPACK_INT_MAX: usize = i32::MAX as usize;

/// `value` as LAPACK's integer, or [`LinAlgError::TooLarge`] naming `what`.
pub(crate) fn lapack_int(value: usize, what: &'static str) -> Result<LapackInt, LinAlgError> {
    LapackInt::try_from(value).map_err(|_| LinAlgError::TooLarge {
        what,
        value,
        limit: LAPACK_INT_MAX,
    })
}

/// The one place `info` becomes an error: `info < 0` is an illegal argument (a bug
/// here), `info > 0` is an exactly zero pivot `U[info-1, info-1]`.
pub(crate) fn check_info(routine: &'static str, info: LapackInt) -> Result<(), LinAlgError> {
    match info {
        0 => Ok(()),
        i if i < 0 => Err(LinAlgError::Lapack { routine, info }),
        // info > 0 fits usize on every platform Rust supports.
        i => Err(LinAlgError::Singular {
            batch: Vec::new(),
            pivot: usize::try_from(i - 1).unwrap_or(usize::MAX),
        }),
    }
}

/// Which matrix norm a routine uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Norm {
    /// The 1-norm: largest column sum of moduli.
    One,
    /// The ∞-norm: largest row sum of moduli. For a C-order matrix handed to
    /// LAPACK as its transpose, this is the 1-norm of the matrix itself.
    Inf,
}

impl Norm {
    fn flag(self) -> c_char {
        match self {
            Norm::One => b'1' as c_char,
            Norm::Inf => b'I' as c_char,
        }
    }
}

/// Whether a routine works on `A` or on `Aᵀ` / `Aᴴ`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transpose {
    /// Solve `A X = B`.
    No,
    /// Solve `Aᵀ X = B`.
    Yes,
}

impl Transpose {
    fn flag(self) -> c_char {
        match self {
            Transpose::No => b'N' as c_char,
            Transpose::Yes => b'T' as c_char,
        }
    }
}

/// `len` is at least `need`, or a [`LinAlgError::Lapack`] naming the routine (a
/// short slice is a bug in the caller, reported before LAPACK could read past it).
fn require(routine: &'static str, arg: i32, len: usize, need: usize) -> Result<(), LinAlgError> {
    if len >= need {
        Ok(())
    } else {
        Err(LinAlgError::Lapack {
            routine,
            info: -arg,
        })
    }
}

/// `n * n` with overflow reported as too large.
fn square(n: usize) -> Result<usize, LinAlgError> {
    n.checked_mul(n).ok_or(LinAlgError::TooLarge {
        what: "n * n",
        value: n,
        limit: LAPACK_INT_MAX,
    })
}

/// The LAPACK routines this crate calls, for one element type.
///
/// All matrices are square, column-major, with leading dimension `n`.
pub trait Lapack: Sized + Copy {
    /// The routine-name prefix: `s`, `d`, `c` or `z`.
    const PREFIX: char;

    /// `getrf`: `P A = L U` in place. `ipiv` (1-based, LAPACK's) gets `n` entries.
    /// An exactly zero pivot is [`LinAlgError::Singular`]; the factors are then
    /// complete but `U` is singular.
    fn getrf(n: usize, a: &mut [Self], ipiv: &mut [LapackInt]) -> Result<(), LinAlgError>;

    /// The optimal `getri` workspace length for order `n` (a workspace query).
    fn getri_lwork(n: usize) -> Result<usize, LinAlgError>;

    /// `getri`: overwrite the LU factors in `a` with `A⁻¹`. `work` is scratch that
    /// LAPACK writes before it reads it, so it need not be initialised (zeroing a
    /// `getri_lwork` buffer per call measured 0.5% of an inverse at n = 256).
    fn getri(
        n: usize,
        a: &mut [Self],
        ipiv: &[LapackInt],
        work: &mut [MaybeUninit<Self>],
    ) -> Result<(), LinAlgError>;

    /// `getrs`: overwrite `b` (`n × nrhs`, column-major) with `A⁻¹ b` (or `A⁻ᵀ b`).
    fn getrs(
        trans: Transpose,
        n: usize,
        nrhs: usize,
        lu: &[Self],
        ipiv: &[LapackInt],
        b: &mut [Self],
    ) -> Result<(), LinAlgError>;

    /// `lange`: the 1- or ∞-norm of `a`.
    fn lange(norm: Norm, n: usize, a: &[Self]) -> Result<f64, LinAlgError>;

    /// `gecon`: LAPACK's estimate of the reciprocal condition number in `norm`,
    /// from the LU factors and the same norm of the original matrix.
    fn gecon(norm: Norm, n: usize, lu: &[Self], anorm: f64) -> Result<f64, LinAlgError>;
}

/// Reinterprets `num_complex::Complex<T>` slices as LAPACK's complex type.
trait Ffi {
    type Raw;
}
impl Ffi for f32 {
    type Raw = f32;
}
impl Ffi for f64 {
    type Raw = f64;
}
impl Ffi for Complex<f32> {
    type Raw = lapack_sys::__BindgenComplex<f32>;
}
impl Ffi for Complex<f64> {
    type Raw = lapack_sys::__BindgenComplex<f64>;
}

macro_rules! impl_lapack {
    (
        $t:ty, $real:ty, $prefix:literal,
        $getrf:ident, $getri:ident, $getrs:ident, $lange:ident, $gecon:ident,
        gecon_real_work = $real_work:tt
    ) => {
        impl Lapack for $t {
            const PREFIX: char = $prefix;

            fn getrf(
                n: usize,
                a: &mut [Self],
                ipiv: &mut [LapackInt],
            ) -> Result<(), LinAlgError> {
                const R: &str = concat!($prefix, "getrf");
                let ni = lapack_int(n, "n")?;
                require(R, 3, a.len(), square(n)?)?;
                require(R, 5, ipiv.len(), n)?;
                if n == 0 {
                    return Ok(());
                }
                let mut info = 0;
                vendor_call(n, n, || {
                    // SAFETY: `a` holds n*n elements (checked) read and written as an n×n
                    // column-major matrix with lda = n; `ipiv` holds n entries (checked).
                    // Complex<T> is #[repr(C)] {re, im}, the layout of __BindgenComplex<T>.
                    // The two slices are distinct borrows, so they do not alias.
                    unsafe {
                        lapack_sys::$getrf(
                            &ni,
                            &ni,
                            a.as_mut_ptr() as *mut <$t as Ffi>::Raw,
                            &ni,
                            ipiv.as_mut_ptr(),
                            &mut info,
                        );
                    }
                });
                check_info(R, info)
            }

            fn getri_lwork(n: usize) -> Result<usize, LinAlgError> {
                const R: &str = concat!($prefix, "getri");
                let ni = lapack_int(n, "n")?;
                if n == 0 {
                    return Ok(1);
                }
                let mut query = <$t as num_traits::Zero>::zero();
                let lwork: c_int = -1;
                let mut info = 0;
                let mut dummy_a = <$t as num_traits::Zero>::zero();
                let dummy_ipiv: LapackInt = 1;
                // SAFETY: lwork = -1 is a workspace query: LAPACK only writes the
                // optimal size into `query` (one element) and reads neither `a` nor
                // `ipiv`, which point at valid single elements anyway.
                unsafe {
                    lapack_sys::$getri(
                        &ni,
                        &mut dummy_a as *mut $t as *mut <$t as Ffi>::Raw,
                        &ni,
                        &dummy_ipiv,
                        &mut query as *mut $t as *mut <$t as Ffi>::Raw,
                        &lwork,
                        &mut info,
                    );
                }
                check_info(R, info)?;
                let size = num_complex::ComplexFloat::re(query);
                // The query returns a float; n is the documented minimum. From
                // n >= 2^25 the vendor's own 32-bit `n * block` overflows and the
                // query answers 0 or a negative number: the minimum n is then used
                // (unblocked, still exact).
                Ok((size as usize).max(n).max(1))
            }

            fn getri(
                n: usize,
                a: &mut [Self],
                ipiv: &[LapackInt],
                work: &mut [MaybeUninit<Self>],
            ) -> Result<(), LinAlgError> {
                const R: &str = concat!($prefix, "getri");
                let ni = lapack_int(n, "n")?;
                require(R, 2, a.len(), square(n)?)?;
                require(R, 4, ipiv.len(), n)?;
                require(R, 6, work.len(), n.max(1))?;
                if n == 0 {
                    return Ok(());
                }
                let lwork = lapack_int(work.len(), "lwork")?;
                let mut info = 0;
                vendor_call(n, n, || {
                    // SAFETY: `a` holds n*n elements with lda = n, `ipiv` n entries, `work`
                    // lwork >= max(1, n) elements (all checked); distinct borrows, no
                    // aliasing; Complex<T> has LAPACK's complex layout. getri writes each
                    // element of `work` before reading it (it is output-only scratch,
                    // its values on entry are never used), and `MaybeUninit<T>` has
                    // `T`'s layout.
                    unsafe {
                        lapack_sys::$getri(
                            &ni,
                            a.as_mut_ptr() as *mut <$t as Ffi>::Raw,
                            &ni,
                            ipiv.as_ptr(),
                            work.as_mut_ptr() as *mut <$t as Ffi>::Raw,
                            &lwork,
                            &mut info,
                        );
                    }
                });
                check_info(R, info)
            }

            fn getrs(
                trans: Transpose,
                n: usize,
                nrhs: usize,
                lu: &[Self],
                ipiv: &[LapackInt],
                b: &mut [Self],
            ) -> Result<(), LinAlgError> {
                const R: &str = concat!($prefix, "getrs");
                let ni = lapack_int(n, "n")?;
                let nrhsi = lapack_int(nrhs, "nrhs")?;
                require(R, 5, lu.len(), square(n)?)?;
                require(R, 7, ipiv.len(), n)?;
                let b_len = n.checked_mul(nrhs).ok_or(LinAlgError::TooLarge {
                    what: "n * nrhs",
                    value: n,
                    limit: LAPACK_INT_MAX,
                })?;
                require(R, 8, b.len(), b_len)?;
                if n == 0 || nrhs == 0 {
                    return Ok(());
                }
                let ldb = ni;
                let flag = trans.flag();
                let mut info = 0;
                vendor_call(n, nrhs, || {
                    // SAFETY: `lu` holds n*n elements (lda = n), `ipiv` n entries, `b`
                    // n*nrhs elements (ldb = n), all checked; `lu` is only read and `b`
                    // is a distinct mutable borrow, so nothing aliases.
                    unsafe {
                        lapack_sys::$getrs(
                            &flag,
                            &ni,
                            &nrhsi,
                            lu.as_ptr() as *const <$t as Ffi>::Raw,
                            &ni,
                            ipiv.as_ptr(),
                            b.as_mut_ptr() as *mut <$t as Ffi>::Raw,
                            &ldb,
                            &mut info,
                        );
                    }
                });
                check_info(R, info)
            }

            fn lange(norm: Norm, n: usize, a: &[Self]) -> Result<f64, LinAlgError> {
                const R: &str = concat!($prefix, "lange");
                let ni = lapack_int(n, "n")?;
                require(R, 4, a.len(), square(n)?)?;
                if n == 0 {
                    return Ok(0.0);
                }
                let flag = norm.flag();
                let mut work: Vec<$real> = vec![0.0; if norm == Norm::Inf { n } else { 1 }];
                // SAFETY: `a` holds n*n elements with lda = n (checked) and is only
                // read; `work` has the n reals the ∞-norm needs (the 1-norm uses none).
                let value = unsafe {
                    lapack_sys::$lange(
                        &flag,
                        &ni,
                        &ni,
                        a.as_ptr() as *const <$t as Ffi>::Raw,
                        &ni,
                        work.as_mut_ptr(),
                    )
                };
                Ok(f64::from(value))
            }

            fn gecon(norm: Norm, n: usize, lu: &[Self], anorm: f64) -> Result<f64, LinAlgError> {
                const R: &str = concat!($prefix, "gecon");
                let ni = lapack_int(n, "n")?;
                require(R, 3, lu.len(), square(n)?)?;
                if n == 0 {
                    return Ok(f64::INFINITY);
                }
                let norm = norm.flag();
                let anorm = anorm as $real;
                let mut rcond: $real = 0.0;
                let mut info = 0;
                impl_lapack!(@gecon $real_work, $t, $real, $gecon, n, ni, norm, lu, anorm, rcond, info);
                check_info(R, info)?;
                Ok(f64::from(rcond))
            }
        }
    };
    (@gecon true, $t:ty, $real:ty, $gecon:ident, $n:ident, $ni:ident, $norm:ident, $lu:ident, $anorm:ident, $rcond:ident, $info:ident) => {
        // Real types: work 4n reals, iwork n integers.
        let mut work = vec![0.0 as $real; 4 * $n];
        let mut iwork = vec![0 as LapackInt; $n];
        // SAFETY: `lu` holds n*n elements (lda = n, checked), only read; `work` has
        // the 4n and `iwork` the n elements dgecon needs; all distinct allocations.
        unsafe {
            lapack_sys::$gecon(
                &$norm, &$ni, $lu.as_ptr(), &$ni, &$anorm, &mut $rcond,
                work.as_mut_ptr(), iwork.as_mut_ptr(), &mut $info,
            );
        }
    };
    (@gecon false, $t:ty, $real:ty, $gecon:ident, $n:ident, $ni:ident, $norm:ident, $lu:ident, $anorm:ident, $rcond:ident, $info:ident) => {
        // Complex types: work 2n complex, rwork 2n reals.
        let mut work = vec![<$t as num_traits::Zero>::zero(); 2 * $n];
        let mut rwork = vec![0.0 as $real; 2 * $n];
        // SAFETY: `lu` holds n*n elements (lda = n, checked), only read; `work` has
        // 2n complex and `rwork` 2n real elements as zgecon needs; Complex<T> has
        // LAPACK's layout; all distinct allocations.
        unsafe {
            lapack_sys::$gecon(
                &$norm, &$ni, $lu.as_ptr() as *const <$t as Ffi>::Raw, &$ni, &$anorm,
                &mut $rcond, work.as_mut_ptr() as *mut <$t as Ffi>::Raw,
                rwork.as_mut_ptr(), &mut $info,
            );
        }
    };
}

impl_lapack!(
    f32,
    f32,
    's',
    sgetrf_,
    sgetri_,
    sgetrs_,
    slange_,
    sgecon_,
    gecon_real_work = true
);
impl_lapack!(
    f64,
    f64,
    'd',
    dgetrf_,
    dgetri_,
    dgetrs_,
    dlange_,
    dgecon_,
    gecon_real_work = true
);
impl_lapack!(
    Complex<f32>,
    f32,
    'c',
    cgetrf_,
    cgetri_,
    cgetrs_,
    clange_,
    cgecon_,
    gecon_real_work = false
);
impl_lapack!(
    Complex<f64>,
    f64,
    'z',
    zgetrf_,
    zgetri_,
    zgetrs_,
    zlange_,
    zgecon_,
    gecon_real_work = false
);

pub(crate) mod cast;
pub(crate) mod pages;
mod threads;
pub(crate) mod vendor;

use threads::vendor_call;
pub(crate) use threads::{vendor_may_thread, PinnedVendor};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_maps_to_errors() {
        assert_eq!(check_info("dgetrf", 0), Ok(()));
        assert_eq!(
            check_info("dgetrf", 3),
            Err(LinAlgError::Singular {
                batch: vec![],
                pivot: 2
            })
        );
        assert_eq!(
            check_info("zgetri", -4),
            Err(LinAlgError::Lapack {
                routine: "zgetri",
                info: -4
            })
        );
    }

    #[test]
    fn lapack_int_rejects_overflow() {
        assert_eq!(lapack_int(5, "n"), Ok(5));
        assert!(matches!(
            lapack_int(LAPACK_INT_MAX + 1, "lda"),
            Err(LinAlgError::TooLarge { what: "lda", .. })
        ));
    }

    #[test]
    fn short_slices_are_refused_before_the_call() {
        let mut a = [1.0f64; 3];
        let mut ipiv = [0; 2];
        assert!(matches!(
            f64::getrf(2, &mut a, &mut ipiv),
            Err(LinAlgError::Lapack {
                routine: "dgetrf",
                info: -3,
                ..
            })
        ));
        let mut a = [1.0f64; 4];
        let mut ipiv = [0; 1];
        assert!(matches!(
            f64::getrf(2, &mut a, &mut ipiv),
            Err(LinAlgError::Lapack {
                routine: "dgetrf",
                info: -5,
                ..
            })
        ));
    }

    #[test]
    fn getri_never_reads_its_scratch() {
        // Unblocked (n below the block size) and blocked getri: NaN or zero in the
        // scratch on entry gives the same bits, so its contents are never used.
        for n in [3usize, 70, 200] {
            let mut a: Vec<f64> = (0..n * n)
                .map(|k| {
                    ((k * 7919 % 1009) as f64 / 1009.0 - 0.5)
                        + if k % (n + 1) == 0 { n as f64 } else { 0.0 }
                })
                .collect();
            let mut ipiv = vec![0; n];
            f64::getrf(n, &mut a, &mut ipiv).unwrap();
            let lwork = f64::getri_lwork(n).unwrap();
            let inverse = |fill: f64| {
                let mut x = a.clone();
                let mut work = vec![MaybeUninit::new(fill); lwork];
                f64::getri(n, &mut x, &ipiv, &mut work).unwrap();
                x
            };
            let (poisoned, zeroed) = (inverse(f64::NAN), inverse(0.0));
            assert!(poisoned.iter().all(|x| x.is_finite()), "n = {n}");
            assert!(
                poisoned
                    .iter()
                    .zip(&zeroed)
                    .all(|(p, z)| p.to_bits() == z.to_bits()),
                "n = {n}"
            );
        }
    }

    #[test]
    fn getrf_getri_invert_a_2x2() {
        // Column-major [[4, 7], [2, 6]].
        let mut a = [4.0f64, 2.0, 7.0, 6.0];
        let mut ipiv = [0; 2];
        f64::getrf(2, &mut a, &mut ipiv).unwrap();
        // NaN in the scratch: getri must write it before reading it (the crate
        // hands it uninitialised memory).
        let mut work = vec![MaybeUninit::new(f64::NAN); f64::getri_lwork(2).unwrap()];
        f64::getri(2, &mut a, &ipiv, &mut work).unwrap();
        let expect = [0.6, -0.2, -0.7, 0.4];
        for (x, e) in a.iter().zip(expect) {
            assert!((x - e).abs() < 1e-15, "{a:?}");
        }
    }

    #[test]
    fn rcond_of_identity_is_one() {
        let a = [
            Complex::new(1.0f64, 0.0),
            Complex::new(0.0, 0.0),
            Complex::new(0.0, 0.0),
            Complex::new(1.0, 0.0),
        ];
        for norm in [Norm::One, Norm::Inf] {
            let anorm = Complex::<f64>::lange(norm, 2, &a).unwrap();
            let mut lu = a;
            let mut ipiv = [0; 2];
            Complex::<f64>::getrf(2, &mut lu, &mut ipiv).unwrap();
            assert_eq!(Complex::<f64>::gecon(norm, 2, &lu, anorm).unwrap(), 1.0);
        }
    }
}
