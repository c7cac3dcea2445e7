//! The server's clock decides commits (issue 15 item 2): a commit is priced at the
//! server's time (schedules, coupon expiry, per-customer periods, the day it is recorded
//! on), and an `at` further than the allowed skew (5 minutes by default) from it is a 422
//! on `/at`. So a channel key cannot back-date a commit to redeem an expired coupon or take
//! a once-a-day offer twice. Evaluations (quotes) may still be priced at any `at`.

use chrono::{DateTime, SecondsFormat, Utc};
use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

fn text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// 100.00 on the web for `customer`, with `extra` fields.
fn basket(customer: &str, extra: Value) -> Value {
    let mut basket = json!({
        "currency": "EUR", "channel": "web", "customer": { "id": customer },
        "lines": [ { "id": "1", "sku": "SKU-1", "quantity": 1, "unit_price": "100.00" } ]
    });
    if let (Some(basket), Some(extra)) = (basket.as_object_mut(), extra.as_object()) {
        basket.extend(extra.clone());
    }
    basket
}

fn order(id: &str, customer: &str, extra: Value) -> Value {
    let mut order = basket(customer, extra);
    order["order_id"] = json!(id);
    order
}

#[tokio::test]
async fn an_expired_coupon_cannot_be_redeemed_with_a_back_dated_at() {
    let server = Server::start_with(&[]).await;
    server
        .create(offer(
            "welcome",
            json!({ "percent_off": "10" }),
            json!({ "coupon_required": true }),
        ))
        .await;
    let expires = Utc::now() + chrono::Duration::seconds(2);
    let (status, body) = server
        .call(
            Method::POST,
            "/v1/campaigns/welcome/coupons",
            MARKETING,
            Some(json!({ "codes": ["SOON"], "expires_at": text(expires) })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before_expiry = text(expires - chrono::Duration::seconds(5));

    // A quote may be priced before the expiry...
    let quote = server
        .evaluate(basket(
            "c-1",
            json!({ "coupons": ["SOON"], "at": before_expiry }),
        ))
        .await;
    assert_eq!(discount_of(&quote, "welcome"), Some("10.00"), "{quote}");
    // ...but a commit is priced now, when the coupon has expired, even with that `at`.
    let committed = server
        .commit(order(
            "o-1",
            "c-1",
            json!({ "coupons": ["SOON"], "at": before_expiry }),
        ))
        .await;
    assert_eq!(committed.status, StatusCode::CREATED, "{}", committed.body);
    assert_eq!(
        discount_of(&committed.body, "welcome"),
        None,
        "{}",
        committed.body
    );
    assert_eq!(
        committed.body["coupons"][0]["status"], "expired",
        "{}",
        committed.body
    );
    // And an `at` far in the past is refused outright.
    let yesterday = text(Utc::now() - chrono::Duration::days(1));
    server
        .refused(
            "/v1/redemptions",
            CHANNEL,
            order(
                "o-2",
                "c-1",
                json!({ "coupons": ["SOON"], "at": yesterday }),
            ),
            &["/at"],
        )
        .await;
}

#[tokio::test]
async fn a_once_a_day_offer_cannot_be_taken_twice_in_a_day() {
    let server = Server::start_with(&[]).await;
    server
        .create(offer(
            "daily",
            json!({ "percent_off": "10" }),
            json!({ "limits": { "per_customer": 1, "per_customer_period": "day" } }),
        ))
        .await;
    let first = server.commit(order("o-1", "c-1", json!({}))).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(discount_of(&first.body, "daily"), Some("10.00"));

    // Another day, before or after, is refused: more than 5 minutes from the server's clock.
    for days in [-1, 1] {
        let at = text(Utc::now() + chrono::Duration::days(days));
        server
            .refused(
                "/v1/redemptions",
                CHANNEL,
                order("o-2", "c-1", json!({ "at": at })),
                &["/at"],
            )
            .await;
    }
    // Within the skew, the order is taken, priced today: the offer was taken today.
    let at = text(Utc::now() - chrono::Duration::minutes(4));
    let second = server
        .commit(order("o-3", "c-1", json!({ "at": at })))
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    assert_eq!(discount_of(&second.body, "daily"), None, "{}", second.body);
    // A retry of the first order is still its replay, whenever it comes.
    let replay = server.commit(order("o-1", "c-1", json!({}))).await;
    assert_eq!(replay.status, StatusCode::OK, "{}", replay.body);
    assert_eq!(replay.body, first.body);
}
