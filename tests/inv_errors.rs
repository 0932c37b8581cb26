//! Every error `inv` and `inv_into` can return, with its batch multi-index (the
//! FIRST failing matrix in C order, whatever its kind), its message, and the
//! input unchanged afterwards; empty inputs are not errors.

mod common;

use common::{dominant_stack, layouts, rng, TestScalar, C32, C64};
use inv_ext::{InvExt, InvOptions, LinAlgError, Method};
use ndarray::{arr0, arr1, array, s, Array1, Array2, Array3, ArrayD, Axis, IxDyn};

/// Makes matrix `batch` of `a` singular with an exactly zero pivot at step `k`,
/// whatever the elimination order: row `k` and column `k` are zero.
fn make_singular<T: TestScalar>(a: &mut ArrayD<T>, batch: &[usize], k: usize) {
    let mut m = a.view_mut();
    for &i in batch {
        m.index_axis_inplace(Axis(0), i);
    }
    m.index_axis_mut(Axis(0), k).fill(T::zero());
    m.index_axis_mut(Axis(1), k).fill(T::zero());
}

/// Puts `v` at element `(i, j)` of matrix `batch` of `a`.
fn put<T: TestScalar>(a: &mut ArrayD<T>, batch: &[usize], (i, j): (usize, usize), v: T) {
    let mut ix = batch.to_vec();
    ix.extend([i, j]);
    a[IxDyn(&ix)] = v;
}

/// `inv` of `a` fails with `expected`, `a` is unchanged, and so does `inv` of
/// every other layout of `a` and `inv_into` of a copy.
fn assert_fails<T: TestScalar>(a: &ArrayD<T>, expected: &LinAlgError) {
    let before = a.clone();
    let got = a.inv().expect_err("inv must fail");
    assert_eq!(&got, expected, "shape {:?}", a.shape());
    assert!(same_bits(a, &before), "input changed");
    for (name, b) in layouts(a, T::zero()) {
        let keep = b.clone();
        assert_eq!(&b.inv().expect_err(&name), expected, "{name}");
        assert!(same_bits(&b, &keep), "{name}: input changed");
        assert_eq!(&b.inv_into().expect_err(&name), expected, "inv_into {name}");
    }
}

/// Element-wise identical, NaN included.
fn same_bits<T: TestScalar>(a: &ArrayD<T>, b: &ArrayD<T>) -> bool {
    a.shape() == b.shape()
        && a.iter().zip(b).all(|(x, y)| {
            let (x, y) = (x.widen(), y.widen());
            x.re.to_bits() == y.re.to_bits() && x.im.to_bits() == y.im.to_bits()
        })
}

// ---------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------

#[test]
fn zero_and_one_dimensional_inputs_are_not_enough_dimensions() {
    let e0 = arr0(2.0f64).inv().unwrap_err();
    assert_eq!(e0, LinAlgError::NotEnoughDimensions { ndim: 0 });
    assert_eq!(
        e0.to_string(),
        "0-dimensional array given. Array must be at least two-dimensional"
    );
    let v = arr1(&[1.0f32, 2.0, 3.0]);
    let e1 = v.inv().unwrap_err();
    assert_eq!(e1, LinAlgError::NotEnoughDimensions { ndim: 1 });
    assert_eq!(
        e1.to_string(),
        "1-dimensional array given. Array must be at least two-dimensional"
    );
    assert_eq!(v, arr1(&[1.0f32, 2.0, 3.0]));
    assert_eq!(
        v.inv_into().unwrap_err(),
        LinAlgError::NotEnoughDimensions { ndim: 1 }
    );
    assert_eq!(
        Array1::<i32>::zeros(0).inv().unwrap_err(),
        LinAlgError::NotEnoughDimensions { ndim: 1 }
    );
    assert_eq!(
        ArrayD::<C64>::zeros(IxDyn(&[])).inv().unwrap_err(),
        LinAlgError::NotEnoughDimensions { ndim: 0 }
    );
    assert_eq!(
        arr0(C32::new(1.0, 0.0)).inv_into().unwrap_err(),
        LinAlgError::NotEnoughDimensions { ndim: 0 }
    );
}

#[test]
fn non_square_inputs_are_not_square_even_when_empty() {
    let cases: &[(&[usize], usize, usize)] = &[
        (&[2, 3], 2, 3),
        (&[3, 0], 3, 0),
        (&[0, 2], 0, 2),
        (&[4, 3, 5], 3, 5),
        (&[0, 2, 3], 2, 3),
        (&[2, 0, 3], 0, 3),
        (&[2, 2, 1, 2], 1, 2),
    ];
    for &(shape, rows, cols) in cases {
        let expected = LinAlgError::NotSquare { rows, cols };
        let a = ArrayD::<f64>::ones(IxDyn(shape));
        assert_eq!(a.inv().unwrap_err(), expected, "{shape:?}");
        assert_eq!(a, ArrayD::<f64>::ones(IxDyn(shape)));
        assert_eq!(a.clone().inv_into().unwrap_err(), expected, "{shape:?}");
        assert_eq!(a.mapv(|_| 1u8).inv().unwrap_err(), expected, "{shape:?}");
        let mut t = a.view();
        t.swap_axes(shape.len() - 2, shape.len() - 1);
        assert_eq!(
            t.inv().unwrap_err(),
            LinAlgError::NotSquare {
                rows: cols,
                cols: rows
            },
            "{shape:?} transposed"
        );
    }
    assert_eq!(
        LinAlgError::NotSquare { rows: 2, cols: 3 }.to_string(),
        "Last 2 dimensions of the array must be square (got 2x3)"
    );
    let e = Array3::<C32>::zeros((0, 2, 3)).inv().unwrap_err();
    assert_eq!(
        e.to_string(),
        "Last 2 dimensions of the array must be square (got 2x3)"
    );
}

#[test]
fn too_large_for_lapack_without_allocating() {
    let big = 1usize << 31;
    let expected = LinAlgError::TooLarge {
        what: "n",
        value: big,
        limit: i32::MAX as usize,
    };
    // One element broadcast to 2^31 × 2^31: 2^62 logical elements, 8 bytes of data.
    let one = arr0(1.0f64);
    let v = one.broadcast((big, big)).unwrap();
    let e = v.inv().unwrap_err();
    assert_eq!(e, expected);
    assert_eq!(
        e.to_string(),
        "n = 2147483648 does not fit LAPACK's 32-bit integer (limit 2147483647)"
    );
    assert_eq!(v.inv_into().unwrap_err(), expected);
    let v3 = one.broadcast((1, big, big)).unwrap();
    assert_eq!(v3.inv().unwrap_err(), expected);
    let vd = one.broadcast(IxDyn(&[1, 1, big, big])).unwrap();
    assert_eq!(vd.inv().unwrap_err(), expected);
    // Every element type.
    assert_eq!(
        arr0(1i8).broadcast((big, big)).unwrap().inv().unwrap_err(),
        expected
    );
    assert_eq!(
        arr0(7u64).broadcast((big, big)).unwrap().inv().unwrap_err(),
        expected
    );
    assert_eq!(
        arr0(C64::new(1.0, 1.0))
            .broadcast((big, big))
            .unwrap()
            .inv()
            .unwrap_err(),
        expected
    );
    assert_eq!(
        arr0(1.0f32)
            .broadcast((big, big))
            .unwrap()
            .inv()
            .unwrap_err(),
        expected
    );
    // Shape errors come first.
    assert_eq!(
        one.broadcast((big, big + 1)).unwrap().inv().unwrap_err(),
        LinAlgError::NotSquare {
            rows: big,
            cols: big + 1
        }
    );
    assert_eq!(one, arr0(1.0));
}

/// A broadcast view can describe far more than memory holds: the result is an
/// error, found before anything is computed, never an abort. (Sizes beyond any
/// address space, so the answer does not depend on the machine.)
#[test]
fn results_too_large_for_memory_are_errors() {
    let one = arr0(1.0f64);
    // 2^20 matrices of order 2^16: 2^52 elements, 2^55 bytes.
    let v = one.broadcast((1 << 20, 1 << 16, 1 << 16)).unwrap();
    let e = v.inv().unwrap_err();
    assert_eq!(e, LinAlgError::OutOfMemory { bytes: 1 << 55 });
    assert_eq!(
        e.to_string(),
        "cannot allocate 36028797018963968 bytes for the result"
    );
    assert_eq!(
        v.inv_into().unwrap_err(),
        LinAlgError::OutOfMemory { bytes: 1 << 55 }
    );
    // One matrix of order 2^24 (n fits LAPACK): 2^48 elements.
    let c = arr0(C32::new(1.0, 0.0));
    assert_eq!(
        c.broadcast((1 << 24, 1 << 24)).unwrap().inv().unwrap_err(),
        LinAlgError::OutOfMemory { bytes: 1 << 51 }
    );
    // Integers promote: the f64 result is what must fit.
    assert_eq!(
        arr0(3u8)
            .broadcast((1 << 24, 1 << 24))
            .unwrap()
            .inv()
            .unwrap_err(),
        LinAlgError::OutOfMemory { bytes: 1 << 51 }
    );
    // A NaN or a zero in such a view is not looked at first: memory is checked
    // before anything is read.
    assert_eq!(
        arr0(f64::NAN)
            .broadcast((1 << 24, 1 << 24))
            .unwrap()
            .inv()
            .unwrap_err(),
        LinAlgError::OutOfMemory { bytes: 1 << 51 }
    );
}

// ---------------------------------------------------------------------------
// Empty inputs
// ---------------------------------------------------------------------------

#[test]
fn empty_inputs_give_empty_results() {
    for shape in [
        &[0, 0][..],
        &[0, 3, 3],
        &[2, 0, 0],
        &[3, 0, 2, 2],
        &[0, 0, 0],
    ] {
        let a = ArrayD::<f64>::zeros(IxDyn(shape));
        let x = a.inv().unwrap();
        assert_eq!(x.shape(), shape);
        assert!(x.is_standard_layout());
        assert_eq!(a.clone().inv_into().unwrap().shape(), shape);
        let c: ArrayD<C32> = ArrayD::zeros(IxDyn(shape));
        assert_eq!(c.inv().unwrap().shape(), shape);
        let i: ArrayD<f64> = ArrayD::<i64>::zeros(IxDyn(shape)).inv().unwrap();
        assert_eq!(i.shape(), shape);
    }
    let x: Array2<f64> = Array2::<f64>::zeros((0, 0)).inv().unwrap();
    assert_eq!(x.dim(), (0, 0));
    let x: Array3<f32> = Array3::<f32>::zeros((0, 5, 5)).inv().unwrap();
    assert_eq!(x.dim(), (0, 5, 5));
    // Views of empty arrays, including a broadcast one and F order.
    let e = Array3::<f64>::zeros((2, 0, 0));
    assert_eq!(
        e.view().reversed_axes().inv().unwrap_err(),
        LinAlgError::NotSquare { rows: 0, cols: 2 }
    );
    let mut t = e.view();
    t.swap_axes(1, 2);
    assert_eq!(t.inv().unwrap().dim(), (2, 0, 0));
    let mut r = e.clone();
    r.invert_axis(Axis(0));
    assert_eq!(r.inv().unwrap().dim(), (2, 0, 0));
    assert_eq!(
        arr0(1.0f64)
            .broadcast((0, 4, 4))
            .unwrap()
            .inv()
            .unwrap()
            .dim(),
        (0, 4, 4)
    );
}

// ---------------------------------------------------------------------------
// Singular
// ---------------------------------------------------------------------------

#[test]
fn singular_2d_names_the_zero_pivot() {
    let a = array![[1.0, 2.0], [2.0, 4.0]];
    let e = a.inv().unwrap_err();
    assert_eq!(
        e,
        LinAlgError::Singular {
            batch: vec![],
            pivot: 1
        }
    );
    assert_eq!(e.to_string(), "singular matrix: U[1,1] is exactly zero");
    assert_eq!(a, array![[1.0, 2.0], [2.0, 4.0]]);
    assert_eq!(
        array![[1, 2], [2, 4]].inv().unwrap_err(),
        LinAlgError::Singular {
            batch: vec![],
            pivot: 1
        }
    );
    // The zero matrix fails at the first step.
    for n in [1, 2, 5] {
        assert_eq!(
            Array2::<C64>::zeros((n, n)).inv().unwrap_err(),
            LinAlgError::Singular {
                batch: vec![],
                pivot: 0
            }
        );
    }
    // Row and column k zero: pivot k, for every type and layout.
    let mut rng = rng(1);
    for k in 0..4 {
        let mut a = dominant_stack::<f64>(&mut rng, &[4, 4]);
        make_singular(&mut a, &[], k);
        let expected = LinAlgError::Singular {
            batch: vec![],
            pivot: k,
        };
        assert_fails(&a, &expected);
        let mut c = dominant_stack::<C32>(&mut rng, &[4, 4]);
        make_singular(&mut c, &[], k);
        assert_fails(&c, &expected);
    }
}

#[test]
fn singular_names_the_first_singular_matrix_rank_3() {
    let mut a = dominant_stack::<f64>(&mut rng(2), &[6, 4, 4]);
    make_singular(&mut a, &[4], 0);
    make_singular(&mut a, &[2], 3);
    let expected = LinAlgError::Singular {
        batch: vec![2],
        pivot: 3,
    };
    assert_fails(&a, &expected);
    assert_eq!(
        a.inv().unwrap_err().to_string(),
        "singular matrix: U[3,3] is exactly zero (batch index [2])"
    );
    assert_eq!(a.inv().unwrap_err().batch_index(), Some(&[2][..]));
}

#[test]
fn singular_names_the_first_singular_matrix_rank_4() {
    let mut a = dominant_stack::<C64>(&mut rng(3), &[3, 4, 5, 5]);
    make_singular(&mut a, &[2, 1], 1);
    make_singular(&mut a, &[1, 3], 2);
    let expected = LinAlgError::Singular {
        batch: vec![1, 3],
        pivot: 2,
    };
    assert_fails(&a, &expected);
    assert_eq!(
        a.inv().unwrap_err().to_string(),
        "singular matrix: U[2,2] is exactly zero (batch index [1, 3])"
    );
    // The very first and the very last matrix.
    let mut b = dominant_stack::<f32>(&mut rng(4), &[2, 3, 3, 3]);
    make_singular(&mut b, &[1, 2], 0);
    assert_fails(
        &b,
        &LinAlgError::Singular {
            batch: vec![1, 2],
            pivot: 0,
        },
    );
    make_singular(&mut b, &[0, 0], 2);
    assert_fails(
        &b,
        &LinAlgError::Singular {
            batch: vec![0, 0],
            pivot: 2,
        },
    );
}

/// "Singular" means an exactly zero pivot, as in LAPACK and NumPy: nearly
/// singular matrices are inverted, even when the inverse overflows.
#[test]
fn nearly_singular_matrices_are_inverted_not_errors() {
    let eps = f64::EPSILON;
    let a = array![[1.0, 1.0], [1.0, 1.0 + 2.0 * eps]];
    let x = a.inv().unwrap();
    assert!(x.iter().all(|v| v.is_finite() && v.abs() > 1e15), "{x}");
    // A subnormal pivot: the inverse overflows to infinity, and that is a result.
    let tiny = array![[1e-310f64]];
    let x = tiny.inv().unwrap();
    assert!(x[[0, 0]].is_infinite() && x[[0, 0]] > 0.0, "{x}");
    // Larger: the overflow spreads as inf·0 = NaN in LAPACK's getri (NumPy's
    // getrs route spreads it differently); only the absence of an error is
    // the contract.
    let tiny = array![[f32::MIN_POSITIVE / 4.0, 0.0], [0.0, 1.0]];
    assert!(tiny.inv().is_ok());
    let tiny = array![[1.0, 0.0, 0.0], [0.0, 1e-310f64, 0.0], [0.0, 0.0, 1.0]];
    assert!(tiny.inv().is_ok());
}

// ---------------------------------------------------------------------------
// Non-finite
// ---------------------------------------------------------------------------

#[test]
fn non_finite_values_are_rejected_2d() {
    let values = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
    for v in values {
        for pos in [(0, 0), (1, 2), (2, 1)] {
            let mut a = dominant_stack::<f64>(&mut rng(5), &[3, 3]);
            put(&mut a, &[], pos, v);
            assert_fails(&a, &LinAlgError::NonFinite { batch: vec![] });
            let mut b = dominant_stack::<f32>(&mut rng(6), &[3, 3]);
            put(&mut b, &[], pos, v as f32);
            assert_fails(&b, &LinAlgError::NonFinite { batch: vec![] });
        }
    }
    // Complex: either part.
    for v in [
        C64::new(0.0, f64::INFINITY),
        C64::new(1.0, f64::NEG_INFINITY),
        C64::new(f64::NAN, 0.0),
        C64::new(0.0, f64::NAN),
        C64::new(f64::INFINITY, f64::INFINITY),
    ] {
        let mut a = dominant_stack::<C64>(&mut rng(7), &[2, 2]);
        put(&mut a, &[], (1, 0), v);
        assert_fails(&a, &LinAlgError::NonFinite { batch: vec![] });
        let mut c = dominant_stack::<C32>(&mut rng(8), &[2, 2]);
        put(&mut c, &[], (0, 1), C32::new(v.re as f32, v.im as f32));
        assert_fails(&c, &LinAlgError::NonFinite { batch: vec![] });
    }
    let e = array![[f64::NAN]].inv().unwrap_err();
    assert_eq!(e.to_string(), "array must not contain infs or NaNs");
    // A singular matrix holding a NaN is reported as non-finite.
    let mut s = dominant_stack::<f64>(&mut rng(9), &[3, 3]);
    make_singular(&mut s, &[], 1);
    put(&mut s, &[], (0, 0), f64::NAN);
    assert_fails(&s, &LinAlgError::NonFinite { batch: vec![] });
}

#[test]
fn non_finite_names_the_first_matrix_holding_one() {
    let mut a = dominant_stack::<C32>(&mut rng(10), &[3, 2, 4, 4]);
    put(&mut a, &[2, 0], (3, 3), C32::new(f32::NAN, 0.0));
    put(&mut a, &[1, 1], (0, 2), C32::new(0.0, f32::INFINITY));
    let expected = LinAlgError::NonFinite { batch: vec![1, 1] };
    assert_fails(&a, &expected);
    assert_eq!(
        a.inv().unwrap_err().to_string(),
        "array must not contain infs or NaNs (batch index [1, 1])"
    );
    let mut b = dominant_stack::<f64>(&mut rng(11), &[5, 3, 3]);
    put(&mut b, &[4], (2, 0), f64::NEG_INFINITY);
    assert_fails(&b, &LinAlgError::NonFinite { batch: vec![4] });
}

// ---------------------------------------------------------------------------
// The first failure in C order wins, whatever its kind
// ---------------------------------------------------------------------------

#[test]
fn first_failure_wins_whatever_its_kind() {
    // Singular first, NaN later.
    let mut a = dominant_stack::<f64>(&mut rng(12), &[3, 4, 3, 3]);
    make_singular(&mut a, &[1, 2], 1);
    put(&mut a, &[2, 0], (0, 0), f64::NAN);
    assert_fails(
        &a,
        &LinAlgError::Singular {
            batch: vec![1, 2],
            pivot: 1,
        },
    );
    // NaN first, singular later (also in the same row of the batch).
    let mut b = dominant_stack::<f64>(&mut rng(13), &[3, 4, 3, 3]);
    make_singular(&mut b, &[1, 3], 0);
    put(&mut b, &[1, 2], (2, 2), f64::INFINITY);
    make_singular(&mut b, &[2, 0], 2);
    assert_fails(&b, &LinAlgError::NonFinite { batch: vec![1, 2] });
    // Rank 3.
    let mut c = dominant_stack::<C64>(&mut rng(14), &[5, 2, 2]);
    put(&mut c, &[3], (1, 1), C64::new(f64::NAN, f64::NAN));
    make_singular(&mut c, &[1], 1);
    assert_fails(
        &c,
        &LinAlgError::Singular {
            batch: vec![1],
            pivot: 1,
        },
    );
}

/// Stacks big enough to be split across worker threads: the first failure in C
/// order is still the one named, wherever the workers meet failures first.
#[test]
fn first_failure_wins_in_threaded_batches() {
    // 256 matrices of order 8: split into groups of 32 on two or more threads.
    let shape = [4, 64, 8, 8];
    let base = dominant_stack::<f64>(&mut rng(15), &shape);
    let flat = |i: usize| [i / 64, i % 64];
    let cases: &[(&[usize], &[usize], LinAlgError)] = &[
        // (singular at, NaN at, expected)
        (
            &[250, 40],
            &[],
            LinAlgError::Singular {
                batch: flat(40).to_vec(),
                pivot: 3,
            },
        ),
        (
            &[250],
            &[5],
            LinAlgError::NonFinite {
                batch: flat(5).to_vec(),
            },
        ),
        (
            &[33],
            &[40, 250],
            LinAlgError::Singular {
                batch: flat(33).to_vec(),
                pivot: 3,
            },
        ),
        (
            &[34, 200],
            &[33],
            LinAlgError::NonFinite {
                batch: flat(33).to_vec(),
            },
        ),
        (
            &[255],
            &[],
            LinAlgError::Singular {
                batch: flat(255).to_vec(),
                pivot: 3,
            },
        ),
        (
            &[0],
            &[255],
            LinAlgError::Singular {
                batch: flat(0).to_vec(),
                pivot: 3,
            },
        ),
    ];
    for (singular, nan, expected) in cases {
        let mut a = base.clone();
        for &i in *singular {
            make_singular(&mut a, &flat(i), 3);
        }
        for &i in *nan {
            put(&mut a, &flat(i), (7, 0), f64::NAN);
        }
        let before = a.clone();
        for _ in 0..3 {
            assert_eq!(&a.inv().unwrap_err(), expected, "{singular:?} {nan:?}");
        }
        assert!(same_bits(&a, &before));
        // LAPACK's route, on the same workers and output buffers.
        let lapack = InvOptions {
            method: Method::Getri,
            ..InvOptions::default()
        };
        assert_eq!(&a.inv_with(&lapack).unwrap_err(), expected, "Getri");
        assert_eq!(&a.clone().inv_into().unwrap_err(), expected, "inv_into");
        // The same stack stored with its two batch axes swapped.
        let mut f = a.view();
        f.swap_axes(0, 1);
        let mut f = f.as_standard_layout().into_owned();
        f.swap_axes(0, 1);
        assert!(same_bits(&f, &a));
        assert_eq!(&f.inv().unwrap_err(), expected, "permuted batch axes");
    }
    // The same stack without failures: every matrix is inverted, matrix 3
    // (an early one of the first group) exactly as on its own.
    let x = base.inv().unwrap();
    let x0 = base.index_axis(Axis(0), 3).inv().unwrap();
    assert!(same_bits(&x.index_axis(Axis(0), 3).to_owned(), &x0));
}

/// `inv_into` inverts in place; its errors name the same matrix as `inv`'s.
#[test]
fn inv_into_in_place_reports_the_same_errors() {
    let mut a = dominant_stack::<f64>(&mut rng(16), &[2, 3, 4, 4]);
    make_singular(&mut a, &[1, 1], 2);
    put(&mut a, &[1, 2], (0, 0), f64::NAN);
    let expected = LinAlgError::Singular {
        batch: vec![1, 1],
        pivot: 2,
    };
    assert!(a.is_standard_layout());
    assert_eq!(a.clone().inv_into().unwrap_err(), expected);
    // A sliced owned array (standard layout, offset into its buffer).
    let mut b = a.clone();
    b.slice_collapse(s![1.., .., .., ..]);
    assert!(b.is_standard_layout());
    assert_eq!(
        b.inv_into().unwrap_err(),
        LinAlgError::Singular {
            batch: vec![0, 1],
            pivot: 2,
        }
    );
    let mut c = a.clone();
    c.slice_collapse(s![1.., 2.., .., ..]);
    assert_eq!(
        c.inv_into().unwrap_err(),
        LinAlgError::NonFinite { batch: vec![0, 0] }
    );
}
