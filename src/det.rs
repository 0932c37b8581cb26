//! `det` and `slogdet`: the determinant of every matrix of a stack from its LU
//! factors (LAPACK getrf), as NumPy's `det` and `slogdet`.
//!
//! Each matrix is copied once in C order, which LAPACK reads as `Aᵀ`, and
//! factored: `P Aᵀ = L U`. Since `det(Aᵀ) = det(A)`, the determinant is the product
//! of `U`'s diagonal times the sign of the permutation `P`. An exactly zero pivot
//! is not an error here: the factors are complete and the determinant is 0.

use ndarray::{Array, ArrayBase, Data, Dimension, IxDyn};
use num_traits::{Float, Zero};

use crate::batch::{split_groups, FirstFailure, Plan};
use crate::error::LinAlgError;
use crate::lapack::{Lapack, LapackInt};
use crate::layout::{square_stack, Source};
use crate::lu::try_filled;
use crate::report::BatchDim;
use crate::scalar::{Element, Scalar};

/// `(sign, logabsdet)` of [`slogdet`](crate::InvExt::slogdet), as NumPy's
/// `slogdet` returns: two arrays over the batch axes, `det = sign · exp(logabsdet)`.
/// `sign` has the element type (±1, or modulus 1 for complex; 0 when singular),
/// `logabsdet` its real type (`-inf` when singular).
///
/// # Examples
///
/// ```
/// use inv_ext::{InvExt, Slogdet};
/// use ndarray::{array, Ix3};
///
/// let stack = array![[[2.0, 0.0], [0.0, 3.0]], [[0.0, 1.0], [1.0, 0.0]]];
/// let (sign, logdet): Slogdet<f64, Ix3> = stack.slogdet()?;
/// assert_eq!(sign, array![1.0, -1.0]);
/// assert!((logdet[0] - 6f64.ln()).abs() < 1e-12 && logdet[1] == 0.0);
/// # Ok::<(), inv_ext::LinAlgError>(())
/// ```
pub type Slogdet<T, D> = (
    Array<T, BatchDim<D>>,
    Array<<T as Scalar>::Real, BatchDim<D>>,
);

/// A per-matrix function of getrf's output: `(n, lu, ipiv) -> value`.
type PerMatrix<'a, T, R> = dyn Fn(usize, &[T], &[LapackInt]) -> R + Sync + 'a;

/// The determinant from getrf's output `lu` (`n×n`) and pivots.
pub(crate) fn det_of<T: Scalar>(n: usize, lu: &[T], ipiv: &[LapackInt]) -> T {
    let mut det = if odd_permutation(ipiv) {
        -T::one()
    } else {
        T::one()
    };
    for i in 0..n {
        det = det * lu[i * n + i];
    }
    det
}

/// `(sign, ln|det|)` from getrf's output: `sign` has modulus 1 (0 when singular,
/// with `ln|det| = -inf`).
pub(crate) fn slogdet_of<T: Scalar>(n: usize, lu: &[T], ipiv: &[LapackInt]) -> (T, T::Real) {
    let mut sign = if odd_permutation(ipiv) {
        -T::one()
    } else {
        T::one()
    };
    let mut logdet = T::Real::zero();
    for i in 0..n {
        let u = lu[i * n + i];
        let m = u.modulus();
        if m == T::Real::zero() {
            return (T::zero(), T::Real::neg_infinity());
        }
        sign = sign * (u / T::from_real(m));
        logdet = logdet + m.ln();
    }
    // Renormalize: a product of many unit complex numbers drifts off modulus 1.
    if T::IS_COMPLEX {
        sign = sign / T::from_real(sign.modulus());
    }
    (sign, logdet)
}

/// Whether LAPACK's (1-based) pivots describe an odd number of row swaps.
fn odd_permutation(ipiv: &[LapackInt]) -> bool {
    ipiv.iter()
        .enumerate()
        .filter(|&(i, &p)| usize::try_from(p - 1).ok() != Some(i))
        .count()
        % 2
        == 1
}

/// Per-matrix values over the batch axes, as an array of [`BatchDim<D>`].
pub(crate) fn batch_array<T, D: Dimension>(
    batch: &[usize],
    values: Vec<T>,
) -> Array<T, BatchDim<D>> {
    Array::from_shape_vec(IxDyn(batch), values)
        .expect("one value per matrix")
        .into_dimensionality()
        .expect("the batch axes are all axes but the last two")
}

/// Factors every matrix of `a` (on worker threads, one `n×n` scratch per worker)
/// and maps each factorization to a value with `per(n, lu, ipiv)`.
///
/// # Errors
/// `a`'s shape errors, and [`LinAlgError::NonFinite`] for the first matrix (C
/// order) holding NaN or ±inf. Singular matrices are not errors.
fn map_factored<A, S, D, R>(
    a: &ArrayBase<S, D>,
    init: R,
    per: &PerMatrix<A::Output, R>,
) -> Result<(Vec<usize>, Vec<R>), LinAlgError>
where
    A: Element,
    S: Data<Elem = A>,
    D: Dimension,
    R: Copy + Send,
{
    let stack = square_stack(a.shape())?;
    let mut out = try_filled(stack.count, init)?;
    if stack.count == 0 {
        return Ok((stack.batch, out));
    }
    let n = stack.n;
    let source = Source::new(a.view().into_dyn());
    let plan = Plan::new(stack.count, n);
    let first = FirstFailure::new();
    plan.run(
        split_groups(&mut out, 1, plan.group_len),
        |(start, part): (usize, &mut [R])| {
            let mut lu = vec![<A::Output as Zero>::zero(); n * n];
            let mut ipiv = vec![0; n];
            for (k, value) in part.iter_mut().enumerate() {
                let i = start + k;
                if first.is_past(i) {
                    break;
                }
                if !source.load(&stack, i, &mut lu, true) {
                    first.record(i, LinAlgError::NonFinite { batch: Vec::new() });
                    break;
                }
                match <A::Output as Lapack>::getrf(n, &mut lu, &mut ipiv) {
                    // A zero pivot leaves complete factors: the determinant is 0.
                    Ok(()) | Err(LinAlgError::Singular { .. }) => *value = per(n, &lu, &ipiv),
                    Err(e) => {
                        first.record(i, e);
                        break;
                    }
                }
            }
        },
    );
    match first.into_first() {
        None => Ok((stack.batch, out)),
        Some((i, e)) => Err(e.at_batch(stack.batch_index(i))),
    }
}

/// The determinant of every matrix of `a`.
pub(crate) fn det<A, S, D>(
    a: &ArrayBase<S, D>,
) -> Result<Array<A::Output, BatchDim<D>>, LinAlgError>
where
    A: Element,
    S: Data<Elem = A>,
    D: Dimension,
{
    let (batch, values) = map_factored(a, <A::Output as Zero>::zero(), &det_of::<A::Output>)?;
    Ok(batch_array::<_, D>(&batch, values))
}

/// Sign and log-absolute-determinant of every matrix of `a`.
pub(crate) fn slogdet<A, S, D>(a: &ArrayBase<S, D>) -> Result<Slogdet<A::Output, D>, LinAlgError>
where
    A: Element,
    S: Data<Elem = A>,
    D: Dimension,
{
    let init = (
        <A::Output as Zero>::zero(),
        <<A::Output as Scalar>::Real as Zero>::zero(),
    );
    let (batch, values) = map_factored(a, init, &slogdet_of::<A::Output>)?;
    let (sign, logdet) = values.into_iter().unzip();
    Ok((
        batch_array::<_, D>(&batch, sign),
        batch_array::<_, D>(&batch, logdet),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_parity() {
        assert!(!odd_permutation(&[1, 2, 3]));
        assert!(odd_permutation(&[2, 2, 3]));
        assert!(!odd_permutation(&[3, 3, 3]));
        assert!(!odd_permutation(&[]));
    }

    #[test]
    fn det_and_slogdet_of_factors() {
        // Column-major U = [[2, 1], [0, -3]] after one swap.
        let lu = [2.0f64, 0.0, 1.0, -3.0];
        assert_eq!(det_of(2, &lu, &[2, 2]), 6.0);
        let (s, l) = slogdet_of(2, &lu, &[2, 2]);
        assert_eq!(s, 1.0);
        assert!((l - 6f64.ln()).abs() < 1e-15);
        let (s, l) = slogdet_of(2, &[1.0f64, 0.0, 0.0, 0.0], &[1, 2]);
        assert_eq!((s, l), (0.0, f64::NEG_INFINITY));
        assert_eq!(det_of::<f32>(0, &[], &[]), 1.0);
    }
}
