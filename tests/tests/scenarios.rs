//! The seeds' scenarios end to end: a real `remise serve` (its own `start` and `run`) on a
//! loopback port, a temporary SQLite file, the catalogue plugins embedded in the binary and
//! the `hostile` test guest served beside them from `plugin_dir`, all driven over real HTTP.
//!
//! Every expected amount is worked out by hand from docs/money.md, in the comment next
//! to it; nothing here asks the code under test what the answer should be.

use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::sync::RwLock;

/// The tests of this file run in parallel, but for the one that times a plugin against its
/// 50 ms deadline: it runs alone (the write side), so its sandboxes get the cores they
/// would have in production. Beside nine other servers on 2 cores, a CI run once saw the
/// looping campaign time out before its fuel ran out, and all 61 campaigns with it.
static CORES: RwLock<()> = RwLock::const_new(());

/// `base` with the fields of `patch` set (a shallow merge).
fn with(mut base: Value, patch: Value) -> Value {
    if let (Some(target), Some(fields)) = (base.as_object_mut(), patch.as_object()) {
        target.extend(fields.clone());
    }
    base
}

/// An active threshold-discount campaign: `percent` off the order from a subtotal of 0.
fn percent_off(id: &str, percent: &str) -> Value {
    json!({
        "id": id, "name": id, "plugin": "threshold-discount", "status": "active",
        "params": { "tiers": [ { "min_subtotal": "0", "percent_off": percent } ] }
    })
}

/// An active campaign of the hostile guest in `mode`.
fn hostile(id: &str, mode: &str) -> Value {
    json!({ "id": id, "name": id, "plugin": "hostile", "status": "active",
            "params": { "mode": mode } })
}

/// A EUR basket on `channel` at instant `at`, one line per `(id, price)`, quantity 1.
fn basket(channel: &str, at: &str, lines: &[(&str, &str)]) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(id, price)| json!({ "id": id, "sku": format!("SKU-{id}"), "quantity": 1, "unit_price": price }))
        .collect();
    json!({ "currency": "EUR", "channel": channel, "at": at, "lines": lines })
}

/// `(subtotal, discount_total, total)` of an answer.
fn totals(answer: &Value) -> (&str, &str, &str) {
    let text = |field: &str| answer[field].as_str().unwrap_or("?");
    (text("subtotal"), text("discount_total"), text("total"))
}

/// The ids of the applied campaigns, in application order.
fn applied(answer: &Value) -> Vec<&str> {
    answer["applied"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["campaign"].as_str()).collect())
        .unwrap_or_default()
}

/// `(reason, detail)` of the rejection of `campaign`; `None` when it is not rejected.
fn rejection<'a>(answer: &'a Value, campaign: &str) -> Option<(&'a str, &'a str)> {
    let rejected = answer["rejected"].as_array()?;
    let found: Vec<&Value> = rejected
        .iter()
        .filter(|r| r["campaign"] == campaign)
        .collect();
    assert!(found.len() <= 1, "{campaign} rejected twice: {answer}");
    found.first().map(|r| {
        (
            r["reason"].as_str().unwrap_or("?"),
            r["detail"].as_str().unwrap_or("?"),
        )
    })
}

/// The reason `campaign` was rejected for; panics when it was not.
fn reason<'a>(answer: &'a Value, campaign: &str) -> &'a str {
    rejection(answer, campaign)
        .unwrap_or_else(|| panic!("{campaign} is not rejected: {answer}"))
        .0
}

/// `(id, discount, total)` of each line.
fn lines(answer: &Value) -> Vec<(&str, &str, &str)> {
    answer["lines"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .map(|l| {
                    (
                        l["id"].as_str().unwrap_or("?"),
                        l["discount"].as_str().unwrap_or("?"),
                        l["total"].as_str().unwrap_or("?"),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// 8 March in Paris, for customers with `gender=f`: the local day is 2026-03-07T23:00Z to
/// 2026-03-08T22:59:59Z (CET, UTC+1). Written twice: as start and end instants, and as
/// "Sundays" of the week around it (8 March 2026 is a Sunday). The same campaign id is
/// replaced with PUT between the two, so the next evaluation sees the change.
#[tokio::test]
async fn womens_day_is_the_paris_calendar_day_on_both_sides_of_utc_midnight() {
    let _cores = CORES.read().await;
    let server = Server::start().await;
    let base = with(
        percent_off("womens-day", "20"),
        json!({ "audience": { "attributes": { "gender": ["f"] } } }),
    );
    let by_instants = json!({ "timezone": "Europe/Paris",
        "starts_at": "2026-03-08T00:00:00+01:00", "ends_at": "2026-03-08T23:59:59+01:00" });
    let by_day = json!({ "timezone": "Europe/Paris", "days_of_week": ["sun"],
        "starts_at": "2026-03-02T00:00:00+01:00", "ends_at": "2026-03-14T23:59:59+01:00" });
    server
        .create(with(base.clone(), json!({ "schedule": by_instants })))
        .await;

    let shopper = |at: &str, gender: &str| {
        let mut b = basket("web", at, &[("1", "50.00")]);
        b["customer"] = json!({ "id": "c-8", "attributes": { "gender": gender } });
        b["explain"] = json!(true);
        b
    };
    for (round, schedule) in [("instants", by_instants), ("days", by_day)] {
        if round == "days" {
            server
                .replace(with(base.clone(), json!({ "schedule": schedule })))
                .await;
        }
        // 7 March, 23:59:59 in Paris: not yet.
        let before = server.evaluate(shopper("2026-03-07T22:59:59Z", "f")).await;
        assert_eq!(totals(&before), ("50.00", "0.00", "50.00"), "{round}");
        let (why, detail) = rejection(&before, "womens-day").expect("rejected");
        assert_eq!(why, "not_eligible", "{round}");
        let expected = match round {
            "instants" => "not started",
            _ => "local day sat not in [sun] (Europe/Paris)",
        };
        assert!(detail.contains(expected), "{round}: {detail}");

        // 8 March, 00:00:00 and 23:59:59 in Paris: 20 % of 50.00 = 10.00.
        for at in ["2026-03-07T23:00:00Z", "2026-03-08T22:59:59Z"] {
            let during = server.evaluate(shopper(at, "f")).await;
            assert_eq!(applied(&during), ["womens-day"], "{round} {at}");
            assert_eq!(totals(&during), ("50.00", "10.00", "40.00"), "{round} {at}");
            assert_eq!(during["rejected"], json!([]), "{round} {at}");
        }
        // The same instant written with the Paris offset.
        let local = server
            .evaluate(shopper("2026-03-08T00:00:00+01:00", "f"))
            .await;
        assert_eq!(totals(&local).1, "10.00", "{round}");

        // 9 March, 00:00:00 in Paris: over.
        let after = server.evaluate(shopper("2026-03-08T23:00:00Z", "f")).await;
        assert_eq!(totals(&after), ("50.00", "0.00", "50.00"), "{round}");
        assert_eq!(reason(&after, "womens-day"), "not_eligible", "{round}");

        // During the day, but gender=m.
        let m = server.evaluate(shopper("2026-03-08T12:00:00Z", "m")).await;
        assert_eq!(totals(&m).1, "0.00", "{round}");
        assert_eq!(
            rejection(&m, "womens-day"),
            Some(("not_eligible", "attribute gender m not in [f]")),
            "{round}"
        );
    }
}

/// 17:00–19:00 in stores, Paris time: UTC+1 in January, UTC+2 in July.
#[tokio::test]
async fn store_happy_hour_follows_paris_winter_and_summer_time() {
    let _cores = CORES.read().await;
    let server = Server::start().await;
    server
        .create(with(
            percent_off("happy-hour", "15"),
            json!({
                "audience": { "channels": ["store"] },
                "schedule": { "timezone": "Europe/Paris",
                              "hours": [ { "from": "17:00", "to": "19:00" } ] }
            }),
        ))
        .await;
    let till = |channel: &str, at: &str| {
        let mut b = basket(channel, at, &[("1", "40.00")]);
        b["store"] = json!("paris-rivoli");
        b["explain"] = json!(true);
        b
    };
    // 15 % of 40.00 = 6.00.
    for at in [
        "2026-01-15T16:30:00Z", // 17:30 CET
        "2026-07-15T15:30:00Z", // 17:30 CEST
        "2026-07-15T16:30:00Z", // 18:30 CEST
    ] {
        let answer = server.evaluate(till("store", at)).await;
        assert_eq!(applied(&answer), ["happy-hour"], "{at}");
        assert_eq!(totals(&answer), ("40.00", "6.00", "34.00"), "{at}");
    }
    for (at, local) in [
        ("2026-01-15T15:59:59Z", "16:59"), // CET
        ("2026-01-15T18:30:00Z", "19:30"), // CET
        ("2026-07-15T17:00:00Z", "19:00"), // CEST; `to` is exclusive
    ] {
        let answer = server.evaluate(till("store", at)).await;
        assert_eq!(totals(&answer), ("40.00", "0.00", "40.00"), "{at}");
        let detail = format!("local time {local} not in [17:00-19:00] (Europe/Paris)");
        assert_eq!(
            rejection(&answer, "happy-hour"),
            Some(("not_eligible", detail.as_str())),
            "{at}"
        );
    }
    // A web basket at a happy time.
    let web = server.evaluate(till("web", "2026-01-15T16:30:00Z")).await;
    assert_eq!(totals(&web), ("40.00", "0.00", "40.00"));
    assert_eq!(
        rejection(&web, "happy-hour"),
        Some(("not_eligible", "channel web not in [store]"))
    );
}

/// A gold card-holder qualifies for three offers of the group `loyalty`: 5 % (priority 3),
/// 10 % (priority 1) and 15 % (priority 2). The basket: 120.00 + 80.00 = 200.00.
#[tokio::test]
async fn gold_card_holder_gets_one_offer_of_the_group_under_each_policy() {
    let _cores = CORES.read().await;
    let server = Server::start().await;
    for (id, percent, priority) in [
        ("gold-5", "5", 3),
        ("gold-10", "10", 1),
        ("gold-15", "15", 2),
    ] {
        server
            .create(with(
                percent_off(id, percent),
                json!({
                    "priority": priority, "group": "loyalty",
                    "audience": { "loyalty_tiers": ["gold"], "segments": ["card-holder"] }
                }),
            ))
            .await;
    }
    let gold = |tier: &str| {
        let mut b = basket(
            "store",
            "2026-03-08T17:30:00+01:00",
            &[("1", "120.00"), ("2", "80.00")],
        );
        b["customer"] = json!({ "id": "c-123", "loyalty_tier": tier, "segments": ["card-holder"] });
        b
    };

    // Never configured: best_for_customer. 15 % of 200.00 = 30.00, allocated 120:80 →
    // 18.00 and 12.00.
    let answer = server.evaluate(gold("gold")).await;
    assert_eq!(applied(&answer), ["gold-15"]);
    assert_eq!(totals(&answer), ("200.00", "30.00", "170.00"));
    assert_eq!(
        lines(&answer),
        [("1", "18.00", "102.00"), ("2", "12.00", "68.00")]
    );
    for loser in ["gold-5", "gold-10"] {
        assert_eq!(
            rejection(&answer, loser),
            Some((
                "lost_conflict",
                "group loyalty: gold-15 won (best_for_customer)"
            ))
        );
    }

    // best_for_merchant: 5 % of 200.00 = 10.00 → 6.00 and 4.00.
    server.set_policy("loyalty", "best_for_merchant").await;
    let answer = server.evaluate(gold("gold")).await;
    assert_eq!(applied(&answer), ["gold-5"]);
    assert_eq!(totals(&answer), ("200.00", "10.00", "190.00"));
    assert_eq!(
        lines(&answer),
        [("1", "6.00", "114.00"), ("2", "4.00", "76.00")]
    );
    assert_eq!(reason(&answer, "gold-10"), "lost_conflict");
    assert_eq!(reason(&answer, "gold-15"), "lost_conflict");

    // priority: the lowest number, gold-10 (priority 1): 20.00 → 12.00 and 8.00.
    server.set_policy("loyalty", "priority").await;
    let answer = server.evaluate(gold("gold")).await;
    assert_eq!(applied(&answer), ["gold-10"]);
    assert_eq!(totals(&answer), ("200.00", "20.00", "180.00"));
    assert_eq!(
        lines(&answer),
        [("1", "12.00", "108.00"), ("2", "8.00", "72.00")]
    );
    assert_eq!(
        rejection(&answer, "gold-5"),
        Some(("lost_conflict", "group loyalty: gold-10 won (priority)"))
    );
    assert_eq!(reason(&answer, "gold-15"), "lost_conflict");

    let (status, group) = server
        .call(Method::GET, "/v1/groups/loyalty", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(group["policy"], "priority");

    // A silver card-holder gets none of them.
    let mut silver = gold("silver");
    silver["explain"] = json!(true);
    let answer = server.evaluate(silver).await;
    assert_eq!(totals(&answer), ("200.00", "0.00", "200.00"));
    for id in ["gold-5", "gold-10", "gold-15"] {
        assert_eq!(
            rejection(&answer, id),
            Some(("not_eligible", "loyalty tier silver not in [gold]"))
        );
    }
}

/// Two stackable campaigns (5.00 off, 10 % off) and an exclusive 25 % off, on 100.00.
#[tokio::test]
async fn an_exclusive_campaign_beats_the_stackable_ones() {
    let _cores = CORES.read().await;
    let server = Server::start().await;
    let five_off = json!({
        "id": "five-off", "name": "5 € off", "plugin": "threshold-discount", "status": "active",
        "params": { "tiers": [ { "min_subtotal": "0", "amount_off": "5.00" } ] }
    });
    server.create(five_off).await;
    server.create(percent_off("ten-percent", "10")).await;
    let at = "2026-11-27T10:00:00Z";
    let cart = basket("web", at, &[("1", "60.00"), ("2", "40.00")]);

    // Stacked: both on the same base of 100.00, 5.00 + 10.00 = 15.00.
    let stacked = server.evaluate(cart.clone()).await;
    assert_eq!(applied(&stacked), ["five-off", "ten-percent"]);
    assert_eq!(totals(&stacked), ("100.00", "15.00", "85.00"));

    server
        .create(with(
            percent_off("black-friday", "25"),
            json!({ "exclusive": true }),
        ))
        .await;
    // Alone: 25 % of 100.00 = 25.00, allocated 60:40 → 15.00 and 10.00.
    let answer = server.evaluate(cart).await;
    assert_eq!(applied(&answer), ["black-friday"]);
    assert_eq!(totals(&answer), ("100.00", "25.00", "75.00"));
    assert_eq!(
        lines(&answer),
        [("1", "15.00", "45.00"), ("2", "10.00", "30.00")]
    );
    for loser in ["five-off", "ten-percent"] {
        assert_eq!(
            rejection(&answer, loser),
            Some((
                "lost_conflict",
                "exclusive campaign black-friday applies alone"
            ))
        );
    }
}

/// `coupon_required`: the campaign is a candidate only when the basket carries a code.
/// (Any code will do for now: matching the campaign's own codes comes with coupon
/// management, so a wrong code is not tested here.)
#[tokio::test]
async fn a_coupon_only_campaign_needs_a_code_in_the_basket() {
    let _cores = CORES.read().await;
    let server = Server::start().await;
    server
        .create(with(
            percent_off("welcome10", "10"),
            json!({ "coupon_required": true }),
        ))
        .await;
    let mut cart = basket("app", "2026-03-08T12:00:00Z", &[("1", "80.00")]);
    cart["explain"] = json!(true);

    let (status, body) = server
        .call(
            Method::POST,
            "/v1/campaigns/welcome10/coupons",
            MARKETING,
            Some(json!({ "codes": ["WELCOME10"], "uses_per_code": 1000 })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let without = server.evaluate(cart.clone()).await;
    assert_eq!(totals(&without), ("80.00", "0.00", "80.00"));
    assert_eq!(
        rejection(&without, "welcome10"),
        Some(("not_eligible", "coupon required, basket has none"))
    );

    cart["coupons"] = json!(["NOPE"]);
    let unknown = server.evaluate(cart.clone()).await;
    assert_eq!(applied(&unknown), Vec::<&str>::new());
    assert_eq!(
        unknown["coupons"],
        json!([{ "code": "NOPE", "status": "unknown" }])
    );

    // Matching is case-insensitive. 10 % of 80.00 = 8.00.
    cart["coupons"] = json!(["welcome10"]);
    let with_code = server.evaluate(cart).await;
    assert_eq!(applied(&with_code), ["welcome10"]);
    assert_eq!(totals(&with_code), ("80.00", "8.00", "72.00"));
    assert_eq!(with_code["rejected"], json!([]));
    assert_eq!(with_code["applied"][0]["coupon"], "WELCOME10");
    assert_eq!(
        with_code["coupons"],
        json!([{ "code": "welcome10", "status": "applied", "campaign": "welcome10" }])
    );
}

/// docs/money.md: pants 100.00 + shirt 250.00, "20.00 off pants" and "10 % off the
/// order" give 100 − 20 + 250 = 330, then 330 − 33 = 297.00. The 33.00 is allocated on the
/// discounted line totals 80:250 → 8.00 and 25.00, so pants 100 − 20 − 8 = 72.00 and
/// shirt 250 − 25 = 225.00.
#[tokio::test]
async fn pants_and_shirt_of_spec_come_to_297() {
    let _cores = CORES.read().await;
    let server = Server::start().await;
    server
        .create(json!({
            "id": "pants-20", "name": "20.00 off pants", "plugin": "threshold-discount",
            "status": "active",
            "params": { "categories": ["pants"],
                        "tiers": [ { "min_subtotal": "0", "amount_off": "20.00" } ] }
        }))
        .await;
    server.create(percent_off("order-10", "10")).await;
    let cart = json!({
        "currency": "EUR", "channel": "web", "at": "2026-03-08T12:00:00+01:00",
        "lines": [
            { "id": "pants", "sku": "PANTS-42", "quantity": 1, "unit_price": "100.00",
              "categories": ["pants"] },
            { "id": "shirt", "sku": "SHIRT-M", "quantity": 1, "unit_price": "250.00",
              "categories": ["shirts"] }
        ]
    });
    let answer = server.evaluate(cart).await;
    assert_eq!(totals(&answer), ("350.00", "53.00", "297.00"));
    assert_eq!(
        lines(&answer),
        [("pants", "28.00", "72.00"), ("shirt", "25.00", "225.00")]
    );
    let discounts: Vec<(&str, &str)> = answer["applied"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    (
                        c["campaign"].as_str().unwrap_or("?"),
                        c["discount"].as_str().unwrap_or("?"),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // Both at priority 100: application order is by id.
    assert_eq!(discounts, [("order-10", "33.00"), ("pants-20", "20.00")]);
    assert_eq!(answer["rejected"], json!([]));
}

/// Every rejection reason the service can produce today, in one request, beside campaigns
/// that behave and still apply. Not producible through the service yet, so not here:
/// - `timeout`: it needs a plugin slower than its 50 ms deadline yet within its fuel
///   (10M units, about 2 ms of the hostile loop). The hostile guest's floods (`flood`,
///   `log-spam`) take about 11 ms, so they would time out only on an overloaded machine,
///   and per-plugin limits cannot be set through the service. `hostile.rs` covers it on
///   the runtime directly.
/// - `budget_exhausted` and `limit_reached`: budgets, caps and redemptions are the next
///   issues; the prefilter does not check them yet.
#[tokio::test]
async fn every_rejection_reason_is_reported_and_the_good_campaigns_still_apply() {
    let _cores = CORES.read().await;
    let server = Server::start().await;
    let (status, catalogue) = server
        .call(Method::GET, "/v1/plugins/hostile", MARKETING, None)
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "served from plugin_dir: {catalogue}"
    );

    for (id, mode) in [
        ("hostile-panic", "panic"),
        ("hostile-loop", "loop"),
        ("hostile-memory", "memory"),
        ("hostile-bad-percent", "bad-percent"),
        ("hostile-unknown-line", "unknown-line"),
        ("hostile-ok", "ok"),
    ] {
        server.create(hostile(id, mode)).await;
    }
    // Two of a group: spring-15 wins (best_for_customer), spring-5 loses.
    for (id, percent) in [("spring-15", "15"), ("spring-5", "5")] {
        server
            .create(with(percent_off(id, percent), json!({ "group": "spring" })))
            .await;
    }
    // The plugin runs and proposes nothing: 200.00 is below 1000.00.
    server
        .create(json!({
            "id": "too-far", "name": "too far", "plugin": "threshold-discount", "status": "active",
            "params": { "tiers": [ { "min_subtotal": "1000.00", "percent_off": "10" } ] }
        }))
        .await;
    // Set aside by the prefilter: a store campaign, a web basket.
    server
        .create(with(
            percent_off("store-only", "50"),
            json!({ "audience": { "channels": ["store"] } }),
        ))
        .await;

    let mut cart = basket(
        "web",
        "2026-03-08T12:00:00+01:00",
        &[("1", "150.00"), ("2", "50.00")],
    );
    cart["explain"] = json!(true);
    let answer = server.evaluate(cart.clone()).await;

    // hostile-ok (10 %, 20.00) and spring-15 (15 %, 30.00), both on the base 200.00:
    // 50.00, allocated 150:50 → 37.50 and 12.50.
    assert_eq!(applied(&answer), ["hostile-ok", "spring-15"], "{answer}");
    assert_eq!(totals(&answer), ("200.00", "50.00", "150.00"));
    assert_eq!(
        lines(&answer),
        [("1", "37.50", "112.50"), ("2", "12.50", "37.50")]
    );

    let expected = [
        (
            "hostile-panic",
            "plugin_error",
            "hostile guest panicked on purpose",
        ),
        ("hostile-loop", "fuel_exhausted", ""),
        ("hostile-memory", "memory_exceeded", ""),
        ("hostile-bad-percent", "invalid_effects", "150"),
        ("hostile-unknown-line", "invalid_effects", "999"),
        (
            "spring-5",
            "lost_conflict",
            "group spring: spring-15 won (best_for_customer)",
        ),
        (
            "too-far",
            "not_eligible",
            "threshold-discount proposed nothing for this basket",
        ),
        ("store-only", "not_eligible", "channel web not in [store]"),
    ];
    for (id, want, in_detail) in expected {
        let (why, detail) =
            rejection(&answer, id).unwrap_or_else(|| panic!("{id} not rejected: {answer}"));
        assert_eq!(why, want, "{id}: {detail}");
        assert!(detail.contains(in_detail), "{id}: {detail}");
    }
    assert_eq!(
        answer["rejected"].as_array().map(Vec::len),
        Some(expected.len()),
        "{answer}"
    );

    // Without explain the prefilter's rejection is left out; the rest stays.
    cart["explain"] = json!(false);
    let quiet = server.evaluate(cart).await;
    assert_eq!(totals(&quiet), ("200.00", "50.00", "150.00"));
    assert_eq!(rejection(&quiet, "store-only"), None);
    assert_eq!(reason(&quiet, "hostile-loop"), "fuel_exhausted");
    assert_eq!(reason(&quiet, "too-far"), "not_eligible");

    // The service is still up and well.
    let (status, _) = server.call(Method::GET, "/readyz", ADMIN, None).await;
    assert_eq!(status, StatusCode::OK);
}

/// Malformed requests: each gets its status and the JSON pointer of the field at fault.
#[tokio::test]
async fn malformed_requests_get_422_with_the_pointer_of_the_field() {
    let _cores = CORES.read().await;
    let server = Server::start().await;
    let good = basket("web", "2026-03-08T12:00:00Z", &[("1", "10.00")]);

    let mut quantity = good.clone();
    quantity["lines"][0]["quantity"] = json!("2");
    server
        .refused("/v1/evaluate", CHANNEL, quantity, &["/lines/0/quantity"])
        .await;

    let mut no_currency = good.clone();
    no_currency
        .as_object_mut()
        .expect("an object")
        .remove("currency");
    server
        .refused("/v1/evaluate", CHANNEL, no_currency, &["/currency"])
        .await;

    let bad_at = with(good.clone(), json!({ "at": "8 March 2026, 17:30" }));
    server
        .refused("/v1/evaluate", CHANNEL, bad_at, &["/at"])
        .await;

    let mut negative = good.clone();
    negative["lines"][0]["unit_price"] = json!("-1.00");
    server
        .refused("/v1/evaluate", CHANNEL, negative, &["/lines/0/unit_price"])
        .await;

    let zone = with(
        percent_off("nowhere", "10"),
        json!({ "schedule": { "timezone": "Europe/Atlantis" } }),
    );
    server
        .refused("/v1/campaigns", MARKETING, zone, &["/schedule/timezone"])
        .await;

    let hours = with(
        percent_off("late", "10"),
        json!({ "schedule": { "timezone": "Europe/Paris",
                              "hours": [ { "from": "25:00", "to": "26:00" } ] } }),
    );
    server
        .refused(
            "/v1/campaigns",
            MARKETING,
            hours,
            &["/schedule/hours/0/from"],
        )
        .await;

    let hostile_params = hostile("bad-mode", "explode");
    server
        .refused(
            "/v1/campaigns",
            MARKETING,
            hostile_params,
            &["/params/mode"],
        )
        .await;

    let (status, problem) = server
        .call(
            Method::PUT,
            "/v1/groups/loyalty",
            MARKETING,
            Some(json!({ "policy": "cheapest" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(pointers(&problem), ["/policy"]);

    // Nothing above was stored.
    let (status, listed) = server
        .call(Method::GET, "/v1/campaigns", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed, json!([]));
}

/// The `schema-limits` guest states its limits (1 to 10 %, a label of 2 to 8 capitals) only in
/// its params JSON Schema; its own check accepts anything that parses. Every campaign write is
/// checked against that schema by the service: a 422 whose pointers point into the body, with
/// the validator's messages. A plugin whose schema does not compile is not served at all.
#[tokio::test]
async fn campaign_params_are_checked_against_the_plugins_json_schema() {
    let _cores = CORES.read().await;
    let server = Server::start_with(&["schema-limits", "bad-schema"]).await;
    let campaign = |id: &str, params: Value| {
        json!({ "id": id, "name": id, "plugin": "schema-limits", "status": "active",
                "params": params })
    };
    let (status, problem) = server
        .call(
            Method::POST,
            "/v1/campaigns",
            MARKETING,
            Some(campaign(
                "too-much",
                json!({ "percent_off": 11, "label": "spring" }),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let mut errors = problem["errors"].as_array().cloned().unwrap_or_default();
    errors.sort_by_key(|e| e["pointer"].to_string());
    assert_eq!(
        errors,
        [
            json!({ "pointer": "/params/label",
                    "message": "\"spring\" does not match \"^[A-Z]{2,8}$\"" }),
            json!({ "pointer": "/params/percent_off",
                    "message": "11 is greater than the maximum of 10" }),
        ],
        "{problem}"
    );

    server
        .create(campaign(
            "ten",
            json!({ "percent_off": 10, "label": "SPRING" }),
        ))
        .await;
    // A replacement is checked too.
    let (status, problem) = server
        .call(
            Method::PUT,
            "/v1/campaigns/ten",
            MARKETING,
            Some(campaign("ten", json!({ "percent_off": 50 }))),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(pointers(&problem), ["/params/percent_off"]);
    // Nothing of the refused writes was kept: 10 % of 80.00 = 8.00.
    let answer = server
        .evaluate(basket("web", "2026-03-08T12:00:00Z", &[("1", "80.00")]))
        .await;
    assert_eq!(applied(&answer), ["ten"]);
    assert_eq!(totals(&answer), ("80.00", "8.00", "72.00"));

    let (status, body) = server
        .call(Method::GET, "/v1/plugins/bad-schema", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

/// One looping campaign among 60 well-behaved siblings of the same plugin: the plugin runs
/// once for all 61 (one sandbox), fails, and each campaign runs again alone. The loop ends
/// in `fuel_exhausted` and the 60 siblings apply, on every evaluation of the same basket.
/// (The shared run used to get 61 × 10M fuel, past the 50 ms deadline: all 61 then got
/// `timeout`, and with 41 the answer flipped between the two.)
#[tokio::test]
async fn a_looping_campaign_never_costs_its_siblings_of_the_same_plugin() {
    let _cores = CORES.write().await;
    let server = Server::start().await;
    // A tenth of the default fuel: the loop runs out of it in a few milliseconds, twice
    // (shared run, then alone), well inside the request's 50 ms of plugin time even on a
    // loaded 2-core machine, where 2 × 10M units did not always fit. Charging the siblings
    // for it (61 × the fuel) would still overrun the deadline.
    let (status, limits) = server
        .call(
            Method::PUT,
            "/v1/plugins/hostile/limits",
            OPS,
            Some(json!({ "fuel": 1_000_000 })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{limits}");
    server.create(hostile("a-loop", "loop")).await;
    for i in 0..60 {
        server.create(hostile(&format!("ok-{i:02}"), "ok")).await;
    }
    let cart = basket("web", "2026-03-08T12:00:00+01:00", &[("1", "100.00")]);
    for round in 0..5 {
        let answer = server.evaluate(cart.clone()).await;
        // 60 × 10 % of 100.00 = 600.00, clamped at the base: 100.00.
        assert_eq!(applied(&answer).len(), 60, "round {round}: {answer}");
        assert_eq!(
            totals(&answer),
            ("100.00", "100.00", "0.00"),
            "round {round}"
        );
        assert_eq!(
            answer["rejected"],
            json!([ { "campaign": "a-loop", "reason": "fuel_exhausted",
                      "detail": "plugin ran out of fuel (1000000 units)" } ]),
            "round {round}"
        );
    }
}
