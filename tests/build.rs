//! Builds every test guest of `tests/guests/` (hostile plugins and malformed components)
//! for wasm32-wasip2 and hands their paths to the tests as constants in `guests.rs`.

use remise_guest_build::{build, Guest};
use std::fmt::Write;
use std::path::PathBuf;

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
    let dirs: Vec<String> = names
        .iter()
        .map(|name| format!("tests/guests/{name}"))
        .collect();
    let guests: Vec<Guest<'_>> = names
        .iter()
        .zip(&dirs)
        .map(|(package, dir)| Guest { package, dir })
        .collect();
    println!(
        "cargo:rerun-if-changed={}",
        manifest.join("guests").display()
    );
    let built = build(&workspace, &guests).unwrap_or_else(|error| panic!("{error}"));
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
