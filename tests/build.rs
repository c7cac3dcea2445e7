//! Builds every test guest of `tests/guests/` (hostile plugins and malformed components)
//! for wasm32-wasip2, and `hostile` also for wasm32-unknown-unknown as the catalogue is
//! built (`hostile-bare`), and hands their paths to the tests as constants in `guests.rs`.
//!
//! Guests whose name ends with `-1-0` are plugins built for contract 1.0 (their wasm build
//! turns the SDK's feature `contract-1-0` on). They are built in a cargo invocation of
//! their own: cargo unifies a package's features across the packages of one invocation, so
//! built together with the others, every guest would be built for 1.0. Cargo keeps the
//! SDK's artifacts per feature set, so both invocations share one target folder.

use remise_guest_build::{build, Built, Guest, Target};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The name suffix of the guests built for contract 1.0.
const CONTRACT_1_0_SUFFIX: &str = "-1-0";

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let workspace = manifest
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf();
    let mut names: Vec<String> = std::fs::read_dir(manifest.join("guests"))
        .expect("tests/guests exists")
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("Cargo.toml").exists())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    println!(
        "cargo:rerun-if-changed={}",
        manifest.join("guests").display()
    );
    let (contract_1_0, current): (Vec<String>, Vec<String>) = names
        .into_iter()
        .partition(|name| name.ends_with(CONTRACT_1_0_SUFFIX));
    let mut built = build_guests(&workspace, &current);
    if !contract_1_0.is_empty() {
        // A 1.0 guest may build a catalogue plugin's source (`threshold-discount-1-0`
        // includes `plugins/threshold-discount`): rebuild it when that source changes.
        for name in &contract_1_0 {
            let plugin = workspace
                .join("plugins")
                .join(name.trim_end_matches(CONTRACT_1_0_SUFFIX));
            if plugin.is_dir() {
                println!("cargo:rerun-if-changed={}", plugin.display());
            }
        }
        built.extend(build_guests(&workspace, &contract_1_0));
    }
    // The hostile guest again, built the way the catalogue is (`Target::Bare`,
    // `wasm32-unknown-unknown`), as `hostile-bare`: the sandbox's limits hold for both kinds
    // of component.
    let hostile = [Guest {
        package: "hostile",
        dir: "tests/guests/hostile",
    }];
    let bare = build(&workspace, &hostile, Target::Bare).unwrap_or_else(|error| panic!("{error}"));
    built.extend(bare.into_iter().map(|guest| Built {
        package: format!("{}-bare", guest.package),
        wasm: guest.wasm,
    }));
    let mut code = String::from("/// Every test guest: (package name, path of its component).\n");
    code.push_str("pub const GUESTS: &[(&str, &str)] = &[\n");
    for guest in &built {
        writeln!(code, "    ({:?}, {:?}),", guest.package, guest.wasm)
            .expect("writing to a String");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("guests.rs"), code).expect("OUT_DIR is writable");
}

/// Builds the guests `names` (crates of `tests/guests/`) in one cargo invocation.
fn build_guests(workspace: &Path, names: &[String]) -> Vec<Built> {
    let dirs: Vec<String> = names
        .iter()
        .map(|name| format!("tests/guests/{name}"))
        .collect();
    let guests: Vec<Guest<'_>> = names
        .iter()
        .zip(&dirs)
        .map(|(package, dir)| Guest { package, dir })
        .collect();
    build(workspace, &guests, Target::Wasip2).unwrap_or_else(|error| panic!("{error}"))
}
