//! Money rules, each expectation worked out by hand from docs/money.md.

use super::*;
use crate::effect::LineTarget;
use proptest::prelude::*;
use std::str::FromStr;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("test decimal")
}

fn line(id: &str, quantity: u32, unit_price: &str) -> Line {
    Line {
        id: id.into(),
        sku: format!("SKU-{id}"),
        quantity,
        unit_price: dec(unit_price),
        categories: Vec::new(),
        brand: None,
        attributes: Default::default(),
    }
}

fn on_lines(targets: &[(usize, Option<u32>)], value: DiscountValue) -> Effect {
    Effect::Discount {
        target: Target::Lines(
            targets
                .iter()
                .map(|&(index, units)| LineTarget {
                    index,
                    line: index.to_string(),
                    units,
                })
                .collect(),
        ),
        value,
    }
}

fn on_order(value: DiscountValue) -> Effect {
    Effect::Discount {
        target: Target::Order,
        value,
    }
}

fn line_discounts(priced: &Priced) -> Vec<Decimal> {
    priced.lines.iter().map(|l| l.discount).collect()
}

#[test]
fn spec_pants_and_shirt() {
    // 100 − 20 + 250 = 330, then 330 − 33 = 297.00; the 33.00 splits 80:250.
    let lines = [line("pants", 1, "100.00"), line("shirt", 1, "250.00")];
    let twenty_off_pants = [on_lines(&[(0, None)], DiscountValue::Amount(dec("20.00")))];
    let ten_percent = [on_order(DiscountValue::Percent(dec("10")))];
    let priced = price(&lines, &[&twenty_off_pants, &ten_percent], 2);
    assert_eq!(priced.subtotal, dec("350.00"));
    assert_eq!(priced.discount_total, dec("53.00"));
    assert_eq!(priced.total, dec("297.00"));
    assert_eq!(line_discounts(&priced), [dec("28.00"), dec("25.00")]);
    assert_eq!(priced.lines[0].total, dec("72.00"));
    assert_eq!(priced.lines[1].total, dec("225.00"));
    assert_eq!(priced.campaigns[0].discount, dec("20.00"));
    assert_eq!(priced.campaigns[1].discount, dec("33.00"));
}

#[test]
fn the_remainder_goes_to_the_first_of_equal_largest_lines() {
    // 10.00 over three 10.00 lines: 3.33 each, the cent left goes to the first.
    let lines = [
        line("a", 1, "10.00"),
        line("b", 1, "10.00"),
        line("c", 1, "10.00"),
    ];
    let ten_off = [on_order(DiscountValue::Amount(dec("10.00")))];
    let priced = price(&lines, &[&ten_off], 2);
    assert_eq!(
        line_discounts(&priced),
        [dec("3.34"), dec("3.33"), dec("3.33")]
    );
    assert_eq!(priced.total, dec("20.00"));
}

#[test]
fn the_remainder_goes_to_the_largest_line() {
    // 1.00 over 10.00 and 20.00: 0.33 and 0.66 rounded down, the cent to the 20.00 line.
    let lines = [line("a", 1, "10.00"), line("b", 1, "20.00")];
    let one_off = [on_order(DiscountValue::Amount(dec("1.00")))];
    let priced = price(&lines, &[&one_off], 2);
    assert_eq!(line_discounts(&priced), [dec("0.33"), dec("0.67")]);
}

#[test]
fn line_discounts_are_clamped_at_the_line_and_the_later_campaign_gets_the_rest() {
    let lines = [line("a", 1, "15.00")];
    let ten_off = [on_lines(&[(0, None)], DiscountValue::Amount(dec("10.00")))];
    let priced = price(&lines, &[&ten_off, &ten_off], 2);
    assert_eq!(priced.campaigns[0].discount, dec("10.00"));
    assert_eq!(priced.campaigns[1].discount, dec("5.00"));
    assert_eq!(priced.total, dec("0.00"));
}

#[test]
fn order_discounts_do_not_compound_and_are_clamped_at_the_base() {
    let lines = [line("a", 1, "100.00")];
    let sixty = [on_order(DiscountValue::Percent(dec("60")))];
    let priced = price(&lines, &[&sixty, &sixty], 2);
    assert_eq!(priced.campaigns[0].discount, dec("60.00"));
    assert_eq!(priced.campaigns[1].discount, dec("40.00"));
    assert_eq!(priced.total, dec("0.00"));

    let ten = [on_order(DiscountValue::Percent(dec("10")))];
    let priced = price(&lines, &[&ten, &ten], 2);
    assert_eq!(
        priced.discount_total,
        dec("20.00"),
        "10 % + 10 % of the same base"
    );
}

#[test]
fn yen_round_to_whole_units_half_away_from_zero() {
    let lines = [line("a", 1, "1005")];
    let five = [on_order(DiscountValue::Percent(dec("5")))];
    assert_eq!(price(&lines, &[&five], 0).discount_total, dec("50")); // 50.25
    let lines = [line("a", 1, "1010")];
    assert_eq!(price(&lines, &[&five], 0).discount_total, dec("51")); // 50.5
}

#[test]
fn half_a_cent_rounds_away_from_zero() {
    let lines = [line("a", 1, "0.05")];
    let ten = [on_order(DiscountValue::Percent(dec("10")))];
    assert_eq!(price(&lines, &[&ten], 2).discount_total, dec("0.01")); // 0.005
}

#[test]
fn a_fixed_price_on_units_spreads_its_discount_over_them() {
    // Two units of A (2 × 15.00) and one B (20.00) for 40.00: 10.00 off, split 30:20.
    let lines = [line("a", 3, "15.00"), line("b", 1, "20.00")];
    let bundle = [on_lines(
        &[(0, Some(2)), (1, None)],
        DiscountValue::FixedPrice(dec("40.00")),
    )];
    let priced = price(&lines, &[&bundle], 2);
    assert_eq!(line_discounts(&priced), [dec("6.00"), dec("4.00")]);
    assert_eq!(priced.lines[0].total, dec("39.00"));
    assert_eq!(priced.total, dec("55.00"));
}

#[test]
fn a_fixed_price_above_the_units_value_gives_nothing() {
    let lines = [line("a", 1, "15.00")];
    let bundle = [on_lines(
        &[(0, None)],
        DiscountValue::FixedPrice(dec("20.00")),
    )];
    assert_eq!(price(&lines, &[&bundle], 2).discount_total, dec("0"));
}

#[test]
fn a_free_unit_is_one_unit_price() {
    let lines = [line("a", 3, "9.99")];
    let free = [on_lines(
        &[(0, Some(1))],
        DiscountValue::Percent(dec("100")),
    )];
    let priced = price(&lines, &[&free], 2);
    assert_eq!(priced.discount_total, dec("9.99"));
    assert_eq!(priced.total, dec("19.98"));
}

#[test]
fn sub_cent_unit_prices_give_rounded_subtotals() {
    let lines = [line("a", 2, "10.005")];
    assert_eq!(price(&lines, &[], 2).subtotal, dec("20.01"));
}

#[test]
fn gifts_points_and_messages_cost_nothing() {
    let lines = [line("a", 1, "10.00")];
    let others = [
        Effect::Gift {
            sku: "TOTE".into(),
            quantity: 1,
        },
        Effect::Points { points: 80 },
        Effect::Message { text: "hi".into() },
    ];
    let priced = price(&lines, &[&others], 2);
    assert_eq!(priced.campaigns[0].effects, [Decimal::ZERO; 3]);
    assert_eq!(priced.total, dec("10.00"));
}

#[test]
fn an_amount_above_its_target_is_clamped() {
    let lines = [line("a", 1, "8.00"), line("b", 1, "2.00")];
    let big = [on_order(DiscountValue::Amount(dec("50.00")))];
    let priced = price(&lines, &[&big], 2);
    assert_eq!(line_discounts(&priced), [dec("8.00"), dec("2.00")]);
    assert_eq!(priced.total, dec("0.00"));
}

#[test]
fn allocation_spills_past_a_full_line() {
    // In cents: two to share over three lines of one cent each.
    let shares = allocate(2, &[1, 1, 1], &[1, 1, 1], &["a", "b", "c"]);
    assert_eq!(shares, [1, 1, 0]);
    // On a tie the remainder goes by line id, not by position.
    let shares = allocate(2, &[1, 1, 1], &[1, 1, 1], &["c", "b", "a"]);
    assert_eq!(shares, [0, 1, 1]);
}

#[test]
fn amounts_come_back_with_the_currency_s_decimals() {
    let lines = [line("a", 3, "3.3"), line("b", 1, "0.005")];
    let third = [on_order(DiscountValue::Percent(dec("33.3333")))];
    let priced = price(&lines, &[&third], 2);
    assert_eq!(priced.subtotal.to_string(), "9.91");
    assert_eq!(priced.discount_total.to_string(), "3.30");
    assert_eq!(priced.lines[1].total.to_string(), "0.01");
    assert_eq!(priced.campaigns[0].effects[0].to_string(), "3.30");
    assert_eq!(price(&lines, &[], 0).total.to_string(), "10");
}

#[test]
fn a_cap_counts_in_whole_minor_units() {
    let lines = [line("a", 1, "10.00")];
    let all = [on_order(DiscountValue::Percent(dec("100")))];
    let priced = price_capped(&lines, &[&all], &[Some(dec("2.009"))], 2);
    assert_eq!(priced.discount_total, dec("2.00"));
}

#[test]
fn values_far_beyond_any_basket_neither_panic_nor_go_negative() {
    let lines = [line("a", 1_000_000, "999999999999999999.999999999")];
    let huge = [
        on_order(DiscountValue::Percent(Decimal::MAX)),
        on_lines(&[(0, Some(7))], DiscountValue::Amount(Decimal::MAX)),
        on_order(DiscountValue::FixedPrice(Decimal::MIN)),
        on_order(DiscountValue::Percent(Decimal::MIN)),
    ];
    for decimals in [0, 2, 4, 28, 40] {
        let priced = price_capped(&lines, &[&huge], &[Some(Decimal::MAX)], decimals);
        assert!(priced.total >= Decimal::ZERO, "{priced:?}");
        assert!(priced.discount_total >= Decimal::ZERO, "{priced:?}");
    }
    // A percentage whose product with the base is beyond `i128`: all, or nothing.
    let all = [on_order(DiscountValue::Percent(Decimal::MAX))];
    let priced = price(&lines, &[&all], 2);
    assert_eq!(priced.discount_total, priced.subtotal);
    let none = [on_order(DiscountValue::Percent(Decimal::MIN))];
    assert_eq!(price(&lines, &[&none], 2).discount_total, Decimal::ZERO);
}

#[test]
fn an_empty_basket_costs_nothing() {
    let ten = [on_order(DiscountValue::Percent(dec("10")))];
    let priced = price(&[], &[&ten], 2);
    assert_eq!(
        (priced.subtotal, priced.discount_total, priced.total),
        (dec("0"), dec("0"), dec("0"))
    );
}

#[test]
fn a_capped_campaign_grants_what_is_left_and_lines_still_add_up() {
    // Pants 100.00 + shirt 250.00. "20 % off pants" (20.00) capped at 12.34, then
    // "10 % off the order" capped at 5.00: the order base is 350 − 12.34 = 337.66.
    let lines = [line("pants", 1, "100.00"), line("shirt", 1, "250.00")];
    let pants = [on_lines(&[(0, None)], DiscountValue::Percent(dec("20")))];
    let order = [on_order(DiscountValue::Percent(dec("10")))];
    let priced = price_capped(
        &lines,
        &[&pants, &order],
        &[Some(dec("12.34")), Some(dec("5.00"))],
        2,
    );
    assert_eq!(priced.campaigns[0].discount, dec("12.34"));
    assert_eq!(priced.campaigns[1].discount, dec("5.00"));
    assert_eq!(priced.discount_total, dec("17.34"));
    assert_eq!(priced.total, dec("332.66"));
    let by_line: Decimal = line_discounts(&priced).iter().sum();
    assert_eq!(by_line, dec("17.34"));
    // A cap above the discount changes nothing; no cap at all neither.
    let loose = price_capped(&lines, &[&pants, &order], &[Some(dec("1000")), None], 2);
    assert_eq!(loose, price(&lines, &[&pants, &order], 2));
    // Two effects of one campaign share its cap in their order.
    let two = [
        on_lines(&[(0, None)], DiscountValue::Amount(dec("8.00"))),
        on_lines(&[(1, None)], DiscountValue::Amount(dec("8.00"))),
    ];
    let shared = price_capped(&lines, &[&two], &[Some(dec("10.00"))], 2);
    assert_eq!(shared.campaigns[0].effects, [dec("8.00"), dec("2.00")]);
}

/// Decimals with at most `max_scale` decimals, from 0 to `max` whole units.
fn decimal(max: i64, max_scale: u32) -> impl Strategy<Value = Decimal> {
    (0..=max_scale).prop_flat_map(move |scale| {
        (0..=max * 10i64.pow(scale)).prop_map(move |mantissa| Decimal::new(mantissa, scale))
    })
}

fn discount_value() -> impl Strategy<Value = DiscountValue> {
    prop_oneof![
        decimal(100, 3).prop_map(DiscountValue::Percent),
        decimal(400, 3).prop_map(DiscountValue::Amount),
        decimal(400, 3).prop_map(DiscountValue::FixedPrice),
    ]
}

/// An effect of a plugin's answer on a basket of `lines` lines, as the host checks it:
/// each line at most once.
fn effect(lines: usize) -> impl Strategy<Value = Effect> {
    let targets = proptest::sample::subsequence((0..lines).collect::<Vec<_>>(), 1..=lines)
        .prop_flat_map(|indexes| {
            let units = proptest::collection::vec(proptest::option::of(1u32..4), indexes.len());
            (Just(indexes), units)
        })
        .prop_map(|(indexes, units)| {
            let targets: Vec<(usize, Option<u32>)> = indexes.into_iter().zip(units).collect();
            targets
        });
    prop_oneof![
        discount_value().prop_map(on_order),
        (targets, discount_value()).prop_map(|(targets, value)| on_lines(&targets, value)),
    ]
}

/// A basket of 1 to 20 lines (unit prices with up to 9 decimals, as `Basket::validate`
/// allows), up to 4 campaigns of up to 3 effects, caps in whole minor units, and a minor unit
/// of 0, 2, 3 or 4 decimals.
#[allow(clippy::type_complexity)]
fn priced_basket() -> impl Strategy<Value = (Vec<Line>, Vec<Vec<Effect>>, Vec<Option<Decimal>>, u32)>
{
    let lines = proptest::collection::vec((1u32..6, decimal(300, 9), 0u8..4), 1..=20);
    (lines, prop_oneof![Just(0u32), Just(2), Just(3), Just(4)]).prop_flat_map(
        |(lines, decimals)| {
            let count = lines.len();
            let lines: Vec<Line> = (lines.into_iter().enumerate())
                .map(|(i, (quantity, price, id))| {
                    line(&format!("{id}-{i}"), quantity, &price.to_string())
                })
                .collect();
            let campaigns =
                proptest::collection::vec(proptest::collection::vec(effect(count), 1..=3), 0..=4);
            let caps =
                proptest::collection::vec(proptest::option::of(decimal(500, decimals)), 0..=4);
            (Just(lines), campaigns, caps, Just(decimals))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Minor units in `i128` price every basket exactly as decimal arithmetic does (the
    /// implementation before them, kept in `reference.rs`), to the cent.
    #[test]
    fn minor_units_price_as_decimals_do((lines, campaigns, caps, decimals) in priced_basket()) {
        let campaigns: Vec<&[Effect]> = campaigns.iter().map(Vec::as_slice).collect();
        let priced = price_capped(&lines, &campaigns, &caps, decimals);
        let expected = super::reference::price_capped(&lines, &campaigns, &caps, decimals);
        prop_assert_eq!(priced, expected);
    }
}
