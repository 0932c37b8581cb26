//! Properties of `inv` over random shapes and seeds (proptest, fixed seed, 64
//! cases each): a batch equals its matrices one by one, `inv(Aᵀ) = inv(A)ᵀ`,
//! `inv(inv(A)) ≈ A`, exact power-of-two scaling, `inv_into` and integer input
//! agree with `inv`, and singular input is an error, never a panic.

mod common;

use common::{
    assert_close_inverses, dominant_stack, matrices, random_stack, rng, TestScalar, C32, C64,
};
use inv_ext::{InvExt, LinAlgError};
use ndarray::{ArrayD, Axis, IxDyn};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use rand::Rng;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        rng_seed: RngSeed::Fixed(0x1A7_2026),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// `(batch..., n, n)`.
fn shape(batch: &[usize], n: usize) -> Vec<usize> {
    let mut s = batch.to_vec();
    s.extend([n, n]);
    s
}

/// A stack: random entries (pivoted) or diagonally dominant.
fn stack<T: TestScalar>(shape: &[usize], seed: u64, dominant: bool) -> ArrayD<T> {
    let mut r = rng(seed);
    if dominant {
        dominant_stack(&mut r, shape)
    } else {
        random_stack(&mut r, shape)
    }
}

/// Swaps the last two axes (the transpose of every matrix), conjugating when asked.
fn transposed<T: TestScalar>(a: &ArrayD<T>, conj: bool) -> ArrayD<T> {
    let nd = a.ndim();
    let mut t = a.view();
    t.swap_axes(nd - 2, nd - 1);
    if conj {
        t.mapv(|v| T::of_c64(v.widen().conj()))
    } else {
        t.to_owned()
    }
}

/// Every matrix of the batch's result is the inverse of that matrix alone: the
/// same numbers up to rounding (bit-identical today; a batch may legitimately
/// use another kernel than a single matrix).
fn batch_equals_matrices<T: TestScalar>(a: &ArrayD<T>) {
    let x = a.inv().unwrap();
    for ((ix, m), (_, xm)) in matrices(a).into_iter().zip(matrices(&x)) {
        let alone = m.inv().unwrap();
        assert_close_inverses(m, xm, alone.view(), &format!("batch {ix:?} alone"));
    }
}

fn transpose_commutes<T: TestScalar>(a: &ArrayD<T>, conj: bool) {
    let x = a.inv().unwrap();
    let xt = transposed(&x, conj);
    let at = transposed(a, conj);
    let y = at.inv().unwrap();
    for (((ix, am), (_, ym)), (_, xtm)) in matrices(&at)
        .into_iter()
        .zip(matrices(&y))
        .zip(matrices(&xt))
    {
        assert_close_inverses(am, ym, xtm, &format!("inv(Aᵀ) vs inv(A)ᵀ {ix:?}"));
    }
}

fn double_inverse<T: TestScalar>(a: &ArrayD<T>) {
    let x = a.inv().unwrap();
    let xx = x.inv().unwrap();
    for (((ix, xm), (_, xxm)), (_, am)) in
        matrices(&x).into_iter().zip(matrices(&xx)).zip(matrices(a))
    {
        // inv(X) and A are both inverses of X.
        assert_close_inverses(xm, xxm, am, &format!("inv(inv(A)) vs A {ix:?}"));
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn batched_result_equals_per_matrix_results(
        n in 1usize..=8,
        batch in vec(1usize..=4, 0..=3),
        seed in any::<u64>(),
        dominant in any::<bool>(),
    ) {
        let s = shape(&batch, n);
        batch_equals_matrices(&stack::<f64>(&s, seed, dominant));
        batch_equals_matrices(&stack::<C32>(&s, seed, dominant));
    }

    #[test]
    fn inverse_of_transpose_is_transpose_of_inverse(
        n in 1usize..=12,
        batch in vec(1usize..=3, 0..=2),
        seed in any::<u64>(),
        dominant in any::<bool>(),
    ) {
        let s = shape(&batch, n);
        transpose_commutes(&stack::<f64>(&s, seed, dominant), false);
        transpose_commutes(&stack::<f32>(&s, seed, dominant), false);
        let c = stack::<C64>(&s, seed, dominant);
        transpose_commutes(&c, false);
        transpose_commutes(&c, true);
    }

    #[test]
    fn inverse_of_inverse_is_the_matrix(
        n in 1usize..=12,
        batch in vec(1usize..=3, 0..=2),
        seed in any::<u64>(),
    ) {
        let s = shape(&batch, n);
        double_inverse(&stack::<f64>(&s, seed, true));
        double_inverse(&stack::<f32>(&s, seed, true));
        double_inverse(&stack::<C64>(&s, seed, true));
        double_inverse(&stack::<C32>(&s, seed, true));
    }

    #[test]
    fn power_of_two_scaling_is_exact(
        n in 1usize..=10,
        batch in vec(1usize..=3, 0..=2),
        seed in any::<u64>(),
        k in -20i32..=20,
    ) {
        // Scaling by 2^k is exact through LU, so inv(2^k·A) is exactly 2^-k·inv(A).
        let a = stack::<f64>(&shape(&batch, n), seed, false);
        let scaled = a.mapv(|v| v * 2f64.powi(k));
        let x = a.inv().unwrap();
        prop_assert_eq!(scaled.inv().unwrap(), x.mapv(|v| v * 2f64.powi(-k)));
    }

    #[test]
    fn inv_into_and_integer_input_agree_with_inv(
        n in 1usize..=8,
        batch in vec(1usize..=3, 0..=2),
        seed in any::<u64>(),
    ) {
        let s = shape(&batch, n);
        let a = stack::<C64>(&s, seed, false);
        let x = a.inv().unwrap();
        prop_assert_eq!(a.clone().inv_into().unwrap(), x.clone());
        let mut f = a.clone();
        f.invert_axis(Axis(0));
        let xf = f.inv().unwrap();
        prop_assert_eq!(f.inv_into().unwrap(), xf);
        // Integers with a dominant diagonal: the f64 path exactly.
        let mut r = rng(seed);
        let nd = s.len();
        let ints = ArrayD::from_shape_fn(IxDyn(&s), |ix| {
            r.gen_range(-20i32..=20) + if ix[nd - 1] == ix[nd - 2] { 200 } else { 0 }
        });
        prop_assert_eq!(ints.inv().unwrap(), ints.mapv(f64::from).inv().unwrap());
    }

    /// A zero row and column `k` in one matrix: always `Singular`, naming that
    /// matrix and pivot `k` (unless an earlier matrix fails first: none does).
    #[test]
    fn zero_row_and_column_is_singular(
        n in 1usize..=10,
        batch in vec(1usize..=3, 0..=2),
        seed in any::<u64>(),
        pick in any::<u64>(),
        dominant in any::<bool>(),
    ) {
        let s = shape(&batch, n);
        let mut a = stack::<f64>(&s, seed, dominant);
        let count: usize = batch.iter().product();
        let flat = (pick as usize) % count;
        let k = (pick as usize / count) % n;
        let ix = unravel(flat, &batch);
        {
            let mut m = a.view_mut();
            for &i in &ix {
                m.index_axis_inplace(Axis(0), i);
            }
            m.index_axis_mut(Axis(0), k).fill(0.0);
            m.index_axis_mut(Axis(1), k).fill(0.0);
        }
        let expected = LinAlgError::Singular { batch: ix, pivot: k };
        prop_assert_eq!(a.inv().unwrap_err(), expected.clone());
        prop_assert_eq!(a.mapv(|v| C64::new(0.0, v)).inv().unwrap_err(), expected.clone());
        prop_assert_eq!(a.inv_into().unwrap_err(), expected);
    }

    /// Rank-deficient integer matrices (`B·C` with inner dimension below `n`),
    /// repeated rows and repeated columns. In floating point LU may meet a tiny
    /// nonzero pivot instead of an exact zero (NumPy then returns a huge
    /// inverse), so the contract is: `Ok` or `Singular`, never another error,
    /// never a panic. (`zero_row_and_column_is_singular` covers guaranteed zeros.)
    #[test]
    fn singular_input_is_an_error_or_inverted_never_a_panic(
        n in 2usize..=9,
        seed in any::<u64>(),
        rank_drop in 1usize..=3,
    ) {
        let mut r = rng(seed);
        let inner = n.saturating_sub(rank_drop).max(1);
        let b = ndarray::Array2::from_shape_simple_fn((n, inner), || r.gen_range(-3i64..=3));
        let c = ndarray::Array2::from_shape_simple_fn((inner, n), || r.gen_range(-3i64..=3));
        let low_rank = b.dot(&c);
        let mut repeated_row = ndarray::Array2::from_shape_simple_fn((n, n), || r.gen_range(-9i64..=9));
        let (i, j) = (r.gen_range(0..n), r.gen_range(0..n));
        let row = repeated_row.row(i).to_owned();
        repeated_row.row_mut(if i == j { (i + 1) % n } else { j }).assign(&row);
        let repeated_col = repeated_row.t().to_owned();
        for (kind, m) in [("low rank", &low_rank), ("repeated row", &repeated_row), ("repeated column", &repeated_col)] {
            match m.inv() {
                Ok(x) => prop_assert_eq!(x.dim(), (n, n)),
                Err(LinAlgError::Singular { batch, pivot }) => {
                    prop_assert!(batch.is_empty());
                    prop_assert!(pivot < n, "{kind}: pivot {pivot}");
                }
                Err(e) => prop_assert!(false, "{kind}: unexpected error {e:?}"),
            }
            // As one matrix of a stack.
            let stacked = ndarray::stack(Axis(0), &[m.mapv(|v| v as f64).view(), ndarray::Array2::<f64>::eye(n).view()]).unwrap();
            match stacked.inv() {
                Ok(_) | Err(LinAlgError::Singular { .. }) => {}
                Err(e) => prop_assert!(false, "{kind} stacked: unexpected error {e:?}"),
            }
        }
    }
}

/// The C-order multi-index of `flat` over `shape`.
fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut ix = vec![0; shape.len()];
    for (slot, &len) in ix.iter_mut().zip(shape).rev() {
        *slot = flat % len;
        flat /= len;
    }
    ix
}
