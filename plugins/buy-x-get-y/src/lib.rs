//! `buy-x-get-y`: "buy 2, get the 3rd free", "buy shoes, get socks at half price". Each
//! application takes `buy.quantity` buy-units and `get.quantity` other get-units, and gives
//! `get.percent_off` % off those get-units, as one line discount on the chosen units.
//!
//! The rule: a unit counts once, either as bought or as a reward, never both. The number of
//! applications is the most the basket can complete (capped by `max_applications`); the
//! rewards are then the cheapest get-units (ties: the smaller line id first), and the dearer
//! units pay. When the buy and get sets overlap ("buy 2 get 1" on one category), a shared
//! unit becomes a reward only if enough buy-units are left to pay for every application,
//! so 3 shared units make one application and the cheapest of them is the reward.
//! `skus` and `categories` are alternatives: each side names exactly one of the two.

use remise_sdk::prelude::*;

/// The campaign parameters.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// What the customer buys to qualify.
    pub buy: Buy,
    /// What they get at a discount.
    pub get: Get,
    /// At most this many applications per basket (at least 1); unlimited when absent.
    #[serde(default)]
    pub max_applications: Option<u32>,
}

/// The units that qualify (exactly one of `skus`, `categories`).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Buy {
    /// Lines with one of these SKUs qualify.
    #[serde(default)]
    pub skus: Vec<String>,
    /// Lines in one of these categories qualify.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Units to buy per application, at least 1.
    pub quantity: u32,
}

/// The units rewarded (exactly one of `skus`, `categories`) and their discount.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Get {
    /// Lines with one of these SKUs can be rewarded.
    #[serde(default)]
    pub skus: Vec<String>,
    /// Lines in one of these categories can be rewarded.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Units rewarded per application, at least 1.
    pub quantity: u32,
    /// The percentage off each rewarded unit, above 0 and at most 100 (`"100"`: free).
    pub percent_off: Decimal,
}

/// The scenario.
pub struct BuyXGetY;

fn matches(skus: &[String], categories: &[String], line: &Line<'_>) -> bool {
    skus.iter().any(|sku| sku == line.sku()) || line.in_any_category(categories)
}

fn check_scope(
    side: &str,
    skus: &[String],
    categories: &[String],
    quantity: u32,
) -> Vec<ParamProblem> {
    let mut problems = Vec::new();
    if skus.is_empty() == categories.is_empty() {
        problems.push(ParamProblem::new(
            format!("/{side}"),
            "set exactly one of skus and categories",
        ));
    }
    for (field, names) in [("skus", skus), ("categories", categories)] {
        for (i, name) in names.iter().enumerate() {
            if name.is_empty() {
                problems.push(ParamProblem::new(
                    format!("/{side}/{field}/{i}"),
                    "must not be empty",
                ));
            }
        }
    }
    if quantity == 0 {
        problems.push(ParamProblem::new(
            format!("/{side}/quantity"),
            "must be at least 1",
        ));
    }
    problems
}

impl Scenario for BuyXGetY {
    type Params = Params;
    const DESCRIPTION: &'static str = "Buy X, get Y: each application takes the required buy \
        units plus the rewarded units, and gives a percentage off the cheapest qualifying \
        reward units; a unit is never both bought and rewarded.";

    fn check(params: &Params) -> Vec<ParamProblem> {
        let Params { buy, get, .. } = params;
        let mut problems = check_scope("buy", &buy.skus, &buy.categories, buy.quantity);
        problems.extend(check_scope("get", &get.skus, &get.categories, get.quantity));
        if get.percent_off <= Decimal::ZERO || get.percent_off > Decimal::ONE_HUNDRED {
            problems.push(ParamProblem::new(
                "/get/percent_off",
                "must be above 0 and at most 100",
            ));
        }
        if params.max_applications == Some(0) {
            problems.push(ParamProblem::new("/max_applications", "must be at least 1"));
        }
        problems
    }

    fn evaluate(
        params: &Params,
        basket: &Basket<'_>,
        _context: &Context<'_>,
    ) -> Result<Vec<Effect>, ScenarioError> {
        let is_buy = |line: &Line<'_>| matches(&params.buy.skus, &params.buy.categories, line);
        let is_get = |line: &Line<'_>| matches(&params.get.skus, &params.get.categories, line);
        // Units that only pay, only get rewarded, or can do either.
        let (mut buy_only, mut get_only, mut shared) = (0u64, 0u64, 0u64);
        for line in basket.lines() {
            let units = u64::from(line.quantity());
            match (is_buy(&line), is_get(&line)) {
                (true, true) => shared += units,
                (true, false) => buy_only += units,
                (false, true) => get_only += units,
                (false, false) => {}
            }
        }
        let buy_each = u64::from(params.buy.quantity.max(1));
        let get_each = u64::from(params.get.quantity.max(1));
        let mut applications = ((buy_only + get_only + shared) / (buy_each + get_each))
            .min((buy_only + shared) / buy_each)
            .min((get_only + shared) / get_each);
        if let Some(max) = params.max_applications {
            applications = applications.min(u64::from(max));
        }
        if applications == 0 {
            return Ok(Vec::new());
        }
        // Shared units may be rewards only while enough buy-units remain to pay.
        let mut shared_left = shared.min(buy_only + shared - applications * buy_each);
        let mut needed = applications * get_each;
        let mut picks = Vec::new();
        for pick in basket.units_by_price(is_get) {
            if needed == 0 {
                break;
            }
            let is_shared = basket.line(pick.line).is_some_and(|line| is_buy(&line));
            let available = if is_shared {
                u64::from(pick.units).min(shared_left)
            } else {
                u64::from(pick.units)
            };
            let units = available.min(needed);
            if units == 0 {
                continue;
            }
            if is_shared {
                shared_left -= units;
            }
            needed -= units;
            picks.push(UnitPick {
                line: pick.line,
                units: u32::try_from(units).unwrap_or(pick.units),
            });
        }
        Ok(vec![effects::percent_off_units(
            &picks,
            params.get.percent_off,
        )])
    }
}

remise_sdk::register_scenario!(BuyXGetY);

#[cfg(test)]
mod tests {
    use super::*;
    use remise_sdk::testing::{check, dec, run, web_basket};
    use serde_json::{json, Value};

    /// "Buy 2 tops, get a 3rd free": buy and get sets are the same category.
    fn buy_two_get_one_free() -> Value {
        json!({
            "buy": { "categories": ["tops"], "quantity": 2 },
            "get": { "categories": ["tops"], "quantity": 1, "percent_off": "100" }
        })
    }

    fn pick(line: u32, units: u32) -> UnitPick {
        UnitPick { line, units }
    }

    #[test]
    fn empty_basket_gets_nothing() {
        assert_eq!(
            run::<BuyXGetY>(&buy_two_get_one_free(), &web_basket(json!([]))),
            Ok(vec![])
        );
    }

    #[test]
    fn the_bought_units_alone_give_nothing() {
        let lines = json!([{ "id": "1", "sku": "TEE", "quantity": 2, "unit_price": "20.00", "categories": ["tops"] }]);
        assert_eq!(
            run::<BuyXGetY>(&buy_two_get_one_free(), &web_basket(lines)),
            Ok(vec![])
        );
    }

    #[test]
    fn exactly_three_shared_units_reward_the_cheapest() {
        let lines = json!([
            { "id": "a", "sku": "TEE-A", "quantity": 1, "unit_price": "25.00", "categories": ["tops"] },
            { "id": "b", "sku": "TEE-B", "quantity": 1, "unit_price": "15.00", "categories": ["tops"] },
            { "id": "c", "sku": "TEE-C", "quantity": 1, "unit_price": "30.00", "categories": ["tops"] }
        ]);
        assert_eq!(
            run::<BuyXGetY>(&buy_two_get_one_free(), &web_basket(lines)),
            Ok(vec![effects::percent_off_units(&[pick(1, 1)], dec("100"))])
        );
    }

    #[test]
    fn several_applications_reward_the_cheapest_units_across_lines() {
        // 7 units: 2 applications (6 units), the 2 cheapest are free: 10.00 and one 20.00.
        let lines = json!([
            { "id": "a", "sku": "TEE-A", "quantity": 3, "unit_price": "20.00", "categories": ["tops"] },
            { "id": "b", "sku": "TEE-B", "quantity": 1, "unit_price": "10.00", "categories": ["tops"] },
            { "id": "c", "sku": "TEE-C", "quantity": 3, "unit_price": "30.00", "categories": ["tops"] },
            { "id": "d", "sku": "CAP", "quantity": 5, "unit_price": "1.00", "categories": ["hats"] }
        ]);
        assert_eq!(
            run::<BuyXGetY>(&buy_two_get_one_free(), &web_basket(lines.clone())),
            Ok(vec![effects::percent_off_units(
                &[pick(1, 1), pick(0, 1)],
                dec("100")
            )])
        );
        let mut capped = buy_two_get_one_free();
        capped["max_applications"] = json!(1);
        assert_eq!(
            run::<BuyXGetY>(&capped, &web_basket(lines)),
            Ok(vec![effects::percent_off_units(&[pick(1, 1)], dec("100"))])
        );
    }

    #[test]
    fn equal_prices_reward_the_earlier_line() {
        let params = json!({
            "buy": { "skus": ["MUG"], "quantity": 1 },
            "get": { "skus": ["MUG"], "quantity": 1, "percent_off": "50" }
        });
        let lines = json!([
            { "id": "1", "sku": "MUG", "quantity": 1, "unit_price": "8.00" },
            { "id": "2", "sku": "MUG", "quantity": 1, "unit_price": "8.00" }
        ]);
        assert_eq!(
            run::<BuyXGetY>(&params, &web_basket(lines)),
            Ok(vec![effects::percent_off_units(&[pick(0, 1)], dec("50"))])
        );
    }

    #[test]
    fn distinct_sets_reward_the_cheapest_get_units_per_bought_unit() {
        let params = json!({
            "buy": { "skus": ["SHOE-1", "SHOE-2"], "quantity": 1 },
            "get": { "categories": ["socks"], "quantity": 2, "percent_off": "50" }
        });
        let lines = json!([
            { "id": "1", "sku": "SHOE-1", "quantity": 1, "unit_price": "80.00", "categories": ["shoes"] },
            { "id": "2", "sku": "SOCK-A", "quantity": 3, "unit_price": "6.00", "categories": ["socks"] },
            { "id": "3", "sku": "SOCK-B", "quantity": 2, "unit_price": "4.50", "categories": ["socks"] },
            { "id": "4", "sku": "SHOE-2", "quantity": 1, "unit_price": "90.00", "categories": ["shoes"] }
        ]);
        // Two shoes, five socks: two applications, the four cheapest socks at half price.
        assert_eq!(
            run::<BuyXGetY>(&params, &web_basket(lines.clone())),
            Ok(vec![effects::percent_off_units(
                &[pick(2, 2), pick(1, 2)],
                dec("50")
            )])
        );
        // One shoe: one application.
        let one_shoe = Value::Array(lines.as_array().expect("lines")[..3].to_vec());
        assert_eq!(
            run::<BuyXGetY>(&params, &web_basket(one_shoe)),
            Ok(vec![effects::percent_off_units(&[pick(2, 2)], dec("50"))])
        );
    }

    #[test]
    fn a_unit_is_never_both_bought_and_rewarded() {
        // Line 0 is a shoe and an accessory: the only buy-unit, so it pays, and the dearer
        // accessory on line 1 is the reward.
        let params = json!({
            "buy": { "categories": ["shoes"], "quantity": 1 },
            "get": { "categories": ["accessories"], "quantity": 1, "percent_off": "100" }
        });
        let lines = json!([
            { "id": "1", "sku": "CLOG", "quantity": 1, "unit_price": "5.00", "categories": ["shoes", "accessories"] },
            { "id": "2", "sku": "BELT", "quantity": 1, "unit_price": "8.00", "categories": ["accessories"] }
        ]);
        assert_eq!(
            run::<BuyXGetY>(&params, &web_basket(lines)),
            Ok(vec![effects::percent_off_units(&[pick(1, 1)], dec("100"))])
        );
        // Alone, the clog cannot be bought and free at once.
        let alone = json!([{ "id": "1", "sku": "CLOG", "quantity": 1, "unit_price": "5.00", "categories": ["shoes", "accessories"] }]);
        assert_eq!(run::<BuyXGetY>(&params, &web_basket(alone)), Ok(vec![]));
    }

    #[test]
    fn the_percentage_keeps_its_exact_decimals() {
        let params = json!({
            "buy": { "skus": ["A"], "quantity": 1 },
            "get": { "skus": ["B"], "quantity": 1, "percent_off": "33.33" }
        });
        let lines = json!([
            { "id": "1", "sku": "A", "quantity": 1, "unit_price": "10.00" },
            { "id": "2", "sku": "B", "quantity": 4, "unit_price": "9.99" }
        ]);
        assert_eq!(
            run::<BuyXGetY>(&params, &web_basket(lines)),
            Ok(vec![effects::percent_off_units(
                &[pick(1, 1)],
                dec("33.33")
            )])
        );
    }

    #[test]
    fn nothing_eligible_gets_nothing() {
        let lines = json!([{ "id": "1", "sku": "JEANS", "quantity": 9, "unit_price": "50", "categories": ["bottoms"] }]);
        assert_eq!(
            run::<BuyXGetY>(&buy_two_get_one_free(), &web_basket(lines)),
            Ok(vec![])
        );
    }

    #[test]
    fn bad_params_are_named_by_pointer() {
        let problems = check::<BuyXGetY>(&json!({
            "buy": { "skus": ["A"], "categories": ["tops"], "quantity": 0 },
            "get": { "quantity": 1, "percent_off": "0" },
            "max_applications": 0
        }))
        .expect_err("refused");
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/buy",
                "/buy/quantity",
                "/get",
                "/get/percent_off",
                "/max_applications"
            ]
        );
        let problems = check::<BuyXGetY>(&json!({
            "buy": { "skus": [""], "quantity": 1 },
            "get": { "skus": ["B"], "quantity": 1, "percent_off": "100.01" }
        }))
        .expect_err("refused");
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers, ["/buy/skus/0", "/get/percent_off"]);
        let problems = check::<BuyXGetY>(&json!({
            "buy": { "skus": ["A"], "quantity": -1 },
            "get": { "skus": ["B"], "quantity": 1, "percent_off": "10" }
        }))
        .expect_err("negative quantity refused");
        assert_eq!(problems[0].pointer, "/buy/quantity");
    }
}
