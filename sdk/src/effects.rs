//! Builders for the effects a scenario proposes, so a plugin never spells out the wire
//! records and the same source builds for either contract version.
//!
//! Values, not amounts: a plugin says "10 % of these lines" or "these units for 20.00";
//! the host computes, rounds, clamps and allocates. [`spend_points`] and [`issue_reward`]
//! are contract 1.1's (absent with the feature `contract-1-0`).

use crate::basket::UnitPick;
use crate::money::to_wire;
use crate::{Discount, DiscountValue, Effect, Gift, LineTarget, Target};
use rust_decimal::Decimal;

fn discount(target: Target, value: DiscountValue) -> Effect {
    Effect::Discount(Discount { target, value })
}

fn whole_lines(lines: impl IntoIterator<Item = u32>) -> Target {
    Target::Lines(
        lines
            .into_iter()
            .map(|line| LineTarget { line, units: None })
            .collect(),
    )
}

fn units(picks: &[UnitPick]) -> Target {
    Target::Lines(
        picks
            .iter()
            .map(|pick| LineTarget {
                line: pick.line,
                units: Some(pick.units),
            })
            .collect(),
    )
}

/// `percent` % off the order (its subtotal after line discounts).
pub fn percent_off_order(percent: Decimal) -> Effect {
    discount(Target::Order, DiscountValue::Percent(to_wire(percent)))
}

/// `amount` off the order.
pub fn amount_off_order(amount: Decimal) -> Effect {
    discount(Target::Order, DiscountValue::Amount(to_wire(amount)))
}

/// `percent` % off each of these whole lines.
pub fn percent_off_lines(lines: impl IntoIterator<Item = u32>, percent: Decimal) -> Effect {
    discount(whole_lines(lines), DiscountValue::Percent(to_wire(percent)))
}

/// `amount` off these whole lines together (the host spreads it over them).
pub fn amount_off_lines(lines: impl IntoIterator<Item = u32>, amount: Decimal) -> Effect {
    discount(whole_lines(lines), DiscountValue::Amount(to_wire(amount)))
}

/// `percent` % off these units.
pub fn percent_off_units(picks: &[UnitPick], percent: Decimal) -> Effect {
    discount(units(picks), DiscountValue::Percent(to_wire(percent)))
}

/// `amount` off these units together.
pub fn amount_off_units(picks: &[UnitPick], amount: Decimal) -> Effect {
    discount(units(picks), DiscountValue::Amount(to_wire(amount)))
}

/// These units together sell for `price` (a bundle).
pub fn fixed_price_units(picks: &[UnitPick], price: Decimal) -> Effect {
    discount(units(picks), DiscountValue::FixedPrice(to_wire(price)))
}

/// A free item.
pub fn gift(sku: impl Into<String>, quantity: u32) -> Effect {
    Effect::Gift(Gift {
        sku: sku.into(),
        quantity,
    })
}

/// Loyalty points earned.
pub fn points(points: u64) -> Effect {
    Effect::Points(points)
}

/// A message for the customer.
pub fn message(text: impl Into<String>) -> Effect {
    Effect::Message(text.into())
}

/// Loyalty points spent from the customer's balance (contract 1.1): at most
/// [`crate::customer::points_balance`], and the campaign's discount is what they buy. The
/// host debits them when the order is committed, and only if the campaign applies.
#[cfg(not(feature = "contract-1-0"))]
pub fn spend_points(points: u64) -> Effect {
    Effect::SpendPoints(points)
}

/// A reward for a later order (contract 1.1): at commit, the host creates the customer a
/// personal code of campaign `campaign` (a campaign with coupons), valid `valid_days` days
/// (1 to 3,650) in `channels` (at most 16; empty: wherever that campaign runs). Ignored for
/// an anonymous basket and in a mere evaluation.
#[cfg(not(feature = "contract-1-0"))]
pub fn issue_reward(campaign: impl Into<String>, valid_days: u32, channels: Vec<String>) -> Effect {
    Effect::IssueReward(crate::Reward {
        campaign: campaign.into(),
        valid_days,
        channels,
    })
}
