//! Never a panic, never a wrong answer: random shapes (zero sizes, non-square),
//! values (zeros, tiny, huge, NaN, inf, integer-valued singular), layouts and ranks.
//! Every `Ok` passes LAPACK's acceptance ratio; every `Err` is the variant a
//! matrix-by-matrix oracle predicts, at the index it predicts.

use inv_ext::{InvExt, InvOptions, LinAlgError, MatrixStatus};
use ndarray::{Array2, ArrayD, ArrayView2, ArrayViewD, Axis, IxDyn, ShapeBuilder, Slice};
use proptest::prelude::*;

/// `||I − A·X||₁ / (n·||A||₁·||X||₁·eps)`, LAPACK's dget03 ratio.
fn acceptance_ratio(a: ArrayView2<f64>, x: ArrayView2<f64>) -> f64 {
    let n = a.nrows();
    let norm1 = |m: ArrayView2<f64>| {
        m.axis_iter(Axis(1))
            .map(|c| c.iter().map(|v| v.abs()).sum::<f64>())
            .fold(0.0, f64::max)
    };
    let resid = Array2::<f64>::eye(n) - a.dot(&x);
    let denom = n as f64 * norm1(a) * norm1(x) * f64::EPSILON;
    if denom == 0.0 {
        0.0
    } else {
        norm1(resid.view()) / denom
    }
}

/// The matrices of a stack in C order of the batch axes.
fn matrices(a: &ArrayViewD<'_, f64>) -> Vec<Array2<f64>> {
    let batch = &a.shape()[..a.ndim() - 2];
    let count: usize = batch.iter().product();
    (0..count)
        .map(|flat| {
            let mut v = a.view();
            let mut rest = flat;
            let mut index = vec![0; batch.len()];
            for (slot, &len) in index.iter_mut().zip(batch).rev() {
                *slot = rest % len;
                rest /= len;
            }
            for i in index {
                v.index_axis_inplace(Axis(0), i);
            }
            v.into_dimensionality().unwrap().to_owned()
        })
        .collect()
}

/// One value of a kind chosen per matrix, so that magnitudes stay representable
/// in the inverse (mixing 1e300 with 1e-300 in one matrix would overflow any
/// inverse, in NumPy too).
fn value(kind: u8, scale: f64, raw: i8) -> f64 {
    match kind {
        0 => 0.0,
        1 => f64::from(raw % 3),            // integer-valued, often singular
        2 => f64::from(raw) / 37.0 * scale, // random, scaled 1e±150
        3 => f64::from(raw) / 37.0,         // random, unscaled
        _ => f64::from(raw) + if raw == 0 { 1.0 } else { 0.0 },
    }
}

#[derive(Debug, Clone)]
struct Case {
    shape: Vec<usize>,
    data: Vec<f64>,
    layout: u8,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(0usize..4, 0..3), // batch axes
        0usize..7,                              // n
        0usize..3,                              // a non-square offset (0 = square most often)
        0u8..5,                                 // kind of values
        prop::sample::select(vec![1e-150, 1e-20, 1.0, 1e20, 1e150]),
        0u8..7,  // layout
        0u8..20, // special values
    )
        .prop_flat_map(|(batch, n, off, kind, scale, layout, special)| {
            let cols = if off == 2 { n + 1 } else { n };
            let mut shape = batch;
            shape.push(n);
            shape.push(cols);
            let len: usize = shape.iter().product();
            (
                Just(shape),
                prop::collection::vec(any::<i8>(), len),
                prop::collection::vec(0usize..len.max(1), 0..2),
                Just((kind, scale, layout, special)),
            )
        })
        .prop_map(|(shape, raw, spots, (kind, scale, layout, special))| {
            let mut data: Vec<f64> = raw.iter().map(|&r| value(kind, scale, r)).collect();
            if special < 4 && !data.is_empty() {
                let bad = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, f64::NAN][special as usize];
                for s in spots {
                    data[s] = bad;
                }
            }
            Case {
                shape,
                data,
                layout,
            }
        })
}

/// The same logical stack under one of several memory layouts.
fn with_layout(base: &ArrayD<f64>, layout: u8, f: impl FnOnce(ArrayViewD<f64>)) {
    let nd = base.ndim();
    match layout {
        0 => f(base.view()),
        1 => {
            // F order.
            let mut fo = ArrayD::zeros(IxDyn(base.shape()).f());
            fo.assign(base);
            f(fo.view())
        }
        2 => {
            // Every other element of a twice-larger array along the last axis.
            let mut big_shape = base.shape().to_vec();
            big_shape[nd - 1] *= 2;
            let mut big = ArrayD::from_elem(IxDyn(&big_shape), f64::NAN);
            big.slice_axis_mut(Axis(nd - 1), Slice::new(0, None, 2))
                .assign(base);
            f(big.slice_axis(Axis(nd - 1), Slice::new(0, None, 2)))
        }
        3 => {
            // Negative strides: stored reversed, viewed back in order.
            let mut rev = base.to_owned();
            rev.invert_axis(Axis(nd - 1));
            let mut rev = rev.as_standard_layout().into_owned();
            rev.invert_axis(Axis(nd - 1));
            f(rev.view())
        }
        4 => {
            // Batch axes stored innermost, viewed with permuted axes.
            let mut perm: Vec<usize> = (0..nd).collect();
            perm.rotate_left(nd - 2);
            let stored = base
                .view()
                .permuted_axes(perm.clone())
                .as_standard_layout()
                .into_owned();
            let mut inverse = vec![0; nd];
            for (i, &p) in perm.iter().enumerate() {
                inverse[p] = i;
            }
            f(stored.view().permuted_axes(inverse))
        }
        5 if nd >= 3 && base.shape()[0] > 0 => {
            // Broadcast: the first matrix repeated along a new leading axis.
            let first = base.index_axis(Axis(0), 0);
            let mut shape = base.shape().to_vec();
            shape[0] = 3;
            f(first.broadcast(IxDyn(&shape)).unwrap())
        }
        _ => f(base.view()),
    }
}

fn check(view: ArrayViewD<f64>) {
    let before = view.to_owned();
    let result = view.inv();
    let same_bits = |a: &ArrayViewD<f64>, b: &ArrayD<f64>| {
        a.iter()
            .zip(b.iter())
            .all(|(x, y)| x.to_bits() == y.to_bits())
    };
    assert!(same_bits(&view, &before), "input changed");
    let shape = view.shape();
    if shape.len() < 2 {
        assert_eq!(
            result,
            Err(LinAlgError::NotEnoughDimensions { ndim: shape.len() })
        );
        return;
    }
    let (rows, cols) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    if rows != cols {
        assert_eq!(result, Err(LinAlgError::NotSquare { rows, cols }));
        assert!(view.inv_ex(&InvOptions::default()).is_err());
        return;
    }
    // The oracle: each matrix on its own, in C order.
    let mats = matrices(&view);
    let single: Vec<Result<Array2<f64>, LinAlgError>> = mats.iter().map(|m| m.inv()).collect();
    let first_failure = single.iter().position(|r| r.is_err());
    match (&result, first_failure) {
        (Ok(x), None) => {
            assert_eq!(x.shape(), shape);
            assert!(x.is_standard_layout());
            for (m, xi) in mats.iter().zip(matrices(&x.view())) {
                if m.iter().all(|v| v.abs() < 1e100) && xi.iter().all(|v| v.is_finite()) {
                    let r1 = acceptance_ratio(m.view(), xi.view());
                    let r2 = acceptance_ratio(xi.view(), m.view());
                    assert!(r1 < 30.0 && r2 < 30.0, "ratio {r1} / {r2} for\n{m}\n{xi}");
                }
            }
        }
        (Err(e), Some(i)) => {
            let expected = single[i].clone().unwrap_err();
            assert_eq!(
                std::mem::discriminant(e),
                std::mem::discriminant(&expected),
                "{e} vs {expected}"
            );
            if let Some(batch) = e.batch_index() {
                let b = &shape[..shape.len() - 2];
                let flat = batch
                    .iter()
                    .zip(b)
                    .fold(0, |acc, (&ix, &len)| acc * len + ix);
                assert_eq!(flat, i, "first failure index");
            }
            if let LinAlgError::NonFinite { .. } = e {
                assert!(mats[i].iter().any(|v| !v.is_finite()));
            }
        }
        (r, f) => panic!("stack gave {r:?} but matrix by matrix the first failure is {f:?}"),
    }
    // inv_ex agrees matrix by matrix.
    let report = view.inv_ex(&InvOptions::default()).unwrap();
    for (s, r) in report.status.iter().zip(&single) {
        match r {
            Ok(_) => assert_eq!(*s, MatrixStatus::Ok),
            Err(LinAlgError::NonFinite { .. }) => assert_eq!(*s, MatrixStatus::NonFinite),
            Err(LinAlgError::Singular { pivot, .. }) => {
                assert_eq!(*s, MatrixStatus::Singular { pivot: *pivot })
            }
            Err(other) => panic!("unexpected {other}"),
        }
    }
    // inv_into agrees with inv.
    let owned = view.to_owned();
    let into = owned.inv_into();
    match (&into, &result) {
        (Ok(a), Ok(b)) => assert!(same_bits(&a.view(), b)),
        _ => assert_eq!(into, result),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_and_never_lies(case in case()) {
        let base = ArrayD::from_shape_vec(IxDyn(&case.shape), case.data).unwrap();
        with_layout(&base, case.layout, check);
    }
}

#[test]
fn zero_dimensional_and_one_dimensional_inputs() {
    check(ArrayD::from_elem(IxDyn(&[]), 1.0).view());
    check(ArrayD::from_elem(IxDyn(&[3]), 1.0).view());
    check(ArrayD::from_elem(IxDyn(&[0]), 1.0).view());
}

#[test]
fn sizes_past_lapack_or_memory_are_errors_before_allocating() {
    // n = 2^26 fits LAPACK's integer, but the result (2^52 elements, 32 PiB) fits
    // no memory: an error, not an abort.
    let one = ndarray::Array2::<f64>::ones((1, 1));
    let n = 1usize << 26;
    let huge = one.broadcast((n, n)).unwrap();
    assert_eq!(huge.inv(), Err(LinAlgError::OutOfMemory { bytes: 8 << 52 }));
    // n itself past i32::MAX.
    let n = 1usize << 31;
    let huge = one.broadcast((n, n)).unwrap();
    assert!(matches!(
        huge.inv(),
        Err(LinAlgError::TooLarge { what: "n", .. })
    ));
    assert!(matches!(
        huge.inv_ex(&InvOptions::default()),
        Err(LinAlgError::TooLarge { .. })
    ));
}

#[test]
fn empty_batch_of_huge_matrices_is_empty() {
    // NumPy returns an empty array for shape (0, n, n) whatever n; so do we.
    let empty = ndarray::Array3::<f64>::zeros((0, 1, 1));
    let shape = [0usize, 1 << 31, 1 << 31];
    let view = empty.view().into_dyn();
    let huge = view.broadcast(IxDyn(&shape)).unwrap();
    let out = huge.inv().unwrap();
    assert_eq!(out.shape(), &shape);
}
