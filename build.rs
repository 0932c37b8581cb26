//! Links the BLAS/LAPACK backend chosen by Cargo feature.
//!
//! - `openblas-system`: linking is done by `openblas-src` (system OpenBLAS).
//! - `system-lapack`: `-llapack -lblas`; the vendor is whichever `liblapack.so.3` /
//!   `libblas.so.3` the dynamic loader finds at run time. `INV_EXT_LAPACK_DIR` adds
//!   a search directory at link time.

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=DOCS_RS");
    println!("cargo:rerun-if-env-changed=INV_EXT_LAPACK_DIR");
    if env::var_os("DOCS_RS").is_some() {
        return;
    }
    if env::var_os("CARGO_FEATURE_SYSTEM_LAPACK").is_some() {
        if let Some(dir) = env::var_os("INV_EXT_LAPACK_DIR") {
            println!("cargo:rustc-link-search=native={}", dir.to_string_lossy());
        }
        println!("cargo:rustc-link-lib=dylib=lapack");
        println!("cargo:rustc-link-lib=dylib=blas");
    }
}
