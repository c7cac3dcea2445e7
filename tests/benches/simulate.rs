//! What-if simulation at scale (issue 19 item 4's target): 1,000,000 baskets of 20 lines
//! against 10 campaigns of the catalogue plugins (8 live, 2 drafts, one with a budget that
//! runs out, one in a group with a live campaign it displaces), on every core, a chunk at a
//! time as the service and `remise simulate` run them. Baskets are made as the run goes (a
//! million in memory would be 3 GB); making them is timed apart and left out.
//!
//! `cargo bench -p remise-tests --bench simulate` (`BASKETS=N` for another count,
//! `THREADS=N` for another number of threads than one per core). Under `cargo test` (no
//! `--bench`), a smoke run of 2,000 baskets.

use chrono::{DateTime, Duration as Days, Utc};
use remise::engine::LiveCampaign;
use remise::model::{Basket, Campaign};
use remise::runtime::{Limits, Runtime};
use remise::simulate::{Scenario, SimulatedBasket, Simulator, CHUNK};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The server's allocator (`host/src/main.rs`), so the figures are what the server pays.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn campaign(runtime: &Runtime, body: Value) -> Arc<LiveCampaign> {
    let campaign: Campaign = serde_json::from_value(body).expect("a campaign");
    let bytes = remise::catalogue::plugin(&campaign.plugin).expect("a catalogue plugin");
    let plugin = Arc::new(runtime.load(bytes, Limits::default()).expect("loads"));
    let prepared = plugin
        .check_params(&campaign.params.to_string())
        .expect("runs")
        .expect("accepted");
    Arc::new(LiveCampaign {
        revision: 1,
        campaign,
        plugin,
        prepared,
    })
}

/// Basket `n`: 20 lines, one of three channels, one of 20 stores, one of 50,000
/// customers in one of three tiers, spread over 30 days from `start`.
fn basket(n: u64, start: DateTime<Utc>) -> SimulatedBasket {
    let lines: Vec<Value> = (0..20u64)
        .map(|i| {
            let cents = 236 + (i * 1_297 + n * 7) % 2_453;
            json!({ "id": format!("l{i}"), "sku": format!("SKU-{:02}", (i + n) % 40),
                    "quantity": 1 + (i + n) % 3,
                    "unit_price": format!("{}.{:02}", cents / 100, cents % 100),
                    "categories": [if i % 2 == 0 { "apparel" } else { "home" }] })
        })
        .collect();
    let channel = ["web", "store", "app"][(n % 3) as usize];
    let tier = ["gold", "silver", "bronze"][(n / 3 % 3) as usize];
    let basket: Basket = serde_json::from_value(json!({
        "currency": "EUR", "channel": channel, "store": format!("store-{:02}", n % 20),
        "customer": { "id": format!("c-{}", n % 50_000), "loyalty_tier": tier },
        "lines": lines
    }))
    .expect("a basket");
    SimulatedBasket {
        basket,
        at: start + Days::seconds((n * 2_592_000 / 1_000_000) as i64) + Days::hours(9),
        coupons: HashMap::new(),
        customer_data: None,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this as a smoke run.
    let full = std::env::args().any(|arg| arg == "--bench");
    let count: u64 = std::env::var("BASKETS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if full { 1_000_000 } else { 2_000 });
    let runtime = Runtime::new().expect("runtime");
    let active = |id: &str, plugin: &str, params: Value, extra: Value| {
        let mut body = json!({ "id": id, "name": id, "plugin": plugin, "params": params,
                               "status": "active" });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        campaign(&runtime, body)
    };
    let live = vec![
        active(
            "site-10",
            "threshold-discount",
            json!({ "tiers": [ { "min_subtotal": "100.00", "percent_off": "10" } ] }),
            json!({ "group": "site" }),
        ),
        active(
            "gold-5",
            "loyalty-reward",
            json!({ "tiers": { "gold": { "percent_off": "5" } } }),
            json!({}),
        ),
        active(
            "apparel-3for2",
            "buy-x-get-y",
            json!({ "buy": { "categories": ["apparel"], "quantity": 2 },
                    "get": { "categories": ["apparel"], "quantity": 1, "percent_off": "100" } }),
            json!({ "audience": { "channels": ["store"] } }),
        ),
        active(
            "duo",
            "bundle-price",
            json!({ "items": [ { "sku": "SKU-00", "quantity": 1 }, { "sku": "SKU-01", "quantity": 1 } ],
                    "price": "5.00" }),
            json!({}),
        ),
        active(
            "tote",
            "free-gift",
            json!({ "min_subtotal": "50.00", "gift": { "sku": "TOTE", "quantity": 1 } }),
            json!({}),
        ),
        active(
            "points",
            "points-multiplier",
            json!({ "points_per_unit": "10", "multiplier": "2", "categories": ["apparel"] }),
            json!({}),
        ),
        active(
            "web-15",
            "threshold-discount",
            json!({ "tiers": [ { "min_subtotal": "300.00", "percent_off": "15" } ] }),
            json!({ "audience": { "channels": ["web"] } }),
        ),
        active(
            "trio",
            "bundle-price",
            json!({ "items": [ { "sku": "SKU-02", "quantity": 1 }, { "sku": "SKU-03", "quantity": 1 },
                              { "sku": "SKU-04", "quantity": 1 } ], "price": "9.00" }),
            json!({}),
        ),
    ];
    let drafts = vec![
        active(
            "site-20",
            "threshold-discount",
            json!({ "tiers": [ { "min_subtotal": "200.00", "percent_off": "20" } ] }),
            json!({ "group": "site", "limits": { "budget": "500000.00", "budget_currency": "EUR",
                                                  "partial": true } }),
        ),
        active(
            "silver-7",
            "loyalty-reward",
            json!({ "tiers": { "silver": { "percent_off": "7" } } }),
            json!({}),
        ),
    ];
    let start: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().expect("an instant");
    let scenario = Scenario {
        live,
        drafts,
        policies: HashMap::new(),
        usage: HashMap::new(),
        currency: None,
        timezone: chrono_tz::Europe::Paris,
        now: start,
    };
    let threads = std::env::var("THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let mut simulator = Simulator::new(scenario, threads).expect("a simulator");
    let (mut making, mut pricing) = (Duration::ZERO, Duration::ZERO);
    let mut next = 0u64;
    while next < count {
        let made = Instant::now();
        let end = (next + CHUNK as u64).min(count);
        let chunk: Vec<SimulatedBasket> = (next..end).map(|n| basket(n, start)).collect();
        making += made.elapsed();
        let priced = Instant::now();
        simulator.run_chunk(&chunk);
        pricing += priced.elapsed();
        next = end;
    }
    let report = simulator.report();
    assert_eq!(report.baskets, count, "every basket priced: {report:?}");
    assert_eq!(report.failed, 0, "{report:?}");
    let per_million = pricing.as_secs_f64() * 1_000_000.0 / count as f64;
    println!(
        "simulate: {count} baskets of 20 lines, 10 campaigns (2 drafts): {:.1} s pricing \
         ({per_million:.1} s per million; target 60 s), {:.1} s making the baskets",
        pricing.as_secs_f64(),
        making.as_secs_f64()
    );
    println!(
        "touched {} of {}; drafts granted {} {}; change {}",
        report.touched,
        report.baskets,
        report.discount.drafts,
        report.currency.as_deref().unwrap_or(""),
        report.discount.change
    );
    for campaign in &report.campaigns {
        println!(
            "  {:<14} draft={:<5} applied={:<8} discount={:<12} displaced={:<7} runs out {:?}",
            campaign.campaign,
            campaign.draft,
            campaign.applied,
            campaign.discount,
            campaign.displaced,
            campaign.runs_out_on
        );
    }
}
