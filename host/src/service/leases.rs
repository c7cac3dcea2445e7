//! The budget leases this host holds: slices of hot campaigns' caps and budgets that its
//! commits take from in memory, without the campaign's lock (docs/scaling.md, "Budget
//! leases"). The database keeps each slice and what its committed orders used
//! ([`crate::store::LeaseAsk`]); this book keeps what is left of each, net of the commits
//! in progress, so that two commits of this host never count on the same part.

use super::evaluator::Snapshot;
use super::Service;
use crate::engine::response::{AppliedCampaign, EvaluateResponse};
use crate::engine::usage;
use crate::model::campaign::Campaign;
use crate::model::usage::CampaignUsage;
use crate::model::Basket;
use crate::money::currency;
use crate::store::{LeaseAsk, LeaseLimits, LeaseTake, Store, StoreError};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How budget leases are used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseSettings {
    /// Whether this host leases slices of the campaigns it can
    /// (`--budget-leases`): off, every commit takes the campaigns' locks.
    pub enabled: bool,
    /// How long a lease lives unless renewed (`--lease-ttl-secs`): a host that dies
    /// holds its unused slices this long at most.
    pub ttl: Duration,
    /// How long a store node's lease lives unless renewed (`--store-lease-ttl-secs`): a
    /// store offline longer stops applying its leased campaigns, and its unused slices
    /// come back (docs/store-nodes.md).
    pub store_ttl: Duration,
}

impl Default for LeaseSettings {
    fn default() -> Self {
        LeaseSettings {
            enabled: false,
            ttl: DEFAULT_LEASE_TTL,
            store_ttl: DEFAULT_STORE_LEASE_TTL,
        }
    }
}

/// How long a lease lives unless renewed, by default.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(30);

/// How long a store node's lease lives unless renewed, by default: a day offline.
pub const DEFAULT_STORE_LEASE_TTL: Duration = Duration::from_secs(86_400);

/// The limits a lease of `campaign` counts, when it can be leased at all: its only limits
/// are a cap and a budget in a named currency (per-customer limits and coupons need their
/// locks).
pub fn leasable_limits(campaign: &Campaign) -> Option<LeaseLimits> {
    let limits = &campaign.limits;
    if limits.per_customer.is_some() || campaign.coupon_required {
        return None;
    }
    let budget_minor = match limits.budget {
        None => None,
        Some(budget) => {
            let kept_in = limits.budget_currency.as_deref()?;
            Some(usage::to_minor(budget, currency::minor_unit(kept_in)?)?)
        }
    };
    if limits.redemptions.is_none() && budget_minor.is_none() {
        return None;
    }
    Some(LeaseLimits {
        cap: limits.redemptions,
        budget_minor,
    })
}

/// How long a lease may go unused before it is given back, so that another host may use
/// what is left of it.
const IDLE_RETURN: Duration = Duration::from_secs(1);

/// One lease held: what is left of it, net of commits in progress.
#[derive(Debug)]
struct Held {
    id: String,
    /// The campaign's limits when it was leased: when they change, what is left of the
    /// slice no longer counts.
    limits: LeaseLimits,
    /// Redemptions left (`None` without a cap).
    redemptions: Option<u64>,
    /// Minor units left (`None` without a budget).
    minor: Option<i64>,
    /// Commits that took from it and are not yet durable (or rolled back).
    in_flight: usize,
    last_taken: Instant,
}

impl Held {
    fn covers(&self, take: LeaseTake) -> bool {
        self.redemptions.is_none_or(|left| left >= take.redemptions)
            && self.minor.is_none_or(|left| left >= take.minor)
    }
}

/// Pins `lease` of `campaign` for commits about to take from it: counted as one in
/// flight, taking nothing, so that it is not given back as idle meanwhile.
fn pin(campaign: &str, lease: &mut Held) -> Reservation {
    lease.in_flight += 1;
    lease.last_taken = Instant::now();
    Reservation {
        campaign: campaign.to_string(),
        lease_id: lease.id.clone(),
        take: LeaseTake::default(),
    }
}

/// What one commit took from one lease (or a pin, which takes nothing), until it is
/// durable or undone ([`LeaseBook::settle`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Reservation {
    pub(super) campaign: String,
    pub(super) lease_id: String,
    pub(super) take: LeaseTake,
}

/// The leases this host holds, per campaign.
pub(super) struct LeaseBook {
    settings: LeaseSettings,
    /// This host, as lease rows name their holder: new at each start.
    holder: String,
    held: Mutex<HashMap<String, Held>>,
    /// One lease request at a time per campaign from this host.
    asking: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl LeaseBook {
    /// A book for a host that leases as `settings` say.
    /// How long a store node's lease lives unless renewed.
    pub(super) fn store_ttl(&self) -> Duration {
        self.settings.store_ttl
    }

    pub(super) fn new(settings: LeaseSettings) -> LeaseBook {
        LeaseBook {
            settings,
            holder: crate::auth::new_key_id(),
            held: Mutex::new(HashMap::new()),
            asking: Mutex::new(HashMap::new()),
        }
    }

    /// The limits a lease of `campaign` counts, when this host leases it: leasing is on,
    /// and its only limits are a cap and a budget in a named currency (per-customer
    /// limits and coupons need their locks anyway).
    pub(super) fn limits_of(&self, campaign: &Campaign) -> Option<LeaseLimits> {
        if !self.settings.enabled {
            return None;
        }
        leasable_limits(campaign)
    }

    /// The limits this host's lease counts for `applied`, a campaign an answer applies
    /// (`campaign`): one it leases ([`LeaseBook::limits_of`]), applied without a coupon (a
    /// coupon's uses need the campaign's lock).
    pub(super) fn limits_for(
        &self,
        applied: &AppliedCampaign,
        campaign: &Campaign,
    ) -> Option<LeaseLimits> {
        if applied.coupon.is_some() {
            return None;
        }
        self.limits_of(campaign)
    }

    /// What committing `response` for `request` takes from leases: one redemption and
    /// its discount (in minor units of the basket's currency, the budget's when it
    /// applies) from each campaign it applies that this host leases, in campaign order.
    pub(super) fn takes_of(
        &self,
        response: &EvaluateResponse,
        request: &Basket,
        snapshot: &Snapshot,
    ) -> Vec<(String, LeaseLimits, LeaseTake)> {
        if !self.settings.enabled {
            return Vec::new();
        }
        let decimals = currency::minor_unit(&request.currency);
        let mut takes: Vec<(String, LeaseLimits, LeaseTake)> = response
            .applied
            .iter()
            .filter_map(|applied| {
                let live = snapshot.index.get(&applied.campaign)?;
                let limits = self.limits_for(applied, &live.campaign)?;
                let minor = match (limits.budget_minor, decimals) {
                    (Some(_), Some(decimals)) => {
                        usage::to_minor(applied.discount, decimals).unwrap_or(i64::MAX)
                    }
                    _ => 0,
                };
                let take = LeaseTake {
                    redemptions: 1,
                    minor,
                };
                Some((applied.campaign.clone(), limits, take))
            })
            .collect();
        takes.sort_by(|a, b| a.0.cmp(&b.0));
        takes
    }

    /// Takes each of `takes` from this host's leases, or none of them when one is not
    /// covered.
    pub(super) fn reserve_all(
        &self,
        takes: &[(String, LeaseLimits, LeaseTake)],
    ) -> Option<Vec<Reservation>> {
        let mut reserved = Vec::with_capacity(takes.len());
        for (campaign, _, take) in takes {
            match self.reserve(campaign, *take) {
                Some(reservation) => reserved.push(reservation),
                None => {
                    self.settle(&reserved, false);
                    return None;
                }
            }
        }
        Some(reserved)
    }

    /// What a commit of this host may take from `campaign` (leased, `limits`), shown as
    /// usage: the limits less what is left of this host's lease. A campaign this host
    /// holds no lease of looks spent.
    pub(super) fn view(&self, campaign: &Campaign, limits: LeaseLimits) -> CampaignUsage {
        let held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let lease = held.get(&campaign.id);
        let left_redemptions = lease.and_then(|l| l.redemptions).unwrap_or(0);
        let left_minor = lease.and_then(|l| l.minor).unwrap_or(0);
        CampaignUsage {
            currency: campaign.limits.budget_currency.clone(),
            redemptions: limits
                .cap
                .map_or(0, |cap| cap.saturating_sub(left_redemptions)),
            granted_minor: limits
                .budget_minor
                .map_or(0, |budget| budget.saturating_sub(left_minor)),
        }
    }

    /// Takes `take` from this host's lease of `campaign`, when what is left covers it.
    pub(super) fn reserve(&self, campaign: &str, take: LeaseTake) -> Option<Reservation> {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let lease = held.get_mut(campaign).filter(|lease| lease.covers(take))?;
        if let Some(left) = lease.redemptions.as_mut() {
            *left -= take.redemptions;
        }
        if let Some(left) = lease.minor.as_mut() {
            *left -= take.minor;
        }
        lease.in_flight += 1;
        lease.last_taken = Instant::now();
        Some(Reservation {
            campaign: campaign.to_string(),
            lease_id: lease.id.clone(),
            take,
        })
    }

    /// Ends `reservations`: kept when their commit is `durable`, given back to what is
    /// left of their lease when it was not.
    pub(super) fn settle(&self, reservations: &[Reservation], durable: bool) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        for reservation in reservations {
            let Some(lease) = held
                .get_mut(&reservation.campaign)
                .filter(|lease| lease.id == reservation.lease_id)
            else {
                continue;
            };
            lease.in_flight = lease.in_flight.saturating_sub(1);
            if !durable {
                if let Some(left) = lease.redemptions.as_mut() {
                    *left += reservation.take.redemptions;
                }
                if let Some(left) = lease.minor.as_mut() {
                    *left += reservation.take.minor;
                }
            }
        }
    }

    /// Forgets lease `id`: the database no longer has it (taken back after it expired).
    pub(super) fn forget(&self, id: &str) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        held.retain(|_, lease| lease.id != id);
    }

    /// Makes sure this host's lease of `campaign` covers `need`, leasing more when it
    /// does not: at least what is missing, a slice of what is free when that is more,
    /// what is free when less is left. Other hosts' expired leases are taken back first.
    /// Answers a pin that keeps the lease from being given back as idle until it is
    /// settled ([`LeaseBook::settle`]), once the commits it was covered for are written.
    pub(super) async fn cover(
        &self,
        store: &Store,
        campaign: &str,
        limits: LeaseLimits,
        need: LeaseTake,
        now_ms: i64,
    ) -> Result<Reservation, StoreError> {
        let asking = self.asking_for(campaign);
        let _one_at_a_time = asking.lock().await;
        let (missing, rebase) = {
            let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
            match held.get_mut(campaign) {
                // Marketing changed the campaign's limits: the slice is leased again under
                // the new ones, and nothing is taken from it meanwhile.
                Some(lease) if lease.limits != limits => {
                    lease.limits = limits;
                    lease.redemptions = limits.cap.map(|_| 0);
                    lease.minor = limits.budget_minor.map(|_| 0);
                    (need, true)
                }
                Some(lease) if lease.covers(need) => return Ok(pin(campaign, lease)),
                Some(lease) => {
                    let missing = LeaseTake {
                        redemptions: need
                            .redemptions
                            .saturating_sub(lease.redemptions.unwrap_or(0)),
                        minor: need.minor.saturating_sub(lease.minor.unwrap_or(0)).max(0),
                    };
                    (missing, false)
                }
                None => (need, false),
            }
        };
        let new_id = crate::auth::new_key_id();
        let granted = store
            .lease(&LeaseAsk {
                campaign_id: campaign,
                holder: &self.holder,
                new_id: &new_id,
                limits,
                need: missing,
                rebase,
                now_ms,
                ttl_ms: i64::try_from(self.settings.ttl.as_millis()).unwrap_or(i64::MAX),
            })
            .await?;
        crate::metrics::lease_taken();
        let empty = || Held {
            id: granted.id.clone(),
            limits,
            redemptions: limits.cap.map(|_| 0),
            minor: limits.budget_minor.map(|_| 0),
            in_flight: 0,
            last_taken: Instant::now(),
        };
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let lease = held.entry(campaign.to_string()).or_insert_with(empty);
        // Another host took the old one back: its commits in progress fail.
        if lease.id != granted.id {
            *lease = empty();
        }
        if let (Some(left), Some(more)) = (lease.redemptions.as_mut(), granted.redemptions) {
            *left += more;
        }
        if let (Some(left), Some(more)) = (lease.minor.as_mut(), granted.minor) {
            *left += more;
        }
        Ok(pin(campaign, lease))
    }

    /// Gives back the leases no commit took from for [`IDLE_RETURN`], so that another
    /// host may use what is left of them.
    pub(super) async fn return_idle(&self, store: &Store) -> Result<(), StoreError> {
        self.give_back(store, |lease| lease.last_taken.elapsed() > IDLE_RETURN)
            .await
    }

    /// Gives back idle leases, renews the others, and forgets those the database no
    /// longer has (another host took them back after they expired).
    pub(super) async fn renew(&self, store: &Store, now_ms: i64) -> Result<(), StoreError> {
        self.return_idle(store).await?;
        // Only the leases held before the renewal can be missing from its answer: one
        // leased meanwhile is not.
        let before: HashSet<String> = {
            let held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
            held.values().map(|lease| lease.id.clone()).collect()
        };
        let ttl_ms = i64::try_from(self.settings.ttl.as_millis()).unwrap_or(i64::MAX);
        let alive = store
            .renew_leases(&self.holder, now_ms.saturating_add(ttl_ms))
            .await?;
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        held.retain(|_, lease| !before.contains(&lease.id) || alive.contains(&lease.id));
        Ok(())
    }

    /// Gives back every lease no commit takes from (on shutdown).
    pub(super) async fn return_all(&self, store: &Store) -> Result<(), StoreError> {
        self.give_back(store, |_| true).await
    }

    /// Gives back the leases no commit takes from that `chosen` picks, each while no
    /// lease of its campaign is being asked for (which would add to the same row).
    async fn give_back(
        &self,
        store: &Store,
        chosen: impl Fn(&Held) -> bool,
    ) -> Result<(), StoreError> {
        let candidates: Vec<String> = {
            let held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
            held.iter()
                .filter(|(_, lease)| lease.in_flight == 0 && chosen(lease))
                .map(|(campaign, _)| campaign.clone())
                .collect()
        };
        for campaign in candidates {
            let asking = self.asking_for(&campaign);
            let _one_at_a_time = asking.lock().await;
            if let Some(id) = self.take_out(&campaign, &chosen) {
                store.return_lease(&id).await?;
            }
        }
        Ok(())
    }

    /// Removes `campaign`'s lease from the book when no commit takes from it and `chosen`
    /// picks it, and answers its id.
    fn take_out(&self, campaign: &str, chosen: impl Fn(&Held) -> bool) -> Option<String> {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        held.get(campaign)
            .filter(|lease| lease.in_flight == 0 && chosen(lease))?;
        held.remove(campaign).map(|lease| lease.id)
    }

    /// The lock that lets one lease request at a time for `campaign` through.
    fn asking_for(&self, campaign: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut asking = self.asking.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(asking.entry(campaign.to_string()).or_default())
    }
}

/// The lease keeper: every [`IDLE_RETURN`] gives back this host's idle leases, and every
/// third of the TTL renews the others (two renewals may fail before one expires), until
/// `stopping`; then gives back every lease.
pub async fn run_lease_keeper(
    service: Arc<Service>,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    let book = &service.leases;
    if !book.settings.enabled {
        return;
    }
    let renew_every = (book.settings.ttl / 3).max(Duration::from_millis(100));
    let mut every = tokio::time::interval(IDLE_RETURN.min(renew_every));
    let mut renewed = Instant::now();
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stopping.changed() => break,
        }
        let kept = if renewed.elapsed() >= renew_every {
            renewed = Instant::now();
            book.renew(&service.store, service.clock.now().timestamp_millis())
                .await
        } else {
            book.return_idle(&service.store).await
        };
        if let Err(error) = kept {
            tracing::warn!(%error, "budget leases not renewed");
        }
    }
    if let Err(error) = book.return_all(&service.store).await {
        tracing::warn!(%error, "budget leases not given back: they come back when they expire");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> LeaseBook {
        LeaseBook::new(LeaseSettings {
            enabled: true,
            ttl: Duration::from_secs(30),
            ..LeaseSettings::default()
        })
    }

    fn hold(book: &LeaseBook, campaign: &str, redemptions: Option<u64>, minor: Option<i64>) {
        let mut held = book.held.lock().unwrap_or_else(PoisonError::into_inner);
        held.insert(
            campaign.into(),
            Held {
                id: format!("lease-{campaign}"),
                limits: LeaseLimits {
                    cap: redemptions.map(|_| 1_000),
                    budget_minor: minor.map(|_| 100_000),
                },
                redemptions,
                minor,
                in_flight: 0,
                last_taken: Instant::now(),
            },
        );
    }

    fn take(redemptions: u64, minor: i64) -> LeaseTake {
        LeaseTake { redemptions, minor }
    }

    #[test]
    fn a_reservation_takes_from_what_is_left_and_never_past_it() {
        let book = book();
        hold(&book, "c", Some(2), Some(1_000));
        assert!(book.reserve("c", take(1, 600)).is_some());
        assert!(book.reserve("c", take(1, 600)).is_none(), "400 left");
        assert!(book.reserve("c", take(1, 400)).is_some());
        assert!(
            book.reserve("c", take(1, 0)).is_none(),
            "no redemption left"
        );
        assert!(book.reserve("other", take(1, 0)).is_none(), "no lease");
    }

    #[test]
    fn a_reservation_undone_is_left_again_and_one_kept_is_not() {
        let book = book();
        hold(&book, "c", None, Some(1_000));
        let kept = book
            .reserve("c", take(1, 700))
            .into_iter()
            .collect::<Vec<_>>();
        book.settle(&kept, true);
        let undone = book
            .reserve("c", take(1, 300))
            .into_iter()
            .collect::<Vec<_>>();
        book.settle(&undone, false);
        assert!(book.reserve("c", take(1, 300)).is_some());
        assert!(book.reserve("c", take(1, 1)).is_none());
    }

    #[test]
    fn a_forgotten_lease_takes_nothing_more_and_its_reservations_end_quietly() {
        let book = book();
        hold(&book, "c", Some(5), None);
        let reserved: Vec<_> = book.reserve("c", take(1, 0)).into_iter().collect();
        book.forget("lease-c");
        book.settle(&reserved, false);
        assert!(book.reserve("c", take(1, 0)).is_none());
    }

    #[test]
    fn a_pinned_lease_or_one_taken_from_is_not_given_back_until_settled() {
        let book = book();
        hold(&book, "c", Some(5), None);
        let pinned = {
            let mut held = book.held.lock().unwrap_or_else(PoisonError::into_inner);
            pin("c", held.get_mut("c").expect("held"))
        };
        let taken: Vec<_> = book.reserve("c", take(1, 0)).into_iter().collect();
        assert_eq!(book.take_out("c", |_| true), None, "pinned and taken from");
        book.settle(&[pinned], true);
        assert_eq!(book.take_out("c", |_| true), None, "still taken from");
        book.settle(&taken, true);
        assert_eq!(book.take_out("c", |_| true).as_deref(), Some("lease-c"));
        assert!(book.reserve("c", take(1, 0)).is_none(), "given back");
    }

    #[test]
    fn the_view_shows_what_is_left_of_the_lease_as_what_is_left_of_the_limits() {
        let book = book();
        let mut campaign: Campaign = serde_json::from_value(serde_json::json!({
            "id": "c", "name": "c", "plugin": "p", "status": "active", "params": {},
            "limits": { "redemptions": 50, "budget": "100.00", "budget_currency": "EUR" }
        }))
        .expect("a campaign");
        let limits = book.limits_of(&campaign).expect("leased");
        assert_eq!(limits.cap, Some(50));
        assert_eq!(limits.budget_minor, Some(10_000));
        let spent = book.view(&campaign, limits);
        assert_eq!((spent.redemptions, spent.granted_minor), (50, 10_000));
        hold(&book, "c", Some(3), Some(2_500));
        let view = book.view(&campaign, limits);
        assert_eq!((view.redemptions, view.granted_minor), (47, 7_500));
        campaign.limits.per_customer = Some(1);
        assert_eq!(book.limits_of(&campaign), None, "per-customer limits lock");
        let off = LeaseBook::new(LeaseSettings::default());
        assert_eq!(off.limits_of(&campaign), None);
    }
}
