//! The marketing console for `build.rs`: `npm ci` (when `web/node_modules` is older than the
//! lock file) and `npm run build` (Vite) in `web/`, into `$OUT_DIR/console`; then
//! `$OUT_DIR/console.rs`, the table of its files that `host/src/api/console.rs` serves:
//! path, media type, bytes, gzip-compressed bytes when smaller, strong ETags.
//!
//! `REMISE_SKIP_CONSOLE=1` runs no npm and embeds a one-page placeholder instead.

use flate2::write::GzEncoder;
use flate2::Compression;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The variable that skips the build.
const SKIP: &str = "REMISE_SKIP_CONSOLE";

/// What to do when the console cannot be built.
const HELP: &str = "The marketing console (web/) is built with Node.js 20+ (20.19 or later) \
                    and npm on PATH. Install them, or set REMISE_SKIP_CONSOLE=1 to build \
                    without it: the binary then serves a one-page placeholder saying the \
                    console was not built.";

/// The page served at `/` when the console was skipped.
const PLACEHOLDER: &str = r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Remise: console not built</title>
  </head>
  <body>
    <h1>The console was not built</h1>
    <p>This binary was built with <code>REMISE_SKIP_CONSOLE=1</code>, so the marketing
      console is not in it. The API works as usual under <code>/v1</code>; it is described
      at <a href="/openapi.json">/openapi.json</a>.</p>
    <p>To get the console, build again with Node.js 20+ and npm installed and
      <code>REMISE_SKIP_CONSOLE</code> unset.</p>
  </body>
</html>
"#;

/// Builds the console of `workspace/web` (or the placeholder) into `out/console`, and
/// writes `out/console.rs`.
pub fn build(workspace: &Path, out: &Path) {
    let web = workspace.join("web");
    // What `npm run build` reads: the API types come from openapi.json (scripts/api-types.mjs
    // writes them into web/generated/, which is not watched: the build writes it), tsc checks
    // src/ against them, Vite bundles.
    for input in [
        "src",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.js",
        "openapi.json",
        "tsconfig.json",
        "scripts",
    ] {
        println!("cargo:rerun-if-changed={}", web.join(input).display());
    }
    // Watched only when it exists: cargo reruns on every build for a missing path.
    if web.join("public").exists() {
        println!("cargo:rerun-if-changed={}", web.join("public").display());
    }
    println!("cargo:rerun-if-env-changed={SKIP}");

    let site = out.join("console");
    let gzip_dir = out.join("console-gzip");
    for dir in [&site, &gzip_dir] {
        if dir.exists() {
            std::fs::remove_dir_all(dir)
                .unwrap_or_else(|e| panic!("cannot empty {}: {e}", dir.display()));
        }
    }
    let built = !skipped();
    if built {
        if needs_install(&web) {
            npm(&web, &["ci", "--no-audit", "--no-fund"], None);
        }
        npm(&web, &["run", "build"], Some(&site));
    } else {
        std::fs::create_dir_all(&site).expect("OUT_DIR is writable");
        std::fs::write(site.join("index.html"), PLACEHOLDER).expect("OUT_DIR is writable");
    }
    let code = table(&site, &gzip_dir, built);
    std::fs::write(out.join("console.rs"), code).expect("OUT_DIR is writable");
}

/// Whether `REMISE_SKIP_CONSOLE` is set to something other than `""`, `0` or `false`.
fn skipped() -> bool {
    std::env::var_os(SKIP).is_some_and(|value| {
        let value = value.to_string_lossy();
        !(value.is_empty() || value == "0" || value.eq_ignore_ascii_case("false"))
    })
}

/// Whether `web/node_modules` is missing or older than `web/package-lock.json` (npm writes
/// `node_modules/.package-lock.json` on every install).
fn needs_install(web: &Path) -> bool {
    let modified = |path: PathBuf| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    match (
        modified(web.join("node_modules/.package-lock.json")),
        modified(web.join("package-lock.json")),
    ) {
        (Some(installed), Some(locked)) => installed < locked,
        _ => true,
    }
}

/// Runs `npm args` in `web` (with `REMISE_CONSOLE_OUT=out` when given); panics with npm's
/// output and [`HELP`] if npm is missing or fails.
fn npm(web: &Path, args: &[&str], out: Option<&Path>) {
    let program = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let mut command = Command::new(program);
    command.current_dir(web).args(args);
    // Cargo sets DEBUG=true/false for build scripts; Node's `debug` package reads it.
    command.env_remove("DEBUG");
    if let Some(out) = out {
        command.env("REMISE_CONSOLE_OUT", out);
    }
    let shown = format!("npm {}", args.join(" "));
    // Captured, never inherited: cargo reads a build script's stdout for instructions.
    match command.output() {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!(
            "\n`{shown}` in {} failed ({}).\n{HELP}\n{}",
            web.display(),
            output.status,
            shown_output(&output)
        ),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            panic!("\ncannot run `{shown}`: npm is not found on PATH.\n{HELP}\n")
        }
        Err(error) => panic!(
            "\ncannot run `{shown}` in {}: {error}.\n{HELP}\n",
            web.display()
        ),
    }
}

fn shown_output(output: &Output) -> String {
    format!(
        "--- npm stdout ---\n{}\n--- npm stderr ---\n{}",
        String::from_utf8_lossy(&output.stdout).trim_end(),
        String::from_utf8_lossy(&output.stderr).trim_end()
    )
}

/// The code of `console.rs`: `ASSETS`, every file of `site` sorted by path, and `BUILT`.
/// Gzip forms that are smaller are written under `gzip_dir`.
fn table(site: &Path, gzip_dir: &Path, built: bool) -> String {
    let mut files = Vec::new();
    walk(site, &mut files);
    files.sort();
    let mut code = String::from(
        "/// Every file of the console, sorted by path (built from `web/` by `build.rs`).\n\
         pub static ASSETS: &[Asset] = &[\n",
    );
    for file in files {
        let relative = file.strip_prefix(site).expect("walked from the site");
        let path = url_path(relative);
        let bytes =
            std::fs::read(&file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let gzip = gzip(&bytes).map(|compressed| {
            let mut target = gzip_dir.join(relative).into_os_string();
            target.push(".gz");
            let target = PathBuf::from(target);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).expect("OUT_DIR is writable");
            }
            std::fs::write(&target, compressed).expect("OUT_DIR is writable");
            target
        });
        let etag = tag(&bytes);
        let gzip_code = match &gzip {
            Some(target) => format!("Some(include_bytes!({:?}))", target.display().to_string()),
            None => "None".to_string(),
        };
        writeln!(
            code,
            "    Asset {{\n        path: {path:?},\n        content_type: {:?},\n        \
             bytes: include_bytes!({:?}),\n        gzip: {gzip_code},\n        \
             etag: {:?},\n        gzip_etag: {:?},\n    }},",
            content_type(&path),
            file.display().to_string(),
            format!("\"{etag}\""),
            format!("\"{etag}-gzip\""),
        )
        .expect("writing to a String");
    }
    code.push_str("];\n\n");
    writeln!(
        code,
        "/// Whether the console was built (`false`: the placeholder of {SKIP}).\n\
         pub const BUILT: bool = {built};"
    )
    .expect("writing to a String");
    code
}

/// Every file under `dir`, recursively.
fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .path();
        if path.is_dir() {
            walk(&path, files);
        } else {
            files.push(path);
        }
    }
}

/// The URL path of a file of the site: `/` and its components joined by `/`.
fn url_path(relative: &Path) -> String {
    let mut path = String::new();
    for component in relative.components() {
        let name = component
            .as_os_str()
            .to_str()
            .unwrap_or_else(|| panic!("console file {} is not named in UTF-8", relative.display()));
        path.push('/');
        path.push_str(name);
    }
    if !path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/-._~".contains(&b))
    {
        panic!(
            "console file {path}: name it with letters, digits and - . _ ~ only, so its \
             path is its URL"
        );
    }
    path
}

/// The media type of a file, by extension.
fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, e)| e);
    match extension.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "json" => "application/json",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `bytes` gzip-compressed at the best level, when that is smaller.
fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).expect("compressing in memory");
    let compressed = encoder.finish().expect("compressing in memory");
    (compressed.len() < bytes.len()).then_some(compressed)
}

/// The first 16 hex digits of the SHA-256 of `bytes`.
fn tag(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}
