//! What-if simulations over real HTTP (issue 19 item 4): a draft priced beside a live
//! campaign of its group over uploaded baskets, committed orders and journal entries. The
//! figures are worked out by hand: what the draft grants, the baskets it touches, per day,
//! channel and store, the live campaign it displaces, and the basket its budget runs out
//! at; the job's progress; cancelling a long one; and every refusal.

use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The live campaign: 10 % off, group `site`.
fn live_ten() -> Value {
    offer(
        "site-10",
        json!({ "percent_off": "10" }),
        json!({ "group": "site" }),
    )
}

/// The draft: 20 % off in the same group (it wins under the group's default policy, best
/// for the customer), with a 50.00 EUR budget: two 100.00 baskets take 40.00, and the
/// third's 20.00 no longer fits.
fn draft_twenty() -> Value {
    offer(
        "site-20",
        json!({ "percent_off": "20" }),
        json!({ "group": "site", "status": "draft",
                "limits": { "budget": "50.00", "budget_currency": "EUR" } }),
    )
}

/// Basket `n` (from 1): 100.00, on the web when `n` is odd, else in the `paris` store;
/// four a day from 2026-11-02 (Paris time).
fn basket(n: u32) -> Value {
    let day = 2 + (n - 1) / 4;
    let mut basket = json!({
        "currency": "EUR", "at": format!("2026-11-{day:02}T10:{n:02}:00+01:00"),
        "customer": { "id": format!("c-{n}") },
        "lines": [ { "id": "1", "sku": "A", "quantity": 1, "unit_price": "100.00" } ]
    });
    if n % 2 == 1 {
        basket["channel"] = json!("web");
    } else {
        basket["channel"] = json!("store");
        basket["store"] = json!("paris");
    }
    basket
}

fn ndjson(baskets: impl IntoIterator<Item = Value>) -> String {
    baskets
        .into_iter()
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Starts a simulation with the marketing key: the job.
async fn start(server: &Server, body: Value) -> Value {
    let answer = server
        .send(Method::POST, "/v1/simulations", MARKETING, Some(body))
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    let id = answer.body["id"].as_str().expect("an id").to_string();
    assert_eq!(
        answer.header("location"),
        Some(format!("/v1/simulations/{id}").as_str())
    );
    answer.body
}

/// Simulation `id` once it has ended (within 60 s), and how many times it was seen
/// running with `done` at most `total`.
async fn ended(server: &Server, id: &str) -> Value {
    let started = Instant::now();
    loop {
        let (status, job) = server
            .call(Method::GET, &format!("/v1/simulations/{id}"), OPS, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{job}");
        assert!(job["done"].as_i64() <= job["total"].as_i64(), "{job}");
        if job["status"] != "running" {
            return job;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn campaign<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["campaigns"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["campaign"] == id))
        .unwrap_or_else(|| panic!("{id} is not in {report}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_is_priced_beside_the_live_campaigns_over_uploaded_baskets() {
    let server = Server::start().await;
    server.create(live_ten()).await;

    let job = start(
        &server,
        json!({ "drafts": [draft_twenty()], "timezone": "Europe/Paris",
                "baskets": { "ndjson": ndjson((1..=10).map(basket)) } }),
    )
    .await;
    assert_eq!(job["total"], 10, "{job}");
    assert_eq!(job["created_by"], "marketing key", "{job}");
    assert_eq!(job["baskets"]["source"], "upload");
    let job = ended(&server, job["id"].as_str().expect("an id")).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["done"], 10);
    assert_eq!(job["drafts"][0]["id"], "site-20", "the drafts as sent");
    let report = &job["report"];
    assert_eq!(report["currency"], "EUR");
    assert_eq!(report["baskets"], 10);
    assert_eq!(
        report["touched"], 2,
        "baskets 1 and 2: the budget then runs short"
    );
    assert_eq!(report["failed"], 0);
    assert_eq!(
        report["discount"],
        json!({ "drafts": "40.00", "with_drafts": "120.00", "without_drafts": "100.00",
                "change": "20.00" })
    );

    let draft = campaign(report, "site-20");
    assert_eq!(draft["draft"], true);
    assert_eq!(draft["applied"], 2);
    assert_eq!(draft["discount"], "40.00");
    assert_eq!(draft["runs_out_on"], "2026-11-02", "{draft}");
    assert_eq!(
        draft["runs_out_after"], 3,
        "the third basket's 20.00 no longer fits"
    );
    let live = campaign(report, "site-10");
    assert_eq!(live["draft"], false);
    assert_eq!(live["applied"], 8);
    assert_eq!(live["discount"], "80.00");
    assert_eq!(live["displaced"], 2, "{live}");
    assert_eq!(live["displaced_discount"], "20.00");
    assert!(live.get("runs_out_on").is_none(), "{live}");

    let slice = |key: &str, baskets: u32, touched: u32, drafts: &str, change: &str| {
        json!({ "key": key, "baskets": baskets, "touched": touched, "drafts": drafts,
                "change": change })
    };
    assert_eq!(
        report["by_day"],
        json!([
            slice("2026-11-02", 4, 2, "40.00", "20.00"),
            slice("2026-11-03", 4, 0, "0.00", "0.00"),
            slice("2026-11-04", 2, 0, "0.00", "0.00"),
        ])
    );
    assert_eq!(
        report["by_channel"],
        json!([
            slice("store", 5, 1, "20.00", "10.00"),
            slice("web", 5, 1, "20.00", "10.00")
        ])
    );
    assert_eq!(
        report["by_store"],
        json!([slice("paris", 5, 1, "20.00", "10.00")])
    );

    // Nothing was saved: the draft is no campaign, the live one granted nothing.
    let (status, _) = server
        .call(Method::GET, "/v1/campaigns/site-20", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(server.stats("site-10").await["redemptions"], 0);

    // The list shows it, without its report.
    let (status, list) = server
        .call(Method::GET, "/v1/simulations", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list[0]["id"], job["id"], "{list}");
    assert!(list[0].get("report").is_none(), "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_orders_and_journal_entries_of_a_window_are_simulated() {
    let server = Server::start().await;
    server.create(live_ten()).await;
    let before = chrono::Utc::now() - chrono::Duration::minutes(5);
    for n in 1..=3 {
        let mut order = basket(n);
        order["order_id"] = json!(format!("o-{n}"));
        order.as_object_mut().map(|o| o.remove("at"));
        let committed = server.commit(order).await;
        assert_eq!(committed.status, StatusCode::CREATED, "{}", committed.body);
    }
    // A cancelled order is not a sale.
    assert_eq!(server.cancel("o-3").await.0, StatusCode::OK);
    let after = chrono::Utc::now() + chrono::Duration::minutes(5);
    let window = json!({ "from": before.to_rfc3339(), "to": after.to_rfc3339() });

    let job = start(
        &server,
        json!({ "drafts": [draft_twenty()], "baskets": { "orders": window } }),
    )
    .await;
    assert_eq!(job["total"], 2, "{job}");
    assert_eq!(job["baskets"]["source"], "orders");
    let job = ended(&server, job["id"].as_str().expect("an id")).await;
    let report = &job["report"];
    assert_eq!(report["baskets"], 2, "{job}");
    assert_eq!(report["touched"], 2);
    assert_eq!(report["discount"]["drafts"], "40.00");
    assert_eq!(campaign(report, "site-10")["displaced"], 2);
    assert!(
        campaign(report, "site-20").get("runs_out_on").is_none(),
        "40.00 of 50.00"
    );

    // The test servers journal every evaluation; commits are journalled too.
    let answer = server.evaluate(basket(4)).await;
    let id = answer["evaluation_id"].as_str().expect("an id").to_string();
    let started = Instant::now();
    while server
        .call(Method::GET, &format!("/v1/journal/{id}"), OPS, None)
        .await
        .0
        != StatusCode::OK
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never journalled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let job = start(
        &server,
        json!({ "drafts": [draft_twenty()], "baskets": { "journal": window } }),
    )
    .await;
    assert_eq!(job["baskets"]["source"], "journal");
    let job = ended(&server, job["id"].as_str().expect("an id")).await;
    let report = &job["report"];
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(report["baskets"], job["total"], "{job}");
    assert!(
        report["baskets"].as_i64() >= Some(4),
        "three commits and one evaluation"
    );
    assert_eq!(report["failed"], 0, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_simulation_reports_progress_and_can_be_cancelled() {
    let server = Server::start().await;
    server.create(live_ten()).await;
    let many = ndjson((0..60_000).map(|n| basket(1 + n % 12)));
    let job = start(
        &server,
        json!({ "drafts": [draft_twenty()], "baskets": { "ndjson": many } }),
    )
    .await;
    let id = job["id"].as_str().expect("an id").to_string();
    let path = format!("/v1/simulations/{id}/cancel");
    let (status, asked) = server.call(Method::POST, &path, OPS, None).await;
    assert_eq!(status, StatusCode::OK, "{asked}");
    assert_eq!(asked["cancel_requested"], true);
    let job = ended(&server, &id).await;
    assert_eq!(job["status"], "cancelled", "{job}");
    let done = job["done"].as_i64().expect("done");
    assert!(done < 60_000, "it stopped early: {done}");
    assert_eq!(job["report"]["baskets"].as_i64(), Some(done));
    assert!(job.get("finished_at").is_some(), "{job}");

    let (status, problem) = server.call(Method::POST, &path, OPS, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "an ended job: {problem}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulation_that_cannot_run_is_refused_with_the_field_that_is_wrong() {
    let server = Server::start().await;
    let one = ndjson([basket(1)]);
    let path = "/v1/simulations";
    let body = |drafts: Value, baskets: Value| json!({ "drafts": drafts, "baskets": baskets });
    let upload = json!({ "ndjson": one });

    server
        .refused(
            path,
            MARKETING,
            body(json!([]), upload.clone()),
            &["/drafts"],
        )
        .await;
    let mut bad = draft_twenty();
    bad["params"]["tiers"][0]["percent_off"] = json!("150");
    server
        .refused(
            path,
            MARKETING,
            body(json!([bad]), upload.clone()),
            &["/drafts/0/params/tiers/0/percent_off"],
        )
        .await;
    let mut unknown = draft_twenty();
    unknown["plugin"] = json!("no-such-plugin");
    unknown["id"] = json!("other");
    server
        .refused(
            path,
            MARKETING,
            body(json!([draft_twenty(), unknown]), upload.clone()),
            &["/drafts/1/plugin"],
        )
        .await;
    server
        .refused(
            path,
            MARKETING,
            body(json!([draft_twenty(), draft_twenty()]), upload.clone()),
            &["/drafts/1/id"],
        )
        .await;
    let window = json!({ "from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z" });
    server
        .refused(
            path,
            MARKETING,
            body(json!([draft_twenty()]), json!({ "orders": window })),
            &["/baskets/orders/to"],
        )
        .await;
    server
        .refused(
            path,
            MARKETING,
            body(
                json!([draft_twenty()]),
                json!({ "orders": window, "ndjson": one }),
            ),
            &["/baskets"],
        )
        .await;
    let mut wrong = basket(2);
    wrong["lines"][0]["quantity"] = json!(0);
    let (status, problem) = server
        .call(
            Method::POST,
            path,
            MARKETING,
            Some(body(
                json!([draft_twenty()]),
                json!({ "ndjson": ndjson([basket(1), wrong]) }),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(pointers(&problem), ["/baskets/ndjson"]);
    let detail = problem["errors"][0]["detail"].to_string() + &problem["errors"].to_string();
    assert!(
        detail.contains("line 2") && detail.contains("/lines/0/quantity"),
        "{problem}"
    );
    let mut request = body(json!([draft_twenty()]), upload.clone());
    request["timezone"] = json!("Mars/Olympus");
    request["currency"] = json!("XXY");
    server
        .refused(path, MARKETING, request, &["/currency", "/timezone"])
        .await;

    let (status, _) = server
        .call(
            Method::POST,
            path,
            CHANNEL,
            Some(body(json!([draft_twenty()]), upload)),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a till does not simulate");
    let (status, _) = server
        .call(Method::GET, "/v1/simulations/sim_none", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
