//! The wallet (docs/customers.md "The wallet"): the offers one customer can get at a place
//! and time before any basket exists, with what is left of each for them. The prefilter's
//! and the usage checks an evaluation runs decide, so the wallet never lists a campaign an
//! evaluation would set aside for its schedule, channel, store, audience, caps, budget or
//! per-customer uses; whether the basket then reaches the plugin's own conditions (a
//! threshold, a product) is for the evaluation to say. A customer's personal codes open
//! the campaigns they belong to, and are listed with them.

use super::index::Anywhere;
use super::usage::{self, budget_currency, customer_uses, left_in_budget};
use super::{prefilter, CampaignIndex, LiveCampaign};
use crate::model::coupon::Coupon;
use crate::model::usage::CouponState;
use crate::model::{Basket, Customer, Usage};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::collections::HashMap;
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
    /// The customer's personal codes of the campaign that they can use now.
    pub codes: Vec<Coupon>,
}

/// The currency a budget is counted in when the caller names none and the campaign's
/// budget names none yet (a campaign stored before budgets named their currency).
const ANY_CURRENCY: &str = "EUR";

/// Every live campaign of `index` that `customer` can get at `place` at `at`, given what
/// campaigns and this customer have used (`usage`), in priority order then id. A campaign
/// that needs a coupon code is listed when the customer holds a usable personal code of it
/// (among `codes`), with that code.
pub fn offers(
    index: &CampaignIndex,
    usage: &Usage,
    customer: &Customer,
    codes: &[Coupon],
    place: Place<'_>,
    at: DateTime<Utc>,
) -> Vec<Offer> {
    let mut basket = Basket {
        currency: String::new(),
        channel: place.channel.unwrap_or_default().to_string(),
        store: place.store.map(String::from),
        at: None,
        customer: Some(customer.clone()),
        coupons: Vec::new(),
        lines: Vec::new(),
    };
    let anywhere = Anywhere {
        channel: place.channel.is_none(),
        store: place.store.is_none(),
    };
    let mut offers = Vec::new();
    // The index leaves out what cannot be offered here and now (coupon-only campaigns
    // too); the checks below decide the rest.
    for position in index.candidates_where(&basket, anywhere, at, &usage.campaigns) {
        let Some(live) = index.all().get(position) else {
            continue;
        };
        if let Some(offer) = offer(live, &mut basket, usage, place, at) {
            offers.push(offer);
        }
    }
    // The customer's own codes open their campaigns, coupon-only ones included.
    for code in codes {
        if code.expires_at.is_some_and(|end| at >= end) || code.uses >= code.uses_per_code {
            continue;
        }
        if let Some(listed) = offers
            .iter_mut()
            .find(|offer| offer.live.campaign.id == code.campaign_id)
        {
            listed.codes.push(code.clone());
            continue;
        }
        let Some(live) = index.get(&code.campaign_id) else {
            continue;
        };
        let with_code = Usage {
            campaigns: usage.campaigns.clone(),
            customer: usage.customer.clone(),
            coupons: HashMap::from([(
                code.code.clone(),
                CouponState {
                    campaign: code.campaign_id.clone(),
                    uses: code.uses,
                    uses_per_code: code.uses_per_code,
                    expires_at: code.expires_at,
                    customer: code.customer_id.clone(),
                    channels: code.channels.clone(),
                },
            )]),
            customer_data: None,
        };
        basket.coupons = vec![code.code.clone()];
        if let Some(mut offer) = offer(live, &mut basket, &with_code, place, at) {
            offer.codes.push(code.clone());
            offers.push(offer);
        }
        basket.coupons.clear();
    }
    offers.sort_by(|a, b| {
        let (a, b) = (&a.live.campaign, &b.live.campaign);
        a.priority.cmp(&b.priority).then_with(|| a.id.cmp(&b.id))
    });
    offers
}

/// `live` as an offer to the basket's customer at `place` at `at`, if its schedule,
/// targeting, caps, budget, per-customer uses and coupon let them have it. `basket` is
/// reused from one campaign to the next.
fn offer(
    live: &Arc<LiveCampaign>,
    basket: &mut Basket,
    usage: &Usage,
    place: Place<'_>,
    at: DateTime<Utc>,
) -> Option<Offer> {
    let campaign = &live.campaign;
    // Where the caller names no channel (store), the campaign's own first one stands for
    // it: any channel (store) it targets will do.
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
    if prefilter::check(campaign, basket, at).is_err()
        || usage::check(usage, campaign, basket, at).is_err()
    {
        return None;
    }
    let limits = &campaign.limits;
    let uses = customer_uses(usage, campaign, at);
    Some(Offer {
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
        codes: Vec::new(),
    })
}
