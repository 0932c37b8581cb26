//! Matrices whose inverse is known exactly: Hilbert matrices (closed-form
//! integer inverse), Pascal matrices, and random unimodular integer matrices
//! (products of elementary integer operations), whose computed inverses must
//! round to the exact integers.

mod common;

use common::{norm1, rng, TestScalar, C32, C64};
use inv_ext::InvExt;
use ndarray::{array, Array2, Array3, Axis};
use num_complex::Complex;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

fn binomial(n: i128, k: i128) -> i128 {
    if k < 0 || k > n {
        return 0;
    }
    let k = k.min(n - k);
    (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1))
}

/// The Hilbert matrix `H[i][j] = 1 / (i + j + 1)` (0-based), rounded to `T`.
fn hilbert<T: TestScalar>(n: usize) -> Array2<T> {
    Array2::from_shape_fn((n, n), |(i, j)| T::of_f64(1.0 / (i + j + 1) as f64))
}

/// The exact inverse of the `n×n` Hilbert matrix:
/// `(−1)^(i+j) (i+j+1) C(n+i, n−j−1) C(n+j, n−i−1) C(i+j, i)²`.
fn hilbert_inverse(n: usize) -> Array2<i128> {
    let n = n as i128;
    Array2::from_shape_fn((n as usize, n as usize), |(i, j)| {
        let (i, j) = (i as i128, j as i128);
        let sign = if (i + j) % 2 == 0 { 1 } else { -1 };
        sign * (i + j + 1)
            * binomial(n + i, n - j - 1)
            * binomial(n + j, n - i - 1)
            * binomial(i + j, i).pow(2)
    })
}

/// The forward error allowed against an exact inverse: `n·κ₁·eps` relative (LU
/// with partial pivoting commits far less on these matrices: ratios observed with
/// OpenBLAS stay below 0.03).
const EXACT_LIMIT: f64 = 1.0;

/// `||X − exact||₁ / (||exact||₁ · n · κ₁ · eps)`, with `κ₁ = ||A||₁·||exact||₁`:
/// the forward error in units of what a backward-stable inverse may commit.
fn exact_error_ratio<T: TestScalar>(a: &Array2<T>, x: &Array2<T>, exact: &Array2<C64>) -> f64 {
    let n = a.nrows() as f64;
    let ne = norm1(exact);
    let kappa = norm1(&a.mapv(T::widen)) * ne;
    norm1(&(&x.mapv(T::widen) - exact)) / (ne * n * kappa * T::eps())
}

fn check_hilbert<T: TestScalar>(max_n: usize) {
    for n in 1..=max_n {
        let h = hilbert::<T>(n);
        let exact = hilbert_inverse(n).mapv(|v| C64::new(v as f64, 0.0));
        let x = h.inv().unwrap();
        let r = exact_error_ratio(&h, &x, &exact);
        assert!(
            r < EXACT_LIMIT,
            "{} Hilbert n={n}: error ratio {r:.3}",
            T::NAME
        );
        // Purely imaginary: inv(iH) = −i·inv(H).
        if <T as inv_ext::Scalar>::IS_COMPLEX {
            let i = T::of_c64(C64::new(0.0, 1.0));
            let ih = h.mapv(|v| v * i);
            let xi = ih.inv().unwrap();
            let exact_i = exact.mapv(|v| v * C64::new(0.0, -1.0));
            let r = exact_error_ratio(&ih, &xi, &exact_i);
            assert!(
                r < EXACT_LIMIT,
                "{} i·Hilbert n={n}: error ratio {r:.3}",
                T::NAME
            );
        }
    }
}

#[test]
fn hilbert_f64_up_to_order_9() {
    check_hilbert::<f64>(9);
}

#[test]
fn hilbert_f32_up_to_order_5() {
    check_hilbert::<f32>(5);
}

#[test]
fn hilbert_complex_up_to_order_9() {
    check_hilbert::<C64>(9);
    check_hilbert::<C32>(5);
}

#[test]
fn small_hilbert_inverses_round_to_their_integers() {
    for n in 1..=6 {
        let x = hilbert::<f64>(n).inv().unwrap();
        let exact = hilbert_inverse(n);
        for ((i, j), &v) in x.indexed_iter() {
            assert_eq!(v.round() as i128, exact[[i, j]], "n={n} [{i},{j}]: {v}");
        }
    }
    // The 2×2 one by hand.
    let x = array![[1.0f64, 0.5], [0.5, 1.0 / 3.0]].inv().unwrap();
    let expected = array![[4.0, -6.0], [-6.0, 12.0]];
    approx::assert_abs_diff_eq!(x, expected, epsilon = 1e-13);
}

#[test]
fn hilbert_stack_scaled_by_powers_of_two() {
    // Scaling by 2^k is exact, so inv(2^k·H) is exactly 2^-k·inv(H).
    let n = 6;
    let h = hilbert::<f64>(n);
    let stack = Array3::from_shape_fn((5, n, n), |(k, i, j)| {
        h[[i, j]] * 2f64.powi(k as i32 * 3 - 6)
    });
    let x = stack.inv().unwrap();
    let hx = h.inv().unwrap();
    for (k, xk) in x.axis_iter(Axis(0)).enumerate() {
        assert_eq!(xk, hx.mapv(|v| v * 2f64.powi(6 - k as i32 * 3)), "k={k}");
    }
}

// ---------------------------------------------------------------------------
// Integer matrices with integer inverses
// ---------------------------------------------------------------------------

/// The lower Pascal matrix `L[i][j] = C(i, j)` and its inverse `(−1)^(i−j) C(i, j)`.
fn lower_pascal(n: usize) -> (Array2<i64>, Array2<i64>) {
    let l = Array2::from_shape_fn((n, n), |(i, j)| binomial(i as i128, j as i128) as i64);
    let li = Array2::from_shape_fn((n, n), |(i, j)| {
        let sign = if (i + j) % 2 == 0 { 1 } else { -1 };
        sign * binomial(i as i128, j as i128) as i64
    });
    (l, li)
}

#[test]
fn pascal_matrices_have_exact_integer_inverses() {
    for n in 1..=12 {
        let (l, li) = lower_pascal(n);
        assert_eq!(l.dot(&li), Array2::eye(n));
        // Unit triangular with small integers: LU meets no rounding (exact with
        // LAPACK today); whatever the kernel, it must round to the integers.
        let x: Array2<f64> = l.inv().unwrap();
        let lf = l.mapv(|v| v as f64);
        let exact = li.mapv(|v| C64::new(v as f64, 0.0));
        let r = exact_error_ratio(&lf, &x, &exact);
        assert!(r < EXACT_LIMIT, "lower Pascal n={n}: ratio {r:.3}");
        for ((i, j), &v) in x.indexed_iter() {
            assert_eq!(v.round() as i64, li[[i, j]], "lower Pascal n={n} [{i},{j}]");
        }
        // Its transpose is pivoted with non-dyadic multipliers: rounds to exact.
        let xt: Array2<f64> = l.t().inv().unwrap();
        let lt = l.t().mapv(|v| v as f64);
        let exact = li.t().mapv(|v| C64::new(v as f64, 0.0));
        let r = exact_error_ratio(&lt, &xt, &exact);
        assert!(r < EXACT_LIMIT, "upper Pascal n={n}: ratio {r:.3}");
        for ((i, j), &v) in xt.indexed_iter() {
            assert_eq!(v.round() as i64, li[[j, i]], "upper Pascal n={n} [{i},{j}]");
        }
    }
    // Symmetric Pascal P = L·Lᵀ, P⁻¹ = L⁻ᵀ·L⁻¹: integers, but conditioning grows.
    for n in 1..=8 {
        let (l, li) = lower_pascal(n);
        let p = l.dot(&l.t());
        let pi = li.t().dot(&li);
        let x: Array2<f64> = p.inv().unwrap();
        let pf = p.mapv(|v| v as f64);
        let exact = pi.mapv(|v| C64::new(v as f64, 0.0));
        let r = exact_error_ratio(&pf, &x, &exact);
        assert!(r < EXACT_LIMIT, "symmetric Pascal n={n}: ratio {r:.3}");
        for ((i, j), &v) in x.indexed_iter() {
            assert_eq!(
                v.round() as i64,
                pi[[i, j]],
                "symmetric Pascal n={n} [{i},{j}]"
            );
        }
    }
}

/// A random unimodular integer matrix and its inverse: a product of elementary
/// integer row operations (add `c` times a row, swap, negate), with every entry of
/// both kept below `bound`.
fn unimodular(
    rng: &mut ChaCha8Rng,
    n: usize,
    steps: usize,
    bound: i64,
) -> (Array2<i64>, Array2<i64>) {
    let mut a = Array2::<i64>::eye(n);
    let mut inv = Array2::<i64>::eye(n);
    if n < 2 {
        return (a, inv);
    }
    for _ in 0..steps {
        let i = rng.gen_range(0..n);
        let j = (i + rng.gen_range(1..n)) % n;
        let (mut a2, mut inv2) = (a.clone(), inv.clone());
        match rng.gen_range(0..5) {
            0 => {
                // Swap rows i, j of A; columns i, j of A⁻¹.
                for k in 0..n {
                    a2.swap([i, k], [j, k]);
                    inv2.swap([k, i], [k, j]);
                }
            }
            1 => {
                a2.row_mut(i).mapv_inplace(|v| -v);
                inv2.column_mut(i).mapv_inplace(|v| -v);
            }
            _ => {
                // row_i(A) += c·row_j(A); col_j(A⁻¹) −= c·col_i(A⁻¹).
                let c = [-2, -1, 1, 2][rng.gen_range(0..4)];
                let rj = a2.row(j).to_owned();
                a2.row_mut(i).scaled_add(c, &rj);
                let ci = inv2.column(i).to_owned();
                inv2.column_mut(j).scaled_add(-c, &ci);
            }
        }
        let max = a2.iter().chain(inv2.iter()).map(|v| v.abs()).max().unwrap();
        if max <= bound {
            a = a2;
            inv = inv2;
        }
    }
    (a, inv)
}

#[test]
fn unimodular_integer_matrices_invert_to_exact_integers() {
    let mut rng = rng(1);
    for n in [1, 2, 3, 4, 5, 6, 8, 10, 12] {
        for _ in 0..4 {
            let (a, ai) = unimodular(&mut rng, n, 12 * n, 60);
            assert_eq!(a.dot(&ai), Array2::eye(n), "the generator is right");
            // i64 input promotes to f64.
            let x: Array2<f64> = a.inv().unwrap();
            let af = a.mapv(|v| v as f64);
            let exact = ai.mapv(|v| C64::new(v as f64, 0.0));
            let r = exact_error_ratio(&af, &x, &exact);
            assert!(r < EXACT_LIMIT, "n={n}: ratio {r:.3}\n{a}");
            for ((i, j), &v) in x.indexed_iter() {
                assert_eq!(v.round() as i64, ai[[i, j]], "n={n} [{i},{j}]: {v}\n{a}");
                assert!((v - ai[[i, j]] as f64).abs() < 1e-6, "n={n} [{i},{j}]: {v}");
            }
            // The same in i8, i32 and u16-free f32 / complex forms.
            let a8 = a.mapv(|v| v as i8);
            assert_eq!(a8.inv().unwrap(), x, "i8 promotes like i64");
            let a32 = a.mapv(|v| v as i32);
            assert_eq!(a32.inv().unwrap(), x, "i32 promotes like i64");
            let c = a.mapv(|v| Complex::new(0.0, v as f64));
            let xc = c.inv().unwrap();
            for ((i, j), v) in xc.indexed_iter() {
                // inv(i·A) = −i·A⁻¹
                assert_eq!(v.re.round(), 0.0);
                assert_eq!(-v.im.round() as i64, ai[[i, j]], "i·A n={n} [{i},{j}]");
            }
            let f = a.mapv(|v| v as f32);
            let xf = f.inv().unwrap();
            let r = exact_error_ratio(&f, &xf, &exact);
            assert!(r < EXACT_LIMIT, "f32 n={n}: ratio {r:.3}");
        }
    }
}

#[test]
fn unimodular_stack_rounds_to_exact_integers() {
    let mut rng = rng(2);
    let n = 5;
    let pairs: Vec<_> = (0..12).map(|_| unimodular(&mut rng, n, 60, 40)).collect();
    let a = Array3::from_shape_fn((12, n, n), |(k, i, j)| pairs[k].0[[i, j]] as i32);
    let x = a.inv().unwrap();
    for (k, (_, ai)) in pairs.iter().enumerate() {
        for ((i, j), &v) in x.index_axis(Axis(0), k).indexed_iter() {
            assert_eq!(v.round() as i64, ai[[i, j]], "[{k}] [{i},{j}]");
        }
    }
    // Gaussian-integer unimodular: A·(1+i)/(1+i) — multiply one row by i (a unit).
    let (a, ai) = unimodular(&mut rng, 6, 60, 40);
    let mut c = a.mapv(|v| C64::new(v as f64, 0.0));
    c.row_mut(2).mapv_inplace(|v| v * C64::new(0.0, 1.0));
    let mut ci = ai.mapv(|v| C64::new(v as f64, 0.0));
    ci.column_mut(2).mapv_inplace(|v| v * C64::new(0.0, -1.0));
    let xc = c.inv().unwrap();
    for ((i, j), v) in xc.indexed_iter() {
        assert_eq!(v.re.round(), ci[[i, j]].re, "[{i},{j}]");
        assert_eq!(v.im.round(), ci[[i, j]].im, "[{i},{j}]");
    }
}

// ---------------------------------------------------------------------------
// Extreme scales
// ---------------------------------------------------------------------------

/// `inv(2^k·A) = 2^-k·inv(A)` exactly, even at scales where a determinant or an
/// unscaled norm would overflow or underflow (a closed form `adj(A)/det(A)` of a
/// 3×3 matrix at 2^960 needs 2^2880): LU scales through without rounding.
fn extreme_scales<T: TestScalar>(ks: &[i32], seed: u64) {
    let mut rng = rng(seed);
    for n in 1..=8 {
        for &k in ks {
            let a = common::dominant_matrix::<T>(&mut rng, n);
            let up = T::of_f64(2f64.powi(k));
            let down = T::of_f64(2f64.powi(-k));
            let scaled = a.mapv(|v| v * up);
            let x = a.inv().unwrap();
            let xs = scaled.inv().unwrap();
            assert!(
                xs == x.mapv(|v| v * down),
                "{} n={n} k={k}: inv(2^k A) != 2^-k inv(A)",
                T::NAME
            );
        }
    }
}

#[test]
fn extreme_scales_invert_exactly() {
    extreme_scales::<f64>(&[-960, -500, 500, 960], 3);
    extreme_scales::<C64>(&[-960, 960], 4);
    extreme_scales::<f32>(&[-64, 64], 5);
    extreme_scales::<C32>(&[-64, 64], 6);
}
