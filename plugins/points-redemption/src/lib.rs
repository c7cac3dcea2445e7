//! `points-redemption`: "100 points = 5,00 € de remise". The customer's loyalty points
//! (contract 1.1's `customer::points_balance`) buy money off the order in whole steps of
//! `points_per_step` points, each worth `value_per_step`.
//!
//! Unless the campaign is `automatic`, points are spent only when the checkout asks: the
//! basket's customer carries the attribute `spend_points`, a whole number of points or
//! `max`. Anything else (no customer, no attribute, a value that is neither) spends
//! nothing. An automatic campaign spends as much as it can unless the attribute says
//! otherwise (`0` opts out).
//!
//! The points spent are whole steps, at most the balance, the points asked for,
//! `max_points`, and never more steps than the order's subtotal (the sum of its lines)
//! pays for. Fewer than `min_points` (or none) spends nothing. The effects: the amount off
//! the order, the points spent (debited by the host when the order is committed, and only
//! if the campaign applies), and a message in French.

use remise_sdk::prelude::*;

/// The customer attribute through which the checkout asks to spend points.
pub const SPEND_ATTRIBUTE: &str = "spend_points";

/// The campaign parameters.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Points per step, at least 1, such as `100`: points are spent in whole steps.
    pub points_per_step: u64,
    /// What one step takes off the order, above 0, such as `"5.00"`.
    pub value_per_step: Decimal,
    /// The fewest points one order may spend, a multiple of `points_per_step`; one step
    /// when absent.
    #[serde(default)]
    pub min_points: Option<u64>,
    /// The most points one order may spend, at least `min_points`; no limit when absent.
    #[serde(default)]
    pub max_points: Option<u64>,
    /// Spend without being asked (as much as possible), unless the customer attribute
    /// `spend_points` says how much; by default points are spent only when it does.
    #[serde(default)]
    pub automatic: bool,
}

impl Params {
    fn min_points(&self) -> u64 {
        self.min_points.unwrap_or(self.points_per_step)
    }
}

/// How many points the customer asks to spend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wanted {
    /// As many as possible.
    Max,
    /// At most this many.
    Points(u64),
}

/// Reads the `spend_points` attribute: `max` (any case) or a whole number of points.
fn wanted(value: &str) -> Option<Wanted> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("max") {
        return Some(Wanted::Max);
    }
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // All digits: only a number beyond u64 fails, and it asks for more than anyone has.
    Some(Wanted::Points(value.parse().unwrap_or(u64::MAX)))
}

/// The scenario.
pub struct PointsRedemption;

impl Scenario for PointsRedemption {
    type Params = Params;
    const DESCRIPTION: &'static str = "Points redemption: the customer's loyalty points buy \
        money off the order in whole steps (\"100 points = 5,00 €\"), when the checkout asks \
        (customer attribute spend_points: a number of points or max) or automatically; \
        never more than the balance, max_points or the order's subtotal.";

    fn check(params: &Params) -> Vec<ParamProblem> {
        let mut problems = Vec::new();
        if params.points_per_step == 0 {
            problems.push(ParamProblem::new("/points_per_step", "must be at least 1"));
        } else if params.points_per_step > limits::MAX_POINTS {
            problems.push(ParamProblem::new(
                "/points_per_step",
                format!("must be at most {}", limits::MAX_POINTS),
            ));
        }
        if params.value_per_step <= Decimal::ZERO {
            problems.push(ParamProblem::new("/value_per_step", "must be above 0"));
        }
        let min = params.min_points();
        if let Some(given) = params.min_points {
            if params.points_per_step > 0 && given % params.points_per_step != 0 {
                problems.push(ParamProblem::new(
                    "/min_points",
                    "must be a multiple of points_per_step (points are spent in whole steps)",
                ));
            }
        }
        if let Some(max) = params.max_points {
            if max < min {
                problems.push(ParamProblem::new(
                    "/max_points",
                    "must be at least min_points (or points_per_step)",
                ));
            } else if params.points_per_step > 0 && max < params.points_per_step {
                problems.push(ParamProblem::new(
                    "/max_points",
                    "must be at least points_per_step",
                ));
            }
        }
        problems
    }

    fn evaluate(
        params: &Params,
        basket: &Basket<'_>,
        _context: &Context<'_>,
    ) -> Result<Vec<Effect>, ScenarioError> {
        let Some(customer) = basket.customer() else {
            return Ok(Vec::new());
        };
        let wanted = match customer.attribute(SPEND_ATTRIBUTE) {
            Some(value) => match wanted(value) {
                Some(wanted) => wanted,
                None => return Ok(Vec::new()),
            },
            None if params.automatic => Wanted::Max,
            None => return Ok(Vec::new()),
        };
        let step = params.points_per_step;
        if step == 0 || params.value_per_step <= Decimal::ZERO {
            return Ok(Vec::new()); // Never checked: nothing sensible to spend.
        }
        let mut points = customer::points_balance().min(limits::MAX_POINTS);
        if let Wanted::Points(asked) = wanted {
            points = points.min(asked);
        }
        if let Some(max) = params.max_points {
            points = points.min(max);
        }
        let subtotal = basket
            .lines()
            .try_fold(Decimal::ZERO, |sum, line| {
                line.unit_price()
                    .checked_mul(Decimal::from(line.quantity()))
                    .and_then(|price| sum.checked_add(price))
            })
            .unwrap_or(Decimal::MAX);
        if subtotal <= Decimal::ZERO {
            return Ok(Vec::new());
        }
        // The steps the subtotal pays for: steps × value_per_step ≤ subtotal.
        let affordable = subtotal
            .checked_div(params.value_per_step)
            .map_or(u64::MAX, |steps| {
                u64::try_from(steps.floor()).unwrap_or(u64::MAX)
            });
        let steps = (points / step).min(affordable);
        let points = steps * step; // ≤ the points above: no overflow.
        if points == 0 || points < params.min_points() {
            return Ok(Vec::new());
        }
        let Some(amount) = Decimal::from(steps).checked_mul(params.value_per_step) else {
            return Ok(Vec::new());
        };
        Ok(vec![
            effects::amount_off_order(amount),
            effects::spend_points(points),
            effects::message(message(points, amount, basket.currency())),
        ])
    }
}

/// "500 points utilisés : 25,00 € de remise".
fn message(points: u64, amount: Decimal, currency: &str) -> String {
    let used = if points == 1 {
        "point utilisé"
    } else {
        "points utilisés"
    };
    format!(
        "{} {used} : {} de remise",
        group_thousands(&points.to_string()),
        french_amount(amount, currency)
    )
}

/// `amount` in `currency` as French writes it: `1 250,50 €`, `30,00 CHF`.
fn french_amount(amount: Decimal, currency: &str) -> String {
    let decimals = money::minor_unit(currency);
    let rounded = money::round(amount, decimals);
    let text = format!("{rounded:.prec$}", prec = decimals as usize);
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text.as_str(), None),
    };
    let mut out = group_thousands(whole);
    if let Some(fraction) = fraction {
        out.push(',');
        out.push_str(fraction);
    }
    let symbol = match currency {
        "EUR" => "€",
        other => other,
    };
    format!("{out}\u{a0}{symbol}")
}

/// Digits grouped by three with no-break spaces: `12500` → `12 500`.
fn group_thousands(digits: &str) -> String {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", digits),
    };
    let mut out = String::from(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

remise_sdk::register_scenario!(PointsRedemption);

#[cfg(test)]
mod tests {
    use super::*;
    use remise_sdk::testing::{check, dec, run, with_customer_data, CustomerData};
    use serde_json::{json, Value};

    fn hundred_for_five() -> Value {
        json!({ "points_per_step": 100, "value_per_step": "5.00" })
    }

    /// A basket of `total` in one line, for a customer asking `spend` (if any).
    fn basket(total: &str, spend: Option<&str>) -> Value {
        let mut attributes = serde_json::Map::new();
        if let Some(spend) = spend {
            attributes.insert(SPEND_ATTRIBUTE.into(), json!(spend));
        }
        json!({
            "currency": "EUR",
            "customer": { "id": "c-1", "attributes": attributes },
            "lines": [{ "id": "1", "sku": "A", "quantity": 1, "unit_price": total }]
        })
    }

    fn with_balance(balance: u64, params: &Value, basket: &Value) -> Vec<Effect> {
        with_customer_data(CustomerData::default().with_points(balance), || {
            run::<PointsRedemption>(params, basket).expect("evaluates")
        })
    }

    fn redeemed(points: u64, amount: &str, text: &str) -> Vec<Effect> {
        vec![
            effects::amount_off_order(dec(amount)),
            effects::spend_points(points),
            effects::message(text),
        ]
    }

    #[test]
    fn whole_steps_of_the_balance_when_the_customer_asks_for_max() {
        assert_eq!(
            with_balance(1_250, &hundred_for_five(), &basket("200.00", Some("max"))),
            redeemed(
                1_200,
                "60.00",
                "1\u{a0}200 points utilisés : 60,00\u{a0}€ de remise"
            )
        );
    }

    #[test]
    fn the_points_asked_for_are_a_ceiling() {
        assert_eq!(
            with_balance(1_250, &hundred_for_five(), &basket("200.00", Some("550"))),
            redeemed(500, "25.00", "500 points utilisés : 25,00\u{a0}€ de remise")
        );
    }

    #[test]
    fn nothing_unless_asked_for_or_automatic() {
        let params = hundred_for_five();
        assert!(with_balance(1_000, &params, &basket("100", None)).is_empty());
        for garbage in ["", "lots", "-100", "1.5", "+100", "0"] {
            assert!(
                with_balance(1_000, &params, &basket("100", Some(garbage))).is_empty(),
                "{garbage:?}"
            );
        }
        let anonymous = json!({ "currency": "EUR", "lines": [
            { "id": "1", "sku": "A", "quantity": 1, "unit_price": "100" }
        ] });
        assert!(with_balance(1_000, &params, &anonymous).is_empty());
        let automatic = json!({ "points_per_step": 100, "value_per_step": "5", "automatic": true });
        assert!(
            with_balance(1_000, &automatic, &anonymous).is_empty(),
            "an anonymous basket has no balance"
        );
        assert_eq!(
            with_balance(250, &automatic, &basket("100", None)),
            redeemed(200, "10", "200 points utilisés : 10,00\u{a0}€ de remise")
        );
        assert!(
            with_balance(250, &automatic, &basket("100", Some("0"))).is_empty(),
            "0 opts out"
        );
    }

    #[test]
    fn never_more_steps_than_the_subtotal_pays_for() {
        // 100 points = 5.00; the order is 12.99: two steps (10.00), not three (15.00).
        assert_eq!(
            with_balance(10_000, &hundred_for_five(), &basket("12.99", Some("max"))),
            redeemed(200, "10.00", "200 points utilisés : 10,00\u{a0}€ de remise")
        );
        // Exactly the subtotal is allowed.
        assert_eq!(
            with_balance(10_000, &hundred_for_five(), &basket("15.00", Some("max"))),
            redeemed(300, "15.00", "300 points utilisés : 15,00\u{a0}€ de remise")
        );
        assert!(with_balance(10_000, &hundred_for_five(), &basket("4.99", Some("max"))).is_empty());
        let empty = json!({ "currency": "EUR", "customer": { "id": "c", "attributes": { "spend_points": "max" } }, "lines": [] });
        assert!(with_balance(10_000, &hundred_for_five(), &empty).is_empty());
    }

    #[test]
    fn min_and_max_points_bound_what_one_order_spends() {
        let params = json!({
            "points_per_step": 100, "value_per_step": "5",
            "min_points": 500, "max_points": 1_000
        });
        assert!(with_balance(499, &params, &basket("100", Some("max"))).is_empty());
        assert!(
            with_balance(5_000, &params, &basket("100", Some("400"))).is_empty(),
            "asks for fewer than min_points"
        );
        assert_eq!(
            with_balance(5_000, &params, &basket("1000", Some("max"))),
            redeemed(
                1_000,
                "50",
                "1\u{a0}000 points utilisés : 50,00\u{a0}€ de remise"
            )
        );
        assert!(with_balance(0, &hundred_for_five(), &basket("100", Some("max"))).is_empty());
        assert!(with_balance(99, &hundred_for_five(), &basket("100", Some("max"))).is_empty());
    }

    #[test]
    fn one_point_steps_and_other_currencies() {
        let params = json!({ "points_per_step": 1, "value_per_step": "0.01" });
        let mut yen = basket("5000", Some("max"));
        yen["currency"] = json!("JPY");
        let params_yen = json!({ "points_per_step": 1, "value_per_step": "1" });
        assert_eq!(
            with_balance(1, &params, &basket("10", Some("max"))),
            redeemed(1, "0.01", "1 point utilisé : 0,01\u{a0}€ de remise")
        );
        assert_eq!(
            with_balance(1_500, &params_yen, &yen),
            redeemed(
                1_500,
                "1500",
                "1\u{a0}500 points utilisés : 1\u{a0}500\u{a0}JPY de remise"
            )
        );
    }

    #[test]
    fn a_huge_balance_or_order_does_not_overflow() {
        let lines = json!([
            { "id": "1", "sku": "A", "quantity": 4_000_000_000u32, "unit_price": "9000000000000000000" },
            { "id": "2", "sku": "B", "quantity": 4_000_000_000u32, "unit_price": "9000000000000000000" },
            { "id": "3", "sku": "C", "quantity": 4_000_000_000u32, "unit_price": "9000000000000000000" }
        ]);
        let huge = json!({ "currency": "EUR", "customer": { "id": "c", "attributes": { "spend_points": "99999999999999999999999" } }, "lines": lines });
        let effects = with_balance(u64::MAX, &hundred_for_five(), &huge);
        assert_eq!(
            effects.get(1),
            Some(&effects::spend_points(limits::MAX_POINTS / 100 * 100))
        );
    }

    #[test]
    fn bad_params_are_named_by_pointer() {
        let pointers = |params: Value| -> Vec<String> {
            check::<PointsRedemption>(&params)
                .expect_err("refused")
                .into_iter()
                .map(|problem| problem.pointer)
                .collect()
        };
        assert_eq!(
            pointers(json!({ "points_per_step": 0, "value_per_step": "0" })),
            ["/points_per_step", "/value_per_step"]
        );
        assert_eq!(
            pointers(json!({ "points_per_step": 100, "value_per_step": "-1" })),
            ["/value_per_step"]
        );
        assert_eq!(
            pointers(json!({ "points_per_step": 100, "value_per_step": "5", "min_points": 250 })),
            ["/min_points"]
        );
        assert_eq!(
            pointers(
                json!({ "points_per_step": 100, "value_per_step": "5", "min_points": 500, "max_points": 400 })
            ),
            ["/max_points"]
        );
        assert_eq!(
            pointers(json!({ "points_per_step": 100, "value_per_step": "5", "max_points": 50 })),
            ["/max_points"]
        );
        let problems = check::<PointsRedemption>(
            &json!({ "points_per_step": 100, "value_per_step": "5", "colour": 1 }),
        )
        .expect_err("unknown field refused");
        assert!(problems[0].message.contains("colour"));
        assert!(check::<PointsRedemption>(&json!({
            "points_per_step": 100, "value_per_step": "5", "min_points": 200, "max_points": 1_000, "automatic": true
        }))
        .is_ok());
    }
}
