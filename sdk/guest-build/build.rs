//! Checks, before anything heavy compiles, that the toolchain can build plugins: the
//! `wasm32-wasip2` target must be installed (rustup does not always install a toolchain
//! file's targets by itself). When it is missing and rustup is there, it is installed;
//! otherwise the build stops within seconds naming the command to run.

use std::path::PathBuf;
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

fn main() {
    println!("cargo:rerun-if-env-changed=RUSTUP_TOOLCHAIN");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Some(sysroot) = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
    else {
        return; // rustc itself will say what is wrong.
    };
    let installed = |sysroot: &PathBuf| {
        sysroot
            .join("lib/rustlib")
            .join(TARGET)
            .join("lib")
            .is_dir()
    };
    if installed(&sysroot) {
        return;
    }
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", TARGET]);
    if let Some(toolchain) = std::env::var_os("RUSTUP_TOOLCHAIN") {
        rustup.arg("--toolchain").arg(toolchain);
    }
    println!("cargo:warning=the {TARGET} target is missing: running `rustup target add {TARGET}`");
    let added = rustup.status().is_ok_and(|status| status.success());
    if !added || !installed(&sysroot) {
        panic!(
            "\n\nRemise builds its plugins for {TARGET}, and this toolchain ({}) does not have \
             that target. Install it once with:\n\n    rustup target add {TARGET}\n\n",
            sysroot.display()
        );
    }
}
