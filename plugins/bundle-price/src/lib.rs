//! `bundle-price`: "a jacket, a shirt and two ties for 150 €". As many complete bundles as
//! the basket holds (capped by `max_bundles`) sell for `price` each, as one fixed-price
//! effect over all their units; the host spreads the discount over the lines.
//!
//! Units of a SKU are taken from its dearest lines first (ties by line id). When the chosen units already
//! cost `price × bundles` or less, the bundle offers nothing. Each SKU appears once in
//! `items`: two quantities of one product are one item with their sum.

use remise_sdk::prelude::*;

/// The campaign parameters.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// What one bundle holds: at least one item, each SKU once.
    pub items: Vec<Item>,
    /// What one bundle sells for, 0 or more, such as `"150.00"`.
    pub price: Decimal,
    /// At most this many bundles per basket (at least 1); unlimited when absent.
    #[serde(default)]
    pub max_bundles: Option<u32>,
}

/// One product of the bundle.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// The product's SKU.
    pub sku: String,
    /// Units of it per bundle, at least 1.
    pub quantity: u32,
}

/// The scenario.
pub struct BundlePrice;

impl Scenario for BundlePrice {
    type Params = Params;
    const DESCRIPTION: &'static str = "Bundle price: a set of items sells together for one \
        price; as many complete bundles as the basket holds, the discount spread over their \
        lines.";

    fn check(params: &Params) -> Vec<ParamProblem> {
        let mut problems = Vec::new();
        if params.items.is_empty() {
            problems.push(ParamProblem::new("/items", "at least one item is needed"));
        }
        for (i, item) in params.items.iter().enumerate() {
            if item.sku.is_empty() {
                problems.push(ParamProblem::new(
                    format!("/items/{i}/sku"),
                    "must not be empty",
                ));
            } else if params.items[..i]
                .iter()
                .any(|earlier| earlier.sku == item.sku)
            {
                problems.push(ParamProblem::new(
                    format!("/items/{i}/sku"),
                    format!(
                        "{} is already an item: give it one item with the total quantity",
                        item.sku
                    ),
                ));
            }
            if item.quantity == 0 {
                problems.push(ParamProblem::new(
                    format!("/items/{i}/quantity"),
                    "must be at least 1",
                ));
            }
        }
        if params.price.is_sign_negative() {
            problems.push(ParamProblem::new("/price", "must be 0 or more"));
        }
        if params.max_bundles == Some(0) {
            problems.push(ParamProblem::new("/max_bundles", "must be at least 1"));
        }
        problems
    }

    fn evaluate(
        params: &Params,
        basket: &Basket<'_>,
        _context: &Context<'_>,
    ) -> Result<Vec<Effect>, ScenarioError> {
        if params.items.is_empty() {
            return Ok(Vec::new());
        }
        let mut bundles = u64::from(params.max_bundles.unwrap_or(u32::MAX));
        for item in &params.items {
            let held: u64 = basket
                .lines_with_sku(&item.sku)
                .map(|line| u64::from(line.quantity()))
                .sum();
            bundles = bundles.min(held / u64::from(item.quantity.max(1)));
        }
        if bundles == 0 {
            return Ok(Vec::new());
        }
        let too_large = || ScenarioError::Unsupported("amounts too large to add up".into());
        let mut picks = Vec::new();
        let mut cost = Decimal::ZERO;
        for item in &params.items {
            let mut needed = bundles * u64::from(item.quantity);
            // The dearest units first (the bundle price replaces them: best for the
            // customer), ties by line id, so the order of the lines changes nothing.
            let mut lines: Vec<_> = basket.lines_with_sku(&item.sku).collect();
            lines.sort_by(|a, b| {
                b.unit_price()
                    .cmp(&a.unit_price())
                    .then_with(|| a.id().cmp(b.id()))
            });
            for line in lines {
                if needed == 0 {
                    break;
                }
                let units = u64::from(line.quantity()).min(needed);
                needed -= units;
                let units = u32::try_from(units).unwrap_or(line.quantity());
                cost = line
                    .unit_price()
                    .checked_mul(Decimal::from(units))
                    .and_then(|amount| cost.checked_add(amount))
                    .ok_or_else(too_large)?;
                picks.push(UnitPick {
                    line: line.index(),
                    units,
                });
            }
        }
        let price = params
            .price
            .checked_mul(Decimal::from(bundles))
            .ok_or_else(too_large)?;
        if cost <= price {
            return Ok(Vec::new());
        }
        picks.sort_by_key(|pick| pick.line);
        Ok(vec![effects::fixed_price_units(&picks, price)])
    }
}

remise_sdk::register_scenario!(BundlePrice);

#[cfg(test)]
mod tests {
    use super::*;
    use remise_sdk::testing::{check, dec, run, web_basket};
    use serde_json::{json, Value};

    /// One jacket and two ties for 25.00.
    fn jacket_and_two_ties() -> Value {
        json!({
            "items": [ { "sku": "JACKET", "quantity": 1 }, { "sku": "TIE", "quantity": 2 } ],
            "price": "25.00"
        })
    }

    fn pick(line: u32, units: u32) -> UnitPick {
        UnitPick { line, units }
    }

    #[test]
    fn empty_basket_gets_nothing() {
        assert_eq!(
            run::<BundlePrice>(&jacket_and_two_ties(), &web_basket(json!([]))),
            Ok(vec![])
        );
    }

    #[test]
    fn exactly_one_complete_bundle_sells_for_the_price() {
        let lines = json!([
            { "id": "1", "sku": "JACKET", "quantity": 1, "unit_price": "20.00" },
            { "id": "2", "sku": "SOCKS", "quantity": 1, "unit_price": "3.00" },
            { "id": "3", "sku": "TIE", "quantity": 2, "unit_price": "5.99" }
        ]);
        // 20.00 + 2 × 5.99 = 31.98 > 25.00.
        assert_eq!(
            run::<BundlePrice>(&jacket_and_two_ties(), &web_basket(lines)),
            Ok(vec![effects::fixed_price_units(
                &[pick(0, 1), pick(2, 2)],
                dec("25.00")
            )])
        );
    }

    #[test]
    fn an_incomplete_bundle_gets_nothing() {
        let lines = json!([
            { "id": "1", "sku": "JACKET", "quantity": 3, "unit_price": "20.00" },
            { "id": "2", "sku": "TIE", "quantity": 1, "unit_price": "5.99" }
        ]);
        assert_eq!(
            run::<BundlePrice>(&jacket_and_two_ties(), &web_basket(lines)),
            Ok(vec![])
        );
    }

    #[test]
    fn several_bundles_up_to_max_bundles() {
        let lines = json!([
            { "id": "1", "sku": "TIE", "quantity": 5, "unit_price": "5.99" },
            { "id": "2", "sku": "JACKET", "quantity": 3, "unit_price": "20.00" }
        ]);
        // Five ties make two bundles: 4 ties and 2 jackets for 2 × 25.00.
        assert_eq!(
            run::<BundlePrice>(&jacket_and_two_ties(), &web_basket(lines.clone())),
            Ok(vec![effects::fixed_price_units(
                &[pick(0, 4), pick(1, 2)],
                dec("50.00")
            )])
        );
        let mut capped = jacket_and_two_ties();
        capped["max_bundles"] = json!(1);
        assert_eq!(
            run::<BundlePrice>(&capped, &web_basket(lines)),
            Ok(vec![effects::fixed_price_units(
                &[pick(0, 2), pick(1, 1)],
                dec("25.00")
            )])
        );
    }

    #[test]
    fn units_of_one_sku_come_from_its_dearest_lines_first() {
        let params = json!({
            "items": [ { "sku": "TIE", "quantity": 2 }, { "sku": "JACKET", "quantity": 1 } ],
            "price": "19.90"
        });
        let lines = json!([
            { "id": "1", "sku": "JACKET", "quantity": 2, "unit_price": "20.00" },
            { "id": "2", "sku": "TIE", "quantity": 1, "unit_price": "7.00" },
            { "id": "3", "sku": "HAT", "quantity": 1, "unit_price": "9.00" },
            { "id": "4", "sku": "TIE", "quantity": 3, "unit_price": "5.00" },
            { "id": "5", "sku": "TIE", "quantity": 2, "unit_price": "4.00" }
        ]);
        // Six ties, two jackets: two bundles of 2 jackets + 4 ties (line 2's one, then three
        // of line 4), for 2 × 19.90 = 39.80.
        assert_eq!(
            run::<BundlePrice>(&params, &web_basket(lines)),
            Ok(vec![effects::fixed_price_units(
                &[pick(0, 2), pick(1, 1), pick(3, 3)],
                dec("39.80")
            )])
        );
    }

    #[test]
    fn a_bundle_already_at_or_below_the_price_offers_nothing() {
        let at_price = json!([
            { "id": "1", "sku": "JACKET", "quantity": 1, "unit_price": "15.00" },
            { "id": "2", "sku": "TIE", "quantity": 2, "unit_price": "5.00" }
        ]);
        assert_eq!(
            run::<BundlePrice>(&jacket_and_two_ties(), &web_basket(at_price)),
            Ok(vec![])
        );
        let one_cent_above = json!([
            { "id": "1", "sku": "JACKET", "quantity": 1, "unit_price": "15.01" },
            { "id": "2", "sku": "TIE", "quantity": 2, "unit_price": "5.00" }
        ]);
        assert_eq!(
            run::<BundlePrice>(&jacket_and_two_ties(), &web_basket(one_cent_above)),
            Ok(vec![effects::fixed_price_units(
                &[pick(0, 1), pick(1, 2)],
                dec("25.00")
            )])
        );
    }

    #[test]
    fn a_free_bundle_is_allowed() {
        let params = json!({ "items": [ { "sku": "SAMPLE", "quantity": 1 } ], "price": "0" });
        let lines = json!([{ "id": "1", "sku": "SAMPLE", "quantity": 2, "unit_price": "1.50" }]);
        assert_eq!(
            run::<BundlePrice>(&params, &web_basket(lines)),
            Ok(vec![effects::fixed_price_units(&[pick(0, 2)], dec("0"))])
        );
    }

    #[test]
    fn bad_params_are_named_by_pointer() {
        let problems = check::<BundlePrice>(&json!({
            "items": [
                { "sku": "A", "quantity": 0 },
                { "sku": "", "quantity": 1 },
                { "sku": "A", "quantity": 2 }
            ],
            "price": "-1",
            "max_bundles": 0
        }))
        .expect_err("refused");
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/items/0/quantity",
                "/items/1/sku",
                "/items/2/sku",
                "/price",
                "/max_bundles"
            ]
        );
        let problems =
            check::<BundlePrice>(&json!({ "items": [], "price": "10" })).expect_err("empty");
        assert_eq!(problems[0].pointer, "/items");
        let problems = check::<BundlePrice>(
            &json!({ "items": [ { "sku": "A", "quantity": 1 } ], "price": 10 }),
        )
        .expect_err("a number is not a decimal string");
        assert_eq!(problems[0].pointer, "/price");
    }
}
