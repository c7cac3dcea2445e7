//! Committing and cancelling orders (`POST /v1/redemptions`, `DELETE
//! /v1/redemptions/{order_id}`), the usage each evaluation checks caps, budgets and coupons
//! against, and the campaigns' evaluation counters.
//!
//! A commit prices its basket before it locks anything, then locks its order and the
//! limited campaigns it takes from ([`commit_locks`]), re-reads what they have left, and
//! writes its answer when it still holds (or prices again under the locks): what it grants
//! is what was left when it wrote, and it is durable before it is answered. Commits waiting
//! on the same limited campaigns (on SQLite, all of a host's commits) are written together,
//! in one transaction ([`commit_groups`]).
//!
//! An order belongs to the key that committed it (its id is recorded, never the key):
//! another channel's key can neither replay it (which would read its answer) nor cancel
//! it ([`may_see`]).

use super::commit_groups::{self, Known};
use super::commit_locks;
use super::evaluator::Snapshot;
use super::events;
use super::leases::Reservation;
use super::orders::{may_see, order_day, PricedCampaign};
use super::{Service, ServiceError};
use crate::auth::KeyInfo;
use crate::engine::response::EvaluateResponse;
use crate::engine::usage::{self, Usage};
use crate::engine::{self, EvaluateError};
use crate::model::usage::CampaignUsage;
use crate::model::webhook::EventType;
use crate::model::{Basket, FieldProblem};
use crate::money::currency;
use crate::store::{
    Backend, BasketReads, CampaignTake, CommitLock, CommitTx, LeaseLimits, LeaseTake,
    NewRedemption, NewReward, OrderForReturn, PointsLot, PurchasedUnits, StoreError,
    StoredRedemption,
};
use chrono::NaiveDate;
use chrono::{DateTime, Offset, SubsecRound, Utc};
use remise_model::order_return::OrderState;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The longest order id accepted.
pub const MAX_ORDER_ID: usize = 128;

/// How far a commit's `at` may be from the server's clock by default: a till's clock a few
/// minutes off is not refused, a back-dated commit is.
pub const DEFAULT_MAX_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// The answer to a commit: the priced basket with its `order_id`, and whether it is the
/// answer first given to an earlier commit of the same order.
#[derive(Debug)]
pub struct Redeemed {
    /// The answer, as JSON.
    pub response: serde_json::Value,
    /// `true` when the order was already committed with this basket.
    pub replayed: bool,
}

/// The answer to a cancel.
#[derive(Clone, Debug, Serialize)]
pub struct Cancelled {
    /// The order.
    pub order_id: String,
    /// When it was cancelled (the first cancel, for a repeated one).
    pub cancelled_at: DateTime<Utc>,
}

impl Service {
    /// What an evaluation checks its candidates against: the committed usage as last
    /// seen, the customer's past redemptions (only when some campaign caps customers),
    /// the customer's data (only when some plugin reads it) and the basket's coupon
    /// codes, read on one connection within the read timeout.
    pub(super) async fn usage_for_evaluation(
        &self,
        request: &Basket,
        snapshot: &Snapshot,
    ) -> Result<Usage, ServiceError> {
        let reads = basket_reads(request, snapshot, self.clock.now());
        within_read_timeout(self.store.basket_usage(reads, self.evaluator.usage())).await
    }

    /// Commits order `order_id` for a validated basket with the key `caller`: prices it
    /// against what is left of every budget, cap and coupon, records what applied and
    /// which key committed it, and answers once it is durable. The same order with the
    /// same basket, from a key that may see it ([`may_see`]), answers the first answer
    /// again and counts once; with another basket, or after a cancel, it is a conflict.
    /// From a key that may not see it, it is a conflict that says nothing of the order:
    /// its answer is another channel's.
    ///
    /// The plugins run before anything is locked. The commit then locks the order and the
    /// limited campaigns the answer takes from ([`commit_locks::locks_of`]), re-reads their
    /// usage, and records the answer when it still holds; when a limit changed it (another
    /// order took the last of a budget meanwhile), it prices the basket again under the
    /// locks, and starts over with more locks if the new answer takes from campaigns it
    /// has not locked.
    pub async fn redeem(
        self: &Arc<Self>,
        order_id: String,
        request: Basket,
        explain: bool,
        caller: &KeyInfo,
    ) -> Result<Redeemed, ServiceError> {
        let request_hash = fingerprint(&request);
        self.ensure_fresh_for_commit().await?;
        let store = self.store.for_commits();
        if let Some(existing) = store.redemption(&order_id).await? {
            return answer_again(&order_id, existing, &request, caller);
        }
        // As sent: the order may be committed meanwhile, and a retry is the same basket
        // as sent, not as priced at the server's time.
        let sent = request.clone();
        // The server's clock decides what a commit grants: its schedules, coupon expiry,
        // per-customer periods and the day it is recorded on.
        let now = self.clock.now();
        let request = at_server_time(request, now, self.max_clock_skew)?;
        let request = self.with_stored_profile(request).await;
        let snapshot = self.evaluator.snapshot();
        let usage = self
            .usage_for_commit(&store, &request, &snapshot, now)
            .await?;
        let (request, response) = self
            .price_for_commit(request, explain, &snapshot, &usage, now)
            .await?;
        let mut priced = Priced {
            locks: commit_locks::locks_of(&order_id, &request, &response, &snapshot, &self.leases),
            request,
            response,
            usage,
        };
        let commit = Arc::new(Commit {
            order_id,
            request_hash,
            sent,
            snapshot,
            explain,
            caller: caller.clone(),
            now,
        });
        for _ in 0..MAX_LOCKING_ROUNDS {
            let leased = self
                .leases
                .takes_of(&priced.response, &priced.request, &commit.snapshot);
            let leased = leased.iter().map(|(id, _, _)| id.as_str());
            let group = commit_groups::group_of(&priced.locks, leased, self.store.backend());
            let round = match group {
                Some(group) => self.commit_in_group(group, &commit, priced).await?,
                None => self.commit_alone(&commit, priced).await?,
            };
            match round {
                Round::Recorded(redeemed) => return Ok(redeemed),
                Round::NeedsMoreLocks(again) => priced = *again,
            }
        }
        Err(ServiceError::Busy(format!(
            "order {}: the campaigns it may take from kept changing while it was \
             committed; retry",
            commit.order_id
        )))
    }

    /// One round of a commit in its own transaction: on PostgreSQL, for an order that
    /// takes from no limited campaign, so that it waits for nobody else's.
    async fn commit_alone(&self, commit: &Commit, priced: Priced) -> Result<Round, ServiceError> {
        let turn = self.commit_turn().await?;
        let result = async {
            let mut tx = self.store.begin_commit(&priced.locks).await?;
            match self.round_in(&mut tx, commit, priced, None).await? {
                InTx::Written(written) => {
                    let committed = self.commit_leased(tx).await;
                    self.leases.settle(&written.reservations, committed.is_ok());
                    committed?;
                    let (redeemed, after) = self.after_commit(written);
                    self.evaluator.merge_usage(after);
                    Ok(Round::Recorded(redeemed))
                }
                InTx::Answered(redeemed) => Ok(Round::Recorded(redeemed)),
                InTx::NeedsMoreLocks(again) => Ok(Round::NeedsMoreLocks(again)),
            }
        }
        .await;
        turn.end(&result);
        result
    }

    /// One round of a commit written with the others of its `group` (group commit,
    /// [`commit_groups`]): queued behind the group's writer, which this commit starts when
    /// none runs.
    async fn commit_in_group(
        self: &Arc<Self>,
        group: commit_groups::Group,
        commit: &Arc<Commit>,
        priced: Priced,
    ) -> Result<Round, ServiceError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let member = Member {
            commit: Arc::clone(commit),
            priced,
            reply,
        };
        if let Some(batch) = self.commit_groups.enqueue(&group, member) {
            let service = Arc::clone(self);
            tokio::spawn(async move { service.write_groups(group, batch).await });
        }
        answer.await.unwrap_or_else(|_| {
            Err(ServiceError::Unavailable(format!(
                "order {}: the writer of its group of commits stopped; retry",
                commit.order_id
            )))
        })
    }

    /// Writes `group`'s batches, `batch` first, until no commit waits in it.
    async fn write_groups(self: Arc<Self>, group: commit_groups::Group, batch: Vec<Member>) {
        let mut writing = self.commit_groups.writing(&group);
        let mut batch = batch;
        loop {
            self.write_batch(batch).await;
            match writing.next_batch() {
                Some(next) => batch = next,
                None => return,
            }
        }
    }

    /// Writes the commits of `batch` in one transaction, holding every lock they need, and
    /// answers each: a commit that fails costs only itself (it is rolled back to where it
    /// began, a savepoint), and none is answered before the transaction is durable. The
    /// leases the batch takes from are covered first, and pinned while it is written.
    async fn write_batch(&self, batch: Vec<Member>) {
        let pins = self.cover_leases(&batch).await;
        self.write_covered(batch).await;
        self.leases.settle(&pins, true);
    }

    /// [`Service::write_batch`] once its leases are covered.
    async fn write_covered(&self, batch: Vec<Member>) {
        crate::metrics::commit_group_written(batch.len());
        let held: BTreeSet<CommitLock> = batch
            .iter()
            .flat_map(|member| member.priced.locks.iter().cloned())
            .collect();
        let turn = match self.commit_turn().await {
            Ok(turn) => turn,
            Err(error) => return refuse_all(batch, error),
        };
        let begun = match self.store.begin_commit(&held).await {
            Ok(mut tx) => {
                tx.keep_rows();
                let order_ids: Vec<&str> = batch.iter().map(|m| m.commit.order_id()).collect();
                Known::read(&mut tx, &order_ids, &held)
                    .await
                    .map(|known| (tx, known))
            }
            Err(error) => Err(error),
        };
        let (mut tx, mut known) = match begun {
            Ok(begun) => begun,
            Err(error) => {
                let error = ServiceError::from(error);
                turn.end(&Err::<(), _>(error.clone()));
                return refuse_all(batch, error);
            }
        };
        let mut outcomes = Vec::with_capacity(batch.len());
        for Member {
            commit,
            priced,
            reply,
        } in batch
        {
            let outcome = self
                .round_in_savepoint(&mut tx, &commit, priced, &mut known)
                .await;
            outcomes.push((reply, outcome));
        }
        let committed = self.commit_group_leased(tx).await;
        turn.end(&committed);
        // An order whose rows could not be written fails alone ([`CommitTx::commit_group`]).
        let (committed, mut unwritten) = match committed {
            Ok(unwritten) => (Ok(()), unwritten),
            Err(error) => (Err(error), HashMap::new()),
        };
        for (_, outcome) in &mut outcomes {
            let Ok(InTx::Written(written)) = outcome else {
                continue;
            };
            match unwritten.remove(written.order_id.as_str()) {
                Some(error) => {
                    self.leases.settle(&written.reservations, false);
                    *outcome = Err(error.into());
                }
                None => self.leases.settle(&written.reservations, committed.is_ok()),
            }
        }
        // This host's usage moves on once for the whole batch, each campaign to what the
        // last commit that took from it left.
        let mut used = HashMap::new();
        for (reply, outcome) in outcomes {
            let answer = match (outcome, &committed) {
                (Err(error), _) => Err(error),
                (Ok(InTx::NeedsMoreLocks(again)), _) => Ok(Round::NeedsMoreLocks(again)),
                (Ok(_), Err(error)) => Err(error.clone()),
                (Ok(InTx::Written(written)), Ok(())) => {
                    let (redeemed, after) = self.after_commit(written);
                    used.extend(after);
                    Ok(Round::Recorded(redeemed))
                }
                (Ok(InTx::Answered(redeemed)), Ok(())) => Ok(Round::Recorded(redeemed)),
            };
            let _ = reply.send(answer);
        }
        if !used.is_empty() {
            self.evaluator.merge_usage(used);
        }
    }

    /// [`Service::round_in`] for one commit of a batch, between a savepoint and its
    /// release: what it wrote is undone when it fails or needs more locks.
    async fn round_in_savepoint(
        &self,
        tx: &mut CommitTx,
        commit: &Commit,
        priced: Priced,
        known: &mut Known,
    ) -> Result<InTx, ServiceError> {
        tx.savepoint().await?;
        let outcome = self.round_in(tx, commit, priced, Some(known)).await;
        let kept = if matches!(outcome, Ok(InTx::Written(_)) | Ok(InTx::Answered(_))) {
            tx.release_savepoint().await
        } else {
            tx.rollback_to_savepoint().await
        };
        if let Err(error) = kept {
            if let Ok(InTx::Written(written)) = &outcome {
                self.leases.settle(&written.reservations, false);
            }
            return Err(error.into());
        }
        outcome
    }

    /// What a commit prices its basket against: the usage as last seen by this host (its
    /// locks re-read what counts), the customer's redemptions and data, the coupons, read
    /// through the connections reserved for commits (`store`, [`crate::store::Store::for_commits`]).
    async fn usage_for_commit(
        &self,
        store: &crate::store::Store,
        request: &Basket,
        snapshot: &Snapshot,
        now: DateTime<Utc>,
    ) -> Result<Usage, ServiceError> {
        let reads = basket_reads(request, snapshot, now);
        Ok(store.basket_usage(reads, self.evaluator.usage()).await?)
    }

    /// Runs the plugins for a commit on the commits' own threads, whose time counts from
    /// when they start there: neither waiting for other commits nor evaluations queued on
    /// the evaluation threads is plugin time.
    async fn price_for_commit(
        &self,
        request: Basket,
        explain: bool,
        snapshot: &Arc<Snapshot>,
        usage: &Usage,
        now: DateTime<Utc>,
    ) -> Result<(Basket, EvaluateResponse), ServiceError> {
        let (request, response) = self
            .evaluator
            .run_commit(request, explain, snapshot.clone(), usage.clone(), now)
            .await?;
        // A plugin that ran out of time may only have been starved of CPU: an order must
        // not lose a discount for that, so the basket gets one more run with a new budget.
        // A plugin too slow twice is set aside, as in an evaluation: it costs only itself.
        if timed_out(&response) {
            return self
                .evaluator
                .run_commit(request, explain, snapshot.clone(), usage.clone(), now)
                .await;
        }
        Ok((request, response))
    }

    /// One round of [`Service::redeem`] in `tx`, which holds (at least) `priced`'s locks:
    /// writes its answer, or one priced again under them, or answers the order's first
    /// answer (it was committed meanwhile), or which locks the next round needs. In a
    /// group's transaction, `known` is what it need not read again.
    async fn round_in(
        &self,
        tx: &mut CommitTx,
        commit: &Commit,
        priced: Priced,
        known: Option<&mut Known>,
    ) -> Result<InTx, ServiceError> {
        let order_id = commit.order_id.as_str();
        let may_be_committed = known
            .as_deref()
            .is_none_or(|known| known.may_be_committed(order_id));
        if may_be_committed {
            if let Some(existing) = tx.redemption(order_id).await? {
                let redeemed = answer_again(order_id, existing, &commit.sent, &commit.caller)?;
                return Ok(InTx::Answered(redeemed));
            }
        }
        let Priced {
            locks,
            request,
            response,
            usage,
        } = priced;
        let (snapshot, now) = (&commit.snapshot, commit.now);
        // The campaigns this commit's group takes from this host's leases, not locks.
        let leased: BTreeSet<String> = self
            .leases
            .takes_of(&response, &request, snapshot)
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
        let fresh = self
            .usage_under_locks(tx, &request, snapshot, (&locks, known.as_deref()), now)
            .await?;
        let locked = fresh.campaigns.clone();
        let (mut request, mut response, mut usage) = (request, response, usage);
        let mut reserved = None;
        for _ in 0..MAX_LEASE_ROUNDS {
            // What is left of each lease, shown as the campaign's usage.
            let fresh = self.with_lease_views(&fresh, &leased, snapshot);
            if !commit_locks::still_holds(&response, &request, snapshot, &usage, &fresh, now) {
                crate::metrics::commit_priced_again();
                // Priced again against every campaign's usage: the locked ones' as read,
                // the leased ones' as what is left of their leases.
                let mut campaigns = (*usage.campaigns).clone();
                campaigns.extend(
                    fresh
                        .campaigns
                        .iter()
                        .map(|(id, used)| (id.clone(), used.clone())),
                );
                let fresh = Usage {
                    campaigns: Arc::new(campaigns),
                    ..fresh
                };
                let (again, answer) = self
                    .price_for_commit(request, commit.explain, snapshot, &fresh, now)
                    .await?;
                let needed =
                    commit_locks::locks_of(order_id, &again, &answer, snapshot, &self.leases);
                let takes = self.leases.takes_of(&answer, &again, snapshot);
                let unleased = takes.iter().any(|(id, _, _)| !leased.contains(id));
                if !needed.is_subset(&locks) || unleased {
                    return Ok(InTx::NeedsMoreLocks(Box::new(Priced {
                        locks: locks.union(&needed).cloned().collect(),
                        request: again,
                        response: answer,
                        usage: fresh,
                    })));
                }
                (request, response, usage) = (again, answer, fresh);
            }
            let takes = self.leases.takes_of(&response, &request, snapshot);
            // Another writer of this host may have taken from a lease since its view:
            // then the next round sees what it left.
            reserved = self.leases.reserve_all(&takes);
            if reserved.is_some() {
                break;
            }
        }
        let Some(reservations) = reserved else {
            return Err(ServiceError::Busy(format!(
                "order {order_id}: this host's budget leases kept changing while it was \
                 committed; retry"
            )));
        };
        // The leased campaigns' counters and events move on from this host's view of
        // their usage, as evaluations see it.
        let mut basis = (*locked).clone();
        let cached = self.evaluator.usage();
        for reservation in &reservations {
            let used = cached
                .get(&reservation.campaign)
                .cloned()
                .unwrap_or_default();
            basis.insert(reservation.campaign.clone(), used);
        }
        let written = match self
            .write_order(tx, commit, request, response, (usage, &basis))
            .await
        {
            Ok(written) => written,
            Err(error) => {
                self.leases.settle(&reservations, false);
                return Err(error);
            }
        };
        for reservation in &reservations {
            tx.use_lease(&reservation.lease_id, reservation.take);
        }
        let mut written = written;
        written.reservations = reservations;
        if let Some(known) = known {
            known.written(order_id, &written.after);
        }
        Ok(InTx::Written(Box::new(written)))
    }

    /// `fresh` with the usage of each campaign of `leased` as this host's lease shows it
    /// ([`super::leases::LeaseBook::view`]).
    fn with_lease_views(
        &self,
        fresh: &Usage,
        leased: &BTreeSet<String>,
        snapshot: &Snapshot,
    ) -> Usage {
        if leased.is_empty() {
            return fresh.clone();
        }
        let mut campaigns = (*fresh.campaigns).clone();
        for id in leased {
            let Some(live) = snapshot.index.get(id) else {
                continue;
            };
            if let Some(limits) = self.leases.limits_of(&live.campaign) {
                campaigns.insert(id.clone(), self.leases.view(&live.campaign, limits));
            }
        }
        Usage {
            campaigns: Arc::new(campaigns),
            ..fresh.clone()
        }
    }

    /// Makes this host's leases cover what `batch` takes from them, before its
    /// transaction begins (a lease is its own short transaction under the campaign's
    /// lock), and pins them. A lease that cannot be had leaves its commits priced against
    /// what is left.
    async fn cover_leases(&self, batch: &[Member]) -> Vec<Reservation> {
        let mut needs: BTreeMap<String, (LeaseLimits, LeaseTake)> = BTreeMap::new();
        for member in batch {
            let priced = &member.priced;
            let takes =
                self.leases
                    .takes_of(&priced.response, &priced.request, &member.commit.snapshot);
            for (campaign, limits, take) in takes {
                let need = needs
                    .entry(campaign)
                    .or_insert((limits, LeaseTake::default()));
                need.1.redemptions += take.redemptions;
                need.1.minor = need.1.minor.saturating_add(take.minor);
            }
        }
        let now_ms = self.clock.now().timestamp_millis();
        let mut pins = Vec::with_capacity(needs.len());
        for (campaign, (limits, need)) in needs {
            let covered = self
                .leases
                .cover(&self.store, &campaign, limits, need, now_ms)
                .await;
            match covered {
                Ok(pin) => pins.push(pin),
                Err(error) => tracing::warn!(%error, campaign, "budget lease not taken"),
            }
        }
        pins
    }

    /// Commits `tx`; when a lease it took from was taken back meanwhile, forgets it, so
    /// that the next commits lease again.
    async fn commit_leased(&self, tx: CommitTx) -> Result<(), ServiceError> {
        tx.commit()
            .await
            .map_err(|error| self.forget_lost_lease(error))
    }

    /// `error` as a commit answers it; a lease it names as lost is forgotten, so that the
    /// next commits lease again.
    fn forget_lost_lease(&self, error: StoreError) -> ServiceError {
        if let StoreError::LeaseLost(id) = &error {
            self.leases.forget(id);
        }
        error.into()
    }

    /// [`Service::commit_leased`] for a group's transaction: answers the orders whose rows
    /// could not be written, by id.
    async fn commit_group_leased(
        &self,
        tx: CommitTx,
    ) -> Result<HashMap<String, StoreError>, ServiceError> {
        match tx.commit_group().await {
            Ok(unwritten) => Ok(unwritten.into_iter().collect()),
            Err(error) => Err(self.forget_lost_lease(error)),
        }
    }

    /// The usage a commit checks its answer against, read under its `locks`: that of the
    /// locked campaigns (only theirs: the others' cannot change what it grants; taken
    /// from `known` in a group's transaction), the customer's redemptions when some
    /// campaign caps customers, the coupons, and the customer's data when the plugins
    /// read it.
    async fn usage_under_locks(
        &self,
        tx: &mut CommitTx,
        request: &Basket,
        snapshot: &Snapshot,
        (locks, known): (&BTreeSet<CommitLock>, Option<&Known>),
        now: DateTime<Utc>,
    ) -> Result<Usage, ServiceError> {
        let locked = commit_locks::locked_campaigns(locks);
        let campaigns = match known {
            Some(known) => locked
                .map(|id| (id.to_string(), known.usage_of(id)))
                .collect(),
            None => tx.usage_of(locked).await?,
        };
        // The balance a commit may spend is read under the customer's lock: no other
        // commit can spend the same points meanwhile.
        let reads = basket_reads(request, snapshot, now);
        Ok(tx.basket_usage(reads, Arc::new(campaigns)).await?)
    }

    /// Writes order `commit` with `response`, priced for `request` against `usage` under
    /// the locks `tx` holds; what is left to do once `tx` is durable is
    /// [`Service::after_commit`]'s. `locked` is the usage of the locked campaigns as read
    /// under those locks: what their counters and events move on from.
    async fn write_order(
        &self,
        tx: &mut CommitTx,
        commit: &Commit,
        request: Basket,
        mut response: EvaluateResponse,
        (usage, locked): (Usage, &HashMap<String, CampaignUsage>),
    ) -> Result<Written, ServiceError> {
        let (snapshot, now, caller) = (&commit.snapshot, commit.now, &commit.caller);
        let request_hash = commit.request_hash.as_str();
        let order_id = commit.order_id.clone();
        let campaigns = usage.campaigns.clone();
        let customer_data = usage.customer_data.clone();
        let journal_usage = usage;

        // The engine's answer, before the commit adds what only it does (codes issued): what
        // a replay of the order's journal entry gives back.
        let priced = serde_json::to_vec(&response)
            .map(bytes::Bytes::from)
            .map_err(|e| ServiceError::Unavailable(format!("answer of {order_id}: {e}")))?;
        let journal_basket = request.clone();
        if !response.rewards.is_empty() {
            issue_rewards(tx, &order_id, &request, snapshot, &mut response, now).await?;
        }
        let decimals = currency::minor_unit(&request.currency)
            .ok_or_else(|| EvaluateError::UnknownCurrency(request.currency.clone()))?;
        let at = now;
        let mut takes = Vec::with_capacity(response.applied.len());
        for applied in &response.applied {
            let timezone = snapshot
                .index
                .get(&applied.campaign)
                .map(|live| live.campaign.schedule.timezone())
                .unwrap_or(chrono_tz::UTC);
            let discount_minor = usage::to_minor(applied.discount, decimals).ok_or_else(|| {
                EvaluateError::OutOfRange(format!("discount {} is too large", applied.discount))
            })?;
            takes.push(CampaignTake {
                plugin: &applied.plugin,
                campaign_id: &applied.campaign,
                local_date: at.with_timezone(&timezone).date_naive(),
                discount_minor,
                coupon: applied.coupon.as_deref(),
            });
        }
        let mut lots = Vec::with_capacity(response.points.len());
        for earned in &response.points {
            let valid_days = snapshot
                .index
                .get(&earned.campaign)
                .and_then(|live| live.campaign.points_valid_days);
            lots.push(PointsLot {
                campaign_id: &earned.campaign,
                points: i64::try_from(earned.points).unwrap_or(i64::MAX),
                earned_at: now.trunc_subsecs(6),
                expires_at: valid_days
                    .and_then(|days| now.checked_add_days(chrono::Days::new(u64::from(days)))),
            });
        }
        let mut body = serde_json::to_value(&response)
            .map_err(|e| ServiceError::Unavailable(format!("answer of {order_id}: {e}")))?;
        if let Some(fields) = body.as_object_mut() {
            fields.insert("order_id".into(), order_id.clone().into());
        }
        let stored = body.to_string();
        let priced_basket = serde_json::to_string(&request)
            .map_err(|e| ServiceError::Unavailable(format!("basket of {order_id}: {e}")))?;
        let pricing = serde_json::to_string(&pricing_of(&response, snapshot))
            .map_err(|e| ServiceError::Unavailable(format!("pricing of {order_id}: {e}")))?;
        // Kept only when a campaign that applied asked about the customer: a return then
        // re-prices with what its plugin was told.
        let asked = response.applied.iter().any(|applied| {
            snapshot
                .index
                .get(&applied.campaign)
                .is_some_and(|live| live.plugin.reads_customer())
        });
        let told = match (&customer_data, asked) {
            (Some(data), true) => Some(serde_json::to_string(&**data).map_err(|e| {
                ServiceError::Unavailable(format!("customer data of {order_id}: {e}"))
            })?),
            _ => None,
        };
        tx.record(&NewRedemption {
            order_id: &order_id,
            request_hash,
            response: &stored,
            customer_id: request.customer.as_ref().map(|c| c.id.as_str()),
            channel: &request.channel,
            key_hash: &caller.hash,
            currency: &request.currency,
            campaigns: takes.clone(),
            points: lots,
            basket: &priced_basket,
            pricing: &pricing,
            customer_data: told.as_deref(),
        })
        .await?;
        if let Some(customer) = &request.customer {
            for spent in &response.points_spent {
                let points = i64::try_from(spent.points).map_err(|_| {
                    EvaluateError::OutOfRange(format!("{} points spent", spent.points))
                })?;
                tx.spend_points(&order_id, &spent.campaign, &customer.id, points, now)
                    .await?;
            }
            let bought = PurchasedUnits::of(request.lines.iter().map(|l| (l, l.quantity)));
            tx.add_purchases(&customer.id, now.date_naive(), &bought, 1, 1)
                .await?;
        }
        // What the campaigns it took from have used once it is committed (exact for the
        // limited ones, read under their locks).
        let before: HashMap<String, CampaignUsage> = takes
            .iter()
            .map(|take| {
                let id = take.campaign_id;
                let used = locked.get(id).or_else(|| campaigns.get(id));
                (id.to_string(), used.cloned().unwrap_or_default())
            })
            .collect();
        let mut after = before.clone();
        for take in &takes {
            let used = after.entry(take.campaign_id.to_string()).or_default();
            if take.discount_minor > 0 {
                used.currency
                    .get_or_insert_with(|| request.currency.clone());
            }
            used.redemptions += 1;
            used.granted_minor += take.discount_minor;
        }
        self.write_order_events(
            tx, &order_id, &request, &response, snapshot, &before, &after, now,
        )
        .await?;
        Ok(Written {
            order_id,
            body,
            response,
            after,
            reservations: Vec::new(),
            priced,
            journal_basket,
            journal_usage,
            snapshot: Arc::clone(snapshot),
            explain: commit.explain,
            now,
        })
    }

    /// What a commit does once its order is durable: wakes the webhooks' delivery, moves
    /// this host's counts on, journals it, and gives its answer, with the usage of the
    /// campaigns it took from (this host's usage moves on to it: the caller's part, once
    /// for a batch).
    fn after_commit(&self, written: Box<Written>) -> (Redeemed, HashMap<String, CampaignUsage>) {
        let Written {
            order_id: _,
            body,
            response,
            after,
            reservations: _,
            priced,
            journal_basket,
            journal_usage,
            snapshot,
            explain,
            now,
        } = *written;
        self.outbox.notify_one();
        crate::metrics::redemption_committed();
        self.evaluator.count(&response);
        // Every commit is journalled (its order's row is the record; this entry replays it).
        self.journal_evaluation(super::journal::Answered {
            basket: journal_basket,
            body: &priced,
            answer: &response,
            explain,
            snapshot: &snapshot,
            usage: journal_usage,
            now,
        });
        let redeemed = Redeemed {
            response: body,
            replayed: false,
        };
        (redeemed, after)
    }

    /// Cancels (or returns) order `order_id` with the key `caller`: gives every budget,
    /// cap, per-customer use and coupon use back. Cancelling again answers the first
    /// cancel. An order `caller` may not see ([`may_see`]) is not found, as one never
    /// committed.
    pub async fn cancel_redemption(
        &self,
        order_id: &str,
        caller: &KeyInfo,
    ) -> Result<Cancelled, ServiceError> {
        let turn = self.commit_turn().await?;
        let result = self.cancel_in_turn(order_id, caller).await;
        turn.end(&result);
        result
    }

    /// [`Service::cancel_redemption`], once this cancel's turn has come.
    async fn cancel_in_turn(
        &self,
        order_id: &str,
        caller: &KeyInfo,
    ) -> Result<Cancelled, ServiceError> {
        let mut tx = self
            .store
            .begin_commit(&[CommitLock::Order(order_id.to_string())])
            .await?;
        let existing = tx
            .redemption(order_id)
            .await?
            .filter(|existing| may_see(existing.key_hash.as_deref(), caller))
            .ok_or_else(|| ServiceError::NotFound(format!("order {order_id} not found")))?;
        if let Some(cancelled_at) = existing.cancelled_at {
            return Ok(Cancelled {
                order_id: order_id.to_string(),
                cancelled_at,
            });
        }
        let cancelled_at = self.clock.now().trunc_subsecs(6);
        let order = tx.order_for_return(order_id).await?;
        let held = match &order {
            Some(order) => held_purchases(&mut tx, order_id, order).await?,
            None => None,
        };
        let customer = order.and_then(|order| order.customer_id);
        tx.cancel(order_id, cancelled_at).await?;
        tx.refund_points(order_id, None, None, cancelled_at).await?;
        let (withdrawn, kept) = tx.withdraw_rewards(order_id).await?;
        if !withdrawn.is_empty() || !kept.is_empty() {
            tracing::info!(
                order = order_id,
                withdrawn = withdrawn.len(),
                kept = kept.len(),
                "rewards of a cancelled order withdrawn (those already used stay)"
            );
        }
        if let Some((customer, day, units)) = held {
            tx.add_purchases(&customer, day, &units, -1, 1).await?;
        }
        tx.add_event(&events::cancelled(
            order_id,
            customer.as_deref(),
            &withdrawn,
            &kept,
            cancelled_at,
        ))
        .await?;
        // Read on the commit's own connection, as of the cancel.
        let usage = tx.usage().await?;
        tx.commit().await?;
        self.outbox.notify_one();
        self.evaluator.set_usage(usage);
        Ok(Cancelled {
            order_id: order_id.to_string(),
            cancelled_at,
        })
    }

    /// Writes the events of committed order `order_id` in its transaction:
    /// `redemption.committed`, a `reward.issued` per reward issued, and the campaign
    /// events its takes moved campaigns into (from usage `before` to `after`), each once
    /// per campaign.
    #[allow(clippy::too_many_arguments)]
    async fn write_order_events(
        &self,
        tx: &mut CommitTx,
        order_id: &str,
        request: &Basket,
        response: &EvaluateResponse,
        snapshot: &Snapshot,
        before: &HashMap<String, CampaignUsage>,
        after: &HashMap<String, CampaignUsage>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        // Built only when some webhook receives it.
        if tx.wants_event(EventType::RedemptionCommitted).await? {
            tx.add_event(&events::committed(order_id, request, response, now))
                .await?;
        }
        if let Some(customer) = &request.customer {
            for reward in response.rewards.iter().filter(|r| r.code.is_some()) {
                tx.add_event(&events::reward_issued(order_id, &customer.id, reward, now))
                    .await?;
            }
        }
        for applied in &response.applied {
            let Some(live) = snapshot.index.get(&applied.campaign) else {
                continue;
            };
            let was = before.get(&applied.campaign).cloned().unwrap_or_default();
            let is = after.get(&applied.campaign).cloned().unwrap_or_default();
            let low = self.webhooks.budget_low_percent;
            for (kind, data) in events::crossed(&live.campaign, &was, &is, low) {
                tx.add_campaign_event_once(&applied.campaign, kind, || {
                    events::event(kind, None, Some(&applied.campaign), now, data)
                })
                .await?;
            }
        }
        Ok(())
    }

    /// Waits for this host's turn to commit or cancel on SQLite, which writes one at a
    /// time (on PostgreSQL, the turn comes at once: a commit waits only for the locks of
    /// what it touches, [`CommitLock`]). The wait lasts while the commits ahead finish;
    /// once none has finished for [`crate::store::PoolSettings::commit_lock_timeout`] (one
    /// is stuck, or the database lock is held elsewhere), it ends with a 503 that asks to
    /// retry.
    pub(super) async fn commit_turn(&self) -> Result<CommitTurn<'_>, ServiceError> {
        if self.store.backend() == Backend::Postgres {
            return Ok(CommitTurn {
                _guard: None,
                finished: &self.commits_finished,
            });
        }
        let patience = self.store.commit_lock_timeout();
        let lock = self.commits.lock();
        let mut lock = std::pin::pin!(lock);
        let mut finished = self.commits_finished.load(Ordering::Acquire);
        loop {
            match tokio::time::timeout(patience, &mut lock).await {
                Ok(guard) => {
                    return Ok(CommitTurn {
                        _guard: Some(guard),
                        finished: &self.commits_finished,
                    })
                }
                Err(_) => {
                    let now = self.commits_finished.load(Ordering::Acquire);
                    if now == finished {
                        crate::metrics::commit_lock_timed_out();
                        return Err(ServiceError::Busy(format!(
                            "no commit has finished on this host for {} ms: the commit \
                             lock is held",
                            patience.as_millis()
                        )));
                    }
                    // Commits ahead are moving: keep this one's place in the queue.
                    finished = now;
                }
            }
        }
    }

    /// Writes the evaluation counts gathered since the last flush to the store (every
    /// second while serving, and on shutdown). On failure they are kept for the next.
    pub async fn flush_counts(&self) -> Result<(), ServiceError> {
        let counts = self.evaluator.take_counts();
        if counts.is_empty() {
            return Ok(());
        }
        if let Err(error) = self.store.add_evaluation_counts(&counts).await {
            self.evaluator.restore_counts(counts);
            return Err(error.into());
        }
        Ok(())
    }
}

/// This host's turn to commit or cancel: on SQLite, the commit lock of this process, held
/// until it is dropped.
pub(super) struct CommitTurn<'a> {
    _guard: Option<tokio::sync::MutexGuard<'a, ()>>,
    finished: &'a AtomicU64,
}

impl CommitTurn<'_> {
    /// Ends the turn with `result`: one that reached the database (granted, replayed,
    /// refused) tells the commits waiting behind it that commits are moving; one that
    /// could not (a lock held elsewhere, a database that does not answer) does not.
    pub(super) fn end<T>(self, result: &Result<T, ServiceError>) {
        if !matches!(
            result,
            Err(ServiceError::Unavailable(_) | ServiceError::Busy(_))
        ) {
            self.finished.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// How many times a commit may start over with more locks before it answers 503: each
/// round locks every campaign the last answer took from, so one is almost always enough.
const MAX_LOCKING_ROUNDS: usize = 4;

/// How many times a commit may price again against this host's leases, when another of
/// its writers took from them meanwhile, before it answers 503.
const MAX_LEASE_ROUNDS: usize = 3;

/// A basket priced for a commit, and what recording it locks.
pub(super) struct Priced {
    locks: BTreeSet<CommitLock>,
    request: Basket,
    response: EvaluateResponse,
    usage: Usage,
}

/// A commit being written: what every round of it needs besides its priced basket.
pub(super) struct Commit {
    order_id: String,
    /// The fingerprint of the basket as sent.
    request_hash: String,
    /// The basket as sent: a retry of the order is checked against it.
    sent: Basket,
    snapshot: Arc<Snapshot>,
    explain: bool,
    caller: KeyInfo,
    /// The server's time the commit is priced at.
    now: DateTime<Utc>,
}

impl Commit {
    /// Its order's id.
    pub(super) fn order_id(&self) -> &str {
        &self.order_id
    }
}

/// An order written in a commit's transaction, not yet durable: what
/// [`Service::after_commit`] needs.
pub(super) struct Written {
    /// The order.
    order_id: String,
    /// The answer, with its `order_id`.
    body: serde_json::Value,
    response: EvaluateResponse,
    /// The usage of the campaigns it took from once it is committed.
    after: HashMap<String, CampaignUsage>,
    /// What it took from this host's budget leases, until its transaction ends.
    reservations: Vec<Reservation>,
    /// The engine's answer as serialised before the commit added codes issued (the
    /// journal's).
    priced: bytes::Bytes,
    journal_basket: Basket,
    journal_usage: Usage,
    snapshot: Arc<Snapshot>,
    explain: bool,
    now: DateTime<Utc>,
}

/// A commit queued in its group, and where its writer sends how its round ended.
pub(super) struct Member {
    pub(super) commit: Arc<Commit>,
    pub(super) priced: Priced,
    pub(super) reply: tokio::sync::oneshot::Sender<Result<Round, ServiceError>>,
}

/// How one round of a commit ended in its transaction.
pub(super) enum InTx {
    /// Written, durable once the transaction commits.
    Written(Box<Written>),
    /// The order was committed before: its first answer (or a conflict's).
    Answered(Redeemed),
    /// Its answer, priced again under its locks, takes from a campaign it has not locked.
    NeedsMoreLocks(Box<Priced>),
}

/// How one round of a commit ended.
pub(super) enum Round {
    /// Committed (or answered again: the order was committed meanwhile).
    Recorded(Redeemed),
    /// Its answer, priced again under its locks, takes from a campaign it has not locked.
    NeedsMoreLocks(Box<Priced>),
}

/// Answers every commit of `batch` with `error`: its transaction could not begin.
fn refuse_all(batch: Vec<Member>, error: ServiceError) {
    for member in batch {
        let _ = member.reply.send(Err(error.clone()));
    }
}

/// The answer to a commit of `order_id` that was committed before as `existing`: its
/// first answer, when `caller` may see it and the basket is the same; a conflict
/// otherwise.
fn answer_again(
    order_id: &str,
    existing: StoredRedemption,
    request: &Basket,
    caller: &KeyInfo,
) -> Result<Redeemed, ServiceError> {
    if !may_see(existing.key_hash.as_deref(), caller) {
        return Err(ServiceError::Conflict(format!(
            "order id {order_id} is taken by another key's order; order ids are unique \
             across channels"
        )));
    }
    if existing.cancelled_at.is_some() {
        return Err(ServiceError::Conflict(format!(
            "order {order_id} was cancelled; a new order needs a new order_id"
        )));
    }
    if !same_basket(&existing.request_hash, request) {
        return Err(ServiceError::Conflict(format!(
            "order {order_id} was committed with another basket"
        )));
    }
    let response = serde_json::from_str(&existing.response)
        .map_err(|e| ServiceError::Unavailable(format!("stored answer of {order_id}: {e}")))?;
    Ok(Redeemed {
        response,
        replayed: true,
    })
}

/// Draws for a reward code before giving up (60 random bits: a second draw is never
/// needed in practice).
const REWARD_CODE_DRAWS: usize = 4;

/// Issues the rewards `response` promises, in the commit's transaction: a personal code of
/// each reward's campaign for the basket's customer, valid from `now` for its days (and in
/// its channels), answered in the reward. A reward that cannot be issued says why: no
/// customer, or a campaign that is not live or takes no code.
async fn issue_rewards(
    tx: &mut CommitTx,
    order_id: &str,
    request: &Basket,
    snapshot: &Snapshot,
    response: &mut EvaluateResponse,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    for reward in &mut response.rewards {
        let Some(customer) = &request.customer else {
            reward.not_issued = Some("the basket names no customer".into());
            continue;
        };
        match snapshot.index.get(&reward.reward_campaign) {
            None => {
                reward.not_issued = Some(format!(
                    "campaign {} is not live on this host",
                    reward.reward_campaign
                ));
                continue;
            }
            Some(live) if !live.campaign.coupon_required => {
                reward.not_issued = Some(format!(
                    "campaign {} takes no code (coupon_required is false)",
                    reward.reward_campaign
                ));
                continue;
            }
            Some(_) => {}
        }
        let expires_at = now
            .checked_add_days(chrono::Days::new(u64::from(reward.valid_days)))
            .unwrap_or(now);
        for _ in 0..REWARD_CODE_DRAWS {
            let Some(code) = crate::model::coupon::generate(1, "").pop() else {
                break;
            };
            let issued = tx
                .issue_reward(&NewReward {
                    code: &code,
                    campaign_id: &reward.reward_campaign,
                    customer_id: &customer.id,
                    order_id,
                    expires_at,
                    channels: &reward.channels,
                })
                .await?;
            if issued {
                reward.code = Some(code);
                reward.expires_at = Some(expires_at);
                break;
            }
        }
        if reward.code.is_none() && reward.not_issued.is_none() {
            reward.not_issued = Some("no free code was found; try again".into());
        }
    }
    Ok(())
}

/// What order `order_id` still counts in its customer's purchase history: the customer,
/// the day it was committed, and each item with the units not returned. `None` for an
/// anonymous order, one whose customer was erased, or one older than stored baskets.
pub(super) async fn held_purchases(
    tx: &mut CommitTx,
    order_id: &str,
    order: &OrderForReturn,
) -> Result<Option<(String, NaiveDate, Vec<PurchasedUnits>)>, ServiceError> {
    let (Some(customer), Some(basket)) = (&order.customer_id, &order.basket) else {
        return Ok(None);
    };
    let corrupt = |what: &str, why: String| {
        ServiceError::Unavailable(format!("the stored {what} of order {order_id}: {why}"))
    };
    let basket: Basket =
        serde_json::from_str(basket).map_err(|e| corrupt("basket", e.to_string()))?;
    let held: HashMap<String, u32> = match tx.returns(order_id).await?.last() {
        Some(last) => serde_json::from_str::<OrderState>(&last.kept)
            .map_err(|e| corrupt("return state", e.to_string()))?
            .lines
            .into_iter()
            .map(|line| (line.id, line.quantity))
            .collect(),
        None => HashMap::new(),
    };
    let units = PurchasedUnits::of(basket.lines.iter().map(|line| {
        let quantity = held.get(&line.id).copied().unwrap_or(line.quantity);
        (line, quantity)
    }));
    Ok(Some((customer.clone(), order_day(&basket, order), units)))
}

/// What a return needs to price the order's kept lines as the order was priced: each
/// applied campaign's definition, pinned to the plugin version it ran on, with that
/// version's SHA-256.
fn pricing_of(response: &EvaluateResponse, snapshot: &Snapshot) -> Vec<PricedCampaign> {
    response
        .applied
        .iter()
        .filter_map(|applied| snapshot.index.get(&applied.campaign))
        .map(|live| {
            let mut campaign = live.campaign.clone();
            campaign.plugin_version = Some(live.plugin.metadata().version.clone());
            PricedCampaign {
                campaign,
                sha256: live.plugin.sha256().to_string(),
            }
        })
        .collect()
}

/// `basket` priced at the server's time `now` (in the basket's own offset), or a 422 on
/// `/at` when the `at` it names is further than `skew` from `now`: a commit cannot be
/// back-dated to redeem an expired coupon or take a once-a-day offer twice.
fn at_server_time(
    mut basket: Basket,
    now: DateTime<Utc>,
    skew: Duration,
) -> Result<Basket, ServiceError> {
    let offset = match basket.at {
        Some(at) => {
            let drift = (at.with_timezone(&Utc) - now).abs();
            if drift.to_std().map_or(true, |drift| drift > skew) {
                return Err(ServiceError::Invalid(vec![FieldProblem::new(
                    "/at",
                    format!(
                        "is {} s from the server's clock ({}); a commit is priced at the \
                         server's time and accepts an `at` at most {} s from it",
                        drift.num_seconds(),
                        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        skew.as_secs()
                    ),
                )]));
            }
            *at.offset()
        }
        None => Utc.fix(),
    };
    basket.at = Some(now.with_timezone(&offset));
    Ok(basket)
}

/// What pricing `request` reads besides the campaigns' usage under `snapshot` (its
/// coupons, and of its customer what some campaign caps or some plugin reads), as
/// of `now`: the same for an evaluation, a commit's pricing and its check under locks.
fn basket_reads<'a>(
    request: &'a Basket,
    snapshot: &Snapshot,
    now: DateTime<Utc>,
) -> BasketReads<'a> {
    BasketReads {
        customer_id: request
            .customer
            .as_ref()
            .map(|customer| customer.id.as_str()),
        customer_uses: snapshot.caps_customers,
        customer_data_at: snapshot.reads_customer.then_some(now),
        coupon_codes: codes(request),
    }
}

/// The basket's coupon codes, normalized, once each.
pub(super) fn codes(request: &Basket) -> Vec<String> {
    let mut codes: Vec<String> = request
        .coupons
        .iter()
        .map(|code| usage::normalize_code(code))
        .collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// The mark of the fingerprints [`fingerprint`] writes. Rows committed before it carry a
/// bare [`legacy_fingerprint`].
const FINGERPRINT_V2: &str = "v2:";

/// What tells a retry from another basket under the same order id: SHA-256 of the basket's
/// [`Basket::canonical`] form as JSON, so `"19.9"` and `"19.90"`, `welcome` and
/// `WELCOME`, or one instant written with two offsets are the same order, as are spacing
/// and key order; marked [`FINGERPRINT_V2`].
fn fingerprint(request: &Basket) -> String {
    let canonical = serde_json::to_string(&request.canonical()).unwrap_or_default();
    format!("{FINGERPRINT_V2}{:x}", Sha256::digest(canonical.as_bytes()))
}

/// The fingerprint of rows committed before [`fingerprint`]: SHA-256 of the basket as
/// parsed, decimals with the scale they were written with.
fn legacy_fingerprint(request: &Basket) -> String {
    let parsed = serde_json::to_string(request).unwrap_or_default();
    format!("{:x}", Sha256::digest(parsed.as_bytes()))
}

/// Whether `request` is the basket an order was committed with, by the order's stored
/// fingerprint. A row committed before fingerprints were canonical only knows how its
/// basket was spelled: a retry spelled the same way still replays it; one spelled
/// otherwise is a conflict, as it was when the row was written.
fn same_basket(stored: &str, request: &Basket) -> bool {
    if stored.starts_with(FINGERPRINT_V2) {
        stored == fingerprint(request)
    } else {
        stored == legacy_fingerprint(request)
    }
}

/// How long an evaluation waits for the reads it needs from the database (a customer's
/// past uses, coupon states) before it answers 503 rather than hang.
pub const EVALUATION_READ_TIMEOUT: Duration = Duration::from_secs(1);

/// `read`, or a 503 when the database does not answer within [`EVALUATION_READ_TIMEOUT`].
pub(super) async fn within_read_timeout<T>(
    read: impl std::future::Future<Output = Result<T, crate::store::StoreError>>,
) -> Result<T, ServiceError> {
    match tokio::time::timeout(EVALUATION_READ_TIMEOUT, read).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(ServiceError::Unavailable(
            "the database does not answer: this basket's coupons or customer limits cannot be checked".into(),
        )),
    }
}

/// Whether a campaign of `response` was set aside because a plugin ran out of time.
fn timed_out(response: &EvaluateResponse) -> bool {
    response
        .rejected
        .iter()
        .any(|rejected| rejected.rejection.reason == engine::prefilter::Reason::Timeout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn basket(price: &str, code: &str) -> Basket {
        serde_json::from_value(json!({
            "currency": "EUR", "channel": "web", "coupons": [code],
            "lines": [ { "id": "1", "sku": "A", "quantity": 1, "unit_price": price } ]
        }))
        .expect("a basket")
    }

    #[test]
    fn fingerprints_are_marked_and_ignore_spelling() {
        let stored = fingerprint(&basket("19.9", "welcome"));
        assert!(stored.starts_with(FINGERPRINT_V2), "{stored}");
        assert_eq!(stored.len(), FINGERPRINT_V2.len() + 64);
        assert!(same_basket(&stored, &basket("19.90", " WELCOME")));
        assert!(!same_basket(&stored, &basket("19.91", "welcome")));
    }

    #[test]
    fn a_row_stored_before_canonical_fingerprints_replays_its_own_spelling() {
        // What rows committed before version 2 hold: the bare SHA-256 of the parsed basket.
        let stored = legacy_fingerprint(&basket("19.9", "welcome"));
        assert_eq!(stored.len(), 64);
        assert!(same_basket(&stored, &basket("19.9", "welcome")));
        assert!(!same_basket(&stored, &basket("19.90", "welcome")));
        assert!(!same_basket(&stored, &basket("19.9", "WELCOME")));
    }
}
