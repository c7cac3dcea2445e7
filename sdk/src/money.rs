//! Exact decimal money: conversion to and from the wire `decimal`, percentages, rounding.
//!
//! Everything is `rust_decimal`; nothing here ever touches a float.

use crate::wit::remise::scenario::types::Decimal as WireDecimal;
use rust_decimal::{Decimal, RoundingStrategy};

/// Reads a wire decimal. A scale above 28 (never sent by the host) reads as zero.
pub fn from_wire(value: WireDecimal) -> Decimal {
    Decimal::try_from_i128_with_scale(i128::from(value.mantissa), u32::from(value.scale))
        .unwrap_or(Decimal::ZERO)
}

/// The most a `Decimal` mantissa holds: 96 bits.
const MAX_MANTISSA: u128 = (1 << 96) - 1;

/// A line's unit price and quantity as integers: the unit price's mantissa times the
/// quantity (an `i64` times a `u32` always fits 96 bits), and its scale. A scale above 28
/// reads as zero, as in [`from_wire`]; a zero product is `Decimal`'s zero, of scale 0.
fn line_total_parts(unit_price: WireDecimal, quantity: u32) -> (i128, u32) {
    let mantissa = i128::from(unit_price.mantissa) * i128::from(quantity);
    if unit_price.scale > 28 || mantissa == 0 {
        return (0, 0);
    }
    (mantissa, u32::from(unit_price.scale))
}

/// `unit_price` × `quantity`: the value and scale `Decimal`'s own product gives, without
/// its general 96-bit multiplication (most of what a subtotal cost in a sandbox).
pub fn line_total(unit_price: WireDecimal, quantity: u32) -> Decimal {
    let (mantissa, scale) = line_total_parts(unit_price, quantity);
    Decimal::try_from_i128_with_scale(mantissa, scale)
        .unwrap_or_else(|_| from_wire(unit_price) * Decimal::from(quantity))
}

/// The sum of [`line_total`] over `lines` (unit price, quantity): the value and scale that
/// adding them with `Decimal`, from zero, gives, computed on one 128-bit integer. `None`
/// when a step would leave 96 bits, where `Decimal` rescales or overflows: the caller
/// then sums with `Decimal` itself, so the answer is always `Decimal`'s.
pub fn sum_of_line_totals(lines: impl Iterator<Item = (WireDecimal, u32)>) -> Option<Decimal> {
    let (mut sum, mut scale) = (0_i128, 0_u32);
    for (unit_price, quantity) in lines {
        let (mut total, line_scale) = line_total_parts(unit_price, quantity);
        // `Decimal` adds a zero as nothing, and to a zero gives the other side as it is.
        if total == 0 {
            continue;
        }
        if sum == 0 {
            (sum, scale) = (total, line_scale);
            continue;
        }
        if line_scale > scale {
            sum = sum.checked_mul(10_i128.checked_pow(line_scale - scale)?)?;
            scale = line_scale;
        } else if line_scale < scale {
            total = total.checked_mul(10_i128.checked_pow(scale - line_scale)?)?;
        }
        if sum.unsigned_abs() > MAX_MANTISSA || total.unsigned_abs() > MAX_MANTISSA {
            return None;
        }
        sum = sum.checked_add(total)?;
        if sum.unsigned_abs() > MAX_MANTISSA {
            return None;
        }
    }
    Decimal::try_from_i128_with_scale(sum, scale).ok()
}

/// Writes a decimal for the wire. Trailing zeros are dropped; a value whose mantissa does
/// not fit 64 bits is rounded (half away from zero) to the most decimals that fit.
pub fn to_wire(value: Decimal) -> WireDecimal {
    let mut value = value.normalize();
    loop {
        if let Ok(mantissa) = i64::try_from(value.mantissa()) {
            return WireDecimal {
                mantissa,
                scale: value.scale() as u8,
            };
        }
        if value.scale() == 0 {
            // Beyond ±9.2e18 with no decimals left: saturate, the host clamps anyway.
            let mantissa = if value.is_sign_negative() {
                i64::MIN
            } else {
                i64::MAX
            };
            return WireDecimal { mantissa, scale: 0 };
        }
        value =
            value.round_dp_with_strategy(value.scale() - 1, RoundingStrategy::MidpointAwayFromZero);
    }
}

/// `percent` % of `amount`, exact (not rounded).
pub fn percent_of(amount: Decimal, percent: Decimal) -> Decimal {
    amount * percent / Decimal::ONE_HUNDRED
}

/// Rounds to `decimals` places, half away from zero: the money rule of docs/api.md.
pub fn round(amount: Decimal, decimals: u32) -> Decimal {
    amount.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero)
}

/// The number of decimals of an ISO 4217 currency's minor unit (2 when unknown).
pub fn minor_unit(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test decimal")
    }

    #[test]
    fn wire_round_trip_keeps_the_value() {
        for s in ["0", "12.34", "-0.005", "100", "99999999999.99"] {
            assert_eq!(from_wire(to_wire(dec(s))), dec(s));
        }
    }

    #[test]
    fn too_precise_values_are_rounded_to_fit() {
        let wire = to_wire(dec("1.2345678901234567890123456"));
        assert_eq!(from_wire(wire), dec("1.234567890123456789"));
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round(dec("2.345"), 2), dec("2.35"));
        assert_eq!(round(dec("-2.345"), 2), dec("-2.35"));
        assert_eq!(round(dec("2.5"), 0), dec("3"));
    }

    /// A line total and a sum of them as `Decimal` arithmetic gives them.
    fn with_decimal(lines: &[(WireDecimal, u32)]) -> Decimal {
        lines
            .iter()
            .map(|&(price, quantity)| from_wire(price) * Decimal::from(quantity))
            .sum()
    }

    fn wire(mantissa: i64, scale: u8) -> WireDecimal {
        WireDecimal { mantissa, scale }
    }

    #[test]
    fn line_totals_and_their_sum_are_decimals_own() {
        let lines = [(wire(1299, 2), 3), (wire(5, 0), 2), (wire(-250, 3), 7)];
        let sum = sum_of_line_totals(lines.iter().copied());
        assert_eq!(sum.map(|s| s.to_string()), Some("47.220".to_string()));
        assert_eq!(sum.map(|s| s.scale()), Some(with_decimal(&lines).scale()));
        assert_eq!(line_total(wire(1299, 2), 3).to_string(), "38.97");
        assert_eq!(sum_of_line_totals(std::iter::empty()), Some(Decimal::ZERO));
        // Through zero and back, zeros of every scale on the way: as `Decimal` prints it.
        for lines in [
            vec![(wire(150, 2), 1), (wire(-150, 2), 1)],
            vec![(wire(150, 2), 1), (wire(-15, 1), 1), (wire(3, 0), 1)],
            vec![
                (wire(0, 5), 1),
                (wire(7, 1), 0),
                (wire(2, 0), 1),
                (wire(0, 9), 4),
            ],
        ] {
            let fast = sum_of_line_totals(lines.iter().copied()).map(|s| s.to_string());
            assert_eq!(fast, Some(with_decimal(&lines).to_string()));
        }
        // A scale above 28 reads as zero, as `from_wire` reads it.
        assert_eq!(line_total(wire(7, 29), 2), Decimal::ZERO);
    }

    #[test]
    fn a_sum_past_96_bits_is_left_to_decimal() {
        let huge = [(wire(i64::MAX, 0), u32::MAX); 3];
        assert_eq!(sum_of_line_totals(huge.iter().copied()), None);
        let rescaled = [(wire(i64::MAX, 0), u32::MAX), (wire(1, 28), 1)];
        assert_eq!(sum_of_line_totals(rescaled.iter().copied()), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(4096))]
        /// Whatever the prices, scales and quantities, the fast sum is `Decimal`'s, to the
        /// scale and the printed text, or it leaves the sum to `Decimal`.
        #[test]
        fn the_fast_sum_is_decimals_sum(
            lines in proptest::collection::vec(
                (proptest::num::i64::ANY, 0_u8..=30, 0_u32..=1_000),
                0..25,
            ),
            small in proptest::bool::ANY,
        ) {
            let lines: Vec<(WireDecimal, u32)> = lines
                .into_iter()
                .map(|(mantissa, scale, quantity)| {
                    let mantissa = if small { mantissa % 1_000_000 } else { mantissa };
                    (wire(mantissa, scale), quantity)
                })
                .collect();
            for &(price, quantity) in &lines {
                let fast = line_total(price, quantity);
                let slow = from_wire(price) * Decimal::from(quantity);
                proptest::prop_assert_eq!(fast.to_string(), slow.to_string());
            }
            if let Some(fast) = sum_of_line_totals(lines.iter().copied()) {
                let slow = with_decimal(&lines);
                proptest::prop_assert_eq!(fast.to_string(), slow.to_string());
                proptest::prop_assert_eq!(fast.scale(), slow.scale());
            }
        }
    }

    #[test]
    fn minor_units_follow_iso_4217() {
        assert_eq!(minor_unit("EUR"), 2);
        assert_eq!(minor_unit("JPY"), 0);
        assert_eq!(minor_unit("KWD"), 3);
    }
}
