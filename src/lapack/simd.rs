//! Runs a vectorisable job with the widest instruction set the CPU has, chosen at
//! run time: the job's portable code is compiled a second time inside a
//! `#[target_feature(enable = "avx2")]` function (so the auto-vectoriser uses
//! 256-bit registers) and that copy is called only when the CPU has AVX2.
//!
//! AVX-512 (`avx512f` + `avx512vl`: 32 vector registers, 512-bit operations) is
//! used only by the jobs that measured faster with it ([`run_fused_wide`]), and
//! only when the compiler can enable it: `#[target_feature(enable = "avx512f")]`
//! is stable since Rust 1.89, above this crate's `rust-version`, so `build.rs`
//! sets `cfg(inv_ext_avx512)` on newer compilers and older ones build without it.

/// A job whose [`run`](Vectorised::run) (and everything it calls) is
/// `#[inline(always)]`, so it is compiled with the caller's target features.
pub(crate) trait Vectorised {
    /// Does the work.
    fn run(&mut self);
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
    job.run();
}

/// `job.run()` compiled with AVX2 enabled.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn avx2<J: Vectorised>(job: &mut J) {
    job.run();
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
unsafe fn avx2_fma<J: Fused>(job: &mut J) {
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
unsafe fn avx512_fma<J: Fused>(job: &mut J) {
    job.run::<true>();
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sum<'a>(&'a [f64], f64);
    impl Vectorised for Sum<'_> {
        #[inline(always)]
        fn run(&mut self) {
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
