//! Personal codes over real HTTP (issue 18 item 1, docs/api.md "Personal codes"): codes
//! handed out to a segment or a list of customers, honouring consent and once per campaign
//! and customer; a code works only in its customer's baskets (anyone else gets it back as
//! `not_applied`, saying why); the customer's wallet lists it; the campaign's report counts
//! codes assigned, used, and conversion per channel.

use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Noon, a Wednesday in June, Paris.
const NOON: &str = "2026-06-17T12:00:00+02:00";

async fn put_profile(server: &Server, id: &str, profile: Value) {
    let (status, body) = server
        .call(
            Method::PUT,
            &format!("/v1/customers/{id}"),
            MARKETING,
            Some(profile),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn distribute(server: &Server, campaign: &str, body: Value) -> (StatusCode, Value) {
    server
        .call(
            Method::POST,
            &format!("/v1/campaigns/{campaign}/distributions"),
            MARKETING,
            Some(body),
        )
        .await
}

/// A web basket of 100.00 with `code`, for `customer` (null: anonymous).
fn basket_with(code: &str, customer: Value) -> Value {
    let mut basket = json!({
        "currency": "EUR", "channel": "web", "coupons": [code],
        "lines": [ { "id": "1", "sku": "A", "quantity": 1, "unit_price": "100.00" } ]
    });
    if !customer.is_null() {
        basket["customer"] = customer;
    }
    basket
}

/// `campaign: [codes]` of each offer of `customer`'s wallet.
async fn wallet(server: &Server, customer: &str) -> Vec<String> {
    let (status, wallet) = server
        .call(
            Method::GET,
            &format!("/v1/customers/{customer}/offers"),
            CHANNEL,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{wallet}");
    wallet["offers"]
        .as_array()
        .unwrap_or_else(|| panic!("offers: {wallet}"))
        .iter()
        .map(|offer| {
            let codes: Vec<&str> = offer["codes"]
                .as_array()
                .map(|codes| codes.iter().filter_map(|c| c["code"].as_str()).collect())
                .unwrap_or_default();
            format!(
                "{}: [{}]",
                offer["campaign"].as_str().unwrap_or("?"),
                codes.join(", ")
            )
        })
        .collect()
}

#[tokio::test]
async fn a_personal_code_reaches_its_customer_only_and_is_counted_per_channel() {
    let server = Server::start_held_at(NOON).await;
    server
        .create(offer(
            "vip",
            json!({ "percent_off": "10" }),
            json!({ "coupon_required": true }),
        ))
        .await;
    put_profile(
        &server,
        "c-1",
        json!({ "segments": ["vip"], "consent": { "email": true } }),
    )
    .await;
    put_profile(
        &server,
        "c-2",
        json!({ "segments": ["vip"], "consent": { "sms": true } }),
    )
    .await;
    put_profile(
        &server,
        "c-3",
        json!({ "segments": ["other"], "consent": { "email": true } }),
    )
    .await;

    // The segment, by e-mail: c-1 only; c-2 gave no consent to e-mail. A preview first.
    let (status, preview) = distribute(
        &server,
        "vip",
        json!({ "segment": "vip", "consent": "email", "dry_run": true }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{preview}");
    assert_eq!(
        (
            preview["dry_run"].clone(),
            preview["assigned"].clone(),
            preview["skipped"].clone()
        ),
        (json!(true), json!(1), json!(1)),
        "{preview}"
    );
    assert_eq!(preview["codes"], json!([]));
    let (status, done) = distribute(
        &server,
        "vip",
        json!({ "segment": "vip", "consent": "email", "prefix": "vip-" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(done["assigned"], 1, "{done}");
    assert_eq!(done["dry_run"], false, "{done}");
    assert_eq!(done["codes"][0]["customer"], "c-1");
    let code = done["codes"][0]["code"].as_str().unwrap_or("?").to_string();
    assert!(code.starts_with("VIP-") && code.len() == 16, "{code}");
    assert_eq!(done["skipped"], 1);
    assert_eq!(
        done["skipped_customers"],
        json!([{ "customer": "c-2", "reason": "no consent to email" }])
    );

    // Again: nothing new. A list without consent: c-3 and c-4 (no profile) get one.
    let (_, again) = distribute(
        &server,
        "vip",
        json!({ "segment": "vip", "consent": "email" }),
    )
    .await;
    assert_eq!(
        (again["assigned"].clone(), again["already_assigned"].clone()),
        (json!(0), json!(1)),
        "{again}"
    );
    let (status, listed) = distribute(
        &server,
        "vip",
        json!({ "customers": ["c-1", "c-4", "c-3", "c-4"] }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{listed}");
    assert_eq!(listed["assigned"], 2, "{listed}");
    assert_eq!(listed["already_assigned"], 1, "{listed}");
    let customers: Vec<&str> = listed["codes"]
        .as_array()
        .map(|codes| {
            codes
                .iter()
                .filter_map(|c| c["customer"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(customers, ["c-3", "c-4"]);

    // Someone else's basket gets the code back, not applied, saying why.
    for customer in [json!({ "id": "c-2" }), Value::Null] {
        let answer = server.evaluate(basket_with(&code, customer)).await;
        assert_eq!(
            answer["coupons"],
            json!([{ "code": code, "status": "not_applied", "campaign": "vip",
                     "detail": "personal to another customer" }]),
            "{answer}"
        );
        assert_eq!(discount_of(&answer, "vip"), None, "{answer}");
    }
    let mine = server
        .evaluate(basket_with(&code.to_lowercase(), json!({ "id": "c-1" })))
        .await;
    assert_eq!(discount_of(&mine, "vip"), Some("10.00"), "{mine}");

    // The wallet shows the customer's own code, not the others'.
    assert_eq!(wallet(&server, "c-1").await, [format!("vip: [{code}]")]);
    assert!(wallet(&server, "c-2").await.is_empty());

    // Used in store: one of three codes, all on the store channel.
    let mut order = basket_with(&code, json!({ "id": "c-1" }));
    order["order_id"] = json!("o-1");
    order["channel"] = json!("store");
    let committed = server.commit(order).await;
    assert_eq!(committed.status, StatusCode::CREATED, "{}", committed.body);
    let (status, report) = server
        .call(
            Method::GET,
            "/v1/campaigns/vip/distributions",
            MARKETING,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report,
        json!({ "campaign": "vip", "assigned": 3, "used": 1, "conversion": "0.3333",
                "by_channel": [ { "channel": "store", "orders": 1, "conversion": "0.3333" } ] })
    );
    // Used up, it leaves the wallet.
    assert!(wallet(&server, "c-1").await.is_empty());
    let (_, coupons) = server
        .call(Method::GET, "/v1/campaigns/vip/coupons", MARKETING, None)
        .await;
    let owners: Vec<&str> = coupons["coupons"]
        .as_array()
        .map(|codes| {
            codes
                .iter()
                .filter_map(|c| c["customer"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(owners.len(), 3, "{coupons}");

    // Every personal code as CSV, in code order: the one used shows its use.
    let csv = server
        .send(
            Method::GET,
            "/v1/campaigns/vip/distributions.csv",
            MARKETING,
            None,
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let text = csv.body.as_str().unwrap_or_default().to_string();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 4, "{text}");
    assert_eq!(rows[0], "customer,code,uses,uses_per_code,expires_at");
    assert!(
        rows.contains(&format!("c-1,{code},1,1,").as_str()),
        "{text}"
    );
}

#[tokio::test]
async fn a_distribution_is_refused_with_its_reason() {
    let server = Server::start_held_at(NOON).await;
    server
        .create(offer("open", json!({ "percent_off": "10" }), json!({})))
        .await;
    server
        .create(offer(
            "vip",
            json!({ "percent_off": "10" }),
            json!({ "coupon_required": true }),
        ))
        .await;
    let (status, problem) = distribute(&server, "open", json!({ "customers": ["c-1"] })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, problem) = distribute(&server, "nope", json!({ "customers": ["c-1"] })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    let (status, problem) = distribute(
        &server,
        "vip",
        json!({ "customers": ["c-1", ""], "uses_per_code": 0, "prefix": "no!" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        pointers(&problem),
        ["/customers/1", "/prefix", "/uses_per_code"]
    );
    let (status, problem) =
        distribute(&server, "vip", json!({ "consent": "fax", "segment": "x" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(pointers(&problem), ["/consent"]);
    let (status, _) = server
        .call(
            Method::POST,
            "/v1/campaigns/vip/distributions",
            CHANNEL,
            Some(json!({ "customers": ["c-1"] })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = server
        .call(
            Method::GET,
            "/v1/campaigns/nope/distributions",
            MARKETING,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    // A listed customer without a profile cannot have consented.
    let (status, done) = distribute(
        &server,
        "vip",
        json!({ "customers": ["c-9"], "consent": "sms" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(done["assigned"], 0);
    assert_eq!(
        done["skipped_customers"][0]["reason"],
        "no stored profile, so no consent to sms"
    );
}
