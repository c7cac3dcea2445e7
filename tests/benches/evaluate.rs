//! The evaluation pipeline (prefilter → plugins → conflicts → money) on a 20-line basket:
//! 10 matching campaigns alone, then the same 10 among 1,000 active campaigns. The other
//! 990 are set aside by the prefilter (a third for another channel, a third for another
//! store, a third for another loyalty tier), so the figures show what the index saves.
//!
//! Then six campaigns of the six catalogue plugins (six plugin groups, six sandboxes) on
//! one evaluation thread and on two, as the service runs them: what running a request's
//! plugin groups in parallel saves when a core is idle.
//!
//! `cargo bench -p remise-tests --bench evaluate`; prints the ratios at the end.

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use remise::engine::{evaluate, CampaignIndex, LiveCampaign, Request};
use remise::model::{Basket, Campaign, Policy, Usage};
use remise::runtime::{Limits, Plugin, Runtime};
use serde_json::{json, Value};
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The server's allocator (`host/src/main.rs`), so the figures are what the server pays.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn campaign(id: String, audience: Value, plugin: &Arc<Plugin>) -> Arc<LiveCampaign> {
    let params = json!({ "tiers": [ { "min_subtotal": "100.00", "percent_off": "1" } ] });
    live(id, params, audience, plugin)
}

fn live(id: String, params: Value, audience: Value, plugin: &Arc<Plugin>) -> Arc<LiveCampaign> {
    let campaign: Campaign = serde_json::from_value(json!({
        "id": id, "name": "bench", "plugin": plugin.metadata().name, "params": params,
        "status": "active", "audience": audience
    }))
    .expect("a campaign");
    let prepared = plugin
        .check_params(&campaign.params.to_string())
        .expect("runs")
        .expect("accepted");
    Arc::new(LiveCampaign {
        revision: 0,
        campaign,
        plugin: plugin.clone(),
        prepared,
    })
}

/// 20 lines, 551.95 EUR, a gold customer in the Rivoli store.
fn basket() -> Basket {
    let lines: Vec<Value> = (0..20)
        .map(|i| {
            let cents = 236 + (i * 1_297) % 2_453;
            json!({ "id": format!("line-{i}"), "sku": format!("SKU-{i:02}"), "quantity": 1 + i % 3,
                    "unit_price": format!("{}.{:02}", cents / 100, cents % 100), "categories": ["apparel"] })
        })
        .collect();
    serde_json::from_value(json!({
        "currency": "EUR", "channel": "store", "store": "paris-rivoli", "at": "2026-03-07T17:30:00+01:00",
        "customer": { "id": "c-1", "loyalty_tier": "gold", "segments": ["card-holder"] },
        "lines": lines
    }))
    .expect("a basket")
}

/// One campaign of each catalogue plugin, each a plugin group of its own.
fn six_plugins(runtime: &Runtime) -> CampaignIndex {
    let cases = [
        (
            "threshold-discount",
            json!({ "tiers": [ { "min_subtotal": "100.00", "percent_off": "10" } ] }),
        ),
        (
            "buy-x-get-y",
            json!({ "buy": { "categories": ["apparel"], "quantity": 2 },
                                "get": { "categories": ["apparel"], "quantity": 1, "percent_off": "100" } }),
        ),
        (
            "bundle-price",
            json!({ "items": [ { "sku": "SKU-00", "quantity": 1 }, { "sku": "SKU-01", "quantity": 1 } ],
                                 "price": "5.00" }),
        ),
        (
            "loyalty-reward",
            json!({ "tiers": { "gold": { "percent_off": "5" } } }),
        ),
        (
            "free-gift",
            json!({ "min_subtotal": "50.00", "gift": { "sku": "TOTE", "quantity": 1 } }),
        ),
        (
            "points-multiplier",
            json!({ "points_per_unit": "10", "multiplier": "2", "categories": ["apparel"] }),
        ),
    ];
    CampaignIndex::new(
        cases
            .into_iter()
            .map(|(name, params)| {
                let bytes = remise::catalogue::plugin(name).expect("catalogue plugin");
                let plugin = Arc::new(runtime.load(bytes, Limits::default()).expect("loads"));
                live(name.to_string(), params, json!({}), &plugin)
            })
            .collect(),
    )
}

fn threads(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .expect("a thread pool")
}

fn output_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("criterion")
}

fn bench(c: &mut Criterion) {
    let runtime = Runtime::new().expect("runtime");
    let bytes = remise::catalogue::plugin("threshold-discount").expect("catalogue plugin");
    let plugin = Arc::new(runtime.load(bytes, Limits::default()).expect("loads"));
    let matching: Vec<Arc<LiveCampaign>> = (0..10)
        .map(|i| {
            campaign(
                format!("match-{i:02}"),
                json!({ "channels": ["store"] }),
                &plugin,
            )
        })
        .collect();
    let mut crowd = matching.clone();
    for i in 0..990 {
        let audience = match i % 3 {
            0 => json!({ "channels": ["web"] }),
            1 => json!({ "stores": ["lyon-part-dieu"] }),
            _ => json!({ "loyalty_tiers": ["platinum"] }),
        };
        crowd.push(campaign(format!("other-{i:03}"), audience, &plugin));
    }
    let ten = CampaignIndex::new(matching);
    let thousand = CampaignIndex::new(crowd);
    let request = basket();
    let now: DateTime<Utc> = "2026-03-07T16:30:00Z".parse().expect("an instant");
    let policy = |_: &str| Policy::BestForCustomer;

    let answer = evaluate(
        Request::new(&request, false, now, far()),
        &thousand,
        policy,
        &Usage::default(),
        "ev".into(),
    )
    .expect("priced");
    assert_eq!(answer.applied.len(), 10, "the ten matching campaigns apply");
    assert_eq!(
        answer.discount_total.to_string(),
        "55.20",
        "10 × (1 % of 551.95 = 5.52)"
    );

    let mut group = c.benchmark_group("evaluate");
    group.bench_function("10-campaigns", |b| {
        b.iter(|| {
            evaluate(
                Request::new(black_box(&request), false, now, far()),
                &ten,
                policy,
                &Usage::default(),
                "ev".into(),
            )
        })
    });
    group.bench_function("10-of-1000-campaigns", |b| {
        b.iter(|| {
            evaluate(
                Request::new(black_box(&request), false, now, far()),
                &thousand,
                policy,
                &Usage::default(),
                "ev".into(),
            )
        })
    });

    let six = six_plugins(&runtime);
    let answer = evaluate(
        Request::new(&request, false, now, far()),
        &six,
        policy,
        &Usage::default(),
        "ev".into(),
    )
    .expect("priced");
    assert_eq!(
        answer.applied.len() + answer.rejected.len(),
        6,
        "every plugin ran"
    );
    for (name, pool) in [
        ("6-plugins-1-thread", threads(1)),
        ("6-plugins-2-threads", threads(2)),
    ] {
        group.bench_function(name, |b| {
            // The pool runs the whole loop, as the service runs a request on an
            // evaluation thread; only the plugin groups may move to another thread.
            pool.install(|| {
                b.iter(|| {
                    evaluate(
                        Request::new(black_box(&request), false, now, far()),
                        &six,
                        policy,
                        &Usage::default(),
                        "ev".into(),
                    )
                })
            })
        });
    }
    group.finish();
}

fn median_us(function: &str) -> Option<f64> {
    let path = output_dir()
        .join("evaluate")
        .join(function)
        .join("new/estimates.json");
    let estimates: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    Some(estimates["median"]["point_estimate"].as_f64()? / 1_000.0)
}

fn report(_: &mut Criterion) {
    if let (Some(ten), Some(thousand)) =
        (median_us("10-campaigns"), median_us("10-of-1000-campaigns"))
    {
        println!(
            "\nevaluate, 20-line basket: 10 campaigns {ten:.1} µs; the same 10 among 1,000 active {thousand:.1} µs ({:.2}×)",
            thousand / ten
        );
    }
    if let (Some(one), Some(two)) = (
        median_us("6-plugins-1-thread"),
        median_us("6-plugins-2-threads"),
    ) {
        println!(
            "six plugin groups: one thread {one:.1} µs; two threads {two:.1} µs ({:.2}×)",
            two / one
        );
    }
}

/// A deadline no run reaches: the bench measures evaluation, not the budget.
fn far() -> Instant {
    Instant::now() + Duration::from_secs(3600)
}

fn config() -> Criterion {
    Criterion::default()
        .output_directory(&output_dir())
        .sample_size(50)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench, report
}
criterion_main!(benches);
