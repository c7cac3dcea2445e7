//! `points-multiplier`: "double points on shoes". Loyalty points for every unit bought on
//! the eligible lines: quantity × `points_per_unit` × `multiplier`, summed exactly in
//! decimals and rounded down to whole points once, on the total, as loyalty programmes do.
//! Both factors are decimal strings (`"1"`, `"1.5"`). No points, no effect; a total beyond
//! what the host accepts in one effect (2^53 − 1) is capped there.

use remise_sdk::prelude::*;

/// The campaign parameters.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Points one unit earns before the multiplier, above 0, such as `"1"` or `"0.5"`.
    pub points_per_unit: Decimal,
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
    const DESCRIPTION: &'static str = "Points multiplier: loyalty points per unit bought, \
        multiplied, optionally only in some categories; rounded down to whole points.";

    fn check(params: &Params) -> Vec<ParamProblem> {
        let mut problems = Vec::new();
        if params.points_per_unit <= Decimal::ZERO {
            problems.push(ParamProblem::new("/points_per_unit", "must be above 0"));
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
        let units: u64 = basket
            .lines()
            .filter(|line| params.categories.is_empty() || line.in_any_category(&params.categories))
            .map(|line| u64::from(line.quantity()))
            .sum();
        let points = Decimal::from(units)
            .checked_mul(params.points_per_unit)
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
