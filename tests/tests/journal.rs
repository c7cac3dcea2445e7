//! The decision journal (issue 19 item 2): a sampled evaluation (the test servers sample
//! every one) is written a moment after its answer, with the basket as priced, the answer
//! as sent, and each campaign's revision and plugin version; an edit shows as the next
//! revision; an evaluation not journalled is a 404; the writes are counted. A replay prices
//! an entry as then, byte for byte, after its campaigns and plugin versions changed.

use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

/// The journal's entry for `evaluation_id`, once written (within 10 s).
async fn entry(server: &Server, evaluation_id: &str) -> Value {
    let path = format!("/v1/journal/{evaluation_id}");
    for _ in 0..200 {
        let (status, body) = server.call(Method::GET, &path, OPS, None).await;
        if status == StatusCode::OK {
            return body;
        }
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{evaluation_id} never reached the journal");
}

fn basket() -> Value {
    json!({ "currency": "EUR", "channel": "web", "store": "paris-1",
            "customer": { "id": "c-7", "loyalty_tier": "gold" },
            "lines": [ { "id": "1", "sku": "COAT", "quantity": 1, "unit_price": "120.00" } ] })
}

#[tokio::test]
async fn an_evaluation_is_journalled_with_its_basket_answer_and_campaign_revisions() {
    let server = Server::start().await;
    server.create(ten_from_100()).await;
    let answer = server.evaluate(basket()).await;
    let id = answer["evaluation_id"].as_str().expect("an id").to_string();
    let journalled = entry(&server, &id).await;
    assert_eq!(journalled["evaluation_id"], id.as_str());
    assert_eq!(journalled["answer"], answer, "the answer as sent");
    assert_eq!(journalled["basket"]["store"], "paris-1");
    assert_eq!(journalled["basket"]["lines"][0]["unit_price"], "120.00");
    let campaigns = journalled["campaigns"].as_array().expect("campaigns");
    assert_eq!(campaigns.len(), 1, "{journalled}");
    assert_eq!(campaigns[0]["id"], "ten-from-100");
    assert_eq!(campaigns[0]["revision"], 1);
    assert_eq!(campaigns[0]["plugin"], "threshold-discount");
    let (_, plugin) = server
        .call(Method::GET, "/v1/plugins/threshold-discount", OPS, None)
        .await;
    assert!(
        plugin
            .to_string()
            .contains(campaigns[0]["sha256"].as_str().expect("a sha256")),
        "the version that ran: {plugin}"
    );

    // An edit is the next revision, and the next entry says so.
    let mut edited = ten_from_100();
    edited["name"] = json!("12 % dès 100 €");
    server.replace(edited).await;
    let again = server.evaluate(basket()).await;
    let later = entry(&server, again["evaluation_id"].as_str().expect("an id")).await;
    assert_eq!(later["campaigns"][0]["revision"], 2, "{later}");
    // The first entry is as it was.
    assert_eq!(entry(&server, &id).await["campaigns"][0]["revision"], 1);

    let (status, problem) = server
        .call(Method::GET, "/v1/journal/ev_never", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    let (status, _) = server
        .call(Method::GET, &format!("/v1/journal/{id}"), CHANNEL, None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let written = sample(
        &server.metrics().await,
        "remise_journal_entries_total",
        &[("result", "written")],
    );
    assert!(written >= Some(2.0), "{written:?}");
}

/// `POST /v1/journal/{id}/replay` with the ops key: the answer.
async fn replay(server: &Server, evaluation_id: &str) -> Value {
    let path = format!("/v1/journal/{evaluation_id}/replay");
    let (status, replayed) = server.call(Method::POST, &path, OPS, None).await;
    assert_eq!(status, StatusCode::OK, "{replayed}");
    replayed
}

#[tokio::test]
async fn a_replay_prices_as_then_after_campaigns_and_plugin_versions_changed() {
    let server = Server::start().await;
    let (status, view) = server
        .upload("flip", remise_tests::guest("flip-v1"), OPS)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    // A budget of 15.00, of which an order takes 12.00: the next basket gets the 3.00 left.
    server
        .create(offer(
            "budgeted",
            json!({ "percent_off": "10" }),
            json!({ "limits": { "budget": "15.00", "budget_currency": "EUR", "partial": true } }),
        ))
        .await;
    let mut order = basket();
    order["order_id"] = json!("o-1");
    let committed = server.commit(order).await;
    assert_eq!(committed.status, StatusCode::CREATED, "{}", committed.body);
    // A commit is always journalled, by its order.
    let (status, kept) = server
        .call(Method::GET, "/v1/journal/orders/o-1", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert_eq!(kept["answer"], committed.body, "{kept}");
    assert_eq!(kept["evaluation_id"], committed.body["evaluation_id"]);
    assert_eq!(kept["campaigns"][0]["campaign"]["id"], "budgeted", "{kept}");
    assert_eq!(kept["basket"]["store"], "paris-1", "{kept}");
    let (status, _) = server
        .call(Method::GET, "/v1/journal/orders/o-none", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let order_id = kept["evaluation_id"].as_str().expect("an id").to_string();
    entry(&server, &order_id).await;
    server
        .create(
            json!({ "id": "flipped", "name": "flipped", "plugin": "flip",
                        "status": "active", "params": {} }),
        )
        .await;
    let answer = server.evaluate(basket()).await;
    let discounts: Vec<(&str, &str)> = answer["applied"]
        .as_array()
        .expect("applied")
        .iter()
        .map(|a| {
            (
                a["campaign"].as_str().unwrap_or("?"),
                a["discount"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    assert!(discounts.contains(&("budgeted", "3.00")), "{answer}");
    assert!(discounts.contains(&("flipped", "12.00")), "{answer}");
    let first_id = answer["evaluation_id"].as_str().expect("an id").to_string();
    entry(&server, &first_id).await;

    // Then both campaigns change, flip 2.0.0 is uploaded and 1.0.0 deleted (archived).
    server
        .replace(offer("budgeted", json!({ "percent_off": "20" }), json!({})))
        .await;
    server
        .replace(
            json!({ "id": "flipped", "name": "flipped", "plugin": "flip",
                         "status": "active", "params": { "percent_off": 50 } }),
        )
        .await;
    let (status, view) = server
        .upload("flip", remise_tests::guest("flip-v2"), OPS)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    let (status, gone) = server
        .call(Method::DELETE, "/v1/plugins/flip/versions/1.0.0", OPS, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{gone}");
    let now = server.evaluate(basket()).await;
    assert_ne!(now["discount_total"], answer["discount_total"], "{now}");
    let now_id = now["evaluation_id"].as_str().expect("an id").to_string();
    // And another order moves the budget's usage on: the replay keeps the usage of then.
    let mut order = basket();
    order["order_id"] = json!("o-2");
    let second = server.commit(order).await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    let second_id = second.body["evaluation_id"]
        .as_str()
        .expect("an id")
        .to_string();

    // The replay prices as then: byte for byte the answer sent.
    let replayed = replay(&server, &first_id).await;
    assert_eq!(replayed["identical"], true, "{replayed}");
    assert_eq!(replayed["differences"], json!([]), "{replayed}");
    assert_eq!(replayed["answer"], answer, "{replayed}");

    // So does the order's: its answer as priced, before the commit added its order id.
    let replayed = replay(&server, &order_id).await;
    assert_eq!(replayed["identical"], true, "{replayed}");
    let mut priced = committed.body.clone();
    if let Some(fields) = priced.as_object_mut() {
        fields.remove("order_id");
    }
    assert_eq!(replayed["answer"], priced, "{replayed}");

    // An entry with explain differs only in its traces' wall times, which the replay shows.
    let mut explained = basket();
    explained["explain"] = json!(true);
    let answer = server.evaluate(explained).await;
    let id = answer["evaluation_id"].as_str().expect("an id").to_string();
    entry(&server, &id).await;
    let replayed = replay(&server, &id).await;
    let paths: Vec<&str> = replayed["differences"]
        .as_array()
        .expect("differences")
        .iter()
        .filter_map(|change| change["path"].as_str())
        .collect();
    assert!(
        paths
            .iter()
            .all(|path| path.ends_with("/trace/wall_time_us")),
        "{replayed}"
    );
    let (status, _) = server
        .call(Method::POST, "/v1/journal/ev_never/replay", OPS, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // `remise journal verify` replays the day (each day, should the entries straddle
    // midnight): only the explained entry differs.
    let mut days = Vec::new();
    for journalled in [&order_id, &first_id, &now_id, &second_id, &id] {
        let recorded = entry(&server, journalled).await["recorded_at"]
            .as_str()
            .expect("a time")
            .to_string();
        let day: chrono::NaiveDate = recorded[..10].parse().expect("a day");
        if !days.contains(&day) {
            days.push(day);
        }
    }
    let (mut replayed, mut identical, mut different) = (0, 0, Vec::new());
    for day in days {
        let args = remise::cli::VerifyArgs {
            day,
            server: remise::cli::ServerFiles {
                database_url: server.database_url().to_string(),
                plugin_dir: None,
            },
        };
        let verified = std::thread::spawn(move || remise::cli::journal_verification(&args))
            .join()
            .expect("the verification ran")
            .expect("the day was replayed");
        assert!(verified.failed.is_empty(), "{verified:?}");
        replayed += verified.replayed;
        identical += verified.identical;
        different.extend(verified.different.into_iter().map(|r| r.evaluation_id));
    }
    assert_eq!((replayed, identical), (5, 4));
    assert_eq!(different, [id]);
}
