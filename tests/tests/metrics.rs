//! `GET /metrics` over real HTTP with the hostile guest served: a plugin's failures are
//! counted by reason (docs/api.md), beside the campaigns that behave, and committed orders are
//! counted once.

use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn basket() -> Value {
    json!({
        "currency": "EUR", "channel": "web",
        "lines": [ { "id": "1", "sku": "SKU-1", "quantity": 1, "unit_price": "40.00" } ]
    })
}

#[tokio::test]
async fn plugin_failures_are_counted_by_reason_and_commits_once() {
    let server = Server::start().await;
    for (id, mode) in [("panics", "panic"), ("loops", "loop")] {
        server
            .create(
                json!({ "id": id, "name": id, "plugin": "hostile", "status": "active",
                            "params": { "mode": mode } }),
            )
            .await;
    }
    server
        .create(json!({
            "id": "five-off", "name": "5 off", "plugin": "threshold-discount", "status": "active",
            "params": { "tiers": [ { "min_subtotal": "0", "amount_off": "5.00" } ] }
        }))
        .await;

    let answer = server.evaluate(basket()).await;
    assert_eq!(answer["total"], "35.00", "{answer}");
    let mut order = basket();
    order["order_id"] = json!("order-1");
    // The second commit of the same order replays the first answer: 201, then 200.
    for expected in [StatusCode::CREATED, StatusCode::OK] {
        let (status, body) = server
            .call(
                Method::POST,
                "/v1/redemptions",
                CHANNEL,
                Some(order.clone()),
            )
            .await;
        assert_eq!(status, expected, "{body}");
    }

    let text = server.metrics().await;
    // The evaluation and the commit's re-evaluation: each hostile campaign failed twice.
    let panics = [
        ("plugin", "hostile"),
        ("version", "0.1.0"),
        ("reason", "plugin_error"),
    ];
    assert_eq!(
        sample(&text, "remise_plugin_failures_total", &panics),
        Some(2.0),
        "{text}"
    );
    let loops = [("plugin", "hostile"), ("reason", "fuel_exhausted")];
    assert_eq!(
        sample(&text, "remise_plugin_failures_total", &loops),
        Some(2.0),
        "{text}"
    );
    let behaved = [("plugin", "threshold-discount")];
    assert_eq!(
        sample(&text, "remise_plugin_failures_total", &behaved),
        None,
        "{text}"
    );
    // Each evaluation ran the hostile pair in one sandbox that trapped, then each alone.
    let hostile = [("plugin", "hostile"), ("version", "0.1.0")];
    assert_eq!(
        sample(&text, "remise_plugin_runs_total", &hostile),
        Some(6.0),
        "{text}"
    );
    assert!(
        sample(&text, "remise_plugin_fuel_used_total", &hostile).is_some_and(|f| f > 0.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "remise_evaluations_total", &[]),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "remise_redemptions_total", &[]),
        Some(1.0),
        "{text}"
    );
    for status in ["201", "200"] {
        let commits = [
            ("route", "/v1/redemptions"),
            ("method", "POST"),
            ("status", status),
        ];
        assert_eq!(
            sample(&text, "remise_http_requests_total", &commits),
            Some(1.0),
            "{text}"
        );
    }
}
