//! Shadow runs over real HTTP (issue 19 item 5): `flip` 1.0.0 live and 2.0.0 uploaded as
//! its shadow over 1,000 evaluations. Every answer comes from 1.0.0; the report counts
//! exactly the evaluations whose answer 2.0.0 would change (the web campaign takes the
//! version's own percentage, the store campaign a fixed one every version agrees on),
//! with examples and both versions' fuel; a version that shadows cannot be deleted; one
//! call promotes the shadow.

use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// 100.00 on `channel`.
fn hundred(channel: &str) -> Value {
    json!({ "currency": "EUR", "channel": channel,
            "lines": [ { "id": "1", "sku": "A", "quantity": 1, "unit_price": "100.00" } ] })
}

fn flip_campaign(id: &str, channel: &str, params: Value) -> Value {
    json!({ "id": id, "name": id, "plugin": "flip", "status": "active", "params": params,
            "audience": { "channels": [channel] } })
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shadow_never_changes_an_answer_and_counts_exactly_the_divergent_ones() {
    let server = Server::start_with(&["flip-v1"]).await;
    server
        .create(flip_campaign("versioned", "web", json!({})))
        .await;
    server
        .create(flip_campaign(
            "agreeing",
            "store",
            json!({ "percent_off": 15 }),
        ))
        .await;

    // 2.0.0 uploaded as a shadow of every evaluation: 1.0.0 stays current.
    let uploaded = server
        .client
        .put(format!("{}/v1/plugins/flip?shadow=100", server.base))
        .bearer_auth(OPS)
        .header("content-type", "application/wasm")
        .body(remise_tests::guest("flip-v2"))
        .send()
        .await
        .expect("the upload is answered");
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let view: Value = uploaded.json().await.expect("a plugin view");
    assert_eq!(view["latest"], "1.0.0", "{view}");

    let mut on_the_web = 0;
    for i in 0..1_000 {
        let (channel, discount) = if i % 3 == 0 {
            on_the_web += 1;
            ("web", "10.00")
        } else {
            ("store", "15.00")
        };
        let answer = server.evaluate(hundred(channel)).await;
        assert_eq!(
            priced_by(&answer),
            ("flip@1.0.0".to_string(), discount.to_string()),
            "evaluation {i}"
        );
    }

    // The worker writes what it found within a moment.
    let started = Instant::now();
    let report = loop {
        let (status, report) = server
            .call(Method::GET, "/v1/plugins/flip/shadow", MARKETING, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{report}");
        if report["compared"] == 1_000 || started.elapsed() > Duration::from_secs(60) {
            break report;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    println!(
        "shadow report: compared {}, divergent {}, live {}, shadow {}",
        report["compared"], report["divergent"], report["live"], report["shadow"]
    );
    assert_eq!(report["compared"], 1_000, "{report}");
    assert_eq!(report["divergent"], on_the_web, "{report}");
    assert_eq!(
        report["divergences"],
        json!({ "effects": on_the_web, "amounts": on_the_web, "errors": 0 }),
        "{report}"
    );
    assert_eq!(
        (&report["version"], &report["live_version"]),
        (&json!("2.0.0"), &json!("1.0.0"))
    );
    for side in ["live", "shadow"] {
        assert!(
            report[side]["fuel"].as_i64().is_some_and(|fuel| fuel > 0),
            "{report}"
        );
    }
    let examples = report["examples"].as_array().expect("examples");
    assert_eq!(examples.len(), 20, "{report}");
    let first = &examples[0]["campaigns"][0];
    assert_eq!(first["campaign"], "versioned", "{report}");
    assert_eq!(first["kinds"], json!(["effects", "amounts"]), "{report}");
    assert_eq!(
        (&first["live"]["discount"], &first["shadow"]["discount"]),
        (&json!("10.00"), &json!("20.00")),
        "{report}"
    );

    // Marketing reads the report but cannot act; the shadow's version cannot be deleted.
    let (status, _) = server
        .call(
            Method::POST,
            "/v1/plugins/flip/shadow/promote",
            MARKETING,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = server
        .call(Method::DELETE, "/v1/plugins/flip/versions/2.0.0", OPS, None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    // Promoted: 2.0.0 answers, and the shadow is over.
    let (status, last) = server
        .call(Method::POST, "/v1/plugins/flip/shadow/promote", OPS, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{last}");
    assert_eq!(
        priced_by(&server.evaluate(hundred("web")).await),
        ("flip@2.0.0".to_string(), "20.00".to_string())
    );
    let (status, _) = server
        .call(Method::GET, "/v1/plugins/flip/shadow", OPS, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_shadow_is_refused_what_it_cannot_be() {
    let server = Server::start_with(&["flip-v1"]).await;
    for (body, pointer) in [
        (json!({ "version": "1.0.0" }), "/version"),
        (json!({ "version": "9.9.9" }), "/version"),
        (
            json!({ "version": "1.0.0", "sample_percent": 101 }),
            "/sample_percent",
        ),
        (json!({ "version": "1.0.0", "every": 2 }), ""),
    ] {
        let (status, problem) = server
            .call(
                Method::PUT,
                "/v1/plugins/flip/shadow",
                OPS,
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} → {problem}"
        );
        if !pointer.is_empty() {
            assert_eq!(pointers(&problem), [pointer], "{body} → {problem}");
        }
    }
    let (status, _) = server
        .call(Method::GET, "/v1/plugins/flip/shadow", OPS, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
