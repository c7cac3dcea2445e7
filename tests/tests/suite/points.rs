//! The points ledger over real HTTP (issue 17 item 3, first part; docs/customers.md
//! "Points"): the points a committed order of a known customer earns are credited as lots
//! (campaign, order, expiry from the campaign's `points_valid_days`) in the order's
//! transaction, reversed by a cancel, and read back with `GET /v1/customers/{id}/points`:
//! a balance that leaves out expired and reversed lots, and the history. An anonymous order
//! credits nothing; an erased customer's points no longer name them.

use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Noon, a Wednesday in June, Paris.
const NOON: &str = "2026-06-17T12:00:00+02:00";

/// A points-multiplier campaign: `per_unit` × `multiplier` points per unit, with `extra`.
fn points_campaign(id: &str, multiplier: &str, extra: Value) -> Value {
    let mut campaign = json!({
        "id": id, "name": id, "plugin": "points-multiplier", "status": "active",
        "params": { "points_per_unit": "1", "multiplier": multiplier }
    });
    if let (Some(campaign), Some(extra)) = (campaign.as_object_mut(), extra.as_object()) {
        campaign.extend(extra.clone());
    }
    campaign
}

/// Commits order `order_id`: `units` units at 10.00 on the web, for `customer` (an object,
/// or null for an anonymous basket).
async fn buy(server: &Server, order_id: &str, customer: Value, units: u32) -> Value {
    let mut order = json!({
        "order_id": order_id, "currency": "EUR", "channel": "web",
        "lines": [ { "id": "1", "sku": "SKU-1", "quantity": units, "unit_price": "10.00" } ]
    });
    if !customer.is_null() {
        order["customer"] = customer;
    }
    let answer = server.commit(order).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.body
}

/// `GET /v1/customers/{id}/points?{query}` with `key`.
async fn points_with(server: &Server, key: &str, id: &str, query: &str) -> (StatusCode, Value) {
    server
        .call(
            Method::GET,
            &format!("/v1/customers/{id}/points?{query}"),
            key,
            None,
        )
        .await
}

/// The balance and the lots (`order campaign points remaining state`) of `id`, which must
/// be answered.
async fn ledger(server: &Server, id: &str, query: &str) -> (i64, Vec<String>) {
    let (status, points) = points_with(server, CHANNEL, id, query).await;
    assert_eq!(status, StatusCode::OK, "{points}");
    let lots = points["lots"]
        .as_array()
        .unwrap_or_else(|| panic!("lots: {points}"))
        .iter()
        .map(|lot| {
            format!(
                "{} {} {} {} {}",
                lot["order_id"].as_str().unwrap_or("?"),
                lot["campaign"].as_str().unwrap_or("?"),
                lot["points"],
                lot["remaining"],
                lot["state"].as_str().unwrap_or("?")
            )
        })
        .collect();
    (points["balance"].as_i64().unwrap_or(-1), lots)
}

#[tokio::test]
async fn committed_points_are_credited_expire_and_are_reversed_by_a_cancel() {
    let server = Server::start_held_at(NOON).await;
    server
        .create(points_campaign(
            "double",
            "2",
            json!({ "points_valid_days": 30 }),
        ))
        .await;
    server
        .create(points_campaign("forever", "1", json!({})))
        .await;
    let gold = json!({ "id": "c-1" });

    let answer = buy(&server, "o-1", gold.clone(), 3).await;
    assert_eq!(
        answer["points"].as_array().map(Vec::len),
        Some(2),
        "{answer}"
    );
    assert_eq!(
        ledger(&server, "c-1", "").await,
        (
            9,
            vec![
                "o-1 double 6 6 active".to_string(),
                "o-1 forever 3 3 active".to_string()
            ]
        )
    );
    let (_, points) = points_with(&server, MARKETING, "c-1", "").await;
    let double = &points["lots"][0];
    assert_eq!(double["earned_at"], "2026-06-17T10:00:00Z", "{points}");
    assert_eq!(double["expires_at"], "2026-07-17T10:00:00Z", "{points}");
    assert!(points["lots"][1]["expires_at"].is_null(), "{points}");

    server.set_clock("2026-06-18T12:00:00+02:00");
    buy(&server, "o-2", gold.clone(), 1).await;
    let (balance, lots) = ledger(&server, "c-1", "").await;
    assert_eq!(balance, 12, "{lots:?}");
    assert_eq!(lots[0], "o-2 double 2 2 active");

    // Thirty days after o-1, its double points are gone; o-2's last one day more.
    let (balance, lots) = ledger(&server, "c-1", "at=2026-07-17T12:00:00%2B02:00").await;
    assert_eq!(balance, 3 + 2 + 1, "{lots:?}");
    assert!(
        lots.contains(&"o-1 double 6 6 expired".to_string()),
        "{lots:?}"
    );
    let (balance, _) = ledger(&server, "c-1", "at=2026-07-18T12:00:01%2B02:00").await;
    assert_eq!(balance, 3 + 1);

    // A cancel reverses what the order earned.
    let (status, cancelled) = server.cancel("o-2").await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    let (balance, lots) = ledger(&server, "c-1", "").await;
    assert_eq!(balance, 9, "{lots:?}");
    assert_eq!(
        &lots[..2],
        ["o-2 double 2 2 reversed", "o-2 forever 1 1 reversed"]
    );

    // An anonymous order credits no one; a customer without a profile has points all the
    // same.
    buy(&server, "o-3", Value::Null, 5).await;
    buy(&server, "o-4", json!({ "id": "c-2" }), 1).await;
    assert_eq!(ledger(&server, "c-2", "").await.0, 3);
    assert_eq!(ledger(&server, "c-1", "").await.0, 9);

    // Erased, c-2 is unknown: its lots no longer name it.
    let (status, erased) = server
        .call(Method::DELETE, "/v1/customers/c-2", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(
        points_with(&server, CHANNEL, "c-2", "").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn points_need_a_known_customer_and_good_parameters() {
    let server = Server::start_held_at(NOON).await;
    let (status, problem) = points_with(&server, CHANNEL, "c-nobody", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    let (status, _) = server
        .call(Method::PUT, "/v1/customers/c-1", MARKETING, Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(ledger(&server, "c-1", "").await, (0, Vec::new()));
    let (status, problem) = points_with(&server, CHANNEL, "c-1", "at=soon").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(pointers(&problem), ["/at"]);
    for days in [0, 3651] {
        let (status, problem) = server
            .call(
                Method::POST,
                "/v1/campaigns",
                MARKETING,
                Some(points_campaign(
                    "bad",
                    "1",
                    json!({ "points_valid_days": days }),
                )),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(pointers(&problem), ["/points_valid_days"]);
    }
    let (status, _) = points_with(&server, OPS, "c-1", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
