//! Runs a vectorisable job with the widest instruction set the CPU has, chosen at
//! run time: the job's portable code is compiled a second time inside a
//! `#[target_feature(enable = "avx2")]` function (so the auto-vectoriser uses
//! 256-bit registers) and that copy is called only when the CPU has AVX2.
//!
//! The AVX2 copy of a [`Vectorised`] job knows it is one (`run::<true>`), so it
//! may call the explicit AVX helpers here: 4×4 transposes that move four or
//! eight `f64` matrices into and out of lanes ([`gather_f64x4`],
//! [`scatter_f64x4`], [`gather_f64x8`], [`scatter_f64x8`]), and for either
//! type ([`Transposed`]: `f64` by 4×4, `f32` by 8×8) the same moves in
//! segments, for padded columns ([`gather_segments`], [`scatter_segments`]).
//!
//! AVX-512 (`avx512f` + `avx512vl`: 32 vector registers, 512-bit operations) is
//! used only by the jobs that measured faster with it ([`run_fused_wide`]: the
//! blocked kernel, whose `f64` register tiles and pivot rows are also
//! explicit AVX-512 code, [`panel_tile_f64x16`] and
//! [`panel_pivot_rows_f64x8`]; the lane kernels measured slower with it), and
//! only when the compiler can enable it: `#[target_feature(enable = "avx512f")]`
//! is stable since Rust 1.89, above this crate's `rust-version`, so `build.rs`
//! sets `cfg(inv_ext_avx512)` on newer compilers and older ones build without it.

/// A job whose [`run`](Vectorised::run) (and everything it calls) is
/// `#[inline(always)]`, so it is compiled with the caller's target features.
///
/// `AVX2` is `true` only in the copy compiled with AVX2 enabled, which may
/// therefore call this module's AVX2 helpers ([`gather_f64x4`],
/// [`scatter_f64x4`]).
pub(crate) trait Vectorised {
    /// Does the work.
    fn run<const AVX2: bool>(&mut self);
}

/// Runs `job` with AVX2 when the CPU has it, else with the baseline instruction
/// set (SSE2 on x86-64, whatever the target has elsewhere).
#[inline]
pub(crate) fn run<J: Vectorised>(job: &mut J) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: `avx2` only enables the AVX2 instruction set for the code it
            // inlines, and the CPU was just detected (cpuid, cached by std) to
            // support it; the job itself is safe code.
            unsafe { avx2(job) };
            return;
        }
    }
    job.run::<false>();
}

/// `job.run()` compiled with AVX2 enabled.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn avx2<J: Vectorised>(job: &mut J) {
    job.run::<true>();
}

/// A job compiled in two arithmetic variants: with `FMA`, its multiply-adds
/// are `Scalar::fused_mul_add` (one rounding, one `vfmadd` instruction); without,
/// a separate multiply and add. Like [`Vectorised`], `run` and everything it
/// calls is `#[inline(always)]`.
pub(crate) trait Fused {
    /// Does the work, fused multiply-adds or not.
    fn run<const FMA: bool>(&mut self);
}

/// Runs `job` with AVX2 and FMA when the CPU has both (the fused variant), with
/// AVX2 alone (unfused: a fused multiply-add without the instruction is a slow
/// library call), else unfused with the baseline instruction set.
#[inline]
pub(crate) fn run_fused<J: Fused>(job: &mut J) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            if std::arch::is_x86_feature_detected!("fma") {
                // SAFETY: as in `run`; both features were just detected.
                unsafe { avx2_fma(job) };
            } else {
                // SAFETY: as in `run`.
                unsafe { avx2_unfused(job) };
            }
            return;
        }
    }
    job.run::<false>();
}

/// `job.run::<true>()` compiled with AVX2 and FMA enabled.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn avx2_fma<J: Fused>(job: &mut J) {
    job.run::<true>();
}

/// `job.run::<false>()` compiled with AVX2 enabled.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn avx2_unfused<J: Fused>(job: &mut J) {
    job.run::<false>();
}

/// Like [`run_fused`], but with AVX-512F/VL and FMA first when the CPU has them
/// and the compiler could enable them (`cfg(inv_ext_avx512)`, see `build.rs`).
/// The arithmetic is the same element by element (fused multiply-adds either
/// way), so results are bit-identical to [`run_fused`]'s; only the registers and
/// the instruction widths the compiler picks differ.
#[inline]
pub(crate) fn run_fused_wide<J: Fused>(job: &mut J) {
    #[cfg(all(target_arch = "x86_64", inv_ext_avx512))]
    {
        if avx512_usable() {
            // SAFETY: as in `run`; the features were detected.
            unsafe { avx512_fma(job) };
            return;
        }
    }
    run_fused(job);
}

/// Asks for every cache line of `data` to be fetched into L1 ahead of its use:
/// a hint, which reads and changes nothing the program sees (nothing at all
/// off x86-64).
#[inline(always)]
pub(crate) fn prefetch<T>(data: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        const LINE: usize = 64;
        let bytes = std::mem::size_of_val(data);
        let start = data.as_ptr().cast::<i8>();
        // One address in every line: `LINE` apart, and the last byte (the first
        // address may sit anywhere in its line).
        let lines = (0..bytes).step_by(LINE).chain(bytes.checked_sub(1));
        for offset in lines {
            // SAFETY: `offset < bytes`, so the address is inside `data`; a
            // prefetch never faults.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.add(offset)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

/// Whether the CPU has AVX2 (so that [`run`] runs the AVX2 copy).
#[inline]
pub(crate) fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether the CPU has AVX2 and FMA (so that [`panel_tile_f64`] may run).
#[inline]
pub(crate) fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether the CPU has AVX-512F, AVX-512VL, AVX2 and FMA and this build can
/// use them (`cfg(inv_ext_avx512)`): false elsewhere.
#[inline]
pub(crate) fn has_avx512() -> bool {
    #[cfg(all(target_arch = "x86_64", inv_ext_avx512))]
    {
        avx512_usable()
    }
    #[cfg(not(all(target_arch = "x86_64", inv_ext_avx512)))]
    {
        false
    }
}

/// Whether the CPU has AVX-512F, AVX-512VL, AVX2 and FMA.
#[cfg(all(target_arch = "x86_64", inv_ext_avx512))]
#[inline]
pub(crate) fn avx512_usable() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
}

/// `job.run::<true>()` compiled with AVX-512F/VL, AVX2 and FMA enabled.
///
/// # Safety
/// The CPU must support AVX-512F, AVX-512VL, AVX2 and FMA.
#[cfg(all(target_arch = "x86_64", inv_ext_avx512))]
#[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
pub(crate) unsafe fn avx512_fma<J: Fused>(job: &mut J) {
    job.run::<true>();
}

/// `dst[e][l] = src[l * dst.len() + e]`: four matrices of `dst.len()`
/// elements (a multiple of 4), one after another in `src`, into one lane each,
/// by 4×4 transposes of whole vectors (4 loads, 8 shuffles and 4 stores per
/// 16 elements, where element by element the compiler stored single values
/// and read them back as vectors, which the CPU cannot forward).
///
/// # Safety
/// The CPU must support AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline]
pub(crate) unsafe fn gather_f64x4(src: &[f64], dst: &mut [[f64; 4]]) {
    let nn = dst.len();
    // SAFETY: the caller's promise (AVX).
    unsafe { gather_segments(src, [nn, nn, 1, nn], dst) }
}

/// An element type whose lane vectors move by whole-register transposes: `L`
/// values to a 256-bit register and an `L`×`L` transpose of `L` registers
/// (`f64` in 4 lanes, `f32` in 8). The one type parameter of the segmented
/// gather and scatter ([`gather_segments`], [`scatter_segments`]).
#[cfg(target_arch = "x86_64")]
pub(crate) trait Transposed<const L: usize>: Copy {
    /// One register of `L` values.
    type V: Copy;

    /// The `L` values at `p`.
    ///
    /// # Safety
    /// The CPU must support AVX, and `p` must be valid for reads of `L` values.
    unsafe fn load(p: *const Self) -> Self::V;

    /// `v` stored at `p`.
    ///
    /// # Safety
    /// The CPU must support AVX, and `p` must be valid for writes of `L` values.
    unsafe fn store(p: *mut Self, v: Self::V);

    /// The transpose: lane `i` of result `j` is lane `j` of `v[i]`.
    ///
    /// # Safety
    /// The CPU must support AVX.
    unsafe fn transpose(v: [Self::V; L]) -> [Self::V; L];
}

#[cfg(target_arch = "x86_64")]
impl Transposed<4> for f64 {
    type V = std::arch::x86_64::__m256d;

    #[target_feature(enable = "avx")]
    #[inline]
    unsafe fn load(p: *const f64) -> Self::V {
        // SAFETY: the caller's promise.
        unsafe { std::arch::x86_64::_mm256_loadu_pd(p) }
    }

    #[target_feature(enable = "avx")]
    #[inline]
    unsafe fn store(p: *mut f64, v: Self::V) {
        // SAFETY: the caller's promise.
        unsafe { std::arch::x86_64::_mm256_storeu_pd(p, v) }
    }

    #[target_feature(enable = "avx")]
    #[inline]
    unsafe fn transpose(v: [Self::V; 4]) -> [Self::V; 4] {
        // SAFETY: AVX, the caller's promise.
        unsafe { transpose4(v[0], v[1], v[2], v[3]) }
    }
}

#[cfg(target_arch = "x86_64")]
impl Transposed<8> for f32 {
    type V = std::arch::x86_64::__m256;

    #[target_feature(enable = "avx")]
    #[inline]
    unsafe fn load(p: *const f32) -> Self::V {
        // SAFETY: the caller's promise.
        unsafe { std::arch::x86_64::_mm256_loadu_ps(p) }
    }

    #[target_feature(enable = "avx")]
    #[inline]
    unsafe fn store(p: *mut f32, v: Self::V) {
        // SAFETY: the caller's promise.
        unsafe { std::arch::x86_64::_mm256_storeu_ps(p, v) }
    }

    #[target_feature(enable = "avx")]
    #[inline]
    unsafe fn transpose(v: [Self::V; 8]) -> [Self::V; 8] {
        // SAFETY: AVX, the caller's promise.
        unsafe { transpose8_ps(v) }
    }
}

/// Checks `[seg, stride, count, size]` against `L` lanes, `values` (the
/// length of the matrices' side) and `lanes` (of the lane side): see
/// [`gather_segments`].
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn check_segments<const L: usize>(geometry: [usize; 4], values: usize, lanes: usize) {
    let [seg, stride, count, size] = geometry;
    assert!(seg % L == 0 && count * seg <= size && values >= L * size);
    assert!(count == 0 || (count - 1) * stride + seg <= lanes);
}

/// Lane vectors from `L` matrices of `size` values by transposes, in segments
/// `[seg, stride, count, size]`: `dst[c * stride + i][l] = src[l * size + c *
/// seg + i]` for `c < count`, `i < seg` (`seg` a multiple of `L`, `count * seg
/// <= size`, `(count - 1) * stride + seg <= dst.len()`); `dst[c * stride +
/// seg..(c + 1) * stride]` is left as it is. The whole matrix is one segment;
/// padded columns are `n` segments of `n`, `ld` apart. `L` loads, the
/// transpose's shuffles and `L` stores per `L`×`L` values, where element by
/// element the compiler stored single values and read them back as vectors,
/// which the CPU cannot forward.
///
/// # Safety
/// The CPU must support AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline]
pub(crate) unsafe fn gather_segments<E: Transposed<L>, const L: usize>(
    src: &[E],
    geometry: [usize; 4],
    dst: &mut [[E; L]],
) {
    check_segments::<L>(geometry, src.len(), dst.len());
    let [seg, stride, count, size] = geometry;
    for c in 0..count {
        for (q, block) in dst[c * stride..c * stride + seg]
            .chunks_exact_mut(L)
            .enumerate()
        {
            let p = src[c * seg + L * q..].as_ptr();
            // SAFETY: the loads read src[l * size + c seg + L q ..][..L], l <
            // L, in bounds by the checks; the stores write the L lane vectors
            // of `block`; AVX, the caller's promise.
            unsafe {
                let w = load_transposed::<E, L>(p, size);
                for (x, w) in block.iter_mut().zip(w) {
                    E::store(x.as_mut_ptr(), w);
                }
            }
        }
    }
}

/// The inverse of [`gather_segments`]: `dst[l * size + c * seg + i] = src[c *
/// stride + i][l]`, the same conditions on `[seg, stride, count, size]` (with
/// `src` for `dst`); `src[c * stride + seg..(c + 1) * stride]` is not read.
///
/// # Safety
/// The CPU must support AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline]
pub(crate) unsafe fn scatter_segments<E: Transposed<L>, const L: usize>(
    src: &[[E; L]],
    geometry: [usize; 4],
    dst: &mut [E],
) {
    check_segments::<L>(geometry, dst.len(), src.len());
    let [seg, stride, count, size] = geometry;
    for c in 0..count {
        for (q, block) in src[c * stride..c * stride + seg]
            .chunks_exact(L)
            .enumerate()
        {
            let p = dst[c * seg + L * q..].as_mut_ptr();
            // SAFETY: the stores write dst[l * size + c seg + L q ..][..L], l <
            // L, in bounds by the checks; the loads read `block`; AVX, the
            // caller's promise.
            unsafe {
                let v = std::array::from_fn(|i| E::load(block[i].as_ptr()));
                store_transposed::<E, L>(v, p, size);
            }
        }
    }
}

/// The inverse of [`gather_f64x4`]: `dst[l * src.len() + e] = src[e][l]`.
///
/// # Safety
/// The CPU must support AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline]
pub(crate) unsafe fn scatter_f64x4(src: &[[f64; 4]], dst: &mut [f64]) {
    let nn = src.len();
    // SAFETY: the caller's promise (AVX).
    unsafe { scatter_segments(src, [nn, nn, 1, nn], dst) }
}

/// [`gather_f64x4`] for eight matrices: `dst[e][l] = src[l * dst.len() + e]`,
/// matrices 0–3 into lanes 0–3 and 4–7 into lanes 4–7 of each `[f64; 8]`.
///
/// # Safety
/// The CPU must support AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline]
pub(crate) unsafe fn gather_f64x8(src: &[f64], dst: &mut [[f64; 8]]) {
    use std::arch::x86_64::*;
    let nn = dst.len();
    assert!(nn % 4 == 0 && src.len() >= 8 * nn);
    for (e, quad) in dst.chunks_exact_mut(4).enumerate() {
        for half in 0..2 {
            let p = src[4 * nn * half + 4 * e..].as_ptr();
            // SAFETY: the loads read src[(4 half + l) * nn + 4 e ..][..4],
            // l < 4, in bounds by the assertion; the stores write half `half`
            // of the four lane vectors of `quad`.
            unsafe {
                let w = load_transposed::<f64, 4>(p, nn);
                for (x, w) in quad.iter_mut().zip(w) {
                    _mm256_storeu_pd(x[4 * half..].as_mut_ptr(), w);
                }
            }
        }
    }
}

/// The inverse of [`gather_f64x8`]: `dst[l * src.len() + e] = src[e][l]`.
///
/// # Safety
/// The CPU must support AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline]
pub(crate) unsafe fn scatter_f64x8(src: &[[f64; 8]], dst: &mut [f64]) {
    use std::arch::x86_64::*;
    let nn = src.len();
    assert!(nn % 4 == 0 && dst.len() >= 8 * nn);
    for (e, quad) in src.chunks_exact(4).enumerate() {
        for half in 0..2 {
            let p = dst[4 * nn * half + 4 * e..].as_mut_ptr();
            // SAFETY: as in `gather_f64x8`, with loads and stores exchanged.
            unsafe {
                let v = std::array::from_fn(|i| _mm256_loadu_pd(quad[i][4 * half..].as_ptr()));
                store_transposed::<f64, 4>(v, p, nn);
            }
        }
    }
}

/// [`scatter_f64x4`] / [`scatter_f64x8`] for matrices of order `N` (4 or 8:
/// whole columns of 4-row quads, `src.len() == N * N`), with each lane's
/// columns stored in another order: column `c` of lane `l` goes to column
/// `dest[c][l]` (an index value, below `N`) of matrix `l` of `dst`. The row
/// interchanges of the elimination are undone by where the columns are
/// stored, with no blends and no second copy (see
/// `gauss_jordan::column_destinations`). `L` is 4 or 8.
///
/// # Panics
/// If `dst` is shorter than `L` matrices, or a destination is not below `N`.
///
/// # Safety
/// The CPU must support AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline]
pub(crate) unsafe fn scatter_f64_columns<const L: usize, const N: usize>(
    src: &[[f64; L]],
    dest: &[[f64; L]; N],
    dst: &mut [f64],
) {
    use std::arch::x86_64::*;
    let nn = N * N;
    assert!(N % 4 == 0 && src.len() == nn && (L == 4 || L == 8) && dst.len() >= nn * L);
    for (e, quad) in src.chunks_exact(4).enumerate() {
        let (c, rows) = (e / (N / 4), 4 * (e % (N / 4)));
        for half in 0..L / 4 {
            // SAFETY: `quad` holds 4 arrays of `L >= 4 * (half + 1)` values, so
            // each load reads 4 of them; the stores go through slices of 4
            // checked against `dst`.
            unsafe {
                let v0 = _mm256_loadu_pd(quad[0][4 * half..].as_ptr());
                let v1 = _mm256_loadu_pd(quad[1][4 * half..].as_ptr());
                let v2 = _mm256_loadu_pd(quad[2][4 * half..].as_ptr());
                let v3 = _mm256_loadu_pd(quad[3][4 * half..].as_ptr());
                let w = transpose4(v0, v1, v2, v3);
                for (i, w) in w.into_iter().enumerate() {
                    let l = 4 * half + i;
                    let d = dest[c][l] as usize;
                    assert!(d < N, "a column of the matrix");
                    let at = nn * l + N * d + rows;
                    _mm256_storeu_pd(dst[at..at + 4].as_mut_ptr(), w);
                }
            }
        }
    }
}

/// The bounds that [`panel_pivot_rows_f64`] and [`panel_tile_f64`] read and
/// write through pointers: rows `i .. i + 8` of every column of `cols` inside
/// `a`, and of every one of the 8 steps inside `m`.
///
/// # Panics
/// If one of them is out of bounds.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn check_panel_rows(a: &[f64], ld: usize, cols: [usize; 4], i: usize, m: &[f64], rows: usize) {
    for &c in &cols {
        assert!(c * ld + i + rows <= a.len(), "rows inside the matrix");
    }
    assert!(7 * ld + i + rows <= m.len(), "rows inside the multipliers");
}

/// The blocked kernel's pivot rows for `f64`, four columns, a whole panel
/// (see `kernels::blocked`, `Panel::apply`): rows `k0 .. k0 + 8` of the
/// columns `cols` of `a` (column-major, leading dimension `ld`), read as 8
/// vectors across the columns by two 4×4 transposes, take the panel's 8
/// steps in turn. Step `t` saves row `t` into `u[4 t .. 4 t + 4]`, updates
/// every other row `r` by `x -= m[t * ld + k0 + r] * u[t]` (rounded once:
/// `vfnmadd`) and scales row `t` by `rps[t]`; then the rows are written back.
/// The same operations in the same order as the generic code, so the same
/// bits, with the 8 rows in registers.
///
/// # Panics
/// If a column's rows `k0 .. k0 + 8` are outside `a`, or the steps' rows
/// outside `m`.
///
/// # Safety
/// The CPU must support AVX2 and FMA ([`has_avx2_fma`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(crate) unsafe fn panel_pivot_rows_f64(
    a: &mut [f64],
    ld: usize,
    cols: [usize; 4],
    k0: usize,
    m: &[f64],
    rps: &[f64; 8],
    u: &mut [f64; 32],
) {
    use std::arch::x86_64::*;
    check_panel_rows(a, ld, cols, k0, m, 8);
    let (a, m) = (a.as_mut_ptr(), m.as_ptr());
    // SAFETY: every pointer access is inside the ranges checked above; the
    // intrinsics need AVX2 and FMA, this function's precondition.
    unsafe {
        // No closures here: they need not inherit the target features.
        let p = [
            a.add(cols[0] * ld + k0),
            a.add(cols[1] * ld + k0),
            a.add(cols[2] * ld + k0),
            a.add(cols[3] * ld + k0),
        ];
        let lo = transpose4(
            _mm256_loadu_pd(p[0]),
            _mm256_loadu_pd(p[1]),
            _mm256_loadu_pd(p[2]),
            _mm256_loadu_pd(p[3]),
        );
        let hi = transpose4(
            _mm256_loadu_pd(p[0].add(4)),
            _mm256_loadu_pd(p[1].add(4)),
            _mm256_loadu_pd(p[2].add(4)),
            _mm256_loadu_pd(p[3].add(4)),
        );
        let mut x = [lo[0], lo[1], lo[2], lo[3], hi[0], hi[1], hi[2], hi[3]];
        for t in 0..8 {
            let ut = x[t];
            _mm256_storeu_pd(u.as_mut_ptr().add(4 * t), ut);
            let mt = m.add(t * ld + k0);
            for (r, xr) in x.iter_mut().enumerate() {
                // Row t is replaced just below (its multiplier is 0).
                if r != t {
                    *xr = _mm256_fnmadd_pd(_mm256_broadcast_sd(&*mt.add(r)), ut, *xr);
                }
            }
            x[t] = _mm256_mul_pd(ut, _mm256_set1_pd(rps[t]));
        }
        let lo = transpose4(x[0], x[1], x[2], x[3]);
        let hi = transpose4(x[4], x[5], x[6], x[7]);
        for c in 0..4 {
            _mm256_storeu_pd(p[c], lo[c]);
            _mm256_storeu_pd(p[c].add(4), hi[c]);
        }
    }
}

/// The blocked kernel's register tile for `f64`, four columns, a whole panel
/// (see `kernels::blocked`): rows `i .. i + 8` of the columns `cols` of `a`
/// (column-major, leading dimension `ld`) take the panel's 8 steps,
/// `x -= m[t * ld + r] * u[4 t + c]` for `t = 0, 1, ..., 7` in turn, each
/// rounded once (`vfnmadd`: the same bits as `Scalar::fused_mul_add` of the
/// negated multiplier). The 8 accumulators stay in registers, the steps are unrolled
/// and every index is checked once, before the loop: written generically, the
/// compiler kept bounds checks and reloaded pointers in every tile.
///
/// # Panics
/// If a row range `cols[c] * ld + i .. + 8` is outside `a`, or the range
/// `t * ld + i .. + 8` outside `m` for some step `t`.
///
/// # Safety
/// The CPU must support AVX2 and FMA ([`has_avx2_fma`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(crate) unsafe fn panel_tile_f64(
    a: &mut [f64],
    ld: usize,
    cols: [usize; 4],
    i: usize,
    m: &[f64],
    u: &[f64; 32],
) {
    use std::arch::x86_64::*;
    check_panel_rows(a, ld, cols, i, m, 8);
    let (a, m) = (a.as_mut_ptr(), m.as_ptr());
    // SAFETY: every pointer access is inside the ranges checked above; the
    // intrinsics need AVX2 and FMA, this function's precondition.
    unsafe {
        let mut lo = [_mm256_setzero_pd(); 4];
        let mut hi = [_mm256_setzero_pd(); 4];
        for c in 0..4 {
            let p = a.add(cols[c] * ld + i);
            lo[c] = _mm256_loadu_pd(p);
            hi[c] = _mm256_loadu_pd(p.add(4));
        }
        for t in 0..8 {
            let mt = m.add(t * ld + i);
            let (m0, m1) = (_mm256_loadu_pd(mt), _mm256_loadu_pd(mt.add(4)));
            for c in 0..4 {
                let b = _mm256_broadcast_sd(&u[4 * t + c]);
                lo[c] = _mm256_fnmadd_pd(m0, b, lo[c]);
                hi[c] = _mm256_fnmadd_pd(m1, b, hi[c]);
            }
        }
        for c in 0..4 {
            let p = a.add(cols[c] * ld + i);
            _mm256_storeu_pd(p, lo[c]);
            _mm256_storeu_pd(p.add(4), hi[c]);
        }
    }
}

/// [`panel_pivot_rows_f64`] on eight columns at once, in 512-bit registers:
/// rows `k0 .. k0 + 8` of the columns `cols`, read as 8 vectors across the
/// columns by an 8×8 transpose, take the panel's 8 steps with the same
/// multiply-adds in the same order (so the same bits). `u[0]` gets the steps'
/// pivot row values of `cols[..4]`, `u[1]` those of `cols[4..]`, each as
/// [`panel_pivot_rows_f64`] lays them out. Each step waits on the one before,
/// so two groups of four columns in one chain of steps take about the time
/// of one.
///
/// # Panics
/// If a column's rows `k0 .. k0 + 8` are outside `a`, or the steps' rows
/// outside `m`.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2 and FMA ([`has_avx512`]).
#[cfg(all(target_arch = "x86_64", inv_ext_avx512))]
#[clippy::msrv = "1.89"] // compiled only from Rust 1.89 on (see `build.rs`)
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
pub(crate) unsafe fn panel_pivot_rows_f64x8(
    a: &mut [f64],
    ld: usize,
    cols: [usize; 8],
    k0: usize,
    m: &[f64],
    rps: &[f64; 8],
    u: &mut [[f64; 32]; 2],
) {
    use std::arch::x86_64::*;
    check_panel_rows(a, ld, [cols[0], cols[1], cols[2], cols[3]], k0, m, 8);
    check_panel_rows(a, ld, [cols[4], cols[5], cols[6], cols[7]], k0, m, 8);
    let (a, m) = (a.as_mut_ptr(), m.as_ptr());
    // SAFETY: every pointer access is inside the ranges checked above; the
    // intrinsics need AVX-512F, AVX2 and FMA, this function's precondition.
    unsafe {
        let mut v = [_mm512_setzero_pd(); 8];
        for (c, x) in v.iter_mut().enumerate() {
            *x = _mm512_loadu_pd(a.add(cols[c] * ld + k0));
        }
        let mut x = transpose8(v);
        for t in 0..8 {
            let ut = x[t];
            _mm256_storeu_pd(u[0].as_mut_ptr().add(4 * t), _mm512_castpd512_pd256(ut));
            _mm256_storeu_pd(
                u[1].as_mut_ptr().add(4 * t),
                _mm512_extractf64x4_pd::<1>(ut),
            );
            let mt = m.add(t * ld + k0);
            for (r, xr) in x.iter_mut().enumerate() {
                // Row t is replaced just below (its multiplier is 0).
                if r != t {
                    *xr = _mm512_fnmadd_pd(_mm512_set1_pd(*mt.add(r)), ut, *xr);
                }
            }
            x[t] = _mm512_mul_pd(ut, _mm512_set1_pd(rps[t]));
        }
        let w = transpose8(x);
        for (c, &col) in cols.iter().enumerate() {
            _mm512_storeu_pd(a.add(col * ld + k0), w[c]);
        }
    }
}

/// The 8×8 transpose of `v`: element `c` of output `r` is element `r` of
/// input `c`.
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(all(target_arch = "x86_64", inv_ext_avx512))]
#[clippy::msrv = "1.89"] // compiled only from Rust 1.89 on (see `build.rs`)
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn transpose8(v: [std::arch::x86_64::__m512d; 8]) -> [std::arch::x86_64::__m512d; 8] {
    use std::arch::x86_64::*;
    // Register-only shuffles (unsafe calls before Rust 1.87, allowed in this
    // `unsafe fn`; AVX-512F is its precondition). Pairs of rows interleaved,
    // then 128-bit blocks: 0x88 takes blocks 0 and 2 of each operand, 0xdd
    // blocks 1 and 3.
    let t = [
        _mm512_unpacklo_pd(v[0], v[1]),
        _mm512_unpackhi_pd(v[0], v[1]),
        _mm512_unpacklo_pd(v[2], v[3]),
        _mm512_unpackhi_pd(v[2], v[3]),
        _mm512_unpacklo_pd(v[4], v[5]),
        _mm512_unpackhi_pd(v[4], v[5]),
        _mm512_unpacklo_pd(v[6], v[7]),
        _mm512_unpackhi_pd(v[6], v[7]),
    ];
    let q = [
        _mm512_shuffle_f64x2::<0x88>(t[0], t[2]),
        _mm512_shuffle_f64x2::<0xdd>(t[0], t[2]),
        _mm512_shuffle_f64x2::<0x88>(t[1], t[3]),
        _mm512_shuffle_f64x2::<0xdd>(t[1], t[3]),
        _mm512_shuffle_f64x2::<0x88>(t[4], t[6]),
        _mm512_shuffle_f64x2::<0xdd>(t[4], t[6]),
        _mm512_shuffle_f64x2::<0x88>(t[5], t[7]),
        _mm512_shuffle_f64x2::<0xdd>(t[5], t[7]),
    ];
    [
        _mm512_shuffle_f64x2::<0x88>(q[0], q[4]),
        _mm512_shuffle_f64x2::<0x88>(q[2], q[6]),
        _mm512_shuffle_f64x2::<0x88>(q[1], q[5]),
        _mm512_shuffle_f64x2::<0x88>(q[3], q[7]),
        _mm512_shuffle_f64x2::<0xdd>(q[0], q[4]),
        _mm512_shuffle_f64x2::<0xdd>(q[2], q[6]),
        _mm512_shuffle_f64x2::<0xdd>(q[1], q[5]),
        _mm512_shuffle_f64x2::<0xdd>(q[3], q[7]),
    ]
}

/// [`panel_tile_f64`] on 16 rows, `i .. i + 16`, in 512-bit registers: the
/// same multiply-adds in the same order (so the same bits), two vectors of 8
/// rows per column, half the instructions.
///
/// # Panics
/// If a row range `cols[c] * ld + i .. + 16` is outside `a`, or the range
/// `t * ld + i .. + 16` outside `m` for some step `t`.
///
/// # Safety
/// The CPU must support AVX-512F and FMA ([`has_avx512`]).
#[cfg(all(target_arch = "x86_64", inv_ext_avx512))]
#[clippy::msrv = "1.89"] // compiled only from Rust 1.89 on (see `build.rs`)
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
pub(crate) unsafe fn panel_tile_f64x16(
    a: &mut [f64],
    ld: usize,
    cols: [usize; 4],
    i: usize,
    m: &[f64],
    u: &[f64; 32],
) {
    use std::arch::x86_64::*;
    check_panel_rows(a, ld, cols, i, m, 16);
    let (a, m) = (a.as_mut_ptr(), m.as_ptr());
    // SAFETY: every pointer access is inside the ranges checked above; the
    // intrinsics need AVX-512F and FMA, this function's precondition.
    unsafe {
        let mut lo = [_mm512_setzero_pd(); 4];
        let mut hi = [_mm512_setzero_pd(); 4];
        for c in 0..4 {
            let p = a.add(cols[c] * ld + i);
            lo[c] = _mm512_loadu_pd(p);
            hi[c] = _mm512_loadu_pd(p.add(8));
        }
        for t in 0..8 {
            let mt = m.add(t * ld + i);
            let (m0, m1) = (_mm512_loadu_pd(mt), _mm512_loadu_pd(mt.add(8)));
            for c in 0..4 {
                let b = _mm512_set1_pd(u[4 * t + c]);
                lo[c] = _mm512_fnmadd_pd(m0, b, lo[c]);
                hi[c] = _mm512_fnmadd_pd(m1, b, hi[c]);
            }
        }
        for c in 0..4 {
            let p = a.add(cols[c] * ld + i);
            _mm512_storeu_pd(p, lo[c]);
            _mm512_storeu_pd(p.add(8), hi[c]);
        }
    }
}

/// The blocked kernel's one-column tile for `f64` (see `kernels::blocked`):
/// rows `i .. i + 4 R` of column `col` of `a` take the steps `steps` of the
/// panel in turn, `x -= m[t * ld + r] * u[t]`, each rounded once (`vfnmadd`),
/// in `R` independent registers: a panel's own columns take some of its
/// steps one column at a time, and with the steps outside and `R` = 4 the
/// multiply-adds of one step no longer wait on each other.
///
/// # Panics
/// If rows `i .. i + 4 R` of the column are outside `a`, those of a step
/// outside `m`, or a step outside `u`.
///
/// # Safety
/// The CPU must support AVX2 and FMA ([`has_avx2_fma`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(crate) unsafe fn column_tile_f64<const R: usize>(
    a: &mut [f64],
    ld: usize,
    col: usize,
    i: usize,
    m: &[f64],
    u: &[f64; 8],
    steps: std::ops::Range<usize>,
) {
    use std::arch::x86_64::*;
    assert!(
        col * ld + i + 4 * R <= a.len(),
        "tile rows inside the matrix"
    );
    if steps.is_empty() {
        return;
    }
    assert!(steps.end <= u.len(), "steps inside u");
    assert!(
        (steps.end - 1) * ld + i + 4 * R <= m.len(),
        "tile rows inside the multipliers"
    );
    // SAFETY: every pointer access is inside the ranges checked above; the
    // intrinsics need AVX2 and FMA, this function's precondition.
    unsafe {
        let p = a.as_mut_ptr().add(col * ld + i);
        let mut acc = [_mm256_setzero_pd(); R];
        for (r, v) in acc.iter_mut().enumerate() {
            *v = _mm256_loadu_pd(p.add(4 * r));
        }
        for t in steps {
            let mt = m.as_ptr().add(t * ld + i);
            let b = _mm256_broadcast_sd(u.get_unchecked(t));
            for (r, v) in acc.iter_mut().enumerate() {
                *v = _mm256_fnmadd_pd(_mm256_loadu_pd(mt.add(4 * r)), b, *v);
            }
        }
        for (r, v) in acc.iter().enumerate() {
            _mm256_storeu_pd(p.add(4 * r), *v);
        }
    }
}

/// The 4×4 transpose of the rows `v0..v3`.
///
/// # Safety
/// The CPU must support AVX. (An `unsafe fn`: a safe function with
/// `#[target_feature]` needs Rust 1.86, above this crate's `rust-version`.)
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline]
unsafe fn transpose4(
    v0: std::arch::x86_64::__m256d,
    v1: std::arch::x86_64::__m256d,
    v2: std::arch::x86_64::__m256d,
    v3: std::arch::x86_64::__m256d,
) -> [std::arch::x86_64::__m256d; 4] {
    use std::arch::x86_64::*;
    // Register-only shuffles (unsafe calls before Rust 1.87, allowed in this
    // `unsafe fn`; AVX is its precondition).
    let t0 = _mm256_unpacklo_pd(v0, v1);
    let t1 = _mm256_unpackhi_pd(v0, v1);
    let t2 = _mm256_unpacklo_pd(v2, v3);
    let t3 = _mm256_unpackhi_pd(v2, v3);
    [
        _mm256_permute2f128_pd(t0, t2, 0x20),
        _mm256_permute2f128_pd(t1, t3, 0x20),
        _mm256_permute2f128_pd(t0, t2, 0x31),
        _mm256_permute2f128_pd(t1, t3, 0x31),
    ]
}

/// The transpose of the `L` registers at `p + l * stride`, `l < L`: lane `l`
/// of result `j` is value `j` at `p + l * stride`.
///
/// # Safety
/// The CPU must support AVX, and `p + l * stride` must be valid for reads of
/// `L` values for every `l < L`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline]
unsafe fn load_transposed<E: Transposed<L>, const L: usize>(
    p: *const E,
    stride: usize,
) -> [E::V; L] {
    // SAFETY: AVX and the reads, the caller's promise.
    unsafe { E::transpose(std::array::from_fn(|l| E::load(p.add(l * stride)))) }
}

/// Stores the transpose of `v`: lane `l` of every register, in order, at
/// `p + l * stride`.
///
/// # Safety
/// The CPU must support AVX, and `p + l * stride` must be valid for writes of
/// `L` values for every `l < L`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline]
unsafe fn store_transposed<E: Transposed<L>, const L: usize>(
    v: [E::V; L],
    p: *mut E,
    stride: usize,
) {
    // SAFETY: AVX and the writes, the caller's promise.
    unsafe {
        for (l, w) in E::transpose(v).into_iter().enumerate() {
            E::store(p.add(l * stride), w);
        }
    }
}

/// The 8×8 transpose of `f32` rows `r`: lane `i` of result `j` is lane `j` of
/// `r[i]`.
///
/// # Safety
/// The CPU must support AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline]
unsafe fn transpose8_ps(r: [std::arch::x86_64::__m256; 8]) -> [std::arch::x86_64::__m256; 8] {
    use std::arch::x86_64::*;
    // Register-only shuffles, as in `transpose4`: pairs of rows interleaved,
    // then quads, then the 128-bit halves exchanged.
    let t0 = _mm256_unpacklo_ps(r[0], r[1]);
    let t1 = _mm256_unpackhi_ps(r[0], r[1]);
    let t2 = _mm256_unpacklo_ps(r[2], r[3]);
    let t3 = _mm256_unpackhi_ps(r[2], r[3]);
    let t4 = _mm256_unpacklo_ps(r[4], r[5]);
    let t5 = _mm256_unpackhi_ps(r[4], r[5]);
    let t6 = _mm256_unpacklo_ps(r[6], r[7]);
    let t7 = _mm256_unpackhi_ps(r[6], r[7]);
    let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
    let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
    let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
    let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
    let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
    let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
    let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
    let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
    [
        _mm256_permute2f128_ps::<0x20>(u0, u4),
        _mm256_permute2f128_ps::<0x20>(u1, u5),
        _mm256_permute2f128_ps::<0x20>(u2, u6),
        _mm256_permute2f128_ps::<0x20>(u3, u7),
        _mm256_permute2f128_ps::<0x31>(u0, u4),
        _mm256_permute2f128_ps::<0x31>(u1, u5),
        _mm256_permute2f128_ps::<0x31>(u2, u6),
        _mm256_permute2f128_ps::<0x31>(u3, u7),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The segmented gathers put every value in its lane and leave the
    /// padding (NaN) alone; the scatters put them back. Unpadded columns
    /// (whole matrices as one segment, runs across column ends) and padded
    /// ones (a segment per column).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn gathers_and_scatters_by_segments() {
        if !std::is_x86_feature_detected!("avx") {
            return;
        }
        for (n, ld) in [(4, 4), (12, 12), (16, 16), (8, 10), (16, 18), (32, 34)] {
            round_trip::<f64, 4>(n, ld);
            round_trip::<f32, 8>(n, ld);
        }
    }

    /// [`gathers_and_scatters_by_segments`] for one type, order `n` and
    /// column stride `ld`: the CPU must have AVX.
    #[cfg(target_arch = "x86_64")]
    fn round_trip<E, const L: usize>(n: usize, ld: usize)
    where
        E: Transposed<L> + num_traits::Float + std::fmt::Debug,
    {
        let nn = n * n;
        let geometry = if ld == n {
            [nn, nn, 1, nn]
        } else {
            [n, ld, n, nn]
        };
        let src: Vec<E> = (0..L * nn).map(|i| E::from(i).unwrap()).collect();
        let mut lanes = vec![[E::nan(); L]; ld * n];
        let mut back = vec![E::zero(); L * nn];
        // SAFETY: the caller's promise (AVX).
        unsafe { gather_segments(&src, geometry, &mut lanes) };
        for (e, x) in lanes.iter().enumerate() {
            let (c, r) = (e / ld, e % ld);
            for (l, &x) in x.iter().enumerate() {
                if r < n {
                    assert_eq!(x, src[l * nn + c * n + r], "{L} lanes, n {n} ld {ld}");
                } else {
                    assert!(x.is_nan(), "padding written: {L} lanes, n {n} ld {ld}");
                }
            }
        }
        // SAFETY: as above.
        unsafe { scatter_segments(&lanes, geometry, &mut back) };
        assert_eq!(back, src, "{L} lanes, n {n} ld {ld}");
    }

    struct Sum<'a>(&'a [f64], f64);
    impl Vectorised for Sum<'_> {
        #[inline(always)]
        fn run<const AVX2: bool>(&mut self) {
            self.1 = self.0.iter().sum();
        }
    }

    #[test]
    fn runs_the_job_once() {
        let data = [1.0, 2.0, 3.5];
        let mut job = Sum(&data, 0.0);
        run(&mut job);
        assert_eq!(job.1, 6.5);
    }
}
