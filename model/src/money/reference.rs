//! The decimal implementation of pricing that minor units replaced, kept to check, on
//! random baskets, that the two give the same amounts (`tests::minor_units_price_as_decimals_do`).

use super::{CampaignAmounts, LinePrice, Priced};
use crate::effect::{DiscountValue, Effect, Target};
use crate::Line;
use rust_decimal::{Decimal, RoundingStrategy};

fn round(amount: Decimal, decimals: u32) -> Decimal {
    amount.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero)
}

/// `money::price_capped`, where the campaign at index `c` grants at most `caps[c]` in all (what is
/// left of its budget, when it may grant part of its discount); a campaign without a cap
/// (or beyond `caps`) is unbounded. Its effects take from the cap in their order.
pub fn price_capped(
    lines: &[Line],
    campaigns: &[&[Effect]],
    caps: &[Option<Decimal>],
    decimals: u32,
) -> Priced {
    let mut caps: Vec<Option<Decimal>> = (0..campaigns.len())
        .map(|c| {
            caps.get(c)
                .copied()
                .flatten()
                .map(|cap| cap.max(Decimal::ZERO))
        })
        .collect();
    let subtotals: Vec<Decimal> = lines
        .iter()
        .map(|line| round(line.unit_price * Decimal::from(line.quantity), decimals))
        .collect();
    let mut line_discounts = vec![Decimal::ZERO; lines.len()];
    let mut amounts: Vec<Vec<Decimal>> = campaigns
        .iter()
        .map(|effects| vec![Decimal::ZERO; effects.len()])
        .collect();

    // Line-targeted effects, each on its lines' own subtotals.
    for (c, effects) in campaigns.iter().enumerate() {
        for (e, effect) in effects.iter().enumerate() {
            let Effect::Discount {
                target: Target::Lines(targets),
                value,
            } = effect
            else {
                continue;
            };
            let bases: Vec<Decimal> = targets
                .iter()
                .map(|t| match t.units {
                    Some(units) => {
                        round(lines[t.index].unit_price * Decimal::from(units), decimals)
                            .min(subtotals[t.index])
                    }
                    None => subtotals[t.index],
                })
                .collect();
            let amount = take(
                &mut caps[c],
                value_amount(*value, bases.iter().sum(), decimals),
            );
            let rooms: Vec<Decimal> = targets
                .iter()
                .zip(&bases)
                .map(|(t, base)| (subtotals[t.index] - line_discounts[t.index]).min(*base))
                .collect();
            let ids: Vec<&str> = targets.iter().map(|t| lines[t.index].id.as_str()).collect();
            let shares = allocate(amount, &bases, &rooms, &ids, decimals);
            for (t, share) in targets.iter().zip(shares) {
                line_discounts[t.index] += share;
                amounts[c][e] += share;
            }
        }
    }

    // Order-targeted effects, each on the same base.
    let after_lines: Vec<Decimal> = subtotals
        .iter()
        .zip(&line_discounts)
        .map(|(s, d)| s - d)
        .collect();
    let order_base: Decimal = after_lines.iter().sum();
    let mut order_room = order_base;
    for (c, effects) in campaigns.iter().enumerate() {
        for (e, effect) in effects.iter().enumerate() {
            if let Effect::Discount {
                target: Target::Order,
                value,
            } = effect
            {
                let amount = take(
                    &mut caps[c],
                    value_amount(*value, order_base, decimals).min(order_room),
                );
                order_room -= amount;
                amounts[c][e] = amount;
            }
        }
    }
    let order_discount = order_base - order_room;
    let ids: Vec<&str> = lines.iter().map(|line| line.id.as_str()).collect();
    let order_shares = allocate(order_discount, &after_lines, &after_lines, &ids, decimals);

    let lines: Vec<LinePrice> = subtotals
        .iter()
        .zip(line_discounts.iter().zip(&order_shares))
        .map(|(subtotal, (line, order))| LinePrice {
            subtotal: *subtotal,
            discount: line + order,
            total: subtotal - line - order,
        })
        .collect();
    let subtotal: Decimal = subtotals.iter().sum();
    let discount_total: Decimal = lines.iter().map(|l| l.discount).sum();
    Priced {
        subtotal,
        discount_total,
        total: subtotal - discount_total,
        lines,
        campaigns: amounts
            .into_iter()
            .map(|effects| CampaignAmounts {
                discount: effects.iter().sum(),
                effects,
            })
            .collect(),
    }
}

/// `amount`, or what is left of `cap` when that is less; what it gives is taken from `cap`.
fn take(cap: &mut Option<Decimal>, amount: Decimal) -> Decimal {
    match cap {
        Some(left) => {
            let amount = amount.min(*left);
            *left -= amount;
            amount
        }
        None => amount,
    }
}

/// The amount of a discount value on `base`, rounded, between 0 and `base`.
fn value_amount(value: DiscountValue, base: Decimal, decimals: u32) -> Decimal {
    let amount = match value {
        DiscountValue::Percent(percent) => base
            .checked_mul(percent)
            .map(|product| product / Decimal::ONE_HUNDRED)
            .unwrap_or_else(|| base * (percent / Decimal::ONE_HUNDRED)),
        DiscountValue::Amount(amount) => amount,
        DiscountValue::FixedPrice(price) => base - round(price, decimals),
    };
    round(amount, decimals).clamp(Decimal::ZERO, base.max(Decimal::ZERO))
}

/// Splits `amount` over parts in proportion to `weights`, none above its `cap`.
///
/// Each share is first rounded toward zero to the minor unit; the remainder goes to the
/// part with the largest weight (on a tie, the one whose `ids` entry sorts first, so the
/// result does not depend on the order of the lines), and only what does not fit under
/// its cap spills to the next largest. The shares add up to `amount` exactly when the caps
/// allow it.
pub fn allocate(
    amount: Decimal,
    weights: &[Decimal],
    caps: &[Decimal],
    ids: &[&str],
    decimals: u32,
) -> Vec<Decimal> {
    let total: Decimal = weights.iter().sum();
    if amount <= Decimal::ZERO || total <= Decimal::ZERO {
        return vec![Decimal::ZERO; weights.len()];
    }
    let mut shares: Vec<Decimal> = weights
        .iter()
        .zip(caps)
        .map(|(weight, cap)| {
            // The exact share; beyond the range of a decimal (never for a basket within
            // `model::basket::MAX_SUBTOTAL`), the weight's fraction of the amount.
            amount
                .checked_mul(*weight)
                .and_then(|product| product.checked_div(total))
                .unwrap_or_else(|| amount * (*weight / total))
                .round_dp_with_strategy(decimals, RoundingStrategy::ToZero)
                .min(*cap)
                .max(Decimal::ZERO)
        })
        .collect();
    let mut remainder = amount - shares.iter().sum::<Decimal>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        weights[b]
            .cmp(&weights[a])
            .then_with(|| ids.get(a).cmp(&ids.get(b)))
            .then(a.cmp(&b))
    });
    for i in order {
        if remainder <= Decimal::ZERO {
            break;
        }
        let room = (caps[i] - shares[i]).max(Decimal::ZERO);
        let given = remainder.min(room);
        shares[i] += given;
        remainder -= given;
    }
    shares
}
