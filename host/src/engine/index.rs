//! The prefilter's index: which live campaigns can possibly concern a basket, so that
//! 1,000 active campaigns of which 10 match cost little more than 10.
//!
//! Campaigns that are not `active` are never candidates; a campaign restricted to some
//! channels is only looked at for baskets of those channels, and one restricted to some
//! stores or loyalty tiers is dropped by a set lookup before any date arithmetic.
//! Everything else is decided by [`super::prefilter::check`], campaign by campaign. With `explain`, every campaign is
//! checked, so the answer can say why each one was set aside.

use super::LiveCampaign;
use crate::model::campaign::Status;
use crate::model::Basket;
use std::collections::HashMap;
use std::sync::Arc;

/// The live campaigns, and where to look first.
#[derive(Default)]
pub struct CampaignIndex {
    all: Vec<Arc<LiveCampaign>>,
    by_channel: HashMap<String, Vec<usize>>,
    any_channel: Vec<usize>,
}

impl CampaignIndex {
    /// Indexes `campaigns` (kept in the order given).
    pub fn new(campaigns: Vec<Arc<LiveCampaign>>) -> Self {
        let mut index = CampaignIndex {
            all: campaigns,
            ..CampaignIndex::default()
        };
        for (position, live) in index.all.iter().enumerate() {
            if live.campaign.status != Status::Active {
                continue;
            }
            let channels = &live.campaign.audience.channels;
            if channels.is_empty() {
                index.any_channel.push(position);
            }
            for channel in channels {
                index
                    .by_channel
                    .entry(channel.clone())
                    .or_default()
                    .push(position);
            }
        }
        index
    }

    /// Every campaign.
    pub fn all(&self) -> &[Arc<LiveCampaign>] {
        &self.all
    }

    /// The campaign with `id`, if it is live.
    pub fn get(&self, id: &str) -> Option<&Arc<LiveCampaign>> {
        self.all.iter().find(|live| live.campaign.id == id)
    }

    /// The active campaigns `request` may concern, in index order.
    pub fn candidates(&self, request: &Basket) -> Vec<&Arc<LiveCampaign>> {
        let specific = self
            .by_channel
            .get(&request.channel)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let mut positions: Vec<usize> = specific.iter().chain(&self.any_channel).copied().collect();
        positions.sort_unstable();
        positions.dedup();
        let tier = request
            .customer
            .as_ref()
            .and_then(|c| c.loyalty_tier.as_deref());
        positions
            .into_iter()
            .filter_map(|p| self.all.get(p))
            .filter(|live| {
                let audience = &live.campaign.audience;
                let store_ok = audience.stores.is_empty()
                    || request
                        .store
                        .as_ref()
                        .is_some_and(|s| audience.stores.contains(s));
                let tier_ok = audience.loyalty_tiers.is_empty()
                    || tier
                        .is_some_and(|t| audience.loyalty_tiers.iter().any(|wanted| wanted == t));
                store_ok && tier_ok
            })
            .collect()
    }
}
