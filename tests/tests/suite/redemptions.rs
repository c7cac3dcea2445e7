//! Redemptions over real HTTP (issue 4): idempotent commits, cancels that give everything
//! back, budgets and caps that concurrent commits never oversubscribe, coupon uses,
//! per-customer limits counted in the campaign's timezone, and stats that survive a
//! restart. Every expected amount is worked out by hand in the comment next to it.

use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::HashMap;

/// One line at `price`, on the web, for `customer`, at `at`.
fn order(id: &str, customer: &str, price: &str, at: &str) -> Value {
    json!({
        "order_id": id, "currency": "EUR", "channel": "web", "at": at, "explain": true,
        "customer": { "id": customer },
        "lines": [ { "id": "1", "sku": "SKU-1", "quantity": 1, "unit_price": price } ]
    })
}

const SUNDAY_NOON_PARIS: &str = "2026-03-08T12:00:00+01:00";

fn rejection_of(answer: &Value, campaign: &str) -> Option<(String, String)> {
    answer["rejected"].as_array()?.iter().find_map(|r| {
        (r["campaign"] == campaign).then(|| {
            (
                r["reason"].as_str().unwrap_or("?").to_string(),
                r["detail"].as_str().unwrap_or("?").to_string(),
            )
        })
    })
}

#[tokio::test]
async fn a_commit_is_idempotent_and_a_cancel_gives_everything_back() {
    let server = Server::start_held_at(SUNDAY_NOON_PARIS).await;
    let limits = json!({ "budget": "100.00", "budget_currency": "EUR", "redemptions": 10, "per_customer": 2,
                         "per_customer_period": "day" });
    server
        .create(offer(
            "ten-off",
            json!({ "percent_off": "10" }),
            json!({ "limits": limits }),
        ))
        .await;

    // 10 % of 50.00 = 5.00.
    let Answer {
        status,
        body: first,
        ..
    } = server
        .commit(order("o-1", "c-1", "50.00", SUNDAY_NOON_PARIS))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["order_id"], "o-1");
    assert_eq!(discount_of(&first, "ten-off"), Some("5.00"));

    // The same order again: the first answer, counted once.
    let response = server
        .client
        .post(format!("{}/v1/redemptions", server.base))
        .bearer_auth(CHANNEL)
        .json(&order("o-1", "c-1", "50.00", SUNDAY_NOON_PARIS))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let again: Value = response.json().await.expect("json");
    assert_eq!(again, first);

    // The same order id with another basket.
    let Answer {
        status,
        body: problem,
        ..
    } = server
        .commit(order("o-1", "c-1", "60.00", SUNDAY_NOON_PARIS))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    let stats = server.stats("ten-off").await;
    assert_eq!(stats["redemptions"], 1);
    assert_eq!(stats["discount_granted"], "5.00");
    assert_eq!(stats["budget_left"], "95.00");
    assert_eq!(stats["redemptions_left"], 9);
    assert_eq!(
        stats["by_channel"],
        json!([{ "channel": "web", "redemptions": 1, "discount": "5.00" }])
    );
    assert_eq!(
        stats["by_day"],
        json!([{ "date": "2026-03-08", "redemptions": 1, "discount": "5.00" }])
    );

    // Two a day per customer: o-2 applies, o-3 does not.
    let Answer {
        status,
        body: second,
        ..
    } = server
        .commit(order("o-2", "c-1", "20.00", SUNDAY_NOON_PARIS))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(discount_of(&second, "ten-off"), Some("2.00"));
    let Answer { body: third, .. } = server
        .commit(order("o-3", "c-1", "20.00", SUNDAY_NOON_PARIS))
        .await;
    assert_eq!(discount_of(&third, "ten-off"), None);
    assert_eq!(
        rejection_of(&third, "ten-off"),
        Some((
            "limit_reached".into(),
            "customer c-1 used it 2 of 2 times today".into()
        ))
    );
    // 23:30 UTC is already Monday in Paris: a new day for the customer.
    server.set_clock("2026-03-08T23:30:00Z");
    let Answer { body: monday, .. } = server
        .commit(order("o-4", "c-1", "20.00", "2026-03-08T23:30:00Z"))
        .await;
    assert_eq!(discount_of(&monday, "ten-off"), Some("2.00"));
    server.set_clock(SUNDAY_NOON_PARIS);

    // Cancelling o-2 gives back its redemption, its 2.00 and the customer's use.
    let (status, cancelled) = server.cancel("o-2").await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    let (status, twice) = server.cancel("o-2").await;
    assert_eq!(status, StatusCode::OK, "{twice}");
    assert_eq!(twice, cancelled);
    let (status, problem) = server.cancel("never-committed").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    let Answer {
        status,
        body: problem,
        ..
    } = server
        .commit(order("o-2", "c-1", "20.00", SUNDAY_NOON_PARIS))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let stats = server.stats("ten-off").await;
    // o-1 (5.00) and o-4 (2.00) remain.
    assert_eq!(stats["redemptions"], 2);
    assert_eq!(stats["discount_granted"], "7.00");
    assert_eq!(stats["budget_left"], "93.00");
    let Answer { body: fifth, .. } = server
        .commit(order("o-5", "c-1", "30.00", SUNDAY_NOON_PARIS))
        .await;
    assert_eq!(discount_of(&fifth, "ten-off"), Some("3.00"));
}

#[tokio::test]
async fn a_retry_that_means_the_same_basket_replays_the_first_answer() {
    // Issue 15 item 12: idempotency is about meaning, not spelling.
    let server = Server::start_held_at(SUNDAY_NOON_PARIS).await;
    server
        .create(offer("ten-off", json!({ "percent_off": "10" }), json!({})))
        .await;
    let spelled = |price: &str, code: &str, at: &str| {
        let mut order = order("o-1", "c-1", price, at);
        order["coupons"] = json!([code]);
        order
    };

    // 10 % of 19.90 = 1.99.
    let first = server
        .commit(spelled("19.9", "welcome", "2026-03-08T12:00:00+01:00"))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(discount_of(&first.body, "ten-off"), Some("1.99"));

    // The same order, spelled otherwise: 19.90 for 19.9, the code as it is matched
    // (upper case, spaces around it ignored), the same instant written in UTC.
    let again = server
        .commit(spelled("19.90", " WELCOME ", "2026-03-08T11:00:00Z"))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    let trailing = server
        .commit(spelled("19.900000", "Welcome", "2026-03-08T11:00:00.000Z"))
        .await;
    assert_eq!(trailing.status, StatusCode::OK, "{}", trailing.body);
    assert_eq!(trailing.body, first.body);

    // What means another basket is still a conflict: another price, another code, another
    // instant.
    for (price, code, at) in [
        ("19.91", "welcome", "2026-03-08T12:00:00+01:00"),
        ("19.9", "welcome2", "2026-03-08T12:00:00+01:00"),
        ("19.9", "welcome", "2026-03-08T12:00:01+01:00"),
    ] {
        let other = server.commit(spelled(price, code, at)).await;
        assert_eq!(
            other.status,
            StatusCode::CONFLICT,
            "{price} {code} {at}: {}",
            other.body
        );
    }
    assert_eq!(server.stats("ten-off").await["redemptions"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_commits_never_oversubscribe_a_cap_or_a_budget() {
    let server = Server::start_held_at(SUNDAY_NOON_PARIS).await;
    // A cap of 50 redemptions; a budget of 100.00 at 3.70 an order (27 × 3.70 = 99.90,
    // then 0.10 cannot cover 3.70); a budget of 50.00 that may grant part (13 × 3.70 =
    // 48.10, then the 14th gets the 1.90 left).
    server
        .create(offer(
            "capped",
            json!({ "percent_off": "10" }),
            json!({ "limits": { "redemptions": 50 } }),
        ))
        .await;
    server
        .create(offer(
            "budget",
            json!({ "amount_off": "3.70" }),
            json!({ "limits": { "budget": "100.00", "budget_currency": "EUR" } }),
        ))
        .await;
    server
        .create(offer(
            "partial",
            json!({ "amount_off": "3.70" }),
            json!({ "limits": { "budget": "50.00", "budget_currency": "EUR", "partial": true } }),
        ))
        .await;

    let orders = (0..200)
        .map(|i| {
            order(
                &format!("o-{i}"),
                &format!("c-{i}"),
                "100.00",
                SUNDAY_NOON_PARIS,
            )
        })
        .collect();
    let answers = commit_at_once(&[&server], orders).await;
    let mut applied: HashMap<&str, Vec<String>> = HashMap::new();
    for (_, status, answer) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{answer}");
        for campaign in ["capped", "budget", "partial"] {
            if let Some(discount) = discount_of(answer, campaign) {
                applied
                    .entry(campaign)
                    .or_default()
                    .push(discount.to_string());
            }
        }
    }
    assert_eq!(applied["capped"].len(), 50);
    assert!(applied["capped"].iter().all(|d| d == "10.00"));
    assert_eq!(applied["budget"].len(), 27);
    assert!(applied["budget"].iter().all(|d| d == "3.70"));
    let mut partial = applied["partial"].clone();
    partial.sort();
    assert_eq!(partial.len(), 14);
    assert_eq!(partial[0], "1.90");
    assert!(partial[1..].iter().all(|d| d == "3.70"));

    let capped = server.stats("capped").await;
    assert_eq!(capped["redemptions"], 50);
    assert_eq!(capped["discount_granted"], "500.00");
    assert_eq!(capped["redemptions_left"], 0);
    assert_eq!(capped["objective_met"], true);
    let budget = server.stats("budget").await;
    assert_eq!(budget["redemptions"], 27);
    assert_eq!(budget["discount_granted"], "99.90");
    assert_eq!(budget["budget_left"], "0.10");
    let partial = server.stats("partial").await;
    assert_eq!(partial["redemptions"], 14);
    assert_eq!(partial["discount_granted"], "50.00");
    assert_eq!(partial["budget_left"], "0.00");
    assert_eq!(partial["objective_met"], true);

    // Every order that did not get "budget" was told why.
    let Answer { body: late, .. } = server
        .commit(order("late", "c-late", "100.00", SUNDAY_NOON_PARIS))
        .await;
    assert_eq!(
        rejection_of(&late, "budget"),
        Some((
            "budget_exhausted".into(),
            "its discount 3.70 is more than the 0.10 EUR left of its budget".into()
        ))
    );
    assert_eq!(
        rejection_of(&late, "capped"),
        Some(("limit_reached".into(), "50 of 50 redemptions used".into()))
    );
    assert_eq!(
        rejection_of(&late, "partial").map(|r| r.0),
        Some("budget_exhausted".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_order_sent_at_once_with_two_baskets_among_others_is_committed_once() {
    // Commits on the same capped campaign are written together, many in one transaction
    // (group commit): the same order twice in one group must count once, and the one
    // refused must cost none of the others.
    let server = Server::start_held_at(SUNDAY_NOON_PARIS).await;
    server
        .create(offer(
            "capped",
            json!({ "percent_off": "10" }),
            json!({ "limits": { "redemptions": 1000 } }),
        ))
        .await;
    // Every third request is order "twice": at 100.00 or at 80.00, in turn.
    let orders: Vec<Value> = (0..60)
        .map(|i| match i % 3 {
            0 if i % 2 == 0 => order("twice", "c-twice", "100.00", SUNDAY_NOON_PARIS),
            0 => order("twice", "c-twice", "80.00", SUNDAY_NOON_PARIS),
            _ => order(
                &format!("o-{i}"),
                &format!("c-{i}"),
                "50.00",
                SUNDAY_NOON_PARIS,
            ),
        })
        .collect();
    let answers: Vec<_> = commit_at_once(&[&server], orders.clone())
        .await
        .into_iter()
        .map(|(i, status, answer)| {
            let order = &orders[i];
            (
                order["order_id"].clone(),
                order["lines"][0]["unit_price"].clone(),
                status,
                answer,
            )
        })
        .collect();
    let twice: Vec<_> = answers.iter().filter(|a| a.0 == "twice").collect();
    let others: Vec<_> = answers.iter().filter(|a| a.0 != "twice").collect();
    assert_eq!(others.len(), 40);
    for (order_id, _, status, answer) in &others {
        assert_eq!(*status, StatusCode::CREATED, "{order_id}: {answer}");
        assert_eq!(discount_of(answer, "capped"), Some("5.00"), "{answer}");
    }
    // One of the 20 commits of "twice" wrote it; those with its basket answer it again,
    // those with the other basket are refused.
    let created: Vec<_> = twice
        .iter()
        .filter(|a| a.2 == StatusCode::CREATED)
        .collect();
    assert_eq!(created.len(), 1, "{twice:?}");
    let kept = &created[0].1;
    for (_, price, status, answer) in &twice {
        if price == kept {
            assert!(
                *status == StatusCode::CREATED || *status == StatusCode::OK,
                "{status}: {answer}"
            );
            assert_eq!(*answer, created[0].3);
        } else {
            assert_eq!(*status, StatusCode::CONFLICT, "{answer}");
        }
    }
    let capped = server.stats("capped").await;
    assert_eq!(capped["redemptions"], 41);
    let twice_discount = if kept == "100.00" { 10 } else { 8 };
    assert_eq!(
        capped["discount_granted"],
        format!("{}.00", 40 * 5 + twice_discount)
    );
}

/// `order` in `currency`.
fn order_in(currency: &str, id: &str, price: &str) -> Value {
    let mut order = order(id, id, price, SUNDAY_NOON_PARIS);
    order["currency"] = json!(currency);
    order
}

#[tokio::test]
async fn a_budget_names_its_currency_and_only_baskets_in_it_spend_it() {
    // Issue 15 item 11.
    let server = Server::start_held_at(SUNDAY_NOON_PARIS).await;
    let budget = |limits: Value| {
        offer(
            "eur",
            json!({ "percent_off": "10" }),
            json!({ "limits": limits }),
        )
    };
    // A budget without its currency, or with one that is not an active ISO 4217 code.
    for limits in [
        json!({ "budget": "10.00" }),
        json!({ "budget": "10.00", "budget_currency": "eur" }),
        json!({ "budget": "10.00", "budget_currency": "EUX" }),
        json!({ "budget_currency": "EUR" }),
    ] {
        server
            .refused(
                "/v1/campaigns",
                MARKETING,
                budget(limits),
                &["/limits/budget_currency"],
            )
            .await;
    }
    server
        .create(budget(
            json!({ "budget": "10.00", "budget_currency": "EUR" }),
        ))
        .await;
    let stats = server.stats("eur").await;
    assert_eq!(
        (&stats["currency"], &stats["budget_left"]),
        (&json!("EUR"), &json!("10.00"))
    );

    // A basket in dollars, first: the campaign does not apply to it, and says why.
    let mut basket = order_in("USD", "-", "50.00");
    if let Some(fields) = basket.as_object_mut() {
        fields.remove("order_id");
    }
    for answer in [
        server.evaluate(basket).await,
        server.commit(order_in("USD", "o-usd", "50.00")).await.body,
    ] {
        assert_eq!(discount_of(&answer, "eur"), None, "{answer}");
        assert_eq!(
            rejection_of(&answer, "eur"),
            Some((
                "not_eligible".into(),
                "its budget is in EUR, the basket is in USD".into()
            ))
        );
    }
    // Euros spend it: 10 % of 50.00 = 5.00.
    let euros = server.commit(order_in("EUR", "o-eur", "50.00")).await;
    assert_eq!(
        discount_of(&euros.body, "eur"),
        Some("5.00"),
        "{}",
        euros.body
    );
    let stats = server.stats("eur").await;
    assert_eq!(stats["budget_left"], "5.00");
    assert_eq!(stats["redemptions"], 1);

    // Spent in euros, it cannot move to dollars; given back, it can.
    let mut dollars = budget(json!({ "budget": "10.00", "budget_currency": "USD" }));
    let (status, problem) = server
        .call(
            Method::PUT,
            "/v1/campaigns/eur",
            MARKETING,
            Some(dollars.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(pointers(&problem), ["/limits/budget_currency"]);
    assert_eq!(server.cancel("o-eur").await.0, StatusCode::OK);
    assert_eq!(server.stats("eur").await["budget_left"], "10.00");
    dollars["name"] = json!("now in dollars");
    server.replace(dollars).await;
    let usd = server.commit(order_in("USD", "o-usd-2", "30.00")).await;
    assert_eq!(discount_of(&usd.body, "eur"), Some("3.00"), "{}", usd.body);
    let stats = server.stats("eur").await;
    assert_eq!(
        (&stats["currency"], &stats["budget_left"]),
        (&json!("USD"), &json!("7.00"))
    );
}

#[tokio::test]
async fn orders_without_a_discount_and_cancels_fix_no_currency() {
    // Issue 15 item 11: the currency a campaign's grants count in is that of its first
    // order that granted money.
    let server = Server::start_held_at(SUNDAY_NOON_PARIS).await;
    server
        .create(offer("any", json!({ "percent_off": "10" }), json!({})))
        .await;
    // 10 % of 0.04 is 0.004, 0.00 once rounded: the campaign applies, grants nothing, and
    // fixes no currency.
    let free = server.commit(order_in("USD", "o-free", "0.04")).await;
    assert_eq!(
        discount_of(&free.body, "any"),
        Some("0.00"),
        "{}",
        free.body
    );
    let stats = server.stats("any").await;
    assert_eq!(stats["redemptions"], 1);
    assert_eq!(stats.get("currency"), None, "{stats}");
    let euros = server.commit(order_in("EUR", "o-eur", "20.00")).await;
    assert_eq!(discount_of(&euros.body, "any"), Some("2.00"));
    assert_eq!(server.stats("any").await["currency"], "EUR");
    // Every grant given back: no currency any more; the next order that grants fixes it.
    assert_eq!(server.cancel("o-eur").await.0, StatusCode::OK);
    let stats = server.stats("any").await;
    assert_eq!(
        (stats.get("currency"), &stats["discount_granted"]),
        (None, &json!("0.00"))
    );
    let yen = server.commit(order_in("JPY", "o-jpy", "1000")).await;
    assert_eq!(discount_of(&yen.body, "any"), Some("100"), "{}", yen.body);
    let stats = server.stats("any").await;
    assert_eq!(
        (&stats["currency"], &stats["discount_granted"]),
        (&json!("JPY"), &json!("100"))
    );
}

#[tokio::test]
async fn a_budget_stored_without_its_currency_still_loads_and_keeps_the_old_rule() {
    // Issue 15 item 11: campaigns stored before budgets named their currency (those whose
    // budget migration 5 found unspent) load, spend in the currency of their first order
    // that grants money, can be paused, and must name the currency on their next write.
    let server = Server::start_held_at(SUNDAY_NOON_PARIS).await;
    let legacy = offer(
        "legacy",
        json!({ "percent_off": "10" }),
        json!({ "limits": { "budget": "10.00" } }),
    );
    let mut written = legacy.clone();
    written["limits"]["budget_currency"] = json!("EUR");
    server.create(written).await;
    let body = legacy.to_string().replace('\'', "''");
    remise::store::testing::execute(
        server.database_url(),
        &format!("UPDATE campaigns SET body = '{body}' WHERE id = 'legacy'"),
    )
    .await;
    let server = server.restart().await;
    let (status, stored) = server
        .call(Method::GET, "/v1/campaigns/legacy", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["limits"], json!({ "budget": "10.00" }));

    // An order without a discount in dollars (10 % of 0.04 rounds to 0.00) fixes nothing;
    // euros that grant do.
    let free = server.commit(order_in("USD", "o-free", "0.04")).await;
    assert_eq!(
        discount_of(&free.body, "legacy"),
        Some("0.00"),
        "{}",
        free.body
    );
    let euros = server.commit(order_in("EUR", "o-eur", "20.00")).await;
    assert_eq!(
        discount_of(&euros.body, "legacy"),
        Some("2.00"),
        "{}",
        euros.body
    );
    let stats = server.stats("legacy").await;
    assert_eq!(
        (&stats["currency"], &stats["budget_left"]),
        (&json!("EUR"), &json!("8.00"))
    );
    let dollars = server.commit(order_in("USD", "o-usd", "20.00")).await;
    assert_eq!(
        rejection_of(&dollars.body, "legacy"),
        Some((
            "not_eligible".into(),
            "its budget is in EUR, the basket is in USD".into()
        ))
    );

    // Pausing changes only the status; any other write names the currency.
    let (status, paused) = server
        .call(Method::POST, "/v1/campaigns/legacy/pause", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{paused}");
    let (status, problem) = server
        .call(
            Method::PATCH,
            "/v1/campaigns/legacy",
            MARKETING,
            Some(json!({ "name": "renamed" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(pointers(&problem), ["/limits/budget_currency"]);
}

#[tokio::test]
async fn an_order_belongs_to_the_channel_key_that_committed_it() {
    // Issue 15 item 13: another channel's key can neither cancel an order nor read it by
    // replaying it; it is answered as if the order did not exist (404), or, for a commit
    // under a taken order id, a 409 that gives nothing of the order away. An admin key
    // may still cancel it.
    let server = Server::start_held_at(SUNDAY_NOON_PARIS).await;
    server
        .create(offer("ten-off", json!({ "percent_off": "10" }), json!({})))
        .await;
    let web = server
        .commit(order("o-1", "c-1", "50.00", SUNDAY_NOON_PARIS))
        .await;
    assert_eq!(web.status, StatusCode::CREATED, "{}", web.body);

    // The store's key: no replay, no answer, no cancel.
    let replay = server
        .commit_with(
            STORE_CHANNEL,
            order("o-1", "c-1", "50.00", SUNDAY_NOON_PARIS),
        )
        .await;
    assert_eq!(replay.status, StatusCode::CONFLICT, "{}", replay.body);
    assert_eq!(replay.header("idempotent-replayed"), None);
    assert_eq!(replay.body["type"], "https://remise.dev/problems/conflict");
    // Quoted: a random instance id may hold "c-1" by chance.
    assert!(
        !replay.body.to_string().contains("\"c-1\""),
        "{}",
        replay.body
    );
    assert!(replay.body.get("applied").is_none(), "{}", replay.body);
    let (status, problem) = server.cancel_with(STORE_CHANNEL, "o-1").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    let (status, never) = server.cancel_with(STORE_CHANNEL, "o-never").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{never}");
    assert_eq!(
        problem["detail"]
            .as_str()
            .map(|d| d.replace("o-1", "o-never")),
        never["detail"].as_str().map(str::to_string),
        "told apart from an order that does not exist"
    );
    let stats = server.stats("ten-off").await;
    assert_eq!(
        (&stats["redemptions"], &stats["discount_granted"]),
        (&json!(1), &json!("5.00"))
    );

    // The key that committed it still replays it.
    let again = server
        .commit(order("o-1", "c-1", "50.00", SUNDAY_NOON_PARIS))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body, web.body);

    // Stored: the key's hash, never the key.
    let stored = remise::store::testing::strings(
        server.database_url(),
        "SELECT key_hash FROM redemptions WHERE order_id = 'o-1'",
    )
    .await;
    assert_eq!(stored, [Some(remise::auth::hash_key(CHANNEL))]);

    // An ops key may not cancel orders at all; the admin key cancels anyone's.
    let (status, _) = server.cancel_with(OPS, "o-1").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, cancelled) = server.cancel_with(ADMIN, "o-1").await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(server.cancel("o-1").await, (StatusCode::OK, cancelled));
    assert_eq!(server.stats("ten-off").await["redemptions"], 0);

    // The store's key commits orders of its own, which the web's key cannot cancel.
    let store = server
        .commit_with(
            STORE_CHANNEL,
            order("s-1", "c-2", "20.00", SUNDAY_NOON_PARIS),
        )
        .await;
    assert_eq!(store.status, StatusCode::CREATED, "{}", store.body);
    assert_eq!(server.cancel("s-1").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        server.cancel_with(STORE_CHANNEL, "s-1").await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_order_committed_before_orders_named_their_key_is_any_channels() {
    // Issue 15 item 13: rows of before migration 6 have no key: every channel key may
    // replay and cancel them, as every one could then.
    let server = Server::start_held_at(SUNDAY_NOON_PARIS).await;
    server
        .create(offer("ten-off", json!({ "percent_off": "10" }), json!({})))
        .await;
    let first = server
        .commit(order("o-old", "c-1", "50.00", SUNDAY_NOON_PARIS))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    remise::store::testing::execute(
        server.database_url(),
        "UPDATE redemptions SET key_hash = NULL WHERE order_id = 'o-old'",
    )
    .await;
    let replay = server
        .commit_with(
            STORE_CHANNEL,
            order("o-old", "c-1", "50.00", SUNDAY_NOON_PARIS),
        )
        .await;
    assert_eq!(replay.status, StatusCode::OK, "{}", replay.body);
    assert_eq!(replay.body, first.body);
    assert_eq!(
        server.cancel_with(STORE_CHANNEL, "o-old").await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn coupon_uses_are_taken_by_commits_and_given_back_by_cancels() {
    let server = Server::start_held_at(SUNDAY_NOON_PARIS).await;
    server
        .create(offer(
            "welcome",
            json!({ "percent_off": "10" }),
            json!({ "coupon_required": true }),
        ))
        .await;
    let (status, body) = server
        .call(
            Method::POST,
            "/v1/campaigns/welcome/coupons",
            MARKETING,
            Some(json!({ "codes": ["TWICE"], "uses_per_code": 2 })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = server
        .call(
            Method::POST,
            "/v1/campaigns/welcome/coupons",
            MARKETING,
            Some(json!({ "codes": ["OLD"], "expires_at": "2027-01-01T00:00:00Z" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let with_code = |id: &str, code: &str| {
        let mut order = order(id, id, "50.00", SUNDAY_NOON_PARIS);
        order["coupons"] = json!([code]);
        order
    };

    for id in ["o-1", "o-2"] {
        let Answer {
            status,
            body: answer,
            ..
        } = server.commit(with_code(id, "twice")).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        assert_eq!(discount_of(&answer, "welcome"), Some("5.00"));
        assert_eq!(answer["applied"][0]["coupon"], "TWICE");
    }
    let Answer { body: third, .. } = server.commit(with_code("o-3", "TWICE")).await;
    assert_eq!(discount_of(&third, "welcome"), None);
    assert_eq!(
        third["coupons"],
        json!([{ "code": "TWICE", "status": "used_up", "campaign": "welcome" }])
    );
    assert_eq!(
        rejection_of(&third, "welcome"),
        Some((
            "limit_reached".into(),
            "coupon TWICE is used up (2 of 2 uses)".into()
        ))
    );
    // A basket of June 2027 comes after the code's end.
    let mut june = with_code("o-4", "old");
    june["at"] = json!("2027-06-01T12:00:00+02:00");
    server.set_clock("2027-06-01T12:00:00+02:00");
    let Answer { body: old, .. } = server.commit(june).await;
    server.set_clock(SUNDAY_NOON_PARIS);
    assert_eq!(
        old["coupons"],
        json!([{ "code": "old", "status": "expired", "campaign": "welcome" }])
    );

    // A cancel gives the use back.
    let (status, _) = server.cancel("o-1").await;
    assert_eq!(status, StatusCode::OK);
    let Answer { body: fifth, .. } = server.commit(with_code("o-5", "TWICE")).await;
    assert_eq!(discount_of(&fifth, "welcome"), Some("5.00"));
    let (status, page) = server
        .call(
            Method::GET,
            "/v1/campaigns/welcome/coupons?search=tw",
            MARKETING,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["coupons"][0]["code"], "TWICE");
    assert_eq!(page["coupons"][0]["uses"], 2);
}

#[tokio::test]
async fn stats_count_evaluations_and_survive_a_restart() {
    let server = Server::start_held_at(SUNDAY_NOON_PARIS).await;
    server
        .create(offer(
            "from-30",
            json!({ "percent_off": "10" }),
            json!({ "audience": { "channels": ["web", "store"] } }),
        ))
        .await;
    let basket = |price: &str| {
        let mut basket = order("-", "c-1", price, SUNDAY_NOON_PARIS);
        if let Some(fields) = basket.as_object_mut() {
            fields.remove("order_id");
        }
        basket
    };
    for price in ["10.00", "20.00", "30.00"] {
        server.evaluate(basket(price)).await;
    }
    let Answer { status, .. } = server
        .commit(order("o-1", "c-1", "40.00", SUNDAY_NOON_PARIS))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut store_order = order("o-2", "c-2", "80.00", "2026-03-09T09:00:00+01:00");
    store_order["channel"] = json!("store");
    server.set_clock("2026-03-09T09:00:00+01:00");
    let Answer { status, .. } = server.commit(store_order).await;
    assert_eq!(status, StatusCode::CREATED);

    let before = server.stats("from-30").await;
    // Three evaluations and two commits ran the plugin for it; it applied each time.
    assert_eq!(before["evaluations"], 5);
    assert_eq!(before["applications"], 5);
    assert_eq!(before["redemptions"], 2);
    // 4.00 + 8.00.
    assert_eq!(before["discount_granted"], "12.00");
    assert_eq!(
        before["by_channel"],
        json!([
            { "channel": "store", "redemptions": 1, "discount": "8.00" },
            { "channel": "web", "redemptions": 1, "discount": "4.00" }
        ])
    );
    assert_eq!(
        before["by_day"],
        json!([
            { "date": "2026-03-08", "redemptions": 1, "discount": "4.00" },
            { "date": "2026-03-09", "redemptions": 1, "discount": "8.00" }
        ])
    );

    let server = server.restart().await;
    assert_eq!(server.stats("from-30").await, before);
    let (status, problem) = server
        .call(Method::GET, "/v1/campaigns/nope/stats", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
}

#[tokio::test]
async fn malformed_commits_get_422_with_the_pointer_of_the_field() {
    let server = Server::start_held_at(SUNDAY_NOON_PARIS).await;
    let good = order("o-1", "c-1", "10.00", SUNDAY_NOON_PARIS);
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut missing = good.clone();
    if let Some(fields) = missing.as_object_mut() {
        fields.remove("order_id");
    }
    cases.push((missing, "/order_id"));
    let mut number = good.clone();
    number["order_id"] = json!(42);
    cases.push((number, "/order_id"));
    let mut long = good.clone();
    long["order_id"] = json!("x".repeat(129));
    cases.push((long, "/order_id"));
    let mut bad_price = good.clone();
    bad_price["lines"][0]["unit_price"] = json!("ten");
    cases.push((bad_price, "/lines/0/unit_price"));
    let mut unknown = good.clone();
    unknown["tip"] = json!("1.00");
    cases.push((unknown, "/tip"));
    for (body, pointer) in cases {
        server
            .refused("/v1/redemptions", CHANNEL, body, &[pointer])
            .await;
    }
    let (status, _) = server
        .call(Method::POST, "/v1/redemptions", MARKETING, Some(good))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
