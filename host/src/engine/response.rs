//! The answer to `POST /v1/evaluate` (docs/api.md "Evaluate: response"): totals, lines, applied
//! campaigns with their effects and amounts, gifts, points, and every rejection.

use super::prefilter::Rejection;
use super::usage::CouponResult;
use crate::model::Effect;
use crate::runtime::LogLine;
use rust_decimal::Decimal;
use serde::Serialize;
use std::sync::Arc;

/// A priced basket.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvaluateResponse {
    /// Unique id of this evaluation.
    pub evaluation_id: String,
    /// The basket's currency.
    pub currency: String,
    /// Sum of the line subtotals.
    pub subtotal: Decimal,
    /// Sum of every discount.
    pub discount_total: Decimal,
    /// What the customer pays.
    pub total: Decimal,
    /// Each line, in request order.
    pub lines: Vec<LineResult>,
    /// The campaigns that applied, in application order.
    pub applied: Vec<AppliedCampaign>,
    /// Free items.
    pub gifts: Vec<GiftResult>,
    /// Loyalty points earned.
    pub points: Vec<PointsResult>,
    /// Loyalty points spent (contract 1.1's `spend-points`); absent when none are.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub points_spent: Vec<PointsResult>,
    /// Rewards for a later order (contract 1.1's `issue-reward`): promised by an
    /// evaluation, issued as personal codes by a commit; absent when none are.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rewards: Vec<RewardResult>,
    /// Campaigns that did not apply, and why.
    pub rejected: Vec<RejectedCampaign>,
    /// Each coupon code of the basket and what became of it (`applied`, `not_applied`,
    /// `unknown`, `expired`, `used_up`); absent when the basket has none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coupons: Vec<CouponResult>,
    /// The campaigns whose plugin ran (they passed step 2), for the stats; not part of
    /// the answer.
    #[serde(skip)]
    pub considered: Vec<String>,
}

/// One line's money.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LineResult {
    /// The channel's line id.
    pub id: String,
    /// Unit price × quantity.
    pub subtotal: Decimal,
    /// Every discount on the line, its share of order discounts included.
    pub discount: Decimal,
    /// `subtotal - discount`.
    pub total: Decimal,
}

/// A campaign that applied.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AppliedCampaign {
    /// Its id.
    pub campaign: String,
    /// `name@version` of the plugin that ran.
    pub plugin: String,
    /// The coupon code (normalized) it took, when it requires one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon: Option<String>,
    /// What it granted.
    pub discount: Decimal,
    /// Its effects, each with the amount it came to.
    pub effects: Vec<PricedEffect>,
    /// The messages it returned.
    pub messages: Vec<String>,
    /// What its plugin's run cost and logged: only with `explain`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Arc<Trace>>,
}

/// What one plugin's run for a basket cost and logged (`explain: true`). The campaigns of
/// one plugin run together in one sandbox, so each of them carries the same trace, which
/// names them all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Trace {
    /// The campaigns that ran in the sandbox, in the order the plugin saw them.
    pub campaigns: Vec<String>,
    /// Sandboxes used: 1, or one more per campaign run alone after a shared run failed.
    pub sandboxes: u32,
    /// Fuel (WebAssembly instructions, roughly) the run used.
    pub fuel_used: u64,
    /// Fuel it was granted.
    pub fuel_limit: u64,
    /// Its wall time, instantiation included, in microseconds.
    pub wall_time_us: u64,
    /// The largest linear memory it had, in bytes.
    pub peak_memory_bytes: usize,
    /// What the plugin logged (the first 64 lines and 8 KiB).
    pub log: Vec<LogLine>,
    /// Lines the log dropped past those bounds.
    pub log_dropped: usize,
}

/// An effect and its amount (0 for gifts, points and messages).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PricedEffect {
    /// The effect, as the plugin proposed it.
    #[serde(flatten)]
    pub effect: Effect,
    /// What it came to after clamping.
    pub amount: Decimal,
}

/// A free item.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GiftResult {
    /// The campaign that gives it.
    pub campaign: String,
    /// Its SKU.
    pub sku: String,
    /// How many.
    pub quantity: u32,
}

/// Points earned.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PointsResult {
    /// The campaign that grants them.
    pub campaign: String,
    /// How many.
    pub points: u64,
}

/// A reward for a later order: a personal code of `reward_campaign`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RewardResult {
    /// The campaign that grants it.
    pub campaign: String,
    /// The campaign the code is for.
    pub reward_campaign: String,
    /// Days it stays valid from the commit.
    pub valid_days: u32,
    /// Where it may be used; empty: wherever `reward_campaign` runs.
    pub channels: Vec<String>,
    /// The code, once a commit issued it (absent in an evaluation, and when the basket has
    /// no customer or the reward could not be issued).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// When the code stops being valid, once issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why it was not issued, when a commit could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_issued: Option<String>,
}

/// A campaign that did not apply.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RejectedCampaign {
    /// Its id.
    pub campaign: String,
    /// The machine-readable reason and the human detail.
    #[serde(flatten)]
    pub rejection: Rejection,
    /// What its plugin's run cost and logged, when it ran: only with `explain`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Arc<Trace>>,
}

/// `amount` written with exactly `decimals` decimals ("297.00", "1005").
pub fn money(amount: Decimal, decimals: u32) -> Decimal {
    let mut amount = amount;
    amount.rescale(decimals);
    amount
}
