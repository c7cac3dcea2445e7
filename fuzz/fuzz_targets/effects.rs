//! The effect checks: whatever a plugin proposes for a basket (`Proposed`, built from the
//! fuzzer's bytes as a hostile plugin could write it), `proposal::check_effects` accepts it
//! or names the effect at fault without a panic; what it accepts, `money::price` prices
//! exactly: every amount in the currency's minor unit, no line below zero, the totals
//! adding up, and no discount larger than what it applies to.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use remise_model::basket::{Basket, Line, DEFAULT_MAX_LINES};
use remise_model::money;
use remise_model::proposal::{check_effects, Effect, Proposed};
use rust_decimal::Decimal;

/// A basket line from the fuzzer: a price of `cents` hundredths (or thousandths), some units.
#[derive(Arbitrary, Debug)]
struct FuzzLine {
    cents: u32,
    quantity: u8,
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// EUR (2 decimals), JPY (0) or KWD (3).
    currency: u8,
    lines: Vec<FuzzLine>,
    /// What each applied campaign's plugin proposed.
    campaigns: Vec<Vec<Proposed>>,
}

fuzz_target!(|input: Input| {
    let (currency, decimals) =
        [("EUR", 2), ("JPY", 0), ("KWD", 3)][usize::from(input.currency % 3)];
    let lines: Vec<Line> = input
        .lines
        .iter()
        .take(50)
        .enumerate()
        .map(|(index, line)| Line {
            id: format!("l{index}"),
            sku: format!("SKU-{index}"),
            quantity: u32::from(line.quantity.max(1)),
            unit_price: Decimal::new(i64::from(line.cents), decimals),
            categories: Vec::new(),
            brand: None,
            attributes: Default::default(),
        })
        .collect();
    let basket = Basket {
        currency: currency.into(),
        channel: "web".into(),
        store: None,
        at: None,
        customer: None,
        coupons: Vec::new(),
        lines,
    };
    basket
        .validate(DEFAULT_MAX_LINES)
        .expect("the fuzzer's baskets are valid");

    let mut applied: Vec<Vec<Effect>> = Vec::new();
    for proposed in input.campaigns.into_iter().take(10) {
        let count = proposed.len();
        match check_effects(proposed, &basket.lines) {
            Ok(effects) => {
                assert_eq!(
                    effects.len(),
                    count,
                    "every effect is kept or the answer refused"
                );
                applied.push(effects);
            }
            Err(refused) => {
                assert!(
                    refused.index < count,
                    "the refusal names an effect of the answer"
                );
                assert!(
                    !refused.problem.is_empty(),
                    "and says what is wrong with it"
                );
            }
        }
    }
    let campaigns: Vec<&[Effect]> = applied.iter().map(Vec::as_slice).collect();
    let priced = money::price(&basket.lines, &campaigns, decimals);

    let exact = |amount: Decimal| amount.round_dp(decimals) == amount;
    assert_eq!(priced.total, priced.subtotal - priced.discount_total);
    assert!(priced.total >= Decimal::ZERO && priced.discount_total >= Decimal::ZERO);
    assert!(exact(priced.total) && exact(priced.discount_total) && exact(priced.subtotal));
    assert_eq!(priced.lines.len(), basket.lines.len());
    let mut discounts = Decimal::ZERO;
    for line in &priced.lines {
        assert!(line.discount >= Decimal::ZERO && line.discount <= line.subtotal);
        assert_eq!(line.total, line.subtotal - line.discount);
        assert!(exact(line.discount) && exact(line.total));
        discounts += line.discount;
    }
    assert_eq!(
        discounts, priced.discount_total,
        "the lines carry every discount"
    );
    assert_eq!(priced.campaigns.len(), campaigns.len());
    let granted: Decimal = priced.campaigns.iter().map(|c| c.discount).sum();
    assert_eq!(
        granted, priced.discount_total,
        "the campaigns account for every discount"
    );
    for (amounts, effects) in priced.campaigns.iter().zip(&campaigns) {
        assert_eq!(amounts.effects.len(), effects.len());
        assert_eq!(amounts.effects.iter().sum::<Decimal>(), amounts.discount);
        assert!(amounts
            .effects
            .iter()
            .all(|a| *a >= Decimal::ZERO && exact(*a)));
    }
});
