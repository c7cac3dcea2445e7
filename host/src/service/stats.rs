//! A campaign's stats (`GET /v1/campaigns/{id}/stats`): evaluations, applications,
//! redemptions, discount granted, what is left of its budget and cap, and redemptions and
//! discount per channel and per day (days in the campaign's timezone). Everything but the
//! last second's evaluation counts comes from the store, so the stats survive a restart.

use super::{Service, ServiceError};
use crate::engine::usage::{self, from_minor};
use crate::money::currency;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// A campaign's stats.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CampaignStats {
    /// The campaign.
    pub campaign: String,
    /// Evaluations in which its plugin ran for it (it passed targeting, schedule, caps).
    pub evaluations: u64,
    /// Evaluations in which it applied.
    pub applications: u64,
    /// Orders committed with it (cancelled ones given back).
    pub redemptions: u64,
    /// The currency of its amounts: its budget's, or without one, that of the first order
    /// it granted a discount to; absent while neither is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Discount granted by committed orders.
    pub discount_granted: Decimal,
    /// Its budget, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<Decimal>,
    /// What is left of the budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_left: Option<Decimal>,
    /// Its redemption cap, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redemptions_cap: Option<u64>,
    /// What is left of the cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redemptions_left: Option<u64>,
    /// Whether its budget or its cap is reached: it no longer applies.
    pub objective_met: bool,
    /// Per channel, by channel name.
    pub by_channel: Vec<ChannelStats>,
    /// Per day in the campaign's timezone, oldest first.
    pub by_day: Vec<DayStats>,
}

/// Redemptions and discount on one channel.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChannelStats {
    /// The channel.
    pub channel: String,
    /// Orders.
    pub redemptions: u64,
    /// Discount granted.
    pub discount: Decimal,
}

/// Redemptions and discount on one day.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DayStats {
    /// The day, in the campaign's timezone.
    pub date: NaiveDate,
    /// Orders.
    pub redemptions: u64,
    /// Discount granted.
    pub discount: Decimal,
}

impl Service {
    /// The stats of campaign `id`.
    pub async fn campaign_stats(&self, id: &str) -> Result<CampaignStats, ServiceError> {
        let campaign = self
            .store
            .campaign(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("campaign {id} not found")))?
            .campaign;
        let row = self.store.usage_of(id).await?;
        let rows = self.store.redemptions_by_day(id).await?;
        let (pending_evaluations, pending_applications) = self.evaluator.pending_counts_of(id);
        let limits = &campaign.limits;
        let in_currency = if limits.budget.is_some() {
            usage::budget_currency(&campaign, Some(&row.usage))
        } else {
            row.usage.currency.as_deref()
        };
        let decimals = in_currency.and_then(currency::minor_unit).unwrap_or(2);
        let money = |minor: i64| from_minor(minor, decimals);

        let mut by_channel: BTreeMap<&str, (u64, i64)> = BTreeMap::new();
        let mut by_day: BTreeMap<NaiveDate, (u64, i64)> = BTreeMap::new();
        for r in &rows {
            let redemptions = u64::try_from(r.redemptions).unwrap_or(0);
            let channel = by_channel.entry(&r.channel).or_default();
            channel.0 += redemptions;
            channel.1 += r.discount_minor;
            let day = by_day.entry(r.local_date).or_default();
            day.0 += redemptions;
            day.1 += r.discount_minor;
        }

        let budget_left = limits.budget.map(|budget| match in_currency {
            Some(code) => {
                usage::budget_left(&campaign, Some(&row.usage), code).unwrap_or(Decimal::ZERO)
            }
            // A budget stored without its currency, not spent yet.
            None => budget,
        });
        let redemptions_left = limits
            .redemptions
            .map(|cap| cap.saturating_sub(row.usage.redemptions));
        let objective_met = budget_left.is_some_and(|left| left.is_zero())
            || redemptions_left.is_some_and(|left| left == 0);
        Ok(CampaignStats {
            campaign: id.to_string(),
            evaluations: u64::try_from(row.evaluations).unwrap_or(0) + pending_evaluations,
            applications: u64::try_from(row.applications).unwrap_or(0) + pending_applications,
            redemptions: row.usage.redemptions,
            currency: in_currency.map(str::to_string),
            discount_granted: money(row.usage.granted_minor),
            budget: limits.budget,
            budget_left,
            redemptions_cap: limits.redemptions,
            redemptions_left,
            objective_met,
            by_channel: by_channel
                .into_iter()
                .map(|(channel, (redemptions, minor))| ChannelStats {
                    channel: channel.to_string(),
                    redemptions,
                    discount: money(minor),
                })
                .collect(),
            by_day: by_day
                .into_iter()
                .map(|(date, (redemptions, minor))| DayStats {
                    date,
                    redemptions,
                    discount: money(minor),
                })
                .collect(),
        })
    }
}
