//! `lu`: factor once, reuse: `Lu::solve` equals `solve`, `Lu::inv` equals `inv`,
//! `det`/`slogdet` of known matrices, `rcond` (LAPACK gecon, 1-norm) of the
//! identity and of Hilbert matrices, singular and non-finite input.

use approx::{assert_abs_diff_eq, assert_relative_eq};
use inv_ext::{assert_allclose, InvExt, LinAlgError, Lu};
use ndarray::{array, s, Array, Array1, Array2, Array3, ArrayD, Axis, IxDyn, ShapeBuilder};
use num_complex::{Complex32, Complex64};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn well_conditioned(rng: &mut ChaCha8Rng, count: usize, n: usize) -> Array3<f64> {
    Array3::from_shape_fn((count, n, n), |(_, i, j)| {
        rng.gen_range(-1.0..1.0) + if i == j { n as f64 } else { 0.0 }
    })
}

fn hilbert(n: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, n), |(i, j)| 1.0 / (i + j + 1) as f64)
}

#[test]
fn lu_solve_equals_solve() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let a = well_conditioned(&mut rng, 5, 6);
    let lu = a.lu().unwrap();
    assert_eq!(lu.shape(), &[5, 6, 6]);
    let v = Array1::from_shape_fn(6, |_| rng.gen_range(-1.0..1.0));
    let m = Array3::from_shape_fn((5, 6, 3), |_| rng.gen_range(-1.0..1.0));
    let one = Array2::from_shape_fn((6, 2), |_| rng.gen_range(-1.0..1.0));
    assert_abs_diff_eq!(lu.solve(&v).unwrap(), a.solve(&v).unwrap(), epsilon = 0.0);
    assert_abs_diff_eq!(lu.solve(&m).unwrap(), a.solve(&m).unwrap(), epsilon = 0.0);
    assert_abs_diff_eq!(
        lu.solve(&one).unwrap(),
        a.solve(&one).unwrap(),
        epsilon = 0.0
    );
    // The same factors, many times.
    for _ in 0..3 {
        let b = Array3::from_shape_fn((5, 6, 1), |_| rng.gen_range(-1.0..1.0));
        assert_abs_diff_eq!(lu.solve(&b).unwrap(), a.solve(&b).unwrap(), epsilon = 0.0);
    }
}

#[test]
fn lu_solve_broadcasts_one_factorization_over_many_right_hand_sides() {
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let a = well_conditioned(&mut rng, 1, 4).index_axis_move(Axis(0), 0);
    let lu = a.lu().unwrap();
    let b = Array3::from_shape_fn((50, 4, 2), |_| rng.gen_range(-1.0..1.0));
    let x: Array3<f64> = lu.solve(&b).unwrap();
    for j in (0..50).step_by(7) {
        let xj = a.solve(&b.index_axis(Axis(0), j)).unwrap();
        assert_abs_diff_eq!(x.index_axis(Axis(0), j), xj, epsilon = 0.0);
    }
}

#[test]
fn lu_solve_complex_and_f32() {
    let a = array![
        [Complex64::new(1.0, 1.0), Complex64::new(2.0, 0.0)],
        [Complex64::new(3.0, 0.0), Complex64::new(4.0, -1.0)]
    ];
    let b = array![Complex64::new(1.0, 0.0), Complex64::new(0.0, 1.0)];
    let lu = a.lu().unwrap();
    let x = lu.solve(&b).unwrap();
    assert_allclose!(a.dot(&x), b, rtol = 0.0, atol = 1e-14);
    assert_eq!(x, a.solve(&b).unwrap());
    let a32 = array![[4.0f32, 1.0], [2.0, 3.0]];
    let x32 = a32.lu().unwrap().solve(&array![1.0f32, 2.0]).unwrap();
    assert_abs_diff_eq!(x32, array![0.1f32, 0.6], epsilon = 1e-6);
    let c32 = a32.mapv(|v| Complex32::new(v, 0.0));
    assert!(c32.lu().unwrap().inv().is_ok());
}

#[test]
fn lu_inv_equals_inv() {
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let a = well_conditioned(&mut rng, 4, 7);
    let lu = a.lu().unwrap();
    assert_abs_diff_eq!(lu.inv().unwrap(), a.inv().unwrap(), epsilon = 1e-15);
    let c = a.mapv(|v| Complex64::new(v, 0.5 * v));
    assert_allclose!(
        c.lu().unwrap().inv().unwrap(),
        c.inv().unwrap(),
        rtol = 0.0,
        atol = 1e-15
    );
}

#[test]
fn det_of_known_matrices() {
    // Triangular: the product of the diagonal.
    let upper = array![[2.0, 5.0, -1.0], [0.0, -3.0, 7.0], [0.0, 0.0, 0.5]];
    assert_relative_eq!(upper.lu().unwrap().det().into_scalar(), -3.0);
    let lower = upper.t().to_owned();
    assert_relative_eq!(lower.lu().unwrap().det().into_scalar(), -3.0);
    // Permutation matrices: the sign of the permutation.
    let p = |perm: [usize; 4]| Array2::from_shape_fn((4, 4), |(i, j)| f64::from(perm[i] == j));
    let dets = [
        ([0, 1, 2, 3], 1.0),
        ([1, 0, 2, 3], -1.0),
        ([1, 2, 0, 3], 1.0),
        ([3, 2, 1, 0], 1.0),
        ([1, 2, 3, 0], -1.0),
    ];
    for (perm, d) in dets {
        let lu = p(perm).lu().unwrap();
        assert_eq!(lu.det().into_scalar(), d, "{perm:?}");
        let (sign, logdet) = lu.slogdet();
        assert_eq!((sign.into_scalar(), logdet.into_scalar()), (d, 0.0));
    }
    // Integer matrices: np.linalg.det([[2, -3, 1], [2, 0, -1], [1, 4, 5]]) = 49.
    let ints = array![[2, -3, 1], [2, 0, -1], [1, 4, 5]];
    let lu: Lu<f64, _> = ints.lu().unwrap();
    assert_relative_eq!(lu.det().into_scalar(), 49.0, max_relative = 1e-14);
    // det(Aᵀ) = det(A) in every layout.
    let a = array![[1.0, 2.0, 0.5], [3.0, -1.0, 2.0], [0.0, 4.0, 1.0]];
    let d = a.lu().unwrap().det().into_scalar();
    assert_relative_eq!(
        a.t().lu().unwrap().det().into_scalar(),
        d,
        max_relative = 1e-14
    );
    let mut f = Array2::zeros((3, 3).f());
    f.assign(&a);
    assert_relative_eq!(f.lu().unwrap().det().into_scalar(), d, max_relative = 1e-14);
}

#[test]
fn det_and_slogdet_of_a_stack() {
    let stack = array![
        [[1.0, 2.0], [3.0, 4.0]],
        [[1.0, 2.0], [2.0, 1.0]],
        [[1.0, 3.0], [3.0, 1.0]]
    ];
    let lu = stack.lu().unwrap();
    // np.linalg.det(...) -> [-2.0000000000000004, -2.9999999999999996, -8.000000000000002]
    assert_abs_diff_eq!(lu.det(), array![-2.0, -3.0, -8.0], epsilon = 1e-14);
    let (sign, logdet) = lu.slogdet();
    assert_eq!(sign, array![-1.0, -1.0, -1.0]);
    assert_abs_diff_eq!(
        logdet,
        array![0.6931471805599455, 1.0986122886681096, 2.079441541679836],
        epsilon = 1e-14
    );
    // The methods on InvExt agree.
    assert_eq!(stack.det().unwrap(), lu.det());
    assert_eq!(stack.slogdet().unwrap(), lu.slogdet());
}

#[test]
fn rcond_of_identity_is_one() {
    assert_eq!(
        Array2::<f64>::eye(5)
            .lu()
            .unwrap()
            .rcond()
            .unwrap()
            .into_scalar(),
        1.0
    );
    assert_eq!(
        Array2::<f32>::eye(3)
            .lu()
            .unwrap()
            .rcond()
            .unwrap()
            .into_scalar(),
        1.0
    );
    let c = Array2::<Complex64>::eye(4);
    assert_eq!(c.lu().unwrap().rcond().unwrap().into_scalar(), 1.0);
    let c = Array2::<Complex32>::eye(2);
    assert_eq!(c.lu().unwrap().rcond().unwrap().into_scalar(), 1.0);
    // A stack of scaled identities (powers of 2, so no rounding): rcond does not
    // depend on the scale.
    let s = Array3::from_shape_fn((3, 4, 4), |(k, i, j)| {
        if i == j {
            2f64.powi(10 * k as i32 - 10)
        } else {
            0.0
        }
    });
    assert_eq!(s.lu().unwrap().rcond().unwrap(), array![1.0, 1.0, 1.0]);
}

#[test]
fn rcond_of_hilbert_matrices_falls_as_expected() {
    // 1 / np.linalg.cond(H_n, 1) for n = 2..=10.
    let numpy = [
        0.03703703703703702,
        0.0013368983957219203,
        3.5242290748901835e-05,
        1.0597081987484613e-06,
        3.4399394641132124e-08,
        1.015027594661067e-09,
        2.95222205666139e-11,
        9.093774482952978e-13,
        2.828590250194109e-14,
    ];
    let mut previous = 1.0;
    for (n, expect) in (2..=10).zip(numpy) {
        let rcond = hilbert(n).lu().unwrap().rcond().unwrap().into_scalar();
        // gecon estimates ‖A⁻¹‖₁ from below (a lower bound on the condition
        // number), and for Hilbert matrices the estimate is essentially exact.
        let ratio = rcond / expect;
        assert!(
            (0.9..1.1).contains(&ratio),
            "n = {n}: rcond {rcond:e}, numpy {expect:e}"
        );
        assert!(
            rcond < previous / 20.0,
            "n = {n}: {rcond:e} after {previous:e}"
        );
        previous = rcond;
    }
}

#[test]
fn rcond_of_a_large_stack() {
    // Hilbert matrices of order 2..=6 repeated: the parallel path agrees with
    // the one-matrix results.
    let count = 5000;
    let stack = Array3::from_shape_fn((count, 6, 6), |(k, i, j)| {
        let order = 2 + k % 5;
        if i < order && j < order {
            1.0 / (i + j + 1) as f64
        } else if i == j {
            1.0
        } else {
            0.0
        }
    });
    let rcond = stack.lu().unwrap().rcond().unwrap();
    for k in 0..5 {
        let one = stack.index_axis(Axis(0), k).lu().unwrap().rcond().unwrap();
        for repeat in (k..count).step_by(5 * 97) {
            assert_eq!(rcond[repeat], one.clone().into_scalar());
        }
    }
}

#[test]
fn rcond_is_the_one_norm_one_not_the_infinity_norm_one() {
    // A matrix whose 1-norm and ∞-norm condition numbers differ:
    // 1 / np.linalg.cond(m, 1) = 0.002267573696145117,
    // 1 / np.linalg.cond(m, np.inf) = 0.0019342359767891616.
    let m = array![[1.0, 2.0, 3.0], [0.0, 1.0, 4.0], [5.0, 6.0, 0.0]];
    let rcond = m.lu().unwrap().rcond().unwrap().into_scalar();
    assert_relative_eq!(rcond, 0.002267573696145117, max_relative = 1e-12);
    // Its transpose swaps the two.
    let rcond_t = m.t().lu().unwrap().rcond().unwrap().into_scalar();
    assert_relative_eq!(rcond_t, 0.0019342359767891616, max_relative = 1e-12);
}

#[test]
fn singular_matrices_factor_but_do_not_solve() {
    let stack = array![
        [[1.0, 0.0], [0.0, 1.0]],
        [[1.0, 2.0], [2.0, 4.0]],
        [[0.0, 0.0], [0.0, 0.0]]
    ];
    let lu = stack.lu().unwrap();
    assert!(lu.is_singular());
    assert_eq!(lu.det(), array![1.0, 0.0, 0.0]);
    let (sign, logdet) = lu.slogdet();
    assert_eq!(sign, array![1.0, 0.0, 0.0]);
    assert_eq!(logdet, array![0.0, f64::NEG_INFINITY, f64::NEG_INFINITY]);
    assert_eq!(lu.rcond().unwrap(), array![1.0, 0.0, 0.0]);
    assert_eq!(
        lu.solve(&array![1.0, 1.0]),
        Err(LinAlgError::Singular {
            batch: vec![1],
            pivot: 1
        })
    );
    assert_eq!(
        lu.inv(),
        Err(LinAlgError::Singular {
            batch: vec![1],
            pivot: 1
        })
    );
    assert!(!array![[1.0, 2.0], [3.0, 4.0]].lu().unwrap().is_singular());
}

#[test]
fn errors_of_lu() {
    assert_eq!(
        Array1::<f64>::zeros(3).into_dyn().lu().map(|_| ()),
        Err(LinAlgError::NotEnoughDimensions { ndim: 1 })
    );
    assert_eq!(
        Array2::<f64>::zeros((2, 3)).lu().map(|_| ()),
        Err(LinAlgError::NotSquare { rows: 2, cols: 3 })
    );
    let mut a = Array3::<f64>::zeros((3, 2, 2));
    a[[2, 1, 0]] = f64::NAN;
    assert_eq!(
        a.lu().map(|_| ()),
        Err(LinAlgError::NonFinite { batch: vec![2] })
    );
    let lu = Array2::<f64>::eye(2).lu().unwrap();
    assert!(matches!(
        lu.solve(&array![1.0, 2.0, 3.0]),
        Err(LinAlgError::ShapeMismatch { .. })
    ));
    assert_eq!(
        lu.solve(&array![1.0, f64::INFINITY]),
        Err(LinAlgError::NonFinite { batch: vec![] })
    );
}

#[test]
fn layouts_give_the_same_factorization() {
    let mut rng = ChaCha8Rng::seed_from_u64(14);
    let a = well_conditioned(&mut rng, 3, 5);
    let b = Array3::from_shape_fn((3, 5, 2), |_| rng.gen_range(-1.0..1.0));
    let expect = a.lu().unwrap();
    let mut f = Array3::zeros((3, 5, 5).f());
    f.assign(&a);
    let reversed = a.slice(s![..;-1, .., ..]).as_standard_layout().into_owned();
    let views = [f.view(), reversed.slice(s![..;-1, .., ..])];
    for v in views {
        let lu = v.lu().unwrap();
        assert_abs_diff_eq!(lu.det(), expect.det(), epsilon = 1e-12);
        assert_abs_diff_eq!(
            lu.solve(&b).unwrap(),
            expect.solve(&b).unwrap(),
            epsilon = 1e-13
        );
    }
    // A broadcast view: one matrix seen as a stack of 4.
    let one = a.index_axis(Axis(0), 0);
    let lu = one.broadcast((4, 5, 5)).unwrap().lu().unwrap();
    let d = one.lu().unwrap().det().into_scalar();
    assert!(lu.det().iter().all(|&x| x == d));
}

#[test]
fn empty_and_dynamic() {
    let lu = Array2::<f64>::zeros((0, 0)).lu().unwrap();
    assert_eq!(lu.det().into_scalar(), 1.0);
    assert_eq!(lu.rcond().unwrap().into_scalar(), 1.0);
    assert_eq!(lu.inv().unwrap().shape(), &[0, 0]);
    assert_eq!(lu.solve(&Array1::<f64>::zeros(0)).unwrap().shape(), &[0]);
    let lu = Array3::<f64>::zeros((0, 3, 3)).lu().unwrap();
    assert_eq!(lu.det().shape(), &[0]);
    assert_eq!(lu.inv().unwrap().shape(), &[0, 3, 3]);

    let a: ArrayD<f64> = Array::from_shape_fn(IxDyn(&[2, 2, 2]), |ix| {
        if ix[1] == ix[2] {
            (ix[0] + 2) as f64
        } else {
            0.0
        }
    });
    let lu = a.lu().unwrap();
    assert_eq!(lu.det(), array![4.0, 9.0].into_dyn());
    let x = lu.solve(&array![2.0, 6.0]).unwrap();
    assert_abs_diff_eq!(
        x,
        array![[1.0, 3.0], [2.0 / 3.0, 2.0]].into_dyn(),
        epsilon = 1e-15
    );
    let typed = array![[2.0, 0.0], [0.0, 4.0]].lu().unwrap().into_dyn();
    assert_eq!(typed.det(), ndarray::arr0(8.0).into_dyn());
}

#[test]
fn lu_is_send_sync_and_clone() {
    fn check<T: Send + Sync + Clone>(_: &T) {}
    let lu = Array2::<f64>::eye(2).lu().unwrap();
    check(&lu);
    let again = lu.clone();
    assert_eq!(again.det(), lu.det());
}

/// A batch big enough for several worker threads, each writing its share of
/// the fresh factor buffer: every matrix's factors are those of a call on it
/// alone, and the first failure in C order is the one reported, however the
/// batch was split.
#[test]
fn parallel_batches_match_single_matrices_and_report_the_first_failure() {
    let mut rng = ChaCha8Rng::seed_from_u64(31);
    let mut a = well_conditioned(&mut rng, 20_000, 4);
    let det = a.lu().unwrap().det();
    for k in [0, 1, 9_999, 10_000, 19_999] {
        let one = a.index_axis(Axis(0), k).lu().unwrap().det();
        assert_eq!(det[k], one[()], "matrix {k}");
    }
    a[[17_000, 0, 0]] = f64::INFINITY;
    a[[12_345, 1, 2]] = f64::NAN;
    assert_eq!(
        a.lu().map(|_| ()),
        Err(LinAlgError::NonFinite {
            batch: vec![12_345]
        })
    );
    assert_eq!(
        a.det().map(|_| ()),
        Err(LinAlgError::NonFinite {
            batch: vec![12_345]
        })
    );
}
