//! The vendor benchmark's binary: times inv_ext's `inv`, the raw LAPACK routes and
//! the Rust peers on the same data, under whatever `liblapack.so.3` /
//! `libblas.so.3` the loader finds (scripts/bench-vendors switches
//! `LD_LIBRARY_PATH` between runs).
//!
//! ```text
//! vendor-bench --info              # backend_info() of the loaded vendor
//! vendor-bench --blas-library      # the file that provides dgemm_
//! vendor-bench --cases f64:256:1,f64:4:20000 --impls inv_ext,getri,getrs [--target 0.5]
//! vendor-bench --overhead --cases f64:256:1,f64:1024:1 [--target 5]
//! ```
//!
//! One TSV row per case and implementation on stdout:
//! `vendor  dtype  n  count  impl  seconds_per_matrix  gflops` (2n³ flops per
//! inverse); progress on stderr. Every time is the median of at least 3 runs after
//! one warm-up run, repeated until `--target` seconds have passed (at most 100).
//!
//! | impl | what is timed, per matrix |
//! |---|---|
//! | `inv_ext` | `a.inv()` (a new array; a stack is split over rayon's workers) |
//! | `getri` | copy into a new buffer, `?getrf`, `?getri` (workspace allocated once, outside) |
//! | `getrs` | copy into a new buffer, `?getrf`, identity into a second new buffer, `?getrs` |
//! | `ndarray-linalg` | `Inverse::inv` per matrix |
//! | `nalgebra` | `clone().try_inverse()` per `DMatrix` (`Matrix4` for 4×4) |
//! | `faer` | `partial_piv_lu().inverse()` per `Mat` (`Par::rayon(0)` for one matrix, `Par::Seq` in a batch loop) |
//!
//! The raw loops run on the calling thread, one matrix after another, as a caller
//! of LAPACK would write them.
//!
//! `--overhead` (single matrices only) answers "what does inv_ext add to the
//! vendor?" without trusting two separate medians on a noisy machine: it times
//! `inv` and the raw `getri` route in interleaved pairs (which one goes first
//! alternates), takes each pair's ratio, and prints the median ratio with its
//! quartiles, for a C-order and for an F-order input (the raw route copies either
//! one with a flat copy; inv_ext copies an F-order input into C order), for
//! `inv_into` on a clone, and for the raw getrs route against the raw getri route
//! (the measurement behind `Method::Auto`'s choice):
//! `vendor  dtype  n  pairs  what  median  q1  q3` (ratio = first / second).

use std::ffi::c_int;
use std::hint::black_box;
use std::time::Instant;

use inv_ext::InvExt;
use ndarray::{Array2, Array3, Axis, ShapeBuilder};

/// The raw LAPACK calls of the `getri` and `getrs` routes, for one element type.
trait Raw: Copy + Default + 'static {
    const ZERO: Self;
    const ONE: Self;
    fn from_f64(x: f64) -> Self;
    /// # Safety
    /// `a` holds `n*n` elements, `ipiv` `n`.
    unsafe fn getrf(n: c_int, a: *mut Self, ipiv: *mut c_int) -> c_int;
    /// # Safety
    /// `a` holds `n*n` elements, `ipiv` `n`, `work` `lwork`.
    unsafe fn getri(
        n: c_int,
        a: *mut Self,
        ipiv: *const c_int,
        work: *mut Self,
        lwork: c_int,
    ) -> c_int;
    /// # Safety
    /// `lu` holds `n*n` elements, `ipiv` `n`, `b` `n*n`.
    unsafe fn getrs(n: c_int, lu: *const Self, ipiv: *const c_int, b: *mut Self) -> c_int;
    fn to_usize(self) -> usize;
}

macro_rules! impl_raw {
    ($t:ty, $getrf:ident, $getri:ident, $getrs:ident) => {
        impl Raw for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            unsafe fn getrf(n: c_int, a: *mut Self, ipiv: *mut c_int) -> c_int {
                let mut info = 0;
                // SAFETY: sizes guaranteed by the caller; lda = n.
                unsafe { lapack_sys::$getrf(&n, &n, a, &n, ipiv, &mut info) };
                info
            }
            unsafe fn getri(
                n: c_int,
                a: *mut Self,
                ipiv: *const c_int,
                work: *mut Self,
                lwork: c_int,
            ) -> c_int {
                let mut info = 0;
                // SAFETY: sizes guaranteed by the caller; lda = n.
                unsafe { lapack_sys::$getri(&n, a, &n, ipiv, work, &lwork, &mut info) };
                info
            }
            unsafe fn getrs(n: c_int, lu: *const Self, ipiv: *const c_int, b: *mut Self) -> c_int {
                let mut info = 0;
                let trans = b'N' as std::ffi::c_char;
                // SAFETY: sizes guaranteed by the caller; lda = ldb = n, nrhs = n.
                unsafe { lapack_sys::$getrs(&trans, &n, &n, lu, &n, ipiv, b, &n, &mut info) };
                info
            }
            fn to_usize(self) -> usize {
                self as usize
            }
        }
    };
}
impl_raw!(f64, dgetrf_, dgetri_, dgetrs_);
impl_raw!(f32, sgetrf_, sgetri_, sgetrs_);

/// `getri`'s optimal workspace length for order `n`.
fn getri_lwork<T: Raw>(n: usize) -> usize {
    let ni = c_int::try_from(n).expect("n fits LAPACK's int");
    let mut query = T::ZERO;
    let mut a = T::ZERO;
    let ipiv: c_int = 1;
    // SAFETY: lwork = -1 is a workspace query: only `query` is written.
    let info = unsafe { T::getri(ni, &mut a, &ipiv, &mut query, -1) };
    assert_eq!(info, 0, "getri workspace query failed");
    query.to_usize().max(n).max(1)
}

/// The `getri` route on one C-order matrix: a new buffer, getrf, getri.
fn raw_getri<T: Raw>(a: &[T], n: usize, ipiv: &mut [c_int], work: &mut [T]) -> Vec<T> {
    let mut out = a.to_vec();
    let ni = c_int::try_from(n).expect("n fits LAPACK's int");
    let lwork = c_int::try_from(work.len()).expect("lwork fits LAPACK's int");
    // SAFETY: out holds n*n, ipiv n, work lwork elements.
    unsafe {
        assert_eq!(T::getrf(ni, out.as_mut_ptr(), ipiv.as_mut_ptr()), 0);
        assert_eq!(
            T::getri(
                ni,
                out.as_mut_ptr(),
                ipiv.as_ptr(),
                work.as_mut_ptr(),
                lwork
            ),
            0
        );
    }
    out
}

/// The `getrs` route on one C-order matrix: LU in a new buffer, the identity in
/// the output, getrs.
fn raw_getrs<T: Raw>(a: &[T], n: usize, ipiv: &mut [c_int]) -> Vec<T> {
    let mut lu = a.to_vec();
    let mut out = vec![T::ZERO; n * n];
    for d in out.iter_mut().step_by(n + 1) {
        *d = T::ONE;
    }
    let ni = c_int::try_from(n).expect("n fits LAPACK's int");
    // SAFETY: lu and out hold n*n, ipiv n elements.
    unsafe {
        assert_eq!(T::getrf(ni, lu.as_mut_ptr(), ipiv.as_mut_ptr()), 0);
        assert_eq!(
            T::getrs(ni, lu.as_ptr(), ipiv.as_ptr(), out.as_mut_ptr()),
            0
        );
    }
    out
}

/// splitmix64: the same seeded data on every run and vendor.
struct Rng(u64);
impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

/// `count` C-order matrices of order `n`: uniform [-1, 1) plus `n` on the diagonal
/// (well conditioned; the same family as scripts/numpy_inv.py).
fn data<T: Raw>(n: usize, count: usize) -> Vec<T> {
    let mut rng = Rng(7);
    (0..count * n * n)
        .map(|k| {
            let (i, j) = ((k / n) % n, k % n);
            T::from_f64(rng.uniform() + if i == j { n as f64 } else { 0.0 })
        })
        .collect()
}

/// Median seconds of `f` over at least 3 runs after a warm-up, until `target`.
fn median_time(target: f64, mut f: impl FnMut()) -> f64 {
    f();
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < 3 || (start.elapsed().as_secs_f64() < target && samples.len() < 100) {
        let t = Instant::now();
        f();
        samples.push(t.elapsed().as_secs_f64());
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Ratios `inv / raw` from interleaved pairs until `target` seconds (at least
/// 11 pairs, at most 400): (pairs, median, first quartile, third quartile).
fn pair_ratios(
    target: f64,
    mut inv: impl FnMut(),
    mut raw: impl FnMut(),
) -> (usize, f64, f64, f64) {
    inv();
    raw();
    let mut ratios = Vec::new();
    let start = Instant::now();
    while ratios.len() < 11 || (start.elapsed().as_secs_f64() < target && ratios.len() < 400) {
        let time = |f: &mut dyn FnMut()| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        };
        let (a, b) = if ratios.len() % 2 == 0 {
            let a = time(&mut inv);
            (a, time(&mut raw))
        } else {
            let b = time(&mut raw);
            (time(&mut inv), b)
        };
        ratios.push(a / b);
    }
    ratios.sort_by(f64::total_cmp);
    let q = |f: f64| ratios[((ratios.len() - 1) as f64 * f).round() as usize];
    (ratios.len(), q(0.5), q(0.25), q(0.75))
}

macro_rules! overhead_case {
    ($t:ty, $case:expr, $target:expr, $vendor:expr) => {{
        let n = $case.n;
        let flat: Vec<$t> = data::<$t>(n, 1);
        let c_order = Array2::from_shape_vec((n, n), flat.clone()).unwrap();
        let f_order = Array2::from_shape_vec((n, n).f(), flat.clone()).unwrap();
        let mut ipiv = vec![0; n];
        let mut work = vec![<$t>::ZERO; getri_lwork::<$t>(n)];
        {
            // The two raw routes against each other: which one should `Method::Auto`
            // take on this vendor at this size?
            eprintln!(
                "  {} {} n={} routes, getrs / getri",
                $vendor, $case.dtype, n
            );
            let mut ipiv2 = vec![0; n];
            let (pairs, median, q1, q3) = pair_ratios(
                $target,
                || {
                    black_box(raw_getrs(&flat, n, &mut ipiv2));
                },
                || {
                    black_box(raw_getri(&flat, n, &mut ipiv, &mut work));
                },
            );
            println!(
                "{}\t{}\t{}\t{}\t{}\t{:.4}\t{:.4}\t{:.4}",
                $vendor, $case.dtype, n, pairs, "raw getrs/getri", median, q1, q3
            );
        }
        for (layout, a) in [("C", &c_order), ("F", &f_order), ("C inv_into", &c_order)] {
            eprintln!("  {} {} n={} overhead, {}", $vendor, $case.dtype, n, layout);
            let into = layout.ends_with("inv_into");
            let (pairs, median, q1, q3) = pair_ratios(
                $target,
                || {
                    if into {
                        black_box(a.clone().inv_into().unwrap());
                    } else {
                        black_box(a.inv().unwrap());
                    }
                },
                || {
                    black_box(raw_getri(&flat, n, &mut ipiv, &mut work));
                },
            );
            println!(
                "{}\t{}\t{}\t{}\t{}\t{:.4}\t{:.4}\t{:.4}",
                $vendor, $case.dtype, n, pairs, layout, median, q1, q3
            );
        }
    }};
}

struct Case {
    dtype: String,
    n: usize,
    count: usize,
}

macro_rules! run_case {
    ($t:ty, $case:expr, $impls:expr, $target:expr, $vendor:expr) => {{
        let (n, count) = ($case.n, $case.count);
        let flat: Vec<$t> = data::<$t>(n, count);
        let stack = Array3::from_shape_vec((count, n, n), flat.clone()).unwrap();
        let single: Array2<$t> = stack.index_axis(Axis(0), 0).to_owned();
        for imp in $impls {
            eprintln!("  {} {} n={} x{}: {}", $vendor, $case.dtype, n, count, imp);
            let secs = match imp.as_str() {
                "inv_ext" if count == 1 => median_time($target, || {
                    black_box(single.inv().unwrap());
                }),
                "inv_ext" => median_time($target, || {
                    black_box(stack.inv().unwrap());
                }),
                "getri" => {
                    let mut ipiv = vec![0; n];
                    let mut work = vec![<$t>::ZERO; getri_lwork::<$t>(n)];
                    median_time($target, || {
                        for a in flat.chunks_exact(n * n) {
                            black_box(raw_getri(a, n, &mut ipiv, &mut work));
                        }
                    })
                }
                "getrs" => {
                    let mut ipiv = vec![0; n];
                    median_time($target, || {
                        for a in flat.chunks_exact(n * n) {
                            black_box(raw_getrs(a, n, &mut ipiv));
                        }
                    })
                }
                "ndarray-linalg" => median_time($target, || {
                    for a in stack.outer_iter() {
                        black_box(ndarray_linalg::Inverse::inv(&*a).unwrap());
                    }
                }),
                #[cfg(feature = "peers")]
                "nalgebra" if n == 4 => {
                    let ms: Vec<nalgebra::Matrix4<$t>> = flat
                        .chunks_exact(16)
                        .map(nalgebra::Matrix4::from_row_slice)
                        .collect();
                    median_time($target, || {
                        for m in &ms {
                            black_box(m.try_inverse().unwrap());
                        }
                    })
                }
                #[cfg(feature = "peers")]
                "nalgebra" => {
                    let ms: Vec<nalgebra::DMatrix<$t>> = flat
                        .chunks_exact(n * n)
                        .map(|a| nalgebra::DMatrix::from_row_slice(n, n, a))
                        .collect();
                    median_time($target, || {
                        for m in &ms {
                            black_box(m.clone().try_inverse().unwrap());
                        }
                    })
                }
                #[cfg(feature = "peers")]
                "faer" => {
                    use faer::linalg::solvers::DenseSolveCore;
                    // One matrix: faer's default (rayon over all cores). A batch: one
                    // thread per matrix, as a caller looping over small matrices would
                    // (rayon per 4x4 costs ~1000x).
                    faer::set_global_parallelism(if count == 1 {
                        faer::Par::rayon(0)
                    } else {
                        faer::Par::Seq
                    });
                    let ms: Vec<faer::Mat<$t>> = flat
                        .chunks_exact(n * n)
                        .map(|a| faer::Mat::from_fn(n, n, |i, j| a[i * n + j]))
                        .collect();
                    median_time($target, || {
                        for m in &ms {
                            black_box(m.partial_piv_lu().inverse());
                        }
                    })
                }
                other => {
                    eprintln!("  (skipped: {other} is not built in)");
                    continue;
                }
            };
            let per = secs / count as f64;
            let gflops = 2.0 * (n as f64).powi(3) / per / 1e9;
            let name = match imp.as_str() {
                "inv_ext" => "inv_ext inv",
                "getri" => "raw getrf+getri",
                "getrs" => "raw getrf+getrs(I)",
                "ndarray-linalg" => "ndarray-linalg inv",
                "nalgebra" if n == 4 => "nalgebra try_inverse (Matrix4)",
                "nalgebra" => "nalgebra try_inverse (DMatrix)",
                "faer" => "faer partial_piv_lu().inverse()",
                other => other,
            };
            println!(
                "{}\t{}\t{}\t{}\t{}\t{:.6e}\t{:.3}",
                $vendor, $case.dtype, n, count, name, per, gflops
            );
        }
    }};
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let info = inv_ext::backend_info();
    if args.iter().any(|a| a == "--info") {
        println!("{info}");
        return;
    }
    if args.iter().any(|a| a == "--blas-library") {
        if let Some(p) = &info.blas_library {
            println!("{}", p.display());
        }
        return;
    }
    let vendor = value("--vendor").unwrap_or_else(|| info.to_string());
    let target: f64 = value("--target").map_or(0.5, |t| t.parse().expect("--target SECONDS"));
    let impls: Vec<String> = value("--impls")
        .unwrap_or_else(|| "inv_ext,getri,getrs".into())
        .split(',')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let cases: Vec<Case> = value("--cases")
        .unwrap_or_else(|| "f64:256:1".into())
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|c| {
            let parts: Vec<&str> = c.split(':').collect();
            assert_eq!(parts.len(), 3, "a case is dtype:n:count, got {c}");
            Case {
                dtype: parts[0].into(),
                n: parts[1].parse().expect("n"),
                count: parts[2].parse().expect("count"),
            }
        })
        .collect();
    eprintln!("vendor-bench: {info}");
    if args.iter().any(|a| a == "--overhead") {
        for case in &cases {
            match case.dtype.as_str() {
                "f64" => overhead_case!(f64, case, target, vendor),
                "f32" => overhead_case!(f32, case, target, vendor),
                other => panic!("dtype {other}: f64 or f32"),
            }
        }
        return;
    }
    for case in &cases {
        match case.dtype.as_str() {
            "f64" => run_case!(f64, case, &impls, target, vendor),
            "f32" => run_case!(f32, case, &impls, target, vendor),
            other => panic!("dtype {other}: f64 or f32"),
        }
    }
}
