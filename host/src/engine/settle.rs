//! Stage 3: which proposals apply. Conflicts first ([`super::resolve`]: groups,
//! exclusivity, application order), then budgets: a campaign whose budget left cannot cover
//! its discount is set aside (`budget_exhausted`), or with `limits.partial` capped at what
//! is left, and conflicts are settled again without it; then points: a campaign that would
//! spend more points than the customer has left is set aside (`limit_reached`). Each round
//! sets one aside or caps one for good, so this ends.

use super::prefilter::{Reason, Rejection};
use super::resolve::{self, Candidate};
use super::response::{money as exact, RejectedCampaign};
use super::run::Proposal;
use crate::model::{Basket, Effect, Policy, Usage};
use crate::money;
use rust_decimal::Decimal;

/// Which proposals apply, and the cap on each.
pub struct Settlement {
    /// Indexes into the proposals, in application order.
    pub applied: Vec<usize>,
    /// The most each applied campaign grants (what is left of a `partial` budget), in the
    /// order of `applied`; `None`: unbounded.
    pub caps: Vec<Option<Decimal>>,
    /// The proposals set aside: over budget first, then lost conflicts.
    pub rejected: Vec<RejectedCampaign>,
}

/// Settles `proposals` for `basket` (a currency of `decimals` decimals) under the groups'
/// `policy` and what `usage` says is left of each budget.
pub fn settle(
    basket: &Basket,
    decimals: u32,
    proposals: &[Proposal<'_>],
    policy: &impl Fn(&str) -> Policy,
    usage: &Usage,
) -> Settlement {
    let mut set_aside: Vec<Option<Rejection>> = vec![None; proposals.len()];
    let mut caps: Vec<Option<Decimal>> = vec![None; proposals.len()];
    // What a contested campaign (one of a group, or exclusive) grants on the basket alone,
    // under its cap: the resolver compares these. Worked out once, again only when a cap
    // changes; the others are never valued alone.
    let mut alone: Vec<Option<Decimal>> = vec![None; proposals.len()];
    let (resolution, in_play, applied) = loop {
        let in_play: Vec<usize> = (0..proposals.len())
            .filter(|&i| set_aside[i].is_none())
            .collect();
        let candidates: Vec<Candidate<'_>> = in_play
            .iter()
            .map(|&i| {
                let campaign = &proposals[i].live.campaign;
                let contested = campaign.group.is_some() || campaign.exclusive;
                let discount = if contested {
                    *alone[i].get_or_insert_with(|| {
                        money::price_capped(
                            &basket.lines,
                            &[&proposals[i].effects],
                            &[caps[i]],
                            decimals,
                        )
                        .discount_total
                    })
                } else {
                    Decimal::ZERO
                };
                Candidate {
                    id: &campaign.id,
                    priority: campaign.priority,
                    group: campaign.group.as_deref(),
                    exclusive: campaign.exclusive,
                    discount,
                }
            })
            .collect();
        let resolution = resolve::resolve(&candidates, policy);
        let applied: Vec<usize> = resolution.applied.iter().map(|&c| in_play[c]).collect();
        match over_its_budget(basket, decimals, proposals, &applied, &caps, usage) {
            Some((i, discount, left)) => {
                let campaign = &proposals[i].live.campaign;
                if campaign.limits.partial && left > Decimal::ZERO {
                    caps[i] = Some(left);
                    alone[i] = None;
                } else {
                    set_aside[i] = Some(Rejection::new(
                        Reason::BudgetExhausted,
                        format!(
                            "its discount {} is more than the {} {} left of its budget",
                            exact(discount, decimals),
                            exact(left, decimals),
                            basket.currency
                        ),
                    ));
                }
            }
            None => match over_the_points_balance(proposals, &applied, usage) {
                Some((i, rejection)) => set_aside[i] = Some(rejection),
                None => break (resolution, in_play, applied),
            },
        }
    };
    let mut rejected = Vec::new();
    for (i, rejection) in set_aside.into_iter().enumerate() {
        if let Some(rejection) = rejection {
            rejected.push(proposals[i].rejected(rejection));
        }
    }
    for (c, detail) in resolution.lost {
        rejected.push(proposals[in_play[c]].rejected(Rejection::new(Reason::LostConflict, detail)));
    }
    let caps = applied.iter().map(|&i| caps[i]).collect();
    Settlement {
        applied,
        caps,
        rejected,
    }
}

/// The first applied campaign, in application order, whose discount (priced with the
/// others applied) is more than what is left of its budget, with that discount and what is
/// left. Prices only when an applied campaign has a budget.
fn over_its_budget(
    basket: &Basket,
    decimals: u32,
    proposals: &[Proposal<'_>],
    applied: &[usize],
    caps: &[Option<Decimal>],
    usage: &Usage,
) -> Option<(usize, Decimal, Decimal)> {
    if !applied
        .iter()
        .any(|&i| proposals[i].live.campaign.limits.budget.is_some())
    {
        return None;
    }
    let discounts = applied_discounts(basket, decimals, proposals, applied, caps);
    applied.iter().zip(discounts).find_map(|(&i, discount)| {
        let campaign = &proposals[i].live.campaign;
        campaign.limits.budget?;
        let left = super::usage::left_in_budget(usage, campaign, &basket.currency)
            .unwrap_or(Decimal::ZERO);
        (discount > left).then_some((i, discount, left))
    })
}

/// The first applied campaign, in application order, that spends more points than the
/// campaigns before it left of the customer's balance (`limit_reached`). The balance is the
/// one read for this evaluation; a commit reads it again in its own transaction.
fn over_the_points_balance(
    proposals: &[Proposal<'_>],
    applied: &[usize],
    usage: &Usage,
) -> Option<(usize, Rejection)> {
    let mut left = usage
        .customer_data
        .as_ref()
        .map_or(0, |data| data.points_balance);
    for &i in applied {
        let spent: u64 = proposals[i]
            .effects
            .iter()
            .map(|effect| match effect {
                Effect::SpendPoints { points } => *points,
                _ => 0,
            })
            .fold(0, u64::saturating_add);
        if spent > left {
            let detail = format!("it spends {spent} points; the customer has {left} left");
            return Some((i, Rejection::new(Reason::LimitReached, detail)));
        }
        left -= spent;
    }
    None
}

/// What each applied campaign grants, priced together in application order.
fn applied_discounts(
    basket: &Basket,
    decimals: u32,
    proposals: &[Proposal<'_>],
    applied: &[usize],
    caps: &[Option<Decimal>],
) -> Vec<Decimal> {
    let effects: Vec<&[Effect]> = applied
        .iter()
        .map(|&i| proposals[i].effects.as_slice())
        .collect();
    let applied_caps: Vec<Option<Decimal>> = applied.iter().map(|&i| caps[i]).collect();
    money::price_capped(&basket.lines, &effects, &applied_caps, decimals)
        .campaigns
        .into_iter()
        .map(|amounts| amounts.discount)
        .collect()
}
