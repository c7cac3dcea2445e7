//! The decision journal's rows (migration 17): sampled evaluations written in batches by
//! the journal's writer, read back one at a time, and pruned past the retention.

use super::{parse_timestamp, timestamp, Store, StoreError};
use chrono::{DateTime, Utc};

/// Rows one `INSERT` writes (nine parameters each).
const ROWS_PER_INSERT: usize = 100;

/// One journalled evaluation, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalRow {
    /// The answer's `evaluation_id`.
    pub evaluation_id: String,
    /// When it was answered, by the server's clock.
    pub recorded_at: DateTime<Utc>,
    /// The instant the basket was priced at.
    pub priced_at: DateTime<Utc>,
    /// The basket's channel.
    pub channel: String,
    /// The basket's store, if any.
    pub store_id: Option<String>,
    /// The basket's customer, if any.
    pub customer_id: Option<String>,
    /// JSON: each campaign whose plugin ran, with its revision and plugin version.
    pub campaigns: String,
    /// The basket as priced, JSON compressed with DEFLATE.
    pub basket: Vec<u8>,
    /// The answer as sent, JSON compressed with DEFLATE.
    pub answer: Vec<u8>,
}

type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Vec<u8>,
    Vec<u8>,
);

impl Store {
    /// Writes `rows` in one transaction; an id written already is kept as it was.
    pub async fn insert_journal(&self, rows: &[JournalRow]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let p = i * 9;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        p + 1,
                        p + 2,
                        p + 3,
                        p + 4,
                        p + 5,
                        p + 6,
                        p + 7,
                        p + 8,
                        p + 9
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO journal (evaluation_id, recorded_at, priced_at, channel, store_id, \
                 customer_id, campaigns, basket, answer) VALUES {} \
                 ON CONFLICT (evaluation_id) DO NOTHING",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for row in chunk {
                query = query
                    .bind(&row.evaluation_id)
                    .bind(timestamp(row.recorded_at))
                    .bind(timestamp(row.priced_at))
                    .bind(&row.channel)
                    .bind(&row.store_id)
                    .bind(&row.customer_id)
                    .bind(&row.campaigns)
                    .bind(&row.basket)
                    .bind(&row.answer);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The journalled evaluation `evaluation_id`, if it was sampled and is still kept.
    pub async fn journal_entry(
        &self,
        evaluation_id: &str,
    ) -> Result<Option<JournalRow>, StoreError> {
        let row: Option<Row> = sqlx::query_as(
            "SELECT evaluation_id, recorded_at, priced_at, channel, store_id, customer_id, \
             campaigns, basket, answer FROM journal WHERE evaluation_id = $1",
        )
        .bind(evaluation_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(decode).transpose()
    }

    /// Deletes the entries recorded before `before`; how many.
    pub async fn prune_journal(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM journal WHERE recorded_at < $1")
            .bind(timestamp(before))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}

fn decode(
    (
        evaluation_id,
        recorded_at,
        priced_at,
        channel,
        store_id,
        customer_id,
        campaigns,
        basket,
        answer,
    ): Row,
) -> Result<JournalRow, StoreError> {
    let corrupt =
        |why: String| StoreError::Inconsistent(format!("journal entry {evaluation_id}: {why}"));
    Ok(JournalRow {
        recorded_at: parse_timestamp(&recorded_at).map_err(corrupt)?,
        priced_at: parse_timestamp(&priced_at).map_err(corrupt)?,
        evaluation_id,
        channel,
        store_id,
        customer_id,
        campaigns,
        basket,
        answer,
    })
}
