//! Contract 1.0 and 1.1 side by side, over real components: the catalogue's
//! `threshold-discount` (built for 1.1, the SDK's default) and the test guest
//! `threshold-discount-1-0` (the very same source built for 1.0) both load, say which
//! contract they implement, and answer exactly alike on random baskets (proptest). And a
//! 1.1 plugin imports `customer` only when it asks about the customer, which is what the
//! host goes by to read customer data before a run; the catalogue's three 1.1 plugins run
//! in the sandbox on what the host tells them.

use crate::support;

use proptest::prelude::*;
use remise::model::customer_data::{CustomerData, PurchaseHistory, Purchases};
use remise::runtime::{Contract, Effect, Limits, Plugin};
use serde_json::{json, Value};
use std::sync::{Arc, LazyLock};
use support::*;

const HOST_1_0: &str = "remise:scenario/host@1.0.0";
const HOST_1_1: &str = "remise:scenario/host@1.1.0";
const CUSTOMER_1_1: &str = "remise:scenario/customer@1.1.0";

/// `threshold-discount` built for contract 1.0 (tests/guests/threshold-discount-1-0).
fn threshold_1_0() -> &'static Plugin {
    static PLUGIN: LazyLock<Plugin> = LazyLock::new(|| {
        runtime()
            .load(
                &remise_tests::guest("threshold-discount-1-0"),
                Limits::default(),
            )
            .expect("the 1.0 build of threshold-discount loads")
    });
    &PLUGIN
}

/// `threshold-discount` as the catalogue embeds it: built for contract 1.1.
fn threshold_1_1() -> &'static Plugin {
    catalogue_plugin("threshold-discount")
}

#[test]
fn both_builds_load_and_report_their_contract() {
    let old = threshold_1_0();
    let new = threshold_1_1();
    assert_eq!(old.contract(), Contract::V1_0);
    assert_eq!(old.contract().as_str(), "1.0.0");
    assert_eq!(new.contract(), Contract::V1_1);
    assert_eq!(new.contract().as_str(), "1.1.0");

    // The 1.0 build names only 1.0 interfaces; the 1.1 build, 1.1's.
    assert!(
        old.imports().iter().any(|i| i == HOST_1_0),
        "{:?}",
        old.imports()
    );
    assert!(
        !old.imports().iter().any(|i| i.ends_with("@1.1.0")),
        "{:?}",
        old.imports()
    );
    assert!(
        new.imports().iter().any(|i| i == HOST_1_1),
        "{:?}",
        new.imports()
    );
    assert!(
        !new.imports().iter().any(|i| i.ends_with("@1.0.0")),
        "{:?}",
        new.imports()
    );

    // One source: the same plugin but for its name.
    assert_eq!(old.metadata().name, "threshold-discount-1-0");
    assert_eq!(new.metadata().name, "threshold-discount");
    assert_eq!(old.metadata().version, new.metadata().version);
    assert_eq!(old.metadata().description, new.metadata().description);
    assert_eq!(old.metadata().params_schema, new.metadata().params_schema);
}

#[test]
fn only_plugins_that_ask_about_the_customer_import_it() {
    // wit-component leaves out an imported interface none of whose functions the core
    // module calls: a 1.1 plugin that never asks costs no customer read.
    for (name, asks) in [
        ("threshold-discount", false),
        ("cross-channel-reward", false),
        ("points-redemption", true),
        ("category-winback", true),
    ] {
        let plugin = catalogue_plugin(name);
        assert_eq!(plugin.contract(), Contract::V1_1, "{name}");
        assert_eq!(
            plugin.imports().iter().any(|i| i == CUSTOMER_1_1),
            asks,
            "{name}: {:?}",
            plugin.imports()
        );
        assert_eq!(plugin.reads_customer(), asks, "{name}");
    }
    assert!(!threshold_1_0().reads_customer());
}

const SKUS: [&str; 5] = ["TEE", "SHIRT", "SOCK", "CAP", "SALE-1"];
const CATEGORIES: [&str; 4] = ["tops", "shoes", "sale", "kids"];

/// A random evaluate request: 0 to 8 lines of random SKUs, categories, units and prices,
/// in euros or yen, anonymous or not.
fn request() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(
            (
                0usize..SKUS.len(),
                prop::collection::vec(0usize..CATEGORIES.len(), 0..3),
                1u32..6,
                0u64..2_000_000,
            ),
            0..8,
        ),
        prop::bool::ANY,
        prop::bool::ANY,
    )
        .prop_map(|(lines, yen, known)| {
            let lines: Vec<Value> = lines
                .iter()
                .enumerate()
                .map(|(i, (sku, categories, quantity, cents))| {
                    let price = if yen {
                        format!("{}", cents / 100)
                    } else {
                        format!("{}.{:02}", cents / 100, cents % 100)
                    };
                    let categories: Vec<&str> = categories.iter().map(|c| CATEGORIES[*c]).collect();
                    json!({ "id": format!("l{i}"), "sku": SKUS[*sku], "quantity": quantity,
                            "unit_price": price, "categories": categories })
                })
                .collect();
            let mut request = json!({
                "currency": if yen { "JPY" } else { "EUR" }, "channel": "web",
                "at": "2026-03-08T17:30:00+01:00", "lines": lines
            });
            if known {
                request["customer"] = json!({ "id": "c-1", "segments": ["vip"] });
            }
            request
        })
}

/// Random threshold-discount params: 1 to 3 tiers, each a percentage or an amount,
/// sometimes scoped by categories or excluded SKUs.
fn params() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec((0u64..1_500_000, prop::bool::ANY, 1u64..10_000), 1..4),
        prop::collection::vec(0usize..CATEGORIES.len(), 0..3),
        prop::collection::vec(0usize..SKUS.len(), 0..2),
    )
        .prop_map(|(tiers, categories, excluded)| {
            let cents = |c: u64| format!("{}.{:02}", c / 100, c % 100);
            let tiers: Vec<Value> = tiers
                .iter()
                .map(|(min, percent, value)| {
                    if *percent {
                        json!({ "min_subtotal": cents(*min), "percent_off": format!("{}", 1 + value % 100) })
                    } else {
                        json!({ "min_subtotal": cents(*min), "amount_off": cents(*value) })
                    }
                })
                .collect();
            let categories: Vec<&str> = categories.iter().map(|c| CATEGORIES[*c]).collect();
            let excluded: Vec<&str> = excluded.iter().map(|s| SKUS[*s]).collect();
            json!({ "tiers": tiers, "categories": categories, "exclude_skus": excluded })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    /// The 1.0 and 1.1 builds of one source propose the same effects, campaign by
    /// campaign, several campaigns in one call.
    #[test]
    fn the_1_0_and_1_1_builds_answer_alike(
        request in request(),
        campaigns in prop::collection::vec(params(), 1..4),
    ) {
        let basket = basket(request);
        let old = evaluate(threshold_1_0(), &campaigns, &basket);
        let new = evaluate(threshold_1_1(), &campaigns, &basket);
        let old: Vec<Vec<Effect>> = old.results.into_iter().map(succeeded).collect();
        let new: Vec<Vec<Effect>> = new.results.into_iter().map(succeeded).collect();
        prop_assert_eq!(old, new);
    }
}

fn day(text: &str) -> chrono::NaiveDate {
    text.parse().expect("a test date")
}

/// An EUR store basket of 2 × 60.00 shoes and a 30.00 bag, for customer `c-1` with these
/// attributes, with `data` as what the host read of them.
fn customer_basket(attributes: Value, data: Option<CustomerData>) -> TestBasket {
    let mut basket = basket(json!({
        "currency": "EUR", "channel": "store", "at": "2026-03-08T17:30:00+01:00",
        "customer": { "id": "c-1", "attributes": attributes },
        "lines": [
            { "id": "1", "sku": "RUN", "quantity": 2, "unit_price": "60.00", "categories": ["shoes"] },
            { "id": "2", "sku": "TOTE", "quantity": 1, "unit_price": "30.00", "categories": ["bags"] }
        ]
    }));
    basket.input.customer = data.map(Arc::new);
    basket
}

#[test]
fn points_redemption_spends_the_balance_the_host_read() {
    let plugin = catalogue_plugin("points-redemption");
    let params = json!({ "points_per_step": 100, "value_per_step": "5.00" });
    let data = CustomerData {
        points_balance: 1_250,
        ..CustomerData::default()
    };
    let asks = customer_basket(json!({ "spend_points": "max" }), Some(data.clone()));
    assert_eq!(
        effects_of(plugin, params.clone(), &asks),
        vec![
            order(amount("60.00")),
            Effect::SpendPoints { points: 1_200 },
            Effect::Message {
                text: "1\u{a0}200 points utilisés : 60,00\u{a0}€ de remise".into()
            },
        ]
    );
    let does_not_ask = customer_basket(json!({}), Some(data));
    assert_eq!(effects_of(plugin, params.clone(), &does_not_ask), vec![]);
    let nothing_read = customer_basket(json!({ "spend_points": "max" }), None);
    assert_eq!(effects_of(plugin, params, &nothing_read), vec![]);
}

#[test]
fn category_winback_reads_the_purchase_history() {
    let plugin = catalogue_plugin("category-winback");
    let mut history = PurchaseHistory::default();
    history.categories.insert(
        "shoes".into(),
        Purchases {
            quantity: 5,
            orders: 4,
            first: day("2025-06-01"),
            last: day("2025-12-01"),
        },
    );
    history.categories.insert(
        "bags".into(),
        Purchases {
            quantity: 3,
            orders: 3,
            first: day("2025-06-01"),
            last: day("2026-03-01"),
        },
    );
    let data = CustomerData {
        history,
        ..CustomerData::default()
    };
    // Shoes: 4 orders, last 97 days ago; bags: bought a week ago.
    let basket = customer_basket(json!({}), Some(data));
    assert_eq!(
        effects_of(plugin, json!({ "percent_off": "15" }), &basket),
        vec![
            on_lines(&[(0, "1", None)], percent("15")),
            Effect::Message {
                text: "Vous nous avez manqué : 15\u{a0}% de remise sur vos catégories préférées"
                    .into()
            },
        ]
    );
    let nothing_read = customer_basket(json!({}), None);
    assert_eq!(
        effects_of(plugin, json!({ "percent_off": "15" }), &nothing_read),
        vec![]
    );
}

#[test]
fn cross_channel_reward_issues_a_reward() {
    let plugin = catalogue_plugin("cross-channel-reward");
    let params = json!({
        "min_spend": "100", "reward_campaign": "welcome-back", "valid_days": 30,
        "channels": ["web"], "earn_channels": ["store"]
    });
    assert_eq!(
        effects_of(plugin, params, &customer_basket(json!({}), None)),
        vec![
            Effect::IssueReward {
                campaign: "welcome-back".into(),
                valid_days: 30,
                channels: vec!["web".into()],
            },
            Effect::Message {
                text: "Un bon de réduction vous attend en ligne (valable 30 jours)".into()
            },
        ]
    );
}
