//! The real `remise` binary, run as an integrator runs it: `remise plugin run` on JSON files
//! and `remise plugin inspect` (with the limits ops set in a server's database), `remise
//! journal verify` on a fresh database, and `remise simulate` on a database holding a live
//! campaign. Checks its exit codes (0 success, 1 the plugin failed, 2 the input was
//! refused) and what it prints; expected values are written out by hand.

use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Command, Output};

/// A fresh folder for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cli")
        .join(test);
    std::fs::create_dir_all(&dir).expect("the scratch folder can be made");
    dir
}

fn write(dir: &std::path::Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, value.to_string()).expect("scratch files can be written");
    path
}

fn remise(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_remise"))
        .args(args)
        // `plugin inspect` reads a server's database when one is given.
        .env_remove("REMISE_DATABASE_URL")
        .output()
        .expect("the remise binary runs")
}

/// Runs `remise plugin run --plugin <plugin>` on `params` and `basket`, plus `extra` flags.
fn plugin_run(test: &str, plugin: &str, params: Value, basket: Value, extra: &[&str]) -> Output {
    let dir = scratch(test);
    let params = write(&dir, "params.json", &params);
    let basket = write(&dir, "basket.json", &basket);
    let mut args = vec![
        "plugin",
        "run",
        "--plugin",
        plugin,
        "--params",
        params.to_str().expect("a UTF-8 path"),
        "--basket",
        basket.to_str().expect("a UTF-8 path"),
    ];
    args.extend_from_slice(extra);
    remise(&args)
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// 2 × 19.90 + 79.90 = 119.70.
fn basket() -> Value {
    json!({
        "currency": "EUR", "channel": "store", "store": "paris-rivoli",
        "at": "2026-03-08T17:30:00+01:00",
        "lines": [
            { "id": "1", "sku": "TSHIRT-M", "quantity": 2, "unit_price": "19.90",
              "categories": ["apparel", "tops"] },
            { "id": "2", "sku": "SHOE-42", "quantity": 1, "unit_price": "79.90",
              "categories": ["shoes"] }
        ]
    })
}

/// The docs' example params, "10 % dès 100 €": the file docs/plugin-contract.md runs.
fn ten_from_100() -> Value {
    serde_json::from_str(include_str!("../../examples/ten-from-100.json"))
        .expect("examples/ten-from-100.json is JSON")
}

#[test]
fn run_prints_the_effects_and_what_they_cost() {
    let output = plugin_run("run", "threshold-discount", ten_from_100(), basket(), &[]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let out = stdout_json(&output);
    assert_eq!(out["plugin"], "threshold-discount@1.0.0");
    // 119.70 ≥ 100.00: 10 % off the order.
    assert_eq!(
        out["effects"],
        json!([ { "type": "discount", "target": "order", "value": { "percent": "10" } } ])
    );
    let report = &out["report"];
    assert!(
        report["fuel_used"].as_u64().expect("a number") > 0,
        "{report}"
    );
    assert_eq!(report["fuel_limit"], 10_000_000, "{report}");
    let size = remise::catalogue::plugin("threshold-discount")
        .expect("embedded")
        .len();
    assert!(size > 0);
    assert_eq!(report["module_size_bytes"], size, "{report}");
    assert!(report["peak_memory_bytes"].as_u64().expect("a number") > 0);
    assert_eq!(report["log"], json!([]));
    assert_eq!(report["log_dropped"], 0);
}

#[test]
fn run_names_discounted_lines_by_their_ids() {
    let params = json!({
        "tiers": [ { "min_subtotal": "50.00", "amount_off": "7.50" } ],
        "categories": ["shoes"]
    });
    let output = plugin_run("run-lines", "threshold-discount", params, basket(), &[]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    // Shoes: 79.90 ≥ 50.00, so 7.50 off the shoe line, named by its id (a value crosses
    // the boundary without its trailing zeros: 7.5).
    assert_eq!(
        stdout_json(&output)["effects"],
        json!([ { "type": "discount", "target": { "lines": [ { "line": "2" } ] },
                  "value": { "amount": "7.5" } } ])
    );
}

#[test]
fn run_out_of_fuel_exits_1_with_the_typed_reason() {
    let output = plugin_run(
        "fuel",
        "threshold-discount",
        ten_from_100(),
        basket(),
        &["--fuel", "100"],
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let out = stdout_json(&output);
    assert_eq!(out["plugin"], "threshold-discount@1.0.0");
    assert_eq!(out["error"]["reason"], "fuel_exhausted", "{out}");
    assert_eq!(out["report"]["fuel_limit"], 100, "{out}");
    assert!(out.get("effects").is_none(), "{out}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("fuel_exhausted"), "{stderr}");
}

#[test]
fn refused_params_exit_2_naming_the_field() {
    let params = json!({ "tiers": [ { "min_subtotal": "100.00", "percent_off": "150" } ] });
    let output = plugin_run("params", "threshold-discount", params, basket(), &[]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let out = stdout_json(&output);
    assert_eq!(out["error"]["reason"], "invalid_input", "{out}");
    let problems = out["error"]["problems"].as_array().expect("a list");
    assert_eq!(problems.len(), 1, "{out}");
    assert_eq!(problems[0]["pointer"], "/tiers/0/percent_off", "{out}");
    assert_eq!(
        problems[0]["message"], "must be above 0 and at most 100",
        "{out}"
    );
}

#[test]
fn a_refused_basket_exits_2_naming_the_field() {
    let mut bad = basket();
    bad["lines"][1]["quantity"] = json!(0);
    let output = plugin_run("basket", "threshold-discount", ten_from_100(), bad, &[]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let out = stdout_json(&output);
    assert_eq!(out["error"]["reason"], "invalid_input", "{out}");
    assert_eq!(out["error"]["problems"][0]["pointer"], "/lines/1/quantity");
}

#[test]
fn inspect_prints_the_metadata_and_the_params_schema() {
    let output = remise(&["plugin", "inspect", "threshold-discount"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let out = stdout_json(&output);
    let metadata = &out["metadata"];
    assert_eq!(metadata["name"], "threshold-discount");
    assert_eq!(metadata["version"], "1.0.0");
    assert!(
        metadata["description"]
            .as_str()
            .is_some_and(|d| d.contains("threshold")),
        "{metadata}"
    );
    let schema = &metadata["params_schema"];
    assert_eq!(schema["type"], "object", "{schema}");
    assert!(schema["properties"]["tiers"].is_object(), "{schema}");
    assert_eq!(schema["required"], json!(["tiers"]), "{schema}");
    let sha = out["sha256"].as_str().expect("a string");
    assert_eq!(sha.len(), 64);
    assert!(sha.bytes().all(|b| b.is_ascii_hexdigit()));
    let size = remise::catalogue::plugin("threshold-discount")
        .expect("embedded")
        .len();
    assert_eq!(out["size_bytes"], size);
    assert_eq!(
        out["limits"],
        json!({ "fuel": 10_000_000, "memory_bytes": 16 << 20, "deadline_ms": 50,
                "max_effects": 1_000, "upload_bytes": 4 << 20 })
    );
    assert_eq!(out["configured_limits"], json!({}));
}

#[test]
fn inspect_shows_the_limits_ops_set_in_the_servers_database() {
    let dir = scratch("inspect_limits");
    let path = dir.join("remise.db");
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite://{}", path.display());
    let limits = remise::model::plugin_limits::PluginLimits {
        fuel: Some(2_000_000),
        deadline_ms: Some(20),
        upload_bytes: Some(1 << 20),
        ..Default::default()
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(async {
            let store = remise::store::Store::open(&url).await.expect("the store");
            store
                .set_plugin_limits("threshold-discount", &limits)
                .await
                .expect("stored");
            store.close().await;
        });
    let output = Command::new(env!("CARGO_BIN_EXE_remise"))
        .args([
            "plugin",
            "inspect",
            "threshold-discount",
            "--database-url",
            &url,
        ])
        .output()
        .expect("the remise binary runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let out = stdout_json(&output);
    assert_eq!(
        out["limits"],
        json!({ "fuel": 2_000_000, "memory_bytes": 16 << 20, "deadline_ms": 20,
                "max_effects": 1_000, "upload_bytes": 1 << 20 })
    );
    assert_eq!(
        out["configured_limits"],
        json!({ "fuel": 2_000_000, "deadline_ms": 20, "upload_bytes": 1 << 20 })
    );
    // Another plugin of the same database has none of them.
    let output = Command::new(env!("CARGO_BIN_EXE_remise"))
        .args(["plugin", "inspect", "free-gift", "--database-url", &url])
        .output()
        .expect("the remise binary runs");
    assert_eq!(stdout_json(&output)["configured_limits"], json!({}));
}

#[test]
fn list_names_the_catalogue_plugins() {
    let output = remise(&["plugin", "list"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let names: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.split('\t').next())
        .collect();
    assert_eq!(
        names,
        [
            "threshold-discount",
            "buy-x-get-y",
            "bundle-price",
            "loyalty-reward",
            "free-gift",
            "points-multiplier",
            "points-redemption",
            "category-winback",
            "cross-channel-reward"
        ]
    );
}

#[test]
fn serve_help_never_prints_the_database_password() {
    for (env, args) in [
        (true, vec!["serve", "--help"]),
        (true, vec!["serve", "-h"]),
        (true, vec!["help", "serve"]),
        (false, vec!["serve", "--help"]),
        (true, vec!["simulate", "--help"]),
        (true, vec!["journal", "verify", "--help"]),
    ] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_remise"));
        command.args(&args);
        if env {
            command.env("REMISE_DATABASE_URL", "postgres://u:s3cret@h/db");
        }
        let output = command.output().expect("the remise binary runs");
        assert!(output.status.success(), "{args:?}: {output:?}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stdout.contains("--database-url") && stdout.contains("REMISE_DATABASE_URL"),
            "{args:?}: the flag and its variable are documented: {stdout}"
        );
        assert!(
            !stdout.contains("s3cret") && !stderr.contains("s3cret"),
            "{args:?}: the password is shown: {stdout}{stderr}"
        );
    }
}

#[test]
fn a_database_url_of_another_scheme_is_refused_without_its_password() {
    let output = Command::new(env!("CARGO_BIN_EXE_remise"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("REMISE_DATABASE_URL", "mysql://u:s3cret@h/db")
        .env("REMISE_ADMIN_KEY", "cli-test-admin-key-0123456789abcdef")
        .output()
        .expect("the remise binary runs");
    assert!(!output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("mysql://u:***@h/db"), "{stderr}");
    assert!(
        !stdout.contains("s3cret") && !stderr.contains("s3cret"),
        "{stdout}{stderr}"
    );
}

#[test]
fn a_configured_key_shorter_than_32_characters_is_refused_at_start() {
    let dir = scratch("short-key");
    let database = dir.join("remise.db");
    let _ = std::fs::remove_file(&database);
    let config = dir.join("remise.toml");
    std::fs::write(
        &config,
        "[[keys]]\nkey = \"0123456789abcdef0123456789abcdef-long\"\nrole = \"ops\"\n\n\
         [[keys]]\nkey = \"tills-short-key\"\nrole = \"channel\"\nlabel = \"tills\"\n",
    )
    .expect("the configuration is written");
    let url = format!("sqlite://{}", database.display());
    let serve = |admin_key: &str| {
        Command::new(env!("CARGO_BIN_EXE_remise"))
            .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &url])
            .arg("--config")
            .arg(&config)
            .env("REMISE_ADMIN_KEY", admin_key)
            .output()
            .expect("the remise binary runs")
    };
    // The admin key first: 31 characters.
    let output = serve("change-me-this-key-is-too-short");
    assert!(!output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("REMISE_ADMIN_KEY") && stderr.contains("31 characters"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("change-me-this-key"),
        "the key is shown: {stderr}"
    );
    // Then the second key of the file, named by its place and label, never by its value.
    let output = serve("cli-test-admin-key-0123456789abcdef");
    assert!(!output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("key 2 of [[keys]]") && stderr.contains("\"tills\""),
        "{stderr}"
    );
    assert!(
        !stderr.contains("tills-short-key"),
        "the key is shown: {stderr}"
    );
    assert!(!database.exists(), "refused before the database is opened");
}

#[test]
fn journal_verify_replays_a_day_and_exits_0_when_nothing_differs() {
    let dir = scratch("journal-verify");
    let database = dir.join("remise.db");
    let _ = std::fs::remove_file(&database);
    let url = format!("sqlite://{}", database.display());
    // A fresh database (created and migrated): nothing journalled that day.
    let output = remise(&[
        "journal",
        "verify",
        "--day",
        "2026-12-01",
        "--database-url",
        &url,
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "2026-12-01: 0 replayed, 0 identical, 0 different, 0 failed\n"
    );
    let refused = remise(&[
        "journal",
        "verify",
        "--day",
        "yesterday",
        "--database-url",
        &url,
    ]);
    assert_eq!(refused.status.code(), Some(2), "a day that is not a date");
}

/// A threshold-discount campaign of `percent` % in group `site`.
fn site_offer(id: &str, percent: &str, status: &str) -> Value {
    json!({ "id": id, "name": id, "plugin": "threshold-discount", "status": status,
            "group": "site",
            "params": { "tiers": [ { "min_subtotal": "0", "percent_off": percent } ] } })
}

#[test]
fn simulate_prices_a_draft_beside_the_databases_campaigns_and_prints_the_report() {
    let dir = scratch("simulate");
    let database = dir.join("remise.db");
    let _ = std::fs::remove_file(&database);
    let url = format!("sqlite://{}", database.display());
    // The server's database holds one live campaign: 10 % in group `site`.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(async {
            let store = remise::store::Store::open(&url).await.expect("the store");
            let live: remise::model::Campaign =
                serde_json::from_value(site_offer("site-10", "10", "active")).expect("valid");
            store.create_campaign(&live, "test").await.expect("stored");
            store.close().await;
        });
    let draft = write(&dir, "draft.json", &site_offer("site-20", "20", "draft"));
    // Six 100.00 baskets over two days, three on the web and three in a store.
    let baskets: Vec<String> = (0..6)
        .map(|n| {
            let (channel, store) = if n % 2 == 0 {
                ("web", None)
            } else {
                ("store", Some("lyon"))
            };
            json!({ "currency": "EUR", "channel": channel, "store": store,
                    "at": format!("2026-11-0{}T12:00:00Z", 2 + n / 3),
                    "lines": [ { "id": "1", "sku": "A", "quantity": 1, "unit_price": "100.00" } ] })
            .to_string()
        })
        .collect();
    let file = dir.join("baskets.ndjson");
    std::fs::write(&file, baskets.join("\n") + "\n\n").expect("written");
    let (draft, file) = (draft.display().to_string(), file.display().to_string());
    let simulate = |extra: &[&str]| {
        let mut args = vec![
            "simulate",
            "--campaign",
            &draft,
            "--baskets",
            &file,
            "--database-url",
            &url,
        ];
        args.extend_from_slice(extra);
        remise(&args)
    };

    let output = simulate(&["--json", "--timezone", "Europe/Paris"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = stdout_json(&output);
    assert_eq!(report["baskets"], 6);
    assert_eq!(report["touched"], 6, "20 % beats 10 % in every basket");
    assert_eq!(
        report["discount"],
        json!({ "drafts": "120.00", "with_drafts": "120.00", "without_drafts": "60.00",
                "change": "60.00" })
    );
    assert_eq!(report["campaigns"][0]["campaign"], "site-20");
    assert_eq!(report["campaigns"][1]["campaign"], "site-10");
    assert_eq!(report["campaigns"][1]["displaced"], 6);
    assert_eq!(report["campaigns"][1]["displaced_discount"], "60.00");
    assert_eq!(report["by_day"][1]["key"], "2026-11-03");
    assert_eq!(
        report["by_store"][0],
        json!({ "key": "lyon", "baskets": 3, "touched": 3,
                                              "drafts": "60.00", "change": "30.00" })
    );

    // The table, as a person reads it.
    let output = simulate(&[]);
    assert_eq!(output.status.code(), Some(0));
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.starts_with("6 baskets priced, 6 touched by the drafts"),
        "{table}"
    );
    assert!(
        table.contains("drafts grant 120.00 EUR; every discount 120.00 with the drafts, 60.00 without: 60.00 more"),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|line| line.starts_with("site-10") && line.contains(" 6 ")),
        "{table}"
    );

    // A bad basket names its line and field; a bad draft its file and field.
    std::fs::write(
        dir.join("bad.ndjson"),
        format!(
            "{}\n{}\n",
            baskets[0],
            baskets[1].replace("\"quantity\":1", "\"quantity\":0")
        ),
    )
    .expect("written");
    let bad = dir.join("bad.ndjson").display().to_string();
    let output = remise(&[
        "simulate",
        "--campaign",
        &draft,
        "--baskets",
        &bad,
        "--database-url",
        &url,
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 2: /lines/0/quantity"), "{stderr}");
    let mut refused = site_offer("site-30", "150", "draft");
    refused["plugin"] = json!("threshold-discount");
    let refused = write(&dir, "refused.json", &refused).display().to_string();
    let output = remise(&[
        "simulate",
        "--campaign",
        &refused,
        "--baskets",
        &file,
        "--database-url",
        &url,
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refused.json: /params/tiers/0/percent_off"),
        "{stderr}"
    );
}

#[test]
fn budget_leases_on_sqlite_are_refused_at_start_saying_why() {
    let dir = scratch("leases-on-sqlite");
    let database = dir.join("remise.db");
    let _ = std::fs::remove_file(&database);
    let url = format!("sqlite://{}", database.display());
    let output = Command::new(env!("CARGO_BIN_EXE_remise"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &url])
        .arg("--budget-leases")
        .env("REMISE_ADMIN_KEY", "cli-test-admin-key-0123456789abcdef")
        .output()
        .expect("the remise binary runs");
    assert!(!output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--budget-leases needs PostgreSQL"),
        "{stderr}"
    );
}
