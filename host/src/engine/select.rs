//! Stage 1, the prefilter: which campaigns are candidates for a basket (status, schedule,
//! channel, store, audience, then caps, budget, per-customer limit and coupon), decided
//! natively before any plugin runs, and how the candidates group into plugin runs.

use super::prefilter::{self, Rejection};
use super::response::RejectedCampaign;
use super::{CampaignIndex, LiveCampaign, Request};
use crate::model::Usage;
use std::collections::{BTreeMap, HashMap};

/// Candidates that run in one sandbox: one plugin version, one local time.
pub struct PluginGroup<'a> {
    /// The offset from UTC, in minutes, that the members' timezone has at the request's
    /// instant: the plugin sees the local time.
    pub offset_minutes: i32,
    /// The campaigns, all on one plugin version, in index order.
    pub members: Vec<&'a LiveCampaign>,
}

/// What the prefilter kept and set aside.
pub struct Selection<'a> {
    /// The candidates, grouped by plugin version and local offset, in a stable order.
    pub groups: Vec<PluginGroup<'a>>,
    /// The coupon code each candidate that requires one would take, by campaign id.
    pub coupons_taken: HashMap<&'a str, String>,
    /// The campaigns set aside and why: only with `explain`.
    pub rejected: Vec<RejectedCampaign>,
}

impl Selection<'_> {
    /// The ids of every candidate, in group order (the stats count them as evaluated).
    pub fn considered(&self) -> Vec<String> {
        self.groups
            .iter()
            .flat_map(|group| &group.members)
            .map(|live| live.campaign.id.clone())
            .collect()
    }
}

/// Runs the prefilter over `campaigns` for `request`. Without `explain`, only the
/// index's candidates are looked at, and no rejection is written.
pub fn select<'a>(
    request: Request<'_>,
    campaigns: &'a CampaignIndex,
    usage: &Usage,
) -> Selection<'a> {
    let (basket, at) = (request.basket, request.at);
    let looked_at: Vec<usize> = if request.explain {
        (0..campaigns.all().len()).collect()
    } else {
        campaigns.candidates(basket, at, &usage.campaigns)
    };
    let mut groups: BTreeMap<(&str, i32), Vec<&'a LiveCampaign>> = BTreeMap::new();
    let mut coupons_taken = HashMap::new();
    let mut rejected = Vec::new();
    for position in looked_at {
        let Some(live) = campaigns.all().get(position) else {
            continue;
        };
        let zone = campaigns.zone(position);
        let checked = prefilter::check_in(&live.campaign, zone, basket, at)
            .and_then(|()| super::usage::check(usage, &live.campaign, basket, at));
        match checked {
            Ok(coupon) => {
                if let Some(code) = coupon {
                    coupons_taken.insert(live.campaign.id.as_str(), code);
                }
                let offset = prefilter::offset_minutes(zone, at);
                groups
                    .entry((live.plugin.sha256(), offset))
                    .or_default()
                    .push(live);
            }
            Err(rejection) if request.explain => rejected.push(rejected_campaign(live, rejection)),
            Err(_) => {}
        }
    }
    Selection {
        groups: groups
            .into_iter()
            .map(|((_, offset_minutes), members)| PluginGroup {
                offset_minutes,
                members,
            })
            .collect(),
        coupons_taken,
        rejected,
    }
}

/// `live` set aside for `rejection`.
pub fn rejected_campaign(live: &LiveCampaign, rejection: Rejection) -> RejectedCampaign {
    RejectedCampaign {
        campaign: live.campaign.id.clone(),
        rejection,
        trace: None,
    }
}
