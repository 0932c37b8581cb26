//! Stacks of small matrices: inv_ext's own batched kernel (`Method::Auto`) against
//! the LAPACK path forced (`Method::Getri`: a loop of OpenBLAS getrf + getri calls,
//! spread over the cores the same way) and nalgebra's loop (`Matrix4::try_inverse`
//! for 4×4, `DMatrix::try_inverse` up to 16×16), side by side per shape.
//!
//! NumPy cannot run here: `cargo run --release --example small_batch` prints the
//! same shapes with NumPy's times from the same run (scripts/numpy_small.py).
//!
//! Run: `cargo bench --bench small` (add `-- 4x4` to pick shapes).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use inv_ext::{InvExt, InvOptions, Method};
use nalgebra::{DMatrix, Matrix4};
use ndarray::Array3;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// (batch, n) of issue 6, f64.
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

/// (batch, n) also timed in f32.
const SHAPES_F32: [(usize, usize); 3] = [(200_000, 4), (100_000, 8), (20_000, 16)];

/// Uniform in [-1, 1) plus n on the diagonal (well conditioned), seeded.
fn stack(batch: usize, n: usize) -> Array3<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(n as u64);
    Array3::from_shape_fn((batch, n, n), |(_, i, j)| {
        rng.gen_range(-1.0..1.0) + if i == j { n as f64 } else { 0.0 }
    })
}

fn lapack() -> InvOptions {
    InvOptions {
        method: Method::Getri,
        ..InvOptions::default()
    }
}

fn small_f64(c: &mut Criterion) {
    let mut g = c.benchmark_group("inv_small_f64");
    g.sample_size(10);
    for (batch, n) in SHAPES {
        let id = format!("{batch}x{n}x{n}");
        let a = stack(batch, n);
        g.throughput(Throughput::Elements(batch as u64));
        g.bench_with_input(BenchmarkId::new("inv_ext", &id), &a, |b, a| {
            b.iter(|| black_box(a.inv().unwrap()))
        });
        g.bench_with_input(BenchmarkId::new("lapack_getri", &id), &a, |b, a| {
            b.iter(|| black_box(a.inv_with(&lapack()).unwrap()))
        });
        if n == 4 {
            let ms: Vec<Matrix4<f64>> = a
                .outer_iter()
                .map(|m| Matrix4::from_fn(|i, j| m[[i, j]]))
                .collect();
            g.bench_with_input(BenchmarkId::new("nalgebra_matrix4", &id), &ms, |b, ms| {
                b.iter(|| {
                    let inv: Vec<Matrix4<f64>> = ms
                        .iter()
                        .map(|m| m.try_inverse().unwrap_or_else(Matrix4::zeros))
                        .collect();
                    black_box(inv)
                })
            });
        } else if n <= 16 {
            let ms: Vec<DMatrix<f64>> = a
                .outer_iter()
                .map(|m| DMatrix::from_fn(n, n, |i, j| m[[i, j]]))
                .collect();
            g.bench_with_input(BenchmarkId::new("nalgebra_dmatrix", &id), &ms, |b, ms| {
                b.iter(|| {
                    let inv: Vec<DMatrix<f64>> = ms
                        .iter()
                        .map(|m| {
                            m.clone()
                                .try_inverse()
                                .unwrap_or_else(|| DMatrix::zeros(n, n))
                        })
                        .collect();
                    black_box(inv)
                })
            });
        }
    }
    g.finish();
}

fn small_f32(c: &mut Criterion) {
    let mut g = c.benchmark_group("inv_small_f32");
    g.sample_size(10);
    for (batch, n) in SHAPES_F32 {
        let id = format!("{batch}x{n}x{n}");
        let a = stack(batch, n).mapv(|x| x as f32);
        g.throughput(Throughput::Elements(batch as u64));
        g.bench_with_input(BenchmarkId::new("inv_ext", &id), &a, |b, a| {
            b.iter(|| black_box(a.inv().unwrap()))
        });
        g.bench_with_input(BenchmarkId::new("lapack_getri", &id), &a, |b, a| {
            b.iter(|| black_box(a.inv_with(&lapack()).unwrap()))
        });
    }
    g.finish();
}

criterion_group!(benches, small_f64, small_f32);
criterion_main!(benches);
