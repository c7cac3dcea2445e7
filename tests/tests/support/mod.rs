//! What the integration tests share: one `Runtime` for the whole test binary (as the
//! service has one per process), baskets built from the docs/api.md evaluate-request JSON, and
//! shorthands for the effects a test expects. Nothing here computes an expected value.
#![allow(dead_code)]

use remise::model::basket::{Basket, DEFAULT_MAX_LINES};
use remise::model::effect::{DiscountValue, LineTarget, Target};
use remise::runtime::{encode, Effect, Evaluation, Limits, Plugin, PreparedParams, RunError};
use remise::runtime::{Runtime, WireInput};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{LazyLock, Mutex, PoisonError};

/// The one runtime every test of a binary shares, so a test that wrecks a sandbox shows
/// the next test's sandbox is still fine.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: LazyLock<Runtime> =
        LazyLock::new(|| Runtime::new().expect("the runtime starts"));
    &RUNTIME
}

/// Catalogue plugin `name` with the default limits, compiled once per test binary.
pub fn catalogue_plugin(name: &str) -> &'static Plugin {
    static LOADED: LazyLock<Mutex<HashMap<String, &'static Plugin>>> =
        LazyLock::new(Mutex::default);
    let mut loaded = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
    loaded.entry(name.to_string()).or_insert_with(|| {
        let plugin = runtime()
            .load(remise_tests::catalogue(name), Limits::default())
            .unwrap_or_else(|e| panic!("catalogue plugin {name} loads: {e}"));
        Box::leak(Box::new(plugin))
    })
}

/// A decimal literal.
pub fn dec(literal: &str) -> Decimal {
    Decimal::from_str(literal).unwrap_or_else(|e| panic!("bad decimal literal {literal:?}: {e}"))
}

/// An evaluate request, checked and lowered for the plugins as the service does.
pub struct TestBasket {
    pub request: Basket,
    pub input: WireInput,
}

/// Parses, validates and lowers an evaluate request. Tests always give `at`.
pub fn basket(json: Value) -> TestBasket {
    let request: Basket = serde_json::from_value(json).expect("a well-formed request");
    request
        .validate(DEFAULT_MAX_LINES)
        .unwrap_or_else(|problems| panic!("a valid request: {problems:?}"));
    let at = request.at.expect("test baskets give `at`");
    let input = encode(&request, at).expect("the basket lowers");
    TestBasket { request, input }
}

/// Lines only: an anonymous web basket priced at a fixed instant.
pub fn lines(lines: Value) -> TestBasket {
    basket(serde_json::json!({
        "currency": "EUR", "channel": "web", "at": "2026-03-08T17:30:00+01:00", "lines": lines
    }))
}

/// `check-params`, which must accept `params`.
pub fn prepare(plugin: &Plugin, params: &Value) -> PreparedParams {
    plugin
        .check_params(&params.to_string())
        .unwrap_or_else(|e| panic!("check-params runs: {e}"))
        .unwrap_or_else(|problems| panic!("params accepted: {problems:?}"))
}

/// Every campaign of `params` in one `evaluate` call.
pub fn evaluate(plugin: &Plugin, params: &[Value], basket: &TestBasket) -> Evaluation {
    let prepared: Vec<PreparedParams> = params.iter().map(|p| prepare(plugin, p)).collect();
    let refs: Vec<&PreparedParams> = prepared.iter().collect();
    let evaluation = plugin.evaluate(&basket.request.lines, &basket.input, &refs);
    assert_eq!(
        evaluation.results.len(),
        params.len(),
        "one answer per campaign"
    );
    evaluation
}

/// One campaign.
pub fn run(plugin: &Plugin, params: Value, basket: &TestBasket) -> Result<Vec<Effect>, RunError> {
    let mut evaluation = evaluate(plugin, &[params], basket);
    evaluation.results.remove(0)
}

/// One campaign that must succeed: its effects.
pub fn effects_of(plugin: &Plugin, params: Value, basket: &TestBasket) -> Vec<Effect> {
    succeeded(run(plugin, params, basket))
}

/// The effects of a run that must have succeeded.
pub fn succeeded(result: Result<Vec<Effect>, RunError>) -> Vec<Effect> {
    result.unwrap_or_else(|e| panic!("the run fails: {e:?}"))
}

/// A discount on the order.
pub fn order(value: DiscountValue) -> Effect {
    Effect::Discount {
        target: Target::Order,
        value,
    }
}

/// A discount on lines: `(index, id, units)` each.
pub fn on_lines(targets: &[(usize, &str, Option<u32>)], value: DiscountValue) -> Effect {
    Effect::Discount {
        target: Target::Lines(
            targets
                .iter()
                .map(|&(index, id, units)| LineTarget {
                    index,
                    line: id.to_string(),
                    units,
                })
                .collect(),
        ),
        value,
    }
}

/// `p` %.
pub fn percent(p: &str) -> DiscountValue {
    DiscountValue::Percent(dec(p))
}

/// `a` off.
pub fn amount(a: &str) -> DiscountValue {
    DiscountValue::Amount(dec(a))
}

/// Sells for `p`.
pub fn fixed_price(p: &str) -> DiscountValue {
    DiscountValue::FixedPrice(dec(p))
}

/// A gift.
pub fn gift(sku: &str, quantity: u32) -> Effect {
    Effect::Gift {
        sku: sku.to_string(),
        quantity,
    }
}

/// Loyalty points.
pub fn points(points: u64) -> Effect {
    Effect::Points { points }
}
