//! A C compiler for wasm32-wasi for the JavaScript engine's QuickJS: `rquickjs-sys` wants a
//! WASI SDK folder (`WASI_SDK`: `bin/clang`, `bin/ar`, `share/wasi-sysroot`). When none is
//! set, this lays one out in `OUT_DIR` over Debian's packages (`clang-19`, `llvm-19`,
//! `wasi-libc`), so the build needs nothing downloaded.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What to install when nothing fits.
const INSTALL: &str = "the JavaScript engine (sdk/js/engine) compiles QuickJS for wasm32-wasi: \
    install clang, llvm and wasi-libc (Debian: `apt-get install clang-19 llvm-19 wasi-libc`), \
    or set WASI_SDK to a WASI SDK folder";

/// Where the engine's C headers and libraries for wasm32-wasi sit in Debian's `wasi-libc`.
const DEBIAN_INCLUDE: &str = "/usr/include/wasm32-wasi";
const DEBIAN_LIB: &str = "/usr/lib/wasm32-wasi";

/// A WASI SDK folder for `rquickjs-sys`: `$WASI_SDK`, or one laid out in `out`.
pub fn locate(out: &Path) -> Result<PathBuf, String> {
    println!("cargo:rerun-if-env-changed=WASI_SDK");
    if let Some(sdk) = std::env::var_os("WASI_SDK") {
        return Ok(PathBuf::from(sdk));
    }
    let clang = first_that_runs(&["clang-19", "clang-20", "clang-18", "clang"])
        .ok_or_else(|| format!("no clang found; {INSTALL}"))?;
    let ar = first_that_runs(&["llvm-ar-19", "llvm-ar-20", "llvm-ar-18", "llvm-ar"])
        .ok_or_else(|| format!("no llvm-ar found; {INSTALL}"))?;
    if !Path::new(DEBIAN_INCLUDE).join("stdlib.h").exists()
        || !Path::new(DEBIAN_LIB).join("libc.a").exists()
    {
        return Err(format!("no wasi-libc in {DEBIAN_INCLUDE}; {INSTALL}"));
    }
    let sdk = out.join("wasi-sdk");
    let bin = sdk.join("bin");
    let sysroot = sdk.join("share/wasi-sysroot");
    for dir in [&bin, &sysroot.join("include"), &sysroot.join("lib")] {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    // cc asks for `--target=wasm32-wasip2`; Debian's wasi-libc is laid out for
    // `wasm32-wasi`, the same C ABI.
    let script = format!(
        "#!/bin/sh\n\
         # Written by host/build/wasi_sdk.rs: {clang} for wasm32-wasi over Debian's wasi-libc.\n\
         for a in \"$@\"; do\n\
         \x20 case \"$a\" in --target=wasm32-wasi*) a=--target=wasm32-wasi ;; esac\n\
         \x20 set -- \"$@\" \"$a\"; shift\n\
         done\n\
         exec {clang} \"$@\"\n"
    );
    let wrapper = bin.join("clang");
    std::fs::write(&wrapper, script).map_err(|e| format!("{}: {e}", wrapper.display()))?;
    make_executable(&wrapper)?;
    link(&which(&ar)?, &bin.join("ar"))?;
    link(
        Path::new(DEBIAN_INCLUDE),
        &sysroot.join("include/wasm32-wasi"),
    )?;
    link(Path::new(DEBIAN_LIB), &sysroot.join("lib/wasm32-wasi"))?;
    Ok(sdk)
}

fn first_that_runs(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        })
        .map(|name| name.to_string())
}

fn which(name: &str) -> Result<PathBuf, String> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .ok_or_else(|| format!("{name} is not on PATH; {INSTALL}"))
}

fn link(target: &Path, at: &Path) -> Result<(), String> {
    let _ = std::fs::remove_file(at);
    std::os::unix::fs::symlink(target, at).map_err(|e| format!("{}: {e}", at.display()))
}

fn make_executable(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("{}: {e}", path.display()))
}
