//! A committed order's rows (`redemptions`, `redemption_campaigns`, `points_lots` and its
//! customer's `purchase_history`), held in memory and written for many orders at once: a
//! group of commits sends a few multi-row statements, not several statements per order.

use super::customer_data::PurchasedUnits;
use super::redemptions::{LeaseTake, NewRedemption};
use super::{timestamp, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// The most parameters one statement binds: well within SQLite's limit (32,766 since
/// 3.32; the bundled one is newer) and PostgreSQL's (65,535).
const PARAMETERS_PER_STATEMENT: usize = 6_000;

/// What one committed order writes.
#[derive(Clone, Debug)]
pub(super) struct OrderRows {
    /// The order.
    pub(super) order_id: String,
    request_hash: String,
    response: String,
    customer_id: Option<String>,
    channel: String,
    currency: String,
    created_at: String,
    key_hash: String,
    basket: String,
    pricing: String,
    customer_data: Option<String>,
    /// Its `redemption_campaigns` rows.
    campaigns: Vec<CampaignRow>,
    /// Its `points_lots` rows (only with a customer).
    lots: Vec<LotRow>,
    /// What it adds to its customer's purchase history.
    purchases: Vec<PurchaseRow>,
    /// What it takes from budget leases, by lease id: given back to its transaction when
    /// its rows cannot be written.
    pub(super) leases: Vec<(String, LeaseTake)>,
}

/// One `redemption_campaigns` row.
#[derive(Clone, Debug)]
pub(super) struct CampaignRow {
    pub(super) campaign_id: String,
    local_date: String,
    pub(super) discount_minor: i64,
    coupon: Option<String>,
    plugin: String,
}

/// One `points_lots` row.
#[derive(Clone, Debug)]
struct LotRow {
    campaign_id: String,
    points: i64,
    earned_at: String,
    expires_at: Option<String>,
}

/// What an order adds to one `purchase_history` row.
#[derive(Clone, Debug)]
struct PurchaseRow {
    customer_id: String,
    kind: &'static str,
    item: String,
    day: String,
    quantity: i64,
    orders: i64,
}

/// A `purchase_history` row's key: customer, kind, item, day.
type PurchaseKey = (String, &'static str, String, String);

impl OrderRows {
    /// The rows of `redemption`, committed at `at`.
    pub(super) fn of(redemption: &NewRedemption<'_>, at: DateTime<Utc>) -> OrderRows {
        let lots = match redemption.customer_id {
            Some(_) => redemption
                .points
                .iter()
                .map(|lot| LotRow {
                    campaign_id: lot.campaign_id.to_string(),
                    points: lot.points,
                    earned_at: timestamp(lot.earned_at),
                    expires_at: lot.expires_at.map(timestamp),
                })
                .collect(),
            None => Vec::new(),
        };
        OrderRows {
            order_id: redemption.order_id.to_string(),
            request_hash: redemption.request_hash.to_string(),
            response: redemption.response.to_string(),
            customer_id: redemption.customer_id.map(str::to_string),
            channel: redemption.channel.to_string(),
            currency: redemption.currency.to_string(),
            created_at: timestamp(at),
            key_hash: redemption.key_hash.to_string(),
            basket: redemption.basket.to_string(),
            pricing: redemption.pricing.to_string(),
            customer_data: redemption.customer_data.map(str::to_string),
            campaigns: redemption
                .campaigns
                .iter()
                .map(|take| CampaignRow {
                    campaign_id: take.campaign_id.to_string(),
                    local_date: take.local_date.to_string(),
                    discount_minor: take.discount_minor,
                    coupon: take.coupon.map(str::to_string),
                    plugin: take.plugin.to_string(),
                })
                .collect(),
            lots,
            purchases: Vec::new(),
            leases: Vec::new(),
        }
    }

    /// What each campaign took from it.
    pub(super) fn campaigns(&self) -> &[CampaignRow] {
        &self.campaigns
    }

    /// Adds `units` (each item once) bought by customer `customer_id` on `day` to what
    /// it writes in the purchase history, one order per item.
    pub(super) fn add_purchases(
        &mut self,
        customer_id: &str,
        day: NaiveDate,
        units: &[PurchasedUnits],
    ) {
        let day = day.to_string();
        self.purchases
            .extend(units.iter().map(|bought| PurchaseRow {
                customer_id: customer_id.to_string(),
                kind: bought.kind.as_str(),
                item: bought.item.clone(),
                day: day.clone(),
                quantity: bought.quantity,
                orders: 1,
            }));
    }
}

/// `(…), (…)`: `rows` groups of `columns` numbered parameters, the first `$1`.
fn values(rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", row * columns + column + 1));
        }
        sql.push(')');
    }
    sql
}

/// How many rows of `columns` parameters one statement writes.
fn rows_per_statement(columns: usize) -> usize {
    (PARAMETERS_PER_STATEMENT / columns).max(1)
}

/// Writes the rows of `orders` on `conn`: the orders first (the other rows refer to
/// them), then what each campaign took, the points lots, and the purchase history, each
/// table in as few statements as its rows fit. Two orders of one customer that bought the
/// same item the same day add to that history row once, summed.
pub(super) async fn write(
    conn: &mut AnyConnection,
    orders: &[OrderRows],
) -> Result<(), StoreError> {
    write_orders(conn, orders).await?;
    write_campaigns(conn, orders).await?;
    write_lots(conn, orders).await?;
    write_purchases(conn, orders).await
}

async fn write_orders(conn: &mut AnyConnection, orders: &[OrderRows]) -> Result<(), StoreError> {
    const COLUMNS: usize = 11;
    for chunk in orders.chunks(rows_per_statement(COLUMNS)) {
        let sql = format!(
            "INSERT INTO redemptions (order_id, request_hash, response, customer_id, channel, \
             currency, created_at, key_hash, basket, pricing, customer_data) VALUES {}",
            values(chunk.len(), COLUMNS)
        );
        let mut query = sqlx::query(&sql);
        for order in chunk {
            query = query
                .bind(&order.order_id)
                .bind(&order.request_hash)
                .bind(&order.response)
                .bind(&order.customer_id)
                .bind(&order.channel)
                .bind(&order.currency)
                .bind(&order.created_at)
                .bind(&order.key_hash)
                .bind(&order.basket)
                .bind(&order.pricing)
                .bind(&order.customer_data);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn write_campaigns(conn: &mut AnyConnection, orders: &[OrderRows]) -> Result<(), StoreError> {
    const COLUMNS: usize = 8;
    let rows: Vec<(&OrderRows, &CampaignRow)> = orders
        .iter()
        .flat_map(|order| order.campaigns.iter().map(move |take| (order, take)))
        .collect();
    for chunk in rows.chunks(rows_per_statement(COLUMNS)) {
        let sql = format!(
            "INSERT INTO redemption_campaigns (order_id, campaign_id, customer_id, channel, \
             local_date, discount_minor, coupon, plugin) VALUES {}",
            values(chunk.len(), COLUMNS)
        );
        let mut query = sqlx::query(&sql);
        for (order, take) in chunk {
            query = query
                .bind(&order.order_id)
                .bind(&take.campaign_id)
                .bind(&order.customer_id)
                .bind(&order.channel)
                .bind(&take.local_date)
                .bind(take.discount_minor)
                .bind(&take.coupon)
                .bind(&take.plugin);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn write_lots(conn: &mut AnyConnection, orders: &[OrderRows]) -> Result<(), StoreError> {
    const COLUMNS: usize = 7;
    let rows: Vec<(&OrderRows, &str, &LotRow)> = orders
        .iter()
        .filter_map(|order| Some((order, order.customer_id.as_deref()?)))
        .flat_map(|(order, customer)| order.lots.iter().map(move |lot| (order, customer, lot)))
        .collect();
    for chunk in rows.chunks(rows_per_statement(COLUMNS)) {
        let sql = format!(
            "INSERT INTO points_lots (order_id, campaign_id, customer_id, points, remaining, \
             earned_at, expires_at) VALUES {}",
            values(chunk.len(), COLUMNS)
        );
        let mut query = sqlx::query(&sql);
        for (order, customer, lot) in chunk {
            query = query
                .bind(&order.order_id)
                .bind(&lot.campaign_id)
                .bind(*customer)
                .bind(lot.points)
                .bind(lot.points)
                .bind(&lot.earned_at)
                .bind(&lot.expires_at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn write_purchases(conn: &mut AnyConnection, orders: &[OrderRows]) -> Result<(), StoreError> {
    const COLUMNS: usize = 6;
    // One row per key (a statement may not update a row twice), in key order: two
    // transactions that write the same rows take them in the same order.
    let mut rows: BTreeMap<PurchaseKey, (i64, i64)> = BTreeMap::new();
    for bought in orders.iter().flat_map(|order| &order.purchases) {
        let key = (
            bought.customer_id.clone(),
            bought.kind,
            bought.item.clone(),
            bought.day.clone(),
        );
        let row = rows.entry(key).or_default();
        row.0 += bought.quantity;
        row.1 += bought.orders;
    }
    let rows: Vec<(PurchaseKey, (i64, i64))> = rows.into_iter().collect();
    for chunk in rows.chunks(rows_per_statement(COLUMNS)) {
        let sql = format!(
            "INSERT INTO purchase_history (customer_id, kind, item, day, quantity, orders) \
             VALUES {} ON CONFLICT (customer_id, kind, item, day) DO UPDATE SET \
             quantity = purchase_history.quantity + excluded.quantity, \
             orders = purchase_history.orders + excluded.orders",
            values(chunk.len(), COLUMNS)
        );
        let mut query = sqlx::query(&sql);
        for ((customer, kind, item, day), (quantity, orders)) in chunk {
            query = query
                .bind(customer)
                .bind(*kind)
                .bind(item)
                .bind(day)
                .bind(*quantity)
                .bind(*orders);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_number_every_parameter_once_row_by_row() {
        assert_eq!(values(1, 2), "($1, $2)");
        assert_eq!(values(3, 2), "($1, $2), ($3, $4), ($5, $6)");
    }

    #[test]
    fn a_statement_binds_at_most_the_limit() {
        for columns in [6, 7, 8, 11] {
            assert!(rows_per_statement(columns) * columns <= PARAMETERS_PER_STATEMENT);
            assert!(
                rows_per_statement(columns) >= 64,
                "a whole group in one statement"
            );
        }
    }
}
