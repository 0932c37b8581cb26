//! Own kernels for stacks of small real matrices, vectorised across the batch.
//!
//! LAPACK's per-call overhead (argument checks, workspace logic, unblocked code
//! paths written for one matrix) dominates below n ≈ 32–64. Here a block of
//! [`BLOCK`] matrices is gathered into structure-of-arrays form (one matrix per
//! SIMD lane), inverted by [Gauss–Jordan elimination with partial
//! pivoting](gauss_jordan) in registers, L1 or L2, and scattered back: no call
//! overhead, no pivot bookkeeping per matrix, no per-matrix allocation.
//!
//! | n | kernel |
//! |---|---|
//! | 1 ..= [`UNROLLED_MAX`] | the elimination with `n` a compile-time constant, fully unrolled: for n = 1, 2, 3 this *is* the closed form, in LU form (no determinant, so no overflow at 1e200 and no absolute threshold) |
//! | `UNROLLED_MAX` < n <= [`MAX_N`] (64) | the [run-time-order lane kernel](gauss_jordan::invert) with a per-thread workspace, two pivot steps per pass over the matrices; row interchanges lane by lane (scalar swaps, `O(n)` per step instead of `O(n²)` blends), the columns a [padded stride](lane_stride) apart; for n = 16 `f64` on AVX2 + FMA (a common block size) the same code with `n` a compile-time constant |
//! | the same orders, a partial last chunk of at most [`one_at_a_time_max`] matrices (a matrix alone, a small stack) | [one matrix at a time](blocked) (it stays in L1 or L2), vectorised along its columns, the updates delayed over panels of 8 steps and applied by register tiles: the same operations as the lane kernel in another order, so the same bits |
//! | above, or complex | LAPACK (`getrf` + `getri`) |
//!
//! Lanes: 4 for `f64`, 8 for `f32` (one 256-bit register each), compiled for AVX2
//! when the CPU has it (see [`simd`]), else for the baseline instruction set;
//! 8 for `f64` of order 3, 4 and 8 on AVX2 CPUs (see below).
//! Above [`UNROLLED_MAX`] the kernels are also compiled with FMA (`a - b c`
//! rounded once, as OpenBLAS computes it) and run so when the CPU has it; the
//! unrolled kernels keep separate multiplies and subtractions. The blocked
//! kernel has a third copy, compiled for AVX-512F/VL + FMA and run when the CPU
//! has them (`simd::run_fused_wide`; only on Rust >= 1.89, see `build.rs`): the
//! same bits, less CPU time on one thread (two A/B runs: 64×64 f64
//! 27.2–28.0 → 25.3–25.4 µs, 32×32 4.73–4.92 → 4.44–4.53 µs); the lane
//! kernels measured slower with it.
//!
//! Complex matrices go to LAPACK: they are 2–4× more work per element, LAPACK's
//! overhead matters less, and the complex division and pivot modulus (`|re| + |im|`
//! in LAPACK) would need care to match LAPACK's results.
//!
//! Input: a C-order input of the output type is gathered straight from the input
//! (one pass, finiteness checked on the lanes); any other layout or type
//! (integers) is first copied into the output slots by `layout::Source::load`.
//!
//! The blocked kernel's hot loops for `f64` are explicit AVX2 + FMA code
//! (`simd::panel_tile_f64`, `simd::panel_pivot_rows_f64`,
//! `simd::column_tile_f64`; the same operations in the same order, so the
//! same bits): written generically, the compiler kept bounds checks and
//! reloaded pointers in every register tile, and a panel's own columns were
//! updated 8 rows at a time, each multiply-add waiting on the one before. On
//! a 2-core Zen 3 (AVX2 + FMA, no AVX-512), kernel time per matrix
//! (`kernel_ns`, interleaved builds, best of four rounds): 64×64 32.7 → 25.0
//! µs, 56×56 23.0 → 17.6, 48×48 21.0 → 12.1. That moved the `f64`
//! crossover down: with `ONE_AT_A_TIME=1` (the blocked kernel at every
//! order), best of three rounds, lane kernel against blocked: 28×28 3.63 vs
//! 4.08 µs, 30×30 4.51 vs 4.53, 32×32 5.47 vs 4.73, 33×33 6.10 vs 6.61 (its
//! columns padded to 40 rows), 36×36 8.10 vs 6.84, 40×40 11.2 vs 7.55; so
//! from 32 on, where the CPU has AVX2 and FMA (until the lane kernel took two
//! steps per pass, below). The whole `inv` on one thread (CPU time, three
//! interleaved rounds) agrees at 40×40 (17.7–18.8 → 15.2–16.7
//! µs) and is unchanged at 32×32 (8.6–10.7 vs 8.6–11.5 µs: there the 40 MB
//! of input and of output streaming through memory weigh most). The figures
//! below are from before.
//!
//! Where the CPU also has AVX-512F, the whole-panel register tiles take 16
//! rows at a time in 512-bit registers (`simd::panel_tile_f64x16`, the same
//! multiply-adds in the same order), and 8-row tiles only for what is left of
//! a row range. On a 2-core Zen 5 (full-width AVX-512), `kernel_ns`, builds
//! interleaved over three rounds: 64×64 12.67–12.77 → 11.24–11.25 µs, 56×56
//! 9.05–9.09 → 8.27–8.35, 48×48 6.20–6.29 → 5.79–5.87; 32×32 unchanged
//! (2.44–2.46 µs either way: there the tiles are a small part of the time).
//! At 32×32 a profile put a fifth of the time in the pivot rows of the
//! 4-column groups, a chain of 8 dependent steps per group; with AVX-512 two
//! groups take their pivot rows together, 8 columns in one 512-bit vector
//! (`simd::panel_pivot_rows_f64x8`, the same multiply-adds in the same
//! order). `kernel_ns`, three interleaved rounds (the machine slower than for
//! the tiles above): 32×32 2.90–2.93 → 2.37–2.46 µs, 40×40 4.52–4.62 →
//! 3.78–3.94, 48×48 6.48–6.63 → 5.71–5.94, 64×64 12.30–12.61 → 11.09–11.61.
//!
//! The lane kernel takes two pivot steps per pass over the matrices
//! (`gauss_jordan::invert`): one step at a time, each value was loaded and
//! stored once per step, and the stores bounded the update. On a 2-core Zen 4,
//! `kernel_ns`, one thread, f64: 16×16 491–497 → 416–427 ns, 24×24 1581–1586
//! → 1203–1226, 31×31 3203–3209 → 2379–2504 (general matrices: 16×16 655–660
//! → 583–597, 24×24 1930–1936 → 1521–1549). With that it beats the blocked
//! kernel per matrix at every order below 64 (at 64 only without row
//! interchanges until its columns were padded, see [`lane_stride`]), with AVX2 + FMA (two
//! rounds: `f64` 32×32 2.45–2.47 vs 3.45–3.68 µs, 48×48 7.10–7.12 vs
//! 8.89–9.01, 64×64 15.5–15.7 vs 17.8–18.3; `f32` 64×64 9.0–9.4 vs
//! 12.9–13.3) and on the baseline instruction set (`f64` 32×32 5.50–5.53 vs
//! 6.40–6.42, 64×64 36.8 vs 42.6–42.7; level at 16×16 only). The whole `inv`
//! on one thread (CPU time, two rounds, diagonally dominant): `f64` 32×32
//! 5.83–6.25 → 4.60–4.88 µs, 64×64 24.4–32.4 → 21.6–27.2, `f32` 64×64
//! 15.9–22.8 → 13.7–14.1. So
//! the blocked kernel now takes only what a chunk of lanes would
//! waste on padding: a partial last chunk of few matrices
//! ([`one_at_a_time_max`]). General matrices at 32×32, three rounds: 3.48–3.60
//! vs 4.34–4.43 µs.
//!
//! Before that, crossovers, measured on a 2-core Zen 4 (AVX-512 hardware,
//! AVX2 + FMA code), kernel time per matrix on a block in L1, one thread
//! (`kernel_ns` below), with every workspace on a cache line (see [`aligned`]):
//! the lane kernel beat the blocked one up to n = 46 for `f64` (3.4 vs 3.8–4.6
//! µs at 32, 8.4 vs 9.0–9.4 at 44, 9.5 vs 9.8–10.3 at 46) and lost from 48
//! (10.7 vs 9.9); for `f32` it won up to 60 (2.0 vs 3.1 µs at 32, 11.1 vs 12.1
//! at 60) and lost at 64 (13.2 vs 12.7). The whole `inv` agreed (CPU time, one
//! thread: 32×32 `f64` 5.6–5.7 vs 5.9–6.2 µs, `f32` 2.7 vs 4.1–4.4; 48×48 `f64`
//! 15–16 vs 14–15, `f32` 7.9–8.3 vs 9.2–10.1). Before the workspaces were
//! aligned the measured crossover was at n = 28 (4.1 vs 4.0 µs), with a lane
//! workspace placed off a cache line (24×24 `f64` took 2.6 µs then, 1.5 µs
//! aligned). FMA made the lane kernel ~10% faster. Past 64 the blocked kernel
//! still beat the LAPACK loop: 1.8× at n = 80 (batches and
//! single matrices), 1.5× on batches at 96–128 but only 1.1–1.2× on a single
//! matrix, and it lost at 160 (0.85×); [`MAX_N`] stays at 64. In the blocked
//! kernel, tiles of 3 vectors × 4 columns were no faster than 2 × 4.
//!
//! Up to n = 4 the block of lanes is gathered and scattered with constant
//! indices only (a partial chunk is padded first, row interchanges are undone
//! by blends on all lanes at once, see `unpivot_columns`, or for 4×4 `f64`
//! by where the columns are stored, see below), so that the block
//! can stay in registers; measured on a busy 2-core machine, one thread, CPU
//! time per matrix over 200 000 matrices: 2×2 14.1–15.1 → 12.6–13.4 ns, 3×3
//! and 4×4 within the noise (18–28 and 26–29 ns). At n = 8 the same code was
//! 40% slower (170 → 240 ns), so from n = 5 on the lanes are still moved one at
//! a time (`REGISTERS_MAX`), except whole chunks of `f64` of order 6 and 8 on
//! AVX2 CPUs: they go in by 4×4 vector transposes (`simd::gather_f64x4`,
//! `gather_f64x8`), and out by transposes into one matrix per slot, from
//! which each lane's columns are copied whole in their order. On a 2-core
//! Zen 5, `kernel_ns` over three interleaved rounds: 6×6 33.2–34.2 → 28.2
//! ns, 8×8 72.5–74.5 → 60.2–61.0 ns; the whole `inv` of 2 000 8×8 matrices
//! (in cache), CPU time on one thread over six interleaved rounds, best and
//! mean 83.0 / 88.4 → 76.3 / 81.4 ns. On 100 000 8×8 (inputs and outputs
//! streaming through memory) the difference was lost in the noise of the
//! machine.
//!
//! The lane kernel's whole chunks of `f64` in 4 lanes with `n²` a multiple of
//! 4 leave the lanes the same way (`scatter_slots`: transposed into one
//! matrix per slot, then each lane's columns copied whole), where element by
//! element each value was a load and a store of its own. `kernel_ns` on the
//! Zen 5, three interleaved rounds: 16×16 424–430 → 395–400 ns, 24×24
//! 1177–1197 → 1146–1175; the whole `inv` on one thread (CPU time, six
//! interleaved rounds, best and mean): 500 16×16 507.5 / 537.7 → 477.0 /
//! 516.3 ns, 300 24×24 1376 / 1473 → 1361 / 1438 ns.
//!
//! Those whole chunks also enter the lanes by 4×4 transposes
//! (`gather_lanes`: `simd::gather_segments`, a segment per column
//! where they are padded) where each column holds whole quads (`n` a multiple of 4)
//! or the columns are unpadded and `n²` is a multiple of 4 (even `n`); element
//! by element, every value was a scalar load and a scalar store into its lane.
//! On a 2-core Zen 4 (2026-12-04), `kernel_ns`, diagonally dominant, three
//! interleaved rounds: 10×10 175–236 → 145–157 ns, 16×16 342–412 → 324–369,
//! 32×32 2178–2590 → 2010–2345, 48×48 6433–7535 → 5911–7218, 64×64
//! 13.3–15.2 → 12.6–12.9 µs; the whole `inv` on one thread (CPU time,
//! `CPU=1 tiny_parts`, seven interleaved rounds, from memory): 16×16
//! 698–995 → 718–820 ns (median 927 → 781), 24×24 1802–2422 → 1667–1923,
//! 32×32 3.73–4.88 → 3.30–4.12 µs, 10×10 279–404 → 281–291 ns (three),
//! 64×64 20.6–21.8 → 17.7–20.0 µs (three). An earlier try of the same
//! gather (below) had measured the whole `inv` of 16×16 slower; that did not
//! reproduce. `f32` chunks (8 lanes) enter by 8×8 transposes
//! (`simd::gather_segments` in 8 lanes) where each column holds whole octets or the
//! columns are unpadded and `n²` is a multiple of 8: `kernel_ns`, three
//! interleaved rounds, 12×12 153–156 → 132–133 ns, 16×16 266–274 → 223–225,
//! 24×24 608–626 → 520–534, 32×32 1243–1256 → 1082–1106, 48×48 3585–3622 →
//! 3186–3292, 64×64 7287–7494 → 6631–6781; the whole `inv` on one thread
//! (CPU time, three rounds) 16×16 426–500 → 368–407 ns, 32×32 1835–2083 →
//! 1600–1674, 12×12 level (217–278 vs 237–273).
//!
//! A whole chunk in which no lane interchanged rows (and every lane
//! inverted) leaves the lanes by the same transposes straight into the
//! output (`scatter_lanes`), its columns already in order, where it entered
//! by them: no slots and column copies for `f64`, and no element-by-element
//! scatter for `f32`. `kernel_ns`, diagonally dominant, interleaved with the
//! build before over the three quietest of four rounds: `f64` 16×16 319–374 →
//! 278–337 ns, 32×32 1960–2519 → 1825–2304, 12×12 200–281 → 166–221; `f32`
//! 12×12 137–189 → 89–118, 16×16 232–338 → 163–208; general matrices level
//! (three rounds: `f64` 16×16 469–474 either way, 32×32 2554–2603 vs
//! 2574–2599). The whole `inv` on one thread (CPU time, three rounds): `f64`
//! 16×16 713–789 → 671–719 ns, 32×32 3.59–3.74 → 3.24–3.30 µs; `f32` 12×12
//! 209–235 → 158–181 ns, 16×16 369–383 → 261–279, 32×32 1550–1853 →
//! 1274–1408. Whole `f32` chunks that did interchange rows leave the lanes
//! by 8×8 transposes into slots, like `f64`'s (where `ld n` is a multiple of
//! 8): `KPIV=1 kernel_ns`, three interleaved rounds, 12×12 196–205 → 189–190
//! ns, 16×16 361–367 → 340–342, 32×32 1594–1643 → 1511–1550, 64×64 8977–9141
//! → 8628–8856.
//!
//! For 4×4 `f64` the AVX2 copy gathers and scatters the four lanes by 4×4
//! vector transposes (`simd::gather_f64x4`): element by element, the compiler
//! stored single values on the stack and read them back as vectors, which the
//! CPU cannot forward from the stores. Kernel time alone (a block in L1, one
//! thread, best of 400 runs; `cargo test --release --lib kernel_ns --
//! --ignored --nocapture`): 21.1 → 14.1 ns per matrix. The same transposes at
//! 2×2 were slower than element by element once the scatter below was fixed
//! (6.0 vs 5.2 ns), and an earlier element-by-element scatter written as a
//! closure called twice was compiled as a function, which kept the block in
//! memory: inlining it took 2×2 `f64` from 10.4 to 5.2 ns and 4×4 `f32` from
//! 15.2 to 12.2 ns. In an earlier try, the same transposes in the lane kernel's gather (f64,
//! even n) made it faster on a block in L1 (16×16: 511–545 → 464–470 ns) but
//! the whole `inv` of 20 000 16×16 matrices slower (CPU time, one thread:
//! 852–885 → 980–1086 ns): there the input streams from memory, and four
//! interleaved 2 KB streams were read worse than one matrix after another.
//!
//! `f64` of order 3, 4 and 8 runs 8 matrices per call on AVX2 CPUs: each lane
//! vector is two 256-bit vectors, so two independent chains of steps overlap
//! where one alone waits on its divisions and pivot comparisons (4×4: two 4×4
//! transposes per quarter of the block, `simd::gather_f64x8`). Kernel time per
//! matrix (`kernel_ns`, interleaved builds): 4×4 16.2 → 12.7–13.1 ns, 3×3
//! 14.7 → 12.3 ns, 8×8 93.3–93.7 → 85.5–86.9 ns; 5×5 and 6×6 lost (34.0 →
//! 37.4 ns, 51.3 → 54.5 ns), 7×7 stayed (64.2 ns), 2×2 lost (5.3 → 6.0 ns), so
//! those keep 4 lanes. The whole `inv` of 200 000 4×4 matrices, CPU time on
//! one thread, six interleaved rounds: the best four 19.1–24.2 → 18.1–21.0 ns.
//! On a Zen 3 (AVX2 + FMA, no AVX-512), 8×8 in 8 lanes against 4, builds
//! interleaved over four rounds: 120–153 against 144–173 ns per matrix (8
//! lanes faster in three rounds of four).
//! Compiling the unrolled kernels with AVX-512F/VL (32 registers, the same
//! 256-bit code) gained at most 2% in 8 lanes (4×4: 12.7–12.8 vs 12.7–13.1
//! ns) and lost in 4 (4×4 `f64` 21–22 ns either way before the transposes,
//! 4×4 `f32` 12 → 19 ns, re-measured 12.2 → 17.0 ns; 3×3 `f32` 8.9 → 14.7 ns),
//! as did the lane kernel (n = 16: 850 → 1240 ns): none uses it.
//!
//! Row interchanges in the unrolled kernels are applied in registers as each
//! column is loaded for the elimination (`gauss_jordan::step`), not in place
//! beforehand: in place, the compiler turned each blend whose other operand
//! was the value already in memory into a masked store (`vmaskmovpd`), slow on
//! AMD CPUs and not forwarded to the loads that follow. The benchmarks'
//! stacks are diagonally dominant and never interchange rows; general
//! matrices (`KPIV=1 ... kernel_ns`, entries uniform in [-1, 1)) do at most
//! steps. On a 2-core Zen 4, six runs of each build with them (interleaved):
//! `f64` 4×4 36.3–36.6 → 27.9–38.9 ns (27.9–28.3 in four), 6×6 77.1–78.3 →
//! 48.3–65.9 (48.3–49.8 in five), 8×8 234–250 → 154–202, `f32` 8×8 230–232 →
//! 134–178 (134–135 in four); the whole `inv` on one thread (CPU
//! time, 20 000 matrices, four rounds, `PIVOTING=1 CPU=1 tiny_parts`): 4×4
//! 65–83 → 50–59 ns, 8×8 465–585 → 368–443, `f32` 8×8 361–459 → 272–331.
//! Without interchanges the kernel keeps the old code path (a branch per
//! step; 6 rounds: 4×4 12.7–12.8 → 13.1–13.4 ns, 8×8 79.0–79.4 → 83.8–86.8,
//! the whole `inv` within the noise). Interchanging unconditionally, blends
//! and all, cost the diagonally dominant 8×8 79 → 143 ns. For n < 4 the
//! final column interchanges (`unpivot_columns`) stay blends in place: picking
//! each column by a chain of blends into a new block was slower, and so was
//! copying each lane's columns in their order (the whole `inv`, general 2×2:
//! 9–15 → 20–25 ns).
//!
//! For 4×4 `f64` (transposed out of the lanes, so the block is in memory and
//! those blends were masked stores) the columns are not interchanged at all:
//! each lane's destination column of every block column is computed in
//! registers (`gauss_jordan::column_destinations`, the same interchanges on
//! index values) and the transposed columns are stored there
//! (`simd::scatter_f64_columns`). On a 2-core Zen 4, `kernel_ns` over six
//! interleaved rounds, general matrices: 33.7–46.4 → 20.3–30.0 ns (median
//! 34.1 → 20.6); diagonally dominant ones, where the block is scattered as
//! before, 14.3–18.9 → 13.7–19.0 (median 14.7 → 14.0); the whole `inv` on one
//! thread (CPU time, 20 000 matrices, four rounds): general 49.5–67.6 →
//! 34.6–47.0 ns, diagonally dominant 25.3–28.6 vs 25.6–29.6. Whether a block
//! interchanged rows at all is now one test of all its pivots before the
//! unpivot, for every n: 2×2 `f32` 7.0 → 5.8 ns (median of six), 3×3 11.6 →
//! 12.2 (`f64`) and 9.6 → 10.0 (`f32`), 4×4 `f32` level. The same stores at
//! 8×8 (two quads per column) were slower than the transposes into slots and
//! the column copies (general 106–114 → 130–136 ns): there the destinations
//! take 7 steps of blends over 8 columns.
//!
//! Above [`REGISTERS_MAX`], a whole chunk in which no lane interchanged rows
//! is transposed straight into the output, not into slots first and copied
//! column by column (`kernel_ns`, five interleaved rounds, diagonally
//! dominant: 6×6 40.5–41.0 → 29.7–39.0 ns, 8×8 76.6–82.7 → 65.6–67.8; general
//! matrices level, 8×8 106–110 vs 108–116). The whole `inv` on one thread
//! (CPU time, 20 000 matrices, four rounds): 8×8 239–257 → 148–217 ns, 6×6
//! 91–112 → 52–111.
//!
//! Semantics are LAPACK's: the same pivots (first largest modulus, reciprocal
//! multipliers), an exactly zero pivot is `Singular` at the same step, and a
//! pivot too small for a reciprocal sends that matrix to LAPACK.

mod aligned;
mod blocked;
mod gauss_jordan;
mod simd;

use crate::scalar::Scalar;

use aligned::Aligned;
use blocked::Blocked;
pub(crate) use gauss_jordan::LaneStatus;
use gauss_jordan::{
    column_destinations, column_order, column_order_into, finite_probe, index_value, invert, step,
    unpivot_columns, FixedState,
};
use simd::{Fused, Vectorised};

/// Matrices handled per call of [`Workspace::invert_block`] (one dispatch, one
/// failure check): a multiple of every lane count.
pub(crate) const BLOCK: usize = 32;

/// Largest order with a fully unrolled kernel.
pub(crate) const UNROLLED_MAX: usize = 8;

/// The most matrices a partial last chunk of order `n` may hold and still be
/// inverted [one at a time](blocked) rather than in lanes: padded with
/// identities, a chunk costs the lane kernel a whole chunk's work however few
/// matrices it holds. 0 up to [`UNROLLED_MAX`] (the unrolled kernels are cheap
/// per chunk). From the lane kernel's time per matrix over the blocked one's,
/// `r` (`kernel_ns`, a block in L1, one thread, a 2-core Zen 4): one at a time
/// while `count < lanes * r`. `f64` (4 lanes): `r` 0.29 at n = 9, 0.49 at 16,
/// 0.46 at 20, 0.62 at 24, 0.71 at 32, 0.80 at 48, 0.88 at 64; `f32` (8
/// lanes): 0.23 at 9, 0.27 at 12, 0.40 at 16 and 24, 0.50 at 32, 0.61 at 48,
/// 0.69 at 64.
///
/// Measured again at 48 and 64 after the lane kernel's columns were padded
/// ([`lane_stride`]), on a Zen 4 VM, three interleaved rounds each of
/// diagonally dominant and of general matrices (`KPIV=1`), `r` alike for both:
/// `f64` 0.82–0.85 at 48 (one disturbed run left out), 0.86–0.94 at 64;
/// `f32` 0.53–0.57 at 48, 0.62–0.64 at 64. The limits stand: 3 for `f64`
/// (`4 r` 3.3–3.8), 4 for `f32` (`8 r` 4.2–4.6 at 48; 5.0–5.2 at 64, where a
/// partial chunk of five costs either kernel the same).
pub(crate) fn one_at_a_time_max<T>(n: usize) -> usize {
    if n <= UNROLLED_MAX {
        0
    } else if std::mem::size_of::<T>() == 4 {
        match n {
            ..12 => 1,
            12..16 => 2,
            16..48 => 3,
            _ => 4,
        }
    } else {
        match n {
            ..24 => 1,
            24..48 => 2,
            _ => 3,
        }
    }
}

/// The lane kernel's column stride for order `n`, in lane vectors (32 bytes
/// each: 4 `f64` or 8 `f32` lanes): `n`, or `n + 2` where `n` is a multiple of
/// 16 above 16. A row interchange, lane by lane, touches one vector in every
/// column, so `n` vectors a stride apart: at `n` = 64 (2 KB) they fall in 2 of
/// L1's 64 sets (8 ways each), at 32 in 4, at 48 in 8: more lines than those
/// sets hold, so every step's interchange missed L1. With the stride `n + 2`
/// (an odd number of cache lines) they spread over all 64 sets. `kernel_ns`,
/// one thread, general `f64` matrices on a 2-core Zen 4: 64×64 35.8–38.0 →
/// 18.1–18.2 µs (three rounds each; padded by one vector 18.7–23.4, by four
/// 18.2–18.7; the blocked kernel, which had taken every 64×64 matrix until
/// then, 24.4–25.3), 48×48 9.1–12.9 → 8.7–9.0, 32×32 3.6–4.8 → 3.2–3.3 (two
/// rounds unpadded, nine padded by 1, 2 or 4 vectors); 16×16 (16 vectors in
/// 8 sets) and the orders in between unchanged within the noise, and 60×60
/// padded to a stride of 64 went from 15.1–15.4 to 29.9–32.1 µs: the same
/// conflict.
pub(crate) const fn lane_stride(n: usize) -> usize {
    if n % 16 == 0 && n > 16 {
        n + 2
    } else {
        n
    }
}

/// Largest order the kernels take (see the crossovers above).
pub(crate) const MAX_N: usize = 64;

/// Whether matrices of type `T` and order `n` have an own kernel.
pub(crate) fn has_kernel<T: Scalar>(n: usize) -> bool {
    !T::IS_COMPLEX && (1..=MAX_N).contains(&n)
}

/// One worker's scratch for the kernels of order `n`: a few kilobytes for the
/// unrolled sizes (kept on the stack); above, `n` columns of
/// [`lane_stride`]`(n)` lane vectors (one matrix per lane; at n = 64, 132 KB,
/// and as much again for the slots of `f64` and `f32`) and one
/// padded matrix for the one-at-a-time kernel, each on a cache line.
pub(crate) struct Workspace<T> {
    n: usize,
    check_finite: bool,
    idx: Vec<T>,
    /// Matrices per kernel call: one per SIMD lane, or 1 (every matrix one
    /// at a time, vectorised along its columns: tests and benchmarks only).
    lanes: usize,
    /// The one-at-a-time kernel's scratch, above [`UNROLLED_MAX`]: for a
    /// partial last chunk of at most [`one_at_a_time_max`] matrices.
    one: Option<Blocked<T>>,
    a4: Aligned<[T; 4]>,
    a8: Aligned<[T; 8]>,
    piv4: Aligned<[T; 4]>,
    piv8: Aligned<[T; 8]>,
    order: Vec<usize>,
    /// The lane kernel's inverted chunk, one matrix per slot (see
    /// `Job::chunk`): `f64` in 4 lanes and `f32` in 8 (see [`slots_by_transposes`]).
    slots: Aligned<T>,
}

impl<T: Scalar> Workspace<T> {
    /// Scratch for order `n` (`has_kernel::<T>(n)` must hold); with `check_finite`,
    /// matrices holding NaN or ±inf get the status `NonFinite`.
    pub(crate) fn new(n: usize, check_finite: bool) -> Self {
        debug_assert!(has_kernel::<T>(n));
        Self::with_lanes(n, check_finite, lane_count::<T>(n))
    }

    /// [`new`](Self::new) with `lanes` matrices per kernel call (4 or 8; 1,
    /// the blocked kernel for every matrix): tests compare the lane counts,
    /// the benchmark below measures the two kernels.
    fn with_lanes(n: usize, check_finite: bool, lanes: usize) -> Self {
        debug_assert!(has_kernel::<T>(n));
        debug_assert!(matches!(lanes, 1 | 4 | 8));
        let dynamic = n > UNROLLED_MAX;
        let ld = lane_stride(n);
        let size = |l: usize| if dynamic && lanes == l { ld * n } else { 0 };
        let (nn4, nn8) = (size(4), size(8));
        Workspace {
            n,
            check_finite,
            idx: (0..=n).map(index_value).collect(),
            lanes,
            one: (lanes == 1 || dynamic).then(|| Blocked::new(n)),
            a4: Aligned::new(nn4, [T::zero(); 4]),
            a8: Aligned::new(nn8, [T::zero(); 8]),
            piv4: Aligned::new(if nn4 > 0 { n } else { 0 }, [T::zero(); 4]),
            piv8: Aligned::new(if nn8 > 0 { n } else { 0 }, [T::zero(); 8]),
            order: vec![0; n],
            slots: Aligned::new(
                if slots_by_transposes::<T, 4>(n, ld) {
                    nn4 * 4
                } else if slots_by_transposes::<T, 8>(n, ld) {
                    nn8 * 8
                } else {
                    0
                },
                T::zero(),
            ),
        }
    }

    /// Inverts the matrices of `block` (at most [`BLOCK`] C-order `n×n` slots, one
    /// after another) in place. A matrix whose status is not `Ok` is left as it
    /// was; its status says why (`Singular` at the pivot LAPACK's `getrf` would
    /// report, or `Fallback`: to be inverted by LAPACK).
    ///
    /// With `src` (as many elements as `block`), the matrices are read from `src`
    /// instead, and a matrix whose status is not `Ok` is copied from `src` as is:
    /// one pass over the input, no separate copy. `ahead` is the input that
    /// follows `src` (empty if none, or without `src`): its first matrices are
    /// prefetched while the last of `src` are inverted.
    pub(crate) fn invert_block(
        &mut self,
        src: Option<&[T]>,
        ahead: &[T],
        block: &mut [T],
    ) -> [LaneStatus; BLOCK] {
        let nn = self.n * self.n;
        let count = block.len() / nn;
        debug_assert!(count <= BLOCK && block.len() == count * nn);
        debug_assert!(src.is_none_or(|s| s.len() == block.len()));
        // Matrices in lanes: all, but none with `lanes == 1`, and not a partial
        // last chunk few enough to go one at a time.
        let tail = count % self.lanes;
        let in_lanes = if self.lanes == 1 {
            0
        } else if tail > 0 && tail <= one_at_a_time_max::<T>(self.n) {
            count - tail
        } else {
            count
        };
        let (head, rest) = block.split_at_mut(in_lanes * nn);
        let (src_head, src_rest) = src.map(|s| s.split_at(in_lanes * nn)).unzip();
        // What the lanes read after `src_head`: the matrices left for one at a
        // time, else the next block.
        let head_ahead = match src_rest {
            Some(rest) if !rest.is_empty() => rest,
            _ => ahead,
        };
        let mut status = match (in_lanes, self.lanes) {
            (0, _) => [LaneStatus::Ok; BLOCK],
            (_, 4) => self.lanes::<4>(src_head, head_ahead, head),
            _ => self.lanes::<8>(src_head, head_ahead, head),
        };
        if in_lanes < count {
            let Some(one) = &mut self.one else {
                unreachable!("one at a time only above the unrolled orders, with its scratch");
            };
            let mut job = OneAtATime {
                src: src_rest,
                part: rest,
                ws: one,
                check_finite: self.check_finite,
                status: [LaneStatus::Ok; BLOCK],
            };
            simd::run_fused_wide(&mut job);
            status[in_lanes..count].copy_from_slice(&job.status[..count - in_lanes]);
        }
        status
    }

    /// The block through the kernel for this `n`, `L` matrices at a time, in one
    /// dispatched call.
    #[inline]
    fn lanes<const L: usize>(
        &mut self,
        src: Option<&[T]>,
        ahead: &[T],
        part: &mut [T],
    ) -> [LaneStatus; BLOCK] {
        let next = NextInput::new(src, ahead, L * self.n * self.n);
        macro_rules! fixed {
            ($($n:literal)*) => {
                match self.n {
                    $($n => {
                        let mut job = Fixed::<T, L, $n> {
                            src, next, part, idx: &self.idx, check_finite: self.check_finite,
                            status: [LaneStatus::Ok; BLOCK],
                        };
                        simd::run(&mut job);
                        return job.status;
                    })*
                    _ => {}
                }
            };
        }
        fixed!(1 2 3 4 5 6 7 8);
        // n = 16 with the order a compile-time constant: faster only for `f64`
        // on AVX2 + FMA (`kernel_ns`, three interleaved rounds on a Zen 4,
        // constant against run-time order: `f64` 419–432 vs 456–493 ns, with
        // row interchanges 587–621 vs 625–665; `f32` 359–373 vs 321–327; on
        // the baseline instruction set `f64` 1231–1270 vs 934–949, `f32`
        // 1172 vs 707–714).
        if self.n == 16 && std::mem::size_of::<T>() == 8 && simd::has_avx2_fma() {
            self.job::<L, 16>(src, next, part)
        } else {
            self.job::<L, 0>(src, next, part)
        }
    }

    /// The block through the lane kernel for an order above [`UNROLLED_MAX`]:
    /// `N` when it is a compile-time constant, else 0 (the order known at run
    /// time).
    #[inline]
    fn job<const L: usize, const N: usize>(
        &mut self,
        src: Option<&[T]>,
        next: Option<NextInput<'_, T>>,
        part: &mut [T],
    ) -> [LaneStatus; BLOCK] {
        let (a, piv) = if L == 4 {
            (as_lanes(&mut self.a4), as_lanes(&mut self.piv4))
        } else {
            (as_lanes(&mut self.a8), as_lanes(&mut self.piv8))
        };
        let (Some(a), Some(piv)) = (a, piv) else {
            unreachable!("the workspace was sized for this type's lane count");
        };
        let mut job = Job::<T, L, N> {
            src,
            next,
            n: self.n,
            ld: lane_stride(self.n),
            order: &mut self.order,
            slots: &mut self.slots,
            check_finite: self.check_finite,
            part,
            a,
            piv,
            idx: &self.idx,
            status: [LaneStatus::Ok; BLOCK],
        };
        simd::run_fused(&mut job);
        job.status
    }
}

/// Lanes per vector for `T`: 256 bits.
const fn lanes<T>() -> usize {
    if std::mem::size_of::<T>() == 4 {
        8
    } else {
        4
    }
}

/// Matrices per kernel call for order `n`: 8 for `f64` of order 3, 4 and 8 where
/// the CPU has AVX2 (two 256-bit vectors per lane vector: two independent
/// chains of steps, one for each half, overlap where one chain alone waits on
/// its divisions and comparisons); else one 256-bit vector's worth
/// ([`lanes`]).
fn lane_count<T: Scalar>(n: usize) -> usize {
    if std::mem::size_of::<T>() == 8 && matches!(n, 3 | 4 | 8) && simd::has_avx2() {
        8
    } else {
        lanes::<T>()
    }
}

/// `v` as a slice of `[T; L]` when its arrays have exactly `L` lanes.
fn as_lanes<T: 'static, const M: usize, const L: usize>(
    v: &mut Aligned<[T; M]>,
) -> Option<&mut [[T; L]]> {
    (v as &mut dyn std::any::Any)
        .downcast_mut::<Aligned<[T; L]>>()
        .map(|v| &mut v[..])
}

/// The input of a kernel job as its chunks read it, for prefetching the next
/// chunk's matrices into L1 while a chunk is inverted: `src` is the job's input,
/// `ahead` the input that follows it.
///
/// Reading the input from memory otherwise stalls each chunk's gather: the
/// hardware prefetchers do not run ahead of a stream that is read in bursts a
/// chunk's inversion apart.
#[derive(Clone, Copy)]
struct NextInput<'a, T> {
    src: &'a [T],
    ahead: &'a [T],
    /// Elements per chunk.
    chunk: usize,
}

impl<'a, T> NextInput<'a, T> {
    /// For chunks of `chunk` elements read from `src`: `None` without `src`, or
    /// where chunks of that size are not worth prefetching. That is below 512
    /// bytes (8 cache lines) and above 8 KiB.
    ///
    /// Small chunks are inverted so fast that the hardware prefetchers keep
    /// up, and the prefetches only cost. Large chunks take long enough to
    /// invert for the hardware prefetchers to keep up too, and there the
    /// prefetches cost as well. Measured on a 2-core Zen 3 (AVX2, 32 KiB L1):
    /// `inv` on one thread, output recycled (no page faults), interleaved
    /// rounds, wall ns per matrix without → with:
    /// - `f64` 8×8 (4 KiB chunks): 169–179 → 147–161.
    /// - 12×12: 434–489 → 382–425.
    /// - 16×16 (8 KiB): 709–767 → 668–712.
    /// - 20×20 (12.5 KiB): level (1269–1351 vs 1283–1328).
    /// - 24×24 (18 KiB): 1934–2062 → 1989–2094.
    /// - 32×32 (32 KiB): 3993–4144 → 4143–4414.
    /// - 64×64: 25.3–25.6 → 25.6–25.9 µs.
    ///
    /// Prefetching into L2 instead of L1 made no difference. Below 512 bytes,
    /// the same measurement with prefetches at every size against this rule,
    /// four rounds: `f64` 2×2 (128-byte chunks) 12.4–12.5 → 13.2–13.4 ns, 4×4
    /// 27.9–29.9 → 28.8–36.4; `f32` 2×2 12.3–12.6 → 12.9–13.9.
    #[inline(always)]
    fn new(src: Option<&'a [T]>, ahead: &'a [T], chunk: usize) -> Option<Self> {
        let worth = (513..=8 * 1024).contains(&(chunk * std::mem::size_of::<T>()));
        src.filter(|_| worth)
            .map(|src| NextInput { src, ahead, chunk })
    }

    /// Prefetches chunk `c` (numbered from the start of `src`), or as much of it
    /// as there is: in `src`, else in `ahead`.
    #[inline(always)]
    fn fetch(&self, c: usize) {
        let start = c * self.chunk;
        let (from, at) = if start < self.src.len() {
            (self.src, start)
        } else {
            (self.ahead, start - self.src.len())
        };
        let at = at.min(from.len());
        simd::prefetch(&from[at..(at + self.chunk).min(from.len())]);
    }
}

/// One kernel call for the compile-time order `N`: gather `part` into lanes,
/// invert, scatter the good lanes back.
struct Fixed<'a, T, const L: usize, const N: usize> {
    src: Option<&'a [T]>,
    /// The next chunk's input, where it is prefetched.
    next: Option<NextInput<'a, T>>,
    part: &'a mut [T],
    idx: &'a [T],
    check_finite: bool,
    status: [LaneStatus; BLOCK],
}

impl<T: Scalar, const L: usize, const N: usize> Vectorised for Fixed<'_, T, L, N> {
    #[inline(always)]
    fn run<const AVX2: bool>(&mut self) {
        let nn = N * N;
        let mut srcs = self.src.map(|s| s.chunks(L * nn));
        let chunks = self
            .status
            .chunks_exact_mut(L)
            .zip(self.part.chunks_mut(L * nn));
        // The lanes above REGISTERS_MAX, in memory: zeroed once per block, then
        // written whole by each chunk's gather. Zeroed per chunk, they were a
        // 2 KB `memset` call per four 8×8 `f64` matrices in some builds (93 →
        // 107 ns per matrix). Below, each chunk has its own, kept in registers.
        let mut lanes = [[[T::zero(); L]; N]; N];
        // One matrix per slot, for the transposed scatter above REGISTERS_MAX
        // (written whole before it is read): once per block, not per chunk.
        let mut slots = [[[T::zero(); N]; N]; L];
        for (c, (status, part)) in chunks.enumerate() {
            let src = srcs.as_mut().and_then(Iterator::next);
            if let Some(next) = &self.next {
                next.fetch(c + 1);
            }
            let (idx, check) = (self.idx, self.check_finite);
            status.copy_from_slice(&if N > REGISTERS_MAX {
                fixed_chunk::<T, L, N, AVX2>(src, part, &mut lanes, &mut slots, idx, check)
            } else {
                let mut local = [[[T::zero(); L]; N]; N];
                fixed_chunk::<T, L, N, AVX2>(src, part, &mut local, &mut slots, idx, check)
            });
        }
    }
}

/// Up to `L` matrices of order `N` (`part`, read from `src` when given) through
/// the unrolled kernel, in the lanes `a` (any values: every lane is written
/// before it is read).
#[inline(always)]
fn fixed_chunk<T: Scalar, const L: usize, const N: usize, const AVX2: bool>(
    src: Option<&[T]>,
    part: &mut [T],
    a: &mut [[[T; L]; N]; N],
    slots: &mut [[[T; N]; N]; L],
    idx: &[T],
    check_finite: bool,
) -> [LaneStatus; L] {
    {
        let nn = N * N;
        let count = part.len() / nn;
        let input: &[T] = src.unwrap_or(part);
        // Up to n = REGISTERS_MAX, `a` is only ever indexed by constants (every
        // loop below and in `step` unrolls), so that it can live in registers: a
        // partial chunk is first padded in `pad` (initialised only then), one
        // matrix per lane. Missing lanes get the identity, which inverts without
        // incident.
        let mut pad;
        if N > REGISTERS_MAX {
            if count == L && by_transposes::<T, L, N, AVX2>() {
                gather_by_transposes::<T, L, N, AVX2>(a, &input[..L * nn]);
            } else {
                gather_by_lane(a, input, count);
            }
        } else {
            let full: &[T] = if count == L {
                &input[..L * nn]
            } else {
                pad = [[[T::zero(); N]; N]; L];
                for (l, m) in pad.iter_mut().enumerate() {
                    for (c, row) in m.iter_mut().enumerate() {
                        for (r, x) in row.iter_mut().enumerate() {
                            *x = match input.get(l * nn + c * N + r) {
                                Some(&v) if l < count => v,
                                _ if r == c => T::one(),
                                _ => T::zero(),
                            };
                        }
                    }
                }
                pad.as_flattened().as_flattened()
            };
            if by_transposes::<T, L, N, AVX2>() {
                gather_by_transposes::<T, L, N, AVX2>(a, full);
            } else {
                for (c, col) in a.iter_mut().enumerate() {
                    for (r, x) in col.iter_mut().enumerate() {
                        *x = std::array::from_fn(|l| full[l * nn + c * N + r]);
                    }
                }
            }
        }
        let mut st = FixedState::<T, N, L>::new(idx);
        if check_finite {
            st.probe = finite_probe(a.iter().map(|c| &c[..]));
        }
        macro_rules! steps {
            ($($n:literal => [$($k:literal)*]),*) => {
                match N {
                    $($n => { $(step(a, $k, &mut st, idx);)* })*
                    _ => unreachable!("the unrolled kernels stop at UNROLLED_MAX"),
                }
            };
        }
        steps!(
            1 => [0],
            2 => [0 1],
            3 => [0 1 2],
            4 => [0 1 2 3],
            5 => [0 1 2 3 4],
            6 => [0 1 2 3 4 5],
            7 => [0 1 2 3 4 5 6],
            8 => [0 1 2 3 4 5 6 7]
        );
        let status = st.status(idx);
        let all_ok = status.iter().all(|&s| s == LaneStatus::Ok);
        if N > REGISTERS_MAX {
            if count == L && by_transposes::<T, L, N, AVX2>() {
                if all_ok && !interchanged(&st.piv, idx) {
                    // No lane interchanged rows: straight into `part`.
                    scatter_by_transposes::<T, L, N, AVX2>(a, &mut part[..L * nn]);
                    return status;
                }
                // Transposed into one matrix per slot, then each lane's
                // columns put back in order whole.
                scatter_by_transposes::<T, L, N, AVX2>(
                    a,
                    slots.as_flattened_mut().as_flattened_mut(),
                );
                for (l, m) in part.chunks_exact_mut(nn).enumerate() {
                    if status[l] == LaneStatus::Ok {
                        let order = column_order(&st.piv, l, idx);
                        for (&c, dst) in order.iter().zip(m.chunks_exact_mut(N)) {
                            dst.copy_from_slice(&slots[l][c]);
                        }
                    } else if let Some(src) = src {
                        m.copy_from_slice(&src[l * nn..(l + 1) * nn]);
                    }
                }
            } else {
                scatter_by_lane(a, &st.piv, idx, &status, src, part);
            }
            return status;
        }
        if interchanged(&st.piv, idx) {
            if N == 4 && count == L && all_ok && by_transposes::<T, L, N, AVX2>() {
                // Each lane's columns stored where they belong instead of
                // interchanged in the block first (there, with the block in
                // memory for the transposes, each blend was a masked store).
                let dest = column_destinations(&st.piv, idx);
                scatter_columns::<T, L, N, AVX2>(a, &dest, &mut part[..L * nn]);
                return status;
            }
            unpivot_columns(a, &st.piv, idx);
        }
        // Scattered straight into `part` when every lane is there and inverted,
        // else into `lanes_out`, and from there lane by lane.
        if count == L && all_ok {
            scatter_constant::<T, L, N, AVX2>(a, &mut part[..L * nn]);
            return status;
        }
        let mut lanes_out = [[[T::zero(); N]; N]; L];
        scatter_constant::<T, L, N, AVX2>(a, lanes_out.as_flattened_mut().as_flattened_mut());
        let lanes_out = lanes_out.as_flattened().as_flattened();
        for (l, m) in part.chunks_exact_mut(nn).enumerate() {
            if status[l] == LaneStatus::Ok {
                m.copy_from_slice(&lanes_out[l * nn..(l + 1) * nn]);
            } else if let Some(src) = src {
                m.copy_from_slice(&src[l * nn..(l + 1) * nn]);
            }
        }
        status
    }
}

/// The lanes of `a` into `out` (`L` C-order matrices) by constant indices.
/// `#[inline(always)]`: as a closure called twice it was compiled as a
/// function, which kept `a` in memory (14% of the 4×4 kernel's time).
#[inline(always)]
fn scatter_constant<T: Scalar, const L: usize, const N: usize, const AVX2: bool>(
    a: &[[[T; L]; N]; N],
    out: &mut [T],
) {
    if by_transposes::<T, L, N, AVX2>() {
        scatter_by_transposes::<T, L, N, AVX2>(a, out);
        return;
    }
    let nn = N * N;
    for (c, col) in a.iter().enumerate() {
        for (r, x) in col.iter().enumerate() {
            for (l, &v) in x.iter().enumerate() {
                out[l * nn + c * N + r] = v;
            }
        }
    }
}

/// Whether [`gather_by_transposes`] and [`scatter_by_transposes`] apply: real
/// `f64` in 4 or 8 lanes, AVX2 code on x86-64, and n = 4, or n above
/// [`REGISTERS_MAX`] with `n²` a multiple of 4 (6 and 8; there for whole
/// chunks only).
#[inline(always)]
fn by_transposes<T: Scalar, const L: usize, const N: usize, const AVX2: bool>() -> bool {
    cfg!(target_arch = "x86_64")
        && AVX2
        && (L == 4 || L == 8)
        && (N == 4 || (N > REGISTERS_MAX && N * N % 4 == 0))
        && std::any::TypeId::of::<T>() == std::any::TypeId::of::<f64>()
}

/// Whether some lane interchanged rows at some step (`piv[k][l] != idx[k]`).
#[inline(always)]
fn interchanged<T: Scalar, const L: usize>(piv: &[[T; L]], idx: &[T]) -> bool {
    // Without early exits: vector comparisons and one test.
    let mut any = false;
    for (p, &i) in piv.iter().zip(idx) {
        for &x in p {
            any |= x != i;
        }
    }
    any
}

/// `lanes[l * 16 + 4 * dest[c][l] + r] = a[c][r][l]`: [`scatter_by_transposes`]
/// for 4×4 with each lane's columns stored in the order `dest` (see
/// `gauss_jordan::column_destinations`); only where [`by_transposes`] holds.
#[inline(always)]
fn scatter_columns<T: Scalar, const L: usize, const N: usize, const AVX2: bool>(
    a: &[[[T; L]; N]; N],
    dest: &[[T; L]; N],
    lanes: &mut [T],
) {
    assert!(N == 4 && by_transposes::<T, L, N, AVX2>());
    #[cfg(target_arch = "x86_64")]
    {
        let a = a.as_flattened();
        // SAFETY: as in `gather_by_transposes` (`T` is `f64`, asserted), so
        // `dest` is `[[f64; L]; N]`.
        unsafe {
            let lanes =
                std::slice::from_raw_parts_mut(lanes.as_mut_ptr().cast::<f64>(), lanes.len());
            let dest = &*dest.as_ptr().cast::<[[f64; L]; N]>();
            let a = std::slice::from_raw_parts(a.as_ptr().cast::<[f64; L]>(), a.len());
            simd::scatter_f64_columns(a, dest, lanes);
        }
    }
}

/// `a[e][l] = lanes[l * n² + e]` by 4×4 vector transposes (see
/// `simd::gather_f64x4`); only where [`by_transposes`] holds.
#[inline(always)]
fn gather_by_transposes<T: Scalar, const L: usize, const N: usize, const AVX2: bool>(
    a: &mut [[[T; L]; N]; N],
    lanes: &[T],
) {
    assert!(by_transposes::<T, L, N, AVX2>());
    #[cfg(target_arch = "x86_64")]
    {
        let a = a.as_flattened_mut();
        // SAFETY: `T` is `f64` and `L` is 4 (asserted), so `[T; L]` is
        // `[f64; 4]`; the lengths are unchanged. `AVX2` is only true in code
        // run on CPUs with AVX2 (see `simd::Vectorised`).
        unsafe {
            let lanes = std::slice::from_raw_parts(lanes.as_ptr().cast::<f64>(), lanes.len());
            if L == 4 {
                let a = std::slice::from_raw_parts_mut(a.as_mut_ptr().cast::<[f64; 4]>(), a.len());
                simd::gather_f64x4(lanes, a);
            } else {
                let a = std::slice::from_raw_parts_mut(a.as_mut_ptr().cast::<[f64; 8]>(), a.len());
                simd::gather_f64x8(lanes, a);
            }
        }
    }
}

/// `lanes[l * n² + e] = a[e][l]`, the inverse of [`gather_by_transposes`].
#[inline(always)]
fn scatter_by_transposes<T: Scalar, const L: usize, const N: usize, const AVX2: bool>(
    a: &[[[T; L]; N]; N],
    lanes: &mut [T],
) {
    assert!(by_transposes::<T, L, N, AVX2>());
    #[cfg(target_arch = "x86_64")]
    {
        let a = a.as_flattened();
        // SAFETY: as in `gather_by_transposes`.
        unsafe {
            let lanes =
                std::slice::from_raw_parts_mut(lanes.as_mut_ptr().cast::<f64>(), lanes.len());
            if L == 4 {
                let a = std::slice::from_raw_parts(a.as_ptr().cast::<[f64; 4]>(), a.len());
                simd::scatter_f64x4(a, lanes);
            } else {
                let a = std::slice::from_raw_parts(a.as_ptr().cast::<[f64; 8]>(), a.len());
                simd::scatter_f64x8(a, lanes);
            }
        }
    }
}

/// Largest compile-time order whose lanes are gathered and scattered by constant
/// indices (see `fixed_chunk`). Above, `a` (`n²` vectors) cannot live in
/// registers anyway, and the constant-index code measured slower (100 000 8×8
/// f64 matrices, one thread: 170 → 240 ns each): the lanes are moved one at a
/// time instead.
const REGISTERS_MAX: usize = 4;

/// `a` from the first `count` matrices of `input`, one per lane; missing lanes
/// get the identity.
#[inline(always)]
fn gather_by_lane<T: Scalar, const L: usize, const N: usize>(
    a: &mut [[[T; L]; N]; N],
    input: &[T],
    count: usize,
) {
    let nn = N * N;
    for (l, m) in input.chunks_exact(nn).take(count).enumerate() {
        for (col, src) in a.iter_mut().zip(m.chunks_exact(N)) {
            for (x, &v) in col.iter_mut().zip(src) {
                x[l] = v;
            }
        }
    }
    for l in count..L {
        for (c, col) in a.iter_mut().enumerate() {
            for (r, x) in col.iter_mut().enumerate() {
                x[l] = if r == c { T::one() } else { T::zero() };
            }
        }
    }
}

/// The inverted lanes of `a` into their slots of `part` (each lane's row
/// interchanges undone as it is written); a lane that failed is copied from
/// `src` when given, else left.
#[inline(always)]
fn scatter_by_lane<T: Scalar, const L: usize, const N: usize>(
    a: &[[[T; L]; N]; N],
    piv: &[[T; L]; N],
    idx: &[T],
    status: &[LaneStatus; L],
    src: Option<&[T]>,
    part: &mut [T],
) {
    let nn = N * N;
    for (l, m) in part.chunks_exact_mut(nn).enumerate() {
        if status[l] == LaneStatus::Ok {
            let order = column_order(piv, l, idx);
            for (&c, dst) in order.iter().zip(m.chunks_exact_mut(N)) {
                for (x, v) in a[c].iter().zip(dst) {
                    *v = x[l];
                }
            }
        } else if let Some(src) = src {
            m.copy_from_slice(&src[l * nn..(l + 1) * nn]);
        }
    }
}

/// One kernel call for an order known at run time: the block `L` matrices at a
/// time (gather into lanes, invert, scatter the good lanes back).
/// `N` is the order when it is a compile-time constant (unrolled), 0 otherwise.
struct Job<'a, T, const L: usize, const N: usize> {
    src: Option<&'a [T]>,
    /// The next chunk's input, where it is prefetched.
    next: Option<NextInput<'a, T>>,
    n: usize,
    /// The column stride of `a`, in lane vectors ([`lane_stride`]).
    ld: usize,
    order: &'a mut [usize],
    slots: &'a mut [T],
    check_finite: bool,
    part: &'a mut [T],
    a: &'a mut [[T; L]],
    piv: &'a mut [[T; L]],
    idx: &'a [T],
    status: [LaneStatus; BLOCK],
}

impl<T: Scalar, const L: usize, const N: usize> Fused for Job<'_, T, L, N> {
    #[inline(always)]
    fn run<const FMA: bool>(&mut self) {
        let n = if N > 0 { N } else { self.n };
        let nn = n * n;
        let part = std::mem::take(&mut self.part);
        let mut srcs = self.src.map(|s| s.chunks(L * nn));
        for (c, chunk) in part.chunks_mut(L * nn).enumerate() {
            let src = srcs.as_mut().and_then(Iterator::next);
            if let Some(next) = &self.next {
                next.fetch(c + 1);
            }
            let status = self.chunk::<FMA>(n, src, chunk);
            self.status[c * L..(c + 1) * L].copy_from_slice(&status);
        }
    }
}

impl<T: Scalar, const L: usize, const N: usize> Job<'_, T, L, N> {
    /// Up to `L` matrices (`part`, read from `src` when given).
    #[inline(always)]
    fn chunk<const FMA: bool>(
        &mut self,
        n: usize,
        src: Option<&[T]>,
        part: &mut [T],
    ) -> [LaneStatus; L] {
        let nn = n * n;
        // A compile-time order has a compile-time stride.
        let ld = if N > 0 { lane_stride(N) } else { self.ld };
        let a = &mut self.a[..ld * n];
        let count = part.len() / nn;
        let input: &[T] = src.unwrap_or(part);
        // A whole chunk in and out by transposes (see `lanes_by_transposes`).
        let transposed = FMA && count == L && lanes_by_transposes::<T, L>(n, ld);
        if transposed {
            gather_lanes(&input[..L * nn], n, ld, a);
        } else {
            for (l, m) in input.chunks_exact(nn).enumerate() {
                for (col, m) in a.chunks_exact_mut(ld).zip(m.chunks_exact(n)) {
                    for (x, &v) in col.iter_mut().zip(m) {
                        x[l] = v;
                    }
                }
            }
        }
        // Missing lanes get the identity, which inverts without incident.
        for l in count..L {
            for (c, col) in a.chunks_exact_mut(ld).enumerate() {
                for (r, x) in col[..n].iter_mut().enumerate() {
                    x[l] = if r == c { T::one() } else { T::zero() };
                }
            }
        }
        let probe = if self.check_finite {
            finite_probe(a.chunks_exact(ld).map(|c| &c[..n]))
        } else {
            [<T::Real as num_traits::Zero>::zero(); L]
        };
        let status = invert::<T, L, FMA>(n, ld, a, &mut self.piv[..n], &self.idx[..=n], probe);
        let order = &mut self.order[..n];
        if transposed
            && status.iter().all(|&s| s == LaneStatus::Ok)
            && !interchanged(&self.piv[..n], &self.idx[..n])
        {
            // A whole chunk in which no lane interchanged rows: transposed
            // straight into `part`, its columns already in order.
            scatter_lanes(a, n, ld, part);
            return status;
        }
        if FMA && count == L && slots_by_transposes::<T, L>(n, ld) {
            // A whole chunk: transposed into one matrix per slot (columns
            // `ld` apart), then each lane's columns copied whole in their
            // order.
            let size = ld * n;
            let slots = &mut self.slots[..L * size];
            scatter_slots(a, slots);
            for (l, m) in part.chunks_exact_mut(nn).enumerate() {
                if status[l] == LaneStatus::Ok {
                    column_order_into(&self.piv[..n], l, order);
                    let slot = &slots[l * size..(l + 1) * size];
                    for (&c, dst) in order.iter().zip(m.chunks_exact_mut(n)) {
                        dst.copy_from_slice(&slot[c * ld..c * ld + n]);
                    }
                } else if let Some(src) = src {
                    m.copy_from_slice(&src[l * nn..(l + 1) * nn]);
                }
            }
            return status;
        }
        for (l, m) in part.chunks_exact_mut(nn).enumerate() {
            if status[l] == LaneStatus::Ok {
                column_order_into(&self.piv[..n], l, order);
                for (&c, dst) in order.iter().zip(m.chunks_exact_mut(n)) {
                    for (x, v) in a[c * ld..c * ld + n].iter().zip(dst) {
                        *v = x[l];
                    }
                }
            } else if let Some(src) = src {
                m.copy_from_slice(&src[l * nn..(l + 1) * nn]);
            }
        }
        status
    }
}

/// Whether `T` in `L` lanes has transposes in and out of the lanes (see
/// `simd`): `f64` in 4 lanes or `f32` in 8, on x86-64 (the caller also needs
/// AVX2, implied by its fused variant).
fn transposed_lanes<T: Scalar, const L: usize>() -> bool {
    let id = std::any::TypeId::of::<T>();
    cfg!(target_arch = "x86_64")
        && (L == 4 && id == std::any::TypeId::of::<f64>()
            || L == 8 && id == std::any::TypeId::of::<f32>())
}

/// Whether the lane kernel's whole chunks of order `n` (column stride `ld`)
/// leave the lanes by transposes into one matrix per slot
/// ([`scatter_slots`]): [`transposed_lanes`], with `ld n` a multiple of `L`.
fn slots_by_transposes<T: Scalar, const L: usize>(n: usize, ld: usize) -> bool {
    transposed_lanes::<T, L>() && ld * n % L == 0
}

/// `slots[l * a.len() + e] = a[e][l]`: the chunk as one segment (see
/// [`from_lanes`]); only where [`slots_by_transposes`] holds.
#[inline(always)]
fn scatter_slots<T: Scalar, const L: usize>(a: &[[T; L]], slots: &mut [T]) {
    let len = a.len();
    assert!(slots.len() == L * len);
    from_lanes(a, [len, len, 1, len], slots);
}

/// Whether the lane kernel's whole chunks of order `n` (column stride `ld`)
/// enter the lanes by transposes ([`gather_lanes`]), and, where no lane
/// interchanged rows, leave them so straight into the output
/// ([`scatter_lanes`]): [`transposed_lanes`], with whole groups of `L` values
/// in each column (`n` a multiple of `L`), or unpadded columns and `n²` such
/// a multiple.
fn lanes_by_transposes<T: Scalar, const L: usize>(n: usize, ld: usize) -> bool {
    transposed_lanes::<T, L>() && (n % L == 0 || ld == n && n * n % L == 0)
}

/// The runs of values contiguous both in a matrix of order `n` and in its
/// lane columns `ld` apart, as `[seg, stride, count, size]` (see
/// `simd::gather_segments`): the whole matrix where the columns are
/// unpadded, else each column.
fn segments(n: usize, ld: usize) -> [usize; 4] {
    let nn = n * n;
    if ld == n {
        [nn, nn, 1, nn]
    } else {
        [n, ld, n, nn]
    }
}

/// `a[c * ld + r][l] = src[l * n² + c * n + r]` (lane `l` from the `l`-th
/// matrix of `src`), where [`lanes_by_transposes`] holds; the padding after
/// each column is not written.
#[inline(always)]
fn gather_lanes<T: Scalar, const L: usize>(src: &[T], n: usize, ld: usize, a: &mut [[T; L]]) {
    assert!(lanes_by_transposes::<T, L>(n, ld) && src.len() == L * n * n && a.len() == ld * n);
    to_lanes(src, segments(n, ld), a);
}

/// The inverse of [`gather_lanes`], where [`lanes_by_transposes`] holds:
/// `part[l * n² + c * n + r] = a[c * ld + r][l]`, the padding not read.
#[inline(always)]
fn scatter_lanes<T: Scalar, const L: usize>(a: &[[T; L]], n: usize, ld: usize, part: &mut [T]) {
    assert!(lanes_by_transposes::<T, L>(n, ld) && part.len() == L * n * n && a.len() == ld * n);
    from_lanes(a, segments(n, ld), part);
}

/// `simd::gather_segments` for `T` in `L` lanes (`f64` in 4 or `f32` in 8),
/// where [`transposed_lanes`] holds (in code run on CPUs with AVX2).
#[inline(always)]
fn to_lanes<T: Scalar, const L: usize>(src: &[T], geometry: [usize; 4], a: &mut [[T; L]]) {
    assert!(transposed_lanes::<T, L>());
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `T` is `f64` with `L` 4, or `f32` with `L` 8 (asserted), so
    // `[T; L]` is `[f64; 4]` or `[f32; 8]`; the lengths are unchanged. The
    // callers run only in the fused (AVX2 + FMA) copy of their job; the
    // `simd` functions check the geometry against the lengths.
    unsafe {
        let (len, lanes) = (src.len(), a.len());
        if L == 8 {
            let src = std::slice::from_raw_parts(src.as_ptr().cast::<f32>(), len);
            let a = std::slice::from_raw_parts_mut(a.as_mut_ptr().cast::<[f32; 8]>(), lanes);
            simd::gather_segments(src, geometry, a);
        } else {
            let src = std::slice::from_raw_parts(src.as_ptr().cast::<f64>(), len);
            let a = std::slice::from_raw_parts_mut(a.as_mut_ptr().cast::<[f64; 4]>(), lanes);
            simd::gather_segments(src, geometry, a);
        }
    }
}

/// The inverse of [`to_lanes`]: `simd::scatter_segments`.
#[inline(always)]
fn from_lanes<T: Scalar, const L: usize>(a: &[[T; L]], geometry: [usize; 4], dst: &mut [T]) {
    assert!(transposed_lanes::<T, L>());
    #[cfg(target_arch = "x86_64")]
    // SAFETY: as in `to_lanes`.
    unsafe {
        let (lanes, len) = (a.len(), dst.len());
        if L == 8 {
            let a = std::slice::from_raw_parts(a.as_ptr().cast::<[f32; 8]>(), lanes);
            let dst = std::slice::from_raw_parts_mut(dst.as_mut_ptr().cast::<f32>(), len);
            simd::scatter_segments(a, geometry, dst);
        } else {
            let a = std::slice::from_raw_parts(a.as_ptr().cast::<[f64; 4]>(), lanes);
            let dst = std::slice::from_raw_parts_mut(dst.as_mut_ptr().cast::<f64>(), len);
            simd::scatter_segments(a, geometry, dst);
        }
    }
}

/// The block's matrices one after another through the blocked kernel (see
/// `blocked`): a partial last chunk of at most [`one_at_a_time_max`].
struct OneAtATime<'a, T> {
    src: Option<&'a [T]>,
    part: &'a mut [T],
    ws: &'a mut Blocked<T>,
    check_finite: bool,
    status: [LaneStatus; BLOCK],
}

impl<T: Scalar> Fused for OneAtATime<'_, T> {
    #[inline(always)]
    fn run<const FMA: bool>(&mut self) {
        if lanes::<T>() == 8 {
            self.all::<8, FMA>();
        } else {
            self.all::<4, FMA>();
        }
    }
}

impl<T: Scalar> OneAtATime<'_, T> {
    /// Every matrix of the block, `W` lanes per vector.
    #[inline(always)]
    fn all<const W: usize, const FMA: bool>(&mut self) {
        let nn = self.ws.n() * self.ws.n();
        let zero = <T::Real as num_traits::Zero>::zero();
        for (k, m) in self.part.chunks_exact_mut(nn).enumerate() {
            let src = self.src.map(|s| &s[k * nn..(k + 1) * nn]);
            let probe = self.ws.load::<W>(src.unwrap_or(m));
            let status = if self.check_finite && probe != zero {
                LaneStatus::NonFinite
            } else {
                self.ws.invert::<W, FMA>()
            };
            if status == LaneStatus::Ok {
                self.ws.store(m);
            } else if let Some(src) = src {
                m.copy_from_slice(src);
            }
            self.status[k] = status;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 29 4×4 `f64` matrices (a partial last chunk): random, with row
    /// interchanges, two exactly singular ones (zero pivot at step 3, at step 0), a
    /// NaN, a subnormal pivot (fallback) and a permutation.
    fn stack4() -> Vec<f64> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        };
        let mut v: Vec<f64> = (0..29 * 16).map(|_| next()).collect();
        let m = |k: usize| k * 16;
        // A zero row of the C-order slot is a zero column of what LAPACK
        // factors: the pivot of that step is exactly zero.
        v[m(3) + 12..m(4)].fill(0.0);
        v[m(6)..m(6) + 4].fill(0.0);
        v[m(9) + 5] = f64::NAN;
        v[m(12)..m(13)].copy_from_slice(&[
            1e-310, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0,
        ]);
        v[m(17)..m(18)].copy_from_slice(&[
            0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0,
        ]);
        v
    }

    /// Whether this CPU lacks AVX2 (so a test comparing the AVX2 copy with the
    /// portable one has nothing to compare: it says so and returns).
    fn skip_without_avx2() -> bool {
        let skip = !simd::has_avx2();
        if skip {
            eprintln!("skipped: this CPU has no AVX2");
        }
        skip
    }

    /// The 4×4 kernel's AVX2 copy (vector transposes for the gather and the
    /// scatter) against its portable copy (element by element): the same bits
    /// and statuses, reading from `src` or in place, in 4 lanes and in 8.
    #[test]
    fn transposed_lanes_match_element_by_element() {
        if skip_without_avx2() {
            return;
        }
        let input = stack4();
        let idx: Vec<f64> = (0..=4).map(index_value).collect();
        for (check_finite, from_src, lanes8) in flags3() {
            let out = |avx2| fixed_out::<4>(&input, &idx, check_finite, from_src, lanes8, avx2);
            let outs = [out(false), out(true)];
            assert_eq!(
                outs[0], outs[1],
                "check_finite {check_finite}, src {from_src}, 8 lanes {lanes8}"
            );
            let s = outs[0].0;
            assert_eq!(s[3], LaneStatus::Singular(3));
            assert_eq!(s[6], LaneStatus::Singular(0));
            assert_eq!(s[12], LaneStatus::Fallback);
            assert_eq!(s[17], LaneStatus::Ok);
            if check_finite {
                assert_eq!(s[9], LaneStatus::NonFinite);
            }
        }
    }

    /// A block of `N`×`N` `f64` matrices through the unrolled kernel in `L`
    /// lanes, its AVX2 copy or its portable one: the statuses.
    fn run_fixed<const L: usize, const N: usize>(
        src: Option<&[f64]>,
        part: &mut [f64],
        idx: &[f64],
        check_finite: bool,
        avx2: bool,
    ) -> [LaneStatus; BLOCK] {
        let mut job = Fixed::<f64, L, N> {
            src,
            next: None,
            part,
            idx,
            check_finite,
            status: [LaneStatus::Ok; BLOCK],
        };
        if avx2 {
            simd::run(&mut job);
        } else {
            job.run::<false>();
        }
        job.status
    }

    /// `input` (a stack of `N`×`N` matrices) through the unrolled kernel
    /// in 8 lanes or 4, its AVX2 copy or its portable one, from a `src` copy
    /// (the part starting as 7s) or in place: the statuses and the bits.
    fn fixed_out<const N: usize>(
        input: &[f64],
        idx: &[f64],
        check_finite: bool,
        from_src: bool,
        lanes8: bool,
        avx2: bool,
    ) -> ([LaneStatus; BLOCK], Vec<u64>) {
        let mut part = if from_src {
            vec![7.0; input.len()]
        } else {
            input.to_vec()
        };
        let src = from_src.then_some(input);
        let status = if lanes8 {
            run_fixed::<8, N>(src, &mut part, idx, check_finite, avx2)
        } else {
            run_fixed::<4, N>(src, &mut part, idx, check_finite, avx2)
        };
        (status, bits(&part))
    }

    /// The unrolled kernels of order 6 and 8, whose AVX2 copies move whole
    /// chunks into and out of the lanes by 4×4 transposes, against their
    /// portable copies (element by element): the same bits and statuses, in
    /// 4 lanes and in 8, reading from `src` or in place, with a partial last
    /// chunk (29 matrices).
    #[test]
    fn transposed_chunks_match_element_by_element() {
        if skip_without_avx2() {
            return;
        }
        fn check<const N: usize>() {
            let input = stack(N);
            let idx: Vec<f64> = (0..=N).map(index_value).collect();
            for (check_finite, from_src, lanes8) in flags3() {
                let out = |avx2| fixed_out::<N>(&input, &idx, check_finite, from_src, lanes8, avx2);
                let (portable, transposed) = (out(false), out(true));
                assert_eq!(
                    portable, transposed,
                    "n {N}, check_finite {check_finite}, src {from_src}, 8 lanes {lanes8}"
                );
                assert_stack_statuses(&portable.0, N, check_finite);
            }
        }
        check::<6>();
        check::<8>();
    }

    /// Every combination of three flags.
    fn flags3() -> impl Iterator<Item = (bool, bool, bool)> {
        (0..8).map(|b| (b & 1 != 0, b & 2 != 0, b & 4 != 0))
    }

    /// 29 `f64` matrices of order `n` (a partial last chunk for 4 lanes and for
    /// 8), C order: random, with row interchanges, singular at the last step and
    /// at the first, a NaN, a subnormal pivot (fallback), a reversal
    /// permutation, and one with a single row interchange.
    fn stack(n: usize) -> Vec<f64> {
        let nn = n * n;
        let mut state = 0x9e37_79b9_7f4a_7c15u64 ^ n as u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        };
        let mut v: Vec<f64> = (0..29 * nn).map(|_| next()).collect();
        let m = |k: usize| k * nn;
        let identity = |x: &mut [f64]| {
            x.fill(0.0);
            for i in 0..n {
                x[i * n + i] = 1.0;
            }
        };
        // A zero row of the C-order slot is a zero column of what LAPACK
        // factors: the pivot of that step is exactly zero.
        v[m(3) + (n - 1) * n..m(4)].fill(0.0);
        v[m(6)..m(6) + n].fill(0.0);
        v[m(9) + nn / 2] = f64::NAN;
        identity(&mut v[m(12)..m(13)]);
        v[m(12)] = 1e-310;
        v[m(17)..m(18)].fill(0.0);
        for i in 0..n {
            v[m(17) + i * n + (n - 1 - i)] = 1.0;
        }
        identity(&mut v[m(25)..m(26)]);
        if n > 1 {
            v[m(25)] = 0.5;
            v[m(25) + n] = 2.0;
        }
        v
    }

    /// The statuses [`stack`]`(n)` must get: singular at the last step and at
    /// the first, the subnormal pivot left to LAPACK, the permutations
    /// inverted, and the NaN found when `check_finite`.
    fn assert_stack_statuses(s: &[LaneStatus; BLOCK], n: usize, check_finite: bool) {
        assert_eq!(s[3], LaneStatus::Singular(n - 1), "n {n}");
        assert_eq!(s[6], LaneStatus::Singular(0), "n {n}");
        assert_eq!(s[12], LaneStatus::Fallback, "n {n}");
        assert_eq!((s[17], s[25]), (LaneStatus::Ok, LaneStatus::Ok), "n {n}");
        if check_finite {
            assert_eq!(s[9], LaneStatus::NonFinite, "n {n}");
        }
    }

    /// The same bits, NaN as one value (which NaN an operation on two returns
    /// depends on operand order, which differs between compiled copies).
    fn bits(x: &[f64]) -> Vec<u64> {
        x.iter()
            .map(|x| if x.is_nan() { u64::MAX } else { x.to_bits() })
            .collect()
    }

    /// 8 lanes (two vectors per lane vector, as `f64` of order 3, 4 and 8 run
    /// on AVX2 CPUs) against 4: the same bits and statuses at every order of the
    /// unrolled and the lane kernels, reading from `src` or in place.
    #[test]
    fn eight_lanes_match_four() {
        for n in 1..=12 {
            let input = stack(n);
            for (check_finite, from_src, _) in flags3().filter(|f| !f.2) {
                let out = |lanes: usize| {
                    let mut ws = Workspace::<f64>::with_lanes(n, check_finite, lanes);
                    let mut part = if from_src {
                        vec![7.0; input.len()]
                    } else {
                        input.clone()
                    };
                    let status = ws.invert_block(from_src.then_some(&input[..]), &[], &mut part);
                    (status, bits(&part))
                };
                let (four, eight) = (out(4), out(8));
                assert_eq!(
                    four, eight,
                    "n {n}, check_finite {check_finite}, src {from_src}"
                );
                assert_stack_statuses(&four.0, n, check_finite);
            }
        }
    }

    /// The input after the block (`ahead`) is only prefetched: the same bits
    /// and statuses with it as without, at every order (a partial last chunk,
    /// and above the unrolled orders a tail one at a time), whether it is
    /// longer than a chunk, shorter or empty.
    #[test]
    fn input_ahead_changes_nothing() {
        for n in 1..=20 {
            let input = stack(n);
            let nn = n * n;
            let after = stack(n + 1);
            for ahead in [&after[..], &after[..nn / 2], &[]] {
                let out = |ahead: &[f64]| {
                    let mut ws = Workspace::<f64>::new(n, true);
                    let mut part = vec![7.0; input.len()];
                    let status = ws.invert_block(Some(&input), ahead, &mut part);
                    (status, bits(&part))
                };
                assert_eq!(out(ahead), out(&[]), "n {n}, ahead {}", ahead.len());
            }
        }
    }
}

#[cfg(test)]
mod bench {
    use super::*;

    /// Kernel time alone, per matrix (best of many runs over a block in L1):
    /// `cargo test --release --lib kernel_ns -- --ignored --nocapture`.
    /// `KN=40,48` picks the orders; `ONE_AT_A_TIME=1` runs the blocked
    /// kernel at every order, to measure the crossover.
    #[test]
    #[ignore]
    fn kernel_ns() {
        fn one<T: Scalar>(n: usize, name: &str) {
            let nn = n * n;
            // With `KPIV=1`, entries in [-1, 1) with no dominant diagonal, so
            // that most steps interchange rows; else diagonally dominant (no
            // interchange), like the benchmarks' stacks.
            let pivoting = std::env::var_os("KPIV").is_some();
            let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(7);
            let src: Vec<T> = (0..BLOCK * nn)
                .map(|e| {
                    let (i, j) = ((e % nn) / n, e % n);
                    let x = if pivoting {
                        rand::Rng::gen_range(&mut rng, -1.0..1.0)
                    } else {
                        ((e * 7919) % 1000) as f64 / 500.0 - 1.0
                    };
                    let diagonal = if i == j && !pivoting { n as f64 } else { 0.0 };
                    T::from_real(<T::Real as num_traits::NumCast>::from(x + diagonal).unwrap())
                })
                .collect();
            let mut out = src.clone();
            let mut ws = if std::env::var_os("ONE_AT_A_TIME").is_some() {
                Workspace::<T>::with_lanes(n, true, 1)
            } else {
                Workspace::<T>::new(n, true)
            };
            let status = ws.invert_block(Some(&src), &[], &mut out);
            assert!(
                status.iter().all(|&s| s == LaneStatus::Ok),
                "every matrix of the timed block inverts"
            );
            let reps = (4000 / nn).max(1);
            let mut best = f64::INFINITY;
            for _ in 0..400 {
                let t = std::time::Instant::now();
                for _ in 0..reps {
                    std::hint::black_box(ws.invert_block(Some(&src), &[], &mut out));
                }
                best = best.min(t.elapsed().as_secs_f64() / (reps * BLOCK) as f64 * 1e9);
            }
            println!("{name} n={n:2} {best:8.2} ns");
        }
        let ns: Vec<usize> = std::env::var("KN")
            .map(|v| v.split(',').map(|x| x.parse().unwrap()).collect())
            .unwrap_or(vec![2, 3, 4, 8, 16]);
        for &n in &ns {
            one::<f64>(n, "f64");
            one::<f32>(n, "f32");
        }
    }
}
