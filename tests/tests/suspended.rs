//! A host never drops a campaign silently (issue 15 item 7): a stored campaign this host
//! cannot serve (here, its plugin is gone from the plugin folder at start) is `suspended`
//! in plain sight: in the campaign's API answer (`set_aside`), in an evaluation's
//! `rejected` with `explain`, and in the `remise_campaigns_set_aside` gauge; once its
//! plugin is back, it serves again and nothing is set aside. Runs on SQLite and on
//! PostgreSQL.

use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// 100.00 on the web.
fn basket() -> Value {
    json!({ "currency": "EUR", "channel": "web", "explain": true,
            "lines": [ { "id": "1", "sku": "SKU-1", "quantity": 1, "unit_price": "100.00" } ] })
}

fn applied(answer: &Value) -> Vec<&str> {
    answer["applied"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["campaign"].as_str()).collect())
        .unwrap_or_default()
}

fn rejection<'a>(answer: &'a Value, campaign: &str) -> Option<&'a Value> {
    answer["rejected"]
        .as_array()?
        .iter()
        .find(|r| r["campaign"] == campaign)
}

fn suspended_gauge(metrics: &str) -> Option<f64> {
    sample(
        metrics,
        "remise_campaigns_set_aside",
        &[("status", "suspended")],
    )
}

#[tokio::test]
async fn a_campaign_whose_plugin_is_gone_is_suspended_in_plain_sight_until_it_is_back() {
    let server = Server::start_with(&["flip-v1"]).await;
    server.create(ten_from_100()).await;
    let (status, body) = server
        .call(
            Method::POST,
            "/v1/campaigns",
            MARKETING,
            Some(json!({ "id": "flipped", "name": "Flip", "plugin": "flip",
                         "status": "active", "params": {} })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let before = server.evaluate(basket()).await;
    let mut both = applied(&before);
    both.sort_unstable();
    assert_eq!(both, ["flipped", "ten-from-100"], "{before}");

    // The plugin file is gone when the server starts again: the stored campaign cannot be
    // served. It used to vanish with a line in the log.
    let server = server.restart_with(&[]).await;
    let answer = server.evaluate(basket()).await;
    assert_eq!(applied(&answer), ["ten-from-100"], "{answer}");
    let rejected = rejection(&answer, "flipped").unwrap_or_else(|| panic!("{answer}"));
    assert_eq!(rejected["reason"], "suspended", "{answer}");
    let detail = rejected["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("flip"), "{detail}");

    let (status, campaign) = server
        .call(Method::GET, "/v1/campaigns/flipped", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{campaign}");
    assert_eq!(campaign["set_aside"]["status"], "suspended", "{campaign}");
    assert!(
        campaign["set_aside"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("flip")),
        "{campaign}"
    );
    let (_, list) = server
        .call(Method::GET, "/v1/campaigns", MARKETING, None)
        .await;
    let listed = list
        .as_array()
        .and_then(|l| l.iter().find(|c| c["id"] == "flipped"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(listed["set_aside"]["status"], "suspended", "{list}");
    let (_, ten) = server
        .call(Method::GET, "/v1/campaigns/ten-from-100", MARKETING, None)
        .await;
    assert!(ten.get("set_aside").is_none(), "{ten}");
    assert_eq!(suspended_gauge(&server.metrics().await), Some(1.0));

    // The plugin is back: the campaign serves again, and nothing is set aside.
    let server = server.restart_with(&["flip-v1"]).await;
    let answer = server.evaluate(basket()).await;
    let mut both = applied(&answer);
    both.sort_unstable();
    assert_eq!(both, ["flipped", "ten-from-100"], "{answer}");
    let (_, campaign) = server
        .call(Method::GET, "/v1/campaigns/flipped", MARKETING, None)
        .await;
    assert!(campaign.get("set_aside").is_none(), "{campaign}");
    assert_eq!(suspended_gauge(&server.metrics().await), Some(0.0));
}
