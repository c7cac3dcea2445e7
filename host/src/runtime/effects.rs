//! Moves what a plugin returned, in the WIT's types, into [`Proposed`] effects (the host's
//! own types), which [`remise_model::proposal`] checks: a plugin is trusted for nothing.

use super::bindings::types as wire;
use crate::model::basket::Line;
pub use remise_model::proposal::{
    Effect, InvalidEffect, Proposed, ProposedLine, ProposedTarget, ProposedValue, WireDecimal,
};

/// Checks every effect a plugin returned and converts them.
pub fn check_effects(
    effects: Vec<wire::Effect>,
    lines: &[Line],
) -> Result<Vec<Effect>, InvalidEffect> {
    remise_model::proposal::check_effects(effects.into_iter().map(proposed), lines)
}

fn proposed(effect: wire::Effect) -> Proposed {
    match effect {
        wire::Effect::Discount(discount) => Proposed::Discount {
            target: match discount.target {
                wire::Target::Order => ProposedTarget::Order,
                wire::Target::Lines(lines) => ProposedTarget::Lines(
                    lines
                        .into_iter()
                        .map(|target| ProposedLine {
                            line: target.line,
                            units: target.units,
                        })
                        .collect(),
                ),
            },
            value: match discount.value {
                wire::DiscountValue::Percent(d) => ProposedValue::Percent(decimal(d)),
                wire::DiscountValue::Amount(d) => ProposedValue::Amount(decimal(d)),
                wire::DiscountValue::FixedPrice(d) => ProposedValue::FixedPrice(decimal(d)),
            },
        },
        wire::Effect::Gift(gift) => Proposed::Gift {
            sku: gift.sku,
            quantity: gift.quantity,
        },
        wire::Effect::Points(points) => Proposed::Points(points),
        wire::Effect::Message(text) => Proposed::Message(text),
    }
}

fn decimal(d: wire::Decimal) -> WireDecimal {
    WireDecimal {
        mantissa: d.mantissa,
        scale: d.scale,
    }
}
