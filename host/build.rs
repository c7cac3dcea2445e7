//! Builds the catalogue plugins of `plugins/` for wasm32-wasip2 and the marketing console
//! of `web/` ([`console`]), and embeds them, so the `remise` binary serves both with
//! nothing else to install.

#[path = "build/console.rs"]
mod console;

use remise_guest_build::{build, Guest};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The catalogue of docs/api.md, in the order `remise` lists it.
const CATALOGUE: &[&str] = &[
    "threshold-discount",
    "buy-x-get-y",
    "bundle-price",
    "loyalty-reward",
    "free-gift",
    "points-multiplier",
    "points-redemption",
    "category-winback",
    "cross-channel-reward",
];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let workspace = manifest
        .parent()
        .expect("host/ sits in the workspace")
        .to_path_buf();
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    catalogue(&workspace, &out);
    console::build(&workspace, &out);
}

/// Builds the catalogue plugins and writes `catalogue.rs`.
fn catalogue(workspace: &Path, out: &Path) {
    let dirs: Vec<String> = CATALOGUE
        .iter()
        .map(|name| format!("plugins/{name}"))
        .collect();
    let guests: Vec<Guest<'_>> = CATALOGUE
        .iter()
        .zip(&dirs)
        .map(|(package, dir)| Guest { package, dir })
        .collect();
    let built = build(workspace, &guests).unwrap_or_else(|error| panic!("{error}"));
    let mut code = String::from(
        "/// The catalogue plugins, built from `plugins/`: (name, component bytes).\n",
    );
    code.push_str("pub const PLUGINS: &[(&str, &[u8])] = &[\n");
    for plugin in built {
        writeln!(
            code,
            "    ({:?}, include_bytes!({:?})),",
            plugin.package, plugin.wasm
        )
        .expect("writing to a String");
    }
    code.push_str("];\n");
    std::fs::write(out.join("catalogue.rs"), code).expect("OUT_DIR is writable");
}
