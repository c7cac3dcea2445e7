//! Builds plugin crates of this workspace into components from a build script, the way
//! wasmtime's `test-programs/artifacts` does: a nested `cargo build` into its own target
//! folder (so it never waits on the outer build's lock), with the `guest` profile.
//!
//! The host's build script uses it to embed the catalogue; the tests' build script to build
//! the hostile guests. Either way the `.wasm` comes from source on every change.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What a plugin is compiled for. Both yield a component of the world `remise:scenario`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `wasm32-unknown-unknown`, then wrapped into a component by `wit-component`: one core
    /// module importing only the world's own functions, so a fresh sandbox instantiates one
    /// module instead of three (the catalogue; docs/operations.md, the sandbox bench).
    Bare,
    /// `wasm32-wasip2`, as plugin authors outside this repository build by default: the
    /// standard library imports WASI, which the sandbox links as traps.
    Wasip2,
}

impl Target {
    /// The rustc target triple.
    pub fn triple(self) -> &'static str {
        match self {
            Target::Bare => "wasm32-unknown-unknown",
            Target::Wasip2 => "wasm32-wasip2",
        }
    }
}

/// A plugin crate to build: its package name and its folder, relative to the workspace.
pub struct Guest<'a> {
    /// The cargo package name, such as `threshold-discount`.
    pub package: &'a str,
    /// The crate's folder relative to the workspace root, such as `plugins/threshold-discount`.
    pub dir: &'a str,
}

/// A built plugin.
pub struct Built {
    /// The cargo package name.
    pub package: String,
    /// The `.wasm` component.
    pub wasm: PathBuf,
}

/// Environment a nested cargo must not inherit: flags meant for the host build (clippy's
/// wrapper, `RUSTFLAGS`, a `--target`) would otherwise leak into the guest build and
/// override the workspace's `[target.wasm32-wasip2]` settings.
const SCRUBBED_ENV: &[&str] = &[
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_BUILD_TARGET",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTC_WRAPPER",
    "CARGO_PRIMARY_PACKAGE",
];

/// Builds `guests` for `target` (one cargo invocation) and tells cargo to rerun the calling
/// build script when any of their sources, the SDK or the WIT change.
pub fn build(workspace: &Path, guests: &[Guest<'_>], target: Target) -> Result<Vec<Built>, String> {
    for dir in [
        "sdk/wit",
        "sdk/src",
        "sdk/Cargo.toml",
        "Cargo.lock",
        ".cargo/config.toml",
    ] {
        println!("cargo:rerun-if-changed={}", workspace.join(dir).display());
    }
    for guest in guests {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(guest.dir).display()
        );
    }
    let target_dir = guest_target_dir(workspace);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace)
        .args([
            "build",
            "--profile",
            "guest",
            "--target",
            target.triple(),
            "--target-dir",
        ])
        .arg(&target_dir);
    for guest in guests {
        command.args(["-p", guest.package]);
    }
    for var in SCRUBBED_ENV {
        command.env_remove(var);
    }
    for (var, _) in std::env::vars_os() {
        let var = var.to_string_lossy();
        if var.starts_with("CARGO_PROFILE_") || var.starts_with("CARGO_CFG_") {
            command.env_remove(var.as_ref());
        }
    }
    let status = command
        .status()
        .map_err(|e| format!("cannot start cargo to build the plugins: {e}"))?;
    let triple = target.triple();
    if !status.success() {
        return Err(format!(
            "building the plugins for {triple} failed ({status}); is the target installed? \
             `rustup target add {triple}`"
        ));
    }
    let out = target_dir.join(triple).join("guest");
    guests
        .iter()
        .map(|guest| {
            let built = out.join(format!("{}.wasm", guest.package.replace('-', "_")));
            let wasm = match target {
                Target::Wasip2 => built,
                Target::Bare => componentize(&built)?,
            };
            Ok(Built {
                package: guest.package.to_string(),
                wasm,
            })
        })
        .collect()
}

/// Wraps the core module at `module` into a component beside it (`<name>.component.wasm`),
/// from the world `wit-bindgen` embedded in it.
fn componentize(module: &Path) -> Result<PathBuf, String> {
    let failed =
        |what: &str, error: &dyn std::fmt::Display| format!("{what} {}: {error}", module.display());
    let bytes = std::fs::read(module).map_err(|e| failed("cannot read", &e))?;
    let component = wit_component::ComponentEncoder::default()
        .module(&bytes)
        .and_then(|encoder| encoder.validate(true).encode())
        .map_err(|e| failed("cannot make a component of", &format!("{e:#}")))?;
    let path = module.with_extension("component.wasm");
    std::fs::write(&path, component).map_err(|e| failed("cannot write the component of", &e))?;
    Ok(path)
}

/// `<target>/guests`, where `<target>` is the workspace's target folder.
fn guest_target_dir(workspace: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"))
        .join("guests")
}
