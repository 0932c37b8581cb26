//! Under load: more caller threads than cores, each inverting small batches (batch
//! workers, vendor held to one thread) and single large matrices (vendor threads)
//! at the same time. Every answer is checked; the loop is bounded in count.

use std::thread;

use inv_ext::{InvExt, InvOptions, Threads};
use ndarray::{Array, Array2, Array3, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn well_conditioned(n: usize, rng: &mut ChaCha8Rng) -> Array2<f64> {
    Array2::from_shape_fn((n, n), |(i, j)| {
        rng.gen_range(-1.0..1.0) + if i == j { n as f64 } else { 0.0 }
    })
}

/// `max |I − A·X|`: small for a true inverse of a well-conditioned matrix.
fn residual(a: &Array2<f64>, x: &Array2<f64>) -> f64 {
    (Array2::<f64>::eye(a.nrows()) - a.dot(x))
        .iter()
        .fold(0.0, |m, v| m.max(v.abs()))
}

#[test]
fn many_threads_at_once_all_answers_right() {
    let callers = 2 * thread::available_parallelism().map_or(2, |n| n.get()) + 2;
    let handles: Vec<_> = (0..callers)
        .map(|t| {
            thread::spawn(move || {
                let mut rng = ChaCha8Rng::seed_from_u64(t as u64);
                for round in 0..6 {
                    match (t + round) % 3 {
                        0 => {
                            // A batch large enough to go parallel.
                            let stack: Array3<f64> =
                                Array::from_shape_fn((3000, 4, 4), |(_, i, j)| {
                                    rng.gen_range(-1.0..1.0) + if i == j { 4.0 } else { 0.0 }
                                });
                            let inv = stack.inv().unwrap();
                            for k in (0..3000).step_by(97) {
                                let a = stack.index_axis(Axis(0), k).to_owned();
                                let x = inv.index_axis(Axis(0), k).to_owned();
                                assert!(
                                    residual(&a, &x) < 1e-12,
                                    "thread {t} round {round} matrix {k}"
                                );
                            }
                        }
                        1 => {
                            // One matrix large enough for the vendor's own threads.
                            let a = well_conditioned(160, &mut rng);
                            let x = a.inv().unwrap();
                            assert!(residual(&a, &x) < 1e-12, "thread {t} round {round}");
                        }
                        _ => {
                            // A dedicated pool, shared by all callers that ask for it.
                            let stack: Array3<f64> =
                                Array::from_shape_fn((500, 8, 8), |(_, i, j)| {
                                    rng.gen_range(-1.0..1.0) + if i == j { 8.0 } else { 0.0 }
                                });
                            let opts = InvOptions {
                                threads: Threads::Count(2),
                                ..InvOptions::default()
                            };
                            let inv = stack.inv_with(&opts).unwrap();
                            assert_eq!(
                                inv,
                                stack
                                    .inv_with(&InvOptions {
                                        threads: Threads::Sequential,
                                        ..opts
                                    })
                                    .unwrap()
                            );
                        }
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a caller thread panicked");
    }
}
