//! The own batched kernels (`Method::Auto` / `Method::Kernel`) against the LAPACK
//! path (`Method::Getri`) on the same stacks: accuracy (LAPACK's acceptance ratio
//! on random, graded, Hilbert-like and 1e±150-scaled matrices), the same
//! `Singular` pivots and batch indices, the same `NonFinite` reports, the same
//! `inv_ex` statuses, every block and group boundary, layouts and `inv_into`.

use inv_ext::{InvExt, InvOptions, LinAlgError, MatrixStatus, Method, Threads};
use ndarray::{
    s, Array, Array2, Array3, ArrayD, ArrayView2, ArrayViewMut2, Axis, IxDyn, ShapeBuilder,
};
use num_complex::Complex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// LAPACK's acceptance threshold (`THRESH` of its test drivers).
const THRESH: f64 = 30.0;

/// The orders tested: every unrolled kernel, the run-time lane kernel, both
/// sides of its hand-over to the one-at-a-time kernel (31 | 32 for f64 on CPUs
/// with AVX2 and FMA, 47 | 48 without, 61 | 62 for f32), one whose columns the
/// one-at-a-time kernel pads (33), and the largest.
const ORDERS: [usize; 24] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 24, 31, 32, 33, 47, 48, 61, 62, 64,
];

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

fn opts(method: Method) -> InvOptions {
    InvOptions {
        method,
        ..InvOptions::default()
    }
}

/// A real type the kernels run on.
trait Real: inv_ext::Scalar + Into<f64> + Copy + Default {
    fn of(x: f64) -> Self;
    /// Machine epsilon, as f64.
    fn eps() -> f64;
    /// A scale near the top (and its inverse near the bottom) of the range that
    /// leaves room for n-fold sums.
    fn big() -> f64;
}
impl Real for f64 {
    fn of(x: f64) -> Self {
        x
    }
    fn eps() -> f64 {
        f64::EPSILON
    }
    fn big() -> f64 {
        1e150
    }
}
impl Real for f32 {
    fn of(x: f64) -> Self {
        x as f32
    }
    fn eps() -> f64 {
        f32::EPSILON as f64
    }
    fn big() -> f64 {
        1e18
    }
}

/// `count` matrices of order `n` from `f(rng, i, j)`.
fn stack<T: Real>(
    rng: &mut ChaCha8Rng,
    count: usize,
    n: usize,
    mut f: impl FnMut(&mut ChaCha8Rng, usize, usize) -> f64,
) -> Array3<T> {
    Array3::from_shape_fn((count, n, n), |(_, i, j)| T::of(f(rng, i, j)))
}

/// Uniform in [-1, 1).
fn random<T: Real>(rng: &mut ChaCha8Rng, count: usize, n: usize) -> Array3<T> {
    stack(rng, count, n, |r, _, _| r.gen_range(-1.0..1.0))
}

/// Random entries scaled by 2^(±(i - j)·span/n): rows and columns over a wide range.
fn graded<T: Real>(rng: &mut ChaCha8Rng, count: usize, n: usize, span: f64) -> Array3<T> {
    stack(rng, count, n, |r, i, j| {
        let e = (i as f64 - j as f64) * span / n.max(1) as f64;
        r.gen_range(-1.0..1.0) * e.exp2()
    })
}

/// Hilbert matrices with a random perturbation of relative size 1e-3 (each
/// matrix of the stack different).
fn hilbert_like<T: Real>(rng: &mut ChaCha8Rng, count: usize, n: usize) -> Array3<T> {
    stack(rng, count, n, |r, i, j| {
        (1.0 + 1e-3 * r.gen_range(-1.0..1.0)) / (i + j + 1) as f64
    })
}

fn norm1(a: &Array2<f64>) -> f64 {
    a.axis_iter(Axis(1))
        .map(|c| c.iter().map(|x| x.abs()).sum::<f64>())
        .fold(0.0, f64::max)
}

/// LAPACK's ratios `||I - A X|| / (n ||A|| ||X|| eps)` and the same with `X A`,
/// in the 1-norm, computed in f64.
fn ratios<T: Real>(a: ArrayView2<T>, x: ArrayView2<T>) -> (f64, f64) {
    let n = a.nrows();
    let a = a.mapv(|v| v.into());
    let x = x.mapv(|v| v.into());
    let eye = Array2::<f64>::eye(n);
    let den = n as f64 * norm1(&a) * norm1(&x) * T::eps();
    (
        norm1(&(&eye - &a.dot(&x))) / den,
        norm1(&(&eye - &x.dot(&a))) / den,
    )
}

/// Every matrix of `x` passes the acceptance test against `a`; returns the worst ratio.
fn assert_accepted<T: Real>(a: &Array3<T>, x: &Array3<T>, what: &str) -> f64 {
    let mut worst: f64 = 0.0;
    for (b, (am, xm)) in a.outer_iter().zip(x.outer_iter()).enumerate() {
        let (r1, r2) = ratios(am, xm);
        assert!(
            r1 < THRESH && r2 < THRESH,
            "{what}: matrix {b}: ratios {r1:.2} {r2:.2}"
        );
        worst = worst.max(r1).max(r2);
    }
    worst
}

/// The kernel and LAPACK inverses of `a`: both accepted, and equal within what
/// the conditioning allows (relative to each matrix's inverse norm).
fn compare_paths<T: Real>(a: &Array3<T>, tol: f64, what: &str) {
    let k = a.inv_with(&opts(Method::Kernel)).unwrap();
    let l = a.inv_with(&opts(Method::Getri)).unwrap();
    assert_eq!(a.inv().unwrap(), k, "{what}: Auto is the kernel");
    assert_accepted(a, &k, &format!("{what} (kernel)"));
    assert_accepted(a, &l, &format!("{what} (lapack)"));
    for (b, (km, lm)) in k.outer_iter().zip(l.outer_iter()).enumerate() {
        let km = km.mapv(|v| v.into());
        let lm = lm.mapv(|v| v.into());
        let diff = norm1(&(&km - &lm)) / norm1(&lm);
        assert!(
            diff < tol,
            "{what}: matrix {b}: relative difference {diff:e}"
        );
    }
}

/// `m` made diagonally dominant (n added to its diagonal): partial pivoting
/// interchanges no rows.
fn dominant<T: Real>(mut m: ArrayViewMut2<T>) {
    let n = m.nrows();
    for i in 0..n {
        m[[i, i]] = T::of(m[[i, i]].into() + n as f64);
    }
}

fn compare_random<T: Real>(seed: u64, tol: f64) {
    let mut r = rng(seed);
    for n in ORDERS {
        let count = 2 + 37 / n;
        let mut a = random::<T>(&mut r, count, n);
        // Diagonally dominant half: no interchanges at all in those matrices.
        a.outer_iter_mut().skip(count / 2).for_each(dominant);
        compare_paths(
            &a,
            tol * n as f64,
            &format!("{} random n={n}", type_name::<T>()),
        );
    }
}

/// Stacks of whole 8-matrix chunks (the lane counts are 4 and 8): one chunk
/// diagonally dominant (no lane interchanges rows), one random (most lanes
/// do), one mixed, then a partial chunk; each chunk takes its own way out of
/// the lanes.
fn compare_whole_chunks<T: Real>(seed: u64, tol: f64) {
    let mut r = rng(seed);
    for n in 1..=16 {
        let mut a = random::<T>(&mut r, 27, n);
        for (b, m) in a.outer_iter_mut().enumerate() {
            if b < 8 || (16..24).contains(&b) && b % 2 == 0 {
                dominant(m);
            }
        }
        compare_paths(
            &a,
            tol * n as f64,
            &format!("{} whole chunks n={n}", type_name::<T>()),
        );
    }
}

#[test]
fn whole_chunks_with_and_without_interchanges_match_lapack() {
    compare_whole_chunks::<f64>(11, 1e-11);
    compare_whole_chunks::<f32>(12, 1e-3);
}

fn type_name<T>() -> &'static str {
    std::any::type_name::<T>()
}

#[test]
fn random_stacks_match_lapack_f64() {
    compare_random::<f64>(1, 1e-11);
}

#[test]
fn random_stacks_match_lapack_f32() {
    compare_random::<f32>(2, 1e-3);
}

fn accepted_hard_cases<T: Real>(seed: u64) {
    let mut r = rng(seed);
    for n in ORDERS {
        let count = 3;
        let cases: Vec<(&str, Array3<T>)> = vec![
            ("graded", graded(&mut r, count, n, 40.0)),
            ("hilbert-like", hilbert_like(&mut r, count, n)),
            (
                "scaled up",
                random::<T>(&mut r, count, n).mapv(|v| T::of(v.into() * T::big())),
            ),
            (
                "scaled down",
                random::<T>(&mut r, count, n).mapv(|v| T::of(v.into() / T::big())),
            ),
        ];
        for (what, a) in cases {
            let what = format!("{} {what} n={n}", type_name::<T>());
            let k = a.inv_with(&opts(Method::Kernel)).unwrap();
            let worst = assert_accepted(&a, &k, &what);
            let l = a.inv_with(&opts(Method::Getri)).unwrap();
            let worst_lapack = assert_accepted(&a, &l, &format!("{what} (lapack)"));
            assert!(worst.is_finite() && worst_lapack.is_finite());
        }
    }
}

#[test]
fn graded_hilbert_and_scaled_matrices_pass_the_acceptance_test_f64() {
    accepted_hard_cases::<f64>(3);
}

#[test]
fn graded_hilbert_and_scaled_matrices_pass_the_acceptance_test_f32() {
    accepted_hard_cases::<f32>(4);
}

#[test]
fn two_by_two_with_huge_and_tiny_entries() {
    // A naive determinant overflows (1e400) or underflows (1e-400) here.
    for s in [1e200, 1e-200, 1e300, 1e-300] {
        let a =
            Array3::from_shape_vec((1, 2, 2), vec![4.0 * s, 7.0 * s, 2.0 * s, 6.0 * s]).unwrap();
        let x = a.inv().unwrap();
        let expect = [0.6 / s, -0.7 / s, -0.2 / s, 0.4 / s];
        for (v, e) in x.iter().zip(expect) {
            approx::assert_relative_eq!(*v, e, max_relative = 1e-14);
        }
        assert_eq!(x, a.inv_with(&opts(Method::Getri)).unwrap());
    }
}

/// Lower-triangular `A` (so LAPACK's `Aᵀ` is upper triangular: no interchanges
/// and exact zero columns below the diagonal) with `A[k][k] = 0`: the first zero
/// pivot is at step `k` on both paths.
fn singular_at<T: Real>(r: &mut ChaCha8Rng, n: usize, k: usize) -> Array2<T> {
    Array2::from_shape_fn((n, n), |(i, j)| {
        if j > i || (i == k && j == k) {
            T::of(0.0)
        } else if i == j {
            T::of(1.0 + r.gen_range(0.0..1.0))
        } else {
            T::of(r.gen_range(-1.0..1.0))
        }
    })
}

fn singular_matches<T: Real>(seed: u64) {
    let mut r = rng(seed);
    for n in ORDERS {
        let steps = if n <= 16 {
            vec![0, n / 2, n - 1]
        } else {
            vec![n / 3]
        };
        for k in steps {
            // Shape (3, 5, n, n); a random stack with singular matrices at [1, 3]
            // (the first) and [2, 0].
            let mut a = ArrayD::<T>::zeros(IxDyn(&[3, 5, n, n]));
            for mut m in a.outer_iter_mut() {
                for mut m in m.outer_iter_mut() {
                    m.assign(&random::<T>(&mut r, 1, n).index_axis(Axis(0), 0));
                    for i in 0..n {
                        m[[i, i]] = T::of(m[[i, i]].into() + n as f64);
                    }
                }
            }
            a.slice_mut(s![1, 3, .., ..])
                .assign(&singular_at::<T>(&mut r, n, k));
            a.slice_mut(s![2, 0, .., ..])
                .assign(&singular_at::<T>(&mut r, n, n - 1 - k));
            let expect = LinAlgError::Singular {
                batch: vec![1, 3],
                pivot: k,
            };
            for method in [Method::Kernel, Method::Getri, Method::Auto] {
                assert_eq!(
                    a.inv_with(&opts(method)),
                    Err(expect.clone()),
                    "n={n} k={k} {method:?}"
                );
                let one = InvOptions {
                    threads: Threads::Sequential,
                    ..opts(method)
                };
                assert_eq!(a.inv_with(&one), Err(expect.clone()));
                assert_eq!(a.clone().inv_into(), Err(expect.clone()));
            }
            let rk = a.inv_ex(&opts(Method::Kernel)).unwrap();
            let rl = a.inv_ex(&opts(Method::Getri)).unwrap();
            assert_eq!(rk.status, rl.status, "n={n} k={k}");
            assert_eq!(rk.status[[1, 3]], MatrixStatus::Singular { pivot: k });
            assert_eq!(
                rk.status[[2, 0]],
                MatrixStatus::Singular { pivot: n - 1 - k }
            );
            assert_eq!(rk.failures().count(), 2);
            assert!(rk
                .inverse
                .slice(s![1, 3, .., ..])
                .iter()
                .all(|v| v.is_nan()));
            assert!(rk
                .inverse
                .slice(s![2, 0, .., ..])
                .iter()
                .all(|v| v.is_nan()));
        }
    }
}

#[test]
fn singular_matrices_fail_at_the_same_index_and_pivot_f64() {
    singular_matches::<f64>(5);
}

#[test]
fn singular_matrices_fail_at_the_same_index_and_pivot_f32() {
    singular_matches::<f32>(6);
}

/// Every order from the lane kernels' to the largest (every edge of the
/// blocked kernel's panels of 8 steps, short last panels, padded columns):
/// random stacks against LAPACK, and singular matrices whose first zero pivot
/// is at, just before or just after a panel edge.
fn every_order<T: Real>(seed: u64, tol: f64) {
    let mut r = rng(seed);
    for n in 9..=64 {
        let mut a = random::<T>(&mut r, 6, n);
        for mut m in a.outer_iter_mut().skip(3) {
            for i in 0..n {
                m[[i, i]] = T::of(m[[i, i]].into() + n as f64);
            }
        }
        compare_paths(
            &a,
            tol * n as f64,
            &format!("{} every order n={n}", type_name::<T>()),
        );
        for k in [0, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, n - 2, n - 1] {
            if k >= n {
                continue;
            }
            let mut a = random::<T>(&mut r, 3, n);
            a.index_axis_mut(Axis(0), 1)
                .assign(&singular_at::<T>(&mut r, n, k));
            let expect = Err(LinAlgError::Singular {
                batch: vec![1],
                pivot: k,
            });
            for method in [Method::Kernel, Method::Getri] {
                assert_eq!(a.inv_with(&opts(method)), expect, "n={n} k={k} {method:?}");
            }
        }
    }
}

#[test]
fn every_order_up_to_64_matches_lapack_f64() {
    every_order::<f64>(13, 1e-11);
}

#[test]
fn every_order_up_to_64_matches_lapack_f32() {
    every_order::<f32>(14, 1e-3);
}

#[test]
fn exactly_singular_small_integer_matrices() {
    // Pivoting picks row 1 (|2| > |1|), and 2 - 0.5 * 4 is exactly 0.
    let a =
        Array3::from_shape_vec((2, 2, 2), vec![1.0, 0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 4.0]).unwrap();
    for method in [Method::Kernel, Method::Getri] {
        assert_eq!(
            a.inv_with(&opts(method)),
            Err(LinAlgError::Singular {
                batch: vec![1],
                pivot: 1
            })
        );
    }
    // A zero row of A is a zero column of what LAPACK factors: pivot at that row.
    let mut r = rng(7);
    for n in [3, 4, 8, 12, 16, 24, 32, 64] {
        for k in 0..n {
            let mut a = random::<f64>(&mut r, 9, n);
            a.slice_mut(s![6, k, ..]).fill(0.0);
            let expect = Err(LinAlgError::Singular {
                batch: vec![6],
                pivot: k,
            });
            assert_eq!(a.inv_with(&opts(Method::Kernel)), expect);
            assert_eq!(a.inv_with(&opts(Method::Getri)), expect);
        }
    }
}

#[test]
fn non_finite_values_are_reported_at_the_same_index() {
    let mut r = rng(8);
    for n in [1, 2, 3, 4, 7, 8, 9, 16, 33] {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut a = random::<f64>(&mut r, 20, n);
            a[[13, n - 1, n / 2]] = bad;
            a[[17, 0, 0]] = bad;
            let expect = Err(LinAlgError::NonFinite { batch: vec![13] });
            for method in [Method::Kernel, Method::Getri] {
                assert_eq!(a.inv_with(&opts(method)), expect, "n={n} {bad} {method:?}");
                assert_eq!(a.clone().inv_into(), expect);
            }
            let rk = a.inv_ex(&opts(Method::Kernel)).unwrap();
            let rl = a.inv_ex(&opts(Method::Getri)).unwrap();
            assert_eq!(rk.status, rl.status);
            assert_eq!(rk.status[13], MatrixStatus::NonFinite);
            assert_eq!(rk.status[17], MatrixStatus::NonFinite);
            // Unchecked: no error and no panic, whatever the values.
            let unchecked = InvOptions {
                check_finite: false,
                ..opts(Method::Kernel)
            };
            let x = a.inv_with(&unchecked);
            assert!(!matches!(x, Err(LinAlgError::NonFinite { .. })));
        }
    }
    // f32 too.
    let mut a = random::<f32>(&mut r, 11, 4);
    a[[10, 3, 3]] = f32::NAN;
    assert_eq!(
        a.inv_with(&opts(Method::Kernel)),
        Err(LinAlgError::NonFinite { batch: vec![10] })
    );
}

#[test]
fn inv_ex_statuses_match_lapack_on_mixed_stacks() {
    let mut r = rng(9);
    for n in [2, 3, 4, 5, 8, 10, 16, 20] {
        let count = 41;
        let mut a = random::<f64>(&mut r, count, n);
        let mut expect = vec![MatrixStatus::Ok; count];
        for b in (0..count).step_by(3) {
            match b % 4 {
                0 => {
                    let k = b % n;
                    a.index_axis_mut(Axis(0), b)
                        .assign(&singular_at::<f64>(&mut r, n, k));
                    expect[b] = MatrixStatus::Singular { pivot: k };
                }
                1 => {
                    a[[b, b % n, 0]] = f64::NAN;
                    expect[b] = MatrixStatus::NonFinite;
                }
                _ => {}
            }
        }
        let rk = a.inv_ex(&opts(Method::Kernel)).unwrap();
        let rl = a.inv_ex(&opts(Method::Getri)).unwrap();
        assert_eq!(rk.status.to_vec(), expect, "n={n}");
        assert_eq!(rk.status, rl.status, "n={n}");
        let pairs = rk.inverse.outer_iter().zip(rl.inverse.outer_iter());
        for (b, ((k, l), status)) in pairs.zip(&expect).enumerate() {
            if status.is_ok() {
                let diff = norm1(&(&k - &l)) / norm1(&l.to_owned());
                assert!(diff < 1e-9, "n={n} matrix {b}: {diff:e}");
            } else {
                assert!(k.iter().all(|v| v.is_nan()));
            }
        }
    }
}

#[test]
fn every_block_and_group_boundary() {
    let mut r = rng(10);
    for n in [1, 2, 3, 4, 6, 8, 9, 17] {
        for count in [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 257] {
            let a = random::<f64>(&mut r, count, n);
            let lapack = a.inv_with(&opts(Method::Getri)).unwrap();
            for threads in [Threads::Sequential, Threads::Count(2), Threads::Count(3)] {
                let k = a
                    .inv_with(&InvOptions {
                        threads,
                        ..opts(Method::Kernel)
                    })
                    .unwrap();
                for (b, (km, lm)) in k.outer_iter().zip(lapack.outer_iter()).enumerate() {
                    let diff = norm1(&(&km - &lm)) / norm1(&lm.to_owned());
                    assert!(
                        diff < 1e-8,
                        "n={n} count={count} {threads:?} matrix {b}: {diff:e}"
                    );
                }
            }
        }
    }
}

#[test]
fn other_layouts_and_inv_into_give_the_same_inverse() {
    let mut r = rng(11);
    for n in [2, 3, 4, 8, 12] {
        let a = random::<f64>(&mut r, 10, n);
        let c = a.inv().unwrap();
        // F order, a transposed view (inv(Aᵀ) = inv(A)ᵀ) and a strided view.
        let mut f = Array3::<f64>::zeros((10, n, n).f());
        f.assign(&a);
        assert_eq!(f.inv().unwrap(), c);
        let t = a.view().permuted_axes([0, 2, 1]);
        let ti = t.inv().unwrap();
        for (x, y) in ti.outer_iter().zip(c.outer_iter()) {
            let diff = norm1(&(&x - &y.t())) / norm1(&y.to_owned());
            assert!(diff < 1e-12, "n={n}: {diff:e}");
        }
        let every_other = a.slice(s![..;2, .., ..]);
        assert_eq!(every_other.inv().unwrap(), c.slice(s![..;2, .., ..]));
        assert_eq!(a.clone().inv_into().unwrap(), c);
        // Integers promote to f64 and take the kernel too.
        let ints = Array3::from_shape_fn((5, n, n), |(b, i, j)| {
            if i == j {
                10 + b as i32
            } else {
                (i * 3 + j) as i32 % 5 - 2
            }
        });
        let fi = ints.mapv(f64::from);
        assert_eq!(ints.inv().unwrap(), fi.inv().unwrap());
    }
}

#[test]
fn subnormal_pivots_are_left_to_lapack() {
    // A pivot below the smallest normal number: the kernel hands the matrix to
    // LAPACK, which divides by it instead of multiplying by its reciprocal.
    let mut a = Array3::<f32>::zeros((9, 2, 2));
    for mut m in a.outer_iter_mut() {
        m.assign(&Array2::eye(2));
    }
    a[[4, 0, 0]] = 1e-38;
    a[[4, 1, 0]] = 0.5e-38;
    let k = a.inv().unwrap();
    let l = a.inv_with(&opts(Method::Getri)).unwrap();
    assert_eq!(k, l);
    approx::assert_relative_eq!(k[[4, 0, 0]], 1e38, max_relative = 1e-6);
    assert_eq!(k.index_axis(Axis(0), 3), Array2::eye(2));
}

#[test]
fn rcond_is_lapacks_and_leaves_the_inverse_alone_and_complex_takes_lapack() {
    let mut r = rng(12);
    let mut a = random::<f64>(&mut r, 6, 4);
    a.index_axis_mut(Axis(0), 2)
        .assign(&singular_at::<f64>(&mut r, 4, 1));
    let with_rcond = InvOptions {
        compute_rcond: true,
        ..opts(Method::Kernel)
    };
    let rep = a.inv_ex(&with_rcond).unwrap();
    let plain = a.inv_ex(&opts(Method::Kernel)).unwrap();
    let same = |x: &f64, y: &f64| x == y || (x.is_nan() && y.is_nan());
    assert!(rep
        .inverse
        .iter()
        .zip(&plain.inverse)
        .all(|(x, y)| same(x, y)));
    let lapack = a
        .inv_ex(&InvOptions {
            compute_rcond: true,
            ..opts(Method::Getri)
        })
        .unwrap();
    let (rk, rl) = (rep.rcond.unwrap(), lapack.rcond.unwrap());
    assert!(rk.iter().zip(&rl).all(|(x, y)| same(x, y)), "{rk} {rl}");
    assert_eq!(rep.status, lapack.status);
    assert_eq!(rk[2], 0.0);
    // A threshold above every estimate rejects every matrix, as on LAPACK's path.
    let strict = InvOptions {
        rcond_threshold: Some(2.0),
        ..opts(Method::Kernel)
    };
    let rep = a.inv_ex(&strict).unwrap();
    assert!(rep.status.iter().enumerate().all(|(b, s)| (b == 2)
        == matches!(s, MatrixStatus::Singular { .. })
        && (b == 2 || matches!(s, MatrixStatus::IllConditioned { .. }))));
    assert!(rep.inverse.iter().all(|v| v.is_nan()));

    let z = Array::from_shape_fn((7, 3, 3), |(b, i, j)| {
        Complex::new(
            (b + i * 3 + j) as f64 % 5.0 + if i == j { 9.0 } else { 0.0 },
            (i + 2 * j) as f64,
        )
    });
    assert_eq!(
        z.inv_with(&opts(Method::Kernel)).unwrap(),
        z.inv_with(&opts(Method::Getri)).unwrap()
    );
    let z32 = z.mapv(|c| Complex::new(c.re as f32, c.im as f32));
    assert_eq!(
        z32.inv_with(&opts(Method::Kernel)).unwrap(),
        z32.inv_with(&opts(Method::Getri)).unwrap()
    );
}

#[test]
fn single_matrices_and_empty_stacks() {
    let a =
        Array2::from_shape_vec((3, 3), vec![2.0, 1.0, 0.0, 1.0, 3.0, 1.0, 0.0, 1.0, 4.0]).unwrap();
    let k = a.inv().unwrap();
    let l = a.inv_with(&opts(Method::Getri)).unwrap();
    for (x, y) in k.iter().zip(&l) {
        approx::assert_abs_diff_eq!(*x, *y, epsilon = 1e-15);
    }
    assert_eq!(
        Array3::<f64>::zeros((0, 4, 4)).inv().unwrap().shape(),
        &[0, 4, 4]
    );
    assert_eq!(
        Array3::<f64>::zeros((5, 0, 0)).inv().unwrap().shape(),
        &[5, 0, 0]
    );
    assert_eq!(
        Array2::<f32>::zeros((1, 1)).inv(),
        Err(LinAlgError::Singular {
            batch: vec![],
            pivot: 0
        })
    );
}

/// Every position in a chunk of lanes and a block: each matrix of a stack (full
/// chunks, a partial last chunk, row interchanges in some lanes only, a singular
/// and a non-finite matrix beside good ones) is inverted to the same bits as
/// when it is inverted alone (a chunk of one lane).
fn lanes_match_single_matrices<T: Real>(seed: u64) {
    let mut r = rng(seed);
    // Above 8, a partial last chunk of few matrices (and a matrix alone) is
    // inverted one at a time by another kernel: the same bits.
    for n in [1, 2, 3, 4, 5, 8, 9, 10, 12, 16, 24, 32, 33, 48, 64] {
        for count in [1, 3, 4, 5, 8, 9, 31, 32, 33, 70] {
            let mut a = random::<T>(&mut r, count, n);
            // Odd matrices diagonally dominant (no interchange), even ones not.
            for (b, mut m) in a.outer_iter_mut().enumerate() {
                if b % 2 == 1 {
                    for i in 0..n {
                        m[[i, i]] = T::of(m[[i, i]].into() + n as f64);
                    }
                }
            }
            if count > 5 {
                a.slice_mut(s![count / 2, .., ..]).fill(T::of(0.0));
                a[[count - 2, n - 1, 0]] = T::of(f64::NAN);
            }
            let report = a.inv_ex(&opts(Method::Kernel)).unwrap();
            for (b, m) in a.outer_iter().enumerate() {
                let alone = m.insert_axis(Axis(0)).inv_with(&opts(Method::Kernel));
                let what = format!("{} n={n} count={count} b={b}", type_name::<T>());
                match alone {
                    Ok(x) => {
                        assert_eq!(report.status[b], MatrixStatus::Ok, "{what}");
                        assert_eq!(
                            report.inverse.index_axis(Axis(0), b),
                            x.index_axis(Axis(0), 0),
                            "{what}"
                        );
                    }
                    Err(_) => {
                        assert_ne!(report.status[b], MatrixStatus::Ok, "{what}");
                        assert!(count > 5 && (b == count / 2 || b == count - 2), "{what}");
                    }
                }
            }
            if count > 5 {
                // The zero matrix comes first in C order.
                let first = count / 2;
                assert_eq!(
                    report.failures().next(),
                    Some((vec![first], MatrixStatus::Singular { pivot: 0 }))
                );
                assert_eq!(
                    a.inv(),
                    Err(LinAlgError::Singular {
                        batch: vec![first],
                        pivot: 0
                    })
                );
            }
        }
    }
}

#[test]
fn lanes_match_single_matrices_f64() {
    lanes_match_single_matrices::<f64>(11);
}

#[test]
fn lanes_match_single_matrices_f32() {
    lanes_match_single_matrices::<f32>(12);
}

/// An output of more than 32 MiB (which glibc maps fresh at every call, in
/// huge pages where it can) holds the same inverses as small stacks of the
/// same matrices.
#[test]
fn large_outputs_hold_the_same_inverses() {
    let mut r = rng(13);
    let a = random::<f64>(&mut r, 300_001, 4);
    let x = a.inv().unwrap();
    for range in [0..37, 150_000..150_033, 299_970..300_001] {
        let part = a.slice(s![range.clone(), .., ..]).to_owned();
        assert_eq!(part.inv().unwrap(), x.slice(s![range, .., ..]));
    }
}
