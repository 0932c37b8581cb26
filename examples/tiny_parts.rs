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
//! - `PIVOTING=1`: general matrices (uniform in [-1, 1), rows interchanged at
//!   most steps) instead of diagonally dominant ones.
//! - `FAULTS=1`: `inv` alone, `REPS` runs, one line each: wall time, the
//!   process's user and system CPU time (all threads), and the page faults the
//!   run took (2 MiB huge pages, and the rest), all per matrix except the faults.
//!   What the first touch of a fresh output costs, run by run (Unix; the huge-page
//!   count needs Linux).

mod common;

use common::{general_stack, stack};
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

/// The process's user and system CPU seconds (all its threads) and the page
/// faults it has taken that needed no I/O.
#[cfg(unix)]
fn process_usage() -> (f64, f64, i64) {
    // SAFETY: `getrusage` only writes the `rusage` it is given, which is plain
    // data for which all-zero bytes are a valid value.
    let r = unsafe {
        let mut r: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut r);
        r
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    (secs(r.ru_utime), secs(r.ru_stime), r.ru_minflt as i64)
}

/// 2 MiB transparent huge pages faulted in so far, machine-wide (Linux only;
/// `None` where the kernel does not say). Each also counts as one fault in
/// [`process_usage`].
fn huge_page_faults() -> Option<i64> {
    let mthp = "/sys/kernel/mm/transparent_hugepage/hugepages-2048kB/stats/anon_fault_alloc";
    if let Ok(s) = std::fs::read_to_string(mthp) {
        return s.trim().parse().ok();
    }
    let vmstat = std::fs::read_to_string("/proc/vmstat").ok()?;
    vmstat
        .lines()
        .find_map(|l| l.strip_prefix("thp_fault_alloc "))
        .and_then(|v| v.trim().parse().ok())
}

/// `FAULTS=1`: each run of `a.inv()` on a line of its own, with the CPU time
/// and the page faults it took.
#[cfg(unix)]
fn faults_per_run(a: &ndarray::Array3<f64>, runs: usize) {
    let batch = a.len_of(Axis(0)) as f64;
    black_box(a.inv().unwrap());
    for run in 1..=runs {
        let (u0, s0, f0) = process_usage();
        let h0 = huge_page_faults();
        let t = Instant::now();
        black_box(a.inv().unwrap());
        let wall = t.elapsed().as_secs_f64();
        let (u1, s1, f1) = process_usage();
        let huge = h0.zip(huge_page_faults()).map(|(h0, h1)| h1 - h0);
        let per = |s: f64| s / batch * 1e9;
        println!(
            "  run {run}: {:6.1} ns wall, CPU {:6.1} user + {:6.1} system ns, faults: {} huge, {} other",
            per(wall),
            per(u1 - u0),
            per(s1 - s0),
            huge.map_or("?".to_string(), |h| h.to_string()),
            huge.map_or((f1 - f0).to_string(), |h| (f1 - f0 - h).to_string()),
        );
    }
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
    let table = ["ONLY_INV", "CPU", "FAULTS"]
        .iter()
        .all(|v| std::env::var_os(v).is_none());
    if table {
        println!(
            "{:>14} {:>8} {:>11} {:>8} {:>9} {:>10} {:>9}",
            "shape", "inv", "alloc+touch", "copy", "in place", "kernel L2", "inv f32"
        );
    }
    for (batch, n) in shapes {
        let a = if std::env::var_os("PIVOTING").is_some() {
            general_stack(batch, n)
        } else {
            stack(batch, n)
        };
        let len = a.len();
        if std::env::var_os("ONLY_INV").is_some() {
            // For profilers: `inv` alone, for about three seconds.
            let t = Instant::now();
            while t.elapsed().as_secs_f64() < 3.0 {
                black_box(a.inv().unwrap());
            }
            continue;
        }
        if std::env::var_os("FAULTS").is_some() {
            println!("{:>14}", format!("{batch}x{n}x{n}"));
            #[cfg(unix)]
            faults_per_run(
                &a,
                std::env::var("REPS")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(REPEAT),
            );
            #[cfg(not(unix))]
            println!("  FAULTS=1 needs a Unix system");
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
