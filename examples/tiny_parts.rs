//! Where the time of `inv()` goes on stacks of tiny matrices (issue 6): the whole
//! call beside its pieces, in ns per matrix, each the best of `REPEAT` runs.
//!
//! - `inv`: `a.inv()` (fresh output, both cores).
//! - `alloc+touch`: a fresh zeroed output of the same size written once over
//!   both cores (allocation and first-touch page faults, no arithmetic).
//! - `copy`: the input copied into a pre-faulted buffer over both cores (memory
//!   traffic of one read and one write pass).
//! - `in place`: `inv_into` on a pre-made copy (no allocation, no fault; the
//!   finite check as a separate pass).
//! - `kernel L2`: `inv` one thread on a stack of 4096 matrices, repeated: mostly
//!   the arithmetic (per core; halve it for two cores), plus each call's own
//!   allocation.
//! - `inv f32`: `a.inv()` on the same stack as f32.
//!
//! Run with `cargo run --release --example tiny_parts [-- N BATCH]`. Modes (by
//! environment variable):
//! - `CPU=1`: `inv` alone, f64 and f32, as CPU time of the calling thread per
//!   matrix (Linux: `/proc/thread-self/stat`), over about 2 s each; with
//!   `RAYON_NUM_THREADS=1` the work stays on that thread. For A/B runs on a
//!   machine other jobs share: time slices they take do not count (their cache
//!   and memory traffic still does).
//! - `ONLY_INV=1`: `inv` alone for about 3 s per shape, for a profiler
//!   (`perf record`).
//! - `REPS=k`: best of `k` runs instead of 7.

mod common;

use common::stack;
use std::hint::black_box;
use std::time::Instant;

use inv_ext::{InvExt, InvOptions, Threads};
use ndarray::Axis;
use rayon::prelude::*;

const REPEAT: usize = 7;

/// Best of `REPS` (default `REPEAT`) runs, in ns per matrix.
fn best_ns(batch: usize, f: impl FnMut()) -> f64 {
    let repeat = std::env::var("REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(REPEAT);
    common::best_ns(batch, repeat, f)
}

/// This thread's user + system CPU time in seconds (clock ticks of 10 ms).
fn thread_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    (f[11] + f[12]) / 100.0
}

/// CPU ns per matrix of `f`, over about 2 s of this thread's CPU time.
fn cpu_ns(batch: usize, mut f: impl FnMut()) -> f64 {
    f();
    let t0 = thread_cpu();
    let mut calls = 0;
    while thread_cpu() - t0 < 2.0 {
        f();
        calls += 1;
    }
    (thread_cpu() - t0) / (calls * batch) as f64 * 1e9
}

fn main() {
    common::settle_vendor_threads();
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let shapes: Vec<(usize, usize)> = if args.len() >= 2 {
        vec![(args[1], args[0])]
    } else {
        vec![
            (200_000, 2),
            (200_000, 3),
            (200_000, 4),
            (1_000_000, 4),
            (100_000, 8),
        ]
    };
    println!(
        "{:>14} {:>8} {:>11} {:>8} {:>9} {:>10} {:>9}",
        "shape", "inv", "alloc+touch", "copy", "in place", "kernel L2", "inv f32"
    );
    for (batch, n) in shapes {
        let a = stack(batch, n);
        let len = a.len();
        if std::env::var_os("ONLY_INV").is_some() {
            // For profilers: `inv` alone, for about three seconds.
            let t = Instant::now();
            while t.elapsed().as_secs_f64() < 3.0 {
                black_box(a.inv().unwrap());
            }
            continue;
        }
        if std::env::var_os("CPU").is_some() {
            // A/B runs on a busy machine: CPU time of the calling thread (run with
            // RAYON_NUM_THREADS=1 so that the work stays on it), which time slices
            // given to other processes do not inflate.
            let af = a.mapv(|x| x as f32);
            let f64t = cpu_ns(batch, || drop(black_box(a.inv().unwrap())));
            let f32t = cpu_ns(batch, || drop(black_box(af.inv().unwrap())));
            println!("{:>14} {f64t:>8.2} {f32t:>9.2}", format!("{batch}x{n}x{n}"));
            continue;
        }
        let inv = best_ns(batch, || drop(black_box(a.inv().unwrap())));
        let touch = best_ns(batch, || {
            let mut v = vec![0.0f64; len];
            v.par_chunks_mut(len.div_ceil(8).max(1))
                .for_each(|c| c.fill(1.0));
            black_box(v);
        });
        let src = a.as_slice().unwrap();
        let mut dst = vec![0.0f64; len];
        let copy = best_ns(batch, || {
            dst.par_chunks_mut(len.div_ceil(8).max(1))
                .zip(src.par_chunks(len.div_ceil(8).max(1)))
                .for_each(|(d, s)| d.copy_from_slice(s));
            black_box(&dst);
        });
        let mut inplace = f64::INFINITY;
        for _ in 0..REPEAT {
            let c = a.clone();
            let t = Instant::now();
            black_box(c.inv_into().unwrap());
            inplace = inplace.min(t.elapsed().as_secs_f64() / batch as f64 * 1e9);
        }
        let small = a
            .slice_axis(Axis(0), ndarray::Slice::from(0..4096.min(batch)))
            .to_owned();
        let seq = InvOptions {
            threads: Threads::Sequential,
            ..InvOptions::default()
        };
        let reps = 20;
        let kernel = best_ns(small.len_of(Axis(0)) * reps, || {
            for _ in 0..reps {
                black_box(small.inv_with(&seq).unwrap());
            }
        });
        let af = a.mapv(|x| x as f32);
        let f32t = best_ns(batch, || drop(black_box(af.inv().unwrap())));
        println!(
            "{:>14} {:>8.1} {:>11.1} {:>8.1} {:>9.1} {:>10.1} {:>9.1}",
            format!("{batch}x{n}x{n}"),
            inv,
            touch,
            copy,
            inplace,
            kernel,
            f32t
        );
    }
}
