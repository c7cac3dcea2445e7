//! A host whose CPUs are busy (issue 15 item 7): a campaign it cannot check is shown
//! suspended there, never dropped. Its own test binary, because the threads it spins
//! would starve the plugins of tests running beside it of their wall-clock deadlines.
//! Skipped unless the suite runs on PostgreSQL (`scripts/with-postgres.sh`).

use remise::store::testing::postgres_server;
use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Whether the suite runs on PostgreSQL; says why the test is skipped when not.
fn on_postgres() -> bool {
    if postgres_server().is_none() {
        println!("skipped: needs PostgreSQL (scripts/with-postgres.sh)");
        return false;
    }
    true
}

/// A basket of one line of SKU-1 at `price`, on the web, for customer c-1.
fn basket(price: &str) -> Value {
    json!({
        "currency": "EUR", "channel": "web",
        "customer": { "id": "c-1" },
        "lines": [ { "id": "1", "sku": "SKU-1", "quantity": 1, "unit_price": price } ]
    })
}

/// Keeps `threads` threads spinning until dropped: a CPU-loaded machine.
struct Burner {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Burner {
    fn start(threads: usize) -> Burner {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let threads = (0..threads)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut n = 0u64;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        n = std::hint::black_box(n.wrapping_add(1));
                    }
                })
            })
            .collect();
        Burner { stop, threads }
    }
}

impl Drop for Burner {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_reaches_a_cpu_loaded_host_or_that_host_says_why_not() {
    // Issue 15 item 7: B re-checks what A writes while its CPUs are busy; the campaign
    // either serves on B, or B shows it suspended with its reason. It never vanishes.
    if !on_postgres() {
        return;
    }
    let a = Server::start_with(&["flip-v1"]).await;
    let b = Server::start_on(a.database_url(), &[]).await;
    let _load = Burner::start(4);
    let mut hundred = basket("100.00");
    hundred["explain"] = json!(true);

    a.create(offer("spring", json!({ "percent_off": "10" }), json!({})))
        .await;
    // `flip` is in A's plugin folder only: B cannot check a campaign of it.
    let (status, body) = a
        .call(
            Method::POST,
            "/v1/campaigns",
            MARKETING,
            Some(json!({ "id": "flipped", "name": "Flip", "plugin": "flip",
                         "status": "active", "params": {} })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let on_a = a.evaluate(hundred.clone()).await;
    let on_b = b.evaluate(hundred.clone()).await;
    let applied = |answer: &Value| -> Vec<String> {
        let mut ids: Vec<String> = answer["applied"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c["campaign"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        ids.sort_unstable();
        ids
    };
    assert_eq!(applied(&on_a), ["flipped", "spring"], "{on_a}");
    assert_eq!(applied(&on_b), ["spring"], "{on_b}");
    let flipped = on_b["rejected"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["campaign"] == "flipped"))
        .unwrap_or_else(|| panic!("B says nothing of flipped: {on_b}"));
    assert_eq!(flipped["reason"], "suspended", "{on_b}");

    let (_, on_b) = b
        .call(Method::GET, "/v1/campaigns/flipped", MARKETING, None)
        .await;
    assert_eq!(on_b["set_aside"]["status"], "suspended", "{on_b}");
    let (_, on_a) = a
        .call(Method::GET, "/v1/campaigns/flipped", MARKETING, None)
        .await;
    assert!(on_a.get("set_aside").is_none(), "{on_a}");
}
