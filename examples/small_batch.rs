//! Time per matrix for stacks of small matrices: inv_ext (`Method::Auto`, i.e. the
//! own batched kernel), a loop of raw LAPACK `getrf` + `getri` calls as a user
//! would write it (one copy of the stack, then one matrix after another on the
//! calling thread), inv_ext forced onto LAPACK (`Method::Getri`: the same calls,
//! batch spread over the cores as Auto is), nalgebra (a loop
//! of `Matrix4::try_inverse` for 4×4, `DMatrix::try_inverse` otherwise) and, when
//! `python3` with NumPy is available, NumPy's `np.linalg.inv` timed right after by
//! `scripts/numpy_small.py` — so every ratio comes from one run.
//!
//! Run with `cargo run --release --example small_batch [-- --f32] [-- --no-numpy]
//! [-- --pivoting]`. Each figure is the best of 5 timed runs after one warm-up.
//!
//! The stacks are uniform in [-1, 1) plus n on the diagonal (issue 6's
//! benchmark): diagonally dominant, so partial pivoting never interchanges
//! rows. With `--pivoting` they are uniform in [-1, 1) only, general matrices
//! for which it interchanges rows at most steps (both sides again get the same
//! kind of stack).

mod common;

use common::{general_stack, stack};
use std::hint::black_box;
use std::process::Command;

use inv_ext::{InvExt, InvOptions, Method};
use nalgebra::{DMatrix, Matrix4};
use ndarray::Array3;
use std::os::raw::c_int;

/// (batch, n): the shapes of issue 6.
const SHAPES: [(usize, usize); 8] = [
    (200_000, 2),
    (200_000, 3),
    (200_000, 4),
    (1_000_000, 4),
    (100_000, 8),
    (20_000, 16),
    (5_000, 32),
    (1_000, 64),
];

const REPEAT: usize = 5;

/// Best of `REPEAT` runs, in ns per matrix.
fn best_ns(batch: usize, f: impl FnMut()) -> f64 {
    common::best_ns(batch, REPEAT, f)
}

/// NumPy's ns per matrix by shape, from `scripts/numpy_small.py`.
fn numpy(dtype: &str, pivoting: bool) -> Vec<Option<f64>> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/numpy_small.py");
    let mut args = vec![script, "--dtype", dtype];
    if pivoting {
        args.push("--pivoting");
    }
    let out = Command::new("python3").args(args).output();
    let Ok(out) = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()) else {
        return vec![None; SHAPES.len()];
    };
    SHAPES
        .iter()
        .map(|&(b, n)| {
            let key = format!("{b}x{n}x{n}");
            out.lines()
                .filter_map(|l| l.split_once(char::is_whitespace).map(|_| l.trim()))
                .find(|l| l.starts_with(&key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .collect()
}

/// The raw LAPACK calls for one element type.
trait Raw: Copy + Default {
    /// `?getrf` then, when it succeeds, `?getri` on the `n×n` matrix `a`.
    ///
    /// # Safety
    /// `a` holds `n * n` elements, `ipiv` `n`, `work` `work.len()`.
    unsafe fn getrf_getri(n: c_int, a: &mut [Self], ipiv: &mut [c_int], work: &mut [Self])
        -> c_int;
}

macro_rules! raw {
    ($t:ty, $getrf:ident, $getri:ident) => {
        impl Raw for $t {
            unsafe fn getrf_getri(
                n: c_int,
                a: &mut [Self],
                ipiv: &mut [c_int],
                work: &mut [Self],
            ) -> c_int {
                let mut info = 0;
                lapack_sys::$getrf(&n, &n, a.as_mut_ptr(), &n, ipiv.as_mut_ptr(), &mut info);
                if info == 0 {
                    let lwork = work.len() as c_int;
                    lapack_sys::$getri(
                        &n,
                        a.as_mut_ptr(),
                        &n,
                        ipiv.as_ptr(),
                        work.as_mut_ptr(),
                        &lwork,
                        &mut info,
                    );
                }
                info
            }
        }
    };
}
raw!(f64, dgetrf_, dgetri_);
raw!(f32, sgetrf_, sgetri_);

/// A loop of raw `getrf` + `getri` calls: the stack copied once into a new
/// array, then each C-order matrix inverted in place (read column-major it is
/// the transpose, whose inverse read back in C order is the inverse), with the
/// pivots and a workspace of 64 n elements allocated once.
fn raw_loop<T: Raw>(a: &Array3<T>) -> Array3<T> {
    let n = a.dim().1;
    let mut out = a.to_owned();
    let mut ipiv = vec![0; n];
    let mut work = vec![T::default(); 64 * n];
    let slots = out.as_slice_mut().expect("a new array is contiguous");
    for m in slots.chunks_exact_mut(n * n) {
        // SAFETY: each slot holds n * n elements, ipiv n, work its length.
        let info = unsafe { T::getrf_getri(n as c_int, m, &mut ipiv, &mut work) };
        assert_eq!(info, 0, "the test matrices are well conditioned");
    }
    out
}

fn main() {
    common::settle_vendor_threads();
    let args: Vec<String> = std::env::args().collect();
    let f32_mode = args.iter().any(|a| a == "--f32");
    let with_numpy = !args.iter().any(|a| a == "--no-numpy");
    let pivoting = args.iter().any(|a| a == "--pivoting");
    let lapack = InvOptions {
        method: Method::Getri,
        ..InvOptions::default()
    };
    println!(
        "inv_ext small batches, {}, {}, ns per matrix, best of {REPEAT}, {} rayon threads",
        if f32_mode { "f32" } else { "f64" },
        if pivoting {
            "general matrices (rows interchanged)"
        } else {
            "diagonally dominant (no interchange)"
        },
        rayon::current_num_threads()
    );
    let mut rows = Vec::new();
    for &(batch, n) in &SHAPES {
        let a = if pivoting {
            general_stack(batch, n)
        } else {
            stack(batch, n)
        };
        let (auto, raw, getri) = if f32_mode {
            let a = a.mapv(|x| x as f32);
            (
                best_ns(batch, || drop(black_box(a.inv().unwrap()))),
                best_ns(batch, || drop(black_box(raw_loop(&a)))),
                best_ns(batch, || drop(black_box(a.inv_with(&lapack).unwrap()))),
            )
        } else {
            (
                best_ns(batch, || drop(black_box(a.inv().unwrap()))),
                best_ns(batch, || drop(black_box(raw_loop(&a)))),
                best_ns(batch, || drop(black_box(a.inv_with(&lapack).unwrap()))),
            )
        };
        let nalgebra = if f32_mode {
            None
        } else if n == 4 {
            let ms: Vec<Matrix4<f64>> = a
                .outer_iter()
                .map(|m| Matrix4::from_fn(|i, j| m[[i, j]]))
                .collect();
            Some(best_ns(batch, || {
                let inv: Vec<Matrix4<f64>> = ms
                    .iter()
                    .map(|m| m.try_inverse().unwrap_or_else(Matrix4::zeros))
                    .collect();
                black_box(inv);
            }))
        } else if batch * n * n * n <= 1 << 26 {
            let ms: Vec<DMatrix<f64>> = a
                .outer_iter()
                .map(|m| DMatrix::from_fn(n, n, |i, j| m[[i, j]]))
                .collect();
            Some(best_ns(batch, || {
                let inv: Vec<DMatrix<f64>> = ms
                    .iter()
                    .map(|m| {
                        m.clone()
                            .try_inverse()
                            .unwrap_or_else(|| DMatrix::zeros(n, n))
                    })
                    .collect();
                black_box(inv);
            }))
        } else {
            None
        };
        rows.push((batch, n, auto, raw, getri, nalgebra));
    }
    let np = if with_numpy {
        numpy(if f32_mode { "float32" } else { "float64" }, pivoting)
    } else {
        vec![None; SHAPES.len()]
    };
    println!(
        "{:>14} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8}",
        "shape",
        "auto",
        "raw loop",
        "lapack",
        "nalgebra",
        "numpy",
        "np/auto",
        "raw/auto",
        "lap/auto",
        "nal/auto"
    );
    let show = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.1}"));
    let ratio = |x: Option<f64>, y: f64| x.map_or("-".to_string(), |v| format!("{:.1}x", v / y));
    for ((batch, n, auto, raw, getri, nalgebra), np) in rows.into_iter().zip(np) {
        println!(
            "{:>14} {:>9.1} {:>9.1} {:>9.1} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8}",
            format!("{batch}x{n}x{n}"),
            auto,
            raw,
            getri,
            show(nalgebra),
            show(np),
            ratio(np, auto),
            ratio(Some(raw), auto),
            ratio(Some(getri), auto),
            ratio(nalgebra, auto),
        );
    }
}
