//! Per-plugin limits over real HTTP (issue 15 item 16): ops set a plugin's own fuel,
//! memory, deadline and upload size with `PUT /v1/plugins/{name}/limits`; they bind that
//! plugin alone, show in `GET /v1/plugins/{name}`, survive a restart, and bad values are a
//! 422 naming the field. On SQLite, and on PostgreSQL under `scripts/with-postgres.sh`.

use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// 120.00 on the web, explained.
fn basket() -> Value {
    json!({ "currency": "EUR", "channel": "web", "at": "2026-03-08T12:00:00+01:00",
            "explain": true,
            "lines": [ { "id": "1", "sku": "COAT", "quantity": 1, "unit_price": "120.00" } ] })
}

fn hostile(id: &str, mode: &str) -> Value {
    json!({ "id": id, "name": id, "plugin": "hostile", "status": "active",
            "params": { "mode": mode } })
}

async fn set_limits(server: &Server, plugin: &str, limits: Value) -> (StatusCode, Value) {
    let path = format!("/v1/plugins/{plugin}/limits");
    server.call(Method::PUT, &path, OPS, Some(limits)).await
}

async fn plugin(server: &Server, name: &str) -> Value {
    let (status, body) = server
        .call(Method::GET, &format!("/v1/plugins/{name}"), MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The reason and detail of `campaign`'s rejection in `answer`.
fn rejection(answer: &Value, campaign: &str) -> (String, String) {
    let rejected = answer["rejected"]
        .as_array()
        .and_then(|all| all.iter().find(|r| r["campaign"] == campaign))
        .unwrap_or_else(|| panic!("{campaign} is rejected: {answer}"));
    (
        rejected["reason"].as_str().unwrap_or_default().to_string(),
        rejected["detail"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test]
async fn a_plugins_own_limits_bind_it_alone_and_show_in_the_catalogue() {
    let server = Server::start().await;
    let defaults = plugin(&server, "hostile").await;
    assert_eq!(
        defaults["limits"],
        json!({ "fuel": 10_000_000, "memory_bytes": 16 << 20, "deadline_ms": 50,
                "max_effects": 1000, "upload_bytes": 4 << 20 })
    );
    assert_eq!(defaults["configured_limits"], json!({}));
    server.create(ten_from_100()).await;
    server.create(hostile("ok", "ok")).await;
    let answer = server.evaluate(basket()).await;
    assert!(discount_of(&answer, "ok").is_some(), "{answer}");

    // Fuel: the well-behaved mode needs more than 1,000 units.
    let (status, body) = set_limits(&server, "hostile", json!({ "fuel": 1000 })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["limits"]["fuel"], 1000, "{body}");
    assert_eq!(body["configured_limits"], json!({ "fuel": 1000 }));
    let answer = server.evaluate(basket()).await;
    assert_eq!(
        discount_of(&answer, "ten-from-100"),
        Some("12.00"),
        "{answer}"
    );
    let (reason, detail) = rejection(&answer, "ok");
    assert_eq!(reason, "fuel_exhausted", "{detail}");
    assert!(detail.contains("1000 units"), "{detail}");
    let threshold = plugin(&server, "threshold-discount").await;
    assert_eq!(
        threshold["limits"]["fuel"], 10_000_000,
        "another plugin keeps the default"
    );
    assert_eq!(threshold["configured_limits"], json!({}));

    // Memory: 1 MiB, and the memory bomb stops there.
    set_limits(&server, "hostile", json!({})).await;
    server.create(hostile("hoard", "memory")).await;
    let (status, body) = set_limits(&server, "hostile", json!({ "memory_bytes": 1 << 20 })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let answer = server.evaluate(basket()).await;
    assert_eq!(
        discount_of(&answer, "ten-from-100"),
        Some("12.00"),
        "{answer}"
    );
    let (reason, detail) = rejection(&answer, "hoard");
    assert_eq!(reason, "memory_exceeded", "{detail}");
    assert!(detail.contains("1048576 bytes"), "{detail}");

    // Deadline: 5 ms, with all the fuel there is, and the endless loop times out at 5 ms.
    server
        .call(Method::POST, "/v1/campaigns/hoard/pause", MARKETING, None)
        .await;
    server
        .call(Method::POST, "/v1/campaigns/ok/pause", MARKETING, None)
        .await;
    server.create(hostile("spin", "loop")).await;
    let (status, body) = set_limits(
        &server,
        "hostile",
        json!({ "deadline_ms": 5, "fuel": 1_000_000_000 }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["limits"]["deadline_ms"], 5, "{body}");
    let answer = server.evaluate(basket()).await;
    assert_eq!(
        discount_of(&answer, "ten-from-100"),
        Some("12.00"),
        "{answer}"
    );
    let (reason, detail) = rejection(&answer, "spin");
    assert_eq!(reason, "timeout", "{detail}");
    assert!(detail.contains("5 ms"), "{detail}");

    // The limits are stored: a restart serves them.
    let server = server.restart().await;
    let again = plugin(&server, "hostile").await;
    assert_eq!(
        again["configured_limits"],
        json!({ "deadline_ms": 5, "fuel": 1_000_000_000 })
    );
    let answer = server.evaluate(basket()).await;
    assert_eq!(rejection(&answer, "spin").0, "timeout", "{answer}");
}

#[tokio::test]
async fn a_plugins_upload_size_is_its_own() {
    let server = Server::start_with(&["flip-v1"]).await;
    let (status, body) = set_limits(&server, "flip", json!({ "upload_bytes": 1024 })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["limits"]["upload_bytes"], 1024, "{body}");
    let (status, problem) = server
        .upload("flip", remise_tests::guest("flip-v2"), OPS)
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    assert!(problem["detail"].to_string().contains("1024"), "{problem}");
    // Another plugin still uploads under the server's limit.
    let (status, body) = server
        .upload(
            "threshold-discount",
            remise_tests::catalogue_version("threshold-discount", 1),
            OPS,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Back to the default: the upload goes through.
    set_limits(&server, "flip", json!({})).await;
    let (status, body) = server
        .upload("flip", remise_tests::guest("flip-v2"), OPS)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn bad_limits_are_refused_with_a_pointer_and_change_nothing() {
    let server = Server::start().await;
    for (body, pointer) in [
        (json!({ "fuel": 0 }), "/fuel"),
        (json!({ "fuel": 1_000_000_001u64 }), "/fuel"),
        (json!({ "fuel": -5 }), "/fuel"),
        (json!({ "fuel": "lots" }), "/fuel"),
        (json!({ "memory_bytes": 1024 }), "/memory_bytes"),
        (json!({ "memory_bytes": 512u64 << 20 }), "/memory_bytes"),
        (json!({ "deadline_ms": 0 }), "/deadline_ms"),
        (json!({ "deadline_ms": 101 }), "/deadline_ms"),
        (json!({ "upload_bytes": 5 << 20 }), "/upload_bytes"),
        (json!({ "upload_bytes": 10 }), "/upload_bytes"),
        (json!({ "max_effects": 10 }), "/max_effects"),
    ] {
        let (status, problem) = set_limits(&server, "hostile", body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} → {problem}"
        );
        assert_eq!(pointers(&problem), [pointer], "{body} → {problem}");
    }
    assert_eq!(
        plugin(&server, "hostile").await["configured_limits"],
        json!({})
    );
    let (status, _) = set_limits(&server, "no-such-plugin", json!({ "fuel": 5000 })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .call(
            Method::PUT,
            "/v1/plugins/hostile/limits",
            MARKETING,
            Some(json!({ "fuel": 5000 })),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "ops set limits, marketing does not"
    );
}
