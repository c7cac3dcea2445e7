//! Exact money: turns the effects of the applied campaigns into amounts, clamps them,
//! allocates order discounts to lines, rounds to the currency's minor unit and totals,
//! following docs/money.md to the letter.
//!
//! Order of work (docs/api.md): line-targeted effects first, each on the line's own subtotal,
//! their sum on a line clamped at that subtotal; then order-targeted effects, each on the
//! same base (the subtotal after line discounts; they do not compound), their sum clamped
//! at that base; then the order discount is allocated to lines in proportion to their
//! discounted totals. Rounding happens per effect amount, then allocation; an allocation's
//! remainder goes to the line with the largest total (on a tie, the smallest line id, so
//! the answer does not depend on the order of the lines).
//! Campaigns are applied in the order given (the conflict resolver's order): when a clamp
//! bites, the later campaign gets what room is left.
//!
//! Every step counts in whole minor units of the currency (cents for EUR) held in an `i128`,
//! which is exact and several times cheaper than decimal arithmetic; amounts come back as
//! decimals with the currency's number of decimals. A basket `Basket::validate` accepts
//! (subtotal below 10^15, at most 4 decimals in a minor unit) keeps every product of two
//! amounts below 10^38, within an `i128`.

/// ISO 4217 codes and their minor units: a fact about values, kept on the ground floor
/// ([`crate::currency`]) so a campaign can check its budget's currency.
pub use crate::currency;

use crate::effect::{DiscountValue, Effect, Target};
use crate::Line;
use rust_decimal::Decimal;

/// What a basket costs once the applied campaigns' effects are priced.
#[derive(Clone, Debug, PartialEq)]
pub struct Priced {
    /// Sum of the line subtotals.
    pub subtotal: Decimal,
    /// Sum of every discount.
    pub discount_total: Decimal,
    /// `subtotal - discount_total`, never negative.
    pub total: Decimal,
    /// Each line, in request order.
    pub lines: Vec<LinePrice>,
    /// Each campaign, in the order given: the amount of each of its effects (0 for gifts,
    /// points and messages) and their sum.
    pub campaigns: Vec<CampaignAmounts>,
}

/// One line's money.
#[derive(Clone, Debug, PartialEq)]
pub struct LinePrice {
    /// Unit price × quantity, rounded to the minor unit.
    pub subtotal: Decimal,
    /// Line discounts plus its share of order discounts.
    pub discount: Decimal,
    /// `subtotal - discount`, never negative.
    pub total: Decimal,
}

/// One campaign's money.
#[derive(Clone, Debug, PartialEq)]
pub struct CampaignAmounts {
    /// The sum of its effects' amounts.
    pub discount: Decimal,
    /// The amount of each effect, in the campaign's order.
    pub effects: Vec<Decimal>,
}

/// An amount in minor units of the basket's currency.
type Minor = i128;

/// How a value with more decimals than the currency's comes to a whole minor unit.
#[derive(Clone, Copy)]
enum Rounding {
    /// Half a minor unit or more goes up in magnitude (docs/money.md).
    HalfAwayFromZero,
    /// What is beyond the minor unit is dropped.
    TowardZero,
}

/// `10^n`; beyond `i128`, its largest value.
fn pow10(n: u32) -> Minor {
    10i128.checked_pow(n).unwrap_or(Minor::MAX)
}

/// `numerator / denominator` (a positive denominator), rounded as `rounding` says.
fn divide(numerator: Minor, denominator: Minor, rounding: Rounding) -> Minor {
    let (quotient, remainder) = (numerator / denominator, numerator % denominator);
    match rounding {
        Rounding::TowardZero => quotient,
        Rounding::HalfAwayFromZero => {
            let (remainder, denominator) = (remainder.unsigned_abs(), denominator.unsigned_abs());
            if remainder >= denominator - remainder {
                quotient + numerator.signum()
            } else {
                quotient
            }
        }
    }
}

/// `mantissa × 10^-scale` in minor units of a currency with `decimals` decimals.
fn in_minor(mantissa: Minor, scale: u32, decimals: u32, rounding: Rounding) -> Minor {
    if scale <= decimals {
        mantissa.saturating_mul(pow10(decimals - scale))
    } else {
        divide(mantissa, pow10(scale - decimals), rounding)
    }
}

/// `amount` rounded half away from zero to the minor unit.
fn to_minor(amount: Decimal, decimals: u32) -> Minor {
    units_in_minor(amount, 1, decimals)
}

/// `unit_price × units` rounded half away from zero to the minor unit.
fn units_in_minor(unit_price: Decimal, units: u32, decimals: u32) -> Minor {
    let mantissa = unit_price.mantissa().saturating_mul(Minor::from(units));
    in_minor(
        mantissa,
        unit_price.scale(),
        decimals,
        Rounding::HalfAwayFromZero,
    )
}

/// `minor` as a decimal with the currency's decimals; beyond a decimal's range, its bound.
fn to_decimal(minor: Minor, decimals: u32) -> Decimal {
    Decimal::try_from_i128_with_scale(minor, decimals).unwrap_or(if minor < 0 {
        Decimal::MIN
    } else {
        Decimal::MAX
    })
}

/// The sum of `amounts`, saturating.
fn sum<'a>(amounts: impl IntoIterator<Item = &'a Minor>) -> Minor {
    amounts
        .into_iter()
        .fold(0, |sum, amount| sum.saturating_add(*amount))
}

/// Prices `lines` with the effects of each applied campaign, in the currency whose minor
/// unit has `decimals` decimals.
pub fn price(lines: &[Line], campaigns: &[&[Effect]], decimals: u32) -> Priced {
    price_capped(lines, campaigns, &[], decimals)
}

/// [`price`], where the campaign at index `c` grants at most `caps[c]` in all (what is
/// left of its budget, when it may grant part of its discount), counted in whole minor
/// units (rounded down); a campaign without a cap (or beyond `caps`) is unbounded. Its
/// effects take from the cap in their order.
pub fn price_capped(
    lines: &[Line],
    campaigns: &[&[Effect]],
    caps: &[Option<Decimal>],
    decimals: u32,
) -> Priced {
    let mut caps: Vec<Option<Minor>> = (0..campaigns.len())
        .map(|c| {
            let cap = caps.get(c).copied().flatten()?.max(Decimal::ZERO);
            Some(in_minor(
                cap.mantissa(),
                cap.scale(),
                decimals,
                Rounding::TowardZero,
            ))
        })
        .collect();
    let subtotals: Vec<Minor> = lines
        .iter()
        .map(|line| units_in_minor(line.unit_price, line.quantity, decimals))
        .collect();
    let mut line_discounts: Vec<Minor> = vec![0; lines.len()];
    let mut amounts: Vec<Vec<Minor>> = campaigns
        .iter()
        .map(|effects| vec![0; effects.len()])
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
            let bases: Vec<Minor> = targets
                .iter()
                .map(|t| match t.units {
                    Some(units) => {
                        let units = units_in_minor(lines[t.index].unit_price, units, decimals);
                        units.min(subtotals[t.index])
                    }
                    None => subtotals[t.index],
                })
                .collect();
            let amount = take(&mut caps[c], value_amount(*value, sum(&bases), decimals));
            let rooms: Vec<Minor> = targets
                .iter()
                .zip(&bases)
                .map(|(t, base)| (subtotals[t.index] - line_discounts[t.index]).min(*base))
                .collect();
            let ids: Vec<&str> = targets.iter().map(|t| lines[t.index].id.as_str()).collect();
            let shares = allocate(amount, &bases, &rooms, &ids);
            for (t, share) in targets.iter().zip(shares) {
                line_discounts[t.index] += share;
                amounts[c][e] += share;
            }
        }
    }

    // Order-targeted effects, each on the same base.
    let after_lines: Vec<Minor> = subtotals
        .iter()
        .zip(&line_discounts)
        .map(|(s, d)| s - d)
        .collect();
    let order_base = sum(&after_lines);
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
    let order_shares = allocate(order_discount, &after_lines, &after_lines, &ids);

    let money = |minor: Minor| to_decimal(minor, decimals);
    let lines: Vec<LinePrice> = subtotals
        .iter()
        .zip(line_discounts.iter().zip(&order_shares))
        .map(|(subtotal, (line, order))| LinePrice {
            subtotal: money(*subtotal),
            discount: money(line + order),
            total: money(subtotal - line - order),
        })
        .collect();
    let subtotal = sum(&subtotals);
    let discount_total = sum(&line_discounts).saturating_add(sum(&order_shares));
    Priced {
        subtotal: money(subtotal),
        discount_total: money(discount_total),
        total: money(subtotal - discount_total),
        lines,
        campaigns: amounts
            .into_iter()
            .map(|effects| CampaignAmounts {
                discount: money(sum(&effects)),
                effects: effects.into_iter().map(money).collect(),
            })
            .collect(),
    }
}

/// `amount`, or what is left of `cap` when that is less; what it gives is taken from `cap`.
fn take(cap: &mut Option<Minor>, amount: Minor) -> Minor {
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
fn value_amount(value: DiscountValue, base: Minor, decimals: u32) -> Minor {
    let amount = match value {
        // Exact: `base × percent` has at most 28 decimals beyond the minor unit.
        DiscountValue::Percent(percent) => match base.checked_mul(percent.mantissa()) {
            Some(product) => divide(
                product,
                pow10(percent.scale() + 2),
                Rounding::HalfAwayFromZero,
            ),
            // Far beyond any basket's subtotal: a decimal's 28 digits.
            None => (to_decimal(base, decimals).checked_mul(percent / Decimal::ONE_HUNDRED))
                .map_or(
                    if (base < 0) == percent.is_sign_negative() {
                        Minor::MAX
                    } else {
                        Minor::MIN
                    },
                    |amount| to_minor(amount, decimals),
                ),
        },
        DiscountValue::Amount(amount) => to_minor(amount, decimals),
        DiscountValue::FixedPrice(price) => base.saturating_sub(to_minor(price, decimals)),
    };
    amount.clamp(0, base.max(0))
}

/// Splits `amount` over parts in proportion to `weights`, none above its `cap`.
///
/// Each share is first rounded toward zero to the minor unit; the remainder goes to the
/// part with the largest weight (on a tie, the one whose `ids` entry sorts first, so the
/// result does not depend on the order of the lines), and only what does not fit under
/// its cap spills to the next largest. The shares add up to `amount` exactly when the caps
/// allow it.
fn allocate(amount: Minor, weights: &[Minor], caps: &[Minor], ids: &[&str]) -> Vec<Minor> {
    let total = sum(weights);
    if amount <= 0 || total <= 0 {
        return vec![0; weights.len()];
    }
    let mut shares: Vec<Minor> = weights
        .iter()
        .zip(caps)
        .map(|(weight, cap)| {
            // The exact share, rounded toward zero; a product beyond `i128` (never for a
            // basket `Basket::validate` accepts) gives the whole amount, which the caps bound.
            let share = amount
                .checked_mul(*weight)
                .map_or(amount, |product| product / total);
            share.min(*cap).max(0)
        })
        .collect();
    let mut remainder = amount.saturating_sub(sum(&shares));
    if remainder <= 0 {
        return shares;
    }
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        weights[b]
            .cmp(&weights[a])
            .then_with(|| ids.get(a).cmp(&ids.get(b)))
            .then(a.cmp(&b))
    });
    for i in order {
        if remainder <= 0 {
            break;
        }
        let room = (caps[i] - shares[i]).max(0);
        let given = remainder.min(room);
        shares[i] += given;
        remainder -= given;
    }
    shares
}

#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;
