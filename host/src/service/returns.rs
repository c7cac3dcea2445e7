//! Partial returns (`POST /v1/redemptions/{order_id}/returns`, docs/returns.md): the lines
//! an order keeps are priced again under the campaigns and plugin versions that priced the
//! order (never today's), and the difference is what the till refunds, line by line to
//! the minor unit, and what goes back to budgets, caps, coupon uses and points.
//!
//! A return runs in the commits' turn and transaction, as a cancel does, so what it gives
//! back is exact however many hosts commit at once. The same `return_id` again answers the
//! first answer.

use super::evaluator::Snapshot;
use super::events;
use super::orders::{may_see, order_day, PricedCampaign};
use super::{Checked, Service, ServiceError};
use crate::auth::{KeyInfo, Role};
use crate::engine::prefilter::Reason;
use crate::engine::response::{money, EvaluateResponse};
use crate::engine::usage::{from_minor, normalize_code, to_minor, CouponState, Usage};
use crate::engine::CampaignIndex;
use crate::model::campaign::{Audience, CampaignLimits, Status};
use crate::model::order_return::{
    shares, HeldGift, HeldLine, HeldPoints, OrderState, ReturnRequest,
};
use crate::model::{Basket, Campaign, FieldProblem};
use crate::money::currency;
use crate::store::{CommitLock, HeldCampaign, NewReturn, PurchasedUnits, StoredReturn, TakeChange};
use chrono::{DateTime, SubsecRound, Utc};
use remise_model::customer_data::CustomerData;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// The answer to a return, and whether it is the answer first given to it.
#[derive(Debug)]
pub struct Returned {
    /// The answer, as JSON.
    pub response: serde_json::Value,
    /// `true` when this `return_id` was already recorded with these lines.
    pub replayed: bool,
}

/// The answer to a return.
#[derive(Debug, Serialize)]
struct ReturnAnswer {
    order_id: String,
    return_id: String,
    currency: String,
    returned_at: DateTime<Utc>,
    /// Per returned line: what those units had cost, what the kept lines lose of their
    /// discounts charged against it, and what the till refunds.
    lines: Vec<RefundLine>,
    refund_total: Decimal,
    withdrawn_total: Decimal,
    /// What the kept lines now cost beyond what the customer paid for the whole order,
    /// which a return never charges.
    #[serde(skip_serializing_if = "Decimal::is_zero")]
    unrecovered: Decimal,
    /// Each campaign the order held before this return, and what it grants after.
    campaigns: Vec<CampaignChange>,
    points_reversed: Vec<HeldPoints>,
    /// Points the order had spent that go back to the customer's balance (a campaign that
    /// spends points withdrawn, or spending fewer on the kept lines).
    #[serde(skip_serializing_if = "is_zero")]
    points_credited: i64,
    gifts_withdrawn: Vec<HeldGift>,
    /// The order after the return.
    order: OrderState,
}

#[derive(Debug, Serialize)]
struct RefundLine {
    id: String,
    quantity: u32,
    paid: Decimal,
    withdrawn: Decimal,
    refund: Decimal,
}

#[derive(Debug, Serialize)]
struct CampaignChange {
    campaign: String,
    discount_before: Decimal,
    discount_after: Decimal,
    /// `kept` (unchanged), `reduced`, `increased` or `withdrawn` (no longer applies).
    status: &'static str,
}

impl Service {
    /// Records the return `request` of order `order_id` by the key `caller` and answers
    /// what the till refunds. The order's own key, a marketing key (the call centre) or an
    /// admin key may return it; for any other key the order is not found.
    pub async fn return_lines(
        &self,
        order_id: &str,
        request: ReturnRequest,
        caller: &KeyInfo,
    ) -> Result<Returned, ServiceError> {
        if self.upstream.is_some() {
            return Err(ServiceError::Conflict(
                "this host is a store node: returns are taken at the centre, where the \
                 order's campaigns are counted"
                    .to_string(),
            ));
        }
        let turn = self.commit_turn().await?;
        let result = self.return_in_turn(order_id, request, caller).await;
        turn.end(&result);
        result
    }

    /// The returns of order `order_id` recorded so far, first first, as `caller` may see
    /// them.
    pub async fn returns_of(
        &self,
        order_id: &str,
        caller: &KeyInfo,
    ) -> Result<Vec<serde_json::Value>, ServiceError> {
        let visible = self
            .store
            .order_key(order_id)
            .await?
            .is_some_and(|owner| may_return(owner.as_deref(), caller));
        if !visible {
            return Err(not_found(order_id));
        }
        self.store
            .returns_of(order_id)
            .await?
            .iter()
            .map(stored_answer)
            .collect()
    }

    async fn return_in_turn(
        &self,
        order_id: &str,
        request: ReturnRequest,
        caller: &KeyInfo,
    ) -> Result<Returned, ServiceError> {
        let request_hash = fingerprint(&request);
        let mut tx = self
            .store
            .begin_commit(&[CommitLock::Order(order_id.to_string())])
            .await?;
        let order = tx
            .order_for_return(order_id)
            .await?
            .filter(|order| may_return(order.key_hash.as_deref(), caller))
            .ok_or_else(|| not_found(order_id))?;
        let returns = tx.returns(order_id).await?;
        if let Some(earlier) = returns.iter().find(|r| r.return_id == request.return_id) {
            if earlier.request_hash != request_hash {
                return Err(ServiceError::Conflict(format!(
                    "return {} of order {order_id} was recorded with other lines; a new \
                     return needs a new return_id",
                    request.return_id
                )));
            }
            return Ok(Returned {
                response: stored_answer(earlier)?,
                replayed: true,
            });
        }
        if order.cancelled_at.is_some() {
            return Err(ServiceError::Conflict(format!(
                "order {order_id} was cancelled: nothing is left to return"
            )));
        }
        let (Some(basket), Some(pricing)) = (&order.basket, &order.pricing) else {
            return Err(ServiceError::Conflict(format!(
                "order {order_id} was committed before orders kept what a return re-prices; \
                 it can only be cancelled as a whole"
            )));
        };
        let corrupt = |what: &str, why: String| {
            ServiceError::Unavailable(format!("the stored {what} of order {order_id}: {why}"))
        };
        let basket: Basket =
            serde_json::from_str(basket).map_err(|e| corrupt("basket", e.to_string()))?;
        let pricing: Vec<PricedCampaign> =
            serde_json::from_str(pricing).map_err(|e| corrupt("pricing", e.to_string()))?;
        let decimals = currency::minor_unit(&basket.currency)
            .ok_or_else(|| corrupt("basket", format!("currency {}", basket.currency)))?;
        let state = match returns.last() {
            Some(last) => serde_json::from_str(&last.kept)
                .map_err(|e| corrupt("return state", e.to_string()))?,
            None => {
                initial_state(&basket, &order.response).map_err(|why| corrupt("answer", why))?
            }
        };
        let returning = units_returned(order_id, &request, &state)?;
        let held = tx.held_campaigns(order_id).await?;
        // The plugins that asked about the customer at the order are told the same again,
        // except that the balance is what the order spends: the kept lines never spend
        // more than the order did.
        let spent = tx.points_spent_by(order_id).await?;
        let told = order
            .customer_data
            .as_deref()
            .map(serde_json::from_str::<CustomerData>)
            .transpose()
            .map_err(|e| corrupt("customer data", e.to_string()))?
            .map(|mut data| {
                data.points_balance = spent.values().sum::<i64>().max(0) as u64;
                Arc::new(data)
            });

        let now = self.clock.now().trunc_subsecs(6);
        let (kept_basket, kept_at) = kept_basket(&basket, &state, &returning);
        let repriced = if kept_basket.lines.is_empty() {
            None
        } else {
            Some(
                self.reprice(kept_basket, &pricing, &held, told, now)
                    .await?,
            )
        };
        let mut outcome = settle_return(Settle {
            order_id,
            request: &request,
            currency: &basket.currency,
            decimals,
            state: &state,
            returning: &returning,
            kept_at: &kept_at,
            held: &held,
            repriced: repriced.as_ref(),
            now,
        })?;

        for (campaign, before) in &spent {
            let after: u64 = repriced
                .iter()
                .flat_map(|response| &response.points_spent)
                .filter(|points| &points.campaign == campaign)
                .map(|points| points.points)
                .sum();
            let after = i64::try_from(after).unwrap_or(i64::MAX);
            if after < *before {
                outcome.answer.points_credited += tx
                    .refund_points(order_id, Some(campaign), Some(before - after), now)
                    .await?;
            }
        }
        if let Some(customer) = &order.customer_id {
            let units = PurchasedUnits::of(
                returning
                    .iter()
                    .filter_map(|&(line, units)| Some((basket.lines.get(line)?, units))),
            );
            tx.add_purchases(customer, order_day(&basket, &order), &units, -1, 0)
                .await?;
        }
        let response = serde_json::to_value(&outcome.answer)
            .map_err(|e| corrupt("return answer", e.to_string()))?;
        let kept = serde_json::to_string(&outcome.answer.order)
            .map_err(|e| corrupt("return state", e.to_string()))?;
        let stored = response.to_string();
        let changes: Vec<TakeChange<'_>> = held
            .iter()
            .zip(&outcome.after)
            .map(|(held, after)| TakeChange {
                campaign_id: &held.campaign_id,
                before_minor: held.discount_minor,
                after_minor: *after,
                coupon: held.coupon.as_deref(),
            })
            .collect();
        let points: Vec<(&str, i64)> = outcome
            .points
            .iter()
            .map(|(campaign, points)| (campaign.as_str(), *points))
            .collect();
        tx.record_return(&NewReturn {
            order_id,
            return_id: &request.return_id,
            seq: i64::try_from(returns.len()).unwrap_or(i64::MAX - 1) + 1,
            request_hash: &request_hash,
            response: &stored,
            kept: &kept,
            refund_minor: outcome.refund_minor,
            at: now,
            campaigns: changes,
            points,
        })
        .await?;
        tx.add_event(&events::returned(
            order.customer_id.as_deref(),
            &response,
            now,
        ))
        .await?;
        // Read on the return's own connection, as of the return.
        let usage = tx.usage().await?;
        tx.commit().await?;
        self.outbox.notify_one();
        self.evaluator.set_usage(usage);
        Ok(Returned {
            response,
            replayed: false,
        })
    }

    /// Prices `kept` under the campaigns of `pricing` the order still holds, as at the
    /// order: each pinned to the plugin version it ran on (the same build, by SHA-256),
    /// whatever its audience or limits are now, granting at most what it held.
    async fn reprice(
        &self,
        kept: Basket,
        pricing: &[PricedCampaign],
        held: &[HeldCampaign],
        told: Option<Arc<CustomerData>>,
        now: DateTime<Utc>,
    ) -> Result<EvaluateResponse, ServiceError> {
        let mut live = Vec::new();
        let mut coupons = HashMap::new();
        for priced in pricing {
            let Some(holds) = held
                .iter()
                .find(|held| held.campaign_id == priced.campaign.id)
            else {
                continue;
            };
            let campaign = as_at_order(&priced.campaign, holds, &kept.currency);
            let ran_on = format!(
                "{}@{}",
                campaign.plugin,
                campaign
                    .plugin_version
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            );
            let prepared = self
                .prepare(campaign, Checked::AsStored)
                .await
                .map_err(|problems| {
                    ServiceError::Conflict(format!(
                        "campaign {} cannot be priced as it was at the order ({ran_on}): {}",
                        priced.campaign.id,
                        problems
                            .iter()
                            .map(|p| format!("{}: {}", p.pointer, p.message))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ))
                })?;
            if prepared.plugin.sha256() != priced.sha256 {
                return Err(ServiceError::Conflict(format!(
                    "{ran_on}, which priced campaign {} of this order, is loaded with another \
                     build (sha256 {}, the order ran {})",
                    priced.campaign.id,
                    prepared.plugin.sha256(),
                    priced.sha256
                )));
            }
            if let Some(code) = &holds.coupon {
                coupons.insert(
                    normalize_code(code),
                    CouponState {
                        campaign: priced.campaign.id.clone(),
                        uses: 0,
                        uses_per_code: 1,
                        expires_at: None,
                        customer: None,
                        channels: Vec::new(),
                    },
                );
            }
            live.push(Arc::new(prepared));
        }
        let snapshot = Arc::new(Snapshot::new(
            Arc::new(CampaignIndex::new(live)),
            HashMap::new(),
        ));
        let usage = Usage {
            campaigns: Arc::default(),
            customer: Vec::new(),
            coupons,
            customer_data: told,
        };
        let (kept, mut response) = self
            .evaluator
            .run_commit(kept, false, snapshot.clone(), usage.clone(), now)
            .await?;
        if failed_run(&response).is_some() {
            // Perhaps only starved of CPU: one more run, with a new time budget.
            (_, response) = self
                .evaluator
                .run_commit(kept, false, snapshot, usage, now)
                .await?;
        }
        if let Some((campaign, detail)) = failed_run(&response) {
            return Err(ServiceError::Unavailable(format!(
                "campaign {campaign} could not be priced again on the kept lines ({detail}); \
                 nothing was recorded, retry the return"
            )));
        }
        Ok(response)
    }
}

/// Whether the key `caller` may return an order the key `owner` committed: the keys that
/// may see it, and marketing keys (the call centre returns for every channel).
fn may_return(owner: Option<&str>, caller: &KeyInfo) -> bool {
    caller.role == Role::Marketing || may_see(owner, caller)
}

fn not_found(order_id: &str) -> ServiceError {
    ServiceError::NotFound(format!("order {order_id} not found"))
}

fn stored_answer(stored: &StoredReturn) -> Result<serde_json::Value, ServiceError> {
    serde_json::from_str(&stored.response).map_err(|e| {
        ServiceError::Unavailable(format!("the stored return {}: {e}", stored.return_id))
    })
}

/// What tells a retry of a return from a conflicting reuse of its id: SHA-256 of its lines
/// sorted by id.
fn fingerprint(request: &ReturnRequest) -> String {
    let mut lines: Vec<(&str, u32)> = request
        .lines
        .iter()
        .map(|line| (line.id.as_str(), line.quantity))
        .collect();
    lines.sort_unstable();
    let canonical = serde_json::to_string(&lines).unwrap_or_default();
    format!("{:x}", Sha256::digest(canonical.as_bytes()))
}

/// The order as its commit left it: every line bought with its total, the gifts and the
/// points of the commit's answer.
fn initial_state(basket: &Basket, response: &str) -> Result<OrderState, String> {
    #[derive(Deserialize)]
    struct Answer {
        total: Decimal,
        lines: Vec<AnswerLine>,
        #[serde(default)]
        gifts: Vec<HeldGift>,
        #[serde(default)]
        points: Vec<HeldPoints>,
    }
    #[derive(Deserialize)]
    struct AnswerLine {
        id: String,
        total: Decimal,
    }
    let answer: Answer = serde_json::from_str(response).map_err(|e| e.to_string())?;
    if answer.lines.len() != basket.lines.len() {
        return Err("its lines are not the basket's".into());
    }
    let lines = basket
        .lines
        .iter()
        .zip(answer.lines)
        .map(|(line, priced)| {
            if priced.id == line.id {
                Ok(HeldLine {
                    id: line.id.clone(),
                    bought: line.quantity,
                    quantity: line.quantity,
                    total: priced.total,
                })
            } else {
                Err(format!(
                    "line {} is not the basket's {}",
                    priced.id, line.id
                ))
            }
        })
        .collect::<Result<_, String>>()?;
    Ok(OrderState {
        lines,
        gifts: answer.gifts,
        points: answer.points,
        total: answer.total,
    })
}

/// Each line of the order the request returns units of: (its index in `state.lines`,
/// units), or a 422 at each line unknown to the order or returned beyond what it holds.
fn units_returned(
    order_id: &str,
    request: &ReturnRequest,
    state: &OrderState,
) -> Result<Vec<(usize, u32)>, ServiceError> {
    let mut problems = Vec::new();
    let mut returning = Vec::with_capacity(request.lines.len());
    for (i, line) in request.lines.iter().enumerate() {
        match state.lines.iter().position(|held| held.id == line.id) {
            None => problems.push(FieldProblem::new(
                format!("/lines/{i}/id"),
                format!("order {order_id} has no line {:?}", line.id),
            )),
            Some(at) if line.quantity > state.lines[at].quantity => {
                let held = &state.lines[at];
                problems.push(FieldProblem::new(
                    format!("/lines/{i}/quantity"),
                    format!(
                        "returns {} units of line {:?}, and the order holds {} of the {} bought",
                        line.quantity, line.id, held.quantity, held.bought
                    ),
                ))
            }
            Some(at) => returning.push((at, line.quantity)),
        }
    }
    if problems.is_empty() {
        Ok(returning)
    } else {
        Err(ServiceError::Invalid(problems))
    }
}

/// The basket of the lines the order keeps after `returning`, and for each of its lines
/// the index of that line in `state.lines`.
fn kept_basket(
    basket: &Basket,
    state: &OrderState,
    returning: &[(usize, u32)],
) -> (Basket, Vec<usize>) {
    let mut kept = basket.clone();
    kept.lines.clear();
    let mut kept_at = Vec::new();
    for (at, (line, held)) in basket.lines.iter().zip(&state.lines).enumerate() {
        let back: u32 = returning
            .iter()
            .filter(|(line_at, _)| *line_at == at)
            .map(|(_, units)| units)
            .sum();
        let units = held.quantity.saturating_sub(back);
        if units > 0 {
            let mut line = line.clone();
            line.quantity = units;
            kept.lines.push(line);
            kept_at.push(at);
        }
    }
    (kept, kept_at)
}

/// `campaign` as a return prices it: as it was at the order, active, with no audience
/// (its audience let the order in) and no caps (the order already holds its use), its
/// budget what the order holds of it, so the kept lines never get more off than the whole
/// order did.
fn as_at_order(campaign: &Campaign, held: &HeldCampaign, currency: &str) -> Campaign {
    let mut campaign = campaign.clone();
    campaign.status = Status::Active;
    campaign.audience = Audience::default();
    campaign.limits = if held.discount_minor > 0 {
        let decimals = currency::minor_unit(currency).unwrap_or(2);
        CampaignLimits {
            budget: Some(from_minor(held.discount_minor, decimals)),
            budget_currency: Some(currency.to_string()),
            partial: true,
            ..CampaignLimits::default()
        }
    } else {
        CampaignLimits::default()
    };
    campaign
}

/// A campaign whose plugin could not run to the end (an error, out of fuel, memory or
/// time, effects that break the contract), with why: a return cannot tell what it would
/// have granted.
fn failed_run(response: &EvaluateResponse) -> Option<(String, String)> {
    response
        .rejected
        .iter()
        .find(|rejected| {
            matches!(
                rejected.rejection.reason,
                Reason::PluginError
                    | Reason::FuelExhausted
                    | Reason::MemoryExceeded
                    | Reason::Timeout
                    | Reason::InvalidEffects
                    | Reason::Suspended
            )
        })
        .map(|rejected| (rejected.campaign.clone(), rejected.rejection.detail.clone()))
}

/// What [`settle_return`] works from.
struct Settle<'a> {
    order_id: &'a str,
    request: &'a ReturnRequest,
    currency: &'a str,
    decimals: u32,
    state: &'a OrderState,
    returning: &'a [(usize, u32)],
    kept_at: &'a [usize],
    held: &'a [HeldCampaign],
    /// The kept lines priced again; `None` when nothing is kept.
    repriced: Option<&'a EvaluateResponse>,
    now: DateTime<Utc>,
}

/// A return worked out: its answer, each held campaign's discount after it (in the order
/// of `held`; `None`: withdrawn), the points each campaign now grants where that changed,
/// and the refund in minor units.
struct Settled {
    answer: ReturnAnswer,
    after: Vec<Option<i64>>,
    points: Vec<(String, i64)>,
    refund_minor: i64,
}

/// Works out what the till refunds per returned line and what every campaign, gift and
/// points grant becomes.
fn settle_return(settle: Settle<'_>) -> Result<Settled, ServiceError> {
    let decimals = settle.decimals;
    let minor = |amount: Decimal| {
        to_minor(amount, decimals).ok_or_else(|| {
            ServiceError::Unavailable(format!("amount {amount} of the return is out of range"))
        })
    };
    let amount = |minor: i64| money(from_minor(minor, decimals), decimals);
    let state = settle.state;

    // The order after the return.
    let mut lines: Vec<HeldLine> = state
        .lines
        .iter()
        .map(|line| HeldLine {
            quantity: 0,
            // Written to the currency's minor unit like every amount ("0.00", not "0").
            total: money(Decimal::ZERO, decimals),
            ..line.clone()
        })
        .collect();
    let (mut gifts, mut points, mut new_total) = (Vec::new(), Vec::new(), Decimal::ZERO);
    if let Some(repriced) = settle.repriced {
        for (priced, &at) in repriced.lines.iter().zip(settle.kept_at) {
            let held = state.lines[at].quantity
                - settle
                    .returning
                    .iter()
                    .filter(|(line_at, _)| *line_at == at)
                    .map(|(_, units)| units)
                    .sum::<u32>();
            lines[at].quantity = held;
            lines[at].total = money(priced.total, decimals);
        }
        gifts = repriced
            .gifts
            .iter()
            .map(|gift| HeldGift {
                campaign: gift.campaign.clone(),
                sku: gift.sku.clone(),
                quantity: gift.quantity,
            })
            .collect();
        points = repriced
            .points
            .iter()
            .map(|p| HeldPoints {
                campaign: p.campaign.clone(),
                points: p.points,
            })
            .collect();
        new_total = repriced.total;
    }

    // The refund: what the customer paid, less what the kept lines now cost, never below
    // zero; shared out over the returned lines by what their units had cost.
    let paid_before = minor(state.total)?;
    let owed_minor = paid_before - minor(new_total)?;
    let refund_minor = owed_minor.max(0);
    let unrecovered_minor = refund_minor - owed_minor;
    let mut paid = Vec::with_capacity(settle.returning.len());
    for &(at, units) in settle.returning {
        let line = &state.lines[at];
        let share = line.total * Decimal::from(units) / Decimal::from(line.quantity.max(1));
        paid.push(minor(share.round_dp_with_strategy(
            decimals,
            RoundingStrategy::MidpointAwayFromZero,
        ))?);
    }
    let paid_total: i64 = paid.iter().sum();
    let withdrawn_minor = paid_total - refund_minor;
    let withdrawn = shares(withdrawn_minor, &paid);
    let refund_lines = settle
        .request
        .lines
        .iter()
        .zip(paid.iter().zip(&withdrawn))
        .map(|(line, (&paid, &withdrawn))| RefundLine {
            id: line.id.clone(),
            quantity: line.quantity,
            paid: amount(paid),
            withdrawn: amount(withdrawn),
            refund: amount(paid - withdrawn),
        })
        .collect();

    // Each campaign the order held.
    let mut after = Vec::with_capacity(settle.held.len());
    let mut campaigns = Vec::with_capacity(settle.held.len());
    for held in settle.held {
        let now_grants = settle
            .repriced
            .and_then(|r| r.applied.iter().find(|a| a.campaign == held.campaign_id))
            .map(|applied| minor(applied.discount))
            .transpose()?;
        let status = match now_grants {
            None => "withdrawn",
            Some(grants) if grants < held.discount_minor => "reduced",
            Some(grants) if grants > held.discount_minor => "increased",
            Some(_) => "kept",
        };
        campaigns.push(CampaignChange {
            campaign: held.campaign_id.clone(),
            discount_before: amount(held.discount_minor),
            discount_after: amount(now_grants.unwrap_or(0)),
            status,
        });
        after.push(now_grants);
    }

    // Points and gifts the kept lines no longer earn.
    let mut points_reversed = Vec::new();
    let mut points_now = Vec::new();
    for before in &state.points {
        let now = points
            .iter()
            .find(|p| p.campaign == before.campaign)
            .map_or(0, |p| p.points);
        if now < before.points {
            points_reversed.push(HeldPoints {
                campaign: before.campaign.clone(),
                points: before.points - now,
            });
            points_now.push((
                before.campaign.clone(),
                i64::try_from(now).unwrap_or(i64::MAX),
            ));
        }
    }
    // Points never grow on a return: a campaign keeps at most what the order earned.
    for held in &mut points {
        if let Some(before) = state.points.iter().find(|p| p.campaign == held.campaign) {
            held.points = held.points.min(before.points);
        }
    }
    points.retain(|p| state.points.iter().any(|b| b.campaign == p.campaign));
    let gifts_withdrawn = state
        .gifts
        .iter()
        .filter_map(|before| {
            let now = gifts
                .iter()
                .filter(|g| g.campaign == before.campaign && g.sku == before.sku)
                .map(|g| g.quantity)
                .sum::<u32>();
            (now < before.quantity).then(|| HeldGift {
                quantity: before.quantity - now,
                ..before.clone()
            })
        })
        .collect();

    Ok(Settled {
        answer: ReturnAnswer {
            order_id: settle.order_id.to_string(),
            return_id: settle.request.return_id.clone(),
            currency: settle.currency.to_string(),
            returned_at: settle.now,
            lines: refund_lines,
            refund_total: amount(refund_minor),
            withdrawn_total: amount(withdrawn_minor),
            unrecovered: if unrecovered_minor == 0 {
                Decimal::ZERO
            } else {
                amount(unrecovered_minor)
            },
            campaigns,
            points_reversed,
            points_credited: 0,
            gifts_withdrawn,
            order: OrderState {
                lines,
                gifts,
                points,
                total: amount(paid_before - refund_minor),
            },
        },
        after,
        points: points_now,
        refund_minor,
    })
}

/// Whether a count is 0 (left out of an answer).
fn is_zero(points: &i64) -> bool {
    *points == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(lines: serde_json::Value) -> ReturnRequest {
        serde_json::from_value(json!({ "return_id": "r-1", "lines": lines })).expect("a request")
    }

    #[test]
    fn a_retry_is_the_same_lines_in_any_order() {
        let one = request(json!([{"id": "a", "quantity": 1}, {"id": "b", "quantity": 2}]));
        let other = request(json!([{"id": "b", "quantity": 2}, {"id": "a", "quantity": 1}]));
        assert_eq!(fingerprint(&one), fingerprint(&other));
        let more = request(json!([{"id": "a", "quantity": 2}, {"id": "b", "quantity": 2}]));
        assert_ne!(fingerprint(&one), fingerprint(&more));
    }
}
