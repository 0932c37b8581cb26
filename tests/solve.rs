//! `solve`: NumPy's documented examples, NumPy 2's broadcasting rule, LAPACK's
//! acceptance ratio, batched = per-matrix, every shape error, singular and
//! non-finite input, every layout of `a` and `b`.

use approx::assert_abs_diff_eq;
use inv_ext::{InvExt, LinAlgError, Scalar};
use ndarray::{
    array, s, Array, Array1, Array2, Array3, Array4, ArrayD, ArrayView2, Axis, Dimension, Ix2,
    IxDyn, ShapeBuilder,
};
use num_complex::{Complex32, Complex64};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A well-conditioned random matrix stack: uniform entries in [-1, 1] plus `n` on
/// the diagonal.
fn well_conditioned(rng: &mut ChaCha8Rng, batch: &[usize], n: usize) -> ArrayD<f64> {
    let mut shape = batch.to_vec();
    shape.extend([n, n]);
    Array::from_shape_fn(IxDyn(&shape), |ix| {
        let d = ix.ndim();
        let diag = if ix[d - 1] == ix[d - 2] {
            n as f64
        } else {
            0.0
        };
        rng.gen_range(-1.0..1.0) + diag
    })
}

fn random(rng: &mut ChaCha8Rng, shape: &[usize]) -> ArrayD<f64> {
    Array::from_shape_fn(IxDyn(shape), |_| rng.gen_range(-1.0..1.0))
}

/// Largest column 1-norm of a 2-D array.
fn norm1<T: Scalar>(m: ArrayView2<T>) -> f64 {
    m.columns()
        .into_iter()
        .map(|c| {
            c.iter()
                .map(|v| Into::<f64>::into(v.modulus()))
                .sum::<f64>()
        })
        .fold(0.0, f64::max)
}

/// LAPACK's solve acceptance ratio `‖B − A·X‖₁ / (‖A‖₁·‖X‖₁·n·eps)`.
fn solve_ratio<T>(a: ArrayView2<T>, x: ArrayView2<T>, b: ArrayView2<T>) -> f64
where
    T: Scalar + ndarray::LinalgScalar,
{
    let n = a.nrows().max(1) as f64;
    let r = &b - &a.dot(&x);
    let eps: f64 = T::epsilon().into();
    norm1(r.view()) / (norm1(a) * norm1(x) * n * eps)
}

// ---------------------------------------------------------------- NumPy's examples

#[test]
fn numpy_doc_example_integer_system() {
    // >>> a = np.array([[1, 2], [3, 5]]); b = np.array([1, 2])
    // >>> np.linalg.solve(a, b)  ->  array([-1.,  1.])
    let a = array![[1, 2], [3, 5]];
    let b = array![1, 2];
    let x: Array1<f64> = a.solve(&b).unwrap();
    assert_abs_diff_eq!(x, array![-1.0, 1.0], epsilon = 1e-14);
    // >>> np.allclose(np.dot(a, x), b)  ->  True
    let af = a.mapv(f64::from);
    assert!(af.dot(&x).allclose(&b.mapv(f64::from)));
}

#[test]
fn numpy_doc_example_float_system() {
    // 3·x0 + x1 = 9 and x0 + 2·x1 = 8 -> [2, 3]
    let a = array![[3.0, 1.0], [1.0, 2.0]];
    let x = a.solve(&array![9.0, 8.0]).unwrap();
    assert_abs_diff_eq!(x, array![2.0, 3.0], epsilon = 1e-14);
}

#[test]
fn mixed_integer_and_float_operands_promote_to_f64() {
    let x: Array1<f64> = array![[2, 0], [0, 4]].solve(&array![1.0, 1.0]).unwrap();
    assert_eq!(x, array![0.5, 0.25]);
    let x: Array1<f64> = array![[2.0, 0.0], [0.0, 4.0]]
        .solve(&array![1u8, 2])
        .unwrap();
    assert_eq!(x, array![0.5, 0.5]);
}

// ---------------------------------------------------------------- NumPy 2 rule

#[test]
fn numpy2_one_dimensional_b_is_one_vector_for_every_matrix() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let a = well_conditioned(&mut rng, &[2, 3], 3);
    let b = array![1.0, -2.0, 0.5];
    let x = a.solve(&b).unwrap();
    assert_eq!(x.shape(), &[2, 3, 3]);
    for i in 0..2 {
        for j in 0..3 {
            let ai = a.slice(s![i, j, .., ..]).to_owned();
            assert_abs_diff_eq!(
                x.slice(s![i, j, ..]),
                ai.solve(&b).unwrap(),
                epsilon = 1e-14
            );
        }
    }
}

#[test]
fn numpy2_two_dimensional_b_is_always_one_matrix() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let a: Array3<f64> = well_conditioned(&mut rng, &[2], 3)
        .into_dimensionality()
        .unwrap();
    // (2, 3, 3) with (3, 2): the matrix b is used for both, result (2, 3, 2).
    let b = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
    let x: Array3<f64> = a.solve(&b).unwrap();
    assert_eq!(x.shape(), &[2, 3, 2]);
    for i in 0..2 {
        let xi = a.index_axis(Axis(0), i).solve(&b).unwrap();
        assert_abs_diff_eq!(x.index_axis(Axis(0), i), xi, epsilon = 1e-14);
    }
    // (2, 3, 3) with (2, 3): NumPy 1 read b as two vectors; NumPy 2 reads a 2x3
    // matrix, whose 2 rows do not match M = 3.
    let b = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    match a.solve(&b) {
        Err(LinAlgError::ShapeMismatch { left, right, .. }) => {
            assert_eq!((left, right), (vec![2, 3, 3], vec![2, 3]));
        }
        other => panic!("expected ShapeMismatch, got {other:?}"),
    }
    // The NumPy 2 way to pass a stack of vectors: add a K = 1 axis.
    let x = a.solve(&b.clone().insert_axis(Axis(2))).unwrap();
    assert_eq!(x.shape(), &[2, 3, 1]);
    for i in 0..2 {
        let xi = a.index_axis(Axis(0), i).solve(&b.row(i)).unwrap();
        assert_abs_diff_eq!(x.slice(s![i, .., 0]), xi, epsilon = 1e-14);
    }
}

#[test]
fn numpy2_batch_axes_broadcast() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    // (2, 1, 3, 3) with (4, 3, 2) -> (2, 4, 3, 2)
    let a = well_conditioned(&mut rng, &[2, 1], 3);
    let b = random(&mut rng, &[4, 3, 2]);
    let x = a.solve(&b).unwrap();
    assert_eq!(x.shape(), &[2, 4, 3, 2]);
    for i in 0..2 {
        for j in 0..4 {
            let ai = a.slice(s![i, 0, .., ..]);
            let bj = b.slice(s![j, .., ..]);
            assert_abs_diff_eq!(
                x.slice(s![i, j, .., ..]),
                ai.solve(&bj).unwrap(),
                epsilon = 1e-14
            );
        }
    }
    // One matrix against a stack of right-hand sides: (3, 3) with (5, 3, 1).
    let a2 = well_conditioned(&mut rng, &[], 3);
    let b = random(&mut rng, &[5, 3, 1]);
    let x = a2.solve(&b).unwrap();
    assert_eq!(x.shape(), &[5, 3, 1]);
    for j in 0..5 {
        let xj = a2.solve(&b.slice(s![j, .., ..])).unwrap();
        assert_abs_diff_eq!(x.slice(s![j, .., ..]).into_dyn(), xj, epsilon = 1e-14);
    }
    // (1, 3, 3) with (5, 3, 2) -> (5, 3, 2)
    let a1 = a2.clone().insert_axis(Axis(0));
    assert_abs_diff_eq!(a1.solve(&b).unwrap(), a2.solve(&b).unwrap(), epsilon = 0.0);
}

#[test]
fn typed_results() {
    let a2 = array![[2.0, 0.0], [0.0, 4.0]];
    let a3 = Array3::from_shape_fn((3, 2, 2), |(_, i, j)| if i == j { 2.0 } else { 0.0 });
    let b1 = array![2.0, 4.0];
    let b2 = array![[2.0], [4.0]];
    let b3 = Array3::from_elem((3, 2, 1), 2.0);
    let b4 = Array4::from_elem((5, 3, 2, 1), 2.0);
    let _: Array1<f64> = a2.solve(&b1).unwrap();
    let _: Array2<f64> = a2.solve(&b2).unwrap();
    let _: Array3<f64> = a2.solve(&b3).unwrap();
    let _: Array2<f64> = a3.solve(&b1).unwrap();
    let _: Array3<f64> = a3.solve(&b2).unwrap();
    let _: Array3<f64> = a3.solve(&b3).unwrap();
    let x: Array4<f64> = a3.solve(&b4).unwrap();
    assert_eq!(x.shape(), &[5, 3, 2, 1]);
    // IxDyn follows the runtime rule.
    let x: ArrayD<f64> = a3.clone().into_dyn().solve(&b1).unwrap();
    assert_eq!(x.shape(), &[3, 2]);
    let x: ArrayD<f64> = a3.solve(&b2.clone().into_dyn()).unwrap();
    assert_eq!(x.shape(), &[3, 2, 1]);
    // Views of either operand.
    let _: Array1<f64> = a2.view().solve(&b1.view()).unwrap();
}

// ---------------------------------------------------------------- accuracy

fn check_ratio<T>(a: &Array2<T>, b: &Array2<T>)
where
    T: Scalar + ndarray::LinalgScalar,
{
    let x = a.solve(b).unwrap();
    let ratio = solve_ratio(a.view(), x.view(), b.view());
    assert!(ratio < 30.0, "n = {}: ratio {ratio}", a.nrows());
}

#[test]
fn acceptance_ratio_for_every_type() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for n in [1, 2, 3, 5, 8, 17, 40] {
        let a: Array2<f64> = well_conditioned(&mut rng, &[], n)
            .into_dimensionality()
            .unwrap();
        // A general matrix (not diagonally dominant) too, so pivoting matters.
        let g: Array2<f64> = random(&mut rng, &[n, n]).into_dimensionality().unwrap();
        let b: Array2<f64> = random(&mut rng, &[n, 3]).into_dimensionality().unwrap();
        check_ratio(&a, &b);
        check_ratio(&g, &b);
        check_ratio(&a.mapv(|v| v as f32), &b.mapv(|v| v as f32));
        let c = Array2::from_shape_fn((n, n), |(i, j)| {
            Complex64::new(a[[i, j]], g[[i, j]] + if i == j { n as f64 } else { 0.0 })
        });
        let cb = b.mapv(|v| Complex64::new(v, -v));
        check_ratio(&c, &cb);
        check_ratio(
            &c.mapv(|v| Complex32::new(v.re as f32, v.im as f32)),
            &cb.mapv(|v| Complex32::new(v.re as f32, v.im as f32)),
        );
    }
}

#[test]
fn vector_solution_satisfies_the_system() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let a: Array2<f64> = random(&mut rng, &[30, 30]).into_dimensionality().unwrap();
    let b: Array1<f64> = random(&mut rng, &[30]).into_dimensionality().unwrap();
    let x = a.solve(&b).unwrap();
    let ratio = solve_ratio(
        a.view(),
        x.view().insert_axis(Axis(1)),
        b.view().insert_axis(Axis(1)),
    );
    assert!(ratio < 30.0, "{ratio}");
}

// ---------------------------------------------------------------- batches

#[test]
fn batched_equals_per_matrix() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let a: Array3<f64> = well_conditioned(&mut rng, &[7], 4)
        .into_dimensionality()
        .unwrap();
    let b: Array3<f64> = random(&mut rng, &[7, 4, 3]).into_dimensionality().unwrap();
    let x = a.solve(&b).unwrap();
    for i in 0..7 {
        let xi = a
            .index_axis(Axis(0), i)
            .solve(&b.index_axis(Axis(0), i))
            .unwrap();
        assert_abs_diff_eq!(x.index_axis(Axis(0), i), xi, epsilon = 1e-14);
    }
}

#[test]
fn large_batch_runs_in_parallel_and_matches() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let count = 4000;
    let a: Array3<f64> = well_conditioned(&mut rng, &[count], 3)
        .into_dimensionality()
        .unwrap();
    let b: Array3<f64> = random(&mut rng, &[count, 3, 2])
        .into_dimensionality()
        .unwrap();
    let x = a.solve(&b).unwrap();
    // Vector right-hand side against the whole stack.
    let v = array![1.0, 2.0, 3.0];
    let xv = a.solve(&v).unwrap();
    for i in (0..count).step_by(397) {
        let ai = a.index_axis(Axis(0), i);
        let xi = ai.solve(&b.index_axis(Axis(0), i)).unwrap();
        assert_abs_diff_eq!(x.index_axis(Axis(0), i), xi, epsilon = 1e-14);
        assert_abs_diff_eq!(xv.row(i), ai.solve(&v).unwrap(), epsilon = 1e-14);
    }
}

#[test]
fn one_matrix_many_right_hand_sides_factors_once_and_matches() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let a: Array2<f64> = well_conditioned(&mut rng, &[], 6)
        .into_dimensionality()
        .unwrap();
    let b: Array3<f64> = random(&mut rng, &[300, 6, 2])
        .into_dimensionality()
        .unwrap();
    let x = a.solve(&b).unwrap();
    for j in (0..300).step_by(37) {
        let xj = a.solve(&b.index_axis(Axis(0), j)).unwrap();
        assert_abs_diff_eq!(x.index_axis(Axis(0), j), xj, epsilon = 1e-14);
    }
}

// ---------------------------------------------------------------- errors

#[test]
fn shape_errors_of_a_are_those_of_inv() {
    let b = array![1.0, 2.0];
    assert_eq!(
        array![1.0, 2.0].into_dyn().solve(&b),
        Err(LinAlgError::NotEnoughDimensions { ndim: 1 })
    );
    assert_eq!(
        Array2::<f64>::zeros((2, 3)).solve(&b),
        Err(LinAlgError::NotSquare { rows: 2, cols: 3 })
    );
    assert_eq!(
        Array3::<f64>::zeros((0, 2, 3)).solve(&b),
        Err(LinAlgError::NotSquare { rows: 2, cols: 3 })
    );
}

#[test]
fn rows_of_b_must_match() {
    let a = Array2::<f64>::eye(2);
    let e = a.solve(&array![1.0, 2.0, 3.0]).unwrap_err();
    match &e {
        LinAlgError::ShapeMismatch { left, right, .. } => {
            assert_eq!((left.as_slice(), right.as_slice()), (&[2, 2][..], &[3][..]));
        }
        other => panic!("expected ShapeMismatch, got {other:?}"),
    }
    let message = e.to_string();
    assert!(
        message.contains("[2, 2]") && message.contains("[3]"),
        "{message}"
    );
    assert!(matches!(
        a.solve(&Array2::<f64>::zeros((3, 2))),
        Err(LinAlgError::ShapeMismatch { .. })
    ));
}

#[test]
fn batch_axes_that_do_not_broadcast() {
    let a = Array3::<f64>::zeros((2, 3, 3));
    let b = Array3::<f64>::zeros((4, 3, 1));
    let e = a.solve(&b).unwrap_err();
    assert!(matches!(e, LinAlgError::ShapeMismatch { .. }));
    let message = e.to_string();
    assert!(
        message.contains("[2, 3, 3]") && message.contains("[4, 3, 1]"),
        "{message}"
    );
    assert!(message.contains("do not broadcast"), "{message}");
}

#[test]
fn zero_dimensional_b_is_a_shape_mismatch() {
    let b = ndarray::arr0(1.0).into_dyn();
    assert!(matches!(
        Array2::<f64>::eye(2).solve(&b),
        Err(LinAlgError::ShapeMismatch { .. })
    ));
}

#[test]
fn singular_matrix() {
    let a = array![[1.0, 2.0], [2.0, 4.0]];
    assert_eq!(
        a.solve(&array![1.0, 1.0]),
        Err(LinAlgError::Singular {
            batch: vec![],
            pivot: 1
        })
    );
    let zero = Array2::<f64>::zeros((3, 3));
    assert_eq!(
        zero.solve(&Array2::<f64>::ones((3, 2))),
        Err(LinAlgError::Singular {
            batch: vec![],
            pivot: 0
        })
    );
}

#[test]
fn first_singular_system_in_c_order_of_the_broadcast_batch() {
    let mut a = Array3::from_shape_fn((3, 2, 2), |(_, i, j)| if i == j { 1.0 } else { 0.0 });
    a.slice_mut(s![2, .., ..]).fill(0.0);
    a.slice_mut(s![1, .., ..])
        .assign(&array![[1.0, 2.0], [2.0, 4.0]]);
    // a's batch (3,) broadcast against b's (2, 3): systems [i, j] use a[j].
    let b = Array4::<f64>::ones((2, 3, 2, 1));
    assert_eq!(
        a.solve(&b),
        Err(LinAlgError::Singular {
            batch: vec![0, 1],
            pivot: 1
        })
    );
    // A non-stacked solve reports the stack position.
    assert_eq!(
        a.solve(&array![1.0, 1.0]),
        Err(LinAlgError::Singular {
            batch: vec![1],
            pivot: 1
        })
    );
    // Only a[2] singular: first used by system [0, 2].
    let mut a2 = a.clone();
    a2.slice_mut(s![1, .., ..]).assign(&Array2::eye(2));
    assert_eq!(
        a2.solve(&b),
        Err(LinAlgError::Singular {
            batch: vec![0, 2],
            pivot: 0
        })
    );
    // An earlier non-finite right-hand side wins.
    let mut b2 = b.clone();
    b2[[0, 1, 0, 0]] = f64::NAN;
    assert_eq!(
        a2.solve(&b2),
        Err(LinAlgError::NonFinite { batch: vec![0, 1] })
    );
}

#[test]
fn non_finite_a_or_b() {
    let mut a = Array3::from_shape_fn((3, 2, 2), |(_, i, j)| if i == j { 1.0 } else { 0.0 });
    a[[1, 0, 1]] = f64::INFINITY;
    assert_eq!(
        a.solve(&array![1.0, 1.0]),
        Err(LinAlgError::NonFinite { batch: vec![1] })
    );
    let eye = Array2::<f64>::eye(2);
    let mut b = Array3::<f64>::ones((3, 2, 2));
    b[[2, 1, 1]] = f64::NAN;
    assert_eq!(
        eye.solve(&b),
        Err(LinAlgError::NonFinite { batch: vec![2] })
    );
    assert_eq!(
        eye.solve(&array![f64::NEG_INFINITY, 0.0]),
        Err(LinAlgError::NonFinite { batch: vec![] })
    );
    let c = Array2::<Complex64>::eye(2);
    assert_eq!(
        c.solve(&array![
            Complex64::new(0.0, f64::NAN),
            Complex64::new(1.0, 0.0)
        ]),
        Err(LinAlgError::NonFinite { batch: vec![] })
    );
}

#[test]
fn empty_inputs_return_empty_results() {
    let x = Array3::<f64>::zeros((0, 3, 3))
        .solve(&array![1.0, 2.0, 3.0])
        .unwrap();
    assert_eq!(x.shape(), &[0, 3]);
    let x = Array2::<f64>::zeros((0, 0))
        .solve(&Array1::<f64>::zeros(0))
        .unwrap();
    assert_eq!(x.shape(), &[0]);
    let x = Array2::<f64>::eye(3)
        .solve(&Array2::<f64>::zeros((3, 0)))
        .unwrap();
    assert_eq!(x.shape(), &[3, 0]);
    let x = Array2::<f64>::eye(3)
        .solve(&Array3::<f64>::zeros((0, 3, 2)))
        .unwrap();
    assert_eq!(x.shape(), &[0, 3, 2]);
}

// ---------------------------------------------------------------- layouts

/// Every layout of `a` (a 3-D stack) and `b`, against the C-order answer.
#[test]
fn every_layout_of_a_and_b() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let n = 5;
    let a: Array3<f64> = well_conditioned(&mut rng, &[3], n)
        .into_dimensionality()
        .unwrap();
    let b: Array3<f64> = random(&mut rng, &[3, n, 4]).into_dimensionality().unwrap();
    let expect = a.solve(&b).unwrap();

    // F order.
    let mut af = Array3::zeros((3, n, n).f());
    af.assign(&a);
    let mut bf = Array3::zeros((3, n, 4).f());
    bf.assign(&b);
    assert_abs_diff_eq!(af.solve(&b).unwrap(), expect, epsilon = 1e-13);
    assert_abs_diff_eq!(a.solve(&bf).unwrap(), expect, epsilon = 1e-13);
    assert_abs_diff_eq!(af.solve(&bf).unwrap(), expect, epsilon = 1e-13);

    // Strided: every other element of bigger arrays.
    let mut big_a = Array3::<f64>::zeros((6, 2 * n, 2 * n));
    big_a.slice_mut(s![..;2, ..;2, ..;2]).assign(&a);
    let mut big_b = Array3::<f64>::zeros((3, 2 * n, 12));
    big_b.slice_mut(s![.., ..;2, ..;3]).assign(&b);
    let sa = big_a.slice(s![..;2, ..;2, ..;2]);
    let sb = big_b.slice(s![.., ..;2, ..;3]);
    assert_abs_diff_eq!(sa.solve(&sb).unwrap(), expect, epsilon = 1e-13);

    // Negative strides: reversed copies, reversed back by the slice.
    let ra = a
        .slice(s![..;-1, ..;-1, ..;-1])
        .as_standard_layout()
        .into_owned();
    let rb = b
        .slice(s![..;-1, ..;-1, ..;-1])
        .as_standard_layout()
        .into_owned();
    let na = ra.slice(s![..;-1, ..;-1, ..;-1]);
    let nb = rb.slice(s![..;-1, ..;-1, ..;-1]);
    assert!(na.strides().iter().all(|&st| st < 0), "{:?}", na.strides());
    assert!(nb.strides().iter().all(|&st| st < 0), "{:?}", nb.strides());
    assert_abs_diff_eq!(na.solve(&nb).unwrap(), expect, epsilon = 1e-13);

    // Permuted axes: stored as (n, n, 3), seen as (3, n, n).
    let pa_store = a.view().permuted_axes([1, 2, 0]).to_owned();
    let pa = pa_store.view().permuted_axes([2, 0, 1]);
    let pb_store = b.view().permuted_axes([2, 0, 1]).to_owned();
    let pb = pb_store.view().permuted_axes([1, 2, 0]);
    assert_abs_diff_eq!(pa.solve(&pb).unwrap(), expect, epsilon = 1e-13);

    // A vector b with negative stride and with a stride of 2.
    let v = array![1.0, -1.0, 2.0, 0.5, 3.0];
    let expect_v = a.solve(&v).unwrap();
    let rv = v.slice(s![..;-1]).as_standard_layout().into_owned();
    assert_abs_diff_eq!(
        a.solve(&rv.slice(s![..;-1])).unwrap(),
        expect_v,
        epsilon = 1e-13
    );
    let wide = Array1::from_shape_fn(2 * n, |i| if i % 2 == 0 { v[i / 2] } else { 9.0 });
    assert_abs_diff_eq!(
        a.solve(&wide.slice(s![..;2])).unwrap(),
        expect_v,
        epsilon = 1e-13
    );
}

#[test]
fn broadcast_views_as_operands() {
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let a: Array2<f64> = well_conditioned(&mut rng, &[], 4)
        .into_dimensionality()
        .unwrap();
    let b: Array2<f64> = random(&mut rng, &[4, 2]).into_dimensionality().unwrap();
    let expect = a.solve(&b).unwrap();
    // a broadcast to a stack of 3 (zero batch stride).
    let a3 = a.broadcast((3, 4, 4)).unwrap();
    let x = a3.solve(&b).unwrap();
    for i in 0..3 {
        assert_abs_diff_eq!(x.index_axis(Axis(0), i), expect, epsilon = 1e-14);
    }
    // b broadcast to a stack of 5.
    let b5 = b.broadcast((5, 4, 2)).unwrap();
    let x = a.solve(&b5).unwrap();
    for i in 0..5 {
        assert_abs_diff_eq!(x.index_axis(Axis(0), i), expect, epsilon = 1e-14);
    }
    // A row broadcast into a matrix: b = [r; r; r; r] with zero row stride.
    let r = array![1.0, 2.0];
    let rb = r.broadcast((4, 2)).unwrap();
    assert_abs_diff_eq!(
        a.solve(&rb).unwrap(),
        a.solve(&rb.to_owned()).unwrap(),
        epsilon = 0.0
    );
}

#[test]
fn input_is_not_modified() {
    let a = array![[4.0, 3.0], [6.0, 3.0]];
    let b = array![[10.0, 1.0], [12.0, 0.0]];
    let (a0, b0) = (a.clone(), b.clone());
    let x = a.solve(&b).unwrap();
    assert_eq!((a, b), (a0.clone(), b0.clone()));
    assert!(a0.dot(&x).allclose(&b0));
    assert!(x.is_standard_layout());
}

#[test]
fn two_dimensional_dyn_b_against_typed_a() {
    let a = Array2::<f64>::eye(3) * 2.0;
    let b = Array2::from_shape_fn((3, 2), |(i, j)| (i + j) as f64).into_dyn();
    let x: ArrayD<f64> = a.solve(&b).unwrap();
    let expect: Array<f64, Ix2> = b.clone().into_dimensionality().unwrap() / 2.0;
    assert_abs_diff_eq!(
        x.into_dimensionality::<Ix2>().unwrap(),
        expect,
        epsilon = 0.0
    );
}

#[test]
fn results_too_large_for_memory_are_errors_not_aborts() {
    // Broadcast views describe 2^40 systems on each side: 2^80 systems overflow.
    let a = Array2::<f64>::eye(2);
    let a = a.broadcast((1 << 40, 1, 2, 2)).unwrap();
    let b = Array2::<f64>::ones((2, 1));
    let b = b.broadcast((1 << 40, 2, 1)).unwrap();
    assert!(matches!(a.solve(&b), Err(LinAlgError::OutOfMemory { .. })));
    // 2^44 systems of 2 unknowns: 256 TiB of result.
    let big = Array2::<f64>::eye(2);
    let big = big.broadcast((1 << 44, 2, 2)).unwrap();
    assert!(matches!(
        big.solve(&array![1.0, 1.0]),
        Err(LinAlgError::OutOfMemory { .. })
    ));
}

#[test]
fn no_columns_still_checks_a_as_numpy() {
    // np.linalg.solve(np.zeros((2, 2)), np.zeros((2, 0))) -> LinAlgError: Singular matrix
    assert_eq!(
        Array2::<f64>::zeros((2, 2)).solve(&Array2::<f64>::zeros((2, 0))),
        Err(LinAlgError::Singular {
            batch: vec![],
            pivot: 0
        })
    );
    let mut a = Array3::from_shape_fn((3, 2, 2), |(_, i, j)| f64::from(i == j));
    a[[2, 1, 1]] = 0.0;
    let b = Array4::<f64>::zeros((2, 3, 2, 0));
    assert_eq!(
        a.solve(&b),
        Err(LinAlgError::Singular {
            batch: vec![0, 2],
            pivot: 1
        })
    );
    assert_eq!(
        a.lu().unwrap().solve(&b),
        Err(LinAlgError::Singular {
            batch: vec![0, 2],
            pivot: 1
        })
    );
    a[[1, 0, 0]] = f64::NAN;
    assert_eq!(
        a.solve(&b),
        Err(LinAlgError::NonFinite { batch: vec![0, 1] })
    );
    // No systems at all: nothing to report, as NumPy.
    let none = Array4::<f64>::zeros((0, 3, 2, 1));
    assert_eq!(a.solve(&none).unwrap().shape(), &[0, 3, 2, 1]);
}

mod property {
    use super::*;
    use proptest::prelude::*;

    /// Batch shapes for a and b that broadcast: per axis of the result, each side
    /// has the full length or 1; a and b may also have fewer axes.
    fn shapes() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, usize, Option<usize>, u64)> {
        (
            prop::collection::vec(
                (
                    2usize..4,
                    prop::bool::weighted(0.3),
                    prop::bool::weighted(0.3),
                ),
                0..4,
            ),
            0usize..3,
            0usize..3,
            1usize..5,
            prop::option::of(0usize..3),
            any::<u64>(),
        )
            .prop_map(|(axes, drop_a, drop_b, n, k, seed)| {
                let a: Vec<usize> = axes
                    .iter()
                    .map(|&(d, one, _)| if one { 1 } else { d })
                    .collect();
                let b: Vec<usize> = axes
                    .iter()
                    .map(|&(d, _, one)| if one { 1 } else { d })
                    .collect();
                let a = a[drop_a.min(a.len())..].to_vec();
                let b = b[drop_b.min(b.len())..].to_vec();
                (a, b, n, k, seed)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        /// Every system of a broadcast, batched solve equals the 2-D solve of its
        /// own matrix and right-hand side.
        #[test]
        fn batched_equals_per_system((a_batch, b_batch, n, k, seed) in shapes()) {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let a = well_conditioned(&mut rng, &a_batch, n);
            let b = match k {
                None => random(&mut rng, &[n]),
                Some(k) => {
                    let mut shape = b_batch.clone();
                    shape.extend([n, k]);
                    random(&mut rng, &shape)
                }
            };
            let x = a.solve(&b).unwrap();
            let batch_len = x.ndim() - if k.is_none() { 1 } else { 2 };
            let batch = x.shape()[..batch_len].to_vec();
            let count: usize = batch.iter().product();
            for i in 0..count {
                // The multi-index of system i, and the matrices it uses.
                let mut idx = vec![0; batch.len()];
                let mut rest = i;
                for (slot, &len) in idx.iter_mut().zip(&batch).rev() {
                    *slot = rest % len;
                    rest /= len;
                }
                let pick = |arr: &ArrayD<f64>, core: usize| {
                    let mut v = arr.view();
                    let own = arr.ndim() - core;
                    for &ix in &idx[idx.len() - own..] {
                        // A length-1 axis is broadcast: always its element 0.
                        let ix = if v.shape()[0] == 1 { 0 } else { ix };
                        v.index_axis_inplace(Axis(0), ix);
                    }
                    v.to_owned()
                };
                let ai: Array2<f64> = pick(&a, 2).into_dimensionality().unwrap();
                let mut xi = x.view();
                for &ix in &idx {
                    xi.index_axis_inplace(Axis(0), ix);
                }
                let expect = if k.is_none() {
                    ai.solve(&b.view().into_dimensionality::<ndarray::Ix1>().unwrap()).unwrap().into_dyn()
                } else {
                    let bi: Array2<f64> = pick(&b, 2).into_dimensionality().unwrap();
                    ai.solve(&bi).unwrap().into_dyn()
                };
                prop_assert!(xi.abs_diff_eq(&expect, 1e-13), "system {:?}: {} vs {}", idx, xi, expect);
            }
        }
    }
}

#[test]
fn complex_layouts_use_the_plain_transpose() {
    // A complex, non-Hermitian system in C and F order and transposed views: a
    // conjugate-transpose mix-up (getrs 'C' instead of 'T') would break these.
    let mut rng = ChaCha8Rng::seed_from_u64(15);
    let n = 4;
    let a = Array3::from_shape_fn((2, n, n), |(_, i, j)| {
        Complex64::new(
            rng.gen_range(-1.0..1.0) + if i == j { 4.0 } else { 0.0 },
            rng.gen_range(-1.0..1.0),
        )
    });
    let b = Array3::from_shape_fn((2, n, 3), |_| {
        Complex64::new(rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0))
    });
    let x = a.solve(&b).unwrap();
    for i in 0..2 {
        let ai = a.index_axis(Axis(0), i);
        let r = &ai.dot(&x.index_axis(Axis(0), i)) - &b.index_axis(Axis(0), i);
        assert!(r.iter().all(|v| v.norm() < 1e-13), "{r}");
    }
    let mut af = Array3::zeros((2, n, n).f());
    af.assign(&a);
    let mut bf = Array3::zeros((2, n, 3).f());
    bf.assign(&b);
    inv_ext::assert_allclose!(af.solve(&bf).unwrap(), x, rtol = 0.0, atol = 1e-14);
    // Aᵀ as a permuted view against an owned copy of Aᵀ.
    let at = a.view().permuted_axes([0, 2, 1]);
    let at_owned = at.as_standard_layout().into_owned();
    inv_ext::assert_allclose!(
        at.solve(&b).unwrap(),
        at_owned.solve(&b).unwrap(),
        rtol = 0.0,
        atol = 1e-14
    );
}

/// A batch big enough for several worker threads, each writing its share of
/// the fresh result buffer: every system's solution is that of a call on it
/// alone, and the first failure in C order is the one reported.
#[test]
fn parallel_batches_match_single_systems_and_report_the_first_failure() {
    let mut rng = ChaCha8Rng::seed_from_u64(32);
    let mut a = well_conditioned(&mut rng, &[20_000], 4);
    let b = random(&mut rng, &[20_000, 4, 3]);
    let x = a.solve(&b).unwrap();
    for k in [0, 1, 9_999, 10_000, 19_999] {
        let one = a
            .index_axis(Axis(0), k)
            .solve(&b.index_axis(Axis(0), k))
            .unwrap();
        assert_abs_diff_eq!(x.index_axis(Axis(0), k), one, epsilon = 0.0);
    }
    a.index_axis_mut(Axis(0), 17_000).fill(0.0);
    assert!(matches!(
        a.solve(&b),
        Err(LinAlgError::Singular { batch, pivot: 0 }) if batch == vec![17_000]
    ));
    a[[12_345, 1, 2]] = f64::NAN;
    assert_eq!(
        a.solve(&b).map(|_| ()),
        Err(LinAlgError::NonFinite {
            batch: vec![12_345]
        })
    );
}
