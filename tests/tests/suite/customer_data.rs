//! What contract-1.1 plugins learn of the customer, over real HTTP on the catalogue's own
//! plugins (issue 17 items 3 and 5; docs/customers.md "Spending points" and "Purchase
//! history"): `points-redemption` spends a balance that concurrent commits never take
//! below zero, a cancel or a return gives spent points back, and `category-winback` reads
//! the purchase history that commits keep and cancels take back.

use remise::store::testing::postgres_server;
use remise::store::PoolSettings;
use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

/// A campaign of `plugin` with `params`, active.
fn campaign(id: &str, plugin: &str, params: Value) -> Value {
    json!({ "id": id, "name": id, "plugin": plugin, "status": "active", "params": params })
}

/// An order of customer `customer` (an object): `lines` are `(id, sku, category, units,
/// unit price)`.
fn order(order_id: &str, customer: Value, lines: &[(&str, &str, &str, u32, &str)]) -> Value {
    json!({
        "order_id": order_id, "currency": "EUR", "channel": "web", "customer": customer,
        "lines": lines.iter().map(|(id, sku, category, quantity, price)| json!({
            "id": id, "sku": sku, "categories": [category], "quantity": quantity,
            "unit_price": price
        })).collect::<Vec<_>>()
    })
}

/// Commits `order` on `server`, which must accept it.
async fn commit(server: &Server, order: Value) -> Value {
    let answer = server.commit(order).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.body
}

/// The customer's points: `(balance, points spent by order id, net of what went back)`.
async fn points(server: &Server, id: &str) -> (i64, HashMap<String, i64>) {
    let (status, body) = server
        .call(
            Method::GET,
            &format!("/v1/customers/{id}/points"),
            MARKETING,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut spent = HashMap::new();
    for spend in body["spent"].as_array().into_iter().flatten() {
        if spend["reversed_at"].is_null() {
            *spent
                .entry(spend["order_id"].as_str().unwrap_or("?").to_string())
                .or_insert(0) += spend["points"].as_i64().unwrap_or(-1);
        }
    }
    (body["balance"].as_i64().unwrap_or(-1), spent)
}

/// The points an answer spends, all campaigns together.
fn spent_in(answer: &Value) -> i64 {
    answer["points_spent"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|spent| spent["points"].as_i64().unwrap_or(-1))
        .sum()
}

/// Gives customer `id` `points` points: one order of that many units at 1.00 under a
/// points-multiplier campaign that is paused again afterwards.
async fn credit(server: &Server, id: &str, points: u32) {
    let earn = campaign(
        "earn",
        "points-multiplier",
        json!({ "points_per_unit": "1", "multiplier": "1" }),
    );
    server.create(earn.clone()).await;
    let seed = order(
        &format!("seed-{id}"),
        json!({ "id": id }),
        &[("1", "GIFT-CARD", "cards", points, "1.00")],
    );
    let answer = commit(server, seed).await;
    assert_eq!(answer["points"][0]["points"], points, "{answer}");
    let mut paused = earn;
    paused["status"] = json!("paused");
    server.replace(paused).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_commits_never_spend_a_balance_below_zero() {
    let pool = PoolSettings {
        acquire_timeout: Duration::from_secs(60),
        commit_lock_timeout: Duration::from_secs(60),
        ..PoolSettings::default()
    };
    let a = Server::start_with_pool(&[], pool).await;
    // On PostgreSQL, the commits are split between two hosts of one database.
    let b = match postgres_server() {
        Some(_) => Some(Server::start_on_with_pool(a.database_url(), &[], pool).await),
        None => None,
    };
    credit(&a, "c-1", 1_050).await;
    // 100 points = 5.00 off, at most 100 points an order, without being asked.
    a.create(campaign(
        "spend",
        "points-redemption",
        json!({
            "points_per_step": 100, "value_per_step": "5.00", "max_points": 100,
            "automatic": true
        }),
    ))
    .await;
    if let Some(b) = &b {
        // The second host sees the campaign before the race starts.
        for _ in 0..100 {
            let answer = b
                .evaluate(json!({
                    "currency": "EUR", "channel": "web", "customer": { "id": "c-1" },
                    "lines": [ { "id": "1", "sku": "A", "quantity": 1, "unit_price": "50.00" } ]
                }))
                .await;
            if spent_in(&answer) == 100 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    const COMMITS: usize = 200;
    let hosts: Vec<&Server> = [Some(&a), b.as_ref()].into_iter().flatten().collect();
    let orders = (0..COMMITS)
        .map(|i| {
            order(
                &format!("o-{i}"),
                json!({ "id": "c-1" }),
                &[("1", "A", "shoes", 1, "50.00")],
            )
        })
        .collect();
    let answers = commit_at_once(&hosts, orders).await;
    let mut by_order = HashMap::new();
    for (i, status, answer) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "o-{i}: {answer}");
        let spent = spent_in(answer);
        if spent > 0 {
            assert_eq!(spent, 100, "o-{i}: {answer}");
            assert_eq!(
                discount_of(answer, "spend"),
                Some("5.00"),
                "o-{i}: {answer}"
            );
            by_order.insert(format!("o-{i}"), spent);
        } else {
            assert_eq!(discount_of(answer, "spend"), None, "o-{i}: {answer}");
        }
    }
    // 1,050 points pay for ten orders of 100; the 50 left pay for none.
    assert_eq!(by_order.len(), 10, "{by_order:?}");
    let (balance, ledger) = points(&a, "c-1").await;
    assert_eq!(balance, 50);
    assert_eq!(
        ledger, by_order,
        "the ledger matches the orders to the point"
    );
}

#[tokio::test]
async fn a_cancel_or_a_return_gives_spent_points_back() {
    let server = Server::start_held_at("2026-06-17T12:00:00+02:00").await;
    credit(&server, "c-2", 1_000).await;
    // 100 points = 1.00 off, only when the customer asks.
    server
        .create(campaign(
            "spend",
            "points-redemption",
            json!({ "points_per_step": 100, "value_per_step": "1.00" }),
        ))
        .await;
    let asking = json!({ "id": "c-2", "attributes": { "spend_points": "max" } });
    let lines = [
        ("1", "A", "shoes", 1, "10.00"),
        ("2", "B", "socks", 1, "5.00"),
    ];

    // Not asked: nothing spent.
    let answer = commit(&server, order("o-0", json!({ "id": "c-2" }), &lines)).await;
    assert_eq!(spent_in(&answer), 0, "{answer}");
    // An evaluation says what would be spent, and spends nothing.
    let mut basket = order("-", asking.clone(), &lines);
    basket
        .as_object_mut()
        .map(|fields| fields.remove("order_id"));
    let evaluated = server.evaluate(basket).await;
    assert_eq!(spent_in(&evaluated), 1_000, "{evaluated}");
    assert_eq!(points(&server, "c-2").await.0, 1_000);

    let answer = commit(&server, order("o-1", asking.clone(), &lines)).await;
    assert_eq!(spent_in(&answer), 1_000, "{answer}");
    assert_eq!(discount_of(&answer, "spend"), Some("10.00"), "{answer}");
    assert_eq!(points(&server, "c-2").await.0, 0);
    // Nothing left to spend: the next order asks in vain.
    let answer = commit(&server, order("o-2", asking.clone(), &lines)).await;
    assert_eq!(spent_in(&answer), 0, "{answer}");

    // Returning the 10.00 line leaves 5.00 of goods: they spend 500 points, and 500 go
    // back.
    let (status, returned) = server
        .call(
            Method::POST,
            "/v1/redemptions/o-1/returns",
            CHANNEL,
            Some(json!({ "return_id": "r-1", "lines": [ { "id": "1", "quantity": 1 } ] })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{returned}");
    assert_eq!(returned["points_credited"], 500, "{returned}");
    let (balance, spent) = points(&server, "c-2").await;
    assert_eq!((balance, spent.get("o-1")), (500, Some(&500)));

    // Cancelling the order gives back the rest.
    let (status, cancelled) = server.cancel("o-1").await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    let (balance, spent) = points(&server, "c-2").await;
    assert_eq!((balance, spent.get("o-1")), (1_000, None));
}

#[tokio::test]
async fn a_plugin_reads_the_purchase_history_commits_keep_and_cancels_take_back() {
    let server = Server::start_held_at("2026-01-10T12:00:00+01:00").await;
    // 15 % on a category bought in 3 orders or more, the last one 60 days ago or more.
    server
        .create(campaign(
            "winback",
            "category-winback",
            json!({ "percent_off": "15", "min_orders": 3, "lapsed_days": 60 }),
        ))
        .await;
    let shoes = [("1", "SHOE-1", "shoes", 1, "80.00")];
    for (day, order_id) in [
        ("2026-01-10", "o-1"),
        ("2026-01-20", "o-2"),
        ("2026-02-01", "o-3"),
    ] {
        server.set_clock(&format!("{day}T12:00:00+01:00"));
        let answer = commit(&server, order(order_id, json!({ "id": "c-3" }), &shoes)).await;
        assert_eq!(discount_of(&answer, "winback"), None, "{answer}");
        let twin = format!("{order_id}-twin");
        commit(&server, order(&twin, json!({ "id": "c-5" }), &shoes)).await;
    }
    // Another customer bought shoes twice only.
    for order_id in ["p-1", "p-2"] {
        commit(&server, order(order_id, json!({ "id": "c-4" }), &shoes)).await;
    }
    let basket = |customer: &str| {
        json!({
            "currency": "EUR", "channel": "web", "customer": { "id": customer },
            "lines": [
                { "id": "1", "sku": "SHOE-2", "categories": ["shoes"], "quantity": 1,
                  "unit_price": "100.00" },
                { "id": "2", "sku": "HAT-1", "categories": ["hats"], "quantity": 1,
                  "unit_price": "20.00" }
            ]
        })
    };

    // A month after the last pair: too soon.
    server.set_clock("2026-03-01T12:00:00+01:00");
    let answer = server.evaluate(basket("c-3")).await;
    assert_eq!(discount_of(&answer, "winback"), None, "{answer}");
    // 73 days after: 15 % on the shoes, not on the hat.
    server.set_clock("2026-04-15T12:00:00+02:00");
    let answer = server.evaluate(basket("c-3")).await;
    assert_eq!(discount_of(&answer, "winback"), Some("15.00"), "{answer}");
    assert_eq!(answer["lines"][1]["discount"], "0.00", "{answer}");
    // Two orders are not "regularly"; nor is an anonymous basket anything.
    let answer = server.evaluate(basket("c-4")).await;
    assert_eq!(discount_of(&answer, "winback"), None, "{answer}");
    let mut anonymous = basket("c-4");
    anonymous
        .as_object_mut()
        .map(|fields| fields.remove("customer"));
    let answer = server.evaluate(anonymous).await;
    assert_eq!(discount_of(&answer, "winback"), None, "{answer}");

    // A cancelled order no longer counts: two orders left.
    let (status, cancelled) = server.cancel("o-2").await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    let answer = server.evaluate(basket("c-3")).await;
    assert_eq!(discount_of(&answer, "winback"), None, "{answer}");

    // Three orders of one day add to one history row; cancelling one takes back its order
    // and its units, and leaves the others': two orders left.
    server.set_clock("2026-02-01T12:00:00+01:00");
    for order_id in ["q-1", "q-2", "q-3"] {
        commit(&server, order(order_id, json!({ "id": "c-6" }), &shoes)).await;
    }
    server.set_clock("2026-04-15T12:00:00+02:00");
    let answer = server.evaluate(basket("c-6")).await;
    assert_eq!(discount_of(&answer, "winback"), Some("15.00"), "{answer}");
    let (status, cancelled) = server.cancel("q-2").await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    let answer = server.evaluate(basket("c-6")).await;
    assert_eq!(discount_of(&answer, "winback"), None, "{answer}");

    // Erasing a customer erases their history too.
    let answer = server.evaluate(basket("c-5")).await;
    assert_eq!(discount_of(&answer, "winback"), Some("15.00"), "{answer}");
    let (status, erased) = server
        .call(Method::DELETE, "/v1/customers/c-5", MARKETING, None)
        .await;
    assert!(status.is_success(), "{status} {erased}");
    let answer = server.evaluate(basket("c-5")).await;
    assert_eq!(discount_of(&answer, "winback"), None, "{answer}");
}
