//! What-if simulation jobs (migration 19): their rows, which any host reads and the
//! running one updates, and the baskets they price: committed orders or journal entries of
//! a window, read a page at a time in time order.

use super::{parse_timestamp, timestamp, Store, StoreError};
use chrono::{DateTime, Utc};

/// A simulation job, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulationRow {
    /// Its id.
    pub id: String,
    /// When it was started.
    pub created_at: DateTime<Utc>,
    /// The label of the key that started it.
    pub created_by: String,
    /// `running`, `done`, `cancelled` or `failed`.
    pub status: String,
    /// JSON: the drafts' ids and where the baskets come from.
    pub request: String,
    /// Baskets to price.
    pub total: i64,
    /// Baskets priced so far.
    pub done: i64,
    /// JSON: what was counted so far.
    pub report: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// Whether someone asked to cancel it.
    pub cancel_requested: bool,
    /// When its host last wrote its progress.
    pub updated_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
}

/// What the running host writes after a chunk.
#[derive(Clone, Debug)]
pub struct SimulationProgress<'a> {
    /// `running`, or how it ended.
    pub status: &'a str,
    /// Baskets priced so far.
    pub done: i64,
    /// JSON: what was counted so far.
    pub report: &'a str,
    /// Why it failed.
    pub error: Option<&'a str>,
}

/// A basket a simulation reads from the store: where it is in the order they are read,
/// the instant it was priced at, and its JSON (compressed with LZ4 for a journal entry).
#[derive(Clone, Debug)]
pub struct StoredBasket {
    /// Its place in the reading order: what to read on after it.
    pub cursor: Cursor,
    /// When it was committed, or priced for a journal entry.
    pub at: DateTime<Utc>,
    /// The basket.
    pub body: Vec<u8>,
}

/// A place in the reading order of a window's baskets: a time as stored, and an id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    time: String,
    id: String,
}

impl Cursor {
    /// The order id or evaluation id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    i64,
    String,
    Option<String>,
);

const COLUMNS: &str = "id, created_at, created_by, status, request, total, done, report, error, \
                       cancel_requested, updated_at, finished_at";

impl Store {
    /// Records a simulation that starts now, `running`.
    pub async fn insert_simulation(&self, row: &SimulationRow) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO simulations ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(&row.id)
        .bind(timestamp(row.created_at))
        .bind(&row.created_by)
        .bind(&row.status)
        .bind(&row.request)
        .bind(row.total)
        .bind(row.done)
        .bind(&row.report)
        .bind(&row.error)
        .bind(i64::from(row.cancel_requested))
        .bind(timestamp(row.updated_at))
        .bind(row.finished_at.map(timestamp))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Writes simulation `id`'s progress at `now` (and its end, unless `running`); whether
    /// someone asked to cancel it.
    pub async fn update_simulation(
        &self,
        id: &str,
        progress: &SimulationProgress<'_>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let finished = (progress.status != "running").then(|| timestamp(now));
        let cancel: Option<(i64,)> = sqlx::query_as(
            "UPDATE simulations SET status = $2, done = $3, report = $4, error = $5, \
             updated_at = $6, finished_at = $7 WHERE id = $1 RETURNING cancel_requested",
        )
        .bind(id)
        .bind(progress.status)
        .bind(progress.done)
        .bind(progress.report)
        .bind(progress.error)
        .bind(timestamp(now))
        .bind(finished)
        .fetch_optional(&self.pool)
        .await?;
        Ok(cancel.is_some_and(|(flag,)| flag != 0))
    }

    /// Asks simulation `id` to stop; whether it exists.
    pub async fn request_simulation_cancel(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE simulations SET cancel_requested = 1 WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Simulation `id`, if there is one.
    pub async fn simulation(&self, id: &str) -> Result<Option<SimulationRow>, StoreError> {
        let row: Option<Row> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM simulations WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(decode).transpose()
    }

    /// The `limit` latest simulations, newest first, without their reports.
    pub async fn simulations(&self, limit: i64) -> Result<Vec<SimulationRow>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, created_at, created_by, status, request, total, done, NULL, error, \
             cancel_requested, updated_at, finished_at FROM simulations \
             ORDER BY created_at DESC, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(decode).collect()
    }

    /// How many orders were committed from `from` to before `to` and stand (not cancelled).
    pub async fn count_orders_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let (count,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM redemptions WHERE created_at >= $1 AND created_at < $2 \
             AND cancelled_at IS NULL AND basket IS NOT NULL",
        )
        .bind(timestamp(from))
        .bind(timestamp(to))
        .fetch_one(&self.pool)
        .await?;
        Ok(count)
    }

    /// Up to `limit` baskets of the orders committed from `from` to before `to` that stand,
    /// in commit order, after `after` (the last one read).
    pub async fn orders_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<Vec<StoredBasket>, StoreError> {
        let after = after.cloned().unwrap_or_default();
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT order_id, created_at, basket FROM redemptions \
             WHERE created_at >= $1 AND created_at < $2 AND cancelled_at IS NULL \
             AND basket IS NOT NULL AND (created_at > $3 OR (created_at = $3 AND order_id > $4)) \
             ORDER BY created_at, order_id LIMIT $5",
        )
        .bind(timestamp(from))
        .bind(timestamp(to))
        .bind(after.time)
        .bind(after.id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, at, body)| stored_basket(id, at.clone(), &at, body.into_bytes()))
            .collect()
    }

    /// How many entries were journalled from `from` to before `to`.
    pub async fn count_journal_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let (count,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM journal WHERE recorded_at >= $1 AND recorded_at < $2",
        )
        .bind(timestamp(from))
        .bind(timestamp(to))
        .fetch_one(&self.pool)
        .await?;
        Ok(count)
    }

    /// Up to `limit` baskets of the entries journalled from `from` to before `to`, in
    /// journal order, after `after` (the last one read); `at` is when each was priced.
    pub async fn journal_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<Vec<StoredBasket>, StoreError> {
        let after = after.cloned().unwrap_or_default();
        let rows: Vec<(String, String, String, Vec<u8>)> = sqlx::query_as(
            "SELECT evaluation_id, recorded_at, priced_at, basket FROM journal \
             WHERE recorded_at >= $1 AND recorded_at < $2 \
             AND (recorded_at > $3 OR (recorded_at = $3 AND evaluation_id > $4)) \
             ORDER BY recorded_at, evaluation_id LIMIT $5",
        )
        .bind(timestamp(from))
        .bind(timestamp(to))
        .bind(after.time)
        .bind(after.id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, recorded_at, priced_at, body)| {
                stored_basket(id, recorded_at, &priced_at, body)
            })
            .collect()
    }
}

fn stored_basket(
    id: String,
    time: String,
    at: &str,
    body: Vec<u8>,
) -> Result<StoredBasket, StoreError> {
    let at = parse_timestamp(at)
        .map_err(|why| StoreError::Inconsistent(format!("basket {id}: {why}")))?;
    Ok(StoredBasket {
        cursor: Cursor { time, id },
        at,
        body,
    })
}

fn decode(
    (
        id,
        created_at,
        created_by,
        status,
        request,
        total,
        done,
        report,
        error,
        cancel_requested,
        updated_at,
        finished_at,
    ): Row,
) -> Result<SimulationRow, StoreError> {
    let corrupt = |why: String| StoreError::Inconsistent(format!("simulation {id}: {why}"));
    Ok(SimulationRow {
        created_at: parse_timestamp(&created_at).map_err(corrupt)?,
        updated_at: parse_timestamp(&updated_at).map_err(corrupt)?,
        finished_at: finished_at
            .map(|at| parse_timestamp(&at).map_err(corrupt))
            .transpose()?,
        id,
        created_by,
        status,
        request,
        total,
        done,
        report,
        error,
        cancel_requested: cancel_requested != 0,
    })
}
