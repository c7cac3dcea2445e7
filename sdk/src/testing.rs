//! Runs a scenario natively, on the same JSON basket `remise plugin run` takes (the
//! `POST /v1/evaluate` request of docs/api.md), through the same prepare → decode → evaluate
//! path as the plugin. For unit tests: helpers here panic with a clear message on bad input.
//!
//! Contract 1.1: [`with_customer_data`] sets what [`crate::customer`] answers on this
//! thread (the host's profile, points balance and purchase history for the basket's
//! customer); as on the host, an anonymous basket gets the empty answers whatever is set.

use crate::basket::{Basket, Context};
use crate::wit::remise::scenario::types as raw;
use crate::{export, Effect, ParamProblem, Scenario, ScenarioError};
use chrono::{DateTime, Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::str::FromStr;

#[cfg(not(feature = "contract-1-0"))]
use crate::customer::test_data::AnonymousRun;
#[cfg(not(feature = "contract-1-0"))]
pub use crate::customer::test_data::{with_customer_data, CustomerData};

/// Parses a decimal literal; panics on a typo (tests only).
pub fn dec(literal: &str) -> Decimal {
    Decimal::from_str(literal).unwrap_or_else(|e| panic!("bad decimal literal {literal:?}: {e}"))
}

/// An anonymous EUR basket of the web channel with these `lines` (JSON, as in docs/api.md).
pub fn web_basket(lines: serde_json::Value) -> serde_json::Value {
    serde_json::json!({ "currency": "EUR", "channel": "web", "lines": lines })
}

#[derive(Deserialize)]
struct RequestJson {
    currency: String,
    #[serde(default = "default_channel")]
    channel: String,
    store: Option<String>,
    at: Option<String>,
    customer: Option<CustomerJson>,
    lines: Vec<LineJson>,
}

fn default_channel() -> String {
    "web".into()
}

#[derive(Deserialize)]
struct CustomerJson {
    id: String,
    loyalty_tier: Option<String>,
    #[serde(default)]
    segments: Vec<String>,
    birthdate: Option<NaiveDate>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct LineJson {
    id: String,
    sku: String,
    quantity: u32,
    unit_price: Decimal,
    #[serde(default)]
    categories: Vec<String>,
    brand: Option<String>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

/// Lays strings out in one buffer and lists in shared pools, as the host does.
struct Encoder {
    text: String,
    symbol_ends: Vec<u32>,
    refs: Vec<raw::Symbol>,
    pairs: Vec<raw::Pair>,
}

impl Default for Encoder {
    fn default() -> Self {
        Self {
            text: String::new(),
            symbol_ends: vec![0], // symbol 0: the empty string
            refs: Vec::new(),
            pairs: Vec::new(),
        }
    }
}

impl Encoder {
    fn text(&mut self, s: &str) -> raw::Symbol {
        if s.is_empty() {
            return 0;
        }
        self.text.push_str(s);
        self.symbol_ends.push(self.text.len() as u32);
        (self.symbol_ends.len() - 1) as u32
    }

    fn list(&mut self, items: &[String]) -> raw::PoolRange {
        let start = self.refs.len() as u32;
        for item in items {
            let r = self.text(item);
            self.refs.push(r);
        }
        raw::PoolRange {
            start,
            count: items.len() as u32,
        }
    }

    fn pairs(&mut self, items: &BTreeMap<String, String>) -> raw::PoolRange {
        let start = self.pairs.len() as u32;
        for (key, value) in items {
            let pair = raw::Pair {
                key: self.text(key),
                value: self.text(value),
            };
            self.pairs.push(pair);
        }
        raw::PoolRange {
            start,
            count: items.len() as u32,
        }
    }
}

fn wire_date(date: NaiveDate) -> raw::Date {
    raw::Date {
        year: date.year(),
        month: date.month() as u8,
        day: date.day() as u8,
    }
}

/// A basket and its context, ready to evaluate natively.
pub struct TestBasket {
    basket: raw::Basket,
    context: raw::Context,
}

impl TestBasket {
    /// Builds one from an evaluate request (docs/api.md). `channel` defaults to `web` and `at`
    /// to 2026-01-01T12:00:00Z.
    pub fn from_json(json: &serde_json::Value) -> Result<Self, String> {
        let request: RequestJson =
            serde_json::from_value(json.clone()).map_err(|e| format!("bad basket JSON: {e}"))?;
        let at = request.at.as_deref().unwrap_or("2026-01-01T12:00:00Z");
        let at = DateTime::parse_from_rfc3339(at).map_err(|e| format!("bad `at`: {e}"))?;
        let mut enc = Encoder::default();
        let currency = enc.text(&request.currency);
        let channel = enc.text(&request.channel);
        let store = enc.text(request.store.as_deref().unwrap_or(""));
        let mut lines = Vec::with_capacity(request.lines.len());
        for line in &request.lines {
            lines.push(raw::Line {
                id: enc.text(&line.id),
                sku: enc.text(&line.sku),
                quantity: line.quantity,
                unit_price: crate::money::to_wire(line.unit_price),
                categories: enc.list(&line.categories),
                brand: enc.text(line.brand.as_deref().unwrap_or("")),
                attributes: enc.pairs(&line.attributes),
            });
        }
        let customer = request.customer.as_ref().map(|c| raw::Customer {
            id: enc.text(&c.id),
            loyalty_tier: enc.text(c.loyalty_tier.as_deref().unwrap_or("")),
            segments: enc.list(&c.segments),
            birthdate: c.birthdate.map(wire_date),
            attributes: enc.pairs(&c.attributes),
        });
        let context = raw::Context {
            channel,
            store,
            unix_seconds: at.timestamp(),
            utc_offset_minutes: at.offset().local_minus_utc() / 60,
            local_date: wire_date(at.date_naive()),
        };
        let basket = raw::Basket {
            text: enc.text,
            symbol_ends: enc.symbol_ends,
            currency,
            lines,
            refs: enc.refs,
            pairs: enc.pairs,
            customer,
        };
        Ok(Self { basket, context })
    }

    /// The basket view a scenario sees.
    pub fn basket(&self) -> Basket<'_> {
        Basket::new(&self.basket)
    }

    /// The context view a scenario sees.
    pub fn context(&self) -> Context<'_> {
        Context::new(&self.basket, &self.context)
    }
}

/// Checks `params` as the host does when a campaign is saved.
pub fn check<S: Scenario>(params: &serde_json::Value) -> Result<(), Vec<ParamProblem>> {
    export::check_params::<S>(&params.to_string()).map(|_| ())
}

/// Runs `S` on `basket` with `params`, both JSON, through the plugin's own code path.
/// Panics if the params are refused or the basket is malformed.
pub fn run<S: Scenario>(
    params: &serde_json::Value,
    basket: &serde_json::Value,
) -> Result<Vec<Effect>, ScenarioError> {
    let prepared = prepare::<S>(params);
    TestBasket::from_json(basket)
        .unwrap_or_else(|e| panic!("{e}"))
        .evaluate::<S>(&prepared)
}

/// Prepares `params` as `check-params` does (for benches: prepare once, evaluate often).
/// Panics if the params are refused.
pub fn prepare<S: Scenario>(params: &serde_json::Value) -> Vec<u8> {
    export::check_params::<S>(&params.to_string())
        .unwrap_or_else(|problems| panic!("params refused: {problems:?}"))
}

impl TestBasket {
    /// Evaluates prepared params natively: exactly what the plugin's `evaluate` export
    /// does for one campaign, without the sandbox.
    pub fn evaluate<S: Scenario>(&self, prepared: &[u8]) -> Result<Vec<Effect>, ScenarioError> {
        let campaigns = [raw::Campaign {
            params: prepared.to_vec(),
        }];
        #[cfg(not(feature = "contract-1-0"))]
        let _anonymous = AnonymousRun::start(self.basket.customer.is_none());
        export::evaluate::<S>(&self.basket, &self.context, &campaigns)
            .pop()
            .unwrap_or_else(|| Err(ScenarioError::Failed("no result".into())))
    }
}
