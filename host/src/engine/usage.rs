//! What campaigns have already used of their budgets, caps and coupons, and the checks of
//! docs/api.md step 2 that need it: redemption cap, budget left, per-customer frequency in
//! the campaign's own timezone, and a usable coupon of the campaign in the basket.
//!
//! The engine never reads the database: the service gathers a [`Usage`] for each
//! evaluation (from its counters, or inside the commit's transaction for a redemption).

use super::prefilter::{Reason, Rejection};
use crate::model::basket::Basket;
use crate::model::campaign::{Campaign, Period};
use crate::money::currency;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;

pub use crate::model::usage::{CampaignUsage, CouponState, CustomerUse, Usage};

/// What became of a coupon code of the basket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CouponStatus {
    /// Its campaign applied with it.
    Applied,
    /// Valid, but its campaign did not apply (see `rejected`).
    NotApplied,
    /// No such code.
    Unknown,
    /// Past its `expires_at`.
    Expired,
    /// Every use it allows is taken.
    UsedUp,
}

/// A coupon code of the basket and what became of it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CouponResult {
    /// The code as the basket wrote it.
    pub code: String,
    /// What became of it.
    pub status: CouponStatus,
    /// The campaign it belongs to, when it exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// Why a valid code did not apply when the code itself says why: a personal code of
    /// another customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What a personal code answers a basket that is not its customer's.
pub const NOT_YOURS: &str = "personal to another customer";

/// Why `state`'s code may not be used by `request`, if it may not: a personal code of
/// another customer ([`NOT_YOURS`]), or a reward limited to other channels.
fn unusable_by(state: &CouponState, request: &Basket) -> Option<String> {
    let owned = match &state.customer {
        None => true,
        Some(owner) => request
            .customer
            .as_ref()
            .is_some_and(|customer| &customer.id == owner),
    };
    if !owned {
        return Some(NOT_YOURS.to_string());
    }
    if !state.channels.is_empty() && !state.channels.contains(&request.channel) {
        return Some(format!("valid only in {}", state.channels.join(", ")));
    }
    None
}

/// Normalizes a coupon code: matching is case-insensitive and ignores surrounding spaces.
pub use crate::model::coupon::normalize as normalize_code;

/// What a known coupon's status is at `at`, before any campaign applies.
fn coupon_status(state: &CouponState, at: DateTime<Utc>) -> CouponStatus {
    if state.expires_at.is_some_and(|end| at >= end) {
        CouponStatus::Expired
    } else if state.uses >= state.uses_per_code {
        CouponStatus::UsedUp
    } else {
        CouponStatus::NotApplied
    }
}

/// Each coupon code of `request` with its status before any campaign applies
/// (`not_applied` for the usable ones).
pub fn coupon_results(usage: &Usage, request: &Basket, at: DateTime<Utc>) -> Vec<CouponResult> {
    request
        .coupons
        .iter()
        .map(|code| match usage.coupons.get(&normalize_code(code)) {
            Some(state) => {
                let status = coupon_status(state, at);
                let detail = if status == CouponStatus::NotApplied {
                    unusable_by(state, request)
                } else {
                    None
                };
                CouponResult {
                    code: code.clone(),
                    status,
                    campaign: Some(state.campaign.clone()),
                    detail,
                }
            }
            None => CouponResult {
                code: code.clone(),
                status: CouponStatus::Unknown,
                campaign: None,
                detail: None,
            },
        })
        .collect()
}

/// Whether `campaign`'s caps, budget, per-customer frequency and coupon let it be a
/// candidate for `request` at `at`. On success, the normalized coupon code it would
/// use (when it requires one).
pub fn check(
    usage: &Usage,
    campaign: &Campaign,
    request: &Basket,
    at: DateTime<Utc>,
) -> Result<Option<String>, Rejection> {
    let used = usage.campaigns.get(&campaign.id);
    let limits = &campaign.limits;
    if limits.budget.is_some() {
        // A budget is money in one currency: a basket in another is outside the
        // campaign, as a channel it does not target is, and never spends it.
        if let Some(kept_in) = budget_currency(campaign, used) {
            if kept_in != request.currency {
                return Err(Rejection::not_eligible(format!(
                    "its budget is in {kept_in}, the basket is in {}",
                    request.currency
                )));
            }
        }
    }
    if let Some(cap) = limits.redemptions {
        let redemptions = used.map_or(0, |u| u.redemptions);
        if redemptions >= cap {
            return Err(Rejection::new(
                Reason::LimitReached,
                format!("{redemptions} of {cap} redemptions used"),
            ));
        }
    }
    if limits.budget.is_some() {
        if let Some(granted_in) = granted_elsewhere(campaign, used) {
            return Err(Rejection::new(
                Reason::BudgetExhausted,
                format!(
                    "it granted discounts in {granted_in}, which its budget in {} \
                     cannot count",
                    request.currency
                ),
            ));
        }
        if left_in_budget(usage, campaign, &request.currency)
            .is_none_or(|left| left <= Decimal::ZERO)
        {
            return Err(Rejection::new(
                Reason::BudgetExhausted,
                "its budget is spent",
            ));
        }
    }
    if let Some(cap) = limits.per_customer {
        let Some(customer) = &request.customer else {
            return Err(Rejection::not_eligible(
                "a per-customer limit needs a customer id, the basket has none",
            ));
        };
        let period = limits.per_customer_period.unwrap_or(Period::Campaign);
        let uses = customer_uses(usage, campaign, at);
        if uses >= cap as usize {
            return Err(Rejection::new(
                Reason::LimitReached,
                format!(
                    "customer {} used it {uses} of {cap} times {}",
                    customer.id,
                    period_words(period)
                ),
            ));
        }
    }
    if campaign.coupon_required {
        return coupon_for(usage, campaign, request, at).map(Some);
    }
    Ok(None)
}

/// How many times the customer of `usage` redeemed `campaign` in the current period of its
/// per-customer cap (its whole life when it names none) at `at`.
pub fn customer_uses(usage: &Usage, campaign: &Campaign, at: DateTime<Utc>) -> usize {
    let period = campaign
        .limits
        .per_customer_period
        .unwrap_or(Period::Campaign);
    let today = at.with_timezone(&campaign.schedule.timezone()).date_naive();
    usage
        .customer
        .iter()
        .filter(|u| u.campaign == campaign.id && same_period(period, u.local_date, today))
        .count()
}

/// The first usable code of `campaign` in the basket, or why none is.
fn coupon_for(
    usage: &Usage,
    campaign: &Campaign,
    request: &Basket,
    at: DateTime<Utc>,
) -> Result<String, Rejection> {
    let mut unusable = None;
    for code in &request.coupons {
        let normalized = normalize_code(code);
        let Some(state) = usage.coupons.get(&normalized) else {
            continue;
        };
        if state.campaign != campaign.id {
            continue;
        }
        if let Some(why) = unusable_by(state, request) {
            unusable.get_or_insert_with(|| {
                Rejection::not_eligible(format!("coupon {normalized} is {why}"))
            });
            continue;
        }
        match coupon_status(state, at) {
            CouponStatus::NotApplied => return Ok(normalized),
            CouponStatus::Expired => {
                unusable.get_or_insert_with(|| {
                    Rejection::not_eligible(format!("coupon {normalized} has expired"))
                });
            }
            _ => {
                unusable.get_or_insert_with(|| {
                    Rejection::new(
                        Reason::LimitReached,
                        format!(
                            "coupon {normalized} is used up ({} of {} uses)",
                            state.uses, state.uses_per_code
                        ),
                    )
                });
            }
        }
    }
    Err(unusable.unwrap_or_else(|| {
        Rejection::not_eligible("coupon required, the basket has none of its codes")
    }))
}

/// What is left of `campaign`'s budget for a basket in `currency`, in that currency;
/// `None` when the budget is kept in another currency. Unlimited budgets are `None`
/// too: call only for campaigns with a budget.
pub fn left_in_budget(usage: &Usage, campaign: &Campaign, currency: &str) -> Option<Decimal> {
    budget_left(campaign, usage.campaigns.get(&campaign.id), currency)
}

/// Whether `campaign`, having `used` what it did, is out of redemptions or budget for
/// every basket, whatever its currency: what [`check`] would refuse before looking at the
/// basket's customer or coupons.
pub fn spent(campaign: &Campaign, used: Option<&CampaignUsage>) -> bool {
    let limits = &campaign.limits;
    if limits
        .redemptions
        .is_some_and(|cap| used.map_or(0, |u| u.redemptions) >= cap)
    {
        return true;
    }
    if limits.budget.is_none() {
        return false;
    }
    if granted_elsewhere(campaign, used).is_some() {
        return true;
    }
    // Known only once the budget names its currency or spent some of it; before, a basket
    // in any currency may still open it.
    budget_currency(campaign, used).is_some_and(|kept_in| {
        budget_left(campaign, used, kept_in).is_some_and(|left| left <= Decimal::ZERO)
    })
}

/// The currency `campaign`'s budget is kept in: the one it names, or for a campaign stored
/// before budgets named their currency, that of the first order that spent some of it
/// (`used.currency`); `None` while such a campaign has spent nothing.
pub fn budget_currency<'a>(
    campaign: &'a Campaign,
    used: Option<&'a CampaignUsage>,
) -> Option<&'a str> {
    campaign
        .limits
        .budget_currency
        .as_deref()
        .or_else(|| used.and_then(|u| u.currency.as_deref()))
}

/// The currency `campaign` granted its discounts in when it is not its budget's: a
/// campaign whose budget was moved to another currency by a write racing a commit (writes
/// refuse that move once the budget is spent). Such grants cannot be counted in the
/// budget's currency, so the budget is taken as spent, never as untouched.
pub fn granted_elsewhere<'a>(
    campaign: &Campaign,
    used: Option<&'a CampaignUsage>,
) -> Option<&'a str> {
    let used = used.filter(|u| u.granted_minor > 0)?;
    let granted_in = used.currency.as_deref()?;
    let kept_in = campaign.limits.budget_currency.as_deref()?;
    (granted_in != kept_in).then_some(granted_in)
}

/// What is left of `campaign`'s budget, having `used` what it did, for a basket in
/// `currency`, in that currency: `None` without a budget or when the budget is kept in
/// another currency, zero when it is spent.
pub fn budget_left(
    campaign: &Campaign,
    used: Option<&CampaignUsage>,
    currency: &str,
) -> Option<Decimal> {
    let budget = campaign.limits.budget?;
    let decimals = currency::minor_unit(currency)?;
    if budget_currency(campaign, used).is_some_and(|kept_in| kept_in != currency) {
        return None;
    }
    if granted_elsewhere(campaign, used).is_some() {
        return Some(from_minor(0, decimals));
    }
    let budget_minor = to_minor(budget, decimals)?;
    let granted = used.map_or(0, |u| u.granted_minor);
    Some(from_minor(
        budget_minor.saturating_sub(granted).max(0),
        decimals,
    ))
}

/// `amount` in minor units of a currency with `decimals` decimals, rounded down (a budget
/// of 10.005 EUR is 1,000 cents); `None` beyond `i64`.
pub fn to_minor(amount: Decimal, decimals: u32) -> Option<i64> {
    (amount * Decimal::from(10i64.pow(decimals)))
        .trunc()
        .to_i64()
}

/// Minor units back into an amount with `decimals` decimals.
pub fn from_minor(minor: i64, decimals: u32) -> Decimal {
    Decimal::new(minor, decimals)
}

/// Whether `date` falls in the same `period` as `today` (weeks start on Monday, ISO 8601).
fn same_period(period: Period, date: NaiveDate, today: NaiveDate) -> bool {
    match period {
        Period::Campaign => true,
        Period::Day => date == today,
        Period::Week => date.iso_week() == today.iso_week(),
        Period::Month => date.year() == today.year() && date.month() == today.month(),
    }
}

fn period_words(period: Period) -> &'static str {
    match period {
        Period::Campaign => "over the campaign",
        Period::Day => "today",
        Period::Week => "this week",
        Period::Month => "this month",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;
    use std::sync::Arc;

    fn campaign(extra: serde_json::Value) -> Campaign {
        let mut body = json!({ "id": "c", "name": "c", "plugin": "p", "params": {},
                               "status": "active" });
        for (k, v) in extra.as_object().expect("an object") {
            body[k] = v.clone();
        }
        serde_json::from_value(body).expect("a campaign")
    }

    fn basket(extra: serde_json::Value) -> Basket {
        let mut body = json!({ "currency": "EUR", "channel": "web", "lines": [] });
        for (k, v) in extra.as_object().expect("an object") {
            body[k] = v.clone();
        }
        serde_json::from_value(body).expect("a basket")
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("an instant")
    }

    fn used(redemptions: u64, granted_minor: i64) -> Usage {
        Usage {
            campaigns: Arc::new(HashMap::from([(
                "c".to_string(),
                CampaignUsage {
                    currency: Some("EUR".into()),
                    redemptions,
                    granted_minor,
                },
            )])),
            ..Usage::default()
        }
    }

    #[test]
    fn a_redemption_cap_reached_is_limit_reached() {
        let c = campaign(json!({ "limits": { "redemptions": 50 } }));
        let now = at("2026-03-08T12:00:00Z");
        assert_eq!(check(&used(49, 0), &c, &basket(json!({})), now), Ok(None));
        let rejection = check(&used(50, 0), &c, &basket(json!({})), now).expect_err("capped");
        assert_eq!(rejection.reason, Reason::LimitReached);
        assert_eq!(rejection.detail, "50 of 50 redemptions used");
    }

    #[test]
    fn budget_left_is_in_minor_units_of_its_currency() {
        let c = campaign(json!({ "limits": { "budget": "100.00", "budget_currency": "EUR" } }));
        let usage = used(3, 9_990);
        assert_eq!(left_in_budget(&usage, &c, "EUR"), Some(Decimal::new(10, 2)));
        assert_eq!(left_in_budget(&usage, &c, "USD"), None);
        let spent = used(4, 10_000);
        let rejection =
            check(&spent, &c, &basket(json!({})), at("2026-03-08T12:00:00Z")).expect_err("spent");
        assert_eq!(rejection.reason, Reason::BudgetExhausted);
        assert_eq!(rejection.detail, "its budget is spent");
        assert_eq!(to_minor(Decimal::new(10_005, 3), 2), Some(1_000));
        assert_eq!(to_minor(Decimal::new(5_000, 0), 0), Some(5_000));
    }

    #[test]
    fn a_basket_in_another_currency_than_the_budget_is_not_eligible() {
        let now = at("2026-03-08T12:00:00Z");
        let dollars = basket(json!({ "currency": "USD" }));
        let c = campaign(json!({ "limits": { "budget": "100.00", "budget_currency": "EUR" } }));
        // Before any order, and whatever the first order was in.
        for usage in [Usage::default(), used(3, 9_990)] {
            let rejection = check(&usage, &c, &dollars, now).expect_err("USD");
            assert_eq!(rejection.reason, Reason::NotEligible);
            assert_eq!(
                rejection.detail,
                "its budget is in EUR, the basket is in USD"
            );
            assert_eq!(check(&usage, &c, &basket(json!({})), now), Ok(None));
        }
        // Orders that granted nothing fixed no currency: a budget in USD counts from zero.
        let c = campaign(json!({ "limits": { "budget": "10.00", "budget_currency": "USD" } }));
        let nothing = Usage {
            campaigns: Arc::new(HashMap::from([(
                "c".to_string(),
                CampaignUsage {
                    currency: None,
                    redemptions: 2,
                    granted_minor: 0,
                },
            )])),
            ..Usage::default()
        };
        assert_eq!(check(&nothing, &c, &dollars, now), Ok(None));
        assert_eq!(
            left_in_budget(&nothing, &c, "USD"),
            Some(Decimal::new(1_000, 2))
        );
        // Granted in EUR, then moved to USD by a racing write: taken as spent.
        let moved = check(&used(1, 500), &c, &dollars, now).expect_err("moved");
        assert_eq!(moved.reason, Reason::BudgetExhausted);
        assert_eq!(
            moved.detail,
            "it granted discounts in EUR, which its budget in USD cannot count"
        );
        assert_eq!(
            left_in_budget(&used(1, 500), &c, "USD"),
            Some(Decimal::new(0, 2))
        );
    }

    #[test]
    fn a_budget_stored_without_its_currency_is_kept_in_that_of_its_first_discount() {
        let now = at("2026-03-08T12:00:00Z");
        let c = campaign(json!({ "limits": { "budget": "100.00" } }));
        let dollars = basket(json!({ "currency": "USD" }));
        // Nothing spent yet: any currency may spend it.
        assert_eq!(check(&Usage::default(), &c, &dollars, now), Ok(None));
        assert_eq!(
            left_in_budget(&Usage::default(), &c, "USD"),
            Some(Decimal::new(10_000, 2))
        );
        // Once spent in EUR, it is kept in EUR.
        let rejection = check(&used(3, 9_990), &c, &dollars, now).expect_err("USD");
        assert_eq!(rejection.reason, Reason::NotEligible);
        assert_eq!(
            rejection.detail,
            "its budget is in EUR, the basket is in USD"
        );
        assert_eq!(
            left_in_budget(&used(3, 9_990), &c, "EUR"),
            Some(Decimal::new(10, 2))
        );
    }

    #[test]
    fn per_customer_periods_count_in_the_campaign_timezone() {
        let c = |period: &str| {
            campaign(json!({ "schedule": { "timezone": "Europe/Paris" },
                             "limits": { "per_customer": 1, "per_customer_period": period } }))
        };
        let customer = basket(json!({ "customer": { "id": "c-1" } }));
        // One use on Sunday 8 March 2026, Paris time.
        let usage = Usage {
            customer: vec![CustomerUse {
                campaign: "c".into(),
                local_date: NaiveDate::from_ymd_opt(2026, 3, 8).expect("a date"),
            }],
            ..Usage::default()
        };
        // 23:30 UTC on the 8th is already Monday the 9th in Paris: a new day and a new
        // ISO week, the same month.
        let monday_paris = at("2026-03-08T23:30:00Z");
        let sunday_paris = at("2026-03-08T22:30:00Z");
        assert!(check(&usage, &c("day"), &customer, sunday_paris).is_err());
        assert_eq!(check(&usage, &c("day"), &customer, monday_paris), Ok(None));
        assert!(check(&usage, &c("week"), &customer, sunday_paris).is_err());
        assert_eq!(check(&usage, &c("week"), &customer, monday_paris), Ok(None));
        let month = check(&usage, &c("month"), &customer, monday_paris).expect_err("same month");
        assert_eq!(month.detail, "customer c-1 used it 1 of 1 times this month");
        assert!(check(
            &usage,
            &c("campaign"),
            &customer,
            at("2027-01-01T00:00:00Z")
        )
        .is_err());
        let anonymous =
            check(&usage, &c("day"), &basket(json!({})), monday_paris).expect_err("no customer");
        assert_eq!(anonymous.reason, Reason::NotEligible);
    }

    #[test]
    fn a_coupon_campaign_takes_its_first_usable_code() {
        let c = campaign(json!({ "coupon_required": true }));
        let state = |campaign: &str, uses, expires: Option<&str>| CouponState {
            campaign: campaign.into(),
            uses,
            uses_per_code: 1,
            expires_at: expires.map(at),
            customer: None,
            channels: Vec::new(),
        };
        let usage = Usage {
            coupons: HashMap::from([
                ("OTHER".to_string(), state("another", 0, None)),
                ("USED".to_string(), state("c", 1, None)),
                (
                    "OLD".to_string(),
                    state("c", 0, Some("2026-01-01T00:00:00Z")),
                ),
                ("GOOD".to_string(), state("c", 0, None)),
            ]),
            ..Usage::default()
        };
        let now = at("2026-03-08T12:00:00Z");
        let with = |codes: serde_json::Value| basket(json!({ "coupons": codes }));
        assert_eq!(
            check(&usage, &c, &with(json!(["other", "used", " good "])), now),
            Ok(Some("GOOD".into()))
        );
        let used_up =
            check(&usage, &c, &with(json!(["used", "old"])), now).expect_err("none usable");
        assert_eq!(used_up.reason, Reason::LimitReached);
        assert_eq!(used_up.detail, "coupon USED is used up (1 of 1 uses)");
        let expired = check(&usage, &c, &with(json!(["old"])), now).expect_err("expired");
        assert_eq!(expired.detail, "coupon OLD has expired");
        let foreign =
            check(&usage, &c, &with(json!(["OTHER", "nope"])), now).expect_err("none of its codes");
        assert_eq!(
            foreign.detail,
            "coupon required, the basket has none of its codes"
        );
        let results = coupon_results(&usage, &with(json!(["nope", "used", "Good", "old"])), now);
        let statuses: Vec<CouponStatus> = results.iter().map(|r| r.status.clone()).collect();
        assert_eq!(
            statuses,
            [
                CouponStatus::Unknown,
                CouponStatus::UsedUp,
                CouponStatus::NotApplied,
                CouponStatus::Expired
            ]
        );
        assert_eq!(results[2].code, "Good");
    }
}
