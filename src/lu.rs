//! [`Lu`]: the LU factors of one matrix or a whole stack, computed once and reused
//! for `solve`, `inv`, `det`, `slogdet` and `rcond`.
//!
//! What is stored: each matrix is copied once in C order, which LAPACK (column
//! major) reads as `Aᵀ`, and factored in place by getrf: `P Aᵀ = L U`. Every use
//! accounts for the transpose: solves call getrs with the transpose flag
//! (`(Aᵀ)ᵀ X = B`), getri of `Aᵀ`'s factors leaves `(Aᵀ)⁻¹`, which read in C order
//! is `A⁻¹`, and `det(Aᵀ) = det(A)`. For `rcond` the 1-norm of `A` is the ∞-norm
//! of `Aᵀ`, so both the norm (taken before factoring) and gecon use the ∞-norm on
//! the stored `Aᵀ`: the result is `A`'s reciprocal 1-norm condition number, what
//! NumPy's `1 / cond(a, 1)` and LAPACK's `dgecon('1')` give.

use ndarray::{Array, ArrayBase, Data, Dimension, IxDyn};

use crate::batch::{split_fresh, split_groups, FirstFailure, Plan};
use crate::det::{batch_array, det_of, slogdet_of, Slogdet};
use crate::error::LinAlgError;
use crate::lapack::{LapackInt, Norm};
use crate::layout::{fresh_output, square_stack, Source, Stack};
use crate::report::BatchDim;
use crate::scalar::{Element, Scalar};
use crate::solve::{into_result, solve_factored, Rhs, SolveDim, SolveShape};

/// The LU factorization (partial pivoting, LAPACK getrf) of one square matrix or
/// of every matrix of a stack `(..., n, n)`, from [`InvExt::lu`](crate::InvExt::lu).
///
/// Factor once, then [`solve`](Lu::solve) for as many right-hand sides as needed,
/// or take [`inv`](Lu::inv), [`det`](Lu::det), [`slogdet`](Lu::slogdet) and
/// [`rcond`](Lu::rcond) without factoring again.
///
/// A singular matrix (an exactly zero pivot) still has complete factors, so `lu`
/// succeeds and `det` gives 0; [`solve`](Lu::solve) and [`inv`](Lu::inv) then
/// report [`LinAlgError::Singular`].
///
/// # Examples
///
/// ```
/// use inv_ext::InvExt;
/// use ndarray::array;
///
/// let a = array![[3.0, 1.0], [1.0, 2.0]];
/// let lu = a.lu()?;
/// let x = lu.solve(&array![9.0, 8.0])?;   // 3x + y = 9, x + 2y = 8
/// assert!(x.allclose(&array![2.0, 3.0]));
/// let y = lu.solve(&array![4.0, 3.0])?;   // the same factors, another b
/// assert!(y.allclose(&array![1.0, 1.0]));
/// let det: f64 = lu.det().into_scalar();
/// assert!((det - 5.0).abs() < 1e-12);
/// # Ok::<(), inv_ext::LinAlgError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Lu<T, D> {
    /// The input's shape.
    dim: D,
    stack: Stack,
    /// getrf's output for each C-order copy (the LU factors of `Aᵀ`), one after another.
    factors: Vec<T>,
    /// getrf's pivots (1-based), `n` per matrix.
    ipiv: Vec<LapackInt>,
    /// The 0-based step of the first exactly zero pivot of each matrix, if any.
    zero_pivot: Vec<Option<usize>>,
    /// The 1-norm of each matrix, taken before factoring.
    norm1: Vec<f64>,
}

/// What [`factor_stack`]'s caller does with the factors once a matrix fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnFailure {
    /// Drops them (it reports the error): the workers stop writing them, and
    /// `Factored::factors` is left empty.
    Discard,
    /// Reads the factors of the matrices before the failure (a broadcast
    /// `solve`, whose first failing system may use an earlier matrix).
    KeepEarlier,
}

/// The factors of a stack, matrix after matrix.
pub(crate) struct Factored<T> {
    /// Empty after a failure with [`OnFailure::Discard`].
    pub factors: Vec<T>,
    pub ipiv: Vec<LapackInt>,
    pub zero_pivot: Vec<Option<usize>>,
    pub norm1: Vec<f64>,
    /// The first failure in C order: flat index and error (without batch index).
    pub failure: Option<(usize, LinAlgError)>,
}

/// Factors every matrix of `stack`, each copied from `source` once, into its
/// slot of a fresh buffer, with the finite check fused into the copy.
///
/// A non-finite matrix is always a failure; a singular one is a failure only when
/// `singular_fails` (else its zero pivot is recorded and the batch goes on). The
/// first failure in C order is returned (flat index, error without batch index);
/// matrices after it may be left unfactored, and with [`OnFailure::Discard`]
/// no factors are returned at all. With `with_norm`, the 1-norm of each matrix
/// is taken before it is factored.
///
/// # Errors
/// [`LinAlgError::OutOfMemory`] when the factors do not fit in memory.
pub(crate) fn factor_stack<A: Element<Output = T>, T: Scalar>(
    stack: &Stack,
    source: &Source<A>,
    singular_fails: bool,
    with_norm: bool,
    on_failure: OnFailure,
) -> Result<Factored<T>, LinAlgError> {
    let (n, nn, count) = (stack.n, stack.matrix_len(), stack.count);
    let too_big = || LinAlgError::OutOfMemory { bytes: usize::MAX };
    // Written only by the workers, matrix by matrix (see `lapack::pages::Fresh`).
    let mut factors = fresh_output::<T>(count.checked_mul(nn).ok_or_else(too_big)?)?;
    let mut f = Factored {
        factors: Vec::new(),
        ipiv: try_filled(count.checked_mul(n).ok_or_else(too_big)?, 0)?,
        zero_pivot: try_filled(count, None)?,
        norm1: try_filled(count, 0.0)?,
        failure: None,
    };
    if stack.is_empty() {
        return Ok(f);
    }
    let plan = Plan::new(count, n);
    let first = FirstFailure::new();
    let groups: Vec<_> = split_fresh(&mut factors, nn, plan.group_len)
        .into_iter()
        .zip(split_groups(&mut f.ipiv, n, plan.group_len))
        .zip(split_groups(&mut f.zero_pivot, 1, plan.group_len))
        .zip(split_groups(&mut f.norm1, 1, plan.group_len))
        .map(|((((start, lu), (_, piv)), (_, zero)), (_, norm))| (start, lu, piv, zero, norm))
        .collect();
    plan.run(groups, |(start, mut lu, piv, zero, norm)| {
        let slots = piv.chunks_exact_mut(n).zip(zero.iter_mut().zip(norm));
        for (k, (piv, (zero, norm))) in slots.enumerate() {
            let i = start + k;
            if first.is_past(i) {
                break;
            }
            let mut finite = true;
            // SAFETY: `Source::load` writes every element of its slot, whatever
            // it returns (it checks the slot's length first).
            let slot = unsafe { lu.take_written(nn, |s| finite = source.load(stack, i, s, true)) };
            if !finite {
                first.record(i, LinAlgError::NonFinite { batch: Vec::new() });
                break;
            }
            if with_norm {
                // The ∞-norm of the stored Aᵀ is the 1-norm of A.
                match T::lange(Norm::Inf, n, slot) {
                    Ok(v) => *norm = v,
                    Err(e) => {
                        first.record(i, e);
                        break;
                    }
                }
            }
            match T::getrf(n, slot, piv) {
                Ok(()) => {}
                Err(LinAlgError::Singular { pivot, .. }) if !singular_fails => {
                    *zero = Some(pivot);
                }
                Err(e) => {
                    first.record(i, e);
                    break;
                }
            }
        }
        // Unread after a failure: the rest of the part need not be written (a
        // NaN in the first of a million matrices then costs no pass over the
        // whole buffer).
        if on_failure == OnFailure::Discard && first.stopped() {
            lu.abandon();
        }
    });
    f.failure = first.into_first();
    match factors.finish() {
        Some(factors) => f.factors = factors,
        None => debug_assert!(f.failure.is_some(), "only a failure abandons the factors"),
    }
    Ok(f)
}

/// A vector of `len` copies of `value`, or [`LinAlgError::OutOfMemory`] instead of
/// an abort when it cannot be allocated.
pub(crate) fn try_filled<R: Clone>(len: usize, value: R) -> Result<Vec<R>, LinAlgError> {
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| LinAlgError::OutOfMemory {
            bytes: len.saturating_mul(std::mem::size_of::<R>()),
        })?;
    v.resize(len, value);
    Ok(v)
}

impl<T: Scalar, D: Dimension> Lu<T, D> {
    /// Factors every matrix of `a` (the `lu` verb).
    pub(crate) fn new<A, S>(a: &ArrayBase<S, D>) -> Result<Self, LinAlgError>
    where
        A: Element<Output = T>,
        S: Data<Elem = A>,
    {
        let stack = square_stack(a.shape())?;
        let source = Source::new(a.view().into_dyn());
        let f = factor_stack(&stack, &source, false, true, OnFailure::Discard)?;
        if let Some((i, e)) = f.failure {
            return Err(e.at_batch(stack.batch_index(i)));
        }
        Ok(Lu {
            dim: a.raw_dim(),
            stack,
            factors: f.factors,
            ipiv: f.ipiv,
            zero_pivot: f.zero_pivot,
            norm1: f.norm1,
        })
    }

    /// The shape of the factored input, `(..., n, n)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::InvExt;
    /// use ndarray::Array3;
    ///
    /// let lu = Array3::<f64>::from_shape_fn((4, 2, 2), |(_, i, j)| (i == j) as u8 as f64).lu()?;
    /// assert_eq!(lu.shape(), &[4, 2, 2]);
    /// # Ok::<(), inv_ext::LinAlgError>(())
    /// ```
    pub fn shape(&self) -> &[usize] {
        self.dim.slice()
    }

    /// Whether any factored matrix is singular (LU met an exactly zero pivot).
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::InvExt;
    /// use ndarray::array;
    ///
    /// assert!(array![[1.0, 2.0], [2.0, 4.0]].lu()?.is_singular());
    /// assert!(!array![[1.0, 2.0], [3.0, 4.0]].lu()?.is_singular());
    /// # Ok::<(), inv_ext::LinAlgError>(())
    /// ```
    pub fn is_singular(&self) -> bool {
        self.zero_pivot.iter().any(Option::is_some)
    }

    /// Solves `A X = B` with the stored factors (LAPACK getrs), by NumPy 2's rule,
    /// exactly as [`InvExt::solve`](crate::InvExt::solve) would with the matrix
    /// that was factored: a 1-D `b` is one vector `(n,)` and the result is
    /// `(..., n)`; otherwise `b` is `(..., n, K)`, its batch axes broadcast against
    /// the factored stack's, and the result is `(broadcast..., n, K)`.
    ///
    /// Each matrix's factors are reused for every right-hand side that broadcasts
    /// against it. `b` is only read; any layout is accepted.
    ///
    /// # Errors
    ///
    /// - [`LinAlgError::ShapeMismatch`] when `b`'s `n` differs or the batch axes
    ///   do not broadcast;
    /// - [`LinAlgError::Singular`] when a system's matrix is singular (the first
    ///   such system in C order of the broadcast batch);
    /// - [`LinAlgError::NonFinite`] when `b` holds NaN or ±inf;
    /// - [`LinAlgError::TooLarge`] when `K` does not fit LAPACK's 32-bit integer,
    ///   [`LinAlgError::OutOfMemory`] when the result cannot be allocated.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::InvExt;
    /// use ndarray::{array, Array3};
    ///
    /// let lu = array![[2.0, 0.0], [0.0, 4.0]].lu()?;
    /// // One factorization, a stack of 3 right-hand-side matrices of 2 columns.
    /// let b = Array3::from_elem((3, 2, 2), 8.0);
    /// let x = lu.solve(&b)?;
    /// assert_eq!(x.shape(), &[3, 2, 2]);
    /// assert!(x.allclose(&array![[4.0, 4.0], [2.0, 2.0]]));
    /// # Ok::<(), inv_ext::LinAlgError>(())
    /// ```
    pub fn solve<S2, Db>(
        &self,
        b: &ArrayBase<S2, Db>,
    ) -> Result<Array<T, <D as SolveDim<Db>>::Output>, LinAlgError>
    where
        S2: Data,
        S2::Elem: Element<Output = T>,
        Db: Dimension,
        D: SolveDim<Db>,
    {
        let shape = SolveShape::new(self.shape(), b.shape())?;
        let rhs = Rhs::new(b.view().into_dyn(), &shape);
        let failed = |j: usize| {
            self.zero_pivot[j].map(|pivot| LinAlgError::Singular {
                batch: Vec::new(),
                pivot,
            })
        };
        let out = solve_factored(&shape, &self.factors, &self.ipiv, &failed, &rhs)?;
        Ok(into_result(&shape, out))
    }

    /// The inverse of every factored matrix (LAPACK getri), in a new
    /// standard-layout array of the input's shape, as
    /// [`InvExt::inv`](crate::InvExt::inv) gives.
    ///
    /// # Errors
    ///
    /// [`LinAlgError::Singular`] for the first singular matrix in C order;
    /// [`LinAlgError::OutOfMemory`] when the result cannot be allocated.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::InvExt;
    /// use ndarray::array;
    ///
    /// let lu = array![[4.0, 7.0], [2.0, 6.0]].lu()?;
    /// assert!(lu.inv()?.allclose(&array![[0.6, -0.7], [-0.2, 0.4]]));
    /// # Ok::<(), inv_ext::LinAlgError>(())
    /// ```
    pub fn inv(&self) -> Result<Array<T, D>, LinAlgError> {
        let (n, nn) = (self.stack.n, self.stack.matrix_len());
        let mut out = try_filled(self.factors.len(), T::zero())?;
        out.copy_from_slice(&self.factors);
        if !self.stack.is_empty() {
            let lwork = T::getri_lwork(n)?;
            let plan = Plan::new(self.stack.count, n);
            let first = FirstFailure::new();
            plan.run(
                split_groups(&mut out, nn, plan.group_len),
                |(start, part): (usize, &mut [T])| {
                    // getri's scratch, never initialised (LAPACK writes it before reading).
                    let mut work = Box::new_uninit_slice(lwork);
                    for (k, slot) in part.chunks_exact_mut(nn).enumerate() {
                        let i = start + k;
                        if first.is_past(i) {
                            break;
                        }
                        let result = match self.zero_pivot[i] {
                            Some(pivot) => Err(LinAlgError::Singular {
                                batch: Vec::new(),
                                pivot,
                            }),
                            None => T::getri(n, slot, &self.ipiv[i * n..(i + 1) * n], &mut work),
                        };
                        if let Err(e) = result {
                            first.record(i, e);
                            break;
                        }
                    }
                },
            );
            if let Some((i, e)) = first.into_first() {
                return Err(e.at_batch(self.stack.batch_index(i)));
            }
        }
        Ok(Array::from_shape_vec(self.dim.clone(), out).expect("one inverse per matrix"))
    }

    /// The determinant of every factored matrix: the product of `U`'s diagonal
    /// times the sign of the row permutation. An array over the batch axes (0-D
    /// for one matrix: take it with `into_scalar()`); 0 for a singular matrix,
    /// 1 for a `0×0` one.
    ///
    /// May overflow to ±inf or underflow to 0 for large `n`;
    /// [`slogdet`](Lu::slogdet) does not.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::InvExt;
    /// use ndarray::array;
    ///
    /// let lu = array![[[1.0f64, 2.0], [3.0, 4.0]], [[1.0, 2.0], [2.0, 4.0]]].lu()?;
    /// let d = lu.det();
    /// assert!((d[0] + 2.0).abs() < 1e-12);
    /// assert_eq!(d[1], 0.0); // singular, still factored
    /// # Ok::<(), inv_ext::LinAlgError>(())
    /// ```
    pub fn det(&self) -> Array<T, BatchDim<D>> {
        let values = (0..self.stack.count)
            .map(|i| {
                let (lu, piv) = self.matrix(i);
                det_of(self.stack.n, lu, piv)
            })
            .collect();
        batch_array::<T, D>(&self.stack.batch, values)
    }

    /// Sign and natural logarithm of the absolute determinant of every factored
    /// matrix, as NumPy's `slogdet`: `det = sign · exp(logabsdet)` without
    /// overflow. For complex matrices `sign` has modulus 1. A singular matrix
    /// gives `sign = 0` and `logabsdet = -inf`.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::InvExt;
    /// use ndarray::Array2;
    ///
    /// // det(1e-3·I₄₀₀) = 1e-1200 underflows; its logarithm does not.
    /// let a = Array2::<f64>::eye(400) * 1e-3;
    /// let (sign, logdet) = a.lu()?.slogdet();
    /// assert_eq!(sign.into_scalar(), 1.0);
    /// assert!((logdet.into_scalar() - 400.0 * 1e-3f64.ln()).abs() < 1e-9);
    /// # Ok::<(), inv_ext::LinAlgError>(())
    /// ```
    pub fn slogdet(&self) -> Slogdet<T, D> {
        let (sign, logdet) = (0..self.stack.count)
            .map(|i| {
                let (lu, piv) = self.matrix(i);
                slogdet_of(self.stack.n, lu, piv)
            })
            .unzip();
        (
            batch_array::<T, D>(&self.stack.batch, sign),
            batch_array::<T::Real, D>(&self.stack.batch, logdet),
        )
    }

    /// LAPACK's estimate (gecon) of the reciprocal condition number of every
    /// factored matrix in the 1-norm, `1 / (‖A‖₁ · ‖A⁻¹‖₁)`, from the stored
    /// factors and the 1-norm of `A` taken before factoring: `1` for the identity,
    /// near `0` for a matrix close to singular, exactly `0` for a singular one
    /// (and `1` for `0×0`, as LAPACK). It is an estimate (usually within a factor
    /// of 10 of `1 / np.linalg.cond(a, 1)`, mostly much closer).
    ///
    /// # Errors
    ///
    /// [`LinAlgError::OutOfMemory`] when the result cannot be allocated, and
    /// [`LinAlgError::Lapack`], which would be a bug in this crate.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::InvExt;
    /// use ndarray::{array, Array2};
    ///
    /// assert_eq!(Array2::<f64>::eye(3).lu()?.rcond()?.into_scalar(), 1.0);
    /// let nearly_singular = array![[1.0, 1.0], [1.0, 1.0 + 1e-10]];
    /// assert!(nearly_singular.lu()?.rcond()?.into_scalar() < 1e-10);
    /// # Ok::<(), inv_ext::LinAlgError>(())
    /// ```
    pub fn rcond(&self) -> Result<Array<f64, BatchDim<D>>, LinAlgError> {
        let n = self.stack.n;
        let count = self.stack.count;
        let mut values = try_filled(count, if n == 0 { 1.0 } else { 0.0 })?;
        if !self.stack.is_empty() {
            // gecon costs a few n² per matrix: spread a stack over the workers.
            let plan = Plan::new(count, n);
            let first = FirstFailure::new();
            plan.run(
                split_groups(&mut values, 1, plan.group_len),
                |(start, part): (usize, &mut [f64])| {
                    for (k, value) in part.iter_mut().enumerate() {
                        let i = start + k;
                        if self.zero_pivot[i].is_some() {
                            continue; // singular: 0
                        }
                        // ∞-norm on the stored Aᵀ = 1-norm of A (see the module docs).
                        match T::gecon(Norm::Inf, n, self.matrix(i).0, self.norm1[i]) {
                            Ok(r) => *value = r,
                            Err(e) => {
                                first.record(i, e);
                                break;
                            }
                        }
                    }
                },
            );
            if let Some((i, e)) = first.into_first() {
                return Err(e.at_batch(self.stack.batch_index(i)));
            }
        }
        Ok(batch_array::<f64, D>(&self.stack.batch, values))
    }

    /// The factors and pivots of matrix `i`.
    fn matrix(&self, i: usize) -> (&[T], &[LapackInt]) {
        let (n, nn) = (self.stack.n, self.stack.matrix_len());
        (
            &self.factors[i * nn..(i + 1) * nn],
            &self.ipiv[i * n..(i + 1) * n],
        )
    }

    /// The same factors with a dynamic dimension type, for code that handles
    /// shapes at run time.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::InvExt;
    /// use ndarray::{array, IxDyn};
    ///
    /// let lu = array![[2.0, 0.0], [0.0, 2.0]].lu()?.into_dyn();
    /// assert_eq!(lu.solve(&array![2.0, 4.0].into_dyn())?.shape(), &[2]);
    /// # Ok::<(), inv_ext::LinAlgError>(())
    /// ```
    pub fn into_dyn(self) -> Lu<T, IxDyn> {
        Lu {
            dim: self.dim.into_dyn(),
            stack: self.stack,
            factors: self.factors,
            ipiv: self.ipiv,
            zero_pivot: self.zero_pivot,
            norm1: self.norm1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lapack::Lapack;
    use ndarray::Array3;

    /// A stack of `count` well-conditioned 3×3 matrices with NaN in matrix `bad`.
    fn stack_with_nan(count: usize, bad: usize) -> Array3<f64> {
        let mut a = Array3::from_shape_fn((count, 3, 3), |(m, r, c)| {
            if r == c {
                4.0 + m as f64
            } else {
                1.0 / (1.0 + (r + 2 * c) as f64)
            }
        });
        a[[bad, 1, 2]] = f64::NAN;
        a
    }

    fn factor(a: &Array3<f64>, on_failure: OnFailure) -> Factored<f64> {
        let stack = square_stack(a.shape()).unwrap();
        let source = Source::new(a.view().into_dyn());
        factor_stack(&stack, &source, true, false, on_failure).unwrap()
    }

    #[test]
    fn discarded_factors_are_not_returned_after_a_failure() {
        // Enough matrices for several workers, the failure in the first.
        let a = stack_with_nan(20_000, 0);
        let f = factor(&a, OnFailure::Discard);
        assert!(matches!(
            f.failure,
            Some((0, LinAlgError::NonFinite { .. }))
        ));
        assert!(f.factors.is_empty());
    }

    #[test]
    fn kept_factors_before_a_failure_are_getrf_s() {
        let bad = 15_000;
        let a = stack_with_nan(20_000, bad);
        let f = factor(&a, OnFailure::KeepEarlier);
        assert!(matches!(f.failure, Some((i, LinAlgError::NonFinite { .. })) if i == bad));
        assert_eq!(f.factors.len(), a.len());
        for i in [0, 1, 9_999, 10_000, bad - 1] {
            let mut lu = a
                .index_axis(ndarray::Axis(0), i)
                .iter()
                .copied()
                .collect::<Vec<_>>();
            let mut piv = vec![0; 3];
            f64::getrf(3, &mut lu, &mut piv).unwrap();
            assert_eq!(&f.factors[i * 9..(i + 1) * 9], &lu[..], "matrix {i}");
            assert_eq!(&f.ipiv[i * 3..(i + 1) * 3], &piv[..], "pivots of {i}");
        }
        // Without a failure both modes return every factor.
        let clean = Array3::from_shape_fn((64, 3, 3), |(m, r, c)| {
            (m + 3 * r + c % 2) as f64 + if r == c { 9.0 } else { 0.0 }
        });
        let f = factor(&clean, OnFailure::Discard);
        assert!(f.failure.is_none());
        assert_eq!(f.factors.len(), clean.len());
    }
}
