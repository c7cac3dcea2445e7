//! Personal codes in the `coupons` table (migration 13): codes that belong to one customer,
//! at most one per campaign and customer, handed out in bulk, found for a customer's
//! wallet, and counted for a campaign's distribution report; and rewards (migration 14),
//! personal codes a commit issues and a cancel withdraws while unused.

use super::outbox::{add_events, NewEvent, Receivers};
use super::{now, timestamp, CommitTx, Store, StoreError};
use crate::model::coupon::Coupon;
use crate::model::webhook::EventType;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Rows per `INSERT` (two parameters each, plus four shared): as for other codes, a few
/// hundred rows a statement is where bulk inserts are fastest.
const INSERT_BATCH: usize = 500;

/// Ids one `… IN (…)` query binds.
const IDS_PER_QUERY: usize = 10_000;

/// What a campaign's personal codes came to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DistributionCounts {
    /// Personal codes handed out.
    pub assigned: i64,
    /// Of those, used by at least one order still standing.
    pub used: i64,
    /// Orders that used one, by channel, in channel order.
    pub by_channel: Vec<(String, i64)>,
}

impl Store {
    /// The personal code of each of `customers` that has one for `campaign_id`, by
    /// customer.
    pub async fn personal_codes(
        &self,
        campaign_id: &str,
        customers: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        let mut found = HashMap::new();
        for chunk in customers.chunks(IDS_PER_QUERY) {
            let sql = format!(
                "SELECT customer_id, code FROM coupons WHERE campaign_id = $1 \
                 AND customer_id IN ({})",
                (2..chunk.len() + 2)
                    .map(|n| format!("${n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let mut query = sqlx::query_as::<_, (String, String)>(&sql).bind(campaign_id);
            for customer in chunk {
                query = query.bind(customer.as_str());
            }
            found.extend(query.fetch_all(&self.pool).await?);
        }
        Ok(found)
    }

    /// Stores `assignments` (code, customer) as personal codes of `campaign_id`, in one
    /// transaction with the event `assigned(code, customer)` of each code stored (when a
    /// webhook receives `coupon.assigned`); an
    /// assignment whose code exists already, or whose customer has a code of the campaign
    /// already, is skipped. Returns the customers who got their code.
    pub async fn insert_personal_codes(
        &self,
        campaign_id: &str,
        assignments: &[(String, String)],
        uses_per_code: u32,
        expires_at: Option<DateTime<Utc>>,
        assigned: &(dyn Fn(&str, &str) -> NewEvent + Sync),
    ) -> Result<Vec<String>, StoreError> {
        let created_at = timestamp(now());
        let expires_at = expires_at.map(timestamp);
        let mut sorted: Vec<&(String, String)> = assignments.iter().collect();
        sorted.sort_unstable();
        let mut inserted = Vec::with_capacity(assignments.len());
        let mut tx = self.begin_read_then_write().await?;
        let tell = Receivers::read(&mut tx)
            .await?
            .want(EventType::CouponAssigned);
        for batch in sorted.chunks(INSERT_BATCH) {
            let rows = (0..batch.len())
                .map(|i| format!("(${}, $1, $2, $3, $4, ${})", 2 * i + 5, 2 * i + 6))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO coupons (code, campaign_id, uses_per_code, expires_at, created_at, \
                 customer_id) VALUES {rows} ON CONFLICT DO NOTHING RETURNING code, customer_id"
            );
            let mut query = sqlx::query_as::<_, (String, Option<String>)>(&sql)
                .bind(campaign_id)
                .bind(i64::from(uses_per_code))
                .bind(expires_at.as_deref())
                .bind(created_at.as_str());
            for (code, customer) in batch {
                query = query.bind(code.as_str()).bind(customer.as_str());
            }
            let returned = query.fetch_all(&mut *tx).await?;
            if tell {
                let events: Vec<NewEvent> = returned
                    .iter()
                    .filter_map(|(code, customer)| Some(assigned(code, customer.as_deref()?)))
                    .collect();
                add_events(&mut tx, &events).await?;
            }
            inserted.extend(returned.into_iter().filter_map(|(_, customer)| customer));
        }
        tx.commit().await?;
        Ok(inserted)
    }

    /// Every personal code of `customer_id`, whatever its campaign, in code order.
    pub async fn customer_codes(&self, customer_id: &str) -> Result<Vec<Coupon>, StoreError> {
        let codes: Vec<(String,)> =
            sqlx::query_as("SELECT code FROM coupons WHERE customer_id = $1 ORDER BY code")
                .bind(customer_id)
                .fetch_all(&self.pool)
                .await?;
        let codes: Vec<String> = codes.into_iter().map(|(code,)| code).collect();
        self.coupons_by_codes(&codes).await
    }

    /// What the personal codes of `campaign_id` came to.
    pub async fn distribution_counts(
        &self,
        campaign_id: &str,
    ) -> Result<DistributionCounts, StoreError> {
        let (assigned, used): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN uses > 0 THEN 1 ELSE 0 END), 0) \
             AS BIGINT) FROM coupons WHERE campaign_id = $1 AND customer_id IS NOT NULL",
        )
        .bind(campaign_id)
        .fetch_one(&self.pool)
        .await?;
        let by_channel: Vec<(String, i64)> = sqlx::query_as(
            "SELECT rc.channel, COUNT(*) FROM redemption_campaigns rc \
             JOIN coupons c ON c.code = rc.coupon \
             WHERE rc.campaign_id = $1 AND c.campaign_id = $1 AND c.customer_id IS NOT NULL \
             GROUP BY rc.channel ORDER BY rc.channel",
        )
        .bind(campaign_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(DistributionCounts {
            assigned,
            used,
            by_channel,
        })
    }
}

/// A reward a commit issues: a personal code of another campaign.
#[derive(Clone, Debug)]
pub struct NewReward<'a> {
    /// The code, normalized.
    pub code: &'a str,
    /// The campaign it unlocks.
    pub campaign_id: &'a str,
    /// Its owner.
    pub customer_id: &'a str,
    /// The order whose commit issues it.
    pub order_id: &'a str,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Where it may be used; empty: wherever its campaign runs.
    pub channels: &'a [String],
}

impl CommitTx {
    /// Stores `reward` (one use) in the commit's transaction; `false` when its code is
    /// taken, and another must be drawn.
    pub async fn issue_reward(&mut self, reward: &NewReward<'_>) -> Result<bool, StoreError> {
        let channels = if reward.channels.is_empty() {
            None
        } else {
            Some(
                serde_json::to_string(reward.channels)
                    .map_err(|why| StoreError::Database(sqlx::Error::Encode(Box::new(why))))?,
            )
        };
        let inserted = sqlx::query(
            "INSERT INTO coupons (code, campaign_id, uses_per_code, uses, expires_at, \
             created_at, customer_id, issued_by, channels) \
             VALUES ($1, $2, 1, 0, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(reward.code)
        .bind(reward.campaign_id)
        .bind(timestamp(reward.expires_at))
        .bind(timestamp(now()))
        .bind(reward.customer_id)
        .bind(reward.order_id)
        .bind(channels)
        .execute(self.conn().await?)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }

    /// Withdraws the rewards order `order_id` issued that are still unused (a cancel):
    /// deletes them, and returns `(withdrawn, kept)`: the codes deleted, and those already
    /// used, which stay the customer's.
    pub async fn withdraw_rewards(
        &mut self,
        order_id: &str,
    ) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let codes: Vec<(String, i64)> =
            sqlx::query_as("SELECT code, uses FROM coupons WHERE issued_by = $1 ORDER BY code")
                .bind(order_id)
                .fetch_all(self.conn().await?)
                .await?;
        sqlx::query("DELETE FROM coupons WHERE issued_by = $1 AND uses = 0")
            .bind(order_id)
            .execute(self.conn().await?)
            .await?;
        let (unused, used): (Vec<_>, Vec<_>) = codes.into_iter().partition(|(_, uses)| *uses == 0);
        Ok((
            unused.into_iter().map(|(code, _)| code).collect(),
            used.into_iter().map(|(code, _)| code).collect(),
        ))
    }
}
