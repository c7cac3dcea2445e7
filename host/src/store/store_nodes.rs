//! Store nodes in the store (migration 21, docs/store-nodes.md). On a store node: the queue
//! of orders it committed, written in their own transactions and read back in commit order
//! until the centre acknowledges them; where its pulls stand; the copy of the centre's
//! campaigns and channel keys. At the centre: a store node's queue taken back exactly once.

use super::anonymise::{anonymised_answer, anonymised_basket};
use super::outbox::NewEvent;
use super::redemptions::{add_counts, CampaignTake, NewRedemption, PointsLot};
use super::{
    encode_campaign, now, timestamp, CommitLock, CommitTx, Store, StoreError, StoredCampaign,
};
use crate::auth::Role;
use crate::model::usage::CampaignUsage;
use crate::model::webhook::EventType;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// An order committed at a store node, as it is forwarded: everything the centre records
/// of it, as the store recorded it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForwardedOrder {
    /// The channel's order id.
    pub order_id: String,
    /// SHA-256 of the basket as committed.
    pub request_hash: String,
    /// The answer the till was given, JSON text.
    pub response: String,
    /// The customer, if any.
    pub customer_id: Option<String>,
    /// The channel.
    pub channel: String,
    /// The id of the key that committed it (its hash, never the key).
    pub key_hash: String,
    /// The basket's currency.
    pub currency: String,
    /// What each applied campaign took.
    pub campaigns: Vec<ForwardedTake>,
    /// The points each campaign granted the customer.
    pub points: Vec<ForwardedLot>,
    /// The basket as priced, JSON.
    pub basket: String,
    /// The applied campaigns' definitions and plugin versions, JSON.
    pub pricing: String,
    /// What contract-1.1 plugins were told of the customer, JSON.
    pub customer_data: Option<String>,
    /// When the store committed it, by its clock.
    pub committed_at: DateTime<Utc>,
}

/// What one applied campaign took from a forwarded order ([`CampaignTake`], owned).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForwardedTake {
    /// The campaign.
    pub campaign_id: String,
    /// The order's day in the campaign's timezone.
    pub local_date: NaiveDate,
    /// Its discount, in minor units of the order's currency.
    pub discount_minor: i64,
    /// The coupon code it used.
    pub coupon: Option<String>,
    /// The plugin version it ran on, `name@version`.
    pub plugin: String,
}

/// Points one campaign granted a forwarded order's customer ([`PointsLot`], owned).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForwardedLot {
    /// The campaign.
    pub campaign_id: String,
    /// How many.
    pub points: i64,
    /// When the order earned them.
    pub earned_at: DateTime<Utc>,
    /// When they stop counting.
    pub expires_at: Option<DateTime<Utc>>,
}

impl ForwardedOrder {
    /// The order `redemption`, committed at `at`, as it is forwarded.
    pub fn of(redemption: &NewRedemption<'_>, at: DateTime<Utc>) -> ForwardedOrder {
        ForwardedOrder {
            order_id: redemption.order_id.to_string(),
            request_hash: redemption.request_hash.to_string(),
            response: redemption.response.to_string(),
            customer_id: redemption.customer_id.map(str::to_string),
            channel: redemption.channel.to_string(),
            key_hash: redemption.key_hash.to_string(),
            currency: redemption.currency.to_string(),
            campaigns: redemption
                .campaigns
                .iter()
                .map(|take| ForwardedTake {
                    campaign_id: take.campaign_id.to_string(),
                    local_date: take.local_date,
                    discount_minor: take.discount_minor,
                    coupon: take.coupon.map(str::to_string),
                    plugin: take.plugin.to_string(),
                })
                .collect(),
            points: redemption
                .points
                .iter()
                .map(|lot| ForwardedLot {
                    campaign_id: lot.campaign_id.to_string(),
                    points: lot.points,
                    earned_at: lot.earned_at,
                    expires_at: lot.expires_at,
                })
                .collect(),
            basket: redemption.basket.to_string(),
            pricing: redemption.pricing.to_string(),
            customer_data: redemption.customer_data.map(str::to_string),
            committed_at: at,
        }
    }

    /// The order without its customer, as an erasure leaves it
    /// ([`Store::erase_customer`]): no id, no customer data, the answer's and basket's
    /// customer parts taken out, and so no points for anyone. Every amount stays.
    pub fn anonymised(&self) -> ForwardedOrder {
        ForwardedOrder {
            customer_id: None,
            customer_data: None,
            response: anonymised_answer(&self.response),
            basket: anonymised_basket(&self.basket),
            points: Vec::new(),
            ..self.clone()
        }
    }

    /// The order as the centre records it.
    pub fn as_new(&self) -> NewRedemption<'_> {
        NewRedemption {
            order_id: &self.order_id,
            request_hash: &self.request_hash,
            response: &self.response,
            customer_id: self.customer_id.as_deref(),
            channel: &self.channel,
            key_hash: &self.key_hash,
            currency: &self.currency,
            campaigns: self
                .campaigns
                .iter()
                .map(|take| CampaignTake {
                    campaign_id: &take.campaign_id,
                    local_date: take.local_date,
                    discount_minor: take.discount_minor,
                    coupon: take.coupon.as_deref(),
                    plugin: &take.plugin,
                })
                .collect(),
            points: self
                .points
                .iter()
                .map(|lot| PointsLot {
                    campaign_id: &lot.campaign_id,
                    points: lot.points,
                    earned_at: lot.earned_at,
                    expires_at: lot.expires_at,
                })
                .collect(),
            basket: &self.basket,
            pricing: &self.pricing,
            customer_data: self.customer_data.as_deref(),
        }
    }
}

/// One entry of a store node's queue: an order committed there, or one cancelled there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Forwarded {
    /// An order committed at the store.
    Order(Box<ForwardedOrder>),
    /// An order cancelled at the store.
    Cancel {
        /// The order.
        order_id: String,
        /// When the store cancelled it.
        cancelled_at: DateTime<Utc>,
    },
    /// What the store's evaluations added to its campaigns' counts since the last flush:
    /// `(campaign, evaluations, applications)`.
    Counts {
        /// The counts added, by campaign.
        counts: Vec<(String, u64, u64)>,
    },
}

/// The order id a counts entry is queued and locked under: no order has it, since an
/// order id is never empty.
const COUNTS_ENTRY: &str = "";

impl Forwarded {
    /// The order it is about.
    pub fn order_id(&self) -> &str {
        match self {
            Forwarded::Order(order) => &order.order_id,
            Forwarded::Cancel { order_id, .. } => order_id,
            Forwarded::Counts { .. } => COUNTS_ENTRY,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Forwarded::Order(_) => ORDER_KIND,
            Forwarded::Cancel { .. } => "cancel",
            Forwarded::Counts { .. } => "counts",
        }
    }
}

/// The queue's `kind` of an order entry.
const ORDER_KIND: &str = "order";

/// An entry of a store node's queue, with its place in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueuedEntry {
    /// Its sequence number: entries are committed, forwarded and applied in its order.
    pub seq: i64,
    /// What it tells.
    pub entry: Forwarded,
}

/// What the centre did with a batch of a store node's entries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakenBack {
    /// The last sequence number the centre has applied (the store may drop its entries up
    /// to it).
    pub last_seq: i64,
    /// Entries of the batch applied now.
    pub applied: u64,
    /// Entries of the batch applied before (sent again after a lost answer).
    pub already: u64,
    /// Orders the centre refused, and why: an order id the centre knows with another
    /// basket. The store keeps them aside rather than sending them again.
    pub refused: Vec<(i64, String)>,
}

/// A key as the centre hands it to its store nodes: its hash, never the key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirroredKey {
    /// The hex SHA-256 of the key.
    pub hash: String,
    /// Its public id.
    pub id: String,
    /// Its role.
    pub role: Role,
    /// Its label.
    pub label: String,
    /// Whether it was revoked.
    pub revoked: bool,
}

impl CommitTx {
    /// Queues order `redemption`, committed at `at`, for the centre (a store node's).
    pub(super) async fn forward_order(
        &mut self,
        redemption: &NewRedemption<'_>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let order = ForwardedOrder::of(redemption, at);
        self.enqueue(&Forwarded::Order(Box::new(order))).await
    }

    /// Queues the cancel of `order_id` at `at` for the centre (a store node's).
    pub(super) async fn forward_cancel(
        &mut self,
        order_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let cancel = Forwarded::Cancel {
            order_id: order_id.to_string(),
            cancelled_at: at,
        };
        self.enqueue(&cancel).await
    }

    /// Adds `entry` to the store node's queue, in this transaction (so it is queued exactly
    /// when what it tells is committed).
    async fn enqueue(&mut self, entry: &Forwarded) -> Result<(), StoreError> {
        enqueue(self.conn().await?, entry).await
    }
}

/// Adds `entry` to a store node's queue on `conn`, in its transaction.
async fn enqueue(conn: &mut AnyConnection, entry: &Forwarded) -> Result<(), StoreError> {
    let body = serde_json::to_string(entry)
        .map_err(|why| StoreError::Database(sqlx::Error::Encode(Box::new(why))))?;
    sqlx::query("INSERT INTO forward_queue (kind, order_id, body) VALUES ($1, $2, $3)")
        .bind(entry.kind())
        .bind(entry.order_id())
        .bind(body)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Takes customer `id`, erased at `at`, out of the orders of a store node's queue that the
/// centre refused and that were committed at or before `at`, on `conn` in its transaction:
/// they are never sent again, so nobody else would. Orders still waiting keep the id until
/// the centre has them (it erases them there by the same rule).
pub(super) async fn erase_from_refused(
    conn: &mut AnyConnection,
    id: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let refused: Vec<(i64, String)> = sqlx::query_as(
        "SELECT seq, body FROM forward_queue WHERE rejected IS NOT NULL AND kind = $1",
    )
    .bind(ORDER_KIND)
    .fetch_all(&mut *conn)
    .await?;
    for (seq, body) in refused {
        let Ok(Forwarded::Order(order)) = serde_json::from_str::<Forwarded>(&body) else {
            continue;
        };
        if order.customer_id.as_deref() != Some(id) || order.committed_at > at {
            continue;
        }
        let body = serde_json::to_string(&Forwarded::Order(Box::new(order.anonymised())))
            .map_err(|why| StoreError::Database(sqlx::Error::Encode(Box::new(why))))?;
        sqlx::query("UPDATE forward_queue SET body = $1 WHERE seq = $2")
            .bind(body)
            .bind(seq)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Makes this store queue every order committed and cancelled through it for the
    /// centre: a store node's.
    pub fn forwarding(mut self) -> Store {
        self.forwarding = true;
        self
    }

    /// Queues the evaluation counts `counts` for the centre on `conn`, in its transaction,
    /// when this is a store node's store.
    pub(super) async fn forward_counts(
        &self,
        conn: &mut AnyConnection,
        counts: &[(String, u64, u64)],
    ) -> Result<(), StoreError> {
        if !self.forwarding || counts.is_empty() {
            return Ok(());
        }
        let entry = Forwarded::Counts {
            counts: counts.to_vec(),
        };
        enqueue(conn, &entry).await
    }

    /// The first `limit` entries of the queue not yet acknowledged nor refused, in order.
    pub async fn queued(&self, limit: u32) -> Result<Vec<QueuedEntry>, StoreError> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT seq, body FROM forward_queue WHERE rejected IS NULL ORDER BY seq LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(seq, body)| {
                serde_json::from_str(&body)
                    .map(|entry| QueuedEntry { seq, entry })
                    .map_err(|why| {
                        StoreError::Corrupt(format!("queued entry {seq}"), why.to_string())
                    })
            })
            .collect()
    }

    /// How many entries wait for the centre, and how many it refused.
    pub async fn queue_counts(&self) -> Result<(i64, i64), StoreError> {
        let (waiting, refused): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN rejected IS NULL THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN rejected IS NULL THEN 0 ELSE 1 END), 0) FROM forward_queue",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((waiting, refused))
    }

    /// The oldest and the newest sequence numbers waiting for the centre (`None` when none
    /// waits).
    pub async fn queue_span(&self) -> Result<(Option<i64>, Option<i64>), StoreError> {
        Ok(
            sqlx::query_as("SELECT MIN(seq), MAX(seq) FROM forward_queue WHERE rejected IS NULL")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// What the centre answered: drops the entries it applied (up to `taken.last_seq`)
    /// and keeps those it refused, marked with why.
    pub async fn acknowledge(&self, taken: &TakenBack) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for (seq, why) in &taken.refused {
            sqlx::query("UPDATE forward_queue SET rejected = $2 WHERE seq = $1")
                .bind(seq)
                .bind(why)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM forward_queue WHERE seq <= $1 AND rejected IS NULL")
            .bind(taken.last_seq)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A value of the store node's pull state, if set.
    pub async fn sync_value(&self, name: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM store_sync WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(value,)| value))
    }

    /// Sets a value of the store node's pull state.
    pub async fn set_sync_value(&self, name: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO store_sync (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Makes the stored campaigns exactly `campaigns` (the centre's), keeping their
    /// revisions and times, in one transaction. No revision history is kept here: the
    /// centre's is the campaigns' history.
    pub async fn mirror_campaigns(&self, campaigns: &[StoredCampaign]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let stored: Vec<(String,)> = sqlx::query_as("SELECT id FROM campaigns")
            .fetch_all(&mut *tx)
            .await?;
        let kept: HashSet<&str> = campaigns.iter().map(|c| c.campaign.id.as_str()).collect();
        for (id,) in stored.iter().filter(|(id,)| !kept.contains(id.as_str())) {
            sqlx::query("DELETE FROM campaigns WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        for stored in campaigns {
            sqlx::query(
                "INSERT INTO campaigns (id, body, revision, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET \
                 body = excluded.body, revision = excluded.revision, \
                 created_at = excluded.created_at, updated_at = excluded.updated_at",
            )
            .bind(&stored.campaign.id)
            .bind(encode_campaign(&stored.campaign)?)
            .bind(stored.revision)
            .bind(timestamp(stored.created_at))
            .bind(timestamp(stored.updated_at))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores the centre's keys by their hashes: new ones added, known ones given the
    /// centre's role and label, revoked ones revoked here too.
    pub async fn mirror_keys(&self, keys: &[MirroredKey]) -> Result<(), StoreError> {
        let stamp = timestamp(now());
        let mut tx = self.pool.begin().await?;
        for key in keys {
            sqlx::query(
                "INSERT INTO api_keys (key_hash, id, role, label, source, created_at, revoked_at) \
                 VALUES ($1, $2, $3, $4, 'created', $5, $6) ON CONFLICT (key_hash) DO UPDATE \
                 SET role = excluded.role, label = excluded.label, \
                 revoked_at = COALESCE(api_keys.revoked_at, excluded.revoked_at)",
            )
            .bind(&key.hash)
            .bind(&key.id)
            .bind(key.role.as_str())
            .bind(&key.label)
            .bind(&stamp)
            .bind(key.revoked.then_some(stamp.as_str()))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The keys of `role`, revoked ones included, by their hashes: what a store node
    /// copies.
    pub async fn keys_for_mirror(&self, role: Role) -> Result<Vec<MirroredKey>, StoreError> {
        let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT key_hash, id, label, revoked_at FROM api_keys WHERE role = $1 ORDER BY id",
        )
        .bind(role.as_str())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(hash, id, label, revoked_at)| MirroredKey {
                hash,
                id,
                role,
                label,
                revoked: revoked_at.is_some(),
            })
            .collect())
    }

    /// Up to `limit` customer profiles and erasures written after `after` (`(time, id)`,
    /// the cursor of the previous page), oldest write first (`(id, Some(body), updated_at)`
    /// or `(id, None, erased_at)`): a store node's walk of the customers, which picks up
    /// where it stopped.
    pub async fn customers_written_after(
        &self,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> Result<Vec<(String, Option<String>, String)>, StoreError> {
        let (stamp, id) = after.unwrap_or(("", ""));
        let rows: Vec<(String, Option<String>, String)> = sqlx::query_as(
            "SELECT id, body, updated_at FROM customers \
             WHERE updated_at > $1 OR (updated_at = $1 AND id > $2) \
             UNION ALL \
             SELECT customer_id, NULL, erased_at FROM customer_erasures \
             WHERE erased_at > $1 OR (erased_at = $1 AND customer_id > $2) \
             ORDER BY 3, 1 LIMIT $3",
        )
        .bind(stamp)
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    /// Applies store node `store_id`'s `entries` (in sequence order) that it has not
    /// applied yet, in one transaction: each order recorded as the store committed it
    /// (adding to its campaigns' usage), each cancel given back. An entry at or below the
    /// store's last applied sequence number is acknowledged, not applied again; an order
    /// whose id the centre holds with another basket is refused.
    pub async fn take_back(
        &self,
        store_id: &str,
        entries: &[QueuedEntry],
        budget_currencies: &HashMap<String, String>,
        events: &ForwardedEvents<'_>,
    ) -> Result<TakenBack, StoreError> {
        let holder = lease_holder(store_id);
        let locks: Vec<CommitLock> = entries
            .iter()
            .map(|queued| CommitLock::Order(queued.entry.order_id().to_string()))
            .chain([CommitLock::Order(format!("store-node:{store_id}"))])
            .collect();
        let mut tx = self.begin_commit(&locks).await?;
        let last: Option<(i64,)> =
            sqlx::query_as("SELECT last_seq FROM store_nodes WHERE store_id = $1")
                .bind(store_id)
                .fetch_optional(tx.conn().await?)
                .await?;
        let mut taken = TakenBack {
            last_seq: last.map_or(0, |(seq,)| seq),
            ..TakenBack::default()
        };
        // The campaigns' usage before, when some webhook hears of the campaigns' events.
        let before = if tx.wants_event(EventType::CampaignBudgetLow).await?
            || tx.wants_event(EventType::CampaignObjectiveMet).await?
        {
            Some(tx.usage().await?)
        } else {
            None
        };
        for queued in entries {
            if queued.seq <= taken.last_seq {
                taken.already += 1;
                continue;
            }
            match &queued.entry {
                Forwarded::Order(order) => match tx.redemption(&order.order_id).await? {
                    Some(known) if known.request_hash == order.request_hash => {
                        taken.already += 1;
                    }
                    Some(_) => taken.refused.push((
                        queued.seq,
                        format!(
                            "order {} is known at the centre with another basket",
                            order.order_id
                        ),
                    )),
                    None => {
                        let erased = match &order.customer_id {
                            Some(customer) => erased_since(&mut tx, customer, order).await?,
                            None => false,
                        };
                        let order = if erased {
                            Cow::Owned(order.anonymised())
                        } else {
                            Cow::Borrowed(order.as_ref())
                        };
                        tx.record_at(&order.as_new(), order.committed_at).await?;
                        if tx.wants_event(EventType::RedemptionCommitted).await? {
                            tx.add_event(&(events.committed)(&order)).await?;
                        }
                        for take in &order.campaigns {
                            let minor = in_budget(
                                budget_currencies,
                                &take.campaign_id,
                                &order.currency,
                                take.discount_minor,
                            );
                            move_store_lease(&mut tx, &take.campaign_id, &holder, 1, minor).await?;
                        }
                        taken.applied += 1;
                    }
                },
                Forwarded::Counts { counts } => {
                    // Counts, not an order: they move no lease and are not counted among
                    // the store's orders.
                    add_counts(tx.conn().await?, counts).await?;
                    taken.last_seq = queued.seq;
                    continue;
                }
                Forwarded::Cancel {
                    order_id,
                    cancelled_at,
                } => {
                    let open = tx
                        .redemption(order_id)
                        .await?
                        .is_some_and(|known| known.cancelled_at.is_none());
                    if open {
                        let takes: Vec<(String, i64, String)> = sqlx::query_as(
                            "SELECT c.campaign_id, c.discount_minor, r.currency \
                             FROM redemption_campaigns c JOIN redemptions r \
                             ON r.order_id = c.order_id WHERE c.order_id = $1",
                        )
                        .bind(order_id)
                        .fetch_all(tx.conn().await?)
                        .await?;
                        tx.cancel(order_id, *cancelled_at).await?;
                        if tx.wants_event(EventType::RedemptionCancelled).await? {
                            let customer: Option<(Option<String>,)> = sqlx::query_as(
                                "SELECT customer_id FROM redemptions WHERE order_id = $1",
                            )
                            .bind(order_id)
                            .fetch_optional(tx.conn().await?)
                            .await?;
                            let customer = customer.and_then(|(id,)| id);
                            let event =
                                (events.cancelled)(order_id, customer.as_deref(), *cancelled_at);
                            tx.add_event(&event).await?;
                        }
                        for (campaign_id, discount_minor, currency) in &takes {
                            let minor = in_budget(
                                budget_currencies,
                                campaign_id,
                                currency,
                                *discount_minor,
                            );
                            move_store_lease(&mut tx, campaign_id, &holder, -1, -minor).await?;
                        }
                    }
                    taken.applied += 1;
                }
            }
            taken.last_seq = queued.seq;
        }
        if let Some(before) = before {
            let after = tx.usage_after().await?;
            for (campaign_id, is) in &after {
                let was = before.get(campaign_id).cloned().unwrap_or_default();
                if was == *is {
                    continue;
                }
                for event in (events.crossed)(campaign_id, &was, is) {
                    tx.add_campaign_event_once(campaign_id, event.kind, || event)
                        .await?;
                }
            }
        }
        sqlx::query(
            "INSERT INTO store_nodes (store_id, last_seq, orders, seen_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (store_id) DO UPDATE SET last_seq = excluded.last_seq, \
             orders = store_nodes.orders + excluded.orders, seen_at = excluded.seen_at",
        )
        .bind(store_id)
        .bind(taken.last_seq)
        .bind(i64::try_from(taken.applied).unwrap_or(i64::MAX))
        .bind(timestamp(now()))
        .execute(tx.conn().await?)
        .await?;
        tx.commit().await?;
        Ok(taken)
    }
}

/// Builds `redemption.cancelled` of order `order_id`, of the customer, at the time given.
pub type CancelledEvent<'a> = dyn Fn(&str, Option<&str>, DateTime<Utc>) -> NewEvent + Sync + 'a;

/// Builds the campaign events (`campaign.budget_low`, `campaign.objective_met`) that the
/// usage of a campaign going from the first to the second crossed into.
pub type CrossedEvents<'a> =
    dyn Fn(&str, &CampaignUsage, &CampaignUsage) -> Vec<NewEvent> + Sync + 'a;

/// How the centre tells webhooks of what a store node forwards, in the transaction that
/// takes it back (the service builds the events: it knows their payloads).
pub struct ForwardedEvents<'a> {
    /// `redemption.committed` of an order.
    pub committed: &'a (dyn Fn(&ForwardedOrder) -> NewEvent + Sync),
    /// `redemption.cancelled` of a cancel.
    pub cancelled: &'a CancelledEvent<'a>,
    /// The campaign events a batch's orders moved a campaign into, each once per campaign.
    pub crossed: &'a CrossedEvents<'a>,
}

/// Whether `customer` was erased here at or after `order` was committed at its store: the
/// order, forwarded after the erasure, is then recorded without them.
async fn erased_since(
    tx: &mut CommitTx,
    customer: &str,
    order: &ForwardedOrder,
) -> Result<bool, StoreError> {
    let erased: Option<(String,)> =
        sqlx::query_as("SELECT erased_at FROM customer_erasures WHERE customer_id = $1")
            .bind(customer)
            .fetch_optional(tx.conn().await?)
            .await?;
    Ok(erased.is_some_and(|(at,)| at >= timestamp(order.committed_at)))
}

/// How lease rows name store node `store_id`.
pub fn lease_holder(store_id: &str) -> String {
    format!("store:{store_id}")
}

/// What an order's discount takes from `campaign_id`'s budget: all of it when the order is
/// in the budget's currency, nothing otherwise (or without a budget).
fn in_budget(
    budget_currencies: &HashMap<String, String>,
    campaign_id: &str,
    currency: &str,
    discount_minor: i64,
) -> i64 {
    match budget_currencies.get(campaign_id) {
        Some(kept_in) if kept_in == currency => discount_minor,
        _ => 0,
    }
}

/// Counts a store's order (or, negative, its cancel) against the store's lease of the
/// campaign, when it still holds one: its unused part then stays what the store can still
/// sell. A lease taken back meanwhile (the store was offline past its TTL) is not there:
/// the order counts in the campaign's usage alone.
async fn move_store_lease(
    tx: &mut CommitTx,
    campaign_id: &str,
    holder: &str,
    redemptions: i64,
    minor: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE budget_leases SET used_redemptions = used_redemptions + $3, \
         used_minor = used_minor + $4 WHERE campaign_id = $1 AND holder = $2",
    )
    .bind(campaign_id)
    .bind(holder)
    .bind(redemptions)
    .bind(minor)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

impl Store {
    /// Moves the expiry of store leases `ids` held by `holder` to `expires_at_ms`, those
    /// not expired at `now_ms`; answers the ids renewed (a lease that expired is the
    /// store's no more, even when its row is still there).
    pub async fn renew_store_leases(
        &self,
        holder: &str,
        ids: &[String],
        now_ms: i64,
        expires_at_ms: i64,
    ) -> Result<Vec<String>, StoreError> {
        let mut renewed = Vec::new();
        let mut tx = self.pool.begin().await?;
        for id in ids {
            let moved = sqlx::query(
                "UPDATE budget_leases SET expires_at_ms = $3 \
                 WHERE id = $1 AND holder = $2 AND expires_at_ms >= $4",
            )
            .bind(id)
            .bind(holder)
            .bind(expires_at_ms)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            if moved.rows_affected() == 1 {
                renewed.push(id.clone());
            }
        }
        tx.commit().await?;
        Ok(renewed)
    }
}

/// A store node as the centre knows it, from the entries it handed back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownStore {
    /// Its id.
    pub store_id: String,
    /// The entries (orders and cancels) it handed back, each applied once.
    pub entries: i64,
    /// The last of its sequence numbers applied.
    pub last_seq: i64,
    /// When it last handed entries back.
    pub seen_at: DateTime<Utc>,
    /// The budget leases it holds at the centre.
    pub leases: i64,
}

impl Store {
    /// Every store node that handed entries back, by id.
    pub async fn known_stores(&self) -> Result<Vec<KnownStore>, StoreError> {
        let rows: Vec<(String, i64, i64, String, i64)> = sqlx::query_as(
            "SELECT s.store_id, s.orders, s.last_seq, s.seen_at, \
             (SELECT COUNT(*) FROM budget_leases l WHERE l.holder = 'store:' || s.store_id) \
             FROM store_nodes s ORDER BY s.store_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(store_id, entries, last_seq, seen_at, leases)| {
                Ok(KnownStore {
                    seen_at: super::parse_timestamp(&seen_at)
                        .map_err(|e| super::column_error("seen_at", e))?,
                    store_id,
                    entries,
                    last_seq,
                    leases,
                })
            })
            .collect()
    }
}
