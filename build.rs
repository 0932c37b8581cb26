//! Links the BLAS/LAPACK backend chosen by Cargo feature (exactly one; `src/lib.rs`
//! refuses zero or two with a `compile_error!`).
//!
//! | feature | links | found through |
//! |---|---|---|
//! | `openblas-system` | system OpenBLAS | `openblas-src` (Debian `libopenblas-dev`) |
//! | `system-lapack` | `-llapack -lblas` | the loader's path at run time; `INV_EXT_LAPACK_DIR` / `INV_EXT_BLAS_DIR` add link-time search dirs |
//! | `intel-mkl` | `libmkl_rt` (single dynamic library) | `INV_EXT_MKL_DIR`, then `MKLROOT`, then pkg-config `mkl-sdl` / `mkl-dynamic-lp64-seq`, then the running Python's `lib/` (PyPI `mkl-devel`) |
//! | `netlib` | reference LAPACK + reference BLAS | `INV_EXT_LAPACK_DIR` / `INV_EXT_BLAS_DIR`, else Debian's `<libdir>/lapack` and `<libdir>/blas` (`liblapack-dev libblas-dev`) |
//! | `blis` | reference LAPACK on BLIS | `INV_EXT_BLIS_DIR`, else Debian's `<libdir>/blis-openmp` (`libblis-dev`), plus reference LAPACK as for `netlib` |
//! | `atlas` | ATLAS's LAPACK and BLAS | `INV_EXT_ATLAS_DIR`, else Debian's `<libdir>/atlas` (`libatlas-base-dev`) |
//!
//! Debian installs every vendor's `liblapack.so.3` / `libblas.so.3` under the same
//! file names, and the loader resolves them through the alternatives symlinks in
//! `<libdir>` (OpenBLAS when it is installed). So the vendor features link those
//! files from their vendor's own folder AND record that folder as the run path
//! (`-Wl,--disable-new-dtags,-rpath`) of this package's binaries, tests, examples
//! and benches; a downstream binary must do the same
//! (`RUSTFLAGS="-C link-arg=-Wl,--disable-new-dtags,-rpath,<dir>"`) or set
//! `LD_LIBRARY_PATH=<dir>`. `inv_ext::backend_info()` says which library was
//! actually loaded.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every environment variable this script reads.
const ENV_VARS: &[&str] = &[
    "DOCS_RS",
    "INV_EXT_LAPACK_DIR",
    "INV_EXT_BLAS_DIR",
    "INV_EXT_MKL_DIR",
    "MKLROOT",
    "INV_EXT_BLIS_DIR",
    "INV_EXT_ATLAS_DIR",
    "PKG_CONFIG_PATH",
    "PYTHON",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for var in ENV_VARS {
        println!("cargo:rerun-if-env-changed={var}");
    }
    avx512_cfg();
    if env::var_os("DOCS_RS").is_some() {
        return;
    }
    let feature = |name: &str| env::var_os(format!("CARGO_FEATURE_{name}")).is_some();
    // openblas-system: openblas-src does the linking.
    if feature("SYSTEM_LAPACK") {
        system_lapack();
    }
    if feature("INTEL_MKL") {
        intel_mkl();
    }
    if feature("NETLIB") {
        netlib();
    }
    if feature("BLIS") {
        blis();
    }
    if feature("ATLAS") {
        atlas();
    }
}

/// `cfg(inv_ext_avx512)` when the compiler accepts
/// `#[target_feature(enable = "avx512f")]` (stable since Rust 1.89; the crate's
/// `rust-version` is lower): `src/kernels/simd.rs` then compiles an AVX-512 copy
/// of the kernels that measured faster with it, chosen at run time.
fn avx512_cfg() {
    println!("cargo:rustc-check-cfg=cfg(inv_ext_avx512)");
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(out) = Command::new(rustc).arg("--version").output() else {
        return;
    };
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let version = String::from_utf8_lossy(&out.stdout);
    let number = |i: usize| {
        let v = version.split_whitespace().nth(1)?;
        v.split(['.', '-']).nth(i)?.parse::<u32>().ok()
    };
    if let (Some(major), Some(minor)) = (number(0), number(1)) {
        if (major, minor) >= (1, 89) {
            println!("cargo:rustc-cfg=inv_ext_avx512");
        }
    }
}

/// `-llapack -lblas`, resolved by the loader at run time.
fn system_lapack() {
    for var in ["INV_EXT_LAPACK_DIR", "INV_EXT_BLAS_DIR"] {
        if let Some(dir) = env::var_os(var) {
            println!("cargo:rustc-link-search=native={}", dir.to_string_lossy());
        }
    }
    println!("cargo:rustc-link-lib=dylib=lapack");
    println!("cargo:rustc-link-lib=dylib=blas");
}

/// The multiarch library folder: `/usr/lib/x86_64-linux-gnu` on Debian amd64.
fn libdir() -> PathBuf {
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_else(|_| "x86_64".into());
    let multiarch = Path::new("/usr/lib").join(format!("{arch}-linux-gnu"));
    if multiarch.is_dir() {
        multiarch
    } else {
        PathBuf::from("/usr/lib")
    }
}

/// `var` if set, else `default`.
fn dir_from(var: &str, default: PathBuf) -> PathBuf {
    env::var_os(var).map(PathBuf::from).unwrap_or(default)
}

/// Links `file` (exact file name, e.g. `liblapack.so.3`) from `dir` and adds `dir`
/// to the run path, or panics naming what to install.
fn link_file(dir: &Path, file: &str, what: &str, install: &str, var: &str) {
    let path = dir.join(file);
    if !path.exists() {
        panic!(
            "inv_ext: {what} not found: no {} (install it: {install}; or point {var} at the \
             folder holding {file})",
            path.display()
        );
    }
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=dylib:+verbatim={file}");
    rpath(dir);
}

/// Records `dir` as a run path of this package's own binaries, tests, examples and
/// benches, so the loader takes the vendor's files before the alternatives.
///
/// As DT_RPATH, not DT_RUNPATH: a run path only applies to the binary's direct
/// dependencies, while the `libblas.so.3` that matters is a dependency of
/// `liblapack.so.3`; only the old tag is searched for those too.
fn rpath(dir: &Path) {
    println!(
        "cargo:rustc-link-arg=-Wl,--disable-new-dtags,-rpath,{}",
        dir.display()
    );
}

/// Reference LAPACK's folder (Debian `liblapack-dev`).
fn reference_lapack() {
    let dir = dir_from("INV_EXT_LAPACK_DIR", libdir().join("lapack"));
    link_file(
        &dir,
        "liblapack.so.3",
        "reference LAPACK",
        "apt-get install liblapack-dev",
        "INV_EXT_LAPACK_DIR",
    );
}

fn netlib() {
    reference_lapack();
    let dir = dir_from("INV_EXT_BLAS_DIR", libdir().join("blas"));
    link_file(
        &dir,
        "libblas.so.3",
        "reference BLAS",
        "apt-get install libblas-dev",
        "INV_EXT_BLAS_DIR",
    );
}

fn blis() {
    let dir = dir_from("INV_EXT_BLIS_DIR", libdir().join("blis-openmp"));
    // libblis first: its BLAS symbols (and bli_* thread control) are the ones bound.
    link_file(
        &dir,
        "libblis.so.4",
        "BLIS",
        "apt-get install libblis-dev",
        "INV_EXT_BLIS_DIR",
    );
    reference_lapack();
}

fn atlas() {
    let dir = dir_from("INV_EXT_ATLAS_DIR", libdir().join("atlas"));
    let install = "apt-get install libatlas-base-dev";
    link_file(
        &dir,
        "liblapack.so.3",
        "ATLAS",
        install,
        "INV_EXT_ATLAS_DIR",
    );
    link_file(&dir, "libblas.so.3", "ATLAS", install, "INV_EXT_ATLAS_DIR");
}

/// Intel MKL through its single dynamic library `libmkl_rt` (LP64 interface, the
/// threading layer chosen at run time by `MKL_THREADING_LAYER`).
fn intel_mkl() {
    let dir = mkl_dir().unwrap_or_else(|| {
        panic!(
            "inv_ext: Intel MKL not found: set INV_EXT_MKL_DIR to the folder holding \
             libmkl_rt.so*, or MKLROOT, or make pkg-config find mkl-sdl.pc \
             (install it: `pip install mkl mkl-devel`, which puts them in \
             $(python3 -c 'import sys; print(sys.prefix)')/lib)"
        )
    });
    let file = mkl_rt_file(&dir).expect("mkl_dir only returns folders holding libmkl_rt");
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=dylib:+verbatim={file}");
    rpath(&dir);
}

/// The file name of MKL's single dynamic library in `dir`: `libmkl_rt.so`, or a
/// versioned `libmkl_rt.so.N` (the PyPI wheel ships only those).
fn mkl_rt_file(dir: &Path) -> Option<String> {
    if dir.join("libmkl_rt.so").exists() {
        return Some("libmkl_rt.so".into());
    }
    let mut versioned: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("libmkl_rt.so."))
        .collect();
    versioned.sort();
    versioned.pop()
}

/// The first folder holding `libmkl_rt`, in the documented order.
fn mkl_dir() -> Option<PathBuf> {
    let has_rt = |d: &PathBuf| mkl_rt_file(d).is_some();
    if let Some(dir) = env::var_os("INV_EXT_MKL_DIR") {
        let dir = PathBuf::from(dir);
        if !has_rt(&dir) {
            panic!(
                "inv_ext: INV_EXT_MKL_DIR={} holds no libmkl_rt.so*",
                dir.display()
            );
        }
        return Some(dir);
    }
    if let Some(root) = env::var_os("MKLROOT") {
        let root = PathBuf::from(root);
        if let Some(d) = [root.join("lib/intel64"), root.join("lib")]
            .into_iter()
            .find(has_rt)
        {
            return Some(d);
        }
    }
    for pc in ["mkl-sdl", "mkl-dynamic-lp64-seq"] {
        if let Some(d) = pkg_config_libdir(pc).filter(has_rt) {
            return Some(d);
        }
    }
    // The PyPI wheels put MKL and its .pc files in the Python prefix's lib/.
    let python = env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let prefix = Command::new(python)
        .args(["-c", "import sys; print(sys.prefix)"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())?;
    Some(Path::new(prefix.trim()).join("lib")).filter(has_rt)
}

/// The `-L` folder pkg-config gives for `package`, if pkg-config knows it.
fn pkg_config_libdir(package: &str) -> Option<PathBuf> {
    let out = Command::new("pkg-config")
        .args(["--libs-only-L", package])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8(out.stdout).ok()?;
    text.split_whitespace()
        .find_map(|flag| flag.strip_prefix("-L"))
        .map(PathBuf::from)
}
