//! What-if simulation (docs/simulation.md): baskets priced in order against today's
//! campaigns with draft campaigns beside them, each basket counted as if it were committed,
//! so budgets and caps run out as they would; and, for every basket a draft touched, the
//! same basket priced without the drafts, to see which live campaigns they displace.
//!
//! Baskets are priced a chunk at a time on every core, all against the usage as it stood
//! when the chunk began; then walked in order, each one's budgets and caps counted. A
//! basket whose answer the chunk's earlier baskets changed (a limited campaign it took ran
//! short, or its customer already used a campaign with a per-customer limit) is priced
//! again, alone, on the usage it really meets. Usage only grows, so only a campaign that
//! applied can come out wrong: the walk gives the answers a one-at-a-time run would.

pub mod report;

use crate::engine::prefilter::Reason;
use crate::engine::run::Proposal;
use crate::engine::usage::budget_left;
use crate::engine::{self, CampaignIndex, EvaluateError, LiveCampaign};
use crate::model::body::BodyError;
use crate::model::campaign::Status;
use crate::model::customer_data::CustomerData;
use crate::model::usage::{CampaignUsage, CouponState, CustomerUse, Usage};
use crate::model::Effect;
use crate::model::{Basket, Policy};
use crate::money::{self, currency};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rayon::prelude::*;
pub use report::{SimulationReport, Tally};
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

/// Baskets priced together on every core before the walk counts them in order.
pub const CHUNK: usize = 4_096;

/// Baskets of a chunk priced again one at a time before the rest of it is priced again
/// together.
const PRICED_AGAIN_AT_MOST: usize = 32;

/// What a simulation prices against.
pub struct Scenario {
    /// Today's campaigns, as served.
    pub live: Vec<Arc<LiveCampaign>>,
    /// The drafts, prepared by their plugins; one with a live campaign's id replaces it.
    pub drafts: Vec<Arc<LiveCampaign>>,
    /// Group policies.
    pub policies: HashMap<String, Policy>,
    /// Every campaign's usage today.
    pub usage: HashMap<String, CampaignUsage>,
    /// The currency money is counted in; that of the first basket when `None`.
    pub currency: Option<String>,
    /// The time zone days are counted in.
    pub timezone: Tz,
    /// When the simulation runs: a live campaign ended by then is left out.
    pub now: DateTime<Utc>,
}

/// A basket to simulate, with what its pricing reads besides the campaigns.
#[derive(Clone, Debug)]
pub struct SimulatedBasket {
    /// The basket (its `at` is ignored: see `at`).
    pub basket: Basket,
    /// The instant it is priced at.
    pub at: DateTime<Utc>,
    /// Its coupon codes that exist, by normalized code, as they stand today.
    pub coupons: HashMap<String, CouponState>,
    /// What plugins may ask about its customer, when one asks.
    pub customer_data: Option<Arc<CustomerData>>,
}

/// One answer, as the simulation counts it.
#[derive(Clone, Debug, Default)]
pub struct Priced {
    /// The campaigns that applied, with their discount.
    pub applied: Vec<(String, Decimal)>,
    /// The answer's `discount_total`.
    pub discount_total: Decimal,
}

/// A basket's answers: with the drafts, and without them when a draft applied.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Priced with the drafts beside today's campaigns.
    pub with_drafts: Priced,
    /// Priced on today's campaigns only; `None` when no draft applied (the answer is
    /// then the same: a draft that does not apply changes nothing).
    pub without_drafts: Option<Priced>,
    /// The campaigns set aside because their budget is spent.
    pub exhausted: Vec<String>,
}

/// Runs a simulation, a chunk at a time.
pub struct Simulator {
    with_drafts: CampaignIndex,
    without_drafts: CampaignIndex,
    drafts: HashSet<String>,
    /// Campaigns with a cap, budget or per-customer limit, and their time zone.
    limited: HashMap<String, Arc<LiveCampaign>>,
    policies: HashMap<String, Policy>,
    usage: HashMap<String, CampaignUsage>,
    /// Each customer's uses of per-customer-limited campaigns, in this simulation.
    customers: HashMap<String, Vec<CustomerUse>>,
    caps_customers: bool,
    /// Whether a draft has a live campaign's id (the baseline then runs its own plugins).
    drafts_replace_live: bool,
    tally: Tally,
    pool: rayon::ThreadPool,
}

/// Why a simulation cannot run.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SimulationError(pub String);

impl Simulator {
    /// A simulator for `scenario`, pricing on `threads` threads (0: one per core).
    pub fn new(scenario: Scenario, threads: usize) -> Result<Self, SimulationError> {
        let Scenario {
            live,
            drafts,
            policies,
            usage,
            currency,
            timezone,
            now,
        } = scenario;
        let draft_ids: HashSet<String> = drafts.iter().map(|d| d.campaign.id.clone()).collect();
        let running = |live: &Arc<LiveCampaign>| {
            live.campaign.status == Status::Active
                && live.campaign.schedule.ends_at.is_none_or(|end| end >= now)
        };
        let live: Vec<Arc<LiveCampaign>> = live.iter().filter(|l| running(l)).map(lifted).collect();
        let drafts: Vec<Arc<LiveCampaign>> = drafts.iter().map(lifted).collect();
        let drafts_replace_live = live.iter().any(|l| draft_ids.contains(&l.campaign.id));
        let mut with: Vec<Arc<LiveCampaign>> = live
            .iter()
            .filter(|l| !draft_ids.contains(&l.campaign.id))
            .cloned()
            .collect();
        with.extend(drafts.iter().cloned());
        // Live campaigns first: a draft's limits win over those of the campaign it replaces.
        let mut limited = HashMap::new();
        for l in live.iter().chain(&with) {
            let limits = &l.campaign.limits;
            if limits.budget.is_some()
                || limits.redemptions.is_some()
                || limits.per_customer.is_some()
            {
                limited.insert(l.campaign.id.clone(), Arc::clone(l));
            }
        }
        let caps_customers = (limited.values()).any(|l| l.campaign.limits.per_customer.is_some());
        let mut builder =
            rayon::ThreadPoolBuilder::new().thread_name(|i| format!("remise-sim-{i}"));
        if threads > 0 {
            builder = builder.num_threads(threads);
        }
        let pool = builder
            .build()
            .map_err(|e| SimulationError(format!("no simulation threads: {e}")))?;
        let tally = Tally::new(currency, timezone, draft_ids.clone());
        Ok(Simulator {
            with_drafts: CampaignIndex::new(with),
            without_drafts: CampaignIndex::new(live),
            drafts: draft_ids,
            limited,
            policies,
            usage,
            customers: HashMap::new(),
            caps_customers,
            drafts_replace_live,
            tally,
            pool,
        })
    }

    /// Prices `chunk` (baskets in time order, after those of earlier chunks) and counts it.
    pub fn run_chunk(&mut self, chunk: &[SimulatedBasket]) {
        let mut rest = chunk;
        while !rest.is_empty() {
            let counted = self.speculate_and_count(rest);
            rest = rest.get(counted..).unwrap_or_default();
        }
    }

    /// Prices `baskets` on every core against the usage as it stands, then counts them in
    /// order, pricing again, alone, each one whose answer the usage has changed since. Past
    /// [`PRICED_AGAIN_AT_MOST`] of those (a budget ran out, say), stops, and says how many
    /// it counted: the rest are priced together again, on the usage as it then stands.
    fn speculate_and_count(&mut self, baskets: &[SimulatedBasket]) -> usize {
        let snapshot = Arc::new(self.usage.clone());
        let this = &*self;
        let speculative: Vec<Result<Outcome, String>> = self.pool.install(|| {
            baskets
                .par_iter()
                .map(|basket| this.outcome(basket, &snapshot))
                .collect()
        });
        let mut used_in_chunk: HashSet<(String, String)> = HashSet::new();
        let mut priced_again = 0;
        for (counted, (basket, outcome)) in baskets.iter().zip(speculative).enumerate() {
            if !self.tally.counts(&basket.basket) {
                self.tally.skip(&basket.basket);
                continue;
            }
            let outcome = match outcome {
                Ok(outcome) if self.still_holds(&outcome, basket, &snapshot, &used_in_chunk) => {
                    Ok(outcome)
                }
                Ok(speculated) => {
                    self.note_shortfalls(&speculated, basket);
                    if priced_again == PRICED_AGAIN_AT_MOST {
                        return counted;
                    }
                    priced_again += 1;
                    self.outcome(basket, &Arc::new(self.usage.clone()))
                }
                Err(error) => Err(error),
            };
            match outcome {
                Ok(outcome) => {
                    self.commit(basket, &outcome, &mut used_in_chunk);
                    self.tally.add(basket, &outcome);
                }
                Err(error) => self.tally.fail(error),
            }
        }
        baskets.len()
    }

    /// Counts a basket that could not be read, with why.
    pub fn count_unreadable(&mut self, why: String) {
        self.tally.fail(why);
    }

    /// What has been counted so far.
    pub fn report(&self) -> SimulationReport {
        self.tally.report()
    }

    /// Baskets counted so far (skipped and failed ones included).
    pub fn seen(&self) -> u64 {
        self.tally.seen()
    }

    /// `basket` priced on usage `campaigns`, with the drafts and, when one applied, without.
    fn outcome(
        &self,
        basket: &SimulatedBasket,
        campaigns: &Arc<HashMap<String, CampaignUsage>>,
    ) -> Result<Outcome, String> {
        let customer = match &basket.basket.customer {
            Some(customer) if self.caps_customers => self
                .customers
                .get(&customer.id)
                .cloned()
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let usage = Usage {
            campaigns: Arc::clone(campaigns),
            customer,
            coupons: basket.coupons.clone(),
            customer_data: basket.customer_data.clone(),
        };
        let deadline = Instant::now() + engine::PLUGIN_TIME_BUDGET;
        let request = engine::Request {
            basket: &basket.basket,
            explain: false,
            at: basket.at,
            deadline,
        };
        let decimals = currency::minor_unit(&basket.basket.currency)
            .ok_or_else(|| EvaluateError::UnknownCurrency(basket.basket.currency.clone()))
            .map_err(|e| e.to_string())?;
        let policy = |group: &str| self.policies.get(group).copied().unwrap_or_default();
        let selection = engine::select::select(request, &self.with_drafts, &usage);
        let proposals = engine::run::run_plugins(request, &selection.groups, &usage)
            .map_err(|e| e.to_string())?;
        let mut exhausted: Vec<String> = selection
            .rejected
            .iter()
            .filter(|r| r.rejection.reason == Reason::BudgetExhausted)
            .map(|r| r.campaign.clone())
            .collect();
        let with_drafts = conclude(
            &basket.basket,
            decimals,
            &proposals.proposals,
            &policy,
            &usage,
            &mut exhausted,
        );
        let draft_applied = with_drafts
            .applied
            .iter()
            .any(|(id, _)| self.drafts.contains(id));
        let without_drafts = if !draft_applied {
            None
        } else if self.drafts_replace_live {
            // The live campaign a draft replaces never ran: price without the drafts anew.
            let selection = engine::select::select(request, &self.without_drafts, &usage);
            let proposals = engine::run::run_plugins(request, &selection.groups, &usage)
                .map_err(|e| e.to_string())?;
            let basket = &basket.basket;
            let ignored = &mut Vec::new();
            let priced = conclude(
                basket,
                decimals,
                &proposals.proposals,
                &policy,
                &usage,
                ignored,
            );
            Some(priced)
        } else {
            // The live campaigns' proposals are the same without the drafts: settle them alone.
            let live: Vec<Proposal<'_>> = proposals
                .proposals
                .iter()
                .filter(|p| !self.drafts.contains(&p.live.campaign.id))
                .cloned()
                .collect();
            let basket = &basket.basket;
            let ignored = &mut Vec::new();
            Some(conclude(basket, decimals, &live, &policy, &usage, ignored))
        };
        Ok(Outcome {
            with_drafts,
            without_drafts,
            exhausted,
        })
    }

    /// Notes the limited campaigns `speculated` applied whose budget can no longer cover
    /// what they granted there: their budget runs out at `basket`.
    fn note_shortfalls(&mut self, speculated: &Outcome, basket: &SimulatedBasket) {
        let currency = &basket.basket.currency;
        for (id, discount) in &speculated.with_drafts.applied {
            let Some(live) = self.limited.get(id) else {
                continue;
            };
            let used = self.usage.get(id);
            if budget_left(&live.campaign, used, currency).is_some_and(|left| *discount > left) {
                self.tally.ran_out(id, basket.at);
            }
        }
    }

    /// Whether `outcome`, priced on `snapshot`, is what the usage now gives: every limited
    /// campaign it applied is still far enough from its cap and budget, and its customer
    /// has not used a per-customer-limited one since the chunk began.
    fn still_holds(
        &self,
        outcome: &Outcome,
        basket: &SimulatedBasket,
        snapshot: &HashMap<String, CampaignUsage>,
        used_in_chunk: &HashSet<(String, String)>,
    ) -> bool {
        let applied = outcome
            .with_drafts
            .applied
            .iter()
            .chain(outcome.without_drafts.iter().flat_map(|p| p.applied.iter()));
        for (id, discount) in applied {
            let Some(live) = self.limited.get(id) else {
                continue;
            };
            let limits = &live.campaign.limits;
            if limits.per_customer.is_some() {
                if let Some(customer) = &basket.basket.customer {
                    if used_in_chunk.contains(&(customer.id.clone(), id.clone())) {
                        return false;
                    }
                }
            }
            let now = self.usage.get(id);
            if now == snapshot.get(id) {
                continue;
            }
            let redemptions = now.map_or(0, |u| u.redemptions);
            if limits.redemptions.is_some_and(|cap| redemptions >= cap) {
                return false;
            }
            let currency = &basket.basket.currency;
            if budget_left(&live.campaign, now, currency).is_some_and(|left| *discount > left) {
                return false;
            }
        }
        true
    }

    /// Counts `outcome` as committed: its campaigns' redemptions and discounts, and its
    /// customer's uses; notes a budget or cap it spends.
    fn commit(
        &mut self,
        basket: &SimulatedBasket,
        outcome: &Outcome,
        used_in_chunk: &mut HashSet<(String, String)>,
    ) {
        let request = &basket.basket;
        let decimals = currency::minor_unit(&request.currency).unwrap_or(2);
        for id in &outcome.exhausted {
            self.tally.ran_out(id, basket.at);
        }
        for (id, discount) in &outcome.with_drafts.applied {
            let used = self.usage.entry(id.clone()).or_default();
            used.redemptions += 1;
            if *discount > Decimal::ZERO {
                used.currency
                    .get_or_insert_with(|| request.currency.clone());
            }
            used.granted_minor = used
                .granted_minor
                .saturating_add(engine::usage::to_minor(*discount, decimals).unwrap_or(i64::MAX));
            let Some(live) = self.limited.get(id) else {
                continue;
            };
            let campaign = &live.campaign;
            if let (Some(_), Some(customer)) = (campaign.limits.per_customer, &request.customer) {
                let zone = campaign.schedule.timezone();
                self.customers
                    .entry(customer.id.clone())
                    .or_default()
                    .push(CustomerUse {
                        campaign: id.clone(),
                        local_date: basket.at.with_timezone(&zone).date_naive(),
                    });
                used_in_chunk.insert((customer.id.clone(), id.clone()));
            }
            if engine::usage::spent(campaign, Some(used)) {
                self.tally.ran_out(id, basket.at);
            }
        }
    }
}

/// Settles `proposals` and prices what applies: each applied campaign's discount and the
/// total. Adds the campaigns set aside for their budget to `exhausted`.
fn conclude(
    basket: &Basket,
    decimals: u32,
    proposals: &[Proposal<'_>],
    policy: &impl Fn(&str) -> Policy,
    usage: &Usage,
    exhausted: &mut Vec<String>,
) -> Priced {
    let settlement = engine::settle::settle(basket, decimals, proposals, policy, usage);
    exhausted.extend(
        (settlement.rejected.iter())
            .filter(|r| r.rejection.reason == Reason::BudgetExhausted)
            .map(|r| r.campaign.clone()),
    );
    let effects: Vec<&[Effect]> = (settlement.applied.iter())
        .map(|&i| proposals[i].effects.as_slice())
        .collect();
    let priced = money::price_capped(&basket.lines, &effects, &settlement.caps, decimals);
    Priced {
        applied: (settlement.applied.iter())
            .zip(&priced.campaigns)
            .map(|(&i, amounts)| {
                let id = proposals[i].live.campaign.id.clone();
                (id, engine::response::money(amounts.discount, decimals))
            })
            .collect(),
        discount_total: engine::response::money(priced.discount_total, decimals),
    }
}

/// A line of an NDJSON basket file (the body of `POST /v1/evaluate` less `explain`),
/// checked as an evaluation's basket is; why not, with the field's JSON pointer.
pub fn basket_line(line: &str, max_lines: usize) -> Result<Basket, String> {
    let basket: Basket =
        crate::model::body::parse(line.as_bytes()).map_err(|error| match error {
            BodyError::Field(problem) => format!("{}: {}", problem.pointer, problem.message),
            syntax => syntax.to_string(),
        })?;
    basket.validate(max_lines).map_err(|problems| {
        (problems.iter())
            .map(|problem| format!("{}: {}", problem.pointer, problem.message))
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    Ok(basket)
}

/// `live` as a simulation prices it: active, and with no start or end date (its days and
/// hours still count), so the baskets' own instants need not fall in its dates.
fn lifted(live: &Arc<LiveCampaign>) -> Arc<LiveCampaign> {
    let mut campaign = live.campaign.clone();
    campaign.status = Status::Active;
    campaign.schedule.starts_at = None;
    campaign.schedule.ends_at = None;
    Arc::new(LiveCampaign {
        campaign,
        plugin: Arc::clone(&live.plugin),
        prepared: live.prepared.clone(),
        revision: live.revision,
    })
}
