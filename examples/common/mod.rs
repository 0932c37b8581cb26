//! What the timing examples share: the seeded test stacks and the best-of-k
//! timer.

use std::time::Instant;

use ndarray::Array3;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

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
/// scripts/numpy_small.py makes them.
pub fn stack(batch: usize, n: usize) -> Array3<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    Array3::from_shape_fn((batch, n, n), |(_, i, j)| {
        rng.gen_range(-1.0..1.0) + if i == j { n as f64 } else { 0.0 }
    })
}
