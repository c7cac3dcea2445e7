//! Checks, before anything heavy compiles, that the toolchain can build plugins: the
//! `wasm32-unknown-unknown` (catalogue) and `wasm32-wasip2` (test guests, the JavaScript
//! engine) targets must be installed (rustup does not always install a toolchain file's
//! targets by itself). When one is missing and rustup is there, it is installed; otherwise
//! the build stops within seconds naming the command to run.

use std::path::PathBuf;
use std::process::Command;

const TARGETS: [&str; 2] = ["wasm32-unknown-unknown", "wasm32-wasip2"];

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
    let installed = |target: &str| {
        sysroot
            .join("lib/rustlib")
            .join(target)
            .join("lib")
            .is_dir()
    };
    let missing: Vec<&str> = TARGETS.into_iter().filter(|t| !installed(t)).collect();
    if missing.is_empty() {
        return;
    }
    let command = format!("rustup target add {}", missing.join(" "));
    let mut rustup = Command::new("rustup");
    rustup.arg("target").arg("add").args(&missing);
    if let Some(toolchain) = std::env::var_os("RUSTUP_TOOLCHAIN") {
        rustup.arg("--toolchain").arg(toolchain);
    }
    println!("cargo:warning=a plugin target is missing: running `{command}`");
    let added = rustup.status().is_ok_and(|status| status.success());
    if !added || missing.iter().any(|t| !installed(t)) {
        panic!(
            "\n\nRemise builds its plugins for {}, and this toolchain ({}) lacks {}. \
             Install them once with:\n\n    {command}\n\n",
            TARGETS.join(" and "),
            sysroot.display(),
            missing.join(" and "),
        );
    }
}
