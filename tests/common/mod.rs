//! Shared helpers for the `inv` integration tests: seeded generators of
//! well-conditioned matrices, LAPACK's acceptance ratio, ndarray-linalg as an
//! independent oracle, and every memory layout of one logical array.
//!
//! Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use ndarray::{
    Array, Array2, ArrayBase, ArrayD, ArrayView2, Axis, Data, Dimension, Ix2, IxDyn, RawData, Slice,
};
use num_complex::Complex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `Complex<f32>`.
pub type C32 = Complex<f32>;
/// `Complex<f64>`.
pub type C64 = Complex<f64>;

/// LAPACK's threshold for its acceptance ratios (the `THRESH` of its test drivers).
pub const THRESH: f64 = 30.0;

/// The seeded generator every test uses.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A float or complex element type the tests run on, with what the checks need.
pub trait TestScalar:
    inv_ext::Scalar + ndarray_linalg::Scalar + ndarray_linalg::Lapack + Default
{
    /// For messages.
    const NAME: &'static str;
    /// Each part uniform in `[-1, 1)`.
    fn random(rng: &mut ChaCha8Rng) -> Self;
    /// A real value of this type.
    fn of_f64(x: f64) -> Self;
    /// A complex value of this type (real types keep the real part).
    fn of_c64(z: C64) -> Self;
    /// This value as `Complex<f64>` (exact).
    fn widen(self) -> C64;
    /// Machine epsilon of the real type, as `f64`.
    fn eps() -> f64;
    /// The largest modulus [`TestScalar::random`] can return.
    fn max_random() -> f64;
}

macro_rules! test_real {
    ($t:ty) => {
        impl TestScalar for $t {
            const NAME: &'static str = stringify!($t);
            fn random(rng: &mut ChaCha8Rng) -> Self {
                rng.gen_range(-1.0..1.0)
            }
            fn of_f64(x: f64) -> Self {
                x as $t
            }
            fn of_c64(z: C64) -> Self {
                z.re as $t
            }
            fn widen(self) -> C64 {
                Complex::new(f64::from(self), 0.0)
            }
            fn eps() -> f64 {
                f64::from(<$t>::EPSILON)
            }
            fn max_random() -> f64 {
                1.0
            }
        }
    };
}
test_real!(f32);
test_real!(f64);

macro_rules! test_complex {
    ($t:ty) => {
        impl TestScalar for Complex<$t> {
            const NAME: &'static str = concat!("Complex<", stringify!($t), ">");
            fn random(rng: &mut ChaCha8Rng) -> Self {
                Complex::new(rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0))
            }
            fn of_f64(x: f64) -> Self {
                Complex::new(x as $t, 0.0)
            }
            fn of_c64(z: C64) -> Self {
                Complex::new(z.re as $t, z.im as $t)
            }
            fn widen(self) -> C64 {
                Complex::new(f64::from(self.re), f64::from(self.im))
            }
            fn eps() -> f64 {
                f64::from(<$t>::EPSILON)
            }
            fn max_random() -> f64 {
                std::f64::consts::SQRT_2
            }
        }
    };
}
test_complex!(f32);
test_complex!(f64);

/// Stack size for [`on_big_stack`].
pub const BIG_STACK: usize = 64 << 20;

/// Runs `f` on a thread with a 64 MiB stack and returns its result (a panic in
/// `f` fails the calling test).
///
/// Debian's OpenBLAS 0.3.21 (built with `NUM_THREADS=64`) puts about 528 KiB on
/// the stack in every level of its recursive `?getrf_parallel`, so a threaded
/// factorization (from `n·n ≥ 10000`) overflows the 2 MiB stack of Rust's test
/// threads (OpenBLAS issues #1082, #3229). `inv_ext` runs such calls on its own
/// large-stack thread, but the oracle (ndarray-linalg) calls OpenBLAS on the
/// caller's thread, so tests of large matrices run here.
pub fn on_big_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|s| {
        let h = std::thread::Builder::new()
            .stack_size(BIG_STACK)
            .spawn_scoped(s, f)
            .expect("spawn a test thread");
        h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

/// An `n×n` matrix of random entries: no structure, so partial pivoting swaps
/// rows. Nonsingular with probability 1, condition number typically `O(n)`.
pub fn random_matrix<T: TestScalar>(rng: &mut ChaCha8Rng, n: usize) -> Array2<T> {
    Array2::from_shape_simple_fn((n, n), || T::random(rng))
}

/// A stack of random matrices (see [`random_matrix`]) of shape `(batch..., n, n)`.
pub fn random_stack<T: TestScalar>(rng: &mut ChaCha8Rng, shape: &[usize]) -> ArrayD<T> {
    ArrayD::from_shape_simple_fn(IxDyn(shape), || T::random(rng))
}

/// The diagonal shift that makes a random matrix of order `n` strictly
/// diagonally dominant by a margin of at least 1 in every row and column, so
/// `κ₁ ≤ 2·shift + 1`.
pub fn dominance_shift<T: TestScalar>(n: usize) -> f64 {
    T::max_random() * n as f64 + 1.0
}

/// Random entries plus a diagonal shift: strictly diagonally dominant, so
/// well-conditioned (`κ₁ = O(n)`) and never pivoted.
pub fn dominant_matrix<T: TestScalar>(rng: &mut ChaCha8Rng, n: usize) -> Array2<T> {
    let mut a = random_matrix::<T>(rng, n);
    let shift = T::of_f64(dominance_shift::<T>(n));
    a.diag_mut().mapv_inplace(|d| d + shift);
    a
}

/// A stack of [`dominant_matrix`]es of shape `(batch..., n, n)`.
pub fn dominant_stack<T: TestScalar>(rng: &mut ChaCha8Rng, shape: &[usize]) -> ArrayD<T> {
    let nd = shape.len();
    let n = shape[nd - 1];
    let shift = T::of_f64(dominance_shift::<T>(n));
    let mut a = random_stack::<T>(rng, shape);
    for (ix, v) in a.indexed_iter_mut() {
        if ix[nd - 1] == ix[nd - 2] {
            *v += shift;
        }
    }
    a
}

/// A graded matrix `D₁·R·D₂` (`R` random, `D` diagonal powers of two from
/// `2^-8` to `2^8`, so the scaling is exact): entries spanning ten orders of
/// magnitude, for the normwise acceptance ratio.
pub fn graded_matrix<T: TestScalar>(rng: &mut ChaCha8Rng, n: usize) -> Array2<T> {
    let d1: Vec<f64> = (0..n).map(|_| 2f64.powi(rng.gen_range(-8..=8))).collect();
    let d2: Vec<f64> = (0..n).map(|_| 2f64.powi(rng.gen_range(-8..=8))).collect();
    let mut a = random_matrix::<T>(rng, n);
    for ((i, j), v) in a.indexed_iter_mut() {
        *v *= T::of_f64(d1[i] * d2[j]);
    }
    a
}

// ---------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------

/// `a` as `Complex<f64>` (exact for every test type).
pub fn widen<T: TestScalar>(a: ArrayView2<T>) -> Array2<C64> {
    a.mapv(T::widen)
}

/// The 1-norm: the largest column sum of moduli.
pub fn norm1(a: &Array2<C64>) -> f64 {
    a.columns()
        .into_iter()
        .map(|c| c.iter().map(|z| z.norm()).sum::<f64>())
        .fold(0.0, f64::max)
}

/// `a·b`, as real products (the real product is ten times faster than the complex
/// one in debug builds): `(Ar + iAi)(Br + iBi) = (ArBr − AiBi) + i(ArBi + AiBr)`.
fn product(a: &Array2<C64>, b: &Array2<C64>, real: bool) -> Array2<C64> {
    let (ar, br) = (a.mapv(|z| z.re), b.mapv(|z| z.re));
    if real {
        return ar.dot(&br).mapv(|x| Complex::new(x, 0.0));
    }
    let (ai, bi) = (a.mapv(|z| z.im), b.mapv(|z| z.im));
    let re = ar.dot(&br) - ai.dot(&bi);
    let im = ar.dot(&bi) + ai.dot(&br);
    ndarray::Zip::from(&re)
        .and(&im)
        .map_collect(|&r, &i| Complex::new(r, i))
}

/// `||I − P||₁` for a square `P`.
fn distance_to_identity(p: &Array2<C64>) -> f64 {
    let mut r = -p.clone();
    r.diag_mut().mapv_inplace(|d| d + 1.0);
    norm1(&r)
}

/// LAPACK's acceptance ratios `||I − A·X||₁ / (n·||A||₁·||X||₁·eps)` and the same
/// for `X·A`, computed in `f64` from the exact values of `A` and `X`.
/// Zero for an empty matrix.
pub fn acceptance_ratios<T: TestScalar>(a: ArrayView2<T>, x: ArrayView2<T>) -> (f64, f64) {
    let n = a.nrows();
    assert_eq!(a.dim(), (n, n));
    assert_eq!(x.dim(), (n, n));
    if n == 0 {
        return (0.0, 0.0);
    }
    let (a, x) = (widen(a), widen(x));
    let real = !<T as inv_ext::Scalar>::IS_COMPLEX;
    let denom = n as f64 * norm1(&a) * norm1(&x) * T::eps();
    let ax = distance_to_identity(&product(&a, &x, real)) / denom;
    let xa = distance_to_identity(&product(&x, &a, real)) / denom;
    (ax, xa)
}

/// Asserts that `x` passes LAPACK's acceptance test as the inverse of `a`, both
/// as a right and as a left inverse.
pub fn assert_inverse<T: TestScalar>(a: ArrayView2<T>, x: ArrayView2<T>, what: &str) {
    assert!(
        x.iter().all(|v| v.widen().is_finite()),
        "{what}: {}: inverse is not finite",
        T::NAME
    );
    let (ax, xa) = acceptance_ratios(a, x);
    assert!(
        ax < THRESH && xa < THRESH,
        "{what}: {} n={}: acceptance ratios ||I-AX|| {ax:.2}, ||I-XA|| {xa:.2} (limit {THRESH})",
        T::NAME,
        a.nrows()
    );
}

/// [`assert_inverse`] for every matrix of a stack.
pub fn assert_stack_inverse<T, S1, S2, D>(a: &ArrayBase<S1, D>, x: &ArrayBase<S2, D>, what: &str)
where
    T: TestScalar,
    S1: Data<Elem = T>,
    S2: Data<Elem = T>,
    D: Dimension,
{
    assert_eq!(a.shape(), x.shape(), "{what}: shape");
    for ((ix, am), (_, xm)) in matrices(a).into_iter().zip(matrices(x)) {
        assert_inverse(am, xm, &format!("{what} batch {ix:?}"));
    }
}

/// Forward-error ratio of `y` against `x`, both approximations of `inv(a)`:
/// `||X − Y||₁ / (||X||₁ · n · κ₁(A) · eps)` with `κ₁ = ||A||₁·||X||₁`. Two
/// backward-stable inverses differ by at most a small multiple of `n·κ·eps`.
pub fn forward_error_ratio<T: TestScalar>(
    a: ArrayView2<T>,
    x: ArrayView2<T>,
    y: ArrayView2<T>,
) -> f64 {
    let n = a.nrows();
    if n == 0 {
        return 0.0;
    }
    let (a, x, y) = (widen(a), widen(x), widen(y));
    let nx = norm1(&x);
    let kappa = norm1(&a) * nx;
    norm1(&(&x - &y)) / (nx * n as f64 * kappa * T::eps())
}

/// Asserts that `x` and `y` agree as inverses of `a` (forward-error ratio below
/// [`THRESH`]).
pub fn assert_close_inverses<T: TestScalar>(
    a: ArrayView2<T>,
    x: ArrayView2<T>,
    y: ArrayView2<T>,
    what: &str,
) {
    let r = forward_error_ratio(a, x, y);
    assert!(
        r < THRESH,
        "{what}: {} n={}: forward-error ratio {r:.2} (limit {THRESH})",
        T::NAME,
        a.nrows()
    );
}

/// The independent oracle: ndarray-linalg's `inv` (its own getrf/getri calls).
pub fn oracle_inv<T: TestScalar>(a: ArrayView2<T>) -> Array2<T> {
    use ndarray_linalg::Inverse;
    let a = a.to_owned();
    <ndarray::ArrayRef<T, Ix2> as Inverse>::inv(&a).expect("ndarray-linalg inverts it")
}

/// Every matrix of a stack `(batch..., n, n)`, with its batch multi-index, in C
/// order of the batch axes.
pub fn matrices<A, S, D>(a: &ArrayBase<S, D>) -> Vec<(Vec<usize>, ArrayView2<'_, A>)>
where
    S: Data<Elem = A>,
    D: Dimension,
{
    let nd = a.ndim();
    assert!(nd >= 2, "a stack has at least two axes");
    let batch = IxDyn(&a.shape()[..nd - 2]);
    ndarray::indices(batch)
        .into_iter()
        .map(|ix| {
            let ix: Vec<usize> = ix.slice().to_vec();
            let mut m = a.view().into_dyn();
            for &i in &ix {
                m.index_axis_inplace(Axis(0), i);
            }
            (ix, m.into_dimensionality::<Ix2>().expect("2-D"))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Layouts
// ---------------------------------------------------------------------------

/// One step that turns a C-order backing array into another layout.
#[derive(Debug, Clone)]
pub enum Op {
    /// `slice_axis_inplace(axis, Slice::new(start, None, step))`.
    Slice(usize, isize, isize),
    /// `invert_axis(axis)`.
    Invert(usize),
    /// `permuted_axes(perm)`: result axis `i` is backing axis `perm[i]`.
    Permute(Vec<usize>),
}

fn apply<S: RawData>(mut a: ArrayBase<S, IxDyn>, ops: &[Op]) -> ArrayBase<S, IxDyn> {
    for op in ops {
        a = match op {
            Op::Slice(axis, start, step) => {
                a.slice_axis_inplace(Axis(*axis), Slice::new(*start, None, *step));
                a
            }
            Op::Invert(axis) => {
                a.invert_axis(Axis(*axis));
                a
            }
            Op::Permute(p) => a.permuted_axes(IxDyn(p)),
        };
    }
    a
}

/// The shape of the backing array that `ops` turn into `shape`.
fn backing_shape(shape: &[usize], ops: &[Op]) -> Vec<usize> {
    let mut s = shape.to_vec();
    for op in ops.iter().rev() {
        match op {
            Op::Slice(axis, start, step) => {
                let (start, step) = (start.unsigned_abs(), step.unsigned_abs());
                assert!(step != 0);
                // `len` elements from `start` every `step`, and nothing else.
                s[*axis] = if s[*axis] == 0 {
                    start
                } else {
                    start + step * (s[*axis] - 1) + 1
                };
            }
            Op::Invert(_) => {}
            Op::Permute(p) => {
                let mut b = vec![0; s.len()];
                for (i, &pi) in p.iter().enumerate() {
                    b[pi] = s[i];
                }
                s = b;
            }
        }
    }
    s
}

/// An owned array with `a`'s logical content in the layout that `ops` make from
/// a C-order backing array; every backing element `ops` skip holds `poison`.
pub fn relayout<T: Clone, D: Dimension>(a: &Array<T, D>, ops: &[Op], poison: T) -> Array<T, D> {
    let mut big = ArrayD::from_elem(backing_shape(a.shape(), ops), poison);
    apply(big.view_mut(), ops).assign(&a.view().into_dyn());
    let out = apply(big, ops);
    assert_eq!(out.shape(), a.shape(), "relayout keeps the shape");
    out.into_dimensionality::<D>().expect("same rank")
}

fn permutations(k: usize) -> Vec<Vec<usize>> {
    if k == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in permutations(k - 1) {
        for pos in 0..=p.len() {
            let mut q = p.clone();
            q.insert(pos, k - 1);
            out.push(q);
        }
    }
    out
}

/// The layouts every test runs through, for an array of `ndim` axes: C and F
/// order, every permutation of the axes in memory, strided slices (including
/// `..;2` on the matrix axes), negative strides on every axis, on the last axis,
/// and `..;-2`, and combinations. The first entry is plain C order.
pub fn layout_ops(ndim: usize) -> Vec<(String, Vec<Op>)> {
    let all: Vec<usize> = (0..ndim).collect();
    let (r, c) = (ndim - 2, ndim - 1);
    let mut v: Vec<(String, Vec<Op>)> = vec![
        ("C order".into(), vec![]),
        (
            "F order".into(),
            vec![Op::Permute(all.iter().rev().copied().collect())],
        ),
        (
            "s![.., ..;2, ..;2]".into(),
            vec![Op::Slice(r, 0, 2), Op::Slice(c, 0, 2)],
        ),
        (
            "every axis ..;2".into(),
            all.iter().map(|&k| Op::Slice(k, 0, 2)).collect(),
        ),
        (
            "matrix axes 1..;3".into(),
            vec![Op::Slice(r, 1, 3), Op::Slice(c, 1, 3)],
        ),
        (
            "every axis inverted".into(),
            all.iter().map(|&k| Op::Invert(k)).collect(),
        ),
        ("last axis inverted".into(), vec![Op::Invert(c)]),
        ("rows inverted".into(), vec![Op::Invert(r)]),
        (
            "matrix axes ..;-2".into(),
            vec![Op::Slice(r, 0, -2), Op::Slice(c, 0, -2)],
        ),
    ];
    let mut swapped = all.clone();
    swapped.swap(r, c);
    v.push((
        "transposed storage, first axis inverted, columns ..;2".into(),
        vec![Op::Permute(swapped), Op::Invert(0), Op::Slice(c, 0, 2)],
    ));
    for p in permutations(ndim) {
        let identity = p == all;
        let reversed = p.iter().rev().copied().eq(all.iter().copied());
        if !identity && !reversed {
            v.push((format!("axes permuted {p:?}"), vec![Op::Permute(p)]));
        }
    }
    v
}

/// `a` in every layout of [`layout_ops`], as owned arrays (skipped elements hold
/// `poison`). The first is plain C order.
pub fn layouts<T: Clone, D: Dimension>(a: &Array<T, D>, poison: T) -> Vec<(String, Array<T, D>)> {
    layout_ops(a.ndim())
        .into_iter()
        .map(|(name, ops)| {
            let b = relayout(a, &ops, poison.clone());
            (name, b)
        })
        .collect()
}
