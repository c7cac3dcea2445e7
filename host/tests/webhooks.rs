//! Events and webhooks (issue 18 item 3, docs/webhooks.md) with the real `remise serve`
//! binary and a real HTTP receiver on loopback: a receiver that fails for a while and then
//! accepts gets every event, each id once after deduplication, signed, a customer's in
//! order; SIGKILL between deliveries loses none; dead letters are kept, shown and retried;
//! an endpoint that hangs or answers without end costs one attempt; URLs of private
//! addresses are refused, and secrets are shown once and never logged.

mod support;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as Status};
use axum::response::Response;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::sleep;
use std::time::{Duration, Instant};
use support::Serve;

/// How a receiver answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// 503 to the first `n` requests, then 200.
    FailFirst(usize),
    /// 503 to everything.
    Fail,
    /// 200.
    Accept,
    /// Never answers.
    Hang,
    /// 200, with a body that never ends.
    Endless,
}

/// One request a receiver got.
#[derive(Clone, Debug)]
struct Received {
    event_id: String,
    signature: String,
    body: Bytes,
    accepted: bool,
}

#[derive(Debug)]
struct Inbox {
    mode: Mode,
    seen: usize,
    received: Vec<Received>,
}

/// An HTTP endpoint on a loopback port, on a runtime of its own.
struct Receiver {
    url: String,
    inbox: Arc<Mutex<Inbox>>,
    _runtime: tokio::runtime::Runtime,
}

impl Receiver {
    fn start(mode: Mode) -> Receiver {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let inbox = Arc::new(Mutex::new(Inbox {
            mode,
            seen: 0,
            received: Vec::new(),
        }));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(Arc::clone(&inbox));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port");
        let url = format!("http://{}/hook", listener.local_addr().expect("bound"));
        runtime.spawn(async move { axum::serve(listener, app).await });
        Receiver {
            url,
            inbox,
            _runtime: runtime,
        }
    }

    fn set_mode(&self, mode: Mode) {
        self.inbox
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .mode = mode;
    }

    fn received(&self) -> Vec<Received> {
        self.inbox
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .received
            .clone()
    }

    /// The ids it accepted, once each, in the order first accepted.
    fn accepted_ids(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        self.received()
            .into_iter()
            .filter(|r| r.accepted && seen.insert(r.event_id.clone()))
            .map(|r| r.event_id)
            .collect()
    }
}

async fn receive(
    State(inbox): State<Arc<Mutex<Inbox>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let mode = {
        let mut inbox = inbox.lock().unwrap_or_else(PoisonError::into_inner);
        inbox.seen += 1;
        let accepted = match inbox.mode {
            Mode::FailFirst(n) => inbox.seen > n,
            Mode::Accept | Mode::Endless => true,
            Mode::Fail | Mode::Hang => false,
        };
        inbox.received.push(Received {
            event_id: header("remise-event-id"),
            signature: header("remise-signature"),
            body: body.clone(),
            accepted,
        });
        match inbox.mode {
            Mode::FailFirst(_) if accepted => Mode::Accept,
            mode => mode,
        }
    };
    let answer = |status: Status, body: Body| {
        Response::builder()
            .status(status)
            .body(body)
            .unwrap_or_else(|_| Response::new(Body::empty()))
    };
    match mode {
        Mode::Accept => answer(Status::OK, Body::from("ok")),
        Mode::FailFirst(_) | Mode::Fail => answer(
            Status::SERVICE_UNAVAILABLE,
            Body::from("down for maintenance"),
        ),
        Mode::Hang => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            answer(Status::OK, Body::empty())
        }
        Mode::Endless => {
            let chunk = Bytes::from(vec![b'x'; 16 * 1024]);
            let stream =
                futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
            answer(Status::OK, Body::from_stream(stream))
        }
    }
}

/// Whether `signature` (`t=…,v1=…`) signs `body` with `secret`: HMAC-SHA256 over
/// `"{t}.{body}"`, computed here with the RustCrypto crates, not the server's code.
fn signed(secret: &str, signature: &str, body: &[u8]) -> bool {
    let mut timestamp = None;
    let mut given = None;
    for part in signature.split(',') {
        match part.split_once('=') {
            Some(("t", t)) => timestamp = Some(t.to_string()),
            Some(("v1", v)) => given = Some(v.to_string()),
            _ => {}
        }
    }
    let (Some(timestamp), Some(given)) = (timestamp, given) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() < 300);
    expected == given && fresh
}

fn database(dir: &tempfile::TempDir) -> String {
    tokio::runtime::Runtime::new().expect("a runtime").block_on(
        remise::store::testing::fresh_database_url(dir.path(), "remise"),
    )
}

/// Waits up to `patience` for `done`, every 50 ms.
fn wait_for(patience: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < patience {
        if done() {
            return;
        }
        sleep(Duration::from_millis(50));
    }
    panic!("{what}: not within {patience:?}");
}

/// Subscribes `url` to `events`; the webhook's id and secret.
fn subscribe(serve: &Serve, url: &str, events: Value) -> (String, String) {
    let (status, created) = serve.call(
        Method::POST,
        "/v1/webhooks",
        Some(json!({ "url": url, "events": events, "description": "test receiver" })),
    );
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("an id").to_string();
    let secret = created["secret"].as_str().expect("a secret").to_string();
    (id, secret)
}

fn deliveries(serve: &Serve, webhook: &str, status: &str) -> Vec<Value> {
    let (code, list) = serve.call(
        Method::GET,
        &format!("/v1/webhooks/{webhook}/deliveries?status={status}&limit=500"),
        None,
    );
    assert_eq!(code, StatusCode::OK, "{list}");
    list["deliveries"].as_array().cloned().unwrap_or_default()
}

fn create(serve: &Serve, campaign: Value) {
    let (status, body) = serve.call(Method::POST, "/v1/campaigns", Some(campaign));
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// An order of two units at `price` each, by `customer`, on the web.
fn order(id: &str, customer: &str, price: &str) -> Value {
    json!({
        "order_id": id, "currency": "EUR", "channel": "web", "customer": { "id": customer },
        "lines": [ { "id": "1", "sku": "SKU-1", "quantity": 2, "unit_price": price } ]
    })
}

fn commit(serve: &Serve, order: Value) -> Value {
    let (status, answer) = serve.call(Method::POST, "/v1/redemptions", Some(order));
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer
}

/// The flags of a server that delivers to loopback and retries fast.
const FAST: &[&str] = &[
    "--webhook-allow-private",
    "--webhook-retry-base-ms",
    "50",
    "--webhook-timeout-ms",
    "2000",
];

#[test]
fn a_receiver_that_fails_for_a_while_gets_every_event_once_signed_and_in_order() {
    let dir = tempfile::tempdir().expect("a folder");
    let url = database(&dir);
    let receiver = Receiver::start(Mode::FailFirst(6));
    let serve = Serve::start_with(&url, FAST, None);
    let (webhook, secret) = subscribe(&serve, &receiver.url, json!(["*"]));

    // 10 % off, a budget of 30.00 granted in part when it runs short: the alert at 80 %
    // and the objective are each crossed once.
    create(
        &serve,
        json!({ "id": "ten-off", "name": "ten-off", "plugin": "threshold-discount",
                "status": "active",
                "limits": { "budget": "30.00", "budget_currency": "EUR", "partial": true },
                "params": { "tiers": [ { "min_subtotal": "0", "percent_off": "10" } ] } }),
    );
    // Personal codes of a campaign that needs one, and a reward of it from 150.00 spent.
    create(
        &serve,
        json!({ "id": "vip", "name": "vip", "plugin": "threshold-discount", "status": "active",
                "coupon_required": true,
                "params": { "tiers": [ { "min_subtotal": "0", "amount_off": "5.00" } ] } }),
    );
    create(
        &serve,
        json!({ "id": "web-to-store", "name": "web-to-store", "plugin": "cross-channel-reward",
                "status": "active",
                "params": { "min_spend": "150.00", "reward_campaign": "vip", "valid_days": 30,
                            "channels": ["store"] } }),
    );
    let (status, distributed) = serve.call(
        Method::POST,
        "/v1/campaigns/vip/distributions",
        Some(json!({ "customers": ["c-1", "c-2"] })),
    );
    assert_eq!(status, StatusCode::CREATED, "{distributed}");

    commit(&serve, order("o-1", "c-1", "50.00")); // 10.00 off
    commit(&serve, order("o-2", "c-2", "100.00")); // 20.00 off: 30.00, budget met; a reward
    commit(&serve, order("o-3", "c-1", "40.00")); // nothing left
    let (status, cancelled) = serve.call(Method::DELETE, "/v1/redemptions/o-3", None);
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    let (status, returned) = serve.call(
        Method::POST,
        "/v1/redemptions/o-1/returns",
        Some(json!({ "return_id": "r-1", "lines": [ { "id": "1", "quantity": 1 } ] })),
    );
    assert_eq!(status, StatusCode::CREATED, "{returned}");
    let (status, ended) = serve.call(Method::POST, "/v1/campaigns/vip/end", None);
    assert_eq!(status, StatusCode::OK, "{ended}");

    // Every event queued for the webhook is delivered.
    let start = Instant::now();
    loop {
        let (_, hook) = serve.call(Method::GET, &format!("/v1/webhooks/{webhook}"), None);
        if hook["pending"] == 0 && hook["delivered"].as_i64().unwrap_or(0) >= 11 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "every delivery accepted within 60 s: {hook}, {:#}",
            json!(deliveries(&serve, &webhook, ""))
        );
        sleep(Duration::from_millis(50));
    }
    let listed = deliveries(&serve, &webhook, "");
    let mut kinds = BTreeSet::new();
    let mut in_seq_order: Vec<(String, Option<String>)> = Vec::new();
    for delivery in listed.iter().rev() {
        assert_eq!(delivery["status"], "delivered", "{delivery}");
        kinds.insert(delivery["type"].as_str().unwrap_or("?").to_string());
        in_seq_order.push((
            delivery["event_id"].as_str().unwrap_or("?").to_string(),
            delivery["customer_id"].as_str().map(str::to_string),
        ));
    }
    let every_type: BTreeSet<String> = [
        "campaign.budget_low",
        "campaign.ended",
        "campaign.objective_met",
        "coupon.assigned",
        "redemption.cancelled",
        "redemption.committed",
        "redemption.returned",
        "reward.issued",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(kinds, every_type);

    // Each id once after deduplication, every one of them; the failures were retried.
    let received = receiver.received();
    assert!(received.iter().filter(|r| !r.accepted).count() >= 6);
    let accepted = receiver.accepted_ids();
    let expected: HashSet<&str> = in_seq_order.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(accepted.len(), expected.len());
    assert_eq!(
        accepted.iter().map(String::as_str).collect::<HashSet<_>>(),
        expected
    );
    // Signed with the secret, the header's id that of the body.
    for got in &received {
        assert!(signed(&secret, &got.signature, &got.body), "{got:?}");
        let body: Value = serde_json::from_slice(&got.body).expect("JSON");
        assert_eq!(body["id"], got.event_id.as_str());
        assert!(body["data"].is_object(), "{body}");
    }
    // A customer's events arrive in the order they happened.
    for customer in ["c-1", "c-2"] {
        let happened: Vec<&str> = in_seq_order
            .iter()
            .filter(|(_, c)| c.as_deref() == Some(customer))
            .map(|(id, _)| id.as_str())
            .collect();
        let arrived: Vec<&str> = accepted
            .iter()
            .map(String::as_str)
            .filter(|id| happened.contains(id))
            .collect();
        assert_eq!(arrived, happened, "{customer}");
        assert!(happened.len() >= 3, "{customer}: {happened:?}");
    }
    // The objective was met once, the alert sent once.
    let count = |kind: &str| listed.iter().filter(|d| d["type"] == kind).count();
    assert_eq!(count("campaign.objective_met"), 1);
    assert_eq!(count("campaign.budget_low"), 1);
    assert_eq!(count("coupon.assigned"), 2);

    // Never the secret in a list, nor in the log.
    let (_, list) = serve.call(Method::GET, "/v1/webhooks", None);
    assert!(!list.to_string().contains(&secret), "{list}");
    assert!(list["webhooks"][0]["secret"].is_null(), "{list}");
    let log = std::fs::read_to_string(&serve.log).unwrap_or_default();
    assert!(log.contains("webhook created"), "the log is read: {log}");
    assert!(!log.contains(&secret));
}

#[test]
fn sigkill_between_deliveries_loses_no_event() {
    let dir = tempfile::tempdir().expect("a folder");
    let url = database(&dir);
    let receiver = Receiver::start(Mode::Fail);
    let serve = Serve::start_with(&url, FAST, None);
    let (webhook, _) = subscribe(&serve, &receiver.url, json!(["redemption.committed"]));
    let mut orders = Vec::new();
    for n in 0..30 {
        let id = format!("o-{n}");
        commit(&serve, order(&id, &format!("c-{}", n % 4), "10.00"));
        orders.push(id);
    }
    wait_for(Duration::from_secs(30), "attempts failing", || {
        receiver.received().len() >= 8
    });
    serve.kill();

    receiver.set_mode(Mode::Accept);
    let serve = Serve::start_with(&url, FAST, None);
    wait_for(Duration::from_secs(90), "every order delivered", || {
        receiver.accepted_ids().len() >= 30
    });
    let mut delivered: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for got in receiver.received().iter().filter(|r| r.accepted) {
        let body: Value = serde_json::from_slice(&got.body).expect("JSON");
        if seen.insert(got.event_id.clone()) {
            delivered.push(body["data"]["order_id"].as_str().unwrap_or("?").to_string());
        }
    }
    delivered.sort();
    orders.sort();
    assert_eq!(delivered, orders);
    assert_eq!(deliveries(&serve, &webhook, "delivered").len(), 30);
}

#[test]
fn dead_letters_are_kept_shown_and_retried_and_slow_endpoints_cost_one_attempt() {
    let dir = tempfile::tempdir().expect("a folder");
    let url = database(&dir);
    let failing = Receiver::start(Mode::Fail);
    let hanging = Receiver::start(Mode::Hang);
    let endless = Receiver::start(Mode::Endless);
    let serve = Serve::start_with(
        &url,
        &[
            "--webhook-allow-private",
            "--webhook-retry-base-ms",
            "100",
            "--webhook-retry-for-secs",
            "1",
            "--webhook-timeout-ms",
            "700",
        ],
        None,
    );
    let (failing_hook, _) = subscribe(&serve, &failing.url, json!(["redemption.committed"]));
    let (hanging_hook, _) = subscribe(&serve, &hanging.url, json!(["redemption.committed"]));
    let (endless_hook, _) = subscribe(&serve, &endless.url, json!(["redemption.committed"]));
    commit(&serve, order("o-1", "c-1", "10.00"));

    wait_for(Duration::from_secs(30), "dead letters", || {
        deliveries(&serve, &failing_hook, "dead").len() == 1
            && deliveries(&serve, &hanging_hook, "dead").len() == 1
    });
    let dead = &deliveries(&serve, &failing_hook, "dead")[0];
    assert_eq!(dead["last_status"], 503, "{dead}");
    assert!(
        dead["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("HTTP 503: down for maintenance")),
        "{dead}"
    );
    assert!(dead["attempts"].as_i64().unwrap_or(0) >= 2, "{dead}");
    let hung = &deliveries(&serve, &hanging_hook, "dead")[0];
    assert!(
        hung["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("timed out")),
        "{hung}"
    );
    // An endless answer is read up to the cap, and the delivery counts.
    wait_for(
        Duration::from_secs(10),
        "the endless answer accepted",
        || deliveries(&serve, &endless_hook, "delivered").len() == 1,
    );

    // A dead letter is retried when asked, and delivered once the endpoint is back.
    let event = dead["event_id"].as_str().expect("an event id");
    failing.set_mode(Mode::Accept);
    let (status, retried) = serve.call(
        Method::POST,
        &format!("/v1/webhooks/{failing_hook}/deliveries/{event}/retry"),
        None,
    );
    assert_eq!(status, StatusCode::OK, "{retried}");
    assert_eq!(retried["status"], "pending", "{retried}");
    wait_for(
        Duration::from_secs(10),
        "the retried letter delivered",
        || deliveries(&serve, &failing_hook, "delivered").len() == 1,
    );
    assert_eq!(failing.accepted_ids(), vec![event.to_string()]);
    // Only a dead letter is retried; every dead letter at once is another route.
    let (status, refused) = serve.call(
        Method::POST,
        &format!("/v1/webhooks/{failing_hook}/deliveries/{event}/retry"),
        None,
    );
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    let (status, all) = serve.call(
        Method::POST,
        &format!("/v1/webhooks/{hanging_hook}/retry"),
        None,
    );
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["requeued"], 1, "{all}");
    // A deleted webhook is gone with its deliveries.
    let (status, _) = serve.call(
        Method::DELETE,
        &format!("/v1/webhooks/{hanging_hook}"),
        None,
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = serve.call(
        Method::GET,
        &format!("/v1/webhooks/{hanging_hook}/deliveries"),
        None,
    );
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[test]
fn private_addresses_other_schemes_and_other_roles_are_refused() {
    let dir = tempfile::tempdir().expect("a folder");
    let url = database(&dir);
    let config = dir.path().join("remise.toml");
    let marketing = "webhooks-marketing-key-0123456789abcdef";
    std::fs::write(
        &config,
        format!("[[keys]]\nkey = \"{marketing}\"\nrole = \"marketing\"\n"),
    )
    .expect("config written");
    let serve = Serve::start_with(&url, &[], Some(&config));
    let mut refused: HashMap<&str, String> = HashMap::new();
    for target in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.0.0.1/hook",
        "http://192.168.1.20/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fd00::1]/hook",
        "ftp://crm.example/hook",
        "https://user:password@crm.example/hook",
    ] {
        let (status, problem) = serve.call(
            Method::POST,
            "/v1/webhooks",
            Some(json!({ "url": target, "events": ["*"] })),
        );
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{target}: {problem}"
        );
        assert_eq!(
            problem["errors"][0]["pointer"], "/url",
            "{target}: {problem}"
        );
        refused.insert(
            target,
            problem["errors"][0]["message"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        );
    }
    assert!(refused["http://169.254.169.254/latest/meta-data"].contains("link-local"));
    assert!(refused["http://localhost/hook"].contains("loopback"));
    let (status, problem) = serve.call(
        Method::POST,
        "/v1/webhooks",
        Some(json!({ "url": "https://crm.example/hook", "events": ["order.paid"] })),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/events/0", "{problem}");
    // A public address is accepted (nothing is sent to it until an event happens).
    let (status, created) = serve.call(
        Method::POST,
        "/v1/webhooks",
        Some(json!({ "url": "https://93.184.215.14/hook", "events": ["*"] })),
    );
    assert_eq!(status, StatusCode::CREATED, "{created}");
    // Marketing may not subscribe nor list.
    for (method, path) in [
        (Method::POST, "/v1/webhooks"),
        (Method::GET, "/v1/webhooks"),
    ] {
        let body = (method == Method::POST)
            .then(|| json!({ "url": "https://93.184.215.14/", "events": ["*"] }));
        let (status, problem) = serve.call_with(marketing, method, path, body);
        assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    }
}

#[test]
fn a_campaign_whose_end_time_passes_sends_campaign_ended_once() {
    let dir = tempfile::tempdir().expect("a folder");
    let url = database(&dir);
    let receiver = Receiver::start(Mode::Accept);
    let serve = Serve::start_with(&url, FAST, None);
    let (webhook, _) = subscribe(&serve, &receiver.url, json!(["campaign.ended"]));
    let ends_at = (chrono::Utc::now() + chrono::Duration::seconds(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for (id, status) in [("flash-sale", "active"), ("never-started", "draft")] {
        create(
            &serve,
            json!({ "id": id, "name": id, "plugin": "threshold-discount", "status": status,
                    "schedule": { "ends_at": ends_at },
                    "params": { "tiers": [ { "min_subtotal": "0", "percent_off": "10" } ] } }),
        );
    }
    // The server looks every 10 s: within 20 s of the end, the event is delivered.
    wait_for(Duration::from_secs(25), "campaign.ended delivered", || {
        !receiver.accepted_ids().is_empty()
    });
    let got = &receiver.received()[0];
    let body: Value = serde_json::from_slice(&got.body).expect("JSON");
    assert_eq!(body["type"], "campaign.ended", "{body}");
    assert_eq!(body["data"]["campaign"], "flash-sale", "{body}");
    assert_eq!(body["data"]["reason"], "end_time_passed", "{body}");
    // Once, and none for the draft, however many rounds go by.
    sleep(Duration::from_secs(11));
    assert_eq!(deliveries(&serve, &webhook, "").len(), 1);
    assert_eq!(receiver.accepted_ids().len(), 1);
}
