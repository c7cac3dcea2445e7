//! The events the service writes to the outbox, each in the transaction of its change
//! (docs/webhooks.md "Events"): what every subscriber receives, as one JSON envelope
//! `{id, type, created_at, data}`, and when a commit moves a campaign past its objective
//! or its budget alert.

use crate::delivery::sign::new_event_id;
use crate::engine::response::{EvaluateResponse, RewardResult};
use crate::engine::usage;
use crate::model::campaign::Campaign;
use crate::model::usage::CampaignUsage;
use crate::model::webhook::EventType;
use crate::model::Basket;
use crate::money::currency;
use crate::store::{ForwardedOrder, NewEvent};
use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// The event `kind` about `customer` and `campaign`, with `data`, at `at`.
pub(super) fn event(
    kind: EventType,
    customer: Option<&str>,
    campaign: Option<&str>,
    at: DateTime<Utc>,
    data: Value,
) -> NewEvent {
    let id = new_event_id();
    let created_at = at.to_rfc3339_opts(SecondsFormat::Micros, true);
    let body = json!({ "id": id, "type": kind.as_str(), "created_at": created_at, "data": data });
    NewEvent {
        id,
        kind,
        customer_id: customer.map(str::to_string),
        campaign_id: campaign.map(str::to_string),
        created_at: at,
        body: body.to_string(),
    }
}

/// `redemption.committed`: the order, its totals and what each campaign gave.
pub(super) fn committed(
    order_id: &str,
    request: &Basket,
    response: &EvaluateResponse,
    at: DateTime<Utc>,
) -> NewEvent {
    let customer = request.customer.as_ref().map(|c| c.id.as_str());
    let answer = serde_json::to_value(response).unwrap_or_default();
    committed_from(order_id, customer, &json!(request.channel), &answer, at)
}

/// `redemption.committed` of an order a store node committed, taken back by the centre:
/// read from the answer its till was given, at the time the store committed it.
pub(super) fn forwarded(order: &ForwardedOrder) -> NewEvent {
    let answer = serde_json::from_str(&order.response).unwrap_or_default();
    committed_from(
        &order.order_id,
        order.customer_id.as_deref(),
        &json!(order.channel),
        &answer,
        order.committed_at,
    )
}

/// `redemption.committed` from the order's answer as JSON (the shape of
/// [`EvaluateResponse`]), which the commit and a store's forwarded order both have.
fn committed_from(
    order_id: &str,
    customer: Option<&str>,
    channel: &Value,
    answer: &Value,
    at: DateTime<Utc>,
) -> NewEvent {
    // `points_spent`, `rewards` and a campaign's `coupon` are left out of an answer when
    // empty: read as none.
    let list = |field: &str| {
        answer[field]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
    };
    let campaigns: Vec<Value> = list("applied")
        .iter()
        .map(|applied| {
            json!({ "campaign": applied["campaign"], "discount": applied["discount"],
                    "coupon": applied["coupon"] })
        })
        .collect();
    let points = |field: &str| -> Vec<Value> {
        list(field)
            .iter()
            .map(|p| json!({ "campaign": p["campaign"], "points": p["points"] }))
            .collect()
    };
    let rewards: Vec<&Value> = list("rewards")
        .iter()
        .map(|reward| &reward["code"])
        .filter(|code| !code.is_null())
        .collect();
    event(
        EventType::RedemptionCommitted,
        customer,
        None,
        at,
        json!({
            "order_id": order_id, "customer_id": customer, "channel": channel,
            "currency": answer["currency"], "subtotal": answer["subtotal"],
            "discount_total": answer["discount_total"], "total": answer["total"],
            "campaigns": campaigns,
            "points_earned": points("points"),
            "points_spent": points("points_spent"),
            "rewards": rewards,
        }),
    )
}

/// `reward.issued`: a reward code a commit gave its customer.
pub(super) fn reward_issued(
    order_id: &str,
    customer: &str,
    reward: &RewardResult,
    at: DateTime<Utc>,
) -> NewEvent {
    event(
        EventType::RewardIssued,
        Some(customer),
        Some(&reward.reward_campaign),
        at,
        json!({
            "order_id": order_id, "customer_id": customer, "campaign": reward.reward_campaign,
            "issued_by_campaign": reward.campaign, "code": reward.code,
            "expires_at": reward.expires_at, "channels": reward.channels,
        }),
    )
}

/// `redemption.cancelled`: the order, and its rewards withdrawn or kept (already used).
pub(super) fn cancelled(
    order_id: &str,
    customer: Option<&str>,
    withdrawn: &[String],
    kept: &[String],
    at: DateTime<Utc>,
) -> NewEvent {
    event(
        EventType::RedemptionCancelled,
        customer,
        None,
        at,
        json!({
            "order_id": order_id, "customer_id": customer,
            "cancelled_at": at.to_rfc3339_opts(SecondsFormat::Micros, true),
            "rewards_withdrawn": withdrawn, "rewards_kept": kept,
        }),
    )
}

/// `redemption.returned`: the return's answer (refunds, what each campaign grants
/// after it, points reversed), with the order's customer.
pub(super) fn returned(customer: Option<&str>, answer: &Value, at: DateTime<Utc>) -> NewEvent {
    let mut data = answer.clone();
    if let Some(fields) = data.as_object_mut() {
        fields.insert("customer_id".into(), json!(customer));
    }
    event(EventType::RedemptionReturned, customer, None, at, data)
}

/// `coupon.assigned`: a personal code a distribution gave a customer.
pub(super) fn assigned(
    campaign: &str,
    code: &str,
    customer: &str,
    expires_at: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> NewEvent {
    event(
        EventType::CouponAssigned,
        Some(customer),
        Some(campaign),
        at,
        json!({ "campaign": campaign, "customer_id": customer, "code": code,
                "expires_at": expires_at }),
    )
}

/// The campaign events an order moves `campaign` into, from its usage `before` to
/// `after`: `campaign.budget_low` once the share of the budget granted reaches
/// `low_percent`, `campaign.objective_met` once the budget or the redemption cap is
/// reached. Whether each was sent before is for the caller to check.
pub(super) fn crossed(
    campaign: &Campaign,
    before: &CampaignUsage,
    after: &CampaignUsage,
    low_percent: u8,
) -> Vec<(EventType, Value)> {
    let mut events = Vec::new();
    let limits = &campaign.limits;
    let budget = limits.budget.zip(
        limits
            .budget_currency
            .as_deref()
            .and_then(|code| Some((code, currency::minor_unit(code)?))),
    );
    let mut objective: Option<Value> = None;
    if let Some((budget, (code, decimals))) = budget {
        if let Some(budget_minor) = usage::to_minor(budget, decimals) {
            let granted = usage::from_minor(after.granted_minor, decimals);
            let left = (budget - granted).max(Decimal::ZERO);
            let low_minor = budget_minor * i64::from(low_percent) / 100;
            if before.granted_minor < low_minor && after.granted_minor >= low_minor {
                events.push((
                    EventType::CampaignBudgetLow,
                    json!({ "campaign": campaign.id, "budget": budget, "currency": code,
                            "granted": granted, "budget_left": left,
                            "threshold_percent": low_percent }),
                ));
            }
            if before.granted_minor < budget_minor && after.granted_minor >= budget_minor {
                objective = Some(json!({ "campaign": campaign.id, "objective": "budget",
                                         "budget": budget, "currency": code,
                                         "granted": granted, "redemptions": after.redemptions }));
            }
        }
    }
    if let Some(cap) = limits.redemptions {
        let (was, is) = (before.redemptions, after.redemptions);
        if objective.is_none() && was < cap && is >= cap {
            objective = Some(json!({ "campaign": campaign.id, "objective": "redemptions",
                                     "redemptions": is, "cap": cap }));
        }
    }
    if let Some(data) = objective {
        events.push((EventType::CampaignObjectiveMet, data));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forwarded_order_is_told_as_its_till_was_answered() {
        let order = ForwardedOrder {
            order_id: "T-1".into(),
            request_hash: "hash".into(),
            response: json!({
                "currency": "EUR", "subtotal": "120.00", "discount_total": "15.00",
                "total": "105.00", "lines": [], "gifts": [], "rejected": [],
                "applied": [
                    { "campaign": "spring", "plugin": "threshold-discount@1.0.0",
                      "discount": "12.00", "effects": [], "messages": [] },
                    { "campaign": "code", "plugin": "threshold-discount@1.0.0",
                      "discount": "3.00", "coupon": "SPRING3", "effects": [], "messages": [] }
                ],
                "points": [ { "campaign": "points", "points": 105 } ],
                "rewards": [ { "campaign": "b", "reward_campaign": "back", "valid_days": 30,
                               "channels": ["store"], "code": "BACK-7" } ]
            })
            .to_string(),
            customer_id: Some("c-1".into()),
            channel: "store".into(),
            key_hash: "key".into(),
            currency: "EUR".into(),
            campaigns: Vec::new(),
            points: Vec::new(),
            basket: "{}".into(),
            pricing: "[]".into(),
            customer_data: None,
            committed_at: DateTime::from_timestamp(1_796_000_000, 0).expect("a time"),
        };
        let event = forwarded(&order);
        assert_eq!(event.kind, EventType::RedemptionCommitted);
        assert_eq!(event.customer_id.as_deref(), Some("c-1"));
        assert_eq!(event.created_at, order.committed_at);
        let body: Value = serde_json::from_str(&event.body).expect("JSON");
        assert_eq!(
            body["data"],
            json!({
                "order_id": "T-1", "customer_id": "c-1", "channel": "store", "currency": "EUR",
                "subtotal": "120.00", "discount_total": "15.00", "total": "105.00",
                "campaigns": [
                    { "campaign": "spring", "discount": "12.00", "coupon": null },
                    { "campaign": "code", "discount": "3.00", "coupon": "SPRING3" }
                ],
                "points_earned": [ { "campaign": "points", "points": 105 } ],
                "points_spent": [],
                "rewards": ["BACK-7"]
            })
        );
    }

    fn usage(granted_minor: i64, redemptions: u64) -> CampaignUsage {
        CampaignUsage {
            currency: Some("EUR".into()),
            redemptions,
            granted_minor,
        }
    }

    #[test]
    fn a_commit_crosses_the_alert_then_the_objective_once_each() {
        let mut campaign: Campaign =
            serde_json::from_value(crate::model::campaign::testing::spec_example())
                .expect("the example campaign");
        campaign.limits.budget = Some(Decimal::new(100, 0));
        campaign.limits.budget_currency = Some("EUR".into());
        campaign.limits.redemptions = Some(10);
        let kinds = |before, after| {
            crossed(&campaign, &before, &after, 80)
                .into_iter()
                .map(|(kind, _)| kind)
                .collect::<Vec<_>>()
        };
        assert_eq!(kinds(usage(0, 0), usage(7_000, 1)), vec![]);
        assert_eq!(
            kinds(usage(7_000, 1), usage(8_000, 2)),
            vec![EventType::CampaignBudgetLow]
        );
        assert_eq!(kinds(usage(8_000, 2), usage(9_000, 3)), vec![]);
        assert_eq!(
            kinds(usage(7_000, 1), usage(10_000, 2)),
            vec![
                EventType::CampaignBudgetLow,
                EventType::CampaignObjectiveMet
            ]
        );
        assert_eq!(
            kinds(usage(100, 9), usage(200, 10)),
            vec![EventType::CampaignObjectiveMet]
        );
    }
}
