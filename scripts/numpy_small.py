#!/usr/bin/env python3
"""NumPy's np.linalg.inv on the small-matrix stacks of benches/small.rs.

Prints one line per shape: `shape ns/matrix` (best of --repeat runs), so the
numbers can be put next to `cargo run --release --example small_batch` from the
same session. Inputs are built like the Rust side: uniform in [-1, 1) plus n on
the diagonal (well conditioned, no row interchange), C order; with --pivoting
uniform in [-1, 1) only (general matrices, rows interchanged at most steps).

Usage: python3 scripts/numpy_small.py [--repeat 5] [--dtype float64] [--pivoting]
"""
import argparse
import time

import numpy as np

SHAPES = [
    (200_000, 2),
    (200_000, 3),
    (200_000, 4),
    (1_000_000, 4),
    (100_000, 8),
    (20_000, 16),
    (5_000, 32),
    (1_000, 64),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dtype", default="float64")
    ap.add_argument("--pivoting", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(42)
    print(f"numpy {np.__version__}, dtype {args.dtype}, best of {args.repeat}")
    print(f"{'shape':>16} {'ns/matrix':>12}")
    for batch, n in SHAPES:
        a = rng.uniform(-1.0, 1.0, size=(batch, n, n)).astype(args.dtype)
        if not args.pivoting:
            a += n * np.eye(n, dtype=args.dtype)
        np.linalg.inv(a)  # warm up
        best = float("inf")
        for _ in range(args.repeat):
            t = time.perf_counter()
            np.linalg.inv(a)
            best = min(best, time.perf_counter() - t)
        print(f"{f'{batch}x{n}x{n}':>16} {best / batch * 1e9:12.1f}")


if __name__ == "__main__":
    main()
