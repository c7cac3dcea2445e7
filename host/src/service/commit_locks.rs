//! What a commit locks, and whether the answer it priced outside its locks still holds
//! once it has them: a commit runs its plugins before locking anything, then locks only the
//! limited campaigns its answer takes from, re-reads their usage, and runs the plugins again
//! only when a limit would change the answer (docs/scaling.md, "Commits").

use super::evaluator::Snapshot;
use super::leases::LeaseBook;
use crate::engine::response::EvaluateResponse;
use crate::engine::usage::{self, Usage};
use crate::model::campaign::Campaign;
use crate::model::Basket;
use crate::store::CommitLock;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::collections::BTreeSet;

/// Whether what `campaign` may grant depends on what other orders took: a redemption cap,
/// a budget, a per-customer limit or coupons, whose uses are counted.
pub(super) fn is_limited(campaign: &Campaign) -> bool {
    let limits = &campaign.limits;
    limits.budget.is_some()
        || limits.redemptions.is_some()
        || limits.per_customer.is_some()
        || campaign.coupon_required
}

/// What committing `response` for order `order_id` locks: the order; every limited
/// campaign it applies but those this host takes from its budget leases (`leases`); and
/// its customer when it spends points or an applied campaign's
/// plugin read the customer's data (a balance or history another order may change).
pub(super) fn locks_of(
    order_id: &str,
    request: &Basket,
    response: &EvaluateResponse,
    snapshot: &Snapshot,
    leases: &LeaseBook,
) -> BTreeSet<CommitLock> {
    let mut locks = BTreeSet::from([CommitLock::Order(order_id.to_string())]);
    let mut reads_customer = !response.points_spent.is_empty();
    for applied in &response.applied {
        let Some(live) = snapshot.index.get(&applied.campaign) else {
            continue;
        };
        let leased = leases.limits_for(applied, &live.campaign).is_some();
        if (is_limited(&live.campaign) || applied.coupon.is_some()) && !leased {
            locks.insert(CommitLock::Campaign(applied.campaign.clone()));
        }
        reads_customer |= live.plugin.reads_customer();
    }
    if let (true, Some(customer)) = (reads_customer, &request.customer) {
        locks.insert(CommitLock::Customer(customer.id.clone()));
    }
    locks
}

/// The campaigns among `locks`.
pub(super) fn locked_campaigns(locks: &BTreeSet<CommitLock>) -> impl Iterator<Item = &str> {
    locks.iter().filter_map(|lock| match lock {
        CommitLock::Campaign(id) => Some(id.as_str()),
        _ => None,
    })
}

/// Whether `response`, which the engine gave for `request` at `at` against usage `priced`,
/// is still what it would give against `fresh`, read under the commit's locks: every
/// limited campaign it applies still grants the same ([`still_grants`]) and the customer's
/// data the plugins saw is unchanged. When it is not, the commit runs its plugins again
/// against `fresh`.
pub(super) fn still_holds(
    response: &EvaluateResponse,
    request: &Basket,
    snapshot: &Snapshot,
    priced: &Usage,
    fresh: &Usage,
    at: DateTime<Utc>,
) -> bool {
    let campaigns_hold = response.applied.iter().all(|applied| {
        snapshot.index.get(&applied.campaign).is_some_and(|live| {
            still_grants(&live.campaign, applied.discount, request, priced, fresh, at)
        })
    });
    campaigns_hold && priced.customer_data == fresh.customer_data
}

/// Whether `campaign`, which granted `discount` to `request` at `at` against usage
/// `priced`, grants the same against `fresh`: a campaign without limits always does; a
/// limited one when it still has room (a cap, the budget, the customer's uses, its coupon)
/// for `discount`, and, when `discount` was all that was left of its budget (it may have
/// been cut to it, `partial`), when the same is left.
pub(super) fn still_grants(
    campaign: &Campaign,
    discount: Decimal,
    request: &Basket,
    priced: &Usage,
    fresh: &Usage,
    at: DateTime<Utc>,
) -> bool {
    if !is_limited(campaign) {
        return true;
    }
    if usage::check(fresh, campaign, request, at).is_err() {
        return false;
    }
    if campaign.limits.budget.is_none() {
        return true;
    }
    let before = usage::left_in_budget(priced, campaign, &request.currency);
    let now = usage::left_in_budget(fresh, campaign, &request.currency);
    let room = now.is_some_and(|left| left >= discount);
    let cut = before == Some(discount);
    room && (!cut || now == before)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::usage::CampaignUsage;
    use serde_json::json;
    use std::collections::HashMap;
    use std::sync::Arc;

    fn campaign(limits: serde_json::Value) -> Campaign {
        serde_json::from_value(json!({
            "id": "c", "name": "c", "plugin": "p", "params": {}, "status": "active",
            "limits": limits,
        }))
        .expect("a campaign")
    }

    fn basket() -> Basket {
        serde_json::from_value(json!({ "currency": "EUR", "channel": "web", "lines": [] }))
            .expect("a basket")
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

    fn euros(cents: i64) -> Decimal {
        Decimal::new(cents, 2)
    }

    fn at() -> DateTime<Utc> {
        "2026-12-04T12:00:00Z".parse().expect("an instant")
    }

    /// Whether `campaign`, priced at `discount` against `priced`, still grants it against
    /// `fresh` (for the same basket, at the same time).
    fn grants(campaign: &Campaign, discount: Decimal, priced: &Usage, fresh: &Usage) -> bool {
        still_grants(campaign, discount, &basket(), priced, fresh, at())
    }

    #[test]
    fn a_campaign_without_limits_always_grants_the_same() {
        let free = campaign(json!({}));
        assert!(!is_limited(&free));
        let (priced, fresh) = (used(0, 0), used(1_000_000, 99_999_999));
        assert!(grants(&free, euros(500), &priced, &fresh));
    }

    #[test]
    fn a_budget_holds_while_the_discount_fits_in_what_is_left() {
        let budgeted = campaign(json!({ "budget": "100.00", "budget_currency": "EUR" }));
        assert!(is_limited(&budgeted));
        let priced = used(1, 1_000);
        // 90.00 left when priced; other orders took 80.00 meanwhile: 10.00 left.
        assert!(grants(&budgeted, euros(1_000), &priced, &used(9, 9_000)));
        assert!(!grants(&budgeted, euros(1_001), &priced, &used(9, 9_000)));
        assert!(!grants(&budgeted, euros(1), &priced, &used(10, 10_000)));
    }

    #[test]
    fn a_discount_cut_to_what_was_left_holds_only_when_the_same_is_left() {
        let partial = campaign(json!({ "budget": "100.00", "budget_currency": "EUR",
                                       "partial": true }));
        // Priced with 5.00 left, it granted 5.00: perhaps a 20.00 discount cut to it.
        let priced = used(19, 9_500);
        assert!(grants(&partial, euros(500), &priced, &used(19, 9_500)));
        // A cancel gave 10.00 back: the cut discount would be larger now.
        assert!(!grants(&partial, euros(500), &priced, &used(18, 8_500)));
        // Another order took 2.00: less is left than was granted.
        assert!(!grants(&partial, euros(500), &priced, &used(20, 9_700)));
    }

    #[test]
    fn a_cap_holds_while_a_redemption_is_left() {
        let capped = campaign(json!({ "redemptions": 50 }));
        let priced = used(10, 0);
        assert!(grants(&capped, euros(100), &priced, &used(49, 0)));
        assert!(!grants(&capped, euros(100), &priced, &used(50, 0)));
    }
}
