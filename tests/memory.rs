//! Peak memory: inverting a stack costs the output plus small per-thread
//! workspaces, nothing else proportional to the batch. One test per process, so
//! the peak resident set (VmHWM) belongs to it alone.

use inv_ext::InvExt;
use ndarray::Array3;

/// A field of /proc/self/status in bytes (Linux).
fn status_bytes(field: &str) -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[test]
fn peak_is_input_plus_output_plus_workspace() {
    const MIB: usize = 1 << 20;
    let Some(baseline) = status_bytes("VmRSS:") else {
        eprintln!("no /proc/self/status: peak memory not measured on this platform");
        return;
    };
    // 256 MiB of 4×4 f64 matrices (2^21 of them) by default;
    // INV_EXT_MEMORY_TEST_MIB=1024 measures the 1 GiB case stated in the README.
    let mib: usize = std::env::var("INV_EXT_MEMORY_TEST_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let count = mib * MIB / (16 * 8);
    let stack = Array3::from_shape_fn((count, 4, 4), |(b, i, j)| {
        if i == j {
            4.0 + (b % 7) as f64
        } else {
            0.25 * ((i + 2 * j) % 3) as f64
        }
    });
    let input = stack.len() * 8;
    let inverse = stack.inv().unwrap();
    let last = ndarray::s![count - 1.., .., ..];
    assert_eq!(inverse.slice(last), stack.slice(last).inv().unwrap());
    let peak = status_bytes("VmHWM:").unwrap();
    let output = inverse.len() * 8;
    let allowed = baseline + input + output + 64 * MIB;
    eprintln!(
        "peak RSS {} MiB = baseline {} MiB + input {} MiB + output {} MiB + {} MiB",
        peak / MIB,
        baseline / MIB,
        input / MIB,
        output / MIB,
        (peak as isize - (baseline + input + output) as isize) / MIB as isize
    );
    assert!(peak <= allowed, "peak {peak} > allowed {allowed}");
}
