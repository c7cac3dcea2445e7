//! What a simulation found, summed as its baskets are counted: the drafts' discount and the
//! baskets they touched, in all and per day, channel and store; what each campaign granted;
//! the live campaigns the drafts displace; and the day a budget or cap would run out.

use super::{Outcome, SimulatedBasket};
use crate::engine::response::money;
use crate::model::Basket;
use crate::money::currency;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::ToSchema;

/// What a simulation found.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SimulationReport {
    /// The currency every amount is in (the first basket's when the request named none).
    pub currency: Option<String>,
    /// Baskets priced.
    pub baskets: u64,
    /// Of those, baskets a draft applied to.
    pub touched: u64,
    /// Baskets in another currency, left out.
    pub skipped: u64,
    /// Baskets that could not be priced (an amount out of range, an unknown currency).
    pub failed: u64,
    /// Why the first of them could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_failure: Option<String>,
    /// The money.
    pub discount: Totals,
    /// Each draft, and each live campaign that applied, was displaced or ran out, by id.
    pub campaigns: Vec<CampaignOutcome>,
    /// Per day, in the simulation's time zone, in order.
    pub by_day: Vec<Slice>,
    /// Per channel.
    pub by_channel: Vec<Slice>,
    /// Per store (baskets with no store are left out).
    pub by_store: Vec<Slice>,
}

/// The money of a simulation, or of a slice of it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Totals {
    /// What the drafts granted.
    #[schema(value_type = String, example = "1520.00")]
    pub drafts: Decimal,
    /// Every discount, the drafts beside today's campaigns.
    #[schema(value_type = String, example = "4210.50")]
    pub with_drafts: Decimal,
    /// Every discount with today's campaigns alone.
    #[schema(value_type = String, example = "3100.00")]
    pub without_drafts: Decimal,
    /// `with_drafts - without_drafts`: what the drafts add to today's discounts.
    #[schema(value_type = String, example = "1110.50")]
    pub change: Decimal,
}

/// One campaign in a simulation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CampaignOutcome {
    /// Its id.
    pub campaign: String,
    /// Whether it is one of the drafts.
    pub draft: bool,
    /// Baskets it applied to, the drafts beside today's campaigns.
    pub applied: u64,
    /// What it granted there.
    #[schema(value_type = String, example = "812.40")]
    pub discount: Decimal,
    /// Baskets it applied to without the drafts but not with them (live campaigns).
    pub displaced: u64,
    /// What it would have granted in those baskets.
    #[schema(value_type = String, example = "95.00")]
    pub displaced_discount: Decimal,
    /// The day its budget or cap runs out, in the simulation's time zone; absent when it
    /// lasts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs_out_on: Option<NaiveDate>,
    /// The basket it runs out at, counted from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs_out_after: Option<u64>,
}

/// One slice of a simulation: a day, a channel or a store.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Slice {
    /// The day (`2026-11-02`), channel or store.
    pub key: String,
    /// Baskets.
    pub baskets: u64,
    /// Of those, baskets a draft applied to.
    pub touched: u64,
    /// What the drafts granted.
    #[schema(value_type = String, example = "120.00")]
    pub drafts: Decimal,
    /// What the drafts add to today's discounts.
    #[schema(value_type = String, example = "80.00")]
    pub change: Decimal,
}

/// A slice's running sums.
#[derive(Clone, Debug, Default)]
struct Figures {
    baskets: u64,
    touched: u64,
    drafts: Decimal,
    change: Decimal,
}

impl Figures {
    fn add(&mut self, touched: bool, drafts: Decimal, change: Decimal) {
        self.baskets += 1;
        self.touched += u64::from(touched);
        self.drafts += drafts;
        self.change += change;
    }
}

/// The running sums behind a [`SimulationReport`].
pub struct Tally {
    currency: Option<String>,
    timezone: Tz,
    drafts: HashSet<String>,
    report: SimulationReport,
    campaigns: HashMap<String, CampaignOutcome>,
    by_day: BTreeMap<NaiveDate, Figures>,
    by_channel: BTreeMap<String, Figures>,
    by_store: BTreeMap<String, Figures>,
}

impl Tally {
    /// Nothing counted yet, money in `currency` (the first basket's when `None`), days in
    /// `timezone`.
    pub fn new(currency: Option<String>, timezone: Tz, drafts: HashSet<String>) -> Self {
        let campaigns = drafts
            .iter()
            .map(|id| {
                let outcome = CampaignOutcome {
                    campaign: id.clone(),
                    draft: true,
                    ..CampaignOutcome::default()
                };
                (id.clone(), outcome)
            })
            .collect();
        Tally {
            currency,
            timezone,
            drafts,
            report: SimulationReport::default(),
            campaigns,
            by_day: BTreeMap::new(),
            by_channel: BTreeMap::new(),
            by_store: BTreeMap::new(),
        }
    }

    /// Whether `basket` is in the simulation's currency (the first basket fixes it).
    pub fn counts(&mut self, basket: &Basket) -> bool {
        *self.currency.get_or_insert_with(|| basket.currency.clone()) == basket.currency
    }

    /// Counts a basket left out for its currency.
    pub fn skip(&mut self, _basket: &Basket) {
        self.report.skipped += 1;
    }

    /// Counts a basket that could not be priced.
    pub fn fail(&mut self, why: String) {
        self.report.failed += 1;
        self.report.first_failure.get_or_insert(why);
    }

    /// Baskets counted so far, skipped and failed ones included.
    pub fn seen(&self) -> u64 {
        self.report.baskets + self.report.skipped + self.report.failed
    }

    /// Counts a priced basket.
    pub fn add(&mut self, basket: &SimulatedBasket, outcome: &Outcome) {
        let with = &outcome.with_drafts;
        let without = outcome.without_drafts.as_ref().unwrap_or(with);
        let drafts: Decimal = with
            .applied
            .iter()
            .filter(|(id, _)| self.drafts.contains(id))
            .map(|(_, discount)| *discount)
            .sum();
        let touched = outcome.without_drafts.is_some();
        let change = with.discount_total - without.discount_total;
        let report = &mut self.report;
        report.baskets += 1;
        report.touched += u64::from(touched);
        report.discount.drafts += drafts;
        report.discount.with_drafts += with.discount_total;
        report.discount.without_drafts += without.discount_total;
        report.discount.change += change;
        for (id, discount) in &with.applied {
            let campaign = self.campaign(id);
            campaign.applied += 1;
            campaign.discount += discount;
        }
        if let Some(without) = &outcome.without_drafts {
            for (id, discount) in &without.applied {
                if with.applied.iter().all(|(applied, _)| applied != id) {
                    let campaign = self.campaign(id);
                    campaign.displaced += 1;
                    campaign.displaced_discount += discount;
                }
            }
        }
        let day = basket.at.with_timezone(&self.timezone).date_naive();
        let request = &basket.basket;
        self.by_day
            .entry(day)
            .or_default()
            .add(touched, drafts, change);
        if let Some(figures) = self.by_channel.get_mut(&request.channel) {
            figures.add(touched, drafts, change);
        } else {
            let mut figures = Figures::default();
            figures.add(touched, drafts, change);
            self.by_channel.insert(request.channel.clone(), figures);
        }
        if let Some(store) = &request.store {
            if let Some(figures) = self.by_store.get_mut(store) {
                figures.add(touched, drafts, change);
            } else {
                let mut figures = Figures::default();
                figures.add(touched, drafts, change);
                self.by_store.insert(store.clone(), figures);
            }
        }
    }

    /// Notes that campaign `id`'s budget or cap ran out at the basket priced `at`, the
    /// first time only.
    pub fn ran_out(&mut self, id: &str, at: DateTime<Utc>) {
        let (day, after) = (
            at.with_timezone(&self.timezone).date_naive(),
            self.report.baskets + 1,
        );
        let campaign = self.campaign(id);
        if campaign.runs_out_on.is_none() {
            campaign.runs_out_on = Some(day);
            campaign.runs_out_after = Some(after);
        }
    }

    /// The report of what was counted so far, every amount with its currency's decimals.
    pub fn report(&self) -> SimulationReport {
        let decimals = (self.currency.as_deref())
            .and_then(currency::minor_unit)
            .unwrap_or(2);
        let exact = |amount: Decimal| money(amount, decimals);
        let mut report = self.report.clone();
        report.currency = self.currency.clone();
        let totals = &mut report.discount;
        for amount in [
            &mut totals.drafts,
            &mut totals.with_drafts,
            &mut totals.without_drafts,
            &mut totals.change,
        ] {
            *amount = exact(*amount);
        }
        let mut campaigns: Vec<CampaignOutcome> = (self.campaigns.values())
            .map(|campaign| CampaignOutcome {
                discount: exact(campaign.discount),
                displaced_discount: exact(campaign.displaced_discount),
                ..campaign.clone()
            })
            .collect();
        campaigns.sort_by(|a, b| b.draft.cmp(&a.draft).then(a.campaign.cmp(&b.campaign)));
        report.campaigns = campaigns;
        let slice = |key: String, figures: &Figures| Slice {
            key,
            baskets: figures.baskets,
            touched: figures.touched,
            drafts: exact(figures.drafts),
            change: exact(figures.change),
        };
        report.by_day = (self.by_day.iter())
            .map(|(day, figures)| slice(day.to_string(), figures))
            .collect();
        report.by_channel = (self.by_channel.iter())
            .map(|(channel, figures)| slice(channel.clone(), figures))
            .collect();
        report.by_store = (self.by_store.iter())
            .map(|(store, figures)| slice(store.clone(), figures))
            .collect();
        report
    }

    fn campaign(&mut self, id: &str) -> &mut CampaignOutcome {
        if !self.campaigns.contains_key(id) {
            let outcome = CampaignOutcome {
                campaign: id.to_string(),
                draft: self.drafts.contains(id),
                ..CampaignOutcome::default()
            };
            self.campaigns.insert(id.to_string(), outcome);
        }
        self.campaigns.get_mut(id).expect("inserted above")
    }
}
