//! A commit's transaction ([`CommitTx`]): the locks it holds from its first read, the
//! savepoint each commit of a group begins with, and the rows a group's orders keep in
//! memory to write together, so that group commit sends a few statements per group rather
//! than several per order.
//!
//! On SQLite a `BEGIN IMMEDIATE` transaction (the file's write lock, which covers
//! everything); on PostgreSQL a transaction that first takes one transaction-scoped
//! advisory lock per order, limited campaign or customer, in key order, so commits that
//! share none of them run in parallel.
//!
//! **Rows kept** (PostgreSQL). In a group's transaction ([`CommitTx::keep_rows`]) a commit's savepoint
//! is only marked; an order that writes nothing but its rows (its order, what each
//! campaign took, its points lots and purchase history) sends no statement at all: its
//! rows wait for the group's next statement, or its commit. Anything else a commit sends
//! (a read, a coupon use, an event) first writes the rows kept, then its savepoint, so it
//! reads what the earlier commits wrote and fails alone. Kept rows are written in one
//! savepoint; when that fails, order by order, and an order whose rows cannot be written
//! is taken out of the transaction ([`CommitTx::commit_group`] names it): its commit fails
//! alone, as with a savepoint of its own.

use super::order_rows::{self, OrderRows};
use super::{Backend, Store, StoreError};
use sqlx::{Any, AnyConnection, Transaction};
use std::collections::BTreeMap;

/// The most advisory locks one statement takes.
const LOCKS_PER_STATEMENT: usize = 100;

/// What a commit, a cancel or a return locks while it reads and writes. Two of them that
/// share no lock run in parallel on PostgreSQL.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CommitLock {
    /// An order id: two writes of one order (a retry, a cancel, a return) run one at a time.
    Order(String),
    /// A campaign with a cap, a budget, a per-customer limit or coupons: what its
    /// commits check is still true when they write.
    Campaign(String),
    /// A customer whose points an order spends.
    Customer(String),
}

impl CommitLock {
    /// Its PostgreSQL advisory lock key: the first 8 bytes of the SHA-256 of its kind and
    /// id. Two locks that happen to share a key only wait for each other.
    pub fn key(&self) -> i64 {
        use sha2::{Digest, Sha256};
        let (kind, id) = match self {
            CommitLock::Order(id) => ("order", id),
            CommitLock::Campaign(id) => ("campaign", id),
            CommitLock::Customer(id) => ("customer", id),
        };
        let digest = Sha256::new()
            .chain_update(kind)
            .chain_update([0])
            .chain_update(id)
            .finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        i64::from_be_bytes(first)
    }
}

/// What one commit, or one batch of them, takes from a lease.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LeaseTake {
    /// Redemptions (orders).
    pub redemptions: u64,
    /// Discount, in minor units of the budget's currency.
    pub minor: i64,
}

/// A commit or cancel in progress: holds its locks until [`CommitTx::commit`] (or until
/// dropped, which rolls back and so releases them).
pub struct CommitTx {
    /// The transaction. Reached through [`CommitTx::conn`], which first writes the rows
    /// kept.
    raw: Transaction<'static, Any>,
    /// Which event types some webhook receives, read in this transaction on its first
    /// event ([`super::outbox`]).
    pub(super) receivers: Option<super::outbox::Receivers>,
    /// What the orders recorded in this transaction add to each campaign's usage row:
    /// written by [`CommitTx::commit`], once per campaign and in campaign order, so that
    /// a group of commits holds each row only for its last statement, and two
    /// transactions never wait for each other's rows in a circle.
    pub(super) usage_added: BTreeMap<String, UsageAdded>,
    /// What the orders recorded in this transaction took from each budget lease (by id):
    /// written by [`CommitTx::commit`] before the usage rows (budget leases, `leases.rs`).
    pub(super) lease_used: BTreeMap<String, LeaseTake>,
    /// Whether the orders recorded and cancelled are queued for the centre (a store
    /// node's, `store_nodes.rs`).
    pub(super) forward: bool,
    /// The database it runs on.
    backend: Backend,
    /// Whether orders that write nothing but their rows keep them ([`CommitTx::keep_rows`]).
    keeps_rows: bool,
    /// The rows kept, oldest order first.
    kept: Vec<Kept>,
    /// Where the current commit of a group began.
    mark: Mark,
    /// The orders whose kept rows could not be written, and why.
    unwritten: Vec<(String, StoreError)>,
}

/// An order's rows kept, and what it takes from budget leases (given back to the
/// transaction when its rows cannot be written).
struct Kept {
    rows: OrderRows,
    leases: Vec<(String, LeaseTake)>,
}

/// What this transaction's orders add to one campaign's usage row.
#[derive(Clone, Debug, Default)]
pub(super) struct UsageAdded {
    /// The currency of the first of them that granted money.
    pub(super) currency: Option<String>,
    pub(super) redemptions: i64,
    pub(super) granted_minor: i64,
}

/// Where the current commit of a group began ([`CommitTx::savepoint`]), with the usage and
/// lease counts as they were then.
enum Mark {
    /// No commit of a group is open.
    None,
    /// Marked only: the commit has sent nothing; its rows, if any, are `kept[at..]`.
    Kept {
        at: usize,
        usage: BTreeMap<String, UsageAdded>,
        lease: BTreeMap<String, LeaseTake>,
    },
    /// A `SAVEPOINT` was sent.
    Sent {
        usage: BTreeMap<String, UsageAdded>,
        lease: BTreeMap<String, LeaseTake>,
    },
}

impl Store {
    /// Starts a commit or a cancel that touches `locks`, on a connection reserved for
    /// them: waits for each lock at most [`Store::commit_lock_timeout`] (PostgreSQL's
    /// `lock_timeout`, SQLite's busy timeout on these connections), then fails. Locks are
    /// taken in key order, so two commits never wait for each other in a circle.
    pub async fn begin_commit<'a>(
        &self,
        locks: impl IntoIterator<Item = &'a CommitLock>,
    ) -> Result<CommitTx, StoreError> {
        let raw = match self.backend {
            Backend::Sqlite => self.reserved.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => {
                let mut keys: Vec<i64> = locks.into_iter().map(CommitLock::key).collect();
                keys.sort_unstable();
                keys.dedup();
                let mut raw = self.reserved.begin().await?;
                // One statement for many locks: PostgreSQL evaluates a select list left to
                // right, so they are still taken in key order.
                for chunk in keys.chunks(LOCKS_PER_STATEMENT) {
                    let calls: Vec<String> = (1..=chunk.len())
                        .map(|n| format!("pg_advisory_xact_lock(${n})"))
                        .collect();
                    let sql = format!("SELECT {}", calls.join(", "));
                    let mut query = sqlx::query(&sql);
                    for key in chunk {
                        query = query.bind(*key);
                    }
                    query.execute(&mut *raw).await?;
                }
                raw
            }
        };
        Ok(CommitTx {
            raw,
            receivers: None,
            usage_added: BTreeMap::new(),
            lease_used: BTreeMap::new(),
            forward: self.forwarding,
            backend: self.backend,
            keeps_rows: false,
            kept: Vec::new(),
            mark: Mark::None,
            unwritten: Vec::new(),
        })
    }
}

impl CommitTx {
    /// From now on, a commit of this group that writes nothing but its order's rows keeps
    /// them for the group's next statement (see the module's documentation); the caller
    /// ends with [`CommitTx::commit_group`]. On PostgreSQL only: on SQLite a statement is a
    /// call into the library, not a round trip, and a group's multi-row statements (a new
    /// one to prepare for each size of batch) made its commits a fifth slower.
    pub fn keep_rows(&mut self) {
        self.keeps_rows = self.backend == Backend::Postgres;
    }

    /// The transaction's connection, once the rows kept are written: what every statement
    /// of a commit goes through, so that it reads what the earlier commits wrote.
    pub(super) async fn conn(&mut self) -> Result<&mut AnyConnection, StoreError> {
        if !self.kept.is_empty() || matches!(self.mark, Mark::Kept { .. }) {
            self.send_kept().await?;
        }
        Ok(&mut *self.raw)
    }

    /// Writes the rows kept; within a commit only marked, also sends its savepoint, the
    /// earlier commits' rows before it and its own after it.
    async fn send_kept(&mut self) -> Result<(), StoreError> {
        match std::mem::replace(&mut self.mark, Mark::None) {
            Mark::Kept { at, usage, lease } => {
                let current = self.kept.split_off(at.min(self.kept.len()));
                let current: Vec<&OrderRows> = current.iter().map(|kept| &kept.rows).collect();
                let (mut usage, mut lease) = (usage, lease);
                // An earlier order taken out is also out of what this commit's rollback
                // would go back to.
                for order in self.write_kept().await? {
                    take_out(&mut usage, &mut lease, &order);
                }
                self.send("SAVEPOINT remise_commit").await?;
                self.mark = Mark::Sent { usage, lease };
                order_rows::write(&mut self.raw, &current).await
            }
            other => {
                self.mark = other;
                self.write_kept().await.map(|_| ())
            }
        }
    }

    /// Writes the rows kept by earlier commits, all in one savepoint; when that fails,
    /// order by order, each in its own, taking the orders that still fail out of the
    /// transaction (answered: the orders taken out).
    async fn write_kept(&mut self) -> Result<Vec<Kept>, StoreError> {
        let kept = std::mem::take(&mut self.kept);
        let mut taken_out = Vec::new();
        if kept.is_empty() {
            return Ok(taken_out);
        }
        self.send("SAVEPOINT remise_rows").await?;
        let rows: Vec<&OrderRows> = kept.iter().map(|kept| &kept.rows).collect();
        let all = order_rows::write(&mut self.raw, &rows).await;
        if all.is_ok() {
            self.send("RELEASE SAVEPOINT remise_rows").await?;
            return Ok(taken_out);
        }
        self.send("ROLLBACK TO SAVEPOINT remise_rows").await?;
        for order in kept {
            self.send("SAVEPOINT remise_order").await?;
            match order_rows::write(&mut self.raw, &[&order.rows]).await {
                Ok(()) => {
                    self.send("RELEASE SAVEPOINT remise_order").await?;
                }
                Err(error) => {
                    self.send("ROLLBACK TO SAVEPOINT remise_order").await?;
                    self.send("RELEASE SAVEPOINT remise_order").await?;
                    let order_id = order.rows.order_id.clone();
                    tracing::warn!(order = order_id, %error, "an order's rows were not written");
                    take_out(&mut self.usage_added, &mut self.lease_used, &order);
                    self.unwritten.push((order_id, error));
                    taken_out.push(order);
                }
            }
        }
        self.send("RELEASE SAVEPOINT remise_rows").await?;
        Ok(taken_out)
    }

    /// Sends `statement` (a savepoint's), with nothing kept to write first.
    async fn send(&mut self, statement: &'static str) -> Result<(), StoreError> {
        sqlx::query(statement).execute(&mut *self.raw).await?;
        Ok(())
    }

    /// Records `rows`: kept when the current commit of a group has sent nothing yet,
    /// written now otherwise.
    pub(super) async fn keep_or_write(&mut self, rows: OrderRows) -> Result<(), StoreError> {
        if self.keeps_rows && matches!(self.mark, Mark::Kept { .. }) {
            self.kept.push(Kept {
                rows,
                leases: Vec::new(),
            });
            return Ok(());
        }
        let conn = self.conn().await?;
        order_rows::write(conn, &[&rows]).await
    }

    /// The rows the current commit of a group keeps, while it has sent nothing.
    pub(super) fn kept_by_this_commit(&mut self) -> Option<&mut OrderRows> {
        self.kept_of_this_commit().map(|kept| &mut kept.rows)
    }

    /// Notes that the current commit, while it has sent nothing, takes `take` from lease
    /// `id`: given back should its rows not be written.
    pub(super) fn kept_takes_lease(&mut self, id: &str, take: LeaseTake) {
        if let Some(kept) = self.kept_of_this_commit() {
            kept.leases.push((id.to_string(), take));
        }
    }

    fn kept_of_this_commit(&mut self) -> Option<&mut Kept> {
        match &self.mark {
            Mark::Kept { at, .. } if self.kept.len() > *at => self.kept.last_mut(),
            _ => None,
        }
    }

    /// Marks where one commit of a group begins ([`CommitTx::rollback_to_savepoint`]).
    pub async fn savepoint(&mut self) -> Result<(), StoreError> {
        let (usage, lease) = (self.usage_added.clone(), self.lease_used.clone());
        if self.keeps_rows {
            self.mark = Mark::Kept {
                at: self.kept.len(),
                usage,
                lease,
            };
            return Ok(());
        }
        sqlx::query("SAVEPOINT remise_commit")
            .execute(self.conn().await?)
            .await?;
        self.mark = Mark::Sent { usage, lease };
        Ok(())
    }

    /// Keeps what was written since [`CommitTx::savepoint`] (or kept: its rows).
    pub async fn release_savepoint(&mut self) -> Result<(), StoreError> {
        if let Mark::Sent { .. } = std::mem::replace(&mut self.mark, Mark::None) {
            self.send("RELEASE SAVEPOINT remise_commit").await?;
        }
        Ok(())
    }

    /// Undoes what was written since [`CommitTx::savepoint`] (on PostgreSQL, also after
    /// a statement failed), and forgets the mark: the transaction goes on as before it.
    pub async fn rollback_to_savepoint(&mut self) -> Result<(), StoreError> {
        match std::mem::replace(&mut self.mark, Mark::None) {
            Mark::None => {}
            Mark::Kept { at, usage, lease } => {
                self.kept.truncate(at);
                self.usage_added = usage;
                self.lease_used = lease;
            }
            Mark::Sent { usage, lease } => {
                self.usage_added = usage;
                self.lease_used = lease;
                self.send("ROLLBACK TO SAVEPOINT remise_commit").await?;
                self.send("RELEASE SAVEPOINT remise_commit").await?;
            }
        }
        Ok(())
    }

    /// Writes the rows kept, what the recorded orders took from their leases and add to
    /// the campaigns' usage, then makes it all durable; only then may the caller answer.
    /// Fails, committing nothing, when an order's rows could not be written.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        self.write_kept().await?;
        if let Some((_, error)) = self.unwritten.pop() {
            return Err(error);
        }
        self.finish().await
    }

    /// [`CommitTx::commit`] for a group: answers the orders whose rows could not be
    /// written, and why (their commits fail alone); the others are durable.
    pub async fn commit_group(mut self) -> Result<Vec<(String, StoreError)>, StoreError> {
        self.write_kept().await?;
        let unwritten = std::mem::take(&mut self.unwritten);
        self.finish().await?;
        Ok(unwritten)
    }

    /// Writes the lease and usage rows, and commits.
    async fn finish(mut self) -> Result<(), StoreError> {
        self.write_lease_use().await?;
        for (campaign_id, added) in std::mem::take(&mut self.usage_added) {
            sqlx::query(
                "INSERT INTO campaign_usage (campaign_id, currency, redemptions, granted_minor) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (campaign_id) DO UPDATE SET \
                 currency = COALESCE(campaign_usage.currency, excluded.currency), \
                 redemptions = campaign_usage.redemptions + excluded.redemptions, \
                 granted_minor = campaign_usage.granted_minor + excluded.granted_minor",
            )
            .bind(&campaign_id)
            .bind(added.currency)
            .bind(added.redemptions)
            .bind(added.granted_minor)
            .execute(&mut *self.raw)
            .await?;
        }
        self.raw.commit().await?;
        Ok(())
    }
}

/// Takes what order `order` added to the campaigns' `usage` and to the leases' `lease`
/// counts out of them: its rows were not written.
fn take_out(
    usage: &mut BTreeMap<String, UsageAdded>,
    lease: &mut BTreeMap<String, LeaseTake>,
    order: &Kept,
) {
    for take in &order.rows.campaigns {
        if let Some(added) = usage.get_mut(&take.campaign_id) {
            added.redemptions -= 1;
            added.granted_minor -= take.discount_minor;
            if added.granted_minor == 0 {
                added.currency = None;
            }
        }
    }
    for (id, take) in &order.leases {
        if let Some(used) = lease.get_mut(id) {
            used.redemptions = used.redemptions.saturating_sub(take.redemptions);
            used.minor -= take.minor;
        }
    }
}
