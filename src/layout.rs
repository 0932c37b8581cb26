//! Shapes and memory layouts: the square-stack check, batch multi-indices, and the
//! one copy of each input matrix into its C-order output slot.
//!
//! LAPACK is column-major. A matrix stored in C order and handed to LAPACK as is,
//! is its transpose, and `inv(Aᵀ) = inv(A)ᵀ`: inverting the C-order slot as a
//! column-major matrix leaves `inv(A)` in C order, with no transpose anywhere.

use std::mem::MaybeUninit;

use ndarray::{ArrayView2, ArrayViewD, ArrayViewMut2, Axis, Zip};

use crate::error::LinAlgError;
use crate::lapack::pages::Fresh;
use crate::lapack::{lapack_int, LAPACK_INT_MAX};
use crate::scalar::{Element, Scalar};

/// The shape of a stack of square matrices: `(batch..., n, n)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stack {
    /// The batch axes (empty for one 2-D matrix).
    pub batch: Vec<usize>,
    /// The order of each matrix.
    pub n: usize,
    /// How many matrices: the product of `batch`.
    pub count: usize,
}

impl Stack {
    /// Elements in one matrix.
    pub fn matrix_len(&self) -> usize {
        self.n * self.n
    }

    /// Whether there is nothing to compute (no matrices, or 0×0 ones).
    pub fn is_empty(&self) -> bool {
        self.count == 0 || self.n == 0
    }

    /// The batch multi-index (C order) of matrix number `flat`.
    pub fn batch_index(&self, flat: usize) -> Vec<usize> {
        unravel(flat, &self.batch)
    }
}

/// Checks that `shape` is a stack of square matrices LAPACK can take, before
/// anything is allocated.
///
/// # Errors
/// [`LinAlgError::NotEnoughDimensions`] below two axes, [`LinAlgError::NotSquare`]
/// when the last two differ (even for an empty batch), [`LinAlgError::TooLarge`]
/// when `n` does not fit LAPACK's 32-bit integer.
pub(crate) fn square_stack(shape: &[usize]) -> Result<Stack, LinAlgError> {
    let ndim = shape.len();
    if ndim < 2 {
        return Err(LinAlgError::NotEnoughDimensions { ndim });
    }
    let (rows, cols) = (shape[ndim - 2], shape[ndim - 1]);
    if rows != cols {
        return Err(LinAlgError::NotSquare { rows, cols });
    }
    let batch = shape[..ndim - 2].to_vec();
    // Any array's element count fits isize, so its batch count does too.
    let count: usize = batch.iter().product();
    if count > 0 {
        // An empty batch returns at once, whatever n: LAPACK never sees it.
        lapack_int(rows, "n")?;
    }
    if rows > 0 && count > 0 && rows.checked_mul(rows).is_none() {
        return Err(LinAlgError::TooLarge {
            what: "n * n",
            value: rows,
            limit: LAPACK_INT_MAX,
        });
    }
    Ok(Stack {
        batch,
        n: rows,
        count,
    })
}

/// The multi-index of flat position `flat` in C order over `shape`.
pub(crate) fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for (slot, &len) in index.iter_mut().zip(shape).rev() {
        if len > 0 {
            *slot = flat % len;
            flat /= len;
        }
    }
    index
}

/// An element a copy below writes: `T` itself (a slot that already holds
/// values) or `MaybeUninit<T>` (a slot of a fresh output nothing has written
/// yet, so it is not zero-filled first only to be overwritten). Every copy here
/// writes each element of its destination exactly once, whatever it returns.
pub(crate) trait Writable<T>: Sized {
    /// Stores `v`.
    fn set(&mut self, v: T);
}

impl<T> Writable<T> for T {
    #[inline(always)]
    fn set(&mut self, v: T) {
        *self = v;
    }
}

impl<T> Writable<T> for MaybeUninit<T> {
    #[inline(always)]
    fn set(&mut self, v: T) {
        self.write(v);
    }
}

/// Where the input matrices are read from.
pub(crate) enum Source<'a, A> {
    /// Standard (C-contiguous) layout: matrix `i` is `data[i*n*n..(i+1)*n*n]`.
    Contiguous(&'a [A]),
    /// Any other layout (F order, strides, negative strides, permuted axes,
    /// broadcast): matrix `i` is located through its batch multi-index.
    Strided(ArrayViewD<'a, A>),
}

impl<'a, A: Element> Source<'a, A> {
    /// Picks the fastest way to read `view`.
    pub fn new(view: ArrayViewD<'a, A>) -> Self {
        if view.is_standard_layout() {
            match view.to_slice() {
                Some(data) => Source::Contiguous(data),
                None => Source::Strided(view),
            }
        } else {
            Source::Strided(view)
        }
    }

    /// Copies matrix `i` into `dst` (C order, `n*n` elements), promoting integers;
    /// every element of `dst` is written, whatever the result. Returns `false`
    /// when `check_finite` and a value is NaN or infinite (the check is fused
    /// into the copy: one pass over the data).
    pub fn load<W: Writable<A::Output> + Send>(
        &self,
        stack: &Stack,
        i: usize,
        dst: &mut [W],
        check_finite: bool,
    ) -> bool {
        self.load_in_bands(stack, i, dst, check_finite, 1)
    }

    /// Like [`load`](Self::load), the copy split into `bands` bands of rows run
    /// on rayon's pool when the matrix has at least [`BANDED_COPY_MIN`]
    /// elements: one large matrix is copied by all cores, as the vendor then
    /// factors it on all cores.
    pub fn load_in_bands<W: Writable<A::Output> + Send>(
        &self,
        stack: &Stack,
        i: usize,
        dst: &mut [W],
        check_finite: bool,
        bands: usize,
    ) -> bool {
        let (n, nn) = (stack.n, stack.matrix_len());
        assert_eq!(dst.len(), nn, "an output slot holds n*n elements");
        let check = check_finite && A::CAN_BE_NONFINITE;
        let bands = if nn >= BANDED_COPY_MIN { bands } else { 1 };
        let probe = match self {
            Source::Contiguous(data) => {
                let src = &data[i * nn..(i + 1) * nn];
                by_bands(dst, n, bands, |d, rows| {
                    let s = &src[rows.start * n..rows.end * n];
                    if check {
                        copy_probed(d, s)
                    } else {
                        for (d, &s) in d.iter_mut().zip(s) {
                            d.set(s.promote());
                        }
                        num_traits::Zero::zero()
                    }
                })
            }
            Source::Strided(view) => {
                let mut m = view.view();
                for &ix in stack.batch_index(i).iter() {
                    m.index_axis_inplace(Axis(0), ix);
                }
                let m: ArrayView2<A> = m.into_dimensionality().expect("a stack's matrices are 2-D");
                by_bands(dst, n, bands, |d, rows| {
                    let d = ArrayViewMut2::from_shape((rows.len(), n), d)
                        .expect("a band holds whole rows");
                    // One band (every matrix below BANDED_COPY_MIN) is the
                    // whole matrix: no slicing per matrix in a batch.
                    let band = if rows.len() == n {
                        m.view()
                    } else {
                        m.slice(ndarray::s![rows, ..])
                    };
                    copy_matrix(band, d, check)
                })
            }
        };
        probe == num_traits::Zero::zero()
    }
}

/// Elements from which [`Source::load_in_bands`] splits the copy of one
/// matrix: 512×512 (2 MiB of `f64`). Measured on a 2-core Zen 3 with the
/// Debian OpenBLAS (`vendor-bench --overhead`, interleaved pairs, median of
/// inv / raw getrf+getri, two rounds, one band against two): F-order input at
/// n = 512 1.052/1.042 → 1.032/1.031, at 1024 1.036/1.042 → 1.006/1.021;
/// C order unchanged (1.016–1.021 at 512, 0.98–1.01 at 1024). At n = 256 two
/// bands cost more than they saved (C 1.014–1.026 → 1.045–1.064): rayon's
/// workers and the vendor's threads then wake and spin on the same two cores
/// for a copy of tens of microseconds.
pub(crate) const BANDED_COPY_MIN: usize = 512 * 512;

/// `copy(band, rows)` on `bands` bands of whole rows of the C-order `n`-column
/// `dst` (each band gets its rows of `dst` and their indices), in parallel on
/// rayon's pool when `bands > 1`; returns the sum of the bands' probes.
fn by_bands<W, R, F>(dst: &mut [W], n: usize, bands: usize, copy: F) -> R
where
    W: Send,
    R: Send + num_traits::Zero,
    F: Fn(&mut [W], std::ops::Range<usize>) -> R + Sync,
{
    use rayon::prelude::*;
    let rows = dst.len().checked_div(n).unwrap_or(0);
    if bands <= 1 || rows < 2 {
        return copy(dst, 0..rows);
    }
    let band = rows.div_ceil(bands);
    dst.par_chunks_mut(band * n)
        .enumerate()
        .map(|(b, d)| {
            let first = b * band;
            copy(d, first..first + d.len() / n)
        })
        .reduce(R::zero, |a, b| a + b)
}

/// Tile edge for copies whose source and destination orders differ.
const TILE: usize = 32;

/// Copies `src` into `dst` element by element, in tiles when the source is not row
/// major (so a transposing copy stays in cache); returns the summed finite probe.
fn copy_matrix<A: Element, W: Writable<A::Output>>(
    src: ArrayView2<A>,
    mut dst: ArrayViewMut2<W>,
    check: bool,
) -> <A::Output as Scalar>::Real {
    if columns_contiguous(&src) {
        return copy_column_major(src, dst, check);
    }
    let mut probe = <<A::Output as Scalar>::Real as num_traits::Zero>::zero();
    let (nrows, ncols) = src.dim();
    let row_major = src.strides()[1].unsigned_abs() <= src.strides()[0].unsigned_abs();
    let tile = if row_major || nrows.max(ncols) <= TILE {
        nrows.max(ncols).max(1)
    } else {
        TILE
    };
    for r0 in (0..nrows).step_by(tile) {
        for c0 in (0..ncols).step_by(tile) {
            let rows = r0..(r0 + tile).min(nrows);
            let cols = c0..(c0 + tile).min(ncols);
            let s = src.slice(ndarray::s![rows.clone(), cols.clone()]);
            let d = dst.slice_mut(ndarray::s![rows, cols]);
            if check {
                Zip::from(d).and(s).for_each(|d, &s| {
                    let v = s.promote();
                    probe = probe + v.finite_probe();
                    d.set(v);
                });
            } else {
                Zip::from(d).and(s).for_each(|d, &s| d.set(s.promote()));
            }
        }
    }
    probe
}

/// Whether every column of `src` is a contiguous slice (unit row stride).
fn columns_contiguous<A>(src: &ArrayView2<A>) -> bool {
    src.ncols() > 0 && src.column(0).to_slice().is_some()
}

/// Columns transposed together by [`copy_column_major`]: one 64-byte line of an
/// `f64` output row per source row.
const STRIP: usize = 8;

/// The transposing copy of a column-major `src` (F order, or any source whose
/// columns are contiguous) into the C-order `dst`: [`STRIP`] source columns are
/// read side by side as sequential streams and each output row gets one
/// contiguous run of `STRIP` values. Square tiles, the general path, suffer
/// cache-set and TLB conflicts when `n` is a power of two (every row and column
/// then starts at the same offset modulo 4 KiB): measured 2.4× faster than 32×32
/// tiles at n = 1024 and 1.5× at 2048.
fn copy_column_major<A: Element, W: Writable<A::Output>>(
    src: ArrayView2<A>,
    mut dst: ArrayViewMut2<W>,
    check: bool,
) -> <A::Output as Scalar>::Real {
    let mut probe = <<A::Output as Scalar>::Real as num_traits::Zero>::zero();
    let n = src.ncols();
    let dst = dst
        .as_slice_mut()
        .expect("an output slot (or a band of its rows) is C-order");
    let column = |c: usize| {
        src.column(c)
            .to_slice()
            .expect("the columns were checked to be contiguous")
    };
    let mut c0 = 0;
    while c0 < n {
        let width = STRIP.min(n - c0);
        if width == STRIP {
            let cols: [&[A]; STRIP] = std::array::from_fn(|k| column(c0 + k));
            // One partial probe per column: independent additions (see
            // `PROBE_LANES`).
            let mut acc = [<<A::Output as Scalar>::Real as num_traits::Zero>::zero(); STRIP];
            for (r, row) in dst.chunks_exact_mut(n).enumerate() {
                for ((d, col), acc) in row[c0..c0 + STRIP].iter_mut().zip(&cols).zip(&mut acc) {
                    let v = col[r].promote();
                    if check {
                        *acc = *acc + v.finite_probe();
                    }
                    d.set(v);
                }
            }
            probe = acc.into_iter().fold(probe, |a, b| a + b);
        } else {
            for c in c0..n {
                for (row, &s) in dst.chunks_exact_mut(n).zip(column(c)) {
                    let v = s.promote();
                    if check {
                        probe = probe + v.finite_probe();
                    }
                    row[c].set(v);
                }
            }
        }
        c0 += width;
    }
    probe
}

/// A [`Fresh`] buffer of `len` elements for a result (nothing written yet), or
/// [`LinAlgError::OutOfMemory`] instead of aborting when the system cannot
/// provide it (a broadcast view can describe far more than memory holds).
///
/// Every result buffer is one: its pages are first touched by the workers that
/// compute its parts, never on the calling thread. `calloc` would need no
/// write for memory it maps fresh, but an allocator that recycles memory
/// (glibc for chunks under 32 MiB, mimalloc at every size) zeroes a recycled
/// chunk with one `memset` on the calling thread before any worker starts.
pub(crate) fn fresh_output<T: Scalar>(len: usize) -> Result<Fresh<T>, LinAlgError> {
    Fresh::new(len, T::zero()).map_err(|_| LinAlgError::OutOfMemory {
        bytes: len.saturating_mul(std::mem::size_of::<T>()),
    })
}

/// Independent partial sums in the finite probes below. One running sum is a
/// chain of dependent additions (3–4 cycles each, in an order the compiler must
/// keep); eight independent ones vectorise. Measured: the single chain made the
/// finite check 2% of a whole `inv` at n = 256.
const PROBE_LANES: usize = 8;

/// Copies `src` into `dst` (of the same length; promoting integers) and returns
/// the sum of the values' finite probes: zero exactly when every value is finite.
pub(crate) fn copy_probed<A: Element, W: Writable<A::Output>>(
    dst: &mut [W],
    src: &[A],
) -> <A::Output as Scalar>::Real {
    assert_eq!(dst.len(), src.len(), "a copy writes every element");
    let zero = <<A::Output as Scalar>::Real as num_traits::Zero>::zero();
    let mut acc = [zero; PROBE_LANES];
    let mut d = dst.chunks_exact_mut(PROBE_LANES);
    let mut s = src.chunks_exact(PROBE_LANES);
    for (d, s) in (&mut d).zip(&mut s) {
        for ((d, &s), acc) in d.iter_mut().zip(s).zip(&mut acc) {
            let v = s.promote();
            *acc = *acc + v.finite_probe();
            d.set(v);
        }
    }
    for (d, &s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        let v = s.promote();
        acc[0] = acc[0] + v.finite_probe();
        d.set(v);
    }
    acc.into_iter().fold(zero, |a, b| a + b)
}

/// `true` when no element of `data` is NaN or infinite.
pub(crate) fn all_finite<T: Scalar>(data: &[T]) -> bool {
    let zero = <T::Real as num_traits::Zero>::zero();
    let mut acc = [zero; PROBE_LANES];
    let mut chunks = data.chunks_exact(PROBE_LANES);
    for c in &mut chunks {
        for (&v, acc) in c.iter().zip(&mut acc) {
            *acc = *acc + v.finite_probe();
        }
    }
    for &v in chunks.remainder() {
        acc[0] = acc[0] + v.finite_probe();
    }
    acc.into_iter().fold(zero, |a, b| a + b) == zero
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array, ShapeBuilder};

    #[test]
    fn square_stack_checks_in_numpy_order() {
        assert_eq!(
            square_stack(&[3]),
            Err(LinAlgError::NotEnoughDimensions { ndim: 1 })
        );
        assert_eq!(
            square_stack(&[0, 2, 3]),
            Err(LinAlgError::NotSquare { rows: 2, cols: 3 })
        );
        let s = square_stack(&[2, 3, 4, 4]).unwrap();
        assert_eq!((s.batch.clone(), s.n, s.count), (vec![2, 3], 4, 6));
        assert!(matches!(
            square_stack(&[1 << 31, 1 << 31]),
            Err(LinAlgError::TooLarge { what: "n", .. })
        ));
        // An empty batch never reaches LAPACK, so its n is not LAPACK's business.
        assert_eq!(square_stack(&[0, 1 << 31, 1 << 31]).unwrap().count, 0);
    }

    #[test]
    fn impossible_outputs_are_errors_not_aborts() {
        assert!(matches!(
            fresh_output::<f64>(usize::MAX / 4),
            Err(LinAlgError::OutOfMemory { .. })
        ));
        assert!(matches!(
            fresh_output::<f64>(1 << 52),
            Err(LinAlgError::OutOfMemory { .. })
        ));
        // Parts dropped unwritten are zero-filled.
        let mut small = fresh_output::<f32>(3).unwrap();
        drop(small.parts(2));
        assert_eq!(small.finish(), Some(vec![0.0; 3]));
    }

    #[test]
    fn unravel_is_c_order() {
        assert_eq!(unravel(0, &[2, 3]), vec![0, 0]);
        assert_eq!(unravel(4, &[2, 3]), vec![1, 1]);
        assert_eq!(unravel(5, &[2, 3]), vec![1, 2]);
        assert_eq!(unravel(0, &[]), Vec::<usize>::new());
    }

    #[test]
    fn strided_load_equals_contiguous_load() {
        let c = Array::from_shape_fn((3, 40, 40), |(b, i, j)| (b * 1600 + i * 40 + j) as f64);
        let f = {
            let mut f = Array::zeros((3, 40, 40).f());
            f.assign(&c);
            f
        };
        let stack = square_stack(c.shape()).unwrap();
        let (mut a, mut b) = (vec![0.0; 1600], vec![0.0; 1600]);
        for i in 0..3 {
            assert!(Source::new(c.view().into_dyn()).load(&stack, i, &mut a, true));
            assert!(matches!(
                Source::new(f.view().into_dyn()),
                Source::Strided(_)
            ));
            assert!(Source::new(f.view().into_dyn()).load(&stack, i, &mut b, true));
            assert_eq!(a, b);
        }
    }

    /// The copy of one large matrix split into bands of rows: the same values
    /// as one pass for every layout (C, F, column-major, strided, reversed),
    /// every element of a fresh slot written, and a NaN or infinity seen in
    /// any band.
    #[test]
    fn banded_load_equals_one_pass() {
        let n = 512;
        assert!(n * n >= BANDED_COPY_MIN);
        let c = Array::from_shape_fn((n, n), |(i, j)| (i * n + j) as f64 - 1000.5);
        let mut f = Array::zeros((n, n).f());
        f.assign(&c);
        let big = Array::from_shape_fn((n + 3, 2 * n), |(i, j)| (i * 2 * n + j) as f64);
        let layouts = [
            c.view(),
            f.view(),
            c.view().reversed_axes(),
            big.slice(ndarray::s![1..n + 1;1, ..;2]),
            big.slice(ndarray::s![1..n + 1;1, ..;-2]),
        ];
        let stack = square_stack(&[n, n]).unwrap();
        for (k, m) in layouts.iter().enumerate() {
            let src = Source::new(m.view().into_dyn());
            let mut one = vec![0.0; n * n];
            assert!(src.load(&stack, 0, &mut one, true));
            assert_eq!(one, m.iter().copied().collect::<Vec<_>>(), "layout {k}");
            for bands in [2, 3, 7] {
                // Poisoned: an element no band writes stays NaN.
                let mut banded = vec![f64::NAN; n * n];
                assert!(src.load_in_bands(&stack, 0, &mut banded, true, bands));
                assert_eq!(banded, one, "layout {k}, {bands} bands");
            }
        }
        for (k, clean) in [c, f].into_iter().enumerate() {
            for (r, col) in [(0, 0), (n / 2, 7), (n - 1, n - 1)] {
                for bad in [f64::NAN, f64::INFINITY] {
                    let mut m = clean.clone();
                    m[[r, col]] = bad;
                    let src = Source::new(m.view().into_dyn());
                    let mut d = vec![0.0; n * n];
                    let at = format!("layout {k}, ({r}, {col})");
                    assert!(!src.load_in_bands(&stack, 0, &mut d, true, 2), "{at}");
                    assert!(src.load_in_bands(&stack, 0, &mut d, false, 2), "{at}");
                }
            }
        }
    }

    #[test]
    fn column_major_matrices_take_the_strip_copy() {
        for n in (1..=20).chain([33, 64]) {
            let c = Array::from_shape_fn((2, n, n), |(b, i, j)| (b * n * n + i * n + j) as f64);
            // Each matrix column-major (contiguous columns), as `permuted_axes` or
            // a 2-D F-order array gives.
            let t = c.clone().permuted_axes([0, 2, 1]);
            let cm = t.as_standard_layout().permuted_axes([0, 2, 1]);
            assert!(columns_contiguous(&cm.index_axis(Axis(0), 0)));
            let stack = square_stack(cm.shape()).unwrap();
            let mut d = vec![0.0; n * n];
            for i in 0..2 {
                assert!(Source::new(cm.view().into_dyn()).load(&stack, i, &mut d, true));
                assert_eq!(
                    d,
                    c.index_axis(Axis(0), i).iter().copied().collect::<Vec<_>>()
                );
            }
            // A NaN anywhere (in a strip of 8 columns or in the last columns) is seen.
            for &(r, col) in &[(0, 0), (n - 1, n - 1), (n / 2, n.saturating_sub(3))] {
                let mut bad = cm.clone();
                bad[[1, r, col]] = f64::NAN;
                let src = Source::new(bad.view().into_dyn());
                assert!(src.load(&stack, 0, &mut d, true));
                assert!(!src.load(&stack, 1, &mut d, true), "n = {n}, ({r}, {col})");
            }
        }
        // Integers are promoted on the way.
        let f = Array::from_shape_fn((9, 9).f(), |(i, j)| (i * 9 + j) as i32);
        let stack = square_stack(f.shape()).unwrap();
        let mut d = vec![0.0; 81];
        assert!(Source::new(f.view().into_dyn()).load(&stack, 0, &mut d, true));
        assert_eq!(d, (0..81).map(f64::from).collect::<Vec<_>>());
    }

    #[test]
    fn probes_see_a_non_finite_value_at_every_position() {
        for len in 0..20 {
            let clean: Vec<f64> = (0..len).map(|k| k as f64 - 7.5).collect();
            let mut d = vec![0.0; len];
            assert_eq!(copy_probed(&mut d, &clean), 0.0);
            assert_eq!(d, clean);
            assert!(all_finite(&clean));
            for pos in 0..len {
                for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                    let mut v = clean.clone();
                    v[pos] = bad;
                    assert!(copy_probed(&mut d, &v).is_nan(), "len {len}, at {pos}");
                    assert!(!all_finite(&v), "len {len}, at {pos}");
                }
            }
        }
        let ints: Vec<i64> = (0..11).collect();
        let mut d = vec![0.0; 11];
        assert_eq!(copy_probed(&mut d, &ints), 0.0);
        assert_eq!(d[10], 10.0);
    }

    #[test]
    fn load_reports_non_finite() {
        let mut c = Array::<f32, _>::zeros((2, 2, 2));
        c[[1, 0, 1]] = f32::INFINITY;
        let stack = square_stack(c.shape()).unwrap();
        let mut d = vec![0.0; 4];
        let src = Source::new(c.view().into_dyn());
        assert!(src.load(&stack, 0, &mut d, true));
        assert!(!src.load(&stack, 1, &mut d, true));
        assert!(src.load(&stack, 1, &mut d, false));
        assert!(!all_finite(&d));
    }
}
