//! The wallet (docs/customers.md "The wallet"): the offers one customer can get at a place
//! and time before any basket exists, with what is left of each for them. The prefilter's
//! and the usage checks an evaluation runs decide, so the wallet never lists a campaign an
//! evaluation would set aside for its schedule, channel, store, audience, caps, budget or
//! per-customer uses; whether the basket then reaches the plugin's own conditions (a
//! threshold, a product) is for the evaluation to say.

use super::index::Anywhere;
use super::usage::{self, budget_currency, customer_uses, left_in_budget};
use super::{prefilter, CampaignIndex, LiveCampaign};
use crate::model::{Basket, Customer, Usage};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::sync::Arc;

/// Where the offers are for: each `None` is any (a campaign for some channels is then
/// listed with them, for the caller to show).
#[derive(Clone, Copy, Debug, Default)]
pub struct Place<'a> {
    /// The channel, such as `store`.
    pub channel: Option<&'a str>,
    /// The store.
    pub store: Option<&'a str>,
    /// The currency the customer pays in: a campaign whose budget is kept in another is
    /// left out.
    pub currency: Option<&'a str>,
}

/// One campaign the customer can get, and what is left of it for them.
pub struct Offer {
    /// The campaign.
    pub live: Arc<LiveCampaign>,
    /// Uses left to the customer in the current period of its per-customer cap, if it has
    /// one.
    pub uses_left: Option<u32>,
    /// Redemptions left to everyone, if it caps them.
    pub redemptions_left: Option<u64>,
    /// Budget left and its currency, if it has a budget.
    pub budget_left: Option<(Decimal, String)>,
}

/// The currency a budget is counted in when the caller names none and the campaign's
/// budget names none yet (a campaign stored before budgets named their currency).
const ANY_CURRENCY: &str = "EUR";

/// Every live campaign of `index` that `customer` can get at `place` at `at`, given what
/// campaigns and this customer have used (`usage`), in priority order then id. Campaigns
/// that need a coupon code are left out: the customer holds none of their codes.
pub fn offers(
    index: &CampaignIndex,
    usage: &Usage,
    customer: &Customer,
    place: Place<'_>,
    at: DateTime<Utc>,
) -> Vec<Offer> {
    let mut basket = Basket {
        currency: String::new(),
        channel: String::new(),
        store: None,
        at: None,
        customer: Some(customer.clone()),
        coupons: Vec::new(),
        lines: Vec::new(),
    };
    basket.channel = place.channel.unwrap_or_default().to_string();
    basket.store = place.store.map(String::from);
    let anywhere = Anywhere {
        channel: place.channel.is_none(),
        store: place.store.is_none(),
    };
    let mut offers = Vec::new();
    // The index leaves out what cannot be offered here and now (coupon-only campaigns
    // too: the customer holds none of their codes); the checks below decide the rest.
    for position in index.candidates_where(&basket, anywhere, at, &usage.campaigns) {
        let Some(live) = index.all().get(position) else {
            continue;
        };
        let campaign = &live.campaign;
        // Where the caller names no channel (store), the campaign's own first one stands
        // for it: any channel (store) it targets will do.
        let audience = &campaign.audience;
        basket.channel.clear();
        basket.channel.push_str(
            place
                .channel
                .or(audience.channels.first().map(String::as_str))
                .unwrap_or("any"),
        );
        basket.store = place
            .store
            .or(audience.stores.first().map(String::as_str))
            .map(String::from);
        let used = usage.campaigns.get(&campaign.id);
        basket.currency.clear();
        basket.currency.push_str(
            place
                .currency
                .or_else(|| budget_currency(campaign, used))
                .unwrap_or(ANY_CURRENCY),
        );
        if prefilter::check(campaign, &basket, at).is_err()
            || usage::check(usage, campaign, &basket, at).is_err()
        {
            continue;
        }
        let limits = &campaign.limits;
        let uses = customer_uses(usage, campaign, at);
        offers.push(Offer {
            live: live.clone(),
            uses_left: limits
                .per_customer
                .map(|cap| cap.saturating_sub(u32::try_from(uses).unwrap_or(u32::MAX))),
            redemptions_left: limits
                .redemptions
                .map(|cap| cap.saturating_sub(used.map_or(0, |u| u.redemptions))),
            budget_left: limits
                .budget
                .and_then(|_| left_in_budget(usage, campaign, &basket.currency))
                .map(|left| (left, basket.currency.clone())),
        });
    }
    offers.sort_by(|a, b| {
        let (a, b) = (&a.live.campaign, &b.live.campaign);
        a.priority.cmp(&b.priority).then_with(|| a.id.cmp(&b.id))
    });
    offers
}
