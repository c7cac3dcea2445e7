//! The marketing console in a real browser: starts a real server (temporary SQLite, the
//! catalogue, the `flip-v1` and `hostile` guests in its plugin folder) and runs `web/e2e/console.test.mjs`,
//! Playwright driving Debian's headless Chromium against it. Screenshots of each main page
//! are kept in `target/console-screenshots/`. Plugin `free-gift` has version 1.0.2 in shadow
//! before the browser starts. Beside it, the console's own modules under
//! node's test runner (`web/test/`).

use remise_tests::http::{Server, ADMIN, CHANNEL, MARKETING, OPS};
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// Where Debian's `chromium` package puts the browser (`.ci/run` installs it).
const CHROMIUM: &str = "/usr/bin/chromium";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_works_in_a_real_browser() {
    let chromium = std::env::var("REMISE_CHROMIUM").unwrap_or_else(|_| CHROMIUM.into());
    assert!(
        Path::new(&chromium).exists(),
        "the browser tests need Chromium at {chromium}: apt-get install chromium (as .ci/run does), \
         or set REMISE_CHROMIUM"
    );
    let web = workspace().join("web");
    assert!(
        web.join("node_modules/playwright-core").exists(),
        "web/node_modules is installed by the build of the remise crate (host/build.rs runs npm ci)"
    );
    let server = Server::start_with(&["flip-v1", "hostile"]).await;
    let upload = remise_tests::GUESTS
        .iter()
        .find(|(name, _)| *name == "flip-v2")
        .map(|(_, path)| *path)
        .expect("the flip-v2 guest is built");
    // free-gift 1.0.2 uploaded straight into shadow, on every evaluation: the console's
    // shadow page reports it beside the live 1.0.0.
    let (status, shadowed) = server
        .upload(
            "free-gift?shadow=100",
            remise_tests::catalogue_version("free-gift", 2),
            OPS,
        )
        .await;
    assert!(
        status.is_success(),
        "free-gift 1.0.2 in shadow: {status} {shadowed}"
    );
    let screenshots = workspace().join("target/console-screenshots");

    let mut node = std::process::Command::new("node");
    node.arg("--test")
        .arg("--test-reporter=spec")
        .arg("--test-timeout=120000")
        .arg("e2e/console.test.mjs")
        .current_dir(&web)
        .env("REMISE_URL", &server.base)
        .env("REMISE_MARKETING_KEY", MARKETING)
        .env("REMISE_OPS_KEY", OPS)
        .env("REMISE_CHANNEL_KEY", CHANNEL)
        .env("REMISE_ADMIN_KEY", ADMIN)
        .env("REMISE_UPLOAD_WASM", upload)
        .env("REMISE_SCREENSHOTS", &screenshots)
        .env("REMISE_CHROMIUM", &chromium)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = tokio::task::spawn_blocking(move || node.output())
        .await
        .expect("the node task ends")
        .expect("node runs (Node.js 20+ is needed to build and test the console)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}\n{stderr}");
    assert!(
        output.status.success(),
        "the browser tests failed ({}); screenshots in {}:\n{stdout}\n{stderr}",
        output.status,
        screenshots.display()
    );
    for page in [
        "02-editor-field-error",
        "03-try-a-basket",
        "04-results",
        "05-coupons",
        "10-plugins",
        "12-editor-checked-in-browser",
        "13-keys",
        "14-customer",
        "15-customer-return",
        "16-distribution",
        "17-webhooks",
        "18-history",
        "19-trace",
        "20-shadow",
        "21-journal",
        "22-simulation",
        "23-plugin-errors",
    ] {
        assert!(
            screenshots.join(format!("{page}.png")).exists(),
            "screenshot {page}.png was taken"
        );
    }
}

/// `web/test/` under node's test runner, as `npm run test:unit` runs it (the console's own
/// modules, one test file each), with V8 refusing code made from strings (`eval`,
/// `new Function`) as a browser does under a Content Security Policy without `'unsafe-eval'`.
#[test]
fn the_consoles_own_modules_pass_their_unit_tests() {
    let web = workspace().join("web");
    assert!(
        web.join("node_modules").exists(),
        "web/node_modules is installed by the build of the remise crate (host/build.rs runs npm ci)"
    );
    let output = std::process::Command::new("node")
        .args([
            "--disallow-code-generation-from-strings",
            "--test",
            "--test-reporter=spec",
            "test/",
        ])
        .current_dir(&web)
        .output()
        .expect("node runs (Node.js 20+ is needed to build and test the console)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}\n{stderr}");
    assert!(
        output.status.success(),
        "the console's unit tests failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
}
