//! Input that looks valid but once broke the server (issue 15 item 10): a line priced so
//! high a 10 % discount overflowed, an `at` far in the future, a NUL character in a coupon
//! code, a customer id or an order id (which PostgreSQL cannot store). Each is a 422 with
//! the pointer of the field, on SQLite and on PostgreSQL, and the server goes on serving.

use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn basket(extra: Value) -> Value {
    let mut basket = json!({
        "currency": "EUR", "channel": "web",
        "lines": [ { "id": "1", "sku": "A", "quantity": 1, "unit_price": "10.00" } ]
    });
    if let (Some(basket), Some(extra)) = (basket.as_object_mut(), extra.as_object()) {
        basket.extend(extra.clone());
    }
    basket
}

#[tokio::test]
async fn valid_looking_input_is_a_422_with_its_pointer_never_a_5xx() {
    let server = Server::start_with(&[]).await;
    server
        .create(offer("ten", json!({ "percent_off": "10" }), json!({})))
        .await;
    let huge = json!({ "lines": [ { "id": "1", "sku": "A", "quantity": 1, "unit_price": "1000000000000000" } ] });
    let many = json!({ "lines": [
        { "id": "1", "sku": "A", "quantity": 1000000, "unit_price": "999999999999999999" },
        { "id": "2", "sku": "B", "quantity": 1000000, "unit_price": "999999999999999999" } ] });
    let cases: Vec<(Value, &str)> = vec![
        (huge, "/lines"),
        (many, "/lines"),
        (json!({ "at": "+262142-01-01T00:00:00Z" }), "/at"),
        (json!({ "at": "0001-01-01T00:00:00Z" }), "/at"),
        (json!({ "coupons": ["OK", "A\u{0}B"] }), "/coupons/1"),
        (json!({ "customer": { "id": "c\u{0}1" } }), "/customer/id"),
        (
            json!({ "lines": [ { "id": "1", "sku": "A\u{0}", "quantity": 1, "unit_price": "1" } ] }),
            "/lines/0/sku",
        ),
        // Caught by the `basket_json` fuzz target's property: more significant digits than
        // the plugin contract's 64-bit mantissa holds was refused at `/lines`, once lowered.
        (
            json!({ "lines": [ { "id": "1", "sku": "A", "quantity": 1, "unit_price": "12345678901.123456789" } ] }),
            "/lines/0/unit_price",
        ),
    ];
    for (extra, pointer) in &cases {
        server
            .refused("/v1/evaluate", CHANNEL, basket(extra.clone()), &[pointer])
            .await;
        let mut order = basket(extra.clone());
        order["order_id"] = json!("o-1");
        server
            .refused("/v1/redemptions", CHANNEL, order, &[pointer])
            .await;
    }
    let mut order = basket(json!({}));
    order["order_id"] = json!("o\u{0}1");
    server
        .refused("/v1/redemptions", CHANNEL, order, &["/order_id"])
        .await;
    // In a path or a query, a NUL is a 400.
    for (path, key) in [
        ("/v1/redemptions/o%001", CHANNEL),
        ("/v1/campaigns/a%00b", MARKETING),
        ("/v1/campaigns/ten/coupons?after=A%00", MARKETING),
    ] {
        let method = if path.starts_with("/v1/redemptions") {
            Method::DELETE
        } else {
            Method::GET
        };
        let (status, problem) = server.call(method, path, key, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {problem}");
    }
    // A campaign's own texts too.
    server
        .refused(
            "/v1/campaigns",
            MARKETING,
            offer("bad\u{0}", json!({ "percent_off": "10" }), json!({})),
            &["/id"],
        )
        .await;
    // The server serves on, and the largest basket it accepts is priced exactly.
    let answer = server
        .evaluate(basket(json!({ "lines": [ { "id": "1", "sku": "A", "quantity": 1, "unit_price": "999999999999999.99" } ] })))
        .await;
    assert_eq!(answer["discount_total"], "100000000000000.00", "{answer}");
    assert_eq!(answer["total"], "899999999999999.99", "{answer}");
    // The most significant digits the plugin contract holds are priced too.
    let answer = server
        .evaluate(basket(json!({ "lines": [ { "id": "1", "sku": "A", "quantity": 1, "unit_price": "9223372036.854775807" } ] })))
        .await;
    assert_eq!(answer["discount_total"], "922337203.69", "{answer}");
    assert_eq!(answer["total"], "8301034833.16", "{answer}");
}
