//! Customer profiles over real HTTP (issue 17 item 1, docs/customers.md): a profile is
//! created, read, merge-patched and replaced, checked field by field; a basket that names
//! only `customer.id` is priced (and committed) with the stored profile, what the basket
//! sends winning for that evaluation only; deleting a customer erases the profile and
//! anonymises their orders, whose money figures stay in the stats while their per-customer
//! caps no longer count; NDJSON and CSV imports keep the good lines and name the bad ones,
//! streamed past the 1 MiB body limit of JSON; the export gives every profile back in id
//! order, and its CSV imports again unchanged; profiles are listed by prefix, page by page.
//! Every expected value is written from the doc, not read from the implementation.

use remise::store::testing::strings;
use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The path of customer `id`.
fn path(id: &str) -> String {
    format!("/v1/customers/{id}")
}

/// `PUT /v1/customers/{id}` of `profile` with the marketing key: the answer, headers kept.
async fn put(server: &Server, id: &str, profile: &Value) -> Answer {
    server
        .send(Method::PUT, &path(id), MARKETING, Some(profile.clone()))
        .await
}

/// `GET /v1/customers/{id}` with the marketing key.
async fn get(server: &Server, id: &str) -> (StatusCode, Value) {
    server.call(Method::GET, &path(id), MARKETING, None).await
}

/// The stored profile of `id`, which must exist.
async fn stored(server: &Server, id: &str) -> Value {
    let (status, profile) = get(server, id).await;
    assert_eq!(status, StatusCode::OK, "customer {id}: {profile}");
    profile
}

/// `method path` with the marketing key and `body` sent as it is, declared as
/// `content_type` (the harness sends JSON only): the status and the answer, JSON when it
/// parses, else a string.
async fn send_raw(
    server: &Server,
    method: Method,
    path: &str,
    content_type: &str,
    body: String,
) -> (StatusCode, Value) {
    let response = server
        .client
        .request(method, format!("{}{path}", server.base))
        .bearer_auth(MARKETING)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    let text = response.text().await.expect("a body");
    let answer = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, answer)
}

/// `POST /v1/imports/customers` of `body` declared as `content_type`.
async fn import(server: &Server, content_type: &str, body: String) -> (StatusCode, Value) {
    send_raw(
        server,
        Method::POST,
        "/v1/imports/customers",
        content_type,
        body,
    )
    .await
}

/// [`import`], which must be answered 200: its report.
async fn imported(server: &Server, content_type: &str, body: String) -> Value {
    let (status, report) = import(server, content_type, body).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report
}

/// An import report's counts of profiles (its `lines` left out).
fn tally(report: &Value) -> Value {
    json!({
        "imported": report["imported"], "created": report["created"],
        "updated": report["updated"], "rejected": report["rejected"]
    })
}

/// The counts [`tally`] should read: `[imported, created, updated, rejected]`.
fn counts([imported, created, updated, rejected]: [u64; 4]) -> Value {
    json!({ "imported": imported, "created": created, "updated": updated, "rejected": rejected })
}

/// The problem a report lists for line `line`.
fn problem_at(report: &Value, line: u64) -> &Value {
    report["problems"]
        .as_array()
        .and_then(|problems| problems.iter().find(|p| p["line"] == line))
        .unwrap_or_else(|| panic!("a problem at line {line}: {report}"))
}

/// `GET path` with the marketing key, read as text: its media type and body, checked to
/// be a 200.
async fn fetch_text(server: &Server, path: &str) -> (String, String) {
    let response = server
        .client
        .get(format!("{}{path}", server.base))
        .bearer_auth(MARKETING)
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    let media_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = response.text().await.expect("a body");
    assert_eq!(status, StatusCode::OK, "{path}: {text}");
    (media_type, text)
}

/// `profile` (an answer, or a body sent) as it reads without its timestamps, with what
/// docs/customers.md says an absent field means written out: no tier, no segments, no
/// birth date, no attributes, no consent to either. Answers and bodies sent compare alike.
fn said(profile: &Value) -> Value {
    let or = |value: &Value, default: Value| match value {
        Value::Null => default,
        value => value.clone(),
    };
    json!({
        "id": profile["id"],
        "loyalty_tier": profile["loyalty_tier"],
        "segments": or(&profile["segments"], json!([])),
        "birthdate": profile["birthdate"],
        "attributes": or(&profile["attributes"], json!({})),
        "consent": {
            "email": or(&profile["consent"]["email"], json!(false)),
            "sms": or(&profile["consent"]["sms"], json!(false))
        }
    })
}

/// The body `profile` with the id `id`: the profile an import line gives.
fn with_id(id: &str, profile: &Value) -> Value {
    let mut profile = profile.clone();
    profile["id"] = json!(id);
    profile
}

/// The instant of a profile's `created_at` or `updated_at`, checked to be written as
/// docs/customers.md says: RFC 3339 in UTC (`Z`), no finer than microseconds
/// (`2026-12-03T08:15:02.123456Z`). Not checked: that there are always 6 decimals, which a
/// system clock gives only by chance (an instant whose microseconds end in 000 may be
/// written with 3).
fn instant(at: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    let text = at.as_str().unwrap_or_else(|| panic!("a time, not {at}"));
    let decimals = text
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.trim_end_matches('Z').len());
    assert!(
        text.ends_with('Z') && decimals <= 6,
        "{text} is not UTC to the microsecond"
    );
    chrono::DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// A 50.00 basket on the web for `customer`.
fn basket(customer: Value) -> Value {
    json!({
        "currency": "EUR", "channel": "web", "customer": customer,
        "lines": [ { "id": "1", "sku": "SKU-1", "quantity": 1, "unit_price": "50.00" } ]
    })
}

/// [`basket`] committed as order `order_id`.
fn order(order_id: &str, customer: Value) -> Value {
    let mut order = basket(customer);
    order["order_id"] = json!(order_id);
    order
}

/// `campaign discount` of each campaign an evaluation's or commit's answer applied, sorted
/// (so the order campaigns are priced in does not matter).
fn applied(answer: &Value) -> Vec<String> {
    let mut applied: Vec<String> = answer["applied"]
        .as_array()
        .unwrap_or_else(|| panic!("an answer with applied campaigns: {answer}"))
        .iter()
        .map(|a| {
            format!(
                "{} {}",
                a["campaign"].as_str().unwrap_or("?"),
                a["discount"].as_str().unwrap_or("?")
            )
        })
        .collect();
    applied.sort();
    applied
}

/// What [`applied`] reads when nothing applied.
const NOTHING: [&str; 0] = [];

/// The campaigns that apply to [`basket`] for `customer`, evaluated with the channel key.
async fn priced(server: &Server, customer: Value) -> Vec<String> {
    applied(&server.evaluate(basket(customer)).await)
}

/// `DELETE /v1/customers/{id}` with the marketing key.
async fn erase(server: &Server, id: &str) -> (StatusCode, Value) {
    server
        .call(Method::DELETE, &path(id), MARKETING, None)
        .await
}

/// `method path` of `body` with the marketing key must be a 422 naming exactly `expected`.
async fn refused(server: &Server, method: Method, path: &str, body: Value, expected: &[&str]) {
    let (status, problem) = server
        .call(method.clone(), path, MARKETING, Some(body.clone()))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{method} {path} {body} → {problem}"
    );
    assert_eq!(problem["status"], 422, "{problem}");
    assert_eq!(
        pointers(&problem),
        expected,
        "{method} {path} {body} → {problem}"
    );
}

/// The records of CSV `text` (RFC 4180: commas, double quotes doubled inside quoted cells,
/// records ended by CRLF or LF), each a list of its cells.
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                _ => cell.push(c),
            }
        } else {
            match c {
                '"' => quoted = true,
                ',' => record.push(std::mem::take(&mut cell)),
                '\r' => {}
                '\n' => {
                    record.push(std::mem::take(&mut cell));
                    records.push(std::mem::take(&mut record));
                }
                _ => cell.push(c),
            }
        }
    }
    if !cell.is_empty() || !record.is_empty() {
        record.push(cell);
        records.push(record);
    }
    records
}

/// A CSV `row` under `header` read as docs/customers.md maps the columns, as [`said`]
/// writes a profile: empty cells are none (no consent for the consent columns), segments
/// are separated by `|`, consents are `true`/`1` or `false`/`0`.
fn from_csv(header: &[String], row: &[String]) -> Value {
    assert_eq!(header.len(), row.len(), "{header:?} / {row:?}");
    let mut profile = json!({ "consent": {} });
    for (column, cell) in header.iter().zip(row) {
        if cell.is_empty() {
            continue;
        }
        match column.as_str() {
            "id" | "loyalty_tier" | "birthdate" => profile[column.as_str()] = json!(cell),
            "segments" => profile["segments"] = json!(cell.split('|').collect::<Vec<_>>()),
            "email_consent" | "sms_consent" => {
                let consent = match cell.as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    other => panic!("{column} is {other:?}"),
                };
                let key = column.trim_end_matches("_consent");
                profile["consent"][key] = json!(consent);
            }
            attribute => {
                let key = attribute
                    .strip_prefix("attributes.")
                    .unwrap_or_else(|| panic!("an unknown column {attribute}"));
                profile["attributes"][key] = json!(cell);
            }
        }
    }
    said(&profile)
}

/// Profile number `i` of a large set: id `x-0000` and up (so id order is number order),
/// every field present or absent in turn, a store name with a comma and quotes so that
/// the CSV form must quote it.
fn numbered(i: usize) -> Value {
    let mut profile = json!({
        "id": format!("x-{i:04}"),
        "consent": { "email": i.is_multiple_of(2), "sms": i.is_multiple_of(3) }
    });
    if !i.is_multiple_of(4) {
        let tier = ["gold", "silver", "bronze"][i % 3];
        profile["loyalty_tier"] = json!(tier);
    }
    if !i.is_multiple_of(5) {
        let segments: Vec<String> = (0..=i % 3).map(|s| format!("s{s}")).collect();
        profile["segments"] = json!(segments);
    }
    if i.is_multiple_of(6) {
        let birthdate = format!("19{:02}-{:02}-{:02}", 40 + i % 60, 1 + i % 12, 1 + i % 28);
        profile["birthdate"] = json!(birthdate);
    }
    if !i.is_multiple_of(7) {
        let store = format!("lyon \"{}\", rue", i % 10);
        profile["attributes"] = json!({ "favourite_store": store });
    }
    profile
}

/// `profiles` as an NDJSON body: one compact JSON object a line.
fn ndjson(profiles: &[Value]) -> String {
    profiles.iter().map(|p| format!("{p}\n")).collect()
}

#[tokio::test]
async fn a_profile_is_created_read_patched_and_replaced() {
    let server = Server::start_with(&[]).await;

    // New: 201 at its Location, the profile echoed with its id; no consent sent is no
    // consent to either; created and updated at the same instant.
    let first = json!({
        "loyalty_tier": "gold", "segments": ["card-holder", "newsletter"],
        "birthdate": "1988-04-12", "attributes": { "favourite_store": "lyon-3" }
    });
    let created = put(&server, "c-1", &first).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.header("location"), Some("/v1/customers/c-1"));
    assert_eq!(created.body["id"], "c-1");
    assert_eq!(
        created.body["consent"],
        json!({ "email": false, "sms": false })
    );
    assert_eq!(said(&created.body), said(&with_id("c-1", &first)));
    let created_at = instant(&created.body["created_at"]);
    assert_eq!(instant(&created.body["updated_at"]), created_at);
    assert_eq!(
        get(&server, "c-1").await,
        (StatusCode::OK, created.body.clone())
    );

    // Replaced whole: 200, what the new body leaves out (the tier) is gone; created_at
    // stays, updated_at does not go back.
    let second = json!({
        "segments": ["card-holder"], "birthdate": "1990-02-28",
        "attributes": { "favourite_store": "lyon-3", "lang": "fr" },
        "consent": { "email": true, "sms": false }
    });
    let replaced = put(&server, "c-1", &second).await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    assert_eq!(said(&replaced.body), said(&with_id("c-1", &second)));
    assert!(replaced.body["loyalty_tier"].is_null(), "{}", replaced.body);
    assert_eq!(instant(&replaced.body["created_at"]), created_at);
    let replaced_at = instant(&replaced.body["updated_at"]);
    assert!(replaced_at >= created_at, "{}", replaced.body);
    assert_eq!(
        get(&server, "c-1").await,
        (StatusCode::OK, replaced.body.clone())
    );

    // A merge patch (as application/merge-patch+json): members set replace (segments,
    // tier), null removes (birth date), attributes and consent merge key by key (lang
    // removed, store added, favourite_store kept; sms set, email kept).
    let patch = json!({
        "loyalty_tier": "platinum", "segments": ["vip"],
        "attributes": { "store": "lyon", "lang": null },
        "consent": { "sms": true }, "birthdate": null
    });
    let (status, answer) = send_raw(
        &server,
        Method::PATCH,
        &path("c-1"),
        "application/merge-patch+json",
        patch.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let patched = stored(&server, "c-1").await;
    assert_eq!(
        said(&patched),
        json!({
            "id": "c-1", "loyalty_tier": "platinum", "segments": ["vip"], "birthdate": null,
            "attributes": { "favourite_store": "lyon-3", "store": "lyon" },
            "consent": { "email": true, "sms": true }
        })
    );
    assert_eq!(instant(&patched["created_at"]), created_at);
    assert!(instant(&patched["updated_at"]) >= replaced_at, "{patched}");

    // As application/json too: null removes the tier.
    let (status, answer) = server
        .call(
            Method::PATCH,
            &path("c-1"),
            MARKETING,
            Some(json!({ "loyalty_tier": null })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let untiered = stored(&server, "c-1").await;
    assert!(untiered["loyalty_tier"].is_null(), "{untiered}");
    assert_eq!(untiered["segments"], json!(["vip"]));

    // A patch whose result is not a valid profile changes nothing.
    refused(
        &server,
        Method::PATCH,
        &path("c-1"),
        json!({ "segments": ["vip", "vip"] }),
        &["/segments/1"],
    )
    .await;
    refused(
        &server,
        Method::PATCH,
        &path("c-1"),
        json!({ "consent": { "email": "yes" } }),
        &["/consent/email"],
    )
    .await;
    assert_eq!(stored(&server, "c-1").await, untiered);

    // No such customer.
    let (status, problem) = get(&server, "c-unknown").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
}

#[tokio::test]
async fn bad_profiles_are_refused_with_pointers() {
    let server = Server::start_with(&[]).await;
    // Two days ahead of any timezone's today.
    let future = chrono::Utc::now()
        .date_naive()
        .checked_add_days(chrono::Days::new(2))
        .expect("a date two days ahead")
        .to_string();
    let segments: Vec<String> = (0..101).map(|i| format!("s{i}")).collect();
    let attributes: serde_json::Map<String, Value> =
        (0..65).map(|i| (format!("k{i}"), json!("v"))).collect();
    for (body, expected) in [
        (json!({ "colour": "red" }), "/colour"),
        (json!({ "consent": { "email": "yes" } }), "/consent/email"),
        (
            json!({ "consent": { "email": true, "push": true } }),
            "/consent/push",
        ),
        (json!({ "birthdate": future }), "/birthdate"),
        (json!({ "birthdate": "1850-01-01" }), "/birthdate"),
        (json!({ "birthdate": "1990-02-30" }), "/birthdate"),
        (json!({ "segments": ["vip", ""] }), "/segments/1"),
        (
            json!({ "segments": ["vip", "staff", "vip"] }),
            "/segments/2",
        ),
        (json!({ "segments": segments }), "/segments"),
        (json!({ "attributes": attributes }), "/attributes"),
    ] {
        refused(&server, Method::PUT, &path("c-bad"), body, &[expected]).await;
    }
    // None of them was stored.
    let (status, problem) = get(&server, "c-bad").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");

    // The limits themselves are fine: 100 segments, 64 attributes, born on 1900-01-01.
    let segments: Vec<String> = (0..100).map(|i| format!("s{i}")).collect();
    let attributes: serde_json::Map<String, Value> =
        (0..64).map(|i| (format!("k{i}"), json!("v"))).collect();
    let most = json!({
        "segments": segments, "attributes": attributes, "birthdate": "1900-01-01"
    });
    let answer = put(&server, "c-most", &most).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);

    // A patch of a customer with no profile.
    let (status, problem) = server
        .call(
            Method::PATCH,
            &path("c-missing"),
            MARKETING,
            Some(json!({ "loyalty_tier": "gold" })),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    assert_eq!(get(&server, "c-missing").await.0, StatusCode::NOT_FOUND);

    // A profile is personal data: neither a channel nor an ops key may touch one; an admin
    // key may.
    let answer = put(&server, "c-1", &json!({ "loyalty_tier": "gold" })).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    for key in [CHANNEL, OPS] {
        for (method, route) in [
            (Method::GET, path("c-1")),
            (Method::PUT, path("c-1")),
            (Method::PATCH, path("c-1")),
            (Method::DELETE, path("c-1")),
            (Method::GET, "/v1/customers".to_string()),
            (Method::POST, "/v1/imports/customers".to_string()),
            (Method::GET, "/v1/exports/customers".to_string()),
        ] {
            let body = (method == Method::PUT || method == Method::PATCH)
                .then(|| json!({ "loyalty_tier": "silver" }));
            let (status, problem) = server.call(method.clone(), &route, key, body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {route}: {problem}");
        }
    }
    let (status, profile) = server.call(Method::GET, &path("c-1"), ADMIN, None).await;
    assert_eq!(status, StatusCode::OK, "{profile}");
    assert_eq!(profile["loyalty_tier"], "gold");
}

#[tokio::test]
async fn a_basket_naming_only_the_customer_id_is_priced_with_the_stored_profile() {
    let server = Server::start_with(&[]).await;
    // Three offers with no group, so they stack, each for one thing a profile says.
    for (id, amount, audience) in [
        ("gold-five", "5.00", json!({ "loyalty_tiers": ["gold"] })),
        ("vip-two", "2.00", json!({ "segments": ["vip"] })),
        (
            "lyon-one",
            "1.00",
            json!({ "attributes": { "store": ["lyon"] } }),
        ),
    ] {
        server
            .create(offer(
                id,
                json!({ "amount_off": amount }),
                json!({ "audience": audience }),
            ))
            .await;
    }
    let only_id = || json!({ "id": "c-gold" });
    let everything = ["gold-five 5.00", "lyon-one 1.00", "vip-two 2.00"];

    // No profile yet: the basket says nothing of the customer, nothing applies.
    assert_eq!(priced(&server, only_id()).await, NOTHING);

    // Stored: the same basket is priced with it, at once on this host.
    let profile = json!({
        "loyalty_tier": "gold", "segments": ["vip"], "attributes": { "store": "lyon" }
    });
    let answer = put(&server, "c-gold", &profile).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(priced(&server, only_id()).await, everything);

    // What the basket sends wins, for this evaluation only.
    let sending = |customer: Value| {
        let mut sent = only_id();
        if let (Some(sent), Some(more)) = (sent.as_object_mut(), customer.as_object()) {
            sent.extend(more.clone());
        }
        sent
    };
    assert_eq!(
        priced(&server, sending(json!({ "loyalty_tier": "silver" }))).await,
        ["lyon-one 1.00", "vip-two 2.00"]
    );
    // A non-empty list of segments replaces the stored one whole; an empty one does not.
    assert_eq!(
        priced(&server, sending(json!({ "segments": ["staff"] }))).await,
        ["gold-five 5.00", "lyon-one 1.00"]
    );
    assert_eq!(
        priced(&server, sending(json!({ "segments": [] }))).await,
        everything
    );
    // Attributes merge key by key, the basket's value winning for a key both have.
    assert_eq!(
        priced(&server, sending(json!({ "attributes": { "lang": "fr" } }))).await,
        everything
    );
    assert_eq!(
        priced(
            &server,
            sending(json!({ "attributes": { "store": "paris" } }))
        )
        .await,
        ["gold-five 5.00", "vip-two 2.00"]
    );
    // Nothing the baskets sent was written to the profile.
    assert_eq!(
        said(&stored(&server, "c-gold").await),
        said(&with_id("c-gold", &profile))
    );
    // A customer with no profile is priced with what the basket sends, as before.
    assert_eq!(
        priced(
            &server,
            json!({ "id": "c-walk-in", "loyalty_tier": "gold" })
        )
        .await,
        ["gold-five 5.00"]
    );
    assert_eq!(priced(&server, json!({ "id": "c-walk-in" })).await, NOTHING);

    // A commit naming only the id is priced with the profile too: 5.00 + 2.00 + 1.00.
    let first = server.commit(order("o-1", only_id())).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(applied(&first.body), everything);
    assert_eq!(first.body["discount_total"], "8.00");

    // The profile changes (a patch through this host, seen by its next evaluation)...
    let (status, answer) = server
        .call(
            Method::PATCH,
            &path("c-gold"),
            MARKETING,
            Some(json!({ "loyalty_tier": "silver" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        priced(&server, only_id()).await,
        ["lyon-one 1.00", "vip-two 2.00"]
    );
    // ... but a retry of o-1 is the same basket as sent: the first answer again, not a
    // conflict.
    let again = server.commit(order("o-1", only_id())).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    // A new order is priced with the profile as it is now.
    let second = server.commit(order("o-2", only_id())).await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    assert_eq!(applied(&second.body), ["lyon-one 1.00", "vip-two 2.00"]);

    // Erased: the basket again says nothing of the customer.
    let (status, answer) = erase(&server, "c-gold").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(priced(&server, only_id()).await, NOTHING);
}

#[tokio::test]
async fn deleting_a_customer_erases_the_profile_and_anonymises_their_orders() {
    let server = Server::start_with(&[]).await;
    // 5.00 off every order; 1.00 off once per customer, over the campaign's whole life.
    server
        .create(offer(
            "five-off",
            json!({ "amount_off": "5.00" }),
            json!({}),
        ))
        .await;
    server
        .create(offer(
            "once",
            json!({ "amount_off": "1.00" }),
            json!({ "limits": { "per_customer": 1 } }),
        ))
        .await;
    let answer = put(&server, "c-erase", &json!({ "loyalty_tier": "gold" })).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);

    // c-erase: e-1 takes both, e-2 only five-off (once is used up); c-keep: k-1 takes both.
    for (order_id, customer, expected) in [
        ("e-1", "c-erase", &["five-off 5.00", "once 1.00"][..]),
        ("e-2", "c-erase", &["five-off 5.00"][..]),
        ("k-1", "c-keep", &["five-off 5.00", "once 1.00"][..]),
    ] {
        let committed = server
            .commit(order(order_id, json!({ "id": customer })))
            .await;
        assert_eq!(committed.status, StatusCode::CREATED, "{}", committed.body);
        assert_eq!(applied(&committed.body), expected, "{order_id}");
    }
    assert_eq!(
        priced(&server, json!({ "id": "c-erase" })).await,
        ["five-off 5.00"]
    );
    // five-off: 3 orders, 15.00; once: 2 orders, 2.00.
    let money = |stats: &Value| {
        json!({
            "redemptions": stats["redemptions"], "discount_granted": stats["discount_granted"],
            "by_channel": stats["by_channel"], "by_day": stats["by_day"]
        })
    };
    let five_before = money(&server.stats("five-off").await);
    let once_before = money(&server.stats("once").await);
    assert_eq!(
        (
            &five_before["redemptions"],
            &five_before["discount_granted"]
        ),
        (&json!(3), &json!("15.00"))
    );
    assert_eq!(
        (
            &once_before["redemptions"],
            &once_before["discount_granted"]
        ),
        (&json!(2), &json!("2.00"))
    );

    // Erased: the profile and the customer's two orders.
    let (status, erased) = erase(&server, "c-erase").await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(
        erased,
        json!({ "id": "c-erase", "profile_erased": true, "orders_anonymised": 2 })
    );
    assert_eq!(get(&server, "c-erase").await.0, StatusCode::NOT_FOUND);
    // Every money figure stays.
    assert_eq!(money(&server.stats("five-off").await), five_before);
    assert_eq!(money(&server.stats("once").await), once_before);
    // Remise knows nothing more of c-erase, nor ever of c-nobody.
    let (status, problem) = erase(&server, "c-erase").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    let (status, problem) = erase(&server, "c-nobody").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");

    // In the database, no row names the customer any more: neither the orders nor what
    // each campaign took from them, nor the answer kept for a retry (e-2's named them in
    // its rejection of `once`: "customer c-erase used it 1 of 1 times"). The orders stay,
    // and c-keep's still name c-keep.
    let url = server.database_url();
    let naming = strings(
        url,
        "SELECT order_id FROM redemptions WHERE customer_id = 'c-erase' \
         UNION ALL SELECT order_id FROM redemption_campaigns WHERE customer_id = 'c-erase'",
    )
    .await;
    assert!(naming.is_empty(), "orders still naming c-erase: {naming:?}");
    let answers = strings(
        url,
        "SELECT order_id FROM redemptions WHERE response LIKE '%c-erase%'",
    )
    .await;
    assert!(
        answers.is_empty(),
        "stored answers still naming c-erase: {answers:?}"
    );
    let orders = strings(url, "SELECT order_id FROM redemptions ORDER BY order_id").await;
    assert_eq!(
        orders,
        [
            Some("e-1".to_string()),
            Some("e-2".to_string()),
            Some("k-1".to_string())
        ]
    );
    let kept = strings(
        url,
        "SELECT order_id FROM redemption_campaigns WHERE customer_id = 'c-keep' \
         ORDER BY campaign_id",
    )
    .await;
    assert_eq!(kept, [Some("k-1".to_string()), Some("k-1".to_string())]);

    // The same id is a new customer: `once` applies again; c-keep's cap still holds.
    assert_eq!(
        priced(&server, json!({ "id": "c-erase" })).await,
        ["five-off 5.00", "once 1.00"]
    );
    assert_eq!(
        priced(&server, json!({ "id": "c-keep" })).await,
        ["five-off 5.00"]
    );
    let e3 = server
        .commit(order("e-3", json!({ "id": "c-erase" })))
        .await;
    assert_eq!(e3.status, StatusCode::CREATED, "{}", e3.body);
    assert_eq!(applied(&e3.body), ["five-off 5.00", "once 1.00"]);
    // Known again by that order alone: erasing it anonymises it, with no profile to erase.
    let (status, erased) = erase(&server, "c-erase").await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(
        erased,
        json!({ "id": "c-erase", "profile_erased": false, "orders_anonymised": 1 })
    );
    assert_eq!(erase(&server, "c-erase").await.0, StatusCode::NOT_FOUND);
    // five-off: 4 orders, 20.00; once: 3 orders, 3.00.
    let stats = server.stats("five-off").await;
    assert_eq!(
        (&stats["redemptions"], &stats["discount_granted"]),
        (&json!(4), &json!("20.00"))
    );
    let stats = server.stats("once").await;
    assert_eq!(
        (&stats["redemptions"], &stats["discount_granted"]),
        (&json!(3), &json!("3.00"))
    );
}

#[tokio::test]
async fn an_ndjson_import_keeps_the_good_lines_and_names_the_bad_ones() {
    let server = Server::start_with(&[]).await;
    // Lines 1, 2, 5, 7, 8, 9 are good (n-1 twice: line 7 replaces line 1 whole); line 3
    // is not JSON, line 4's date does not exist; line 6 is blank. The bad lines come
    // before the blank one, so their numbers are the same whether or not it counts.
    let body = [
        r#"{"id":"n-1","loyalty_tier":"gold","segments":["card-holder"]}"#,
        r#"{"id":"n-2","segments":["a","b"],"consent":{"email":true,"sms":false}}"#,
        r#"{"id":"n-3","loyalty_tier":"#,
        r#"{"id":"n-4","birthdate":"1990-02-30"}"#,
        r#"{"id":"n-5","birthdate":"1990-02-28"}"#,
        "",
        r#"{"id":"n-1","loyalty_tier":"silver"}"#,
        r#"{"id":"n-6","attributes":{"favourite_store":"lyon-3"}}"#,
        r#"{"id":"n-7","consent":{"sms":true}}"#,
    ]
    .map(|line| format!("{line}\n"))
    .concat();

    let report = imported(&server, "application/x-ndjson", body.clone()).await;
    // 5 new ids; the second n-1 replaced the first.
    assert_eq!(tally(&report), counts([6, 5, 1, 2]), "{report}");
    assert_eq!(
        report["problems"].as_array().map(Vec::len),
        Some(2),
        "{report}"
    );
    let broken = problem_at(&report, 3);
    assert_eq!(pointers(broken), [""], "{report}");
    let bad_date = problem_at(&report, 4);
    assert_eq!(bad_date["id"], "n-4", "{report}");
    assert_eq!(pointers(bad_date), ["/birthdate"], "{report}");

    // The later n-1 won, whole: silver, and no segments any more.
    assert_eq!(
        said(&stored(&server, "n-1").await),
        said(&json!({ "id": "n-1", "loyalty_tier": "silver" }))
    );
    assert_eq!(
        said(&stored(&server, "n-2").await),
        said(&json!({
            "id": "n-2", "segments": ["a", "b"], "consent": { "email": true, "sms": false }
        }))
    );
    assert_eq!(stored(&server, "n-5").await["birthdate"], "1990-02-28");
    assert_eq!(
        stored(&server, "n-6").await["attributes"],
        json!({ "favourite_store": "lyon-3" })
    );
    assert_eq!(
        stored(&server, "n-7").await["consent"],
        json!({ "email": false, "sms": true })
    );
    for skipped in ["n-3", "n-4"] {
        assert_eq!(get(&server, skipped).await.0, StatusCode::NOT_FOUND);
    }

    // The same body again (as application/jsonl): nothing new, every good line an update.
    let again = imported(&server, "application/jsonl", body).await;
    assert_eq!(tally(&again), counts([6, 0, 6, 2]), "{again}");

    // Without a blank line, `lines` counts them all; a last line without its newline is a
    // line; an unknown field is named by its pointer.
    let report = imported(
        &server,
        "application/x-ndjson",
        "{\"id\":\"n-8\"}\n{\"id\":\"n-9\",\"colour\":\"red\"}".to_string(),
    )
    .await;
    assert_eq!(report["lines"], 2, "{report}");
    assert_eq!(tally(&report), counts([1, 1, 0, 1]), "{report}");
    assert_eq!(pointers(problem_at(&report, 2)), ["/colour"], "{report}");
    assert_eq!(stored(&server, "n-8").await["id"], "n-8");

    // 1,200 bad lines: all counted, the first 1,000 listed.
    let bad: String = (1..=1200)
        .map(|i| format!("{{\"id\":\"bad-{i}\",\"birthdate\":\"nope\"}}\n"))
        .collect();
    let report = imported(&server, "application/x-ndjson", bad).await;
    assert_eq!(report["lines"], 1200);
    assert_eq!(tally(&report), counts([0, 0, 0, 1200]));
    let problems = report["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1000);
    assert_eq!(
        (&problems[0]["line"], &problems[0]["id"]),
        (&json!(1), &json!("bad-1"))
    );
    assert_eq!(problems[999]["line"], 1000);

    // A body neither NDJSON nor CSV.
    let (status, problem) = import(&server, "text/plain", "{\"id\":\"n-10\"}\n".into()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{problem}");
}

#[tokio::test]
async fn a_csv_import_maps_columns_and_reports_bad_rows() {
    let server = Server::start_with(&[]).await;
    // RFC 4180, CRLF. Rows 4 (a consent that is not one) and 5 (4 cells under 7 columns)
    // are bad; they come before row 6, whose quoted cell holds a newline, so their
    // numbers are the same whether lines or records are counted.
    let body = [
        "id,loyalty_tier,segments,birthdate,email_consent,sms_consent,attributes.favourite_store",
        "v-1,gold,a|b,1988-04-12,true,false,\"lyon, part-dieu\"",
        "v-2,,,,,,",
        "v-3,silver,,,maybe,,",
        "v-4,gold,,",
        "v-5,,,,1,0,\"paris\nrivoli\"",
        "v-6,bronze,x,,0,1,\"say \"\"hi\"\"\"",
    ]
    .map(|row| format!("{row}\r\n"))
    .concat();
    let report = imported(&server, "text/csv", body).await;
    assert_eq!(tally(&report), counts([4, 4, 0, 2]), "{report}");
    assert_eq!(
        report["problems"].as_array().map(Vec::len),
        Some(2),
        "{report}"
    );
    let consent = problem_at(&report, 4);
    assert_eq!(consent["id"], "v-3", "{report}");
    assert_eq!(pointers(consent), ["/consent/email"], "{report}");
    // The row of 4 cells is named (with whatever pointers: the doc names none).
    problem_at(&report, 5);

    for (id, expected) in [
        (
            "v-1",
            json!({
                "loyalty_tier": "gold", "segments": ["a", "b"], "birthdate": "1988-04-12",
                "attributes": { "favourite_store": "lyon, part-dieu" },
                "consent": { "email": true, "sms": false }
            }),
        ),
        ("v-2", json!({})),
        (
            "v-5",
            json!({
                "attributes": { "favourite_store": "paris\nrivoli" },
                "consent": { "email": true, "sms": false }
            }),
        ),
        (
            "v-6",
            json!({
                "loyalty_tier": "bronze", "segments": ["x"],
                "attributes": { "favourite_store": "say \"hi\"" },
                "consent": { "email": false, "sms": true }
            }),
        ),
    ] {
        assert_eq!(
            said(&stored(&server, id).await),
            said(&with_id(id, &expected)),
            "{id}"
        );
    }
    for skipped in ["v-3", "v-4"] {
        assert_eq!(get(&server, skipped).await.0, StatusCode::NOT_FOUND);
    }

    // A header with an unknown or a repeated column is refused whole.
    for (header, pointer) in [
        ("id,loyalty_tier,colour", "/header/2"),
        ("id,segments,segments", "/header/2"),
    ] {
        let (status, problem) =
            import(&server, "text/csv", format!("{header}\r\nw-1,a,b\r\n")).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{header}: {problem}"
        );
        assert_eq!(pointers(&problem), [pointer], "{header}: {problem}");
    }
    // So is a header without `id`.
    let (status, problem) = import(
        &server,
        "text/csv",
        "loyalty_tier,segments\r\ngold,a\r\n".into(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        pointers(&problem).iter().all(|p| p.starts_with("/header")),
        "{problem}"
    );
    assert_eq!(get(&server, "w-1").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_export_gives_back_every_profile_in_id_order() {
    let server = Server::start_with(&[]).await;
    // More than a batch of 500 and a page of 1,000; sent out of order.
    let profiles: Vec<Value> = (0..1500).map(numbered).collect();
    let mut shuffled = profiles.clone();
    shuffled.reverse();
    let report = imported(&server, "application/x-ndjson", ndjson(&shuffled)).await;
    assert_eq!(report["lines"], 1500, "{report}");
    assert_eq!(tally(&report), counts([1500, 1500, 0, 0]), "{report}");
    let expected: Vec<Value> = profiles.iter().map(said).collect();

    // NDJSON, the default: one profile a line, in id order.
    let (media_type, text) = fetch_text(&server, "/v1/exports/customers").await;
    assert!(
        media_type.starts_with("application/x-ndjson")
            || media_type.starts_with("application/jsonl"),
        "{media_type}"
    );
    let exported: Vec<Value> = text
        .lines()
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect();
    assert_eq!(exported.len(), 1500);
    let read: Vec<Value> = exported.iter().map(said).collect();
    for (i, (read, expected)) in read.iter().zip(&expected).enumerate() {
        assert_eq!(read, expected, "line {}", i + 1);
    }
    let (_, named) = fetch_text(&server, "/v1/exports/customers?format=ndjson").await;
    assert_eq!(named, text);

    // CSV: a header of the import's columns, then one row a profile, in id order.
    let (media_type, csv) = fetch_text(&server, "/v1/exports/customers?format=csv").await;
    assert!(media_type.starts_with("text/csv"), "{media_type}");
    let records = csv_records(&csv);
    assert_eq!(records.len(), 1501, "a header and 1,500 rows");
    let header = &records[0];
    let columns: BTreeSet<&str> = header.iter().map(String::as_str).collect();
    assert_eq!(
        columns,
        BTreeSet::from([
            "id",
            "loyalty_tier",
            "segments",
            "birthdate",
            "email_consent",
            "sms_consent",
            "attributes.favourite_store"
        ])
    );
    for (i, (row, expected)) in records[1..].iter().zip(&expected).enumerate() {
        assert_eq!(&from_csv(header, row), expected, "row {}", i + 2);
    }

    // The CSV imports again as it is: every profile an update, none changed.
    let again = imported(&server, "text/csv", csv).await;
    assert_eq!(tally(&again), counts([1500, 0, 1500, 0]), "{again}");
    let (_, after) = fetch_text(&server, "/v1/exports/customers").await;
    let reread: Vec<Value> = after
        .lines()
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect();
    assert_eq!(reread.iter().map(said).collect::<Vec<_>>(), expected);
}

#[tokio::test]
async fn customers_are_listed_by_prefix_page_by_page() {
    let server = Server::start_with(&[]).await;
    for id in ["c-2", "c-11", "b-1", "c-1", "c-100", "d-1", "c-12", "c-10"] {
        let answer = put(&server, id, &json!({ "segments": [id] })).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    }
    /// The ids of a page, and its `next`.
    fn page(listed: &Value) -> (Vec<&str>, &Value) {
        let ids = listed["customers"]
            .as_array()
            .unwrap_or_else(|| panic!("a page of customers: {listed}"))
            .iter()
            .map(|c| c["id"].as_str().unwrap_or("?"))
            .collect();
        (ids, &listed["next"])
    }
    /// `GET /v1/customers{query}` with the marketing key, checked to be a 200.
    async fn list(server: &Server, query: &str) -> Value {
        let (status, listed) = server
            .call(
                Method::GET,
                &format!("/v1/customers{query}"),
                MARKETING,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {listed}");
        listed
    }

    // Everyone, in byte order, whole profiles.
    let all = list(&server, "").await;
    assert_eq!(
        page(&all),
        (
            vec!["b-1", "c-1", "c-10", "c-100", "c-11", "c-12", "c-2", "d-1"],
            &Value::Null
        )
    );
    assert_eq!(all["customers"][1]["segments"], json!(["c-1"]));

    // Those starting with c-1, two at a time.
    let first = list(&server, "?prefix=c-1&limit=2").await;
    assert_eq!(page(&first), (vec!["c-1", "c-10"], &json!("c-10")));
    let second = list(&server, "?prefix=c-1&limit=2&after=c-10").await;
    assert_eq!(page(&second), (vec!["c-100", "c-11"], &json!("c-11")));
    let last = list(&server, "?prefix=c-1&limit=2&after=c-11").await;
    assert_eq!(page(&last), (vec!["c-12"], &Value::Null));
    let none = list(&server, "?prefix=e-").await;
    assert_eq!(page(&none), (vec![], &Value::Null));

    for query in ["limit=0", "limit=1001"] {
        let (status, problem) = server
            .call(
                Method::GET,
                &format!("/v1/customers?{query}"),
                MARKETING,
                None,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {problem}"
        );
        assert_eq!(pointers(&problem), ["/limit"], "{query}: {problem}");
    }
}

#[tokio::test]
async fn a_large_import_streams_without_the_body_limit() {
    let server = Server::start_with(&[]).await;
    let profiles: Vec<Value> = (0..20_000)
        .map(|i| {
            json!({
                "id": format!("big-{i:05}"), "loyalty_tier": "gold",
                "segments": ["card-holder", "newsletter"],
                "attributes": { "favourite_store": format!("store-{}", i % 100) }
            })
        })
        .collect();
    let body = ndjson(&profiles);
    assert!(body.len() > 2 * 1024 * 1024, "{} bytes", body.len());

    let report = imported(&server, "application/x-ndjson", body).await;
    assert_eq!(report["lines"], 20_000, "{report}");
    assert_eq!(tally(&report), counts([20_000, 20_000, 0, 0]), "{report}");
    assert_eq!(
        said(&stored(&server, "big-19999").await),
        said(&profiles[19_999])
    );
    let (status, listed) = server
        .call(
            Method::GET,
            "/v1/customers?prefix=big-1999&limit=1000",
            MARKETING,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["customers"].as_array().map(Vec::len), Some(10));
}

#[tokio::test]
async fn a_customers_orders_are_listed_newest_first_as_committed() {
    let server = Server::start_with(&[]).await;
    server
        .create(offer(
            "five-off",
            json!({ "amount_off": "5.00" }),
            json!({}),
        ))
        .await;
    let orders_of = |id: &str, query: &str| {
        let path = format!("/v1/customers/{id}/orders{query}");
        let server = &server;
        async move { server.call(Method::GET, &path, MARKETING, None).await }
    };
    let (status, _) = orders_of("c-buyer", "").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "nothing known of c-buyer yet"
    );
    for order_id in ["b-1", "b-2", "b-3"] {
        let answer = server
            .commit(order(order_id, json!({ "id": "c-buyer" })))
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    }
    server
        .commit(order("other-1", json!({ "id": "c-other" })))
        .await;
    let (status, cancelled) = server.cancel("b-2").await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");

    let (status, listed) = orders_of("c-buyer", "").await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let orders = listed["orders"].as_array().cloned().unwrap_or_default();
    let ids: Vec<&str> = orders
        .iter()
        .filter_map(|o| o["order_id"].as_str())
        .collect();
    assert_eq!(ids, ["b-3", "b-2", "b-1"], "{listed}");
    let newest = &orders[0];
    assert_eq!(
        (
            &newest["channel"],
            &newest["currency"],
            &newest["subtotal"],
            &newest["discount_total"],
            &newest["total"],
            &newest["campaigns"]
        ),
        (
            &json!("web"),
            &json!("EUR"),
            &json!("50.00"),
            &json!("5.00"),
            &json!("45.00"),
            &json!(["five-off"])
        ),
        "{newest}"
    );
    assert!(newest["cancelled_at"].is_null(), "{newest}");
    assert!(
        orders[1]["cancelled_at"].is_string(),
        "b-2 was cancelled: {listed}"
    );

    let (_, one) = orders_of("c-buyer", "?limit=1").await;
    assert_eq!(one["orders"].as_array().map(Vec::len), Some(1), "{one}");
    let (status, problem) = orders_of("c-buyer", "?limit=0").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(pointers(&problem), ["/limit"]);
    let (status, _) = server
        .call(Method::GET, "/v1/customers/c-buyer/orders", CHANNEL, None)
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "orders are for marketing keys"
    );

    // Erased, c-buyer has no orders any more: they no longer name them.
    assert_eq!(erase(&server, "c-buyer").await.0, StatusCode::OK);
    assert_eq!(orders_of("c-buyer", "").await.0, StatusCode::NOT_FOUND);
}
