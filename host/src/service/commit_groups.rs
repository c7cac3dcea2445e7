//! Group commit: the commits waiting on the same limited campaigns are written by one
//! writer, many in one transaction with one sync, instead of each taking the campaigns'
//! locks and syncing in turn.
//!
//! On PostgreSQL a group is the set of limited campaigns a commit locks
//! ([`super::commit_locks`]); the commits that lock none but take from this host's budget
//! leases form one group of their own, and one that does neither waits for nobody and is
//! written alone. SQLite writes one transaction at a time whatever it touches, so there all
//! commits of a host form one group.
//!
//! The first commit of an idle group starts its writer (a task of its own, so that a client
//! that hangs up stops nothing half-way); the commits that arrive while it writes queue,
//! and it writes them next, up to [`MAX_BATCH`] per transaction. The writer stops when the
//! queue is empty.

use super::commit_locks;
use crate::model::usage::CampaignUsage;
use crate::store::{Backend, CommitLock, CommitTx, StoreError};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

/// The most commits written in one transaction: enough to drain a rush of every
/// connection a host serves, few enough that the first of them is not kept long.
pub const MAX_BATCH: usize = 64;

/// What commits are grouped by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum Group {
    /// The commits of this host that lock no limited campaign: on SQLite all of them (it
    /// writes one transaction at a time); on PostgreSQL those that take only from this
    /// host's budget leases, which no other host waits for.
    Host,
    /// The commits that lock these limited campaigns (PostgreSQL).
    Campaigns(BTreeSet<CommitLock>),
}

/// The group of a commit that takes `locks` and takes from the leases of the campaigns
/// `leased` on `backend`, or `None` when it is written alone: on PostgreSQL, a commit that
/// neither locks a limited campaign nor takes from a lease waits for nobody.
pub(super) fn group_of<'a>(
    locks: &BTreeSet<CommitLock>,
    leased: impl IntoIterator<Item = &'a str>,
    backend: Backend,
) -> Option<Group> {
    match backend {
        Backend::Sqlite => Some(Group::Host),
        Backend::Postgres => {
            let campaigns: BTreeSet<CommitLock> = locks
                .iter()
                .filter(|lock| matches!(lock, CommitLock::Campaign(_)))
                .cloned()
                .collect();
            if !campaigns.is_empty() {
                return Some(Group::Campaigns(campaigns));
            }
            // Commits on leases, whatever their campaigns, share one writer: its batches
            // are the larger, and it moves each lease and usage row once per batch.
            leased.into_iter().next().map(|_| Group::Host)
        }
    }
}

/// What a group's transaction knows without asking the database again, as its commits are
/// written one after the other: it holds the locks of every campaign they take from, so
/// only its own writes move those campaigns on (a cancel elsewhere only gives back).
#[derive(Debug, Default)]
pub(super) struct Known {
    /// The usage of the locked campaigns, as of the transaction.
    usage: HashMap<String, CampaignUsage>,
    /// The batch's orders that may be committed already: before the transaction began,
    /// or by an earlier commit of the batch (the same order sent twice).
    orders: HashSet<String>,
}

impl Known {
    /// Reads, once for a whole batch of the orders `order_ids` holding `locks`, which of
    /// them were committed, what the locked campaigns have used, and which events some
    /// webhook receives.
    pub(super) async fn read(
        tx: &mut CommitTx,
        order_ids: &[&str],
        locks: &BTreeSet<CommitLock>,
    ) -> Result<Known, StoreError> {
        tx.read_receivers().await?;
        Ok(Known {
            orders: tx.committed_among(order_ids).await?,
            usage: tx.usage_of(commit_locks::locked_campaigns(locks)).await?,
        })
    }

    /// Whether order `order_id` may be committed already (then it is read).
    pub(super) fn may_be_committed(&self, order_id: &str) -> bool {
        self.orders.contains(order_id)
    }

    /// The usage of `campaign_id` (locked) as of the transaction.
    pub(super) fn usage_of(&self, campaign_id: &str) -> CampaignUsage {
        self.usage.get(campaign_id).cloned().unwrap_or_default()
    }

    /// Order `order_id` was written, and the campaigns it took from have now used `after`.
    pub(super) fn written(&mut self, order_id: &str, after: &HashMap<String, CampaignUsage>) {
        self.orders.insert(order_id.to_string());
        self.usage
            .extend(after.iter().map(|(id, used)| (id.clone(), used.clone())));
    }
}

/// The commits (`M`, a commit and where its answer goes, when serving) queued per group; a group is present
/// while its writer runs.
pub(super) struct CommitGroups<M> {
    queued: Mutex<HashMap<Group, Vec<M>>>,
}

impl<M> Default for CommitGroups<M> {
    fn default() -> Self {
        CommitGroups {
            queued: Mutex::new(HashMap::new()),
        }
    }
}

impl<M> CommitGroups<M> {
    /// Queues `member` in `group`. When no writer runs for it, answers the first batch,
    /// `member` alone: the caller then starts the writer.
    pub(super) fn enqueue(&self, group: &Group, member: M) -> Option<Vec<M>> {
        let mut queued = self.queued.lock().unwrap_or_else(PoisonError::into_inner);
        match queued.get_mut(group) {
            Some(waiting) => {
                waiting.push(member);
                None
            }
            None => {
                queued.insert(group.clone(), Vec::new());
                Some(vec![member])
            }
        }
    }

    /// The writer of `group`, until it stops: dropped before it took the last batch (the
    /// task panicked or the runtime stopped), it drops the queued commits, which then
    /// answer 503, rather than leaving them queued behind a writer gone.
    pub(super) fn writing<'a>(&'a self, group: &Group) -> Writing<'a, M> {
        Writing {
            groups: self,
            group: group.clone(),
            done: false,
        }
    }
}

/// A group's writer's hold on its queue ([`CommitGroups::writing`]).
pub(super) struct Writing<'a, M> {
    groups: &'a CommitGroups<M>,
    group: Group,
    done: bool,
}

impl<M> Writing<'_, M> {
    /// The next batch, oldest first and at most [`MAX_BATCH`]; `None` when none waits,
    /// and the group is then idle (the next commit starts a writer).
    pub(super) fn next_batch(&mut self) -> Option<Vec<M>> {
        let mut queued = self
            .groups
            .queued
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let waiting = queued.get_mut(&self.group)?;
        if waiting.is_empty() {
            queued.remove(&self.group);
            self.done = true;
            return None;
        }
        if waiting.len() <= MAX_BATCH {
            return Some(std::mem::take(waiting));
        }
        Some(waiting.drain(..MAX_BATCH).collect())
    }
}

impl<M> Drop for Writing<'_, M> {
    fn drop(&mut self) {
        if !self.done {
            let mut queued = self
                .groups
                .queued
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            queued.remove(&self.group);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::oneshot;

    fn group(campaigns: &[&str]) -> Group {
        Group::Campaigns(
            campaigns
                .iter()
                .map(|id| CommitLock::Campaign(id.to_string()))
                .collect(),
        )
    }

    #[test]
    fn what_a_group_knows_moves_on_with_each_commit_written() {
        let mut known = Known::default();
        assert!(!known.may_be_committed("o-1"));
        assert_eq!(known.usage_of("hot"), CampaignUsage::default());
        let after = HashMap::from([(
            "hot".to_string(),
            CampaignUsage {
                redemptions: 1,
                granted_minor: 500,
                ..CampaignUsage::default()
            },
        )]);
        known.written("o-1", &after);
        assert!(
            known.may_be_committed("o-1"),
            "the same order sent twice is read"
        );
        assert_eq!(known.usage_of("hot").granted_minor, 500);
    }

    #[test]
    fn postgres_groups_by_limited_campaign_and_sqlite_groups_all() {
        let locks: BTreeSet<CommitLock> = [
            CommitLock::Order("o-1".into()),
            CommitLock::Customer("c-1".into()),
            CommitLock::Campaign("hot".into()),
        ]
        .into();
        assert_eq!(
            group_of(&locks, [], Backend::Postgres),
            Some(group(&["hot"]))
        );
        assert_eq!(group_of(&locks, [], Backend::Sqlite), Some(Group::Host));
        assert_eq!(
            group_of(&locks, ["leased"], Backend::Postgres),
            Some(group(&["hot"])),
            "a commit that locks a campaign is written with that campaign's"
        );
        let unlimited: BTreeSet<CommitLock> = [CommitLock::Order("o-2".into())].into();
        assert_eq!(group_of(&unlimited, [], Backend::Postgres), None);
        assert_eq!(
            group_of(&unlimited, ["leased"], Backend::Postgres),
            Some(Group::Host),
            "commits on leases share the host's group, whatever their campaigns"
        );
        assert_eq!(
            group_of(&unlimited, ["other"], Backend::Postgres),
            group_of(&unlimited, ["leased"], Backend::Postgres)
        );
        assert_eq!(group_of(&unlimited, [], Backend::Sqlite), Some(Group::Host));
    }

    #[test]
    fn the_first_commit_of_an_idle_group_writes_and_the_next_queue_in_order() {
        let groups = CommitGroups::default();
        let hot = group(&["hot"]);
        assert_eq!(groups.enqueue(&hot, 1), Some(vec![1]));
        // Another group has a writer of its own.
        assert_eq!(groups.enqueue(&group(&["cold"]), 10), Some(vec![10]));
        assert_eq!(groups.enqueue(&hot, 2), None);
        assert_eq!(groups.enqueue(&hot, 3), None);
        let mut writing = groups.writing(&hot);
        assert_eq!(writing.next_batch(), Some(vec![2, 3]));
        assert_eq!(writing.next_batch(), None);
        drop(writing);
        // Idle again: the next commit starts a writer.
        assert_eq!(groups.enqueue(&hot, 4), Some(vec![4]));
    }

    #[test]
    fn a_batch_holds_at_most_max_batch_commits() {
        let groups = CommitGroups::default();
        let hot = group(&["hot"]);
        assert_eq!(groups.enqueue(&hot, 0), Some(vec![0]));
        for n in 1..=(MAX_BATCH + 5) {
            assert_eq!(groups.enqueue(&hot, n), None);
        }
        let mut writing = groups.writing(&hot);
        let first = writing.next_batch().unwrap_or_default();
        assert_eq!(first, (1..=MAX_BATCH).collect::<Vec<_>>());
        let second = writing.next_batch().unwrap_or_default();
        assert_eq!(second, (MAX_BATCH + 1..=MAX_BATCH + 5).collect::<Vec<_>>());
        assert_eq!(writing.next_batch(), None);
    }

    #[test]
    fn a_writer_gone_drops_its_queue_so_that_nothing_waits_on_it() {
        let groups = CommitGroups::default();
        let hot = group(&["hot"]);
        let (reply, answer) = oneshot::channel::<()>();
        assert!(groups.enqueue(&hot, (0, None)).is_some());
        assert!(groups.enqueue(&hot, (1, Some(reply))).is_none());
        // The writer stops without taking its queue (a panic, a runtime stopping).
        drop(groups.writing(&hot));
        let mut answer = answer;
        assert!(
            answer.try_recv().is_err(),
            "the queued commit's reply is dropped"
        );
        assert!(
            groups.enqueue(&hot, (2, None)).is_some(),
            "a new writer starts"
        );
    }
}
