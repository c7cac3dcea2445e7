//! The evaluation pipeline (prefilter → plugins → conflicts → money) on a 20-line basket:
//! 10 matching campaigns alone, then the same 10 among 1,000 active campaigns. The other
//! 990 are set aside by the prefilter (a third for another channel, a third for another
//! store, a third for another loyalty tier), so the figures show what the index saves.
//!
//! `cargo bench -p remise-tests --bench evaluate`; prints the ratio at the end.

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use remise::basket::EvaluateRequest;
use remise::campaign::Campaign;
use remise::engine::resolve::Policy;
use remise::engine::{evaluate, CampaignIndex, LiveCampaign};
use remise::runtime::{Limits, Plugin, Runtime};
use serde_json::{json, Value};
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

fn campaign(id: String, audience: Value, plugin: &Arc<Plugin>) -> Arc<LiveCampaign> {
    let params = json!({ "tiers": [ { "min_subtotal": "100.00", "percent_off": "1" } ] });
    let campaign: Campaign = serde_json::from_value(json!({
        "id": id, "name": "bench", "plugin": "threshold-discount", "params": params,
        "status": "active", "audience": audience
    }))
    .expect("a campaign");
    let prepared = plugin
        .check_params(&campaign.params.to_string())
        .expect("runs")
        .expect("accepted");
    Arc::new(LiveCampaign {
        campaign,
        plugin: plugin.clone(),
        prepared,
    })
}

/// 20 lines, 551.95 EUR, a gold customer in the Rivoli store.
fn basket() -> EvaluateRequest {
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

    let answer = evaluate(&request, &thousand, policy, now, "ev".into()).expect("priced");
    assert_eq!(answer.applied.len(), 10, "the ten matching campaigns apply");
    assert_eq!(
        answer.discount_total.to_string(),
        "55.20",
        "10 × (1 % of 551.95 = 5.52)"
    );

    let mut group = c.benchmark_group("evaluate");
    group.bench_function("10-campaigns", |b| {
        b.iter(|| evaluate(black_box(&request), &ten, policy, now, "ev".into()))
    });
    group.bench_function("10-of-1000-campaigns", |b| {
        b.iter(|| evaluate(black_box(&request), &thousand, policy, now, "ev".into()))
    });
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
