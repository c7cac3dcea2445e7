//! Checks what a plugin returned and turns it into the host's own effect types. Anything
//! out of bounds (a line that is not in the basket, a percentage above 100, a negative
//! amount, too many effects) makes the whole answer invalid: a plugin is trusted for
//! nothing.

use super::bindings::types as wire;
use super::encode::from_wire;
use crate::model::basket::Line;
pub use crate::model::effect::*;
use rust_decimal::Decimal;
use std::collections::HashSet;

/// Why a plugin's answer was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("effect {index}: {problem}")]
pub struct InvalidEffect {
    /// Which effect, by position.
    pub index: usize,
    /// What is wrong with it.
    pub problem: String,
}

/// Checks every effect and converts them.
pub fn check_effects(
    effects: Vec<wire::Effect>,
    lines: &[Line],
) -> Result<Vec<Effect>, InvalidEffect> {
    effects
        .into_iter()
        .enumerate()
        .map(|(index, effect)| {
            check_effect(effect, lines).map_err(|problem| InvalidEffect { index, problem })
        })
        .collect()
}

fn check_effect(effect: wire::Effect, lines: &[Line]) -> Result<Effect, String> {
    match effect {
        wire::Effect::Discount(discount) => Ok(Effect::Discount {
            target: check_target(discount.target, lines)?,
            value: check_value(discount.value)?,
        }),
        wire::Effect::Gift(gift) => {
            if gift.sku.is_empty() || gift.sku.len() > MAX_SKU_BYTES {
                return Err(format!("a gift SKU has 1 to {MAX_SKU_BYTES} bytes"));
            }
            if gift.quantity == 0 || gift.quantity > MAX_GIFT_QUANTITY {
                return Err(format!("a gift quantity is from 1 to {MAX_GIFT_QUANTITY}"));
            }
            Ok(Effect::Gift {
                sku: gift.sku,
                quantity: gift.quantity,
            })
        }
        wire::Effect::Points(points) if points > MAX_POINTS => {
            Err(format!("{points} points is more than {MAX_POINTS}"))
        }
        wire::Effect::Points(points) => Ok(Effect::Points { points }),
        wire::Effect::Message(text) if text.len() > MAX_MESSAGE_BYTES => {
            Err(format!("a message has at most {MAX_MESSAGE_BYTES} bytes"))
        }
        wire::Effect::Message(text) => Ok(Effect::Message { text }),
    }
}

fn check_target(target: wire::Target, lines: &[Line]) -> Result<Target, String> {
    let targets = match target {
        wire::Target::Order => return Ok(Target::Order),
        wire::Target::Lines(targets) => targets,
    };
    if targets.is_empty() {
        return Err("a line discount names no line".into());
    }
    let mut seen = HashSet::with_capacity(targets.len());
    let mut checked = Vec::with_capacity(targets.len());
    for target in targets {
        let index = target.line as usize;
        let Some(line) = lines.get(index) else {
            return Err(format!(
                "line index {index} is not in the basket ({} lines)",
                lines.len()
            ));
        };
        if !seen.insert(index) {
            return Err(format!("line index {index} is named twice"));
        }
        if let Some(units) = target.units {
            if units == 0 || units > line.quantity {
                return Err(format!(
                    "{units} units of line {:?}, which has {}",
                    line.id, line.quantity
                ));
            }
        }
        checked.push(LineTarget {
            index,
            line: line.id.clone(),
            units: target.units,
        });
    }
    Ok(Target::Lines(checked))
}

fn check_value(value: wire::DiscountValue) -> Result<DiscountValue, String> {
    let read = |d: wire::Decimal| {
        from_wire(d).ok_or_else(|| format!("decimal scale {} is above 28", d.scale))
    };
    let value = match value {
        wire::DiscountValue::Percent(d) => {
            let p = read(d)?;
            if p.is_sign_negative() && !p.is_zero() || p > Decimal::ONE_HUNDRED {
                return Err(format!("{p} % is not between 0 and 100"));
            }
            DiscountValue::Percent(p)
        }
        wire::DiscountValue::Amount(d) => {
            DiscountValue::Amount(non_negative(read(d)?, "an amount")?)
        }
        wire::DiscountValue::FixedPrice(d) => {
            DiscountValue::FixedPrice(non_negative(read(d)?, "a fixed price")?)
        }
    };
    Ok(value)
}

fn non_negative(value: Decimal, what: &str) -> Result<Decimal, String> {
    if value.is_sign_negative() && !value.is_zero() {
        Err(format!("{what} of {value} is negative"))
    } else {
        Ok(value)
    }
}
