//! The decision journal (issue 19 item 2): a sampled evaluation (the test servers sample
//! every one) is written a moment after its answer, with the basket as priced, the answer
//! as sent, and each campaign's revision and plugin version; an edit shows as the next
//! revision; an evaluation not journalled is a 404; the writes are counted.

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
