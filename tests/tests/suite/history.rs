//! A campaign's history over HTTP (issue 19 item 1): every write keeps its revision with
//! its author (the key's label, or its role) and time; a deletion is a revision and a
//! campaign created again goes on numbering; one revision reads back whole; a diff names
//! each change with its pointer and both values; bad queries are 422s at their pointer.

use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// `GET path` with the marketing key, checked to be a 200.
async fn read(server: &Server, path: &str) -> Value {
    let (status, body) = server.call(Method::GET, path, MARKETING, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

#[tokio::test]
async fn every_write_is_kept_with_its_author_and_two_revisions_diff() {
    let server = Server::start().await;
    let (status, marie) = server
        .call(
            Method::POST,
            "/v1/keys",
            ADMIN,
            Some(json!({ "role": "marketing", "label": "Marie (marketing)" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{marie}");
    let marie = marie["key"].as_str().expect("the new key").to_string();

    let campaign = ten_from_100();
    server.create(campaign.clone()).await;
    let (status, body) = server
        .call(
            Method::PATCH,
            "/v1/campaigns/ten-from-100",
            marie.as_str(),
            Some(json!({ "name": "12 % dès 100 €",
                         "limits": { "budget": "900.00", "budget_currency": "EUR" } })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .call(Method::POST, "/v1/campaigns/ten-from-100/pause", OPS, None)
        .await;
    // Ops may not write campaigns: a refused write leaves no revision.
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = server
        .call(
            Method::POST,
            "/v1/campaigns/ten-from-100/pause",
            ADMIN,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .call(
            Method::DELETE,
            "/v1/campaigns/ten-from-100",
            marie.as_str(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let again = server.create(campaign.clone()).await;
    assert_eq!(again["revision"], 5, "numbering goes on: {again}");

    let history = read(&server, "/v1/campaigns/ten-from-100/revisions").await;
    let (_, me) = server.call(Method::GET, "/v1/me", ADMIN, None).await;
    let admin = me["label"].as_str().unwrap_or("admin key").to_string();
    let summary: Vec<(i64, String, String)> = history["revisions"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| {
            (
                r["revision"].as_i64().expect("a number"),
                r["action"].as_str().expect("an action").to_string(),
                r["author"].as_str().expect("an author").to_string(),
            )
        })
        .collect();
    let expected: Vec<(i64, String, String)> = [
        (5, "created", "marketing key"),
        (4, "deleted", "Marie (marketing)"),
        (3, "replaced", admin.as_str()),
        (2, "replaced", "Marie (marketing)"),
        (1, "created", "marketing key"),
    ]
    .into_iter()
    .map(|(n, a, w)| (n, a.to_string(), w.to_string()))
    .collect();
    assert_eq!(summary, expected, "{history}");
    assert!(
        history["revisions"][0].get("campaign").is_none(),
        "a list carries no bodies"
    );

    let second = read(&server, "/v1/campaigns/ten-from-100/revisions/2").await;
    assert_eq!(second["campaign"]["name"], "12 % dès 100 €");
    assert_eq!(second["campaign"]["limits"]["budget"], "900.00");
    let first = read(&server, "/v1/campaigns/ten-from-100/revisions/1").await;
    assert_eq!(first["campaign"]["name"], campaign["name"]);
    let deleted = read(&server, "/v1/campaigns/ten-from-100/revisions/4").await;
    assert!(deleted.get("campaign").is_none(), "{deleted}");

    let diff = read(&server, "/v1/campaigns/ten-from-100/diff?from=1&to=2").await;
    let mut changes: Vec<Value> = diff["changes"].as_array().cloned().expect("changes");
    changes.sort_by_key(|c| c["path"].as_str().unwrap_or_default().to_string());
    assert_eq!(
        changes,
        [
            json!({"op": "add", "path": "/limits/budget", "after": "900.00"}),
            json!({"op": "add", "path": "/limits/budget_currency", "after": "EUR"}),
            json!({"op": "replace", "path": "/name", "before": campaign["name"],
                   "after": "12 % dès 100 €"}),
        ],
        "{diff}"
    );
    // By default, the newest against the one before it: a deletion then a creation.
    let newest = read(&server, "/v1/campaigns/ten-from-100/diff").await;
    assert_eq!(
        (newest["from"].clone(), newest["to"].clone()),
        (json!(4), json!(5))
    );
    assert_eq!(newest["changes"][0]["path"], "");
    assert_eq!(newest["changes"][0]["before"], Value::Null);
    let pause = read(&server, "/v1/campaigns/ten-from-100/diff?to=3").await;
    assert_eq!(
        pause["changes"],
        json!([{"op": "replace", "path": "/status", "before": "active", "after": "paused"}]),
        "{pause}"
    );

    for (path, pointer) in [
        ("/v1/campaigns/ten-from-100/diff?from=3&to=2", "/from"),
        ("/v1/campaigns/ten-from-100/diff?from=two", "/from"),
        ("/v1/campaigns/ten-from-100/diff?to=0", "/to"),
        ("/v1/campaigns/ten-from-100/diff?from=1&from=2", "/from"),
        ("/v1/campaigns/ten-from-100/diff?since=1", "/since"),
    ] {
        let (status, problem) = server.call(Method::GET, path, MARKETING, None).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {problem}"
        );
        assert_eq!(pointers(&problem), [pointer], "{path}: {problem}");
    }
    for path in [
        "/v1/campaigns/ten-from-100/revisions/9",
        "/v1/campaigns/never-was/revisions",
        "/v1/campaigns/ten-from-100/diff?from=1&to=9",
    ] {
        let (status, problem) = server.call(Method::GET, path, MARKETING, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {problem}");
    }
    let (status, _) = server
        .call(
            Method::GET,
            "/v1/campaigns/ten-from-100/revisions/one",
            MARKETING,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = server
        .call(
            Method::GET,
            "/v1/campaigns/ten-from-100/revisions",
            CHANNEL,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
