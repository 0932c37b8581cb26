//! Time per matrix for stacks of small matrices: inv_ext (`Method::Auto`, i.e. the
//! own batched kernel), inv_ext forced onto LAPACK (`Method::Getri`: a loop of
//! getrf + getri calls, batch spread over the cores as Auto is), nalgebra (a loop
//! of `Matrix4::try_inverse` for 4×4, `DMatrix::try_inverse` otherwise) and, when
//! `python3` with NumPy is available, NumPy's `np.linalg.inv` timed right after by
//! `scripts/numpy_small.py` — so every ratio comes from one run.
//!
//! Run with `cargo run --release --example small_batch [-- --f32] [-- --no-numpy]`.
//! Each figure is the best of 5 timed runs after one warm-up.

mod common;

use common::stack;
use std::hint::black_box;
use std::process::Command;

use inv_ext::{InvExt, InvOptions, Method};
use nalgebra::{DMatrix, Matrix4};

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
fn numpy(dtype: &str) -> Vec<Option<f64>> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/numpy_small.py");
    let out = Command::new("python3")
        .args([script, "--dtype", dtype])
        .output();
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let f32_mode = args.iter().any(|a| a == "--f32");
    let with_numpy = !args.iter().any(|a| a == "--no-numpy");
    let lapack = InvOptions {
        method: Method::Getri,
        ..InvOptions::default()
    };
    println!(
        "inv_ext small batches, {}, ns per matrix, best of {REPEAT}, {} rayon threads",
        if f32_mode { "f32" } else { "f64" },
        rayon::current_num_threads()
    );
    let mut rows = Vec::new();
    for &(batch, n) in &SHAPES {
        let a = stack(batch, n);
        let (auto, getri) = if f32_mode {
            let a = a.mapv(|x| x as f32);
            (
                best_ns(batch, || drop(black_box(a.inv().unwrap()))),
                best_ns(batch, || drop(black_box(a.inv_with(&lapack).unwrap()))),
            )
        } else {
            (
                best_ns(batch, || drop(black_box(a.inv().unwrap()))),
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
        rows.push((batch, n, auto, getri, nalgebra));
    }
    let np = if with_numpy {
        numpy(if f32_mode { "float32" } else { "float64" })
    } else {
        vec![None; SHAPES.len()]
    };
    println!(
        "{:>14} {:>10} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9}",
        "shape", "auto", "lapack", "nalgebra", "numpy", "np/auto", "lap/auto", "nal/auto"
    );
    let show = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.1}"));
    let ratio = |x: Option<f64>, y: f64| x.map_or("-".to_string(), |v| format!("{:.1}x", v / y));
    for ((batch, n, auto, getri, nalgebra), np) in rows.into_iter().zip(np) {
        println!(
            "{:>14} {:>10.1} {:>10.1} {:>10} {:>10} {:>9} {:>9} {:>9}",
            format!("{batch}x{n}x{n}"),
            auto,
            getri,
            show(nalgebra),
            show(np),
            ratio(np, auto),
            ratio(Some(getri), auto),
            ratio(nalgebra, auto),
        );
    }
}
