//! `category-winback`: "vous nous avez manqué". A percentage off the basket's lines in the
//! categories the customer used to buy regularly and has not bought for a while, read from
//! their purchase history (contract 1.1's `customer::purchases`).
//!
//! A category of the basket (one of `categories` when the campaign names some) qualifies
//! when the customer's history holds at least `min_orders` orders of it and its last
//! purchase is at least `lapsed_days` days before the evaluation's local date. The history
//! reaches back the host's window (`customer::history_window_days`, 365 days by default),
//! so orders are counted within it. Every line in a qualifying category gets `percent_off`,
//! in one effect (each line once, however many of its categories qualify), with a message
//! in French. Anonymous baskets get nothing.

use remise_sdk::prelude::*;
use std::collections::BTreeSet;

/// The campaign parameters.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The percentage off the lines of the lapsed categories, above 0 and at most 100, such
    /// as `"15"`.
    pub percent_off: Decimal,
    /// The fewest orders of a category, within the history window, for the customer to
    /// count as buying it regularly; at least 1, 3 when absent.
    #[serde(default = "default_min_orders")]
    pub min_orders: u32,
    /// The fewest days since the last purchase of a category for it to count as lapsed;
    /// at least 1, 60 when absent.
    #[serde(default = "default_lapsed_days")]
    pub lapsed_days: u32,
    /// When set, only these categories can qualify.
    #[serde(default)]
    pub categories: Vec<String>,
}

fn default_min_orders() -> u32 {
    3
}

fn default_lapsed_days() -> u32 {
    60
}

/// The scenario.
pub struct CategoryWinback;

impl Scenario for CategoryWinback {
    type Params = Params;
    const DESCRIPTION: &'static str = "Category win-back: a percentage off the basket's lines \
        in the categories the customer bought regularly (min_orders orders in the purchase \
        history) and has not bought for lapsed_days days, optionally only some categories.";

    fn check(params: &Params) -> Vec<ParamProblem> {
        let mut problems = Vec::new();
        if params.percent_off <= Decimal::ZERO || params.percent_off > Decimal::ONE_HUNDRED {
            problems.push(ParamProblem::new(
                "/percent_off",
                "must be above 0 and at most 100",
            ));
        }
        if params.min_orders == 0 {
            problems.push(ParamProblem::new("/min_orders", "must be at least 1"));
        }
        if params.lapsed_days == 0 {
            problems.push(ParamProblem::new("/lapsed_days", "must be at least 1"));
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
        context: &Context<'_>,
    ) -> Result<Vec<Effect>, ScenarioError> {
        if basket.customer().is_none() {
            return Ok(Vec::new());
        }
        let Some(today) = context.local_date() else {
            return Ok(Vec::new());
        };
        let wanted = |category: &str| {
            !category.is_empty()
                && (params.categories.is_empty() || params.categories.iter().any(|c| c == category))
        };
        // Each category of the basket is asked about once.
        let mut asked = BTreeSet::new();
        let mut lapsed = BTreeSet::new();
        for line in basket.lines() {
            for category in line.categories().filter(|c| wanted(c)) {
                if !asked.insert(category) {
                    continue;
                }
                let Some(bought) = customer::purchases(ItemKind::Category, category) else {
                    continue;
                };
                if bought.orders >= params.min_orders
                    && bought.days_since_last(today) >= i64::from(params.lapsed_days)
                {
                    lapsed.insert(category);
                }
            }
        }
        if lapsed.is_empty() {
            return Ok(Vec::new());
        }
        let lines: Vec<u32> = basket
            .lines()
            .filter(|line| line.categories().any(|c| lapsed.contains(c)))
            .map(|line| line.index())
            .collect();
        Ok(vec![
            effects::percent_off_lines(lines, params.percent_off),
            effects::message(format!(
                "Vous nous avez manqué : {}\u{a0}% de remise sur vos catégories préférées",
                french_number(params.percent_off)
            )),
        ])
    }
}

/// A decimal as French writes it: `12,5`, `15`.
fn french_number(value: Decimal) -> String {
    value.normalize().to_string().replace('.', ",")
}

remise_sdk::register_scenario!(CategoryWinback);

#[cfg(test)]
mod tests {
    use super::*;
    use remise_sdk::chrono::Days;
    use remise_sdk::customer::Purchases;
    use remise_sdk::testing::{check, dec, run, with_customer_data, CustomerData};
    use serde_json::{json, Value};

    /// The evaluation's local date in these tests (the testing module's default `at`).
    const TODAY: (i32, u32, u32) = (2026, 1, 1);

    fn days_ago(days: u64) -> NaiveDate {
        let (y, m, d) = TODAY;
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|today| today.checked_sub_days(Days::new(days)))
            .expect("a real date")
    }

    fn bought(orders: u32, last_days_ago: u64) -> Purchases {
        Purchases {
            quantity: u64::from(orders) * 2,
            orders,
            first_purchase: days_ago(300),
            last_purchase: days_ago(last_days_ago),
        }
    }

    fn fifteen() -> Value {
        json!({ "percent_off": "15" })
    }

    fn basket() -> Value {
        json!({
            "currency": "EUR",
            "customer": { "id": "c-1" },
            "lines": [
                { "id": "1", "sku": "RUN", "quantity": 1, "unit_price": "80", "categories": ["shoes", "sport"] },
                { "id": "2", "sku": "TEE", "quantity": 2, "unit_price": "20", "categories": ["tops"] },
                { "id": "3", "sku": "TOTE", "quantity": 1, "unit_price": "30", "categories": ["bags"] },
                { "id": "4", "sku": "TRAIL", "quantity": 1, "unit_price": "90", "categories": ["shoes"] }
            ]
        })
    }

    fn evaluate(params: &Value, basket: &Value, data: CustomerData) -> Vec<Effect> {
        with_customer_data(data, || {
            run::<CategoryWinback>(params, basket).expect("evaluates")
        })
    }

    fn winback(lines: &[u32], percent: &str, shown: &str) -> Vec<Effect> {
        vec![
            effects::percent_off_lines(lines.iter().copied(), dec(percent)),
            effects::message(format!(
                "Vous nous avez manqué : {shown}\u{a0}% de remise sur vos catégories préférées"
            )),
        ]
    }

    #[test]
    fn a_regular_category_not_bought_for_a_while_is_discounted() {
        let data = CustomerData::default()
            .with_purchases(ItemKind::Category, "shoes", bought(4, 90))
            .with_purchases(ItemKind::Category, "tops", bought(5, 10))
            .with_purchases(ItemKind::Category, "bags", bought(1, 200));
        // shoes: regular and lapsed; tops: bought recently; bags: not regular.
        assert_eq!(
            evaluate(&fifteen(), &basket(), data),
            winback(&[0, 3], "15", "15")
        );
    }

    #[test]
    fn the_thresholds_are_inclusive() {
        let params = json!({ "percent_off": "12.5", "min_orders": 2, "lapsed_days": 30 });
        let exactly =
            CustomerData::default().with_purchases(ItemKind::Category, "bags", bought(2, 30));
        assert_eq!(
            evaluate(&params, &basket(), exactly),
            winback(&[2], "12.5", "12,5")
        );
        let a_day_short =
            CustomerData::default().with_purchases(ItemKind::Category, "bags", bought(2, 29));
        assert!(evaluate(&params, &basket(), a_day_short).is_empty());
        let an_order_short =
            CustomerData::default().with_purchases(ItemKind::Category, "bags", bought(1, 300));
        assert!(evaluate(&params, &basket(), an_order_short).is_empty());
    }

    #[test]
    fn each_line_once_however_many_of_its_categories_lapsed() {
        let data = CustomerData::default()
            .with_purchases(ItemKind::Category, "shoes", bought(3, 60))
            .with_purchases(ItemKind::Category, "sport", bought(3, 61))
            .with_purchases(ItemKind::Category, "bags", bought(9, 100));
        assert_eq!(
            evaluate(&fifteen(), &basket(), data),
            winback(&[0, 2, 3], "15", "15")
        );
    }

    #[test]
    fn categories_restrict_what_can_qualify() {
        let params = json!({ "percent_off": "20", "categories": ["sport", "bags"] });
        let data = CustomerData::default()
            .with_purchases(ItemKind::Category, "shoes", bought(3, 90))
            .with_purchases(ItemKind::Category, "sport", bought(3, 90));
        // shoes lapsed but is not a campaign category; line 0 qualifies through sport.
        assert_eq!(
            evaluate(&params, &basket(), data),
            winback(&[0], "20", "20")
        );
    }

    #[test]
    fn nothing_without_history_or_customer() {
        assert!(evaluate(&fifteen(), &basket(), CustomerData::default()).is_empty());
        let mut anonymous = basket();
        anonymous
            .as_object_mut()
            .expect("an object")
            .remove("customer");
        let data =
            CustomerData::default().with_purchases(ItemKind::Category, "shoes", bought(9, 90));
        assert!(evaluate(&fifteen(), &anonymous, data).is_empty());
        // A SKU history is not a category history.
        let skus = CustomerData::default().with_purchases(ItemKind::Sku, "shoes", bought(9, 90));
        assert!(evaluate(&fifteen(), &basket(), skus).is_empty());
    }

    #[test]
    fn bad_params_are_named_by_pointer() {
        let pointers = |params: Value| -> Vec<String> {
            check::<CategoryWinback>(&params)
                .expect_err("refused")
                .into_iter()
                .map(|problem| problem.pointer)
                .collect()
        };
        assert_eq!(pointers(json!({ "percent_off": "0" })), ["/percent_off"]);
        assert_eq!(
            pointers(json!({ "percent_off": "100.01" })),
            ["/percent_off"]
        );
        assert_eq!(
            pointers(
                json!({ "percent_off": "10", "min_orders": 0, "lapsed_days": 0, "categories": ["a", ""] })
            ),
            ["/min_orders", "/lapsed_days", "/categories/1"]
        );
        assert!(check::<CategoryWinback>(&json!({ "percent_off": "100" })).is_ok());
    }
}
