//! A plugin's output is bounded before the host copies it (issue 15 item 3), over real HTTP.
//! The `bounded-output` guest answers 100 effects pointing at one 15 MiB string, logs a
//! 4 MiB string in a loop, or prepares 15 MiB of params; each ends in its typed error, a
//! catalogue campaign in the same request still applies, and the server's peak resident
//! memory grows by less than 32 MiB.
//!
//! The server runs in a child process (this very test binary, running the ignored test
//! [`serve_for_the_parent`]), so its `/proc/<pid>/status` counts the server alone, not the
//! other tests of this binary running in parallel threads.

use remise_tests::http::*;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Set in the child's environment: [`serve_for_the_parent`] serves only then.
const CHILD: &str = "REMISE_BOUNDED_OUTPUT_CHILD";

/// Runs a server with the `bounded-output` guest and prints its address, then serves
/// until killed; a no-op unless [`CHILD`] is set (a plain `--ignored` run passes at once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the child process of the_host_copies_little_of_a_huge_output"]
async fn serve_for_the_parent() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let server = Server::start_with(&["bounded-output"]).await;
    println!("SERVING {}", server.base);
    loop {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}

/// The child server, killed on drop.
struct Child_ {
    child: Child,
    base: String,
    client: Client,
}

impl Child_ {
    fn start() -> Child_ {
        let mut child = Command::new(std::env::current_exe().expect("this test binary"))
            .args([
                "serve_for_the_parent",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the child starts");
        let stdout = child.stdout.take().expect("piped");
        let mut base = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("the child's output");
            if let Some(address) = line.strip_prefix("SERVING ") {
                base = Some(address.to_string());
                break;
            }
        }
        Child_ {
            base: base.expect("the child prints its address"),
            child,
            client: Client::new(),
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        key: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let response = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .expect("the server answers");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The child's peak resident memory so far (`VmHWM`), in bytes.
    fn peak_resident(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc/<pid>/status");
        let line = status
            .lines()
            .find(|line| line.starts_with("VmHWM:"))
            .expect("a VmHWM line");
        let kib: u64 = line
            .split_whitespace()
            .nth(1)
            .and_then(|kib| kib.parse().ok())
            .expect("VmHWM in kB");
        kib * 1024
    }
}

impl Drop for Child_ {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn campaign(id: &str, mode: &str) -> Value {
    json!({ "id": id, "name": id, "plugin": "bounded-output", "status": "active",
            "params": { "mode": mode }, "audience": { "channels": [mode] } })
}

/// 120.00 on channel `channel`, explained: ten-from-100 takes 12.00 off.
fn basket(channel: &str) -> Value {
    json!({ "currency": "EUR", "channel": channel, "at": "2026-03-08T12:00:00+01:00",
            "explain": true,
            "lines": [ { "id": "1", "sku": "COAT", "quantity": 1, "unit_price": "120.00" } ] })
}

/// Evaluates on `channel`: ten-from-100 still applies, and campaign `campaign` is rejected
/// with `reason`, its detail containing `says`.
async fn rejected_alongside(
    server: &Child_,
    channel: &str,
    campaign: &str,
    reason: &str,
    says: &str,
) {
    let started = Instant::now();
    let (status, answer) = server
        .call(Method::POST, "/v1/evaluate", CHANNEL, basket(channel))
        .await;
    let took = started.elapsed();
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        discount_of(&answer, "ten-from-100"),
        Some("12.00"),
        "{answer}"
    );
    let rejection = answer["rejected"]
        .as_array()
        .and_then(|all| all.iter().find(|r| r["campaign"] == campaign))
        .unwrap_or_else(|| panic!("{campaign} is rejected: {answer}"));
    assert_eq!(rejection["reason"], reason, "{answer}");
    let detail = rejection["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(says), "{detail}");
    // The typed error (not `timeout`) says the run ended within its deadline; this bound
    // only catches a host that went on copying long after.
    assert!(took < Duration::from_secs(5), "answered after {took:?}");
}

#[tokio::test]
async fn the_host_copies_little_of_a_huge_output() {
    let server = Child_::start();
    // A 100 ms deadline (the most a plugin may have): filling 15 MiB in the guest must not
    // turn into a timeout on a loaded machine.
    let (status, body) = server
        .call(
            Method::PUT,
            "/v1/plugins/bounded-output/limits",
            OPS,
            json!({ "deadline_ms": 100 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for campaign in [
        ten_from_100(),
        campaign("ok", "ok"),
        campaign("alias", "alias"),
        campaign("flood", "log-flood"),
    ] {
        let (status, body) = server
            .call(Method::POST, "/v1/campaigns", MARKETING, campaign)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // Warm up: the plugin's sandbox, the request path, the allocator's arenas.
    for _ in 0..3 {
        let (status, answer) = server
            .call(Method::POST, "/v1/evaluate", CHANNEL, basket("ok"))
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert!(discount_of(&answer, "ok").is_some(), "{answer}");
    }
    let before = server.peak_resident();

    rejected_alongside(&server, "alias", "alias", "invalid_effects", "bytes").await;
    rejected_alongside(&server, "log-flood", "flood", "plugin_error", "logged").await;
    let (status, problem) = server
        .call(
            Method::POST,
            "/v1/campaigns",
            MARKETING,
            campaign("huge", "huge-params"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(pointers(&problem), ["/params"], "{problem}");
    assert!(problem.to_string().contains("bytes"), "{problem}");

    let grown = server.peak_resident().saturating_sub(before);
    eprintln!("peak resident memory grew by {} KiB", grown >> 10);
    assert!(
        grown < 32 << 20,
        "the server's peak resident memory grew by {} MiB",
        grown >> 20
    );
}
