//! Rewards issued by a commit over real HTTP (issue 18 item 2, docs/api.md "Rewards"): the
//! catalogue's `cross-channel-reward` promises a personal code of another campaign; the
//! commit issues it, answers it and puts it in the customer's wallet; it works only for
//! that customer and in its channels; a cancel withdraws it while unused, and one already
//! used stays.

use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A web order of 60.00 for `customer` (an object, or null: anonymous).
fn web_order(order_id: &str, customer: Value) -> Value {
    let mut order = json!({
        "order_id": order_id, "currency": "EUR", "channel": "web",
        "lines": [ { "id": "1", "sku": "A", "quantity": 1, "unit_price": "60.00" } ]
    });
    if !customer.is_null() {
        order["customer"] = customer;
    }
    order
}

/// A basket of 30.00 in `channel` for customer `id`, with `code`.
fn with_code(channel: &str, id: &str, code: &str) -> Value {
    json!({
        "currency": "EUR", "channel": channel, "store": "lyon-3",
        "customer": { "id": id }, "coupons": [code],
        "lines": [ { "id": "1", "sku": "B", "quantity": 1, "unit_price": "30.00" } ]
    })
}

/// The first coupon result of `answer`: `(status, detail)`.
fn coupon_of(answer: &Value) -> (String, String) {
    let coupon = &answer["coupons"][0];
    (
        coupon["status"].as_str().unwrap_or("?").to_string(),
        coupon["detail"].as_str().unwrap_or("").to_string(),
    )
}

/// The wallet codes of customer `id`.
async fn wallet_codes(server: &Server, id: &str) -> Vec<String> {
    let (status, wallet) = server
        .call(
            Method::GET,
            &format!("/v1/customers/{id}/offers?channel=store"),
            MARKETING,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{wallet}");
    wallet["offers"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|offer| offer["codes"].as_array().cloned().unwrap_or_default())
        .map(|code| code["code"].as_str().unwrap_or("?").to_string())
        .collect()
}

#[tokio::test]
async fn a_web_order_issues_a_store_reward_that_a_cancel_withdraws_while_unused() {
    let server = Server::start_held_at("2026-06-17T12:00:00+02:00").await;
    let (status, profile) = server
        .call(Method::PUT, "/v1/customers/c-1", MARKETING, Some(json!({})))
        .await;
    assert!(status.is_success(), "{profile}");
    // 10.00 off in store, with a code.
    server
        .create(offer(
            "in-store-10",
            json!({ "amount_off": "10.00" }),
            json!({ "coupon_required": true }),
        ))
        .await;
    // From 50.00 spent on the web: that code, for 30 days, in store only.
    server
        .create(json!({
            "id": "web-to-store", "name": "web-to-store", "plugin": "cross-channel-reward",
            "status": "active",
            "params": {
                "min_spend": "50.00", "reward_campaign": "in-store-10", "valid_days": 30,
                "channels": ["store"], "earn_channels": ["web"]
            }
        }))
        .await;

    // An evaluation promises the reward and issues nothing.
    let mut basket = web_order("-", json!({ "id": "c-1" }));
    basket
        .as_object_mut()
        .map(|fields| fields.remove("order_id"));
    let evaluated = server.evaluate(basket).await;
    assert_eq!(
        evaluated["rewards"][0]["reward_campaign"], "in-store-10",
        "{evaluated}"
    );
    assert!(evaluated["rewards"][0]["code"].is_null(), "{evaluated}");

    let answer = server
        .commit(web_order("o-1", json!({ "id": "c-1" })))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let reward = &answer.body["rewards"][0];
    let code = reward["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", answer.body));
    assert_eq!(reward["expires_at"], "2026-07-17T10:00:00Z", "{reward}");
    assert_eq!(reward["channels"], json!(["store"]), "{reward}");
    assert_eq!(wallet_codes(&server, "c-1").await, vec![code.to_string()]);

    // Only for c-1, only in store.
    let answer = server.evaluate(with_code("store", "c-2", code)).await;
    assert_eq!(
        coupon_of(&answer),
        ("not_applied".into(), "personal to another customer".into())
    );
    let answer = server.evaluate(with_code("web", "c-1", code)).await;
    assert_eq!(
        coupon_of(&answer),
        ("not_applied".into(), "valid only in store".into())
    );
    let answer = server.evaluate(with_code("store", "c-1", code)).await;
    assert_eq!(
        discount_of(&answer, "in-store-10"),
        Some("10.00"),
        "{answer}"
    );

    // An anonymous order earns nothing: there is no one to give it to.
    let answer = server.commit(web_order("o-anon", Value::Null)).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert!(answer.body["rewards"].is_null(), "{}", answer.body);
    assert_eq!(
        answer.body["rejected"][0]["campaign"], "web-to-store",
        "{}",
        answer.body
    );

    // Cancelling o-1 withdraws its unused reward.
    let (status, cancelled) = server.cancel("o-1").await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert!(wallet_codes(&server, "c-1").await.is_empty());
    let answer = server.evaluate(with_code("store", "c-1", code)).await;
    assert_eq!(coupon_of(&answer).0, "unknown", "{answer}");

    // A reward already used stays the customer's when its order is cancelled.
    let answer = server
        .commit(web_order("o-2", json!({ "id": "c-1" })))
        .await;
    let code = answer.body["rewards"][0]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", answer.body))
        .to_string();
    let mut in_store = with_code("store", "c-1", &code);
    in_store["order_id"] = json!("s-1");
    let used = server.commit(in_store).await;
    assert_eq!(used.status, StatusCode::CREATED, "{}", used.body);
    assert_eq!(
        discount_of(&used.body, "in-store-10"),
        Some("10.00"),
        "{}",
        used.body
    );
    let (status, _) = server.cancel("o-2").await;
    assert_eq!(status, StatusCode::OK);
    let answer = server.evaluate(with_code("store", "c-1", &code)).await;
    assert_eq!(coupon_of(&answer).0, "used_up", "{answer}");
}
