//! The catalogue plugins, as the `remise` binary embeds them, run through the real
//! runtime on real baskets. Every expected effect is written out by hand from the plugin's
//! rules (docs/api.md and the plugin's own doc comment), never computed by the code under test.

use crate::support;

use remise::runtime::{Limits, RunError};
use remise_tests::ten_from_100_params;
use serde_json::json;
use support::*;

const CATALOGUE: [&str; 9] = [
    "threshold-discount",
    "buy-x-get-y",
    "bundle-price",
    "loyalty-reward",
    "free-gift",
    "points-multiplier",
    "points-redemption",
    "category-winback",
    "cross-channel-reward",
];

/// 2 × 19.90 + 79.90 = 119.70.
fn tshirts_and_jeans() -> TestBasket {
    lines(json!([
        { "id": "1", "sku": "TSHIRT-M", "quantity": 2, "unit_price": "19.90",
          "categories": ["apparel", "tops"], "brand": "acme", "attributes": { "color": "red" } },
        { "id": "2", "sku": "JEANS-32", "quantity": 1, "unit_price": "79.90",
          "categories": ["apparel", "bottoms"] }
    ]))
}

#[test]
fn threshold_discount_reached_takes_the_best_tier_off_the_order() {
    let plugin = catalogue_plugin("threshold-discount");
    let params = json!({ "tiers": [
        { "min_subtotal": "50.00", "amount_off": "5.00" },
        { "min_subtotal": "100.00", "percent_off": "10" },
        { "min_subtotal": "200.00", "percent_off": "15" }
    ] });
    // 119.70 reaches 50 and 100, not 200: the 100 tier wins.
    assert_eq!(
        effects_of(plugin, params, &tshirts_and_jeans()),
        vec![order(percent("10"))]
    );
}

#[test]
fn threshold_discount_not_reached_gives_nothing() {
    let plugin = catalogue_plugin("threshold-discount");
    let basket = lines(json!([
        { "id": "1", "sku": "A", "quantity": 3, "unit_price": "33.33" }
    ]));
    // 99.99 < 100.00.
    assert_eq!(effects_of(plugin, ten_from_100_params(), &basket), vec![]);
    // Exactly at the threshold counts.
    let basket = lines(json!([
        { "id": "1", "sku": "A", "quantity": 4, "unit_price": "25.00" }
    ]));
    assert_eq!(
        effects_of(plugin, ten_from_100_params(), &basket),
        vec![order(percent("10"))]
    );
}

#[test]
fn threshold_discount_scoped_targets_the_eligible_lines_by_id() {
    let plugin = catalogue_plugin("threshold-discount");
    let params = json!({
        "tiers": [ { "min_subtotal": "50.00", "percent_off": "20" } ],
        "categories": ["shoes"], "exclude_skus": ["SALE"]
    });
    let basket = lines(json!([
        { "id": "a", "sku": "RUN", "quantity": 1, "unit_price": "45.00", "categories": ["shoes"] },
        { "id": "b", "sku": "SALE", "quantity": 1, "unit_price": "100.00", "categories": ["shoes"] },
        { "id": "c", "sku": "TEE", "quantity": 1, "unit_price": "30.00", "categories": ["tops"] },
        { "id": "d", "sku": "SOCK", "quantity": 2, "unit_price": "2.50", "categories": ["sport", "shoes"] }
    ]));
    // Eligible: a (45.00) + d (5.00) = 50.00; b is excluded, c out of scope.
    assert_eq!(
        effects_of(plugin, params, &basket),
        vec![on_lines(&[(0, "a", None), (3, "d", None)], percent("20"))]
    );
}

#[test]
fn buy_x_get_y_rewards_the_cheapest_units() {
    let plugin = catalogue_plugin("buy-x-get-y");
    let params = json!({
        "buy": { "categories": ["tops"], "quantity": 2 },
        "get": { "categories": ["tops"], "quantity": 1, "percent_off": "100" }
    });
    let basket = lines(json!([
        { "id": "a", "sku": "TEE", "quantity": 3, "unit_price": "10.00", "categories": ["tops"] },
        { "id": "b", "sku": "SHIRT", "quantity": 2, "unit_price": "25.00", "categories": ["tops"] },
        { "id": "c", "sku": "CAP", "quantity": 1, "unit_price": "8.00", "categories": ["accessories"] },
        { "id": "d", "sku": "POLO", "quantity": 1, "unit_price": "12.00", "categories": ["tops"] }
    ]));
    // Six tops make two "buy 2 get 1" applications; the two rewards are the two cheapest
    // tops, both tees at 10.00 (the cap is not a top, however cheap).
    assert_eq!(
        effects_of(plugin, params, &basket),
        vec![on_lines(&[(0, "a", Some(2))], percent("100"))]
    );
}

#[test]
fn buy_x_get_y_picks_rewards_across_lines_cheapest_first() {
    let plugin = catalogue_plugin("buy-x-get-y");
    let params = json!({
        "buy": { "skus": ["SHOE"], "quantity": 1 },
        "get": { "skus": ["SOCK-A", "SOCK-B"], "quantity": 2, "percent_off": "50" }
    });
    let basket = lines(json!([
        { "id": "shoe", "sku": "SHOE", "quantity": 2, "unit_price": "80.00" },
        { "id": "s1", "sku": "SOCK-A", "quantity": 1, "unit_price": "6.00" },
        { "id": "s2", "sku": "SOCK-B", "quantity": 3, "unit_price": "4.00" }
    ]));
    // Two shoes, four socks: two applications, four rewarded socks, cheapest first: the
    // three at 4.00, then the one at 6.00.
    assert_eq!(
        effects_of(plugin, params.clone(), &basket),
        vec![on_lines(
            &[(2, "s2", Some(3)), (1, "s1", Some(1))],
            percent("50")
        )]
    );
    // One shoe alone qualifies for nothing without socks.
    let no_socks = lines(json!([
        { "id": "shoe", "sku": "SHOE", "quantity": 1, "unit_price": "80.00" }
    ]));
    assert_eq!(effects_of(plugin, params, &no_socks), vec![]);
}

#[test]
fn bundle_price_sells_the_bundle_for_its_fixed_price() {
    let plugin = catalogue_plugin("bundle-price");
    let params = json!({
        "items": [ { "sku": "JACKET", "quantity": 1 }, { "sku": "TIE", "quantity": 2 } ],
        "price": "25.00"
    });
    let basket = lines(json!([
        { "id": "j", "sku": "JACKET", "quantity": 1, "unit_price": "20.00" },
        { "id": "s", "sku": "SOCKS", "quantity": 1, "unit_price": "3.00" },
        { "id": "t", "sku": "TIE", "quantity": 3, "unit_price": "5.99" }
    ]));
    // One complete bundle (1 jacket + 2 of the 3 ties = 31.98) sells for 25.00.
    assert_eq!(
        effects_of(plugin, params.clone(), &basket),
        vec![on_lines(
            &[(0, "j", Some(1)), (2, "t", Some(2))],
            fixed_price("25.00")
        )]
    );
    // One tie short of a bundle: nothing.
    let incomplete = lines(json!([
        { "id": "j", "sku": "JACKET", "quantity": 2, "unit_price": "20.00" },
        { "id": "t", "sku": "TIE", "quantity": 1, "unit_price": "5.99" }
    ]));
    assert_eq!(effects_of(plugin, params, &incomplete), vec![]);
}

fn loyalty_params() -> serde_json::Value {
    json!({
        "tiers": { "gold": { "percent_off": "10" }, "silver": { "gift_sku": "TOTE" } },
        "birthday": { "window_days": 3, "gift_sku": "CAKE" }
    })
}

fn loyalty_basket(at: &str, tier: &str, birthdate: &str) -> TestBasket {
    basket(json!({
        "currency": "EUR", "channel": "store", "store": "paris-rivoli", "at": at,
        "customer": { "id": "c-123", "loyalty_tier": tier, "segments": ["card-holder"],
                      "birthdate": birthdate, "attributes": { "gender": "f" } },
        "lines": [ { "id": "1", "sku": "TSHIRT-M", "quantity": 2, "unit_price": "19.90" } ]
    }))
}

#[test]
fn loyalty_reward_gives_the_tier_reward_and_the_birthday_reward() {
    let plugin = catalogue_plugin("loyalty-reward");
    // 23:30 on 8 March in New York is already 9 March in UTC. The plugin sees the request's
    // local date, 8 March: 3 days after a 5 March birthday, inside the 3-day window (in UTC
    // it would be 4 days, outside).
    let basket = loyalty_basket("2026-03-08T23:30:00-05:00", "gold", "1990-03-05");
    assert_eq!(
        effects_of(plugin, loyalty_params(), &basket),
        vec![order(percent("10")), gift("CAKE", 1)]
    );
}

#[test]
fn loyalty_reward_birthday_window_follows_the_local_date() {
    let plugin = catalogue_plugin("loyalty-reward");
    // 00:30 on 9 March in Paris is still 8 March in UTC: locally 4 days after the birthday,
    // so only the silver tier's tote.
    let basket = loyalty_basket("2026-03-09T00:30:00+01:00", "silver", "1990-03-05");
    assert_eq!(
        effects_of(plugin, loyalty_params(), &basket),
        vec![gift("TOTE", 1)]
    );
    // A tier the campaign does not name, on the birthday itself: the cake only.
    let basket = loyalty_basket("2026-03-05T12:00:00+01:00", "bronze", "1990-03-05");
    assert_eq!(
        effects_of(plugin, loyalty_params(), &basket),
        vec![gift("CAKE", 1)]
    );
    // An anonymous basket gets nothing.
    let anonymous = lines(json!([
        { "id": "1", "sku": "TSHIRT-M", "quantity": 2, "unit_price": "19.90" }
    ]));
    assert_eq!(effects_of(plugin, loyalty_params(), &anonymous), vec![]);
}

#[test]
fn free_gift_from_a_subtotal_with_required_skus() {
    let plugin = catalogue_plugin("free-gift");
    let params = json!({
        "min_subtotal": "50.00", "required_skus": ["SHAMPOO"],
        "gift": { "sku": "TOTE", "quantity": 2 }
    });
    // 2 × 12.50 + 25.00 = 50.00 exactly, shampoo included.
    let reached = lines(json!([
        { "id": "1", "sku": "SHAMPOO", "quantity": 2, "unit_price": "12.50" },
        { "id": "2", "sku": "CONDITIONER", "quantity": 1, "unit_price": "25.00" }
    ]));
    assert_eq!(
        effects_of(plugin, params.clone(), &reached),
        vec![gift("TOTE", 2)]
    );
    // 49.99: one cent short.
    let short = lines(json!([
        { "id": "1", "sku": "SHAMPOO", "quantity": 2, "unit_price": "12.50" },
        { "id": "2", "sku": "CONDITIONER", "quantity": 1, "unit_price": "24.99" }
    ]));
    assert_eq!(effects_of(plugin, params.clone(), &short), vec![]);
    // 60.00 without the shampoo.
    let no_shampoo = lines(json!([
        { "id": "1", "sku": "CONDITIONER", "quantity": 2, "unit_price": "30.00" }
    ]));
    assert_eq!(effects_of(plugin, params, &no_shampoo), vec![]);
}

#[test]
fn points_multiplier_counts_units_of_eligible_lines() {
    let plugin = catalogue_plugin("points-multiplier");
    let params = json!({ "points_per_unit": "10", "multiplier": "2", "categories": ["apparel"] });
    let basket = lines(json!([
        { "id": "1", "sku": "TEE", "quantity": 3, "unit_price": "15.00", "categories": ["apparel"] },
        { "id": "2", "sku": "MUG", "quantity": 2, "unit_price": "8.00", "categories": ["home"] },
        { "id": "3", "sku": "SOCKS", "quantity": 2, "unit_price": "4.00", "categories": ["sport", "apparel"] }
    ]));
    // (3 + 2) apparel units × 10 × 2 = 100; the mugs earn nothing.
    assert_eq!(effects_of(plugin, params, &basket), vec![points(100)]);
    // 3 × 1.5 × 1.5 = 6.75, rounded down once: 6.
    let params = json!({ "points_per_unit": "1.5", "multiplier": "1.5" });
    let basket = lines(json!([
        { "id": "1", "sku": "A", "quantity": 3, "unit_price": "1.00" }
    ]));
    assert_eq!(effects_of(plugin, params, &basket), vec![points(6)]);
}

#[test]
fn points_multiplier_counts_what_eligible_lines_cost() {
    let plugin = catalogue_plugin("points-multiplier");
    let params =
        json!({ "points_per_currency_unit": "1", "multiplier": "2", "categories": ["apparel"] });
    let basket = lines(json!([
        { "id": "1", "sku": "TEE", "quantity": 3, "unit_price": "15.99", "categories": ["apparel"] },
        { "id": "2", "sku": "MUG", "quantity": 2, "unit_price": "8.00", "categories": ["home"] }
    ]));
    // 3 × 15.99 = 47.97 spent on apparel × 1 × 2 = 95.94 → 95; the mugs earn nothing.
    assert_eq!(effects_of(plugin, params, &basket), vec![points(95)]);
}

#[test]
fn two_campaigns_of_one_plugin_in_one_call_get_their_own_answers() {
    let plugin = catalogue_plugin("threshold-discount");
    let campaigns = [
        ten_from_100_params(),
        json!({ "tiers": [ { "min_subtotal": "50.00", "amount_off": "5.00" } ] }),
        json!({ "tiers": [ { "min_subtotal": "500.00", "percent_off": "20" } ] }),
    ];
    let evaluation = evaluate(plugin, &campaigns, &tshirts_and_jeans());
    // 119.70: 10 % from 100 applies, 5.00 off from 50 applies, 20 % from 500 does not.
    assert_eq!(
        evaluation
            .results
            .into_iter()
            .map(succeeded)
            .collect::<Vec<_>>(),
        vec![
            vec![order(percent("10"))],
            vec![order(amount("5.00"))],
            vec![]
        ]
    );
    assert_eq!(evaluation.report.sandboxes, 1, "one shared sandbox");
    assert!(evaluation.report.fuel_used > 0);
}

#[test]
fn check_params_names_each_bad_parameter_by_its_pointer() {
    let cases = [
        (
            "threshold-discount",
            json!({ "tiers": [
                { "min_subtotal": "10", "percent_off": "150" },
                { "min_subtotal": "-1", "amount_off": "5" },
                { "min_subtotal": "20", "percent_off": "5", "amount_off": "1" }
            ] }),
            vec!["/tiers/0/percent_off", "/tiers/1/min_subtotal", "/tiers/2"],
        ),
        (
            "threshold-discount",
            json!({ "tiers": [ { "min_subtotal": 100, "percent_off": "10" } ] }),
            vec!["/tiers/0/min_subtotal"],
        ),
        (
            "buy-x-get-y",
            json!({
                "buy": { "skus": ["A"], "categories": ["x"], "quantity": 0 },
                "get": { "skus": ["SOCK"], "quantity": 1, "percent_off": "0" },
                "max_applications": 0
            }),
            vec![
                "/buy",
                "/buy/quantity",
                "/get/percent_off",
                "/max_applications",
            ],
        ),
        (
            "bundle-price",
            json!({ "items": [ { "sku": "A", "quantity": 0 } ], "price": "-1" }),
            vec!["/items/0/quantity", "/price"],
        ),
        (
            "loyalty-reward",
            json!({
                "tiers": {
                    "gold": { "percent_off": "10", "gift_sku": "X" },
                    "a/b": { "percent_off": "101" }
                },
                "birthday": { "window_days": 200, "gift_sku": "" }
            }),
            vec![
                "/tiers/a~1b/percent_off",
                "/tiers/gold",
                "/birthday/window_days",
                "/birthday/gift_sku",
            ],
        ),
        (
            "free-gift",
            json!({ "min_subtotal": "-5", "required_skus": [""], "gift": { "sku": "", "quantity": 0 } }),
            vec![
                "/min_subtotal",
                "/required_skus/0",
                "/gift/sku",
                "/gift/quantity",
            ],
        ),
        (
            "points-multiplier",
            json!({ "points_per_unit": "0", "multiplier": "-1", "categories": ["shoes", ""] }),
            vec!["/points_per_unit", "/multiplier", "/categories/1"],
        ),
    ];
    for (name, params, expected) in cases {
        let plugin = catalogue_plugin(name);
        let problems = plugin
            .check_params(&params.to_string())
            .unwrap_or_else(|e| panic!("{name}: check-params runs: {e}"))
            .expect_err("refused");
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers, expected, "{name}: {problems:?}");
        assert!(
            problems.iter().all(|p| !p.message.is_empty()),
            "{name}: {problems:?}"
        );
    }
    // A misspelt parameter is refused, and the message names it.
    let plugin = catalogue_plugin("threshold-discount");
    let problems = plugin
        .check_params(r#"{"tiers":[{"min_subtotal":"1","percent_off":"5"}],"colour":"red"}"#)
        .expect("check-params runs")
        .expect_err("unknown field refused");
    assert!(problems[0].message.contains("colour"), "{problems:?}");
    // Not JSON at all.
    let problems = plugin
        .check_params("{ not json")
        .expect("check-params runs")
        .expect_err("refused");
    assert_eq!(problems.len(), 1, "{problems:?}");
}

#[test]
fn every_plugin_describes_itself() {
    let expected_properties: [&[&str]; 9] = [
        &["categories", "exclude_skus", "tiers"],
        &["buy", "get", "max_applications"],
        &["items", "max_bundles", "price"],
        &["birthday", "tiers"],
        &["gift", "min_subtotal", "required_skus"],
        &[
            "categories",
            "multiplier",
            "points_per_currency_unit",
            "points_per_unit",
        ],
        &[
            "automatic",
            "max_points",
            "min_points",
            "points_per_step",
            "value_per_step",
        ],
        &["categories", "lapsed_days", "min_orders", "percent_off"],
        &[
            "channels",
            "earn_channels",
            "min_spend",
            "reward_campaign",
            "valid_days",
        ],
    ];
    let versions = [
        "1.0.0", "1.0.0", "1.0.0", "1.0.0", "1.0.0", "1.1.0", "1.0.0", "1.0.0", "1.0.0",
    ];
    for ((name, properties), version) in
        CATALOGUE.into_iter().zip(expected_properties).zip(versions)
    {
        let bytes = remise_tests::catalogue(name);
        let plugin = catalogue_plugin(name);
        let metadata = plugin.metadata();
        assert_eq!(metadata.name, name);
        assert_eq!(metadata.version.to_string(), version, "{name}");
        assert!(!metadata.description.is_empty(), "{name}");
        let schema = &metadata.params_schema;
        assert!(schema.is_object(), "{name}: {schema}");
        assert_eq!(schema["type"], "object", "{name}: {schema}");
        let mut keys: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: schema has properties: {schema}"))
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, properties, "{name}");
        assert_eq!(plugin.size(), bytes.len(), "{name}");
        assert_eq!(plugin.sha256().len(), 64, "{name}");
        assert!(
            plugin.sha256().bytes().all(|b| b.is_ascii_hexdigit()),
            "{name}"
        );
    }
}

#[test]
fn a_tight_evaluation_budget_still_loads_and_checks_params() {
    // threshold-discount evaluates this basket in a few thousand units of fuel; building its
    // schema and parsing its params cost more, yet they are not evaluations.
    for (fuel, expect_effects) in [(100_000, true), (100, false)] {
        let limits = Limits {
            fuel,
            ..Limits::default()
        };
        let plugin = support::runtime()
            .load(remise_tests::catalogue("threshold-discount"), limits)
            .unwrap_or_else(|e| panic!("loads with fuel {fuel}: {e}"));
        let result = run(&plugin, ten_from_100_params(), &tshirts_and_jeans());
        if expect_effects {
            assert_eq!(succeeded(result), vec![order(percent("10"))]);
        } else {
            assert!(
                matches!(result, Err(RunError::FuelExhausted { limit: 100 })),
                "{result:?}"
            );
        }
    }
}

#[test]
fn huge_points_are_capped_at_what_the_host_accepts() {
    let plugin = catalogue_plugin("points-multiplier");
    let params = json!({ "points_per_unit": "1000000000", "multiplier": "1000000000" });
    let basket = lines(json!([
        { "id": "1", "sku": "A", "quantity": 1_000_000, "unit_price": "1.00" }
    ]));
    // 10^6 × 10^9 × 10^9 = 10^24 points, capped at 2^53 − 1, the most one effect may grant.
    assert_eq!(
        effects_of(plugin, params, &basket),
        vec![points(9_007_199_254_740_991)]
    );
}

#[test]
fn gift_quantities_the_host_would_refuse_are_refused_when_the_campaign_is_saved() {
    // The host accepts 1 to 1,000 units of one gift.
    let free_gift = catalogue_plugin("free-gift");
    let problems = free_gift
        .check_params(
            &json!({ "min_subtotal": "0", "gift": { "sku": "TOTE", "quantity": 1001 } })
                .to_string(),
        )
        .expect("check-params runs")
        .expect_err("refused");
    let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
    assert_eq!(pointers, ["/gift/quantity"]);
    let thousand = json!({ "min_subtotal": "0", "gift": { "sku": "TOTE", "quantity": 1000 } });
    let basket = lines(json!([
        { "id": "1", "sku": "A", "quantity": 1, "unit_price": "0.01" }
    ]));
    assert_eq!(
        effects_of(free_gift, thousand, &basket),
        vec![gift("TOTE", 1000)]
    );

    let loyalty = catalogue_plugin("loyalty-reward");
    let problems = loyalty
        .check_params(
            &json!({
                "tiers": { "gold": { "gift_sku": "MUG", "gift_quantity": 1001 } },
                "birthday": { "window_days": 0, "gift_sku": "CAKE", "gift_quantity": 5000 }
            })
            .to_string(),
        )
        .expect("check-params runs")
        .expect_err("refused");
    let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        ["/tiers/gold/gift_quantity", "/birthday/gift_quantity"]
    );
}
