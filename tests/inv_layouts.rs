//! Every memory layout of the same logical matrix or stack gives exactly the
//! C-order result (each layout is copied once into C order before the same
//! computation, LAPACK or the crate's kernel, so bit-identical results are
//! expected), in a new standard-layout array, with the input unchanged. Then
//! `inv_into`: in place for owned standard-layout arrays, a fallback for
//! everything else.

mod common;

use common::{assert_stack_inverse, dominant_stack, layouts, rng, TestScalar, C32, C64};
use inv_ext::{Element, InvExt};
use ndarray::{arr0, array, s, Array, Array2, Array3, ArrayD, Ix2, Ix3, IxDyn};

/// The shapes every layout is tried on: 2-D, 1×1, 0×0, rank 3 and 4 stacks,
/// batches of 1×1, and empty batches.
const SHAPES: &[&[usize]] = &[
    &[5, 5],
    &[1, 1],
    &[0, 0],
    &[3, 4, 4],
    &[2, 3, 3, 3],
    &[4, 1, 1],
    &[0, 3, 3],
    &[2, 0, 0],
    &[2, 0, 2, 2],
];

/// Inverts `a` in every layout (as an array, a view and an `IxDyn` view), and
/// checks each result's shape and layout, `agrees` on it, and that the input
/// is unchanged.
fn check_every_layout_by<A>(a: &ArrayD<A>, poison: A, agrees: impl Fn(&ArrayD<A::Output>, &str))
where
    A: Element + PartialEq,
{
    let all = layouts(a, poison);
    assert_eq!(all[0].0, "C order");
    for (name, b) in &all {
        let what = format!("{name} {:?}", a.shape());
        assert_eq!(b, a, "{what}: the layout keeps the logical content");
        let before = b.clone();
        for (how, x) in [
            ("array", b.inv()),
            ("view", b.view().inv()),
            ("IxDyn view", b.view().into_dyn().inv()),
        ] {
            let what = format!("{what} {how}");
            let x = x.unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(x.shape(), a.shape(), "{what}: shape");
            assert!(x.is_standard_layout(), "{what}: output layout");
            agrees(&x, &what);
        }
        assert!(*b == before, "{what}: input changed");
    }
}

/// Inverts `a` in every layout and checks each against the C-order result,
/// bit for bit.
fn check_every_layout<A>(a: &ArrayD<A>, poison: A)
where
    A: Element + PartialEq,
    <A as Element>::Output: PartialEq,
{
    let expected = a
        .inv()
        .unwrap_or_else(|e| panic!("C order {:?}: {e}", a.shape()));
    assert!(expected.is_standard_layout());
    check_every_layout_by(a, poison, |x, what| {
        assert!(*x == expected, "{what}: differs from the C-order result");
    });
}

fn every_layout_of<T: TestScalar>(seed: u64, poison: T) {
    let mut rng = rng(seed);
    for shape in SHAPES {
        let a = dominant_stack::<T>(&mut rng, shape);
        check_every_layout(&a, poison);
        // Random (pivoted) matrices too, where the shape allows.
        if shape.iter().all(|&k| k > 0) {
            let r = common::random_stack::<T>(&mut rng, shape);
            check_every_layout(&r, poison);
        }
    }
}

#[test]
fn f64_every_layout_equals_c_order() {
    // NaN in the skipped elements: reading one would be a NonFinite error.
    every_layout_of::<f64>(1, f64::NAN);
}

#[test]
fn f32_every_layout_equals_c_order() {
    every_layout_of::<f32>(2, f32::NAN);
}

#[test]
fn complex_f32_every_layout_equals_c_order() {
    every_layout_of::<C32>(3, C32::new(f32::NAN, 0.0));
}

#[test]
fn complex_f64_every_layout_equals_c_order() {
    every_layout_of::<C64>(4, C64::new(0.0, f64::INFINITY));
}

#[test]
fn integer_every_layout_equals_c_order() {
    use rand::Rng;
    let mut r = rng(5);
    for shape in SHAPES {
        let nd = shape.len();
        let a = ArrayD::<i16>::from_shape_fn(IxDyn(shape), |ix| {
            r.gen_range(-9..10) + if ix[nd - 1] == ix[nd - 2] { 100 } else { 0 }
        });
        // A skipped element read by mistake would change the result.
        check_every_layout(&a, 7777);
        let f: ArrayD<f64> = a.mapv(f64::from);
        assert_eq!(a.inv().unwrap(), f.inv().unwrap());
    }
}

#[test]
fn larger_matrices_in_every_layout() {
    // Beyond the copy's 32×32 tile, so tiled transposing copies are exercised.
    common::on_big_stack(|| {
        let a = dominant_stack::<f64>(&mut rng(6), &[2, 70, 70]);
        check_every_layout(&a, f64::NAN);
        let a = dominant_stack::<C64>(&mut rng(7), &[65, 65]);
        check_every_layout(&a, C64::new(f64::NAN, f64::NAN));
    });
}

/// [`check_every_layout`] for one matrix large enough for the vendor to use
/// its own threads: its bits depend on how many it uses, which other tests of
/// this binary change while they run batches (the vendor is held to one
/// thread during a parallel batch; serially, or alone, the bits agree). So each
/// layout's inverse must pass LAPACK's acceptance test and agree with the
/// C-order result to a forward-error ratio below 30 (a misplaced band of the
/// copy would be far off), rather than bit for bit.
fn check_every_layout_close<T: TestScalar>(a: &ArrayD<T>, poison: T) {
    let a2 = a.view().into_dimensionality::<Ix2>().unwrap();
    let expected = a.inv().unwrap();
    let expected = expected.view().into_dimensionality::<Ix2>().unwrap();
    common::assert_inverse(a2, expected, "C order");
    check_every_layout_by(a, poison, |x, what| {
        let x = x.view().into_dimensionality::<Ix2>().unwrap();
        common::assert_inverse(a2, x, what);
        common::assert_close_inverses(a2, expected, x, what);
    });
}

/// One matrix large enough (520² elements >= 512²) that its copy is split into
/// bands of rows over rayon's threads: every layout still gives the C-order
/// result (see [`check_every_layout_close`]), and a NaN in any band is still
/// found.
#[test]
fn one_large_matrix_copied_in_bands() {
    common::on_big_stack(|| {
        let a = dominant_stack::<f64>(&mut rng(8), &[520, 520]);
        check_every_layout_close(&a, f64::NAN);
        let a = common::random_stack::<f32>(&mut rng(9), &[520, 520]);
        check_every_layout_close(&a, f32::NAN);
        for (r, c) in [(0, 0), (259, 3), (519, 519)] {
            let mut bad = dominant_stack::<f64>(&mut rng(10), &[520, 520]);
            bad[[r, c]] = f64::INFINITY;
            for (name, b) in layouts(&bad, f64::NAN) {
                assert!(
                    matches!(b.inv(), Err(inv_ext::LinAlgError::NonFinite { .. })),
                    "{name}: infinity at ({r}, {c})"
                );
            }
        }
    });
}

/// Broadcast views (zero strides): `(n, n)` to `(3, n, n)` and `(2, 3, n, n)`,
/// `(2, 1, n, n)` to `(2, 4, n, n)`, one element to `(1, 1)` and `(4, 1, 1)`.
#[test]
fn broadcast_views_equal_their_c_order_copy() {
    let mut rng = rng(8);
    let m = dominant_stack::<f64>(&mut rng, &[4, 4]);
    let p = dominant_stack::<C64>(&mut rng, &[2, 1, 3, 3]);
    let cases: Vec<(String, ArrayD<f64>, ArrayD<f64>)> = vec![
        {
            let v = m.broadcast(IxDyn(&[3, 4, 4])).unwrap();
            ("(4,4) -> (3,4,4)".into(), v.inv().unwrap(), v.to_owned())
        },
        {
            let v = m.broadcast(IxDyn(&[2, 3, 4, 4])).unwrap();
            ("(4,4) -> (2,3,4,4)".into(), v.inv().unwrap(), v.to_owned())
        },
        {
            let one = arr0(4.0f64);
            let v = one.broadcast(IxDyn(&[1, 1])).unwrap();
            ("() -> (1,1)".into(), v.inv().unwrap(), v.to_owned())
        },
        {
            let one = arr0(-0.5f64);
            let v = one.broadcast(IxDyn(&[4, 1, 1])).unwrap();
            ("() -> (4,1,1)".into(), v.inv().unwrap(), v.to_owned())
        },
        {
            // A broadcast axis that is itself transposed and reversed.
            let mut t = m.view().reversed_axes();
            t.invert_axis(ndarray::Axis(0));
            let v = t.broadcast(IxDyn(&[2, 4, 4])).unwrap();
            (
                "transposed, reversed (4,4) -> (2,4,4)".into(),
                v.inv().unwrap(),
                v.to_owned(),
            )
        },
    ];
    for (name, x, copy) in cases {
        assert!(x.is_standard_layout(), "{name}");
        assert_eq!(x, copy.inv().unwrap(), "{name}");
        assert_stack_inverse(&copy, &x, &name);
    }
    let v = p.broadcast(IxDyn(&[2, 4, 3, 3])).unwrap();
    let x = v.inv().unwrap();
    assert_eq!(x, v.to_owned().inv().unwrap(), "(2,1,3,3) -> (2,4,3,3)");
    assert!(x.is_standard_layout());
    // Every broadcast copy of a matrix has the same inverse.
    for i in 0..2 {
        for j in 1..4 {
            assert_eq!(
                x.slice(s![i, j, .., ..]),
                x.slice(s![i, 0, .., ..]),
                "[{i}, {j}]"
            );
        }
    }
    // Typed (not IxDyn) broadcasts keep their dimension type.
    let m2 = m.into_dimensionality::<Ix2>().unwrap();
    let b3: Array3<f64> = m2.broadcast((3, 4, 4)).unwrap().inv().unwrap();
    let one: Array2<f64> = m2.inv().unwrap();
    for k in 0..3 {
        assert_eq!(b3.index_axis(ndarray::Axis(0), k), one);
    }
}

// ---------------------------------------------------------------------------
// inv_into
// ---------------------------------------------------------------------------

#[test]
fn inv_into_standard_layout_inverts_in_place() {
    let mut rng = rng(9);
    for shape in [&[6, 6][..], &[3, 5, 5], &[2, 2, 4, 4], &[1, 1], &[4, 1, 1]] {
        let a = dominant_stack::<f64>(&mut rng, shape);
        let expected = a.inv().unwrap();
        let ptr = a.as_ptr();
        let x = a.inv_into().unwrap();
        assert_eq!(x, expected, "{shape:?}");
        assert_eq!(x.as_ptr(), ptr, "{shape:?}: the input's buffer is reused");
        assert!(x.is_standard_layout());
    }
    let c = dominant_stack::<C32>(&mut rng, &[3, 7, 7])
        .into_dimensionality::<Ix3>()
        .unwrap();
    let expected = c.inv().unwrap();
    let ptr = c.as_ptr();
    let x: Array3<C32> = c.inv_into().unwrap();
    assert_eq!(x, expected);
    assert_eq!(x.as_ptr(), ptr);
}

#[test]
fn inv_into_every_other_layout_falls_back_to_inv() {
    let mut rng = rng(10);
    for shape in SHAPES {
        let a = dominant_stack::<C64>(&mut rng, shape);
        let expected = a.inv().unwrap();
        for (name, b) in layouts(&a, C64::new(f64::NAN, 0.0)) {
            let x = b
                .inv_into()
                .unwrap_or_else(|e| panic!("{name} {shape:?}: {e}"));
            assert!(x.is_standard_layout(), "{name} {shape:?}");
            assert!(x == expected, "{name} {shape:?}");
        }
        // Views and shared arrays.
        assert!(a.view().inv_into().unwrap() == expected, "view {shape:?}");
        let mut t = a.view();
        t.swap_axes(shape.len() - 2, shape.len() - 1);
        let xt = t.to_owned().inv().unwrap();
        assert!(t.inv_into().unwrap() == xt, "transposed view {shape:?}");
    }
}

#[test]
fn inv_into_sliced_owned_arrays() {
    let mut rng = rng(11);
    // Standard layout that starts after the buffer's first element and ends
    // before its last: the in-place path with an offset.
    let big = dominant_stack::<f64>(&mut rng, &[4, 3, 3])
        .into_dimensionality::<Ix3>()
        .unwrap();
    let mut a = big.clone();
    a.slice_collapse(s![1..3, .., ..]);
    assert!(a.is_standard_layout());
    let expected = big.slice(s![1..3, .., ..]).inv().unwrap();
    let x = a.inv_into().unwrap();
    assert_eq!(x, expected);
    assert_eq!(x.shape(), &[2, 3, 3]);

    // 2-D: rows 1..5 of a 6×4 array.
    let tall = Array::from_shape_fn((6, 4), |(i, j)| {
        if i == j + 1 {
            10.0
        } else {
            (i * 4 + j) as f64 * 0.25
        }
    });
    let mut a = tall.clone();
    a.slice_collapse(s![1..5, ..]);
    assert!(a.is_standard_layout());
    let expected = tall.slice(s![1..5, ..]).inv().unwrap();
    assert_eq!(a.inv_into().unwrap(), expected);

    // Not standard layout after slicing: the fallback.
    let big = dominant_stack::<f64>(&mut rng, &[2, 8, 8])
        .into_dimensionality::<Ix3>()
        .unwrap();
    let mut a = big.clone();
    a.slice_collapse(s![.., ..;2, ..;2]);
    assert!(!a.is_standard_layout());
    let expected = big.slice(s![.., ..;2, ..;2]).to_owned().inv().unwrap();
    assert_eq!(a.inv_into().unwrap(), expected);

    // Negative step: reversed matrices.
    let mut a = big.clone();
    a.slice_collapse(s![..;-1, .., ..]);
    let expected = big.slice(s![..;-1, .., ..]).to_owned().inv().unwrap();
    assert_eq!(a.inv_into().unwrap(), expected);
}

#[test]
fn inv_into_shared_array_leaves_other_owners_untouched() {
    let a = dominant_stack::<f64>(&mut rng(12), &[2, 3, 3]);
    let shared = a.to_shared();
    let other = shared.clone();
    let x = shared.inv_into().unwrap();
    assert_eq!(x, a.inv().unwrap());
    assert_eq!(other, a, "another owner of the buffer still sees the input");
    // A unique ArcArray.
    let unique = a.to_shared();
    assert_eq!(unique.inv_into().unwrap(), a.inv().unwrap());
}

#[test]
fn inv_into_cow_and_empty_arrays() {
    let a = dominant_stack::<f32>(&mut rng(13), &[3, 2, 2]);
    let expected = a.inv().unwrap();
    assert_eq!(
        ndarray::CowArray::from(a.view()).inv_into().unwrap(),
        expected
    );
    assert_eq!(
        ndarray::CowArray::from(a.clone()).inv_into().unwrap(),
        expected
    );
    for shape in [&[0, 0][..], &[0, 3, 3], &[2, 0, 0]] {
        let e = ArrayD::<f64>::zeros(IxDyn(shape));
        let x = e.inv_into().unwrap();
        assert_eq!(x.shape(), shape);
    }
    let x: Array2<C64> = Array2::<C64>::zeros((0, 0)).inv_into().unwrap();
    assert_eq!(x.dim(), (0, 0));
}

#[test]
fn inv_into_matches_inv_for_typed_arrays() {
    let a = array![[4.0, 7.0], [2.0, 6.0]];
    let x = a.inv().unwrap();
    assert_eq!(a.inv_into().unwrap(), x);
    let ints = array![[[2i64, 1], [1, 1]], [[1, 0], [0, -1]]];
    assert_eq!(
        ints.clone().inv_into().unwrap(),
        array![[[1.0, -1.0], [-1.0, 2.0]], [[1.0, 0.0], [0.0, -1.0]]]
    );
    assert_eq!(ints.view().inv_into().unwrap(), ints.inv().unwrap());
}
