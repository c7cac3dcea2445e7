//! Partial returns in the store (`POST /v1/redemptions/{order_id}/returns`): what a return
//! reads of its order inside the commit transaction, and how it records itself and gives
//! back to budgets, caps, coupon uses and points what the kept lines no longer take.

use super::redemptions::CommitTx;
use super::{parse_timestamp, timestamp, Store, StoreError};
use chrono::{DateTime, Utc};

/// An order as a return needs it.
#[derive(Clone, Debug)]
pub struct OrderForReturn {
    /// The id of the key that committed it; `None` for orders older than keys on orders.
    pub key_hash: Option<String>,
    /// When it was cancelled, if it was.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The commit's answer, JSON.
    pub response: String,
    /// The basket as priced, JSON; `None` for orders committed before returns existed.
    pub basket: Option<String>,
    /// The applied campaigns and their plugin versions, JSON; `None` as `basket`.
    pub pricing: Option<String>,
    /// Its customer; `None` for an anonymous order or once the customer is erased.
    pub customer_id: Option<String>,
    /// When it was committed.
    pub created_at: DateTime<Utc>,
    /// What contract-1.1 plugins were told of the customer then, JSON.
    pub customer_data: Option<String>,
}

/// A return already recorded.
#[derive(Clone, Debug)]
pub struct StoredReturn {
    /// The channel's id for it.
    pub return_id: String,
    /// Its rank among the order's returns, from 1.
    pub seq: i64,
    /// What tells a retry from a conflicting reuse of `return_id`.
    pub request_hash: String,
    /// Its answer, JSON.
    pub response: String,
    /// The order after it, JSON: where the next return starts.
    pub kept: String,
}

/// What an applied campaign still holds of an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldCampaign {
    /// The campaign.
    pub campaign_id: String,
    /// Its discount on the order as it now stands, in minor units.
    pub discount_minor: i64,
    /// The coupon use it holds.
    pub coupon: Option<String>,
}

/// A return to record.
#[derive(Clone, Debug)]
pub struct NewReturn<'a> {
    /// The order.
    pub order_id: &'a str,
    /// The channel's id for the return.
    pub return_id: &'a str,
    /// Its rank among the order's returns, from 1.
    pub seq: i64,
    /// What tells a retry from a conflicting reuse of `return_id`.
    pub request_hash: &'a str,
    /// Its answer, JSON.
    pub response: &'a str,
    /// The order after it, JSON.
    pub kept: &'a str,
    /// What the till refunds, in minor units.
    pub refund_minor: i64,
    /// When, by the server's clock.
    pub at: DateTime<Utc>,
    /// What changes for each campaign the order held.
    pub campaigns: Vec<TakeChange<'a>>,
    /// The points each campaign that granted some now grants the kept lines.
    pub points: Vec<(&'a str, i64)>,
}

/// What a return changes for one campaign the order held.
#[derive(Clone, Debug)]
pub struct TakeChange<'a> {
    /// The campaign.
    pub campaign_id: &'a str,
    /// Its discount before the return, in minor units.
    pub before_minor: i64,
    /// Its discount after; `None` when it no longer applies (its redemption, coupon use and
    /// per-customer use are given back).
    pub after_minor: Option<i64>,
    /// The coupon use it held.
    pub coupon: Option<&'a str>,
}

impl CommitTx {
    /// The order `order_id`, as a return reads it, if it was ever committed.
    pub async fn order_for_return(
        &mut self,
        order_id: &str,
    ) -> Result<Option<OrderForReturn>, StoreError> {
        type Row = (
            Option<String>,
            Option<String>,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
            Option<String>,
        );
        let row: Option<Row> = sqlx::query_as(
            "SELECT key_hash, cancelled_at, response, basket, pricing, customer_id, \
             created_at, customer_data FROM redemptions WHERE order_id = $1",
        )
        .bind(order_id)
        .fetch_optional(self.conn().await?)
        .await?;
        row.map(
            |(
                key_hash,
                cancelled_at,
                response,
                basket,
                pricing,
                customer_id,
                created_at,
                customer_data,
            )| {
                Ok(OrderForReturn {
                    customer_data,
                    created_at: parse_timestamp(&created_at)
                        .map_err(|e| super::column_error("redemptions.created_at", e))?,
                    customer_id,
                    key_hash,
                    cancelled_at: cancelled_at
                        .map(|t| {
                            parse_timestamp(&t)
                                .map_err(|e| super::column_error("redemptions.cancelled_at", e))
                        })
                        .transpose()?,
                    response,
                    basket,
                    pricing,
                })
            },
        )
        .transpose()
    }

    /// The returns of `order_id`, first first.
    pub async fn returns(&mut self, order_id: &str) -> Result<Vec<StoredReturn>, StoreError> {
        returns_of(self.conn().await?, order_id).await
    }

    /// What each campaign still holds of `order_id`.
    pub async fn held_campaigns(
        &mut self,
        order_id: &str,
    ) -> Result<Vec<HeldCampaign>, StoreError> {
        let rows: Vec<(String, i64, Option<String>)> = sqlx::query_as(
            "SELECT campaign_id, discount_minor, coupon FROM redemption_campaigns \
             WHERE order_id = $1 ORDER BY campaign_id",
        )
        .bind(order_id)
        .fetch_all(self.conn().await?)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(campaign_id, discount_minor, coupon)| HeldCampaign {
                campaign_id,
                discount_minor,
                coupon,
            })
            .collect())
    }

    /// Records a return and gives back what the kept lines no longer take: each
    /// campaign's discount to its budget; a withdrawn campaign's redemption, coupon use
    /// and per-customer use; and the points the returned lines had earned (never taking a
    /// lot's remaining points below zero).
    pub async fn record_return(&mut self, the_return: &NewReturn<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO redemption_returns (order_id, return_id, seq, request_hash, response, \
             kept, refund_minor, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(the_return.order_id)
        .bind(the_return.return_id)
        .bind(the_return.seq)
        .bind(the_return.request_hash)
        .bind(the_return.response)
        .bind(the_return.kept)
        .bind(the_return.refund_minor)
        .bind(timestamp(the_return.at))
        .execute(self.conn().await?)
        .await?;
        for change in &the_return.campaigns {
            let given_back = change.before_minor - change.after_minor.unwrap_or(0);
            let redemptions_back = i64::from(change.after_minor.is_none());
            // Once everything it granted is given back, its grants are in no currency.
            sqlx::query(
                "UPDATE campaign_usage SET redemptions = redemptions - $3, \
                 granted_minor = granted_minor - $2, \
                 currency = CASE WHEN granted_minor = $2 THEN NULL ELSE currency END \
                 WHERE campaign_id = $1",
            )
            .bind(change.campaign_id)
            .bind(given_back)
            .bind(redemptions_back)
            .execute(self.conn().await?)
            .await?;
            match change.after_minor {
                Some(after) => {
                    sqlx::query(
                        "UPDATE redemption_campaigns SET discount_minor = $3 \
                         WHERE order_id = $1 AND campaign_id = $2",
                    )
                    .bind(the_return.order_id)
                    .bind(change.campaign_id)
                    .bind(after)
                    .execute(self.conn().await?)
                    .await?;
                }
                None => {
                    if let Some(code) = change.coupon {
                        sqlx::query(
                            "UPDATE coupons SET uses = uses - 1 WHERE code = $1 AND uses > 0",
                        )
                        .bind(code)
                        .execute(self.conn().await?)
                        .await?;
                    }
                    sqlx::query(
                        "DELETE FROM redemption_campaigns WHERE order_id = $1 AND campaign_id = $2",
                    )
                    .bind(the_return.order_id)
                    .bind(change.campaign_id)
                    .execute(self.conn().await?)
                    .await?;
                }
            }
        }
        for (campaign_id, points) in &the_return.points {
            if *points <= 0 {
                sqlx::query(
                    "UPDATE points_lots SET reversed_at = $3 \
                     WHERE order_id = $1 AND campaign_id = $2 AND reversed_at IS NULL",
                )
                .bind(the_return.order_id)
                .bind(campaign_id)
                .bind(timestamp(the_return.at))
                .execute(self.conn().await?)
                .await?;
            } else {
                // Both SET expressions read the row as it was.
                sqlx::query(
                    "UPDATE points_lots SET points = $3, remaining = CASE \
                     WHEN remaining > points - $3 THEN remaining - (points - $3) ELSE 0 END \
                     WHERE order_id = $1 AND campaign_id = $2 AND reversed_at IS NULL \
                     AND points > $3",
                )
                .bind(the_return.order_id)
                .bind(campaign_id)
                .bind(*points)
                .execute(self.conn().await?)
                .await?;
            }
        }
        Ok(())
    }
}

impl Store {
    /// The returns of `order_id`, first first.
    pub async fn returns_of(&self, order_id: &str) -> Result<Vec<StoredReturn>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        returns_of(&mut conn, order_id).await
    }

    /// The key that committed `order_id` (its id; `None` for orders older than keys on
    /// orders), if the order exists.
    pub async fn order_key(&self, order_id: &str) -> Result<Option<Option<String>>, StoreError> {
        let row: Option<(Option<String>,)> =
            sqlx::query_as("SELECT key_hash FROM redemptions WHERE order_id = $1")
                .bind(order_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(key_hash,)| key_hash))
    }

    /// Whether a committed order, not cancelled, still holds a campaign that ran on
    /// `plugin` (`name@version`): such a version cannot be deleted.
    pub async fn plugin_in_orders(&self, plugin: &str) -> Result<bool, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT order_id FROM redemption_campaigns WHERE plugin = $1 LIMIT 1")
                .bind(plugin)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }
}

async fn returns_of(
    conn: &mut sqlx::AnyConnection,
    order_id: &str,
) -> Result<Vec<StoredReturn>, StoreError> {
    let rows: Vec<(String, i64, String, String, String)> = sqlx::query_as(
        "SELECT return_id, seq, request_hash, response, kept FROM redemption_returns \
         WHERE order_id = $1 ORDER BY seq",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(return_id, seq, request_hash, response, kept)| StoredReturn {
                return_id,
                seq,
                request_hash,
                response,
                kept,
            },
        )
        .collect())
}
