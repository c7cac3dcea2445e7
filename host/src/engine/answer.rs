//! Stage 5: the answer. Totals and lines from the priced basket, the applied campaigns
//! with their effects and amounts, gifts, points, messages, coupon codes, and every
//! rejection of the stages before, in stage order.

use super::response::{
    money as exact, AppliedCampaign, EvaluateResponse, GiftResult, LineResult, PointsResult,
    PricedEffect, RewardResult,
};
use super::run::Proposals;
use super::select::Selection;
use super::settle::Settlement;
use super::usage::{self, CouponResult, CouponStatus};
use super::Request;
use crate::model::{Effect, Usage};
use crate::money::Priced;

/// Everything the stages before found out about one evaluation.
pub struct Outcome<'a> {
    /// The request.
    pub request: Request<'a>,
    /// The decimals of the basket's currency.
    pub decimals: u32,
    /// The id this evaluation answers with.
    pub evaluation_id: String,
    /// What the campaigns had used.
    pub usage: &'a Usage,
    /// Stage 1.
    pub selection: Selection<'a>,
    /// Stage 2.
    pub proposals: Proposals<'a>,
    /// Stage 3.
    pub settlement: Settlement,
    /// Stage 4.
    pub priced: Priced,
}

/// The answer to an evaluation.
pub fn answer(outcome: Outcome<'_>) -> EvaluateResponse {
    let Outcome {
        request,
        decimals,
        evaluation_id,
        usage,
        selection,
        proposals,
        settlement,
        priced,
    } = outcome;
    let basket = request.basket;
    let considered = selection.considered();
    let mut gifts = Vec::new();
    let mut points = Vec::new();
    let mut points_spent = Vec::new();
    let mut rewards = Vec::new();
    let applied: Vec<AppliedCampaign> = settlement
        .applied
        .iter()
        .zip(&priced.campaigns)
        .map(|(&i, amounts)| {
            let proposal = &proposals.proposals[i];
            let id = &proposal.live.campaign.id;
            let mut messages = Vec::new();
            for effect in &proposal.effects {
                match effect {
                    Effect::Gift { sku, quantity } => gifts.push(GiftResult {
                        campaign: id.clone(),
                        sku: sku.clone(),
                        quantity: *quantity,
                    }),
                    Effect::Points { points: n } => points.push(PointsResult {
                        campaign: id.clone(),
                        points: *n,
                    }),
                    Effect::Message { text } => messages.push(text.clone()),
                    Effect::SpendPoints { points: n } => points_spent.push(PointsResult {
                        campaign: id.clone(),
                        points: *n,
                    }),
                    Effect::IssueReward {
                        campaign,
                        valid_days,
                        channels,
                    } => rewards.push(RewardResult {
                        campaign: id.clone(),
                        reward_campaign: campaign.clone(),
                        valid_days: *valid_days,
                        channels: channels.clone(),
                        code: None,
                        expires_at: None,
                        not_issued: None,
                    }),
                    Effect::Discount { .. } => {}
                }
            }
            let metadata = proposal.live.plugin.metadata();
            AppliedCampaign {
                campaign: id.clone(),
                coupon: selection.coupons_taken.get(id.as_str()).cloned(),
                plugin: format!("{}@{}", metadata.name, metadata.version),
                discount: exact(amounts.discount, decimals),
                effects: proposal
                    .effects
                    .iter()
                    .zip(&amounts.effects)
                    .map(|(effect, amount)| PricedEffect {
                        effect: effect.clone(),
                        amount: exact(*amount, decimals),
                    })
                    .collect(),
                messages,
                trace: proposal.trace.clone(),
            }
        })
        .collect();
    let mut rejected = selection.rejected;
    rejected.extend(proposals.rejected);
    rejected.extend(settlement.rejected);
    EvaluateResponse {
        evaluation_id,
        currency: basket.currency.clone(),
        subtotal: exact(priced.subtotal, decimals),
        discount_total: exact(priced.discount_total, decimals),
        total: exact(priced.total, decimals),
        lines: basket
            .lines
            .iter()
            .zip(&priced.lines)
            .map(|(line, price)| LineResult {
                id: line.id.clone(),
                subtotal: exact(price.subtotal, decimals),
                discount: exact(price.discount, decimals),
                total: exact(price.total, decimals),
            })
            .collect(),
        coupons: coupon_results(request, usage, &applied),
        considered,
        applied,
        gifts,
        points,
        points_spent,
        rewards,
        rejected,
    }
}

/// Each coupon code of the basket and what became of it: `applied` when the campaign
/// that took it applied.
fn coupon_results(
    request: Request<'_>,
    usage: &Usage,
    applied: &[AppliedCampaign],
) -> Vec<CouponResult> {
    let mut results = super::usage::coupon_results(usage, request.basket, request.at);
    for result in &mut results {
        let code = usage::normalize_code(&result.code);
        if applied
            .iter()
            .any(|a| a.coupon.as_deref() == Some(code.as_str()))
        {
            result.status = CouponStatus::Applied;
        }
    }
    results
}
