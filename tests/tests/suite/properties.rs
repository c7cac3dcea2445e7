//! Properties of every answer, over random baskets and random sets of real catalogue
//! campaigns (proptest): the total is the subtotal less the discounts, no line goes below
//! zero, every amount is exact to the currency's minor unit and the line discounts add up
//! to the discount total, and the answer does not depend on the order of the lines. And
//! the prefilter's index keeps every campaign its checks keep, over random targeting, and an
//! index patched write by write is the index built afresh.

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use remise::engine::response::EvaluateResponse;
use remise::engine::{evaluate, select, CampaignIndex, LiveCampaign, Request};
use remise::model::usage::{CampaignUsage, CouponState, Usage};
use remise::model::{Basket, Campaign, Policy};
use remise::runtime::{Limits, Plugin, Runtime};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

/// Each catalogue plugin, loaded once for every case.
fn plugin(name: &str) -> Arc<Plugin> {
    static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| Runtime::new().expect("runtime"));
    static LOADED: LazyLock<Mutex<HashMap<String, Arc<Plugin>>>> = LazyLock::new(Default::default);
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    loaded
        .entry(name.to_string())
        .or_insert_with(|| {
            Arc::new(
                RUNTIME
                    .load(remise_tests::catalogue(name), Limits::default())
                    .expect("catalogue plugin loads"),
            )
        })
        .clone()
}

const SKUS: [&str; 4] = ["TEE", "SHIRT", "SOCK", "CAP"];

/// One campaign of the pool, its params drawn from `n`.
fn campaign(
    kind: u8,
    n: u32,
    id: usize,
    group: Option<&str>,
    exclusive: bool,
) -> Arc<LiveCampaign> {
    let cents = |c: u32| format!("{}.{:02}", c / 100, c % 100);
    let (plugin_name, params) = match kind % 6 {
        0 => (
            "threshold-discount",
            json!({ "tiers": [ { "min_subtotal": cents(n % 20_000), "percent_off": format!("{}", 1 + n % 60) } ] }),
        ),
        1 => (
            "threshold-discount",
            json!({ "tiers": [ { "min_subtotal": cents(n % 10_000), "amount_off": cents(1 + n % 5_000) } ] }),
        ),
        2 => (
            "buy-x-get-y",
            json!({ "buy": { "skus": [SKUS[(n % 4) as usize]], "quantity": 1 + n % 3 },
                    "get": { "skus": [SKUS[(n / 4 % 4) as usize], SKUS[(n / 16 % 4) as usize]],
                             "quantity": 1 + n % 2, "percent_off": format!("{}", 10 + n % 91) } }),
        ),
        3 => (
            "bundle-price",
            json!({ "items": [ { "sku": SKUS[(n % 4) as usize], "quantity": 1 + n % 2 },
                               { "sku": SKUS[((n % 4) + 1 + n / 4 % 3) as usize % 4], "quantity": 1 } ],
                    "price": cents(n % 3_000) }),
        ),
        4 => (
            "free-gift",
            json!({ "min_subtotal": cents(n % 10_000), "gift": { "sku": "TOTE" } }),
        ),
        _ => (
            "points-multiplier",
            json!({ "points_per_unit": "1", "multiplier": format!("{}", 1 + n % 3) }),
        ),
    };
    let mut fields = json!({ "id": format!("c{id}"), "name": "c", "plugin": plugin_name,
                             "params": params, "status": "active", "priority": n % 7,
                             "exclusive": exclusive });
    if let Some(group) = group {
        fields["group"] = json!(group);
    }
    let campaign: Campaign = serde_json::from_value(fields).expect("a campaign");
    campaign.validate().expect("a valid campaign");
    let plugin = plugin(plugin_name);
    let prepared = match plugin.check_params(&campaign.params.to_string()) {
        Ok(Ok(prepared)) => prepared,
        other => panic!("{plugin_name} refused {}: {other:?}", campaign.params),
    };
    Arc::new(LiveCampaign {
        revision: 0,
        campaign,
        plugin,
        prepared,
    })
}

fn campaigns() -> impl Strategy<Value = Vec<(u8, u32, Option<u8>, bool)>> {
    prop::collection::vec(
        (
            any::<u8>(),
            any::<u32>(),
            prop::option::of(0u8..2),
            prop::bool::weighted(0.1),
        ),
        0..6,
    )
}

/// Lines with distinct unit prices (a plugin may pick among equally priced units in the
/// order they come; the host's own rules break ties by line id), in a currency with two or
/// zero decimals.
fn basket() -> impl Strategy<Value = Value> {
    (
        prop::collection::btree_set(0u64..5_000_000, 1..7),
        prop::collection::vec((0usize..4, 1u32..5), 7),
        prop::bool::ANY,
    )
        .prop_map(|(prices, shapes, yen)| {
            let lines: Vec<Value> = prices
                .iter()
                .zip(&shapes)
                .enumerate()
                .map(|(i, (cents, (sku, quantity)))| {
                    let price = if yen {
                        format!("{cents}")
                    } else {
                        format!("{}.{:02}", cents / 100, cents % 100)
                    };
                    json!({ "id": format!("l{}", (i * 7) % 10), "sku": SKUS[*sku],
                            "quantity": quantity, "unit_price": price })
                })
                .collect();
            json!({ "currency": if yen { "JPY" } else { "EUR" }, "channel": "web",
                    "lines": lines })
        })
}

fn now() -> DateTime<Utc> {
    "2026-03-08T12:00:00Z".parse().expect("an instant")
}

fn price(basket: &Basket, live: &[Arc<LiveCampaign>], policy: Policy) -> EvaluateResponse {
    let index = CampaignIndex::new(live.to_vec());
    // Far enough that a loaded machine never times a plugin out: not what this is about.
    let deadline = Instant::now() + Duration::from_secs(30);
    let request = Request::new(basket, false, now(), deadline);
    evaluate(request, &index, |_| policy, &Usage::default(), "ev".into()).expect("priced")
}

/// The answer as JSON with its lines, and each effect's target lines (a set, listed in
/// request order), sorted by line id.
fn by_line_id(response: &EvaluateResponse) -> Value {
    let mut answer = serde_json::to_value(response).expect("JSON");
    if let Some(lines) = answer["lines"].as_array_mut() {
        lines.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    }
    for applied in answer["applied"].as_array_mut().into_iter().flatten() {
        for effect in applied["effects"].as_array_mut().into_iter().flatten() {
            let targets = effect
                .get_mut("target")
                .and_then(|target| target.get_mut("lines"))
                .and_then(Value::as_array_mut);
            if let Some(targets) = targets {
                targets.sort_by(|a, b| a["line"].as_str().cmp(&b["line"].as_str()));
            }
        }
    }
    answer
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_answer_adds_up_and_ignores_the_order_of_lines(
        basket in basket(),
        pool in campaigns(),
        policy in prop_oneof![Just(Policy::BestForCustomer), Just(Policy::BestForMerchant), Just(Policy::Priority)],
    ) {
        let live: Vec<Arc<LiveCampaign>> = pool
            .iter()
            .enumerate()
            .map(|(i, (kind, n, group, exclusive))| {
                let group = group.map(|g| if g == 0 { "seasonal" } else { "loyalty" });
                campaign(*kind, *n, i, group, *exclusive)
            })
            .collect();
        let request: Basket = serde_json::from_value(basket.clone()).expect("a basket");
        request.validate(1_000).expect("a valid basket");
        let decimals = if request.currency == "JPY" { 0 } else { 2 };
        let answer = price(&request, &live, policy);

        let exact = |amount: Decimal| amount.round_dp(decimals) == amount;
        prop_assert_eq!(answer.total, answer.subtotal - answer.discount_total);
        prop_assert!(answer.total >= Decimal::ZERO);
        let mut line_discounts = Decimal::ZERO;
        for line in &answer.lines {
            prop_assert!(line.discount >= Decimal::ZERO, "{:?}", line);
            prop_assert!(line.total >= Decimal::ZERO, "{:?}", line);
            prop_assert_eq!(line.total, line.subtotal - line.discount);
            prop_assert!(exact(line.subtotal) && exact(line.discount) && exact(line.total), "{:?}", line);
            line_discounts += line.discount;
        }
        prop_assert_eq!(line_discounts, answer.discount_total);
        let applied: Decimal = answer.applied.iter().map(|a| a.discount).sum();
        prop_assert_eq!(applied, answer.discount_total);
        prop_assert!(answer.applied.iter().all(|a| exact(a.discount)));

        let mut reversed = request.clone();
        reversed.lines.reverse();
        let again = price(&reversed, &live, policy);
        prop_assert_eq!(by_line_id(&answer), by_line_id(&again));
    }
}

/// The values a random targeting or basket draws from.
const CHANNELS: [&str; 3] = ["web", "store", "app"];
const STORES: [&str; 3] = ["paris", "lyon", "lille"];
const TIERS: [&str; 3] = ["silver", "gold", "platinum"];
const SEGMENTS: [&str; 3] = ["card-holder", "student", "staff"];
const CUSTOMERS: [&str; 3] = ["c-1", "c-2", "c-3"];
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The entries of `values` whose bit is set in `mask`.
fn picked(mask: u8, values: &[&str]) -> Vec<String> {
    values
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, v)| v.to_string())
        .collect()
}

/// A campaign of points-multiplier restricted by everything `t` draws, with what it used.
fn targeted(id: usize, t: &[u8; 12]) -> (Arc<LiveCampaign>, Option<CampaignUsage>) {
    // About half the draws restrict a dimension, among few values, so that baskets pass
    // some sets and fail others.
    let mask = |byte: u8| if byte & 0x80 == 0 { 0 } else { byte & 0x07 };
    let hour = |byte: u8| i64::from(byte % 48) - 24;
    let mut audience = json!({
        "channels": picked(mask(t[0]), &CHANNELS), "stores": picked(mask(t[1]), &STORES),
        "loyalty_tiers": picked(mask(t[2]), &TIERS), "segments": picked(mask(t[3]), &SEGMENTS),
        "customers": picked(mask(t[4]), &CUSTOMERS),
    });
    if t[5] & 0x80 != 0 {
        audience["attributes"] = json!({ "gender": picked(t[5] & 0x03, &["f", "m"]) });
    }
    let at = |h: i64| (now() + chrono::TimeDelta::hours(h)).to_rfc3339();
    let zone = ["Europe/Paris", "UTC", "Asia/Tokyo"][t[6] as usize % 3];
    let mut schedule = json!({ "timezone": zone });
    if t[6] & 0x40 != 0 {
        schedule["starts_at"] = json!(at(hour(t[7])));
    }
    if t[6] & 0x80 != 0 {
        schedule["ends_at"] = json!(at(hour(t[7]) + i64::from(t[8] % 30)));
    }
    if t[9] & 0x80 != 0 {
        schedule["days_of_week"] = json!(picked(t[9] & 0x7f, &DAYS));
    }
    if t[9] & 0x40 != 0 {
        let (from, to) = (t[10] % 24, t[10] / 24 % 24);
        schedule["hours"] =
            json!([{ "from": format!("{from:02}:00"), "to": format!("{to:02}:30") }]);
    }
    let mut fields = json!({ "id": format!("c{id}"), "name": "c", "plugin": "points-multiplier",
                             "params": { "points_per_unit": "1", "multiplier": "1" },
                             "status": if t[11] & 0x01 == 0 { "active" } else { "paused" },
                             "coupon_required": t[11] & 0x02 != 0,
                             "audience": audience, "schedule": schedule });
    let mut used = None;
    if t[11] & 0x04 != 0 {
        fields["limits"] = json!({ "redemptions": 2 });
        let redemptions = u64::from(t[11] >> 6);
        used = Some(CampaignUsage {
            currency: None,
            redemptions,
            granted_minor: 0,
        });
    } else if t[11] & 0x08 != 0 {
        fields["limits"] = json!({ "budget": "10.00", "budget_currency": "EUR" });
        let granted_minor = [0, 500, 1_000, 2_000][usize::from(t[11] >> 6)];
        let currency = Some(if t[11] & 0x10 != 0 { "USD" } else { "EUR" }.to_string());
        used = Some(CampaignUsage {
            currency,
            redemptions: 1,
            granted_minor,
        });
    }
    let campaign: Campaign = serde_json::from_value(fields).expect("a campaign");
    let plugin = plugin("points-multiplier");
    let prepared = match plugin.check_params(&campaign.params.to_string()) {
        Ok(Ok(prepared)) => prepared,
        other => panic!("points-multiplier refused its params: {other:?}"),
    };
    (
        Arc::new(LiveCampaign {
            revision: 0,
            campaign,
            plugin,
            prepared,
        }),
        used,
    )
}

/// A basket drawn from `b`, and the instant it is priced at.
fn drawn_basket(b: &[u8; 6]) -> (Basket, DateTime<Utc>) {
    let mut basket = json!({ "currency": if b[0] & 0x80 == 0 { "EUR" } else { "USD" },
        "channel": CHANNELS[b[0] as usize % 3],
        "lines": [ { "id": "1", "sku": "TEE", "quantity": 1, "unit_price": "20.00" } ] });
    if b[1] & 0x80 != 0 {
        basket["store"] = json!(STORES[b[1] as usize % 3]);
    }
    if b[1] & 0x40 != 0 {
        // One campaign's code (see the usage of the test below), often an existing one.
        basket["coupons"] = json!([format!("CODE{}", b[1] & 0x3f)]);
    }
    if b[2] & 0x80 != 0 {
        let mut customer = json!({ "id": CUSTOMERS[b[2] as usize % 3],
                                   "segments": picked(b[3] & 0x07, &SEGMENTS) });
        if b[2] & 0x40 != 0 {
            customer["loyalty_tier"] = json!(TIERS[b[3] as usize / 8 % 3]);
        }
        if b[2] & 0x20 != 0 {
            let gender = ["f", "m", "x"][b[3] as usize / 32 % 3];
            customer["attributes"] = json!({ "gender": gender });
        }
        basket["customer"] = customer;
    }
    let basket: Basket = serde_json::from_value(basket).expect("a basket");
    // Hours and minutes apart, and some exactly on a boundary of the campaigns' hours.
    let minutes = i64::from(u16::from_le_bytes([b[4], b[5]]) % 2_880) - 1_440;
    (basket, now() + chrono::TimeDelta::minutes(minutes))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// The index is only a shortcut: it keeps every campaign the prefilter's own checks keep,
    /// whatever sets a campaign aside (status, schedule, channel, store, audience, coupon,
    /// spent limits), over one index asked many times, as the service's is.
    #[test]
    fn the_index_sets_aside_only_what_the_checks_set_aside(
        targets in prop::collection::vec(any::<[u8; 12]>(), 1..60),
        baskets in prop::collection::vec(any::<[u8; 6]>(), 1..24),
    ) {
        let (live, used): (Vec<_>, Vec<_>) =
            targets.iter().enumerate().map(|(i, t)| targeted(i, t)).unzip();
        let campaigns: HashMap<String, CampaignUsage> = live
            .iter()
            .zip(used)
            .filter_map(|(live, used)| Some((live.campaign.id.clone(), used?)))
            .collect();
        // Every campaign has a code, unused.
        let coupons = (0..targets.len())
            .map(|i| (format!("CODE{i}"), CouponState {
                campaign: format!("c{i}"), uses: 0, uses_per_code: 1, expires_at: None,
                customer: None, channels: Vec::new(),
            }))
            .collect();
        let usage = Usage { campaigns: Arc::new(campaigns), coupons, ..Usage::default() };
        let index = CampaignIndex::new(live);
        let deadline = Instant::now() + Duration::from_secs(30);
        for drawn in &baskets {
            let (basket, at) = drawn_basket(drawn);
            let kept = |explain: bool| {
                let request = Request::new(&basket, explain, at, deadline);
                select::select(request, &index, &usage).considered()
            };
            prop_assert_eq!(kept(false), kept(true), "at {}: {:?}", at, basket);
        }
    }

    /// A write patches the index ([`CampaignIndex::with`], [`CampaignIndex::without`]):
    /// after any sequence of creates, edits, pauses and deletes, the patched index holds
    /// the campaigns of an index built afresh from them, and gives every basket the same
    /// candidates.
    #[test]
    fn an_index_patched_write_by_write_is_the_index_built_afresh(
        first in prop::collection::vec(any::<[u8; 12]>(), 0..40),
        writes in prop::collection::vec((any::<bool>(), 0..50usize, any::<[u8; 12]>()), 1..40),
        baskets in prop::collection::vec(any::<[u8; 6]>(), 1..16),
    ) {
        let mut model: BTreeMap<String, (Arc<LiveCampaign>, Option<CampaignUsage>)> = first
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("c{i}"), targeted(i, t)))
            .collect();
        let mut patched =
            CampaignIndex::new(model.values().map(|(live, _)| Arc::clone(live)).collect());
        for (delete, id, t) in &writes {
            if *delete {
                model.remove(&format!("c{id}"));
                patched = patched.without(&format!("c{id}"));
            } else {
                let drawn = targeted(*id, t);
                patched = patched.with(Arc::clone(&drawn.0));
                model.insert(format!("c{id}"), drawn);
            }
        }
        let fresh = CampaignIndex::new(model.values().map(|(live, _)| Arc::clone(live)).collect());
        let ids = |index: &CampaignIndex| -> Vec<String> {
            index.all().iter().map(|live| live.campaign.id.clone()).collect()
        };
        prop_assert_eq!(ids(&patched), ids(&fresh));
        for id in model.keys() {
            prop_assert!(patched.get(id).is_some_and(|live| &live.campaign.id == id));
        }
        let usage: Arc<HashMap<String, CampaignUsage>> = Arc::new(
            model
                .iter()
                .filter_map(|(id, (_, used))| Some((id.clone(), used.clone()?)))
                .collect(),
        );
        for drawn in &baskets {
            let (basket, at) = drawn_basket(drawn);
            prop_assert_eq!(
                patched.candidates(&basket, at, &usage),
                fresh.candidates(&basket, at, &usage),
                "at {}: {:?}", at, basket
            );
        }
    }
}
