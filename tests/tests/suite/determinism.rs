//! Determinism across hosts (issue 15 item 15): two hosts on one database, with the same
//! campaigns, answer the same basket with the same bytes but the per-evaluation id. The
//! engine compiles plugins with NaN canonicalisation (`host/src/runtime/engine.rs`), so not
//! even a NaN a plugin computes may differ from one CPU to another. An explained answer's
//! traces agree too (the fuel a plugin used, its memory, its log), but for the wall time.

use remise_tests::http::*;
use serde_json::{json, Value};

/// The raw body `host` answers `basket` with (`POST /v1/evaluate`, the channel key).
async fn raw_evaluation(host: &Server, basket: &Value) -> Vec<u8> {
    let response = host
        .client
        .post(format!("{}/v1/evaluate", host.base))
        .bearer_auth(CHANNEL)
        .json(basket)
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), 200);
    response.bytes().await.expect("a body").to_vec()
}

/// `body` without its one `"evaluation_id":"…"` member (and the comma after it), and with
/// each trace's `"wall_time_us":<n>` as `0`, byte for byte otherwise: the answer is
/// compared as sent, not as re-serialised JSON.
fn without_evaluation_id(body: &[u8]) -> Vec<u8> {
    let body = &without_wall_times(body);
    let key = b"\"evaluation_id\":\"";
    let start = body
        .windows(key.len())
        .position(|window| window == key)
        .unwrap_or_else(|| panic!("an evaluation_id in {}", String::from_utf8_lossy(body)));
    let value = start + key.len();
    let close = body[value..]
        .iter()
        .position(|&byte| byte == b'"')
        .expect("the id is a closed string");
    let mut end = value + close + 1;
    if body.get(end) == Some(&b',') {
        end += 1;
    }
    assert_eq!(
        body[end..].windows(key.len()).position(|w| w == key),
        None,
        "one evaluation_id"
    );
    [&body[..start], &body[end..]].concat()
}

/// `body` with the digits after each `"wall_time_us":` replaced by `0`.
fn without_wall_times(body: &[u8]) -> Vec<u8> {
    let key = b"\"wall_time_us\":";
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.windows(key.len()).position(|w| w == key) {
        let value = at + key.len();
        out.extend_from_slice(&rest[..value]);
        out.push(b'0');
        let digits = rest[value..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        rest = &rest[value + digits..];
    }
    out.extend_from_slice(rest);
    out
}

fn basket(price: &str, quantity: u32, explain: bool) -> Value {
    json!({
        "currency": "EUR", "channel": "web", "at": "2026-03-08T12:00:00+01:00",
        "explain": explain,
        "customer": { "id": "c-1", "loyalty_tier": "gold" },
        "lines": [
            { "id": "1", "sku": "COAT", "quantity": quantity, "unit_price": price },
            { "id": "2", "sku": "SCARF", "quantity": 3, "unit_price": "12.33" }
        ]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_answer_a_basket_with_the_same_bytes() {
    let a = Server::start_with(&[]).await;
    a.create(ten_from_100()).await;
    a.create(offer(
        "five-off",
        json!({ "amount_off": "5.00" }),
        json!({}),
    ))
    .await;
    a.create(offer(
        "three-percent",
        json!({ "percent_off": "3.3" }),
        json!({ "audience": { "channels": ["store"] } }),
    ))
    .await;
    let b = Server::start_on(a.database_url(), &[]).await;

    for basket in [
        basket("120.00", 1, false),
        basket("33.33", 7, true),
        basket("0.01", 1, true),
    ] {
        let from_a = raw_evaluation(&a, &basket).await;
        let from_b = raw_evaluation(&b, &basket).await;
        assert_ne!(from_a, from_b, "each evaluation has its own id");
        assert_eq!(
            String::from_utf8_lossy(&without_evaluation_id(&from_a)),
            String::from_utf8_lossy(&without_evaluation_id(&from_b)),
            "{basket}"
        );
        // And the same host twice, too.
        let again = raw_evaluation(&a, &basket).await;
        assert_eq!(
            without_evaluation_id(&again),
            without_evaluation_id(&from_a)
        );
    }
    // The explained answers carried traces, and their fuel agreed.
    let explained: Value =
        serde_json::from_slice(&raw_evaluation(&a, &basket("33.33", 7, true)).await).expect("JSON");
    assert!(
        explained["applied"][0]["trace"]["fuel_used"].as_u64() > Some(0),
        "{explained}"
    );
    // The answers are not empty agreement: a discount applied.
    let answer: Value =
        serde_json::from_slice(&raw_evaluation(&b, &basket("120.00", 1, false)).await)
            .expect("JSON");
    assert_ne!(answer["discount_total"], "0.00", "{answer}");
}
