//! A customer's wallet over real HTTP (issue 17 item 2, docs/customers.md "The wallet"):
//! `GET /v1/customers/{id}/offers` lists the campaigns the stored customer can get on a
//! channel, in a store, at an instant (their schedule, channel, store and audience let them
//! in; their caps, budget and per-customer uses leave them something), with what is left of
//! each; coupon-only, paused and not-yet-started campaigns are not offered; what is left
//! moves with every commit. An unknown customer is a 404, bad parameters 422 at their names.

use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Noon, a Wednesday in June, Paris: every campaign below is in its schedule unless it says
/// otherwise.
const NOON: &str = "2026-06-17T12:00:00+02:00";

/// `GET /v1/customers/{id}/offers?{query}` with `key`.
async fn wallet_with(server: &Server, key: &str, id: &str, query: &str) -> (StatusCode, Value) {
    server
        .call(
            Method::GET,
            &format!("/v1/customers/{id}/offers?{query}"),
            key,
            None,
        )
        .await
}

/// The offers of `id`'s wallet (channel key), which must be answered: `campaign
/// uses_left redemptions_left budget_left`, `-` for what a campaign does not cap.
async fn offered(server: &Server, id: &str, query: &str) -> Vec<String> {
    let (status, wallet) = wallet_with(server, CHANNEL, id, query).await;
    assert_eq!(status, StatusCode::OK, "{wallet}");
    assert_eq!(wallet["customer"], id, "{wallet}");
    let shown = |value: &Value| match value {
        Value::Null => "-".to_string(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    wallet["offers"]
        .as_array()
        .unwrap_or_else(|| panic!("a list of offers: {wallet}"))
        .iter()
        .map(|offer| {
            format!(
                "{} {} {} {}",
                shown(&offer["campaign"]),
                shown(&offer["uses_left"]),
                shown(&offer["redemptions_left"]),
                shown(&offer["budget_left"])
            )
        })
        .collect()
}

/// Stores `id`'s profile.
async fn profile(server: &Server, id: &str, body: Value) {
    let (status, stored) = server
        .call(
            Method::PUT,
            &format!("/v1/customers/{id}"),
            MARKETING,
            Some(body),
        )
        .await;
    assert!(status.is_success(), "{stored}");
}

/// Commits a 50.00 web basket of customer `id` (named by id alone) as order `order_id`.
async fn buy(server: &Server, order_id: &str, id: &str) -> Value {
    let answer = server
        .commit(json!({
            "order_id": order_id, "currency": "EUR", "channel": "web", "customer": { "id": id },
            "lines": [ { "id": "1", "sku": "SKU-1", "quantity": 1, "unit_price": "50.00" } ]
        }))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.body
}

#[tokio::test]
async fn the_wallet_lists_what_the_customer_can_get_with_what_is_left() {
    let server = Server::start_held_at(NOON).await;
    let campaigns = [
        offer("everyone", json!({ "amount_off": "1.00" }), json!({})),
        offer(
            "gold-only",
            json!({ "amount_off": "1.00" }),
            json!({ "audience": { "loyalty_tiers": ["gold"] }, "priority": 10 }),
        ),
        offer(
            "staff-only",
            json!({ "amount_off": "1.00" }),
            json!({ "audience": { "segments": ["staff"] } }),
        ),
        offer(
            "web-twice",
            json!({ "amount_off": "2.00" }),
            json!({
                "audience": { "channels": ["web"] },
                "limits": { "per_customer": 2 }
            }),
        ),
        offer(
            "budgeted",
            json!({ "amount_off": "3.00" }),
            json!({ "limits": { "budget": "10.00", "budget_currency": "EUR", "redemptions": 5 } }),
        ),
        offer(
            "lyon-store",
            json!({ "amount_off": "1.00" }),
            json!({ "audience": { "channels": ["store"], "stores": ["lyon"] } }),
        ),
        offer(
            "with-code",
            json!({ "amount_off": "1.00" }),
            json!({ "coupon_required": true }),
        ),
        offer(
            "next-month",
            json!({ "amount_off": "1.00" }),
            json!({ "schedule": { "timezone": "Europe/Paris", "starts_at": "2026-07-01T00:00:00+02:00" } }),
        ),
        offer(
            "paused",
            json!({ "amount_off": "1.00" }),
            json!({ "status": "paused" }),
        ),
    ];
    for campaign in campaigns {
        server.create(campaign).await;
    }
    profile(
        &server,
        "c-gold",
        json!({ "loyalty_tier": "gold", "segments": ["card-holder"] }),
    )
    .await;

    // Anywhere: every campaign the customer's audience lets in, lowest priority first.
    assert_eq!(
        offered(&server, "c-gold", "").await,
        [
            "gold-only - - -",
            "budgeted - 5 10.00",
            "everyone - - -",
            "lyon-store - - -",
            "web-twice 2 - -"
        ]
    );
    // On the web: not the Lyon store's; in Lyon's store: not the web's.
    assert_eq!(
        offered(&server, "c-gold", "channel=web").await,
        [
            "gold-only - - -",
            "budgeted - 5 10.00",
            "everyone - - -",
            "web-twice 2 - -"
        ]
    );
    let in_lyon = offered(&server, "c-gold", "channel=store&store=lyon").await;
    assert!(
        in_lyon.contains(&"lyon-store - - -".to_string()),
        "{in_lyon:?}"
    );
    assert!(!in_lyon.iter().any(|offer| offer.starts_with("web-twice")));
    let in_paris = offered(&server, "c-gold", "channel=store&store=paris").await;
    assert!(!in_paris.iter().any(|offer| offer.starts_with("lyon-store")));

    // A commit spends what is left: one use of web-twice, 3.00 of the budget, one of five
    // redemptions.
    let answer = buy(&server, "o-1", "c-gold").await;
    assert_eq!(discount_of(&answer, "budgeted"), Some("3.00"), "{answer}");
    assert_eq!(
        offered(&server, "c-gold", "channel=web").await,
        [
            "gold-only - - -",
            "budgeted - 4 7.00",
            "everyone - - -",
            "web-twice 1 - -"
        ]
    );
    // The second use is the last: web-twice leaves the wallet.
    buy(&server, "o-2", "c-gold").await;
    assert_eq!(
        offered(&server, "c-gold", "channel=web").await,
        ["gold-only - - -", "budgeted - 3 4.00", "everyone - - -"]
    );

    // Next month, next-month is offered too; a silver customer never sees gold-only.
    let july = offered(
        &server,
        "c-gold",
        "channel=web&at=2026-07-02T10:00:00%2B02:00",
    )
    .await;
    assert!(july.contains(&"next-month - - -".to_string()), "{july:?}");
    profile(&server, "c-silver", json!({ "loyalty_tier": "silver" })).await;
    let silver = offered(&server, "c-silver", "channel=web").await;
    assert!(!silver.iter().any(|offer| offer.starts_with("gold-only")));
    assert!(
        silver.contains(&"web-twice 2 - -".to_string()),
        "{silver:?}"
    );

    // A budget kept in euros is not offered to a customer paying in another currency.
    let in_yen = offered(&server, "c-gold", "channel=web&currency=JPY").await;
    assert!(!in_yen.iter().any(|offer| offer.starts_with("budgeted")));

    // What the offer says of the campaign.
    let (_, wallet) = wallet_with(&server, MARKETING, "c-gold", "channel=store&store=lyon").await;
    let lyon = wallet["offers"]
        .as_array()
        .and_then(|offers| offers.iter().find(|o| o["campaign"] == "lyon-store"))
        .cloned()
        .unwrap_or_else(|| panic!("lyon-store offered: {wallet}"));
    assert_eq!(lyon["channels"], json!(["store"]));
    assert_eq!(lyon["stores"], json!(["lyon"]));
    assert_eq!(lyon["plugin"], "threshold-discount");
    assert_eq!(wallet["channel"], "store");
    assert_eq!(wallet["store"], "lyon");
}

#[tokio::test]
async fn a_wallet_needs_a_stored_customer_and_good_parameters() {
    let server = Server::start_held_at(NOON).await;
    let (status, problem) = wallet_with(&server, CHANNEL, "c-nobody", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    profile(&server, "c-1", json!({})).await;
    for (query, pointer) in [
        ("at=tomorrow", "/at"),
        ("channel=", "/channel"),
        ("currency=euro", "/currency"),
        ("colour=red", "/colour"),
    ] {
        let (status, problem) = wallet_with(&server, CHANNEL, "c-1", query).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {problem}"
        );
        assert_eq!(pointers(&problem), [pointer], "{query}: {problem}");
    }
    let (status, wallet) = wallet_with(&server, MARKETING, "c-1", "").await;
    assert_eq!(status, StatusCode::OK, "{wallet}");
    assert_eq!(wallet["offers"], json!([]));
    assert_eq!(wallet["at"], "2026-06-17T10:00:00Z", "{wallet}");
    let (status, _) = wallet_with(&server, OPS, "c-1", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
