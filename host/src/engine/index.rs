//! The prefilter's index: which live campaigns can possibly concern a basket, so that a
//! campaign that cannot apply costs nothing measurable, whatever the reason.
//!
//! Every reason a campaign is set aside for everyone at once (its status, its schedule, a
//! spent cap or budget) or for a kind of basket (channel, store, customer, segment, loyalty
//! tier, attribute, a required coupon the basket lacks) is a set of campaigns, kept as a bit
//! set over their positions. A basket's candidates are the intersection of the sets it
//! passes, computed word by word without looking at any campaign that is not in it. The
//! schedule's set depends on the instant and the spent set on the usage: each is computed
//! once, for the second (or less) it stays true and for one usage snapshot, then shared.
//!
//! A write changes one campaign: [`CampaignIndex::with`] and [`CampaignIndex::without`]
//! copy the sets and patch that campaign's place in them (shifting the positions after it
//! when one is added or removed), so a write among 10,000 campaigns costs a copy of the sets,
//! not the indexing of every campaign again.
//!
//! The index may keep a campaign that the precise checks ([`super::prefilter::check`],
//! [`super::usage::check`]) then set aside (a per-customer limit, for one), never the
//! reverse. With `explain`, every campaign is checked, so the answer can say why each one
//! was set aside.

use super::LiveCampaign;
use crate::model::campaign::Status;
use crate::model::usage::CampaignUsage;
use crate::model::Basket;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use chrono_tz::Tz;
use fixedbitset::FixedBitSet;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

/// The live campaigns, and the sets that tell which of them a basket may concern.
#[derive(Default)]
pub struct CampaignIndex {
    all: Vec<Arc<LiveCampaign>>,
    /// Each campaign's time zone, parsed once.
    zones: Vec<Tz>,
    /// Active campaigns.
    active: FixedBitSet,
    channel: Dimension,
    store: Dimension,
    customer: Dimension,
    segment: Dimension,
    tier: Dimension,
    /// One dimension per attribute some campaign targets.
    attributes: BTreeMap<String, Dimension>,
    /// Campaigns that need a coupon.
    coupon_required: FixedBitSet,
    /// Campaigns whose schedule can set them aside (dates, days or hours).
    scheduled: Vec<usize>,
    /// Campaigns with a redemption cap or a budget.
    limited: Vec<usize>,
    schedule_cache: RwLock<Option<Arc<ScheduleWindow>>>,
    spent_cache: RwLock<Option<SpentSet>>,
}

/// Which of a request's places [`CampaignIndex::candidates_where`] takes as any.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Anywhere {
    /// Any channel.
    pub channel: bool,
    /// Any store.
    pub store: bool,
}

/// The campaigns one targeting condition lets through: those that set no restriction on
/// it, and for each value, those that list it (positions in ascending order).
#[derive(Default, Clone, PartialEq, Debug)]
struct Dimension {
    unrestricted: FixedBitSet,
    by_value: HashMap<String, Vec<usize>>,
}

impl Dimension {
    fn new(len: usize) -> Self {
        let mut unrestricted = FixedBitSet::with_capacity(len);
        unrestricted.insert_range(..);
        Dimension {
            unrestricted,
            by_value: HashMap::new(),
        }
    }

    /// Records that the campaign at `position` lets only `values` through (none: all).
    fn restrict<'a>(&mut self, position: usize, values: impl IntoIterator<Item = &'a String>) {
        let mut restricted = false;
        for value in values {
            restricted = true;
            let positions = self.by_value.entry(value.clone()).or_default();
            if let Err(at) = positions.binary_search(&position) {
                positions.insert(at, position);
            }
        }
        if restricted {
            self.unrestricted.set(position, false);
        }
    }

    /// Forgets what the campaign at `position` restricted to `values`.
    fn unrestrict<'a>(&mut self, position: usize, values: impl IntoIterator<Item = &'a String>) {
        for value in values {
            if let Some(positions) = self.by_value.get_mut(value) {
                if let Ok(at) = positions.binary_search(&position) {
                    positions.remove(at);
                }
                if positions.is_empty() {
                    self.by_value.remove(value);
                }
            }
        }
        self.unrestricted.insert(position);
    }

    /// Makes room for a campaign at `position` (unrestricted until it is indexed).
    fn open_slot(&mut self, position: usize) {
        self.unrestricted = with_slot(&self.unrestricted, position, true);
        for positions in self.by_value.values_mut() {
            shift(positions, position, 1);
        }
    }

    /// Closes the place of the campaign at `position`, already unrestricted.
    fn close_slot(&mut self, position: usize) {
        self.unrestricted = without_slot(&self.unrestricted, position);
        for positions in self.by_value.values_mut() {
            shift(positions, position, -1);
        }
    }

    /// Keeps in `candidates` only the campaigns that let one of `values` through; `scratch`
    /// is any set of the index's length.
    fn keep<'a>(
        &self,
        candidates: &mut FixedBitSet,
        values: impl IntoIterator<Item = &'a String>,
        scratch: &mut FixedBitSet,
    ) {
        if self.by_value.is_empty() {
            return;
        }
        scratch.clone_from(&self.unrestricted);
        for value in values {
            for &position in self.by_value.get(value).into_iter().flatten() {
                scratch.insert(position);
            }
        }
        candidates.intersect_with(scratch);
    }
}

/// Adds `position` to the ascending `positions`, once.
fn insert_sorted(positions: &mut Vec<usize>, position: usize) {
    if let Err(at) = positions.binary_search(&position) {
        positions.insert(at, position);
    }
}

/// `set` with a new bit, `value`, at `position`, the bits from there on one further.
fn with_slot(set: &FixedBitSet, position: usize, value: bool) -> FixedBitSet {
    let mut moved = FixedBitSet::with_capacity(set.len() + 1);
    for one in set.ones() {
        moved.insert(if one < position { one } else { one + 1 });
    }
    moved.set(position, value);
    moved
}

/// `set` without its bit at `position`, the bits after it one nearer.
fn without_slot(set: &FixedBitSet, position: usize) -> FixedBitSet {
    let mut moved = FixedBitSet::with_capacity(set.len().saturating_sub(1));
    for one in set.ones() {
        if one < position {
            moved.insert(one);
        } else if one > position {
            moved.insert(one - 1);
        }
    }
    moved
}

/// Moves the `positions` at or after `from` by `by` (an added campaign: 1, a removed one:
/// -1, whose own position is no longer listed).
fn shift(positions: &mut [usize], from: usize, by: isize) {
    for position in positions.iter_mut().filter(|p| **p >= from) {
        *position = position.saturating_add_signed(by);
    }
}

/// The scheduled campaigns in their schedule over `[from, until)`.
struct ScheduleWindow {
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    /// Every campaign, less the scheduled ones out of their schedule.
    open: FixedBitSet,
}

/// The limited campaigns that no basket can use any more, for one usage snapshot.
struct SpentSet {
    /// The snapshot, held so that its address is never reused while it is compared.
    usage: Arc<HashMap<String, CampaignUsage>>,
    /// Every campaign, less the spent ones.
    left: Arc<FixedBitSet>,
}

impl CampaignIndex {
    /// Indexes `campaigns`, ordered by id (byte order).
    pub fn new(mut campaigns: Vec<Arc<LiveCampaign>>) -> Self {
        campaigns.sort_by(|a, b| a.campaign.id.cmp(&b.campaign.id));
        let len = campaigns.len();
        let mut index = CampaignIndex {
            zones: campaigns
                .iter()
                .map(|live| live.campaign.schedule.timezone())
                .collect(),
            active: FixedBitSet::with_capacity(len),
            channel: Dimension::new(len),
            store: Dimension::new(len),
            customer: Dimension::new(len),
            segment: Dimension::new(len),
            tier: Dimension::new(len),
            coupon_required: FixedBitSet::with_capacity(len),
            all: campaigns,
            ..CampaignIndex::default()
        };
        for position in 0..len {
            index.enter(position);
        }
        index
    }

    /// A copy of this index with `live` in place of the campaign of its id, or added.
    pub fn with(&self, live: Arc<LiveCampaign>) -> Self {
        let mut next = self.copy_of_sets();
        match self.position(&live.campaign.id) {
            Ok(position) => {
                next.leave(position);
                next.zones[position] = live.campaign.schedule.timezone();
                next.all[position] = live;
                next.enter(position);
            }
            Err(position) => {
                next.open_slot(position, live);
                next.enter(position);
            }
        }
        next
    }

    /// This index indexed again with `replacements` in place of the campaigns of their ids
    /// (one that is not there is left out): for many campaigns at once.
    pub fn replacing(&self, replacements: Vec<Arc<LiveCampaign>>) -> Self {
        let mut all = self.all.clone();
        for live in replacements {
            if let Ok(position) = self.position(&live.campaign.id) {
                all[position] = live;
            }
        }
        CampaignIndex::new(all)
    }

    /// A copy of this index without the campaign `id` (the same sets when it is not there).
    pub fn without(&self, id: &str) -> Self {
        let mut next = self.copy_of_sets();
        if let Ok(position) = self.position(id) {
            next.leave(position);
            next.close_slot(position);
        }
        next
    }

    /// Where the campaign `id` is in [`Self::all`], or where it would go.
    fn position(&self, id: &str) -> Result<usize, usize> {
        self.all
            .binary_search_by(|live| live.campaign.id.as_str().cmp(id))
    }

    /// The campaigns and their sets, with empty caches (they hold for these campaigns only).
    fn copy_of_sets(&self) -> Self {
        CampaignIndex {
            all: self.all.clone(),
            zones: self.zones.clone(),
            active: self.active.clone(),
            channel: self.channel.clone(),
            store: self.store.clone(),
            customer: self.customer.clone(),
            segment: self.segment.clone(),
            tier: self.tier.clone(),
            attributes: self.attributes.clone(),
            coupon_required: self.coupon_required.clone(),
            scheduled: self.scheduled.clone(),
            limited: self.limited.clone(),
            schedule_cache: RwLock::new(None),
            spent_cache: RwLock::new(None),
        }
    }

    /// Puts the campaign at `position` of [`Self::all`] in the sets that concern it.
    fn enter(&mut self, position: usize) {
        let Some(live) = self.all.get(position).cloned() else {
            return;
        };
        let campaign = &live.campaign;
        if campaign.status != Status::Active {
            return;
        }
        self.active.insert(position);
        let audience = &campaign.audience;
        self.channel.restrict(position, &audience.channels);
        self.store.restrict(position, &audience.stores);
        self.customer.restrict(position, &audience.customers);
        self.segment.restrict(position, &audience.segments);
        self.tier.restrict(position, &audience.loyalty_tiers);
        let len = self.all.len();
        for (key, values) in audience.attributes.iter().filter(|(_, v)| !v.is_empty()) {
            self.attributes
                .entry(key.clone())
                .or_insert_with(|| Dimension::new(len))
                .restrict(position, values);
        }
        self.coupon_required.set(position, campaign.coupon_required);
        let schedule = &campaign.schedule;
        if schedule.starts_at.is_some()
            || schedule.ends_at.is_some()
            || !schedule.days_of_week.is_empty()
            || !schedule.hours.is_empty()
        {
            insert_sorted(&mut self.scheduled, position);
        }
        let limits = &campaign.limits;
        if limits.redemptions.is_some() || limits.budget.is_some() {
            insert_sorted(&mut self.limited, position);
        }
    }

    /// Takes the campaign at `position` out of every set [`Self::enter`] put it in.
    fn leave(&mut self, position: usize) {
        let Some(live) = self.all.get(position).cloned() else {
            return;
        };
        let audience = &live.campaign.audience;
        self.active.set(position, false);
        self.channel.unrestrict(position, &audience.channels);
        self.store.unrestrict(position, &audience.stores);
        self.customer.unrestrict(position, &audience.customers);
        self.segment.unrestrict(position, &audience.segments);
        self.tier.unrestrict(position, &audience.loyalty_tiers);
        for (key, values) in &audience.attributes {
            if let Some(dimension) = self.attributes.get_mut(key) {
                dimension.unrestrict(position, values);
                if dimension.by_value.is_empty() {
                    // No campaign targets this attribute any more.
                    self.attributes.remove(key);
                }
            }
        }
        self.coupon_required.set(position, false);
        self.scheduled.retain(|&p| p != position);
        self.limited.retain(|&p| p != position);
    }

    /// Adds `live` at `position` of [`Self::all`], indexed in no set yet.
    fn open_slot(&mut self, position: usize, live: Arc<LiveCampaign>) {
        self.zones
            .insert(position, live.campaign.schedule.timezone());
        self.all.insert(position, live);
        self.active = with_slot(&self.active, position, false);
        self.coupon_required = with_slot(&self.coupon_required, position, false);
        for dimension in self.dimensions_mut() {
            dimension.open_slot(position);
        }
        shift(&mut self.scheduled, position, 1);
        shift(&mut self.limited, position, 1);
    }

    /// Removes the campaign at `position`, already out of every set.
    fn close_slot(&mut self, position: usize) {
        self.zones.remove(position);
        self.all.remove(position);
        self.active = without_slot(&self.active, position);
        self.coupon_required = without_slot(&self.coupon_required, position);
        for dimension in self.dimensions_mut() {
            dimension.close_slot(position);
        }
        shift(&mut self.scheduled, position, -1);
        shift(&mut self.limited, position, -1);
    }

    fn dimensions_mut(&mut self) -> impl Iterator<Item = &mut Dimension> {
        [
            &mut self.channel,
            &mut self.store,
            &mut self.customer,
            &mut self.segment,
            &mut self.tier,
        ]
        .into_iter()
        .chain(self.attributes.values_mut())
    }

    /// Every campaign.
    pub fn all(&self) -> &[Arc<LiveCampaign>] {
        &self.all
    }

    /// The campaign with `id`, if it is live.
    pub fn get(&self, id: &str) -> Option<&Arc<LiveCampaign>> {
        self.position(id)
            .ok()
            .and_then(|position| self.all.get(position))
    }

    /// The time zone of the campaign at `position` of [`Self::all`].
    pub fn zone(&self, position: usize) -> Tz {
        self.zones.get(position).copied().unwrap_or(chrono_tz::UTC)
    }

    /// The positions, in [`Self::all`], of the active campaigns `request` may concern at
    /// `at` with `usage`, in index order.
    pub fn candidates(
        &self,
        request: &Basket,
        at: DateTime<Utc>,
        usage: &Arc<HashMap<String, CampaignUsage>>,
    ) -> Vec<usize> {
        self.candidates_where(request, Anywhere::default(), at, usage)
    }

    /// [`Self::candidates`], on any channel or in any store where `anywhere` says so
    /// (`request`'s channel or store is then not looked at): what a customer's wallet may
    /// offer before the basket exists.
    pub fn candidates_where(
        &self,
        request: &Basket,
        anywhere: Anywhere,
        at: DateTime<Utc>,
        usage: &Arc<HashMap<String, CampaignUsage>>,
    ) -> Vec<usize> {
        let mut candidates = self.active.clone();
        if request.coupons.is_empty() {
            candidates.difference_with(&self.coupon_required);
        }
        let mut scratch = FixedBitSet::with_capacity(self.all.len());
        if !anywhere.channel {
            self.channel
                .keep(&mut candidates, [&request.channel], &mut scratch);
        }
        if !anywhere.store {
            self.store
                .keep(&mut candidates, request.store.as_ref(), &mut scratch);
        }
        let customer = request.customer.as_ref();
        self.customer
            .keep(&mut candidates, customer.map(|c| &c.id), &mut scratch);
        self.segment.keep(
            &mut candidates,
            customer.into_iter().flat_map(|c| &c.segments),
            &mut scratch,
        );
        self.tier.keep(
            &mut candidates,
            customer.and_then(|c| c.loyalty_tier.as_ref()),
            &mut scratch,
        );
        for (key, dimension) in &self.attributes {
            let value = customer.and_then(|c| c.attributes.get(key));
            dimension.keep(&mut candidates, value, &mut scratch);
        }
        if !self.scheduled.is_empty() {
            candidates.intersect_with(&self.schedule_window(at).open);
        }
        if !self.limited.is_empty() {
            candidates.intersect_with(&self.left_with(usage));
        }
        candidates.ones().collect()
    }

    /// The schedule's set for `at`: the cached one when it covers `at`, else a new one.
    fn schedule_window(&self, at: DateTime<Utc>) -> Arc<ScheduleWindow> {
        let cached = self
            .schedule_cache
            .read()
            .ok()
            .and_then(|cache| cache.clone());
        if let Some(window) = cached.filter(|w| w.from <= at && at < w.until) {
            return window;
        }
        let window = Arc::new(self.compute_schedule_window(at));
        if let Ok(mut cache) = self.schedule_cache.write() {
            *cache = Some(Arc::clone(&window));
        }
        window
    }

    /// Which scheduled campaigns are in their schedule at `at`, and for how long that
    /// holds: within one second of UTC (days and hours are whole minutes of a local time
    /// whose offset is whole seconds), cut at any start or end that falls inside it.
    fn compute_schedule_window(&self, at: DateTime<Utc>) -> ScheduleWindow {
        let second = TimeDelta::seconds(1);
        let mut from = at.duration_trunc(second).unwrap_or(at);
        let mut until = from + second;
        let mut open = FixedBitSet::with_capacity(self.all.len());
        open.insert_range(..);
        for &position in &self.scheduled {
            let Some(live) = self.all.get(position) else {
                continue;
            };
            let schedule = &live.campaign.schedule;
            // The instants the answer changes at: a start, and just after an end.
            let starts = schedule.starts_at.map(|s| s.with_timezone(&Utc));
            let ends = schedule
                .ends_at
                .map(|e| e.with_timezone(&Utc) + TimeDelta::nanoseconds(1));
            for boundary in starts.into_iter().chain(ends) {
                if boundary <= at {
                    from = from.max(boundary);
                } else {
                    until = until.min(boundary);
                }
            }
            if !super::prefilter::in_schedule(schedule, self.zone(position), at) {
                open.set(position, false);
            }
        }
        ScheduleWindow { from, until, open }
    }

    /// Every campaign less the limited ones whose cap or budget `usage` shows spent.
    fn left_with(&self, usage: &Arc<HashMap<String, CampaignUsage>>) -> Arc<FixedBitSet> {
        if let Ok(cache) = self.spent_cache.read() {
            if let Some(spent) = cache.as_ref().filter(|s| Arc::ptr_eq(&s.usage, usage)) {
                return Arc::clone(&spent.left);
            }
        }
        let mut left = FixedBitSet::with_capacity(self.all.len());
        left.insert_range(..);
        for &position in &self.limited {
            if let Some(live) = self.all.get(position) {
                let campaign = &live.campaign;
                if super::usage::spent(campaign, usage.get(&campaign.id)) {
                    left.set(position, false);
                }
            }
        }
        let left = Arc::new(left);
        if let Ok(mut cache) = self.spent_cache.write() {
            *cache = Some(SpentSet {
                usage: Arc::clone(usage),
                left: Arc::clone(&left),
            });
        }
        left
    }
}
