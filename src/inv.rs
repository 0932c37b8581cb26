//! `inv`: the inverse of every matrix of a stack, through LAPACK getrf + getri.

use ndarray::{Array, ArrayBase, Data, Dimension};

use crate::batch::{run_groups, split_groups, FirstFailure, Plan};
use crate::error::LinAlgError;
use crate::layout::{all_finite, square_stack, Source, Stack};
use crate::scalar::{Element, Scalar};

/// The inverse of `a` in a new standard-layout array; `a` is only read.
pub(crate) fn inv<A, S, D>(a: &ArrayBase<S, D>) -> Result<Array<A::Output, D>, LinAlgError>
where
    A: Element,
    S: Data<Elem = A>,
    D: Dimension,
{
    let stack = square_stack(a.shape())?;
    let mut out = vec![<A::Output as num_traits::Zero>::zero(); stack.count * stack.matrix_len()];
    if !stack.is_empty() {
        let source = Source::new(a.view().into_dyn());
        invert_stack(&stack, &mut out, &|i, slot: &mut [A::Output]| {
            source.load(&stack, i, slot, true)
        })?;
    }
    Ok(Array::from_shape_vec(a.raw_dim(), out)
        .expect("the output holds one element per input element"))
}

/// The inverse of `a`, computed in `a`'s own buffer when it is in standard layout
/// (else as [`inv`]). On error the array is dropped.
pub(crate) fn inv_into<T, D>(a: Array<T, D>) -> Result<Array<T, D>, LinAlgError>
where
    T: Scalar,
    D: Dimension,
{
    if !a.is_standard_layout() {
        return inv(&a);
    }
    let stack = square_stack(a.shape())?;
    let shape = a.raw_dim();
    let (mut data, offset) = a.into_raw_vec_and_offset();
    // A standard-layout owned array starts at its buffer's first element unless it
    // was sliced; then its elements are a contiguous run further on.
    let start = offset.unwrap_or(0);
    let len = stack.count * stack.matrix_len();
    if !stack.is_empty() {
        let buf = &mut data[start..start + len];
        invert_stack(&stack, buf, &|_, slot: &mut [T]| all_finite(slot))?;
    }
    if start != 0 || data.len() != len {
        data.drain(..start);
        data.truncate(len);
    }
    Ok(Array::from_shape_vec(shape, data).expect("the buffer holds the whole stack"))
}

/// Inverts the `stack.count` matrices of `buf` (C order, one after another) in place.
///
/// `load(i, slot)` fills slot `i` (or leaves it, for in-place work) and says whether
/// its values are finite. The first failing matrix in C order is the error reported.
pub(crate) fn invert_stack<T: Scalar>(
    stack: &Stack,
    buf: &mut [T],
    load: &(dyn Fn(usize, &mut [T]) -> bool + Sync),
) -> Result<(), LinAlgError> {
    let n = stack.n;
    let nn = stack.matrix_len();
    // One workspace query per call, not per matrix.
    let lwork = T::getri_lwork(n)?;
    let plan = Plan::new(stack.count, n);
    let first = FirstFailure::new();
    run_groups(
        split_groups(buf, nn, plan.group_len),
        plan.parallel,
        |(start, part): (usize, &mut [T])| {
            let mut ipiv = vec![0; n];
            let mut work = vec![T::zero(); lwork];
            for (k, slot) in part.chunks_exact_mut(nn).enumerate() {
                let i = start + k;
                if first.is_past(i) {
                    break;
                }
                let result = if load(i, slot) {
                    T::getrf(n, slot, &mut ipiv).and_then(|()| T::getri(n, slot, &ipiv, &mut work))
                } else {
                    Err(LinAlgError::NonFinite { batch: Vec::new() })
                };
                if let Err(e) = result {
                    first.record(i, e);
                    break;
                }
            }
        },
    );
    match first.into_first() {
        None => Ok(()),
        Some((i, e)) => Err(e.at_batch(stack.batch_index(i))),
    }
}
