//! The evaluation pipeline, one way: [`prefilter`] picks candidate campaigns natively, the
//! runtime runs each plugin once for all of its candidates, [`resolve`] settles conflicts,
//! [`crate::money`] prices, [`response`] is the answer. Evaluation changes nothing.

pub mod index;
pub mod prefilter;
pub mod resolve;
pub mod response;
pub mod usage;

use crate::basket::EvaluateRequest;
use crate::campaign::Campaign;
use crate::metrics;
use crate::money::{self, currency};
use crate::runtime::{encode, Effect, Evaluation, Plugin, PreparedParams};
use chrono::{DateTime, FixedOffset, Offset, Utc};
pub use index::CampaignIndex;
use prefilter::{Reason, Rejection};
use rayon::prelude::*;
use resolve::{Candidate, Policy};
use response::{
    money as exact, AppliedCampaign, EvaluateResponse, GiftResult, LineResult, PointsResult,
    PricedEffect, RejectedCampaign,
};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};
use usage::{CouponResult, CouponStatus, Usage};

/// The most wall-clock time one request spends in plugins, counted from its arrival:
/// twice a plugin's default deadline, so one plugin that runs into its own deadline still
/// leaves the others a full one, and several slow plugins never hold a request past it.
pub const PLUGIN_TIME_BUDGET: Duration = Duration::from_millis(100);

/// A campaign ready to evaluate: its definition, the plugin version it runs on, and its
/// parameters as that version prepared them.
pub struct LiveCampaign {
    /// The definition.
    pub campaign: Campaign,
    /// The plugin version that serves it.
    pub plugin: Arc<Plugin>,
    /// Its parameters, prepared by that version's `check-params`.
    pub prepared: PreparedParams,
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

/// What a plugin group's run answered, one result per member in order, and what it cost;
/// `None` when the request's time for plugins was spent before it could start.
type GroupRun = Option<Evaluation>;

/// A campaign whose plugin answered with effects.
struct Proposal<'a> {
    live: &'a LiveCampaign,
    effects: Vec<Effect>,
}

/// Prices `request` against the indexed `campaigns` at `now` (when the request names no
/// `at`). `policy` gives a group's policy; `usage` what the campaigns have used of their
/// budgets, caps and coupons. No plugin runs past `deadline`: a plugin group that would
/// start after it is rejected with `timeout`.
pub fn evaluate(
    request: &EvaluateRequest,
    campaigns: &CampaignIndex,
    policy: impl Fn(&str) -> Policy,
    usage: &Usage,
    now: DateTime<Utc>,
    deadline: Instant,
    evaluation_id: String,
) -> Result<EvaluateResponse, EvaluateError> {
    let decimals = currency::minor_unit(&request.currency)
        .ok_or_else(|| EvaluateError::UnknownCurrency(request.currency.clone()))?;
    metrics::evaluation();
    let at = request.at.map(|at| at.with_timezone(&Utc)).unwrap_or(now);
    let mut rejected = Vec::new();
    let reject = |rejected: &mut Vec<RejectedCampaign>, live: &LiveCampaign, rejection| {
        rejected.push(RejectedCampaign {
            campaign: live.campaign.id.clone(),
            rejection,
        })
    };

    // Step 2: the native prefilter. Candidates are grouped by plugin version and by the
    // offset their timezone has now, so each group is one sandbox.
    let mut groups: BTreeMap<(String, i32), Vec<&LiveCampaign>> = BTreeMap::new();
    let looked_at: Vec<&Arc<LiveCampaign>> = if request.explain {
        campaigns.all().iter().collect()
    } else {
        campaigns.candidates(request)
    };
    let mut coupons_taken: HashMap<&str, String> = HashMap::new();
    for live in looked_at {
        let checked = prefilter::check(&live.campaign, request, at)
            .and_then(|()| usage.check(&live.campaign, request, at));
        match checked {
            Ok(coupon) => {
                if let Some(code) = coupon {
                    coupons_taken.insert(&live.campaign.id, code);
                }
                let offset = prefilter::local_offset_minutes(&live.campaign, at);
                let key = (live.plugin.sha256().to_string(), offset);
                groups.entry(key).or_default().push(live);
            }
            Err(rejection) if request.explain => reject(&mut rejected, live, rejection),
            Err(_) => {}
        }
    }

    let considered: Vec<String> = groups
        .values()
        .flatten()
        .map(|live| live.campaign.id.clone())
        .collect();

    // Step 3: each plugin group once, one sandbox for all of its candidates, none past
    // `deadline`. Groups run in parallel on the current rayon pool when it has idle
    // threads; under load its threads are busy, nothing is stolen, and the groups run one
    // after the other on the thread that took the request, with no hand-off cost.
    let mut proposals: Vec<Proposal<'_>> = Vec::new();
    if !groups.is_empty() {
        let input = encode(request, at.fixed_offset())
            .map_err(|e| EvaluateError::OutOfRange(e.to_string()))?;
        let groups: Vec<((String, i32), Vec<&LiveCampaign>)> = groups.into_iter().collect();
        let run_group = |((_, offset), members): &((String, i32), Vec<&LiveCampaign>)| {
            if Instant::now() >= deadline {
                return None;
            }
            // Offsets come from the timezone database (within a day): UTC is never used.
            let tz = FixedOffset::east_opt(offset * 60).unwrap_or(Utc.fix());
            let mut input = input.clone();
            input.set_time(at.with_timezone(&tz));
            let prepared: Vec<&PreparedParams> = members.iter().map(|l| &l.prepared).collect();
            Some(
                members[0]
                    .plugin
                    .evaluate_until(&request.lines, &input, &prepared, deadline),
            )
        };
        // One group runs where it is: handing it to the pool would only add a hop.
        let runs: Vec<GroupRun> = if groups.len() > 1 {
            groups.par_iter().map(run_group).collect()
        } else {
            groups.iter().map(run_group).collect()
        };
        for ((_, members), run) in groups.iter().zip(runs) {
            let plugin = members[0].plugin.metadata();
            let Some(run) = run else {
                for live in members {
                    metrics::plugin_failed(plugin, "timeout");
                    let detail = format!(
                        "the request's time for plugins was spent before {} ran",
                        live.campaign.plugin
                    );
                    reject(
                        &mut rejected,
                        live,
                        Rejection {
                            reason: Reason::Timeout,
                            detail,
                        },
                    );
                }
                continue;
            };
            metrics::plugin_ran(plugin, &run.report);
            for (live, result) in members.iter().zip(run.results) {
                match result {
                    Ok(effects) if effects.is_empty() => reject(
                        &mut rejected,
                        live,
                        Rejection {
                            reason: Reason::NotEligible,
                            detail: format!(
                                "{} proposed nothing for this basket",
                                live.campaign.plugin
                            ),
                        },
                    ),
                    Ok(effects) => proposals.push(Proposal { live, effects }),
                    Err(error) => {
                        metrics::plugin_failed(plugin, error.reason());
                        reject(
                            &mut rejected,
                            live,
                            Rejection {
                                reason: Reason::from_run_error(&error),
                                detail: error.to_string(),
                            },
                        )
                    }
                }
            }
        }
    }

    // Step 4: conflicts, then budgets. Only a campaign that can be in a conflict (one of a
    // group, or exclusive) is valued on the basket alone; the resolver never reads the
    // others' value. A campaign whose budget left cannot cover its discount is set aside
    // (`budget_exhausted`), or with `limits.partial` capped at what is left, and conflicts
    // are settled again without it: each round sets one aside or caps one for good, so
    // this ends.
    let mut over_budget: Vec<Option<String>> = vec![None; proposals.len()];
    let mut caps: Vec<Option<Decimal>> = vec![None; proposals.len()];
    let (resolution, in_play, applied, priced) = loop {
        let in_play: Vec<usize> = (0..proposals.len())
            .filter(|&i| over_budget[i].is_none())
            .collect();
        let candidates: Vec<Candidate<'_>> = in_play
            .iter()
            .map(|&i| {
                let (p, cap) = (&proposals[i], caps[i]);
                let campaign = &p.live.campaign;
                let contested = campaign.group.is_some() || campaign.exclusive;
                Candidate {
                    id: &campaign.id,
                    priority: campaign.priority,
                    group: campaign.group.as_deref(),
                    exclusive: campaign.exclusive,
                    discount: if contested {
                        money::price_capped(&request.lines, &[&p.effects], &[cap], decimals)
                            .discount_total
                    } else {
                        Decimal::ZERO
                    },
                }
            })
            .collect();
        let resolution = resolve::resolve(&candidates, &policy);
        let applied: Vec<usize> = resolution.applied.iter().map(|&c| in_play[c]).collect();
        let effect_lists: Vec<&[Effect]> = applied
            .iter()
            .map(|&i| proposals[i].effects.as_slice())
            .collect();
        let applied_caps: Vec<Option<Decimal>> = applied.iter().map(|&i| caps[i]).collect();
        let priced = money::price_capped(&request.lines, &effect_lists, &applied_caps, decimals);
        let mut settled = true;
        for (k, &i) in applied.iter().enumerate() {
            let campaign = &proposals[i].live.campaign;
            if campaign.limits.budget.is_none() {
                continue;
            }
            let left = usage
                .budget_left(campaign, &request.currency)
                .unwrap_or(Decimal::ZERO);
            let discount = priced.campaigns[k].discount;
            if discount <= left {
                continue;
            }
            settled = false;
            if campaign.limits.partial && left > Decimal::ZERO {
                caps[i] = Some(left);
            } else {
                over_budget[i] = Some(format!(
                    "its discount {} is more than the {} {} left of its budget",
                    exact(discount, decimals),
                    exact(left, decimals),
                    request.currency
                ));
            }
            break;
        }
        if settled {
            break (resolution, in_play, applied, priced);
        }
    };
    for (i, detail) in over_budget.iter().enumerate() {
        if let Some(detail) = detail {
            reject(
                &mut rejected,
                proposals[i].live,
                Rejection::new(Reason::BudgetExhausted, detail.clone()),
            );
        }
    }
    for (c, detail) in resolution.lost {
        reject(
            &mut rejected,
            proposals[in_play[c]].live,
            Rejection {
                reason: Reason::LostConflict,
                detail,
            },
        );
    }

    // Step 5 (applied, clamped, allocated, rounded, totalled) is `priced`, above.
    let applied: Vec<&Proposal<'_>> = applied.iter().map(|&i| &proposals[i]).collect();

    // Step 6: the answer.
    let mut gifts = Vec::new();
    let mut points = Vec::new();
    let applied: Vec<AppliedCampaign> = applied
        .iter()
        .zip(&priced.campaigns)
        .map(|(proposal, amounts)| {
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
                    Effect::Discount { .. } => {}
                }
            }
            let metadata = proposal.live.plugin.metadata();
            AppliedCampaign {
                campaign: id.clone(),
                coupon: coupons_taken.get(id.as_str()).cloned(),
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
            }
        })
        .collect();
    Ok(EvaluateResponse {
        evaluation_id,
        currency: request.currency.clone(),
        subtotal: exact(priced.subtotal, decimals),
        discount_total: exact(priced.discount_total, decimals),
        total: exact(priced.total, decimals),
        lines: request
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
        coupons: coupon_results(request, usage, at, &applied),
        considered,
        applied,
        gifts,
        points,
        rejected,
    })
}

/// Each coupon code of the basket and what became of it: `applied` when the campaign
/// that took it applied.
fn coupon_results(
    request: &EvaluateRequest,
    usage: &Usage,
    at: DateTime<Utc>,
    applied: &[AppliedCampaign],
) -> Vec<CouponResult> {
    let mut results = usage.coupon_results(request, at);
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
