//! `remise plugin new` as an integrator meets it: the project is written into a folder outside
//! this workspace, then built with plain cargo (its unit tests natively, the component for
//! `wasm32-wasip2`), run with `remise plugin run`, uploaded to a live `remise serve` and priced
//! on a basket, where its campaign applies. Nothing of this repository sits beside it.

use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const ADMIN_KEY: &str = "scaffold-test-admin-key-0123456789abcdef";

fn remise(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_remise"))
        .args(args)
        .env_remove("REMISE_DATABASE_URL")
        .output()
        .expect("the remise binary runs")
}

/// Plain `cargo <args>` in `project`, as its author runs it: none of the settings of the
/// build running this test leak in (flags, wrappers, profile overrides, target folder).
/// The target folder is kept between runs, under this workspace's, so reruns build little.
fn cargo(project: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(project).args(args);
    // Registry and network settings (`CARGO_HOME`, `CARGO_NET_*`, `CARGO_REGISTRIES_*`) stay.
    for (var, _) in std::env::vars_os() {
        let var = var.to_string_lossy();
        let leaks = [
            "CARGO_PROFILE_",
            "CARGO_CFG_",
            "CARGO_BUILD_",
            "CARGO_TARGET_",
            "RUSTC",
        ]
        .iter()
        .any(|prefix| var.starts_with(prefix))
            || matches!(
                var.as_ref(),
                "RUSTFLAGS" | "RUSTDOCFLAGS" | "CARGO_ENCODED_RUSTFLAGS" | "CARGO_PRIMARY_PACKAGE"
            );
        if leaks {
            command.env_remove(var.as_ref());
        }
    }
    command.env(
        "CARGO_TARGET_DIR",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("scaffolded"),
    );
    command.output().expect("cargo runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `remise serve` on a free loopback port and a fresh SQLite file, killed when dropped.
struct Served {
    child: Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path) -> Served {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let database = dir.join("remise.db");
    let child = Command::new(env!("CARGO_BIN_EXE_remise"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--database-url")
        .arg(format!("sqlite://{}", database.display()))
        .env("REMISE_ADMIN_KEY", ADMIN_KEY)
        .env_remove("REMISE_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("remise serve starts");
    let served = Served {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::blocking::Client::new();
    let started = Instant::now();
    while client
        .get(format!("{}/readyz", served.base))
        .send()
        .map_or(true, |answer| !answer.status().is_success())
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "remise serve is not ready after a minute"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    served
}

fn call(
    client: &reqwest::blocking::Client,
    request: reqwest::blocking::RequestBuilder,
) -> (u16, Value) {
    let answer = client
        .execute(
            request
                .bearer_auth(ADMIN_KEY)
                .build()
                .expect("a well-formed request"),
        )
        .expect("the server answers");
    let status = answer.status().as_u16();
    (status, answer.json().unwrap_or(Value::Null))
}

/// The project's fixture basket priced on `served`, where campaign `campaign` (15 % off the
/// shoes from two pairs) must apply.
fn fixture_basket_gets_the_shoes_discount(
    client: &reqwest::blocking::Client,
    served: &Served,
    project: &Path,
    campaign: &str,
) {
    let basket: Value = serde_json::from_str(
        &std::fs::read_to_string(project.join("fixtures/basket.json")).expect("basket"),
    )
    .expect("basket JSON");
    let (status, answer) = call(
        client,
        client
            .post(format!("{}/v1/evaluate", served.base))
            .json(&basket),
    );
    assert_eq!(status, 200, "{answer}");
    // 2 × 89.90 = 179.80; 15 % of it is 26.97. The socks (12.00) are not shoes.
    let applied = &answer["applied"];
    assert_eq!(applied[0]["campaign"], campaign, "{answer}");
    assert_eq!(applied[0]["discount"], "26.97", "{answer}");
    assert_eq!(answer["total"], "164.83", "{answer}");
}

#[test]
fn a_scaffolded_plugin_builds_alone_runs_and_applies_on_a_live_server() {
    // A folder outside the workspace, as an integrator's own repository would be.
    let outside = tempfile::tempdir().expect("a temporary folder");
    assert!(
        !outside
            .path()
            .starts_with(Path::new(env!("CARGO_MANIFEST_DIR")).join("..")),
        "the project must sit outside this workspace"
    );
    let project: PathBuf = outside.path().join("shoe-week");
    let written = remise(&[
        "plugin",
        "new",
        "shoe-week",
        "--dir",
        &project.to_string_lossy(),
    ]);
    assert!(written.status.success(), "{}", text(&written));
    assert!(text(&written).contains("cargo build --release --target wasm32-wasip2"));
    for file in [
        "Cargo.toml",
        ".cargo/config.toml",
        "src/lib.rs",
        "fixtures/basket.json",
        "fixtures/params.json",
        "README.md",
        "vendor/remise-sdk/Cargo.toml",
        "vendor/remise-sdk/wit/v1.1/scenario.wit",
    ] {
        assert!(project.join(file).is_file(), "{file} is written");
    }

    // Its own unit tests pass natively.
    let tested = cargo(&project, &["test"]);
    assert!(tested.status.success(), "{}", text(&tested));
    assert!(
        text(&tested).contains("test result: ok. 3 passed"),
        "{}",
        text(&tested)
    );

    // The component builds with the project's own settings.
    let built = cargo(
        &project,
        &["build", "--release", "--target", "wasm32-wasip2"],
    );
    assert!(built.status.success(), "{}", text(&built));
    let component = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("scaffolded/wasm32-wasip2/release/shoe_week.wasm");
    let bytes = std::fs::read(&component).expect("the component is built");

    // `remise plugin run` on the fixtures: 15 % off the shoes' line, id "1".
    let ran = remise(&[
        "plugin",
        "run",
        "--wasm",
        &component.to_string_lossy(),
        "--params",
        &project.join("fixtures/params.json").to_string_lossy(),
        "--basket",
        &project.join("fixtures/basket.json").to_string_lossy(),
    ]);
    assert!(ran.status.success(), "{}", text(&ran));
    let report: Value = serde_json::from_slice(&ran.stdout).expect("JSON report");
    assert_eq!(report["plugin"], "shoe-week@0.1.0");
    assert_eq!(
        report["effects"],
        json!([{ "type": "discount", "value": { "percent": "15" },
                 "target": { "lines": [{ "line": "1" }] } }])
    );

    // A live server: upload, a campaign on it, the fixture basket priced.
    let served = serve(outside.path());
    let client = reqwest::blocking::Client::new();
    let (status, plugin) = call(
        &client,
        client
            .put(format!("{}/v1/plugins/shoe-week", served.base))
            .header("content-type", "application/wasm")
            .body(bytes),
    );
    assert_eq!(status, 201, "{plugin}");
    assert_eq!(plugin["latest"], "0.1.0", "{plugin}");
    let params: Value = serde_json::from_str(
        &std::fs::read_to_string(project.join("fixtures/params.json")).expect("params"),
    )
    .expect("params JSON");
    let (status, campaign) = call(
        &client,
        client.post(format!("{}/v1/campaigns", served.base)).json(
            &json!({ "id": "shoe-week-trial", "name": "Shoe week", "plugin": "shoe-week",
                           "status": "active", "params": params }),
        ),
    );
    assert_eq!(status, 201, "{campaign}");
    fixture_basket_gets_the_shoes_discount(&client, &served, &project, "shoe-week-trial");
}

#[test]
fn a_bad_name_or_a_folder_in_use_is_refused_and_nothing_is_written() {
    let outside = tempfile::tempdir().expect("a temporary folder");
    let project = outside.path().join("p");
    let refused = remise(&[
        "plugin",
        "new",
        "Shoe_Week",
        "--dir",
        &project.to_string_lossy(),
    ]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("a-z, 0-9 and -"),
        "{}",
        text(&refused)
    );
    assert!(!project.exists());

    std::fs::create_dir_all(&project).expect("folder");
    std::fs::write(project.join("notes.txt"), "mine").expect("a file");
    let refused = remise(&[
        "plugin",
        "new",
        "shoe-week",
        "--dir",
        &project.to_string_lossy(),
    ]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("not empty"), "{}", text(&refused));
    assert_eq!(std::fs::read_dir(&project).expect("folder").count(), 1);
}

/// `remise` with no toolchain reachable: an empty `PATH`, so nothing but the binary runs.
fn remise_alone(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_remise"))
        .args(args)
        .env_remove("REMISE_DATABASE_URL")
        .env("PATH", "")
        .output()
        .expect("the remise binary runs")
}

#[test]
fn a_javascript_plugin_is_scaffolded_built_run_and_applied_with_remise_alone() {
    let outside = tempfile::tempdir().expect("a temporary folder");
    let project: PathBuf = outside.path().join("shoe-week-js");
    let written = remise_alone(&[
        "plugin",
        "new",
        "shoe-week-js",
        "--lang",
        "js",
        "--dir",
        &project.to_string_lossy(),
    ]);
    assert!(written.status.success(), "{}", text(&written));
    assert!(text(&written).contains("remise plugin build scenario.js"));
    for file in [
        "scenario.js",
        "remise.d.ts",
        "fixtures/basket.json",
        "fixtures/params.json",
        "README.md",
    ] {
        assert!(project.join(file).is_file(), "{file} is written");
    }

    let component = project.join("shoe-week-js.wasm");
    let built = remise_alone(&[
        "plugin",
        "build",
        &project.join("scenario.js").to_string_lossy(),
        "-o",
        &component.to_string_lossy(),
    ]);
    assert!(built.status.success(), "{}", text(&built));
    assert!(
        text(&built).contains("Built shoe-week-js@1.0.0"),
        "{}",
        text(&built)
    );

    let ran = remise_alone(&[
        "plugin",
        "run",
        "--wasm",
        &component.to_string_lossy(),
        "--params",
        &project.join("fixtures/params.json").to_string_lossy(),
        "--basket",
        &project.join("fixtures/basket.json").to_string_lossy(),
    ]);
    assert!(ran.status.success(), "{}", text(&ran));
    let report: Value = serde_json::from_slice(&ran.stdout).expect("JSON report");
    assert_eq!(report["plugin"], "shoe-week-js@1.0.0");
    assert_eq!(
        report["effects"],
        json!([{ "type": "discount", "value": { "percent": "15" },
                 "target": { "lines": [{ "line": "1" }] } }])
    );
    // `console.log` reached the evaluation's log.
    let log = report["report"]["log"].to_string();
    assert!(log.contains("2 units in shoes"), "{report}");

    let served = serve(outside.path());
    let client = reqwest::blocking::Client::new();
    let bytes = std::fs::read(&component).expect("the component");
    let (status, plugin) = call(
        &client,
        client
            .put(format!("{}/v1/plugins/shoe-week-js", served.base))
            .header("content-type", "application/wasm")
            .body(bytes),
    );
    assert_eq!(status, 201, "{plugin}");
    // The plugin page's language: the component says it was built from JavaScript.
    assert_eq!(plugin["versions"][0]["language"], "JavaScript", "{plugin}");
    let (status, campaign) = call(
        &client,
        client.post(format!("{}/v1/campaigns", served.base)).json(
            &json!({ "id": "shoe-week-js-trial", "name": "Shoe week", "plugin": "shoe-week-js",
                     "status": "active",
                     "params": { "categories": ["shoes"], "min_units": 2, "percent_off": "15" } }),
        ),
    );
    assert_eq!(status, 201, "{campaign}");
    // The schema the script declared is the server's check: a number is not a decimal.
    let (status, refused) = call(
        &client,
        client.post(format!("{}/v1/campaigns", served.base)).json(
            &json!({ "id": "bad", "name": "Bad", "plugin": "shoe-week-js", "status": "active",
                     "params": { "categories": ["shoes"], "percent_off": 15 } }),
        ),
    );
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused.to_string().contains("/params/percent_off"),
        "{refused}"
    );
    // checkParams's own problem, by pointer.
    let (status, refused) = call(
        &client,
        client.post(format!("{}/v1/campaigns", served.base)).json(
            &json!({ "id": "bad", "name": "Bad", "plugin": "shoe-week-js", "status": "active",
                     "params": { "categories": ["shoes"], "percent_off": "150" } }),
        ),
    );
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused
            .to_string()
            .contains("must be above 0 and at most 100"),
        "{refused}"
    );

    fixture_basket_gets_the_shoes_discount(&client, &served, &project, "shoe-week-js-trial");
}

#[test]
fn a_javascript_scenario_that_does_not_load_is_refused_with_its_error() {
    let outside = tempfile::tempdir().expect("a temporary folder");
    let cases = [
        ("export function evaluate( {", "the scenario does not compile"),
        (
            "export const metadata = { name: 'x', version: '1.0.0', description: '', paramsSchema: {} };",
            "must export a function `evaluate",
        ),
        ("throw new Error('not today');", "not today"),
        // Loading runs under a plugin's largest memory cap: a bomb ends there.
        ("let s = 'x'; for (;;) s = s + s;", "out of memory"),
    ];
    for (i, (source, expected)) in cases.iter().enumerate() {
        let script = outside.path().join(format!("broken-{i}.js"));
        std::fs::write(&script, source).expect("write the script");
        let refused = remise_alone(&["plugin", "build", &script.to_string_lossy()]);
        assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
        assert!(
            text(&refused).contains(expected),
            "{source}: {}",
            text(&refused)
        );
        assert!(!script.with_extension("wasm").exists());
    }
}
