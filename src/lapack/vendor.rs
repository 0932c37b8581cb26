//! The vendor library itself (not its LAPACK routines): which one is loaded, its
//! version, and its thread count, so that batch workers never oversubscribe the
//! cores. FFI, so it lives in the LAPACK module.
//!
//! Every symbol is resolved at run time with `dlsym(RTLD_DEFAULT, ..)`, whatever the
//! Cargo feature: under `system-lapack` the vendor is only known then, and under the
//! other features this reports the library the loader really took (on Debian a
//! `liblapack.so.3` can silently come from another vendor through the alternatives
//! symlinks). The answers are resolved once and cached; libraries loaded at start-up
//! do not change.
//!
//! | vendor | recognised by | version | thread count get / set |
//! |---|---|---|---|
//! | OpenBLAS | `openblas_get_config` | its config string | `openblas_get_num_threads` / `openblas_set_num_threads` |
//! | Intel MKL | `MKL_Get_Version_String` | the version string | `MKL_Get_Max_Threads` / `MKL_Set_Num_Threads` |
//! | BLIS (libblis) | `bli_info_get_version_str` | that string | `bli_thread_get_num_threads` / `bli_thread_set_num_threads` |
//! | BLIS (Debian's `libblas.so.3` build) | `cblas_dgemm_batch` and none of the above | none | none exported |
//! | ATLAS | `ATL_buildinfo` or `catlas_daxpby` | the library file's version | none (fixed at build) |
//! | reference | `dgemm_` and none of the above | LAPACK's `ilaver` | single-threaded |

use std::ffi::{c_char, c_int, c_void, CStr};
use std::path::PathBuf;
use std::sync::OnceLock;

/// The vendor a set of loaded symbols identifies. Public as [`crate::Vendor`].
pub(crate) use crate::backend::Vendor;

/// What the loaded libraries say about themselves (thread count aside).
#[derive(Debug, Clone)]
pub(crate) struct Probe {
    pub vendor: Vendor,
    /// The vendor's own version or configuration string.
    pub version: Option<String>,
    /// LAPACK's version from `ilaver`.
    pub lapack_version: Option<(u32, u32, u32)>,
    /// The file that provides `dgemm_`.
    pub blas_library: Option<PathBuf>,
    /// The file that provides `dgetrf_`.
    pub lapack_library: Option<PathBuf>,
}

/// The vendor's thread control, resolved once.
#[derive(Debug, Clone, Copy)]
enum ThreadApi {
    /// `int openblas_get_num_threads(void)`, `void openblas_set_num_threads(int)`.
    OpenBlas {
        get: unsafe extern "C" fn() -> c_int,
        set: unsafe extern "C" fn(c_int),
    },
    /// `int MKL_Get_Max_Threads(void)`, `void MKL_Set_Num_Threads(int)`.
    Mkl {
        get: unsafe extern "C" fn() -> c_int,
        set: unsafe extern "C" fn(c_int),
    },
    /// `dim_t bli_thread_get_num_threads(void)`, `void bli_thread_set_num_threads(dim_t)`
    /// (`dim_t` is BLIS's 64-bit `gint_t`).
    Blis {
        get: unsafe extern "C" fn() -> i64,
        set: unsafe extern "C" fn(i64),
    },
    /// The vendor has no run-time thread control (or none this crate can find).
    None,
}

struct Resolved {
    probe: Probe,
    threads: ThreadApi,
}

fn resolved() -> &'static Resolved {
    static RESOLVED: OnceLock<Resolved> = OnceLock::new();
    RESOLVED.get_or_init(resolve)
}

/// What the loaded libraries say about themselves.
pub(crate) fn probe() -> Probe {
    resolved().probe.clone()
}

/// Whether the loaded vendor lets this crate change its thread count.
pub(crate) fn has_thread_control() -> bool {
    !matches!(resolved().threads, ThreadApi::None)
}

/// The vendor's current thread count, where the vendor can say.
pub(crate) fn get() -> Option<usize> {
    let n: i64 = match resolved().threads {
        // SAFETY: plain getters of the vendor's global thread count (no arguments),
        // resolved from the loaded library with these C signatures.
        ThreadApi::OpenBlas { get, .. } | ThreadApi::Mkl { get, .. } => i64::from(unsafe { get() }),
        // SAFETY: as above; BLIS returns its dim_t (64-bit).
        ThreadApi::Blis { get, .. } => unsafe { get() },
        ThreadApi::None => return None,
    };
    // BLIS says -1 when neither BLIS_NUM_THREADS nor OMP_NUM_THREADS is set: then it
    // runs single-threaded.
    if n < 1 && matches!(resolved().threads, ThreadApi::Blis { .. }) {
        return Some(1);
    }
    usize::try_from(n).ok().filter(|&n| n > 0)
}

/// Sets the vendor's thread count, where the vendor allows it; returns whether
/// it did.
pub(crate) fn set(n: usize) -> bool {
    let n = n.max(1);
    match resolved().threads {
        ThreadApi::OpenBlas { set, .. } | ThreadApi::Mkl { set, .. } => {
            let n = c_int::try_from(n).unwrap_or(c_int::MAX);
            // SAFETY: sets the vendor's global thread count; any positive value is valid.
            unsafe { set(n) };
            true
        }
        ThreadApi::Blis { set, .. } => {
            let n = i64::try_from(n).unwrap_or(i64::MAX);
            // SAFETY: sets BLIS's global thread count (dim_t); any positive value is valid.
            unsafe { set(n) };
            true
        }
        ThreadApi::None => false,
    }
}

/// The address of `name` in the libraries loaded so far, if any exports it.
#[cfg(unix)]
fn symbol(name: &CStr) -> Option<*mut c_void> {
    // SAFETY: dlsym with RTLD_DEFAULT only reads the NUL-terminated name and searches
    // the global scope; it returns null when no loaded object exports the symbol.
    let p = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
    (!p.is_null()).then_some(p)
}

#[cfg(not(unix))]
fn symbol(_name: &CStr) -> Option<*mut c_void> {
    None
}

/// The file of the loaded object that holds `addr`.
#[cfg(unix)]
fn library_of(addr: *mut c_void) -> Option<PathBuf> {
    let mut info = std::mem::MaybeUninit::<libc::Dl_info>::zeroed();
    // SAFETY: dladdr only reads `addr` as an address (it is not dereferenced) and
    // fills `info`, a valid, zeroed Dl_info; 0 means "not found" and leaves no
    // field to read.
    let found = unsafe { libc::dladdr(addr, info.as_mut_ptr()) };
    if found == 0 {
        return None;
    }
    // SAFETY: dladdr returned non-zero, so it initialised `info`.
    let info = unsafe { info.assume_init() };
    if info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: dli_fname is a NUL-terminated path owned by the loader, valid while the
    // object stays loaded (start-up libraries are never unloaded); copied at once.
    let name = unsafe { CStr::from_ptr(info.dli_fname) };
    Some(PathBuf::from(name.to_string_lossy().into_owned()))
}

#[cfg(not(unix))]
fn library_of(_addr: *mut c_void) -> Option<PathBuf> {
    None
}

/// Copies a NUL-terminated string returned by a vendor, trimmed.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string that stays valid during the call.
unsafe fn owned_string(p: *const c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: non-null and NUL-terminated by the caller's contract.
    let s = unsafe { CStr::from_ptr(p) }.to_string_lossy();
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// The version in a library's real file name: `liblapack.so.3.10.3` gives `3.10.3`.
fn file_version(path: &std::path::Path) -> Option<String> {
    let real = std::fs::canonicalize(path).ok()?;
    let name = real.file_name()?.to_str()?;
    let (_, version) = name.split_once(".so.")?;
    version.contains('.').then(|| version.to_owned())
}

/// Under the `blis` feature, libblis is linked for its `bli_*` thread control; the
/// crate calls it only through dlsym, so this reference keeps it from being
/// dropped by `--as-needed`.
#[cfg(feature = "blis")]
fn keep_libblis_linked() {
    extern "C" {
        fn bli_info_get_version_str() -> *const c_char;
    }
    std::hint::black_box(bli_info_get_version_str as unsafe extern "C" fn() -> *const c_char);
}

fn resolve() -> Resolved {
    #[cfg(feature = "blis")]
    keep_libblis_linked();
    let blas_library = symbol(c"dgemm_").and_then(library_of);
    let lapack_library = symbol(c"dgetrf_").and_then(library_of);
    // Called directly, not through dlsym: this reference keeps the LAPACK library
    // linked even in a program that calls nothing else from it (`--as-needed`).
    let (mut major, mut minor, mut patch): (c_int, c_int, c_int) = (0, 0, 0);
    // SAFETY: LAPACK's `ILAVER(VERS_MAJOR, VERS_MINOR, VERS_PATCH)` writes three
    // INTEGERs through the three distinct, valid pointers.
    unsafe { lapack_sys::ilaver_(&mut major, &mut minor, &mut patch) };
    let v = |x: c_int| u32::try_from(x).unwrap_or(0);
    let lapack_version = (major > 0).then(|| (v(major), v(minor), v(patch)));
    let mut probe = Probe {
        vendor: Vendor::Unknown,
        version: None,
        lapack_version,
        blas_library,
        lapack_library,
    };
    let mut threads = ThreadApi::None;

    if let Some(p) = symbol(c"openblas_get_config") {
        probe.vendor = Vendor::OpenBlas;
        // SAFETY: `char *openblas_get_config(void)` returns a static string.
        let get_config: unsafe extern "C" fn() -> *const c_char =
            unsafe { std::mem::transmute::<*mut c_void, _>(p) };
        // SAFETY: the string is static inside OpenBLAS.
        probe.version = unsafe { owned_string(get_config()) };
        if let (Some(g), Some(s)) = (
            symbol(c"openblas_get_num_threads"),
            symbol(c"openblas_set_num_threads"),
        ) {
            // SAFETY: OpenBLAS's documented signatures: `int (void)` and `void (int)`.
            threads = unsafe {
                ThreadApi::OpenBlas {
                    get: std::mem::transmute::<*mut c_void, unsafe extern "C" fn() -> c_int>(g),
                    set: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(c_int)>(s),
                }
            };
        }
    } else if let Some(p) = symbol(c"MKL_Get_Version_String") {
        probe.vendor = Vendor::Mkl;
        // SAFETY: `void MKL_Get_Version_String(char *buf, int len)`.
        let get_version: unsafe extern "C" fn(*mut c_char, c_int) =
            unsafe { std::mem::transmute::<*mut c_void, _>(p) };
        let mut buf = [0 as c_char; 256];
        // SAFETY: `buf` is writable for the 255 characters passed as `len`; the last
        // element stays NUL, so the result is NUL-terminated whatever MKL writes.
        probe.version = unsafe {
            get_version(buf.as_mut_ptr(), 255);
            owned_string(buf.as_ptr())
        };
        if let (Some(g), Some(s)) = (
            symbol(c"MKL_Get_Max_Threads"),
            symbol(c"MKL_Set_Num_Threads"),
        ) {
            // SAFETY: MKL's documented signatures: `int (void)` and `void (int)`.
            threads = unsafe {
                ThreadApi::Mkl {
                    get: std::mem::transmute::<*mut c_void, unsafe extern "C" fn() -> c_int>(g),
                    set: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(c_int)>(s),
                }
            };
        }
    } else if let Some(p) = symbol(c"bli_info_get_version_str") {
        probe.vendor = Vendor::Blis;
        // SAFETY: `char *bli_info_get_version_str(void)` returns a static string.
        let get_version: unsafe extern "C" fn() -> *const c_char =
            unsafe { std::mem::transmute::<*mut c_void, _>(p) };
        // SAFETY: the string is static inside BLIS.
        probe.version = unsafe { owned_string(get_version()) };
        if let (Some(g), Some(s)) = (
            symbol(c"bli_thread_get_num_threads"),
            symbol(c"bli_thread_set_num_threads"),
        ) {
            // SAFETY: BLIS's signatures: `dim_t (void)` and `void (dim_t)`, dim_t = int64.
            threads = unsafe {
                ThreadApi::Blis {
                    get: std::mem::transmute::<*mut c_void, unsafe extern "C" fn() -> i64>(g),
                    set: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(i64)>(s),
                }
            };
        }
    } else if symbol(c"cblas_dgemm_batch").is_some() {
        // Debian's BLIS `libblas.so.3` exports BLAS and CBLAS only (with BLIS's
        // batched gemm extension), no bli_* API.
        probe.vendor = Vendor::Blis;
    } else if symbol(c"ATL_buildinfo").is_some() || symbol(c"catlas_daxpby").is_some() {
        probe.vendor = Vendor::Atlas;
        probe.version = probe.blas_library.as_deref().and_then(file_version);
    } else if probe.blas_library.is_some() {
        probe.vendor = Vendor::Reference;
        probe.version = probe
            .blas_library
            .as_deref()
            .and_then(file_version)
            .or_else(|| probe.lapack_version.map(|(a, b, c)| format!("{a}.{b}.{c}")));
    }
    Resolved { probe, threads }
}

/// OpenBLAS's `MAX_THREADS` build setting (from `openblas_get_config`), which
/// sizes the job tables its threaded LU keeps on the stack; `None` for other
/// vendors. An OpenBLAS that does not say is taken as built for 256 threads.
pub(crate) fn openblas_max_threads() -> Option<usize> {
    let probe = &resolved().probe;
    if probe.vendor != Vendor::OpenBlas {
        return None;
    }
    let config = probe.version.as_deref().unwrap_or("");
    let value = config
        .split_whitespace()
        .find_map(|word| word.strip_prefix("MAX_THREADS="))
        .and_then(|v| v.parse().ok());
    Some(value.unwrap_or(256))
}

/// The lowest address of the calling thread's stack (glibc's
/// `pthread_getattr_np`; the main thread's is derived from its rlimit).
pub(crate) fn current_stack_low() -> Option<usize> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut attr = std::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
        let mut addr: *mut c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        // SAFETY: pthread_getattr_np initialises `attr` for the calling thread
        // (checked by its return value) before pthread_attr_getstack reads it and
        // pthread_attr_destroy frees it; `addr` and `size` are valid out-pointers.
        let ok = unsafe {
            if libc::pthread_getattr_np(libc::pthread_self(), attr.as_mut_ptr()) != 0 {
                return None;
            }
            let ok = libc::pthread_attr_getstack(attr.as_ptr(), &mut addr, &mut size) == 0;
            libc::pthread_attr_destroy(attr.as_mut_ptr());
            ok
        };
        ok.then_some(addr as usize).filter(|&a| a != 0)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_linked_vendor_is_recognised() {
        let p = probe();
        assert_ne!(p.vendor, Vendor::Unknown, "{p:?}");
        assert!(p.blas_library.is_some(), "{p:?}");
        assert!(
            p.lapack_version.is_some_and(|(major, ..)| major == 3),
            "{p:?}"
        );
    }

    #[test]
    fn thread_count_round_trips_where_settable() {
        if !has_thread_control() {
            assert!(!set(1));
            return;
        }
        // Other tests run batches (which hold the vendor to one thread) at the same
        // time, so only the calls' success is asserted, not the values seen.
        let before = get().expect("a vendor with thread control reports its count");
        assert!(set(1));
        assert!(get().is_some());
        assert!(set(before));
    }

    #[test]
    fn file_versions_come_from_real_names() {
        assert_eq!(
            file_version(std::path::Path::new("/nonexistent/libx.so.3")),
            None
        );
    }
}
