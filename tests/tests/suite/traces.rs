//! Traces (issue 19 item 6): with `explain: true`, each campaign whose plugin ran carries
//! that run's log (bounded), fuel and wall time, shared by the campaigns of one sandbox;
//! without `explain`, and for a campaign set aside before any plugin ran, there is none.

use remise_tests::http::*;
use serde_json::{json, Value};

/// A campaign of the hostile guest in `mode`, on `channel` only.
fn hostile(id: &str, mode: &str, channel: &str) -> Value {
    json!({ "id": id, "name": id, "plugin": "hostile", "status": "active",
            "params": { "mode": mode }, "audience": { "channels": [channel] } })
}

/// A EUR basket of 120.00 on `channel`.
fn basket(channel: &str, explain: bool) -> Value {
    json!({ "currency": "EUR", "channel": channel, "explain": explain,
            "lines": [ { "id": "1", "sku": "SKU-1", "quantity": 1, "unit_price": "120.00" } ] })
}

/// The entry of `campaign` in the answer's `applied` or `rejected`.
fn entry<'a>(answer: &'a Value, campaign: &str) -> &'a Value {
    ["applied", "rejected"]
        .iter()
        .filter_map(|list| answer[list].as_array())
        .flatten()
        .find(|c| c["campaign"] == campaign)
        .unwrap_or_else(|| panic!("{campaign} is in the answer: {answer}"))
}

#[tokio::test]
async fn an_explained_answer_carries_each_plugin_runs_log_fuel_and_time() {
    let server = Server::start().await;
    server.create(ten_from_100()).await;
    server.create(hostile("spam", "log-spam", "web")).await;
    server.create(hostile("boom", "panic", "store")).await;

    let answer = server.evaluate(basket("web", true)).await;
    let spam = &entry(&answer, "spam")["trace"];
    assert_eq!(spam["campaigns"], json!(["spam"]), "{answer}");
    assert_eq!(spam["sandboxes"], 1);
    let log = spam["log"].as_array().expect("a log");
    assert_eq!(log.len(), 64, "the first 64 lines: {spam}");
    assert!(log
        .iter()
        .all(|line| line == &json!({"level": "info", "message": "spam"})));
    assert_eq!(spam["log_dropped"], 100_000 - 64);
    let threshold = &entry(&answer, "ten-from-100")["trace"];
    assert_eq!(threshold["campaigns"], json!(["ten-from-100"]));
    assert_eq!(threshold["log"], json!([]));
    for trace in [spam, threshold] {
        let fuel = trace["fuel_used"].as_u64().expect("fuel used");
        assert!(
            fuel > 0 && fuel <= trace["fuel_limit"].as_u64().expect("a limit"),
            "{trace}"
        );
        assert!(
            trace["wall_time_us"].as_u64().expect("a time") > 0,
            "{trace}"
        );
        assert!(
            trace["peak_memory_bytes"].as_u64().expect("memory") >= 64 << 10,
            "{trace}"
        );
    }
    assert!(
        spam["fuel_used"].as_u64() > threshold["fuel_used"].as_u64(),
        "100,000 log calls cost more than one threshold: {answer}"
    );
    // Set aside by its channel before any plugin ran: no trace.
    let boom = entry(&answer, "boom");
    assert_eq!(boom["reason"], "not_eligible", "{answer}");
    assert!(boom.get("trace").is_none(), "{boom}");

    // A failing run's trace says why: the panic's own words, at level error.
    let answer = server.evaluate(basket("store", true)).await;
    let boom = entry(&answer, "boom");
    assert_eq!(boom["reason"], "plugin_error", "{answer}");
    let last = boom["trace"]["log"]
        .as_array()
        .and_then(|log| log.last())
        .unwrap_or_else(|| panic!("a log line: {boom}"));
    assert_eq!(last["level"], "error");
    assert!(
        last["message"]
            .as_str()
            .is_some_and(|m| m.contains("hostile guest panicked on purpose")),
        "{boom}"
    );

    // Without explain, no trace anywhere.
    let quiet = server.evaluate(basket("web", false)).await;
    assert!(!quiet.to_string().contains("\"trace\""), "{quiet}");
    assert_eq!(
        quiet["applied"].as_array().map(Vec::len),
        Some(2),
        "{quiet}"
    );
}

#[tokio::test]
async fn campaigns_of_one_plugin_share_one_trace_naming_them_all() {
    let server = Server::start().await;
    for (id, percent) in [("five", "5"), ("six", "6")] {
        server
            .create(offer(
                id,
                json!({ "percent_off": percent }),
                json!({ "group": id }),
            ))
            .await;
    }
    let answer = server.evaluate(basket("web", true)).await;
    let (five, six) = (
        &entry(&answer, "five")["trace"],
        &entry(&answer, "six")["trace"],
    );
    assert_eq!(five, six, "{answer}");
    let mut named: Vec<&str> = five["campaigns"]
        .as_array()
        .expect("campaigns")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    named.sort_unstable();
    assert_eq!(named, ["five", "six"], "{answer}");
}
