#!/usr/bin/env python3
"""NumPy's np.linalg.inv timed like bench/vendor-bench times inv_ext (peer column of
scripts/bench-vendors).

Usage: numpy_inv.py CASES TARGET_SECONDS
  CASES: comma-separated `dtype:n:count` (count 1 = one matrix, else a stack).
Prints one TSV row per case on stdout, as vendor-bench does:
  vendor  dtype  n  count  impl  seconds_per_matrix  gflops
"""
import statistics
import sys
import time

import numpy as np


def matrices(dtype, n, count, seed=7):
    rng = np.random.default_rng(seed)
    shape = (n, n) if count == 1 else (count, n, n)
    # Same family as vendor-bench: uniform [-1, 1) plus n on the diagonal.
    a = rng.uniform(-1.0, 1.0, size=shape) + n * np.eye(n)
    return np.ascontiguousarray(a.astype(dtype))


def median_time(f, target):
    f()  # warm-up
    samples = []
    start = time.perf_counter()
    while len(samples) < 3 or (time.perf_counter() - start < target and len(samples) < 100):
        t = time.perf_counter()
        f()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main():
    cases = [c for c in sys.argv[1].split(",") if c]
    target = float(sys.argv[2])
    cfg = np.show_config(mode="dicts")
    blas = cfg.get("Build Dependencies", {}).get("blas", {})
    label = "NumPy {} ({} {})".format(np.__version__, blas.get("name", "?"), blas.get("version", "?"))
    for case in cases:
        dtype, n, count = case.split(":")
        n, count = int(n), int(count)
        a = matrices(np.float64 if dtype == "f64" else np.float32, n, count)
        s = median_time(lambda: np.linalg.inv(a), target) / count
        gflops = 2.0 * n ** 3 / s / 1e9
        print(f"{label}\t{dtype}\t{n}\t{count}\tNumPy inv\t{s:.6e}\t{gflops:.3f}", flush=True)


if __name__ == "__main__":
    main()
