//! `det` and `slogdet` on `InvExt`: NumPy's documented examples, known
//! determinants, singular matrices (0, no error), complex signs, stacks, layouts.

use approx::{assert_abs_diff_eq, assert_relative_eq};
use inv_ext::{InvExt, LinAlgError, Scalar};
use ndarray::{
    arr0, array, s, Array, Array1, Array2, Array3, ArrayD, Axis, Ix0, Ix1, IxDyn, ShapeBuilder,
};
use num_complex::{Complex32, Complex64};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[test]
fn numpy_doc_examples() {
    // >>> a = np.array([[1, 2], [3, 4]]); np.linalg.det(a) -> -2.0000000000000004
    let a = array![[1.0, 2.0], [3.0, 4.0]];
    let d: Array<f64, Ix0> = a.det().unwrap();
    assert_relative_eq!(d.into_scalar(), -2.0, max_relative = 1e-15);
    // >>> np.linalg.slogdet(a) -> (sign=-1.0, logabsdet=0.6931471805599455)
    let (sign, logdet) = a.slogdet().unwrap();
    assert_eq!(sign.into_scalar(), -1.0);
    assert_relative_eq!(
        logdet.into_scalar(),
        0.6931471805599455,
        max_relative = 1e-15
    );
    // >>> a = np.array([[[1, 2], [3, 4]], [[1, 2], [2, 1]], [[1, 3], [3, 1]]])
    // >>> np.linalg.det(a) -> array([-2., -3., -8.])
    let stack = array![[[1, 2], [3, 4]], [[1, 2], [2, 1]], [[1, 3], [3, 1]]];
    let d: Array1<f64> = stack.det().unwrap();
    assert_abs_diff_eq!(d, array![-2.0, -3.0, -8.0], epsilon = 1e-14);
    // >>> np.linalg.slogdet(a) -> (array([-1., -1., -1.]), array([0.69314718, 1.09861229, 2.07944154]))
    let (sign, logdet) = stack.slogdet().unwrap();
    assert_eq!(sign, array![-1.0, -1.0, -1.0]);
    assert_abs_diff_eq!(
        logdet,
        array![0.6931471805599455, 1.0986122886681096, 2.079441541679836],
        epsilon = 1e-14
    );
    // >>> np.linalg.slogdet(np.eye(500) * 0.1) -> (1.0, -1151.2925464970251)
    // while np.linalg.det underflows to 0.0.
    let small = Array2::<f64>::eye(500) * 0.1;
    assert_eq!(small.det().unwrap().into_scalar(), 0.0);
    let (sign, logdet) = small.slogdet().unwrap();
    assert_eq!(sign.into_scalar(), 1.0);
    assert_relative_eq!(
        logdet.into_scalar(),
        -1151.2925464970251,
        max_relative = 1e-13
    );
}

#[test]
fn triangular_determinant_is_the_diagonal_product() {
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    for n in [1, 2, 5, 12] {
        let u = Array2::from_shape_fn((n, n), |(i, j)| {
            if i <= j {
                rng.gen_range(0.5..2.0) * if (i + j) % 3 == 0 { -1.0 } else { 1.0 }
            } else {
                0.0
            }
        });
        let expect: f64 = u.diag().iter().product();
        assert_relative_eq!(u.det().unwrap().into_scalar(), expect, max_relative = 1e-13);
        let l = u.t().to_owned();
        assert_relative_eq!(l.det().unwrap().into_scalar(), expect, max_relative = 1e-13);
        let (sign, logdet) = u.slogdet().unwrap();
        assert_eq!(sign.into_scalar(), expect.signum());
        assert_relative_eq!(logdet.into_scalar(), expect.abs().ln(), epsilon = 1e-12);
    }
}

#[test]
fn permutation_matrices_give_their_sign() {
    // Cycles of length k have sign (-1)^(k-1).
    for n in 1..=6 {
        let cycle = Array2::from_shape_fn((n, n), |(i, j)| f64::from((i + 1) % n == j));
        let expect = if n % 2 == 0 { -1.0 } else { 1.0 };
        assert_eq!(cycle.det().unwrap().into_scalar(), expect, "n = {n}");
        let (sign, logdet) = cycle.slogdet().unwrap();
        assert_eq!((sign.into_scalar(), logdet.into_scalar()), (expect, 0.0));
    }
    let swap = array![[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]];
    assert_eq!(swap.det().unwrap().into_scalar(), -1.0);
}

#[test]
fn integer_matrices_promote_to_f64() {
    // np.linalg.det([[2, -3, 1], [2, 0, -1], [1, 4, 5]]) -> 49.000000000000014
    let d: f64 = array![[2i64, -3, 1], [2, 0, -1], [1, 4, 5]]
        .det()
        .unwrap()
        .into_scalar();
    assert_relative_eq!(d, 49.0, max_relative = 1e-14);
    let d: f64 = array![[3u8, 0], [0, 7]].det().unwrap().into_scalar();
    assert_eq!(d, 21.0);
    let (sign, logdet) = array![[0i32, 2], [3, 0]].slogdet().unwrap();
    assert_eq!(sign.into_scalar(), -1.0f64);
    assert_relative_eq!(logdet.into_scalar(), 6f64.ln());
}

#[test]
fn complex_determinant_and_unit_sign() {
    // np.linalg.det([[1+2j, 3], [4j, 5-1j]]) -> (7-3j)
    let a = array![
        [Complex64::new(1.0, 2.0), Complex64::new(3.0, 0.0)],
        [Complex64::new(0.0, 4.0), Complex64::new(5.0, -1.0)]
    ];
    let d = a.det().unwrap().into_scalar();
    assert!((d - Complex64::new(7.0, -3.0)).norm() < 1e-14, "{d}");
    // np.linalg.slogdet(...) -> (sign=(0.9191450300180578-0.39391929857916763j),
    //                            logabsdet=2.0302215052732095)
    let (sign, logdet) = a.slogdet().unwrap();
    let sign = sign.into_scalar();
    assert!(
        (sign - Complex64::new(0.9191450300180578, -0.39391929857916763)).norm() < 1e-14,
        "{sign}"
    );
    assert_relative_eq!(
        logdet.into_scalar(),
        2.0302215052732095,
        max_relative = 1e-14
    );
    // sign · exp(logabsdet) = det, |sign| = 1, for a random complex stack.
    let mut rng = ChaCha8Rng::seed_from_u64(22);
    let c = Array3::from_shape_fn((4, 6, 6), |_| {
        Complex32::new(rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0))
    });
    let d = c.det().unwrap();
    let (sign, logdet) = c.slogdet().unwrap();
    for k in 0..4 {
        assert!((sign[k].norm() - 1.0).abs() < 1e-6);
        let back = sign[k] * logdet[k].exp();
        assert!(
            (back - d[k]).norm() <= 1e-4 * d[k].norm(),
            "{back} vs {}",
            d[k]
        );
    }
}

#[test]
fn singular_gives_zero_not_an_error() {
    let stack = array![
        [[1.0, 2.0], [2.0, 4.0]],
        [[2.0, 0.0], [0.0, 3.0]],
        [[0.0, 0.0], [0.0, 0.0]]
    ];
    assert_eq!(stack.det().unwrap(), array![0.0, 6.0, 0.0]);
    let (sign, logdet) = stack.slogdet().unwrap();
    assert_eq!(sign, array![0.0, 1.0, 0.0]);
    assert_eq!(logdet[0], f64::NEG_INFINITY);
    assert_relative_eq!(logdet[1], 6f64.ln());
    assert_eq!(logdet[2], f64::NEG_INFINITY);
    // Complex: sign 0 + 0i.
    let c = Array2::<Complex64>::zeros((3, 3));
    let (sign, logdet) = c.slogdet().unwrap();
    assert_eq!(sign.into_scalar(), Complex64::new(0.0, 0.0));
    assert_eq!(logdet.into_scalar(), f64::NEG_INFINITY);
}

#[test]
fn errors() {
    assert_eq!(
        Array1::<f64>::zeros(2).into_dyn().det(),
        Err(LinAlgError::NotEnoughDimensions { ndim: 1 })
    );
    assert_eq!(
        Array2::<f64>::zeros((2, 3)).slogdet().map(|_| ()),
        Err(LinAlgError::NotSquare { rows: 2, cols: 3 })
    );
    let mut a = Array3::<f64>::ones((4, 2, 2));
    a[[3, 0, 0]] = f64::NAN;
    a[[2, 1, 1]] = f64::INFINITY;
    assert_eq!(a.det(), Err(LinAlgError::NonFinite { batch: vec![2] }));
    assert_eq!(
        a.slogdet().map(|_| ()),
        Err(LinAlgError::NonFinite { batch: vec![2] })
    );
}

#[test]
fn shapes_of_results() {
    // 0×0: det 1 (the empty product), as NumPy.
    assert_eq!(Array2::<f64>::zeros((0, 0)).det().unwrap(), arr0(1.0));
    let (sign, logdet) = Array2::<f64>::zeros((0, 0)).slogdet().unwrap();
    assert_eq!((sign.into_scalar(), logdet.into_scalar()), (1.0, 0.0));
    // Empty batch.
    let d: Array<f64, Ix1> = Array3::<f64>::zeros((0, 2, 2)).det().unwrap();
    assert_eq!(d.shape(), &[0]);
    // Higher rank and IxDyn keep the batch axes.
    let a: ArrayD<f64> = Array::from_shape_fn(IxDyn(&[2, 3, 2, 2]), |ix| {
        if ix[2] == ix[3] {
            (ix[0] * 3 + ix[1] + 1) as f64
        } else {
            0.0
        }
    });
    let d = a.det().unwrap();
    assert_eq!(d.shape(), &[2, 3]);
    assert_eq!(d[[1, 2]], 36.0);
    let (sign, logdet) = a.slogdet().unwrap();
    assert_eq!(sign.shape(), &[2, 3]);
    assert_relative_eq!(logdet[[1, 2]], 36f64.ln());
}

#[test]
fn every_layout_gives_the_same_determinant() {
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let a = Array3::from_shape_fn((3, 5, 5), |_| rng.gen_range(-1.0..1.0));
    let expect = a.det().unwrap();
    let mut f = Array3::zeros((3, 5, 5).f());
    f.assign(&a);
    assert_abs_diff_eq!(f.det().unwrap(), expect, epsilon = 1e-14);
    let reversed = a.slice(s![..;-1, .., ..]).as_standard_layout().into_owned();
    assert_abs_diff_eq!(
        reversed.slice(s![..;-1, .., ..]).det().unwrap(),
        expect,
        epsilon = 1e-14
    );
    let mut big = Array3::<f64>::zeros((3, 10, 10));
    big.slice_mut(s![.., ..;2, ..;2]).assign(&a);
    assert_abs_diff_eq!(
        big.slice(s![.., ..;2, ..;2]).det().unwrap(),
        expect,
        epsilon = 1e-14
    );
    // Transposed matrices (permuted axes) have the same determinant.
    assert_abs_diff_eq!(
        a.view().permuted_axes([0, 2, 1]).det().unwrap(),
        expect,
        epsilon = 1e-14
    );
    // Broadcast: one matrix seen 4 times.
    let one = a.index_axis(Axis(0), 1);
    let d = one.broadcast((4, 5, 5)).unwrap().det().unwrap();
    assert!(d.iter().all(|&x| x == expect[1]));
}

#[test]
fn large_stack_in_parallel() {
    let count = 20_000;
    let a = Array3::from_shape_fn((count, 3, 3), |(k, i, j)| {
        if i == j {
            1.0 + (k % 7) as f64
        } else if j == i + 1 {
            0.5
        } else {
            0.0
        }
    });
    let d = a.det().unwrap();
    for k in (0..count).step_by(1237) {
        assert_eq!(d[k], (1.0 + (k % 7) as f64).powi(3));
    }
    let (sign, _) = a.mapv(|v| v as f32).slogdet().unwrap();
    assert!(sign.iter().all(|&s| s == 1.0));
}

#[test]
fn f32_precision() {
    let a = array![[4.0f32, 3.0], [6.0, 3.0]];
    let d = a.det().unwrap().into_scalar();
    assert!((d + 6.0).abs() < 4.0 * f32::epsilon());
    let (sign, logdet) = a.slogdet().unwrap();
    assert_eq!(sign.into_scalar(), -1.0f32);
    let logdet: f32 = logdet.into_scalar();
    assert!((logdet - 6f32.ln()).abs() < 4.0 * <f32 as Scalar>::epsilon());
}

#[test]
fn results_too_large_for_memory_are_errors_not_aborts() {
    let one = Array2::<f64>::eye(1);
    let view = one.broadcast((1 << 46, 1, 1)).unwrap();
    assert!(matches!(view.det(), Err(LinAlgError::OutOfMemory { .. })));
    assert!(matches!(
        view.slogdet().map(|_| ()),
        Err(LinAlgError::OutOfMemory { .. })
    ));
    assert!(matches!(
        view.lu().map(|_| ()),
        Err(LinAlgError::OutOfMemory { .. })
    ));
}
