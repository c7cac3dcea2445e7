//! The decision journal's rows (migration 17): sampled evaluations written in batches by
//! the journal's writer, read back one at a time, and pruned past the retention.

use super::{parse_timestamp, timestamp, Store, StoreError};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};

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
    /// JSON: each campaign whose plugin ran, with its revision and plugin version. Stored
    /// once per distinct list (`journal_campaign_sets`), however many entries share it.
    pub campaigns: String,
    /// The basket as priced, JSON compressed with LZ4.
    pub basket: Vec<u8>,
    /// The answer as sent, JSON compressed with LZ4.
    pub answer: Vec<u8>,
    /// What else the answer depended on (usage, group policies), JSON compressed with LZ4.
    pub context: Vec<u8>,
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
    Vec<u8>,
);

impl Store {
    /// Writes `rows` in one transaction, [`ROWS_PER_INSERT`] rows per statement (one
    /// statement per row cost the writer a round trip to the database's thread each; the
    /// statement of each chunk length is prepared once and cached); an id written already
    /// is kept as it was.
    pub async fn insert_journal(&self, rows: &[JournalRow]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut sets_written = HashSet::new();
        // Hashed once per distinct list: a batch mostly repeats a few.
        let mut ids: HashMap<&str, String> = HashMap::new();
        let sets: Vec<String> = rows
            .iter()
            .map(|row| {
                ids.entry(row.campaigns.as_str())
                    .or_insert_with(|| campaign_set_id(&row.campaigns))
                    .clone()
            })
            .collect();
        // In id order: two hosts' writers inserting the same new lists never wait for
        // each other in a circle.
        let mut new_sets = BTreeMap::new();
        for (row, set) in rows.iter().zip(&sets) {
            if sets_written.insert(set.as_str()) {
                new_sets.insert(set.as_str(), row.campaigns.as_str());
            }
        }
        for (set, campaigns) in new_sets {
            sqlx::query(
                "INSERT INTO journal_campaign_sets (id, campaigns) VALUES ($1, $2) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(set)
            .bind(campaigns)
            .execute(&mut *tx)
            .await?;
        }
        for (chunk, chunk_sets) in rows
            .chunks(ROWS_PER_INSERT)
            .zip(sets.chunks(ROWS_PER_INSERT))
        {
            let sql = insert_statement(chunk.len());
            let mut query = sqlx::query(&sql);
            for (row, set) in chunk.iter().zip(chunk_sets) {
                query = query
                    .bind(&row.evaluation_id)
                    .bind(timestamp(row.recorded_at))
                    .bind(timestamp(row.priced_at))
                    .bind(&row.channel)
                    .bind(&row.store_id)
                    .bind(&row.customer_id)
                    .bind(set)
                    .bind(&row.basket)
                    .bind(&row.answer)
                    .bind(&row.context);
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
            "SELECT j.evaluation_id, j.recorded_at, j.priced_at, j.channel, j.store_id, \
             j.customer_id, s.campaigns, j.basket, j.answer, j.context FROM journal j \
             JOIN journal_campaign_sets s ON s.id = j.campaign_set WHERE j.evaluation_id = $1",
        )
        .bind(evaluation_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(decode).transpose()
    }

    /// The ids of the entries recorded from `from` to before `to`, oldest first.
    pub async fn journal_ids(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let ids: Vec<(String,)> = sqlx::query_as(
            "SELECT evaluation_id FROM journal WHERE recorded_at >= $1 AND recorded_at < $2 \
             ORDER BY recorded_at, evaluation_id",
        )
        .bind(timestamp(from))
        .bind(timestamp(to))
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(|(id,)| id).collect())
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

/// Rows one journal `INSERT` writes at most (80 parameters). Not more: SQLite's driver
/// looks each parameter up by name among the statement's, so a row's binds cost as much
/// as the statement has parameters (at 64 rows, 3 % of the server's CPU at 100 % sampling).
const ROWS_PER_INSERT: usize = 8;

/// The `INSERT` of `rows` journal rows.
fn insert_statement(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|row| {
            let first = row * 10 + 1;
            let params: Vec<String> = (first..first + 10).map(|n| format!("${n}")).collect();
            format!("({})", params.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO journal (evaluation_id, recorded_at, priced_at, channel, store_id, \
         customer_id, campaign_set, basket, answer, context) VALUES {} \
         ON CONFLICT (evaluation_id) DO NOTHING",
        values.join(", ")
    )
}

/// The id a campaign list is stored under: the first 32 hex digits of its SHA-256.
fn campaign_set_id(campaigns: &str) -> String {
    hex::encode(&Sha256::digest(campaigns.as_bytes())[..16])
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
        context,
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
        context,
    })
}

/// A committed order as the journal shows it: its row in `redemptions`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommittedOrder {
    /// The order's id.
    pub order_id: String,
    /// When it was committed, by the server's clock.
    pub committed_at: DateTime<Utc>,
    /// When it was cancelled, if it was.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The commit's answer, JSON.
    pub answer: String,
    /// The basket as priced, JSON; `None` for orders committed before returns existed.
    pub basket: Option<String>,
    /// The applied campaigns as at the order, each pinned to the plugin version that ran
    /// and with its SHA-256, JSON; `None` as `basket`.
    pub pricing: Option<String>,
}

impl Store {
    /// The committed order `order_id`, if there is one.
    pub async fn committed_order(
        &self,
        order_id: &str,
    ) -> Result<Option<CommittedOrder>, StoreError> {
        type Row = (
            String,
            Option<String>,
            String,
            Option<String>,
            Option<String>,
        );
        let row: Option<Row> = sqlx::query_as(
            "SELECT created_at, cancelled_at, response, basket, pricing FROM redemptions \
             WHERE order_id = $1",
        )
        .bind(order_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some((created_at, cancelled_at, answer, basket, pricing)) = row else {
            return Ok(None);
        };
        let corrupt = |why: String| StoreError::Inconsistent(format!("order {order_id}: {why}"));
        Ok(Some(CommittedOrder {
            order_id: order_id.to_string(),
            committed_at: parse_timestamp(&created_at).map_err(corrupt)?,
            cancelled_at: cancelled_at
                .map(|at| parse_timestamp(&at).map_err(corrupt))
                .transpose()?,
            answer,
            basket,
            pricing,
        }))
    }
}
