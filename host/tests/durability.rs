//! Durability of redemptions (issue 4): the real `remise serve` binary commits orders over
//! HTTP, is killed with SIGKILL (no shutdown of any kind), and restarted on the same
//! SQLite file; every acknowledged redemption and its budget consumption is still there.

mod support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::Serve;

fn order(id: usize) -> Value {
    // 10 % of 12.34 + id cents, rounded half away from zero.
    let cents = 1_234 + id;
    json!({
        "order_id": format!("order-{id}"), "currency": "EUR", "channel": "web",
        "customer": { "id": format!("c-{id}") },
        "lines": [ { "id": "1", "sku": "SKU", "quantity": 1,
                     "unit_price": format!("{}.{:02}", cents / 100, cents % 100) } ]
    })
}

#[test]
fn every_acknowledged_redemption_survives_sigkill() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    // A SQLite file, or a fresh PostgreSQL database when the suite runs on PostgreSQL.
    let database = tokio::runtime::Runtime::new().expect("a runtime").block_on(
        remise::store::testing::fresh_database_url(dir.path(), "remise"),
    );
    let serve = Serve::start(&database);
    let (status, body) = serve.call(
        reqwest::Method::POST,
        "/v1/campaigns",
        Some(json!({
            "id": "ten-off", "name": "ten-off", "plugin": "threshold-discount",
            "status": "active", "limits": { "budget": "1000.00", "budget_currency": "EUR" },
            "params": { "tiers": [ { "min_subtotal": "0", "percent_off": "10" } ] }
        })),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let mut granted_cents = 0i64;
    let mut acknowledged = Vec::new();
    for id in 0..40 {
        let (status, answer) =
            serve.call(reqwest::Method::POST, "/v1/redemptions", Some(order(id)));
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let discount = answer["discount_total"].as_str().expect("a discount");
        let cents: i64 = discount.replace('.', "").parse().expect("cents");
        granted_cents += cents;
        acknowledged.push(answer);
    }
    serve.kill();

    let serve = Serve::start(&database);
    let (status, stats) = serve.call(reqwest::Method::GET, "/v1/campaigns/ten-off/stats", None);
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["redemptions"], 40);
    let granted = format!("{}.{:02}", granted_cents / 100, granted_cents % 100);
    assert_eq!(stats["discount_granted"], granted.as_str());
    let left = 100_000 - granted_cents;
    assert_eq!(
        stats["budget_left"],
        format!("{}.{:02}", left / 100, left % 100).as_str()
    );
    // Each order is known: committing it again answers its first answer.
    for (id, first) in acknowledged.iter().enumerate() {
        let (status, again) = serve.call(reqwest::Method::POST, "/v1/redemptions", Some(order(id)));
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(&again, first);
    }
}
