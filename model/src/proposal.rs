//! What a plugin proposes for a basket, in the host's own types, before anything of it is
//! trusted; and the checks that turn it into [`Effect`]s. Anything out of bounds (a line
//! that is not in the basket, a percentage above 100, a negative amount, a scale above 28)
//! makes the whole answer invalid: a plugin is trusted for nothing. The runtime moves the
//! WIT's `effect` into [`Proposed`] field by field; `fuzz/` builds it from the fuzzer's bytes.

use crate::basket::Line;
pub use crate::effect::*;
use rust_decimal::Decimal;
use std::collections::HashSet;

/// A decimal as the WIT writes it: `mantissa × 10^-scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct WireDecimal {
    /// The digits, signed.
    pub mantissa: i64,
    /// How many of them are decimals.
    pub scale: u8,
}

impl WireDecimal {
    /// The decimal, or `None` when its scale is above 28 (`rust_decimal`'s most).
    pub fn to_decimal(self) -> Option<Decimal> {
        Decimal::try_from_i128_with_scale(i128::from(self.mantissa), u32::from(self.scale)).ok()
    }
}

/// One effect a plugin proposed, unchecked (the WIT's `effect`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Proposed {
    /// Money off lines or the order.
    Discount {
        /// What it would apply to.
        target: ProposedTarget,
        /// How big it would be.
        value: ProposedValue,
    },
    /// A free item.
    Gift {
        /// The gift's SKU.
        sku: String,
        /// How many.
        quantity: u32,
    },
    /// Loyalty points.
    Points(u64),
    /// A message for the customer.
    Message(String),
    /// Loyalty points spent (contract 1.1).
    SpendPoints(u64),
    /// A reward for a later order (contract 1.1).
    IssueReward {
        /// The campaign the code is for.
        campaign: String,
        /// Days of validity.
        valid_days: u32,
        /// Where it may be used.
        channels: Vec<String>,
    },
}

/// What a proposed discount names (the WIT's `target`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum ProposedTarget {
    /// The whole order.
    Order,
    /// Lines, by position in the basket.
    Lines(Vec<ProposedLine>),
}

/// One line a proposed discount names (the WIT's `line-target`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ProposedLine {
    /// The line's position in the basket.
    pub line: u32,
    /// Only this many of its units, when set.
    pub units: Option<u32>,
}

/// How big a proposed discount is (the WIT's `discount-value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum ProposedValue {
    /// A percentage of the target, 0 to 100.
    Percent(WireDecimal),
    /// An amount off the target.
    Amount(WireDecimal),
    /// The price the target's units are sold at.
    FixedPrice(WireDecimal),
}

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
    effects: impl IntoIterator<Item = Proposed>,
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

fn check_effect(effect: Proposed, lines: &[Line]) -> Result<Effect, String> {
    match effect {
        Proposed::Discount { target, value } => Ok(Effect::Discount {
            target: check_target(target, lines)?,
            value: check_value(value)?,
        }),
        Proposed::Gift { sku, quantity } => {
            if sku.is_empty() || sku.len() > MAX_SKU_BYTES {
                return Err(format!("a gift SKU has 1 to {MAX_SKU_BYTES} bytes"));
            }
            if quantity == 0 || quantity > MAX_GIFT_QUANTITY {
                return Err(format!("a gift quantity is from 1 to {MAX_GIFT_QUANTITY}"));
            }
            Ok(Effect::Gift { sku, quantity })
        }
        Proposed::Points(points) if points > MAX_POINTS => {
            Err(format!("{points} points is more than {MAX_POINTS}"))
        }
        Proposed::Points(points) => Ok(Effect::Points { points }),
        Proposed::Message(text) if text.len() > MAX_MESSAGE_BYTES => {
            Err(format!("a message has at most {MAX_MESSAGE_BYTES} bytes"))
        }
        Proposed::Message(text) => Ok(Effect::Message { text }),
        Proposed::SpendPoints(0) => Err("spends 0 points".into()),
        Proposed::SpendPoints(points) if points > MAX_POINTS => {
            Err(format!("spends {points} points, more than {MAX_POINTS}"))
        }
        Proposed::SpendPoints(points) => Ok(Effect::SpendPoints { points }),
        Proposed::IssueReward {
            campaign,
            valid_days,
            channels,
        } => {
            if campaign.is_empty() || campaign.len() > MAX_REWARD_CAMPAIGN_BYTES {
                return Err(format!(
                    "a reward's campaign id has 1 to {MAX_REWARD_CAMPAIGN_BYTES} bytes"
                ));
            }
            if valid_days == 0 || valid_days > MAX_REWARD_DAYS {
                return Err(format!(
                    "a reward is valid from 1 to {MAX_REWARD_DAYS} days, not {valid_days}"
                ));
            }
            if channels.len() > MAX_REWARD_CHANNELS {
                return Err(format!(
                    "a reward names at most {MAX_REWARD_CHANNELS} channels"
                ));
            }
            if channels
                .iter()
                .any(|c| c.is_empty() || c.len() > MAX_CHANNEL_BYTES)
            {
                return Err(format!(
                    "a reward's channel has 1 to {MAX_CHANNEL_BYTES} bytes"
                ));
            }
            Ok(Effect::IssueReward {
                campaign,
                valid_days,
                channels,
            })
        }
    }
}

fn check_target(target: ProposedTarget, lines: &[Line]) -> Result<Target, String> {
    let targets = match target {
        ProposedTarget::Order => return Ok(Target::Order),
        ProposedTarget::Lines(targets) => targets,
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

fn check_value(value: ProposedValue) -> Result<DiscountValue, String> {
    let read = |d: WireDecimal| {
        d.to_decimal()
            .ok_or_else(|| format!("decimal scale {} is above 28", d.scale))
    };
    let value = match value {
        ProposedValue::Percent(d) => {
            let p = read(d)?;
            if p.is_sign_negative() && !p.is_zero() || p > Decimal::ONE_HUNDRED {
                return Err(format!("{p} % is not between 0 and 100"));
            }
            DiscountValue::Percent(p)
        }
        ProposedValue::Amount(d) => DiscountValue::Amount(non_negative(read(d)?, "an amount")?),
        ProposedValue::FixedPrice(d) => {
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
