//! Prints which BLAS/LAPACK library this build uses, its version and thread count.
//!
//! Run with `cargo run --example backend_info` (add
//! `--no-default-features --features system-lapack` and a library path to see the
//! vendor picked at run time).

fn main() {
    let info = inv_ext::backend_info();
    println!("{info}");
    println!("  vendor:         {}", info.vendor);
    println!(
        "  version:        {}",
        info.version.as_deref().unwrap_or("-")
    );
    match info.lapack_version {
        Some((a, b, c)) => println!("  LAPACK version: {a}.{b}.{c}"),
        None => println!("  LAPACK version: -"),
    }
    match info.threads {
        Some(n) => println!("  threads:        {n}"),
        None => println!("  threads:        -"),
    }
    println!("  thread control: {}", info.thread_control);
    let show =
        |p: &Option<std::path::PathBuf>| p.as_ref().map_or("-".into(), |p| p.display().to_string());
    println!("  BLAS library:   {}", show(&info.blas_library));
    println!("  LAPACK library: {}", show(&info.lapack_library));
}
