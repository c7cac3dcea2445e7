//! Builds the catalogue plugins of `plugins/` (wasm32-unknown-unknown, made components) and
//! the marketing console of `web/` ([`console`]), and embeds them, so the `remise` binary
//! serves both with nothing else to install.

#[path = "build/console.rs"]
mod console;
#[path = "build/wasi_sdk.rs"]
mod wasi_sdk;

use remise_guest_build::{build, Guest, Target};
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
    javascript_engine(&workspace, &out);
    console::build(&workspace, &out);
}

/// Builds the JavaScript engine (`sdk/js/engine`, a core module that `remise plugin build`
/// pre-initialises with a scenario) and writes `js_engine.rs`; `REMISE_SKIP_JS=1` builds
/// without it, as `REMISE_SKIP_CONSOLE=1` does without the console.
fn javascript_engine(workspace: &Path, out: &Path) {
    println!("cargo:rerun-if-env-changed=REMISE_SKIP_JS");
    let code = if std::env::var_os("REMISE_SKIP_JS").is_some_and(|v| !v.is_empty()) {
        "/// Not built: REMISE_SKIP_JS was set.\npub const ENGINE: Option<&[u8]> = None;\n"
            .to_string()
    } else {
        let sdk = wasi_sdk::locate(out)
            .unwrap_or_else(|error| panic!("{error}; or set REMISE_SKIP_JS=1 to build without it"));
        std::env::set_var("WASI_SDK", sdk);
        let engine = Guest {
            package: "remise-js-engine",
            dir: "sdk/js/engine",
        };
        let built =
            build(workspace, &[engine], Target::Wasip2).unwrap_or_else(|error| panic!("{error}"));
        format!(
            "/// The JavaScript engine's core module, built from `sdk/js/engine`.\n\
             pub const ENGINE: Option<&[u8]> = Some(include_bytes!({:?}));\n",
            built[0].wasm
        )
    };
    std::fs::write(out.join("js_engine.rs"), code).expect("OUT_DIR is writable");
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
    let built = build(workspace, &guests, Target::Bare).unwrap_or_else(|error| panic!("{error}"));
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
