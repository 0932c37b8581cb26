//! `inv_ex` and `inv_with`: per-matrix statuses, NaN-filled failures, options.

use inv_ext::{InvExt, InvOptions, LinAlgError, MatrixStatus, Method, Threads, Tolerance};
use ndarray::{s, Array, Array2, Array4, ArrayD, Axis, IxDyn};
use num_complex::Complex64;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A seeded stack of well-conditioned matrices (random entries, dominant diagonal).
fn stack(shape: &[usize], seed: u64) -> ArrayD<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = shape[shape.len() - 1];
    Array::from_shape_fn(IxDyn(shape), |ix| {
        let (i, j) = (ix[shape.len() - 2], ix[shape.len() - 1]);
        rng.gen_range(-1.0..1.0) + if i == j { n as f64 } else { 0.0 }
    })
}

fn matrix_at<'a>(a: &'a ArrayD<f64>, batch: &[usize]) -> ndarray::ArrayViewD<'a, f64> {
    let mut v = a.view();
    for &i in batch {
        v.index_axis_inplace(Axis(0), i);
    }
    v
}

fn opts_with_rcond() -> InvOptions {
    InvOptions {
        compute_rcond: true,
        ..InvOptions::default()
    }
}

#[test]
fn failures_at_known_indices_rank4() {
    let mut a = stack(&[3, 4, 5, 5], 1);
    // singular: a zero row (an exactly zero pivot whatever the elimination order)
    a.slice_mut(s![1, 2, 3, ..]).fill(0.0);
    a.slice_mut(s![2, 0, .., 1]).fill(0.0);
    a[[0, 3, 2, 2]] = f64::NAN;
    a[[2, 1, 0, 4]] = f64::NEG_INFINITY;
    let report = a.inv_ex(&opts_with_rcond()).unwrap();
    assert_eq!(report.status.shape(), &[3, 4]);
    let failures: Vec<Vec<usize>> = report.failures().map(|(b, _)| b).collect();
    assert_eq!(
        failures,
        vec![vec![0, 3], vec![1, 2], vec![2, 0], vec![2, 1]]
    );
    assert_eq!(report.status[[0, 3]], MatrixStatus::NonFinite);
    assert!(matches!(
        report.status[[1, 2]],
        MatrixStatus::Singular { .. }
    ));
    assert!(matches!(
        report.status[[2, 0]],
        MatrixStatus::Singular { .. }
    ));
    assert_eq!(report.status[[2, 1]], MatrixStatus::NonFinite);
    let rcond = report.rcond.as_ref().unwrap();
    assert_eq!(rcond[[1, 2]], 0.0);
    assert!(rcond[[0, 3]].is_nan());
    assert!(!report.all_ok());

    let inverse = report.inverse.clone().into_dyn();
    for b0 in 0..3 {
        for b1 in 0..4 {
            let x = matrix_at(&inverse, &[b0, b1]);
            if report.status[[b0, b1]].is_ok() {
                // Alone it may take another route (the small-matrix kernel, which
                // does not estimate rcond), so compare to rounding, not bits.
                let expect = matrix_at(&a, &[b0, b1]).inv().unwrap();
                let tight = Tolerance {
                    rtol: 1e-12,
                    atol: 1e-15,
                    equal_nan: false,
                };
                assert!(
                    x.allclose_with(&expect, tight),
                    "matrix {b0},{b1} must equal its own inverse"
                );
                assert!(rcond[[b0, b1]] > 0.01 && rcond[[b0, b1]] <= 1.0);
            } else {
                assert!(
                    x.iter().all(|v| v.is_nan()),
                    "failed matrix {b0},{b1} must be NaN"
                );
            }
        }
    }
    // The first failure in C order is what inv() reports.
    assert_eq!(a.inv(), Err(LinAlgError::NonFinite { batch: vec![0, 3] }));
    assert_eq!(
        report.into_result(),
        Err(LinAlgError::NonFinite { batch: vec![0, 3] })
    );
}

#[test]
fn singular_pivot_matches_inv_error() {
    let mut a = stack(&[6, 4, 4], 2);
    a.slice_mut(s![4, .., 2]).fill(0.0);
    let report = a.inv_ex(&InvOptions::default()).unwrap();
    let Err(LinAlgError::Singular { batch, pivot }) = a.inv() else {
        panic!("expected Singular");
    };
    assert_eq!(batch, vec![4]);
    assert_eq!(report.status[[4]], MatrixStatus::Singular { pivot });
    assert!(report.rcond.is_none());
}

#[test]
fn ill_conditioned_by_threshold() {
    // Graded: well conditioned, Hilbert 8 (rcond ~ 1e-10), identity.
    let mut a = Array::zeros((3, 8, 8));
    a.index_axis_mut(Axis(0), 0)
        .assign(&(Array2::eye(8) * 3.0 + 0.1));
    a.index_axis_mut(Axis(0), 1)
        .assign(&Array2::from_shape_fn((8, 8), |(i, j)| {
            1.0 / (i + j + 1) as f64
        }));
    a.index_axis_mut(Axis(0), 2).assign(&Array2::eye(8));
    let opts = InvOptions {
        rcond_threshold: Some(1e-6),
        ..InvOptions::default()
    };
    match a.inv_with(&opts) {
        Err(LinAlgError::IllConditioned { batch, rcond }) => {
            assert_eq!(batch, vec![1]);
            assert!(rcond < 1e-9 && rcond > 1e-12, "rcond(H8) = {rcond}");
        }
        other => panic!("expected IllConditioned, got {other:?}"),
    }
    let report = a.inv_ex(&opts).unwrap();
    assert!(report.status[0].is_ok());
    assert!(matches!(
        report.status[1],
        MatrixStatus::IllConditioned { .. }
    ));
    assert!(report.status[2].is_ok());
    let rcond = report.rcond.unwrap();
    assert_eq!(rcond[2], 1.0, "rcond of the identity is 1");
    assert!(report
        .inverse
        .index_axis(Axis(0), 1)
        .iter()
        .all(|v| v.is_nan()));
    assert_eq!(report.inverse.index_axis(Axis(0), 2), Array2::<f64>::eye(8));
    // Without a threshold the same matrix inverts (nearly singular is not singular).
    assert!(a.inv().is_ok());
}

#[test]
fn rcond_is_the_one_norm_estimate() {
    // A = [[1, 10], [0, 1]]: ||A||_1 = 11, A^-1 = [[1, -10], [0, 1]], ||A^-1||_1 = 11.
    let a = ndarray::array![[1.0, 10.0], [0.0, 1.0]];
    let report = a.inv_ex(&opts_with_rcond()).unwrap();
    let rcond = report.rcond.unwrap().into_scalar();
    assert!((rcond - 1.0 / 121.0).abs() < 1e-12, "{rcond}");
    // Non-symmetric in norms: the 1-norm of A's transpose differs, so this pins
    // that the estimate is for A itself, not for the slot LAPACK sees (Aᵀ).
    let b = ndarray::array![[1.0, 0.0, 0.0], [5.0, 1.0, 0.0], [5.0, 0.0, 1.0]];
    let r = b
        .inv_ex(&opts_with_rcond())
        .unwrap()
        .rcond
        .unwrap()
        .into_scalar();
    // ||B||_1 = 11, B^-1 = [[1,0,0],[-5,1,0],[-5,0,1]], ||B^-1||_1 = 11.
    assert!((r - 1.0 / 121.0).abs() < 1e-12, "{r}");
    let bt = b.t().to_owned();
    // ||Bᵀ||_1 = 6 and ||Bᵀ⁻¹||_1 = 6.
    let rt = bt
        .inv_ex(&opts_with_rcond())
        .unwrap()
        .rcond
        .unwrap()
        .into_scalar();
    assert!((rt - 1.0 / 36.0).abs() < 1e-12, "{rt}");
}

#[test]
fn report_for_a_single_matrix_is_zero_dimensional() {
    let a = ndarray::array![[0.0, 0.0], [0.0, 0.0]];
    let report = a.inv_ex(&InvOptions::default()).unwrap();
    assert_eq!(report.status.ndim(), 0);
    assert_eq!(
        report.status.into_scalar(),
        MatrixStatus::Singular { pivot: 0 }
    );
}

#[test]
fn inv_ex_shape_errors_are_errors() {
    let a = Array::<f64, _>::zeros((2, 3));
    assert_eq!(
        a.inv_ex(&InvOptions::default()).unwrap_err(),
        LinAlgError::NotSquare { rows: 2, cols: 3 }
    );
    let empty = Array::<f64, _>::zeros((0, 4, 4));
    let r = empty.inv_ex(&InvOptions::default()).unwrap();
    assert_eq!(r.inverse.shape(), &[0, 4, 4]);
    assert_eq!(r.status.shape(), &[0]);
    assert!(r.all_ok());
}

#[test]
fn options_do_not_change_results() {
    let a = stack(&[257, 6, 6], 3);
    let reference = a.inv().unwrap();
    assert_eq!(a.inv_with(&InvOptions::default()).unwrap(), reference);
    for threads in [
        Threads::Sequential,
        Threads::Count(1),
        Threads::Count(3),
        Threads::Auto,
    ] {
        let o = InvOptions {
            threads,
            ..InvOptions::default()
        };
        assert_eq!(a.inv_with(&o).unwrap(), reference, "{threads:?}");
    }
    let getrs = InvOptions {
        method: Method::Getrs,
        ..InvOptions::default()
    };
    assert!(a.inv_with(&getrs).unwrap().allclose(&reference));
    let unchecked = InvOptions {
        check_finite: false,
        ..InvOptions::default()
    };
    assert_eq!(a.inv_with(&unchecked).unwrap(), reference);
}

#[test]
fn unchecked_non_finite_input_does_not_panic() {
    let mut a = stack(&[4, 3, 3], 4);
    a[[2, 1, 1]] = f64::NAN;
    a[[3, 0, 0]] = f64::INFINITY;
    let unchecked = InvOptions {
        check_finite: false,
        ..InvOptions::default()
    };
    // Unspecified values, but an answer (or a LAPACK-reported error) and no panic.
    let out = a.inv_with(&unchecked);
    if let Ok(x) = out {
        assert_eq!(x.shape(), a.shape());
        assert_eq!(
            x.index_axis(Axis(0), 0),
            a.index_axis(Axis(0), 0).inv().unwrap()
        );
    }
}

#[test]
fn getrs_route_reports_the_same_failures() {
    let mut a = stack(&[5, 4, 4], 5);
    a.slice_mut(s![3, 1, ..]).fill(0.0);
    let getrs = InvOptions {
        method: Method::Getrs,
        compute_rcond: true,
        ..InvOptions::default()
    };
    assert_eq!(a.inv_with(&getrs).unwrap_err(), a.inv().unwrap_err());
    let r1 = a.inv_ex(&getrs).unwrap();
    let r2 = a.inv_ex(&opts_with_rcond()).unwrap();
    assert_eq!(r1.status, r2.status);
    let (c1, c2) = (r1.rcond.unwrap(), r2.rcond.unwrap());
    assert!(c1
        .iter()
        .zip(&c2)
        .all(|(x, y)| x == y || (x.is_nan() && y.is_nan())));
}

#[test]
fn complex_report() {
    let mut a = Array::from_shape_fn((3, 3, 3), |(b, i, j)| {
        Complex64::new(if i == j { 4.0 } else { 0.5 }, (b + i * j) as f64 * 0.1)
    });
    a[[1, 2, 0]] = Complex64::new(0.0, f64::INFINITY);
    let report = a.inv_ex(&opts_with_rcond()).unwrap();
    assert_eq!(report.status[1], MatrixStatus::NonFinite);
    assert!(report.status[0].is_ok() && report.status[2].is_ok());
    assert!(report.inverse[[1, 0, 0]].re.is_nan());
    let rc = report.rcond.unwrap();
    assert!(rc[0] > 0.1 && rc[0] <= 1.0);
}

#[test]
fn integer_input_report() {
    let a: Array4<i64> = Array::from_shape_fn((2, 2, 2, 2), |(b, c, i, j)| {
        if b == 1 && c == 0 {
            1 // all ones: singular
        } else if i == j {
            2
        } else {
            0
        }
    });
    let report = a.inv_ex(&InvOptions::default()).unwrap();
    let failures: Vec<_> = report.failures().collect();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, vec![1, 0]);
    assert_eq!(report.inverse[[0, 0, 0, 0]], 0.5);
}
