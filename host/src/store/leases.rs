//! Budget leases: a host's slice of a hot campaign's cap and budget, granted under the
//! campaign's lock and used by the host's commits without it (docs/scaling.md, "Budget
//! leases"). What a slice's orders used moves on in their own transaction
//! ([`CommitTx::use_lease`]), so the campaign's usage plus every slice's unused part never
//! exceeds its limits, whichever host dies when.

use super::redemptions::{held_and_used, CommitLock, LeaseTake};
use super::{CommitTx, Store, StoreError};
use std::collections::HashSet;

/// A campaign's limits as a lease counts them: `None` for one it does not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseLimits {
    /// The redemption cap.
    pub cap: Option<u64>,
    /// The budget, in minor units of its currency.
    pub budget_minor: Option<i64>,
}

/// What a host asks for when it leases: at least `need` (it may get less: what is left),
/// and a slice of what is free when that is more.
#[derive(Clone, Debug)]
pub struct LeaseAsk<'a> {
    /// The campaign.
    pub campaign_id: &'a str,
    /// The asking host.
    pub holder: &'a str,
    /// The id of a new row, when the host holds none for the campaign.
    pub new_id: &'a str,
    /// The campaign's limits.
    pub limits: LeaseLimits,
    /// What the commits waiting for it need.
    pub need: LeaseTake,
    /// Whether the holder's row starts again from what its orders used, under `limits`
    /// (they changed since it was leased): its unused part no longer counts, and a limit
    /// the campaign did not have when it was leased now bounds it.
    pub rebase: bool,
    /// The host's clock, in milliseconds since 1970: rows that expired before it are
    /// taken back first.
    pub now_ms: i64,
    /// How long the lease lives unless renewed, in milliseconds.
    pub ttl_ms: i64,
}

/// What a lease gave: its row, and how much more of each limit it now holds (`None` for a
/// limit the campaign does not have).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Granted {
    /// The row's id: the host's lease for the campaign.
    pub id: String,
    /// Redemptions added to the lease.
    pub redemptions: Option<u64>,
    /// Minor units added to the lease.
    pub minor: Option<i64>,
}

/// Of what is `free`, the part a lease takes when its commits `need` that much: a slice
/// (an eighth of what is free, so that slices shrink as the limit runs out), at least
/// what is needed, never more than is free.
pub fn slice(free: i64, need: i64) -> i64 {
    let free = free.max(0);
    let eighth = free / 8 + i64::from(free % 8 != 0);
    eighth.max(need).min(free)
}

impl Store {
    /// Leases for `ask.holder` a slice of campaign `ask.campaign_id`, under the campaign's
    /// commit lock: takes back the rows that expired, then adds to the holder's row (a new
    /// one with id `ask.new_id` when it holds none) a slice of what neither committed
    /// orders nor other live leases hold.
    pub async fn lease(&self, ask: &LeaseAsk<'_>) -> Result<Granted, StoreError> {
        let lock = CommitLock::Campaign(ask.campaign_id.to_string());
        let mut tx = self.begin_commit([&lock]).await?;
        sqlx::query("DELETE FROM budget_leases WHERE campaign_id = $1 AND expires_at_ms < $2")
            .bind(ask.campaign_id)
            .bind(ask.now_ms)
            .execute(tx.conn().await?)
            .await?;
        let taken = held_and_used(&mut tx, ask.campaign_id).await?.as_taken();
        let free_redemptions = ask.limits.cap.map(|cap| {
            let cap = i64::try_from(cap).unwrap_or(i64::MAX);
            cap.saturating_sub(i64::try_from(taken.redemptions).unwrap_or(i64::MAX))
        });
        let free_minor = ask
            .limits
            .budget_minor
            .map(|budget| budget.saturating_sub(taken.granted_minor));
        let need_redemptions = i64::try_from(ask.need.redemptions).unwrap_or(i64::MAX);
        let grant_redemptions = free_redemptions.map(|free| slice(free, need_redemptions));
        let grant_minor = free_minor.map(|free| slice(free, ask.need.minor));
        let own: Option<(String,)> =
            sqlx::query_as("SELECT id FROM budget_leases WHERE campaign_id = $1 AND holder = $2")
                .bind(ask.campaign_id)
                .bind(ask.holder)
                .fetch_optional(tx.conn().await?)
                .await?;
        let expires_at_ms = ask.now_ms.saturating_add(ask.ttl_ms);
        let id = match own {
            Some((id,)) => {
                let sql = if ask.rebase {
                    // NULL for a limit the campaign no longer has.
                    "UPDATE budget_leases SET \
                     granted_redemptions = used_redemptions + $2, \
                     granted_minor = used_minor + $3, expires_at_ms = $4 WHERE id = $1"
                } else {
                    "UPDATE budget_leases SET \
                     granted_redemptions = granted_redemptions + $2, \
                     granted_minor = granted_minor + $3, expires_at_ms = $4 WHERE id = $1"
                };
                sqlx::query(sql)
                    .bind(&id)
                    .bind(grant_redemptions)
                    .bind(grant_minor)
                    .bind(expires_at_ms)
                    .execute(tx.conn().await?)
                    .await?;
                id
            }
            None => {
                sqlx::query(
                    "INSERT INTO budget_leases (id, campaign_id, holder, granted_redemptions, \
                     granted_minor, expires_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(ask.new_id)
                .bind(ask.campaign_id)
                .bind(ask.holder)
                .bind(grant_redemptions)
                .bind(grant_minor)
                .bind(expires_at_ms)
                .execute(tx.conn().await?)
                .await?;
                ask.new_id.to_string()
            }
        };
        tx.commit().await?;
        Ok(Granted {
            id,
            redemptions: grant_redemptions.map(|n| u64::try_from(n).unwrap_or(0)),
            minor: grant_minor,
        })
    }

    /// Moves the expiry of every lease `holder` holds to `expires_at_ms`, and answers
    /// which it still holds (another host may have taken back one that had expired).
    pub async fn renew_leases(
        &self,
        holder: &str,
        expires_at_ms: i64,
    ) -> Result<HashSet<String>, StoreError> {
        sqlx::query("UPDATE budget_leases SET expires_at_ms = $2 WHERE holder = $1")
            .bind(holder)
            .bind(expires_at_ms)
            .execute(&self.pool)
            .await?;
        let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM budget_leases WHERE holder = $1")
            .bind(holder)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Gives lease `id` back: what its orders used stays counted in the campaign's usage,
    /// and the rest is free for any host again. Only for a lease no commit in progress
    /// takes from.
    pub async fn return_lease(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM budget_leases WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every lease row of `campaign_id`: (holder, granted redemptions, used redemptions,
    /// granted minor, used minor), for tests and reports.
    pub async fn leases_of(&self, campaign_id: &str) -> Result<Vec<LeaseRow>, StoreError> {
        type Row = (String, Option<i64>, i64, Option<i64>, i64);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT holder, granted_redemptions, used_redemptions, granted_minor, used_minor \
             FROM budget_leases WHERE campaign_id = $1 ORDER BY holder",
        )
        .bind(campaign_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(holder, granted_redemptions, used_redemptions, granted_minor, used_minor)| {
                    LeaseRow {
                        holder,
                        granted_redemptions,
                        used_redemptions,
                        granted_minor,
                        used_minor,
                    }
                },
            )
            .collect())
    }
}

/// One lease as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseRow {
    /// The host holding it.
    pub holder: String,
    /// Redemptions granted (`None` without a cap).
    pub granted_redemptions: Option<i64>,
    /// Redemptions its committed orders used.
    pub used_redemptions: i64,
    /// Minor units granted (`None` without a budget).
    pub granted_minor: Option<i64>,
    /// Minor units its committed orders used.
    pub used_minor: i64,
}

impl CommitTx {
    /// Counts `take` against lease `id` when this transaction commits: the row moves on
    /// once for all of the transaction's orders, and the commit fails when the lease is
    /// gone (taken back after it expired) or would be overdrawn.
    pub fn use_lease(&mut self, id: &str, take: LeaseTake) {
        let used = self.lease_used.entry(id.to_string()).or_default();
        used.redemptions += take.redemptions;
        used.minor += take.minor;
        self.kept_takes_lease(id, take);
    }

    /// Writes what this transaction's orders used of each lease, in id order.
    pub(super) async fn write_lease_use(&mut self) -> Result<(), StoreError> {
        for (id, used) in std::mem::take(&mut self.lease_used) {
            let moved = sqlx::query(
                "UPDATE budget_leases SET used_redemptions = used_redemptions + $2, \
                 used_minor = used_minor + $3 WHERE id = $1 \
                 AND (granted_redemptions IS NULL OR used_redemptions + $2 <= granted_redemptions) \
                 AND (granted_minor IS NULL OR used_minor + $3 <= granted_minor)",
            )
            .bind(&id)
            .bind(i64::try_from(used.redemptions).unwrap_or(i64::MAX))
            .bind(used.minor)
            .execute(self.conn().await?)
            .await?;
            if moved.rows_affected() == 0 {
                return Err(StoreError::LeaseLost(id));
            }
        }
        Ok(())
    }
}
