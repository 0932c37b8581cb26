//! `inv`: the inverse of every matrix of a stack, through LAPACK getrf + getri
//! (or getrs on the identity), with NumPy's errors or a per-matrix report.

use std::mem::MaybeUninit;

use ndarray::{Array, ArrayBase, Data, Dimension};

use crate::backend::{loaded_vendor, preferred_route};
use crate::batch::{split_fresh, split_groups, FirstFailure, Plan};
use crate::error::LinAlgError;
use crate::kernels::{self, LaneStatus};
use crate::lapack::pages::{Fresh, FreshPart};
use crate::lapack::{lapack_int, Norm, Transpose};
use crate::layout::{all_finite, fresh_output, square_stack, Source, Stack};
use crate::options::{InvOptions, Method};
use crate::report::InvReport;
use crate::scalar::{Element, Scalar};

/// The inverse of `a` in a new standard-layout array; `a` is only read.
pub(crate) fn inv<A, S, D>(
    a: &ArrayBase<S, D>,
    opts: &InvOptions,
) -> Result<Array<A::Output, D>, LinAlgError>
where
    A: Element,
    S: Data<Elem = A>,
    D: Dimension,
{
    let ran = run(a, opts, FirstFailure::new())?;
    match ran.failures.into_first() {
        None => Ok(ran.out.expect("only a failure abandons the output")),
        Some((i, e)) => Err(e.at_batch(ran.stack.batch_index(i))),
    }
}

/// Every inverse that can be computed, and a status per matrix.
pub(crate) fn inv_ex<A, S, D>(
    a: &ArrayBase<S, D>,
    opts: &InvOptions,
) -> Result<InvReport<A::Output, D>, LinAlgError>
where
    A: Element,
    S: Data<Elem = A>,
    D: Dimension,
{
    let ran = run(a, opts, FirstFailure::keep_all())?;
    Ok(InvReport::new(
        ran.out
            .expect("a batch that keeps going past failures writes its whole output"),
        &ran.stack.batch,
        ran.failures.into_all(),
        ran.rcond,
    ))
}

/// What one run over a stack leaves: the output, the stack's shape, the failures
/// and (when asked for) each matrix's rcond.
struct Ran<T, D> {
    /// `None` when the batch stopped at a failure (the output, incomplete, was
    /// dropped).
    out: Option<Array<T, D>>,
    stack: Stack,
    failures: FirstFailure,
    rcond: Option<Vec<f64>>,
}

/// Copies `a` into a new C-order buffer and inverts it there.
fn run<A, S, D>(
    a: &ArrayBase<S, D>,
    opts: &InvOptions,
    failures: FirstFailure,
) -> Result<Ran<A::Output, D>, LinAlgError>
where
    A: Element,
    S: Data<Elem = A>,
    D: Dimension,
{
    let stack = square_stack(a.shape())?;
    // Every size LAPACK will see is checked before the output is allocated.
    let prepared = Prepared::new::<A::Output>(&stack, opts)?;
    // Written only by the workers, each part as it is computed (see
    // `lapack::pages::Fresh`), at every size.
    let mut out = fresh_output::<A::Output>(stack.count * stack.matrix_len())?;
    let mut rcond = opts.needs_rcond().then(|| vec![f64::NAN; stack.count]);
    if !stack.is_empty() {
        let source = Source::new(a.view().into_dyn());
        // The kernel checks finiteness itself, across a block of matrices at once.
        let check = opts.check_finite && !prepared.checks_finite();
        // A C-order input of the output type is read by the kernel directly.
        let direct = match &source {
            Source::Contiguous(data) => crate::lapack::cast::same_type(data),
            Source::Strided(_) => None,
        };
        let bands = prepared.plan.copy_bands;
        let fill = |i, slot: &mut [MaybeUninit<A::Output>]| {
            source.load_in_bands(&stack, i, slot, check, bands)
        };
        // SAFETY: `Source::load_in_bands` writes every element of its slot,
        // whatever it returns (it checks the slot's length first).
        let fill = unsafe { Fill::new(&fill) };
        invert_stack(
            &prepared,
            &stack,
            Output::Fresh(&mut out, fill),
            direct,
            opts,
            &failures,
            rcond.as_deref_mut(),
        );
    }
    let out = out.finish().map(|v| {
        Array::from_shape_vec(a.raw_dim(), v)
            .expect("the output holds one element per input element")
    });
    Ok(Ran {
        out,
        stack,
        failures,
        rcond,
    })
}

/// The inverse of `a`, computed in `a`'s own buffer when it is in standard layout
/// (else as [`inv`]). On error the array is dropped.
pub(crate) fn inv_into<T, D>(a: Array<T, D>, opts: &InvOptions) -> Result<Array<T, D>, LinAlgError>
where
    T: Scalar,
    D: Dimension,
{
    if !a.is_standard_layout() {
        return inv(&a, opts);
    }
    let stack = square_stack(a.shape())?;
    let shape = a.raw_dim();
    let (mut data, offset) = a.into_raw_vec_and_offset();
    // A standard-layout owned array starts at its buffer's first element unless it
    // was sliced; then its elements are a contiguous run further on.
    let start = offset.unwrap_or(0);
    let len = stack.count * stack.matrix_len();
    if !stack.is_empty() {
        let prepared = Prepared::new::<T>(&stack, opts)?;
        let failures = FirstFailure::new();
        let check = opts.check_finite && !prepared.checks_finite();
        invert_stack(
            &prepared,
            &stack,
            Output::Ready(&mut data[start..start + len], &|_, slot: &mut [T]| {
                !check || all_finite(slot)
            }),
            None,
            opts,
            &failures,
            None,
        );
        if let Some((i, e)) = failures.into_first() {
            return Err(e.at_batch(stack.batch_index(i)));
        }
    }
    if start != 0 || data.len() != len {
        data.drain(..start);
        data.truncate(len);
    }
    Ok(Array::from_shape_vec(shape, data).expect("the buffer holds the whole stack"))
}

/// How one matrix is inverted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// getrf, then getri in place.
    Getri,
    /// getrf on a copy, then getrs on the identity in the output slot.
    Getrs,
    /// The own batched kernel (`kernels`), blocks of matrices at once; LAPACK
    /// getrf + getri for the rare matrix the kernel hands back.
    Kernel,
}

impl Route {
    /// The route for `method` on matrices of type `T` and order `n`: the own kernel
    /// wherever it exists, else the LAPACK route measured faster for the loaded
    /// vendor at this size ([`preferred_route`]).
    fn choose<T: Scalar>(method: Method, n: usize) -> Self {
        let kernel = kernels::has_kernel::<T>(n);
        match method {
            Method::Getrs => Route::Getrs,
            Method::Getri => Route::Getri,
            Method::Auto | Method::Kernel if kernel => Route::Kernel,
            Method::Kernel => Route::Getri,
            Method::Auto => match preferred_route(loaded_vendor(), n) {
                Method::Getrs => Route::Getrs,
                _ => Route::Getri,
            },
        }
    }
}

/// What a call decides once, before any allocation: route, workspace size, plan.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prepared {
    route: Route,
    lwork: usize,
    plan: Plan,
}

impl Prepared {
    /// Whether the route checks finiteness itself (so `load` need not).
    pub(crate) fn checks_finite(&self) -> bool {
        self.route == Route::Kernel
    }

    /// Checks every size LAPACK will be given (`n`, `lwork`) and plans the batch.
    ///
    /// # Errors
    /// [`LinAlgError::TooLarge`] when a size does not fit LAPACK's 32-bit integer.
    pub(crate) fn new<T: Scalar>(stack: &Stack, opts: &InvOptions) -> Result<Self, LinAlgError> {
        let route = Route::choose::<T>(opts.method, stack.n);
        // One workspace query per call, not per matrix.
        let lwork = if route != Route::Getrs && !stack.is_empty() {
            let lwork = T::getri_lwork(stack.n)?;
            lapack_int(lwork, "lwork")?;
            lwork
        } else {
            0
        };
        Ok(Prepared {
            route,
            lwork,
            plan: Plan::with_threads(stack.count, stack.n, opts.threads),
        })
    }
}

/// One worker's scratch space, reused across its matrices.
struct Workspace<T> {
    ipiv: Vec<i32>,
    /// getri's scratch, never initialised (LAPACK writes it before reading).
    work: Box<[MaybeUninit<T>]>,
    /// The LU factors, when they cannot live in the output slot (getrs route).
    lu: Vec<T>,
}

/// `load(i, slot)`: makes sure matrix `i` is in its slot, which already holds
/// values (for in-place work it leaves them), and says whether its values are
/// finite.
pub(crate) type Load<'a, T> = &'a (dyn Fn(usize, &mut [T]) -> bool + Sync);

/// Like [`Load`], into a slot of a fresh output that nothing has written yet.
#[derive(Clone, Copy)]
pub(crate) struct Fill<'a, T>(&'a (dyn Fn(usize, &mut [MaybeUninit<T>]) -> bool + Sync));

impl<'a, T> Fill<'a, T> {
    /// # Safety
    /// `fill(i, slot)` must write every element of `slot`, whatever it returns
    /// (it may panic instead: see `FreshPart::take_written`).
    pub(crate) unsafe fn new(
        fill: &'a (dyn Fn(usize, &mut [MaybeUninit<T>]) -> bool + Sync),
    ) -> Self {
        Fill(fill)
    }
}

/// Where the inverses go, and how each slot gets its matrix.
pub(crate) enum Output<'a, T> {
    /// A buffer already holding the matrices (in-place work, `inv_into`).
    Ready(&'a mut [T], Load<'a, T>),
    /// A fresh buffer, written part by part as the matrices are loaded.
    Fresh(&'a mut Fresh<T>, Fill<'a, T>),
}

/// One group's share of the [`Output`], handed out in order.
enum Dest<'a, T: Copy> {
    Ready(&'a mut [T], Load<'a, T>),
    Fresh(FreshPart<'a, T>, Fill<'a, T>),
}

impl<'a, T: Copy> Dest<'a, T> {
    /// Once the batch has stopped at a failure, the output will be dropped:
    /// a fresh one need not be written further (see `FreshPart::abandon`).
    fn abandon_if(&self, failures: &FirstFailure) {
        if let Dest::Fresh(p, _) = self {
            if failures.stopped() {
                p.abandon();
            }
        }
    }

    /// Elements not handed out yet.
    fn len(&self) -> usize {
        match self {
            Dest::Ready(s, _) => s.len(),
            Dest::Fresh(p, _) => p.len(),
        }
    }

    /// The next `k` elements (fewer when fewer are left), as they are: zero when
    /// fresh (for a kernel that reads its input elsewhere and writes them all).
    fn take(&mut self, k: usize) -> &'a mut [T] {
        match self {
            Dest::Ready(s, _) => take_head(s, k),
            Dest::Fresh(p, _) => p.take(k),
        }
    }

    /// The next `k` elements (fewer when fewer are left: whole matrices of `nn`
    /// either way) with matrices `first`, `first + 1`, ... loaded into them;
    /// `finite[j]` says whether matrix `first + j`'s values are finite. A fresh
    /// slot is written once, by the copy, not zero-filled first.
    fn take_loaded(
        &mut self,
        k: usize,
        nn: usize,
        first: usize,
        finite: &mut [bool],
    ) -> &'a mut [T] {
        match self {
            Dest::Ready(s, load) => {
                let head = take_head(s, k);
                for (j, slot) in head.chunks_exact_mut(nn).enumerate() {
                    finite[j] = load(first + j, slot);
                }
                head
            }
            Dest::Fresh(p, fill) => {
                let write = |head: &mut [MaybeUninit<T>]| {
                    // Every element belongs to a whole slot, which `fill` writes.
                    assert_eq!(head.len() % nn, 0, "a part holds whole matrices");
                    for (j, slot) in head.chunks_exact_mut(nn).enumerate() {
                        finite[j] = (fill.0)(first + j, slot);
                    }
                };
                // SAFETY: `write` writes every element of `head`: the slots cover it
                // (checked above) and `fill` writes every element of each slot
                // (`Fill::new`'s contract).
                unsafe { p.take_written(k, write) }
            }
        }
    }
}

/// Splits the first `k` elements (fewer when fewer are left) off `s`.
fn take_head<'a, T>(s: &mut &'a mut [T], k: usize) -> &'a mut [T] {
    let all = std::mem::take(s);
    let (head, tail) = all.split_at_mut(k.min(all.len()));
    *s = tail;
    head
}

/// Inverts the `stack.count` matrices of `out` (C order, one after another).
///
/// Each slot gets its matrix from `out`'s loader; `direct`, when given, holds every
/// input matrix in C order (the type and layout of the output), which the kernel
/// route reads instead. Failures go to `failures`; when it keeps them all, the
/// failed slots are filled with NaN. `rcond`, when given, gets each matrix's
/// estimated reciprocal condition number.
#[allow(clippy::too_many_arguments)]
pub(crate) fn invert_stack<T: Scalar>(
    prepared: &Prepared,
    stack: &Stack,
    out: Output<'_, T>,
    direct: Option<&[T]>,
    opts: &InvOptions,
    failures: &FirstFailure,
    rcond: Option<&mut [f64]>,
) {
    let n = stack.n;
    let nn = stack.matrix_len();
    let Prepared { route, lwork, plan } = *prepared;
    let rcond_groups = rcond
        .map(|r| r.chunks_mut(plan.group_len).map(Some).collect::<Vec<_>>())
        .unwrap_or_default();
    let dests: Vec<(usize, Dest<'_, T>)> = match out {
        Output::Ready(buf, load) => split_groups(buf, nn, plan.group_len)
            .into_iter()
            .map(|(start, part)| (start, Dest::Ready(part, load)))
            .collect(),
        // A large fresh output is faulted in as it is first written: `parts`
        // advises huge pages, 512 times fewer faults.
        Output::Fresh(fresh, fill) => split_fresh(fresh, nn, plan.group_len)
            .into_iter()
            .map(|(start, part)| (start, Dest::Fresh(part, fill)))
            .collect(),
    };
    let groups: Vec<_> = dests
        .into_iter()
        .zip(
            rcond_groups
                .into_iter()
                .chain(std::iter::repeat_with(|| None)),
        )
        .collect();
    let work = |((start, mut dest), rcond_part): ((usize, Dest<'_, T>), Option<&mut [f64]>)| {
        if route == Route::Kernel {
            let direct = direct.map(|d| &d[start * nn..start * nn + dest.len()]);
            kernel_group(
                n, lwork, start, &mut dest, direct, opts, failures, rcond_part,
            );
        } else {
            lapack_group(
                n, lwork, route, start, &mut dest, opts, failures, rcond_part,
            );
        }
        dest.abandon_if(failures);
    };
    plan.run(groups, work);
}

/// A LAPACK route over one group (`part`, its first matrix numbered `start`):
/// one matrix after another, each loaded into its slot and inverted there.
#[allow(clippy::too_many_arguments)]
fn lapack_group<T: Scalar>(
    n: usize,
    lwork: usize,
    route: Route,
    start: usize,
    part: &mut Dest<'_, T>,
    opts: &InvOptions,
    failures: &FirstFailure,
    mut rcond: Option<&mut [f64]>,
) {
    let nn = n * n;
    let mut ws = Workspace {
        ipiv: vec![0; n],
        work: Box::new_uninit_slice(lwork),
        lu: if route == Route::Getrs {
            vec![T::zero(); nn]
        } else {
            Vec::new()
        },
    };
    for k in 0..part.len() / nn {
        let i = start + k;
        if failures.is_past(i) {
            break;
        }
        let mut finite = [true];
        let slot = part.take_loaded(nn, nn, i, &mut finite);
        let (result, rc) = if finite[0] {
            invert_one(n, slot, &mut ws, route, opts)
        } else {
            (Err(LinAlgError::NonFinite { batch: Vec::new() }), f64::NAN)
        };
        if let Some(r) = rcond.as_deref_mut() {
            r[k] = rc;
        }
        if let Err(e) = result {
            failures.record(i, e);
            if failures.stops() {
                break;
            }
            slot.fill(T::nan());
        }
    }
}

/// The kernel route over one group (`part`, its first matrix numbered `start`):
/// blocks of [`kernels::BLOCK`] matrices are loaded (or read from `direct`, the
/// group's input in C order of the output type), inverted together and then
/// checked in C order, with the same failure rules as the LAPACK loop.
///
/// When `rcond` is asked for, it is LAPACK's estimate (`getrf` + `gecon` on a copy
/// of each matrix), so asking for it never changes the inverse.
#[allow(clippy::too_many_arguments)]
fn kernel_group<T: Scalar>(
    n: usize,
    lwork: usize,
    start: usize,
    part: &mut Dest<'_, T>,
    direct: Option<&[T]>,
    opts: &InvOptions,
    failures: &FirstFailure,
    mut rcond: Option<&mut [f64]>,
) {
    let nn = n * n;
    let mut kernel = kernels::Workspace::<T>::new(n, opts.check_finite);
    // LAPACK's workspace, for matrices the kernel hands back and for rcond.
    let mut lapack: Option<Workspace<T>> = None;
    let mut lapack_ws = || Workspace {
        ipiv: vec![0; n],
        work: Box::new_uninit_slice(lwork),
        lu: vec![T::zero(); if opts.needs_rcond() { nn } else { 0 }],
    };
    // The block's matrices as loaded, for rcond.
    let mut saved = vec![
        T::zero();
        if opts.needs_rcond() {
            nn * kernels::BLOCK
        } else {
            0
        }
    ];
    for b in 0.. {
        let first = start + b * kernels::BLOCK;
        if part.len() == 0 || failures.is_past(first) {
            break;
        }
        // Taken (and loaded, or for a fresh output read directly, zero-filled)
        // block by block, while the block fits in L1.
        let mut finite = [true; kernels::BLOCK];
        let (block, src, ahead) = match direct {
            Some(d) => {
                let block = part.take(nn * kernels::BLOCK);
                let len = block.len();
                let (src, ahead) = d[b * kernels::BLOCK * nn..].split_at(len);
                (block, Some(src), ahead)
            }
            None => (
                part.take_loaded(nn * kernels::BLOCK, nn, first, &mut finite),
                None,
                &[][..],
            ),
        };
        if !saved.is_empty() {
            saved[..block.len()].copy_from_slice(src.unwrap_or(block));
        }
        let status = kernel.invert_block(src, ahead, block);
        for (k, slot) in block.chunks_exact_mut(nn).enumerate() {
            let (result, rc) = match status[k] {
                _ if !finite[k] => (Err(LinAlgError::NonFinite { batch: Vec::new() }), f64::NAN),
                LaneStatus::Ok if saved.is_empty() => continue,
                LaneStatus::Ok => {
                    let ws = lapack.get_or_insert_with(&mut lapack_ws);
                    ws.lu.copy_from_slice(&saved[k * nn..(k + 1) * nn]);
                    lapack_rcond(n, ws, opts)
                }
                LaneStatus::NonFinite => {
                    (Err(LinAlgError::NonFinite { batch: Vec::new() }), f64::NAN)
                }
                LaneStatus::Singular(pivot) => (
                    Err(LinAlgError::Singular {
                        batch: Vec::new(),
                        pivot,
                    }),
                    0.0,
                ),
                LaneStatus::Fallback => {
                    let ws = lapack.get_or_insert_with(&mut lapack_ws);
                    invert_one(n, slot, ws, Route::Getri, opts)
                }
            };
            if let Some(r) = rcond.as_deref_mut() {
                r[b * kernels::BLOCK + k] = rc;
            }
            if let Err(e) = result {
                failures.record(first + k, e);
                if failures.stops() {
                    return;
                }
                slot.fill(T::nan());
            }
        }
    }
}

/// LAPACK's rcond estimate of the matrix in `ws.lu` (destroyed), and the
/// `IllConditioned` error when it is below the threshold asked for.
fn lapack_rcond<T: Scalar>(
    n: usize,
    ws: &mut Workspace<T>,
    opts: &InvOptions,
) -> (Result<(), LinAlgError>, f64) {
    let estimate = T::lange(Norm::Inf, n, &ws.lu).and_then(|anorm| {
        match T::getrf(n, &mut ws.lu, &mut ws.ipiv) {
            // The kernel found no zero pivot; LAPACK's rounding did: rcond is 0.
            Err(LinAlgError::Singular { .. }) => Ok(0.0),
            Err(e) => Err(e),
            Ok(()) => T::gecon(Norm::Inf, n, &ws.lu, anorm),
        }
    });
    match estimate {
        Err(e) => (Err(e), f64::NAN),
        Ok(rc) => match opts.rcond_threshold {
            // A NaN estimate is not below any threshold, so it is not rejected.
            Some(threshold) if rc < threshold => (
                Err(LinAlgError::IllConditioned {
                    batch: Vec::new(),
                    rcond: rc,
                }),
                rc,
            ),
            _ => (Ok(()), rc),
        },
    }
}

/// Inverts one C-order matrix in place; returns the outcome and the estimated
/// rcond (NaN when not asked for, 0 for an exactly singular matrix).
///
/// The slot seen as column-major is `Aᵀ`, so the ∞-norm routines give `A`'s
/// 1-norm figures.
fn invert_one<T: Scalar>(
    n: usize,
    slot: &mut [T],
    ws: &mut Workspace<T>,
    route: Route,
    opts: &InvOptions,
) -> (Result<(), LinAlgError>, f64) {
    let anorm = if opts.needs_rcond() {
        match T::lange(Norm::Inf, n, slot) {
            Ok(x) => x,
            Err(e) => return (Err(e), f64::NAN),
        }
    } else {
        f64::NAN
    };
    let factored = match route {
        Route::Getri | Route::Kernel => T::getrf(n, slot, &mut ws.ipiv),
        Route::Getrs => {
            ws.lu.copy_from_slice(slot);
            T::getrf(n, &mut ws.lu, &mut ws.ipiv)
        }
    };
    if let Err(e) = factored {
        let rc = if matches!(e, LinAlgError::Singular { .. }) {
            0.0
        } else {
            f64::NAN
        };
        return (Err(e), rc);
    }
    let mut rc = f64::NAN;
    if opts.needs_rcond() {
        let lu: &[T] = if route == Route::Getrs { &ws.lu } else { slot };
        rc = match T::gecon(Norm::Inf, n, lu, anorm) {
            Ok(x) => x,
            Err(e) => return (Err(e), f64::NAN),
        };
        if let Some(threshold) = opts.rcond_threshold {
            // A NaN estimate is not below any threshold, so it is not rejected.
            if rc < threshold {
                return (
                    Err(LinAlgError::IllConditioned {
                        batch: Vec::new(),
                        rcond: rc,
                    }),
                    rc,
                );
            }
        }
    }
    let inverted = match route {
        Route::Getri | Route::Kernel => T::getri(n, slot, &ws.ipiv, &mut ws.work),
        Route::Getrs => {
            slot.fill(T::zero());
            for d in slot.iter_mut().step_by(n + 1) {
                *d = T::one();
            }
            T::getrs(Transpose::No, n, n, &ws.lu, &ws.ipiv, slot)
        }
    };
    (inverted, rc)
}
