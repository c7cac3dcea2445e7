//! Budget leases (issue 20 item 3): four real `remise serve` processes on one PostgreSQL
//! database, leasing slices of a 500-redemption cap and of a 2000.00 budget that may grant
//! part, each fired 500 concurrent commits while one of them is killed with SIGKILL
//! mid-run, before the cap is reached. The cap and the budget are reached exactly (once the dead host's lease
//! expires and comes back), no order counts twice, and the database's rows agree with the
//! stats to the cent. Skipped unless the suite runs on PostgreSQL.

mod support;

use reqwest::blocking::Client;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use support::{discount_on, money, number, Serve, KEY};

/// Hosts, and the orders each is sent at once.
const HOSTS: usize = 4;
const ORDERS_PER_HOST: usize = 500;
/// The connections firing at each host.
const CLIENTS_PER_HOST: usize = 16;
/// The cap (10.00 an order); the budget, 2000.00 at 3.70 an order (part of it at the
/// end), lasts about as long.
const CAP: usize = 500;
/// The lease TTL the hosts run with, in seconds.
const TTL_SECS: u64 = 3;

/// Order `id` of 100.00 for a customer of its own.
fn order(id: &str) -> Value {
    json!({
        "order_id": id, "currency": "EUR", "channel": "web",
        "customer": { "id": format!("c-{id}") },
        "lines": [ { "id": "1", "sku": "SKU", "quantity": 1, "unit_price": "100.00" } ]
    })
}
/// Commits `order_id` on `base`: its answer, retried while the host answers 503 (its
/// lease was taken back, say); `None` when the host is gone.
fn commit(client: &Client, base: &str, order_id: &str) -> Option<(StatusCode, Value)> {
    for _ in 0..5 {
        let sent = client
            .post(format!("{base}/v1/redemptions"))
            .bearer_auth(KEY)
            .json(&order(order_id))
            .send();
        let Ok(response) = sent else {
            return None;
        };
        let status = response.status();
        let body = response.json().unwrap_or(Value::Null);
        if status != StatusCode::SERVICE_UNAVAILABLE {
            return Some((status, body));
        }
        thread::sleep(Duration::from_millis(100));
    }
    None
}
#[test]
fn four_hosts_leasing_reach_exactly_the_cap_and_the_budget_with_one_killed_mid_run() {
    if remise::store::testing::postgres_server().is_none() {
        println!("skipped: needs PostgreSQL (scripts/with-postgres.sh)");
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    let database = tokio::runtime::Runtime::new().expect("a runtime").block_on(
        remise::store::testing::fresh_database_url(dir.path(), "remise"),
    );
    let ttl = TTL_SECS.to_string();
    let flags = [
        "--budget-leases",
        "--lease-ttl-secs",
        &ttl,
        "--db-max-connections",
        "8",
    ];
    let hosts: Vec<Arc<Mutex<Option<Serve>>>> = (0..HOSTS)
        .map(|_| Arc::new(Mutex::new(Some(Serve::start_with(&database, &flags, None)))))
        .collect();
    let bases: Vec<String> = hosts
        .iter()
        .map(|host| {
            host.lock()
                .expect("host")
                .as_ref()
                .expect("up")
                .base
                .clone()
        })
        .collect();
    let first = hosts[0].lock().expect("host");
    let first = first.as_ref().expect("up");
    for campaign in [
        json!({ "id": "capped", "name": "capped", "plugin": "threshold-discount",
                "status": "active", "limits": { "redemptions": CAP },
                "params": { "tiers": [ { "min_subtotal": "0", "percent_off": "10" } ] } }),
        json!({ "id": "partial", "name": "partial", "plugin": "threshold-discount",
                "status": "active",
                "limits": { "budget": "2000.00", "budget_currency": "EUR", "partial": true },
                "params": { "tiers": [ { "min_subtotal": "0", "amount_off": "3.70" } ] } }),
    ] {
        let (status, body) = first.call(Method::POST, "/v1/campaigns", Some(campaign));
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    // Every host is fired its 500 orders at once; the last host is killed once it has
    // answered 100 of them.
    let victim = HOSTS - 1;
    let answered: Vec<Arc<AtomicUsize>> = (0..HOSTS).map(|_| Arc::default()).collect();
    let answers = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let mut clients = Vec::new();
    for (host, base) in bases.iter().enumerate() {
        let next = Arc::new(AtomicUsize::new(0));
        for _ in 0..CLIENTS_PER_HOST {
            let (base, next, answers) = (base.clone(), next.clone(), answers.clone());
            let answered = answered[host].clone();
            clients.push(thread::spawn(move || {
                let client = Client::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= ORDERS_PER_HOST {
                        return;
                    }
                    let id = format!("h{host}-{i}");
                    let answer = commit(&client, &base, &id);
                    if let Some(answer) = answer {
                        answered.fetch_add(1, Ordering::Relaxed);
                        answers.lock().expect("answers").push((host, id, answer));
                    }
                }
            }));
        }
    }
    let killer = {
        let (host, answered) = (hosts[victim].clone(), answered[victim].clone());
        thread::spawn(move || {
            while answered.load(Ordering::Relaxed) < 100 {
                thread::sleep(Duration::from_millis(5));
            }
            if let Some(serve) = host.lock().expect("host").take() {
                serve.kill();
            }
        })
    };
    for client in clients {
        client.join().expect("a client");
    }
    killer.join().expect("the killer");
    let answers = std::mem::take(&mut *answers.lock().expect("answers"));
    println!(
        "{} answers from {HOSTS} hosts in {} ms",
        answers.len(),
        started.elapsed().as_millis()
    );
    let mut capped = Vec::new();
    let mut partial = Vec::new();
    for (host, id, (status, body)) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "host {host}, {id}: {body}");
        capped.extend(discount_on(body, "capped"));
        partial.extend(discount_on(body, "partial"));
    }
    assert!(
        answered[victim].load(Ordering::Relaxed) < ORDERS_PER_HOST,
        "the victim was killed mid-run"
    );
    // The answers the clients got never exceed the limits (the victim's last orders may
    // be committed unanswered: the database's rows count those).
    println!(
        "answered before the victim's lease expired: {} capped, {} from the budget",
        capped.len(),
        partial.iter().sum::<Decimal>()
    );
    assert!(capped.len() <= CAP, "{} capped orders", capped.len());
    assert!(capped.iter().all(|d| *d == money("10.00")));
    assert!(partial.iter().sum::<Decimal>() <= money("2000.00"));
    let stranded = number(
        &database,
        "SELECT COALESCE(SUM(granted_redemptions - used_redemptions), 0) FROM budget_leases \
         WHERE campaign_id = 'capped'",
    );
    let stranded_minor = number(
        &database,
        "SELECT COALESCE(SUM(granted_minor - used_minor), 0) FROM budget_leases \
         WHERE campaign_id = 'partial'",
    );
    println!("leased and unused before the wait: {stranded} redemptions, {stranded_minor} cents");
    assert!(partial
        .iter()
        .all(|d| *d > Decimal::ZERO && *d <= money("3.70")));

    // Once the victim's lease expired, the live hosts take back what it did not use: more
    // orders reach the cap and the budget exactly.
    thread::sleep(Duration::from_secs(TTL_SECS + 1));
    let client = Client::new();
    for i in 0..CAP {
        let base = &bases[i % victim];
        let (status, body) = commit(&client, base, &format!("late-{i}")).expect("a live host");
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (_, stats) = first.call(Method::GET, "/v1/campaigns/partial/stats", None);
        let (_, capped) = first.call(Method::GET, "/v1/campaigns/capped/stats", None);
        if stats["budget_left"] == "0.00" && capped["redemptions_left"] == 0 {
            break;
        }
    }
    let (_, capped) = first.call(Method::GET, "/v1/campaigns/capped/stats", None);
    assert_eq!(capped["redemptions"], CAP, "{capped}");
    assert_eq!(capped["discount_granted"], "5000.00", "{capped}");
    let (_, partial) = first.call(Method::GET, "/v1/campaigns/partial/stats", None);
    assert_eq!(partial["discount_granted"], "2000.00", "{partial}");
    assert_eq!(partial["budget_left"], "0.00", "{partial}");

    // The rows agree: each order counted once, the usage rows equal their sums, and no
    // lease used more than it was granted.
    for (campaign, redemptions, minor) in
        [("capped", Some(CAP), 500_000), ("partial", None, 200_000)]
    {
        let orders = number(
            &database,
            &format!("SELECT COUNT(*) FROM redemption_campaigns WHERE campaign_id = '{campaign}'"),
        );
        let distinct = number(
            &database,
            &format!(
                "SELECT COUNT(DISTINCT order_id) FROM redemption_campaigns \
                 WHERE campaign_id = '{campaign}'"
            ),
        );
        let granted = number(
            &database,
            &format!(
                "SELECT SUM(discount_minor) FROM redemption_campaigns \
                 WHERE campaign_id = '{campaign}'"
            ),
        );
        let usage = number(
            &database,
            &format!("SELECT redemptions FROM campaign_usage WHERE campaign_id = '{campaign}'"),
        );
        assert_eq!(orders, distinct, "{campaign}: no order counts twice");
        assert_eq!(orders, usage, "{campaign}: the usage row counts its orders");
        assert_eq!(granted, minor, "{campaign}: granted to the cent");
        if let Some(cap) = redemptions {
            assert_eq!(orders, cap as i64, "{campaign}: exactly the cap");
        }
    }
    let overdrawn = number(
        &database,
        "SELECT COUNT(*) FROM budget_leases WHERE used_redemptions > granted_redemptions \
         OR used_minor > granted_minor",
    );
    assert_eq!(overdrawn, 0, "no lease used more than it was granted");
}
