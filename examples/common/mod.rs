//! What the timing examples share: the seeded test stacks and the best-of-k
//! timer.

use std::time::Instant;

use ndarray::Array3;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Waits out the vendor library's start-up spin before anything is timed.
///
/// OpenBLAS's worker threads spin (`sched_yield`) for about 0.1 s after the
/// library loads before they sleep: an idle process linked to the Debian
/// OpenBLAS burns 0.10 s of CPU in its first two seconds, none with
/// `OPENBLAS_NUM_THREADS=1`. Timed inside that window, the first shapes lose one
/// of two cores (2×2: 11 instead of 5.6 ns per matrix). NumPy's script
/// generates its stacks after `import numpy`, so its spin is over before it
/// times; here it is waited out.
pub fn settle_vendor_threads() {
    std::thread::sleep(std::time::Duration::from_millis(300));
}

/// Best wall time of `repeat` runs of `f` (after a warm-up), in ns per matrix.
pub fn best_ns(batch: usize, repeat: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..repeat)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
        / batch as f64
        * 1e9
}

/// Uniform in [-1, 1) plus n on the diagonal: well conditioned, as
/// scripts/numpy_small.py makes them. Diagonally dominant, so partial pivoting
/// never interchanges rows (see [`general_stack`]).
#[allow(dead_code)] // each example uses one of the two
pub fn stack(batch: usize, n: usize) -> Array3<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    Array3::from_shape_fn((batch, n, n), |(_, i, j)| {
        rng.gen_range(-1.0..1.0) + if i == j { n as f64 } else { 0.0 }
    })
}

/// Uniform in [-1, 1), nothing added: general matrices, as
/// `np.random.uniform(-1, 1, (batch, n, n))` gives (scripts/numpy_small.py
/// `--pivoting`), for which partial pivoting interchanges rows at most steps.
#[allow(dead_code)]
pub fn general_stack(batch: usize, n: usize) -> Array3<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    Array3::from_shape_fn((batch, n, n), |_| rng.gen_range(-1.0..1.0))
}
