//! Loyalty points in the `points_lots` table (`migrations/sqlite/0010_points.sql`): the lots
//! a customer's committed orders earned, credited and reversed inside the commit's and the
//! cancel's own transactions ([`super::CommitTx`]), read here for the customer's balance and
//! history.

use super::{parse_timestamp, Store, StoreError};
use chrono::{DateTime, Utc};

/// One lot of points, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredLot {
    /// The order that earned it.
    pub order_id: String,
    /// The campaign that granted it.
    pub campaign_id: String,
    /// Points granted.
    pub points: i64,
    /// Points of it left to spend.
    pub remaining: i64,
    /// When the order was committed.
    pub earned_at: DateTime<Utc>,
    /// When it stops counting; never when `None`.
    pub expires_at: Option<DateTime<Utc>>,
    /// When its order was cancelled, if it was.
    pub reversed_at: Option<DateTime<Utc>>,
}

/// A lot row: order_id, campaign_id, points, remaining, earned_at, expires_at, reversed_at.
type LotRow = (
    String,
    String,
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
);

impl Store {
    /// The points lots of `customer_id`, newest first (then by order and campaign id).
    pub async fn points_lots(&self, customer_id: &str) -> Result<Vec<StoredLot>, StoreError> {
        let rows: Vec<LotRow> = sqlx::query_as(
            "SELECT order_id, campaign_id, points, remaining, earned_at, expires_at, \
             reversed_at FROM points_lots WHERE customer_id = $1 \
             ORDER BY earned_at DESC, order_id, campaign_id",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(decode_lot).collect()
    }
}

fn decode_lot(
    (order_id, campaign_id, points, remaining, earned_at, expires_at, reversed_at): LotRow,
) -> Result<StoredLot, StoreError> {
    let when = |text: &str| {
        parse_timestamp(text)
            .map_err(|why| super::column_error("points_lots", format!("order {order_id}: {why}")))
    };
    Ok(StoredLot {
        earned_at: when(&earned_at)?,
        expires_at: expires_at.as_deref().map(when).transpose()?,
        reversed_at: reversed_at.as_deref().map(when).transpose()?,
        order_id: order_id.clone(),
        campaign_id,
        points,
        remaining,
    })
}
