//! `threshold-discount`: "10 % dès 100 €". The best tier reached on the eligible subtotal,
//! off the order when the campaign is unscoped, off the eligible lines when it names
//! categories or excluded SKUs.

use remise_sdk::prelude::*;

/// The campaign parameters.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Spend tiers. The tier with the highest `min_subtotal` the eligible subtotal reaches
    /// applies; reaching a threshold exactly counts.
    pub tiers: Vec<Tier>,
    /// When set, only lines in one of these categories count and are discounted.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Lines with these SKUs neither count nor are discounted.
    #[serde(default)]
    pub exclude_skus: Vec<String>,
}

/// One spend tier: a threshold and what it gives (exactly one of `percent_off`, `amount_off`).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// The eligible subtotal from which the tier applies, such as `"100.00"`.
    pub min_subtotal: Decimal,
    /// A percentage off, above 0 and at most 100, such as `"10"`.
    #[serde(default)]
    pub percent_off: Option<Decimal>,
    /// A fixed amount off, above 0, such as `"15.00"`.
    #[serde(default)]
    pub amount_off: Option<Decimal>,
}

/// The scenario.
pub struct ThresholdDiscount;

impl Params {
    fn scoped(&self) -> bool {
        !self.categories.is_empty() || !self.exclude_skus.is_empty()
    }

    fn eligible(&self, line: &Line<'_>) -> bool {
        (self.categories.is_empty() || line.in_any_category(&self.categories))
            && !self.exclude_skus.iter().any(|sku| sku == line.sku())
    }
}

impl Scenario for ThresholdDiscount {
    type Params = Params;
    const DESCRIPTION: &'static str = "Spend thresholds: the best tier reached on the eligible \
        subtotal (\"10 % dès 100 €\"), off the order when unscoped, off the eligible lines \
        when scoped by categories or excluded SKUs.";

    fn check(params: &Params) -> Vec<ParamProblem> {
        let mut problems = Vec::new();
        if params.tiers.is_empty() {
            problems.push(ParamProblem::new("/tiers", "at least one tier is needed"));
        }
        for (i, tier) in params.tiers.iter().enumerate() {
            if tier.min_subtotal.is_sign_negative() {
                problems.push(ParamProblem::new(
                    format!("/tiers/{i}/min_subtotal"),
                    "must be 0 or more",
                ));
            }
            match (tier.percent_off, tier.amount_off) {
                (Some(p), None) if p <= Decimal::ZERO || p > Decimal::ONE_HUNDRED => {
                    problems.push(ParamProblem::new(
                        format!("/tiers/{i}/percent_off"),
                        "must be above 0 and at most 100",
                    ))
                }
                (None, Some(a)) if a <= Decimal::ZERO => problems.push(ParamProblem::new(
                    format!("/tiers/{i}/amount_off"),
                    "must be above 0",
                )),
                (Some(_), Some(_)) | (None, None) => problems.push(ParamProblem::new(
                    format!("/tiers/{i}"),
                    "set exactly one of percent_off and amount_off",
                )),
                _ => {}
            }
        }
        problems
    }

    fn evaluate(
        params: &Params,
        basket: &Basket<'_>,
        _context: &Context<'_>,
    ) -> Result<Vec<Effect>, ScenarioError> {
        let eligible = |line: &Line<'_>| params.eligible(line);
        let subtotal = basket.eligible_subtotal(eligible);
        if subtotal <= Decimal::ZERO {
            return Ok(Vec::new());
        }
        let Some(tier) = params
            .tiers
            .iter()
            .filter(|tier| tier.min_subtotal <= subtotal)
            .max_by_key(|tier| tier.min_subtotal)
        else {
            return Ok(Vec::new());
        };
        let effect = if params.scoped() {
            let lines: Vec<u32> = basket.lines().filter(eligible).map(|l| l.index()).collect();
            match (tier.percent_off, tier.amount_off) {
                (Some(percent), _) => effects::percent_off_lines(lines, percent),
                (None, Some(amount)) => effects::amount_off_lines(lines, amount),
                (None, None) => return Ok(Vec::new()),
            }
        } else {
            match (tier.percent_off, tier.amount_off) {
                (Some(percent), _) => effects::percent_off_order(percent),
                (None, Some(amount)) => effects::amount_off_order(amount),
                (None, None) => return Ok(Vec::new()),
            }
        };
        Ok(vec![effect])
    }
}

remise_sdk::register_scenario!(ThresholdDiscount);

#[cfg(test)]
mod tests {
    use super::*;
    use remise_sdk::testing::{check, dec, run, web_basket};
    use serde_json::{json, Value};

    fn ten_from_100() -> Value {
        json!({ "tiers": [ { "min_subtotal": "100.00", "percent_off": "10" } ] })
    }

    #[test]
    fn empty_basket_gets_nothing() {
        assert_eq!(
            run::<ThresholdDiscount>(&ten_from_100(), &web_basket(json!([]))),
            Ok(vec![])
        );
    }

    #[test]
    fn exactly_at_the_threshold_applies() {
        let lines = json!([{ "id": "1", "sku": "A", "quantity": 2, "unit_price": "50.00" }]);
        assert_eq!(
            run::<ThresholdDiscount>(&ten_from_100(), &web_basket(lines)),
            Ok(vec![effects::percent_off_order(dec("10"))])
        );
    }

    #[test]
    fn one_cent_below_the_threshold_does_not() {
        let lines = json!([{ "id": "1", "sku": "A", "quantity": 1, "unit_price": "99.99" }]);
        assert_eq!(
            run::<ThresholdDiscount>(&ten_from_100(), &web_basket(lines)),
            Ok(vec![])
        );
    }

    #[test]
    fn the_highest_tier_reached_wins() {
        let params = json!({ "tiers": [
            { "min_subtotal": "50", "amount_off": "5.00" },
            { "min_subtotal": "200", "percent_off": "15" },
            { "min_subtotal": "100", "percent_off": "10" }
        ] });
        let lines = json!([{ "id": "1", "sku": "A", "quantity": 3, "unit_price": "49.99" }]);
        assert_eq!(
            run::<ThresholdDiscount>(&params, &web_basket(lines)),
            Ok(vec![effects::percent_off_order(dec("10"))])
        );
    }

    #[test]
    fn scoped_campaign_counts_and_discounts_only_eligible_lines() {
        let params = json!({
            "tiers": [ { "min_subtotal": "100", "percent_off": "20" } ],
            "categories": ["shoes"], "exclude_skus": ["SALE-1"]
        });
        let lines = json!([
            { "id": "a", "sku": "RUN-1", "quantity": 1, "unit_price": "80.00", "categories": ["shoes"] },
            { "id": "b", "sku": "SALE-1", "quantity": 1, "unit_price": "90.00", "categories": ["shoes"] },
            { "id": "c", "sku": "TEE", "quantity": 1, "unit_price": "300.00", "categories": ["tops"] },
            { "id": "d", "sku": "RUN-2", "quantity": 2, "unit_price": "10.005", "categories": ["sport", "shoes"] }
        ]);
        // Eligible: a (80.00) + d (20.01) = 100.01 ≥ 100; b is excluded, c is out of scope.
        assert_eq!(
            run::<ThresholdDiscount>(&params, &web_basket(lines)),
            Ok(vec![effects::percent_off_lines([0, 3], dec("20"))])
        );
    }

    #[test]
    fn nothing_eligible_gets_nothing() {
        let params = json!({ "tiers": [ { "min_subtotal": "0", "percent_off": "5" } ], "categories": ["toys"] });
        let lines = json!([{ "id": "1", "sku": "A", "quantity": 1, "unit_price": "500" }]);
        assert_eq!(
            run::<ThresholdDiscount>(&params, &web_basket(lines)),
            Ok(vec![])
        );
    }

    #[test]
    fn amount_tiers_keep_their_exact_decimals() {
        let params = json!({ "tiers": [ { "min_subtotal": "30", "amount_off": "3.33" } ] });
        let lines = json!([{ "id": "1", "sku": "A", "quantity": 3, "unit_price": "10.00" }]);
        assert_eq!(
            run::<ThresholdDiscount>(&params, &web_basket(lines)),
            Ok(vec![effects::amount_off_order(dec("3.33"))])
        );
    }

    #[test]
    fn bad_params_are_named_by_pointer() {
        let problems = check::<ThresholdDiscount>(&json!({ "tiers": [
            { "min_subtotal": "10", "percent_off": "150" },
            { "min_subtotal": "10", "percent_off": "5", "amount_off": "1" }
        ] }))
        .expect_err("refused");
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers, ["/tiers/0/percent_off", "/tiers/1"]);
        let problems = check::<ThresholdDiscount>(&json!({ "tiers": [], "colour": "red" }))
            .expect_err("unknown field refused");
        assert!(problems[0].message.contains("colour"));
        let problems = check::<ThresholdDiscount>(&json!({ "tiers": [] })).expect_err("empty");
        assert_eq!(problems[0].pointer, "/tiers");
    }
}
