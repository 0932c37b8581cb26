//! In-place Gauss–Jordan inversion with partial pivoting, vectorised across the
//! batch: `L` matrices at once, one per SIMD lane.
//!
//! The block holds the matrices in structure-of-arrays form, `a[e][lane]`, with
//! `e = c * n + r` the column-major position of `M[r][c]`. `M` is what LAPACK would
//! factor: the C-order output slot read column-major. Every per-lane decision
//! (pivot row, row and column interchanges, zero pivots) is a compare and a select,
//! never a branch, so the compiler turns each lane loop into one vector
//! instruction.
//!
//! Step `k` is LU's step `k` with the eliminations above the pivot added:
//! the pivot is the first row of largest `|M[i][k]|`, `i >= k` (LAPACK's
//! `i?amax`), the multipliers are `M[i][k] * (1 / pivot)` as in `?getf2`, and the
//! rows below the pivot are updated exactly as LU updates them. The pivots are
//! therefore those of LAPACK's unblocked LU, and an exactly zero pivot is met at
//! the same step. After the last step the column interchanges are undone in
//! reverse order. Cost: `n³` multiply-subtracts per matrix, as `getrf` + `getri`.
//!
//! A pivot whose modulus is below the smallest normal number (but not zero)
//! would overflow `1 / pivot`; such lanes are flagged so that the caller can
//! invert those matrices with LAPACK, which divides instead.

use num_traits::{Float, NumCast, ToPrimitive, Zero};

use crate::scalar::Scalar;

/// What the kernel found for one lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LaneStatus {
    /// Inverted.
    Ok,
    /// The matrix holds NaN or ±inf (when asked to check).
    NonFinite,
    /// The pivot of this 0-based step is exactly zero (the first such step).
    Singular(usize),
    /// A pivot was too small for `1 / pivot`: left to LAPACK.
    Fallback,
}

/// `i` as a lane value (exact for every matrix order this kernel takes).
#[inline(always)]
pub(crate) fn index_value<T: Scalar>(i: usize) -> T {
    T::from_real(<T::Real as NumCast>::from(i).expect("a small index is a float"))
}

// Lane-wise operations on `[T; L]`, each a loop the compiler turns into one
// vector instruction (kept separate so that no loop mixes types or branches).

#[inline(always)]
fn splat<T: Copy, const L: usize>(x: T) -> [T; L] {
    [x; L]
}

#[inline(always)]
fn mul<T: Scalar, const L: usize>(a: [T; L], b: [T; L]) -> [T; L] {
    let mut r = a;
    for l in 0..L {
        r[l] = a[l] * b[l];
    }
    r
}

/// `a - b * c`, with one rounding when `FMA` (see `simd::Fused`).
#[inline(always)]
pub(crate) fn fms<T: Scalar, const FMA: bool>(a: T, b: T, c: T) -> T {
    if FMA {
        (-b).fused_mul_add(c, a)
    } else {
        a - b * c
    }
}

/// `a - b * c` lane by lane with [`fms`].
#[inline(always)]
fn fms_lanes<T: Scalar, const L: usize, const FMA: bool>(
    a: [T; L],
    b: [T; L],
    c: [T; L],
) -> [T; L] {
    let mut r = a;
    for l in 0..L {
        r[l] = fms::<T, FMA>(a[l], b[l], c[l]);
    }
    r
}

#[inline(always)]
fn neg<T: Scalar, const L: usize>(a: [T; L]) -> [T; L] {
    let mut r = a;
    for l in 0..L {
        r[l] = -a[l];
    }
    r
}

#[inline(always)]
fn recip<T: Scalar, const L: usize>(a: [T; L]) -> [T; L] {
    let mut r = a;
    for l in 0..L {
        r[l] = T::one() / a[l];
    }
    r
}

#[inline(always)]
fn modulus<T: Scalar, const L: usize>(a: [T; L]) -> [T::Real; L] {
    let mut r = [<T::Real as Zero>::zero(); L];
    for l in 0..L {
        r[l] = a[l].modulus();
    }
    r
}

/// Per lane: `x` where `a > b`, else `y`.
#[inline(always)]
fn select_gt<R: PartialOrd + Copy, T: Copy, const L: usize>(
    a: [R; L],
    b: [R; L],
    x: [T; L],
    y: [T; L],
) -> [T; L] {
    let mut r = y;
    for l in 0..L {
        r[l] = if a[l] > b[l] { x[l] } else { y[l] };
    }
    r
}

/// Per lane: `x` where `a == b`, else `y`.
#[inline(always)]
fn select_eq<R: PartialEq + Copy, T: Copy, const L: usize>(
    a: [R; L],
    b: [R; L],
    x: [T; L],
    y: [T; L],
) -> [T; L] {
    let mut r = y;
    for l in 0..L {
        r[l] = if a[l] == b[l] { x[l] } else { y[l] };
    }
    r
}

/// Per lane: swaps `x` and `y` where `p == q`.
#[inline(always)]
fn swap_where<T: Scalar, const L: usize>(p: [T; L], q: [T; L], x: &mut [T; L], y: &mut [T; L]) {
    let (u, v) = (*x, *y);
    *x = select_eq(p, q, v, u);
    *y = select_eq(p, q, u, v);
}

/// Whether every lane of `a` equals `b`.
#[inline(always)]
fn all_eq<T: Scalar, const L: usize>(a: [T; L], b: T) -> bool {
    let mut r = true;
    for x in a {
        r &= x == b;
    }
    r
}

/// Inverts the `L` matrices of `a` in place: `n` columns of `n` lane vectors,
/// column `c` at `a[c * ld..c * ld + n]` (the `ld - n` vectors after each
/// column are padding, never read or written; see `super::lane_stride`).
///
/// `piv` is scratch of `n` lane vectors (the row interchanges), `idx[i]` is
/// `index_value(i)` for `i <= n`. Returns each lane's status. With `FMA`, the
/// updates are fused multiply-adds (see `simd::Fused`).
///
/// Steps are taken two at a time: column `k + 1` alone gets step `k`'s update
/// before its pivot is chosen, and every other column then gets both updates in
/// one pass, each value loaded and stored once for two steps (one at a time,
/// the update was bound by its stores). The operations on every value are
/// those of one step after the other, in the same order, so the bits are the
/// same. A row interchange of step `k + 1` meets the other columns with step
/// `k`'s update still pending: that update is row by row, with the multipliers
/// in column `k`, which is interchanged with them, so the order does not matter.
#[inline(always)]
pub(crate) fn invert<T: Scalar, const L: usize, const FMA: bool>(
    n: usize,
    ld: usize,
    a: &mut [[T; L]],
    piv: &mut [[T; L]],
    idx: &[T],
    probe: [T::Real; L],
) -> [LaneStatus; L] {
    assert!(n > 0 && ld >= n && a.len() == ld * n && piv.len() == n && idx.len() > n);
    let none = splat(idx[n]);
    // First zero pivot per lane (`idx[n]` while there is none), and the smallest
    // nonzero pivot modulus (compared with `sfmin` at the end).
    let mut pivots = Pivots {
        first_zero: none,
        smallest: splat(<T::Real as Float>::infinity()),
    };
    let mut k = 0;
    while k + 1 < n {
        let rp = pivots.take(n, ld, k, a, piv, idx);
        let (colk, colk1) = a[k * ld..(k + 2) * ld].split_at_mut(ld);
        // Step k on column k + 1 alone, then its pivot (row interchanges on
        // every column, column k's multipliers among them).
        update_column::<T, L, FMA>(&mut colk1[..n], &colk[..n], k, rp);
        let rp1 = pivots.take(n, ld, k + 1, a, piv, idx);
        let (left, rest) = a.split_at_mut(k * ld);
        let (colk, rest) = rest.split_at_mut(ld);
        let (colk1, right) = rest.split_at_mut(ld);
        let (colk, colk1) = (&mut colk[..n], &mut colk1[..n]);
        // Both steps on every other column, four at a time: `mk` is step k's
        // multiplier of row k + 1, `m1k` step k + 1's of row k.
        let (mk, m1k) = (colk[k + 1], colk1[k]);
        for side in [left, right] {
            let mut quads = side.chunks_exact_mut(4 * ld);
            for quad in &mut quads {
                let [c0, c1, c2, c3] = four_columns(quad, n, ld);
                let (p0, p1, p2, p3) = (c0[k], c1[k], c2[k], c3[k]);
                let q0 = fms_lanes::<T, L, FMA>(c0[k + 1], mk, p0);
                let q1 = fms_lanes::<T, L, FMA>(c1[k + 1], mk, p1);
                let q2 = fms_lanes::<T, L, FMA>(c2[k + 1], mk, p2);
                let q3 = fms_lanes::<T, L, FMA>(c3[k + 1], mk, p3);
                let rows = c0.iter_mut().zip(c1.iter_mut()).zip(c2.iter_mut());
                let ms = colk.iter().zip(colk1.iter());
                for (((x0, x1), x2), (x3, (&m, &m1))) in rows.zip(c3.iter_mut().zip(ms)) {
                    *x0 = fms_lanes::<T, L, FMA>(fms_lanes::<T, L, FMA>(*x0, m, p0), m1, q0);
                    *x1 = fms_lanes::<T, L, FMA>(fms_lanes::<T, L, FMA>(*x1, m, p1), m1, q1);
                    *x2 = fms_lanes::<T, L, FMA>(fms_lanes::<T, L, FMA>(*x2, m, p2), m1, q2);
                    *x3 = fms_lanes::<T, L, FMA>(fms_lanes::<T, L, FMA>(*x3, m, p3), m1, q3);
                }
                c0[k] = fms_lanes::<T, L, FMA>(mul(p0, rp), m1k, q0);
                c1[k] = fms_lanes::<T, L, FMA>(mul(p1, rp), m1k, q1);
                c2[k] = fms_lanes::<T, L, FMA>(mul(p2, rp), m1k, q2);
                c3[k] = fms_lanes::<T, L, FMA>(mul(p3, rp), m1k, q3);
                c0[k + 1] = mul(q0, rp1);
                c1[k + 1] = mul(q1, rp1);
                c2[k + 1] = mul(q2, rp1);
                c3[k + 1] = mul(q3, rp1);
            }
            for col in quads.into_remainder().chunks_exact_mut(ld) {
                let col = &mut col[..n];
                update_column::<T, L, FMA>(col, colk, k, rp);
                update_column::<T, L, FMA>(col, colk1, k + 1, rp1);
            }
        }
        // Column k as step k leaves it, then step k + 1 on it.
        finish_column(colk, k, rp);
        update_column::<T, L, FMA>(colk, colk1, k + 1, rp1);
        finish_column(colk1, k + 1, rp1);
        k += 2;
    }
    if k < n {
        // The last step of an odd order, alone.
        let rp = pivots.take(n, ld, k, a, piv, idx);
        let (left, rest) = a.split_at_mut(k * ld);
        let (colk, right) = rest.split_at_mut(ld);
        let colk = &mut colk[..n];
        for side in [left, right] {
            let mut quads = side.chunks_exact_mut(4 * ld);
            for quad in &mut quads {
                let [c0, c1, c2, c3] = four_columns(quad, n, ld);
                let (p0, p1, p2, p3) = (c0[k], c1[k], c2[k], c3[k]);
                let rows = c0.iter_mut().zip(c1.iter_mut()).zip(c2.iter_mut());
                for (((x0, x1), x2), (x3, &m)) in rows.zip(c3.iter_mut().zip(colk.iter())) {
                    *x0 = fms_lanes::<T, L, FMA>(*x0, m, p0);
                    *x1 = fms_lanes::<T, L, FMA>(*x1, m, p1);
                    *x2 = fms_lanes::<T, L, FMA>(*x2, m, p2);
                    *x3 = fms_lanes::<T, L, FMA>(*x3, m, p3);
                }
                c0[k] = mul(p0, rp);
                c1[k] = mul(p1, rp);
                c2[k] = mul(p2, rp);
                c3[k] = mul(p3, rp);
            }
            for col in quads.into_remainder().chunks_exact_mut(ld) {
                update_column::<T, L, FMA>(&mut col[..n], colk, k, rp);
            }
        }
        finish_column(colk, k, rp);
    }

    // The row interchanges are undone as column interchanges by the caller
    // (see `column_order_into`), when the lanes are scattered.
    lane_status(n, pivots.first_zero, none, pivots.smallest, probe, idx)
}

/// The four columns of `quad` (`4 ld` lane vectors, a column every `ld`),
/// `n` entries each.
#[inline(always)]
fn four_columns<T>(quad: &mut [T], n: usize, ld: usize) -> [&mut [T]; 4] {
    let (c0, rest) = quad.split_at_mut(ld);
    let (c1, rest) = rest.split_at_mut(ld);
    let (c2, c3) = rest.split_at_mut(ld);
    [&mut c0[..n], &mut c1[..n], &mut c2[..n], &mut c3[..n]]
}

/// What [`invert`] notes of the pivots: per lane, the first step with a zero
/// pivot (`idx[n]` while there is none) and the smallest nonzero pivot modulus.
struct Pivots<T: Scalar, const L: usize> {
    first_zero: [T; L],
    smallest: [T::Real; L],
}

impl<T: Scalar, const L: usize> Pivots<T, L> {
    /// Step `k`'s pivot: picks it (the first row of largest modulus at or
    /// below `k` in column `k`), interchanges rows `k` and that row in every
    /// column, notes it, and turns column `k` into the multipliers
    /// `M[i][k] / pivot`, 0 at the pivot row (so that an update leaves that
    /// row alone). Returns `1 / pivot`.
    #[inline(always)]
    fn take(
        &mut self,
        n: usize,
        ld: usize,
        k: usize,
        a: &mut [[T; L]],
        piv: &mut [[T; L]],
        idx: &[T],
    ) -> [T; L] {
        let colk = &a[k * ld..k * ld + n];
        // Pivot row per lane: the first index of the largest modulus.
        let mut best = modulus(colk[k]);
        let mut p = splat(idx[k]);
        for (r, &x) in colk.iter().enumerate().skip(k + 1) {
            let v = modulus(x);
            p = select_gt(v, best, splat(idx[r]), p);
            best = select_gt(v, best, v, best);
        }
        piv[k] = p;

        // Interchange rows k and p, lane by lane: n scalar swaps per lane that
        // pivots, where blends would cost n (n - k) vector operations. Vector
        // swaps instead (one pass per pivot row some lane picked, exclusive-or
        // of the bits under the mask of the lanes that picked it) measured
        // slower on general matrices (`kernel_ns`, five interleaved rounds on a
        // Zen 4: 16×16 `f64` 653–659 → 677–691 ns, 24×24 1922–1937 → 2120–2138).
        for (l, &pl) in p.iter().enumerate() {
            if pl != idx[k] {
                let q = pl.modulus().to_usize().expect("a pivot row is an index");
                for col in a.chunks_exact_mut(ld) {
                    swap_lane(col, k, q, l);
                }
            }
        }

        // Note zero and small pivots, then take the reciprocal.
        let zero = splat(<T::Real as Zero>::zero());
        self.first_zero = select_eq(
            best,
            zero,
            select_eq(
                self.first_zero,
                splat(idx[n]),
                splat(idx[k]),
                self.first_zero,
            ),
            self.first_zero,
        );
        self.smallest = select_gt(
            self.smallest,
            best,
            select_eq(best, zero, self.smallest, best),
            self.smallest,
        );
        let colk = &mut a[k * ld..k * ld + n];
        let rp = recip(colk[k]);
        multipliers(colk, k, rp);
        rp
    }
}

/// Column `k` (`colk`) becomes the multipliers `M[i][k] * rp`, 0 at row `k`.
#[inline(always)]
fn multipliers<T: Scalar, const L: usize>(colk: &mut [[T; L]], k: usize, rp: [T; L]) {
    for x in colk.iter_mut() {
        *x = mul(*x, rp);
    }
    colk[k] = splat(T::zero());
}

/// Step `k` on one column: `M[i][j] -= m_i M[k][j]`, then the pivot row times
/// `rp` (`1 / pivot`); `m` holds the multipliers, 0 at row `k`.
#[inline(always)]
fn update_column<T: Scalar, const L: usize, const FMA: bool>(
    col: &mut [[T; L]],
    m: &[[T; L]],
    k: usize,
    rp: [T; L],
) {
    let pk = col[k];
    for (x, &m) in col.iter_mut().zip(m.iter()) {
        *x = fms_lanes::<T, L, FMA>(*x, m, pk);
    }
    col[k] = mul(pk, rp);
}

/// Column `k`, the multipliers of step `k`, becomes what that step leaves in
/// the inverse: `-m_i`, and `rp` (`1 / pivot`) on the diagonal.
#[inline(always)]
fn finish_column<T: Scalar, const L: usize>(colk: &mut [[T; L]], k: usize, rp: [T; L]) {
    for x in colk.iter_mut() {
        *x = neg(*x);
    }
    colk[k] = rp;
}

/// Swaps entries `k` and `q` of `col` in lane `l`.
#[inline(always)]
fn swap_lane<T: Copy, const L: usize>(col: &mut [[T; L]], k: usize, q: usize, l: usize) {
    let t = col[k][l];
    col[k][l] = col[q][l];
    col[q][l] = t;
}

/// [`column_order`] for an order known at run time, into `order` (`n` entries).
#[inline(always)]
pub(crate) fn column_order_into<T: Scalar, const L: usize>(
    piv: &[[T; L]],
    l: usize,
    order: &mut [usize],
) {
    let n = order.len();
    for (j, o) in order.iter_mut().enumerate() {
        *o = j;
    }
    for k in (0..n.saturating_sub(1)).rev() {
        let q = piv[k][l]
            .modulus()
            .to_usize()
            .expect("a pivot row is an index");
        order.swap(k, q);
    }
}

/// Per lane, `0` when every value of `cols` is finite, NaN otherwise: the sum of
/// `x * 0`, one chain per column so that the additions overlap.
#[inline(always)]
pub(crate) fn finite_probe<'c, T: Scalar, const L: usize>(
    cols: impl Iterator<Item = &'c [[T; L]]>,
) -> [T::Real; L] {
    let zero = splat(<T::Real as Zero>::zero());
    let mut total = zero;
    for col in cols {
        let mut acc = zero;
        for x in col {
            for l in 0..L {
                acc[l] = acc[l] + x[l].finite_probe();
            }
        }
        for l in 0..L {
            total[l] = total[l] + acc[l];
        }
    }
    total
}

/// The per-lane bookkeeping of [`step`] for a compile-time order `N`.
pub(crate) struct FixedState<T: Scalar, const N: usize, const L: usize> {
    /// Each step's pivot row per lane.
    pub piv: [[T; L]; N],
    /// The first zero pivot step per lane (`idx[N]` while there is none).
    first_zero: [T; L],
    /// The smallest nonzero pivot modulus per lane.
    smallest: [T::Real; L],
    /// `0` per lane when every input value is finite (see [`finite_probe`]).
    pub probe: [T::Real; L],
}

impl<T: Scalar, const N: usize, const L: usize> FixedState<T, N, L> {
    #[inline(always)]
    pub(crate) fn new(idx: &[T]) -> Self {
        FixedState {
            piv: [splat(T::zero()); N],
            first_zero: splat(idx[N]),
            smallest: splat(<T::Real as Float>::infinity()),
            probe: splat(<T::Real as Zero>::zero()),
        }
    }

    /// Each lane's status once every step has run.
    #[inline(always)]
    pub(crate) fn status(&self, idx: &[T]) -> [LaneStatus; L] {
        lane_status(
            N,
            self.first_zero,
            splat(idx[N]),
            self.smallest,
            self.probe,
            idx,
        )
    }
}

/// Step `k` of [`invert`] for a compile-time order `N` (the column interchanges
/// are left to the caller: see [`column_order`]). Called with a literal `k`, so
/// that every loop has constant bounds and unrolls.
#[inline(always)]
pub(crate) fn step<T: Scalar, const N: usize, const L: usize>(
    a: &mut [[[T; L]; N]; N],
    k: usize,
    st: &mut FixedState<T, N, L>,
    idx: &[T],
) {
    let zero = splat(<T::Real as Zero>::zero());
    let mut best = modulus(a[k][k]);
    let mut p = splat(idx[k]);
    for r in k + 1..N {
        let v = modulus(a[k][r]);
        p = select_gt(v, best, splat(idx[r]), p);
        best = select_gt(v, best, v, best);
    }
    st.piv[k] = p;
    st.first_zero = select_eq(
        best,
        zero,
        select_eq(st.first_zero, splat(idx[N]), splat(idx[k]), st.first_zero),
        st.first_zero,
    );
    st.smallest = select_gt(
        st.smallest,
        best,
        select_eq(best, zero, st.smallest, best),
        st.smallest,
    );
    if k + 1 < N && !all_eq(p, idx[k]) {
        eliminate::<T, N, L, true>(a, k, p, idx);
    } else {
        eliminate::<T, N, L, false>(a, k, p, idx);
    }
}

/// Rows `k` and `p` of `col` interchanged, lane by lane (`p >= k`).
#[inline(always)]
fn interchange<T: Scalar, const N: usize, const L: usize>(
    col: &mut [[T; L]; N],
    k: usize,
    p: [T; L],
    idx: &[T],
) {
    let (head, tail) = col.split_at_mut(k + 1);
    for (r, y) in tail.iter_mut().enumerate() {
        let q = splat(idx[k + 1 + r]);
        // The orders where the bitwise form measured faster (see
        // `swap_bits_where`): 8×8 `f64` (8 lanes above REGISTERS_MAX only
        // there), 7×7 and 8×8 `f32`.
        if L == 8 && N >= 7 {
            swap_bits_where(p, q, &mut head[k], y);
        } else {
            swap_where(p, q, &mut head[k], y);
        }
    }
}

/// [`swap_where`] for `f64` and `f32` by exclusive-or of the bits under a
/// mask (other types by blends), where [`interchange`] uses it: `f64` in 8
/// lanes above [`REGISTERS_MAX`](super::REGISTERS_MAX), i.e. 8×8, whose columns (16 vectors of 256
/// bits) do not fit in registers; there the compiler still stored some blends
/// as masked stores, the bitwise form it keeps as vector logic. `kernel_ns`,
/// general matrices, five interleaved rounds: 8×8 174–233 → 117–129 ns
/// (174–180 → 117–120 in four). In 4 lanes (6×6) it was slower (63.7–87.3 →
/// 71.5–94.5 ns; 63.7–66.5 → 71.5–74.7 in four), and at n <= 4 too (2×2
/// 5.2–5.4 → 8.5–12.3 ns). `f32` (8 lanes at every order) of order 7 and 8
/// uses it too: five interleaved rounds on a Zen 4, 7×7 100.7–118.4 →
/// 60.4–79.9 ns, 8×8 136.3–170.9 → 86.0–121.2; at 5×5 and 6×6 it was a few
/// per cent slower (29.0–35.0 → 29.8–37.1 ns, 40.5–53.6 → 42.2–53.1).
#[inline(always)]
fn swap_bits_where<T: Scalar, const L: usize>(
    p: [T; L],
    q: [T; L],
    x: &mut [T; L],
    y: &mut [T; L],
) {
    macro_rules! by_bits {
        ($f:ty, $u:ty) => {
            if let (Some(xs), Some(ys)) = (
                (x as &mut dyn std::any::Any).downcast_mut::<[$f; L]>(),
                (y as &mut dyn std::any::Any).downcast_mut::<[$f; L]>(),
            ) {
                let mut d: [$u; L] = [0; L];
                for l in 0..L {
                    let mask = if p[l] == q[l] { <$u>::MAX } else { 0 };
                    d[l] = (xs[l].to_bits() ^ ys[l].to_bits()) & mask;
                }
                for l in 0..L {
                    xs[l] = <$f>::from_bits(xs[l].to_bits() ^ d[l]);
                    ys[l] = <$f>::from_bits(ys[l].to_bits() ^ d[l]);
                }
                return;
            }
        };
    }
    by_bits!(f64, u64);
    by_bits!(f32, u32);
    swap_where(p, q, x, y);
}

/// The elimination of [`step`] `k`, each column loaded once: with `SWAP`, its
/// rows `k` and `p` are first interchanged in registers. Every value stored
/// is then an arithmetic result. (Interchanged in place beforehand, the
/// compiler stored each blend whose other operand was the value already in
/// memory as a masked store, `vmaskmovpd`, which AMD CPUs run slowly and
/// cannot forward to the loads that follow.)
#[inline(always)]
fn eliminate<T: Scalar, const N: usize, const L: usize, const SWAP: bool>(
    a: &mut [[[T; L]; N]; N],
    k: usize,
    p: [T; L],
    idx: &[T],
) {
    let mut ck = a[k];
    if SWAP {
        interchange(&mut ck, k, p, idx);
    }
    let rp = recip(ck[k]);
    let mut m = [splat(T::zero()); N];
    for i in 0..N {
        if i != k {
            m[i] = mul(ck[i], rp);
        }
    }
    for (c, col) in a.iter_mut().enumerate() {
        if c == k {
            continue;
        }
        if SWAP {
            let mut x = *col;
            interchange(&mut x, k, p, idx);
            let pk = x[k];
            for i in 0..N {
                col[i] = if i == k {
                    mul(pk, rp)
                } else {
                    fms_lanes::<T, L, false>(x[i], m[i], pk)
                };
            }
        } else {
            let pk = col[k];
            for (i, (x, &mi)) in col.iter_mut().zip(m.iter()).enumerate() {
                if i != k {
                    *x = fms_lanes::<T, L, false>(*x, mi, pk);
                }
            }
            col[k] = mul(pk, rp);
        }
    }
    for i in 0..N {
        a[k][i] = if i == k { rp } else { neg(m[i]) };
    }
}

/// The row interchanges of [`step`] (`piv`) undone as column interchanges,
/// last first, on every lane at once: afterwards column `j` of `a` is column
/// `j` of the inverse. Interchanges no lane made cost one comparison; the
/// others a blend per element of the two columns.
#[inline(always)]
pub(crate) fn unpivot_columns<T: Scalar, const N: usize, const L: usize>(
    a: &mut [[[T; L]; N]; N],
    piv: &[[T; L]; N],
    idx: &[T],
) {
    for k in (0..N.saturating_sub(1)).rev() {
        let p = piv[k];
        if all_eq(p, idx[k]) {
            continue;
        }
        let (lo, hi) = a.split_at_mut(k + 1);
        for (col, &q) in hi.iter_mut().zip(&idx[k + 1..N]) {
            for (x, y) in lo[k].iter_mut().zip(col.iter_mut()) {
                swap_where(p, splat(q), x, y);
            }
        }
    }
}

/// For every lane at once, the column of the inverse that each column of the
/// eliminated block is (`dest[c][l]`, as an index value): the inverse
/// permutation of [`column_order`], built by the same interchanges in the
/// same order, in registers (two comparisons and two blends per column and
/// interchange step some lane made). A scatter that stores each column at its
/// destination then needs no column interchanges at all (see
/// `simd::scatter_f64_columns`).
#[inline(always)]
pub(crate) fn column_destinations<T: Scalar, const N: usize, const L: usize>(
    piv: &[[T; L]; N],
    idx: &[T],
) -> [[T; L]; N] {
    let mut dest: [[T; L]; N] = std::array::from_fn(|c| splat(idx[c]));
    for k in (0..N.saturating_sub(1)).rev() {
        let p = piv[k];
        if all_eq(p, idx[k]) {
            continue;
        }
        // Interchanging columns k and p of the block: whatever went to k goes
        // to p, and whatever went to p goes to k.
        let here = splat(idx[k]);
        for d in &mut dest {
            *d = select_eq(*d, here, p, select_eq(*d, p, here, *d));
        }
    }
    dest
}

/// For lane `l`, the column of the eliminated block that is column `j` of the
/// inverse: the row interchanges `piv` undone as column interchanges, last
/// first. Applied when the lanes are scattered, so it costs no blends.
#[inline(always)]
pub(crate) fn column_order<T: Scalar, const N: usize, const L: usize>(
    piv: &[[T; L]; N],
    l: usize,
    idx: &[T],
) -> [usize; N] {
    let mut order = [0; N];
    for (j, o) in order.iter_mut().enumerate() {
        *o = j;
    }
    for k in (0..N.saturating_sub(1)).rev() {
        let p = piv[k][l];
        if p != idx[k] {
            let q = (k + 1..N)
                .find(|&q| idx[q] == p)
                .expect("a pivot row is an index below n");
            order.swap(k, q);
        }
    }
    order
}

/// Each lane's status from the first zero pivot step and the smallest nonzero pivot.
#[inline(always)]
fn lane_status<T: Scalar, const L: usize>(
    n: usize,
    first_zero: [T; L],
    none: [T; L],
    smallest: [T::Real; L],
    probe: [T::Real; L],
    idx: &[T],
) -> [LaneStatus; L] {
    let sfmin = <T::Real as Float>::min_positive_value();
    let zero = <T::Real as Zero>::zero();
    let mut status = [LaneStatus::Ok; L];
    for l in 0..L {
        if probe[l] != zero {
            status[l] = LaneStatus::NonFinite;
        } else if smallest[l] < sfmin {
            status[l] = LaneStatus::Fallback;
        } else if first_zero[l] != none[l] {
            let k = idx[..n]
                .iter()
                .position(|&v| v == first_zero[l])
                .expect("a recorded pivot step is below n");
            status[l] = LaneStatus::Singular(k);
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(n: usize) -> Vec<f64> {
        (0..=n).map(index_value).collect()
    }

    /// One lane: column-major `m` (n×n) inverted.
    fn invert_one(n: usize, m: &[f64]) -> (Vec<f64>, LaneStatus) {
        let mut a: Vec<[f64; 1]> = m.iter().map(|&x| [x]).collect();
        let mut piv = vec![[0.0; 1]; n];
        let s = invert::<f64, 1, false>(n, n, &mut a, &mut piv, &idx(n), [0.0]);
        let mut order = vec![0; n];
        column_order_into(&piv, 0, &mut order);
        let x = order
            .iter()
            .flat_map(|&c| a[c * n..(c + 1) * n].iter().map(|[x]| *x));
        (x.collect(), s[0])
    }

    #[test]
    fn padded_columns_give_the_same_bits() {
        // General matrices (rows interchanged at most steps), two steps per pass
        // and an odd last step, column quads and a remainder: the padding
        // (NaN, which would spread if read) is never read or written.
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for n in [2, 3, 5, 8, 9, 13, 32] {
            let m: Vec<f64> = (0..n * n)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
                })
                .collect();
            let (x, s) = invert_one(n, &m);
            assert_eq!(s, LaneStatus::Ok);
            let ld = n + 2;
            let mut a = vec![[f64::NAN; 1]; ld * n];
            for (col, m) in a.chunks_exact_mut(ld).zip(m.chunks_exact(n)) {
                for (x, &v) in col.iter_mut().zip(m) {
                    *x = [v];
                }
            }
            let mut piv = vec![[0.0; 1]; n];
            let s = invert::<f64, 1, false>(n, ld, &mut a, &mut piv, &idx(n), [0.0]);
            assert_eq!(s[0], LaneStatus::Ok);
            let mut order = vec![0; n];
            column_order_into(&piv, 0, &mut order);
            let padded: Vec<f64> = order
                .iter()
                .flat_map(|&c| a[c * ld..c * ld + n].iter().map(|[x]| *x))
                .collect();
            assert_eq!(padded, x, "n={n}");
            assert!(a
                .chunks_exact(ld)
                .all(|c| c[n..].iter().all(|x| x[0].is_nan())));
        }
    }

    #[test]
    fn column_destinations_invert_column_order() {
        // Every pivot sequence of a 4×4 elimination (step k picks a row in
        // k..4), eight per call, one per lane.
        let idx = idx(4);
        let all: Vec<[usize; 4]> = (0..4)
            .flat_map(|a| (1..4).flat_map(move |b| (2..4).map(move |c| [a, b, c, 3])))
            .collect();
        assert_eq!(all.len(), 24);
        for group in all.chunks(8) {
            let piv: [[f64; 8]; 4] =
                std::array::from_fn(|k| std::array::from_fn(|l| idx[group[l % group.len()][k]]));
            let dest = column_destinations(&piv, &idx);
            for l in 0..8 {
                let order = column_order(&piv, l, &idx);
                for (j, &c) in order.iter().enumerate() {
                    assert_eq!(dest[c][l], idx[j], "pivots {:?}", group[l % group.len()]);
                }
            }
        }
    }

    #[test]
    fn two_by_two_with_a_row_interchange() {
        // M = [[1, 2], [3, 4]] column-major; inverse [[-2, 1], [1.5, -0.5]].
        let (x, s) = invert_one(2, &[1.0, 3.0, 2.0, 4.0]);
        assert_eq!(s, LaneStatus::Ok);
        let expect = [-2.0, 1.5, 1.0, -0.5];
        for (a, b) in x.iter().zip(expect) {
            assert!((a - b).abs() < 1e-15, "{x:?}");
        }
    }

    #[test]
    fn zero_pivots_are_reported_at_lapacks_step() {
        // Second column of M a multiple of the first: U[1][1] = 0.
        let (_, s) = invert_one(2, &[1.0, 2.0, 2.0, 4.0]);
        assert_eq!(s, LaneStatus::Singular(1));
        // First column zero.
        let (_, s) = invert_one(3, &[0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 7.0]);
        assert_eq!(s, LaneStatus::Singular(0));
    }

    #[test]
    fn subnormal_pivots_fall_back() {
        let (_, s) = invert_one(1, &[1e-310]);
        assert_eq!(s, LaneStatus::Fallback);
        let (x, s) = invert_one(1, &[1e-300]);
        assert_eq!(s, LaneStatus::Ok);
        assert_eq!(x[0], 1.0 / 1e-300);
    }

    #[test]
    fn lanes_pivot_independently() {
        // Lane 0: identity; lane 1: the permutation [[0, 1], [1, 0]].
        let mut a = vec![[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]];
        let mut piv = vec![[0.0; 2]; 2];
        let s = invert::<f64, 2, false>(2, 2, &mut a, &mut piv, &idx(2), [0.0; 2]);
        assert_eq!(s, [LaneStatus::Ok; 2]);
        let mut order = [0; 2];
        column_order_into(&piv, 0, &mut order);
        assert_eq!(order, [0, 1]);
        column_order_into(&piv, 1, &mut order);
        assert_eq!(order, [1, 0]);
        // Lane 1 holds the permutation's inverse (itself) with columns swapped.
        assert_eq!(a, vec![[1.0, 1.0], [0.0, 0.0], [0.0, 0.0], [1.0, 1.0]]);
    }
}
