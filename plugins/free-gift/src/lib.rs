//! `free-gift`: "a free tote from 50 €". One gift once the basket subtotal reaches
//! `min_subtotal` (reaching it exactly counts) and, when `required_skus` is set, every one
//! of those SKUs is on a line of the basket. An empty basket gets nothing, even from 0.

use remise_sdk::prelude::*;

/// The campaign parameters.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The basket subtotal from which the gift is given, 0 or more, such as `"50.00"`.
    pub min_subtotal: Decimal,
    /// SKUs that must all be in the basket; none when empty.
    #[serde(default)]
    pub required_skus: Vec<String>,
    /// The free item.
    pub gift: Gift,
}

/// The free item.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gift {
    /// Its SKU, 1 to 256 bytes.
    pub sku: String,
    /// How many, 1 to 1,000; 1 when absent.
    #[serde(default = "one")]
    pub quantity: u32,
}

fn one() -> u32 {
    1
}

/// The scenario.
pub struct FreeGift;

impl Scenario for FreeGift {
    type Params = Params;
    const DESCRIPTION: &'static str = "Free gift: a gift item once the basket subtotal reaches \
        a minimum, optionally only when the basket holds every required SKU.";

    fn check(params: &Params) -> Vec<ParamProblem> {
        let mut problems = Vec::new();
        if params.min_subtotal.is_sign_negative() {
            problems.push(ParamProblem::new("/min_subtotal", "must be 0 or more"));
        }
        for (i, sku) in params.required_skus.iter().enumerate() {
            if sku.is_empty() {
                problems.push(ParamProblem::new(
                    format!("/required_skus/{i}"),
                    "must not be empty",
                ));
            }
        }
        if params.gift.sku.is_empty() || params.gift.sku.len() > limits::MAX_GIFT_SKU_BYTES {
            problems.push(ParamProblem::new(
                "/gift/sku",
                "must be 1 to 256 bytes long",
            ));
        }
        if params.gift.quantity == 0 || params.gift.quantity > limits::MAX_GIFT_QUANTITY {
            problems.push(ParamProblem::new("/gift/quantity", "must be 1 to 1000"));
        }
        problems
    }

    fn evaluate(
        params: &Params,
        basket: &Basket<'_>,
        _context: &Context<'_>,
    ) -> Result<Vec<Effect>, ScenarioError> {
        if basket.is_empty() || basket.subtotal() < params.min_subtotal {
            return Ok(Vec::new());
        }
        let holds = |sku: &String| basket.lines_with_sku(sku).next().is_some();
        if !params.required_skus.iter().all(holds) {
            return Ok(Vec::new());
        }
        Ok(vec![effects::gift(
            params.gift.sku.as_str(),
            params.gift.quantity.max(1),
        )])
    }
}

remise_sdk::register_scenario!(FreeGift);

#[cfg(test)]
mod tests {
    use super::*;
    use remise_sdk::testing::{check, run, web_basket};
    use serde_json::{json, Value};

    fn tote_from_50() -> Value {
        json!({ "min_subtotal": "50.00", "gift": { "sku": "TOTE" } })
    }

    #[test]
    fn empty_basket_gets_nothing_even_from_zero() {
        assert_eq!(
            run::<FreeGift>(&tote_from_50(), &web_basket(json!([]))),
            Ok(vec![])
        );
        let from_zero = json!({ "min_subtotal": "0", "gift": { "sku": "TOTE" } });
        assert_eq!(
            run::<FreeGift>(&from_zero, &web_basket(json!([]))),
            Ok(vec![])
        );
        let one = json!([{ "id": "1", "sku": "A", "quantity": 1, "unit_price": "0.01" }]);
        assert_eq!(
            run::<FreeGift>(&from_zero, &web_basket(one)),
            Ok(vec![effects::gift("TOTE", 1)])
        );
    }

    #[test]
    fn exactly_at_the_threshold_gives_the_gift() {
        let lines = json!([
            { "id": "1", "sku": "A", "quantity": 3, "unit_price": "12.33" },
            { "id": "2", "sku": "B", "quantity": 1, "unit_price": "13.01" }
        ]);
        // 3 × 12.33 + 13.01 = 50.00.
        assert_eq!(
            run::<FreeGift>(&tote_from_50(), &web_basket(lines)),
            Ok(vec![effects::gift("TOTE", 1)])
        );
    }

    #[test]
    fn one_cent_below_the_threshold_does_not() {
        let lines = json!([
            { "id": "1", "sku": "A", "quantity": 3, "unit_price": "12.33" },
            { "id": "2", "sku": "B", "quantity": 1, "unit_price": "13.00" }
        ]);
        assert_eq!(
            run::<FreeGift>(&tote_from_50(), &web_basket(lines)),
            Ok(vec![])
        );
    }

    #[test]
    fn every_required_sku_must_be_in_the_basket() {
        let params = json!({
            "min_subtotal": "20",
            "required_skus": ["SHAMPOO", "CONDITIONER"],
            "gift": { "sku": "TRAVEL-KIT", "quantity": 2 }
        });
        let both = json!([
            { "id": "1", "sku": "SHAMPOO", "quantity": 1, "unit_price": "9.50" },
            { "id": "2", "sku": "SOAP", "quantity": 1, "unit_price": "3.00" },
            { "id": "3", "sku": "CONDITIONER", "quantity": 1, "unit_price": "10.50" }
        ]);
        assert_eq!(
            run::<FreeGift>(&params, &web_basket(both)),
            Ok(vec![effects::gift("TRAVEL-KIT", 2)])
        );
        let one_missing = json!([
            { "id": "1", "sku": "SHAMPOO", "quantity": 4, "unit_price": "9.50" }
        ]);
        assert_eq!(
            run::<FreeGift>(&params, &web_basket(one_missing)),
            Ok(vec![])
        );
        let below = json!([
            { "id": "1", "sku": "SHAMPOO", "quantity": 1, "unit_price": "9.50" },
            { "id": "3", "sku": "CONDITIONER", "quantity": 1, "unit_price": "10.49" }
        ]);
        assert_eq!(run::<FreeGift>(&params, &web_basket(below)), Ok(vec![]));
    }

    #[test]
    fn bad_params_are_named_by_pointer() {
        let problems = check::<FreeGift>(&json!({
            "min_subtotal": "-0.01",
            "required_skus": ["A", ""],
            "gift": { "sku": "", "quantity": 0 }
        }))
        .expect_err("refused");
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/min_subtotal",
                "/required_skus/1",
                "/gift/sku",
                "/gift/quantity"
            ]
        );
        let problems =
            check::<FreeGift>(&json!({ "min_subtotal": "10", "gift": { "sku": "X".repeat(257) } }))
                .expect_err("too long");
        assert_eq!(problems[0].pointer, "/gift/sku");
        let problems = check::<FreeGift>(&json!({ "min_subtotal": "10" })).expect_err("no gift");
        assert!(
            problems[0].message.contains("gift"),
            "{}",
            problems[0].message
        );
    }
}
