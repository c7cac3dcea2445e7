//! A committed order's rows (`redemptions`, `redemption_campaigns`, `points_lots` and its
//! customer's `purchase_history`), held in memory and written for many orders at once: a
//! group of commits sends a few multi-row statements, not several statements per order.

use super::StoreError;
use chrono::NaiveDate;
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
    pub(super) request_hash: String,
    pub(super) response: String,
    pub(super) customer_id: Option<String>,
    pub(super) channel: String,
    pub(super) currency: String,
    pub(super) created_at: String,
    pub(super) key_hash: String,
    pub(super) basket: String,
    pub(super) pricing: String,
    pub(super) customer_data: Option<String>,
    /// Its `redemption_campaigns` rows.
    pub(super) campaigns: Vec<CampaignRow>,
    /// Its `points_lots` rows (only with a customer).
    pub(super) lots: Vec<LotRow>,
    /// What it adds to its customer's purchase history.
    pub(super) purchases: Vec<PurchaseRow>,
}

/// One `redemption_campaigns` row.
#[derive(Clone, Debug)]
pub(super) struct CampaignRow {
    pub(super) campaign_id: String,
    pub(super) local_date: String,
    pub(super) discount_minor: i64,
    pub(super) coupon: Option<String>,
    pub(super) plugin: String,
}

/// One `points_lots` row.
#[derive(Clone, Debug)]
pub(super) struct LotRow {
    pub(super) campaign_id: String,
    pub(super) points: i64,
    pub(super) earned_at: String,
    pub(super) expires_at: Option<String>,
}

/// What an order adds to one `purchase_history` row.
#[derive(Clone, Debug)]
pub(super) struct PurchaseRow {
    customer_id: String,
    kind: &'static str,
    item: String,
    day: String,
    quantity: i64,
    orders: i64,
}

/// A `purchase_history` row's key: customer, kind, item, day.
pub(super) type PurchaseKey<'a> = (&'a str, &'static str, &'a str, &'a str);

/// What is added to one `purchase_history` row: units, and orders.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct PurchaseSums {
    pub(super) quantity: i64,
    pub(super) orders: i64,
}

impl OrderRows {
    /// Adds `units` (each item once: its kind, `sku` or `category`, the item and the
    /// units) bought by customer `customer_id` on `day` to what it writes in the purchase
    /// history, one order per item.
    pub(super) fn add_purchases<'a>(
        &mut self,
        customer_id: &str,
        day: NaiveDate,
        units: impl IntoIterator<Item = (&'static str, &'a str, i64)>,
    ) {
        let day = day.to_string();
        self.purchases
            .extend(units.into_iter().map(|(kind, item, quantity)| PurchaseRow {
                customer_id: customer_id.to_string(),
                kind,
                item: item.to_string(),
                day: day.clone(),
                quantity,
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
    orders: &[&OrderRows],
) -> Result<(), StoreError> {
    write_orders(conn, orders).await?;
    write_campaigns(conn, orders).await?;
    write_lots(conn, orders).await?;
    write_purchases(conn, orders).await
}

async fn write_orders(conn: &mut AnyConnection, orders: &[&OrderRows]) -> Result<(), StoreError> {
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

async fn write_campaigns(
    conn: &mut AnyConnection,
    orders: &[&OrderRows],
) -> Result<(), StoreError> {
    const COLUMNS: usize = 8;
    let rows: Vec<(&OrderRows, &CampaignRow)> = orders
        .iter()
        .flat_map(|order| order.campaigns.iter().map(move |take| (*order, take)))
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

async fn write_lots(conn: &mut AnyConnection, orders: &[&OrderRows]) -> Result<(), StoreError> {
    const COLUMNS: usize = 7;
    let rows: Vec<(&OrderRows, &str, &LotRow)> = orders
        .iter()
        .filter_map(|order| Some((*order, order.customer_id.as_deref()?)))
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

async fn write_purchases(
    conn: &mut AnyConnection,
    orders: &[&OrderRows],
) -> Result<(), StoreError> {
    // One row per key (a statement may not update a row twice), in key order: two
    // transactions that write the same rows take them in the same order.
    let mut rows: BTreeMap<PurchaseKey<'_>, PurchaseSums> = BTreeMap::new();
    for bought in orders.iter().flat_map(|order| &order.purchases) {
        let key = (
            bought.customer_id.as_str(),
            bought.kind,
            bought.item.as_str(),
            bought.day.as_str(),
        );
        let row = rows.entry(key).or_default();
        row.quantity += bought.quantity;
        row.orders += bought.orders;
    }
    let rows: Vec<(PurchaseKey<'_>, PurchaseSums)> = rows.into_iter().collect();
    add_to_purchase_history(conn, &rows).await
}

/// Adds each of `rows` to its `purchase_history` row (negative sums take back), making the
/// rows not there yet, in as few statements as they fit. Each key at most once: one
/// statement may not update a row twice.
pub(super) async fn add_to_purchase_history(
    conn: &mut AnyConnection,
    rows: &[(PurchaseKey<'_>, PurchaseSums)],
) -> Result<(), StoreError> {
    const COLUMNS: usize = 6;
    for chunk in rows.chunks(rows_per_statement(COLUMNS)) {
        let sql = format!(
            "INSERT INTO purchase_history (customer_id, kind, item, day, quantity, orders) \
             VALUES {} ON CONFLICT (customer_id, kind, item, day) DO UPDATE SET \
             quantity = purchase_history.quantity + excluded.quantity, \
             orders = purchase_history.orders + excluded.orders",
            values(chunk.len(), COLUMNS)
        );
        let mut query = sqlx::query(&sql);
        for ((customer, kind, item, day), sums) in chunk {
            query = query
                .bind(*customer)
                .bind(*kind)
                .bind(*item)
                .bind(*day)
                .bind(sums.quantity)
                .bind(sums.orders);
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
