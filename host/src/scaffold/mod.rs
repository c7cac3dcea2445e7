//! `remise plugin new`: writes a standalone plugin project, so an integrator starts in their own
//! repository with the build the sandbox expects, a scenario, its tests, fixtures and the SDK.
//!
//! `--lang js` writes a JavaScript project instead: the scenario, fixtures and the
//! contract's TypeScript declarations; `remise plugin build` makes it a component.
//!
//! The project needs nothing of this repository: the SDK crate (and the contract's WIT inside
//! it) is embedded in this binary and copied into the project's `vendor/remise-sdk/`.

use std::path::{Path, PathBuf};

/// Files of the new project that come from templates, with `{{…}}` placeholders.
const TEMPLATES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("template/Cargo.toml.tmpl")),
    (
        ".cargo/config.toml",
        include_str!("template/config.toml.tmpl"),
    ),
    (".gitignore", include_str!("template/gitignore.tmpl")),
    ("README.md", include_str!("template/README.md.tmpl")),
    ("src/lib.rs", include_str!("template/lib.rs.tmpl")),
    ("fixtures/params.json", include_str!("template/params.json")),
    ("fixtures/basket.json", include_str!("template/basket.json")),
];

/// Files of a new JavaScript project.
const JS_TEMPLATES: &[(&str, &str)] = &[
    ("scenario.js", include_str!("template/js/scenario.js.tmpl")),
    ("README.md", include_str!("template/js/README.md.tmpl")),
    (".gitignore", include_str!("template/js/gitignore.tmpl")),
    ("fixtures/params.json", include_str!("template/params.json")),
    ("fixtures/basket.json", include_str!("template/basket.json")),
];

/// The SDK crate as this binary was built with it, copied as is under `vendor/remise-sdk/`.
/// A unit test checks that it lists every file of `sdk/src` and `sdk/wit`.
const SDK_FILES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../../../sdk/Cargo.toml")),
    ("README.md", include_str!("../../../sdk/README.md")),
    (
        "src/allocator.rs",
        include_str!("../../../sdk/src/allocator.rs"),
    ),
    ("src/basket.rs", include_str!("../../../sdk/src/basket.rs")),
    (
        "src/customer.rs",
        include_str!("../../../sdk/src/customer.rs"),
    ),
    (
        "src/effects.rs",
        include_str!("../../../sdk/src/effects.rs"),
    ),
    ("src/export.rs", include_str!("../../../sdk/src/export.rs")),
    ("src/lib.rs", include_str!("../../../sdk/src/lib.rs")),
    ("src/limits.rs", include_str!("../../../sdk/src/limits.rs")),
    ("src/log.rs", include_str!("../../../sdk/src/log.rs")),
    ("src/money.rs", include_str!("../../../sdk/src/money.rs")),
    ("src/params.rs", include_str!("../../../sdk/src/params.rs")),
    (
        "src/testing.rs",
        include_str!("../../../sdk/src/testing.rs"),
    ),
    (
        "wit/v1/scenario.wit",
        include_str!("../../../sdk/wit/v1/scenario.wit"),
    ),
    (
        "wit/v1.1/scenario.wit",
        include_str!("../../../sdk/wit/v1.1/scenario.wit"),
    ),
];

/// Where the SDK goes inside the new project.
const VENDORED_SDK: &str = "vendor/remise-sdk";

/// The SDK version the project depends on (`sdk/Cargo.toml`'s).
pub const SDK_VERSION: &str = "1.1.0";

/// Why a project was not written.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// The name cannot be both a plugin's and a cargo package's.
    #[error(
        "{0:?} cannot name a plugin: use 1 to 64 of a-z, 0-9 and -, starting with a letter \
         and not ending with -"
    )]
    BadName(String),
    /// The folder already holds files; nothing is overwritten.
    #[error("{} already exists and is not empty; nothing was written", .0.display())]
    NotEmpty(PathBuf),
    /// The contract could not be turned into TypeScript declarations (a bug of this binary).
    #[error("the TypeScript declarations could not be generated: {0}")]
    Contract(String),
    /// Writing failed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// What `remise plugin new` wrote.
#[derive(Debug)]
pub struct Scaffolded {
    /// The project's folder.
    pub dir: PathBuf,
    /// The files written, relative to `dir`.
    pub files: Vec<String>,
    /// The component the build makes, relative to `dir`.
    pub component: String,
}

/// Writes a Rust plugin project named `name` into `dir`, which must not exist or be empty.
pub fn new_rust_plugin(name: &str, dir: &Path) -> Result<Scaffolded, ScaffoldError> {
    check_name(name)?;
    check_empty(dir)?;
    let crate_name = name.replace('-', "_");
    let type_name = type_name(name);
    let fill = |template: &str| {
        template
            .replace("{{name}}", name)
            .replace("{{crate}}", &crate_name)
            .replace("{{type}}", &type_name)
            .replace("{{sdk_version}}", SDK_VERSION)
            .replace("{{remise_version}}", env!("CARGO_PKG_VERSION"))
    };
    let mut files = Vec::new();
    for (path, template) in TEMPLATES {
        write(dir, path, &fill(template))?;
        files.push((*path).to_string());
    }
    for (path, text) in SDK_FILES {
        let path = format!("{VENDORED_SDK}/{path}");
        write(dir, &path, text)?;
        files.push(path);
    }
    Ok(Scaffolded {
        dir: dir.to_path_buf(),
        files,
        component: format!("target/wasm32-wasip2/release/{crate_name}.wasm"),
    })
}

/// Writes a JavaScript plugin project named `name` into `dir`, which must not exist or be
/// empty: the scenario, its fixtures and the TypeScript declarations of the contract.
pub fn new_javascript_plugin(name: &str, dir: &Path) -> Result<Scaffolded, ScaffoldError> {
    check_name(name)?;
    check_empty(dir)?;
    let fill = |template: &str| {
        template
            .replace("{{name}}", name)
            .replace("{{remise_version}}", env!("CARGO_PKG_VERSION"))
    };
    let mut files = Vec::new();
    for (path, template) in JS_TEMPLATES {
        write(dir, path, &fill(template))?;
        files.push((*path).to_string());
    }
    let declarations = crate::javascript::typescript().map_err(ScaffoldError::Contract)?;
    write(dir, "remise.d.ts", &declarations)?;
    files.push("remise.d.ts".to_string());
    Ok(Scaffolded {
        dir: dir.to_path_buf(),
        files,
        component: format!("{name}.wasm"),
    })
}

fn check_empty(dir: &Path) -> Result<(), ScaffoldError> {
    let not_empty = std::fs::read_dir(dir)
        .map(|mut entries| entries.next().is_some())
        .unwrap_or(false);
    if not_empty {
        return Err(ScaffoldError::NotEmpty(dir.to_path_buf()));
    }
    Ok(())
}

/// A plugin's name (1 to 64 of `a-z`, `0-9`, `-`, as the host requires) that is also a
/// cargo package name: it starts with a letter and does not end with `-`.
fn check_name(name: &str) -> Result<(), ScaffoldError> {
    let ok = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ScaffoldError::BadName(name.to_string()))
    }
}

/// `shoe-week` → `ShoeWeek`: the scenario's type.
fn type_name(name: &str) -> String {
    crate::javascript::pascal(name)
}

fn write(dir: &Path, relative: &str, text: &str) -> Result<(), ScaffoldError> {
    let path = dir.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| ScaffoldError::Write {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(&path, text).map_err(|source| ScaffoldError::Write { path, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of the SDK's sources and contract is embedded, and nothing else.
    #[test]
    fn the_embedded_sdk_is_the_whole_sdk() {
        let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
        let mut on_disk = vec!["Cargo.toml".to_string(), "README.md".to_string()];
        let mut stack = vec![sdk.join("src"), sdk.join("wit")];
        while let Some(folder) = stack.pop() {
            for entry in std::fs::read_dir(&folder).expect("sdk folder") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let relative = path.strip_prefix(&sdk).expect("inside sdk");
                    on_disk.push(relative.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> = SDK_FILES.iter().map(|(p, _)| p.to_string()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
    }

    #[test]
    fn the_sdk_version_is_the_sdk_crates() {
        let manifest = SDK_FILES
            .iter()
            .find(|(path, _)| *path == "Cargo.toml")
            .map(|(_, text)| *text)
            .expect("manifest");
        assert!(manifest.contains(&format!("\nversion = \"{SDK_VERSION}\"\n")));
    }

    #[test]
    fn names_must_suit_both_the_host_and_cargo() {
        for good in ["shoe-week", "a", "b2b-10"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Shoe",
            "2-for-1",
            "shoe_week",
            "shoe-",
            "é",
            &"a".repeat(65),
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(type_name("shoe-week"), "ShoeWeek");
        assert_eq!(type_name("b2b-10"), "B2b10");
    }

    #[test]
    fn a_folder_with_files_is_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("keep.txt"), "mine").expect("write");
        let refused = new_rust_plugin("shoe-week", dir.path());
        assert!(matches!(refused, Err(ScaffoldError::NotEmpty(_))));
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
    }

    #[test]
    fn placeholders_are_all_filled() {
        let dir = tempfile::tempdir().expect("tempdir");
        let written = new_rust_plugin("shoe-week", &dir.path().join("p")).expect("written");
        for (file, _) in TEMPLATES {
            let text = std::fs::read_to_string(written.dir.join(file)).expect("read");
            assert!(!text.contains("{{"), "{file} keeps a placeholder");
        }
        let lib = std::fs::read_to_string(written.dir.join("src/lib.rs")).expect("lib");
        assert!(lib.contains("pub struct ShoeWeek;"));
        assert_eq!(
            written.component,
            "target/wasm32-wasip2/release/shoe_week.wasm"
        );
    }
}
