//! Customer profiles in the `customers` table (`migrations/sqlite/0009_customers.sql`): one
//! row per id, the profile kept whole as JSON, written whole (one upsert, or a batch of them
//! for an import), read by id or a page at a time in id order (a keyset walk of the primary
//! key). Erasing a customer deletes the row and takes their id off their orders (and the
//! details of their stored answers that could name them) in the same transaction, keeping
//! every amount.

use super::anonymise::{anonymised_answer, anonymised_basket};
use super::{column_error, now, parse_timestamp, timestamp, Store, StoreError};
use crate::model::customer::CustomerProfile;
use chrono::{DateTime, Utc};

/// A profile as stored, with its id set.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredCustomer {
    /// The profile, its `id` set.
    pub profile: CustomerProfile,
    /// When it was first stored (microsecond precision).
    pub created_at: DateTime<Utc>,
    /// When it was last written (microsecond precision).
    pub updated_at: DateTime<Utc>,
}

/// What erasing a customer did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Erased {
    /// Whether there was a profile, now deleted.
    pub profile: bool,
    /// How many of their orders no longer name them.
    pub orders: u64,
}

/// One of a customer's orders, as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerOrder {
    /// The channel's order id.
    pub order_id: String,
    /// The channel it was committed on.
    pub channel: String,
    /// When it was committed.
    pub created_at: DateTime<Utc>,
    /// When it was cancelled, if it was.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The answer given, as JSON text.
    pub response: String,
    /// The basket as priced, JSON; `None` for orders committed before returns existed.
    pub basket: Option<String>,
    /// How many returns it had.
    pub returns: i64,
    /// What its returns refunded, in minor units.
    pub refunded_minor: i64,
    /// The order after its latest return, JSON; `None` without returns.
    pub kept: Option<String>,
}

/// What an upsert of many profiles did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Upserted {
    /// Profiles that did not exist.
    pub created: u64,
    /// Profiles replaced.
    pub updated: u64,
}

/// The columns of a customer row, in the order the queries select them.
pub(super) const CUSTOMER_COLUMNS: &str = "id, body, created_at, updated_at";

/// Ids one `… IN (…)` query binds (SQLite allows 32,766 parameters).
const IDS_PER_QUERY: usize = 10_000;

/// A customer row: id, body, created_at, updated_at.
pub(super) type CustomerRow = (String, String, String, String);

/// A text above every id that starts with a given prefix (U+10FFFF is the last code point,
/// and its UTF-8 the greatest four bytes): `id >= prefix AND id < prefix + this` is the
/// range of ids that start with the prefix, an index range on both databases.
const ABOVE_PREFIX: char = '\u{10FFFF}';

impl Store {
    /// The profile of `id`, if one is stored.
    pub async fn customer(&self, id: &str) -> Result<Option<StoredCustomer>, StoreError> {
        let sql = format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = $1");
        let row: Option<CustomerRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(decode_customer).transpose()
    }

    /// Stores `profile` under `id` whole, replacing any; the stored profile, and whether it
    /// is new.
    pub async fn put_customer(
        &self,
        id: &str,
        profile: &CustomerProfile,
    ) -> Result<(StoredCustomer, bool), StoreError> {
        let stamp = now();
        let upserted = self
            .upsert_customers(&[(id.to_string(), encode_profile(profile)?)], stamp)
            .await?;
        let stored = self
            .customer(id)
            .await?
            .ok_or_else(|| StoreError::Inconsistent(format!("customer {id} vanished")))?;
        Ok((stored, upserted.created == 1))
    }

    /// Replaces the profile of `id` only if it was last written at `read_at`; whether it
    /// was (`false`: another write came first, or the profile is gone).
    pub async fn replace_customer_if_unchanged(
        &self,
        id: &str,
        profile: &CustomerProfile,
        read_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE customers SET body = $1, updated_at = $2 WHERE id = $3 AND updated_at = $4",
        )
        .bind(encode_profile(profile)?)
        .bind(timestamp(now()))
        .bind(id)
        .bind(timestamp(read_at))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    /// Creates or replaces every `(id, body)` of `rows` (bodies as [`encode_profile`]
    /// writes them, ids distinct) in one transaction and one statement, stamped `at`.
    pub async fn upsert_customers(
        &self,
        rows: &[(String, String)],
        at: DateTime<Utc>,
    ) -> Result<Upserted, StoreError> {
        if rows.is_empty() {
            return Ok(Upserted::default());
        }
        let stamp = timestamp(at);
        let values = (0..rows.len())
            .map(|i| format!("(${}, ${}, $1, $1)", 2 * i + 2, 2 * i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        // A row that existed keeps its `created_at`: it is new exactly when `created_at`
        // comes back as this write's stamp.
        let sql = format!(
            "INSERT INTO customers (id, body, created_at, updated_at) VALUES {values} \
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, \
             updated_at = excluded.updated_at RETURNING created_at"
        );
        let mut query = sqlx::query_as::<_, (String,)>(&sql).bind(stamp.as_str());
        for (id, body) in rows {
            query = query.bind(id.as_str()).bind(body.as_str());
        }
        let mut tx = self.pool.begin().await?;
        let returned = query.fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let created = returned
            .iter()
            .filter(|(created_at,)| *created_at == stamp)
            .count() as u64;
        Ok(Upserted {
            created,
            updated: returned.len() as u64 - created,
        })
    }

    /// Up to `limit` profiles in id order (byte order): those whose id starts with
    /// `prefix`, after the id `after` when given.
    pub async fn customers_page(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredCustomer>, StoreError> {
        let from = match after {
            Some(after) if after >= prefix => after,
            _ => prefix,
        };
        let strictly = after.is_some_and(|after| after >= prefix);
        let below = format!("{prefix}{ABOVE_PREFIX}");
        let sql = format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id {} $1{} ORDER BY id LIMIT $2",
            if strictly { ">" } else { ">=" },
            if prefix.is_empty() {
                ""
            } else {
                " AND id < $3"
            },
        );
        let mut query = sqlx::query_as::<_, CustomerRow>(&sql)
            .bind(from)
            .bind(i64::from(limit));
        if !prefix.is_empty() {
            query = query.bind(below);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.into_iter().map(decode_customer).collect()
    }

    /// The stored profiles among `ids`, in id order (ids without one are left out).
    pub async fn customers_by_ids(
        &self,
        ids: &[String],
    ) -> Result<Vec<StoredCustomer>, StoreError> {
        let mut found = Vec::new();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let sql = format!(
                "SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id IN ({}) ORDER BY id",
                (1..=chunk.len())
                    .map(|n| format!("${n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let mut query = sqlx::query_as::<_, CustomerRow>(&sql);
            for id in chunk {
                query = query.bind(id.as_str());
            }
            for row in query.fetch_all(&self.pool).await? {
                found.push(decode_customer(row)?);
            }
        }
        Ok(found)
    }

    /// The newest `limit` orders of `customer_id`, newest first.
    pub async fn customer_orders(
        &self,
        customer_id: &str,
        limit: u32,
    ) -> Result<Vec<CustomerOrder>, StoreError> {
        type Row = (
            String,
            String,
            String,
            Option<String>,
            String,
            Option<String>,
            i64,
            i64,
            Option<String>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT r.order_id, r.channel, r.created_at, r.cancelled_at, r.response, r.basket, \
             (SELECT COUNT(*) FROM redemption_returns x WHERE x.order_id = r.order_id), \
             (SELECT CAST(COALESCE(SUM(x.refund_minor), 0) AS BIGINT) \
              FROM redemption_returns x WHERE x.order_id = r.order_id), \
             (SELECT x.kept FROM redemption_returns x WHERE x.order_id = r.order_id \
              ORDER BY x.seq DESC LIMIT 1) \
             FROM redemptions r \
             WHERE r.customer_id = $1 ORDER BY r.created_at DESC, r.order_id LIMIT $2",
        )
        .bind(customer_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(
                |(
                    order_id,
                    channel,
                    created_at,
                    cancelled_at,
                    response,
                    basket,
                    returns,
                    refunded_minor,
                    kept,
                )| {
                    let when = |text: &str| {
                        parse_timestamp(text).map_err(|why| {
                            column_error("redemptions", format!("order {order_id}: {why}"))
                        })
                    };
                    Ok(CustomerOrder {
                        created_at: when(&created_at)?,
                        cancelled_at: cancelled_at.as_deref().map(when).transpose()?,
                        order_id: order_id.clone(),
                        channel,
                        response,
                        basket,
                        returns,
                        refunded_minor,
                        kept,
                    })
                },
            )
            .collect()
    }

    /// Erases the customer `id` at `at`: deletes the profile and takes the id off their
    /// orders (and what each campaign took from them, and, on a store node, the orders the
    /// centre refused), in one transaction; every amount stays. The erasure itself is kept
    /// (the id and `at`, nothing else), so store nodes erase the customer too
    /// ([`Store::customers_written_after`]).
    pub async fn erase_customer(&self, id: &str, at: DateTime<Utc>) -> Result<Erased, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO customer_erasures (customer_id, erased_at) VALUES ($1, $2) \
             ON CONFLICT (customer_id) DO UPDATE SET erased_at = excluded.erased_at",
        )
        .bind(id)
        .bind(timestamp(at))
        .execute(&mut *tx)
        .await?;
        let profile = sqlx::query("DELETE FROM customers WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let answers: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT order_id, response, basket FROM redemptions WHERE customer_id = $1",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        for (order_id, answer, basket) in &answers {
            sqlx::query(
                "UPDATE redemptions SET customer_id = NULL, response = $1, basket = $2 \
                 WHERE order_id = $3",
            )
            .bind(anonymised_answer(answer))
            .bind(basket.as_deref().map(anonymised_basket))
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
        }
        let orders = answers.len() as u64;
        sqlx::query("UPDATE redemption_campaigns SET customer_id = NULL WHERE customer_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE points_lots SET customer_id = NULL WHERE customer_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE points_spends SET customer_id = NULL WHERE customer_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM purchase_history WHERE customer_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if self.forwarding {
            super::store_nodes::erase_from_refused(&mut tx, id, at).await?;
        }
        tx.commit().await?;
        Ok(Erased {
            profile: profile > 0,
            orders,
        })
    }
}

/// The stored form of a profile: its JSON without the id (the row's key holds it).
pub fn encode_profile(profile: &CustomerProfile) -> Result<String, StoreError> {
    let without_id = CustomerProfile {
        id: None,
        ..profile.clone()
    };
    serde_json::to_string(&without_id)
        .map_err(|why| StoreError::Database(sqlx::Error::Encode(Box::new(why))))
}

pub(super) fn decode_customer(
    (id, body, created_at, updated_at): CustomerRow,
) -> Result<StoredCustomer, StoreError> {
    let corrupt = |why: String| column_error("customers.body", format!("customer {id:?}: {why}"));
    let mut profile: CustomerProfile =
        serde_json::from_str(&body).map_err(|why| corrupt(why.to_string()))?;
    profile.id = Some(id.clone());
    Ok(StoredCustomer {
        profile,
        created_at: parse_timestamp(&created_at).map_err(corrupt)?,
        updated_at: parse_timestamp(&updated_at).map_err(corrupt)?,
    })
}
