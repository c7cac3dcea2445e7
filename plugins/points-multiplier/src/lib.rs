//! `points-multiplier`: "double points on shoes". Loyalty points for what the eligible lines
//! cost, as loyalty programmes count them: their price (unit price × quantity, before
//! discounts) × `points_per_currency_unit` × `multiplier`; or, with `points_per_unit`
//! instead, per unit bought: quantity × `points_per_unit` × `multiplier`. Summed exactly in
//! decimals and rounded down to whole points once, on the total. Every factor is a decimal
//! string (`"1"`, `"1.5"`). No points, no effect; a total beyond what the host accepts in
//! one effect (2^53 − 1) is capped there.

use remise_sdk::prelude::*;

/// The campaign parameters.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Points one unit of currency spent on the eligible lines earns before the multiplier,
    /// above 0, such as `"1"` (a point per euro). Give this or `points_per_unit`.
    #[serde(default)]
    pub points_per_currency_unit: Option<Decimal>,
    /// Points one unit bought earns before the multiplier, above 0, such as `"1"` or
    /// `"0.5"`. Give this or `points_per_currency_unit`.
    #[serde(default)]
    pub points_per_unit: Option<Decimal>,
    /// The campaign's multiplier, above 0, such as `"2"` (double points) or `"1.5"`.
    pub multiplier: Decimal,
    /// When set, only lines in one of these categories earn points.
    #[serde(default)]
    pub categories: Vec<String>,
}

/// The scenario.
pub struct PointsMultiplier;

impl Scenario for PointsMultiplier {
    type Params = Params;
    const DESCRIPTION: &'static str = "Points multiplier: loyalty points per currency unit \
        spent (or per unit bought), multiplied, optionally only in some categories; rounded \
        down to whole points.";

    fn check(params: &Params) -> Vec<ParamProblem> {
        let mut problems = Vec::new();
        match (params.points_per_currency_unit, params.points_per_unit) {
            (Some(_), Some(_)) => problems.push(ParamProblem::new(
                "/points_per_unit",
                "give points_per_currency_unit or points_per_unit, not both",
            )),
            (None, None) => problems.push(ParamProblem::new(
                "/points_per_currency_unit",
                "give points_per_currency_unit (points per currency unit spent) or \
                 points_per_unit (points per unit bought)",
            )),
            (Some(rate), None) if rate <= Decimal::ZERO => problems.push(ParamProblem::new(
                "/points_per_currency_unit",
                "must be above 0",
            )),
            (None, Some(rate)) if rate <= Decimal::ZERO => {
                problems.push(ParamProblem::new("/points_per_unit", "must be above 0"));
            }
            _ => {}
        }
        if params.multiplier <= Decimal::ZERO {
            problems.push(ParamProblem::new("/multiplier", "must be above 0"));
        }
        for (i, category) in params.categories.iter().enumerate() {
            if category.is_empty() {
                problems.push(ParamProblem::new(
                    format!("/categories/{i}"),
                    "must not be empty",
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
        let mut eligible = basket.lines().filter(|line| {
            params.categories.is_empty() || line.in_any_category(&params.categories)
        });
        // What earns: the eligible lines' price, or their units; `None` beyond a decimal.
        let (earning, rate) = match (params.points_per_currency_unit, params.points_per_unit) {
            (Some(rate), _) => (
                eligible.try_fold(Decimal::ZERO, |sum, line| {
                    line.unit_price()
                        .checked_mul(Decimal::from(line.quantity()))
                        .and_then(|price| sum.checked_add(price))
                }),
                rate,
            ),
            (None, Some(rate)) => (
                Some(Decimal::from(
                    eligible.map(|line| u64::from(line.quantity())).sum::<u64>(),
                )),
                rate,
            ),
            (None, None) => return Ok(Vec::new()),
        };
        let points = earning
            .and_then(|earning| earning.checked_mul(rate))
            .and_then(|points| points.checked_mul(params.multiplier))
            .map_or(limits::MAX_POINTS, |points| {
                u64::try_from(points.floor())
                    .map_or(limits::MAX_POINTS, |p| p.min(limits::MAX_POINTS))
            });
        if points == 0 {
            return Ok(Vec::new());
        }
        Ok(vec![effects::points(points)])
    }
}

remise_sdk::register_scenario!(PointsMultiplier);

#[cfg(test)]
mod tests {
    use super::*;
    use remise_sdk::testing::{check, run, web_basket};
    use serde_json::{json, Value};

    fn double_points() -> Value {
        json!({ "points_per_unit": "1", "multiplier": "2" })
    }

    #[test]
    fn points_per_currency_unit_count_what_the_eligible_lines_cost() {
        let params =
            json!({ "points_per_currency_unit": "1", "multiplier": "2", "categories": ["shoes"] });
        let lines = json!([
            { "id": "1", "sku": "RUN", "quantity": 2, "unit_price": "49.99", "categories": ["shoes"] },
            { "id": "2", "sku": "TEE", "quantity": 5, "unit_price": "10", "categories": ["tops"] },
            { "id": "3", "sku": "SOCK", "quantity": 1, "unit_price": "0.50", "categories": ["shoes"] }
        ]);
        // (2 × 49.99 + 0.50) × 1 × 2 = 200.96 → 200.
        assert_eq!(
            run::<PointsMultiplier>(&params, &web_basket(lines)),
            Ok(vec![effects::points(200)])
        );
        let tenth = json!({ "points_per_currency_unit": "0.1", "multiplier": "1" });
        let lines = json!([{ "id": "1", "sku": "A", "quantity": 3, "unit_price": "3.33" }]);
        // 9.99 × 0.1 = 0.999 → 0: no effect.
        assert_eq!(
            run::<PointsMultiplier>(&tenth, &web_basket(lines)),
            Ok(vec![])
        );
    }

    #[test]
    fn exactly_one_rate_is_given() {
        let pointers = |params: Value| -> Vec<String> {
            check::<PointsMultiplier>(&params)
                .expect_err("refused")
                .into_iter()
                .map(|problem| problem.pointer)
                .collect()
        };
        assert_eq!(
            pointers(
                json!({ "points_per_unit": "1", "points_per_currency_unit": "1", "multiplier": "1" })
            ),
            ["/points_per_unit"]
        );
        assert_eq!(
            pointers(json!({ "multiplier": "1" })),
            ["/points_per_currency_unit"]
        );
        assert_eq!(
            pointers(json!({ "points_per_currency_unit": "0", "multiplier": "1" })),
            ["/points_per_currency_unit"]
        );
    }

    #[test]
    fn empty_basket_earns_nothing() {
        assert_eq!(
            run::<PointsMultiplier>(&double_points(), &web_basket(json!([]))),
            Ok(vec![])
        );
    }

    #[test]
    fn every_unit_of_every_line_earns() {
        let lines = json!([
            { "id": "1", "sku": "A", "quantity": 3, "unit_price": "19.90" },
            { "id": "2", "sku": "B", "quantity": 2, "unit_price": "0.00" }
        ]);
        // (3 + 2) × 1 × 2 = 10.
        assert_eq!(
            run::<PointsMultiplier>(&double_points(), &web_basket(lines)),
            Ok(vec![effects::points(10)])
        );
    }

    #[test]
    fn categories_restrict_the_lines_that_earn() {
        let params =
            json!({ "points_per_unit": "10", "multiplier": "3", "categories": ["shoes", "bags"] });
        let lines = json!([
            { "id": "1", "sku": "RUN", "quantity": 2, "unit_price": "80", "categories": ["sport", "shoes"] },
            { "id": "2", "sku": "TEE", "quantity": 5, "unit_price": "10", "categories": ["tops"] },
            { "id": "3", "sku": "TOTE", "quantity": 1, "unit_price": "30", "categories": ["bags"] }
        ]);
        // (2 + 1) × 10 × 3 = 90.
        assert_eq!(
            run::<PointsMultiplier>(&params, &web_basket(lines)),
            Ok(vec![effects::points(90)])
        );
    }

    #[test]
    fn decimals_are_exact_and_rounded_down_once_on_the_total() {
        let params = json!({ "points_per_unit": "1.5", "multiplier": "1.5" });
        let lines = json!([{ "id": "1", "sku": "A", "quantity": 3, "unit_price": "1" }]);
        // 3 × 2.25 = 6.75 → 6.
        assert_eq!(
            run::<PointsMultiplier>(&params, &web_basket(lines)),
            Ok(vec![effects::points(6)])
        );
        let params = json!({ "points_per_unit": "0.5", "multiplier": "1" });
        let lines = json!([
            { "id": "1", "sku": "A", "quantity": 1, "unit_price": "1" },
            { "id": "2", "sku": "B", "quantity": 1, "unit_price": "1" },
            { "id": "3", "sku": "C", "quantity": 1, "unit_price": "1" }
        ]);
        // 0.5 + 0.5 + 0.5 = 1.5 → 1 (per line it would be 0).
        assert_eq!(
            run::<PointsMultiplier>(&params, &web_basket(lines)),
            Ok(vec![effects::points(1)])
        );
        let params = json!({ "points_per_unit": "0.1", "multiplier": "3" });
        let lines = json!([{ "id": "1", "sku": "A", "quantity": 10, "unit_price": "1" }]);
        // 10 × 0.1 × 3 = 3 exactly (a float would make it 3.0000000000000004 or 2.999…).
        assert_eq!(
            run::<PointsMultiplier>(&params, &web_basket(lines)),
            Ok(vec![effects::points(3)])
        );
    }

    #[test]
    fn zero_points_give_no_effect() {
        let params = json!({ "points_per_unit": "0.1", "multiplier": "1.9" });
        let lines = json!([{ "id": "1", "sku": "A", "quantity": 5, "unit_price": "100" }]);
        // 5 × 0.19 = 0.95 → 0.
        assert_eq!(
            run::<PointsMultiplier>(&params, &web_basket(lines)),
            Ok(vec![])
        );
    }

    #[test]
    fn nothing_eligible_earns_nothing() {
        let params = json!({ "points_per_unit": "5", "multiplier": "2", "categories": ["toys"] });
        let lines = json!([{ "id": "1", "sku": "A", "quantity": 4, "unit_price": "20", "categories": ["tops"] }]);
        assert_eq!(
            run::<PointsMultiplier>(&params, &web_basket(lines)),
            Ok(vec![])
        );
    }

    #[test]
    fn huge_totals_are_capped_not_a_panic() {
        let params = json!({ "points_per_unit": "1000000000", "multiplier": "1000000000" });
        let lines = json!([
            { "id": "1", "sku": "A", "quantity": 4294967295u32, "unit_price": "1" },
            { "id": "2", "sku": "B", "quantity": 4294967295u32, "unit_price": "1" }
        ]);
        assert_eq!(
            run::<PointsMultiplier>(&params, &web_basket(lines)),
            Ok(vec![effects::points(9_007_199_254_740_991)])
        );
    }

    #[test]
    fn bad_params_are_named_by_pointer() {
        let problems = check::<PointsMultiplier>(&json!({
            "points_per_unit": "0", "multiplier": "-1", "categories": ["shoes", ""]
        }))
        .expect_err("refused");
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/points_per_unit", "/multiplier", "/categories/1"]
        );
        let problems =
            check::<PointsMultiplier>(&json!({ "points_per_unit": "1", "multiplier": 2 }))
                .expect_err("a number is not a decimal string");
        assert_eq!(problems[0].pointer, "/multiplier");
        let problems =
            check::<PointsMultiplier>(&json!({ "points_per_unit": "1" })).expect_err("missing");
        assert!(
            problems[0].message.contains("multiplier"),
            "{}",
            problems[0].message
        );
    }
}
