//! JavaScript plugins: `threshold-discount` rewritten in JavaScript
//! (`sdk/js/examples/threshold-discount.js`, built by `remise::javascript::build` as
//! `remise plugin build` does) answers as the Rust catalogue plugin on the catalogue tests'
//! baskets and on random ones, and the engine hands errors back as the contract says.

use crate::support;

use proptest::prelude::*;
use remise::runtime::{Limits, Plugin, RunError};
use remise_tests::ten_from_100_params;
use serde_json::{json, Value};
use std::sync::LazyLock;
use support::*;

const THRESHOLD_JS: &str = include_str!("../../../sdk/js/examples/threshold-discount.js");

/// The JavaScript threshold-discount, built once for the binary.
fn threshold_js() -> &'static Plugin {
    static PLUGIN: LazyLock<Plugin> = LazyLock::new(|| {
        let component = remise::javascript::build(THRESHOLD_JS).expect("the example builds");
        runtime()
            .load(&component, Limits::default())
            .expect("the JavaScript component loads")
    });
    &PLUGIN
}

/// A plugin of its own for a few lines of JavaScript.
fn scenario(evaluate_body: &str) -> Plugin {
    let component = remise_tests::javascript_probe("probe", evaluate_body);
    runtime()
        .load(&component, Limits::default())
        .expect("the probe loads")
}

/// Both plugins on one basket: the same answer, effect for effect.
fn same_answer(params: &Value, basket: &TestBasket) -> Vec<remise::runtime::Effect> {
    let rust = effects_of(
        catalogue_plugin("threshold-discount"),
        params.clone(),
        basket,
    );
    let js = effects_of(threshold_js(), params.clone(), basket);
    assert_eq!(js, rust, "params {params}");
    rust
}

/// The catalogue tests' threshold-discount cases (`catalogue.rs` and the plugin's own unit
/// tests), each basket with each set of params.
#[test]
fn the_javascript_threshold_discount_answers_as_the_rust_one() {
    let params = [
        ten_from_100_params(),
        json!({ "tiers": [
            { "min_subtotal": "50.00", "amount_off": "5.00" },
            { "min_subtotal": "100.00", "percent_off": "10" },
            { "min_subtotal": "200.00", "percent_off": "15" }
        ] }),
        json!({ "tiers": [ { "min_subtotal": "50.00", "percent_off": "20" } ],
                "categories": ["shoes"], "exclude_skus": ["SALE"] }),
        json!({ "tiers": [ { "min_subtotal": "100", "percent_off": "20" } ],
                "categories": ["shoes"], "exclude_skus": ["SALE-1"] }),
        json!({ "tiers": [ { "min_subtotal": "0", "percent_off": "5" } ], "categories": ["toys"] }),
        json!({ "tiers": [ { "min_subtotal": "30", "amount_off": "3.33" } ] }),
        json!({ "tiers": [
            { "min_subtotal": "50", "amount_off": "5.00" },
            { "min_subtotal": "200", "percent_off": "15" },
            { "min_subtotal": "100", "percent_off": "10" }
        ] }),
        // Equal thresholds: the last wins in both.
        json!({ "tiers": [
            { "min_subtotal": "10", "amount_off": "1" },
            { "min_subtotal": "10.00", "amount_off": "2" }
        ] }),
    ];
    let baskets = [
        json!([
            { "id": "1", "sku": "TSHIRT-M", "quantity": 2, "unit_price": "19.90",
              "categories": ["apparel", "tops"], "brand": "acme", "attributes": { "color": "red" } },
            { "id": "2", "sku": "JEANS-32", "quantity": 1, "unit_price": "79.90",
              "categories": ["apparel", "bottoms"] }
        ]),
        json!([{ "id": "1", "sku": "A", "quantity": 3, "unit_price": "33.33" }]),
        json!([{ "id": "1", "sku": "A", "quantity": 4, "unit_price": "25.00" }]),
        json!([
            { "id": "a", "sku": "RUN", "quantity": 1, "unit_price": "45.00", "categories": ["shoes"] },
            { "id": "b", "sku": "SALE", "quantity": 1, "unit_price": "100.00", "categories": ["shoes"] },
            { "id": "c", "sku": "TEE", "quantity": 1, "unit_price": "30.00", "categories": ["tops"] },
            { "id": "d", "sku": "SOCK", "quantity": 2, "unit_price": "2.50", "categories": ["sport", "shoes"] }
        ]),
        json!([
            { "id": "a", "sku": "RUN-1", "quantity": 1, "unit_price": "80.00", "categories": ["shoes"] },
            { "id": "b", "sku": "SALE-1", "quantity": 1, "unit_price": "90.00", "categories": ["shoes"] },
            { "id": "c", "sku": "TEE", "quantity": 1, "unit_price": "300.00", "categories": ["tops"] },
            { "id": "d", "sku": "RUN-2", "quantity": 2, "unit_price": "10.005", "categories": ["sport", "shoes"] }
        ]),
        json!([]),
        json!([{ "id": "1", "sku": "A", "quantity": 2, "unit_price": "50.00" }]),
        json!([{ "id": "1", "sku": "A", "quantity": 1, "unit_price": "99.99" }]),
        json!([{ "id": "1", "sku": "A", "quantity": 3, "unit_price": "49.99" }]),
        json!([{ "id": "1", "sku": "A", "quantity": 1, "unit_price": "500" }]),
        json!([{ "id": "1", "sku": "A", "quantity": 3, "unit_price": "10.00" }]),
    ];
    let mut applied = 0;
    for basket in &baskets {
        let basket = lines(basket.clone());
        for params in &params {
            applied += usize::from(!same_answer(params, &basket).is_empty());
        }
    }
    // Not a test of nothing: most pairs apply, on the order and on lines.
    assert!(applied >= 40, "{applied} of 88 applied");
    let scoped = same_answer(&params[2], &lines(baskets[3].clone()));
    assert_eq!(
        scoped,
        vec![on_lines(&[(0, "a", None), (3, "d", None)], percent("20"))]
    );
}

/// The catalogue test's three campaigns in one call: one sandbox, three answers.
#[test]
fn several_campaigns_share_one_javascript_sandbox() {
    let campaigns = [
        ten_from_100_params(),
        json!({ "tiers": [ { "min_subtotal": "50.00", "amount_off": "5.00" } ] }),
        json!({ "tiers": [ { "min_subtotal": "500.00", "percent_off": "20" } ] }),
    ];
    let basket = lines(json!([
        { "id": "1", "sku": "TSHIRT-M", "quantity": 2, "unit_price": "19.90" },
        { "id": "2", "sku": "JEANS-32", "quantity": 1, "unit_price": "79.90" }
    ]));
    let evaluation = evaluate(threshold_js(), &campaigns, &basket);
    let answers: Vec<_> = evaluation.results.into_iter().map(succeeded).collect();
    assert_eq!(
        answers,
        vec![
            vec![order(percent("10"))],
            vec![order(amount("5.00"))],
            vec![]
        ]
    );
    assert_eq!(evaluation.report.sandboxes, 1);
}

#[test]
fn check_params_names_the_same_problems_as_the_rust_plugin() {
    let bad = json!({ "tiers": [
        { "min_subtotal": "10", "percent_off": "150" },
        { "min_subtotal": "-1", "amount_off": "5" },
        { "min_subtotal": "20", "percent_off": "5", "amount_off": "1" }
    ] });
    let pointers = |plugin: &Plugin, params: &Value| -> Vec<String> {
        plugin
            .check_params(&params.to_string())
            .expect("check-params runs")
            .expect_err("refused")
            .into_iter()
            .map(|problem| problem.pointer)
            .collect()
    };
    let rust = pointers(catalogue_plugin("threshold-discount"), &bad);
    assert_eq!(
        rust,
        ["/tiers/0/percent_off", "/tiers/1/min_subtotal", "/tiers/2"]
    );
    assert_eq!(pointers(threshold_js(), &bad), rust);
    let empty = json!({ "tiers": [] });
    assert_eq!(pointers(threshold_js(), &empty), ["/tiers"]);
    // Not JSON: one problem, as in Rust.
    let problems = threshold_js()
        .check_params("{ not json")
        .expect("check-params runs")
        .expect_err("refused");
    assert_eq!(problems.len(), 1, "{problems:?}");
}

#[test]
fn what_a_scenario_throws_is_the_contracts_error() {
    let basket = lines(json!([{ "id": "1", "sku": "A", "quantity": 1, "unit_price": "5.00" }]));
    let run_probe = |body: &str| run(&scenario(body), json!({}), &basket);
    assert!(matches!(
        run_probe("throw new Unsupported('no JPY');"),
        Err(RunError::Plugin { kind: "unsupported", message }) if message == "no JPY"
    ));
    assert!(matches!(
        run_probe("throw new InvalidParams('old');"),
        Err(RunError::Plugin { kind: "invalid_params", message }) if message == "old"
    ));
    match run_probe("return basket.lines[7].sku;") {
        Err(RunError::Plugin {
            kind: "failed",
            message,
        }) => {
            assert!(message.contains("TypeError"), "{message}")
        }
        other => panic!("a TypeError fails the run: {other:?}"),
    }
    match run_probe("return [{ discount: { target: 'order', value: { percent: 0.1 } } }];") {
        Err(RunError::Plugin {
            kind: "failed",
            message,
        }) => {
            assert!(
                message.contains("effect 0.discount.value.percent"),
                "{message}"
            )
        }
        other => panic!("a float is refused: {other:?}"),
    }
    // What the basket holds, as the declarations say; amounts come as the host lowers them
    // for every plugin, without trailing zeros (5.00 is 5).
    let seen = run_probe(
        "const l = basket.lines[0]; \
         return [{ message: [basket.currency, l.index, l.id, l.sku, l.quantity, l.unitPrice, \
                   l.categories.length, context.channel, context.localDate.year].join('|') }];",
    );
    assert_eq!(
        seen.expect("runs"),
        vec![remise::runtime::Effect::Message {
            text: "EUR|0|1|A|1|5|0|web|2026".to_string()
        }]
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random baskets and tiers: the same answer.
    #[test]
    fn random_baskets_get_the_same_answer(
        prices in prop::collection::vec((0u64..40_000, 1u32..4, 0usize..3), 0..12),
        tiers in prop::collection::vec((0u64..60_000, 1u32..100, prop::bool::ANY), 1..4),
        scoped in prop::bool::ANY,
    ) {
        let categories = ["shoes", "tops", "home"];
        let lines_json: Vec<Value> = prices
            .iter()
            .enumerate()
            .map(|(i, (cents, quantity, category))| json!({
                "id": format!("l{i}"), "sku": format!("S{}", i % 4), "quantity": quantity,
                "unit_price": format!("{}.{:02}", cents / 100, cents % 100),
                "categories": [categories[*category]]
            }))
            .collect();
        let tiers: Vec<Value> = tiers
            .iter()
            .map(|(min, off, percent)| {
                let min = format!("{}.{:02}", min / 100, min % 100);
                if *percent {
                    json!({ "min_subtotal": min, "percent_off": off.to_string() })
                } else {
                    json!({ "min_subtotal": min, "amount_off": format!("{off}.50") })
                }
            })
            .collect();
        let params = if scoped {
            json!({ "tiers": tiers, "categories": ["shoes", "home"], "exclude_skus": ["S3"] })
        } else {
            json!({ "tiers": tiers })
        };
        same_answer(&params, &lines(Value::Array(lines_json)));
    }
}
