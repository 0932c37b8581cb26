//! `solve` (getrf + getrs) beside `inv(a)·b`, the habit it replaces, and beside
//! ndarray-linalg's `solve`, on the same data.
//!
//! `cargo bench --bench solve`. Groups: `solve` (one matrix; one right-hand side
//! vector, or n of them) and `solve_batched` (a stack of small systems).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use inv_ext::InvExt;
use ndarray::{Array1, Array2, Array3, Axis, Zip};

/// Seeded values in [-1, 1), plus `diag` on the diagonal of each n×n block.
fn values(len: usize, n: usize, diag: f64, seed: u64) -> Vec<f64> {
    let mut state = seed;
    (0..len)
        .map(|k| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
            let (i, j) = ((k / n) % n, k % n);
            u + if i == j { diag } else { 0.0 }
        })
        .collect()
}

fn group_settings(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
}

/// One system of order n: a vector right-hand side, and an n×n one.
fn solve_single(c: &mut Criterion) {
    let mut group = c.benchmark_group("solve");
    group_settings(&mut group);
    group.throughput(Throughput::Elements(1));
    for n in [8usize, 64, 256, 1024] {
        let a = Array2::from_shape_vec((n, n), values(n * n, n, n as f64, 3)).unwrap();
        let b1 = Array1::from_vec(values(n, usize::MAX, 0.0, 5));
        let bn = Array2::from_shape_vec((n, n), values(n * n, usize::MAX, 0.0, 9)).unwrap();

        let id = format!("n={n}/rhs=1");
        group.bench_with_input(BenchmarkId::new("inv_ext solve", &id), &b1, |bch, b| {
            bch.iter(|| black_box(a.solve(b).unwrap()))
        });
        group.bench_with_input(BenchmarkId::new("inv_ext inv(a)·b", &id), &b1, |bch, b| {
            bch.iter(|| black_box(a.inv().unwrap().dot(b)))
        });
        group.bench_with_input(
            BenchmarkId::new("ndarray-linalg solve", &id),
            &b1,
            |bch, b| bch.iter(|| black_box(ndarray_linalg::Solve::solve(&*a, b).unwrap())),
        );

        let id = format!("n={n}/rhs={n}");
        group.bench_with_input(BenchmarkId::new("inv_ext solve", &id), &bn, |bch, b| {
            bch.iter(|| black_box(a.solve(b).unwrap()))
        });
        group.bench_with_input(BenchmarkId::new("inv_ext inv(a)·b", &id), &bn, |bch, b| {
            bch.iter(|| black_box(a.inv().unwrap().dot(b)))
        });
    }
    group.finish();
}

/// A stack of small systems, one right-hand side column each.
fn solve_batched(c: &mut Criterion) {
    let mut group = c.benchmark_group("solve_batched");
    group_settings(&mut group);
    for (count, n) in [(10_000usize, 4usize), (2_000, 16), (200, 64)] {
        let a =
            Array3::from_shape_vec((count, n, n), values(count * n * n, n, n as f64, 11)).unwrap();
        let b =
            Array3::from_shape_vec((count, n, 1), values(count * n, usize::MAX, 0.0, 13)).unwrap();
        let id = format!("{count}x{n}x{n}");
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(BenchmarkId::new("inv_ext solve", &id), &b, |bch, b| {
            bch.iter(|| black_box(a.solve(b).unwrap()))
        });
        group.bench_with_input(BenchmarkId::new("inv_ext inv(a)·b", &id), &b, |bch, b| {
            bch.iter(|| {
                let ai = a.inv().unwrap();
                let mut x = Array3::<f64>::zeros((count, n, 1));
                Zip::from(x.axis_iter_mut(Axis(0)))
                    .and(ai.axis_iter(Axis(0)))
                    .and(b.axis_iter(Axis(0)))
                    .for_each(|mut x, ai, b| x.assign(&ai.dot(&b)));
                black_box(x)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, solve_single, solve_batched);
criterion_main!(benches);
