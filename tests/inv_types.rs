//! `inv` for every element type and size: LAPACK's acceptance ratio and
//! ndarray-linalg's `inv` as an independent oracle; batches of rank 3 and 4;
//! every kind of array (owned, view, `ArcArray`, `CowArray`, `IxDyn`); integer
//! input promoted to `f64`.

mod common;

use common::{
    assert_close_inverses, assert_inverse, assert_stack_inverse, dominant_matrix, dominant_stack,
    graded_matrix, matrices, on_big_stack, oracle_inv, random_matrix, random_stack, rng,
    TestScalar, C32, C64,
};
use inv_ext::InvExt;
use ndarray::{array, ArcArray, Array, Array2, Array3, Array4, ArrayD, CowArray, Ix3, IxDyn};

/// Sizes 1..=100: every size up to 12, then the blocking and SIMD boundaries
/// (powers of two and their neighbours), then a few odd ones up to 100.
const SIZES: &[usize] = &[
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16, 17, 23, 31, 32, 33, 47, 63, 64, 65, 71, 97, 100,
];

/// Every size in [`SIZES`], for random (pivoted), diagonally dominant and graded
/// matrices: the acceptance ratio, and agreement with the oracle.
fn every_size<T: TestScalar>(seed: u64) {
    on_big_stack(|| every_size_on_this_thread::<T>(seed));
}

fn every_size_on_this_thread<T: TestScalar>(seed: u64) {
    let mut rng = rng(seed);
    for &n in SIZES {
        let cases = [
            ("random", random_matrix::<T>(&mut rng, n)),
            ("dominant", dominant_matrix::<T>(&mut rng, n)),
            ("graded", graded_matrix::<T>(&mut rng, n)),
        ];
        for (kind, a) in cases {
            let x = a.inv().unwrap_or_else(|e| panic!("{kind} n={n}: {e}"));
            assert_eq!(x.dim(), (n, n));
            assert!(x.is_standard_layout());
            assert_inverse(a.view(), x.view(), kind);
            let y = oracle_inv(a.view());
            assert_close_inverses(a.view(), x.view(), y.view(), &format!("{kind} vs oracle"));
        }
    }
}

#[test]
fn f32_sizes_1_to_100_pass_acceptance_and_match_oracle() {
    every_size::<f32>(1);
}

#[test]
fn f64_sizes_1_to_100_pass_acceptance_and_match_oracle() {
    every_size::<f64>(2);
}

#[test]
fn complex_f32_sizes_1_to_100_pass_acceptance_and_match_oracle() {
    every_size::<C32>(3);
}

#[test]
fn complex_f64_sizes_1_to_100_pass_acceptance_and_match_oracle() {
    every_size::<C64>(4);
}

fn large<T: TestScalar>(n: usize, seed: u64) {
    on_big_stack(|| {
        let a = random_matrix::<T>(&mut rng(seed), n);
        let x = a.inv().unwrap();
        assert_inverse(a.view(), x.view(), "large random");
        let y = oracle_inv(a.view());
        assert_close_inverses(a.view(), x.view(), y.view(), "large vs oracle");
    });
}

/// Regression: Debian's OpenBLAS 0.3.21 threaded `?getrf_parallel` puts ~528 KiB
/// on the stack per recursion level; inverting a 100×100 `Complex<f32>` (or a
/// 320×320 `f64`) on a thread with Rust's default 2 MiB stack (every
/// `std::thread::spawn`, every test thread, every rayon or tokio worker) ran past
/// the stack into the neighbouring mapping: a SIGSEGV, or silent corruption of
/// another thread's stack. No concurrency needed: one call on one thread. Fixed
/// by running vendor-threaded calls on a dedicated large-stack thread. Where the
/// overflow lands depends on the memory map, so several fresh threads are tried;
/// a regression shows as a segfault of this test binary.
#[test]
fn inv_on_a_default_2mib_thread_does_not_overflow_the_stack() {
    let c = random_matrix::<C32>(&mut rng(7), 100);
    let d = random_matrix::<f64>(&mut rng(8), 320);
    // Where the overflow lands depends on what is mapped below the thread's
    // stack, so try several fresh threads.
    for _ in 0..20 {
        std::thread::scope(|s| {
            std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn_scoped(s, || {
                    assert_eq!(c.inv().unwrap().dim(), (100, 100));
                    assert_eq!(d.inv().unwrap().dim(), (320, 320));
                })
                .unwrap()
                .join()
                .unwrap();
        });
    }
}

#[test]
fn f64_320_passes_acceptance_and_matches_oracle() {
    large::<f64>(320, 5);
}

#[test]
fn complex_f64_300_passes_acceptance_and_matches_oracle() {
    large::<C64>(300, 6);
}

/// Batches of rank 3 and 4 (and 5): every matrix passes, agrees with the inverse
/// of that matrix alone (bit-identical today, but a batch may legitimately take
/// another kernel than a single matrix, so compared by forward error), and agrees
/// with the oracle.
fn batches<T: TestScalar>(seed: u64) {
    let mut rng = rng(seed);
    let shapes: &[&[usize]] = &[
        &[1, 3, 3],
        &[6, 1, 1],
        &[6, 2, 2],
        &[5, 3, 3],
        &[7, 5, 5],
        &[4, 8, 8],
        &[3, 17, 17],
        &[2, 3, 4, 4],
        &[3, 2, 7, 7],
        &[2, 1, 3, 6, 6],
    ];
    for shape in shapes {
        for (kind, a) in [
            ("random", random_stack::<T>(&mut rng, shape)),
            ("dominant", dominant_stack::<T>(&mut rng, shape)),
        ] {
            let what = format!("{kind} {shape:?}");
            let x = a.inv().unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(x.shape(), *shape);
            assert!(x.is_standard_layout());
            assert_stack_inverse(&a, &x, &what);
            for ((ix, am), (_, xm)) in matrices(&a).into_iter().zip(matrices(&x)) {
                let alone = am.inv().unwrap();
                assert_close_inverses(am, xm, alone.view(), &format!("{what} {ix:?} alone"));
                let y = oracle_inv(am);
                assert_close_inverses(am, xm, y.view(), &format!("{what} {ix:?} vs oracle"));
            }
        }
    }
}

#[test]
fn f32_batches_of_rank_3_and_4() {
    batches::<f32>(11);
}

#[test]
fn f64_batches_of_rank_3_and_4() {
    batches::<f64>(12);
}

#[test]
fn complex_f32_batches_of_rank_3_and_4() {
    batches::<C32>(13);
}

#[test]
fn complex_f64_batches_of_rank_3_and_4() {
    batches::<C64>(14);
}

/// A batch large enough to be split across worker threads gives the same
/// inverses as the matrices one by one.
#[test]
fn threaded_batch_equals_matrices_one_by_one() {
    let a = dominant_stack::<f64>(&mut rng(15), &[3, 100, 6, 6]);
    let x = a.inv().unwrap();
    for ((ix, am), (_, xm)) in matrices(&a).into_iter().zip(matrices(&x)) {
        let alone = am.inv().unwrap();
        assert_close_inverses(am, xm, alone.view(), &format!("batch {ix:?} alone"));
    }
    assert_stack_inverse(&a, &x, "threaded batch");
}

#[test]
fn every_kind_of_array_gives_the_same_inverse() {
    let a: Array3<C64> = dominant_stack::<C64>(&mut rng(16), &[3, 4, 4])
        .into_dimensionality::<Ix3>()
        .unwrap();
    let x: Array3<C64> = a.inv().unwrap();
    // Views, shared and copy-on-write arrays.
    assert_eq!(a.view().inv().unwrap(), x);
    let arc: ArcArray<C64, Ix3> = a.to_shared();
    assert_eq!(arc.inv().unwrap(), x);
    let cow = CowArray::from(a.view());
    assert_eq!(cow.inv().unwrap(), x);
    let cow_owned = CowArray::from(a.clone());
    assert_eq!(cow_owned.inv().unwrap(), x);
    // Dynamic dimension: same values, IxDyn result.
    let d: ArrayD<C64> = a.clone().into_dyn().inv().unwrap();
    assert_eq!(d.shape(), &[3, 4, 4]);
    assert_eq!(d, x.clone().into_dyn());
    // A mutable view.
    let mut b = a.clone();
    assert_eq!(b.view_mut().inv().unwrap(), x);
}

#[test]
fn identity_and_diagonal_matrices_invert_exactly() {
    for n in [1, 2, 5, 33] {
        let i = Array2::<f64>::eye(n);
        assert_eq!(i.inv().unwrap(), i);
        let d = Array2::from_diag(&Array::from_shape_fn(n, |k| 2f64.powi(k as i32 - 3)));
        let di = Array2::from_diag(&Array::from_shape_fn(n, |k| 2f64.powi(3 - k as i32)));
        assert_eq!(d.inv().unwrap(), di);
        let dc = d.mapv(|v| C32::new(0.0, v as f32));
        let dci = di.mapv(|v| C32::new(0.0, -v as f32));
        assert_eq!(dc.inv().unwrap(), dci);
    }
}

#[test]
fn one_by_one_is_the_reciprocal() {
    assert_eq!(array![[4.0f64]].inv().unwrap(), array![[0.25]]);
    assert_eq!(array![[-0.5f32]].inv().unwrap(), array![[-2.0f32]]);
    assert_eq!(
        array![[C64::new(0.0, 2.0)]].inv().unwrap(),
        array![[C64::new(0.0, -0.5)]]
    );
    let s = Array3::from_shape_vec((3, 1, 1), vec![2.0f64, -4.0, 8.0]).unwrap();
    assert_eq!(
        s.inv().unwrap(),
        Array3::from_shape_vec((3, 1, 1), vec![0.5, -0.25, 0.125]).unwrap()
    );
}

/// Integer stacks promote to `f64` and give exactly the `f64` result.
macro_rules! integer_case {
    ($name:ident, $t:ty, $lo:expr) => {
        #[test]
        fn $name() {
            use rand::Rng;
            let mut r = rng(100 + std::mem::size_of::<$t>() as u64);
            for shape in [&[4, 4][..], &[3, 5, 5], &[2, 2, 3, 3], &[1, 1], &[7, 7]] {
                let nd = shape.len();
                let a = ArrayD::<$t>::from_shape_fn(IxDyn(shape), |ix| {
                    let v: $t = r.gen_range($lo..6);
                    if ix[nd - 1] == ix[nd - 2] {
                        v + 40
                    } else {
                        v
                    }
                });
                let f = a.mapv(|v| v as f64);
                let x: ArrayD<f64> = a.inv().unwrap();
                assert_eq!(x, f.inv().unwrap(), "{shape:?}");
                assert!(x.is_standard_layout());
                assert_stack_inverse(&f, &x, stringify!($t));
                // Views and inv_into (which falls back to inv for integers).
                assert_eq!(a.view().inv().unwrap(), x);
                assert_eq!(a.clone().inv_into().unwrap(), x);
            }
        }
    };
}
integer_case!(i8_promotes_to_f64, i8, -5);
integer_case!(i16_promotes_to_f64, i16, -5);
integer_case!(i32_promotes_to_f64, i32, -5);
integer_case!(i64_promotes_to_f64, i64, -5);
integer_case!(isize_promotes_to_f64, isize, -5);
integer_case!(u8_promotes_to_f64, u8, 0);
integer_case!(u16_promotes_to_f64, u16, 0);
integer_case!(u32_promotes_to_f64, u32, 0);
integer_case!(u64_promotes_to_f64, u64, 0);
integer_case!(usize_promotes_to_f64, usize, 0);

#[test]
fn extreme_integers_promote_as_numpy_does() {
    // Rounded to the nearest f64, as `np.array(..., dtype=np.uint64).astype(float)`.
    let a = array![[u64::MAX, 0], [0, 1]];
    assert_eq!(
        a.inv().unwrap(),
        array![[1.0 / 18446744073709551615.0, 0.0], [0.0, 1.0]]
    );
    let b = array![[i64::MIN, 0], [0, i64::MAX]];
    assert_eq!(
        b.inv().unwrap(),
        array![[-(2f64.powi(-63)), 0.0], [0.0, 2f64.powi(-63)]]
    );
    let c = array![[i8::MIN, i8::MAX], [0, 1]];
    assert_eq!(
        c.inv().unwrap(),
        array![[-1.0 / 128.0, 127.0 / 128.0], [0.0, 1.0]]
    );
    let d = Array4::from_elem((2, 1, 1, 1), u8::MAX);
    assert_eq!(
        d.inv().unwrap(),
        Array4::from_elem((2, 1, 1, 1), 1.0 / 255.0)
    );
}
