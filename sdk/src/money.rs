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

    #[test]
    fn minor_units_follow_iso_4217() {
        assert_eq!(minor_unit("EUR"), 2);
        assert_eq!(minor_unit("JPY"), 0);
        assert_eq!(minor_unit("KWD"), 3);
    }
}
