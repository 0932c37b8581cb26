//! Regression: OpenBLAS's threaded `getrf` (`dgetrf_parallel`) needs several MiB
//! of stack (Debian 0.3.21: about 4 MiB at n = 160, 6 MiB at n = 4096) and
//! segfaulted when `inv` was called from a thread with Rust's default 2 MiB stack,
//! as every `std::thread::spawn` and rayon worker has. inv_ext now makes such calls
//! on its own large-stack vendor thread.

use inv_ext::{InvExt, InvOptions, Method};
use ndarray::Array2;

fn matrix(n: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, n), |(i, j)| {
        if i == j {
            n as f64
        } else {
            ((i * j) % 7) as f64 * 0.1
        }
    })
}

#[test]
fn threaded_getrf_on_a_small_stack_thread_does_not_crash() {
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            for n in [160, 300, 700] {
                let a = matrix(n);
                for method in [Method::Getri, Method::Getrs] {
                    let x = a
                        .inv_with(&InvOptions {
                            method,
                            ..InvOptions::default()
                        })
                        .unwrap();
                    let resid = (Array2::<f64>::eye(n) - a.dot(&x))
                        .iter()
                        .fold(0.0f64, |m, v| m.max(v.abs()));
                    assert!(resid < 1e-10, "n = {n}: residual {resid}");
                }
            }
        })
        .unwrap();
    handle
        .join()
        .expect("inverting on a 2 MiB thread must not fail");
}

#[test]
fn threaded_getrf_from_several_small_stack_threads_at_once() {
    let handles: Vec<_> = (0..4)
        .map(|t| {
            std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || {
                    for _ in 0..3 {
                        let a = matrix(200 + 10 * t);
                        assert!(a.inv().is_ok());
                    }
                })
                .unwrap()
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}
