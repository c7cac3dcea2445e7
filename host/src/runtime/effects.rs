//! Moves what a plugin returned, in the WIT's types, into [`Proposed`] effects (the host's
//! own types), which [`remise_model::proposal`] checks: a plugin is trusted for nothing.

use super::bindings::types as wire;
use super::bindings::v1_1::effects as wire_1_1;
use crate::model::basket::Line;
pub use remise_model::proposal::{
    Effect, InvalidEffect, Proposed, ProposedLine, ProposedTarget, ProposedValue, WireDecimal,
};

/// Checks every effect a plugin returned and converts them.
pub fn check_effects(effects: Vec<Proposed>, lines: &[Line]) -> Result<Vec<Effect>, InvalidEffect> {
    remise_model::proposal::check_effects(effects, lines)
}

/// A contract-1.0 effect, unchecked.
pub fn proposed(effect: wire::Effect) -> Proposed {
    match effect {
        wire::Effect::Discount(discount) => proposed_discount(discount),
        wire::Effect::Gift(gift) => Proposed::Gift {
            sku: gift.sku,
            quantity: gift.quantity,
        },
        wire::Effect::Points(points) => Proposed::Points(points),
        wire::Effect::Message(text) => Proposed::Message(text),
    }
}

/// A contract-1.1 effect, unchecked.
pub fn proposed_1_1(effect: wire_1_1::Effect) -> Proposed {
    match effect {
        wire_1_1::Effect::Discount(discount) => proposed_discount(discount),
        wire_1_1::Effect::Gift(gift) => Proposed::Gift {
            sku: gift.sku,
            quantity: gift.quantity,
        },
        wire_1_1::Effect::Points(points) => Proposed::Points(points),
        wire_1_1::Effect::Message(text) => Proposed::Message(text),
        wire_1_1::Effect::SpendPoints(points) => Proposed::SpendPoints(points),
        wire_1_1::Effect::IssueReward(reward) => Proposed::IssueReward {
            campaign: reward.campaign,
            valid_days: reward.valid_days,
            channels: reward.channels,
        },
    }
}

fn proposed_discount(discount: wire::Discount) -> Proposed {
    Proposed::Discount {
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
    }
}

fn decimal(d: wire::Decimal) -> WireDecimal {
    WireDecimal {
        mantissa: d.mantissa,
        scale: d.scale,
    }
}
