//! `inv` beside the raw LAPACK getrf + getri call on the same data (with the copy
//! any caller must make, since LAPACK overwrites its input) and beside
//! ndarray-linalg, so the overhead ratio is read in one report.
//!
//! `cargo bench --bench inv` (any backend feature: the raw calls go to the same
//! library). Groups: `inv` (one matrix, C and F layout) and `inv_batched` (stacks;
//! inv_ext splits them over threads, the raw and ndarray-linalg loops run on one).

use std::hint::black_box;
use std::os::raw::c_int;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use inv_ext::InvExt;
use ndarray::{Array2, Array3, ShapeBuilder};

/// Seeded, well-conditioned matrices: uniform [-1, 1) plus `n` on the diagonal.
fn matrix_data(n: usize, count: usize, seed: u64) -> Vec<f64> {
    let mut state = seed;
    (0..count * n * n)
        .map(|k| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
            let (i, j) = ((k / n) % n, k % n);
            u + if i == j { n as f64 } else { 0.0 }
        })
        .collect()
}

/// The raw route a LAPACK caller writes: copy into a new buffer, dgetrf, dgetri.
/// `ipiv` and `work` are allocated once by the caller (the best case for raw).
/// The buffer is read as column-major, which for a C-order input is `Aᵀ`, and
/// `inv(Aᵀ) = inv(A)ᵀ`: the same work either way.
fn raw_getri(a: &[f64], n: usize, ipiv: &mut [c_int], work: &mut [f64]) -> Vec<f64> {
    let mut out = a.to_vec();
    let ni = c_int::try_from(n).unwrap();
    let lwork = c_int::try_from(work.len()).unwrap();
    assert!(out.len() == n * n && ipiv.len() >= n && work.len() >= n.max(1));
    let mut info = 0;
    // SAFETY: `out` holds n*n elements (lda = n), `ipiv` n entries, `work` lwork
    // elements, all checked above; distinct buffers.
    unsafe {
        lapack_sys::dgetrf_(
            &ni,
            &ni,
            out.as_mut_ptr(),
            &ni,
            ipiv.as_mut_ptr(),
            &mut info,
        );
        assert_eq!(info, 0);
        lapack_sys::dgetri_(
            &ni,
            out.as_mut_ptr(),
            &ni,
            ipiv.as_ptr(),
            work.as_mut_ptr(),
            &lwork,
            &mut info,
        );
    }
    assert_eq!(info, 0);
    out
}

/// dgetri's optimal workspace length (a workspace query).
fn getri_lwork(n: usize) -> usize {
    let ni = c_int::try_from(n).unwrap();
    let (mut a, mut query, ipiv, lwork, mut info) = (0.0, 0.0, 1, -1, 0);
    // SAFETY: lwork = -1 is a workspace query: only `query` is written.
    unsafe { lapack_sys::dgetri_(&ni, &mut a, &ni, &ipiv, &mut query, &lwork, &mut info) };
    assert_eq!(info, 0);
    (query as usize).max(n).max(1)
}

/// ndarray-linalg's `inv` (its trait method shares `inv`'s name).
fn linalg_inv(a: &ndarray::ArrayRef<f64, ndarray::Ix2>) -> Array2<f64> {
    ndarray_linalg::Inverse::inv(a).unwrap()
}

/// One matrix of order n, C and F layout.
fn inv_single(c: &mut Criterion) {
    let mut group = c.benchmark_group("inv");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements(1));
    for n in [8usize, 64, 256, 1024] {
        let data = matrix_data(n, 1, 42);
        let c_order = Array2::from_shape_vec((n, n), data.clone()).unwrap();
        let f_order = Array2::from_shape_vec((n, n).f(), data.clone()).unwrap();
        let mut ipiv = vec![0; n];
        let mut work = vec![0.0; getri_lwork(n)];
        for (layout, a) in [("C", &c_order), ("F", &f_order)] {
            let id = format!("n={n}/{layout}");
            group.bench_with_input(BenchmarkId::new("inv_ext", &id), a, |b, a| {
                b.iter(|| black_box(a.inv().unwrap()))
            });
            group.bench_with_input(BenchmarkId::new("ndarray-linalg", &id), a, |b, a| {
                b.iter(|| black_box(linalg_inv(a)))
            });
        }
        // The raw call works on the buffer as stored, whatever its layout.
        group.bench_with_input(
            BenchmarkId::new("raw getrf+getri", format!("n={n}")),
            &data,
            |b, data| b.iter(|| black_box(raw_getri(data, n, &mut ipiv, &mut work))),
        );
    }
    group.finish();
}

/// Stacks of small matrices.
fn inv_batched(c: &mut Criterion) {
    let mut group = c.benchmark_group("inv_batched");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (count, n) in [(10_000usize, 4usize), (2_000, 16), (200, 64)] {
        let data = matrix_data(n, count, 7);
        let stack = Array3::from_shape_vec((count, n, n), data.clone()).unwrap();
        let mut ipiv = vec![0; n];
        let mut work = vec![0.0; getri_lwork(n)];
        let id = format!("{count}x{n}x{n}");
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(BenchmarkId::new("inv_ext", &id), &stack, |b, s| {
            b.iter(|| black_box(s.inv().unwrap()))
        });
        group.bench_with_input(
            BenchmarkId::new("raw getrf+getri loop", &id),
            &data,
            |b, d| {
                b.iter(|| {
                    for a in d.chunks_exact(n * n) {
                        black_box(raw_getri(a, n, &mut ipiv, &mut work));
                    }
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("ndarray-linalg loop", &id),
            &stack,
            |b, s| {
                b.iter(|| {
                    for a in s.outer_iter() {
                        black_box(linalg_inv(&a));
                    }
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, inv_single, inv_batched);
criterion_main!(benches);
