//! Gauss–Jordan inversion of one matrix at a time with delayed (blocked)
//! updates, vectorised along the columns: the kernel for a partial last chunk
//! of few matrices (see [`one_at_a_time_max`](super::one_at_a_time_max)),
//! where the lane kernel would do a whole chunk's work.
//!
//! The elimination is exactly that of [`invert`](super::gauss_jordan::invert)
//! (the same pivots, multipliers and row interchanges, the same operations on
//! every element in the same order, so the same bits), with its loops
//! reordered. Step `k` changes element `(i, j)` of a column `j != k` by
//! `x -= m_i u` with `m_i` from the pivot column and `u` the pivot row's value
//! in column `j`; only the pivot columns decide anything. So the steps are taken
//! [`PANEL`] at a time:
//!
//! 1. on the panel's own columns, one step after another (pivot search, row
//!    interchange across the whole matrix, update of the panel's columns only),
//!    saving each step's multipliers;
//! 2. on every other column, the panel's steps at once: first the panel's pivot
//!    rows (a small triangular sequence per column, which yields each step's
//!    `u`), then every other row as a chain of `PANEL` multiply-subtracts held
//!    in registers, 2 vectors × 4 columns at a time.
//!
//! Each element is then loaded and stored once per panel instead of once per
//! step: a rank-1 sweep over the whole matrix per step is load/store bound,
//! the register tiles are multiply-add bound.
//!
//! Row interchanges commute with the delayed updates: a later step's
//! interchange swaps rows at or below its own pivot row, in the matrix and in
//! the saved multipliers alike, and never a row whose `u` was already taken.
//!
//! The columns are stored with a leading dimension rounded up to whole panels,
//! so that every panel has [`PANEL`] rows and all loops over a panel have
//! constant bounds (kept in registers, unrolled). The padding rows hold zeros,
//! have zero multipliers, and so stay zero; a short last panel's missing steps
//! have zero multipliers and reciprocals, and so change nothing.
//!
//! An exactly zero pivot ends the matrix at once: `Singular` at that step (or
//! `Fallback` if an earlier pivot was too small for its reciprocal), as the
//! lane kernel reports it after running on NaNs.

use num_traits::{Float, Zero};

use super::aligned::Aligned;
use super::gauss_jordan::{fms, LaneStatus};
use crate::kernels::simd;
use crate::scalar::Scalar;

/// Pivot steps whose updates are applied together: a multiple of every vector
/// width (4 `f64`, 8 `f32`), so that a panel's pivot rows start on a vector.
pub(crate) const PANEL: usize = 8;

/// Columns per register tile.
const TILE_COLS: usize = 4;

/// Scratch for one matrix of order `n` at a time.
pub(crate) struct Blocked<T> {
    n: usize,
    /// Leading dimension: `n` rounded up to whole panels.
    ld: usize,
    /// The matrix, column-major (`ld * n`), on a cache line: every column
    /// starts on a whole vector.
    a: Aligned<T>,
    /// The current panel's multipliers, one column of `ld` per step.
    m: Aligned<T>,
    /// Each step's pivot row.
    piv: Vec<usize>,
    /// The columns outside the current panel.
    cols: Vec<usize>,
    /// The output column order.
    order: Vec<usize>,
    /// Whether the CPU has AVX2 and FMA, detected once per workspace.
    avx2_fma: bool,
    /// Whether it also has AVX-512F (and this build can use it): the `f64`
    /// register tiles then take 16 rows at a time.
    avx512: bool,
}

impl<T: Scalar> Blocked<T> {
    /// Scratch for order `n`.
    pub(crate) fn new(n: usize) -> Self {
        let ld = n.div_ceil(PANEL) * PANEL;
        Blocked {
            n,
            ld,
            a: Aligned::new(ld * n, T::zero()),
            m: Aligned::new(ld * PANEL, T::zero()),
            piv: vec![0; n],
            cols: Vec::with_capacity(n),
            order: vec![0; n],
            avx2_fma: simd::has_avx2_fma(),
            avx512: simd::has_avx512(),
        }
    }

    /// The order.
    pub(crate) fn n(&self) -> usize {
        self.n
    }

    /// Loads the C-order slot `src` (`n * n`): read column-major it is what LAPACK
    /// factors. Returns its finiteness probe (`0` when every value is finite).
    #[inline(always)]
    pub(crate) fn load<const W: usize>(&mut self, src: &[T]) -> T::Real {
        let n = self.n;
        let mut probe = [<T::Real as Zero>::zero(); W];
        for (dst, col) in self.a.chunks_exact_mut(self.ld).zip(src.chunks_exact(n)) {
            let (head, pad) = dst.split_at_mut(n);
            head.copy_from_slice(col);
            // Zeroed for every matrix: a previous one that overflowed may have
            // left NaN there (x - 0 * inf).
            pad.fill(T::zero());
            for w in dst.chunks_exact(W) {
                for l in 0..W {
                    probe[l] = probe[l] + w[l].finite_probe();
                }
            }
        }
        probe.iter().fold(<T::Real as Zero>::zero(), |s, &p| s + p)
    }

    /// Writes the inverse into the C-order slot `dst`, undoing the row
    /// interchanges as column interchanges, last first.
    #[inline(always)]
    pub(crate) fn store(&mut self, dst: &mut [T]) {
        let n = self.n;
        for (j, o) in self.order.iter_mut().enumerate() {
            *o = j;
        }
        for k in (0..n).rev() {
            self.order.swap(k, self.piv[k]);
        }
        for (&c, d) in self.order.iter().zip(dst.chunks_exact_mut(n)) {
            d.copy_from_slice(&self.a[c * self.ld..c * self.ld + n]);
        }
    }

    /// Inverts the loaded matrix in place (`W` lanes per vector).
    #[inline(always)]
    pub(crate) fn invert<const W: usize, const FMA: bool>(&mut self) -> LaneStatus {
        let (n, ld) = (self.n, self.ld);
        let a = &mut self.a[..];
        let mbuf = &mut self.m[..];
        let zero = <T::Real as Zero>::zero();
        let sfmin = <T::Real as Float>::min_positive_value();
        let mut smallest = <T::Real as Float>::infinity();
        let f64_tiles = FMA
            && W == 4
            && std::any::TypeId::of::<T>() == std::any::TypeId::of::<f64>()
            && self.avx2_fma;
        let wide = f64_tiles && self.avx512;
        let mut k0 = 0;
        while k0 < n {
            let b = PANEL.min(n - k0);
            let mut rps = [T::zero(); PANEL];
            // A short last panel: its missing steps have zero multipliers.
            for m in &mut mbuf[b * ld..] {
                *m = T::zero();
            }
            for t in 0..b {
                let k = k0 + t;
                // Column k gets the panel's earlier steps only now (left-looking:
                // one pass over the column instead of one per step).
                Panel::new(ld, k0, mbuf, &rps, f64_tiles, wide).apply::<W, 1, FMA>(a, [k], 0..t);
                let (p, best) = pivot::<T, W>(&a[k * ld..k * ld + n], k);
                self.piv[k] = p;
                if best == zero {
                    return if smallest < sfmin {
                        LaneStatus::Fallback
                    } else {
                        LaneStatus::Singular(k)
                    };
                }
                if best < smallest {
                    smallest = best;
                }
                if p != k {
                    for j in 0..n {
                        a.swap(j * ld + k, j * ld + p);
                    }
                    for s in 0..t {
                        mbuf.swap(s * ld + k, s * ld + p);
                    }
                }
                let rp = T::one() / a[k * ld + k];
                rps[t] = rp;
                // Multipliers, 0 at the pivot row; column k becomes -m_i, and
                // 1 / pivot on the diagonal.
                let mt = &mut mbuf[t * ld..(t + 1) * ld];
                let colk = &mut a[k * ld..(k + 1) * ld];
                for (m, x) in mt.iter_mut().zip(colk.iter_mut()) {
                    *m = *x * rp;
                    *x = -*m;
                }
                mt[k] = T::zero();
                colk[k] = rp;
            }
            let panel = Panel::new(ld, k0, mbuf, &rps, f64_tiles, wide);
            // The panel's columns get its later steps.
            for t in 0..b - 1 {
                panel.apply::<W, 1, FMA>(a, [k0 + t], t + 1..b);
            }
            // Every other column gets all of them, TILE_COLS at a time.
            self.cols.clear();
            self.cols.extend((0..k0).chain(k0 + b..n));
            let mut groups = self.cols.chunks_exact(TILE_COLS);
            if panel.wide {
                // Two groups at a time: their pivot rows in one chain of steps.
                let mut pairs = self.cols.chunks_exact(2 * TILE_COLS);
                for g in &mut pairs {
                    panel.pair_f64(a, g.try_into().expect("two groups"));
                }
                groups = pairs.remainder().chunks_exact(TILE_COLS);
            }
            for g in &mut groups {
                let cols: [usize; TILE_COLS] = g.try_into().expect("a group of TILE_COLS");
                panel.apply::<W, TILE_COLS, FMA>(a, cols, 0..PANEL);
            }
            for &c in groups.remainder() {
                panel.apply::<W, 1, FMA>(a, [c], 0..PANEL);
            }
            k0 += b;
        }
        if smallest < sfmin {
            LaneStatus::Fallback
        } else {
            LaneStatus::Ok
        }
    }
}

/// The pivot row of column `col` at step `k` and its modulus: the first row
/// `r >= k` of largest `|col[r]|`, as LAPACK's `i?amax` and the sequential
/// search `if v > best` (NaN never wins, except as `col[k]` itself).
#[inline(always)]
fn pivot<T: Scalar, const W: usize>(col: &[T], k: usize) -> (usize, T::Real) {
    let first = col[k].modulus();
    if Float::is_nan(first) {
        return (k, first);
    }
    // The largest modulus, NaN ignored (`max` returns the other operand), W
    // lanes at a time.
    let mut lanes = [first; W];
    let mut chunks = col[k..].chunks_exact(W);
    for c in &mut chunks {
        for l in 0..W {
            lanes[l] = lanes[l].max(c[l].modulus());
        }
    }
    let mut best = first;
    for &v in lanes.iter() {
        best = best.max(v);
    }
    for x in chunks.remainder() {
        best = best.max(x.modulus());
    }
    let p = (k..col.len())
        .find(|&r| col[r].modulus() == best)
        .unwrap_or(k);
    (p, best)
}

/// One panel's steps, to be applied to columns.
struct Panel<'p, T> {
    ld: usize,
    /// First step (and pivot row) of the panel.
    k0: usize,
    /// Row ranges of the register tiles: all but the panel's pivot rows.
    rows: [(usize, usize); 2],
    /// Multipliers per step (`ld` each).
    m: &'p [T],
    /// Reciprocal pivots (0 for a short panel's missing steps).
    rps: &'p [T; PANEL],
    /// Whole-panel groups of 4 columns ([`group_f64`](Self::group_f64)) and
    /// single columns ([`column_f64`](Self::column_f64)) go to the `f64` code
    /// of `simd`: `T` is `f64`, 4 lanes, fused, and the CPU has AVX2 and FMA.
    f64_tiles: bool,
    /// With `f64_tiles`, the CPU also has AVX-512F: the register tiles take
    /// 16 rows where they can (`simd::panel_tile_f64x16`).
    wide: bool,
}

impl<'p, T: Scalar> Panel<'p, T> {
    #[inline(always)]
    fn new(
        ld: usize,
        k0: usize,
        m: &'p [T],
        rps: &'p [T; PANEL],
        f64_tiles: bool,
        wide: bool,
    ) -> Self {
        Panel {
            ld,
            k0,
            rows: [(0, k0), (k0 + PANEL, ld)],
            m,
            rps,
            f64_tiles,
            wide,
        }
    }

    /// The panel's steps `steps` on columns `cols` of `a`.
    #[inline(always)]
    fn apply<const W: usize, const C: usize, const FMA: bool>(
        &self,
        a: &mut [T],
        cols: [usize; C],
        steps: std::ops::Range<usize>,
    ) {
        if steps.is_empty() {
            return;
        }
        if self.f64_tiles {
            if C == TILE_COLS && steps == (0..PANEL) {
                self.group_f64(a, cols[..].try_into().expect("4 columns"));
                return;
            }
            if C == 1 {
                self.column_f64::<FMA>(a, cols[0], steps);
                return;
            }
        }
        let mut u = [[T::zero(); C]; PANEL];
        self.pivot_rows::<C, FMA>(a, cols, steps.clone(), &mut u);
        // Every other row: 2 vectors × C columns of accumulators at a time.
        for (start, end) in self.rows {
            let mut i = start;
            while i + 2 * W <= end {
                self.tile::<W, 2, C, FMA>(a, cols, i, &u, steps.clone());
                i += 2 * W;
            }
            while i < end {
                self.tile::<W, 1, C, FMA>(a, cols, i, &u, steps.clone());
                i += W;
            }
        }
    }

    /// The steps `steps` on the panel's pivot rows of columns `cols`, step
    /// after step as the unblocked elimination takes them; `u[t]` gets step
    /// `t`'s pivot row values.
    #[inline(always)]
    fn pivot_rows<const C: usize, const FMA: bool>(
        &self,
        a: &mut [T],
        cols: [usize; C],
        steps: std::ops::Range<usize>,
        u: &mut [[T; C]; PANEL],
    ) {
        let (ld, k0) = (self.ld, self.k0);
        // Transposed: `x[r][c]` is row k0 + r of column c, so that step t's
        // pivot row values `u[t]` are one vector across the columns.
        let mut x = [[T::zero(); C]; PANEL];
        for (c, &col) in cols.iter().enumerate() {
            for (r, xr) in x.iter_mut().enumerate() {
                xr[c] = a[col * ld + k0 + r];
            }
        }
        // Unrolled by a macro, with constant indices: a loop would keep `x` in
        // memory (LLVM does not unroll a body this large by itself), and a
        // closure might not be inlined into the caller's target features.
        macro_rules! steps {
            ($($t:literal)*) => {$(
                if steps.contains(&$t) {
                    let mt = &self.m[$t * ld + k0..$t * ld + k0 + PANEL];
                    let ut = x[$t];
                    u[$t] = ut;
                    // mt[t] is 0; row t is replaced just after.
                    for (xr, &m) in x.iter_mut().zip(mt) {
                        for c in 0..C {
                            xr[c] = fms::<T, FMA>(xr[c], m, ut[c]);
                        }
                    }
                    for c in 0..C {
                        x[$t][c] = ut[c] * self.rps[$t];
                    }
                }
            )*};
        }
        const _: () = assert!(PANEL == 8);
        steps!(0 1 2 3 4 5 6 7);
        for (c, &col) in cols.iter().enumerate() {
            for (r, xr) in x.iter().enumerate() {
                a[col * ld + k0 + r] = xr[c];
            }
        }
    }

    /// `a`, the multipliers and the reciprocal pivots as `f64`; only where
    /// `f64_tiles` holds.
    #[inline(always)]
    fn f64_view<'a>(&self, a: &'a mut [T]) -> (&'a mut [f64], &'p [f64], &'p [f64; PANEL]) {
        assert!(self.f64_tiles);
        // SAFETY: `f64_tiles` holds only where `T` is `f64` (see `invert`):
        // the casts keep the types and lengths.
        unsafe {
            (
                std::slice::from_raw_parts_mut(a.as_mut_ptr().cast::<f64>(), a.len()),
                std::slice::from_raw_parts(self.m.as_ptr().cast::<f64>(), self.m.len()),
                &*(self.rps as *const [T; PANEL]).cast::<[f64; PANEL]>(),
            )
        }
    }

    /// [`apply`](Self::apply) of the whole panel on the 4 columns `cols` by
    /// `simd::panel_pivot_rows_f64` and `simd::panel_tile_f64` (only where
    /// `f64_tiles` holds; every row range holds whole panels of 8 rows).
    #[inline(always)]
    fn group_f64(&self, a: &mut [T], cols: [usize; 4]) {
        let (a, m, rps) = self.f64_view(a);
        let (ld, k0) = (self.ld, self.k0);
        let mut u = [0.0; 4 * PANEL];
        // SAFETY: `f64_tiles` holds only where the CPU has AVX2 and FMA.
        #[cfg(target_arch = "x86_64")]
        unsafe {
            simd::panel_pivot_rows_f64(a, ld, cols, k0, m, rps, &mut u);
        }
        self.tiles_f64(a, m, cols, &u);
    }

    /// [`group_f64`](Self::group_f64) on two groups of 4 columns, `cols[..4]`
    /// and `cols[4..]`, whose pivot rows take the panel's steps together
    /// (`simd::panel_pivot_rows_f64x8`; only where `wide` holds).
    #[inline(always)]
    fn pair_f64(&self, a: &mut [T], cols: [usize; 8]) {
        let (a, m, rps) = self.f64_view(a);
        assert!(self.wide);
        let mut u = [[0.0; 4 * PANEL]; 2];
        // SAFETY: `wide` holds only where the CPU has AVX-512F, AVX2 and FMA.
        #[cfg(all(target_arch = "x86_64", inv_ext_avx512))]
        unsafe {
            simd::panel_pivot_rows_f64x8(a, self.ld, cols, self.k0, m, rps, &mut u);
        }
        let [lo, hi] = [&u[0], &u[1]];
        self.tiles_f64(a, m, [cols[0], cols[1], cols[2], cols[3]], lo);
        self.tiles_f64(a, m, [cols[4], cols[5], cols[6], cols[7]], hi);
    }

    /// Every row outside the panel's pivot rows of the 4 columns `cols` takes
    /// the panel's steps, by the register tiles of `simd` (16 rows where
    /// `wide` holds, else 8), from the pivot row values `u`.
    #[inline(always)]
    fn tiles_f64(&self, a: &mut [f64], m: &[f64], cols: [usize; 4], u: &[f64; 4 * PANEL]) {
        let ld = self.ld;
        // SAFETY: `f64_tiles` holds only where the CPU has AVX2 and FMA.
        #[cfg(target_arch = "x86_64")]
        unsafe {
            for (start, end) in self.rows {
                let mut i = start;
                #[cfg(inv_ext_avx512)]
                if self.wide {
                    // SAFETY: `wide` holds only where the CPU has AVX-512F.
                    while i + 2 * PANEL <= end {
                        simd::panel_tile_f64x16(a, ld, cols, i, m, u);
                        i += 2 * PANEL;
                    }
                }
                while i < end {
                    simd::panel_tile_f64(a, ld, cols, i, m, u);
                    i += PANEL;
                }
            }
        }
    }

    /// [`apply`](Self::apply) of the steps `steps` on the column `col`: the
    /// generic pivot rows, then `simd::column_tile_f64` on 16 rows at a time
    /// (only where `f64_tiles` holds; every row range holds whole panels of
    /// 8 rows).
    #[inline(always)]
    fn column_f64<const FMA: bool>(&self, a: &mut [T], col: usize, steps: std::ops::Range<usize>) {
        let mut u = [[T::zero(); 1]; PANEL];
        self.pivot_rows::<1, FMA>(a, [col], steps.clone(), &mut u);
        let (a, m, _) = self.f64_view(a);
        // SAFETY: as in `f64_view` (`[[T; 1]; PANEL]` is `[f64; PANEL]`).
        let u = unsafe { &*(&u as *const [[T; 1]; PANEL]).cast::<[f64; PANEL]>() };
        // SAFETY: `f64_tiles` holds only where the CPU has AVX2 and FMA.
        #[cfg(target_arch = "x86_64")]
        unsafe {
            for (start, end) in self.rows {
                let mut i = start;
                while i + 2 * PANEL <= end {
                    simd::column_tile_f64::<4>(a, self.ld, col, i, m, u, steps.clone());
                    i += 2 * PANEL;
                }
                if i < end {
                    simd::column_tile_f64::<2>(a, self.ld, col, i, m, u, steps.clone());
                }
            }
        }
    }

    /// Rows `i .. i + R W` of columns `cols`: loaded once, a multiply-subtract
    /// per step in registers, stored once.
    #[inline(always)]
    fn tile<const W: usize, const R: usize, const C: usize, const FMA: bool>(
        &self,
        a: &mut [T],
        cols: [usize; C],
        i: usize,
        u: &[[T; C]; PANEL],
        steps: std::ops::Range<usize>,
    ) {
        let ld = self.ld;
        let mut acc = [[[T::zero(); W]; R]; C];
        for (ac, &c) in acc.iter_mut().zip(&cols) {
            let src = &a[c * ld + i..c * ld + i + R * W];
            for (v, s) in ac.iter_mut().zip(src.chunks_exact(W)) {
                v.copy_from_slice(s);
            }
        }
        for t in steps {
            let m = &self.m[t * ld + i..t * ld + i + R * W];
            for (ac, &ut) in acc.iter_mut().zip(&u[t]) {
                for (v, mv) in ac.iter_mut().zip(m.chunks_exact(W)) {
                    for l in 0..W {
                        v[l] = fms::<T, FMA>(v[l], mv[l], ut);
                    }
                }
            }
        }
        for (ac, &c) in acc.iter().zip(&cols) {
            let dst = &mut a[c * ld + i..c * ld + i + R * W];
            for (v, d) in ac.iter().zip(dst.chunks_exact_mut(W)) {
                d.copy_from_slice(v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::gauss_jordan::{column_order_into, index_value, invert};
    use super::*;

    /// A deterministic generator of values in [-1, 1).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        }
    }

    /// The unblocked one-lane kernel on the C-order slot `m`: its output slot
    /// and status.
    fn unblocked<T: Scalar, const FMA: bool>(n: usize, m: &[T]) -> (Vec<T>, LaneStatus) {
        let mut a: Vec<[T; 1]> = m.iter().map(|&x| [x]).collect();
        let mut piv = vec![[T::zero(); 1]; n];
        let idx: Vec<T> = (0..=n).map(index_value).collect();
        let zero = <T::Real as Zero>::zero();
        let s = invert::<T, 1, FMA>(n, n, &mut a, &mut piv, &idx, [zero])[0];
        let mut order = vec![0; n];
        column_order_into(&piv, 0, &mut order);
        let x = order
            .iter()
            .flat_map(|&c| a[c * n..(c + 1) * n].iter().map(|[x]| *x));
        (x.collect(), s)
    }

    /// The blocked kernel on `m`: its output slot (the input where the status
    /// is not `Ok`) and status. Inlined, so that the wrappers below compile it
    /// with their target features.
    #[inline(always)]
    fn blocked<T: Scalar, const W: usize, const FMA: bool>(
        n: usize,
        m: &[T],
    ) -> (Vec<T>, LaneStatus) {
        let mut ws = Blocked::<T>::new(n);
        let mut out = m.to_vec();
        // A first matrix of NaN through the same workspace: nothing of it may
        // reach the next one (the padding is reset by `load`).
        let nan = vec![T::nan(); n * n];
        ws.load::<W>(&nan);
        let _ = ws.invert::<W, FMA>();
        ws.load::<W>(m);
        let s = ws.invert::<W, FMA>();
        if s == LaneStatus::Ok {
            ws.store(&mut out);
        }
        (out, s)
    }

    /// Random matrices (half of them diagonally dominant: no interchanges),
    /// and singular ones with their first zero pivot at steps around the panel
    /// edges.
    fn cases(n: usize, rng: &mut Lcg) -> Vec<(Vec<f64>, Option<usize>)> {
        let mut out = Vec::new();
        for dominant in [false, true] {
            let m: Vec<f64> = (0..n * n)
                .map(|e| {
                    rng.next()
                        + if dominant && e % (n + 1) == 0 {
                            n as f64
                        } else {
                            0.0
                        }
                })
                .collect();
            out.push((m, None));
        }
        for k in [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, n - 1] {
            if k >= n {
                continue;
            }
            // Upper triangular read column-major (what LAPACK factors), with a
            // zero at (k, k): no interchanges, first zero pivot at step k.
            let m: Vec<f64> = (0..n * n)
                .map(|e| {
                    let (c, r) = (e / n, e % n);
                    if r > c || (r == k && c == k) {
                        0.0
                    } else if r == c {
                        1.0 + rng.next().abs()
                    } else {
                        rng.next()
                    }
                })
                .collect();
            out.push((m, Some(k)));
        }
        out
    }

    /// Bit for bit (the sign of zero too).
    fn same<T: Scalar>(x: &[T], y: &[T]) -> bool {
        x.iter()
            .zip(y)
            .all(|(a, b)| format!("{a:?}") == format!("{b:?}"))
    }

    /// The blocked kernel computes exactly what the unblocked one does: the
    /// same statuses and the same values, fused or not, for every order up to
    /// 64 (every panel edge, short last panels, padding).
    #[test]
    fn blocked_equals_unblocked_bit_for_bit() {
        let mut rng = Lcg(3);
        for n in 1..=64 {
            for (m, singular) in cases(n, &mut rng) {
                let expect = singular.map_or(LaneStatus::Ok, LaneStatus::Singular);
                let (x, s) = unblocked::<f64, false>(n, &m);
                assert_eq!(s, expect, "n={n}");
                let (y, t) = blocked::<f64, 4, false>(n, &m);
                assert_eq!(t, expect, "n={n}");
                if s == LaneStatus::Ok {
                    assert!(same(&x, &y), "n={n} unfused");
                }
                // Fused: library fma calls here, the same rounding as vfmadd.
                let (x, s) = unblocked::<f64, true>(n, &m);
                let (y, t) = blocked::<f64, 4, true>(n, &m);
                assert_eq!((s, t), (expect, expect), "n={n}");
                if s == LaneStatus::Ok {
                    assert!(same(&x, &y), "n={n} fused");
                }
                let m32: Vec<f32> = m.iter().map(|&v| v as f32).collect();
                let (x, s) = unblocked::<f32, false>(n, &m32);
                let (y, t) = blocked::<f32, 8, false>(n, &m32);
                assert_eq!((s, t), (expect, expect), "n={n} f32");
                if s == LaneStatus::Ok {
                    assert!(same(&x, &y), "n={n} f32");
                }
            }
        }
    }

    /// Fused and unfused runs differ only by rounding: the same statuses, and
    /// inverses within a few ulps of each other relative to their size.
    #[test]
    fn fused_and_unfused_agree() {
        let mut rng = Lcg(4);
        for n in [9, 16, 24, 32, 40, 64] {
            for (m, _) in cases(n, &mut rng) {
                let (x, s) = blocked::<f64, 4, false>(n, &m);
                let (y, t) = blocked::<f64, 4, true>(n, &m);
                assert_eq!(s, t, "n={n}");
                let scale = x.iter().fold(0.0f64, |a, v| a.max(v.abs()));
                for (a, b) in x.iter().zip(&y) {
                    assert!((a - b).abs() <= 1e-9 * scale, "n={n}: {a} {b}");
                }
            }
        }
    }

    /// `blocked` on one matrix as a `simd::Fused` job, so that the tests can
    /// run `simd`'s own compiled variants of it.
    #[cfg(all(target_arch = "x86_64", inv_ext_avx512))]
    struct One<'a, T> {
        n: usize,
        m: &'a [T],
        out: Option<(Vec<T>, LaneStatus)>,
    }

    #[cfg(all(target_arch = "x86_64", inv_ext_avx512))]
    impl<T: Scalar> crate::kernels::simd::Fused for One<'_, T> {
        #[inline(always)]
        fn run<const FMA: bool>(&mut self) {
            self.out = Some(if super::super::lanes::<T>() == 8 {
                blocked::<T, 8, FMA>(self.n, self.m)
            } else {
                blocked::<T, 4, FMA>(self.n, self.m)
            });
        }
    }

    /// The AVX-512 copy of the kernel (32 registers, 512-bit instructions where
    /// the compiler picks them) computes the same bits as the AVX2 + FMA one,
    /// as `simd::run_fused_wide` promises, at every order from 28 to `MAX_N`
    /// (the kernel takes f64 from 32 or 48 and f32 from 62 on), f64 and f32,
    /// singular ones included.
    /// Skipped, with a note, on a CPU without AVX-512F/VL or a compiler
    /// without `cfg(inv_ext_avx512)`.
    #[test]
    fn avx512_and_avx2_variants_agree_bit_for_bit() {
        #[cfg(all(target_arch = "x86_64", inv_ext_avx512))]
        {
            use crate::kernels::simd;
            if !simd::avx512_usable() {
                eprintln!(
                    "note: no AVX-512F/VL (or no FMA) on this CPU: variant comparison skipped"
                );
                return;
            }
            let mut rng = Lcg(5);
            for n in 28..=super::super::MAX_N {
                for (m, singular) in cases(n, &mut rng) {
                    let expect = singular.map_or(LaneStatus::Ok, LaneStatus::Singular);
                    let m32: Vec<f32> = m.iter().map(|&v| v as f32).collect();
                    let jobs = || {
                        (
                            One {
                                n,
                                m: &m,
                                out: None,
                            },
                            One {
                                n,
                                m: &m32,
                                out: None,
                            },
                        )
                    };
                    // `simd::run_fused`'s AVX2 + FMA variant and
                    // `simd::run_fused_wide`'s AVX-512 one, f64 and f32.
                    let (mut x, mut x32) = jobs();
                    let (mut y, mut y32) = jobs();
                    // SAFETY: `avx512_usable` just detected AVX-512F/VL, AVX2
                    // and FMA, which covers both variants' features.
                    unsafe {
                        simd::avx2_fma(&mut x);
                        simd::avx2_fma(&mut x32);
                        simd::avx512_fma(&mut y);
                        simd::avx512_fma(&mut y32);
                    }
                    let ((x, s), (y, t)) = (x.out.unwrap(), y.out.unwrap());
                    assert_eq!((s, t), (expect, expect), "n={n}");
                    assert!(same(&x, &y), "n={n} f64");
                    let ((x, s), (y, t)) = (x32.out.unwrap(), y32.out.unwrap());
                    assert_eq!((s, t), (expect, expect), "n={n} f32");
                    assert!(same(&x, &y), "n={n} f32");
                }
            }
        }
        #[cfg(not(all(target_arch = "x86_64", inv_ext_avx512)))]
        eprintln!("note: built without the AVX-512 variant: variant comparison skipped");
    }

    #[test]
    fn tiny_pivots_fall_back_and_zero_ones_after_them_too() {
        for n in [24, 33, 64] {
            let mut m = vec![0.0; n * n];
            for i in 0..n {
                m[i * (n + 1)] = 1.0;
            }
            m[10 * (n + 1)] = 1e-310;
            assert_eq!(blocked::<f64, 4, true>(n, &m).1, LaneStatus::Fallback);
            m[20 * (n + 1)] = 0.0;
            assert_eq!(blocked::<f64, 4, true>(n, &m).1, LaneStatus::Fallback);
            m[10 * (n + 1)] = 1.0;
            assert_eq!(blocked::<f64, 4, true>(n, &m).1, LaneStatus::Singular(20));
        }
    }

    #[test]
    fn pivot_is_the_first_largest_modulus() {
        let col = [5.0, 1.0, -3.0, 3.0, 2.0, -3.0, f64::NAN, 0.5, 3.0];
        assert_eq!(pivot::<f64, 4>(&col, 1), (2, 3.0));
        assert_eq!(pivot::<f64, 4>(&col, 3), (3, 3.0));
        assert_eq!(pivot::<f64, 4>(&col, 6).0, 6);
        assert_eq!(pivot::<f64, 4>(&col, 7), (8, 3.0));
        assert_eq!(pivot::<f64, 4>(&col, 0), (0, 5.0));
        let zeros = [0.0, -0.0, 0.0, 0.0, 0.0];
        assert_eq!(pivot::<f64, 4>(&zeros, 1), (1, 0.0));
    }
}
