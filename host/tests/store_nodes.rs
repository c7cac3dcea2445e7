//! Store nodes (issue 20 item 5): a centre (on PostgreSQL when the suite runs there) and
//! two store nodes, each a real `remise serve` process on its own SQLite file. The stores
//! copy the centre's campaigns, plugins, channel keys and customer profiles, and lease
//! slices of a capped and of a budgeted campaign. The centre is killed; the stores keep
//! evaluating and committing 500 orders each, the leased campaigns until their slices are
//! spent, then with a reason that says so. The centre comes back on the same port, and one
//! store is killed with SIGKILL while it forwards, then started again. The centre ends
//! with every order exactly once, its stats exact to the cent, the stores' leases used
//! exactly what their orders took; a cancel made at a store reaches it too; a campaign
//! limited per customer stays out at the stores with a reason that says why; a budget
//! added to a leased campaign at the centre is leased anew at the store.

mod support;

use reqwest::blocking::Client;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use support::{discount_on, money, number, Serve};

/// The discounts one store's tills were given, by order id.
type Granted = Arc<std::sync::Mutex<Vec<Given>>>;

/// The capped campaign's cap, across the stores and the centre.
const CAP: u64 = 100;

/// What one order was given: its id and its discounts from ten-off, capped and budget.
type Given = (String, Decimal, Option<Decimal>, Option<Decimal>);

/// Orders committed at each store while the centre is down.
const ORDERS_PER_STORE: usize = 500;
/// The connections firing at each store.
const CLIENTS_PER_STORE: usize = 8;
/// Order `id` of `total` for customer `c-1`.
fn order(id: &str, total: &str) -> Value {
    json!({
        "order_id": id, "currency": "EUR", "channel": "store",
        "customer": { "id": "c-1" },
        "lines": [ { "id": "1", "sku": "SKU", "quantity": 1, "unit_price": total } ]
    })
}
/// Waits until `done` holds, for at most `patience`.
fn wait_for(what: &str, patience: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < patience,
            "{what}: not within {patience:?}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// Why `answer` (explained) rejected `campaign`.
fn rejection(answer: &Value, campaign: &str) -> Value {
    answer["rejected"]
        .as_array()
        .and_then(|rejected| rejected.iter().find(|r| r["campaign"] == campaign))
        .cloned()
        .unwrap_or_else(|| panic!("{campaign} is explained: {answer}"))
}

/// A store node of `centre` on its own database.
fn store_node(database: &str, centre: &str, id: &str, key: &str) -> Serve {
    Serve::start_with(
        database,
        &["--upstream", centre, "--store", id, "--upstream-key", key],
        None,
    )
}

/// Evaluates `basket` on `serve` with the till key, explained.
fn evaluate(serve: &Serve, till: &str, basket: &Value) -> (StatusCode, Value) {
    let mut basket = basket.clone();
    if let Some(fields) = basket.as_object_mut() {
        fields.remove("order_id");
    }
    basket["explain"] = json!(true);
    serve.call_with(till, Method::POST, "/v1/evaluate", Some(basket))
}

#[test]
fn two_stores_sell_through_a_centre_outage_and_the_centre_counts_every_order_once() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    // The centre on PostgreSQL when the suite runs there, else on SQLite; the stores on
    // SQLite always, as in a store.
    let centre_db = tokio::runtime::Runtime::new().expect("a runtime").block_on(
        remise::store::testing::fresh_database_url(dir.path(), "centre"),
    );
    let centre = Serve::start(&centre_db);
    let centre_port = centre.port();
    let centre_base = centre.base.clone();
    // A CRM listens for orders at the centre (it is never reached: the events are counted
    // in the outbox, where each is written with its order).
    let (status, body) = centre.call(
        Method::POST,
        "/v1/webhooks",
        Some(json!({ "url": "https://crm.example/hooks/remise",
                     "events": ["redemption.committed", "redemption.cancelled"] })),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // The centre's keys: one per store node, labelled with its store's id, and one for
    // the tills.
    let ids = ["lyon", "nantes"];
    let store_keys: Vec<String> = ids
        .iter()
        .map(|id| {
            let (status, created) = centre.call(
                Method::POST,
                "/v1/keys",
                Some(json!({ "role": "store", "label": id })),
            );
            assert_eq!(status, StatusCode::CREATED, "{created}");
            created["key"].as_str().expect("a key").to_string()
        })
        .collect();
    let store_key = &store_keys[0];
    // A store's key acts for its own store only.
    let (status, problem) =
        centre.call_with(store_key, Method::GET, "/v1/stores/nantes/feed", None);
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, created) = centre.call(
        Method::POST,
        "/v1/keys",
        Some(json!({ "role": "channel", "label": "tills" })),
    );
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let till = created["key"].as_str().expect("a key").to_string();
    // A till key is refused the store routes, and the store key the channel's.
    let (status, _) = centre.call_with(&till, Method::GET, "/v1/stores/lyon/feed", None);
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = centre.call_with(
        store_key,
        Method::POST,
        "/v1/evaluate",
        Some(order("o", "10.00")),
    );
    assert_eq!(status, StatusCode::FORBIDDEN);

    for campaign in [
        json!({ "id": "ten-off", "name": "10 % dès 50 €", "plugin": "threshold-discount",
                "status": "active",
                "params": { "tiers": [ { "min_subtotal": "50", "percent_off": "10" } ] } }),
        json!({ "id": "capped", "name": "capped", "plugin": "threshold-discount",
                "status": "active", "limits": { "redemptions": CAP },
                "params": { "tiers": [ { "min_subtotal": "0", "amount_off": "1.00" } ] } }),
        json!({ "id": "budget", "name": "budget", "plugin": "threshold-discount",
                "status": "active",
                "limits": { "budget": "60.00", "budget_currency": "EUR", "partial": true },
                "params": { "tiers": [ { "min_subtotal": "0", "amount_off": "1.30" } ] } }),
        json!({ "id": "once-each", "name": "once each", "plugin": "threshold-discount",
                "status": "active", "limits": { "per_customer": 1 },
                "params": { "tiers": [ { "min_subtotal": "0", "amount_off": "2.00" } ] } }),
    ] {
        let (status, body) = centre.call(Method::POST, "/v1/campaigns", Some(campaign));
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = centre.call(
        Method::PUT,
        "/v1/customers/c-1",
        Some(json!({ "loyalty_tier": "gold" })),
    );
    assert!(status.is_success(), "{body}");

    let stores_db = [url("lyon.db"), url("nantes.db")];
    let mut stores: Vec<Option<Serve>> = (0..2)
        .map(|i| {
            Some(store_node(
                &stores_db[i],
                &centre_base,
                ids[i],
                &store_keys[i],
            ))
        })
        .collect();

    // Each store serves the centre's campaigns to the centre's tills once it has copied
    // them and leased slices of the capped and budgeted ones, and keeps the one limited
    // per customer out, saying why.
    for store in stores.iter().flatten() {
        wait_for(
            "the store copies the centre and leases",
            Duration::from_secs(30),
            || {
                let (status, answer) = evaluate(store, &till, &order("probe", "100.00"));
                status == StatusCode::OK
                    && ["ten-off", "capped", "budget"]
                        .iter()
                        .all(|campaign| discount_on(&answer, campaign).is_some())
            },
        );
        let (_, answer) = evaluate(store, &till, &order("probe", "100.00"));
        assert_eq!(
            discount_on(&answer, "ten-off"),
            Some(money("10.00")),
            "{answer}"
        );
        assert_eq!(discount_on(&answer, "once-each"), None, "{answer}");
        let why = rejection(&answer, "once-each");
        assert!(
            why["detail"]
                .as_str()
                .is_some_and(|d| d.contains("store node")),
            "{why}"
        );
        // The customer profile came too.
        let (status, customer) = store.call(Method::GET, "/v1/customers/c-1", None);
        assert_eq!(status, StatusCode::OK, "{customer}");
        assert_eq!(customer["loyalty_tier"], "gold", "{customer}");
        // What the centre owns is changed there, not here.
        let (status, problem) = store.call(
            Method::PATCH,
            "/v1/campaigns/ten-off",
            Some(json!({ "status": "paused" })),
        );
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains("store node")),
            "{problem}"
        );
        // Webhooks too: the centre tells them of the stores' orders.
        let (status, problem) = store.call(
            Method::POST,
            "/v1/webhooks",
            Some(json!({ "url": "https://crm.example/store", "events": ["*"] })),
        );
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        // Returns are taken at the centre.
        let (status, problem) = store.call_with(
            &till,
            Method::POST,
            "/v1/redemptions/never/returns",
            Some(json!({ "return_id": "r-1", "lines": [ { "id": "1", "quantity": 1 } ] })),
        );
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains("centre")),
            "{problem}"
        );
    }

    // The centre goes down; the stores sell on.
    centre.kill();
    let granted: Vec<Granted> = (0..2).map(|_| Arc::default()).collect();
    let mut clients = Vec::new();
    for (i, store) in stores.iter().enumerate() {
        let base = store.as_ref().expect("up").base.clone();
        let next = Arc::new(AtomicUsize::new(0));
        for _ in 0..CLIENTS_PER_STORE {
            let (base, next, till) = (base.clone(), next.clone(), till.clone());
            let (granted, id) = (granted[i].clone(), ids[i]);
            clients.push(thread::spawn(move || {
                let client = Client::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= ORDERS_PER_STORE {
                        return;
                    }
                    let order_id = format!("{id}-{n}");
                    // 50.00 to 149.99: every order takes 10 %.
                    let total = format!("{}.{:02}", 50 + n % 100, n % 100);
                    let response = client
                        .post(format!("{base}/v1/redemptions"))
                        .bearer_auth(&till)
                        .json(&order(&order_id, &total))
                        .send()
                        .expect("the store answers");
                    let status = response.status();
                    let body: Value = response.json().expect("JSON");
                    assert_eq!(status, StatusCode::CREATED, "{order_id}: {body}");
                    let discount = discount_on(&body, "ten-off")
                        .unwrap_or_else(|| panic!("{order_id} takes ten-off: {body}"));
                    let capped = discount_on(&body, "capped");
                    let budget = discount_on(&body, "budget");
                    granted
                        .lock()
                        .expect("granted")
                        .push((order_id, discount, capped, budget));
                }
            }));
        }
    }
    for client in clients {
        client.join().expect("a till");
    }
    let granted: Vec<Vec<Given>> = granted
        .iter()
        .map(|g| std::mem::take(&mut *g.lock().expect("granted")))
        .collect();
    assert!(granted.iter().all(|g| g.len() == ORDERS_PER_STORE));
    let total: Decimal = granted.iter().flatten().map(|given| given.1).sum();
    let capped_given: Vec<Decimal> = granted.iter().flatten().filter_map(|g| g.2).collect();
    let budget_given: Decimal = granted.iter().flatten().filter_map(|g| g.3).sum();
    println!(
        "offline: {} orders took capped, {budget_given} € came from the budget",
        capped_given.len()
    );
    // Each store sold its slices and no more; once a slice is spent, the campaign says
    // that the store's lease is what is spent.
    assert!(!capped_given.is_empty() && (capped_given.len() as u64) < CAP);
    assert!(budget_given > Decimal::ZERO && budget_given < money("60.00"));
    for store in stores.iter().flatten() {
        let (_, answer) = evaluate(store, &till, &order("probe", "100.00"));
        let why = rejection(&answer, "capped");
        assert!(
            why["detail"]
                .as_str()
                .is_some_and(|d| d.contains("budget lease from the centre is spent")),
            "{why}"
        );
    }

    // Back up where the stores expect it; the second store is killed as it forwards, and
    // started again on its own database.
    let centre = Serve::start_at(centre_port, &centre_db, &[], None);
    let forwarded_from_nantes = || {
        number(
            &centre_db,
            "SELECT COALESCE(MAX(orders), 0) FROM store_nodes WHERE store_id = 'nantes'",
        )
    };
    // Watched closely, so the kill lands between two of its batches.
    let watching = Instant::now();
    while forwarded_from_nantes() == 0 {
        assert!(
            watching.elapsed() < Duration::from_secs(60),
            "nantes forwards nothing"
        );
        thread::sleep(Duration::from_millis(2));
    }
    let before_kill = forwarded_from_nantes();
    stores[1].take().expect("up").kill();
    println!("nantes killed with {before_kill} of its {ORDERS_PER_STORE} orders at the centre");
    stores[1] = Some(store_node(
        &stores_db[1],
        &centre_base,
        "nantes",
        &store_keys[1],
    ));

    // A cancel at a store reaches the centre too, after its order.
    let lyon = stores[0].as_ref().expect("up");
    let (cancelled_id, cancelled_discount, cancelled_capped, cancelled_budget) =
        granted[0][0].clone();
    let (status, body) = lyon.call_with(
        &till,
        Method::DELETE,
        &format!("/v1/redemptions/{cancelled_id}"),
        None,
    );
    assert_eq!(status, StatusCode::OK, "{body}");

    let expected = 2 * ORDERS_PER_STORE as i64 - 1;
    wait_for(
        "every order reaches the centre",
        Duration::from_secs(120),
        || {
            let (status, stats) = centre.call(Method::GET, "/v1/campaigns/ten-off/stats", None);
            status == StatusCode::OK && stats["redemptions"] == expected
        },
    );
    for db in &stores_db {
        wait_for("the queues empty", Duration::from_secs(30), || {
            number(db, "SELECT COUNT(*) FROM forward_queue") == 0
        });
    }
    let (_, stats) = centre.call(Method::GET, "/v1/campaigns/ten-off/stats", None);
    println!("the centre's stats: {stats}");
    let granted_total = money(stats["discount_granted"].as_str().expect("an amount"));
    assert_eq!(granted_total, total - cancelled_discount, "{stats}");

    // Each order once, with what its store granted; nothing refused.
    assert_eq!(
        number(&centre_db, "SELECT COUNT(*) FROM redemptions"),
        2 * ORDERS_PER_STORE as i64
    );
    assert_eq!(
        number(
            &centre_db,
            "SELECT COUNT(*) FROM redemptions WHERE cancelled_at IS NOT NULL"
        ),
        1
    );
    assert_eq!(
        number(
            &centre_db,
            "SELECT COUNT(*) FROM redemption_campaigns WHERE campaign_id = 'ten-off'"
        ),
        expected
    );
    assert_eq!(
        number(
            &centre_db,
            "SELECT redemptions FROM campaign_usage WHERE campaign_id = 'ten-off'"
        ),
        expected
    );
    assert_eq!(
        number(&centre_db, "SELECT SUM(orders) FROM store_nodes"),
        2 * ORDERS_PER_STORE as i64 + 1,
        "each store's orders and the cancel, applied once"
    );
    // The evaluations made at the stores count at the centre too (the centre evaluated
    // none itself): each store's, once, as each store counted them.
    let evaluations = |db: &str| {
        number(
            db,
            "SELECT COALESCE(SUM(evaluations), 0) FROM campaign_usage WHERE campaign_id = 'ten-off'",
        )
    };
    wait_for(
        "the stores' evaluation counts reach the centre",
        Duration::from_secs(30),
        || {
            let at_stores = evaluations(&stores_db[0]) + evaluations(&stores_db[1]);
            at_stores > 0 && evaluations(&centre_db) == at_stores
        },
    );

    // The CRM is told of each order once, and of the cancel.
    let told = |kind: &str| {
        number(
            &centre_db,
            &format!("SELECT COUNT(*) FROM outbox_events WHERE type = '{kind}'"),
        )
    };
    assert_eq!(told("redemption.committed"), 2 * ORDERS_PER_STORE as i64);
    assert_eq!(told("redemption.cancelled"), 1);
    for db in &stores_db {
        assert_eq!(
            number(
                db,
                "SELECT COUNT(*) FROM forward_queue WHERE rejected IS NOT NULL"
            ),
            0
        );
    }
    // Ops sees both stores, with what each handed back.
    let (status, known) = centre.call(Method::GET, "/v1/stores", None);
    assert_eq!(status, StatusCode::OK, "{known}");
    let entries: Vec<(&str, i64)> = known
        .as_array()
        .expect("a list")
        .iter()
        .map(|store| {
            (
                store["store_id"].as_str().expect("an id"),
                store["entries"].as_i64().expect("a count"),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("lyon", ORDERS_PER_STORE as i64 + 1),
            ("nantes", ORDERS_PER_STORE as i64)
        ]
    );

    // The leased campaigns: the centre counts what the stores gave, to the cent, within
    // the limits, and the stores' leases used exactly that.
    let capped_kept = capped_given.len() as i64 - i64::from(cancelled_capped.is_some());
    let (_, capped) = centre.call(Method::GET, "/v1/campaigns/capped/stats", None);
    assert_eq!(capped["redemptions"], capped_kept, "{capped}");
    let budget_kept = budget_given - cancelled_budget.unwrap_or_default();
    let (_, budget) = centre.call(Method::GET, "/v1/campaigns/budget/stats", None);
    assert_eq!(
        money(budget["discount_granted"].as_str().expect("an amount")),
        budget_kept,
        "{budget}"
    );
    assert_eq!(
        number(
            &centre_db,
            "SELECT SUM(used_redemptions) FROM budget_leases WHERE campaign_id = 'capped'"
        ),
        capped_kept,
        "the stores' capped leases used what their orders took"
    );
    assert_eq!(
        Decimal::new(
            number(
                &centre_db,
                "SELECT SUM(used_minor) FROM budget_leases WHERE campaign_id = 'budget'"
            ),
            2
        ),
        budget_kept,
        "the stores' budget leases used what their orders took"
    );
    assert_eq!(
        number(
            &centre_db,
            "SELECT COUNT(*) FROM budget_leases WHERE used_redemptions > granted_redemptions \
             OR used_minor > granted_minor"
        ),
        0,
        "no lease overdrawn"
    );
    // The campaign limited per customer never applied at a store.
    let (_, once) = centre.call(Method::GET, "/v1/campaigns/once-each/stats", None);
    assert_eq!(once["redemptions"], 0, "{once}");

    // Marketing gives the capped campaign a budget too: the store ends its lease and
    // takes one under the new limits, which then bound the campaign there.
    let (status, body) = centre.call(
        Method::PUT,
        "/v1/campaigns/capped",
        Some(
            json!({ "id": "capped", "name": "capped", "plugin": "threshold-discount",
                     "status": "active",
                     "limits": { "redemptions": CAP, "budget": "40.00", "budget_currency": "EUR" },
                     "params": { "tiers": [ { "min_subtotal": "0", "amount_off": "1.00" } ] } }),
        ),
    );
    assert_eq!(status, StatusCode::OK, "{body}");
    let lyon = stores[0].as_ref().expect("up");
    wait_for(
        "the store leases the campaign's new budget",
        Duration::from_secs(30),
        || {
            number(
                &centre_db,
                "SELECT COUNT(*) FROM budget_leases WHERE campaign_id = 'capped' \
                 AND holder = 'store:lyon' AND granted_minor > 0",
            ) == 1
        },
    );
    wait_for(
        "the store serves the campaign on its new lease",
        Duration::from_secs(30),
        || {
            let (_, answer) = evaluate(lyon, &till, &order("probe", "100.00"));
            discount_on(&answer, "capped") == Some(money("1.00"))
        },
    );
    let (_, campaign) = lyon.call(Method::GET, "/v1/campaigns/capped", None);
    assert!(
        campaign["limits"]["budget"]
            .as_str()
            .is_some_and(|budget| money(budget) > Decimal::ZERO),
        "{campaign}"
    );

    // The customer is erased at the centre: the stores erase them too, their profile and
    // their name on the orders the stores keep; every order and amount stays.
    assert!(
        number(
            &stores_db[0],
            "SELECT COUNT(*) FROM redemptions WHERE customer_id = 'c-1'"
        ) > 0
    );
    let (status, body) = centre.call(Method::DELETE, "/v1/customers/c-1", None);
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        number(
            &centre_db,
            "SELECT COUNT(*) FROM redemptions WHERE customer_id = 'c-1'"
        ),
        0
    );
    wait_for(
        "the store erases the customer",
        Duration::from_secs(30),
        || lyon.call(Method::GET, "/v1/customers/c-1", None).0 == StatusCode::NOT_FOUND,
    );
    assert_eq!(
        number(
            &stores_db[0],
            "SELECT COUNT(*) FROM redemptions WHERE customer_id = 'c-1'"
        ),
        0,
        "the store's orders no longer name them"
    );
    assert_eq!(
        number(&stores_db[0], "SELECT COUNT(*) FROM redemptions"),
        number(
            &stores_db[0],
            "SELECT COUNT(*) FROM redemptions WHERE basket LIKE '%(erased)%'"
        ),
        "each of its orders is kept, under no name"
    );
}
