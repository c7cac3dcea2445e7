//! `loyalty-reward`: the reward of the customer's loyalty tier ("gold: 10 % off", "silver: a
//! free tote"), plus a birthday reward when the basket is priced within `window_days` days
//! of the customer's birthday, before or after it.
//!
//! Tier names match the customer's `loyalty_tier` exactly (case included). The birthday is
//! the anniversary of the birthdate nearest the evaluation's local date, across New Year
//! too; someone born on 29 February celebrates on 28 February in other years. Anonymous
//! customers, customers without a tier (no tier reward) or a birthdate (no birthday reward)
//! and empty baskets get nothing. When both apply, the tier reward comes first; two
//! percentages are both taken off the same order base (they do not compound). How often a
//! customer gets the birthday reward is the campaign's `per_customer` limit, not the plugin's.

use remise_sdk::prelude::*;
use std::collections::BTreeMap;

/// The largest birthday window: beyond half a year, every day would qualify.
pub const MAX_WINDOW_DAYS: u32 = 183;

/// The campaign parameters.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The reward of each loyalty tier, by tier name (such as `gold`). May be empty when
    /// `birthday` is set.
    pub tiers: BTreeMap<String, Reward>,
    /// A reward around the customer's birthday, whatever their tier.
    #[serde(default)]
    pub birthday: Option<Birthday>,
}

/// A tier's reward: exactly one of `percent_off`, `gift_sku`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reward {
    /// A percentage off the order, above 0 and at most 100, such as `"10"`.
    #[serde(default)]
    pub percent_off: Option<Decimal>,
    /// The SKU of a free item.
    #[serde(default)]
    pub gift_sku: Option<String>,
    /// How many of the free item, 1 to 1,000; 1 when absent. Only with `gift_sku`.
    #[serde(default)]
    pub gift_quantity: Option<u32>,
}

/// The birthday reward: a window and exactly one of `percent_off`, `gift_sku`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Birthday {
    /// Days before or after the birthday during which it applies, 0 (the day itself) to 183.
    pub window_days: u32,
    /// A percentage off the order, above 0 and at most 100, such as `"20"`.
    #[serde(default)]
    pub percent_off: Option<Decimal>,
    /// The SKU of a free item.
    #[serde(default)]
    pub gift_sku: Option<String>,
    /// How many of the free item, 1 to 1,000; 1 when absent. Only with `gift_sku`.
    #[serde(default)]
    pub gift_quantity: Option<u32>,
}

/// The scenario.
pub struct LoyaltyReward;

/// The effect of a reward; `None` when it names nothing (params never checked).
fn reward(
    percent_off: Option<Decimal>,
    gift_sku: Option<&String>,
    quantity: Option<u32>,
) -> Option<Effect> {
    match (percent_off, gift_sku) {
        (Some(percent), None) => Some(effects::percent_off_order(percent)),
        (None, Some(sku)) => Some(effects::gift(sku.as_str(), quantity.unwrap_or(1).max(1))),
        _ => None,
    }
}

fn check_reward(
    at: &str,
    percent_off: Option<Decimal>,
    gift_sku: Option<&String>,
    quantity: Option<u32>,
) -> Vec<ParamProblem> {
    let mut problems = Vec::new();
    match (percent_off, gift_sku) {
        (Some(p), None) if p <= Decimal::ZERO || p > Decimal::ONE_HUNDRED => {
            problems.push(ParamProblem::new(
                format!("{at}/percent_off"),
                "must be above 0 and at most 100",
            ))
        }
        (None, Some(sku)) if sku.is_empty() || sku.len() > limits::MAX_GIFT_SKU_BYTES => problems
            .push(ParamProblem::new(
                format!("{at}/gift_sku"),
                "must be 1 to 256 bytes long",
            )),
        (Some(_), Some(_)) | (None, None) => problems.push(ParamProblem::new(
            at,
            "set exactly one of percent_off and gift_sku",
        )),
        _ => {}
    }
    match quantity {
        Some(q) if q == 0 || q > limits::MAX_GIFT_QUANTITY => problems.push(ParamProblem::new(
            format!("{at}/gift_quantity"),
            "must be 1 to 1000",
        )),
        Some(_) if gift_sku.is_none() => problems.push(ParamProblem::new(
            format!("{at}/gift_quantity"),
            "only a gift_sku has a quantity",
        )),
        _ => {}
    }
    problems
}

/// A JSON pointer segment (RFC 6901): `~` and `/` escaped.
fn segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The (year, month, day) `days` after 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days between `today` and the nearest anniversary of `birth` (both in days since
/// 1970-01-01); 29 February falls on 28 February in common years.
fn days_from_birthday(birth: i64, today: i64) -> i64 {
    let (_, month, day) = civil_from_days(birth);
    let (year, _, _) = civil_from_days(today);
    (year - 1..=year + 1)
        .map(|y| {
            let day = if month == 2 && day == 29 && !is_leap(y) {
                28
            } else {
                day
            };
            (days_from_civil(y, month, day) - today).abs()
        })
        .min()
        .unwrap_or(i64::MAX)
}

impl Scenario for LoyaltyReward {
    type Params = Params;
    const DESCRIPTION: &'static str = "Loyalty rewards: a percentage off the order or a gift \
        by the customer's loyalty tier, and a birthday reward within a window of days around \
        their birthday.";

    fn check(params: &Params) -> Vec<ParamProblem> {
        let mut problems = Vec::new();
        if params.tiers.is_empty() && params.birthday.is_none() {
            problems.push(ParamProblem::new(
                "/tiers",
                "name at least one tier or set a birthday reward",
            ));
        }
        for (name, tier) in &params.tiers {
            let at = format!("/tiers/{}", segment(name));
            if name.is_empty() {
                problems.push(ParamProblem::new(
                    at.as_str(),
                    "a tier name must not be empty",
                ));
            }
            problems.extend(check_reward(
                &at,
                tier.percent_off,
                tier.gift_sku.as_ref(),
                tier.gift_quantity,
            ));
        }
        if let Some(birthday) = &params.birthday {
            if birthday.window_days > MAX_WINDOW_DAYS {
                problems.push(ParamProblem::new(
                    "/birthday/window_days",
                    format!("must be at most {MAX_WINDOW_DAYS}"),
                ));
            }
            problems.extend(check_reward(
                "/birthday",
                birthday.percent_off,
                birthday.gift_sku.as_ref(),
                birthday.gift_quantity,
            ));
        }
        problems
    }

    fn evaluate(
        params: &Params,
        basket: &Basket<'_>,
        context: &Context<'_>,
    ) -> Result<Vec<Effect>, ScenarioError> {
        let Some(customer) = basket.customer() else {
            return Ok(Vec::new());
        };
        if basket.is_empty() {
            return Ok(Vec::new());
        }
        let mut effects = Vec::new();
        if let Some(tier) = customer
            .loyalty_tier()
            .and_then(|name| params.tiers.get(name))
        {
            effects.extend(reward(
                tier.percent_off,
                tier.gift_sku.as_ref(),
                tier.gift_quantity,
            ));
        }
        if let (Some(birthday), Some(birthdate), Some(today)) =
            (&params.birthday, customer.birthdate(), context.local_date())
        {
            let distance = days_from_birthday(
                i64::from(birthdate.to_epoch_days()),
                i64::from(today.to_epoch_days()),
            );
            if distance <= i64::from(birthday.window_days) {
                effects.extend(reward(
                    birthday.percent_off,
                    birthday.gift_sku.as_ref(),
                    birthday.gift_quantity,
                ));
            }
        }
        Ok(effects)
    }
}

remise_sdk::register_scenario!(LoyaltyReward);

#[cfg(test)]
mod tests {
    use super::*;
    use remise_sdk::testing::{check, dec, run};
    use serde_json::{json, Value};

    const LINES: &str = r#"[{ "id": "1", "sku": "A", "quantity": 1, "unit_price": "40.00" }]"#;

    fn basket(at: &str, customer: Value) -> Value {
        let lines: Value = serde_json::from_str(LINES).expect("lines");
        json!({ "currency": "EUR", "channel": "web", "at": at, "customer": customer, "lines": lines })
    }

    fn customer(tier: Option<&str>, birthdate: Option<&str>) -> Value {
        json!({ "id": "c-1", "loyalty_tier": tier, "birthdate": birthdate })
    }

    fn tiers() -> Value {
        json!({ "tiers": {
            "gold": { "percent_off": "10" },
            "silver": { "gift_sku": "TOTE" },
            "platinum": { "gift_sku": "MUG", "gift_quantity": 2 }
        } })
    }

    fn birthday(window_days: u32) -> Value {
        json!({ "tiers": {}, "birthday": { "window_days": window_days, "percent_off": "15" } })
    }

    const NOON: &str = "2026-03-08T12:00:00+01:00";

    #[test]
    fn each_tier_gets_its_reward() {
        let gold = basket(NOON, customer(Some("gold"), None));
        assert_eq!(
            run::<LoyaltyReward>(&tiers(), &gold),
            Ok(vec![effects::percent_off_order(dec("10"))])
        );
        let silver = basket(NOON, customer(Some("silver"), None));
        assert_eq!(
            run::<LoyaltyReward>(&tiers(), &silver),
            Ok(vec![effects::gift("TOTE", 1)])
        );
        let platinum = basket(NOON, customer(Some("platinum"), None));
        assert_eq!(
            run::<LoyaltyReward>(&tiers(), &platinum),
            Ok(vec![effects::gift("MUG", 2)])
        );
    }

    #[test]
    fn anonymous_unknown_tier_no_tier_and_empty_basket_get_nothing() {
        let mut anonymous = basket(NOON, Value::Null);
        anonymous
            .as_object_mut()
            .expect("object")
            .remove("customer");
        assert_eq!(run::<LoyaltyReward>(&tiers(), &anonymous), Ok(vec![]));
        let bronze = basket(NOON, customer(Some("bronze"), None));
        assert_eq!(run::<LoyaltyReward>(&tiers(), &bronze), Ok(vec![]));
        let gold_case = basket(NOON, customer(Some("Gold"), None));
        assert_eq!(run::<LoyaltyReward>(&tiers(), &gold_case), Ok(vec![]));
        let no_tier = basket(NOON, customer(None, Some("1990-03-08")));
        assert_eq!(run::<LoyaltyReward>(&tiers(), &no_tier), Ok(vec![]));
        let mut empty = basket(NOON, customer(Some("gold"), Some("1990-03-08")));
        empty["lines"] = json!([]);
        assert_eq!(run::<LoyaltyReward>(&birthday(3), &empty), Ok(vec![]));
    }

    #[test]
    fn tier_and_birthday_rewards_both_apply() {
        let params = json!({
            "tiers": { "gold": { "percent_off": "10" } },
            "birthday": { "window_days": 7, "gift_sku": "CAKE" }
        });
        let gold = basket(NOON, customer(Some("gold"), Some("1990-03-10")));
        assert_eq!(
            run::<LoyaltyReward>(&params, &gold),
            Ok(vec![
                effects::percent_off_order(dec("10")),
                effects::gift("CAKE", 1)
            ])
        );
        let no_birthdate = basket(NOON, customer(Some("gold"), None));
        assert_eq!(
            run::<LoyaltyReward>(&params, &no_birthdate),
            Ok(vec![effects::percent_off_order(dec("10"))])
        );
    }

    #[test]
    fn the_window_edges_count_before_and_after() {
        let fifteen = Ok(vec![effects::percent_off_order(dec("15"))]);
        for birthdate in ["1990-03-10", "1990-03-06", "1990-03-08"] {
            let b = basket(NOON, customer(None, Some(birthdate)));
            assert_eq!(
                run::<LoyaltyReward>(&birthday(2), &b),
                fifteen,
                "{birthdate}"
            );
        }
        for birthdate in ["1990-03-11", "1990-03-05"] {
            let b = basket(NOON, customer(None, Some(birthdate)));
            assert_eq!(
                run::<LoyaltyReward>(&birthday(2), &b),
                Ok(vec![]),
                "{birthdate}"
            );
        }
        // The local date is the evaluation's: 23:30 in Paris is still 8 March.
        let late = basket(
            "2026-03-08T23:30:00+01:00",
            customer(None, Some("1990-03-10")),
        );
        assert_eq!(run::<LoyaltyReward>(&birthday(2), &late), fifteen);
        let day_itself = basket(NOON, customer(None, Some("1990-03-08")));
        assert_eq!(run::<LoyaltyReward>(&birthday(0), &day_itself), fifteen);
    }

    #[test]
    fn the_window_spans_new_year() {
        let fifteen = Ok(vec![effects::percent_off_order(dec("15"))]);
        let december = basket("2026-12-30T10:00:00Z", customer(None, Some("1985-01-02")));
        assert_eq!(run::<LoyaltyReward>(&birthday(3), &december), fifteen);
        assert_eq!(run::<LoyaltyReward>(&birthday(2), &december), Ok(vec![]));
        let january = basket("2027-01-02T10:00:00Z", customer(None, Some("1985-12-30")));
        assert_eq!(run::<LoyaltyReward>(&birthday(3), &january), fifteen);
        assert_eq!(run::<LoyaltyReward>(&birthday(2), &january), Ok(vec![]));
    }

    #[test]
    fn leap_day_birthdays_fall_on_28_february_in_common_years() {
        let fifteen = Ok(vec![effects::percent_off_order(dec("15"))]);
        let leapling = |at: &str| basket(at, customer(None, Some("2000-02-29")));
        assert_eq!(
            run::<LoyaltyReward>(&birthday(0), &leapling("2027-02-28T12:00:00Z")),
            fifteen
        );
        assert_eq!(
            run::<LoyaltyReward>(&birthday(0), &leapling("2027-03-01T12:00:00Z")),
            Ok(vec![])
        );
        assert_eq!(
            run::<LoyaltyReward>(&birthday(1), &leapling("2027-03-01T12:00:00Z")),
            fifteen
        );
        assert_eq!(
            run::<LoyaltyReward>(&birthday(0), &leapling("2028-02-29T12:00:00Z")),
            fifteen
        );
        assert_eq!(
            run::<LoyaltyReward>(&birthday(0), &leapling("2028-02-28T12:00:00Z")),
            Ok(vec![])
        );
        // 2100 is not a leap year.
        assert_eq!(
            run::<LoyaltyReward>(&birthday(0), &leapling("2100-02-28T12:00:00Z")),
            fifteen
        );
    }

    #[test]
    fn calendar_arithmetic_matches_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2005, 9, 10), 13_036);
        for days in -800_000..800_000 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn bad_params_are_named_by_pointer() {
        let problems = check::<LoyaltyReward>(&json!({
            "tiers": {
                "gold": { "percent_off": "10", "gift_sku": "TOTE" },
                "a/b": { "percent_off": "0" },
                "silver": { "gift_sku": "", "gift_quantity": 0 },
                "vip": { "percent_off": "5", "gift_quantity": 2 }
            },
            "birthday": { "window_days": 400 }
        }))
        .expect_err("refused");
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/tiers/a~1b/percent_off",
                "/tiers/gold",
                "/tiers/silver/gift_sku",
                "/tiers/silver/gift_quantity",
                "/tiers/vip/gift_quantity",
                "/birthday/window_days",
                "/birthday",
            ]
        );
        let problems = check::<LoyaltyReward>(&json!({ "tiers": {} })).expect_err("nothing");
        assert_eq!(problems[0].pointer, "/tiers");
        let problems = check::<LoyaltyReward>(
            &json!({ "tiers": { "gold": { "percent_off": "10", "amount": "1" } } }),
        )
        .expect_err("unknown field refused");
        assert_eq!(problems[0].pointer, "/tiers/gold/amount");
    }
}
