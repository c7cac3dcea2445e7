//! `echo`, a test plugin: it answers one message per line, one for the customer and one for
//! the context, spelling out every field it read. Run in the sandbox and natively on the
//! same basket, the two answers must be equal: that checks how the host lowers a basket
//! (`tests/tests/suite/lowering.rs`).

use remise_sdk::prelude::*;
use std::fmt::Write;

/// The campaign parameters: none.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {}

/// The scenario.
pub struct Echo;

fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(",")
}

fn pairs<'a>(items: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (key, value) in items {
        let _ = write!(out, "{key}={value};");
    }
    out
}

impl Scenario for Echo {
    type Params = Params;
    const DESCRIPTION: &'static str = "A test plugin that echoes the basket; never deploy it.";

    fn evaluate(
        _params: &Params,
        basket: &Basket<'_>,
        context: &Context<'_>,
    ) -> Result<Vec<Effect>, ScenarioError> {
        let mut answer = Vec::with_capacity(basket.len() + 2);
        for line in basket.lines() {
            answer.push(effects::message(format!(
                "line {} id={} sku={} quantity={} unit_price={} categories=[{}] brand={:?} \
                 attributes=[{}]",
                line.index(),
                line.id(),
                line.sku(),
                line.quantity(),
                line.unit_price(),
                list(line.categories()),
                line.brand(),
                pairs(line.attributes()),
            )));
        }
        answer.push(effects::message(match basket.customer() {
            Some(customer) => format!(
                "customer id={} tier={:?} segments=[{}] birthdate={:?} attributes=[{}]",
                customer.id(),
                customer.loyalty_tier(),
                list(customer.segments()),
                customer.birthdate(),
                pairs(customer.attributes()),
            ),
            None => "anonymous".to_string(),
        }));
        answer.push(effects::message(format!(
            "currency={} channel={} store={:?} unix_seconds={} utc_offset_minutes={} \
             local_date={:?}",
            basket.currency(),
            context.channel(),
            context.store(),
            context.unix_seconds(),
            context.utc_offset_minutes(),
            context.local_date(),
        )));
        Ok(answer)
    }
}

remise_sdk::register_scenario!(Echo, name = "echo", version = "1.0.0");
