//! `solve`: `A X = B` for every matrix of a stack, through LAPACK getrf + getrs
//! (never `inv(A)·B`), with NumPy 2's broadcasting rule.
//!
//! Shapes (NumPy 2): `a` is `(..., M, M)`. A 1-D `b` is one vector `(M,)` and the
//! result is `(..., M)`; otherwise `b` is `(..., M, K)`, its batch axes broadcast
//! against `a`'s, and the result is `(broadcast..., M, K)`.
//!
//! Layout: each `a` is copied once in C order (the copy that also checks for NaN and
//! inf), which LAPACK, being column-major, reads as `Aᵀ`. getrf factors `Aᵀ` and
//! getrs with the transpose flag then solves `(Aᵀ)ᵀ X = A X = B`: no transpose copy
//! of `a`. getrs wants `B` column-major, so each right-hand side is copied into a
//! column-major work buffer (straight into the output slot when `K = 1`) and the
//! solution is written back in C order.
//!
//! When `a`'s batch is broadcast (e.g. one `(M, M)` matrix against a stack of
//! right-hand sides), each distinct `a` is factored once and its factors are reused.

use ndarray::{
    Array, ArrayBase, ArrayView2, ArrayViewD, ArrayViewMut2, Axis, Data, Dimension, Ix1, Ix2, Ix3,
    Ix4, Ix5, Ix6, IxDyn, ShapeBuilder, Zip,
};

use crate::allclose::co_broadcast;
use crate::batch::{split_fresh, FirstFailure, Plan};
use crate::error::LinAlgError;
use crate::lapack::pages::FreshPart;
use crate::lapack::{lapack_int, Lapack, LapackInt, Transpose};
use crate::layout::{copy_probed, fresh_output, square_stack, unravel, Source, Stack};
use crate::lu::{factor_stack, OnFailure};
use crate::scalar::{Element, Scalar};

mod sealed {
    pub trait Sealed<Rhs> {}
}

/// The dimension type of `solve`'s result, from the dimension types of `a`
/// (`Self`) and `b` (`Rhs`), following NumPy 2's rule.
///
/// | `a` | `b` | result |
/// |---|---|---|
/// | `Ix(p)`, p ≥ 2 | `Ix1` (one vector) | `Ix(p − 1)` |
/// | `Ix(p)`, p ≥ 2 | `Ix(q)`, q ≥ 2 (a stack of matrices) | `Ix(max(p, q))` |
/// | `IxDyn` or any | `IxDyn` or any | `IxDyn` when either is `IxDyn` |
///
/// Implemented for `Ix2..=Ix6` and `IxDyn` as `a`, `Ix1..=Ix6` and `IxDyn` as `b`.
/// A 1-D `a` has no implementation (it cannot be a matrix); an `IxDyn` array with
/// fewer than 2 axes is reported at run time. Sealed.
///
/// # Examples
///
/// ```
/// use inv_ext::SolveDim;
/// use ndarray::{Ix1, Ix2, Ix3, IxDyn};
///
/// fn result_ndim<Da: SolveDim<Db>, Db: ndarray::Dimension>() -> Option<usize> {
///     <Da as SolveDim<Db>>::Output::NDIM
/// }
/// use ndarray::Dimension;
/// assert_eq!(result_ndim::<Ix2, Ix1>(), Some(1));
/// assert_eq!(result_ndim::<Ix3, Ix1>(), Some(2));
/// assert_eq!(result_ndim::<Ix2, Ix3>(), Some(3));
/// assert_eq!(result_ndim::<IxDyn, Ix2>(), None);
/// ```
pub trait SolveDim<Rhs: Dimension>: Dimension + sealed::Sealed<Rhs> {
    /// The dimension type of the solution.
    type Output: Dimension;
}

macro_rules! solve_dim {
    ($a:ty, $b:ty => $out:ty) => {
        impl sealed::Sealed<$b> for $a {}
        impl SolveDim<$b> for $a {
            type Output = $out;
        }
    };
}

// a: Ix(p), b: one vector -> Ix(p - 1).
solve_dim!(Ix2, Ix1 => Ix1);
solve_dim!(Ix3, Ix1 => Ix2);
solve_dim!(Ix4, Ix1 => Ix3);
solve_dim!(Ix5, Ix1 => Ix4);
solve_dim!(Ix6, Ix1 => Ix5);
// a: Ix(p), b: Ix(q) with q >= 2 -> Ix(max(p, q)).
solve_dim!(Ix2, Ix2 => Ix2);
solve_dim!(Ix2, Ix3 => Ix3);
solve_dim!(Ix2, Ix4 => Ix4);
solve_dim!(Ix2, Ix5 => Ix5);
solve_dim!(Ix2, Ix6 => Ix6);
solve_dim!(Ix3, Ix2 => Ix3);
solve_dim!(Ix3, Ix3 => Ix3);
solve_dim!(Ix3, Ix4 => Ix4);
solve_dim!(Ix3, Ix5 => Ix5);
solve_dim!(Ix3, Ix6 => Ix6);
solve_dim!(Ix4, Ix2 => Ix4);
solve_dim!(Ix4, Ix3 => Ix4);
solve_dim!(Ix4, Ix4 => Ix4);
solve_dim!(Ix4, Ix5 => Ix5);
solve_dim!(Ix4, Ix6 => Ix6);
solve_dim!(Ix5, Ix2 => Ix5);
solve_dim!(Ix5, Ix3 => Ix5);
solve_dim!(Ix5, Ix4 => Ix5);
solve_dim!(Ix5, Ix5 => Ix5);
solve_dim!(Ix5, Ix6 => Ix6);
solve_dim!(Ix6, Ix2 => Ix6);
solve_dim!(Ix6, Ix3 => Ix6);
solve_dim!(Ix6, Ix4 => Ix6);
solve_dim!(Ix6, Ix5 => Ix6);
solve_dim!(Ix6, Ix6 => Ix6);
// Anything dynamic -> IxDyn (the rule is applied at run time).
solve_dim!(IxDyn, IxDyn => IxDyn);
solve_dim!(IxDyn, Ix1 => IxDyn);
solve_dim!(IxDyn, Ix2 => IxDyn);
solve_dim!(IxDyn, Ix3 => IxDyn);
solve_dim!(IxDyn, Ix4 => IxDyn);
solve_dim!(IxDyn, Ix5 => IxDyn);
solve_dim!(IxDyn, Ix6 => IxDyn);
solve_dim!(Ix2, IxDyn => IxDyn);
solve_dim!(Ix3, IxDyn => IxDyn);
solve_dim!(Ix4, IxDyn => IxDyn);
solve_dim!(Ix5, IxDyn => IxDyn);
solve_dim!(Ix6, IxDyn => IxDyn);

/// The shapes of one solve: `a`'s stack, `b`'s batch, the broadcast batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SolveShape {
    /// `a` as a stack of `n×n` matrices.
    pub a: Stack,
    /// `b`'s batch axes (empty for a vector or a 2-D `b`).
    pub b_batch: Vec<usize>,
    /// The broadcast batch axes of the result.
    pub batch: Vec<usize>,
    /// Right-hand sides per system (1 for a vector `b`).
    pub k: usize,
    /// Whether `b` is one vector (the result has no `K` axis).
    pub vector: bool,
    /// Systems to solve: the product of `batch`.
    pub count: usize,
    /// Elements of the result: `count · n · k`.
    pub len: usize,
}

impl SolveShape {
    /// Applies NumPy 2's rule to the shapes of `a` and `b`.
    ///
    /// # Errors
    /// `a`'s shape errors (as `inv`), then [`LinAlgError::ShapeMismatch`] when `b`
    /// is 0-D, its `M` differs from `a`'s, or the batch axes do not broadcast;
    /// [`LinAlgError::TooLarge`] when `K` does not fit LAPACK's integer and
    /// [`LinAlgError::OutOfMemory`] when the result's size overflows `usize`
    /// (broadcast views can describe more than memory holds).
    pub fn new(a_shape: &[usize], b_shape: &[usize]) -> Result<Self, LinAlgError> {
        let a = square_stack(a_shape)?;
        let n = a.n;
        let mismatch = |reason: String| LinAlgError::ShapeMismatch {
            left: a_shape.to_vec(),
            right: b_shape.to_vec(),
            reason,
        };
        let (m, k, b_batch, vector) = match *b_shape {
            [] => {
                return Err(mismatch(
                    "b is 0-dimensional, it must have at least 1 axis".into(),
                ))
            }
            [m] => (m, 1, Vec::new(), true),
            [.., m, k] => (m, k, b_shape[..b_shape.len() - 2].to_vec(), false),
        };
        if m != n {
            return Err(mismatch(format!(
                "a holds {n}x{n} matrices, so b needs {n} rows, not {m}"
            )));
        }
        let batch = co_broadcast(&a.batch, &b_batch).ok_or_else(|| {
            mismatch(format!(
                "batch axes {:?} and {:?} do not broadcast",
                a.batch, b_batch
            ))
        })?;
        lapack_int(k, "nrhs")?;
        let too_big = LinAlgError::OutOfMemory { bytes: usize::MAX };
        let count = batch
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or(too_big.clone())?;
        let len = count
            .checked_mul(n)
            .and_then(|v| v.checked_mul(k))
            .ok_or(too_big)?;
        Ok(SolveShape {
            a,
            b_batch,
            batch,
            k,
            vector,
            count,
            len,
        })
    }

    /// The result's shape: `(batch..., n)` for a vector `b`, else `(batch..., n, k)`.
    pub fn out_shape(&self) -> Vec<usize> {
        let mut shape = self.batch.clone();
        shape.push(self.a.n);
        if !self.vector {
            shape.push(self.k);
        }
        shape
    }

    /// Elements of one solution.
    fn slot_len(&self) -> usize {
        self.a.n * self.k
    }

    /// Whether there is nothing to compute.
    fn is_empty(&self) -> bool {
        self.count == 0 || self.a.n == 0 || self.k == 0
    }

    /// Whether `b` has no columns (`K = 0`) but there are matrices to check: NumPy
    /// still reports a singular `a` then.
    fn needs_a_check(&self) -> bool {
        self.k == 0 && self.count > 0 && self.a.n > 0
    }

    /// The broadcast batch index of the first system (C order) that uses matrix
    /// `j` of `a`: `a`'s multi-index, right-aligned, zeros elsewhere.
    fn first_system_using(&self, j: usize) -> Vec<usize> {
        let a_index = unravel(j, &self.a.batch);
        let mut index = vec![0; self.batch.len() - a_index.len()];
        index.extend(a_index);
        index
    }

    /// The flat index into `a`'s batch of the matrix system `i` uses.
    pub fn a_index(&self, i: usize) -> usize {
        if self.a.batch == self.batch {
            i
        } else if self.a.count == 1 {
            0
        } else {
            ravel(&source_index(i, &self.batch, &self.a.batch), &self.a.batch)
        }
    }

    /// The flat index into `b`'s batch of the right-hand side system `i` uses.
    fn b_flat(&self, i: usize) -> usize {
        if self.b_batch == self.batch {
            i
        } else {
            ravel(&self.b_index(i), &self.b_batch)
        }
    }

    /// The multi-index into `b`'s batch of the right-hand side system `i` uses.
    fn b_index(&self, i: usize) -> Vec<usize> {
        source_index(i, &self.batch, &self.b_batch)
    }
}

/// The multi-index into `src` (right-aligned, broadcast against `out`) of flat
/// position `i` of `out`.
fn source_index(i: usize, out: &[usize], src: &[usize]) -> Vec<usize> {
    let idx = unravel(i, out);
    let off = out.len() - src.len();
    src.iter()
        .enumerate()
        .map(|(axis, &len)| if len == 1 { 0 } else { idx[off + axis] })
        .collect()
}

/// The flat C-order position of multi-index `idx` in `shape`.
fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter()
        .zip(shape)
        .fold(0, |flat, (&i, &len)| flat * len + i)
}

/// Where the right-hand sides are read from: `b` seen as `(b_batch..., n, k)`.
pub(crate) enum Rhs<'a, B> {
    /// Standard layout: right-hand side `j` is `data[j*n*k..(j+1)*n*k]`, row major.
    Contiguous(&'a [B]),
    /// Any other layout, reached through the batch multi-index.
    Strided(ArrayViewD<'a, B>),
}

impl<'a, B: Element> Rhs<'a, B> {
    /// Reads `b`; a vector `b` is seen as one `n×1` matrix.
    pub fn new(b: ArrayViewD<'a, B>, shape: &SolveShape) -> Self {
        let b = if shape.vector {
            b.insert_axis(Axis(1))
        } else {
            b
        };
        match b.to_slice() {
            Some(data) if b.is_standard_layout() => Rhs::Contiguous(data),
            _ => Rhs::Strided(b),
        }
    }

    /// Copies the right-hand side of system `i` into `dst`, column major (`n×k`,
    /// leading dimension `n`), promoting integers. Returns `false` when a value is
    /// NaN or infinite.
    fn load(&self, shape: &SolveShape, i: usize, dst: &mut [B::Output]) -> bool {
        let (n, k) = (shape.a.n, shape.k);
        let mut probe = <<B::Output as Scalar>::Real as num_traits::Zero>::zero();
        match self {
            Rhs::Contiguous(data) => {
                let j = shape.b_flat(i);
                let src = &data[j * n * k..(j + 1) * n * k];
                if k == 1 {
                    probe = copy_probed(dst, src);
                } else {
                    for (r, row) in src.chunks_exact(k).enumerate() {
                        for (c, &s) in row.iter().enumerate() {
                            let v = s.promote();
                            probe = probe + v.finite_probe();
                            dst[r + c * n] = v;
                        }
                    }
                }
            }
            Rhs::Strided(view) => {
                let mut m = view.view();
                for ix in shape.b_index(i) {
                    m.index_axis_inplace(Axis(0), ix);
                }
                let m: ArrayView2<B> = m.into_dimensionality().expect("b's systems are 2-D");
                let d = ArrayViewMut2::from_shape((n, k).f(), dst)
                    .expect("the work buffer holds n*k elements");
                Zip::from(d).and(m).for_each(|d, &s| {
                    let v = s.promote();
                    probe = probe + v.finite_probe();
                    *d = v;
                });
            }
        }
        probe == num_traits::Zero::zero()
    }
}

/// One system's work: `(i, output slot, scratch) -> result`.
type System<'a, T> =
    dyn Fn(usize, &mut [T], &mut Scratch<T>) -> Result<(), LinAlgError> + Sync + 'a;

/// Per-worker buffers.
struct Scratch<T> {
    /// One `n×n` matrix and its pivots (fused path only).
    lu: Vec<T>,
    ipiv: Vec<LapackInt>,
    /// One column-major `n×k` right-hand side (unused when `k = 1`).
    work: Vec<T>,
}

/// `A X = B` for every system: `a`'s and `b`'s batches broadcast (NumPy 2).
pub(crate) fn solve<A, S, Da, S2, Db>(
    a: &ArrayBase<S, Da>,
    b: &ArrayBase<S2, Db>,
) -> Result<Array<A::Output, <Da as SolveDim<Db>>::Output>, LinAlgError>
where
    A: Element,
    S: Data<Elem = A>,
    Da: SolveDim<Db>,
    S2: Data,
    S2::Elem: Element<Output = A::Output>,
    Db: Dimension,
{
    let shape = SolveShape::new(a.shape(), b.shape())?;
    let source = Source::new(a.view().into_dyn());
    let out = if shape.is_empty() {
        if shape.needs_a_check() {
            // As NumPy: no columns to solve for, but a bad `a` is still an error.
            let factored = factor_stack(&shape.a, &source, true, false, OnFailure::Discard)?;
            if let Some((j, e)) = factored.failure {
                return Err(e.at_batch(shape.first_system_using(j)));
            }
        }
        zeros(&shape)
    } else {
        let rhs = Rhs::new(b.view().into_dyn(), &shape);
        if shape.a.count == shape.count {
            solve_fused(&shape, &source, &rhs)?
        } else {
            // `a` is broadcast: factor each distinct matrix once. Past the first
            // matrix that fails, factors may be missing, but every system using
            // such a matrix comes after the first system that uses the failing
            // one (broadcasting keeps C order), so that failure is the one reported.
            let factored = factor_stack(&shape.a, &source, true, false, OnFailure::KeepEarlier)?;
            let failed = |j: usize| match &factored.failure {
                Some((first, e)) if j >= *first => Some(e.clone()),
                _ => None,
            };
            solve_factored(&shape, &factored.factors, &factored.ipiv, &failed, &rhs)?
        }
    };
    Ok(into_result(&shape, out))
}

/// A result of the right shape holding no work (an empty batch, `n = 0` or `k = 0`).
pub(crate) fn zeros<T: Scalar>(shape: &SolveShape) -> Vec<T> {
    debug_assert_eq!(shape.len, 0);
    Vec::new()
}

/// The solutions as an array of `a`'s and `b`'s combined dimension type.
pub(crate) fn into_result<T, D: Dimension>(shape: &SolveShape, out: Vec<T>) -> Array<T, D> {
    Array::from_shape_vec(IxDyn(&shape.out_shape()), out)
        .expect("one solution per system")
        .into_dimensionality()
        .expect("SolveDim gives the result's number of axes")
}

/// Factors and solves system by system (no broadcast `a`): per worker one `n×n`
/// scratch matrix, no stack-sized buffer besides the result.
fn solve_fused<A, B>(
    shape: &SolveShape,
    source: &Source<A>,
    rhs: &Rhs<B>,
) -> Result<Vec<A::Output>, LinAlgError>
where
    A: Element,
    B: Element<Output = A::Output>,
{
    let n = shape.a.n;
    for_each_system(shape, true, &|i, slot, scratch| {
        if !source.load(&shape.a, i, &mut scratch.lu, true) {
            return Err(LinAlgError::NonFinite { batch: Vec::new() });
        }
        <A::Output as Lapack>::getrf(n, &mut scratch.lu, &mut scratch.ipiv)?;
        let Scratch { lu, ipiv, work } = scratch;
        solve_one(shape, lu, ipiv, rhs, i, slot, work)
    })
}

/// Solves every system with factors computed beforehand: `factors` and `ipiv` hold
/// the getrf output of each matrix of `a`'s stack (C-order copies), `failed(j)`
/// says whether matrix `j` of `a` cannot be used and why.
pub(crate) fn solve_factored<T, B>(
    shape: &SolveShape,
    factors: &[T],
    ipiv: &[LapackInt],
    failed: &(dyn Fn(usize) -> Option<LinAlgError> + Sync),
    rhs: &Rhs<B>,
) -> Result<Vec<T>, LinAlgError>
where
    T: Scalar,
    B: Element<Output = T>,
{
    let n = shape.a.n;
    let nn = shape.a.matrix_len();
    if shape.is_empty() {
        if shape.needs_a_check() {
            if let Some((j, e)) = (0..shape.a.count).find_map(|j| failed(j).map(|e| (j, e))) {
                return Err(e.at_batch(shape.first_system_using(j)));
            }
        }
        return Ok(zeros(shape));
    }
    for_each_system(shape, false, &|i, slot, scratch| {
        let j = shape.a_index(i);
        if let Some(e) = failed(j) {
            return Err(e);
        }
        let lu = &factors[j * nn..(j + 1) * nn];
        let piv = &ipiv[j * n..(j + 1) * n];
        solve_one(shape, lu, piv, rhs, i, slot, &mut scratch.work)
    })
}

/// Loads system `i`'s right-hand side and solves it with the LU factors of `Aᵀ`,
/// leaving the solution in `slot` in C order.
fn solve_one<T, B>(
    shape: &SolveShape,
    lu: &[T],
    ipiv: &[LapackInt],
    rhs: &Rhs<B>,
    i: usize,
    slot: &mut [T],
    work: &mut [T],
) -> Result<(), LinAlgError>
where
    T: Scalar,
    B: Element<Output = T>,
{
    let (n, k) = (shape.a.n, shape.k);
    if k == 1 {
        // n×1 is the same in either order: solve in the output slot.
        if !rhs.load(shape, i, slot) {
            return Err(LinAlgError::NonFinite { batch: Vec::new() });
        }
        return T::getrs(Transpose::Yes, n, 1, lu, ipiv, slot);
    }
    if !rhs.load(shape, i, work) {
        return Err(LinAlgError::NonFinite { batch: Vec::new() });
    }
    T::getrs(Transpose::Yes, n, k, lu, ipiv, work)?;
    for (r, row) in slot.chunks_exact_mut(k).enumerate() {
        for (c, x) in row.iter_mut().enumerate() {
            *x = work[r + c * n];
        }
    }
    Ok(())
}

/// Runs `system(i, slot, scratch)` for every system into a fresh result buffer,
/// over worker threads as planned; the first failure in C order is returned, with
/// its multi-index in the broadcast batch.
fn for_each_system<T: Scalar>(
    shape: &SolveShape,
    factor_here: bool,
    system: &System<T>,
) -> Result<Vec<T>, LinAlgError> {
    let n = shape.a.n;
    let len = shape.slot_len();
    // Written only by the workers, slot by slot (see `lapack::pages::Fresh`).
    let mut out = fresh_output::<T>(shape.len)?;
    let plan = Plan::new(shape.count, n).with_rhs(n, shape.k);
    let first = FirstFailure::new();
    let groups = split_fresh(&mut out, len, plan.group_len);
    plan.run(groups, |(start, mut part): (usize, FreshPart<'_, T>)| {
        let mut scratch = Scratch {
            lu: if factor_here {
                vec![T::zero(); n * n]
            } else {
                Vec::new()
            },
            ipiv: vec![0; if factor_here { n } else { 0 }],
            work: vec![T::zero(); if shape.k > 1 { len } else { 0 }],
        };
        for i in start.. {
            if part.len() == 0 || first.is_past(i) {
                break;
            }
            if let Err(e) = system(i, part.take(len), &mut scratch) {
                first.record(i, e);
                break;
            }
        }
        // The solutions are discarded after a failure: the rest of the part
        // need not be written.
        if first.stopped() {
            part.abandon();
        }
    });
    match first.into_first() {
        None => Ok(out.finish().expect("only a failure abandons the output")),
        Some((i, e)) => Err(e.at_batch(unravel(i, &shape.batch))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(a: &[usize], b: &[usize]) -> Result<SolveShape, LinAlgError> {
        SolveShape::new(a, b)
    }

    #[test]
    fn numpy2_shape_rule() {
        let s = shape(&[3, 3], &[3]).unwrap();
        assert_eq!(s.out_shape(), vec![3]);
        let s = shape(&[4, 3, 3], &[3]).unwrap();
        assert_eq!(s.out_shape(), vec![4, 3]);
        // A 2-D b is a matrix even against a stack.
        let s = shape(&[4, 3, 3], &[3, 2]).unwrap();
        assert_eq!(s.out_shape(), vec![4, 3, 2]);
        let s = shape(&[2, 1, 3, 3], &[5, 3, 1]).unwrap();
        assert_eq!(s.out_shape(), vec![2, 5, 3, 1]);
        assert_eq!(s.count, 10);
        assert!(matches!(
            shape(&[4, 3, 3], &[4]),
            Err(LinAlgError::ShapeMismatch { .. })
        ));
        assert!(matches!(
            shape(&[4, 3, 3], &[2, 3, 1]),
            Err(LinAlgError::ShapeMismatch { .. })
        ));
        assert_eq!(
            shape(&[3, 2], &[3]),
            Err(LinAlgError::NotSquare { rows: 3, cols: 2 })
        );
    }

    #[test]
    fn broadcast_indices_follow_c_order() {
        let s = shape(&[1, 3, 2, 2], &[2, 1, 2, 1]).unwrap();
        assert_eq!(s.batch, vec![2, 3]);
        let a: Vec<usize> = (0..6).map(|i| s.a_index(i)).collect();
        assert_eq!(a, vec![0, 1, 2, 0, 1, 2]);
        let b: Vec<Vec<usize>> = (0..6).map(|i| s.b_index(i)).collect();
        assert_eq!(b[4], vec![1, 0]);
        assert_eq!(ravel(&[1, 2], &[2, 3]), 5);
        // The first system using a[j] puts a's index right-aligned, zeros elsewhere.
        for j in 0..3 {
            let first = s.first_system_using(j);
            let i = ravel(&first, &s.batch);
            assert_eq!(s.a_index(i), j);
            assert!((0..i).all(|k| s.a_index(k) != j));
        }
    }
}
