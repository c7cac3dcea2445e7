//! Partial returns over real HTTP (issue 17 item 4, docs/returns.md): the kept lines are
//! priced again under the campaigns and plugin versions of the order, the answer says what
//! the till refunds per returned line to the minor unit, and what the kept lines no longer
//! take goes back to budgets, caps, coupon uses and points. Idempotent by `return_id`;
//! returning more than was bought is a 422 at its pointer.

use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Noon, a Wednesday in June, Paris.
const NOON: &str = "2026-06-17T12:00:00+02:00";

/// Order `order_id` of customer c-1 on the web: one line per `(id, units, unit price)`.
fn order(order_id: &str, lines: &[(&str, u32, &str)]) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(id, units, price)| {
            json!({ "id": id, "sku": format!("SKU-{id}"), "quantity": units,
                    "unit_price": price })
        })
        .collect();
    json!({ "order_id": order_id, "currency": "EUR", "channel": "web",
            "customer": { "id": "c-1" }, "lines": lines })
}

async fn commit(server: &Server, order: Value) -> Value {
    let answer = server.commit(order).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.body
}

/// `POST /v1/redemptions/{order_id}/returns` with `key`.
async fn give_back(
    server: &Server,
    key: &str,
    order_id: &str,
    return_id: &str,
    lines: &[(&str, u32)],
) -> (StatusCode, Value) {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(id, units)| json!({ "id": id, "quantity": units }))
        .collect();
    server
        .call(
            Method::POST,
            &format!("/v1/redemptions/{order_id}/returns"),
            key,
            Some(json!({ "return_id": return_id, "lines": lines })),
        )
        .await
}

/// A return that must be recorded (201).
async fn returned(
    server: &Server,
    order_id: &str,
    return_id: &str,
    lines: &[(&str, u32)],
) -> Value {
    let (status, answer) = give_back(server, CHANNEL, order_id, return_id, lines).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer
}

/// `id quantity paid withdrawn refund` of each returned line.
fn refunds(answer: &Value) -> Vec<String> {
    answer["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("lines: {answer}"))
        .iter()
        .map(|line| {
            format!(
                "{} {} {} {} {}",
                line["id"].as_str().unwrap_or("?"),
                line["quantity"],
                line["paid"].as_str().unwrap_or("?"),
                line["withdrawn"].as_str().unwrap_or("?"),
                line["refund"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

/// `campaign before after status` of each campaign the order held.
fn changes(answer: &Value) -> Vec<String> {
    answer["campaigns"]
        .as_array()
        .unwrap_or_else(|| panic!("campaigns: {answer}"))
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {}",
                c["campaign"].as_str().unwrap_or("?"),
                c["discount_before"].as_str().unwrap_or("?"),
                c["discount_after"].as_str().unwrap_or("?"),
                c["status"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

#[tokio::test]
async fn ten_percent_from_100_on_120_with_30_returned_refunds_18() {
    let server = Server::start_held_at(NOON).await;
    let mut campaign = ten_from_100();
    campaign["limits"] = json!({ "budget": "1000.00", "budget_currency": "EUR",
                                 "redemptions": 10 });
    server.create(campaign).await;
    let bought = commit(
        &server,
        order("o-1", &[("1", 1, "90.00"), ("2", 1, "30.00")]),
    )
    .await;
    assert_eq!(bought["total"], "108.00", "{bought}");
    assert_eq!(
        server.stats("ten-from-100").await["discount_granted"],
        "12.00"
    );

    // 30.00 back: the 90.00 kept no longer reach 100.00, so the 9.00 they had off is taken
    // from the 27.00 the returned line cost.
    server.set_clock("2026-06-20T10:00:00+02:00");
    let answer = returned(&server, "o-1", "r-1", &[("2", 1)]).await;
    assert_eq!(refunds(&answer), ["2 1 27.00 9.00 18.00"], "{answer}");
    assert_eq!(answer["refund_total"], "18.00");
    assert_eq!(answer["withdrawn_total"], "9.00");
    assert_eq!(
        changes(&answer),
        ["ten-from-100 12.00 0.00 withdrawn"],
        "{answer}"
    );
    assert_eq!(answer["order"]["total"], "90.00");
    assert_eq!(answer["order"]["lines"][0]["total"], "90.00");
    assert_eq!(answer["order"]["lines"][1]["quantity"], 0);
    assert_eq!(answer["returned_at"], "2026-06-20T08:00:00Z");
    // The campaign gave its redemption and its 12.00 back.
    let stats = server.stats("ten-from-100").await;
    assert_eq!(stats["redemptions"], 0, "{stats}");
    assert_eq!(stats["discount_granted"], "0.00", "{stats}");
    assert_eq!(stats["budget_left"], "1000.00", "{stats}");

    // The customer's orders show what is held and what was refunded.
    let (status, orders) = server
        .call(Method::GET, "/v1/customers/c-1/orders", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{orders}");
    let listed = &orders["orders"][0];
    assert_eq!(listed["returns"], 1, "{orders}");
    assert_eq!(listed["refunded"], "18.00", "{orders}");
    assert_eq!(listed["returnable"], true, "{orders}");
    assert_eq!(
        listed["lines"],
        json!([
            { "id": "1", "sku": "SKU-1", "unit_price": "90.00", "bought": 1, "held": 1 },
            { "id": "2", "sku": "SKU-2", "unit_price": "30.00", "bought": 1, "held": 0 }
        ])
    );

    // The same return again is answered again, once; with other lines it is a conflict.
    let (status, again) = give_back(&server, CHANNEL, "o-1", "r-1", &[("2", 1)]).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again, answer);
    let (status, problem) = give_back(&server, CHANNEL, "o-1", "r-1", &[("1", 1)]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    // More than the order holds, or a line it never had: 422 at the line.
    let (status, problem) = give_back(&server, CHANNEL, "o-1", "r-2", &[("2", 1)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(pointers(&problem), ["/lines/0/quantity"]);
    let (status, problem) = give_back(
        &server,
        CHANNEL,
        "o-1",
        "r-2",
        &[("1", 1), ("9", 1), ("1", 2)],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(pointers(&problem), ["/lines/2/id"]);
    let (status, problem) = give_back(&server, CHANNEL, "o-1", "r-2", &[("1", 1), ("9", 1)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(pointers(&problem), ["/lines/1/id"]);
    let (status, problem) = give_back(&server, CHANNEL, "o-1", "r-2", &[("1", 0)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(pointers(&problem), ["/lines/0/quantity"]);

    // The rest comes back: 90.00, nothing withdrawn.
    let rest = returned(&server, "o-1", "r-2", &[("1", 1)]).await;
    assert_eq!(refunds(&rest), ["1 1 90.00 0.00 90.00"], "{rest}");
    assert_eq!(rest["order"]["total"], "0.00");
    let (status, list) = server
        .call(Method::GET, "/v1/redemptions/o-1/returns", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["returns"].as_array().map(Vec::len), Some(2), "{list}");
    assert_eq!(list["returns"][0], answer);
}

#[tokio::test]
async fn only_the_orders_key_the_call_centre_or_an_admin_return_and_never_a_cancelled_order() {
    let server = Server::start_held_at(NOON).await;
    server.create(ten_from_100()).await;
    commit(&server, order("o-1", &[("1", 2, "60.00")])).await;
    let (status, problem) = give_back(&server, STORE_CHANNEL, "o-1", "r-1", &[("1", 1)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    let (status, problem) = give_back(&server, OPS, "o-1", "r-1", &[("1", 1)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, problem) = give_back(&server, CHANNEL, "o-404", "r-1", &[("1", 1)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    let (status, problem) = server
        .call(
            Method::GET,
            "/v1/redemptions/o-1/returns",
            STORE_CHANNEL,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");

    // 120.00 - 12.00: one of two units back leaves 60.00, under the threshold.
    let (status, answer) = give_back(&server, MARKETING, "o-1", "r-1", &[("1", 1)]).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(refunds(&answer), ["1 1 54.00 6.00 48.00"], "{answer}");

    let (status, cancelled) = server.cancel("o-1").await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    let (status, problem) = give_back(&server, ADMIN, "o-1", "r-2", &[("1", 1)]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
}

#[tokio::test]
async fn kept_lines_are_priced_under_the_campaign_and_plugin_version_of_the_order() {
    let server = Server::start_held_at(NOON).await;
    let (status, view) = server
        .upload("flip", remise_tests::guest("flip-v1"), ADMIN)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    server
        .create(json!({ "id": "flip-c", "name": "flip", "plugin": "flip",
                        "status": "active", "params": {} }))
        .await;
    server.create(ten_from_100()).await;
    // 100.00: flip 1.0.0 takes 10 % (10.00), ten-from-100 10 % (10.00) → 80.00.
    let bought = commit(
        &server,
        order("o-1", &[("1", 1, "60.00"), ("2", 1, "40.00")]),
    )
    .await;
    assert_eq!(bought["total"], "80.00", "{bought}");

    // After the order: flip 2.0.0 (20 %) becomes current, and ten-from-100 is edited to
    // 20 % from 50.00. Neither changes what the order's return is priced under.
    let (status, view) = server
        .upload("flip", remise_tests::guest("flip-v2"), ADMIN)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    let mut edited = ten_from_100();
    edited["params"] = json!({ "tiers": [ { "min_subtotal": "50.00", "percent_off": "20" } ] });
    server.replace(edited).await;
    let today = server
        .evaluate(json!({ "currency": "EUR", "channel": "web",
                          "lines": [ { "id": "1", "sku": "SKU-1", "quantity": 1,
                                       "unit_price": "60.00" } ] }))
        .await;
    assert_eq!(today["total"], "36.00", "{today}");

    // As at the order, the kept 60.00 get flip 1.0.0's 6.00 and no threshold discount:
    // 54.00 kept, 80.00 - 54.00 = 26.00 back for a line that had cost 32.00.
    let answer = returned(&server, "o-1", "r-1", &[("2", 1)]).await;
    assert_eq!(answer["refund_total"], "26.00", "{answer}");
    assert_eq!(refunds(&answer), ["2 1 32.00 6.00 26.00"], "{answer}");
    assert_eq!(
        changes(&answer),
        [
            "flip-c 10.00 6.00 reduced",
            "ten-from-100 10.00 0.00 withdrawn"
        ],
        "{answer}"
    );
    assert_eq!(server.stats("flip-c").await["discount_granted"], "6.00");

    // The version the order ran on stays while the order may still be returned.
    let (status, problem) = server
        .call(Method::DELETE, "/v1/plugins/flip/versions/1.0.0", OPS, None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    returned(&server, "o-1", "r-2", &[("1", 1)]).await;
    let (status, problem) = server
        .call(Method::DELETE, "/v1/plugins/flip/versions/1.0.0", OPS, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{problem}");
}

#[tokio::test]
async fn a_return_gives_back_coupon_uses_caps_budgets_and_points() {
    let server = Server::start_held_at(NOON).await;
    // 10 % off with a coupon, one redemption in all.
    server
        .create(offer(
            "welcome",
            json!({ "percent_off": "10" }),
            json!({ "coupon_required": true, "limits": { "redemptions": 1 } }),
        ))
        .await;
    let (status, body) = server
        .call(
            Method::POST,
            "/v1/campaigns/welcome/coupons",
            MARKETING,
            Some(json!({ "codes": ["ONCE"] })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // 5 % off every line from 150.00, on a budget.
    server
        .create(offer(
            "loyal",
            json!({ "percent_off": "5", "min_subtotal": "150.00" }),
            json!({ "limits": { "budget": "100.00", "budget_currency": "EUR" } }),
        ))
        .await;
    // A point per unit.
    server
        .create(
            json!({ "id": "points", "name": "points", "plugin": "points-multiplier",
                        "status": "active",
                        "params": { "points_per_unit": "1", "multiplier": "1" } }),
        )
        .await;

    let mut with_code = order("o-1", &[("1", 3, "50.00"), ("2", 1, "20.00")]);
    with_code["coupons"] = json!(["once"]);
    let bought = commit(&server, with_code).await;
    // 170.00: welcome 10 % (17.00) and loyal 5 % (8.50) of it → 144.50; 4 points.
    assert_eq!(bought["total"], "144.50", "{bought}");
    assert_eq!(server.stats("welcome").await["redemptions_left"], 0);

    // One unit of line 1 back: 120.00 kept is under 150.00, loyal goes; welcome keeps 10 %.
    let answer = returned(&server, "o-1", "r-1", &[("1", 1)]).await;
    assert_eq!(
        changes(&answer),
        [
            "loyal 8.50 0.00 withdrawn",
            "points 0.00 0.00 kept",
            "welcome 17.00 12.00 reduced"
        ],
        "{answer}"
    );
    // Kept: 120.00 - 12.00 = 108.00; 144.50 - 108.00 = 36.50 back, for a unit that had
    // cost 127.50 / 3 = 42.50.
    assert_eq!(answer["refund_total"], "36.50", "{answer}");
    assert_eq!(refunds(&answer), ["1 1 42.50 6.00 36.50"], "{answer}");
    assert_eq!(
        answer["points_reversed"],
        json!([{ "campaign": "points", "points": 1 }])
    );
    let loyal = server.stats("loyal").await;
    assert_eq!(loyal["budget_left"], "100.00", "{loyal}");
    let (status, points) = server
        .call(Method::GET, "/v1/customers/c-1/points", CHANNEL, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{points}");
    assert_eq!(points["balance"], 3, "{points}");

    // Line 2 and the rest of line 1 back: welcome goes too, and gives its coupon use and
    // its one redemption back to the next order.
    let answer = returned(&server, "o-1", "r-2", &[("1", 2), ("2", 1)]).await;
    assert_eq!(answer["refund_total"], "108.00", "{answer}");
    assert_eq!(answer["order"]["total"], "0.00");
    assert_eq!(server.stats("welcome").await["redemptions_left"], 1);
    let mut again = order("o-2", &[("1", 1, "50.00")]);
    again["coupons"] = json!(["ONCE"]);
    let next = commit(&server, again).await;
    assert_eq!(discount_of(&next, "welcome"), Some("5.00"), "{next}");
    let (_, points) = server
        .call(Method::GET, "/v1/customers/c-1/points", CHANNEL, None)
        .await;
    assert_eq!(points["balance"], 1, "{points}");
}

#[tokio::test]
async fn an_erased_customers_order_is_still_returned_as_it_was_priced() {
    let server = Server::start_held_at(NOON).await;
    // 10 % for gold customers, from their stored profile.
    server
        .create(offer(
            "gold",
            json!({ "percent_off": "10" }),
            json!({ "audience": { "loyalty_tiers": ["gold"] } }),
        ))
        .await;
    let (status, _) = server
        .call(
            Method::PUT,
            "/v1/customers/c-1",
            MARKETING,
            Some(json!({ "loyalty_tier": "gold", "birthdate": "1990-03-10" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let bought = commit(&server, order("o-1", &[("1", 2, "50.00")])).await;
    assert_eq!(bought["total"], "90.00", "{bought}");
    let (status, erased) = server
        .call(Method::DELETE, "/v1/customers/c-1", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    // The kept unit keeps its 10 %: 45.00 back, nothing withdrawn.
    let answer = returned(&server, "o-1", "r-1", &[("1", 1)]).await;
    assert_eq!(refunds(&answer), ["1 1 45.00 0.00 45.00"], "{answer}");
    assert_eq!(changes(&answer), ["gold 10.00 5.00 reduced"], "{answer}");
}
