//! Plugin uploads for ops over real HTTP (issue 5): upload, versions, known bytes made
//! current again, rollback, deletes a pin forbids, refusals that change nothing, versions
//! kept across a restart, and 50 swaps under concurrent evaluations without one failure.
//! `flip` 1.0.0 takes 10 % off the order and 2.0.0 takes 20 %, so an answer shows which
//! version priced it. Each plugin also shows its language and its latest failures.

use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn guest_bytes(name: &str) -> Vec<u8> {
    remise_tests::guest(name)
}

/// 100.00 on the web: 10 % is 10.00, 20 % is 20.00.
fn hundred() -> Value {
    json!({ "currency": "EUR", "channel": "web", "at": "2026-03-08T12:00:00Z",
            "lines": [ { "id": "1", "sku": "A", "quantity": 1, "unit_price": "100.00" } ] })
}

fn flip_campaign(id: &str, pin: Option<&str>) -> Value {
    let mut campaign = json!({ "id": id, "name": id, "plugin": "flip", "status": "active",
                               "params": {} });
    if let Some(pin) = pin {
        campaign["plugin_version"] = json!(pin);
    }
    campaign
}

/// `(plugin@version, discount)` of the one campaign that applied.
fn priced_by(answer: &Value) -> (String, String) {
    let applied = answer["applied"].as_array().expect("applied");
    assert_eq!(applied.len(), 1, "{answer}");
    (
        applied[0]["plugin"].as_str().unwrap_or("?").to_string(),
        answer["discount_total"].as_str().unwrap_or("?").to_string(),
    )
}

#[tokio::test]
async fn ops_upload_roll_back_and_delete_versions_without_a_restart() {
    let server = Server::start().await;
    let (v1, v2) = (guest_bytes("flip-v1"), guest_bytes("flip-v2"));

    let (status, view) = server.upload("flip", v1.clone(), ADMIN).await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    assert_eq!(view["latest"], "1.0.0");
    assert!(view["versions"][0]["uploaded_at"].is_string(), "{view}");
    assert_eq!(view["versions"][0]["size_bytes"], v1.len());
    server.create(flip_campaign("flip-c", None)).await;
    let priced = |answer: Value| priced_by(&answer);
    assert_eq!(
        priced(server.evaluate(hundred()).await),
        ("flip@1.0.0".into(), "10.00".into())
    );

    // A new version: the very next evaluation runs on it.
    let (status, view) = server.upload("flip", v2.clone(), ADMIN).await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    assert_eq!(view["latest"], "2.0.0");
    assert_eq!(
        priced(server.evaluate(hundred()).await),
        ("flip@2.0.0".into(), "20.00".into())
    );
    // Known bytes: current again, nothing compiled.
    let (status, view) = server.upload("flip", v1.clone(), ADMIN).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["latest"], "1.0.0");
    let (status, _) = server.upload("flip", v2.clone(), ADMIN).await;
    assert_eq!(status, StatusCode::OK);

    // Rollback, until there is nothing before.
    let (status, view) = server.rollback("flip").await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["latest"], "1.0.0");
    assert_eq!(
        priced(server.evaluate(hundred()).await),
        ("flip@1.0.0".into(), "10.00".into())
    );
    let (status, problem) = server.rollback("flip").await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    // Refused uploads change nothing.
    let (status, problem) = server.upload("other", v1.clone(), ADMIN).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, problem) = server.upload("flip", b"not wasm".to_vec(), ADMIN).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let too_big = vec![0u8; remise::service::DEFAULT_MAX_PLUGIN_BYTES + 1];
    let (status, problem) = server.upload("flip", too_big, ADMIN).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    let (status, _) = server.upload("flip", v2.clone(), MARKETING).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = server.upload("flip", v2.clone(), CHANNEL).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        priced(server.evaluate(hundred()).await),
        ("flip@1.0.0".into(), "10.00".into())
    );

    // A pinned version cannot be deleted; the current one neither; the catalogue's never.
    server.create(flip_campaign("pinned", Some("2.0.0"))).await;
    let delete = |path: &'static str| server.call(Method::DELETE, path, ADMIN, None);
    let (status, problem) = delete("/v1/plugins/flip/versions/2.0.0").await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, _) = server
        .call(Method::DELETE, "/v1/campaigns/pinned", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, problem) = delete("/v1/plugins/flip/versions/1.0.0").await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, problem) = delete("/v1/plugins/threshold-discount/versions/1.0.0").await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, problem) = delete("/v1/plugins/flip/versions/2.0.0").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{problem}");
    let (status, problem) = delete("/v1/plugins/flip/versions/2.0.0").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");

    // Uploaded versions and the current one come back after a restart.
    let (status, _) = server.upload("flip", v2, ADMIN).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = server.rollback("flip").await;
    assert_eq!(status, StatusCode::OK);
    let server = server.restart().await;
    let (status, view) = server
        .call(Method::GET, "/v1/plugins/flip", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["latest"], "1.0.0");
    assert_eq!(view["versions"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        priced(server.evaluate(hundred()).await),
        ("flip@1.0.0".into(), "10.00".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_swaps_under_load_fail_no_evaluation_and_mix_no_versions() {
    let server = Server::start().await;
    let (v1, v2) = (guest_bytes("flip-v1"), guest_bytes("flip-v2"));
    let (status, _) = server.upload("flip", v1.clone(), ADMIN).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = server.upload("flip", v2.clone(), ADMIN).await;
    assert_eq!(status, StatusCode::CREATED);
    server.create(flip_campaign("flip-c", None)).await;

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (client, base, stop) = (server.client.clone(), server.base.clone(), stop.clone());
        clients.spawn(async move {
            let mut seen = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let response = client
                    .post(format!("{base}/v1/evaluate"))
                    .bearer_auth(CHANNEL)
                    .json(&hundred())
                    .send()
                    .await
                    .expect("the server answers");
                let status = response.status();
                let answer: Value = response.json().await.unwrap_or(Value::Null);
                seen.push((status, answer));
            }
            seen
        });
    }
    // 50 swaps: 2.0.0 → 1.0.0 by rollback, 1.0.0 → 2.0.0 by uploading its bytes again.
    for swap in 0..50 {
        let (status, body) = if swap % 2 == 0 {
            server.rollback("flip").await
        } else {
            server.upload("flip", v2.clone(), ADMIN).await
        };
        assert_eq!(status, StatusCode::OK, "swap {swap}: {body}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let answers: Vec<(StatusCode, Value)> =
        clients.join_all().await.into_iter().flatten().collect();

    assert!(answers.len() >= 50, "{} evaluations", answers.len());
    let mut by_version = std::collections::BTreeMap::new();
    for (status, answer) in &answers {
        assert_eq!(*status, StatusCode::OK, "{answer}");
        let (plugin, discount) = priced_by(answer);
        // Wholly one version: its name in `applied` and its own percentage.
        let expected = match plugin.as_str() {
            "flip@1.0.0" => "10.00",
            "flip@2.0.0" => "20.00",
            other => panic!("priced by {other}"),
        };
        assert_eq!(discount, expected, "{answer}");
        assert_eq!(answer["lines"][0]["discount"], expected, "{answer}");
        *by_version.entry(plugin).or_insert(0) += 1;
    }
    assert_eq!(by_version.len(), 2, "both versions served: {by_version:?}");
}

/// Polls `check` every 50 ms for up to 10 s.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(10) {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{what}: not within 10 s");
}

#[tokio::test]
async fn a_file_dropped_in_the_plugin_folder_is_loaded_and_a_broken_one_ignored() {
    let server = Server::start().await;
    let dir = server.plugin_dir();
    let latest = || async {
        let (status, view) = server
            .call(Method::GET, "/v1/plugins/flip", MARKETING, None)
            .await;
        (status == StatusCode::OK).then(|| view["latest"].as_str().unwrap_or("?").to_string())
    };

    std::fs::write(dir.join("flip.wasm"), guest_bytes("flip-v1")).expect("dropped");
    eventually("flip 1.0.0 loaded", || async {
        latest().await.as_deref() == Some("1.0.0")
    })
    .await;
    server.create(flip_campaign("flip-c", None)).await;

    // A broken file is refused (the metrics count it) and changes nothing.
    std::fs::write(dir.join("broken.wasm"), b"not a component").expect("dropped");
    eventually("broken.wasm refused", || async {
        let refused = [("plugin", "broken.wasm"), ("result", "failed")];
        sample(
            &server.metrics().await,
            "remise_plugin_reloads_total",
            &refused,
        )
        .is_some()
    })
    .await;
    assert_eq!(latest().await.as_deref(), Some("1.0.0"));

    // Replacing the file with 2.0.0 swaps it in; replacing it with garbage keeps 2.0.0.
    std::fs::write(dir.join("flip.wasm"), guest_bytes("flip-v2")).expect("replaced");
    eventually("flip 2.0.0 loaded", || async {
        latest().await.as_deref() == Some("2.0.0")
    })
    .await;
    assert_eq!(
        priced_by(&server.evaluate(hundred()).await),
        ("flip@2.0.0".into(), "20.00".into())
    );
    std::fs::write(dir.join("flip.wasm"), b"garbage").expect("replaced");
    tokio::time::sleep(remise::registry::watch::WATCH_INTERVAL * 4).await;
    assert_eq!(latest().await.as_deref(), Some("2.0.0"));
    assert_eq!(
        priced_by(&server.evaluate(hundred()).await),
        ("flip@2.0.0".into(), "20.00".into())
    );
}

/// `GET /v1/plugins/{name}` says which language each version was written in (from the
/// component's producers sections) and lists the plugin's latest failures on this host,
/// newest first, with their campaign, version and typed reason; a plugin that never failed
/// lists none.
#[tokio::test]
async fn a_plugin_shows_its_language_and_its_latest_failures() {
    let server = Server::start().await;
    for (id, mode) in [("panics", "panic"), ("loops", "loop")] {
        server
            .create(
                json!({ "id": id, "name": id, "plugin": "hostile", "status": "active",
                            "params": { "mode": mode } }),
            )
            .await;
    }
    let basket = json!({ "currency": "EUR", "channel": "web",
        "lines": [ { "id": "1", "sku": "SKU-1", "quantity": 1, "unit_price": "40.00" } ] });
    for _ in 0..2 {
        let answer = server.evaluate(basket.clone()).await;
        assert_eq!(answer["total"], "40.00", "{answer}");
    }

    let (status, hostile) = server
        .call(Method::GET, "/v1/plugins/hostile", OPS, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{hostile}");
    assert_eq!(hostile["versions"][0]["language"], "Rust", "{hostile}");
    assert_eq!(hostile["errors_total"], 4, "{hostile}");
    let errors = hostile["latest_errors"].as_array().expect("a list");
    assert_eq!(errors.len(), 4, "{hostile}");
    let mut seen: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| {
            assert_eq!(e["version"], "0.1.0", "{e}");
            (
                e["campaign"].as_str().unwrap_or_default(),
                e["reason"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        [
            ("loops", "fuel_exhausted"),
            ("loops", "fuel_exhausted"),
            ("panics", "plugin_error"),
            ("panics", "plugin_error"),
        ]
    );
    let panic = errors
        .iter()
        .find(|e| e["campaign"] == "panics")
        .expect("the panic");
    assert!(
        panic["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{panic}"
    );
    let times: Vec<&str> = errors.iter().filter_map(|e| e["at"].as_str()).collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );

    let (_, catalogue) = server
        .call(Method::GET, "/v1/plugins/threshold-discount", OPS, None)
        .await;
    assert_eq!(catalogue["versions"][0]["language"], "Rust", "{catalogue}");
    assert_eq!(catalogue["latest_errors"], json!([]), "{catalogue}");
    assert_eq!(catalogue["errors_total"], 0, "{catalogue}");
}
