//! `allclose`, `isclose`, the `Closeness` report and `assert_allclose!`:
//! NumPy's documented examples, the asymmetric rule, infinities and NaN, complex
//! moduli, integers, broadcasting and shape errors.

use inv_ext::{assert_allclose, InvExt, LinAlgError, Tolerance};
use ndarray::{array, Array, Array1, Array2, Array3, ArrayD, Ix2, Ix3, IxDyn};
use num_complex::Complex64;

fn tol(rtol: f64, atol: f64, equal_nan: bool) -> Tolerance {
    Tolerance {
        rtol,
        atol,
        equal_nan,
    }
}

// ---------------------------------------------------------------- NumPy's examples

#[test]
fn numpy_allclose_examples() {
    // >>> np.allclose([1e10,1e-7], [1.00001e10,1e-8])  -> False
    assert!(!array![1e10, 1e-7].allclose(&array![1.00001e10, 1e-8]));
    // >>> np.allclose([1e10,1e-8], [1.00001e10,1e-9])  -> True
    assert!(array![1e10, 1e-8].allclose(&array![1.00001e10, 1e-9]));
    // >>> np.allclose([1e10,1e-8], [1.0001e10,1e-9])   -> False
    assert!(!array![1e10, 1e-8].allclose(&array![1.0001e10, 1e-9]));
    // >>> np.allclose([1.0, np.nan], [1.0, np.nan])    -> False
    assert!(!array![1.0, f64::NAN].allclose(&array![1.0, f64::NAN]));
    // >>> np.allclose([1.0, np.nan], [1.0, np.nan], equal_nan=True) -> True
    let nan_ok = tol(1e-5, 1e-8, true);
    assert!(array![1.0, f64::NAN].allclose_with(&array![1.0, f64::NAN], nan_ok));
}

/// `(a, b, tolerance, np.isclose(a, b, ...))`.
type Case = (Array1<f64>, Array1<f64>, Tolerance, [bool; 2]);

#[test]
fn numpy_isclose_examples() {
    let default = Tolerance::default();
    let cases: [Case; 9] = [
        (
            array![1e10, 1e-7],
            array![1.00001e10, 1e-8],
            default,
            [true, false],
        ),
        (
            array![1e10, 1e-8],
            array![1.00001e10, 1e-9],
            default,
            [true, true],
        ),
        (
            array![1e10, 1e-8],
            array![1.0001e10, 1e-9],
            default,
            [false, true],
        ),
        (
            array![1.0, f64::NAN],
            array![1.0, f64::NAN],
            default,
            [true, false],
        ),
        (
            array![1.0, f64::NAN],
            array![1.0, f64::NAN],
            tol(1e-5, 1e-8, true),
            [true, true],
        ),
        (array![1e-8, 1e-7], array![0.0, 0.0], default, [true, false]),
        (
            array![1e-100, 1e-7],
            array![0.0, 0.0],
            tol(1e-5, 0.0, false),
            [false, false],
        ),
        (
            array![1e-10, 1e-10],
            array![1e-20, 0.0],
            default,
            [true, true],
        ),
        (
            array![1e-10, 1e-10],
            array![1e-20, 0.999999e-10],
            tol(1e-5, 0.0, false),
            [false, true],
        ),
    ];
    for (a, b, t, expect) in cases {
        let mask = a.isclose_with(&b, t).unwrap();
        assert_eq!(mask, Array1::from(expect.to_vec()), "{a} vs {b} with {t:?}");
        assert_eq!(a.allclose_with(&b, t), expect.iter().all(|&x| x));
    }
}

// ---------------------------------------------------------------- the rule

#[test]
fn asymmetric_other_is_the_reference() {
    let t = tol(0.1, 0.0, false);
    assert!(array![9.0].allclose_with(&array![10.0], t));
    assert!(!array![10.0].allclose_with(&array![9.0], t));
    assert_eq!(
        array![9.0, 10.0]
            .isclose_with(&array![10.0, 9.0], t)
            .unwrap(),
        array![true, false]
    );
}

#[test]
fn infinities_and_nan() {
    let inf = f64::INFINITY;
    let mask = array![inf, -inf, inf, 1.0, f64::NAN]
        .isclose(&array![inf, -inf, -inf, inf, 1.0])
        .unwrap();
    assert_eq!(mask, array![true, true, false, false, false]);
    // equal_nan only makes NaN match NaN.
    let t = tol(1e-5, 1e-8, true);
    let mask = array![f64::NAN, f64::NAN, 1.0]
        .isclose_with(&array![f64::NAN, 1.0, f64::NAN], t)
        .unwrap();
    assert_eq!(mask, array![true, false, false]);
}

#[test]
fn complex_values_use_the_modulus() {
    // >>> np.isclose([1+1j, 2], [1+1.000001j, 2.1]) -> [ True, False]
    let a = array![Complex64::new(1.0, 1.0), Complex64::new(2.0, 0.0)];
    let b = array![Complex64::new(1.0, 1.000001), Complex64::new(2.1, 0.0)];
    assert_eq!(a.isclose(&b).unwrap(), array![true, false]);
    // |3 + 4i| = 5: a difference of 5e-5 is within rtol·|b| = 5e-5 (+ atol).
    let b = array![Complex64::new(3.0, 4.0)];
    let a = array![Complex64::new(3.0 + 3e-5, 4.0 + 4e-5)];
    assert!(a.allclose_with(&b, tol(1e-5, 1e-12, false)));
    assert!(!a.allclose_with(&b, tol(0.9e-5, 0.0, false)));
    let nan = array![Complex64::new(f64::NAN, 0.0)];
    assert!(!nan.allclose(&nan));
    assert!(nan.allclose_with(&nan, tol(1e-5, 1e-8, true)));
}

#[test]
fn integer_arrays() {
    let a = array![[1i32, 2], [3, 4]];
    assert!(a.allclose(&a));
    assert!(!a.allclose(&array![[1, 2], [3, 5]]));
    // >>> np.isclose([[1, 2], [3, 4]], [1, 2]) -> [[ True,  True], [False, False]]
    assert_eq!(
        a.isclose(&array![1, 2]).unwrap(),
        array![[true, true], [false, false]]
    );
    // 100 vs 101 with rtol = 0.01: |100 - 101| = 1 <= 0.01·101.
    assert!(array![100u64].allclose_with(&array![101u64], tol(0.01, 0.0, false)));
    assert!(!array![101u64].allclose_with(&array![100u64], tol(0.0099, 0.0, false)));
    let report = array![1i64, 5].closeness(&array![1i64, 7]).unwrap();
    assert_eq!(report.first.as_ref().unwrap().actual, 5.0);
}

// ---------------------------------------------------------------- shapes

#[test]
fn broadcasting_and_result_types() {
    let m = array![[1.0, 2.0], [1.0, 2.5]];
    let row = array![1.0, 2.0];
    let mask: Array2<bool> = m.isclose(&row).unwrap();
    assert_eq!(mask, array![[true, true], [true, false]]);
    let mask: Array2<bool> = row.isclose(&m).unwrap();
    assert_eq!(mask, array![[true, true], [true, false]]);
    // (2, 1, 3) against (4, 3) -> (2, 4, 3).
    let a = Array3::<f64>::zeros((2, 1, 3));
    let b = Array2::<f64>::zeros((4, 3));
    let mask: Array<bool, Ix3> = a.isclose(&b).unwrap();
    assert_eq!(mask.shape(), &[2, 4, 3]);
    // IxDyn on either side gives IxDyn.
    let mask: ArrayD<bool> = a.isclose(&b.clone().into_dyn()).unwrap();
    assert_eq!(mask.shape(), &[2, 4, 3]);
    // A scalar (0-D) reference.
    assert!(array![[1.0, 1.0]].allclose(&ndarray::arr0(1.0)));
    // allclose and isclose agree.
    assert_eq!(
        m.allclose(&row),
        m.isclose(&row).unwrap().iter().all(|&x| x)
    );
}

#[test]
fn shapes_that_do_not_broadcast() {
    let a = Array2::<f64>::zeros((2, 3));
    let b = Array2::<f64>::zeros((3, 2));
    assert!(!a.allclose(&b));
    match a.isclose(&b) {
        Err(LinAlgError::ShapeMismatch {
            left,
            right,
            reason,
        }) => {
            assert_eq!((left, right), (vec![2, 3], vec![3, 2]));
            assert!(reason.contains("broadcast"), "{reason}");
        }
        other => panic!("expected ShapeMismatch, got {other:?}"),
    }
    let e = a.closeness(&b).unwrap_err();
    assert!(e.to_string().contains("[2, 3]") && e.to_string().contains("[3, 2]"));
}

#[test]
fn empty_arrays_are_close() {
    let e = Array2::<f64>::zeros((0, 3));
    assert!(e.allclose(&e));
    assert!(e.allclose(&array![1.0, 2.0, 3.0]));
    assert_eq!(e.isclose(&e).unwrap().shape(), &[0, 3]);
    let report = e.closeness(&e).unwrap();
    assert!(report.is_close());
    assert_eq!(report.total, 0);
    assert_allclose!(e, e);
}

#[test]
fn any_layout() {
    let a = Array2::from_shape_fn((4, 5), |(i, j)| (i * 5 + j) as f64);
    let t = a.t().to_owned();
    assert!(a.t().allclose(&t));
    assert!(a
        .slice(ndarray::s![..;-1, ..;2])
        .allclose(&a.slice(ndarray::s![..;-1, ..;2]).to_owned()));
    let mask = a.t().isclose(&t.view()).unwrap();
    assert!(mask.iter().all(|&x| x));
}

// ---------------------------------------------------------------- reports

#[test]
fn closeness_report() {
    let actual = array![[1.0, 2.0, 3.0], [4.0, 5.5, 6.0]];
    let desired = array![[1.0, 2.0, 3.3], [4.0, 5.0, 6.0]];
    let report = actual.closeness(&desired).unwrap();
    assert!(!report.is_close());
    assert_eq!(report.shape, vec![2, 3]);
    assert_eq!(report.total, 6);
    assert_eq!(report.mismatched, 2);
    let first = report.first.clone().unwrap();
    assert_eq!(first.index, vec![0, 2]);
    assert_eq!((first.actual, first.desired), (3.0, 3.3));
    assert!((report.max_abs_diff - 0.5).abs() < 1e-12);
    assert!((report.max_rel_diff - 0.1).abs() < 1e-12);
    assert_eq!(report.tolerance, Tolerance::default());
    let text = report.to_string();
    assert!(text.contains("2 of 6 elements differ"), "{text}");
    assert!(
        text.contains("first at [0, 2]: actual 3, desired 3.3"),
        "{text}"
    );
    assert!(
        text.contains("max absolute difference among them: 5e-1"),
        "{text}"
    );
    // The first mismatch is in C order whatever the memory order.
    let f = actual.t().to_owned();
    let report = f.t().closeness(&desired).unwrap();
    assert_eq!(report.first.unwrap().index, vec![0, 2]);
}

#[test]
fn closeness_report_of_close_arrays_and_zero_references() {
    let report = array![1.0, 2.0].closeness(&array![1.0, 2.0]).unwrap();
    assert!(report.is_close());
    assert_eq!((report.mismatched, report.max_abs_diff), (0, 0.0));
    assert!(report.to_string().contains("are close"));
    // A relative difference against 0 is infinite, as in NumPy.
    let report = array![1.0].closeness(&array![0.0]).unwrap();
    assert_eq!(report.max_rel_diff, f64::INFINITY);
    // NaN mismatches are counted but left out of the maxima.
    let report = array![f64::NAN, 2.0].closeness(&array![1.0, 2.5]).unwrap();
    assert_eq!(report.mismatched, 2);
    assert!(report.first.unwrap().actual.is_nan());
    assert_eq!(report.max_abs_diff, 0.5);
}

// ---------------------------------------------------------------- the macro

#[test]
fn assert_allclose_passes() {
    let a = array![[4.0, 7.0], [2.0, 6.0]];
    assert_allclose!(a.dot(&a.inv().unwrap()), Array2::<f64>::eye(2));
    assert_allclose!(&a, &a);
    assert_allclose!(a.view(), a, rtol = 0.0, atol = 0.0);
    assert_allclose!(array![f64::NAN], array![f64::NAN], equal_nan = true);
    assert_allclose!(array![1.0, 1.001], array![1.0, 1.0], tol(1e-2, 0.0, false));
    let t = tol(1e-2, 0.0, false);
    assert_allclose!(array![1.0, 1.001], array![1.0, 1.0], t);
    assert_allclose!(array![1, 2], array![1, 2]);
    let dynamic: ArrayD<f64> = Array::zeros(IxDyn(&[2, 2]));
    let typed: Array<f64, Ix2> = Array::zeros((2, 2));
    assert_allclose!(dynamic, typed);
}

#[test]
#[should_panic(expected = "first at [1]: actual 2.1, desired 2")]
fn assert_allclose_panics_with_the_report() {
    assert_allclose!(array![1.0, 2.1, 3.0], array![1.0, 2.0, 3.0]);
}

#[test]
#[should_panic(expected = "1 of 2 elements differ")]
fn assert_allclose_with_named_tolerances_panics() {
    assert_allclose!(
        array![1.0, 1.0 + 1e-9],
        array![1.0, 1.0],
        rtol = 1e-12,
        atol = 0.0
    );
}

#[test]
#[should_panic(expected = "cannot be combined")]
fn assert_allclose_panics_on_shapes_that_do_not_broadcast() {
    assert_allclose!(array![1.0, 2.0], array![1.0, 2.0, 3.0]);
}
