//! The evaluation pipeline, one way, in five named stages, each a function with its own
//! input and output types:
//!
//! 1. [`select`]: the native prefilter picks the candidate campaigns (schedule, channel,
//!    store, audience, caps, budget, coupon) and groups them into plugin runs;
//! 2. [`run`]: each group runs once in one sandbox, for all of its candidates;
//! 3. [`settle`]: conflicts ([`resolve`]) and budgets decide which proposals apply;
//! 4. price: [`crate::money::price_capped`] turns the applied effects into exact amounts;
//! 5. [`answer`]: the answer, with every rejection.
//!
//! [`evaluate`] chains them. Evaluation changes nothing. Beside it, [`wallet`] lists the
//! offers a customer can get before any basket, by the same checks as stage 1.

pub mod answer;
pub mod index;
pub mod prefilter;
pub mod resolve;
pub mod response;
pub mod run;
pub mod select;
pub mod settle;
pub mod usage;
pub mod wallet;

use crate::model::{Basket, Campaign, Effect, Policy, Usage};
use crate::money::{self, currency};
use crate::runtime::{Plugin, PreparedParams};
use chrono::{DateTime, Utc};
pub use index::CampaignIndex;
use response::EvaluateResponse;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The most wall-clock time one request spends in plugins, counted from its arrival:
/// twice a plugin's default deadline, so one plugin that runs into its own deadline still
/// leaves the others a full one, and several slow plugins never hold a request past it.
pub const PLUGIN_TIME_BUDGET: Duration =
    Duration::from_millis(crate::model::plugin_limits::MAX_DEADLINE_MS);

/// A campaign ready to evaluate: its definition, the plugin version it runs on, and its
/// parameters as that version prepared them.
pub struct LiveCampaign {
    /// The definition.
    pub campaign: Campaign,
    /// The plugin version that serves it.
    pub plugin: Arc<Plugin>,
    /// Its parameters, prepared by that version's `check-params`.
    pub prepared: PreparedParams,
    /// The stored revision this definition is (its history's number; 0 for a campaign
    /// that is not stored, such as a draft or an order's pinned copy).
    pub revision: i64,
}

/// Why a request cannot be priced at all.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EvaluateError {
    /// The currency is not an active ISO 4217 code.
    #[error("unknown currency {0:?}")]
    UnknownCurrency(String),
    /// An amount of the basket does not fit the plugin contract.
    #[error("{0}")]
    OutOfRange(String),
}

/// One evaluation's request: the basket, how much to explain, when it is priced and when
/// its plugins must be done.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// The basket, validated.
    pub basket: &'a Basket,
    /// List the campaigns the prefilter set aside too.
    pub explain: bool,
    /// The instant it is priced at: the basket's `at`, or now.
    pub at: DateTime<Utc>,
    /// No plugin runs past it: a group that would start after it is rejected `timeout`.
    pub deadline: Instant,
}

impl<'a> Request<'a> {
    /// A request for `basket` priced at its `at`, or at `now` when it names none.
    pub fn new(basket: &'a Basket, explain: bool, now: DateTime<Utc>, deadline: Instant) -> Self {
        Request {
            basket,
            explain,
            at: basket.at.map(|at| at.with_timezone(&Utc)).unwrap_or(now),
            deadline,
        }
    }
}

/// Prices `request` against the indexed `campaigns`. `policy` gives a group's policy;
/// `usage` what the campaigns have used of their budgets, caps and coupons.
pub fn evaluate(
    request: Request<'_>,
    campaigns: &CampaignIndex,
    policy: impl Fn(&str) -> Policy,
    usage: &Usage,
    evaluation_id: String,
) -> Result<EvaluateResponse, EvaluateError> {
    let basket = request.basket;
    let decimals = currency::minor_unit(&basket.currency)
        .ok_or_else(|| EvaluateError::UnknownCurrency(basket.currency.clone()))?;
    let selection = select::select(request, campaigns, usage);
    let proposals = run::run_plugins(request, &selection.groups, usage)?;
    let settlement = settle::settle(basket, decimals, &proposals.proposals, &policy, usage);
    let effects: Vec<&[Effect]> = settlement
        .applied
        .iter()
        .map(|&i| proposals.proposals[i].effects.as_slice())
        .collect();
    let priced = money::price_capped(&basket.lines, &effects, &settlement.caps, decimals);
    Ok(answer::answer(answer::Outcome {
        request,
        decimals,
        evaluation_id,
        usage,
        selection,
        proposals,
        settlement,
        priced,
    }))
}
