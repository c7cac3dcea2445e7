//! Many hosts on one PostgreSQL database (issue 8): caps and budgets stay exact under 400
//! concurrent commits split between two hosts (written by group commit), an order counts
//! once whichever host gets it, campaign writes on one host apply on the other's very next
//! evaluation, and a plugin
//! uploaded, rolled back or deleted on one host is served (or not) by the other within a
//! second, an upload is never lost to a catch-up running meanwhile, and a change the
//! database would not announce at once reaches the others once it does. Skipped unless
//! the suite runs on PostgreSQL (`scripts/with-postgres.sh`). The CPU-loaded host's test
//! is in `cpu_loaded.rs`: its spinning threads would starve these tests' plugins of their
//! deadlines if it ran beside them.

use futures_util::future::join_all;
use remise::store::testing::postgres_server;
use remise::store::PoolSettings;
use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// Whether the suite runs on PostgreSQL; says why the test is skipped when not.
fn on_postgres() -> bool {
    if postgres_server().is_none() {
        println!("skipped: needs PostgreSQL (scripts/with-postgres.sh)");
        return false;
    }
    true
}

/// One line of `sku` at `price`, on the web, for `customer`, priced now.
fn order(id: &str, customer: &str, sku: &str, price: &str) -> Value {
    json!({
        "order_id": id, "currency": "EUR", "channel": "web",
        "customer": { "id": customer },
        "lines": [ { "id": "1", "sku": sku, "quantity": 1, "unit_price": price } ]
    })
}

/// [`order`] without an order id: a basket to evaluate.
fn basket(price: &str) -> Value {
    let mut basket = order("-", "c-1", "SKU-1", price);
    if let Some(fields) = basket.as_object_mut() {
        fields.remove("order_id");
    }
    basket
}

fn money(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or_else(|e| panic!("{text} is an amount: {e}"))
}

/// Checks that every host shows `campaign` with the `expected` fields of its stats.
async fn stats_on_all(hosts: &[&Server], campaign: &str, expected: &[(&str, Value)]) {
    for (i, host) in hosts.iter().enumerate() {
        let stats = host.stats(campaign).await;
        for (field, value) in expected {
            assert_eq!(
                &stats[*field], value,
                "host {i}, {campaign}.{field}: {stats}"
            );
        }
    }
}

/// A pool that waits for a connection and the commit lock as long as it takes: 400
/// commits queue for them.
fn patient_pool() -> PoolSettings {
    PoolSettings {
        acquire_timeout: Duration::from_secs(60),
        commit_lock_timeout: Duration::from_secs(60),
        ..PoolSettings::default()
    }
}

/// 10.00 off every 100.00 order, for 50 redemptions.
fn capped() -> Value {
    offer(
        "capped",
        json!({ "percent_off": "10" }),
        json!({ "limits": { "redemptions": 50 } }),
    )
}

/// 3.70 off every order from a budget of 50.00 that may grant part of it.
fn partial() -> Value {
    offer(
        "partial",
        json!({ "amount_off": "3.70" }),
        json!({ "limits": { "budget": "50.00", "budget_currency": "EUR", "partial": true } }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caps_and_budgets_stay_exact_under_commits_split_between_two_hosts() {
    if !on_postgres() {
        return;
    }
    // 400 commits queue for the pool's connections and the commit lock while the
    // campaigns' rows are locked in turn: wait for a connection and the lock as long as it
    // takes.
    let pool = patient_pool();
    let a = Server::start_with_pool(&[], pool).await;
    let b = Server::start_on_with_pool(a.database_url(), &[], pool).await;
    // Every order is 100.00. A cap of 50 redemptions at 10.00 each; a budget of 100.00 at
    // 3.70 an order (27 × 3.70 = 99.90, then 0.10 cannot cover 3.70); a budget of 50.00
    // that may grant part (13 × 3.70 = 48.10, then the 14th gets the 1.90 left).
    a.create(capped()).await;
    a.create(offer(
        "budget",
        json!({ "amount_off": "3.70" }),
        json!({ "limits": { "budget": "100.00", "budget_currency": "EUR" } }),
    ))
    .await;
    a.create(partial()).await;

    const COMMITS: usize = 400;
    let started = Instant::now();
    let orders = (0..COMMITS)
        .map(|i| order(&format!("o-{i}"), &format!("c-{i}"), "SKU-1", "100.00"))
        .collect();
    let answers = commit_at_once(&[&a, &b], orders).await;
    println!(
        "{COMMITS} commits on two hosts in {} ms",
        started.elapsed().as_millis()
    );

    let mut applied: HashMap<&str, Vec<Decimal>> = HashMap::new();
    let mut by_host: HashMap<(&str, usize), usize> = HashMap::new();
    for (i, status, answer) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "o-{i}: {answer}");
        for campaign in ["capped", "budget", "partial"] {
            if let Some(discount) = discount_of(answer, campaign) {
                applied.entry(campaign).or_default().push(money(discount));
                *by_host.entry((campaign, i % 2)).or_default() += 1;
            }
        }
    }
    println!("applied by host (campaign, host): {by_host:?}");
    // The commits waiting on the same limited campaigns were written together (group
    // commit): some transaction wrote more than one. (Both hosts run in this process and
    // share its metrics.)
    let metrics = a.metrics().await;
    let groups = sample(&metrics, "remise_commit_groups_total", &[]).unwrap_or(0.0);
    let grouped = sample(&metrics, "remise_commit_group_commits_total", &[]).unwrap_or(0.0);
    println!("group commit: {grouped} commits in {groups} transactions");
    assert!(grouped >= 50.0, "{grouped} commits written by group commit");
    assert!(
        grouped > groups,
        "{grouped} commits in {groups} transactions"
    );
    let sum = |campaign: &str| -> Decimal { applied[campaign].iter().sum() };

    assert_eq!(applied["capped"].len(), 50);
    assert!(applied["capped"].iter().all(|d| *d == money("10.00")));
    assert_eq!(sum("capped"), money("500.00"));

    assert_eq!(applied["budget"].len(), 27);
    assert!(applied["budget"].iter().all(|d| *d == money("3.70")));
    assert_eq!(sum("budget"), money("99.90"));
    assert!(sum("budget") <= money("100.00"));

    let mut partial = applied["partial"].clone();
    partial.sort();
    assert_eq!(partial.len(), 14, "{partial:?}");
    assert_eq!(partial[0], money("1.90"));
    assert!(partial[1..].iter().all(|d| *d == money("3.70")));
    assert_eq!(sum("partial"), money("50.00"));

    // Both hosts count the same, to the cent, as the answers granted.
    let hosts = [&a, &b];
    stats_on_all(
        &hosts,
        "capped",
        &[
            ("redemptions", json!(50)),
            ("discount_granted", json!("500.00")),
            ("redemptions_left", json!(0)),
        ],
    )
    .await;
    stats_on_all(
        &hosts,
        "budget",
        &[
            ("redemptions", json!(27)),
            ("discount_granted", json!(format!("{:.2}", sum("budget")))),
            ("budget_left", json!("0.10")),
        ],
    )
    .await;
    stats_on_all(
        &hosts,
        "partial",
        &[
            ("redemptions", json!(14)),
            ("discount_granted", json!(format!("{:.2}", sum("partial")))),
            ("budget_left", json!("0.00")),
        ],
    )
    .await;

    // A late order on either host gets none of the three.
    for (i, host) in hosts.iter().enumerate() {
        let late = host
            .commit(order(&format!("late-{i}"), "c-late", "SKU-1", "100.00"))
            .await;
        assert_eq!(late.status, StatusCode::CREATED, "{}", late.body);
        for campaign in ["capped", "budget", "partial"] {
            assert_eq!(discount_of(&late.body, campaign), None, "{}", late.body);
        }
    }
}

/// Checks that `first` and `second`, the answers to one order, are one commit and its
/// replay: one 201, one 200 marked `Idempotent-Replayed: true`, the same body.
fn one_commit_and_its_replay(what: &str, first: &Answer, second: &Answer) {
    let (won, replayed) = match (first.status, second.status) {
        (StatusCode::CREATED, StatusCode::OK) => (first, second),
        (StatusCode::OK, StatusCode::CREATED) => (second, first),
        (one, other) => panic!(
            "{what}: {one} and {other}, not a 201 and its replay: {} / {}",
            first.body, second.body
        ),
    };
    assert_eq!(
        replayed.header("idempotent-replayed"),
        Some("true"),
        "{what}"
    );
    assert_eq!(won.header("idempotent-replayed"), None, "{what}");
    assert_eq!(replayed.body, won.body, "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_counts_once_whichever_host_gets_it() {
    if !on_postgres() {
        return;
    }
    let a = Server::start_with(&[]).await;
    let b = Server::start_on(a.database_url(), &[]).await;
    // 10 % of 50.00 = 5.00 an order.
    a.create(offer(
        "ten-off",
        json!({ "percent_off": "10" }),
        json!({ "limits": { "budget": "1000.00", "budget_currency": "EUR" } }),
    ))
    .await;

    // Ten orders, each sent to both hosts at once.
    let races = (0..10).map(|i| {
        let id = format!("race-{i}");
        let order = order(&id, &format!("c-{i}"), "SKU-1", "50.00");
        let (a, b) = (&a, &b);
        async move {
            let (on_a, on_b) = tokio::join!(a.commit(order.clone()), b.commit(order));
            (id, on_a, on_b)
        }
    });
    for (id, on_a, on_b) in join_all(races).await {
        one_commit_and_its_replay(&id, &on_a, &on_b);
        assert_eq!(discount_of(&on_a.body, "ten-off"), Some("5.00"), "{id}");
    }

    // One after the other: A commits, B replays, A replays again.
    let first = a.commit(order("seq", "c-seq", "SKU-1", "50.00")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(discount_of(&first.body, "ten-off"), Some("5.00"));
    let again = b.commit(order("seq", "c-seq", "SKU-1", "50.00")).await;
    one_commit_and_its_replay("seq on B", &first, &again);
    let once_more = a.commit(order("seq", "c-seq", "SKU-1", "50.00")).await;
    one_commit_and_its_replay("seq on A again", &first, &once_more);
    // A raced order replays on either host later too.
    let raced = a.commit(order("race-0", "c-0", "SKU-1", "50.00")).await;
    assert_eq!(raced.status, StatusCode::OK, "{}", raced.body);
    assert_eq!(raced.header("idempotent-replayed"), Some("true"));

    // The same order id with another basket on the other host.
    let other = b.commit(order("seq", "c-seq", "SKU-2", "50.00")).await;
    assert_eq!(other.status, StatusCode::CONFLICT, "{}", other.body);
    let other = b.commit(order("seq", "c-seq", "SKU-1", "60.00")).await;
    assert_eq!(other.status, StatusCode::CONFLICT, "{}", other.body);
    // Two baskets under one order id, at once on both hosts: one wins, the other is a 409.
    let (on_a, on_b) = tokio::join!(
        a.commit(order("clash", "c-clash", "SKU-1", "50.00")),
        b.commit(order("clash", "c-clash", "SKU-2", "50.00")),
    );
    let mut statuses = [on_a.status, on_b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::CONFLICT],
        "{} / {}",
        on_a.body,
        on_b.body
    );

    // Ten raced orders, "seq" and "clash": twelve redemptions of 5.00.
    stats_on_all(
        &[&a, &b],
        "ten-off",
        &[
            ("redemptions", json!(12)),
            ("discount_granted", json!("60.00")),
            ("budget_left", json!("940.00")),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_writes_on_one_host_apply_on_the_others_next_evaluation() {
    if !on_postgres() {
        return;
    }
    let a = Server::start_with(&[]).await;
    let b = Server::start_on(a.database_url(), &[]).await;
    let hundred = || basket("100.00");
    // B has evaluated (and cached what it knows) before any write.
    assert_eq!(b.discount_on(hundred(), "spring").await, None);

    // No sleep between a write on A and B's evaluation: the very next one sees it.
    a.create(offer("spring", json!({ "percent_off": "10" }), json!({})))
        .await;
    assert_eq!(
        b.discount_on(hundred(), "spring").await.as_deref(),
        Some("10.00"),
        "created on A"
    );

    a.replace(offer("spring", json!({ "percent_off": "25" }), json!({})))
        .await;
    assert_eq!(
        b.discount_on(hundred(), "spring").await.as_deref(),
        Some("25.00"),
        "replaced (PUT) on A"
    );

    let patch = json!({ "params": { "tiers": [ { "min_subtotal": "0", "percent_off": "30" } ] } });
    let (status, body) = a
        .call(
            Method::PATCH,
            "/v1/campaigns/spring",
            MARKETING,
            Some(patch),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        b.discount_on(hundred(), "spring").await.as_deref(),
        Some("30.00"),
        "patched on A"
    );

    let (status, body) = a
        .call(Method::POST, "/v1/campaigns/spring/pause", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        b.discount_on(hundred(), "spring").await,
        None,
        "paused on A"
    );

    let (status, body) = a
        .call(
            Method::POST,
            "/v1/campaigns/spring/activate",
            MARKETING,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        b.discount_on(hundred(), "spring").await.as_deref(),
        Some("30.00"),
        "activated again on A"
    );

    // The other way round: B writes, A's next evaluation sees it.
    b.replace(offer("spring", json!({ "percent_off": "15" }), json!({})))
        .await;
    assert_eq!(
        a.discount_on(hundred(), "spring").await.as_deref(),
        Some("15.00"),
        "replaced on B"
    );

    let (status, body) = a
        .call(Method::DELETE, "/v1/campaigns/spring", MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        b.discount_on(hundred(), "spring").await,
        None,
        "deleted on A"
    );
}

/// `(plugin@version, discount)` of the one campaign that applied.
fn priced_by(answer: &Value) -> Option<(String, String)> {
    let applied = answer["applied"].as_array()?;
    (applied.len() == 1).then(|| {
        (
            applied[0]["plugin"].as_str().unwrap_or("?").to_string(),
            answer["discount_total"].as_str().unwrap_or("?").to_string(),
        )
    })
}

/// Polls every 50 ms until `host` serves `flip` at `version`, by `GET /v1/plugins/flip`
/// and in an evaluation taking `discount` off 100.00; fails after 1 s. Returns the time
/// it took.
async fn serves_flip(host: &Server, version: &str, discount: &str) -> Duration {
    let started = Instant::now();
    let expected = (format!("flip@{version}"), discount.to_string());
    loop {
        let (status, view) = host
            .call(Method::GET, "/v1/plugins/flip", MARKETING, None)
            .await;
        let (evaluated, answer) = host
            .call(
                Method::POST,
                "/v1/evaluate",
                CHANNEL,
                Some(basket("100.00")),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(evaluated, StatusCode::OK, "{answer}");
        if view["latest"] == version && priced_by(&answer).as_ref() == Some(&expected) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "flip {version} not served within 1 s: {view} / {answer}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_uploaded_or_rolled_back_on_one_host_is_served_by_the_other() {
    if !on_postgres() {
        return;
    }
    let a = Server::start_with(&["flip-v1"]).await;
    // The campaign exists before B starts, so this test needs no campaign propagation.
    a.create(json!({ "id": "flip-c", "name": "flip-c", "plugin": "flip",
                     "status": "active", "params": {} }))
        .await;
    let b = Server::start_on(a.database_url(), &["flip-v1"]).await;
    for host in [&a, &b] {
        serves_flip(host, "1.0.0", "10.00").await;
    }

    let (status, view) = a.upload("flip", remise_tests::guest("flip-v2"), OPS).await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    assert_eq!(view["latest"], "2.0.0");
    let took = serves_flip(&b, "2.0.0", "20.00").await;
    println!(
        "B served flip 2.0.0 {} ms after A took it",
        took.as_millis()
    );

    let (status, view) = a
        .call(Method::POST, "/v1/plugins/flip/rollback", OPS, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["latest"], "1.0.0");
    let took = serves_flip(&b, "1.0.0", "10.00").await;
    println!(
        "B served flip 1.0.0 {} ms after A rolled back",
        took.as_millis()
    );
    // A serves what it was told at once.
    serves_flip(&a, "1.0.0", "10.00").await;
}

/// The versions `host` lists for plugin `name`.
async fn versions(host: &Server, name: &str) -> Vec<String> {
    let (status, view) = host
        .call(Method::GET, &format!("/v1/plugins/{name}"), MARKETING, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    view["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["version"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_version_deleted_on_one_host_is_gone_from_the_other() {
    if !on_postgres() {
        return;
    }
    let a = Server::start_with(&[]).await;
    let b = Server::start_on(a.database_url(), &[]).await;
    let (status, view) = a
        .upload(
            "free-gift",
            remise_tests::catalogue_version("free-gift", 1),
            OPS,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    let (status, view) = a.rollback("free-gift").await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let started = Instant::now();
    // (Compiling it may take B a while on a loaded machine: not what this test is about.)
    while !versions(&b, "free-gift")
        .await
        .contains(&"1.0.1".to_string())
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "B never saw 1.0.1"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let (status, body) = a
        .call(
            Method::DELETE,
            "/v1/plugins/free-gift/versions/1.0.1",
            OPS,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let started = Instant::now();
    while versions(&b, "free-gift")
        .await
        .contains(&"1.0.1".to_string())
    {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "B still serves free-gift 1.0.1 a second after A deleted it"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // And B refuses a campaign pinned to it, as A does.
    let pinned = json!({ "id": "pinned", "name": "pinned", "plugin": "free-gift",
                         "plugin_version": "1.0.1",
                         "params": { "min_subtotal": "10.00", "gift": { "sku": "TOTE" } } });
    for host in [&a, &b] {
        host.refused(
            "/v1/campaigns",
            MARKETING,
            pinned.clone(),
            &["/plugin_version"],
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_made_while_the_host_catches_up_is_never_lost() {
    if !on_postgres() {
        return;
    }
    let a = Server::start_with(&[]).await;
    let b = Server::start_on(a.database_url(), &[]).await;
    // Rounds of two uploads at once: B's makes A catch up (compiling B's version) while
    // A's own upload lands. Each host's own version must stay listed from the moment its
    // upload is answered. Every version carries this run's nonce, so no compiled-plugin
    // cache holds it yet and each catch-up compiles for real.
    let nonce = format!("{:?}", std::time::SystemTime::now());
    let fresh = |patch: u8| {
        remise_tests::with_custom_section(
            &remise_tests::catalogue_version("free-gift", patch),
            "remise-test-nonce",
            nonce.as_bytes(),
        )
    };
    for round in 0..4u8 {
        let (mine, theirs) = (2 * round + 1, 2 * round + 2);
        let on_b = b.upload("free-gift", fresh(theirs), OPS);
        let on_a = async {
            // Let B's upload start compiling first, so A's poll is catching up with it.
            tokio::time::sleep(Duration::from_millis(20 * u64::from(round))).await;
            a.upload("free-gift", fresh(mine), OPS).await
        };
        let ((status_b, view_b), (status_a, view_a)) = tokio::join!(on_b, on_a);
        assert_eq!(status_b, StatusCode::CREATED, "{view_b}");
        assert_eq!(status_a, StatusCode::CREATED, "{view_a}");
        let own = format!("1.0.{mine}");
        let watched = Instant::now();
        while watched.elapsed() < Duration::from_millis(400) {
            assert!(
                versions(&a, "free-gift").await.contains(&own),
                "round {round}: A lost its own upload {own} {} ms after answering it",
                watched.elapsed().as_millis()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_not_announced_at_once_is_announced_once_the_database_takes_it() {
    if !on_postgres() {
        return;
    }
    let a = Server::start_with(&[]).await;
    let b = Server::start_on(a.database_url(), &[]).await;
    // The database refuses to move the generation on (the writes themselves go through).
    use sqlx::Connection;
    let mut admin = sqlx::postgres::PgConnection::connect(a.database_url())
        .await
        .expect("the test database answers");
    sqlx::query(
        "CREATE FUNCTION refuse_bump() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'generation frozen by the test'; END $$",
    )
    .execute(&mut admin)
    .await
    .expect("function created");
    sqlx::query(
        "CREATE TRIGGER refuse_bump BEFORE UPDATE ON state_generation \
         FOR EACH ROW EXECUTE FUNCTION refuse_bump()",
    )
    .execute(&mut admin)
    .await
    .expect("trigger created");

    a.create(offer("late", json!({ "percent_off": "10" }), json!({})))
        .await;
    // A serves it; B cannot know yet, and A says a change of its is not announced.
    let on_a = a.evaluate(basket("100.00")).await;
    assert_eq!(discount_of(&on_a, "late"), Some("10.00"), "{on_a}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(b.discount_on(basket("100.00"), "late").await, None);
    let (status, ready) = a.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert_eq!(ready["status"], "degraded", "{ready}");

    sqlx::query("DROP TRIGGER refuse_bump ON state_generation")
        .execute(&mut admin)
        .await
        .expect("trigger dropped");
    let started = Instant::now();
    while b.discount_on(basket("100.00"), "late").await.is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "B never saw the campaign A could not announce at once"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, ready) = a.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready["status"], "ready", "{ready}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_starting_at_once_on_a_new_database_migrate_it_once() {
    if !on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = remise::store::testing::fresh_database_url(dir.path(), "new").await;
    // Three hosts race to migrate the same empty database: sqlx's migration lock lets
    // one migrate while the others wait, then find nothing left to do.
    let (a, b, c) = tokio::join!(
        Server::start_on(&url, &[]),
        Server::start_on(&url, &[]),
        Server::start_on(&url, &[])
    );
    a.create(offer("everyone", json!({ "percent_off": "10" }), json!({})))
        .await;
    for host in [&a, &b, &c] {
        let answer = host.evaluate(basket("50.00")).await;
        assert_eq!(
            discount_of(&answer, "everyone"),
            Some("5.00"),
            "every host serves the one schema: {answer}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leasing_host_beside_a_locking_one_never_grants_past_a_cap_or_a_budget() {
    if !on_postgres() {
        return;
    }
    let pool = patient_pool();
    // The first host takes the campaigns' locks; the second leases slices of them
    // (--budget-leases), and the first counts those slices as used.
    let a = Server::start_with_pool(&[], pool).await;
    let leases = remise::service::LeaseSettings {
        enabled: true,
        ttl: Duration::from_secs(5),
        ..remise::service::LeaseSettings::default()
    };
    let b = Server::start_on_leasing(a.database_url(), pool, leases).await;
    a.create(capped()).await;
    a.create(partial()).await;

    let orders = (0..400)
        .map(|i| order(&format!("o-{i}"), &format!("c-{i}"), "SKU-1", "100.00"))
        .collect();
    let answers = commit_at_once(&[&a, &b], orders).await;
    let (mut capped, mut partial) = (Vec::new(), Vec::new());
    for (i, status, answer) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "o-{i}: {answer}");
        capped.extend(discount_of(answer, "capped").map(money));
        partial.extend(discount_of(answer, "partial").map(money));
    }
    println!(
        "at once: {} capped, {} from the budget",
        capped.len(),
        partial.iter().sum::<Decimal>()
    );
    assert!(capped.len() <= 50 && capped.iter().all(|d| *d == money("10.00")));
    assert!(partial.iter().sum::<Decimal>() <= money("50.00"));
    let metrics = b.metrics().await;
    let leased = sample(&metrics, "remise_budget_leases_total", &[]).unwrap_or(0.0);
    assert!(leased > 0.0, "the second host leased: {leased}");

    // What the leasing host still holds comes back once it is idle for a second: late
    // orders on either host then reach the cap and the budget, never more.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    for i in 0..60 {
        let host = [&a, &b][i % 2];
        let late = host
            .commit(order(&format!("late-{i}"), "c-late", "SKU-1", "100.00"))
            .await;
        assert_eq!(late.status, StatusCode::CREATED, "{}", late.body);
        capped.extend(discount_of(&late.body, "capped").map(money));
        partial.extend(discount_of(&late.body, "partial").map(money));
    }
    assert_eq!(capped.len(), 50);
    assert_eq!(partial.iter().sum::<Decimal>(), money("50.00"));
    stats_on_all(
        &[&a, &b],
        "capped",
        &[
            ("redemptions", json!(50)),
            ("discount_granted", json!("500.00")),
        ],
    )
    .await;
    stats_on_all(
        &[&a, &b],
        "partial",
        &[
            ("discount_granted", json!("50.00")),
            ("budget_left", json!("0.00")),
        ],
    )
    .await;
}
