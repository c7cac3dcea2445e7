//! What contract-1.1 plugins may ask about a customer ([`CustomerData`]): read from the
//! profile, the points lots and the `purchase_history` table (migration 14), for an
//! evaluation or inside a commit; and the commit's own writes to it: the purchase history
//! kept from committed orders, and points spent from the oldest-expiring lots first.

use super::order_rows::{add_to_purchase_history, PurchaseKey, PurchaseSums};
use super::redemptions::CommitTx;
use super::{column_error, customers, timestamp, Store, StoreError};
use crate::model::Line;
use chrono::{DateTime, Days, NaiveDate, Utc};
use remise_model::customer_data::{
    CustomerData, ItemKind, PurchaseHistory, Purchases, StoredProfile,
};
use sqlx::AnyConnection;
use std::collections::{BTreeMap, BTreeSet};

/// One item of an order for the purchase history: units of a SKU or a category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurchasedUnits {
    /// SKU or category.
    pub kind: ItemKind,
    /// Which one.
    pub item: String,
    /// Units.
    pub quantity: i64,
}

impl PurchasedUnits {
    /// The items of `lines`, each line with the units given: by SKU, and by category (a
    /// line counts once in each of its categories); each item once, in name order.
    pub fn of<'a>(lines: impl IntoIterator<Item = (&'a Line, u32)>) -> Vec<PurchasedUnits> {
        let mut items: BTreeMap<(&'static str, &'a str), i64> = BTreeMap::new();
        for (line, units) in lines {
            if units == 0 {
                continue;
            }
            *items.entry(("sku", line.sku.as_str())).or_default() += i64::from(units);
            let mut seen = BTreeSet::new();
            for category in &line.categories {
                if seen.insert(category.as_str()) {
                    *items.entry(("category", category.as_str())).or_default() += i64::from(units);
                }
            }
        }
        items
            .into_iter()
            .filter_map(|((kind, item), quantity)| {
                Some(PurchasedUnits {
                    kind: ItemKind::parse(kind)?,
                    item: item.to_string(),
                    quantity,
                })
            })
            .collect()
    }
}

/// Points spent by one campaign of an order, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSpend {
    /// The order that spent them.
    pub order_id: String,
    /// The campaign that spent them.
    pub campaign_id: String,
    /// How many.
    pub points: i64,
    /// When the order was committed.
    pub spent_at: DateTime<Utc>,
    /// When they were credited back (the order cancelled), if they were.
    pub reversed_at: Option<DateTime<Utc>>,
}

impl Store {
    /// What customer `id` looks like to a contract-1.1 plugin at `now`, with a history of
    /// `window_days`.
    pub async fn customer_data(
        &self,
        id: &str,
        now: DateTime<Utc>,
        window_days: u32,
    ) -> Result<CustomerData, StoreError> {
        let mut conn = self.pool.acquire().await?;
        customer_data(&mut conn, id, now, window_days).await
    }

    /// The points customer `id` spent, by order and campaign, newest first.
    pub async fn points_spends(&self, id: &str) -> Result<Vec<StoredSpend>, StoreError> {
        type Row = (String, String, i64, String, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT order_id, campaign_id, CAST(SUM(points) AS BIGINT), MIN(spent_at), \
             MIN(reversed_at) FROM points_spends WHERE customer_id = $1 \
             GROUP BY order_id, campaign_id ORDER BY MIN(spent_at) DESC, order_id, campaign_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(order_id, campaign_id, points, spent_at, reversed_at)| {
                let when = |text: &str| {
                    super::parse_timestamp(text).map_err(|why| column_error("points_spends", why))
                };
                Ok(StoredSpend {
                    spent_at: when(&spent_at)?,
                    reversed_at: reversed_at.as_deref().map(when).transpose()?,
                    order_id,
                    campaign_id,
                    points,
                })
            })
            .collect()
    }
}

impl CommitTx {
    /// Adds `units` (each item once) to customer `id`'s purchase history on `day`, and
    /// `orders` to each item's orders; with `sign` -1 takes them back (a cancel: units and
    /// one order; a return: units only, `orders` 0), deleting a row left at 0.
    pub async fn add_purchases(
        &mut self,
        id: &str,
        day: NaiveDate,
        units: &[PurchasedUnits],
        sign: i64,
        orders: i64,
    ) -> Result<(), StoreError> {
        // An order's own purchases, while its commit has sent nothing else, are written
        // with its group's other rows ([`CommitTx`]).
        if sign > 0 && orders == 1 {
            if let Some(rows) = self.kept_by_this_commit() {
                let units = units
                    .iter()
                    .map(|bought| (bought.kind.as_str(), bought.item.as_str(), bought.quantity));
                rows.add_purchases(id, day, units);
                return Ok(());
            }
        }
        // One statement for the whole order: a commit's cost must not grow by a round
        // trip per line. `units` names each item once.
        let day_text = day.to_string();
        let rows: Vec<(PurchaseKey<'_>, PurchaseSums)> = units
            .iter()
            .map(|bought| {
                let key = (
                    id,
                    bought.kind.as_str(),
                    bought.item.as_str(),
                    day_text.as_str(),
                );
                let sums = PurchaseSums {
                    quantity: sign * bought.quantity,
                    orders: sign * orders,
                };
                (key, sums)
            })
            .collect();
        add_to_purchase_history(self.conn().await?, &rows).await?;
        if sign < 0 {
            sqlx::query(
                "DELETE FROM purchase_history WHERE customer_id = $1 AND day = $2 \
                 AND (quantity <= 0 OR orders <= 0)",
            )
            .bind(id)
            .bind(&day_text)
            .execute(self.conn().await?)
            .await?;
        }
        Ok(())
    }

    /// Debits `points` from customer `id`'s lots for `campaign_id` of order `order_id`, the
    /// lots that expire first first (then the oldest), never below zero: fewer points
    /// left than `points` is an inconsistency, as the commit read the balance in this very
    /// transaction.
    pub async fn spend_points(
        &mut self,
        order_id: &str,
        campaign_id: &str,
        id: &str,
        points: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let lots: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT order_id, campaign_id, remaining FROM points_lots \
             WHERE customer_id = $1 AND reversed_at IS NULL AND remaining > 0 \
             AND (expires_at IS NULL OR expires_at > $2) \
             ORDER BY CASE WHEN expires_at IS NULL THEN 1 ELSE 0 END, expires_at, earned_at, \
             order_id, campaign_id",
        )
        .bind(id)
        .bind(timestamp(now))
        .fetch_all(self.conn().await?)
        .await?;
        let mut left = points;
        for (lot_order, lot_campaign, remaining) in lots {
            if left == 0 {
                break;
            }
            let take = remaining.min(left);
            sqlx::query(
                "UPDATE points_lots SET remaining = remaining - $3 \
                 WHERE order_id = $1 AND campaign_id = $2",
            )
            .bind(&lot_order)
            .bind(&lot_campaign)
            .bind(take)
            .execute(self.conn().await?)
            .await?;
            sqlx::query(
                "INSERT INTO points_spends (order_id, campaign_id, customer_id, lot_order_id, \
                 lot_campaign_id, points, spent_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(order_id)
            .bind(campaign_id)
            .bind(id)
            .bind(&lot_order)
            .bind(&lot_campaign)
            .bind(take)
            .bind(timestamp(now))
            .execute(self.conn().await?)
            .await?;
            left -= take;
        }
        if left > 0 {
            return Err(StoreError::Inconsistent(format!(
                "customer {id} has {} points fewer than the {points} order {order_id} spends",
                left
            )));
        }
        Ok(())
    }

    /// Credits back to the lots they came from (each at most up to its size) what order
    /// `order_id` spent: of `campaign_id` only when given, and at most `up_to` points
    /// when given (a return that leaves the campaign fewer points to spend), the latest
    /// debits first. A spend credited in full is marked reversed at `at`. Returns the
    /// points credited.
    pub async fn refund_points(
        &mut self,
        order_id: &str,
        campaign_id: Option<&str>,
        up_to: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let spends: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT s.campaign_id, s.lot_order_id, s.lot_campaign_id, s.points \
             FROM points_spends s JOIN points_lots l \
             ON l.order_id = s.lot_order_id AND l.campaign_id = s.lot_campaign_id \
             WHERE s.order_id = $1 AND s.reversed_at IS NULL \
             ORDER BY CASE WHEN l.expires_at IS NULL THEN 0 ELSE 1 END, l.expires_at DESC, \
             l.earned_at DESC, s.lot_order_id DESC, s.lot_campaign_id DESC",
        )
        .bind(order_id)
        .fetch_all(self.conn().await?)
        .await?;
        let mut left = up_to.unwrap_or(i64::MAX);
        let mut credited = 0;
        for (campaign, lot_order, lot_campaign, points) in spends {
            if campaign_id.is_some_and(|only| only != campaign) {
                continue;
            }
            if left == 0 {
                break;
            }
            let take = points.min(left);
            sqlx::query(
                "UPDATE points_lots SET remaining = CASE WHEN remaining + $3 > points \
                 THEN points ELSE remaining + $3 END WHERE order_id = $1 AND campaign_id = $2",
            )
            .bind(&lot_order)
            .bind(&lot_campaign)
            .bind(take)
            .execute(self.conn().await?)
            .await?;
            if take == points {
                sqlx::query(
                    "UPDATE points_spends SET reversed_at = $5 WHERE order_id = $1 \
                     AND campaign_id = $2 AND lot_order_id = $3 AND lot_campaign_id = $4",
                )
                .bind(order_id)
                .bind(&campaign)
                .bind(&lot_order)
                .bind(&lot_campaign)
                .bind(timestamp(at))
                .execute(self.conn().await?)
                .await?;
            } else {
                sqlx::query(
                    "UPDATE points_spends SET points = points - $5 WHERE order_id = $1 \
                     AND campaign_id = $2 AND lot_order_id = $3 AND lot_campaign_id = $4",
                )
                .bind(order_id)
                .bind(&campaign)
                .bind(&lot_order)
                .bind(&lot_campaign)
                .bind(take)
                .execute(self.conn().await?)
                .await?;
            }
            credited += take;
            left -= take;
        }
        Ok(credited)
    }

    /// What order `order_id` spends now, by campaign (spends not credited back).
    pub async fn points_spent_by(
        &mut self,
        order_id: &str,
    ) -> Result<BTreeMap<String, i64>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT campaign_id, CAST(SUM(points) AS BIGINT) FROM points_spends \
             WHERE order_id = $1 AND reversed_at IS NULL GROUP BY campaign_id",
        )
        .bind(order_id)
        .fetch_all(self.conn().await?)
        .await?;
        Ok(rows.into_iter().collect())
    }
}

pub(super) async fn customer_data(
    conn: &mut AnyConnection,
    id: &str,
    now: DateTime<Utc>,
    window_days: u32,
) -> Result<CustomerData, StoreError> {
    let sql = format!(
        "SELECT {} FROM customers WHERE id = $1",
        customers::CUSTOMER_COLUMNS
    );
    let row: Option<customers::CustomerRow> = sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let profile = row
        .map(customers::decode_customer)
        .transpose()?
        .map(|stored| StoredProfile {
            member_since: stored.created_at.date_naive(),
            profile: stored.profile,
        });
    let (balance,): (Option<i64>,) = sqlx::query_as(
        "SELECT CAST(SUM(remaining) AS BIGINT) FROM points_lots WHERE customer_id = $1 \
         AND reversed_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(id)
    .bind(timestamp(now))
    .fetch_one(&mut *conn)
    .await?;
    let since = now
        .date_naive()
        .checked_sub_days(Days::new(u64::from(window_days)))
        .unwrap_or(NaiveDate::MIN);
    type Row = (String, String, i64, i64, String, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT kind, item, CAST(SUM(quantity) AS BIGINT), CAST(SUM(orders) AS BIGINT), \
         MIN(day), MAX(day) FROM purchase_history WHERE customer_id = $1 AND day >= $2 \
         GROUP BY kind, item",
    )
    .bind(id)
    .bind(since.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut history = PurchaseHistory {
        window_days,
        ..PurchaseHistory::default()
    };
    for (kind, item, quantity, orders, first, last) in rows {
        let day = |text: &str| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|why| column_error("purchase_history.day", format!("{text:?}: {why}")))
        };
        let kind = ItemKind::parse(&kind)
            .ok_or_else(|| column_error("purchase_history.kind", format!("{kind:?} is no kind")))?;
        if quantity <= 0 || orders <= 0 {
            continue;
        }
        let purchases = Purchases {
            quantity: quantity as u64,
            orders: u32::try_from(orders).unwrap_or(u32::MAX),
            first: day(&first)?,
            last: day(&last)?,
        };
        match kind {
            ItemKind::Sku => history.skus.insert(item, purchases),
            ItemKind::Category => history.categories.insert(item, purchases),
        };
    }
    Ok(CustomerData {
        profile,
        points_balance: balance.unwrap_or(0).max(0) as u64,
        history,
    })
}
