//! The house's floors, checked: the lower modules of `host/src` never import the ones
//! above them. Reads every source file and fails naming each import that runs back up.
//!
//! From the ground up: the `remise-model` crate (`model/`: the model, `money`,
//! `json_pointer`; a crate of its own, so it cannot import the host at all) with `auth` and
//! `clock`, then `runtime`, then `engine` and `store`, then `delivery` (webhooks), then
//! `registry` and `service`, then
//! `api`, and `serve` and `cli` at the top.

use std::fs;
use std::path::{Path, PathBuf};

/// A floor: the folder (or file) of `host/src`, and the `crate::` paths it may not use.
struct Rule {
    module: &'static str,
    forbidden: &'static [&'static str],
    /// When set, the only `crate::` roots it may use at all.
    only: Option<&'static [&'static str]>,
}

const ABOVE_ENGINE: &[&str] = &["api", "service", "registry", "serve", "cli"];

const RULES: &[Rule] = &[
    Rule {
        module: "clock.rs",
        forbidden: &[],
        only: Some(&["clock"]),
    },
    Rule {
        module: "runtime",
        forbidden: &[
            "api", "service", "registry", "serve", "cli", "engine", "store",
        ],
        only: None,
    },
    Rule {
        module: "engine",
        forbidden: &["api", "service", "registry", "serve", "cli", "store"],
        only: None,
    },
    Rule {
        module: "store",
        forbidden: &[
            "api", "service", "registry", "serve", "cli", "engine", "runtime",
        ],
        only: None,
    },
    Rule {
        module: "delivery",
        forbidden: &[
            "api", "service", "registry", "serve", "cli", "engine", "runtime",
        ],
        only: None,
    },
    Rule {
        module: "registry",
        forbidden: &["api", "service", "serve", "cli", "engine"],
        only: None,
    },
    Rule {
        module: "metrics.rs",
        forbidden: ABOVE_ENGINE,
        only: None,
    },
];

fn source_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    let entries = fs::read_dir(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::ROOT` a line of code names (comments left out), with its line number.
fn crate_roots(text: &str) -> Vec<(usize, String)> {
    let mut roots = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let root: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if root.is_empty() {
                // `crate::{a, b}`: every name in the braces is a root.
                if let Some(list) = after.strip_prefix('{') {
                    for name in list.split('}').next().unwrap_or_default().split(',') {
                        let name: String = name
                            .trim()
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        if !name.is_empty() {
                            roots.push((n + 1, name));
                        }
                    }
                }
            } else {
                roots.push((n + 1, root));
            }
            rest = after;
        }
    }
    roots
}

fn violations(src: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for rule in RULES {
        let mut files = Vec::new();
        source_files(&src.join(rule.module), &mut files);
        assert!(!files.is_empty(), "host/src/{} has no source", rule.module);
        for file in files {
            let text =
                fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            for (line, root) in crate_roots(&text) {
                let refused = rule.forbidden.contains(&root.as_str())
                    || rule.only.is_some_and(|only| !only.contains(&root.as_str()));
                if refused {
                    let shown = file
                        .strip_prefix(src)
                        .unwrap_or(&file)
                        .display()
                        .to_string();
                    found.push(format!(
                        "host/src/{shown}:{line} imports crate::{root}, which {} may not",
                        rule.module
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn lower_floors_never_import_upper_ones() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(
        found.is_empty(),
        "imports that run back up:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_runtime_never_sees_an_http_body() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src.join("runtime"), &mut files);
    for file in files {
        let text = fs::read_to_string(&file).unwrap_or_default();
        for body in ["EvaluateRequest", "axum", "ToSchema"] {
            assert!(
                !text.contains(body),
                "{} names {body}: the sandbox takes the model's Basket",
                file.display()
            );
        }
    }
}

#[test]
fn the_check_sees_a_forbidden_import() {
    // The check itself can fail: a line that names an upper floor is found, a comment is not.
    let roots = crate_roots(
        "use crate::api::json;\n// crate::service in words\nuse crate::{model, store};\n",
    );
    assert_eq!(
        roots,
        [
            (1, "api".to_string()),
            (3, "model".to_string()),
            (3, "store".to_string())
        ]
    );
}
